//! A Souk protocol as a libp2p behaviour: a behaviour from libp2p (request-response,
//! gossipsub, Kademlia) and the state Souk keeps over it, its events turned into the
//! protocol's own typed events by [`State::on_event`]. Everything else passes straight to
//! the inner behaviour, so each protocol module holds only its own state and rules.

use std::task::{Context, Poll};

use libp2p::PeerId;
use libp2p::core::transport::PortUse;
use libp2p::core::{Endpoint, Multiaddr};
use libp2p::swarm::{
    ConnectionDenied, ConnectionId, FromSwarm, NetworkBehaviour, THandler, THandlerInEvent, THandlerOutEvent,
    ToSwarm,
};

/// What a protocol keeps over its inner behaviour `B`.
pub trait State<B: NetworkBehaviour>: 'static {
    type Event: Send + 'static;
    /// Takes one event of the inner behaviour; answers the protocol's event, if any.
    fn on_event(&mut self, inner: &mut B, event: B::ToSwarm) -> Option<Self::Event>;
}

/// A protocol: `inner` does the wire work, `state` the bookkeeping.
#[derive(Debug)]
pub struct Protocol<B, S> {
    pub(crate) inner: B,
    pub(crate) state: S,
}

impl<B, S> Protocol<B, S> {
    pub(crate) fn wrap(inner: B, state: S) -> Self {
        Protocol { inner, state }
    }

    /// The inner libp2p behaviour, for what the protocol does not wrap.
    pub fn inner(&self) -> &B {
        &self.inner
    }

    pub fn inner_mut(&mut self) -> &mut B {
        &mut self.inner
    }
}

impl<B: NetworkBehaviour, S: State<B>> NetworkBehaviour for Protocol<B, S> {
    type ConnectionHandler = B::ConnectionHandler;
    type ToSwarm = S::Event;

    fn handle_pending_inbound_connection(
        &mut self,
        connection: ConnectionId,
        local: &Multiaddr,
        remote: &Multiaddr,
    ) -> Result<(), ConnectionDenied> {
        self.inner.handle_pending_inbound_connection(connection, local, remote)
    }

    fn handle_established_inbound_connection(
        &mut self,
        connection: ConnectionId,
        peer: PeerId,
        local: &Multiaddr,
        remote: &Multiaddr,
    ) -> Result<THandler<Self>, ConnectionDenied> {
        self.inner.handle_established_inbound_connection(connection, peer, local, remote)
    }

    fn handle_pending_outbound_connection(
        &mut self,
        connection: ConnectionId,
        peer: Option<PeerId>,
        addresses: &[Multiaddr],
        role: Endpoint,
    ) -> Result<Vec<Multiaddr>, ConnectionDenied> {
        self.inner.handle_pending_outbound_connection(connection, peer, addresses, role)
    }

    fn handle_established_outbound_connection(
        &mut self,
        connection: ConnectionId,
        peer: PeerId,
        addr: &Multiaddr,
        role: Endpoint,
        port_use: PortUse,
    ) -> Result<THandler<Self>, ConnectionDenied> {
        self.inner.handle_established_outbound_connection(connection, peer, addr, role, port_use)
    }

    fn on_swarm_event(&mut self, event: FromSwarm) {
        self.inner.on_swarm_event(event)
    }

    fn on_connection_handler_event(
        &mut self,
        peer: PeerId,
        connection: ConnectionId,
        event: THandlerOutEvent<Self>,
    ) {
        self.inner.on_connection_handler_event(peer, connection, event)
    }

    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<ToSwarm<Self::ToSwarm, THandlerInEvent<Self>>> {
        loop {
            match self.inner.poll(cx) {
                Poll::Ready(ToSwarm::GenerateEvent(event)) => {
                    if let Some(event) = self.state.on_event(&mut self.inner, event) {
                        return Poll::Ready(ToSwarm::GenerateEvent(event));
                    }
                }
                Poll::Ready(other) => {
                    return Poll::Ready(other.map_out(|_| unreachable!("events are taken above")));
                }
                Poll::Pending => return Poll::Pending,
            }
        }
    }
}
