import { z } from 'zod';

/**
 * The normalised security event every parser produces. Names follow OCSF where it has them
 * (class, activity, outcome, src/dst endpoint); values are Accord's closed lists so that detection
 * rules and control checks can rely on them. The raw record is always kept beside it by ingest.
 */
export const SOURCE_KINDS = [
  'linux_syslog', // sshd / PAM / sudo lines, RFC 3164 or RFC 5424 framed
  'windows_security', // Windows Security event log as JSON (Winlogbeat, EVTX-to-JSON)
  'entra_signin', // Microsoft Entra ID sign-in logs (Graph signIn, portal JSON export)
  'okta_system_log', // Okta System Log events
  'cef', // ArcSight Common Event Format lines
  'generic_json', // any JSON with a per-source field mapping
] as const;
export type SourceKind = (typeof SOURCE_KINDS)[number];

export const EVENT_CLASSES = [
  'authentication', // sign-ins, logons, MFA challenges, Kerberos/NTLM validation
  'session', // logoff, session opened/closed
  'account_change', // account created, enabled, disabled, deleted, password reset, locked out
  'group_change', // member added to / removed from a group
  'privilege_use', // special privileges assigned, sudo, explicit-credential logon
  'process', // process started
  'policy_change', // audit policy changed, MFA settings changed
  'audit_log', // audit log cleared
  'other',
] as const;
export type EventClass = (typeof EVENT_CLASSES)[number];

export const OUTCOMES = ['success', 'failure', 'unknown'] as const;
export type Outcome = (typeof OUTCOMES)[number];

export const FAILURE_REASONS = [
  'bad_password',
  'unknown_user',
  'locked',
  'disabled',
  'expired',
  'mfa_denied',
  'mfa_timeout',
  'mfa_required',
  'invalid_mfa_code',
  'policy_blocked', // conditional access, sign-in policy, time or location restriction
  'invalid_request',
  'other',
] as const;
export type FailureReason = (typeof FAILURE_REASONS)[number];

export const Geo = z
  .object({
    country: z.string().optional(),
    city: z.string().optional(),
    lat: z.number().min(-90).max(90).optional(),
    lon: z.number().min(-180).max(180).optional(),
  })
  .strict();

export const NormalisedEvent = z
  .object({
    /** When it happened, ISO-8601 UTC. */
    time: z.string().datetime({ offset: true }),
    class: z.enum(EVENT_CLASSES),
    /** Snake-case verb within the class: logon, logoff, mfa_challenge, user_created, ... */
    activity: z.string().regex(/^[a-z][a-z0-9_]*$/),
    outcome: z.enum(OUTCOMES),
    reason: z.enum(FAILURE_REASONS).nullable().default(null),
    /** The vendor's own failure code or text (0xC000006A, AADSTS50126, ...). */
    reasonDetail: z.string().nullable().default(null),
    /** The acting or authenticating account. */
    user: z.string().nullable().default(null),
    userDomain: z.string().nullable().default(null),
    /** The account acted upon (account and group changes), when different from `user`. */
    targetUser: z.string().nullable().default(null),
    group: z.string().nullable().default(null),
    srcIp: z.string().nullable().default(null),
    srcPort: z.number().int().min(0).max(65535).nullable().default(null),
    geo: Geo.nullable().default(null),
    /** The host or application signed in to or acted on. */
    dstHost: z.string().nullable().default(null),
    app: z.string().nullable().default(null),
    authProtocol: z.string().nullable().default(null),
    /** Whether a second factor was used; null when the record does not say. */
    mfaUsed: z.boolean().nullable().default(null),
    processName: z.string().nullable().default(null),
    commandLine: z.string().nullable().default(null),
    /** The vendor's event type: 4625, user.session.start, sshd, ... */
    vendorEventId: z.string().nullable().default(null),
  })
  .strict();
export type NormalisedEvent = z.infer<typeof NormalisedEvent>;
export type NormalisedEventInput = z.input<typeof NormalisedEvent>;
