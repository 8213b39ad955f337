//! A peer's decisions, with no I/O: what to keep, replace, forward, penalise and retry.
//!
//! As `quinn-proto` is to `quinn`, a [`Peer`] is the state machine a network shell drives:
//!
//! - **In** (`handle_*`): what happened, with `now` in milliseconds on the shell's clock: a
//!   record arrived by gossip, a DHT put, a lookup or a sync; a fetch attempt ended; a base
//!   snapshot arrived; a sync reached a sequence number.
//! - **Answers**: each `handle_*` says at once what the shell needs to go on (a verdict to
//!   hand gossipsub, the next peer to ask, the record a lookup found).
//! - **Out** ([`Peer::poll_action`]): the side effects to carry out, in order: keep a record
//!   and tell subscribers, offer a record to the DHT store, announce one, save a peer's
//!   reputation, report a refusal.
//!
//! Every rule a peer follows on network input lives here and is tested with simulated time
//! and no sockets (`tests.rs`); the shell (souk-net's `Node`) only moves bytes and events.

use alloc::boxed::Box;
use alloc::collections::{BTreeMap, VecDeque};
use alloc::string::ToString;
use alloc::vec::Vec;

use ed25519_dalek::SigningKey;

pub mod dht;
mod fetch;
mod rate;
mod refusal;
mod sync;

pub use fetch::{FetchAnswer, FetchPlan, FetchStep};
use rate::Buckets;
pub use rate::{Rate, Rates, Request, Took};
pub use refusal::{Reason, Refusal};
use sync::Syncing;
pub use sync::{Cursor, SyncStart};

use crate::cache::{CacheConfig, CacheStats, TieredCache};
use crate::catalog::head::{self, HeadError, SignedHead};
use crate::catalog::{Catalog, FetchedBase, Head, RebaseError, SyncRequest, SyncResponse};
use crate::index::Index;
use crate::name::{eq_folded, fold_byte};
use crate::pack::Digest;
use crate::record::{Entry, PackRecord, RecordError};
use crate::reputation::{PeerRecord, Reputation};
use refusal::Refusals;

/// A relay's catalog log longer than this is folded into a new base when it starts (its
/// base is what new peers sync). Any other peer folds any log it starts with: its index
/// over a large base is rebuilt whenever entries sit on top of it (two seconds on the npm
/// index, every CLI run), and a folded base is read in one piece the next time; its sync
/// cursors ([`Action::SaveCursor`]) say where to resume, whatever its base.
pub const COMPACT_AFTER: usize = 64;

/// How a record reached this peer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    /// Published here.
    Publish,
    /// A gossip announcement.
    Gossip,
    /// A DHT put from another peer.
    Dht,
    /// A DHT lookup's answer.
    Lookup,
    /// An index sync.
    Sync,
    /// Offered by its signer, directly.
    Offer,
}

/// What the shell carries out, in order.
#[derive(Debug, Clone, PartialEq)]
pub enum Action<P> {
    /// A record or statement new to this peer: keep it in the store and tell subscribers.
    Learned { entry: Entry, from: Option<P>, via: Via },
    /// Offer a record to the local DHT store, which keeps it if [`dht::replaces`] says so.
    KeepInDht(PackRecord),
    /// Gossip these entry bytes (a relay passing on what a publisher put in the DHT or
    /// offered it).
    Announce(Vec<u8>),
    /// A peer's reputation changed: persist it.
    SaveReputation(P, PeerRecord),
    /// The catalog's base changed: persist it.
    SaveBase,
    /// A sync with this peer reached here: persist it, after what the sync brought (the
    /// actions before it), so a later run resumes from it ([`Peer::resume`]).
    SaveCursor(P, Cursor),
    /// The first refusal of this peer for this reason: report it.
    Refused(Refusal<P>),
    /// This peer's reputation fell below [`PeerConfig::ban_below`]: disconnect it and
    /// refuse its connections for a while (how long is the shell's setting).
    Ban(P),
}

/// Whether a record was taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Valid and new to this peer.
    New,
    /// Valid, and already here.
    Known,
    /// Refused (and counted against its sender).
    Refused,
    /// Not taken now, and held against no one: its publisher's key is over its quota.
    Ignored,
}

impl Verdict {
    pub fn is_valid(self) -> bool {
        matches!(self, Verdict::New | Verdict::Known)
    }

    pub fn is_new(self) -> bool {
        self == Verdict::New
    }

    fn of(taken: &Result<bool, RecordError>) -> Verdict {
        match taken {
            Ok(true) => Verdict::New,
            Ok(false) => Verdict::Known,
            Err(RecordError::OverQuota) => Verdict::Ignored,
            Err(_) => Verdict::Refused,
        }
    }
}

/// What the lookup cache holds, by folded name or content hash.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Lookup {
    Record(Vec<u8>),
    Providers(Digest),
}

#[derive(Debug, Clone)]
enum Answer<P> {
    Record(Box<PackRecord>),
    Providers(Vec<P>),
}

/// How a peer is set up.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PeerConfig {
    /// Relays announce by gossip what publishers put in the DHT, so peers whose gossip
    /// never reached the publisher still hear of it.
    pub relay: bool,
    pub cache: CacheConfig,
    /// A head signed longer ago than this (seconds) is reported stale: its peer may be
    /// replaying an old view (TUF's timestamp role).
    pub max_head_age: u64,
    /// The most base chunks ([`crate::catalog::CHUNK_LEN`] each) a sync takes from a peer:
    /// a head announcing more is refused before anything is fetched.
    pub max_base_chunks: usize,
    /// A peer whose reputation score falls below this is banned ([`Action::Ban`]).
    pub ban_below: f64,
    /// How often peers may ask, and publishers bring new entries.
    pub rates: Rates,
}

impl Default for PeerConfig {
    fn default() -> Self {
        PeerConfig {
            relay: false,
            cache: CacheConfig::default(),
            max_head_age: 24 * 60 * 60,
            // 512 MiB: twice a million records' base.
            max_base_chunks: 2048,
            // About 19 refusals with nothing served well in between.
            ban_below: 0.05,
            rates: Rates::default(),
        }
    }
}

/// How many contradictions are kept as evidence; the oldest go first.
const EVIDENCE_KEPT: usize = 64;

/// A peer's state: its catalog, what it has learned of other peers, its lookup cache and
/// its sync cursors. `P` is the shell's peer id.
#[derive(Debug)]
pub struct Peer<P: Ord> {
    config: PeerConfig,
    catalog: Catalog,
    reputation: Reputation<P>,
    cache: TieredCache<Lookup, Answer<P>>,
    cursors: BTreeMap<P, Cursor>,
    /// The last head taken from each peer, and the contradictions caught.
    heads: BTreeMap<P, SignedHead>,
    syncing: BTreeMap<P, Syncing>,
    evidence: VecDeque<(P, HeadError)>,
    refusals: Refusals<P>,
    /// A bucket per peer and kind of request, and per publisher's key.
    requests: Buckets<(P, Request)>,
    publishers: Buckets<Digest>,
    /// The shell's clock, in milliseconds ([`Peer::tick`]).
    now: u64,
    actions: VecDeque<Action<P>>,
}

impl<P: Ord + Clone> Peer<P> {
    /// A peer starting from what its store kept: the catalog's base, every entry it
    /// accepted (oldest first into the catalog, each record offered to the DHT store) and
    /// the reputation of other peers. A log is folded into the base ([`COMPACT_AFTER`]).
    pub fn start(
        catalog: Catalog,
        entries: Vec<Entry>,
        reputation: impl IntoIterator<Item = (P, PeerRecord)>,
        config: PeerConfig,
    ) -> (Peer<P>, Vec<(Entry, RecordError)>) {
        let mut peer = Peer {
            config,
            catalog,
            reputation: Reputation::from_records(reputation),
            cache: TieredCache::new(config.cache),
            cursors: BTreeMap::new(),
            heads: BTreeMap::new(),
            syncing: BTreeMap::new(),
            evidence: VecDeque::new(),
            refusals: Refusals::default(),
            requests: Buckets::default(),
            publishers: Buckets::default(),
            now: 0,
            actions: VecDeque::new(),
        };
        for entry in &entries {
            if let Entry::Record(record) = entry {
                peer.actions.push_back(Action::KeepInDht(record.clone()));
            }
        }
        let broken = peer.catalog.accept_all(entries);
        let keep = if peer.config.relay { COMPACT_AFTER } else { 0 };
        if peer.catalog.log().len() > keep {
            peer.catalog.compact();
            peer.actions.push_back(Action::SaveBase);
        }
        (peer, broken)
    }

    /// The next thing to carry out.
    pub fn poll_action(&mut self) -> Option<Action<P>> {
        self.actions.pop_front()
    }

    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    /// The index over the whole catalog, brought up to date first.
    pub fn index(&mut self) -> &Index {
        self.catalog.index()
    }

    pub fn head(&self) -> Head {
        self.catalog.head()
    }

    pub fn reputation(&self, peer: &P) -> PeerRecord {
        self.reputation.get(peer)
    }

    pub fn cache_stats(&self) -> CacheStats {
        self.cache.stats()
    }

    /// Refusals counted of one reason.
    pub fn refused_for(&self, reason: Reason) -> u64 {
        self.refusals.of(reason)
    }

    /// Entry bytes from `from` (gossip or sync): decoded, checked and taken if the rules
    /// allow; anything else is counted against the sender.
    pub fn handle_record(&mut self, from: P, via: Via, bytes: &[u8]) -> Verdict {
        if via == Via::Sync
            && let Some(syncing) = self.syncing.get_mut(&from)
        {
            syncing.take(bytes);
        }
        Verdict::of(&self.handle_entry(from, via, bytes))
    }

    /// An entry `from` offers this peer directly (a publisher's statement): taken as one
    /// from gossip is, and a relay announces it if it is new. The error is the answer.
    pub fn handle_offer(&mut self, from: P, bytes: &[u8]) -> Result<bool, RecordError> {
        let new = self.handle_entry(from, Via::Offer, bytes)?;
        if new && self.config.relay {
            self.actions.push_back(Action::Announce(bytes.to_vec()));
        }
        Ok(new)
    }

    /// The answer to a sync request from `from`: an offer is taken or refused here, the
    /// rest answered from the catalog ([`Catalog::answer`]).
    pub fn answer(
        &mut self,
        from: P,
        request: SyncRequest,
        epoch: u64,
        time: u64,
        key: &SigningKey,
    ) -> SyncResponse {
        match request {
            SyncRequest::Offer(bytes) => match self.handle_offer(from, &bytes) {
                Ok(new) => SyncResponse::Taken { new },
                Err(e) => SyncResponse::Refused(e.to_string()),
            },
            request => self.catalog.answer(request, epoch, time, key),
        }
    }

    fn handle_entry(&mut self, from: P, via: Via, bytes: &[u8]) -> Result<bool, RecordError> {
        match Entry::decode(bytes) {
            Ok(entry) => self.take(Some(from), entry, via),
            Err(e) => {
                self.refuse(from, Reason::BadRecord, &e);
                Err(e)
            }
        }
    }

    /// A DHT put from `from`: only a valid record under its own pack's key is taken. A relay
    /// announces a record new to it.
    pub fn handle_dht_put(&mut self, from: P, key: &[u8], bytes: &[u8]) -> Verdict {
        if !key.starts_with(dht::RECORD_PREFIX) {
            self.refuse(from, Reason::MisplacedRecord, &"a DHT record outside Souk's key space");
            return Verdict::Refused;
        }
        let record = match PackRecord::decode(bytes) {
            Ok(record) => record,
            Err(e) => {
                self.refuse(from, Reason::BadRecord, &e);
                return Verdict::Refused;
            }
        };
        if key != dht::record_key(&record.pack.name) {
            self.refuse(from, Reason::MisplacedRecord, &"a DHT record stored under another pack's key");
            return Verdict::Refused;
        }
        let taken = self.take(Some(from), record.into(), Via::Dht);
        if taken == Ok(true) && self.config.relay {
            self.actions.push_back(Action::Announce(bytes.to_vec()));
        }
        Verdict::of(&taken)
    }

    /// A record this peer publishes: it must carry `body_hash` and pass every rule.
    pub fn publish(&mut self, record: PackRecord, body_hash: Digest) -> Result<(), PublishError> {
        if record.pack.content_hash != Some(body_hash) {
            return Err(PublishError::WrongBody);
        }
        record.verify()?;
        if self.catalog.accept(record.clone())? {
            self.learned(record.clone().into(), None, Via::Publish);
        }
        self.actions.push_back(Action::KeepInDht(record));
        Ok(())
    }

    /// A statement this peer's user signed (an owner added or removed, a version yanked):
    /// taken if it applies; answers whether it was new here.
    pub fn publish_statement(&mut self, statement: crate::record::Statement) -> Result<bool, RecordError> {
        let new = self.catalog.accept(statement.clone())?;
        if new {
            self.learned(statement.into(), None, Via::Publish);
        }
        Ok(new)
    }

    /// A cached answer to a lookup of `name`.
    pub fn cached_record(&mut self, name: &str, now: u64) -> Option<PackRecord> {
        match self.cache.get(&Lookup::Record(folded(name)), now)? {
            Answer::Record(record) => Some(*record),
            Answer::Providers(_) => None,
        }
    }

    /// What a DHT lookup of `name` found under `key`: the record if it passes every check
    /// (valid, of the name asked for, not a squatter's copy of a name this peer's index
    /// gives another key), taken into the catalog and cached. Lookups return whatever the
    /// DHT holds, so a bad answer is skipped, not blamed.
    pub fn handle_found(
        &mut self,
        name: &str,
        key: &[u8],
        bytes: &[u8],
        from: Option<P>,
        now: u64,
    ) -> Option<PackRecord> {
        let record = PackRecord::decode(bytes).ok()?;
        if !eq_folded(&record.pack.name, name) || key != dht::record_key(name).as_slice() {
            return None;
        }
        record.check_against(self.catalog.index()).ok()?;
        if self.catalog.accept(record.clone()) == Ok(true) {
            self.learned(record.clone().into(), from, Via::Lookup);
        }
        // Cached after `learned`, which clears what the cache held for the name.
        self.cache.insert(
            Lookup::Record(folded(&record.pack.name)),
            Answer::Record(Box::new(record.clone())),
            now,
        );
        Some(record)
    }

    /// Cached providers of a body.
    pub fn cached_providers(&mut self, hash: Digest, now: u64) -> Option<Vec<P>> {
        match self.cache.get(&Lookup::Providers(hash), now)? {
            Answer::Providers(peers) => Some(peers),
            Answer::Record(_) => None,
        }
    }

    /// Providers the DHT named for a body.
    pub fn handle_providers(&mut self, hash: Digest, peers: Vec<P>, now: u64) {
        self.cache.insert(Lookup::Providers(hash), Answer::Providers(peers), now);
    }

    /// A plan to fetch `hash` from `peers`, best first by reputation.
    pub fn plan_fetch(&self, hash: Digest, mut peers: Vec<P>) -> FetchPlan<P> {
        self.reputation.rank(&mut peers);
        FetchPlan::new(hash, peers)
    }

    /// How the peer `plan` asked answered: the reputation learns (latency on success, a
    /// failure on a lie, a broken answer or a second interruption running; not holding the
    /// body, or a connection closing under the request once, is no fault), and the plan
    /// moves to the next peer unless the body arrived, or the request was interrupted and
    /// the peer not yet asked again.
    pub fn handle_fetch_answer(
        &mut self,
        plan: &mut FetchPlan<P>,
        answer: FetchAnswer,
        now: u64,
    ) -> FetchStep<P> {
        let Some((peer, asked)) = plan.current().cloned() else { return FetchStep::GiveUp };
        match answer {
            FetchAnswer::Served => {
                self.reputation.succeeded(&peer, now.saturating_sub(asked) as f64);
                self.actions.push_back(Action::SaveReputation(peer.clone(), self.reputation.get(&peer)));
                return FetchStep::Done;
            }
            FetchAnswer::Missing => {}
            FetchAnswer::Interrupted => match plan.again(now) {
                Some(again) => return FetchStep::Try(again),
                // Cut off twice running: the peer's doing, as far as can be told (one that
                // resets every request must not stay first in the ranking).
                None => self.refuse(peer, Reason::FailedFetch, &"a fetch cut off twice"),
            },
            FetchAnswer::WrongBody => self.refuse(peer, Reason::WrongBody, &"a body whose hash is another"),
            FetchAnswer::Failed => self.refuse(peer, Reason::FailedFetch, &"a fetch that failed"),
        }
        plan.advance(now).map_or(FetchStep::GiveUp, FetchStep::Try)
    }

    /// Where a sync with `from` starts, given the head it signed with `key` (its ed25519
    /// public key). A head that is not `from`'s, or that announces a base past
    /// [`PeerConfig::max_base_chunks`], is refused; one that contradicts the last head taken
    /// from it (its log went back, or one point in its history has two chains) too, and the
    /// two heads are kept as evidence ([`Peer::evidence`]). A refused sync goes no further.
    pub fn sync_start(
        &mut self,
        from: &P,
        key: &[u8; 32],
        signed: &SignedHead,
    ) -> Result<SyncStart, HeadError> {
        if !signed.verify(key) {
            self.refuse(from.clone(), Reason::BadSyncAnswer, &HeadError::BadSignature);
            return Err(HeadError::BadSignature);
        }
        let (chunks, limit) = (signed.head.chunks.len(), self.config.max_base_chunks);
        if chunks > limit {
            let e = HeadError::TooLarge { chunks, limit };
            self.refuse(from.clone(), Reason::TooLarge, &e);
            return Err(e);
        }
        if let Err(e) = head::check(self.heads.get(from), signed) {
            let reason = if matches!(e, HeadError::Rollback(_)) { Reason::Rollback } else { Reason::Fork };
            self.refuse(from.clone(), reason, &e);
            self.keep_evidence(from.clone(), e.clone());
            return Err(e);
        }
        self.heads.insert(from.clone(), signed.clone());
        let (start, chain) =
            sync::start(self.cursors.get(from), &self.catalog.head().chunks, signed.epoch, &signed.head);
        let seq = match start {
            SyncStart::Since(seq) => seq,
            SyncStart::Base { base_seq, .. } => base_seq,
        };
        self.syncing.insert(from.clone(), Syncing { head: signed.clone(), seq, chain });
        Ok(start)
    }

    /// How many seconds past [`PeerConfig::max_head_age`] a head signed at `time` is at
    /// `now` (both Unix seconds): `None` while it is fresh.
    pub fn stale_by(&self, time: u64, now: u64) -> Option<u64> {
        now.saturating_sub(time).checked_sub(self.config.max_head_age).filter(|&late| late > 0)
    }

    /// The last head taken from `peer`, to keep across runs.
    pub fn last_head(&self, peer: &P) -> Option<&SignedHead> {
        self.heads.get(peer)
    }

    /// A head taken from `peer` in an earlier run (from this peer's own storage): the next
    /// head from it must not contradict it.
    pub fn remember_head(&mut self, peer: P, head: SignedHead) {
        self.heads.insert(peer, head);
    }

    /// Where the last sync with `peer` reached, in an earlier run (from this peer's own
    /// storage, [`Action::SaveCursor`]): the next sync with it starts there.
    pub fn resume(&mut self, peer: P, cursor: Cursor) {
        self.cursors.insert(peer, cursor);
    }

    /// The contradictions caught, each with its two signed heads, oldest first.
    pub fn evidence(&self) -> impl Iterator<Item = &(P, HeadError)> {
        self.evidence.iter()
    }

    /// A base snapshot synced from `from`, reaching `seq`: taken with every signed record
    /// this peer held that it lacks. A snapshot that does not load, or that contradicts a
    /// signed record held here, is counted against `from` and changes nothing.
    pub fn handle_base(&mut self, from: P, base: FetchedBase, seq: u64) -> Result<(), RebaseError> {
        let taken = self.catalog.rebase(base, seq);
        match &taken {
            Ok(()) => self.actions.push_back(Action::SaveBase),
            Err(e @ (RebaseError::Snapshot(_) | RebaseError::Seq(_))) => {
                self.refuse(from, Reason::BadSnapshot, e)
            }
            Err(e @ RebaseError::Contradicts(_)) => self.refuse(from, Reason::ContradictingBase, e),
        }
        taken
    }

    /// A sync with `from` has received every record it will: the next one starts where it
    /// reached. Records that reached the head's sequence number must have folded into the
    /// chain it signed; if they did not, the peer served another history than it signed
    /// (kept as evidence, the cursor not moved).
    pub fn handle_synced(&mut self, from: P) -> Result<(), HeadError> {
        let Some(s) = self.syncing.remove(&from) else { return Ok(()) };
        if s.seq == s.head.head.seq && s.chain != s.head.head.chain {
            let e = HeadError::Unchained(Box::new(s.head));
            self.refuse(from.clone(), Reason::Fork, &e);
            self.keep_evidence(from, e.clone());
            return Err(e);
        }
        let head = s.head;
        let cursor = Cursor { epoch: head.epoch, chunks: head.head.chunks, seq: s.seq, chain: s.chain };
        self.cursors.insert(from.clone(), cursor.clone());
        self.actions.push_back(Action::SaveCursor(from, cursor));
        Ok(())
    }

    fn keep_evidence(&mut self, from: P, e: HeadError) {
        if self.evidence.len() == EVIDENCE_KEPT {
            self.evidence.pop_front();
        }
        self.evidence.push_back((from, e));
    }

    /// Counts `reason` against `peer`: its reputation drops, the first refusal of each peer
    /// and reason is reported, and a peer whose reputation falls too low is banned.
    pub fn refuse(&mut self, peer: P, reason: Reason, detail: &dyn core::fmt::Display) {
        self.reputation.failed(&peer);
        let record = self.reputation.get(&peer);
        self.actions.push_back(Action::SaveReputation(peer.clone(), record));
        self.count_refusal(peer.clone(), reason, detail);
        if record.score() < self.config.ban_below {
            self.actions.push_back(Action::Ban(peer));
        }
    }

    /// Counts a refusal, and reports the first of its peer and reason.
    fn count_refusal(&mut self, peer: P, reason: Reason, detail: &dyn core::fmt::Display) {
        if self.refusals.count(&peer, reason) {
            let detail = detail.to_string();
            self.actions.push_back(Action::Refused(Refusal { peer, reason, detail }));
        }
    }

    /// Sets the shell's clock (milliseconds, from any origin; it never goes back): what
    /// request rates and publish quotas refill by. A shell ticks before each event.
    pub fn tick(&mut self, now: u64) {
        self.now = self.now.max(now);
    }

    /// Whether `peer` may have `request` served now ([`Rates`]); one past its rate is
    /// dropped and counted, and costs the peer's reputation nothing: an honest peer that
    /// runs ahead of its rate (a large install, Kademlia's hourly replication) only waits.
    /// One that keeps asking fetches or syncs regardless ([`Took::Flood`]) is banned:
    /// dropping its requests one by one still costs a stream each, tens of thousands a second.
    pub fn admit(&mut self, peer: P, request: Request) -> bool {
        let rate = self.config.rates.of(request);
        let took = self.requests.take(&(peer.clone(), request), rate, self.now);
        if took == Took::Token {
            return true;
        }
        let detail = alloc::format!("more than {} {request:?} requests a second", rate.per_second);
        self.count_refusal(peer.clone(), Reason::TooManyRequests, &detail);
        // Kademlia's replication puts a node's records without waiting on each (a hundred
        // queries at once, each failing fast when dropped): DHT writes are only dropped.
        if took == Took::Flood && request != Request::DhtWrite {
            self.actions.push_back(Action::Ban(peer));
        }
        false
    }

    /// Takes a decoded entry if the registry rules allow it: answers whether it was new.
    /// An entry new here that came straight from its publisher's side (not history from a
    /// sync) spends a token of its signer's quota; with none left it waits, held against no one.
    fn take(&mut self, from: Option<P>, entry: Entry, via: Via) -> Result<bool, RecordError> {
        let quota = matches!(via, Via::Gossip | Via::Dht | Via::Offer).then(|| entry.signer());
        if let Some(signer) = quota
            && !self.publishers.has_token(&signer, self.now)
            && !self.catalog.holds(&entry)
        {
            if let Some(from) = from {
                self.count_refusal(from, Reason::OverQuota, &RecordError::OverQuota);
            }
            return Err(RecordError::OverQuota);
        }
        match self.catalog.accept(entry.clone()) {
            Ok(new) => {
                if new {
                    if let Some(signer) = quota {
                        self.publishers.take(&signer, self.config.rates.publish, self.now);
                    }
                    self.learned(entry.clone(), from, via);
                }
                if let Entry::Record(record) = entry {
                    self.actions.push_back(Action::KeepInDht(record));
                }
                Ok(new)
            }
            Err(e) => {
                if let Some(from) = from {
                    self.refuse(from, Reason::BrokenRules, &e);
                }
                Err(e)
            }
        }
    }

    fn learned(&mut self, entry: Entry, from: Option<P>, via: Via) {
        self.cache.remove(&Lookup::Record(folded(entry.name())));
        self.actions.push_back(Action::Learned { entry, from, via });
    }
}

/// Why this peer's own publish was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PublishError {
    #[error("the body does not match the record's hash")]
    WrongBody,
    #[error(transparent)]
    Record(#[from] RecordError),
}

fn folded(name: &str) -> Vec<u8> {
    name.bytes().map(fold_byte).collect()
}

#[cfg(test)]
mod tests;
