import { requireTenant } from '../../platform/authz.ts';
import type { RequestContext } from '../../platform/context.ts';
import type { Db, Executor } from '../../platform/db/db.ts';
import { digestOf } from '../../platform/canonical-json.ts';
import { entryHash, verifyChain, type ChainVerification } from './audit-chain.ts';
import { auditRepo, type StoredEntry } from './audit.repo.ts';

export interface AuditEvent {
  /** Every organisation whose trail this change belongs in (both parties of an agreement). */
  orgIds: string[];
  action: string;
  targetType: string;
  targetId: string | null;
  before?: unknown;
  after?: unknown;
  details?: Record<string, unknown>;
}

export type AuditService = ReturnType<typeof createAuditService>;

export function createAuditService({ db }: { db: Db }) {
  /** Appends inside the caller's transaction, so a change and its audit entry commit together. */
  async function record(tx: Executor, ctx: RequestContext, event: AuditEvent): Promise<void> {
    const orgIds = [...new Set(event.orgIds)].sort(); // fixed lock order: no deadlock between two writers
    for (const orgId of orgIds) {
      const head = await auditRepo.lockHead(tx, orgId);
      const fields = {
        orgId,
        seq: head.seq + 1,
        at: new Date().toISOString(),
        actorUserId: ctx.actor.userId,
        actorTokenId: ctx.actor.tokenId,
        actorOrgId: ctx.orgId,
        actorLabel: ctx.actor.label,
        action: event.action,
        targetType: event.targetType,
        targetId: event.targetId,
        beforeDigest: event.before === undefined ? null : digestOf(event.before),
        afterDigest: event.after === undefined ? null : digestOf(event.after),
        ip: ctx.ip,
        requestId: ctx.requestId,
        details: event.details ?? {},
        prevHash: head.hash,
      };
      await auditRepo.append(tx, { ...fields, hash: entryHash(fields) });
    }
  }

  async function list(ctx: RequestContext, orgId: string, afterSeq = 0, limit = 100): Promise<StoredEntry[]> {
    const access = await requireTenant(db, ctx, orgId, 'audit:read');
    // An MSP reading a customer's trail sees neither another MSP's entries nor those about another
    // MSP's agreement or relationship with the customer (tenant isolation between co-MSPs).
    return auditRepo.list(db, orgId, afterSeq, limit, access === 'managed' ? ctx.orgId : null);
  }

  async function verifyOrg(ctx: RequestContext, orgId: string): Promise<ChainVerification> {
    await requireTenant(db, ctx, orgId, 'audit:read');
    return verifyStored(db, orgId);
  }

  return { record, list, verifyOrg };
}

/** Reads a whole chain in pages and verifies it (used by the API and `accord audit verify`). */
export async function verifyStored(db: Db, orgId: string): Promise<ChainVerification> {
  // One snapshot for the head and the entries: a write landing between the two reads would
  // otherwise look like entries removed from the end.
  return db
    .transaction()
    .setIsolationLevel('repeatable read')
    .execute(async (tx) => {
      const head = await auditRepo.head(tx, orgId);
      const entries: StoredEntry[] = [];
      for (let after = 0; ;) {
        const page = await auditRepo.list(tx, orgId, after, 1000);
        entries.push(...page);
        if (page.length < 1000) break;
        after = page[page.length - 1]!.seq;
      }
      // Every organisation's trail starts when it is created, so no head at all means the whole
      // chain was deleted.
      if (!head && entries.length === 0) {
        return {
          ok: false,
          entries: 0,
          firstBrokenSeq: 1,
          reason: 'the organisation has no audit trail (its chain was removed)',
        };
      }
      return verifyChain(entries, head);
    });
}
