-- Members of a tenant's directory groups (e.g. the group of the MSP's technicians), as the tenant's
-- directory lists them. Each group is replaced whole by a snapshot; names compare without case.
create table directory_group_members (
  org_id uuid not null references orgs(id),
  group_key text not null,      -- lower-case group name
  group_name text not null,     -- as given
  member_key text not null,     -- lower-case account name
  member text not null,         -- as given
  updated_at timestamptz not null,
  primary key (org_id, group_key, member_key)
);
