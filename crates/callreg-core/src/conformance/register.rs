//! Conformance cases of `telephony.externalcall.register`.

use super::kit::{Portal, assert_refused, start_time};
use crate::Auth;
use crate::config::{CrmMode, EngineConfig};
use crate::engine::NewUser;
use crate::model::{TelephonyPermission, event_names};
use crate::phone::Region;
use crate::register::RegisterRequest;
use crate::store::CrmStore;
use crate::types::{CallType, EntityRef, EntityType, UserId, UserRef};
use chrono::Duration;

/// The register cases, for [`conformance_tests!`](crate::conformance_tests).
#[doc(hidden)]
#[macro_export]
macro_rules! __conformance_register_cases {
    ($make_store:expr) => {
        $crate::__conformance_module!(store register, $make_store, [
            session_auth_is_refused_first,
            acting_user_needs_call_detail_modify,
            permission_check_can_be_switched_off,
            user_id_or_inner_phone_must_be_set,
            inner_phone_resolves_the_user,
            type_must_be_one_to_five,
            call_start_date_rules,
            phone_number_is_stripped_or_refused,
            call_user_must_be_active,
            limits_are_checked_up_front,
            explicit_binding_skips_search_and_must_exist,
            unknown_line_is_created_per_application,
            internal_extension_is_a_portal_call,
            employee_phone_refuses_lead_creation,
            employee_phone_in_telephony_form_refuses_lead_creation,
            employee_phone_of_another_telephony_form_is_an_ordinary_caller,
            own_line_number_refuses_lead_creation,
            numbers_match_whatever_their_format,
            default_region_reads_national_numbers,
            line_country_reads_national_numbers,
            short_numbers_match_exactly,
            contact_before_company_before_lead,
            contact_with_latest_active_deal_wins,
            in_process_lead_most_recent_wins,
            no_match_without_crm_create,
            excluded_numbers_are_never_matched_or_created,
            unknown_caller_becomes_a_lead,
            lead_title_and_source_follow_the_call,
            simple_mode_creates_contact_and_deal,
            external_call_id_is_the_only_dedup_key,
            empty_external_call_id_is_not_a_key,
            numbers_without_e164_dedup_by_their_whole_stripped_text,
            number_dedup_within_window,
            number_dedup_can_be_switched_off,
            call_id_has_bitrix_format,
            events_are_queued_with_the_call,
            refused_registration_stores_nothing,
            new_portal_has_admin_and_sources,
            hostile_text_is_stored_verbatim,
        ]);
    };
}

const UNKNOWN: &str = "+7 495 123-45-67";

// ---- validation order and messages ---------------------------------------------------

/// Session auth is refused before anything else is looked at.
pub fn session_auth_is_refused_first<S: CrmStore>(store: S) {
    let portal = Portal::new(store);
    let mut request = RegisterRequest::incoming(0, "abc");
    request.call_type = Some("9".into());
    let result = portal.register_as(&Auth::session(1), &request);
    assert_refused(
        result,
        "WRONG_AUTH_TYPE",
        "Current authorization type is denied for this method",
    );
    assert_eq!(result_status(&portal.register_as(&Auth::session(1), &request)), 403);
    // OAuth and webhooks are both accepted.
    portal
        .engine
        .register(&Auth::app(1, "pbx"), &RegisterRequest::incoming(1, UNKNOWN))
        .expect("oauth");
    portal
        .engine
        .register(&Auth::webhook(1), &RegisterRequest::incoming(1, UNKNOWN))
        .expect("webhook");
}

fn result_status<T>(result: &Result<T, crate::CallregError>) -> u16 {
    result.as_ref().err().map_or(200, |e| e.http_status())
}

/// D7: the acting user needs `CALL_DETAIL_MODIFY`; checked before the call's user.
pub fn acting_user_needs_call_detail_modify<S: CrmStore>(store: S) {
    let portal = Portal::new(store);
    let clerk =
        portal.given_user(NewUser { inner_phone: Some("200".into()), ..NewUser::default() });
    let operator = portal.given_employee("201", None);
    let as_clerk = Auth::webhook(clerk.0);
    // Denied even though the request itself is invalid: permission comes before the user check.
    assert_refused(
        portal.register_as(&as_clerk, &RegisterRequest::incoming(0, UNKNOWN)),
        "ACCESS_DENIED",
        "Access denied!",
    );
    let denied = portal.register_as(&as_clerk, &RegisterRequest::incoming(1, UNKNOWN));
    assert_eq!(result_status(&denied), 403);
    assert!(portal.active_calls().is_empty());
    // A user holding the right, and the administrator, may register.
    portal
        .register_as(&Auth::webhook(operator.0), &RegisterRequest::incoming(1, UNKNOWN))
        .expect("permitted");
    portal
        .register_as(&Auth::webhook(1), &RegisterRequest::incoming(1, "+7 495 000-00-01"))
        .expect("admin");
    // An unknown acting user holds nothing.
    assert_refused(
        portal.register_as(&Auth::webhook(999), &RegisterRequest::incoming(1, UNKNOWN)),
        "ACCESS_DENIED",
        "Access denied!",
    );
}

/// D7 can be switched off by configuration.
pub fn permission_check_can_be_switched_off<S: CrmStore>(store: S) {
    let config = EngineConfig { permission_check: false, ..EngineConfig::default() };
    let portal = Portal::with_config(store, config);
    let clerk = portal.given_user(NewUser::default());
    portal
        .register_as(&Auth::webhook(clerk.0), &RegisterRequest::incoming(1, UNKNOWN))
        .expect("no check");
}

/// Without a non-zero `USER_ID` or a known `USER_PHONE_INNER`: `USER_ID or USER_PHONE_INNER should be set`.
pub fn user_id_or_inner_phone_must_be_set<S: CrmStore>(store: S) {
    let portal = Portal::new(store);
    let inactive = portal.given_user(NewUser {
        active: false,
        inner_phone: Some("300".into()),
        ..NewUser::default()
    });
    assert!(inactive.0 > 1);
    let msg = "USER_ID or USER_PHONE_INNER should be set";
    assert_refused(portal.register(&RegisterRequest::incoming(0, UNKNOWN)), "ERROR_CORE", msg);
    for inner in ["999", "", "300"] {
        let request =
            RegisterRequest::new(UserRef::Inner(inner.into()), UNKNOWN, CallType::Incoming);
        assert_refused(portal.register(&request), "ERROR_CORE", msg);
    }
    // The user check precedes TYPE.
    let mut request = RegisterRequest::incoming(0, UNKNOWN);
    request.call_type = None;
    assert_refused(portal.register(&request), "ERROR_CORE", msg);
}

/// `USER_PHONE_INNER` finds the active employee with that extension; a non-zero `USER_ID` wins.
pub fn inner_phone_resolves_the_user<S: CrmStore>(store: S) {
    let portal = Portal::new(store);
    let employee = portal.given_employee("101", None);
    let request = RegisterRequest::new(UserRef::Inner("101".into()), UNKNOWN, CallType::Incoming);
    let call = portal.registered(&request);
    assert_eq!(portal.active_call(&call).user_id, employee);
    let mut both = RegisterRequest::incoming(1, "+7 495 000-00-02");
    both.user_phone_inner = Some("101".into());
    let call = portal.registered(&both);
    assert_eq!(portal.active_call(&call).user_id, UserId(1));
}

/// `TYPE` must be 1–5 (D13), and is checked after the user and before the date and number.
pub fn type_must_be_one_to_five<S: CrmStore>(store: S) {
    let portal = Portal::new(store);
    for raw in ["2", " 2 ", "02", "2.0"] {
        let mut request = RegisterRequest::incoming(1, UNKNOWN).show(false);
        request.call_type = Some(raw.into());
        let call = portal.registered(&request);
        assert_eq!(portal.active_call(&call).call_type, CallType::Incoming, "{raw:?}");
    }
    for raw in [Some("6"), Some("0"), Some("true"), Some("2.5"), Some(""), None] {
        let mut request = RegisterRequest::incoming(1, UNKNOWN);
        request.call_type = raw.map(Into::into);
        assert_refused(portal.register(&request), "ERROR_CORE", "Unknown TYPE");
    }
    // TYPE precedes the date and the number checks.
    let mut request = RegisterRequest::incoming(1, "abc").start_date("garbage");
    request.call_type = Some("6".into());
    assert_refused(portal.register(&request), "ERROR_CORE", "Unknown TYPE");
}

/// D6: listed formats accepted, naive times read in the portal zone, garbage refused, empty is now.
pub fn call_start_date_rules<S: CrmStore>(store: S) {
    let config = EngineConfig { time_zone: chrono_tz::Europe::Moscow, ..EngineConfig::default() };
    let portal = Portal::with_config(store, config);
    let call = portal.registered(
        &RegisterRequest::incoming(1, "+7 495 000-00-03").start_date("2026-03-10 11:19:38"),
    );
    assert_eq!(portal.active_call(&call).start_date.to_rfc3339(), "2026-03-10T08:19:38+00:00");
    let call = portal.registered(
        &RegisterRequest::incoming(1, "+7 495 000-00-04").start_date("2026-03-10T11:19:38.5+0300"),
    );
    assert_eq!(portal.active_call(&call).start_date.to_rfc3339(), "2026-03-10T08:19:38.500+00:00");
    let call = portal.registered(&RegisterRequest::incoming(1, "+7 495 000-00-05").start_date(""));
    assert_eq!(portal.active_call(&call).start_date, start_time());
    let call = portal.registered(&RegisterRequest::incoming(1, "+7 495 000-00-06"));
    assert_eq!(portal.active_call(&call).start_date, start_time());
    let msg = "CALL_START_DATE should be in the ISO-8601 format";
    for bad in ["garbage", "yesterday", "@1700000000", "2026-02-30 10:00:00"] {
        assert_refused(
            portal.register(&RegisterRequest::incoming(1, UNKNOWN).start_date(bad)),
            "ERROR_CORE",
            msg,
        );
    }
    // The date precedes the number.
    assert_refused(
        portal.register(&RegisterRequest::incoming(1, "abc").start_date("garbage")),
        "ERROR_CORE",
        msg,
    );
}

/// `PHONE_NUMBER` is stripped to `0-9 # * + , ;`; nothing left (or `"0"`) is refused.
pub fn phone_number_is_stripped_or_refused<S: CrmStore>(store: S) {
    let portal = Portal::new(store);
    let call = portal.registered(&RegisterRequest::incoming(1, "+7 (906) 219-50-47"));
    assert_eq!(portal.active_call(&call).caller_id, "+79062195047");
    // Nothing but separators, or no digit at all, is no number either.
    for bad in ["abc", "", "0", "()- ", "+", "#", "*,;", "+#*"] {
        assert_refused(
            portal.register(&RegisterRequest::incoming(1, bad)),
            "ERROR_CORE",
            "Unsupported phone number format",
        );
    }
    // The number precedes the user-active check.
    assert_refused(
        portal.register(&RegisterRequest::incoming(999, "abc")),
        "ERROR_CORE",
        "Unsupported phone number format",
    );
}

/// The call's user must exist and be active.
pub fn call_user_must_be_active<S: CrmStore>(store: S) {
    let portal = Portal::new(store);
    let inactive = portal.given_user(NewUser { active: false, ..NewUser::default() });
    let msg = "User is not found or is not active";
    for id in [999, -5, i64::try_from(inactive.0).unwrap_or(i64::MAX)] {
        assert_refused(portal.register(&RegisterRequest::incoming(id, UNKNOWN)), "ERROR_CORE", msg);
    }
    // The user check precedes the limits.
    let long = "+7 495 123-45-67 12345 67890";
    assert_refused(portal.register(&RegisterRequest::incoming(999, long)), "ERROR_CORE", msg);
}

/// D8: over-long values are refused up front with a message naming the parameter and limit.
pub fn limits_are_checked_up_front<S: CrmStore>(store: S) {
    let portal = Portal::new(store);
    let twenty = "+7495123456712345678";
    assert_eq!(twenty.len(), 20);
    portal.registered(&RegisterRequest::incoming(1, twenty));
    let refused = portal.register(&RegisterRequest::incoming(1, format!("{twenty}9")));
    assert_refused(refused, "ERROR_ARGUMENT", "PHONE_NUMBER is too long: at most 20 characters");
    assert_eq!(
        result_status(&portal.register(&RegisterRequest::incoming(1, format!("{twenty}9")))),
        400
    );

    portal.registered(&RegisterRequest::incoming(1, UNKNOWN).external_call_id("x".repeat(64)));
    let refused =
        portal.register(&RegisterRequest::incoming(1, UNKNOWN).external_call_id("x".repeat(65)));
    assert_refused(
        refused,
        "ERROR_ARGUMENT",
        "EXTERNAL_CALL_ID is too long: at most 64 characters",
    );

    portal
        .registered(&RegisterRequest::incoming(1, UNKNOWN).line(format!("  {}  ", "7".repeat(50))));
    let refused = portal.register(&RegisterRequest::incoming(1, UNKNOWN).line("7".repeat(51)));
    assert_refused(refused, "ERROR_ARGUMENT", "LINE_NUMBER is too long: at most 50 characters");
    assert_eq!(portal.active_calls().len(), 3, "refused registrations store nothing");
}

// ---- explicit bindings ------------------------------------------------------------------

/// D12: an explicit `CRM_ENTITY_TYPE` + `CRM_ENTITY_ID` skips the search and must exist.
pub fn explicit_binding_skips_search_and_must_exist<S: CrmStore>(store: S) {
    let portal = Portal::new(store);
    let owner = portal.given_contact("Owner", &[UNKNOWN]);
    let other = portal.given_contact("Other", &["+7 812 000-00-00"]);
    let deal = portal.given_deal(EntityRef::contact(other), "NEW");
    let call = portal.registered(
        &RegisterRequest::incoming(1, UNKNOWN)
            .bind_to("CONTACT", i64::try_from(other).unwrap_or(0)),
    );
    assert_eq!(call.primary, Some(EntityRef::contact(other)));
    let bound: Vec<EntityRef> =
        portal.active_call(&call).entities.iter().map(|e| e.entity).collect();
    assert_eq!(bound, vec![EntityRef::contact(other), EntityRef::deal(deal)]);
    assert!(!bound.contains(&EntityRef::contact(owner)));

    for (kind, id) in [("CONTACT", 999), ("FOO", 1), ("contact", 1), ("LEAD", 0), ("COMPANY", -1)] {
        let result = portal.register(&RegisterRequest::incoming(1, UNKNOWN).bind_to(kind, id));
        assert_refused(result, "ERROR_ARGUMENT", &format!("CRM entity {kind} {id} is not found"));
    }
    // A type without an id is no binding: the number is searched.
    let mut request = RegisterRequest::incoming(1, UNKNOWN).external_call_id("type-only");
    request.crm_entity_type = Some("COMPANY".into());
    assert_eq!(portal.registered(&request).primary, Some(EntityRef::contact(owner)));
}

// ---- lines ----------------------------------------------------------------------------

/// An unknown `LINE_NUMBER` creates the application's line once; it becomes `PORTAL_NUMBER`.
pub fn unknown_line_is_created_per_application<S: CrmStore>(store: S) {
    let portal = Portal::new(store);
    let as_app = |app: &str| Auth::app(1, app);
    let first = portal
        .register_as(&as_app("pbx-1"), &RegisterRequest::incoming(1, UNKNOWN).line(" 74951112233 "))
        .expect("registered");
    let second = portal
        .register_as(
            &as_app("pbx-1"),
            &RegisterRequest::incoming(1, "+7 495 000-00-07").line("74951112233"),
        )
        .expect("registered");
    let other_app = portal
        .register_as(&as_app("pbx-2"), &RegisterRequest::incoming(1, UNKNOWN).line("74951112233"))
        .expect("registered");
    let (a, b, c) =
        (portal.active_call(&first), portal.active_call(&second), portal.active_call(&other_app));
    assert_eq!(a.portal_number, "74951112233");
    assert!(a.line_id.is_some());
    assert_eq!(a.line_id, b.line_id, "the same application's line is reused");
    assert_ne!(a.line_id, c.line_id, "lines are per application");
    let line = portal
        .engine
        .read(|tx| tx.find_line(Some(&crate::AppId::new("pbx-1")), "74951112233"))
        .expect("readable")
        .expect("line created");
    assert_eq!(line.name, None);
    assert!(line.crm_auto_create);
    let without_line = portal
        .register_as(&as_app("pbx-1"), &RegisterRequest::incoming(1, "+7 495 000-00-08"))
        .expect("registered");
    assert_eq!(portal.active_call(&without_line).portal_number, "REST_APP:pbx-1");
    let webhook = portal.registered(&RegisterRequest::incoming(1, "+7 495 000-00-09"));
    assert_eq!(portal.active_call(&webhook).portal_number, "REST_APP:");
}

// ---- internal calls ----------------------------------------------------------------------

/// A number equal to an employee's extension is a portal call: no CRM creation.
pub fn internal_extension_is_a_portal_call<S: CrmStore>(store: S) {
    let portal = Portal::new(store);
    let employee = portal.given_employee("101", None);
    let call = portal.registered(&RegisterRequest::incoming(1, "101").crm_create(true));
    assert_eq!(
        call.lead_creation_error.as_deref(),
        Some("Lead creation is disabled for local users")
    );
    assert_eq!(call.created_lead, None);
    assert!(call.created_entities.is_empty());
    assert!(portal.leads().is_empty());
    assert_eq!(portal.active_call(&call).portal_user_id, Some(employee));
    // Without CRM_CREATE no creation was attempted, so there is no error.
    let call =
        portal.registered(&RegisterRequest::incoming(1, "101").external_call_id("no-create"));
    assert_eq!(call.lead_creation_error, None);
}

/// A number equal to any active employee's phone refuses lead creation.
pub fn employee_phone_refuses_lead_creation<S: CrmStore>(store: S) {
    let portal = Portal::new(store);
    portal.given_employee("102", Some("+7 916 555-12-34"));
    let call =
        portal.registered(&RegisterRequest::incoming(1, "8 (916) 555-12-34").crm_create(true));
    assert_eq!(
        call.lead_creation_error.as_deref(),
        Some("Lead creation is disabled for local users")
    );
    assert!(portal.leads().is_empty());
    assert_eq!(portal.active_call(&call).portal_user_id, None);
    // An inactive employee's phone is an ordinary number.
    portal.given_user(NewUser {
        active: false,
        personal_mobile: Some("+7 916 555-00-00".into()),
        ..NewUser::default()
    });
    let call =
        portal.registered(&RegisterRequest::incoming(1, "+7 916 555-00-00").crm_create(true));
    assert!(call.created_lead.is_some());
}

/// Bitrix compares the caller, as written and in its telephony form (`CVoxImplantPhone::
/// Normalize`: digits, the country code first), with the telephony forms of employees'
/// phones: an employee's phone is the caller's when those are equal, whatever the default
/// region reads either as; and only then, or when their keys are equal.
pub fn employee_phone_in_telephony_form_refuses_lead_creation<S: CrmStore>(store: S) {
    let local = Some("Lead creation is disabled for local users");
    let de = Region::parse("DE").expect("DE is a region");
    let portal =
        Portal::with_config(store, EngineConfig { default_region: de, ..EngineConfig::default() });
    portal.given_employee("102", Some("16502530000"));
    portal.given_employee("103", Some("+1 (650) 253-0001"));
    portal.given_employee("104", Some("8 916 555-12-34"));
    let refused = ["+1 650 253-0000", "001 650 253 0000", "16502530001", "+7 916 555 12 34"];
    for (i, caller) in refused.iter().enumerate() {
        let request = RegisterRequest::incoming(1, *caller)
            .crm_create(true)
            .external_call_id(format!("e{i}"));
        let call = portal.registered(&request);
        assert_eq!(call.lead_creation_error.as_deref(), local, "{caller}");
    }
    assert!(portal.leads().is_empty());
    // A number no employee has is an ordinary caller.
    let call = portal.registered(&RegisterRequest::incoming(1, "+1 650 253-0002").crm_create(true));
    assert!(call.created_lead.is_some());
}

/// The other side of Bitrix's comparison: a caller whose telephony form differs from an
/// employee's is no employee, even where the default region reads the two forms as one
/// number; and the caller's number as written is compared too.
pub fn employee_phone_of_another_telephony_form_is_an_ordinary_caller<S: CrmStore>(store: S) {
    let portal = Portal::new(store);
    // `+8 916 ...` has the form `89165551234`, `+7 916 555-12-34` has `79165551234`, though
    // `89165551234` read in Russia is `+7 916 555-12-34`.
    portal.given_employee("105", Some("+7 916 555-12-34"));
    let call =
        portal.registered(&RegisterRequest::incoming(1, "+8 916 555-12-34").crm_create(true));
    assert!(call.created_lead.is_some(), "{call:?}");
    // An employee's `+8 926 ...` (form `89265551234`) is the caller `89265551234` as written
    // (whose own form is `79265551234`).
    portal.given_employee("106", Some("+8 926 555-12-34"));
    let call = portal.registered(&RegisterRequest::incoming(1, "89265551234").crm_create(true));
    assert_eq!(
        call.lead_creation_error.as_deref(),
        Some("Lead creation is disabled for local users")
    );
}

/// The portal's own line numbers are never auto-created as leads.
pub fn own_line_number_refuses_lead_creation<S: CrmStore>(store: S) {
    let portal = Portal::new(store);
    portal.registered(&RegisterRequest::incoming(1, UNKNOWN).line("+7 495 111-22-33"));
    let call = portal.registered(&RegisterRequest::incoming(1, "8 495 111 22 33").crm_create(true));
    assert_eq!(
        call.lead_creation_error.as_deref(),
        Some("Lead creation is disabled for local users")
    );
    assert!(portal.leads().is_empty());
}

// ---- search and ranking --------------------------------------------------------------

/// D5: a CRM phone matches the caller in any format of the same number.
pub fn numbers_match_whatever_their_format<S: CrmStore>(store: S) {
    let portal = Portal::new(store);
    let contact = portal.given_contact("Ivan", &["+7 495 123-45-67"]);
    let spb = portal.given_contact("Pyotr", &["8 (812) 123-45-67"]);
    for (i, format) in [
        "84951234567",
        "+7 (495) 123 45 67",
        "74951234567",
        "4951234567",
        "tel:+7-495-123-45-67",
        "+7 495 123-45-67 ext. 12",
    ]
    .iter()
    .enumerate()
    {
        let call = portal
            .registered(&RegisterRequest::incoming(1, *format).external_call_id(format!("f{i}")));
        assert_eq!(call.primary, Some(EntityRef::contact(contact)), "{format}");
    }
    let call = portal.registered(&RegisterRequest::incoming(1, "+78121234567"));
    assert_eq!(call.primary, Some(EntityRef::contact(spb)));
}

/// D5 under another default region: `030 1234567` matches `+49 30 1234567` in region DE.
pub fn default_region_reads_national_numbers<S: CrmStore>(store: S) {
    let region = Region::parse("DE").expect("DE is a region");
    let portal = Portal::with_config(
        store,
        EngineConfig { default_region: region, ..EngineConfig::default() },
    );
    let contact = portal.given_contact("Hans", &["+49 30 1234567"]);
    for (i, format) in ["030 1234567", "0049 30 1234567", "+49 (0)30 1234567"].iter().enumerate() {
        let call = portal
            .registered(&RegisterRequest::incoming(1, *format).external_call_id(format!("d{i}")));
        assert_eq!(call.primary, Some(EntityRef::contact(contact)), "{format}");
    }
}

/// Tier 2: on a line of another country, a national number is read in that country.
pub fn line_country_reads_national_numbers<S: CrmStore>(store: S) {
    let portal = Portal::new(store);
    let contact = portal.given_contact("Hans", &["+49 30 1234567"]);
    let without_line =
        portal.registered(&RegisterRequest::incoming(1, "030 1234567").external_call_id("a"));
    assert_eq!(without_line.primary, None);
    let on_german_line = portal.registered(
        &RegisterRequest::incoming(1, "030 1234567").line("+49 30 9999999").external_call_id("b"),
    );
    assert_eq!(on_german_line.primary, Some(EntityRef::contact(contact)));
}

/// Numbers that do not parse (short codes) match by their exact stripped digits.
pub fn short_numbers_match_exactly<S: CrmStore>(store: S) {
    let portal = Portal::new(store);
    let contact = portal.given_contact("Service", &["0611"]);
    assert_eq!(
        portal.registered(&RegisterRequest::incoming(1, "0611").external_call_id("a")).primary,
        Some(EntityRef::contact(contact))
    );
    assert_eq!(
        portal.registered(&RegisterRequest::incoming(1, "611").external_call_id("b")).primary,
        None
    );
}

/// Contact before company; leads only when neither matched.
pub fn contact_before_company_before_lead<S: CrmStore>(store: S) {
    let portal = Portal::new(store);
    let lead = portal.given_lead("Old lead", "NEW", &[UNKNOWN]);
    let company = portal.given_company("Acme", &[UNKNOWN]);
    let call = portal.registered(&RegisterRequest::incoming(1, UNKNOWN).external_call_id("a"));
    assert_eq!(call.primary, Some(EntityRef::company(company)));
    let contact = portal.given_contact("Ivan", &[UNKNOWN]);
    let call = portal
        .registered(&RegisterRequest::incoming(1, UNKNOWN).external_call_id("b").crm_create(true));
    assert_eq!(call.primary, Some(EntityRef::contact(contact)));
    assert_eq!(call.created_lead, None, "never create when something matched");
    assert_eq!(call.lead_creation_error, None);
    let bound: Vec<EntityRef> =
        portal.active_call(&call).entities.iter().map(|e| e.entity).collect();
    assert_eq!(bound, vec![EntityRef::contact(contact), EntityRef::company(company)]);
    assert!(!bound.contains(&EntityRef::lead(lead)));
    assert_eq!(portal.leads(), vec![lead]);
}

/// Among contacts: the one with the most recently modified active deal, else the lowest id.
pub fn contact_with_latest_active_deal_wins<S: CrmStore>(store: S) {
    let portal = Portal::new(store);
    let first = portal.given_contact("First", &[UNKNOWN]);
    let second = portal.given_contact("Second", &[UNKNOWN]);
    let third = portal.given_contact("Third", &[UNKNOWN]);
    assert_eq!(
        portal.registered(&RegisterRequest::incoming(1, UNKNOWN).external_call_id("a")).primary,
        Some(EntityRef::contact(first))
    );
    portal.advance_minutes(1);
    let deal = portal.given_deal(EntityRef::contact(third), "NEW");
    portal.advance_minutes(1);
    portal.given_deal(EntityRef::contact(second), "WON");
    let call = portal.registered(&RegisterRequest::incoming(1, UNKNOWN).external_call_id("b"));
    assert_eq!(call.primary, Some(EntityRef::contact(third)), "a won deal does not count");
    let bound: Vec<EntityRef> =
        portal.active_call(&call).entities.iter().map(|e| e.entity).collect();
    assert!(bound.contains(&EntityRef::deal(deal)), "the primary's active deal is bound");
    portal.advance_minutes(1);
    portal.given_deal(EntityRef::contact(second), "PREPARATION");
    let call = portal.registered(&RegisterRequest::incoming(1, UNKNOWN).external_call_id("c"));
    assert_eq!(call.primary, Some(EntityRef::contact(second)));
}

/// Leads: only in process; the most recently modified, then the highest id.
pub fn in_process_lead_most_recent_wins<S: CrmStore>(store: S) {
    let portal = Portal::new(store);
    portal.given_lead("Converted", "CONVERTED", &[UNKNOWN]);
    portal.given_lead("Junk", "JUNK", &[UNKNOWN]);
    let call = portal.registered(&RegisterRequest::incoming(1, UNKNOWN).external_call_id("a"));
    assert_eq!(call.primary, None, "finished leads are not matched");
    let older = portal.given_lead("Older", "NEW", &[UNKNOWN]);
    portal.advance_minutes(1);
    let newer = portal.given_lead("Newer", "IN_PROCESS", &[UNKNOWN]);
    let call = portal.registered(&RegisterRequest::incoming(1, UNKNOWN).external_call_id("b"));
    assert_eq!(call.primary, Some(EntityRef::lead(newer)));
    let same_time = portal.given_lead("Same time", "PROCESSED", &[UNKNOWN]);
    let call = portal.registered(&RegisterRequest::incoming(1, UNKNOWN).external_call_id("c"));
    assert_eq!(call.primary, Some(EntityRef::lead(same_time)), "equal times: highest id");
    assert!(older < newer);
    let call = portal
        .registered(&RegisterRequest::incoming(1, UNKNOWN).external_call_id("d").crm_create(true));
    assert_eq!(call.created_lead, None, "a matching lead means no new lead");
}

/// No match and no `CRM_CREATE`: nothing bound, no error key.
pub fn no_match_without_crm_create<S: CrmStore>(store: S) {
    let portal = Portal::new(store);
    let call = portal.registered(&RegisterRequest::incoming(1, UNKNOWN));
    assert_eq!(call.primary, None);
    assert_eq!(call.created_lead, None);
    assert!(call.created_entities.is_empty());
    assert_eq!(call.lead_creation_error, None);
    assert!(portal.leads().is_empty());
}

/// The exclusion list: never matched, never auto-created.
pub fn excluded_numbers_are_never_matched_or_created<S: CrmStore>(store: S) {
    let portal = Portal::new(store);
    portal.given_contact("Spam", &[UNKNOWN]);
    portal.given_excluded("8 495 123 45 67");
    let call = portal.registered(&RegisterRequest::incoming(1, "+74951234567").crm_create(true));
    assert_eq!(call.primary, None);
    assert_eq!(call.created_lead, None);
    assert_eq!(call.lead_creation_error.as_deref(), Some(crate::register::EXCLUDED_NUMBER_REFUSAL));
    assert!(portal.leads().is_empty());
}

// ---- auto-creation ----------------------------------------------------------------------

/// Classic mode: an unknown caller with `CRM_CREATE` becomes a lead, as Bitrix builds it.
pub fn unknown_caller_becomes_a_lead<S: CrmStore>(store: S) {
    let portal = Portal::new(store);
    let operator = portal.given_employee("101", None);
    let mut request =
        RegisterRequest::incoming(i64::try_from(operator.0).unwrap_or(0), "8 (495) 123-45-67")
            .crm_create(true)
            .line("+7 495 111-22-33");
    request.crm_source = Some("NO_SUCH_SOURCE".into());
    let call = portal.registered(&request);
    let lead_id = call.created_lead.expect("a lead was created");
    assert_eq!(call.created_entities, vec![EntityRef::lead(lead_id)]);
    assert_eq!(call.primary, Some(EntityRef::lead(lead_id)));
    assert_eq!(call.lead_creation_error, None);
    let lead = portal.lead(lead_id);
    assert_eq!(lead.title, "+7 495 123-45-67 - Incoming call");
    assert_eq!(lead.source_id, "CALL");
    assert_eq!(lead.status_id, "NEW");
    assert_eq!(lead.assigned_by, operator);
    assert_eq!(lead.source_description, "Call routed to: +74951112233.");
    assert_eq!(lead.phones.len(), 1);
    assert_eq!(lead.phones[0].value, "84951234567");
    assert_eq!(lead.phones[0].value_type, "WORK");
    let created = portal.active_call(&call).entities;
    assert!(created.iter().all(|e| e.created));
    // The new lead owns the number from now on.
    let again = portal.registered(
        &RegisterRequest::incoming(1, "+74951234567").crm_create(true).external_call_id("x"),
    );
    assert_eq!(again.primary, Some(EntityRef::lead(lead_id)));
    assert_eq!(again.created_lead, None);
    assert_eq!(portal.leads(), vec![lead_id]);
}

/// Lead titles follow the call type; `CRM_SOURCE` is used when it exists.
pub fn lead_title_and_source_follow_the_call<S: CrmStore>(store: S) {
    let portal = Portal::new(store);
    let cases = [
        (CallType::Outgoing, "+7 812 123-45-67", "+7 812 123-45-67 - Outgoing call"),
        (CallType::IncomingRedirect, "+7 843 123-45-67", "+7 843 123-45-67 - Incoming call"),
        (CallType::Callback, "+7 800 555-35-35", "+7 800 555-35-35 - Callback"),
        (CallType::Information, "+7 861 123-45-67", "+7 861 123-45-67 - Outgoing call"),
    ];
    for (call_type, number, title) in cases {
        let request =
            RegisterRequest::new(UserRef::Id(1), number, call_type).crm_create(true).source("WEB");
        let call = portal.registered(&request);
        let lead = portal.lead(call.created_lead.expect("lead created"));
        assert_eq!(lead.title, title);
        assert_eq!(lead.source_id, "WEB");
        assert_eq!(lead.source_description, "", "no line, no description");
    }
    let named = portal.registered(
        &RegisterRequest::incoming(1, "+7 495 765-43-21").crm_create(true).line("line-1"),
    );
    let named_lead = portal.lead(named.created_lead.expect("a lead"));
    assert_eq!(named_lead.source_description, "Call routed to: line-1.", "not the digit in it");
}

/// Simple mode: an unknown caller becomes a contact and a deal; no lead.
pub fn simple_mode_creates_contact_and_deal<S: CrmStore>(store: S) {
    let portal = Portal::with_config(
        store,
        EngineConfig { crm_mode: CrmMode::Simple, ..EngineConfig::default() },
    );
    let call = portal.registered(&RegisterRequest::incoming(1, UNKNOWN).crm_create(true));
    assert_eq!(call.created_lead, None);
    assert_eq!(call.created_entities.len(), 2);
    let (contact, deal) = (call.created_entities[0], call.created_entities[1]);
    assert_eq!(contact.kind, EntityType::Contact);
    assert_eq!(deal.kind, EntityType::Deal);
    assert_eq!(call.primary, Some(contact));
    let stored = portal.engine.deal(deal.id).expect("readable").expect("deal stored");
    assert_eq!(stored.contact_id, Some(contact.id));
    assert!(stored.active());
    assert!(portal.leads().is_empty());
    let again = portal.registered(
        &RegisterRequest::incoming(1, "84951234567").crm_create(true).external_call_id("2"),
    );
    assert_eq!(again.primary, Some(contact));
    assert!(again.created_entities.is_empty());
}

// ---- dedup ---------------------------------------------------------------------------

/// D4: `EXTERNAL_CALL_ID` is the only key when given.
pub fn external_call_id_is_the_only_dedup_key<S: CrmStore>(store: S) {
    let portal = Portal::new(store);
    portal.given_employee("101", None);
    let first = portal.registered(
        &RegisterRequest::incoming(1, UNKNOWN).external_call_id("ast-1").crm_create(true),
    );
    assert!(!first.deduplicated);
    let same = portal
        .registered(&RegisterRequest::incoming(2, "+7 812 000-00-00").external_call_id("ast-1"));
    assert!(same.deduplicated);
    assert_eq!(same.call_id, first.call_id);
    assert_eq!(same.created_lead, first.created_lead);
    assert_eq!(same.created_entities, first.created_entities);
    assert_eq!(same.primary, first.primary);
    let other = portal.registered(&RegisterRequest::incoming(1, UNKNOWN).external_call_id("ast-2"));
    assert_ne!(other.call_id, first.call_id);
    // Per application.
    let other_app = portal
        .register_as(
            &Auth::app(1, "pbx"),
            &RegisterRequest::incoming(1, UNKNOWN).external_call_id("ast-1"),
        )
        .expect("registered");
    assert_ne!(other_app.call_id, first.call_id);
    // The window does not apply to EXTERNAL_CALL_ID.
    portal.advance_minutes(120);
    let later = portal.registered(&RegisterRequest::incoming(1, UNKNOWN).external_call_id("ast-1"));
    assert_eq!(later.call_id, first.call_id);
    assert_eq!(portal.leads().len(), 1);
}

/// An empty `EXTERNAL_CALL_ID` (a client that always sends the field) is no key: calls from
/// different numbers stay apart, the number key deduplicates the same number, and the call
/// stores no `EXTERNAL_CALL_ID`.
pub fn empty_external_call_id_is_not_a_key<S: CrmStore>(store: S) {
    let portal = Portal::new(store);
    let first = portal.registered(
        &RegisterRequest::incoming(1, "+7 916 000-00-13").external_call_id("").crm_create(true),
    );
    let other = portal.registered(
        &RegisterRequest::incoming(1, "+7 916 000-00-14").external_call_id("").crm_create(true),
    );
    assert!(!other.deduplicated);
    assert_ne!(other.call_id, first.call_id);
    assert_ne!(other.created_lead, first.created_lead);
    assert_eq!(portal.leads().len(), 2);
    let again =
        portal.registered(&RegisterRequest::incoming(1, "8 916 000 00 13").external_call_id(""));
    assert!(again.deduplicated, "the number key applies");
    assert_eq!(again.call_id, first.call_id);
    let calls = portal.engine.active_calls().expect("readable");
    assert_eq!(calls.len(), 2);
    assert!(calls.iter().all(|call| call.external_call_id.is_none()), "{calls:?}");
}

/// Contract D14 for numbers that do not parse: the stripped text, whole. Numbers behind a
/// service prefix (`#31#`, which shows the caller's id) are two calls when the numbers
/// differ, and one when they are the same text; `*100#` and `*100` differ, as in Bitrix.
pub fn numbers_without_e164_dedup_by_their_whole_stripped_text<S: CrmStore>(store: S) {
    let portal = Portal::new(store);
    let first = portal.registered(&RegisterRequest::incoming(1, "#31#+79161234567"));
    let other = portal.registered(&RegisterRequest::incoming(1, "#31#+79169999999"));
    assert!(!other.deduplicated, "another number behind the same prefix");
    assert_ne!(other.call_id, first.call_id);
    let again = portal.registered(&RegisterRequest::incoming(1, "#31# +7 916 123-45-67"));
    assert!(again.deduplicated, "the same stripped text");
    assert_eq!(again.call_id, first.call_id);
    let ussd = portal.registered(&RegisterRequest::incoming(1, "*100#"));
    let short = portal.registered(&RegisterRequest::incoming(1, "*100"));
    assert!(!short.deduplicated);
    assert_ne!(short.call_id, ussd.call_id);
    assert_eq!(portal.engine.active_calls().expect("readable").len(), 4);
}

/// Without `EXTERNAL_CALL_ID`: same user, number (by E.164, D14), type, application and line
/// within the window from registration time.
pub fn number_dedup_within_window<S: CrmStore>(store: S) {
    let portal = Portal::new(store);
    let user2 = portal.given_employee("101", None);
    let base = || RegisterRequest::incoming(1, "+79062195047");
    let first = portal.registered(&base().start_date("2020-01-01T00:00:00Z"));
    let same = portal.registered(&base().show(false));
    assert!(same.deduplicated);
    assert_eq!(same.call_id, first.call_id, "back-dated CALL_START_DATE does not matter (D4)");
    assert_eq!(
        portal.registered(&RegisterRequest::incoming(1, "89062195047")).call_id,
        first.call_id,
        "D14"
    );
    let differing = [
        RegisterRequest::outgoing(1, "+79062195047"),
        RegisterRequest::incoming(i64::try_from(user2.0).unwrap_or(0), "+79062195047"),
        RegisterRequest::incoming(1, "+79062195048"),
        base().line("74951112233"),
    ];
    for request in &differing {
        assert_ne!(portal.registered(request).call_id, first.call_id, "{request:?}");
    }
    let other_app = portal.register_as(&Auth::app(1, "pbx"), &base()).expect("registered");
    assert_ne!(other_app.call_id, first.call_id);
    portal.advance_minutes(29);
    assert_eq!(portal.registered(&base()).call_id, first.call_id);
    portal.advance_minutes(2);
    assert_ne!(portal.registered(&base()).call_id, first.call_id, "window passed");
}

/// The number window can be switched off; `EXTERNAL_CALL_ID` still deduplicates.
pub fn number_dedup_can_be_switched_off<S: CrmStore>(store: S) {
    let portal =
        Portal::with_config(store, EngineConfig { dedup_window: None, ..EngineConfig::default() });
    let a = portal.registered(&RegisterRequest::incoming(1, UNKNOWN));
    let b = portal.registered(&RegisterRequest::incoming(1, UNKNOWN));
    assert_ne!(a.call_id, b.call_id);
    let c = portal.registered(&RegisterRequest::incoming(1, UNKNOWN).external_call_id("e"));
    let d = portal.registered(&RegisterRequest::incoming(1, UNKNOWN).external_call_id("e"));
    assert_eq!(c.call_id, d.call_id);
}

/// D11: `externalCall.<32 hex>.<unix seconds of registration>`.
pub fn call_id_has_bitrix_format<S: CrmStore>(store: S) {
    let portal = Portal::new(store);
    let call = portal
        .registered(&RegisterRequest::incoming(1, UNKNOWN).start_date("2020-01-01T00:00:00Z"));
    let parts: Vec<&str> = call.call_id.as_str().split('.').collect();
    assert_eq!(parts.len(), 3);
    assert_eq!(parts[0], "externalCall");
    assert_eq!(parts[1].len(), 32);
    assert!(parts[1].bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)));
    assert_eq!(parts[2], start_time().timestamp().to_string());
    let other = portal.registered(&RegisterRequest::incoming(1, "+7 495 000-00-10"));
    assert_ne!(other.call_id, call.call_id);
}

// ---- events ----------------------------------------------------------------------------

/// D9: a new call queues init and start (and the card when `SHOW`); a dedup hit queues no init.
pub fn events_are_queued_with_the_call<S: CrmStore>(store: S) {
    let portal = Portal::new(store);
    portal.clear_events();
    let call = portal.registered(&RegisterRequest::incoming(1, "+7 (906) 219-50-47"));
    assert_eq!(
        portal.event_names(),
        vec![event_names::CALL_INIT, event_names::CALL_START, event_names::CARD_SHOW]
    );
    let events = portal.events();
    assert_eq!(events[0].data["CALL_ID"], call.call_id.as_str());
    assert_eq!(events[0].data["CALLER_ID"], "+79062195047");
    assert_eq!(events[0].data["CALL_TYPE"], "2");
    assert_eq!(events[1].data["USER_ID"], "1");
    assert_eq!(events[2].data["USER_ID"], "1");
    portal.clear_events();
    let again = portal.registered(&RegisterRequest::incoming(1, "+79062195047"));
    assert!(again.deduplicated);
    assert_eq!(
        portal.event_names(),
        vec![event_names::CARD_SHOW],
        "a dedup hit shows the card again, nothing else"
    );
    portal.clear_events();
    portal.registered(&RegisterRequest::incoming(1, "+79062195047").show(false));
    assert!(portal.events().is_empty());
    portal.registered(&RegisterRequest::incoming(1, UNKNOWN).show(false));
    assert_eq!(portal.event_names(), vec![event_names::CALL_INIT, event_names::CALL_START]);
}

/// A refused registration stores nothing: no call, no line, no lead, no event.
pub fn refused_registration_stores_nothing<S: CrmStore>(store: S) {
    let portal = Portal::new(store);
    portal.clear_events();
    let request = RegisterRequest::incoming(1, UNKNOWN)
        .crm_create(true)
        .line("74951112233")
        .bind_to("CONTACT", 42);
    assert!(portal.register(&request).is_err());
    assert!(portal.active_calls().is_empty());
    assert!(portal.leads().is_empty());
    assert!(portal.events().is_empty());
    let line = portal.engine.read(|tx| tx.find_line(None, "74951112233")).expect("readable");
    assert_eq!(line, None);
}

/// A new portal has user 1, an active administrator, and the default sources.
pub fn new_portal_has_admin_and_sources<S: CrmStore>(store: S) {
    let portal = Portal::new(store);
    let admin = portal.engine.user(UserId(1)).expect("readable").expect("user 1 exists");
    assert!(admin.active && admin.admin);
    assert!(admin.can(TelephonyPermission::CallDetailModify));
    let sources = portal.engine.read(|tx| tx.list_sources()).expect("readable");
    let ids: Vec<&str> = sources.iter().map(|s| s.id.as_str()).collect();
    assert!(ids.contains(&"CALL") && ids.contains(&"OTHER") && ids.contains(&"WEB"));
    let next = portal.given_user(NewUser::default());
    assert_eq!(next, UserId(2));
    let _ = Duration::zero();
}

/// SQL-looking text, quotes, NUL and control characters and non-ASCII are stored and read
/// back byte for byte, never interpreted.
pub fn hostile_text_is_stored_verbatim<S: CrmStore>(store: S) {
    let portal = Portal::new(store);
    let nasty = "'; DROP TABLE calls; -- \u{0}\u{1}\\ \"x\" % _ ☎ \u{202e}";
    let contact = portal.given_contact(nasty, &["+7 495 123-45-67"]);
    assert_eq!(portal.engine.contact(contact).expect("readable").expect("exists").name, nasty);
    let request =
        RegisterRequest::incoming(1, "+7 495 123-45-67").external_call_id(nasty).line(nasty);
    let call = portal.registered(&request);
    let active = portal.active_call(&call);
    assert_eq!(active.external_call_id.as_deref(), Some(nasty));
    assert_eq!(active.portal_number, nasty);
    let again = portal.registered(
        &RegisterRequest::incoming(1, "+7 812 000-00-00").external_call_id(nasty).line(nasty),
    );
    assert_eq!(again.call_id, call.call_id, "the id is matched exactly, not as a pattern");
    let other = portal.registered(
        &RegisterRequest::incoming(1, UNKNOWN).external_call_id("'; DROP TABLE calls; -- %"),
    );
    assert_ne!(other.call_id, call.call_id);
    let integrity = portal.engine.read(super::integrity::check_integrity).expect("readable");
    assert_eq!(integrity, Ok(()));
}
