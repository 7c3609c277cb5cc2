-- callreg SQLite schema, version 1.
--
-- Conventions:
-- * every table is STRICT;
-- * ids that the store assigns are `INTEGER PRIMARY KEY AUTOINCREMENT`, so an id is never
--   reused (the trait's contract), and rolling a transaction back rolls the counter back too;
-- * timestamps are TEXT in RFC 3339 UTC with exactly nine fractional digits
--   (`2026-03-10T08:00:00.000000000Z`): exact to the nanosecond, and ordered as text;
-- * phone keys are `PhoneKey::to_storage()` text;
-- * `app_key` encodes an optional application id so that it can take part in a unique index:
--   '' for webhooks (no application), '@' followed by the id for an application;
-- * entity types are Bitrix's OWNER_TYPE_ID: 1 lead, 2 deal, 3 contact, 4 company;
-- * booleans are INTEGER 0 or 1.

CREATE TABLE meta (
    key   TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
) STRICT, WITHOUT ROWID;

-- ---- users ---------------------------------------------------------------------------

CREATE TABLE user (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    active      INTEGER NOT NULL CHECK (active IN (0, 1)),
    email       TEXT NOT NULL,
    name        TEXT NOT NULL,
    last_name   TEXT NOT NULL,
    inner_phone TEXT,
    admin       INTEGER NOT NULL CHECK (admin IN (0, 1))
) STRICT;

CREATE INDEX user_by_inner_phone ON user (inner_phone) WHERE inner_phone IS NOT NULL;

-- WORK_PHONE, PERSONAL_PHONE, PERSONAL_MOBILE, in the order the user has them.
CREATE TABLE user_phone (
    user_id    INTEGER NOT NULL REFERENCES user (id) ON DELETE CASCADE,
    position   INTEGER NOT NULL,
    value      TEXT NOT NULL,
    value_type TEXT NOT NULL,
    key        TEXT,
    PRIMARY KEY (user_id, position)
) STRICT, WITHOUT ROWID;

CREATE INDEX user_phone_by_key ON user_phone (key, user_id) WHERE key IS NOT NULL;

CREATE TABLE user_permission (
    user_id    INTEGER NOT NULL REFERENCES user (id) ON DELETE CASCADE,
    permission TEXT NOT NULL,
    PRIMARY KEY (user_id, permission)
) STRICT, WITHOUT ROWID;

-- ---- CRM records -----------------------------------------------------------------------

-- COMPANY_ID and the deal's CONTACT_ID / COMPANY_ID carry no foreign key: the CRM accepts
-- references to records it does not hold (they are the engine's business, not the store's).

CREATE TABLE contact (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    name        TEXT NOT NULL,
    last_name   TEXT NOT NULL,
    company_id  INTEGER,
    assigned_by INTEGER NOT NULL,
    created     TEXT NOT NULL,
    modified    TEXT NOT NULL
) STRICT;

CREATE TABLE company (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    title       TEXT NOT NULL,
    assigned_by INTEGER NOT NULL,
    created     TEXT NOT NULL,
    modified    TEXT NOT NULL
) STRICT;

CREATE TABLE lead (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    title              TEXT NOT NULL,
    name               TEXT NOT NULL,
    status_id          TEXT NOT NULL,
    source_id          TEXT NOT NULL,
    source_description TEXT NOT NULL,
    assigned_by        INTEGER NOT NULL,
    created            TEXT NOT NULL,
    modified           TEXT NOT NULL
) STRICT;

CREATE TABLE deal (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    title       TEXT NOT NULL,
    contact_id  INTEGER,
    company_id  INTEGER,
    stage_id    TEXT NOT NULL,
    assigned_by INTEGER NOT NULL,
    created     TEXT NOT NULL,
    modified    TEXT NOT NULL
) STRICT;

CREATE INDEX deal_by_contact ON deal (contact_id) WHERE contact_id IS NOT NULL;
CREATE INDEX deal_by_company ON deal (company_id) WHERE company_id IS NOT NULL;

-- The PHONE multifield of contacts (3), companies (4) and leads (1), in the record's order.
CREATE TABLE crm_phone (
    entity_type INTEGER NOT NULL CHECK (entity_type IN (1, 3, 4)),
    entity_id   INTEGER NOT NULL,
    position    INTEGER NOT NULL,
    value       TEXT NOT NULL,
    value_type  TEXT NOT NULL,
    key         TEXT,
    PRIMARY KEY (entity_type, entity_id, position)
) STRICT, WITHOUT ROWID;

CREATE INDEX crm_phone_by_key ON crm_phone (key, entity_type, entity_id) WHERE key IS NOT NULL;

-- ---- sources and the exclusion list -------------------------------------------------------

CREATE TABLE source (
    id   TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    sort INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

CREATE TABLE exclusion (
    key TEXT PRIMARY KEY NOT NULL
) STRICT, WITHOUT ROWID;

-- ---- external lines -------------------------------------------------------------------

CREATE TABLE line (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    app_key         TEXT NOT NULL,
    number          TEXT NOT NULL,
    name            TEXT,
    crm_auto_create INTEGER NOT NULL CHECK (crm_auto_create IN (0, 1)),
    key             TEXT
) STRICT;

CREATE UNIQUE INDEX line_by_number ON line (app_key, number);
CREATE INDEX line_by_key ON line (key) WHERE key IS NOT NULL;

-- ---- active calls -----------------------------------------------------------------------

-- `seq` is the registration order.
CREATE TABLE active_call (
    seq              INTEGER PRIMARY KEY,
    call_id          TEXT NOT NULL UNIQUE,
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
    created_lead     INTEGER
) STRICT;

CREATE UNIQUE INDEX active_call_by_external_id ON active_call (app_key, external_call_id)
    WHERE external_call_id IS NOT NULL;
CREATE INDEX active_call_by_caller ON active_call (app_key, caller_key);

-- The CRM records a call is bound to, the primary first.
CREATE TABLE call_entity (
    call_id     TEXT NOT NULL REFERENCES active_call (call_id) ON DELETE CASCADE,
    position    INTEGER NOT NULL,
    entity_type INTEGER NOT NULL CHECK (entity_type BETWEEN 1 AND 4),
    entity_id   INTEGER NOT NULL,
    is_primary  INTEGER NOT NULL CHECK (is_primary IN (0, 1)),
    is_created  INTEGER NOT NULL CHECK (is_created IN (0, 1)),
    PRIMARY KEY (call_id, position)
) STRICT, WITHOUT ROWID;

-- ---- finished calls -----------------------------------------------------------------------

-- Bitrix's statistics row, one per finished CALL_ID.
CREATE TABLE call_record (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    call_id          TEXT NOT NULL UNIQUE,
    external_call_id TEXT,
    portal_user_id   INTEGER NOT NULL,
    phone_number     TEXT NOT NULL,
    caller_key       TEXT NOT NULL,
    portal_number    TEXT NOT NULL,
    call_type        INTEGER NOT NULL CHECK (call_type BETWEEN 1 AND 5),
    duration         INTEGER NOT NULL,
    start_date       TEXT NOT NULL,
    call_status      INTEGER NOT NULL,
    vote             INTEGER NOT NULL,
    cost             REAL NOT NULL,
    cost_currency    TEXT NOT NULL,
    failed_code      TEXT NOT NULL,
    failed_reason    TEXT NOT NULL,
    app_key          TEXT NOT NULL,
    activity_id      INTEGER,
    record_url       TEXT,
    primary_type     INTEGER CHECK (primary_type BETWEEN 1 AND 4),
    primary_id       INTEGER,
    record_id        INTEGER,
    transcript_id    INTEGER,
    finished_at      TEXT NOT NULL,
    CHECK ((primary_type IS NULL) = (primary_id IS NULL))
) STRICT;

-- A CRM call activity. `direction` is Bitrix's DIRECTION (1 incoming, 2 outgoing),
-- `result_mark` the mark's name (NONE, POSITIVE, NEUTRAL, NEGATIVE).
CREATE TABLE activity (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    subject            TEXT NOT NULL,
    direction          INTEGER NOT NULL CHECK (direction IN (1, 2)),
    start_time         TEXT NOT NULL,
    end_time           TEXT NOT NULL,
    responsible_id     INTEGER NOT NULL,
    author_id          INTEGER NOT NULL,
    origin_id          TEXT NOT NULL,
    phone              TEXT NOT NULL,
    communication_type INTEGER CHECK (communication_type BETWEEN 1 AND 4),
    communication_id   INTEGER,
    completed          INTEGER NOT NULL CHECK (completed IN (0, 1)),
    missed             INTEGER NOT NULL CHECK (missed IN (0, 1)),
    result_mark        TEXT NOT NULL,
    description        TEXT NOT NULL,
    record_id          INTEGER,
    created            TEXT NOT NULL,
    CHECK ((communication_type IS NULL) = (communication_id IS NULL))
) STRICT;

-- The records an activity is bound to, in order.
CREATE TABLE activity_binding (
    activity_id INTEGER NOT NULL REFERENCES activity (id) ON DELETE CASCADE,
    position    INTEGER NOT NULL,
    entity_type INTEGER NOT NULL CHECK (entity_type BETWEEN 1 AND 4),
    entity_id   INTEGER NOT NULL,
    PRIMARY KEY (activity_id, position)
) STRICT, WITHOUT ROWID;

CREATE TABLE missed_call (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    record_id      INTEGER NOT NULL,
    caller_key     TEXT NOT NULL,
    user_id        INTEGER NOT NULL,
    at             TEXT NOT NULL,
    called_back_by INTEGER
) STRICT;

CREATE INDEX missed_call_open_by_caller ON missed_call (caller_key)
    WHERE called_back_by IS NULL;

-- ---- records and transcripts --------------------------------------------------------------

CREATE TABLE audio (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    call_id     TEXT NOT NULL,
    file_name   TEXT NOT NULL,
    content     BLOB,
    url         TEXT,
    attached_at TEXT NOT NULL
) STRICT;

CREATE TABLE upload (
    token      TEXT PRIMARY KEY NOT NULL,
    call_id    TEXT NOT NULL,
    file_name  TEXT NOT NULL,
    created_at TEXT NOT NULL
) STRICT, WITHOUT ROWID;

CREATE TABLE transcript (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    call_id       TEXT NOT NULL,
    cost          REAL NOT NULL,
    cost_currency TEXT NOT NULL,
    created_at    TEXT NOT NULL
) STRICT;

CREATE TABLE transcript_message (
    transcript_id INTEGER NOT NULL REFERENCES transcript (id) ON DELETE CASCADE,
    position      INTEGER NOT NULL,
    side          TEXT NOT NULL,
    start_time    INTEGER NOT NULL,
    stop_time     INTEGER NOT NULL,
    message       TEXT NOT NULL,
    PRIMARY KEY (transcript_id, position)
) STRICT, WITHOUT ROWID;

-- ---- outbox -----------------------------------------------------------------------------

-- `data` is the event's JSON object, keys in their order. `process_id` is the reader that
-- claimed the event (`event.offline.get` with `clear: 0`), NULL while it is pending.
CREATE TABLE event (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    name       TEXT NOT NULL,
    data       TEXT NOT NULL,
    created_at TEXT NOT NULL,
    process_id TEXT
) STRICT;

-- Pending events in order, however many claimed ones precede them.
CREATE INDEX event_pending ON event (id) WHERE process_id IS NULL;
CREATE INDEX event_by_claimer ON event (process_id) WHERE process_id IS NOT NULL;
