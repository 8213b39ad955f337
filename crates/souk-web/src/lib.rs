//! Souk's browser peer, as a wasm module for the page.
//!
//! - [`SoukPeer`] (in the browser): the tab as a full peer on the network, its state in
//!   IndexedDB (`peer` and `idb`).
//! - [`Registry`]: an index held by the page with no network at all (any snapshot),
//!   searched by exactly the core code the CLI runs (and resolved by it in the pack
//!   module, `souk-web-pack`, which carries the resolver out of this one).
//!
//! ```js
//! import init, { SoukPeer } from "./pkg/souk_web.js";
//! await init();
//! const packs = () => import("./pkg/souk_web_pack.js").then(async (m) => (await m.default(), m));
//! const peer = await SoukPeer.start({ bootstrap: "http://127.0.0.1:8080/bootstrap", packs });
//! const { total, hits } = await peer.search("rust", { limit: 10 });
//! await peer.connected();
//! const { lockfile, packs } = await peer.install("rust-cli", "^1");
//! ```

#![forbid(unsafe_code)]

#[cfg(target_arch = "wasm32")]
mod idb;
#[cfg(target_arch = "wasm32")]
mod peer;

#[cfg(target_arch = "wasm32")]
pub use peer::SoukPeer;
use serde::Serialize;
use souk_core::Index;
use souk_core::resolve::MemoryRegistry;
use souk_core::search::{HitSummary, Query, Scratch, query_terms, search_with};
use wasm_bindgen::prelude::*;

/// Reports a Rust panic on the console with its message instead of a bare "unreachable".
#[wasm_bindgen(start)]
pub fn start() {
    console_error_panic_hook::set_once();
}

/// The terms search matches `text` by (cut, lower-cased, at most 8), for marking matched
/// words in results exactly as search found them.
#[wasm_bindgen(js_name = queryTerms)]
pub fn query_terms_js(text: &str) -> Vec<String> {
    query_terms(text)
}

/// A registry index held by the page.
#[wasm_bindgen]
#[derive(Debug)]
pub struct Registry {
    index: Index,
    /// Reused by every search, so typing does not allocate per keystroke.
    scratch: Scratch,
}

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &str = r#"
export interface SearchOptions { limit?: number; offset?: number }
export interface SearchHit {
  name: string; version: string; description: string;
  downloads: number; stars: number; score: number;
}
export interface SearchResults { total: number; hits: SearchHit[] }
export interface LockedPackage {
  name: string; version: string; checksum?: string; publisher?: string; dependencies: string[];
}
"#;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(typescript_type = "SearchOptions")]
    pub type SearchOptions;
    #[wasm_bindgen(typescript_type = "SearchResults")]
    pub type SearchResults;
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
struct Options {
    limit: Option<usize>,
    offset: usize,
}

#[derive(Serialize)]
struct Results<'a> {
    total: usize,
    hits: Vec<HitSummary<'a>>,
}

#[wasm_bindgen]
impl Registry {
    /// Loads an index snapshot (as `souk index import` writes it).
    #[wasm_bindgen(js_name = fromSnapshot)]
    pub fn from_snapshot(bytes: Vec<u8>) -> Result<Registry, JsError> {
        Ok(Registry { index: Index::load(bytes.into())?, scratch: Scratch::default() })
    }

    /// The snapshot bytes, to keep (IndexedDB) or send.
    pub fn snapshot(&self) -> Vec<u8> {
        self.index.to_snapshot()
    }

    /// How many pack versions the registry holds.
    #[wasm_bindgen(getter)]
    pub fn length(&self) -> usize {
        self.index.len()
    }

    /// Searches the registry: `{ total, hits }`, best first.
    pub fn search(&mut self, query: &str, options: Option<SearchOptions>) -> Result<SearchResults, JsError> {
        let options: Options = match options {
            Some(o) if !o.is_undefined() && !o.is_null() => serde_wasm_bindgen::from_value(o.into())?,
            _ => Options::default(),
        };
        let defaults = Query::new(query);
        let query =
            Query { offset: options.offset, limit: options.limit.unwrap_or(defaults.limit), ..defaults };
        let results = search_with(&self.index, &query, &mut self.scratch);
        let results = Results { total: results.total, hits: results.summaries(&self.index).collect() };
        Ok(js_value(&results)?.unchecked_into())
    }

    /// The versions a resolution of `name` can reach, for the pack module's `resolve`
    /// (resolved there by the core code the CLI runs).
    pub fn reachable(&self, name: &str) -> Result<JsValue, JsError> {
        Ok(exact(&MemoryRegistry::reachable(&self.index, name)?)?)
    }
}

/// `value` for the pack module, in serde's own shapes (maps as `Map`s, so keys need not be
/// strings).
fn exact(value: &impl Serialize) -> Result<JsValue, serde_wasm_bindgen::Error> {
    value.serialize(&serde_wasm_bindgen::Serializer::new())
}

/// `value` as plain JavaScript data: objects, not Maps; bytes as a `Uint8Array`, not an
/// array of numbers (a zip or a `TextDecoder` takes only the first).
fn js_value(value: &impl Serialize) -> Result<JsValue, serde_wasm_bindgen::Error> {
    value.serialize(&serde_wasm_bindgen::Serializer::json_compatible().serialize_bytes_as_arrays(false))
}
