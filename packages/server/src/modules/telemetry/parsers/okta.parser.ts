import type { EventClass, FailureReason, NormalisedEventInput, Outcome } from '@accord/contracts';
import { isPlainObject, jsonKind, parseTimestamp, toActivityName } from './generic-json.parser.ts';
import type { ParseContext, ParseResult, Parser } from './parser.types.ts';

/*
 * Okta System Log events (GET /api/v1/logs, log streaming, event hooks): the documented LogEvent
 * object with uuid, published, eventType, displayMessage, actor, client { ipAddress,
 * geographicalContext }, outcome { result, reason }, target[], authenticationContext,
 * debugContext.debugData, transaction.
 *
 * Event types Accord relies on are mapped explicitly below; every other well-formed event becomes
 * class `other` with its eventType as a snake_case activity, so nothing is lost.
 */

type Rec = Record<string, unknown>;

/**
 * How an event type is read:
 *  signin    primary sign-in (password / IdP)          mfa        a second-factor verification
 *  verify    an OIE authenticator check (password or factor, decided from the authenticator)
 *  challenge an MFA prompt sent (push)                  sso        sign-in to an app through Okta
 *  policy    a sign-on policy decision                  change     a directory or settings change
 *  session   session end
 */
type Kind = 'signin' | 'verify' | 'mfa' | 'challenge' | 'sso' | 'policy' | 'change' | 'session';
type Rule = { cls: EventClass; activity: string; kind: Kind; failure?: FailureReason };

const RULES = new Map<string, Rule>([
  ['user.session.start', { cls: 'authentication', activity: 'sign_in', kind: 'signin' }],
  ['user.authentication.auth_via_mfa', { cls: 'authentication', activity: 'mfa_verify', kind: 'mfa' }],
  ['user.authentication.verify', { cls: 'authentication', activity: 'authenticator_verify', kind: 'verify' }],
  ['user.authentication.sso', { cls: 'authentication', activity: 'sso', kind: 'sso' }],
  [
    'user.mfa.okta_verify.deny_push',
    { cls: 'authentication', activity: 'mfa_verify', kind: 'mfa', failure: 'mfa_denied' },
  ],
  [
    'user.mfa.okta_verify.deny_push_upgrade_needed',
    { cls: 'authentication', activity: 'mfa_verify', kind: 'mfa', failure: 'mfa_denied' },
  ],
  [
    'system.push.send_factor_verify_push',
    { cls: 'authentication', activity: 'mfa_challenge', kind: 'challenge' },
  ],
  ['policy.evaluate_sign_on', { cls: 'authentication', activity: 'sign_on_policy', kind: 'policy' }],
  [
    'application.policy.sign_on.deny_access',
    { cls: 'authentication', activity: 'app_sign_on_policy', kind: 'policy', failure: 'policy_blocked' },
  ],
  ['user.session.end', { cls: 'session', activity: 'logoff', kind: 'session' }],
  // MFA settings of a user: turning factors off or resetting them weakens MFA coverage.
  [
    'user.mfa.factor.deactivate',
    { cls: 'policy_change', activity: 'mfa_factor_deactivated', kind: 'change' },
  ],
  ['user.mfa.factor.reset_all', { cls: 'policy_change', activity: 'mfa_factors_reset', kind: 'change' }],
  ['user.mfa.factor.suspend', { cls: 'policy_change', activity: 'mfa_factor_suspended', kind: 'change' }],
  ['user.mfa.factor.activate', { cls: 'policy_change', activity: 'mfa_factor_activated', kind: 'change' }],
  ['user.account.lock', { cls: 'account_change', activity: 'account_locked', kind: 'change' }],
  ['user.account.lock.limit', { cls: 'account_change', activity: 'account_locked', kind: 'change' }],
  ['user.account.unlock', { cls: 'account_change', activity: 'account_unlocked', kind: 'change' }],
  ['user.account.unlock_by_admin', { cls: 'account_change', activity: 'account_unlocked', kind: 'change' }],
  ['user.account.reset_password', { cls: 'account_change', activity: 'password_reset', kind: 'change' }],
  ['user.account.update_password', { cls: 'account_change', activity: 'password_changed', kind: 'change' }],
  ['user.lifecycle.create', { cls: 'account_change', activity: 'user_created', kind: 'change' }],
  ['user.lifecycle.activate', { cls: 'account_change', activity: 'user_activated', kind: 'change' }],
  ['user.lifecycle.reactivate', { cls: 'account_change', activity: 'user_reactivated', kind: 'change' }],
  ['user.lifecycle.deactivate', { cls: 'account_change', activity: 'user_deactivated', kind: 'change' }],
  ['user.lifecycle.suspend', { cls: 'account_change', activity: 'user_suspended', kind: 'change' }],
  ['user.lifecycle.unsuspend', { cls: 'account_change', activity: 'user_unsuspended', kind: 'change' }],
  ['user.lifecycle.delete.initiated', { cls: 'account_change', activity: 'user_deleted', kind: 'change' }],
  ['group.user_membership.add', { cls: 'group_change', activity: 'member_added', kind: 'change' }],
  ['group.user_membership.remove', { cls: 'group_change', activity: 'member_removed', kind: 'change' }],
  ['user.account.privilege.grant', { cls: 'privilege_use', activity: 'admin_role_granted', kind: 'change' }],
  ['user.account.privilege.revoke', { cls: 'privilege_use', activity: 'admin_role_revoked', kind: 'change' }],
]);

const PASSWORD_RE = /password/i;
const LOCKED_RE = /LOCKED/i;
const REJECTED_RE = /rejected|declined|denied by user/i;
const TIMEOUT_RE = /time ?out|timed out|expired|no response|not respond/i;
const EXPIRED_RE = /EXPIRED/i;
const DISABLED_RE = /SUSPENDED|DEACTIVATED|DISABLED|INACTIVE/i;
const POLICY_RE = /polic|DENY|denied|not allowed|zone|blocked/i;
const MFA_REQUIRED_RE = /(MFA|factor).*(required|enrol)/i;

function text(v: unknown): string | null {
  if (typeof v === 'string') {
    const t = v.trim();
    return t === '' ? null : t;
  }
  return null;
}

function outcomeOf(result: string | null): Outcome {
  switch (result) {
    case 'SUCCESS':
    case 'ALLOW':
      return 'success';
    case 'FAILURE':
    case 'DENY':
      return 'failure';
    default:
      return 'unknown'; // SKIPPED, CHALLENGE, UNKNOWN, absent
  }
}

/** Okta's `outcome.reason` (a code such as INVALID_CREDENTIALS, or free text) as a failure reason. */
function reasonOf(reason: string | null, result: string | null, mfaStep: boolean, actorUnknown: boolean) {
  const r = reason ?? '';
  if (LOCKED_RE.test(r)) return 'locked';
  if (REJECTED_RE.test(r)) return 'mfa_denied'; // "User rejected Okta push verify"
  if (mfaStep && TIMEOUT_RE.test(r)) return 'mfa_timeout';
  if (r === 'INVALID_CREDENTIALS') return mfaStep ? 'invalid_mfa_code' : 'bad_password';
  if (r === 'VERIFICATION_ERROR') {
    // On a factor: the code or response did not verify. On sign-in: Okta logs it for a username it
    // does not know (actor id "unknown"); otherwise we cannot tell more than "other".
    if (mfaStep) return 'invalid_mfa_code';
    return actorUnknown ? 'unknown_user' : 'other';
  }
  if (r === 'UNKNOWN_USER' || /user not found/i.test(r)) return 'unknown_user';
  if (EXPIRED_RE.test(r)) return 'expired';
  if (DISABLED_RE.test(r)) return 'disabled';
  if (MFA_REQUIRED_RE.test(r)) return 'mfa_required';
  if (POLICY_RE.test(r) || result === 'DENY') return 'policy_blocked';
  return 'other';
}

function targets(ev: Rec): Rec[] {
  return Array.isArray(ev.target) ? ev.target.filter(isPlainObject) : [];
}

function firstTarget(list: readonly Rec[], type: string): Rec | null {
  return list.find((t) => t.type === type) ?? null;
}

/** The authenticator / factor used: target AuthenticatorEnrollment, debugData.factor, credentialType. */
function factorOf(ev: Rec, list: readonly Rec[], debugData: Rec | null): string | null {
  const enrollment = firstTarget(list, 'AuthenticatorEnrollment');
  const authCtx = isPlainObject(ev.authenticationContext) ? ev.authenticationContext : null;
  return (
    (enrollment ? (text(enrollment.displayName) ?? text(enrollment.alternateId)) : null) ??
    text(debugData?.factor) ??
    text(authCtx?.credentialType)
  );
}

function domainOf(login: string | null): string | null {
  if (login === null) return null;
  const at = login.lastIndexOf('@');
  return at > 0 && at < login.length - 1 ? login.slice(at + 1) : null;
}

function parseOkta(record: unknown, ctx: ParseContext): ParseResult {
  if (!isPlainObject(record)) return { ok: false, error: `record is ${jsonKind(record)}, not a JSON object` };
  const time = parseTimestamp(record.published, 'iso', ctx, 'published');
  if (!time.ok) return time;
  const eventType = text(record.eventType);
  if (eventType === null) return { ok: false, error: 'missing eventType' };

  const actor = isPlainObject(record.actor) ? record.actor : null;
  const client = isPlainObject(record.client) ? record.client : null;
  const outcomeObj = isPlainObject(record.outcome) ? record.outcome : null;
  const debugContext = isPlainObject(record.debugContext) ? record.debugContext : null;
  const debugData = debugContext && isPlainObject(debugContext.debugData) ? debugContext.debugData : null;
  const list = targets(record);

  const result = text(outcomeObj?.result)?.toUpperCase() ?? null;
  const vendorReason = text(outcomeObj?.reason);
  const user = text(actor?.alternateId) ?? text(actor?.displayName);
  const actorUnknown = text(actor?.id) === 'unknown' || text(actor?.displayName) === 'unknown';

  const rule = RULES.get(eventType);
  const factor = rule && rule.kind !== 'change' ? factorOf(record, list, debugData) : null;
  const factorIsPassword = factor !== null && PASSWORD_RE.test(factor);

  let activity = rule?.activity ?? toActivityName(eventType) ?? 'other';
  let mfaStep = rule?.kind === 'mfa' || rule?.kind === 'challenge';
  if (rule?.kind === 'verify') {
    if (factor === null) mfaStep = false;
    else if (factorIsPassword) activity = 'password_verify';
    else {
      activity = 'mfa_verify';
      mfaStep = true;
    }
  }

  // --- outcome and reason -------------------------------------------------------------------
  let outcome = outcomeOf(result);
  if (rule?.kind === 'challenge' && outcome === 'failure') outcome = 'unknown'; // a push not sent is no failed sign-in
  if (rule?.kind === 'policy' && rule.failure === undefined && result === 'CHALLENGE') outcome = 'unknown';
  if (rule?.failure) outcome = 'failure';
  let reason: FailureReason | null = null;
  if (outcome === 'failure') {
    reason =
      rule?.failure ??
      (rule?.kind === 'policy' ? 'policy_blocked' : reasonOf(vendorReason, result, mfaStep, actorUnknown));
  }

  // --- MFA used -----------------------------------------------------------------------------
  let mfaUsed: boolean | null = null;
  if (mfaStep && rule?.kind !== 'challenge') {
    mfaUsed = outcome === 'success' ? true : outcome === 'failure' ? false : null;
  } else if (rule?.kind === 'signin' && outcome === 'success' && factor !== null && !factorIsPassword) {
    mfaUsed = true;
  }

  // --- who and what was acted on ------------------------------------------------------------
  const targetUserRec = firstTarget(list, 'User');
  let targetUser = targetUserRec
    ? (text(targetUserRec.alternateId) ?? text(targetUserRec.displayName))
    : null;
  if (targetUser !== null && targetUser === user) targetUser = null;
  const groupRec = firstTarget(list, 'UserGroup');
  const appRec = firstTarget(list, 'AppInstance');

  let geo: NormalisedEventInput['geo'] = null;
  const geoCtx = client && isPlainObject(client.geographicalContext) ? client.geographicalContext : null;
  if (geoCtx) {
    const g: { country?: string; city?: string; lat?: number; lon?: number } = {};
    const country = text(geoCtx.country);
    const city = text(geoCtx.city);
    if (country !== null) g.country = country;
    if (city !== null) g.city = city;
    const loc = isPlainObject(geoCtx.geolocation) ? geoCtx.geolocation : null;
    const lat = loc?.lat;
    const lon = loc?.lon;
    if (typeof lat === 'number' && typeof lon === 'number' && Math.abs(lat) <= 90 && Math.abs(lon) <= 180) {
      g.lat = lat;
      g.lon = lon;
    }
    if (Object.keys(g).length > 0) geo = g;
  }

  let authProtocol: string | null = null;
  if (rule?.kind === 'sso') authProtocol = text(debugData?.signOnMode);
  else if (rule && rule.kind !== 'change') authProtocol = factor;

  const event: NormalisedEventInput = {
    time: time.iso,
    class: rule?.cls ?? 'other',
    activity,
    outcome,
    reason,
    reasonDetail:
      outcome === 'success'
        ? null
        : (vendorReason ?? (outcome === 'failure' ? text(record.displayMessage) : null)),
    user,
    userDomain: domainOf(user),
    targetUser,
    group: groupRec ? (text(groupRec.displayName) ?? text(groupRec.alternateId)) : null,
    srcIp: text(client?.ipAddress),
    geo,
    app: appRec ? (text(appRec.displayName) ?? text(appRec.alternateId)) : null,
    authProtocol,
    mfaUsed,
    vendorEventId: eventType,
  };
  return { ok: true, event };
}

export const oktaParser: Parser<unknown> = {
  kind: 'okta_system_log',
  input: 'json',
  parse: parseOkta,
};

/**
 * Splits an uploaded Okta document into events: an API page (a bare array), an event-hook
 * delivery (`{ "data": { "events": [...] } }`), or a single event.
 */
export function oktaRecords(json: unknown): unknown[] {
  if (Array.isArray(json)) return json;
  if (isPlainObject(json) && isPlainObject(json.data) && Array.isArray(json.data.events))
    return json.data.events;
  return [json];
}
