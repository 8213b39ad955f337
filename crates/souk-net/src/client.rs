//! What every shell (the CLI, the relay and the tab) does alike on its way into the network:
//! what a relay's `/bootstrap` says, which of its addresses to dial in which order, and the
//! peer's own key (each shell keeps the bytes where it keeps things: a file, redb,
//! IndexedDB).

use libp2p::core::ConnectedPoint;
use libp2p::identity::Keypair;
use libp2p::multiaddr::Protocol;
use libp2p::{Multiaddr, PeerId};

/// What a relay's `/bootstrap` answers, as JSON.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct BootstrapInfo {
    #[serde(default)]
    pub peer_id: String,
    /// Full multiaddrs, `/p2p/<peer id>` included, what a browser dials first.
    pub addrs: Vec<String>,
}

impl BootstrapInfo {
    pub fn new(peer: PeerId, addrs: &[Multiaddr]) -> Self {
        BootstrapInfo { peer_id: peer.to_string(), addrs: addrs.iter().map(ToString::to_string).collect() }
    }

    /// The addresses `dialer` can dial, best first (those that do not parse are skipped).
    pub fn dial_order(&self, dialer: Dialer) -> Vec<Multiaddr> {
        dial_order(self.addrs.iter().filter_map(|a| a.parse().ok()), dialer)
    }
}

/// Why a stored key cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdentityError {
    #[error("the stored identity key is unreadable: {0}")]
    Unreadable(String),
    #[error("the identity key is not ed25519")]
    NotEd25519,
}

/// A peer's key: the one its store kept, or a new one and the bytes to keep.
pub fn identity(stored: Option<&[u8]>) -> Result<(Keypair, Option<Vec<u8>>), IdentityError> {
    if let Some(bytes) = stored {
        let key =
            Keypair::from_protobuf_encoding(bytes).map_err(|e| IdentityError::Unreadable(e.to_string()))?;
        return Ok((key, None));
    }
    let key = Keypair::generate_ed25519();
    let bytes = key.to_protobuf_encoding().map_err(|e| IdentityError::Unreadable(e.to_string()))?;
    Ok((key, Some(bytes)))
}

/// The ed25519 secret that signs this peer's records (the libp2p identity's own key).
pub fn signing_secret(key: &Keypair) -> Result<[u8; 32], IdentityError> {
    let pair = key.clone().try_into_ed25519().map_err(|_| IdentityError::NotEd25519)?;
    pair.secret().as_ref().try_into().map_err(|_| IdentityError::NotEd25519)
}

/// The transport an address needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    Tcp,
    Quic,
    WebSocket,
    WebTransport,
    WebRtcDirect,
    /// Nothing Souk dials (a bare IP, a circuit without its relay's transport...).
    Other,
}

/// Who dials.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialer {
    /// The CLI or a relay: TCP is the cheapest to open.
    Native,
    /// A tab: WebTransport first, then WebSocket, then WebRTC-direct. Measured from headless
    /// Chromium (`cargo xtask connect`, BENCHMARKS.md), a connection sets up in 7.5 ms over
    /// WebTransport, 7.9 ms over WebSocket and 136 ms over WebRTC-direct. WebRTC-direct
    /// comes last also because libp2p-webrtc-websys 0.5 leaves a data channel's browser
    /// handlers pointing at freed closures once its stream is dropped (rust-libp2p #6551),
    /// so every closed stream of a long-lived connection throws in the page.
    Browser,
}

impl Transport {
    /// The transport of `addr`, judged by its outermost transport protocol.
    pub fn of(addr: &Multiaddr) -> Transport {
        let mut transport = Transport::Other;
        for protocol in addr.iter() {
            transport = match protocol {
                Protocol::WebRTCDirect => Transport::WebRtcDirect,
                Protocol::WebTransport => Transport::WebTransport,
                Protocol::Ws(_) | Protocol::Wss(_) => Transport::WebSocket,
                Protocol::QuicV1 if transport == Transport::Other => Transport::Quic,
                Protocol::Tcp(_) if transport == Transport::Other => Transport::Tcp,
                // A circuit rides on whatever reached its relay.
                Protocol::P2pCircuit => break,
                _ => continue,
            };
        }
        transport
    }

    /// The transport as people name it.
    pub fn name(self) -> &'static str {
        match self {
            Transport::Tcp => "TCP",
            Transport::Quic => "QUIC",
            Transport::WebSocket => "WebSocket",
            Transport::WebTransport => "WebTransport",
            Transport::WebRtcDirect => "WebRTC-direct",
            Transport::Other => "other",
        }
    }

    /// Where this transport comes in `dialer`'s order (lower first); `None` if it cannot
    /// dial it.
    pub fn rank(self, dialer: Dialer) -> Option<u8> {
        use Transport::*;
        match (dialer, self) {
            (Dialer::Native, Tcp) => Some(0),
            (Dialer::Native, Quic) => Some(1),
            (Dialer::Native, WebSocket) => Some(2),
            (Dialer::Native, WebRtcDirect) => Some(3),
            (Dialer::Native, WebTransport) => Some(4),
            (Dialer::Browser, WebTransport) => Some(0),
            (Dialer::Browser, WebSocket) => Some(1),
            (Dialer::Browser, WebRtcDirect) => Some(2),
            _ => None,
        }
    }
}

/// Whether a connection goes through a relay's circuit. A tab's `/webrtc` connection, set
/// up over a circuit, does not: it is direct.
pub fn is_relayed(endpoint: &ConnectedPoint) -> bool {
    let addr = match endpoint {
        ConnectedPoint::Dialer { address, .. } => address,
        // An inbound circuit's remote address is only the peer's id.
        ConnectedPoint::Listener { local_addr, .. } => local_addr,
    };
    addr.iter().any(|p| p == Protocol::P2pCircuit) && !is_webrtc(addr)
}

/// Whether `addr` is a tab's direct WebRTC address (`<relay>/p2p-circuit/webrtc`).
pub fn is_webrtc(addr: &Multiaddr) -> bool {
    addr.iter().any(|p| p == Protocol::WebRTC)
}

/// Where a connection reaches its peer, as people read it: a circuit's relay address for
/// an inbound circuit (whose remote address is only the peer's id).
pub fn seen_at(endpoint: &ConnectedPoint) -> &Multiaddr {
    match endpoint {
        ConnectedPoint::Listener { local_addr, .. } if is_relayed(endpoint) => local_addr,
        _ => endpoint.get_remote_address(),
    }
}

/// The addresses `dialer` can dial, best first (ties keep their order), each once.
pub fn dial_order(addrs: impl IntoIterator<Item = Multiaddr>, dialer: Dialer) -> Vec<Multiaddr> {
    let mut ranked: Vec<(u8, Multiaddr)> =
        addrs.into_iter().filter_map(|a| Some((Transport::of(&a).rank(dialer)?, a))).collect();
    ranked.sort_by_key(|(rank, _)| *rank);
    let mut order: Vec<Multiaddr> = Vec::with_capacity(ranked.len());
    for (_, addr) in ranked {
        if !order.contains(&addr) {
            order.push(addr);
        }
    }
    order
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addrs(list: &[&str]) -> Vec<Multiaddr> {
        list.iter().map(|a| a.parse().unwrap()).collect()
    }

    const RELAY: [&str; 5] = [
        "/ip4/127.0.0.1/udp/4003/webrtc-direct",
        "/ip4/127.0.0.1/udp/4001/quic-v1",
        "/ip4/127.0.0.1/tcp/4002/ws",
        "/ip4/127.0.0.1/tcp/4001",
        "/ip4/127.0.0.1/udp/4004/quic-v1/webtransport",
    ];

    #[test]
    fn each_dialer_gets_what_it_can_dial_best_first() {
        assert_eq!(
            dial_order(addrs(&RELAY), Dialer::Native),
            addrs(&[RELAY[3], RELAY[1], RELAY[2], RELAY[0], RELAY[4]])
        );
        assert_eq!(dial_order(addrs(&RELAY), Dialer::Browser), addrs(&[RELAY[4], RELAY[2], RELAY[0]]));
    }

    #[test]
    fn transports_are_told_by_protocol_not_by_spelling() {
        // A host named "ws" is still TCP; a WebSocket over DNS is still WebSocket.
        assert_eq!(Transport::of(&"/dns4/ws.example/tcp/1".parse().unwrap()), Transport::Tcp);
        assert_eq!(Transport::of(&"/dns4/relay.example/tcp/443/wss".parse().unwrap()), Transport::WebSocket);
        assert_eq!(Transport::of(&"/ip4/1.2.3.4".parse().unwrap()), Transport::Other);
        let circuit = "/ip4/127.0.0.1/tcp/4002/ws/p2p-circuit".parse().unwrap();
        assert_eq!(Transport::of(&circuit), Transport::WebSocket);
    }

    #[test]
    fn a_key_is_made_once_then_read_back_and_signs_as_ed25519() {
        let (key, bytes) = identity(None).unwrap();
        let bytes = bytes.expect("a new key is to be kept");
        let (again, none) = identity(Some(&bytes)).unwrap();
        assert_eq!((again.public(), none), (key.public(), None));
        assert_eq!(signing_secret(&key), signing_secret(&again));
        assert!(matches!(identity(Some(b"garbage")), Err(IdentityError::Unreadable(_))));
    }

    #[test]
    fn bootstrap_answers_parse_and_order_for_the_dialer() {
        let info: BootstrapInfo = serde_json::from_str(&format!(
            r#"{{"addrs": ["{}", "{}", "not an address"]}}"#,
            RELAY[0], RELAY[2]
        ))
        .unwrap();
        assert_eq!(info.dial_order(Dialer::Browser), addrs(&[RELAY[2], RELAY[0]]));
    }

    #[test]
    fn an_address_given_twice_is_dialed_once() {
        let twice = addrs(&[RELAY[3], RELAY[3]]);
        assert_eq!(dial_order(twice, Dialer::Native).len(), 1);
    }
}
