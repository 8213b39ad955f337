//! Tab to tab over WebRTC: libp2p's `/webrtc` transport, which two browsers set up by
//! exchanging an SDP offer, an SDP answer and ICE candidates over a relayed connection
//! (`/webrtc-signaling/0.0.1`), after which the relay carries nothing.
//!
//! [`signaling`] is the negotiation as a state machine with no I/O: it reads the other
//! side's messages, checks each (size, shape, order, the DTLS fingerprint an SDP carries)
//! and says what to do next. In the browser, [`negotiate`] drives an `RTCPeerConnection`
//! through it, and [`Connection`] is that peer connection as a libp2p stream muxer, one data
//! channel per stream. [`circuits`] makes the pair a tab's swarm takes: a [`Transport`] that
//! dials plain circuits and `/webrtc` over them, and a [`Behaviour`] that answers the
//! signaling other peers open on circuits.

#[cfg(target_arch = "wasm32")]
mod behaviour;
#[cfg(target_arch = "wasm32")]
mod channel;
#[cfg(target_arch = "wasm32")]
mod connection;
#[cfg(target_arch = "wasm32")]
mod fin_ack;
#[cfg(target_arch = "wasm32")]
pub mod inbox;
#[cfg(target_arch = "wasm32")]
pub mod negotiate;
mod refusals;
pub mod signaling;
#[cfg(target_arch = "wasm32")]
mod transport;

#[cfg(target_arch = "wasm32")]
pub use behaviour::Behaviour;
#[cfg(target_arch = "wasm32")]
pub use connection::{Connection, INIT_LABEL, Stream};
pub use refusals::Refusals;
#[cfg(target_arch = "wasm32")]
pub use transport::{Config, Transport};

/// Negotiated connections waiting for the transport's listener, at most.
#[cfg(target_arch = "wasm32")]
const MAX_WAITING: usize = 8;

/// The transport and behaviour of a tab's circuits, over `relayed` (the relay client's
/// transport with its security and muxer); the behaviour keeps the counts of what both
/// refused.
#[cfg(target_arch = "wasm32")]
pub fn circuits(
    relayed: libp2p::core::transport::Boxed<(libp2p::PeerId, libp2p::core::muxing::StreamMuxerBox)>,
    config: Config,
) -> (Transport, Behaviour) {
    let refusals = Refusals::default();
    let (to_transport, inbound) = futures::channel::mpsc::channel(MAX_WAITING);
    let transport = Transport::new(relayed, config.clone(), inbound, refusals.clone());
    (transport, Behaviour::new(to_transport, config, refusals))
}
