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
