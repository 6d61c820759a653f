-- Detection: the rules each tenant runs (built-in rules ship with the code; custom Sigma rules and
-- per-tenant tuning are stored here), the engine's per-tenant state (so a restart neither forgets
-- counts nor alerts twice), alerts with their evidence and lifecycle history, suppressions, and
-- notification channels with a persisted outbox and delivery log.

create table detection_rules (
  id uuid primary key,
  org_id uuid not null references orgs(id),
  rule_id text not null,
  title text not null,
  yaml text not null,
  -- An MSP's rule that also runs for every customer it has an active relationship with.
  for_customers boolean not null default false,
  created_by text not null,
  created_at timestamptz not null default now(),
  unique (org_id, rule_id)
);

create table detection_rule_settings (
  org_id uuid not null references orgs(id),
  rule_id text not null,
  enabled boolean not null default true,
  timespan text,
  threshold integer check (threshold is null or threshold > 0),
  level text,
  updated_at timestamptz not null default now(),
  primary key (org_id, rule_id)
);

-- The engine's exported state per tenant, written in the transaction of the batch it reflects.
-- `token` changes on every write: a process whose in-memory state carries another token reloads.
create table detection_state (
  org_id uuid primary key references orgs(id),
  token uuid not null,
  state text not null,
  updated_at timestamptz not null default now()
);

create table alerts (
  id uuid primary key,
  org_id uuid not null references orgs(id),
  rule_id text not null,
  rule_title text not null,
  level text not null,
  group_key text not null,
  group_values jsonb not null,
  status text not null check (status in ('open', 'acknowledged', 'resolved', 'false_positive')),
  summary text not null,
  first_seen timestamptz not null,
  last_seen timestamptz not null,
  event_count bigint not null,
  suppressed_by uuid,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
-- One alert per (tenant, rule, group) while it is open or acknowledged.
create unique index alerts_one_live on alerts (org_id, rule_id, group_key)
  where status in ('open', 'acknowledged');
create index alerts_org_created on alerts (org_id, created_at desc, id);

create table alert_evidence (
  org_id uuid not null,
  alert_id uuid not null references alerts(id),
  batch_id uuid not null,
  batch_pos integer not null,
  time timestamptz not null,
  primary key (alert_id, batch_id, batch_pos)
);

create table alert_history (
  id uuid primary key,
  org_id uuid not null,
  alert_id uuid not null references alerts(id),
  at timestamptz not null default now(),
  actor_label text not null,
  actor_user_id uuid,
  from_status text,
  to_status text not null,
  reason text
);
create index alert_history_alert on alert_history (org_id, alert_id, at);

create table alert_suppressions (
  id uuid primary key,
  org_id uuid not null references orgs(id),
  rule_id text,
  group_values jsonb,
  reason text not null,
  expires_at timestamptz not null,
  hits bigint not null default 0,
  created_by text not null,
  created_at timestamptz not null default now(),
  removed_at timestamptz,
  check (rule_id is not null or group_values is not null)
);
create index alert_suppressions_org on alert_suppressions (org_id, expires_at);

create table notification_channels (
  id uuid primary key,
  org_id uuid not null references orgs(id),
  kind text not null check (kind in ('webhook', 'email')),
  name text not null,
  url text,
  email_to text,
  -- Webhook signing secret, sealed with the instance key (it must be read back to sign).
  secret_sealed text,
  min_level text not null,
  created_at timestamptz not null default now(),
  disabled_at timestamptz
);
create index notification_channels_org on notification_channels (org_id);

create table notification_outbox (
  id uuid primary key,
  org_id uuid not null,
  channel_id uuid not null references notification_channels(id),
  alert_id uuid not null references alerts(id),
  alert_org_id uuid not null,
  event text not null,
  payload jsonb not null,
  created_at timestamptz not null default now(),
  due_by timestamptz not null,
  next_attempt_at timestamptz not null,
  attempts integer not null default 0,
  status text not null default 'pending' check (status in ('pending', 'delivered', 'failed')),
  delivered_at timestamptz,
  met_sla boolean
);
create index notification_outbox_due on notification_outbox (status, next_attempt_at);

create table notification_deliveries (
  id uuid primary key,
  org_id uuid not null,
  outbox_id uuid not null references notification_outbox(id),
  attempt integer not null,
  at timestamptz not null default now(),
  ok boolean not null,
  status_code integer,
  error text
);
create index notification_deliveries_outbox on notification_deliveries (org_id, outbox_id, attempt);
