-- A sender may name each batch (Idempotency-Key): a batch re-sent after a lost answer is
-- recognised and answered with the original outcome instead of being stored twice.
alter table ingest_batches add column idempotency_key text;
create unique index ingest_batches_idempotency on ingest_batches (source_id, idempotency_key)
  where idempotency_key is not null;
