import type { Cadence } from '@accord/contracts';
import type { Db } from '../../../platform/db/db.ts';
import { verifyStored } from '../../audit/audit.service.ts';
import { STALE_AFTER_MS, type Check, type EvidenceRef } from '../check.types.ts';
import { firstOf } from './inventory-data.ts';
import { share } from './params.ts';
import { perRun } from './run-memo.ts';

interface VersionControl {
  controlId: string;
  owner: string;
  cadence: string;
}

/** The agreement's active version: its content's controls, digest and the acceptances of that digest. */
async function activeVersion(db: Db, agreementId: string, customerOrgId: string) {
  const v = await db
    .selectFrom('agreement_versions')
    .select(['id', 'version', 'digest', 'content', 'activated_at'])
    .where('agreement_id', '=', agreementId)
    .where('customer_org_id', '=', customerOrgId)
    .where('state', '=', 'active')
    .executeTakeFirst();
  if (!v) return null;
  const content = (typeof v.content === 'string' ? JSON.parse(v.content) : v.content) as {
    controls: VersionControl[];
  };
  const acceptances = await db
    .selectFrom('agreement_acceptances')
    .select(['party', 'digest', 'user_label', 'accepted_at'])
    .where('version_id', '=', v.id)
    .orderBy('accepted_at')
    .execute();
  return { ...v, controls: content.controls, acceptances };
}

/**
 * TRN-01: every agreed control has one accountable party (the MSP or the customer; `shared` names
 * none), and both parties accepted the active version's content digest. Two requirements: both
 * holding pass, one partial, none fail. The agreement is read as it is now, so never stale.
 */
export const trn01: Check = {
  controlId: 'TRN-01',
  reads: ['evidence'],
  async run(input) {
    const v = await perRun(input, `version|${input.agreementId}|${input.customerOrgId}`, () =>
      activeVersion(input.db, input.agreementId, input.customerOrgId),
    );
    if (!v)
      return {
        status: 'unknown',
        reason: 'the agreement has no active version',
        observed: {},
        expected: { sharedOwnership: 0, acceptedByBothParties: true },
        evidence: [],
        dataAt: input.now,
        scope: 0,
      };
    const shared = v.controls.filter((c) => c.owner !== 'msp' && c.owner !== 'customer');
    const accepted = new Set(v.acceptances.filter((a) => a.digest === v.digest).map((a) => a.party));
    const both = !!v.digest && accepted.has('msp') && accepted.has('customer');
    const missing = (['msp', 'customer'] as const).filter((p) => !accepted.has(p));
    const ok = (shared.length === 0 ? 1 : 0) + (both ? 1 : 0);
    const evidence: EvidenceRef[] = [
      ...v.acceptances.map((a) => ({
        type: 'evidence' as const,
        id: v.id,
        summary: `version ${v.version} accepted by the ${a.party} (${a.user_label}, ${new Date(a.accepted_at).toISOString()})${a.digest === v.digest ? '' : ' for another digest'}`,
      })),
      ...firstOf(shared).map((c) => ({
        type: 'evidence' as const,
        summary: `${c.controlId}: owner "${c.owner}", no single accountable party`,
      })),
    ];
    return {
      status: share(ok, 2),
      reason: [
        shared.length === 0
          ? `all ${v.controls.length} controls have one accountable party`
          : `${shared.length} of ${v.controls.length} controls are shared, with no single accountable party: ${firstOf(
              shared,
              10,
            )
              .map((c) => c.controlId)
              .join(', ')}`,
        both
          ? `version ${v.version} (digest ${v.digest!.slice(0, 12)}) is accepted by both parties`
          : `version ${v.version} is not accepted by the ${missing.join(' and ')}`,
      ].join('; '),
      observed: {
        version: v.version,
        controls: v.controls.length,
        sharedControls: shared.map((c) => c.controlId),
        acceptedBy: [...accepted].sort(),
        digest: v.digest,
      },
      expected: { sharedOwnership: 0, acceptedByBothParties: true },
      evidence,
      dataAt: input.now,
      scope: v.controls.length,
    };
  },
};

/**
 * TRN-04: every MSP-owned control of the agreement (other than TRN-04) has a current result resting
 * on evidence: evaluated within its cadence and neither unknown nor error; and the customer's audit
 * chain verifies. It reads the stored results of earlier runs (a run stores its results together,
 * after every check has run).
 */
export const trn04: Check = {
  controlId: 'TRN-04',
  reads: ['evidence'],
  async run(input) {
    const v = await perRun(input, `version|${input.agreementId}|${input.customerOrgId}`, () =>
      activeVersion(input.db, input.agreementId, input.customerOrgId),
    );
    const owned = (v?.controls ?? []).filter((c) => c.owner === 'msp' && c.controlId !== 'TRN-04');
    const rows = owned.length
      ? await input.db
          .selectFrom('control_status')
          .select(['control_id', 'status', 'evaluated_at', 'reason'])
          .where('agreement_id', '=', input.agreementId)
          .where('customer_org_id', '=', input.customerOrgId)
          .where(
            'control_id',
            'in',
            owned.map((c) => c.controlId),
          )
          .execute()
      : [];
    const byId = new Map(rows.map((r) => [r.control_id, r]));
    const short = owned.flatMap((c) => {
      const r = byId.get(c.controlId);
      if (!r) return [{ id: c.controlId, why: 'never evaluated' }];
      const age = input.now.getTime() - new Date(r.evaluated_at).getTime();
      if (age > STALE_AFTER_MS[c.cadence as Cadence])
        return [
          {
            id: c.controlId,
            why: `last evaluated ${new Date(r.evaluated_at).toISOString()}, older than its ${c.cadence} cadence`,
          },
        ];
      if (r.status === 'unknown' || r.status === 'error')
        return [{ id: c.controlId, why: `${r.status}: ${r.reason.slice(0, 160)}` }];
      return [];
    });
    const chain = await verifyStored(input.db, input.customerOrgId);
    const ok = short.length === 0 && chain.ok;
    return {
      status: ok ? 'pass' : 'fail',
      reason: [
        short.length === 0
          ? `all ${owned.length} MSP-owned controls have a current evidenced result`
          : `${short.length} of ${owned.length} MSP-owned controls lack a current evidenced result: ${firstOf(
              short,
              10,
            )
              .map((s) => s.id)
              .join(', ')}`,
        chain.ok
          ? `the customer's audit chain verifies (${chain.entries} entries)`
          : `the customer's audit chain is broken at entry ${chain.firstBrokenSeq}: ${chain.reason}`,
      ].join('; '),
      observed: {
        mspOwnedControls: owned.length,
        withoutCurrentResult: short.map((s) => s.id),
        auditEntriesVerified: chain.entries,
        auditChainIntact: chain.ok,
      },
      expected: { mspOwnedControlsWithoutCurrentResult: 0, auditChainIntact: true },
      evidence: [
        {
          type: 'seal_chain',
          summary: chain.ok
            ? `audit chain: ${chain.entries} entries verify`
            : `audit chain broken at ${chain.firstBrokenSeq}: ${chain.reason}`,
        },
        ...firstOf(short).map((s) => ({ type: 'evidence' as const, summary: `${s.id}: ${s.why}` })),
      ],
      dataAt: input.now,
      scope: owned.length,
    };
  },
};
