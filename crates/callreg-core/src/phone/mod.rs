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
//! libphonenumber metadata but its parser gets the national (trunk) prefix wrong:
//!
//! * it strips the prefix twice and without libphonenumber's "was the number viable before
//!   stripping" check, so every Russian number whose area code starts with `8` is mangled
//!   (`+7 812 123-45-67` becomes `+7121234567`, `8 800 555 35 35` becomes `+7005553535`);
//!   the same bug hits Kazakhstan's 8xx, Belarus' `+375 801 ...` and Lithuania's
//!   `+370 8xx ...`;
//! * it extracts the region's own country code from any national number that starts with it
//!   (an Italian mobile `393 1234567` under region IT becomes `+39 31234567`);
//! * its general descriptors carry no possible lengths, so its own length checks never fire;
//! * its first parse costs ~80 ms (metadata load) and every parse ~3 µs behind one global
//!   mutex (its regular-expression cache).
//!
//! So the reading of a number follows libphonenumber's algorithm (international prefix,
//! country code extraction, national prefix stripping with the viability check) implemented
//! here over the crate's metadata ([`meta`](self) module), with the Russian rules of
//! `matching.md` on top: `+7`, `8` or `7` followed by ten digits is `+7` and those ten digits
//! whatever the area code. The common shapes (Russian numbers, `+7...`) are resolved without
//! touching the metadata at all, and every other result is kept in a small bounded cache
//! ([`PhoneNormalizer`] holds it), so the per-call cost stays far below a full parse.
//!
//! Keys are idempotent: the key of an E.164 key's text (`+78121234567`) is that key again.
//! Extensions (`ext. 12`, `доб. 12`, `;ext=12`, `#12`) are cut off and ignored for matching.

mod cache;
mod format;
mod key;
mod meta;
mod normalizer;
mod region;
mod strip;

pub use key::{E164, PhoneKey};
pub use normalizer::PhoneNormalizer;
pub use region::{Region, UnknownRegion};
pub use strip::strip_letters;
