//! `souk`: the native Souk peer's command-line tool, in the cargo and npm tradition.
//!
//! This binary only parses arguments, reads and writes files, and prints: every decision
//! is made in `souk-core` and `souk-pack`, which the browser peer shares.

mod generate;
mod heads;
mod metrics;
mod output;
mod owner;
mod pack;
mod peer;
mod pin;
mod relay;
mod resolve;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand, ValueEnum};
use souk_core::Index;
use souk_core::search::{Filters, Query, Sort, search};

use souk::import::{self, Format};

/// Souk: a peer-to-peer marketplace for code-generation templates.
#[derive(Debug, Parser)]
#[command(name = "souk", version, about, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Search packs by name and description.
    Search(SearchArgs),
    /// Check a pack folder and write its body, ready to publish.
    Pack {
        /// The folder holding `souk.toml` and the template files.
        #[arg(default_value = ".")]
        dir: PathBuf,
        /// Where to write the body (default: NAME-VERSION.souk in the current folder).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Resolve a manifest's dependencies into a lockfile, as cargo would.
    Resolve {
        /// The registry: a crates.io index (.jsonl or .jsonl.gz) or a Souk index snapshot
        /// (default: the embedded demo registry).
        #[arg(long, value_name = "FILE")]
        registry: Option<PathBuf>,
        /// The manifest to resolve: a Cargo.toml or a souk.toml.
        #[arg(long, value_name = "FILE", default_value = "souk.toml")]
        manifest: PathBuf,
        /// What to write.
        #[arg(long, value_enum, default_value_t = LockFormat::SoukLock)]
        format: LockFormat,
        /// Where to write it (default: standard output). Written atomically.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        /// Resolve against the network's index as last synced into the cache, without the
        /// network.
        #[arg(long, conflicts_with = "registry")]
        offline: bool,
    },
    /// Build and inspect registry index snapshots.
    #[command(subcommand)]
    Index(IndexCommand),
    /// Generate a new project from a pack and the packs it depends on.
    New(generate::NewArgs),
    /// Bring a generated project to a newer version of its packs, keeping your edits.
    Update(generate::UpdateArgs),
    /// Install a pack and what it depends on from the network.
    Install {
        /// The pack, optionally with a version requirement: `rust-cli` or `rust-cli@^1.2`.
        spec: String,
        /// Where packs are unpacked, one folder each, beside `souk.lock`.
        #[arg(long, value_name = "DIR", default_value = "souk_packs")]
        out: PathBuf,
        #[command(flatten)]
        net: peer::NetArgs,
    },
    /// Sign a pack folder with your key and publish it to the network.
    Publish {
        /// The folder holding `souk.toml` and the template files.
        #[arg(default_value = ".")]
        dir: PathBuf,
        /// Publish a new name even if it is one edit from a popular pack's.
        #[arg(long)]
        allow_similar_name: bool,
        #[command(flatten)]
        net: peer::NetArgs,
    },
    /// Manage who may publish a pack: add or remove owners, or list them.
    #[command(subcommand)]
    Owner(owner::OwnerCommand),
    /// Yank a version: new resolutions skip it, existing lockfiles still install it.
    Yank {
        /// The pack and version: `rust-cli@1.2.0`.
        spec: String,
        /// Offer the version again.
        #[arg(long)]
        undo: bool,
        #[command(flatten)]
        net: peer::NetArgs,
    },
    /// Print your public key: what signs your packs, and what `souk owner add` takes.
    Key,
    /// Show a pack's details and versions, as the network knows them.
    Info {
        name: String,
        #[command(flatten)]
        net: peer::NetArgs,
    },
    /// List the peers reached through the network's relays.
    Peers {
        #[command(flatten)]
        net: peer::NetArgs,
    },
    /// Run a relay: a bootstrap and circuit-relay node that serves the marketplace page.
    Relay(relay::RelayArgs),
}

/// The shapes `souk resolve` writes.
#[derive(Debug, Clone, Copy, ValueEnum)]
enum LockFormat {
    /// souk.lock: TOML, sorted, stable under re-resolution.
    SoukLock,
    /// Cargo.lock, byte for byte as cargo writes it.
    CargoLock,
    /// A JSON array of packages with their dependencies.
    Json,
}

#[derive(Debug, clap::Args)]
struct SearchArgs {
    /// What to look for (typos and partial words are fine); empty lists every pack.
    #[arg(default_value = "")]
    query: String,
    /// The index snapshot to search (default: the embedded demo registry).
    #[arg(long, value_name = "INDEX")]
    index: Option<PathBuf>,
    /// Search the network's index as last synced into the cache, without the network.
    #[arg(long, conflicts_with = "index")]
    offline: bool,
    /// Only packs with this tag.
    #[arg(long)]
    tag: Option<String>,
    /// Only packs in this category.
    #[arg(long)]
    category: Option<String>,
    /// Only packs by this author.
    #[arg(long)]
    author: Option<String>,
    /// Only packs under this license (an identifier of the pack's license expression).
    #[arg(long)]
    license: Option<String>,
    /// The order of results.
    #[arg(long, value_enum, default_value_t = SortArg::Relevance)]
    sort: SortArg,
    /// How many results to show.
    #[arg(long, default_value_t = 20)]
    limit: usize,
    /// How many results to skip, for paging.
    #[arg(long, default_value_t = 0)]
    offset: usize,
    /// Print the results as a JSON array.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum SortArg {
    Relevance,
    Downloads,
    Stars,
    Newest,
}

#[derive(Debug, Subcommand)]
enum IndexCommand {
    /// Import another registry's metadata into an index snapshot. Its names are reserved:
    /// only your key (`souk key`) can grant one, with `souk owner add`.
    Import {
        /// The registry file: an npm-corpus TSV, or a crates.io index in JSON lines
        /// (optionally gzipped).
        file: PathBuf,
        /// Where to write the snapshot. Written atomically: on error nothing is left behind.
        #[arg(long, value_name = "INDEX")]
        out: PathBuf,
        /// The file's format (default: from its extension).
        #[arg(long, value_enum)]
        format: Option<FormatArg>,
        /// Fail at the first row that breaks the rules, instead of skipping and counting it.
        #[arg(long)]
        strict: bool,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum FormatArg {
    NpmTsv,
    CratesIndex,
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Search(args) => {
            let index = match args.offline {
                true => peer::cached_index()?,
                false => load_index(args.index.as_deref())?,
            };
            let query = Query {
                text: &args.query,
                filters: Filters {
                    tag: args.tag.as_deref(),
                    category: args.category.as_deref(),
                    author: args.author.as_deref(),
                    license: args.license.as_deref(),
                },
                sort: match args.sort {
                    SortArg::Relevance => Sort::Relevance,
                    SortArg::Downloads => Sort::Downloads,
                    SortArg::Stars => Sort::Stars,
                    SortArg::Newest => Sort::Newest,
                },
                offset: args.offset,
                limit: args.limit,
            };
            let results = search(&index, &query);
            if args.json {
                output::print_json(&index, &results)
            } else {
                output::print_table(&index, &results, args.offset);
                Ok(())
            }
        }
        Command::Pack { dir, out } => pack::pack(&dir, out.as_deref()),
        Command::Resolve { registry, manifest, format, out, offline } => {
            let registry = match offline {
                true => resolve::Registry::Cached,
                false => resolve::Registry::File(registry),
            };
            resolve::run(registry, &manifest, format, out.as_deref())
        }
        Command::New(args) => networked("warn", generate::new(args)),
        Command::Update(args) => networked("warn", generate::update(args)),
        Command::Install { spec, out, net } => networked("warn", peer::install(&spec, &out, &net)),
        Command::Publish { dir, allow_similar_name, net } => {
            networked("warn", peer::publish(&dir, allow_similar_name, &net))
        }
        Command::Info { name, net } => networked("warn", peer::info(&name, &net)),
        Command::Owner(command) => networked("warn", owner::run(command)),
        Command::Yank { spec, undo, net } => networked("warn", owner::yank(&spec, undo, &net)),
        Command::Key => {
            println!("{}", souk_core::pack::to_hex(&peer::public_key()?));
            Ok(())
        }
        Command::Peers { net } => networked("warn", peer::peers(&net)),
        Command::Relay(args) => networked("info", relay::run(args)),
        Command::Index(IndexCommand::Import { file, out, format, strict }) => {
            let format = match format {
                Some(FormatArg::NpmTsv) => Format::NpmTsv,
                Some(FormatArg::CratesIndex) => Format::CratesIndex,
                None => Format::from_path(&file)?,
            };
            let summary = import::import(&file, format, &out, strict, peer::public_key()?)?;
            if summary.skipped.total() > 0 {
                let reasons: Vec<String> =
                    summary.skipped.reasons.iter().map(|(reason, n)| format!("{n} {reason}")).collect();
                eprintln!("{:>12} {} rows: {}", "Skipped", summary.skipped.total(), reasons.join(", "));
                for row in &summary.skipped.first {
                    eprintln!("{:>12} {row}", "");
                }
            }
            let yanked = match summary.yanked {
                0 => String::new(),
                n => format!(" (+{n} yanked, kept for lockfiles)"),
            };
            eprintln!(
                "{:>12} {} pack versions{yanked} from {} into {} ({} bytes) in {:.2?}",
                "Imported",
                summary.versions,
                file.display(),
                out.display(),
                summary.bytes,
                summary.elapsed
            );
            Ok(())
        }
    }
}

/// Runs a command that joins the network: logs to stderr (`RUST_LOG`, else `level`) and a
/// tokio runtime.
fn networked(level: &str, command: impl std::future::Future<Output = Result<()>>) -> Result<()> {
    // libp2p-webrtc's DTLS needs one process-wide crypto provider, and both ring and
    // aws-lc-rs are in the build: name ring before anything uses TLS.
    let _ = rustls::crypto::ring::default_provider().install_default();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| level.into()),
        )
        .with_writer(std::io::stderr)
        .init();
    tokio::runtime::Runtime::new()?.block_on(command)
}

/// The index at `path`, or the embedded demo registry.
fn load_index(path: Option<&Path>) -> Result<Index> {
    let Some(path) = path else {
        return Ok(souk_pack::demo::index());
    };
    let bytes = souk::fsutil::map_snapshot(path)?;
    Index::open(bytes).with_context(|| format!("cannot load index {}", path.display()))
}
