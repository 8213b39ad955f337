//! The messages of `/souk/sync/1.0.0`, as bytes. Decoding takes untrusted input: every
//! count is checked against what is left, so hostile bytes are an error, never a panic.
//!
//! ```text
//! request:  0 (head) | 1 (chunk) [32] hash | 2 (since) u64 seq
//!         | 3 (offer) bytes to the end: a signed entry its signer hands a peer
//! response: 0 (head) u64 epoch, u64 seq, u64 base_seq, u32 n, n x [32] chunk hash,
//!           [32] chain, u64 time, [64] signature (see [`super::head`])
//!         | 1 (chunk) bytes to the end
//!         | 2 (records) u8 more, u32 n, n x (u32 len, len bytes of a pack record)
//!         | 3 (not found) | 4 (rebase)
//!         | 5 (taken) u8 new | 6 (refused) UTF-8 reason to the end
//! ```
//! Integers are little-endian. Entries travel as their signed bytes and are checked by
//! [`crate::record::Entry::decode`] on arrival.

use alloc::string::String;
use alloc::vec::Vec;

use super::{CHUNK_LEN, Head, SignedHead};
use crate::pack::Digest;
use crate::record::MAX_RECORD_LEN;
use crate::wire::Reader;

/// The largest request, in bytes: an offer of the largest entry.
pub const MAX_REQUEST_LEN: usize = MAX_RECORD_LEN + 1;
/// The longest reason a refused offer carries.
pub const MAX_REASON_LEN: usize = 1024;
/// The most record bytes one `records` answer carries.
pub const MAX_RECORDS_LEN: usize = 1024 * 1024;
/// The largest response, in bytes: a full records answer and its framing.
pub const MAX_RESPONSE_LEN: usize = MAX_RECORDS_LEN + MAX_RECORD_LEN + 1024;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SyncRequest {
    Head,
    Chunk(Digest),
    Since(u64),
    /// Take this entry (an owner's statement): answered `Taken` or `Refused`.
    Offer(Vec<u8>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SyncResponse {
    /// The catalog's head, signed by the serving peer.
    Head(SignedHead),
    Chunk(Vec<u8>),
    /// Records in their signed bytes, oldest first; `more` when there are more after them.
    Records {
        records: Vec<Vec<u8>>,
        more: bool,
    },
    NotFound,
    Rebase,
    /// The offered entry passed every check; `new` if it was not held yet.
    Taken {
        new: bool,
    },
    /// The offered entry was refused, and why.
    Refused(String),
}

/// Why a sync message was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MessageError {
    #[error("sync message is truncated")]
    Truncated,
    #[error("unknown sync message kind {0}")]
    UnknownKind(u8),
    #[error("sync message has {0} bytes too many")]
    TrailingBytes(usize),
    #[error("sync message is over the size limit")]
    TooLarge,
    #[error("sync message text is not UTF-8")]
    NotText,
}

impl From<crate::wire::Truncated> for MessageError {
    fn from(_: crate::wire::Truncated) -> Self {
        MessageError::Truncated
    }
}

impl SyncRequest {
    pub fn encode(&self) -> Vec<u8> {
        match self {
            SyncRequest::Head => alloc::vec![0],
            SyncRequest::Chunk(hash) => [&[1], hash.as_slice()].concat(),
            SyncRequest::Since(seq) => [&[2], seq.to_le_bytes().as_slice()].concat(),
            SyncRequest::Offer(entry) => [&[3], entry.as_slice()].concat(),
        }
    }

    pub fn decode(bytes: &[u8]) -> Result<SyncRequest, MessageError> {
        let mut r = Reader(bytes);
        let request = match r.array::<1>()?[0] {
            0 => SyncRequest::Head,
            1 => SyncRequest::Chunk(r.array()?),
            2 => SyncRequest::Since(r.u64()?),
            3 if bytes.len() > MAX_REQUEST_LEN => return Err(MessageError::TooLarge),
            3 => SyncRequest::Offer(r.take(r.remaining())?.to_vec()),
            kind => return Err(MessageError::UnknownKind(kind)),
        };
        finished(&r)?;
        Ok(request)
    }
}

impl SyncResponse {
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        match self {
            SyncResponse::Head(SignedHead { epoch, head, time, signature }) => {
                out.push(0);
                for n in [*epoch, head.seq, head.base_seq] {
                    out.extend_from_slice(&n.to_le_bytes());
                }
                out.extend_from_slice(&(head.chunks.len() as u32).to_le_bytes());
                head.chunks.iter().for_each(|c| out.extend_from_slice(c));
                out.extend_from_slice(&head.chain);
                out.extend_from_slice(&time.to_le_bytes());
                out.extend_from_slice(signature);
            }
            SyncResponse::Chunk(bytes) => {
                out.push(1);
                out.extend_from_slice(bytes);
            }
            SyncResponse::Records { records, more } => {
                out.extend_from_slice(&[2, u8::from(*more)]);
                out.extend_from_slice(&(records.len() as u32).to_le_bytes());
                for record in records {
                    out.extend_from_slice(&(record.len() as u32).to_le_bytes());
                    out.extend_from_slice(record);
                }
            }
            SyncResponse::NotFound => out.push(3),
            SyncResponse::Rebase => out.push(4),
            SyncResponse::Taken { new } => out.extend_from_slice(&[5, u8::from(*new)]),
            SyncResponse::Refused(reason) => {
                out.push(6);
                // Cut at a character boundary within the limit, so what is sent decodes.
                let end = (0..=reason.len().min(MAX_REASON_LEN)).rev().find(|&i| reason.is_char_boundary(i));
                out.extend_from_slice(&reason.as_bytes()[..end.unwrap_or(0)]);
            }
        }
        out
    }

    pub fn decode(bytes: &[u8]) -> Result<SyncResponse, MessageError> {
        if bytes.len() > MAX_RESPONSE_LEN {
            return Err(MessageError::TooLarge);
        }
        let mut r = Reader(bytes);
        let response = match r.array::<1>()?[0] {
            0 => {
                let (epoch, seq, base_seq) = (r.u64()?, r.u64()?, r.u64()?);
                let n = r.u32()? as usize;
                // Each hash is 32 bytes: a count the input cannot hold is refused up front.
                if n > r.remaining() / 32 {
                    return Err(MessageError::Truncated);
                }
                let chunks = (0..n).map(|_| r.array()).collect::<Result<_, _>>()?;
                let (chain, time, signature) = (r.array()?, r.u64()?, r.array()?);
                SyncResponse::Head(SignedHead {
                    epoch,
                    head: Head { seq, base_seq, chunks, chain },
                    time,
                    signature,
                })
            }
            1 => {
                let chunk = r.take(r.remaining())?;
                if chunk.len() > CHUNK_LEN {
                    return Err(MessageError::TooLarge);
                }
                SyncResponse::Chunk(chunk.to_vec())
            }
            2 => {
                let more = r.array::<1>()?[0] != 0;
                let n = r.u32()? as usize;
                if n > r.remaining() / 4 {
                    return Err(MessageError::Truncated);
                }
                let mut records = Vec::with_capacity(n);
                for _ in 0..n {
                    let len = r.u32()? as usize;
                    if len > MAX_RECORD_LEN {
                        return Err(MessageError::TooLarge);
                    }
                    records.push(r.take(len)?.to_vec());
                }
                SyncResponse::Records { records, more }
            }
            3 => SyncResponse::NotFound,
            4 => SyncResponse::Rebase,
            5 => SyncResponse::Taken { new: r.array::<1>()?[0] != 0 },
            6 => {
                let reason = r.take(r.remaining())?;
                if reason.len() > MAX_REASON_LEN {
                    return Err(MessageError::TooLarge);
                }
                // Strict, not lossy: a lossy reading grows each bad byte to three.
                let reason = core::str::from_utf8(reason).map_err(|_| MessageError::NotText)?;
                SyncResponse::Refused(reason.into())
            }
            kind => return Err(MessageError::UnknownKind(kind)),
        };
        finished(&r)?;
        Ok(response)
    }
}

fn finished(r: &Reader<'_>) -> Result<(), MessageError> {
    match r.remaining() {
        0 => Ok(()),
        n => Err(MessageError::TrailingBytes(n)),
    }
}
