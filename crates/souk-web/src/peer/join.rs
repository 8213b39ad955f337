//! How a tab joins the network: its key from IndexedDB, its relay's addresses in the
//! browser's dial order, the first that connects, a sync of the index, a reservation for
//! being reached, then a sync every [`RESYNC`].

use std::rc::Weak;

use futures::future::{LocalBoxFuture, Shared};
use indexed_db_futures::database::Database;
use js_sys::Uint8Array;
use libp2p::Multiaddr;
use libp2p::identity::Keypair;
use libp2p::multiaddr::Protocol;
use souk_net::NodeHandle;
use souk_net::client::{self, BootstrapInfo, Dialer};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

use super::types::{Bootstrap, Connection};
use super::{Inner, js_message};
use crate::idb;

/// How often a joined tab asks its relay for the records it has not heard of: gossip is
/// the fast path, this catches whatever gossip missed (a closed stream, a late mesh).
const RESYNC: std::time::Duration = std::time::Duration::from_secs(5);

/// The outcome of joining the network, shared by everyone who waits for it.
pub(crate) type Joining = Shared<LocalBoxFuture<'static, Result<Connection, String>>>;

/// The tab's key: made on first start and kept in IndexedDB.
pub(crate) async fn identity(db: &Database) -> Result<Keypair, JsError> {
    let stored = idb::get(db, idb::META, "identity").await?.map(|v| Uint8Array::new(&v).to_vec());
    let (key, new) = client::identity(stored.as_deref()).map_err(|e| JsError::new(&e.to_string()))?;
    if let Some(bytes) = new {
        idb::put(db, idb::META, "identity", &Uint8Array::from(bytes.as_slice()).into()).await?;
    }
    Ok(key)
}

/// Connects to the first of the relay's addresses that works, in the browser's dial order,
/// walks the DHT, syncs the index and takes a reservation.
pub(crate) async fn join(handle: NodeHandle, bootstrap: Bootstrap) -> Result<Connection, String> {
    let info = match bootstrap {
        Bootstrap::Addrs(addrs) => BootstrapInfo { peer_id: String::new(), addrs },
        Bootstrap::Url(url) => fetch_json(&url).await?,
    };
    let mut last = String::from("the relay offers no address a browser can dial");
    for addr in info.dial_order(Dialer::Browser) {
        let relay = match handle.bootstrap(vec![addr.clone()]).await.map(|mut dialed| dialed.remove(0)) {
            Ok(Ok(peer)) => peer,
            Ok(Err(e)) | Err(e) => {
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
        // Where the reservation holds, other tabs may also set up a direct connection.
        let direct = match circuit {
            Some(_) => {
                handle.listen(relay_addr.clone().with(Protocol::P2pCircuit).with(Protocol::WebRTC)).await.ok()
            }
            None => None,
        };
        return Ok(Connection {
            relay: relay_addr.to_string(),
            address: addr.to_string(),
            transport: client::Transport::of(&addr).name(),
            circuit: circuit.map(|c| c.to_string()),
            direct: direct.map(|d| d.to_string()),
            synced: report.accepted,
        });
    }
    Err(last)
}

/// Once joined, syncs from the relay every [`RESYNC`] (only the records after the last
/// sync travel) until the peer is dropped.
pub(crate) async fn resync(inner: Weak<Inner>, joining: Joining) {
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
