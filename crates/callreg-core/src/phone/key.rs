//! The matching keys: [`E164`] numbers and the [`PhoneKey`] that falls back to digits.

use std::fmt;

/// The largest E.164 number plus one: E.164 allows at most 15 digits.
const E164_LIMIT: u64 = 1_000_000_000_000_000;

/// An E.164 number: the digits after `+`, at most 15, the first one non-zero.
///
/// Stored as a `u64`, so it is `Copy` and orders like the numbers it holds. `Display` gives
/// `+78121234567`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct E164(u64);

impl E164 {
    /// The number of these digits (no `+`, no separators); `None` unless they are 1 to 15
    /// ASCII digits with a non-zero first one.
    pub fn from_digits(d: &str) -> Option<E164> {
        if d.is_empty()
            || d.len() > 15
            || d.starts_with('0')
            || !d.bytes().all(|b| b.is_ascii_digit())
        {
            return None;
        }
        d.parse().ok().map(E164)
    }

    /// The digits as a number (`78121234567` for `+78121234567`).
    pub fn as_u64(self) -> u64 {
        self.0
    }

    /// The number of these digits; `None` for 0 and for more than 15 digits.
    pub fn from_u64(v: u64) -> Option<E164> {
        (v > 0 && v < E164_LIMIT).then_some(E164(v))
    }

    /// The country calling code (`7`, `49`, `375`), from a table of the codes the metadata
    /// knows (no metadata load); `None` when no prefix of the number is one.
    pub fn country_code(self) -> Option<u16> {
        split_country_code(&self.0.to_string()).map(|(cc, _)| cc)
    }

    /// The national (significant) number: the digits after the country calling code
    /// (`"4951234567"` for `+74951234567`, `"301234567"` for `+49301234567`); `None` when no
    /// prefix of the number is a calling code the metadata knows.
    pub fn national_number(self) -> Option<String> {
        let digits = self.0.to_string();
        split_country_code(&digits).map(|(_, national)| national.to_owned())
    }
}

impl fmt::Display for E164 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "+{}", self.0)
    }
}

/// Splits international digits (no `+`) into their calling code and the rest.
///
/// Calling codes are prefix-free, so at most one of the 1-, 2- and 3-digit prefixes is one.
pub(crate) fn split_country_code(digits: &str) -> Option<(u16, &str)> {
    (1..=3).find_map(|len| {
        let prefix = digits.get(..len)?;
        if prefix.starts_with('0') {
            return None;
        }
        let code: u16 = prefix.parse().ok()?;
        CALLING_CODES.binary_search(&code).ok()?;
        Some((code, &digits[len..]))
    })
}

/// What a phone number is matched by.
///
/// * `E164`: the number read as a full international number (8 to 15 digits);
/// * `Digits`: anything else (short codes, service numbers, internal extensions): Bitrix's
///   stripped text without `+` (`0-9 # * , ;`), compared by exact equality.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PhoneKey {
    /// A full international number.
    E164(E164),
    /// The stripped digits of a number that is not one.
    Digits(String),
}

impl PhoneKey {
    /// Stable text for storage and indexing: `+78121234567` for an E.164 key,
    /// `=<digits and # * , ;>` for a `Digits` key. [`PhoneKey::from_storage`] reads it back.
    pub fn to_storage(&self) -> String {
        match self {
            PhoneKey::E164(e) => e.to_string(),
            PhoneKey::Digits(d) => format!("={d}"),
        }
    }

    /// Reads a key written by [`PhoneKey::to_storage`]; `None` for any other text.
    pub fn from_storage(s: &str) -> Option<PhoneKey> {
        if let Some(digits) = s.strip_prefix('+') {
            E164::from_digits(digits).map(PhoneKey::E164)
        } else if let Some(digits) = s.strip_prefix('=') {
            let valid = digits.bytes().any(|b| b.is_ascii_digit())
                && digits.bytes().all(|b| matches!(b, b'0'..=b'9' | b'#' | b'*' | b',' | b';'));
            valid.then(|| PhoneKey::Digits(digits.to_owned()))
        } else {
            None
        }
    }

    /// The E.164 number, for an E.164 key.
    pub fn as_e164(&self) -> Option<E164> {
        match self {
            PhoneKey::E164(e) => Some(*e),
            PhoneKey::Digits(_) => None,
        }
    }
}

impl fmt::Display for PhoneKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PhoneKey::E164(e) => e.fmt(f),
            PhoneKey::Digits(d) => f.write_str(d),
        }
    }
}

impl serde::Serialize for PhoneKey {
    /// As its storage text ([`PhoneKey::to_storage`]).
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_storage())
    }
}

impl<'de> serde::Deserialize<'de> for PhoneKey {
    /// From its storage text ([`PhoneKey::from_storage`]).
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        PhoneKey::from_storage(&text)
            .ok_or_else(|| serde::de::Error::custom(format!("not a stored phone key: {text:?}")))
    }
}

/// Every country calling code of the `phonenumber` metadata (0.3.10, libphonenumber 9.0.33),
/// sorted. A unit test checks it against the metadata. The non-geographic codes 800, 808,
/// 870, 878, 881, 882, 883 and 888 are missing from that metadata, so they are not here
/// either (such numbers get a `Digits` key).
#[rustfmt::skip]
const CALLING_CODES: &[u16] = &[
    1, 7, 20, 27, 30, 31, 32, 33, 34, 36, 39, 40, 41, 43, 44, 45, 46, 47, 48, 49, 51, 52, 53,
    54, 55, 56, 57, 58, 60, 61, 62, 63, 64, 65, 66, 81, 82, 84, 86, 90, 91, 92, 93, 94, 95, 98,
    211, 212, 213, 216, 218, 220, 221, 222, 223, 224, 225, 226, 227, 228, 229, 230, 231, 232,
    233, 234, 235, 236, 237, 238, 239, 240, 241, 242, 243, 244, 245, 246, 247, 248, 249, 250,
    251, 252, 253, 254, 255, 256, 257, 258, 260, 261, 262, 263, 264, 265, 266, 267, 268, 269,
    290, 291, 297, 298, 299, 350, 351, 352, 353, 354, 355, 356, 357, 358, 359, 370, 371, 372,
    373, 374, 375, 376, 377, 378, 380, 381, 382, 383, 385, 386, 387, 389, 420, 421, 423, 500,
    501, 502, 503, 504, 505, 506, 507, 508, 509, 590, 591, 592, 593, 594, 595, 596, 597, 598,
    599, 670, 672, 673, 674, 675, 676, 677, 678, 679, 680, 681, 682, 683, 685, 686, 687, 688,
    689, 690, 691, 692, 850, 852, 853, 855, 856, 880, 886, 960, 961, 962, 963, 964, 965, 966,
    967, 968, 970, 971, 972, 973, 974, 975, 976, 977, 979, 992, 993, 994, 995, 996, 998,
];

#[cfg(test)]
#[allow(clippy::expect_used, clippy::unwrap_used)]
mod tests {
    use super::*;
    use phonenumber::metadata::DATABASE;

    #[test]
    fn calling_codes_match_the_metadata() {
        let mut codes: Vec<u16> = DATABASE.iter().map(|m| m.country_code()).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(CALLING_CODES, codes.as_slice());
        // Calling codes are prefix-free, which split_country_code relies on.
        for a in CALLING_CODES {
            for b in CALLING_CODES {
                let (a, b) = (a.to_string(), b.to_string());
                assert!(a == b || !b.starts_with(&a), "{a} is a prefix of {b}");
            }
        }
    }

    #[test]
    fn e164_from_digits() {
        assert_eq!(E164::from_digits("78121234567").map(E164::as_u64), Some(78_121_234_567));
        assert_eq!(
            E164::from_digits("999999999999999").map(E164::as_u64),
            Some(999_999_999_999_999)
        );
        assert_eq!(E164::from_digits("1").map(E164::as_u64), Some(1));
        for bad in ["", "0781", "1234567890123456", "+7812", "7 812", "７", "-1"] {
            assert_eq!(E164::from_digits(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn e164_from_u64() {
        assert_eq!(E164::from_u64(0), None);
        assert_eq!(E164::from_u64(E164_LIMIT), None);
        assert_eq!(E164::from_u64(E164_LIMIT - 1).map(E164::as_u64), Some(E164_LIMIT - 1));
        assert_eq!(
            E164::from_u64(74_951_234_567).map(|e| e.to_string()),
            Some("+74951234567".into())
        );
    }

    #[test]
    fn e164_country_code() {
        let cc = |d: &str| E164::from_digits(d).and_then(E164::country_code);
        assert_eq!(cc("74951234567"), Some(7));
        assert_eq!(cc("49301234567"), Some(49));
        assert_eq!(cc("375291234567"), Some(375));
        assert_eq!(cc("16502530000"), Some(1));
        assert_eq!(cc("80012345678"), None, "+800 is not in the metadata");
        assert_eq!(cc("28"), None);
        let national = |d: &str| E164::from_digits(d).and_then(E164::national_number);
        assert_eq!(national("74951234567").as_deref(), Some("4951234567"));
        assert_eq!(national("49301234567").as_deref(), Some("301234567"));
        assert_eq!(national("375291234567").as_deref(), Some("291234567"));
        assert_eq!(national("16502530000").as_deref(), Some("6502530000"));
        assert_eq!(national("80012345678"), None);
    }

    #[test]
    fn storage_round_trip() {
        let keys = [
            PhoneKey::E164(E164(78_121_234_567)),
            PhoneKey::Digits("112".into()),
            PhoneKey::Digits("*100".into()),
            PhoneKey::Digits("#31".into()),
        ];
        for key in keys {
            let text = key.to_storage();
            assert_eq!(PhoneKey::from_storage(&text), Some(key.clone()), "{text}");
        }
        assert_eq!(PhoneKey::E164(E164(78_121_234_567)).to_storage(), "+78121234567");
        assert_eq!(PhoneKey::Digits("112".into()).to_storage(), "=112");
        for bad in ["", "+", "=", "=+112", "=abc", "=#", "78121234567", "+0781", "+7812a", "~1"] {
            assert_eq!(PhoneKey::from_storage(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn display() {
        assert_eq!(PhoneKey::E164(E164(78_121_234_567)).to_string(), "+78121234567");
        assert_eq!(PhoneKey::Digits("0800".into()).to_string(), "0800");
    }
}
