//! [`NodeHandle`]: how callers talk to a running [`crate::Node`]. Each call is a message to
//! the node's task and an answer back; calls made of several network steps (bootstrap,
//! index sync, search with its DHT fallback) are written here as plain async code over the
//! single steps, so the task itself stays a simple event loop.

use futures::channel::{mpsc, oneshot};
use futures::{SinkExt, StreamExt, future};
use libp2p::{Multiaddr, PeerId};
use souk_core::catalog::{HeadError, SignedHead};
use souk_core::lockfile::LockedPackage;
use souk_core::name::check_name;
use souk_core::pack::to_hex;
use souk_core::record::{Claimed, PackRecord, RecordError};
use souk_core::reputation::PeerRecord;
use souk_core::resolve::{MemoryRegistry, Resolution};
use souk_core::search::{Filters, Query, Sort};
use souk_core::{Digest, Index, PackVersion};
use web_time::Instant;

use super::command::Command;
use crate::error::NodeError;
use crate::events::{Metric, NodeEvent, PeerInfo, Stats};
use crate::limits::MAX_QUEUED_EVENTS;
use crate::packs::{Linked, Packs};

/// How many pack bodies an install fetches at once.
const PARALLEL_FETCHES: usize = 8;

/// Talks to a running [`crate::Node`].
#[derive(Clone)]
pub struct NodeHandle {
    pub(crate) commands: mpsc::Sender<Command>,
    pub(crate) peer_id: PeerId,
}

impl std::fmt::Debug for NodeHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NodeHandle").field("peer_id", &self.peer_id).finish_non_exhaustive()
    }
}

/// A search, owned so it can travel to the node's task.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SearchRequest {
    pub text: String,
    pub tag: Option<String>,
    pub category: Option<String>,
    pub author: Option<String>,
    pub license: Option<String>,
    pub sort: Sort,
    pub offset: usize,
    /// 0 means the default page size (20).
    pub limit: usize,
}

/// One page of results.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SearchPage {
    /// How many packs matched in all.
    pub total: usize,
    pub packs: Vec<PackVersion>,
    /// Whether the answer came from the DHT because the local index lacked the name.
    pub from_network: bool,
}

/// What an install brought: the resolution and every pack with its checked body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Installed {
    pub resolution: Resolution,
    pub packs: Vec<(PackVersion, Vec<u8>)>,
}

impl Installed {
    /// The lockfile of this install: every package pinned to its body and its publisher.
    pub fn lockfile(&self) -> Vec<LockedPackage> {
        let packs: Vec<&PackVersion> = self.packs.iter().map(|(pack, _)| pack).collect();
        LockedPackage::installed(&self.resolution, &packs)
    }
}

/// How far an install has come, after each body that arrived and passed its check.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Progress {
    /// Bodies fetched and checked, of `total`.
    pub done: usize,
    pub total: usize,
    /// Their bytes together.
    pub bytes: usize,
}

impl NodeHandle {
    pub fn peer_id(&self) -> PeerId {
        self.peer_id
    }

    /// Starts listening on `addr`; answers the first address it listens on.
    pub async fn listen(&self, addr: Multiaddr) -> Result<Multiaddr, NodeError> {
        self.ask(|tx| Command::Listen(addr, tx)).await?
    }

    /// Where this node can be dialed: every address it listens on.
    pub async fn addresses(&self) -> Result<Vec<Multiaddr>, NodeError> {
        self.ask(Command::Addresses).await
    }

    /// Connects to `addr`; answers the peer that answered.
    pub async fn dial(&self, addr: Multiaddr) -> Result<PeerId, NodeError> {
        self.ask(|tx| Command::Dial(addr, tx)).await?
    }

    /// Dials every bootstrap peer at once, then walks the DHT from them to fill the routing
    /// table. Answers each dial's outcome, in the order given; it fails only if none connected.
    pub async fn bootstrap(
        &self,
        addrs: Vec<Multiaddr>,
    ) -> Result<Vec<Result<PeerId, NodeError>>, NodeError> {
        let dialed = future::join_all(addrs.into_iter().map(|addr| self.dial(addr))).await;
        if !dialed.iter().any(Result::is_ok) {
            return Err(dialed.into_iter().find_map(Result::err).unwrap_or(NodeError::NoPeers));
        }
        self.ask(Command::Bootstrap).await?;
        Ok(dialed)
    }

    /// Fetches the body with `hash` from `peer`, checked against the hash.
    pub async fn fetch(&self, peer: PeerId, hash: Digest) -> Result<Vec<u8>, NodeError> {
        self.fetch_best(vec![peer], hash).await.map(|(_, body)| body)
    }

    /// Fetches the body with `hash` from the best of `peers` by reputation, trying the next
    /// when one fails; answers who served it. Every attempt teaches the reputation.
    pub async fn fetch_best(&self, peers: Vec<PeerId>, hash: Digest) -> Result<(PeerId, Vec<u8>), NodeError> {
        Ok(self.ask(|tx| Command::Fetch(peers, hash, tx)).await??)
    }

    /// Fetches the body with `hash` from whoever provides it (this node first, if it holds
    /// it; then the DHT's providers, or else the connected peers), and keeps it. Answers who
    /// served it (`None`: this node).
    pub async fn fetch_any(&self, hash: Digest) -> Result<(Option<PeerId>, Vec<u8>), NodeError> {
        if let Some(body) = self.ask(|tx| Command::Body(hash, tx)).await?? {
            return Ok((None, body));
        }
        let (peer, body) = self.fetch_provided(hash).await?;
        self.put_body(body.clone()).await?;
        Ok((Some(peer), body))
    }

    /// Fetches the body with `hash` from the DHT's providers, or else the connected peers,
    /// without keeping it.
    pub async fn fetch_provided(&self, hash: Digest) -> Result<(PeerId, Vec<u8>), NodeError> {
        let mut providers = self.providers(hash).await?;
        if providers.is_empty() {
            // The DHT named no one (or could not be asked yet: just after joining, before
            // identify has told this node who serves it). The peers it is connected to, its
            // relay above all, may hold the body; a peer that does not says so, unblamed.
            providers = self.peers().await?.into_iter().map(|p| p.peer_id).collect();
        }
        self.fetch_best(providers, hash).await
    }

    /// Whether this node keeps the body with `hash`.
    pub async fn has_body(&self, hash: Digest) -> Result<bool, NodeError> {
        Ok(self.ask(|tx| Command::Body(hash, tx)).await??.is_some())
    }

    /// The peers the DHT lists as holding the body with `hash` (through the lookup cache).
    pub async fn providers(&self, hash: Digest) -> Result<Vec<PeerId>, NodeError> {
        self.ask(|tx| Command::Providers(hash, tx)).await?
    }

    /// What this node has learned of `peer` from fetching and syncing.
    pub async fn reputation(&self, peer: PeerId) -> Result<PeerRecord, NodeError> {
        self.ask(|tx| Command::Reputation(peer, tx)).await
    }

    /// Publishes a signed record with its body: checks it against the registry rules, keeps
    /// and serves the body, puts the record in the DHT under the pack's name and this node
    /// as a provider of the body, and announces it. Answers how many peers took the record
    /// into the DHT (0 with no peers yet: the pack is still published here, and syncs out).
    pub async fn publish(&self, record: PackRecord, body: Vec<u8>) -> Result<usize, NodeError> {
        self.ask(|tx| Command::Publish(Box::new(record), body, tx)).await?
    }

    /// The newest record the DHT holds for `name` (through the lookup cache), checked:
    /// signature, rules, name, and the name's owner as this node's index knows it.
    pub async fn lookup(&self, name: &str) -> Result<PackRecord, NodeError> {
        self.ask(|tx| Command::Lookup(name.to_owned(), tx)).await?
    }

    /// Searches the local index; a query that is a pack name the index lacks is looked up
    /// in the DHT instead.
    pub async fn search(&self, request: SearchRequest) -> Result<SearchPage, NodeError> {
        let started = Instant::now();
        let page = self.read(move |index| local_search(index, &request)).await?;
        let page = match page {
            Err(name) => match self.lookup(&name).await {
                Ok(record) => SearchPage { total: 1, packs: vec![record.pack], from_network: true },
                Err(NodeError::NotFound(_)) => SearchPage::default(),
                Err(e) => return Err(e),
            },
            Ok(page) => page,
        };
        self.observe(Metric::Search, started).await?;
        Ok(page)
    }

    /// Installs `name` at `requirement` (cargo syntax): resolves on the local index, checks
    /// every version taken against its publisher's signature ([`Claimed`]: whoever served
    /// the index, it decides no bytes), then fetches every pack's body from
    /// its best providers, several at once, each checked against the signed hash and its own
    /// manifest against the signed record, and kept. `progress` hears each finished fetch.
    ///
    /// `locked` is the lockfile of an earlier install (empty for none): each package it
    /// lists is taken at its locked version, and must have the locked checksum and
    /// publisher, whatever the index now says.
    pub async fn install(
        &self,
        name: &str,
        requirement: &str,
        locked: &[LockedPackage],
        progress: impl Fn(Progress),
    ) -> Result<Installed, NodeError> {
        self.install_with(&Linked, name, requirement, locked, progress).await
    }

    /// [`NodeHandle::install`] with the resolution and the body check `packs` runs.
    pub async fn install_with(
        &self,
        packs: &impl Packs,
        name: &str,
        requirement: &str,
        locked: &[LockedPackage],
        progress: impl Fn(Progress),
    ) -> Result<Installed, NodeError> {
        let started = Instant::now();
        let resolution = self.resolve_with(packs, name, requirement, locked).await?;
        let locked = locked.to_vec();
        let (resolution, records) = self
            .read(move |index| records_of(index, &resolution, &locked).map(|records| (resolution, records)))
            .await??;
        let so_far = &std::cell::Cell::new(Progress { total: records.len(), ..Progress::default() });
        let progress = &progress;
        let bodies = futures::stream::iter(records)
            .map(|claimed: Claimed| async move {
                let (name, version) = (claimed.pack().name.clone(), claimed.pack().version.to_string());
                let unverified =
                    |reason| NodeError::Unverified { name: name.clone(), version: version.clone(), reason };
                let hash =
                    claimed.pack().content_hash.ok_or(RecordError::MissingContentHash).map_err(unverified)?;
                // The signature is checked while the body is on its way (fetching by hash
                // keeps nothing that is not those bytes); nothing is used before both are in.
                let (fetched, verified) =
                    future::join(self.fetch_any(hash), async { claimed.clone().verify() }).await;
                let pack = verified.map_err(unverified)?.pack;
                let (peer, body) = fetched?;
                packs.check_body(&pack, &body).map_err(|reason| NodeError::BodyMismatch {
                    name: pack.name.clone(),
                    version: pack.version.to_string(),
                    peer: peer.map_or_else(|| "this node".into(), |p| p.to_string()),
                    reason,
                })?;
                let now = so_far.get();
                so_far.set(Progress { done: now.done + 1, bytes: now.bytes + body.len(), ..now });
                progress(so_far.get());
                Ok::<_, NodeError>((pack, body))
            })
            .buffered(PARALLEL_FETCHES)
            .collect::<Vec<_>>()
            .await
            .into_iter()
            .collect::<Result<Vec<_>, _>>()?;
        self.observe(Metric::Install, started).await?;
        Ok(Installed { resolution, packs: bodies })
    }

    /// What installing `name` at `requirement` would take, resolved by `packs` over the
    /// versions of the local index `name` can reach, each package `locked` names preferred
    /// at its locked version.
    pub async fn resolve_with(
        &self,
        packs: &impl Packs,
        name: &str,
        requirement: &str,
        locked: &[LockedPackage],
    ) -> Result<Resolution, NodeError> {
        let req = parse_requirement(requirement)?;
        let registry = self.registry(name, locked).await?;
        packs.resolve(&registry, name, &req)
    }

    /// The versions of the local index a resolution of `name` can reach, each package
    /// `locked` names preferred at its locked version.
    async fn registry(&self, name: &str, locked: &[LockedPackage]) -> Result<MemoryRegistry, NodeError> {
        let unreadable = |e: &dyn std::fmt::Display| NodeError::Unreadable(e.to_string());
        let pins = locked
            .iter()
            .map(|pin| Ok((pin.name.clone(), pin.version.parse().map_err(|e| unreadable(&e))?)))
            .collect::<Result<Vec<(String, semver::Version)>, NodeError>>()?;
        let name = name.to_owned();
        self.read(move |index| {
            let mut registry = MemoryRegistry::reachable(index, &name).map_err(|e| unreadable(&e))?;
            for (name, version) in &pins {
                registry.prefer(name, version);
            }
            Ok(registry)
        })
        .await?
    }

    /// Runs `f` on the node's current index (the catalog, kept up to date).
    pub async fn read<R: Send + 'static>(
        &self,
        f: impl FnOnce(&Index) -> R + Send + 'static,
    ) -> Result<R, NodeError> {
        let (tx, rx) = oneshot::channel();
        let read = Box::new(move |index: &Index| drop(tx.send(f(index))));
        self.send(Command::Read(read)).await?;
        rx.await.map_err(|_| NodeError::Stopped)
    }

    /// The peers connected now, with what this node has learned of each.
    pub async fn peers(&self) -> Result<Vec<PeerInfo>, NodeError> {
        self.ask(Command::Peers).await
    }

    /// The last head this node took from `peer`, to keep across runs.
    pub async fn last_head(&self, peer: PeerId) -> Result<Option<SignedHead>, NodeError> {
        self.ask(|tx| Command::LastHead(peer, tx)).await
    }

    /// A head taken from `peer` in an earlier run: its next head must not contradict it.
    pub async fn remember_head(&self, peer: PeerId, head: SignedHead) -> Result<(), NodeError> {
        self.send(Command::RememberHead(peer, Box::new(head))).await
    }

    /// The peers caught contradicting a head they signed before (a rollback, a rewrite),
    /// each with the two signed heads: evidence anyone can check against the peer's key.
    pub async fn evidence(&self) -> Result<Vec<(PeerId, HeadError)>, NodeError> {
        self.ask(Command::Evidence).await
    }

    pub async fn stats(&self) -> Result<Stats, NodeError> {
        self.ask(Command::Stats).await
    }

    /// Counts one `metric` that took from `started` until now.
    pub async fn observe(&self, metric: Metric, started: Instant) -> Result<(), NodeError> {
        self.send(Command::Observe(metric, started.elapsed())).await
    }

    /// Events from now on, until the receiver is dropped. A receiver that falls
    /// [`MAX_QUEUED_EVENTS`] behind misses events (counted in [`Stats::events_dropped`]):
    /// a slow subscriber never makes the node hold more.
    pub async fn events(&self) -> Result<mpsc::Receiver<NodeEvent>, NodeError> {
        let (tx, rx) = mpsc::channel(MAX_QUEUED_EVENTS);
        self.send(Command::Subscribe(tx)).await?;
        Ok(rx)
    }

    /// Keeps `body` to serve it; answers its content hash.
    pub async fn put_body(&self, body: Vec<u8>) -> Result<Digest, NodeError> {
        self.ask(|tx| Command::PutBody(body, tx)).await?
    }

    pub(crate) async fn send(&self, command: Command) -> Result<(), NodeError> {
        self.commands.clone().send(command).await.map_err(|_| NodeError::Stopped)
    }

    pub(crate) async fn ask<T>(
        &self,
        command: impl FnOnce(oneshot::Sender<T>) -> Command,
    ) -> Result<T, NodeError> {
        let (tx, rx) = oneshot::channel();
        self.send(command(tx)).await?;
        rx.await.map_err(|_| NodeError::Stopped)
    }
}

/// Whether a verified version is the one a lockfile pinned: the same body, the same key.
fn check_pin(pin: &LockedPackage, pack: &PackVersion) -> Result<(), NodeError> {
    let fields = [
        ("checksum", &pin.checksum, pack.content_hash.as_ref().map(to_hex)),
        ("publisher", &pin.publisher, pack.publisher.as_ref().map(to_hex)),
    ];
    for (field, locked, found) in fields {
        if let Some(locked) = locked
            && found.as_ref() != Some(locked)
        {
            return Err(NodeError::Locked {
                name: pin.name.clone(),
                version: pin.version.clone(),
                field,
                locked: locked.clone(),
                found: found.unwrap_or_default(),
            });
        }
    }
    Ok(())
}

/// A page from the local index, or the name to look up in the DHT when the index has no
/// match and the query is a valid pack name.
fn local_search(index: &Index, request: &SearchRequest) -> Result<SearchPage, String> {
    let query = Query {
        text: &request.text,
        filters: Filters {
            tag: request.tag.as_deref(),
            category: request.category.as_deref(),
            author: request.author.as_deref(),
            license: request.license.as_deref(),
        },
        sort: request.sort,
        offset: request.offset,
        limit: if request.limit == 0 { Query::new("").limit } else { request.limit },
    };
    let results = souk_core::search::search(index, &query);
    let text = request.text.trim();
    if results.total == 0 && check_name(text).is_ok() {
        return Err(text.to_owned());
    }
    let packs = results.hits.iter().filter_map(|hit| index.get(hit.record).to_version().ok()).collect();
    Ok(SearchPage { total: results.total, packs, from_network: false })
}

/// A requirement as cargo writes one.
fn parse_requirement(requirement: &str) -> Result<semver::VersionReq, NodeError> {
    requirement.parse().map_err(|e: semver::Error| NodeError::Requirement {
        requirement: requirement.to_owned(),
        reason: e.to_string(),
    })
}

/// The record every version `resolution` takes claims to be, as the index holds it, checked
/// here but for its signature (checked while its body is fetched), and against the pin
/// `locked` has for it. A record's name passed the name rule, so it is a plain folder name.
fn records_of(
    index: &Index,
    resolution: &Resolution,
    locked: &[LockedPackage],
) -> Result<Vec<Claimed>, NodeError> {
    resolution
        .packages
        .keys()
        .map(|id| {
            let version = id.version.to_string();
            let record = index.versions_of(&id.name).find(|&r| index.get(r).version() == version);
            let record =
                record.ok_or_else(|| NodeError::Unreadable(format!("{id} is missing from the index")))?;
            let claimed = Claimed::from_row(index, index.get(record)).map_err(|reason| {
                NodeError::Unverified { name: id.name.clone(), version: version.clone(), reason }
            })?;
            match locked.iter().find(|p| p.name == id.name && p.version == version) {
                Some(pin) => check_pin(pin, claimed.pack()).map(|()| claimed),
                None => Ok(claimed),
            }
        })
        .collect()
}
