//! One write transaction: the locked writer connection with an open `BEGIN IMMEDIATE`.

use crate::Session;
use crate::cache::{ReadCache, remember};
use crate::codec::{
    app_key, bool_to_sql, entities_to_sql, entity_type_to_sql, events_from_sql, events_to_sql,
    id_from_sql, int_to_sql, lookup_id, optional_entity_to_sql, optional_id_to_sql,
    optional_key_to_sql, phone_key_to_sql, timestamp_from_sql, timestamp_to_sql, user_from_sql,
};
use crate::error::{Result, SqliteError};
use crate::live::{LiveCalls, LiveChange, LiveKeys, LiveUndo};
use crate::rows::{self, column};
use crate::statements as sql;
use callreg_core::auth::AppId;
use callreg_core::matching::{
    bitrix_code, bitrix_code_e164, bitrix_code_index_key, national_suffix_index_key, telephony_code,
};
use callreg_core::model::{
    ActiveCall, Activity, CallAudio, CallRecord, Company, Contact, Deal, EventData, EventJson,
    Lead, Line, MissedCall, OutboxEvent, PendingUpload, Phone, RecordDownload, Source,
    TelephonyPermission, Transcript, User,
};
use callreg_core::phone::PhoneKey;
use callreg_core::store::{ActivityFilter, CallRecordFilter, Page, StoreResult, StoreTx};
use callreg_core::types::{CallId, EntityRef, EntityRefs, EntityType, UserId};
use chrono::{DateTime, Datelike, Utc};
use rusqlite::{Connection, OptionalExtension, Params, Row, params};
use std::borrow::Cow;
use std::sync::MutexGuard;

/// An open transaction. Holds the writer connection's lock for its whole life; `COMMIT` in
/// [`StoreTx::commit`], `ROLLBACK` when dropped uncommitted.
pub(crate) struct SqliteTx<'a> {
    session: MutexGuard<'a, Session>,
    /// This transaction wrote a table the session's cache holds: it neither reads nor
    /// fills the cache any more (see [`crate::cache`]).
    bypass_cache: bool,
    /// This transaction changed what the next event id is (it queued events, or set the
    /// high-water mark of deleted ids): unless it commits, the session goes back to
    /// `next_event_id_before`.
    event_ids_changed: bool,
    /// The next event id before this transaction changed it, when known (the database's,
    /// as the transaction found it): what the session remembers after a rollback. Reading
    /// it again would be a scan of the live calls (`NEXT_EVENT_ID`).
    next_event_id_before: Option<i64>,
    /// What this transaction changed of the live calls, for their lookups in memory
    /// ([`crate::live`]): unless it commits, the changes are undone there.
    live: LiveUndo,
    /// `COMMIT` succeeded.
    committed: bool,
    /// `COMMIT` was run (whether or not it succeeded).
    commit_attempted: bool,
    /// The connection's count of rows changed when the transaction began.
    changes_at_begin: u64,
}

impl std::fmt::Debug for SqliteTx<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteTx").field("open", &!self.session.conn.is_autocommit()).finish()
    }
}

impl Drop for SqliteTx<'_> {
    fn drop(&mut self) {
        // SQLite ends a transaction itself on some failures (a full disk, an I/O error).
        let ended_by_sqlite = !self.committed && self.session.conn.is_autocommit();
        // An uncommitted transaction, or one whose COMMIT failed, is still open. Nothing can
        // be reported from here; should the ROLLBACK itself fail, the next `begin` finds the
        // transaction open and rolls it back before starting.
        if !self.session.conn.is_autocommit() {
            let _ = run(&self.session.conn, "ROLLBACK");
            if self.session.conn.total_changes() != self.changes_at_begin {
                reread_append_points(&self.session.conn);
            }
        }
        // Not committed, whether rolled back here or by SQLite itself (a full disk, an I/O
        // error): the ids its events took are free again. After a failed COMMIT what the
        // database holds is not certain: the next event reads its own id.
        if self.event_ids_changed && !self.committed {
            let before = if self.commit_attempted { None } else { self.next_event_id_before };
            self.set_next_event_id(before);
        }
        if !self.committed
            && let Some(cache) = self.session.cache.as_mut()
        {
            let changes = std::mem::take(&mut self.live);
            if changes.changed && (ended_by_sqlite || self.commit_attempted) {
                // What the database holds is not certain to be what the maps were before
                // (a failed COMMIT may have committed): they are read again when needed.
                cache.live = None;
            } else {
                changes.undo(&mut cache.live);
            }
        }
    }
}

/// After a write transaction rolled back: SQLite has dropped from its page cache every page
/// the transaction wrote, and the next write would read them again from the file. Many are
/// where the next rows go ([`sql::APPEND_POINTS`]: the last page of a table, the counter of
/// its ids), where the rolled-back rows went too: reading those back keeps them cached.
/// Failures are ignored (the next command reads what it needs anyway).
fn reread_append_points(conn: &Connection) {
    for statement in sql::APPEND_POINTS {
        if let Ok(mut select) = conn.prepare_cached(statement) {
            let _ = select.query_row([], |_| Ok(()));
        }
    }
}

/// Runs a statement without parameters or results, through the statement cache.
pub(crate) fn run(conn: &Connection, statement: &str) -> rusqlite::Result<()> {
    conn.prepare_cached(statement)?.execute([])?;
    Ok(())
}

/// The `meta` key of the largest event id ever deleted (see `statements::NEXT_EVENT_ID`).
const EVENT_ID_HIGH_WATER: &str = "event_id_high_water";

/// A row count or offset as SQL's `LIMIT` and `OFFSET` take it (counts beyond SQLite's
/// integers mean "all").
fn count_to_sql(count: usize) -> i64 {
    i64::try_from(count).unwrap_or(i64::MAX)
}

/// An optional id to filter on, as SQL takes it (NULL: no filter); `None` when SQLite's
/// integers cannot hold the id, which then matches no row.
fn id_filter_to_sql(id: Option<u64>) -> Option<Option<i64>> {
    match id {
        None => Some(None),
        Some(id) => i64::try_from(id).ok().map(Some),
    }
}

/// A `count(*)`.
fn count_from_sql(count: i64) -> usize {
    usize::try_from(count).unwrap_or(0)
}

/// A position in a list, as stored.
fn position(index: usize) -> Result<i64> {
    int_to_sql("position", index as u64)
}

impl<'a> SqliteTx<'a> {
    /// Wraps a connection on which `BEGIN IMMEDIATE` has just succeeded.
    pub(crate) fn new(session: MutexGuard<'a, Session>) -> Self {
        let changes_at_begin = session.conn.total_changes();
        SqliteTx {
            session,
            bypass_cache: false,
            event_ids_changed: false,
            next_event_id_before: None,
            live: LiveUndo::default(),
            committed: false,
            commit_attempted: false,
            changes_at_begin,
        }
    }

    /// Checks the session's cache at the start of this transaction.
    pub(crate) fn validate_cache(&mut self) -> Result<()> {
        self.session.validate_cache()
    }

    /// The session's cache, unless this transaction must not use it.
    fn cache(&mut self) -> Option<&mut ReadCache> {
        if self.bypass_cache { None } else { self.session.cache.as_mut() }
    }

    /// Before a write to users: the cache forgets them, and this transaction stops using it.
    fn users_written(&mut self) {
        if let Some(cache) = self.session.cache.as_mut() {
            cache.clear_users();
        }
        self.bypass_cache = true;
    }

    /// Before a write to the exclusion list: as [`Self::users_written`].
    fn exclusions_written(&mut self) {
        if let Some(cache) = self.session.cache.as_mut() {
            cache.clear_exclusions();
        }
        self.bypass_cache = true;
    }

    /// Remembers (or forgets) the id the next event gets.
    fn set_next_event_id(&mut self, next: Option<i64>) {
        if let Some(cache) = self.session.cache.as_mut() {
            cache.next_event_id = next;
        }
    }

    /// The id the next event gets: remembered from this connection's last event, else read.
    /// Read before this transaction changed it, it is also what a rollback goes back to.
    fn next_event_id(&mut self) -> Result<i64> {
        let next = match self.session.cache.as_ref().and_then(|cache| cache.next_event_id) {
            Some(next) => next,
            None => self.one(sql::NEXT_EVENT_ID, [], |row| row.get(0))?.unwrap_or(1),
        };
        if !self.event_ids_changed {
            self.next_event_id_before = Some(next);
        }
        Ok(next)
    }

    /// A statement of this transaction, from the statement cache. Refused once SQLite has
    /// ended the transaction itself (it rolls back the whole transaction on some failures: a
    /// full disk, an I/O error): a statement run then would be committed on its own.
    fn statement(&self, statement: &str) -> Result<rusqlite::CachedStatement<'_>> {
        if self.session.conn.is_autocommit() {
            return Err(SqliteError::TransactionEnded);
        }
        Ok(self.session.conn.prepare_cached(statement)?)
    }

    /// Runs a write; returns how many rows it changed.
    fn execute(&self, statement: &str, params: impl Params) -> Result<usize> {
        Ok(self.statement(statement)?.execute(params)?)
    }

    /// Runs an insert; returns the new row's id.
    fn insert(&self, statement: &str, params: impl Params) -> Result<i64> {
        self.execute(statement, params)?;
        Ok(self.session.conn.last_insert_rowid())
    }

    /// The row of a query that returns at most one, or `None`.
    fn one<T>(
        &self,
        statement: &str,
        params: impl Params,
        read: impl FnOnce(&Row<'_>) -> rusqlite::Result<T>,
    ) -> Result<Option<T>> {
        Ok(self.statement(statement)?.query_row(params, read).optional()?)
    }

    /// Every row of a query.
    fn all<T>(
        &self,
        statement: &str,
        params: impl Params,
        read: impl FnMut(&Row<'_>) -> rusqlite::Result<T>,
    ) -> Result<Vec<T>> {
        let mut select = self.statement(statement)?;
        let rows = select.query_map(params, read)?.collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// Whether an `EXISTS` query is true.
    fn exists(&self, statement: &str, params: impl Params) -> Result<bool> {
        Ok(self.one(statement, params, |row| row.get(0))?.unwrap_or(false))
    }

    // ---- users ------------------------------------------------------------------------

    fn insert_user(&self, user: &User) -> Result<UserId> {
        let wanted = if user.id.0 == 0 { None } else { Some(int_to_sql("user id", user.id.0)?) };
        let id = self.insert(
            sql::INSERT_USER,
            params![
                wanted,
                bool_to_sql(user.active),
                user.email,
                user.name,
                user.last_name,
                user.inner_phone,
                bool_to_sql(user.admin),
            ],
        )?;
        for (index, phone) in user.phones.iter().enumerate() {
            self.execute(
                sql::INSERT_USER_PHONE,
                params![
                    id,
                    position(index)?,
                    phone.value,
                    phone.value_type,
                    optional_key_to_sql(phone.key.as_ref())?,
                    telephony_code(&phone.value),
                ],
            )?;
        }
        for permission in &user.permissions {
            self.execute(sql::INSERT_USER_PERMISSION, params![id, permission.as_str()])?;
        }
        user_from_sql(id)
    }

    fn user(&self, id: UserId) -> Result<Option<User>> {
        let Some(id) = lookup_id(id.0) else { return Ok(None) };
        let found = self.one(sql::SELECT_USER, [id], rows::user_row)?;
        let Some(mut user) = found else { return Ok(None) };
        user.phones = self.all(sql::SELECT_USER_PHONES, [id], rows::phone)?;
        let permissions = self.all(sql::SELECT_USER_PERMISSIONS, [id], |row| {
            let name: String = row.get(0)?;
            let permission = TelephonyPermission::parse(&name)
                .ok_or_else(|| SqliteError::decode("telephony permission", &name));
            column(0, permission)
        })?;
        user.permissions = permissions.into_iter().collect();
        Ok(Some(user))
    }

    fn user_ids(&self, statement: &str, key: &str) -> Result<Vec<UserId>> {
        let ids = self.all(statement, [key], |row| rows::id_only(row, "user id"))?;
        Ok(ids.into_iter().map(UserId).collect())
    }

    // ---- CRM records --------------------------------------------------------------------

    /// Stores a CRM record's phones, in order.
    fn insert_crm_phones(&self, kind: EntityType, id: i64, phones: &[Phone]) -> Result<()> {
        for (index, phone) in phones.iter().enumerate() {
            self.execute(
                sql::INSERT_CRM_PHONE,
                params![
                    entity_type_to_sql(kind),
                    id,
                    position(index)?,
                    phone.value,
                    phone.value_type,
                    optional_key_to_sql(phone.key.as_ref())?,
                    phone.key.as_ref().and_then(national_suffix_index_key),
                    bitrix_code_index_key(&phone.value, phone.key.as_ref()),
                ],
            )?;
        }
        Ok(())
    }

    /// A CRM record's phones, in order.
    fn crm_phones(&self, kind: EntityType, id: i64) -> Result<Vec<Phone>> {
        self.all(sql::SELECT_CRM_PHONES, params![entity_type_to_sql(kind), id], rows::phone)
    }

    fn insert_contact(&self, contact: &Contact) -> Result<u64> {
        let id = self.insert(
            sql::INSERT_CONTACT,
            params![
                contact.name,
                contact.last_name,
                optional_id_to_sql("company id", contact.company_id)?,
                int_to_sql("user id", contact.assigned_by.0)?,
                timestamp_to_sql(&contact.created),
                timestamp_to_sql(&contact.modified),
            ],
        )?;
        self.insert_crm_phones(EntityType::Contact, id, &contact.phones)?;
        id_from_sql("contact id", id)
    }

    fn insert_company(&self, company: &Company) -> Result<u64> {
        let id = self.insert(
            sql::INSERT_COMPANY,
            params![
                company.title,
                int_to_sql("user id", company.assigned_by.0)?,
                timestamp_to_sql(&company.created),
                timestamp_to_sql(&company.modified),
            ],
        )?;
        self.insert_crm_phones(EntityType::Company, id, &company.phones)?;
        id_from_sql("company id", id)
    }

    fn insert_lead(&self, lead: &Lead) -> Result<u64> {
        let id = self.insert(
            sql::INSERT_LEAD,
            params![
                lead.title,
                lead.name,
                lead.status_id,
                lead.source_id,
                lead.source_description,
                int_to_sql("user id", lead.assigned_by.0)?,
                timestamp_to_sql(&lead.created),
                timestamp_to_sql(&lead.modified),
            ],
        )?;
        self.insert_crm_phones(EntityType::Lead, id, &lead.phones)?;
        id_from_sql("lead id", id)
    }

    fn insert_deal(&self, deal: &Deal) -> Result<u64> {
        let id = self.insert(
            sql::INSERT_DEAL,
            params![
                deal.title,
                optional_id_to_sql("contact id", deal.contact_id)?,
                optional_id_to_sql("company id", deal.company_id)?,
                deal.stage_id,
                int_to_sql("user id", deal.assigned_by.0)?,
                timestamp_to_sql(&deal.created),
                timestamp_to_sql(&deal.modified),
            ],
        )?;
        id_from_sql("deal id", id)
    }

    fn contact(&self, id: u64) -> Result<Option<Contact>> {
        let Some(id) = lookup_id(id) else { return Ok(None) };
        let found = self.one(sql::SELECT_CONTACT, [id], rows::contact)?;
        let Some(mut contact) = found else { return Ok(None) };
        contact.phones = self.crm_phones(EntityType::Contact, id)?;
        Ok(Some(contact))
    }

    fn company(&self, id: u64) -> Result<Option<Company>> {
        let Some(id) = lookup_id(id) else { return Ok(None) };
        let found = self.one(sql::SELECT_COMPANY, [id], rows::company)?;
        let Some(mut company) = found else { return Ok(None) };
        company.phones = self.crm_phones(EntityType::Company, id)?;
        Ok(Some(company))
    }

    fn lead(&self, id: u64) -> Result<Option<Lead>> {
        let Some(id) = lookup_id(id) else { return Ok(None) };
        let found = self.one(sql::SELECT_LEAD, [id], rows::lead)?;
        let Some(mut lead) = found else { return Ok(None) };
        lead.phones = self.crm_phones(EntityType::Lead, id)?;
        Ok(Some(lead))
    }

    fn deal(&self, id: u64) -> Result<Option<Deal>> {
        let Some(id) = lookup_id(id) else { return Ok(None) };
        self.one(sql::SELECT_DEAL, [id], rows::deal)
    }

    fn deals_of(&self, owner: EntityRef) -> Result<Vec<Deal>> {
        let statement = match owner.kind {
            EntityType::Contact => sql::DEALS_OF_CONTACT,
            EntityType::Company => sql::DEALS_OF_COMPANY,
            EntityType::Lead | EntityType::Deal => return Ok(Vec::new()),
        };
        let Some(id) = lookup_id(owner.id) else { return Ok(Vec::new()) };
        self.all(statement, [id], rows::deal)
    }

    fn list_entities(&self, kind: EntityType) -> Result<Vec<u64>> {
        let (what, statement) = match kind {
            EntityType::Contact => ("contact id", sql::LIST_CONTACTS),
            EntityType::Company => ("company id", sql::LIST_COMPANIES),
            EntityType::Lead => ("lead id", sql::LIST_LEADS),
            EntityType::Deal => ("deal id", sql::LIST_DEALS),
        };
        self.all(statement, [], |row| rows::id_only(row, what))
    }

    fn set_responsible(
        &self,
        entity: EntityRef,
        user: UserId,
        modified: DateTime<Utc>,
    ) -> Result<bool> {
        let statement = match entity.kind {
            EntityType::Contact => sql::SET_CONTACT_RESPONSIBLE,
            EntityType::Company => sql::SET_COMPANY_RESPONSIBLE,
            EntityType::Lead => sql::SET_LEAD_RESPONSIBLE,
            EntityType::Deal => sql::SET_DEAL_RESPONSIBLE,
        };
        let Some(id) = lookup_id(entity.id) else { return Ok(false) };
        let changed = self.execute(
            statement,
            params![id, int_to_sql("user id", user.0)?, timestamp_to_sql(&modified)],
        )?;
        Ok(changed > 0)
    }

    // ---- sources, exclusions, lines ------------------------------------------------------

    fn list_sources(&self) -> Result<Vec<Source>> {
        self.all(sql::LIST_SOURCES, [], |row| {
            let sort: i64 = row.get(2)?;
            let sort = u32::try_from(sort).map_err(|_| SqliteError::decode("source sort", sort));
            Ok(Source { id: row.get(0)?, name: row.get(1)?, sort: column(2, sort)? })
        })
    }

    fn insert_line(&self, line: &Line) -> Result<u64> {
        let id = self.insert(
            sql::INSERT_LINE,
            params![
                app_key(line.app_id.as_ref()),
                line.number,
                line.name,
                bool_to_sql(line.crm_auto_create),
                optional_key_to_sql(line.key.as_ref())?,
            ],
        )?;
        id_from_sql("line id", id)
    }

    fn update_line(&self, line: &Line) -> Result<bool> {
        let Some(id) = lookup_id(line.id) else { return Ok(false) };
        let changed = self
            .execute(sql::UPDATE_LINE, params![id, line.name, bool_to_sql(line.crm_auto_create)])?;
        Ok(changed > 0)
    }

    fn delete_line(&self, id: u64) -> Result<bool> {
        let Some(id) = lookup_id(id) else { return Ok(false) };
        Ok(self.execute(sql::DELETE_LINE, [id])? > 0)
    }

    // ---- active calls ---------------------------------------------------------------------

    /// Stores a live call, with the events `kept` in its row (their first and last ids, and
    /// the events as `events_to_sql` writes them).
    fn insert_active_call(
        &mut self,
        call: &ActiveCall,
        kept: Option<(i64, i64, &str)>,
    ) -> Result<()> {
        let app = app_key(call.app_id.as_ref());
        // `CALL_ID` is no key of the table (its rows are appended): the store keeps it unique.
        if self.active_call(call.call_id.as_str())?.is_some() {
            return Err(SqliteError::Duplicate(format!(
                "an active call already has CALL_ID {}",
                call.call_id.as_str()
            )));
        }
        if let Some(external) = &call.external_call_id
            && self.find_active_call_by_external_id(&app, external)?.is_some()
        {
            return Err(SqliteError::Duplicate(format!(
                "an active call already has EXTERNAL_CALL_ID {external}"
            )));
        }
        let seq = match self.live_calls()? {
            Some(live) => live.next_seq(&app, &call.caller_key),
            None => self
                .one(sql::NEXT_CALLER_SEQ, params![app, call.caller_key], |row| row.get(0))?
                .unwrap_or(1),
        };
        self.live.changed = true;
        let row = self.insert(
            sql::INSERT_ACTIVE_CALL,
            params![
                call.call_id.as_str(),
                seq,
                app,
                int_to_sql("user id", call.user_id.0)?,
                call.caller_id,
                call.caller_key,
                i64::from(call.call_type.code()),
                timestamp_to_sql(&call.start_date),
                timestamp_to_sql(&call.registered_at),
                optional_id_to_sql("user id", call.portal_user_id.map(|u| u.0))?,
                optional_id_to_sql("line id", call.line_id)?,
                call.portal_number,
                call.external_call_id,
                optional_id_to_sql("lead id", call.created_lead)?,
                entities_to_sql(&call.entities)?,
                kept.map(|(from, _, _)| from),
                kept.map(|(_, to, _)| to),
                kept.map(|(_, _, events)| events),
            ],
        )?;
        let keys = LiveKeys {
            call_id: call.call_id.as_str().to_string(),
            seq,
            app_key: app,
            caller_key: call.caller_key.clone(),
            external_call_id: call.external_call_id.clone(),
            row,
        };
        if let Some(live) = self.session.cache.as_mut().and_then(|cache| cache.live.as_mut()) {
            live.insert(keys.clone());
            self.live.applied.push(LiveChange::Inserted(keys));
        }
        Ok(())
    }

    /// Stores a live call and its first events, kept in its row when they were queued at its
    /// registration (see `migrations/0008_start_events_with_the_live_call.sql`).
    fn insert_active_call_with_events(
        &mut self,
        call: &ActiveCall,
        events: &[(&str, &EventJson)],
        at: DateTime<Utc>,
    ) -> Result<Vec<u64>> {
        if events.is_empty() || at != call.registered_at {
            self.insert_active_call(call, None)?;
            return self.push_events(events, at);
        }
        let first = self.next_event_id()?;
        self.event_ids_changed = true;
        let last = i64::try_from(events.len() - 1)
            .ok()
            .and_then(|more| first.checked_add(more))
            .ok_or_else(|| SqliteError::decode("event id", first))?;
        let text = events_to_sql(
            call.call_id.as_str(),
            events.iter().map(|(name, json)| (*name, json.as_str())),
        );
        self.insert_active_call(call, Some((first, last, &text)))?;
        self.set_next_event_id(last.checked_add(1));
        (first..=last).map(|id| id_from_sql("event id", id)).collect()
    }

    /// Deletes a live call; returns whether there was one. The events kept in its row move
    /// to `event`.
    fn delete_active_call(&mut self, call_id: &CallId) -> Result<bool> {
        // The call's bindings are in its row.
        self.live.changed = true;
        let read = |row: &Row<'_>| Ok((LiveKeys::from_row(row)?, KeptEvents::read(row, 6)?));
        let deleted = match self.live_calls()? {
            Some(live) => match live.row_of(call_id.as_str()) {
                Some(row) => {
                    self.one(sql::DELETE_ACTIVE_CALL, params![row, call_id.as_str()], read)?
                }
                None => None,
            },
            None => self.one(sql::DELETE_ACTIVE_CALL_BY_CALL_ID, [call_id.as_str()], read)?,
        };
        let Some((keys, kept)) = deleted else { return Ok(false) };
        if let Some(kept) = kept {
            self.insert_kept_events(&kept)?;
        }
        if let Some(live) = self.session.cache.as_mut().and_then(|cache| cache.live.as_mut()) {
            live.remove(&keys);
            self.live.applied.push(LiveChange::Removed(keys));
        }
        Ok(true)
    }

    /// The session's live-call lookups, read from the database if it holds none yet; `None`
    /// for a session without a cache (the read connection), which asks SQL instead.
    fn live_calls(&mut self) -> Result<Option<&mut LiveCalls>> {
        let session = &mut *self.session;
        let Some(cache) = session.cache.as_mut() else { return Ok(None) };
        if cache.live.is_none() {
            cache.live = Some(LiveCalls::load(&session.conn)?);
            // Read with this transaction's changes in them: a rollback cannot undo those.
            self.live.loaded_after_change |= self.live.changed;
        }
        Ok(cache.live.as_mut())
    }

    /// The live call with this `CALL_ID`.
    fn active_call(&mut self, call_id: &str) -> Result<Option<ActiveCall>> {
        match self.live_calls()? {
            // Read by row and `CALL_ID` together: a stale map would find nothing.
            Some(live) => match live.row_of(call_id) {
                Some(row) => {
                    self.one(sql::SELECT_ACTIVE_CALL, params![row, call_id], rows::active_call)
                }
                None => Ok(None),
            },
            None => self.one(sql::FIND_ACTIVE_CALL, [call_id], rows::active_call),
        }
    }

    /// The live call of application `app` (its key) with this `EXTERNAL_CALL_ID`.
    fn find_active_call_by_external_id(
        &mut self,
        app: &str,
        external_call_id: &str,
    ) -> Result<Option<ActiveCall>> {
        let call_id = match self.live_calls()? {
            Some(live) => match live.by_external_id(app, external_call_id) {
                Some(call_id) => call_id.to_string(),
                None => return Ok(None),
            },
            None => {
                let calls = self.active_calls(
                    sql::FIND_ACTIVE_CALL_BY_EXTERNAL_ID,
                    params![app, external_call_id],
                )?;
                return Ok(calls.into_iter().next());
            }
        };
        self.active_call(&call_id)
    }

    /// The live calls of application `app` (its key) from this caller, oldest registration
    /// first.
    fn find_active_calls_by_caller(
        &mut self,
        app: &str,
        caller_key: &str,
    ) -> Result<Vec<ActiveCall>> {
        let call_ids: Vec<String> = match self.live_calls()? {
            Some(live) => {
                live.of_caller(app, caller_key).iter().map(|(_, id)| id.clone()).collect()
            }
            None => {
                return self
                    .active_calls(sql::FIND_ACTIVE_CALLS_BY_CALLER, params![app, caller_key]);
            }
        };
        let mut calls = Vec::with_capacity(call_ids.len());
        for call_id in call_ids {
            calls.extend(self.active_call(&call_id)?);
        }
        Ok(calls)
    }

    /// Active calls of a query.
    fn active_calls(&self, statement: &str, params: impl Params) -> Result<Vec<ActiveCall>> {
        self.all(statement, params, rows::active_call)
    }

    // ---- finished calls -------------------------------------------------------------------

    /// Runs `INSERT_CALL_RECORD` or `UPDATE_CALL_RECORD`, which share their parameters.
    /// Returns how many rows changed.
    fn write_call_record(&self, statement: &str, record: &CallRecord) -> Result<usize> {
        let (primary_type, primary_id) = optional_entity_to_sql(record.primary)?;
        self.execute(
            statement,
            params![
                int_to_sql("call record id", record.id)?,
                record.call_id.as_str(),
                record.external_call_id,
                int_to_sql("user id", record.portal_user_id.0)?,
                record.phone_number,
                record.caller_key,
                record.portal_number,
                i64::from(record.call_type.code()),
                record.duration,
                timestamp_to_sql(&record.start_date),
                i64::from(record.call_status),
                record.vote,
                record.cost,
                record.cost_currency,
                record.failed_code,
                record.failed_reason,
                app_key(record.app_id.as_ref()),
                optional_id_to_sql("activity id", record.activity_id)?,
                record.record_url,
                primary_type,
                primary_id,
                optional_id_to_sql("audio id", record.record_id)?,
                optional_id_to_sql("transcript id", record.transcript_id)?,
                timestamp_to_sql(&record.finished_at),
            ],
        )
    }

    fn insert_call_record(&self, record: &CallRecord) -> Result<u64> {
        // The id given is ignored (the statement does not use `?1`), but must be bindable.
        let record = CallRecord { id: 0, ..record.clone() };
        self.write_call_record(sql::INSERT_CALL_RECORD, &record)?;
        id_from_sql("call record id", self.session.conn.last_insert_rowid())
    }

    fn update_call_record(&self, record: &CallRecord) -> Result<bool> {
        if lookup_id(record.id).is_none() {
            return Ok(false);
        }
        Ok(self.write_call_record(sql::UPDATE_CALL_RECORD, record)? > 0)
    }

    /// Runs `INSERT_ACTIVITY` or `UPDATE_ACTIVITY`, which share their parameters, then
    /// stores the bindings of activity `id` (the new row's, for an insert).
    fn write_activity(
        &self,
        statement: &str,
        activity: &Activity,
        update: bool,
    ) -> Result<Option<i64>> {
        let (communication_type, communication_id) =
            optional_entity_to_sql(activity.communication_entity)?;
        let id = if update { int_to_sql("activity id", activity.id)? } else { 0 };
        let changed = self.execute(
            statement,
            params![
                id,
                activity.subject,
                i64::from(activity.direction.id()),
                timestamp_to_sql(&activity.start_time),
                timestamp_to_sql(&activity.end_time),
                int_to_sql("user id", activity.responsible_id.0)?,
                int_to_sql("user id", activity.author_id.0)?,
                activity.origin_id,
                activity.phone,
                communication_type,
                communication_id,
                bool_to_sql(activity.completed),
                bool_to_sql(activity.missed),
                activity.result_mark.as_str(),
                activity.description,
                optional_id_to_sql("audio id", activity.record_id)?,
                timestamp_to_sql(&activity.created),
            ],
        )?;
        if changed == 0 {
            return Ok(None);
        }
        let id = if update { id } else { self.session.conn.last_insert_rowid() };
        if update {
            self.execute(sql::DELETE_ACTIVITY_BINDINGS, [id])?;
        }
        for (index, binding) in activity.bindings.iter().enumerate() {
            self.execute(
                sql::INSERT_ACTIVITY_BINDING,
                params![
                    id,
                    position(index)?,
                    entity_type_to_sql(binding.kind),
                    int_to_sql("entity id", binding.id)?,
                ],
            )?;
        }
        Ok(Some(id))
    }

    /// Activities of a query, with their bindings.
    fn activities(&self, statement: &str, params: impl Params) -> Result<Vec<Activity>> {
        let mut activities = self.all(statement, params, rows::activity)?;
        for activity in &mut activities {
            let id = int_to_sql("activity id", activity.id)?;
            activity.bindings =
                self.all(sql::SELECT_ACTIVITY_BINDINGS, [id], |row| rows::entity(row, 0))?;
        }
        Ok(activities)
    }

    /// [`StoreTx::call_records_page`]: a `CALL_ID` is looked up by its index, the other
    /// filters are SQL conditions; only the page's rows are decoded.
    fn call_records_page(
        &self,
        filter: &CallRecordFilter,
        start: usize,
        limit: usize,
    ) -> Result<Page<CallRecord>> {
        if let Some(call_id) = &filter.call_id {
            let row = self.one(sql::SELECT_CALL_RECORD, [call_id.as_str()], rows::call_record)?;
            let rows = row.filter(|record| filter.matches(record)).into_iter().collect();
            return Ok(Page::of(rows, start, limit));
        }
        let Some(user) = id_filter_to_sql(filter.portal_user_id.map(|user| user.0)) else {
            return Ok(Page { items: Vec::new(), total: 0 });
        };
        let phone = filter.phone_number.as_deref();
        let key = filter.phone_key.as_deref();
        let total: i64 = self
            .one(sql::COUNT_CALL_RECORDS, params![phone, key, user], |row| row.get(0))?
            .unwrap_or(0);
        let items = self.all(
            sql::CALL_RECORDS_PAGE,
            params![phone, key, user, count_to_sql(limit), count_to_sql(start)],
            rows::call_record,
        )?;
        Ok(Page { items, total: count_from_sql(total) })
    }

    /// [`StoreTx::activities_page`]: the filter is SQL conditions; only the page's
    /// activities and their bindings are read.
    fn activities_page(
        &self,
        filter: &ActivityFilter,
        start: usize,
        limit: usize,
    ) -> Result<Page<Activity>> {
        let kind = filter.owner_type.map(entity_type_to_sql);
        let Some(id) = id_filter_to_sql(filter.owner_id) else {
            return Ok(Page { items: Vec::new(), total: 0 });
        };
        let origin = filter.origin_id.as_deref();
        let total: i64 = self
            .one(sql::COUNT_ACTIVITIES, params![kind, id, origin], |row| row.get(0))?
            .unwrap_or(0);
        let items = self.activities(
            sql::ACTIVITIES_PAGE,
            params![kind, id, origin, count_to_sql(limit), count_to_sql(start)],
        )?;
        Ok(Page { items, total: count_from_sql(total) })
    }

    fn insert_missed_call(&self, missed: &MissedCall) -> Result<u64> {
        let id = self.insert(
            sql::INSERT_MISSED_CALL,
            params![
                int_to_sql("call record id", missed.record_id)?,
                missed.caller_key,
                int_to_sql("user id", missed.user_id.0)?,
                timestamp_to_sql(&missed.at),
                optional_id_to_sql("call record id", missed.called_back_by)?,
            ],
        )?;
        id_from_sql("missed call id", id)
    }

    fn mark_called_back(&self, missed_id: u64, by_record: u64) -> Result<bool> {
        let Some(id) = lookup_id(missed_id) else { return Ok(false) };
        let by_record = int_to_sql("call record id", by_record)?;
        Ok(self.execute(sql::MARK_CALLED_BACK, params![id, by_record])? > 0)
    }

    // ---- records and transcripts ------------------------------------------------------

    fn insert_audio(&self, audio: &CallAudio) -> Result<u64> {
        let id = self.insert(
            sql::INSERT_AUDIO,
            params![
                audio.call_id.as_str(),
                audio.file_name,
                audio.content,
                audio.url,
                timestamp_to_sql(&audio.attached_at),
            ],
        )?;
        id_from_sql("audio id", id)
    }

    fn insert_upload(&self, upload: &PendingUpload) -> Result<()> {
        self.execute(
            sql::INSERT_UPLOAD,
            params![
                upload.token,
                upload.call_id.as_str(),
                upload.file_name,
                timestamp_to_sql(&upload.created_at),
            ],
        )?;
        Ok(())
    }

    fn insert_transcript(&self, transcript: &Transcript) -> Result<u64> {
        let id = self.insert(
            sql::INSERT_TRANSCRIPT,
            params![
                transcript.call_id.as_str(),
                transcript.cost,
                transcript.cost_currency,
                timestamp_to_sql(&transcript.created_at),
            ],
        )?;
        for (index, message) in transcript.messages.iter().enumerate() {
            self.execute(
                sql::INSERT_TRANSCRIPT_MESSAGE,
                params![
                    id,
                    position(index)?,
                    message.side,
                    message.start_time,
                    message.stop_time,
                    message.message,
                ],
            )?;
        }
        id_from_sql("transcript id", id)
    }

    fn transcript(&self, id: u64) -> Result<Option<Transcript>> {
        let Some(id) = lookup_id(id) else { return Ok(None) };
        let found = self.one(sql::SELECT_TRANSCRIPT, [id], rows::transcript)?;
        let Some(mut transcript) = found else { return Ok(None) };
        transcript.messages =
            self.all(sql::SELECT_TRANSCRIPT_MESSAGES, [id], rows::transcript_message)?;
        Ok(Some(transcript))
    }

    // ---- outbox -------------------------------------------------------------------------

    fn push_event(&mut self, name: &str, data: &EventData, at: DateTime<Utc>) -> Result<u64> {
        self.push_json(name, &serde_json::to_string(data)?, at)
    }

    /// Appends an event whose data is JSON text already.
    fn push_json(&mut self, name: &str, data: &str, at: DateTime<Utc>) -> Result<u64> {
        let ids = self.append_events(&[(name, data)], &timestamp_to_sql(&at))?;
        ids.first().copied().ok_or_else(|| SqliteError::decode("event id", "none"))
    }

    fn push_events(
        &mut self,
        events: &[(&str, &EventJson)],
        at: DateTime<Utc>,
    ) -> Result<Vec<u64>> {
        let events: Vec<(&str, &str)> =
            events.iter().map(|(name, json)| (*name, json.as_str())).collect();
        self.append_events(&events, &timestamp_to_sql(&at))
    }

    /// Appends events, `(name, data as JSON text)`, created `at`; returns their ids. The ids
    /// are the session's next (read once, then kept), so that the statements need not
    /// compute them.
    fn append_events(&mut self, events: &[(&str, &str)], at: &str) -> Result<Vec<u64>> {
        if events.is_empty() {
            return Ok(Vec::new());
        }
        let first = self.next_event_id()?;
        self.event_ids_changed = true;
        if let Err(error) = self.insert_events(first, events, at) {
            self.set_next_event_id(None);
            return Err(error);
        }
        let ids: Vec<i64> = (first..).take(events.len()).collect();
        self.set_next_event_id(ids.last().and_then(|last| last.checked_add(1)));
        ids.into_iter().map(|id| id_from_sql("event id", id)).collect()
    }

    /// Inserts events into `event` with the ids from `first` on: one statement per
    /// `MAX_EVENTS_AT_ONCE` events.
    fn insert_events(&self, first: i64, events: &[(&str, &str)], at: &str) -> Result<()> {
        let mut id = first;
        for chunk in events.chunks(sql::MAX_EVENTS_AT_ONCE) {
            let ids: Vec<i64> = (id..).take(chunk.len()).collect();
            let mut values: Vec<&dyn rusqlite::ToSql> = Vec::with_capacity(4 * chunk.len());
            for (id, (name, data)) in ids.iter().zip(chunk) {
                values.extend([id as &dyn rusqlite::ToSql, name, data, &at]);
            }
            self.execute(sql::insert_events(chunk.len()), values.as_slice())?;
            id = ids.last().and_then(|last| last.checked_add(1)).unwrap_or(i64::MAX);
        }
        Ok(())
    }

    /// Moves the events kept in a live call's row to `event`, their ids kept. (The row still
    /// holds them: the caller clears it or has deleted it.)
    fn insert_kept_events(&self, kept: &KeptEvents) -> Result<()> {
        let events = kept.events()?;
        let events: Vec<(&str, &str)> =
            events.iter().map(|(_, name, data)| (*name, data.as_ref())).collect();
        self.insert_events(kept.from, &events, &kept.at)
    }

    /// The live calls' rows that keep events, oldest events first, at most `limit` rows.
    fn kept_events(&self, limit: i64) -> Result<Vec<KeptEvents>> {
        let rows = self.all(sql::LIVE_CALL_EVENTS, [limit], |row| KeptEvents::read(row, 0))?;
        Ok(rows.into_iter().flatten().collect())
    }

    /// The live calls' rows that keep any of the events `sorted` (ids in ascending order).
    fn kept_events_among(&self, sorted: &[i64]) -> Result<Vec<KeptEvents>> {
        if sorted.is_empty() {
            return Ok(Vec::new());
        }
        let mut rows = self.kept_events(i64::MAX)?;
        rows.retain(|kept| {
            let from = sorted.partition_point(|id| *id < kept.from);
            sorted.get(from).is_some_and(|id| *id <= kept.to)
        });
        Ok(rows)
    }

    /// Up to `limit` events of the live calls' rows, oldest first.
    fn kept_outbox_events(&self, limit: i64) -> Result<Vec<OutboxEvent>> {
        let mut events = Vec::new();
        for kept in self.kept_events(limit)? {
            events.extend(kept.outbox_events()?);
        }
        events.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
        Ok(events)
    }

    fn claim_events(&self, ids: &[u64], process_id: &str) -> Result<()> {
        let mut wanted: Vec<i64> = ids.iter().filter_map(|id| lookup_id(*id)).collect();
        wanted.sort_unstable();
        // A claimed event is a row of `event_claimed`: the claimed live call's events move
        // to `event` first, all of them.
        for kept in self.kept_events_among(&wanted)? {
            self.insert_kept_events(&kept)?;
            self.execute(sql::CLEAR_LIVE_CALL_EVENTS, [kept.row])?;
        }
        for id in wanted {
            if self.execute(sql::CLAIM_PENDING_EVENT, params![id, process_id])? > 0 {
                self.execute(sql::DELETE_PENDING_EVENT, [id])?;
            } else {
                self.execute(sql::RECLAIM_EVENT, params![id, process_id])?;
            }
        }
        Ok(())
    }

    fn delete_events(&self, ids: &[u64]) -> Result<usize> {
        let mut wanted: Vec<i64> = ids.iter().filter_map(|id| lookup_id(*id)).collect();
        wanted.sort_unstable();
        let mut removed = 0;
        let mut highest = None;
        for kept in self.kept_events_among(&wanted)? {
            let events = kept.events()?;
            if events.iter().all(|(id, _, _)| wanted.binary_search(id).is_ok()) {
                // All of the row's events go: the row forgets them.
                removed += events.len();
                highest = highest.max(Some(kept.to));
            } else {
                // Some stay: they move to `event`, where the ones that go are deleted below.
                self.insert_kept_events(&kept)?;
            }
            self.execute(sql::CLEAR_LIVE_CALL_EVENTS, [kept.row])?;
        }
        for id in wanted {
            let gone = self.execute(sql::DELETE_PENDING_EVENT, [id])?
                + self.execute(sql::DELETE_CLAIMED_EVENT, [id])?;
            if gone > 0 {
                removed += gone;
                highest = highest.max(Some(id));
            }
        }
        if let Some(id) = highest {
            self.execute(sql::RAISE_EVENT_HIGH_WATER, [id])?;
        }
        Ok(removed)
    }
}

/// Every method runs the inherent method of the same name (or one statement) and maps the
/// adapter's error into [`StoreError`](callreg_core::store::StoreError).
impl StoreTx for SqliteTx<'_> {
    fn commit(mut self: Box<Self>) -> StoreResult<()> {
        self.commit_attempted = true;
        run(&self.session.conn, "COMMIT").map_err(SqliteError::from)?;
        self.committed = true;
        Ok(())
    }

    fn meta(&mut self, key: &str) -> StoreResult<Option<String>> {
        Ok(self.one(sql::SELECT_META, [key], |row| row.get(0))?)
    }

    fn set_meta(&mut self, key: &str, value: &str) -> StoreResult<()> {
        if key == EVENT_ID_HIGH_WATER {
            // The next event id depends on it: read again, also after a rollback.
            self.event_ids_changed = true;
            self.next_event_id_before = None;
            self.set_next_event_id(None);
        }
        self.execute(sql::UPSERT_META, [key, value])?;
        Ok(())
    }

    fn insert_user(&mut self, user: &User) -> StoreResult<UserId> {
        self.users_written();
        Ok(SqliteTx::insert_user(self, user)?)
    }

    fn user(&mut self, id: UserId) -> StoreResult<Option<User>> {
        if let Some(hit) = self.cache().and_then(|cache| cache.users.get(&id.0)).cloned() {
            return Ok(hit);
        }
        let found = SqliteTx::user(self, id)?;
        if let Some(cache) = self.cache() {
            remember(&mut cache.users, id.0, found.clone());
        }
        Ok(found)
    }

    fn list_users(&mut self) -> StoreResult<Vec<User>> {
        let ids = self.all(sql::LIST_USERS, [], |row| rows::id_only(row, "user id"))?;
        let mut users = Vec::with_capacity(ids.len());
        for id in ids {
            users.extend(SqliteTx::user(self, UserId(id))?);
        }
        Ok(users)
    }

    fn find_users_by_inner_phone(&mut self, inner: &str) -> StoreResult<Vec<UserId>> {
        if let Some(hit) = self.cache().and_then(|cache| cache.by_inner_phone.get(inner)).cloned() {
            return Ok(hit);
        }
        let found = self.user_ids(sql::FIND_USERS_BY_INNER_PHONE, inner)?;
        if let Some(cache) = self.cache() {
            remember(&mut cache.by_inner_phone, inner.to_string(), found.clone());
        }
        Ok(found)
    }

    fn find_users_by_phone_key(&mut self, key: &PhoneKey) -> StoreResult<Vec<UserId>> {
        let key = key.to_storage();
        if let Some(hit) = self.cache().and_then(|cache| cache.by_phone_key.get(&key)).cloned() {
            return Ok(hit);
        }
        let found = self.user_ids(sql::FIND_USERS_BY_PHONE_KEY, &key)?;
        if let Some(cache) = self.cache() {
            remember(&mut cache.by_phone_key, key, found.clone());
        }
        Ok(found)
    }

    fn find_users_by_telephony_code(&mut self, code: &str) -> StoreResult<Vec<UserId>> {
        let cached = self.cache().and_then(|cache| cache.by_telephony_code.get(code)).cloned();
        if let Some(hit) = cached {
            return Ok(hit);
        }
        let found = self.user_ids(sql::FIND_USERS_BY_TELEPHONY_CODE, code)?;
        if let Some(cache) = self.cache() {
            remember(&mut cache.by_telephony_code, code.to_string(), found.clone());
        }
        Ok(found)
    }

    fn insert_contact(&mut self, contact: &Contact) -> StoreResult<u64> {
        Ok(SqliteTx::insert_contact(self, contact)?)
    }

    fn insert_company(&mut self, company: &Company) -> StoreResult<u64> {
        Ok(SqliteTx::insert_company(self, company)?)
    }

    fn insert_lead(&mut self, lead: &Lead) -> StoreResult<u64> {
        Ok(SqliteTx::insert_lead(self, lead)?)
    }

    fn insert_deal(&mut self, deal: &Deal) -> StoreResult<u64> {
        Ok(SqliteTx::insert_deal(self, deal)?)
    }

    fn contact(&mut self, id: u64) -> StoreResult<Option<Contact>> {
        Ok(SqliteTx::contact(self, id)?)
    }

    fn company(&mut self, id: u64) -> StoreResult<Option<Company>> {
        Ok(SqliteTx::company(self, id)?)
    }

    fn lead(&mut self, id: u64) -> StoreResult<Option<Lead>> {
        Ok(SqliteTx::lead(self, id)?)
    }

    fn deal(&mut self, id: u64) -> StoreResult<Option<Deal>> {
        Ok(SqliteTx::deal(self, id)?)
    }

    fn find_entities_by_phone_key(&mut self, key: &PhoneKey) -> StoreResult<EntityRefs> {
        let mut found = self
            .all(sql::FIND_ENTITIES_BY_PHONE_KEY, [key.to_storage()], |row| rows::entity(row, 0))?;
        if found.len() > 1 {
            found.sort_unstable_by_key(|e| (e.kind.search_rank(), e.id));
            found.dedup();
        }
        Ok(found.into())
    }

    fn find_entities_by_national_suffix(
        &mut self,
        reversed_suffix: &str,
        limit: usize,
    ) -> StoreResult<Vec<EntityRef>> {
        let upper = format!("{reversed_suffix}:");
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let mut found = self.all(
            sql::FIND_ENTITIES_BY_NATIONAL_SUFFIX,
            params![reversed_suffix, upper, limit],
            |row| rows::entity(row, 0),
        )?;
        found.sort_unstable_by_key(|e| (e.kind.search_rank(), e.id));
        Ok(found)
    }

    fn find_entities_by_bitrix_code(&mut self, code: &str) -> StoreResult<Vec<EntityRef>> {
        if code.is_empty() {
            return Ok(Vec::new());
        }
        let key = bitrix_code_e164(code);
        let phones = self.all(
            sql::FIND_PHONES_BY_BITRIX_CODE,
            params![code, optional_key_to_sql(key.as_ref())?],
            |row| Ok((rows::entity(row, 0)?, row.get::<_, String>(2)?)),
        )?;
        let mut found: Vec<EntityRef> = phones
            .into_iter()
            .filter(|(_, value)| bitrix_code(value) == code)
            .map(|(entity, _)| entity)
            .collect();
        found.sort_unstable_by_key(|e| (e.kind.search_rank(), e.id));
        found.dedup();
        Ok(found)
    }

    fn deals_of(&mut self, owner: EntityRef) -> StoreResult<Vec<Deal>> {
        Ok(SqliteTx::deals_of(self, owner)?)
    }

    fn list_entities(&mut self, kind: EntityType) -> StoreResult<Vec<u64>> {
        Ok(SqliteTx::list_entities(self, kind)?)
    }

    fn set_responsible(
        &mut self,
        entity: EntityRef,
        user: UserId,
        modified: DateTime<Utc>,
    ) -> StoreResult<bool> {
        Ok(SqliteTx::set_responsible(self, entity, user, modified)?)
    }

    fn upsert_source(&mut self, source: &Source) -> StoreResult<()> {
        self.execute(sql::UPSERT_SOURCE, params![source.id, source.name, i64::from(source.sort)])?;
        Ok(())
    }

    fn source_exists(&mut self, id: &str) -> StoreResult<bool> {
        Ok(self.exists(sql::SOURCE_EXISTS, [id])?)
    }

    fn list_sources(&mut self) -> StoreResult<Vec<Source>> {
        Ok(SqliteTx::list_sources(self)?)
    }

    fn insert_exclusion(&mut self, key: &PhoneKey) -> StoreResult<()> {
        self.exclusions_written();
        self.execute(sql::INSERT_EXCLUSION, [phone_key_to_sql(key)?])?;
        Ok(())
    }

    fn is_excluded(&mut self, key: &PhoneKey) -> StoreResult<bool> {
        let key = key.to_storage();
        if let Some(hit) = self.cache().and_then(|cache| cache.excluded.get(&key)).copied() {
            return Ok(hit);
        }
        let found = self.exists(sql::IS_EXCLUDED, [&key])?;
        if let Some(cache) = self.cache() {
            remember(&mut cache.excluded, key, found);
        }
        Ok(found)
    }

    fn exclusion_list_is_empty(&mut self) -> StoreResult<bool> {
        Ok(self.one(sql::NO_EXCLUSIONS, [], |row| row.get(0))?.unwrap_or(false))
    }

    fn insert_line(&mut self, line: &Line) -> StoreResult<u64> {
        Ok(SqliteTx::insert_line(self, line)?)
    }

    fn find_line(&mut self, app: Option<&AppId>, number: &str) -> StoreResult<Option<Line>> {
        Ok(self.one(sql::FIND_LINE, params![app_key(app), number], rows::line)?)
    }

    fn find_lines_by_key(&mut self, key: &PhoneKey) -> StoreResult<Vec<Line>> {
        Ok(self.all(sql::FIND_LINES_BY_KEY, [key.to_storage()], rows::line)?)
    }

    fn update_line(&mut self, line: &Line) -> StoreResult<bool> {
        Ok(SqliteTx::update_line(self, line)?)
    }

    fn delete_line(&mut self, id: u64) -> StoreResult<bool> {
        Ok(SqliteTx::delete_line(self, id)?)
    }

    fn list_lines(&mut self, app: Option<&AppId>) -> StoreResult<Vec<Line>> {
        // By id (the index is by number: ordered here, not by a sorter in SQL).
        let mut lines = self.all(sql::LIST_LINES, [app_key(app)], rows::line)?;
        lines.sort_unstable_by_key(|line| line.id);
        Ok(lines)
    }

    fn insert_active_call(&mut self, call: &ActiveCall) -> StoreResult<()> {
        Ok(SqliteTx::insert_active_call(self, call, None)?)
    }

    fn insert_active_call_with_events(
        &mut self,
        call: &ActiveCall,
        events: &[(&str, &EventJson)],
        at: DateTime<Utc>,
    ) -> StoreResult<Vec<u64>> {
        Ok(SqliteTx::insert_active_call_with_events(self, call, events, at)?)
    }

    fn active_call(&mut self, call_id: &CallId) -> StoreResult<Option<ActiveCall>> {
        Ok(SqliteTx::active_call(self, call_id.as_str())?)
    }

    fn find_active_call_by_external_id(
        &mut self,
        app: Option<&AppId>,
        external_call_id: &str,
    ) -> StoreResult<Option<ActiveCall>> {
        Ok(SqliteTx::find_active_call_by_external_id(self, &app_key(app), external_call_id)?)
    }

    fn find_active_calls_by_caller(
        &mut self,
        app: Option<&AppId>,
        caller_key: &str,
    ) -> StoreResult<Vec<ActiveCall>> {
        Ok(SqliteTx::find_active_calls_by_caller(self, &app_key(app), caller_key)?)
    }

    fn list_active_calls(&mut self) -> StoreResult<Vec<ActiveCall>> {
        Ok(self.active_calls(sql::LIST_ACTIVE_CALLS, [])?)
    }

    fn delete_active_call(&mut self, call_id: &CallId) -> StoreResult<bool> {
        Ok(SqliteTx::delete_active_call(self, call_id)?)
    }

    fn insert_call_record(&mut self, record: &CallRecord) -> StoreResult<u64> {
        Ok(SqliteTx::insert_call_record(self, record)?)
    }

    fn call_record(&mut self, call_id: &CallId) -> StoreResult<Option<CallRecord>> {
        Ok(self.one(sql::SELECT_CALL_RECORD, [call_id.as_str()], rows::call_record)?)
    }

    fn update_call_record(&mut self, record: &CallRecord) -> StoreResult<bool> {
        Ok(SqliteTx::update_call_record(self, record)?)
    }

    fn list_call_records(&mut self) -> StoreResult<Vec<CallRecord>> {
        Ok(self.all(sql::LIST_CALL_RECORDS, [], rows::call_record)?)
    }

    fn call_records_page(
        &mut self,
        filter: &CallRecordFilter,
        start: usize,
        limit: usize,
    ) -> StoreResult<Page<CallRecord>> {
        Ok(SqliteTx::call_records_page(self, filter, start, limit)?)
    }

    fn latest_call_records(&mut self, limit: usize) -> StoreResult<Vec<CallRecord>> {
        Ok(self.all(sql::LATEST_CALL_RECORDS, [count_to_sql(limit)], rows::call_record)?)
    }

    fn insert_activity(&mut self, activity: &Activity) -> StoreResult<u64> {
        let id = self.write_activity(sql::INSERT_ACTIVITY, activity, false)?;
        let id = id.ok_or_else(|| SqliteError::decode("activity insert", "no row inserted"))?;
        Ok(id_from_sql("activity id", id)?)
    }

    fn activity(&mut self, id: u64) -> StoreResult<Option<Activity>> {
        let Some(id) = lookup_id(id) else { return Ok(None) };
        Ok(self.activities(sql::SELECT_ACTIVITY, [id])?.into_iter().next())
    }

    fn update_activity(&mut self, activity: &Activity) -> StoreResult<bool> {
        if lookup_id(activity.id).is_none() {
            return Ok(false);
        }
        Ok(self.write_activity(sql::UPDATE_ACTIVITY, activity, true)?.is_some())
    }

    fn list_activities(&mut self) -> StoreResult<Vec<Activity>> {
        Ok(self.activities(sql::LIST_ACTIVITIES, [])?)
    }

    fn activities_page(
        &mut self,
        filter: &ActivityFilter,
        start: usize,
        limit: usize,
    ) -> StoreResult<Page<Activity>> {
        Ok(SqliteTx::activities_page(self, filter, start, limit)?)
    }

    fn insert_missed_call(&mut self, missed: &MissedCall) -> StoreResult<u64> {
        Ok(SqliteTx::insert_missed_call(self, missed)?)
    }

    fn open_missed_calls(&mut self, caller_key: &str) -> StoreResult<Vec<MissedCall>> {
        Ok(self.all(sql::OPEN_MISSED_CALLS, [caller_key], rows::missed_call)?)
    }

    fn mark_called_back(&mut self, missed_id: u64, by_record: u64) -> StoreResult<bool> {
        Ok(SqliteTx::mark_called_back(self, missed_id, by_record)?)
    }

    fn list_missed_calls(&mut self) -> StoreResult<Vec<MissedCall>> {
        Ok(self.all(sql::LIST_MISSED_CALLS, [], rows::missed_call)?)
    }

    fn insert_audio(&mut self, audio: &CallAudio) -> StoreResult<u64> {
        Ok(SqliteTx::insert_audio(self, audio)?)
    }

    fn audio(&mut self, id: u64) -> StoreResult<Option<CallAudio>> {
        let Some(id) = lookup_id(id) else { return Ok(None) };
        Ok(self.one(sql::SELECT_AUDIO, [id], rows::audio)?)
    }

    fn delete_audio(&mut self, id: u64) -> StoreResult<bool> {
        let Some(id) = lookup_id(id) else { return Ok(false) };
        Ok(self.execute(sql::DELETE_AUDIO, [id])? > 0)
    }

    fn insert_upload(&mut self, upload: &PendingUpload) -> StoreResult<()> {
        Ok(SqliteTx::insert_upload(self, upload)?)
    }

    fn take_upload(&mut self, token: &str) -> StoreResult<Option<PendingUpload>> {
        Ok(self.one(sql::TAKE_UPLOAD, [token], rows::upload)?)
    }

    fn insert_record_download(&mut self, download: &RecordDownload) -> StoreResult<()> {
        let due = timestamp_to_sql(&download.due);
        self.execute(
            sql::INSERT_RECORD_DOWNLOAD,
            params![download.call_id.as_str(), download.url, due],
        )?;
        Ok(())
    }

    fn due_record_downloads(
        &mut self,
        now: DateTime<Utc>,
        limit: usize,
    ) -> StoreResult<Vec<RecordDownload>> {
        // Stored times sort as text for years 0000–9999 (all a call's can be): a later `now`
        // is after every one of them.
        let now = match now.year() {
            ..=9999 => timestamp_to_sql(&now),
            _ => "9999-12-31T23:59:59.999999999Z".to_string(),
        };
        Ok(self.all(
            sql::DUE_RECORD_DOWNLOADS,
            params![now, count_to_sql(limit)],
            rows::record_download,
        )?)
    }

    fn take_record_download(&mut self, call_id: &CallId) -> StoreResult<Option<RecordDownload>> {
        Ok(self.one(sql::TAKE_RECORD_DOWNLOAD, [call_id.as_str()], rows::record_download)?)
    }

    fn insert_transcript(&mut self, transcript: &Transcript) -> StoreResult<u64> {
        Ok(SqliteTx::insert_transcript(self, transcript)?)
    }

    fn transcript(&mut self, id: u64) -> StoreResult<Option<Transcript>> {
        Ok(SqliteTx::transcript(self, id)?)
    }

    fn push_event(&mut self, name: &str, data: &EventData, at: DateTime<Utc>) -> StoreResult<u64> {
        Ok(SqliteTx::push_event(self, name, data, at)?)
    }

    fn push_events(
        &mut self,
        events: &[(&str, &EventJson)],
        at: DateTime<Utc>,
    ) -> StoreResult<Vec<u64>> {
        Ok(SqliteTx::push_events(self, events, at)?)
    }

    fn pending_events(&mut self, limit: usize) -> StoreResult<Vec<OutboxEvent>> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let stored = self.all(sql::PENDING_EVENTS, [limit], rows::event)?;
        Ok(oldest_first(stored, self.kept_outbox_events(limit)?, limit))
    }

    fn outbox_events(&mut self, limit: usize) -> StoreResult<Vec<OutboxEvent>> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let stored = self.all(sql::OUTBOX_EVENTS, [limit], rows::event)?;
        Ok(oldest_first(stored, self.kept_outbox_events(limit)?, limit))
    }

    fn claim_events(&mut self, ids: &[u64], process_id: &str) -> StoreResult<()> {
        Ok(SqliteTx::claim_events(self, ids, process_id)?)
    }

    fn claimed_events(&mut self, process_id: &str) -> StoreResult<Vec<OutboxEvent>> {
        Ok(self.all(sql::CLAIMED_EVENTS, [process_id], rows::event)?)
    }

    fn delete_events(&mut self, ids: &[u64]) -> StoreResult<usize> {
        Ok(SqliteTx::delete_events(self, ids)?)
    }
}

/// The events a live call's row keeps (see
/// `migrations/0008_start_events_with_the_live_call.sql`).
#[derive(Debug)]
struct KeptEvents {
    /// The live call's row.
    row: i64,
    /// The first event's id.
    from: i64,
    /// The last event's id.
    to: i64,
    /// The events, as `events_to_sql` writes them.
    text: String,
    /// When they were queued (the call's registration), as stored.
    at: String,
    /// The call's `CALL_ID`.
    call_id: String,
}

impl KeptEvents {
    /// Columns `first` to `first + 5` of a row: the row's id, `events_from`, `events_to`,
    /// `events`, `registered_at`, `call_id`; `None` when the row keeps no events.
    fn read(row: &Row<'_>, first: usize) -> rusqlite::Result<Option<KeptEvents>> {
        let Some(text) = row.get::<_, Option<String>>(first + 3)? else { return Ok(None) };
        Ok(Some(KeptEvents {
            row: row.get(first)?,
            from: row.get(first + 1)?,
            to: row.get(first + 2)?,
            text,
            at: row.get(first + 4)?,
            call_id: row.get(first + 5)?,
        }))
    }

    /// Each event's id, name and data (JSON text), in order; refused unless there is one per
    /// id of the row's range.
    fn events(&self) -> Result<Vec<(i64, &str, Cow<'_, str>)>> {
        let events = events_from_sql(&self.text, &self.call_id)?;
        let count = i64::try_from(events.len()).ok();
        if events.is_empty() || self.to.checked_sub(self.from) != count.map(|n| n - 1) {
            return Err(SqliteError::decode("live call events", &self.text));
        }
        Ok((self.from..).zip(events).map(|(id, (name, data))| (id, name, data)).collect())
    }

    /// The events as the outbox shows them.
    fn outbox_events(&self) -> Result<Vec<OutboxEvent>> {
        let created_at = timestamp_from_sql(&self.at)?;
        self.events()?
            .into_iter()
            .map(|(id, name, data)| {
                Ok(OutboxEvent {
                    id: id_from_sql("event id", id)?,
                    name: name.to_string(),
                    data: serde_json::from_str::<EventData>(&data)
                        .map_err(|_| SqliteError::decode("event data", &data))?,
                    created_at,
                    process_id: None,
                })
            })
            .collect()
    }
}

/// The events of the outbox's tables and of the live calls' rows (each oldest first), merged,
/// the first `limit` of them.
fn oldest_first(
    mut stored: Vec<OutboxEvent>,
    kept: Vec<OutboxEvent>,
    limit: i64,
) -> Vec<OutboxEvent> {
    if !kept.is_empty() {
        stored.extend(kept);
        stored.sort_by_key(|event| event.id);
        stored.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    }
    stored
}
