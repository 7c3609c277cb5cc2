//! `CALL_START_DATE` parsing (contract D6).
//!
//! Accepted: RFC 3339 / ISO 8601 dates with `T` or a space between date and time, seconds
//! optional, fractional seconds up to 9 digits, and an offset `Z`, `+03:00`, `+0300` or `+03`.
//! Without an offset the time is read in the portal's time zone. The result is UTC, within the
//! years 0000–9999 (an offset that carries a date out of them is refused).

use chrono::{
    DateTime, Datelike, FixedOffset, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, TimeZone,
    Utc,
};
use chrono_tz::Tz;

/// `CALL_START_DATE` was not a date in one of the accepted formats.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("CALL_START_DATE should be in the ISO-8601 format")]
pub struct InvalidCallStartDate;

/// Parses a start date as clients send it. `zone` interprets dates without an offset.
///
/// ```
/// use callreg_core::call_date::parse_call_start_date;
/// let t = parse_call_start_date("2026-03-10T11:19:38+03:00", chrono_tz::UTC).unwrap();
/// assert_eq!(t.to_rfc3339(), "2026-03-10T08:19:38+00:00");
/// ```
pub fn parse_call_start_date(input: &str, zone: Tz) -> Result<DateTime<Utc>, InvalidCallStartDate> {
    let at = parse_in_zone(input, zone)?;
    // An offset can carry a year-0000 or year-9999 date out of the four-digit years, which
    // no store has to hold (a SQL DATETIME cannot either).
    if !(0..=9999).contains(&at.year()) {
        return Err(InvalidCallStartDate);
    }
    Ok(at)
}

/// [`parse_call_start_date`] before its range check.
fn parse_in_zone(input: &str, zone: Tz) -> Result<DateTime<Utc>, InvalidCallStartDate> {
    let text = input.trim();
    // Every accepted form is ASCII; checking it first makes all byte slicing below safe.
    if !text.is_ascii() {
        return Err(InvalidCallStartDate);
    }
    let (local, offset) = split_offset(text).ok_or(InvalidCallStartDate)?;
    let naive = parse_naive(local).ok_or(InvalidCallStartDate)?;
    match offset {
        Some(off) => match off.from_local_datetime(&naive) {
            LocalResult::Single(t) => Ok(t.with_timezone(&Utc)),
            _ => Err(InvalidCallStartDate),
        },
        None => match zone.from_local_datetime(&naive) {
            LocalResult::Single(t) => Ok(t.with_timezone(&Utc)),
            // A time repeated by a clock change: the earlier instant, as PHP does.
            LocalResult::Ambiguous(first, _) => Ok(first.with_timezone(&Utc)),
            // A time skipped by a clock change does not exist in that zone.
            LocalResult::None => Err(InvalidCallStartDate),
        },
    }
}

/// Splits `2026-03-10T11:19:38+03:00` into the local part and its offset, if any.
fn split_offset(text: &str) -> Option<(&str, Option<FixedOffset>)> {
    if let Some(local) = text.strip_suffix('Z').or_else(|| text.strip_suffix('z')) {
        return Some((local, FixedOffset::east_opt(0)));
    }
    // The offset sign can only appear after the time part, which starts after position 10.
    let bytes = text.as_bytes();
    let sign_at = bytes
        .iter()
        .enumerate()
        .skip(11)
        .rev()
        .find(|(_, b)| **b == b'+' || **b == b'-')
        .map(|(i, _)| i);
    let Some(at) = sign_at else {
        return Some((text, None));
    };
    let (local, offset_text) = text.split_at(at);
    let offset = parse_offset(offset_text)?;
    Some((local.trim_end(), Some(offset)))
}

/// `+03:00`, `+0300`, `+03`, `-05:30`.
fn parse_offset(text: &str) -> Option<FixedOffset> {
    let (sign, rest) = match text.as_bytes().first()? {
        b'+' => (1, &text[1..]),
        b'-' => (-1, &text[1..]),
        _ => return None,
    };
    let digits: String = match rest.len() {
        2 => rest.to_string(),
        4 => rest.to_string(),
        5 if rest.as_bytes()[2] == b':' => format!("{}{}", &rest[..2], &rest[3..]),
        _ => return None,
    };
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let hours: i32 = digits[..2].parse().ok()?;
    let minutes: i32 = if digits.len() == 4 { digits[2..].parse().ok()? } else { 0 };
    if hours > 23 || minutes > 59 {
        return None;
    }
    FixedOffset::east_opt(sign * (hours * 3600 + minutes * 60))
}

/// `YYYY-MM-DD[T| ]HH:MM[:SS[.fffffffff]]`.
fn parse_naive(text: &str) -> Option<NaiveDateTime> {
    if text.len() < 16 || !text.is_char_boundary(10) || !text.is_char_boundary(11) {
        return None;
    }
    let (date_part, rest) = text.split_at(10);
    let sep = rest.as_bytes()[0];
    if sep != b'T' && sep != b't' && sep != b' ' {
        return None;
    }
    let time_part = &rest[1..];
    let date = parse_date(date_part)?;
    let time = parse_time(time_part)?;
    Some(NaiveDateTime::new(date, time))
}

fn parse_date(text: &str) -> Option<NaiveDate> {
    let b = text.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let year = digits_value(&text[0..4])?;
    let month = digits_value(&text[5..7])?;
    let day = digits_value(&text[8..10])?;
    NaiveDate::from_ymd_opt(i32::try_from(year).ok()?, month, day)
}

fn parse_time(text: &str) -> Option<NaiveTime> {
    let b = text.as_bytes();
    if b.len() < 5 || b[2] != b':' {
        return None;
    }
    let hour = digits_value(&text[0..2])?;
    let minute = digits_value(&text[3..5])?;
    let mut second = 0;
    let mut nanos = 0;
    let rest = &text[5..];
    if !rest.is_empty() {
        let rest = rest.strip_prefix(':')?;
        if rest.len() < 2 {
            return None;
        }
        second = digits_value(&rest[..2])?;
        let frac = &rest[2..];
        if !frac.is_empty() {
            let frac = frac.strip_prefix('.').or_else(|| frac.strip_prefix(','))?;
            if frac.is_empty() || frac.len() > 9 {
                return None;
            }
            let value = digits_value(frac)?;
            nanos = value * 10u32.pow(9 - u32::try_from(frac.len()).ok()?);
        }
    }
    NaiveTime::from_hms_nano_opt(hour, minute, second, nanos)
}

/// The value of a non-empty all-ASCII-digit string of at most 9 digits.
fn digits_value(text: &str) -> Option<u32> {
    if text.is_empty() || text.len() > 9 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> String {
        match parse_call_start_date(s, chrono_tz::UTC) {
            Ok(t) => t.format("%Y-%m-%dT%H:%M:%S%.fZ").to_string(),
            Err(_) => "ERR".into(),
        }
    }

    #[test]
    fn every_listed_format_is_accepted() {
        assert_eq!(utc("2026-03-10T11:19:38+03:00"), "2026-03-10T08:19:38Z");
        assert_eq!(utc("2026-03-10 11:19:38+03:00"), "2026-03-10T08:19:38Z");
        assert_eq!(utc("2026-03-10T11:19:38Z"), "2026-03-10T11:19:38Z");
        assert_eq!(utc("2026-03-10T11:19:38+0300"), "2026-03-10T08:19:38Z");
        assert_eq!(utc("2026-03-10T11:19:38+03"), "2026-03-10T08:19:38Z");
        assert_eq!(utc("2026-03-10T11:19:38-05:30"), "2026-03-10T16:49:38Z");
        assert_eq!(utc("2026-03-10T11:19:38.123456789Z"), "2026-03-10T11:19:38.123456789Z");
        assert_eq!(utc("2026-03-10T11:19:38.5+01:00"), "2026-03-10T10:19:38.500Z");
        assert_eq!(utc("2026-03-10T11:19"), "2026-03-10T11:19:00Z");
        assert_eq!(utc("2026-03-10 11:19:38"), "2026-03-10T11:19:38Z");
    }

    #[test]
    fn fuzz_regression_non_ascii_is_refused() {
        let input = include_bytes!("../tests/fuzz_regressions/call_date-non-ascii");
        let text = String::from_utf8_lossy(&input[1..]);
        assert_eq!(parse_call_start_date(&text, chrono_tz::UTC), Err(InvalidCallStartDate));
    }

    #[test]
    fn naive_times_are_read_in_the_portal_zone() {
        let t = parse_call_start_date("2026-03-10 11:19:38", chrono_tz::Europe::Moscow);
        assert_eq!(t.map(|t| t.to_rfc3339()), Ok("2026-03-10T08:19:38+00:00".to_string()));
        // An explicit offset wins over the portal zone.
        let t = parse_call_start_date("2026-03-10 11:19:38Z", chrono_tz::Europe::Moscow);
        assert_eq!(t.map(|t| t.to_rfc3339()), Ok("2026-03-10T11:19:38+00:00".to_string()));
    }

    #[test]
    fn offsets_never_carry_a_date_out_of_four_digit_years() {
        assert_eq!(utc("9999-12-31T23:30:00-05:00"), "ERR");
        assert_eq!(utc("0000-01-01T00:30:00+05:00"), "ERR");
        assert_eq!(utc("9999-12-31T23:30:00+05:00"), "9999-12-31T18:30:00Z");
        assert_eq!(utc("0000-01-01T00:30:00-05:00"), "0000-01-01T05:30:00Z");
        let late = parse_call_start_date("9999-12-31 23:30", chrono_tz::America::New_York);
        assert_eq!(late, Err(InvalidCallStartDate));
    }

    #[test]
    fn garbage_is_refused() {
        for bad in [
            "garbage",
            "yesterday",
            "@1700000000",
            "2026-13-10T11:19:38Z",
            "2026-02-30T11:19:38Z",
            "2026-03-10T25:00:00Z",
            "2026-03-10T11:19:38.1234567890Z",
            "2026-03-10T11:19:38+3",
            "2026-03-10T11:19:38+24:00",
            "2026-03-10",
            "2026-03-10X11:19:38",
            "2026-03-10T11:19:3",
            "2026-03-10T11:19:38.Z",
            "２０２６-03-10T11:19:38Z",
            "2026-03-10T11:19:é8Z",
            "2026-03-10T11:19:3é",
        ] {
            assert_eq!(utc(bad), "ERR", "{bad:?}");
        }
    }

    #[test]
    fn a_time_skipped_by_dst_is_refused_and_a_repeated_one_takes_the_first() {
        let berlin = chrono_tz::Europe::Berlin;
        assert!(parse_call_start_date("2026-03-29 02:30:00", berlin).is_err());
        let t = parse_call_start_date("2026-10-25 02:30:00", berlin);
        assert_eq!(t.map(|t| t.to_rfc3339()), Ok("2026-10-25T00:30:00+00:00".to_string()));
    }
}
