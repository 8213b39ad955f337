//! Souk's Kademlia DHT (`/souk/kad/1.0.0`, not the IPFS one): pack records under their
//! folded names and providers under content hashes ([`souk_core::peer::dht`] has the
//! layout and the replacement rule). Every query under way is one entry of one map, its
//! kind an enum variant, as libp2p-kad keeps its own.
//!
//! Records from other peers are filtered: a put reaches the node as [`DhtEvent::Put`] and
//! is stored only once the core has taken it; a lookup's answer reaches it as
//! [`DhtEvent::Found`] and is answered only once the core has checked it.

use std::collections::HashMap;

use libp2p::kad::store::RecordStore;
use libp2p::kad::{self, QueryId};
use libp2p::{PeerId, StreamProtocol};
use souk_core::Digest;
use souk_core::peer::dht::{is_provider_key, record_key, replaces};
use souk_core::record::{MAX_RECORD_LEN, PackRecord};
use web_time::Instant;

use crate::error::{NodeError, Reply};
use crate::events::Timing;
use crate::protocol::{Protocol, State};

/// Souk's own Kademlia DHT: not the IPFS one.
pub const PROTOCOL: StreamProtocol = StreamProtocol::new("/souk/kad/1.0.0");

mod store;

pub use store::{DhtLimits, DhtStore, DhtTable, DhtTables, MemoryTables, Row};

type Kad = kad::Behaviour<DhtStore>;

/// The DHT protocol.
pub type Dht = Protocol<Kad, Queries>;

/// A query under way.
#[derive(Debug)]
enum Query {
    /// A record put: answers how many peers took it, then announces this peer as the
    /// provider of the pack's body, if it is to.
    Publish {
        reply: Reply<usize>,
        provide: Option<Digest>,
    },
    Lookup {
        name: String,
        started: Instant,
        /// DHT requests sent so far (libp2p-kad counts per query, cumulatively).
        requests: u32,
        reply: Reply<PackRecord>,
    },
    Providers {
        hash: Digest,
        reply: Reply<Vec<PeerId>>,
    },
}

/// The queries under way, and what lookups have cost.
#[derive(Debug)]
pub struct Queries {
    /// This peer, never a provider to fetch from.
    local: PeerId,
    pending: HashMap<QueryId, Query>,
    pub(crate) lookups: Timing,
    /// DHT requests the lookups sent in all.
    pub(crate) lookup_requests: u64,
}

/// What the DHT tells the node.
#[derive(Debug)]
pub enum DhtEvent {
    /// A peer puts a record here: keep it with [`Dht::keep`] once the core took it.
    Put { from: PeerId, key: Vec<u8>, value: Vec<u8> },
    /// A peer says it provides a body (libp2p checked the provider is the sender): keep it
    /// with [`Dht::add_provider`] if the peer is within its rate.
    Provide(kad::ProviderRecord),
    /// A lookup found a record: answer with [`Dht::found`] once the core checked it.
    Found { query: QueryId, name: String, key: Vec<u8>, value: Vec<u8>, from: Option<PeerId> },
    /// A providers query found peers: answer with [`Dht::providers_found`].
    Providers { query: QueryId, hash: Digest, peers: Vec<PeerId> },
}

/// Souk's Kademlia: its own protocol name, and every record a peer sends checked
/// (signature, rules) by the node before it is stored.
pub fn config() -> kad::Config {
    let mut config = kad::Config::new(PROTOCOL);
    config.set_record_filtering(kad::StoreInserts::FilterBoth);
    // Kademlia's messages hold a whole record (up to 64 KiB) beside up to 20 closer peers
    // with their addresses; its default limit, 16 KiB, refused a valid record with many
    // dependencies in every put and every answer.
    config.set_max_packet_size(MAX_RECORD_LEN + 16 * 1024);
    config
}

impl Queries {
    /// Counts a lookup that ended, once, whatever its answer.
    fn looked_up(&mut self, started: Instant, requests: u32) {
        self.lookups.add(started.elapsed());
        self.lookup_requests += u64::from(requests);
    }
}

impl State<Kad> for Queries {
    type Event = DhtEvent;

    fn on_event(&mut self, kad: &mut Kad, event: kad::Event) -> Option<DhtEvent> {
        use kad::{Event, GetProvidersOk, GetRecordOk, InboundRequest, QueryResult};
        match event {
            Event::InboundRequest {
                request: InboundRequest::PutRecord { source, record: Some(record), .. },
            } => Some(DhtEvent::Put { from: source, key: record.key.to_vec(), value: record.value }),
            // Only content hashes are provided; the provider is the peer that said so.
            Event::InboundRequest { request: InboundRequest::AddProvider { record: Some(record) } }
                if is_provider_key(record.key.as_ref()) =>
            {
                Some(DhtEvent::Provide(record))
            }
            Event::OutboundQueryProgressed { id, result, step, stats } => {
                if let Some(Query::Lookup { requests, .. }) = self.pending.get_mut(&id) {
                    *requests = stats.num_requests();
                }
                match (result, self.pending.get(&id)?) {
                    (
                        QueryResult::GetRecord(Ok(GetRecordOk::FoundRecord(found))),
                        Query::Lookup { name, .. },
                    ) => Some(DhtEvent::Found {
                        query: id,
                        name: name.clone(),
                        key: found.record.key.to_vec(),
                        value: found.record.value,
                        from: found.peer,
                    }),
                    (
                        QueryResult::GetProviders(Ok(GetProvidersOk::FoundProviders { providers, .. })),
                        Query::Providers { hash, .. },
                    ) => {
                        let peers: Vec<PeerId> = providers.into_iter().filter(|p| *p != self.local).collect();
                        (!peers.is_empty()).then_some(DhtEvent::Providers { query: id, hash: *hash, peers })
                    }
                    (result, _) if step.last => {
                        match (self.pending.remove(&id)?, result) {
                            (Query::Publish { reply, provide }, QueryResult::PutRecord(result)) => {
                                // After the put, not beside it: the provider walk would
                                // otherwise share the put's time.
                                if let Some(hash) = provide {
                                    let _ = kad.start_providing(hash.to_vec().into());
                                }
                                // The record is kept here already; the answer is how many peers took it.
                                let reached = match result {
                                    Ok(_) => 1,
                                    Err(kad::PutRecordError::QuorumFailed { success, .. }) => success.len(),
                                    Err(_) => 0,
                                };
                                let _ = reply.send(Ok(reached));
                            }
                            (Query::Lookup { name, started, requests, reply }, _) => {
                                self.looked_up(started, requests);
                                let _ = reply.send(Err(NodeError::NotFound(name)));
                            }
                            (Query::Providers { reply, .. }, _) => drop(reply.send(Ok(Vec::new()))),
                            (query, _) => drop(self.pending.insert(id, query)),
                        }
                        None
                    }
                    _ => None,
                }
            }
            _ => None,
        }
    }
}

impl Dht {
    pub fn new(local: PeerId) -> Self {
        let queries =
            Queries { local, pending: HashMap::new(), lookups: Timing::default(), lookup_requests: 0 };
        Protocol::wrap(Kad::with_config(local, DhtStore::in_memory(local), config()), queries)
    }

    /// Keeps the DHT store in `tables` from now on (a relay's database), holding up to `limits`.
    pub fn store_in(&mut self, tables: Box<dyn DhtTables>, limits: DhtLimits) {
        *self.inner.store_mut() = DhtStore::new(self.state.local, tables, limits);
    }

    /// Keeps `record` in the local DHT store unless what it holds under the name stays
    /// ([`replaces`]).
    pub fn keep(&mut self, record: &PackRecord) {
        let key = kad::RecordKey::new(&record_key(&record.pack.name));
        let store = self.inner.store_mut();
        let held = store.get(&key).and_then(|r| PackRecord::decode(&r.value).ok());
        if replaces(held.as_ref(), record) {
            let _ = store.put(kad::Record::new(key, record.encode()));
        }
    }

    /// Puts this peer's own record into the DHT and then, if `provide` names its body,
    /// tells the DHT this peer provides it.
    pub(crate) fn publish(&mut self, record: &PackRecord, provide: Option<Digest>, reply: Reply<usize>) {
        let key = kad::RecordKey::new(&record_key(&record.pack.name));
        match self.inner.put_record(kad::Record::new(key, record.encode()), kad::Quorum::One) {
            Ok(id) => drop(self.state.pending.insert(id, Query::Publish { reply, provide })),
            // Kept here, but the DHT could not take it (the record store is full).
            Err(e) => drop(reply.send(Err(NodeError::DhtStore(e.to_string())))),
        }
    }

    /// Takes the addresses a peer says it listens on into the routing table, if it is
    /// there already or its bucket has room. A newcomer to a full bucket is left out:
    /// Kademlia would test it by dialing the bucket's oldest entry, whose own full bucket
    /// takes the dialer in the same way, and every connection would set off a chain of
    /// dials across the network. Kademlia keeps its oldest peers anyway; a dead one leaves
    /// the table when a walk fails to reach it.
    pub fn learn(&mut self, peer: PeerId, addrs: Vec<libp2p::Multiaddr>) {
        let room = self.inner.kbucket(peer).is_some_and(|bucket| {
            bucket.num_entries() < kad::K_VALUE.get() || bucket.iter().any(|e| *e.node.key.preimage() == peer)
        });
        if room {
            for addr in addrs {
                self.inner.add_address(&peer, addr);
            }
        }
    }

    /// Tells the DHT this peer provides the body with `hash`.
    pub fn provide(&mut self, hash: Digest) -> Result<(), kad::store::Error> {
        self.inner.start_providing(hash.to_vec().into()).map(drop)
    }

    /// Keeps another peer's provider entry.
    pub fn add_provider(&mut self, record: kad::ProviderRecord) {
        if let Err(e) = self.inner.store_mut().add_provider(record) {
            tracing::debug!(error = %e, "a provider entry not kept");
        }
    }

    /// Records that this node provides `hash` (a body its store kept from an earlier run)
    /// without announcing it now: Kademlia republishes provider records on its schedule.
    pub fn provided(&mut self, hash: Digest) {
        let local = self.state.local;
        let record = kad::ProviderRecord::new(hash.to_vec(), local, Vec::new());
        if let Err(e) = self.inner.store_mut().add_provider(record) {
            tracing::warn!(error = %e, "cannot provide a stored body");
        }
    }

    pub(crate) fn lookup(&mut self, name: String, reply: Reply<PackRecord>) {
        let id = self.inner.get_record(kad::RecordKey::new(&record_key(&name)));
        self.state.pending.insert(id, Query::Lookup { name, started: Instant::now(), requests: 0, reply });
    }

    /// Answers a lookup with the record the core accepted, and ends its query.
    pub fn found(&mut self, query: QueryId, record: PackRecord) {
        if let Some(Query::Lookup { started, requests, reply, .. }) = self.state.pending.remove(&query) {
            self.state.looked_up(started, requests);
            let _ = reply.send(Ok(record));
        }
        if let Some(mut query) = self.inner.query_mut(&query) {
            query.finish();
        }
    }

    pub(crate) fn providers(&mut self, hash: Digest, reply: Reply<Vec<PeerId>>) {
        let id = self.inner.get_providers(hash.to_vec().into());
        self.state.pending.insert(id, Query::Providers { hash, reply });
    }

    /// Answers a providers query, and ends it.
    pub fn providers_found(&mut self, query: QueryId, peers: Vec<PeerId>) {
        if let Some(Query::Providers { reply, .. }) = self.state.pending.remove(&query) {
            let _ = reply.send(Ok(peers));
        }
        if let Some(mut query) = self.inner.query_mut(&query) {
            query.finish();
        }
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use libp2p::swarm::ConnectionId;

    use super::*;

    fn signed(name: &str, version: &str, key: &[u8; 32]) -> PackRecord {
        let mut pack = souk_pack::demo::packs().unwrap().remove(0).version;
        pack.name = name.into();
        pack.version = version.parse().unwrap();
        PackRecord::sign(pack, key).unwrap()
    }

    fn held(dht: &mut Dht, name: &str) -> Option<PackRecord> {
        let key = kad::RecordKey::new(&record_key(name));
        dht.inner.store_mut().get(&key).map(|r| PackRecord::decode(&r.value).unwrap())
    }

    #[test]
    fn identified_peers_join_a_bucket_with_room_and_a_full_one_is_left_alone() {
        let local = PeerId::random();
        let mut dht = Dht::new(local);
        let addr: libp2p::Multiaddr = "/memory/1".parse().unwrap();
        let k = kad::K_VALUE.get();
        // Half of all keys fall in the farthest bucket: fill it, and keep one more of them.
        let bucket = |p: &PeerId| kad::KBucketKey::from(local).distance(&kad::KBucketKey::from(*p)).ilog2();
        let mut far = std::iter::repeat_with(PeerId::random).filter(|p| bucket(p) == Some(255));
        let full: Vec<PeerId> = far.by_ref().take(k).collect();
        for &peer in &full {
            dht.learn(peer, vec![addr.clone()]);
        }
        let entries =
            |dht: &mut Dht, peer| dht.inner.kbucket(peer).map(|b| (b.num_entries(), b.has_pending()));
        assert_eq!(entries(&mut dht, full[0]), Some((k, false)));
        // A newcomer to the full bucket is not taken, nor tested by a dial to the oldest.
        let newcomer = far.next().unwrap();
        dht.learn(newcomer, vec![addr.clone()]);
        assert_eq!(entries(&mut dht, newcomer), Some((k, false)));
        assert!(dht.inner.remove_peer(&newcomer).is_none());
        // One already there learns its new address; a peer of another bucket joins.
        let other: libp2p::Multiaddr = "/memory/2".parse().unwrap();
        dht.learn(full[0], vec![other.clone()]);
        let near = std::iter::repeat_with(PeerId::random).find(|p| bucket(p) == Some(254)).unwrap();
        dht.learn(near, vec![addr]);
        assert_eq!(entries(&mut dht, near), Some((1, false)));
        let kept = dht.inner.remove_peer(&full[0]).expect("still routed");
        // Kademlia keeps it with the peer id appended.
        assert!(kept.node.value.iter().any(|a| a.to_string().starts_with(&other.to_string())));
    }

    #[test]
    fn the_store_keeps_a_names_newest_version() {
        let mut dht = Dht::new(PeerId::random());
        let first = signed("rust-cli", "1.0.0", &[1; 32]);
        dht.keep(&first);
        // Another owner's version (the core offers a record only once its catalog took it).
        let newer = signed("Rust_CLI", "1.1.0", &[2; 32]);
        dht.keep(&newer);
        dht.keep(&first);
        assert_eq!(held(&mut dht, "RUST-cli"), Some(newer), "newest kept, under any spelling");
    }

    /// libp2p's default store took 1,024 records and 1,024 provided keys, and refused the
    /// rest: the network stopped at about a thousand packs.
    #[test]
    fn the_store_holds_thousands_of_packs_and_provides_thousands_of_bodies() {
        let mut dht = Dht::new(PeerId::random());
        let template = signed("pack", "1.0.0", &[1; 32]);
        for i in 0..3000u32 {
            let mut pack = template.pack.clone();
            pack.name = format!("pack-{i}");
            dht.keep(&PackRecord::sign(pack, &[1; 32]).unwrap());
            dht.provide(souk_core::body::content_hash(&i.to_le_bytes())).unwrap();
        }
        assert_eq!(dht.inner.store_mut().records().count(), 3000);
        assert_eq!(dht.inner.store_mut().provided().count(), 3000);
        assert!(held(&mut dht, "pack-2999").is_some());
    }

    #[test]
    fn puts_reach_the_node_unstored_and_only_hashes_are_provided() {
        let mut dht = Dht::new(PeerId::random());
        let (from, provider) = (PeerId::random(), PeerId::random());
        let put = kad::Event::InboundRequest {
            request: kad::InboundRequest::PutRecord {
                source: from,
                connection: ConnectionId::new_unchecked(1),
                record: Some(kad::Record::new(record_key("rust-cli"), b"bytes".to_vec())),
            },
        };
        let Some(DhtEvent::Put { from: seen, key, value }) = dht.state.on_event(&mut dht.inner, put) else {
            panic!("a put reaches the node");
        };
        assert_eq!((seen, key, value), (from, record_key("rust-cli"), b"bytes".to_vec()));
        assert!(held(&mut dht, "rust-cli").is_none(), "kept only once the core took it");

        for (key, kept) in [(vec![7; 32], true), (b"/not/a/hash".to_vec(), false)] {
            let record = kad::ProviderRecord::new(key.clone(), provider, Vec::new());
            let add = kad::Event::InboundRequest {
                request: kad::InboundRequest::AddProvider { record: Some(record) },
            };
            match dht.state.on_event(&mut dht.inner, add) {
                Some(DhtEvent::Provide(record)) => dht.add_provider(record),
                other => assert!(other.is_none()),
            }
            let providers = dht.inner.store_mut().providers(&kad::RecordKey::new(&key));
            assert_eq!(!providers.is_empty(), kept);
        }
    }
}
