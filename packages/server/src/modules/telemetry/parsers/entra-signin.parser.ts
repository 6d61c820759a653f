import type { FailureReason, NormalisedEventInput, Outcome } from '@accord/contracts';
import { isPlainObject, jsonKind, parseTimestamp, shown, toActivityName } from './generic-json.parser.ts';
import type { ParseContext, ParseResult, Parser } from './parser.types.ts';

/*
 * Microsoft Entra ID sign-in logs. One parser reads the three shapes these records arrive in:
 *
 *  - Microsoft Graph `signIn` (GET /auditLogs/signIns, and the portal's "Download JSON"), camelCase:
 *    createdDateTime, userPrincipalName, status { errorCode, failureReason, additionalDetails },
 *    location { city, countryOrRegion, geoCoordinates }, authenticationDetails[], mfaDetail, ...
 *  - Log Analytics / Sentinel `SigninLogs` rows, PascalCase: TimeGenerated, CreatedDateTime,
 *    UserPrincipalName, ResultType (a string), ResultDescription, Status, LocationDetails,
 *    AuthenticationDetails (often a JSON *string*), MfaDetail, ...; dynamic columns may be objects
 *    or JSON text.
 *  - Azure Monitor diagnostic-setting records (Event Hub / storage), where the Graph-like fields
 *    sit under `properties` and the envelope has `time`, `resultType`, `callerIpAddress`.
 *
 * The outcome comes from the AADSTS error code (status.errorCode / ResultType). Interrupts that
 * are not failures (keep-me-signed-in and similar prompts) are `unknown`, not `failure`, so they do
 * not inflate failed-sign-in counts. The code is always kept in reasonDetail as `AADSTS<code>`.
 */

type Rec = Record<string, unknown>;

/** Error codes with a fixed meaning. 500121 and the MFA interrupts also read the step details. */
const CODE_REASONS = new Map<number, FailureReason>([
  // Strong authentication required (interrupt): the user has not done MFA yet.
  [50074, 'mfa_required'],
  [50076, 'mfa_required'],
  [50079, 'mfa_required'], // must register for MFA
  [50072, 'mfa_required'], // must enrol a second factor
  [50158, 'mfa_required'], // external security challenge not satisfied
  [500121, 'mfa_denied'], // authentication failed during the strong-authentication request
  [50126, 'bad_password'], // invalid username or password
  [50056, 'bad_password'], // invalid or null password
  [50034, 'unknown_user'], // user account does not exist in the directory
  [50053, 'locked'], // account locked (smart lockout), or sign-in blocked from a malicious IP
  [50057, 'disabled'], // user account is disabled
  [50055, 'expired'], // password expired
  [50144, 'expired'], // on-premises (AD) password expired
  [53000, 'policy_blocked'], // device not compliant
  [53001, 'policy_blocked'], // device not domain-joined
  [53002, 'policy_blocked'], // application not approved
  [53003, 'policy_blocked'], // blocked by Conditional Access
  [53004, 'policy_blocked'], // MFA registration blocked due to risk
  [530032, 'policy_blocked'], // blocked by security policy (security defaults / CA)
  [50105, 'policy_blocked'], // user not assigned to the application
]);

/** Interrupts: the sign-in paused for a prompt; neither a success nor a failure. */
const INTERRUPT_CODES = new Set([
  50140, // "keep me signed in" prompt
  50199, // "are you trying to sign in to ..." confirmation
  50125, // sign-in interrupted by password reset or registration
]);

const MFA_INTERRUPT_CODES = new Set([50074, 50076]);

/**
 * Client apps as Entra names them (`clientAppUsed`). Everything but the two modern-authentication
 * values is legacy (basic) authentication, which cannot do MFA. Compare lower-cased.
 */
export const ENTRA_MODERN_AUTH_CLIENTS: ReadonlySet<string> = new Set([
  'browser',
  'mobile apps and desktop clients',
]);
export const ENTRA_LEGACY_AUTH_CLIENTS: ReadonlySet<string> = new Set([
  'authenticated smtp',
  'autodiscover',
  'exchange activesync',
  'exchange online powershell',
  'exchange web services',
  'imap',
  'imap4',
  'mapi',
  'mapi over http',
  'offline address book',
  'other clients',
  'outlook anywhere (rpc over http)',
  'outlook service',
  'pop',
  'pop3',
  'reporting web services',
  'smtp',
  'universal outlook',
]);

/** True when a `clientAppUsed` value (kept verbatim in `authProtocol`) is legacy authentication. */
export function isLegacyAuthClient(clientAppUsed: string | null | undefined): boolean {
  return clientAppUsed != null && ENTRA_LEGACY_AUTH_CLIENTS.has(clientAppUsed.trim().toLowerCase());
}

// Step details: the primary methods that say nothing about MFA by themselves.
const FIRST_FACTOR_METHODS = new Set([
  'password',
  'previously satisfied',
  'satisfied by token',
  'unknown',
  '',
]);
const MFA_TEXT_RE = /\bMFA\b|multi-?factor/i;
const MFA_SATISFIED_RE = /MFA (requirement satisfied|successfully completed|completed)/i;
const MFA_TIMEOUT_RE =
  /not answered|did not respond|no response|timed? ?out|never entered|went to voicemail|unable to reach|no phone input/i;
const MFA_BAD_CODE_RE =
  /incorrect (code|pin)|invalid (mobile app )?verification code|invalid code|code already used/i;
const MFA_DENIED_RE = /declined|did not select the correct number|fraud|hung up|user is blocked|denied/i;

function text(v: unknown): string | null {
  if (typeof v === 'string') {
    const t = v.trim();
    return t === '' ? null : t;
  }
  return null;
}

/** A dynamic Log Analytics column: an object, or JSON text of one (or of an array). */
function dyn(v: unknown): unknown {
  if (typeof v === 'string') {
    const t = v.trim();
    if (t.startsWith('{') || t.startsWith('[')) {
      try {
        return JSON.parse(t) as unknown;
      } catch {
        return undefined;
      }
    }
  }
  return v;
}

function obj(v: unknown): Rec | null {
  const d = dyn(v);
  return isPlainObject(d) ? d : null;
}

/** First present value among the keys, looking in each layer (properties first, then envelope). */
function pick(layers: readonly Rec[], ...keys: string[]): unknown {
  for (const layer of layers) {
    for (const k of keys) {
      const v = layer[k];
      if (v !== undefined && v !== null && v !== '') return v;
    }
  }
  return undefined;
}

function pickText(layers: readonly Rec[], ...keys: string[]): string | null {
  for (const layer of layers) {
    for (const k of keys) {
      const t = text(layer[k]);
      if (t !== null) return t;
    }
  }
  return null;
}

type Step = { method: string; succeeded: boolean | null; detail: string; requirement: string };

function steps(v: unknown): Step[] {
  const d = dyn(v);
  if (!Array.isArray(d)) return [];
  const out: Step[] = [];
  for (const s of d) {
    if (!isPlainObject(s)) continue;
    out.push({
      method: (text(s.authenticationMethod) ?? '').toLowerCase(),
      succeeded: typeof s.succeeded === 'boolean' ? s.succeeded : null,
      detail: text(s.authenticationStepResultDetail) ?? '',
      requirement: text(s.authenticationStepRequirement) ?? '',
    });
  }
  return out;
}

function isMfaStep(s: Step): boolean {
  if (MFA_TEXT_RE.test(s.requirement) || MFA_TEXT_RE.test(s.detail)) return true;
  return !FIRST_FACTOR_METHODS.has(s.method);
}

/** Which MFA failure a text describes, or null when it says nothing specific. */
function mfaFailure(texts: readonly string[]): FailureReason | null {
  for (const t of texts) if (MFA_TIMEOUT_RE.test(t)) return 'mfa_timeout';
  for (const t of texts) if (MFA_BAD_CODE_RE.test(t)) return 'invalid_mfa_code';
  for (const t of texts) if (MFA_DENIED_RE.test(t)) return 'mfa_denied';
  return null;
}

const INT_RE = /^-?\d+$/;

/** The AADSTS code: a number, or numeric text (`ResultType` is a string in Log Analytics). */
function errorCode(v: unknown): number | null | 'bad' {
  if (v === undefined || v === null || v === '') return null;
  if (typeof v === 'number') return Number.isInteger(v) ? v : 'bad';
  if (typeof v === 'string' && INT_RE.test(v.trim())) return Number(v.trim());
  return 'bad';
}

/** Sign-in time first (Graph, then Log Analytics), then ingestion/envelope time, then audit time. */
const TIME_KEYS = [
  'createdDateTime',
  'CreatedDateTime',
  'TimeGenerated',
  'time',
  'activityDateTime',
] as const;

const ZERO_GUID = '00000000-0000-0000-0000-000000000000';

/** Whether the record is a sign-in at all (vs. e.g. a directory audit record in the same export). */
function looksLikeSignIn(layers: readonly Rec[], envelope: Rec): boolean {
  const category = text(envelope.category) ?? text(envelope.Category);
  if (category !== null) return /signinlogs$/i.test(category);
  if (
    text(envelope.operationName) === 'Sign-in activity' ||
    text(envelope.OperationName) === 'Sign-in activity'
  ) {
    return true;
  }
  return (
    pick(layers, 'status', 'Status', 'ResultType', 'resultType') !== undefined ||
    pick(layers, 'userPrincipalName', 'UserPrincipalName', 'clientAppUsed', 'ClientAppUsed') !== undefined
  );
}

function otherEvent(layers: readonly Rec[], time: string): NormalisedEventInput {
  const label = pickText(
    layers,
    'activityDisplayName',
    'ActivityDisplayName',
    'operationName',
    'OperationName',
  );
  const result = (pickText(layers, 'result', 'Result') ?? '').toLowerCase();
  const initiatedBy = obj(pick(layers, 'initiatedBy', 'InitiatedBy'));
  const byUser = initiatedBy ? obj(initiatedBy.user) : null;
  return {
    time,
    class: 'other',
    activity: (label !== null ? toActivityName(label) : null) ?? 'other',
    outcome: result === 'success' ? 'success' : result === 'failure' ? 'failure' : 'unknown',
    reason: result === 'failure' ? 'other' : null,
    user: byUser ? text(byUser.userPrincipalName) : null,
    vendorEventId: label,
  };
}

function parseEntra(record: unknown, ctx: ParseContext): ParseResult {
  if (!isPlainObject(record)) return { ok: false, error: `record is ${jsonKind(record)}, not a JSON object` };
  const props = isPlainObject(record.properties) ? record.properties : null;
  const layers: Rec[] = props ? [props, record] : [record];

  let timeKey: string | null = null;
  let rawTime: unknown;
  for (const layer of layers) {
    for (const k of TIME_KEYS) {
      if (layer[k] !== undefined && layer[k] !== null && layer[k] !== '') {
        timeKey = k;
        rawTime = layer[k];
        break;
      }
    }
    if (timeKey !== null) break;
  }
  if (timeKey === null) {
    return { ok: false, error: 'missing time: no createdDateTime, CreatedDateTime or TimeGenerated' };
  }
  const time = parseTimestamp(rawTime, 'iso', ctx, timeKey);
  if (!time.ok) return time;

  if (!looksLikeSignIn(layers, record)) return { ok: true, event: otherEvent(layers, time.iso) };

  // --- status and outcome -----------------------------------------------------------------
  const status = obj(pick(layers, 'status', 'Status'));
  let code = errorCode(status?.errorCode);
  if (code === null) code = errorCode(pick(layers, 'ResultType', 'resultType'));
  if (code === 'bad') {
    const shownCode = status?.errorCode ?? pick(layers, 'ResultType', 'resultType');
    return { ok: false, error: `invalid status.errorCode ${shown(shownCode)}: not an integer AADSTS code` };
  }
  const failureText = [
    text(status?.additionalDetails),
    text(status?.failureReason),
    pickText(layers, 'ResultDescription', 'resultDescription'),
  ].filter((t): t is string => t !== null);

  const authSteps = steps(pick(layers, 'authenticationDetails', 'AuthenticationDetails'));
  const failedMfaTexts = authSteps.filter((s) => s.succeeded === false && isMfaStep(s)).map((s) => s.detail);

  let outcome: Outcome;
  let reason: FailureReason | null = null;
  if (code === null) outcome = 'unknown';
  else if (code === 0) outcome = 'success';
  else if (INTERRUPT_CODES.has(code)) outcome = 'unknown';
  else {
    outcome = 'failure';
    reason = CODE_REASONS.get(code) ?? 'other';
    if (code === 500121) {
      reason = mfaFailure([...failedMfaTexts, ...failureText]) ?? 'mfa_denied';
    } else if (MFA_INTERRUPT_CODES.has(code) && failedMfaTexts.length > 0) {
      reason = mfaFailure(failedMfaTexts) ?? reason;
    }
  }

  // --- MFA used -----------------------------------------------------------------------------
  const requirement = (
    pickText(layers, 'authenticationRequirement', 'AuthenticationRequirement') ?? ''
  ).toLowerCase();
  const mfaDetail = obj(pick(layers, 'mfaDetail', 'MfaDetail'));
  const succeededMfaStep = authSteps.some((s) => s.succeeded === true && isMfaStep(s));
  let mfaUsed: boolean | null = null;
  if (requirement === 'multifactorauthentication' && succeededMfaStep) mfaUsed = true;
  else if (outcome === 'success' && mfaDetail !== null && text(mfaDetail.authMethod) !== null) mfaUsed = true;
  else if (outcome === 'success' && failureText.some((t) => MFA_SATISFIED_RE.test(t))) mfaUsed = true;
  else if (outcome === 'success' && requirement === 'multifactorauthentication' && authSteps.length === 0) {
    mfaUsed = true; // a successful sign-in that required MFA satisfied it; the steps were not exported
  } else if (requirement === 'singlefactorauthentication') mfaUsed = false;
  else if (requirement === 'multifactorauthentication' && outcome === 'failure') mfaUsed = false;

  // --- who, where, what ---------------------------------------------------------------------
  const upn = pickText(layers, 'userPrincipalName', 'UserPrincipalName');
  const userId = pickText(layers, 'userId', 'UserId');
  const user =
    upn ??
    pickText(layers, 'servicePrincipalName', 'ServicePrincipalName') ??
    (userId !== null && userId !== ZERO_GUID ? userId : null);
  const at = upn !== null ? upn.lastIndexOf('@') : -1;
  const userDomain = upn !== null && at > 0 && at < upn.length - 1 ? upn.slice(at + 1) : null;

  const location = obj(pick(layers, 'location', 'LocationDetails'));
  let geo: NormalisedEventInput['geo'] = null;
  if (location) {
    const g: { country?: string; city?: string; lat?: number; lon?: number } = {};
    const country = text(location.countryOrRegion);
    const city = text(location.city);
    if (country !== null) g.country = country;
    if (city !== null) g.city = city;
    const coords = obj(location.geoCoordinates);
    const lat = coords?.latitude;
    const lon = coords?.longitude;
    if (typeof lat === 'number' && typeof lon === 'number' && Math.abs(lat) <= 90 && Math.abs(lon) <= 180) {
      g.lat = lat;
      g.lon = lon;
    }
    if (Object.keys(g).length > 0) geo = g;
  } else {
    // SigninLogs `Location` and the diagnostic envelope's `location` are a bare country code.
    const country = pickText(layers, 'Location', 'location');
    if (country !== null) geo = { country };
  }

  const event: NormalisedEventInput = {
    time: time.iso,
    class: 'authentication',
    activity: 'sign_in',
    outcome,
    reason,
    reasonDetail: code !== null && code !== 0 ? `AADSTS${code}` : null,
    user,
    userDomain,
    srcIp: pickText(layers, 'ipAddress', 'IPAddress', 'callerIpAddress'),
    geo,
    dstHost: pickText(layers, 'resourceDisplayName', 'ResourceDisplayName'),
    app: pickText(layers, 'appDisplayName', 'AppDisplayName'),
    authProtocol: pickText(layers, 'clientAppUsed', 'ClientAppUsed'),
    mfaUsed,
    vendorEventId: code !== null ? `signIn:${code}` : 'signIn',
  };
  return { ok: true, event };
}

export const entraSigninParser: Parser<unknown> = {
  kind: 'entra_signin',
  input: 'json',
  parse: parseEntra,
};

/**
 * Splits a whole uploaded JSON document into sign-in records: a bare array, a Graph page or portal
 * export (`{ "value": [...] }`), an Azure Monitor batch (`{ "records": [...] }`), a Log Analytics
 * query result (`{ "tables": [{ "columns": [...], "rows": [...] }] }`), or a single record.
 * Entries are returned as they are, so the parser can reject the malformed ones with a reason.
 */
export function entraRecords(json: unknown): unknown[] {
  if (Array.isArray(json)) return json;
  if (!isPlainObject(json)) return [json];
  if (Array.isArray(json.value)) return json.value;
  if (Array.isArray(json.records)) return json.records;
  if (Array.isArray(json.tables)) {
    const out: unknown[] = [];
    for (const table of json.tables) {
      if (!isPlainObject(table) || !Array.isArray(table.columns) || !Array.isArray(table.rows)) continue;
      const names = table.columns.map((c) =>
        isPlainObject(c) && typeof c.name === 'string' ? c.name : null,
      );
      for (const row of table.rows) {
        if (!Array.isArray(row)) {
          out.push(row);
          continue;
        }
        const rec: Rec = {};
        names.forEach((name, i) => {
          if (name !== null) rec[name] = row[i];
        });
        out.push(rec);
      }
    }
    return out;
  }
  return [json];
}
