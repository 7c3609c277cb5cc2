//! The number formats of matching.md, the `phonenumber` 0.3.10 bug cases, and properties of
//! `callreg_core::phone`: every format of a number gives one key, keys are idempotent, no
//! input panics, nothing Bitrix matches is lost (no regression), the cache changes nothing.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use callreg_core::matching::{bitrix_code, telephony_code};
use callreg_core::phone::{E164, PhoneKey, PhoneNormalizer, Region, strip_letters};
use proptest::prelude::*;
use std::sync::LazyLock;

static RU: LazyLock<PhoneNormalizer> = LazyLock::new(|| PhoneNormalizer::new(Region::RU));

fn region(code: &str) -> Region {
    Region::parse(code).expect("a known region")
}

fn normalizer(code: &str) -> PhoneNormalizer {
    PhoneNormalizer::new(region(code))
}

fn e164(digits: &str) -> PhoneKey {
    PhoneKey::E164(E164::from_digits(digits).expect("E.164 digits"))
}

fn digits(text: &str) -> PhoneKey {
    PhoneKey::Digits(text.to_owned())
}

/// Asserts that every format reads as `want` under the normalizer's default region.
fn assert_all(n: &PhoneNormalizer, want: &PhoneKey, formats: &[&str]) {
    for format in formats {
        assert_eq!(n.key(format).as_ref(), Some(want), "{format:?} in {}", n.default_region());
    }
}

// ---- matching.md, "Formats that must all resolve to one number" --------------------------

#[test]
fn matching_md_russian_formats() {
    let want = RU.key("+7 495 123-45-67").expect("a key");
    assert_eq!(want, e164("74951234567"));
    assert_all(
        &RU,
        &want,
        &[
            "+74951234567",
            "74951234567",
            "84951234567",
            "8 (495) 123-45-67",
            "+7 (495) 123 45 67",
            "007 495 1234567",
            "810 7 495 1234567",
            "tel:+7-495-123-45-67",
            "+7 495 123-45-67 ext. 12",
            "4951234567",
        ],
    );
}

#[test]
fn matching_md_german_formats() {
    let de = normalizer("DE");
    let want = de.key("+49 30 1234567").expect("a key");
    assert_eq!(want, e164("49301234567"));
    assert_all(&de, &want, &["030 1234567", "0049 30 1234567", "+49 (0)30 1234567"]);
}

/// A `(0)` after the country code is a trunk marker to drop where national numbers drop
/// their `0` abroad (`+49 (0)30 ...`), and a digit of the number where they keep it: Italian
/// numbers keep their leading `0` in international form (`+39 06 ...`), so `+39 (0)6 ...` is
/// `+39 06 ...`, whatever the portal's region.
#[test]
fn a_zero_marker_is_kept_where_numbers_keep_their_zero() {
    for region in ["RU", "DE", "IT"] {
        let n = normalizer(region);
        assert_all(&n, &e164("390612345678"), &["+39 (0)6 1234 5678", "+39 06 1234 5678"]);
        assert_all(&n, &e164("390212345678"), &["0039 (0)2 1234 5678", "+39 (0)2-1234-5678"]);
        assert_all(&n, &e164("49301234567"), &["+49 (0)30 1234567", "0049 (0) 30 1234567"]);
        assert_all(&n, &e164("441632960961"), &["+44 (0)1632 960961"]);
    }
}

#[test]
fn matching_md_us_formats() {
    let us = normalizer("US");
    let want = us.key("+1 650 253 0000").expect("a key");
    assert_eq!(want, e164("16502530000"));
    assert_all(&us, &want, &["(650) 253-0000", "1-650-253-0000", "011 1 650 253 0000"]);
    // "011 ..." from abroad: another NANP country.
    assert_all(&normalizer("CA"), &want, &["011 1 650 253 0000", "+1 650 253 0000"]);
}

// ---- Russian numbers, and what phonenumber 0.3.10 gets wrong ------------------------------

#[test]
fn russian_area_codes_starting_with_8() {
    // phonenumber::parse gives +7121234567, +7005553535, +7435551234, +7615551234.
    for (area, formats) in [
        ("812", ["+7 812 123-45-67", "8 812 123-45-67", "8 (812) 1234567", "812 123 45 67"]),
        ("800", ["+7 800 123-45-67", "8 800 123 45 67", "88001234567", "8001234567"]),
        ("843", ["+7 843 123-45-67", "8 (843) 123-45-67", "78431234567", "843 123-45-67"]),
        ("861", ["+7 861 123-45-67", "8-861-123-45-67", "+7(861)1234567", "8611234567"]),
    ] {
        assert_all(&RU, &e164(&format!("7{area}1234567")), &formats);
    }
    assert_all(&RU, &e164("78005553535"), &["8 800 555 35 35", "+7 800 555-35-35"]);
}

#[test]
fn russian_mobiles_and_moscow() {
    assert_all(
        &RU,
        &e164("79062195047"),
        &["+7 (906) 219-50-47", "79062195047", "89062195047", "9062195047", "8-906-219-50-47"],
    );
    assert_all(&RU, &e164("74951234567"), &["8 495 123 45 67", "+7 495 1234567"]);
}

#[test]
fn plus_seven_is_russian_under_any_region() {
    for code in ["DE", "US", "BY", "KZ", "GB", "FR"] {
        let n = normalizer(code);
        for number in ["+7 812 123-45-67", "+7 800 555 35 35", "+7 906 219 50 47"] {
            let want = e164(&strip_letters(number)[1..]);
            assert_eq!(n.key(number), Some(want), "{number} in {code}");
        }
    }
    // Kazakhstan shares the numbering plan, trunk 8 included.
    assert_all(&normalizer("KZ"), &e164("78121234567"), &["8 812 123 45 67", "+7 812 1234567"]);
    assert_all(&normalizer("KZ"), &e164("77011234567"), &["8 701 123 45 67", "+7 701 123 4567"]);
}

#[test]
fn belarus() {
    let by = normalizer("BY");
    assert_all(
        &by,
        &e164("375291234567"),
        &["8 029 123-45-67", "80291234567", "+375 29 123-45-67", "375291234567"],
    );
    assert_all(&by, &e164("375171234567"), &["8 017 123-45-67", "+375 17 123 45 67"]);
    // phonenumber::parse gives +37511234567 for this toll-free number.
    assert_all(&by, &e164("3758011234567"), &["+375 801 123 4567", "8 801 123 4567"]);
    // "+375..." is itself under any region.
    assert_eq!(RU.key("+375 29 123-45-67"), Some(e164("375291234567")));
    assert_eq!(RU.key("810 375 29 123-45-67"), Some(e164("375291234567")));
}

#[test]
fn other_phonenumber_mistakes_are_corrected() {
    // Lithuanian toll-free: phonenumber::parse strips the 8 after +370.
    assert_eq!(RU.key("+370 800 12345"), Some(e164("37080012345")));
    // An Italian mobile under IT: phonenumber::parse takes "39" for the country code.
    assert_eq!(normalizer("IT").key("393 1234567"), Some(e164("393931234567")));
    // "007 ..." in RU: phonenumber knows only 810 as Russia's international prefix.
    assert_eq!(RU.key("007 495 1234567"), Some(e164("74951234567")));
}

// ---- the rest of the API -------------------------------------------------------------------

#[test]
fn strip_letters_is_bitrix() {
    assert_eq!(strip_letters("+7 (906) 219-50-47"), "+79062195047");
    assert_eq!(strip_letters("tel:*100#"), "*100#");
}

#[test]
fn numbers_without_digits_have_no_key() {
    for raw in ["abc", "", "   ", "+", "()-", "tel:", "ext.", "доб."] {
        assert_eq!(RU.key(raw), None, "{raw:?}");
    }
}

#[test]
fn short_codes_and_service_numbers_are_digits() {
    for (raw, want) in [
        ("112", "112"),
        ("0800", "0800"),
        ("01", "01"),
        ("+112", "112"),
        ("*100#", "*100"),
        ("101", "101"),
        ("555-01", "55501"),
        ("8 800", "8800"),
    ] {
        assert_eq!(RU.key(raw), Some(digits(want)), "{raw:?}");
    }
    assert_eq!(normalizer("DE").key("110"), Some(digits("110")));
    assert_eq!(normalizer("US").key("911"), Some(digits("911")));
}

#[test]
fn extensions_are_ignored() {
    for raw in [
        "+7 495 123-45-67 ext. 12",
        "+7 495 123-45-67 x12",
        "8 495 123-45-67 доб. 12",
        "tel:+7-495-123-45-67;ext=12",
        "84951234567#12",
        "84951234567,12",
    ] {
        assert_eq!(RU.key(raw), Some(e164("74951234567")), "{raw:?}");
    }
}

#[test]
fn storage_round_trip() {
    for raw in ["+7 812 123-45-67", "112", "*100#", "+49 30 1234567", "0800"] {
        let key = RU.key(raw).expect("a key");
        assert_eq!(PhoneKey::from_storage(&key.to_storage()), Some(key.clone()), "{raw}");
    }
    assert_eq!(RU.key("+7 812 123-45-67").map(|k| k.to_storage()), Some("+78121234567".into()));
    assert_eq!(RU.key("112").map(|k| k.to_storage()), Some("=112".into()));
    assert_eq!(RU.key("+7 812 123-45-67").map(|k| k.to_string()), Some("+78121234567".into()));
    assert_eq!(RU.key("112").map(|k| k.to_string()), Some("112".into()));
}

#[test]
fn format_international() {
    for (raw, want) in [
        ("84951234567", "+7 495 123-45-67"),
        ("+7 812 1234567", "+7 812 123-45-67"),
        ("8 800 555 35 35", "+7 800 555-35-35"),
        ("+49 30 1234567", "+49 30 1234567"),
        ("+1 650 253 0000", "+1 650-253-0000"),
        ("112", "112"),
        ("*100#", "*100"),
    ] {
        let key = RU.key(raw).expect("a key");
        assert_eq!(RU.format_international(&key), want, "{raw}");
    }
}

#[test]
fn region_of_line() {
    assert_eq!(RU.region_of_line("74951234567"), Some(Region::RU));
    assert_eq!(RU.region_of_line("+7 812 123-45-67"), Some(Region::RU));
    assert_eq!(RU.region_of_line("+49 30 1234567"), Some(region("DE")));
    assert_eq!(RU.region_of_line("16502530000"), Some(region("US")));
    assert_eq!(RU.region_of_line("+49 (0)30 1234567"), Some(region("DE")));
    assert_eq!(RU.region_of_line("+39 (0)6 1234 5678"), Some(region("IT")), "Italy keeps its 0");
    assert_eq!(RU.region_of_line("3"), None);
    assert_eq!(RU.region_of_line("line-1"), None);
    assert_eq!(RU.region_of_line(""), None);
}

#[test]
fn tier_two_reads_the_caller_in_the_lines_country() {
    // A German line: "030 1234567" from the PBX is the German number.
    let line_region = RU.region_of_line("+49 30 9999999").expect("a valid line");
    assert_eq!(RU.key_in_region("030 1234567", line_region), Some(e164("49301234567")));
    assert_eq!(RU.key("030 1234567"), Some(e164("70301234567")), "tier 1 reads it as Russian");
}

#[test]
fn region_api() {
    assert_eq!(Region::parse("ru"), Ok(Region::RU));
    assert_eq!("de".parse::<Region>().map(|r| r.calling_code()), Ok(49));
    assert_eq!(Region::RU.to_string(), "RU");
    assert_eq!(Region::RU.as_str(), "RU");
    assert!(Region::parse("XX").is_err());
    assert_eq!(RU.default_region(), Region::RU);
}

#[test]
fn normalizer_is_shareable() {
    fn assert_send_sync<T: Send + Sync + std::fmt::Debug>() {}
    assert_send_sync::<PhoneNormalizer>();
    let shared = std::sync::Arc::new(PhoneNormalizer::new(Region::RU));
    let handles: Vec<_> = (0..4)
        .map(|i| {
            let n = std::sync::Arc::clone(&shared);
            std::thread::spawn(move || n.key(&format!("8 812 123-45-6{i}")))
        })
        .collect();
    for (i, handle) in handles.into_iter().enumerate() {
        assert_eq!(handle.join().expect("no panic"), Some(e164(&format!("7812123456{i}"))));
    }
}

// ---- generated numbers and their formats ---------------------------------------------------

/// A generated number: its region, its E.164 digits, and ways people write it.
#[derive(Debug, Clone)]
struct Generated {
    region: &'static str,
    e164: String,
    /// matching.md's formats of the number, all of which must give its key.
    formats: Vec<String>,
    /// More ways of writing it (used where Bitrix unifies them): extensions after `;#,`,
    /// "+8" typos, digits without "+".
    extra: Vec<String>,
}

/// Russian numbers: area code [3489]xx, seven digits.
fn russian() -> impl Strategy<Value = Generated> {
    (prop::sample::select(vec!['3', '4', '8', '9']), 0u32..100, 0u32..10_000_000).prop_map(
        |(first, rest, subscriber)| {
            let a = format!("{first}{rest:02}");
            let s = format!("{subscriber:07}");
            let (s3, s2a, s2b) = (&s[..3], &s[3..5], &s[5..]);
            Generated {
                region: "RU",
                e164: format!("7{a}{s}"),
                formats: vec![
                    format!("+7{a}{s}"),
                    format!("7{a}{s}"),
                    format!("8{a}{s}"),
                    format!("8 ({a}) {s3}-{s2a}-{s2b}"),
                    format!("+7 ({a}) {s3} {s2a} {s2b}"),
                    format!("007 {a} {s}"),
                    format!("810 7 {a} {s}"),
                    format!("tel:+7-{a}-{s3}-{s2a}-{s2b}"),
                    format!("+7 {a} {s3}-{s2a}-{s2b} ext. 12"),
                    format!("{a}{s}"),
                ],
                extra: vec![
                    format!("+7 {a} {s};12"),
                    format!("8{a}{s}#12"),
                    format!("8 {a} {s},5"),
                    format!("8-{a}-{s} доб. 5"),
                    format!("+8 {a} {s}"),
                    format!("8 10 7 {a} {s}"),
                ],
            }
        },
    )
}

/// German numbers: Berlin, Hamburg or Munich, seven or eight subscriber digits.
fn german() -> impl Strategy<Value = Generated> {
    (prop::sample::select(vec!["30", "40", "89"]), 1u32..10, 0u32..10_000_000, any::<bool>())
        .prop_map(|(a, first, rest, eight)| {
            let s = if eight {
                format!("{first}{rest:07}")
            } else {
                format!("{first}{:06}", rest % 1_000_000)
            };
            Generated {
                region: "DE",
                e164: format!("49{a}{s}"),
                formats: vec![
                    format!("+49 {a} {s}"),
                    format!("0{a} {s}"),
                    format!("0049 {a} {s}"),
                    format!("+49 (0){a} {s}"),
                    format!("tel:+49-{a}-{s}"),
                    format!("0{a}/{s}"),
                    format!("+49 {a} {s} ext. 7"),
                ],
                extra: vec![
                    format!("49{a}{s}"),
                    format!("+49{a}{s};7"),
                    format!("0{a} {s}#7"),
                    format!("0049 (0) {a} {s}"),
                ],
            }
        })
}

/// NANP numbers: area code [2-9]xx, exchange [2-9]xx, four digits.
fn american() -> impl Strategy<Value = Generated> {
    (200u32..1000, 200u32..1000, 0u32..10_000).prop_map(|(a, e, l)| {
        let l = format!("{l:04}");
        Generated {
            region: "US",
            e164: format!("1{a}{e}{l}"),
            formats: vec![
                format!("({a}) {e}-{l}"),
                format!("1-{a}-{e}-{l}"),
                format!("+1 {a} {e} {l}"),
                format!("011 1 {a} {e} {l}"),
                format!("{a}.{e}.{l}"),
                format!("+1 ({a}) {e}-{l} x123"),
            ],
            extra: vec![format!("1{a}{e}{l}"), format!("{a}{e}{l}"), format!("+1{a}{e}{l},9")],
        }
    })
}

fn generated() -> impl Strategy<Value = Generated> {
    prop_oneof![russian(), german(), american()]
}

/// Normalizers of the regions the properties use, built once.
static NORMALIZERS: LazyLock<Vec<PhoneNormalizer>> =
    LazyLock::new(|| ["RU", "DE", "US", "BY", "KZ", "GB"].into_iter().map(normalizer).collect());

fn normalizer_of(code: &str) -> &'static PhoneNormalizer {
    NORMALIZERS.iter().find(|n| n.default_region().as_str() == code).expect("built")
}

/// Bitrix's `NormalizePhone($number, 1)` (bitrix-reference.md §5.2), the no-regression oracle.
fn bitrix_normalize(number: &str) -> String {
    // 1. "+8..." of ten characters or more: "00" + the rest after the plus.
    let number = match number.strip_prefix("+8") {
        Some(rest) if number.len() >= 10 => format!("008{rest}"),
        _ => number.to_owned(),
    };
    // 2. Only 0-9 # * , ; are kept.
    let stripped: String =
        number.chars().filter(|c| matches!(c, '0'..='9' | '#' | '*' | ',' | ';')).collect();
    // 3. Prefix rewriting, for ten characters or more.
    let mut result = stripped.clone();
    if result.len() >= 10 {
        if result.starts_with("80") || result.starts_with("81") || result.starts_with("82") {
        } else if let Some(rest) = result.strip_prefix("00") {
            result = rest.to_owned();
        } else if let Some(rest) = result.strip_prefix("011") {
            result = rest.to_owned();
        } else if let Some(rest) = result.strip_prefix('8') {
            result = format!("7{rest}");
        } else if let Some(rest) = result.strip_prefix('0') {
            result = rest.to_owned();
        }
    }
    // 4. Empty: plain stripping.
    if result.is_empty() {
        result = stripped;
    }
    // 5. The first run before ; # , (extensions are ignored).
    result.split([';', '#', ',']).next().unwrap_or_default().to_owned()
}

/// Bitrix's `CVoxImplantPhone::Normalize($number)` (`vi_phone.php`), transcribed literally:
/// PHP's `mb_substr` and `mb_strlen` count characters; `stripLetters` keeps `+`, which is
/// removed next. The oracle of [`telephony_code`].
fn telephony_normalize(number: &str) -> Option<String> {
    let chars: Vec<char> = number.chars().collect();
    let prefix = |s: &[char], n: usize| -> String { s.iter().take(n).collect() };
    if number.is_empty() || number == "0" {
        return None;
    }
    let mut number: Vec<char> = if prefix(&chars, 2) == "+8" {
        "008".chars().chain(chars[2..].iter().copied()).collect()
    } else {
        chars
    };
    number.retain(|c| c.is_ascii_digit() || matches!(c, '#' | '*' | '+' | ',' | ';'));
    number.retain(|c| *c != '+');
    let two = prefix(&number, 2);
    if two == "80" || two == "81" || two == "82" {
    } else if two == "00" {
        number.drain(..2);
    } else if prefix(&number, 3) == "011" {
        number.drain(..3);
    } else if prefix(&number, 1) == "8" && number.len() == 11 {
        number[0] = '7';
    } else if prefix(&number, 1) == "0" {
        number.remove(0);
    }
    (number.len() >= 10).then(|| number.into_iter().collect())
}

#[test]
fn telephony_oracle_examples() {
    let t = |n: &str| telephony_normalize(n);
    assert_eq!(t("+1 (650) 253-0000").as_deref(), Some("16502530000"));
    assert_eq!(t("8 (916) 555-12-34").as_deref(), Some("79165551234"));
    assert_eq!(t("+8 (916) 555-12-34").as_deref(), Some("89165551234"));
    assert_eq!(t("011 1 650 253 0000").as_deref(), Some("16502530000"));
    assert_eq!(t("8 10 49 30 1234567").as_deref(), Some("81049301234567"));
    assert_eq!(t("#31#+79161234567").as_deref(), Some("#31#79161234567"));
    assert_eq!(t("0 30 1234567"), None, "nine characters");
    assert_eq!(t(""), None);
}

proptest! {
    /// The engine's `telephony_code` (employees' phones, lead creation) is this oracle.
    #[test]
    fn telephony_code_is_the_oracle(raw in phone_like(), any in any::<String>()) {
        prop_assert_eq!(telephony_code(&raw), telephony_normalize(&raw), "{:?}", raw);
        prop_assert_eq!(telephony_code(&any), telephony_normalize(&any), "{:?}", any);
    }
}

#[test]
fn bitrix_oracle_examples() {
    // bitrix-reference.md §5.2's consequences.
    let b = bitrix_normalize;
    assert_eq!(b("+7 (906) 219-50-47"), "79062195047");
    assert_eq!(b("79062195047"), "79062195047");
    assert_eq!(b("89062195047"), "79062195047");
    assert_eq!(b("+49 30 1234567"), "49301234567");
    assert_eq!(b("030 1234567"), "301234567");
    assert_eq!(b("0049 30 1234567"), "49301234567");
    assert_eq!(b("011 1 650 253 0000"), "16502530000");
    assert_eq!(b("8 10 49 30 1234567"), "81049301234567");
    assert_eq!(b("+8 495 1234567"), "84951234567");
    assert_eq!(b("112;5"), "112");
}

/// Phone-like strings: digits, separators, prefixes and extension markers.
fn phone_like() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop::sample::select(vec![
            "0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "00", "8", "7", "+", " ", "-", "(",
            ")", "(0)", "#", "*", ",", ";", "x", "ext.", "доб", "tel:", "810", "011", "375", "49",
            "+7", "+49", "1234567", "495", "812",
        ]),
        0..12,
    )
    .prop_map(|parts| parts.concat())
}

/// Idempotence: the key of a key's text is the key. For an E.164 key under any region; for a
/// `Digits` key under the same region, unless the number started with `+` (its key drops the
/// `+`, and the digits alone may read as a national number).
fn check_idempotent(n: &PhoneNormalizer, raw: &str) -> Result<(), TestCaseError> {
    let Some(key) = n.key(raw) else { return Ok(()) };
    let text = key.to_string();
    match &key {
        PhoneKey::E164(_) => {
            for other in NORMALIZERS.iter() {
                prop_assert_eq!(
                    other.key(&text),
                    Some(key.clone()),
                    "{:?} -> {} in {}",
                    raw,
                    text,
                    other.default_region()
                );
            }
        }
        PhoneKey::Digits(_) if !strip_letters(raw).starts_with('+') => {
            prop_assert_eq!(n.key(&text), Some(key.clone()), "{:?} -> {}", raw, text);
        }
        PhoneKey::Digits(_) => {}
    }
    Ok(())
}

/// Nothing panics and everything the API returns for the input is consistent.
fn exercise(raw: &str) {
    for n in NORMALIZERS.iter() {
        if let Some(key) = n.key(raw) {
            let _ = n.format_international(&key);
            assert_eq!(PhoneKey::from_storage(&key.to_storage()), Some(key));
        }
        let _ = n.region_of_line(raw);
    }
    let _ = PhoneKey::from_storage(raw);
    let _ = Region::parse(raw);
    let _ = strip_letters(raw);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// (a) Every format of matching.md's list gives the number's key, under its region.
    #[test]
    fn every_format_gives_the_key(number in generated()) {
        let n = normalizer_of(number.region);
        let want = e164(&number.e164);
        for format in &number.formats {
            prop_assert_eq!(n.key(format), Some(want.clone()), "{:?} in {}", format, number.region);
        }
    }

    /// (b) Keys are idempotent, for generated numbers ...
    #[test]
    fn idempotent_on_generated_numbers(number in generated()) {
        for n in [normalizer_of(number.region), normalizer_of("RU")] {
            for format in number.formats.iter().chain(&number.extra) {
                check_idempotent(n, format)?;
            }
        }
    }

    /// (b) ... phone-like strings ...
    #[test]
    fn idempotent_on_phone_like_strings(raw in phone_like()) {
        for n in NORMALIZERS.iter() {
            check_idempotent(n, &raw)?;
        }
    }

    /// (b) ... and arbitrary strings.
    #[test]
    fn idempotent_on_arbitrary_strings(raw in ".*") {
        for n in NORMALIZERS.iter() {
            check_idempotent(n, &raw)?;
        }
    }

    /// (c) No input panics: any regex-generated text ...
    #[test]
    fn no_panic_on_any_text(raw in ".*") {
        exercise(&raw);
    }

    /// (c) ... any Unicode string ...
    #[test]
    fn no_panic_on_any_unicode(raw in any::<String>()) {
        exercise(&raw);
    }

    /// (c) ... and long runs of digits and separators.
    #[test]
    fn no_panic_on_long_numbers(raw in "[0-9+() #*;,x-]{0,200}") {
        exercise(&raw);
    }

    /// (d) No regression: formats Bitrix's NormalizePhone maps to one string get one key,
    /// under the number's region and under RU (the usual portal region).
    #[test]
    fn no_regression_against_bitrix(number in generated()) {
        let formats: Vec<&String> = number.formats.iter().chain(&number.extra).collect();
        for n in [normalizer_of(number.region), normalizer_of("RU")] {
            for a in &formats {
                for b in &formats {
                    if bitrix_normalize(a) == bitrix_normalize(b) {
                        prop_assert_eq!(n.key(a), n.key(b), "{:?} and {:?} in {}", a, b, n.default_region());
                    }
                }
            }
        }
    }

    /// (d') The engine's `bitrix_code` (its Bitrix-code matching tier) is this oracle, on
    /// phone-like text and on any text at all.
    #[test]
    fn bitrix_code_is_the_oracle(raw in phone_like(), any in any::<String>()) {
        prop_assert_eq!(bitrix_code(&raw), bitrix_normalize(&raw), "{:?}", raw);
        prop_assert_eq!(bitrix_code(&any), bitrix_normalize(&any), "{:?}", any);
    }

    /// (e) The caches do not change results: a fresh normalizer without caches and a warmed
    /// one with small caches (so that they also evict) agree, on keys and on formats.
    #[test]
    fn cache_changes_nothing(
        numbers in prop::collection::vec(generated(), 1..8),
        noise in prop::collection::vec(phone_like(), 0..16),
    ) {
        let inputs: Vec<String> = numbers
            .iter()
            .flat_map(|g| g.formats.iter().chain(&g.extra).cloned())
            .chain(noise)
            .collect();
        for code in ["RU", "DE", "US"] {
            let fresh = PhoneNormalizer::with_cache_capacity(region(code), 0);
            let warmed = PhoneNormalizer::with_cache_capacity(region(code), 16);
            for raw in inputs.iter().chain(&inputs) {
                if let Some(key) = warmed.key(raw) {
                    let _ = warmed.format_international(&key);
                }
            }
            for raw in &inputs {
                prop_assert_eq!(warmed.key(raw), fresh.key(raw), "{:?} in {}", raw, code);
                prop_assert_eq!(warmed.key_in_region(raw, Region::RU), fresh.key_in_region(raw, Region::RU));
                if let Some(key) = fresh.key(raw) {
                    prop_assert_eq!(warmed.format_international(&key), fresh.format_international(&key));
                }
            }
        }
    }
}
