//! Souk's network layer on rust-libp2p, shared by the CLI, the relay and the browser peer.
//!
//! One module per protocol, each a libp2p behaviour that owns its pending state and emits
//! typed events ([`protocol::Protocol`]); the rules they follow live in
//! [`souk_core::peer`], and the [`Node`] only routes between the two.
//!
//! - [`dht`]: Kademlia on `/souk/kad/1.0.0`: signed pack records and body providers.
//! - [`announce`]: gossipsub on `souk/announce/2`: new records, checked before forwarding.
//! - [`fetch`]: `/souk/fetch/1.0.0`, a pack body by content hash, checked against the hash.
//! - [`sync`]: `/souk/sync/1.0.0`, the registry index as a chunked snapshot and then deltas.
//! - [`behaviour`]: the composed [`Behaviour`], with identify, ping and circuit relay v2.
//! - [`node`]: the [`Node`] task that owns a swarm, the core and its [`Store`], and the
//!   [`NodeHandle`] callers use (`publish`, `lookup`, `search`, `sync_index`, `fetch_any`, ...).
//! - [`packs`]: the pack code an install runs (resolution, the body check), linked in or,
//!   in a tab, in a second module.
//! - [`client`]: what the CLI, the relay and the tab do alike to join (the dial order).
//! - [`codec`]: the one size-limited request-response codec fetch and sync use.
//! - [`keep_alive`]: gossipsub's open streams no longer hold every connection open.
//! - `transport` (native): the TCP, QUIC, WebSocket, WebRTC-direct and WebTransport swarm.
//! - `browser` (wasm): the tab's WebRTC-direct, WebSocket and WebTransport swarm, with the
//!   circuit relay client; `websocket` (wasm), its WebSocket transport.
//!
//! The wire formats are in `docs/protocol.md`.

#![forbid(unsafe_code)]

pub mod announce;
pub mod behaviour;
#[cfg(target_arch = "wasm32")]
pub mod browser;
pub mod client;
pub mod codec;
pub mod dht;
mod digest;
pub mod error;
pub mod events;
pub mod fetch;
pub mod keep_alive;
pub mod limits;
pub mod node;
pub mod packs;
pub mod protocol;
pub mod store;
pub mod sync;
#[cfg(feature = "testing")]
pub mod testing;
#[cfg(not(target_arch = "wasm32"))]
pub mod transport;
#[cfg(target_arch = "wasm32")]
pub mod websocket;

pub use behaviour::{Behaviour, Role};
pub use error::{NodeError, SyncError};
pub use events::NodeEvent;
pub use node::{Installed, Node, NodeHandle, Progress, SearchPage, SearchRequest, SyncReport};
pub use packs::{Linked, Packs};
pub use store::{MemoryStore, Store, StoreError};
