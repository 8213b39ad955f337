//! How results are printed: a table for people, JSON for programs.

use std::io::Write;

use anyhow::Result;
use souk_core::Index;
use souk_core::search::SearchResults;

pub fn print_json(index: &Index, results: &SearchResults) -> Result<()> {
    let hits: Vec<_> = results.summaries(index).collect();
    let mut out = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, &hits)?;
    writeln!(out)?;
    Ok(())
}

/// `name = "version"    # description`, as `cargo search` prints it.
pub fn print_table(index: &Index, results: &SearchResults, offset: usize) {
    let rows: Vec<(String, &str)> = results
        .hits
        .iter()
        .map(|hit| {
            let pack = index.get(hit.record);
            (format!("{} = \"{}\"", pack.name(), pack.version()), pack.description())
        })
        .collect();
    let width = rows.iter().map(|(left, _)| left.chars().count()).max().unwrap_or(0);
    for (left, description) in &rows {
        match first_line(description) {
            "" => println!("{left}"),
            text => println!("{left:<width$}    # {text}"),
        }
    }
    let shown = offset + rows.len();
    if results.total == 0 {
        eprintln!("no packs match");
    } else if shown < results.total {
        eprintln!("... and {} more (use --limit and --offset to see them)", results.total - shown);
    }
}

/// Descriptions are shown on one line, cut at 80 characters.
fn first_line(text: &str) -> &str {
    let line = text.lines().next().unwrap_or_default();
    match line.char_indices().nth(80) {
        Some((end, _)) => &line[..end],
        None => line,
    }
}
