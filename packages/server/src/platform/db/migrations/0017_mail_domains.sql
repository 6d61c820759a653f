-- Phishing defences: the mail domains of each organisation (customer or MSP), the history of their
-- DNS checks (SPF, DMARC, DKIM, MX: what was read and what was found), and two more inventory
-- import kinds: security-awareness training records and phishing-simulation results.

-- A mail domain registered for an organisation, with the DKIM selectors its mail is signed with
-- (DKIM keys cannot be found without them). Removing a domain keeps it and its checks (removed_at).
create table mail_domains (
  id uuid primary key,
  org_id uuid not null references orgs(id),
  domain text not null,
  dkim_selectors jsonb not null,
  created_by_label text not null,
  created_at timestamptz not null,
  updated_at timestamptz not null,
  removed_at timestamptz
);
create unique index mail_domains_org_domain on mail_domains (org_id, domain) where removed_at is null;

-- One row per DNS check of a domain: the resolver asked, the parsed facts, and the findings, each
-- naming the record it read. status is the worst finding: error (a lookup failed) > fail > pass.
create table mail_domain_checks (
  id uuid primary key,
  org_id uuid not null references orgs(id),
  domain_id uuid not null references mail_domains(id),
  domain text not null,
  checked_at timestamptz not null,
  status text not null check (status in ('pass', 'fail', 'error')),
  resolver text not null,
  facts jsonb not null,
  findings jsonb not null
);
create index mail_domain_checks_domain on mail_domain_checks (org_id, domain_id, checked_at desc);

-- Training and phishing-simulation files are inventory imports (kept as evidence like the others).
alter table imports drop constraint imports_kind_check;
alter table imports add constraint imports_kind_check check (kind in (
  'identity', 'assets', 'vulnerabilities', 'backups', 'remote_access', 'scubagear', 'roster', 'training', 'phishing'));
