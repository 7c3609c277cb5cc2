-- callreg SQLite schema, version 8: a registration writes one row.
--
-- The events a registration queues (`OnVoximplantCallInit`, `OnVoximplantCallStart` and the
-- call card's) are kept in the new live call's row, on the page that row is written to,
-- rather than appended to `event` (another page per registration). They are ids
-- `events_from` to `events_to` of the outbox, `events` their names and data
-- (`src/codec.rs`, `events_to_sql`), created when the call was registered. The outbox shows
-- them among the events of `event`, by id. They move to `event`, ids kept, when one of them
-- is claimed or when the call ends; deleting all of them only clears the three columns.
-- Rows written before this version have none.

ALTER TABLE active_call ADD COLUMN events_from INTEGER;
ALTER TABLE active_call ADD COLUMN events_to INTEGER;
ALTER TABLE active_call ADD COLUMN events TEXT;
