import { z } from 'zod';

/** API schemas of detection: rules, tuning, alerts, suppressions, notification channels, history runs. */
const Ts = z.string().datetime({ offset: true });
export const LEVELS = ['informational', 'low', 'medium', 'high', 'critical'] as const;
export type AlertLevel = (typeof LEVELS)[number];
export const ALERT_STATUSES = ['open', 'acknowledged', 'resolved', 'false_positive'] as const;
export type AlertStatus = (typeof ALERT_STATUSES)[number];
const RuleId = z.string().trim().min(1).max(200);

export const DetectionRule = z.object({
  ruleId: z.string(),
  title: z.string(),
  level: z.enum(LEVELS).nullable(),
  /** builtin: ships with Accord; custom: added by this tenant; msp: added by its MSP for all customers. */
  origin: z.enum(['builtin', 'custom', 'msp']),
  kind: z.enum(['rule', 'correlation']),
  enabled: z.boolean(),
  tuning: z.object({
    timespan: z.string().nullable(),
    threshold: z.number().int().nullable(),
    level: z.enum(LEVELS).nullable(),
  }),
});
export const AddRuleBody = z.object({
  /** One or more Sigma rule documents (YAML, separated by ---). */
  yaml: z.string().min(1).max(200_000),
  /** An MSP's rule that also runs for every customer it manages. */
  forCustomers: z.boolean().default(false),
});
export const AddRuleResult = z.object({ added: z.array(z.string()) });
export const TuneRuleBody = z
  .object({
    enabled: z.boolean().optional(),
    timespan: z
      .string()
      .regex(/^\d{1,6}[smhd]$/, 'a Sigma timespan such as 5m, 1h or 2d')
      .nullable()
      .optional(),
    threshold: z.number().int().min(1).max(1_000_000).nullable().optional(),
    level: z.enum(LEVELS).nullable().optional(),
  })
  .refine((b) => Object.keys(b).length > 0, 'say what to change: enabled, timespan, threshold or level');
export const RuleParams = z.object({ id: z.string().uuid(), ruleId: RuleId });

export const AlertEvidence = z.object({
  batchId: z.string().uuid(),
  batchPos: z.number().int(),
  time: Ts,
  /** The stored event, when it is still held (retention may have dropped it). */
  event: z.record(z.unknown()).nullable().optional(),
});
export const AlertHistoryEntry = z.object({
  at: Ts,
  actor: z.string(),
  fromStatus: z.enum(ALERT_STATUSES).nullable(),
  toStatus: z.enum(ALERT_STATUSES),
  reason: z.string().nullable(),
});
export const Alert = z.object({
  id: z.string().uuid(),
  orgId: z.string().uuid(),
  ruleId: z.string(),
  ruleTitle: z.string(),
  level: z.enum(LEVELS),
  status: z.enum(ALERT_STATUSES),
  groupKey: z.string(),
  groupValues: z.record(z.string().nullable()),
  summary: z.string(),
  firstSeen: Ts,
  lastSeen: Ts,
  eventCount: z.number().int(),
  suppressedBy: z.string().uuid().nullable(),
  createdAt: Ts,
  updatedAt: Ts,
});
export const AlertDetail = Alert.extend({
  evidence: z.array(AlertEvidence),
  history: z.array(AlertHistoryEntry),
});
export const AlertQuery = z.object({
  status: z.enum(ALERT_STATUSES).optional(),
  level: z.enum(LEVELS).optional(),
  ruleId: RuleId.optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z.string().max(200).optional(),
});
export const AlertPage = z.object({ alerts: z.array(Alert), nextCursor: z.string().nullable() });
export const AlertParams = z.object({ id: z.string().uuid(), alertId: z.string().uuid() });
export const AlertTransitionBody = z.object({
  status: z.enum(['acknowledged', 'resolved', 'false_positive']),
  reason: z.string().trim().min(1).max(2000).optional(),
});

export const CreateSuppressionBody = z
  .object({
    ruleId: RuleId.optional(),
    groupValues: z.record(z.string().max(500).nullable()).optional(),
    reason: z.string().trim().min(1).max(2000),
    expiresAt: Ts,
  })
  .refine((b) => b.ruleId !== undefined || b.groupValues !== undefined, 'name a ruleId, groupValues or both');
export const Suppression = z.object({
  id: z.string().uuid(),
  orgId: z.string().uuid(),
  ruleId: z.string().nullable(),
  groupValues: z.record(z.string().nullable()).nullable(),
  reason: z.string(),
  expiresAt: Ts,
  hits: z.number().int(),
  createdBy: z.string(),
  createdAt: Ts,
});
export const SuppressionParams = z.object({ id: z.string().uuid(), suppressionId: z.string().uuid() });

export const CreateChannelBody = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('webhook'),
    name: z.string().trim().min(1).max(120),
    url: z
      .string()
      .url()
      .max(2000)
      .regex(/^https?:\/\//, 'must be an http(s) URL'),
    minLevel: z.enum(LEVELS).default('medium'),
  }),
  z.object({
    kind: z.literal('email'),
    name: z.string().trim().min(1).max(120),
    to: z.string().email().max(320),
    minLevel: z.enum(LEVELS).default('medium'),
  }),
]);
export const NotificationChannel = z.object({
  id: z.string().uuid(),
  orgId: z.string().uuid(),
  kind: z.enum(['webhook', 'email']),
  name: z.string(),
  url: z.string().nullable(),
  to: z.string().nullable(),
  minLevel: z.enum(LEVELS),
  createdAt: Ts,
});
/** The webhook signing secret appears in this answer only. */
export const CreatedChannel = NotificationChannel.extend({ secret: z.string().nullable() });
export const ChannelParams = z.object({ id: z.string().uuid(), channelId: z.string().uuid() });
export const NotificationDelivery = z.object({
  outboxId: z.string().uuid(),
  channelId: z.string().uuid(),
  alertId: z.string().uuid().nullable(),
  event: z.string(),
  status: z.enum(['pending', 'delivered', 'failed']),
  dueBy: Ts,
  deliveredAt: Ts.nullable(),
  metSla: z.boolean().nullable(),
  attempts: z.array(
    z.object({
      attempt: z.number().int(),
      at: Ts,
      ok: z.boolean(),
      statusCode: z.number().int().nullable(),
      error: z.string().nullable(),
    }),
  ),
});

export const DetectRunBody = z.object({
  from: Ts,
  to: Ts,
  rules: z.array(RuleId).max(500).optional(),
  /** Also record the detections as alerts (off by default: a history run only reports). */
  record: z.boolean().default(false),
});
export const Detection = z.object({
  ruleId: z.string(),
  ruleTitle: z.string(),
  level: z.enum(LEVELS),
  groupKey: z.string(),
  groupValues: z.record(z.string().nullable()),
  firstSeen: Ts,
  lastSeen: Ts,
  eventCount: z.number().int(),
  evidence: z.array(z.object({ batchId: z.string(), batchPos: z.number().int(), time: Ts })),
  summary: z.string(),
});
export const DetectRunResult = z.object({
  eventsScanned: z.number().int(),
  detections: z.array(Detection),
  recorded: z.number().int(),
});
