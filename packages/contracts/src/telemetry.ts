import { z } from 'zod';
import { EVENT_CLASSES, OUTCOMES, SOURCE_KINDS } from './events.ts';

/** API schemas of log sources, ingest, search and seal verification. */
const Ts = z.string().datetime({ offset: true });

/**
 * What a log source stands for in an agreement: LOG-01 and LOG-02 name the categories that must be
 * kept and connected (`required_log_sources`).
 */
export const SOURCE_CATEGORIES = [
  'identity_signin',
  'directory_audit',
  'email_audit',
  'edr',
  'vpn',
  'firewall',
  'ids',
  'rmm',
  'remote_access',
  'backup_platform',
  'server_auth',
  'other',
] as const;
export type SourceCategory = (typeof SOURCE_CATEGORIES)[number];
export const SourceCategories = z
  .array(z.enum(SOURCE_CATEGORIES))
  .max(SOURCE_CATEGORIES.length)
  .refine((a) => new Set(a).size === a.length, 'categories must not repeat');

/** A site name: compared without case or surrounding blanks to the agreement's `monitored_sites`. */
export const SourceSite = z.string().trim().min(1).max(120);

export const CreateSourceBody = z.object({
  kind: z.enum(SOURCE_KINDS),
  name: z.string().trim().min(1).max(120),
  /** A source that sends nothing for longer than this is silent. */
  expectedIntervalMinutes: z.number().int().min(1).max(10_080),
  /** For timestamps without a zone (classic syslog): minutes east of UTC. */
  utcOffsetMinutes: z.number().int().min(-840).max(840).default(0),
  /** Required for generic_json: where each normalised field is in the record. */
  mapping: z.record(z.unknown()).optional(),
  /** Omitted: from the kind (sign-in logs are identity_signin, Windows Security directory_audit). */
  categories: SourceCategories.optional(),
  /** The site (office, data centre, plant) the source monitors, as the agreement names it (LOG-02). */
  site: SourceSite.optional(),
});
export const SourceSiteBody = z.object({ site: SourceSite.nullable() }).strict();
export const SourceCategoriesBody = z.object({ categories: SourceCategories }).strict();
export const LogSource = z.object({
  id: z.string().uuid(),
  orgId: z.string().uuid(),
  kind: z.enum(SOURCE_KINDS),
  name: z.string(),
  expectedIntervalMinutes: z.number().int(),
  utcOffsetMinutes: z.number().int(),
  categories: z.array(z.string()),
  site: z.string().nullable(),
  createdAt: Ts,
  disabledAt: Ts.nullable(),
  lastReceivedAt: Ts.nullable(),
  lastEventAt: Ts.nullable(),
  silent: z.boolean(),
});
export const CreatedLogSource = LogSource.extend({ ingestToken: z.string() });

export const IngestResult = z.object({
  batchId: z.string().uuid().nullable(),
  seq: z.number().int().nullable(),
  seal: z.string().nullable(),
  accepted: z.number().int(),
  rejected: z.array(z.object({ line: z.number().int(), reason: z.string() })),
  /** Rejections beyond the first 100 are counted here and kept in quarantine. */
  rejectedTotal: z.number().int(),
  /** This batch was stored before under the same Idempotency-Key: nothing new was stored. */
  duplicate: z.boolean().optional(),
});

export const EventQuery = z.object({
  from: Ts.optional(),
  to: Ts.optional(),
  sourceId: z.string().uuid().optional(),
  class: z.enum(EVENT_CLASSES).optional(),
  activity: z.string().max(64).optional(),
  outcome: z.enum(OUTCOMES).optional(),
  reason: z.string().max(64).optional(),
  user: z.string().max(320).optional(),
  srcIp: z.string().max(64).optional(),
  dstIp: z.string().max(64).optional(),
  isMsp: z.enum(['true', 'false']).optional(),
  /** Free text, matched case-insensitively in the raw record. */
  q: z.string().min(1).max(200).optional(),
  order: z.enum(['asc', 'desc']).default('desc'),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  cursor: z.string().max(200).optional(),
  format: z.enum(['json', 'ndjson', 'csv']).default('json'),
});
export const StoredEvent = z.object({
  id: z.string(),
  time: Ts,
  receivedAt: Ts,
  sourceId: z.string().uuid(),
  class: z.string(),
  activity: z.string(),
  outcome: z.string(),
  reason: z.string().nullable(),
  reasonDetail: z.string().nullable(),
  user: z.string().nullable(),
  userDomain: z.string().nullable(),
  targetUser: z.string().nullable(),
  group: z.string().nullable(),
  srcIp: z.string().nullable(),
  srcPort: z.number().nullable(),
  geo: z.unknown().nullable(),
  dstHost: z.string().nullable(),
  app: z.string().nullable(),
  authProtocol: z.string().nullable(),
  mfaUsed: z.boolean().nullable(),
  processName: z.string().nullable(),
  commandLine: z.string().nullable(),
  vendorEventId: z.string().nullable(),
  dstIp: z.string().nullable(),
  dstPort: z.number().nullable(),
  protocol: z.string().nullable(),
  action: z.string().nullable(),
  signature: z.string().nullable(),
  signatureId: z.string().nullable(),
  severity: z.string().nullable(),
  isMsp: z.boolean(),
  raw: z.string(),
});
export const EventPage = z.object({ events: z.array(StoredEvent), nextCursor: z.string().nullable() });

export const LogsVerifyQuery = z.object({ from: Ts.optional(), to: Ts.optional() });
export const LogsVerifyResult = z.object({
  ok: z.boolean(),
  batches: z.number().int(),
  events: z.number().int(),
  firstBrokenSeq: z.number().int().nullable(),
  reason: z.string().nullable(),
});
export const QuarantineEntry = z.object({
  id: z.string().uuid(),
  sourceId: z.string().uuid(),
  batchId: z.string().uuid().nullable(),
  receivedAt: Ts,
  line: z.number().int().nullable(),
  reason: z.string(),
  raw: z.string(),
});
