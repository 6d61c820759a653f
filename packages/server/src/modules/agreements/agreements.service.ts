import { randomUUID } from 'node:crypto';
import type { z } from 'zod';
import type { AgreementContent, AgreementControlInput, Permission } from '@accord/contracts';
import { AppError, invalidState, notFound } from '../../platform/errors.ts';
import { requirePermission, managesCustomer } from '../../platform/authz.ts';
import type { RequestContext } from '../../platform/context.ts';
import { digestOf } from '../../platform/canonical-json.ts';
import type { Db, Executor } from '../../platform/db/db.ts';
import type { AuditService } from '../audit/audit.service.ts';
import type { CatalogService } from '../catalog/catalog.service.ts';
import { orgsRepo } from '../orgs/orgs.repo.ts';
import { buildControls, toInputs } from './agreement-content.ts';
import { agreementsRepo, type AcceptanceRow, type AgreementRow, type VersionRow } from './agreements.repo.ts';

type ControlInput = z.infer<typeof AgreementControlInput>;
export type Party = 'msp' | 'customer';
export type AgreementStatus =
  | 'draft'
  | 'awaiting_acceptance'
  | 'awaiting_msp'
  | 'awaiting_customer'
  | 'active'
  | 'active_amendment_pending'
  | 'ended';

export interface AgreementView {
  agreement: AgreementRow;
  status: AgreementStatus;
  activeVersion: number | null;
  openVersion: number | null;
}
export interface VersionView extends VersionRow {
  acceptances: AcceptanceRow[];
}

/**
 * Derives an agreement's status from its versions: at most one active and one open (draft or
 * proposed) version exist at a time (enforced by unique indexes).
 */
export function deriveStatus(
  a: AgreementRow,
  versions: VersionRow[],
  acceptances: AcceptanceRow[],
): Omit<AgreementView, 'agreement'> {
  const active = versions.find((v) => v.state === 'active') ?? null;
  const open = versions.find((v) => v.state === 'draft' || v.state === 'proposed') ?? null;
  let status: AgreementStatus;
  if (a.ended_at) status = 'ended';
  else if (active && open) status = 'active_amendment_pending';
  else if (active) status = 'active';
  else if (!open || open.state === 'draft') status = 'draft';
  else {
    const parties = new Set(acceptances.filter((x) => x.version_id === open.id).map((x) => x.party));
    status = parties.has('msp')
      ? 'awaiting_customer'
      : parties.has('customer')
        ? 'awaiting_msp'
        : 'awaiting_acceptance';
  }
  return { status, activeVersion: active?.version ?? null, openVersion: open?.version ?? null };
}

export type AgreementsService = ReturnType<typeof createAgreementsService>;

export function createAgreementsService({
  db,
  audit,
  catalog,
}: {
  db: Db;
  audit: AuditService;
  catalog: CatalogService;
}) {
  const scopeOf = (ctx: RequestContext) => (ctx.actor.kind === 'system' ? null : ctx.orgId);

  /** Loads an agreement the caller is a party to (404 otherwise) and says which party it is. */
  async function load(
    tx: Executor,
    ctx: RequestContext,
    id: string,
    permission: Permission,
    lock = false,
  ): Promise<{ a: AgreementRow; party: Party }> {
    requirePermission(ctx, permission);
    const a = await agreementsRepo.get(tx, scopeOf(ctx), id, lock);
    if (!a) throw notFound('agreement', id);
    const party: Party = ctx.orgId === a.msp_org_id ? 'msp' : 'customer';
    return { a, party };
  }

  function requireWritable(a: AgreementRow) {
    if (a.ended_at)
      throw invalidState(`agreement ${a.id} has ended with the MSP relationship; it is read-only`);
  }

  async function viewOf(tx: Executor, a: AgreementRow): Promise<AgreementView> {
    const versions = await agreementsRepo.versions(tx, [a.id]);
    const acc = await agreementsRepo.acceptances(
      tx,
      versions.map((v) => v.id),
    );
    return { agreement: a, ...deriveStatus(a, versions, acc) };
  }

  async function versionOf(tx: Executor, a: AgreementRow, n: number): Promise<VersionView> {
    const v = await agreementsRepo.version(tx, a.id, n);
    if (!v) throw notFound(`version ${n} of agreement`, a.id);
    return { ...v, acceptances: await agreementsRepo.acceptances(tx, [v.id]) };
  }

  function content(
    a: { id: string; title: string },
    version: number,
    msp: { id: string; name: string },
    customer: { id: string; name: string },
    controls: ControlInput[],
    ctx: RequestContext,
  ): AgreementContent {
    return {
      agreementId: a.id,
      title: a.title,
      version,
      catalog: { id: catalog.info.id, version: catalog.info.version },
      msp,
      customer,
      controls: buildControls(catalog.control, controls, ctx.actor.label),
    };
  }

  const overridesOf = (c: AgreementContent) =>
    c.controls.flatMap((x) => x.overrides.map((o) => ({ controlId: x.controlId, ...o })));

  /** The MSP drafts an agreement for one of its active customers. */
  async function create(
    ctx: RequestContext,
    input: { customerOrgId: string; title: string; controls: ControlInput[]; note?: string | undefined },
  ): Promise<VersionView> {
    requirePermission(ctx, 'agreements:draft');
    if (ctx.orgKind !== 'msp' || !ctx.orgId)
      throw new AppError('forbidden', 'agreements are drafted by the MSP');
    const mspOrgId = ctx.orgId;
    return db.transaction().execute(async (tx) => {
      if (!(await managesCustomer(tx, mspOrgId, input.customerOrgId)))
        throw notFound('customer organisation', input.customerOrgId);
      const [msp, customer] = await Promise.all([
        orgsRepo.get(tx, mspOrgId),
        orgsRepo.get(tx, input.customerOrgId),
      ]);
      const a = {
        id: randomUUID(),
        msp_org_id: mspOrgId,
        customer_org_id: input.customerOrgId,
        title: input.title,
      };
      const c = content(
        a,
        1,
        { id: msp!.id, name: msp!.name },
        { id: customer!.id, name: customer!.name },
        input.controls,
        ctx,
      );
      await agreementsRepo.insert(tx, a);
      await agreementsRepo.insertVersion(tx, {
        id: randomUUID(),
        agreement_id: a.id,
        msp_org_id: mspOrgId,
        customer_org_id: input.customerOrgId,
        version: 1,
        content: c,
        created_by_org_id: mspOrgId,
        created_by_user_id: ctx.actor.userId,
        note: input.note ?? null,
      });
      await audit.record(tx, ctx, {
        orgIds: [mspOrgId, input.customerOrgId],
        action: 'agreement.drafted',
        targetType: 'agreement',
        targetId: a.id,
        after: c,
        details: { version: 1, overrides: overridesOf(c) },
      });
      const row = (await agreementsRepo.get(tx, null, a.id))!;
      return versionOf(tx, row, 1);
    });
  }

  async function list(ctx: RequestContext): Promise<AgreementView[]> {
    requirePermission(ctx, 'agreements:read');
    const rows = await agreementsRepo.list(db, scopeOf(ctx));
    const versions = await agreementsRepo.versions(
      db,
      rows.map((r) => r.id),
    );
    const acc = await agreementsRepo.acceptances(
      db,
      versions.map((v) => v.id),
    );
    return rows.map((a) => ({
      agreement: a,
      ...deriveStatus(
        a,
        versions.filter((v) => v.agreement_id === a.id),
        acc,
      ),
    }));
  }

  async function get(ctx: RequestContext, id: string): Promise<AgreementView> {
    const { a } = await load(db, ctx, id, 'agreements:read');
    return viewOf(db, a);
  }

  async function versions(ctx: RequestContext, id: string): Promise<VersionView[]> {
    const { a } = await load(db, ctx, id, 'agreements:read');
    const vs = await agreementsRepo.versions(db, [a.id]);
    const acc = await agreementsRepo.acceptances(
      db,
      vs.map((v) => v.id),
    );
    return vs.map((v) => ({ ...v, acceptances: acc.filter((x) => x.version_id === v.id) }));
  }

  async function version(ctx: RequestContext, id: string, n: number): Promise<VersionView> {
    const { a } = await load(db, ctx, id, 'agreements:read');
    return versionOf(db, a, n);
  }

  /** Either party starts an amendment: a new draft copied from the latest version. */
  async function amend(
    ctx: RequestContext,
    id: string,
    input: { note?: string | undefined },
  ): Promise<VersionView> {
    return db.transaction().execute(async (tx) => {
      const { a } = await load(tx, ctx, id, 'agreements:draft', true);
      requireWritable(a);
      const vs = await agreementsRepo.versions(tx, [a.id]);
      const open = vs.find((v) => v.state === 'draft' || v.state === 'proposed');
      if (open)
        throw invalidState(
          `version ${open.version} of agreement ${id} is still ${open.state}; withdraw, reject or accept it first`,
        );
      const latest = vs[vs.length - 1]!;
      const n = latest.version + 1;
      const c = content(
        a,
        n,
        latest.content.msp,
        latest.content.customer,
        toInputs(latest.content.controls),
        ctx,
      );
      await agreementsRepo.insertVersion(tx, {
        id: randomUUID(),
        agreement_id: a.id,
        msp_org_id: a.msp_org_id,
        customer_org_id: a.customer_org_id,
        version: n,
        content: c,
        created_by_org_id: ctx.orgId!,
        created_by_user_id: ctx.actor.userId,
        note: input.note ?? null,
      });
      await agreementsRepo.touch(tx, a.id);
      await audit.record(tx, ctx, {
        orgIds: [a.msp_org_id, a.customer_org_id],
        action: 'agreement.amendment_started',
        targetType: 'agreement',
        targetId: a.id,
        details: { version: n, from: latest.version },
      });
      return versionOf(tx, a, n);
    });
  }

  /** Edits the open draft; only the party that created it may. */
  async function updateDraft(
    ctx: RequestContext,
    id: string,
    input: { title?: string | undefined; controls: ControlInput[]; note?: string | undefined },
  ): Promise<VersionView> {
    return db.transaction().execute(async (tx) => {
      const { a } = await load(tx, ctx, id, 'agreements:draft', true);
      requireWritable(a);
      const draft = (await agreementsRepo.versions(tx, [a.id])).find((v) => v.state === 'draft');
      if (!draft) throw invalidState(`agreement ${id} has no draft version to edit`);
      if (draft.created_by_org_id !== ctx.orgId)
        throw new AppError('forbidden', 'only the party that started this draft can edit it');
      const title = input.title ?? a.title;
      const c = content(
        { id: a.id, title },
        draft.version,
        draft.content.msp,
        draft.content.customer,
        input.controls,
        ctx,
      );
      await agreementsRepo.updateDraftContent(tx, draft.id, c, input.note ?? draft.note);
      await agreementsRepo.touch(tx, a.id, input.title);
      await audit.record(tx, ctx, {
        orgIds: [a.msp_org_id, a.customer_org_id],
        action: 'agreement.draft_updated',
        targetType: 'agreement',
        targetId: a.id,
        before: draft.content,
        after: c,
        details: { version: draft.version, overrides: overridesOf(c) },
      });
      return versionOf(tx, { ...a, title }, draft.version);
    });
  }

  /** Freezes a draft: its digest is fixed and both parties can now accept exactly this content. */
  async function propose(ctx: RequestContext, id: string, n: number): Promise<VersionView> {
    return db.transaction().execute(async (tx) => {
      const { a } = await load(tx, ctx, id, 'agreements:draft', true);
      requireWritable(a);
      const v = await versionOf(tx, a, n);
      if (v.state !== 'draft')
        throw invalidState(`version ${n} of agreement ${id} is ${v.state}, not a draft`);
      if (v.created_by_org_id !== ctx.orgId)
        throw new AppError('forbidden', 'only the party that started this draft can propose it');
      const digest = digestOf(v.content);
      await agreementsRepo.setState(tx, v.id, 'proposed', { digest });
      await agreementsRepo.touch(tx, a.id);
      await audit.record(tx, ctx, {
        orgIds: [a.msp_org_id, a.customer_org_id],
        action: 'agreement.proposed',
        targetType: 'agreement',
        targetId: a.id,
        after: v.content,
        details: { version: n, digest },
      });
      return versionOf(tx, a, n);
    });
  }

  /**
   * A party accepts one exact version, naming its digest. The agreement row is locked for the
   * transaction, so two acceptances racing each other are applied one after the other: both are
   * recorded, and the version becomes active exactly once (when the second lands).
   */
  async function accept(ctx: RequestContext, id: string, n: number, digest: string): Promise<VersionView> {
    return db.transaction().execute(async (tx) => {
      const { a, party } = await load(tx, ctx, id, 'agreements:accept', true);
      requireWritable(a);
      const v = await versionOf(tx, a, n);
      if (v.state !== 'proposed')
        throw invalidState(
          `version ${n} of agreement ${id} is ${v.state}; only a proposed version can be accepted`,
        );
      if (v.digest !== digest) {
        throw new AppError(
          'digest_mismatch',
          `the digest you accepted does not match version ${n} of agreement ${id}`,
          { expected: v.digest, received: digest },
        );
      }
      if (v.acceptances.some((x) => x.party === party))
        throw new AppError('conflict', `the ${party} has already accepted version ${n}`);
      await agreementsRepo.insertAcceptance(tx, {
        version_id: v.id,
        party,
        org_id: ctx.orgId!,
        user_id: ctx.actor.userId,
        user_label: ctx.actor.label,
        digest,
      });
      const parties = new Set([...v.acceptances.map((x) => x.party), party]);
      let activated = false;
      if (parties.has('msp') && parties.has('customer')) {
        const prior = (await agreementsRepo.versions(tx, [a.id])).find((x) => x.state === 'active');
        if (prior) await agreementsRepo.setState(tx, prior.id, 'superseded');
        await agreementsRepo.setState(tx, v.id, 'active');
        activated = true;
      }
      await agreementsRepo.touch(tx, a.id);
      await audit.record(tx, ctx, {
        orgIds: [a.msp_org_id, a.customer_org_id],
        action: 'agreement.accepted',
        targetType: 'agreement',
        targetId: a.id,
        details: { version: n, party, digest, activated },
      });
      return versionOf(tx, a, n);
    });
  }

  /** The other party declines a proposed version, with its reason. */
  async function reject(ctx: RequestContext, id: string, n: number, reason: string): Promise<VersionView> {
    return close(ctx, id, n, 'rejected', reason);
  }
  /** The proposing party takes back its draft or proposal. */
  async function withdraw(ctx: RequestContext, id: string, n: number): Promise<VersionView> {
    return close(ctx, id, n, 'withdrawn', null);
  }

  async function close(
    ctx: RequestContext,
    id: string,
    n: number,
    to: 'rejected' | 'withdrawn',
    reason: string | null,
  ): Promise<VersionView> {
    return db.transaction().execute(async (tx) => {
      const { a } = await load(
        tx,
        ctx,
        id,
        to === 'rejected' ? 'agreements:accept' : 'agreements:draft',
        true,
      );
      requireWritable(a);
      const v = await versionOf(tx, a, n);
      const own = v.created_by_org_id === ctx.orgId;
      if (to === 'rejected' && (v.state !== 'proposed' || own))
        throw invalidState(`only the other party can reject a proposed version (version ${n} is ${v.state})`);
      if (to === 'withdrawn' && (!['draft', 'proposed'].includes(v.state) || !own))
        throw invalidState(`only the party that proposed version ${n} can withdraw it while it is open`);
      await agreementsRepo.setState(tx, v.id, to);
      await agreementsRepo.touch(tx, a.id);
      await audit.record(tx, ctx, {
        orgIds: [a.msp_org_id, a.customer_org_id],
        action: `agreement.${to}`,
        targetType: 'agreement',
        targetId: a.id,
        details: { version: n, ...(reason ? { reason } : {}) },
      });
      return versionOf(tx, a, n);
    });
  }

  return { create, list, get, versions, version, amend, updateDraft, propose, accept, reject, withdraw };
}
