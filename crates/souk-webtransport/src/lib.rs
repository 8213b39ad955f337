//! libp2p over WebTransport, listening as well as dialing: the transport browsers set up
//! fastest (one QUIC handshake, no SDP, no DTLS), served by a native node.
//!
//! A session is an HTTP/3 extended CONNECT to [`PATH`] on a QUIC connection whose TLS
//! certificate is self-signed and pinned by hash (`/certhash/...` in the address). The first
//! bidirectional stream carries a Noise handshake that binds those hashes to the peer id;
//! every further bidirectional stream is a libp2p stream. The HTTP/3 and QUIC layers are
//! `wtransport` on quinn; this crate adds the libp2p parts: addresses, certificate rotation,
//! the Noise binding and the refusal counts.

mod certificate;
mod connection;
mod refusals;
mod transport;

use std::time::Duration;

pub use certificate::MAX_VALIDITY;
pub use connection::{Connection, Stream};
pub use refusals::{Refusal, Refusals};
pub use transport::Transport;

/// The path of the session request, with Noise as the security handshake.
pub const PATH: &str = "/.well-known/libp2p-webtransport?type=noise";

/// How a listener runs.
#[derive(Clone, Debug)]
pub struct Config {
    /// How long each certificate is served before the next one takes over. Each certificate
    /// is valid for twice this (browsers take at most [`MAX_VALIDITY`]).
    pub rotation: Duration,
    /// How long a dialer has from its first packet to a finished Noise handshake.
    pub handshake_timeout: Duration,
    /// How many connection attempts QUIC queues for the listener to take; more are refused
    /// before any state is kept for them. (Sessions the listener took count against the
    /// swarm's limit on connections still handshaking, as on every transport.)
    pub max_handshakes: usize,
    /// Counts the sessions refused, by reason (shared with whoever reports them).
    pub refusals: Refusals,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            rotation: Duration::from_secs(6 * 24 * 60 * 60),
            handshake_timeout: Duration::from_secs(10),
            max_handshakes: 256,
            refusals: Refusals::default(),
        }
    }
}

/// Why a session failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("not a WebTransport address: {0}")]
    Address(libp2p::Multiaddr),
    #[error("a certificate rotation period of {0:?} is outside what browsers accept")]
    RotationPeriod(Duration),
    #[error("certificate: {0}")]
    Certificate(#[from] rcgen::Error),
    #[error("TLS: {0}")]
    Tls(#[from] rustls::Error),
    #[error(transparent)]
    Io(#[from] std::io::Error),
    #[error("WebTransport session: {0}")]
    Connecting(#[from] wtransport::error::ConnectingError),
    #[error("WebTransport connection: {0}")]
    Connection(#[from] wtransport::error::ConnectionError),
    #[error("WebTransport stream: {0}")]
    Stream(#[from] wtransport::error::StreamOpeningError),
    #[error("Noise: {0}")]
    Noise(#[from] libp2p::noise::Error),
    #[error("session refused: {}", .0.as_str())]
    Refused(Refusal),
}
