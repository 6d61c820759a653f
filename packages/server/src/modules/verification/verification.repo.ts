import { sql } from 'kysely';
import type { Executor } from '../../platform/db/db.ts';
import type { CheckResult } from './check.types.ts';

/** One control of one active agreement, as verification sees it. */
export interface ActiveControl {
  agreementId: string;
  version: number;
  mspOrgId: string;
  customerOrgId: string;
  controlId: string;
  parameters: Record<string, unknown>;
  cadence: string;
  owner: string;
  verification: string;
  notificationSlaHours: number;
}

interface Content {
  controls: {
    controlId: string;
    parameters: Record<string, unknown>;
    cadence: string;
    owner: string;
    verification: string;
    notificationSlaHours: number;
  }[];
}

/** The controls of the active versions of agreements (all, or those named), in a stable order. */
export async function activeControls(db: Executor, agreementIds?: string[]): Promise<ActiveControl[]> {
  let q = db
    .selectFrom('agreement_versions as v')
    .innerJoin('agreements as a', 'a.id', 'v.agreement_id')
    .select(['v.agreement_id', 'v.version', 'v.msp_org_id', 'v.customer_org_id', 'v.content'])
    .where('v.state', '=', 'active')
    .where('a.ended_at', 'is', null);
  if (agreementIds) {
    if (agreementIds.length === 0) return [];
    q = q.where('v.agreement_id', 'in', agreementIds);
  }
  const rows = await q.orderBy('v.agreement_id').execute();
  return rows.flatMap((r) => {
    const content = (typeof r.content === 'string' ? JSON.parse(r.content) : r.content) as Content;
    return content.controls.map((c) => ({
      agreementId: r.agreement_id,
      version: r.version,
      mspOrgId: r.msp_org_id,
      customerOrgId: r.customer_org_id,
      controlId: c.controlId,
      parameters: c.parameters,
      cadence: c.cadence,
      owner: c.owner,
      verification: c.verification,
      notificationSlaHours: c.notificationSlaHours,
    }));
  });
}

export interface StatusRow {
  agreement_id: string;
  control_id: string;
  status: string;
  reason: string;
  observed: unknown;
  expected: unknown;
  evidence: unknown;
  data_at: Date | null;
  evaluated_at: Date;
  changed_at: Date;
  version: number;
}

export async function statusOf(db: Executor, agreementIds: string[]): Promise<StatusRow[]> {
  if (agreementIds.length === 0) return [];
  return (await db
    .selectFrom('control_status')
    .select([
      'agreement_id',
      'control_id',
      'status',
      'reason',
      'observed',
      'expected',
      'evidence',
      'data_at',
      'evaluated_at',
      'changed_at',
      'version',
    ])
    .where('agreement_id', 'in', agreementIds)
    .execute()) as StatusRow[];
}

/**
 * Stores the results of one agreement's controls in four statements whatever their number: the
 * current status of each, a history row for each status change (or first evaluation), and the
 * day's point. Returns each control's previous status (null on its first evaluation), in order.
 */
export async function saveResults(
  tx: Executor,
  agreementId: string,
  items: { control: ActiveControl; result: CheckResult }[],
  now: Date,
): Promise<{ previous: string | null; changed: boolean }[]> {
  if (items.length === 0) return [];
  const prev = new Map(
    (
      await tx
        .selectFrom('control_status')
        .select(['control_id', 'status'])
        .where('agreement_id', '=', agreementId)
        .where(
          'control_id',
          'in',
          items.map((i) => i.control.controlId),
        )
        .forUpdate()
        .execute()
    ).map((r) => [r.control_id, r.status]),
  );
  const out = items.map(({ control: c, result: r }) => {
    const previous = prev.get(c.controlId) ?? null;
    return { previous, changed: previous === null || previous !== r.status };
  });
  const values = items.map(({ control: c, result: r }) => ({
    agreement_id: agreementId,
    control_id: c.controlId,
    msp_org_id: c.mspOrgId,
    customer_org_id: c.customerOrgId,
    status: r.status,
    reason: r.reason,
    observed: JSON.stringify(r.observed),
    expected: JSON.stringify(r.expected),
    evidence: JSON.stringify(r.evidence),
    data_at: r.dataAt,
    evaluated_at: now,
  }));
  const set = (eb: { ref: (c: `excluded.${string}`) => unknown }) =>
    Object.fromEntries(
      ['status', 'reason', 'observed', 'expected', 'evidence', 'data_at', 'evaluated_at'].map((k) => [
        k,
        eb.ref(`excluded.${k}`),
      ]),
    );
  await tx
    .insertInto('control_status')
    .values(
      values.map((v, i) => ({
        ...v,
        version: items[i]!.control.version,
        // a status unchanged keeps its changed_at (the conflict update below keeps the stored one)
        changed_at: out[i]!.changed ? now : new Date(0),
      })),
    )
    .onConflict((oc) =>
      oc.columns(['agreement_id', 'control_id']).doUpdateSet((eb) => ({
        ...(set(eb as never) as object),
        version: eb.ref('excluded.version'),
        changed_at: sql<Date>`case when control_status.status = excluded.status then control_status.changed_at else excluded.changed_at end`,
      })),
    )
    .execute();
  const day = now.toISOString().slice(0, 10);
  const history = values.map((v, i) => ({ ...v, day, previous_status: out[i]!.previous }));
  const changes = history.filter((_, i) => out[i]!.changed);
  if (changes.length > 0)
    await tx
      .insertInto('control_results')
      .values(changes.map((h) => ({ ...h, kind: 'change' })))
      .execute();
  await tx
    .insertInto('control_results')
    .values(history.map((h) => ({ ...h, kind: 'daily' })))
    .onConflict((oc) =>
      oc
        .columns(['agreement_id', 'control_id', 'day'])
        .where('kind', '=', 'daily')
        .doUpdateSet((eb) => set(eb as never) as never),
    )
    .execute();
  return out;
}
