//! The seam between callreg's number rules and the libphonenumber implementation under them.
//!
//! [`PhoneNormalizer`](super::PhoneNormalizer) applies matching.md's rules (the Russian
//! shapes, `00`/`011`/`810` as international prefixes, `(0)` trunk markers, fixed points,
//! the cache) and asks a [`NumberParser`] only for what needs a country's metadata. The
//! default parser, [`PhonenumberMetadata`], is libphonenumber's algorithm over the
//! `phonenumber` crate's metadata (module `meta`); with the cargo feature
//! `rlibphonenumber`, [`RlibPhonenumber`](super::RlibPhonenumber) (the `rlibphonenumber`
//! port) is the default instead.

use super::key::E164;
use super::meta;
use super::region::Region;
use std::fmt;
use std::sync::Arc;

/// A national reading of digits ([`NumberParser::national_reading`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NationalReading {
    /// The key, when the reading has 8 to 15 digits.
    pub key: Option<E164>,
    /// Whether that key is a valid number (libphonenumber's `isValidNumber`).
    pub valid: bool,
}

/// A libphonenumber implementation: the few questions about a number that need a country's
/// metadata. Implementations must be pure (the same answer for the same question, whatever
/// was asked before) and total (no input panics): the normalizer caches their answers.
pub trait NumberParser: Send + Sync + fmt::Debug {
    /// A short name for reports (`"phonenumber 0.3.10 metadata"`).
    fn name(&self) -> &'static str;

    /// Loads the metadata and prepares whatever reading numbers of `region` needs (compiled
    /// expressions, ...), so that the first number read is no slower than the next ones.
    fn warm(&self, region: Region);

    /// The key of an international number's digits (what follows `+` or an international
    /// prefix): the calling code, then the national number with a national prefix written
    /// after the code stripped (`490301234567` is `+49301234567`). `None` for an unknown
    /// calling code or a result outside 8 to 15 digits.
    fn international_key(&self, digits: &str) -> Option<E164>;

    /// The length of `region`'s own international prefix (`810` in RU, `00` in DE, `011` in
    /// US) at the start of `digits`, when digits follow it and the first of them is not `0`.
    fn own_international_prefix_len(&self, digits: &str, region: Region) -> Option<usize>;

    /// libphonenumber's reading of national digits (no `+`, no international prefix) under
    /// `region`: the region's calling code taken off the front when the number does not fit
    /// the region with it, the national prefix stripped; and, when that reading is not valid
    /// and has a length no national number of the region has, the digits read as an
    /// international number of a possible length (`49301234567` under RU).
    fn national_reading(&self, digits: &str, region: Region) -> NationalReading;

    /// The region of a valid number (`getRegionCodeForNumber`, then `isValidNumber`); `None`
    /// for an invalid number or one of no region (non-geographic calling codes).
    fn valid_region(&self, e: E164) -> Option<Region>;

    /// libphonenumber's INTERNATIONAL format: `+7 812 123-45-67`, `+49 30 1234567`.
    fn format_international(&self, e: E164) -> String;
}

/// The default [`NumberParser`]: libphonenumber's algorithm implemented over the metadata of
/// the `phonenumber` crate (0.3.10, libphonenumber 9.0.33), whose own parser mangles numbers
/// (see the [module docs](super)).
#[derive(Debug, Clone, Copy, Default)]
pub struct PhonenumberMetadata;

impl NumberParser for PhonenumberMetadata {
    fn name(&self) -> &'static str {
        "phonenumber 0.3.10 metadata"
    }

    fn warm(&self, region: Region) {
        meta::warm(region);
    }

    fn international_key(&self, digits: &str) -> Option<E164> {
        meta::international_key(digits)
    }

    fn own_international_prefix_len(&self, digits: &str, region: Region) -> Option<usize> {
        meta::own_international_prefix_len(digits, region)
    }

    fn national_reading(&self, digits: &str, region: Region) -> NationalReading {
        meta::national_reading(digits, region)
    }

    fn valid_region(&self, e: E164) -> Option<Region> {
        meta::valid_region(e)
    }

    fn format_international(&self, e: E164) -> String {
        super::format::international(e)
    }
}

/// The parser a [`PhoneNormalizer::new`](super::PhoneNormalizer::new) uses: the `rlibphonenumber`
/// port when the cargo feature of that name is on, [`PhonenumberMetadata`] otherwise.
pub fn default_parser() -> Arc<dyn NumberParser> {
    #[cfg(feature = "rlibphonenumber")]
    {
        Arc::new(super::rlib::RlibPhonenumber)
    }
    #[cfg(not(feature = "rlibphonenumber"))]
    {
        Arc::new(PhonenumberMetadata)
    }
}
