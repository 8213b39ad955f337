//! The corpora benches run on (native only: they are imported from files).

use std::path::PathBuf;

use souk::import::{self, Format};
use souk_core::{Index, IndexBuilder};

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

/// The 1k and 10k slices of the full corpus (every n-th package, so each slice keeps the
/// corpus's mix of popular and obscure) and the full corpus, labelled.
pub fn slices(full: &Index) -> Vec<(String, Index)> {
    let mut out = Vec::new();
    for size in [1_000, 10_000] {
        let step = full.len().div_ceil(size).max(1);
        let mut builder = IndexBuilder::default();
        for pack in full.iter().step_by(step) {
            builder.push(pack.to_version().expect("the corpus parsed"));
        }
        out.push((format!("npm-{}k", size / 1000), builder.build().expect("a slice builds")));
    }
    out.push(("npm-full".into(), full.clone()));
    out
}
