//! What a tab keeps in IndexedDB: its identity, the synced index (catalog base and
//! records), pack bodies, peer reputation and installed packs.
//!
//! IndexedDB is asynchronous and the node's [`Store`] is not, so [`IdbStore`] holds
//! everything in memory (loaded once, when the tab starts) and writes every change through
//! to IndexedDB in order, in the background, batching what arrives together into one
//! transaction. A reload therefore starts from the last write, and reads never wait.

use futures::StreamExt;
use futures::channel::mpsc;
use indexed_db_futures::database::Database;
use indexed_db_futures::prelude::*;
use indexed_db_futures::transaction::TransactionMode;
use js_sys::Uint8Array;
use libp2p::PeerId;
use souk_core::Digest;
use souk_core::catalog::Catalog;
use souk_core::pack::to_hex;
use souk_core::peer::Cursor;
use souk_core::record::Entry;
use souk_core::reputation::PeerRecord;
use souk_net::store::{Base, MemoryStore, Store, StoreError};
use wasm_bindgen::JsValue;

/// The schema version. Opening a database of an older version creates what it lacks; a
/// change of an existing store's format adds a step to [`upgrade`].
const VERSION: u32 = 2;
const BODIES: &str = "bodies";
const RECORDS: &str = "records";
const REPUTATION: &str = "reputation";
/// Where each peer's last sync reached: the peer id's length, the id, then the cursor.
const CURSORS: &str = "cursors";
/// `identity` (the key, protobuf) and `base` (sequence number, then the snapshot).
pub const META: &str = "meta";
/// Installed packs by name: what `SoukPeer.install` answered, as JavaScript stored it.
pub const INSTALLED: &str = "installed";
const STORES: [&str; 6] = [BODIES, RECORDS, REPUTATION, CURSORS, META, INSTALLED];

fn failed(e: impl std::fmt::Display) -> StoreError {
    StoreError(format!("IndexedDB: {e}"))
}

/// Opens (creating or upgrading) the database called `name`.
pub async fn open(name: &str) -> Result<Database, StoreError> {
    Database::open(name)
        .with_version(VERSION)
        .with_on_upgrade_needed(|_, db| upgrade(&db))
        .await
        .map_err(failed)
}

fn upgrade(db: &Database) -> indexed_db_futures::Result<()> {
    let existing: Vec<String> = db.object_store_names().collect();
    for store in STORES {
        if !existing.iter().any(|e| e == store) {
            db.create_object_store(store).build()?;
        }
    }
    Ok(())
}

/// The value under `key` in `store`, if any.
pub async fn get(db: &Database, store: &str, key: &str) -> Result<Option<JsValue>, StoreError> {
    let tx = db.transaction(store).build().map_err(failed)?;
    let value: Option<JsValue> = tx
        .object_store(store)
        .map_err(failed)?
        .get(key)
        .primitive()
        .map_err(failed)?
        .await
        .map_err(failed)?;
    Ok(value.filter(|v| !v.is_undefined()))
}

/// Every value in `store`.
pub async fn all(db: &Database, store: &str) -> Result<Vec<JsValue>, StoreError> {
    let tx = db.transaction(store).build().map_err(failed)?;
    let values = tx.object_store(store).map_err(failed)?.get_all::<JsValue>().primitive().map_err(failed)?;
    values.await.map_err(failed)?.map(|v| v.map_err(failed)).collect()
}

/// Writes `value` under `key` in `store`, and waits until it is committed.
pub async fn put(db: &Database, store: &'static str, key: &str, value: &JsValue) -> Result<(), StoreError> {
    write(db, vec![Write { store, key: key.to_owned(), value: value.clone() }]).await
}

fn bytes(value: &JsValue) -> Vec<u8> {
    Uint8Array::new(value).to_vec()
}

fn js_bytes(bytes: &[u8]) -> JsValue {
    Uint8Array::from(bytes).into()
}

/// One value to write.
struct Write {
    store: &'static str,
    key: String,
    value: JsValue,
}

/// Writes a batch in one transaction.
async fn write(db: &Database, batch: Vec<Write>) -> Result<(), StoreError> {
    let tx = db.transaction(STORES).with_mode(TransactionMode::Readwrite).build().map_err(failed)?;
    for w in &batch {
        tx.object_store(w.store)
            .map_err(failed)?
            .put(&w.value)
            .with_key(w.key.as_str())
            .primitive()
            .map_err(failed)?;
    }
    tx.commit().await.map_err(failed)
}

/// The node's store in a tab: memory, written through to IndexedDB.
#[derive(Debug)]
pub struct IdbStore {
    memory: MemoryStore,
    writes: mpsc::UnboundedSender<(&'static str, String, Vec<u8>)>,
}

impl IdbStore {
    /// Loads what `db` holds, and starts the task that writes changes back to it.
    pub async fn load(db: &Database) -> Result<IdbStore, StoreError> {
        let mut memory = MemoryStore::default();
        for body in all(db, BODIES).await? {
            memory.put_body(bytes(&body))?;
        }
        // Entries were checked on the way in; one that no longer reads is left out.
        let entries = all(db, RECORDS).await?;
        let entries: Vec<Entry> = entries.iter().filter_map(|e| Entry::decode(&bytes(e)).ok()).collect();
        memory.put_entries(&entries)?;
        for entry in all(db, REPUTATION).await? {
            let entry = bytes(&entry);
            if let Some((record, peer)) = entry.split_at_checked(PeerRecord::ENCODED_LEN)
                && let (Some(record), Ok(peer)) = (PeerRecord::decode(record), PeerId::from_bytes(peer))
            {
                memory.put_reputation(&peer, &record)?;
            }
        }
        for cursor in all(db, CURSORS).await? {
            let cursor = bytes(&cursor);
            if let Some((&len, rest)) = cursor.split_first()
                && let Some((peer, cursor)) = rest.split_at_checked(usize::from(len))
                && let (Ok(peer), Some(cursor)) = (PeerId::from_bytes(peer), Cursor::decode(cursor))
            {
                memory.put_cursor(&peer, &cursor)?;
            }
        }
        if let Some(base) = get(db, META, "base").await? {
            let base = bytes::Bytes::from(bytes(&base));
            if let Some(seq) = base.first_chunk::<8>().copied() {
                // Kept beside the base since session 13; a tab that has none hashes it.
                let chunks = get(db, META, "base-chunks").await?.map(|c| bytes(&c)).unwrap_or_default();
                let chunks = Base::chunks_from_bytes(&chunks);
                // The snapshot is read in place, after the number (not copied again).
                memory.keep_base(Base { snapshot: base.slice(8..), seq: u64::from_le_bytes(seq), chunks });
            }
        }
        let (writes, mut queue) = mpsc::unbounded::<(&'static str, String, Vec<u8>)>();
        let db = db.clone();
        wasm_bindgen_futures::spawn_local(async move {
            // Whatever arrived together goes in one transaction.
            while let Some(first) = queue.next().await {
                let mut batch = vec![first];
                while let Ok(next) = queue.try_recv() {
                    batch.push(next);
                }
                let batch = batch
                    .into_iter()
                    .map(|(store, key, value)| Write { store, key, value: js_bytes(&value) })
                    .collect();
                if let Err(e) = write(&db, batch).await {
                    web_sys::console::error_1(&format!("Souk could not save to IndexedDB: {e}").into());
                }
            }
        });
        Ok(IdbStore { memory, writes })
    }

    fn save(&self, store: &'static str, key: String, value: Vec<u8>) -> Result<(), StoreError> {
        self.writes.unbounded_send((store, key, value)).map_err(|_| failed("the writer has stopped"))
    }
}

impl Store for IdbStore {
    fn body(&self, hash: &Digest) -> Result<Option<Vec<u8>>, StoreError> {
        self.memory.body(hash)
    }

    fn body_hashes(&self) -> Result<Vec<Digest>, StoreError> {
        self.memory.body_hashes()
    }

    fn put_body(&mut self, body: Vec<u8>) -> Result<Digest, StoreError> {
        let hash = self.memory.put_body(body.clone())?;
        self.save(BODIES, to_hex(&hash), body)?;
        Ok(hash)
    }

    fn entries(&self) -> Result<Vec<Entry>, StoreError> {
        self.memory.entries()
    }

    fn put_entries(&mut self, entries: &[Entry]) -> Result<(), StoreError> {
        for entry in entries {
            self.save(RECORDS, entry.key(), entry.encode())?;
        }
        self.memory.put_entries(entries)
    }

    fn base(&self) -> Result<Option<Base>, StoreError> {
        self.memory.base()
    }

    fn put_base(&mut self, base: &Catalog) -> Result<(), StoreError> {
        let head = base.head();
        self.save(META, "base".into(), [&head.base_seq.to_le_bytes(), &base.base()[..]].concat())?;
        self.save(META, "base-chunks".into(), Base::chunks_to_bytes(&head.chunks))?;
        self.memory.put_base(base)
    }

    fn reputation(&self) -> Result<Vec<(PeerId, PeerRecord)>, StoreError> {
        self.memory.reputation()
    }

    fn cursors(&self) -> Result<Vec<(PeerId, Cursor)>, StoreError> {
        self.memory.cursors()
    }

    fn put_cursor(&mut self, peer: &PeerId, cursor: &Cursor) -> Result<(), StoreError> {
        let id = peer.to_bytes();
        let len = u8::try_from(id.len()).map_err(|_| failed("a peer id longer than 255 bytes"))?;
        self.save(CURSORS, peer.to_base58(), [&[len][..], &id, &cursor.encode()].concat())?;
        self.memory.put_cursor(peer, cursor)
    }

    fn put_reputation(&mut self, peer: &PeerId, record: &PeerRecord) -> Result<(), StoreError> {
        self.save(REPUTATION, peer.to_base58(), [record.encode().as_slice(), &peer.to_bytes()].concat())?;
        self.memory.put_reputation(peer, record)
    }
}
