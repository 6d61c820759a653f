-- Foundation: organisations, relationships, users, sessions, API tokens, audit trail, agreements.
-- Every tenant-owned table carries the organisation it belongs to so queries can filter by it (and a
-- distributed deployment can shard by it).

create table orgs (
  id uuid primary key,
  name text not null,
  kind text not null check (kind in ('msp', 'customer')),
  created_at timestamptz not null default now()
);

-- The MSP-customer relationship is what gives MSP users access to a customer; only 'active' does.
create table relationships (
  id uuid primary key,
  msp_org_id uuid not null references orgs(id),
  customer_org_id uuid not null references orgs(id),
  status text not null check (status in ('invited', 'active', 'ended')),
  created_at timestamptz not null default now(),
  activated_at timestamptz,
  ended_at timestamptz,
  check (msp_org_id <> customer_org_id)
);
create unique index relationships_open_pair on relationships (msp_org_id, customer_org_id) where status <> 'ended';
create index relationships_customer on relationships (customer_org_id);

create table users (
  id uuid primary key,
  email text not null,
  name text not null,
  password_hash text not null,
  totp_secret_sealed text,
  totp_pending_sealed text,
  totp_enabled_at timestamptz,
  totp_last_step bigint not null default 0,
  failed_logins integer not null default 0,
  last_failed_at timestamptz,
  locked_until timestamptz,
  created_at timestamptz not null default now()
);
create unique index users_email on users (lower(email));

create table memberships (
  user_id uuid not null references users(id),
  org_id uuid not null references orgs(id),
  role text not null check (role in ('msp_admin', 'msp_engineer', 'customer_admin', 'customer_member', 'auditor')),
  function text check (function in ('executive', 'technical_lead', 'procurement', 'legal')),
  expires_at timestamptz,
  created_at timestamptz not null default now(),
  primary key (org_id, user_id)
);
create index memberships_user on memberships (user_id);

create table recovery_codes (
  user_id uuid not null references users(id),
  code_hash text not null,
  used_at timestamptz,
  primary key (user_id, code_hash)
);

create table sessions (
  id_hash text primary key,
  user_id uuid not null references users(id),
  active_org_id uuid references orgs(id),
  status text not null check (status in ('mfa_required', 'mfa_enrollment_required', 'authenticated')),
  csrf_token text not null,
  ip text,
  user_agent text,
  created_at timestamptz not null default now(),
  last_seen_at timestamptz not null default now(),
  expires_at timestamptz not null,
  revoked_at timestamptz
);
create index sessions_user on sessions (user_id);

create table api_tokens (
  id uuid primary key,
  org_id uuid not null references orgs(id),
  name text not null,
  secret_hash text not null,
  scopes jsonb not null,
  created_by uuid references users(id),
  created_at timestamptz not null default now(),
  expires_at timestamptz not null,
  revoked_at timestamptz,
  last_used_at timestamptz
);
create index api_tokens_org on api_tokens (org_id);

-- Audit trail: one hash chain per organisation. The head row is locked (FOR UPDATE) to append, so
-- concurrent writers serialise per organisation and the chain has no forks or gaps.
create table audit_chain_heads (
  org_id uuid primary key references orgs(id),
  seq bigint not null,
  hash text not null
);
create table audit_log (
  org_id uuid not null references orgs(id),
  seq bigint not null,
  at timestamptz not null,
  actor_user_id uuid,
  actor_token_id uuid,
  actor_org_id uuid,
  actor_label text not null,
  action text not null,
  target_type text not null,
  target_id text,
  before_digest text,
  after_digest text,
  ip text,
  request_id text,
  details jsonb not null,
  prev_hash text not null,
  hash text not null,
  primary key (org_id, seq)
);
create function audit_log_append_only() returns trigger language plpgsql as $$
begin
  raise exception 'audit_log is append-only';
end $$;
create trigger audit_log_no_update before update or delete on audit_log
  for each row execute function audit_log_append_only();

create table agreements (
  id uuid primary key,
  msp_org_id uuid not null references orgs(id),
  customer_org_id uuid not null references orgs(id),
  title text not null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  ended_at timestamptz
);
create index agreements_msp on agreements (msp_org_id);
create index agreements_customer on agreements (customer_org_id);

create table agreement_versions (
  id uuid primary key,
  agreement_id uuid not null references agreements(id),
  msp_org_id uuid not null references orgs(id),
  customer_org_id uuid not null references orgs(id),
  version integer not null,
  state text not null check (state in ('draft', 'proposed', 'active', 'superseded', 'rejected', 'withdrawn')),
  content jsonb not null,
  digest text,
  created_by_org_id uuid not null references orgs(id),
  created_by_user_id uuid references users(id),
  created_at timestamptz not null default now(),
  proposed_at timestamptz,
  activated_at timestamptz,
  closed_at timestamptz,
  note text,
  unique (agreement_id, version)
);
-- At most one active and at most one open (draft or proposed) version per agreement: the database
-- itself refuses a second winner when two acceptances or amendments race.
create unique index agreement_versions_one_active on agreement_versions (agreement_id) where state = 'active';
create unique index agreement_versions_one_open on agreement_versions (agreement_id) where state in ('draft', 'proposed');

-- Once proposed, a version's content and digest never change; active and superseded versions are
-- never deleted. This backs up the service's own checks.
create function agreement_versions_immutable() returns trigger language plpgsql as $$
begin
  if tg_op = 'DELETE' then
    if old.state <> 'draft' then raise exception 'agreement version % is immutable', old.id; end if;
    return old;
  end if;
  if old.state <> 'draft' and (new.content is distinct from old.content or new.digest is distinct from old.digest) then
    raise exception 'agreement version % is immutable', old.id;
  end if;
  return new;
end $$;
create trigger agreement_versions_guard before update or delete on agreement_versions
  for each row execute function agreement_versions_immutable();

create table agreement_acceptances (
  version_id uuid not null references agreement_versions(id),
  party text not null check (party in ('msp', 'customer')),
  org_id uuid not null references orgs(id),
  user_id uuid references users(id),
  user_label text not null,
  digest text not null,
  accepted_at timestamptz not null default now(),
  primary key (version_id, party)
);
