//! Hostile peers for tests (the `testing` feature): real nodes whose stores lie, so the
//! checks every peer makes are exercised over real connections, natively and in a tab.

use libp2p::PeerId;
use souk_core::Digest;
use souk_core::catalog::Catalog;
use souk_core::peer::Cursor;
use souk_core::record::Entry;
use souk_core::reputation::PeerRecord;

use crate::store::{Base, MemoryStore, Store, StoreError};

/// A store that serves its one answer whatever body it is asked for, and keeps the rest
/// honestly: a node over it is a peer that lies (or floods, with a large answer).
#[derive(Debug, Default)]
pub struct LyingStore {
    answer: Vec<u8>,
    honest: MemoryStore,
}

impl LyingStore {
    pub fn new(answer: &[u8]) -> Self {
        LyingStore { answer: answer.to_vec(), honest: MemoryStore::default() }
    }
}

impl Store for LyingStore {
    fn body(&self, _: &Digest) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(Some(self.answer.clone()))
    }
    fn body_hashes(&self) -> Result<Vec<Digest>, StoreError> {
        self.honest.body_hashes()
    }
    fn put_body(&mut self, body: Vec<u8>) -> Result<Digest, StoreError> {
        self.honest.put_body(body)
    }
    fn entries(&self) -> Result<Vec<Entry>, StoreError> {
        self.honest.entries()
    }
    fn put_entries(&mut self, entries: &[Entry]) -> Result<(), StoreError> {
        self.honest.put_entries(entries)
    }
    fn cursors(&self) -> Result<Vec<(PeerId, Cursor)>, StoreError> {
        self.honest.cursors()
    }
    fn put_cursor(&mut self, peer: &PeerId, cursor: &Cursor) -> Result<(), StoreError> {
        self.honest.put_cursor(peer, cursor)
    }
    fn base(&self) -> Result<Option<Base>, StoreError> {
        self.honest.base()
    }
    fn put_base(&mut self, base: &Catalog) -> Result<(), StoreError> {
        self.honest.put_base(base)
    }
    fn reputation(&self) -> Result<Vec<(PeerId, PeerRecord)>, StoreError> {
        self.honest.reputation()
    }
    fn put_reputation(&mut self, peer: &PeerId, record: &PeerRecord) -> Result<(), StoreError> {
        self.honest.put_reputation(peer, record)
    }
}
