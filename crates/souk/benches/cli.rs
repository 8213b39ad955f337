//! `souk` commands as whole processes, as a user runs them: start-up, search, resolve, and
//! (against a `souk relay` started here on 127.0.0.1) info, peers, install and publish.
//! With `SOUK_SHARED`, also search over the full npm corpus and resolve `libp2p-native`
//! from the crates.io index.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};

/// Runs `souk` with `args` as `home`'s user; it must succeed.
fn souk(home: &Path, args: &[&str]) {
    let out = Command::new(env!("CARGO_BIN_EXE_souk")).env("SOUK_HOME", home).args(args).output().unwrap();
    assert!(out.status.success(), "souk {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

/// A `souk relay` on free ports, stopped when dropped.
struct Relay {
    child: Child,
    bootstrap: String,
}

impl Relay {
    fn start(data: &Path) -> Relay {
        let mut child = Command::new(env!("CARGO_BIN_EXE_souk"))
            .arg("relay")
            .arg("--data")
            .arg(data)
            .args(["--http", "127.0.0.1:0", "--listen", "/ip4/127.0.0.1/tcp/0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let (tx, rx) = mpsc::channel();
        let stdout = child.stdout.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        let mut bootstrap = String::new();
        loop {
            match rx.recv_timeout(Duration::from_secs(60)).expect("the relay says ready within 60 s") {
                line if line == "ready" => break,
                line if line.starts_with("http://") => bootstrap = format!("--bootstrap={line}/bootstrap"),
                _ => {}
            }
        }
        Relay { child, bootstrap }
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn offline(c: &mut Criterion, home: &Path) {
    let mut group = c.benchmark_group("cli");
    group.sample_size(10);
    group.bench_function("souk --help", |b| b.iter(|| souk(home, &["--help"])));
    group.bench_function("search (demo registry)", |b| b.iter(|| souk(home, &["search", "rust", "--json"])));
    let pack = concat!(env!("CARGO_MANIFEST_DIR"), "/../../registry/demo/rust-cli");
    let out = home.join("rust-cli.souk");
    group.bench_function("pack", |b| b.iter(|| souk(home, &["pack", pack, "--out", out.to_str().unwrap()])));
    let Some(shared) = std::env::var_os("SOUK_SHARED").map(PathBuf::from) else {
        eprintln!("skipped: set SOUK_SHARED to the shared/ folder for the full-corpus and crates.io runs");
        return;
    };
    let npm = home.join("npm.idx");
    let corpus = shared.join("corpus/npm-packages.tsv");
    souk(home, &["index", "import", corpus.to_str().unwrap(), "--out", npm.to_str().unwrap()]);
    group.bench_function("search (npm, 227k packages)", |b| {
        b.iter(|| souk(home, &["search", "reqest", "--index", npm.to_str().unwrap()]))
    });
    let index = shared.join("resolve/crates-index.jsonl.gz");
    let manifest = shared.join("resolve/roots/libp2p-native/Cargo.toml");
    let lock = home.join("Cargo.lock");
    group.bench_function("resolve libp2p-native (crates.io index)", |b| {
        b.iter(|| {
            souk(
                home,
                &[
                    "resolve",
                    "--registry",
                    index.to_str().unwrap(),
                    "--manifest",
                    manifest.to_str().unwrap(),
                    "--format",
                    "cargo-lock",
                    "--out",
                    lock.to_str().unwrap(),
                ],
            )
        })
    });
    group.finish();
}

fn networked(c: &mut Criterion, home: &Path) {
    let relay = Relay::start(&home.join("relay"));
    let bootstrap = relay.bootstrap.as_str();
    let mut group = c.benchmark_group("cli with a relay");
    group.sample_size(10);
    group.bench_function("info", |b| b.iter(|| souk(home, &["info", "rust-cli", bootstrap])));
    group.bench_function("peers", |b| b.iter(|| souk(home, &["peers", bootstrap])));
    let mut run = 0;
    group.bench_function("install rust-cli and its dependencies", |b| {
        b.iter(|| {
            run += 1;
            let out = home.join(format!("installed-{run}"));
            souk(home, &["install", "rust-cli", "--out", out.to_str().unwrap(), bootstrap])
        })
    });
    // Each publish is a new version of the pack, written before the clock starts.
    let pack = home.join("bench-pack");
    std::fs::create_dir_all(&pack).unwrap();
    std::fs::write(pack.join("main.rs"), "fn main() {}\n").unwrap();
    let mut version = 0;
    group.bench_function("publish", |b| {
        b.iter_custom(|iters| {
            let mut took = Duration::ZERO;
            for _ in 0..iters {
                version += 1;
                let manifest = format!(
                    "[pack]\nname = \"bench-pack\"\nversion = \"0.1.{version}\"\ndescription = \"A benchmark's pack\"\nlicense = \"MIT\"\n"
                );
                std::fs::write(pack.join("souk.toml"), manifest).unwrap();
                let started = Instant::now();
                souk(home, &["publish", pack.to_str().unwrap(), bootstrap]);
                took += started.elapsed();
            }
            took
        })
    });
    group.finish();
}

fn benches(c: &mut Criterion) {
    let home = tempfile::tempdir().unwrap();
    offline(c, home.path());
    networked(c, home.path());
}

criterion_group!(cli, benches);
criterion_main!(cli);
