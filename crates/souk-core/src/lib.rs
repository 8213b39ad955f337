//! Souk's core: everything a Souk peer decides, with no I/O.
//!
//! Like `quinn-proto` for QUIC, this crate never touches a socket, a file, a clock or a
//! random number generator: callers hand it bytes and `now` and get answers back. That is
//! what lets the native CLI, the relay and the browser tab run one code path and get the
//! same answers, and what lets every test here run without a network or a browser.
//!
//! - [`name`]: the pack naming rule and the folding that makes `Foo_bar` equal `foo-bar`.
//! - [`pack`]: the pack model ([`PackVersion`]) and manifest validation.
//! - [`record`]: signed pack records and the rules every peer checks them by.
//! - [`reputation`]: how far to trust each peer, learned from every fetch.
//! - [`body`]: the deterministic encoding of a pack's files and its content hash.
//! - [`catalog`]: what a peer knows, as a base snapshot and a log of records, for index sync.
//! - [`peer`]: a peer's decisions on network input (keep, replace, forward, penalise,
//!   retry) as a state machine fed events and `now`, answering actions.
//! - [`cache`]: the two-tier lookup cache (hot LRU, warm TTL) in front of the network.
//! - [`index`]: the immutable, columnar registry [`Index`] and its binary snapshot format.
//! - [`search`]: queries over an [`Index`].
//! - [`resolve`]: dependency resolution with cargo's rules.
//! - [`lockfile`]: `souk.lock`, written alike by the CLI and the page.
//! - [`text`]: how text is cut into search terms, for the index and for queries.
//!
//! ```
//! use souk_core::{Index, IndexBuilder, Manifest, search::{search, Query}};
//!
//! let manifest = Manifest {
//!     name: "rust-cli".into(),
//!     version: "1.0.0".into(),
//!     description: "A Rust command-line skeleton".into(),
//!     license: "MIT".into(),
//!     ..Manifest::default()
//! };
//! let mut builder = IndexBuilder::default();
//! builder.push(manifest.validate().unwrap());
//! let index = builder.build().unwrap();
//!
//! // A snapshot is the same bytes on disk, in IndexedDB and on the wire.
//! let loaded = Index::from_snapshot(&index.to_snapshot()).unwrap();
//! let results = search(&loaded, &Query::new("rust"));
//! assert_eq!(loaded.get(results.hits[0].record).name(), "rust-cli");
//! ```
#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

pub mod body;
pub mod cache;
pub mod catalog;
pub mod index;
pub mod lockfile;
pub mod name;
pub mod pack;
pub mod peer;
pub mod record;
pub mod reputation;
pub mod resolve;
pub mod search;
mod tables;
pub mod text;
pub mod wire;

pub use index::{Index, IndexBuilder, PackRef};
pub use pack::{Dependency, Digest, Manifest, PackVersion};
