import { sql } from 'kysely';
import type { AccountItem } from '@accord/contracts';
import { compileBuiltinRules } from '../../detection/engine/builtin.ts';
import type { CompiledRule } from '../../detection/engine/rule.types.ts';
import { checkTimespan } from '../../detection/engine/validate.ts';
import type { Check, CheckInput, CheckOutcome } from '../check.types.ts';
import { attestedHalf, withAttestedHalf } from './attested-half.ts';
import { firstOf } from './inventory-data.ts';
import { DAY_MS, list, num } from './params.ts';
import { perRun, runLastDelivery, runSnapshot } from './run-memo.ts';

/** How far back the MSP-activity checks look. */
export const ACTIVITY_WINDOW_DAYS = 30;
const since = (input: CheckInput, d = ACTIVITY_WINDOW_DAYS) => new Date(input.now.getTime() - d * DAY_MS);

/**
 * LOG-05: the customer sees what MSP accounts do. Data half: the 95th percentile of the delay
 * between an MSP-account event and its arrival in the customer's store (received - event time)
 * over 30 days is within `visibility_delay_minutes`. Review half: the control's latest attestation
 * (a review of MSP activity, docs/evidence.md) is accepted, and the customer took part in it (made
 * it, or accepted it) within `msp_activity_review_days`.
 */
export const log05: Check = {
  controlId: 'LOG-05',
  reads: ['events', 'evidence'],
  async run(input) {
    const limit = num(input.parameters, 'visibility_delay_minutes');
    const reviewDays = num(input.parameters, 'msp_activity_review_days');
    const r = await input.db
      .selectFrom('events')
      .select((eb) => [
        eb.fn.countAll<number>().as('n'),
        sql<
          number | null
        >`percentile_cont(0.95) within group (order by greatest(0, extract(epoch from (received_at - time))) / 60.0)`.as(
          'p95',
        ),
        eb.fn.min('time').as('oldest'),
      ])
      .where('org_id', '=', input.customerOrgId)
      .where('is_msp', '=', true)
      .where('time', '>=', since(input))
      .executeTakeFirstOrThrow();
    const n = Number(r.n);
    const p95 = r.p95 === null ? null : Math.round(Number(r.p95) * 10) / 10;
    const data: CheckOutcome = {
      status: p95 !== null && p95 <= limit ? 'pass' : 'fail',
      reason:
        n === 0
          ? `no MSP-account event in ${ACTIVITY_WINDOW_DAYS} days`
          : `${n} MSP-account events in ${ACTIVITY_WINDOW_DAYS} days reached the customer within ${p95} min (95th percentile; agreed ${limit})`,
      observed: { mspEvents: n, visibilityDelayMinutesP95: p95 },
      expected: { visibilityDelayMinutes: limit, mspActivityReviewDays: reviewDays },
      evidence: n
        ? [
            {
              type: 'events',
              summary: `${n} MSP-account events since ${since(input).toISOString().slice(0, 10)}, delay p95 ${p95} min`,
            },
          ]
        : [],
      dataAt: await runLastDelivery(input, input.customerOrgId),
      scope: n,
    };
    const att = await attestedHalf(input.db, input);
    // The customer's part in the review: its own attestation, or its acceptance of the MSP's.
    const reviewedAt =
      att.state === 'accepted' ? (att.party === 'customer' ? att.attestedAt : att.reviewedAt) : null;
    const age = reviewedAt ? Math.floor((input.now.getTime() - reviewedAt.getTime()) / DAY_MS) : null;
    const current = age !== null && age <= reviewDays;
    const out = withAttestedHalf(
      data,
      current ? att : { ...att, state: att.state === 'accepted' ? 'expired' : att.state },
      age !== null && !current
        ? `customer review of MSP activity ${age} days ago (agreed ${reviewDays})`
        : 'customer review of MSP activity',
      input.now,
    );
    return { ...out, observed: { ...out.observed, daysSinceCustomerReview: age } };
  },
};

/** The source categories whose sign-ins are remote access (MFA-02). */
export const REMOTE_ACCESS_CATEGORIES = ['vpn', 'remote_access'];

const categoriesOf = (c: unknown): string[] =>
  typeof c === 'string' ? (JSON.parse(c) as string[]) : ((c as string[] | null) ?? []);

/**
 * MFA-02: successful sign-ins through remote-access sources (categories `vpn`, `remote_access`)
 * over 30 days used MFA. Sign-ins whose MFA state the source does not report are counted apart and
 * do not count either way. The tools' MFA settings are the attested half.
 */
export const mfa02: Check = {
  controlId: 'MFA-02',
  reads: ['events', 'sources', 'evidence'],
  async run(input) {
    const sources = (
      await input.db
        .selectFrom('log_sources')
        .select(['id', 'name', 'categories'])
        .where('org_id', '=', input.customerOrgId)
        .where('disabled_at', 'is', null)
        .execute()
    ).filter((s) => categoriesOf(s.categories).some((c) => REMOTE_ACCESS_CATEGORIES.includes(c)));
    const rows = sources.length
      ? await input.db
          .selectFrom('events')
          .select((eb) => ['source_id', 'mfa_used', 'username', eb.fn.countAll<number>().as('n')])
          .where('org_id', '=', input.customerOrgId)
          .where(
            'source_id',
            'in',
            sources.map((s) => s.id),
          )
          .where('time', '>=', since(input))
          .where('class', '=', 'authentication')
          .where('outcome', '=', 'success')
          .groupBy(['source_id', 'mfa_used', 'username'])
          .execute()
      : [];
    const count = (f: (r: (typeof rows)[number]) => boolean) =>
      rows.filter(f).reduce((a, r) => a + Number(r.n), 0);
    const known = count((r) => r.mfa_used !== null);
    const without = rows.filter((r) => r.mfa_used === false);
    const bad = count((r) => r.mfa_used === false);
    const name = new Map(sources.map((s) => [s.id, s.name]));
    const data: CheckOutcome = {
      status: bad === 0 ? 'pass' : 'fail',
      reason:
        sources.length === 0
          ? 'no remote-access (vpn, remote_access) log source'
          : bad === 0
            ? `all ${known} remote-access sign-ins with a reported MFA state in ${ACTIVITY_WINDOW_DAYS} days used MFA`
            : `${bad} of ${known} remote-access sign-ins in ${ACTIVITY_WINDOW_DAYS} days did not use MFA`,
      observed: {
        remoteAccessSources: sources.length,
        signIns: known,
        withoutMfa: bad,
        mfaStateNotReported: count((r) => r.mfa_used === null),
      },
      expected: { remoteAccessSignInsWithoutMfa: 0, remoteAccessToolsWithoutMfa: 0 },
      evidence: firstOf(without).map((r) => ({
        type: 'events' as const,
        summary: `${r.username ?? '(no name)'}: ${Number(r.n)} sign-in(s) without MFA through ${name.get(r.source_id)}`,
      })),
      dataAt: await runLastDelivery(input, input.customerOrgId),
      scope: known,
    };
    return withAttestedHalf(
      data,
      await attestedHalf(input.db, input),
      "remote-access tools' MFA settings",
      input.now,
    );
  },
};

/** Normalised activities that register, reset, suspend or remove an MFA method (Okta, Entra audit). */
export const MFA_CHANGE_ACTIVITIES = [
  'mfa_factor_activated',
  'mfa_factor_deactivated',
  'mfa_factors_reset',
  'mfa_factor_suspended',
  'disable_strong_authentication',
  'user_registered_security_info',
  'user_deleted_security_info',
  'admin_registered_security_info',
  'admin_deleted_security_info',
];

/**
 * MFA-05 (data half): every MFA method change over 30 days on an MSP or privileged account (the
 * event's target, else its actor: an MSP-marked event, or an MSP-owned or privileged account of
 * the identity inventory) is covered by an alert that was not suppressed: the alert cites the
 * event, or its group names the account and its episode spans the event. The conditional-access
 * policy half (no fail-open, no trusted-location bypass) is attested.
 */
export const mfa05: Check = {
  controlId: 'MFA-05',
  reads: ['events', 'alerts', 'identity', 'evidence'],
  async run(input) {
    const org = input.customerOrgId;
    const from = since(input);
    const snap = await runSnapshot<AccountItem>(input, org, 'identity');
    const watched = new Set(
      snap.items
        .filter((a) => a.mspOwned || a.privileged || a.privilegedRoles.length > 0)
        .map((a) => a.account.trim().toLowerCase()),
    );
    const changes = (
      await input.db
        .selectFrom('events')
        .select(['batch_id', 'batch_pos', 'time', 'activity', 'username', 'target_user', 'is_msp'])
        .where('org_id', '=', org)
        .where('time', '>=', from)
        .where('activity', 'in', MFA_CHANGE_ACTIVITIES)
        .orderBy('time')
        .execute()
    )
      .map((e) => ({ ...e, account: (e.target_user ?? e.username ?? '').trim().toLowerCase() }))
      .filter((e) => e.is_msp || watched.has(e.account));
    const cited = new Set(
      changes.length
        ? (
            await input.db
              .selectFrom('alert_evidence as ae')
              .innerJoin('alerts as a', 'a.id', 'ae.alert_id')
              .select(['ae.batch_id', 'ae.batch_pos'])
              .where('ae.org_id', '=', org)
              .where('a.org_id', '=', org)
              .where('a.suppressed_by', 'is', null)
              .where('ae.time', '>=', from)
              .execute()
          ).map((r) => `${r.batch_id}/${r.batch_pos}`)
        : [],
    );
    const alerts = changes.length
      ? await input.db
          .selectFrom('alerts')
          .select(['group_values', 'first_seen', 'last_seen'])
          .where('org_id', '=', org)
          .where('suppressed_by', 'is', null)
          .where('last_seen', '>=', from)
          .execute()
      : [];
    const spans = (e: (typeof changes)[number]) =>
      alerts.some((a) => {
        const g = (
          typeof a.group_values === 'string' ? JSON.parse(a.group_values) : a.group_values
        ) as Record<string, string | null>;
        const t = new Date(e.time).getTime();
        return (
          Object.values(g).some((v) => v?.trim().toLowerCase() === e.account) &&
          new Date(a.first_seen).getTime() <= t &&
          t <= new Date(a.last_seen).getTime()
        );
      });
    const silent = changes.filter((e) => !cited.has(`${e.batch_id}/${e.batch_pos}`) && !spans(e));
    const data: CheckOutcome = {
      status: silent.length === 0 ? 'pass' : 'fail',
      reason:
        changes.length === 0
          ? `no MFA method change on an MSP or privileged account in ${ACTIVITY_WINDOW_DAYS} days`
          : silent.length === 0
            ? `all ${changes.length} MFA method changes on MSP or privileged accounts raised an alert`
            : `${silent.length} of ${changes.length} MFA method changes on MSP or privileged accounts raised no alert`,
      observed: { mfaMethodChanges: changes.length, withoutAlert: silent.length },
      expected: { mfaMethodChangesWithoutAlert: 0 },
      evidence: firstOf(silent).map((e) => ({
        type: 'events' as const,
        summary: `${new Date(e.time).toISOString()}: ${e.activity} on ${e.account || '(no name)'}${e.username && e.target_user ? ` by ${e.username}` : ''}, no alert`,
      })),
      dataAt: await runLastDelivery(input, org),
      scope: changes.length,
    };
    return withAttestedHalf(
      data,
      await attestedHalf(input.db, input),
      'MFA policy (no fail-open or bypass)',
      input.now,
    );
  },
};

/** The built-in rule that detects a failure burst on one account (AUT-01). */
export const BURST_RULE = 'accord-brute-force';
let builtins: CompiledRule[] | null = null;
const builtinRule = (id: string) => (builtins ??= compileBuiltinRules()).find((r) => r.id === id);

/** MSP accounts seen signing in (or failing to) in the window: the scope of AUT-01 and AUT-02. */
function mspAccountsSeen(input: CheckInput): Promise<string[]> {
  return perRun(input, `msp-accounts|${input.customerOrgId}`, () => readMspAccountsSeen(input));
}
async function readMspAccountsSeen(input: CheckInput): Promise<string[]> {
  const rows = await input.db
    .selectFrom('events')
    .select(sql<string>`lower(username)`.as('account'))
    .distinct()
    .where('org_id', '=', input.customerOrgId)
    .where('time', '>=', since(input))
    .where('is_msp', '=', true)
    .where('class', '=', 'authentication')
    .where('username', 'is not', null)
    .execute();
  return rows.map((r) => r.account).sort();
}

/** The tenant's rule settings (AUT-01 and AUT-02 read them), once per run. */
async function ruleSettings(input: CheckInput, ids: string[]) {
  const rows = await perRun(input, `rule-settings|${input.customerOrgId}`, () =>
    input.db
      .selectFrom('detection_rule_settings')
      .select(['rule_id', 'enabled', 'timespan', 'threshold'])
      .where('org_id', '=', input.customerOrgId)
      .execute(),
  );
  return new Map(rows.filter((r) => ids.includes(r.rule_id)).map((r) => [r.rule_id, r]));
}

/**
 * AUT-01: the tenant's failure-burst detection catches what the agreement asks: the built-in
 * per-account brute-force rule is enabled with a threshold at most `failed_auth_burst_count` over a
 * window of at least `failed_auth_burst_minutes` (its tuning for the tenant applied). Scope: the
 * MSP accounts seen in the sign-ins over 30 days (the rule groups by account, so it covers them).
 */
export const aut01: Check = {
  controlId: 'AUT-01',
  reads: ['events'],
  async run(input) {
    const count = num(input.parameters, 'failed_auth_burst_count');
    const minutes = num(input.parameters, 'failed_auth_burst_minutes');
    const rule = builtinRule(BURST_RULE);
    if (!rule || rule.kind !== 'correlation') throw new Error(`built-in rule ${BURST_RULE} is missing`);
    const s = (await ruleSettings(input, [BURST_RULE])).get(BURST_RULE);
    const enabled = s?.enabled !== false;
    const threshold = s?.threshold ?? rule.condition.gte ?? (rule.condition.gt ?? 0) + 1;
    const windowMs = s?.timespan
      ? (checkTimespan(s.timespan, BURST_RULE, []) ?? rule.timespanMs)
      : rule.timespanMs;
    const windowMin = windowMs / 60_000;
    const accounts = await mspAccountsSeen(input);
    const problems = [
      enabled ? '' : `rule ${BURST_RULE} is disabled for this tenant`,
      threshold <= count ? '' : `it alerts at ${threshold} failures, above the agreed ${count}`,
      windowMin >= minutes ? '' : `it counts over ${windowMin} min, shorter than the agreed ${minutes}`,
    ].filter(Boolean);
    return {
      status: problems.length === 0 ? 'pass' : 'fail',
      reason:
        problems.length === 0
          ? `${BURST_RULE} alerts at ${threshold} failures within ${windowMin} min on any of the ${accounts.length} MSP accounts seen`
          : problems.join('; '),
      observed: { mspAccounts: accounts.length, ruleEnabled: enabled, threshold, windowMinutes: windowMin },
      expected: { failedAuthBurstCount: count, failedAuthBurstMinutes: minutes },
      evidence: [
        {
          type: 'evidence',
          summary: `${BURST_RULE}: ${enabled ? 'enabled' : 'disabled'}, >= ${threshold} failures per account in ${windowMin} min${s?.threshold || s?.timespan ? ' (tuned for this tenant)' : ''}`,
        },
        ...firstOf(accounts).map((a) => ({ type: 'accounts' as const, summary: `MSP account ${a}` })),
      ],
      dataAt: await runLastDelivery(input, input.customerOrgId),
      scope: accounts.length,
    };
  },
};

/** The rules that flag MSP sign-ins outside the agreed windows or networks (AUT-02). */
export const OUT_OF_POLICY_RULES = ['accord-msp-outside-window', 'accord-msp-outside-network'];

/**
 * AUT-02: out-of-policy MSP activity (alerts of the window and network rules) is reviewed within
 * `review_within_days`: an alert still open after that fails, as does either rule being disabled.
 * Scope: the MSP accounts seen in the sign-ins over 30 days.
 */
export const aut02: Check = {
  controlId: 'AUT-02',
  reads: ['events', 'alerts'],
  async run(input) {
    const days = num(input.parameters, 'review_within_days');
    const windows = list(input.parameters, 'agreed_access_windows');
    const settings = await ruleSettings(input, OUT_OF_POLICY_RULES);
    const disabled = OUT_OF_POLICY_RULES.filter((id) => settings.get(id)?.enabled === false);
    const open = await input.db
      .selectFrom('alerts')
      .select(['id', 'rule_id', 'summary', 'created_at'])
      .where('org_id', '=', input.customerOrgId)
      .where('rule_id', 'in', OUT_OF_POLICY_RULES)
      .where('status', '=', 'open')
      .where('suppressed_by', 'is', null)
      .orderBy('created_at')
      .execute();
    const late = open.filter((a) => input.now.getTime() - new Date(a.created_at).getTime() > days * DAY_MS);
    const accounts = await mspAccountsSeen(input);
    const ok = late.length === 0 && disabled.length === 0;
    return {
      status: ok ? 'pass' : 'fail',
      reason: ok
        ? `no out-of-policy MSP activity left unreviewed beyond ${days} days (${open.length} open, within the window)`
        : [
            late.length
              ? `${late.length} out-of-policy MSP alert(s) unreviewed for more than ${days} days`
              : '',
            disabled.length ? `disabled rule(s): ${disabled.join(', ')}` : '',
          ]
            .filter(Boolean)
            .join('; '),
      observed: {
        mspAccounts: accounts.length,
        openAlerts: open.length,
        unreviewedOverWindow: late.length,
        disabledRules: disabled,
      },
      expected: { reviewWithinDays: days, agreedAccessWindows: windows, unreviewedOverWindow: 0 },
      evidence: firstOf(late).map((a) => ({
        type: 'alerts' as const,
        id: a.id,
        summary: `${a.rule_id}: "${a.summary}" open since ${new Date(a.created_at).toISOString()}`,
      })),
      dataAt: await runLastDelivery(input, input.customerOrgId),
      scope: accounts.length,
    };
  },
};
