import { isIP } from 'node:net';
import type { EventSeverity, NetworkAction, NormalisedEventInput, Outcome } from '@accord/contracts';

/**
 * Helpers shared by the network and endpoint parsers (Suricata EVE, netfilter, filterlog, Defender
 * alerts, AppLocker / App Control, CEF): strict readers of addresses, ports, protocols and times,
 * the one blank event they start from, and the product-severity mappings (documented in
 * docs/network-and-endpoint.md). Each reader returns a value, null for "absent", or throws a
 * FieldError naming the field and why, which the parser turns into a rejection.
 */
export class FieldError extends Error {}

export type Ev = {
  -readonly [K in keyof Required<NormalisedEventInput>]: Required<NormalisedEventInput>[K];
};

export function blankEvent(time: string, vendorEventId: string | null): Ev {
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
    dstHost: null,
    app: null,
    authProtocol: null,
    mfaUsed: null,
    processName: null,
    commandLine: null,
    vendorEventId,
    dstIp: null,
    dstPort: null,
    protocol: null,
    action: null,
    signature: null,
    signatureId: null,
    severity: null,
  };
}

const clip = (v: unknown): string => {
  if (typeof v !== 'string') return String(JSON.stringify(v)).slice(0, 64);
  return JSON.stringify(v.length > 64 ? `${v.slice(0, 64)}…` : v);
};

/** A textual field: trimmed, '' and '-' are absent; numbers are written as text. */
export function textOf(v: unknown): string | null {
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  if (typeof v !== 'string') return null;
  const t = v.trim();
  return t === '' || t === '-' ? null : t;
}

/** An IPv4 or IPv6 address (IPv6 lower-cased, an IPv4-mapped IPv6 address as IPv4); absent: null. */
export function ipField(v: unknown, field: string): string | null {
  if (v === undefined || v === null || v === '') return null;
  if (typeof v !== 'string') throw new FieldError(`${field} is not an address: ${clip(v)}`);
  let s = v.trim();
  if (s.length > 7 && s.slice(0, 7).toLowerCase() === '::ffff:' && s.includes('.')) s = s.slice(7);
  if (isIP(s) === 0) throw new FieldError(`${field} is not an IP address: ${clip(v)}`);
  return s.includes(':') ? s.toLowerCase() : s;
}

/** A port 0-65535 given as a number or decimal text; absent: null. */
export function portField(v: unknown, field: string): number | null {
  if (v === undefined || v === null || v === '') return null;
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d{1,5}$/.test(v.trim()) ? Number(v) : NaN;
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new FieldError(`${field} is not a port: ${clip(v)}`);
  return n;
}

/** IANA protocol numbers of the protocols firewalls name by number. */
const PROTOCOL_NUMBERS: ReadonlyMap<number, string> = new Map([
  [1, 'icmp'],
  [2, 'igmp'],
  [6, 'tcp'],
  [17, 'udp'],
  [41, 'ipv6'],
  [47, 'gre'],
  [50, 'esp'],
  [51, 'ah'],
  [58, 'icmpv6'],
  [112, 'vrrp'],
  [132, 'sctp'],
]);

/** A protocol name lower-cased (`IPv6-ICMP` is `icmpv6`), or a number as its IANA name. */
export function protocolOf(v: unknown): string | null {
  const s = textOf(v);
  if (s === null) return null;
  if (/^\d{1,3}$/.test(s)) return PROTOCOL_NUMBERS.get(Number(s)) ?? s;
  const p = s.toLowerCase();
  return p === 'ipv6-icmp' ? 'icmpv6' : p;
}

// ISO-8601 with an optional zone: Z, +hh:mm, +hhmm (Suricata writes +0000) or none (then UTC).
const ISO_RE = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:[.,](\d+))?\s*(Z|[+-]\d{2}:?\d{2})?$/i;

/** An ISO-8601 time as UTC ISO with milliseconds; throws a FieldError naming the field. */
export function isoField(v: unknown, field: string, defaultOffsetMinutes = 0): string {
  if (typeof v !== 'string' || v.trim() === '') throw new FieldError(`missing ${field}`);
  const m = ISO_RE.exec(v.trim());
  if (!m) throw new FieldError(`${field} is not an ISO-8601 time: ${clip(v)}`);
  const [, y, mo, d, h, mi, s, frac, zone] = m;
  const year = Number(y);
  const month = Number(mo) - 1;
  const day = Number(d);
  if (Number(h) > 23 || Number(mi) > 59 || Number(s) > 59)
    throw new FieldError(`${field} is not a valid time: ${clip(v)}`);
  let ts = Date.UTC(
    year,
    month,
    day,
    Number(h),
    Number(mi),
    Number(s),
    frac ? Number(frac.slice(0, 3).padEnd(3, '0')) : 0,
  );
  const check = new Date(ts);
  if (check.getUTCFullYear() !== year || check.getUTCMonth() !== month || check.getUTCDate() !== day)
    throw new FieldError(`${field} is not a valid date: ${clip(v)}`);
  let offset = defaultOffsetMinutes;
  if (zone && zone.toUpperCase() !== 'Z') {
    const digits = zone.slice(1).replace(':', '');
    const oh = Number(digits.slice(0, 2));
    const om = Number(digits.slice(2));
    if (oh > 23 || om > 59) throw new FieldError(`${field} has an invalid zone: ${clip(v)}`);
    offset = (zone[0] === '-' ? -1 : 1) * (oh * 60 + om);
  } else if (zone) offset = 0;
  ts -= offset * 60_000;
  return new Date(ts).toISOString();
}

/** What a decision word means: pass/accept/allow -> allowed, drop/reject/block/deny -> blocked. */
export function actionOf(word: string | null): NetworkAction | null {
  if (word === null) return null;
  const w = word.toLowerCase();
  if (/\b(?:drop(?:ped)?|reject(?:ed)?|block(?:ed)?|den(?:y|ied)|prevent(?:ed)?)\b/.test(w)) return 'blocked';
  if (/\b(?:pass(?:ed)?|accept(?:ed)?|allow(?:ed)?|permit(?:ted)?)\b/.test(w)) return 'allowed';
  return null;
}

/** The outcome of a network decision: allowed passes, blocked fails, unknown when not said. */
export function outcomeOfAction(a: NetworkAction | null): Outcome {
  return a === 'allowed' ? 'success' : a === 'blocked' ? 'failure' : 'unknown';
}

/**
 * Suricata's alert severity is the classification priority: 1 is the most severe. 1 -> high,
 * 2 -> medium, 3 -> low, 4 and above -> informational; a rule whose metadata says
 * `signature_severity: Critical` (the Emerging Threats convention) at priority 1 is critical.
 */
export function suricataSeverity(priority: number, critical: boolean): EventSeverity {
  if (priority <= 1) return critical ? 'critical' : 'high';
  if (priority === 2) return 'medium';
  if (priority === 3) return 'low';
  return 'informational';
}

/** Defender's severities (API: UnSpecified, Informational, Low, Medium, High; Graph: lower case). */
export function defenderSeverity(v: unknown): EventSeverity | null {
  const s = textOf(v)?.toLowerCase();
  if (s === 'high') return 'high';
  if (s === 'medium') return 'medium';
  if (s === 'low') return 'low';
  if (s === 'informational') return 'informational';
  return null; // UnSpecified, unknown
}

/** CEF Severity: 0-3 low, 4-6 medium, 7-8 high, 9-10 very high (critical); or the words. */
export function cefSeverity(v: string): EventSeverity | null {
  const s = v.trim().toLowerCase();
  if (/^\d{1,2}$/.test(s)) {
    const n = Number(s);
    if (n > 10) return null;
    return n >= 9 ? 'critical' : n >= 7 ? 'high' : n >= 4 ? 'medium' : 'low';
  }
  if (s === 'very-high' || s === 'very high' || s === 'critical') return 'critical';
  if (s === 'high') return 'high';
  if (s === 'medium') return 'medium';
  if (s === 'low') return 'low';
  return null; // Unknown, or a word CEF does not define
}

/** A lower-case domain name without a trailing dot, or null when the text is not one. */
export function domainOf(v: unknown): string | null {
  const s = textOf(v);
  if (s === null) return null;
  const d = s.toLowerCase().replace(/\.$/, '');
  return /^[a-z0-9_*]([a-z0-9_-]*[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)*$/.test(d) ? d : null;
}
