//! The CLI as a network peer: `souk install`, `publish`, `info` and `peers` start a node,
//! join the network through a relay, sync the index, do their work and stop.
//!
//! The node's key lives in `$SOUK_HOME/identity.key` (default `~/.config/souk`, mode 0600):
//! it signs what this user publishes, so it is also what owns their pack names. What the
//! node learns stays in one database between runs (`$SOUK_HOME/cache/souk.redb`, default
//! `~/.cache/souk/souk.redb`): the synced catalog, so a run syncs only what changed, and
//! every body fetched, by hash, so two projects installing a pack fetch it once. With
//! `--offline`, `install`, `info` and `owner list` answer from it without the network.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use indicatif::{HumanBytes, ProgressBar, ProgressStyle};
use libp2p::identity::Keypair;
use libp2p::{Multiaddr, PeerId};
use serde::Serialize;
use souk::fsutil::{read_if_present, write_atomically};
use souk::store::RedbStore;
use souk_core::body;
use souk_core::lockfile::LockedPackage;
use souk_core::pack::to_hex;
use souk_core::record::{Owners, PackRecord};
use souk_core::{Digest, Index, PackVersion};
use souk_net::client::{self, BootstrapInfo, Dialer};
use souk_net::store::{Store, base_catalog};
use souk_net::transport::{Transports, native_swarm};
use souk_net::{Installed, Node, NodeError, NodeHandle, Role, SyncError};

use crate::heads::Heads;
use souk_pack::lockfile::{from_toml, to_toml};

/// Where to join the network.
#[derive(Debug, Clone, clap::Args)]
pub struct NetArgs {
    /// A relay's /bootstrap URL or a multiaddr with /p2p/ (repeatable).
    #[arg(
        long,
        env = "SOUK_BOOTSTRAP",
        value_delimiter = ',',
        default_value = "http://127.0.0.1:8080/bootstrap"
    )]
    bootstrap: Vec<String>,
    /// Print JSON for programs instead of text for people.
    #[arg(long)]
    pub json: bool,
    /// Use only what the cache holds (the index as last synced, the bodies fetched before):
    /// no network at all.
    #[arg(long)]
    pub offline: bool,
}

/// A node joined to the network, its index synced from the first relay that answered.
pub(crate) struct Joined {
    pub handle: NodeHandle,
    pub relay: PeerId,
    pub key: Keypair,
}

/// A node over the cache, joined to the network (and the relay whose index it synced)
/// unless `--offline`.
pub(crate) async fn open(args: &NetArgs) -> Result<(NodeHandle, Option<PeerId>)> {
    match args.offline {
        true => Ok((start(&identity()?).await?, None)),
        false => join(args).await.map(|joined| (joined.handle, Some(joined.relay))),
    }
}

/// A node over the cache, with nothing dialed.
async fn start(key: &Keypair) -> Result<NodeHandle> {
    let cache = cache_path()?;
    let store = open_cache(&cache)?;
    let swarm =
        native_swarm(key.clone(), Role::Peer, Transports::generate().map_err(|e| anyhow::anyhow!(e))?)
            .await
            .map_err(|e| anyhow::anyhow!(e))?;
    let (node, handle) = Node::new(swarm, store).with_context(|| {
        format!("cannot start from the cache {} (remove it to start afresh)", cache.display())
    })?;
    tokio::spawn(node.run());
    Ok(handle)
}

/// The index as the network last served it, from the cache alone (`--offline`).
pub(crate) fn cached_index() -> Result<Index> {
    let cache = cache_path()?;
    let store = open_cache(&cache)?;
    let mut catalog = base_catalog(&store)?;
    catalog.accept_all(store.entries()?);
    if catalog.index().is_empty() {
        bail!(
            "the cache ({}) holds no index yet: run `souk info` or `souk install` with the network first",
            cache.display()
        );
    }
    Ok(catalog.index().clone())
}

fn open_cache(cache: &Path) -> Result<RedbStore> {
    Ok(RedbStore::open_waiting(cache, CACHE_WAIT, || {
        eprintln!("{:>12} for another souk to finish with {}", "Waiting", cache.display())
    })?)
}

/// How long a command waits for another holding the cache (a long install, say).
const CACHE_WAIT: Duration = Duration::from_secs(300);

/// A node joined to the network, for commands that need it.
pub(crate) async fn join(args: &NetArgs) -> Result<Joined> {
    if args.offline {
        bail!("this command needs the network; run it without --offline");
    }
    let key = identity()?;
    let handle = start(&key).await?;
    let spinner = spinner("Connecting");
    let mut addrs = Vec::new();
    for source in &args.bootstrap {
        addrs.extend(bootstrap_addrs(source).await?);
    }
    let dialed = handle.bootstrap(addrs).await.context("cannot reach the network (is a relay running?)")?;
    let relay = dialed.into_iter().find_map(Result::ok).expect("bootstrap answers only if a dial succeeded");
    spinner.set_message("Syncing the index");
    let home = home()?;
    let mut heads = Heads::load(&home)?;
    heads.remind(&handle).await?;
    let synced = handle.sync_index(relay).await;
    spinner.finish_and_clear();
    match synced {
        Ok(report) => {
            tracing::debug!(?report, "synced");
            if let Some(late) = report.stale_by {
                eprintln!(
                    "warning: relay {relay} signed its head {late} s past the freshness limit: it may be replaying an old view"
                );
            }
            heads.keep(&handle, relay).await?;
            heads.save(&home)?;
        }
        Err(NodeError::Sync(SyncError::Head(error))) => {
            heads.catch(relay, &error);
            heads.save(&home)?;
            let kept = Heads::path(&home);
            bail!("refusing relay {relay}: {error} (both signed heads kept in {})", kept.display());
        }
        Err(e) => return Err(e.into()),
    }
    Ok(Joined { handle, relay, key })
}

/// The addresses a `--bootstrap` value names: a relay's /bootstrap JSON, or one multiaddr.
async fn bootstrap_addrs(source: &str) -> Result<Vec<Multiaddr>> {
    if !source.starts_with("http://") && !source.starts_with("https://") {
        return Ok(vec![
            source.parse().with_context(|| format!("`{source}` is neither a URL nor a multiaddr"))?,
        ]);
    }
    let url = source.to_owned();
    let answer: BootstrapInfo = tokio::task::spawn_blocking(move || -> Result<BootstrapInfo> {
        let mut response = ureq::get(&url).call().with_context(|| format!("cannot reach {url}"))?;
        response.body_mut().read_json().with_context(|| format!("{url} did not answer bootstrap JSON"))
    })
    .await??;
    let mut addrs = answer.dial_order(Dialer::Native);
    addrs.truncate(1);
    Ok(addrs)
}

/// The resolution of `spec` (`NAME[@REQ]`), the versions `locked` names kept, and every
/// pack of it with its body, fetched (or read from the cache) and checked, with progress.
pub(crate) async fn fetch(spec: &str, locked: &[LockedPackage], args: &NetArgs) -> Result<Installed> {
    let (handle, relay) = open(args).await?;
    fetch_with(&handle, relay, spec, locked).await
}

/// [`fetch`] through a node already open (and the relay it synced from, if any).
pub(crate) async fn fetch_with(
    handle: &NodeHandle,
    relay: Option<PeerId>,
    spec: &str,
    locked: &[LockedPackage],
) -> Result<Installed> {
    let (name, req) = spec.split_once('@').unwrap_or((spec, "*"));
    let bar = ProgressBar::new(0).with_style(
        ProgressStyle::with_template("{prefix:>12.cyan.bold} [{bar:30}] {pos}/{len} packs {msg}")
            .expect("a valid template")
            .progress_chars("=> "),
    );
    bar.set_prefix("Fetching");
    let installed = handle
        .install(name, req, locked, |p| {
            bar.set_length(p.total as u64);
            bar.set_position(p.done as u64);
            bar.set_message(HumanBytes(p.bytes as u64).to_string());
        })
        .await
        .with_context(|| match relay {
            Some(relay) => format!("cannot install {spec} from the index relay {relay} served"),
            None => format!("cannot install {spec} from the cache alone"),
        })?;
    bar.finish_and_clear();
    Ok(installed)
}

/// `souk install NAME[@REQ]`.
pub async fn install(spec: &str, out: &Path, args: &NetArgs) -> Result<()> {
    // An earlier install's lockfile pins what it took: the same versions, bodies and keys.
    let lock_path = out.join("souk.lock");
    let locked = match read_if_present(&lock_path)? {
        Some(bytes) => String::from_utf8(bytes)
            .map_err(anyhow::Error::from)
            .and_then(|text| Ok(from_toml(&text)?))
            .with_context(|| format!("cannot read {}", lock_path.display()))?,
        None => Vec::new(),
    };
    let installed = fetch(spec, &locked, args).await?;
    for (pack, body) in &installed.packs {
        unpack(out, pack, body)?;
    }
    write_atomically(&out.join("souk.lock"), to_toml(&installed.lockfile()).as_bytes())?;
    let names: Vec<String> =
        installed.packs.iter().map(|(p, _)| format!("{} v{}", p.name, p.version)).collect();
    if args.json {
        println!("{}", serde_json::to_string_pretty(&names)?);
    }
    eprintln!("{:>12} {} into {}", "Installed", names.join(", "), out.display());
    Ok(())
}

/// Writes a pack's files under `out/<name>/`, replacing what an earlier install left there.
fn unpack(out: &Path, pack: &PackVersion, body: &[u8]) -> Result<()> {
    let files = body::decode(body).with_context(|| format!("the body of {} is not a pack", pack.name))?;
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    // Built beside its final place, then swapped in: an interrupted install leaves no half pack.
    let staging = tempfile::tempdir_in(out)?;
    for file in &files {
        let path = staging.path().join(&file.path);
        std::fs::create_dir_all(path.parent().expect("a file path has a parent"))?;
        std::fs::write(&path, &file.contents).with_context(|| format!("cannot write {}", path.display()))?;
    }
    let target = out.join(&pack.name);
    if target.exists() {
        std::fs::remove_dir_all(&target).with_context(|| format!("cannot replace {}", target.display()))?;
    }
    std::fs::rename(staging.keep(), &target).with_context(|| format!("cannot write {}", target.display()))?;
    Ok(())
}

/// `souk publish DIR`: signs the pack with this user's key, publishes it and waits (at most
/// 30 s) until a relay holds the body, so it stays available after this process ends.
pub async fn publish(dir: &Path, allow_similar_name: bool, args: &NetArgs) -> Result<()> {
    let pack = crate::pack::load(dir)?;
    let Joined { handle, relay, key } = join(args).await?;
    let name = pack.version.name.clone();
    if let Some(popular) = lookalike(&handle, &name).await?
        && !allow_similar_name
    {
        bail!(
            "`{name}` is one edit from the popular pack `{popular}`; if it is not meant to pass for it, \
             publish with --allow-similar-name (its page will say it looks like `{popular}`)"
        );
    }
    let secret = client::signing_secret(&key)?;
    let record = PackRecord::sign(pack.version, &secret)?;
    let hash = record.pack.content_hash.expect("a signed record has its hash");
    let spinner = spinner("Publishing");
    let reached = handle.publish(record.clone(), pack.body).await?;
    spinner.set_message("Waiting for a relay to hold the body");
    let mut held = Vec::new();
    for _ in 0..100 {
        held = handle.providers(hash).await?;
        if !held.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    spinner.finish_and_clear();
    if held.is_empty() {
        bail!(
            "{} v{} is published, but no relay took its body within 30 s",
            record.pack.name,
            record.pack.version
        );
    }
    if args.json {
        #[derive(Serialize)]
        struct Published<'a> {
            name: &'a str,
            version: String,
            content_hash: String,
            relay: String,
        }
        let p = &record.pack;
        let out = Published {
            name: &p.name,
            version: p.version.to_string(),
            content_hash: to_hex(&hash),
            relay: relay.to_string(),
        };
        println!("{}", serde_json::to_string_pretty(&out)?);
    }
    eprintln!(
        "{:>12} {} v{} (sha256:{}) to {} peers; held by {} providers",
        "Published",
        record.pack.name,
        record.pack.version,
        to_hex(&hash),
        reached.max(1),
        held.len()
    );
    Ok(())
}

/// `souk info NAME`: every version the network knows, newest last.
pub async fn info(name: &str, args: &NetArgs) -> Result<()> {
    let (handle, _) = open(args).await?;
    let wanted = name.to_owned();
    let (mut versions, owners): (Vec<PackVersion>, Owners) = handle
        .read(move |index| {
            let versions = index.versions_of(&wanted).filter_map(|r| index.get(r).to_version().ok());
            (versions.collect(), Owners::of(index, &wanted))
        })
        .await?;
    if versions.is_empty() {
        if args.offline {
            bail!("{name} is not in the cached index (run without --offline to ask the network)");
        }
        versions.push(handle.lookup(name).await?.pack);
    }
    let latest = versions.last().expect("at least one version");
    let looks_like = lookalike(&handle, &latest.name).await?;
    if args.json {
        #[derive(Serialize)]
        struct Info<'a> {
            name: &'a str,
            versions: Vec<String>,
            description: &'a str,
            license: &'a str,
            tags: &'a [String],
            dependencies: Vec<String>,
            publisher: Option<String>,
            /// Who may publish it now.
            owners: Vec<String>,
            /// Versions new resolutions skip.
            yanked: Vec<String>,
            /// The popular pack this name is one edit from, if any.
            looks_like: Option<String>,
        }
        let info = Info {
            name: &latest.name,
            versions: versions.iter().map(|v| v.version.to_string()).collect(),
            description: &latest.description,
            license: &latest.license,
            tags: &latest.tags,
            dependencies: latest.dependencies.iter().map(|d| format!("{} {}", d.name, d.req)).collect(),
            publisher: latest.publisher.as_ref().map(to_hex),
            owners: owners.current.iter().map(to_hex).collect(),
            yanked: owners.yanked.iter().map(ToString::to_string).collect(),
            looks_like,
        };
        println!("{}", serde_json::to_string_pretty(&info)?);
        return Ok(());
    }
    println!("{} v{}", latest.name, latest.version);
    if let Some(popular) = looks_like {
        println!("warning: one edit from the popular pack `{popular}`; make sure this is the one you want");
    }
    println!("{}", latest.description);
    println!("license: {}", latest.license);
    if !latest.tags.is_empty() {
        println!("tags: {}", latest.tags.join(", "));
    }
    for d in &latest.dependencies {
        println!("depends on: {} {}", d.name, d.req);
    }
    if let Some(key) = &latest.publisher {
        println!("publisher: {}", to_hex(key));
    }
    if owners.current.len() > 1 || owners.current.first() != latest.publisher.as_ref() {
        println!("owners: {}", owners.names());
    }
    let all: Vec<String> = versions
        .iter()
        .map(|v| match owners.is_yanked(&v.version) {
            true => format!("{} (yanked)", v.version),
            false => v.version.to_string(),
        })
        .collect();
    println!("versions: {}", all.join(", "));
    Ok(())
}

/// The popular pack `name` is one edit from, if it is not popular itself.
async fn lookalike(handle: &NodeHandle, name: &str) -> Result<Option<String>> {
    let name = name.to_owned();
    Ok(handle.read(move |index| index.popular_lookalike(&name).map(|p| p.name().to_owned())).await?)
}

/// `souk peers`: who this node reaches once it has joined and walked the DHT.
pub async fn peers(args: &NetArgs) -> Result<()> {
    let caught = Heads::load(&home()?)?.evidence;
    for c in &caught {
        eprintln!("{:>12} {}: {}", "Caught", c.peer, c.what);
    }
    let Joined { handle, .. } = join(args).await?;
    let peers = handle.peers().await?;
    if args.json {
        #[derive(Serialize)]
        struct Peer {
            peer_id: String,
            address: String,
            score: f64,
            /// Gossipsub's own score of the peer.
            gossip_score: Option<f64>,
        }
        let peers: Vec<Peer> = peers
            .iter()
            .map(|p| Peer {
                peer_id: p.peer_id.to_string(),
                address: p.address.to_string(),
                score: p.reputation.score(),
                gossip_score: p.gossip_score,
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&peers)?);
        return Ok(());
    }
    for p in &peers {
        println!("{}  {}  score {:.2}", p.peer_id, p.address, p.reputation.score());
    }
    eprintln!("{:>12} {} peers", "Connected", peers.len());
    Ok(())
}

fn spinner(message: &'static str) -> ProgressBar {
    let spinner = ProgressBar::new_spinner().with_message(message);
    spinner.enable_steady_tick(Duration::from_millis(100));
    spinner
}

/// `$SOUK_HOME`, or `$XDG_CONFIG_HOME/souk`, or `~/.config/souk`.
/// The cache database: under `$SOUK_HOME` if set, else the user's cache folder.
fn cache_path() -> Result<PathBuf> {
    if let Some(home) = std::env::var_os("SOUK_HOME") {
        return Ok(Path::new(&home).join("cache/souk.redb"));
    }
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".cache")))
        .context("set SOUK_HOME or HOME so souk has somewhere to keep its cache")?;
    Ok(cache.join("souk/souk.redb"))
}

fn home() -> Result<PathBuf> {
    if let Some(home) = std::env::var_os("SOUK_HOME") {
        return Ok(home.into());
    }
    let config = std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".config")))
        .context("set SOUK_HOME or HOME so souk has somewhere to keep its key")?;
    Ok(config.join("souk"))
}

/// This user's public key: what signs their packs and statements, and what owns names.
pub(crate) fn public_key() -> Result<Digest> {
    let key = identity()?.public().try_into_ed25519().context("this user's key is not ed25519")?;
    Ok(key.to_bytes())
}

/// This user's key, made on first use and readable by this user only.
fn identity() -> Result<Keypair> {
    let path = home()?.join("identity.key");
    let stored = read_if_present(&path)?;
    let (key, new) = client::identity(stored.as_deref()).with_context(|| path.display().to_string())?;
    if let Some(bytes) = new {
        write_private(&path, &bytes)?;
    }
    Ok(key)
}

fn write_private(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    #[cfg(unix)]
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::create_dir_all(path.parent().expect("a file path has a parent"))?;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    options.mode(0o600);
    let mut file = options.open(path).with_context(|| format!("cannot create {}", path.display()))?;
    file.write_all(bytes)?;
    file.sync_all()?;
    Ok(())
}
