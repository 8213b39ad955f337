//! Why a network operation failed, as data: callers match on what went wrong (a resolve
//! conflict, a missing body, a peer's broken answer) and word it themselves.

use futures::channel::oneshot;
use souk_core::catalog::{HeadError, RebaseError};
use souk_core::peer::PublishError;
use souk_core::record::RecordError;
use souk_core::resolve::ResolveError;

use crate::fetch::FetchError;
use crate::store::StoreError;

/// Where the answer to a request of the node's task goes.
pub(crate) type Reply<T> = oneshot::Sender<Result<T, NodeError>>;

/// A failed network operation.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NodeError {
    #[error("the node has stopped")]
    Stopped,
    #[error("cannot listen: {0}")]
    Listen(String),
    #[error("cannot connect: {0}")]
    Dial(String),
    #[error("no bootstrap peer could be reached")]
    NoPeers,
    #[error(transparent)]
    Fetch(#[from] FetchError),
    #[error("cannot publish: {0}")]
    Publish(#[from] PublishError),
    #[error("cannot publish: the DHT store refused the record: {0}")]
    DhtStore(String),
    #[error("the registry rules refuse it: {0}")]
    Rules(RecordError),
    #[error("{peer} refused it: {reason}")]
    Refused { peer: String, reason: String },
    #[error("no record of `{0}` found in the network")]
    NotFound(String),
    #[error("index sync failed: {0}")]
    Sync(#[from] SyncError),
    #[error("`{requirement}` is not a version requirement: {reason}")]
    Requirement { requirement: String, reason: String },
    #[error(transparent)]
    Resolve(#[from] ResolveError),
    /// A resolution that failed where only its explanation comes back (a tab's pack module).
    #[error("{0}")]
    Unresolved(String),
    #[error("refused to install {name} {version}: {reason}")]
    Unverified { name: String, version: String, reason: RecordError },
    #[error(
        "refused to install {name} {version}: the body {peer} served matches the signed hash, but {reason}"
    )]
    BodyMismatch { name: String, version: String, peer: String, reason: String },
    #[error(
        "refused to install {name} {version}: souk.lock pins its {field} to {locked}, the network's is {found}"
    )]
    Locked { name: String, version: String, field: &'static str, locked: String, found: String },
    #[error("{name} {version} has no body in the network")]
    NoBody { name: String, version: String },
    #[error("the index is unreadable: {0}")]
    Unreadable(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Why an index sync with a peer failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SyncError {
    #[error("the request failed: {0}")]
    Request(String),
    #[error("the peer answered {asked} with something else")]
    Unexpected { asked: &'static str },
    #[error("the peer sent a chunk that is not the one asked for")]
    WrongChunk,
    #[error("the peer renumbered its index")]
    Renumbered,
    #[error("its head was refused: {0}")]
    Head(#[from] HeadError),
    #[error("its base was refused: {0}")]
    Base(#[from] RebaseError),
}
