//! Phone normalization: never panics; an E.164 key is idempotent (its own text normalizes to
//! itself under any region); formatting a key never panics.
#![no_main]

use callreg_core::phone::{PhoneKey, PhoneNormalizer, Region};
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

const REGIONS: [&str; 6] = ["RU", "DE", "US", "BY", "KZ", "GB"];

fn normalizers() -> &'static Vec<PhoneNormalizer> {
    static ALL: OnceLock<Vec<PhoneNormalizer>> = OnceLock::new();
    ALL.get_or_init(|| {
        REGIONS.iter().filter_map(|r| Region::parse(r).ok()).map(PhoneNormalizer::new).collect()
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else { return };
    let raw = String::from_utf8_lossy(rest);
    let all = normalizers();
    let normalizer = &all[usize::from(selector) % all.len()];
    let key = normalizer.key(&raw);
    if let Some(line_region) = normalizer.region_of_line(&raw) {
        let _ = normalizer.key_in_region(&raw, line_region);
    }
    if let Some(key) = key {
        let _ = normalizer.format_international(&key);
        let stored = key.to_storage();
        assert_eq!(PhoneKey::from_storage(&stored).as_ref(), Some(&key), "storage round trip of {stored}");
        if let PhoneKey::E164(e164) = key {
            let text = e164.to_string();
            assert!(text.len() <= 16 && text.starts_with('+'), "{text}");
            for other in all {
                assert_eq!(other.key(&text), Some(PhoneKey::E164(e164)), "{text} under {}", other.default_region());
            }
        }
    }
});
