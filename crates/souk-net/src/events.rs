//! What a node tells its callers: events as they happen, connected peers, counters.

use std::time::Duration;

use libp2p::{Multiaddr, PeerId};
use souk_core::cache::CacheStats;
use souk_core::peer::{Reason, Via};
use souk_core::record::Entry;
use souk_core::reputation::PeerRecord;

/// What a node tells its subscribers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NodeEvent {
    /// A record or statement new to this node passed every check and is now kept; `via`
    /// says how it came (an announcement is `Via::Gossip`). Each is told once, however often
    /// it comes.
    Learned {
        entry: Box<Entry>,
        from: Option<PeerId>,
        via: Via,
    },
    Connected(PeerId),
    Disconnected(PeerId),
}

/// A connected peer and what this node has learned of it.
#[derive(Debug, Clone, PartialEq)]
pub struct PeerInfo {
    pub peer_id: PeerId,
    pub address: Multiaddr,
    pub reputation: PeerRecord,
    /// The last ping's round trip, once one has come back.
    pub rtt: Option<Duration>,
    /// Gossipsub's score of it (below -80, its announcements are ignored).
    pub gossip_score: Option<f64>,
}

/// What is timed, for `stats` and the relay's metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Metric {
    Search,
    Lookup,
    Install,
}

/// How many of one kind of operation ran, and how long they took together.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Timing {
    pub count: u64,
    pub total: Duration,
}

impl Timing {
    pub(crate) fn add(&mut self, took: Duration) {
        self.count += 1;
        self.total += took;
    }
}

/// The node's counters.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Stats {
    pub peers: usize,
    /// Pack versions in the index.
    pub packs: usize,
    /// The catalog's sequence number.
    pub seq: u64,
    pub cache: CacheStats,
    pub searches: Timing,
    pub lookups: Timing,
    /// DHT requests the lookups sent in all: over `lookups.count`, the peers asked per lookup.
    pub lookup_requests: u64,
    pub installs: Timing,
    /// Records, messages and bodies refused from peers, by reason (every reason, zeros too).
    pub refused: Vec<(Reason, u64)>,
    /// Events a subscriber fell too far behind to be sent.
    pub events_dropped: u64,
    /// Direct connections to other tabs refused or given up, by reason (tabs only).
    pub direct_refused: Vec<(&'static str, u64)>,
}

impl Stats {
    /// Refusals of every reason together.
    pub fn refused_total(&self) -> u64 {
        self.refused.iter().map(|(_, n)| n).sum()
    }
}
