//! The engine: configuration, the number normalizer, the clock and a store, with every
//! command run as one store transaction.

use crate::auth::Auth;
use crate::clock::{Clock, SystemClock};
use crate::config::EngineConfig;
use crate::error::CallregError;
use crate::matching::{BitrixCriteria, CallerKeys, OwnerMatch, find_owners_into};
use crate::model::{
    ActiveCall, Activity, CallRecord, Company, Contact, Deal, Lead, MissedCall, OutboxEvent, Phone,
    Source, TelephonyPermission, User,
};
use crate::phone::{PhoneKey, PhoneNormalizer};
use crate::records::RecordFetcher;
use crate::register::RegisterRequest;
use crate::store::{ActivityFilter, CallRecordFilter, CrmStore, Page, StoreError, StoreTx};
use crate::types::{CallId, EntityRef, EntityRefs, EntityType, UserId};
use std::collections::BTreeSet;
use std::sync::Arc;

/// The call registration engine over a store `S`. Share it between threads behind an `Arc`.
///
/// ```
/// # fn demo<S: callreg_core::CrmStore>(store: S) -> Result<(), callreg_core::CallregError> {
/// use callreg_core::{Auth, Engine, EngineConfig, RegisterRequest};
/// let engine = Engine::new(store, EngineConfig::default())?;
/// let call = engine.register(
///     &Auth::webhook(1),
///     &RegisterRequest::incoming(1, "+7 495 123-45-67").crm_create(true),
/// )?;
/// assert!(call.created_lead.is_some());
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct Engine<S> {
    store: S,
    config: EngineConfig,
    phones: PhoneNormalizer,
    clock: Arc<dyn Clock>,
    record_fetcher: Option<Arc<dyn RecordFetcher>>,
}

/// Meta key: when an engine last started on this store (written by its warm-up).
pub const STARTED_KEY: &str = "engine.started";
/// The metadata key marking a store as seeded with a new portal's defaults.
const SEEDED_KEY: &str = "portal.seeded";

/// The CRM sources of a new portal (`crm.status.list`, `ENTITY_ID = SOURCE`).
const DEFAULT_SOURCES: [(&str, &str); 10] = [
    ("CALL", "Call"),
    ("EMAIL", "E-Mail"),
    ("WEB", "Website"),
    ("ADVERTISING", "Advertising"),
    ("PARTNER", "Existing client"),
    ("RECOMMENDATION", "By recommendation"),
    ("TRADE_SHOW", "Show/exhibition"),
    ("WEBFORM", "CRM form"),
    ("CALLBACK", "Callback"),
    ("OTHER", "Other"),
];

impl<S: CrmStore> Engine<S> {
    /// An engine on `store` with the system clock. A store never used before is given what a
    /// new Bitrix24 portal has: user 1, an active administrator, and the default CRM sources.
    /// The phone parser's metadata is loaded here, not on the first call.
    ///
    /// # Errors
    ///
    /// [`CallregError::Store`] when the store cannot be read or written, including
    /// [`StoreError::Corrupt`] for damage its warm-up found
    /// ([`CrmStore::warm_up`]).
    pub fn new(store: S, config: EngineConfig) -> Result<Self, CallregError> {
        Self::with_clock(store, config, Arc::new(SystemClock))
    }

    /// An engine reading the time from `clock`.
    pub fn with_clock(
        store: S,
        config: EngineConfig,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, CallregError> {
        let phones = PhoneNormalizer::new(config.default_region);
        let engine = Engine { store, config, phones, clock, record_fetcher: None };
        // The store's warm-up first: it is where damage to the data is found, before
        // anything is written.
        engine.store.warm_up()?;
        engine.seed_new_portal()?;
        engine.warm_up();
        Ok(engine)
    }

    /// Runs once, now, what the first registration would otherwise be the first to run, so
    /// that the first call costs what the next ones do. After the store has loaded what it
    /// caches ([`CrmStore::warm_up`], run first by [`Engine::new`]), in order: a lookup; the
    /// [rehearsal](Self::rehearse) of registrations, whose transaction is rolled back, not
    /// committed, so nothing is stored; and one small committed write, the time this engine
    /// started (meta key `engine.started`), so that the first command is not the first commit
    /// either. The parser's metadata is already loaded by the normalizer; this covers the
    /// rest (code paths, the store's statements and pages, the allocator's first pools), and
    /// leaves the registration's own work the last thing the processor ran. Failures are
    /// ignored: the commands report their own.
    fn warm_up(&self) {
        const UNKNOWN: &str = "+7 495 000-00-00";
        let _ = self.find_owners_of_number(UNKNOWN, None);
        let _ = self.rehearse(UNKNOWN, "+7 495 000-00-01");
        let started = self.clock.now().to_rfc3339();
        let _ = self.in_transaction(|tx| Ok(tx.set_meta(STARTED_KEY, &started)?));
    }

    /// Registers, in one transaction that is dropped uncommitted (rolled back), a call from
    /// each kind of caller the first real call may come from: `unknown`, whom nobody owns
    /// (what auto-creation makes is created: a lead, or a contact and a deal in simple CRM
    /// mode); `unknown` again, now the owner of what was created; and `known`, the number of
    /// a contact with a deal, both stored first in the same transaction. The calls are the
    /// portal's first active employee's (user 1 on a new portal), without the permission
    /// check: nobody is acting.
    fn rehearse(&self, unknown: &str, known: &str) -> Result<(), CallregError> {
        let now = self.clock.now();
        let mut tx = self.store.begin()?;
        let tx = tx.as_mut();
        let Some(user) = tx.list_users()?.into_iter().find(|user| user.active) else {
            return Ok(());
        };
        let auth = Auth::webhook(user.id.0);
        let user_id = i64::try_from(user.id.0).unwrap_or(i64::MAX);
        let call = |tx: &mut dyn StoreTx, number: &str, n: u32| {
            let request = RegisterRequest::incoming(user_id, number)
                .crm_create(true)
                .external_call_id(format!("callreg-engine-warm-up-{n}"));
            self.register_permitted(tx, &auth, &request, now).map(drop)
        };
        call(tx, unknown, 1)?;
        call(tx, unknown, 2)?;
        let contact = NewContact { phones: vec![PhoneInput::work(known)], ..NewContact::default() };
        let contact_id = tx.insert_contact(&self.contact_record(&contact, now))?;
        let deal = NewDeal { contact_id: Some(contact_id), ..NewDeal::default() };
        tx.insert_deal(&self.deal_record(&deal, now))?;
        call(tx, known, 3)
    }

    /// Lets `attachRecord` download records given by URL with `fetcher`, and `finish` the
    /// record of its `RECORD_URL`.
    pub fn with_record_fetcher(mut self, fetcher: Arc<dyn RecordFetcher>) -> Self {
        self.record_fetcher = Some(fetcher);
        self
    }

    /// The host's record fetcher, if one was supplied.
    pub fn record_fetcher(&self) -> Option<&dyn RecordFetcher> {
        self.record_fetcher.as_deref()
    }

    /// The store.
    pub fn store(&self) -> &S {
        &self.store
    }

    /// The configuration.
    pub fn config(&self) -> &EngineConfig {
        &self.config
    }

    /// The number normalizer (default region from the configuration).
    pub fn phones(&self) -> &PhoneNormalizer {
        &self.phones
    }

    /// The engine's current time.
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.clock.now()
    }

    /// Runs `command` in one store transaction: committed when it returns `Ok`, rolled back
    /// (nothing stored) when it returns `Err`.
    pub(crate) fn in_transaction<T>(
        &self,
        command: impl FnOnce(&mut dyn StoreTx) -> Result<T, CallregError>,
    ) -> Result<T, CallregError> {
        let mut tx = self.store.begin()?;
        let value = command(tx.as_mut())?;
        tx.commit()?;
        Ok(value)
    }

    fn seed_new_portal(&self) -> Result<(), CallregError> {
        let now = self.clock.now();
        self.in_transaction(|tx| {
            if tx.meta(SEEDED_KEY)?.is_some() {
                return Ok(());
            }
            let admin = NewUser { name: "Admin".into(), admin: true, ..NewUser::default() };
            tx.insert_user(&self.user_record(UserId(1), &admin))?;
            for (sort, (id, name)) in DEFAULT_SOURCES.iter().enumerate() {
                let sort = u32::try_from(sort * 10 + 10).unwrap_or(u32::MAX);
                tx.upsert_source(&Source { id: (*id).into(), name: (*name).into(), sort })?;
            }
            Ok(tx.set_meta(SEEDED_KEY, &now.to_rfc3339())?)
        })
    }

    // ---- setting up the CRM ------------------------------------------------------------

    /// Phones as stored: each value with its matching key.
    pub fn phones_with_keys(&self, phones: &[PhoneInput]) -> Vec<Phone> {
        phones
            .iter()
            .map(|p| Phone {
                value: p.value.clone(),
                value_type: p.value_type.clone(),
                key: self.phones.key(&p.value),
            })
            .collect()
    }

    fn user_record(&self, id: UserId, user: &NewUser) -> User {
        let mut phones = Vec::new();
        for (value_type, value) in [
            ("WORK_PHONE", &user.work_phone),
            ("PERSONAL_PHONE", &user.personal_phone),
            ("PERSONAL_MOBILE", &user.personal_mobile),
        ] {
            if let Some(value) = value.as_deref().filter(|v| !v.trim().is_empty()) {
                phones.push(Phone {
                    value: value.to_string(),
                    value_type: value_type.to_string(),
                    key: self.phones.key(value),
                });
            }
        }
        User {
            id,
            active: user.active,
            email: user.email.clone(),
            name: user.name.clone(),
            last_name: user.last_name.clone(),
            inner_phone: user
                .inner_phone
                .as_deref()
                .map(|p| p.chars().filter(char::is_ascii_digit).collect::<String>())
                .filter(|p| !p.is_empty()),
            phones,
            admin: user.admin,
            permissions: user.permissions.clone(),
        }
    }

    /// Adds an employee (Bitrix's `user.add`); returns the new id.
    pub fn add_user(&self, user: &NewUser) -> Result<UserId, CallregError> {
        let record = self.user_record(UserId(0), user);
        self.in_transaction(|tx| Ok(tx.insert_user(&record)?))
    }

    /// Adds a contact; its phones are normalized and indexed. Returns the new id.
    pub fn add_contact(&self, contact: &NewContact) -> Result<u64, CallregError> {
        let record = self.contact_record(contact, self.clock.now());
        self.in_transaction(|tx| Ok(tx.insert_contact(&record)?))
    }

    /// The stored form of a new contact, its phones normalized.
    fn contact_record(&self, contact: &NewContact, now: chrono::DateTime<chrono::Utc>) -> Contact {
        Contact {
            id: 0,
            name: contact.name.clone(),
            last_name: contact.last_name.clone(),
            company_id: contact.company_id,
            assigned_by: contact.assigned_by.unwrap_or(UserId(1)),
            phones: self.phones_with_keys(&contact.phones),
            created: now,
            modified: now,
        }
    }

    /// Adds a company; returns the new id.
    pub fn add_company(&self, company: &NewCompany) -> Result<u64, CallregError> {
        let now = self.clock.now();
        let record = Company {
            id: 0,
            title: company.title.clone(),
            assigned_by: company.assigned_by.unwrap_or(UserId(1)),
            phones: self.phones_with_keys(&company.phones),
            created: now,
            modified: now,
        };
        self.in_transaction(|tx| Ok(tx.insert_company(&record)?))
    }

    /// Adds a lead (status `NEW` unless given, source `OTHER` unless given); returns the new id.
    pub fn add_lead(&self, lead: &NewLead) -> Result<u64, CallregError> {
        let now = self.clock.now();
        let record = Lead {
            id: 0,
            title: lead.title.clone(),
            name: lead.name.clone(),
            status_id: lead.status_id.clone().unwrap_or_else(|| "NEW".into()),
            source_id: lead.source_id.clone().unwrap_or_else(|| "OTHER".into()),
            source_description: String::new(),
            assigned_by: lead.assigned_by.unwrap_or(UserId(1)),
            phones: self.phones_with_keys(&lead.phones),
            created: now,
            modified: now,
        };
        self.in_transaction(|tx| Ok(tx.insert_lead(&record)?))
    }

    /// Adds a deal (stage `NEW` unless given); returns the new id.
    pub fn add_deal(&self, deal: &NewDeal) -> Result<u64, CallregError> {
        let record = self.deal_record(deal, self.clock.now());
        self.in_transaction(|tx| Ok(tx.insert_deal(&record)?))
    }

    /// The stored form of a new deal.
    fn deal_record(&self, deal: &NewDeal, now: chrono::DateTime<chrono::Utc>) -> Deal {
        Deal {
            id: 0,
            title: deal.title.clone(),
            contact_id: deal.contact_id,
            company_id: deal.company_id,
            stage_id: deal.stage_id.clone().unwrap_or_else(|| "NEW".into()),
            assigned_by: deal.assigned_by.unwrap_or(UserId(1)),
            created: now,
            modified: now,
        }
    }

    /// Adds a CRM source (or renames an existing one).
    pub fn add_source(&self, id: &str, name: &str) -> Result<(), CallregError> {
        let source = Source { id: id.into(), name: name.into(), sort: 1000 };
        self.in_transaction(|tx| Ok(tx.upsert_source(&source)?))
    }

    /// Puts a number on the exclusion list: it is never matched and never auto-created.
    /// Returns `false` (and stores nothing) when the number has no digits.
    pub fn add_exclusion(&self, number: &str) -> Result<bool, CallregError> {
        let Some(key) = self.phones.key(number) else {
            return Ok(false);
        };
        self.in_transaction(|tx| {
            tx.insert_exclusion(&key)?;
            Ok(true)
        })
    }

    // ---- reading -----------------------------------------------------------------------

    /// Runs a read-only query in a transaction of its own that is never committed (see
    /// [`CrmStore::read_only`]): one consistent view, and anything written is discarded.
    pub fn read<T>(
        &self,
        query: impl FnOnce(&mut dyn StoreTx) -> Result<T, crate::store::StoreError>,
    ) -> Result<T, CallregError> {
        // A read never commits: on SQLite it runs without the write lock, so readers never
        // block the writer.
        let mut query = Some(query);
        let mut answer = None;
        self.store.read_only(&mut |tx| {
            if let Some(query) = query.take() {
                answer = Some(query(tx)?);
            }
            Ok(())
        })?;
        answer.ok_or_else(|| StoreError::other("the store did not run the read").into())
    }

    /// The user with this id.
    pub fn user(&self, id: UserId) -> Result<Option<User>, CallregError> {
        self.read(|tx| tx.user(id))
    }

    /// Every user, lowest id first.
    pub fn users(&self) -> Result<Vec<User>, CallregError> {
        self.read(|tx| tx.list_users())
    }

    /// The contact with this id.
    pub fn contact(&self, id: u64) -> Result<Option<Contact>, CallregError> {
        self.read(|tx| tx.contact(id))
    }

    /// The company with this id.
    pub fn company(&self, id: u64) -> Result<Option<Company>, CallregError> {
        self.read(|tx| tx.company(id))
    }

    /// The lead with this id.
    pub fn lead(&self, id: u64) -> Result<Option<Lead>, CallregError> {
        self.read(|tx| tx.lead(id))
    }

    /// The deal with this id.
    pub fn deal(&self, id: u64) -> Result<Option<Deal>, CallregError> {
        self.read(|tx| tx.deal(id))
    }

    /// Ids of every record of a type.
    pub fn entity_ids(&self, kind: EntityType) -> Result<Vec<u64>, CallregError> {
        self.read(|tx| tx.list_entities(kind))
    }

    /// Every CRM record (contact, company, lead) with a phone matching `number` exactly by key.
    pub fn entities_with_number(&self, number: &str) -> Result<Vec<EntityRef>, CallregError> {
        let Some(key) = self.phones.key(number) else {
            return Ok(Vec::new());
        };
        self.read(|tx| tx.find_entities_by_phone_key(&key).map(EntityRefs::into_vec))
    }

    /// Who owns a caller's number, as register finds it: the number (as a PBX sends it)
    /// read under the default region (tier 1) and, when `line_number` is a number of another
    /// country, under that country (tier 2), then by Bitrix's own normalization (a stored
    /// phone with the same [`bitrix_code`](crate::matching::bitrix_code); on a line that is a
    /// valid international number also Bitrix's criterion 2, the caller's national number in
    /// the line's country against phones written in national form), then by its last
    /// digits when suffix matching is on (tier 3, [`EngineConfig::suffix_digits`]); the
    /// records found ranked as register ranks them. Reads only.
    ///
    /// ```
    /// # fn demo<S: callreg_core::CrmStore>(engine: &callreg_core::Engine<S>) -> Result<(), callreg_core::CallregError> {
    /// let owners = engine.find_owners_of_number("8 (495) 123-45-67", None)?;
    /// if let Some(owner) = owners.primary {
    ///     println!("{owner} owns the number (found by {:?})", owners.tier);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn find_owners_of_number(
        &self,
        raw: &str,
        line_number: Option<&str>,
    ) -> Result<OwnerMatch, CallregError> {
        // Without a line (the common case) there is at most one key: no array of keys. The
        // key stays where it was returned (moving it right away stalls on the copy).
        let single = if line_number.is_none() { self.phones.key(raw) } else { None };
        let several = line_number.map(|_| CallerKeys::new(&self.phones, raw, line_number));
        let keys: &[PhoneKey] = match &several {
            None => single.as_slice(),
            Some(several) => several.as_slice(),
        };
        let mut found = OwnerMatch::default();
        self.store.read_only(&mut |tx| {
            let criteria = self.bitrix_criteria(raw, line_number);
            find_owners_into(tx, keys, Some(criteria), self.suffix_digits(), &mut found)
        })?;
        Ok(found)
    }

    /// The owners of a caller's keys ([`caller_keys`](crate::matching::caller_keys)) in an
    /// open transaction, every tier the
    /// configuration enables.
    pub(crate) fn find_owners_in(
        &self,
        tx: &mut dyn StoreTx,
        keys: &[PhoneKey],
        raw: &str,
        line_number: Option<&str>,
    ) -> Result<OwnerMatch, crate::store::StoreError> {
        let mut found = OwnerMatch::default();
        let criteria = self.bitrix_criteria(raw, line_number);
        find_owners_into(tx, keys, Some(criteria), self.suffix_digits(), &mut found)?;
        Ok(found)
    }

    /// What the Bitrix-code tier reads of a caller: the number as received and the line.
    pub(crate) fn bitrix_criteria<'a>(
        &'a self,
        raw: &'a str,
        line_number: Option<&'a str>,
    ) -> BitrixCriteria<'a> {
        BitrixCriteria { raw, line: line_number.map(|line| (&self.phones, line)) }
    }

    /// Tier 3's digit count, when it is on.
    pub(crate) fn suffix_digits(&self) -> Option<u8> {
        self.config.suffix_digits.filter(|&n| n > 0)
    }

    /// Every active (registered, unfinished) call.
    pub fn active_calls(&self) -> Result<Vec<ActiveCall>, CallregError> {
        self.read(|tx| tx.list_active_calls())
    }

    /// The statistics row of a finished call.
    pub fn call_record(&self, call_id: &CallId) -> Result<Option<CallRecord>, CallregError> {
        self.read(|tx| tx.call_record(call_id))
    }

    /// Every statistics row (finished call), oldest first.
    pub fn call_records(&self) -> Result<Vec<CallRecord>, CallregError> {
        self.read(|tx| tx.list_call_records())
    }

    /// A page of the statistics rows passing `filter`, oldest first: at most `limit` rows
    /// from offset `start`, and how many pass (`voximplant.statistic.get`). Only the page's
    /// rows are built, whatever the listing's length.
    pub fn call_records_page(
        &self,
        filter: &CallRecordFilter,
        start: usize,
        limit: usize,
    ) -> Result<Page<CallRecord>, CallregError> {
        self.read(|tx| tx.call_records_page(filter, start, limit))
    }

    /// The CRM activity with this id.
    pub fn activity(&self, id: u64) -> Result<Option<Activity>, CallregError> {
        self.read(|tx| tx.activity(id))
    }

    /// Every CRM activity, oldest first.
    pub fn activities(&self) -> Result<Vec<Activity>, CallregError> {
        self.read(|tx| tx.list_activities())
    }

    /// A page of the CRM activities passing `filter`, oldest first: at most `limit` from
    /// offset `start`, and how many pass (`crm.activity.list`). Only the page's activities
    /// are built, whatever the listing's length.
    pub fn activities_page(
        &self,
        filter: &ActivityFilter,
        start: usize,
        limit: usize,
    ) -> Result<Page<Activity>, CallregError> {
        self.read(|tx| tx.activities_page(filter, start, limit))
    }

    /// Every missed call, oldest first.
    pub fn missed_calls(&self) -> Result<Vec<MissedCall>, CallregError> {
        self.read(|tx| tx.list_missed_calls())
    }

    /// Up to `limit` pending outbox events, oldest first.
    pub fn pending_events(&self, limit: usize) -> Result<Vec<OutboxEvent>, CallregError> {
        self.read(|tx| tx.pending_events(limit))
    }

    /// Up to `limit` events of the outbox, claimed by a reader or not, oldest first.
    pub fn outbox_events(&self, limit: usize) -> Result<Vec<OutboxEvent>, CallregError> {
        self.read(|tx| tx.outbox_events(limit))
    }

    /// Acknowledges (removes) delivered events; returns how many were removed.
    pub fn acknowledge_events(&self, ids: &[u64]) -> Result<usize, CallregError> {
        self.in_transaction(|tx| Ok(tx.delete_events(ids)?))
    }
}

/// A phone as given to `add_*`: the value and its `VALUE_TYPE`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhoneInput {
    /// The number as typed.
    pub value: String,
    /// `WORK`, `MOBILE`, `HOME`, ...
    pub value_type: String,
}

impl PhoneInput {
    /// A `WORK` phone.
    pub fn work(value: impl Into<String>) -> Self {
        PhoneInput { value: value.into(), value_type: "WORK".into() }
    }
    /// A `MOBILE` phone.
    pub fn mobile(value: impl Into<String>) -> Self {
        PhoneInput { value: value.into(), value_type: "MOBILE".into() }
    }
}

/// A new employee.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewUser {
    /// `ACTIVE` (default true).
    pub active: bool,
    /// `EMAIL`.
    pub email: String,
    /// `NAME`.
    pub name: String,
    /// `LAST_NAME`.
    pub last_name: String,
    /// `UF_PHONE_INNER` (only its digits are kept).
    pub inner_phone: Option<String>,
    /// `WORK_PHONE`.
    pub work_phone: Option<String>,
    /// `PERSONAL_PHONE`.
    pub personal_phone: Option<String>,
    /// `PERSONAL_MOBILE`.
    pub personal_mobile: Option<String>,
    /// Administrator (holds every permission).
    pub admin: bool,
    /// Telephony permissions.
    pub permissions: BTreeSet<TelephonyPermission>,
}

impl Default for NewUser {
    fn default() -> Self {
        NewUser {
            active: true,
            email: String::new(),
            name: String::new(),
            last_name: String::new(),
            inner_phone: None,
            work_phone: None,
            personal_phone: None,
            personal_mobile: None,
            admin: false,
            permissions: BTreeSet::new(),
        }
    }
}

/// A new contact.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewContact {
    /// `NAME`.
    pub name: String,
    /// `LAST_NAME`.
    pub last_name: String,
    /// `COMPANY_ID`.
    pub company_id: Option<u64>,
    /// `ASSIGNED_BY_ID` (default user 1).
    pub assigned_by: Option<UserId>,
    /// `PHONE`.
    pub phones: Vec<PhoneInput>,
}

/// A new company.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewCompany {
    /// `TITLE`.
    pub title: String,
    /// `ASSIGNED_BY_ID` (default user 1).
    pub assigned_by: Option<UserId>,
    /// `PHONE`.
    pub phones: Vec<PhoneInput>,
}

/// A new lead.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewLead {
    /// `TITLE`.
    pub title: String,
    /// `NAME`.
    pub name: String,
    /// `STATUS_ID` (default `NEW`).
    pub status_id: Option<String>,
    /// `SOURCE_ID` (default `OTHER`).
    pub source_id: Option<String>,
    /// `ASSIGNED_BY_ID` (default user 1).
    pub assigned_by: Option<UserId>,
    /// `PHONE`.
    pub phones: Vec<PhoneInput>,
}

/// A new deal.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewDeal {
    /// `TITLE`.
    pub title: String,
    /// `CONTACT_ID`.
    pub contact_id: Option<u64>,
    /// `COMPANY_ID`.
    pub company_id: Option<u64>,
    /// `STAGE_ID` (default `NEW`, active; `WON` / `LOSE` close it).
    pub stage_id: Option<String>,
    /// `ASSIGNED_BY_ID` (default user 1).
    pub assigned_by: Option<UserId>,
}
