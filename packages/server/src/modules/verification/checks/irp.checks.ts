import { REQUIRED_ROLE_MEANING, type PlanRole } from '@accord/contracts';
import type { Check, CheckOutcome } from '../check.types.ts';
import { approvedPlan } from '../../incidents/plan-views.ts';
import { peopleOf } from '../../incidents/ir-access.ts';
import { peopleRefs, unfilledRoles } from '../../incidents/plan-rules.ts';
import { plansRepo } from '../../incidents/plans.repo.ts';
import { DAY_MS, days, isoDay, list, num } from './params.ts';

/**
 * The incident-response controls, read from the customer's records in Accord (its plans,
 * exercises, incidents and follow-up actions). Those records are read as they are at evaluation
 * time, so IRP-01, IRP-02 and IRP-03 are never stale: the age of a review, an exercise or a due
 * date is what they measure, and time passing makes them fail, not unknown. LOG-09's pass also
 * rests on incidents being declared, which rests on detection having logs: a pass is as fresh as
 * the tenant's newest log delivery; a fail rests on the records alone.
 */

/** IRP-01's catalog default, used by IRP-02 when the agreement has no IRP-01. */
export const DEFAULT_REQUIRED_ROLES = [
  'executive',
  'technical_lead',
  'procurement_officer',
  'msp_contact',
  'legal_communications',
];
export const irRef = (id: string, summary: string) => ({ type: 'ir_records' as const, id, summary });

/**
 * IRP-01: the approved incident response plan (and recovery plan) reviewed within
 * `plan_review_days`, every role of `required_roles` filled (a current member with an out-of-band
 * contact), and the hard copy attested on IRP-01, accepted by the other party within
 * `plan_review_days`. Review overdue, a role unfilled, or the hard copy disputed or too old: fail.
 * All that holds but no approved recovery plan, or the hard copy not (yet) accepted: partial.
 */
export const irp01: Check = {
  controlId: 'IRP-01',
  reads: ['ir_plans', 'evidence'],
  async run(input): Promise<CheckOutcome> {
    const limit = num(input.parameters, 'plan_review_days');
    const required = list(input.parameters, 'required_roles');
    const org = input.customerOrgId;
    const ir = await approvedPlan(input.db, org, 'incident_response');
    const rec = await approvedPlan(input.db, org, 'recovery');
    const expected = {
      planReviewDays: limit,
      requiredRoles: required,
      requiredRolesUnfilled: 0,
      hardCopy: 'accepted',
    };
    if (!ir)
      return {
        status: 'unknown',
        reason: 'no approved incident response plan in Accord',
        observed: { recoveryPlan: rec !== null },
        expected,
        evidence: [],
        dataAt: input.now,
        scope: 0,
      };
    const content = ir.version.content;
    const people = await peopleOf(
      input.db,
      org,
      peopleRefs(content).map((r) => r.userId),
      input.now,
    );
    const unfilled = unfilledRoles(content, required, people);
    const plans = [ir, rec].filter((p) => p !== null);
    const ages = plans.map((p) => ({ p, days: days(input.now.getTime() - p.lastReviewedAt.getTime()) }));
    const overdue = ages.filter((a) => a.days > limit);
    const att = input.attestationOf
      ? await input.attestationOf(input.agreementId, 'IRP-01', input.now)
      : null;
    const attestedAt = att?.attestation ? new Date(att.attestation.created_at) : null;
    const copyDays = attestedAt ? days(input.now.getTime() - attestedAt.getTime()) : null;
    const copy: 'ok' | 'fail' | 'unknown' =
      att?.state === 'disputed' || (att?.state === 'accepted' && copyDays! > limit)
        ? 'fail'
        : att?.state === 'accepted'
          ? 'ok'
          : 'unknown';
    const problems = [
      ...overdue.map(
        (a) => `the ${a.p.plan.kind.replace('_', ' ')} plan was last reviewed ${a.days} days ago`,
      ),
      ...(unfilled.length ? [`required role(s) unfilled: ${unfilled.join(', ')}`] : []),
      ...(copy === 'fail'
        ? [
            att!.state === 'disputed'
              ? 'the hard copy attestation is disputed'
              : `the hard copy was attested ${copyDays} days ago`,
          ]
        : []),
    ];
    const gaps = [
      ...(rec ? [] : ['no approved recovery plan']),
      ...(copy === 'unknown'
        ? [`the hard copy is not attested and accepted (attestation ${att?.state ?? 'none'})`]
        : []),
    ];
    return {
      status: problems.length ? 'fail' : gaps.length ? 'partial' : 'pass',
      reason: problems.length
        ? problems.join('; ')
        : gaps.length
          ? gaps.join('; ')
          : `plans reviewed within ${limit} days, every required role filled, hard copy attested ${copyDays} days ago`,
      observed: {
        daysSincePlanReview: Math.max(...ages.map((a) => a.days)),
        requiredRolesUnfilled: unfilled,
        recoveryPlan: rec !== null,
        hardCopy: { attestation: att?.state ?? 'none', daysSinceAttested: copyDays },
      },
      expected,
      evidence: ages.map((a) =>
        irRef(
          a.p.plan.id,
          `${a.p.plan.kind} plan version ${a.p.version.version} approved ${isoDay(new Date(a.p.version.approved_at!))}, last reviewed ${isoDay(a.p.lastReviewedAt)}`,
        ),
      ),
      dataAt: input.now,
      scope: plans.length,
    };
  },
};

/**
 * IRP-02: a joint exercise (attended by people of the customer and of this MSP) held within
 * `exercise_interval_days`, with every required role (IRP-01's `required_roles` in this agreement,
 * else its catalog default) among those who attended the last one. Never exercised: unknown until
 * the interval after the plan's first approval has passed, then fail.
 */
export const irp02: Check = {
  controlId: 'IRP-02',
  reads: ['ir_plans', 'exercises'],
  async run(input): Promise<CheckOutcome> {
    const limit = num(input.parameters, 'exercise_interval_days');
    const org = input.customerOrgId;
    const required = await requiredRoles(input);
    const expected = { exerciseIntervalDays: limit, requiredRolesAbsentFromLastExercise: 0 };
    const ir = await approvedPlan(input.db, org, 'incident_response');
    if (!ir)
      return {
        status: 'unknown',
        reason: 'no approved incident response plan to exercise',
        observed: {},
        expected,
        evidence: [],
        dataAt: input.now,
        scope: 0,
      };
    const held = await input.db
      .selectFrom('ir_exercises')
      .select(['id', 'title', 'held_at', 'plan_id', 'plan_version'])
      .where('org_id', '=', org)
      .where('status', 'in', ['held', 'closed'])
      .where('held_at', '<=', input.now)
      .orderBy('held_at', 'desc')
      .execute();
    const attended = held.length
      ? await input.db
          .selectFrom('ir_exercise_participants')
          .select(['exercise_id', 'user_id', 'party_org_id', 'role'])
          .where('org_id', '=', org)
          .where(
            'exercise_id',
            'in',
            held.map((e) => e.id),
          )
          .where('attended', '=', true)
          .execute()
      : [];
    const last = held.find((e) => {
      const orgs = new Set(attended.filter((a) => a.exercise_id === e.id).map((a) => a.party_org_id));
      return orgs.has(org) && orgs.has(input.mspOrgId);
    });
    if (!last) {
      const due = new Date(ir.firstApprovedAt.getTime() + limit * DAY_MS);
      const late = input.now > due;
      return {
        status: late ? 'fail' : 'unknown',
        reason: `no joint exercise with the MSP yet; ${late ? 'it was due' : 'the first is due'} by ${isoDay(due)} (${limit} days after the plan was first approved)`,
        observed: { daysSinceJointExercise: null, exercisesHeld: held.length },
        expected,
        evidence: [irRef(ir.plan.id, `incident response plan first approved ${isoDay(ir.firstApprovedAt)}`)],
        dataAt: input.now,
        scope: 1,
      };
    }
    // The roles present: those recorded for the attendees, and every role they hold in the plan
    // version exercised (one person may hold several, e.g. legal and communications).
    const present = attended.filter((a) => a.exercise_id === last.id);
    const exercised =
      (last.plan_version !== null
        ? (await plansRepo.version(input.db, org, last.plan_id, last.plan_version))?.content
        : undefined) ?? ir.version.content;
    const who = new Set(present.map((a) => a.user_id));
    const roles = new Set<PlanRole>([
      ...present.map((a) => a.role as PlanRole),
      ...exercised.roles
        .filter((r) => who.has(r.userId) || (r.deputyUserId && who.has(r.deputyUserId)))
        .map((r) => r.role),
    ]);
    const absent = required.filter(
      (n) => !(REQUIRED_ROLE_MEANING[n] ?? [n]).every((r) => roles.has(r as PlanRole)),
    );
    const since = days(input.now.getTime() - new Date(last.held_at!).getTime());
    const ok = since <= limit && absent.length === 0;
    return {
      status: ok ? 'pass' : 'fail',
      reason: [
        `last joint exercise ${since} days ago (agreed at most ${limit})`,
        absent.length
          ? `required role(s) absent from it: ${absent.join(', ')}`
          : 'every required role attended',
      ].join('; '),
      observed: {
        daysSinceJointExercise: since,
        rolesAbsentFromLastExercise: absent,
        exercisesHeld: held.length,
      },
      expected,
      evidence: [irRef(last.id, `"${last.title}" held ${isoDay(new Date(last.held_at!))}`)],
      dataAt: input.now,
      scope: 1,
    };
  },
};

/** IRP-01's required roles in the same agreement's version in force, else the catalog default. */
async function requiredRoles(input: Parameters<Check['run']>[0]): Promise<string[]> {
  const v = await input.db
    .selectFrom('agreement_versions')
    .select('content')
    .where('agreement_id', '=', input.agreementId)
    .where('state', '=', 'active')
    .executeTakeFirst();
  const content = (typeof v?.content === 'string' ? JSON.parse(v.content) : v?.content) as
    { controls: { controlId: string; parameters: Record<string, unknown> }[] } | undefined;
  const irp01Params = content?.controls.find((c) => c.controlId === 'IRP-01')?.parameters;
  return irp01Params ? list(irp01Params, 'required_roles') : DEFAULT_REQUIRED_ROLES;
}
