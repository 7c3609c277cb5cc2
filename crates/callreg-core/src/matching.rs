//! Finding the CRM records that own a caller's number, and choosing the primary one
//! (matching.md §3 and §5; Bitrix's `ActualEntitySelector` ranking).
//!
//! The tiers, tried in order until one finds a record:
//!
//! 1. the caller's key under the default region (E.164, or the stripped digits of a number
//!    that is not one) equals a stored phone's key;
//! 2. when the call came in on a line of another country, the caller's key read in that
//!    country equals a stored key;
//! 3. off by default ([`EngineConfig::suffix_digits`](crate::EngineConfig::suffix_digits)):
//!    the last N digits of the caller's national number equal the last N digits of a stored
//!    E.164 phone's national number.
//!
//! Between tiers 2 and 3, when the engine searches a raw number, Bitrix's own criterion: a
//! stored phone whose [`bitrix_code`] equals the caller's (contract D5: no pair of formats
//! Bitrix matches is lost, whatever the default region reads them as). Stores answer it from
//! indexes ([`StoreTx::find_entities_by_bitrix_code`]: most phones under their key, the code
//! being its digits, the others under [`bitrix_code_index_key`]), so a miss of every tier costs
//! two probes more than a hit ([`MatchTier::BitrixCode`]).
//!
//! Whatever tier hit, the records found are ranked the same way ([`OwnerMatch`]).

use crate::model::{Deal, Phone};
use crate::phone::{E164, PhoneKey, PhoneNormalizer};
use crate::store::{StoreResult, StoreTx};
use crate::types::{EntityRef, EntityRefs, EntityType};
use chrono::{DateTime, Utc};

/// The keys a caller's number is searched by: tier 1 (the default region) and, when the call
/// came in on a line of another country, tier 2 (the number read in the line's country).
pub fn caller_keys(
    phones: &PhoneNormalizer,
    raw: &str,
    line_number: Option<&str>,
) -> Vec<PhoneKey> {
    CallerKeys::new(phones, raw, line_number).as_slice().to_vec()
}

/// [`caller_keys`] without a heap allocation (lookups are counted in nanoseconds).
#[derive(Debug)]
pub(crate) struct CallerKeys {
    /// The keys, then placeholders (empty `Digits`, which allocate nothing).
    keys: [PhoneKey; 2],
    len: usize,
}

impl CallerKeys {
    pub(crate) fn new(phones: &PhoneNormalizer, raw: &str, line_number: Option<&str>) -> Self {
        let placeholder = || PhoneKey::Digits(String::new());
        let mut keys = CallerKeys { keys: [placeholder(), placeholder()], len: 0 };
        if let Some(key) = phones.key(raw) {
            keys.keys[0] = key;
            keys.len = 1;
        }
        if let Some(region) = line_number.and_then(|line| phones.region_of_line(line))
            && region != phones.default_region()
            && let Some(key) = phones.key_in_region(raw, region)
            && !keys.as_slice().contains(&key)
        {
            keys.keys[keys.len] = key;
            keys.len += 1;
        }
        keys
    }

    pub(crate) fn as_slice(&self) -> &[PhoneKey] {
        &self.keys[..self.len]
    }
}

/// What the Bitrix-code tier reads besides the keys: the caller id as received and, for
/// Bitrix's criterion 2, the line the call came in on (with the normalizer that reads the
/// caller in the line's country, only once the tiers before have found nothing).
#[derive(Debug, Clone, Copy)]
pub(crate) struct BitrixCriteria<'a> {
    pub(crate) raw: &'a str,
    pub(crate) line: Option<(&'a PhoneNormalizer, &'a str)>,
}

impl BitrixCriteria<'_> {
    /// The caller's national number read in the line's country, when the line is a valid
    /// international number and the caller an E.164 number there (Bitrix's criterion 2).
    fn line_national_number(&self) -> Option<String> {
        let (phones, line) = self.line?;
        let region = phones.region_of_line(line)?;
        phones.key_in_region(self.raw, region)?.as_e164()?.national_number()
    }
}

/// Which tier of matching.md found the records of an [`OwnerMatch`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum MatchTier {
    /// Tier 1: the caller's key under the default region (E.164, or the exact stripped
    /// digits of a number that is not one).
    DefaultRegion,
    /// Tier 2: the caller's E.164 key read in the country of the line the call came in on.
    LineCountry,
    /// Tier 3: the last N digits of the national number.
    NationalSuffix,
    /// Bitrix's own criterion, after tiers 1 and 2: a stored phone's [`bitrix_code`] equals
    /// the caller's.
    BitrixCode,
}

/// Bitrix's normalization of a phone number for matching (`NormalizePhone($number, 1)`,
/// bitrix-reference.md §5.2): two numbers match in Bitrix when their codes are equal.
/// `+7 (906) 219-50-47`, `79062195047` and `89062195047` all give `79062195047`;
/// `030 1234567` gives `301234567`.
///
/// ```
/// use callreg_core::matching::bitrix_code;
/// assert_eq!(bitrix_code("8 (906) 219-50-47"), "79062195047");
/// assert_eq!(bitrix_code("0049 30 1234567"), "49301234567");
/// assert_eq!(bitrix_code("+7 495 123-45-67 #12"), "74951234567");
/// ```
pub fn bitrix_code(raw: &str) -> String {
    // 1. `+8...` of ten characters or more: `00` and the rest after the `+`.
    let rewritten;
    let number = match raw.strip_prefix("+8") {
        Some(rest) if raw.len() >= 10 => {
            rewritten = format!("008{rest}");
            rewritten.as_str()
        }
        _ => raw,
    };
    // 2. Only `0-9 # * , ;` are kept.
    let stripped: String =
        number.chars().filter(|c| matches!(c, '0'..='9' | '#' | '*' | ',' | ';')).collect();
    // 3. Prefixes rewritten, for ten characters or more.
    let mut code = stripped.as_str();
    let mut seven = None;
    if code.len() >= 10 {
        if code.starts_with("80") || code.starts_with("81") || code.starts_with("82") {
        } else if let Some(rest) = code.strip_prefix("00") {
            code = rest;
        } else if let Some(rest) = code.strip_prefix("011") {
            code = rest;
        } else if let Some(rest) = code.strip_prefix('8') {
            seven = Some(format!("7{rest}"));
        } else if let Some(rest) = code.strip_prefix('0') {
            code = rest;
        }
    }
    let code = seven.as_deref().unwrap_or(code);
    // 4. Nothing left: the stripped number. 5. The first run before `;`, `#` or `,`.
    let code = if code.is_empty() { stripped.as_str() } else { code };
    code.split([';', '#', ',']).next().unwrap_or_default().to_owned()
}

/// Bitrix's `CVoxImplantPhone::Normalize($number)` (bitrix-reference.md, lead creation): the
/// form in which Bitrix stores employees' phones and compares a caller with them. `+8...`
/// becomes `008...`; only `0-9 # * , ;` are kept; then, unless it starts with `80`, `81` or
/// `82`, a leading `00` or `011` is dropped, else Russia's `8` of an 11-digit number becomes
/// `7`, else a leading `0` is dropped. `None` under ten characters.
///
/// ```
/// use callreg_core::matching::telephony_code;
/// assert_eq!(telephony_code("+1 (650) 253-0000").as_deref(), Some("16502530000"));
/// assert_eq!(telephony_code("8 916 555-12-34").as_deref(), Some("79165551234"));
/// assert_eq!(telephony_code("0049 30 1234567").as_deref(), Some("49301234567"));
/// assert_eq!(telephony_code("030 1234567"), None);
/// ```
pub fn telephony_code(raw: &str) -> Option<String> {
    let rewritten;
    let number = match raw.strip_prefix("+8") {
        Some(rest) => {
            rewritten = format!("008{rest}");
            rewritten.as_str()
        }
        None => raw,
    };
    let stripped: String =
        number.chars().filter(|c| matches!(c, '0'..='9' | '#' | '*' | ',' | ';')).collect();
    let code = if ["80", "81", "82"].iter().any(|p| stripped.starts_with(p)) {
        stripped
    } else if let Some(rest) = stripped.strip_prefix("00") {
        rest.to_owned()
    } else if let Some(rest) = stripped.strip_prefix("011") {
        rest.to_owned()
    } else if let Some(rest) = stripped.strip_prefix('8').filter(|_| stripped.len() == 11) {
        format!("7{rest}")
    } else if let Some(rest) = stripped.strip_prefix('0') {
        rest.to_owned()
    } else {
        stripped
    };
    (code.len() >= 10).then_some(code)
}

/// What a store indexes a stored phone under for the Bitrix-code tier
/// ([`StoreTx::find_entities_by_bitrix_code`]): the [`bitrix_code`] of its value, unless the
/// phone's key already tells it. The code of a phone written internationally or with
/// Russia's `8` is the digits of its own E.164 key (`+7 495 123-45-67` and
/// `8 (495) 123-45-67` are `74951234567`, key `+74951234567`), and a store finds those through
/// its index of keys, under the E.164 number the code reads as; only the others need an index
/// of codes: national forms elsewhere (`030 1234567`, code `301234567`, key `+49301234567`
/// under region DE; `(495) 123-45-67` without its `8`), service codes, values without a key.
/// `None` for those the key tells and for an empty code.
pub fn bitrix_code_index_key(value: &str, key: Option<&PhoneKey>) -> Option<String> {
    let code = bitrix_code(value);
    let told = match (key, E164::from_digits(&code)) {
        (Some(PhoneKey::E164(own)), Some(read)) => *own == read,
        _ => false,
    };
    (!code.is_empty() && !told).then_some(code)
}

/// The E.164 key under which a store finds the phones of Bitrix code `code` that
/// [`bitrix_code_index_key`] leaves out: the code's digits as an E.164 number, if they are one.
pub fn bitrix_code_e164(code: &str) -> Option<PhoneKey> {
    E164::from_digits(code).map(PhoneKey::E164)
}

/// The records owning a phone whose [`bitrix_code`] equals the caller's (`raw` as register
/// stores it), found through the stores' index of codes; then Bitrix's criterion 2: when the
/// call came in on a line that is a valid international number, the caller's national number
/// in the line's country, matched against phones written in national form (whose
/// code their own key does not tell: `(495) 111-22-33` on a portal of region BY, for a caller
/// `+7 495 111 22 33` on a Russian line; not `+49 5111 2233`, another number with those
/// digits). A record is kept only through a phone whose key is not on the exclusion list, as
/// the keys of tiers 1 and 2 are.
fn find_by_bitrix_code(
    tx: &mut dyn StoreTx,
    criteria: BitrixCriteria<'_>,
) -> StoreResult<Vec<EntityRef>> {
    // Bitrix's criterion is the caller id as register stores it, stripped to `0-9 # * + , ;`
    // (`tel:+84...` is `+84...`, whose `+8` Bitrix reads as `008`, not as a Russian `8`).
    let code = bitrix_code(&crate::phone::strip_letters(criteria.raw));
    let mut kept = Vec::new();
    if !code.is_empty() {
        // Usually none: a miss of every tier ends here.
        for entity in tx.find_entities_by_bitrix_code(&code)? {
            if has_unexcluded_phone_with_code(tx, entity, &code)? {
                kept.push(entity);
            }
        }
    }
    if let Some(national) = criteria.line_national_number() {
        let national = bitrix_code(&national);
        if national.is_empty() || national == code {
            return Ok(kept);
        }
        let written_nationally = |phone: &Phone| {
            bitrix_code_index_key(&phone.value, phone.key.as_ref()).is_some_and(|c| c == national)
        };
        for entity in tx.find_entities_by_bitrix_code(&national)? {
            if !kept.contains(&entity) && has_unexcluded_phone(tx, entity, written_nationally)? {
                kept.push(entity);
            }
        }
    }
    Ok(kept)
}

/// Whether one of the record's phones has the Bitrix code `code` and a key that is not on the
/// exclusion list.
fn has_unexcluded_phone_with_code(
    tx: &mut dyn StoreTx,
    entity: EntityRef,
    code: &str,
) -> StoreResult<bool> {
    has_unexcluded_phone(tx, entity, |phone| bitrix_code(&phone.value) == code)
}

/// Whether one of the record's phones passes `wanted` and has no key on the exclusion list.
fn has_unexcluded_phone(
    tx: &mut dyn StoreTx,
    entity: EntityRef,
    wanted: impl Fn(&Phone) -> bool,
) -> StoreResult<bool> {
    let phones = match entity.kind {
        EntityType::Contact => tx.contact(entity.id)?.map(|c| c.phones),
        EntityType::Company => tx.company(entity.id)?.map(|c| c.phones),
        EntityType::Lead => tx.lead(entity.id)?.map(|l| l.phones),
        EntityType::Deal => None,
    };
    for phone in phones.unwrap_or_default() {
        if !wanted(&phone) {
            continue;
        }
        match &phone.key {
            Some(key) if tx.is_excluded(key)? => {}
            _ => return Ok(true),
        }
    }
    Ok(false)
}

/// What a search by number found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OwnerMatch {
    /// The entity the call is bound to first (contact, else company, else an in-process lead).
    pub primary: Option<EntityRef>,
    /// Every entity kept with the call: the primary first, then the other matched contacts and
    /// companies (or in-process leads), then the primary's active deals, most recent first.
    pub bound: EntityRefs,
    /// Whether the number is on the exclusion list (then nothing matched).
    pub excluded: bool,
    /// The tier whose search found records (`None` when no tier found any record; a tier
    /// may find only leads that are no longer in process, and then nothing is bound).
    pub tier: Option<MatchTier>,
}

/// Tier 3 finds nothing when more records than this share the caller's suffix: such a suffix
/// identifies nobody, and binding the call to one of them would be a guess.
pub const MAX_SUFFIX_OWNERS: usize = 16;

/// Searches the records owning any of `keys` (tiers 1 and 2: `keys` as [`caller_keys`] gives
/// them) and ranks them. Keys alone cannot run the Bitrix-code tier, which needs the raw
/// number: [`Engine::find_owners_of_number`](crate::Engine::find_owners_of_number) does.
pub fn find_owners(tx: &mut dyn StoreTx, keys: &[PhoneKey]) -> StoreResult<OwnerMatch> {
    find_owners_in_tiers(tx, keys, None)
}

/// [`find_owners`], then tier 3 when `suffix_digits` is set and tiers 1 and 2 found no
/// record at all: the records with a stored E.164 phone whose national number ends with the
/// caller's last `suffix_digits` national digits (see [`caller_suffixes`]), when at most
/// [`MAX_SUFFIX_OWNERS`] records share them. Tier 3 never runs for an excluded number.
pub fn find_owners_in_tiers(
    tx: &mut dyn StoreTx,
    keys: &[PhoneKey],
    suffix_digits: Option<u8>,
) -> StoreResult<OwnerMatch> {
    let mut owners = OwnerMatch::default();
    find_owners_into(tx, keys, None, suffix_digits, &mut owners)?;
    Ok(owners)
}

/// [`find_owners_in_tiers`] into a match the caller holds (a lookup's result is written in
/// place, not copied out; `owners` is expected to be the default), with the Bitrix-code tier
/// between tiers 2 and 3 when the raw number is given.
pub(crate) fn find_owners_into(
    tx: &mut dyn StoreTx,
    keys: &[PhoneKey],
    raw: Option<BitrixCriteria<'_>>,
    suffix_digits: Option<u8>,
    owners: &mut OwnerMatch,
) -> StoreResult<()> {
    // The records are searched into the match's own list and ranked there (a lookup's
    // result is built in place, never moved out of a return value).
    match find_matching_records(tx, keys, raw, suffix_digits, &mut owners.bound)? {
        Searched::Excluded => {
            owners.excluded = true;
            Ok(())
        }
        Searched::Found(tier) => {
            owners.tier = tier;
            rank(tx, owners)
        }
    }
}

/// What [`find_matching_records`] found.
pub(crate) enum Searched {
    /// One of the keys is on the exclusion list (such a number is never matched).
    Excluded,
    /// The tier that found the records (`None`: no tier found any).
    Found(Option<MatchTier>),
}

/// The records the tiers find, unranked, into `found` (expected empty), and the tier that
/// found them.
pub(crate) fn find_matching_records(
    tx: &mut dyn StoreTx,
    keys: &[PhoneKey],
    raw: Option<BitrixCriteria<'_>>,
    suffix_digits: Option<u8>,
    found: &mut EntityRefs,
) -> StoreResult<Searched> {
    debug_assert!(found.is_empty(), "records are searched into an empty list");
    for key in keys {
        if tx.is_excluded(key)? {
            return Ok(Searched::Excluded);
        }
    }
    let mut tier = None;
    for (index, key) in keys.iter().enumerate() {
        // Read in place and copied record by record: moving a list out of the result just
        // written stalls the copy (see `push_active_deals`).
        let result = tx.find_entities_by_phone_key(key);
        let hits = match result {
            Ok(ref hits) => hits,
            Err(error) => return Err(error),
        };
        if hits.is_empty() {
            continue;
        }
        tier.get_or_insert(if index == 0 {
            MatchTier::DefaultRegion
        } else {
            MatchTier::LineCountry
        });
        if found.is_empty() {
            // A store lists each record once: the first key's records need no check (a
            // number thousands of records share stays linear).
            found.extend(hits.iter().copied());
        } else {
            for &entity in hits {
                if !found.contains(&entity) {
                    found.push(entity);
                }
            }
        }
    }
    if found.is_empty() {
        let later;
        (tier, later) = find_in_later_tiers(tx, keys, raw, suffix_digits)?;
        *found = later.into();
    } else if let Some(criteria) = raw
        && only_finished_leads(tx, found)?
    {
        // The keys found only leads no longer in process (junk, converted), which nothing is
        // bound to. Bitrix searches by both its criteria at once, so the records its
        // comparison finds are found too (and bound, rather than a lead created beside the
        // finished ones). Tier 3 is not tried: the number itself is known.
        let compared = find_by_bitrix_code(tx, criteria)?;
        if compared.iter().any(|e| !found.contains(e)) {
            tier = Some(MatchTier::BitrixCode);
            for entity in compared {
                if !found.contains(&entity) {
                    found.push(entity);
                }
            }
        }
    }
    Ok(Searched::Found(tier))
}

/// Whether `found` holds leads only, none of them in process.
fn only_finished_leads(tx: &mut dyn StoreTx, found: &[EntityRef]) -> StoreResult<bool> {
    for entity in found {
        if entity.kind != EntityType::Lead {
            return Ok(false);
        }
        if tx.lead(entity.id)?.is_none_or(|lead| lead.in_process()) {
            return Ok(false);
        }
    }
    Ok(true)
}

/// The tiers after the keys': Bitrix's comparison, then tier 3 when it is on; the records of
/// the first that finds any, with its tier.
fn find_in_later_tiers(
    tx: &mut dyn StoreTx,
    keys: &[PhoneKey],
    raw: Option<BitrixCriteria<'_>>,
    suffix_digits: Option<u8>,
) -> StoreResult<(Option<MatchTier>, Vec<EntityRef>)> {
    if let Some(criteria) = raw {
        let found = find_by_bitrix_code(tx, criteria)?;
        if !found.is_empty() {
            return Ok((Some(MatchTier::BitrixCode), found));
        }
    }
    if let Some(digits) = suffix_digits {
        let found = find_by_suffix(tx, keys, digits)?;
        if !found.is_empty() {
            return Ok((Some(MatchTier::NationalSuffix), found));
        }
    }
    Ok((None, Vec::new()))
}

/// Tier 3's search: every record owning a suffix of the caller's through a phone whose key is
/// not on the exclusion list, or nothing when more than [`MAX_SUFFIX_OWNERS`] records own one
/// (excluded phones included: the suffix is that ambiguous).
fn find_by_suffix(
    tx: &mut dyn StoreTx,
    keys: &[PhoneKey],
    digits: u8,
) -> StoreResult<Vec<EntityRef>> {
    let suffixes = caller_suffixes(keys, digits);
    let mut found: Vec<EntityRef> = Vec::new();
    for suffix in &suffixes {
        for entity in tx.find_entities_by_national_suffix(suffix, MAX_SUFFIX_OWNERS + 1)? {
            if !found.contains(&entity) {
                found.push(entity);
            }
        }
        if found.len() > MAX_SUFFIX_OWNERS {
            return Ok(Vec::new());
        }
    }
    if found.is_empty() || tx.exclusion_list_is_empty()? {
        return Ok(found);
    }
    let mut kept = Vec::with_capacity(found.len());
    for entity in found {
        let has_suffix = |key: &PhoneKey| {
            national_suffix_index_key(key)
                .is_some_and(|reversed| suffixes.iter().any(|s| reversed.starts_with(s.as_str())))
        };
        if has_unexcluded_phone(tx, entity, |phone| phone.key.as_ref().is_some_and(has_suffix))? {
            kept.push(entity);
        }
    }
    Ok(kept)
}

/// The caller's national number: the digits after the calling code of an E.164 key, all the
/// digits of a `Digits` key (a number that did not parse has no known calling code); `None`
/// for a service code (`*100#`).
pub fn caller_national_digits(key: &PhoneKey) -> Option<String> {
    match key {
        PhoneKey::E164(e) => e.national_number(),
        PhoneKey::Digits(d) => d.bytes().all(|b| b.is_ascii_digit()).then(|| d.clone()),
    }
}

/// The suffixes tier 3 searches for: of each key, the last `digits` digits of its national
/// number, reversed (the form [`national_suffix_index_key`] is searched by), when the national
/// number has at least `digits` digits. No suffix for `digits == 0`. Each suffix once.
pub fn caller_suffixes(keys: &[PhoneKey], digits: u8) -> Vec<String> {
    let wanted = usize::from(digits);
    let mut suffixes: Vec<String> = Vec::new();
    if wanted == 0 {
        return suffixes;
    }
    for national in keys.iter().filter_map(caller_national_digits) {
        if national.len() < wanted {
            continue;
        }
        let suffix: String = national.chars().rev().take(wanted).collect();
        if !suffixes.contains(&suffix) {
            suffixes.push(suffix);
        }
    }
    suffixes
}

/// What a store indexes a stored phone under for tier 3
/// ([`StoreTx::find_entities_by_national_suffix`]): the national number of an E.164 key,
/// reversed (`"7654321594"` for `+74951234567`), so that "ends with these digits" is "starts
/// with these digits reversed", a range of an ordered index. `None` for a `Digits` key and for
/// a number without a known calling code: such phones are never found by suffix.
pub fn national_suffix_index_key(key: &PhoneKey) -> Option<String> {
    let national = key.as_e164()?.national_number()?;
    Some(national.chars().rev().collect())
}

/// Ranks the records found by a search (matching.md §5).
fn rank(tx: &mut dyn StoreTx, owners: &mut OwnerMatch) -> StoreResult<()> {
    let bound = &mut owners.bound;
    if bound.is_empty() {
        return Ok(());
    }
    // One contact or company (the common case): it is the primary.
    if let [only] = bound[..]
        && matches!(only.kind, EntityType::Contact | EntityType::Company)
    {
        push_active_deals(tx, only, bound)?;
        owners.primary = Some(only);
        return Ok(());
    }
    bound.sort_unstable_by_key(|e| (e.kind.search_rank(), e.id));
    let clients =
        bound.iter().take_while(|e| e.kind.search_rank() < EntityType::Lead.search_rank());
    let contacts = clients.clone().take_while(|e| e.kind == EntityType::Contact).count();
    let client_count = clients.count();
    let primary = if client_count > 0 {
        // Contacts, then companies, each by id; leads are not kept when a client matched.
        bound.truncate(client_count);
        let best = if contacts > 0 {
            best_client(tx, &bound[..contacts])?
        } else {
            best_client(tx, bound)?
        };
        if let Some(at) = bound.iter().position(|e| *e == best) {
            bound[..=at].rotate_right(1);
        }
        Some(best)
    } else {
        let mut leads = Vec::with_capacity(bound.len());
        for entity in bound.iter() {
            if let Some(lead) = tx.lead(entity.id)?
                && lead.in_process()
            {
                leads.push((lead.modified, lead.id));
            }
        }
        // Most recently modified first, then the highest id.
        leads.sort_unstable_by(|a, b| b.cmp(a));
        bound.clear();
        bound.extend(leads.iter().map(|&(_, id)| EntityRef::lead(id)));
        bound.first().copied()
    };
    if let Some(owner) = primary {
        push_active_deals(tx, owner, bound)?;
    }
    owners.primary = primary;
    Ok(())
}

/// Among clients of one type (`candidates` non-empty, ascending ids): the one with the most
/// recently modified active deal, else the lowest id.
fn best_client(tx: &mut dyn StoreTx, candidates: &[EntityRef]) -> StoreResult<EntityRef> {
    let lowest = candidates[0];
    if candidates.len() == 1 {
        return Ok(lowest);
    }
    let mut best: Option<(DateTime<Utc>, EntityRef)> = None;
    for &entity in candidates {
        let latest = tx.deals_of(entity)?.iter().filter(|d| d.active()).map(|d| d.modified).max();
        if let Some(modified) = latest
            && best.is_none_or(|(m, _)| modified > m)
        {
            best = Some((modified, entity));
        }
    }
    Ok(best.map_or(lowest, |(_, entity)| entity))
}

/// The active deals of a contact or company, most recently modified first.
pub fn active_deals_of(tx: &mut dyn StoreTx, owner: EntityRef) -> StoreResult<Vec<EntityRef>> {
    let mut deals = EntityRefs::new();
    push_active_deals(tx, owner, &mut deals)?;
    Ok(deals.into_vec())
}

/// [`active_deals_of`], appended to `out` (a lookup builds its result in place: a list
/// returned by value is copied out right after it was written, and that copy stalls).
fn push_active_deals(
    tx: &mut dyn StoreTx,
    owner: EntityRef,
    out: &mut EntityRefs,
) -> StoreResult<()> {
    if !matches!(owner.kind, EntityType::Contact | EntityType::Company) {
        return Ok(());
    }
    // Only the length is read before knowing there are deals (most owners have none).
    let deals = tx.deals_of(owner);
    if deals.as_ref().is_ok_and(Vec::is_empty) {
        return Ok(());
    }
    let mut deals = deals?;
    deals.retain(Deal::active);
    deals.sort_by(|a, b| b.modified.cmp(&a.modified).then(b.id.cmp(&a.id)));
    out.extend(deals.iter().map(|d| EntityRef::deal(d.id)));
    Ok(())
}

#[cfg(test)]
#[allow(clippy::expect_used, clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::phone::E164;

    fn e164(digits: &str) -> PhoneKey {
        PhoneKey::E164(E164::from_digits(digits).expect("valid"))
    }

    #[test]
    fn index_key_is_the_reversed_national_number() {
        assert_eq!(national_suffix_index_key(&e164("74951234567")).as_deref(), Some("7654321594"));
        assert_eq!(national_suffix_index_key(&e164("49301234567")).as_deref(), Some("765432103"));
        assert_eq!(national_suffix_index_key(&PhoneKey::Digits("112".into())), None);
        assert_eq!(national_suffix_index_key(&e164("80012345678")), None, "no calling code");
    }

    #[test]
    fn caller_suffixes_need_enough_digits() {
        let keys = [e164("74951234567"), PhoneKey::Digits("0074951234567".into())];
        assert_eq!(caller_suffixes(&keys, 7), vec!["7654321".to_string()]);
        assert_eq!(caller_suffixes(&keys, 10), vec!["7654321594".to_string()]);
        assert_eq!(
            caller_suffixes(&keys, 11),
            vec!["76543215947".to_string()],
            "only the digits key is long enough"
        );
        assert!(caller_suffixes(&keys, 0).is_empty());
        assert!(caller_suffixes(&[PhoneKey::Digits("*100".into())], 2).is_empty());
        assert!(caller_suffixes(&[PhoneKey::Digits("112".into())], 4).is_empty());
    }
}
