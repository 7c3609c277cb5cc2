//! A store that fails on purpose: every write operation (and the commit) is counted, and
//! the N-th one fails with an I/O error. Used to prove that a command which fails at any
//! point leaves the store exactly as it was.

use crate::auth::AppId;
use crate::model::{
    ActiveCall, Activity, CallAudio, CallRecord, Company, Contact, Deal, EventData, EventJson,
    Lead, Line, MissedCall, OutboxEvent, PendingUpload, RecordDownload, Source, Transcript, User,
};
use crate::phone::PhoneKey;
use crate::store::{
    ActivityFilter, CallRecordFilter, CrmStore, Page, StoreError, StoreResult, StoreTx,
};
use crate::types::{CallId, EntityRef, EntityRefs, UserId};
use chrono::{DateTime, Utc};
use std::sync::atomic::{AtomicUsize, Ordering};

/// Wraps a store; after [`fail_write`](FailingStore::fail_write)`(n)`, the n-th write from
/// then on fails.
#[derive(Debug)]
pub struct FailingStore<S> {
    inner: S,
    /// Every write operation attempted, by name (`insert_lead`, `commit`, ...), in order.
    log: std::sync::Mutex<Vec<&'static str>>,
    writes: AtomicUsize,
    fail_at: AtomicUsize,
}

impl<S: CrmStore> FailingStore<S> {
    /// A wrapper that fails nothing yet.
    pub fn new(inner: S) -> Self {
        FailingStore {
            inner,
            log: std::sync::Mutex::default(),
            writes: AtomicUsize::new(0),
            fail_at: AtomicUsize::new(usize::MAX),
        }
    }

    /// Makes the `n`-th write from now (1-based) fail.
    pub fn fail_write(&self, n: usize) {
        let done = self.writes.load(Ordering::SeqCst);
        self.fail_at.store(done + n, Ordering::SeqCst);
    }

    /// Fails nothing from now on.
    pub fn heal(&self) {
        self.fail_at.store(usize::MAX, Ordering::SeqCst);
    }

    /// Every write operation attempted so far (committed or not), by the name of its
    /// [`StoreTx`] method, in order.
    pub fn write_log(&self) -> Vec<&'static str> {
        self.log.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
    }

    /// Whether the planned failure has happened.
    pub fn failed(&self) -> bool {
        self.writes.load(Ordering::SeqCst) >= self.fail_at.load(Ordering::SeqCst)
    }
}

impl<S: CrmStore> CrmStore for FailingStore<S> {
    fn warm_up(&self) -> StoreResult<()> {
        self.inner.warm_up()
    }

    fn begin(&self) -> StoreResult<Box<dyn StoreTx + '_>> {
        Ok(Box::new(FailingTx {
            inner: self.inner.begin()?,
            log: &self.log,
            writes: &self.writes,
            fail_at: &self.fail_at,
        }))
    }
}

struct FailingTx<'a> {
    inner: Box<dyn StoreTx + 'a>,
    log: &'a std::sync::Mutex<Vec<&'static str>>,
    writes: &'a AtomicUsize,
    fail_at: &'a AtomicUsize,
}

impl FailingTx<'_> {
    fn count_write(&mut self, operation: &'static str) -> StoreResult<()> {
        self.log.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push(operation);
        let n = self.writes.fetch_add(1, Ordering::SeqCst) + 1;
        if n == self.fail_at.load(Ordering::SeqCst) {
            let error = std::io::Error::other(format!("injected failure of write {n}"));
            return Err(StoreError::Io(Box::new(error)));
        }
        Ok(())
    }
}

impl StoreTx for FailingTx<'_> {
    fn commit(mut self: Box<Self>) -> StoreResult<()> {
        self.count_write("commit")?;
        self.inner.commit()
    }

    fn meta(&mut self, key: &str) -> StoreResult<Option<String>> {
        self.inner.meta(key)
    }

    fn set_meta(&mut self, key: &str, value: &str) -> StoreResult<()> {
        self.count_write("set_meta")?;
        self.inner.set_meta(key, value)
    }

    fn insert_user(&mut self, user: &User) -> StoreResult<UserId> {
        self.count_write("insert_user")?;
        self.inner.insert_user(user)
    }

    fn user(&mut self, id: UserId) -> StoreResult<Option<User>> {
        self.inner.user(id)
    }

    fn list_users(&mut self) -> StoreResult<Vec<User>> {
        self.inner.list_users()
    }

    fn find_users_by_inner_phone(&mut self, inner: &str) -> StoreResult<Vec<UserId>> {
        self.inner.find_users_by_inner_phone(inner)
    }

    fn find_users_by_phone_key(&mut self, key: &PhoneKey) -> StoreResult<Vec<UserId>> {
        self.inner.find_users_by_phone_key(key)
    }

    fn find_users_by_telephony_code(&mut self, code: &str) -> StoreResult<Vec<UserId>> {
        self.inner.find_users_by_telephony_code(code)
    }

    fn insert_contact(&mut self, contact: &Contact) -> StoreResult<u64> {
        self.count_write("insert_contact")?;
        self.inner.insert_contact(contact)
    }

    fn insert_company(&mut self, company: &Company) -> StoreResult<u64> {
        self.count_write("insert_company")?;
        self.inner.insert_company(company)
    }

    fn insert_lead(&mut self, lead: &Lead) -> StoreResult<u64> {
        self.count_write("insert_lead")?;
        self.inner.insert_lead(lead)
    }

    fn insert_deal(&mut self, deal: &Deal) -> StoreResult<u64> {
        self.count_write("insert_deal")?;
        self.inner.insert_deal(deal)
    }

    fn contact(&mut self, id: u64) -> StoreResult<Option<Contact>> {
        self.inner.contact(id)
    }

    fn company(&mut self, id: u64) -> StoreResult<Option<Company>> {
        self.inner.company(id)
    }

    fn lead(&mut self, id: u64) -> StoreResult<Option<Lead>> {
        self.inner.lead(id)
    }

    fn deal(&mut self, id: u64) -> StoreResult<Option<Deal>> {
        self.inner.deal(id)
    }

    fn find_entities_by_phone_key(&mut self, key: &PhoneKey) -> StoreResult<EntityRefs> {
        self.inner.find_entities_by_phone_key(key)
    }

    fn find_entities_by_national_suffix(
        &mut self,
        reversed_suffix: &str,
        limit: usize,
    ) -> StoreResult<Vec<EntityRef>> {
        self.inner.find_entities_by_national_suffix(reversed_suffix, limit)
    }

    fn find_entities_by_bitrix_code(&mut self, code: &str) -> StoreResult<Vec<EntityRef>> {
        self.inner.find_entities_by_bitrix_code(code)
    }

    fn deals_of(&mut self, owner: EntityRef) -> StoreResult<Vec<Deal>> {
        self.inner.deals_of(owner)
    }

    fn list_entities(&mut self, kind: crate::types::EntityType) -> StoreResult<Vec<u64>> {
        self.inner.list_entities(kind)
    }

    fn set_responsible(
        &mut self,
        entity: EntityRef,
        user: UserId,
        modified: DateTime<Utc>,
    ) -> StoreResult<bool> {
        self.count_write("set_responsible")?;
        self.inner.set_responsible(entity, user, modified)
    }

    fn upsert_source(&mut self, source: &Source) -> StoreResult<()> {
        self.count_write("upsert_source")?;
        self.inner.upsert_source(source)
    }

    fn source_exists(&mut self, id: &str) -> StoreResult<bool> {
        self.inner.source_exists(id)
    }

    fn list_sources(&mut self) -> StoreResult<Vec<Source>> {
        self.inner.list_sources()
    }

    fn insert_exclusion(&mut self, key: &PhoneKey) -> StoreResult<()> {
        self.count_write("insert_exclusion")?;
        self.inner.insert_exclusion(key)
    }

    fn is_excluded(&mut self, key: &PhoneKey) -> StoreResult<bool> {
        self.inner.is_excluded(key)
    }

    fn insert_line(&mut self, line: &Line) -> StoreResult<u64> {
        self.count_write("insert_line")?;
        self.inner.insert_line(line)
    }

    fn find_line(&mut self, app: Option<&AppId>, number: &str) -> StoreResult<Option<Line>> {
        self.inner.find_line(app, number)
    }

    fn find_lines_by_key(&mut self, key: &PhoneKey) -> StoreResult<Vec<Line>> {
        self.inner.find_lines_by_key(key)
    }

    fn update_line(&mut self, line: &Line) -> StoreResult<bool> {
        self.count_write("update_line")?;
        self.inner.update_line(line)
    }

    fn delete_line(&mut self, id: u64) -> StoreResult<bool> {
        self.count_write("delete_line")?;
        self.inner.delete_line(id)
    }

    fn list_lines(&mut self, app: Option<&AppId>) -> StoreResult<Vec<Line>> {
        self.inner.list_lines(app)
    }

    fn insert_active_call(&mut self, call: &ActiveCall) -> StoreResult<()> {
        self.count_write("insert_active_call")?;
        self.inner.insert_active_call(call)
    }

    fn insert_active_call_with_events(
        &mut self,
        call: &ActiveCall,
        events: &[(&str, &EventJson)],
        at: DateTime<Utc>,
    ) -> StoreResult<Vec<u64>> {
        // The two writes the call and its events are, as the trait's default makes them.
        self.count_write("insert_active_call")?;
        self.count_write("push_events")?;
        self.inner.insert_active_call_with_events(call, events, at)
    }

    fn active_call(&mut self, call_id: &CallId) -> StoreResult<Option<ActiveCall>> {
        self.inner.active_call(call_id)
    }

    fn find_active_call_by_external_id(
        &mut self,
        app: Option<&AppId>,
        external_call_id: &str,
    ) -> StoreResult<Option<ActiveCall>> {
        self.inner.find_active_call_by_external_id(app, external_call_id)
    }

    fn find_active_calls_by_caller(
        &mut self,
        app: Option<&AppId>,
        caller_key: &str,
    ) -> StoreResult<Vec<ActiveCall>> {
        self.inner.find_active_calls_by_caller(app, caller_key)
    }

    fn list_active_calls(&mut self) -> StoreResult<Vec<ActiveCall>> {
        self.inner.list_active_calls()
    }

    fn delete_active_call(&mut self, call_id: &CallId) -> StoreResult<bool> {
        self.count_write("delete_active_call")?;
        self.inner.delete_active_call(call_id)
    }

    fn insert_call_record(&mut self, record: &CallRecord) -> StoreResult<u64> {
        self.count_write("insert_call_record")?;
        self.inner.insert_call_record(record)
    }

    fn call_record(&mut self, call_id: &CallId) -> StoreResult<Option<CallRecord>> {
        self.inner.call_record(call_id)
    }

    fn update_call_record(&mut self, record: &CallRecord) -> StoreResult<bool> {
        self.count_write("update_call_record")?;
        self.inner.update_call_record(record)
    }

    fn list_call_records(&mut self) -> StoreResult<Vec<CallRecord>> {
        self.inner.list_call_records()
    }

    fn call_records_page(
        &mut self,
        filter: &CallRecordFilter,
        start: usize,
        limit: usize,
    ) -> StoreResult<Page<CallRecord>> {
        self.inner.call_records_page(filter, start, limit)
    }

    fn latest_call_records(&mut self, limit: usize) -> StoreResult<Vec<CallRecord>> {
        self.inner.latest_call_records(limit)
    }

    fn insert_activity(&mut self, activity: &Activity) -> StoreResult<u64> {
        self.count_write("insert_activity")?;
        self.inner.insert_activity(activity)
    }

    fn activity(&mut self, id: u64) -> StoreResult<Option<Activity>> {
        self.inner.activity(id)
    }

    fn update_activity(&mut self, activity: &Activity) -> StoreResult<bool> {
        self.count_write("update_activity")?;
        self.inner.update_activity(activity)
    }

    fn list_activities(&mut self) -> StoreResult<Vec<Activity>> {
        self.inner.list_activities()
    }

    fn activities_page(
        &mut self,
        filter: &ActivityFilter,
        start: usize,
        limit: usize,
    ) -> StoreResult<Page<Activity>> {
        self.inner.activities_page(filter, start, limit)
    }

    fn insert_missed_call(&mut self, missed: &MissedCall) -> StoreResult<u64> {
        self.count_write("insert_missed_call")?;
        self.inner.insert_missed_call(missed)
    }

    fn open_missed_calls(&mut self, caller_key: &str) -> StoreResult<Vec<MissedCall>> {
        self.inner.open_missed_calls(caller_key)
    }

    fn mark_called_back(&mut self, missed_id: u64, by_record: u64) -> StoreResult<bool> {
        self.count_write("mark_called_back")?;
        self.inner.mark_called_back(missed_id, by_record)
    }

    fn list_missed_calls(&mut self) -> StoreResult<Vec<MissedCall>> {
        self.inner.list_missed_calls()
    }

    fn insert_audio(&mut self, audio: &CallAudio) -> StoreResult<u64> {
        self.count_write("insert_audio")?;
        self.inner.insert_audio(audio)
    }

    fn audio(&mut self, id: u64) -> StoreResult<Option<CallAudio>> {
        self.inner.audio(id)
    }

    fn delete_audio(&mut self, id: u64) -> StoreResult<bool> {
        self.count_write("delete_audio")?;
        self.inner.delete_audio(id)
    }

    fn insert_upload(&mut self, upload: &PendingUpload) -> StoreResult<()> {
        self.count_write("insert_upload")?;
        self.inner.insert_upload(upload)
    }

    fn take_upload(&mut self, token: &str) -> StoreResult<Option<PendingUpload>> {
        self.count_write("take_upload")?;
        self.inner.take_upload(token)
    }

    fn insert_record_download(&mut self, download: &RecordDownload) -> StoreResult<()> {
        self.count_write("insert_record_download")?;
        self.inner.insert_record_download(download)
    }

    fn due_record_downloads(
        &mut self,
        now: DateTime<Utc>,
        limit: usize,
    ) -> StoreResult<Vec<RecordDownload>> {
        self.inner.due_record_downloads(now, limit)
    }

    fn take_record_download(&mut self, call_id: &CallId) -> StoreResult<Option<RecordDownload>> {
        self.count_write("take_record_download")?;
        self.inner.take_record_download(call_id)
    }

    fn insert_transcript(&mut self, transcript: &Transcript) -> StoreResult<u64> {
        self.count_write("insert_transcript")?;
        self.inner.insert_transcript(transcript)
    }

    fn transcript(&mut self, id: u64) -> StoreResult<Option<Transcript>> {
        self.inner.transcript(id)
    }

    fn push_event(&mut self, name: &str, data: &EventData, at: DateTime<Utc>) -> StoreResult<u64> {
        self.count_write("push_event")?;
        self.inner.push_event(name, data, at)
    }

    fn push_events(
        &mut self,
        events: &[(&str, &EventJson)],
        at: DateTime<Utc>,
    ) -> StoreResult<Vec<u64>> {
        self.count_write("push_events")?;
        self.inner.push_events(events, at)
    }

    fn pending_events(&mut self, limit: usize) -> StoreResult<Vec<OutboxEvent>> {
        self.inner.pending_events(limit)
    }

    fn outbox_events(&mut self, limit: usize) -> StoreResult<Vec<OutboxEvent>> {
        self.inner.outbox_events(limit)
    }

    fn exclusion_list_is_empty(&mut self) -> StoreResult<bool> {
        self.inner.exclusion_list_is_empty()
    }

    fn claim_events(&mut self, ids: &[u64], process_id: &str) -> StoreResult<()> {
        self.count_write("claim_events")?;
        self.inner.claim_events(ids, process_id)
    }

    fn claimed_events(&mut self, process_id: &str) -> StoreResult<Vec<OutboxEvent>> {
        self.inner.claimed_events(process_id)
    }

    fn delete_events(&mut self, ids: &[u64]) -> StoreResult<usize> {
        self.count_write("delete_events")?;
        self.inner.delete_events(ids)
    }
}
