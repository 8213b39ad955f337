//! Souk's network layer on rust-libp2p, shared by the CLI, the relay and the browser peer.
//!
//! - [`behaviour`]: the composed libp2p [`Behaviour`]: Kademlia on `/souk/kad/1.0.0`
//!   holding signed pack records, gossipsub on `souk/announce/1`, identify, ping, the
//!   request-response protocols below, and on relays the circuit relay v2 server.
//! - [`fetch`]: `/souk/fetch/1.0.0`, a pack body by content hash, checked against the hash.
//! - [`sync`]: `/souk/sync/1.0.0`, the registry index as a chunked snapshot and then deltas.
//! - [`codec`]: the one size-limited request-response codec both protocols use.
//! - [`node`]: the [`Node`] task that owns a swarm, its catalog and its [`Store`], and the
//!   [`NodeHandle`] callers use (`publish`, `lookup`, `search`, `sync_index`, `fetch_any`, ...).
//! - [`keep_alive`]: gossipsub's open streams no longer hold every connection open.
//! - `transport` (native): the TCP, QUIC, WebSocket and WebRTC-direct swarm.
//! - `browser` (wasm): the tab's WebRTC-direct, WebSocket and WebTransport swarm, with the
//!   circuit relay client.
//!
//! The wire formats are in `docs/protocol.md`.

pub mod behaviour;
#[cfg(target_arch = "wasm32")]
pub mod browser;
pub mod codec;
pub mod fetch;
mod handle;
pub mod keep_alive;
pub mod node;
pub mod store;
pub mod sync;
#[cfg(feature = "testing")]
pub mod testing;
#[cfg(not(target_arch = "wasm32"))]
pub mod transport;

pub use behaviour::{Behaviour, Role};
pub use handle::{Installed, Progress, SearchPage, SearchRequest, SyncReport};
pub use node::{Node, NodeError, NodeEvent, NodeHandle};
pub use store::{MemoryStore, Store, StoreError};
