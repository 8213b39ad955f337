//! A node: one task owns the swarm, the peer's core and the store; callers talk to it
//! through a cloneable [`NodeHandle`].
//!
//! The task only routes. A command from a handle goes to the protocol that carries it out
//! ([`crate::fetch`], [`crate::sync`], [`crate::announce`], [`crate::dht`]); an event from
//! the swarm goes to the core ([`souk_core::peer::Peer`]), which decides what to keep,
//! replace, forward, penalise and retry; the core's actions come back here and become
//! writes to the store, DHT puts, announcements and events for subscribers. The task is a
//! plain future ([`Node::run`]): tokio spawns it natively, the browser's microtasks in a tab.

use std::collections::HashMap;
use std::time::Duration;

use futures::channel::mpsc;
use futures::future::Either;
use futures::{FutureExt, StreamExt};
use libp2p::core::ConnectedPoint;
use libp2p::core::transport::ListenerId;
use libp2p::swarm::dial_opts::{DialOpts, PeerCondition};
use libp2p::swarm::{ConnectionId, DialError, SwarmEvent};
use libp2p::{Multiaddr, PeerId, Swarm, identify, ping};
use souk_core::body::content_hash;
use souk_core::peer::{Action, Peer, PeerConfig, Request, Via};
use souk_core::record::Entry;
use souk_core::record::PackRecord;
use tracing::warn;
use web_time::{Instant, SystemTime};

use crate::announce::Heard;
use crate::behaviour::{Behaviour, BehaviourEvent};
use crate::client::{is_relayed, is_webrtc, seen_at};
use crate::dht::{self, DhtEvent};
use crate::error::NodeError;
use crate::error::Reply;
use crate::events::{Metric, NodeEvent, PeerInfo, Stats};
use crate::fetch::{FetchEvent, Fetching};
use crate::limits::BAN_FOR;
use crate::store::{Store, StoreError, base_catalog};
use crate::sync::SyncEvent;

mod command;
mod handle;
mod sync;

pub use crate::events::Timing;
use command::Command;
pub use handle::{Installed, NodeHandle, Progress, SearchPage, SearchRequest};
pub use sync::SyncReport;

/// The task that owns a swarm and a store.
pub struct Node<S> {
    swarm: Swarm<Behaviour>,
    store: S,
    core: Peer<PeerId>,
    commands: mpsc::Receiver<Command>,
    /// Identifies this run's numbering of the catalog log to peers that sync from it.
    epoch: u64,
    started: Instant,
    stats: Stats,
    listening: HashMap<ListenerId, Reply<Multiaddr>>,
    dialing: HashMap<ConnectionId, Reply<PeerId>>,
    /// Each connected peer's connections, and its last ping.
    connected: HashMap<PeerId, Connected>,
    subscribers: Vec<mpsc::Sender<NodeEvent>>,
    /// Peers banned, and until when.
    banned: HashMap<PeerId, Instant>,
    /// Whether the bodies the store kept from an earlier run are provided again.
    provided_stored: bool,
}

impl<S> std::fmt::Debug for Node<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Node").field("peer_id", self.swarm.local_peer_id()).finish_non_exhaustive()
    }
}

impl<S: Store> Node<S> {
    /// A node over `swarm`, starting from what `store` holds: the catalog (base and every
    /// record, which also go back into the DHT store) and the peers' reputation.
    pub fn new(mut swarm: Swarm<Behaviour>, store: S) -> Result<(Node<S>, NodeHandle), NodeError> {
        if let Some((tables, limits)) = store.dht_tables() {
            swarm.behaviour_mut().dht.store_in(tables, limits);
        }
        let (tx, rx) = mpsc::channel(64);
        let handle = NodeHandle { commands: tx, peer_id: *swarm.local_peer_id() };
        let catalog = base_catalog(&store)?;
        let config = PeerConfig { relay: swarm.behaviour().relay.is_enabled(), ..PeerConfig::default() };
        let (mut core, broken) = Peer::start(catalog, store.entries()?, store.reputation()?, config);
        for (peer, cursor) in store.cursors()? {
            core.resume(peer, cursor);
        }
        for (entry, error) in broken {
            warn!(pack = %entry.name(), %error, "a stored entry breaks the registry rules; left out of the index");
        }
        let epoch =
            SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64);
        let mut node = Node {
            swarm,
            store,
            core,
            commands: rx,
            epoch,
            started: Instant::now(),
            stats: Stats::default(),
            listening: HashMap::new(),
            dialing: HashMap::new(),
            connected: HashMap::new(),
            subscribers: Vec::new(),
            banned: HashMap::new(),
            provided_stored: false,
        };
        node.carry_out()?;
        Ok((node, handle))
    }

    /// Runs until every handle is dropped.
    pub async fn run(mut self) {
        loop {
            let next = futures::select! {
                command = self.commands.next() => Either::Left(command),
                event = self.swarm.select_next_some().fuse() => Either::Right(event),
            };
            self.core.tick(self.now());
            match next {
                Either::Left(Some(command)) => self.on_command(command),
                Either::Left(None) => return,
                Either::Right(event) => self.on_event(event),
            }
            if let Err(e) = self.carry_out() {
                warn!(error = %e, "cannot store what the node decided to keep");
            }
            self.lift_bans();
        }
    }

    /// Provides every body the store kept, once the node can be dialed: a relay restarted on
    /// its data is found as their provider again. Taken into the DHT store without a query
    /// each; Kademlia republishes them on its own schedule.
    fn provide_stored(&mut self) {
        self.provided_stored = true;
        match self.store.body_hashes() {
            Ok(hashes) => hashes.into_iter().for_each(|hash| self.swarm.behaviour_mut().dht.provided(hash)),
            Err(e) => warn!(error = %e, "cannot list the stored bodies to provide them"),
        }
    }

    /// Lets banned peers back once their time is up (checked as the node wakes, which pings
    /// and every other event make it do often).
    fn lift_bans(&mut self) {
        let now = Instant::now();
        let blocked = &mut self.swarm.behaviour_mut().blocked;
        self.banned.retain(|peer, until| {
            let banned = *until > now;
            if !banned {
                blocked.unblock_peer(*peer);
            }
            banned
        });
    }

    /// Milliseconds since the node started: the core's `now`.
    fn now(&self) -> u64 {
        self.started.elapsed().as_millis() as u64
    }

    /// Carries out the core's actions, in order, but for the entries learned: those are
    /// kept in one write (a sync's thousands of them, a write each, took seconds), before
    /// anything else is stored, and before this node answers anyone again (an entry a peer
    /// sees acknowledged is on disk). Subscribers hear of them once they are kept.
    fn carry_out(&mut self) -> Result<(), StoreError> {
        let mut learned = Vec::new();
        while let Some(action) = self.core.poll_action() {
            match action {
                Action::Learned { entry, from, via } => learned.push((entry, from, via)),
                Action::KeepInDht(record) => self.swarm.behaviour_mut().dht.keep(&record),
                Action::Announce(bytes) => self.swarm.behaviour_mut().announce.publish(bytes),
                Action::SaveReputation(peer, record) => {
                    self.keep_learned(std::mem::take(&mut learned))?;
                    self.store.put_reputation(&peer, &record)?;
                }
                Action::SaveCursor(peer, cursor) => {
                    self.keep_learned(std::mem::take(&mut learned))?;
                    self.store.put_cursor(&peer, &cursor)?;
                }
                Action::SaveBase => {
                    self.keep_learned(std::mem::take(&mut learned))?;
                    self.store.put_base(self.core.catalog())?;
                }
                Action::Refused(refusal) => {
                    warn!(peer = %refusal.peer, reason = refusal.reason.as_str(), "refused: {}", refusal.detail);
                }
                Action::Ban(peer) => {
                    if self.banned.insert(peer, Instant::now() + BAN_FOR).is_none() {
                        warn!(%peer, "banned for {} s: its reputation fell too low", BAN_FOR.as_secs());
                        self.swarm.behaviour_mut().blocked.block_peer(peer);
                    }
                }
            }
        }
        self.keep_learned(learned)
    }

    fn keep_learned(&mut self, learned: Vec<(Entry, Option<PeerId>, Via)>) -> Result<(), StoreError> {
        if learned.is_empty() {
            return Ok(());
        }
        self.store.put_entries(&learned.iter().map(|(entry, ..)| entry.clone()).collect::<Vec<_>>())?;
        for (entry, from, via) in learned {
            if via != Via::Publish {
                self.notify(NodeEvent::Learned { entry: Box::new(entry), from, via });
            }
        }
        Ok(())
    }

    fn on_command(&mut self, command: Command) {
        let now = self.now();
        match command {
            Command::Listen(addr, reply) => match self.swarm.listen_on(addr) {
                Ok(id) => drop(self.listening.insert(id, reply)),
                Err(e) => drop(reply.send(Err(NodeError::Listen(with_causes(&e))))),
            },
            Command::Addresses(reply) => drop(reply.send(self.swarm.external_addresses().cloned().collect())),
            Command::Dial(addr, reply) => {
                let opts = DialOpts::unknown_peer_id().address(addr).build();
                let id = opts.connection_id();
                match self.swarm.dial(opts) {
                    Ok(()) => drop(self.dialing.insert(id, reply)),
                    Err(e) => drop(reply.send(Err(NodeError::Dial(dial_error(&e))))),
                }
            }
            Command::Bootstrap(reply) => {
                // Without known peers there is nothing to walk; the dials said so already.
                let _ = self.swarm.behaviour_mut().dht.inner_mut().bootstrap();
                let _ = reply.send(());
            }
            Command::Fetch(peers, hash, reply) => {
                let fetching = Fetching { plan: self.core.plan_fetch(hash, peers), reply };
                self.swarm.behaviour_mut().fetch.start(fetching, now);
            }
            Command::Body(hash, reply) => drop(reply.send(self.store.body(&hash).map_err(Into::into))),
            Command::Providers(hash, reply) => match self.core.cached_providers(hash, now) {
                Some(peers) => drop(reply.send(Ok(peers))),
                None => self.swarm.behaviour_mut().dht.providers(hash, reply),
            },
            Command::Reputation(peer, reply) => drop(reply.send(self.core.reputation(&peer))),
            Command::PutBody(body, reply) => drop(reply.send(self.keep_body(body).map_err(Into::into))),
            Command::Publish(record, body, reply) => self.publish(*record, body, reply),
            Command::State(statement, reply) => {
                let taken = self.core.publish_statement(*statement);
                let _ = reply.send(taken.map_err(NodeError::Rules));
            }
            Command::Lookup(name, reply) => match self.core.cached_record(&name, now) {
                Some(record) => drop(reply.send(Ok(record))),
                None => self.swarm.behaviour_mut().dht.lookup(name, reply),
            },
            Command::Read(read) => read(self.core.index()),
            Command::Sync(step) => sync::apply(step, &mut self.core, &mut self.swarm.behaviour_mut().sync),
            Command::Evidence(reply) => {
                let _ = reply.send(self.core.evidence().cloned().collect());
            }
            Command::LastHead(peer, reply) => {
                let _ = reply.send(self.core.last_head(&peer).cloned());
            }
            Command::RememberHead(peer, head) => self.core.remember_head(peer, *head),
            Command::Peers(reply) => {
                let peers = self.connected.iter().map(|(peer, connected)| PeerInfo {
                    peer_id: *peer,
                    address: connected.address().clone(),
                    reputation: self.core.reputation(peer),
                    rtt: connected.rtt,
                    gossip_score: self.swarm.behaviour().announce.score(peer),
                });
                let _ = reply.send(peers.collect());
            }
            Command::Stats(reply) => drop(reply.send(self.stats())),
            Command::Observe(metric, took) => match metric {
                Metric::Search => self.stats.searches.add(took),
                // Lookups are timed where they run, in the DHT's queries: one count for both.
                Metric::Lookup => self.swarm.behaviour_mut().dht.state.lookups.add(took),
                Metric::Install => self.stats.installs.add(took),
            },
            Command::Subscribe(tx) => self.subscribers.push(tx),
        }
    }

    fn stats(&mut self) -> Stats {
        let queries = &self.swarm.behaviour().dht.state;
        Stats {
            peers: self.connected.len(),
            seq: self.core.head().seq,
            cache: self.core.cache_stats(),
            lookups: queries.lookups,
            lookup_requests: queries.lookup_requests,
            refused: souk_core::peer::Reason::ALL.iter().map(|&r| (r, self.core.refused_for(r))).collect(),
            packs: self.core.catalog().versions(),
            direct_refused: self.swarm.behaviour().direct_refused(),
            ..self.stats.clone()
        }
    }

    /// Stores a body and, if this node can be dialed, tells the DHT it provides it.
    fn keep_body(&mut self, body: Vec<u8>) -> Result<souk_core::Digest, StoreError> {
        let hash = self.store.put_body(body)?;
        if self.dialable()
            && let Err(e) = self.swarm.behaviour_mut().dht.provide(hash)
        {
            warn!(error = %e, "cannot announce this node as a provider");
        }
        Ok(hash)
    }

    /// Whether other peers can dial this node (so it can serve what it provides).
    fn dialable(&self) -> bool {
        self.swarm.external_addresses().next().is_some()
    }

    /// Checks, keeps and serves a record of this node's own, then puts it in the DHT and
    /// announces it.
    fn publish(&mut self, record: PackRecord, body: Vec<u8>, reply: Reply<usize>) {
        if let Err(e) = self.core.publish(record.clone(), content_hash(&body)) {
            return drop(reply.send(Err(e.into())));
        }
        let hash = match self.store.put_body(body) {
            Ok(hash) => hash,
            Err(e) => return drop(reply.send(Err(e.into()))),
        };
        let provide = self.dialable().then_some(hash);
        let behaviour = self.swarm.behaviour_mut();
        behaviour.announce.publish(record.encode());
        behaviour.dht.publish(&record, provide, reply);
    }

    fn on_event(&mut self, event: SwarmEvent<BehaviourEvent>) {
        let now = self.now();
        match event {
            SwarmEvent::NewListenAddr { listener_id, address } => {
                // A peer that listens is reachable there: it serves the DHT (server mode)
                // and, on a relay, circuits.
                self.swarm.add_external_address(address.clone());
                if !self.provided_stored {
                    self.provide_stored();
                }
                if let Some(reply) = self.listening.remove(&listener_id) {
                    let _ = reply.send(Ok(address));
                }
            }
            // A WebTransport listener's address changes with each certificate rotation.
            SwarmEvent::ExpiredListenAddr { address, .. } => self.swarm.remove_external_address(&address),
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
                    // A peer this node was asked to dial (a relay, a bootstrap peer) joins
                    // the routing table at once: waiting for identify to say it speaks the
                    // DHT left a first lookup, put or walk with no one to ask.
                    let dht = self.swarm.behaviour_mut().dht.inner_mut();
                    dht.add_address(&peer_id, endpoint.get_remote_address().clone());
                    let _ = reply.send(Ok(peer_id));
                }
                let connected = self.connected.entry(peer_id).or_default();
                connected.connections.push((connection_id, endpoint.clone()));
                // A peer reached directly needs its circuits no more (a tab's upgrade to
                // WebRTC): what is sent to it from now on does not cross a relay.
                if !is_relayed(&endpoint) {
                    for id in connected.circuits().collect::<Vec<_>>() {
                        self.swarm.close_connection(id);
                    }
                }
                if num_established.get() == 1 {
                    self.notify(NodeEvent::Connected(peer_id));
                }
            }
            SwarmEvent::ConnectionClosed { peer_id, connection_id, num_established, .. } => {
                if num_established > 0 {
                    if let Some(connected) = self.connected.get_mut(&peer_id) {
                        connected.connections.retain(|(id, _)| *id != connection_id);
                    }
                    return;
                }
                self.connected.remove(&peer_id);
                self.notify(NodeEvent::Disconnected(peer_id));
            }
            SwarmEvent::OutgoingConnectionError { connection_id, error, .. } => {
                if let Some(reply) = self.dialing.remove(&connection_id) {
                    let _ = reply.send(Err(NodeError::Dial(dial_error(&error))));
                }
            }
            SwarmEvent::Behaviour(event) => self.on_behaviour(event, now),
            _ => {}
        }
    }

    fn on_behaviour(&mut self, event: BehaviourEvent, now: u64) {
        let behaviour = self.swarm.behaviour_mut();
        match event {
            // Requests are served while their peer is within its rate ([`Peer::admit`]); one
            // past it is counted against the peer and dropped unanswered (its stream closes).
            BehaviourEvent::Fetch(FetchEvent::Asked { peer, hash, channel })
                if self.core.admit(peer, Request::Fetch) =>
            {
                let body = self.store.body(&hash).unwrap_or_else(|e| {
                    warn!(error = %e, "cannot read a body to serve it");
                    None
                });
                behaviour.fetch.respond(channel, body);
            }
            BehaviourEvent::Fetch(FetchEvent::Answered { fetching, result }) => {
                behaviour.fetch.answered(&mut self.core, fetching, result, now)
            }
            BehaviourEvent::Sync(SyncEvent::Asked { peer, request, channel })
                if self.core.admit(peer, Request::Sync) =>
            {
                behaviour.sync.answer(channel, &mut self.core, peer, request, self.epoch)
            }
            BehaviourEvent::Sync(SyncEvent::Broken { peer, error }) => {
                self.core.refuse(peer, souk_core::peer::Reason::BadSyncAnswer, &error)
            }
            BehaviourEvent::Announce(heard) => self.on_announcement(heard),
            BehaviourEvent::Dht(DhtEvent::Put { from, key, value })
                if self.core.admit(from, Request::DhtWrite) =>
            {
                self.core.handle_dht_put(from, &key, &value);
            }
            BehaviourEvent::Dht(DhtEvent::Provide(record))
                if self.core.admit(record.provider, Request::DhtWrite) =>
            {
                behaviour.dht.add_provider(record);
            }
            BehaviourEvent::Dht(DhtEvent::Found { query, name, key, value, from }) => {
                if let Some(record) = self.core.handle_found(&name, &key, &value, from, now) {
                    behaviour.dht.found(query, record);
                }
            }
            BehaviourEvent::Dht(DhtEvent::Providers { query, hash, peers }) => {
                // Their addresses live only as long as the query: connect now.
                for peer in &peers {
                    if !self.swarm.is_connected(peer) {
                        let _ = self.swarm.dial(*peer);
                    }
                }
                self.core.handle_providers(hash, peers.clone(), now);
                self.swarm.behaviour_mut().dht.providers_found(query, peers);
            }
            BehaviourEvent::Ping(ping::Event { peer, result: Ok(rtt), .. }) => {
                if let Some(connected) = self.connected.get_mut(&peer) {
                    connected.rtt = Some(rtt);
                }
            }
            BehaviourEvent::Identify(identify::Event::Received { peer_id, info, .. }) => {
                self.upgrade(peer_id, &info.listen_addrs);
                // Peers that speak Souk's DHT join the routing table at the addresses they
                // listen on.
                if info.protocols.contains(&dht::PROTOCOL) {
                    self.swarm.behaviour_mut().dht.learn(peer_id, info.listen_addrs);
                }
            }
            _ => {}
        }
    }

    /// Dials a peer this node reached only through circuits it opened at the `/webrtc`
    /// addresses it listens on (two tabs met through a relay); once the direct connection is
    /// up, the circuits close. The side that opened the circuit upgrades it, so two tabs do
    /// not both dial.
    fn upgrade(&mut self, peer: PeerId, listen_addrs: &[Multiaddr]) {
        let Some(connected) = self.connected.get(&peer) else { return };
        if !self.swarm.behaviour().direct.is_enabled() {
            return;
        }
        let only_circuits_opened_here =
            connected.connections.iter().all(|(_, e)| e.is_dialer() && is_relayed(e));
        let direct: Vec<Multiaddr> = listen_addrs.iter().filter(|a| is_webrtc(a)).cloned().collect();
        if only_circuits_opened_here && !direct.is_empty() {
            let opts = DialOpts::peer_id(peer).addresses(direct).condition(PeerCondition::Always).build();
            let _ = self.swarm.dial(opts);
        }
    }

    /// Checks an announcement before gossip passes it on: a valid record is forwarded, kept
    /// and told once; anything else is dropped and counted against its sender.
    fn on_announcement(&mut self, heard: Heard) {
        let verdict = self.core.handle_record(heard.from, Via::Gossip, &heard.data);
        self.swarm.behaviour_mut().announce.report(&heard, verdict);
    }

    /// Tells every subscriber; a full one misses the event (counted), a gone one is dropped.
    fn notify(&mut self, event: NodeEvent) {
        let dropped = &mut self.stats.events_dropped;
        self.subscribers.retain_mut(|s| match s.try_send(event.clone()) {
            Ok(()) => true,
            Err(e) if e.is_full() => {
                *dropped += 1;
                true
            }
            Err(_) => false,
        });
    }
}

/// A connected peer's connections, and its last ping.
#[derive(Default)]
struct Connected {
    connections: Vec<(ConnectionId, ConnectedPoint)>,
    rtt: Option<Duration>,
}

impl Connected {
    /// Where the peer is: its first direct connection's address, or else its first circuit's.
    fn address(&self) -> &Multiaddr {
        let mut endpoints = self.connections.iter().map(|(_, e)| e);
        let first = endpoints.clone().next().expect("a connected peer has a connection");
        seen_at(endpoints.find(|e| !is_relayed(e)).unwrap_or(first))
    }

    fn circuits(&self) -> impl Iterator<Item = ConnectionId> + '_ {
        self.connections.iter().filter(|(_, e)| is_relayed(e)).map(|(id, _)| *id)
    }
}

/// Why a dial failed, in words: libp2p words a denial "Dial error", and its cause's source
/// says which limit (connections, memory) denied it.
/// An error and its causes as one line: libp2p's `TransportError::Other` prints nothing
/// and keeps what went wrong as its source.
fn with_causes(error: &dyn std::error::Error) -> String {
    let mut line = String::new();
    let mut next = Some(error);
    while let Some(error) = next {
        let text = error.to_string();
        if !text.is_empty() && !line.contains(&text) {
            if !line.is_empty() {
                line.push_str(": ");
            }
            line.push_str(&text);
        }
        next = error.source();
    }
    line
}

fn dial_error(error: &DialError) -> String {
    match error {
        DialError::Denied { cause } => match std::error::Error::source(cause) {
            Some(limit) => format!("denied: {limit}"),
            None => format!("denied: {cause}"),
        },
        other => other.to_string(),
    }
}
