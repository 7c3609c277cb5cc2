//! The CRM and user methods a user needs to set up and inspect a portal, in Bitrix's shapes:
//! `add` takes `{"fields": {...}}` and returns the id as a JSON number, `get` takes `{"id": N}`,
//! `list` takes a Bitrix `filter`.

use crate::params::{Params, php_int, scalar_text};
use crate::{
    Handled, Listed, PAGE_SIZE, WireError, empty_page, iso_in_zone, page, page_reply, start_of,
};
use callreg_core::matching::caller_keys;
use callreg_core::model::{
    Activity, Company, Contact, Deal, Lead, Phone, Semantics, TelephonyPermission, User,
};
use callreg_core::store::{ActivityFilter, Page, StoreResult, StoreTx};
use callreg_core::{
    Auth, CrmStore, Engine, EntityType, NewCompany, NewContact, NewDeal, NewLead, NewUser,
    PhoneInput, UserId,
};
use chrono_tz::Tz;
use serde_json::{Map, Value, json};
use std::collections::BTreeSet;

// ---- users ---------------------------------------------------------------------------

/// `user.add`: Bitrix's user fields (top level, or under `fields`) plus `ADMIN` and
/// `TELEPHONY_PERMISSIONS`. Only administrators may add users (when permissions are checked).
pub(crate) fn user_add<S: CrmStore>(engine: &Engine<S>, auth: &Auth, p: Params<'_>) -> Handled {
    if engine.config().permission_check {
        let acting = engine.user(auth.user_id)?;
        if !acting.is_some_and(|u| u.active && u.admin) {
            return Err(WireError::access_denied());
        }
    }
    let f = p.object("fields")?.unwrap_or(p);
    let mut permissions = BTreeSet::new();
    match f.get("TELEPHONY_PERMISSIONS") {
        None => {}
        Some(Value::Array(items)) => {
            for item in items {
                let name = item.as_str().unwrap_or_default();
                let permission = TelephonyPermission::parse(name).ok_or_else(|| {
                    WireError::argument(format!("TELEPHONY_PERMISSIONS: unknown permission {item}"))
                })?;
                permissions.insert(permission);
            }
        }
        Some(_) => return Err(WireError::argument("TELEPHONY_PERMISSIONS should be an array")),
    }
    let user = NewUser {
        active: f.yes_no("ACTIVE")?.unwrap_or(true),
        email: f.string("EMAIL")?.unwrap_or_default(),
        name: f.string("NAME")?.unwrap_or_default(),
        last_name: f.string("LAST_NAME")?.unwrap_or_default(),
        inner_phone: f.string("UF_PHONE_INNER")?,
        work_phone: f.string("WORK_PHONE")?,
        personal_phone: f.string("PERSONAL_PHONE")?,
        personal_mobile: f.string("PERSONAL_MOBILE")?,
        admin: f.yes_no("ADMIN")?.unwrap_or(false),
        permissions,
    };
    if let Some(inner) = &user.inner_phone
        && !inner.is_empty()
        && !inner.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(WireError::argument("UF_PHONE_INNER should contain only digits"));
    }
    Ok(json!(engine.add_user(&user)?.0))
}

/// `user.get`: filtered by `ID`, `ACTIVE` and `UF_PHONE_INNER`, given in `FILTER` (any case)
/// or, as Bitrix reads them without one, as the parameters themselves; else every user.
pub(crate) fn user_get<S: CrmStore>(engine: &Engine<S>, p: Params<'_>) -> Listed {
    const SUPPORTED: &[&str] = &["ID", "ACTIVE", "UF_PHONE_INNER"];
    /// Parameters that are no filter when there is no `FILTER`.
    const CONTROL: &[&str] = &["start", "sort", "order", "admin_mode", "filter"];
    let start = start_of(&p)?;
    let (filter, top_level) = match p.get_ignore_case("FILTER") {
        Some(value @ Value::Object(_)) => (Params::new(value), false),
        Some(Value::Array(items)) if items.is_empty() => (p, true),
        Some(_) => return Err(WireError::argument("FILTER should be an object")),
        None => (p, true),
    };
    let is_control = |key: &str| top_level && CONTROL.iter().any(|c| c.eq_ignore_ascii_case(key));
    only_filters(filter.keys().filter(|key| !is_control(key)), SUPPORTED, true)?;
    let in_filter = |name: &str| filter.get_ignore_case(name);
    let wanted = in_filter("ID");
    let ids = id_filter(wanted, "ID")?;
    let active = match in_filter("ACTIVE") {
        None => None,
        Some(value) => Some(
            crate::params::parse_flag(value)
                .ok_or_else(|| WireError::argument("FILTER ACTIVE should be true or false"))?,
        ),
    };
    let inner = match in_filter("UF_PHONE_INNER") {
        None => None,
        Some(value) => Some(
            scalar_text(value)
                .ok_or_else(|| WireError::argument("FILTER UF_PHONE_INNER should be a string"))?,
        ),
    };
    let users = engine.users()?;
    let matching: Vec<&User> = users
        .iter()
        .filter(|u| ids.as_ref().is_none_or(|ids| ids.contains(&u.id.0)))
        .filter(|u| active.is_none_or(|a| u.active == a))
        .filter(|u| inner.as_ref().is_none_or(|i| u.inner_phone.as_ref() == Some(i)))
        .collect();
    Ok(page(&matching, start, |u| user_json(u)))
}

fn user_json(user: &User) -> Value {
    json!({
        "ID": user.id.0.to_string(),
        "ACTIVE": user.active,
        "EMAIL": user.email,
        "NAME": user.name,
        "LAST_NAME": user.last_name,
        "UF_PHONE_INNER": user.inner_phone,
        "WORK_PHONE": user.phone("WORK_PHONE"),
        "PERSONAL_PHONE": user.phone("PERSONAL_PHONE"),
        "PERSONAL_MOBILE": user.phone("PERSONAL_MOBILE"),
        "ADMIN": if user.admin { "Y" } else { "N" },
        "TELEPHONY_PERMISSIONS": user.permissions.iter().map(|p| p.as_str()).collect::<Vec<_>>(),
    })
}

// ---- shared helpers ------------------------------------------------------------------

/// The `fields` object of an `add` (`fields`, `FIELDS`, `Fields` or `arFields`, as Bitrix).
fn fields<'a>(p: Params<'a>) -> Result<Params<'a>, WireError> {
    p.crm_array("fields")?.ok_or_else(|| WireError::argument("fields should be an object"))
}

/// The `id` of a `get` (Bitrix also accepts `ID`).
fn get_id(p: &Params<'_>) -> Result<u64, WireError> {
    let value = p.get("id").or_else(|| p.get("ID"));
    value
        .and_then(php_int)
        .and_then(|id| u64::try_from(id).ok())
        .filter(|id| *id > 0)
        .ok_or_else(|| WireError::rule("ID is not defined or invalid."))
}

/// An id filter: one id, or an array of ids.
fn id_filter(value: Option<&Value>, name: &str) -> Result<Option<Vec<u64>>, WireError> {
    let invalid =
        || WireError::argument(format!("filter {name} should be an id or an array of ids"));
    match value {
        None => Ok(None),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| php_int(v).and_then(|id| u64::try_from(id).ok()).ok_or_else(invalid))
            .collect::<Result<Vec<u64>, _>>()
            .map(Some),
        Some(v) => {
            Ok(Some(vec![php_int(v).and_then(|id| u64::try_from(id).ok()).ok_or_else(invalid)?]))
        }
    }
}

/// The `filter` of a `list` (`filter`, `FILTER`, `Filter` or `arFilter`, as Bitrix), with
/// only the `supported` keys: answering as if another key were absent would list records the
/// caller meant to leave out.
fn filter<'a>(p: &Params<'a>, supported: &[&str]) -> Result<Option<Params<'a>>, WireError> {
    let filter = p.crm_array("filter")?;
    only_filters(filter.iter().flat_map(|f| f.keys()), supported, false)?;
    Ok(filter)
}

/// Refuses a filter key outside `supported` (compared ignoring case when `any_case`).
pub(crate) fn only_filters<'a>(
    mut keys: impl Iterator<Item = &'a str>,
    supported: &[&str],
    any_case: bool,
) -> Result<(), WireError> {
    let known = |key: &str| {
        supported.iter().any(|s| if any_case { s.eq_ignore_ascii_case(key) } else { *s == key })
    };
    match keys.find(|key| !known(key)) {
        Some(key) => Err(WireError::argument(format!(
            "filter {key} is not supported: the supported keys are {}",
            supported.join(", ")
        ))),
        None => Ok(()),
    }
}

/// `PHONE` as Bitrix multifields: `[{"VALUE": ..., "VALUE_TYPE": ...}]`, or keyed objects.
fn phone_inputs(f: &Params<'_>) -> Result<Vec<PhoneInput>, WireError> {
    let invalid = || WireError::argument("PHONE should be an array of {VALUE, VALUE_TYPE}");
    let items: Vec<&Value> = match f.get("PHONE") {
        None => return Ok(Vec::new()),
        Some(Value::Array(items)) => items.iter().collect(),
        Some(Value::Object(items)) => items.values().collect(),
        Some(Value::String(single)) if single.trim().is_empty() => return Ok(Vec::new()),
        Some(Value::String(single)) => return Ok(vec![PhoneInput::work(single.clone())]),
        Some(_) => return Err(invalid()),
    };
    let mut phones = Vec::with_capacity(items.len());
    for item in items {
        let object = item.as_object().ok_or_else(invalid)?;
        let value = object.get("VALUE").and_then(scalar_text).ok_or_else(invalid)?;
        // Bitrix's multifields skip an empty value.
        if value.trim().is_empty() {
            continue;
        }
        let value_type = object.get("VALUE_TYPE").and_then(Value::as_str).unwrap_or("WORK");
        phones.push(PhoneInput { value, value_type: value_type.to_string() });
    }
    Ok(phones)
}

fn phones_json(phones: &[Phone]) -> Value {
    Value::Array(
        phones
            .iter()
            .enumerate()
            .map(|(i, p)| {
                json!({"ID": (i + 1).to_string(), "VALUE_TYPE": p.value_type, "VALUE": p.value, "TYPE_ID": "PHONE"})
            })
            .collect(),
    )
}

/// `ASSIGNED_BY_ID`, defaulting to the acting user.
fn assigned_by(f: &Params<'_>, auth: &Auth) -> Result<Option<UserId>, WireError> {
    match f.opt_int("ASSIGNED_BY_ID")? {
        None => Ok(Some(auth.user_id)),
        Some(id) => u64::try_from(id)
            .ok()
            .filter(|id| *id > 0)
            .map(|id| Some(UserId(id)))
            .ok_or_else(|| WireError::argument("ASSIGNED_BY_ID should be a user id")),
    }
}

/// A reference field (`COMPANY_ID`, `CONTACT_ID`) that must name an existing record.
fn reference<S: CrmStore>(
    engine: &Engine<S>,
    f: &Params<'_>,
    name: &str,
    kind: EntityType,
) -> Result<Option<u64>, WireError> {
    let Some(id) = f.opt_int(name)? else {
        return Ok(None);
    };
    if id == 0 {
        return Ok(None);
    }
    let id =
        u64::try_from(id).map_err(|_| WireError::argument(format!("{name} should be an id")))?;
    let exists = match kind {
        EntityType::Contact => engine.contact(id)?.is_some(),
        EntityType::Company => engine.company(id)?.is_some(),
        EntityType::Lead => engine.lead(id)?.is_some(),
        EntityType::Deal => engine.deal(id)?.is_some(),
    };
    if !exists {
        return Err(WireError::argument(format!("{name} {id} is not found")));
    }
    Ok(Some(id))
}

/// One page of the records of `kind` passing a list filter (`ID`, `PHONE` by the number's key
/// as tier 1 matches a caller, and `keep`, when the filter has conditions on the records'
/// fields), read in one transaction, ascending ids. Without `keep`, only the page's records
/// are read.
fn list_page<S: CrmStore, T>(
    engine: &Engine<S>,
    kind: EntityType,
    p: &Params<'_>,
    supported: &[&str],
    fetch: impl Fn(&mut dyn StoreTx, u64) -> StoreResult<Option<T>>,
    keep: Option<&dyn Fn(&T) -> bool>,
    to_json: impl Fn(&T) -> Value,
) -> Listed {
    let filter = filter(p, supported)?;
    let start = start_of(p)?;
    let keys = match filter.and_then(|f| f.get("PHONE")) {
        Some(phone) => {
            let number = scalar_text(phone)
                .ok_or_else(|| WireError::argument("filter PHONE should be a string"))?;
            Some(caller_keys(engine.phones(), &number, None))
        }
        None => None,
    };
    let wanted = id_filter(filter.and_then(|f| f.get("ID")), "ID")?;
    let records = engine.read(|tx| {
        let mut ids = match &keys {
            Some(keys) => {
                let mut ids = Vec::new();
                for key in keys {
                    let found = tx.find_entities_by_phone_key(key)?;
                    ids.extend(found.into_iter().filter(|e| e.kind == kind).map(|e| e.id));
                }
                ids.sort_unstable();
                ids.dedup();
                ids
            }
            None => tx.list_entities(kind)?,
        };
        if let Some(wanted) = &wanted {
            ids.retain(|id| wanted.contains(id));
        }
        let Some(keep) = keep else {
            // Every id listed is a record of the listing.
            let mut items = Vec::with_capacity(PAGE_SIZE.min(ids.len()));
            for &id in ids.iter().skip(start).take(PAGE_SIZE) {
                items.extend(fetch(tx, id)?);
            }
            return Ok(Page { items, total: ids.len() });
        };
        let mut records = Vec::new();
        for id in ids {
            if let Some(record) = fetch(tx, id)?
                && keep(&record)
            {
                records.push(record);
            }
        }
        Ok(Page::of(records, start, PAGE_SIZE))
    })?;
    Ok(page_reply(records, start, to_json))
}

fn not_found() -> WireError {
    WireError::rule("Not found")
}

fn time(zone: Tz, at: chrono::DateTime<chrono::Utc>) -> String {
    iso_in_zone(at, zone)
}

fn opt_id(id: Option<u64>) -> Value {
    json!(id.map(|id| id.to_string()))
}

// ---- contacts --------------------------------------------------------------------------

pub(crate) fn contact_add<S: CrmStore>(engine: &Engine<S>, auth: &Auth, p: Params<'_>) -> Handled {
    let f = fields(p)?;
    let contact = NewContact {
        name: f.string("NAME")?.unwrap_or_default(),
        last_name: f.string("LAST_NAME")?.unwrap_or_default(),
        company_id: reference(engine, &f, "COMPANY_ID", EntityType::Company)?,
        assigned_by: assigned_by(&f, auth)?,
        phones: phone_inputs(&f)?,
    };
    Ok(json!(engine.add_contact(&contact)?))
}

fn contact_json(zone: Tz, c: &Contact) -> Value {
    json!({
        "ID": c.id.to_string(),
        "NAME": c.name,
        "LAST_NAME": c.last_name,
        "COMPANY_ID": opt_id(c.company_id),
        "ASSIGNED_BY_ID": c.assigned_by.0.to_string(),
        "DATE_CREATE": time(zone, c.created),
        "DATE_MODIFY": time(zone, c.modified),
        "HAS_PHONE": if c.phones.is_empty() { "N" } else { "Y" },
        "PHONE": phones_json(&c.phones),
    })
}

pub(crate) fn contact_get<S: CrmStore>(engine: &Engine<S>, p: Params<'_>) -> Handled {
    let contact = engine.contact(get_id(&p)?)?.ok_or_else(not_found)?;
    Ok(contact_json(engine.config().time_zone, &contact))
}

pub(crate) fn contact_list<S: CrmStore>(engine: &Engine<S>, p: Params<'_>) -> Listed {
    let zone = engine.config().time_zone;
    list_page(
        engine,
        EntityType::Contact,
        &p,
        &["ID", "PHONE"],
        |tx, id| tx.contact(id),
        None,
        |c| contact_json(zone, c),
    )
}

// ---- companies -------------------------------------------------------------------------

pub(crate) fn company_add<S: CrmStore>(engine: &Engine<S>, auth: &Auth, p: Params<'_>) -> Handled {
    let f = fields(p)?;
    let company = NewCompany {
        title: f.string("TITLE")?.unwrap_or_default(),
        assigned_by: assigned_by(&f, auth)?,
        phones: phone_inputs(&f)?,
    };
    Ok(json!(engine.add_company(&company)?))
}

fn company_json(zone: Tz, c: &Company) -> Value {
    json!({
        "ID": c.id.to_string(),
        "TITLE": c.title,
        "ASSIGNED_BY_ID": c.assigned_by.0.to_string(),
        "DATE_CREATE": time(zone, c.created),
        "DATE_MODIFY": time(zone, c.modified),
        "HAS_PHONE": if c.phones.is_empty() { "N" } else { "Y" },
        "PHONE": phones_json(&c.phones),
    })
}

pub(crate) fn company_get<S: CrmStore>(engine: &Engine<S>, p: Params<'_>) -> Handled {
    let company = engine.company(get_id(&p)?)?.ok_or_else(not_found)?;
    Ok(company_json(engine.config().time_zone, &company))
}

pub(crate) fn company_list<S: CrmStore>(engine: &Engine<S>, p: Params<'_>) -> Listed {
    let zone = engine.config().time_zone;
    list_page(
        engine,
        EntityType::Company,
        &p,
        &["ID", "PHONE"],
        |tx, id| tx.company(id),
        None,
        |c| company_json(zone, c),
    )
}

// ---- leads -----------------------------------------------------------------------------

pub(crate) fn lead_add<S: CrmStore>(engine: &Engine<S>, auth: &Auth, p: Params<'_>) -> Handled {
    let f = fields(p)?;
    // An empty status or source takes the default (`NEW`, `OTHER`).
    let given = |name: &str| -> Result<Option<String>, WireError> {
        Ok(f.string(name)?.filter(|value| !value.trim().is_empty()))
    };
    let source_id = given("SOURCE_ID")?;
    if let Some(source) = &source_id
        && !engine.read(|tx| tx.source_exists(source))?
    {
        return Err(WireError::argument(format!("SOURCE_ID {source} is not found")));
    }
    let lead = NewLead {
        title: f.string("TITLE")?.unwrap_or_default(),
        name: f.string("NAME")?.unwrap_or_default(),
        status_id: given("STATUS_ID")?,
        source_id,
        assigned_by: assigned_by(&f, auth)?,
        phones: phone_inputs(&f)?,
    };
    Ok(json!(engine.add_lead(&lead)?))
}

fn lead_json(zone: Tz, l: &Lead) -> Value {
    let semantic = match Semantics::of_lead_status(&l.status_id) {
        Semantics::InProcess => "P",
        Semantics::Success => "S",
        Semantics::Failure => "F",
    };
    json!({
        "ID": l.id.to_string(),
        "TITLE": l.title,
        "NAME": l.name,
        "STATUS_ID": l.status_id,
        "STATUS_SEMANTIC_ID": semantic,
        "SOURCE_ID": l.source_id,
        "SOURCE_DESCRIPTION": l.source_description,
        "ASSIGNED_BY_ID": l.assigned_by.0.to_string(),
        "DATE_CREATE": time(zone, l.created),
        "DATE_MODIFY": time(zone, l.modified),
        "HAS_PHONE": if l.phones.is_empty() { "N" } else { "Y" },
        "PHONE": phones_json(&l.phones),
    })
}

pub(crate) fn lead_get<S: CrmStore>(engine: &Engine<S>, p: Params<'_>) -> Handled {
    let lead = engine.lead(get_id(&p)?)?.ok_or_else(not_found)?;
    Ok(lead_json(engine.config().time_zone, &lead))
}

pub(crate) fn lead_list<S: CrmStore>(engine: &Engine<S>, p: Params<'_>) -> Listed {
    let zone = engine.config().time_zone;
    const SUPPORTED: &[&str] = &["ID", "PHONE", "STATUS_ID"];
    let status = filter(&p, SUPPORTED)?.map(|f| f.string("STATUS_ID")).transpose()?.flatten();
    let keep = |l: &Lead| status.as_ref().is_none_or(|s| &l.status_id == s);
    let lead = |tx: &mut dyn StoreTx, id| tx.lead(id);
    let keep = status.is_some().then_some(&keep as &dyn Fn(&Lead) -> bool);
    list_page(engine, EntityType::Lead, &p, SUPPORTED, lead, keep, |l| lead_json(zone, l))
}

// ---- deals -----------------------------------------------------------------------------

pub(crate) fn deal_add<S: CrmStore>(engine: &Engine<S>, auth: &Auth, p: Params<'_>) -> Handled {
    let f = fields(p)?;
    let deal = NewDeal {
        title: f.string("TITLE")?.unwrap_or_default(),
        contact_id: reference(engine, &f, "CONTACT_ID", EntityType::Contact)?,
        company_id: reference(engine, &f, "COMPANY_ID", EntityType::Company)?,
        stage_id: f.string("STAGE_ID")?,
        assigned_by: assigned_by(&f, auth)?,
    };
    Ok(json!(engine.add_deal(&deal)?))
}

fn deal_json(zone: Tz, d: &Deal) -> Value {
    let semantic = match Semantics::of_deal_stage(&d.stage_id) {
        Semantics::InProcess => "P",
        Semantics::Success => "S",
        Semantics::Failure => "F",
    };
    json!({
        "ID": d.id.to_string(),
        "TITLE": d.title,
        "CONTACT_ID": opt_id(d.contact_id),
        "COMPANY_ID": opt_id(d.company_id),
        "STAGE_ID": d.stage_id,
        "STAGE_SEMANTIC_ID": semantic,
        "CLOSED": if semantic == "P" { "N" } else { "Y" },
        "ASSIGNED_BY_ID": d.assigned_by.0.to_string(),
        "DATE_CREATE": time(zone, d.created),
        "DATE_MODIFY": time(zone, d.modified),
    })
}

pub(crate) fn deal_get<S: CrmStore>(engine: &Engine<S>, p: Params<'_>) -> Handled {
    let deal = engine.deal(get_id(&p)?)?.ok_or_else(not_found)?;
    Ok(deal_json(engine.config().time_zone, &deal))
}

pub(crate) fn deal_list<S: CrmStore>(engine: &Engine<S>, p: Params<'_>) -> Listed {
    // `PHONE` too, as every CRM list takes it (contract): deals have no phones.
    const SUPPORTED: &[&str] = &["ID", "PHONE", "CONTACT_ID", "COMPANY_ID"];
    let zone = engine.config().time_zone;
    let filter = filter(&p, SUPPORTED)?;
    let contact = id_filter(filter.and_then(|f| f.get("CONTACT_ID")), "CONTACT_ID")?;
    let company = id_filter(filter.and_then(|f| f.get("COMPANY_ID")), "COMPANY_ID")?;
    let owner_matches = |wanted: &Option<Vec<u64>>, value: Option<u64>| {
        wanted.as_ref().is_none_or(|ids| value.is_some_and(|v| ids.contains(&v)))
    };
    let keep =
        |d: &Deal| owner_matches(&contact, d.contact_id) && owner_matches(&company, d.company_id);
    let deal = |tx: &mut dyn StoreTx, id| tx.deal(id);
    let keep = (contact.is_some() || company.is_some()).then_some(&keep as &dyn Fn(&Deal) -> bool);
    list_page(engine, EntityType::Deal, &p, SUPPORTED, deal, keep, |d| deal_json(zone, d))
}

// ---- activities and statuses -----------------------------------------------------------

/// `crm.activity.list` with `filter` by `OWNER_TYPE_ID` / `OWNER_ID` (any binding) and `ORIGIN_ID`.
pub(crate) fn activity_list<S: CrmStore>(engine: &Engine<S>, p: Params<'_>) -> Listed {
    let start = start_of(&p)?;
    let filter = filter(&p, &["OWNER_TYPE_ID", "OWNER_ID", "ORIGIN_ID"])?;
    let owner_type =
        match filter.map(|f| f.opt_int("OWNER_TYPE_ID")).transpose()?.flatten() {
            Some(id) => Some(EntityType::from_type_id(id).ok_or_else(|| {
                WireError::argument("filter OWNER_TYPE_ID should be 1, 2, 3 or 4")
            })?),
            None => None,
        };
    let owner_id = filter.map(|f| f.opt_int("OWNER_ID")).transpose()?.flatten();
    let origin_id = filter.map(|f| f.string("ORIGIN_ID")).transpose()?.flatten();
    // A negative id is no record's: it matches no activity.
    let owner_id = match owner_id {
        None => None,
        Some(id) => match u64::try_from(id) {
            Ok(id) => Some(id),
            Err(_) => return Ok(empty_page()),
        },
    };
    let filter = ActivityFilter { owner_type, owner_id, origin_id };
    let zone = engine.config().time_zone;
    let activities = engine.activities_page(&filter, start, PAGE_SIZE)?;
    Ok(page_reply(activities, start, |a| activity_json(zone, a)))
}

fn activity_json(zone: Tz, a: &Activity) -> Value {
    let owner = a.bindings.first();
    let mut item = Map::new();
    item.insert("ID".into(), json!(a.id.to_string()));
    item.insert("OWNER_TYPE_ID".into(), json!(owner.map(|o| o.kind.type_id().to_string())));
    item.insert("OWNER_ID".into(), json!(owner.map(|o| o.id.to_string())));
    item.insert("TYPE_ID".into(), json!("2"));
    item.insert("PROVIDER_ID".into(), json!("VOXIMPLANT_CALL"));
    item.insert("SUBJECT".into(), json!(a.subject));
    item.insert("DIRECTION".into(), json!(a.direction.id().to_string()));
    item.insert("START_TIME".into(), json!(time(zone, a.start_time)));
    item.insert("END_TIME".into(), json!(time(zone, a.end_time)));
    item.insert("RESPONSIBLE_ID".into(), json!(a.responsible_id.0.to_string()));
    item.insert("AUTHOR_ID".into(), json!(a.author_id.0.to_string()));
    item.insert("ORIGIN_ID".into(), json!(a.origin_id));
    item.insert("COMPLETED".into(), json!(if a.completed { "Y" } else { "N" }));
    item.insert("DESCRIPTION".into(), json!(a.description));
    item.insert("RESULT_MARK".into(), json!(a.result_mark.as_str()));
    item.insert("SETTINGS".into(), if a.missed { json!({"MISSED_CALL": true}) } else { json!([]) });
    item.insert("CREATED".into(), json!(time(zone, a.created)));
    item.insert("RECORD_ID".into(), json!(a.record_id));
    let entity = a.communication_entity;
    item.insert(
        "COMMUNICATIONS".into(),
        json!([{
            "TYPE": "PHONE",
            "VALUE": a.phone,
            "ENTITY_TYPE_ID": entity.map(|e| e.kind.type_id().to_string()),
            "ENTITY_ID": entity.map(|e| e.id.to_string()),
        }]),
    );
    item.insert(
        "BINDINGS".into(),
        Value::Array(
            a.bindings
                .iter()
                .map(|b| json!({"OWNER_TYPE_ID": b.kind.type_id().to_string(), "OWNER_ID": b.id.to_string()}))
                .collect(),
        ),
    );
    Value::Object(item)
}

/// Lead statuses of a new portal.
const LEAD_STATUSES: [(&str, &str, &str); 5] = [
    ("NEW", "Unassigned", "P"),
    ("IN_PROCESS", "In progress", "P"),
    ("PROCESSED", "Processed", "P"),
    ("CONVERTED", "Good lead", "S"),
    ("JUNK", "Junk lead", "F"),
];

/// Deal stages of a new portal.
const DEAL_STAGES: [(&str, &str, &str); 7] = [
    ("NEW", "New", "P"),
    ("PREPARATION", "Document preparation", "P"),
    ("PREPAYMENT_INVOICE", "Invoice", "P"),
    ("EXECUTING", "In progress", "P"),
    ("FINAL_INVOICE", "Final invoice", "P"),
    ("WON", "Deal won", "S"),
    ("LOSE", "Deal lost", "F"),
];

/// `crm.status.list` with `filter.ENTITY_ID`: `SOURCE`, `STATUS` (lead statuses) or `DEAL_STAGE`.
pub(crate) fn status_list<S: CrmStore>(engine: &Engine<S>, p: Params<'_>) -> Handled {
    let entity = filter(&p, &["ENTITY_ID"])?.map(|f| f.string("ENTITY_ID")).transpose()?.flatten();
    let wanted = |name: &str| entity.as_deref().is_none_or(|e| e == name);
    let mut items = Vec::new();
    if wanted("STATUS") {
        for (i, (id, name, semantic)) in LEAD_STATUSES.iter().enumerate() {
            items.push(status_item("STATUS", id, name, (i + 1) * 10, Some(semantic)));
        }
    }
    if wanted("SOURCE") {
        for source in engine.read(|tx| tx.list_sources())? {
            items.push(status_item("SOURCE", &source.id, &source.name, source.sort as usize, None));
        }
    }
    if wanted("DEAL_STAGE") {
        for (i, (id, name, semantic)) in DEAL_STAGES.iter().enumerate() {
            items.push(status_item("DEAL_STAGE", id, name, (i + 1) * 10, Some(semantic)));
        }
    }
    Ok(Value::Array(items))
}

fn status_item(entity: &str, id: &str, name: &str, sort: usize, semantic: Option<&str>) -> Value {
    json!({"ENTITY_ID": entity, "STATUS_ID": id, "NAME": name, "SORT": sort.to_string(), "SEMANTICS": semantic})
}
