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

/// How many digits a [`Prepared`] keeps without a heap allocation: more than any number
/// worth reading ([`MAX_DIGITS`](super::meta::MAX_DIGITS)).
const INLINE_DIGITS: usize = 32;

/// The ASCII digits of a number: inline up to [`INLINE_DIGITS`] (every number worth reading,
/// so normalizing one allocates nothing), on the heap beyond.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct DigitBuf {
    /// How many digits.
    len: usize,
    /// The first [`INLINE_DIGITS`] of them.
    inline: [u8; INLINE_DIGITS],
    /// All of them, once there are more than fit inline.
    heap: Option<String>,
}

impl DigitBuf {
    /// No digits yet.
    pub(crate) const fn new() -> Self {
        DigitBuf { len: 0, inline: [0; INLINE_DIGITS], heap: None }
    }

    /// Appends one ASCII digit.
    #[inline]
    pub(crate) fn push(&mut self, digit: u8) {
        if let Some(slot) = self.inline.get_mut(self.len) {
            *slot = digit;
            self.len += 1;
        } else {
            self.spill(digit);
        }
    }

    /// Appends a digit past the inline ones.
    #[cold]
    fn spill(&mut self, digit: u8) {
        self.heap
            .get_or_insert_with(|| String::from_utf8_lossy(&self.inline).into_owned())
            .push(char::from(digit));
        self.len += 1;
    }

    /// The digits as bytes (ASCII digits only).
    #[inline]
    pub(crate) fn as_bytes(&self) -> &[u8] {
        match &self.heap {
            Some(heap) => heap.as_bytes(),
            None => &self.inline[..self.len],
        }
    }

    /// The digits as text.
    pub(crate) fn as_str(&self) -> &str {
        match &self.heap {
            Some(heap) => heap,
            // Only ASCII digits are ever pushed, so this never falls back.
            None => std::str::from_utf8(&self.inline[..self.len]).unwrap_or(""),
        }
    }

    /// How many digits.
    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.len
    }
}

impl std::fmt::Debug for DigitBuf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(self.as_str(), f)
    }
}

/// A raw number taken apart (see the module docs). Building one allocates nothing for any
/// number of up to [`INLINE_DIGITS`] digits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Prepared<'a> {
    /// The number starts with `+` (before any other kept character).
    pub plus: bool,
    /// Its ASCII digits, in order, extension excluded.
    pub digits: DigitBuf,
    /// Index in `digits` of the `0` of a `(0)` trunk marker written after at least one digit
    /// (`+49 (0)30 ...`); the rules drop it only after an international prefix.
    pub trunk_marker: Option<usize>,
    /// The number holds `* # , ;` (a service code such as `*100`): never an E.164 number.
    pub service: bool,
    /// The text the parts were read from (no `tel:`, no extension).
    text: &'a str,
}

impl Prepared<'_> {
    /// [`strip_letters`] of the number without its extension, `+` removed: the
    /// [`PhoneKey::Digits`](super::PhoneKey::Digits) text.
    pub(crate) fn stripped(&self) -> String {
        self.text.chars().filter(|&c| is_kept(c) && c != '+').collect()
    }
}

impl Prepared<'static> {
    /// An E.164 number written `+<digits>`, as [`prepare`] would take its text apart.
    pub(crate) fn of_e164(e: super::E164) -> Self {
        let mut reversed = [0u8; 20];
        let mut n = e.as_u64();
        let mut count = 0;
        while n > 0 && count < reversed.len() {
            reversed[count] = b'0' + (n % 10) as u8;
            n /= 10;
            count += 1;
        }
        let mut digits = DigitBuf::new();
        for &digit in reversed[..count].iter().rev() {
            digits.push(digit);
        }
        Prepared { plus: true, digits, trunk_marker: None, service: false, text: "" }
    }
}

/// Takes a raw number apart; `None` when it has no digit at all.
///
/// Steps: drop a leading `tel:` (any case), then scan the rest once, up to the extension (see
/// [`cut_extension`], which this scan agrees with).
pub(crate) fn prepare(raw: &str) -> Option<Prepared<'_>> {
    let mut prepared = Prepared::blank();
    prepare_into(raw, &mut prepared).then_some(prepared)
}

impl Prepared<'_> {
    /// Nothing read yet.
    pub(crate) const fn blank() -> Self {
        Prepared {
            plus: false,
            digits: DigitBuf::new(),
            trunk_marker: None,
            service: false,
            text: "",
        }
    }
}

/// [`prepare`] into a [`Prepared::blank`] the caller holds; `false` when the number has no
/// digit. The hot path uses this: a `Prepared` returned by value is copied out right after
/// its digits were written byte by byte, and that copy stalls on store forwarding.
pub(crate) fn prepare_into<'a>(raw: &'a str, prepared: &mut Prepared<'a>) -> bool {
    let text = drop_tel(raw);
    let bytes = text.as_bytes();
    prepared.text = text;
    // Whether a kept character (a digit or `# * , ;`) came yet: a `+` counts only before.
    // Bytes, not chars: every character the rules look at is ASCII, and an ASCII byte of
    // UTF-8 text is always a whole character.
    let mut kept_any = false;
    // The digit count, kept here rather than in the buffer while the digits fit inline.
    let mut count = prepared.digits.len;
    for (i, &b) in bytes.iter().enumerate() {
        let after_digit = count > 0;
        match b {
            b'0'..=b'9' => {
                if let Some(slot) = prepared.digits.inline.get_mut(count)
                    && prepared.digits.heap.is_none()
                {
                    *slot = b;
                    count += 1;
                } else {
                    prepared.digits.len = count;
                    prepared.digits.push(b);
                    count = prepared.digits.len;
                }
                kept_any = true;
            }
            // The extension starts here (as in `cut_extension`).
            b'#' | b',' | b';' | b'x' | b'X' if after_digit => {
                prepared.text = &text[..i];
                break;
            }
            b'e' | b'E'
                if after_digit
                    && bytes.get(i..i + 3).is_some_and(|s| s.eq_ignore_ascii_case(b"ext")) =>
            {
                prepared.text = &text[..i];
                break;
            }
            0xD0 if after_digit && starts_with_dob(&text[i..]) => {
                prepared.text = &text[..i];
                break;
            }
            b'+' if !kept_any => prepared.plus = true,
            b'#' | b'*' | b',' | b';' => {
                prepared.service = true;
                kept_any = true;
            }
            b'(' if prepared.trunk_marker.is_none()
                && after_digit
                && is_trunk_marker(&text[i..]) =>
            {
                prepared.trunk_marker = Some(count);
            }
            _ => {}
        }
    }
    prepared.digits.len = count;
    count > 0
}

/// Whether the text starts with `доб` or `доп` (Russian for "extension", "additional"; any
/// case).
fn starts_with_dob(text: &str) -> bool {
    let mut first = text.chars().take(3).flat_map(char::to_lowercase);
    let word: [Option<char>; 3] = [first.next(), first.next(), first.next()];
    matches!(word, [Some('д'), Some('о'), Some('б' | 'п')])
}

/// Drops leading white space and a `tel:` scheme (any case).
fn drop_tel(raw: &str) -> &str {
    let text = raw.trim_start();
    match text.get(..4) {
        Some(scheme) if scheme.eq_ignore_ascii_case("tel:") => text.get(4..).unwrap_or(""),
        _ => text,
    }
}

/// Cuts an extension off: everything from the first `ext` (so `ext.` too), `x`, `доб`, `доп`,
/// `#`, `,` or `;` (so `;ext=`) that follows at least one digit. Letters are compared
/// without case.
#[cfg(test)]
pub(crate) fn cut_extension(text: &str) -> &str {
    let bytes = text.as_bytes();
    let Some(first_digit) = bytes.iter().position(u8::is_ascii_digit) else {
        return text;
    };
    for (i, &b) in bytes.iter().enumerate().skip(first_digit + 1) {
        let cut = match b {
            b'#' | b',' | b';' | b'x' | b'X' => true,
            b'e' | b'E' => bytes.get(i..i + 3).is_some_and(|s| s.eq_ignore_ascii_case(b"ext")),
            // The first byte of `д` and `Д` in UTF-8: a character starts here.
            0xD0 => starts_with_dob(&text[i..]),
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
            ("8 495 123-45-67 ДОП. 12", "8 495 123-45-67 "),
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
        assert_eq!(p.digits.as_str(), "490301234567");
        assert_eq!(p.trunk_marker, Some(2));
        assert!(!p.service);
        assert_eq!(p.stripped(), "490301234567");

        let p = prepare("tel:+7-495-123-45-67 ext. 12").expect("digits");
        assert!(p.plus);
        assert_eq!(p.digits.as_str(), "74951234567");

        let p = prepare("*100#").expect("digits");
        assert!(p.service);
        assert_eq!(p.stripped(), "*100");

        let p = prepare("8 (495) 123 45 67").expect("digits");
        assert!(!p.plus);
        assert_eq!(p.trunk_marker, None, "(495) is no trunk marker");

        let p = prepare("12+34").expect("digits");
        assert!(!p.plus);
        assert_eq!(p.stripped(), "1234");

        let p = prepare("( 0 )30").expect("digits");
        assert_eq!(p.trunk_marker, None, "a marker needs a digit before it");

        assert_eq!(prepare("abc"), None);
        assert_eq!(prepare("+-() "), None);
        assert_eq!(prepare(""), None);
        assert_eq!(prepare("ext 12").map(|p| p.digits.as_str().to_owned()), Some("12".to_owned()));
    }

    #[test]
    fn the_scan_cuts_where_cut_extension_cuts() {
        for raw in [
            "+7 495 123-45-67 ext. 12",
            "+7 495 123-45-67x12",
            "8 495 123-45-67 ДОБ 12",
            "8 495 123-45-67 Доб. 12",
            "tel:+7-495-123-45-67;ext=12",
            "84951234567#12",
            "84951234567,12",
            "#31#84951234567",
            "*100#",
            "ext 12",
            "+49 (0)30 1234567 x 5",
            "1 e 2 ex 3 ext 4",
            "д 1 до 2 доб 3",
        ] {
            let cut = cut_extension(drop_tel(raw));
            let p = prepare(raw).expect("digits");
            assert_eq!(p.text, cut, "{raw}");
            assert_eq!(p.stripped(), strip_letters(cut).replace('+', ""), "{raw}");
        }
    }

    #[test]
    fn long_numbers_spill_to_the_heap_unchanged() {
        let long = "1234567890".repeat(5);
        let p = prepare(&long).expect("digits");
        assert_eq!(p.digits.as_str(), long);
        assert_eq!(p.digits.len(), 50);
        assert_eq!(p.stripped(), long);
    }

    #[test]
    fn e164_numbers_are_prepared_as_their_text() {
        for digits in ["78121234567", "49301234567", "1", "999999999999999"] {
            let e = crate::phone::E164::from_digits(digits).expect("valid");
            assert_eq!(
                Prepared::of_e164(e).digits,
                prepare(&e.to_string()).expect("digits").digits
            );
            assert!(Prepared::of_e164(e).plus);
        }
    }
}
