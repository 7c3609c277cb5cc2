//! Text-level clean-up of a raw number, before any region or metadata is involved.
//!
//! A raw number is whatever a PBX sends or a user types: `tel:+7-495-123-45-67`,
//! `8 (495) 123-45-67 доб. 12`, `+49 (0)30 1234567`. This module cuts it into the parts the
//! rules need ([`Prepared`]): whether it starts with `+`, its digits, where a `(0)` trunk
//! marker sits, and Bitrix's stripped text (the key of numbers that are not E.164).

/// Bitrix's `CVoxImplantPhone::stripLetters`: keeps only `0-9 # * + , ;`.
///
/// `strip_letters("+7 (906) 219-50-47") == "+79062195047"`. Only ASCII digits are kept, as
/// Bitrix's `preg_replace` does.
pub fn strip_letters(raw: &str) -> String {
    raw.chars().filter(|&c| is_kept(c)).collect()
}

/// Whether Bitrix's `stripLetters` keeps this character.
fn is_kept(c: char) -> bool {
    matches!(c, '0'..='9' | '#' | '*' | '+' | ',' | ';')
}

/// A raw number taken apart (see the module docs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Prepared {
    /// The number starts with `+` (before any other kept character).
    pub plus: bool,
    /// Its ASCII digits, in order, extension excluded.
    pub digits: String,
    /// Index in `digits` of the `0` of a `(0)` trunk marker written after at least one digit
    /// (`+49 (0)30 ...`); the rules drop it only after an international prefix.
    pub trunk_marker: Option<usize>,
    /// The number holds `* # , ;` (a service code such as `*100`): never an E.164 number.
    pub service: bool,
    /// [`strip_letters`] of the number without its extension, `+` removed: the
    /// [`PhoneKey::Digits`](super::PhoneKey::Digits) text.
    pub stripped: String,
}

/// Takes a raw number apart; `None` when it has no digit at all.
///
/// Steps: drop a leading `tel:` (any case), cut the extension (see [`cut_extension`]), then
/// scan the rest once.
pub(crate) fn prepare(raw: &str) -> Option<Prepared> {
    let text = cut_extension(drop_tel(raw));
    let mut prepared = Prepared {
        plus: false,
        digits: String::new(),
        trunk_marker: None,
        service: false,
        stripped: String::new(),
    };
    for (i, c) in text.char_indices() {
        match c {
            '0'..='9' => {
                prepared.digits.push(c);
                prepared.stripped.push(c);
            }
            '+' if prepared.stripped.is_empty() => prepared.plus = true,
            '#' | '*' | ',' | ';' => {
                prepared.service = true;
                prepared.stripped.push(c);
            }
            '(' if prepared.trunk_marker.is_none()
                && !prepared.digits.is_empty()
                && is_trunk_marker(&text[i..]) =>
            {
                prepared.trunk_marker = Some(prepared.digits.len());
            }
            _ => {}
        }
    }
    if prepared.digits.is_empty() { None } else { Some(prepared) }
}

/// Drops leading white space and a `tel:` scheme (any case).
fn drop_tel(raw: &str) -> &str {
    let text = raw.trim_start();
    match text.get(..4) {
        Some(scheme) if scheme.eq_ignore_ascii_case("tel:") => text.get(4..).unwrap_or(""),
        _ => text,
    }
}

/// Cuts an extension off: everything from the first `ext` (so `ext.` too), `x`, `доб`,
/// `#`, `,` or `;` (so `;ext=`) that follows at least one digit. Letters are compared
/// without case.
pub(crate) fn cut_extension(text: &str) -> &str {
    let mut seen_digit = false;
    for (i, c) in text.char_indices() {
        if c.is_ascii_digit() {
            seen_digit = true;
            continue;
        }
        if !seen_digit {
            continue;
        }
        let rest = &text[i..];
        let cut = match c {
            '#' | ',' | ';' | 'x' | 'X' => true,
            'e' | 'E' => rest.get(..3).is_some_and(|s| s.eq_ignore_ascii_case("ext")),
            'д' | 'Д' => rest.chars().take(3).flat_map(char::to_lowercase).eq("доб".chars()),
            _ => false,
        };
        if cut {
            return &text[..i];
        }
    }
    text
}

/// Whether `text` starts with a `(0)` trunk marker (spaces allowed inside the brackets).
fn is_trunk_marker(text: &str) -> bool {
    let Some(inner) = text.strip_prefix('(') else {
        return false;
    };
    let inner = inner.trim_start_matches(' ');
    let Some(inner) = inner.strip_prefix('0') else {
        return false;
    };
    inner.trim_start_matches(' ').starts_with(')')
}

#[cfg(test)]
#[allow(clippy::expect_used, clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn strip_letters_keeps_bitrix_characters() {
        assert_eq!(strip_letters("+7 (906) 219-50-47"), "+79062195047");
        assert_eq!(strip_letters("tel:*100#,1;2 abc"), "*100#,1;2");
        assert_eq!(strip_letters("８"), "", "only ASCII digits");
        assert_eq!(strip_letters(""), "");
    }

    #[test]
    fn tel_scheme_is_dropped_in_any_case() {
        assert_eq!(drop_tel("tel:+7"), "+7");
        assert_eq!(drop_tel("  TEL:+7"), "+7");
        assert_eq!(drop_tel("te"), "te");
        assert_eq!(drop_tel("телефон"), "телефон");
    }

    #[test]
    fn extensions_are_cut_after_a_digit() {
        for (raw, cut) in [
            ("+7 495 123-45-67 ext. 12", "+7 495 123-45-67 "),
            ("+7 495 123-45-67 EXT 12", "+7 495 123-45-67 "),
            ("+7 495 123-45-67x12", "+7 495 123-45-67"),
            ("8 495 123-45-67 доб. 12", "8 495 123-45-67 "),
            ("8 495 123-45-67 ДОБ 12", "8 495 123-45-67 "),
            ("tel:+7-495-123-45-67;ext=12", "tel:+7-495-123-45-67"),
            ("84951234567#12", "84951234567"),
            ("84951234567,12", "84951234567"),
            ("#31#84951234567", "#31"),
            ("ext 12", "ext 12"),
            ("no digits at all", "no digits at all"),
        ] {
            assert_eq!(cut_extension(raw), cut, "{raw}");
        }
    }

    #[test]
    fn prepare_takes_a_number_apart() {
        let p = prepare("+49 (0)30 1234567").expect("digits");
        assert!(p.plus);
        assert_eq!(p.digits, "490301234567");
        assert_eq!(p.trunk_marker, Some(2));
        assert!(!p.service);
        assert_eq!(p.stripped, "490301234567");

        let p = prepare("tel:+7-495-123-45-67 ext. 12").expect("digits");
        assert!(p.plus);
        assert_eq!(p.digits, "74951234567");

        let p = prepare("*100#").expect("digits");
        assert!(p.service);
        assert_eq!(p.stripped, "*100");

        let p = prepare("8 (495) 123 45 67").expect("digits");
        assert!(!p.plus);
        assert_eq!(p.trunk_marker, None, "(495) is no trunk marker");

        let p = prepare("12+34").expect("digits");
        assert!(!p.plus);
        assert_eq!(p.stripped, "1234");

        let p = prepare("( 0 )30").expect("digits");
        assert_eq!(p.trunk_marker, None, "a marker needs a digit before it");

        assert_eq!(prepare("abc"), None);
        assert_eq!(prepare("+-() "), None);
        assert_eq!(prepare(""), None);
        assert_eq!(prepare("ext 12").map(|p| p.digits), Some("12".to_owned()));
    }
}
