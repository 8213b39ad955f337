//! A node: one task owns the swarm, the catalog and the store; callers talk to it through a
//! cloneable [`NodeHandle`].
//!
//! The task is a plain future ([`Node::run`]), so each shell spawns it on its own
//! executor: tokio natively, the browser's microtasks in a tab. Everything a peer sends is
//! checked before it is kept, forwarded or answered; a peer whose input fails a check is
//! logged and loses reputation, and nothing of its input is stored.

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

use futures::channel::{mpsc, oneshot};
use futures::future::Either;
use futures::{FutureExt, StreamExt};
use libp2p::core::transport::ListenerId;
use libp2p::kad::store::RecordStore;
use libp2p::kad::{self, QueryId};
use libp2p::request_response::{self, OutboundRequestId};
use libp2p::swarm::dial_opts::DialOpts;
use libp2p::swarm::{ConnectionId, SwarmEvent};
use libp2p::{Multiaddr, PeerId, Swarm, gossipsub, identify, ping};
use souk_core::body::content_hash;
use souk_core::cache::{CacheStats, TieredCache};
use souk_core::catalog::Catalog;
use souk_core::name::{eq_folded, fold_byte};
use souk_core::record::PackRecord;
use souk_core::reputation::{PeerRecord, Reputation};
use souk_core::{Digest, Index};
use tracing::{debug, warn};
use web_time::{Instant, SystemTime};

use crate::behaviour::{Behaviour, BehaviourEvent, KAD_PROTOCOL, announce_topic};
use crate::fetch::{FetchError, FetchRequest, FetchResponse, verify};
pub use crate::handle::NodeHandle;
use crate::store::{Store, StoreError};
use crate::sync::{SyncRequest, SyncResponse};

/// A catalog log longer than this is folded into a new base when the node starts.
const COMPACT_AFTER: usize = 64;

/// A failed network operation, in words.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NodeError {
    #[error("the node has stopped")]
    Stopped,
    #[error("cannot listen: {0}")]
    Listen(String),
    #[error("cannot connect: {0}")]
    Dial(String),
    #[error("no bootstrap peer could be reached")]
    NoPeers,
    #[error(transparent)]
    Fetch(#[from] FetchError),
    #[error("cannot publish: {0}")]
    Publish(String),
    #[error("no record of `{0}` found in the network")]
    NotFound(String),
    #[error("index sync failed: {0}")]
    Sync(String),
    #[error("{0}")]
    Resolve(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Where a command's answer goes.
pub(crate) type Reply<T> = oneshot::Sender<Result<T, NodeError>>;

/// What a sync with one peer reached: valid while the peer keeps its epoch and base.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Cursor {
    pub epoch: u64,
    pub chunks: Vec<Digest>,
    pub seq: u64,
}

pub(crate) type ReadIndex = Box<dyn FnOnce(&Index) + Send>;

pub(crate) enum Command {
    Listen(Multiaddr, Reply<Multiaddr>),
    Addresses(oneshot::Sender<Vec<Multiaddr>>),
    Dial(Multiaddr, Reply<PeerId>),
    Bootstrap(oneshot::Sender<()>),
    Fetch(Vec<PeerId>, Digest, Reply<(PeerId, Vec<u8>)>),
    Body(Digest, Reply<Option<Vec<u8>>>),
    Providers(Digest, Reply<Vec<PeerId>>),
    Reputation(PeerId, oneshot::Sender<PeerRecord>),
    PutBody(Vec<u8>, Reply<Digest>),
    Publish(Box<PackRecord>, Vec<u8>, Reply<usize>),
    Lookup(String, Reply<PackRecord>),
    Read(ReadIndex),
    Sync(PeerId, SyncRequest, Reply<SyncResponse>),
    SyncState(PeerId, oneshot::Sender<(Option<Cursor>, Vec<Digest>)>),
    Rebase(PeerId, Vec<u8>, u64, Reply<()>),
    Accept(PeerId, Vec<Vec<u8>>, oneshot::Sender<(usize, usize)>),
    Synced(PeerId, Cursor),
    Misbehaved(PeerId, String),
    Peers(oneshot::Sender<Vec<PeerInfo>>),
    Stats(oneshot::Sender<Stats>),
    Observe(Metric, Duration),
    Subscribe(mpsc::UnboundedSender<NodeEvent>),
}

/// What a node tells its subscribers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NodeEvent {
    /// A peer announced a pack version; the record passed every check and is now kept.
    Announced(Box<PackRecord>),
    /// A record new to this node came from a peer (by gossip, DHT put, lookup or sync).
    Learned {
        record: Box<PackRecord>,
        from: Option<PeerId>,
    },
    Connected(PeerId),
    Disconnected(PeerId),
}

/// A connected peer and what this node has learned of it.
#[derive(Debug, Clone, PartialEq)]
pub struct PeerInfo {
    pub peer_id: PeerId,
    pub address: Multiaddr,
    pub reputation: PeerRecord,
    /// The last ping's round trip, once one has come back.
    pub rtt: Option<Duration>,
}

/// What is timed, for `stats` and the relay's metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Metric {
    Search,
    Lookup,
    Install,
}

/// How many of one kind of operation ran, and how long they took together.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Timing {
    pub count: u64,
    pub total: Duration,
}

impl Timing {
    fn add(&mut self, took: Duration) {
        self.count += 1;
        self.total += took;
    }
}

/// The node's counters.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Stats {
    pub peers: usize,
    /// Pack versions in the index.
    pub packs: usize,
    /// The catalog's sequence number.
    pub seq: u64,
    pub cache: CacheStats,
    pub searches: Timing,
    pub lookups: Timing,
    /// DHT requests the lookups sent in all: over `lookups.count`, the peers asked per lookup.
    pub lookup_requests: u64,
    pub installs: Timing,
    /// Records, messages and bodies refused from peers.
    pub refused: u64,
}

/// What the lookup cache holds.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Lookup {
    /// A pack's newest record, by folded name.
    Record(Vec<u8>),
    Providers(Digest),
}

#[derive(Debug, Clone)]
enum Answer {
    Record(Box<PackRecord>),
    Providers(Vec<PeerId>),
}

/// A fetch under way: the peer being asked now and those left to try, best first.
struct Fetching {
    hash: Digest,
    remaining: VecDeque<PeerId>,
    peer: Option<PeerId>,
    started: Instant,
    reply: Reply<(PeerId, Vec<u8>)>,
}

/// The task that owns a swarm and a store.
pub struct Node<S> {
    swarm: Swarm<Behaviour>,
    store: S,
    commands: mpsc::Receiver<Command>,
    catalog: Catalog,
    /// Identifies this run's numbering of the catalog log to peers that sync from it.
    epoch: u64,
    cache: TieredCache<Lookup, Answer>,
    started: Instant,
    reputation: Reputation<PeerId>,
    stats: Stats,
    listening: HashMap<ListenerId, Reply<Multiaddr>>,
    dialing: HashMap<ConnectionId, Reply<PeerId>>,
    fetching: HashMap<OutboundRequestId, Fetching>,
    syncing: HashMap<OutboundRequestId, Reply<SyncResponse>>,
    cursors: HashMap<PeerId, Cursor>,
    /// Where each connected peer is, as its first connection saw it, and its last ping.
    connected: HashMap<PeerId, (Multiaddr, Option<Duration>)>,
    publishing: HashMap<QueryId, Reply<usize>>,
    looking_up: HashMap<QueryId, (String, Instant, Reply<PackRecord>)>,
    finding_providers: HashMap<QueryId, (Digest, Reply<Vec<PeerId>>)>,
    subscribers: Vec<mpsc::UnboundedSender<NodeEvent>>,
}

impl<S> std::fmt::Debug for Node<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Node").field("peer_id", self.swarm.local_peer_id()).finish_non_exhaustive()
    }
}

impl<S: Store> Node<S> {
    /// A node over `swarm`, starting from what `store` holds: the catalog (base and every
    /// record, which also go back into the DHT store) and the peers' reputation.
    pub fn new(swarm: Swarm<Behaviour>, store: S) -> Result<(Node<S>, NodeHandle), NodeError> {
        let (tx, rx) = mpsc::channel(64);
        let handle = NodeHandle { commands: tx, peer_id: *swarm.local_peer_id() };
        let catalog = match store.base()? {
            Some((snapshot, seq)) => Catalog::from_snapshot(snapshot, seq)
                .map_err(|e| StoreError(format!("the stored index is unreadable: {e}")))?,
            None => Catalog::default(),
        };
        let epoch =
            SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64);
        let mut node = Node {
            swarm,
            catalog,
            epoch,
            cache: TieredCache::new(Default::default()),
            started: Instant::now(),
            reputation: Reputation::from_records(store.reputation()?),
            stats: Stats::default(),
            store,
            commands: rx,
            listening: HashMap::new(),
            dialing: HashMap::new(),
            fetching: HashMap::new(),
            syncing: HashMap::new(),
            cursors: HashMap::new(),
            connected: HashMap::new(),
            publishing: HashMap::new(),
            looking_up: HashMap::new(),
            finding_providers: HashMap::new(),
            subscribers: Vec::new(),
        };
        // Oldest first, so a newer version never meets an index without its predecessor.
        let mut records = node.store.records()?;
        records.sort_by(|a, b| (a.pack.published, &a.pack.version).cmp(&(b.pack.published, &b.pack.version)));
        for record in records {
            node.keep_in_dht(&record);
            if let Err(e) = node.catalog.accept(record) {
                warn!(error = %e, "a stored record breaks the registry rules; it is left out of the index");
            }
        }
        if node.catalog.log().len() > COMPACT_AFTER {
            node.catalog.compact();
            node.persist_base()?;
        }
        Ok((node, handle))
    }

    /// Runs until every handle is dropped.
    pub async fn run(mut self) {
        loop {
            let next = futures::select! {
                command = self.commands.next() => Either::Left(command),
                event = self.swarm.select_next_some().fuse() => Either::Right(event),
            };
            match next {
                Either::Left(Some(command)) => self.on_command(command),
                Either::Left(None) => return,
                Either::Right(event) => self.on_event(event),
            }
        }
    }

    fn now_ms(&self) -> u64 {
        self.started.elapsed().as_millis() as u64
    }

    fn on_command(&mut self, command: Command) {
        match command {
            Command::Listen(addr, reply) => match self.swarm.listen_on(addr) {
                Ok(id) => {
                    self.listening.insert(id, reply);
                }
                Err(e) => drop(reply.send(Err(NodeError::Listen(e.to_string())))),
            },
            Command::Addresses(reply) => drop(reply.send(self.swarm.external_addresses().cloned().collect())),
            Command::Dial(addr, reply) => {
                let opts = DialOpts::unknown_peer_id().address(addr).build();
                let id = opts.connection_id();
                match self.swarm.dial(opts) {
                    Ok(()) => {
                        self.dialing.insert(id, reply);
                    }
                    Err(e) => drop(reply.send(Err(NodeError::Dial(e.to_string())))),
                }
            }
            Command::Bootstrap(reply) => {
                // Without known peers there is nothing to walk; the dials said so already.
                let _ = self.swarm.behaviour_mut().kad.bootstrap();
                let _ = reply.send(());
            }
            Command::Fetch(mut peers, hash, reply) => {
                self.reputation.rank(&mut peers);
                let attempt =
                    Fetching { hash, remaining: peers.into(), peer: None, started: Instant::now(), reply };
                self.try_next(attempt, FetchError::Network("no peer to fetch from".into()));
            }
            Command::Body(hash, reply) => drop(reply.send(self.store.body(&hash).map_err(Into::into))),
            Command::Providers(hash, reply) => {
                let now = self.now_ms();
                if let Some(Answer::Providers(peers)) = self.cache.get(&Lookup::Providers(hash), now) {
                    let _ = reply.send(Ok(peers));
                    return;
                }
                let id = self.swarm.behaviour_mut().kad.get_providers(hash.to_vec().into());
                self.finding_providers.insert(id, (hash, reply));
            }
            Command::Reputation(peer, reply) => drop(reply.send(self.reputation.get(&peer))),
            Command::PutBody(body, reply) => drop(reply.send(self.keep_body(body).map_err(Into::into))),
            Command::Publish(record, body, reply) => self.publish(*record, body, reply),
            Command::Lookup(name, reply) => {
                let now = self.now_ms();
                if let Some(Answer::Record(record)) = self.cache.get(&Lookup::Record(folded(&name)), now) {
                    let _ = reply.send(Ok(*record));
                    return;
                }
                let id = self.swarm.behaviour_mut().kad.get_record(record_key(&name));
                self.looking_up.insert(id, (name, Instant::now(), reply));
            }
            Command::Read(read) => read(self.catalog.index()),
            Command::Sync(peer, request, reply) => {
                let id = self.swarm.behaviour_mut().sync.send_request(&peer, request);
                self.syncing.insert(id, reply);
            }
            Command::SyncState(peer, reply) => {
                let _ = reply.send((self.cursors.get(&peer).cloned(), self.catalog.head().chunks));
            }
            Command::Rebase(peer, snapshot, seq, reply) => {
                let result = match self.catalog.rebase(snapshot, seq) {
                    Ok(dropped) => {
                        for record in dropped {
                            warn!(pack = %record.pack.name, "a record of ours conflicts with the synced index; dropped");
                        }
                        self.persist_base().map_err(Into::into)
                    }
                    Err(e) => {
                        self.misbehaved(peer, &format!("its index snapshot is unreadable: {e}"));
                        Err(NodeError::Sync(e.to_string()))
                    }
                };
                let _ = reply.send(result);
            }
            Command::Accept(peer, records, reply) => {
                let total = records.len();
                let accepted = records.iter().filter(|bytes| self.take_record(peer, bytes, "sync")).count();
                let _ = reply.send((accepted, total - accepted));
            }
            Command::Synced(peer, cursor) => {
                self.cursors.insert(peer, cursor);
            }
            Command::Misbehaved(peer, why) => self.misbehaved(peer, &why),
            Command::Peers(reply) => {
                let peers = self
                    .connected
                    .iter()
                    .map(|(peer, (address, rtt))| PeerInfo {
                        peer_id: *peer,
                        address: address.clone(),
                        reputation: self.reputation.get(peer),
                        rtt: *rtt,
                    })
                    .collect();
                let _ = reply.send(peers);
            }
            Command::Stats(reply) => {
                let stats = Stats {
                    peers: self.connected.len(),
                    packs: self.catalog.index().len(),
                    seq: self.catalog.seq(),
                    cache: self.cache.stats(),
                    ..self.stats.clone()
                };
                let _ = reply.send(stats);
            }
            Command::Observe(metric, took) => self.observe(metric, took),
            Command::Subscribe(tx) => self.subscribers.push(tx),
        }
    }

    /// Stores a body and, if this node can be dialed, tells the DHT it provides it.
    fn keep_body(&mut self, body: Vec<u8>) -> Result<Digest, StoreError> {
        let hash = self.store.put_body(body)?;
        if self.swarm.external_addresses().next().is_some()
            && let Err(e) = self.swarm.behaviour_mut().kad.start_providing(hash.to_vec().into())
        {
            warn!(error = %e, "cannot announce this node as a provider");
        }
        Ok(hash)
    }

    fn observe(&mut self, metric: Metric, took: Duration) {
        match metric {
            Metric::Search => self.stats.searches.add(took),
            Metric::Lookup => self.stats.lookups.add(took),
            Metric::Install => self.stats.installs.add(took),
        }
    }

    fn publish(&mut self, record: PackRecord, body: Vec<u8>, reply: Reply<usize>) {
        if record.pack.content_hash != Some(content_hash(&body)) {
            let _ = reply.send(Err(NodeError::Publish("the body does not match the record's hash".into())));
            return;
        }
        if let Err(e) = record.verify().and_then(|()| self.catalog.accept(record.clone())) {
            let _ = reply.send(Err(NodeError::Publish(e.to_string())));
            return;
        }
        if let Err(e) = self.keep_body(body).and_then(|_| self.store.put_record(&record)) {
            let _ = reply.send(Err(e.into()));
            return;
        }
        self.keep_in_dht(&record);
        self.cache.remove(&Lookup::Record(folded(&record.pack.name)));
        let encoded = record.encode();
        let behaviour = self.swarm.behaviour_mut();
        // Announced to whoever listens now; a peer with no listener yet learns it from the
        // DHT or a sync instead, so an announcement nobody hears is not an error.
        let _ = behaviour.gossipsub.publish(announce_topic(), encoded.clone());
        match behaviour
            .kad
            .put_record(kad::Record::new(record_key(&record.pack.name), encoded), kad::Quorum::One)
        {
            Ok(id) => {
                self.publishing.insert(id, reply);
            }
            // Kept here, but the DHT could not take it (the record store is full).
            Err(e) => drop(reply.send(Err(NodeError::Publish(e.to_string())))),
        }
    }

    fn on_event(&mut self, event: SwarmEvent<BehaviourEvent>) {
        match event {
            SwarmEvent::NewListenAddr { listener_id, address } => {
                // A peer that listens is reachable there: it serves the DHT (server mode)
                // and, on a relay, circuits.
                self.swarm.add_external_address(address.clone());
                if let Some(reply) = self.listening.remove(&listener_id) {
                    let _ = reply.send(Ok(address));
                }
            }
            SwarmEvent::ListenerClosed { listener_id, reason, .. } => {
                if let Some(reply) = self.listening.remove(&listener_id) {
                    let why = reason.err().map_or_else(|| "closed".to_owned(), |e| e.to_string());
                    let _ = reply.send(Err(NodeError::Listen(why)));
                }
            }
            SwarmEvent::ConnectionEstablished {
                peer_id, connection_id, num_established, endpoint, ..
            } => {
                if let Some(reply) = self.dialing.remove(&connection_id) {
                    let _ = reply.send(Ok(peer_id));
                }
                if num_established.get() == 1 {
                    self.connected.insert(peer_id, (endpoint.get_remote_address().clone(), None));
                    self.notify(NodeEvent::Connected(peer_id));
                }
            }
            SwarmEvent::ConnectionClosed { peer_id, num_established: 0, .. } => {
                self.connected.remove(&peer_id);
                self.notify(NodeEvent::Disconnected(peer_id));
            }
            SwarmEvent::OutgoingConnectionError { connection_id, error, .. } => {
                if let Some(reply) = self.dialing.remove(&connection_id) {
                    let _ = reply.send(Err(NodeError::Dial(error.to_string())));
                }
            }
            SwarmEvent::Behaviour(BehaviourEvent::Ping(ping::Event { peer, result: Ok(rtt), .. })) => {
                if let Some((_, last)) = self.connected.get_mut(&peer) {
                    *last = Some(rtt);
                }
            }
            SwarmEvent::Behaviour(BehaviourEvent::Fetch(event)) => self.on_fetch(event),
            SwarmEvent::Behaviour(BehaviourEvent::Sync(event)) => self.on_sync(event),
            SwarmEvent::Behaviour(BehaviourEvent::Kad(event)) => self.on_kad(event),
            SwarmEvent::Behaviour(BehaviourEvent::Gossipsub(gossipsub::Event::Message {
                propagation_source,
                message_id,
                message,
            })) => self.on_announcement(propagation_source, message_id, message),
            // Peers that speak Souk's DHT join the routing table at the addresses they listen on.
            SwarmEvent::Behaviour(BehaviourEvent::Identify(identify::Event::Received {
                peer_id,
                info,
                ..
            })) if info.protocols.contains(&KAD_PROTOCOL) => {
                for addr in info.listen_addrs {
                    self.swarm.behaviour_mut().kad.add_address(&peer_id, addr);
                }
            }
            _ => {}
        }
    }

    fn on_fetch(&mut self, event: request_response::Event<FetchRequest, FetchResponse>) {
        match event {
            request_response::Event::Message { message, .. } => match message {
                request_response::Message::Request { request: FetchRequest(hash), channel, .. } => {
                    let response = match self.store.body(&hash) {
                        Ok(Some(body)) => FetchResponse::Found(body),
                        Ok(None) => FetchResponse::NotFound,
                        Err(e) => {
                            warn!(error = %e, "cannot read a body to serve it");
                            FetchResponse::NotFound
                        }
                    };
                    // The requester may have gone; then there is no one to answer.
                    let _ = self.swarm.behaviour_mut().fetch.send_response(channel, response);
                }
                request_response::Message::Response { request_id, response } => {
                    if let Some(attempt) = self.fetching.remove(&request_id) {
                        let result = verify(&attempt.hash, response);
                        self.finish_attempt(attempt, result);
                    }
                }
            },
            request_response::Event::OutboundFailure { request_id, error, .. } => {
                if let Some(attempt) = self.fetching.remove(&request_id) {
                    self.finish_attempt(attempt, Err(FetchError::Network(error.to_string())));
                }
            }
            request_response::Event::InboundFailure { peer, error, .. } => {
                debug!(%peer, %error, "a fetch request failed");
            }
            request_response::Event::ResponseSent { .. } => {}
        }
    }

    fn on_sync(&mut self, event: request_response::Event<SyncRequest, SyncResponse>) {
        match event {
            request_response::Event::Message { message, .. } => match message {
                request_response::Message::Request { request, channel, .. } => {
                    let response = self.catalog.answer(request, self.epoch);
                    let _ = self.swarm.behaviour_mut().sync.send_response(channel, response);
                }
                request_response::Message::Response { request_id, response } => {
                    if let Some(reply) = self.syncing.remove(&request_id) {
                        let _ = reply.send(Ok(response));
                    }
                }
            },
            request_response::Event::OutboundFailure { request_id, error, peer, .. } => {
                if let Some(reply) = self.syncing.remove(&request_id) {
                    // A malformed or oversized answer shows as an I/O failure of the request.
                    if matches!(error, request_response::OutboundFailure::Io(_)) {
                        self.misbehaved(peer, &format!("a broken sync answer: {error}"));
                    }
                    let _ = reply.send(Err(NodeError::Sync(error.to_string())));
                }
            }
            request_response::Event::InboundFailure { peer, error, .. } => {
                debug!(%peer, %error, "a sync request failed");
            }
            request_response::Event::ResponseSent { .. } => {}
        }
    }

    fn on_kad(&mut self, event: kad::Event) {
        match event {
            kad::Event::InboundRequest {
                request: kad::InboundRequest::PutRecord { source, record: Some(record), .. },
            } => {
                if record.key.as_ref().starts_with(RECORD_PREFIX) {
                    self.take_dht_record(source, &record);
                } else {
                    self.misbehaved(source, "a DHT record outside Souk's key space");
                }
            }
            // Only content hashes are provided; the provider is the peer that said so.
            kad::Event::InboundRequest {
                request: kad::InboundRequest::AddProvider { record: Some(record) },
            } if record.key.as_ref().len() == 32 => {
                let _ = self.swarm.behaviour_mut().kad.store_mut().add_provider(record);
            }
            kad::Event::OutboundQueryProgressed { id, result, step, stats } => match result {
                kad::QueryResult::PutRecord(result) => {
                    // The record is kept here already; the answer is how many peers took it.
                    if step.last
                        && let Some(reply) = self.publishing.remove(&id)
                    {
                        let reached = match result {
                            Ok(_) => 1,
                            Err(kad::PutRecordError::QuorumFailed { success, .. }) => success.len(),
                            Err(_) => 0,
                        };
                        let _ = reply.send(Ok(reached));
                    }
                }
                kad::QueryResult::GetRecord(Ok(kad::GetRecordOk::FoundRecord(found))) => {
                    if let Some(record) = self.checked_lookup(id, &found.record) {
                        let (_, started, reply) = self.looking_up.remove(&id).expect("checked above");
                        self.observe(Metric::Lookup, started.elapsed());
                        self.stats.lookup_requests += u64::from(stats.num_requests());
                        if self.catalog.accept(record.clone()) == Ok(true) {
                            self.learned(&record, found.peer);
                        }
                        // Cached after `learned`, which clears what the cache held for the name.
                        let now = self.now_ms();
                        let key = Lookup::Record(folded(&record.pack.name));
                        self.cache.insert(key, Answer::Record(Box::new(record.clone())), now);
                        let _ = reply.send(Ok(record));
                        if let Some(mut query) = self.swarm.behaviour_mut().kad.query_mut(&id) {
                            query.finish();
                        }
                    }
                }
                kad::QueryResult::GetRecord(_) => {
                    if step.last
                        && let Some((name, started, reply)) = self.looking_up.remove(&id)
                    {
                        self.observe(Metric::Lookup, started.elapsed());
                        self.stats.lookup_requests += u64::from(stats.num_requests());
                        let _ = reply.send(Err(NodeError::NotFound(name)));
                    }
                }
                kad::QueryResult::GetProviders(Ok(kad::GetProvidersOk::FoundProviders {
                    providers, ..
                })) => {
                    let own = *self.swarm.local_peer_id();
                    let peers: Vec<PeerId> = providers.into_iter().filter(|p| *p != own).collect();
                    if !peers.is_empty()
                        && let Some((hash, reply)) = self.finding_providers.remove(&id)
                    {
                        // Their addresses live only as long as the query: connect now.
                        for peer in &peers {
                            if !self.swarm.is_connected(peer) {
                                let _ = self.swarm.dial(*peer);
                            }
                        }
                        let now = self.now_ms();
                        self.cache.insert(Lookup::Providers(hash), Answer::Providers(peers.clone()), now);
                        let _ = reply.send(Ok(peers));
                        if let Some(mut query) = self.swarm.behaviour_mut().kad.query_mut(&id) {
                            query.finish();
                        }
                    }
                }
                kad::QueryResult::GetProviders(_) => {
                    if step.last
                        && let Some((_, reply)) = self.finding_providers.remove(&id)
                    {
                        let _ = reply.send(Ok(Vec::new()));
                    }
                }
                _ => {}
            },
            _ => {}
        }
    }

    /// The record a lookup found, if it passes every check: valid, of the name asked for,
    /// and not a squatter's copy of a name this node's index gives to another key.
    fn checked_lookup(&mut self, id: QueryId, found: &kad::Record) -> Option<PackRecord> {
        let (name, ..) = self.looking_up.get(&id)?;
        let record = PackRecord::decode(&found.value).ok()?;
        if !eq_folded(&record.pack.name, name) || found.key != record_key(name) {
            return None;
        }
        match record.check_against(self.catalog.index()) {
            Ok(()) => Some(record),
            Err(e) => {
                debug!(error = %e, "a looked-up record breaks the registry rules; skipped");
                None
            }
        }
    }

    /// An inbound DHT put: kept only if it is a valid record of the pack its key names.
    fn take_dht_record(&mut self, source: PeerId, record: &kad::Record) {
        match PackRecord::decode(&record.value) {
            Ok(checked) if record.key == record_key(&checked.pack.name) => {
                // A relay announces what publishers put in the DHT, so peers whose gossip
                // never reached the publisher (or whose publisher's gossip failed) hear of it.
                let new = self.accept(source, checked, "DHT") == Some(true);
                if new && self.swarm.behaviour().relay.is_enabled() {
                    let _ =
                        self.swarm.behaviour_mut().gossipsub.publish(announce_topic(), record.value.clone());
                }
            }
            Ok(_) => self.misbehaved(source, "a DHT record stored under another pack's key"),
            Err(e) => self.misbehaved(source, &format!("a bad DHT record: {e}")),
        }
    }

    /// A record from a sync: decoded and accepted, or counted against the peer.
    fn take_record(&mut self, peer: PeerId, bytes: &[u8], via: &str) -> bool {
        match PackRecord::decode(bytes) {
            Ok(record) => self.accept(peer, record, via).is_some_and(|new| new),
            Err(e) => {
                self.misbehaved(peer, &format!("a bad record by {via}: {e}"));
                false
            }
        }
    }

    /// Takes a checked record into the catalog, the store and the DHT store if the registry
    /// rules allow it; answers whether it was new, or `None` if it was refused.
    fn accept(&mut self, from: PeerId, record: PackRecord, via: &str) -> Option<bool> {
        match self.catalog.accept(record.clone()) {
            Ok(new) => {
                if new {
                    self.learned(&record, Some(from));
                }
                self.keep_in_dht(&record);
                Some(new)
            }
            Err(e) => {
                self.misbehaved(from, &format!("a record by {via} breaking the rules: {e}"));
                None
            }
        }
    }

    /// Checks an announcement before gossip passes it on: a valid record is forwarded, kept
    /// and told to subscribers; anything else is rejected (and its sender penalized).
    fn on_announcement(&mut self, from: PeerId, id: gossipsub::MessageId, message: gossipsub::Message) {
        let accepted = match PackRecord::decode(&message.data) {
            Ok(record) => self.accept(from, record.clone(), "gossip").map(|new| (record, new)),
            Err(e) => {
                self.misbehaved(from, &format!("a bad announcement: {e}"));
                None
            }
        };
        let verdict = match accepted {
            Some(_) => gossipsub::MessageAcceptance::Accept,
            None => gossipsub::MessageAcceptance::Reject,
        };
        self.swarm.behaviour_mut().gossipsub.report_message_validation_result(&id, &from, verdict);
        // The same record can arrive twice (from its publisher and from a relay): told once.
        if let Some((record, true)) = accepted {
            self.notify(NodeEvent::Announced(Box::new(record)));
        }
    }

    /// Keeps a record new to this node and tells the subscribers.
    fn learned(&mut self, record: &PackRecord, from: Option<PeerId>) {
        if let Err(e) = self.store.put_record(record) {
            warn!(error = %e, "cannot store a record");
        }
        self.cache.remove(&Lookup::Record(folded(&record.pack.name)));
        self.notify(NodeEvent::Learned { record: Box::new(record.clone()), from });
    }

    fn notify(&mut self, event: NodeEvent) {
        self.subscribers.retain(|s| s.unbounded_send(event.clone()).is_ok());
    }

    /// Logs what `peer` did wrong and counts it against the peer.
    fn misbehaved(&mut self, peer: PeerId, why: &str) {
        warn!(%peer, "refused: {why}");
        self.stats.refused += 1;
        self.reputation.failed(&peer);
        self.persist_reputation(peer);
    }

    fn persist_reputation(&mut self, peer: PeerId) {
        if let Err(e) = self.store.put_reputation(&peer, &self.reputation.get(&peer)) {
            warn!(error = %e, "cannot store a peer's reputation");
        }
    }

    fn persist_base(&mut self) -> Result<(), StoreError> {
        self.store.put_base(self.catalog.base(), self.catalog.head().base_seq)
    }

    /// Asks the next peer of `attempt`, or answers `last_error` when none is left.
    fn try_next(&mut self, mut attempt: Fetching, last_error: FetchError) {
        let Some(peer) = attempt.remaining.pop_front() else {
            let _ = attempt.reply.send(Err(last_error.into()));
            return;
        };
        attempt.peer = Some(peer);
        attempt.started = Instant::now();
        let id = self.swarm.behaviour_mut().fetch.send_request(&peer, FetchRequest(attempt.hash));
        self.fetching.insert(id, attempt);
    }

    /// Learns from one answer, then replies or tries the next peer.
    fn finish_attempt(&mut self, attempt: Fetching, result: Result<Vec<u8>, FetchError>) {
        let peer = attempt.peer.expect("an attempt in flight has a peer");
        match result {
            Ok(body) => {
                let latency_ms = attempt.started.elapsed().as_secs_f64() * 1000.0;
                self.reputation.succeeded(&peer, latency_ms);
                self.persist_reputation(peer);
                let _ = attempt.reply.send(Ok((peer, body)));
            }
            Err(error) => {
                // Not having a body is no fault; failing or lying is.
                if error != FetchError::NotFound {
                    self.misbehaved(peer, &error.to_string());
                }
                self.try_next(attempt, error);
            }
        }
    }

    /// Puts `record` in the DHT store unless it holds a newer version of the pack, or holds
    /// the name under another publisher's key (first come keeps the name).
    fn keep_in_dht(&mut self, record: &PackRecord) {
        let key = record_key(&record.pack.name);
        let store = self.swarm.behaviour_mut().kad.store_mut();
        let held = store.get(&key).and_then(|r| PackRecord::decode(&r.value).ok());
        let replaces = held.is_none_or(|held| {
            held.pack.publisher == record.pack.publisher && held.pack.version < record.pack.version
        });
        if replaces {
            let _ = store.put(kad::Record::new(key, record.encode()));
        }
    }
}

const RECORD_PREFIX: &[u8] = b"/souk/pack/";

fn folded(name: &str) -> Vec<u8> {
    name.bytes().map(fold_byte).collect()
}

/// Where the DHT keeps a pack's record: its folded name, so every spelling finds it.
pub fn record_key(name: &str) -> kad::RecordKey {
    kad::RecordKey::new(&[RECORD_PREFIX, &folded(name)].concat())
}
