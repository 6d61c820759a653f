// The API's shapes, inferred from the Zod schemas in @accord/contracts (types only: nothing of the
// schemas reaches the browser bundle).
import type { z } from 'zod';
import type * as C from '@accord/contracts';

export type SessionInfo = z.infer<typeof C.SessionInfo>;
export type Membership = SessionInfo['memberships'][number];
export type MfaEnrollment = z.infer<typeof C.MfaEnrollment>;
export type Agreement = z.infer<typeof C.Agreement>;
export type AgreementVersion = z.infer<typeof C.AgreementVersion>;
export type AgreementControl = z.infer<typeof C.AgreementControl>;
export type AgreementControlInput = z.infer<typeof C.AgreementControlInput>;
export type Catalog = z.infer<typeof C.Catalog>;
export type CatalogControl = z.infer<typeof C.CatalogControl>;
export type ControlStatus = z.infer<typeof C.ControlStatus>;
export type ControlHistoryEntry = z.infer<typeof C.ControlHistoryEntry>;
export type Portfolio = z.infer<typeof C.Portfolio>;
export type Relationship = z.infer<typeof C.Relationship>;
export type Org = z.infer<typeof C.Org>;
export type Alert = z.infer<typeof C.Alert>;
export type AlertDetail = z.infer<typeof C.AlertDetail>;
export type AlertPage = z.infer<typeof C.AlertPage>;
export type DetectionRule = z.infer<typeof C.DetectionRule>;
export type Evidence = z.infer<typeof C.Evidence>;
export type EvidenceDetail = z.infer<typeof C.EvidenceDetail>;
export type ControlAttestations = z.infer<typeof C.ControlAttestations>;
export type AuditEntry = z.infer<typeof C.AuditEntry>;
export type AuditVerifyResult = z.infer<typeof C.AuditVerifyResult>;
export type StoredEvent = z.infer<typeof C.StoredEvent>;
export type EventPage = z.infer<typeof C.EventPage>;
export type LogSource = z.infer<typeof C.LogSource>;
export type CreatedLogSource = z.infer<typeof C.CreatedLogSource>;
export type LogsVerifyResult = z.infer<typeof C.LogsVerifyResult>;
export type MemberRow = z.infer<typeof C.Membership>;
export type ApiToken = z.infer<typeof C.ApiToken>;
export type CreatedApiToken = z.infer<typeof C.CreatedApiToken>;
export type NotificationChannel = z.infer<typeof C.NotificationChannel>;
export type CreatedChannel = z.infer<typeof C.CreatedChannel>;
export type ErrorEnvelope = z.infer<typeof C.ErrorEnvelope>;

/** GET /orgs/:id/logs/coverage (the route has no response schema; this mirrors the service). */
export interface Coverage {
  orgId: string;
  now: string;
  windowDays: number;
  sources: {
    sourceId: string;
    name: string;
    kind: string;
    expectedIntervalMinutes: number;
    disabled: boolean;
    oldestEvent: string | null;
    newestEvent: string | null;
    eventsHeld: number;
    lastReceivedAt: string | null;
    silent: boolean;
    perDay: { day: string; events: number }[];
    gapDays: string[] | null;
    historyComplete: boolean;
  }[];
  tenant: {
    oldestEvent: string | null;
    daysHeld: number;
    requiredDays: number;
    reachesRequired: boolean;
    sourcesMissingHistory: number;
  };
}
