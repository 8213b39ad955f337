//! What this user's CLI remembers of each relay between runs: the last head it signed, so
//! the next run holds it to that head (a log rolled back or a history rewritten is caught),
//! and the evidence caught so far. Kept in `$SOUK_HOME/heads.json`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use libp2p::PeerId;
use serde::{Deserialize, Serialize};
use souk_core::catalog::{HeadError, SignedHead, SyncResponse};
use souk_net::NodeHandle;

use souk::fsutil::{read_if_present, write_atomically};

/// The file's contents. Heads are kept in their wire form (a sync `head` answer).
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Heads {
    #[serde(default)]
    heads: BTreeMap<String, Vec<u8>>,
    #[serde(default)]
    pub evidence: Vec<Caught>,
}

/// A relay caught contradicting a head it signed: the heads, in their wire form.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Caught {
    pub peer: String,
    pub what: String,
    pub heads: Vec<Vec<u8>>,
}

impl Heads {
    pub fn path(home: &Path) -> PathBuf {
        home.join("heads.json")
    }

    /// The file, or nothing yet. A file this version cannot read is an error, not a reset.
    pub fn load(home: &Path) -> Result<Heads> {
        let path = Heads::path(home);
        match read_if_present(&path)? {
            Some(bytes) => {
                serde_json::from_slice(&bytes).with_context(|| format!("{} is unreadable", path.display()))
            }
            None => Ok(Heads::default()),
        }
    }

    pub fn save(&self, home: &Path) -> Result<()> {
        write_atomically(&Heads::path(home), &serde_json::to_vec_pretty(self)?)
    }

    /// Tells `handle` every head remembered.
    pub async fn remind(&self, handle: &NodeHandle) -> Result<()> {
        for (peer, bytes) in &self.heads {
            if let (Ok(peer), Ok(SyncResponse::Head(head))) =
                (peer.parse::<PeerId>(), SyncResponse::decode(bytes))
            {
                handle.remember_head(peer, head).await?;
            }
        }
        Ok(())
    }

    /// Keeps the head `handle` last took from `peer`.
    pub async fn keep(&mut self, handle: &NodeHandle, peer: PeerId) -> Result<()> {
        if let Some(head) = handle.last_head(peer).await? {
            self.heads.insert(peer.to_string(), wire(head));
        }
        Ok(())
    }

    /// Keeps the evidence of a contradiction `peer` was caught in, if `error` is one.
    pub fn catch(&mut self, peer: PeerId, error: &HeadError) {
        let heads = match error {
            HeadError::Rollback(e) | HeadError::Fork(e) => vec![e.earlier.clone(), e.later.clone()],
            HeadError::Unchained(head) => vec![(**head).clone()],
            HeadError::BadSignature | HeadError::TooLarge { .. } => return,
        };
        let heads = heads.into_iter().map(wire).collect();
        self.evidence.push(Caught { peer: peer.to_string(), what: error.to_string(), heads });
    }
}

fn wire(head: SignedHead) -> Vec<u8> {
    SyncResponse::Head(head).encode()
}
