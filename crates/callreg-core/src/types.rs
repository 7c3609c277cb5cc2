//! Small typed values used at the engine's boundary: once a value is in one of these types
//! it is known to be well formed.

use std::fmt;

/// A portal user (employee) id. Always positive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UserId(pub u64);

impl fmt::Display for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// Who a request says the call belongs to: `USER_ID`, or `USER_PHONE_INNER` (the internal
/// extension) when `USER_ID` is absent or zero.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserRef {
    /// `USER_ID`, as PHP's `(int)` cast leaves it (zero means "not given").
    Id(i64),
    /// `USER_PHONE_INNER`, matched exactly against active users' extensions.
    Inner(String),
}

/// `TYPE` of a call, Bitrix's codes 1–5.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CallType {
    /// 1: outgoing.
    Outgoing = 1,
    /// 2: incoming.
    Incoming = 2,
    /// 3: incoming with redirection.
    IncomingRedirect = 3,
    /// 4: callback.
    Callback = 4,
    /// 5: information call.
    Information = 5,
}

impl CallType {
    /// Bitrix's numeric code.
    pub fn code(self) -> u8 {
        self as u8
    }

    /// The type with this code, if it is 1–5.
    pub fn from_code(code: i64) -> Option<CallType> {
        match code {
            1 => Some(CallType::Outgoing),
            2 => Some(CallType::Incoming),
            3 => Some(CallType::IncomingRedirect),
            4 => Some(CallType::Callback),
            5 => Some(CallType::Information),
            _ => None,
        }
    }

    /// Parses `TYPE` as clients send it (contract D13): an integer 1–5, with spaces around,
    /// leading zeros and a zero fraction (`"2.0"`) allowed. Anything else is `None`.
    pub fn parse_loose(raw: &str) -> Option<CallType> {
        let text = raw.trim();
        let (int_part, frac_part) = match text.split_once('.') {
            Some((i, f)) => (i, Some(f)),
            None => (text, None),
        };
        if int_part.is_empty() || !int_part.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        if let Some(frac) = frac_part
            && !frac.bytes().all(|b| b == b'0')
        {
            return None;
        }
        let digits = int_part.trim_start_matches('0');
        if digits.len() != 1 {
            return None;
        }
        CallType::from_code(i64::from(digits.as_bytes()[0] - b'0'))
    }

    /// Whether Bitrix treats the call as incoming (types 2 and 3).
    pub fn is_incoming(self) -> bool {
        matches!(self, CallType::Incoming | CallType::IncomingRedirect)
    }

    /// The words Bitrix puts after the number in an auto-created lead's title.
    pub fn lead_title_suffix(self) -> &'static str {
        match self {
            CallType::Incoming | CallType::IncomingRedirect => "Incoming call",
            CallType::Callback => "Callback",
            CallType::Outgoing | CallType::Information => "Outgoing call",
        }
    }
}

/// The kinds of CRM record a call can be bound to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum EntityType {
    /// `LEAD` (Bitrix type id 1).
    Lead,
    /// `DEAL` (type id 2).
    Deal,
    /// `CONTACT` (type id 3).
    Contact,
    /// `COMPANY` (type id 4).
    Company,
}

impl EntityType {
    /// The name Bitrix uses on the wire (`CONTACT`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            EntityType::Lead => "LEAD",
            EntityType::Deal => "DEAL",
            EntityType::Contact => "CONTACT",
            EntityType::Company => "COMPANY",
        }
    }

    /// Parses the wire name; exact upper case, as Bitrix stores it.
    pub fn parse(name: &str) -> Option<EntityType> {
        match name {
            "LEAD" => Some(EntityType::Lead),
            "DEAL" => Some(EntityType::Deal),
            "CONTACT" => Some(EntityType::Contact),
            "COMPANY" => Some(EntityType::Company),
            _ => None,
        }
    }

    /// Bitrix's `OWNER_TYPE_ID`: 1 lead, 2 deal, 3 contact, 4 company.
    pub fn type_id(self) -> u8 {
        match self {
            EntityType::Lead => 1,
            EntityType::Deal => 2,
            EntityType::Contact => 3,
            EntityType::Company => 4,
        }
    }

    /// Order of types in the answers of searches by number: contact, company, lead, deal.
    pub fn search_rank(self) -> u8 {
        match self {
            EntityType::Contact => 0,
            EntityType::Company => 1,
            EntityType::Lead => 2,
            EntityType::Deal => 3,
        }
    }

    /// The type with this `OWNER_TYPE_ID`.
    pub fn from_type_id(id: i64) -> Option<EntityType> {
        match id {
            1 => Some(EntityType::Lead),
            2 => Some(EntityType::Deal),
            3 => Some(EntityType::Contact),
            4 => Some(EntityType::Company),
            _ => None,
        }
    }
}

impl fmt::Display for EntityType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A reference to one CRM record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EntityRef {
    /// The record's type.
    pub kind: EntityType,
    /// The record's id within its type.
    pub id: u64,
}

impl EntityRef {
    /// A contact reference.
    pub fn contact(id: u64) -> Self {
        EntityRef { kind: EntityType::Contact, id }
    }
    /// A company reference.
    pub fn company(id: u64) -> Self {
        EntityRef { kind: EntityType::Company, id }
    }
    /// A lead reference.
    pub fn lead(id: u64) -> Self {
        EntityRef { kind: EntityType::Lead, id }
    }
    /// A deal reference.
    pub fn deal(id: u64) -> Self {
        EntityRef { kind: EntityType::Deal, id }
    }
}

impl fmt::Display for EntityRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.kind, self.id)
    }
}

/// Records found by a number, in order: inline up to two (a number almost always belongs to
/// one record, with a deal at most), on the heap beyond, so that the usual lookup allocates
/// nothing for its result. Reads as a slice; compares equal to a `Vec` or an array of the
/// same references.
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub struct EntityRefs(smallvec::SmallVec<[EntityRef; 2]>);

impl EntityRefs {
    /// No record.
    pub fn new() -> Self {
        EntityRefs(smallvec::SmallVec::new())
    }

    /// One record.
    pub fn one(entity: EntityRef) -> Self {
        EntityRefs(smallvec::SmallVec::from_buf_and_len([entity; 2], 1))
    }

    /// Appends a record.
    pub fn push(&mut self, entity: EntityRef) {
        self.0.push(entity);
    }

    /// Keeps the first `len` records.
    pub fn truncate(&mut self, len: usize) {
        self.0.truncate(len);
    }

    /// Removes every record.
    pub fn clear(&mut self) {
        self.0.clear();
    }

    /// The records as a `Vec` (no copy once they are on the heap).
    pub fn into_vec(self) -> Vec<EntityRef> {
        self.0.into_vec()
    }
}

impl fmt::Debug for EntityRefs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl std::ops::Deref for EntityRefs {
    type Target = [EntityRef];
    fn deref(&self) -> &[EntityRef] {
        &self.0
    }
}

impl std::ops::DerefMut for EntityRefs {
    fn deref_mut(&mut self) -> &mut [EntityRef] {
        &mut self.0
    }
}

impl FromIterator<EntityRef> for EntityRefs {
    fn from_iter<I: IntoIterator<Item = EntityRef>>(iter: I) -> Self {
        EntityRefs(iter.into_iter().collect())
    }
}

impl Extend<EntityRef> for EntityRefs {
    fn extend<I: IntoIterator<Item = EntityRef>>(&mut self, iter: I) {
        self.0.extend(iter);
    }
}

impl From<Vec<EntityRef>> for EntityRefs {
    fn from(entities: Vec<EntityRef>) -> Self {
        EntityRefs(smallvec::SmallVec::from_vec(entities))
    }
}

impl From<EntityRefs> for Vec<EntityRef> {
    fn from(entities: EntityRefs) -> Self {
        entities.into_vec()
    }
}

impl<'a> IntoIterator for &'a EntityRefs {
    type Item = &'a EntityRef;
    type IntoIter = std::slice::Iter<'a, EntityRef>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl IntoIterator for EntityRefs {
    type Item = EntityRef;
    type IntoIter = EntityRefsIntoIter;
    fn into_iter(self) -> Self::IntoIter {
        EntityRefsIntoIter(self.0.into_iter())
    }
}

/// The records of an [`EntityRefs`], by value.
pub struct EntityRefsIntoIter(smallvec::IntoIter<[EntityRef; 2]>);

impl fmt::Debug for EntityRefsIntoIter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.0.as_slice()).finish()
    }
}

impl Iterator for EntityRefsIntoIter {
    type Item = EntityRef;
    fn next(&mut self) -> Option<EntityRef> {
        self.0.next()
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        self.0.size_hint()
    }
}

impl DoubleEndedIterator for EntityRefsIntoIter {
    fn next_back(&mut self) -> Option<EntityRef> {
        self.0.next_back()
    }
}

impl ExactSizeIterator for EntityRefsIntoIter {}

impl PartialEq<Vec<EntityRef>> for EntityRefs {
    fn eq(&self, other: &Vec<EntityRef>) -> bool {
        self[..] == other[..]
    }
}

impl PartialEq<EntityRefs> for Vec<EntityRef> {
    fn eq(&self, other: &EntityRefs) -> bool {
        self[..] == other[..]
    }
}

impl<const N: usize> PartialEq<[EntityRef; N]> for EntityRefs {
    fn eq(&self, other: &[EntityRef; N]) -> bool {
        self[..] == other[..]
    }
}

/// A call's id, `externalCall.<32 lowercase hex>.<unix seconds>` (contract D11).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CallId(String);

impl CallId {
    /// Wraps an id read from storage or from a client. Any text is accepted: a call with
    /// an id of another shape is simply never found.
    pub fn new(id: impl Into<String>) -> Self {
        CallId(id.into())
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for CallId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entity_refs_keep_order_past_the_inline_records() {
        let all: Vec<EntityRef> = (1..=5).map(EntityRef::contact).collect();
        let mut refs = EntityRefs::new();
        for (len, &entity) in all.iter().enumerate() {
            refs.push(entity);
            assert_eq!(refs, all[..=len].to_vec(), "after {} records", len + 1);
        }
        assert_eq!(refs.iter().copied().collect::<Vec<_>>(), all);
        assert_eq!(refs.clone().into_iter().rev().collect::<Vec<_>>().len(), 5);
        assert_eq!(refs.clone().into_iter().collect::<Vec<_>>(), all);
        assert_eq!(EntityRefs::from(all.clone()), all);
        assert_eq!(refs.clone().into_vec(), all);
        refs.truncate(2);
        assert_eq!(refs, [EntityRef::contact(1), EntityRef::contact(2)]);
        refs[..].rotate_right(1);
        assert_eq!(refs, [EntityRef::contact(2), EntityRef::contact(1)]);
        refs.clear();
        assert!(refs.is_empty());
        assert_eq!(EntityRefs::one(EntityRef::deal(7)), vec![EntityRef::deal(7)]);
        assert_ne!(EntityRefs::one(EntityRef::deal(7)), vec![EntityRef::lead(7)]);
        assert_eq!(
            format!("{:?}", EntityRefs::one(EntityRef::lead(3))),
            "[EntityRef { kind: Lead, id: 3 }]"
        );
    }

    #[test]
    fn call_type_parses_loosely_like_d13() {
        // PHP's loose comparison also takes "2." as 2.
        for ok in ["2", " 2", "2 ", "02", "2.0", "002.00", "2."] {
            assert_eq!(CallType::parse_loose(ok), Some(CallType::Incoming), "{ok:?}");
        }
        for bad in ["", "6", "0", "2.5", "true", "two", "-2", "+2", "12", "2e0", "."] {
            assert_eq!(CallType::parse_loose(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn entity_type_ids_are_bitrix_owner_type_ids() {
        for t in [EntityType::Lead, EntityType::Deal, EntityType::Contact, EntityType::Company] {
            assert_eq!(EntityType::from_type_id(i64::from(t.type_id())), Some(t));
            assert_eq!(EntityType::parse(t.as_str()), Some(t));
        }
        assert_eq!(EntityType::parse("contact"), None);
    }
}
