import type { ColumnType, Generated } from 'kysely';

/** Kysely row types of the tables in migrations/. Keep in step with the SQL. */
type Ts = ColumnType<Date, Date | string | undefined, Date | string>;
type TsNull = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
type Json<T> = ColumnType<T, string, string>;
type Big = ColumnType<string | number | bigint, number | bigint | string, number | bigint | string>;

export interface OrgsTable {
  id: string;
  name: string;
  kind: 'msp' | 'customer';
  created_at: Ts;
}
export interface RelationshipsTable {
  id: string;
  msp_org_id: string;
  customer_org_id: string;
  status: 'invited' | 'active' | 'ended';
  created_at: Ts;
  activated_at: TsNull;
  ended_at: TsNull;
}
export interface UsersTable {
  id: string;
  email: string;
  name: string;
  password_hash: string;
  totp_secret_sealed: string | null;
  totp_pending_sealed: string | null;
  totp_enabled_at: TsNull;
  totp_last_step: Big;
  failed_logins: Generated<number>;
  last_failed_at: TsNull;
  locked_until: TsNull;
  created_at: Ts;
}
export interface MembershipsTable {
  user_id: string;
  org_id: string;
  role: string;
  function: string | null;
  expires_at: TsNull;
  created_at: Ts;
  status: ColumnType<'active' | 'invited', 'active' | 'invited' | undefined, 'active' | 'invited'>;
  invited_by: string | null;
}
export interface RecoveryCodesTable {
  user_id: string;
  code_hash: string;
  used_at: TsNull;
}
export interface SessionsTable {
  id_hash: string;
  user_id: string;
  active_org_id: string | null;
  status: 'mfa_required' | 'mfa_enrollment_required' | 'authenticated';
  csrf_token: string;
  ip: string | null;
  user_agent: string | null;
  created_at: Ts;
  last_seen_at: Ts;
  expires_at: Ts;
  revoked_at: TsNull;
}
export interface ApiTokensTable {
  id: string;
  org_id: string;
  name: string;
  secret_hash: string;
  scopes: Json<string[]>;
  created_by: string | null;
  created_at: Ts;
  expires_at: Ts;
  revoked_at: TsNull;
  last_used_at: TsNull;
}
export interface AuditChainHeadsTable {
  org_id: string;
  seq: Big;
  hash: string;
}
export interface AuditLogTable {
  org_id: string;
  seq: Big;
  at: Ts;
  actor_user_id: string | null;
  actor_token_id: string | null;
  actor_org_id: string | null;
  actor_label: string;
  action: string;
  target_type: string;
  target_id: string | null;
  before_digest: string | null;
  after_digest: string | null;
  ip: string | null;
  request_id: string | null;
  details: Json<Record<string, unknown>>;
  prev_hash: string;
  hash: string;
}
export interface AgreementsTable {
  id: string;
  msp_org_id: string;
  customer_org_id: string;
  title: string;
  created_at: Ts;
  updated_at: Ts;
  ended_at: TsNull;
}
export interface AgreementVersionsTable {
  id: string;
  agreement_id: string;
  msp_org_id: string;
  customer_org_id: string;
  version: number;
  state: 'draft' | 'proposed' | 'active' | 'superseded' | 'rejected' | 'withdrawn';
  content: Json<unknown>;
  digest: string | null;
  created_by_org_id: string;
  created_by_user_id: string | null;
  created_at: Ts;
  proposed_at: TsNull;
  activated_at: TsNull;
  closed_at: TsNull;
  note: string | null;
}
export interface AgreementAcceptancesTable {
  version_id: string;
  party: 'msp' | 'customer';
  org_id: string;
  user_id: string | null;
  user_label: string;
  digest: string;
  accepted_at: Ts;
}
export interface LogSourcesTable {
  id: string;
  org_id: string;
  kind: string;
  name: string;
  expected_interval_minutes: number;
  utc_offset_minutes: Generated<number>;
  mapping: Json<unknown> | null;
  categories: ColumnType<string[], string | undefined, string>;
  token_hash: string;
  created_at: Ts;
  disabled_at: TsNull;
  last_received_at: TsNull;
  last_event_at: TsNull;
  site: string | null;
}
export interface EventsTable {
  id: Generated<string>;
  org_id: string;
  time: Ts;
  source_id: string;
  batch_id: string;
  batch_pos: number;
  received_at: Ts;
  class: string;
  activity: string;
  outcome: string;
  reason: string | null;
  reason_detail: string | null;
  username: string | null;
  user_domain: string | null;
  target_user: string | null;
  grp: string | null;
  src_ip: string | null;
  src_port: number | null;
  geo: Json<unknown> | null;
  dst_host: string | null;
  app: string | null;
  auth_protocol: string | null;
  mfa_used: boolean | null;
  process_name: string | null;
  command_line: string | null;
  vendor_event_id: string | null;
  is_msp: Generated<boolean>;
  raw: string;
  dst_ip: string | null;
  dst_port: number | null;
  protocol: string | null;
  action: string | null;
  signature: string | null;
  signature_id: string | null;
  severity: string | null;
}
export interface IngestBatchesTable {
  id: string;
  org_id: string;
  source_id: string;
  seq: Big;
  received_at: Ts;
  event_count: number;
  rejected_count: number;
  min_time: TsNull;
  max_time: TsNull;
  content_hash: string;
  prev_seal: string;
  seal: string;
  expired_at: TsNull;
  idempotency_key: string | null;
}
export interface SealHeadsTable {
  org_id: string;
  seq: Big;
  seal: string;
}
export interface QuarantineTable {
  id: string;
  org_id: string;
  source_id: string;
  batch_id: string | null;
  received_at: Ts;
  line_no: number | null;
  reason: string;
  raw: string;
  replayed_at: TsNull;
}
export interface DirectoryGroupMembersTable {
  org_id: string;
  group_key: string;
  group_name: string;
  member_key: string;
  member: string;
  updated_at: Ts;
}
export interface ImportsTable {
  id: string;
  org_id: string;
  kind: string;
  format: string;
  mode: 'replace' | 'merge';
  filename: string | null;
  sha256: string;
  bytes: Big;
  accepted: number;
  rejected: number;
  rejections: Json<unknown>;
  actor_label: string;
  actor_user_id: string | null;
  actor_token_id: string | null;
  created_at: Ts;
}
export interface InventoryItemsTable {
  org_id: string;
  kind: string;
  item_key: string;
  data: Json<unknown>;
  import_id: string;
}
type DateCol = ColumnType<Date | string, string, string>;
export interface KevEntriesTable {
  cve_id: string;
  vendor_project: string;
  product: string;
  vulnerability_name: string;
  date_added: DateCol;
  due_date: DateCol;
  known_ransomware: string;
  short_description: string;
  required_action: string;
}
export interface KevCatalogsTable {
  id: string;
  catalog_version: string;
  date_released: TsNull;
  count: number;
  sha256: string;
  actor_label: string;
  imported_at: Ts;
}

export interface ControlStatusTable {
  agreement_id: string;
  control_id: string;
  msp_org_id: string;
  customer_org_id: string;
  version: number;
  status: string;
  reason: string;
  observed: Json<unknown>;
  expected: Json<unknown>;
  evidence: Json<unknown>;
  data_at: TsNull;
  evaluated_at: Ts;
  changed_at: Ts;
}
export interface ControlResultsTable {
  id: Generated<string>;
  agreement_id: string;
  control_id: string;
  msp_org_id: string;
  customer_org_id: string;
  kind: 'change' | 'daily';
  day: string;
  status: string;
  previous_status: string | null;
  reason: string;
  observed: Json<unknown>;
  expected: Json<unknown>;
  evidence: Json<unknown>;
  data_at: TsNull;
  evaluated_at: Ts;
}

export interface EvidenceItemsTable {
  id: string;
  agreement_id: string;
  msp_org_id: string;
  customer_org_id: string;
  control_id: string;
  kind: 'file' | 'link';
  created_by_org_id: string;
  created_at: Ts;
}
export interface EvidenceFilesTable {
  id: string;
  evidence_id: string;
  msp_org_id: string;
  customer_org_id: string;
  filename: string;
  content_type: string;
  size_bytes: number;
  sha256: string;
  content: Uint8Array;
  created_at: Ts;
}
export interface EvidenceRevisionsTable {
  evidence_id: string;
  revision: number;
  msp_org_id: string;
  customer_org_id: string;
  title: string;
  effective_at: Ts;
  expires_at: TsNull;
  collected_by: string;
  note: string | null;
  withdrawn: Generated<boolean>;
  withdraw_reason: string | null;
  url: string | null;
  file_id: string | null;
  created_by_org_id: string;
  created_by_user_id: string | null;
  created_by_label: string;
  created_at: Ts;
}
export interface EvidenceWarningsTable {
  evidence_id: string;
  expires_at: Ts;
  window_days: number;
  revision: number;
  msp_org_id: string;
  customer_org_id: string;
  warned_at: Ts;
}
export interface AttestationsTable {
  id: string;
  agreement_id: string;
  msp_org_id: string;
  customer_org_id: string;
  control_id: string;
  party: 'msp' | 'customer';
  statement: string;
  evidence_ids: Json<string[]>;
  created_by_org_id: string;
  created_by_user_id: string | null;
  created_by_label: string;
  created_at: Ts;
  seq: Generated<string>;
}
export interface AttestationReviewsTable {
  attestation_id: string;
  msp_org_id: string;
  customer_org_id: string;
  decision: 'accepted' | 'disputed';
  comment: string | null;
  party: 'msp' | 'customer';
  org_id: string;
  user_id: string | null;
  user_label: string;
  reviewed_at: Ts;
}

export interface SchemaMigrationsTable {
  version: number;
  name: string;
  checksum: string;
  applied_at: Ts;
}

export interface DetectionRulesTable {
  id: string;
  org_id: string;
  rule_id: string;
  title: string;
  yaml: string;
  for_customers: boolean;
  created_by: string;
  created_at: Ts;
}
export interface DetectionRuleSettingsTable {
  org_id: string;
  rule_id: string;
  enabled: boolean;
  timespan: string | null;
  threshold: number | null;
  level: string | null;
  updated_at: Ts;
}
export interface DetectionStateTable {
  org_id: string;
  token: string;
  state: string;
  updated_at: Ts;
}
export interface AlertsTable {
  id: string;
  org_id: string;
  rule_id: string;
  rule_title: string;
  level: string;
  group_key: string;
  group_values: Json<Record<string, string | null>>;
  status: 'open' | 'acknowledged' | 'resolved' | 'false_positive';
  summary: string;
  first_seen: Ts;
  last_seen: Ts;
  event_count: Big;
  suppressed_by: string | null;
  created_at: Ts;
  updated_at: Ts;
}
export interface AlertEvidenceTable {
  org_id: string;
  alert_id: string;
  batch_id: string;
  batch_pos: number;
  time: Ts;
}
export interface AlertHistoryTable {
  id: string;
  org_id: string;
  alert_id: string;
  at: Ts;
  actor_label: string;
  actor_user_id: string | null;
  from_status: string | null;
  to_status: string;
  reason: string | null;
}
export interface AlertSuppressionsTable {
  id: string;
  org_id: string;
  rule_id: string | null;
  group_values: ColumnType<Record<string, string | null> | null, string | null, string | null>;
  reason: string;
  expires_at: Ts;
  hits: Big;
  created_by: string;
  created_at: Ts;
  removed_at: TsNull;
}
export interface NotificationChannelsTable {
  id: string;
  org_id: string;
  kind: 'webhook' | 'email';
  name: string;
  url: string | null;
  email_to: string | null;
  secret_sealed: string | null;
  min_level: string;
  created_at: Ts;
  disabled_at: TsNull;
}
export interface NotificationOutboxTable {
  id: string;
  org_id: string;
  channel_id: string;
  alert_id: string | null;
  alert_org_id: string;
  event: string;
  payload: Json<unknown>;
  created_at: Ts;
  due_by: Ts;
  next_attempt_at: Ts;
  attempts: Generated<number>;
  status: ColumnType<'pending' | 'delivered' | 'failed', 'pending' | 'delivered' | 'failed' | undefined>;
  delivered_at: TsNull;
  met_sla: boolean | null;
}
export interface NotificationDeliveriesTable {
  id: string;
  org_id: string;
  outbox_id: string;
  attempt: number;
  at: Ts;
  ok: boolean;
  status_code: number | null;
  error: string | null;
}

// Supply chain risk (migration 0016).
export interface SuppliersTable {
  id: string;
  org_id: string;
  name: string;
  kind: 'msp' | 'supplier' | 'sub_processor';
  msp_org_id: string | null;
  services: Json<string[]>;
  products: Json<string[]>;
  privileged_access: boolean;
  access_description: string | null;
  data_categories: Json<string[]>;
  contract_start: ColumnType<string | null, string | null, string | null>;
  contract_end: ColumnType<string | null, string | null, string | null>;
  criticality: 'critical' | 'high' | 'medium' | 'low';
  published: boolean;
  notes: string | null;
  created_at: Ts;
  updated_at: Ts;
  retired_at: TsNull;
  retired_reason: string | null;
}
export interface SupplierRegistersTable {
  org_id: string;
  changed_at: Ts;
  published_changed_at: TsNull;
  reviewed_at: TsNull;
  reviewed_by: string | null;
  reassessment_days: ColumnType<Record<string, number> | null, string | null, string | null>;
}
export interface SupplierRegisterReviewsTable {
  id: string;
  org_id: string;
  reviewed_at: Ts;
  user_id: string | null;
  actor_label: string;
  note: string | null;
}
export interface SupplierAssessmentsTable {
  id: string;
  org_id: string;
  supplier_id: string;
  revision: number;
  status: 'draft' | 'submitted' | 'complete';
  catalog_version: string;
  questions: Json<unknown>;
  answers: Json<unknown>;
  inherent_likelihood: number | null;
  inherent_impact: number | null;
  residual_likelihood: number | null;
  residual_impact: number | null;
  rationale: string | null;
  created_by_user_id: string | null;
  created_by_label: string;
  created_at: Ts;
  updated_at: Ts;
  submitted_at: TsNull;
  completed_at: TsNull;
}
export interface SupplierTreatmentsTable {
  id: string;
  org_id: string;
  assessment_id: string;
  supplier_id: string;
  type: 'accept' | 'mitigate' | 'transfer' | 'avoid';
  description: string;
  owner_user_id: string;
  due_date: ColumnType<string, string, string>;
  status: ColumnType<'open' | 'done' | 'cancelled', 'open' | 'done' | 'cancelled' | undefined>;
  closed_at: TsNull;
  closed_note: string | null;
  closed_by_label: string | null;
  created_by_label: string;
  created_at: Ts;
}
export interface SupplierSignoffsTable {
  org_id: string;
  assessment_id: string;
  revision: number;
  function: 'security' | 'legal' | 'procurement';
  user_id: string;
  signed_by: string;
  comment: string | null;
  signed_at: Ts;
}
export interface MailDomainsTable {
  id: string;
  org_id: string;
  domain: string;
  dkim_selectors: Json<string[]>;
  created_by_label: string;
  created_at: Ts;
  updated_at: Ts;
  removed_at: TsNull;
}
export interface MailDomainChecksTable {
  id: string;
  org_id: string;
  domain_id: string;
  domain: string;
  checked_at: Ts;
  status: 'pass' | 'fail' | 'error';
  resolver: string;
  facts: Json<unknown>;
  findings: Json<unknown>;
}

export interface DB {
  orgs: OrgsTable;
  relationships: RelationshipsTable;
  users: UsersTable;
  memberships: MembershipsTable;
  recovery_codes: RecoveryCodesTable;
  sessions: SessionsTable;
  api_tokens: ApiTokensTable;
  audit_chain_heads: AuditChainHeadsTable;
  audit_log: AuditLogTable;
  agreements: AgreementsTable;
  agreement_versions: AgreementVersionsTable;
  evidence_items: EvidenceItemsTable;
  evidence_files: EvidenceFilesTable;
  evidence_revisions: EvidenceRevisionsTable;
  evidence_warnings: EvidenceWarningsTable;
  attestations: AttestationsTable;
  attestation_reviews: AttestationReviewsTable;
  agreement_acceptances: AgreementAcceptancesTable;
  schema_migrations: SchemaMigrationsTable;
  log_sources: LogSourcesTable;
  events: EventsTable;
  ingest_batches: IngestBatchesTable;
  seal_heads: SealHeadsTable;
  quarantine: QuarantineTable;
  directory_group_members: DirectoryGroupMembersTable;
  control_status: ControlStatusTable;
  control_results: ControlResultsTable;
  detection_rules: DetectionRulesTable;
  detection_rule_settings: DetectionRuleSettingsTable;
  detection_state: DetectionStateTable;
  alerts: AlertsTable;
  alert_evidence: AlertEvidenceTable;
  alert_history: AlertHistoryTable;
  alert_suppressions: AlertSuppressionsTable;
  notification_channels: NotificationChannelsTable;
  notification_outbox: NotificationOutboxTable;
  notification_deliveries: NotificationDeliveriesTable;
  imports: ImportsTable;
  inventory_items: InventoryItemsTable;
  kev_entries: KevEntriesTable;
  kev_catalogs: KevCatalogsTable;
  suppliers: SuppliersTable;
  supplier_registers: SupplierRegistersTable;
  supplier_register_reviews: SupplierRegisterReviewsTable;
  supplier_assessments: SupplierAssessmentsTable;
  supplier_treatments: SupplierTreatmentsTable;
  supplier_signoffs: SupplierSignoffsTable;
  mail_domains: MailDomainsTable;
  mail_domain_checks: MailDomainChecksTable;
  // incident response (0015)
  ir_plans: IrPlansTable;
  ir_plan_versions: IrPlanVersionsTable;
  ir_plan_approvals: IrPlanApprovalsTable;
  ir_plan_reviews: IrPlanReviewsTable;
  ir_incidents: IrIncidentsTable;
  ir_incident_alerts: IrIncidentAlertsTable;
  ir_notifications: IrNotificationsTable;
  ir_exercises: IrExercisesTable;
  ir_exercise_participants: IrExerciseParticipantsTable;
  ir_findings: IrFindingsTable;
  ir_actions: IrActionsTable;
  ir_timeline: IrTimelineTable;
  ir_activity: IrActivityTable;
}

// ---- incident response (0015_incident_response.sql) ----
export interface IrPlansTable {
  id: string;
  org_id: string;
  kind: 'incident_response' | 'recovery';
  created_at: Ts;
  created_by_label: string;
}
export interface IrPlanVersionsTable {
  plan_id: string;
  org_id: string;
  version: number;
  state: 'draft' | 'approved' | 'superseded';
  content: Json<unknown>;
  digest: string;
  created_by_org_id: string | null;
  created_by_user_id: string | null;
  created_by_label: string;
  created_at: Ts;
  updated_at: Ts;
  approved_at: TsNull;
  superseded_at: TsNull;
}
export interface IrPlanApprovalsTable {
  plan_id: string;
  version: number;
  org_id: string;
  plan_org_id: string;
  digest: string;
  user_id: string | null;
  user_label: string;
  approved_at: Ts;
}
export interface IrPlanReviewsTable {
  id: string;
  plan_id: string;
  org_id: string;
  version: number;
  note: string;
  reviewed_by_org_id: string | null;
  reviewed_by_user_id: string | null;
  reviewed_by_label: string;
  reviewed_at: Ts;
}
export interface IrIncidentsTable {
  id: string;
  org_id: string;
  title: string;
  description: string | null;
  severity: 'critical' | 'high' | 'medium' | 'low';
  status: 'open' | 'investigating' | 'contained' | 'recovered' | 'closed';
  detected_at: Ts;
  declared_at: Ts;
  declared_by_org_id: string | null;
  declared_by_user_id: string | null;
  declared_by_label: string;
  affected_systems: Json<string[]>;
  playbook: Json<unknown> | null;
  steps_state: Json<unknown>;
  root_cause: string | null;
  lessons_learned: string | null;
  closed_at: TsNull;
  created_at: Ts;
  updated_at: Ts;
}
export interface IrIncidentAlertsTable {
  incident_id: string;
  org_id: string;
  alert_id: string;
  linked_at: Ts;
  linked_by_label: string;
}
export interface IrNotificationsTable {
  id: string;
  org_id: string;
  incident_id: string;
  recipient: string;
  notified_at: Ts;
  channel: string;
  note: string | null;
  recorded_by_org_id: string | null;
  recorded_by_label: string;
  recorded_at: Ts;
}
export interface IrExercisesTable {
  id: string;
  org_id: string;
  plan_id: string;
  plan_version: number | null;
  kind: 'tabletop' | 'live';
  title: string;
  scenario: string;
  scheduled_for: Ts;
  status: 'scheduled' | 'held' | 'closed' | 'cancelled';
  held_at: TsNull;
  summary: string | null;
  cancel_reason: string | null;
  closed_at: TsNull;
  created_by_label: string;
  created_at: Ts;
  updated_at: Ts;
}
export interface IrExerciseParticipantsTable {
  exercise_id: string;
  org_id: string;
  user_id: string;
  party_org_id: string;
  role: string | null;
  attended: boolean | null;
}
export interface IrFindingsTable {
  id: string;
  org_id: string;
  exercise_id: string;
  title: string;
  detail: string;
  severity: 'critical' | 'high' | 'medium' | 'low';
  recorded_by_label: string;
  recorded_at: Ts;
}
export interface IrActionsTable {
  id: string;
  org_id: string;
  source_type: 'incident' | 'exercise';
  source_id: string;
  title: string;
  owner_user_id: string;
  owner_org_id: string;
  due_date: ColumnType<string, string, string>;
  priority: 'high' | 'medium' | 'low';
  status: 'open' | 'done' | 'cancelled';
  created_by_label: string;
  created_at: Ts;
  updated_at: Ts;
  completed_at: TsNull;
}
export interface IrTimelineTable {
  seq: Generated<string | number | bigint>;
  org_id: string;
  subject_type: 'incident' | 'exercise';
  subject_id: string;
  at: Ts;
  actor_org_id: string | null;
  actor_user_id: string | null;
  actor_label: string;
  kind: string;
  text: string;
  details: Json<Record<string, unknown>>;
}
export interface IrActivityTable {
  org_id: string;
  kind: 'ir_plans' | 'exercises' | 'incidents' | 'ir_actions';
  changed_at: Ts;
}
