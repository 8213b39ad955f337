//! Token buckets: how often a peer may ask this one for work, and how many new entries one
//! publisher's key may bring, before the rest is refused. Each bucket refills at a steady
//! rate up to a burst; the clock is the shell's (milliseconds, [`super::Peer::tick`]).
//!
//! Refusals are counted in the bucket too, draining at the same rate: a peer that waits for
//! its answers stays within a burst of them however far it runs ahead, while one that keeps
//! asking regardless passes a burst of refusals within moments, and is [`Took::Flood`].

use alloc::collections::BTreeMap;

/// A sustained rate with room for a burst.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    pub per_second: u32,
    pub burst: u32,
}

/// What a peer asks this one for, each kind with its own bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Request {
    /// A pack body.
    Fetch,
    /// A sync head, chunk or delta, or an offer.
    Sync,
    /// A DHT write: a record put or a provider added.
    DhtWrite,
}

/// The rates peers and publishers are held to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rates {
    pub fetch: Rate,
    pub sync: Rate,
    pub dht_write: Rate,
    /// New records and statements one key may bring directly (published, gossiped, put or
    /// offered); what a sync carries is history and counts against no one.
    pub publish: Rate,
}

impl Default for Rates {
    /// Far above what an honest peer asks: a first sync of a million packs' base is 220
    /// chunks, a burst of installs a few dozen fetches; a publisher's script, a few a second
    /// (two DHT writes each: its record and its body's provider).
    fn default() -> Self {
        Rates {
            fetch: Rate { per_second: 64, burst: 256 },
            sync: Rate { per_second: 64, burst: 512 },
            dht_write: Rate { per_second: 128, burst: 2048 },
            publish: Rate { per_second: 10, burst: 600 },
        }
    }
}

impl Rates {
    pub fn of(&self, request: Request) -> Rate {
        match request {
            Request::Fetch => self.fetch,
            Request::Sync => self.sync,
            Request::DhtWrite => self.dht_write,
        }
    }
}

/// The most buckets kept: past it, full ones (idle long enough to refill) are dropped, and
/// a newcomer finding no room is let through untracked rather than refused.
const MAX_BUCKETS: usize = 16_384;

/// One token, in the thousandths buckets count in.
const TOKEN: u64 = 1000;

/// What asking a bucket for a token came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Took {
    Token,
    /// None left: the request waits or is dropped.
    Nothing,
    /// None left, and the asker has been refused more than a burst's worth of requests
    /// beyond what its rate drains: it keeps asking without waiting.
    Flood,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    /// Thousandths of a token.
    left: u64,
    /// Thousandths of refusals, draining at the rate.
    refused: u64,
    at: u64,
    rate: Rate,
}

impl Bucket {
    fn full(rate: Rate) -> u64 {
        u64::from(rate.burst) * TOKEN
    }

    fn refill(self, now: u64) -> u64 {
        now.saturating_sub(self.at).saturating_mul(u64::from(self.rate.per_second))
    }

    fn refilled(self, now: u64) -> u64 {
        self.left.saturating_add(self.refill(now)).min(Bucket::full(self.rate))
    }
}

/// A bucket per key (a peer and a kind of request, or a publisher's key).
#[derive(Debug)]
pub(crate) struct Buckets<K> {
    buckets: BTreeMap<K, Bucket>,
}

impl<K> Default for Buckets<K> {
    fn default() -> Self {
        Buckets { buckets: BTreeMap::new() }
    }
}

impl<K: Ord + Clone> Buckets<K> {
    /// Whether `key` has a token left now, without taking it.
    pub fn has_token(&self, key: &K, now: u64) -> bool {
        self.buckets.get(key).is_none_or(|b| b.refilled(now) >= TOKEN)
    }

    /// Takes a token of `key`'s, whose bucket fills at `rate`.
    pub fn take(&mut self, key: &K, rate: Rate, now: u64) -> Took {
        if !self.buckets.contains_key(key) && self.buckets.len() >= MAX_BUCKETS {
            self.buckets.retain(|_, b| b.refilled(now) < Bucket::full(b.rate));
            if self.buckets.len() >= MAX_BUCKETS {
                return Took::Token;
            }
        }
        let full = Bucket { left: Bucket::full(rate), refused: 0, at: now, rate };
        let bucket = self.buckets.entry(key.clone()).or_insert(full);
        bucket.refused = bucket.refused.saturating_sub(bucket.refill(now));
        bucket.left = bucket.refilled(now);
        bucket.at = now.max(bucket.at);
        if bucket.left >= TOKEN {
            bucket.left -= TOKEN;
            return Took::Token;
        }
        bucket.refused = bucket.refused.saturating_add(TOKEN);
        match bucket.refused > Bucket::full(rate) {
            true => Took::Flood,
            false => Took::Nothing,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RATE: Rate = Rate { per_second: 10, burst: 3 };

    #[test]
    fn a_burst_then_the_steady_rate() {
        let mut buckets = Buckets::default();
        let take = |b: &mut Buckets<u8>, now| b.take(&1, RATE, now) == Took::Token;
        assert!((0..3).all(|_| take(&mut buckets, 0)), "the burst");
        assert!(!take(&mut buckets, 0), "then nothing");
        assert!(!buckets.has_token(&1, 99));
        assert!(take(&mut buckets, 100), "a token every 100 ms at 10 a second");
        assert!(!take(&mut buckets, 150));
        assert!((0..3).all(|_| take(&mut buckets, 60_000)), "refilled to the burst, no more");
        assert!(!take(&mut buckets, 60_000));
        assert_eq!(buckets.take(&2, RATE, 60_000), Took::Token, "others have their own");
    }

    #[test]
    fn asking_on_regardless_is_a_flood_and_waiting_never_is() {
        let mut buckets = Buckets::default();
        // One that asks again as soon as it is refused, at one instant: its burst, then a
        // burst of refusals, then a flood.
        let took: alloc::vec::Vec<Took> = (0..7).map(|_| buckets.take(&1, RATE, 0)).collect();
        assert_eq!(took[3..], [Took::Nothing, Took::Nothing, Took::Nothing, Took::Flood]);
        // One that runs ahead, then asks only as often as it is answered (every 50 ms, at
        // 10 a second): refused half the time, for a minute, never a flood.
        let took: alloc::vec::Vec<Took> = (0..1200).map(|i| buckets.take(&2, RATE, i * 50)).collect();
        assert!(took.contains(&Took::Nothing));
        assert!(!took.contains(&Took::Flood));
    }

    #[test]
    fn idle_buckets_make_room_and_busy_ones_stay() {
        let mut buckets = Buckets::default();
        for key in 0..MAX_BUCKETS as u32 {
            buckets.take(&key, RATE, 0);
        }
        assert_eq!(buckets.take(&u32::MAX, RATE, 0), Took::Token, "no room: let through, untracked");
        assert_eq!(buckets.buckets.len(), MAX_BUCKETS);
        // A second later every bucket has refilled, and the idle ones go.
        assert_eq!(buckets.take(&u32::MAX, RATE, 1000), Took::Token);
        assert_eq!(buckets.buckets.len(), 1);
    }
}
