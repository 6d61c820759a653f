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
  // Network defence monitoring and endpoint detection (docs/network-and-endpoint.md)
  'suricata_eve', // Suricata EVE JSON: alert, flow, dns, tls, http
  'netfilter', // Linux netfilter (iptables / nftables LOG) kernel log lines
  'filterlog', // pfSense / OPNsense filterlog CSV lines
  'mde_alerts', // Microsoft Defender for Endpoint alerts (API, or Graph alerts_v2)
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
  'network', // connections, flows, firewall decisions, DNS queries, TLS handshakes, HTTP requests
  'finding', // a security product's alert: IDS signature match, EDR alert
  'app_control', // application control decisions (AppLocker, App Control for Business / WDAC)
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

/** What a firewall, IDS or application control did with the traffic or file (closed list). */
export const NETWORK_ACTIONS = [
  'allowed', // passed, accepted, ran
  'blocked', // dropped, rejected, denied, prevented from running
  'audited', // application control in audit mode: would have been blocked, was allowed
] as const;
export type NetworkAction = (typeof NETWORK_ACTIONS)[number];

/** A security product's severity mapped to Accord's alert levels (docs/network-and-endpoint.md). */
export const EVENT_SEVERITIES = ['informational', 'low', 'medium', 'high', 'critical'] as const;
export type EventSeverity = (typeof EVENT_SEVERITIES)[number];

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
    // Network and endpoint fields: absent (or null) on events that do not carry them, so parsers
    // of sign-in and audit logs need not name them.
    dstIp: z.string().nullable().optional(),
    dstPort: z.number().int().min(0).max(65535).nullable().optional(),
    /** Lower-case transport or application protocol: tcp, udp, icmp, dns, tls, http, ... */
    protocol: z.string().nullable().optional(),
    action: z.enum(NETWORK_ACTIONS).nullable().optional(),
    /** IDS signature, EDR alert title or application-control rule. */
    signature: z.string().nullable().optional(),
    signatureId: z.string().nullable().optional(),
    severity: z.enum(EVENT_SEVERITIES).nullable().optional(),
  })
  .strict();
export type NormalisedEvent = z.infer<typeof NormalisedEvent>;
export type NormalisedEventInput = z.input<typeof NormalisedEvent>;
