//! Reading records out of result rows. Each reader expects the column order of the
//! statements named in its doc (see `statements.rs`).

use crate::codec::{
    app_from_key, call_type_from_sql, direction_from_sql, entities_from_sql, entity_from_sql,
    id_from_sql, optional_entity_from_sql, optional_id_from_sql, optional_key_from_sql,
    result_mark_from_sql, timestamp_from_sql, user_from_sql,
};
use crate::error::{Result, SqliteError};
use callreg_core::model::{
    ActiveCall, Activity, CallAudio, CallRecord, Company, Contact, Deal, EventData, Lead, Line,
    MissedCall, OutboxEvent, PendingUpload, Phone, RecordDownload, Transcript, TranscriptMessage,
    User,
};
use callreg_core::types::{CallId, EntityRef, UserId};
use chrono::{DateTime, Utc};
use rusqlite::Row;
use rusqlite::types::Type;
use std::collections::BTreeSet;

/// A decoding failure inside a row closure, carried out as rusqlite's conversion error (and
/// mapped to [`StoreError::Corrupt`](callreg_core::store::StoreError::Corrupt)).
pub(crate) fn column<T>(index: usize, decoded: Result<T>) -> rusqlite::Result<T> {
    decoded.map_err(|e| rusqlite::Error::FromSqlConversionFailure(index, Type::Text, Box::new(e)))
}

fn timestamp(row: &Row<'_>, index: usize) -> rusqlite::Result<DateTime<Utc>> {
    column(index, timestamp_from_sql(&row.get::<_, String>(index)?))
}

fn id(row: &Row<'_>, index: usize, what: &'static str) -> rusqlite::Result<u64> {
    column(index, id_from_sql(what, row.get(index)?))
}

fn optional_id(row: &Row<'_>, index: usize, what: &'static str) -> rusqlite::Result<Option<u64>> {
    column(index, optional_id_from_sql(what, row.get(index)?))
}

fn user(row: &Row<'_>, index: usize) -> rusqlite::Result<UserId> {
    column(index, user_from_sql(row.get(index)?))
}

/// An id alone (first column).
pub(crate) fn id_only(row: &Row<'_>, what: &'static str) -> rusqlite::Result<u64> {
    id(row, 0, what)
}

/// An entity reference from columns `(type, id)` at `index`.
pub(crate) fn entity(row: &Row<'_>, index: usize) -> rusqlite::Result<EntityRef> {
    column(index, entity_from_sql(row.get(index)?, row.get(index + 1)?))
}

/// `value, value_type, key` of a user's or CRM record's phone.
pub(crate) fn phone(row: &Row<'_>) -> rusqlite::Result<Phone> {
    Ok(Phone {
        value: row.get(0)?,
        value_type: row.get(1)?,
        key: column(2, optional_key_from_sql(row.get(2)?))?,
    })
}

/// `SELECT_USER`; the phones and permissions are read separately.
pub(crate) fn user_row(row: &Row<'_>) -> rusqlite::Result<User> {
    Ok(User {
        id: user(row, 0)?,
        active: row.get(1)?,
        email: row.get(2)?,
        name: row.get(3)?,
        last_name: row.get(4)?,
        inner_phone: row.get(5)?,
        phones: Vec::new(),
        admin: row.get(6)?,
        permissions: BTreeSet::new(),
    })
}

/// `SELECT_CONTACT`; the phones are read separately.
pub(crate) fn contact(row: &Row<'_>) -> rusqlite::Result<Contact> {
    Ok(Contact {
        id: id(row, 0, "contact id")?,
        name: row.get(1)?,
        last_name: row.get(2)?,
        company_id: optional_id(row, 3, "company id")?,
        assigned_by: user(row, 4)?,
        phones: Vec::new(),
        created: timestamp(row, 5)?,
        modified: timestamp(row, 6)?,
    })
}

/// `SELECT_COMPANY`; the phones are read separately.
pub(crate) fn company(row: &Row<'_>) -> rusqlite::Result<Company> {
    Ok(Company {
        id: id(row, 0, "company id")?,
        title: row.get(1)?,
        assigned_by: user(row, 2)?,
        phones: Vec::new(),
        created: timestamp(row, 3)?,
        modified: timestamp(row, 4)?,
    })
}

/// `SELECT_LEAD`; the phones are read separately.
pub(crate) fn lead(row: &Row<'_>) -> rusqlite::Result<Lead> {
    Ok(Lead {
        id: id(row, 0, "lead id")?,
        title: row.get(1)?,
        name: row.get(2)?,
        status_id: row.get(3)?,
        source_id: row.get(4)?,
        source_description: row.get(5)?,
        assigned_by: user(row, 6)?,
        phones: Vec::new(),
        created: timestamp(row, 7)?,
        modified: timestamp(row, 8)?,
    })
}

/// `SELECT_DEAL` and `DEALS_OF_*`.
pub(crate) fn deal(row: &Row<'_>) -> rusqlite::Result<Deal> {
    Ok(Deal {
        id: id(row, 0, "deal id")?,
        title: row.get(1)?,
        contact_id: optional_id(row, 2, "contact id")?,
        company_id: optional_id(row, 3, "company id")?,
        stage_id: row.get(4)?,
        assigned_by: user(row, 5)?,
        created: timestamp(row, 6)?,
        modified: timestamp(row, 7)?,
    })
}

/// `FIND_LINE`, `FIND_LINES_BY_KEY`, `LIST_LINES`.
pub(crate) fn line(row: &Row<'_>) -> rusqlite::Result<Line> {
    Ok(Line {
        id: id(row, 0, "line id")?,
        app_id: column(1, app_from_key(&row.get::<_, String>(1)?))?,
        number: row.get(2)?,
        name: row.get(3)?,
        crm_auto_create: row.get(4)?,
        key: column(5, optional_key_from_sql(row.get(5)?))?,
    })
}

/// `active_call_columns!`.
pub(crate) fn active_call(row: &Row<'_>) -> rusqlite::Result<ActiveCall> {
    Ok(ActiveCall {
        call_id: CallId::new(row.get::<_, String>(0)?),
        app_id: column(1, app_from_key(&row.get::<_, String>(1)?))?,
        user_id: user(row, 2)?,
        caller_id: row.get(3)?,
        caller_key: row.get(4)?,
        call_type: column(5, call_type_from_sql(row.get(5)?))?,
        start_date: timestamp(row, 6)?,
        registered_at: timestamp(row, 7)?,
        portal_user_id: optional_id(row, 8, "user id")?.map(UserId),
        line_id: optional_id(row, 9, "line id")?,
        portal_number: row.get(10)?,
        external_call_id: row.get(11)?,
        entities: column(13, entities_from_sql(&row.get::<_, String>(13)?))?,
        created_lead: optional_id(row, 12, "lead id")?,
    })
}

/// `call_record_columns!`.
pub(crate) fn call_record(row: &Row<'_>) -> rusqlite::Result<CallRecord> {
    let call_status: i64 = row.get(10)?;
    let call_status =
        u8::try_from(call_status).map_err(|_| SqliteError::decode("call status", call_status));
    Ok(CallRecord {
        id: id(row, 0, "call record id")?,
        call_id: CallId::new(row.get::<_, String>(1)?),
        external_call_id: row.get(2)?,
        portal_user_id: user(row, 3)?,
        phone_number: row.get(4)?,
        caller_key: row.get(5)?,
        portal_number: row.get(6)?,
        call_type: column(7, call_type_from_sql(row.get(7)?))?,
        duration: row.get(8)?,
        start_date: timestamp(row, 9)?,
        call_status: column(10, call_status)?,
        vote: row.get(11)?,
        cost: row.get(12)?,
        cost_currency: row.get(13)?,
        failed_code: row.get(14)?,
        failed_reason: row.get(15)?,
        app_id: column(16, app_from_key(&row.get::<_, String>(16)?))?,
        activity_id: optional_id(row, 17, "activity id")?,
        record_url: row.get(18)?,
        primary: column(19, optional_entity_from_sql(row.get(19)?, row.get(20)?))?,
        record_id: optional_id(row, 21, "audio id")?,
        transcript_id: optional_id(row, 22, "transcript id")?,
        finished_at: timestamp(row, 23)?,
    })
}

/// `activity_columns!`; the bindings are read separately.
pub(crate) fn activity(row: &Row<'_>) -> rusqlite::Result<Activity> {
    Ok(Activity {
        id: id(row, 0, "activity id")?,
        subject: row.get(1)?,
        direction: column(2, direction_from_sql(row.get(2)?))?,
        start_time: timestamp(row, 3)?,
        end_time: timestamp(row, 4)?,
        responsible_id: user(row, 5)?,
        author_id: user(row, 6)?,
        origin_id: row.get(7)?,
        phone: row.get(8)?,
        communication_entity: column(9, optional_entity_from_sql(row.get(9)?, row.get(10)?))?,
        completed: row.get(11)?,
        missed: row.get(12)?,
        result_mark: column(13, result_mark_from_sql(&row.get::<_, String>(13)?))?,
        description: row.get(14)?,
        bindings: Vec::new(),
        record_id: optional_id(row, 15, "audio id")?,
        created: timestamp(row, 16)?,
    })
}

/// `OPEN_MISSED_CALLS`, `LIST_MISSED_CALLS`.
pub(crate) fn missed_call(row: &Row<'_>) -> rusqlite::Result<MissedCall> {
    Ok(MissedCall {
        id: id(row, 0, "missed call id")?,
        record_id: id(row, 1, "call record id")?,
        caller_key: row.get(2)?,
        user_id: user(row, 3)?,
        at: timestamp(row, 4)?,
        called_back_by: optional_id(row, 5, "call record id")?,
    })
}

/// `SELECT_AUDIO`.
pub(crate) fn audio(row: &Row<'_>) -> rusqlite::Result<CallAudio> {
    Ok(CallAudio {
        id: id(row, 0, "audio id")?,
        call_id: CallId::new(row.get::<_, String>(1)?),
        file_name: row.get(2)?,
        content: row.get(3)?,
        url: row.get(4)?,
        attached_at: timestamp(row, 5)?,
    })
}

/// `TAKE_UPLOAD`.
pub(crate) fn upload(row: &Row<'_>) -> rusqlite::Result<PendingUpload> {
    Ok(PendingUpload {
        token: row.get(0)?,
        call_id: CallId::new(row.get::<_, String>(1)?),
        file_name: row.get(2)?,
        created_at: timestamp(row, 3)?,
    })
}

/// `DUE_RECORD_DOWNLOADS`, `TAKE_RECORD_DOWNLOAD`.
pub(crate) fn record_download(row: &Row<'_>) -> rusqlite::Result<RecordDownload> {
    Ok(RecordDownload {
        call_id: CallId::new(row.get::<_, String>(0)?),
        url: row.get(1)?,
        due: timestamp(row, 2)?,
    })
}

/// `SELECT_TRANSCRIPT`; the messages are read separately.
pub(crate) fn transcript(row: &Row<'_>) -> rusqlite::Result<Transcript> {
    Ok(Transcript {
        id: id(row, 0, "transcript id")?,
        call_id: CallId::new(row.get::<_, String>(1)?),
        messages: Vec::new(),
        cost: row.get(2)?,
        cost_currency: row.get(3)?,
        created_at: timestamp(row, 4)?,
    })
}

/// `SELECT_TRANSCRIPT_MESSAGES`.
pub(crate) fn transcript_message(row: &Row<'_>) -> rusqlite::Result<TranscriptMessage> {
    Ok(TranscriptMessage {
        side: row.get(0)?,
        start_time: row.get(1)?,
        stop_time: row.get(2)?,
        message: row.get(3)?,
    })
}

/// `PENDING_EVENTS`, `OUTBOX_EVENTS`, `CLAIMED_EVENTS`.
pub(crate) fn event(row: &Row<'_>) -> rusqlite::Result<OutboxEvent> {
    let data: String = row.get(2)?;
    let data = serde_json::from_str::<EventData>(&data)
        .map_err(|_| SqliteError::decode("event data", &data));
    Ok(OutboxEvent {
        id: id(row, 0, "event id")?,
        name: row.get(1)?,
        data: column(2, data)?,
        created_at: timestamp(row, 3)?,
        process_id: row.get(4)?,
    })
}
