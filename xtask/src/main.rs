//! `cargo xtask`: the project's commands.
//!
//! * `cargo xtask verify [--json]` — the main job: every scenario × variant × flow under
//!   loom, printed as a verdict matrix with a timeline for each counterexample.
//! * `cargo xtask test` — the test command: fmt, clippy and tests in the std and loom
//!   builds (what `.ci/run` runs).
//! * `cargo xtask predict --swanctl <file> --reloads N [--clear-every K] [--json]` — the
//!   model's figures for a real swanctl configuration, both flows.
//! * `cargo xtask leak [--out DIR]` — the growth report (table + SVG).

mod cargo;
mod heapcount;
mod leak;
mod predict;
mod testcmd;
mod verify;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// swan-credstore's commands.
#[derive(Parser)]
#[command(name = "cargo xtask")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run every scenario × variant × flow under loom and print the verdict matrix.
    /// Exits 0 when every outcome matches its expectation.
    Verify(verify::VerifyArgs),
    /// Run the test suite: fmt, clippy -D warnings and cargo test, in the std build and
    /// under --cfg loom (separate target dirs).
    Test,
    /// Predict stored raw-key objects, list nodes and heap bytes for a real swanctl.conf
    /// reloaded N times, in both flows, with the closed form observed.
    Predict(predict::PredictArgs),
    /// Growth report: sweep reloads, keys, id/no id and clear-creds periods; write a
    /// table and an SVG plot into target/reports (or --out).
    Leak(leak::LeakArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Verify(args) => verify::run(&args),
        Command::Test => testcmd::run(),
        Command::Predict(args) => predict::run(&args),
        Command::Leak(args) => leak::run(&args),
    };
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}
