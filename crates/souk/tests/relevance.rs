//! Search relevance on the real npm corpus (`shared/corpus/npm-packages.tsv`): for the 300
//! most downloaded packages, the exact name must rank the package first, and a one-typo
//! variant of a name of 6+ characters must find it in the top 3.
//!
//! Typos are made deterministically from each name: a deletion, a substitution, an
//! insertion or a transposition, never on the first letter (a typo there counts as two,
//! as in Meilisearch; see `souk_core::search`).

mod common;
use common::shared;
use souk::import::{self, Format};
use souk_core::Index;
use souk_core::search::{Query, search};

fn corpus() -> Option<Index> {
    let path = shared("corpus/npm-packages.tsv")?;
    Some(import::read(&path, Format::NpmTsv).unwrap().build().unwrap())
}

/// A one-edit variant of `name`, away from its first letter and from separators.
fn typo(name: &str, seed: usize) -> String {
    let chars: Vec<char> = name.chars().collect();
    let letters: Vec<usize> = (1..chars.len())
        .filter(|&i| chars[i].is_ascii_alphanumeric() && chars[i - 1].is_ascii_alphanumeric())
        .collect();
    let at = letters[seed % letters.len()];
    let mut out = chars.clone();
    match seed % 4 {
        0 => {
            out.remove(at);
        }
        1 => out[at] = if chars[at] == 'x' { 'z' } else { 'x' },
        2 => out.insert(at, chars[at]),
        _ if at + 1 < chars.len() && chars[at + 1] != chars[at] && chars[at + 1].is_ascii_alphanumeric() => {
            out.swap(at, at + 1)
        }
        _ => {
            out.remove(at);
        }
    }
    out.into_iter().collect()
}

fn rank_of(index: &Index, query: &str, name: &str) -> Option<usize> {
    let results = search(index, &Query { limit: 10, ..Query::new(query) });
    results.hits.iter().position(|h| index.get(h.record).name() == name)
}

#[test]
fn top_packages_are_found_by_name_and_by_typo() {
    let Some(index) = corpus() else { return };
    let mut top: Vec<(u64, &str)> = index.iter().map(|p| (p.downloads(), p.name())).collect();
    top.sort_unstable_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(b.1)));
    top.truncate(300);

    let mut exact_misses = Vec::new();
    let (mut typo_tried, mut typo_misses) = (0, Vec::new());
    for (i, &(_, name)) in top.iter().enumerate() {
        if rank_of(&index, name, name) != Some(0) {
            exact_misses.push(name);
        }
        if name.chars().filter(char::is_ascii_alphanumeric).count() >= 6 {
            typo_tried += 1;
            let query = typo(name, i * 7 + name.len());
            if rank_of(&index, &query, name).is_none_or(|r| r >= 3) {
                typo_misses.push(format!("{query} -> {name}"));
            }
        }
    }
    let typo_rate = 1.0 - typo_misses.len() as f64 / typo_tried as f64;
    println!(
        "relevance: exact name first for {}/300; one typo in the top 3 for {}/{typo_tried} ({:.1}%)",
        300 - exact_misses.len(),
        typo_tried - typo_misses.len(),
        typo_rate * 100.0
    );
    println!("typo misses: {typo_misses:?}");
    assert!(exact_misses.is_empty(), "exact names not ranked first: {exact_misses:?}");
    assert!(typo_rate >= 0.95, "one-typo hit rate {typo_rate:.3}; misses: {typo_misses:?}");
}

#[test]
fn typos_are_one_edit_away_from_the_name() {
    assert_eq!(typo("express", 0), "epress");
    assert_eq!(typo("express", 1), "exxress");
    assert_eq!(typo("express", 2), "exprress");
    assert_eq!(typo("lodash", 3), "lodahs");
}
