//! The tab's swarm: WebTransport, WebSocket and WebRTC-direct (dialed in that order, see
//! `client::Dialer::Browser`), all through the browser's own APIs; plus the circuit relay
//! v2 client, so peers reach the tab through its relay.

use libp2p::core::muxing::StreamMuxerBox;
use libp2p::core::upgrade::Version;
use libp2p::identity::Keypair;
use libp2p::{Swarm, Transport, noise, webrtc_websys, webtransport_websys, yamux};

use crate::behaviour::{Behaviour, IDLE_CONNECTION_TIMEOUT, Role};

pub type BuildError = Box<dyn std::error::Error + Send + Sync>;

/// A swarm for a browser tab holding `key`.
pub fn browser_swarm(key: Keypair) -> Result<Swarm<Behaviour>, BuildError> {
    Ok(libp2p::SwarmBuilder::with_existing_identity(key)
        .with_wasm_bindgen()
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
        .with_relay_client(noise::Config::new, yamux::Config::default)?
        .with_behaviour(|key, relay_client| Behaviour::new(key, Role::Peer).in_a_tab(relay_client))?
        .with_swarm_config(|c| c.with_idle_connection_timeout(IDLE_CONNECTION_TIMEOUT))
        .build())
}
