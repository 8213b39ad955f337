//! The listening side of `/webrtc`: a signaling stream another peer opens on a circuit is
//! answered here, and the connection it negotiates goes to [`crate::Transport`]'s
//! listener. A signaling stream on a connection that is not a circuit is refused: the
//! relayed connection's Noise handshake is what vouches for the peer's SDP.
//!
//! The negotiation runs in the behaviour, not in the circuit's handler: the dialer is done
//! first and lets its circuit go, and a negotiation that went with the circuit's handler
//! closed a peer connection the dialer had just started to use.

use std::collections::{HashMap, HashSet, VecDeque};
use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};

use futures::channel::mpsc;
use futures::future::BoxFuture;
use futures::stream::FuturesUnordered;
use futures::{FutureExt, StreamExt};
use libp2p::core::transport::PortUse;
use libp2p::core::upgrade::{DeniedUpgrade, ReadyUpgrade};
use libp2p::core::{Endpoint, Multiaddr};
use libp2p::multiaddr::Protocol;
use libp2p::swarm::handler::{ConnectionEvent, FullyNegotiatedInbound};
use libp2p::swarm::{
    ConnectionDenied, ConnectionHandler, ConnectionHandlerEvent, ConnectionId, ExpiredListenAddr, FromSwarm,
    NetworkBehaviour, NewListenAddr, SubstreamProtocol, THandler, THandlerInEvent, THandlerOutEvent, ToSwarm,
};
use libp2p::{PeerId, StreamProtocol};
use send_wrapper::SendWrapper;

use crate::negotiate::negotiate_within;
use crate::signaling::{self, PROTOCOL, Role};
use crate::transport::{Config, Inbound, relay_of, split};
use crate::{Connection, Refusals};

/// Answers signaling on circuits; see the module's doc.
#[derive(Debug)]
pub struct Behaviour {
    to_transport: mpsc::Sender<Inbound>,
    config: Config,
    refusals: Refusals,
    /// The `/webrtc` addresses this tab listens on; with none, signaling is refused before
    /// anything is negotiated.
    listening: HashSet<Multiaddr>,
    /// Whether `listening` holds any, for the handlers.
    reachable: Arc<AtomicBool>,
    /// Negotiations under way, at most one per circuit.
    negotiating: FuturesUnordered<Negotiating>,
    /// The circuits they run on, each with its relay (if the circuit's address named it).
    circuits: HashMap<ConnectionId, Option<PeerId>>,
}

impl Behaviour {
    pub(crate) fn new(to_transport: mpsc::Sender<Inbound>, config: Config, refusals: Refusals) -> Self {
        let (listening, reachable) = (HashSet::new(), Arc::default());
        let (negotiating, circuits) = (FuturesUnordered::new(), HashMap::new());
        Behaviour { to_transport, config, refusals, listening, reachable, negotiating, circuits }
    }

    /// Negotiations refused or given up, here and in the transport, by reason.
    pub fn refusals(&self) -> &Refusals {
        &self.refusals
    }

    fn handler(&self, addr: &Multiaddr) -> Handler {
        let circuit = addr.iter().any(|p| p == Protocol::P2pCircuit) && split(addr).is_none();
        Handler {
            circuit: circuit.then(|| relay_of(addr)),
            reachable: self.reachable.clone(),
            events: VecDeque::new(),
        }
    }

    /// Answers the signaling `peer` opened on `circuit`, unless a negotiation on it is under way.
    fn answer(&mut self, peer: PeerId, circuit: ConnectionId, relay: Option<PeerId>, stream: libp2p::Stream) {
        if self.circuits.contains_key(&circuit) {
            return self.refusals.count("busy");
        }
        self.circuits.insert(circuit, relay);
        let config = self.config.clone();
        let negotiation = async move {
            let peer_connection = config.peer_connection().map_err(|e| e.reason())?;
            // Taken before the negotiation, so no data channel the dialer opens is missed.
            let connection = Connection::new(peer_connection.clone());
            let (outgoing, incoming) = signaling::messages(stream);
            negotiate_within(Role::Listener, &peer_connection, outgoing, incoming)
                .await
                .map_err(|e| e.reason())?;
            Ok(connection)
        };
        self.negotiating.push(SendWrapper::new(negotiation.map(move |r| (peer, circuit, r))).boxed());
    }
}

impl NetworkBehaviour for Behaviour {
    type ConnectionHandler = Handler;
    type ToSwarm = Infallible;

    fn handle_established_inbound_connection(
        &mut self,
        _: ConnectionId,
        _: PeerId,
        local: &Multiaddr,
        _: &Multiaddr,
    ) -> Result<THandler<Self>, ConnectionDenied> {
        Ok(self.handler(local))
    }

    fn handle_established_outbound_connection(
        &mut self,
        _: ConnectionId,
        _: PeerId,
        addr: &Multiaddr,
        _: Endpoint,
        _: PortUse,
    ) -> Result<THandler<Self>, ConnectionDenied> {
        Ok(self.handler(addr))
    }

    fn on_swarm_event(&mut self, event: FromSwarm) {
        match event {
            FromSwarm::NewListenAddr(NewListenAddr { addr, .. }) if split(addr).is_some() => {
                self.listening.insert(addr.clone());
            }
            FromSwarm::ExpiredListenAddr(ExpiredListenAddr { addr, .. }) => {
                self.listening.remove(addr);
            }
            _ => return,
        }
        self.reachable.store(!self.listening.is_empty(), Ordering::Relaxed);
    }

    fn on_connection_handler_event(
        &mut self,
        peer: PeerId,
        circuit: ConnectionId,
        event: THandlerOutEvent<Self>,
    ) {
        match event {
            Signaling::Opened(relay, stream) => self.answer(peer, circuit, relay, stream),
            Signaling::Refused(reason) => self.refusals.count(reason),
        }
    }

    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<ToSwarm<Infallible, THandlerInEvent<Self>>> {
        while let Poll::Ready(Some((peer, circuit, result))) = self.negotiating.poll_next_unpin(cx) {
            let relay = self.circuits.remove(&circuit).flatten();
            let connection = match result {
                Ok(connection) => connection,
                Err(reason) => {
                    self.refusals.count(reason);
                    continue;
                }
            };
            if let Err(e) = self.to_transport.try_send(Inbound { peer, relay, connection }) {
                // The transport is gone (the swarm with it) or has not taken the last ones.
                if e.is_full() {
                    self.refusals.count("busy");
                }
            }
        }
        Poll::Pending
    }
}

/// What a connection's handler tells the behaviour.
#[derive(Debug)]
pub enum Signaling {
    /// A signaling stream on a circuit through this relay (if its address named it).
    Opened(Option<PeerId>, libp2p::Stream),
    Refused(&'static str),
}

/// A negotiation, with the peer and the circuit it is for.
type Negotiating = BoxFuture<'static, (PeerId, ConnectionId, Result<Connection, &'static str>)>;

impl std::fmt::Debug for Handler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Handler").field("circuit", &self.circuit).finish_non_exhaustive()
    }
}

/// One connection's side: signaling taken only on a circuit, and only while listening. The
/// stream it hands on keeps the circuit open while the negotiation reads it.
pub struct Handler {
    /// `Some(relay)` on a circuit; `None` on any other connection.
    circuit: Option<Option<PeerId>>,
    reachable: Arc<AtomicBool>,
    events: VecDeque<Signaling>,
}

impl ConnectionHandler for Handler {
    type FromBehaviour = Infallible;
    type ToBehaviour = Signaling;
    type InboundProtocol = ReadyUpgrade<StreamProtocol>;
    type OutboundProtocol = DeniedUpgrade;
    type InboundOpenInfo = ();
    type OutboundOpenInfo = Infallible;

    fn listen_protocol(&self) -> SubstreamProtocol<Self::InboundProtocol> {
        SubstreamProtocol::new(ReadyUpgrade::new(StreamProtocol::new(PROTOCOL)), ())
    }

    fn poll(
        &mut self,
        _: &mut Context<'_>,
    ) -> Poll<ConnectionHandlerEvent<DeniedUpgrade, Infallible, Signaling>> {
        match self.events.pop_front() {
            Some(event) => Poll::Ready(ConnectionHandlerEvent::NotifyBehaviour(event)),
            None => Poll::Pending,
        }
    }

    fn on_behaviour_event(&mut self, event: Infallible) {
        match event {}
    }

    fn on_connection_event(
        &mut self,
        event: ConnectionEvent<Self::InboundProtocol, DeniedUpgrade, (), Infallible>,
    ) {
        let ConnectionEvent::FullyNegotiatedInbound(FullyNegotiatedInbound { protocol: stream, .. }) = event
        else {
            return;
        };
        self.events.push_back(match self.circuit {
            None => Signaling::Refused("not_relayed"),
            Some(_) if !self.reachable.load(Ordering::Relaxed) => Signaling::Refused("not_listening"),
            Some(relay) => Signaling::Opened(relay, stream),
        });
    }
}
