//! Sessions a listener refused, counted by reason for `/metrics`.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// Why a listener closed a session before it became a libp2p connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// The QUIC, TLS or HTTP/3 setup failed, or the request was not a WebTransport session.
    Session,
    /// The session asked for another path than [`crate::PATH`].
    Path,
    /// No Noise handshake on the first stream, or one that failed.
    Noise,
    /// The handshake did not finish within the configured timeout.
    Timeout,
}

impl Refusal {
    pub const ALL: [Refusal; 4] = [Self::Session, Self::Path, Self::Noise, Self::Timeout];

    /// The reason's label on `/metrics`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Session => "session",
            Self::Path => "path",
            Self::Noise => "noise",
            Self::Timeout => "timeout",
        }
    }
}

/// Counts of refused sessions, one per [`Refusal`]; clones share the counts.
#[derive(Clone, Debug, Default)]
pub struct Refusals(Arc<[AtomicU64; Refusal::ALL.len()]>);

impl Refusals {
    pub(crate) fn count(&self, reason: Refusal) {
        self.0[reason as usize].fetch_add(1, Ordering::Relaxed);
    }

    /// How many sessions were refused for `reason`.
    pub fn get(&self, reason: Refusal) -> u64 {
        self.0[reason as usize].load(Ordering::Relaxed)
    }
}
