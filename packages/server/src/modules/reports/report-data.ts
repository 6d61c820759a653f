import { sql } from 'kysely';
import type { Db } from '../../platform/db/db.ts';
import type { RequestContext } from '../../platform/context.ts';
import { requirePermission } from '../../platform/authz.ts';
import { AppError } from '../../platform/errors.ts';
import type { AgreementsService } from '../agreements/agreements.service.ts';
import type { VerificationService } from '../verification/verification.service.ts';
import type { CoverageService } from '../telemetry/coverage.service.ts';
import { verifyStoredLogs, type LogsVerification } from '../telemetry/logs.service.ts';

/**
 * Everything an assurance report states, read once, for one agreement and one period. The
 * agreements and verification services authorise the caller (party to the agreement, else 404);
 * the customer's logs and alerts are read for the customer organisation of that agreement only.
 */

export type Status = 'pass' | 'fail' | 'partial' | 'unknown' | 'error';
export const STATUSES: Status[] = ['pass', 'partial', 'fail', 'unknown', 'error'];

export interface ReportControl {
  controlId: string;
  title: string;
  group: string;
  owner: string;
  status: Status;
  reason: string;
  observed: Record<string, unknown>;
  expected: Record<string, unknown>;
  evidence: { type: string; id?: string; summary: string }[];
  dataAt: string | null;
  changedAt: string | null;
}

export interface ReportData {
  generatedAt: string;
  period: { from: string; to: string };
  agreement: { id: string; title: string; version: number; digest: string | null; catalogVersion: string };
  msp: { id: string; name: string };
  customer: { id: string; name: string };
  controls: ReportControl[];
  counts: Record<Status, number>;
  /** Per day of the period with a daily point: controls met of those evaluated. */
  trend: { day: string; met: number; total: number }[];
  evidenceFiles: {
    controlId: string;
    title: string;
    sha256: string | null;
    url: string | null;
    effectiveAt: string;
    expiresAt: string | null;
  }[];
  alerts: {
    total: number;
    open: number;
    byLevel: Record<string, number>;
    topRules: { ruleId: string; title: string; count: number }[];
  };
  coverage: { name: string; kind: string; oldestEvent: string | null; silent: boolean; eventsHeld: number }[];
  retention: { daysHeld: number; requiredDays: number; reachesRequired: boolean };
  seals: LogsVerification;
}

const json = <T>(v: unknown): T => (typeof v === 'string' ? (JSON.parse(v) as T) : (v as T));
const iso = (d: Date | string | null | undefined) => (d ? new Date(d).toISOString() : null);
const ORDER: Record<Status, number> = { fail: 0, error: 1, partial: 2, unknown: 3, pass: 4 };

export function checkPeriod(from: string, to: string): { from: Date; to: Date } {
  const f = new Date(from);
  const t = new Date(to);
  if (Number.isNaN(f.getTime()) || Number.isNaN(t.getTime()))
    throw new AppError('validation_failed', `the period must be two dates, not ${from} .. ${to}`);
  if (f >= t) throw new AppError('validation_failed', `the period starts (${from}) after it ends (${to})`);
  if (t.getTime() - f.getTime() > 400 * 86_400_000)
    throw new AppError('validation_failed', 'a report covers at most 400 days');
  return { from: f, to: t };
}

export async function gatherReport(
  deps: {
    db: Db;
    agreements: AgreementsService;
    verification: VerificationService;
    coverage: CoverageService;
  },
  ctx: RequestContext,
  agreementId: string,
  period: { from: Date; to: Date },
  now = new Date(),
): Promise<ReportData> {
  requirePermission(ctx, 'agreements:read');
  requirePermission(ctx, 'alerts:read');
  requirePermission(ctx, 'logs:read');
  const { db, agreements, verification, coverage } = deps;
  const a = await agreements.get(ctx, agreementId);
  if (!a.activeVersion)
    throw new AppError('invalid_state', `agreement ${agreementId} has no active version to report on`);
  const v = await agreements.version(ctx, agreementId, a.activeVersion);
  const status = await verification.status(ctx, agreementId);
  const byId = new Map(v.content.controls.map((c) => [c.controlId, c]));
  const controls: ReportControl[] = status
    .map((s) => ({
      controlId: s.controlId,
      title: byId.get(s.controlId)?.title ?? s.controlId,
      group: byId.get(s.controlId)?.group ?? '',
      owner: s.owner,
      status: s.status as Status,
      reason: s.reason,
      observed: json<Record<string, unknown>>(s.observed),
      expected: json<Record<string, unknown>>(s.expected),
      evidence: json<ReportControl['evidence']>(s.evidence),
      dataAt: iso(s.dataAt),
      changedAt: iso(s.changedAt),
    }))
    .sort((x, y) => x.controlId.localeCompare(y.controlId));
  const counts = Object.fromEntries(
    STATUSES.map((s) => [s, controls.filter((c) => c.status === s).length]),
  ) as Record<Status, number>;
  const orgId = a.agreement.customer_org_id;
  const [trend, evidenceFiles, alertRows, cov, seals] = await Promise.all([
    sql<{ day: string; met: number; total: number }>`
      select day::text as day, count(*) filter (where status = 'pass')::int as met, count(*)::int as total
      from control_results where agreement_id = ${agreementId} and kind = 'daily'
        and day >= ${period.from.toISOString().slice(0, 10)} and day <= ${period.to.toISOString().slice(0, 10)}
      group by day order by day`.execute(db),
    sql<{
      control_id: string;
      title: string;
      sha256: string | null;
      url: string | null;
      effective_at: Date;
      expires_at: Date | null;
    }>`
      select i.control_id, r.title, f.sha256, r.url, r.effective_at, r.expires_at
      from evidence_items i
      join evidence_revisions r on r.evidence_id = i.id
        and r.revision = (select max(revision) from evidence_revisions x where x.evidence_id = i.id)
      left join evidence_files f on f.id = r.file_id
      where i.agreement_id = ${agreementId} and not r.withdrawn
      order by i.control_id, r.effective_at`.execute(db),
    sql<{ rule_id: string; rule_title: string; level: string; status: string; n: number }>`
      select rule_id, rule_title, level, status, count(*)::int as n from alerts
      where org_id = ${orgId} and created_at >= ${period.from} and created_at < ${period.to}
      group by 1, 2, 3, 4`.execute(db),
    coverage.coverage(ctx, orgId, now, { days: 30 }),
    verifyStoredLogs(db, orgId, { from: period.from.toISOString(), to: period.to.toISOString() }),
  ]);
  const byLevel: Record<string, number> = {};
  const byRule = new Map<string, { ruleId: string; title: string; count: number }>();
  for (const r of alertRows.rows) {
    byLevel[r.level] = (byLevel[r.level] ?? 0) + r.n;
    const x = byRule.get(r.rule_id) ?? { ruleId: r.rule_id, title: r.rule_title, count: 0 };
    x.count += r.n;
    byRule.set(r.rule_id, x);
  }
  return {
    generatedAt: now.toISOString(),
    period: { from: period.from.toISOString(), to: period.to.toISOString() },
    agreement: {
      id: agreementId,
      title: v.content.title,
      version: v.version,
      digest: v.digest,
      catalogVersion: v.content.catalog.version,
    },
    msp: v.content.msp,
    customer: v.content.customer,
    controls,
    counts,
    trend: trend.rows.map((r) => ({ day: String(r.day).slice(0, 10), met: r.met, total: r.total })),
    evidenceFiles: evidenceFiles.rows.map((r) => ({
      controlId: r.control_id,
      title: r.title,
      sha256: r.sha256,
      url: r.url,
      effectiveAt: iso(r.effective_at)!,
      expiresAt: iso(r.expires_at),
    })),
    alerts: {
      total: alertRows.rows.reduce((n, r) => n + r.n, 0),
      open: alertRows.rows
        .filter((r) => r.status === 'open' || r.status === 'acknowledged')
        .reduce((n, r) => n + r.n, 0),
      byLevel,
      topRules: [...byRule.values()]
        .sort((x, y) => y.count - x.count || x.ruleId.localeCompare(y.ruleId))
        .slice(0, 10),
    },
    coverage: cov.sources.map((s) => ({
      name: s.name,
      kind: s.kind,
      oldestEvent: s.oldestEvent,
      silent: s.silent,
      eventsHeld: s.eventsHeld,
    })),
    retention: {
      daysHeld: cov.tenant.daysHeld,
      requiredDays: cov.tenant.requiredDays,
      reachesRequired: cov.tenant.reachesRequired,
    },
    seals,
  };
}

/** The controls that most need attention: not met first, then error, partly met, unknown. */
export const topRisks = (d: ReportData, n = 5) =>
  d.controls
    .filter((c) => c.status !== 'pass')
    .sort((x, y) => ORDER[x.status] - ORDER[y.status] || x.controlId.localeCompare(y.controlId))
    .slice(0, n);
