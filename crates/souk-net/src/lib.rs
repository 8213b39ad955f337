//! Souk's network layer on rust-libp2p, shared by the CLI, the relay and the browser peer.
//!
//! So far: Kademlia on `/souk/kad/1.0.0`, holding signed pack records that every peer checks
//! on the way in and on the way out; gossipsub on `souk/announce/1` for new versions, each
//! checked before it is forwarded; `/souk/fetch/1.0.0`, which fetches a pack body by its
//! content hash and checks the hash before anything else sees the bytes ([`fetch`]); the
//! composed [`Behaviour`]; and a [`Node`] that owns a swarm and answers its [`NodeHandle`]
//! (`publish`, `lookup`, `fetch`, `events`). Index sync and the relay join next. The wire
//! formats are in `docs/protocol.md`.

pub mod behaviour;
pub mod fetch;
pub mod node;

pub use behaviour::Behaviour;
pub use node::{Node, NodeEvent, NodeHandle, Store};
