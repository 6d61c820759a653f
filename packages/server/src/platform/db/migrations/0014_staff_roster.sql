-- The staff roster becomes an inventory kind (people and workloads with their accounts and leaving
-- dates; docs/imports.md): the imports history accepts it. Its items live in inventory_items like
-- every other kind.
alter table imports drop constraint imports_kind_check;
alter table imports add constraint imports_kind_check
  check (kind in ('identity', 'assets', 'vulnerabilities', 'backups', 'remote_access', 'scubagear', 'roster'));
