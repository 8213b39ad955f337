//! `souk owner` and `souk yank`: statements an owner of a name signs with their key. The
//! CLI checks one against the index it synced, then offers it to the relay, which checks it
//! again, keeps it and passes it on; the relay's refusal is the command's error.

use anyhow::{Context, Result};
use serde::Serialize;
use souk_core::Digest;
use souk_core::pack::{from_hex, to_hex};
use souk_core::record::{Claim, Owners, Statement};
use souk_net::client;

use crate::peer::{Joined, NetArgs, join, open, public_key};

/// What `souk owner` does.
#[derive(Debug, clap::Subcommand)]
pub enum OwnerCommand {
    /// Let another key publish, yank and change owners of NAME (you must own it).
    Add {
        name: String,
        /// The new owner's public key, in hex (`souk key` prints one's own).
        key: String,
        #[command(flatten)]
        net: NetArgs,
    },
    /// Take that right from a key; the versions it published stay.
    Remove {
        name: String,
        key: String,
        #[command(flatten)]
        net: NetArgs,
    },
    /// Show who owns NAME and which of its versions are yanked.
    List {
        name: String,
        #[command(flatten)]
        net: NetArgs,
    },
}

pub async fn run(command: OwnerCommand) -> Result<()> {
    match command {
        OwnerCommand::Add { name, key, net } => state(&name, Claim::AddOwner(parse_key(&key)?), &net).await,
        OwnerCommand::Remove { name, key, net } => {
            state(&name, Claim::RemoveOwner(parse_key(&key)?), &net).await
        }
        OwnerCommand::List { name, net } => list(&name, &net).await,
    }
}

/// `souk yank NAME@VERSION [--undo]`.
pub async fn yank(spec: &str, undo: bool, net: &NetArgs) -> Result<()> {
    let (name, version) = spec
        .split_once('@')
        .with_context(|| format!("`{spec}` names no version: yank takes NAME@VERSION"))?;
    let version = version.parse().with_context(|| format!("`{version}` is not a version"))?;
    state(name, if undo { Claim::Unyank(version) } else { Claim::Yank(version) }, net).await
}

/// Signs `claim` about `name` with this user's key and offers it to the relay.
async fn state(name: &str, claim: Claim, args: &NetArgs) -> Result<()> {
    let Joined { handle, relay, key } = join(args).await?;
    let listed = name.to_owned();
    let last = handle.read(move |index| Owners::of(index, &listed).serial).await?;
    // The time in seconds, and past the last statement about the name whatever the clock says.
    let now = souk_net::sync::unix_seconds();
    let secret = client::signing_secret(&key)?;
    let statement = Statement::sign(name, claim.clone(), now.max(last + 1), &secret)?;
    let new = handle.offer(relay, statement).await?;
    let done = match &claim {
        Claim::AddOwner(key) => format!("{} may now publish {name}", to_hex(key)),
        Claim::RemoveOwner(key) => format!("{} no longer owns {name}", to_hex(key)),
        Claim::Yank(v) => {
            format!("{name} {v} is yanked: new resolutions skip it, lockfiles still install it")
        }
        Claim::Unyank(v) => format!("{name} {v} is offered again"),
    };
    let taken = if new { "taken by" } else { "already held by" };
    if args.json {
        println!(
            "{}",
            serde_json::json!({ "name": name, "done": done, "relay": relay.to_string(), "new": new })
        );
    } else {
        eprintln!("{:>12} {done} ({taken} relay {relay})", "Signed");
    }
    Ok(())
}

async fn list(name: &str, args: &NetArgs) -> Result<()> {
    let (handle, _) = open(args).await?;
    let listed = name.to_owned();
    let (known, owners) = handle
        .read(move |index| (!index.versions_of(&listed).is_empty(), Owners::of(index, &listed)))
        .await?;
    anyhow::ensure!(known, "no pack named {name} is known to the network");
    let me = public_key()?;
    #[derive(Serialize)]
    struct List {
        name: String,
        owners: Vec<String>,
        yanked: Vec<String>,
        imported: bool,
    }
    let out = List {
        name: name.to_owned(),
        owners: owners.current.iter().map(to_hex).collect(),
        yanked: owners.yanked.iter().map(ToString::to_string).collect(),
        imported: owners.imported,
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(());
    }
    if owners.imported {
        println!("{name} is imported from another registry; its importer grants it");
    }
    for key in &owners.current {
        println!("{}{}", to_hex(key), if *key == me { "  (you)" } else { "" });
    }
    if !out.yanked.is_empty() {
        println!("yanked: {}", out.yanked.join(", "));
    }
    Ok(())
}

fn parse_key(hex: &str) -> Result<Digest> {
    from_hex(hex)
        .with_context(|| format!("`{hex}` is not a public key (64 hex digits; `souk key` prints yours)"))
}
