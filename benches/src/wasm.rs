//! The latency harness exported to JavaScript, so the wasm build runs exactly the native
//! workload (under Node, or in a browser).

use futures::StreamExt;
use libp2p::Multiaddr;
use libp2p::identity::Keypair;
use libp2p::swarm::SwarmEvent;
use souk_core::Index;
use souk_net::browser::browser_swarm;
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    /// `performance.now()`: a monotonic clock in milliseconds, in Node and browsers alike.
    #[wasm_bindgen(js_namespace = performance, js_name = now)]
    fn now() -> f64;
}

/// Loads `snapshot`, runs the query mix `rounds` times and returns the report as JSON
/// (the same shape `search-latency` prints natively).
#[wasm_bindgen(js_name = searchLatency)]
pub fn search_latency(snapshot: &[u8], rounds: usize) -> Result<String, JsError> {
    let start = now();
    let index = Index::from_snapshot(snapshot)?;
    let load_ms = now() - start;
    let report = crate::latency::report(&index, load_ms, snapshot.len(), rounds, now);
    Ok(serde_json::to_string(&report)?)
}

/// The size of the module's linear memory, in bytes: the high-water mark of its heap.
#[wasm_bindgen(js_name = memoryBytes)]
pub fn memory_bytes() -> usize {
    core::arch::wasm32::memory_size(0) * 65536
}

/// Resolution latency ([`crate::resolution::report`]): given a crates.io index (its label
/// and JSON lines) and manifests (a JSON object of name to `Cargo.toml` text), the real
/// workloads on it; with `synthetic`, the synthetic ones too.
#[wasm_bindgen(js_name = resolveLatency)]
pub fn resolve_latency(
    label: &str,
    index: Option<String>,
    manifests: &str,
    synthetic: bool,
    rounds: usize,
) -> Result<String, JsError> {
    let manifests: Vec<(String, String)> =
        serde_json::from_str::<std::collections::BTreeMap<String, String>>(manifests)?.into_iter().collect();
    let index = index.as_deref().map(|text| (label, text));
    let report = crate::resolution::report(index, &manifests, synthetic, rounds, now);
    Ok(serde_json::to_string(&report)?)
}

/// Generation latency ([`crate::generation::report`]): demo packs rendered into projects.
#[wasm_bindgen(js_name = generateLatency)]
pub fn generate_latency(rounds: usize) -> Result<String, JsError> {
    Ok(serde_json::to_string(&crate::generation::report(rounds, now))?)
}

/// Connection setup as a tab meets it: `rounds` times, a fresh tab swarm (a new key, as a
/// new tab has) dials `addr` and the time to an established connection is taken, transport
/// handshake, security and multiplexing included. Answers the times in milliseconds.
#[wasm_bindgen(js_name = connectLatency)]
pub async fn connect_latency(addr: String, rounds: usize) -> Result<Vec<f64>, JsError> {
    let addr: Multiaddr = addr.parse()?;
    let mut times = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        let mut swarm = browser_swarm(Keypair::generate_ed25519(), Default::default())
            .map_err(|e| JsError::new(&e.to_string()))?;
        let start = now();
        swarm.dial(addr.clone())?;
        loop {
            match swarm.select_next_some().await {
                SwarmEvent::ConnectionEstablished { .. } => break,
                SwarmEvent::OutgoingConnectionError { error, .. } => {
                    return Err(JsError::new(&format!("{addr}: {error}")));
                }
                _ => {}
            }
        }
        times.push(now() - start);
    }
    Ok(times)
}
