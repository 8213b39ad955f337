//! The listening side of `/webrtc`: a signaling stream another peer opens on a circuit is
//! answered here, and the connection it negotiates goes to [`crate::Transport`]'s
//! listener. A signaling stream on a connection that is not a circuit is refused: the
//! relayed connection's Noise handshake is what vouches for the peer's SDP.

use std::collections::{HashSet, VecDeque};
use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};

use futures::FutureExt;
use futures::channel::mpsc;
use futures::future::BoxFuture;
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
}

impl Behaviour {
    pub(crate) fn new(to_transport: mpsc::Sender<Inbound>, config: Config, refusals: Refusals) -> Self {
        let (listening, reachable) = (HashSet::new(), Arc::default());
        Behaviour { to_transport, config, refusals, listening, reachable }
    }

    /// Negotiations refused or given up, here and in the transport, by reason.
    pub fn refusals(&self) -> &Refusals {
        &self.refusals
    }

    fn handler(&self, addr: &Multiaddr) -> Handler {
        let circuit = addr.iter().any(|p| p == Protocol::P2pCircuit) && split(addr).is_none();
        Handler {
            circuit: circuit.then(|| relay_of(addr)),
            config: self.config.clone(),
            reachable: self.reachable.clone(),
            negotiating: None,
            events: VecDeque::new(),
        }
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

    fn on_connection_handler_event(&mut self, peer: PeerId, _: ConnectionId, event: THandlerOutEvent<Self>) {
        let (relay, connection) = match event {
            Negotiated::Connected(relay, connection) => (relay, connection),
            Negotiated::Refused(reason) => return self.refusals.count(reason),
        };
        if let Err(e) = self.to_transport.try_send(Inbound { peer, relay, connection }) {
            // The transport is gone (the swarm with it) or has not taken the last ones.
            if e.is_full() {
                self.refusals.count("busy");
            }
        }
    }

    fn poll(&mut self, _: &mut Context<'_>) -> Poll<ToSwarm<Infallible, THandlerInEvent<Self>>> {
        Poll::Pending
    }
}

/// What a connection's handler tells the behaviour.
#[derive(Debug)]
pub enum Negotiated {
    /// A direct connection, set up over a circuit through this relay (if its address named it).
    Connected(Option<PeerId>, Connection),
    Refused(&'static str),
}

type Negotiating = BoxFuture<'static, Result<Connection, &'static str>>;

impl std::fmt::Debug for Handler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Handler").field("circuit", &self.circuit).finish_non_exhaustive()
    }
}

/// One connection's side: at most one negotiation at a time, and only on a circuit.
pub struct Handler {
    /// `Some(relay)` on a circuit; `None` on any other connection.
    circuit: Option<Option<PeerId>>,
    config: Config,
    reachable: Arc<AtomicBool>,
    negotiating: Option<Negotiating>,
    events: VecDeque<Negotiated>,
}

impl Handler {
    fn answer(&self, stream: libp2p::Stream) -> Negotiating {
        let config = self.config.clone();
        SendWrapper::new(async move {
            let peer_connection = config.peer_connection().map_err(|e| e.reason())?;
            // Taken before the negotiation, so no data channel the dialer opens is missed.
            let connection = Connection::new(peer_connection.clone());
            let (outgoing, incoming) = signaling::messages(stream);
            negotiate_within(Role::Listener, &peer_connection, outgoing, incoming)
                .await
                .map_err(|e| e.reason())?;
            Ok(connection)
        })
        .boxed()
    }
}

impl ConnectionHandler for Handler {
    type FromBehaviour = Infallible;
    type ToBehaviour = Negotiated;
    type InboundProtocol = ReadyUpgrade<StreamProtocol>;
    type OutboundProtocol = DeniedUpgrade;
    type InboundOpenInfo = ();
    type OutboundOpenInfo = Infallible;

    fn listen_protocol(&self) -> SubstreamProtocol<Self::InboundProtocol> {
        SubstreamProtocol::new(ReadyUpgrade::new(StreamProtocol::new(PROTOCOL)), ())
    }

    fn connection_keep_alive(&self) -> bool {
        self.negotiating.is_some()
    }

    fn poll(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<ConnectionHandlerEvent<DeniedUpgrade, Infallible, Negotiated>> {
        if let Some(event) = self.events.pop_front() {
            return Poll::Ready(ConnectionHandlerEvent::NotifyBehaviour(event));
        }
        let Some(negotiating) = self.negotiating.as_mut() else { return Poll::Pending };
        let result = futures::ready!(negotiating.poll_unpin(cx));
        self.negotiating = None;
        let relay = self.circuit.flatten();
        let event = result.map_or_else(Negotiated::Refused, |c| Negotiated::Connected(relay, c));
        Poll::Ready(ConnectionHandlerEvent::NotifyBehaviour(event))
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
        let refused = match (self.circuit, &self.negotiating) {
            (None, _) => "not_relayed",
            _ if !self.reachable.load(Ordering::Relaxed) => "not_listening",
            (Some(_), Some(_)) => "busy",
            (Some(_), None) => return self.negotiating = Some(self.answer(stream)),
        };
        self.events.push_back(Negotiated::Refused(refused));
    }
}
