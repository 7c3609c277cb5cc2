//! International format for display and lead titles (`+7 812 123-45-67`).
//!
//! `phonenumber`'s formatter works on the number its parser produced, so a Saint Petersburg
//! number comes out as `+7 121234567`; its choice of pattern also skips the pattern check
//! when a format has no leading digits. This is libphonenumber's
//! `formatNsnUsingPattern` over the same metadata, on our keys.

use super::key::{E164, split_country_code};
use super::meta::{full_match_expand, main_metadata};

/// `+<calling code> <national number formatted by the main region's international pattern>`;
/// `+<digits>` when the calling code is unknown, and the national number unformatted when
/// no pattern fits.
pub(crate) fn international(e: E164) -> String {
    let digits = e.as_u64().to_string();
    let Some((cc, national)) = split_country_code(&digits) else {
        return format!("+{digits}");
    };
    let Some(meta) = main_metadata(cc) else {
        return format!("+{digits}");
    };
    let formats = if meta.international_formats().is_empty() {
        meta.formats()
    } else {
        meta.international_formats()
    };
    for format in formats {
        let leading_ok = format
            .leading_digits()
            .last()
            .is_none_or(|pattern| pattern.find(national).is_some_and(|m| m.start() == 0));
        if !leading_ok {
            continue;
        }
        let Some(formatted) =
            full_match_expand(format.pattern().as_str(), national, format.format())
        else {
            continue;
        };
        return format!("+{cc} {formatted}");
    }
    format!("+{cc} {national}")
}

#[cfg(test)]
#[allow(clippy::expect_used, clippy::unwrap_used)]
mod tests {
    use super::*;

    fn formatted(digits: &str) -> String {
        E164::from_digits(digits).map(international).unwrap_or_default()
    }

    #[test]
    fn examples() {
        assert_eq!(formatted("74951234567"), "+7 495 123-45-67");
        assert_eq!(formatted("78121234567"), "+7 812 123-45-67");
        assert_eq!(formatted("78005553535"), "+7 800 555-35-35");
        assert_eq!(formatted("78435551234"), "+7 843 555-12-34");
        assert_eq!(formatted("79062195047"), "+7 906 219-50-47");
        assert_eq!(formatted("49301234567"), "+49 30 1234567");
        assert_eq!(formatted("16502530000"), "+1 650-253-0000");
        assert_eq!(formatted("375291234567"), "+375 29 123-45-67");
        assert_eq!(formatted("80012345678"), "+80012345678", "unknown calling code");
    }

    /// Where `phonenumber` parses a number right, we format it as it does.
    #[test]
    fn agrees_with_phonenumber_where_it_parses_right() {
        for text in [
            "+74951234567",
            "+49301234567",
            "+16502530000",
            "+375291234567",
            "+442079460958",
            "+33142685300",
            "+390612345678",
            "+8613912345678",
        ] {
            let Ok(parsed) = phonenumber::parse(None, text) else {
                panic!("{text} parses");
            };
            let theirs = parsed.format().mode(phonenumber::Mode::International).to_string();
            assert_eq!(formatted(&text[1..]), theirs, "{text}");
        }
    }
}
