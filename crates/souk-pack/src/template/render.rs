//! Packs into a project tree: every pack of a resolution rendered with one set of answers,
//! dependencies first, into one tree whose paths stay inside it.

use std::collections::BTreeMap;

use souk_core::body::PackFile;

use super::answers::{Answer, AnswerError, Answers, Builtins, answer};
use super::engine::{Engine, RenderError};
use super::spec::{BUILTINS, Kind, Merge, Spec, Variable, matches};
use crate::MANIFEST_FILE;

/// The most bytes a generated project may hold: far past any real template, small enough
/// that a hostile pack cannot exhaust a tab.
pub const MAX_TREE: usize = 64 << 20;

/// Where the project's own records live; no pack may write there.
pub const RECORD_DIR: &str = ".souk";

/// A generated project: each path (`/`-separated, relative) and its bytes, in path order.
pub type Tree = BTreeMap<String, Vec<u8>>;

/// A pack to generate from: who it is, its settings, and its files.
#[derive(Debug, Clone)]
pub struct Source {
    pub name: String,
    pub version: String,
    pub spec: Spec,
    pub files: Vec<PackFile>,
}

/// Why a project could not be generated. Nothing is written when any of these happens.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GenerateError {
    #[error("{pack}: {MANIFEST_FILE}: {message}")]
    Manifest { pack: String, message: String },
    #[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    Answers(Vec<AnswerError>),
    #[error("{pack}: {path}: {error}{hint}")]
    Template { pack: String, path: String, error: RenderError, hint: &'static str },
    #[error("{pack}: {path}: renders to the path {rendered:?}, which {why}")]
    Path { pack: String, path: String, rendered: String, why: &'static str },
    #[error(
        "{path} is written by both {first} and {second}; {second} must say how to combine them ([template] merge)"
    )]
    Collision { path: String, first: String, second: String },
    #[error("{first} and {second} both ask for {variable}, as different types")]
    VariableClash { variable: String, first: String, second: String },
    #[error("the project would be larger than {MAX_TREE} bytes")]
    TooLarge,
    #[error("every pack is a dependency of another: the packs have no root to generate from")]
    NoRoot,
}

impl Source {
    /// A pack from its files, its settings read from its `souk.toml`.
    pub fn from_files(files: Vec<PackFile>) -> Result<Source, GenerateError> {
        let manifest = files.iter().find(|f| f.path == MANIFEST_FILE);
        let text = manifest.and_then(|m| std::str::from_utf8(&m.contents).ok()).unwrap_or_default();
        let (pack, spec) = crate::manifest::parse_pack_manifest(text)
            .map_err(|e| GenerateError::Manifest { pack: "a pack".into(), message: e.to_string() })?;
        Ok(Source { name: pack.name, version: pack.version.to_string(), spec, files })
    }
}

/// The questions of a set of packs (the root's first, each name once): a variable two packs
/// declare is asked once, as the first declares it, and must have one type.
pub fn variables(sources: &[Source]) -> Result<Vec<Variable>, GenerateError> {
    let mut all: Vec<(Variable, &str)> = Vec::new();
    for source in sources.iter().rev() {
        for v in &source.spec.variables {
            match all.iter().find(|(seen, _)| seen.name == v.name) {
                Some((seen, first)) if seen.kind != v.kind => {
                    return Err(GenerateError::VariableClash {
                        variable: v.name.clone(),
                        first: first.to_string(),
                        second: source.name.clone(),
                    });
                }
                Some(_) => {}
                None => all.push((v.clone(), &source.name)),
            }
        }
    }
    Ok(all.into_iter().map(|(v, _)| v).collect())
}

/// Renders `sources` (dependencies before their dependents, as [`render_order`] gives
/// them) into one tree with one set of answers.
pub fn render(sources: &[Source], answers: &Answers) -> Result<Tree, GenerateError> {
    let engine = Engine::new();
    let mut tree = Tree::new();
    let mut owner: BTreeMap<String, &str> = BTreeMap::new();
    let mut size = 0;
    for source in sources {
        for (path, bytes) in render_pack(&engine, source, answers)? {
            size += bytes.len();
            if size > MAX_TREE {
                return Err(GenerateError::TooLarge);
            }
            let merge = matches(
                source.spec.template.merge.iter().filter(|(_, m)| **m == Merge::Append).map(|(g, _)| g),
                &path,
            );
            let replace = matches(
                source.spec.template.merge.iter().filter(|(_, m)| **m == Merge::Replace).map(|(g, _)| g),
                &path,
            );
            match tree.get_mut(&path) {
                Some(existing) if merge => {
                    if !existing.is_empty() && !existing.ends_with(b"\n") {
                        existing.push(b'\n');
                    }
                    existing.extend_from_slice(&bytes);
                }
                Some(existing) if replace => *existing = bytes,
                Some(_) => {
                    let first = owner[&path].to_string();
                    return Err(GenerateError::Collision { path, first, second: source.name.clone() });
                }
                None => {
                    owner.insert(path.clone(), &source.name);
                    tree.insert(path, bytes);
                }
            }
        }
    }
    Ok(tree)
}

/// One pack's files as the project has them: excluded and switched-off files left out,
/// paths and contents rendered (verbatim and binary contents copied).
fn render_pack(
    engine: &Engine,
    source: &Source,
    answers: &Answers,
) -> Result<Vec<(String, Vec<u8>)>, GenerateError> {
    let t = &source.spec.template;
    let error = |path: &str, error: RenderError| render_error(source, path, error);
    let mut out = Vec::new();
    for file in &source.files {
        let path = file.path.as_str();
        if path == MANIFEST_FILE || matches(&t.exclude, path) {
            continue;
        }
        let mut on = true;
        for (glob, expression) in &t.when {
            if fast_glob::glob_match(glob, path) {
                let holds = engine.holds(&format!("[template] when {glob:?}"), expression, answers);
                on &= holds
                    .map_err(|message| GenerateError::Manifest { pack: source.name.clone(), message })?;
            }
        }
        if !on {
            continue;
        }
        let Some(segments) = render_path(engine, source, path, answers).map_err(|e| error(path, e))? else {
            continue;
        };
        let rendered = segments.join("/");
        if let Some(why) = bad_path(&segments) {
            return Err(GenerateError::Path { pack: source.name.clone(), path: path.into(), rendered, why });
        }
        let contents = match std::str::from_utf8(&file.contents) {
            Ok(text) if !matches(&t.verbatim, path) => {
                let name = format!("{}/{path}", source.name);
                engine.render(&name, text, answers).map_err(|e| error(path, e))?.into_bytes()
            }
            _ => file.contents.clone(),
        };
        out.push((rendered, contents));
    }
    Ok(out)
}

/// A path's segments, each rendered; `None` when a segment renders empty (the file, or the
/// folder it is in, is switched off).
fn render_path(
    engine: &Engine,
    source: &Source,
    path: &str,
    answers: &Answers,
) -> Result<Option<Vec<String>>, RenderError> {
    let mut segments = Vec::new();
    for segment in path.split('/') {
        let rendered = if segment.contains("{{") || segment.contains("{%") {
            engine.render(&format!("{}/{path} (its path)", source.name), segment, answers)?
        } else {
            segment.into()
        };
        if rendered.is_empty() {
            return Ok(None);
        }
        segments.push(rendered);
    }
    Ok(Some(segments))
}

/// Why a rendered path may not be written, if it may not: each segment one name (an answer
/// cannot add a folder, an absolute path or `..`), the whole inside the project and out of
/// its records, whatever an answer holds.
fn bad_path(segments: &[String]) -> Option<&'static str> {
    if segments.iter().any(|s| s.contains('/')) {
        Some("puts a path separator where one name belongs")
    } else if segments.iter().any(|s| s == "." || s == "..") {
        Some("leaves the project folder")
    } else if segments.iter().any(|s| s.chars().any(|c| c == '\\' || c == ':' || c.is_control())) {
        Some("holds a character no portable path may hold")
    } else if segments[0] == RECORD_DIR {
        Some("is where Souk keeps the project's records")
    } else {
        None
    }
}

/// The SHA-256 of a tree: each path, a zero byte, its length (u64, little-endian) and its
/// bytes, in path order. Equal answers give equal digests wherever the tree was rendered
/// (the CLI prints it with `--json`, the page shows it).
pub fn digest(tree: &Tree) -> souk_core::Digest {
    use sha2::{Digest as _, Sha256};
    let mut hash = Sha256::new();
    for (path, bytes) in tree {
        hash.update(path.as_bytes());
        hash.update([0]);
        hash.update((bytes.len() as u64).to_le_bytes());
        hash.update(bytes);
    }
    hash.finalize().into()
}

/// The packs of a resolution as sources in the order they render ([`render_order`]), and
/// the root's name: the one pack nothing in `edges` (name to the names it depends on)
/// depends on. What `souk new` and the page's generator both start from.
pub fn compose(
    edges: &BTreeMap<String, Vec<String>>,
    packs: impl IntoIterator<Item = (String, Vec<PackFile>)>,
) -> Result<(String, Vec<Source>), GenerateError> {
    let depended: Vec<&String> = edges.values().flatten().collect();
    let root = edges.keys().find(|name| !depended.contains(name)).ok_or(GenerateError::NoRoot)?.clone();
    let mut by_name: BTreeMap<String, Vec<PackFile>> = packs.into_iter().collect();
    let sources = render_order(&root, edges)
        .iter()
        .filter_map(|name| by_name.remove(name))
        .map(Source::from_files)
        .collect::<Result<_, _>>()?;
    Ok((root, sources))
}

/// Dependencies before their dependents, from `root` down `edges` (name to the names it
/// depends on), each once: the order packs render in, so a dependent's merge sees what its
/// dependencies wrote and the root writes last.
pub fn render_order(root: &str, edges: &BTreeMap<String, Vec<String>>) -> Vec<String> {
    fn visit(
        name: &str,
        edges: &BTreeMap<String, Vec<String>>,
        out: &mut Vec<String>,
        on_path: &mut Vec<String>,
    ) {
        if out.iter().any(|n| n == name) || on_path.iter().any(|n| n == name) {
            return;
        }
        on_path.push(name.into());
        let mut deps: Vec<&String> = edges.get(name).into_iter().flatten().collect();
        deps.sort();
        for dep in deps {
            visit(dep, edges, out, on_path);
        }
        on_path.pop();
        out.push(name.into());
    }
    let mut out = Vec::new();
    visit(root, edges, &mut out, &mut Vec::new());
    out
}

/// Whether a pack generates from its defaults alone: its settings hold, every template
/// parses, uses only what is declared or built in, and renders. A variable without a
/// default takes a stand-in of its type. What `souk pack` and `souk publish` check.
pub fn check(source: &Source) -> Result<(), GenerateError> {
    let engine = Engine::new();
    let builtins = Builtins { name: "example-project".into(), year: 2026, author: "A. Author".into() };
    let stand_ins: BTreeMap<String, String> = source
        .spec
        .variables
        .iter()
        .filter(|v| v.default.is_none())
        .map(|v| (v.name.clone(), stand_in(v).to_string()))
        .collect();
    let answers =
        answer(&source.spec.variables, &builtins, &stand_ins, None).map_err(GenerateError::Answers)?;
    let declared = |name: &String| BUILTINS.contains(&name.as_str()) || answers.contains_key(name);
    for file in &source.files {
        let Ok(text) = std::str::from_utf8(&file.contents) else { continue };
        if file.path == MANIFEST_FILE || matches(&source.spec.template.verbatim, &file.path) {
            continue;
        }
        let name = format!("{}/{}", source.name, file.path);
        let used = engine.variables(&name, text).map_err(|e| render_error(source, &file.path, e))?;
        if let Some(unknown) = used.iter().find(|v| !declared(v)) {
            let error =
                RenderError { line: None, message: format!("undefined value: {unknown} is not declared") };
            return Err(render_error(source, &file.path, error));
        }
    }
    render(std::slice::from_ref(source), &answers).map(|_| ())
}

fn render_error(source: &Source, path: &str, error: RenderError) -> GenerateError {
    let hint = match error.message.contains("undefined") {
        true => {
            " (declare it in [[variables]]; if it is another tool's syntax, list the file in [template] verbatim)"
        }
        false => "",
    };
    GenerateError::Template { pack: source.name.clone(), path: path.into(), error, hint }
}

/// A value of `v`'s type for a check, where the pack gives none.
fn stand_in(v: &Variable) -> Answer {
    match v.kind {
        Kind::Bool => Answer::Bool(false),
        Kind::Integer => Answer::Integer(v.min.or(v.max).unwrap_or(0)),
        Kind::Choice => Answer::Text(v.choices[0].clone()),
        Kind::String => Answer::Text("example".into()),
    }
}
