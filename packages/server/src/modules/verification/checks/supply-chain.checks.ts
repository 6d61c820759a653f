import { SIGNOFF_FUNCTIONS, type RemoteAccessItem } from '@accord/contracts';
import type { Check, CheckInput, EvidenceRef } from '../check.types.ts';
import { firstOf, importRef, snapshotOf } from './inventory-data.ts';
import { DAY_MS, days, num } from './params.ts';
import { registerState, type SupplierState } from '../../suppliers/register-state.ts';
import { entryKeys, nameKey, toolRegistered } from '../../suppliers/tool-vendors.ts';
import { assessmentsRepo } from '../../suppliers/assessments.repo.ts';
import { customerRegister, mspSupplyChain } from './supply-chain-data.ts';
import type { RegisterRow } from '../../suppliers/suppliers.types.ts';

/**
 * The supply chain checks read the supplier registers Accord keeps (the customer's, and what its MSP
 * publishes), so their data is current when they run; SCR-01 also reads the remote-access inventory,
 * whose import time is when that data was collected (an old import makes the result stale).
 */

/** A register nobody reviewed or changed for longer than this cannot say which suppliers are critical. */
export const REGISTER_STALE_DAYS = 365;

const time = (d: Date | null | undefined) => (d ? new Date(d).getTime() : null);
const lastTouched = (r: RegisterRow | undefined) =>
  Math.max(time(r?.changed_at) ?? 0, time(r?.reviewed_at) ?? 0) || null;

/**
 * SCR-01: the customer's register covers its MSP and every supplier with access, and was reviewed
 * within `register_review_days`. A remote-access or RMM tool in the customer's inventory counts as
 * registered when the customer's register, or the MSP's published list, names the tool as a product
 * or is one of its vendors.
 */
export const scr01: Check = {
  controlId: 'SCR-01',
  reads: ['suppliers', 'remote_access'],
  async run(input) {
    const limit = num(input.parameters, 'register_review_days');
    const { db, customerOrgId, mspOrgId, now } = input;
    const { register, entries } = await customerRegister(input);
    const msp = await mspSupplyChain(input);
    const published = msp.published;
    const snap = await snapshotOf<RemoteAccessItem>(db, customerOrgId, 'remote_access');
    const keys = new Set([...entries, ...published].flatMap((e) => [...entryKeys(e)]));
    const mspRegistered = entries.some(
      (e) =>
        e.kind === 'msp' &&
        (e.msp_org_id === mspOrgId || (!e.msp_org_id && !!msp.name && nameKey(e.name) === nameKey(msp.name))),
    );
    const hostsByTool = new Map<string, Set<string>>();
    for (const t of snap.items) hostsByTool.set(t.tool, (hostsByTool.get(t.tool) ?? new Set()).add(t.host));
    const unregistered = [...hostsByTool.keys()].filter((tool) => !toolRegistered(tool, keys)).sort();
    const reviewedAt = register?.reviewed_at ? new Date(register.reviewed_at) : null;
    const reviewAge = reviewedAt ? days(now.getTime() - reviewedAt.getTime()) : null;
    const reviewOk = reviewAge !== null && reviewAge <= limit;

    const missing = [...(mspRegistered ? [] : [`the MSP (${msp.name ?? mspOrgId})`]), ...unregistered];
    const evidence: EvidenceRef[] = [
      {
        type: 'supplier_register',
        id: customerOrgId,
        summary: `${entries.length} active entr(ies); ${published.length} published by the MSP; last review ${reviewedAt?.toISOString().slice(0, 10) ?? 'never'}`,
      },
      ...importRef('remote_access', snap),
      ...firstOf(unregistered).map((tool) => ({
        type: 'import' as const,
        summary: `${tool} on ${hostsByTool.get(tool)!.size} host(s) (${firstOf([...hostsByTool.get(tool)!], 5).join(', ')}): no register entry for it or its vendor`,
      })),
    ];
    const observed = {
      registeredSuppliers: entries.length,
      publishedByMsp: published.length,
      mspRegistered,
      remoteAccessTools: hostsByTool.size,
      suppliersWithAccessNotRegistered: snap.importId ? missing.length : null,
      unregistered: firstOf(missing),
      daysSinceRegisterReview: reviewAge,
    };
    const expected = { suppliersWithAccessNotRegistered: 0, registerReviewDays: limit };
    // No register and no inventory: Accord knows nothing of this customer's suppliers.
    const scope = (register ? entries.length + published.length + 1 : 0) + hostsByTool.size;
    const review =
      reviewAge === null ? 'the register has never been reviewed' : `last reviewed ${reviewAge} day(s) ago`;
    // The register's own facts (Accord's records, current now) fail it without the inventory.
    if (!reviewOk || !mspRegistered)
      return {
        status: 'fail',
        reason: [
          ...(reviewOk ? [] : [`${review} (agreed: at most ${limit})`]),
          ...(missing.length ? [`not in the register: ${firstOf(missing).join(', ')}`] : []),
        ].join('; '),
        observed,
        expected,
        evidence,
        dataAt: now,
        scope,
      };
    if (!snap.importId)
      return {
        status: 'unknown',
        reason: `${review}; no remote-access inventory yet to find suppliers with access missing from the register`,
        observed,
        expected,
        evidence,
        dataAt: null,
        scope,
      };
    return {
      status: unregistered.length ? 'fail' : 'pass',
      reason: unregistered.length
        ? `${unregistered.length} remote-access tool(s) in use whose supplier is not in the register: ${firstOf(unregistered).join(', ')}`
        : `the MSP and all ${hostsByTool.size} remote-access tool(s) in use are covered by the register; ${review}`,
      observed,
      expected,
      evidence,
      dataAt: snap.at,
      scope,
    };
  },
};

/** One critical supplier as SCR-02 sees it. */
function standing(st: SupplierState, intervalDays: number, now: Date, owner: 'customer' | 'msp') {
  const completed = time(st.lastComplete?.completed_at);
  const current = completed !== null && now.getTime() - completed <= intervalDays * DAY_MS;
  const submitted = st.inProgress?.status === 'submitted' ? st.inProgress : null;
  const late = st.treatments.filter(
    (t) => t.status === 'open' && t.due_date < now.toISOString().slice(0, 10),
  );
  return { st, owner, current, submitted, late };
}

/**
 * SCR-02: every critical supplier (in the customer's register, and critical entries the MSP
 * publishes) has a complete assessment, signed by security, legal and procurement, within
 * `assessment_interval_days`. Treatments past their due date make an otherwise passing result
 * partial. A register neither reviewed nor changed for REGISTER_STALE_DAYS is stale (unknown).
 */
export const scr02: Check = {
  controlId: 'SCR-02',
  reads: ['suppliers'],
  async run(input: CheckInput) {
    const interval = num(input.parameters, 'assessment_interval_days');
    const { db, customerOrgId, now } = input;
    const customer = await registerState(db, customerOrgId, now);
    const msp = await mspSupplyChain(input);
    const critical = [
      ...customer.suppliers
        .filter((s) => s.supplier.criticality === 'critical')
        .map((s) => standing(s, interval, now, 'customer')),
      ...msp.publishedStates
        .filter((s) => s.supplier.criticality === 'critical')
        .map((s) => standing(s, interval, now, 'msp')),
    ];
    const without = critical.filter((c) => !c.current);
    const awaiting = without.filter((c) => c.submitted);
    const signoffs = [
      ...(await assessmentsRepo.signoffs(
        db,
        customerOrgId,
        awaiting.filter((c) => c.owner === 'customer').map((c) => c.submitted!.id),
      )),
      ...msp.signoffs,
    ];
    const missingOf = (c: (typeof critical)[number]) => {
      const a = c.submitted!;
      const signed = new Set(
        signoffs.filter((s) => s.assessment_id === a.id && s.revision === a.revision).map((s) => s.function),
      );
      return SIGNOFF_FUNCTIONS.filter((f) => !signed.has(f));
    };
    const late = critical.flatMap((c) => c.late.map((t) => ({ c, t })));
    const name = (c: (typeof critical)[number]) =>
      `${c.st.supplier.name}${c.owner === 'msp' ? ' (MSP vendor)' : ''}`;
    const observed = {
      criticalSuppliers: critical.length,
      criticalSuppliersWithoutCurrentAssessment: without.length,
      assessmentsMissingSignoff: awaiting.length,
      lateTreatments: late.length,
      without: firstOf(without).map(name),
    };
    const expected = {
      criticalSuppliersWithoutCurrentAssessment: 0,
      assessmentsMissingSignoff: 0,
      assessmentIntervalDays: interval,
    };
    const evidence: EvidenceRef[] = [
      ...firstOf(without).map((c) => ({
        type: 'supplier' as const,
        id: c.st.supplier.id,
        summary: c.submitted
          ? `${name(c)}: assessment ${c.submitted.id} awaits sign-off by ${missingOf(c).join(', ')}`
          : c.st.lastComplete
            ? `${name(c)}: last assessed ${new Date(c.st.lastComplete.completed_at!).toISOString().slice(0, 10)}, more than ${interval} days ago`
            : `${name(c)}: never assessed`,
      })),
      ...firstOf(late).map(({ c, t }) => ({
        type: 'supplier' as const,
        id: c.st.supplier.id,
        summary: `${name(c)}: ${t.type} treatment owned by ${t.owner_email} was due ${t.due_date}`,
      })),
    ];
    const used = (owner: 'customer' | 'msp') => critical.some((c) => c.owner === owner);
    const registersUsed = [
      ...(used('customer') ? [customer.register ?? undefined] : []),
      ...(used('msp') ? [msp.register ?? undefined] : []),
    ];
    const stalest = Math.min(...registersUsed.map((r) => lastTouched(r) ?? 0));
    const base = { observed, expected, evidence, scope: critical.length };
    if (critical.length && now.getTime() - stalest > REGISTER_STALE_DAYS * DAY_MS)
      return {
        ...base,
        status: 'unknown',
        reason: `stale: a supplier register was neither reviewed nor changed for over ${REGISTER_STALE_DAYS} days, so its list of critical suppliers cannot be relied on`,
        dataAt: stalest ? new Date(stalest) : null,
      };
    if (without.length)
      return {
        ...base,
        status: 'fail',
        reason: `${without.length} of ${critical.length} critical supplier(s) without a current, signed-off assessment: ${observed.without.join(', ')}${awaiting.length ? ` (${awaiting.length} awaiting sign-off)` : ''}`,
        dataAt: now,
      };
    return {
      ...base,
      status: late.length ? 'partial' : 'pass',
      reason: late.length
        ? `all ${critical.length} critical supplier(s) have a current, signed-off assessment, but ${late.length} treatment(s) are past their due date`
        : `all ${critical.length} critical supplier(s) have a current assessment signed off by security, legal and procurement, and no treatment is late`,
      dataAt: now,
    };
  },
};

/**
 * SCR-03: the MSP's published vendor list was updated (an entry published, changed or withdrawn, or
 * the MSP's register reviewed) within `vendor_list_update_days`. Whether vendor incidents reached the
 * customer in time is not measured here (the attestation covers it): observed says so.
 */
export const scr03: Check = {
  controlId: 'SCR-03',
  reads: ['suppliers'],
  async run(input) {
    const limit = num(input.parameters, 'vendor_list_update_days');
    const { mspOrgId, now } = input;
    const { published, register: r } = await mspSupplyChain(input);
    const updated = Math.max(
      time(r?.published_changed_at) ?? 0,
      time(r?.reviewed_at) ?? 0,
      ...published.map((p) => time(p.updated_at) ?? 0),
    );
    const age = updated ? days(now.getTime() - updated) : null;
    const observed = {
      publishedVendors: published.length,
      lastUpdate: updated ? new Date(updated).toISOString() : null,
      daysSinceMspVendorListUpdate: age,
      vendorIncidentsNotifiedLate: null,
    };
    const base = {
      observed,
      expected: { vendorListUpdateDays: limit },
      evidence: [
        {
          type: 'supplier_register' as const,
          id: mspOrgId,
          summary: `the MSP publishes ${published.length} vendor(s)${
            published.length
              ? `: ${firstOf(
                  published.map((p) => p.name),
                  10,
                ).join(', ')}`
              : ''
          }`,
        },
      ],
      dataAt: now,
      scope: published.length,
    };
    if (!published.length)
      return { ...base, status: 'unknown', reason: 'the MSP publishes no vendor list to its customers' };
    return age! <= limit
      ? {
          ...base,
          status: 'pass',
          reason: `the MSP's vendor list was updated ${age} day(s) ago (agreed: at most ${limit})`,
        }
      : {
          ...base,
          status: 'fail',
          reason: `the MSP's vendor list was last updated ${age} day(s) ago (agreed: at most ${limit})`,
        };
  },
};
