//! Generated numbers: valid numbers of several countries, each in the formats CRM users type
//! and PBXes send, with the E.164 number they stand for.

use std::collections::HashSet;

/// A small deterministic generator (SplitMix64): the same seed gives the same data.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Self {
        Rng(seed ^ 0x5DEE_CE66_D1CE_4E5B)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n > 0`).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }

    /// An index into a slice of `len` (`len > 0`).
    pub fn index(&mut self, len: usize) -> usize {
        self.below(len as u64) as usize
    }

    /// `digits` random decimal digits, the first of them not `0`.
    pub fn digits(&mut self, digits: usize) -> String {
        let mut out = String::with_capacity(digits);
        for i in 0..digits {
            let d = if i == 0 { 1 + self.below(9) } else { self.below(10) };
            out.push(char::from(b'0' + d as u8));
        }
        out
    }

    /// A probability test.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

/// The countries numbers come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Country {
    /// Russia, +7: the portal's own country.
    Ru,
    /// Kazakhstan, +7 (shares Russia's plan).
    Kz,
    /// Belarus, +375.
    By,
    /// Germany, +49.
    De,
    /// United States, +1.
    Us,
    /// United Kingdom, +44.
    Gb,
    /// France, +33.
    Fr,
    /// Italy, +39 (national numbers keep their leading 0).
    It,
    /// Ukraine, +380.
    Ua,
    /// China, +86.
    Cn,
}

impl Country {
    /// Every country, in a fixed order.
    pub const ALL: [Country; 10] = [
        Country::Ru,
        Country::Kz,
        Country::By,
        Country::De,
        Country::Us,
        Country::Gb,
        Country::Fr,
        Country::It,
        Country::Ua,
        Country::Cn,
    ];

    /// The calling code.
    pub fn calling_code(self) -> &'static str {
        match self {
            Country::Ru | Country::Kz => "7",
            Country::By => "375",
            Country::De => "49",
            Country::Us => "1",
            Country::Gb => "44",
            Country::Fr => "33",
            Country::It => "39",
            Country::Ua => "380",
            Country::Cn => "86",
        }
    }

    /// Whether the country's written national form starts with a trunk `0` that `(0)`
    /// markers stand for (`+49 (0)30 ...`).
    fn has_trunk_zero(self) -> bool {
        matches!(self, Country::De | Country::Gb | Country::Fr | Country::Ua)
    }

    /// A valid national significant number (what follows the calling code), split into the
    /// area (or mobile prefix) and the subscriber part.
    fn national(self, rng: &mut Rng) -> (String, String) {
        let pick = |rng: &mut Rng, list: &[&str]| list[rng.index(list.len())].to_string();
        let sub = |rng: &mut Rng, n: usize| {
            let first = char::from(b'2' + rng.below(8) as u8);
            let rest: String = (1..n).map(|_| char::from(b'0' + rng.below(10) as u8)).collect();
            format!("{first}{rest}")
        };
        match self {
            Country::Ru => {
                // Moscow, Saint Petersburg, toll-free, Kazan, Krasnodar, Novosibirsk,
                // Yekaterinburg, Samara, mobiles.
                let area = pick(
                    rng,
                    &[
                        "495", "499", "812", "800", "843", "861", "383", "343", "846", "903",
                        "905", "906", "916", "925", "926", "977", "985", "999",
                    ],
                );
                (area, sub(rng, 7))
            }
            Country::Kz => (pick(rng, &["701", "705", "707", "747", "777"]), sub(rng, 7)),
            Country::By => {
                (pick(rng, &["29", "33", "44"]), format!("{}{}", 1 + rng.below(9), sub(rng, 6)))
            }
            Country::De => {
                if rng.chance(50) {
                    ("30".into(), sub(rng, 8))
                } else {
                    (pick(rng, &["151", "160", "170", "171", "176"]), sub(rng, 8))
                }
            }
            Country::Us => (pick(rng, &["212", "415", "650", "202", "305", "617"]), sub(rng, 7)),
            Country::Gb => {
                if rng.chance(50) {
                    ("20".into(), format!("7{}", sub(rng, 7)))
                } else {
                    (pick(rng, &["7700", "7911", "7400"]), sub(rng, 6))
                }
            }
            Country::Fr => (pick(rng, &["1", "4", "6", "7"]), sub(rng, 8)),
            Country::It => {
                if rng.chance(50) {
                    ("06".into(), sub(rng, 8))
                } else {
                    (pick(rng, &["320", "333", "347", "393"]), sub(rng, 7))
                }
            }
            Country::Ua => (pick(rng, &["44", "50", "67", "93"]), sub(rng, 7)),
            Country::Cn => (pick(rng, &["139", "138", "186"]), sub(rng, 8)),
        }
    }
}

/// One phone number: its E.164 digits and the ways it is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The country.
    pub country: Country,
    /// The E.164 digits (no `+`).
    pub e164: u64,
    /// As a CRM user typed it into a contact (`+7 (495) 123-45-67`, `8 495 123 45 67`).
    pub stored: String,
    /// As a PBX sends it when the number calls (`84951234567`, `+74951234567`, `00 49 ...`).
    pub called: String,
}

impl Entry {
    /// A number of `country`, with formats picked at random.
    pub fn generate(country: Country, rng: &mut Rng) -> Entry {
        let cc = country.calling_code();
        let (area, sub) = country.national(rng);
        let national = format!("{area}{sub}");
        let e164: u64 = format!("{cc}{national}").parse().expect("digits");
        let (stored, called) = if matches!(country, Country::Ru | Country::Kz) {
            (russian_format(&area, &sub, rng, true), russian_format(&area, &sub, rng, false))
        } else {
            (
                foreign_format(country, &area, &sub, rng, true),
                foreign_format(country, &area, &sub, rng, false),
            )
        };
        Entry { country, e164, stored, called }
    }

    /// The E.164 text (`+74951234567`).
    pub fn e164_text(&self) -> String {
        format!("+{}", self.e164)
    }
}

/// `+7 AAA BBB-CC-DD` written one of the ways Russian numbers are: by a user (`typed`) or by
/// a PBX.
fn russian_format(area: &str, sub: &str, rng: &mut Rng, typed: bool) -> String {
    let (a, b, c) = (&sub[..3], &sub[3..5], &sub[5..7]);
    if typed {
        match rng.below(6) {
            0 => format!("+7 ({area}) {a}-{b}-{c}"),
            1 => format!("8 ({area}) {a}-{b}-{c}"),
            2 => format!("8 {area} {a} {b} {c}"),
            3 => format!("+7 {area} {a}-{b}-{c}"),
            4 => format!("8{area}{sub}"),
            _ => format!("+7{area}{sub}"),
        }
    } else {
        match rng.below(10) {
            0..=2 => format!("8{area}{sub}"),
            3..=5 => format!("+7{area}{sub}"),
            6 => format!("7{area}{sub}"),
            7 => format!("{area}{sub}"),
            8 => format!("810 7 {area} {sub}"),
            _ => format!("tel:+7-{area}-{a}-{b}-{c}"),
        }
    }
}

/// A foreign number written internationally, the ways users and PBXes of a Russian portal
/// write them.
fn foreign_format(country: Country, area: &str, sub: &str, rng: &mut Rng, typed: bool) -> String {
    let cc = country.calling_code();
    let (head, tail) = sub.split_at(sub.len() / 2);
    let marker = country.has_trunk_zero();
    if typed {
        match rng.below(4) {
            0 if marker => format!("+{cc} (0){area} {head} {tail}"),
            0 | 1 => format!("+{cc} {area} {head} {tail}"),
            2 => format!("+{cc}-{area}-{sub}"),
            _ => format!("00{cc} {area} {sub}"),
        }
    } else {
        match rng.below(5) {
            0 | 1 => format!("+{cc}{area}{sub}"),
            2 => format!("00{cc}{area}{sub}"),
            3 => format!("810{cc}{area}{sub}"),
            _ => format!("tel:+{cc}-{area}-{sub}"),
        }
    }
}

/// Numbers of a CRM: `size` distinct numbers, 85% Russian, the rest from nine other
/// countries.
#[derive(Debug, Clone)]
pub struct PhoneBook {
    /// The numbers, contact `i + 1` owning `entries[i]`.
    pub entries: Vec<Entry>,
}

impl PhoneBook {
    /// `size` distinct numbers from `seed`.
    pub fn generate(size: usize, seed: u64) -> PhoneBook {
        let mut rng = Rng::new(seed);
        let mut seen = HashSet::with_capacity(size);
        let mut entries = Vec::with_capacity(size);
        while entries.len() < size {
            let entry = Entry::generate(pick_country(&mut rng, 85), &mut rng);
            if seen.insert(entry.e164) {
                entries.push(entry);
            }
        }
        PhoneBook { entries }
    }

    /// `count` numbers no entry of this book has (same mix of countries and formats).
    pub fn absent(&self, count: usize, seed: u64) -> Vec<Entry> {
        let present: HashSet<u64> = self.entries.iter().map(|e| e.e164).collect();
        let mut rng = Rng::new(seed);
        let mut out = Vec::with_capacity(count);
        while out.len() < count {
            let entry = Entry::generate(pick_country(&mut rng, 85), &mut rng);
            if !present.contains(&entry.e164) {
                out.push(entry);
            }
        }
        out
    }

    /// `count` entries picked uniformly at random (with repetition): the numbers that call.
    pub fn sample(&self, count: usize, seed: u64) -> Vec<Entry> {
        let mut rng = Rng::new(seed);
        (0..count).map(|_| self.entries[rng.index(self.entries.len())].clone()).collect()
    }
}

/// Russian with probability `ru_percent`, else one of the other countries.
fn pick_country(rng: &mut Rng, ru_percent: u64) -> Country {
    if rng.chance(ru_percent) {
        Country::Ru
    } else {
        Country::ALL[1 + rng.index(Country::ALL.len() - 1)]
    }
}

/// A stream of calls as a PBX sends them.
#[derive(Debug, Clone)]
pub struct CallStream {
    /// The calls, in order.
    pub calls: Vec<Entry>,
}

impl CallStream {
    /// `calls` calls from `distinct` numbers, 80% of them from the most active 20% of the
    /// numbers (the Pareto shape of real call logs); 70% Russian numbers. Each number is
    /// always sent in the same format, as one PBX does.
    pub fn realistic(calls: usize, distinct: usize, seed: u64) -> CallStream {
        let book = distinct_numbers(distinct, seed, 70);
        let hot = (distinct / 5).max(1);
        let mut rng = Rng::new(seed.wrapping_add(1));
        let calls = (0..calls)
            .map(|_| {
                let index =
                    if rng.chance(80) { rng.index(hot) } else { hot + rng.index(distinct - hot) };
                book[index].clone()
            })
            .collect();
        CallStream { calls }
    }

    /// `calls` distinct numbers (70% Russian): every call a number never seen before.
    pub fn all_new(calls: usize, seed: u64) -> CallStream {
        CallStream { calls: distinct_numbers(calls, seed, 70) }
    }
}

fn distinct_numbers(count: usize, seed: u64, ru_percent: u64) -> Vec<Entry> {
    let mut rng = Rng::new(seed);
    let mut seen = HashSet::with_capacity(count);
    let mut out = Vec::with_capacity(count);
    while out.len() < count {
        let entry = Entry::generate(pick_country(&mut rng, ru_percent), &mut rng);
        if seen.insert(entry.e164) {
            out.push(entry);
        }
    }
    out
}

/// What users would otherwise write: `phonenumber::parse` under the portal's region, then
/// E.164 formatting (`None` when the parse fails).
pub fn reference_e164(raw: &str) -> Option<String> {
    let parsed = phonenumber::parse(Some(phonenumber::country::Id::RU), raw).ok()?;
    Some(parsed.format().mode(phonenumber::Mode::E164).to_string())
}

/// Contact names, for realistic record sizes.
pub const FIRST_NAMES: [&str; 8] =
    ["Ivan", "Olga", "Sergey", "Anna", "Dmitry", "Elena", "Pavel", "Maria"];
/// Contact last names.
pub const LAST_NAMES: [&str; 8] =
    ["Petrov", "Ivanova", "Smirnov", "Kuznetsova", "Popov", "Sokolova", "Lebedev", "Novikova"];

/// What a lookup benchmark of one size needs: the book, and the numbers looked up.
#[derive(Debug, Clone)]
pub struct LookupWorkload {
    /// The stored numbers.
    pub book: PhoneBook,
    /// Stored numbers, picked at random, as a PBX sends them.
    pub hits: Vec<Entry>,
    /// Numbers nobody has.
    pub misses: Vec<Entry>,
    /// Russian stored numbers as a PBX that dials `9` for an outside line sends them
    /// (`9 8 495 ...`): tiers 1 and 2 do not find them, tier 3 with 10 digits does.
    pub suffix_hits: Vec<String>,
}

impl LookupWorkload {
    /// A book of `size` numbers and `queries` numbers of each kind to look up.
    pub fn new(size: usize, queries: usize) -> Self {
        let book = PhoneBook::generate(size, 42);
        let hits = book.sample(queries, 43);
        let misses = book.absent(queries, 44);
        let russian: Vec<&Entry> =
            book.entries.iter().filter(|e| e.country == Country::Ru).collect();
        let mut rng = Rng::new(45);
        let suffix_hits = (0..queries)
            .map(|_| {
                let entry = russian[rng.index(russian.len())];
                let national = entry.e164.to_string()[1..].to_string();
                format!("9 8 {national}")
            })
            .collect();
        LookupWorkload { book, hits, misses, suffix_hits }
    }
}
