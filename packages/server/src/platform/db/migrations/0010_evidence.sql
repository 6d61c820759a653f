-- Evidence and attestations for the controls of an agreement. Every row carries both parties of the
-- agreement (msp_org_id, customer_org_id) so every query filters by organisation. Nothing here is
-- ever updated or deleted: a change is a new revision, a withdrawal a revision marked withdrawn, a
-- new attestation supersedes the previous one (triggers below back this up).

create table evidence_items (
  id uuid primary key,
  agreement_id uuid not null references agreements(id),
  msp_org_id uuid not null references orgs(id),
  customer_org_id uuid not null references orgs(id),
  control_id text not null,
  kind text not null check (kind in ('file', 'link')),
  created_by_org_id uuid not null references orgs(id),
  created_at timestamptz not null default now()
);
create index evidence_items_control on evidence_items (agreement_id, control_id);
create index evidence_items_msp on evidence_items (msp_org_id);
create index evidence_items_customer on evidence_items (customer_org_id);

-- The bytes of uploaded files, with their SHA-256 (checked again on every download).
create table evidence_files (
  id uuid primary key,
  evidence_id uuid not null references evidence_items(id),
  msp_org_id uuid not null references orgs(id),
  customer_org_id uuid not null references orgs(id),
  filename text not null,
  content_type text not null,
  size_bytes integer not null,
  sha256 text not null,
  content bytea not null,
  created_at timestamptz not null default now()
);
create index evidence_files_item on evidence_files (evidence_id);

create table evidence_revisions (
  evidence_id uuid not null references evidence_items(id),
  revision integer not null check (revision >= 1),
  msp_org_id uuid not null references orgs(id),
  customer_org_id uuid not null references orgs(id),
  title text not null,
  effective_at timestamptz not null,
  expires_at timestamptz,
  collected_by text not null,
  note text,
  withdrawn boolean not null default false,
  withdraw_reason text,
  url text,
  file_id uuid references evidence_files(id),
  created_by_org_id uuid not null references orgs(id),
  created_by_user_id uuid references users(id),
  created_by_label text not null,
  created_at timestamptz not null default now(),
  primary key (evidence_id, revision),
  check ((url is null) <> (file_id is null))
);
create index evidence_revisions_expiry on evidence_revisions (expires_at) where expires_at is not null;

-- Expiry warnings already given: one per item, expiry date and warning window.
create table evidence_warnings (
  evidence_id uuid not null references evidence_items(id),
  expires_at timestamptz not null,
  window_days integer not null,
  revision integer not null,
  msp_org_id uuid not null references orgs(id),
  customer_org_id uuid not null references orgs(id),
  warned_at timestamptz not null default now(),
  primary key (evidence_id, expires_at, window_days)
);

create table attestations (
  id uuid primary key,
  agreement_id uuid not null references agreements(id),
  msp_org_id uuid not null references orgs(id),
  customer_org_id uuid not null references orgs(id),
  control_id text not null,
  party text not null check (party in ('msp', 'customer')),
  statement text not null,
  evidence_ids jsonb not null default '[]',
  created_by_org_id uuid not null references orgs(id),
  created_by_user_id uuid references users(id),
  created_by_label text not null,
  created_at timestamptz not null default now(),
  -- Orders attestations of a control; the highest is the current one.
  seq bigserial not null
);
create index attestations_control on attestations (agreement_id, control_id, seq);

-- The other party's answer: one per attestation.
create table attestation_reviews (
  attestation_id uuid primary key references attestations(id),
  msp_org_id uuid not null references orgs(id),
  customer_org_id uuid not null references orgs(id),
  decision text not null check (decision in ('accepted', 'disputed')),
  comment text,
  party text not null check (party in ('msp', 'customer')),
  org_id uuid not null references orgs(id),
  user_id uuid references users(id),
  user_label text not null,
  reviewed_at timestamptz not null default now()
);

create function evidence_append_only() returns trigger language plpgsql as $$
begin
  raise exception '% rows are append-only', tg_table_name;
end $$;
create trigger evidence_items_append_only before update or delete on evidence_items
  for each row execute function evidence_append_only();
create trigger evidence_files_append_only before update or delete on evidence_files
  for each row execute function evidence_append_only();
create trigger evidence_revisions_append_only before update or delete on evidence_revisions
  for each row execute function evidence_append_only();
create trigger attestations_append_only before update or delete on attestations
  for each row execute function evidence_append_only();
create trigger attestation_reviews_append_only before update or delete on attestation_reviews
  for each row execute function evidence_append_only();
