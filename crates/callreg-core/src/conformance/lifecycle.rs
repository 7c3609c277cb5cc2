//! Conformance cases of the rest of a call's life: finish, show/hide, searchCrmEntities,
//! external lines and the offline-events outbox.

use super::kit::{Portal, assert_refused, sample_active_call, start_time};
use crate::Auth;
use crate::engine::NewUser;
use crate::finish::{FinishRequest, NO_ENTITY_FOR_ACTIVITY};
use crate::model::{Direction, ResultMark, event_names};
use crate::register::{RegisterOutcome, RegisterRequest};
use crate::store::CrmStore;
use crate::types::{CallId, CallType, EntityRef, EntityType, UserId, UserRef};
use chrono::Duration;

/// The lifecycle cases, for [`conformance_tests!`](crate::conformance_tests).
#[doc(hidden)]
#[macro_export]
macro_rules! __conformance_lifecycle_cases {
    ($make_store:expr) => {
        $crate::__conformance_module!(store lifecycle, $make_store, [
            finish_validation_order,
            finish_writes_the_statistics_row,
            status_code_defaults_follow_duration,
            activity_has_bitrix_fields,
            activity_subject_and_flags_follow_the_call_type,
            activity_bindings_in_bitrix_order,
            activity_keeps_an_explicitly_bound_closed_deal,
            no_entity_means_no_activity,
            finish_searches_again_when_the_call_had_no_entity,
            created_entities_go_to_the_finishing_user,
            missed_calls_and_call_backs,
            finish_queues_end_events,
            finish_happens_once,
            failed_finish_changes_nothing,
            finished_call_no_longer_deduplicates,
            concurrent_finishes_store_one_row,
            show_and_hide_active_calls_only,
            search_returns_one_of_each_type,
            external_lines_are_managed_per_application,
            offline_events_are_taken_and_cleared,
            offline_events_are_taken_again_by_their_process,
            event_ids_are_never_reused,
            events_stored_with_a_live_call_read_as_appended,
            building_an_engine_leaves_no_trace,
        ]);
    };
}

const NUMBER: &str = "+7 495 123-45-67";

fn finish_by<S: CrmStore>(
    portal: &Portal<S>,
    call: &RegisterOutcome,
    user: i64,
    duration: i64,
) -> crate::FinishOutcome {
    let request = FinishRequest::new(call.call_id.as_str(), user, duration);
    match portal.engine.finish(&Auth::webhook(1), &request) {
        Ok(outcome) => outcome,
        Err(e) => panic!("finish failed: {e}"),
    }
}

fn finish_with<S: CrmStore>(
    portal: &Portal<S>,
    request: &FinishRequest,
) -> Result<crate::FinishOutcome, crate::CallregError> {
    portal.engine.finish(&Auth::webhook(1), request)
}

/// Auth type → permission → user → `CALL_ID` type → call exists → user active → limits.
pub fn finish_validation_order<S: CrmStore>(store: S) {
    let portal = Portal::new(store);
    let clerk = portal.given_user(NewUser::default());
    let call = portal.registered(&RegisterRequest::incoming(1, NUMBER));
    let id = call.call_id.as_str();
    let session = portal.engine.finish(&Auth::session(1), &FinishRequest::new(id, 0, 0));
    assert_refused(
        session,
        "WRONG_AUTH_TYPE",
        "Current authorization type is denied for this method",
    );
    let denied = portal.engine.finish(&Auth::webhook(clerk.0), &FinishRequest::new(id, 0, 0));
    assert_refused(denied, "ACCESS_DENIED", "Access denied!");
    let mut no_call_id = FinishRequest::new(id, 0, 0);
    no_call_id.call_id = None;
    assert_refused(
        finish_with(&portal, &no_call_id),
        "ERROR_CORE",
        "USER_ID or USER_PHONE_INNER should be set",
    );
    no_call_id.user_id = 1;
    let refused = finish_with(&portal, &no_call_id);
    assert_eq!(refused.as_ref().err().map(|e| e.http_status()), Some(400));
    assert_refused(refused, "INVALID_ARGUMENT", "CALL_ID must be a string");
    let unknown = finish_with(&portal, &FinishRequest::new("externalCall.nope.1", 999, 0));
    assert_refused(
        unknown,
        "ERROR_CORE",
        "Call is not found (call should be registered prior to finishing",
    );
    assert_refused(
        finish_with(&portal, &FinishRequest::new(id, 999, 0)),
        "ERROR_CORE",
        "User is not found or is not active",
    );
    let mut long = FinishRequest::new(id, 1, 0);
    long.cost_currency = "X".repeat(51);
    assert_refused(
        finish_with(&portal, &long),
        "ERROR_ARGUMENT",
        "COST_CURRENCY is too long: at most 50 characters",
    );
    let mut long = FinishRequest::new(id, 1, 0);
    long.failed_reason = "r".repeat(256);
    assert_refused(
        finish_with(&portal, &long),
        "ERROR_ARGUMENT",
        "FAILED_REASON is too long: at most 255 characters",
    );
    let huge = finish_with(&portal, &FinishRequest::new(id, 1, 1 << 40));
    assert_refused(huge, "ERROR_ARGUMENT", "DURATION should be between -2147483648 and 2147483647");
    let mut ok = FinishRequest::new(id, 0, 0);
    ok.failed_reason = "r".repeat(255);
    ok.user_phone_inner = Some("nope".into());
    assert_refused(
        finish_with(&portal, &ok),
        "ERROR_CORE",
        "USER_ID or USER_PHONE_INNER should be set",
    );
    ok.user_id = 1;
    finish_with(&portal, &ok).expect("finished at the limit");
}

/// The statistics row carries the call and the finish's values.
pub fn finish_writes_the_statistics_row<S: CrmStore>(store: S) {
    let portal = Portal::new(store);
    let operator = portal.given_employee("101", None);
    let contact = portal.given_contact("Ivan", &[NUMBER]);
    let request = RegisterRequest::incoming(1, "+7 (495) 123-45-67")
        .line("74951112233")
        .external_call_id("ast-77")
        .start_date("2026-03-10T10:00:00+03:00");
    let call = portal.engine.register(&Auth::app(1, "pbx"), &request).expect("registered");
    portal.advance_minutes(2);
    let mut finish = FinishRequest::new(call.call_id.as_str(), 0, 95);
    finish.user_phone_inner = Some("101".into());
    finish.vote = 5;
    finish.cost = 1.5;
    finish.cost_currency = "RUB".into();
    finish.failed_reason = "none".into();
    finish.record_url = Some("https://pbx.example/rec/1.mp3".into());
    let outcome = portal.engine.finish(&Auth::app(1, "pbx"), &finish).expect("finished");
    let r = &outcome.record;
    assert_eq!(r.call_id, call.call_id);
    assert_eq!(r.external_call_id.as_deref(), Some("ast-77"));
    assert_eq!(r.portal_user_id, operator);
    assert_eq!(r.phone_number, "+74951234567");
    assert_eq!(r.portal_number, "74951112233");
    assert_eq!(r.call_type, CallType::Incoming);
    assert_eq!(r.duration, 95);
    assert_eq!(r.start_date.to_rfc3339(), "2026-03-10T07:00:00+00:00");
    assert_eq!(r.call_status, 1);
    assert_eq!(r.vote, 5);
    assert!((r.cost - 1.5).abs() < f64::EPSILON);
    assert_eq!(r.cost_currency, "RUB");
    assert_eq!(r.failed_code, "200");
    assert_eq!(r.failed_reason, "none");
    assert_eq!(r.app_id.as_ref().map(|a| a.as_str()), Some("pbx"));
    assert_eq!(r.primary, Some(EntityRef::contact(contact)));
    assert_eq!(r.record_url.as_deref(), Some("https://pbx.example/rec/1.mp3"));
    assert!(r.activity_id.is_some());
    assert_eq!(outcome.activity_error, None);
    assert_eq!(r.finished_at, start_time() + Duration::minutes(2));
    assert_eq!(portal.engine.call_record(&call.call_id).expect("readable").as_ref(), Some(r));
    assert!(portal.active_calls().is_empty(), "the call is no longer active");
}

/// `STATUS_CODE` defaults to 200 when `DURATION` > 0, else 304; `CALL_STATUS` follows the duration only.
pub fn status_code_defaults_follow_duration<S: CrmStore>(store: S) {
    let portal = Portal::new(store);
    let cases: [(i64, Option<&str>, &str, u8); 6] = [
        (0, None, "304", 0),
        (10, None, "200", 1),
        (10, Some("486"), "486", 1),
        (0, Some(""), "304", 0),
        (5, Some("0"), "200", 1),
        (0, Some("603-S"), "603-S", 0),
    ];
    for (i, (duration, status, code, call_status)) in cases.into_iter().enumerate() {
        let call = portal
            .registered(&RegisterRequest::incoming(1, NUMBER).external_call_id(format!("s{i}")));
        let mut request = FinishRequest::new(call.call_id.as_str(), 1, duration);
        request.status_code = status.map(Into::into);
        let record = finish_with(&portal, &request).expect("finished").record;
        assert_eq!(record.failed_code, code, "case {i}");
        assert_eq!(record.call_status, call_status, "case {i}");
    }
}

/// The activity: subject, direction, times, people, origin, phone, result mark.
pub fn activity_has_bitrix_fields<S: CrmStore>(store: S) {
    let portal = Portal::new(store);
    let operator = portal.given_employee("101", None);
    let contact = portal.given_contact("Ivan", &[NUMBER]);
    let call = portal.registered(
        &RegisterRequest::incoming(1, "84951234567").start_date("2026-03-10T07:00:00Z"),
    );
    let mut request =
        FinishRequest::new(call.call_id.as_str(), i64::try_from(operator.0).unwrap_or(0), 95);
    request.vote = 4;
    let record = finish_with(&portal, &request).expect("finished").record;
    let activity = portal
        .engine
        .activity(record.activity_id.expect("activity"))
        .expect("readable")
        .expect("stored");
    assert_eq!(activity.subject, "Incoming from +7 495 123-45-67");
    assert_eq!(activity.direction, Direction::Incoming);
    assert_eq!(activity.start_time.to_rfc3339(), "2026-03-10T07:00:00+00:00");
    assert_eq!(activity.end_time.to_rfc3339(), "2026-03-10T07:01:35+00:00");
    assert_eq!(activity.responsible_id, operator);
    assert_eq!(activity.author_id, operator);
    assert_eq!(activity.origin_id, format!("VI_{}", call.call_id));
    assert_eq!(activity.phone, "84951234567");
    assert_eq!(activity.communication_entity, Some(EntityRef::contact(contact)));
    assert!(activity.completed && !activity.missed);
    assert_eq!(activity.result_mark, ResultMark::Positive);
    assert_eq!(activity.bindings, vec![EntityRef::contact(contact)]);
    for (vote, mark) in [
        (0, ResultMark::None),
        (3, ResultMark::Neutral),
        (2, ResultMark::Negative),
        (5, ResultMark::Positive),
    ] {
        assert_eq!(ResultMark::from_vote(vote), mark);
    }
}

/// Subjects per type; incoming and callback calls answered with 304 are missed, not completed.
pub fn activity_subject_and_flags_follow_the_call_type<S: CrmStore>(store: S) {
    let portal = Portal::new(store);
    portal.given_contact("Ivan", &[NUMBER]);
    let cases = [
        (CallType::Outgoing, "Outgoing to +7 495 123-45-67", Direction::Outgoing, true),
        (CallType::Incoming, "Incoming from +7 495 123-45-67", Direction::Incoming, false),
        (CallType::IncomingRedirect, "Incoming from +7 495 123-45-67", Direction::Incoming, true),
        (CallType::Callback, "Callback to +7 495 123-45-67", Direction::Outgoing, false),
        (CallType::Information, "Phone call", Direction::Outgoing, true),
    ];
    for (call_type, subject, direction, completed) in cases {
        let call = portal.registered(&RegisterRequest::new(UserRef::Id(1), NUMBER, call_type));
        let record = finish_by(&portal, &call, 1, 0).record;
        assert_eq!(record.failed_code, "304");
        let activity = portal
            .engine
            .activity(record.activity_id.expect("activity"))
            .expect("readable")
            .expect("stored");
        assert_eq!(activity.subject, subject);
        assert_eq!(activity.direction, direction, "{call_type:?}");
        assert_eq!(activity.completed, completed, "{call_type:?}");
        assert_eq!(activity.missed, !completed, "{call_type:?}");
    }
}

/// Bindings: active deals, then leads, then contact before company.
pub fn activity_bindings_in_bitrix_order<S: CrmStore>(store: S) {
    let portal = Portal::new(store);
    let company = portal.given_company("Acme", &[NUMBER]);
    let contact = portal.given_contact("Ivan", &[NUMBER]);
    let deal = portal.given_deal(EntityRef::contact(contact), "NEW");
    portal.given_deal(EntityRef::contact(contact), "WON");
    let call = portal.registered(&RegisterRequest::incoming(1, NUMBER));
    let record = finish_by(&portal, &call, 1, 30).record;
    let activity = portal
        .engine
        .activity(record.activity_id.expect("activity"))
        .expect("readable")
        .expect("stored");
    assert_eq!(
        activity.bindings,
        vec![EntityRef::deal(deal), EntityRef::contact(contact), EntityRef::company(company)]
    );
    assert_eq!(activity.communication_entity, Some(EntityRef::contact(contact)));
}

/// A call bound explicitly to a deal that is already won: the activity is bound to that deal,
/// as Bitrix binds the call's stored bindings whatever their stage; a closed deal is ordered
/// after leads, before contacts.
pub fn activity_keeps_an_explicitly_bound_closed_deal<S: CrmStore>(store: S) {
    let portal = Portal::new(store);
    let contact = portal.given_contact("Ivan", &[NUMBER]);
    let won = portal.given_deal(EntityRef::contact(contact), "WON");
    let mut request = RegisterRequest::incoming(1, NUMBER);
    request.crm_entity_type = Some("DEAL".into());
    request.crm_entity_id = Some(i64::try_from(won).expect("small id"));
    let call = portal.registered(&request);
    let outcome = finish_by(&portal, &call, 1, 30);
    assert_eq!(outcome.activity_error, None);
    assert_eq!(outcome.record.primary, Some(EntityRef::deal(won)));
    let activity = portal
        .engine
        .activity(outcome.record.activity_id.expect("an activity"))
        .expect("readable")
        .expect("stored");
    assert_eq!(activity.bindings, vec![EntityRef::deal(won)]);
    assert_eq!(activity.communication_entity, Some(EntityRef::deal(won)));
}

/// Nothing to bind: `CRM_ACTIVITY_ID` false and Bitrix's error text.
pub fn no_entity_means_no_activity<S: CrmStore>(store: S) {
    let portal = Portal::new(store);
    let call = portal.registered(&RegisterRequest::incoming(1, NUMBER));
    let outcome = finish_by(&portal, &call, 1, 30);
    assert_eq!(outcome.record.activity_id, None);
    assert_eq!(outcome.activity_error.as_deref(), Some(NO_ENTITY_FOR_ACTIVITY));
    assert_eq!(NO_ENTITY_FOR_ACTIVITY, "Could not find associated crm entity for the current call");
    assert!(portal.engine.activities().expect("readable").is_empty());
    assert!(
        portal.engine.call_record(&call.call_id).expect("readable").is_some(),
        "the call is still finished"
    );
}

/// A call registered before its caller was in the CRM is bound by a fresh search at finish.
pub fn finish_searches_again_when_the_call_had_no_entity<S: CrmStore>(store: S) {
    let portal = Portal::new(store);
    let call = portal.registered(&RegisterRequest::incoming(1, NUMBER));
    let contact = portal.given_contact("Met during the call", &["8 495 123 45 67"]);
    let deal = portal.given_deal(EntityRef::contact(contact), "NEW");
    let record = finish_by(&portal, &call, 1, 30).record;
    let activity = portal
        .engine
        .activity(record.activity_id.expect("activity"))
        .expect("readable")
        .expect("stored");
    assert_eq!(activity.bindings, vec![EntityRef::deal(deal), EntityRef::contact(contact)]);
    assert_eq!(
        activity.communication_entity,
        Some(EntityRef::contact(contact)),
        "the phone communication names the record the search ranked first, not its deal"
    );
    assert_eq!(record.primary, None, "the statistics keep the call's own primary");
}

/// Entities the call created are reassigned to the finishing user; others are untouched.
pub fn created_entities_go_to_the_finishing_user<S: CrmStore>(store: S) {
    let portal = Portal::new(store);
    let operator = portal.given_employee("101", None);
    let call = portal.registered(&RegisterRequest::incoming(1, NUMBER).crm_create(true));
    let lead = call.created_lead.expect("lead");
    assert_eq!(portal.lead(lead).assigned_by, UserId(1));
    let other = portal.given_contact("Other", &["+7 812 555-00-00"]);
    let explicit = portal.registered(
        &RegisterRequest::incoming(1, "+7 812 555-00-00")
            .bind_to("CONTACT", i64::try_from(other).unwrap_or(0)),
    );
    portal.advance_minutes(3);
    finish_by(&portal, &call, i64::try_from(operator.0).unwrap_or(0), 30);
    finish_by(&portal, &explicit, i64::try_from(operator.0).unwrap_or(0), 30);
    let lead = portal.lead(lead);
    assert_eq!(lead.assigned_by, operator);
    assert_eq!(lead.modified, start_time() + Duration::minutes(3));
    let contact = portal.engine.contact(other).expect("readable").expect("exists");
    assert_eq!(contact.assigned_by, UserId(1));
}

/// 304 on an incoming call records a missed call; a successful outgoing call to the number
/// marks it called back.
pub fn missed_calls_and_call_backs<S: CrmStore>(store: S) {
    let portal = Portal::new(store);
    let missed = portal.registered(&RegisterRequest::incoming(1, NUMBER));
    let missed_record = finish_by(&portal, &missed, 1, 0).record;
    let answered = portal.registered(&RegisterRequest::incoming(1, "+7 812 000-11-22"));
    finish_by(&portal, &answered, 1, 30);
    let list = portal.engine.missed_calls().expect("readable");
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].record_id, missed_record.id);
    assert_eq!(list[0].called_back_by, None);
    let failed_back = portal.registered(&RegisterRequest::outgoing(1, "84951234567"));
    finish_by(&portal, &failed_back, 1, 0);
    assert_eq!(portal.engine.missed_calls().expect("readable")[0].called_back_by, None);
    let back =
        portal.registered(&RegisterRequest::outgoing(1, "84951234567").external_call_id("back"));
    let back_record = finish_by(&portal, &back, 1, 40).record;
    assert_eq!(
        portal.engine.missed_calls().expect("readable")[0].called_back_by,
        Some(back_record.id)
    );
}

/// Card hide for the finishing user, `ONVOXIMPLANTCALLEND`, and a chat message on request.
pub fn finish_queues_end_events<S: CrmStore>(store: S) {
    let portal = Portal::new(store);
    let call = portal.registered(&RegisterRequest::incoming(1, NUMBER));
    portal.clear_events();
    let record = finish_by(&portal, &call, 1, 95).record;
    assert_eq!(portal.event_names(), vec![event_names::CARD_HIDE, event_names::CALL_END]);
    let end = &portal.events()[1].data;
    assert_eq!(end["CALL_ID"], call.call_id.as_str());
    assert_eq!(end["CALL_DURATION"], "95");
    assert_eq!(end["CALL_FAILED_CODE"], "200");
    assert_eq!(end["PORTAL_NUMBER"], "REST_APP:");
    assert_eq!(end["CALL_START_DATE"], start_time().to_rfc3339());
    assert_eq!(end["CRM_ACTIVITY_ID"], serde_json::Value::Null);
    assert_eq!(record.activity_id, None);
    portal.clear_events();
    for (i, (code, chat)) in [("200", true), ("423", false)].into_iter().enumerate() {
        let call = portal
            .registered(&RegisterRequest::incoming(1, NUMBER).external_call_id(format!("c{i}")));
        portal.clear_events();
        let mut request = FinishRequest::new(call.call_id.as_str(), 1, 10).status(code);
        request.add_to_chat = true;
        finish_with(&portal, &request).expect("finished");
        assert_eq!(
            portal.event_names().contains(&event_names::CHAT_MESSAGE.to_string()),
            chat,
            "{code}"
        );
    }
}

/// A second finish gets "Call is not found" and creates nothing (D3).
pub fn finish_happens_once<S: CrmStore>(store: S) {
    let portal = Portal::new(store);
    portal.given_contact("Ivan", &[NUMBER]);
    let call = portal.registered(&RegisterRequest::incoming(1, NUMBER));
    finish_by(&portal, &call, 1, 10);
    portal.clear_events();
    let again = finish_with(&portal, &FinishRequest::new(call.call_id.as_str(), 1, 10));
    assert_refused(
        again,
        "ERROR_CORE",
        "Call is not found (call should be registered prior to finishing",
    );
    assert_eq!(portal.engine.call_records().expect("readable").len(), 1);
    assert_eq!(portal.engine.activities().expect("readable").len(), 1);
    assert!(portal.events().is_empty());
}

/// A refused finish leaves the call active and everything else unchanged.
pub fn failed_finish_changes_nothing<S: CrmStore>(store: S) {
    let portal = Portal::new(store);
    let call = portal.registered(&RegisterRequest::incoming(1, NUMBER).crm_create(true));
    portal.clear_events();
    let mut request = FinishRequest::new(call.call_id.as_str(), 2, 10);
    portal.given_user(NewUser::default());
    request.failed_reason = "x".repeat(300);
    assert!(finish_with(&portal, &request).is_err());
    assert_eq!(portal.active_calls().len(), 1);
    assert!(portal.engine.call_records().expect("readable").is_empty());
    assert!(portal.engine.activities().expect("readable").is_empty());
    assert!(portal.events().is_empty());
    assert_eq!(
        portal.lead(call.created_lead.expect("lead")).assigned_by,
        UserId(1),
        "no reassignment"
    );
    finish_by(&portal, &call, 2, 10);
}

/// Dedup only sees live calls: after finish the same registration is a new call.
pub fn finished_call_no_longer_deduplicates<S: CrmStore>(store: S) {
    let portal = Portal::new(store);
    let call = portal.registered(&RegisterRequest::incoming(1, NUMBER).external_call_id("e1"));
    finish_by(&portal, &call, 1, 10);
    let again = portal.registered(&RegisterRequest::incoming(1, NUMBER).external_call_id("e1"));
    assert!(!again.deduplicated);
    assert_ne!(again.call_id, call.call_id);
    let plain = portal.registered(&RegisterRequest::incoming(1, NUMBER));
    finish_by(&portal, &plain, 1, 10);
    assert_ne!(portal.registered(&RegisterRequest::incoming(1, NUMBER)).call_id, plain.call_id);
}

/// 8 threads finishing one call: exactly one succeeds, one row, one activity.
pub fn concurrent_finishes_store_one_row<S: CrmStore>(store: S) {
    let portal = Portal::new(store);
    portal.given_contact("Ivan", &[NUMBER]);
    let call = portal.registered(&RegisterRequest::incoming(1, NUMBER));
    let engine = &portal.engine;
    let successes: usize = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..8)
            .map(|_| {
                let request = FinishRequest::new(call.call_id.as_str(), 1, 10);
                scope.spawn(move || engine.finish(&Auth::webhook(1), &request).is_ok())
            })
            .collect();
        workers.into_iter().map(|w| usize::from(w.join().unwrap_or(false))).sum()
    });
    assert_eq!(successes, 1);
    assert_eq!(portal.engine.call_records().expect("readable").len(), 1);
    assert_eq!(portal.engine.activities().expect("readable").len(), 1);
}

/// show/hide: `true` and a card event per user for an active call; `false` otherwise.
pub fn show_and_hide_active_calls_only<S: CrmStore>(store: S) {
    let portal = Portal::new(store);
    let call = portal.registered(&RegisterRequest::incoming(1, NUMBER).show(false));
    portal.clear_events();
    assert!(portal.engine.show_call(call.call_id.as_str(), Some(&[2, 3, 4])).expect("shown"));
    let shown: Vec<String> = portal
        .events()
        .iter()
        .map(|e| e.data["USER_ID"].as_str().unwrap_or("").to_string())
        .collect();
    assert_eq!(shown, vec!["2", "3", "4"]);
    assert!(portal.events().iter().all(|e| e.name == event_names::CARD_SHOW));
    portal.clear_events();
    assert!(portal.engine.hide_call(call.call_id.as_str(), None).expect("hidden"));
    assert_eq!(portal.event_names(), vec![event_names::CARD_HIDE]);
    assert_eq!(portal.events()[0].data["USER_ID"], "1", "default: the call's user");
    portal.clear_events();
    assert!(!portal.engine.show_call("externalCall.unknown.1", None).expect("answered"));
    // Ids that cannot be users leave the call's own user.
    assert!(portal.engine.show_call(call.call_id.as_str(), Some(&[0, -3])).expect("shown"));
    assert_eq!(portal.events()[0].data["USER_ID"], "1");
    portal.clear_events();
    let too_many: Vec<i64> = (1..=1001).collect();
    let refused = portal.engine.show_call(call.call_id.as_str(), Some(&too_many));
    assert_refused(refused, "ERROR_ARGUMENT", "USER_ID has too many items: at most 1000");
    assert!(portal.events().is_empty());
    finish_by(&portal, &call, 1, 5);
    portal.clear_events();
    assert!(!portal.engine.show_call(call.call_id.as_str(), None).expect("answered"));
    assert!(!portal.engine.hide_call(call.call_id.as_str(), Some(&[1])).expect("answered"));
    assert!(portal.events().is_empty());
}

/// searchCrmEntities: the lowest id of each type, CONTACT, LEAD, COMPANY; lead status not filtered.
pub fn search_returns_one_of_each_type<S: CrmStore>(store: S) {
    let portal = Portal::new(store);
    let manager = portal.given_user(NewUser {
        name: "Olga".into(),
        inner_phone: Some("105".into()),
        personal_mobile: Some("+7 916 000-00-01".into()),
        ..NewUser::default()
    });
    let company = portal.given_company("Acme", &[NUMBER]);
    portal.given_company("Acme 2", &[NUMBER]);
    let lead = portal.given_lead("Junk lead", "JUNK", &["84951234567"]);
    let contact = portal
        .engine
        .add_contact(&crate::NewContact {
            name: "Ivan".into(),
            last_name: "Petrov".into(),
            assigned_by: Some(manager),
            phones: vec![crate::PhoneInput::mobile("4951234567")],
            ..crate::NewContact::default()
        })
        .expect("added");
    portal.given_contact("Second", &[NUMBER]);
    let hits = portal.engine.search_crm_entities("+7 (495) 123-45-67").expect("searched");
    let found: Vec<EntityRef> = hits.iter().map(|h| h.entity).collect();
    assert_eq!(
        found,
        vec![EntityRef::contact(contact), EntityRef::lead(lead), EntityRef::company(company)]
    );
    assert_eq!(hits[0].assigned_by, manager);
    assert_eq!(hits[0].name.as_deref(), Some("Ivan Petrov"));
    let responsible = hits[0].responsible.as_ref().expect("responsible user");
    assert_eq!(responsible.inner_phone.as_deref(), Some("105"));
    assert_eq!(hits[1].name.as_deref(), Some("Junk lead"));
    assert_eq!(hits[2].assigned_by, UserId(1));
    assert!(portal.engine.search_crm_entities("+7 812 999-99-99").expect("searched").is_empty());
    assert_refused(portal.engine.search_crm_entities(""), "ERROR_CORE", "PHONE_NUMBER is empty");
    portal.given_contact("", &["+7 812 999-99-98"]);
    let nameless = portal.engine.search_crm_entities("+7 812 999-99-98").expect("searched");
    assert_eq!(nameless[0].name, None);
    assert_eq!(nameless[0].entity.kind, EntityType::Contact);
}

/// externalLine.add/update/delete/get with Bitrix's errors, per application.
pub fn external_lines_are_managed_per_application<S: CrmStore>(store: S) {
    let portal = Portal::new(store);
    let engine = &portal.engine;
    let app = Auth::app(1, "pbx-1");
    let id = engine.add_line(&app, " 74951112233 ", Some("Support"), None).expect("added");
    assert!(id > 0);
    assert_refused(
        engine.add_line(&app, "74951112233", None, None),
        "ERROR_CORE",
        "Line already exists",
    );
    assert_refused(
        engine.add_line(&app, "  ", None, None),
        "ERROR_CORE",
        "NUMBER should not be empty",
    );
    assert_refused(
        engine.add_line(&Auth::session(1), "1", None, None),
        "WRONG_AUTH_TYPE",
        "Current authorization type is denied for this method",
    );
    engine
        .add_line(&Auth::app(1, "pbx-2"), "74951112233", None, Some(false))
        .expect("another app may reuse the number");
    portal
        .engine
        .register(&app, &RegisterRequest::incoming(1, NUMBER).line("74950000000"))
        .expect("registered");
    let lines = engine.lines(&app).expect("listed");
    let listed: Vec<(&str, Option<&str>, bool)> =
        lines.iter().map(|l| (l.number.as_str(), l.name.as_deref(), l.crm_auto_create)).collect();
    assert_eq!(listed, vec![("74951112233", Some("Support"), true), ("74950000000", None, true)]);
    assert_refused(
        engine.update_line(&app, None, None, None),
        "ERROR_CORE",
        "There are no fields to update",
    );
    assert_refused(
        engine.update_line(&app, Some(""), Some("x"), None),
        "ERROR_CORE",
        "NUMBER should not be empty",
    );
    assert_refused(
        engine.update_line(&app, Some("999"), Some("x"), None),
        "ERROR_CORE",
        "Could not find line with number 999",
    );
    assert_eq!(
        engine.update_line(&app, Some("74951112233"), None, Some(false)).expect("updated"),
        id
    );
    let line =
        engine.lines(&app).expect("listed").into_iter().find(|l| l.id == id).expect("still there");
    assert_eq!((line.name.as_deref(), line.crm_auto_create), (Some("Support"), false));
    engine.delete_line(&app, Some("74951112233")).expect("deleted");
    assert_refused(
        engine.delete_line(&app, Some("74951112233")),
        "ERROR_CORE",
        "Could not find line with number 74951112233",
    );
    assert_refused(engine.delete_line(&app, None), "ERROR_CORE", "NUMBER should not be empty");
    assert_eq!(engine.lines(&app).expect("listed").len(), 1);
    assert_eq!(engine.lines(&Auth::app(1, "pbx-2")).expect("listed").len(), 1);
    assert!(engine.lines(&Auth::webhook(1)).expect("listed").is_empty());
    engine.add_line(&app, "74951112233", None, None).expect("a deleted number can be added again");
}

/// An event id, once committed, is never given to another event: not after the newest
/// events are cleared (pending or claimed), and not after a transaction that pushed events
/// rolled back.
pub fn event_ids_are_never_reused<S: CrmStore>(store: S) {
    let portal = Portal::new(store);
    let engine = &portal.engine;
    let push = |name: &str| {
        let mut tx = engine.store().begin().expect("transaction");
        let id = tx.push_event(name, &Default::default(), start_time()).expect("pushed");
        tx.commit().expect("committed");
        id
    };
    let mut highest = portal.events().iter().map(|e| e.id).max().unwrap_or(0);
    let mut next = || {
        let id = push("E");
        assert!(id > highest, "event id {id} after {highest}");
        highest = id;
        id
    };
    let (a, b) = (next(), next());
    // The newest pending event cleared.
    let mut tx = engine.store().begin().expect("transaction");
    assert_eq!(tx.delete_events(&[b]).expect("deleted"), 1);
    tx.commit().expect("committed");
    next();
    // The newest event claimed, then cleared by its reader.
    let c = next();
    let mut tx = engine.store().begin().expect("transaction");
    tx.claim_events(&[c], "reader").expect("claimed");
    assert_eq!(tx.claimed_events("reader").expect("listed").len(), 1);
    assert_eq!(tx.delete_events(&[c]).expect("deleted"), 1);
    tx.commit().expect("committed");
    next();
    // Everything cleared.
    portal.clear_events();
    assert!(portal.events().is_empty());
    let last = next();
    // A rolled-back push leaves no trace, and its id may be given again (it was never
    // committed); a committed one may not.
    let mut tx = engine.store().begin().expect("transaction");
    let rolled_back = tx.push_event("R", &Default::default(), start_time()).expect("pushed");
    assert!(rolled_back > last);
    drop(tx);
    assert!(portal.events().iter().all(|e| e.name != "R"));
    let last = next();
    // Several at once: consecutive ids, in order, after every earlier one.
    let data = crate::model::EventJson::object().text("K", "v").null("N").finish();
    let mut tx = engine.store().begin().expect("transaction");
    let ids =
        tx.push_events(&[("X", &data), ("Y", &data), ("Z", &data)], start_time()).expect("pushed");
    tx.commit().expect("committed");
    assert_eq!(ids, vec![last + 1, last + 2, last + 3]);
    let events: Vec<(u64, String)> =
        portal.events().into_iter().map(|e| (e.id, e.name)).filter(|(id, _)| *id > last).collect();
    assert_eq!(events, vec![(ids[0], "X".into()), (ids[1], "Y".into()), (ids[2], "Z".into())]);
    let stored = portal.events().into_iter().find(|e| e.id == ids[1]).expect("stored");
    assert_eq!(stored.data, data.to_data(), "the data as given");
    let mut tx = engine.store().begin().expect("transaction");
    assert_eq!(tx.delete_events(&ids).expect("deleted"), 3);
    let again = tx.push_events(&[("V", &data), ("W", &data)], start_time()).expect("pushed");
    assert!(tx.push_events(&[], start_time()).expect("nothing pushed").is_empty());
    tx.commit().expect("committed");
    assert!(again[0] > ids[2] && again[1] == again[0] + 1, "{again:?} after {ids:?}");
    let _ = a;
}

/// Events stored with a new live call (`insert_active_call_with_events`, which a store may
/// keep in the call's row) read as if appended: in id order among the other events, listed
/// up to a limit, claimed and deleted one by one, kept when the call ends, and their ids
/// never given again; a rolled-back call takes its events with it.
pub fn events_stored_with_a_live_call_read_as_appended<S: CrmStore>(store: S) {
    let portal = Portal::new(store);
    portal.clear_events();
    let engine = &portal.engine;
    let json = |call: &str, k: &str| {
        crate::model::EventJson::object().text("CALL_ID", call).text("K", k).null("N").finish()
    };
    let (a, b, c) = (
        sample_active_call("externalCall.a.1"),
        sample_active_call("externalCall.b.1"),
        sample_active_call("externalCall.c.1"),
    );
    let later = start_time() + Duration::seconds(1);
    let (p, a1, a2, a3, m, b1, b2, c1) = (
        json("none", "p"),
        json("externalCall.a.1", "a1"),
        // Data that does not start with the call's own id.
        crate::model::EventJson::object()
            .text("K", "a2")
            .text("CALL_ID", "externalCall.a.1")
            .finish(),
        json("externalCall.b.1", "a3"),
        json("none", "m"),
        json("externalCall.b.1", "b1"),
        json("externalCall.b.1", "b2"),
        json("externalCall.c.1", "c1"),
    );
    let mut tx = engine.store().begin().expect("transaction");
    let first = tx.push_events(&[("P", &p)], start_time()).expect("pushed");
    let a_ids = tx
        .insert_active_call_with_events(&a, &[("A1", &a1), ("A2", &a2), ("A3", &a3)], start_time())
        .expect("stored");
    let m_id = tx.push_event("M", &m.to_data(), start_time()).expect("pushed");
    let b_ids = tx
        .insert_active_call_with_events(&b, &[("B1", &b1), ("B2", &b2)], start_time())
        .expect("stored");
    // Queued at another time than the call's registration.
    let c_ids = tx.insert_active_call_with_events(&c, &[("C1", &c1)], later).expect("stored");
    tx.commit().expect("committed");
    let p_id = first[0];
    assert_eq!(a_ids, vec![p_id + 1, p_id + 2, p_id + 3]);
    assert_eq!(
        (m_id, b_ids.clone(), c_ids.clone()),
        (p_id + 4, vec![p_id + 5, p_id + 6], vec![p_id + 7])
    );
    let names = |events: &[crate::model::OutboxEvent]| -> Vec<(u64, String)> {
        events.iter().map(|e| (e.id, e.name.clone())).collect()
    };
    let all: Vec<(u64, String)> = ["P", "A1", "A2", "A3", "M", "B1", "B2", "C1"]
        .iter()
        .enumerate()
        .map(|(i, name)| (p_id + i as u64, name.to_string()))
        .collect();
    let events = portal.events();
    assert_eq!(names(&events), all);
    for (event, data) in events.iter().zip([&p, &a1, &a2, &a3, &m, &b1, &b2, &c1]) {
        assert_eq!(event.data, data.to_data(), "{}", event.name);
        let at = if event.name == "C1" { later } else { start_time() };
        assert_eq!((event.created_at, event.process_id.as_deref()), (at, None), "{}", event.name);
    }
    let mut tx = engine.store().begin().expect("transaction");
    assert_eq!(names(&tx.pending_events(2).expect("listed")), all[..2]);
    assert_eq!(names(&tx.outbox_events(3).expect("listed")), all[..3]);
    // One of a call's events claimed: the others stay pending.
    tx.claim_events(&[a_ids[1]], "reader").expect("claimed");
    tx.commit().expect("committed");
    let mut tx = engine.store().begin().expect("transaction");
    assert_eq!(names(&tx.claimed_events("reader").expect("listed")), [all[2].clone()]);
    let pending = tx.pending_events(100).expect("listed");
    let expected: Vec<(u64, String)> =
        all.iter().filter(|(id, _)| *id != a_ids[1]).cloned().collect();
    assert_eq!(names(&pending), expected);
    let outbox = tx.outbox_events(100).expect("listed");
    assert_eq!(names(&outbox), all);
    assert_eq!(outbox[2].process_id.as_deref(), Some("reader"));
    assert_eq!(outbox[2].data, a2.to_data());
    // One of a call's events and all of another's deleted; an unknown id ignored.
    let deleted = tx.delete_events(&[a_ids[0], b_ids[1], b_ids[0], p_id + 1000]).expect("deleted");
    assert_eq!(deleted, 3);
    tx.commit().expect("committed");
    let left = |events: Vec<crate::model::OutboxEvent>| -> Vec<String> {
        events.into_iter().map(|e| e.name).collect()
    };
    assert_eq!(left(portal.events()), ["P", "A3", "M", "C1"]);
    // The calls end: their events stay.
    let mut tx = engine.store().begin().expect("transaction");
    for call in [&a, &b, &c] {
        assert!(tx.delete_active_call(&call.call_id).expect("deleted"), "{:?}", call.call_id);
    }
    tx.commit().expect("committed");
    assert_eq!(left(portal.events()), ["P", "A3", "M", "C1"]);
    let mut tx = engine.store().begin().expect("transaction");
    assert_eq!(left(tx.claimed_events("reader").expect("listed")), ["A2"]);
    assert_eq!(tx.delete_events(&[a_ids[1], a_ids[2]]).expect("deleted"), 2);
    tx.commit().expect("committed");
    // A call and its events rolled back: neither stays.
    let mut tx = engine.store().begin().expect("transaction");
    let d = sample_active_call("externalCall.d.1");
    let d_ids =
        tx.insert_active_call_with_events(&d, &[("D1", &a1)], start_time()).expect("stored");
    assert_eq!(d_ids, vec![p_id + 8], "after every id given");
    drop(tx);
    assert_eq!(left(portal.events()), ["P", "M", "C1"]);
    assert!(engine.active_calls().expect("readable").is_empty());
    // No id given twice, whatever was deleted.
    let mut tx = engine.store().begin().expect("transaction");
    let e = sample_active_call("externalCall.e.1");
    let e_ids =
        tx.insert_active_call_with_events(&e, &[("E1", &a1)], start_time()).expect("stored");
    tx.commit().expect("committed");
    assert!(e_ids[0] > c_ids[0], "{e_ids:?}");
    assert_eq!(left(portal.events()), ["P", "M", "C1", "E1"]);
}

/// Building an engine rehearses registrations (a lead created, a contact with a deal, three
/// calls, their events) in a transaction it rolls back: none of it is stored, and the first
/// records and events of the new portal get the first ids.
pub fn building_an_engine_leaves_no_trace<S: CrmStore>(store: S) {
    let portal = Portal::new(super::faults::FailingStore::new(store));
    let engine = &portal.engine;
    // The rehearsal ran: its writes were attempted, and none was committed.
    // Last comes the committed `engine.started`.
    let log = engine.store().write_log();
    let first = log.iter().position(|op| *op == "insert_lead").expect("a lead rehearsed");
    let (rehearsal, last) = log[first..].split_at(log.len() - first - 2);
    assert_eq!(last, ["set_meta", "commit"], "{log:?}");
    assert!(!rehearsal.contains(&"commit"), "{log:?}");
    for op in ["insert_contact", "insert_deal", "push_events"] {
        assert!(rehearsal.contains(&op), "{op} not rehearsed: {log:?}");
    }
    let calls = rehearsal.iter().filter(|op| **op == "insert_active_call").count();
    assert_eq!(calls, 3, "{log:?}");
    for kind in [EntityType::Lead, EntityType::Contact, EntityType::Company, EntityType::Deal] {
        assert!(engine.entity_ids(kind).expect("readable").is_empty(), "{kind:?}");
    }
    assert!(engine.active_calls().expect("readable").is_empty());
    assert!(engine.call_records().expect("readable").is_empty());
    assert!(portal.events().is_empty());
    assert!(engine.entities_with_number("+7 495 000-00-00").expect("readable").is_empty());
    assert!(engine.entities_with_number("+7 495 000-00-01").expect("readable").is_empty());
    let call =
        portal.registered(&RegisterRequest::incoming(1, "+7 495 000-00-00").crm_create(true));
    assert_eq!(call.created_lead, Some(1));
    assert_eq!(portal.events().first().map(|e| e.id), Some(1));
    let contact = engine.add_contact(&crate::engine::NewContact::default()).expect("added");
    assert_eq!(contact, 1);
    let deal = engine.add_deal(&crate::engine::NewDeal::default()).expect("added");
    assert_eq!(deal, 1);
}

/// event.offline.get semantics: `clear` removes; otherwise events stay claimed by a process
/// id until cleared, and no other reader gets them.
pub fn offline_events_are_taken_and_cleared<S: CrmStore>(store: S) {
    let portal = Portal::new(store);
    portal.clear_events();
    portal.registered(&RegisterRequest::incoming(1, NUMBER));
    portal.registered(&RegisterRequest::incoming(1, "+7 495 000-00-01"));
    let engine = &portal.engine;
    let first = engine.take_offline_events(2, false).expect("taken");
    assert_eq!(first.events.len(), 2);
    assert_eq!(first.events[0].name, event_names::CALL_INIT);
    assert!(
        first.events.iter().all(|e| e.process_id.as_deref() == Some(first.process_id.as_str()))
    );
    // The outbox lists the claimed events with their reader, and the pending ones.
    let outbox = engine.outbox_events(100).expect("readable");
    assert_eq!(outbox.len(), 6);
    assert!(outbox.windows(2).all(|pair| pair[0].id < pair[1].id), "oldest first");
    let readers: Vec<Option<&str>> = outbox.iter().map(|e| e.process_id.as_deref()).collect();
    let claimed = Some(first.process_id.as_str());
    assert_eq!(readers, [claimed, claimed, None, None, None, None]);
    assert_eq!(engine.outbox_events(3).expect("readable").len(), 3);
    assert_eq!(engine.pending_events(100).expect("readable").len(), 4);
    let second = engine.take_offline_events(100, false).expect("taken");
    assert_eq!(second.events.len(), 4, "claimed events are not handed out again");
    assert_ne!(second.process_id, first.process_id);
    assert_eq!(engine.clear_offline_events("not-a-process", None).expect("cleared"), 0);
    let only = [first.events[0].id];
    assert_eq!(engine.clear_offline_events(&first.process_id, Some(&only)).expect("cleared"), 1);
    assert_eq!(engine.clear_offline_events(&first.process_id, None).expect("cleared"), 1);
    assert_eq!(engine.clear_offline_events(&second.process_id, None).expect("cleared"), 4);
    portal.registered(&RegisterRequest::incoming(1, "+7 495 000-00-02").show(false));
    let cleared = engine.take_offline_events(1, true).expect("taken");
    assert_eq!(cleared.events.len(), 1);
    assert_eq!(engine.take_offline_events(10, true).expect("taken").events.len(), 1);
    assert!(engine.take_offline_events(10, true).expect("taken").events.is_empty());
    let _ = CallId::new("unused");
}

/// event.offline.get with a `process_id`: a reader gets again what it took without clearing
/// (up to `limit`, oldest first), nothing new is claimed, and `clear` removes what it
/// returned; an empty process id reads the unclaimed events without claiming them.
pub fn offline_events_are_taken_again_by_their_process<S: CrmStore>(store: S) {
    let portal = Portal::new(store);
    portal.clear_events();
    portal.registered(&RegisterRequest::incoming(1, NUMBER).show(false));
    portal.registered(&RegisterRequest::incoming(1, "+7 495 000-00-01").show(false));
    let engine = &portal.engine;
    let held = engine.take_offline_events(3, false).expect("taken");
    let held_ids: Vec<u64> = held.events.iter().map(|e| e.id).collect();
    assert_eq!(held_ids.len(), 3);
    let again = engine.retake_offline_events(&held.process_id, 2, false).expect("taken again");
    assert_eq!(again.process_id, held.process_id);
    assert_eq!(again.events.iter().map(|e| e.id).collect::<Vec<_>>(), held_ids[..2]);
    assert_eq!(engine.pending_events(10).expect("readable").len(), 1, "nothing more claimed");
    // The unclaimed events, read without being claimed.
    let peek = engine.retake_offline_events("", 10, false).expect("read");
    assert_eq!(peek.events.len(), 1);
    assert_eq!(peek.events[0].process_id, None);
    assert_eq!(engine.pending_events(10).expect("readable").len(), 1);
    // Cleared: only the events returned.
    let cleared = engine.retake_offline_events(&held.process_id, 2, true).expect("taken again");
    assert_eq!(cleared.events.len(), 2);
    let left = engine.retake_offline_events(&held.process_id, 10, false).expect("taken again");
    assert_eq!(left.events.iter().map(|e| e.id).collect::<Vec<_>>(), held_ids[2..]);
    assert!(
        engine.retake_offline_events("no-such-process", 10, true).expect("read").events.is_empty()
    );
    assert_eq!(engine.outbox_events(10).expect("readable").len(), 2);
}
