//! The tab's circuits: the relay client's transport (plain circuits through a relay) and
//! `/webrtc` over it. A dial to `<relay>/p2p-circuit/webrtc/p2p/ID` opens a circuit to ID,
//! negotiates a direct WebRTC connection over it and closes it: the swarm only ever sees the
//! direct connection, so nothing it sends to ID crosses the relay. While such a dial to a
//! peer is under way, a plain circuit dialed to the same peer waits for it: the relayed
//! path is the fallback, used only if the direct one fails. Another direct dial to the
//! same peer (the swarm dials all of a peer's addresses at once, and a tab is reachable
//! through each of its relay's addresses) waits too, and goes ahead only if the first one
//! failed: each would negotiate a peer connection of its own for the swarm to keep one.
//!
//! A `/webrtc` listener (`<relay>/p2p-circuit/webrtc`) is reachable wherever this tab holds
//! a reservation on that relay: it reports `/webrtc` beside each circuit address the relay
//! client's listeners report for it, and takes the connections [`crate::Behaviour`]
//! negotiated on circuits through that relay.

use std::collections::{HashMap, VecDeque};
use std::convert::Infallible;
use std::io;
use std::pin::{Pin, pin};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use futures::channel::{mpsc, oneshot};
use futures::future::{self, BoxFuture, Either, FutureExt, Shared, poll_fn, select};
use futures::{Future, StreamExt};
use libp2p::core::muxing::{StreamMuxerBox, StreamMuxerExt};
use libp2p::core::transport::{Boxed, DialOpts, ListenerId, TransportError, TransportEvent};
use libp2p::multiaddr::Protocol;
use libp2p::{Multiaddr, PeerId};
use multistream_select::{Version, dialer_select_proto};
use send_wrapper::SendWrapper;
use wasm_bindgen::JsValue;
use web_sys::{RtcConfiguration, RtcIceServer, RtcPeerConnection};

use crate::negotiate::{self, negotiate_within};
use crate::signaling::{self, PROTOCOL, Role};
use crate::{Connection, Refusals};

type Output = (PeerId, StreamMuxerBox);
type Upgrade = BoxFuture<'static, io::Result<Output>>;

/// How a tab sets up its peer connections.
#[derive(Clone, Debug)]
pub struct Config {
    /// Whether this tab dials and listens on `/webrtc` at all: WebRTC shows each side the
    /// other's IP addresses, so a tab may keep to circuits.
    pub enabled: bool,
    /// STUN or TURN servers (`stun:host:port`); on one machine none are needed.
    pub ice_servers: Vec<String>,
}

impl Default for Config {
    fn default() -> Self {
        Config { enabled: true, ice_servers: Vec::new() }
    }
}

impl Config {
    pub(crate) fn peer_connection(&self) -> Result<RtcPeerConnection, negotiate::Error> {
        let configuration = RtcConfiguration::new();
        let servers = js_sys::Array::new();
        for url in &self.ice_servers {
            let server = RtcIceServer::new();
            server.set_urls(&JsValue::from_str(url));
            servers.push(&server);
        }
        configuration.set_ice_servers(&servers);
        RtcPeerConnection::new_with_configuration(&configuration).map_err(negotiate::browser)
    }
}

/// A connection [`crate::Behaviour`] negotiated on a circuit, for a `/webrtc` listener.
pub(crate) struct Inbound {
    pub peer: PeerId,
    /// The relay the circuit went through, when its address names it.
    pub relay: Option<PeerId>,
    pub connection: Connection,
}

/// Plain circuits and `/webrtc` over them.
pub struct Transport {
    relayed: Boxed<Output>,
    config: Config,
    /// `/webrtc` listeners, each with the relay it is reachable through.
    listeners: Vec<(ListenerId, PeerId)>,
    /// The circuit addresses the relay client's listeners report, by listener.
    circuits: HashMap<ListenerId, Vec<Multiaddr>>,
    inbound: mpsc::Receiver<Inbound>,
    events: VecDeque<TransportEvent<Upgrade, io::Error>>,
    direct: Direct,
    refusals: Refusals,
}

impl std::fmt::Debug for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transport").field("listeners", &self.listeners).finish_non_exhaustive()
    }
}

impl Transport {
    /// Over `relayed`: the relay client's transport with its security and muxer.
    pub(crate) fn new(
        relayed: Boxed<Output>,
        config: Config,
        inbound: mpsc::Receiver<Inbound>,
        refusals: Refusals,
    ) -> Self {
        Transport {
            relayed,
            config,
            listeners: Vec::new(),
            circuits: HashMap::new(),
            inbound,
            events: VecDeque::new(),
            direct: Direct::default(),
            refusals,
        }
    }

    /// Reports `/webrtc` beside a circuit address (or its end), for each listener on its relay.
    fn mirror(&mut self, circuit: &Multiaddr, expired: bool) {
        let relay = relay_of(circuit);
        for (listener_id, _) in self.listeners.iter().filter(|(_, r)| Some(*r) == relay) {
            let (listener_id, listen_addr) = (*listener_id, with_webrtc(circuit));
            self.events.push_back(match expired {
                false => TransportEvent::NewAddress { listener_id, listen_addr },
                true => TransportEvent::AddressExpired { listener_id, listen_addr },
            });
        }
    }

    /// Follows the relay client's listeners, whose addresses the `/webrtc` ones mirror.
    fn relayed_event(&mut self, event: &TransportEvent<Upgrade, io::Error>) {
        match event {
            TransportEvent::NewAddress { listener_id, listen_addr } => {
                self.circuits.entry(*listener_id).or_default().push(listen_addr.clone());
                self.mirror(listen_addr, false);
            }
            TransportEvent::AddressExpired { listener_id, listen_addr } => {
                if let Some(addrs) = self.circuits.get_mut(listener_id) {
                    addrs.retain(|a| a != listen_addr);
                }
                self.mirror(listen_addr, true);
            }
            TransportEvent::ListenerClosed { listener_id, .. } => {
                for addr in self.circuits.remove(listener_id).unwrap_or_default() {
                    self.mirror(&addr, true);
                }
            }
            _ => {}
        }
    }

    /// Hands a negotiated connection to the `/webrtc` listener on its relay (the first one
    /// if the circuit's address did not name it).
    fn accept(&mut self, Inbound { peer, relay, connection }: Inbound) {
        let listener = self.listeners.iter().find(|(_, r)| relay.is_none_or(|relay| relay == *r));
        let circuit = listener.and_then(|(id, relay)| {
            let addrs = self.circuits.values().flatten();
            addrs.filter(|a| relay_of(a) == Some(*relay)).map(|a| (*id, a.clone())).next()
        });
        let Some((listener_id, circuit)) = circuit else {
            // Nothing listens: the connection goes, and the relayed path stays.
            return self.refusals.count("not_listening");
        };
        let local_addr = with_webrtc(&circuit);
        self.events.push_back(TransportEvent::Incoming {
            listener_id,
            upgrade: future::ready(Ok((peer, StreamMuxerBox::new(connection)))).boxed(),
            send_back_addr: circuit
                .iter()
                .take_while(|p| *p != Protocol::P2pCircuit)
                .chain([Protocol::P2pCircuit, Protocol::WebRTC, Protocol::P2p(peer)])
                .collect(),
            local_addr,
        });
    }
}

impl libp2p::Transport for Transport {
    type Output = Output;
    type Error = io::Error;
    type ListenerUpgrade = Upgrade;
    type Dial = BoxFuture<'static, io::Result<Output>>;

    fn listen_on(&mut self, id: ListenerId, addr: Multiaddr) -> Result<(), TransportError<io::Error>> {
        let Some((circuit, None)) = split(&addr) else {
            return self.relayed.listen_on(id, addr);
        };
        let (Some(relay), true) = (relay_of(&circuit), self.config.enabled) else {
            return Err(TransportError::MultiaddrNotSupported(addr));
        };
        self.listeners.push((id, relay));
        let known: Vec<Multiaddr> = self.circuits.values().flatten().cloned().collect();
        for circuit in known.iter().filter(|c| relay_of(c) == Some(relay)) {
            let listen_addr = with_webrtc(circuit);
            self.events.push_back(TransportEvent::NewAddress { listener_id: id, listen_addr });
        }
        Ok(())
    }

    fn remove_listener(&mut self, id: ListenerId) -> bool {
        let before = self.listeners.len();
        self.listeners.retain(|(listener, _)| *listener != id);
        if self.listeners.len() == before {
            return self.relayed.remove_listener(id);
        }
        self.events.push_back(TransportEvent::ListenerClosed { listener_id: id, reason: Ok(()) });
        true
    }

    fn dial(&mut self, addr: Multiaddr, opts: DialOpts) -> Result<Self::Dial, TransportError<io::Error>> {
        let Some((circuit, peer)) = split(&addr) else {
            let plain = self.relayed.dial(addr.clone(), opts)?;
            let (direct, peer) = (self.direct.clone(), destination(&addr));
            return Ok(async move {
                if let Some(peer) = peer
                    && direct.finished(peer).await
                {
                    return Err(reached_directly());
                }
                plain.await
            }
            .boxed());
        };
        let (Some(peer), false, true) = (peer, opts.role.is_listener(), self.config.enabled) else {
            return Err(TransportError::MultiaddrNotSupported(addr));
        };
        let signaling = match self.relayed.dial(circuit.with(Protocol::P2p(peer)), opts) {
            Ok(signaling) => signaling,
            Err(TransportError::MultiaddrNotSupported(_)) => {
                return Err(TransportError::MultiaddrNotSupported(addr));
            }
            Err(e) => return Err(e),
        };
        let earlier = self.direct.finished(peer);
        let dialing = self.direct.start(peer);
        let (config, refusals) = (self.config.clone(), self.refusals.clone());
        Ok(SendWrapper::new(async move {
            if earlier.await {
                // Those waiting for this dial learn it too.
                dialing.connected();
                return Err(reached_directly());
            }
            let connected = dial_direct(signaling, peer, &config).await.map_err(|(reason, error)| {
                refusals.count(reason);
                error
            })?;
            dialing.connected();
            Ok(connected)
        })
        .boxed())
    }

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<TransportEvent<Upgrade, io::Error>> {
        let this = &mut *self;
        while let Poll::Ready(Some(inbound)) = this.inbound.poll_next_unpin(cx) {
            this.accept(inbound);
        }
        if let Poll::Ready(event) = Pin::new(&mut this.relayed).poll(cx) {
            this.relayed_event(&event);
            this.events.push_back(event);
        }
        match this.events.pop_front() {
            Some(event) => {
                if !this.events.is_empty() {
                    cx.waker().wake_by_ref();
                }
                Poll::Ready(event)
            }
            None => Poll::Pending,
        }
    }
}

/// Why a dial that waited for a direct one did not go ahead.
fn reached_directly() -> io::Error {
    io::Error::other("another dial reached the peer directly")
}

/// Opens a circuit to `expected`, negotiates the direct connection over it, and lets the
/// circuit go. An error says its reason, as [`Refusals`] counts it.
async fn dial_direct(
    signaling: BoxFuture<'static, io::Result<Output>>,
    expected: PeerId,
    config: &Config,
) -> Result<Output, (&'static str, io::Error)> {
    let (peer, mut circuit) = signaling.await.map_err(|e| ("circuit", e))?;
    if peer != expected {
        return Err(("circuit", io::Error::other(format!("the circuit reached {peer}, not {expected}"))));
    }
    let stream = poll_fn(|cx| circuit.poll_outbound_unpin(cx)).await.map_err(|e| ("circuit", e))?;
    let connect = async {
        let (_, stream) = dialer_select_proto(stream, [PROTOCOL], Version::V1)
            .await
            .map_err(|e| ("unsupported", io::Error::other(e)))?;
        let failed = |e: negotiate::Error| (e.reason(), io::Error::other(e));
        let peer_connection = config.peer_connection().map_err(failed)?;
        let connection = Connection::new(peer_connection.clone());
        let (outgoing, incoming) = signaling::messages(stream);
        negotiate_within(Role::Dialer, &peer_connection, outgoing, incoming).await.map_err(failed)?;
        Ok((peer, StreamMuxerBox::new(connection)))
    };
    // The circuit runs beside the negotiation (streams the other side opens on it are
    // turned away); if it closes first, the negotiation decides alone whether it still
    // connects.
    let drive = async {
        let _ = poll_fn(|cx| drive_circuit(&mut circuit, cx)).await;
        future::pending::<Infallible>().await
    };
    match select(pin!(connect), pin!(drive)).await {
        Either::Left((result, _)) => result,
        Either::Right((never, _)) => match never {},
    }
}

/// Polls a circuit for what it needs to carry the signaling, until it fails or closes.
fn drive_circuit(circuit: &mut StreamMuxerBox, cx: &mut Context<'_>) -> Poll<io::Error> {
    loop {
        match circuit.poll_inbound_unpin(cx) {
            Poll::Ready(Ok(stream)) => drop(stream),
            Poll::Ready(Err(e)) => return Poll::Ready(e),
            Poll::Pending => break,
        }
    }
    loop {
        match circuit.poll_unpin(cx) {
            Poll::Ready(Ok(_)) => {}
            Poll::Ready(Err(e)) => return Poll::Ready(e),
            Poll::Pending => return Poll::Pending,
        }
    }
}

/// Direct dials under way, by peer: other dials to the same peer wait for them.
#[derive(Clone, Default)]
struct Direct(Arc<Mutex<Dials>>);

#[derive(Default)]
struct Dials {
    last: u64,
    /// Each peer's latest direct dial, which resolves the receiver when it goes: with `()`
    /// if the peer was reached directly (by it, or by the dial it waited for).
    by_peer: HashMap<PeerId, (u64, Shared<oneshot::Receiver<()>>)>,
}

/// A direct dial under way; when it goes, the dials waiting for it go ahead.
struct Dialing {
    direct: Direct,
    peer: PeerId,
    id: u64,
    done: Option<oneshot::Sender<()>>,
}

impl Direct {
    fn start(&self, peer: PeerId) -> Dialing {
        let (done, waiting) = oneshot::channel();
        let mut dials = self.0.lock().unwrap_or_else(|e| e.into_inner());
        dials.last += 1;
        let id = dials.last;
        dials.by_peer.insert(peer, (id, waiting.shared()));
        Dialing { direct: self.clone(), peer, id, done: Some(done) }
    }

    /// Resolves once the direct dial to `peer` under way now (if any) has gone: whether the
    /// peer was reached directly.
    fn finished(&self, peer: PeerId) -> impl Future<Output = bool> + use<> {
        let dials = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let waiting = dials.by_peer.get(&peer).map(|(_, w)| w.clone());
        async move {
            match waiting {
                Some(waiting) => waiting.await.is_ok(),
                None => false,
            }
        }
    }
}

impl Dialing {
    /// Tells the dials waiting for this one that the peer was reached directly.
    fn connected(mut self) {
        if let Some(done) = self.done.take() {
            let _ = done.send(());
        }
    }
}

impl Drop for Dialing {
    fn drop(&mut self) {
        let mut dials = self.direct.0.lock().unwrap_or_else(|e| e.into_inner());
        if dials.by_peer.get(&self.peer).is_some_and(|(id, _)| *id == self.id) {
            dials.by_peer.remove(&self.peer);
        }
    }
}

/// A `/webrtc` address: the circuit before `/webrtc`, and the peer after it, if named.
pub(crate) fn split(addr: &Multiaddr) -> Option<(Multiaddr, Option<PeerId>)> {
    let mut circuit = addr.clone();
    let peer = match circuit.pop()? {
        Protocol::P2p(peer) if circuit.pop()? == Protocol::WebRTC => Some(peer),
        Protocol::WebRTC => None,
        _ => return None,
    };
    (circuit.iter().last() == Some(Protocol::P2pCircuit)).then_some((circuit, peer))
}

/// A circuit address with `/webrtc` after its `/p2p-circuit` (and before the id of the
/// peer listening there, if the address ends with it).
fn with_webrtc(circuit: &Multiaddr) -> Multiaddr {
    let mut addr = Multiaddr::empty();
    for protocol in circuit {
        let ends_circuit = protocol == Protocol::P2pCircuit;
        addr.push(protocol);
        if ends_circuit {
            addr.push(Protocol::WebRTC);
        }
    }
    addr
}

/// The relay a circuit address goes through: the peer named just before `/p2p-circuit`.
pub(crate) fn relay_of(circuit: &Multiaddr) -> Option<PeerId> {
    let mut relay = None;
    for protocol in circuit {
        match protocol {
            Protocol::P2p(peer) => relay = Some(peer),
            Protocol::P2pCircuit => return relay,
            _ => relay = None,
        }
    }
    None
}

/// The peer a circuit address leads to: the one named after `/p2p-circuit`.
fn destination(addr: &Multiaddr) -> Option<PeerId> {
    let mut after = addr.iter().skip_while(|p| *p != Protocol::P2pCircuit);
    match (after.next(), after.last()) {
        (Some(_), Some(Protocol::P2p(peer))) => Some(peer),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;

    #[test]
    async fn direct_dials_to_a_peer_wait_in_turn_and_learn_whether_it_was_reached() {
        let (direct, peer) = (Direct::default(), PeerId::random());
        assert!(!direct.finished(peer).await, "no dial was under way");
        // Three at once, each waiting for the one before.
        let first = direct.start(peer);
        let second_waits = direct.finished(peer);
        let second = direct.start(peer);
        let third_waits = direct.finished(peer);
        let third = direct.start(peer);
        first.connected();
        assert!(second_waits.await);
        // The second goes no further, and says why to the third.
        second.connected();
        assert!(third_waits.await);
        // One that fails lets the next go ahead.
        let next_waits = direct.finished(peer);
        drop(third);
        assert!(!next_waits.await);
        assert!(direct.0.lock().unwrap().by_peer.is_empty(), "a finished dial left its entry");
    }
}
