//! What a relay keeps for others: the body of every pack it learns of, fetched from the
//! peer that sent the record (a CLI that published and is about to exit) or any provider,
//! so a published pack stays available when its publisher goes.
//!
//! Bodies are pinned a few at a time, each retried while its publisher may still be
//! reachable (a publisher's next process, under the same peer id, may answer first without
//! the body), and each publisher's key may pin only so many bytes here: one key cannot
//! fill a relay's disk. What each key has pinned is kept in the database.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::StreamExt;
use libp2p::PeerId;
use souk::store::RedbStore;
use souk_core::Digest;
use souk_core::pack::to_hex;
use souk_core::record::{Entry, PackRecord};
use souk_net::{NodeError, NodeEvent, NodeHandle};
use tokio::sync::Semaphore;
use tracing::{info, warn};

/// Bodies fetched at once.
const AT_ONCE: usize = 16;
/// Waits between rounds of attempts; a body not fetched after the last is given up.
const RETRIES: [Duration; 3] = [Duration::from_secs(1), Duration::from_secs(3), Duration::from_secs(9)];

/// Bytes pinned per publisher's key, as the database keeps them (`pinned/<key>`).
#[derive(Debug)]
struct Ledger {
    store: RedbStore,
    quota: u64,
    pinned: Mutex<HashMap<Digest, u64>>,
}

impl Ledger {
    /// Counts `bytes` against `key`, if its quota has room for them.
    fn reserve(&self, key: &Digest, bytes: u64) -> Result<(), String> {
        let mut pinned = self.pinned.lock().expect("no pin panics while holding the ledger");
        let used = match pinned.get(key) {
            Some(used) => *used,
            None => self.stored(key),
        };
        if used + bytes > self.quota {
            return Err(format!("its publisher has pinned {used} of its {} bytes here", self.quota));
        }
        pinned.insert(*key, used + bytes);
        if let Err(e) = self.store.put_meta(&format!("pinned/{}", to_hex(key)), &(used + bytes).to_le_bytes())
        {
            warn!(error = %e, "cannot keep what a publisher has pinned");
        }
        Ok(())
    }

    fn stored(&self, key: &Digest) -> u64 {
        let stored = self.store.meta(&format!("pinned/{}", to_hex(key))).ok().flatten();
        stored.and_then(|b| b.try_into().ok()).map_or(0, u64::from_le_bytes)
    }
}

/// Pins what the node learns until it stops; each publisher's key up to `quota` bytes.
pub async fn run(handle: NodeHandle, store: RedbStore, quota: u64) {
    let Ok(mut events) = handle.events().await else { return };
    let ledger = Arc::new(Ledger { store, quota, pinned: Mutex::default() });
    let slots = Arc::new(Semaphore::new(AT_ONCE));
    while let Some(event) = events.next().await {
        let NodeEvent::Learned { entry, from, .. } = event else { continue };
        let Entry::Record(record) = *entry else { continue };
        let Ok(slot) = slots.clone().acquire_owned().await else { return };
        let (handle, ledger) = (handle.clone(), ledger.clone());
        tokio::spawn(async move {
            match pin(&handle, &ledger, &record, from).await {
                Ok(()) => info!(pack = %record.pack.name, version = %record.pack.version, "pinned"),
                Err(e) => warn!(pack = %record.pack.name, version = %record.pack.version, "cannot pin: {e}"),
            }
            drop(slot);
        });
    }
}

async fn pin(
    handle: &NodeHandle,
    ledger: &Ledger,
    record: &PackRecord,
    from: Option<PeerId>,
) -> Result<(), String> {
    let (Some(hash), Some(publisher)) = (record.pack.content_hash, record.pack.publisher) else {
        return Ok(());
    };
    if handle.has_body(hash).await.map_err(|e| e.to_string())? {
        return Ok(());
    }
    let mut last = String::new();
    for wait in std::iter::once(Duration::ZERO).chain(RETRIES) {
        tokio::time::sleep(wait).await;
        match fetch(handle, hash, from).await {
            Ok(body) => {
                ledger.reserve(&publisher, body.len() as u64)?;
                return handle.put_body(body).await.map(drop).map_err(|e| e.to_string());
            }
            Err(e) => last = e.to_string(),
        }
    }
    Err(last)
}

/// From the peer that sent the record first, then from any provider.
async fn fetch(handle: &NodeHandle, hash: Digest, from: Option<PeerId>) -> Result<Vec<u8>, NodeError> {
    if let Some(peer) = from
        && let Ok(body) = handle.fetch(peer, hash).await
    {
        return Ok(body);
    }
    handle.fetch_provided(hash).await.map(|(_, body)| body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_publishers_quota_holds_across_restarts_and_others_have_their_own() {
        let dir = tempfile::tempdir().unwrap();
        let store = RedbStore::open(&dir.path().join("souk.redb")).unwrap();
        let ledger =
            |store: &RedbStore| Ledger { store: store.clone(), quota: 1000, pinned: Mutex::default() };
        let (alice, bob) = ([1; 32], [2; 32]);
        let first = ledger(&store);
        first.reserve(&alice, 600).unwrap();
        first.reserve(&alice, 400).unwrap();
        let refused = first.reserve(&alice, 1).unwrap_err();
        assert!(refused.contains("pinned 1000 of its 1000 bytes"), "{refused}");
        first.reserve(&bob, 1000).unwrap();
        // A restarted relay reads what each key has pinned.
        let again = ledger(&store);
        assert!(again.reserve(&alice, 1).is_err());
        assert!(again.reserve(&[3; 32], 1000).is_ok());
    }
}
