//! Invariants checked over generated inputs and under real threads. Each case takes a
//! constructor, since every generated input needs a fresh store.

use super::kit::Portal;
use crate::phone::PhoneKey;
use crate::register::RegisterRequest;
use crate::store::CrmStore;
use crate::types::{CallType, EntityRef, UserRef};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use std::collections::{HashMap, HashSet};

/// The property cases, for [`conformance_tests!`](crate::conformance_tests).
#[doc(hidden)]
#[macro_export]
macro_rules! __conformance_property_cases {
    ($make_store:expr) => {
        $crate::__conformance_module!(constructor properties, $make_store, [
            any_format_finds_the_same_owner,
            formats_bitrix_matches_match_under_any_region,
            bitrix_code_index_is_exact,
            telephony_code_index_is_exact,
            registrations_never_duplicate_leads_or_calls,
            concurrent_registrations_create_one_lead_per_number,
            lifecycle_never_duplicates_records_or_activities,
            listing_pages_are_the_filtered_listing,
        ]);
    };
}

fn runner(cases: u32) -> TestRunner {
    TestRunner::new(Config { cases, failure_persistence: None, ..Config::default() })
}

/// Formats of a Russian number `+7 <area> <subscriber>` (matching.md's list).
fn russian_formats(area: &str, sub: &str) -> Vec<String> {
    let (a, b, c) = (&sub[..3], &sub[3..5], &sub[5..7]);
    vec![
        format!("+7{area}{sub}"),
        format!("7{area}{sub}"),
        format!("8{area}{sub}"),
        format!("8 ({area}) {a}-{b}-{c}"),
        format!("+7 ({area}) {a} {b} {c}"),
        format!("007 {area} {sub}"),
        format!("810 7 {area} {sub}"),
        format!("tel:+7-{area}-{a}-{b}-{c}"),
        format!("+7 {area} {a}-{b}-{c} ext. 12"),
        format!("{area}{sub}"),
    ]
}

fn russian_number() -> impl Strategy<Value = (String, String)> {
    ("[3489][0-9]{2}", "[1-9][0-9]{6}")
}

/// (a) A contact stored in any format of a number is found from any other format of it.
pub fn any_format_finds_the_same_owner<S: CrmStore>(make: &dyn Fn() -> S) {
    let strategy = (russian_number(), 0usize..10, 0usize..10);
    let result = runner(24).run(&strategy, |((area, sub), stored, called)| {
        let formats = russian_formats(&area, &sub);
        let portal = Portal::new(make());
        let contact = portal.given_contact("Owner", &[formats[stored].as_str()]);
        let call = portal.registered(&RegisterRequest::incoming(1, formats[called].clone()));
        prop_assert_eq!(
            call.primary,
            Some(EntityRef::contact(contact)),
            "stored {} called {}",
            &formats[stored],
            &formats[called]
        );
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}

/// A number of one of several countries (calling code, national number) and the ways it
/// is written: internationally (`+`, bare, `00`, `011`, spaced) and nationally (with the
/// country's trunk prefix, or none).
fn international_formats() -> impl Strategy<Value = Vec<String>> {
    let number = prop_oneof![
        ("[3489][0-9]{2}[1-9][0-9]{6}").prop_map(|n| ("7", n, vec!["8", ""])),
        ("(30|89|40)[1-9][0-9]{6}").prop_map(|n| ("49", n, vec!["0"])),
        ("[2-9][0-9]{2}[2-9][0-9]{6}").prop_map(|n| ("1", n, vec!["1", ""])),
        ("44[1-9][0-9]{6}").prop_map(|n| ("380", n, vec!["0"])),
        ("17[1-9][0-9]{6}").prop_map(|n| ("375", n, vec!["8 0"])),
        ("20[3-8][0-9]{7}").prop_map(|n| ("44", n, vec!["0"])),
    ];
    number.prop_map(|(cc, national, trunks)| {
        let (head, tail) = national.split_at(3);
        let mut formats = vec![
            format!("+{cc}{national}"),
            format!("{cc}{national}"),
            format!("00{cc}{national}"),
            format!("011 {cc} {national}"),
            format!("+{cc} ({head}) {tail}"),
            format!("tel:+{cc}-{head}-{tail}"),
            format!(" (+{cc}) {national}"),
            format!("+{cc} {national} #12"),
        ];
        formats.extend(trunks.iter().map(|trunk| format!("{trunk}{national}")));
        formats
    })
}

/// (b) Contract D5, no regression: a contact stored in one format is found from any other
/// format Bitrix's normalization maps to the same code (the caller's taken from its stripped
/// text, as Bitrix's criterion is), whatever the portal's region reads each of them as
/// (`16502530000` and `+1 650 253 0000` on a German portal). And Bitrix's criterion never
/// binds a record whose code differs: called from another number, a match by that tier is
/// a wrong one.
pub fn formats_bitrix_matches_match_under_any_region<S: CrmStore>(make: &dyn Fn() -> S) {
    use crate::matching::{MatchTier, bitrix_code};
    let regions = ["RU", "DE", "US", "BY", "KZ", "GB", "UA"];
    let strategy = (
        international_formats(),
        international_formats(),
        any::<bool>(),
        any::<prop::sample::Index>(),
        any::<prop::sample::Index>(),
        0..regions.len(),
    );
    let result = runner(128).run(&strategy, |(own, other, same, stored, called, region)| {
        let stored = stored.get(&own);
        let called = if same { called.get(&own) } else { called.get(&other) };
        let equal = bitrix_code(stored) == bitrix_code(&crate::phone::strip_letters(called));
        let region = crate::phone::Region::parse(regions[region]).expect("a known region");
        let config = crate::config::EngineConfig { default_region: region, ..Default::default() };
        let portal = super::kit::Portal::with_config(make(), config);
        let contact = portal.given_contact("Owner", &[stored.as_str()]);
        let found = portal.engine.find_owners_of_number(called, None).unwrap();
        let context = format!("stored {stored:?} called {called:?} in {}", region.as_str());
        if equal {
            prop_assert_eq!(found.primary, Some(EntityRef::contact(contact)), "{}", context);
            let call = portal.registered(&RegisterRequest::incoming(1, called.clone()));
            prop_assert_eq!(call.primary, Some(EntityRef::contact(contact)), "{}", context);
        } else {
            prop_assert_ne!(found.tier, Some(MatchTier::BitrixCode), "{}", context);
        }
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}

/// The store's index of employees' phones by Bitrix's telephony form answers exactly what the
/// trait's default (a scan of every user) would, under any region: for the form of every
/// stored value, and for the values themselves, the users having a phone of that form, each
/// once, lowest id first.
pub fn telephony_code_index_is_exact<S: CrmStore>(make: &dyn Fn() -> S) {
    use crate::engine::NewUser;
    use crate::matching::telephony_code;
    let regions = ["RU", "DE", "US", "GB"];
    let odd = prop_oneof![
        Just("101".to_string()),
        Just("+8 916 555-12-34".to_string()),
        Just("8 10 49 30 1234567".to_string()),
        Just("011 1 650 253 0000".to_string()),
        Just("#31#+79161234567".to_string()),
    ];
    let phone = prop_oneof![
        4 => (international_formats(), any::<prop::sample::Index>())
            .prop_map(|(formats, pick)| pick.get(&formats).clone()),
        1 => odd,
    ];
    let user = proptest::collection::vec(proptest::option::of(phone), 3);
    let strategy = (proptest::collection::vec(user, 1..6), 0..regions.len());
    let result = runner(48).run(&strategy, |(users, region)| {
        let region = crate::phone::Region::parse(regions[region]).expect("a known region");
        let config = crate::config::EngineConfig { default_region: region, ..Default::default() };
        let portal = Portal::with_config(make(), config);
        let mut stored: Vec<(crate::types::UserId, Vec<String>)> = Vec::new();
        for phones in &users {
            let id = portal.given_user(NewUser {
                work_phone: phones[0].clone(),
                personal_phone: phones[1].clone(),
                personal_mobile: phones[2].clone(),
                ..NewUser::default()
            });
            stored.push((id, phones.iter().flatten().filter_map(|v| telephony_code(v)).collect()));
        }
        let mut forms: Vec<String> = stored.iter().flat_map(|(_, c)| c.iter().cloned()).collect();
        forms.extend(users.iter().flatten().flatten().cloned());
        for form in forms {
            let expected: Vec<_> =
                stored.iter().filter(|(_, c)| c.contains(&form)).map(|(id, _)| *id).collect();
            let found = portal.engine.read(|tx| tx.find_users_by_telephony_code(&form)).unwrap();
            prop_assert_eq!(found, expected, "form {:?} in {}", form, region.as_str());
        }
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}

/// The store's index of Bitrix codes answers exactly what a scan of every phone would, under
/// any region (which decides the keys the phones are stored with): for the code of every
/// stored value, and of the values themselves, the records having a phone of that code,
/// each once, contacts before companies before leads.
pub fn bitrix_code_index_is_exact<S: CrmStore>(make: &dyn Fn() -> S) {
    use crate::matching::bitrix_code;
    let regions = ["RU", "DE", "US", "GB"];
    let odd = prop_oneof![
        Just("112".to_string()),
        Just("*100#".to_string()),
        Just("none".to_string()),
        Just("+8 123 456".to_string()),
        Just("0812 555 44 33".to_string()),
        Just("+49 (0)30 1234567".to_string()),
    ];
    let phone = prop_oneof![
        4 => (international_formats(), any::<prop::sample::Index>())
            .prop_map(|(formats, pick)| pick.get(&formats).clone()),
        1 => odd,
    ];
    let record = (0..3u8, proptest::collection::vec(phone, 1..4));
    let strategy = (proptest::collection::vec(record, 1..7), 0..regions.len());
    let result = runner(64).run(&strategy, |(records, region)| {
        let region = crate::phone::Region::parse(regions[region]).expect("a known region");
        let config = crate::config::EngineConfig { default_region: region, ..Default::default() };
        let portal = Portal::with_config(make(), config);
        let mut stored: Vec<(EntityRef, Vec<String>)> = Vec::new();
        for (kind, phones) in &records {
            let values: Vec<&str> = phones.iter().map(String::as_str).collect();
            let entity = match kind {
                0 => EntityRef::contact(portal.given_contact("C", &values)),
                1 => EntityRef::company(portal.given_company("Co", &values)),
                _ => EntityRef::lead(portal.given_lead("L", "NEW", &values)),
            };
            stored.push((entity, phones.iter().map(|v| bitrix_code(v)).collect()));
        }
        let mut codes: Vec<String> = stored.iter().flat_map(|(_, c)| c.iter().cloned()).collect();
        codes.extend(records.iter().flat_map(|(_, phones)| phones.iter().cloned()));
        for code in codes {
            let mut expected: Vec<EntityRef> = if code.is_empty() {
                Vec::new()
            } else {
                stored.iter().filter(|(_, c)| c.contains(&code)).map(|(e, _)| *e).collect()
            };
            expected.sort_by_key(|e| (e.kind.search_rank(), e.id));
            let found = portal.engine.read(|tx| tx.find_entities_by_bitrix_code(&code)).unwrap();
            prop_assert_eq!(found, expected, "code {:?} in {}", code, region.as_str());
        }
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}

#[derive(Debug, Clone)]
struct Step {
    number: usize,
    format: usize,
    crm_create: bool,
    external_id: Option<u8>,
    outgoing: bool,
    advance_minutes: i64,
}

fn step() -> impl Strategy<Value = Step> {
    (0usize..4, 0usize..10, any::<bool>(), proptest::option::of(0u8..4), any::<bool>(), 0i64..20)
        .prop_map(|(number, format, crm_create, external_id, outgoing, advance_minutes)| Step {
            number,
            format,
            crm_create,
            external_id,
            outgoing,
            advance_minutes,
        })
}

/// (b) No sequence of registrations yields two leads for one E.164 key or two active calls
/// for one `EXTERNAL_CALL_ID`.
pub fn registrations_never_duplicate_leads_or_calls<S: CrmStore>(make: &dyn Fn() -> S) {
    let numbers = [("495", "1234567"), ("812", "7654321"), ("906", "2195047"), ("843", "1112233")];
    let strategy = proptest::collection::vec(step(), 1..40);
    let result = runner(24).run(&strategy, |steps| {
        let portal = Portal::new(make());
        for step in &steps {
            portal.advance_minutes(step.advance_minutes);
            let (area, sub) = numbers[step.number];
            let number = russian_formats(area, sub)[step.format].clone();
            let call_type = if step.outgoing { CallType::Outgoing } else { CallType::Incoming };
            let mut request =
                RegisterRequest::new(UserRef::Id(1), number, call_type).crm_create(step.crm_create);
            request.external_call_id = step.external_id.map(|e| format!("ext-{e}"));
            portal.register(&request).map_err(|e| TestCaseError::fail(e.to_string()))?;
            check_one_lead_per_key(&portal)?;
            let mut seen = HashSet::new();
            for call in portal.active_calls() {
                if let Some(ext) = &call.external_call_id {
                    prop_assert!(
                        seen.insert((call.app_id.clone(), ext.clone())),
                        "two active calls with {}",
                        ext
                    );
                }
            }
        }
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}

fn check_one_lead_per_key<S: CrmStore>(portal: &Portal<S>) -> Result<(), TestCaseError> {
    let mut owners: HashMap<PhoneKey, u64> = HashMap::new();
    for id in portal.leads() {
        for phone in portal.lead(id).phones {
            if let Some(key) = phone.key
                && let Some(other) = owners.insert(key.clone(), id)
            {
                prop_assert_eq!(other, id, "two leads for {}", key);
            }
        }
    }
    Ok(())
}

/// 8 threads register the same 50 unknown numbers 20 times each with `CRM_CREATE`:
/// with a distinct `EXTERNAL_CALL_ID` per registration, exactly 50 leads and 8,000 calls;
/// with one shared `EXTERNAL_CALL_ID` per number, 50 leads and 50 calls.
pub fn concurrent_registrations_create_one_lead_per_number<S: CrmStore>(make: &dyn Fn() -> S) {
    const THREADS: usize = 8;
    const NUMBERS: usize = 50;
    const ROUNDS: usize = 20;
    for shared_external_id in [false, true] {
        let portal = Portal::new(make());
        let engine = &portal.engine;
        let call_ids: Vec<Vec<(usize, String)>> = std::thread::scope(|scope| {
            let workers: Vec<_> = (0..THREADS)
                .map(|thread| {
                    scope.spawn(move || {
                        let mut ids = Vec::new();
                        for round in 0..ROUNDS {
                            for n in 0..NUMBERS {
                                let external_id = if shared_external_id {
                                    format!("shared-{n}")
                                } else {
                                    format!("t{thread}-r{round}-n{n}")
                                };
                                let number = format!("+7 900 100-{:02}-{:02}", n / 10, n % 10 + 10);
                                let request = RegisterRequest::incoming(1, number)
                                    .crm_create(true)
                                    .external_call_id(external_id);
                                match engine.register(&crate::Auth::webhook(1), &request) {
                                    Ok(call) => ids.push((n, call.call_id.as_str().to_string())),
                                    Err(e) => panic!("register failed under concurrency: {e}"),
                                }
                            }
                        }
                        ids
                    })
                })
                .collect();
            workers
                .into_iter()
                .map(|w| w.join().unwrap_or_else(|_| panic!("worker panicked")))
                .collect()
        });
        let leads = portal.leads();
        assert_eq!(leads.len(), NUMBERS, "one lead per number (shared id: {shared_external_id})");
        let calls = portal.active_calls();
        let expected_calls = if shared_external_id { NUMBERS } else { THREADS * ROUNDS * NUMBERS };
        assert_eq!(calls.len(), expected_calls);
        let mut lead_of_number: HashMap<String, HashSet<Option<EntityRef>>> = HashMap::new();
        for call in &calls {
            lead_of_number.entry(call.caller_key.clone()).or_default().insert(call.primary());
        }
        assert_eq!(lead_of_number.len(), NUMBERS);
        assert!(
            lead_of_number.values().all(|owners| owners.len() == 1),
            "every call of a number binds the same lead"
        );
        if shared_external_id {
            let mut per_number: HashMap<usize, HashSet<String>> = HashMap::new();
            for (n, id) in call_ids.into_iter().flatten() {
                per_number.entry(n).or_default().insert(id);
            }
            assert!(
                per_number.values().all(|ids| ids.len() == 1),
                "all registrations of a number got one CALL_ID"
            );
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum LifecycleOp {
    Register(usize),
    Finish(usize, i64),
    Show(usize),
    Hide(usize),
}

fn lifecycle_op() -> impl Strategy<Value = LifecycleOp> {
    prop_oneof![
        (0usize..3).prop_map(LifecycleOp::Register),
        (0usize..3, -5i64..60).prop_map(|(c, d)| LifecycleOp::Finish(c, d)),
        (0usize..3).prop_map(LifecycleOp::Show),
        (0usize..3).prop_map(LifecycleOp::Hide),
    ]
}

/// Any interleaving of register / finish / show / hide: each call has at most one statistics
/// row and at most one activity, and a finished call is never active.
pub fn lifecycle_never_duplicates_records_or_activities<S: CrmStore>(make: &dyn Fn() -> S) {
    let strategy = proptest::collection::vec(lifecycle_op(), 1..40);
    let result = runner(24).run(&strategy, |ops| {
        let portal = Portal::new(make());
        portal.given_contact("Owner", &["+7 495 123-45-67"]);
        let mut latest: [Option<String>; 3] = [None, None, None];
        for op in ops {
            match op {
                LifecycleOp::Register(c) => {
                    let request = RegisterRequest::incoming(1, "+7 495 123-45-67")
                        .crm_create(true)
                        .external_call_id(format!("c{c}"));
                    let call = portal
                        .register(&request)
                        .map_err(|e| TestCaseError::fail(e.to_string()))?;
                    latest[c] = Some(call.call_id.as_str().to_string());
                }
                LifecycleOp::Finish(c, duration) => {
                    if let Some(id) = &latest[c] {
                        let active = portal.active_calls().iter().any(|a| a.call_id.as_str() == id);
                        let request = crate::finish::FinishRequest::new(id.as_str(), 1, duration);
                        let finished = portal.engine.finish(&crate::Auth::webhook(1), &request);
                        prop_assert_eq!(
                            finished.is_ok(),
                            active,
                            "finish of {} (active: {})",
                            id,
                            active
                        );
                    }
                }
                LifecycleOp::Show(c) | LifecycleOp::Hide(c) => {
                    if let Some(id) = &latest[c] {
                        let shown = if matches!(op, LifecycleOp::Show(_)) {
                            portal.engine.show_call(id, None)
                        } else {
                            portal.engine.hide_call(id, None)
                        };
                        let active = portal.active_calls().iter().any(|a| a.call_id.as_str() == id);
                        prop_assert_eq!(
                            shown.map_err(|e| TestCaseError::fail(e.to_string()))?,
                            active
                        );
                    }
                }
            }
            let records =
                portal.engine.call_records().map_err(|e| TestCaseError::fail(e.to_string()))?;
            let mut finished = HashSet::new();
            for record in &records {
                prop_assert!(
                    finished.insert(record.call_id.clone()),
                    "two rows for {}",
                    record.call_id
                );
            }
            let activities =
                portal.engine.activities().map_err(|e| TestCaseError::fail(e.to_string()))?;
            let mut origins = HashSet::new();
            for activity in &activities {
                prop_assert!(
                    origins.insert(activity.origin_id.clone()),
                    "two activities for {}",
                    activity.origin_id
                );
            }
            for call in portal.active_calls() {
                prop_assert!(
                    !finished.contains(&call.call_id),
                    "{} is both active and finished",
                    call.call_id
                );
            }
        }
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}

/// A finished call as a listing case stores it: `n` picks its user, number, key and times
/// among a few, so that filters and the order's ties have rows to tell apart.
fn listed_call_record(n: u8, salt: u8) -> crate::model::CallRecord {
    let at = |minutes: u8| super::kit::start_time() + chrono::Duration::minutes(i64::from(minutes));
    crate::model::CallRecord {
        id: 0,
        call_id: crate::types::CallId::new(format!("externalCall.{salt:02x}{n:02x}")),
        external_call_id: None,
        portal_user_id: crate::types::UserId(u64::from(n % 3) + 1),
        phone_number: ["+74951234567", "84951234567", "+4930123456"][usize::from(n % 3)].into(),
        caller_key: ["+74951234567", "+4930123456"][usize::from(n / 3 % 2)].into(),
        portal_number: "REST_APP:".into(),
        call_type: CallType::Incoming,
        duration: 60,
        start_date: at(n / 5 % 4),
        call_status: 1,
        vote: 0,
        cost: 0.0,
        cost_currency: "RUB".into(),
        failed_code: "200".into(),
        failed_reason: String::new(),
        app_id: None,
        activity_id: None,
        record_url: None,
        primary: None,
        record_id: None,
        transcript_id: None,
        finished_at: at(n / 2 % 3),
    }
}

/// An activity as a listing case stores it: `bindings` name (type, id) pairs.
fn listed_activity(origin: u8, bindings: &[(u8, u8)]) -> crate::model::Activity {
    let at = super::kit::start_time();
    crate::model::Activity {
        id: 0,
        subject: "Incoming call".into(),
        direction: crate::model::Direction::Incoming,
        start_time: at,
        end_time: at,
        responsible_id: crate::types::UserId(1),
        author_id: crate::types::UserId(1),
        origin_id: format!("VI_{origin}"),
        phone: "+74951234567".into(),
        communication_entity: None,
        completed: true,
        missed: false,
        result_mark: crate::model::ResultMark::None,
        description: String::new(),
        bindings: bindings
            .iter()
            .filter_map(|&(kind, id)| {
                let kind = crate::types::EntityType::from_type_id(i64::from(kind % 4) + 1)?;
                Some(EntityRef { kind, id: u64::from(id % 3) + 1 })
            })
            .collect(),
        record_id: None,
        created: at,
    }
}

/// The listings' pages (statistics, activities) and the latest finished calls are what
/// filtering, ordering and cutting the whole listing gives, whatever the filter, offset and
/// page size.
pub fn listing_pages_are_the_filtered_listing<S: CrmStore>(make: &dyn Fn() -> S) {
    use crate::store::{ActivityFilter, CallRecordFilter, Page};
    let activity = (0u8..4, proptest::collection::vec((0u8..4, 0u8..3), 0..3));
    let call_filter = (
        proptest::option::of(0u8..40),
        proptest::option::of((0usize..4, proptest::option::of(0usize..3))),
        proptest::option::of(prop_oneof![0u64..5, Just(u64::MAX)]),
    );
    let activity_filter = (
        proptest::option::of(1i64..5),
        proptest::option::of(prop_oneof![0u64..5, Just(u64::MAX)]),
        proptest::option::of(0u8..5),
    );
    let strategy = (
        proptest::collection::btree_set(0u8..40, 0..30),
        proptest::collection::vec(activity, 0..20),
        proptest::collection::vec((call_filter, activity_filter, 0usize..25, 0usize..12), 1..6),
    );
    let result = runner(32).run(&strategy, |(calls, activities, queries)| {
        let store = make();
        let fail = |e: crate::store::StoreError| TestCaseError::fail(e.to_string());
        {
            let mut tx = store.begin().map_err(fail)?;
            for &n in &calls {
                tx.insert_call_record(&listed_call_record(n, 7)).map_err(fail)?;
            }
            for (origin, bindings) in &activities {
                tx.insert_activity(&listed_activity(*origin, bindings)).map_err(fail)?;
            }
            tx.commit().map_err(fail)?;
        }
        let mut tx = store.begin().map_err(fail)?;
        let all_calls = tx.list_call_records().map_err(fail)?;
        let all_activities = tx.list_activities().map_err(fail)?;
        prop_assert_eq!(all_calls.len(), calls.len());
        for ((call_id, phone, user), (kind, owner, origin), start, limit) in queries {
            let numbers = ["+74951234567", "84951234567", "+4930123456", "+70000000000"];
            let keys = ["+74951234567", "+4930123456", "=112"];
            let filter = CallRecordFilter {
                call_id: call_id.map(|n| listed_call_record(n, 7).call_id),
                phone_number: phone.map(|(number, _)| numbers[number].to_string()),
                phone_key: phone.and_then(|(_, key)| key).map(|key| keys[key].to_string()),
                portal_user_id: user.map(crate::types::UserId),
            };
            let expected: Vec<_> =
                all_calls.iter().filter(|r| filter.matches(r)).cloned().collect();
            let page = tx.call_records_page(&filter, start, limit).map_err(fail)?;
            prop_assert_eq!(page, Page::of(expected, start, limit), "{:?}", filter);

            let filter = ActivityFilter {
                owner_type: kind.and_then(crate::types::EntityType::from_type_id),
                owner_id: owner,
                origin_id: origin.map(|o| format!("VI_{o}")),
            };
            let expected: Vec<_> =
                all_activities.iter().filter(|a| filter.matches(a)).cloned().collect();
            let page = tx.activities_page(&filter, start, limit).map_err(fail)?;
            prop_assert_eq!(page, Page::of(expected, start, limit), "{:?}", filter);

            let mut latest = all_calls.clone();
            latest.sort_by(crate::store::latest_first);
            latest.truncate(limit);
            prop_assert_eq!(tx.latest_call_records(limit).map_err(fail)?, latest);
        }
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}
