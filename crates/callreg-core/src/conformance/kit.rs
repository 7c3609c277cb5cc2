//! Given / when / then helpers, so that a conformance case reads like the rule it checks.

use crate::Auth;
use crate::clock::ManualClock;
use crate::config::EngineConfig;
use crate::engine::{Engine, NewCompany, NewContact, NewDeal, NewLead, NewUser, PhoneInput};
use crate::error::CallregError;
use crate::model::{ActiveCall, Lead, OutboxEvent, TelephonyPermission};
use crate::register::{RegisterOutcome, RegisterRequest};
use crate::store::CrmStore;
use crate::types::{EntityRef, EntityType, UserId};
use chrono::{DateTime, Duration, TimeZone, Utc};
use std::sync::Arc;

/// A portal under test: an engine over a fresh store, with a clock the case moves by hand.
#[derive(Debug)]
pub struct Portal<S> {
    /// The engine.
    pub engine: Arc<Engine<S>>,
    /// The engine's clock.
    pub clock: Arc<ManualClock>,
}

/// The instant every portal's clock starts at.
pub fn start_time() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 10, 8, 0, 0).single().unwrap_or_default()
}

/// For a store that answers [`StoreTx::exclusion_list_is_empty`](crate::StoreTx) itself
/// (the default never says empty, which is always right): empty on a new store, not once a
/// number is added, empty again when that transaction is rolled back.
pub fn assert_exclusion_list_emptiness_is_exact<S: CrmStore>(store: &S) {
    let mut tx = store.begin().expect("a transaction");
    assert!(tx.exclusion_list_is_empty().expect("answered"), "a new store's list is empty");
    let key = crate::phone::PhoneKey::from_storage("+74951234567").expect("a key");
    tx.insert_exclusion(&key).expect("added");
    assert!(!tx.exclusion_list_is_empty().expect("answered"));
    drop(tx);
    let mut tx = store.begin().expect("a transaction");
    assert!(tx.exclusion_list_is_empty().expect("answered"), "rolled back");
}

/// A live call as a store holds it, for cases that write one straight into a transaction:
/// an incoming call of user 1 from the service number `112`, without application, line,
/// `EXTERNAL_CALL_ID` or bindings, registered at [`start_time`].
pub fn sample_active_call(call_id: &str) -> ActiveCall {
    ActiveCall {
        call_id: crate::types::CallId::new(call_id),
        app_id: None,
        user_id: UserId(1),
        caller_id: "112".into(),
        caller_key: "=112".into(),
        call_type: crate::types::CallType::Incoming,
        start_date: start_time(),
        registered_at: start_time(),
        portal_user_id: None,
        line_id: None,
        portal_number: "REST_APP:".into(),
        external_call_id: None,
        entities: Vec::new(),
        created_lead: None,
    }
}

impl<S: CrmStore> Portal<S> {
    /// A new portal with the default configuration.
    pub fn new(store: S) -> Self {
        Self::with_config(store, EngineConfig::default())
    }

    /// A new portal with `config`.
    pub fn with_config(store: S, config: EngineConfig) -> Self {
        let clock = Arc::new(ManualClock::new(start_time()));
        let engine = Engine::with_clock(store, config, clock.clone()).expect("a new portal starts");
        Portal { engine: Arc::new(engine), clock }
    }

    /// Moves the clock forward.
    pub fn advance_minutes(&self, minutes: i64) {
        self.clock.advance(Duration::minutes(minutes));
    }

    // ---- given ---------------------------------------------------------------------

    /// An active employee with this extension and mobile; returns the id.
    pub fn given_employee(&self, inner: &str, mobile: Option<&str>) -> UserId {
        self.given_user(NewUser {
            inner_phone: Some(inner.into()),
            personal_mobile: mobile.map(Into::into),
            permissions: [TelephonyPermission::CallDetailModify].into(),
            ..NewUser::default()
        })
    }

    /// A user as described.
    pub fn given_user(&self, user: NewUser) -> UserId {
        self.engine.add_user(&user).expect("user added")
    }

    /// A contact with these phones.
    pub fn given_contact(&self, name: &str, phones: &[&str]) -> u64 {
        let phones = phones.iter().map(|p| PhoneInput::work(*p)).collect();
        let contact = NewContact { name: name.into(), phones, ..NewContact::default() };
        self.engine.add_contact(&contact).expect("contact added")
    }

    /// A company with these phones.
    pub fn given_company(&self, title: &str, phones: &[&str]) -> u64 {
        let phones = phones.iter().map(|p| PhoneInput::work(*p)).collect();
        let company = NewCompany { title: title.into(), phones, ..NewCompany::default() };
        self.engine.add_company(&company).expect("company added")
    }

    /// A lead with this status and phones.
    pub fn given_lead(&self, title: &str, status: &str, phones: &[&str]) -> u64 {
        let phones = phones.iter().map(|p| PhoneInput::work(*p)).collect();
        let lead = NewLead {
            title: title.into(),
            status_id: Some(status.into()),
            phones,
            ..NewLead::default()
        };
        self.engine.add_lead(&lead).expect("lead added")
    }

    /// A deal of a contact or company in this stage.
    pub fn given_deal(&self, owner: EntityRef, stage: &str) -> u64 {
        let deal = NewDeal {
            title: format!("Deal of {owner}"),
            contact_id: (owner.kind == EntityType::Contact).then_some(owner.id),
            company_id: (owner.kind == EntityType::Company).then_some(owner.id),
            stage_id: Some(stage.into()),
            ..NewDeal::default()
        };
        self.engine.add_deal(&deal).expect("deal added")
    }

    /// A number on the exclusion list.
    pub fn given_excluded(&self, number: &str) {
        assert!(self.engine.add_exclusion(number).expect("exclusion added"));
    }

    // ---- when ----------------------------------------------------------------------

    /// Registers through a webhook of user 1 (the administrator).
    pub fn register(&self, request: &RegisterRequest) -> Result<RegisterOutcome, CallregError> {
        self.engine.register(&Auth::webhook(1), request)
    }

    /// Registers as `auth`.
    pub fn register_as(
        &self,
        auth: &Auth,
        request: &RegisterRequest,
    ) -> Result<RegisterOutcome, CallregError> {
        self.engine.register(auth, request)
    }

    /// Registers and expects success.
    pub fn registered(&self, request: &RegisterRequest) -> RegisterOutcome {
        match self.register(request) {
            Ok(outcome) => outcome,
            Err(e) => panic!("register failed: {e} ({:?})", e.kind()),
        }
    }

    // ---- then ----------------------------------------------------------------------

    /// The lead with this id.
    pub fn lead(&self, id: u64) -> Lead {
        self.engine.lead(id).expect("store readable").expect("lead exists")
    }

    /// Ids of all leads.
    pub fn leads(&self) -> Vec<u64> {
        self.engine.entity_ids(EntityType::Lead).expect("store readable")
    }

    /// Ids of all records of a type.
    pub fn entities(&self, kind: EntityType) -> Vec<u64> {
        self.engine.entity_ids(kind).expect("store readable")
    }

    /// Every active call.
    pub fn active_calls(&self) -> Vec<ActiveCall> {
        self.engine.active_calls().expect("store readable")
    }

    /// The active call with this id.
    pub fn active_call(&self, outcome: &RegisterOutcome) -> ActiveCall {
        self.active_calls()
            .into_iter()
            .find(|c| c.call_id == outcome.call_id)
            .expect("the call is active")
    }

    /// Every pending event.
    pub fn events(&self) -> Vec<OutboxEvent> {
        self.engine.pending_events(usize::MAX).expect("store readable")
    }

    /// Names of pending events, oldest first.
    pub fn event_names(&self) -> Vec<String> {
        self.events().into_iter().map(|e| e.name).collect()
    }

    /// Acknowledges every pending event.
    pub fn clear_events(&self) {
        let ids: Vec<u64> = self.events().iter().map(|e| e.id).collect();
        self.engine.acknowledge_events(&ids).expect("events acknowledged");
    }
}

/// Asserts that a result is the error with this wire description and code.
#[track_caller]
pub fn assert_refused<T: std::fmt::Debug>(
    result: Result<T, CallregError>,
    code: &str,
    description: &str,
) {
    match result {
        Ok(value) => panic!("expected {code} {description:?}, got success {value:?}"),
        Err(e) => {
            assert_eq!(e.to_string(), description, "description");
            assert_eq!(e.code(), code, "code of {description:?}");
        }
    }
}
