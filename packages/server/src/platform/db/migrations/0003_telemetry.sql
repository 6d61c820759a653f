-- Telemetry: log sources with their ingest tokens, normalised events partitioned by day, sealed
-- ingest batches (a per-tenant hash chain) and a quarantine for records that could not be parsed.

create table log_sources (
  id uuid primary key,
  org_id uuid not null references orgs(id),
  kind text not null,
  name text not null,
  expected_interval_minutes integer not null check (expected_interval_minutes > 0),
  utc_offset_minutes integer not null default 0,
  mapping jsonb,
  token_hash text not null,
  created_at timestamptz not null default now(),
  disabled_at timestamptz,
  last_received_at timestamptz,
  last_event_at timestamptz
);
create unique index log_sources_name on log_sources (org_id, lower(name));

create sequence events_id_seq;
-- Partitioned by day on `time`; partitions are created on demand by ingest (events_YYYYMMDD) and
-- dropped whole by retention. Every index leads with org_id: queries are always per tenant.
create table events (
  id bigint not null default nextval('events_id_seq'),
  org_id uuid not null,
  time timestamptz not null,
  source_id uuid not null,
  batch_id uuid not null,
  batch_pos integer not null,
  received_at timestamptz not null,
  class text not null,
  activity text not null,
  outcome text not null,
  reason text,
  reason_detail text,
  username text,
  user_domain text,
  target_user text,
  grp text,
  src_ip text,
  src_port integer,
  geo jsonb,
  dst_host text,
  app text,
  auth_protocol text,
  mfa_used boolean,
  process_name text,
  command_line text,
  vendor_event_id text,
  is_msp boolean not null default false,
  raw text not null
) partition by range (time);
create index events_org_time on events (org_id, time);
create index events_org_user_time on events (org_id, username, time);
create index events_org_ip_time on events (org_id, src_ip, time);
create index events_org_class_outcome_time on events (org_id, class, outcome, time);
create index events_batch on events (batch_id, batch_pos);

-- One row per accepted batch. seal = sha256(prev_seal || content_hash || header): the chain is per
-- tenant, its head locked to append, like the audit trail.
create table ingest_batches (
  id uuid primary key,
  org_id uuid not null references orgs(id),
  source_id uuid not null references log_sources(id),
  seq bigint not null,
  received_at timestamptz not null,
  event_count integer not null,
  rejected_count integer not null,
  min_time timestamptz,
  max_time timestamptz,
  content_hash text not null,
  prev_seal text not null,
  seal text not null,
  expired_at timestamptz,
  unique (org_id, seq)
);
create index ingest_batches_org_time on ingest_batches (org_id, min_time);

create table seal_heads (
  org_id uuid primary key references orgs(id),
  seq bigint not null,
  seal text not null
);

create table quarantine (
  id uuid primary key,
  org_id uuid not null references orgs(id),
  source_id uuid not null references log_sources(id),
  batch_id uuid,
  received_at timestamptz not null,
  line_no integer,
  reason text not null,
  raw text not null,
  replayed_at timestamptz
);
create index quarantine_org on quarantine (org_id, received_at);
