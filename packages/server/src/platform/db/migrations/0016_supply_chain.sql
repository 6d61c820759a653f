-- Supply chain risk: each organisation's supplier register, risk assessments with treatments, and
-- the sign-off by security, legal and procurement that completes an assessment. Every table carries
-- the owning organisation (org_id) and child rows reference their parent through (org_id, id), so a
-- row can never point into another organisation's register.

-- Members may now hold the security function (supplier assessments are signed off by security,
-- legal and procurement).
alter table memberships drop constraint memberships_function_check;
alter table memberships add constraint memberships_function_check
  check (function in ('executive', 'technical_lead', 'procurement', 'legal', 'security'));

create table suppliers (
  id uuid primary key,
  org_id uuid not null references orgs(id),
  name text not null,
  kind text not null check (kind in ('msp', 'supplier', 'sub_processor')),
  -- For kind 'msp': the MSP organisation the entry stands for.
  msp_org_id uuid references orgs(id),
  services jsonb not null default '[]',
  products jsonb not null default '[]',
  privileged_access boolean not null default false,
  access_description text,
  data_categories jsonb not null default '[]',
  contract_start date,
  contract_end date,
  criticality text not null check (criticality in ('critical', 'high', 'medium', 'low')),
  -- MSP registers: shown to the MSP's customers.
  published boolean not null default false,
  notes text,
  created_at timestamptz not null,
  updated_at timestamptz not null,
  retired_at timestamptz,
  retired_reason text,
  unique (org_id, id),
  check (contract_start is null or contract_end is null or contract_end >= contract_start),
  check (kind = 'msp' or msp_org_id is null),
  check (not (published and kind = 'msp'))
);
-- One active entry per name in a register (a retired entry keeps its name in the history).
create unique index suppliers_active_name on suppliers (org_id, lower(name)) where retired_at is null;
create index suppliers_published on suppliers (org_id) where published and retired_at is null;

-- One row per organisation with a register: when anything in it last changed (the verification
-- scheduler re-runs the supply chain checks after that), when the published part last changed,
-- the last review, and the reassessment cadence when the organisation set its own.
create table supplier_registers (
  org_id uuid primary key references orgs(id),
  changed_at timestamptz not null,
  published_changed_at timestamptz,
  reviewed_at timestamptz,
  reviewed_by text,
  reassessment_days jsonb
);

create table supplier_register_reviews (
  id uuid primary key,
  org_id uuid not null references orgs(id),
  reviewed_at timestamptz not null,
  user_id uuid references users(id),
  actor_label text not null,
  note text
);
create index supplier_register_reviews_org on supplier_register_reviews (org_id, reviewed_at desc);

create table supplier_assessments (
  id uuid primary key,
  org_id uuid not null references orgs(id),
  supplier_id uuid not null,
  -- Reopening a submitted assessment starts a new revision: earlier sign-offs stop counting.
  revision integer not null default 1 check (revision >= 1),
  status text not null check (status in ('draft', 'submitted', 'complete')),
  catalog_version text not null,
  questions jsonb not null,
  answers jsonb not null default '{}',
  inherent_likelihood smallint check (inherent_likelihood between 1 and 5),
  inherent_impact smallint check (inherent_impact between 1 and 5),
  residual_likelihood smallint check (residual_likelihood between 1 and 5),
  residual_impact smallint check (residual_impact between 1 and 5),
  rationale text,
  created_by_user_id uuid references users(id),
  created_by_label text not null,
  created_at timestamptz not null,
  updated_at timestamptz not null,
  submitted_at timestamptz,
  completed_at timestamptz,
  unique (org_id, id),
  foreign key (org_id, supplier_id) references suppliers (org_id, id),
  check ((inherent_likelihood is null) = (inherent_impact is null)),
  check ((residual_likelihood is null) = (residual_impact is null)),
  check (
    residual_likelihood is null or inherent_likelihood is null
    or residual_likelihood * residual_impact <= inherent_likelihood * inherent_impact
  ),
  check ((status = 'complete') = (completed_at is not null))
);
create index supplier_assessments_supplier on supplier_assessments (org_id, supplier_id, created_at);
-- At most one assessment in progress per supplier.
create unique index supplier_assessments_open on supplier_assessments (supplier_id) where status <> 'complete';

create table supplier_treatments (
  id uuid primary key,
  org_id uuid not null references orgs(id),
  assessment_id uuid not null,
  supplier_id uuid not null,
  type text not null check (type in ('accept', 'mitigate', 'transfer', 'avoid')),
  description text not null,
  owner_user_id uuid not null references users(id),
  due_date date not null,
  status text not null default 'open' check (status in ('open', 'done', 'cancelled')),
  closed_at timestamptz,
  closed_note text,
  closed_by_label text,
  created_by_label text not null,
  created_at timestamptz not null,
  foreign key (org_id, assessment_id) references supplier_assessments (org_id, id),
  foreign key (org_id, supplier_id) references suppliers (org_id, id),
  check ((status = 'open') = (closed_at is null))
);
create index supplier_treatments_assessment on supplier_treatments (org_id, assessment_id);

create table supplier_signoffs (
  org_id uuid not null references orgs(id),
  assessment_id uuid not null,
  revision integer not null,
  function text not null check (function in ('security', 'legal', 'procurement')),
  user_id uuid not null references users(id),
  signed_by text not null,
  comment text,
  signed_at timestamptz not null,
  primary key (assessment_id, revision, function),
  -- One person signs one revision once, whatever their function.
  unique (assessment_id, revision, user_id),
  foreign key (org_id, assessment_id) references supplier_assessments (org_id, id)
);

-- Sign-offs and register reviews are records: never changed or removed. A complete assessment is
-- what was signed: it never changes either (a reassessment is a new assessment).
create function supply_chain_append_only() returns trigger language plpgsql as $$
begin
  raise exception '% rows are append-only', tg_table_name;
end $$;
create trigger supplier_signoffs_append_only before update or delete on supplier_signoffs
  for each row execute function supply_chain_append_only();
create trigger supplier_register_reviews_append_only before update or delete on supplier_register_reviews
  for each row execute function supply_chain_append_only();

create function supplier_assessment_signed() returns trigger language plpgsql as $$
begin
  if old.status = 'complete' then
    raise exception 'supplier assessment % is complete and signed off; it cannot change', old.id;
  end if;
  return case when tg_op = 'DELETE' then old else new end;
end $$;
create trigger supplier_assessments_signed before update or delete on supplier_assessments
  for each row execute function supplier_assessment_signed();
