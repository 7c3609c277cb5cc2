//! libphonenumber's reading of a number, over the `phonenumber` crate's metadata.
//!
//! `phonenumber::parse` (0.3.10) mishandles national prefixes (see the module docs of
//! [`phone`](super)), so the steps of libphonenumber's `PhoneNumberUtil::parseHelper` that
//! matter for a key are implemented here on the crate's public metadata:
//!
//! * `maybeStripInternationalPrefixAndNormalize` -> [`own_international_prefix_len`] (and
//!   [`extra_international_prefix_len`] for matching.md's additions);
//! * `maybeExtractCountryCode` for a national number -> [`national_reading`];
//! * `maybeStripNationalPrefixAndCarrierCode` with its viability check, and the length test
//!   that follows it -> [`strip_national_prefix`];
//! * `getRegionCodeForNumber` / `isValidNumber` -> [`valid_region`].
//!
//! Patterns are matched as libphonenumber matches them: number patterns in full (the crate's
//! `Descriptor::is_match` only matches a prefix), prefixes (`lookingAt`) at the start.
//! Full-match expressions are compiled once per pattern and kept in [`full_match`]'s map.

use super::key::{E164, split_country_code};
use super::parser::NationalReading;
use super::region::Region;
use phonenumber::metadata::{DATABASE, Database, Descriptor, Metadata};
use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::{Arc, LazyLock, PoisonError, RwLock};

/// Longest run of digits worth reading as a number: an E.164 number has at most 15 digits;
/// an international or national prefix, a trunk marker or a carrier code add a few more.
pub(crate) const MAX_DIGITS: usize = 24;

/// Shortest and longest E.164 key (matching.md: shorter numbers are short codes).
const KEY_LENGTHS: std::ops::RangeInclusive<usize> = 8..=15;

/// The metadata, loaded on first use (~80 ms).
fn database() -> &'static Database {
    &DATABASE
}

/// Size of the `phonenumber` crate's shared cache of compiled expressions. It holds 100 by
/// default, fewer than one region's patterns plus formats, so expressions were compiled
/// again and again; [`warm`] raises it.
const EXPRESSION_CACHE_CAPACITY: usize = 2048;

/// A compiled full-match expression: applied to a text and a replacement template, the
/// template expanded with the captures when the whole text matches.
type FullMatcher = Arc<dyn Fn(&str, &str) -> Option<String> + Send + Sync>;

/// Compiled full-match expressions (`None`: the pattern did not compile) by the address and
/// length of their (static) metadata pattern.
type MatcherMap = HashMap<(usize, usize), Option<FullMatcher>>;

/// The full-match expressions compiled so far.
static FULL_MATCHERS: LazyLock<RwLock<MatcherMap>> = LazyLock::new(|| RwLock::new(HashMap::new()));

/// The full-match expression of a metadata pattern (libphonenumber's `matcher.matches()`),
/// compiled on first use; `None` if the pattern does not compile.
///
/// The crate's patterns are written for its `ignore_whitespace` mode, hence `(?x)`. They are
/// compiled through the crate's own expression cache (`Database::cache`, the only way to a
/// `regex::Regex` without depending on `regex`), then taken out of it.
fn full_matcher(pattern: &'static str) -> Option<FullMatcher> {
    let id = (pattern.as_ptr() as usize, pattern.len());
    if let Some(found) = FULL_MATCHERS.read().unwrap_or_else(PoisonError::into_inner).get(&id) {
        return found.clone();
    }
    let anchored = format!("(?x)^(?:{pattern})$");
    let compiled: Option<FullMatcher> = (|| {
        let cache = database().cache();
        let mut cache = cache.lock().ok()?;
        cache.compile(&anchored).ok()?;
        let regex = cache.remove(anchored.as_str())?;
        let matcher: FullMatcher = Arc::new(move |text: &str, template: &str| {
            let captures = regex.captures(text)?;
            let mut out = String::new();
            captures.expand(template, &mut out);
            Some(out)
        });
        Some(matcher)
    })();
    FULL_MATCHERS.write().unwrap_or_else(PoisonError::into_inner).insert(id, compiled.clone());
    compiled
}

/// Whether a metadata pattern matches the whole text.
fn full_match(pattern: &'static str, text: &str) -> bool {
    full_matcher(pattern).is_some_and(|m| m(text, "").is_some())
}

/// The whole text rewritten by a format (`$1 $2-$3`), when the format's pattern matches it in
/// full.
pub(crate) fn full_match_expand(
    pattern: &'static str,
    text: &str,
    template: &str,
) -> Option<String> {
    full_matcher(pattern)?(text, &braced_groups(template))
}

/// libphonenumber's `isNumberMatchingDesc`: a possible length of the descriptor, and its
/// pattern matches in full.
fn desc_matches(desc: &'static Descriptor, national: &str) -> bool {
    let lengths = desc.possible_length();
    let length_ok =
        lengths.is_empty() || u16::try_from(national.len()).is_ok_and(|l| lengths.contains(&l));
    length_ok && full_match(desc.national_number().as_str(), national)
}

/// Whether a metadata pattern matches at the start of the text (`lookingAt`).
fn looking_at(found: Option<(usize, usize)>) -> Option<usize> {
    found.filter(|&(start, _)| start == 0).map(|(_, end)| end)
}

/// Loads the metadata now, and compiles the expressions a region's numbers need by reading
/// one of its example numbers in every form.
pub(crate) fn warm(region: Region) {
    if let Ok(mut cache) = database().cache().lock()
        && cache.capacity() < EXPRESSION_CACHE_CAPACITY
    {
        cache.set_capacity(EXPRESSION_CACHE_CAPACITY);
    }
    let Some(meta) = region_metadata(region) else {
        return;
    };
    let d = meta.descriptors();
    let example = [d.fixed_line(), d.mobile()]
        .into_iter()
        .flatten()
        .find_map(Descriptor::example)
        .unwrap_or("1234567890");
    let cc = region.calling_code();
    let _ = national_key(example, region);
    if let Some(np) = meta.national_prefix() {
        let _ = national_key(&format!("{np}{example}"), region);
    }
    let _ = own_international_prefix_len(&format!("00{cc}{example}"), region);
    if let Some(e) = international_key(&format!("{cc}{example}")) {
        let _ = valid_region(e);
        let _ = super::format::international(e);
    }
}

/// The metadata of a region.
pub(crate) fn region_metadata(region: Region) -> Option<&'static Metadata> {
    database().by_id(region.as_str())
}

/// The metadata libphonenumber formats and strips a calling code's numbers with: its main
/// country's (RU for 7, US for 1, GB for 44).
pub(crate) fn main_metadata(cc: u16) -> Option<&'static Metadata> {
    database().by_code(&cc)?.into_iter().next()
}

/// The descriptors of the number types libphonenumber's `getNumberType` tries.
fn type_descriptors(meta: &'static Metadata) -> impl Iterator<Item = &'static Descriptor> {
    let d = meta.descriptors();
    [
        d.premium_rate(),
        d.toll_free(),
        d.shared_cost(),
        d.voip(),
        d.personal_number(),
        d.pager(),
        d.uan(),
        d.voicemail(),
        d.fixed_line(),
        d.mobile(),
    ]
    .into_iter()
    .flatten()
}

/// The lengths a national number of the region may have, and those only dialable locally.
///
/// The crate leaves the general descriptor's lengths empty; libphonenumber's build computes
/// them as the union over the number types, which is what this does.
fn possible_lengths(meta: &'static Metadata) -> (Vec<u16>, Vec<u16>) {
    let mut lengths = Vec::new();
    let mut local = Vec::new();
    for desc in type_descriptors(meta) {
        lengths.extend_from_slice(desc.possible_length());
        local.extend_from_slice(desc.possible_local_length());
    }
    lengths.sort_unstable();
    lengths.dedup();
    // As libphonenumber's metadata build: a length some type allows in full is not local-only.
    local.retain(|l| !lengths.contains(l));
    local.sort_unstable();
    local.dedup();
    (lengths, local)
}

/// Whether a national number matches the region's general pattern in full (libphonenumber's
/// "viable" number in `maybeStripNationalPrefixAndCarrierCode`).
fn is_viable(meta: &'static Metadata, national: &str) -> bool {
    full_match(meta.descriptors().general().national_number().as_str(), national)
}

/// libphonenumber's `testNumberLength` after a national prefix was stripped: the stripped
/// number is kept unless it is too short, only locally dialable, or of an impossible length
/// (too long is accepted).
fn length_accepts_stripped(meta: &'static Metadata, national: &str) -> bool {
    let (lengths, local) = possible_lengths(meta);
    let Ok(len) = u16::try_from(national.len()) else {
        return true;
    };
    match (lengths.first(), lengths.last()) {
        (Some(&min), Some(&max)) => {
            !local.contains(&len) && len >= min && (len > max || lengths.contains(&len))
        }
        _ => false,
    }
}

/// Whether a national number of the region has a length no number of the region has.
fn has_impossible_length(meta: &'static Metadata, national: &str) -> bool {
    let (lengths, local) = possible_lengths(meta);
    let Ok(len) = u16::try_from(national.len()) else {
        return true;
    };
    !lengths.is_empty() && !lengths.contains(&len) && !local.contains(&len)
}

/// Whether a national number is a valid number of this region (`getNumberType != UNKNOWN`).
fn is_valid_for(meta: &'static Metadata, national: &str) -> bool {
    is_viable(meta, national) && type_descriptors(meta).any(|d| desc_matches(d, national))
}

/// One application of libphonenumber's `maybeStripNationalPrefixAndCarrierCode`, followed by
/// `parseHelper`'s length test; `None` when nothing is stripped.
///
/// The national prefix is not stripped when the number fits the region's pattern before and
/// not after: that check is what keeps the `8` of `812` (Saint Petersburg) and `800`
/// (toll-free) in `+7 812 ...` and `+7 800 ...`, and the one `phonenumber` 0.3.10 gets wrong.
fn strip_national_prefix_once(meta: &'static Metadata, number: &str) -> Option<String> {
    if number.is_empty() {
        return None;
    }
    let viable = is_viable(meta, number);
    let candidate = if let Some(pattern) = meta.national_prefix_for_parsing() {
        let captures = pattern.captures(number)?;
        let whole = captures.get(0)?;
        if whole.start() != 0 {
            return None;
        }
        let groups = captures.len().saturating_sub(1);
        let transform = meta.national_prefix_transform_rule().filter(|t| !t.is_empty());
        match transform {
            Some(rule) if groups > 0 && captures.get(groups).is_some() => {
                let mut transformed = String::new();
                captures.expand(&braced_groups(rule), &mut transformed);
                transformed.push_str(&number[whole.end()..]);
                transformed
            }
            _ => number[whole.end()..].to_owned(),
        }
    } else {
        // libphonenumber's metadata build uses the national prefix itself when no parsing
        // pattern is given.
        let prefix = meta.national_prefix().filter(|p| !p.is_empty())?;
        number.strip_prefix(prefix)?.to_owned()
    };
    if candidate == number || candidate.is_empty() {
        return None;
    }
    if viable && !is_viable(meta, &candidate) {
        return None;
    }
    length_accepts_stripped(meta, &candidate).then_some(candidate)
}

/// Rewrites `$1` as `${1}` so that a digit right after a group reference stays literal.
pub(crate) fn braced_groups(rule: &str) -> String {
    let mut out = String::with_capacity(rule.len() + 4);
    let mut chars = rule.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '$' && chars.peek().is_some_and(char::is_ascii_digit) {
            out.push_str("${");
            while let Some(d) = chars.next_if(char::is_ascii_digit) {
                out.push(d);
            }
            out.push('}');
        } else {
            out.push(c);
        }
    }
    out
}

/// Strips the national prefix until nothing more is stripped (at most a few times).
///
/// libphonenumber strips once; repeating it only changes numbers written with the prefix
/// twice, and makes every key a fixed point (the key of a key's text is the key).
pub(crate) fn strip_national_prefix<'a>(
    meta: &'static Metadata,
    national: &'a str,
) -> Cow<'a, str> {
    let mut current = Cow::Borrowed(national);
    for _ in 0..4 {
        match strip_national_prefix_once(meta, &current) {
            Some(stripped) => current = Cow::Owned(stripped),
            None => break,
        }
    }
    current
}

/// The key of a calling code and national number, when it has 8 to 15 digits.
fn key_of(cc: u16, national: &str) -> Option<E164> {
    let digits = format!("{cc}{national}");
    if KEY_LENGTHS.contains(&digits.len()) { E164::from_digits(&digits) } else { None }
}

/// The key of a full international number (the digits after `+` or an international prefix).
///
/// `7` and ten digits is that number (matching.md: `+7XXXXXXXXXX` under any region); the
/// general rule gives the same, since Russian national numbers have exactly ten digits and
/// stripping an `8` would leave nine. Otherwise: the calling code, then the national number
/// with its national prefix stripped under the code's main region (`+49 030 1234567` ->
/// `+49301234567`).
pub(crate) fn international_key(digits: &str) -> Option<E164> {
    if digits.len() == 11 && digits.starts_with('7') {
        return E164::from_digits(digits);
    }
    international_key_by_metadata(digits)
}

/// [`international_key`] without the Russian shortcut.
pub(crate) fn international_key_by_metadata(digits: &str) -> Option<E164> {
    let (cc, national) = split_country_code(digits)?;
    let meta = main_metadata(cc)?;
    key_of(cc, &strip_national_prefix(meta, national))
}

/// The length of the region's own international prefix (from the metadata: `810` in RU,
/// `00` in DE, `011` in US, `0011` in AU ...) at the start of the digits. As in
/// libphonenumber, digits starting with `0` right after the prefix mean it was none.
pub(crate) fn own_international_prefix_len(digits: &str, region: Region) -> Option<usize> {
    region_metadata(region)
        .and_then(Metadata::international_prefix)
        .and_then(|pattern| looking_at(pattern.find(digits).map(|m| (m.start(), m.end()))))
        .filter(|&len| len > 0 && usable_after_prefix(digits, len))
}

/// The length of an international prefix matching.md adds to the region's own: `00` and
/// `011` (any region: Bitrix drops both whatever the portal's country, and `011` is NANP's)
/// or `810` (RU, BY, KZ). They are read as such only when the digits are not a valid national
/// number (Japan's `0037...` free-dial numbers are).
pub(crate) fn extra_international_prefix_len(digits: &str, region: Region) -> Option<usize> {
    let ex_ussr = matches!(region.as_str(), "RU" | "BY" | "KZ");
    [("00", true), ("011", true), ("810", ex_ussr)]
        .into_iter()
        .find(|&(prefix, applies)| {
            applies && digits.starts_with(prefix) && usable_after_prefix(digits, prefix.len())
        })
        .map(|(prefix, _)| prefix.len())
}

/// Whether an international prefix of this length can end here: digits follow, and not a 0.
fn usable_after_prefix(digits: &str, len: usize) -> bool {
    digits.get(len..).is_some_and(|rest| !rest.is_empty() && !rest.starts_with('0'))
}

/// The key of national digits (no `+`, no international prefix) under a region.
pub(crate) fn national_key(digits: &str, region: Region) -> Option<E164> {
    national_reading(digits, region).key
}

/// Reads national digits (no `+`, no international prefix) under a region.
///
/// libphonenumber's reading: the region's calling code is taken off the front when the
/// number does not fit the region with it but does without it (`49 30 1234567` under DE),
/// then the national prefix is stripped (`030 1234567`). When that reading is not a valid
/// number and has a length no national number of the region has, but the digits are a valid
/// international number of a possible length (`49301234567` under RU, as PBXes send numbers
/// without `+`), the international reading wins: Bitrix matches such numbers by their
/// digits, and so do we.
pub(crate) fn national_reading(digits: &str, region: Region) -> NationalReading {
    let invalid = NationalReading { key: None, valid: false };
    let Some(meta) = region_metadata(region) else {
        return invalid;
    };
    let cc = meta.country_code();
    let national_part = match digits.strip_prefix(cc.to_string().as_str()) {
        Some(rest) if extracts_country_code(meta, digits, rest) => rest,
        _ => digits,
    };
    let national = strip_national_prefix(meta, national_part);
    // Written in the canonical international form, so that the key of the key is the key.
    let key = key_of(cc, &national).and_then(|e| international_key(&e.as_u64().to_string()));
    let valid = is_valid_for(meta, &national) || key.and_then(valid_region).is_some();
    if !valid
        && has_impossible_length(meta, &national)
        && !digits.starts_with('0')
        && let Some(e) = international_key(digits).filter(|&e| is_possible(e))
    {
        return NationalReading { key: Some(e), valid: valid_region(e).is_some() };
    }
    NationalReading { key, valid: valid && key.is_some() }
}

/// Whether an international number has a length its calling code's numbers may have
/// (libphonenumber's `isPossibleNumber`).
fn is_possible(e: E164) -> bool {
    let digits = e.as_u64().to_string();
    let Some((cc, national)) = split_country_code(&digits) else {
        return false;
    };
    main_metadata(cc).is_some_and(|meta| {
        let (lengths, _) = possible_lengths(meta);
        u16::try_from(national.len()).is_ok_and(|l| lengths.contains(&l))
    })
}

/// libphonenumber's `maybeExtractCountryCode` test for a national number that starts with the
/// region's calling code: take the code off when the number does not fit the region but the
/// rest does, or when the number is too long for the region.
fn extracts_country_code(meta: &'static Metadata, full: &str, rest: &str) -> bool {
    let rest = strip_national_prefix(meta, rest);
    let (lengths, _) = possible_lengths(meta);
    let too_long = lengths.last().is_some_and(|&max| full.len() > usize::from(max));
    (!is_viable(meta, full) && is_viable(meta, &rest)) || too_long
}

/// The region of a valid number (`getRegionCodeForNumber` then `isValidNumber`); `None` when
/// the number is not valid, or belongs to no region (non-geographic codes).
pub(crate) fn valid_region(e: E164) -> Option<Region> {
    let digits = e.as_u64().to_string();
    let (cc, national) = split_country_code(&digits)?;
    let metas = database().by_code(&cc)?;
    let meta = if metas.len() == 1 {
        metas.first().copied()
    } else {
        metas.iter().copied().find(|m| match m.leading_digits() {
            Some(pattern) => {
                looking_at(pattern.find(national).map(|m| (m.start(), m.end()))).is_some()
            }
            None => is_valid_for(m, national),
        })
    }?;
    if is_valid_for(meta, national) { Region::parse(meta.id()).ok() } else { None }
}

#[cfg(test)]
#[allow(clippy::expect_used, clippy::unwrap_used)]
mod tests {
    use super::*;

    fn e(digits: &str) -> Option<E164> {
        E164::from_digits(digits)
    }

    #[test]
    fn russian_8xx_numbers_keep_their_8() {
        for n in ["78121234567", "78005553535", "78435551234", "78615551234", "74951234567"] {
            assert_eq!(international_key_by_metadata(n), e(n), "+{n}");
        }
    }

    #[test]
    fn shortcut_agrees_with_the_metadata_for_every_russian_shape() {
        // 7 + ten digits for every first three digits of the national number.
        for area in 0..1000 {
            let digits = format!("7{area:03}5553535");
            assert_eq!(international_key_by_metadata(&digits), e(&digits), "+{digits}");
        }
    }

    #[test]
    fn national_prefix_after_the_country_code_is_stripped_when_it_must_be() {
        assert_eq!(international_key("490301234567"), e("49301234567"), "+49 030 ...");
        assert_eq!(international_key("788121234567"), e("78121234567"), "+7 8 812 ...");
        assert_eq!(international_key("3750291234567"), e("375291234567"), "+375 0 29 ...");
        assert_eq!(international_key("3758011234567"), e("3758011234567"), "BY toll-free");
        assert_eq!(international_key("37080012345"), e("37080012345"), "LT toll-free");
    }

    #[test]
    fn national_numbers() {
        assert_eq!(national_key("0301234567", Region::DE), e("49301234567"));
        assert_eq!(national_key("49301234567", Region::DE), e("49301234567"));
        assert_eq!(national_key("6502530000", Region::US), e("16502530000"));
        assert_eq!(national_key("16502530000", Region::US), e("16502530000"));
        assert_eq!(national_key("80291234567", Region::BY), e("375291234567"));
        assert_eq!(national_key("80171234567", Region::BY), e("375171234567"));
        assert_eq!(national_key("88121234567", Region::RU), e("78121234567"));
        assert_eq!(national_key("88005553535", Region::KZ), e("78005553535"));
        let it = Region::parse("IT").expect("IT");
        assert_eq!(national_key("3931234567", it), e("393931234567"), "an Italian mobile");
        assert_eq!(national_key("0612345678", it), e("390612345678"), "Rome keeps its 0");
        assert_eq!(national_key("112", Region::RU), None);
    }

    #[test]
    fn foreign_numbers_without_plus() {
        assert_eq!(national_key("49301234567", Region::RU), e("49301234567"));
        assert_eq!(
            national_key("13542530000", Region::RU),
            e("13542530000"),
            "possible, not valid"
        );
        assert_eq!(national_key("16502530000", Region::RU), e("16502530000"));
        assert_eq!(national_key("74951234567", Region::US), e("74951234567"));
    }

    #[test]
    fn international_prefixes() {
        assert_eq!(own_international_prefix_len("81074951234567", Region::RU), Some(3));
        assert_eq!(own_international_prefix_len("0074951234567", Region::RU), None);
        assert_eq!(extra_international_prefix_len("0074951234567", Region::RU), Some(2));
        assert_eq!(extra_international_prefix_len("81074951234567", Region::BY), Some(3));
        assert_eq!(extra_international_prefix_len("81074951234567", Region::DE), None);
        assert_eq!(own_international_prefix_len("01174951234567", Region::US), Some(3));
        assert_eq!(extra_international_prefix_len("01174951234567", Region::DE), Some(3));
        assert_eq!(own_international_prefix_len("004930", Region::DE), Some(2));
        assert_eq!(own_international_prefix_len("0001", Region::DE), None);
        assert_eq!(extra_international_prefix_len("0001", Region::DE), None);
        let au = Region::parse("AU").expect("AU");
        assert_eq!(own_international_prefix_len("00114930", au), Some(4));
        assert_eq!(own_international_prefix_len("00", Region::DE), None);
    }

    #[test]
    fn valid_regions() {
        let region = |d: &str| e(d).and_then(valid_region);
        assert_eq!(region("74951234567"), Some(Region::RU));
        assert_eq!(region("78121234567"), Some(Region::RU));
        assert_eq!(region("77011234567"), Some(Region::KZ));
        assert_eq!(region("49301234567"), Some(Region::DE));
        assert_eq!(region("16502530000"), Some(Region::US));
        assert_eq!(region("375291234567"), Some(Region::BY));
        assert_eq!(region("70001234567"), None);
        assert_eq!(region("3"), None);
    }

    #[test]
    fn transform_rules_use_braced_groups() {
        assert_eq!(braced_groups("9$1"), "9${1}");
        assert_eq!(braced_groups("$1$2 $3x"), "${1}${2} ${3}x");
        assert_eq!(braced_groups("$"), "$");
    }

    /// Every example number of the metadata, written `+<cc><example>` and in national form
    /// under its region, reads back as itself: the check `phonenumber::parse` fails for RU,
    /// KZ, BY and LT.
    #[test]
    fn every_metadata_example_reads_back() {
        let mut failures = Vec::new();
        for meta in database().iter() {
            let cc = meta.country_code();
            let region = Region::parse(meta.id()).ok();
            for desc in type_descriptors(meta) {
                let Some(example) = desc.example() else { continue };
                let want = key_of(cc, example);
                if want.is_none() {
                    continue;
                }
                let intl = international_key(&format!("{cc}{example}"));
                if intl != want {
                    failures.push(format!("+{cc}{example} -> {intl:?}"));
                }
                if let Some(region) = region {
                    let national = national_key(example, region);
                    if national != want {
                        failures.push(format!("{example} in {region} -> {national:?}"));
                    }
                    if let Some(np) = meta.national_prefix() {
                        let written = format!("{np}{example}");
                        let national = national_key(&written, region);
                        // libphonenumber reads `0 321...` in CO as carrier code 3 too.
                        let carrier_code = written == "03211234567" && meta.id() == "CO";
                        if national != want && !carrier_code {
                            failures.push(format!("{written} in {region} -> {national:?}"));
                        }
                    }
                }
            }
        }
        assert!(failures.is_empty(), "{} failures: {failures:#?}", failures.len());
    }
}
