//! Conformance cases of tier 3 of number matching (matching.md): the last N digits of the
//! national number, off by default, tried only when tiers 1 and 2 find nothing, with its own
//! index in every store.

use super::kit::Portal;
use crate::config::EngineConfig;
use crate::matching::{MAX_SUFFIX_OWNERS, MatchTier};
use crate::model::{Contact, Phone};
use crate::phone::PhoneKey;
use crate::register::RegisterRequest;
use crate::store::CrmStore;
use crate::types::{EntityRef, UserId};

/// The tier-3 cases, for [`conformance_tests!`](crate::conformance_tests).
#[doc(hidden)]
#[macro_export]
macro_rules! __conformance_suffix_cases {
    ($make_store:expr) => {
        $crate::__conformance_module!(store suffix, $make_store, [
            suffix_matching_is_off_by_default,
            suffix_finds_variants_tiers_one_and_two_miss,
            suffix_never_overrides_a_tier_one_match,
            callers_shorter_than_the_suffix_do_not_use_it,
            suffix_matches_are_ranked_like_the_others,
            a_suffix_shared_by_too_many_records_matches_none,
            excluded_numbers_are_not_matched_by_suffix,
            suffix_skips_phones_whose_key_is_excluded,
            search_matches_as_register_does,
            bitrix_codes_are_of_the_stripped_caller,
            odd_formats_bitrix_matches_are_matched,
            bitrix_criterion_two_on_a_portal_of_region_by,
            a_finished_lead_does_not_hide_a_client_bitrix_compares,
            bitrix_criterion_two_on_a_portal_of_region_de,
            bitrix_criterion_two_on_a_portal_of_region_ru,
            a_record_found_by_both_keys_is_bound_once,
            suffix_index_contract,
            suffix_index_follows_commits_and_rollbacks,
            bitrix_code_index_contract,
            bitrix_code_index_follows_commits_and_rollbacks,
            bitrix_tier_skips_phones_whose_key_is_excluded,
        ]);
    };
}

/// The stored number of these cases.
const MOSCOW: &str = "+7 495 123-45-67";

/// Ways a PBX sends `+7 495 123-45-67` that tiers 1 and 2 cannot read as it: an outside-line
/// prefix `9` before the trunk prefix, a doubled international prefix, and the national
/// number under the wrong country code.
const VARIANTS: [&str; 3] = ["9 8 495 123-45-67", "000 7 495 123 45 67", "+49 495 1234567"];

fn with_suffix<S: CrmStore>(store: S, digits: u8) -> Portal<S> {
    Portal::with_config(
        store,
        EngineConfig { suffix_digits: Some(digits), ..EngineConfig::default() },
    )
}

/// Without `suffix_digits`, the variants find nobody: tier 3 is off unless configured.
pub fn suffix_matching_is_off_by_default<S: CrmStore>(store: S) {
    assert_eq!(EngineConfig::default().suffix_digits, None);
    let portal = Portal::new(store);
    portal.given_contact("Owner", &[MOSCOW]);
    for raw in VARIANTS {
        let found = portal.engine.find_owners_of_number(raw, None).unwrap();
        assert_eq!(found.primary, None, "{raw}");
        assert_eq!(found.tier, None, "{raw}");
        assert_eq!(portal.registered(&RegisterRequest::incoming(1, raw)).primary, None, "{raw}");
    }
}

/// With 10 digits, each variant finds the contact by tier 3, and register binds it.
pub fn suffix_finds_variants_tiers_one_and_two_miss<S: CrmStore>(store: S) {
    let portal = with_suffix(store, 10);
    let contact = portal.given_contact("Owner", &[MOSCOW]);
    for raw in VARIANTS {
        let found = portal.engine.find_owners_of_number(raw, None).unwrap();
        assert_eq!(found.primary, Some(EntityRef::contact(contact)), "{raw}");
        assert_eq!(found.tier, Some(MatchTier::NationalSuffix), "{raw}");
        let call = portal.registered(&RegisterRequest::incoming(1, raw).crm_create(true));
        assert_eq!(call.primary, Some(EntityRef::contact(contact)), "{raw}");
        assert_eq!(call.created_lead, None, "nothing is created when tier 3 matched: {raw}");
    }
    // Tier 1 still says it was tier 1.
    let found = portal.engine.find_owners_of_number("8 (495) 123-45-67", None).unwrap();
    assert_eq!(found.tier, Some(MatchTier::DefaultRegion));
}

/// A number tier 1 finds is never matched by suffix too: the contact whose number ends the
/// same way but is another number is not bound.
pub fn suffix_never_overrides_a_tier_one_match<S: CrmStore>(store: S) {
    let portal = with_suffix(store, 10);
    let moscow = portal.given_contact("Moscow", &[MOSCOW]);
    let germany = portal.given_contact("Germany", &["+49 495 1234567"]);
    let found = portal.engine.find_owners_of_number(MOSCOW, None).unwrap();
    assert_eq!(found.primary, Some(EntityRef::contact(moscow)));
    assert_eq!(found.bound, vec![EntityRef::contact(moscow)]);
    assert_eq!(found.tier, Some(MatchTier::DefaultRegion));
    let call = portal.registered(&RegisterRequest::incoming(1, "+49 495 123 45 67"));
    assert_eq!(call.primary, Some(EntityRef::contact(germany)));
    // Both end with the same ten digits: a variant matching neither exactly finds both.
    let found = portal.engine.find_owners_of_number("9 8 495 123-45-67", None).unwrap();
    assert_eq!(found.primary, Some(EntityRef::contact(moscow)), "lowest id first");
    assert_eq!(found.bound, vec![EntityRef::contact(moscow), EntityRef::contact(germany)]);
}

/// A caller whose national number has fewer digits than the suffix does not use tier 3.
pub fn callers_shorter_than_the_suffix_do_not_use_it<S: CrmStore>(store: S) {
    let portal = with_suffix(store, 10);
    portal.given_contact("Owner", &[MOSCOW]);
    for raw in ["123-45-67", "495 123 45 6", "4567"] {
        let found = portal.engine.find_owners_of_number(raw, None).unwrap();
        assert_eq!(found.primary, None, "{raw}");
        assert_eq!(found.tier, None, "{raw}");
    }
}

/// Records found by suffix are ranked as any others: a contact before a lead, leads only in
/// process, the contact's active deals bound after it.
pub fn suffix_matches_are_ranked_like_the_others<S: CrmStore>(store: S) {
    let portal = with_suffix(store, 7);
    let lead = portal.given_lead("Lead", "IN_PROCESS", &["+7 812 123-45-67"]);
    let found = portal.engine.find_owners_of_number("9 8 383 123 45 67", None).unwrap();
    assert_eq!(found.primary, Some(EntityRef::lead(lead)), "an in-process lead by suffix");
    let contact = portal.given_contact("Contact", &["+49 30 1234567"]);
    let deal = portal.given_deal(EntityRef::contact(contact), "NEW");
    let found = portal.engine.find_owners_of_number("9 8 383 123 45 67", None).unwrap();
    assert_eq!(found.tier, Some(MatchTier::NationalSuffix));
    assert_eq!(found.primary, Some(EntityRef::contact(contact)), "the contact wins");
    assert_eq!(found.bound, vec![EntityRef::contact(contact), EntityRef::deal(deal)]);
}

/// More than [`MAX_SUFFIX_OWNERS`] records sharing the suffix: tier 3 finds none of them.
pub fn a_suffix_shared_by_too_many_records_matches_none<S: CrmStore>(store: S) {
    let portal = with_suffix(store, 7);
    for area in 0..MAX_SUFFIX_OWNERS {
        portal.given_contact("Shared", &[format!("+7 9{area:02} 123-45-67").as_str()]);
    }
    let found = portal.engine.find_owners_of_number("9 8 383 123 45 67", None).unwrap();
    assert_eq!(found.bound.len(), MAX_SUFFIX_OWNERS, "at the limit: all of them");
    portal.given_contact("One too many", &["+7 999 123-45-67"]);
    let found = portal.engine.find_owners_of_number("9 8 383 123 45 67", None).unwrap();
    assert_eq!(found.primary, None);
    assert!(found.bound.is_empty());
}

/// An excluded caller is not matched by suffix either.
pub fn excluded_numbers_are_not_matched_by_suffix<S: CrmStore>(store: S) {
    let portal = with_suffix(store, 10);
    portal.given_contact("Owner", &[MOSCOW]);
    portal.given_excluded("9 8 495 123-45-67");
    let found = portal.engine.find_owners_of_number("9 8 495 123-45-67", None).unwrap();
    assert!(found.excluded);
    assert_eq!(found.primary, None);
}

/// A record is not matched by suffix through a phone on the exclusion list, while a record
/// with the suffix on another phone still is (tier 3 filters as the Bitrix tier does).
pub fn suffix_skips_phones_whose_key_is_excluded<S: CrmStore>(store: S) {
    let portal = with_suffix(store, 7);
    let excluded_owner = portal.given_contact("Excluded phone", &["+7 495 123-45-67"]);
    portal.given_excluded("+7 495 123-45-67");
    let empty = portal.engine.read(|tx| tx.exclusion_list_is_empty()).unwrap();
    assert!(!empty, "a store may not call a list with an entry empty");
    let caller = "+7 999 123 45 67";
    let found = portal.engine.find_owners_of_number(caller, None).unwrap();
    assert!(!found.excluded, "the caller itself is not excluded");
    assert_eq!(found.primary, None, "only through an excluded phone: {found:?}");
    assert!(portal.engine.search_crm_entities(caller).unwrap().is_empty());
    let other = portal.given_contact("Two phones", &["+7 495 123-45-67", "+7 812 123-45-67"]);
    let found = portal.engine.find_owners_of_number(caller, None).unwrap();
    assert_eq!(found.tier, Some(MatchTier::NationalSuffix));
    assert_eq!(found.primary, Some(EntityRef::contact(other)), "{found:?}");
    assert!(!found.bound.contains(&EntityRef::contact(excluded_owner)));
}

/// `searchCrmEntities` finds records the way register does (contract 3a): tier 3 when it is
/// on, Bitrix's own criterion, and never a number on the exclusion list.
pub fn search_matches_as_register_does<S: CrmStore>(store: S) {
    let portal = with_suffix(store, 10);
    let contact = portal.given_contact("Owner", &[MOSCOW]);
    let searched = |raw: &str| -> Vec<EntityRef> {
        portal.engine.search_crm_entities(raw).unwrap().iter().map(|hit| hit.entity).collect()
    };
    for raw in VARIANTS {
        assert_eq!(searched(raw), vec![EntityRef::contact(contact)], "tier 3: {raw}");
    }
    // Stored with a stray `0`: no E.164 reading under RU finds it, Bitrix's code does.
    let odd = portal.given_contact("Odd", &["0812 555 44 33"]);
    let found = portal.engine.find_owners_of_number("812 555-44-33", None).unwrap();
    assert_eq!(found.primary, Some(EntityRef::contact(odd)));
    assert_eq!(found.tier, Some(MatchTier::BitrixCode));
    assert_eq!(searched("812 555-44-33"), vec![EntityRef::contact(odd)]);
    portal.given_excluded(MOSCOW);
    assert_eq!(searched(MOSCOW), Vec::new(), "excluded numbers are never matched");
    assert_eq!(searched("8 495 123-45-67"), Vec::new());
}

/// Bitrix's criterion compares the caller id as register stores it, stripped: a Vietnamese
/// mobile written `tel:+84...` or `(+84) ...` is `+84...`, whose `+8` Bitrix reads as an
/// international prefix, never as the Russian `8` that would make it a Ryazan number.
pub fn bitrix_codes_are_of_the_stripped_caller<S: CrmStore>(store: S) {
    let portal = Portal::new(store);
    let ryazan = portal.given_contact("Ryazan", &["+7 4912 34-56-78"]);
    for raw in ["+84912345678", "tel:+84912345678", " +84912345678", "(+84) 91 234 5678"] {
        let found = portal.engine.find_owners_of_number(raw, None).unwrap();
        assert_eq!(found.primary, None, "{raw}");
        assert!(portal.engine.search_crm_entities(raw).unwrap().is_empty(), "{raw}");
        let call = portal.registered(&RegisterRequest::incoming(1, raw));
        assert_eq!(call.primary, None, "{raw}");
    }
    // The Russian forms still find it.
    let found = portal.engine.find_owners_of_number("8 4912 34 56 78", None).unwrap();
    assert_eq!(found.primary, Some(EntityRef::contact(ryazan)));
}

/// Pairs Bitrix matches through each of its rewrites, where the E.164 readings differ or
/// there is none: a dropped `0`, an `8` made `7` before an extension, `+8` read as `008`,
/// `00` before a service number.
pub fn odd_formats_bitrix_matches_are_matched<S: CrmStore>(store: S) {
    let portal = Portal::new(store);
    for (stored, called) in [
        ("0812 555 44 33", "812 555-44-33"),
        ("849512345#67", "749512345"),
        ("+8 123 456", "008123456"),
        ("00*12345678", "*12345678"),
    ] {
        let contact = portal.given_contact("Odd", &[stored]);
        let found = portal.engine.find_owners_of_number(called, None).unwrap();
        assert_eq!(found.primary, Some(EntityRef::contact(contact)), "{stored} / {called}");
    }
}

/// A key that finds only leads no longer in process binds nothing; Bitrix's comparison, which
/// Bitrix runs together with the key, still finds the client (bound, and no lead is created
/// beside the junk one), for register and search alike. Tier 3 is not tried for such a
/// number: its owner is known, and the last digits would bind someone else.
pub fn a_finished_lead_does_not_hide_a_client_bitrix_compares<S: CrmStore>(store: S) {
    let default_region = crate::phone::Region::parse("DE").expect("a region");
    let config = EngineConfig { default_region, suffix_digits: Some(7), ..EngineConfig::default() };
    let portal = Portal::with_config(store, config);
    let junk = portal.given_lead("Junk", "JUNK", &["+1 650 253 0000", "+7 495 123 45 67"]);
    let saved_without_plus = portal.given_contact("Saved without +", &["16502530000"]);
    let found = portal.engine.find_owners_of_number("+1 650 253 0000", None).unwrap();
    assert_eq!(found.primary, Some(EntityRef::contact(saved_without_plus)), "{found:?}");
    assert_eq!(found.tier, Some(MatchTier::BitrixCode));
    let searched: Vec<EntityRef> = portal
        .engine
        .search_crm_entities("+1 650 253 0000")
        .unwrap()
        .iter()
        .map(|hit| hit.entity)
        .collect();
    assert_eq!(searched, [EntityRef::contact(saved_without_plus), EntityRef::lead(junk)]);
    let call = portal.registered(&RegisterRequest::incoming(1, "+1 650 253 0000").crm_create(true));
    assert_eq!(call.primary, Some(EntityRef::contact(saved_without_plus)));
    assert_eq!(call.created_lead, None);
    // Another number that only shares its last digits is not bound through tier 3.
    portal.given_contact("Same last digits", &["+7 999 123 45 67"]);
    let found = portal.engine.find_owners_of_number("+7 495 123 45 67", None).unwrap();
    assert_eq!((found.primary, found.tier), (None, Some(MatchTier::DefaultRegion)), "{found:?}");
    assert_eq!(portal.leads(), vec![junk]);
}

/// Bitrix's criterion 2 on a portal of region BY: on a Russian line, the caller's national
/// number matches a phone written in national form.
pub fn bitrix_criterion_two_on_a_portal_of_region_by<S: CrmStore>(store: S) {
    criterion_two(store, "BY", "(495) 111-22-33", "+7 495 111 22 33", "+7 495 700 00 01");
}

/// Bitrix's criterion 2 on a portal of region DE (where `(495) 111-22-33` reads as German).
pub fn bitrix_criterion_two_on_a_portal_of_region_de<S: CrmStore>(store: S) {
    criterion_two(store, "DE", "(495) 111-22-33", "+7 495 111 22 33", "+7 495 700 00 01");
}

/// Bitrix's criterion 2 on a portal of region RU, for a Belarusian caller on a Belarusian
/// line (`(017) ...`: Bitrix's code drops the `0`).
pub fn bitrix_criterion_two_on_a_portal_of_region_ru<S: CrmStore>(store: S) {
    criterion_two(store, "RU", "(017) 123-45-67", "+375 17 123 45 67", "+375 17 700 00 01");
}

/// A caller read under the portal's region (tier 1) and under the line's country (tier 2)
/// gives two numbers; a record with a phone of each is found by both and bound once, before
/// another record found by the second only.
pub fn a_record_found_by_both_keys_is_bound_once<S: CrmStore>(store: S) {
    let portal = Portal::new(store);
    let both = portal.given_contact("Both numbers", &["+7 812 123-45-67", "+1 812 123 4567"]);
    let american = portal.given_contact("American number", &["+1 812 123 4567"]);
    let us_line = "+1 650 253 0000";
    let found = portal.engine.find_owners_of_number("8121234567", Some(us_line)).unwrap();
    assert_eq!(found.tier, Some(MatchTier::DefaultRegion), "{found:?}");
    assert_eq!(found.primary, Some(EntityRef::contact(both)));
    assert_eq!(found.bound, vec![EntityRef::contact(both), EntityRef::contact(american)]);
    let call = portal
        .registered(&RegisterRequest::incoming(1, "8121234567").line(us_line).crm_create(true));
    let bound: Vec<EntityRef> =
        portal.active_call(&call).entities.iter().map(|e| e.entity).collect();
    assert_eq!(bound, vec![EntityRef::contact(both), EntityRef::contact(american)]);
}

/// On a line of another country, the caller's national number there matches a phone written
/// in national form; a phone written internationally with the same digits (another number)
/// does not; without the line there is no criterion 2.
fn criterion_two<S: CrmStore>(store: S, region: &str, stored: &str, caller: &str, line: &str) {
    let default_region = crate::phone::Region::parse(region).expect("a region");
    let portal =
        Portal::with_config(store, EngineConfig { default_region, ..EngineConfig::default() });
    let contact = portal.given_contact("National form", &[stored]);
    portal.given_contact("Same digits, other numbers", &["+49 5111 2233", "+17 1234567"]);
    let found = portal.engine.find_owners_of_number(caller, Some(line)).unwrap();
    assert_eq!(found.bound, vec![EntityRef::contact(contact)], "{region}: {stored} / {caller}");
    assert_eq!(found.primary, Some(EntityRef::contact(contact)));
    assert_eq!(found.tier, Some(MatchTier::BitrixCode));
    let alone = portal.engine.find_owners_of_number(caller, None).unwrap();
    assert_eq!(alone.primary, None, "{region}: no line, no criterion 2");
    let call = portal.registered(&RegisterRequest::incoming(1, caller).line(line).crm_create(true));
    assert_eq!(call.primary, Some(EntityRef::contact(contact)), "{region}");
    assert_eq!(call.created_lead, None);
}

fn phone(value: &str, key: &str) -> Phone {
    Phone { value: value.into(), value_type: "WORK".into(), key: PhoneKey::from_storage(key) }
}

fn contact(phones: Vec<Phone>) -> Contact {
    let now = super::kit::start_time();
    Contact {
        id: 0,
        name: "C".into(),
        last_name: String::new(),
        company_id: None,
        assigned_by: UserId(1),
        phones,
        created: now,
        modified: now,
    }
}

/// The store method itself: reversed suffixes select by prefix, records once each, contacts
/// before companies before leads, `Digits` keys never indexed, at most `limit` records.
pub fn suffix_index_contract<S: CrmStore>(store: S) {
    let portal = Portal::new(store);
    let company = portal.given_company("Co", &["+49 30 1234567"]);
    let lead = portal.given_lead("L", "NEW", &["+7 812 123-45-67"]);
    let contact = portal.given_contact("C", &[MOSCOW, "8 (495) 123-45-67", "112", "101"]);
    let other = portal.given_contact("D", &["+7 495 765-43-21"]);
    let find = |suffix: &str, limit: usize| {
        portal.engine.read(|tx| tx.find_entities_by_national_suffix(suffix, limit)).unwrap()
    };
    let all_three =
        vec![EntityRef::contact(contact), EntityRef::company(company), EntityRef::lead(lead)];
    assert_eq!(find("7654321", 100), all_three, "…1234567 in three records");
    assert_eq!(find("76543215", 100), vec![EntityRef::contact(contact)], "…51234567");
    assert_eq!(find("7654321594", 100), vec![EntityRef::contact(contact)], "the whole number");
    assert_eq!(find("76543215947", 100), Vec::<EntityRef>::new(), "longer than the number");
    assert_eq!(find("1234567", 100), vec![EntityRef::contact(other)]);
    assert_eq!(find("211", 100), Vec::<EntityRef>::new(), "112 is a Digits key: not indexed");
    assert_eq!(find("7654321", 2).len(), 2, "at most limit");
    assert_eq!(find("7654321", 0), Vec::<EntityRef>::new());
    assert_eq!(find("x", 100), Vec::<EntityRef>::new(), "no digit text matches nothing");
}

/// Only committed phones are in the index: a rolled-back insert leaves no trace in it.
pub fn suffix_index_follows_commits_and_rollbacks<S: CrmStore>(store: S) {
    let portal = Portal::new(store);
    let store = portal.engine.store();
    let mut tx = store.begin().unwrap();
    tx.insert_contact(&contact(vec![phone(MOSCOW, "+74951234567")])).unwrap();
    assert_eq!(tx.find_entities_by_national_suffix("7654321", 10).unwrap().len(), 1);
    drop(tx);
    let mut tx = store.begin().unwrap();
    assert!(tx.find_entities_by_national_suffix("7654321", 10).unwrap().is_empty());
    let id = tx.insert_contact(&contact(vec![phone(MOSCOW, "+74951234567")])).unwrap();
    tx.commit().unwrap();
    let mut tx = store.begin().unwrap();
    assert_eq!(
        tx.find_entities_by_national_suffix("7654321", 10).unwrap(),
        vec![EntityRef::contact(id)]
    );
}

/// The store method of the Bitrix-code tier: a phone is found under the code of its value as
/// entered, whatever its key; records once each, contacts before companies before leads;
/// an empty code, and a code no phone has, find nothing.
pub fn bitrix_code_index_contract<S: CrmStore>(store: S) {
    let portal = Portal::new(store);
    let lead = portal.given_lead("L", "NEW", &["8 (495) 123-45-67"]);
    let company = portal.given_company("Co", &["0049 30 1234567", "+7 495 123-45-67"]);
    let contact = portal.given_contact("C", &[MOSCOW, "74951234567", "*100#", "none"]);
    let other = portal.given_contact("D", &["+8 123 456"]);
    let find = |code: &str| portal.engine.read(|tx| tx.find_entities_by_bitrix_code(code)).unwrap();
    assert_eq!(
        find("74951234567"),
        vec![EntityRef::contact(contact), EntityRef::company(company), EntityRef::lead(lead)],
        "three records, each once, in the contract's order"
    );
    assert_eq!(find("49301234567"), vec![EntityRef::company(company)]);
    assert_eq!(find("*100"), vec![EntityRef::contact(contact)], "a service code");
    assert_eq!(find("008123456"), vec![EntityRef::contact(other)], "Bitrix reads +8 as 008");
    assert_eq!(find("8123456"), Vec::<EntityRef>::new());
    assert_eq!(find("7495123456"), Vec::<EntityRef>::new(), "a prefix of a code");
    assert_eq!(find("84951234567"), Vec::<EntityRef>::new(), "the value, not its code");
    assert_eq!(find(""), Vec::<EntityRef>::new(), "a value without digits is not indexed");
}

/// Only committed phones are in the code index: a rolled-back insert leaves no trace in it.
pub fn bitrix_code_index_follows_commits_and_rollbacks<S: CrmStore>(store: S) {
    let portal = Portal::new(store);
    let store = portal.engine.store();
    let mut tx = store.begin().unwrap();
    tx.insert_contact(&contact(vec![phone("8 (495) 123-45-67", "+74951234567")])).unwrap();
    assert_eq!(tx.find_entities_by_bitrix_code("74951234567").unwrap().len(), 1);
    drop(tx);
    let mut tx = store.begin().unwrap();
    assert!(tx.find_entities_by_bitrix_code("74951234567").unwrap().is_empty());
    let id = tx.insert_contact(&contact(vec![phone("8 (495) 123-45-67", "+74951234567")])).unwrap();
    tx.commit().unwrap();
    let mut tx = store.begin().unwrap();
    assert_eq!(
        tx.find_entities_by_bitrix_code("74951234567").unwrap(),
        vec![EntityRef::contact(id)]
    );
}

/// The Bitrix-code tier binds a record only through a phone whose key is not on the
/// exclusion list: a stored phone whose number is excluded binds no caller, whatever their
/// codes, while the record's other phones still do.
pub fn bitrix_tier_skips_phones_whose_key_is_excluded<S: CrmStore>(store: S) {
    let portal = Portal::new(store);
    // Under region RU, `812 555-44-33` reads as +7 812 and `0812 555 44 33` does not, so only
    // the Bitrix-code tier finds the one from the other.
    let odd = portal.given_contact("Odd", &["0812 555 44 33"]);
    let found = portal.engine.find_owners_of_number("812 555-44-33", None).unwrap();
    assert_eq!(found.primary, Some(EntityRef::contact(odd)));
    assert_eq!(found.tier, Some(MatchTier::BitrixCode));
    portal.given_excluded("0812 555 44 33");
    let found = portal.engine.find_owners_of_number("812 555-44-33", None).unwrap();
    assert_eq!(found.primary, None, "the only phone with the code is excluded");
    assert!(!found.excluded, "the caller itself is not excluded");
    let both = portal.given_contact("Both", &["0812 555 44 33", "+7 (812) 555-44-33"]);
    let found = portal.engine.find_owners_of_number("0812 555 44 33", None).unwrap();
    assert!(found.excluded, "the caller is excluded: nothing is matched");
    let found = portal.engine.find_owners_of_number("812 555-44-33", None).unwrap();
    assert_eq!(found.primary, Some(EntityRef::contact(both)), "by tier 1, its key +78125554433");
}
