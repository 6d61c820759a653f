export type Level = 'informational' | 'low' | 'medium' | 'high' | 'critical';
/** One event as the engine sees it: the stored normalised fields plus where it is stored. */
export interface EngineEvent {
  orgId: string;
  sourceId: string;
  batchId: string;
  batchPos: number;
  time: string; // ISO UTC
  class: string;
  activity: string;
  outcome: string;
  reason: string | null;
  user: string | null;
  userDomain: string | null;
  targetUser: string | null;
  group: string | null;
  srcIp: string | null;
  geo: unknown;
  dstHost: string | null;
  app: string | null;
  authProtocol: string | null;
  mfaUsed: boolean | null;
  processName: string | null;
  commandLine: string | null;
  vendorEventId: string | null;
  isMsp: boolean;
  // Network and endpoint fields (absent: null); docs/network-and-endpoint.md.
  dstIp?: string | null;
  dstPort?: number | null;
  protocol?: string | null;
  action?: string | null;
  signature?: string | null;
  signatureId?: string | null;
  severity?: string | null;
  /**
   * How many occurrences the record stands for (a syslog `message repeated N times: [...]` line);
   * absent means 1. Windows and counts take each occurrence, evidence the event once.
   */
  occurrences?: number;
}
export interface EvidenceRef {
  batchId: string;
  batchPos: number;
  time: string;
}
/** What the engine emits when a rule matches (a simple rule) or a correlation's condition holds. */
export interface Detection {
  ruleId: string;
  ruleTitle: string;
  level: Level;
  orgId: string;
  /** canonical JSON of the group-by values ('{}' when none): one alert per rule and group */
  groupKey: string;
  groupValues: Record<string, string | null>;
  firstSeen: string;
  lastSeen: string;
  eventCount: number;
  evidence: EvidenceRef[]; // capped at 50 (value_count: one per counted value, up to 200), oldest first
  summary: string; // one human line, e.g. "42 failed sign-ins for root from 203.0.113.9 in 4 min"
  /**
   * Evidence the episode withdrew since it was last reported (value_count `unless`: e.g. a source
   * that has since signed in successfully). Absent when none; the alert drops these events.
   */
  retracted?: EvidenceRef[];
}
/** Per-agreement inputs some rules need (approved RMM tools, maintenance windows, MSP networks). */
export interface TenantContext {
  approvedRemoteTools: string[]; // lower-case tool names
  mspNetworks: string[]; // CIDRs; empty = not enforced
  maintenanceWindows: { days: number[]; start: string; end: string; tz: string }[]; // empty = not enforced
  /** Extra destinations of remote-access services, "tool: domain or CIDR" (NET-01); absent = none. */
  remoteToolDestinations?: string[];
}
