-- Faster ingest: every index on `events` is updated for every stored event, so keep only those a
-- query needs. Search by time, by user and by source address keep theirs:
--   events_org_time (org_id, time)               search without a user or address, coverage,
--                                                 detection, verification of a batch (below)
--   events_org_user_time (org_id, username, time) search by user
--   events_org_ip_time (org_id, src_ip, time)     search by address
-- Dropped:
--   events_batch (batch_id, batch_pos): verification reads a batch's events by (org_id, time)
--     within the batch's min_time..max_time, and finds events outside their batch's range with the
--     same scan that finds events of no batch; retention trims a kept day by batch_id in that one
--     day's partition.
--   events_org_class_outcome_time: a class or outcome filter is read along (org_id, time) or
--     (org_id, username, time); both values are few, so a page fills quickly.
-- Dropping an index on the partitioned parent drops it on every existing day partition too.
drop index if exists events_batch;
drop index if exists events_org_class_outcome_time;
