//! What a node allows others, in one place: each limit a named setting with its default.
//! (The core's own, on what it decodes and keeps, are in [`souk_core::peer::PeerConfig`].)

use std::time::Duration;

/// The most records (a pack's newest version each) a peer's DHT store holds: a relay of a
/// million packs. libp2p's default, 1,024, stopped the network at about a thousand packs.
pub const MAX_RECORDS: usize = 1_000_000;

/// The most body hashes a peer provides itself (a relay provides every body it pins).
pub const MAX_PROVIDED_KEYS: usize = 1_000_000;

/// The most connections to one peer: a tab may reach a relay over WebRTC-direct and
/// WebSocket at once, and a dial raced over several transports briefly holds more.
pub const MAX_CONNECTIONS_PER_PEER: u32 = 8;

/// The most connections still handshaking from others: a flood of dials waits its turn.
pub const MAX_PENDING_INCOMING: u32 = 256;

/// The most connections others opened to a relay (a peer: a tenth of it): room for
/// thousands of tabs and peers, and a bound on what one process holds.
pub const MAX_INCOMING_ON_A_RELAY: u32 = 10_000;

/// The share of the machine's memory past which a native node refuses new connections
/// (libp2p's memory-based limit), before the machine runs out under a flood of them.
pub const MAX_MEMORY_SHARE: f64 = 0.8;

/// The most events a subscriber may fall behind by ([`crate::NodeHandle::events`]); past
/// it, events are dropped for that subscriber and counted.
pub const MAX_QUEUED_EVENTS: usize = 1024;

/// How long a peer the core banned (its reputation fell too low) stays disconnected, every
/// connection from it refused.
pub const BAN_FOR: Duration = Duration::from_secs(10 * 60);

/// The most records, and keys with providers, a peer without a database holds in its DHT
/// store (a tab, one CLI run): room for a session's lookups and bodies.
pub const MAX_RECORDS_IN_MEMORY: usize = 65_536;

/// The most bytes of bodies a relay keeps for one publisher's key (every relay pins every
/// published body, up to 8 MiB each): one key cannot fill a relay's disk.
pub const PIN_QUOTA: u64 = 1 << 30;
