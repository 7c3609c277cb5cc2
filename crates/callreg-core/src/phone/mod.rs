//! Phone numbers: the keys a caller's number is matched by, and their display.
//!
//! This module implements `matching.md` ("Matching a caller's number to the CRM"). Every
//! number, whether a PBX sends it or a user types it into the CRM, is reduced **once, on
//! write** to a [`PhoneKey`]:
//!
//! * [`PhoneKey::E164`] when the number reads as a full international number of 8 to 15
//!   digits (`+7 (495) 123-45-67`, `8 495 1234567`, `0049 30 1234567`, `(650) 253-0000`
//!   under region US ... all give one key per number);
//! * [`PhoneKey::Digits`] otherwise (short codes such as `112`, service numbers, internal
//!   extensions): Bitrix's stripped digits, matched by exact equality.
//!
//! # Why not just call `phonenumber::parse`
//!
//! The `phonenumber` crate (0.3.10, the version the registry serves) carries Google's
//! libphonenumber metadata (9.0.33), but its parser gets numbers wrong:
//!
//! * it strips the national (trunk) prefix twice, and without libphonenumber's "was the
//!   number viable before stripping" check (it tests the unstripped text twice), so every
//!   Russian number whose area code starts with `8` is mangled (`+7 812 123-45-67` becomes
//!   `+7121234567`, `8 800 555 35 35` becomes `+7005553535`); the same bug hits
//!   Kazakhstan's 8xx, Belarus' `+375 801 ...` and Lithuania's `+370 8xx ...`;
//! * it takes the region's own calling code off any national number that starts with it
//!   (an Italian mobile `393 1234567` under region IT becomes `+39 31234567`);
//! * it matches number patterns as prefixes and its general descriptors have no possible
//!   lengths, so its viability and length checks do not work;
//! * it knows only a region's own international prefix (`810` in Russia, not `00`);
//! * its first parse costs ~80 ms (metadata load), and every parse ~1-3 µs behind one global
//!   mutex (its cache of compiled expressions, 100 entries, thrashing).
//!
//! So the reading of a number follows libphonenumber's algorithm (international prefix,
//! country code extraction, national prefix stripping with the viability check, full-match
//! patterns) implemented in the `meta` module over the crate's metadata, with matching.md's
//! rules on top: `+7`, `8` or `7` followed by ten digits is `+7` and those ten digits
//! whatever the area code; `00` is an international prefix everywhere, `810` in RU, BY, KZ.
//! On every example number of the metadata, in every written form, the result is the E.164
//! number libphonenumber gives (a unit test checks it).
//!
//! # Speed
//!
//! The common shapes (Russian numbers, `+7...`) are read without the metadata (~100 ns);
//! every other reading is kept in a bounded cache ([`PhoneNormalizer`] holds it), and a
//! cache miss costs well under a microsecond once the region's expressions are compiled.
//! [`PhoneNormalizer::new`] loads the metadata and compiles the default region's expressions.
//!
//! # Properties
//!
//! * One key per number, whatever the format (the lists of matching.md are tested).
//! * No regression: numbers Bitrix's `NormalizePhone` maps to one string get one key.
//! * Idempotent: the key of an E.164 key's text (`+78121234567`) is that key again, under any
//!   region; so is the key of a `Digits` key's text, unless the number was written with `+`
//!   (the key drops the `+`, as Bitrix does, and the bare digits may read as a national
//!   number).
//! * Extensions (`ext. 12`, `x12`, `доб. 12`, `доп. 12`, `;ext=12`, `#12`, `,12`) are cut
//!   off and ignored for matching.
//! * Total: no input panics; a number without any digit has no key.

mod cache;
mod format;
mod key;
mod meta;
mod normalizer;
mod parser;
mod region;
#[cfg(feature = "rlibphonenumber")]
mod rlib;
mod strip;

pub use key::{E164, PhoneKey};
pub use normalizer::PhoneNormalizer;
pub use parser::{NationalReading, NumberParser, PhonenumberMetadata, default_parser};
pub use region::{Region, UnknownRegion};
#[cfg(feature = "rlibphonenumber")]
pub use rlib::RlibPhonenumber;
pub use strip::strip_letters;
