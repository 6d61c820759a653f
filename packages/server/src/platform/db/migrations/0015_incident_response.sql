-- Incident response and recovery: plans (versioned; an approved version is immutable), incidents
-- with an append-only timeline, exercises with attendance and findings, follow-up actions. Every
-- row carries the organisation it belongs to (org_id) and every query filters by it.

create table ir_plans (
  id uuid primary key,
  org_id uuid not null references orgs(id),
  kind text not null check (kind in ('incident_response', 'recovery')),
  created_at timestamptz not null default now(),
  created_by_label text not null,
  unique (org_id, kind)
);

create table ir_plan_versions (
  plan_id uuid not null references ir_plans(id),
  org_id uuid not null references orgs(id),
  version integer not null check (version >= 1),
  state text not null check (state in ('draft', 'approved', 'superseded')),
  content jsonb not null,
  digest text not null,
  created_by_org_id uuid references orgs(id),
  created_by_user_id uuid references users(id),
  created_by_label text not null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  approved_at timestamptz,
  superseded_at timestamptz,
  primary key (plan_id, version)
);
create unique index ir_plan_versions_one_draft on ir_plan_versions (plan_id) where state = 'draft';
create unique index ir_plan_versions_one_approved on ir_plan_versions (plan_id) where state = 'approved';
create index ir_plan_versions_org on ir_plan_versions (org_id);

-- An approved version never changes: only approved -> superseded (with its time) is allowed, and
-- neither it nor a superseded version can be deleted.
create function ir_plan_versions_guard() returns trigger language plpgsql as $$
begin
  if tg_op = 'DELETE' then
    if old.state <> 'draft' then
      raise exception 'plan % version % is %; it cannot be deleted', old.plan_id, old.version, old.state;
    end if;
    return old;
  end if;
  if old.state = 'superseded'
     or (old.state = 'approved' and (new.state <> 'superseded' or new.content is distinct from old.content
         or new.digest is distinct from old.digest or new.approved_at is distinct from old.approved_at)) then
    raise exception 'plan % version % is %; it cannot change', old.plan_id, old.version, old.state;
  end if;
  return new;
end $$;
create trigger ir_plan_versions_guard before update or delete on ir_plan_versions
  for each row execute function ir_plan_versions_guard();

-- One approval per party and digest: an approval is of exact content.
create table ir_plan_approvals (
  plan_id uuid not null references ir_plans(id),
  version integer not null,
  org_id uuid not null references orgs(id),
  plan_org_id uuid not null references orgs(id),
  digest text not null,
  user_id uuid references users(id),
  user_label text not null,
  approved_at timestamptz not null default now(),
  primary key (plan_id, version, org_id, digest)
);
create index ir_plan_approvals_org on ir_plan_approvals (plan_org_id);

-- A review confirms the approved version is still right without changing it.
create table ir_plan_reviews (
  id uuid primary key,
  plan_id uuid not null references ir_plans(id),
  org_id uuid not null references orgs(id),
  version integer not null,
  note text not null,
  reviewed_by_org_id uuid references orgs(id),
  reviewed_by_user_id uuid references users(id),
  reviewed_by_label text not null,
  reviewed_at timestamptz not null default now()
);
create index ir_plan_reviews_plan on ir_plan_reviews (org_id, plan_id, reviewed_at);

create table ir_incidents (
  id uuid primary key,
  org_id uuid not null references orgs(id),
  title text not null,
  description text,
  severity text not null check (severity in ('critical', 'high', 'medium', 'low')),
  status text not null check (status in ('open', 'investigating', 'contained', 'recovered', 'closed')),
  detected_at timestamptz not null,
  declared_at timestamptz not null,
  declared_by_org_id uuid references orgs(id),
  declared_by_user_id uuid references users(id),
  declared_by_label text not null,
  affected_systems jsonb not null default '[]',
  -- The playbook followed: a copy of its steps from the approved plan version it came from.
  playbook jsonb,
  -- Step number -> { done, by, at }: the current tick state (every tick is also on the timeline).
  steps_state jsonb not null default '{}',
  root_cause text,
  lessons_learned text,
  closed_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  check (detected_at <= declared_at),
  check ((status = 'closed') = (closed_at is not null)),
  check (status <> 'closed' or (root_cause is not null and lessons_learned is not null))
);
create index ir_incidents_org on ir_incidents (org_id, declared_at desc);

create table ir_incident_alerts (
  incident_id uuid not null references ir_incidents(id),
  org_id uuid not null references orgs(id),
  alert_id uuid not null references alerts(id),
  linked_at timestamptz not null default now(),
  linked_by_label text not null,
  primary key (incident_id, alert_id)
);
create index ir_incident_alerts_org on ir_incident_alerts (org_id, alert_id);

create table ir_notifications (
  id uuid primary key,
  org_id uuid not null references orgs(id),
  incident_id uuid not null references ir_incidents(id),
  recipient text not null,
  notified_at timestamptz not null,
  channel text not null,
  note text,
  recorded_by_org_id uuid references orgs(id),
  recorded_by_label text not null,
  recorded_at timestamptz not null default now()
);
create index ir_notifications_incident on ir_notifications (org_id, incident_id);

create table ir_exercises (
  id uuid primary key,
  org_id uuid not null references orgs(id),
  plan_id uuid not null references ir_plans(id),
  plan_version integer,
  kind text not null check (kind in ('tabletop', 'live')),
  title text not null,
  scenario text not null,
  scheduled_for timestamptz not null,
  status text not null check (status in ('scheduled', 'held', 'closed', 'cancelled')),
  held_at timestamptz,
  summary text,
  cancel_reason text,
  closed_at timestamptz,
  created_by_label text not null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  check (status not in ('held', 'closed') or held_at is not null),
  check (status <> 'closed' or (closed_at is not null and summary is not null))
);
create index ir_exercises_org on ir_exercises (org_id, scheduled_for);

create table ir_exercise_participants (
  exercise_id uuid not null references ir_exercises(id),
  org_id uuid not null references orgs(id),
  user_id uuid not null references users(id),
  -- The organisation the person belongs to (the customer, or its MSP).
  party_org_id uuid not null references orgs(id),
  role text,
  attended boolean,
  primary key (exercise_id, user_id)
);

create table ir_findings (
  id uuid primary key,
  org_id uuid not null references orgs(id),
  exercise_id uuid not null references ir_exercises(id),
  title text not null,
  detail text not null,
  severity text not null check (severity in ('critical', 'high', 'medium', 'low')),
  recorded_by_label text not null,
  recorded_at timestamptz not null default now()
);
create index ir_findings_exercise on ir_findings (org_id, exercise_id);

create table ir_actions (
  id uuid primary key,
  org_id uuid not null references orgs(id),
  source_type text not null check (source_type in ('incident', 'exercise')),
  source_id uuid not null,
  title text not null,
  owner_user_id uuid not null references users(id),
  owner_org_id uuid not null references orgs(id),
  due_date date not null,
  priority text not null check (priority in ('high', 'medium', 'low')),
  status text not null check (status in ('open', 'done', 'cancelled')),
  created_by_label text not null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  completed_at timestamptz,
  check ((status = 'open') = (completed_at is null))
);
create index ir_actions_org on ir_actions (org_id, status, due_date);
create index ir_actions_source on ir_actions (org_id, source_type, source_id);

-- Every change to an incident or exercise, who and when; never updated or deleted.
create table ir_timeline (
  seq bigserial primary key,
  org_id uuid not null references orgs(id),
  subject_type text not null check (subject_type in ('incident', 'exercise')),
  subject_id uuid not null,
  at timestamptz not null default now(),
  actor_org_id uuid references orgs(id),
  actor_user_id uuid references users(id),
  actor_label text not null,
  kind text not null,
  text text not null,
  details jsonb not null default '{}'
);
create index ir_timeline_subject on ir_timeline (org_id, subject_type, subject_id, seq);

create function ir_append_only() returns trigger language plpgsql as $$
begin
  raise exception '% rows are append-only', tg_table_name;
end $$;
create trigger ir_timeline_append_only before update or delete on ir_timeline
  for each row execute function ir_append_only();
create trigger ir_plan_approvals_append_only before update or delete on ir_plan_approvals
  for each row execute function ir_append_only();
create trigger ir_plan_reviews_append_only before update or delete on ir_plan_reviews
  for each row execute function ir_append_only();
create trigger ir_notifications_append_only before update or delete on ir_notifications
  for each row execute function ir_append_only();
create trigger ir_findings_append_only before update or delete on ir_findings
  for each row execute function ir_append_only();

-- When each kind of incident-response record of an organisation last changed: verification makes
-- the controls reading that kind due at once (one small grouped read per run).
create table ir_activity (
  org_id uuid not null references orgs(id),
  kind text not null check (kind in ('ir_plans', 'exercises', 'incidents', 'ir_actions')),
  changed_at timestamptz not null,
  primary key (org_id, kind)
);
