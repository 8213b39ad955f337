//! The native swarm: TCP, QUIC-v1, WebSocket and WebRTC-direct on tokio. The browser's
//! transports are the tab's own (WebRTC-direct and WebSocket through the browser's APIs).

use libp2p::core::muxing::StreamMuxerBox;
use libp2p::identity::Keypair;
use libp2p::{Swarm, Transport, noise, tcp, yamux};
pub use libp2p_webrtc::tokio::Certificate;

use crate::behaviour::{Behaviour, IDLE_CONNECTION_TIMEOUT, Role};

pub type BuildError = Box<dyn std::error::Error + Send + Sync>;

/// A native swarm for `key` in `role`. `certificate` is the WebRTC-direct DTLS certificate:
/// its hash is part of the dialable address (`/certhash/...`), so a relay keeps one across
/// restarts and browsers can keep dialing the same address.
pub async fn native_swarm(
    key: Keypair,
    role: Role,
    certificate: Certificate,
) -> Result<Swarm<Behaviour>, BuildError> {
    Ok(libp2p::SwarmBuilder::with_existing_identity(key)
        .with_tokio()
        .with_tcp(tcp::Config::default(), noise::Config::new, yamux::Config::default)?
        .with_quic()
        .with_other_transport(|key| {
            Ok::<_, BuildError>(
                libp2p_webrtc::tokio::Transport::new(key.clone(), certificate)
                    .map(|(peer, connection), _| (peer, StreamMuxerBox::new(connection))),
            )
        })?
        .with_dns()?
        .with_websocket(noise::Config::new, yamux::Config::default)
        .await?
        .with_behaviour(|key| Behaviour::new(key, role))?
        .with_swarm_config(|c| c.with_idle_connection_timeout(IDLE_CONNECTION_TIMEOUT))
        .build())
}

/// A fresh WebRTC-direct certificate.
pub fn new_certificate() -> Result<Certificate, BuildError> {
    Ok(Certificate::generate(&mut rand::rng())?)
}
