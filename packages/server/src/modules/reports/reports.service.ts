import { createHash } from 'node:crypto';
import type { Db } from '../../platform/db/db.ts';
import type { RequestContext } from '../../platform/context.ts';
import { requirePermission } from '../../platform/authz.ts';
import { AppError } from '../../platform/errors.ts';
import { toCsv } from '../../platform/csv.ts';
import { signDocument, type SigningKey } from '../../platform/signing.ts';
import type { AuditService } from '../audit/audit.service.ts';
import type { AgreementsService } from '../agreements/agreements.service.ts';
import type { VerificationService } from '../verification/verification.service.ts';
import type { CoverageService } from '../telemetry/coverage.service.ts';
import { checkPeriod, gatherReport, STATUSES, type Status } from './report-data.ts';
import { renderReportHtml } from './report-html.ts';
import { renderReportPdf } from './report-pdf.ts';
import { renderPortfolioHtml, renderPortfolioPdf, type PortfolioRow } from './portfolio-report.ts';

export type ReportsService = ReturnType<typeof createReportsService>;
export type ReportFormat = 'html' | 'pdf';

export interface IssuedReport {
  bytes: Buffer;
  contentType: string;
  filename: string;
  sha256: string;
}

const DAY = 86_400_000;
const TYPES: Record<ReportFormat, string> = { html: 'text/html; charset=utf-8', pdf: 'application/pdf' };

/**
 * Assurance reports (per agreement) and portfolio reports (per MSP), signed with the instance's
 * Ed25519 key; CSV exports of control status and evidence. Issuing a signed report is recorded in
 * the audit trail of the parties with the report's SHA-256, so a report can be traced to its issue.
 */
export function createReportsService(deps: {
  db: Db;
  audit: AuditService;
  agreements: AgreementsService;
  verification: VerificationService;
  coverage: CoverageService;
  signingKey: SigningKey;
}) {
  const { db, audit, agreements, verification, signingKey } = deps;
  const signer = { keyId: signingKey.keyId, publicKey: signingKey.publicKey };

  function publicKey() {
    return { algorithm: 'Ed25519' as const, ...signer };
  }

  async function issue(
    ctx: RequestContext,
    orgIds: string[],
    target: { type: string; id: string },
    body: Buffer,
    format: ReportFormat,
    filename: string,
    details: Record<string, unknown>,
  ): Promise<IssuedReport> {
    const bytes = signDocument(body, format, signingKey);
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    await db.transaction().execute((tx) =>
      audit.record(tx, ctx, {
        orgIds,
        action: 'report.issued',
        targetType: target.type,
        targetId: target.id,
        details: { ...details, format, sha256, keyId: signingKey.keyId },
      }),
    );
    return { bytes, contentType: TYPES[format], filename: `${filename}.${format}`, sha256 };
  }

  /** The period asked for, or the last 30 days up to now. */
  const periodOf = (q: { from?: string | undefined; to?: string | undefined }, now: Date) =>
    checkPeriod(q.from ?? new Date(now.getTime() - 30 * DAY).toISOString(), q.to ?? now.toISOString());

  async function agreementReport(
    ctx: RequestContext,
    agreementId: string,
    q: { from?: string | undefined; to?: string | undefined; format: ReportFormat },
    now = new Date(),
  ): Promise<IssuedReport> {
    const d = await gatherReport(deps, ctx, agreementId, periodOf(q, now), now);
    const body =
      q.format === 'pdf' ? await renderReportPdf(d, signer) : Buffer.from(renderReportHtml(d, signer));
    return issue(
      ctx,
      [d.msp.id, d.customer.id],
      { type: 'agreement', id: agreementId },
      body,
      q.format,
      `assurance-${d.customer.name.replace(/[^\w.-]+/g, '_')}-${d.period.to.slice(0, 10)}`,
      { period: d.period, version: d.agreement.version, met: d.counts.pass, controls: d.controls.length },
    );
  }

  /** Every active agreement of the caller's organisation with its status counts. */
  async function portfolioRows(ctx: RequestContext): Promise<PortfolioRow[]> {
    const list = (await agreements.list(ctx)).filter((a) => a.activeVersion !== null);
    const rows: PortfolioRow[] = [];
    for (let i = 0; i < list.length; i += 8) {
      const part = await Promise.all(
        list.slice(i, i + 8).map(async (a) => {
          const s = await verification.status(ctx, a.agreement.id);
          const counts = Object.fromEntries(
            STATUSES.map((x) => [x, s.filter((c) => c.status === x).length]),
          ) as Record<Status, number>;
          return {
            agreementId: a.agreement.id,
            title: a.agreement.title,
            customerOrgId: a.agreement.customer_org_id,
            counts,
            total: s.length,
          };
        }),
      );
      rows.push(...part);
    }
    return rows;
  }

  async function portfolioReport(
    ctx: RequestContext,
    format: ReportFormat,
    now = new Date(),
  ): Promise<IssuedReport> {
    requirePermission(ctx, 'agreements:read');
    if (ctx.orgKind !== 'msp' || !ctx.orgId)
      throw new AppError('forbidden', 'the portfolio report is for an MSP across its customers');
    const names = new Map(
      (
        await db
          .selectFrom('orgs')
          .select(['id', 'name'])
          .where('id', 'in', [
            ctx.orgId,
            ...(await agreements.list(ctx)).map((a) => a.agreement.customer_org_id),
          ])
          .execute()
      ).map((o) => [o.id, o.name]),
    );
    const rows = (await portfolioRows(ctx)).map((r) => ({
      ...r,
      customer: names.get(r.customerOrgId) ?? r.customerOrgId,
    }));
    rows.sort(
      (a, b) =>
        a.counts.pass / Math.max(a.total, 1) - b.counts.pass / Math.max(b.total, 1) ||
        a.customer.localeCompare(b.customer),
    );
    const meta = { msp: names.get(ctx.orgId) ?? ctx.orgId, generatedAt: now.toISOString() };
    const body =
      format === 'pdf'
        ? await renderPortfolioPdf(meta, rows, signer)
        : Buffer.from(renderPortfolioHtml(meta, rows, signer));
    return issue(
      ctx,
      [ctx.orgId],
      { type: 'org', id: ctx.orgId },
      body,
      format,
      `portfolio-${now.toISOString().slice(0, 10)}`,
      {
        customers: rows.length,
      },
    );
  }

  async function controlsCsv(ctx: RequestContext, agreementId: string): Promise<string> {
    const s = await verification.status(ctx, agreementId);
    return toCsv(
      [
        'controlId',
        'owner',
        'status',
        'reason',
        'observed',
        'expected',
        'dataAt',
        'evaluatedAt',
        'changedAt',
      ],
      s.map((c) => ({
        ...c,
        observed: typeof c.observed === 'string' ? c.observed : JSON.stringify(c.observed),
        expected: typeof c.expected === 'string' ? c.expected : JSON.stringify(c.expected),
        dataAt: c.dataAt ? new Date(c.dataAt).toISOString() : '',
        evaluatedAt: c.evaluatedAt ? new Date(c.evaluatedAt).toISOString() : '',
        changedAt: c.changedAt ? new Date(c.changedAt).toISOString() : '',
      })),
    );
  }

  async function evidenceCsv(ctx: RequestContext, agreementId: string, now = new Date()): Promise<string> {
    const d = await gatherReport(
      deps,
      ctx,
      agreementId,
      checkPeriod(new Date(now.getTime() - DAY).toISOString(), now.toISOString()),
      now,
    );
    return toCsv(['controlId', 'title', 'sha256', 'url', 'effectiveAt', 'expiresAt'], d.evidenceFiles);
  }

  return { publicKey, agreementReport, portfolioReport, controlsCsv, evidenceCsv };
}
