//! `CALL_START_DATE` parsing: never panics, and an accepted date written back in RFC 3339
//! parses to the same instant.
#![no_main]

use callreg_core::call_date::parse_call_start_date;
use libfuzzer_sys::fuzz_target;

const ZONES: [chrono_tz::Tz; 4] =
    [chrono_tz::UTC, chrono_tz::Europe::Moscow, chrono_tz::America::New_York, chrono_tz::Asia::Kolkata];

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else { return };
    let text = String::from_utf8_lossy(rest);
    let zone = ZONES[usize::from(selector) % ZONES.len()];
    if let Ok(instant) = parse_call_start_date(&text, zone) {
        let written = instant.to_rfc3339_opts(chrono::SecondsFormat::Nanos, true);
        assert_eq!(parse_call_start_date(&written, zone), Ok(instant), "{text:?} -> {written}");
    }
});
