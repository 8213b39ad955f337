//! The tab as a full peer (`SoukPeer`): thin bindings over the node, with the data types
//! in `types`, the events in `events` and the way in in `join`.

use std::cell::RefCell;
use std::rc::Rc;

use futures::FutureExt;
use indexed_db_futures::database::Database;
use js_sys::{Array, Reflect, Uint8Array};
use libp2p::identity::Keypair;
use libp2p::multiaddr::Protocol;
use libp2p::{Multiaddr, PeerId};
use souk_core::PackVersion;
use souk_core::body;
use souk_core::lockfile::LockedPackage;
use souk_core::name::eq_folded;
use souk_core::pack::{from_hex, to_hex};
use souk_core::record::PackRecord;
use souk_net::browser::browser_swarm;
use souk_net::client::{self, Transport};
use souk_net::{Node, NodeHandle, Progress};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::{future_to_promise, spawn_local};

mod events;
mod join;
mod packs;
mod types;

use events::{Listeners, SoukEvent, emit};
use join::{Joining, identity, join, resync};
use packs::Loader;
use types::{
    Caught, ConnectedPeer, Files, InstalledFiles, InstalledPack, Listener, PackFile, Page, PeerSearchOptions,
    Published, Reputation, SearchOptions, Start, StartOptions, Stats, Summary,
};

use crate::idb::{self, IdbStore};
use crate::js_value;

/// The database a peer uses unless told otherwise.
const DEFAULT_DATABASE: &str = "souk";
pub(crate) struct Inner {
    handle: NodeHandle,
    db: Database,
    key: Keypair,
    joining: RefCell<Option<Joining>>,
    listeners: Listeners,
    packs: Loader,
}

/// A Souk peer in this tab.
#[wasm_bindgen]
pub struct SoukPeer {
    inner: Rc<Inner>,
}

impl std::fmt::Debug for SoukPeer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SoukPeer").field("id", &self.inner.handle.peer_id()).finish_non_exhaustive()
    }
}

fn error(e: impl std::fmt::Display) -> JsValue {
    JsError::new(&e.to_string()).into()
}

/// What a JavaScript error (or a thrown string) says.
fn js_message(e: &JsValue) -> String {
    let message = Reflect::get(e, &"message".into()).ok().and_then(|m| m.as_string());
    message.or_else(|| e.as_string()).unwrap_or_else(|| format!("{e:?}"))
}

#[wasm_bindgen]
impl SoukPeer {
    /// Starts the peer from what IndexedDB holds (its identity, index, bodies and installed
    /// packs: search works at once, offline too), then joins the network through
    /// `bootstrap` in the background; `connected()` waits for that.
    pub async fn start(options: Option<StartOptions>) -> Result<SoukPeer, JsError> {
        let options: Start = match options {
            Some(o) if !o.is_undefined() && !o.is_null() => serde_wasm_bindgen::from_value(o.into())?,
            _ => Start::default(),
        };
        let db = idb::open(options.database.as_deref().unwrap_or(DEFAULT_DATABASE)).await?;
        let key = identity(&db).await?;
        let store = IdbStore::load(&db).await?;
        let webrtc = souk_net::browser::WebRtcConfig {
            enabled: options.direct.unwrap_or(true),
            ice_servers: options.ice_servers,
        };
        let swarm = browser_swarm(key.clone(), webrtc)
            .map_err(|e| JsError::new(&format!("cannot start libp2p: {e}")))?;
        let (node, handle) = Node::new(swarm, store)?;
        spawn_local(node.run());
        let listeners = Rc::new(RefCell::new(Vec::new()));
        spawn_local(events::forward(handle.events().await?, listeners.clone()));
        let packs = Loader::new(options.packs);
        let inner = Rc::new(Inner { handle, db, key, joining: RefCell::new(None), listeners, packs });
        if let Some(bootstrap) = options.bootstrap {
            let joining = join(inner.handle.clone(), bootstrap).boxed_local().shared();
            // Joining goes on whether or not anyone waits for it, then keeps the index fresh.
            spawn_local(resync(Rc::downgrade(&inner), joining.clone()));
            *inner.joining.borrow_mut() = Some(joining);
        }
        Ok(SoukPeer { inner })
    }

    /// This peer's id (the same across reloads: the key lives in IndexedDB).
    #[wasm_bindgen(getter)]
    pub fn id(&self) -> String {
        self.inner.handle.peer_id().to_string()
    }

    /// Waits until the peer has joined the network: connected to a relay, synced its
    /// index, and holding a reservation there.
    #[wasm_bindgen(unchecked_return_type = "Promise<Connection>")]
    pub fn connected(&self) -> js_sys::Promise {
        let joining = self.inner.joining.borrow().clone();
        future_to_promise(async move {
            let joining = joining.ok_or_else(|| error("the peer was started without a bootstrap"))?;
            let connection = joining.await.map_err(error)?;
            js_value(&connection).map_err(error)
        })
    }

    /// Searches the index this tab holds (a pack name it lacks is looked up in the DHT).
    #[wasm_bindgen(unchecked_return_type = "Promise<PeerSearchResults>")]
    pub fn search(&self, query: String, options: Option<PeerSearchOptions>) -> js_sys::Promise {
        let handle = self.inner.handle.clone();
        let options = options.map(JsValue::from);
        future_to_promise(async move {
            let options: SearchOptions = match options {
                Some(o) if !o.is_undefined() && !o.is_null() => serde_wasm_bindgen::from_value(o)?,
                _ => SearchOptions::default(),
            };
            let request = options.request(query).map_err(error)?;
            let page = handle.search(request).await.map_err(error)?;
            let page = Page {
                total: page.total,
                hits: page.packs.iter().map(Summary::of).collect(),
                from_network: page.from_network,
            };
            js_value(&page).map_err(error)
        })
    }

    /// Every version of `name` this tab knows, newest first, each marked if yanked.
    #[wasm_bindgen(unchecked_return_type = "Promise<PackSummary[]>")]
    pub fn info(&self, name: String) -> js_sys::Promise {
        let handle = self.inner.handle.clone();
        future_to_promise(async move {
            let versions = handle
                .read(move |index| {
                    let owners = souk_core::record::Owners::of(index, &name);
                    let mut versions: Vec<_> = index
                        .versions_of(&name)
                        .filter_map(|r| index.get(r).to_version().ok())
                        .map(|v| {
                            let mut summary = Summary::of(&v);
                            summary.yanked = owners.is_yanked(&v.version);
                            summary
                        })
                        .collect();
                    versions.reverse();
                    versions
                })
                .await
                .map_err(error)?;
            js_value(&versions).map_err(error)
        })
    }

    /// The peers caught contradicting a head they signed before (a rollback, a rewrite).
    #[wasm_bindgen(unchecked_return_type = "Promise<Caught[]>")]
    pub fn evidence(&self) -> js_sys::Promise {
        let handle = self.inner.handle.clone();
        future_to_promise(async move {
            let caught = handle.evidence().await.map_err(error)?;
            let caught: Vec<Caught> = caught
                .iter()
                .map(|(peer, e)| Caught { peer: peer.to_string(), what: e.to_string() })
                .collect();
            js_value(&caught).map_err(error)
        })
    }

    /// The popular pack `name` is one edit from, when `name` is not popular itself: the pack
    /// page warns that it may be a lookalike.
    #[wasm_bindgen(unchecked_return_type = "Promise<string | undefined>")]
    pub fn lookalike(&self, name: String) -> js_sys::Promise {
        let handle = self.inner.handle.clone();
        future_to_promise(async move {
            let popular = handle
                .read(move |index| index.popular_lookalike(&name).map(|p| p.name().to_owned()))
                .await
                .map_err(error)?;
            Ok(popular.map_or(JsValue::UNDEFINED, JsValue::from))
        })
    }

    /// Resolves `name` at `requirement` (cargo syntax) on this tab's index (with the pack
    /// module, loaded now if it was not).
    #[wasm_bindgen(unchecked_return_type = "Promise<LockedPackage[]>")]
    pub fn resolve(&self, name: String, requirement: String) -> js_sys::Promise {
        let inner = self.inner.clone();
        future_to_promise(async move {
            let packs = inner.packs.get().await.map_err(error)?;
            let resolution =
                inner.handle.resolve_with(&packs, &name, &requirement, &[]).await.map_err(error)?;
            js_value(&LockedPackage::all(&resolution)).map_err(error)
        })
    }

    /// Resolves, fetches every body from the best providers (several at once, each checked
    /// against its hash), keeps them, and answers the lockfile and the files. `progress`
    /// events follow the fetches.
    #[wasm_bindgen(unchecked_return_type = "Promise<InstalledPack>")]
    pub fn install(&self, name: String, requirement: Option<String>) -> js_sys::Promise {
        let inner = self.inner.clone();
        future_to_promise(async move {
            let requirement = requirement.unwrap_or_else(|| "*".into());
            let progress = |p: Progress| {
                emit(
                    &inner.listeners,
                    &SoukEvent::Progress { name: &name, done: p.done, total: p.total, bytes: p.bytes },
                );
            };
            let packs = inner.packs.get().await.map_err(error)?;
            let installed =
                inner.handle.install_with(&packs, &name, &requirement, &[], progress).await.map_err(error)?;
            let root = installed.resolution.packages.keys().find(|id| id.name == name);
            let packs = installed.packs.iter().map(|(pack, body)| {
                Ok(InstalledFiles {
                    name: pack.name.clone(),
                    version: pack.version.to_string(),
                    files: files(body)?,
                })
            });
            let out = InstalledPack {
                name: name.clone(),
                version: root.map(|id| id.version.to_string()).unwrap_or_default(),
                lockfile: installed.lockfile(),
                packs: packs.collect::<Result<_, JsValue>>()?,
            };
            let out = js_value(&out).map_err(error)?;
            idb::put(&inner.db, idb::INSTALLED, &name, &out).await.map_err(error)?;
            Ok(out)
        })
    }

    /// The packs installed in this tab, as `install` answered them.
    #[wasm_bindgen(unchecked_return_type = "Promise<InstalledPack[]>")]
    pub fn installed(&self) -> js_sys::Promise {
        let inner = self.inner.clone();
        future_to_promise(async move {
            let all = idb::all(&inner.db, idb::INSTALLED).await.map_err(error)?;
            Ok(all.into_iter().collect::<Array>().into())
        })
    }

    /// Publishes a pack: `manifest` is its `souk.toml`, `files` the template files by path.
    /// Validates it, signs it with this tab's key, keeps and serves the body, and announces
    /// it.
    #[wasm_bindgen(unchecked_return_type = "Promise<Published>")]
    pub fn publish(&self, manifest: String, files: Files) -> js_sys::Promise {
        let inner = self.inner.clone();
        let files: JsValue = files.into();
        future_to_promise(async move {
            let packs = inner.packs.get().await.map_err(error)?;
            let now = (js_sys::Date::now() / 1000.0).floor();
            let made = packs.pack_files(&manifest, &files, now)?;
            let version: PackVersion =
                serde_wasm_bindgen::from_value(Reflect::get(&made, &"version".into())?)?;
            let body = Uint8Array::new(&Reflect::get(&made, &"body".into())?).to_vec();
            // Signed here, so checked here: the other module is the page's to load.
            if version.content_hash != Some(body::content_hash(&body)) {
                return Err(error("the pack module's body does not match its content hash"));
            }
            let secret = client::signing_secret(&inner.key).map_err(error)?;
            let record = PackRecord::sign(version, &secret).map_err(error)?;
            let peers = inner.handle.publish(record.clone(), body).await.map_err(error)?;
            let published = Published {
                name: record.pack.name.clone(),
                version: record.pack.version.to_string(),
                content_hash: record.pack.content_hash.map(|h| to_hex(&h)).unwrap_or_default(),
                peers,
            };
            js_value(&published).map_err(error)
        })
    }

    /// Fetches the body with `contentHash` (hex): from `from` (a peer id, reached directly
    /// over WebRTC set up through this tab's relay, or through its circuit) when given, or
    /// else from whoever provides it. Checked against the hash.
    #[wasm_bindgen(unchecked_return_type = "Promise<Uint8Array>")]
    pub fn fetch(&self, content_hash: String, from: Option<String>) -> js_sys::Promise {
        let inner = self.inner.clone();
        let joining = inner.joining.borrow().clone();
        future_to_promise(async move {
            let hash = from_hex(&content_hash).ok_or_else(|| error("a content hash is 64 hex digits"))?;
            let body = match from {
                None => inner.handle.fetch_any(hash).await.map_err(error)?.1,
                Some(peer) => {
                    let peer: PeerId = peer.parse().map_err(|e| error(format!("not a peer id: {e}")))?;
                    let joining = joining.ok_or_else(|| error("the peer was started without a bootstrap"))?;
                    let relay: Multiaddr = joining.await.map_err(error)?.relay.parse().map_err(error)?;
                    // A tab not yet connected: directly if it takes WebRTC, else through the
                    // relay. One connected already (the relay may be gone) is asked there.
                    let connected =
                        inner.handle.peers().await.map_err(error)?.iter().any(|p| p.peer_id == peer);
                    let circuit = relay.with(Protocol::P2pCircuit);
                    let direct = circuit.clone().with(Protocol::WebRTC).with(Protocol::P2p(peer));
                    if !connected && inner.handle.dial(direct).await.is_err() {
                        inner.handle.dial(circuit.with(Protocol::P2p(peer))).await.map_err(error)?;
                    }
                    inner.handle.fetch(peer, hash).await.map_err(error)?
                }
            };
            Ok(Uint8Array::from(body.as_slice()).into())
        })
    }

    /// The peers the DHT lists as holding the body with `contentHash` (hex).
    #[wasm_bindgen(unchecked_return_type = "Promise<string[]>")]
    pub fn providers(&self, content_hash: String) -> js_sys::Promise {
        let handle = self.inner.handle.clone();
        future_to_promise(async move {
            let hash = from_hex(&content_hash).ok_or_else(|| error("a content hash is 64 hex digits"))?;
            let peers = handle.providers(hash).await.map_err(error)?;
            Ok(peers.iter().map(|p| JsValue::from(p.to_string())).collect::<Array>().into())
        })
    }

    /// The files of the body with `contentHash` (hex), fetched from whoever holds it and
    /// checked (a pack page shows its readme from here).
    #[wasm_bindgen(unchecked_return_type = "Promise<PackFile[]>")]
    pub fn files(&self, content_hash: String) -> js_sys::Promise {
        let handle = self.inner.handle.clone();
        future_to_promise(async move {
            let hash = from_hex(&content_hash).ok_or_else(|| error("a content hash is 64 hex digits"))?;
            let (_, body) = handle.fetch_any(hash).await.map_err(error)?;
            js_value(&files(&body)?).map_err(error)
        })
    }

    /// The packs whose newest version depends on `name`.
    #[wasm_bindgen(unchecked_return_type = "Promise<PackSummary[]>")]
    pub fn dependents(&self, name: String) -> js_sys::Promise {
        let handle = self.inner.handle.clone();
        future_to_promise(async move {
            let dependents = handle
                .read(move |index| {
                    let depends =
                        |p: &souk_core::PackRef<'_>| p.dependencies().any(|(d, _)| eq_folded(d, &name));
                    index
                        .iter()
                        .filter(|p| index.is_latest(p.record()) && depends(p))
                        .filter_map(|p| p.to_version().ok())
                        .map(|v| Summary::of(&v))
                        .collect::<Vec<_>>()
                })
                .await
                .map_err(error)?;
            js_value(&dependents).map_err(error)
        })
    }

    /// What this peer has learned of `peer` (a peer id) from fetching from it.
    #[wasm_bindgen(unchecked_return_type = "Promise<PeerReputation>")]
    pub fn reputation(&self, peer: String) -> js_sys::Promise {
        let handle = self.inner.handle.clone();
        future_to_promise(async move {
            let peer: PeerId = peer.parse().map_err(|e| error(format!("not a peer id: {e}")))?;
            js_value(&Reputation::from(&handle.reputation(peer).await.map_err(error)?)).map_err(error)
        })
    }

    /// The peers connected now: where, over which transport, the last ping, reputation.
    #[wasm_bindgen(unchecked_return_type = "Promise<ConnectedPeer[]>")]
    pub fn peers(&self) -> js_sys::Promise {
        let handle = self.inner.handle.clone();
        future_to_promise(async move {
            let peers = handle.peers().await.map_err(error)?;
            let peers: Vec<ConnectedPeer> = peers
                .iter()
                .map(|peer| ConnectedPeer {
                    id: peer.peer_id.to_string(),
                    address: peer.address.to_string(),
                    transport: transport_name(&peer.address),
                    rtt_ms: peer.rtt.map(|d| d.as_secs_f64() * 1000.0),
                    reputation: Reputation::from(&peer.reputation),
                })
                .collect();
            js_value(&peers).map_err(error)
        })
    }

    #[wasm_bindgen(unchecked_return_type = "Promise<PeerStats>")]
    pub fn stats(&self) -> js_sys::Promise {
        let handle = self.inner.handle.clone();
        future_to_promise(async move {
            let stats = handle.stats().await.map_err(error)?;
            let stats = Stats {
                peers: stats.peers,
                packs: stats.packs,
                searches: stats.searches.count,
                lookups: stats.lookups.count,
                installs: stats.installs.count,
                refused: stats.refused_total(),
                cache_hit_rate: stats.cache.hit_rate(),
                direct_refused: stats.direct_refused.into_iter().collect(),
            };
            js_value(&stats).map_err(error)
        })
    }

    /// Calls `listener` with every event from now on.
    pub fn on(&self, listener: Listener) {
        self.inner.listeners.borrow_mut().push(listener.unchecked_into());
    }
}

/// A body's files, for JavaScript.
fn files(body: &[u8]) -> Result<Vec<PackFile>, JsValue> {
    let files = body::decode(body).map_err(error)?;
    Ok(files.into_iter().map(|f| PackFile { path: f.path, contents: f.contents }).collect())
}

/// The transport an address uses, as people name it.
fn transport_name(addr: &Multiaddr) -> &'static str {
    if client::is_webrtc(addr) {
        return "WebRTC (direct)";
    }
    if addr.iter().any(|p| p == Protocol::P2pCircuit) {
        return "circuit relay";
    }
    Transport::of(addr).name()
}
