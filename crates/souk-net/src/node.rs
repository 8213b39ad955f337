//! A node: one task owns the swarm; callers talk to it through a cloneable [`NodeHandle`].
//!
//! The task is a plain future ([`Node::run`]), so each shell spawns it on its own
//! executor: tokio natively, the browser's microtasks in a tab.

use std::collections::{HashMap, VecDeque};

use futures::channel::{mpsc, oneshot};
use futures::future::Either;
use futures::{SinkExt, StreamExt};
use libp2p::core::transport::ListenerId;
use libp2p::kad::store::RecordStore;
use libp2p::kad::{self, QueryId};
use libp2p::request_response::{self, OutboundRequestId};
use libp2p::swarm::dial_opts::DialOpts;
use libp2p::swarm::{ConnectionId, SwarmEvent};
use libp2p::{Multiaddr, PeerId, Swarm, gossipsub, identify};
use souk_core::Digest;
use souk_core::body::content_hash;
use souk_core::name::{eq_folded, fold_byte};
use souk_core::record::PackRecord;
use souk_core::reputation::{PeerRecord, Reputation};
use web_time::Instant;

use crate::behaviour::{Behaviour, BehaviourEvent, KAD_PROTOCOL, announce_topic};
use crate::fetch::{FetchError, FetchResponse, verify};

/// What a peer keeps and serves. Bodies are stored under their content hash.
pub trait Store: Send + 'static {
    fn body(&self, hash: &Digest) -> Option<Vec<u8>>;
    fn put_body(&mut self, body: Vec<u8>) -> Digest;
}

/// A [`Store`] in memory.
#[derive(Debug, Default)]
pub struct MemoryStore {
    bodies: HashMap<Digest, Vec<u8>>,
}

impl Store for MemoryStore {
    fn body(&self, hash: &Digest) -> Option<Vec<u8>> {
        self.bodies.get(hash).cloned()
    }

    fn put_body(&mut self, body: Vec<u8>) -> Digest {
        let hash = content_hash(&body);
        self.bodies.insert(hash, body);
        hash
    }
}

/// A failed network operation, in words.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NodeError {
    #[error("the node has stopped")]
    Stopped,
    #[error("cannot listen: {0}")]
    Listen(String),
    #[error("cannot connect: {0}")]
    Dial(String),
    #[error(transparent)]
    Fetch(#[from] FetchError),
    #[error("cannot publish: {0}")]
    Publish(String),
    #[error("no record of `{0}` found in the network")]
    NotFound(String),
}

/// Where a command's answer goes.
type Reply<T> = oneshot::Sender<Result<T, NodeError>>;

enum Command {
    Listen(Multiaddr, Reply<Multiaddr>),
    Dial(Multiaddr, Reply<PeerId>),
    Fetch(Vec<PeerId>, Digest, Reply<(PeerId, Vec<u8>)>),
    Reputation(PeerId, oneshot::Sender<PeerRecord>),
    PutBody(Vec<u8>, oneshot::Sender<Digest>),
    Publish(Box<PackRecord>, Vec<u8>, Reply<()>),
    Lookup(String, Reply<PackRecord>),
    Subscribe(mpsc::UnboundedSender<NodeEvent>),
}

/// What a node tells its subscribers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NodeEvent {
    /// A peer announced a new pack version; the record passed every check.
    Announced(Box<PackRecord>),
}

/// Talks to a running [`Node`].
#[derive(Debug, Clone)]
pub struct NodeHandle {
    commands: mpsc::Sender<Command>,
    peer_id: PeerId,
}

impl std::fmt::Debug for Command {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Command::Listen(..) => "Listen",
            Command::Dial(..) => "Dial",
            Command::Fetch(..) => "Fetch",
            Command::Reputation(..) => "Reputation",
            Command::PutBody(..) => "PutBody",
            Command::Publish(..) => "Publish",
            Command::Lookup(..) => "Lookup",
            Command::Subscribe(..) => "Subscribe",
        })
    }
}

impl NodeHandle {
    pub fn peer_id(&self) -> PeerId {
        self.peer_id
    }

    /// Starts listening on `addr`; answers the first address it listens on.
    pub async fn listen(&self, addr: Multiaddr) -> Result<Multiaddr, NodeError> {
        self.ask(|tx| Command::Listen(addr, tx)).await?
    }

    /// Connects to `addr`; answers the peer that answered.
    pub async fn dial(&self, addr: Multiaddr) -> Result<PeerId, NodeError> {
        self.ask(|tx| Command::Dial(addr, tx)).await?
    }

    /// Fetches the body with `hash` from `peer`, checked against the hash.
    pub async fn fetch(&self, peer: PeerId, hash: Digest) -> Result<Vec<u8>, NodeError> {
        self.fetch_best(vec![peer], hash).await.map(|(_, body)| body)
    }

    /// Fetches the body with `hash` from the best of `peers` by reputation, trying the next
    /// when one fails; answers who served it. Every attempt teaches the reputation.
    pub async fn fetch_best(&self, peers: Vec<PeerId>, hash: Digest) -> Result<(PeerId, Vec<u8>), NodeError> {
        self.ask(|tx| Command::Fetch(peers, hash, tx)).await?
    }

    /// What this node has learned of `peer` from fetching.
    pub async fn reputation(&self, peer: PeerId) -> Result<PeerRecord, NodeError> {
        self.ask(|tx| Command::Reputation(peer, tx)).await
    }

    /// Publishes a signed record with its body: keeps and serves the body, and puts the
    /// record in the DHT under the pack's name, where the peers it reaches check it.
    pub async fn publish(&self, record: PackRecord, body: Vec<u8>) -> Result<(), NodeError> {
        self.ask(|tx| Command::Publish(Box::new(record), body, tx)).await?
    }

    /// The newest record the DHT holds for `name`, checked (signature, rules, name).
    pub async fn lookup(&self, name: &str) -> Result<PackRecord, NodeError> {
        self.ask(|tx| Command::Lookup(name.to_owned(), tx)).await?
    }

    /// Events from now on, until the receiver is dropped.
    pub async fn events(&self) -> Result<mpsc::UnboundedReceiver<NodeEvent>, NodeError> {
        let (tx, rx) = mpsc::unbounded();
        let mut commands = self.commands.clone();
        commands.send(Command::Subscribe(tx)).await.map_err(|_| NodeError::Stopped)?;
        Ok(rx)
    }

    /// Keeps `body` to serve it; answers its content hash.
    pub async fn put_body(&self, body: Vec<u8>) -> Result<Digest, NodeError> {
        self.ask(|tx| Command::PutBody(body, tx)).await
    }

    async fn ask<T>(&self, command: impl FnOnce(oneshot::Sender<T>) -> Command) -> Result<T, NodeError> {
        let (tx, rx) = oneshot::channel();
        self.commands.clone().send(command(tx)).await.map_err(|_| NodeError::Stopped)?;
        rx.await.map_err(|_| NodeError::Stopped)
    }
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
    listening: HashMap<ListenerId, Reply<Multiaddr>>,
    dialing: HashMap<ConnectionId, Reply<PeerId>>,
    fetching: HashMap<OutboundRequestId, Fetching>,
    reputation: Reputation<PeerId>,
    publishing: HashMap<QueryId, Reply<()>>,
    looking_up: HashMap<QueryId, (String, Reply<PackRecord>)>,
    subscribers: Vec<mpsc::UnboundedSender<NodeEvent>>,
}

impl<S> std::fmt::Debug for Node<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Node").field("peer_id", self.swarm.local_peer_id()).finish_non_exhaustive()
    }
}

impl<S: Store> Node<S> {
    pub fn new(swarm: Swarm<Behaviour>, store: S) -> (Node<S>, NodeHandle) {
        let (tx, rx) = mpsc::channel(64);
        let handle = NodeHandle { commands: tx, peer_id: *swarm.local_peer_id() };
        let node = Node {
            swarm,
            store,
            commands: rx,
            listening: HashMap::new(),
            dialing: HashMap::new(),
            fetching: HashMap::new(),
            reputation: Reputation::default(),
            publishing: HashMap::new(),
            looking_up: HashMap::new(),
            subscribers: Vec::new(),
        };
        (node, handle)
    }

    /// Runs until every handle is dropped.
    pub async fn run(mut self) {
        loop {
            let next = futures::select! {
                command = self.commands.next() => Either::Left(command),
                event = self.swarm.select_next_some() => Either::Right(event),
            };
            match next {
                Either::Left(Some(command)) => self.on_command(command),
                Either::Left(None) => return,
                Either::Right(event) => self.on_event(event),
            }
        }
    }

    fn on_command(&mut self, command: Command) {
        match command {
            Command::Listen(addr, reply) => match self.swarm.listen_on(addr) {
                Ok(id) => {
                    self.listening.insert(id, reply);
                }
                Err(e) => drop(reply.send(Err(NodeError::Listen(e.to_string())))),
            },
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
            Command::Fetch(mut peers, hash, reply) => {
                self.reputation.rank(&mut peers);
                let attempt =
                    Fetching { hash, remaining: peers.into(), peer: None, started: Instant::now(), reply };
                self.try_next(attempt, FetchError::Network("no peer to fetch from".into()));
            }
            Command::Reputation(peer, reply) => drop(reply.send(self.reputation.get(&peer))),
            Command::PutBody(body, reply) => drop(reply.send(self.store.put_body(body))),
            Command::Publish(record, body, reply) => {
                if record.pack.content_hash != Some(content_hash(&body)) {
                    let _ = reply
                        .send(Err(NodeError::Publish("the body does not match the record's hash".into())));
                    return;
                }
                self.store.put_body(body);
                let encoded = record.encode();
                // Announced to whoever listens now; a peer with no listener yet learns it from
                // the DHT instead, so an announcement nobody hears is not an error.
                let _ = self.swarm.behaviour_mut().gossipsub.publish(announce_topic(), encoded.clone());
                let kad = &mut self.swarm.behaviour_mut().kad;
                let entry = kad::Record::new(record_key(&record.pack.name), encoded);
                // Also keep it here, so this peer answers lookups for its own packs.
                let _ = kad.store_mut().put(entry.clone());
                match kad.put_record(entry, kad::Quorum::One) {
                    Ok(id) => {
                        self.publishing.insert(id, reply);
                    }
                    Err(e) => drop(reply.send(Err(NodeError::Publish(e.to_string())))),
                }
            }
            Command::Subscribe(tx) => self.subscribers.push(tx),
            Command::Lookup(name, reply) => {
                let id = self.swarm.behaviour_mut().kad.get_record(record_key(&name));
                self.looking_up.insert(id, (name, reply));
            }
        }
    }

    fn on_event(&mut self, event: SwarmEvent<BehaviourEvent>) {
        match event {
            SwarmEvent::NewListenAddr { listener_id, address } => {
                // A peer that listens is reachable there: it serves the DHT (server mode).
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
            SwarmEvent::ConnectionEstablished { peer_id, connection_id, .. } => {
                if let Some(reply) = self.dialing.remove(&connection_id) {
                    let _ = reply.send(Ok(peer_id));
                }
            }
            SwarmEvent::OutgoingConnectionError { connection_id, error, .. } => {
                if let Some(reply) = self.dialing.remove(&connection_id) {
                    let _ = reply.send(Err(NodeError::Dial(error.to_string())));
                }
            }
            SwarmEvent::Behaviour(BehaviourEvent::Fetch(event)) => self.on_fetch(event),
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

    fn on_fetch(&mut self, event: request_response::Event<Digest, FetchResponse>) {
        match event {
            request_response::Event::Message { message, .. } => match message {
                request_response::Message::Request { request, channel, .. } => {
                    let response =
                        self.store.body(&request).map_or(FetchResponse::NotFound, FetchResponse::Found);
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
            _ => {}
        }
    }
}

impl<S: Store> Node<S> {
    fn on_kad(&mut self, event: kad::Event) {
        match event {
            kad::Event::InboundRequest {
                request: kad::InboundRequest::PutRecord { record: Some(record), .. },
            } => {
                // Kept only if it is a valid record of the pack its key names.
                if let Ok(checked) = PackRecord::decode(&record.value)
                    && record.key == record_key(&checked.pack.name)
                {
                    self.keep_newest(&checked);
                }
            }
            kad::Event::OutboundQueryProgressed { id, result, .. } => match result {
                kad::QueryResult::PutRecord(result) => {
                    if let Some(reply) = self.publishing.remove(&id) {
                        let _ = reply.send(result.map(drop).map_err(|e| NodeError::Publish(e.to_string())));
                    }
                }
                kad::QueryResult::GetRecord(Ok(kad::GetRecordOk::FoundRecord(found))) => {
                    let Some((name, _)) = self.looking_up.get(&id) else { return };
                    // A record that fails the checks is ignored; the query goes on.
                    if let Ok(record) = PackRecord::decode(&found.record.value)
                        && eq_folded(&record.pack.name, name)
                        && let Some((_, reply)) = self.looking_up.remove(&id)
                    {
                        let _ = reply.send(Ok(record));
                    }
                }
                kad::QueryResult::GetRecord(_) => {
                    if let Some((name, reply)) = self.looking_up.remove(&id) {
                        let _ = reply.send(Err(NodeError::NotFound(name)));
                    }
                }
                _ => {}
            },
            _ => {}
        }
    }
}

impl<S: Store> Node<S> {
    /// Asks the next peer of `attempt`, or answers `last_error` when none is left.
    fn try_next(&mut self, mut attempt: Fetching, last_error: FetchError) {
        let Some(peer) = attempt.remaining.pop_front() else {
            let _ = attempt.reply.send(Err(last_error.into()));
            return;
        };
        attempt.peer = Some(peer);
        attempt.started = Instant::now();
        let id = self.swarm.behaviour_mut().fetch.send_request(&peer, attempt.hash);
        self.fetching.insert(id, attempt);
    }

    /// Learns from one answer, then replies or tries the next peer.
    fn finish_attempt(&mut self, attempt: Fetching, result: Result<Vec<u8>, FetchError>) {
        let peer = attempt.peer.expect("an attempt in flight has a peer");
        match result {
            Ok(body) => {
                let latency_ms = attempt.started.elapsed().as_secs_f64() * 1000.0;
                self.reputation.succeeded(&peer, latency_ms);
                let _ = attempt.reply.send(Ok((peer, body)));
            }
            Err(error) => {
                // Not having a body is no fault; failing or lying is.
                if error != FetchError::NotFound {
                    self.reputation.failed(&peer);
                }
                self.try_next(attempt, error);
            }
        }
    }

    /// Checks an announcement before gossip passes it on: a valid record is forwarded, kept
    /// and told to subscribers; anything else is rejected (and its sender penalized).
    fn on_announcement(&mut self, from: PeerId, id: gossipsub::MessageId, message: gossipsub::Message) {
        let checked = PackRecord::decode(&message.data);
        let verdict = if checked.is_ok() {
            gossipsub::MessageAcceptance::Accept
        } else {
            gossipsub::MessageAcceptance::Reject
        };
        self.swarm.behaviour_mut().gossipsub.report_message_validation_result(&id, &from, verdict);
        if let Ok(record) = checked {
            self.keep_newest(&record);
            let event = NodeEvent::Announced(Box::new(record));
            self.subscribers.retain(|s| s.unbounded_send(event.clone()).is_ok());
        }
    }

    /// Stores `record` in the DHT store unless the store holds a newer version of the pack,
    /// or holds the name under another publisher's key (first come keeps the name).
    fn keep_newest(&mut self, record: &PackRecord) {
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

/// Where the DHT keeps a pack's record: its folded name, so every spelling finds it.
pub fn record_key(name: &str) -> kad::RecordKey {
    let folded: Vec<u8> = name.bytes().map(fold_byte).collect();
    kad::RecordKey::new(&[b"/souk/pack/".as_slice(), &folded].concat())
}

/// A native swarm: TCP and QUIC-v1 on tokio, noise and yamux.
#[cfg(not(target_arch = "wasm32"))]
pub fn native_swarm(
    key: libp2p::identity::Keypair,
) -> Result<Swarm<Behaviour>, Box<dyn std::error::Error + Send + Sync>> {
    Ok(libp2p::SwarmBuilder::with_existing_identity(key)
        .with_tokio()
        .with_tcp(libp2p::tcp::Config::default(), libp2p::noise::Config::new, libp2p::yamux::Config::default)?
        .with_quic()
        .with_behaviour(Behaviour::new)?
        .with_swarm_config(|c| c.with_idle_connection_timeout(std::time::Duration::from_secs(60)))
        .build())
}
