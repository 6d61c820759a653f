-- Adding an existing Accord user to another organisation through the API creates an invitation the
-- user must accept: no account is linked to an organisation without its owner's consent.
alter table memberships add column status text not null default 'active' check (status in ('active', 'invited'));
alter table memberships add column invited_by uuid references users(id);
