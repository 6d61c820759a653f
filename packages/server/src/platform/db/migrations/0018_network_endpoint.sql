-- Network defence monitoring, application control and EDR alerts.
-- Events gain the network and endpoint fields (null on every event that does not carry them, so
-- existing rows and their seals are unchanged): destination address and port, protocol, what the
-- firewall / IDS / application control did (allowed, blocked, audited), the signature (IDS rule,
-- EDR alert title, application-control rule) with its id, and the product's severity mapped to
-- Accord's levels. Adding nullable columns without defaults rewrites nothing.
alter table events add column dst_ip text;
alter table events add column dst_port integer;
alter table events add column protocol text;
alter table events add column action text;
alter table events add column signature text;
alter table events add column signature_id text;
alter table events add column severity text;

-- The site a log source monitors (LOG-02: every site the agreement names has a live network
-- monitoring source).
alter table log_sources add column site text;

-- Application-control policy imports (AppLocker XML) are an inventory kind, `app_control`. The
-- import kinds are a closed list in the API (contracts IMPORT_KINDS); the table only checks their
-- shape, so that adding a kind does not mean re-listing every other kind in a migration (two
-- migrations re-listing them would each drop the other's).
alter table imports drop constraint if exists imports_kind_check;
alter table imports add constraint imports_kind_check check (kind ~ '^[a-z][a-z_]{0,39}$');
