import { sql } from 'kysely';
import type { Executor } from '../../platform/db/db.ts';
import type { ChainedEntry } from './audit-chain.ts';

export type StoredEntry = ChainedEntry & { hash: string };

function toEntry(r: {
  org_id: string;
  seq: string | number | bigint;
  at: Date;
  actor_user_id: string | null;
  actor_token_id: string | null;
  actor_org_id: string | null;
  actor_label: string;
  action: string;
  target_type: string;
  target_id: string | null;
  before_digest: string | null;
  after_digest: string | null;
  ip: string | null;
  request_id: string | null;
  details: unknown;
  prev_hash: string;
  hash: string;
}): StoredEntry {
  return {
    orgId: r.org_id,
    seq: Number(r.seq),
    at: new Date(r.at).toISOString(),
    actorUserId: r.actor_user_id,
    actorTokenId: r.actor_token_id,
    actorOrgId: r.actor_org_id,
    actorLabel: r.actor_label,
    action: r.action,
    targetType: r.target_type,
    targetId: r.target_id,
    beforeDigest: r.before_digest,
    afterDigest: r.after_digest,
    ip: r.ip,
    requestId: r.request_id,
    details: (typeof r.details === 'string' ? JSON.parse(r.details) : r.details) as Record<string, unknown>,
    prevHash: r.prev_hash,
    hash: r.hash,
  };
}

export const auditRepo = {
  /** Locks the organisation's chain head for the rest of the transaction (creating it at genesis). */
  async lockHead(tx: Executor, orgId: string): Promise<{ seq: number; hash: string }> {
    await tx
      .insertInto('audit_chain_heads')
      .values({ org_id: orgId, seq: 0, hash: '0'.repeat(64) })
      .onConflict((oc) => oc.column('org_id').doNothing())
      .execute();
    const head = await tx
      .selectFrom('audit_chain_heads')
      .select(['seq', 'hash'])
      .where('org_id', '=', orgId)
      .forUpdate()
      .executeTakeFirstOrThrow();
    return { seq: Number(head.seq), hash: head.hash };
  },

  async append(tx: Executor, e: StoredEntry): Promise<void> {
    await tx
      .insertInto('audit_log')
      .values({
        org_id: e.orgId,
        seq: e.seq,
        at: e.at,
        actor_user_id: e.actorUserId,
        actor_token_id: e.actorTokenId,
        actor_org_id: e.actorOrgId,
        actor_label: e.actorLabel,
        action: e.action,
        target_type: e.targetType,
        target_id: e.targetId,
        before_digest: e.beforeDigest,
        after_digest: e.afterDigest,
        ip: e.ip,
        request_id: e.requestId,
        details: JSON.stringify(e.details),
        prev_hash: e.prevHash,
        hash: e.hash,
      })
      .execute();
    await tx
      .updateTable('audit_chain_heads')
      .set({ seq: e.seq, hash: e.hash })
      .where('org_id', '=', e.orgId)
      .execute();
  },

  /**
   * `managingMsp`: the caller reads this customer's trail as one of its MSPs. A customer may have
   * several MSPs, and its trail also records what it does with the others (their agreements, their
   * relationship, their people's e-mails and addresses), which this MSP must not see: it gets 404 on
   * those objects themselves. So it sees the customer's own entries and its own, never entries made
   * by another organisation's actor or about another MSP's agreement or relationship. (Sequence
   * numbers then have gaps; GET .../audit/verify still checks the whole chain server-side.)
   */
  async list(
    db: Executor,
    orgId: string,
    afterSeq: number,
    limit: number,
    managingMsp: string | null = null,
  ): Promise<StoredEntry[]> {
    let q = db.selectFrom('audit_log').selectAll().where('org_id', '=', orgId).where('seq', '>', afterSeq);
    if (managingMsp !== null) {
      q = q.where((eb) =>
        eb.and([
          eb.or([eb('actor_org_id', 'is', null), eb('actor_org_id', 'in', [orgId, managingMsp])]),
          eb.not(
            eb.exists(
              eb
                .selectFrom('agreements as a')
                .select('a.id')
                .where('audit_log.target_type', '=', 'agreement')
                .where(sql<string>`${sql.ref('a.id')}::text`, '=', eb.ref('audit_log.target_id'))
                .where('a.msp_org_id', '<>', managingMsp),
            ),
          ),
          eb.not(
            eb.exists(
              eb
                .selectFrom('relationships as r')
                .select('r.id')
                .where('audit_log.target_type', '=', 'relationship')
                .where(sql<string>`${sql.ref('r.id')}::text`, '=', eb.ref('audit_log.target_id'))
                .where('r.msp_org_id', '<>', managingMsp),
            ),
          ),
        ]),
      );
    }
    const rows = await q.orderBy('seq').limit(limit).execute();
    return rows.map(toEntry);
  },

  async head(db: Executor, orgId: string): Promise<{ seq: number; hash: string } | null> {
    const h = await db
      .selectFrom('audit_chain_heads')
      .select(['seq', 'hash'])
      .where('org_id', '=', orgId)
      .executeTakeFirst();
    return h ? { seq: Number(h.seq), hash: h.hash } : null;
  },

  /** Every organisation, whether or not a chain head exists (a missing one is itself a break). */
  async orgIdsToVerify(db: Executor): Promise<string[]> {
    const rows = await db.selectFrom('orgs').select('id').orderBy('id').execute();
    return rows.map((r) => r.id);
  },
};
