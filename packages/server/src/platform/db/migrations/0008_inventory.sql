-- Tenant inventories imported from files, the history of those imports (kept as evidence), and the
-- CISA Known Exploited Vulnerabilities catalog (shared reference data, not tenant data).

-- One row per import: what was sent (SHA-256 of the file), by whom, when, and what came of it.
create table imports (
  id uuid primary key,
  org_id uuid not null references orgs(id),
  kind text not null check (kind in ('identity', 'assets', 'vulnerabilities', 'backups', 'remote_access', 'scubagear')),
  format text not null,
  mode text not null check (mode in ('replace', 'merge')),
  filename text,
  sha256 text not null,
  bytes bigint not null,
  accepted integer not null,
  rejected integer not null,
  rejections jsonb not null,      -- the first rejections: [{line, reason}]
  actor_label text not null,
  actor_user_id uuid,
  actor_token_id uuid,
  created_at timestamptz not null
);
create index imports_org_created on imports (org_id, created_at desc, id desc);

-- The current snapshot of each inventory kind per tenant. item_key is the row's natural key in
-- lower case (an account, a host, host + CVE, ...); data is the validated item (contracts).
create table inventory_items (
  org_id uuid not null references orgs(id),
  kind text not null,
  item_key text not null,
  data jsonb not null,
  import_id uuid not null references imports(id),
  primary key (org_id, kind, item_key)
);
create index inventory_items_cve on inventory_items (org_id, kind, (data->>'cve'));

-- CISA KEV: the entries of the catalog imported last (replaced whole), and each catalog imported.
create table kev_entries (
  cve_id text primary key,
  vendor_project text not null,
  product text not null,
  vulnerability_name text not null,
  date_added date not null,
  due_date date not null,
  known_ransomware text not null,
  short_description text not null,
  required_action text not null
);
create table kev_catalogs (
  id uuid primary key,
  catalog_version text not null,
  date_released timestamptz,
  count integer not null,
  sha256 text not null,
  actor_label text not null,
  imported_at timestamptz not null
);
