//! The corpora benches run on (native only: they are imported from files).

use std::path::PathBuf;

use souk::import::{self, Format};
use souk_core::body::PackFile;
use souk_core::record::PackRecord;
use souk_core::{Index, IndexBuilder, PackVersion};
use souk_pack::LocalPack;

/// The committed 300-package slice of the npm corpus.
pub fn npm_sample() -> IndexBuilder {
    let path = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"))
        .join("../crates/souk/tests/fixtures/npm-sample.tsv");
    import::read(&path, Format::NpmTsv).expect("the committed sample imports")
}

/// The full npm corpus (226,994 packages), or `None` with a note when `SOUK_SHARED` is unset.
pub fn npm_full() -> Option<Index> {
    let Some(root) = std::env::var_os("SOUK_SHARED") else {
        eprintln!("skipped: set SOUK_SHARED to the shared/ folder for the full-corpus benches");
        return None;
    };
    let path = PathBuf::from(root).join("corpus/npm-packages.tsv");
    let builder = import::read(&path, Format::NpmTsv).unwrap_or_else(|e| panic!("{}: {e:#}", path.display()));
    Some(builder.build().expect("the corpus builds"))
}

/// The demo registry's pack versions.
pub fn demo() -> IndexBuilder {
    let mut builder = IndexBuilder::default();
    for pack in souk_pack::demo::packs().expect("the demo registry is valid") {
        builder.push(pack.version);
    }
    builder
}

/// A small pack of its own, signed by `key`: a manifest and a README, no dependencies.
pub fn small_pack(name: &str, key: &[u8; 32]) -> (PackRecord, Vec<u8>) {
    let manifest = format!(
        "[pack]\nname = \"{name}\"\nversion = \"1.0.0\"\ndescription = \"Load pack {name}\"\nlicense = \"MIT\"\n"
    );
    let files = vec![
        PackFile { path: "souk.toml".into(), contents: manifest.into_bytes() },
        PackFile { path: "README.md".into(), contents: format!("# {name}\n").into_bytes() },
    ];
    let pack = LocalPack::from_files(files, 1_800_000_000).expect("a valid pack");
    (PackRecord::sign(pack.version, key).expect("signs"), pack.body)
}

/// About `size` packages of `index`: every n-th, so a slice keeps the corpus's mix of
/// popular and obscure.
pub fn slice(index: &Index, size: usize) -> Index {
    let step = index.len().div_ceil(size).max(1);
    rebuild(index.iter().step_by(step).map(|pack| pack.to_version().expect("the corpus parsed")))
}

fn rebuild(versions: impl Iterator<Item = PackVersion>) -> Index {
    let mut builder = IndexBuilder::default();
    versions.for_each(|v| builder.push(v));
    builder.build().expect("a corpus rebuilds")
}

/// The 1k and 10k slices of the full corpus and the full corpus, labelled.
pub fn slices(full: &Index) -> Vec<(String, Index)> {
    let mut out: Vec<(String, Index)> = [1_000, 10_000]
        .into_iter()
        .map(|size| (format!("npm-{}k", size / 1000), slice(full, size)))
        .collect();
    out.push(("npm-full".into(), full.clone()));
    out
}

/// Words that become tags, and the category of the first one a package's description has.
const TAGS: [(&str, &str); 10] = [
    ("react", "frontend"),
    ("vue", "frontend"),
    ("css", "frontend"),
    ("webpack", "build"),
    ("babel", "build"),
    ("typescript", "build"),
    ("cli", "tooling"),
    ("test", "testing"),
    ("api", "backend"),
    ("server", "backend"),
];

/// `index` with tags and a category on each package, taken from its description's words
/// (the npm corpus has neither), for the tag and category filter benches.
pub fn tagged(index: &Index) -> Index {
    rebuild(index.iter().map(|pack| {
        let mut version = pack.to_version().expect("the corpus parsed");
        let text = version.description.to_ascii_lowercase();
        let found: Vec<_> = TAGS.iter().filter(|(tag, _)| text.contains(tag)).collect();
        version.category = found.first().map_or("other", |(_, category)| category).into();
        version.tags = found.iter().map(|(tag, _)| tag.to_string()).collect();
        version
    }))
}
