//! A two-tier lookup cache for what a peer fetches from the network (pack records,
//! providers): a small hot tier of recent lookups with a short lifetime, in front of a
//! larger warm tier that keeps answers longer.
//!
//! Both tiers are LRU ([`lru`]): when full, the least recently used entry goes. Every entry
//! is stamped with when it was stored, and the caller passes `now` (milliseconds on any
//! clock it likes) to every call: the core has no clock, so tests and the browser drive
//! time themselves. An entry answers from a tier while it is younger than that tier's
//! lifetime; a warm answer still young enough for the hot tier moves up into it.

use core::hash::Hash;
use core::num::NonZeroUsize;

use lru::LruCache;

/// Sizes and lifetimes of the two tiers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CacheConfig {
    pub hot_capacity: NonZeroUsize,
    pub hot_ttl_ms: u64,
    pub warm_capacity: NonZeroUsize,
    pub warm_ttl_ms: u64,
}

const HOUR_MS: u64 = 60 * 60 * 1000;

impl Default for CacheConfig {
    /// 100 entries for an hour in front of 1,000 entries for a day.
    fn default() -> Self {
        CacheConfig {
            hot_capacity: NonZeroUsize::new(100).expect("non-zero"),
            hot_ttl_ms: HOUR_MS,
            warm_capacity: NonZeroUsize::new(1000).expect("non-zero"),
            warm_ttl_ms: 24 * HOUR_MS,
        }
    }
}

/// What the cache has done, for the hit-rate a network panel shows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CacheStats {
    pub hot_hits: u64,
    pub warm_hits: u64,
    pub misses: u64,
    /// Entries found but too old, dropped (each such lookup also counts as a miss).
    pub expired: u64,
}

impl CacheStats {
    /// Hits over lookups, from 0 to 1 (0 before the first lookup).
    pub fn hit_rate(&self) -> f64 {
        let hits = self.hot_hits + self.warm_hits;
        let lookups = hits + self.misses;
        if lookups == 0 { 0.0 } else { hits as f64 / lookups as f64 }
    }
}

#[derive(Debug, Clone)]
struct Entry<V> {
    value: V,
    stored_at: u64,
}

impl<V> Entry<V> {
    fn is_fresh(&self, ttl_ms: u64, now: u64) -> bool {
        now.saturating_sub(self.stored_at) < ttl_ms
    }
}

/// The cache. Keys are what was looked up (a pack name, a content hash); values what the
/// network answered.
#[derive(Debug)]
pub struct TieredCache<K: Hash + Eq, V> {
    config: CacheConfig,
    hot: LruCache<K, Entry<V>>,
    warm: LruCache<K, Entry<V>>,
    stats: CacheStats,
}

impl<K: Hash + Eq + Clone, V: Clone> TieredCache<K, V> {
    pub fn new(config: CacheConfig) -> Self {
        TieredCache {
            hot: LruCache::new(config.hot_capacity),
            warm: LruCache::new(config.warm_capacity),
            config,
            stats: CacheStats::default(),
        }
    }

    /// The cached answer for `key`, if one is fresh at `now`.
    pub fn get(&mut self, key: &K, now: u64) -> Option<V> {
        let c = self.config;
        match self.hot.get(key) {
            Some(e) if e.is_fresh(c.hot_ttl_ms, now) => {
                self.stats.hot_hits += 1;
                return Some(e.value.clone());
            }
            Some(_) => {
                self.hot.pop(key);
            }
            None => {}
        }
        match self.warm.get(key) {
            Some(e) if e.is_fresh(c.warm_ttl_ms, now) => {
                self.stats.warm_hits += 1;
                let entry = e.clone();
                if entry.is_fresh(c.hot_ttl_ms, now) {
                    self.hot.put(key.clone(), entry.clone());
                }
                Some(entry.value)
            }
            Some(_) => {
                self.warm.pop(key);
                self.stats.expired += 1;
                self.stats.misses += 1;
                None
            }
            None => {
                self.stats.misses += 1;
                None
            }
        }
    }

    /// Remembers the network's answer for `key`, stored at `now`.
    pub fn insert(&mut self, key: K, value: V, now: u64) {
        let entry = Entry { value, stored_at: now };
        self.hot.put(key.clone(), entry.clone());
        self.warm.put(key, entry);
    }

    /// Forgets `key` (its record was replaced or proved wrong).
    pub fn remove(&mut self, key: &K) {
        self.hot.pop(key);
        self.warm.pop(key);
    }

    /// Drops every entry too old for its tier; returns how many left the warm tier.
    pub fn purge_expired(&mut self, now: u64) -> usize {
        let c = self.config;
        let stale = |cache: &LruCache<K, Entry<V>>, ttl| -> alloc::vec::Vec<K> {
            cache.iter().filter(|(_, e)| !e.is_fresh(ttl, now)).map(|(k, _)| k.clone()).collect()
        };
        for key in stale(&self.hot, c.hot_ttl_ms) {
            self.hot.pop(&key);
        }
        let gone = stale(&self.warm, c.warm_ttl_ms);
        for key in &gone {
            self.warm.pop(key);
        }
        gone.len()
    }

    /// The warm tier's entries, most recent first, with when each was stored: what a peer
    /// persists (IndexedDB, redb) to start warm next time.
    pub fn entries(&self) -> impl Iterator<Item = (&K, &V, u64)> {
        self.warm.iter().map(|(k, e)| (k, &e.value, e.stored_at))
    }

    /// How many answers the cache holds (the warm tier holds every one).
    pub fn len(&self) -> usize {
        self.warm.len()
    }

    pub fn is_empty(&self) -> bool {
        self.warm.is_empty()
    }

    pub fn stats(&self) -> CacheStats {
        self.stats
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn small() -> TieredCache<&'static str, u32> {
        TieredCache::new(CacheConfig {
            hot_capacity: NonZeroUsize::new(2).unwrap(),
            hot_ttl_ms: 100,
            warm_capacity: NonZeroUsize::new(4).unwrap(),
            warm_ttl_ms: 1000,
        })
    }

    #[test]
    fn answers_from_the_hot_tier_then_the_warm_one_then_misses() {
        let mut cache = small();
        assert_eq!(cache.get(&"a", 0), None);
        cache.insert("a", 1, 0);
        assert_eq!(cache.get(&"a", 50), Some(1)); // hot
        assert_eq!(cache.get(&"a", 500), Some(1)); // too old for hot, fresh for warm
        assert_eq!(cache.get(&"a", 1000), None); // too old for both
        assert_eq!(cache.stats(), CacheStats { hot_hits: 1, warm_hits: 1, misses: 2, expired: 1 });
        assert!((cache.stats().hit_rate() - 0.5).abs() < 1e-9);
        assert!(cache.is_empty());
    }

    #[test]
    fn the_least_recently_used_entry_leaves_a_full_tier() {
        let mut cache = small();
        for (i, key) in ["a", "b", "c"].into_iter().enumerate() {
            cache.insert(key, i as u32, 0);
        }
        // Hot holds b and c; a fell to warm only.
        assert_eq!(cache.get(&"a", 1), Some(0));
        assert_eq!(cache.stats().warm_hits, 1);
        // The warm hit was young enough to move a back up; now b is the one evicted from hot.
        assert_eq!(cache.get(&"a", 2), Some(0));
        assert_eq!(cache.stats().hot_hits, 1);
        for key in ["d", "e", "f"] {
            cache.insert(key, 9, 3);
        }
        assert_eq!(cache.len(), 4);
        assert_eq!(cache.get(&"b", 4), None, "b was the least recently used in warm too");
    }

    #[test]
    fn an_old_warm_answer_does_not_move_up() {
        let mut cache = small();
        cache.insert("a", 1, 0);
        assert_eq!(cache.get(&"a", 200), Some(1));
        assert_eq!(cache.get(&"a", 201), Some(1));
        assert_eq!(cache.stats().warm_hits, 2, "each lookup came from warm");
    }

    #[test]
    fn purging_and_removing_forget() {
        let mut cache = small();
        cache.insert("old", 1, 0);
        cache.insert("new", 2, 900);
        assert_eq!(cache.purge_expired(1200), 1);
        assert_eq!(
            cache.entries().map(|(k, v, at)| (*k, *v, at)).collect::<alloc::vec::Vec<_>>(),
            [("new", 2, 900)]
        );
        cache.remove(&"new");
        assert!(cache.is_empty());
        assert_eq!(cache.get(&"new", 901), None);
    }

    #[test]
    fn a_clock_going_backwards_is_not_a_panic() {
        let mut cache = small();
        cache.insert("a", 1, 1000);
        assert_eq!(cache.get(&"a", 0), Some(1));
    }
}
