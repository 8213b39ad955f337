//! The DHT's record store: Kademlia's records and provider records, kept in [`DhtTables`]
//! that a relay backs with its database (a million of each, surviving a restart, in no
//! memory) and a tab or a short-lived peer with memory. Its sizes are [`DhtLimits`], not
//! libp2p's defaults (1,024 of each, which stopped the network at about a thousand packs).
//!
//! Expiry is kept as wall-clock time, so a record or provider entry expires on schedule
//! across a restart; Kademlia's own jobs republish and drop them as it specifies.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::time::Duration;

use libp2p::kad::store::{self, RecordStore};
use libp2p::kad::{K_VALUE, ProviderRecord, Record, RecordKey};
use libp2p::{Multiaddr, PeerId};
use souk_core::record::MAX_RECORD_LEN;
use souk_core::wire::{Reader, Truncated};
use tracing::warn;
use web_time::{Instant, SystemTime};

use crate::limits::{MAX_PROVIDED_KEYS, MAX_RECORDS, MAX_RECORDS_IN_MEMORY};
use crate::store::StoreError;

/// The tables of a DHT store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DhtTable {
    /// A record, by its key.
    Records,
    /// The providers of a key (at most [`K_VALUE`]), by the key.
    Providers,
    /// This peer's own provider entries, by key: what Kademlia republishes.
    Provided,
}

/// A row: its key and its value.
pub type Row = (Vec<u8>, Vec<u8>);

/// Ordered maps of bytes, where a DHT store keeps its rows.
pub trait DhtTables: Send + 'static {
    fn get(&self, table: DhtTable, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError>;
    fn put(&mut self, table: DhtTable, key: &[u8], value: &[u8]) -> Result<(), StoreError>;
    fn remove(&mut self, table: DhtTable, key: &[u8]) -> Result<(), StoreError>;
    /// Every row, key and value.
    fn rows(&self, table: DhtTable) -> Result<Vec<Row>, StoreError>;
    fn len(&self, table: DhtTable) -> Result<usize, StoreError>;
}

/// [`DhtTables`] in memory.
#[derive(Debug, Default)]
pub struct MemoryTables([BTreeMap<Vec<u8>, Vec<u8>>; 3]);

impl MemoryTables {
    fn table(&self, table: DhtTable) -> &BTreeMap<Vec<u8>, Vec<u8>> {
        &self.0[table as usize]
    }
}

impl DhtTables for MemoryTables {
    fn get(&self, table: DhtTable, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.table(table).get(key).cloned())
    }

    fn put(&mut self, table: DhtTable, key: &[u8], value: &[u8]) -> Result<(), StoreError> {
        self.0[table as usize].insert(key.to_vec(), value.to_vec());
        Ok(())
    }

    fn remove(&mut self, table: DhtTable, key: &[u8]) -> Result<(), StoreError> {
        self.0[table as usize].remove(key);
        Ok(())
    }

    fn rows(&self, table: DhtTable) -> Result<Vec<Row>, StoreError> {
        Ok(self.table(table).iter().map(|(k, v)| (k.clone(), v.clone())).collect())
    }

    fn len(&self, table: DhtTable) -> Result<usize, StoreError> {
        Ok(self.table(table).len())
    }
}

/// How much a DHT store holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DhtLimits {
    /// Records (a pack's newest version each).
    pub records: usize,
    /// Keys with providers (body hashes), this peer's own and others'.
    pub provided_keys: usize,
}

impl DhtLimits {
    /// A peer with a database: a relay of a million packs.
    pub const ON_DISK: DhtLimits = DhtLimits { records: MAX_RECORDS, provided_keys: MAX_PROVIDED_KEYS };
    /// A peer without one (a tab, one CLI run), whose store lives in memory.
    pub const IN_MEMORY: DhtLimits =
        DhtLimits { records: MAX_RECORDS_IN_MEMORY, provided_keys: MAX_RECORDS_IN_MEMORY };
}

/// Kademlia's [`RecordStore`] over [`DhtTables`].
pub struct DhtStore {
    local: PeerId,
    tables: Box<dyn DhtTables>,
    limits: DhtLimits,
}

impl std::fmt::Debug for DhtStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DhtStore").field("local", &self.local).field("limits", &self.limits).finish()
    }
}

impl DhtStore {
    pub fn new(local: PeerId, tables: Box<dyn DhtTables>, limits: DhtLimits) -> Self {
        DhtStore { local, tables, limits }
    }

    pub fn in_memory(local: PeerId) -> Self {
        DhtStore::new(local, Box::<MemoryTables>::default(), DhtLimits::IN_MEMORY)
    }

    /// A row, or `None` if it is missing or unreadable (reported: the store is a cache of
    /// the network, and what it lost comes back with the next put or republication).
    fn read<T>(&self, table: DhtTable, key: &[u8], decode: fn(&[u8]) -> Result<T, Truncated>) -> Option<T> {
        let bytes = self.tables.get(table, key).unwrap_or_else(|e| {
            warn!(error = %e, "cannot read the DHT store");
            None
        })?;
        decode(&bytes).map_err(|_| warn!(?table, "an unreadable row in the DHT store")).ok()
    }

    /// Every readable row, by its key.
    fn read_all<T>(&self, table: DhtTable, decode: fn(&[u8]) -> Result<T, Truncated>) -> Vec<(RecordKey, T)> {
        let rows = self.tables.rows(table).unwrap_or_else(|e| {
            warn!(error = %e, "cannot read the DHT store");
            Vec::new()
        });
        rows.into_iter().filter_map(|(key, row)| Some((RecordKey::from(key), decode(&row).ok()?))).collect()
    }

    fn len(&self, table: DhtTable) -> usize {
        self.tables.len(table).unwrap_or(usize::MAX)
    }

    /// Writes a row; a store that cannot write is reported and goes on (see [`Self::read`]).
    fn write(&mut self, table: DhtTable, key: &[u8], value: Option<&[u8]>) {
        let written = match value {
            Some(value) => self.tables.put(table, key, value),
            None => self.tables.remove(table, key),
        };
        if let Err(e) = written {
            warn!(error = %e, "cannot write the DHT store");
        }
    }
}

impl RecordStore for DhtStore {
    type RecordsIter<'a> = std::vec::IntoIter<Cow<'a, Record>>;
    type ProvidedIter<'a> = std::vec::IntoIter<Cow<'a, ProviderRecord>>;

    fn get(&self, key: &RecordKey) -> Option<Cow<'_, Record>> {
        let (expires, publisher, value) = self.read(DhtTable::Records, key.as_ref(), decode_record)?;
        Some(Cow::Owned(Record { key: key.clone(), value, publisher, expires }))
    }

    fn put(&mut self, record: Record) -> store::Result<()> {
        if record.value.len() > MAX_RECORD_LEN {
            return Err(store::Error::ValueTooLarge);
        }
        let key = record.key.as_ref();
        let known = matches!(self.tables.get(DhtTable::Records, key), Ok(Some(_)));
        if !known && self.len(DhtTable::Records) >= self.limits.records {
            return Err(store::Error::MaxRecords);
        }
        self.write(DhtTable::Records, key, Some(&encode_record(&record)));
        Ok(())
    }

    fn remove(&mut self, key: &RecordKey) {
        self.write(DhtTable::Records, key.as_ref(), None);
    }

    fn records(&self) -> Self::RecordsIter<'_> {
        let records = self.read_all(DhtTable::Records, decode_record).into_iter();
        let records =
            records.map(|(key, (expires, publisher, value))| Record { key, value, publisher, expires });
        records.map(Cow::Owned).collect::<Vec<_>>().into_iter()
    }

    fn add_provider(&mut self, record: ProviderRecord) -> store::Result<()> {
        let key = record.key.to_vec();
        let mut providers = match self.read(DhtTable::Providers, &key, decode_providers) {
            Some(providers) => providers,
            None if self.len(DhtTable::Providers) >= self.limits.provided_keys => {
                return Err(store::Error::MaxProvidedKeys);
            }
            None => Vec::new(),
        };
        let entry = Provider::of(&record);
        let full = providers.len() >= K_VALUE.get();
        match providers.iter_mut().find(|p| p.peer == entry.peer) {
            Some(held) if *held == entry => return Ok(()),
            Some(held) => *held = entry.clone(),
            // A full list ignores newcomers, as libp2p's store does: flooding a key with fake
            // providers does not push the real ones out.
            None if full => return Ok(()),
            None => providers.push(entry.clone()),
        }
        self.write(DhtTable::Providers, &key, Some(&encode_providers(&providers)));
        if record.provider == self.local {
            self.write(DhtTable::Provided, &key, Some(&encode_providers(&[entry])));
        }
        Ok(())
    }

    fn providers(&self, key: &RecordKey) -> Vec<ProviderRecord> {
        let providers = self.read(DhtTable::Providers, key.as_ref(), decode_providers).unwrap_or_default();
        providers.into_iter().map(|p| p.record(key.clone())).collect()
    }

    fn provided(&self) -> Self::ProvidedIter<'_> {
        let rows = self.read_all(DhtTable::Provided, decode_providers).into_iter();
        let entries = rows.flat_map(|(key, entries)| entries.into_iter().map(move |p| p.record(key.clone())));
        entries.map(Cow::Owned).collect::<Vec<_>>().into_iter()
    }

    fn remove_provider(&mut self, key: &RecordKey, peer: &PeerId) {
        let Some(mut providers) = self.read(DhtTable::Providers, key.as_ref(), decode_providers) else {
            return;
        };
        providers.retain(|p| p.peer != *peer);
        let row = (!providers.is_empty()).then(|| encode_providers(&providers));
        self.write(DhtTable::Providers, key.as_ref(), row.as_deref());
        if *peer == self.local {
            self.write(DhtTable::Provided, key.as_ref(), None);
        }
    }
}

/// One provider of a key, as a row keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Provider {
    peer: PeerId,
    expires: u64,
    addresses: Vec<Multiaddr>,
}

impl Provider {
    fn of(record: &ProviderRecord) -> Provider {
        Provider {
            peer: record.provider,
            expires: to_wall(record.expires),
            // A row holds a bounded entry: libp2p's own messages carry a few addresses.
            addresses: record.addresses.iter().take(MAX_ADDRESSES).cloned().collect(),
        }
    }

    fn record(self, key: RecordKey) -> ProviderRecord {
        ProviderRecord {
            key,
            provider: self.peer,
            expires: from_wall(self.expires),
            addresses: self.addresses,
        }
    }
}

/// The most addresses a provider entry keeps.
const MAX_ADDRESSES: usize = 16;

/// `expires` (wall-clock Unix milliseconds, 0 for never), the publisher (length-prefixed,
/// empty for none), then the value.
fn encode_record(record: &Record) -> Vec<u8> {
    let publisher = record.publisher.map(|p| p.to_bytes()).unwrap_or_default();
    let mut out = Vec::with_capacity(9 + publisher.len() + record.value.len());
    out.extend(to_wall(record.expires).to_le_bytes());
    out.push(publisher.len() as u8);
    out.extend(publisher);
    out.extend(&record.value);
    out
}

/// A record row: when it expires, its publisher and its value.
type RecordRow = (Option<Instant>, Option<PeerId>, Vec<u8>);

fn decode_record(bytes: &[u8]) -> Result<RecordRow, Truncated> {
    let mut r = Reader(bytes);
    let expires = from_wall(r.u64()?);
    let publisher = match r.take(1)?[0] as usize {
        0 => None,
        len => Some(PeerId::from_bytes(r.take(len)?).map_err(|_| Truncated)?),
    };
    Ok((expires, publisher, r.0.to_vec()))
}

/// Each provider in turn: its peer id (length-prefixed), `expires` and its addresses
/// (counted, each length-prefixed).
fn encode_providers(providers: &[Provider]) -> Vec<u8> {
    let mut out = Vec::new();
    for p in providers {
        let peer = p.peer.to_bytes();
        out.push(peer.len() as u8);
        out.extend(peer);
        out.extend(p.expires.to_le_bytes());
        out.push(p.addresses.len() as u8);
        for address in &p.addresses {
            out.extend((address.as_ref().len() as u16).to_le_bytes());
            out.extend(address.as_ref());
        }
    }
    out
}

fn decode_providers(bytes: &[u8]) -> Result<Vec<Provider>, Truncated> {
    let mut r = Reader(bytes);
    let mut providers = Vec::new();
    while r.remaining() > 0 && providers.len() < K_VALUE.get() {
        let len = r.take(1)?[0] as usize;
        let peer = PeerId::from_bytes(r.take(len)?).map_err(|_| Truncated)?;
        let expires = r.u64()?;
        let count = r.take(1)?[0] as usize;
        let mut addresses = Vec::with_capacity(count.min(MAX_ADDRESSES));
        for _ in 0..count {
            let len = r.u16()? as usize;
            addresses.push(Multiaddr::try_from(r.take(len)?.to_vec()).map_err(|_| Truncated)?);
        }
        providers.push(Provider { peer, expires, addresses });
    }
    Ok(providers)
}

fn unix_millis(at: SystemTime) -> u64 {
    at.duration_since(SystemTime::UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64)
}

/// An expiry as wall-clock Unix milliseconds (0 for never), which a restart keeps.
fn to_wall(at: Option<Instant>) -> u64 {
    at.map_or(0, |at| unix_millis(SystemTime::now() + at.saturating_duration_since(Instant::now())).max(1))
}

/// An expiry read back: one already past is due now.
fn from_wall(millis: u64) -> Option<Instant> {
    let left = millis.saturating_sub(unix_millis(SystemTime::now()));
    (millis != 0).then(|| Instant::now() + Duration::from_millis(left))
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;

    fn store(limits: DhtLimits) -> (PeerId, DhtStore) {
        let local = PeerId::random();
        (local, DhtStore::new(local, Box::<MemoryTables>::default(), limits))
    }

    fn provider(key: &[u8], peer: PeerId, expires: Option<Instant>) -> ProviderRecord {
        let address: Multiaddr = "/ip4/127.0.0.1/tcp/4001".parse().unwrap();
        ProviderRecord { key: RecordKey::new(&key), provider: peer, expires, addresses: vec![address] }
    }

    #[test]
    fn records_keep_their_publisher_and_expiry() {
        let (local, mut store) = store(DhtLimits::IN_MEMORY);
        let expires = Instant::now() + Duration::from_secs(3600);
        let record = Record {
            key: RecordKey::new(b"/souk/pack/a"),
            value: b"signed".to_vec(),
            publisher: Some(local),
            expires: Some(expires),
        };
        store.put(record.clone()).unwrap();
        let held = store.get(&record.key).unwrap().into_owned();
        assert_eq!((&held.key, &held.value, held.publisher), (&record.key, &record.value, record.publisher));
        let drift = held.expires.unwrap().max(expires) - held.expires.unwrap().min(expires);
        assert!(drift < Duration::from_secs(1), "expiry kept as wall-clock time, off by {drift:?}");
        assert_eq!(store.records().count(), 1);
        store.remove(&record.key);
        assert!(store.get(&record.key).is_none());
    }

    #[test]
    fn limits_refuse_new_keys_but_not_updates() {
        let (local, mut store) = store(DhtLimits { records: 2, provided_keys: 2 });
        for key in [b"a", b"b"] {
            store.put(Record::new(key.to_vec(), b"1".to_vec())).unwrap();
            store.add_provider(provider(key, local, None)).unwrap();
        }
        assert!(matches!(store.put(Record::new(b"c".to_vec(), vec![])), Err(store::Error::MaxRecords)));
        store.put(Record::new(b"a".to_vec(), b"2".to_vec())).expect("a held key is replaced");
        let third = provider(b"c", local, None);
        assert!(matches!(store.add_provider(third), Err(store::Error::MaxProvidedKeys)));
        let big = Record::new(b"a".to_vec(), vec![0; MAX_RECORD_LEN + 1]);
        assert!(matches!(store.put(big), Err(store::Error::ValueTooLarge)));
    }

    #[test]
    fn a_key_keeps_at_most_twenty_providers_and_this_peers_own_apart() {
        let (local, mut store) = store(DhtLimits::IN_MEMORY);
        let first = PeerId::random();
        store.add_provider(provider(b"h", first, None)).unwrap();
        for _ in 0..30 {
            store.add_provider(provider(b"h", PeerId::random(), None)).unwrap();
        }
        let providers = store.providers(&RecordKey::new(b"h"));
        assert_eq!(providers.len(), K_VALUE.get(), "a flood of providers does not grow the list");
        assert!(providers.iter().any(|p| p.provider == first), "nor pushes the first ones out");

        store.add_provider(provider(b"mine", local, None)).unwrap();
        let provided: Vec<_> = store.provided().map(|p| p.into_owned()).collect();
        assert_eq!(provided.len(), 1);
        assert_eq!((provided[0].key.as_ref(), provided[0].provider), (b"mine".as_slice(), local));
        store.remove_provider(&RecordKey::new(b"mine"), &local);
        assert_eq!(store.provided().count(), 0);
        assert!(store.providers(&RecordKey::new(b"mine")).is_empty());
    }

    #[test]
    fn an_unreadable_row_is_absent_not_a_panic() {
        let (_, mut store) = store(DhtLimits::IN_MEMORY);
        for bytes in [&b""[..], &[1, 2, 3], &[0, 0, 0, 0, 0, 0, 0, 0, 9, 1]] {
            store.tables.put(DhtTable::Records, b"k", bytes).unwrap();
            store.tables.put(DhtTable::Providers, b"k", bytes).unwrap();
            assert!(store.get(&RecordKey::new(b"k")).is_none());
            assert!(store.providers(&RecordKey::new(b"k")).is_empty());
        }
    }

    #[test]
    fn an_expired_entry_reads_back_as_due() {
        let (_, mut store) = store(DhtLimits::IN_MEMORY);
        let past = Instant::now();
        store.add_provider(provider(b"h", PeerId::random(), Some(past))).unwrap();
        let read = store.providers(&RecordKey::new(b"h")).remove(0);
        assert!(read.is_expired(Instant::now() + Duration::from_millis(1)));
    }
}
