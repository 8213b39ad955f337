//! What a relay keeps for others: the body of every pack it learns of, fetched from the
//! peer that sent the record (a CLI that published and is about to exit) or any provider,
//! so a published pack stays available when its publisher goes.
//!
//! Bodies are pinned a few at a time, each retried while its publisher may still be
//! reachable (a publisher's next process, under the same peer id, may answer first without
//! the body), and each publisher's key may pin only so many bytes here: one key cannot
//! fill a relay's disk. What each key has pinned is kept in the database. Events are the
//! fast path; a sweep at start and every few minutes pins whatever they missed.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::StreamExt;
use futures::stream::FuturesUnordered;
use libp2p::PeerId;
use souk::store::RedbStore;
use souk_core::Digest;
use souk_core::pack::to_hex;
use souk_core::record::{Entry, PackRecord};
use souk_net::{NodeError, NodeEvent, NodeHandle, Store};
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
    /// Whether `key` has any room left: a publisher at its quota costs no fetch.
    fn has_room(&self, key: &Digest) -> Result<(), String> {
        let used = self.used(&self.pinned.lock().expect("no pin panics while holding the ledger"), key);
        match used < self.quota {
            true => Ok(()),
            false => Err(format!("its publisher has pinned {used} of its {} bytes here", self.quota)),
        }
    }

    /// Counts `bytes` against `key`, if its quota has room for them.
    fn reserve(&self, key: &Digest, bytes: u64) -> Result<(), String> {
        let mut pinned = self.pinned.lock().expect("no pin panics while holding the ledger");
        let used = self.used(&pinned, key);
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

    /// What `key` has pinned: as counted this run, or as the database kept it.
    fn used(&self, pinned: &HashMap<Digest, u64>, key: &Digest) -> u64 {
        pinned.get(key).copied().unwrap_or_else(|| self.stored(key))
    }

    fn stored(&self, key: &Digest) -> u64 {
        let stored = self.store.meta(&format!("pinned/{}", to_hex(key))).ok().flatten();
        stored.and_then(|b| b.try_into().ok()).map_or(0, u64::from_le_bytes)
    }
}

/// A body to pin: whose, and where it may be.
#[derive(Debug, Clone)]
struct Wanted {
    pack: String,
    hash: Digest,
    publisher: Digest,
    /// The peer that sent the record, if it came from one.
    from: Option<PeerId>,
}

impl Wanted {
    fn of(record: &PackRecord, from: Option<PeerId>) -> Option<Wanted> {
        let pack = format!("{} {}", record.pack.name, record.pack.version);
        Some(Wanted { pack, hash: record.pack.content_hash?, publisher: record.pack.publisher?, from })
    }
}

/// How often every listed body is checked for, so one whose event was missed (a full
/// event queue), whose fetch failed or that was listed before a restart is pinned yet.
const SWEEP_EVERY: Duration = Duration::from_secs(5 * 60);

/// Pins what the node learns until it stops; each publisher's key up to `quota` bytes.
/// Events only queue work, so the loop keeps up with any burst of them.
pub async fn run(handle: NodeHandle, store: RedbStore, quota: u64) {
    let Ok(mut events) = handle.events().await else { return };
    let ledger = Arc::new(Ledger { store, quota, pinned: Mutex::default() });
    let mut queue: VecDeque<Wanted> = VecDeque::new();
    let mut running = FuturesUnordered::new();
    let mut sweep = tokio::time::interval(SWEEP_EVERY);
    loop {
        while running.len() < AT_ONCE
            && let Some(wanted) = queue.pop_front()
        {
            let (handle, ledger) = (handle.clone(), ledger.clone());
            running.push(async move {
                match pin(&handle, &ledger, &wanted).await {
                    Ok(true) => info!(pack = %wanted.pack, "pinned"),
                    Ok(false) => {}
                    Err(e) => warn!(pack = %wanted.pack, "cannot pin: {e}"),
                }
            });
        }
        tokio::select! {
            event = events.next() => match event {
                Some(NodeEvent::Learned { entry, from, .. }) => {
                    if let Entry::Record(record) = *entry {
                        queue.extend(Wanted::of(&record, from));
                    }
                }
                Some(_) => {}
                None => return,
            },
            Some(()) = running.next(), if !running.is_empty() => {}
            _ = sweep.tick() => queue.extend(unpinned(&handle, &ledger.store).await),
        }
    }
}

/// Every listed body the store does not keep.
async fn unpinned(handle: &NodeHandle, store: &RedbStore) -> Vec<Wanted> {
    let kept: std::collections::HashSet<Digest> = match store.body_hashes() {
        Ok(hashes) => hashes.into_iter().collect(),
        Err(e) => {
            warn!(error = %e, "cannot list the stored bodies");
            return Vec::new();
        }
    };
    // Filtered where the rows are read: only a missing body's row is copied out.
    let missing = handle.read(move |index| {
        let rows = index.iter().filter_map(|row| {
            let (hash, publisher) = (*row.content_hash()?, *row.publisher()?);
            let pack = (!kept.contains(&hash)).then(|| format!("{} {}", row.name(), row.version()))?;
            Some(Wanted { pack, hash, publisher, from: None })
        });
        rows.collect::<Vec<_>>()
    });
    missing.await.unwrap_or_default()
}

/// Pins one body; answers whether it was new here.
async fn pin(handle: &NodeHandle, ledger: &Ledger, wanted: &Wanted) -> Result<bool, String> {
    if handle.has_body(wanted.hash).await.map_err(|e| e.to_string())? {
        return Ok(false);
    }
    ledger.has_room(&wanted.publisher)?;
    let mut last = String::new();
    for wait in std::iter::once(Duration::ZERO).chain(RETRIES) {
        tokio::time::sleep(wait).await;
        match fetch(handle, wanted.hash, wanted.from).await {
            Ok(body) => {
                ledger.reserve(&wanted.publisher, body.len() as u64)?;
                return handle.put_body(body).await.map(|_| true).map_err(|e| e.to_string());
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
        // A key at its quota is turned away before its body is fetched.
        assert_eq!(first.has_room(&alice), Err(refused));
        assert!(first.has_room(&bob).is_ok());
        first.reserve(&bob, 1000).unwrap();
        // A restarted relay reads what each key has pinned.
        let again = ledger(&store);
        assert!(again.reserve(&alice, 1).is_err());
        assert!(again.reserve(&[3; 32], 1000).is_ok());
    }
}
