//! A real `souk relay` for the browser peer's tests: a fresh data folder, free ports on
//! 127.0.0.1, stopped when dropped. The native CLI publishes to it before the tabs run and
//! installs from it after, so a tab and the CLI meet on one network.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use anyhow::{Context, Result, bail};

use crate::shell::{Cmd, root, target_dir};

/// The pack the CLI publishes for the tabs to install.
const CLI_PACK: &str = "crates/souk-web/tests/fixtures/cli-made-pack";
/// The pack a tab publishes (`tests/peer.rs`) for the CLI to install, and one of its files.
const TAB_PACK: &str = "tab-made-pack";
const TAB_PACK_FILE: &str = "hello.txt";
/// Queries whose results the tabs must match.
const QUERIES: [&str; 4] = ["rust", "licnse", "docker", "web"];

#[derive(Debug)]
pub struct TestRelay {
    child: Child,
    souk: PathBuf,
    work: PathBuf,
    /// The page the relay serves, and its `/bootstrap` URL.
    pub page: String,
    pub bootstrap: String,
    /// The dialable addresses it printed.
    pub addrs: Vec<String>,
}

impl TestRelay {
    /// Starts a relay (the debug `souk` binary) with its data in a fresh
    /// `target/souk-web-tests/NAME`, and waits for its `ready` line.
    pub fn start(name: &str) -> Result<TestRelay> {
        // Rotations while the tabs run: each one must keep accepting them.
        Self::run(crate::shell::debug_souk()?, name, &["--webtransport-rotation", "5"])
    }

    /// Starts the relay binary `souk` with `args` (beside its data folder and addresses).
    pub fn run(souk: PathBuf, name: &str, args: &[&str]) -> Result<TestRelay> {
        let work = target_dir()?.join("souk-web-tests").join(name);
        let _ = std::fs::remove_dir_all(&work);
        std::fs::create_dir_all(&work)?;
        let mut child = Command::new(&souk)
            .args(["relay", "--http", "127.0.0.1:0", "--data"])
            .arg(work.join("relay"))
            .arg("--web")
            .arg(root().join("web"))
            .args(["--listen", "/ip4/127.0.0.1/tcp/0", "--listen", "/ip4/127.0.0.1/tcp/0/ws"])
            .args(["--listen", "/ip4/127.0.0.1/udp/0/webrtc-direct"])
            .args(["--listen", "/ip4/127.0.0.1/udp/0/quic-v1/webtransport"])
            .args(args)
            .stdout(Stdio::piped())
            // Its log (every WebRTC handshake) would bury the tests' output.
            .stderr(std::fs::File::create(work.join("relay.log"))?)
            .spawn()
            .with_context(|| format!("cannot start {}", souk.display()))?;
        let stdout = child.stdout.take().expect("piped");
        let (lines, read) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                eprintln!("relay: {line}");
                let _ = lines.send(line);
            }
        });
        let (mut http, mut addrs) = (None, Vec::new());
        loop {
            match read.recv_timeout(Duration::from_secs(120)) {
                Ok(line) if line == "ready" => break,
                Ok(line) if line.starts_with("http://") => http = Some(line),
                Ok(line) => addrs.push(line),
                Err(_) => {
                    let _ = child.kill();
                    bail!(
                        "the relay did not get ready within 2 minutes; see {}",
                        work.join("relay.log").display()
                    );
                }
            }
        }
        let http = http.context("the relay printed no HTTP address")?;
        let (page, bootstrap) = (format!("{http}/"), format!("{http}/bootstrap"));
        Ok(TestRelay { child, souk, work, page, bootstrap, addrs })
    }

    /// Where the page's end-to-end test saves its screenshots and downloads.
    pub fn screenshots(&self) -> PathBuf {
        self.work.join("screenshots")
    }

    /// The `souk` binary the relay runs, for a test to run the CLI itself.
    pub fn souk(&self) -> &Path {
        &self.souk
    }

    /// The CLI, as a user of this relay with its own identity.
    fn cli(&self, user: &str) -> Cmd {
        Cmd::new(&self.souk).env("SOUK_HOME", self.work.join(user)).env("SOUK_BOOTSTRAP", &self.bootstrap)
    }

    /// Publishes the CLI's pack.
    pub fn publish_from_cli(&self) -> Result<()> {
        self.cli("cli-publisher").arg("publish").arg(root().join(CLI_PACK)).run()
    }

    /// The CLI's answers to the queries the tabs compare theirs with, as JSON
    /// `{query: [names]}`.
    pub fn expected_searches(&self) -> Result<String> {
        let mut expected = serde_json::Map::new();
        for query in QUERIES {
            let out = self.cli("cli-publisher").args(["search", query, "--json"]).probe();
            let hits: Vec<serde_json::Value> = serde_json::from_str(&out.context("`souk search` failed")?)?;
            let names = hits.iter().map(|h| h["name"].clone()).collect();
            expected.insert(query.to_owned(), serde_json::Value::Array(names));
        }
        Ok(serde_json::Value::Object(expected).to_string())
    }

    /// Installs the pack a tab published, as another CLI user, and checks its file.
    pub fn install_from_cli(&self) -> Result<()> {
        let out = self.work.join("installed");
        self.cli("cli-installer").args(["install", TAB_PACK, "--out"]).arg(&out).run()?;
        let file = out.join(TAB_PACK).join(TAB_PACK_FILE);
        let text =
            std::fs::read_to_string(&file).with_context(|| format!("{} is missing", file.display()))?;
        if !text.contains("made in a browser tab") {
            bail!("{} holds the wrong text: {text:?}", file.display());
        }
        Ok(())
    }
}

impl Drop for TestRelay {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
