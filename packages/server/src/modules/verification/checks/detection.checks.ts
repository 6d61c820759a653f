import type { Check } from '../check.types.ts';
import { firstOf } from './inventory-data.ts';
import { DAY_MS, lastDelivery, num } from './params.ts';

/** How far back LOG-08 measures acknowledgement times. */
export const ALERT_WINDOW_DAYS = 30;
const ACK_STATUSES = ['acknowledged', 'resolved', 'false_positive'];

/** The nearest-rank percentile of `xs` (sorted ascending). */
const percentile = (xs: number[], p: number) => xs[Math.max(0, Math.ceil(p * xs.length) - 1)]!;

/**
 * LOG-08: the 95th percentile of the time from a high or critical alert opening to its first
 * acknowledgement (or resolution), over 30 days, is within `high_alert_ack_minutes`. An alert still
 * open counts with its age so far. Suppressed alerts are left out.
 */
export const log08: Check = {
  controlId: 'LOG-08',
  reads: ['alerts', 'events'],
  async run(input) {
    const limit = num(input.parameters, 'high_alert_ack_minutes');
    const org = input.customerOrgId;
    const rows = await input.db
      .selectFrom('alerts as a')
      .leftJoin(
        (eb) =>
          eb
            .selectFrom('alert_history')
            .select((h) => ['alert_id', h.fn.min('at').as('acked_at')])
            .where('org_id', '=', org)
            .where('to_status', 'in', ACK_STATUSES)
            .groupBy('alert_id')
            .as('h'),
        (j) => j.onRef('h.alert_id', '=', 'a.id'),
      )
      .select(['a.id', 'a.rule_title', 'a.level', 'a.created_at', 'h.acked_at'])
      .where('a.org_id', '=', org)
      .where('a.level', 'in', ['high', 'critical'])
      .where('a.suppressed_by', 'is', null)
      .where('a.created_at', '>=', new Date(input.now.getTime() - ALERT_WINDOW_DAYS * DAY_MS))
      .execute();
    const measured = rows
      .map((r) => {
        const end = r.acked_at ? new Date(r.acked_at as Date).getTime() : input.now.getTime();
        return {
          ...r,
          minutes: Math.max(0, (end - new Date(r.created_at).getTime()) / 60_000),
          open: !r.acked_at,
        };
      })
      .sort((a, b) => a.minutes - b.minutes);
    const p95 = measured.length
      ? Math.round(
          percentile(
            measured.map((m) => m.minutes),
            0.95,
          ) * 10,
        ) / 10
      : null;
    const late = measured.filter((m) => m.minutes > limit).reverse();
    return {
      status: p95 !== null && p95 <= limit ? 'pass' : 'fail',
      reason:
        p95 === null
          ? `no high or critical alert in ${ALERT_WINDOW_DAYS} days`
          : `95% of ${measured.length} high/critical alerts in ${ALERT_WINDOW_DAYS} days were acknowledged within ${p95} min (agreed ${limit})`,
      observed: {
        alerts: measured.length,
        ackMinutesP95: p95,
        late: late.length,
        unacknowledged: measured.filter((m) => m.open).length,
      },
      expected: { highAlertAckMinutes: limit },
      evidence: firstOf(late).map((m) => ({
        type: 'alerts' as const,
        id: m.id,
        summary: `${m.level} "${m.rule_title}": ${m.open ? 'not acknowledged after' : 'acknowledged after'} ${Math.round(m.minutes)} min`,
      })),
      dataAt: await lastDelivery(input.db, org),
      scope: measured.length,
    };
  },
};

/** The log source categories that carry authentication (PIC-04's sources). */
export const AUTH_CATEGORIES = ['identity_signin', 'server_auth', 'vpn', 'remote_access'];
/** The built-in brute-force and spraying detections (and the building block they count). */
export const CREDENTIAL_RULES = [
  'accord-bb-password-failure',
  'accord-brute-force',
  'accord-spray-fast',
  'accord-spray-slow',
  'accord-spray-distributed',
];

const categoriesOf = (c: unknown): string[] =>
  typeof c === 'string' ? (JSON.parse(c) as string[]) : ((c as string[] | null) ?? []);

/**
 * PIC-04 (its data half): every enabled authentication source delivered within its expected
 * interval, and the tenant has the built-in brute-force and spraying rules enabled. The password
 * policy half is attested.
 */
export const pic04: Check = {
  controlId: 'PIC-04',
  reads: ['sources', 'events'],
  async run(input) {
    const org = input.customerOrgId;
    const sources = (
      await input.db
        .selectFrom('log_sources')
        .select(['id', 'name', 'categories', 'expected_interval_minutes', 'last_received_at'])
        .where('org_id', '=', org)
        .where('disabled_at', 'is', null)
        .orderBy('name')
        .execute()
    ).filter((s) => categoriesOf(s.categories).some((c) => AUTH_CATEGORIES.includes(c)));
    const disabled = (
      await input.db
        .selectFrom('detection_rule_settings')
        .select('rule_id')
        .where('org_id', '=', org)
        .where('rule_id', 'in', CREDENTIAL_RULES)
        .where('enabled', '=', false)
        .orderBy('rule_id')
        .execute()
    ).map((r) => r.rule_id);
    const silent = sources.filter(
      (s) =>
        !s.last_received_at ||
        input.now.getTime() - new Date(s.last_received_at).getTime() > s.expected_interval_minutes * 60_000,
    );
    const ok = silent.length === 0 && disabled.length === 0;
    return {
      status: ok ? 'pass' : 'fail',
      reason: ok
        ? `${sources.length} authentication source(s) fed within their interval and the brute-force and spraying rules are enabled`
        : [
            silent.length ? `silent authentication source(s): ${silent.map((s) => s.name).join(', ')}` : '',
            disabled.length ? `disabled rule(s): ${disabled.join(', ')}` : '',
          ]
            .filter(Boolean)
            .join('; '),
      observed: { authSources: sources.length, silent: silent.map((s) => s.name), disabledRules: disabled },
      expected: { authCategories: AUTH_CATEGORIES, enabledRules: CREDENTIAL_RULES },
      evidence: [
        ...sources.map((s) => ({
          type: 'log_source' as const,
          id: s.id,
          summary: `${s.name}: last delivery ${s.last_received_at ? new Date(s.last_received_at).toISOString() : 'never'} (expected every ${s.expected_interval_minutes} min)`,
        })),
        ...disabled.map((r) => ({
          type: 'evidence' as const,
          summary: `rule ${r} is disabled for this tenant`,
        })),
      ],
      dataAt: await lastDelivery(input.db, org),
      scope: sources.length,
    };
  },
};
