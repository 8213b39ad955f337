//! What every shell (the CLI, the relay, the tab) does alike on its way into the network:
//! which of a relay's addresses to dial, in which order.

use libp2p::Multiaddr;
use libp2p::multiaddr::Protocol;

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
    /// A tab: WebSocket first, then WebTransport, then WebRTC-direct. WebRTC-direct is last
    /// because libp2p-webrtc-websys 0.5 leaves a data channel's browser handlers pointing at
    /// freed closures once its stream is dropped (rust-libp2p #6551): every closed stream of
    /// a long-lived connection then throws in the page.
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
            (Dialer::Browser, WebSocket) => Some(0),
            (Dialer::Browser, WebTransport) => Some(1),
            (Dialer::Browser, WebRtcDirect) => Some(2),
            _ => None,
        }
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
            addrs(&[RELAY[3], RELAY[1], RELAY[2], RELAY[0]])
        );
        assert_eq!(dial_order(addrs(&RELAY), Dialer::Browser), addrs(&[RELAY[2], RELAY[4], RELAY[0]]));
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
    fn an_address_given_twice_is_dialed_once() {
        let twice = addrs(&[RELAY[3], RELAY[3]]);
        assert_eq!(dial_order(twice, Dialer::Native).len(), 1);
    }
}
