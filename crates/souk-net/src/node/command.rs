//! What a [`super::NodeHandle`] asks of the node's task: one variant per public call, and
//! the steps of an index sync (`super::sync`).

use futures::channel::{mpsc, oneshot};
use libp2p::{Multiaddr, PeerId};
use souk_core::catalog::{FetchedBase, HeadError, SignedHead};
use souk_core::peer::{Reason, SyncStart};
use souk_core::record::{PackRecord, Statement};
use souk_core::reputation::PeerRecord;
use souk_core::{Digest, Index};

use crate::error::{Reply, SyncError};
use crate::events::{Metric, NodeEvent, PeerInfo, Stats};
use crate::fetch::Served;
use crate::sync::{SyncRequest, SyncResponse};

/// A read of the node's current index, run on its task.
pub(crate) type ReadIndex = Box<dyn FnOnce(&Index) + Send>;

pub(crate) enum Command {
    Listen(Multiaddr, Reply<Multiaddr>),
    Addresses(oneshot::Sender<Vec<Multiaddr>>),
    Dial(Multiaddr, Reply<PeerId>),
    Bootstrap(oneshot::Sender<()>),
    Fetch(Vec<PeerId>, Digest, Served),
    Body(Digest, Reply<Option<Vec<u8>>>),
    Providers(Digest, Reply<Vec<PeerId>>),
    Reputation(PeerId, oneshot::Sender<PeerRecord>),
    PutBody(Vec<u8>, Reply<Digest>),
    Publish(Box<PackRecord>, Vec<u8>, Reply<usize>),
    /// A statement of this node's user: answers whether it was new here.
    State(Box<Statement>, Reply<bool>),
    Lookup(String, Reply<PackRecord>),
    Read(ReadIndex),
    Sync(SyncStep),
    Peers(oneshot::Sender<Vec<PeerInfo>>),
    Evidence(oneshot::Sender<Vec<(PeerId, HeadError)>>),
    LastHead(PeerId, oneshot::Sender<Option<SignedHead>>),
    RememberHead(PeerId, Box<SignedHead>),
    Stats(oneshot::Sender<Stats>),
    Observe(Metric, std::time::Duration),
    Subscribe(mpsc::Sender<NodeEvent>),
}

/// A step of an index sync that the node's task carries out on its core.
#[derive(Debug)]
pub(crate) enum SyncStep {
    Ask(PeerId, SyncRequest, Reply<SyncResponse>),
    /// Answers where to start, and how many seconds past the freshness limit the head is.
    Start(PeerId, SignedHead, Reply<(SyncStart, Option<u64>)>),
    /// A base reaching the sequence number given, and the first records after it: how
    /// many of those were new, and how many refused.
    Base(PeerId, FetchedBase, u64, Vec<Vec<u8>>, Reply<(usize, usize)>),
    Records(PeerId, Vec<Vec<u8>>, oneshot::Sender<(usize, usize)>),
    /// Every record is in: check them against the head, keep the cursor.
    Synced(PeerId, Reply<()>),
    Broken(PeerId, Reason, SyncError),
}
