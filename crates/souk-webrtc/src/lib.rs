//! Tab to tab over WebRTC: libp2p's `/webrtc` transport, which two browsers set up by
//! exchanging an SDP offer, an SDP answer and ICE candidates over a relayed connection
//! (`/webrtc-signaling/0.0.1`), after which the relay carries nothing.
//!
//! [`signaling`] is the negotiation as a state machine with no I/O: it reads the other
//! side's messages, checks each (size, shape, order, the DTLS fingerprint an SDP carries)
//! and says what to do next; the tab's shell moves the bytes and drives the browser's
//! `RTCPeerConnection`. [`Connection`] (in the browser) is that peer connection as a
//! libp2p stream muxer, one data channel per stream.

#[cfg(target_arch = "wasm32")]
mod channel;
#[cfg(target_arch = "wasm32")]
mod connection;
pub mod signaling;

#[cfg(target_arch = "wasm32")]
pub use connection::{Connection, INIT_LABEL, Stream};
