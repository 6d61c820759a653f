import { randomUUID } from 'node:crypto';
import { SupplierBody, type Criticality } from '@accord/contracts';
import type { RequestContext } from '../../platform/context.ts';
import type { Db, Executor } from '../../platform/db/db.ts';
import { AppError, invalidState, notFound } from '../../platform/errors.ts';
import type { AuditService } from '../audit/audit.service.ts';
import { registerAccess, type RegisterAccess } from './suppliers-access.ts';
import { suppliersRepo, type SupplierValues } from './suppliers.repo.ts';
import type { AssessmentRow, SupplierRow } from './suppliers.types.ts';
import { assessmentsRepo } from './assessments.repo.ts';
import { riskOf } from './risk.ts';
import { reassessmentDaysOf } from './register-state.ts';

export type SupplierInput = ReturnType<typeof SupplierBody.parse>;

/** A register entry that could not be imported: where (entry number or file line) and why. */
export interface ImportRejection {
  at: number;
  name: string | null;
  reason: string;
}

const invalid = (message: string, path: string) =>
  new AppError('validation_failed', message, { issues: [{ path: [path], message }] });

export type SuppliersService = ReturnType<typeof createSuppliersService>;

export function createSuppliersService({ db, audit }: { db: Db; audit: AuditService }) {
  /** The rules a body of the schema cannot check alone: they depend on the register's organisation. */
  async function checkEntry(tx: Executor, reg: RegisterAccess, input: SupplierInput, exceptId?: string) {
    const { org } = reg;
    if (input.kind === 'msp' && org.kind === 'msp')
      throw invalid(
        "kind msp stands for a customer's MSP; an MSP's register lists its own suppliers and sub-processors",
        'kind',
      );
    if (input.published && org.kind !== 'msp')
      throw invalid('only an MSP publishes register entries to its customers (published)', 'published');
    if (input.mspOrgId) {
      const rel = await tx
        .selectFrom('relationships')
        .select('id')
        .where('msp_org_id', '=', input.mspOrgId)
        .where('customer_org_id', '=', org.id)
        .executeTakeFirst();
      if (!rel) throw invalid(`mspOrgId ${input.mspOrgId} is not an MSP of this organisation`, 'mspOrgId');
    }
    if (await suppliersRepo.activeNamed(tx, org.id, input.name, exceptId))
      throw new AppError('conflict', `the register already has a supplier named "${input.name}"`);
  }

  const values = (input: SupplierInput): SupplierValues => ({
    name: input.name,
    kind: input.kind,
    msp_org_id: input.mspOrgId ?? null,
    services: JSON.stringify(input.services),
    products: JSON.stringify(input.products),
    privileged_access: input.privilegedAccess,
    access_description: input.accessDescription ?? null,
    data_categories: JSON.stringify([...new Set(input.dataCategories)]),
    contract_start: input.contractStart ?? null,
    contract_end: input.contractEnd ?? null,
    criticality: input.criticality,
    published: input.published,
    notes: input.notes ?? null,
  });
  /** What the audit trail shows of an entry (no other organisation's id). */
  const summary = (s: {
    id: string;
    name: string;
    kind: string;
    criticality: string;
    published: boolean;
  }) => ({
    supplierId: s.id,
    name: s.name,
    kind: s.kind,
    criticality: s.criticality,
    published: s.published,
  });

  async function insertOne(
    tx: Executor,
    ctx: RequestContext,
    reg: RegisterAccess,
    input: SupplierInput,
    now: Date,
  ) {
    await checkEntry(tx, reg, input);
    const id = randomUUID();
    const v = values(input);
    await suppliersRepo.insert(tx, reg.org.id, id, v, now);
    await suppliersRepo.touch(tx, reg.org.id, now, v.published);
    await audit.record(tx, ctx, {
      orgIds: [reg.org.id],
      action: 'supplier.added',
      targetType: 'supplier',
      targetId: id,
      after: v,
      details: summary({ id, ...input }),
    });
    return id;
  }

  async function create(ctx: RequestContext, orgId: string, input: SupplierInput, now = new Date()) {
    return db.transaction().execute(async (tx) => {
      const reg = await registerAccess(tx, ctx, orgId, 'suppliers:manage', { write: true });
      const id = await insertOne(tx, ctx, reg, input, now);
      return (await suppliersRepo.get(tx, orgId, id))!;
    });
  }

  /**
   * Adds many entries at once (a register kept in a spreadsheet until now). Each entry is checked on
   * its own: the good ones are added, each bad one is reported with its position and reason.
   */
  async function importEntries(
    ctx: RequestContext,
    orgId: string,
    entries: { at: number; raw: unknown }[],
    now = new Date(),
  ): Promise<{ added: SupplierRow[]; rejected: ImportRejection[] }> {
    return db.transaction().execute(async (tx) => {
      const reg = await registerAccess(tx, ctx, orgId, 'suppliers:manage', { write: true });
      const added: string[] = [];
      const rejected: ImportRejection[] = [];
      const seen = new Set<string>();
      for (const { at, raw } of entries) {
        const name =
          raw && typeof raw === 'object' && typeof (raw as { name?: unknown }).name === 'string'
            ? (raw as { name: string }).name
            : null;
        const parsed = SupplierBody.safeParse(raw);
        if (!parsed.success) {
          const issue = parsed.error.issues[0]!;
          rejected.push({ at, name, reason: `${issue.path.join('/') || 'entry'}: ${issue.message}` });
          continue;
        }
        const key = parsed.data.name.toLowerCase();
        if (seen.has(key)) {
          rejected.push({ at, name, reason: `"${parsed.data.name}" appears earlier in the same import` });
          continue;
        }
        try {
          added.push(await insertOne(tx, ctx, reg, parsed.data, now));
          seen.add(key);
        } catch (e) {
          if (!(e instanceof AppError) || e.status >= 500 || e.code === 'forbidden') throw e;
          rejected.push({ at, name, reason: e.message });
        }
      }
      const rows = await suppliersRepo.list(tx, orgId);
      return { added: rows.filter((r) => added.includes(r.id)), rejected };
    });
  }

  async function update(
    ctx: RequestContext,
    orgId: string,
    id: string,
    input: SupplierInput,
    now = new Date(),
  ) {
    return db.transaction().execute(async (tx) => {
      const reg = await registerAccess(tx, ctx, orgId, 'suppliers:manage', { write: true });
      const before = await suppliersRepo.get(tx, orgId, id, true);
      if (!before) throw notFound('supplier', id);
      if (before.retired_at) throw invalidState(`supplier ${id} was retired; add it again instead`);
      await checkEntry(tx, reg, input, id);
      const v = values(input);
      await suppliersRepo.update(tx, orgId, id, v, now);
      await suppliersRepo.touch(tx, orgId, now, before.published || v.published);
      await audit.record(tx, ctx, {
        orgIds: [orgId],
        action: 'supplier.updated',
        targetType: 'supplier',
        targetId: id,
        before,
        after: v,
        details: {
          ...summary({ id, ...input }),
          ...(before.criticality !== input.criticality ? { criticalityBefore: before.criticality } : {}),
        },
      });
      return (await suppliersRepo.get(tx, orgId, id))!;
    });
  }

  /** A supplier no longer used leaves the active register; its entry and assessments stay readable. */
  async function retire(ctx: RequestContext, orgId: string, id: string, reason: string, now = new Date()) {
    return db.transaction().execute(async (tx) => {
      await registerAccess(tx, ctx, orgId, 'suppliers:manage', { write: true });
      const before = await suppliersRepo.get(tx, orgId, id, true);
      if (!before) throw notFound('supplier', id);
      if (before.retired_at) throw invalidState(`supplier ${id} is already retired`);
      await suppliersRepo.retire(tx, orgId, id, reason, now);
      await suppliersRepo.touch(tx, orgId, now, before.published);
      await audit.record(tx, ctx, {
        orgIds: [orgId],
        action: 'supplier.retired',
        targetType: 'supplier',
        targetId: id,
        before,
        details: { ...summary(before), reason },
      });
      return (await suppliersRepo.get(tx, orgId, id))!;
    });
  }

  async function list(ctx: RequestContext, orgId: string, includeRetired = false) {
    await registerAccess(db, ctx, orgId, 'suppliers:read');
    return suppliersRepo.list(db, orgId, includeRetired);
  }

  async function get(ctx: RequestContext, orgId: string, id: string) {
    await registerAccess(db, ctx, orgId, 'suppliers:read');
    const s = await suppliersRepo.get(db, orgId, id);
    if (!s) throw notFound('supplier', id);
    return s;
  }

  /** The register as a whole: last review and change, the reassessment cadence, counts. */
  async function register(ctx: RequestContext, orgId: string) {
    await registerAccess(db, ctx, orgId, 'suppliers:read');
    const [reg, all, reviews] = await Promise.all([
      suppliersRepo.register(db, orgId),
      suppliersRepo.list(db, orgId, true),
      suppliersRepo.reviews(db, orgId),
    ]);
    const active = all.filter((s) => !s.retired_at);
    return {
      orgId,
      register: reg ?? null,
      reassessmentDays: reassessmentDaysOf(reg),
      counts: {
        active: active.length,
        critical: active.filter((s) => s.criticality === 'critical').length,
        published: active.filter((s) => s.published).length,
        retired: all.length - active.length,
      },
      reviews,
    };
  }

  async function setReassessmentDays(
    ctx: RequestContext,
    orgId: string,
    days: Partial<Record<Criticality, number>>,
    now = new Date(),
  ) {
    await db.transaction().execute(async (tx) => {
      await registerAccess(tx, ctx, orgId, 'suppliers:manage', { write: true });
      const before = reassessmentDaysOf(await suppliersRepo.register(tx, orgId));
      const after = { ...before, ...days };
      await suppliersRepo.setReassessmentDays(tx, orgId, after, now);
      await audit.record(tx, ctx, {
        orgIds: [orgId],
        action: 'supplier_register.cadence_set',
        targetType: 'supplier_register',
        targetId: orgId,
        before,
        after,
        details: { reassessmentDays: after },
      });
    });
    return register(ctx, orgId);
  }

  /** Records that the register was reviewed (SCR-01: days since the last review). */
  async function review(ctx: RequestContext, orgId: string, note: string | undefined, now = new Date()) {
    await db.transaction().execute(async (tx) => {
      await registerAccess(tx, ctx, orgId, 'suppliers:manage', { write: true });
      const id = randomUUID();
      await suppliersRepo.recordReview(tx, orgId, {
        id,
        at: now,
        userId: ctx.actor.userId,
        label: ctx.actor.label,
        note: note ?? null,
      });
      await audit.record(tx, ctx, {
        orgIds: [orgId],
        action: 'supplier_register.reviewed',
        targetType: 'supplier_register',
        targetId: orgId,
        details: { reviewId: id, ...(note ? { note } : {}) },
      });
    });
    return register(ctx, orgId);
  }

  /**
   * What MSPs publish of their own suppliers and sub-processors. A customer sees the entries of every
   * MSP it has an active relationship with; an MSP sees its own (also when it reads through one of its
   * customers: never a co-MSP's list).
   */
  async function published(ctx: RequestContext, orgId: string) {
    const { org, access } = await registerAccess(db, ctx, orgId, 'suppliers:read');
    let msps: string[];
    if (org.kind === 'msp') msps = [org.id];
    else if (access === 'managed') msps = [ctx.orgId!];
    else
      msps = (
        await db
          .selectFrom('relationships')
          .select('msp_org_id')
          .where('customer_org_id', '=', org.id)
          .where('status', '=', 'active')
          .execute()
      ).map((r) => r.msp_org_id);
    const rows = await suppliersRepo.publishedBy(db, msps);
    const names = new Map(
      msps.length
        ? (await db.selectFrom('orgs').select(['id', 'name']).where('id', 'in', msps).execute()).map((o) => [
            o.id,
            o.name,
          ])
        : [],
    );
    // Each MSP's latest complete assessment of each entry: when, and the residual band it found.
    const assessed = new Map<string, AssessmentRow>();
    for (const msp of msps)
      for (const a of await assessmentsRepo.list(
        db,
        msp,
        rows.filter((r) => r.org_id === msp).map((r) => r.id),
      ))
        if (a.status === 'complete') assessed.set(a.supplier_id, a); // oldest first: the last one wins
    return rows.map((r) => {
      const a = assessed.get(r.id);
      return {
        row: r,
        msp: { id: r.org_id, name: names.get(r.org_id) ?? '' },
        lastAssessedAt: a?.completed_at ?? null,
        residualBand: a ? (riskOf(a.residual_likelihood, a.residual_impact)?.band ?? null) : null,
      };
    });
  }

  return {
    create,
    importEntries,
    update,
    retire,
    list,
    get,
    register,
    setReassessmentDays,
    review,
    published,
  };
}
