import type { Cadence } from '@accord/contracts';
import { sql } from 'kysely';
import { requirePermission } from '../../platform/authz.ts';
import { systemContext, type RequestContext } from '../../platform/context.ts';
import type { Db, Executor } from '../../platform/db/db.ts';
import { invalidState, notFound } from '../../platform/errors.ts';
import type { AuditService } from '../audit/audit.service.ts';
import { agreementsRepo } from '../agreements/agreements.repo.ts';
import { EVALUATE_EVERY_MS, evaluate, type Check, type CheckResult } from './check.types.ts';
import { CHECKS } from './checks/index.ts';
import { attestationCheck, type AttestationOf } from './checks/attestation.check.ts';
import { activeControls, saveResults, statusOf, type ActiveControl } from './verification.repo.ts';
import { startIntervalJob } from '../../platform/interval-job.ts';
import { partyDataTimes } from './checks/phishing.checks.ts';

/** A control whose status changed: both parties are told (audit trail and notification channels). */
export interface Drift {
  agreementId: string;
  mspOrgId: string;
  customerOrgId: string;
  controlId: string;
  from: string;
  to: string;
  result: CheckResult;
  at: Date;
}

/** New data re-evaluates the controls that read it, but not more often than this. */
const RETRIGGER_MS = 5 * 60_000;

/**
 * Agreements evaluated at once: on PostgreSQL half the pool (at most 4, leaving connections for
 * requests); on the embedded database one, since it serves one statement at a time anyway.
 */
export const verificationConcurrency = (config: { databaseUrl?: string | undefined; dbPoolSize: number }) =>
  config.databaseUrl ? Math.max(1, Math.min(4, Math.floor(config.dbPoolSize / 2))) : 1;

export type VerificationService = ReturnType<typeof createVerificationService>;

export function createVerificationService({
  db,
  audit,
  checks = CHECKS,
  onDrift,
  concurrency = 1,
  attestationOf,
}: {
  db: Db;
  audit: AuditService;
  checks?: ReadonlyMap<string, Check>;
  /** How many agreements are evaluated at once (1 on the embedded database: it has one connection). */
  concurrency?: number;
  /** Told of each status change inside the transaction that stores it (e.g. to queue notices). */
  onDrift?: (tx: Executor, d: Drift & { notificationSlaHours: number }) => Promise<void>;
  /** A control's attestation state (evidence module): attested and unchecked hybrid controls use it. */
  attestationOf?: AttestationOf;
}) {
  const system = systemContext('system (verification)');
  const byAttestation = new Map<string, Check>();
  /** The check of a control: its typed check, else (attested or hybrid) its attestation. */
  function checkFor(c: Pick<ActiveControl, 'controlId' | 'verification'>): Check | undefined {
    const typed = checks.get(c.controlId);
    if (typed || !attestationOf || c.verification === 'automatic') return typed;
    let a = byAttestation.get(c.controlId);
    if (!a) byAttestation.set(c.controlId, (a = attestationCheck(c.controlId, attestationOf)));
    return a;
  }

  /**
   * Evaluates the given controls and stores the results; returns the drifts it stored. The controls
   * of one agreement are checked one after the other and stored in one transaction (with their
   * drift notices); up to `concurrency` agreements are evaluated at once.
   */
  async function evaluateControls(controls: ActiveControl[], now: Date): Promise<Drift[]> {
    const byAgreement = new Map<string, ActiveControl[]>();
    for (const c of controls) {
      if (!checkFor(c)) continue;
      const group = byAgreement.get(c.agreementId);
      if (group) group.push(c);
      else byAgreement.set(c.agreementId, [c]);
    }
    const groups = [...byAgreement.entries()];
    const drifts: Drift[][] = new Array<Drift[]>(groups.length);
    let next = 0;
    const worker = async () => {
      while (next < groups.length) {
        const i = next++;
        drifts[i] = await evaluateAgreement(groups[i]![0], groups[i]![1], now);
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, groups.length) }, worker));
    return drifts.flat();
  }

  async function evaluateAgreement(agreementId: string, controls: ActiveControl[], now: Date) {
    const items: { control: ActiveControl; result: CheckResult }[] = [];
    for (const c of controls) {
      const input = {
        db,
        agreementId: c.agreementId,
        mspOrgId: c.mspOrgId,
        customerOrgId: c.customerOrgId,
        controlId: c.controlId,
        parameters: c.parameters,
        now,
        attestationOf,
      };
      items.push({
        control: c,
        result: await evaluate(checkFor(c)!, input, c.cadence as Cadence),
      });
    }
    return db.transaction().execute(async (tx) => {
      const saved = await saveResults(tx, agreementId, items, now);
      const out: Drift[] = [];
      for (const [i, { control: c, result }] of items.entries()) {
        const { previous, changed } = saved[i]!;
        if (!changed || previous === null) continue;
        const d: Drift = { ...pick(c), from: previous, to: result.status, result, at: now };
        await audit.record(tx, system, {
          orgIds: [c.mspOrgId, c.customerOrgId],
          action: 'control.status_changed',
          targetType: 'agreement_control',
          targetId: `${c.agreementId}/${c.controlId}`,
          details: { from: previous, to: result.status, reason: result.reason },
        });
        await onDrift?.(tx, { ...d, notificationSlaHours: c.notificationSlaHours });
        out.push(d);
      }
      return out;
    });
  }

  const pick = (c: ActiveControl) => ({
    agreementId: c.agreementId,
    mspOrgId: c.mspOrgId,
    customerOrgId: c.customerOrgId,
    controlId: c.controlId,
  });

  /** Loads an agreement the caller is a party to, or 404. */
  async function party(ctx: RequestContext, agreementId: string) {
    requirePermission(ctx, 'agreements:read');
    const a = await agreementsRepo.get(db, ctx.actor.kind === 'system' ? null : ctx.orgId, agreementId);
    if (!a) throw notFound('agreement', agreementId);
    return a;
  }

  /** Evaluates every checked control of one agreement now (on demand). */
  async function runAgreement(ctx: RequestContext, agreementId: string, now = new Date()) {
    requirePermission(ctx, 'verification:run');
    const a = await party(ctx, agreementId);
    if (a.ended_at) throw invalidState(`agreement ${agreementId} has ended; it is no longer verified`);
    const controls = await activeControls(db, [agreementId]);
    const drifts = await evaluateControls(controls, now);
    return { evaluated: controls.filter((c) => checkFor(c)).length, drifts: drifts.length };
  }

  /**
   * Evaluates what is due: never evaluated, older than its cadence, reading an inventory of which a
   * new import arrived since, or reading logs that arrived since (at most every five minutes). Idempotent: a run with nothing new changes no status.
   */
  async function runDue(now = new Date(), { agreementIds }: { agreementIds?: string[] } = {}) {
    const controls = (await activeControls(db, agreementIds)).filter((c) => checkFor(c));
    const current = new Map(
      (await statusOf(db, [...new Set(controls.map((c) => c.agreementId))])).map((s) => [
        `${s.agreement_id}/${s.control_id}`,
        s,
      ]),
    );
    const fresh = await db
      .selectFrom('log_sources')
      .select((eb) => ['org_id', eb.fn.max('last_received_at').as('at')])
      .groupBy('org_id')
      .execute();
    const lastData = new Map(fresh.map((r) => [r.org_id, r.at ? new Date(r.at as Date).getTime() : 0]));
    // The newest import per customer and inventory kind: one grouped read of the imports index.
    const customers = [...new Set(controls.map((c) => c.customerOrgId))];
    const imported = customers.length
      ? await db
          .selectFrom('imports')
          .select((eb) => ['org_id', 'kind', eb.fn.max('created_at').as('at')])
          .where('org_id', 'in', customers)
          .groupBy(['org_id', 'kind'])
          .execute()
      : [];
    const lastImport = new Map(
      imported.map((r) => [`${r.org_id}/${r.kind}`, new Date(r.at as Date).getTime()]),
    );
    // Both parties' mail-domain DNS checks and the MSP's own training, simulation and identity
    // imports (the phishing checks read them) make those checks due as well.
    const partyData = await partyDataTimes(db, [
      ...new Set(controls.flatMap((c) => [c.customerOrgId, c.mspOrgId])),
    ]);
    // The newest attestation or review per agreement control: a new one makes the control due.
    const agreements = [...new Set(controls.map((c) => c.agreementId))];
    const attested = agreements.length
      ? await db
          .selectFrom('attestations as a')
          .leftJoin('attestation_reviews as r', 'r.attestation_id', 'a.id')
          .select((eb) => [
            'a.agreement_id',
            'a.control_id',
            eb.fn.max(sql<Date>`greatest(a.created_at, coalesce(r.reviewed_at, a.created_at))`).as('at'),
          ])
          .where('a.agreement_id', 'in', agreements)
          .groupBy(['a.agreement_id', 'a.control_id'])
          .execute()
      : [];
    const lastAttested = new Map(
      attested.map((r) => [`${r.agreement_id}/${r.control_id}`, new Date(r.at as Date).getTime()]),
    );
    // When each party's supplier register last changed: a change makes the checks reading it due.
    const parties = [...new Set(controls.flatMap((c) => [c.customerOrgId, c.mspOrgId]))];
    const registers = parties.length
      ? await db
          .selectFrom('supplier_registers')
          .select(['org_id', 'changed_at'])
          .where('org_id', 'in', parties)
          .execute()
      : [];
    const lastRegister = new Map(registers.map((r) => [r.org_id, new Date(r.changed_at).getTime()]));
    // The last change per customer and kind of incident-response record (plans, exercises,
    // incidents, actions): one grouped read, as for imports.
    const irChanged = customers.length
      ? await db
          .selectFrom('ir_activity')
          .select(['org_id', 'kind', 'changed_at'])
          .where('org_id', 'in', customers)
          .execute()
      : [];
    for (const r of irChanged) lastImport.set(`${r.org_id}/${r.kind}`, new Date(r.changed_at).getTime());
    const due = controls.filter((c) => {
      const s = current.get(`${c.agreementId}/${c.controlId}`);
      if (!s || s.version !== c.version) return true;
      const at = new Date(s.evaluated_at).getTime();
      if (now.getTime() - at >= EVALUATE_EVERY_MS[c.cadence as Cadence]) return true;
      if ((lastAttested.get(`${c.agreementId}/${c.controlId}`) ?? 0) > at) return true;
      const reads = checkFor(c)!.reads;
      // A new import of an inventory the check reads makes it due at once (imports are rare).
      if (reads.some((k) => (lastImport.get(`${c.customerOrgId}/${k}`) ?? 0) > at)) return true;
      const registerAt = Math.max(lastRegister.get(c.customerOrgId) ?? 0, lastRegister.get(c.mspOrgId) ?? 0);
      if (reads.includes('suppliers') && registerAt > at) return true;
      const partyAt = (k: string) =>
        Math.max(partyData.get(`${c.customerOrgId}/${k}`) ?? 0, partyData.get(`${c.mspOrgId}/${k}`) ?? 0);
      if (reads.some((k) => partyAt(k) > at)) return true;
      const dataAt = Math.max(lastData.get(c.customerOrgId) ?? 0, lastData.get(c.mspOrgId) ?? 0);
      return (
        (reads.includes('events') || reads.includes('sources')) &&
        dataAt > at &&
        now.getTime() - at >= RETRIGGER_MS
      );
    });
    const drifts = await evaluateControls(due, now);
    return { evaluated: due.length, drifts: drifts.length };
  }

  /** One agreement's controls with their current status, observed against expected, and evidence. */
  async function status(ctx: RequestContext, agreementId: string) {
    await party(ctx, agreementId);
    const controls = await activeControls(db, [agreementId]);
    const rows = new Map((await statusOf(db, [agreementId])).map((s) => [s.control_id, s]));
    return controls.map((c) => {
      const s = rows.get(c.controlId);
      return {
        controlId: c.controlId,
        owner: c.owner,
        verification: c.verification,
        cadence: c.cadence,
        checked: checks.has(c.controlId),
        status: s?.status ?? 'unknown',
        reason: s?.reason ?? (checkFor(c) ? 'not evaluated yet' : 'not verified by Accord'),
        observed: s?.observed ?? {},
        expected: s?.expected ?? {},
        evidence: s?.evidence ?? [],
        dataAt: s?.data_at ?? null,
        evaluatedAt: s?.evaluated_at ?? null,
        changedAt: s?.changed_at ?? null,
      };
    });
  }

  /** The status changes (and daily points) of one control, newest first. */
  async function history(
    ctx: RequestContext,
    agreementId: string,
    controlId: string,
    { kind, limit = 100 }: { kind?: 'change' | 'daily'; limit?: number } = {},
  ) {
    await party(ctx, agreementId);
    let q = db
      .selectFrom('control_results')
      .select([
        'kind',
        'day',
        'status',
        'previous_status',
        'reason',
        'observed',
        'expected',
        'evidence',
        'data_at',
        'evaluated_at',
      ])
      .where('agreement_id', '=', agreementId)
      .where('control_id', '=', controlId);
    if (kind) q = q.where('kind', '=', kind);
    return q.orderBy('evaluated_at', 'desc').orderBy('id', 'desc').limit(limit).execute();
  }

  /**
   * The caller's portfolio: for an MSP, every customer agreement it is party to; for a customer,
   * its agreements. One row per agreement with the status of each control, in catalog order.
   */
  async function portfolio(ctx: RequestContext) {
    requirePermission(ctx, 'agreements:read');
    if (!ctx.orgId) return { agreements: [] };
    const side = ctx.orgKind === 'msp' ? 'a.msp_org_id' : 'a.customer_org_id';
    // Two plain reads (the agreements, then their statuses by the party's index) grouped here: no
    // sort or join over every control of the portfolio in the database.
    const agreements = await db
      .selectFrom('agreements as a')
      .innerJoin('agreement_versions as v', (j) =>
        j.onRef('v.agreement_id', '=', 'a.id').on('v.state', '=', 'active'),
      )
      .innerJoin('orgs as c', 'c.id', 'a.customer_org_id')
      .innerJoin('orgs as m', 'm.id', 'a.msp_org_id')
      .select([
        'a.id as agreement_id',
        'a.title',
        'a.customer_org_id',
        'c.name as customer_name',
        'a.msp_org_id',
        'm.name as msp_name',
      ])
      .where(side, '=', ctx.orgId)
      .where('a.ended_at', 'is', null)
      .where(
        sql<boolean>`(${sql.ref('a.msp_org_id')} = ${ctx.orgId} or exists (select 1 from relationships r where r.msp_org_id = a.msp_org_id and r.customer_org_id = a.customer_org_id and r.status = 'active'))`,
      )
      .execute();
    const statuses = agreements.length
      ? await db
          .selectFrom('control_status')
          .select(['agreement_id', 'control_id', 'status', 'changed_at'])
          .where(ctx.orgKind === 'msp' ? 'msp_org_id' : 'customer_org_id', '=', ctx.orgId)
          .execute()
      : [];
    const out = new Map<
      string,
      {
        agreementId: string;
        title: string;
        customer: { id: string; name: string };
        msp: { id: string; name: string };
        counts: Record<string, number>;
        controls: { controlId: string; status: string; changedAt: Date | null }[];
      }
    >();
    agreements.sort((x, y) =>
      x.customer_name === y.customer_name
        ? x.agreement_id.localeCompare(y.agreement_id)
        : x.customer_name.localeCompare(y.customer_name),
    );
    for (const r of agreements)
      out.set(r.agreement_id, {
        agreementId: r.agreement_id,
        title: r.title,
        customer: { id: r.customer_org_id, name: r.customer_name },
        msp: { id: r.msp_org_id, name: r.msp_name },
        counts: { pass: 0, fail: 0, partial: 0, unknown: 0, error: 0 },
        controls: [],
      });
    for (const st of statuses) {
      const a = out.get(st.agreement_id);
      if (!a) continue; // an agreement no longer active, or of a relationship that ended
      a.controls.push({ controlId: st.control_id, status: st.status, changedAt: st.changed_at });
      a.counts[st.status] = (a.counts[st.status] ?? 0) + 1;
    }
    for (const a of out.values()) a.controls.sort((x, y) => (x.controlId < y.controlId ? -1 : 1));
    return { agreements: [...out.values()] };
  }

  return { runAgreement, runDue, status, history, portfolio, evaluateControls };
}

/**
 * Runs due evaluations every `intervalMs` on an unref'd timer (never overlapping itself); a failure
 * is logged and retried at the next tick. `stop()` waits for a run in progress.
 */
export function startVerificationJob(
  service: Pick<VerificationService, 'runDue'>,
  { intervalMs = 60_000, logger }: { intervalMs?: number; logger: { error: (o: object, m: string) => void } },
): () => Promise<void> {
  const run = async () => {
    await service.runDue(new Date());
  };
  return startIntervalJob(run, { intervalMs, logger, what: 'control verification run' });
}
