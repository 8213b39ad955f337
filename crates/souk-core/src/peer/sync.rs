//! Where an index sync with a peer starts: from the cursor of the last sync with it while
//! that peer still numbers its log the same way, else from its base (fetched only when this
//! peer's base differs).

use alloc::vec::Vec;

use crate::catalog::head::{chain_link, chain_root};
use crate::catalog::{Head, SignedHead};
use crate::pack::Digest;
use crate::wire::Reader;

/// What a sync with one peer reached: valid while the peer keeps its epoch and base.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    pub epoch: u64,
    pub chunks: Vec<Digest>,
    pub seq: u64,
    /// The peer's chain at `seq`, as this peer folded it from what it was served.
    pub chain: Digest,
}

impl Cursor {
    /// Epoch, sequence number, chain, then the chunks, for a peer's own storage.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(48 + 32 * self.chunks.len());
        out.extend_from_slice(&self.epoch.to_le_bytes());
        out.extend_from_slice(&self.seq.to_le_bytes());
        out.extend_from_slice(&self.chain);
        self.chunks.iter().for_each(|chunk| out.extend_from_slice(chunk));
        out
    }

    /// Reads [`Cursor::encode`]'s output; `None` for anything else.
    pub fn decode(bytes: &[u8]) -> Option<Cursor> {
        let mut r = Reader(bytes);
        let (epoch, seq, chain) = (r.u64().ok()?, r.u64().ok()?, r.array().ok()?);
        let chunks = bytes.get(48..)?;
        let chunks = chunks.as_chunks::<32>();
        chunks.1.is_empty().then(|| Cursor { epoch, chunks: chunks.0.to_vec(), seq, chain })
    }
}

/// A sync under way: the head it follows, and how far the records served have come.
#[derive(Debug, Clone)]
pub(crate) struct Syncing {
    pub head: SignedHead,
    pub seq: u64,
    pub chain: Digest,
}

impl Syncing {
    /// Folds the next record served into the chain, up to the head's sequence number.
    pub fn take(&mut self, record: &[u8]) {
        if self.seq < self.head.head.seq {
            self.chain = chain_link(&self.chain, record);
            self.seq += 1;
        }
    }
}

/// How a sync goes on from a peer's head.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SyncStart {
    /// Fetch the peer's base (these chunks), then its records after `base_seq`.
    Base { chunks: Vec<Digest>, base_seq: u64 },
    /// Ask for the records after `seq`.
    Since(u64),
}

/// The start for a peer whose head is `head` in `epoch`, given the last cursor with it and
/// this peer's own base chunks; and the peer's chain where the sync starts.
pub(crate) fn start(
    cursor: Option<&Cursor>,
    own_chunks: &[Digest],
    epoch: u64,
    head: &Head,
) -> (SyncStart, Digest) {
    let root = chain_root(head.base_seq, &head.chunks);
    match cursor {
        Some(c) if c.epoch == epoch && c.chunks == head.chunks && c.seq <= head.seq => {
            (SyncStart::Since(c.seq), c.chain)
        }
        _ if own_chunks == head.chunks.as_slice() => (SyncStart::Since(head.base_seq), root),
        _ => (SyncStart::Base { chunks: head.chunks.clone(), base_seq: head.base_seq }, root),
    }
}
