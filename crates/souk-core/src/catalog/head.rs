//! Signed heads: a serving peer's statement of what its catalog holds, signed with its peer
//! key, so a peer that syncs from it can hold it to what it said.
//!
//! A catalog's **chain** is a hash over its history: it starts from the base (its sequence
//! number and chunk hashes) and takes in each log record in turn, so two catalogs with one
//! chain at one sequence number hold the same records in the same order. A head signs the
//! epoch, the sequence numbers, the chunk hashes, the chain and the time it was made:
//!
//! ```text
//! signed: b"SOUKHEAD" | u64 epoch | u64 seq | u64 base_seq | u32 n, n x [32] chunk hash
//!         | [32] chain | u64 time (Unix seconds)
//! ```
//!
//! Two heads of one key that cannot both be true (a sequence number that went back, or one
//! sequence number with two chains in one epoch) are evidence against that key anyone can
//! check.

use alloc::boxed::Box;
use alloc::vec::Vec;

use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use sha2::{Digest as _, Sha256};

use super::Head;
use crate::pack::Digest;

const MAGIC: &[u8; 8] = b"SOUKHEAD";

/// A head as its serving peer signed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedHead {
    /// Changes whenever the serving peer renumbers its log (a restart).
    pub epoch: u64,
    pub head: Head,
    /// When the head was signed, in Unix seconds on the serving peer's clock.
    pub time: u64,
    pub signature: [u8; 64],
}

impl SignedHead {
    pub fn sign(epoch: u64, head: Head, time: u64, key: &SigningKey) -> SignedHead {
        let signature = key.sign(&signed_bytes(epoch, &head, time)).to_bytes();
        SignedHead { epoch, head, time, signature }
    }

    /// Whether `key` (the serving peer's ed25519 public key) signed this head.
    pub fn verify(&self, key: &[u8; 32]) -> bool {
        let Ok(key) = VerifyingKey::from_bytes(key) else { return false };
        key.verify(&signed_bytes(self.epoch, &self.head, self.time), &Signature::from_bytes(&self.signature))
            .is_ok()
    }
}

fn signed_bytes(epoch: u64, head: &Head, time: u64) -> Vec<u8> {
    let mut out = MAGIC.to_vec();
    for n in [epoch, head.seq, head.base_seq] {
        out.extend_from_slice(&n.to_le_bytes());
    }
    out.extend_from_slice(&(head.chunks.len() as u32).to_le_bytes());
    head.chunks.iter().for_each(|c| out.extend_from_slice(c));
    out.extend_from_slice(&head.chain);
    out.extend_from_slice(&time.to_le_bytes());
    out
}

/// The chain of a base: where a catalog's history starts.
pub fn chain_root(base_seq: u64, chunks: &[Digest]) -> Digest {
    let mut hash = Sha256::new();
    hash.update(b"SOUKCHN1");
    hash.update(base_seq.to_le_bytes());
    chunks.iter().for_each(|c| hash.update(c));
    hash.finalize().into()
}

/// The chain after one more record (its signed bytes).
pub fn chain_link(chain: &Digest, record: &[u8]) -> Digest {
    let record: Digest = Sha256::digest(record).into();
    let mut hash = Sha256::new();
    hash.update(chain);
    hash.update(record);
    hash.finalize().into()
}

/// Why a head was not taken, and the evidence when it contradicts one taken before.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HeadError {
    #[error("the head is not signed by the peer that served it")]
    BadSignature,
    #[error("the peer rolled its log back from {} to {}", .0.earlier.head.seq, .0.later.head.seq)]
    Rollback(Box<Evidence>),
    #[error("the peer rewrote its history: two chains at sequence number {}", .0.later.head.seq)]
    Fork(Box<Evidence>),
    #[error("the peer served records that do not lead to the chain it signed at sequence number {}", .0.head.seq)]
    Unchained(Box<SignedHead>),
    #[error("the peer's base is {chunks} chunks, past this peer's limit of {limit}")]
    TooLarge { chunks: usize, limit: usize },
}

/// Two heads signed by one key that cannot both be true.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evidence {
    pub earlier: SignedHead,
    pub later: SignedHead,
}

/// Checks `later` against the head last taken from the same key.
pub fn check(earlier: Option<&SignedHead>, later: &SignedHead) -> Result<(), HeadError> {
    let Some(earlier) = earlier else { return Ok(()) };
    let evidence = || Box::new(Evidence { earlier: earlier.clone(), later: later.clone() });
    if later.head.seq < earlier.head.seq {
        return Err(HeadError::Rollback(evidence()));
    }
    let same_point = later.epoch == earlier.epoch && later.head.seq == earlier.head.seq;
    if same_point && later.head.chain != earlier.head.chain {
        return Err(HeadError::Fork(evidence()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use alloc::vec;

    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;

    fn head(seq: u64, chain: u8) -> Head {
        Head { seq, base_seq: 1, chunks: vec![[1; 32]], chain: [chain; 32] }
    }

    #[test]
    fn a_head_verifies_with_its_key_only() {
        let key = SigningKey::from_bytes(&[3; 32]);
        let signed = SignedHead::sign(7, head(5, 1), 1_800_000_000, &key);
        assert!(signed.verify(&key.verifying_key().to_bytes()));
        assert!(!signed.verify(&SigningKey::from_bytes(&[4; 32]).verifying_key().to_bytes()));
        let mut changed = signed.clone();
        changed.head.seq = 4;
        assert!(!changed.verify(&key.verifying_key().to_bytes()));
    }

    #[test]
    fn a_rollback_and_a_rewrite_are_caught_with_their_evidence() {
        let key = SigningKey::from_bytes(&[3; 32]);
        let at = |epoch, seq, chain| SignedHead::sign(epoch, head(seq, chain), 0, &key);
        let seen = at(7, 5, 1);
        assert_eq!(check(None, &seen), Ok(()));
        assert_eq!(check(Some(&seen), &at(7, 6, 2)), Ok(()), "moving on");
        assert_eq!(check(Some(&seen), &at(8, 5, 2)), Ok(()), "a restart may fold the log into a new base");
        assert!(matches!(check(Some(&seen), &at(8, 4, 1)), Err(HeadError::Rollback(e)) if e.earlier == seen));
        assert!(matches!(check(Some(&seen), &at(7, 5, 2)), Err(HeadError::Fork(e)) if e.earlier == seen));
    }
}
