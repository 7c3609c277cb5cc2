//! The indexes of CRM records' phones: by key (tiers 1 and 2 of matching.md), by Bitrix code
//! (the phones whose key does not tell it) and by the reversed national number (tier 3), kept
//! small enough for millions of phones.
//!
//! Records are referred to by a [`PackedRef`], one `u64`, whose order is the order the store
//! answers in (contacts, then companies, then leads, each by id).

use callreg_core::phone::PhoneKey;
use callreg_core::types::{EntityRef, EntityRefs, EntityType};
use foldhash::HashMap;
use std::collections::BTreeSet;
use std::collections::hash_map::Entry;

/// A contact, company or lead in one `u64`: the type's rank in the top two bits, the id below.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct PackedRef(u64);

/// Bits of a [`PackedRef`] that hold the id.
const ID_BITS: u32 = 62;

impl PackedRef {
    /// The reference of a contact, company or lead; `None` for a deal or an id too large to
    /// pack (2^62 and above, which no counter of this store reaches).
    pub(crate) fn new(entity: EntityRef) -> Option<PackedRef> {
        let rank: u64 = match entity.kind {
            EntityType::Contact => 0,
            EntityType::Company => 1,
            EntityType::Lead => 2,
            EntityType::Deal => return None,
        };
        (entity.id < 1 << ID_BITS).then_some(PackedRef(rank << ID_BITS | entity.id))
    }

    /// The record referred to.
    pub(crate) fn entity(self) -> EntityRef {
        let id = self.0 & ((1 << ID_BITS) - 1);
        let kind = match self.0 >> ID_BITS {
            0 => EntityType::Contact,
            1 => EntityType::Company,
            _ => EntityType::Lead,
        };
        EntityRef { kind, id }
    }
}

/// The records having a phone of one key: almost always one.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Owners {
    /// One record.
    One(PackedRef),
    /// Several, ascending.
    Many(Vec<PackedRef>),
}

impl Owners {
    /// Adds a record (a no-op when present).
    fn add(&mut self, owner: PackedRef) {
        match self {
            Owners::One(one) if *one == owner => {}
            Owners::One(one) => {
                let mut many = vec![*one, owner];
                many.sort_unstable();
                *self = Owners::Many(many);
            }
            Owners::Many(many) => {
                if let Err(at) = many.binary_search(&owner) {
                    many.insert(at, owner);
                }
            }
        }
    }

    /// Removes a record; `false` when none is left.
    fn remove(&mut self, owner: PackedRef) -> bool {
        match self {
            Owners::One(one) => *one != owner,
            Owners::Many(many) => {
                if let Ok(at) = many.binary_search(&owner) {
                    many.remove(at);
                }
                match many.as_slice() {
                    [] => false,
                    [only] => {
                        *self = Owners::One(*only);
                        true
                    }
                    _ => true,
                }
            }
        }
    }

    /// The records, ascending (contacts, companies, leads, each by id).
    fn entities(&self) -> EntityRefs {
        match self {
            Owners::One(one) => EntityRefs::one(one.entity()),
            Owners::Many(many) => many.iter().map(|p| p.entity()).collect(),
        }
    }
}

/// Longest reversed national number the suffix index holds: E.164 numbers have at most 15
/// digits, one of them at least for the calling code.
const MAX_NATIONAL_DIGITS: usize = 15;

/// A reversed national number (or a suffix of one), as one ordered `u64`: its digits read as
/// a decimal number right-padded with zeros to [`MAX_NATIONAL_DIGITS`] digits, times 16, plus
/// its length. Texts starting with a given prefix then form one range of codes (less the
/// shorter texts that are the prefix's own start padded with zeros, told apart by the
/// length).
fn suffix_code(reversed: &str) -> Option<u64> {
    let len = reversed.len();
    if len > MAX_NATIONAL_DIGITS || !reversed.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(padded(reversed)? * 16 + len as u64)
}

/// The digits right-padded to [`MAX_NATIONAL_DIGITS`] digits, as a number.
fn padded(digits: &str) -> Option<u64> {
    let mut value: u64 = 0;
    for b in digits.bytes() {
        value = value * 10 + u64::from(b - b'0');
    }
    let pad = u32::try_from(MAX_NATIONAL_DIGITS - digits.len()).ok()?;
    Some(value * 10u64.pow(pad))
}

/// A hash table from E.164 numbers (or other nonzero `u64`s: the hashes of Bitrix codes) to
/// owners, built for one cache miss per lookup: open
/// addressing with linear probing, the number and its owner side by side in one 16-byte
/// slot (a general-purpose map reads a control byte and then the slot, two misses at a
/// million phones). A slot holds one [`PackedRef`], or [`SEVERAL`] when more records share
/// the number (they are then in [`OwnerTable::shared`]). Number `0` marks an empty slot (no
/// E.164 number is 0, and code hashes are made at least 1). The hash is a folded multiply with a random seed per table, so that
/// numbers chosen from outside cannot be made to collide.
#[derive(Debug)]
struct NumberTable {
    slots: Vec<(u64, u64)>,
    len: usize,
    seed: u64,
}

/// The owner of a slot whose number several records share.
const SEVERAL: u64 = u64::MAX;

impl Default for NumberTable {
    fn default() -> Self {
        use std::hash::BuildHasher;
        let seed = std::collections::hash_map::RandomState::new().hash_one(0x5EED_u64);
        NumberTable { slots: Vec::new(), len: 0, seed }
    }
}

impl NumberTable {
    fn slot_of(&self, number: u64) -> usize {
        let product = u128::from(number ^ self.seed) * 0x9E37_79B9_7F4A_7C15_u128;
        let folded = (product as u64) ^ ((product >> 64) as u64);
        folded as usize & (self.slots.len() - 1)
    }

    /// Where the number is, or the empty slot it would go in; `None` when the table has no
    /// slot at all.
    fn find(&self, number: u64) -> Option<usize> {
        if self.slots.is_empty() {
            return None;
        }
        let mask = self.slots.len() - 1;
        let mut at = self.slot_of(number);
        loop {
            let key = self.slots[at].0;
            if key == number || key == 0 {
                return Some(at);
            }
            at = (at + 1) & mask;
        }
    }

    fn get(&self, number: u64) -> Option<u64> {
        let at = self.find(number)?;
        let (key, owner) = self.slots[at];
        (key == number).then_some(owner)
    }

    /// Sets a number's owner.
    fn insert(&mut self, number: u64, owner: u64) {
        // At most three quarters full: linear probing stays short.
        if (self.len + 1) * 4 > self.slots.len() * 3 {
            self.grow();
        }
        if let Some(at) = self.find(number) {
            if self.slots[at].0 == 0 {
                self.len += 1;
            }
            self.slots[at] = (number, owner);
        }
    }

    fn grow(&mut self) {
        let capacity = (self.slots.len() * 2).max(16);
        let old = std::mem::replace(&mut self.slots, vec![(0, 0); capacity]);
        self.len = 0;
        for (number, owner) in old {
            if number != 0 {
                self.insert(number, owner);
            }
        }
    }

    /// Removes a number (backward-shift deletion: the slots after it that probed past it
    /// move back, so no tombstones are left).
    fn remove(&mut self, number: u64) {
        let Some(mut hole) = self.find(number) else { return };
        if self.slots[hole].0 != number {
            return;
        }
        let mask = self.slots.len() - 1;
        let mut next = hole;
        loop {
            next = (next + 1) & mask;
            let (key, _) = self.slots[next];
            if key == 0 {
                break;
            }
            let home = self.slot_of(key);
            // Whether `home` lies cyclically in (hole, next]: then the entry stays.
            let stays = if hole <= next {
                hole < home && home <= next
            } else {
                hole < home || home <= next
            };
            if !stays {
                self.slots[hole] = self.slots[next];
                hole = next;
            }
        }
        self.slots[hole] = (0, 0);
        self.len -= 1;
    }
}

/// Every phone of every contact, company and lead, by key, by Bitrix code (those whose key does
/// not tell it) and by reversed national number.
/// The hash maps use foldhash, seeded at random per map: SipHash would cost more than the
/// rest of a lookup, and the keys come from outside, so the hash must not be predictable.
#[derive(Debug, Default)]
pub(crate) struct PhoneIndex {
    /// E.164 keys, by their number.
    by_number: OwnerTable,
    /// The Bitrix codes ([`bitrix_code`](callreg_core::matching::bitrix_code) of the phone's
    /// value) that the phone's key does not tell
    /// ([`bitrix_code_index_key`](callreg_core::matching::bitrix_code_index_key): none of the
    /// phones written internationally or with Russia's `8`, the national forms of other
    /// countries), by a seeded hash of their text: two codes may share a hash, so what this
    /// finds is checked against the records' phones.
    by_code: OwnerTable,
    /// The seeded hash of `by_code`.
    code_hasher: foldhash::fast::RandomState,
    /// `Digits` keys, by their text.
    by_digits: HashMap<Box<str>, Owners>,
    /// (suffix code, owner) for every E.164 phone whose national number is known.
    by_suffix: BTreeSet<(u64, PackedRef)>,
}

impl PhoneIndex {
    /// Indexes `owner` under a key and its reversed national number (`reversed_national`, from
    /// [`national_suffix_index_key`](callreg_core::matching::national_suffix_index_key)).
    pub(crate) fn insert(
        &mut self,
        key: &PhoneKey,
        reversed_national: Option<&str>,
        owner: PackedRef,
    ) {
        match key {
            PhoneKey::E164(e) => self.by_number.add(e.as_u64(), owner),
            PhoneKey::Digits(d) => add(self.by_digits.entry(d.as_str().into()), owner),
        }
        if let Some(code) = reversed_national.and_then(suffix_code) {
            self.by_suffix.insert((code, owner));
        }
    }

    /// Undoes [`insert`](Self::insert).
    pub(crate) fn remove(
        &mut self,
        key: &PhoneKey,
        reversed_national: Option<&str>,
        owner: PackedRef,
    ) {
        match key {
            PhoneKey::E164(e) => self.by_number.remove(e.as_u64(), owner),
            PhoneKey::Digits(d) => {
                if let Some(owners) = self.by_digits.get_mut(d.as_str())
                    && !owners.remove(owner)
                {
                    self.by_digits.remove(d.as_str());
                }
            }
        }
        if let Some(code) = reversed_national.and_then(suffix_code) {
            self.by_suffix.remove(&(code, owner));
        }
    }

    /// The records with a phone of this key, contacts first, then companies, then leads,
    /// each by id.
    pub(crate) fn find(&self, key: &PhoneKey) -> EntityRefs {
        match key {
            PhoneKey::E164(e) => self.by_number.find(e.as_u64()),
            PhoneKey::Digits(d) => {
                self.by_digits.get(d.as_str()).map(Owners::entities).unwrap_or_default()
            }
        }
    }

    /// The hash a Bitrix code is indexed under (never 0, the empty slot).
    fn code_hash(&self, code: &str) -> u64 {
        use std::hash::BuildHasher;
        self.code_hasher.hash_one(code).max(1)
    }

    /// Indexes `owner` under a phone's non-empty Bitrix code.
    pub(crate) fn insert_code(&mut self, code: &str, owner: PackedRef) {
        let hash = self.code_hash(code);
        self.by_code.add(hash, owner);
    }

    /// Undoes [`insert_code`](Self::insert_code).
    pub(crate) fn remove_code(&mut self, code: &str, owner: PackedRef) {
        let hash = self.code_hash(code);
        self.by_code.remove(hash, owner);
    }

    /// The records indexed under a code of the same hash as `code` (a superset of those
    /// with a phone of this code), in the order of the store's contract.
    pub(crate) fn find_by_code_hash(&self, code: &str) -> EntityRefs {
        self.by_code.find(self.code_hash(code))
    }

    /// The records with a phone whose reversed national number starts with
    /// `reversed_suffix`: at most `limit`, in the order of the store's contract.
    pub(crate) fn find_by_suffix(&self, reversed_suffix: &str, limit: usize) -> Vec<EntityRef> {
        let wanted = reversed_suffix.len();
        let (Some(low), Some(step)) = (suffix_code(reversed_suffix), span(wanted)) else {
            return Vec::new();
        };
        let low = low - wanted as u64;
        let high = low + step * 16;
        let mut found: Vec<PackedRef> = Vec::new();
        for &(code, owner) in self.by_suffix.range((low, PackedRef(0))..(high, PackedRef(0))) {
            if found.len() >= limit {
                break;
            }
            // Shorter national numbers padded with zeros sort inside the range too.
            if (code % 16) as usize >= wanted && !found.contains(&owner) {
                found.push(owner);
            }
        }
        found.sort_unstable();
        found.into_iter().map(PackedRef::entity).collect()
    }
}

/// Owners by a nonzero `u64` (an E.164 number, a code's hash): a [`NumberTable`] of one
/// owner per slot, and the owners of the values several records share.
#[derive(Debug, Default)]
struct OwnerTable {
    slots: NumberTable,
    /// The owners of the values several records share, ascending.
    shared: HashMap<u64, Vec<PackedRef>>,
}

impl OwnerTable {
    /// The records under `value`, ascending.
    fn find(&self, value: u64) -> EntityRefs {
        match self.slots.get(value) {
            None => EntityRefs::new(),
            Some(SEVERAL) => self
                .shared
                .get(&value)
                .map_or_else(EntityRefs::new, |owners| owners.iter().map(|p| p.entity()).collect()),
            Some(one) => EntityRefs::one(PackedRef(one).entity()),
        }
    }

    fn add(&mut self, value: u64, owner: PackedRef) {
        match self.slots.get(value) {
            None => self.slots.insert(value, owner.0),
            Some(SEVERAL) => {
                let owners = self.shared.entry(value).or_default();
                if let Err(at) = owners.binary_search(&owner) {
                    owners.insert(at, owner);
                }
            }
            Some(one) if one == owner.0 => {}
            Some(one) => {
                let mut owners = vec![PackedRef(one), owner];
                owners.sort_unstable();
                self.shared.insert(value, owners);
                self.slots.insert(value, SEVERAL);
            }
        }
    }

    fn remove(&mut self, value: u64, owner: PackedRef) {
        match self.slots.get(value) {
            None => {}
            Some(SEVERAL) => {
                let Some(owners) = self.shared.get_mut(&value) else { return };
                if let Ok(at) = owners.binary_search(&owner) {
                    owners.remove(at);
                }
                if let [only] = owners.as_slice() {
                    let only = *only;
                    self.shared.remove(&value);
                    self.slots.insert(value, only.0);
                }
            }
            Some(one) if one == owner.0 => self.slots.remove(value),
            Some(_) => {}
        }
    }

    #[cfg(test)]
    fn is_empty(&self) -> bool {
        self.slots.len == 0 && self.shared.is_empty()
    }
}

/// How many padded values share a prefix of `len` digits.
fn span(len: usize) -> Option<u64> {
    let pad = u32::try_from(MAX_NATIONAL_DIGITS.checked_sub(len)?).ok()?;
    Some(10u64.pow(pad))
}

fn add<K>(entry: Entry<'_, K, Owners>, owner: PackedRef) {
    match entry {
        Entry::Occupied(mut owners) => owners.get_mut().add(owner),
        Entry::Vacant(slot) => {
            slot.insert(Owners::One(owner));
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use callreg_core::phone::E164;

    fn e164(digits: &str) -> PhoneKey {
        PhoneKey::E164(E164::from_digits(digits).unwrap())
    }

    fn owner(entity: EntityRef) -> PackedRef {
        PackedRef::new(entity).unwrap()
    }

    #[test]
    fn packed_refs_order_like_the_contract() {
        let mut refs = [
            owner(EntityRef::lead(1)),
            owner(EntityRef::company(9)),
            owner(EntityRef::contact(10)),
            owner(EntityRef::contact(2)),
        ];
        refs.sort();
        let entities: Vec<EntityRef> = refs.iter().map(|r| r.entity()).collect();
        assert_eq!(
            entities,
            vec![
                EntityRef::contact(2),
                EntityRef::contact(10),
                EntityRef::company(9),
                EntityRef::lead(1)
            ]
        );
        assert_eq!(PackedRef::new(EntityRef::deal(1)), None);
    }

    #[test]
    fn suffix_ranges_hold_exactly_the_texts_with_the_prefix() {
        let mut index = PhoneIndex::default();
        let stored = ["7654321594", "765432103", "7654", "76543", "0", "", "765432159400000"];
        for (i, text) in stored.iter().enumerate() {
            index.insert(&e164("74951234567"), Some(text), owner(EntityRef::contact(i as u64 + 1)));
        }
        let found = |prefix: &str| -> Vec<u64> {
            index.find_by_suffix(prefix, 100).iter().map(|e| e.id).collect()
        };
        assert_eq!(found("7654321"), vec![1, 2, 7]);
        assert_eq!(found("76543"), vec![1, 2, 4, 7]);
        assert_eq!(found("7654"), vec![1, 2, 3, 4, 7]);
        assert_eq!(found("76543215940"), vec![7]);
        assert_eq!(found("0"), vec![5]);
        assert_eq!(found(""), vec![1, 2, 3, 4, 5, 6, 7]);
        assert!(found("9").is_empty());
        assert!(found("7654a").is_empty());
        assert!(found("1234567890123456").is_empty());
        assert_eq!(index.find_by_suffix("7654", 2).len(), 2);
    }

    #[test]
    fn number_table_inserts_finds_and_removes() {
        let mut table = NumberTable::default();
        let numbers: Vec<u64> = (1..=5_000u64).map(|n| n * 7_919 + 70_000_000_000).collect();
        for (i, &n) in numbers.iter().enumerate() {
            table.insert(n, i as u64);
        }
        assert_eq!(table.len, numbers.len());
        for (i, &n) in numbers.iter().enumerate() {
            assert_eq!(table.get(n), Some(i as u64));
        }
        assert_eq!(table.get(1), None);
        // Remove every other number: the rest are still found (backward shifts kept chains).
        for &n in numbers.iter().step_by(2) {
            table.remove(n);
        }
        for (i, &n) in numbers.iter().enumerate() {
            assert_eq!(table.get(n), (i % 2 == 1).then_some(i as u64), "{n}");
        }
        table.remove(12345);
        assert_eq!(table.len, numbers.len() / 2);
    }

    #[test]
    fn owners_are_added_and_removed() {
        let mut index = PhoneIndex::default();
        let key = e164("74951234567");
        let (a, b) = (owner(EntityRef::lead(3)), owner(EntityRef::contact(5)));
        index.insert(&key, Some("7654321594"), a);
        index.insert(&key, Some("7654321594"), b);
        assert_eq!(index.find(&key), vec![EntityRef::contact(5), EntityRef::lead(3)]);
        index.remove(&key, Some("7654321594"), a);
        assert_eq!(index.find(&key), vec![EntityRef::contact(5)]);
        index.remove(&key, Some("7654321594"), b);
        assert!(index.find(&key).is_empty());
        assert!(index.by_number.is_empty() && index.by_suffix.is_empty());
        let digits = PhoneKey::Digits("112".into());
        index.insert(&digits, None, a);
        assert_eq!(index.find(&digits), vec![EntityRef::lead(3)]);
        index.remove(&digits, None, a);
        assert!(index.by_digits.is_empty());
    }

    #[test]
    fn codes_are_added_found_and_removed() {
        let mut index = PhoneIndex::default();
        let (a, b) = (owner(EntityRef::lead(3)), owner(EntityRef::contact(5)));
        index.insert_code("74951234567", a);
        index.insert_code("74951234567", b);
        index.insert_code("301234567", b);
        assert_eq!(
            index.find_by_code_hash("74951234567"),
            vec![EntityRef::contact(5), EntityRef::lead(3)]
        );
        assert_eq!(index.find_by_code_hash("301234567"), vec![EntityRef::contact(5)]);
        assert!(index.find_by_code_hash("7495123456").is_empty());
        index.remove_code("74951234567", b);
        assert_eq!(index.find_by_code_hash("74951234567"), vec![EntityRef::lead(3)]);
        index.remove_code("74951234567", a);
        index.remove_code("301234567", b);
        assert!(index.by_code.is_empty());
        // The hash is seeded per index: two indexes place one code differently (almost surely).
        let other = PhoneIndex::default();
        assert_ne!(index.code_hash("74951234567"), other.code_hash("74951234567"));
    }
}
