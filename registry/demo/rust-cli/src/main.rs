use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Parser;

/// {{description}}
#[derive(Debug, Parser)]
#[command(version, about)]
struct Cli {
    /// The file to read.
    path: PathBuf,
    /// Print more detail.
    #[arg(short, long)]
    verbose: bool,
}

fn run(cli: Cli) -> Result<()> {
    let text = std::fs::read_to_string(&cli.path)
        .with_context(|| format!("cannot read {}", cli.path.display()))?;
    println!("{} lines", text.lines().count());
    if cli.verbose {
        eprintln!("read {} bytes", text.len());
    }
    Ok(())
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
