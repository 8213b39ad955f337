//! The same snapshot, searched with the same queries, gives byte-identical answers on every
//! target. The transcript's digest is committed, so the native and the wasm run (in
//! headless Chromium) each compare against the same value rather than only each other.
//!
//! The fixture is `souk index import` of `crates/souk/tests/fixtures/npm-sample.tsv`; the
//! `souk` crate's tests check that the import still produces exactly these bytes.

use std::fmt::Write;

use sha2::{Digest, Sha256};
use souk_core::Index;
use souk_core::search::{Query, Sort, search};
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

const SNAPSHOT: &[u8] = include_bytes!("fixtures/npm-sample.idx");
const QUERIES: &[&str] = &[
    "react",
    "eslint plugin",
    "types",
    "",
    "@babel/core",
    "vue",
    "TYPESCRIPT",
    "é🦀",
    "raect",
    "lodahs",
    "typscript",
    "reac",
    "web framework",
    "expres",
];
const TRANSCRIPT_SHA256: &str = "140fb2911dc4c32f09ec3ce6cfd366d6506e3596c8820738c2c97ce85131cf51";

fn transcript() -> String {
    let index = Index::from_snapshot(SNAPSHOT).expect("the fixture loads");
    let mut out = String::new();
    for query in QUERIES {
        for sort in [Sort::Relevance, Sort::Downloads] {
            let results = search(&index, &Query { limit: 25, sort, ..Query::new(query) });
            writeln!(out, "{query:?} {sort:?} total={}", results.total).unwrap();
            for hit in results.hits {
                let p = index.get(hit.record);
                writeln!(out, "  {} {} {} {}", p.name(), p.version(), p.downloads(), hit.score).unwrap();
            }
        }
    }
    out
}

#[test]
fn search_answers_are_identical_on_every_target() {
    let transcript = transcript();
    let digest: String = Sha256::digest(transcript.as_bytes()).iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(digest, TRANSCRIPT_SHA256, "search answers changed; the transcript is:\n{transcript}");
}

#[test]
fn the_fixture_has_what_the_transcript_needs() {
    let index = Index::from_snapshot(SNAPSHOT).unwrap();
    assert_eq!(index.len(), 300);
    assert!(transcript().contains("\"react\" Relevance total="));
    assert_eq!(index.latest("react").unwrap().name(), "react");
}
