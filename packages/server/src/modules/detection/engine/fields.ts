import { remoteToolOf } from './remote-tools.ts';
import { inWindows, ipInList, type Scope } from './scope.ts';
import { remoteServiceOf } from './remote-destinations.ts';
import type { EngineEvent } from './types.ts';

export type FieldType = 'string' | 'boolean' | 'number';
export type Getter = (e: EngineEvent, s: Scope) => string | number | boolean | null;

export interface FieldDef {
  type: FieldType;
  get: Getter;
  /** the values are Accord's closed lower-case lists: compare without case folding */
  lowercase?: boolean;
  ip?: boolean;
  /** derived from the tenant context; the value is null when the context does not enforce it */
  derived?: boolean;
}

function geoPart(e: EngineEvent, key: 'country' | 'city' | 'lat' | 'lon'): unknown {
  const g = e.geo;
  return typeof g === 'object' && g !== null ? (g as Record<string, unknown>)[key] : undefined;
}

const geoString =
  (key: 'country' | 'city'): Getter =>
  (e) => {
    const v = geoPart(e, key);
    return typeof v === 'string' ? v : null;
  };
const geoNumber =
  (key: 'lat' | 'lon'): Getter =>
  (e) => {
    const v = geoPart(e, key);
    return typeof v === 'number' ? v : null;
  };

/** The fields rules can name: the normalised event fields plus fields derived from the context. */
export const FIELDS: Readonly<Record<string, FieldDef>> = {
  sourceId: { type: 'string', get: (e) => e.sourceId },
  class: { type: 'string', get: (e) => e.class, lowercase: true },
  activity: { type: 'string', get: (e) => e.activity, lowercase: true },
  outcome: { type: 'string', get: (e) => e.outcome, lowercase: true },
  reason: { type: 'string', get: (e) => e.reason, lowercase: true },
  user: { type: 'string', get: (e) => e.user },
  userDomain: { type: 'string', get: (e) => e.userDomain },
  targetUser: { type: 'string', get: (e) => e.targetUser },
  group: { type: 'string', get: (e) => e.group },
  srcIp: { type: 'string', get: (e) => e.srcIp, ip: true },
  dstHost: { type: 'string', get: (e) => e.dstHost },
  app: { type: 'string', get: (e) => e.app },
  authProtocol: { type: 'string', get: (e) => e.authProtocol },
  processName: { type: 'string', get: (e) => e.processName },
  commandLine: { type: 'string', get: (e) => e.commandLine },
  vendorEventId: { type: 'string', get: (e) => e.vendorEventId },
  mfaUsed: { type: 'boolean', get: (e) => e.mfaUsed },
  isMsp: { type: 'boolean', get: (e) => e.isMsp },
  'geo.country': { type: 'string', get: geoString('country') },
  'geo.city': { type: 'string', get: geoString('city') },
  'geo.lat': { type: 'number', get: geoNumber('lat') },
  'geo.lon': { type: 'number', get: geoNumber('lon') },
  remoteTool: {
    type: 'string',
    derived: true,
    get: (e) => remoteToolOf(e.processName, e.app),
  },
  remoteToolApproved: {
    type: 'boolean',
    derived: true,
    get: (e, s) => {
      const t = remoteToolOf(e.processName, e.app);
      return t === null ? null : s.approvedTools.has(t);
    },
  },
  inMspNetwork: {
    type: 'boolean',
    derived: true,
    get: (e, s) => (s.mspNetworks === null || e.srcIp === null ? null : ipInList(s.mspNetworks, e.srcIp)),
  },
  // Network and endpoint fields (docs/network-and-endpoint.md)
  dstIp: { type: 'string', get: (e) => e.dstIp ?? null, ip: true },
  dstPort: { type: 'number', get: (e) => e.dstPort ?? null },
  protocol: { type: 'string', get: (e) => e.protocol ?? null },
  action: { type: 'string', get: (e) => e.action ?? null, lowercase: true },
  signature: { type: 'string', get: (e) => e.signature ?? null },
  signatureId: { type: 'string', get: (e) => e.signatureId ?? null },
  severity: { type: 'string', get: (e) => e.severity ?? null, lowercase: true },
  /** The remote-access service whose domain (dstHost) or address (dstIp) the event reaches. */
  remoteService: {
    type: 'string',
    derived: true,
    get: (e, s) => remoteServiceOf(s.remoteDestinations, e.dstHost, e.dstIp ?? null),
  },
  remoteServiceApproved: {
    type: 'boolean',
    derived: true,
    get: (e, s) => {
      const t = remoteServiceOf(s.remoteDestinations, e.dstHost, e.dstIp ?? null);
      return t === null ? null : s.approvedTools.has(t);
    },
  },
  inMaintenanceWindow: {
    type: 'boolean',
    derived: true,
    get: (e, s) => (s.windows === null ? null : inWindows(s.windows, e.time)),
  },
};

export const FIELD_NAMES = Object.keys(FIELDS);

export function fieldDef(name: string): FieldDef | undefined {
  return Object.prototype.hasOwnProperty.call(FIELDS, name) ? FIELDS[name] : undefined;
}

/** A field value as the text of a group-by key (null stays null). */
export function groupText(v: string | number | boolean | null): string | null {
  return v === null ? null : typeof v === 'string' ? v : String(v);
}
