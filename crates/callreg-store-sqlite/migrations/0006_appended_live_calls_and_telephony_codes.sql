-- callreg SQLite schema, version 6: a registration appends its live call; employees' phones
-- are indexed by Bitrix's telephony form.
--
-- `active_call` was keyed by `call_id`, whose hex is random (contract D11): every
-- registration wrote its row into a random page of the table, and the splits of those pages
-- rewrote their parents. The table is now keyed by a row id, one more than the largest
-- (ids of finished calls may be taken again), so a new live call lands on the table's last
-- page. The writer connection
-- finds a live call's row id by its `call_id` in memory, as it already finds live calls by
-- `external_call_id` and by caller (see `src/live.rs`); other connections scan the live
-- calls, which are only the calls in progress. The writer checks that a `call_id` is free
-- before storing it.

CREATE TABLE active_call_v6 (
    id               INTEGER PRIMARY KEY,
    call_id          TEXT NOT NULL,
    seq              INTEGER NOT NULL,
    app_key          TEXT NOT NULL,
    user_id          INTEGER NOT NULL,
    caller_id        TEXT NOT NULL,
    caller_key       TEXT NOT NULL,
    call_type        INTEGER NOT NULL CHECK (call_type BETWEEN 1 AND 5),
    start_date       TEXT NOT NULL,
    registered_at    TEXT NOT NULL,
    portal_user_id   INTEGER,
    line_id          INTEGER,
    portal_number    TEXT NOT NULL,
    external_call_id TEXT,
    created_lead     INTEGER,
    entities         TEXT NOT NULL
) STRICT;

INSERT INTO active_call_v6 (call_id, seq, app_key, user_id, caller_id, caller_key, call_type,
    start_date, registered_at, portal_user_id, line_id, portal_number, external_call_id,
    created_lead, entities)
SELECT call_id, seq, app_key, user_id, caller_id, caller_key, call_type, start_date,
    registered_at, portal_user_id, line_id, portal_number, external_call_id, created_lead,
    entities
FROM active_call ORDER BY registered_at, call_id;

DROP TABLE active_call;
ALTER TABLE active_call_v6 RENAME TO active_call;

-- Bitrix refuses to create a lead for a caller whose number, or its telephony form
-- (`CVoxImplantPhone::Normalize`, `callreg_core::matching::telephony_code`), equals the
-- telephony form of an active employee's phone. The form of every user phone is stored, and
-- filled in by the migration's code for the phones already stored.
ALTER TABLE user_phone ADD COLUMN telephony_code TEXT;
CREATE INDEX user_phone_by_telephony_code ON user_phone (telephony_code, user_id)
    WHERE telephony_code IS NOT NULL;
