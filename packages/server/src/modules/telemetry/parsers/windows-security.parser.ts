import type { EventClass, FailureReason, NormalisedEventInput, Outcome } from '@accord/contracts';
import type { ParseContext, ParseResult, Parser } from './parser.types.ts';
import { appControlEvent, isAppControl, providerOf } from './windows-app-control.ts';

/**
 * Windows Security event log records as JSON. Two shapes are read:
 *
 * - Winlogbeat: `{ "@timestamp", "event": { "code" }, "winlog": { "event_id", "computer_name", "channel",
 *   "keywords": ["Audit Success"], "event_data": { ... }, "user_data": { ... } } }`.
 * - EVTX exported to JSON, flat (`{ "EventID", "TimeCreated" | "SystemTime", "Computer", "EventData": { ... } }`)
 *   or nested the way the XML is (`{ "System": { "EventID", "TimeCreated": { "SystemTime" }, "Computer" },
 *   "EventData": { "Data": [{ "Name", "#text" | "Value" }] } }`), optionally wrapped in `{ "Event": ... }`.
 *   Attribute spellings of the common converters are accepted: `@Name`, `@SystemTime`, `#attributes`.
 *
 * Field names are those of the Security-Auditing event schema (TargetUserName, IpAddress, Status, ...).
 * Event ids this parser does not model, and any record from a channel other than Security, become class
 * `other` with the event id kept in `vendorEventId` — except the application-control events of
 * AppLocker (8002-8007) and App Control for Business / WDAC (3076, 3077): windows-app-control.ts.
 */

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A field value as a trimmed string; Windows writes `-` (and converters write '') for "none". */
function scalar(v: unknown): string | null {
  if (typeof v === 'string') {
    const t = v.trim();
    return t === '' || t === '-' ? null : t;
  }
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : null;
  // xmltodict / xml2js style text nodes: { "#text": "4625", "@Qualifiers": "" }
  if (isObj(v)) {
    if ('#text' in v) return scalar(v['#text']);
    if ('Value' in v) return scalar(v.Value);
  }
  return null;
}

/** EventData as a name → value object, whether it came as an object or as an array of named Data nodes. */
function namedData(ed: unknown): Obj | null {
  if (!isObj(ed)) return null;
  const d = ed.Data;
  if (d === undefined) return ed;
  const out: Obj = Object.create(null) as Obj;
  const list: unknown[] = Array.isArray(d) ? d : [d];
  for (const item of list) {
    if (!isObj(item)) continue;
    const attrs = item['#attributes'];
    const name = item.Name ?? item['@Name'] ?? (isObj(attrs) ? attrs.Name : undefined);
    if (typeof name !== 'string') continue;
    out[name] = item['#text'] ?? item.Value ?? item.$ ?? null;
  }
  return out;
}

/** UserData wraps its fields in one element named for the event (`LogFileCleared` for 1102). */
function userDataFields(ud: unknown): Obj | null {
  if (!isObj(ud)) return null;
  for (const k in ud) {
    const v = ud[k];
    if (isObj(v) && !k.startsWith('#') && !k.startsWith('@')) return v;
  }
  return ud;
}

// Keyword bits of the Security log (winmeta.xml): WINEVENT_KEYWORD_AUDIT_FAILURE / _AUDIT_SUCCESS.
const KEYWORD_AUDIT_FAILURE = 0x10000000000000n;
const KEYWORD_AUDIT_SUCCESS = 0x20000000000000n;
const HEX_RE = /^0x[0-9a-f]+$/i;
const DEC_RE = /^\d+$/;

function keywordOutcome(k: unknown): Outcome | null {
  if (Array.isArray(k)) {
    for (const item of k) {
      const r = keywordOutcome(item);
      if (r) return r;
    }
    return null;
  }
  if (typeof k !== 'string') return null;
  const s = k.trim().toLowerCase();
  if (s === 'audit failure') return 'failure';
  if (s === 'audit success') return 'success';
  if (HEX_RE.test(s) && s.length <= 18) {
    const bits = BigInt(s);
    if (bits & KEYWORD_AUDIT_FAILURE) return 'failure';
    if (bits & KEYWORD_AUDIT_SUCCESS) return 'success';
  }
  return null;
}

function textOutcome(v: unknown): Outcome | null {
  return v === 'success' || v === 'failure' ? v : null;
}

interface RecordView {
  eventId: unknown;
  time: unknown;
  computer: string | null;
  channel: string | null;
  data: Obj | null;
  userData: Obj | null;
  outcomeHint: Outcome | null;
}

function viewOf(rec: Obj): RecordView {
  const winlog = rec.winlog;
  if (isObj(winlog)) {
    const event = isObj(rec.event) ? rec.event : null;
    const host = isObj(rec.host) ? rec.host : null;
    return {
      eventId: winlog.event_id ?? event?.code,
      time: rec['@timestamp'] ?? winlog.time_created,
      computer: scalar(winlog.computer_name) ?? scalar(host?.name),
      channel: scalar(winlog.channel),
      data: isObj(winlog.event_data) ? winlog.event_data : null,
      userData: isObj(winlog.user_data) ? winlog.user_data : null,
      outcomeHint: keywordOutcome(winlog.keywords) ?? textOutcome(event?.outcome),
    };
  }
  const root = isObj(rec.Event) ? rec.Event : rec;
  const sys = isObj(root.System) ? root.System : null;
  return {
    eventId: root.EventID ?? root.EventId ?? sys?.EventID,
    time: root.TimeCreated ?? root.SystemTime ?? sys?.TimeCreated,
    computer: scalar(root.Computer ?? sys?.Computer),
    channel: scalar(root.Channel ?? sys?.Channel),
    data: namedData(root.EventData),
    userData: userDataFields(root.UserData),
    outcomeHint: keywordOutcome(root.Keywords ?? sys?.Keywords),
  };
}

function eventIdOf(v: unknown): number | null | 'invalid' {
  const s = scalar(v);
  if (s === null) return v === undefined || v === null ? null : 'invalid';
  if (!DEC_RE.test(s) || s.length > 5) return 'invalid';
  const n = Number(s);
  return n <= 65535 ? n : 'invalid';
}

// ISO-8601 as EVTX writes it (seven fractional digits) and Winlogbeat writes it (@timestamp).
const ISO_RE = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:[.,](\d+))?\s*(Z|[+-]\d{2}:?\d{2})?$/i;

/** ISO timestamp → normalised UTC ISO string; no zone means the source's configured offset. */
function isoTime(s: string, utcOffsetMinutes: number): string | null {
  const m = ISO_RE.exec(s);
  if (!m) return null;
  const [, y, mo, d, h, mi, sec, frac, zone] = m;
  const year = Number(y);
  const month = Number(mo) - 1;
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(sec);
  if (hour > 23 || minute > 59 || second > 59) return null;
  const ms = frac ? Number(frac.slice(0, 3).padEnd(3, '0')) : 0;
  let ts = Date.UTC(year, month, day, hour, minute, second, ms);
  const check = new Date(ts);
  if (check.getUTCFullYear() !== year || check.getUTCMonth() !== month || check.getUTCDate() !== day) {
    return null; // 2024-02-30 and the like
  }
  let offset = utcOffsetMinutes;
  if (zone && zone.toUpperCase() !== 'Z') {
    const sign = zone[0] === '-' ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    const oh = Number(digits.slice(0, 2));
    const om = Number(digits.slice(2));
    if (oh > 23 || om > 59) return null;
    offset = sign * (oh * 60 + om);
  } else if (zone) {
    offset = 0;
  }
  ts -= offset * 60_000;
  return new Date(ts).toISOString();
}

function timeValue(v: unknown): unknown {
  if (!isObj(v)) return v;
  const attrs = v['#attributes'];
  return v.SystemTime ?? v['@SystemTime'] ?? (isObj(attrs) ? attrs.SystemTime : undefined);
}

// ---------------------------------------------------------------------------------------------------
// Code tables

/** NTSTATUS codes of 4625 Status/SubStatus and 4776 Error Code (Microsoft Learn, event 4625). */
const NT_STATUS: ReadonlyMap<number, FailureReason> = new Map<number, FailureReason>([
  [0xc000006a, 'bad_password'], // user name correct, password wrong
  [0xc0000064, 'unknown_user'], // user name does not exist
  [0xc0000234, 'locked'], // account locked out
  [0xc0000072, 'disabled'], // account disabled
  [0xc000006e, 'policy_blocked'], // account restriction (detail in SubStatus)
  [0xc000006f, 'policy_blocked'], // outside authorised hours
  [0xc0000070, 'policy_blocked'], // unauthorised workstation
  [0xc000015b, 'policy_blocked'], // logon type not granted
  [0xc0000413, 'policy_blocked'], // authentication firewall: not allowed to authenticate to this machine
  [0xc0000071, 'expired'], // password expired
  [0xc0000193, 'expired'], // account expired
  [0xc0000224, 'expired'], // password must be changed at next logon
  [0xc0000133, 'other'], // clock skew between DC and workstation
]);

/** Kerberos result codes of 4768 / 4771 (RFC 4120 §7.5.9, Microsoft Learn events 4768 and 4771). */
const KERBEROS_STATUS: ReadonlyMap<number, FailureReason> = new Map<number, FailureReason>([
  [0x1, 'expired'], // KDC_ERR_NAME_EXP: client's entry in database has expired
  [0x3, 'invalid_request'], // KDC_ERR_BAD_PVNO
  [0x6, 'unknown_user'], // KDC_ERR_C_PRINCIPAL_UNKNOWN
  [0xc, 'policy_blocked'], // KDC_ERR_POLICY: logon hours / workstation restriction
  [0x12, 'disabled'], // KDC_ERR_CLIENT_REVOKED: account disabled, expired or locked out
  [0x17, 'expired'], // KDC_ERR_KEY_EXPIRED: password expired
  [0x18, 'bad_password'], // KDC_ERR_PREAUTH_FAILED
  [0x25, 'other'], // KRB_AP_ERR_SKEW
]);

/** LogonType of 4624/4625/4634 (Microsoft Learn, event 4624) → activity suffix. */
const LOGON_TYPES: ReadonlyMap<number, string> = new Map([
  [0, 'system'],
  [2, 'interactive'],
  [3, 'network'],
  [4, 'batch'],
  [5, 'service'],
  [7, 'unlock'],
  [8, 'network_cleartext'],
  [9, 'new_credentials'],
  [10, 'remote_interactive'],
  [11, 'cached_interactive'],
  [12, 'cached_remote_interactive'],
  [13, 'cached_unlock'],
]);

/** Logon types that never cross the network: a loopback IpAddress on these is the local machine. */
const LOCAL_LOGON_TYPES: ReadonlySet<number> = new Set([0, 2, 4, 5, 7, 9, 11, 13]);

interface Code {
  value: number; // NaN when the text is not a number
  text: string; // normalised: 0x + upper-case hex
}

function codeOf(v: unknown): Code | null {
  const s = scalar(v);
  if (s === null) return null;
  let n = NaN;
  if (HEX_RE.test(s) && s.length <= 10) n = parseInt(s.slice(2), 16);
  else if (DEC_RE.test(s) && s.length <= 10) n = Number(s);
  if (Number.isNaN(n) || n > 0xffffffff) return { value: NaN, text: s };
  return { value: n, text: '0x' + n.toString(16).toUpperCase() };
}

function failureReason(table: ReadonlyMap<number, FailureReason>, code: Code | null): FailureReason {
  return (code && table.get(code.value)) ?? 'other';
}

function portOf(v: unknown): number | null {
  const s = scalar(v);
  if (s === null || !DEC_RE.test(s)) return null;
  const n = Number(s);
  return n >= 1 && n <= 65535 ? n : null;
}

function ipOf(v: unknown): string | null {
  const s = scalar(v);
  if (s === null) return null;
  // IPv4-mapped IPv6, as Kerberos events write clients: ::ffff:192.168.5.44
  if (s.length > 7 && s.slice(0, 7).toLowerCase() === '::ffff:' && s.includes('.')) return s.slice(7);
  return s.includes(':') ? s.toLowerCase() : s;
}

function isLoopback(ip: string): boolean {
  return ip === '::1' || ip.startsWith('127.');
}

function authProtocolOf(pkg: string | null, lm: string | null): string | null {
  if (pkg === null) return null;
  const p = pkg.toLowerCase();
  if (p === 'ntlm' || p === 'microsoft_authentication_package_v1_0') {
    const l = lm?.toLowerCase();
    if (l === 'ntlm v2') return 'ntlm_v2';
    if (l === 'ntlm v1') return 'ntlm_v1';
    if (l === 'lm') return 'lm';
    return 'ntlm';
  }
  return p;
}

// ---------------------------------------------------------------------------------------------------

type FullEv = {
  -readonly [K in keyof Required<NormalisedEventInput>]: Required<NormalisedEventInput>[K];
};
/** The network and endpoint fields are set only by application-control events. */
type NetKeys = 'dstIp' | 'dstPort' | 'protocol' | 'action' | 'signature' | 'signatureId' | 'severity';
type Ev = Omit<FullEv, NetKeys> & Partial<Pick<FullEv, NetKeys>>;

function blank(time: string, eventId: number, computer: string | null): Ev {
  return {
    time,
    class: 'other',
    activity: 'other',
    outcome: 'unknown',
    reason: null,
    reasonDetail: null,
    user: null,
    userDomain: null,
    targetUser: null,
    group: null,
    srcIp: null,
    srcPort: null,
    geo: null,
    dstHost: computer,
    app: null,
    authProtocol: null,
    mfaUsed: null,
    processName: null,
    commandLine: null,
    vendorEventId: String(eventId),
  };
}

const ACCOUNT_CHANGES: ReadonlyMap<number, string> = new Map([
  [4720, 'user_created'],
  [4722, 'user_enabled'],
  [4724, 'password_reset'],
  [4725, 'user_disabled'],
  [4726, 'user_deleted'],
  [4740, 'account_locked'],
]);

/** 4728 global, 4732 domain-local / local, 4756 universal security group. */
const MEMBER_ADDED: ReadonlySet<number> = new Set([4728, 4732, 4756]);

function classify(e: Ev, id: number, get: (name: string) => string | null, v: RecordView): void {
  const set = (cls: EventClass, activity: string, outcome: Outcome): void => {
    e.class = cls;
    e.activity = activity;
    e.outcome = outcome;
  };
  const subject = (): void => {
    e.user = get('SubjectUserName');
    e.userDomain = get('SubjectDomainName');
  };
  const target = (): void => {
    e.user = get('TargetUserName');
    e.userDomain = get('TargetDomainName');
  };
  const fail = (table: ReadonlyMap<number, FailureReason>, code: Code | null): void => {
    e.outcome = 'failure';
    e.reason = failureReason(table, code);
    e.reasonDetail = code?.text ?? null;
  };

  switch (id) {
    case 4624: // An account was successfully logged on.
    case 4625: {
      // An account failed to log on.
      const typeText = get('LogonType');
      const type = typeText !== null && DEC_RE.test(typeText) ? Number(typeText) : NaN;
      const typeName = LOGON_TYPES.get(type);
      set('authentication', typeName ? `logon_${typeName}` : 'logon', 'success');
      target();
      const ip = ipOf(get('IpAddress'));
      if (ip !== null && !(isLoopback(ip) && LOCAL_LOGON_TYPES.has(type))) {
        e.srcIp = ip;
        e.srcPort = portOf(get('IpPort'));
      }
      e.authProtocol = authProtocolOf(get('AuthenticationPackageName'), get('LmPackageName'));
      e.processName = get('ProcessName');
      if (id === 4625) {
        const sub = codeOf(get('SubStatus'));
        fail(NT_STATUS, sub && sub.value !== 0 ? sub : codeOf(get('Status')));
      }
      return;
    }
    case 4634: // An account was logged off.
      set('session', 'logoff', 'success');
      target();
      return;
    case 4648: {
      // A logon was attempted using explicit credentials.
      set('privilege_use', 'explicit_credentials_logon', 'success');
      subject();
      e.targetUser = get('TargetUserName');
      const server = get('TargetServerName');
      if (server !== null && server.toLowerCase() !== 'localhost') e.dstHost = server;
      e.srcIp = ipOf(get('IpAddress'));
      if (e.srcIp !== null) e.srcPort = portOf(get('IpPort'));
      e.processName = get('ProcessName');
      return;
    }
    case 4672: // Special privileges assigned to new logon.
      set('privilege_use', 'special_privileges_assigned', 'success');
      subject();
      return;
    case 4688: {
      // A new process has been created.
      set('process', 'process_created', 'success');
      subject();
      e.processName = get('NewProcessName');
      e.commandLine = get('CommandLine');
      const runAs = get('TargetUserName');
      if (runAs !== null && runAs !== e.user) e.targetUser = runAs;
      return;
    }
    case 4768: {
      // A Kerberos authentication ticket (TGT) was requested.
      set('authentication', 'tgt_request', 'unknown');
      target();
      e.srcIp = ipOf(get('IpAddress'));
      if (e.srcIp !== null) e.srcPort = portOf(get('IpPort'));
      e.authProtocol = 'kerberos';
      const status = codeOf(get('Status'));
      if (status === null) e.outcome = v.outcomeHint ?? 'unknown';
      else if (status.value === 0) e.outcome = 'success';
      else fail(KERBEROS_STATUS, status);
      return;
    }
    case 4771: // Kerberos pre-authentication failed.
      set('authentication', 'preauth', 'failure');
      e.user = get('TargetUserName');
      e.srcIp = ipOf(get('IpAddress'));
      if (e.srcIp !== null) e.srcPort = portOf(get('IpPort'));
      e.authProtocol = 'kerberos';
      fail(KERBEROS_STATUS, codeOf(get('Status')));
      return;
    case 4776: {
      // The computer attempted to validate the credentials for an account (NTLM).
      set('authentication', 'credential_validation', 'unknown');
      e.user = get('TargetUserName');
      e.authProtocol = authProtocolOf(get('PackageName') ?? 'NTLM', null);
      const status = codeOf(get('Status'));
      if (status === null) e.outcome = v.outcomeHint ?? 'unknown';
      else if (status.value === 0) e.outcome = 'success';
      else fail(NT_STATUS, status);
      return;
    }
    case 1102: {
      // The audit log was cleared. Its fields are in UserData/LogFileCleared, not EventData.
      set('audit_log', 'log_cleared', 'success');
      const ud = v.userData;
      e.user = scalar(ud?.SubjectUserName) ?? get('SubjectUserName');
      e.userDomain = scalar(ud?.SubjectDomainName) ?? get('SubjectDomainName');
      return;
    }
    case 4719: // System audit policy was changed.
      set('policy_change', 'audit_policy_changed', 'success');
      subject();
      return;
  }

  const accountActivity = ACCOUNT_CHANGES.get(id);
  if (accountActivity) {
    // 4724 is also logged as an Audit Failure when the reset is refused.
    set('account_change', accountActivity, v.outcomeHint ?? 'success');
    subject();
    // On 4740 TargetDomainName is the caller computer name, not a domain: it is not read.
    e.targetUser = get('TargetUserName');
    return;
  }
  if (MEMBER_ADDED.has(id)) {
    set('group_change', 'member_added', v.outcomeHint ?? 'success');
    subject();
    // MemberName is the member's distinguished name; local groups often carry only the SID.
    e.targetUser = get('MemberName') ?? get('MemberSid');
    e.group = get('TargetUserName');
    return;
  }
  // Not modelled: the acting account is still the Subject in the Security-Auditing schema.
  e.outcome = v.outcomeHint ?? 'unknown';
  subject();
}

function describe(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 64 ? v.slice(0, 64) + '…' : v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return Array.isArray(v) ? 'an array' : typeof v === 'object' && v !== null ? 'an object' : String(v);
}

export const windowsSecurityParser: Parser<unknown> = {
  kind: 'windows_security',
  input: 'json',
  parse(record: unknown, ctx: ParseContext): ParseResult {
    if (!isObj(record)) {
      return {
        ok: false,
        error: `expected a JSON object, got ${Array.isArray(record) ? 'an array' : typeof record}`,
      };
    }
    const v = viewOf(record);
    const id = eventIdOf(v.eventId);
    if (id === null) {
      return { ok: false, error: 'missing event id (winlog.event_id, EventID or System.EventID)' };
    }
    if (id === 'invalid') return { ok: false, error: `invalid event id ${describe(v.eventId)}` };
    const rawTime = timeValue(v.time);
    if (rawTime === undefined || rawTime === null) {
      return {
        ok: false,
        error: 'missing time (@timestamp, TimeCreated, SystemTime or System.TimeCreated.SystemTime)',
      };
    }
    const time = typeof rawTime === 'string' ? isoTime(rawTime.trim(), ctx.utcOffsetMinutes ?? 0) : null;
    if (time === null) return { ok: false, error: `invalid time ${describe(rawTime)}` };

    const e = blank(time, id, v.computer);
    const data = v.data;
    const get = (name: string): string | null => (data ? scalar(data[name]) : null);
    if (isAppControl(id, v.channel, providerOf(record))) {
      // AppLocker and App Control (WDAC) decisions: windows-app-control.ts.
      appControlEvent(e, id, get, v.userData, record, scalar);
    } else if (v.channel !== null && v.channel.toLowerCase() !== 'security') {
      // Same event id, different provider: nothing here is Security-Auditing semantics.
      e.outcome = v.outcomeHint ?? 'unknown';
    } else {
      classify(e, id, get, v);
    }
    return { ok: true, event: e };
  },
};
