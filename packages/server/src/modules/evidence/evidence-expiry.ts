import { systemContext, type RequestContext } from '../../platform/context.ts';
import type { Db } from '../../platform/db/db.ts';
import type { Logger } from '../../platform/logger.ts';
import { requirePermission } from '../../platform/authz.ts';
import { forbidden } from '../../platform/errors.ts';
import type { AuditService } from '../audit/audit.service.ts';
import { DAY_MS, daysUntil } from './evidence-access.ts';
import { evidenceRepo } from './evidence.repo.ts';
import { startIntervalJob } from '../../platform/interval-job.ts';

export interface ExpiryWarning {
  evidenceId: string;
  agreementId: string;
  controlId: string;
  revision: number;
  expiresAt: string;
  expiresInDays: number;
}

export type EvidenceExpiryService = ReturnType<typeof createEvidenceExpiryService>;

/**
 * Expiry warnings: evidence whose latest revision expires within `windowDays` is recorded once per
 * item, expiry date and window (table evidence_warnings) and appended to both parties' audit trails
 * in the same transaction. A renewed item (a revision with a new expiry date) is warned about again.
 * Two workers running at once warn once: the second insert finds the row and records nothing.
 */
export function createEvidenceExpiryService({
  db,
  audit,
  windowDays: defaultWindow,
}: {
  db: Db;
  audit: AuditService;
  windowDays: number;
}) {
  async function run(ctx: RequestContext, now: Date, windowDays = defaultWindow): Promise<ExpiryWarning[]> {
    requirePermission(ctx, 'evidence:write');
    if (ctx.actor.kind !== 'system') throw forbidden('expiry warnings are recorded by the system');
    const to = new Date(now.getTime() + windowDays * DAY_MS);
    const due = await evidenceRepo.dueWarnings(db, now, to, windowDays);
    const warned: ExpiryWarning[] = [];
    for (const item of due) {
      const expiresAt = new Date(item.expires_at);
      const recorded = await db.transaction().execute(async (tx) => {
        const fresh = await evidenceRepo.recordWarning(tx, {
          evidence_id: item.id,
          expires_at: expiresAt,
          window_days: windowDays,
          revision: item.revision,
          msp_org_id: item.msp_org_id,
          customer_org_id: item.customer_org_id,
        });
        if (!fresh) return false;
        await audit.record(tx, ctx, {
          orgIds: [item.msp_org_id, item.customer_org_id],
          action: 'evidence.expiry_warning',
          targetType: 'agreement',
          targetId: item.agreement_id,
          details: {
            evidenceId: item.id,
            controlId: item.control_id,
            revision: item.revision,
            title: item.title,
            expiresAt: expiresAt.toISOString(),
            windowDays,
          },
        });
        return true;
      });
      if (recorded)
        warned.push({
          evidenceId: item.id,
          agreementId: item.agreement_id,
          controlId: item.control_id,
          revision: item.revision,
          expiresAt: expiresAt.toISOString(),
          expiresInDays: daysUntil(expiresAt, now)!,
        });
    }
    return warned;
  }
  return { run };
}

/** Runs the warnings every `intervalMs` (daily by default) in `all` and `worker` processes. */
export function startEvidenceExpiryJob(
  service: Pick<EvidenceExpiryService, 'run'>,
  {
    intervalMs = DAY_MS,
    logger,
    ctx = systemContext('system (evidence expiry)'),
  }: { intervalMs?: number; logger: Pick<Logger, 'info' | 'error'>; ctx?: RequestContext },
): () => Promise<void> {
  const run = async () => {
    const w = await service.run(ctx, new Date());
    if (w.length) logger.info({ warned: w.length }, 'evidence expiry warnings recorded');
  };
  return startIntervalJob(run, {
    intervalMs,
    firstAfterMs: Math.min(60_000, intervalMs),
    logger,
    what: 'evidence expiry run',
  });
}
