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
 * Stores a result: the current status, a history row when the status changed (or on the first
 * evaluation), and the day's point. Returns the previous status ('none' on the first evaluation).
 */
export async function saveResult(
  tx: Executor,
  c: ActiveControl,
  r: CheckResult,
  now: Date,
): Promise<{ previous: string | null; changed: boolean }> {
  const prev = await tx
    .selectFrom('control_status')
    .select(['status', 'changed_at'])
    .where('agreement_id', '=', c.agreementId)
    .where('control_id', '=', c.controlId)
    .forUpdate()
    .executeTakeFirst();
  const changed = !prev || prev.status !== r.status;
  const values = {
    status: r.status,
    reason: r.reason,
    observed: JSON.stringify(r.observed),
    expected: JSON.stringify(r.expected),
    evidence: JSON.stringify(r.evidence),
    data_at: r.dataAt,
    evaluated_at: now,
  };
  await tx
    .insertInto('control_status')
    .values({
      agreement_id: c.agreementId,
      control_id: c.controlId,
      msp_org_id: c.mspOrgId,
      customer_org_id: c.customerOrgId,
      version: c.version,
      ...values,
      changed_at: now,
    })
    .onConflict((oc) =>
      oc.columns(['agreement_id', 'control_id']).doUpdateSet({
        ...values,
        version: c.version,
        changed_at: changed ? now : sql`control_status.changed_at`,
      }),
    )
    .execute();
  const day = now.toISOString().slice(0, 10);
  const history = {
    agreement_id: c.agreementId,
    control_id: c.controlId,
    msp_org_id: c.mspOrgId,
    customer_org_id: c.customerOrgId,
    day,
    previous_status: prev?.status ?? null,
    ...values,
  };
  if (changed)
    await tx
      .insertInto('control_results')
      .values({ ...history, kind: 'change' })
      .execute();
  await tx
    .insertInto('control_results')
    .values({ ...history, kind: 'daily' })
    .onConflict((oc) =>
      oc
        .columns(['agreement_id', 'control_id', 'day'])
        .where('kind', '=', 'daily')
        .doUpdateSet({ ...values }),
    )
    .execute();
  return { previous: prev?.status ?? null, changed };
}
