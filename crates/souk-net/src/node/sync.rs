//! One index sync with a peer, start to end: its head, where to start (the core decides,
//! from the cursor of the last sync), the base in checked chunks when needed, then every
//! record since, and the cursor reached. The requests go out through the node's task; each
//! step that changes the node's state is a `SyncStep` it applies to its core ([`apply`]).

use futures::StreamExt;
use futures::channel::oneshot;
use libp2p::PeerId;
use souk_core::Digest;
use souk_core::catalog::{FetchedBase, HeadError};
use souk_core::peer::{Peer, Reason, SyncStart, Verdict, Via};
use souk_core::record::Statement;

use super::command::{Command, SyncStep};
use super::handle::NodeHandle;
use crate::error::{NodeError, SyncError};
use crate::sync::{Sync, SyncRequest, SyncResponse, unix_seconds};

/// How many base chunks are fetched at once.
const PARALLEL_CHUNKS: usize = 8;

/// What a sync brought.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SyncReport {
    /// Bytes of base snapshot fetched (0 when this peer already had that base).
    pub base_bytes: usize,
    /// Records new to this peer.
    pub accepted: usize,
    /// Records refused (bad signature, broken rules); each counted against the peer.
    pub refused: usize,
    /// The peer's sequence number this peer has now reached.
    pub seq: u64,
    /// How many seconds past the freshness limit the peer's signed head was (`None`: fresh).
    pub stale_by: Option<u64>,
}

/// A peer's ed25519 public key, from its id (Souk's peer ids inline their key).
fn ed25519_key(peer: &PeerId) -> Option<[u8; 32]> {
    let key = libp2p::identity::PublicKey::try_decode_protobuf(peer.as_ref().digest()).ok()?;
    Some(key.try_into_ed25519().ok()?.to_bytes())
}

/// Carries out one step on the node's core and sync protocol.
pub(crate) fn apply(step: SyncStep, core: &mut Peer<PeerId>, sync: &mut Sync) {
    match step {
        SyncStep::Ask(peer, request, reply) => sync.ask(peer, request, reply),
        SyncStep::Start(peer, head, reply) => {
            let key = ed25519_key(&peer).ok_or(HeadError::BadSignature);
            let start = key.and_then(|key| core.sync_start(&peer, &key, &head));
            let stale_by = core.stale_by(head.time, unix_seconds());
            let _ = reply.send(start.map(|s| (s, stale_by)).map_err(|e| SyncError::Head(e).into()));
        }
        SyncStep::Base(peer, base, seq, reply) => {
            let taken = core.handle_base(peer, base, seq);
            let _ = reply.send(taken.map_err(|e| SyncError::Base(e).into()));
        }
        SyncStep::Records(peer, records, reply) => {
            // Records this peer held already are neither; only refusals count against the peer.
            let verdicts: Vec<Verdict> =
                records.iter().map(|bytes| core.handle_record(peer, Via::Sync, bytes)).collect();
            let count = |v: Verdict| verdicts.iter().filter(|&&verdict| verdict == v).count();
            let _ = reply.send((count(Verdict::New), count(Verdict::Refused)));
        }
        SyncStep::Synced(peer, reply) => {
            let _ = reply.send(core.handle_synced(peer).map_err(|e| SyncError::Head(e).into()));
        }
        SyncStep::Broken(peer, reason, error) => core.refuse(peer, reason, &error),
    }
}

impl NodeHandle {
    /// Brings this node's index up to date from `peer`: the base snapshot in checked chunks
    /// when this node lacks it, then every record after what it already has from `peer`.
    pub async fn sync_index(&self, peer: PeerId) -> Result<SyncReport, NodeError> {
        let SyncResponse::Head(signed) = self.sync_request(peer, SyncRequest::Head).await? else {
            return Err(self.broken(peer, SyncError::Unexpected { asked: "its head" }).await);
        };
        let head_seq = signed.head.seq;
        let (start, stale_by) = self.step(|tx| SyncStep::Start(peer, signed, tx)).await??;
        let mut report = SyncReport { stale_by, ..SyncReport::default() };
        let mut seq = match start {
            SyncStart::Since(seq) => seq,
            SyncStart::Base { chunks, base_seq } => {
                let base = self.fetch_base(peer, chunks).await?;
                report.base_bytes = base.len();
                self.step(|tx| SyncStep::Base(peer, base, base_seq, tx)).await??;
                base_seq
            }
        };
        loop {
            match self.sync_request(peer, SyncRequest::Since(seq)).await? {
                SyncResponse::Records { records, more } => {
                    seq = seq.saturating_add(records.len() as u64);
                    let (accepted, refused) = self.step(|tx| SyncStep::Records(peer, records, tx)).await?;
                    report.accepted += accepted;
                    report.refused += refused;
                    if !more || seq >= head_seq {
                        break;
                    }
                }
                SyncResponse::Rebase => return Err(SyncError::Renumbered.into()),
                _ => return Err(self.broken(peer, SyncError::Unexpected { asked: "records" }).await),
            }
        }
        report.seq = seq;
        self.step(|tx| SyncStep::Synced(peer, tx)).await??;
        Ok(report)
    }

    /// A statement this node's user signed (an owner added or removed, a version yanked):
    /// checked and kept here, then offered to `peer` (a relay), which checks it again, keeps
    /// it and announces it to the network. Answers whether `peer` did not hold it yet; its
    /// refusal comes back as [`NodeError::Refused`] with its reason.
    pub async fn offer(&self, peer: PeerId, statement: Statement) -> Result<bool, NodeError> {
        let bytes = statement.encode();
        self.ask(|tx| Command::State(Box::new(statement), tx)).await??;
        match self.sync_request(peer, SyncRequest::Offer(bytes)).await? {
            SyncResponse::Taken { new } => Ok(new),
            SyncResponse::Refused(reason) => Err(NodeError::Refused { peer: peer.to_string(), reason }),
            _ => Err(self.broken(peer, SyncError::Unexpected { asked: "an offer" }).await),
        }
    }

    /// The base snapshot, its chunks fetched a few at a time, each checked in order
    /// ([`FetchedBase::push`]).
    async fn fetch_base(&self, peer: PeerId, chunks: Vec<Digest>) -> Result<FetchedBase, NodeError> {
        let mut fetched = futures::stream::iter(chunks.clone())
            .map(|hash| self.sync_request(peer, SyncRequest::Chunk(hash)))
            .buffered(PARALLEL_CHUNKS);
        let mut base = FetchedBase::new(chunks);
        while let Some(response) = fetched.next().await {
            match response? {
                SyncResponse::Chunk(bytes) if base.push(&bytes) => {}
                _ => return Err(self.broken(peer, SyncError::WrongChunk).await),
            }
        }
        Ok(base)
    }

    /// Counts a broken answer against `peer`; answers the error to return.
    async fn broken(&self, peer: PeerId, error: SyncError) -> NodeError {
        let _ = self.send(Command::Sync(SyncStep::Broken(peer, Reason::BadSyncAnswer, error.clone()))).await;
        error.into()
    }

    async fn sync_request(&self, peer: PeerId, request: SyncRequest) -> Result<SyncResponse, NodeError> {
        self.step(|tx| SyncStep::Ask(peer, request, tx)).await?
    }

    async fn step<T>(&self, step: impl FnOnce(oneshot::Sender<T>) -> SyncStep) -> Result<T, NodeError> {
        self.ask(|tx| Command::Sync(step(tx))).await
    }
}
