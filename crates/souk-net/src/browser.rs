//! The tab's swarm: WebTransport, WebSocket and WebRTC-direct (dialed in that order, see
//! `client::Dialer::Browser`), all through the browser's own APIs; and circuits through a
//! relay (the circuit relay v2 client, so peers reach the tab through its relay), over
//! which tabs set up direct WebRTC connections to each other ([`souk_webrtc`]).

use libp2p::core::muxing::StreamMuxerBox;
use libp2p::core::upgrade::Version;
use libp2p::identity::Keypair;
use libp2p::{Swarm, Transport, noise, relay, webrtc_websys, webtransport_websys, yamux};

use crate::behaviour::{Behaviour, IDLE_CONNECTION_TIMEOUT, Role};

/// How a tab sets up direct connections to other tabs.
pub use souk_webrtc::Config as WebRtcConfig;

pub type BuildError = Box<dyn std::error::Error + Send + Sync>;

/// A swarm for a browser tab holding `key`, whose direct connections to other tabs are set
/// up as `webrtc` says (its STUN servers).
pub fn browser_swarm(key: Keypair, webrtc: WebRtcConfig) -> Result<Swarm<Behaviour>, BuildError> {
    let (relay_transport, relay_client) = relay::client::new(key.public().to_peer_id());
    let relayed = relay_transport
        .upgrade(Version::V1)
        .authenticate(noise::Config::new(&key)?)
        .multiplex(yamux::Config::default())
        .map(|(peer, connection), _| (peer, StreamMuxerBox::new(connection)))
        .boxed();
    // Circuits come first: the other transports would take a circuit's leading address.
    let (circuits, direct) = souk_webrtc::circuits(relayed, webrtc);
    Ok(libp2p::SwarmBuilder::with_existing_identity(key)
        .with_wasm_bindgen()
        .with_other_transport(|_| Ok::<_, BuildError>(circuits))?
        .with_other_transport(|key| {
            Ok::<_, BuildError>(webrtc_websys::Transport::new(webrtc_websys::Config::new(key)))
        })?
        .with_other_transport(|key| {
            Ok::<_, BuildError>(
                crate::websocket::Transport
                    .upgrade(Version::V1)
                    .authenticate(noise::Config::new(key)?)
                    .multiplex(yamux::Config::default()),
            )
        })?
        .with_other_transport(|key| {
            Ok::<_, BuildError>(
                webtransport_websys::Transport::new(webtransport_websys::Config::new(key))
                    .map(|(peer, connection), _| (peer, StreamMuxerBox::new(connection))),
            )
        })?
        .with_behaviour(|key| Behaviour::new(key, Role::Peer).in_a_tab(relay_client, direct))?
        .with_swarm_config(|c| c.with_idle_connection_timeout(IDLE_CONNECTION_TIMEOUT))
        .build())
}
