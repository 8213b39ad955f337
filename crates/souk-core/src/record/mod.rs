//! Pack records: a pack version as its publisher signed it, which every peer checks before
//! it keeps it or passes it on.
//!
//! A record is self-certifying: it carries the manifest, the content hash of the body and
//! the publisher's ed25519 public key (a libp2p ed25519 identity's 32 bytes), signed by that
//! key. Download and star counts are not part of it: peers observe those, publishers do not
//! get to claim them. Layout (little-endian; a text field is a `u16` length and UTF-8):
//!
//! ```text
//! b"SOUKREC1" | name | version | description | u16 n, n tags | category | license
//!             | u16 n, n authors | homepage | u16 n, n (name, requirement) | u64 published
//!             | [32] publisher key | [32] content hash (SHA-256) | [64] signature
//! ```
//!
//! The signature covers every byte before it. [`PackRecord::decode`] checks the layout,
//! the size limit, every manifest rule and the signature; [`PackRecord::check_against`]
//! adds what only a registry knows: a name belongs to the key that first published it,
//! and a published version never changes.

use alloc::string::{String, ToString};
use alloc::vec::Vec;

use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};

use crate::index::{Index, PackRef};
use crate::name::NameRule;
use crate::pack::{Digest, Invalid, Manifest, PackVersion, to_hex};
use crate::wire::{Reader, Truncated};

mod owners;
mod statement;

pub use owners::Owners;
pub use statement::{Claim, MAX_STATEMENT_LEN, Statement};

const MAGIC: &[u8; 8] = b"SOUKREC1";
/// The largest record accepted, in bytes.
pub const MAX_RECORD_LEN: usize = 64 * 1024;

/// A signed pack version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackRecord {
    /// The version, with `publisher` and `content_hash` set; downloads and stars are zero.
    pub pack: PackVersion,
    pub signature: [u8; 64],
}

/// Why a record was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecordError {
    #[error("not a pack record (bad magic)")]
    BadMagic,
    #[error("pack record is truncated")]
    Truncated,
    #[error("pack record has {0} trailing bytes")]
    TrailingBytes(usize),
    #[error("pack record is {0} bytes; the limit is {MAX_RECORD_LEN}")]
    TooLarge(usize),
    #[error("a text field of the record is not UTF-8")]
    NotUtf8,
    #[error("record version {0:?} is not semver")]
    Version(String),
    #[error("record requirement {0:?} is not a semver requirement")]
    Requirement(String),
    #[error("the record breaks the manifest rules: {0}")]
    Invalid(Invalid),
    #[error("a record needs the content hash of its body")]
    MissingContentHash,
    #[error("the publisher key is not a valid ed25519 key")]
    BadKey,
    #[error("the signature does not match the record and its publisher key")]
    BadSignature,
    #[error("{name} belongs to other publishers ({owners})")]
    NameOwned { name: String, owners: String },
    #[error("{name} {version} is already published with different contents")]
    VersionExists { name: String, version: String },
    #[error("{name} is imported from another registry: its name is reserved there, not free to publish here")]
    Reserved { name: String },
    #[error("the index lists it without its publisher's signature")]
    Unsigned,
    #[error("the index lists versions of {name} from {} publishers ({}), not all of them its owners", owners.len(), owners.join(", "))]
    ContestedName { name: String, owners: Vec<String> },
    #[error("the name {0}")]
    Name(NameRule),
    #[error("unknown statement kind {0}")]
    UnknownKind(u8),
    #[error("{signer} is not an owner of {name}")]
    NotOwner { name: String, signer: String },
    #[error(
        "a statement about {name} numbered {serial} came after number {last}: old statements cannot be replayed"
    )]
    Stale { name: String, serial: u64, last: u64 },
    #[error("{name} would be left without an owner")]
    LastOwner { name: String },
    #[error("{key} is not an owner of {name}")]
    NotAnOwner { name: String, key: String },
    #[error("no pack named {name} is known here")]
    UnknownName { name: String },
    #[error("{name} has no version {version}")]
    UnknownVersion { name: String, version: String },
    #[error("the base says another key imported its names from another registry")]
    ImporterChanged,
    #[error("its publisher's key brought more new entries than its quota allows; try again later")]
    OverQuota,
}

impl From<Truncated> for RecordError {
    fn from(_: Truncated) -> Self {
        RecordError::Truncated
    }
}

impl PackRecord {
    /// Signs `pack` with the publisher's ed25519 secret key (deterministic: no randomness
    /// needed). The pack must pass the manifest rules and carry its content hash.
    pub fn sign(mut pack: PackVersion, secret_key: &[u8; 32]) -> Result<PackRecord, RecordError> {
        let key = SigningKey::from_bytes(secret_key);
        pack.publisher = Some(key.verifying_key().to_bytes());
        pack.downloads = 0;
        pack.stars = 0;
        check_rules(&pack)?;
        let signed = signed_bytes(&pack)?;
        Ok(PackRecord { signature: key.sign(&signed).to_bytes(), pack })
    }

    pub fn encode(&self) -> Vec<u8> {
        let mut out = signed_bytes(&self.pack).expect("a record is only made from a checked pack");
        out.extend_from_slice(&self.signature);
        out
    }

    /// Reads and checks a record from the network or disk.
    pub fn decode(bytes: &[u8]) -> Result<PackRecord, RecordError> {
        let mut r = open(bytes, MAGIC, MAX_RECORD_LEN)?;
        let name = text(&mut r)?;
        let version = text(&mut r)?;
        let description = text(&mut r)?;
        let tags = texts(&mut r)?;
        let category = text(&mut r)?;
        let license = text(&mut r)?;
        let authors = texts(&mut r)?;
        let homepage = text(&mut r)?;
        let count = r.u16()?;
        let mut dependencies = Vec::new();
        for _ in 0..count {
            let name = text(&mut r)?;
            let req = text(&mut r)?;
            let req = req.parse().map_err(|_| RecordError::Requirement(req))?;
            dependencies.push(crate::pack::Dependency { name, req });
        }
        let published = r.u64()?;
        let publisher = r.array::<32>()?;
        let content_hash = r.array::<32>()?;
        let (signed, signature) = signature_at_end(bytes, r)?;
        let pack = PackVersion {
            version: version.parse().map_err(|_| RecordError::Version(version))?,
            name,
            description,
            tags,
            category,
            license,
            authors,
            homepage,
            dependencies,
            downloads: 0,
            stars: 0,
            published,
            publisher: Some(publisher),
            content_hash: Some(content_hash),
        };
        check_rules(&pack)?;
        check_signature(&publisher, signed, &signature)?;
        Ok(PackRecord { pack, signature })
    }

    /// Checks a record made in memory as [`PackRecord::decode`] checks one read from bytes:
    /// the size limit, every manifest rule and the signature.
    pub fn verify(&self) -> Result<(), RecordError> {
        check_rules(&self.pack)?;
        let signed = signed_bytes(&self.pack)?;
        if signed.len() + self.signature.len() > MAX_RECORD_LEN {
            return Err(RecordError::TooLarge(signed.len() + self.signature.len()));
        }
        let publisher = self.pack.publisher.ok_or(RecordError::BadKey)?;
        check_signature(&publisher, &signed, &self.signature)
    }

    /// The signed record an index row was made from, checked again on this peer: signature,
    /// every manifest rule, and every version of the name the index lists published by one
    /// of its owners (as the signed statements the index holds say).
    /// An install trusts a row only through this, so an index served by a hostile relay can
    /// hide versions but cannot point a name at bytes its publisher did not sign.
    pub fn from_row(index: &Index, row: PackRef<'_>) -> Result<PackRecord, RecordError> {
        Claimed::from_row(index, row)?.verify()
    }

    /// The registry's rules: the name is free or one of its owners' ([`Owners`]), and this
    /// version is new or exactly what was published before. A name the index lists from
    /// another registry (a row with no publisher) is reserved: the first key to publish
    /// `react` does not take npm's `react`; only the key that imported it can grant it.
    pub fn check_against(&self, index: &Index) -> Result<(), RecordError> {
        let p = &self.pack;
        let versions = index.versions_of(&p.name);
        if !versions.is_empty() {
            let owners = Owners::of(index, &p.name);
            if !p.publisher.is_some_and(|key| owners.is_owner(&key)) {
                return Err(match owners.imported {
                    true => RecordError::Reserved { name: p.name.clone() },
                    false => RecordError::NameOwned { name: p.name.clone(), owners: owners.names() },
                });
            }
        }
        let version = p.version.to_string();
        match versions.map(|r| index.get(r)).find(|r| r.version() == version) {
            Some(old) if old.content_hash() != p.content_hash.as_ref() => {
                Err(RecordError::VersionExists { name: p.name.clone(), version })
            }
            _ => Ok(()),
        }
    }
}

/// A record rebuilt from an index row, with every check but its signature done (the rules,
/// every publisher of the name one of its owners). The signature, the costly part, can then be checked while
/// the body is on its way; the record itself comes only out of [`Claimed::verify`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claimed {
    record: PackRecord,
    /// This process checked the row's signature when it arrived ([`PackRef::is_checked`]).
    checked: bool,
}

impl Claimed {
    pub fn from_row(index: &Index, row: PackRef<'_>) -> Result<Claimed, RecordError> {
        let signature = *row.signature().ok_or(RecordError::Unsigned)?;
        let mut pack = row.to_version().map_err(|_| RecordError::Version(row.version().into()))?;
        (pack.downloads, pack.stars) = (0, 0);
        check_rules(&pack)?;
        let mut publishers: Vec<Digest> =
            index.versions_of(row.name()).filter_map(|r| index.get(r).publisher().copied()).collect();
        publishers.sort_unstable();
        publishers.dedup();
        let owners = Owners::of(index, row.name());
        if publishers.iter().any(|key| !owners.ever.contains(key)) {
            let name = row.name().into();
            return Err(RecordError::ContestedName { name, owners: publishers.iter().map(to_hex).collect() });
        }
        Ok(Claimed { record: PackRecord { pack, signature }, checked: row.is_checked() })
    }

    /// What the row claims, not yet known to be signed.
    pub fn pack(&self) -> &PackVersion {
        &self.record.pack
    }

    /// The record, once its signature checks out (now, or when it arrived on this peer).
    pub fn verify(self) -> Result<PackRecord, RecordError> {
        if !self.checked {
            self.record.verify()?;
        }
        Ok(self.record)
    }
}

/// One entry of a catalog's log: a pack version or a statement about a name, each signed.
// Records are nearly every entry: boxing them to shrink the rare statement would cost an
// allocation per record.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    Record(PackRecord),
    Statement(Statement),
}

impl Entry {
    /// Reads and checks a record or a statement, by its magic.
    pub fn decode(bytes: &[u8]) -> Result<Entry, RecordError> {
        match bytes.get(..statement::MAGIC.len()) {
            Some(magic) if magic == statement::MAGIC => Statement::decode(bytes).map(Entry::Statement),
            _ => PackRecord::decode(bytes).map(Entry::Record),
        }
    }

    pub fn encode(&self) -> Vec<u8> {
        match self {
            Entry::Record(r) => r.encode(),
            Entry::Statement(s) => s.encode(),
        }
    }

    /// The pack name it is about.
    pub fn name(&self) -> &str {
        match self {
            Entry::Record(r) => &r.pack.name,
            Entry::Statement(s) => &s.name,
        }
    }

    /// The key that signed it.
    pub fn signer(&self) -> Digest {
        match self {
            Entry::Record(r) => r.pack.publisher.unwrap_or_default(),
            Entry::Statement(s) => s.signer,
        }
    }

    /// When it was signed (Unix seconds; a statement's serial): the order a peer replays
    /// what it stored in, so a version follows the statement that made its publisher an owner.
    pub fn time(&self) -> u64 {
        match self {
            Entry::Record(r) => r.pack.published,
            Entry::Statement(s) => s.serial,
        }
    }

    /// Where a store keeps it: one key per version, one per serial of a name's statements.
    pub fn key(&self) -> String {
        match self {
            Entry::Record(r) => alloc::format!("{}\0{}", r.pack.name, r.pack.version),
            Entry::Statement(s) => alloc::format!("{}\0!{}", s.name, s.serial),
        }
    }

    /// Whether an index takes it ([`PackRecord::check_against`], [`Statement::check_against`]).
    pub fn check_against(&self, index: &Index) -> Result<(), RecordError> {
        match self {
            Entry::Record(r) => r.check_against(index),
            Entry::Statement(s) => s.check_against(index),
        }
    }
}

impl From<PackRecord> for Entry {
    fn from(record: PackRecord) -> Entry {
        Entry::Record(record)
    }
}

impl From<Statement> for Entry {
    fn from(statement: Statement) -> Entry {
        Entry::Statement(statement)
    }
}

/// A signed message's reader, once its size and its magic are checked.
fn open<'a>(bytes: &'a [u8], magic: &[u8], max_len: usize) -> Result<Reader<'a>, RecordError> {
    if bytes.len() > max_len {
        return Err(RecordError::TooLarge(bytes.len()));
    }
    let mut r = Reader(bytes);
    if r.take(magic.len())? != magic {
        return Err(RecordError::BadMagic);
    }
    Ok(r)
}

/// The signature that ends a signed message, which must be its last bytes, and the bytes
/// it signs (everything before it).
fn signature_at_end<'a>(bytes: &'a [u8], mut r: Reader<'_>) -> Result<(&'a [u8], [u8; 64]), RecordError> {
    let signed = &bytes[..bytes.len() - r.remaining()];
    let signature = r.array::<64>()?;
    match r.remaining() {
        0 => Ok((signed, signature)),
        n => Err(RecordError::TrailingBytes(n)),
    }
}

fn check_signature(publisher: &[u8; 32], signed: &[u8], signature: &[u8; 64]) -> Result<(), RecordError> {
    let key = VerifyingKey::from_bytes(publisher).map_err(|_| RecordError::BadKey)?;
    key.verify(signed, &Signature::from_bytes(signature)).map_err(|_| RecordError::BadSignature)
}

/// Every manifest rule, plus the hash a record must carry.
fn check_rules(pack: &PackVersion) -> Result<(), RecordError> {
    if pack.content_hash.is_none() {
        return Err(RecordError::MissingContentHash);
    }
    let manifest = Manifest {
        name: pack.name.clone(),
        version: pack.version.to_string(),
        description: pack.description.clone(),
        tags: pack.tags.clone(),
        category: pack.category.clone(),
        license: pack.license.clone(),
        authors: pack.authors.clone(),
        homepage: pack.homepage.clone(),
        dependencies: pack.dependencies.iter().map(|d| (d.name.clone(), d.req.to_string())).collect(),
    };
    manifest.validate().map(drop).map_err(RecordError::Invalid)
}

fn signed_bytes(p: &PackVersion) -> Result<Vec<u8>, RecordError> {
    let mut out = MAGIC.to_vec();
    let version = p.version.to_string();
    for field in [&p.name, &version, &p.description] {
        put_text(&mut out, field)?;
    }
    put_texts(&mut out, &p.tags)?;
    put_text(&mut out, &p.category)?;
    put_text(&mut out, &p.license)?;
    put_texts(&mut out, &p.authors)?;
    put_text(&mut out, &p.homepage)?;
    put_len(&mut out, p.dependencies.len())?;
    for d in &p.dependencies {
        put_text(&mut out, &d.name)?;
        put_text(&mut out, &d.req.to_string())?;
    }
    out.extend_from_slice(&p.published.to_le_bytes());
    out.extend_from_slice(&p.publisher.ok_or(RecordError::BadKey)?);
    out.extend_from_slice(&p.content_hash.ok_or(RecordError::MissingContentHash)?);
    if out.len() + 64 > MAX_RECORD_LEN {
        return Err(RecordError::TooLarge(out.len() + 64));
    }
    Ok(out)
}

fn put_len(out: &mut Vec<u8>, n: usize) -> Result<(), RecordError> {
    let n = u16::try_from(n).map_err(|_| RecordError::TooLarge(n))?;
    out.extend_from_slice(&n.to_le_bytes());
    Ok(())
}

fn put_text(out: &mut Vec<u8>, s: &str) -> Result<(), RecordError> {
    put_len(out, s.len())?;
    out.extend_from_slice(s.as_bytes());
    Ok(())
}

fn put_texts(out: &mut Vec<u8>, items: &[String]) -> Result<(), RecordError> {
    put_len(out, items.len())?;
    items.iter().try_for_each(|s| put_text(out, s))
}

fn text(r: &mut Reader<'_>) -> Result<String, RecordError> {
    let len = usize::from(r.u16()?);
    let bytes = r.take(len)?;
    core::str::from_utf8(bytes).map(ToString::to_string).map_err(|_| RecordError::NotUtf8)
}

fn texts(r: &mut Reader<'_>) -> Result<Vec<String>, RecordError> {
    let count = r.u16()?;
    (0..count).map(|_| text(r)).collect()
}

#[cfg(test)]
mod tests;
