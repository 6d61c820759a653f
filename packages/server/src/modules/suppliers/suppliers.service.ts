import { randomUUID } from 'node:crypto';
import { SupplierBody } from '@accord/contracts';
import type { RequestContext } from '../../platform/context.ts';
import type { Db, Executor } from '../../platform/db/db.ts';
import { AppError, invalidState, notFound } from '../../platform/errors.ts';
import type { AuditService } from '../audit/audit.service.ts';
import { registerAccess, type RegisterAccess } from './suppliers-access.ts';
import { suppliersRepo, type SupplierValues } from './suppliers.repo.ts';
import type { SupplierRow } from './suppliers.types.ts';
import { createRegisterOps } from './supplier-register.ts';

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

  return { create, importEntries, update, retire, list, get, ...createRegisterOps({ db, audit }) };
}
