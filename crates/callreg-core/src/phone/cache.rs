//! A bounded cache of recent readings (and formattings), in front of the metadata.
//!
//! Reading or formatting a number through the metadata costs microseconds (regular
//! expressions behind the `phonenumber` crate's global lock); PBXes send the same few numbers
//! again and again. The cache keeps two generations of at most `capacity / 2` entries each:
//! when the current one is full it becomes the previous one and the oldest is dropped, and a
//! hit in the previous generation moves back to the current one. Readings and formattings
//! are pure functions of their key, so the cache never changes a result.

use super::key::E164;
use super::region::Region;
use super::strip::Prepared;
use std::collections::HashMap;
use std::fmt;
use std::hash::Hash;
use std::sync::{Mutex, MutexGuard};

/// What a reading depends on, packed into one integer: the digits (at most
/// [`MAX_DIGITS`](super::meta::MAX_DIGITS), so below 2^80) and their count (leading zeros
/// matter), the `+`, the trunk marker position and the region.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct CacheKey(u128);

impl CacheKey {
    /// The key of a prepared number under a region; `None` when the digits are too many to
    /// pack (such numbers are never read through the metadata anyway).
    pub(crate) fn new(prepared: &Prepared<'_>, region: Region) -> Option<CacheKey> {
        let digits = prepared.digits.as_bytes();
        if digits.len() > super::meta::MAX_DIGITS {
            return None;
        }
        let value: u128 =
            digits.iter().fold(0u128, |acc, &d| acc * 10 + u128::from(d.wrapping_sub(b'0')));
        let marker = prepared.trunk_marker.map_or(31, |m| m.min(30)) as u128;
        let code = region.as_str().as_bytes();
        let region_bits = code.iter().fold(0u128, |acc, &b| (acc << 8) | u128::from(b));
        let packed = value
            | (digits.len() as u128) << 80
            | u128::from(prepared.plus) << 85
            | marker << 86
            | region_bits << 91;
        Some(CacheKey(packed))
    }
}

/// One generation: foldhash with a random seed per map (numbers come from outside, so the
/// hash must not be predictable; SipHash would cost more than the rest of a cache hit).
type Generation<K, V> = HashMap<K, V, foldhash::fast::RandomState>;

/// The two generations.
struct Generations<K, V> {
    current: Generation<K, V>,
    previous: Generation<K, V>,
}

impl<K, V> Default for Generations<K, V> {
    fn default() -> Self {
        Generations { current: Generation::default(), previous: Generation::default() }
    }
}

/// A bounded map from a [`CacheKey`] to its reading (`None`: not an E.164 number), or from an
/// [`E164`] number to its formatting.
pub(crate) struct ResultCache<K = CacheKey, V = Option<E164>> {
    generation_size: usize,
    inner: Mutex<Generations<K, V>>,
}

impl<K: Hash + Eq, V: Clone> ResultCache<K, V> {
    /// A cache of at most `capacity` entries; `0` disables it.
    pub(crate) fn new(capacity: usize) -> Self {
        ResultCache { generation_size: capacity / 2, inner: Mutex::new(Generations::default()) }
    }

    /// The lock; a panic elsewhere while holding it cannot leave the maps inconsistent, so a
    /// poisoned lock is simply taken over.
    fn lock(&self) -> MutexGuard<'_, Generations<K, V>> {
        self.inner.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The cached value, if any.
    pub(crate) fn get(&self, key: K) -> Option<V> {
        if self.generation_size == 0 {
            return None;
        }
        let mut inner = self.lock();
        if let Some(hit) = inner.current.get(&key) {
            return Some(hit.clone());
        }
        let hit = inner.previous.remove(&key)?;
        Self::insert_locked(&mut inner, self.generation_size, key, hit.clone());
        Some(hit)
    }

    /// Remembers a value.
    pub(crate) fn insert(&self, key: K, value: V) {
        if self.generation_size == 0 {
            return;
        }
        let mut inner = self.lock();
        Self::insert_locked(&mut inner, self.generation_size, key, value);
    }

    fn insert_locked(inner: &mut Generations<K, V>, generation_size: usize, key: K, value: V) {
        if inner.current.len() >= generation_size {
            inner.previous = std::mem::take(&mut inner.current);
        }
        inner.current.insert(key, value);
    }

    /// How many readings are kept.
    pub(crate) fn len(&self) -> usize {
        let inner = self.lock();
        inner.current.len() + inner.previous.len()
    }
}

impl<K: Hash + Eq, V: Clone> fmt::Debug for ResultCache<K, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResultCache")
            .field("capacity", &(self.generation_size * 2))
            .field("len", &self.len())
            .finish()
    }
}

#[cfg(test)]
#[allow(clippy::expect_used, clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::phone::strip::prepare;

    fn key(raw: &str, region: Region) -> CacheKey {
        prepare(raw).and_then(|p| CacheKey::new(&p, region)).expect("packable")
    }

    #[test]
    fn keys_tell_apart_what_readings_depend_on() {
        let base = key("0301234567", Region::DE);
        assert_ne!(base, key("301234567", Region::DE), "leading zero");
        assert_ne!(base, key("+0301234567", Region::DE), "plus");
        assert_ne!(base, key("0301234567", Region::RU), "region");
        assert_ne!(key("+49(0)301234567", Region::DE), key("+490301234567", Region::DE), "marker");
        assert_eq!(base, key("030 123-45-67", Region::DE), "separators do not matter");
        let longest = "9".repeat(crate::phone::meta::MAX_DIGITS);
        assert!(prepare(&longest).and_then(|p| CacheKey::new(&p, Region::RU)).is_some());
        let too_long = "9".repeat(crate::phone::meta::MAX_DIGITS + 1);
        assert!(prepare(&too_long).and_then(|p| CacheKey::new(&p, Region::RU)).is_none());
    }

    #[test]
    fn bounded_and_two_generations() {
        let cache: ResultCache = ResultCache::new(4);
        let k = |n: u32| key(&n.to_string(), Region::RU);
        for n in 0..10 {
            cache.insert(k(n), None);
            assert!(cache.len() <= 4);
        }
        assert_eq!(cache.get(k(0)), None, "evicted");
        // 8 and 9 are current, 6 and 7 previous; a hit on 7 brings it back (and rotates).
        assert_eq!(cache.get(k(7)), Some(None));
        assert_eq!(cache.get(k(6)), None, "dropped by the rotation");
        for n in [7, 8, 9] {
            assert_eq!(cache.get(k(n)), Some(None), "{n}");
        }
    }

    #[test]
    fn zero_capacity_disables() {
        let cache: ResultCache = ResultCache::new(0);
        cache.insert(key("112", Region::RU), None);
        assert_eq!(cache.get(key("112", Region::RU)), None);
        assert_eq!(cache.len(), 0);
    }
}
