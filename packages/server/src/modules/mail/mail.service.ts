import { randomUUID } from 'node:crypto';
import type { MailCheck, MailDomain, MailDomainCreate } from '@accord/contracts';
import { requireTenant } from '../../platform/authz.ts';
import { systemContext, type RequestContext } from '../../platform/context.ts';
import type { Db } from '../../platform/db/db.ts';
import { AppError, notFound } from '../../platform/errors.ts';
import { startIntervalJob } from '../../platform/interval-job.ts';
import type { AuditService } from '../audit/audit.service.ts';
import { checkMailDomain, type DnsClient } from './mail-dns.ts';
import { mailRepo, toDomain, type DomainRow } from './mail.repo.ts';

/**
 * Mail domains of an organisation (customer or MSP) and their DNS checks. Registering, changing
 * and removing a domain, and every check run (by a person or the scheduled job), are audited in
 * the organisation's trail. Reading needs inventory:read; changing and checking inventory:manage.
 * The DNS lookups run outside any transaction; their result is stored with its audit entry.
 */
export type MailService = ReturnType<typeof createMailService>;

export function createMailService({ db, audit, dns }: { db: Db; audit: AuditService; dns: DnsClient }) {
  async function owned(orgId: string, domainId: string): Promise<DomainRow> {
    const row = await mailRepo.domain(db, orgId, domainId);
    if (!row) throw notFound('mail domain', domainId);
    return row;
  }

  async function view(row: DomainRow): Promise<MailDomain> {
    const last = (await mailRepo.latestChecks(db, [row.org_id])).get(row.id) ?? null;
    return toDomain(row, last);
  }

  async function register(ctx: RequestContext, orgId: string, input: MailDomainCreate): Promise<MailDomain> {
    await requireTenant(db, ctx, orgId, 'inventory:manage');
    const selectors = [...new Set(input.dkimSelectors)];
    const now = new Date();
    const row: DomainRow = {
      id: randomUUID(),
      org_id: orgId,
      domain: input.domain,
      dkim_selectors: selectors,
      created_by_label: ctx.actor.label,
      created_at: now,
      updated_at: now,
    };
    await db.transaction().execute(async (tx) => {
      if (await mailRepo.byName(tx, orgId, input.domain))
        throw new AppError(
          'conflict',
          `mail domain ${input.domain} is already registered for this organisation`,
        );
      await mailRepo.insert(tx, orgId, { ...row, selectors });
      await audit.record(tx, ctx, {
        orgIds: [orgId],
        action: 'mail_domain.registered',
        targetType: 'mail_domain',
        targetId: row.id,
        after: { domain: input.domain, dkimSelectors: selectors },
      });
    });
    return toDomain(row, null);
  }

  async function list(ctx: RequestContext, orgId: string): Promise<MailDomain[]> {
    await requireTenant(db, ctx, orgId, 'inventory:read');
    const rows = await mailRepo.domains(db, [orgId]);
    const last = await mailRepo.latestChecks(db, [orgId]);
    return rows.map((r) => toDomain(r, last.get(r.id) ?? null));
  }

  async function get(ctx: RequestContext, orgId: string, domainId: string): Promise<MailDomain> {
    await requireTenant(db, ctx, orgId, 'inventory:read');
    return view(await owned(orgId, domainId));
  }

  async function update(
    ctx: RequestContext,
    orgId: string,
    domainId: string,
    input: { dkimSelectors: string[] },
  ): Promise<MailDomain> {
    await requireTenant(db, ctx, orgId, 'inventory:manage');
    const selectors = [...new Set(input.dkimSelectors)];
    await db.transaction().execute(async (tx) => {
      const row = await mailRepo.domain(tx, orgId, domainId);
      if (!row) throw notFound('mail domain', domainId);
      await mailRepo.setSelectors(tx, orgId, domainId, selectors, new Date());
      await audit.record(tx, ctx, {
        orgIds: [orgId],
        action: 'mail_domain.updated',
        targetType: 'mail_domain',
        targetId: domainId,
        before: { dkimSelectors: row.dkim_selectors },
        after: { dkimSelectors: selectors },
      });
    });
    return view(await owned(orgId, domainId));
  }

  /** Removes a domain from the organisation's list; it and its checks stay stored. */
  async function remove(ctx: RequestContext, orgId: string, domainId: string): Promise<void> {
    await requireTenant(db, ctx, orgId, 'inventory:manage');
    await db.transaction().execute(async (tx) => {
      const row = await mailRepo.domain(tx, orgId, domainId);
      if (!row) throw notFound('mail domain', domainId);
      await mailRepo.remove(tx, orgId, domainId, new Date());
      await audit.record(tx, ctx, {
        orgIds: [orgId],
        action: 'mail_domain.removed',
        targetType: 'mail_domain',
        targetId: domainId,
        before: { domain: row.domain },
      });
    });
  }

  /** Resolves and stores one domain's check (the lookups first, then one transaction). */
  async function runCheck(ctx: RequestContext, row: DomainRow, now = new Date()): Promise<MailCheck> {
    const selectors = (
      typeof row.dkim_selectors === 'string' ? JSON.parse(row.dkim_selectors) : row.dkim_selectors
    ) as string[];
    const result = await checkMailDomain(dns, row.domain, selectors);
    const check = {
      id: randomUUID(),
      domainId: row.id,
      domain: row.domain,
      at: now,
      status: result.status,
      resolver: dns.servers,
      facts: result.facts,
      findings: result.findings,
    };
    await db.transaction().execute(async (tx) => {
      await mailRepo.insertCheck(tx, row.org_id, check);
      await audit.record(tx, ctx, {
        orgIds: [row.org_id],
        action: 'mail_domain.checked',
        targetType: 'mail_domain',
        targetId: row.id,
        details: {
          domain: row.domain,
          status: result.status,
          failed: result.findings.filter((f) => f.status !== 'pass').map((f) => `${f.check}: ${f.message}`),
        },
      });
    });
    const { at: _at, ...stored } = check;
    return { ...stored, checkedAt: now.toISOString() };
  }

  async function checkNow(ctx: RequestContext, orgId: string, domainId: string): Promise<MailCheck> {
    await requireTenant(db, ctx, orgId, 'inventory:manage');
    return runCheck(ctx, await owned(orgId, domainId));
  }

  async function history(ctx: RequestContext, orgId: string, domainId: string, limit: number) {
    await requireTenant(db, ctx, orgId, 'inventory:read');
    await owned(orgId, domainId);
    return mailRepo.checks(db, orgId, domainId, limit);
  }

  /**
   * Checks every current domain whose newest check is older than `everyMs` (or that was never
   * checked), one after the other. A domain that cannot be resolved is stored as an error result.
   * `orgIds` limits the run to some organisations (tests; one tenant's re-check).
   */
  async function runDue(now = new Date(), everyMs = 24 * 3_600_000, { orgIds }: { orgIds?: string[] } = {}) {
    const system = systemContext('system (mail DNS check)');
    const ids =
      orgIds ??
      (
        await db
          .selectFrom('mail_domains')
          .select('org_id')
          .distinct()
          .where('removed_at', 'is', null)
          .execute()
      ).map((o) => o.org_id);
    const rows = await mailRepo.domains(db, ids);
    const last = await mailRepo.latestChecks(db, ids);
    let checked = 0;
    for (const row of rows) {
      const prev = last.get(row.id);
      if (prev && now.getTime() - Date.parse(prev.checkedAt) < everyMs) continue;
      await runCheck(system, row, now);
      checked++;
    }
    return { checked };
  }

  return { register, list, get, update, remove, checkNow, history, runDue };
}

/** The scheduled DNS check: every `intervalMs`, the domains not checked within it. */
export function startMailCheckJob(
  service: Pick<MailService, 'runDue'>,
  { intervalMs, logger }: { intervalMs: number; logger: { error: (o: object, m: string) => void } },
): () => Promise<void> {
  return startIntervalJob(
    async () => {
      await service.runDue(new Date(), intervalMs);
    },
    {
      intervalMs: Math.min(intervalMs, 3_600_000),
      firstAfterMs: 60_000,
      logger,
      what: 'mail domain DNS check',
    },
  );
}
