import type { ImportKind } from '@accord/contracts';
import type { CheckInput } from '../check.types.ts';
import { snapshotOf, type Snapshot } from './inventory-data.ts';
import { lastDelivery } from './params.ts';

/**
 * Reads shared by several checks within one evaluation run: a run gives every check the same
 * `now`, so a read keyed by (database, `now`, what) is made once per run, whatever the number of
 * checks (and, for the MSP's own data, of customers) asking for it. The data is that of the run's
 * start, as if the run were one snapshot. A failed read is not remembered: the next evaluation
 * tries again.
 */
const memos = new WeakMap<object, Map<string, Promise<unknown>>>();

export function perRun<T>(
  input: Pick<CheckInput, 'db' | 'now'>,
  what: string,
  read: () => Promise<T>,
): Promise<T> {
  let memo = memos.get(input.db);
  if (!memo) memos.set(input.db, (memo = new Map()));
  const key = `${input.now.getTime()}|${what}`;
  let hit = memo.get(key) as Promise<T> | undefined;
  if (!hit) {
    // Runs are sequential in time: entries of earlier instants are no longer asked for.
    if (memo.size > 512) memo.clear();
    hit = read();
    hit.catch(() => memo.delete(key));
    memo.set(key, hit);
  }
  return hit;
}

/** An organisation's snapshot of an inventory kind, read once per run. */
export const runSnapshot = <T>(input: Pick<CheckInput, 'db' | 'now'>, orgId: string, kind: ImportKind) =>
  perRun(input, `snapshot|${orgId}|${kind}`, () => snapshotOf<T>(input.db, orgId, kind)) as Promise<
    Snapshot<T>
  >;

/** An organisation's newest log delivery, read once per run. */
export const runLastDelivery = (input: Pick<CheckInput, 'db' | 'now'>, orgId: string) =>
  perRun(input, `delivery|${orgId}`, () => lastDelivery(input.db, orgId));
