//! Every SQL statement the adapter runs inside a transaction. They are prepared once per
//! connection and kept in rusqlite's statement cache (`prepare_cached`), which is sized to
//! hold all of them ([`CACHE_CAPACITY`]).

/// Capacity of the prepared-statement cache: more than the statements below ([`ALL`], those
/// of [`insert_events`] and the transaction statements).
pub(crate) const CACHE_CAPACITY: usize = 128;

// ---- metadata -------------------------------------------------------------------------

pub(crate) const SELECT_META: &str = "SELECT value FROM meta WHERE key = ?1";
pub(crate) const UPSERT_META: &str =
    "INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = ?2";

// ---- users ----------------------------------------------------------------------------

pub(crate) const INSERT_USER: &str = "INSERT INTO user (id, active, email, name, last_name, \
     inner_phone, admin) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";
pub(crate) const INSERT_USER_PHONE: &str = "INSERT INTO user_phone (user_id, position, value, \
     value_type, key, telephony_code) VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
pub(crate) const INSERT_USER_PERMISSION: &str =
    "INSERT INTO user_permission (user_id, permission) VALUES (?1, ?2)";
pub(crate) const SELECT_USER: &str = "SELECT id, active, email, name, last_name, inner_phone, \
     admin FROM user WHERE id = ?1";
pub(crate) const SELECT_USER_PHONES: &str = "SELECT value, value_type, key FROM user_phone \
     WHERE user_id = ?1 ORDER BY position";
pub(crate) const SELECT_USER_PERMISSIONS: &str =
    "SELECT permission FROM user_permission WHERE user_id = ?1";
pub(crate) const LIST_USERS: &str = "SELECT id FROM user ORDER BY id";
pub(crate) const FIND_USERS_BY_INNER_PHONE: &str =
    "SELECT id FROM user WHERE inner_phone = ?1 ORDER BY id";
pub(crate) const FIND_USERS_BY_PHONE_KEY: &str =
    "SELECT DISTINCT user_id FROM user_phone WHERE key = ?1 ORDER BY user_id";
pub(crate) const FIND_USERS_BY_TELEPHONY_CODE: &str =
    "SELECT DISTINCT user_id FROM user_phone WHERE telephony_code = ?1 ORDER BY user_id";

// ---- CRM records -------------------------------------------------------------------------

pub(crate) const INSERT_CONTACT: &str = "INSERT INTO contact (name, last_name, company_id, \
     assigned_by, created, modified) VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
pub(crate) const INSERT_COMPANY: &str = "INSERT INTO company (title, assigned_by, created, \
     modified) VALUES (?1, ?2, ?3, ?4)";
pub(crate) const INSERT_LEAD: &str = "INSERT INTO lead (title, name, status_id, source_id, \
     source_description, assigned_by, created, modified) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";
pub(crate) const INSERT_DEAL: &str = "INSERT INTO deal (title, contact_id, company_id, \
     stage_id, assigned_by, created, modified) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";
pub(crate) const INSERT_CRM_PHONE: &str = "INSERT INTO crm_phone (entity_type, entity_id, \
     position, value, value_type, key, national_rev, bitrix_code) \
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";
pub(crate) const SELECT_CONTACT: &str = "SELECT id, name, last_name, company_id, assigned_by, \
     created, modified FROM contact WHERE id = ?1";
pub(crate) const SELECT_COMPANY: &str =
    "SELECT id, title, assigned_by, created, modified FROM company WHERE id = ?1";
pub(crate) const SELECT_LEAD: &str = "SELECT id, title, name, status_id, source_id, \
     source_description, assigned_by, created, modified FROM lead WHERE id = ?1";
pub(crate) const SELECT_DEAL: &str = "SELECT id, title, contact_id, company_id, stage_id, \
     assigned_by, created, modified FROM deal WHERE id = ?1";
pub(crate) const SELECT_CRM_PHONES: &str = "SELECT value, value_type, key FROM crm_phone \
     WHERE entity_type = ?1 AND entity_id = ?2 ORDER BY position";
/// The records of the phones of key `?1`, in index order (a record per phone: the caller
/// orders them and keeps each once, which would cost SQL a sorter, more than the search).
pub(crate) const FIND_ENTITIES_BY_PHONE_KEY: &str =
    "SELECT entity_type, entity_id FROM crm_phone WHERE key = ?1";
/// Tier 3: the records with a phone whose reversed national number starts with `?1`
/// (`?2` is `?1` followed by `:`, the character after `9`), at most `?3` of them: a range of
/// `crm_phone_by_national_rev` left after `?3` distinct records (ordered by the caller).
pub(crate) const FIND_ENTITIES_BY_NATIONAL_SUFFIX: &str = "SELECT DISTINCT entity_type, \
     entity_id FROM crm_phone WHERE national_rev >= ?1 AND national_rev < ?2 LIMIT ?3";
/// The Bitrix-code tier: the phones indexed under code `?1`, and those of key `?2` (the
/// code read as an E.164 number, or NULL), with their values (the caller checks the codes of
/// the latter).
pub(crate) const FIND_PHONES_BY_BITRIX_CODE: &str = "SELECT entity_type, entity_id, value \
     FROM crm_phone WHERE bitrix_code = ?1 \
     UNION ALL SELECT entity_type, entity_id, value FROM crm_phone WHERE key = ?2";
pub(crate) const DEALS_OF_CONTACT: &str = "SELECT id, title, contact_id, company_id, stage_id, \
     assigned_by, created, modified FROM deal WHERE contact_id = ?1 ORDER BY id";
pub(crate) const DEALS_OF_COMPANY: &str = "SELECT id, title, contact_id, company_id, stage_id, \
     assigned_by, created, modified FROM deal WHERE company_id = ?1 ORDER BY id";
pub(crate) const LIST_CONTACTS: &str = "SELECT id FROM contact ORDER BY id";
pub(crate) const LIST_COMPANIES: &str = "SELECT id FROM company ORDER BY id";
pub(crate) const LIST_LEADS: &str = "SELECT id FROM lead ORDER BY id";
pub(crate) const LIST_DEALS: &str = "SELECT id FROM deal ORDER BY id";
pub(crate) const SET_CONTACT_RESPONSIBLE: &str =
    "UPDATE contact SET assigned_by = ?2, modified = ?3 WHERE id = ?1";
pub(crate) const SET_COMPANY_RESPONSIBLE: &str =
    "UPDATE company SET assigned_by = ?2, modified = ?3 WHERE id = ?1";
pub(crate) const SET_LEAD_RESPONSIBLE: &str =
    "UPDATE lead SET assigned_by = ?2, modified = ?3 WHERE id = ?1";
pub(crate) const SET_DEAL_RESPONSIBLE: &str =
    "UPDATE deal SET assigned_by = ?2, modified = ?3 WHERE id = ?1";

// ---- sources and the exclusion list ---------------------------------------------------------

pub(crate) const UPSERT_SOURCE: &str = "INSERT INTO source (id, name, sort) VALUES (?1, ?2, ?3) \
     ON CONFLICT (id) DO UPDATE SET name = ?2, sort = ?3";
pub(crate) const SOURCE_EXISTS: &str = "SELECT EXISTS (SELECT 1 FROM source WHERE id = ?1)";
pub(crate) const LIST_SOURCES: &str = "SELECT id, name, sort FROM source ORDER BY sort, id";
pub(crate) const INSERT_EXCLUSION: &str = "INSERT OR IGNORE INTO exclusion (key) VALUES (?1)";
pub(crate) const IS_EXCLUDED: &str = "SELECT EXISTS (SELECT 1 FROM exclusion WHERE key = ?1)";
/// Whether the exclusion list is empty (its first row, if any).
pub(crate) const NO_EXCLUSIONS: &str = "SELECT NOT EXISTS (SELECT 1 FROM exclusion)";

// ---- external lines -------------------------------------------------------------------------

pub(crate) const INSERT_LINE: &str = "INSERT INTO line (app_key, number, name, \
     crm_auto_create, key) VALUES (?1, ?2, ?3, ?4, ?5)";
pub(crate) const FIND_LINE: &str = "SELECT id, app_key, number, name, crm_auto_create, key \
     FROM line WHERE app_key = ?1 AND number = ?2";
pub(crate) const FIND_LINES_BY_KEY: &str = "SELECT id, app_key, number, name, crm_auto_create, \
     key FROM line WHERE key = ?1 ORDER BY id";
pub(crate) const UPDATE_LINE: &str =
    "UPDATE line SET name = ?2, crm_auto_create = ?3 WHERE id = ?1";
pub(crate) const DELETE_LINE: &str = "DELETE FROM line WHERE id = ?1";
pub(crate) const LIST_LINES: &str = "SELECT id, app_key, number, name, crm_auto_create, key \
     FROM line WHERE app_key = ?1";

// ---- active calls -----------------------------------------------------------------------------

/// `?2` is `seq`, one more than the caller's latest live call's (from
/// [`crate::live::LiveCalls::next_seq`], or [`NEXT_CALLER_SEQ`]). The row takes the next id,
/// on the table's last page (one more than the largest). `?16` to `?18` are the events kept
/// in the row (all three NULL for none): their first and last ids, and the events (see
/// [`crate::codec::events_to_sql`]).
pub(crate) const INSERT_ACTIVE_CALL: &str = "INSERT INTO active_call (call_id, seq, app_key, \
     user_id, caller_id, caller_key, call_type, start_date, registered_at, portal_user_id, \
     line_id, portal_number, external_call_id, created_lead, entities, events_from, events_to, \
     events) \
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)";
/// The `seq` of the caller's next live call, for a connection without the live-call maps
/// (a scan of the live calls: see [`crate::live`]).
pub(crate) const NEXT_CALLER_SEQ: &str =
    "SELECT coalesce(max(seq), 0) + 1 FROM active_call WHERE app_key = ?1 AND caller_key = ?2";
/// What [`crate::live::LiveCalls`] holds of every live call.
pub(crate) const LIVE_CALL_KEYS: &str =
    "SELECT call_id, seq, app_key, caller_key, external_call_id, id FROM active_call";
/// The columns an [`ActiveCall`](callreg_core::model::ActiveCall) is read from, as a literal.
macro_rules! active_call_columns {
    () => {
        "call_id, app_key, user_id, caller_id, caller_key, call_type, start_date, \
         registered_at, portal_user_id, line_id, portal_number, external_call_id, created_lead, \
         entities"
    };
}
/// The live call in row `?1` (found in [`crate::live::LiveCalls`]) if its `CALL_ID` is `?2`.
pub(crate) const SELECT_ACTIVE_CALL: &str =
    concat!("SELECT ", active_call_columns!(), " FROM active_call WHERE id = ?1 AND call_id = ?2");
/// For a connection without the live-call maps: a scan of the live calls.
pub(crate) const FIND_ACTIVE_CALL: &str =
    concat!("SELECT ", active_call_columns!(), " FROM active_call WHERE call_id = ?1");
/// For a connection without the live-call maps: a scan of the live calls.
pub(crate) const FIND_ACTIVE_CALL_BY_EXTERNAL_ID: &str = concat!(
    "SELECT ",
    active_call_columns!(),
    " FROM active_call WHERE app_key = ?1 AND external_call_id = ?2"
);
/// Oldest registration first: `seq` orders a caller's calls by registration. For a
/// connection without the live-call maps: a scan of the live calls.
pub(crate) const FIND_ACTIVE_CALLS_BY_CALLER: &str = concat!(
    "SELECT ",
    active_call_columns!(),
    " FROM active_call WHERE app_key = ?1 AND caller_key = ?2 ORDER BY seq"
);
/// Oldest registration first, as the memory store orders them.
pub(crate) const LIST_ACTIVE_CALLS: &str =
    concat!("SELECT ", active_call_columns!(), " FROM active_call ORDER BY registered_at, call_id");
/// Deletes the live call in row `?1` if its `CALL_ID` is `?2`; returns what
/// [`crate::live::LiveCalls`] holds of it, then the events kept in the row (as
/// [`LIVE_CALL_EVENTS`] reads them).
pub(crate) const DELETE_ACTIVE_CALL: &str = "DELETE FROM active_call \
     WHERE id = ?1 AND call_id = ?2 \
     RETURNING call_id, seq, app_key, caller_key, external_call_id, id, \
     id, events_from, events_to, events, registered_at, call_id";
/// As [`DELETE_ACTIVE_CALL`], by `CALL_ID`, for a connection without the live-call maps (a
/// scan of the live calls).
pub(crate) const DELETE_ACTIVE_CALL_BY_CALL_ID: &str = "DELETE FROM active_call \
     WHERE call_id = ?1 RETURNING call_id, seq, app_key, caller_key, external_call_id, id, \
     id, events_from, events_to, events, registered_at, call_id";
/// The live calls that keep events in their row, the oldest events first: the row, its events'
/// first and last ids, the events, the time they were queued (the call's registration) and
/// the call's `CALL_ID`. A scan of the live calls, which are only the calls in progress.
pub(crate) const LIVE_CALL_EVENTS: &str = "SELECT id, events_from, events_to, events, \
     registered_at, call_id FROM active_call WHERE events IS NOT NULL ORDER BY events_from \
     LIMIT ?1";
/// Forgets the events kept in live call row `?1` (they were deleted, or moved to `event`).
pub(crate) const CLEAR_LIVE_CALL_EVENTS: &str = "UPDATE active_call \
     SET events_from = NULL, events_to = NULL, events = NULL WHERE id = ?1";

// ---- finished calls ----------------------------------------------------------------------

/// The columns a [`CallRecord`](callreg_core::model::CallRecord) is read from, as a literal.
macro_rules! call_record_columns {
    () => {
        "id, call_id, external_call_id, portal_user_id, phone_number, caller_key, \
         portal_number, call_type, duration, start_date, call_status, vote, cost, \
         cost_currency, failed_code, failed_reason, app_key, activity_id, record_url, \
         primary_type, primary_id, record_id, transcript_id, finished_at"
    };
}
pub(crate) const INSERT_CALL_RECORD: &str = concat!(
    "INSERT INTO call_record (",
    call_record_columns!(),
    ") VALUES (NULL, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, \
     ?18, ?19, ?20, ?21, ?22, ?23, ?24)"
);
pub(crate) const SELECT_CALL_RECORD: &str =
    concat!("SELECT ", call_record_columns!(), " FROM call_record WHERE call_id = ?1");
/// Matched by id and `CALL_ID` together, as the memory store does.
pub(crate) const UPDATE_CALL_RECORD: &str = "UPDATE call_record SET external_call_id = ?3, \
     portal_user_id = ?4, phone_number = ?5, caller_key = ?6, portal_number = ?7, \
     call_type = ?8, duration = ?9, start_date = ?10, call_status = ?11, vote = ?12, \
     cost = ?13, cost_currency = ?14, failed_code = ?15, failed_reason = ?16, app_key = ?17, \
     activity_id = ?18, record_url = ?19, primary_type = ?20, primary_id = ?21, \
     record_id = ?22, transcript_id = ?23, finished_at = ?24 WHERE id = ?1 AND call_id = ?2";
pub(crate) const LIST_CALL_RECORDS: &str =
    concat!("SELECT ", call_record_columns!(), " FROM call_record ORDER BY id");
/// The filter of `voximplant.statistic.get` (`CallRecordFilter` without its `CALL_ID`, which
/// is a point lookup): ?1 the phone number, ?2 its key's storage form, ?3 the portal user,
/// each NULL when not filtered on.
macro_rules! call_record_filter {
    () => {
        " WHERE (?1 IS NULL OR phone_number = ?1 OR caller_key = ?2) \
         AND (?3 IS NULL OR portal_user_id = ?3)"
    };
}
/// A page of the filtered statistics rows: at most ?4 from offset ?5, by id.
pub(crate) const CALL_RECORDS_PAGE: &str = concat!(
    "SELECT ",
    call_record_columns!(),
    " FROM call_record",
    call_record_filter!(),
    " ORDER BY id LIMIT ?4 OFFSET ?5"
);
/// How many statistics rows pass the filter.
pub(crate) const COUNT_CALL_RECORDS: &str =
    concat!("SELECT count(*) FROM call_record", call_record_filter!());
/// The ?1 rows of the calls that started last (stored timestamps sort as text in time order).
pub(crate) const LATEST_CALL_RECORDS: &str = concat!(
    "SELECT ",
    call_record_columns!(),
    " FROM call_record ORDER BY start_date DESC, finished_at DESC, call_id LIMIT ?1"
);

/// The columns an [`Activity`](callreg_core::model::Activity) is read from, as a literal.
macro_rules! activity_columns {
    () => {
        "id, subject, direction, start_time, end_time, responsible_id, author_id, origin_id, \
         phone, communication_type, communication_id, completed, missed, result_mark, \
         description, record_id, created"
    };
}
pub(crate) const INSERT_ACTIVITY: &str = concat!(
    "INSERT INTO activity (",
    activity_columns!(),
    ") VALUES (NULL, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)"
);
pub(crate) const UPDATE_ACTIVITY: &str = "UPDATE activity SET subject = ?2, direction = ?3, \
     start_time = ?4, end_time = ?5, responsible_id = ?6, author_id = ?7, origin_id = ?8, \
     phone = ?9, communication_type = ?10, communication_id = ?11, completed = ?12, \
     missed = ?13, result_mark = ?14, description = ?15, record_id = ?16, created = ?17 \
     WHERE id = ?1";
pub(crate) const SELECT_ACTIVITY: &str =
    concat!("SELECT ", activity_columns!(), " FROM activity WHERE id = ?1");
pub(crate) const LIST_ACTIVITIES: &str =
    concat!("SELECT ", activity_columns!(), " FROM activity ORDER BY id");
/// The filter of `crm.activity.list`: ?1 the type of a record the activity is bound to, ?2
/// its id (both on one binding), ?3 the `ORIGIN_ID`, each NULL when not filtered on.
macro_rules! activity_filter {
    () => {
        " WHERE (?3 IS NULL OR origin_id = ?3) AND ((?1 IS NULL AND ?2 IS NULL) OR EXISTS \
         (SELECT 1 FROM activity_binding b WHERE b.activity_id = activity.id \
         AND (?1 IS NULL OR b.entity_type = ?1) AND (?2 IS NULL OR b.entity_id = ?2)))"
    };
}
/// A page of the filtered activities: at most ?4 from offset ?5, by id.
pub(crate) const ACTIVITIES_PAGE: &str = concat!(
    "SELECT ",
    activity_columns!(),
    " FROM activity",
    activity_filter!(),
    " ORDER BY id LIMIT ?4 OFFSET ?5"
);
/// How many activities pass the filter.
pub(crate) const COUNT_ACTIVITIES: &str =
    concat!("SELECT count(*) FROM activity", activity_filter!());
pub(crate) const INSERT_ACTIVITY_BINDING: &str = "INSERT INTO activity_binding (activity_id, \
     position, entity_type, entity_id) VALUES (?1, ?2, ?3, ?4)";
pub(crate) const DELETE_ACTIVITY_BINDINGS: &str =
    "DELETE FROM activity_binding WHERE activity_id = ?1";
pub(crate) const SELECT_ACTIVITY_BINDINGS: &str = "SELECT entity_type, entity_id \
     FROM activity_binding WHERE activity_id = ?1 ORDER BY position";

pub(crate) const INSERT_MISSED_CALL: &str = "INSERT INTO missed_call (record_id, caller_key, \
     user_id, at, called_back_by) VALUES (?1, ?2, ?3, ?4, ?5)";
pub(crate) const OPEN_MISSED_CALLS: &str = "SELECT id, record_id, caller_key, user_id, at, \
     called_back_by FROM missed_call WHERE caller_key = ?1 AND called_back_by IS NULL \
     ORDER BY id";
pub(crate) const MARK_CALLED_BACK: &str =
    "UPDATE missed_call SET called_back_by = ?2 WHERE id = ?1";
pub(crate) const LIST_MISSED_CALLS: &str = "SELECT id, record_id, caller_key, user_id, at, \
     called_back_by FROM missed_call ORDER BY id";

// ---- records and transcripts -------------------------------------------------------------

pub(crate) const INSERT_AUDIO: &str = "INSERT INTO audio (call_id, file_name, content, url, \
     attached_at) VALUES (?1, ?2, ?3, ?4, ?5)";
pub(crate) const SELECT_AUDIO: &str =
    "SELECT id, call_id, file_name, content, url, attached_at FROM audio WHERE id = ?1";
pub(crate) const DELETE_AUDIO: &str = "DELETE FROM audio WHERE id = ?1";
pub(crate) const INSERT_UPLOAD: &str = "INSERT INTO upload (token, call_id, file_name, \
     created_at) VALUES (?1, ?2, ?3, ?4)";
pub(crate) const TAKE_UPLOAD: &str =
    "DELETE FROM upload WHERE token = ?1 RETURNING token, call_id, file_name, created_at";
pub(crate) const INSERT_RECORD_DOWNLOAD: &str =
    "INSERT OR REPLACE INTO record_download (call_id, url, due) VALUES (?1, ?2, ?3)";
pub(crate) const DUE_RECORD_DOWNLOADS: &str = "SELECT call_id, url, due FROM record_download \
     WHERE due <= ?1 ORDER BY due, call_id LIMIT ?2";
pub(crate) const TAKE_RECORD_DOWNLOAD: &str =
    "DELETE FROM record_download WHERE call_id = ?1 RETURNING call_id, url, due";
pub(crate) const INSERT_TRANSCRIPT: &str = "INSERT INTO transcript (call_id, cost, \
     cost_currency, created_at) VALUES (?1, ?2, ?3, ?4)";
pub(crate) const SELECT_TRANSCRIPT: &str =
    "SELECT id, call_id, cost, cost_currency, created_at FROM transcript WHERE id = ?1";
pub(crate) const INSERT_TRANSCRIPT_MESSAGE: &str = "INSERT INTO transcript_message \
     (transcript_id, position, side, start_time, stop_time, message) \
     VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
pub(crate) const SELECT_TRANSCRIPT_MESSAGES: &str = "SELECT side, start_time, stop_time, \
     message FROM transcript_message WHERE transcript_id = ?1 ORDER BY position";

// ---- outbox -----------------------------------------------------------------------------------

/// The id the next event gets: one more than any id in the outbox (in `event`,
/// `event_claimed` and the live calls' rows) and than any id ever deleted from it. Each a
/// probe of the end of a rowid tree or of `meta`'s key, but for the live calls (a scan of
/// the calls in progress); the writer's session keeps the result.
pub(crate) const NEXT_EVENT_ID: &str = "SELECT max(coalesce((SELECT max(id) FROM event), 0), \
     coalesce((SELECT max(id) FROM event_claimed), 0), \
     coalesce((SELECT max(events_to) FROM active_call), 0), \
     coalesce((SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'event_id_high_water'), 0)) \
     + 1";
/// Inserts `count` events (1 to [`MAX_EVENTS_AT_ONCE`]) with the ids given: `?4k+1` to
/// `?4k+4` are the `k`-th event's id, name, data and time (from 0).
pub(crate) fn insert_events(count: usize) -> &'static str {
    static STATEMENTS: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    let statements = STATEMENTS.get_or_init(|| {
        (0..=MAX_EVENTS_AT_ONCE)
            .map(|n| {
                let rows: Vec<String> = (0..n)
                    .map(|k| {
                        let first = 4 * k + 1;
                        format!("(?{first}, ?{}, ?{}, ?{})", first + 1, first + 2, first + 3)
                    })
                    .collect();
                format!("INSERT INTO event (id, name, data, created_at) VALUES {}", rows.join(", "))
            })
            .collect()
    });
    statements.get(count).map_or("", String::as_str)
}
/// The most events [`insert_events`] writes in one statement.
pub(crate) const MAX_EVENTS_AT_ONCE: usize = 4;
/// Pending events of `event`, which holds nothing else, oldest first (the live calls' rows
/// hold the others: [`LIVE_CALL_EVENTS`]).
pub(crate) const PENDING_EVENTS: &str =
    "SELECT id, name, data, created_at, NULL FROM event ORDER BY id LIMIT ?1";
/// Every event of `event` and `event_claimed`, pending or claimed (with its reader), oldest
/// first.
pub(crate) const OUTBOX_EVENTS: &str = "SELECT id, name, data, created_at, NULL FROM event \
     UNION ALL SELECT id, name, data, created_at, process_id FROM event_claimed \
     ORDER BY id LIMIT ?1";
/// Moves a pending event to the claimed ones.
pub(crate) const CLAIM_PENDING_EVENT: &str = "INSERT INTO event_claimed \
     (id, name, data, created_at, process_id) \
     SELECT id, name, data, created_at, ?2 FROM event WHERE id = ?1";
pub(crate) const DELETE_PENDING_EVENT: &str = "DELETE FROM event WHERE id = ?1";
/// Hands an already claimed event to another reader.
pub(crate) const RECLAIM_EVENT: &str = "UPDATE event_claimed SET process_id = ?2 WHERE id = ?1";
pub(crate) const CLAIMED_EVENTS: &str = "SELECT id, name, data, created_at, process_id \
     FROM event_claimed WHERE process_id = ?1 ORDER BY id";
pub(crate) const DELETE_CLAIMED_EVENT: &str = "DELETE FROM event_claimed WHERE id = ?1";
/// Raises `meta.event_id_high_water` to `?1` (an id just deleted).
pub(crate) const RAISE_EVENT_HIGH_WATER: &str = "INSERT INTO meta (key, value) \
     VALUES ('event_id_high_water', CAST(?1 AS TEXT)) ON CONFLICT (key) DO UPDATE \
     SET value = CAST(max(CAST(value AS INTEGER), ?1) AS TEXT)";

/// Every statement above (the ones [`insert_events`] builds aside), prepared when a store is
/// warmed up so that no command is the first to pay for preparing one (a test checks that
/// none is missing).
pub(crate) const ALL: &[&str] = &[
    SELECT_META,
    UPSERT_META,
    INSERT_USER,
    INSERT_USER_PHONE,
    INSERT_USER_PERMISSION,
    SELECT_USER,
    SELECT_USER_PHONES,
    SELECT_USER_PERMISSIONS,
    LIST_USERS,
    FIND_USERS_BY_INNER_PHONE,
    FIND_USERS_BY_PHONE_KEY,
    FIND_USERS_BY_TELEPHONY_CODE,
    INSERT_CONTACT,
    INSERT_COMPANY,
    INSERT_LEAD,
    INSERT_DEAL,
    INSERT_CRM_PHONE,
    SELECT_CONTACT,
    SELECT_COMPANY,
    SELECT_LEAD,
    SELECT_DEAL,
    SELECT_CRM_PHONES,
    FIND_ENTITIES_BY_PHONE_KEY,
    FIND_ENTITIES_BY_NATIONAL_SUFFIX,
    FIND_PHONES_BY_BITRIX_CODE,
    DEALS_OF_CONTACT,
    DEALS_OF_COMPANY,
    LIST_CONTACTS,
    LIST_COMPANIES,
    LIST_LEADS,
    LIST_DEALS,
    SET_CONTACT_RESPONSIBLE,
    SET_COMPANY_RESPONSIBLE,
    SET_LEAD_RESPONSIBLE,
    SET_DEAL_RESPONSIBLE,
    UPSERT_SOURCE,
    SOURCE_EXISTS,
    LIST_SOURCES,
    INSERT_EXCLUSION,
    IS_EXCLUDED,
    NO_EXCLUSIONS,
    INSERT_LINE,
    FIND_LINE,
    FIND_LINES_BY_KEY,
    UPDATE_LINE,
    DELETE_LINE,
    LIST_LINES,
    INSERT_ACTIVE_CALL,
    NEXT_CALLER_SEQ,
    LIVE_CALL_KEYS,
    SELECT_ACTIVE_CALL,
    FIND_ACTIVE_CALL,
    FIND_ACTIVE_CALL_BY_EXTERNAL_ID,
    FIND_ACTIVE_CALLS_BY_CALLER,
    LIST_ACTIVE_CALLS,
    DELETE_ACTIVE_CALL,
    DELETE_ACTIVE_CALL_BY_CALL_ID,
    LIVE_CALL_EVENTS,
    CLEAR_LIVE_CALL_EVENTS,
    INSERT_CALL_RECORD,
    SELECT_CALL_RECORD,
    UPDATE_CALL_RECORD,
    LIST_CALL_RECORDS,
    CALL_RECORDS_PAGE,
    COUNT_CALL_RECORDS,
    LATEST_CALL_RECORDS,
    INSERT_ACTIVITY,
    UPDATE_ACTIVITY,
    SELECT_ACTIVITY,
    LIST_ACTIVITIES,
    ACTIVITIES_PAGE,
    COUNT_ACTIVITIES,
    INSERT_ACTIVITY_BINDING,
    DELETE_ACTIVITY_BINDINGS,
    SELECT_ACTIVITY_BINDINGS,
    INSERT_MISSED_CALL,
    OPEN_MISSED_CALLS,
    MARK_CALLED_BACK,
    LIST_MISSED_CALLS,
    INSERT_AUDIO,
    SELECT_AUDIO,
    DELETE_AUDIO,
    INSERT_UPLOAD,
    TAKE_UPLOAD,
    INSERT_RECORD_DOWNLOAD,
    DUE_RECORD_DOWNLOADS,
    TAKE_RECORD_DOWNLOAD,
    INSERT_TRANSCRIPT,
    SELECT_TRANSCRIPT,
    INSERT_TRANSCRIPT_MESSAGE,
    SELECT_TRANSCRIPT_MESSAGES,
    NEXT_EVENT_ID,
    PENDING_EVENTS,
    OUTBOX_EVENTS,
    CLAIM_PENDING_EVENT,
    DELETE_PENDING_EVENT,
    RECLAIM_EVENT,
    CLAIMED_EVENTS,
    DELETE_CLAIMED_EVENT,
    RAISE_EVENT_HIGH_WATER,
];

/// Where the next rows go in the tables whose new rows go at the end: the id counters, and
/// each table's last page (its largest key, found by one descent of its B-tree); phones go
/// with their record, at the end of the record type's range. Read back after a rolled-back
/// write transaction, whose written pages SQLite has dropped from its cache. (Index entries
/// go wherever their key sorts: those pages cannot be told in advance.)
pub(crate) const APPEND_POINTS: &[&str] = &[
    "SELECT seq FROM sqlite_sequence",
    "SELECT max(id) FROM lead",
    "SELECT max(id) FROM contact",
    "SELECT max(id) FROM company",
    "SELECT max(id) FROM deal",
    "SELECT max(entity_id) FROM crm_phone WHERE entity_type = 1",
    "SELECT max(entity_id) FROM crm_phone WHERE entity_type = 3",
    "SELECT max(entity_id) FROM crm_phone WHERE entity_type = 4",
    "SELECT max(id) FROM event",
    "SELECT max(id) FROM active_call",
    "SELECT max(id) FROM call_record",
    "SELECT max(id) FROM activity",
];

/// Every statement that looks a record up by a key: each must be answered from an index
/// (checked by a test with `EXPLAIN QUERY PLAN`). The `LIST_*` statements (except
/// [`LIST_LINES`]) read whole tables on purpose and are not here, nor are [`PENDING_EVENTS`]
/// and [`OUTBOX_EVENTS`], walks of the events' tables that stop at their limit, nor are the
/// scans of the live calls: the statements that a writer answers from
/// [`crate::live::LiveCalls`] (`LIVE_CALL_KEYS`, `NEXT_CALLER_SEQ`, `FIND_ACTIVE_CALL`,
/// `FIND_ACTIVE_CALL_BY_EXTERNAL_ID`, `FIND_ACTIVE_CALLS_BY_CALLER`,
/// `DELETE_ACTIVE_CALL_BY_CALL_ID`), [`LIVE_CALL_EVENTS`] and [`NEXT_EVENT_ID`] (which the
/// writer's session keeps).
#[cfg(test)]
pub(crate) const LOOKUPS: &[&str] = &[
    SELECT_META,
    SELECT_USER,
    SELECT_USER_PHONES,
    SELECT_USER_PERMISSIONS,
    FIND_USERS_BY_INNER_PHONE,
    FIND_USERS_BY_PHONE_KEY,
    FIND_USERS_BY_TELEPHONY_CODE,
    SELECT_CONTACT,
    SELECT_COMPANY,
    SELECT_LEAD,
    SELECT_DEAL,
    SELECT_CRM_PHONES,
    FIND_ENTITIES_BY_PHONE_KEY,
    FIND_ENTITIES_BY_NATIONAL_SUFFIX,
    FIND_PHONES_BY_BITRIX_CODE,
    DEALS_OF_CONTACT,
    DEALS_OF_COMPANY,
    SOURCE_EXISTS,
    IS_EXCLUDED,
    FIND_LINE,
    FIND_LINES_BY_KEY,
    SELECT_ACTIVE_CALL,
    SET_CONTACT_RESPONSIBLE,
    SET_COMPANY_RESPONSIBLE,
    SET_LEAD_RESPONSIBLE,
    SET_DEAL_RESPONSIBLE,
    UPDATE_LINE,
    DELETE_LINE,
    LIST_LINES,
    DELETE_ACTIVE_CALL,
    SELECT_CALL_RECORD,
    UPDATE_CALL_RECORD,
    SELECT_ACTIVITY,
    UPDATE_ACTIVITY,
    SELECT_ACTIVITY_BINDINGS,
    DELETE_ACTIVITY_BINDINGS,
    OPEN_MISSED_CALLS,
    MARK_CALLED_BACK,
    SELECT_AUDIO,
    DELETE_AUDIO,
    TAKE_UPLOAD,
    SELECT_TRANSCRIPT,
    SELECT_TRANSCRIPT_MESSAGES,
    CLEAR_LIVE_CALL_EVENTS,
    CLAIM_PENDING_EVENT,
    DELETE_PENDING_EVENT,
    RECLAIM_EVENT,
    CLAIMED_EVENTS,
    DELETE_CLAIMED_EVENT,
    RAISE_EVENT_HIGH_WATER,
    UPSERT_META,
    UPSERT_SOURCE,
    INSERT_EXCLUSION,
];
