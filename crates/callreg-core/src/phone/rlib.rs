//! [`RlibPhonenumber`]: the [`NumberParser`] over the `rlibphonenumber` crate, a port of
//! Google's libphonenumber (cargo feature `rlibphonenumber`).
//!
//! The port's parser strips national prefixes correctly (`+7 812 ...` keeps its `8`), so
//! each question maps onto its public API; only matching.md's rule for national readings of
//! impossible length (read the digits as an international number) is added here, as the
//! default parser adds it.

use super::key::E164;
use super::parser::{NationalReading, NumberParser};
use super::region::Region;
use rlibphonenumber::{
    CountryCodeSource, PHONE_NUMBER_UTIL, PhoneNumber, PhoneNumberFormat, ValidationError,
    get_national_significant_number_owned,
};

/// Shortest and longest E.164 key (matching.md: shorter numbers are short codes).
const KEY_LENGTHS: std::ops::RangeInclusive<usize> = 8..=15;

/// The `rlibphonenumber` port of libphonenumber (metadata of its own build).
#[derive(Debug, Clone, Copy, Default)]
pub struct RlibPhonenumber;

fn their_region(region: Region) -> Option<rlibphonenumber::Region> {
    rlibphonenumber::Region::from_code(region.as_str()).ok()
}

/// The E.164 key of a parsed number, when it has 8 to 15 digits.
fn key_of(number: &PhoneNumber) -> Option<E164> {
    let digits =
        format!("{}{}", number.country_code, get_national_significant_number_owned(number));
    if KEY_LENGTHS.contains(&digits.len()) { E164::from_digits(&digits) } else { None }
}

fn parse_international(e: E164) -> Option<PhoneNumber> {
    PHONE_NUMBER_UTIL.parse(format!("+{}", e.as_u64()), None).ok()
}

impl NumberParser for RlibPhonenumber {
    fn name(&self) -> &'static str {
        "rlibphonenumber 2.2 (libphonenumber 9.0.8 port)"
    }

    fn warm(&self, region: Region) {
        let util = &*PHONE_NUMBER_UTIL;
        if let Some(their) = their_region(region)
            && let Ok(example) = util.get_example_number(their)
        {
            let _ = util.is_valid_number(&example);
            let _ = util.format(&example, PhoneNumberFormat::International);
            let text = get_national_significant_number_owned(&example);
            let _ = util.parse(&text, Some(their));
        }
    }

    fn international_key(&self, digits: &str) -> Option<E164> {
        let number = PHONE_NUMBER_UTIL.parse(format!("+{digits}"), None).ok()?;
        key_of(&number)
    }

    fn own_international_prefix_len(&self, digits: &str, region: Region) -> Option<usize> {
        let number =
            PHONE_NUMBER_UTIL.parse_and_keep_raw_input(digits, their_region(region)).ok()?;
        if number.country_code_source() != CountryCodeSource::FromNumberWithIdd {
            return None;
        }
        // The prefix is what comes before the international number the port read (IDD
        // prefixes are at most 5 digits): the shortest cut whose rest reads as that number.
        let key = key_of(&number)?;
        (1..=5).find(|&len| {
            digits.get(len..).is_some_and(|rest| {
                !rest.starts_with('0') && self.international_key(rest) == Some(key)
            })
        })
    }

    fn national_reading(&self, digits: &str, region: Region) -> NationalReading {
        let util = &*PHONE_NUMBER_UTIL;
        let Ok(number) = util.parse(digits, their_region(region)) else {
            return NationalReading { key: None, valid: false };
        };
        let key = key_of(&number);
        let valid = key.is_some() && util.is_valid_number(&number);
        let impossible_length = matches!(
            util.is_possible_number_with_reason(&number),
            Err(ValidationError::InvalidLength
                | ValidationError::TooLong
                | ValidationError::TooShort)
        );
        if !valid
            && impossible_length
            && !digits.starts_with('0')
            && let Ok(international) = util.parse(format!("+{digits}"), None)
            && util.is_possible_number_with_reason(&international).is_ok()
            && let Some(e) = key_of(&international)
        {
            return NationalReading { key: Some(e), valid: util.is_valid_number(&international) };
        }
        NationalReading { key, valid }
    }

    fn valid_region(&self, e: E164) -> Option<Region> {
        let number = parse_international(e)?;
        if !PHONE_NUMBER_UTIL.is_valid_number(&number) {
            return None;
        }
        let region = PHONE_NUMBER_UTIL.get_region_for_number(&number)?;
        Region::parse(region.as_region_str().as_str()).ok()
    }

    fn format_international(&self, e: E164) -> String {
        match parse_international(e) {
            Some(number) => {
                PHONE_NUMBER_UTIL.format(&number, PhoneNumberFormat::International).into_owned()
            }
            None => e.to_string(),
        }
    }
}
