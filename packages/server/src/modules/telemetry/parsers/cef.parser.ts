import type { EventClass, FailureReason, NormalisedEventInput, Outcome } from '@accord/contracts';
import { parseCef } from './cef.ts';
import type { ParseContext, ParseResult, Parser } from './parser.types.ts';
import { actionOf, cefSeverity, protocolOf } from './network-fields.ts';
import { isIP } from 'node:net';

/**
 * CEF lines → normalised events. CEF fixes the envelope, not the meaning: the class is inferred from the
 * event Name and Device Event Class ID with the keyword rules below, and anything they do not recognise is
 * class `other` with `vendorEventId` = `vendor:product:classId` so that per-vendor rules can still match.
 *
 * Extension keys are read by their CEF short names and, where producers use them, their full names
 * (`suser` / `sourceUserName`).
 */

// ---------------------------------------------------------------------------------------------------
// Time: `rt` is milliseconds since the epoch or `MMM dd [yyyy] HH:mm:ss[.SSS] [zone]` (CEF spec, "rt").

const DIGITS_RE = /^\d{1,16}$/;
const EPOCH_RE = /^\d{1,13}$/;
const MAX_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999); // ISO-8601 needs a four-digit year
const ISO_RE = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:[.,](\d+))?\s*(Z|[+-]\d{2}:?\d{2})?$/i;
const MONTH_DAY_RE =
  /^([A-Za-z]{3})\s+(\d{1,2})(?:\s+(\d{4}))?\s+(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,3}))?(?:\s+(\S+))?$/;
const OFFSET_RE = /^(?:GMT|UTC|UT)?([+-])(\d{1,2})(?::?(\d{2}))?$/i;

const MONTHS: ReadonlyMap<string, number> = new Map(
  ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'].map((m, i) => [m, i]),
);

/** Zone abbreviations with a single common meaning; anything else must be a numeric offset. */
const ZONES: ReadonlyMap<string, number> = new Map([
  ['z', 0],
  ['utc', 0],
  ['gmt', 0],
  ['ut', 0],
  ['est', -300],
  ['edt', -240],
  ['cst', -360],
  ['cdt', -300],
  ['mst', -420],
  ['mdt', -360],
  ['pst', -480],
  ['pdt', -420],
  ['cet', 60],
  ['cest', 120],
  ['eet', 120],
  ['eest', 180],
]);

const DAY_MS = 86_400_000;

function zoneOffset(zone: string): number | null {
  const named = ZONES.get(zone.toLowerCase());
  if (named !== undefined) return named;
  const m = OFFSET_RE.exec(zone);
  if (!m) return null;
  const h = Number(m[2]);
  const mi = m[3] ? Number(m[3]) : 0;
  if (h > 23 || mi > 59) return null;
  return (m[1] === '-' ? -1 : 1) * (h * 60 + mi);
}

/** UTC milliseconds from local date parts, or null when the parts are not a real date and time. */
function utcMs(
  y: number,
  mo: number,
  d: number,
  h: number,
  mi: number,
  s: number,
  ms: number,
  offset: number,
) {
  if (mo < 0 || mo > 11 || h > 23 || mi > 59 || s > 59) return null;
  const local = Date.UTC(y, mo, d, h, mi, s, ms);
  const check = new Date(local);
  if (check.getUTCFullYear() !== y || check.getUTCMonth() !== mo || check.getUTCDate() !== d) return null;
  return local - offset * 60_000;
}

function fractionMs(frac: string | undefined): number {
  return frac ? Number(frac.slice(0, 3).padEnd(3, '0')) : 0;
}

/** Parses a CEF timestamp; the result is an ISO UTC string, or null when the text is not a timestamp. */
export function parseCefTime(text: string, ctx: ParseContext): string | null {
  const s = text.trim();
  const defaultOffset = ctx.utcOffsetMinutes ?? 0;
  let ms: number | null = null;
  if (EPOCH_RE.test(s)) {
    const n = Number(s);
    // The spec says milliseconds; values below 1e11 (March 1973 in ms, year 5138 in s) are seconds.
    ms = n < 1e11 ? n * 1000 : n;
  } else {
    let m = MONTH_DAY_RE.exec(s);
    if (m) {
      const [, mon, d, y, h, mi, sec, frac, zone] = m;
      const month = MONTHS.get(mon!.toLowerCase());
      const offset = zone === undefined ? defaultOffset : zoneOffset(zone);
      if (month === undefined || offset === null) return null;
      const parts = [Number(d), Number(h), Number(mi), Number(sec), fractionMs(frac)] as const;
      if (y !== undefined) {
        ms = utcMs(Number(y), month, ...parts, offset);
      } else {
        // No year: the one that puts the event at or before reception (allowing a day of clock skew).
        const ref = ctx.receivedAt.getTime();
        const year = new Date(ref + offset * 60_000).getUTCFullYear();
        ms = utcMs(year, month, ...parts, offset);
        if (ms === null || ms > ref + DAY_MS) ms = utcMs(year - 1, month, ...parts, offset);
      }
    } else if ((m = ISO_RE.exec(s))) {
      const [, y, mo, d, h, mi, sec, frac, zone] = m;
      const offset = zone === undefined ? defaultOffset : zoneOffset(zone);
      if (offset === null) return null;
      ms = utcMs(
        Number(y),
        Number(mo) - 1,
        Number(d),
        Number(h),
        Number(mi),
        Number(sec),
        fractionMs(frac),
        offset,
      );
    }
  }
  if (ms === null || !Number.isFinite(ms) || ms < 0 || ms > MAX_MS) return null;
  return new Date(ms).toISOString();
}

// ---------------------------------------------------------------------------------------------------
// Classification by keywords in Name / Device Event Class ID. First matching rule wins; the order puts the
// specific (log cleared, logoff, group membership) before the general (authentication).

interface Rule {
  re: RegExp;
  cls: EventClass;
  activity: string | ((text: string) => string);
}

const CLEARED_RE = /\bclear(?:ed|ing|s)?\b/;
const REMOVED_RE = /\bremov(?:e|ed|ing|al)\b|\bdeleted?\b/;

const ACCOUNT_ACTIVITIES: ReadonlyArray<readonly [RegExp, string]> = [
  [/\block(?:ed)?[ -]?out\b|\blocked\b/, 'account_locked'],
  [/\bpassword\b.*\breset\b|\breset\b.*\bpassword\b/, 'password_reset'],
  [/\bpassword\b/, 'password_changed'],
  [/\bcreated?\b|\badded\b/, 'user_created'],
  [/\bdeleted?\b|\bremoved?\b/, 'user_deleted'],
  [/\bdisabled?\b/, 'user_disabled'],
  [/\benabled?\b/, 'user_enabled'],
];
const SUDO_RE = /\bsudo\b/;
const AUDIT_RE = /\baudit\b/;

function accountActivity(text: string): string {
  for (const [re, activity] of ACCOUNT_ACTIVITIES) if (re.test(text)) return activity;
  return 'account_changed';
}

const RULES: readonly Rule[] = [
  {
    re: /\b(?:audit|event|security|system)[ -]?logs?\b.*\bclear(?:ed|ing|s)?\b|\bclear(?:ed|ing|s)?\b.*\blogs?\b/,
    cls: 'audit_log',
    activity: 'log_cleared',
  },
  {
    re: /\blog(?:ged)?[ -]?(?:off|out)\b|\blog(?:off|out)\b|\bsign(?:ed)?[ -]?(?:off|out)\b|\bsession (?:closed|ended|terminated)\b/,
    cls: 'session',
    activity: 'logoff',
  },
  {
    re: /\bgroup\b.*\bmember|\bmember\b.*\bgroup\b/,
    cls: 'group_change',
    activity: (t) => (REMOVED_RE.test(t) ? 'member_removed' : 'member_added'),
  },
  {
    re: /\blog(?:ged)?[ -]?(?:on|in)\b|\blog(?:on|in)s?\b|\bsign(?:ed)?[ -]?in\b|\bsignin\b|\bauth(?:n|enticat\w*)?\b|\bkerberos\b|\bntlm\b|\bsso\b/,
    cls: 'authentication',
    activity: 'logon',
  },
  {
    re: /\b(?:user|account)\b.*\b(?:created?|added|deleted?|removed?|disabled?|enabled?|lock(?:ed)?(?:[ -]?out)?|password)\b|\bpassword\b.*\b(?:reset|change[ds]?)\b|\block(?:ed)?[ -]?out\b/,
    cls: 'account_change',
    activity: accountActivity,
  },
  {
    re: /\bprivileges?\b|\bprivileged\b|\bsudo\b|\brunas\b|\belevat(?:ed|ion)\b|\bescalat(?:ed|ion)\b/,
    cls: 'privilege_use',
    activity: (t) => (SUDO_RE.test(t) ? 'sudo' : 'privilege_use'),
  },
  {
    re: /\bprocess\b.*\b(?:start(?:ed)?|creat(?:ed|ion)|launch(?:ed)?|execut(?:ed|ion)|spawn(?:ed)?)\b|\b(?:new|created) process\b/,
    cls: 'process',
    activity: 'process_created',
  },
  {
    re: /\bpolic(?:y|ies)\b.*\b(?:chang\w*|modif\w*|updat\w*)|\b(?:chang\w*|modif\w*|updat\w*)\b.*\bpolic(?:y|ies)\b/,
    cls: 'policy_change',
    activity: (t) => (AUDIT_RE.test(t) ? 'audit_policy_changed' : 'policy_changed'),
  },
];

function classify(text: string): { cls: EventClass; activity: string } {
  for (const r of RULES) {
    if (!r.re.test(text)) continue;
    if (r.cls === 'audit_log' && !CLEARED_RE.test(text)) continue;
    return { cls: r.cls, activity: typeof r.activity === 'string' ? r.activity : r.activity(text) };
  }
  return { cls: 'other', activity: 'other' };
}

// ---------------------------------------------------------------------------------------------------
// Outcome and failure reason

const FAILURE_RE =
  /\b(?:fail(?:s|ed|ure|ures)?|unsuccessful|den(?:y|ied)|block(?:ed)?|drop(?:ped)?|reject(?:ed)?|refused|invalid|bad|wrong)\b/;
const SUCCESS_RE =
  /\b(?:success(?:ful|fully)?|succeed(?:ed)?|ok|allow(?:ed)?|accept(?:ed)?|permit(?:ted)?|pass(?:ed)?|granted)\b/;

function outcomeOf(text: string | null): Outcome | null {
  if (text === null) return null;
  const t = text.toLowerCase();
  if (FAILURE_RE.test(t)) return 'failure';
  if (SUCCESS_RE.test(t)) return 'success';
  return null;
}

const UNKNOWN_USER_RE =
  /\b(?:unknown|invalid|no such|non-?existent) (?:user(?:name| name)?|account)\b|\buser (?:not found|unknown|does not exist)\b/;
const BAD_PASSWORD_RE =
  /\b(?:bad|wrong|invalid|incorrect) (?:password|credentials?)\b|\bpassword (?:mismatch|incorrect|invalid)\b/;
const REASONS: ReadonlyArray<readonly [RegExp, FailureReason]> = [
  [UNKNOWN_USER_RE, 'unknown_user'],
  [BAD_PASSWORD_RE, 'bad_password'],
  [/\block(?:ed)?[ -]?out\b|\blocked\b/, 'locked'],
  [/\bdisabled\b/, 'disabled'],
  [/\bexpired?\b/, 'expired'],
  [/\b(?:mfa|2fa|otp|push)\b.*\b(?:denied|rejected)\b/, 'mfa_denied'],
  [/\b(?:not (?:allowed|permitted)|restrict\w*|polic(?:y|ies))\b/, 'policy_blocked'],
];

function reasonOf(text: string): FailureReason {
  // "Unknown user name or bad password" (Windows' generic 0xC000006D text) says neither.
  if (UNKNOWN_USER_RE.test(text) && BAD_PASSWORD_RE.test(text)) return 'other';
  for (const [re, reason] of REASONS) if (re.test(text)) return reason;
  return 'other';
}

// ---------------------------------------------------------------------------------------------------

function portOf(s: string | null): number | null {
  if (s === null || !DIGITS_RE.test(s)) return null;
  const n = Number(s);
  return n >= 1 && n <= 65535 ? n : null;
}

// Network defence monitoring and endpoint alerts (docs/network-and-endpoint.md). An event the rules
// above leave as `other` is a security product's alert (class `finding`) when its name, class id,
// category or product says so, and otherwise a network event when it carries a destination, a port,
// a protocol or an action. IDS / IPS products' alerts are `ids_alert`, the others (EDR, antivirus)
// `edr_alert`; the header Severity gives the level (cefSeverity).
const FINDING_RE =
  /\b(?:alert|malware|virus|trojan|ransomware|worm|threat|intrusion|exploit|attack|signature|suspicious|detect(?:ed|ion)?|scan|quarantin\w*)\b/;
const FINDING_PRODUCT_RE = /\b(?:ids|ips|intrusion|anti-?virus|anti-?malware|edr|xdr)\b/;
const IDS_RE = /\b(?:ids|ips|intrusion|nids|network|port ?scan|sweep)\b/;

function ipOrNull(s: string | null): string | null {
  return s !== null && isIP(s) !== 0 ? (s.includes(':') ? s.toLowerCase() : s) : null;
}

const COMMAND_LINE_LABEL_RE = /^command[ _-]?line$/i;
const GROUP_LABEL_RE = /^(?:target |member )?group(?:[ _-]?name)?$/i;

export const cefParser: Parser<string> = {
  kind: 'cef',
  input: 'line',
  parse(record: string, ctx: ParseContext): ParseResult {
    if (typeof record !== 'string') return { ok: false, error: `expected a text line, got ${typeof record}` };
    const parsed = parseCef(record);
    if (!parsed.ok) return parsed;
    const { deviceVendor, deviceProduct, classId, name, severity, extension: ext } = parsed.record;
    const get = (short: string, full?: string): string | null => {
      const v = ext.get(short) ?? (full === undefined ? undefined : ext.get(full));
      if (v === undefined) return null;
      const t = v.trim();
      return t === '' ? null : t;
    };

    const rt = get('rt', 'receiptTime');
    let time: string;
    if (rt === null) {
      time = ctx.receivedAt.toISOString();
    } else {
      const t = parseCefTime(rt, ctx);
      if (t === null) return { ok: false, error: `invalid rt ${JSON.stringify(rt.slice(0, 64))}` };
      time = t;
    }

    const text = `${name} ${classId}`.toLowerCase();
    const { cls, activity } = classify(text);
    const explicit = get('outcome', 'eventOutcome');
    const outcome =
      outcomeOf(explicit !== null && explicit.startsWith('/') ? explicit.slice(1) : explicit) ??
      outcomeOf(get('act', 'deviceAction')) ??
      (cls === 'other' ? null : outcomeOf(name)) ??
      'unknown';

    const reasonText = get('reason');
    const msg = get('msg', 'message');
    const reason: FailureReason | null =
      outcome === 'failure'
        ? reasonOf(
            [reasonText, name, msg]
              .filter((x) => x !== null)
              .join(' | ')
              .toLowerCase(),
          )
        : null;

    // ArcSight puts the account logged on to in duser and the requester in suser; for changes to accounts
    // suser is the actor and duser the account acted upon.
    const suser = get('suser', 'sourceUserName');
    const duser = get('duser', 'destinationUserName');
    const loginLike = cls === 'authentication' || cls === 'session';
    let user: string | null;
    let userDomain: string | null;
    let targetUser: string | null = null;
    if (loginLike && duser !== null) {
      user = duser;
      userDomain = get('dntdom', 'destinationNtDomain');
    } else if (suser !== null) {
      user = suser;
      userDomain = get('sntdom', 'sourceNtDomain');
      if (duser !== null && duser !== suser) targetUser = duser;
    } else {
      user = duser;
      userDomain = get('dntdom', 'destinationNtDomain');
    }

    // Custom strings cs1..cs6 carry what CEF has no key for; their csNLabel says what they are.
    const custom = (labelRe: RegExp): string | null => {
      for (let i = 1; i <= 6; i++) {
        const label = ext.get(`cs${i}Label`);
        if (label !== undefined && labelRe.test(label.trim())) return get(`cs${i}`);
      }
      return null;
    };

    const app = get('app', 'applicationProtocol');
    const event: NormalisedEventInput = {
      time,
      class: cls,
      activity,
      outcome,
      reason,
      reasonDetail: outcome === 'failure' ? reasonText : null,
      user,
      userDomain,
      targetUser,
      group: cls === 'group_change' ? custom(GROUP_LABEL_RE) : null,
      srcIp: get('src', 'sourceAddress'),
      srcPort: portOf(get('spt', 'sourcePort')),
      geo: null,
      dstHost: get('dhost', 'destinationHostName') ?? get('dst', 'destinationAddress'),
      app: null,
      authProtocol: loginLike && app !== null ? app.toLowerCase() : null,
      mfaUsed: null,
      processName: get('dproc', 'destinationProcessName') ?? get('sproc', 'sourceProcessName'),
      commandLine: custom(COMMAND_LINE_LABEL_RE),
      vendorEventId: `${deviceVendor}:${deviceProduct}:${classId}`,
    };
    // The network fields are set only when the record has them (sign-in records stay as they were).
    const net = {
      dstIp: ipOrNull(get('dst', 'destinationAddress')),
      dstPort: portOf(get('dpt', 'destinationPort')),
      protocol: protocolOf(get('proto', 'transportProtocol')),
      action: actionOf(get('act', 'deviceAction')),
    };
    if (net.dstIp !== null) event.dstIp = net.dstIp;
    if (net.dstPort !== null) event.dstPort = net.dstPort;
    if (net.protocol !== null) event.protocol = net.protocol;
    if (net.action !== null) event.action = net.action;
    if (cls === 'other') {
      const product = deviceProduct.toLowerCase();
      const about = `${text} ${(get('cat', 'deviceEventCategory') ?? '').toLowerCase()}`;
      if (FINDING_RE.test(about) || FINDING_PRODUCT_RE.test(product)) {
        event.class = 'finding';
        event.activity = IDS_RE.test(`${product} ${about}`) ? 'ids_alert' : 'edr_alert';
        event.signature = name;
        event.signatureId = classId;
        event.severity = cefSeverity(severity);
        // The endpoint an EDR alert is about: the destination host, else the source host.
        event.dstHost = event.dstHost ?? get('shost', 'sourceHostName') ?? get('dvchost', 'deviceHostName');
      } else if (net.dstIp !== null || net.dstPort !== null || net.protocol !== null || net.action !== null) {
        event.class = 'network';
        event.activity = 'connection';
      }
    }
    return { ok: true, event };
  },
};
