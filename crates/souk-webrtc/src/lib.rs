//! Tab to tab over WebRTC: libp2p's `/webrtc` transport, which two browsers set up by
//! exchanging an SDP offer, an SDP answer and ICE candidates over a relayed connection
//! (`/webrtc-signaling/0.0.1`), after which the relay carries nothing.
//!
//! [`signaling`] is the negotiation as a state machine with no I/O: it reads the other
//! side's messages, checks each (size, shape, order, the DTLS fingerprint an SDP carries)
//! and says what to do next. In the browser, [`negotiate`] drives an `RTCPeerConnection`
//! through it, and [`Connection`] is that peer connection as a libp2p stream muxer, one data
//! channel per stream. Still to come: the transport and behaviour that carry the signaling
//! over a relayed connection and hand the swarm the direct one.

#[cfg(target_arch = "wasm32")]
mod channel;
#[cfg(target_arch = "wasm32")]
mod connection;
#[cfg(target_arch = "wasm32")]
pub mod inbox;
#[cfg(target_arch = "wasm32")]
pub mod negotiate;
pub mod signaling;

#[cfg(target_arch = "wasm32")]
pub use connection::{Connection, INIT_LABEL, Stream};
