//! The storage seam. A [`CrmStore`] hands out transactions; the engine runs every command
//! inside exactly one [`StoreTx`] and commits it only when the whole command succeeded, so an
//! adapter never decides anything: it stores, fetches and keeps its indexes.
//!
//! ## What every adapter guarantees
//! - **Isolation**: write transactions are serializable. While one is open, no other write
//!   transaction of the same store (in any thread, or any process sharing the same file)
//!   observes or interleaves with it. This is what makes "one lead per number" and "one call
//!   per `EXTERNAL_CALL_ID`" race-free: the engine reads and then writes in one transaction.
//! - **Atomicity**: a transaction's writes become visible together at [`StoreTx::commit`];
//!   dropping the transaction without committing discards all of them.
//! - **Lookups are index probes**: every `find_*` method is answered from an index on its key,
//!   never by scanning the records.
//! - **Not found is not an error**: lookups return `None` or an empty `Vec`.

use crate::auth::AppId;
use crate::model::{
    ActiveCall, Activity, CallAudio, CallRecord, Company, Contact, Deal, EventData, EventJson,
    Lead, Line, MissedCall, OutboxEvent, PendingUpload, RecordDownload, Source, Transcript, User,
};
use crate::phone::PhoneKey;
use crate::types::{CallId, EntityRef, EntityRefs, UserId};
use chrono::{DateTime, Utc};

/// A storage failure, by what a caller can do about it. Adapters keep their own error types
/// and map them here, with the original error as the source.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// Another writer held the store for longer than the adapter waits. Retry later.
    #[error("the store is busy: {0}")]
    Busy(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// The stored data is damaged. Do not retry; restore from a backup.
    #[error("the store is corrupt: {0}")]
    Corrupt(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// No space left to write. Free space, then retry.
    #[error("the store is full: {0}")]
    Full(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// Reading or writing the medium failed.
    #[error("store I/O failed: {0}")]
    Io(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// A uniqueness or reference constraint was violated: the engine tried to store something
    /// inconsistent. This is a bug in the caller, not in the data.
    #[error("store constraint violated: {0}")]
    Constraint(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// The store was written by a newer version of callreg and is not touched.
    #[error("the store was written by a newer version (schema {found}, this build knows {known})")]
    NewerSchema {
        /// Schema version found in the store.
        found: i64,
        /// The newest version this build knows.
        known: i64,
    },
    /// Any other failure of the adapter.
    #[error("store failure: {0}")]
    Other(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl StoreError {
    /// A failure described only by a message.
    pub fn other(message: impl Into<String>) -> Self {
        StoreError::Other(message.into().into())
    }
}

/// Result of store operations.
pub type StoreResult<T> = Result<T, StoreError>;

/// One page of a listing: the rows from an offset, and how many rows the whole listing has.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    /// The rows of the page, in the listing's order.
    pub items: Vec<T>,
    /// How many rows pass the listing's filter, on every page.
    pub total: usize,
}

impl<T> Page<T> {
    /// The page of `rows` (the whole listing, in order) from `start`, at most `limit` rows.
    pub fn of(rows: Vec<T>, start: usize, limit: usize) -> Self {
        Self::from_rows(rows, start, limit, |row| row)
    }

    /// The page of `rows` (the whole listing, in order) from `start`, at most `limit` rows,
    /// each made by `make`: the rows outside the page are only counted.
    pub fn from_rows<R>(
        rows: impl IntoIterator<Item = R>,
        start: usize,
        limit: usize,
        mut make: impl FnMut(R) -> T,
    ) -> Self {
        let mut items = Vec::new();
        let mut total = 0;
        for row in rows {
            if total >= start && items.len() < limit {
                items.push(make(row));
            }
            total += 1;
        }
        Page { items, total }
    }
}

/// Which statistics rows a listing keeps (`voximplant.statistic.get`'s `FILTER`); every
/// condition given must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CallRecordFilter {
    /// The row of this `CALL_ID`.
    pub call_id: Option<CallId>,
    /// Rows whose `PHONE_NUMBER` is this text, or whose caller key is
    /// [`phone_key`](Self::phone_key) when that is given.
    pub phone_number: Option<String>,
    /// The storage form of the filtering number's key ([`PhoneKey::to_storage`]); only
    /// read with [`phone_number`](Self::phone_number).
    pub phone_key: Option<String>,
    /// Rows of this `PORTAL_USER_ID`.
    pub portal_user_id: Option<UserId>,
}

impl CallRecordFilter {
    /// Whether `record` passes the filter.
    pub fn matches(&self, record: &CallRecord) -> bool {
        self.call_id.as_ref().is_none_or(|id| &record.call_id == id)
            && self.phone_number.as_ref().is_none_or(|number| {
                &record.phone_number == number
                    || self.phone_key.as_ref().is_some_and(|key| &record.caller_key == key)
            })
            && self.portal_user_id.is_none_or(|user| record.portal_user_id == user)
    }
}

/// Which activities a listing keeps (`crm.activity.list`'s `filter`); every condition given
/// must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ActivityFilter {
    /// Activities bound to a record of this type (and of [`owner_id`](Self::owner_id), when
    /// that is given too: both on one binding).
    pub owner_type: Option<crate::types::EntityType>,
    /// Activities bound to a record of this id.
    pub owner_id: Option<u64>,
    /// Activities of this `ORIGIN_ID`.
    pub origin_id: Option<String>,
}

impl ActivityFilter {
    /// Whether `activity` passes the filter.
    pub fn matches(&self, activity: &Activity) -> bool {
        let owner = |binding: &EntityRef| {
            self.owner_type.is_none_or(|kind| binding.kind == kind)
                && self.owner_id.is_none_or(|id| binding.id == id)
        };
        let by_owner = (self.owner_type.is_none() && self.owner_id.is_none())
            || activity.bindings.iter().any(owner);
        by_owner && self.origin_id.as_ref().is_none_or(|origin| &activity.origin_id == origin)
    }
}

/// A storage back end. Cheap to share between threads.
pub trait CrmStore: Send + Sync {
    /// Begins a serializable read-write transaction, waiting (within the adapter's busy
    /// timeout) for the current writer to finish.
    fn begin(&self) -> StoreResult<Box<dyn StoreTx + '_>>;

    /// Runs `read` in a transaction that is never committed: what it reads is one consistent
    /// state of the store, anything it writes is discarded (or refused: an adapter may answer
    /// reads from a connection that cannot write). For lookups, which take
    /// nanoseconds: an adapter may use a cheaper transaction than [`begin`](Self::begin)'s
    /// (no heap allocation, no write lock). The default is `begin`, then a rollback.
    fn read_only(
        &self,
        read: &mut dyn FnMut(&mut dyn StoreTx) -> StoreResult<()>,
    ) -> StoreResult<()> {
        let mut tx = self.begin()?;
        read(tx.as_mut())
    }

    /// Loads what the adapter keeps in memory to answer commands fast, so that the first
    /// command after opening costs what later ones do. Called by [`Engine::new`] first thing
    /// in its warm-up, before it rehearses registrations: in one transaction that it drops
    /// uncommitted, the engine stores a lead, a contact, a deal, three live calls and their
    /// events, all of which the rollback must take back (ids included: the portal's first
    /// records still get id 1). An adapter that checks the data
    /// on the way returns [`StoreError::Corrupt`] for damage it finds, and `Engine::new`
    /// fails with it; other failures are the adapter's to ignore (the commands report their
    /// own). The default does nothing.
    ///
    /// [`Engine::new`]: crate::Engine::new
    fn warm_up(&self) -> StoreResult<()> {
        Ok(())
    }
}

/// One open transaction. Dropping it without [`commit`](StoreTx::commit) rolls back.
///
/// Insert methods ignore the `id` field of the record given and return the id the store
/// assigned: the next integer after the highest ever committed for that kind of record
/// (ids start at 1; an id is never reused once committed).
pub trait StoreTx {
    /// Makes every write of the transaction durable and visible, all at once.
    fn commit(self: Box<Self>) -> StoreResult<()>;

    // ---- portal metadata -------------------------------------------------------------

    /// A value of the portal's key/value metadata, `None` if never set.
    fn meta(&mut self, key: &str) -> StoreResult<Option<String>>;
    /// Sets a metadata value.
    fn set_meta(&mut self, key: &str, value: &str) -> StoreResult<()>;

    // ---- users -----------------------------------------------------------------------

    /// Stores a new user. A zero `user.id` gets the next id; a non-zero one is kept (a new
    /// portal's administrator is user 1), and is a `Constraint` error when already taken.
    fn insert_user(&mut self, user: &User) -> StoreResult<UserId>;
    /// The user with this id.
    fn user(&mut self, id: UserId) -> StoreResult<Option<User>>;
    /// Every user, lowest id first.
    fn list_users(&mut self) -> StoreResult<Vec<User>>;
    /// Users whose `UF_PHONE_INNER` is exactly `inner`, active or not, lowest id first.
    fn find_users_by_inner_phone(&mut self, inner: &str) -> StoreResult<Vec<UserId>>;
    /// Users with a phone (work, personal, mobile) of this key, lowest id first.
    fn find_users_by_phone_key(&mut self, key: &PhoneKey) -> StoreResult<Vec<UserId>>;
    /// Users with a phone (work, personal, mobile) whose Bitrix telephony form
    /// ([`telephony_code`](crate::matching::telephony_code) of its value) is `code`, lowest id
    /// first: Bitrix's own comparison of a caller with employees' phones. The default reads
    /// every user; the bundled stores answer from an index of the codes, computed when a user
    /// is written.
    fn find_users_by_telephony_code(&mut self, code: &str) -> StoreResult<Vec<UserId>> {
        let of_code = |user: &User| {
            user.phones
                .iter()
                .any(|phone| crate::matching::telephony_code(&phone.value).as_deref() == Some(code))
        };
        let mut found: Vec<UserId> =
            self.list_users()?.iter().filter(|user| of_code(user)).map(|user| user.id).collect();
        found.sort_unstable();
        Ok(found)
    }

    // ---- CRM records -------------------------------------------------------------------

    /// Stores a new contact and indexes its phones.
    fn insert_contact(&mut self, contact: &Contact) -> StoreResult<u64>;
    /// Stores a new company and indexes its phones.
    fn insert_company(&mut self, company: &Company) -> StoreResult<u64>;
    /// Stores a new lead and indexes its phones.
    fn insert_lead(&mut self, lead: &Lead) -> StoreResult<u64>;
    /// Stores a new deal and indexes it by its contact and company.
    fn insert_deal(&mut self, deal: &Deal) -> StoreResult<u64>;
    /// The contact with this id.
    fn contact(&mut self, id: u64) -> StoreResult<Option<Contact>>;
    /// The company with this id.
    fn company(&mut self, id: u64) -> StoreResult<Option<Company>>;
    /// The lead with this id.
    fn lead(&mut self, id: u64) -> StoreResult<Option<Lead>>;
    /// The deal with this id.
    fn deal(&mut self, id: u64) -> StoreResult<Option<Deal>>;
    /// Every contact, company and lead having a phone of this key, each once, ordered by
    /// type (contact, company, lead) then id.
    fn find_entities_by_phone_key(&mut self, key: &PhoneKey) -> StoreResult<EntityRefs>;
    /// Tier 3 of matching.md: every contact, company and lead having a phone with an E.164
    /// key whose national number ends with a suffix, the suffix given **reversed**.
    ///
    /// A phone is indexed under
    /// [`national_suffix_index_key`](crate::matching::national_suffix_index_key) of its key
    /// (its national number reversed; phones with a `Digits` key are not indexed), and matches
    /// when that text starts with `reversed_suffix`: `"7654321"` finds `+7 495 123-45-67`
    /// (`"7654321594"`) and `+49 30 1234567` (`"765432103"`).
    ///
    /// Each record once, ordered by type (contact, company, lead) then id. At most `limit`
    /// records: when more match, `limit` of them, which ones unspecified (the engine asks
    /// for one more than it accepts and treats a longer answer as ambiguous). Answered from an
    /// ordered index of the reversed national numbers, as a range of it that is left as soon
    /// as `limit` records were seen, never by scanning the phones.
    fn find_entities_by_national_suffix(
        &mut self,
        reversed_suffix: &str,
        limit: usize,
    ) -> StoreResult<Vec<EntityRef>>;
    /// The Bitrix-code tier of matching: every contact, company and lead having a phone whose
    /// [`bitrix_code`](crate::matching::bitrix_code) (of the phone's value as entered) is
    /// `code`, each once, ordered by type (contact, company, lead) then id. An empty `code`
    /// finds nothing. Answered from indexes, never by scanning the phones: the phones whose
    /// code their key does not tell are indexed under
    /// [`bitrix_code_index_key`](crate::matching::bitrix_code_index_key), kept like the
    /// index of keys (an insert that rolls back leaves nothing in it); the others are found by
    /// their key, [`bitrix_code_e164`](crate::matching::bitrix_code_e164) of `code`.
    fn find_entities_by_bitrix_code(&mut self, code: &str) -> StoreResult<Vec<EntityRef>>;
    /// The deals whose `CONTACT_ID` (for a contact) or `COMPANY_ID` (for a company) is this
    /// record, lowest id first. Empty for other types.
    fn deals_of(&mut self, owner: EntityRef) -> StoreResult<Vec<Deal>>;
    /// Every record of a type, lowest id first (for inspection and tests, not for matching).
    fn list_entities(&mut self, kind: crate::types::EntityType) -> StoreResult<Vec<u64>>;
    /// Sets the responsible user (`ASSIGNED_BY_ID`) and modify time of a record. Returns
    /// `false` when the record does not exist.
    fn set_responsible(
        &mut self,
        entity: EntityRef,
        user: UserId,
        modified: DateTime<Utc>,
    ) -> StoreResult<bool>;

    // ---- sources and the exclusion list -----------------------------------------------

    /// Stores a CRM source (replacing one with the same id).
    fn upsert_source(&mut self, source: &Source) -> StoreResult<()>;
    /// Whether a source with this `STATUS_ID` exists.
    fn source_exists(&mut self, id: &str) -> StoreResult<bool>;
    /// Every source, by sort order then id.
    fn list_sources(&mut self) -> StoreResult<Vec<Source>>;
    /// Adds a number to the exclusion list (a no-op when present).
    fn insert_exclusion(&mut self, key: &PhoneKey) -> StoreResult<()>;
    /// Whether a number is on the exclusion list.
    fn is_excluded(&mut self, key: &PhoneKey) -> StoreResult<bool>;
    /// Whether the exclusion list is empty, when the store can tell cheaply: the searches
    /// that keep a record only through a phone not on the list then skip reading the record.
    /// The default, `false`, is always right.
    fn exclusion_list_is_empty(&mut self) -> StoreResult<bool> {
        Ok(false)
    }

    // ---- external lines ---------------------------------------------------------------

    /// Stores a new line. A line with the same application and number must not exist.
    fn insert_line(&mut self, line: &Line) -> StoreResult<u64>;
    /// The application's line with exactly this number.
    fn find_line(&mut self, app: Option<&AppId>, number: &str) -> StoreResult<Option<Line>>;
    /// Every line (of any application) whose number has this key.
    fn find_lines_by_key(&mut self, key: &PhoneKey) -> StoreResult<Vec<Line>>;
    /// Replaces a line's name and auto-create flag (matched by `line.id`). Returns `false`
    /// when there is no such line.
    fn update_line(&mut self, line: &Line) -> StoreResult<bool>;
    /// Deletes a line. Returns `false` when there is no such line.
    fn delete_line(&mut self, id: u64) -> StoreResult<bool>;
    /// The application's lines, lowest id first.
    fn list_lines(&mut self, app: Option<&AppId>) -> StoreResult<Vec<Line>>;

    // ---- active calls -------------------------------------------------------------------

    /// Stores a new active call. Its `CALL_ID` must be new and, when it has an
    /// `EXTERNAL_CALL_ID`, no active call of the same application may have the same one.
    fn insert_active_call(&mut self, call: &ActiveCall) -> StoreResult<()>;
    /// Stores a new active call, as [`StoreTx::insert_active_call`], and appends its first
    /// events, as [`StoreTx::push_events`]; returns their ids in order. A store may keep the
    /// events with the call until they are claimed or deleted or the call is deleted: the
    /// outbox methods must show them as if they had been appended.
    fn insert_active_call_with_events(
        &mut self,
        call: &ActiveCall,
        events: &[(&str, &EventJson)],
        at: DateTime<Utc>,
    ) -> StoreResult<Vec<u64>> {
        self.insert_active_call(call)?;
        self.push_events(events, at)
    }
    /// The active call with this id.
    fn active_call(&mut self, call_id: &CallId) -> StoreResult<Option<ActiveCall>>;
    /// The application's active call with this `EXTERNAL_CALL_ID`.
    fn find_active_call_by_external_id(
        &mut self,
        app: Option<&AppId>,
        external_call_id: &str,
    ) -> StoreResult<Option<ActiveCall>>;
    /// The application's active calls whose `caller_key` equals this, oldest registration first.
    fn find_active_calls_by_caller(
        &mut self,
        app: Option<&AppId>,
        caller_key: &str,
    ) -> StoreResult<Vec<ActiveCall>>;
    /// Every active call, oldest registration first (for inspection and tests).
    fn list_active_calls(&mut self) -> StoreResult<Vec<ActiveCall>>;
    /// Deletes an active call (when it is finished). Returns `false` when there is none.
    fn delete_active_call(&mut self, call_id: &CallId) -> StoreResult<bool>;

    // ---- finished calls ---------------------------------------------------------------

    /// Stores a statistics row. At most one row may exist per `CALL_ID`.
    fn insert_call_record(&mut self, record: &CallRecord) -> StoreResult<u64>;
    /// The statistics row of a finished call.
    fn call_record(&mut self, call_id: &CallId) -> StoreResult<Option<CallRecord>>;
    /// Replaces a statistics row (matched by `record.id`). Returns `false` when absent.
    fn update_call_record(&mut self, record: &CallRecord) -> StoreResult<bool>;
    /// Every statistics row, lowest id first.
    fn list_call_records(&mut self) -> StoreResult<Vec<CallRecord>>;
    /// The statistics rows passing `filter`, lowest id first: the page of at most `limit`
    /// of them from offset `start`, and how many pass. An adapter hands out only the page's
    /// rows (it may scan the others to filter and count them, without building them); the
    /// default filters [`list_call_records`](Self::list_call_records).
    fn call_records_page(
        &mut self,
        filter: &CallRecordFilter,
        start: usize,
        limit: usize,
    ) -> StoreResult<Page<CallRecord>> {
        let mut rows = self.list_call_records()?;
        rows.retain(|record| filter.matches(record));
        Ok(Page::of(rows, start, limit))
    }
    /// The `limit` statistics rows of the calls that started last: latest `start_date`
    /// first, then latest `finished_at`, then ascending `CALL_ID`. An adapter builds those
    /// rows only; the default sorts [`list_call_records`](Self::list_call_records).
    fn latest_call_records(&mut self, limit: usize) -> StoreResult<Vec<CallRecord>> {
        let mut rows = self.list_call_records()?;
        rows.sort_by(latest_first);
        rows.truncate(limit);
        Ok(rows)
    }

    /// Stores a CRM activity.
    fn insert_activity(&mut self, activity: &Activity) -> StoreResult<u64>;
    /// The activity with this id.
    fn activity(&mut self, id: u64) -> StoreResult<Option<Activity>>;
    /// Replaces an activity (matched by `activity.id`). Returns `false` when absent.
    fn update_activity(&mut self, activity: &Activity) -> StoreResult<bool>;
    /// Every activity, lowest id first.
    fn list_activities(&mut self) -> StoreResult<Vec<Activity>>;
    /// The activities passing `filter`, lowest id first: the page of at most `limit` of
    /// them from offset `start`, and how many pass. An adapter hands out only the page's
    /// activities (with their bindings); the default filters
    /// [`list_activities`](Self::list_activities).
    fn activities_page(
        &mut self,
        filter: &ActivityFilter,
        start: usize,
        limit: usize,
    ) -> StoreResult<Page<Activity>> {
        let mut rows = self.list_activities()?;
        rows.retain(|activity| filter.matches(activity));
        Ok(Page::of(rows, start, limit))
    }

    /// Stores a missed call.
    fn insert_missed_call(&mut self, missed: &MissedCall) -> StoreResult<u64>;
    /// Missed calls from this caller key not yet called back, oldest first.
    fn open_missed_calls(&mut self, caller_key: &str) -> StoreResult<Vec<MissedCall>>;
    /// Marks a missed call as called back by a statistics row.
    fn mark_called_back(&mut self, missed_id: u64, by_record: u64) -> StoreResult<bool>;
    /// Every missed call, lowest id first.
    fn list_missed_calls(&mut self) -> StoreResult<Vec<MissedCall>>;

    // ---- records and transcripts ------------------------------------------------------

    /// Stores an audio record.
    fn insert_audio(&mut self, audio: &CallAudio) -> StoreResult<u64>;
    /// The audio record with this id.
    fn audio(&mut self, id: u64) -> StoreResult<Option<CallAudio>>;
    /// Deletes an audio record. Returns `false` when absent.
    fn delete_audio(&mut self, id: u64) -> StoreResult<bool>;
    /// Stores an announced upload (tokens are unique).
    fn insert_upload(&mut self, upload: &PendingUpload) -> StoreResult<()>;
    /// Removes and returns an announced upload.
    fn take_upload(&mut self, token: &str) -> StoreResult<Option<PendingUpload>>;
    /// Stores a download to retry, replacing the call's pending one if any.
    fn insert_record_download(&mut self, download: &RecordDownload) -> StoreResult<()>;
    /// Up to `limit` pending downloads due at `now` or before: the earliest due first, then by
    /// `CALL_ID`. (While the host runs the retries, the queue holds only the downloads of the
    /// last minute's finishes and of failed first attempts; an adapter may scan it.)
    fn due_record_downloads(
        &mut self,
        now: DateTime<Utc>,
        limit: usize,
    ) -> StoreResult<Vec<RecordDownload>>;
    /// Removes and returns a call's pending download.
    fn take_record_download(&mut self, call_id: &CallId) -> StoreResult<Option<RecordDownload>>;
    /// Stores a transcript.
    fn insert_transcript(&mut self, transcript: &Transcript) -> StoreResult<u64>;
    /// The transcript with this id.
    fn transcript(&mut self, id: u64) -> StoreResult<Option<Transcript>>;

    // ---- outbox -------------------------------------------------------------------------

    /// Appends an event; returns its id.
    fn push_event(&mut self, name: &str, data: &EventData, at: DateTime<Utc>) -> StoreResult<u64>;
    /// Appends events in this order, all created `at`, their data given as JSON text;
    /// returns their ids in the same order. The same as [`StoreTx::push_event`] for each
    /// (which this default does, reading the JSON back); a store may store the text as it is
    /// and write the events in one go.
    fn push_events(
        &mut self,
        events: &[(&str, &EventJson)],
        at: DateTime<Utc>,
    ) -> StoreResult<Vec<u64>> {
        events.iter().map(|(name, json)| self.push_event(name, &json.to_data(), at)).collect()
    }
    /// Up to `limit` events not claimed by any reader, oldest first.
    fn pending_events(&mut self, limit: usize) -> StoreResult<Vec<OutboxEvent>>;
    /// Up to `limit` events of the outbox, claimed or not, oldest first; a claimed one carries
    /// its reader's process id.
    fn outbox_events(&mut self, limit: usize) -> StoreResult<Vec<OutboxEvent>>;
    /// Marks events as claimed by a reader's process id.
    fn claim_events(&mut self, ids: &[u64], process_id: &str) -> StoreResult<()>;
    /// Every event claimed by this process id, oldest first.
    fn claimed_events(&mut self, process_id: &str) -> StoreResult<Vec<OutboxEvent>>;
    /// Removes the events with these ids; unknown ids are ignored. Returns how many went.
    fn delete_events(&mut self, ids: &[u64]) -> StoreResult<usize>;
}

/// The order of [`StoreTx::latest_call_records`]: latest start first, then latest finish,
/// then ascending `CALL_ID`.
pub fn latest_first(a: &CallRecord, b: &CallRecord) -> std::cmp::Ordering {
    b.start_date
        .cmp(&a.start_date)
        .then(b.finished_at.cmp(&a.finished_at))
        .then_with(|| a.call_id.cmp(&b.call_id))
}
