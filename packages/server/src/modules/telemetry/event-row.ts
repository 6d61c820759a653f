import type { NormalisedEventInput } from '@accord/contracts';
import { canonicalJson } from '../../platform/canonical-json.ts';

/** One event as stored: the normalised fields, where it came from, and the raw record. */
export interface EventRow {
  time: string; // ISO-8601 UTC with millisecond precision (what both databases round-trip exactly)
  class: string;
  activity: string;
  outcome: string;
  reason: string | null;
  reasonDetail: string | null;
  user: string | null;
  userDomain: string | null;
  targetUser: string | null;
  group: string | null;
  srcIp: string | null;
  srcPort: number | null;
  geo: unknown;
  dstHost: string | null;
  app: string | null;
  authProtocol: string | null;
  mfaUsed: boolean | null;
  processName: string | null;
  commandLine: string | null;
  vendorEventId: string | null;
  isMsp: boolean;
  raw: string;
  // Network and endpoint fields (docs/network-and-endpoint.md). Absent means null: rows built
  // before these fields existed hash exactly as they did (eventHashLine).
  dstIp?: string | null;
  dstPort?: number | null;
  protocol?: string | null;
  action?: string | null;
  signature?: string | null;
  signatureId?: string | null;
  severity?: string | null;
}

/** The network and endpoint fields of a row, in their hash order; null when the row has none. */
export function networkFields(e: EventRow): (string | number | null)[] | null {
  const f = [
    e.dstIp ?? null,
    e.dstPort ?? null,
    e.protocol ?? null,
    e.action ?? null,
    e.signature ?? null,
    e.signatureId ?? null,
    e.severity ?? null,
  ];
  return f.every((v) => v === null) ? null : f;
}

const n = <T>(v: T | undefined): T | null => (v === undefined ? null : v);

/**
 * A time as Date#toISOString writes it, with a date and time that cannot roll over (day 01-28,
 * hour 00-23): kept as it is, since converting costs microseconds. Others (`+02:00`, day 31, hour 24)
 * are converted, as Date does.
 */
const PLAIN_ISO_UTC = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|1\d|2[0-8])T([01]\d|2[0-3]):[0-5]\d:[0-5]\d\.\d{3}Z$/;

// The last time converted: consecutive events mostly share it (parsers hand the same text on).
let lastIn = '';
let lastOut = '';

/** A time as the stored canonical ISO text (see PLAIN_ISO_UTC). */
export function canonicalTime(time: string): string {
  if (time === lastIn) return lastOut;
  lastOut = PLAIN_ISO_UTC.test(time) ? time : new Date(time).toISOString();
  lastIn = time;
  return lastOut;
}

export function toEventRow(e: NormalisedEventInput, raw: string): EventRow {
  return {
    time: canonicalTime(e.time),
    class: e.class,
    activity: e.activity,
    outcome: e.outcome,
    reason: n(e.reason),
    reasonDetail: n(e.reasonDetail),
    user: n(e.user),
    userDomain: n(e.userDomain),
    targetUser: n(e.targetUser),
    group: n(e.group),
    srcIp: n(e.srcIp),
    srcPort: n(e.srcPort),
    geo: n(e.geo),
    dstHost: n(e.dstHost),
    app: n(e.app),
    authProtocol: n(e.authProtocol),
    mfaUsed: n(e.mfaUsed),
    processName: n(e.processName),
    commandLine: n(e.commandLine),
    vendorEventId: n(e.vendorEventId),
    isMsp: false,
    raw,
    dstIp: n(e.dstIp),
    dstPort: n(e.dstPort),
    protocol: n(e.protocol),
    action: n(e.action),
    signature: n(e.signature),
    signatureId: n(e.signatureId),
    severity: n(e.severity),
  };
}

/**
 * The line of an event that its batch's content hash covers: every stored field in a fixed order,
 * as the canonical JSON array (platform/canonical-json.ts) of those fields. Verification rebuilds it
 * from the database row, so any change to a stored value shows.
 *
 * Written out by hand because it runs for every ingested event: for strings, finite numbers,
 * booleans and null, JSON.stringify gives exactly canonical JSON's bytes, so only `geo` (an object
 * whose keys must be sorted) goes through canonicalJson. Seals made before stay valid.
 */
export function eventHashLine(sourceId: string, e: EventRow): string {
  if (e.srcPort !== null && !Number.isFinite(e.srcPort))
    throw new Error('canonical JSON cannot hold a non-finite number');
  const before = JSON.stringify([
    sourceId,
    e.time,
    e.class,
    e.activity,
    e.outcome,
    e.reason,
    e.reasonDetail,
    e.user,
    e.userDomain,
    e.targetUser,
    e.group,
    e.srcIp,
    e.srcPort,
  ]);
  const after = JSON.stringify([
    e.dstHost,
    e.app,
    e.authProtocol,
    e.mfaUsed,
    e.processName,
    e.commandLine,
    e.vendorEventId,
    e.isMsp,
    e.raw,
  ]);
  const geo = e.geo === null || e.geo === undefined ? 'null' : canonicalJson(e.geo);
  // An event with network or endpoint fields carries them as one more element, an array, at the
  // end; an event without any keeps the line it always had, so earlier seals stay valid.
  const net = networkFields(e);
  if (net !== null) {
    if (e.dstPort != null && !Number.isFinite(e.dstPort))
      throw new Error('canonical JSON cannot hold a non-finite number');
    return `${before.slice(0, -1)},${geo},${after.slice(1, -1)},${JSON.stringify(net)}]`;
  }
  return `${before.slice(0, -1)},${geo},${after.slice(1)}`;
}
