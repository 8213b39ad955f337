//! The libp2p transport: listeners with rotating certificates, inbound sessions checked and
//! counted, and native dials.

use std::collections::{HashSet, VecDeque};
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, SystemTime};

use futures::future::BoxFuture;
use futures::{FutureExt, StreamExt};
use if_watch::IfEvent;
use if_watch::tokio::IfWatcher;
use libp2p::core::transport::{DialOpts, ListenerId, TransportError, TransportEvent};
use libp2p::core::upgrade::{InboundConnectionUpgrade, OutboundConnectionUpgrade};
use libp2p::identity::Keypair;
use libp2p::multiaddr::Protocol;
use libp2p::multihash::Multihash;
use libp2p::{Multiaddr, PeerId, noise};
use tokio::time::{Instant, Sleep};
use wtransport::config::QuicTransportConfig;
use wtransport::endpoint::IncomingSession;
use wtransport::endpoint::endpoint_side::Server;
use wtransport::tls::{Sha256Digest, WEBTRANSPORT_ALPN};
use wtransport::{ClientConfig, Endpoint, ServerConfig};

use crate::certificate::{Certificates, Resolver, SHA2_256};
use crate::{Config, Connection, Error, PATH, Refusal, Stream};

type Output = (PeerId, Connection);
type Event = TransportEvent<BoxFuture<'static, Result<Output, Error>>, Error>;

/// QUIC's idle timeout and keep-alive, as libp2p's QUIC transport sets them.
const IDLE_TIMEOUT: Duration = Duration::from_secs(10);
const KEEP_ALIVE: Duration = Duration::from_secs(5);

/// libp2p over WebTransport. Listens on `/ip4/.../udp/PORT/quic-v1/webtransport` and reports
/// its addresses with the current and next `/certhash`; dials addresses of that shape.
pub struct Transport {
    keypair: Keypair,
    config: Config,
    /// Certificates and their rotation timer, made with the first listener.
    rotation: Option<Rotation>,
    listeners: Vec<Listener>,
    events: VecDeque<Event>,
    waker: Option<Waker>,
}

struct Rotation {
    certificates: Certificates,
    resolver: Arc<Resolver>,
    timer: Pin<Box<Sleep>>,
}

impl Rotation {
    fn new(period: Duration) -> Result<Self, Error> {
        let certificates = Certificates::new(SystemTime::now(), period)?;
        let resolver = Arc::new(Resolver::new(certificates.current()));
        let timer = Box::pin(tokio::time::sleep_until(deadline(certificates.due())));
        Ok(Self { certificates, resolver, timer })
    }

    /// Moves to the next certificate and waits for the one after.
    fn rotate(&mut self, cx: &mut Context<'_>) -> Result<(), Error> {
        self.certificates.rotate(SystemTime::now())?;
        self.resolver.serve(self.certificates.current());
        self.timer.as_mut().reset(deadline(self.certificates.due()));
        // Registers the new deadline with the waker.
        let _ = self.timer.as_mut().poll(cx);
        Ok(())
    }
}

/// The monotonic instant at which the wall clock reads `at`.
fn deadline(at: SystemTime) -> Instant {
    Instant::now() + at.duration_since(SystemTime::now()).unwrap_or_default()
}

struct Listener {
    id: ListenerId,
    endpoint: Arc<Endpoint<Server>>,
    accept: BoxFuture<'static, IncomingSession>,
    /// The bound address (its IP may be unspecified).
    local: SocketAddr,
    /// Watches the interfaces when bound to an unspecified IP.
    interfaces: Option<IfWatcher>,
    /// The IPs this listener reports addresses for.
    ips: Vec<IpAddr>,
}

impl Listener {
    fn accept(endpoint: &Arc<Endpoint<Server>>) -> BoxFuture<'static, IncomingSession> {
        let endpoint = endpoint.clone();
        async move { endpoint.accept().await }.boxed()
    }
}

impl std::fmt::Debug for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transport")
            .field("config", &self.config)
            .field("listeners", &self.listeners.len())
            .finish_non_exhaustive()
    }
}

impl Transport {
    pub fn new(keypair: Keypair, config: Config) -> Self {
        Self { keypair, config, rotation: None, listeners: Vec::new(), events: VecDeque::new(), waker: None }
    }

    fn server_config(&self, bind: SocketAddr, resolver: Arc<Resolver>) -> ServerConfig {
        let mut tls =
            rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
                .with_protocol_versions(&[&rustls::version::TLS13])
                .expect("ring supports TLS 1.3")
                .with_no_client_auth()
                .with_cert_resolver(resolver);
        tls.alpn_protocols = vec![WEBTRANSPORT_ALPN.to_vec()];
        let mut config = ServerConfig::builder()
            .with_bind_address(bind)
            .with_custom_tls_and_transport(tls, quic_transport())
            .build();
        config.quic_config_mut().max_incoming(self.config.max_handshakes);
        config
    }

    fn listen(&mut self, id: ListenerId, bind: SocketAddr) -> Result<(), Error> {
        if self.rotation.is_none() {
            self.rotation = Some(Rotation::new(self.config.rotation)?);
        }
        let resolver = self.rotation.as_ref().expect("made above").resolver.clone();
        let endpoint = Arc::new(Endpoint::server(self.server_config(bind, resolver))?);
        let local = endpoint.local_addr()?;
        let (interfaces, ips) = if local.ip().is_unspecified() {
            (Some(IfWatcher::new()?), Vec::new())
        } else {
            (None, vec![local.ip()])
        };
        for ip in &ips {
            let listen_addr = self.address(SocketAddr::new(*ip, local.port()));
            self.events.push_back(TransportEvent::NewAddress { listener_id: id, listen_addr });
        }
        self.listeners.push(Listener {
            id,
            accept: Listener::accept(&endpoint),
            endpoint,
            local,
            interfaces,
            ips,
        });
        if let Some(waker) = self.waker.take() {
            waker.wake();
        }
        Ok(())
    }

    /// The dialable address of `at`, with the hashes advertised now.
    fn address(&self, at: SocketAddr) -> Multiaddr {
        let mut address = session_address(at);
        if let Some(rotation) = &self.rotation {
            for hash in rotation.certificates.advertised() {
                address.push(Protocol::Certhash(hash));
            }
        }
        address
    }

    /// Re-announces every address after a rotation: the old hashes expire, the new appear.
    fn reannounce(&mut self, before: Vec<(ListenerId, Multiaddr)>) {
        for (listener_id, listen_addr) in before {
            self.events.push_back(TransportEvent::AddressExpired { listener_id, listen_addr });
        }
        for (listener_id, listen_addr) in self.addresses() {
            self.events.push_back(TransportEvent::NewAddress { listener_id, listen_addr });
        }
    }

    /// Every address the listeners report now.
    fn addresses(&self) -> Vec<(ListenerId, Multiaddr)> {
        self.listeners
            .iter()
            .flat_map(|l| l.ips.iter().map(|ip| (l.id, self.address(SocketAddr::new(*ip, l.local.port())))))
            .collect()
    }

    /// Follows the interfaces of a listener bound to an unspecified IP.
    fn poll_interfaces(&mut self, index: usize, cx: &mut Context<'_>) {
        let listener = &mut self.listeners[index];
        let (id, local) = (listener.id, listener.local);
        let Some(interfaces) = &mut listener.interfaces else {
            return;
        };
        let mut changes = Vec::new();
        while let Poll::Ready(Some(event)) = interfaces.poll_next_unpin(cx) {
            match event {
                Ok(IfEvent::Up(net)) if net.addr().is_ipv4() == local.is_ipv4() => {
                    if !listener.ips.contains(&net.addr()) {
                        listener.ips.push(net.addr());
                        changes.push((true, net.addr()));
                    }
                }
                Ok(IfEvent::Down(net)) if listener.ips.contains(&net.addr()) => {
                    listener.ips.retain(|ip| *ip != net.addr());
                    changes.push((false, net.addr()));
                }
                Ok(_) => {}
                Err(error) => self
                    .events
                    .push_back(TransportEvent::ListenerError { listener_id: id, error: error.into() }),
            }
        }
        for (up, ip) in changes {
            let listen_addr = self.address(SocketAddr::new(ip, local.port()));
            self.events.push_back(if up {
                TransportEvent::NewAddress { listener_id: id, listen_addr }
            } else {
                TransportEvent::AddressExpired { listener_id: id, listen_addr }
            });
        }
    }

    fn inbound(&self, incoming: IncomingSession) -> BoxFuture<'static, Result<Output, Error>> {
        let keypair = self.keypair.clone();
        let reported: HashSet<_> =
            self.rotation.as_ref().map(|r| r.certificates.reported().collect()).unwrap_or_default();
        let refusals = self.config.refusals.clone();
        let timeout = self.config.handshake_timeout;
        async move {
            match tokio::time::timeout(timeout, accept(incoming, keypair, reported)).await {
                Ok(Ok(output)) => Ok(output),
                Ok(Err((reason, error))) => {
                    refusals.count(reason);
                    Err(error)
                }
                Err(_) => {
                    refusals.count(Refusal::Timeout);
                    Err(Error::Refused(Refusal::Timeout))
                }
            }
        }
        .boxed()
    }
}

fn quic_transport() -> QuicTransportConfig {
    let mut transport = QuicTransportConfig::default();
    transport
        .max_idle_timeout(Some(IDLE_TIMEOUT.try_into().expect("10 s fits QUIC's idle timeout")))
        .keep_alive_interval(Some(KEEP_ALIVE));
    transport
}

/// `/ip4|ip6/IP/udp/PORT/quic-v1/webtransport`, without hashes.
fn session_address(at: SocketAddr) -> Multiaddr {
    Multiaddr::from(at.ip())
        .with(Protocol::Udp(at.port()))
        .with(Protocol::QuicV1)
        .with(Protocol::WebTransport)
}

/// A WebTransport address taken apart: where, and which certificate hashes (a `/p2p` at the
/// end is the swarm's to check).
struct Target {
    at: SocketAddr,
    hashes: Vec<Multihash<64>>,
}

impl Target {
    fn parse(address: &Multiaddr) -> Option<Self> {
        let mut protocols = address.iter();
        let ip = match protocols.next()? {
            Protocol::Ip4(ip) => IpAddr::V4(ip),
            Protocol::Ip6(ip) => IpAddr::V6(ip),
            _ => return None,
        };
        let Protocol::Udp(port) = protocols.next()? else {
            return None;
        };
        if !matches!(protocols.next()?, Protocol::QuicV1)
            || !matches!(protocols.next()?, Protocol::WebTransport)
        {
            return None;
        }
        let mut hashes = Vec::new();
        for protocol in protocols {
            match protocol {
                Protocol::Certhash(hash) => hashes.push(hash),
                Protocol::P2p(_) => {}
                _ => return None,
            }
        }
        Some(Self { at: SocketAddr::new(ip, port), hashes })
    }
}

/// A listener's side of a session: the request, its path, then Noise on the first stream.
/// A failure says which [`Refusal`] it counts as.
async fn accept(
    incoming: IncomingSession,
    keypair: Keypair,
    reported: HashSet<Multihash<64>>,
) -> Result<Output, (Refusal, Error)> {
    let session = |e: Error| (Refusal::Session, e);
    let request = incoming.await.map_err(|e| session(e.into()))?;
    if request.path() != PATH {
        request.not_found().await;
        return Err((Refusal::Path, Error::Refused(Refusal::Path)));
    }
    let connection = request.accept().await.map_err(|e| session(e.into()))?;
    let noise = |e: Error| (Refusal::Noise, e);
    let stream = connection.accept_bi().await.map_err(|e| noise(e.into()))?;
    let handshake =
        noise::Config::new(&keypair).map_err(|e| noise(e.into()))?.with_webtransport_certhashes(reported);
    let handshake = handshake.upgrade_inbound(Stream::new(stream), "");
    authenticated(connection, handshake.await).map_err(noise)
}

/// A native dial: the certificate is checked against the address's hashes, then the
/// listener's Noise payload must carry every one of them.
async fn dial(keypair: Keypair, target: Target) -> Result<Output, Error> {
    let digests = target.hashes.iter().filter_map(|hash| {
        let digest: [u8; 32] = hash.digest().try_into().ok()?;
        (hash.code() == SHA2_256).then(|| Sha256Digest::new(digest))
    });
    let client = ClientConfig::builder()
        .with_bind_default()
        .with_server_certificate_hashes(digests)
        .max_idle_timeout(Some(IDLE_TIMEOUT))
        .expect("10 s fits QUIC's idle timeout")
        .keep_alive_interval(Some(KEEP_ALIVE))
        .build();
    let endpoint = Endpoint::client(client)?;
    let connection = endpoint.connect(format!("https://{}{PATH}", target.at)).await?;
    let stream = connection.open_bi().await?.await?;
    let handshake =
        noise::Config::new(&keypair)?.with_webtransport_certhashes(target.hashes.into_iter().collect());
    let handshake = handshake.upgrade_outbound(Stream::new(stream), "");
    authenticated(connection, handshake.await)
}

/// The session once Noise has named its peer; closed at once if Noise failed, so the other
/// side learns now rather than at the idle timeout.
fn authenticated<S>(
    connection: wtransport::Connection,
    handshake: Result<(PeerId, S), noise::Error>,
) -> Result<Output, Error> {
    match handshake {
        Ok((peer, _)) => Ok((peer, Connection::new(connection))),
        Err(error) => {
            connection.close(0u32.into(), b"noise");
            Err(error.into())
        }
    }
}

impl libp2p::core::Transport for Transport {
    type Output = Output;
    type Error = Error;
    type ListenerUpgrade = BoxFuture<'static, Result<Output, Error>>;
    type Dial = BoxFuture<'static, Result<Output, Error>>;

    fn listen_on(&mut self, id: ListenerId, address: Multiaddr) -> Result<(), TransportError<Error>> {
        match Target::parse(&address) {
            Some(Target { at, hashes }) if hashes.is_empty() && address.iter().count() == 4 => {
                self.listen(id, at).map_err(TransportError::Other)
            }
            _ => Err(TransportError::MultiaddrNotSupported(address)),
        }
    }

    fn remove_listener(&mut self, id: ListenerId) -> bool {
        let Some(index) = self.listeners.iter().position(|l| l.id == id) else {
            return false;
        };
        self.listeners.remove(index);
        self.events.push_back(TransportEvent::ListenerClosed { listener_id: id, reason: Ok(()) });
        if let Some(waker) = self.waker.take() {
            waker.wake();
        }
        true
    }

    fn dial(&mut self, address: Multiaddr, _: DialOpts) -> Result<Self::Dial, TransportError<Error>> {
        let Some(target) = Target::parse(&address).filter(|t| !t.hashes.is_empty()) else {
            return Err(TransportError::MultiaddrNotSupported(address));
        };
        Ok(dial(self.keypair.clone(), target).boxed())
    }

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Event> {
        let this = &mut *self;
        if (this.rotation.as_mut()).is_some_and(|r| r.timer.as_mut().poll(cx).is_ready()) {
            let before = this.addresses();
            let rotation = this.rotation.as_mut().expect("checked above");
            match rotation.rotate(cx) {
                Ok(()) => this.reannounce(before),
                Err(error) => tracing::warn!(%error, "certificate rotation failed"),
            }
        }
        for index in 0..this.listeners.len() {
            this.poll_interfaces(index, cx);
            let listener = &mut this.listeners[index];
            if let Poll::Ready(incoming) = listener.accept.poll_unpin(cx) {
                listener.accept = Listener::accept(&listener.endpoint);
                let listener_id = listener.id;
                let local_addr = session_address(listener.local);
                let send_back_addr = session_address(incoming.remote_address());
                let upgrade = this.inbound(incoming);
                this.events.push_back(TransportEvent::Incoming {
                    listener_id,
                    upgrade,
                    local_addr,
                    send_back_addr,
                });
            }
        }
        match this.events.pop_front() {
            Some(event) => Poll::Ready(event),
            None => {
                this.waker = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }
}
