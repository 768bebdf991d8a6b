//! `cargo xtask`: the project's commands.
//!
//! * `cargo xtask verify [--json] [--full]` — the main job: every scenario × variant ×
//!   flow under loom, shuttle (PCT and random) and real-thread stress, printed as a
//!   verdict matrix with a timeline for each counterexample.
//! * `cargo xtask replay <scenario> <variant> <schedule>` — replays a failing shuttle run.
//! * `cargo xtask stress [--json]` — the real-thread stress rows alone.
//! * `cargo xtask report` — writes notes/results.md and the generated part of
//!   notes/designs.md.
//! * `cargo xtask test` — the test command: fmt, clippy and tests in the std, loom,
//!   crossbeam_loom and shuttle builds (what `.ci/run` runs).
//! * `cargo xtask predict --swanctl <file> --reloads N [--clear-every K] [--json]` — the
//!   model's figures for a real swanctl configuration, both flows.
//! * `cargo xtask leak [--out DIR]` — the growth report (table + SVG).
//! * `cargo xtask real-replay [--runs N]` — the model's counterexample forced on the real
//!   daemons with gdb (deterministic), next to the model's rows.
//! * `cargo xtask real-race` — helgrind on the real daemons (5.9.8 and 6.0.1): a hit
//!   rate over fresh daemons.
//! * `cargo xtask bench` — the criterion benchmarks and the figures of
//!   notes/performance.md.
//! * `cargo xtask bench-checkers [--json]` — what each design costs to verify.
//! * `cargo xtask differential [--daemon D] [--cases N] [--seed S] [--fixtures DIR]` —
//!   generated swanctl trees and steps on the real daemons against the model.

mod bench;
mod bench_checkers;
mod cargo;
mod differential;
mod heapcount;
mod ladder;
mod leak;
mod mutants;
mod notes;
mod pages;
mod predict;
mod real;
mod repeat;
mod report;
mod runner;
mod testcmd;
mod verify;

use anyhow::Context;
use clap::{Parser, Subcommand};
use serde::Serialize;
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
    /// Run every scenario × variant × flow × checker (loom, shuttle PCT and random,
    /// stress) and print the verdict matrix. Exits 0 when every outcome matches its
    /// expectation.
    Verify(verify::VerifyArgs),
    /// Replay a failing shuttle schedule and print its timeline.
    Replay(verify::ReplayArgs),
    /// Measure what each design costs to verify: loom at preemption bounds 1, 2, 3 and
    /// unbounded; shuttle's first failure over 100 seeds. Writes target/reports/checkers.md.
    BenchCheckers(bench_checkers::BenchCheckersArgs),
    /// Run every checker and write notes/results.md (matrix, Mermaid diagrams, timelines,
    /// timings), the growth plot under notes/figures/, and the generated table of
    /// notes/designs.md.
    Report(report::ReportArgs),
    /// The race on the real daemons, statistically: helgrind on Debian's stock charon
    /// 5.9.8 (pre-fix, several fresh daemons: a hit rate) and 6.0.1 (fixed) while vici
    /// clients reload and list. Needs root; writes target/reports/real-race.json.
    RealRace(real::RealRaceArgs),
    /// The model's counterexample forced on the real daemons with gdb (non-stop mode):
    /// on 5.9.8 the reload is held in set_subject after the old identity's free and
    /// list-certs reads the freed identity; on 6.0.1 only live identities. Needs root;
    /// writes target/reports/real-replay.json.
    RealReplay(real::RealReplayArgs),
    /// Run the real-thread stress rows (production cells, both flows).
    Stress {
        /// Print JSON records instead of the matrix.
        #[arg(long)]
        json: bool,
    },
    /// Run the test suite: fmt, clippy -D warnings and cargo test, in the std, loom,
    /// crossbeam_loom and shuttle builds (separate target dirs).
    Test,
    /// Predict stored raw-key objects, list nodes and heap bytes for a real swanctl.conf
    /// reloaded N times, in both flows, with the closed form observed.
    Predict(predict::PredictArgs),
    /// Growth report: sweep reloads, keys, id/no id and clear-creds periods; write a
    /// table and an SVG plot into target/reports (or --out).
    Leak(leak::LeakArgs),
    /// Run the criterion benchmarks and regenerate the figures in notes/performance.md.
    Bench(bench::BenchArgs),
    /// Generated swanctl trees and step sequences on the real daemons and the model,
    /// compared after every step; a divergence is shrunk and saved under
    /// target/reports/differential/. Needs root.
    Differential(differential::DifferentialArgs),
    /// Mutation testing of the model with cargo-mutants (installed if missing): a std
    /// pass, then a loom pass over its survivors; writes target/reports/mutants.md and
    /// fails under a 95% score or with a survivor notes/mutants.md does not explain.
    Mutants(mutants::MutantsArgs),
}

/// Prints `value` as pretty JSON on stdout (the `--json` output of the commands).
fn print_json(value: &impl Serialize) -> anyhow::Result<()> {
    let json =
        serde_json::to_string_pretty(value).context("cannot serialise the output as JSON")?;
    println!("{json}");
    Ok(())
}

/// Runs the command: `Ok(true)` exits 0, `Ok(false)` (the command ran and its check did
/// not hold) exits 1, an error prints its whole chain on one line and exits 2.
fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Verify(args) => verify::run(&args),
        Command::Replay(args) => verify::replay(&args),
        Command::Report(args) => report::run(&args),
        Command::BenchCheckers(args) => bench_checkers::run(&args),
        Command::RealRace(args) => real::race(&args),
        Command::RealReplay(args) => real::replay(&args),
        Command::Differential(args) => differential::run(&args),
        Command::Stress { json } => verify::stress(json),
        Command::Test => testcmd::run(),
        Command::Predict(args) => predict::run(&args),
        Command::Leak(args) => leak::run(&args),
        Command::Bench(args) => bench::run(&args),
        Command::Mutants(args) => mutants::run(&args),
    };
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}
