//! Running programs: each command is echoed, its output passes through, and a failure
//! names the command.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::Duration;

use anyhow::{Context, Result, bail};

/// A command to run in the workspace root.
#[derive(Debug)]
pub struct Cmd(Command);

impl Cmd {
    pub fn new(program: impl AsRef<OsStr>) -> Cmd {
        let mut command = Command::new(program);
        command.current_dir(root());
        Cmd(command)
    }

    pub fn args<I, S>(mut self, args: I) -> Cmd
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.0.args(args);
        self
    }

    pub fn arg(mut self, arg: impl AsRef<OsStr>) -> Cmd {
        self.0.arg(arg);
        self
    }

    /// Sends the command's standard output nowhere (for tools that print a report we
    /// collect from files instead).
    pub fn quiet(mut self) -> Cmd {
        self.0.stdout(std::process::Stdio::null());
        self
    }

    pub fn env(mut self, key: &str, value: impl AsRef<OsStr>) -> Cmd {
        self.0.env(key, value);
        self
    }

    pub fn dir(mut self, dir: impl AsRef<Path>) -> Cmd {
        self.0.current_dir(root().join(dir));
        self
    }

    /// Runs the command with inherited output; a non-zero exit is an error.
    pub fn run(mut self) -> Result<()> {
        eprintln!("$ {}", self.describe());
        let status = self.0.status().with_context(|| format!("cannot start {}", self.describe()))?;
        if !status.success() {
            bail!("`{}` failed ({status})", self.describe());
        }
        Ok(())
    }

    /// Runs the command quietly and returns its standard output, or `None` if it could
    /// not start or failed (a probe for whether a tool is there).
    pub fn probe(mut self) -> Option<String> {
        let out = self.0.output().ok()?;
        out.status.success().then(|| String::from_utf8_lossy(&out.stdout).into_owned())
    }

    fn describe(&self) -> String {
        let mut s = self.0.get_program().to_string_lossy().into_owned();
        for arg in self.0.get_args() {
            s.push(' ');
            s.push_str(&arg.to_string_lossy());
        }
        s
    }
}

/// `cargo` with the given arguments (the cargo that runs this xtask).
/// The debug `souk` binary as `cargo test --workspace` builds it: building it any other way
/// (`cargo build -p souk`) unifies other features and compiles a few dozen crates again.
pub fn debug_souk() -> Result<PathBuf> {
    cargo(["test", "--workspace", "--no-run"]).run()?;
    Ok(target_dir()?.join("debug/souk"))
}

pub fn cargo<I, S>(args: I) -> Cmd
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    Cmd::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into())).args(args)
}

/// The workspace root (the folder above this crate).
pub fn root() -> &'static Path {
    static ROOT: OnceLock<PathBuf> = OnceLock::new();
    ROOT.get_or_init(|| {
        // Read at run time, not compile time: a shared target folder may reuse this binary
        // for a checkout at another path. `cargo run` sets the variable.
        let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR").expect("run xtask through `cargo xtask`");
        Path::new(&manifest_dir).parent().expect("xtask sits in the workspace").to_path_buf()
    })
}

/// Cargo's target directory, wherever `CARGO_TARGET_DIR` or a config puts it.
pub fn target_dir() -> Result<PathBuf> {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    if let Some(dir) = DIR.get() {
        return Ok(dir.clone());
    }
    let out = cargo(["metadata", "--format-version", "1", "--no-deps"])
        .probe()
        .context("`cargo metadata` failed")?;
    let meta: serde_json::Value = serde_json::from_str(&out)?;
    let dir = PathBuf::from(meta["target_directory"].as_str().context("no target_directory")?);
    Ok(DIR.get_or_init(|| dir).clone())
}

/// One finished step of a task, for the closing report.
#[derive(Debug)]
pub struct Step {
    pub name: &'static str,
    pub took: Duration,
}

pub fn report(steps: &[Step]) {
    eprintln!("\nxtask: every step passed");
    for step in steps {
        eprintln!("  {:<36} {:>6.1} s", step.name, step.took.as_secs_f64());
    }
}
