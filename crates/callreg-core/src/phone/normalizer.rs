//! [`PhoneNormalizer`]: raw numbers to keys, under a default region.

use super::cache::{CacheKey, ResultCache};
use super::key::{E164, PhoneKey};
use super::meta::{self, MAX_DIGITS};
use super::parser::{NumberParser, default_parser};
use super::region::Region;
use super::strip::{DigitBuf, Prepared, prepare, prepare_into};
use std::fmt;
use std::sync::Arc;

/// Default number of cached readings.
const DEFAULT_CACHE_CAPACITY: usize = 8192;

/// Turns raw numbers into [`PhoneKey`]s under a default region, and formats keys.
///
/// Thread-safe (`Send + Sync`) and meant to be built once and shared (behind an `Arc` or a
/// reference): building it loads the number metadata. It holds the default region, the
/// [`NumberParser`] that reads numbers through the metadata, and a bounded cache of recent
/// readings, which never changes a result.
pub struct PhoneNormalizer {
    default_region: Region,
    parser: Arc<dyn NumberParser>,
    cache: ResultCache,
    /// Recent numbers in international format (as large as the readings' cache).
    formats: ResultCache<E164, Arc<str>>,
}

impl PhoneNormalizer {
    /// A normalizer for this default region; loads and warms the number metadata now (the
    /// first load costs ~80 ms) rather than on the first call.
    pub fn new(default_region: Region) -> Self {
        Self::with_cache_capacity(default_region, DEFAULT_CACHE_CAPACITY)
    }

    /// Same as [`PhoneNormalizer::new`] with a cache of at most `capacity` readings (`0`: no
    /// cache).
    pub fn with_cache_capacity(default_region: Region, capacity: usize) -> Self {
        Self::with_parser(default_region, capacity, default_parser())
    }

    /// A normalizer reading numbers through `parser` (see [`NumberParser`]), with a cache of
    /// at most `capacity` readings; warms the parser for the default region now.
    pub fn with_parser(
        default_region: Region,
        capacity: usize,
        parser: Arc<dyn NumberParser>,
    ) -> Self {
        let normalizer = PhoneNormalizer {
            default_region,
            parser,
            cache: ResultCache::new(capacity),
            formats: ResultCache::new(capacity),
        };
        normalizer.warm();
        normalizer
    }

    /// Loads the metadata and runs every path a number of the default region takes once, so
    /// that the first number a caller sends costs what the next ones do.
    fn warm(&self) {
        self.parser.warm(self.default_region);
        // Every shape a PBX sends: national, with a trunk prefix, international, after an
        // international prefix, with a trunk marker, with an extension, a short code. None of
        // them is cached (the cache is left empty).
        let region = self.default_region;
        let cc = region.calling_code();
        let sample = match self.parser.international_key(&format!("{cc}4951234567")) {
            Some(e) => e,
            None => return,
        };
        for text in [
            format!("+{}", sample.as_u64()),
            format!("00{}", sample.as_u64()),
            format!("+{cc} (0) 495 123-45-67 ext. 1"),
            "8 (495) 123-45-67".to_owned(),
            "4951234567".to_owned(),
            "112".to_owned(),
        ] {
            if let Some(prepared) = prepare(&text) {
                let _ = self.read_uncached(&prepared, region).and_then(|e| self.fixed_point(e));
                let _ = prepared.stripped();
            }
        }
        let _ = self.parser.valid_region(sample);
        let _ = self.parser.format_international(sample);
    }

    /// The region numbers without a country code are read in.
    pub fn default_region(&self) -> Region {
        self.default_region
    }

    /// The parser numbers are read through.
    pub fn parser(&self) -> &dyn NumberParser {
        self.parser.as_ref()
    }

    /// The key of a number as received from a PBX or typed into the CRM, read under the
    /// default region (matching.md tier 1). `None` when the number has no digit at all.
    pub fn key(&self, raw: &str) -> Option<PhoneKey> {
        self.key_in_region(raw, self.default_region)
    }

    /// The key of a number read under another region (matching.md tier 2: the line's
    /// country). `None` when the number has no digit at all.
    ///
    /// The number is an E.164 key when it reads as a full international number of 8 to 15
    /// digits, else a `Digits` key of its stripped text without `+` (short codes, service
    /// numbers with `*` or `#`, internal extensions, anything unreadable).
    pub fn key_in_region(&self, raw: &str, region: Region) -> Option<PhoneKey> {
        if let Some(e) = read_plain_digits(raw.as_bytes(), region) {
            return Some(PhoneKey::E164(e));
        }
        let mut prepared = Prepared::blank();
        if !prepare_into(raw, &mut prepared) {
            return None;
        }
        if prepared.service {
            return Some(PhoneKey::Digits(prepared.stripped()));
        }
        Some(match self.read(&prepared, region) {
            Some(e) => PhoneKey::E164(e),
            None => PhoneKey::Digits(prepared.stripped()),
        })
    }

    /// The E.164 number whose own text reads as itself. Odd inputs (trunk markers in odd
    /// places, repeated prefixes) can read as a number whose `+digits` text reads as another
    /// one; following the chain keeps every E.164 key idempotent. `None` when the chain does
    /// not settle, and the number is then matched by its digits.
    fn fixed_point(&self, first: E164) -> Option<E164> {
        let mut current = first;
        for _ in 0..4 {
            let prepared = Prepared::of_e164(current);
            match self.read_uncached(&prepared, self.default_region) {
                Some(next) if next == current => return Some(current),
                Some(next) => current = next,
                None => return None,
            }
        }
        None
    }

    /// Bitrix's criterion 2 (matching.md tier 2): the region of a line number read as an
    /// international number (`+` added when missing), when it is a valid number.
    /// `"74951234567"` gives RU; `"3"` and `"line-1"` give `None`.
    pub fn region_of_line(&self, line_number: &str) -> Option<Region> {
        let prepared = prepare(line_number)?;
        if prepared.service || prepared.digits.len() > MAX_DIGITS {
            return None;
        }
        let valid_region =
            |digits: &str| self.international_key(digits).and_then(|e| self.parser.valid_region(e));
        match drop_trunk_marker(&prepared, 1) {
            MaybeDropped::Dropped(digits) => {
                valid_region(digits.as_str()).or_else(|| valid_region(prepared.digits.as_str()))
            }
            MaybeDropped::Written(digits) => valid_region(digits),
        }
    }

    /// The number in international format for display and lead titles: `+7 495 123-45-67`,
    /// `+7 812 123-45-67`, `+49 30 1234567`, `+1 650-253-0000` (libphonenumber's
    /// INTERNATIONAL format). A `Digits` key is shown as it is. Recent numbers' formats are
    /// cached (formatting through the metadata costs microseconds).
    pub fn format_international(&self, key: &PhoneKey) -> String {
        match key {
            PhoneKey::E164(e) => match self.formats.get(*e) {
                Some(text) => text.to_string(),
                None => {
                    let text = self.parser.format_international(*e);
                    self.formats.insert(*e, Arc::from(text.as_str()));
                    text
                }
            },
            PhoneKey::Digits(d) => d.clone(),
        }
    }

    /// The settled E.164 reading of a prepared (non-service) number: the shapes that need no
    /// metadata first (their results are fixed points), then the cache, then the metadata
    /// followed by [`fixed_point`](Self::fixed_point).
    fn read(&self, prepared: &Prepared<'_>, region: Region) -> Option<E164> {
        if let Some(e) = read_without_metadata(prepared, region) {
            return Some(e);
        }
        let settle = || self.read_uncached(prepared, region).and_then(|e| self.fixed_point(e));
        let Some(key) = CacheKey::new(prepared, region) else {
            return settle();
        };
        if let Some(hit) = self.cache.get(key) {
            return hit;
        }
        let read = settle();
        self.cache.insert(key, read);
        read
    }

    /// The key of international digits: `7` and ten digits is that number (matching.md:
    /// `+7XXXXXXXXXX` under any region, whatever the area code); anything else as the parser
    /// reads it.
    fn international_key(&self, digits: &str) -> Option<E164> {
        if digits.len() == 11 && digits.starts_with('7') {
            return E164::from_digits(digits);
        }
        self.parser.international_key(digits)
    }

    /// The full reading of a prepared (non-service) number under a region.
    ///
    /// 1. `+`: the digits are an international number (after an international prefix, for
    ///    the odd `+00 ...`); a `(0)` trunk marker is dropped (see
    ///    [`read_international`](Self::read_international)).
    /// 2. The shapes of [`read_without_metadata`].
    /// 3. The region's own international prefix (`810` in RU, `00` in DE, `011` in US): the
    ///    rest (marker dropped) is an international number.
    /// 4. matching.md's other international prefixes (`00` and `011` anywhere, `810` in RU,
    ///    BY, KZ), unless the digits are a valid national number.
    /// 5. Else a national number of the region (see [`NumberParser::national_reading`]).
    ///
    /// After `+` or an international prefix, digits that are no international number (unknown
    /// calling code, too short or too long) give `None` (a `Digits` key), never a national
    /// reading.
    pub(crate) fn read_uncached(&self, prepared: &Prepared<'_>, region: Region) -> Option<E164> {
        let digits = prepared.digits.as_str();
        if digits.len() > MAX_DIGITS {
            return None;
        }
        if let Some(e) = read_without_metadata(prepared, region) {
            return Some(e);
        }
        if prepared.plus {
            let len = if digits.starts_with('0') {
                self.parser
                    .own_international_prefix_len(digits, region)
                    .or_else(|| meta::extra_international_prefix_len(digits, region))?
            } else {
                0
            };
            return self.read_international(prepared, len);
        }
        if let Some(len) = self.parser.own_international_prefix_len(digits, region) {
            return self.read_international(prepared, len);
        }
        let national = self.parser.national_reading(digits, region);
        if !national.valid
            && let Some(len) = meta::extra_international_prefix_len(digits, region)
        {
            return self.read_international(prepared, len);
        }
        national.key
    }

    /// The international number after `prefix_len` digits of international prefix: read
    /// without its `(0)` trunk marker, or as written when that gives nothing, or when only
    /// the written digits are a valid number (Italian numbers keep their `0` abroad:
    /// `+39 (0)6 ...` is `+39 06 ...`).
    fn read_international(&self, prepared: &Prepared<'_>, prefix_len: usize) -> Option<E164> {
        let without_marker = drop_trunk_marker(prepared, prefix_len + 1);
        let read =
            without_marker.as_str().get(prefix_len..).and_then(|d| self.international_key(d));
        match without_marker {
            MaybeDropped::Dropped(_) => {
                let written = prepared
                    .digits
                    .as_str()
                    .get(prefix_len..)
                    .and_then(|d| self.international_key(d));
                match (read, written) {
                    (Some(dropped), Some(written))
                        if self.parser.valid_region(dropped).is_none()
                            && self.parser.valid_region(written).is_some() =>
                    {
                        Some(written)
                    }
                    (None, written) => written,
                    (read, _) => read,
                }
            }
            MaybeDropped::Written(_) => read,
        }
    }
}

impl fmt::Debug for PhoneNormalizer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PhoneNormalizer")
            .field("default_region", &self.default_region)
            .field("parser", &self.parser.name())
            .field("cache", &self.cache)
            .field("formats", &self.formats)
            .finish()
    }
}

/// The fast path: the common shapes, read without the metadata (results are those of
/// [`PhoneNormalizer::read_uncached`], which applies the same rules first).
///
/// * `+7` and ten digits, under any region;
/// * under RU or KZ (calling code 7): `8` or `7` and ten digits is `+7` and the ten digits,
///   whatever the area code (`8 812 ...`, `8 800 ...`: what `phonenumber` gets wrong);
/// * under RU: ten digits starting with 3, 4, 8 or 9 is `+7` and those digits;
/// * under BY: `80` and nine digits (trunk prefix `8`, then `0` and the area code) is `+375`
///   and the nine digits, when they start with 1-7 or 9.
fn read_without_metadata(prepared: &Prepared<'_>, region: Region) -> Option<E164> {
    read_shape(prepared.plus, prepared.trunk_marker.is_some(), prepared.digits.as_bytes(), region)
}

/// [`read_without_metadata`] of a number written as bare ASCII digits, maybe after a `+`
/// (what most PBXes send: `84951234567`, `+74951234567`), read without taking the text apart
/// (its [`Prepared`] would be these digits, the `+`, no marker and no service character).
/// `None` for any other text, and for the shapes that need the metadata.
fn read_plain_digits(raw: &[u8], region: Region) -> Option<E164> {
    let (plus, digits) = match raw {
        [b'+', rest @ ..] => (true, rest),
        _ => (false, raw),
    };
    // Every shape read without the metadata has 10 or 11 digits.
    if !matches!(digits.len(), 10 | 11) || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    read_shape(plus, false, digits, region)
}

/// The rules of [`read_without_metadata`], on the parts of a prepared number they look at:
/// the `+`, whether a `(0)` trunk marker was written, and the ASCII digits.
fn read_shape(plus: bool, trunk_marker: bool, b: &[u8], region: Region) -> Option<E164> {
    // The digits from `from` on, after `prefix`, as one number (at most 12 digits here).
    let number = |prefix: u64, from: usize| -> Option<E164> {
        let value = b[from..].iter().fold(prefix, |acc, &d| acc * 10 + u64::from(d - b'0'));
        E164::from_u64(value)
    };
    if plus {
        return if !trunk_marker && b.len() == 11 && b[0] == b'7' { number(7, 1) } else { None };
    }
    match (region.as_str().as_bytes(), b.len(), b.first()) {
        (b"RU" | b"KZ", 11, Some(b'7' | b'8')) => number(7, 1),
        (b"RU", 10, Some(b'3' | b'4' | b'8' | b'9')) => number(7, 0),
        (b"BY", 11, Some(b'8')) if b[1] == b'0' && matches!(b[2], b'1'..=b'7' | b'9') => {
            number(375, 2)
        }
        _ => None,
    }
}

/// Digits with or without a dropped trunk marker.
enum MaybeDropped<'a> {
    /// As written.
    Written(&'a str),
    /// The `0` of the marker dropped.
    Dropped(DigitBuf),
}

impl MaybeDropped<'_> {
    fn as_str(&self) -> &str {
        match self {
            MaybeDropped::Written(digits) => digits,
            MaybeDropped::Dropped(digits) => digits.as_str(),
        }
    }
}

/// The digits without the `0` of a `(0)` trunk marker, when the marker comes at or after
/// digit `from` (that is, after the country code started).
fn drop_trunk_marker<'a>(prepared: &'a Prepared<'_>, from: usize) -> MaybeDropped<'a> {
    let digits = prepared.digits.as_str();
    match prepared.trunk_marker {
        Some(at) if at >= from && digits.as_bytes().get(at) == Some(&b'0') => {
            let mut out = DigitBuf::new();
            for (i, &digit) in prepared.digits.as_bytes().iter().enumerate() {
                if i != at {
                    out.push(digit);
                }
            }
            MaybeDropped::Dropped(out)
        }
        _ => MaybeDropped::Written(digits),
    }
}

#[cfg(test)]
#[allow(clippy::expect_used, clippy::unwrap_used)]
mod tests {
    use super::*;

    fn ru() -> PhoneNormalizer {
        PhoneNormalizer::new(Region::RU)
    }

    fn e164(text: &str) -> Option<PhoneKey> {
        PhoneKey::from_storage(text)
    }

    #[test]
    fn formats_are_cached_once_per_number() {
        let n = ru();
        let key = e164("+74951234567").expect("E.164");
        assert_eq!(n.formats.len(), 0);
        assert_eq!(n.format_international(&key), "+7 495 123-45-67");
        assert_eq!(n.format_international(&key), "+7 495 123-45-67");
        assert_eq!(n.formats.len(), 1);
        assert_eq!(n.format_international(&PhoneKey::Digits("112".into())), "112");
        assert_eq!(n.formats.len(), 1, "digits are shown as they are, not cached");
    }

    #[test]
    fn warming_leaves_the_cache_empty() {
        for region in [Region::RU, Region::DE, Region::US, Region::BY] {
            assert_eq!(PhoneNormalizer::new(region).cache.len(), 0, "{region}");
        }
    }

    #[test]
    fn thread_safe() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<PhoneNormalizer>();
    }

    #[test]
    fn fast_path_gives_canonical_numbers() {
        // Every shape the fast path takes, for every first three digits: reading its result
        // as an international number through the metadata gives it back.
        for region in [Region::RU, Region::KZ, Region::BY] {
            for area in 0..1000 {
                for raw in [
                    format!("8{area:03}5553535"),
                    format!("7{area:03}5553535"),
                    format!("{area:03}5553535"),
                    format!("80{area:03}555353"),
                ] {
                    let Some(prepared) = prepare(&raw) else { continue };
                    let Some(fast) = read_without_metadata(&prepared, region) else { continue };
                    let digits = fast.as_u64().to_string();
                    assert_eq!(
                        meta::international_key_by_metadata(&digits),
                        Some(fast),
                        "{raw} in {region}"
                    );
                }
            }
        }
    }

    #[test]
    fn russian_numbers() {
        let n = ru();
        let moscow = e164("+74951234567");
        for raw in [
            "+74951234567",
            "74951234567",
            "84951234567",
            "8 (495) 123-45-67",
            "4951234567",
            "007 495 1234567",
            "810 7 495 1234567",
            "8~10~7~495~1234567",
        ] {
            assert_eq!(n.key(raw), moscow, "{raw}");
        }
        for (raw, key) in [
            ("+7 812 123-45-67", "+78121234567"),
            ("8 812 123-45-67", "+78121234567"),
            ("812 123 45 67", "+78121234567"),
            ("8 800 555 35 35", "+78005553535"),
            ("+7 800 555 35 35", "+78005553535"),
            ("8 (843) 555-12-34", "+78435551234"),
            ("+7 861 555 12 34", "+78615551234"),
            ("89062195047", "+79062195047"),
            ("9062195047", "+79062195047"),
        ] {
            assert_eq!(n.key(raw), e164(key), "{raw}");
        }
    }

    #[test]
    fn short_and_service_numbers_are_digits() {
        let n = ru();
        for (raw, digits) in [
            ("112", "112"),
            ("0800", "0800"),
            ("+112", "112"),
            ("*100#", "*100"),
            ("101", "101"),
            ("8 800", "8800"),
            ("1234567890123456789", "1234567890123456789"),
        ] {
            assert_eq!(n.key(raw), Some(PhoneKey::Digits(digits.into())), "{raw}");
        }
        assert_eq!(n.key("abc"), None);
        assert_eq!(n.key(""), None);
        assert_eq!(n.key("+ - ( )"), None);
    }

    #[test]
    fn region_of_line() {
        let n = ru();
        assert_eq!(n.region_of_line("74951234567"), Some(Region::RU));
        assert_eq!(n.region_of_line("+7 812 123-45-67"), Some(Region::RU));
        assert_eq!(n.region_of_line("+49 30 1234567"), Some(Region::DE));
        assert_eq!(n.region_of_line("375291234567"), Some(Region::BY));
        assert_eq!(n.region_of_line("77011234567"), Some(Region::KZ));
        assert_eq!(n.region_of_line("3"), None);
        assert_eq!(n.region_of_line("line-1"), None);
        assert_eq!(n.region_of_line(""), None);
        assert_eq!(n.region_of_line("70001234567"), None, "not a valid number");
    }

    #[test]
    fn cache_is_used_and_bounded() {
        let n = PhoneNormalizer::with_cache_capacity(Region::DE, 4);
        assert_eq!(n.key("030 1234567"), e164("+49301234567"));
        // The settled reading of the number (its fixed-point check is not cached apart).
        assert_eq!(n.cache.len(), 1);
        assert_eq!(n.key("030 1234567"), e164("+49301234567"));
        for i in 0..10 {
            let _ = n.key(&format!("030 123456{i}"));
        }
        assert!(n.cache.len() <= 4);
        let none = PhoneNormalizer::with_cache_capacity(Region::DE, 0);
        assert_eq!(none.key("030 1234567"), e164("+49301234567"));
        assert_eq!(none.cache.len(), 0);
    }

    #[test]
    fn fuzz_regressions_stay_fixed() {
        // A trunk marker in an odd place once gave a key whose own text read as another key.
        let input = include_bytes!("../../tests/fuzz_regressions/normalize-trunk-marker-chain");
        let raw = String::from_utf8_lossy(&input[1..]);
        for region in [Region::RU, Region::DE, Region::US, Region::BY, Region::KZ] {
            let n = PhoneNormalizer::new(region);
            if let Some(PhoneKey::E164(e)) = n.key(&raw) {
                assert_eq!(
                    n.key(&e.to_string()),
                    Some(PhoneKey::E164(e)),
                    "{raw:?} under {region}"
                );
            }
        }
    }

    #[test]
    fn huge_input_does_not_panic() {
        let n = ru();
        let digits = "7".repeat(1 << 20);
        assert_eq!(n.key(&digits), Some(PhoneKey::Digits(digits.clone())));
        let noise = "(-) ".repeat(1 << 18);
        assert_eq!(n.key(&noise), None);
        assert_eq!(n.region_of_line(&digits), None);
    }

    proptest::proptest! {
        /// The bare-digits path reads what taking the text apart reads: the same number
        /// whenever it reads one, and it misses no bare-digits text of a shape read without
        /// the metadata.
        #[test]
        fn bare_digits_read_as_taken_apart(
            raw in "\\+?[0-9]{8,13}|[0-9+() -]{0,16}|tel:\\+?[0-9]{10,11}",
            region in proptest::sample::select(vec![Region::RU, Region::KZ, Region::BY, Region::DE, Region::US]),
        ) {
            let plain = read_plain_digits(raw.as_bytes(), region);
            let taken_apart = prepare(&raw).and_then(|p| read_without_metadata(&p, region));
            let bare = raw.strip_prefix('+').unwrap_or(&raw);
            let is_bare = !bare.is_empty() && bare.bytes().all(|b| b.is_ascii_digit());
            if is_bare {
                proptest::prop_assert_eq!(plain, taken_apart, "{:?} in {}", raw, region);
            } else {
                proptest::prop_assert_eq!(plain, None, "{:?} is not bare digits", raw);
            }
        }
    }
}
