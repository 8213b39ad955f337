//! [`SoukPeer`]: the tab as a full Souk peer. Its node runs on the page's event loop, keeps
//! everything in IndexedDB, reaches relays over WebRTC-direct (WebSocket where WebRTC
//! fails) and takes a reservation on its relay so other peers can reach it.

use std::cell::RefCell;
use std::rc::Rc;

use futures::FutureExt;
use futures::StreamExt;
use futures::future::{LocalBoxFuture, Shared};
use indexed_db_futures::database::Database;
use js_sys::{Array, Function, Object, Reflect, Uint8Array};
use libp2p::identity::Keypair;
use libp2p::multiaddr::Protocol;
use libp2p::{Multiaddr, PeerId};
use serde::Serialize;
use souk_core::body::{self, PackFile};
use souk_core::name::eq_folded;
use souk_core::pack::{from_hex, to_hex};
use souk_core::record::PackRecord;
use souk_core::search::Sort;
use souk_net::browser::browser_swarm;
use souk_net::client::{Dialer, Transport, dial_order};
use souk_net::{Node, NodeEvent, NodeHandle, Progress, SearchRequest};
use souk_pack::{LocalPack, MANIFEST_FILE};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::{JsFuture, future_to_promise, spawn_local};

use crate::idb::{self, IdbStore};
use souk_core::lockfile::LockedPackage;

use crate::js_value;

/// The database a peer uses unless told otherwise.
const DEFAULT_DATABASE: &str = "souk";
/// How often a joined tab asks its relay for the records it has not heard of: gossip is
/// the fast path, this catches whatever gossip missed (a closed stream, a late mesh).
const RESYNC: std::time::Duration = std::time::Duration::from_secs(5);

#[wasm_bindgen(typescript_custom_section)]
const TS_PEER_TYPES: &str = r#"
export interface StartOptions {
  /** A relay's `/bootstrap` URL, or multiaddrs to dial (WebRTC-direct first, then WebSocket). */
  bootstrap?: string | string[];
  /** The IndexedDB database holding this peer (default "souk"); one per identity. */
  database?: string;
}
export interface PeerSearchOptions {
  limit?: number; offset?: number; tag?: string; category?: string; author?: string;
  license?: string; sort?: "relevance" | "downloads" | "stars" | "newest";
}
export interface PackSummary {
  name: string; version: string; description: string; tags: string[]; category: string;
  license: string; authors: string[]; homepage: string;
  dependencies: { name: string; req: string }[];
  downloads: number; stars: number; published: number;
  publisher: string | null; contentHash: string | null;
}
export interface PackFile { path: string; contents: Uint8Array }
export interface PeerReputation { successes: number; failures: number; latencyMs: number; score: number }
export interface ConnectedPeer {
  id: string; address: string; transport: string; rttMs: number | null; reputation: PeerReputation;
}
export interface PeerSearchResults { total: number; hits: PackSummary[]; fromNetwork: boolean }
export interface Connection { relay: string; address: string; circuit: string | null; synced: number }
export interface InstalledPack {
  name: string; version: string; lockfile: LockedPackage[];
  packs: { name: string; version: string; files: { path: string; contents: Uint8Array }[] }[];
}
export interface Published { name: string; version: string; contentHash: string; peers: number }
export interface PeerStats {
  peers: number; packs: number; searches: number; lookups: number; installs: number;
  refused: number; cacheHitRate: number;
}
export type SoukEvent =
  | { type: "connected"; peer: string } | { type: "disconnected"; peer: string }
  | { type: "announce"; name: string; version: string }
  | { type: "progress"; name: string; done: number; total: number; bytes: number };
"#;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(typescript_type = "StartOptions")]
    pub type StartOptions;
    #[wasm_bindgen(typescript_type = "PeerSearchOptions")]
    pub type PeerSearchOptions;
    #[wasm_bindgen(typescript_type = "Record<string, string | Uint8Array>")]
    pub type Files;
    #[wasm_bindgen(typescript_type = "(event: SoukEvent) => void")]
    pub type Listener;
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
struct Start {
    bootstrap: Option<Bootstrap>,
    database: Option<String>,
}

#[derive(Debug, serde::Deserialize)]
#[serde(untagged)]
enum Bootstrap {
    Url(String),
    Addrs(Vec<String>),
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
struct SearchOptions {
    limit: Option<usize>,
    offset: usize,
    tag: Option<String>,
    category: Option<String>,
    author: Option<String>,
    license: Option<String>,
    sort: Option<String>,
}

/// What a relay's `/bootstrap` answers.
#[derive(serde::Deserialize)]
struct RelayInfo {
    addrs: Vec<String>,
}

/// The outcome of joining the network, shared by everyone who waits for it.
type Joining = Shared<LocalBoxFuture<'static, Result<Connection, String>>>;

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
struct Connection {
    /// The relay's address, as dialed.
    relay: String,
    address: String,
    /// Where other peers reach this tab through the relay.
    circuit: Option<String>,
    /// Records new to this tab from the relay's index.
    synced: usize,
}

struct Inner {
    handle: NodeHandle,
    db: Database,
    key: Keypair,
    joining: RefCell<Option<Joining>>,
    listeners: Rc<RefCell<Vec<Function>>>,
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
        let swarm =
            browser_swarm(key.clone()).map_err(|e| JsError::new(&format!("cannot start libp2p: {e}")))?;
        let (node, handle) = Node::new(swarm, store)?;
        spawn_local(node.run());
        let listeners = Rc::new(RefCell::new(Vec::new()));
        spawn_local(forward_events(handle.events().await?, listeners.clone()));
        let inner = Rc::new(Inner { handle, db, key, joining: RefCell::new(None), listeners });
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
            let sort = match options.sort.as_deref() {
                None | Some("relevance") => Sort::Relevance,
                Some("downloads") => Sort::Downloads,
                Some("stars") => Sort::Stars,
                Some("newest") => Sort::Newest,
                Some(other) => return Err(error(format!("unknown sort `{other}`"))),
            };
            let request = SearchRequest {
                text: query,
                tag: options.tag,
                category: options.category,
                author: options.author,
                license: options.license,
                sort,
                offset: options.offset,
                limit: options.limit.unwrap_or(0),
            };
            let page = handle.search(request).await.map_err(error)?;
            #[derive(Serialize)]
            #[serde(rename_all = "camelCase")]
            struct Page {
                total: usize,
                hits: Vec<Summary>,
                from_network: bool,
            }
            let page = Page {
                total: page.total,
                hits: page.packs.iter().map(Summary::of).collect(),
                from_network: page.from_network,
            };
            js_value(&page).map_err(error)
        })
    }

    /// Every version of `name` this tab knows, newest first.
    #[wasm_bindgen(unchecked_return_type = "Promise<PackSummary[]>")]
    pub fn info(&self, name: String) -> js_sys::Promise {
        let handle = self.inner.handle.clone();
        future_to_promise(async move {
            let versions = handle
                .read(move |index| {
                    let mut versions: Vec<_> = index
                        .versions_of(&name)
                        .filter_map(|r| index.get(r).to_version().ok())
                        .map(|v| Summary::of(&v))
                        .collect();
                    versions.reverse();
                    versions
                })
                .await
                .map_err(error)?;
            js_value(&versions).map_err(error)
        })
    }

    /// Resolves `name` at `requirement` (cargo syntax) on this tab's index.
    #[wasm_bindgen(unchecked_return_type = "Promise<LockedPackage[]>")]
    pub fn resolve(&self, name: String, requirement: String) -> js_sys::Promise {
        let handle = self.inner.handle.clone();
        future_to_promise(async move {
            let req: semver::VersionReq = requirement
                .parse()
                .map_err(|e| error(format!("`{requirement}` is not a version requirement: {e}")))?;
            let resolution = handle
                .read(move |index| {
                    let registry = souk_core::resolve::MemoryRegistry::reachable(index, &name)
                        .map_err(|e| format!("the index is unreadable: {e}"))?;
                    souk_core::resolve::install(&registry, &name, req).map_err(|e| e.to_string())
                })
                .await
                .map_err(error)?
                .map_err(error)?;
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
                let event = Object::new();
                set(&event, "type", &"progress".into());
                set(&event, "name", &name.as_str().into());
                set(&event, "done", &(p.done as f64).into());
                set(&event, "total", &(p.total as f64).into());
                set(&event, "bytes", &(p.bytes as f64).into());
                emit(&inner.listeners, &event);
            };
            let installed = inner.handle.install(&name, &requirement, progress).await.map_err(error)?;
            let out = Object::new();
            let root = installed.resolution.packages.keys().find(|id| id.name == name);
            set(&out, "name", &name.as_str().into());
            set(&out, "version", &root.map(|id| id.version.to_string()).unwrap_or_default().into());
            set(&out, "lockfile", &js_value(&LockedPackage::all(&installed.resolution)).map_err(error)?);
            let packs = Array::new();
            for (pack, bytes) in &installed.packs {
                let p = Object::new();
                set(&p, "name", &pack.name.as_str().into());
                set(&p, "version", &pack.version.to_string().into());
                set(&p, "files", &files(bytes)?.into());
                packs.push(&p);
            }
            set(&out, "packs", &packs);
            idb::put(&inner.db, idb::INSTALLED, &name, &out).await.map_err(error)?;
            Ok(out.into())
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
            let mut pack_files =
                vec![PackFile { path: MANIFEST_FILE.into(), contents: manifest.into_bytes() }];
            for entry in
                Object::entries(&files.dyn_into::<Object>().map_err(|_| error("files must be an object"))?)
            {
                let entry: Array = entry.into();
                let path = entry.get(0).as_string().unwrap_or_default();
                let contents = entry.get(1);
                let contents = match contents.as_string() {
                    Some(text) => text.into_bytes(),
                    None if contents.is_instance_of::<Uint8Array>() => Uint8Array::new(&contents).to_vec(),
                    None => return Err(error(format!("{path}: a file is a string or a Uint8Array"))),
                };
                pack_files.push(PackFile { path, contents });
            }
            let now = (js_sys::Date::now() / 1000.0) as u64;
            let pack = LocalPack::from_files(pack_files, now).map_err(error)?;
            let record = PackRecord::sign(pack.version, &secret(&inner.key)?).map_err(error)?;
            let peers = inner.handle.publish(record.clone(), pack.body).await.map_err(error)?;
            let out = Object::new();
            set(&out, "name", &record.pack.name.as_str().into());
            set(&out, "version", &record.pack.version.to_string().into());
            set(
                &out,
                "contentHash",
                &record.pack.content_hash.map(|h| to_hex(&h)).unwrap_or_default().into(),
            );
            set(&out, "peers", &(peers as f64).into());
            Ok(out.into())
        })
    }

    /// Fetches the body with `contentHash` (hex): from `from` (a peer id, reached through
    /// this tab's relay) when given, or else from whoever provides it. Checked against the
    /// hash.
    #[wasm_bindgen(unchecked_return_type = "Promise<Uint8Array>")]
    pub fn fetch(&self, content_hash: String, from: Option<String>) -> js_sys::Promise {
        let inner = self.inner.clone();
        let joining = inner.joining.borrow().clone();
        future_to_promise(async move {
            let hash = from_hex(&content_hash).ok_or_else(|| error("a content hash is 64 hex digits"))?;
            let body = match from {
                None => inner.handle.fetch_any(hash).await.map_err(error)?,
                Some(peer) => {
                    let peer: PeerId = peer.parse().map_err(|e| error(format!("not a peer id: {e}")))?;
                    let joining = joining.ok_or_else(|| error("the peer was started without a bootstrap"))?;
                    let relay: Multiaddr = joining.await.map_err(error)?.relay.parse().map_err(error)?;
                    let circuit = relay.with(Protocol::P2pCircuit).with(Protocol::P2p(peer));
                    inner.handle.dial(circuit).await.map_err(error)?;
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
            let body = handle.fetch_any(hash).await.map_err(error)?;
            Ok(files(&body)?.into())
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
            Ok(reputation(&handle.reputation(peer).await.map_err(error)?))
        })
    }

    /// The peers connected now: where, over which transport, the last ping, reputation.
    #[wasm_bindgen(unchecked_return_type = "Promise<ConnectedPeer[]>")]
    pub fn peers(&self) -> js_sys::Promise {
        let handle = self.inner.handle.clone();
        future_to_promise(async move {
            let peers = handle.peers().await.map_err(error)?;
            let out = Array::new();
            for peer in peers {
                let p = Object::new();
                set(&p, "id", &peer.peer_id.to_string().into());
                set(&p, "address", &peer.address.to_string().into());
                set(&p, "transport", &transport_name(&peer.address).into());
                set(&p, "rttMs", &peer.rtt.map_or(JsValue::NULL, |d| (d.as_secs_f64() * 1000.0).into()));
                set(&p, "reputation", &reputation(&peer.reputation));
                out.push(&p);
            }
            Ok(out.into())
        })
    }

    #[wasm_bindgen(unchecked_return_type = "Promise<PeerStats>")]
    pub fn stats(&self) -> js_sys::Promise {
        let handle = self.inner.handle.clone();
        future_to_promise(async move {
            let stats = handle.stats().await.map_err(error)?;
            let out = Object::new();
            set(&out, "peers", &(stats.peers as f64).into());
            set(&out, "packs", &(stats.packs as f64).into());
            set(&out, "searches", &(stats.searches.count as f64).into());
            set(&out, "lookups", &(stats.lookups.count as f64).into());
            set(&out, "installs", &(stats.installs.count as f64).into());
            set(&out, "refused", &(stats.refused as f64).into());
            set(&out, "cacheHitRate", &stats.cache.hit_rate().into());
            Ok(out.into())
        })
    }

    /// Calls `listener` with every event from now on.
    pub fn on(&self, listener: Listener) {
        self.inner.listeners.borrow_mut().push(listener.unchecked_into());
    }
}

/// Once joined, syncs from the relay every [`RESYNC`] (only the records after the last
/// sync travel) until the peer is dropped.
async fn resync(inner: std::rc::Weak<Inner>, joining: Joining) {
    let Ok(connection) = joining.await else { return };
    let Some(Protocol::P2p(relay)) = connection.relay.parse::<Multiaddr>().ok().and_then(|mut a| a.pop())
    else {
        return;
    };
    loop {
        futures_timer::Delay::new(RESYNC).await;
        let Some(inner) = inner.upgrade() else { return };
        // A failed sync (the relay away for a while) is tried again next time.
        let _ = inner.handle.sync_index(relay).await;
    }
}

/// A pack version as results and pack pages show it.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Summary {
    name: String,
    version: String,
    description: String,
    tags: Vec<String>,
    category: String,
    license: String,
    authors: Vec<String>,
    homepage: String,
    dependencies: Vec<Requirement>,
    downloads: u64,
    stars: u32,
    published: u64,
    publisher: Option<String>,
    content_hash: Option<String>,
}

#[derive(Serialize)]
struct Requirement {
    name: String,
    req: String,
}

impl Summary {
    fn of(p: &souk_core::PackVersion) -> Summary {
        Summary {
            name: p.name.clone(),
            version: p.version.to_string(),
            description: p.description.clone(),
            tags: p.tags.clone(),
            category: p.category.clone(),
            license: p.license.clone(),
            authors: p.authors.clone(),
            homepage: p.homepage.clone(),
            dependencies: p
                .dependencies
                .iter()
                .map(|d| Requirement { name: d.name.clone(), req: d.req.to_string() })
                .collect(),
            downloads: p.downloads,
            stars: p.stars,
            published: p.published,
            publisher: p.publisher.map(|k| to_hex(&k)),
            content_hash: p.content_hash.map(|h| to_hex(&h)),
        }
    }
}

/// A body's files as `{ path, contents }` objects.
fn files(body: &[u8]) -> Result<Array, JsValue> {
    let out = Array::new();
    for file in body::decode(body).map_err(error)? {
        let entry = Object::new();
        set(&entry, "path", &file.path.into());
        set(&entry, "contents", &Uint8Array::from(file.contents.as_slice()).into());
        out.push(&entry);
    }
    Ok(out)
}

fn reputation(record: &souk_core::reputation::PeerRecord) -> JsValue {
    let out = Object::new();
    set(&out, "successes", &record.successes.into());
    set(&out, "failures", &record.failures.into());
    set(&out, "latencyMs", &record.latency_ms.into());
    set(&out, "score", &record.score().into());
    out.into()
}

/// The transport an address uses, as people name it.
fn transport_name(addr: &Multiaddr) -> &'static str {
    if addr.iter().any(|p| p == Protocol::P2pCircuit) {
        return "circuit relay";
    }
    Transport::of(addr).name()
}

/// The tab's key: made on first start and kept in IndexedDB.
async fn identity(db: &Database) -> Result<Keypair, JsError> {
    if let Some(stored) = idb::get(db, idb::META, "identity").await? {
        return Keypair::from_protobuf_encoding(&Uint8Array::new(&stored).to_vec())
            .map_err(|e| JsError::new(&format!("the stored identity is unreadable: {e}")));
    }
    let key = Keypair::generate_ed25519();
    let encoded = key.to_protobuf_encoding().map_err(|e| JsError::new(&e.to_string()))?;
    idb::put(db, idb::META, "identity", &Uint8Array::from(encoded.as_slice()).into()).await?;
    Ok(key)
}

fn secret(key: &Keypair) -> Result<[u8; 32], JsValue> {
    let pair = key.clone().try_into_ed25519().map_err(|_| error("the identity key is not ed25519"))?;
    pair.secret().as_ref().try_into().map_err(|_| error("an ed25519 secret is 32 bytes"))
}

/// Connects to the first of the relay's addresses that works, in the browser's dial order
/// ([`dial_order`]), walks the DHT, syncs the index and takes a reservation.
async fn join(handle: NodeHandle, bootstrap: Bootstrap) -> Result<Connection, String> {
    let addrs = match bootstrap {
        Bootstrap::Addrs(addrs) => addrs,
        Bootstrap::Url(url) => fetch_json::<RelayInfo>(&url).await?.addrs,
    };
    let addrs = dial_order(addrs.iter().filter_map(|a| a.parse().ok()), Dialer::Browser);
    let mut last = String::from("the relay offers no address a browser can dial");
    for addr in addrs {
        let relay = match handle.bootstrap(vec![addr.clone()]).await {
            Ok(mut dialed) => match dialed.remove(0) {
                Ok(peer) => peer,
                Err(e) => {
                    last = e.to_string();
                    continue;
                }
            },
            Err(e) => {
                last = e.to_string();
                continue;
            }
        };
        let report = handle.sync_index(relay).await.map_err(|e| e.to_string())?;
        let relay_addr = addr.clone().with_p2p(relay).unwrap_or_else(|a| a);
        // Without a reservation the tab still searches, installs and publishes; it just
        // cannot be reached by others. A peer reached through a circuit relays nothing.
        let relayed = addr.iter().any(|p| p == Protocol::P2pCircuit);
        let circuit = match relayed {
            true => None,
            false => handle.listen(relay_addr.clone().with(Protocol::P2pCircuit)).await.ok(),
        };
        return Ok(Connection {
            relay: relay_addr.to_string(),
            address: addr.to_string(),
            circuit: circuit.map(|c| c.to_string()),
            synced: report.accepted,
        });
    }
    Err(last)
}

async fn fetch_json<T: serde::de::DeserializeOwned>(url: &str) -> Result<T, String> {
    let window = web_sys::window().ok_or("no window to fetch from")?;
    let failed = |e: JsValue| format!("cannot fetch {url}: {}", js_message(&e));
    let response: web_sys::Response =
        JsFuture::from(window.fetch_with_str(url)).await.map_err(failed)?.unchecked_into();
    if !response.ok() {
        return Err(format!("{url} answered {}", response.status()));
    }
    let json = JsFuture::from(response.json().map_err(failed)?).await.map_err(failed)?;
    serde_wasm_bindgen::from_value(json).map_err(|e| format!("{url} answered something unexpected: {e}"))
}

fn js_message(e: &JsValue) -> String {
    Reflect::get(e, &"message".into()).ok().and_then(|m| m.as_string()).unwrap_or_else(|| format!("{e:?}"))
}

async fn forward_events(
    mut events: futures::channel::mpsc::UnboundedReceiver<NodeEvent>,
    listeners: Rc<RefCell<Vec<Function>>>,
) {
    while let Some(event) = events.next().await {
        let out = Object::new();
        match event {
            NodeEvent::Connected(peer) | NodeEvent::Disconnected(peer) => {
                let kind =
                    if matches!(event, NodeEvent::Connected(_)) { "connected" } else { "disconnected" };
                set(&out, "type", &kind.into());
                set(&out, "peer", &peer.to_string().into());
            }
            NodeEvent::Learned { record, .. } => {
                set(&out, "type", &"announce".into());
                set(&out, "name", &record.pack.name.as_str().into());
                set(&out, "version", &record.pack.version.to_string().into());
            }
        }
        emit(&listeners, &out);
    }
}

fn emit(listeners: &RefCell<Vec<Function>>, event: &JsValue) {
    for listener in listeners.borrow().iter() {
        // A listener that throws is the page's bug; the others still hear the event.
        if let Err(e) = listener.call1(&JsValue::NULL, event) {
            web_sys::console::error_2(&"a Souk event listener threw".into(), &e);
        }
    }
}

fn set(object: &Object, key: &str, value: &JsValue) {
    // Setting a property on a fresh plain object cannot fail.
    let _ = Reflect::set(object, &key.into(), value);
}
