//! What a peer refused, from whom and why: counted per reason, reported once per peer and
//! reason, so a hostile peer repeating itself costs one log line, not one per message.

use alloc::collections::{BTreeMap, BTreeSet};
use alloc::string::String;

/// Why input from a peer was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Reason {
    /// Bytes that do not decode as a record (or do not verify).
    BadRecord,
    /// A valid record that breaks the registry rules (a name owned by another key, a
    /// version republished with other contents).
    BrokenRules,
    /// A DHT record stored under another pack's key, or outside Souk's key space.
    MisplacedRecord,
    /// A body whose hash is not the one asked for.
    WrongBody,
    /// A fetch that failed on the wire (a broken or oversized answer, a timeout).
    FailedFetch,
    /// A sync answer that is not what was asked for.
    BadSyncAnswer,
    /// A base snapshot that does not load.
    BadSnapshot,
    /// A base snapshot that contradicts a signed record this peer holds (another owner for
    /// a name, other contents for a version): a forged or forked history.
    ContradictingBase,
    /// A signed head whose log went back from one taken before.
    Rollback,
    /// A signed head with another chain at a point of history taken before.
    Fork,
    /// Input past a limit of this peer's (a base of too many chunks).
    TooLarge,
    /// Requests past a peer's rate ([`super::Rates`]).
    TooManyRequests,
    /// New entries past their publisher's quota: not taken now, held against no one.
    OverQuota,
}

impl Reason {
    /// Every reason, for counters that list zeros too.
    pub const ALL: [Reason; 13] = [
        Reason::BadRecord,
        Reason::BrokenRules,
        Reason::MisplacedRecord,
        Reason::WrongBody,
        Reason::FailedFetch,
        Reason::BadSyncAnswer,
        Reason::BadSnapshot,
        Reason::ContradictingBase,
        Reason::Rollback,
        Reason::Fork,
        Reason::TooLarge,
        Reason::TooManyRequests,
        Reason::OverQuota,
    ];

    /// A stable name, for logs and metric labels.
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::BadRecord => "bad_record",
            Reason::BrokenRules => "broken_rules",
            Reason::MisplacedRecord => "misplaced_record",
            Reason::WrongBody => "wrong_body",
            Reason::FailedFetch => "failed_fetch",
            Reason::BadSyncAnswer => "bad_sync_answer",
            Reason::BadSnapshot => "bad_snapshot",
            Reason::ContradictingBase => "contradicting_base",
            Reason::Rollback => "rollback",
            Reason::TooLarge => "too_large",
            Reason::Fork => "fork",
            Reason::TooManyRequests => "too_many_requests",
            Reason::OverQuota => "over_quota",
        }
    }
}

/// One refusal worth reporting: the first of its peer and reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal<P> {
    pub peer: P,
    pub reason: Reason,
    pub detail: String,
}

/// How many (peer, reason) pairs are remembered as reported; past that the memory starts
/// over, so a flood of fresh peer ids cannot grow it without bound.
const REMEMBERED: usize = 4096;

/// The counters and the memory of what was reported.
#[derive(Debug, Clone)]
pub(crate) struct Refusals<P> {
    counts: BTreeMap<Reason, u64>,
    reported: BTreeSet<(P, Reason)>,
}

impl<P: Ord> Default for Refusals<P> {
    fn default() -> Self {
        Refusals { counts: BTreeMap::new(), reported: BTreeSet::new() }
    }
}

impl<P: Ord + Clone> Refusals<P> {
    /// Counts a refusal; answers whether it is the first of its peer and reason.
    pub(crate) fn count(&mut self, peer: &P, reason: Reason) -> bool {
        *self.counts.entry(reason).or_default() += 1;
        if self.reported.len() >= REMEMBERED {
            self.reported.clear();
        }
        self.reported.insert((peer.clone(), reason))
    }

    pub(crate) fn of(&self, reason: Reason) -> u64 {
        self.counts.get(&reason).copied().unwrap_or(0)
    }
}
