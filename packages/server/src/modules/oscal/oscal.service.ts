import type { Catalog } from '@accord/contracts';
import { requirePermission } from '../../platform/authz.ts';
import { AppError } from '../../platform/errors.ts';
import type { RequestContext } from '../../platform/context.ts';
import type { AgreementsService, VersionView } from '../agreements/agreements.service.ts';
import type { VerificationService } from '../verification/verification.service.ts';
import { catalogToOscal } from './oscal-catalog.ts';
import { agreementToComponentDefinition, agreementToProfile, type VersionInfo } from './oscal-agreement.ts';
import { resultsToAssessmentResults, resultsToPoam, type ResultRow } from './oscal-results.ts';
import { checkIntegrity } from './oscal-integrity.ts';
import { modelOf, validateOscal } from './oscal-schemas.ts';
import { readOscal, type OscalImport } from './oscal-import.ts';

export type OscalService = ReturnType<typeof createOscalService>;

const json = <T>(v: unknown): T => (typeof v === 'string' ? (JSON.parse(v) as T) : (v as T));
const iso = (d: Date | string | null | undefined) => (d ? new Date(d).toISOString() : null);

/**
 * OSCAL export and import. Authorisation and tenant checks are the agreements' and verification's
 * own (a version or a result of another tenant's agreement is 404 there). Every document is
 * checked against NIST's schema and Accord's integrity rules before it leaves: an export that
 * fails them is a defect, answered as an internal error rather than sent out invalid.
 */
export function createOscalService({
  catalog,
  agreements,
  verification,
}: {
  catalog: { catalog: Catalog };
  agreements: AgreementsService;
  verification: VerificationService;
}) {
  function checked<T>(doc: T): T {
    const model = modelOf(doc)!;
    const problems = [...validateOscal(model, doc), ...checkIntegrity(doc, catalog.catalog)];
    if (problems.length)
      throw new AppError('internal', `the exported ${model} failed its own validation`, { problems });
    return doc;
  }

  const infoOf = (v: VersionView): VersionInfo => ({
    content: v.content,
    digest: v.digest,
    state: v.state,
    at: new Date(v.activated_at ?? v.proposed_at ?? v.created_at),
  });

  function exportCatalog(ctx: RequestContext) {
    requirePermission(ctx, 'catalog:read');
    return checked(catalogToOscal(catalog.catalog));
  }

  async function exportProfile(ctx: RequestContext, agreementId: string, n: number) {
    return checked(
      agreementToProfile(infoOf(await agreements.version(ctx, agreementId, n)), catalog.catalog),
    );
  }

  async function exportComponentDefinition(ctx: RequestContext, agreementId: string, n: number) {
    return checked(agreementToComponentDefinition(infoOf(await agreements.version(ctx, agreementId, n))));
  }

  /**
   * The active version and its current results (verification authorises the caller). An agreement
   * with no active version (still being agreed, or ended) has nothing verified: its latest version
   * is reported with no results, which the documents say in words.
   */
  async function results(ctx: RequestContext, agreementId: string): Promise<[VersionInfo, ResultRow[]]> {
    const rows = await verification.status(ctx, agreementId);
    const a = await agreements.get(ctx, agreementId);
    const n = a.activeVersion ?? (await agreements.versions(ctx, agreementId)).at(-1)!.version;
    const v = infoOf(await agreements.version(ctx, agreementId, n));
    if (!a.activeVersion) return [v, []];
    return [
      v,
      rows.map((r) => ({
        controlId: r.controlId,
        owner: r.owner,
        verification: r.verification,
        status: r.status as ResultRow['status'],
        reason: r.reason,
        observed: json(r.observed),
        expected: json(r.expected),
        evidence: json(r.evidence),
        dataAt: iso(r.dataAt),
        evaluatedAt: iso(r.evaluatedAt),
      })),
    ];
  }

  async function exportAssessmentResults(ctx: RequestContext, agreementId: string) {
    return checked(resultsToAssessmentResults(...(await results(ctx, agreementId))));
  }

  async function exportPoam(ctx: RequestContext, agreementId: string) {
    return checked(resultsToPoam(...(await results(ctx, agreementId))));
  }

  /** Reads a document; nothing is stored (a profile's controls are then drafted as an agreement). */
  function importDocument(ctx: RequestContext, doc: unknown): OscalImport {
    requirePermission(ctx, 'catalog:read');
    return readOscal(doc, catalog.catalog);
  }

  return {
    exportCatalog,
    exportProfile,
    exportComponentDefinition,
    exportAssessmentResults,
    exportPoam,
    importDocument,
  };
}
