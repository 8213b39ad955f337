//! The native swarm: TCP, QUIC-v1, WebSocket, WebRTC-direct and WebTransport on tokio. The
//! browser's transports are the tab's own (WebRTC-direct, WebSocket and WebTransport through
//! the browser's APIs).

use std::sync::{Arc, Mutex};

use libp2p::core::muxing::StreamMuxerBox;
use libp2p::identity::Keypair;
use libp2p::metrics::Registry;
use libp2p::{Swarm, Transport, noise, tcp, yamux};
pub use libp2p_webrtc::tokio::Certificate;

use crate::behaviour::{Behaviour, IDLE_CONNECTION_TIMEOUT, Role};

pub type BuildError = Box<dyn std::error::Error + Send + Sync>;

/// What the transports take from outside the swarm: the browser-facing ones' settings, and
/// where every transport counts its bytes.
#[derive(Debug)]
pub struct Transports {
    /// The WebRTC-direct DTLS certificate: its hash is part of the dialable address
    /// (`/certhash/...`), so a relay keeps one across restarts and browsers can keep
    /// dialing the same address.
    pub webrtc: Certificate,
    /// How WebTransport listeners rotate their certificates and count refusals.
    pub webtransport: souk_webtransport::Config,
    /// Bytes in and out by transport (libp2p's `libp2p_bandwidth_bytes_total`): a relay
    /// serves them on `/metrics`, which shows what crossed it.
    pub bandwidth: Arc<Mutex<Registry>>,
}

impl Transports {
    /// A fresh WebRTC-direct certificate and WebTransport's defaults.
    pub fn generate() -> Result<Self, BuildError> {
        Ok(Self {
            webrtc: new_certificate()?,
            webtransport: souk_webtransport::Config::default(),
            bandwidth: Arc::default(),
        })
    }
}

/// A native swarm for `key` in `role`.
pub async fn native_swarm(
    key: Keypair,
    role: Role,
    transports: Transports,
) -> Result<Swarm<Behaviour>, BuildError> {
    let Transports { webrtc, webtransport, bandwidth } = transports;
    let builder = libp2p::SwarmBuilder::with_existing_identity(key)
        .with_tokio()
        .with_tcp(tcp::Config::default(), noise::Config::new, yamux::Config::default)?
        .with_quic()
        .with_other_transport(|key| {
            Ok::<_, BuildError>(
                libp2p_webrtc::tokio::Transport::new(key.clone(), webrtc)
                    .map(|(peer, connection), _| (peer, StreamMuxerBox::new(connection))),
            )
        })?
        .with_other_transport(|key| {
            Ok::<_, BuildError>(
                souk_webtransport::Transport::new(key.clone(), webtransport)
                    .map(|(peer, connection), _| (peer, StreamMuxerBox::new(connection))),
            )
        })?
        .with_dns()?
        .with_websocket(noise::Config::new, yamux::Config::default)
        .await?;
    let mut bandwidth = bandwidth.lock().unwrap_or_else(|e| e.into_inner());
    Ok(builder
        .with_bandwidth_metrics(&mut bandwidth)
        .with_behaviour(|key| Behaviour::new(key, role))?
        .with_swarm_config(|c| c.with_idle_connection_timeout(IDLE_CONNECTION_TIMEOUT))
        .build())
}

/// A fresh WebRTC-direct certificate.
pub fn new_certificate() -> Result<Certificate, BuildError> {
    Ok(Certificate::generate(&mut rand::rng())?)
}
