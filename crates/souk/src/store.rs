//! The native peer's [`Store`] in redb: one database file holding pack bodies, records,
//! the catalog base, peer reputation, the node's own keys and its DHT store. Every write is
//! its own committed transaction, so whatever the node was told is on disk when the call
//! returns, and a relay stopped at any moment restarts with everything it had. The DHT
//! store's writes are the exception: they reach the disk with the next durable commit (a
//! crash loses at most the last few, which Kademlia's republication brings back), so a
//! publish costs one disk flush per entry and body, not four.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use libp2p::PeerId;
use redb::{
    Database, DatabaseError, Durability, ReadableDatabase, ReadableTable, ReadableTableMetadata,
    TableDefinition, TableHandle,
};
use souk_core::Digest;
use souk_core::body::content_hash;
use souk_core::catalog::Catalog;
use souk_core::pack::to_hex;
use souk_core::peer::Cursor;
use souk_core::record::Entry;
use souk_core::reputation::PeerRecord;
use souk_net::dht::{DhtLimits, DhtTable, DhtTables, Row};
use souk_net::store::{Base, Store, StoreError};
use tracing::warn;

const BODIES: TableDefinition<&[u8], &[u8]> = TableDefinition::new("bodies");
/// Keyed by `name NUL version`.
const RECORDS: TableDefinition<&str, &[u8]> = TableDefinition::new("records");
const REPUTATION: TableDefinition<&[u8], &[u8]> = TableDefinition::new("reputation");
/// The catalog base (`base`, `base-seq`) and the node's keys (`identity`, `webrtc-certificate`).
const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta");
/// The `meta` key naming the file that holds the catalog's base.
const BASE_FILE: &str = "base-file";
/// Where each peer's last sync reached ([`souk_core::peer::Cursor`]), by peer id.
const CURSORS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("cursors");
/// The DHT store's tables ([`DhtTable`]).
const DHT: [TableDefinition<&[u8], &[u8]>; 3] = [
    TableDefinition::new("dht-records"),
    TableDefinition::new("dht-providers"),
    TableDefinition::new("dht-provided"),
];

fn dht(table: DhtTable) -> TableDefinition<'static, &'static [u8], &'static [u8]> {
    DHT[table as usize]
}

/// A [`Store`] in one redb file. Clones share the one open database (redb allows one).
#[derive(Debug, Clone)]
pub struct RedbStore {
    db: Arc<Database>,
    /// The database's folder, where the catalog's base is kept as a file of its own.
    dir: PathBuf,
    dht_limits: DhtLimits,
}

fn failed(e: impl std::fmt::Display) -> StoreError {
    StoreError(e.to_string())
}

impl RedbStore {
    /// Opens (or creates) the database at `path`.
    pub fn open(path: &Path) -> Result<RedbStore, StoreError> {
        RedbStore::open_waiting(path, Duration::ZERO, || {})
    }

    /// Opens (or creates) the database at `path`, waiting up to `wait` while another
    /// process holds it (redb allows one at a time); `waiting` is called once if it must.
    pub fn open_waiting(
        path: &Path,
        wait: Duration,
        waiting: impl FnOnce(),
    ) -> Result<RedbStore, StoreError> {
        let failed = |e: &dyn std::fmt::Display| StoreError(format!("{}: {e}", path.display()));
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| failed(&e))?;
        }
        if !path.exists() {
            RedbStore::create_whole(path).map_err(|e| failed(&e))?;
        }
        let started = Instant::now();
        let mut waiting = Some(waiting);
        let db = loop {
            match Database::create(path) {
                Err(DatabaseError::DatabaseAlreadyOpen) if started.elapsed() < wait => {
                    if let Some(waiting) = waiting.take() {
                        waiting();
                    }
                    std::thread::sleep(Duration::from_millis(50));
                }
                opened => break opened.map_err(|e| failed(&e))?,
            }
        };
        let dir = path.parent().unwrap_or(Path::new(".")).to_path_buf();
        let store = RedbStore { db: Arc::new(db), dir, dht_limits: DhtLimits::ON_DISK };
        store.create_tables()?;
        Ok(store)
    }

    /// Makes a new database under a name of its own and then links it in at `path`, so a
    /// process killed while creating it leaves no half-written file there (redb refuses one
    /// as invalid data), and one that loses a race to create it takes the winner's.
    fn create_whole(path: &Path) -> Result<(), Box<dyn std::error::Error>> {
        let fresh = path.with_extension(format!("new-{}", std::process::id()));
        let _ = std::fs::remove_file(&fresh);
        let dir = PathBuf::new();
        RedbStore { db: Arc::new(Database::create(&fresh)?), dir, dht_limits: DhtLimits::ON_DISK }
            .create_tables()?;
        match std::fs::hard_link(&fresh, path) {
            Ok(()) => std::fs::remove_file(&fresh)?,
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => std::fs::remove_file(&fresh)?,
            // A file system without hard links (FAT, some network mounts): a rename is just
            // as whole, only a creator racing this one could see its new database replaced.
            Err(_) => std::fs::rename(&fresh, path)?,
        }
        Ok(())
    }

    /// Every table exists from the start, so reads never meet a missing one. A database
    /// that has them all is left alone: a write is a durable commit, which every command
    /// would otherwise wait for as it starts.
    fn create_tables(&self) -> Result<(), StoreError> {
        let names = [BODIES.name(), RECORDS.name(), REPUTATION.name(), CURSORS.name(), META.name()];
        let present: Vec<String> = self
            .db
            .begin_read()
            .map_err(failed)?
            .list_tables()
            .map_err(failed)?
            .map(|t| t.name().to_owned())
            .collect();
        if names.into_iter().chain(DHT.iter().map(|t| t.name())).all(|name| present.iter().any(|p| p == name))
        {
            return Ok(());
        }
        self.write(|tx| {
            tx.open_table(BODIES)?;
            tx.open_table(RECORDS)?;
            tx.open_table(REPUTATION)?;
            tx.open_table(CURSORS)?;
            tx.open_table(META)?;
            for table in DHT {
                tx.open_table(table)?;
            }
            Ok(())
        })
    }

    /// This store with a DHT store of `limits`.
    pub fn with_dht_limits(self, limits: DhtLimits) -> RedbStore {
        RedbStore { dht_limits: limits, ..self }
    }

    /// A value of the `meta` table.
    pub fn meta(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.get(META, key)
    }

    pub fn put_meta(&self, key: &str, value: &[u8]) -> Result<(), StoreError> {
        self.write(|tx| {
            tx.open_table(META)?.insert(key, value)?;
            Ok(())
        })
    }

    fn write(
        &self,
        f: impl FnOnce(&redb::WriteTransaction) -> Result<(), redb::Error>,
    ) -> Result<(), StoreError> {
        self.write_with(Durability::Immediate, f)
    }

    fn write_with(
        &self,
        durability: Durability,
        f: impl FnOnce(&redb::WriteTransaction) -> Result<(), redb::Error>,
    ) -> Result<(), StoreError> {
        let mut tx = self.db.begin_write().map_err(failed)?;
        tx.set_durability(durability).map_err(failed)?;
        f(&tx).map_err(failed)?;
        tx.commit().map_err(failed)
    }

    fn get<K: redb::Key + 'static>(
        &self,
        table: TableDefinition<K, &'static [u8]>,
        key: K::SelfType<'_>,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        let tx = self.db.begin_read().map_err(failed)?;
        let table = tx.open_table(table).map_err(failed)?;
        Ok(table.get(key).map_err(failed)?.map(|v| v.value().to_vec()))
    }

    /// Every entry of `table`, as owned bytes.
    fn all<K: redb::Key + 'static>(
        &self,
        table: TableDefinition<K, &'static [u8]>,
    ) -> Result<Vec<Row>, StoreError>
    where
        for<'a> K::SelfType<'a>: AsRef<[u8]>,
    {
        let tx = self.db.begin_read().map_err(failed)?;
        let table = tx.open_table(table).map_err(failed)?;
        let mut out = Vec::new();
        for entry in table.iter().map_err(failed)? {
            let (k, v) = entry.map_err(failed)?;
            out.push((k.value().as_ref().to_vec(), v.value().to_vec()));
        }
        Ok(out)
    }
}

impl Store for RedbStore {
    fn body(&self, hash: &Digest) -> Result<Option<Vec<u8>>, StoreError> {
        self.get(BODIES, hash.as_slice())
    }

    fn body_hashes(&self) -> Result<Vec<Digest>, StoreError> {
        let tx = self.db.begin_read().map_err(failed)?;
        let table = tx.open_table(BODIES).map_err(failed)?;
        let mut hashes = Vec::new();
        for entry in table.iter().map_err(failed)? {
            let (key, _) = entry.map_err(failed)?;
            hashes.extend(Digest::try_from(key.value()).ok());
        }
        Ok(hashes)
    }

    fn put_body(&mut self, body: Vec<u8>) -> Result<Digest, StoreError> {
        let hash = content_hash(&body);
        self.write(|tx| {
            tx.open_table(BODIES)?.insert(hash.as_slice(), body.as_slice())?;
            Ok(())
        })?;
        Ok(hash)
    }

    fn entries(&self) -> Result<Vec<Entry>, StoreError> {
        let mut entries = Vec::new();
        for (key, bytes) in self.all(RECORDS)? {
            // Entries were checked on the way in; one that no longer reads is reported and skipped.
            match Entry::decode(&bytes) {
                Ok(entry) => entries.push(entry),
                Err(e) => {
                    warn!(key = %String::from_utf8_lossy(&key), error = %e, "a stored entry is unreadable")
                }
            }
        }
        Ok(entries)
    }

    fn put_entries(&mut self, entries: &[Entry]) -> Result<(), StoreError> {
        self.write(|tx| {
            let mut table = tx.open_table(RECORDS)?;
            for entry in entries {
                table.insert(entry.key().as_str(), entry.encode().as_slice())?;
            }
            Ok(())
        })
    }

    /// The base is a file beside the database, mapped: read out of the database, a 55 MB
    /// base was copied three times on every start (200 ms of `souk info`). Stores from before
    /// session 13 hold it in the database, and are read as they are.
    fn base(&self) -> Result<Option<Base>, StoreError> {
        let Some(seq) = self.meta("base-seq")? else { return Ok(None) };
        let snapshot = match self.meta(BASE_FILE)? {
            Some(name) => {
                let path = self.dir.join(String::from_utf8_lossy(&name).as_ref());
                // Deleted by hand: no base, so the next sync fetches one (every record is
                // in the database).
                if !path.exists() {
                    return Ok(None);
                }
                crate::fsutil::map_snapshot(&path).map_err(|e| failed(format!("{e:#}")))?
            }
            None => match self.meta("base")? {
                Some(snapshot) => snapshot.into(),
                None => return Ok(None),
            },
        };
        let seq =
            seq.try_into().map(u64::from_le_bytes).map_err(|_| failed("the stored base-seq is corrupt"))?;
        // Kept since session 13; a store without them has its base hashed again.
        let chunks = self.meta("base-chunks")?.unwrap_or_default();
        let chunks = Base::chunks_from_bytes(&chunks);
        Ok(Some(Base { snapshot, seq, chunks }))
    }

    /// Writes the base whole under a name of its own (its chain's hash), then points the
    /// database at it, its number and hashes in one transaction, then removes every other
    /// base file in the folder (one database to a folder): a process killed at any point
    /// leaves one whole base in use, and what it left behind goes with the next base.
    fn put_base(&mut self, base: &Catalog) -> Result<(), StoreError> {
        let head = base.head();
        let name = format!("base-{}.idx", to_hex(&head.chain));
        // Named by its chain, a base file holds those bytes whole or is not there (a relay
        // given the same `--index` at every start writes it once).
        let path = self.dir.join(&name);
        if !path.exists() {
            crate::fsutil::write_atomically(&path, base.base()).map_err(|e| failed(format!("{e:#}")))?;
        }
        self.write(|tx| {
            let mut meta = tx.open_table(META)?;
            meta.remove("base")?;
            meta.insert(BASE_FILE, name.as_bytes())?;
            meta.insert("base-seq", head.base_seq.to_le_bytes().as_slice())?;
            meta.insert("base-chunks", Base::chunks_to_bytes(&head.chunks).as_slice())?;
            Ok(())
        })?;
        // The base it replaces, and any a process killed before its commit left behind.
        for entry in std::fs::read_dir(&self.dir).into_iter().flatten().flatten() {
            let file = entry.file_name();
            let file = file.to_string_lossy();
            if file.starts_with("base-") && file.ends_with(".idx") && file != name {
                let _ = std::fs::remove_file(entry.path());
            }
        }
        Ok(())
    }

    fn reputation(&self) -> Result<Vec<(PeerId, PeerRecord)>, StoreError> {
        let entries = self.all(REPUTATION)?;
        Ok(entries
            .into_iter()
            .filter_map(|(peer, record)| {
                Some((PeerId::from_bytes(&peer).ok()?, PeerRecord::decode(&record)?))
            })
            .collect())
    }

    fn put_reputation(&mut self, peer: &PeerId, record: &PeerRecord) -> Result<(), StoreError> {
        self.write(|tx| {
            tx.open_table(REPUTATION)?.insert(peer.to_bytes().as_slice(), record.encode().as_slice())?;
            Ok(())
        })
    }

    fn cursors(&self) -> Result<Vec<(PeerId, Cursor)>, StoreError> {
        let cursors = self.all(CURSORS)?.into_iter();
        Ok(cursors
            .filter_map(|(peer, cursor)| Some((PeerId::from_bytes(&peer).ok()?, Cursor::decode(&cursor)?)))
            .collect())
    }

    fn put_cursor(&mut self, peer: &PeerId, cursor: &Cursor) -> Result<(), StoreError> {
        self.write(|tx| {
            tx.open_table(CURSORS)?.insert(peer.to_bytes().as_slice(), cursor.encode().as_slice())?;
            Ok(())
        })
    }

    fn dht_tables(&self) -> Option<(Box<dyn DhtTables>, DhtLimits)> {
        Some((Box::new(self.clone()), self.dht_limits))
    }
}

impl DhtTables for RedbStore {
    fn get(&self, table: DhtTable, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        RedbStore::get(self, dht(table), key)
    }

    fn put(&mut self, table: DhtTable, key: &[u8], value: &[u8]) -> Result<(), StoreError> {
        self.write_with(Durability::None, |tx| {
            tx.open_table(dht(table))?.insert(key, value)?;
            Ok(())
        })
    }

    fn remove(&mut self, table: DhtTable, key: &[u8]) -> Result<(), StoreError> {
        self.write_with(Durability::None, |tx| {
            tx.open_table(dht(table))?.remove(key)?;
            Ok(())
        })
    }

    fn rows(&self, table: DhtTable) -> Result<Vec<Row>, StoreError> {
        self.all(dht(table))
    }

    fn len(&self, table: DhtTable) -> Result<usize, StoreError> {
        let tx = self.db.begin_read().map_err(failed)?;
        let len = tx.open_table(dht(table)).and_then(|t| Ok(t.len()?)).map_err(failed)?;
        Ok(len as usize)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_creation_cut_short_leaves_nothing_in_the_way_and_a_damaged_database_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("souk.redb");
        // What a process killed while creating the database leaves: a part of one, aside.
        std::fs::write(path.with_extension(format!("new-{}", std::process::id())), b"redb\0half").unwrap();
        let store = RedbStore::open(&path).unwrap();
        store.put_meta("k", b"v").unwrap();
        drop(store);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "only the database is left");
        assert_eq!(RedbStore::open(&path).unwrap().meta("k").unwrap().as_deref(), Some(&b"v"[..]));
        // A database damaged in place is the user's to look at: refused, never replaced.
        std::fs::write(&path, b"not a database").unwrap();
        assert!(RedbStore::open(&path).is_err());
        assert_eq!(std::fs::read(&path).unwrap(), b"not a database");
    }

    #[test]
    fn everything_survives_a_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("souk.redb");
        let pack = souk_pack::demo::packs().unwrap().remove(0);
        let record = souk_core::record::PackRecord::sign(pack.version, &[3; 32]).unwrap();
        let statement = souk_core::record::Statement::sign(
            &record.pack.name,
            souk_core::record::Claim::Yank(record.pack.version.clone()),
            9,
            &[3; 32],
        )
        .unwrap();
        let peer = PeerId::random();
        let seen = PeerRecord { successes: 3, failures: 1, latency_ms: 12.5 };
        let cursor = Cursor { epoch: 2, chunks: vec![[4; 32]], seq: 30, chain: [5; 32] };
        let base = Catalog::from_snapshot(souk_pack::demo::index().to_snapshot(), 7).unwrap();
        {
            let mut store = RedbStore::open(&path).unwrap();
            assert_eq!(store.put_body(pack.body.clone()).unwrap(), record.pack.content_hash.unwrap());
            store.put_entries(&[record.clone().into(), statement.clone().into()]).unwrap();
            store.put_base(&base).unwrap();
            store.put_reputation(&peer, &seen).unwrap();
            store.put_cursor(&peer, &cursor).unwrap();
            store.put_meta("identity", b"key").unwrap();
        }
        let store = RedbStore::open(&path).unwrap();
        assert_eq!(store.body(&record.pack.content_hash.unwrap()).unwrap(), Some(pack.body));
        assert_eq!(store.body(&[0; 32]).unwrap(), None);
        assert_eq!(store.body_hashes().unwrap(), [record.pack.content_hash.unwrap()]);
        let entries = store.entries().unwrap();
        assert_eq!(entries.len(), 2);
        assert!(entries.contains(&Entry::Statement(statement)));
        assert!(entries.contains(&Entry::Record(record.clone())));
        let head = base.head();
        let stored = Base { snapshot: base.base().clone(), seq: 7, chunks: head.chunks };
        assert_eq!(store.base().unwrap(), Some(stored));
        assert_eq!(store.reputation().unwrap(), [(peer, seen)]);
        assert_eq!(store.cursors().unwrap(), [(peer, cursor)]);
        assert_eq!(store.meta("identity").unwrap().as_deref(), Some(b"key".as_slice()));
    }

    /// The DHT store's rows are written without a flush of their own; the next durable
    /// commit (or a clean close) takes them to disk.
    #[test]
    fn the_dht_store_survives_a_reopen() {
        use libp2p::kad::store::RecordStore;
        use libp2p::kad::{ProviderRecord, Record, RecordKey};
        use souk_net::dht::DhtStore;

        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("souk.redb");
        let (local, other) = (PeerId::random(), PeerId::random());
        let hash = RecordKey::new(&[7; 32]);
        let record = Record::new(b"/souk/pack/rust-cli".to_vec(), b"signed".to_vec());
        {
            let store = RedbStore::open(&path).unwrap();
            let (tables, limits) = store.dht_tables().unwrap();
            assert_eq!(limits, DhtLimits::ON_DISK);
            let mut dht = DhtStore::new(local, tables, limits);
            dht.put(record.clone()).unwrap();
            for peer in [local, other] {
                dht.add_provider(ProviderRecord::new(hash.clone(), peer, Vec::new())).unwrap();
            }
        }
        let store = RedbStore::open(&path).unwrap();
        let (tables, limits) = store.dht_tables().unwrap();
        let dht = DhtStore::new(local, tables, limits);
        assert_eq!(dht.get(&record.key).unwrap().value, record.value);
        let mut providers: Vec<_> = dht.providers(&hash).into_iter().map(|p| p.provider).collect();
        providers.sort();
        let mut both = vec![local, other];
        both.sort();
        assert_eq!(providers, both);
        assert_eq!(dht.provided().map(|p| p.provider).collect::<Vec<_>>(), [local]);
    }

    #[test]
    fn the_base_is_one_whole_file_whatever_was_interrupted() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("souk.redb");
        let snapshot = souk_pack::demo::index().to_snapshot();
        let bases = |dir: &Path| {
            let files = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name());
            files.filter(|f| f.to_string_lossy().starts_with("base-")).count()
        };
        {
            let mut store = RedbStore::open(&path).unwrap();
            store.put_base(&Catalog::from_snapshot(snapshot.clone(), 1).unwrap()).unwrap();
            // Killed after writing its next base, before pointing the database at it.
            std::fs::write(dir.path().join("base-interrupted.idx"), b"half a base").unwrap();
            assert_eq!(store.base().unwrap().unwrap().seq, 1, "the database still names the whole one");
            let next = Catalog::from_snapshot(snapshot.clone(), 2).unwrap();
            store.put_base(&next).unwrap();
            assert_eq!(bases(dir.path()), 1, "the replaced base and the half one are gone");
            store.put_base(&next).unwrap();
            assert_eq!(bases(dir.path()), 1, "the same base again is the same file");
        }
        let store = RedbStore::open(&path).unwrap();
        let stored = store.base().unwrap().unwrap();
        assert_eq!((&stored.snapshot[..], stored.seq), (&snapshot[..], 2));
        assert_eq!(souk_net::store::base_catalog(&store).unwrap().head().base_seq, 2);
        // A base file deleted by hand is no base: the next sync fetches one.
        for file in std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().path()) {
            if file.extension().is_some_and(|e| e == "idx") {
                std::fs::remove_file(file).unwrap();
            }
        }
        assert_eq!(store.base().unwrap(), None);
    }

    #[test]
    fn a_base_kept_in_the_database_before_files_is_still_read() {
        let dir = tempfile::tempdir().unwrap();
        let store = RedbStore::open(&dir.path().join("souk.redb")).unwrap();
        let snapshot = souk_pack::demo::index().to_snapshot();
        store.put_meta("base", &snapshot).unwrap();
        store.put_meta("base-seq", &5u64.to_le_bytes()).unwrap();
        let catalog = souk_net::store::base_catalog(&store).unwrap();
        assert_eq!((catalog.base().to_vec(), catalog.head().base_seq), (snapshot, 5));
    }
}
