-- callreg SQLite schema, version 5: a registration and a finish write no index of live calls.
--
-- The two secondary indexes of `active_call` are dropped. The writer connection keeps the
-- same lookups in memory (see `src/live.rs`): a live call by (app_key, external_call_id),
-- whose uniqueness it checks before every insert, and a caller's live calls by `seq`. It reads
-- them from this table when a transaction first needs them, and again whenever another
-- connection has committed since. `call_id` remains the table's key.

DROP INDEX active_call_by_external_id;
DROP INDEX active_call_by_caller;
