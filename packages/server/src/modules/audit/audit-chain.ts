import { canonicalJson } from '../../platform/canonical-json.ts';
import { sha256Hex } from '../../platform/crypto.ts';

export const GENESIS_HASH = '0'.repeat(64);

/** The fields an audit entry's hash covers: everything but the hash itself. */
export interface ChainedEntry {
  orgId: string;
  seq: number;
  at: string;
  actorUserId: string | null;
  actorTokenId: string | null;
  actorOrgId: string | null;
  actorLabel: string;
  action: string;
  targetType: string;
  targetId: string | null;
  beforeDigest: string | null;
  afterDigest: string | null;
  ip: string | null;
  requestId: string | null;
  details: Record<string, unknown>;
  prevHash: string;
}

export const entryHash = (e: ChainedEntry): string => sha256Hex(canonicalJson(e));

export interface ChainVerification {
  ok: boolean;
  entries: number;
  firstBrokenSeq: number | null;
  reason: string | null;
}

/**
 * Recomputes a chain in sequence order. Names the first entry whose sequence number, link to the
 * previous hash, or own hash does not match, and checks the stored head against the last entry
 * (so truncating the tail is detected too).
 */
export function verifyChain(
  entries: Iterable<ChainedEntry & { hash: string }>,
  head: { seq: number; hash: string } | null,
): ChainVerification {
  let prev = GENESIS_HASH;
  let expectedSeq = 1;
  let count = 0;
  for (const e of entries) {
    count++;
    const broken = (reason: string): ChainVerification => ({
      ok: false,
      entries: count,
      firstBrokenSeq: e.seq,
      reason,
    });
    if (e.seq !== expectedSeq)
      return broken(`expected entry ${expectedSeq}, found ${e.seq} (an entry is missing)`);
    if (e.prevHash !== prev) return broken('its link to the previous entry does not match');
    const { hash, ...fields } = e;
    if (entryHash(fields) !== hash) return broken('its content does not match its hash (altered)');
    prev = hash;
    expectedSeq++;
  }
  if (head && (head.seq !== count || head.hash !== prev)) {
    return {
      ok: false,
      entries: count,
      firstBrokenSeq: count + 1,
      reason: `the chain head records ${head.seq} entries but ${count} are present (entries removed from the end)`,
    };
  }
  return { ok: true, entries: count, firstBrokenSeq: null, reason: null };
}
