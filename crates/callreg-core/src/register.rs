//! `telephony.externalcall.register`: validation in Bitrix's order, dedup, number matching,
//! auto-creation and the call's events, all in one transaction.

use crate::auth::{AppId, Auth};
use crate::call_date::parse_call_start_date;
use crate::call_id::new_call_id;
use crate::config::CrmMode;
use crate::engine::Engine;
use crate::error::CallregError;
use crate::matching::{active_deals_of, caller_keys, telephony_code};
use crate::model::{
    ActiveCall, CallEntity, Contact, Deal, EventJson, Lead, Line, Phone, TelephonyPermission, User,
    event_names,
};
use crate::phone::{PhoneKey, strip_letters};
use crate::store::{CrmStore, StoreTx};
use crate::types::{CallId, CallType, EntityRef, EntityType, UserId, UserRef};
use chrono::{DateTime, Utc};

/// Longest stripped `PHONE_NUMBER` accepted (contract D8).
pub const MAX_PHONE_NUMBER: usize = 20;
/// Longest `EXTERNAL_CALL_ID` accepted.
pub const MAX_EXTERNAL_CALL_ID: usize = 64;
/// Longest `LINE_NUMBER` accepted (after trimming).
pub const MAX_LINE_NUMBER: usize = 50;

/// `LEAD_CREATION_ERROR` for employees' phones, extensions and the portal's own lines.
pub const LOCAL_NUMBER_REFUSAL: &str = "Lead creation is disabled for local users";
/// `LEAD_CREATION_ERROR` for numbers on the exclusion list.
pub const EXCLUDED_NUMBER_REFUSAL: &str = "The phone number is on the CRM exclusion list";

/// A registration as received: values are checked by [`Engine::register`] in Bitrix's order,
/// so they are kept here as the client sent them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegisterRequest {
    /// `USER_ID` after PHP's `(int)` cast; 0 means "use `USER_PHONE_INNER`".
    pub user_id: i64,
    /// `USER_PHONE_INNER`.
    pub user_phone_inner: Option<String>,
    /// `TYPE` as text (`"2"`, `" 02"`, `"2.0"`); checked by [`CallType::parse_loose`].
    pub call_type: Option<String>,
    /// `PHONE_NUMBER` as received.
    pub phone_number: String,
    /// `CALL_START_DATE`; absent or empty means now.
    pub call_start_date: Option<String>,
    /// `CRM_CREATE`.
    pub crm_create: bool,
    /// `CRM_SOURCE`.
    pub crm_source: Option<String>,
    /// `CRM_ENTITY_TYPE`; used only together with `crm_entity_id`.
    pub crm_entity_type: Option<String>,
    /// `CRM_ENTITY_ID`; used only together with `crm_entity_type`.
    pub crm_entity_id: Option<i64>,
    /// `SHOW` (default true).
    pub show: bool,
    /// `LINE_NUMBER`.
    pub line_number: Option<String>,
    /// `EXTERNAL_CALL_ID`. An empty one counts as not given: it identifies no call, and as
    /// the only dedup key (contract D4) it would make every call of a client that always sends
    /// the field (`EXTERNAL_CALL_ID=`) one call.
    pub external_call_id: Option<String>,
}

impl RegisterRequest {
    /// A request for `user` (an id, or an internal extension) about `phone_number` of `call_type`.
    pub fn new(user: UserRef, phone_number: impl Into<String>, call_type: CallType) -> Self {
        let (user_id, user_phone_inner) = match user {
            UserRef::Id(id) => (id, None),
            UserRef::Inner(inner) => (0, Some(inner)),
        };
        RegisterRequest {
            user_id,
            user_phone_inner,
            call_type: Some(call_type.code().to_string()),
            phone_number: phone_number.into(),
            call_start_date: None,
            crm_create: false,
            crm_source: None,
            crm_entity_type: None,
            crm_entity_id: None,
            show: true,
            line_number: None,
            external_call_id: None,
        }
    }

    /// An incoming call (`TYPE=2`) for user `user_id`.
    pub fn incoming(user_id: i64, phone_number: impl Into<String>) -> Self {
        Self::new(UserRef::Id(user_id), phone_number, CallType::Incoming)
    }

    /// An outgoing call (`TYPE=1`) for user `user_id`.
    pub fn outgoing(user_id: i64, phone_number: impl Into<String>) -> Self {
        Self::new(UserRef::Id(user_id), phone_number, CallType::Outgoing)
    }

    /// Sets `CRM_CREATE`.
    pub fn crm_create(mut self, on: bool) -> Self {
        self.crm_create = on;
        self
    }

    /// Sets `SHOW`.
    pub fn show(mut self, on: bool) -> Self {
        self.show = on;
        self
    }

    /// Sets `LINE_NUMBER`.
    pub fn line(mut self, number: impl Into<String>) -> Self {
        self.line_number = Some(number.into());
        self
    }

    /// Sets `EXTERNAL_CALL_ID`.
    pub fn external_call_id(mut self, id: impl Into<String>) -> Self {
        self.external_call_id = Some(id.into());
        self
    }

    /// `EXTERNAL_CALL_ID` when given and not empty.
    fn given_external_call_id(&self) -> Option<&str> {
        self.external_call_id.as_deref().filter(|id| !id.is_empty())
    }

    /// Sets `CALL_START_DATE`.
    pub fn start_date(mut self, date: impl Into<String>) -> Self {
        self.call_start_date = Some(date.into());
        self
    }

    /// Sets `CRM_SOURCE`.
    pub fn source(mut self, source: impl Into<String>) -> Self {
        self.crm_source = Some(source.into());
        self
    }

    /// Sets `CRM_ENTITY_TYPE` and `CRM_ENTITY_ID`.
    pub fn bind_to(mut self, entity_type: impl Into<String>, entity_id: i64) -> Self {
        self.crm_entity_type = Some(entity_type.into());
        self.crm_entity_id = Some(entity_id);
        self
    }
}

/// The result of a registration (Bitrix's `result`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegisterOutcome {
    /// `CALL_ID`.
    pub call_id: CallId,
    /// `CRM_CREATED_LEAD`: the lead this call created.
    pub created_lead: Option<u64>,
    /// `CRM_CREATED_ENTITIES`, in creation order.
    pub created_entities: Vec<EntityRef>,
    /// `CRM_ENTITY_TYPE` / `CRM_ENTITY_ID`: the primary entity.
    pub primary: Option<EntityRef>,
    /// `LEAD_CREATION_ERROR`: set only when a creation was attempted and refused.
    pub lead_creation_error: Option<String>,
    /// Whether an existing live call was returned instead of a new one.
    pub deduplicated: bool,
}

/// Inputs that passed validation.
struct ValidRegistration<'a> {
    user: User,
    call_type: CallType,
    start_date: DateTime<Utc>,
    caller_id: String,
    line_number: Option<&'a str>,
    explicit: Option<EntityRef>,
}

impl<S: CrmStore> Engine<S> {
    /// Registers a call (`telephony.externalcall.register`).
    ///
    /// Checks, in order: auth type, the acting user's permission (D7), the call's user,
    /// `TYPE`, `CALL_START_DATE`, `PHONE_NUMBER`, that the user is active, the length limits
    /// (D8) and an explicit CRM binding (D12). Then, in the same transaction: the line, the
    /// dedup (D4), the owner search, auto-creation, the call and its events. On any error
    /// nothing is stored.
    pub fn register(
        &self,
        auth: &Auth,
        request: &RegisterRequest,
    ) -> Result<RegisterOutcome, CallregError> {
        if !auth.kind.may_manage_calls() {
            return Err(CallregError::WrongAuthType);
        }
        let now = self.now();
        self.in_transaction(|tx| {
            self.check_permission(tx, auth)?;
            self.register_permitted(tx, auth, request, now)
        })
    }

    /// [`register`](Self::register)'s work after the auth type and the acting user's
    /// permission, in the open transaction `tx`.
    pub(crate) fn register_permitted(
        &self,
        tx: &mut dyn StoreTx,
        auth: &Auth,
        request: &RegisterRequest,
        now: DateTime<Utc>,
    ) -> Result<RegisterOutcome, CallregError> {
        let valid = self.validate_registration(tx, request, now)?;
        self.register_valid(tx, auth, request, valid, now)
    }

    /// The checks that come before any parameter of register and finish (contract §3a): the
    /// auth type, then the acting user's permission (D7). A wire layer runs this before it
    /// reads the parameters, so that a malformed parameter never hides a 403.
    pub fn authorize_call_command(&self, auth: &Auth) -> Result<(), CallregError> {
        if !auth.kind.may_manage_calls() {
            return Err(CallregError::WrongAuthType);
        }
        if !self.config().permission_check {
            return Ok(());
        }
        self.in_transaction(|tx| self.check_permission(tx, auth))
    }

    /// Contract D7: the acting user must hold `CALL_DETAIL_MODIFY` (administrators do).
    pub(crate) fn check_permission(
        &self,
        tx: &mut dyn StoreTx,
        auth: &Auth,
    ) -> Result<(), CallregError> {
        if !self.config().permission_check {
            return Ok(());
        }
        match tx.user(auth.user_id)? {
            Some(user) if user.active && user.can(TelephonyPermission::CallDetailModify) => Ok(()),
            _ => Err(CallregError::AccessDenied),
        }
    }

    /// Bitrix's user resolution: a non-zero `USER_ID` wins; otherwise the first active user
    /// with exactly this `USER_PHONE_INNER`. Returns the (not yet checked) user id.
    pub(crate) fn resolve_user_id(
        &self,
        tx: &mut dyn StoreTx,
        user_id: i64,
        inner: Option<&str>,
    ) -> Result<i64, CallregError> {
        if user_id != 0 {
            return Ok(user_id);
        }
        let Some(inner) = inner.filter(|i| !i.is_empty()) else {
            return Err(CallregError::UserNotSet);
        };
        for id in tx.find_users_by_inner_phone(inner)? {
            if tx.user(id)?.is_some_and(|u| u.active) {
                return Ok(i64::try_from(id.0).unwrap_or(i64::MAX));
            }
        }
        Err(CallregError::UserNotSet)
    }

    /// The call's user, which must exist and be active.
    pub(crate) fn active_user(
        &self,
        tx: &mut dyn StoreTx,
        user_id: i64,
    ) -> Result<User, CallregError> {
        let id = u64::try_from(user_id).map_err(|_| CallregError::UserNotActive)?;
        match tx.user(UserId(id))? {
            Some(user) if user.active => Ok(user),
            _ => Err(CallregError::UserNotActive),
        }
    }

    fn validate_registration<'a>(
        &self,
        tx: &mut dyn StoreTx,
        request: &'a RegisterRequest,
        now: DateTime<Utc>,
    ) -> Result<ValidRegistration<'a>, CallregError> {
        let user_id =
            self.resolve_user_id(tx, request.user_id, request.user_phone_inner.as_deref())?;
        let call_type = request
            .call_type
            .as_deref()
            .and_then(CallType::parse_loose)
            .ok_or(CallregError::UnknownType)?;
        let start_date = match request.call_start_date.as_deref() {
            None | Some("") => now,
            Some(text) => parse_call_start_date(text, self.config().time_zone)
                .map_err(|_| CallregError::InvalidStartDate)?,
        };
        let caller_id = strip_letters(&request.phone_number);
        // Bitrix refuses an empty result and "0"; a result without any digit ("+", "#") is no
        // number either, and would make a lead that no call can ever match.
        if caller_id == "0" || !caller_id.bytes().any(|b| b.is_ascii_digit()) {
            return Err(CallregError::UnsupportedPhoneNumber);
        }
        let user = self.active_user(tx, user_id)?;

        check_length("PHONE_NUMBER", &caller_id, MAX_PHONE_NUMBER)?;
        if let Some(id) = request.given_external_call_id() {
            check_length("EXTERNAL_CALL_ID", id, MAX_EXTERNAL_CALL_ID)?;
        }
        let line_number = request.line_number.as_deref().map(str::trim).filter(|l| !l.is_empty());
        if let Some(line) = line_number {
            check_length("LINE_NUMBER", line, MAX_LINE_NUMBER)?;
        }

        let explicit = match (&request.crm_entity_type, request.crm_entity_id) {
            (Some(entity_type), Some(entity_id)) => {
                Some(existing_entity(tx, entity_type, entity_id)?)
            }
            _ => None,
        };
        Ok(ValidRegistration { user, call_type, start_date, caller_id, line_number, explicit })
    }

    fn register_valid(
        &self,
        tx: &mut dyn StoreTx,
        auth: &Auth,
        request: &RegisterRequest,
        valid: ValidRegistration<'_>,
        now: DateTime<Utc>,
    ) -> Result<RegisterOutcome, CallregError> {
        let app = auth.app_id.as_ref();
        let line = match valid.line_number {
            Some(number) => Some(self.find_or_create_line(tx, app, number)?),
            None => None,
        };
        let keys = caller_keys(self.phones(), &request.phone_number, valid.line_number);
        // Contract D14: calls compare by E.164 key, and a number without one by its stripped
        // digits, whole (Bitrix's `CALLER_ID`, `+` aside). Its matching key cuts at the first
        // `#`, `,` or `;` after a digit, as Bitrix's CRM search does, so `#31#+79161234567` and
        // `#31#+79169999999` find the same records; they are still two calls.
        let caller_key = match keys.first() {
            Some(key @ PhoneKey::E164(_)) => key.to_storage(),
            _ => PhoneKey::Digits(valid.caller_id.replace('+', "")).to_storage(),
        };

        if let Some(existing) =
            self.find_live_duplicate(tx, app, request, &valid, line.as_ref(), &caller_key, now)?
        {
            if request.show {
                queue_card_show(tx, &existing, existing.user_id, now)?;
            }
            return Ok(RegisterOutcome {
                call_id: existing.call_id.clone(),
                created_lead: existing.created_lead,
                created_entities: existing.created_entities(),
                primary: existing.primary(),
                lead_creation_error: None,
                deduplicated: true,
            });
        }

        let call_id = new_call_id(now)
            .map_err(|e| CallregError::Store(crate::store::StoreError::other(e.to_string())))?;
        let portal_user = self.portal_user_of(tx, &valid.caller_id)?;

        let (primary, mut entities, excluded) = match valid.explicit {
            Some(entity) => {
                let mut entities = vec![CallEntity { entity, primary: true, created: false }];
                for deal in active_deals_of(tx, entity)? {
                    entities.push(CallEntity { entity: deal, primary: false, created: false });
                }
                (Some(entity), entities, false)
            }
            None => {
                let found =
                    self.find_owners_in(tx, &keys, &request.phone_number, valid.line_number)?;
                let entities = found
                    .bound
                    .iter()
                    .map(|&entity| CallEntity {
                        entity,
                        primary: Some(entity) == found.primary,
                        created: false,
                    })
                    .collect();
                (found.primary, entities, found.excluded)
            }
        };

        let mut outcome = RegisterOutcome {
            call_id: call_id.clone(),
            created_lead: None,
            created_entities: Vec::new(),
            primary,
            lead_creation_error: None,
            deduplicated: false,
        };
        if request.crm_create && primary.is_none() {
            if portal_user.is_some() || self.is_local_number(tx, &keys, &valid.caller_id)? {
                outcome.lead_creation_error = Some(LOCAL_NUMBER_REFUSAL.into());
            } else if excluded {
                outcome.lead_creation_error = Some(EXCLUDED_NUMBER_REFUSAL.into());
            } else {
                let created = self.create_for_unknown_caller(
                    tx,
                    request,
                    &valid,
                    line.as_ref(),
                    keys.first(),
                    now,
                )?;
                outcome.created_lead =
                    created.iter().find(|e| e.kind == EntityType::Lead).map(|e| e.id);
                outcome.primary = created.first().copied();
                entities = created
                    .iter()
                    .enumerate()
                    .map(|(i, &entity)| CallEntity { entity, primary: i == 0, created: true })
                    .collect();
                outcome.created_entities = created;
            }
        }

        let call = ActiveCall {
            call_id,
            app_id: auth.app_id.clone(),
            user_id: valid.user.id,
            caller_id: valid.caller_id.clone(),
            caller_key,
            call_type: valid.call_type,
            start_date: valid.start_date,
            registered_at: now,
            portal_user_id: portal_user,
            line_id: line.as_ref().map(|l| l.id),
            portal_number: match &line {
                Some(line) => line.number.clone(),
                None => format!("REST_APP:{}", app.map(AppId::as_str).unwrap_or("")),
            },
            external_call_id: request.given_external_call_id().map(str::to_string),
            entities,
            created_lead: outcome.created_lead,
        };
        insert_call_started(tx, &call, request.show, now)?;
        Ok(outcome)
    }

    /// Contract D4: with `EXTERNAL_CALL_ID`, only a live call of the same application with the
    /// same id; without it, Bitrix's key (user, number by E.164, type, application, line)
    /// within the window counted from registration time.
    #[allow(clippy::too_many_arguments)]
    fn find_live_duplicate(
        &self,
        tx: &mut dyn StoreTx,
        app: Option<&AppId>,
        request: &RegisterRequest,
        valid: &ValidRegistration<'_>,
        line: Option<&Line>,
        caller_key: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<ActiveCall>, CallregError> {
        if let Some(external_id) = request.given_external_call_id() {
            return Ok(tx.find_active_call_by_external_id(app, external_id)?);
        }
        let Some(window) = self.config().dedup_window else {
            return Ok(None);
        };
        // A window reaching before the calendar's start covers every live call.
        let since = now.checked_sub_signed(window).unwrap_or(DateTime::<Utc>::MIN_UTC);
        let found = tx.find_active_calls_by_caller(app, caller_key)?.into_iter().find(|call| {
            call.user_id == valid.user.id
                && call.call_type == valid.call_type
                && call.registered_at > since
                && line.is_none_or(|l| call.line_id == Some(l.id))
        });
        Ok(found)
    }

    /// The line `(app, number)`, created silently (no name, auto-create on) when unknown.
    pub(crate) fn find_or_create_line(
        &self,
        tx: &mut dyn StoreTx,
        app: Option<&AppId>,
        number: &str,
    ) -> Result<Line, CallregError> {
        if let Some(line) = tx.find_line(app, number)? {
            return Ok(line);
        }
        let mut line = Line {
            id: 0,
            app_id: app.cloned(),
            number: number.to_string(),
            name: None,
            crm_auto_create: true,
            key: self.phones().key(number),
        };
        line.id = tx.insert_line(&line)?;
        Ok(line)
    }

    /// The active employee whose internal extension is exactly this number: the call is then
    /// a portal call.
    fn portal_user_of(
        &self,
        tx: &mut dyn StoreTx,
        caller_id: &str,
    ) -> Result<Option<UserId>, CallregError> {
        for id in tx.find_users_by_inner_phone(caller_id)? {
            if tx.user(id)?.is_some_and(|u| u.active) {
                return Ok(Some(id));
            }
        }
        Ok(None)
    }

    /// Whether the number (`caller_id`, PHONE_NUMBER stripped, of keys `keys`) is an active
    /// employee's phone or one of the portal's own lines: by key, or as Bitrix compares a caller
    /// with employees' phones, the number itself or its telephony form
    /// ([`telephony_code`]: `16502530000` for `+1 650 253-0000`) against the telephony forms
    /// of the employees' phones, whatever the region reads them as.
    fn is_local_number(
        &self,
        tx: &mut dyn StoreTx,
        keys: &[PhoneKey],
        caller_id: &str,
    ) -> Result<bool, CallregError> {
        for key in keys {
            let employees = tx.find_users_by_phone_key(key)?;
            if any_active(tx, &employees)? || !tx.find_lines_by_key(key)?.is_empty() {
                return Ok(true);
            }
        }
        let code = telephony_code(caller_id);
        let as_written = (code.as_deref() != Some(caller_id)).then_some(caller_id);
        for form in code.as_deref().into_iter().chain(as_written) {
            let employees = tx.find_users_by_telephony_code(form)?;
            if any_active(tx, &employees)? {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Auto-creation for a caller nobody owns: a lead (classic mode) or a contact and a deal
    /// (simple mode). Returns the created entities, the primary first.
    fn create_for_unknown_caller(
        &self,
        tx: &mut dyn StoreTx,
        request: &RegisterRequest,
        valid: &ValidRegistration<'_>,
        line: Option<&Line>,
        key: Option<&PhoneKey>,
        now: DateTime<Utc>,
    ) -> Result<Vec<EntityRef>, CallregError> {
        let number = match key {
            Some(key) => self.phones().format_international(key),
            None => valid.caller_id.clone(),
        };
        let title = format!("{number} - {}", valid.call_type.lead_title_suffix());
        let phones = vec![Phone {
            value: valid.caller_id.clone(),
            value_type: "WORK".into(),
            key: key.cloned(),
        }];
        match self.config().crm_mode {
            CrmMode::Classic => {
                let source_id = self.lead_source(tx, request.crm_source.as_deref())?;
                let source_description = match line {
                    Some(line) => format!(
                        "Call routed to: {}.",
                        // The line's E.164 number; a line named otherwise (`line-1`) by
                        // its name, not by the digits in it.
                        line.key
                            .as_ref()
                            .and_then(PhoneKey::as_e164)
                            .map_or_else(|| line.number.clone(), |e| e.to_string())
                    ),
                    None => String::new(),
                };
                let lead = Lead {
                    id: 0,
                    title,
                    name: String::new(),
                    status_id: "NEW".into(),
                    source_id,
                    source_description,
                    assigned_by: valid.user.id,
                    phones,
                    created: now,
                    modified: now,
                };
                Ok(vec![EntityRef::lead(tx.insert_lead(&lead)?)])
            }
            CrmMode::Simple => {
                let contact = Contact {
                    id: 0,
                    name: number,
                    last_name: String::new(),
                    company_id: None,
                    assigned_by: valid.user.id,
                    phones,
                    created: now,
                    modified: now,
                };
                let contact_id = tx.insert_contact(&contact)?;
                let deal = Deal {
                    id: 0,
                    title,
                    contact_id: Some(contact_id),
                    company_id: None,
                    stage_id: "NEW".into(),
                    assigned_by: valid.user.id,
                    created: now,
                    modified: now,
                };
                let deal_id = tx.insert_deal(&deal)?;
                Ok(vec![EntityRef::contact(contact_id), EntityRef::deal(deal_id)])
            }
        }
    }

    /// `CRM_SOURCE` when it names an existing source, else `CALL`, else `OTHER`.
    fn lead_source(
        &self,
        tx: &mut dyn StoreTx,
        wanted: Option<&str>,
    ) -> Result<String, CallregError> {
        for candidate in wanted.into_iter().chain(["CALL"]) {
            if tx.source_exists(candidate)? {
                return Ok(candidate.to_string());
            }
        }
        Ok("OTHER".to_string())
    }
}

fn check_length(param: &'static str, value: &str, limit: usize) -> Result<(), CallregError> {
    if value.chars().count() > limit {
        return Err(CallregError::TooLong { param, limit });
    }
    Ok(())
}

/// Contract D12: an explicit binding must name an existing record of a known type.
fn existing_entity(
    tx: &mut dyn StoreTx,
    entity_type: &str,
    entity_id: i64,
) -> Result<EntityRef, CallregError> {
    let not_found =
        || CallregError::CrmEntityNotFound { entity_type: entity_type.to_string(), entity_id };
    let kind = EntityType::parse(entity_type).ok_or_else(not_found)?;
    let id = u64::try_from(entity_id).map_err(|_| not_found())?;
    let exists = match kind {
        EntityType::Contact => tx.contact(id)?.is_some(),
        EntityType::Company => tx.company(id)?.is_some(),
        EntityType::Lead => tx.lead(id)?.is_some(),
        EntityType::Deal => tx.deal(id)?.is_some(),
    };
    if exists { Ok(EntityRef { kind, id }) } else { Err(not_found()) }
}

/// Stores a new call with `OnVoximplantCallInit` and `OnVoximplantCallStart` (contract D9),
/// then, with `show`, the call card notification for the call's user; written in one go.
fn insert_call_started(
    tx: &mut dyn StoreTx,
    call: &ActiveCall,
    show: bool,
    now: DateTime<Utc>,
) -> Result<(), CallregError> {
    let mut number = NumberText::default();
    let init = EventJson::object()
        .text("CALL_ID", call.call_id.as_str())
        .text("CALL_TYPE", number.format(call.call_type.code()))
        .text("CALLER_ID", &call.caller_id)
        .optional("REST_APP_ID", call.app_id.as_ref().map(AppId::as_str))
        .finish();
    let start = EventJson::object()
        .text("CALL_ID", call.call_id.as_str())
        .text("USER_ID", number.format(call.user_id.0))
        .finish();
    let card = show.then(|| card_show_json(call, call.user_id));
    let mut events = vec![(event_names::CALL_INIT, &init), (event_names::CALL_START, &start)];
    if let Some(card) = &card {
        events.push((event_names::CARD_SHOW, card));
    }
    tx.insert_active_call_with_events(call, &events, now)?;
    Ok(())
}

/// The call card notification for one user.
pub(crate) fn queue_card_show(
    tx: &mut dyn StoreTx,
    call: &ActiveCall,
    user: UserId,
    now: DateTime<Utc>,
) -> Result<(), CallregError> {
    tx.push_events(&[(event_names::CARD_SHOW, &card_show_json(call, user))], now)?;
    Ok(())
}

/// The data of the call card notification for one user.
fn card_show_json(call: &ActiveCall, user: UserId) -> EventJson {
    let mut number = NumberText::default();
    let primary = call.primary();
    let primary_id = primary.map(|e| e.id.to_string());
    EventJson::object()
        .text("CALL_ID", call.call_id.as_str())
        .text("USER_ID", number.format(user.0))
        .text("PHONE_NUMBER", &call.caller_id)
        .text("PORTAL_NUMBER", &call.portal_number)
        .text("CALL_TYPE", number.format(call.call_type.code()))
        .text("CRM_ENTITY_TYPE", primary.map_or("", |e| e.kind.as_str()))
        .optional("CRM_ENTITY_ID", primary_id.as_deref())
        .finish()
}

/// Decimal text of unsigned integers, written into a buffer of its own (no allocation).
#[derive(Default)]
struct NumberText([u8; 20]);

impl NumberText {
    fn format(&mut self, value: impl Into<u64>) -> &str {
        let mut value: u64 = value.into();
        let mut at = self.0.len();
        loop {
            at -= 1;
            self.0[at] = b'0' + (value % 10) as u8;
            value /= 10;
            if value == 0 {
                break;
            }
        }
        std::str::from_utf8(&self.0[at..]).unwrap_or("0")
    }
}

/// Whether one of these users is active.
fn any_active(tx: &mut dyn StoreTx, users: &[UserId]) -> Result<bool, CallregError> {
    for &id in users {
        if tx.user(id)?.is_some_and(|u| u.active) {
            return Ok(true);
        }
    }
    Ok(false)
}
