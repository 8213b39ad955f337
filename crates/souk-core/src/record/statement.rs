//! Statements: what an owner of a name signs besides its versions. Who else may publish
//! under the name (crates.io's owners) and which versions new resolutions skip (yanks).
//!
//! A statement is self-certifying as a record is, and travels, is kept and is synced the
//! same way ([`super::Entry`]). Layout (little-endian; a text field is a `u16` length and
//! UTF-8):
//!
//! ```text
//! b"SOUKSTM1" | name | u8 kind | kind 1, 2 (add, remove an owner): [32] key
//!                              | kind 3, 4 (yank, undo a yank): version
//!             | u64 serial | [32] signer | [64] signature
//! ```
//!
//! The signature covers every byte before it. The serial orders a name's statements: each
//! must be higher than the last one taken for the name (the CLI uses the time in seconds),
//! so an old statement replayed (an owner added, later removed) changes nothing.

use alloc::string::{String, ToString};
use alloc::vec::Vec;

use ed25519_dalek::{Signer, SigningKey};
use semver::Version;

use super::{RecordError, check_signature, open, put_text, signature_at_end, text};
use crate::name::check_name;
use crate::pack::Digest;
use crate::wire::Reader;

pub(super) const MAGIC: &[u8; 8] = b"SOUKSTM1";
/// The largest statement accepted, in bytes.
pub const MAX_STATEMENT_LEN: usize = 1024;

/// What a statement says about its name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Claim {
    /// This key may publish, yank and change owners too.
    AddOwner(Digest),
    /// This key no longer may; its published versions stay as they are.
    RemoveOwner(Digest),
    /// New resolutions skip this version; a lockfile that names it still installs it.
    Yank(Version),
    /// The version is offered again.
    Unyank(Version),
}

/// A signed statement by (it claims) an owner of `name`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Statement {
    pub name: String,
    pub claim: Claim,
    /// Higher than the serial of every earlier statement about the name.
    pub serial: u64,
    /// The ed25519 public key that signed it.
    pub signer: Digest,
    pub signature: [u8; 64],
}

impl Statement {
    /// Signs a claim about `name` with an ed25519 secret key (deterministic).
    pub fn sign(
        name: &str,
        claim: Claim,
        serial: u64,
        secret_key: &[u8; 32],
    ) -> Result<Statement, RecordError> {
        let key = SigningKey::from_bytes(secret_key);
        let mut statement = Statement {
            name: name.into(),
            claim,
            serial,
            signer: key.verifying_key().to_bytes(),
            signature: [0; 64],
        };
        check_name(&statement.name).map_err(RecordError::Name)?;
        statement.signature = key.sign(&statement.signed_bytes()?).to_bytes();
        Ok(statement)
    }

    pub fn encode(&self) -> Vec<u8> {
        let mut out = self.signed_bytes().expect("a statement is only made from a checked name");
        out.extend_from_slice(&self.signature);
        out
    }

    /// Reads and checks a statement from the network or disk: layout, size, name rule and
    /// signature. Whether its signer owns the name is for [`super::Owners`] to say.
    pub fn decode(bytes: &[u8]) -> Result<Statement, RecordError> {
        let mut r = open(bytes, MAGIC, MAX_STATEMENT_LEN)?;
        let name = text(&mut r)?;
        check_name(&name).map_err(RecordError::Name)?;
        let version = |r: &mut Reader<'_>| {
            let v = text(r)?;
            v.parse().map_err(|_| RecordError::Version(v))
        };
        let claim = match r.array::<1>()?[0] {
            1 => Claim::AddOwner(r.array()?),
            2 => Claim::RemoveOwner(r.array()?),
            3 => Claim::Yank(version(&mut r)?),
            4 => Claim::Unyank(version(&mut r)?),
            kind => return Err(RecordError::UnknownKind(kind)),
        };
        let serial = r.u64()?;
        let signer = r.array::<32>()?;
        let (signed, signature) = signature_at_end(bytes, r)?;
        check_signature(&signer, signed, &signature)?;
        Ok(Statement { name, claim, serial, signer, signature })
    }

    fn signed_bytes(&self) -> Result<Vec<u8>, RecordError> {
        let mut out = MAGIC.to_vec();
        put_text(&mut out, &self.name)?;
        match &self.claim {
            Claim::AddOwner(key) => out.extend([&[1], key.as_slice()].concat()),
            Claim::RemoveOwner(key) => out.extend([&[2], key.as_slice()].concat()),
            Claim::Yank(v) => {
                out.push(3);
                put_text(&mut out, &v.to_string())?;
            }
            Claim::Unyank(v) => {
                out.push(4);
                put_text(&mut out, &v.to_string())?;
            }
        }
        out.extend_from_slice(&self.serial.to_le_bytes());
        out.extend_from_slice(&self.signer);
        if out.len() + 64 > MAX_STATEMENT_LEN {
            return Err(RecordError::TooLarge(out.len() + 64));
        }
        Ok(out)
    }
}
