//! Souk's network layer on rust-libp2p, shared by the CLI, the relay and the browser peer.
//!
//! So far: `/souk/fetch/1.0.0`, which fetches a pack body by its content hash and checks the
//! hash before anything else sees the bytes ([`fetch`]), the composed [`Behaviour`], and a
//! [`Node`] that owns a swarm and answers its [`NodeHandle`]. Kademlia, gossip and the relay
//! join the same behaviour next.

pub mod behaviour;
pub mod fetch;
pub mod node;

pub use behaviour::Behaviour;
pub use node::{Node, NodeHandle, Store};
