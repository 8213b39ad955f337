//! `souk new` and `souk update`: a pack and its dependencies, fetched as `souk install`
//! fetches them, rendered into a new project, and later the project brought to a newer
//! version of them, three ways per file (`souk_pack::template` decides everything; this
//! reads answers from the user and reads and writes files).

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};
use souk::fsutil::write_atomically;
use souk_core::body;
use souk_core::pack::to_hex;
use souk_net::Installed;
use souk_pack::lockfile::{from_toml, to_toml};
use souk_pack::template::{
    self, Answer, Answers, Builtins, Change, Changes, Kind, RECORD_DIR, Source, Tree, Variable,
};

use crate::peer::{self, NetArgs};

/// Where a generated project records how it was made (in [`RECORD_DIR`]), for `souk
/// update`: the answers and file hashes, and the lockfile of the packs it came from.
const RECORD_FILE: &str = "answers.toml";
const LOCK_FILE: &str = "souk.lock";

#[derive(Debug, clap::Args)]
pub struct NewArgs {
    /// The pack, optionally with a version requirement: `rust-cli` or `rust-cli@^1.2`.
    spec: String,
    /// The folder to create; its name is the project's name unless `--set name=...`.
    dir: PathBuf,
    /// An answer, `KEY=VALUE` (repeatable); `name`, `author` and `year` may be set too.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    set: Vec<String>,
    /// Answer every question not given with its default, without asking.
    #[arg(long)]
    defaults: bool,
    /// Answers from a TOML file of `key = value` lines (what `--set` gives wins).
    #[arg(long, value_name = "FILE")]
    answers: Option<PathBuf>,
    /// Generate into a folder that is not empty, replacing the files the project has.
    #[arg(long)]
    force: bool,
    #[command(flatten)]
    net: NetArgs,
}

/// `.souk/answers.toml`: the pack a project came from, the version of every pack, the
/// answers, and the hash of every file as generated.
#[derive(Debug, Serialize, Deserialize)]
struct Record {
    pack: String,
    packs: BTreeMap<String, String>,
    answers: Answers,
    files: BTreeMap<String, String>,
}

impl Record {
    fn new(root: &str, sources: &[Source], answers: Answers, tree: &Tree) -> Record {
        Record {
            pack: root.into(),
            packs: sources.iter().map(|s| (s.name.clone(), s.version.clone())).collect(),
            answers,
            files: tree.iter().map(|(path, bytes)| (path.clone(), hash(bytes))).collect(),
        }
    }

    /// The record and the lockfile, as files of the project.
    fn files(&self, installed: &Installed) -> Result<Vec<(String, Vec<u8>)>> {
        Ok(vec![
            (format!("{RECORD_DIR}/{RECORD_FILE}"), toml::to_string(self)?.into_bytes()),
            (format!("{RECORD_DIR}/{LOCK_FILE}"), to_toml(&installed.lockfile()).into_bytes()),
        ])
    }
}

pub async fn new(args: NewArgs) -> Result<()> {
    let target = &args.dir;
    if !args.force && target.read_dir().is_ok_and(|mut d| d.next().is_some()) {
        bail!("{} is not empty; pass --force to generate into it anyway", target.display());
    }
    let mut given = match &args.answers {
        Some(file) => answers_file(file)?,
        None => BTreeMap::new(),
    };
    given.extend(set_pairs(&args.set)?);
    let installed = peer::fetch(&args.spec, &[], &args.net).await?;
    let (root, sources) = sources(&installed)?;
    let builtins = builtins(target, &mut given)?;
    let answers = ask_all(&sources, &builtins, &given, args.defaults)?;
    let tree = template::render(&sources, &answers)?;
    let record = Record::new(&root, &sources, answers, &tree);
    let files = tree.iter().map(|(p, b)| (p.clone(), b.clone())).chain(record.files(&installed)?).collect();
    write_new(target, files)?;
    let version = &record.packs[&root];
    if args.net.json {
        let files: Vec<&String> = tree.keys().collect();
        let digest = to_hex(&template::digest(&tree));
        let json = serde_json::json!({ "pack": root, "version": version, "dir": target, "files": files, "digest": digest });
        println!("{}", serde_json::to_string_pretty(&json)?);
    }
    eprintln!(
        "{:>12} {root} v{version} (with {} more packs) into {}: {} files",
        "Generated",
        sources.len() - 1,
        target.display(),
        tree.len()
    );
    Ok(())
}

/// Every answer `sources` need: given, else asked on a terminal (unless `defaults`), else
/// defaulted; each checked, every refusal named at once.
fn ask_all(
    sources: &[Source],
    builtins: &Builtins,
    given: &BTreeMap<String, String>,
    defaults: bool,
) -> Result<Answers> {
    let variables = template::variables(sources)?;
    let mut ask = |v: &Variable, default: Option<&Answer>| prompt(v, default);
    let interactive = !defaults && std::io::stdin().is_terminal();
    let asking: Option<template::Ask<'_>> = if interactive { Some(&mut ask) } else { None };
    Ok(template::answer(&variables, builtins, given, asking).map_err(template::GenerateError::Answers)?)
}

/// The packs of an install as template sources, dependencies first; and the root's name.
fn sources(installed: &Installed) -> Result<(String, Vec<Source>)> {
    let edges: BTreeMap<String, Vec<String>> = installed
        .resolution
        .packages
        .iter()
        .map(|(id, p)| (id.name.clone(), p.dependencies.iter().map(|d| d.name.clone()).collect()))
        .collect();
    let mut packs = Vec::new();
    for (pack, bytes) in &installed.packs {
        let files =
            body::decode(bytes).with_context(|| format!("the body of {} is not a pack", pack.name))?;
        packs.push((pack.name.clone(), files));
    }
    Ok(template::compose(&edges, packs)?)
}

/// The built-ins: `name` from `--set` or the folder, `author` from `--set` or git, `year`
/// from `--set` or the clock.
fn builtins(target: &Path, given: &mut BTreeMap<String, String>) -> Result<Builtins> {
    let folder = std::path::absolute(target)?.file_name().map(|n| n.to_string_lossy().into_owned());
    let name = given.remove("name").or(folder).context("name the project: --set name=NAME")?;
    let author = given.remove("author").unwrap_or_else(git_author);
    let year = match given.remove("year") {
        Some(year) => year.parse().with_context(|| format!("year: must be a whole number (got {year:?})"))?,
        None => this_year(),
    };
    Ok(Builtins { name, year, author })
}

/// `Name <email>` from git's configuration, as much of it as there is.
fn git_author() -> String {
    let git = |key: &str| {
        let out = std::process::Command::new("git").args(["config", "--get", key]).output().ok()?;
        let value = String::from_utf8(out.stdout).ok()?.trim().to_owned();
        (out.status.success() && !value.is_empty()).then_some(value)
    };
    match (git("user.name"), git("user.email")) {
        (Some(name), Some(email)) => format!("{name} <{email}>"),
        (Some(name), None) => name,
        (None, Some(email)) => email,
        (None, None) => "The authors".into(),
    }
}

/// The calendar year now, in UTC.
fn this_year() -> i64 {
    let days = souk_net::sync::unix_seconds() as i64 / 86_400;
    // Howard Hinnant's civil_from_days, the year only.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let month_from_march = (5 * doy + 2) / 153;
    yoe + era * 400 + i64::from(month_from_march >= 10)
}

fn set_pairs(pairs: &[String]) -> Result<Vec<(String, String)>> {
    pairs
        .iter()
        .map(|pair| {
            let (key, value) =
                pair.split_once('=').with_context(|| format!("--set {pair}: expected KEY=VALUE"))?;
            Ok((key.trim().into(), value.into()))
        })
        .collect()
}

fn answers_file(path: &Path) -> Result<BTreeMap<String, String>> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let table: toml::Table =
        toml::from_str(&text).with_context(|| format!("{} is not TOML", path.display()))?;
    table
        .into_iter()
        .map(|(key, value)| match value {
            toml::Value::String(s) => Ok((key, s)),
            toml::Value::Integer(_) | toml::Value::Boolean(_) => Ok((key, value.to_string())),
            _ => bail!("{}: {key}: an answer is a string, a number or true/false", path.display()),
        })
        .collect()
}

/// Asks for `v` on the terminal until the answer keeps its rules; `None` when the terminal
/// cannot ask (the default is taken).
fn prompt(v: &Variable, default: Option<&Answer>) -> Option<Answer> {
    use dialoguer::{Confirm, Input, Select};
    if !v.help.is_empty() {
        eprintln!("  {}", console::style(&v.help).dim());
    }
    match v.kind {
        Kind::Bool => {
            let default = matches!(default, Some(Answer::Bool(true)));
            Confirm::new().with_prompt(&v.name).default(default).interact().ok().map(Answer::Bool)
        }
        Kind::Choice => {
            let at = default.and_then(|d| v.choices.iter().position(|c| *c == d.to_string())).unwrap_or(0);
            let picked = Select::new().with_prompt(&v.name).items(&v.choices).default(at).interact().ok()?;
            Some(Answer::Text(v.choices[picked].clone()))
        }
        Kind::String | Kind::Integer => {
            let mut input = Input::<String>::new().with_prompt(&v.name);
            if let Some(d) = default {
                input = input.default(d.to_string());
            }
            let text = input
                .validate_with(|s: &String| v.read(s).map(|_| ()).map_err(|e| e.rule))
                .interact_text()
                .ok()?;
            v.read(&text).ok()
        }
    }
}

fn hash(bytes: &[u8]) -> String {
    to_hex(&Sha256::digest(bytes).into())
}

/// Writes a new project: built in a folder beside `target`, then moved in, so an
/// interrupted run leaves no half project (a new folder appears whole; into an existing one,
/// each file is replaced whole).
fn write_new(target: &Path, files: Vec<(String, Vec<u8>)>) -> Result<()> {
    let parent =
        std::path::absolute(target)?.parent().map(Path::to_path_buf).context("a folder with a parent")?;
    std::fs::create_dir_all(&parent).with_context(|| format!("cannot create {}", parent.display()))?;
    let staging =
        tempfile::tempdir_in(&parent).with_context(|| format!("cannot write in {}", parent.display()))?;
    for (path, bytes) in &files {
        let at = staging.path().join(path);
        std::fs::create_dir_all(at.parent().expect("a file has a folder"))?;
        std::fs::write(&at, bytes).with_context(|| format!("cannot write {}", at.display()))?;
    }
    if !target.exists() {
        return std::fs::rename(staging.keep(), target)
            .with_context(|| format!("cannot create {}", target.display()));
    }
    for (path, _) in &files {
        let to = target.join(path);
        std::fs::create_dir_all(to.parent().expect("a file has a folder"))?;
        std::fs::rename(staging.path().join(path), &to)
            .with_context(|| format!("cannot write {}", to.display()))?;
    }
    Ok(())
}

#[derive(Debug, clap::Args)]
pub struct UpdateArgs {
    /// The version of the pack to update to, as a requirement (default: the newest).
    #[arg(long, value_name = "REQ", default_value = "*")]
    to: String,
    /// The project: a folder `souk new` generated.
    #[arg(long, default_value = ".")]
    dir: PathBuf,
    /// An answer to a question the new version adds, `KEY=VALUE` (repeatable).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    set: Vec<String>,
    /// Answer every new question with its default, without asking.
    #[arg(long)]
    defaults: bool,
    #[command(flatten)]
    net: NetArgs,
}

pub async fn update(args: UpdateArgs) -> Result<()> {
    let dir = &args.dir;
    let read = |name: &str| -> Result<String> {
        let path = dir.join(RECORD_DIR).join(name);
        std::fs::read_to_string(&path).with_context(|| {
            format!(
                "{} is not a project `souk new` generated (cannot read {})",
                dir.display(),
                path.display()
            )
        })
    };
    let record: Record = toml::from_str(&read(RECORD_FILE)?).context("the project's answers.toml")?;
    let locked = from_toml(&read(LOCK_FILE)?).context("the project's souk.lock")?;
    let from = record.packs.get(&record.pack).context("answers.toml lacks the pack's version")?;
    let (handle, relay) = peer::open(&args.net).await?;
    let old = peer::fetch_with(&handle, relay, &format!("{}@={from}", record.pack), &locked).await?;
    let new = peer::fetch_with(&handle, relay, &format!("{}@{}", record.pack, args.to), &[]).await?;
    let (_, old_sources) = sources(&old)?;
    let (root, new_sources) = sources(&new)?;
    let base = template::render(&old_sources, &record.answers)?;

    // The recorded answers stand; only what the new version adds is asked.
    let text = |name: &str| record.answers.get(name).map(ToString::to_string).unwrap_or_default();
    let year = text("year").parse().unwrap_or_else(|_| this_year());
    let builtins = Builtins { name: text("name"), author: text("author"), year };
    let mut given: BTreeMap<String, String> = template::variables(&new_sources)?
        .iter()
        .filter_map(|v| Some((v.name.clone(), record.answers.get(&v.name)?.to_string())))
        .collect();
    given.extend(set_pairs(&args.set)?);
    let answers = ask_all(&new_sources, &builtins, &given, args.defaults)?;
    let theirs = template::render(&new_sources, &answers)?;

    let ours: Tree = base
        .keys()
        .chain(theirs.keys())
        .filter_map(|path| Some((path.clone(), std::fs::read(dir.join(path)).ok()?)))
        .collect();
    let changes = template::update(&base, &ours, &theirs);
    let record = Record::new(&root, &new_sources, answers, &theirs);
    apply(dir, &changes, record.files(&new)?)?;
    let to = &record.packs[&root];
    let conflicts: Vec<&String> = changes.iter().filter(|(_, c)| c.is_conflict()).map(|(p, _)| p).collect();
    if args.net.json {
        let changed: Vec<&String> = changes.keys().collect();
        let json = serde_json::json!({ "pack": root, "from": from, "to": to, "changed": changed, "conflicts": conflicts });
        println!("{}", serde_json::to_string_pretty(&json)?);
    }
    eprintln!("{:>12} {root} v{from} to v{to}: {} files changed", "Updated", changes.len() - conflicts.len());
    for path in &conflicts {
        eprintln!("{:>12} {path}", "Conflict");
    }
    if !conflicts.is_empty() {
        bail!(
            "{} files changed on both sides: resolve the conflict markers (or the {} files beside binary ones)",
            conflicts.len(),
            template::NEW_SUFFIX
        );
    }
    Ok(())
}

/// Writes an update's changes and the new record, each file replaced whole.
fn apply(dir: &Path, changes: &Changes, record: Vec<(String, Vec<u8>)>) -> Result<()> {
    for (path, change) in changes {
        let at = dir.join(path);
        match change {
            Change::Write(bytes) | Change::Conflict(bytes) => write_file(&at, bytes)?,
            Change::Beside(bytes) => write_file(&dir.join(format!("{path}{}", template::NEW_SUFFIX)), bytes)?,
            Change::Remove => {
                std::fs::remove_file(&at).with_context(|| format!("cannot remove {}", at.display()))?
            }
        }
    }
    for (path, bytes) in record {
        write_file(&dir.join(path), &bytes)?;
    }
    Ok(())
}

fn write_file(path: &Path, bytes: &[u8]) -> Result<()> {
    std::fs::create_dir_all(path.parent().expect("a file has a folder"))?;
    write_atomically(path, bytes)
}
