//! What the tab's peer takes from JavaScript and answers it: plain data, serde only, each
//! type with its TypeScript twin in [`TS_PEER_TYPES`].

use serde::{Deserialize, Serialize, Serializer};
use souk_core::PackVersion;
use souk_core::lockfile::LockedPackage;
use souk_core::pack::to_hex;
use souk_core::reputation::PeerRecord;
use souk_core::search::Sort;
use souk_net::SearchRequest;
use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const TS_PEER_TYPES: &str = r#"
export interface StartOptions {
  /** A relay's `/bootstrap` URL, or multiaddrs to dial (WebSocket first, then WebTransport, then WebRTC-direct). */
  bootstrap?: string | string[];
  /** The IndexedDB database holding this peer (default "souk"); one per identity. */
  database?: string;
  /**
   * Loads the pack module (souk_web_pack.js) and answers it started: called the first time
   * the peer resolves, installs or publishes, which need it.
   */
  packs?: () => Promise<object>;
  /** STUN/TURN servers (`stun:host:port`) for direct connections to other tabs; none on one machine. */
  iceServers?: string[];
  /** Direct WebRTC connections to other tabs (default true); false keeps to the relay's circuits. */
  direct?: boolean;
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
  /** On a pack page: its owners yanked it (new installs skip it). */
  yanked?: boolean;
}
export interface PackFile { path: string; contents: Uint8Array }
export interface PeerReputation { successes: number; failures: number; latencyMs: number; score: number }
export interface ConnectedPeer {
  id: string; address: string; transport: string; rttMs: number | null; reputation: PeerReputation;
}
export interface PeerSearchResults { total: number; hits: PackSummary[]; fromNetwork: boolean }
export interface Connection {
  relay: string; address: string; transport: string; circuit: string | null;
  /** Where other tabs set up a direct WebRTC connection to this one (through the relay). */
  direct: string | null; synced: number;
}
export interface InstalledPack {
  name: string; version: string; lockfile: LockedPackage[];
  packs: { name: string; version: string; files: PackFile[] }[];
}
export interface Published { name: string; version: string; contentHash: string; peers: number }
export interface Caught { peer: string; what: string }
export interface PeerStats {
  peers: number; packs: number; searches: number; lookups: number; installs: number;
  refused: number; cacheHitRate: number;
  /** Direct connections to other tabs refused or given up, by reason. */
  directRefused: Record<string, number>;
}
export type SoukEvent =
  | { type: "connected"; peer: string } | { type: "disconnected"; peer: string }
  | { type: "announce"; name: string; version: string }
  | { type: "statement"; name: string }
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

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct Start {
    pub bootstrap: Option<Bootstrap>,
    pub database: Option<String>,
    /// A function, kept as it is.
    #[serde(with = "serde_wasm_bindgen::preserve")]
    pub packs: JsValue,
    #[serde(rename = "iceServers")]
    pub ice_servers: Vec<String>,
    /// Whether other tabs may connect directly (WebRTC shows them this tab's addresses).
    pub direct: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub(crate) enum Bootstrap {
    Url(String),
    Addrs(Vec<String>),
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct SearchOptions {
    limit: Option<usize>,
    offset: usize,
    tag: Option<String>,
    category: Option<String>,
    author: Option<String>,
    license: Option<String>,
    sort: Option<String>,
}

impl SearchOptions {
    /// The node's search request for `text` with these options.
    pub fn request(self, text: String) -> Result<SearchRequest, String> {
        let sort = match self.sort.as_deref() {
            None | Some("relevance") => Sort::Relevance,
            Some("downloads") => Sort::Downloads,
            Some("stars") => Sort::Stars,
            Some("newest") => Sort::Newest,
            Some(other) => return Err(format!("unknown sort `{other}`")),
        };
        Ok(SearchRequest {
            text,
            tag: self.tag,
            category: self.category,
            author: self.author,
            license: self.license,
            sort,
            offset: self.offset,
            limit: self.limit.unwrap_or(0),
        })
    }
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Connection {
    /// The relay's address, as dialed.
    pub relay: String,
    pub address: String,
    /// The transport the tab reached the relay over, as people name it.
    pub transport: &'static str,
    /// Where other peers reach this tab through the relay.
    pub circuit: Option<String>,
    pub direct: Option<String>,
    /// Records new to this tab from the relay's index.
    pub synced: usize,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Page {
    pub total: usize,
    pub hits: Vec<Summary>,
    pub from_network: bool,
}

/// A pack version as results and pack pages show it.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Summary {
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
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub yanked: bool,
}

#[derive(Serialize)]
struct Requirement {
    name: String,
    req: String,
}

impl Summary {
    pub fn of(p: &PackVersion) -> Summary {
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
            yanked: false,
        }
    }
}

/// A file of a pack; its contents reach JavaScript as a `Uint8Array`.
#[derive(Serialize)]
pub(crate) struct PackFile {
    pub path: String,
    #[serde(serialize_with = "bytes")]
    pub contents: Vec<u8>,
}

fn bytes<S: Serializer>(contents: &[u8], serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_bytes(contents)
}

#[derive(Serialize)]
pub(crate) struct InstalledPack {
    pub name: String,
    pub version: String,
    pub lockfile: Vec<LockedPackage>,
    pub packs: Vec<InstalledFiles>,
}

#[derive(Serialize)]
pub(crate) struct InstalledFiles {
    pub name: String,
    pub version: String,
    pub files: Vec<PackFile>,
}

/// A peer caught contradicting a head it signed, and how.
#[derive(Serialize)]
pub(crate) struct Caught {
    pub peer: String,
    pub what: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Published {
    pub name: String,
    pub version: String,
    pub content_hash: String,
    pub peers: usize,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Reputation {
    successes: u32,
    failures: u32,
    latency_ms: f64,
    score: f64,
}

impl From<&PeerRecord> for Reputation {
    fn from(r: &PeerRecord) -> Self {
        Reputation {
            successes: r.successes,
            failures: r.failures,
            latency_ms: r.latency_ms,
            score: r.score(),
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ConnectedPeer {
    pub id: String,
    pub address: String,
    pub transport: &'static str,
    pub rtt_ms: Option<f64>,
    pub reputation: Reputation,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Stats {
    pub peers: usize,
    pub packs: usize,
    pub searches: u64,
    pub lookups: u64,
    pub installs: u64,
    pub refused: u64,
    pub cache_hit_rate: f64,
    pub direct_refused: std::collections::BTreeMap<&'static str, u64>,
}
