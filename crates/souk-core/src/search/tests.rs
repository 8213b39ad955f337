use alloc::string::String;

use alloc::vec::Vec;

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use super::*;
use crate::index::IndexBuilder;
use crate::index::tests::pack;

fn index() -> Index {
    let mut b = IndexBuilder::default();
    for (name, description, downloads, tags, license) in [
        ("react", "React is a JavaScript library for building user interfaces.", 100_000, "ui", "MIT"),
        ("react-dom", "React package for working with the DOM.", 90_000, "ui dom", "MIT"),
        ("preact", "Fast 3kb React alternative with the same modern API.", 50_000, "ui", "MIT"),
        ("create-react-app", "Create React apps with no build configuration.", 70_000, "cli", "MIT"),
        ("vue", "The progressive JavaScript framework for building UI", 80_000, "ui", "MIT"),
        ("lodash", "Lodash modular utilities.", 200_000, "util", "MIT"),
        ("lodash.merge", "The Lodash method merge exported as a module.", 150_000, "util", "MIT"),
        ("express", "Fast, unopinionated, minimalist web framework", 120_000, "web server", "MIT"),
        (
            "typescript",
            "TypeScript is a language for application scale JavaScript development",
            180_000,
            "lang",
            "Apache-2.0",
        ),
        ("rust-cli", "A Rust command-line skeleton with clap", 10, "rust cli", "MIT OR Apache-2.0"),
    ] {
        let mut p = pack(name, "1.0.0");
        p.description = description.into();
        p.downloads = downloads;
        p.tags = tags.split(' ').map(String::from).collect();
        p.license = license.into();
        p.published = downloads; // a distinct order for "newest"
        b.push(p);
    }
    b.build().unwrap()
}

fn names(index: &Index, query: &Query<'_>) -> Vec<String> {
    search(index, query).hits.iter().map(|h| index.get(h.record).name().into()).collect()
}

fn q(text: &str) -> Query<'_> {
    Query::new(text)
}

#[test]
fn exact_name_then_names_then_descriptions() {
    let index = index();
    assert_eq!(names(&index, &q("react")), ["react", "react-dom", "create-react-app", "preact"]);
    assert_eq!(names(&index, &q("React DOM")), ["react-dom"]);
    assert_eq!(names(&index, &q("lodash.merge"))[0], "lodash.merge");
}

#[test]
fn every_word_must_match() {
    let index = index();
    assert_eq!(names(&index, &q("javascript framework")), ["vue"]);
    assert_eq!(names(&index, &q("javascript nothing")), Vec::<String>::new());
}

#[test]
fn typos_find_the_pack_and_rank_below_exact_words() {
    let index = index();
    assert_eq!(names(&index, &q("raect"))[0], "react");
    assert_eq!(names(&index, &q("lodahs"))[0], "lodash");
    assert_eq!(names(&index, &q("typscript"))[0], "typescript");
    assert_eq!(names(&index, &q("expresss"))[0], "express");
    // Three-letter words allow no typo.
    assert!(names(&index, &q("veu")).is_empty());
}

#[test]
fn the_last_word_completes_as_one_types() {
    let index = index();
    assert_eq!(names(&index, &q("reac"))[0], "react");
    assert_eq!(names(&index, &q("typesc"))[0], "typescript");
    assert_eq!(names(&index, &q("lod"))[..2], ["lodash", "lodash.merge"]);
    // Only the last word completes.
    assert!(names(&index, &q("typesc language")).is_empty());
}

#[test]
fn filters_and_sorts() {
    let index = index();
    let ui = Query { filters: Filters { tag: Some("UI"), ..Filters::default() }, ..q("") };
    assert_eq!(names(&index, &ui), ["react", "react-dom", "vue", "preact"]);
    let apache = Query { filters: Filters { license: Some("apache-2.0"), ..Filters::default() }, ..q("") };
    assert_eq!(names(&index, &apache), ["typescript", "rust-cli"]);
    let souk = Query { filters: Filters { author: Some("souk"), ..Filters::default() }, ..q("rust") };
    assert_eq!(names(&index, &souk), ["rust-cli"]);
    let nobody = Query { filters: Filters { category: Some("nope"), ..Filters::default() }, ..q("react") };
    assert_eq!(search(&index, &nobody).total, 0);
    let newest = Query { sort: Sort::Newest, ..q("react") };
    assert_eq!(names(&index, &newest), ["react", "react-dom", "create-react-app", "preact"]);
    let downloads = Query { sort: Sort::Downloads, limit: 3, ..q("") };
    assert_eq!(names(&index, &downloads), ["lodash", "typescript", "lodash.merge"]);
}

#[test]
fn pages_share_one_order_and_count() {
    let index = index();
    let all = names(&index, &Query { limit: 100, ..q("") });
    assert_eq!(all.len(), 10);
    let mut paged = Vec::new();
    for offset in (0..12).step_by(3) {
        let page = search(&index, &Query { offset, limit: 3, ..q("") });
        assert_eq!(page.total, 10);
        paged.extend(page.hits.iter().map(|h| String::from(index.get(h.record).name())));
    }
    assert_eq!(paged, all);
    assert!(search(&index, &Query { limit: 0, ..q("react") }).hits.is_empty());
}

#[test]
fn hostile_queries_are_answered() {
    let index = index();
    let long = "vue ".repeat(2000);
    assert_eq!(names(&index, &q(&long)), ["vue"]);
    let many_words = "a b c d e f g h i j k l m n o p";
    assert!(search(&index, &q(many_words)).total == 0);
    for text in ["\u{0}\u{7}\t", "!!!", "日本語", "🦀🦀", "é", "-", "@/"] {
        assert_eq!(search(&index, &q(text)).total, 0, "{text:?}");
    }
    let cut = "é".repeat(200);
    assert_eq!(truncate(&cut, MAX_QUERY_LEN).len(), 256);
    let cut = alloc::format!("a{}", "é".repeat(200));
    assert_eq!(truncate(&cut, MAX_QUERY_LEN).len(), 255);
}

#[test]
fn a_reused_scratch_gives_the_same_answers() {
    let index = index();
    let mut scratch = Scratch::default();
    for text in ["react", "lodahs", "javascript framework", "reac", "", "react"] {
        let fresh = search(&index, &q(text));
        assert_eq!(search_with(&index, &q(text), &mut scratch), fresh, "{text}");
    }
}
