-- callreg SQLite schema, version 3: fewer B-tree pages written per registration.
--
-- * An active call is one row keyed by its CALL_ID (a table without rowid, so the key is not
--   also a separate index) and carries its CRM bindings in `entities`: the primary first,
--   `<entity type>:<id>:<primary 0|1>:<created 0|1>` joined by `;` ('' for none).
--   `seq` orders the live calls of one caller (app_key, caller_key) by registration.
-- * The outbox keeps only pending events in `event`, in id order, so reading them needs no
--   index; an event claimed by a reader (`event.offline.get` with `clear: 0`) moves to
--   `event_claimed`. Ids are no longer AUTOINCREMENT: a new event takes one more than the
--   largest id in either table and than `meta.event_id_high_water`, the largest id ever
--   deleted, so an id is still never reused.

CREATE TABLE active_call_v3 (
    call_id          TEXT PRIMARY KEY NOT NULL,
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
) STRICT, WITHOUT ROWID;

INSERT INTO active_call_v3 (call_id, seq, app_key, user_id, caller_id, caller_key, call_type,
    start_date, registered_at, portal_user_id, line_id, portal_number, external_call_id,
    created_lead, entities)
SELECT a.call_id, a.seq, a.app_key, a.user_id, a.caller_id, a.caller_key, a.call_type,
    a.start_date, a.registered_at, a.portal_user_id, a.line_id, a.portal_number,
    a.external_call_id, a.created_lead,
    coalesce((SELECT group_concat(e.entity_type || ':' || e.entity_id || ':' || e.is_primary
                                  || ':' || e.is_created, ';' ORDER BY e.position)
              FROM call_entity e WHERE e.call_id = a.call_id), '')
FROM active_call a;

DROP TABLE call_entity;
DROP TABLE active_call;
ALTER TABLE active_call_v3 RENAME TO active_call;

CREATE UNIQUE INDEX active_call_by_external_id ON active_call (app_key, external_call_id)
    WHERE external_call_id IS NOT NULL;
CREATE INDEX active_call_by_caller ON active_call (app_key, caller_key, seq);

CREATE TABLE event_v3 (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    data       TEXT NOT NULL,
    created_at TEXT NOT NULL
) STRICT;

CREATE TABLE event_claimed (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    data       TEXT NOT NULL,
    created_at TEXT NOT NULL,
    process_id TEXT NOT NULL
) STRICT;

CREATE INDEX event_claimed_by_process ON event_claimed (process_id);

INSERT INTO event_v3 (id, name, data, created_at)
SELECT id, name, data, created_at FROM event WHERE process_id IS NULL;
INSERT INTO event_claimed (id, name, data, created_at, process_id)
SELECT id, name, data, created_at, process_id FROM event WHERE process_id IS NOT NULL;

INSERT INTO meta (key, value)
SELECT 'event_id_high_water', CAST(coalesce(max(seq), 0) AS TEXT)
FROM sqlite_sequence WHERE name = 'event';

DROP TABLE event;
ALTER TABLE event_v3 RENAME TO event;
