//! The registry index: every known pack version in a compact, immutable, columnar form.
//!
//! Records are sorted by folded name (then exact name), then by version, so the versions of one pack are
//! adjacent and a name is found by binary search. Each column is a flat vector (string ids
//! into one interned table, or numbers), so there is no heap object per record, and the
//! [snapshot](snapshot) is those vectors written out as they are.

mod cargo;
pub(crate) mod merge;
pub(crate) mod search;
mod snapshot;

use alloc::string::ToString;
use alloc::vec::Vec;
use core::cmp::Ordering;
use core::ops::Range;

use crate::tables::{Blobs, Column, Interner, Lists, Strings};
pub use cargo::{MAX_EXPANSION, ReqCache, RowError};
pub use snapshot::{FORMAT_VERSION, SnapshotError};

use crate::name::{cmp_folded, eq_folded, one_edit_apart};
use crate::pack::{Dependency, Digest, PackVersion};
use crate::record::{Entry, PackRecord, Statement};
use crate::resolve::{DependencyKind, Summary};
use search::SearchIndex;

/// How many of the most downloaded packs a new name may not be one edit away from.
pub const POPULAR: usize = 1000;

/// The id of an absent digest (a publisher key or content hash imported metadata lacks).
const NO_DIGEST: u32 = u32::MAX;

/// An immutable registry index. Build one with [`IndexBuilder`] or load a snapshot with
/// [`Index::from_snapshot`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Index {
    strings: Strings,
    digests: Column<Digest>,
    name: Column<u32>,
    version: Column<u32>,
    description: Column<u32>,
    license: Column<u32>,
    category: Column<u32>,
    homepage: Column<u32>,
    publisher: Column<u32>,
    content_hash: Column<u32>,
    downloads: Column<u64>,
    stars: Column<u32>,
    published: Column<u64>,
    tags: Lists,
    authors: Lists,
    /// Flattened `(name, requirement)` string-id pairs.
    dependencies: Lists,
    /// cargo's view of each row imported with one ([`cargo`]'s spans): empty when no row
    /// has one, else a span per row, empty for a row without (a Souk pack, an npm row).
    cargo: Blobs,
    /// Versions their source registry yanked, kept only so a lockfile that names one can
    /// keep it: not rows, so nothing that lists, searches or installs meets them. In row
    /// order (folded name, name, version), each with a checksum (a digest id) and a span.
    yanked_name: Column<u32>,
    yanked_version: Column<u32>,
    yanked_checksum: Column<u32>,
    yanked_cargo: Blobs,
    /// The rows that came from a signed record, ascending, and each one's signature: what
    /// lets a peer check a row it is about to install, whoever served the index.
    signed_rows: Column<u32>,
    signatures: Column<Signature>,
    /// The signed rows whose signature this process checked itself (records that arrived
    /// in a catalog's log). Never written to a snapshot: a loaded index has none.
    checked_rows: CheckedRows,
    /// Signed statements about names (owners, yanks), by name then serial.
    statements: Vec<Statement>,
    /// The key that imported the rows no one signed: the first owner of their names.
    importer: Option<Digest>,
    pub(crate) search: SearchIndex,
}

/// Rows, ascending, whose signature this process checked: what this process knows, not what
/// the index says, so two indexes of the same rows are equal whatever each one checked.
#[derive(Debug, Clone, Default)]
struct CheckedRows(Vec<u32>);

impl PartialEq for CheckedRows {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Eq for CheckedRows {}

/// An ed25519 signature, as a [`crate::record::PackRecord`] carries it.
pub type Signature = [u8; 64];

impl Index {
    /// How many pack versions the index holds.
    pub fn len(&self) -> usize {
        self.name.len()
    }

    pub fn is_empty(&self) -> bool {
        self.name.is_empty()
    }

    /// The record at `record`, which must be below [`Index::len`].
    pub fn get(&self, record: usize) -> PackRef<'_> {
        assert!(record < self.len(), "record {record} out of range");
        PackRef { index: self, record }
    }

    /// Every record, in index order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = PackRef<'_>> {
        (0..self.len()).map(|record| PackRef { index: self, record })
    }

    /// The bytes the index holds in memory: every column and the search index. (A loaded
    /// snapshot costs this much; the snapshot's own bytes can be dropped after loading.)
    pub fn memory_bytes(&self) -> usize {
        use core::mem::size_of_val as size;
        let columns = [
            &self.name,
            &self.version,
            &self.description,
            &self.license,
            &self.category,
            &self.homepage,
            &self.publisher,
            &self.content_hash,
            &self.stars,
        ];
        self.strings.memory_bytes()
            + size(&self.digests[..])
            + columns.iter().map(|c| size(&c[..])).sum::<usize>()
            + size(&self.downloads[..])
            + size(&self.published[..])
            + self.tags.memory_bytes()
            + self.authors.memory_bytes()
            + self.dependencies.memory_bytes()
            + self.cargo.memory_bytes()
            + size(&self.yanked_name[..]) * 3
            + self.yanked_cargo.memory_bytes()
            + size(&self.signed_rows[..])
            + size(&self.signatures[..])
            + size(&self.statements[..])
            + self.search.memory_bytes()
    }

    /// The records of every version of the pack called `name`, oldest first.
    ///
    /// Names are looked up folded. Imported registries may hold distinct packs whose names
    /// fold alike (npm has both `CBuffer` and `cbuffer`); then the exact spelling wins,
    /// and failing that the first spelling in index order.
    pub fn versions_of(&self, name: &str) -> Range<usize> {
        let Range { start, end } = self.folded_group(name);
        let group = &self.name[start..end];
        if group.first() == group.last() {
            return start..end;
        }
        let exact = |i: &u32| self.str(*i).cmp(name);
        let from = group.partition_point(|i| exact(i) == Ordering::Less);
        let to = from + group[from..].partition_point(|i| exact(i) == Ordering::Equal);
        if from < to {
            start + from..start + to
        } else {
            start..start + group.partition_point(|i| *i == group[0])
        }
    }

    /// The rows of every pack whose name folds as `name` does, every spelling.
    fn folded_group(&self, name: &str) -> Range<usize> {
        let folded = |i: &u32| cmp_folded(self.str(*i), name);
        let start = self.name.partition_point(|i| folded(i) == Ordering::Less);
        start..start + self.name[start..].partition_point(|i| folded(i) == Ordering::Equal)
    }

    /// A popular pack (one of the [`POPULAR`] most downloaded) whose name is one edit from
    /// `name`, when `name` is not popular itself: what a name that looks like a typo of it
    /// would pass for (`reqeusts` for `requests`; `preact` and `react` are both popular).
    pub fn popular_lookalike(&self, name: &str) -> Option<PackRef<'_>> {
        let mut latest: Vec<usize> =
            (0..self.len()).filter(|&r| self.is_latest(r) && self.downloads[r] > 0).collect();
        if latest.len() > POPULAR {
            latest.select_nth_unstable_by_key(POPULAR, |&r| core::cmp::Reverse(self.downloads[r]));
            latest.truncate(POPULAR);
        }
        let popular = || latest.iter().map(|&r| self.get(r));
        if popular().any(|p| eq_folded(p.name(), name)) {
            return None;
        }
        popular().find(|p| one_edit_apart(p.name(), name))
    }

    /// The signed statements about `name`, oldest first (what [`crate::record::Owners`]
    /// replays).
    /// A statement counts under every spelling of its name, as a record does.
    pub fn statements_of(&self, name: &str) -> &[Statement] {
        if self.versions_of(name).is_empty() {
            return &[];
        }
        let start = self.statements.partition_point(|s| cmp_folded(&s.name, name) == Ordering::Less);
        let len = self.statements[start..].partition_point(|s| eq_folded(&s.name, name));
        &self.statements[start..start + len]
    }

    /// Every statement, by name then serial.
    pub fn statements(&self) -> &[Statement] {
        &self.statements
    }

    /// The key that imported the rows no one signed, if one is known.
    pub fn importer(&self) -> Option<&Digest> {
        self.importer.as_ref()
    }

    /// The newest version of `name`, if the index knows the pack.
    pub fn latest(&self, name: &str) -> Option<PackRef<'_>> {
        self.versions_of(name).last().map(|record| self.get(record))
    }

    /// Whether `record` is the newest version of its pack: what lists and searches show.
    /// (Names are interned, so one pack's records share a name id.)
    pub fn is_latest(&self, record: usize) -> bool {
        self.name.get(record + 1) != Some(&self.name[record])
    }

    /// Whether any row carries cargo's view of it ([`PackRef::cargo`]).
    pub fn has_cargo_data(&self) -> bool {
        !self.cargo.ends.is_empty()
    }

    /// The versions of `name`, spelled exactly so, that its source registry yanked: kept
    /// for lockfiles only, never rows.
    pub fn yanked_of(&self, name: &str) -> impl Iterator<Item = Yanked<'_>> {
        let key = |i: &u32| cmp_folded(self.str(*i), name).then_with(|| self.str(*i).cmp(name));
        let start = self.yanked_name.partition_point(|i| key(i) == Ordering::Less);
        let end = start + self.yanked_name[start..].partition_point(|i| key(i) == Ordering::Equal);
        (start..end).map(|entry| Yanked { index: self, entry })
    }

    /// Every yanked version ([`Index::yanked_of`]), in row order.
    pub fn yanked(&self) -> impl ExactSizeIterator<Item = Yanked<'_>> {
        (0..self.yanked_name.len()).map(|entry| Yanked { index: self, entry })
    }

    fn str(&self, id: u32) -> &str {
        self.strings.get(id)
    }

    /// Row `record`'s name, as bytes (not checked as UTF-8 again).
    fn name_bytes(&self, record: usize) -> &[u8] {
        self.strings.bytes(self.name[record])
    }
}

/// A version its source registry yanked ([`Index::yanked_of`]).
#[derive(Debug, Clone, Copy)]
pub struct Yanked<'a> {
    index: &'a Index,
    entry: usize,
}

impl<'a> Yanked<'a> {
    /// Its place among the index's yanked versions ([`Index::yanked`]).
    pub fn entry(&self) -> usize {
        self.entry
    }
    pub fn name(&self) -> &'a str {
        self.index.str(self.index.yanked_name[self.entry])
    }
    pub fn version(&self) -> &'a str {
        self.index.str(self.index.yanked_version[self.entry])
    }
    /// The version as the resolver sees it, flagged yanked.
    pub fn cargo(&self, reqs: &mut ReqCache) -> Result<Summary, RowError> {
        let index = self.index;
        let row = cargo::Row {
            name: self.name(),
            version: self.version(),
            checksum: index.digests.get(index.yanked_checksum[self.entry] as usize).copied(),
            yanked: true,
        };
        cargo::decode(index.yanked_cargo.get(self.entry), &index.strings, row, reqs)
    }
}

/// A borrowed view of one record.
#[derive(Debug, Clone, Copy)]
pub struct PackRef<'a> {
    index: &'a Index,
    record: usize,
}

impl<'a> PackRef<'a> {
    /// The record's position in the index.
    pub fn record(&self) -> usize {
        self.record
    }
    pub fn name(&self) -> &'a str {
        self.text(&self.index.name)
    }
    /// The version as written; it parsed as semver when the index was built.
    pub fn version(&self) -> &'a str {
        self.text(&self.index.version)
    }
    pub fn description(&self) -> &'a str {
        self.text(&self.index.description)
    }
    pub fn license(&self) -> &'a str {
        self.text(&self.index.license)
    }
    pub fn category(&self) -> &'a str {
        self.text(&self.index.category)
    }
    pub fn homepage(&self) -> &'a str {
        self.text(&self.index.homepage)
    }
    pub fn downloads(&self) -> u64 {
        self.index.downloads[self.record]
    }
    pub fn stars(&self) -> u32 {
        self.index.stars[self.record]
    }
    pub fn published(&self) -> u64 {
        self.index.published[self.record]
    }
    pub fn publisher(&self) -> Option<&'a Digest> {
        self.digest(&self.index.publisher)
    }
    pub fn content_hash(&self) -> Option<&'a Digest> {
        self.digest(&self.index.content_hash)
    }
    /// The publisher's signature, when the row came from a signed record.
    pub fn signature(&self) -> Option<&'a Signature> {
        let at = self.index.signed_rows.binary_search(&(self.record as u32)).ok()?;
        self.index.signatures.get(at)
    }
    /// Whether this process checked the row's signature itself (it came in a catalog's
    /// log, decoded from the wire or the store), so checking it again would tell nothing.
    pub fn is_checked(&self) -> bool {
        self.index.checked_rows.0.binary_search(&(self.record as u32)).is_ok()
    }
    pub fn tags(&self) -> impl ExactSizeIterator<Item = &'a str> + 'a {
        self.list(&self.index.tags)
    }
    pub fn authors(&self) -> impl ExactSizeIterator<Item = &'a str> + 'a {
        self.list(&self.index.authors)
    }
    /// `(name, requirement)` pairs, as published.
    pub fn dependencies(&self) -> impl ExactSizeIterator<Item = (&'a str, &'a str)> + 'a {
        let index = self.index;
        index
            .dependencies
            .get(self.record)
            .chunks_exact(2)
            .map(move |pair| (index.str(pair[0]), index.str(pair[1])))
    }

    /// The row as cargo's resolver sees it, when it was imported with that view (a
    /// crates.io index line): `None` for a row without. It fails only for a snapshot that is
    /// corrupt in a way loading does not see (a span is read when it is asked for).
    pub fn cargo(&self, reqs: &mut ReqCache) -> Option<Result<Summary, RowError>> {
        let index = self.index;
        let span = (!index.cargo.ends.is_empty()).then(|| index.cargo.get(self.record))?;
        let row = cargo::Row {
            name: self.name(),
            version: self.version(),
            checksum: self.content_hash().copied(),
            yanked: false,
        };
        (!span.is_empty()).then(|| cargo::decode(span, &index.strings, row, reqs))
    }

    /// The row as the resolver sees it: its cargo view ([`PackRef::cargo`]) where it has
    /// one, else its name and requirement pairs ([`Summary::from_pack`]).
    pub fn summary(&self, reqs: &mut ReqCache) -> Result<Summary, RowError> {
        self.cargo(reqs).unwrap_or_else(|| {
            self.to_version().map(|pack| Summary::from_pack(&pack)).map_err(|e| RowError {
                name: self.name().into(),
                version: self.version().into(),
                what: e.to_string(),
            })
        })
    }

    /// An owned copy of the record. It fails only for a snapshot whose version or
    /// requirement text does not parse, which no snapshot this crate wrote holds.
    pub fn to_version(&self) -> Result<PackVersion, semver::Error> {
        Ok(PackVersion {
            name: self.name().into(),
            version: self.version().parse()?,
            description: self.description().into(),
            tags: self.tags().map(Into::into).collect(),
            category: self.category().into(),
            license: self.license().into(),
            authors: self.authors().map(Into::into).collect(),
            homepage: self.homepage().into(),
            dependencies: self
                .dependencies()
                .map(|(name, req)| Ok(Dependency { name: name.into(), req: req.parse()? }))
                .collect::<Result<_, semver::Error>>()?,
            downloads: self.downloads(),
            stars: self.stars(),
            published: self.published(),
            publisher: self.publisher().copied(),
            content_hash: self.content_hash().copied(),
        })
    }

    fn text(&self, column: &[u32]) -> &'a str {
        self.index.str(column[self.record])
    }
    fn digest(&self, column: &[u32]) -> Option<&'a Digest> {
        self.index.digests.get(column[self.record] as usize)
    }
    fn list(&self, lists: &'a Lists) -> impl ExactSizeIterator<Item = &'a str> + 'a {
        let index = self.index;
        lists.get(self.record).iter().map(move |&id| index.str(id))
    }
}

/// Why pack versions could not be built into an index.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BuildError {
    #[error("{name} {version} appears twice")]
    Duplicate { name: alloc::string::String, version: alloc::string::String },
    #[error("the index would exceed 4 GiB of {0}")]
    TooLarge(&'static str),
}

/// Collects pack versions and builds an [`Index`]. The same set of versions always builds
/// the same index, and so the same snapshot bytes, whatever order they were pushed in.
#[derive(Debug, Default)]
pub struct IndexBuilder {
    packs: Vec<Pending>,
    /// Versions their source registry yanked ([`Index::yanked_of`]).
    yanked: Vec<Summary>,
    statements: Vec<Statement>,
    importer: Option<Digest>,
}

/// A row to be.
#[derive(Debug)]
struct Pending {
    pack: PackVersion,
    signature: Option<Signature>,
    /// Whether this process checked the signature.
    checked: bool,
    /// cargo's view of it (unsigned rows only: a signature covers the pack alone).
    cargo: Option<Summary>,
}

impl IndexBuilder {
    /// A builder with room for `packs` versions: a rebuild knows how many, and growing
    /// by doubling copied every version several times (wasm cannot grow a block in place).
    pub fn with_capacity(packs: usize) -> Self {
        IndexBuilder { packs: Vec::with_capacity(packs), ..IndexBuilder::default() }
    }

    /// Adds a version no one signed (imported metadata, a local pack): listed, never installed.
    pub fn push(&mut self, pack: PackVersion) {
        self.packs.push(Pending { pack, signature: None, checked: false, cargo: None });
    }

    /// Adds a version of another registry as cargo sees it (a crates.io index line): a row
    /// no one signed, listed with its normal dependencies and its checksum, that resolves
    /// as cargo resolves it ([`PackRef::cargo`]); or, yanked, kept for lockfiles only.
    pub fn push_cargo(&mut self, summary: Summary) {
        if summary.yanked {
            return self.yanked.push(summary);
        }
        let mut dependencies: Vec<Dependency> = Vec::new();
        for d in summary.dependencies.iter().filter(|d| d.kind == DependencyKind::Normal) {
            if !dependencies.iter().any(|p| p.name == d.package && p.req == d.req) {
                dependencies.push(Dependency { name: d.package.clone(), req: d.req.clone() });
            }
        }
        let pack = PackVersion {
            name: summary.name.clone(),
            version: summary.version.clone(),
            description: Default::default(),
            tags: Vec::new(),
            category: Default::default(),
            license: Default::default(),
            authors: Vec::new(),
            homepage: Default::default(),
            dependencies,
            downloads: 0,
            stars: 0,
            published: 0,
            publisher: None,
            content_hash: summary.checksum,
        };
        self.packs.push(Pending { pack, signature: None, checked: false, cargo: Some(summary) });
    }

    /// Adds a signed record, keeping its signature so the row can be checked again later.
    pub fn push_record(&mut self, record: PackRecord) {
        self.packs.push(Pending {
            pack: record.pack,
            signature: Some(record.signature),
            checked: false,
            cargo: None,
        });
    }

    /// Adds an entry of a catalog's log, which this process decoded from the wire or the
    /// store, or verified: a record's signature counts as checked (an install takes its row
    /// without checking it again), a statement is kept as [`IndexBuilder::push_statement`].
    pub(crate) fn push_entry(&mut self, entry: Entry) {
        match entry {
            Entry::Record(record) => self.packs.push(Pending {
                pack: record.pack,
                signature: Some(record.signature),
                checked: true,
                cargo: None,
            }),
            Entry::Statement(statement) => self.push_statement(statement),
        }
    }

    /// Adds a row of another index as it is: its signature (and whether it was checked),
    /// or its cargo view.
    pub fn push_row(&mut self, row: PackRef<'_>) -> Result<(), RowError> {
        let error = |e: semver::Error| RowError {
            name: row.name().into(),
            version: row.version().into(),
            what: e.to_string(),
        };
        let signature = row.signature().copied();
        let cargo = match signature {
            None => row.cargo(&mut ReqCache::default()).transpose()?,
            Some(_) => None,
        };
        let pack = row.to_version().map_err(error)?;
        self.packs.push(Pending { pack, signature, checked: row.is_checked(), cargo });
        Ok(())
    }

    /// Adds a statement about a name (kept whatever it says: [`crate::record::Owners`]
    /// decides what it means).
    pub fn push_statement(&mut self, statement: Statement) {
        self.statements.push(statement);
    }

    /// Names the key that imported the unsigned rows (`souk index import` does).
    pub fn importer(&mut self, key: Digest) {
        self.importer = Some(key);
    }

    /// Everything of another index but its rows: its statements, its importer and its
    /// yanked versions (one that does not read is left out, as a row that does not is).
    pub fn push_statements_of(&mut self, index: &Index) {
        self.statements.extend_from_slice(&index.statements);
        self.importer = self.importer.or(index.importer);
        let mut reqs = ReqCache::default();
        self.yanked.extend(index.yanked().filter_map(|y| y.cargo(&mut reqs).ok()));
    }

    /// How many rows it holds.
    pub fn len(&self) -> usize {
        self.packs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.packs.is_empty()
    }

    /// How many yanked versions it holds beside its rows ([`IndexBuilder::push_cargo`]).
    pub fn yanked_len(&self) -> usize {
        self.yanked.len()
    }

    pub fn build(self) -> Result<Index, BuildError> {
        self.build_weighed(None)
    }

    /// [`IndexBuilder::build`], its documents weighed against `average` (a length of
    /// another index's documents, [`merge`]) when given, else against their own.
    fn build_weighed(mut self, average: Option<f64>) -> Result<Index, BuildError> {
        self.statements.sort_unstable_by(statement_order);
        self.statements.dedup();
        let pack_order = |a: &Pending, b: &Pending| {
            row_order(&a.pack.name, &a.pack.version, &b.pack.name, &b.pack.version)
        };
        self.packs.sort_unstable_by(pack_order);
        if let Some(w) = self.packs.windows(2).find(|w| pack_order(&w[0], &w[1]).is_eq()) {
            let p = &w[1].pack;
            return Err(BuildError::Duplicate { name: p.name.clone(), version: p.version.to_string() });
        }
        let yanked_order = |a: &Summary, b: &Summary| row_order(&a.name, &a.version, &b.name, &b.version);
        self.yanked.sort_unstable_by(yanked_order);
        if let Some(w) = self.yanked.windows(2).find(|w| yanked_order(&w[0], &w[1]).is_eq()) {
            return Err(BuildError::Duplicate { name: w[1].name.clone(), version: w[1].version.to_string() });
        }
        // A version that is a row (a signed record brought it again) is not yanked here.
        let packs = &self.packs;
        self.yanked.retain(|y| {
            packs.binary_search_by(|p| row_order(&p.pack.name, &p.pack.version, &y.name, &y.version)).is_err()
        });

        let n = self.packs.len();
        let mut strings = Interner::default();
        strings.intern(""); // id 0: the empty string, for every field left blank
        let mut digests: Vec<Digest> = Vec::new();
        let mut digest_ids = hashbrown::HashMap::new();
        let mut digest = |d: &Option<Digest>| match d {
            None => NO_DIGEST,
            Some(d) => *digest_ids.entry(*d).or_insert_with(|| {
                digests.push(*d);
                digests.len() as u32 - 1
            }),
        };
        let mut index = Index {
            name: Vec::with_capacity(n).into(),
            version: Vec::with_capacity(n).into(),
            description: Vec::with_capacity(n).into(),
            license: Vec::with_capacity(n).into(),
            category: Vec::with_capacity(n).into(),
            homepage: Vec::with_capacity(n).into(),
            publisher: Vec::with_capacity(n).into(),
            content_hash: Vec::with_capacity(n).into(),
            downloads: Vec::with_capacity(n).into(),
            stars: Vec::with_capacity(n).into(),
            published: Vec::with_capacity(n).into(),
            ..Index::default()
        };
        let mut span = Vec::new();
        for (row, Pending { pack: p, signature, checked, cargo }) in self.packs.iter().enumerate() {
            if let Some(signature) = signature {
                index.signed_rows.push(row as u32);
                index.signatures.push(*signature);
                if *checked {
                    index.checked_rows.0.push(row as u32);
                }
            }
            index.name.push(strings.intern(&p.name));
            index.version.push(strings.intern(&p.version.to_string()));
            index.description.push(strings.intern(&p.description));
            index.license.push(strings.intern(&p.license));
            index.category.push(strings.intern(&p.category));
            index.homepage.push(strings.intern(&p.homepage));
            index.publisher.push(digest(&p.publisher));
            index.content_hash.push(digest(&p.content_hash));
            index.downloads.push(p.downloads);
            index.stars.push(p.stars);
            index.published.push(p.published);
            index.tags.push(p.tags.iter().map(|t| strings.intern(t)));
            index.authors.push(p.authors.iter().map(|a| strings.intern(a)));
            index.dependencies.push(
                p.dependencies
                    .iter()
                    .flat_map(|d| [strings.intern(&d.name), strings.intern(&d.req.to_string())]),
            );
            span.clear();
            if let Some(summary) = cargo {
                cargo::encode(summary, &mut strings, &mut span);
            }
            index.cargo.push(span.iter().copied());
        }
        if index.cargo.items.is_empty() {
            index.cargo = Blobs::default();
        }
        for summary in &self.yanked {
            index.yanked_name.push(strings.intern(&summary.name));
            index.yanked_version.push(strings.intern(&summary.version.to_string()));
            index.yanked_checksum.push(digest(&summary.checksum));
            span.clear();
            cargo::encode(summary, &mut strings, &mut span);
            index.yanked_cargo.push(span.iter().copied());
        }
        index.strings = strings.finish();
        index.digests = digests.into();
        index.statements = self.statements;
        index.importer = self.importer;
        index.search = search::build(&index, average);
        if u32::try_from(index.strings.text().len()).is_err() {
            return Err(BuildError::TooLarge("text"));
        }
        if u32::try_from(index.dependencies.items.len()).is_err() {
            return Err(BuildError::TooLarge("dependencies"));
        }
        if u32::try_from(index.cargo.items.len().max(index.yanked_cargo.items.len())).is_err() {
            return Err(BuildError::TooLarge("resolution data"));
        }
        Ok(index)
    }
}

/// The order rows are kept in: by folded name, then name, then version.
fn row_order(a: &str, a_version: &semver::Version, b: &str, b_version: &semver::Version) -> Ordering {
    cmp_folded(a, b).then_with(|| a.cmp(b)).then_with(|| a_version.cmp(b_version))
}

/// The order statements are kept in: by folded name, so every spelling of a name finds
/// them together ([`Index::statements_of`]), then by serial.
pub(crate) fn statement_order(a: &Statement, b: &Statement) -> Ordering {
    cmp_folded(&a.name, &b.name).then(a.serial.cmp(&b.serial)).then_with(|| a.cmp(b))
}

#[cfg(test)]
pub(crate) mod tests;
