-- Notifications are not only about alerts: a control's status change (verification drift) is sent
-- through the same channels, with no alert behind it.
alter table notification_outbox alter column alert_id drop not null;
