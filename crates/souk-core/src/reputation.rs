//! How much to trust each peer to serve pack bodies, learned from every fetch.
//!
//! A peer's score is its smoothed success rate (successes + 1 over attempts + 2, so a new
//! peer starts at one half and one bad answer does not condemn it forever) scaled down by
//! its smoothed latency. Peers are ranked best first, ties broken by peer id so every run
//! ranks alike. The caller measures latency with its own clock; the core only counts.

use alloc::collections::BTreeMap;
use alloc::vec::Vec;

/// How quickly the latency average follows new measurements (0 to 1).
const LATENCY_WEIGHT: f64 = 0.2;
/// The latency at which a peer's score halves, in milliseconds.
const HALF_SCORE_LATENCY_MS: f64 = 1000.0;

/// What one peer has done for us.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct PeerRecord {
    pub successes: u32,
    pub failures: u32,
    /// Exponentially weighted average of successful fetches' latency, in milliseconds.
    pub latency_ms: f64,
}

impl PeerRecord {
    /// The length of [`PeerRecord::encode`]'s output.
    pub const ENCODED_LEN: usize = 16;

    /// A fixed-size little-endian encoding, for stores: successes, failures, latency.
    pub fn encode(&self) -> [u8; Self::ENCODED_LEN] {
        let mut out = [0; Self::ENCODED_LEN];
        out[..4].copy_from_slice(&self.successes.to_le_bytes());
        out[4..8].copy_from_slice(&self.failures.to_le_bytes());
        out[8..].copy_from_slice(&self.latency_ms.to_le_bytes());
        out
    }

    /// Reads [`PeerRecord::encode`]'s output; `None` for anything else.
    pub fn decode(bytes: &[u8]) -> Option<Self> {
        let bytes: &[u8; Self::ENCODED_LEN] = bytes.try_into().ok()?;
        let (successes, rest) = bytes.split_first_chunk::<4>()?;
        let (failures, latency) = rest.split_first_chunk::<4>()?;
        Some(PeerRecord {
            successes: u32::from_le_bytes(*successes),
            failures: u32::from_le_bytes(*failures),
            latency_ms: f64::from_le_bytes(latency.try_into().ok()?),
        })
    }

    /// From 0 (never answers well, or slowly) to 1 (always, instantly).
    pub fn score(&self) -> f64 {
        let rate =
            (f64::from(self.successes) + 1.0) / (f64::from(self.successes) + f64::from(self.failures) + 2.0);
        rate * HALF_SCORE_LATENCY_MS / (HALF_SCORE_LATENCY_MS + self.latency_ms)
    }
}

/// Every peer's record, by peer id (any ordered id type).
#[derive(Debug, Clone)]
pub struct Reputation<P: Ord> {
    peers: BTreeMap<P, PeerRecord>,
}

/// Derived `Default` would ask `P: Default`; an empty map needs nothing of `P`.
impl<P: Ord> Default for Reputation<P> {
    fn default() -> Self {
        Reputation { peers: BTreeMap::new() }
    }
}

impl<P: Ord + Clone> Reputation<P> {
    /// A peer answered well, in `latency_ms`.
    pub fn succeeded(&mut self, peer: &P, latency_ms: f64) {
        let record = self.peers.entry(peer.clone()).or_default();
        record.latency_ms = if record.successes == 0 {
            latency_ms
        } else {
            record.latency_ms + LATENCY_WEIGHT * (latency_ms - record.latency_ms)
        };
        record.successes = record.successes.saturating_add(1);
    }

    /// A peer failed: no answer, an error, or a body that did not match its hash.
    pub fn failed(&mut self, peer: &P) {
        let record = self.peers.entry(peer.clone()).or_default();
        record.failures = record.failures.saturating_add(1);
    }

    /// A peer's record (a stranger's is the default: score one half).
    pub fn get(&self, peer: &P) -> PeerRecord {
        self.peers.get(peer).copied().unwrap_or_default()
    }

    /// `peers`, best first.
    pub fn rank(&self, peers: &mut [P]) {
        peers.sort_by(|a, b| self.get(b).score().total_cmp(&self.get(a).score()).then_with(|| a.cmp(b)));
    }

    /// Every record, to persist; [`Reputation::from_records`] restores them.
    pub fn records(&self) -> impl Iterator<Item = (&P, &PeerRecord)> {
        self.peers.iter()
    }

    pub fn from_records(records: impl IntoIterator<Item = (P, PeerRecord)>) -> Self {
        Reputation { peers: records.into_iter().collect() }
    }

    /// How many peers have a record.
    pub fn len(&self) -> usize {
        self.peers.len()
    }

    pub fn is_empty(&self) -> bool {
        self.peers.is_empty()
    }
}

/// `peers` ranked by `reputation`, as a new list.
pub fn ranked<P: Ord + Clone>(reputation: &Reputation<P>, peers: &[P]) -> Vec<P> {
    let mut out = peers.to_vec();
    reputation.rank(&mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn strangers_start_in_the_middle_and_earn_their_place() {
        let mut r = Reputation::default();
        assert_eq!(r.get(&"new").score(), 0.5);
        r.succeeded(&"fast", 10.0);
        r.succeeded(&"slow", 900.0);
        r.failed(&"liar");
        assert_eq!(ranked(&r, &["liar", "new", "slow", "fast"]), ["fast", "new", "slow", "liar"]);
    }

    #[test]
    fn records_round_trip_through_their_encoding_and_other_bytes_are_refused() {
        let record = PeerRecord { successes: 7, failures: 2, latency_ms: 12.5 };
        assert_eq!(PeerRecord::decode(&record.encode()), Some(record));
        assert_eq!(PeerRecord::decode(&record.encode()[..15]), None);
        assert_eq!(PeerRecord::decode(&[0; 17]), None);
    }

    #[test]
    fn latency_is_smoothed_and_failures_count() {
        let mut r = Reputation::default();
        r.succeeded(&1, 100.0);
        r.succeeded(&1, 200.0);
        assert_eq!(r.get(&1).latency_ms, 120.0);
        let before = r.get(&1).score();
        r.failed(&1);
        assert!(r.get(&1).score() < before);
        assert_eq!((r.get(&1).successes, r.get(&1).failures), (2, 1));
    }

    #[test]
    fn ties_rank_by_peer_id_and_records_round_trip() {
        let mut r = Reputation::default();
        assert_eq!(ranked(&r, &[3, 1, 2]), [1, 2, 3]);
        r.succeeded(&2, 50.0);
        let restored = Reputation::from_records(r.records().map(|(p, rec)| (*p, *rec)));
        assert_eq!(restored.get(&2), r.get(&2));
        assert_eq!(restored.len(), 1);
    }
}
