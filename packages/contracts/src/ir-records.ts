import { z } from 'zod';
import { Day, LongText, Text } from './text.ts';
import { INCIDENT_SEVERITIES, PLAN_ROLES, Person, RECIPIENTS } from './ir.ts';

/**
 * Incidents (opened by hand or from alerts, with an append-only timeline and notification
 * deadlines), exercises (attendance, findings) and the follow-up actions of both; see ir.ts for
 * plans and the shared vocabularies.
 */

const Uuid = z.string().uuid();
const Ts = z.string().datetime({ offset: true });
const PlaybookKey = z
  .string()
  .regex(/^[a-z][a-z0-9_]{1,63}$/, 'must be a lower-case key such as ransomware or supplier_breach');

// ---- incidents ----

export const INCIDENT_STATUSES = ['open', 'investigating', 'contained', 'recovered', 'closed'] as const;
export type IncidentStatus = (typeof INCIDENT_STATUSES)[number];
const Systems = z.array(Text(200)).max(200);

export const OpenIncidentBody = z
  .object({
    title: Text(200),
    description: LongText(8000).optional(),
    severity: z.enum(INCIDENT_SEVERITIES),
    /** When the incident was detected (default: the earliest linked alert, else now). */
    detectedAt: Ts.optional(),
    alertIds: z.array(Uuid).max(100).default([]),
    affectedSystems: Systems.default([]),
    /** The playbook of the organisation's approved incident response plan to follow. */
    playbook: PlaybookKey.optional(),
  })
  .strict();
export const ChangeIncidentBody = z
  .object({
    title: Text(200).optional(),
    description: LongText(8000).optional(),
    severity: z.enum(INCIDENT_SEVERITIES).optional(),
    status: z.enum(['open', 'investigating', 'contained', 'recovered']).optional(),
    affectedSystems: Systems.optional(),
    detectedAt: Ts.optional(),
    note: LongText(4000).optional(),
  })
  .strict()
  .refine((b) => Object.keys(b).length > 0, 'say what changes');
export const NoteBody = z.object({ text: LongText(8000) }).strict();
export const LinkAlertsBody = z.object({ alertIds: z.array(Uuid).min(1).max(100) }).strict();
export const PlaybookBody = z.object({ playbook: PlaybookKey }).strict();
export const StepBody = z.object({ done: z.boolean(), note: LongText(2000).optional() }).strict();
export const NotificationBody = z
  .object({
    recipient: z.enum(RECIPIENTS),
    notifiedAt: Ts,
    channel: Text(200),
    note: LongText(2000).optional(),
  })
  .strict();
export const CloseIncidentBody = z
  .object({ rootCause: LongText(8000), lessonsLearned: LongText(8000) })
  .strict();
export const IncidentParams = z.object({ id: Uuid, incidentId: Uuid });
export const StepParams = IncidentParams.extend({ step: z.coerce.number().int().min(1).max(100) });
export const IncidentQuery = z.object({ status: z.enum(INCIDENT_STATUSES).optional() });

export const ACTION_PRIORITIES = ['high', 'medium', 'low'] as const;
export const ACTION_STATUSES = ['open', 'done', 'cancelled'] as const;
export const NewActionBody = z
  .object({
    title: Text(300),
    ownerUserId: Uuid,
    dueDate: Day,
    /** IRP-03 counts overdue high-priority actions; an action is high unless said otherwise. */
    priority: z.enum(ACTION_PRIORITIES).default('high'),
  })
  .strict();
export const ChangeActionBody = z
  .object({
    status: z.enum(ACTION_STATUSES).optional(),
    ownerUserId: Uuid.optional(),
    dueDate: Day.optional(),
    priority: z.enum(ACTION_PRIORITIES).optional(),
    note: LongText(2000).optional(),
  })
  .strict()
  .refine((b) => Object.keys(b).length > 0, 'say what changes');
export const ActionParams = z.object({ id: Uuid, actionId: Uuid });
export const ActionQuery = z.object({
  status: z.enum(ACTION_STATUSES).optional(),
  overdue: z
    .enum(['true', 'false'])
    .transform((v) => v === 'true')
    .optional(),
});
export const Action = z.object({
  id: Uuid,
  orgId: Uuid,
  source: z.object({ type: z.enum(['incident', 'exercise']), id: Uuid }),
  title: z.string(),
  owner: Person,
  dueDate: z.string(),
  priority: z.enum(ACTION_PRIORITIES),
  status: z.enum(ACTION_STATUSES),
  overdue: z.boolean(),
  createdAt: Ts,
  completedAt: Ts.nullable(),
  /** Done after its due date. */
  closedLate: z.boolean(),
});

export const TimelineEntry = z.object({
  seq: z.number().int(),
  at: Ts,
  actor: z.object({ orgId: Uuid.nullable(), userId: Uuid.nullable(), label: z.string() }),
  kind: z.string(),
  text: z.string(),
  details: z.record(z.unknown()),
});
export const Deadline = z.object({
  source: z.enum(['agreement', 'plan']),
  /** The agreement (and control whose parameter set the hours) or the plan duty's description. */
  ref: z.string(),
  recipient: z.enum(RECIPIENTS),
  hours: z.number().int(),
  dueAt: Ts,
  notifiedAt: Ts.nullable(),
  /** met: notified in time; late: notified after the deadline; pending: not yet, still in time; missed: not notified and past due. */
  status: z.enum(['met', 'late', 'pending', 'missed']),
});
export const Incident = z.object({
  id: Uuid,
  orgId: Uuid,
  title: z.string(),
  description: z.string().nullable(),
  severity: z.enum(INCIDENT_SEVERITIES),
  status: z.enum(INCIDENT_STATUSES),
  detectedAt: Ts,
  declaredAt: Ts,
  declaredBy: z.string(),
  affectedSystems: z.array(z.string()),
  closedAt: Ts.nullable(),
  updatedAt: Ts,
});
export const IncidentDetail = Incident.extend({
  rootCause: z.string().nullable(),
  lessonsLearned: z.string().nullable(),
  alerts: z.array(
    z.object({
      alertId: Uuid,
      ruleTitle: z.string(),
      level: z.string(),
      status: z.string(),
      linkedAt: Ts,
    }),
  ),
  playbook: z
    .object({
      planId: Uuid,
      planVersion: z.number().int(),
      incidentType: z.string(),
      title: z.string(),
      steps: z.array(
        z.object({
          step: z.number().int(),
          text: z.string(),
          role: z.string().nullable(),
          done: z.boolean(),
          doneBy: z.string().nullable(),
          doneAt: Ts.nullable(),
        }),
      ),
    })
    .nullable(),
  notifications: z.array(
    z.object({
      recipient: z.enum(RECIPIENTS),
      notifiedAt: Ts,
      channel: z.string(),
      note: z.string().nullable(),
      recordedBy: z.string(),
    }),
  ),
  deadlines: z.array(Deadline),
  actions: z.array(Action),
  timeline: z.array(TimelineEntry),
});

// ---- exercises ----

export const EXERCISE_KINDS = ['tabletop', 'live'] as const;
export const EXERCISE_STATUSES = ['scheduled', 'held', 'closed', 'cancelled'] as const;
export const ScheduleExerciseBody = z
  .object({
    planId: Uuid,
    kind: z.enum(EXERCISE_KINDS),
    title: Text(200),
    scenario: LongText(8000),
    /** When it takes place (default: when the plan's cadence makes the next one due). */
    scheduledFor: Ts.optional(),
    participants: z
      .array(z.object({ userId: Uuid, role: z.enum(PLAN_ROLES).optional() }).strict())
      .min(1)
      .max(200),
  })
  .strict();
export const AttendanceBody = z
  .object({
    heldAt: Ts,
    attendees: z
      .array(z.object({ userId: Uuid, attended: z.boolean() }).strict())
      .min(1)
      .max(200),
  })
  .strict();
export const FindingBody = z
  .object({
    title: Text(300),
    detail: LongText(8000),
    severity: z.enum(INCIDENT_SEVERITIES).default('medium'),
  })
  .strict();
export const CloseExerciseBody = z.object({ summary: LongText(8000) }).strict();
export const CancelExerciseBody = z.object({ reason: LongText(2000) }).strict();
export const ExerciseParams = z.object({ id: Uuid, exerciseId: Uuid });
export const Exercise = z.object({
  id: Uuid,
  orgId: Uuid,
  planId: Uuid,
  planVersion: z.number().int().nullable(),
  kind: z.enum(EXERCISE_KINDS),
  title: z.string(),
  scenario: z.string(),
  scheduledFor: Ts,
  status: z.enum(EXERCISE_STATUSES),
  heldAt: Ts.nullable(),
  closedAt: Ts.nullable(),
  /** Attended by people of more than one party (the customer and its MSP). */
  joint: z.boolean(),
});
export const ExerciseDetail = Exercise.extend({
  summary: z.string().nullable(),
  cancelReason: z.string().nullable(),
  participants: z.array(
    Person.extend({ role: z.enum(PLAN_ROLES).nullable(), attended: z.boolean().nullable() }),
  ),
  findings: z.array(
    z.object({
      id: Uuid,
      title: z.string(),
      detail: z.string(),
      severity: z.enum(INCIDENT_SEVERITIES),
      recordedBy: z.string(),
      recordedAt: Ts,
    }),
  ),
  actions: z.array(Action),
  timeline: z.array(TimelineEntry),
});
