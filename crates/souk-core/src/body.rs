//! A pack's body: its files in one deterministic byte string, and the hash that names it.
//!
//! The same files always give the same bytes (sorted by path, no timestamps, no owners), so
//! the SHA-256 of the body is a content address any peer can check. Layout, all integers
//! little-endian:
//!
//! ```text
//! b"SOUKPACK" | u32 file count | per file: u16 path length, path (UTF-8), u32 size, bytes
//! ```
//!
//! Decoding takes bytes from the network, so it checks every length against what is left,
//! refuses paths that could escape the folder they are unpacked into, and never panics.

use alloc::string::String;
use alloc::vec::Vec;

use sha2::{Digest as _, Sha256};

use crate::pack::Digest;
use crate::wire::{Reader, Truncated};

const MAGIC: &[u8; 8] = b"SOUKPACK";
/// The most files a body may hold.
pub const MAX_FILES: usize = 4096;
/// The longest path a file may have, in bytes.
pub const MAX_PATH_LEN: usize = 1024;

/// One file of a pack, by its relative path (`/`-separated).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackFile {
    pub path: String,
    pub contents: Vec<u8>,
}

/// Why a body was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BodyError {
    #[error("not a pack body (bad magic)")]
    BadMagic,
    #[error("pack body is truncated")]
    Truncated,
    #[error("pack body has {0} trailing bytes")]
    TrailingBytes(usize),
    #[error("pack body has more than {MAX_FILES} files")]
    TooManyFiles,
    #[error("file path {0:?} is not a safe relative path")]
    UnsafePath(String),
    #[error("file path is not UTF-8")]
    PathNotUtf8,
    #[error("file {0:?} appears twice")]
    DuplicatePath(String),
    #[error("file {0:?} is larger than 4 GiB")]
    FileTooLarge(String),
    #[error("files are not in path order")]
    Unordered,
}

/// Whether `path` stays inside the folder it is unpacked into on every platform.
pub fn is_safe_path(path: &str) -> bool {
    !path.is_empty()
        && path.len() <= MAX_PATH_LEN
        && !path.contains(['\\', ':', '\0'])
        && path.split('/').all(|part| !part.is_empty() && part != "." && part != "..")
}

/// Encodes files as a body. Files are sorted by path first, so the order they come in
/// does not change the hash.
pub fn encode(files: &[PackFile]) -> Result<Vec<u8>, BodyError> {
    if files.len() > MAX_FILES {
        return Err(BodyError::TooManyFiles);
    }
    let mut sorted: Vec<&PackFile> = files.iter().collect();
    sorted.sort_by(|a, b| a.path.cmp(&b.path));
    let size = sorted.iter().map(|f| 6 + f.path.len() + f.contents.len()).sum::<usize>();
    let mut out = Vec::with_capacity(12 + size);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&(sorted.len() as u32).to_le_bytes());
    for (i, file) in sorted.iter().enumerate() {
        if !is_safe_path(&file.path) {
            return Err(BodyError::UnsafePath(file.path.clone()));
        }
        if i > 0 && sorted[i - 1].path == file.path {
            return Err(BodyError::DuplicatePath(file.path.clone()));
        }
        let len =
            u32::try_from(file.contents.len()).map_err(|_| BodyError::FileTooLarge(file.path.clone()))?;
        out.extend_from_slice(&(file.path.len() as u16).to_le_bytes());
        out.extend_from_slice(file.path.as_bytes());
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&file.contents);
    }
    Ok(out)
}

/// One file of a body, borrowed from the body's bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileRef<'a> {
    pub path: &'a str,
    pub contents: &'a [u8],
}

/// Decodes a body, checking everything [`encode`] guarantees.
pub fn decode(bytes: &[u8]) -> Result<Vec<PackFile>, BodyError> {
    let files = files(bytes)?;
    Ok(files.into_iter().map(|f| PackFile { path: f.path.into(), contents: f.contents.to_vec() }).collect())
}

/// The files of a body, checked as [`decode`] checks them, in place: what reads one file
/// of a large body without copying the others.
pub fn files(bytes: &[u8]) -> Result<Vec<FileRef<'_>>, BodyError> {
    let mut r = Reader(bytes);
    if r.take(MAGIC.len())? != MAGIC {
        return Err(BodyError::BadMagic);
    }
    let count = r.u32()? as usize;
    if count > MAX_FILES {
        return Err(BodyError::TooManyFiles);
    }
    let mut files: Vec<FileRef<'_>> = Vec::with_capacity(count);
    for _ in 0..count {
        let path_len = usize::from(r.u16()?);
        let path = core::str::from_utf8(r.take(path_len)?).map_err(|_| BodyError::PathNotUtf8)?;
        if !is_safe_path(path) {
            return Err(BodyError::UnsafePath(path.into()));
        }
        if let Some(prev) = files.last() {
            match prev.path.cmp(path) {
                core::cmp::Ordering::Less => {}
                core::cmp::Ordering::Equal => return Err(BodyError::DuplicatePath(path.into())),
                core::cmp::Ordering::Greater => return Err(BodyError::Unordered),
            }
        }
        let size = r.u32()? as usize;
        files.push(FileRef { path, contents: r.take(size)? });
    }
    match r.remaining() {
        0 => Ok(files),
        n => Err(BodyError::TrailingBytes(n)),
    }
}

/// The content hash of a body: its SHA-256.
pub fn content_hash(body: &[u8]) -> Digest {
    Sha256::digest(body).into()
}

impl From<Truncated> for BodyError {
    fn from(_: Truncated) -> Self {
        BodyError::Truncated
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn file(path: &str, contents: &str) -> PackFile {
        PackFile { path: path.into(), contents: contents.as_bytes().to_vec() }
    }

    #[test]
    fn round_trips_and_ignores_input_order() {
        let a = encode(&[file("src/main.rs", "fn main() {}"), file("Cargo.toml", "[package]")]).unwrap();
        let b = encode(&[file("Cargo.toml", "[package]"), file("src/main.rs", "fn main() {}")]).unwrap();
        assert_eq!(a, b);
        assert_eq!(content_hash(&a), content_hash(&b));
        let files = decode(&a).unwrap();
        assert_eq!(files[0].path, "Cargo.toml");
        assert_eq!(files[1].contents, b"fn main() {}");
    }

    #[test]
    fn refuses_paths_that_escape() {
        for path in ["../x", "/etc/passwd", "a/../../b", "a//b", "C:\\x", "", "./a"] {
            assert_eq!(encode(&[file(path, "")]), Err(BodyError::UnsafePath(path.into())), "{path}");
        }
        assert_eq!(encode(&[file("a", "1"), file("a", "2")]), Err(BodyError::DuplicatePath("a".into())));
    }

    #[test]
    fn every_truncation_is_an_error() {
        let body = encode(&[file("a.txt", "hello"), file("b.txt", "world")]).unwrap();
        for len in 0..body.len() {
            assert!(decode(&body[..len]).is_err(), "prefix of {len} bytes decoded");
        }
        let mut longer = body.clone();
        longer.push(0);
        assert_eq!(decode(&longer), Err(BodyError::TrailingBytes(1)));
    }

    #[test]
    fn hostile_headers_are_refused_without_allocating_them() {
        let mut huge = MAGIC.to_vec();
        huge.extend_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(decode(&huge), Err(BodyError::TooManyFiles));
        let mut evil = MAGIC.to_vec();
        evil.extend_from_slice(&1u32.to_le_bytes());
        evil.extend_from_slice(&5u16.to_le_bytes());
        evil.extend_from_slice(b"../up");
        evil.extend_from_slice(&0u32.to_le_bytes());
        assert_eq!(decode(&evil), Err(BodyError::UnsafePath("../up".into())));
        assert_eq!(decode(b"NOTAPACK\0\0\0\0"), Err(BodyError::BadMagic));
    }
}
