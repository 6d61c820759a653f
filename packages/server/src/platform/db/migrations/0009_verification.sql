-- What each log source stands for in an agreement (LOG-01/LOG-02 `required_log_sources`):
-- identity_signin, directory_audit, edr, firewall, ...
alter table log_sources add column categories jsonb not null default '[]';

-- The current result of every evaluated control of every agreement: one row, cheap to read for a
-- whole portfolio. The verified version is the agreement's active version at evaluation.
create table control_status (
  agreement_id uuid not null references agreements(id),
  control_id text not null,
  msp_org_id uuid not null references orgs(id),
  customer_org_id uuid not null references orgs(id),
  version integer not null,
  status text not null check (status in ('pass', 'fail', 'partial', 'unknown', 'error')),
  reason text not null,
  observed jsonb not null,
  expected jsonb not null,
  evidence jsonb not null,
  data_at timestamptz,
  evaluated_at timestamptz not null,
  changed_at timestamptz not null,
  primary key (agreement_id, control_id)
);
create index control_status_msp on control_status (msp_org_id);
create index control_status_customer on control_status (customer_org_id);

-- History: a row at every status change ('change') and one point per control and UTC day ('daily').
create table control_results (
  id bigserial primary key,
  agreement_id uuid not null references agreements(id),
  control_id text not null,
  msp_org_id uuid not null,
  customer_org_id uuid not null,
  kind text not null check (kind in ('change', 'daily')),
  day date not null,
  status text not null,
  previous_status text,
  reason text not null,
  observed jsonb not null,
  expected jsonb not null,
  evidence jsonb not null,
  data_at timestamptz,
  evaluated_at timestamptz not null
);
create index control_results_by_control on control_results (agreement_id, control_id, evaluated_at);
create unique index control_results_daily on control_results (agreement_id, control_id, day)
  where kind = 'daily';
