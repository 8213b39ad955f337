//! The catalog: every pack version a peer knows, in the form it syncs to other peers.
//!
//! A catalog is a *base* (an index snapshot holding sequence numbers `1..=base_seq`, served
//! in content-addressed chunks) followed by a *log* of signed entries (pack records and
//! statements about names) accepted since, each taking the next sequence number. A new peer takes the base chunk by chunk, checking every
//! chunk against the hash the [`Head`] lists, then the records since the base; a peer that
//! synced before asks only for the records after the sequence number it reached. Gossip
//! announcements and publishes enter through [`Catalog::accept`], which applies the
//! registry rules ([`Entry::check_against`]).
//!
//! The search [`Index`] over base and log is brought up to date lazily, once per batch of
//! accepted records, not once per record: a log small beside its base is merged into the
//! index ([`crate::index::merge`]), a larger one rebuilt with it.

use alloc::string::ToString;
use alloc::vec::Vec;
use bytes::Bytes;

pub mod head;
pub mod message;

pub use head::{Evidence, HeadError, SignedHead};
pub use message::{MAX_RECORDS_LEN, MessageError, SyncRequest, SyncResponse};

use ed25519_dalek::SigningKey;

use crate::body::content_hash;
use crate::index::merge::merge;
use crate::index::{Index, IndexBuilder, PackRef, SnapshotError};
use crate::name::eq_folded;
use crate::pack::Digest;
use crate::record::{Entry, PackRecord, RecordError};

/// The size of a base chunk (the last may be shorter).
pub const CHUNK_LEN: usize = 256 * 1024;
/// A log of at most one entry per this many indexed versions is merged into the index
/// rather than rebuilt with it: a merged index weighs new packs against the base's average
/// length, which so few barely move.
const MERGE_BELOW: usize = 64;
/// The highest sequence number a base may claim: far past any real log, and a whole number
/// JavaScript holds exactly, so counting on from it never overflows.
pub const MAX_SEQ: u64 = 1 << 53;

/// What a catalog holds, in numbers and hashes: enough to plan a sync.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    /// The sequence number of the newest record.
    pub seq: u64,
    /// The sequence number the base snapshot reaches.
    pub base_seq: u64,
    /// The SHA-256 of each chunk of the base snapshot, in order.
    pub chunks: Vec<Digest>,
    /// The hash of the history up to `seq` ([`head::chain_root`], [`head::chain_link`]).
    pub chain: Digest,
}

/// The answer to "what came after `seq`?".
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Since<'a> {
    /// Entries after `seq`, oldest first; `more` when a size limit cut the list short.
    Records { records: Vec<&'a Entry>, more: bool },
    /// `seq` is before the base (or beyond the head): sync the base again.
    Rebase,
}

/// A base snapshot and the signed entries accepted after it.
#[derive(Debug, Clone)]
pub struct Catalog {
    base_seq: u64,
    /// The base snapshot, which `index` reads its columns from in place.
    base: Bytes,
    chunks: Vec<Digest>,
    log: Vec<Entry>,
    /// The chain over the base and every log entry.
    chain: Digest,
    index: Index,
    /// How many log entries `index` holds; the rest wait for the next rebuild.
    indexed: usize,
}

/// The hash of each of a base's chunks, as a [`Head`] lists them.
fn hash_chunks(base: &[u8]) -> Vec<Digest> {
    base.chunks(CHUNK_LEN).map(content_hash).collect()
}

impl Default for Catalog {
    fn default() -> Self {
        Catalog::from_index(Index::default(), 0)
    }
}

impl Catalog {
    /// A catalog whose base is `snapshot`, reaching sequence number `seq`.
    pub fn from_snapshot(snapshot: impl Into<Bytes>, seq: u64) -> Result<Catalog, SnapshotError> {
        let base = snapshot.into();
        let index = Index::load(base.clone())?;
        let chunks = hash_chunks(&base);
        Ok(Catalog::with_chunks(index, base, seq, chunks))
    }

    /// The catalog this peer stored, from its base as [`Catalog::from_snapshot`] took it
    /// ([`Index::load_kept`]) and the hash of each of its chunks as its [`Head`] listed
    /// them: a start hashed the whole base again, 30 ms for the npm index. The hashes are
    /// taken only if there is one per chunk, and [`Catalog::chunk`] checks a chunk's hash
    /// before serving it, so a damaged list cannot send wrong bytes.
    pub fn from_stored(
        snapshot: impl Into<Bytes>,
        seq: u64,
        chunks: Vec<Digest>,
    ) -> Result<Catalog, SnapshotError> {
        let base = snapshot.into();
        let index = Index::load_kept(base.clone())?;
        let chunks = match chunks.len() == base.len().div_ceil(CHUNK_LEN) {
            true => chunks,
            false => hash_chunks(&base),
        };
        Ok(Catalog::with_chunks(index, base, seq, chunks))
    }

    fn from_index(index: Index, seq: u64) -> Catalog {
        let snapshot: Bytes = index.to_snapshot().into();
        let chunks = hash_chunks(&snapshot);
        Catalog::with_chunks(index, snapshot, seq, chunks)
    }

    fn with_chunks(index: Index, base: Bytes, base_seq: u64, chunks: Vec<Digest>) -> Catalog {
        let chain = head::chain_root(base_seq, &chunks);
        Catalog { base_seq, base, chunks, log: Vec::new(), chain, index, indexed: 0 }
    }

    pub fn head(&self) -> Head {
        Head { seq: self.seq(), base_seq: self.base_seq, chunks: self.chunks.clone(), chain: self.chain }
    }

    fn push(&mut self, entry: Entry) {
        self.chain = head::chain_link(&self.chain, &entry.encode());
        self.log.push(entry);
    }

    /// The sequence number of the newest record.
    pub fn seq(&self) -> u64 {
        self.base_seq + self.log.len() as u64
    }

    /// The base snapshot, whole (shared: cloning it copies nothing).
    pub fn base(&self) -> &Bytes {
        &self.base
    }

    /// The base chunk with this hash (checked: its hash may have come from a store).
    pub fn chunk(&self, hash: &Digest) -> Option<&[u8]> {
        let at = self.chunks.iter().position(|c| c == hash)?;
        self.base.chunks(CHUNK_LEN).nth(at).filter(|chunk| content_hash(chunk) == *hash)
    }

    /// The entries after `seq`, as many as fit in `max_bytes` encoded (at least one).
    pub fn since(&self, seq: u64, max_bytes: usize) -> Since<'_> {
        if seq < self.base_seq || seq > self.seq() {
            return Since::Rebase;
        }
        let after = &self.log[(seq - self.base_seq) as usize..];
        let mut size = 0;
        let fit = after
            .iter()
            .take_while(|r| {
                size += r.encode().len();
                size <= max_bytes
            })
            .count()
            .max(after.len().min(1));
        Since::Records { records: after[..fit].iter().collect(), more: fit < after.len() }
    }

    /// The signed entries accepted since the base, oldest first.
    pub fn log(&self) -> &[Entry] {
        &self.log
    }

    /// Takes an entry that passed [`Entry::decode`] (or [`PackRecord::verify`]) if the
    /// registry rules allow it: answers whether it was new (`false`: this exact version or
    /// statement is already here). Its signature is not checked again, here or at install.
    pub fn accept(&mut self, entry: impl Into<Entry>) -> Result<bool, RecordError> {
        let entry = entry.into();
        // Taken before and heard again (by gossip and then in a DHT put, or in Kademlia's
        // hourly republication): it passed the rules when it was taken, and what changed
        // since (its publisher no longer an owner) does not make it a broken record now.
        if self.holds_exactly(&entry) {
            return Ok(false);
        }
        self.index_pack(entry.name());
        // Signed anew, a version held stays as it is: the rules say whether to refuse it.
        let held = matches!(&entry, Entry::Record(record) if row_of(&self.index, record).is_some());
        entry.check_against(&self.index)?;
        if !held {
            self.push(entry);
        }
        Ok(!held)
    }

    /// Whether this exact version or statement is here already.
    pub fn holds(&mut self, entry: &Entry) -> bool {
        if self.holds_exactly(entry) {
            return true;
        }
        let Entry::Record(record) = entry else { return false };
        self.index_pack(&record.pack.name);
        row_of(&self.index, record).is_some()
    }

    /// Brings the index up to date if the log holds an entry about the pack `name` that
    /// it does not: what the rules and [`Catalog::holds`] read of a pack is then whole.
    fn index_pack(&mut self, name: &str) {
        if self.log[self.indexed..].iter().any(|e| eq_folded(e.name(), name)) {
            self.index();
        }
    }

    /// Whether this very entry, signature and all, is here: waiting in the log or in the
    /// index. It never brings the index up to date (a merge on a large index).
    fn holds_exactly(&self, entry: &Entry) -> bool {
        if self.log[self.indexed..].contains(entry) {
            return true;
        }
        match entry {
            Entry::Statement(s) => self.index.statements_of(&s.name).contains(s),
            Entry::Record(record) => {
                row_of(&self.index, record).is_some_and(|held| held.signature() == Some(&record.signature))
            }
        }
    }

    /// How many pack versions the catalog holds, without bringing the index up to date
    /// (a rebuild of a large base takes a second).
    pub fn versions(&self) -> usize {
        let pending = self.log[self.indexed..].iter().filter(|e| matches!(e, Entry::Record(_))).count();
        self.index.len() + pending
    }

    /// The search index over every record, brought up to date first.
    pub fn index(&mut self) -> &Index {
        if self.indexed < self.log.len() {
            let pending = &self.log[self.indexed..];
            let small = self.log.len() * MERGE_BELOW <= self.index.len();
            let merged = small.then(|| merge(&self.index, pending)).flatten();
            self.index = merged.unwrap_or_else(|| self.rebuilt());
            self.indexed = self.log.len();
        }
        &self.index
    }

    /// An index of every record built whole (a second natively for the npm index).
    fn rebuilt(&self) -> Index {
        let mut builder = IndexBuilder::with_capacity(self.versions());
        // A row that does not convert cannot come from a snapshot this crate wrote.
        for row in self.index.iter() {
            let _ = builder.push_row(row);
        }
        builder.push_statements_of(&self.index);
        // Every log entry passed its decode (or `verify`) on this peer.
        self.log[self.indexed..].iter().cloned().for_each(|entry| builder.push_entry(entry));
        // `accept` keeps versions unique, so the build cannot meet a duplicate.
        builder.build().expect("the catalog holds each version once")
    }

    /// Folds the log into a new base, so a new peer syncs one snapshot instead of many
    /// records. The base is built whole (never merged), so two peers holding the same
    /// records write the same bytes.
    pub fn compact(&mut self) {
        let seq = self.seq();
        let index = self.rebuilt();
        *self = Catalog::from_index(index, seq);
    }

    /// Takes another peer's base (after a sync), with every signed entry this catalog held
    /// that the base lacks (from its own base or its log), so nothing kept is lost. A base
    /// that contradicts one of them (another owner for a name, other contents for a version,
    /// another importer) is refused whole and this catalog stays as it was: a relay cannot
    /// rewrite what this peer has seen by handing it a new base.
    pub fn rebase(&mut self, base: FetchedBase, seq: u64) -> Result<(), RebaseError> {
        if seq > MAX_SEQ {
            return Err(RebaseError::Seq(seq));
        }
        if !base.is_complete() {
            return Err(RebaseError::Snapshot(SnapshotError::Truncated(base.len())));
        }
        let snapshot: Bytes = base.arrived.concat().into();
        let index = Index::load(snapshot.clone())?;
        let mut fresh = Catalog::with_chunks(index, snapshot, seq, base.chunks);
        let held = self.index();
        if let (Some(ours), Some(theirs)) = (held.importer(), fresh.index.importer())
            && ours != theirs
        {
            return Err(RebaseError::Contradicts(RecordError::ImporterChanged));
        }
        // Carried into the new log, where every record counts as checked here: a row of an
        // older base is checked now, and one whose signature fails is no record at all.
        let mut entries: Vec<Entry> = held
            .iter()
            .filter_map(|row| {
                let record = PackRecord { pack: row.to_version().ok()?, signature: *row.signature()? };
                (row.is_checked() || record.verify().is_ok()).then_some(Entry::Record(record))
            })
            .collect();
        entries.extend(held.statements().iter().cloned().map(Entry::Statement));
        if let Some((_, e)) = fresh.accept_all(entries).into_iter().next() {
            return Err(RebaseError::Contradicts(e));
        }
        *self = fresh;
        Ok(())
    }

    /// Takes entries kept elsewhere (a store, an older base), oldest first and again while
    /// any is taken, so a version follows the statement that made its publisher an owner
    /// whatever their dates say. Answers those never taken, with why.
    pub fn accept_all(&mut self, mut entries: Vec<Entry>) -> Vec<(Entry, RecordError)> {
        entries.sort_by_key(Entry::time);
        loop {
            let before = entries.len();
            let mut refused = Vec::new();
            for entry in entries {
                if let Err(e) = self.accept(entry.clone()) {
                    refused.push((entry, e));
                }
            }
            if refused.is_empty() || refused.len() == before {
                return refused;
            }
            entries = refused.into_iter().map(|(entry, _)| entry).collect();
        }
    }
}

/// Why another peer's base was not taken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RebaseError {
    #[error(transparent)]
    Snapshot(#[from] SnapshotError),
    #[error("the base contradicts a signed record this peer holds: {0}")]
    Contradicts(RecordError),
    #[error("the base claims sequence number {0}, past the limit of {MAX_SEQ}")]
    Seq(u64),
}

/// The row of the record's version of its pack, spelled as it is, if `index` holds one.
fn row_of<'a>(index: &'a Index, record: &PackRecord) -> Option<PackRef<'a>> {
    let version = record.pack.version.to_string();
    index
        .versions_of(&record.pack.name)
        .map(|r| index.get(r))
        .find(|held| held.name() == record.pack.name && held.version() == version)
}

impl Catalog {
    /// The answer to a sync request; `epoch` is the serving node's (see [`SignedHead`]), a
    /// head is signed with its `key` at `time` (Unix seconds).
    pub fn answer(&self, request: SyncRequest, epoch: u64, time: u64, key: &SigningKey) -> SyncResponse {
        match request {
            SyncRequest::Head => SyncResponse::Head(SignedHead::sign(epoch, self.head(), time, key)),
            SyncRequest::Chunk(hash) => {
                self.chunk(&hash).map_or(SyncResponse::NotFound, |c| SyncResponse::Chunk(c.to_vec()))
            }
            SyncRequest::Since(seq) => match self.since(seq, MAX_RECORDS_LEN) {
                Since::Records { records, more } => {
                    SyncResponse::Records { records: records.iter().map(|r| r.encode()).collect(), more }
                }
                Since::Rebase => SyncResponse::Rebase,
            },
            // Taking an entry is a peer's decision ([`crate::peer::Peer::answer`]).
            SyncRequest::Offer(_) => SyncResponse::Refused("this peer takes no offers".into()),
        }
    }
}

/// A base arriving from a peer chunk by chunk, in order, each checked against the hash the
/// peer's head listed for it as it arrives. Every chunk but the last must be [`CHUNK_LEN`]
/// long, as a base is cut, so the list is the base's own and [`Catalog::rebase`] need not
/// hash 55 MB again. The chunks are kept as they came and joined once, when whole.
#[derive(Clone, Default)]
pub struct FetchedBase {
    chunks: Vec<Digest>,
    /// The chunks that arrived, in order.
    arrived: Vec<Vec<u8>>,
}

/// Counts, not 55 MB of bytes.
impl core::fmt::Debug for FetchedBase {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("FetchedBase")
            .field("chunks", &self.chunks.len())
            .field("arrived", &self.arrived.len())
            .field("bytes", &self.len())
            .finish()
    }
}

impl FetchedBase {
    /// A base to fetch: the hashes of its chunks, from the head of the peer serving it.
    pub fn new(chunks: Vec<Digest>) -> Self {
        FetchedBase { chunks, arrived: Vec::new() }
    }

    /// A base held whole (hashed here).
    pub fn whole(snapshot: Vec<u8>) -> Self {
        let arrived = snapshot.chunks(CHUNK_LEN).map(<[u8]>::to_vec).collect();
        FetchedBase { chunks: hash_chunks(&snapshot), arrived }
    }

    /// Takes the next chunk if `sha256`, its SHA-256 as this peer worked it out (never a
    /// hash the serving peer sent with it), is the one the head listed for it, and it is as
    /// long as its place asks; answers whether it was taken. The hashing is the caller's so
    /// that a tab can hand it to the browser ([`content_hash`] elsewhere).
    pub fn push(&mut self, chunk: Vec<u8>, sha256: Digest) -> bool {
        let Some(hash) = self.chunks.get(self.arrived.len()) else { return false };
        let last = self.arrived.len() + 1 == self.chunks.len();
        let fits =
            if last { !chunk.is_empty() && chunk.len() <= CHUNK_LEN } else { chunk.len() == CHUNK_LEN };
        if !fits || sha256 != *hash {
            return false;
        }
        self.arrived.push(chunk);
        true
    }

    /// Whether every chunk has arrived.
    pub fn is_complete(&self) -> bool {
        self.arrived.len() == self.chunks.len()
    }

    /// The bytes that arrived so far.
    pub fn len(&self) -> usize {
        self.arrived.iter().map(Vec::len).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.arrived.is_empty()
    }
}

#[cfg(test)]
pub(crate) mod tests;
