//! `cargo xtask`: Souk's project tasks, in Rust so they run wherever cargo does.
//!
//! - `setup`: installs what a fresh machine lacks, and is quick when nothing is missing.
//! - `build-wasm`: the browser modules, as `wasm-pack.toml` configures them.
//! - `test`: every check CI runs (format, lints for both targets, native tests, the wasm
//!   tests in headless Chromium, the release wasm build, every criterion bench run once as a
//!   test in the test profile).
//! - `run`: the marketplace: a relay serving the page, seeded with the embedded demo registry.
//! - `compare`: search and resolution natively, in wasm under Node and in headless
//!   Chromium, side by side with MiniSearch, FlexSearch and cargo.
//! - `connect`: connection setup from headless Chromium over each browser transport.

mod bench;
mod fuzz;
mod relay;
mod setup;
mod shell;
mod wasm;

use std::time::Instant;

use anyhow::Result;
use clap::{Parser, Subcommand};

use shell::{Step, cargo};

#[derive(Debug, Parser)]
#[command(name = "cargo xtask", about)]
struct Cli {
    #[command(subcommand)]
    task: Task,
}

#[derive(Debug, Subcommand)]
enum Task {
    /// Install what this machine lacks: the wasm target, wasm-bindgen-cli, Chromium and
    /// chromedriver, the page's npm packages.
    Setup,
    /// Build the browser modules as wasm-pack.toml says.
    BuildWasm,
    /// Set up, then run every check and test (what CI runs).
    Test,
    /// Fuzz every decoder (or the targets named) under libFuzzer, each for `--seconds`,
    /// and print the executions and corpus size of each; a crash fails the run and leaves
    /// its input in fuzz/artifacts/TARGET/.
    Fuzz {
        #[arg(long, default_value_t = 60)]
        seconds: u64,
        /// Targets to run (default: all).
        targets: Vec<String>,
    },
    /// Compare search and resolution natively, in wasm (Node and headless Chromium), with
    /// MiniSearch, FlexSearch and cargo, on the shared data (SOUK_SHARED, default
    /// ../shared); writes one table and a plot under target/bench/.
    Compare,
    /// Connection setup from headless Chromium to a release relay over WebTransport,
    /// WebRTC-direct and WebSocket: median and p95 of `--rounds` connects each.
    Connect {
        #[arg(long, default_value_t = 50)]
        rounds: usize,
    },
    /// Set up, build the page, then run a relay that serves it, seeded with the embedded
    /// demo registry (Ctrl-C stops it; its data stays in the data folder). The relay is the
    /// debug build `cargo xtask test` has already made, unless `--release`.
    Run {
        /// Build and run the optimized relay instead (a longer first build).
        #[arg(long)]
        release: bool,
        /// Where the page, /bootstrap and /metrics are served.
        #[arg(long, default_value = "127.0.0.1:8080")]
        http: String,
        /// The relay's data folder (default: target/souk-relay).
        #[arg(long)]
        data: Option<std::path::PathBuf>,
    },
}

fn main() -> Result<()> {
    let started = Instant::now();
    match Cli::parse().task {
        Task::Setup => setup::all()?,
        Task::BuildWasm => wasm::build()?,
        Task::Test => test()?,
        Task::Compare => bench::compare()?,
        Task::Connect { rounds } => bench::connect(rounds)?,
        Task::Fuzz { seconds, targets } => fuzz::run(seconds, &targets)?,
        Task::Run { http, data, release } => run(&http, data, release)?,
    }
    eprintln!("xtask: done in {:.0?}", started.elapsed());
    Ok(())
}

const WASM: &str = "wasm32-unknown-unknown";
/// The crates that run in the browser: linted and tested for wasm too.
const WASM_CRATES: [&str; 10] =
    ["-p", "souk-core", "-p", "souk-pack", "-p", "souk-web", "-p", "souk-web-pack", "-p", "souk-webrtc"];

fn test() -> Result<()> {
    setup::all()?;
    let mut steps = Vec::new();
    let mut step = |name: &'static str, f: &dyn Fn() -> Result<()>| -> Result<()> {
        let started = Instant::now();
        eprintln!("\n==> {name}");
        f()?;
        steps.push(Step { name, took: started.elapsed() });
        Ok(())
    };
    step("format", &|| cargo(["fmt", "--all", "--check"]).run())?;
    step("clippy (native)", &|| {
        cargo(["clippy", "--workspace", "--all-targets", "--", "-D", "warnings"]).run()
    })?;
    step("clippy (wasm32)", &|| {
        cargo(["clippy", "--target", WASM, "--all-targets"])
            .args(WASM_CRATES)
            .args(["--", "-D", "warnings"])
            .run()?;
        // The network crate (its tests are native only) and the benches' wasm harness (its
        // bins and benches are native only).
        cargo([
            "clippy",
            "--target",
            WASM,
            "-p",
            "souk-net",
            "-p",
            "souk-benches",
            "--lib",
            "--",
            "-D",
            "warnings",
        ])
        .run()
    })?;
    step("tests (native)", &|| cargo(["test", "--workspace"]).run())?;
    step("tests (wasm32, headless Chromium, with a relay)", &|| {
        // The tabs join a real relay, which the CLI publishes to before and installs from
        // after them.
        let relay = relay::TestRelay::start("peer")?;
        relay.publish_from_cli()?;
        cargo(["test", "--target", WASM])
            .args(WASM_CRATES)
            .env("WASM_BINDGEN_USE_BROWSER", "1")
            .env("CHROMEDRIVER", setup::CHROMEDRIVER)
            .env("SOUK_TEST_BOOTSTRAP", &relay.bootstrap)
            .env("SOUK_TEST_SEARCHES", relay.expected_searches()?)
            .run()?;
        relay.install_from_cli()
    })?;
    step("wasm modules (release)", &wasm::build)?;
    step("page end to end (Playwright, Chromium, with a relay)", &|| {
        let relay = relay::TestRelay::start("page")?;
        shell::Cmd::new("node")
            .arg("web/tests/e2e.mjs")
            .env("SOUK_PAGE", &relay.page)
            .env("SOUK_SCREENSHOTS", relay.screenshots())
            .env("SOUK_CLI", relay.souk())
            .env("SOUK_BOOTSTRAP", &relay.bootstrap)
            .run()?;
        // Two tabs joined directly, and a js-libp2p node dialing one; the test starts (and
        // stops) relays of its own.
        setup::npm_packages("web/tests/interop")?;
        shell::Cmd::new("node").arg("web/tests/tabs.mjs").env("SOUK_CLI", relay.souk()).run()
    })?;
    // Every criterion bench once, so none can rot: the benches crate's and the CLI's. Run
    // by `cargo test`, criterion runs each once as a test, in the test profile the native
    // tests have built already (release with LTO would build the world a second time).
    // `--workspace` keeps the features the native tests were built with, so nothing rebuilds.
    step("bench smoke run", &|| cargo(["test", "--workspace", "--benches"]).run())?;
    // Each decoder briefly: the committed seeds replayed, then a few seconds of search.
    step("fuzz (each target 5 s)", &|| fuzz::run(5, &[]))?;
    shell::report(&steps);
    Ok(())
}

fn run(http: &str, data: Option<std::path::PathBuf>, release: bool) -> Result<()> {
    setup::wasm_tools()?;
    setup::npm_packages("web")?;
    wasm::build()?;
    let souk = if release {
        cargo(["build", "--release", "-p", "souk"]).run()?;
        shell::target_dir()?.join("release/souk")
    } else {
        shell::debug_souk()?
    };
    let data = match data {
        Some(data) => data,
        None => shell::target_dir()?.join("souk-relay"),
    };
    eprintln!("\nSouk: open http://{http}/ (the relay prints its addresses, then `ready`)\n");
    shell::Cmd::new(&souk)
        .args(["relay", "--http", http, "--web"])
        .arg(shell::root().join("web"))
        .arg("--data")
        .arg(&data)
        .run()
}
