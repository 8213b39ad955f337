//! What a [`super::NodeHandle`] asks of the node's task: one variant per public call, and
//! the sync steps of [`crate::sync::client`].

use futures::channel::{mpsc, oneshot};
use libp2p::{Multiaddr, PeerId};
use souk_core::record::PackRecord;
use souk_core::reputation::PeerRecord;
use souk_core::{Digest, Index};

use super::events::{Metric, NodeEvent, PeerInfo, Stats};
use crate::error::NodeError;
use crate::sync::client::SyncStep;

/// Where a command's answer goes.
pub(crate) type Reply<T> = oneshot::Sender<Result<T, NodeError>>;

/// A read of the node's current index, run on its task.
pub(crate) type ReadIndex = Box<dyn FnOnce(&Index) + Send>;

pub(crate) enum Command {
    Listen(Multiaddr, Reply<Multiaddr>),
    Addresses(oneshot::Sender<Vec<Multiaddr>>),
    Dial(Multiaddr, Reply<PeerId>),
    Bootstrap(oneshot::Sender<()>),
    Fetch(Vec<PeerId>, Digest, Reply<(PeerId, Vec<u8>)>),
    Body(Digest, Reply<Option<Vec<u8>>>),
    Providers(Digest, Reply<Vec<PeerId>>),
    Reputation(PeerId, oneshot::Sender<PeerRecord>),
    PutBody(Vec<u8>, Reply<Digest>),
    Publish(Box<PackRecord>, Vec<u8>, Reply<usize>),
    Lookup(String, Reply<PackRecord>),
    Read(ReadIndex),
    Sync(SyncStep),
    Peers(oneshot::Sender<Vec<PeerInfo>>),
    Stats(oneshot::Sender<Stats>),
    Observe(Metric, std::time::Duration),
    Subscribe(mpsc::UnboundedSender<NodeEvent>),
}
