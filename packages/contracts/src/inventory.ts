import { z } from 'zod';

/**
 * Tenant inventories imported from files (identity, assets, vulnerabilities, backups, remote-access
 * tools, ScubaGear results) and the CISA Known Exploited Vulnerabilities catalog they are matched
 * against. Each import replaces the tenant's snapshot of its kind and is kept as evidence (the
 * `imports` history: SHA-256 of the file, who, when, rows accepted and rejected).
 */
export const IMPORT_KINDS = [
  'identity',
  'assets',
  'vulnerabilities',
  'backups',
  'remote_access',
  'scubagear',
  // The staff roster: people (and workloads) with their accounts and leaving dates (OBS-02, AUT-04).
  'roster',
  'training',
  'phishing',
  'app_control',
] as const;
export type ImportKind = (typeof IMPORT_KINDS)[number];

/** The path segment of each kind: POST /api/v1/orgs/:id/imports/<segment>. */
export const IMPORT_PATHS: Record<ImportKind, string> = {
  identity: 'identity',
  assets: 'assets',
  vulnerabilities: 'vulnerabilities',
  backups: 'backups',
  remote_access: 'remote-access',
  scubagear: 'scubagear',
  roster: 'roster',
  training: 'training',
  phishing: 'phishing',
  app_control: 'app-control',
};

/** Formats a kind accepts (`?format=`); without it the format follows Content-Type and content. */
export const IMPORT_FORMATS: Record<ImportKind, readonly string[]> = {
  identity: ['entra', 'okta', 'csv'],
  assets: ['csv'],
  vulnerabilities: ['csv', 'json'],
  backups: ['csv', 'json'],
  remote_access: ['csv'],
  scubagear: ['json'],
  roster: ['csv', 'json'],
  training: ['csv'],
  phishing: ['csv'],
  app_control: ['applocker'],
};

/** A file may be this large as sent (gzip included); decompressed, eight times this at most. */
export const IMPORT_MAX_BYTES = 32 * 1024 * 1024;
/** Rejections listed in an import's answer and history (the count is always complete). */
export const MAX_LISTED_REJECTIONS = 1000;

const Time = z.string().datetime({ offset: true });
const NullableTime = Time.nullable();

export const AccountItem = z.object({
  account: z.string().min(1).max(320),
  displayName: z.string().max(512).nullable(),
  enabled: z.boolean().nullable(),
  mfaRegistered: z.boolean().nullable(),
  mfaCapable: z.boolean().nullable(),
  mfaMethods: z.array(z.string().max(100)).max(50),
  /** Whether MFA is enforced for the account, when the export says (per-user state or a policy). */
  mfaEnforced: z.boolean().nullable(),
  mfaEnforcedBy: z.enum(['per_user', 'policy']).nullable(),
  privileged: z.boolean(),
  privilegedRoles: z.array(z.string().max(200)).max(100),
  lastSignIn: NullableTime,
  created: NullableTime,
  mspOwned: z.boolean(),
  /** 'file': the file said so; 'agreement': matched against the agreement's LOG-05 MSP accounts. */
  mspOwnedSource: z.enum(['file', 'agreement']).nullable(),
  source: z.enum(['entra', 'okta', 'csv']),
  externalId: z.string().max(200).nullable(),
});
export type AccountItem = z.infer<typeof AccountItem>;

export const AssetItem = z.object({
  hostname: z.string().min(1).max(255),
  os: z.string().max(200).nullable(),
  osVersion: z.string().max(200).nullable(),
  internetFacing: z.boolean(),
  owner: z.string().max(320).nullable(),
  edrAgent: z.boolean(),
  edrLastSeen: NullableTime,
  lastPatched: NullableTime,
  /** When a vulnerability scan last covered the asset (UPD-03, PIC-01); absent in older imports. */
  lastScanned: NullableTime.optional(),
  /** When the vendor's support for the asset's OS or firmware ends or ended (OBS-05). */
  endOfSupport: NullableTime.optional(),
  /** The recorded compensating control of an unsupported internal asset (OBS-05). */
  compensatingControl: z.string().max(500).nullable().optional(),
});
export type AssetItem = z.infer<typeof AssetItem>;

export const SEVERITIES = ['critical', 'high', 'medium', 'low', 'info'] as const;
export const VulnerabilityItem = z.object({
  host: z.string().min(1).max(255),
  cve: z.string().regex(/^CVE-\d{4}-\d{4,}$/, 'must be a CVE id like CVE-2024-3400'),
  firstSeen: NullableTime,
  fixedAt: NullableTime,
  severity: z.enum(SEVERITIES).nullable(),
});
export type VulnerabilityItem = z.infer<typeof VulnerabilityItem>;

export const BackupItem = z.object({
  system: z.string().min(1).max(255),
  lastSuccess: NullableTime,
  offlineOrImmutable: z.boolean(),
  encrypted: z.boolean(),
  lastRestoreTest: NullableTime,
});
export type BackupItem = z.infer<typeof BackupItem>;

export const RemoteAccessItem = z.object({
  host: z.string().min(1).max(255),
  /** The normalised product name (e.g. "ScreenConnect" for "ConnectWise Control"). */
  tool: z.string().min(1).max(200),
  toolAsReported: z.string().max(200),
  version: z.string().max(100).nullable(),
  lastSeen: NullableTime,
});
export type RemoteAccessItem = z.infer<typeof RemoteAccessItem>;

/**
 * One person (or registered workload) of an organisation's staff roster, with the accounts they
 * use in the customers' directories. `leftAt` is when they left (null: still there).
 */
export const ROSTER_ENTRY_KINDS = ['person', 'workload'] as const;
export const RosterItem = z.object({
  person: z.string().min(1).max(320),
  kind: z.enum(ROSTER_ENTRY_KINDS),
  accounts: z.array(z.string().min(1).max(320)).max(100),
  role: z.string().max(200).nullable(),
  leftAt: NullableTime,
});
export type RosterItem = z.infer<typeof RosterItem>;

export const SCUBA_RESULTS = ['Pass', 'Fail', 'Warning', 'N/A', 'Error'] as const;
export const ScubaControlItem = z.object({
  controlId: z
    .string()
    .regex(/^MS\.[A-Z]+\.\d+\.\d+v\d+$/, 'must be a ScubaGear policy id like MS.AAD.3.1v1'),
  product: z.string().max(50),
  groupName: z.string().max(300).nullable(),
  requirement: z.string().max(4000).nullable(),
  result: z.enum(SCUBA_RESULTS),
  criticality: z.string().max(100).nullable(),
  details: z.string().max(8000).nullable(),
  /** Accord catalog controls this policy gives evidence for (docs/imports.md). */
  accordControls: z.array(z.string()),
});
export type ScubaControlItem = z.infer<typeof ScubaControlItem>;

/** A security-awareness training record: who, which course, completed when (null: enrolled, not done). */
export const TrainingItem = z.object({
  user: z.string().min(1).max(320),
  course: z.string().min(1).max(300),
  completedOn: NullableTime,
});
export type TrainingItem = z.infer<typeof TrainingItem>;

/** One user's result in one phishing-simulation campaign. */
export const PhishingItem = z.object({
  campaign: z.string().min(1).max(300),
  user: z.string().min(1).max(320),
  /** When the campaign sent (the delivery time, else the campaign's sent_on date). */
  sentAt: Time,
  delivered: z.boolean(),
  clicked: z.boolean(),
  clickedAt: NullableTime,
  reported: z.boolean(),
  reportedAt: NullableTime,
});
export type PhishingItem = z.infer<typeof PhishingItem>;
/**
 * One rule collection of an application-control policy export (AppLocker XML): its enforcement mode
 * and rules. The collection types are AppLocker's; `NotConfigured` means the collection enforces
 * nothing (every file of that type runs).
 */
export const APP_CONTROL_COLLECTIONS = ['Exe', 'Msi', 'Script', 'Dll', 'Appx'] as const;
export const APP_CONTROL_MODES = ['Enabled', 'AuditOnly', 'NotConfigured'] as const;
export const AppControlRule = z.object({
  id: z.string().max(100).nullable(),
  name: z.string().max(1000),
  action: z.enum(['Allow', 'Deny']),
  /** FilePathRule, FilePublisherRule or FileHashRule. */
  type: z.string().max(50),
  userOrGroupSid: z.string().max(200).nullable(),
  /** What the rule matches: paths, publisher/product/binary names, or file names of hashes. */
  matches: z.array(z.string().max(1000)).max(200),
});
export type AppControlRule = z.infer<typeof AppControlRule>;
export const AppControlItem = z.object({
  collection: z.enum(APP_CONTROL_COLLECTIONS),
  enforcementMode: z.enum(APP_CONTROL_MODES),
  allowRules: z.number().int(),
  denyRules: z.number().int(),
  /** Every rule of the collection (the first 2,000). */
  rules: z.array(AppControlRule).max(2000),
});
export type AppControlItem = z.infer<typeof AppControlItem>;
export const AppControlPolicy = z.object({
  importId: z.string().uuid().nullable(),
  importedAt: z.string().nullable(),
  collections: z.array(AppControlItem),
});

export const Rejection = z.object({ line: z.number().int(), reason: z.string() });
export type Rejection = z.infer<typeof Rejection>;

export const ImportSummary = z.object({
  id: z.string().uuid(),
  orgId: z.string().uuid(),
  kind: z.enum(IMPORT_KINDS),
  format: z.string(),
  /** 'replace': the snapshot of this kind was replaced; 'merge': rows were merged into it. */
  mode: z.enum(['replace', 'merge']),
  filename: z.string().nullable(),
  /** SHA-256 of the file as imported (after any transfer gzip is removed). */
  sha256: z.string(),
  bytes: z.number().int(),
  accepted: z.number().int(),
  rejected: z.number().int(),
  importedBy: z.string(),
  importedAt: z.string(),
});
export type ImportSummary = z.infer<typeof ImportSummary>;

export const ImportResult = ImportSummary.extend({
  rejections: z.array(Rejection),
  rejectionsTruncated: z.boolean(),
});
export type ImportResult = z.infer<typeof ImportResult>;

export const ImportQuery = z
  .object({
    format: z.string().max(20).optional(),
    filename: z.string().max(255).optional(),
  })
  .strict();

const Bool = z
  .enum(['true', 'false'])
  .transform((v) => v === 'true')
  .optional();
const Paging = {
  cursor: z.string().max(1200).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
};
const Text = z.string().trim().min(1).max(200).optional();

export const ImportsQuery = z.object({ kind: z.enum(IMPORT_KINDS).optional(), ...Paging }).strict();
export const ImportsPage = z.object({
  items: z.array(ImportSummary.extend({ rejections: z.array(Rejection) })),
  nextCursor: z.string().nullable(),
});

export const AccountsQuery = z
  .object({ enabled: Bool, mfaRegistered: Bool, privileged: Bool, mspOwned: Bool, q: Text, ...Paging })
  .strict();
export const AssetsQuery = z.object({ internetFacing: Bool, edrAgent: Bool, q: Text, ...Paging }).strict();
export const VulnerabilitiesQuery = z
  .object({
    host: Text,
    cve: Text,
    open: Bool,
    kev: Bool,
    severity: z.enum(SEVERITIES).optional(),
    ...Paging,
  })
  .strict();
export const BackupsQuery = z.object({ q: Text, ...Paging }).strict();
export const RemoteAccessQuery = z.object({ host: Text, tool: Text, ...Paging }).strict();
export const ScubaQuery = z
  .object({ result: z.enum(SCUBA_RESULTS).optional(), product: Text, ...Paging })
  .strict();
export const RosterQuery = z.object({ q: Text, left: Bool, ...Paging }).strict();
export const TrainingQuery = z.object({ user: Text, course: Text, ...Paging }).strict();
export const PhishingQuery = z.object({ campaign: Text, user: Text, ...Paging }).strict();
export const KevExposureQuery = z.object({ internetFacing: Bool, ...Paging }).strict();

const page = <T extends z.ZodTypeAny>(item: T) =>
  z.object({
    items: z.array(item),
    nextCursor: z.string().nullable(),
    /** The import the snapshot comes from (null: nothing imported yet). */
    importId: z.string().uuid().nullable(),
    importedAt: z.string().nullable(),
  });

export const KevMatch = z.object({
  dateAdded: z.string(),
  dueDate: z.string(),
  knownRansomwareCampaignUse: z.string(),
});
export const AccountsPage = page(AccountItem);
export const AssetsPage = page(AssetItem);
export const VulnerabilitiesPage = page(
  VulnerabilityItem.extend({ open: z.boolean(), kev: KevMatch.nullable() }),
);
export const BackupsPage = page(BackupItem);
export const RemoteAccessPage = page(RemoteAccessItem);
export const ScubaPage = page(ScubaControlItem);
export const RosterPage = page(RosterItem);
export const TrainingPage = page(TrainingItem);
export const PhishingPage = page(PhishingItem);

/** One phishing-simulation campaign's rates: clicked and reported over delivered. */
export const PhishingCampaign = z.object({
  campaign: z.string(),
  sentAt: z.string(),
  recipients: z.number().int(),
  delivered: z.number().int(),
  clicked: z.number().int(),
  reported: z.number().int(),
  clickRate: z.number().nullable(),
  reportRate: z.number().nullable(),
});
export type PhishingCampaign = z.infer<typeof PhishingCampaign>;
export const PhishingCampaigns = z.object({
  /** Oldest first: the rates over time. */
  campaigns: z.array(PhishingCampaign),
  importId: z.string().uuid().nullable(),
  importedAt: z.string().nullable(),
});

export const KevExposure = z.object({
  host: z.string(),
  cve: z.string(),
  severity: z.enum(SEVERITIES).nullable(),
  firstSeen: z.string().nullable(),
  vendorProject: z.string(),
  product: z.string(),
  vulnerabilityName: z.string(),
  dateAdded: z.string(),
  dueDate: z.string(),
  knownRansomwareCampaignUse: z.string(),
  /** From the asset inventory; null when the host is not in it. */
  internetFacing: z.boolean().nullable(),
  overdue: z.boolean(),
});
export const KevExposurePage = page(KevExposure).extend({ kevCatalogVersion: z.string().nullable() });

export const KevCatalogStatus = z.object({
  catalogVersion: z.string().nullable(),
  dateReleased: z.string().nullable(),
  count: z.number().int(),
  sha256: z.string().nullable(),
  importedAt: z.string().nullable(),
  importedBy: z.string().nullable(),
});
export type KevCatalogStatus = z.infer<typeof KevCatalogStatus>;
