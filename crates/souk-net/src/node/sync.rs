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
use crate::digest::sha256;
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
        SyncStep::Base(peer, base, seq, records, reply) => {
            let taken = core.handle_base(peer, base, seq).map(|()| take_records(core, peer, &records));
            let _ = reply.send(taken.map_err(|e| SyncError::Base(e).into()));
        }
        SyncStep::Records(peer, records, reply) => drop(reply.send(take_records(core, peer, &records))),
        SyncStep::Synced(peer, reply) => {
            let _ = reply.send(core.handle_synced(peer).map_err(|e| SyncError::Head(e).into()));
        }
        SyncStep::Broken(peer, reason, error) => core.refuse(peer, reason, &error),
    }
}

/// Where a sync goes on after a page of `records` served after `seq`, and whether to ask
/// for more: not past the head, nor after an empty page (a peer that says "more" and sends
/// nothing would keep this peer asking forever).
fn next(seq: u64, records: &[Vec<u8>], more: bool, head_seq: u64) -> (u64, bool) {
    let seq = seq.saturating_add(records.len() as u64);
    (seq, more && !records.is_empty() && seq < head_seq)
}

/// Hands records served by `peer` to the core: how many were new, and how many refused.
/// Records this peer held already are neither; only refusals count against the peer.
fn take_records(core: &mut Peer<PeerId>, peer: PeerId, records: &[Vec<u8>]) -> (usize, usize) {
    let verdicts: Vec<Verdict> =
        records.iter().map(|bytes| core.handle_record(peer, Via::Sync, bytes)).collect();
    let count = |v: Verdict| verdicts.iter().filter(|&&verdict| verdict == v).count();
    (count(Verdict::New), count(Verdict::Refused))
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
        let (mut seq, mut more) = match start {
            SyncStart::Since(seq) => (seq, true),
            SyncStart::Base { chunks, base_seq } => {
                // The first records after the base are asked for while it arrives and go in
                // with it, in one step: a search between the two would bring the index up to
                // date twice, and a merge into a large base costs as much for one record as
                // for a page. Any other answer is asked again below, and fails there.
                let (base, first) = futures::join!(
                    self.fetch_base(peer, chunks),
                    self.sync_request(peer, SyncRequest::Since(base_seq))
                );
                let base = base?;
                report.base_bytes = base.len();
                let (records, (seq, more)) = match first {
                    Ok(SyncResponse::Records { records, more }) => {
                        let next = next(base_seq, &records, more, head_seq);
                        (records, next)
                    }
                    _ => (Vec::new(), (base_seq, true)),
                };
                let (accepted, refused) =
                    self.step(|tx| SyncStep::Base(peer, base, base_seq, records, tx)).await??;
                (report.accepted, report.refused) = (accepted, refused);
                (seq, more)
            }
        };
        while more {
            match self.sync_request(peer, SyncRequest::Since(seq)).await? {
                SyncResponse::Records { records, more: rest } => {
                    (seq, more) = next(seq, &records, rest, head_seq);
                    let (accepted, refused) = self.step(|tx| SyncStep::Records(peer, records, tx)).await?;
                    report.accepted += accepted;
                    report.refused += refused;
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

    /// The base snapshot, its chunks fetched and hashed a few at a time, each checked in
    /// order ([`FetchedBase::push`]).
    async fn fetch_base(&self, peer: PeerId, chunks: Vec<Digest>) -> Result<FetchedBase, NodeError> {
        let mut fetched = futures::stream::iter(chunks.clone())
            .map(|hash| async move {
                Ok::<_, NodeError>(match self.sync_request(peer, SyncRequest::Chunk(hash)).await? {
                    SyncResponse::Chunk(bytes) => Some((sha256(&bytes).await, bytes)),
                    _ => None,
                })
            })
            .buffered(PARALLEL_CHUNKS);
        let mut base = FetchedBase::new(chunks);
        while let Some(chunk) = fetched.next().await {
            if !chunk?.is_some_and(|(hash, bytes)| base.push(bytes, hash)) {
                return Err(self.broken(peer, SyncError::WrongChunk).await);
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
