//! What a peer keeps: pack bodies by content hash, every entry it accepted, the base of
//! its catalog and what it learned of other peers. The node writes through on every change,
//! so a peer that stops loses nothing; each shell brings its own [`Store`] (redb natively,
//! IndexedDB in a tab), and [`MemoryStore`] serves tests and short-lived peers.

use std::collections::{BTreeMap, HashMap};

use bytes::Bytes;
use libp2p::PeerId;
use souk_core::Digest;
use souk_core::body::content_hash;
use souk_core::catalog::Catalog;
use souk_core::peer::Cursor;
use souk_core::record::Entry;
use souk_core::reputation::PeerRecord;

use crate::dht::{DhtLimits, DhtTables};

/// A store that could not read or write.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("storage failed: {0}")]
pub struct StoreError(pub String);

/// A catalog base: an index snapshot, the sequence number it reaches, and the hash of each
/// of its chunks as the catalog last computed them (empty where a store does not keep them):
/// kept so that a start does not hash the whole base again.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Base {
    pub snapshot: Bytes,
    pub seq: u64,
    pub chunks: Vec<Digest>,
}

impl Base {
    /// Chunk hashes as a store keeps them: end to end.
    pub fn chunks_to_bytes(chunks: &[Digest]) -> Vec<u8> {
        chunks.concat()
    }

    /// Chunk hashes [`Base::chunks_to_bytes`] kept (a torn tail dropped: a list of the
    /// wrong length is not taken, and the base is hashed again).
    pub fn chunks_from_bytes(bytes: &[u8]) -> Vec<Digest> {
        bytes.as_chunks().0.to_vec()
    }
}

pub trait Store: Send + 'static {
    fn body(&self, hash: &Digest) -> Result<Option<Vec<u8>>, StoreError>;
    /// The hash of every body kept (without reading the bodies).
    fn body_hashes(&self) -> Result<Vec<Digest>, StoreError>;
    /// Keeps `body`; answers its content hash.
    fn put_body(&mut self, body: Vec<u8>) -> Result<Digest, StoreError>;
    /// Every entry kept (records and statements), in any order.
    fn entries(&self) -> Result<Vec<Entry>, StoreError>;
    /// Keeps entries, each under [`Entry::key`], all or none: a sync's entries are kept in
    /// one write, not one write each.
    fn put_entries(&mut self, entries: &[Entry]) -> Result<(), StoreError>;
    fn base(&self) -> Result<Option<Base>, StoreError>;
    fn put_base(&mut self, base: &Catalog) -> Result<(), StoreError>;
    fn reputation(&self) -> Result<Vec<(PeerId, PeerRecord)>, StoreError>;
    fn put_reputation(&mut self, peer: &PeerId, record: &PeerRecord) -> Result<(), StoreError>;
    /// Where each peer's last sync reached, to resume from.
    fn cursors(&self) -> Result<Vec<(PeerId, Cursor)>, StoreError>;
    fn put_cursor(&mut self, peer: &PeerId, cursor: &Cursor) -> Result<(), StoreError>;
    /// Where the DHT store lives beside this store, and how much it holds; `None` keeps it
    /// in memory ([`DhtLimits::IN_MEMORY`]).
    fn dht_tables(&self) -> Option<(Box<dyn DhtTables>, DhtLimits)> {
        None
    }
}

/// The catalog as `store` left it: its base (what it synced or compacted last), without
/// the entries on top, which [`souk_core::peer::Peer::start`] or
/// [`Catalog::accept_all`] take.
pub fn base_catalog(store: &impl Store) -> Result<Catalog, StoreError> {
    match store.base()? {
        Some(Base { snapshot, seq, chunks }) => Catalog::from_stored(snapshot, seq, chunks)
            .map_err(|e| StoreError(format!("the stored index is unreadable: {e}"))),
        None => Ok(Catalog::default()),
    }
}

/// A [`Store`] in memory.
#[derive(Debug, Default)]
pub struct MemoryStore {
    bodies: HashMap<Digest, Vec<u8>>,
    /// By [`Entry::key`], so an entry kept twice is kept once.
    entries: BTreeMap<String, Entry>,
    base: Option<Base>,
    reputation: HashMap<PeerId, PeerRecord>,
    cursors: HashMap<PeerId, Cursor>,
}

impl MemoryStore {
    /// Keeps `base` as [`Store::base`] answers it (a store that wraps this one, loading).
    pub fn keep_base(&mut self, base: Base) {
        self.base = Some(base);
    }
}

impl Store for MemoryStore {
    fn body(&self, hash: &Digest) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.bodies.get(hash).cloned())
    }

    fn body_hashes(&self) -> Result<Vec<Digest>, StoreError> {
        Ok(self.bodies.keys().copied().collect())
    }

    fn put_body(&mut self, body: Vec<u8>) -> Result<Digest, StoreError> {
        let hash = content_hash(&body);
        self.bodies.insert(hash, body);
        Ok(hash)
    }

    fn entries(&self) -> Result<Vec<Entry>, StoreError> {
        Ok(self.entries.values().cloned().collect())
    }

    fn put_entries(&mut self, entries: &[Entry]) -> Result<(), StoreError> {
        self.entries.extend(entries.iter().map(|entry| (entry.key(), entry.clone())));
        Ok(())
    }

    fn base(&self) -> Result<Option<Base>, StoreError> {
        Ok(self.base.clone())
    }

    fn put_base(&mut self, base: &Catalog) -> Result<(), StoreError> {
        let head = base.head();
        self.keep_base(Base { snapshot: base.base().clone(), seq: head.base_seq, chunks: head.chunks });
        Ok(())
    }

    fn reputation(&self) -> Result<Vec<(PeerId, PeerRecord)>, StoreError> {
        Ok(self.reputation.iter().map(|(p, r)| (*p, *r)).collect())
    }

    fn cursors(&self) -> Result<Vec<(PeerId, Cursor)>, StoreError> {
        Ok(self.cursors.iter().map(|(p, c)| (*p, c.clone())).collect())
    }

    fn put_cursor(&mut self, peer: &PeerId, cursor: &Cursor) -> Result<(), StoreError> {
        self.cursors.insert(*peer, cursor.clone());
        Ok(())
    }

    fn put_reputation(&mut self, peer: &PeerId, record: &PeerRecord) -> Result<(), StoreError> {
        self.reputation.insert(*peer, *record);
        Ok(())
    }
}
