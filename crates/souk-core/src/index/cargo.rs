//! cargo's view of an imported row: what the resolver needs beyond a pack's name and
//! requirement pairs (dependency kinds, renames, optional, features, targets, `links`), so
//! a resolution from a snapshot equals one from the crates.io index it was imported from.
//!
//! Each row's data is a span of bytes; every text in it is an id into the index's string
//! table, written as an unsigned LEB128 varint:
//!
//! ```text
//! row := flags [links]  ndeps dep*  nfeatures (name nvalues value*)*
//!        flags: bit 0 links
//! dep := flags name [package] req [target]  nfeatures feature*
//!        flags: bits 0-1 kind (0 normal, 1 build, 2 development), bit 2 optional,
//!        bit 3 default features, bit 4 renamed (a package id follows), bit 5 target
//! ```
//!
//! The row's name, version and checksum come from its columns. A span is read only when
//! the resolver asks for it, and reading it checks everything: a count larger than the
//! bytes left, an id past the table, a flag no writer sets, bytes left over, or more text
//! than [`MAX_EXPANSION`] times the span's length is an error, never a panic, so a hostile
//! snapshot costs memory in proportion to its size. A change to this layout takes new
//! section tags.

use alloc::collections::BTreeMap;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use hashbrown::HashMap;
use semver::{Version, VersionReq};

use crate::pack::Digest;
use crate::resolve::{Dependency, DependencyKind, Summary};
use crate::tables::{Interner, Strings};

/// How many bytes of decoded text and structure one byte of a span may become. A real
/// index stays under 8 (crates.io's largest row, `web-sys`, reads 7.3 KB into 50 KB).
pub const MAX_EXPANSION: usize = 64;

const LINKS: u8 = 1;
const KIND: u8 = 0b11;
const OPTIONAL: u8 = 1 << 2;
const DEFAULT_FEATURES: u8 = 1 << 3;
const RENAMED: u8 = 1 << 4;
const TARGET: u8 = 1 << 5;

/// Why a row could not be read as cargo sees it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{name} {version}: {what}")]
pub struct RowError {
    pub name: String,
    pub version: String,
    pub what: String,
}

/// Requirements parsed once per text: an index holds few distinct ones (3,046 of 215,127
/// dependencies on the large crates.io slice).
#[derive(Debug, Default)]
pub struct ReqCache(HashMap<String, VersionReq>);

/// Writes `summary`'s dependencies, features and `links` as a row's span.
pub(crate) fn encode(summary: &Summary, strings: &mut Interner, out: &mut Vec<u8>) {
    let mut id = |s: &str, out: &mut Vec<u8>| varint(strings.intern(s), out);
    out.push(if summary.links.is_some() { LINKS } else { 0 });
    if let Some(links) = &summary.links {
        id(links, out);
    }
    varint(summary.dependencies.len() as u32, out);
    for d in &summary.dependencies {
        let kind = match d.kind {
            DependencyKind::Normal => 0,
            DependencyKind::Build => 1,
            DependencyKind::Development => 2,
        };
        let renamed = d.name != d.package;
        let flag = |on: bool, bit: u8| if on { bit } else { 0 };
        out.push(
            kind | flag(d.optional, OPTIONAL)
                | flag(d.default_features, DEFAULT_FEATURES)
                | flag(renamed, RENAMED)
                | flag(d.target.is_some(), TARGET),
        );
        id(&d.name, out);
        if renamed {
            id(&d.package, out);
        }
        id(&d.req.to_string(), out);
        if let Some(target) = &d.target {
            id(target, out);
        }
        varint(d.features.len() as u32, out);
        for feature in &d.features {
            id(feature, out);
        }
    }
    varint(summary.features.len() as u32, out);
    for (feature, values) in &summary.features {
        id(feature, out);
        varint(values.len() as u32, out);
        for value in values {
            id(value, out);
        }
    }
}

/// Who a span belongs to, for its errors and its summary.
pub(crate) struct Row<'a> {
    pub name: &'a str,
    pub version: &'a str,
    pub checksum: Option<Digest>,
    pub yanked: bool,
}

impl Row<'_> {
    fn error(&self, what: impl Into<String>) -> RowError {
        RowError { name: self.name.into(), version: self.version.into(), what: what.into() }
    }
}

/// Reads a span written by [`encode`] back into the summary it came from.
pub(crate) fn decode(
    span: &[u8],
    strings: &Strings,
    row: Row<'_>,
    reqs: &mut ReqCache,
) -> Result<Summary, RowError> {
    let version = Version::parse(row.version).map_err(|e| row.error(alloc::format!("bad version: {e}")))?;
    let mut r = SpanReader { span, strings, budget: span.len().saturating_mul(MAX_EXPANSION) };
    let corrupt = |what: &str| row.error(alloc::format!("resolution data is corrupt ({what})"));
    let flags = r.byte().map_err(corrupt)?;
    if flags & !LINKS != 0 {
        return Err(corrupt("unknown flags"));
    }
    let links = if flags & LINKS != 0 { Some(r.text().map_err(corrupt)?) } else { None };
    let count = r.count(4).map_err(corrupt)?;
    let mut dependencies = Vec::with_capacity(count);
    for _ in 0..count {
        let flags = r.byte().map_err(corrupt)?;
        let kind = match flags & KIND {
            0 => DependencyKind::Normal,
            1 => DependencyKind::Build,
            2 => DependencyKind::Development,
            _ => return Err(corrupt("unknown dependency kind")),
        };
        if flags & !(KIND | OPTIONAL | DEFAULT_FEATURES | RENAMED | TARGET) != 0 {
            return Err(corrupt("unknown dependency flags"));
        }
        let name = r.text().map_err(corrupt)?;
        let package = if flags & RENAMED != 0 { r.text().map_err(corrupt)? } else { name.clone() };
        let text = strings.get(r.id().map_err(corrupt)?);
        let req = match reqs.0.get(text) {
            Some(req) => req.clone(),
            None => {
                let req = VersionReq::parse(text)
                    .map_err(|e| row.error(alloc::format!("bad requirement {text:?} for {name}: {e}")))?;
                reqs.0.entry(text.into()).or_insert(req).clone()
            }
        };
        let target = if flags & TARGET != 0 { Some(r.text().map_err(corrupt)?) } else { None };
        let features = r.texts().map_err(corrupt)?;
        r.spend(core::mem::size_of::<Dependency>()).map_err(corrupt)?;
        dependencies.push(Dependency {
            name,
            package,
            req,
            kind,
            optional: flags & OPTIONAL != 0,
            default_features: flags & DEFAULT_FEATURES != 0,
            features,
            target,
        });
    }
    let mut features = BTreeMap::new();
    for _ in 0..r.count(2).map_err(corrupt)? {
        let feature = r.text().map_err(corrupt)?;
        let values = r.texts().map_err(corrupt)?;
        if features.insert(feature, values).is_some() {
            return Err(corrupt("a feature is named twice"));
        }
    }
    if r.span.is_empty() {
        Ok(Summary {
            name: row.name.into(),
            version,
            dependencies,
            features,
            links,
            yanked: row.yanked,
            checksum: row.checksum,
        })
    } else {
        Err(corrupt("bytes left over"))
    }
}

fn varint(mut n: u32, out: &mut Vec<u8>) {
    while n >= 0x80 {
        out.push(n as u8 | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

struct SpanReader<'a> {
    span: &'a [u8],
    strings: &'a Strings,
    /// Bytes of text and structure this span may still become.
    budget: usize,
}

impl SpanReader<'_> {
    fn byte(&mut self) -> Result<u8, &'static str> {
        let (&b, rest) = self.span.split_first().ok_or("cut short")?;
        self.span = rest;
        Ok(b)
    }

    fn varint(&mut self) -> Result<u32, &'static str> {
        let mut n: u32 = 0;
        for shift in (0..35).step_by(7) {
            let b = self.byte()?;
            if shift == 28 && b > 0x0f {
                return Err("a number overflows");
            }
            n |= u32::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok(n);
            }
        }
        Err("a number overflows")
    }

    /// A count of items each at least `min_bytes` long, refused when the span cannot hold
    /// that many, so nothing is allocated for items that are not there.
    fn count(&mut self, min_bytes: usize) -> Result<usize, &'static str> {
        let n = self.varint()? as usize;
        if n.saturating_mul(min_bytes) > self.span.len() {
            return Err("a count is larger than the data");
        }
        Ok(n)
    }

    fn spend(&mut self, bytes: usize) -> Result<(), &'static str> {
        self.budget = self.budget.checked_sub(bytes).ok_or("more text than the data can hold")?;
        Ok(())
    }

    fn id(&mut self) -> Result<u32, &'static str> {
        let id = self.varint()?;
        if id as usize >= self.strings.len() {
            return Err("a text id is past the string table");
        }
        Ok(id)
    }

    fn text(&mut self) -> Result<String, &'static str> {
        let text = self.strings.get(self.id()?);
        self.spend(text.len() + core::mem::size_of::<String>())?;
        Ok(text.into())
    }

    fn texts(&mut self) -> Result<Vec<String>, &'static str> {
        let count = self.count(1)?;
        let mut texts = Vec::with_capacity(count);
        for _ in 0..count {
            texts.push(self.text()?);
        }
        Ok(texts)
    }
}

#[cfg(test)]
mod tests {
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;
    use crate::index::tests::cargo_summary;

    fn encoded() -> (Strings, Vec<u8>) {
        let mut strings = Interner::default();
        let mut span = Vec::new();
        encode(&cargo_summary("zlib-sys", "1.0.0", false), &mut strings, &mut span);
        (strings.finish(), span)
    }

    fn read(span: &[u8], strings: &Strings) -> Result<Summary, RowError> {
        let row = Row { name: "zlib-sys", version: "1.0.0", checksum: Some([5; 32]), yanked: false };
        decode(span, strings, row, &mut ReqCache::default())
    }

    #[test]
    fn a_span_reads_back_as_the_summary_it_was_written_from() {
        let (strings, span) = encoded();
        assert_eq!(read(&span, &strings).unwrap(), cargo_summary("zlib-sys", "1.0.0", false));
    }

    #[test]
    fn every_cut_and_every_flipped_byte_is_an_error_or_a_summary_never_a_panic() {
        let (strings, span) = encoded();
        for cut in 0..span.len() {
            assert!(read(&span[..cut], &strings).is_err(), "cut at {cut}");
        }
        for at in 0..span.len() {
            for bit in 0..8 {
                let mut bad = span.clone();
                bad[at] ^= 1 << bit;
                let _ = read(&bad, &strings);
            }
        }
    }

    #[test]
    fn hostile_spans_are_refused_by_name() {
        let (strings, span) = encoded();
        let refused = |bytes: &[u8], why: &str| {
            let error = read(bytes, &strings).unwrap_err().to_string();
            assert!(error.contains(why), "{error}");
            assert!(error.starts_with("zlib-sys 1.0.0: "), "{error}");
        };
        refused(&[0x80], "unknown flags");
        refused(&[0, 0xff, 0xff, 0xff, 0xff, 0x0f], "a count is larger than the data");
        refused(&[0, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01], "overflows");
        refused(&[0, 1, 3, 0, 0, 0], "unknown dependency kind");
        refused(&[0, 1, 0x40, 0, 0, 0], "unknown dependency flags");
        refused(&[1, 0xff, 0x7f, 0, 0], "past the string table");
        refused(&[span.as_slice(), &[0]].concat(), "bytes left over");
        // One feature named twice.
        refused(&[0, 0, 2, 1, 0, 1, 0], "named twice");
        // A long text repeated from a short span: refused for the text it would make.
        let mut long = Interner::default();
        let id = long.intern(&"x".repeat(1000));
        let mut bomb = alloc::vec![0, 0, 1, id as u8, 200];
        bomb.extend(core::iter::repeat_n(id as u8, 200));
        let long = long.finish();
        let error = read(&bomb, &long).unwrap_err().to_string();
        assert!(error.contains("more text than the data can hold"), "{error}");
    }
}
