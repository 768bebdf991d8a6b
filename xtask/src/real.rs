//! The real daemons next to the model (root; provisions both daemons, see the
//! `swan-charon` crate):
//!
//! * `cargo xtask real-replay` — the model's counterexample forced on Debian's stock
//!   charon with gdb (checker `real_replay`): deterministic, the test command's gate.
//! * `cargo xtask real-race` — helgrind on the same daemons under hammering (checker
//!   `real_helgrind`): statistical, reported as a hit rate over fresh daemons.

use crate::cargo::LOOM;
use crate::runner;
use anyhow::{bail, Result};
use swan_charon::daemon::Release;
use swan_charon::race::{self, Limits};
use swan_charon::replay;
use swan_credstore_models::record::{Checker, Record, Scenario};
use swan_credstore_models::report::{side_by_side::side_by_side, text};
use swan_credstore_models::select::Select;

/// Which daemon.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Daemon {
    /// Debian bookworm's charon 5.9.8 (pre-fix).
    Bookworm,
    /// Debian trixie's charon 6.0.1 (fixed).
    Trixie,
}

impl Daemon {
    pub(crate) fn release(self) -> Release {
        match self {
            Daemon::Bookworm => Release::Bookworm,
            Daemon::Trixie => Release::Trixie,
        }
    }
}

/// A number of seconds: finite and above zero.
fn positive_seconds(s: &str) -> Result<f64> {
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 => Ok(v),
        _ => bail!("{s:?} is not a positive number of seconds"),
    }
}

/// Options of `real-race`.
#[derive(clap::Args)]
pub struct RealRaceArgs {
    /// Print the real records as a JSON array instead of the matrix.
    #[arg(long)]
    json: bool,
    /// Longest run of one pre-fix daemon in seconds (it stops at its first relevant
    /// report).
    #[arg(long, default_value_t = 60.0, value_parser = positive_seconds)]
    max_seconds: f64,
    /// Fresh pre-fix daemons to try: the hit rate is over these.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..))]
    attempts: u32,
    /// Shortest run of the fixed daemon in seconds (it also runs at least as long, and
    /// as many operations, as all pre-fix attempts together).
    #[arg(long, default_value_t = 20.0, value_parser = positive_seconds)]
    min_seconds: f64,
    /// Run one daemon only, once: for debugging; bookworm stops at its first relevant
    /// report or --max-seconds, trixie runs --min-seconds.
    #[arg(long, value_enum)]
    only: Option<Daemon>,
    /// Skip the model's loom rows (no loom build).
    #[arg(long)]
    no_model: bool,
}

/// Which reader the forced schedule lets run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ReaderArg {
    /// vici list-certs (scenario reload_vs_list_certs).
    ListCerts,
    /// IKE_AUTH's lookup of the initiator's raw key, from a second charon over loopback
    /// (scenario reload_vs_lookup).
    IkeLookup,
}

/// Options of `real-replay`.
#[derive(clap::Args)]
pub struct RealReplayArgs {
    /// Forced runs per daemon and reader (each with a fresh charon).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
    runs: u32,
    /// One daemon only.
    #[arg(long, value_enum)]
    only: Option<Daemon>,
    /// One reader only (default: both).
    #[arg(long, value_enum)]
    reader: Option<ReaderArg>,
    /// Print the real records as a JSON array instead of the matrix.
    #[arg(long)]
    json: bool,
    /// Skip the model's loom rows (no loom build).
    #[arg(long)]
    no_model: bool,
}

/// The model's loom rows for the real rows' cells (scenario × variant × flow).
fn model_rows(real: &[Record]) -> Result<Vec<Record>> {
    let mut out = Vec::new();
    let mut scenarios: Vec<Scenario> = real.iter().map(|r| r.scenario).collect();
    scenarios.dedup();
    for scenario in scenarios {
        let select = Select {
            scenario: Some(scenario),
            checker: Some(Checker::Loom),
            scope: Some(swan_credstore_models::record::Scope::Base),
            ..Select::default()
        };
        out.extend(
            runner::rows(LOOM, &select)?
                .into_iter()
                .filter(|m| real.iter().any(|r| r.same_cell(m))),
        );
    }
    Ok(out)
}

/// Prints the model's and the real rows as one matrix, each counterexample's timeline,
/// and for a `real_replay` race the side-by-side table.
fn show(real: &[Record], with_model: bool) -> Result<()> {
    let model = if with_model {
        model_rows(real)?
    } else {
        Vec::new()
    };
    let mut all = model.clone();
    all.extend(real.iter().cloned());
    print!("{}", text::matrix(&all));
    for r in real {
        let m = model
            .iter()
            .find(|m| m.same_cell(r) && m.counterexample.is_some());
        if let Some(m) = m {
            print!("\n{}", text::timeline(m));
        }
        if r.counterexample.is_some() {
            print!("\n{}", text::timeline(r));
        }
        if let (Some(m), true) = (m, r.checker == Checker::RealReplay) {
            print!("\n{}", side_by_side(m, r));
        }
    }
    Ok(())
}

/// `real-replay`: `Ok(true)` when every run had its expected outcome.
pub fn replay(args: &RealReplayArgs) -> Result<bool> {
    let releases: Vec<Release> = match args.only {
        Some(d) => vec![d.release()],
        None => Release::ALL.to_vec(),
    };
    let readers: Vec<replay::Reader> = match args.reader {
        Some(ReaderArg::ListCerts) => vec![replay::Reader::ListCerts],
        Some(ReaderArg::IkeLookup) => vec![replay::Reader::IkeLookup],
        None => replay::Reader::ALL.to_vec(),
    };
    let runs = replay::run_many(&releases, &readers, args.runs as usize);
    replay::save(&runs)?;
    let ok = runs.iter().all(|r| r.record.as_expected());
    let saved = replay::load_records()?;
    if args.json {
        crate::print_json(&saved)?;
        return Ok(ok);
    }
    show(&saved, !args.no_model)?;
    println!("\n{}", replay::summary(&runs));
    println!(
        "real-replay: records in {}; {}",
        replay::records_path().display(),
        if ok {
            "every run as expected"
        } else {
            "MISMATCH"
        }
    );
    Ok(ok)
}

/// `real-race`: `Ok(true)` when both real rows have their expected outcome (the
/// pre-fix row is `race` when at least one attempt saw the report; its message carries
/// the hit rate).
pub fn race(args: &RealRaceArgs) -> Result<bool> {
    let (runs, rate) = match args.only {
        None => {
            let (runs, rate) =
                race::run_rate(args.min_seconds, args.max_seconds, args.attempts as usize)?;
            (runs, Some(rate))
        }
        Some(d) => {
            let release = d.release();
            let pre = release == Release::Bookworm;
            let limits = Limits {
                stop_at_first: pre,
                min_seconds: if pre {
                    args.max_seconds
                } else {
                    args.min_seconds
                },
                min_ops: 0,
                max_seconds: args.max_seconds,
            };
            let run = race::run(release, limits)?;
            (vec![run], None)
        }
    };
    race::save(&runs)?;
    let real: Vec<Record> = runs.iter().map(|r| r.record.clone()).collect();
    let ok = real.iter().all(Record::as_expected);
    if args.json {
        crate::print_json(&real)?;
        return Ok(ok);
    }
    show(&real, !args.no_model)?;
    println!("\n{}", race::report(&runs));
    if let Some(rate) = rate {
        println!("helgrind hit rate on 5.9.8: {}", rate.text());
    }
    println!(
        "real-race: records in {}; {}",
        race::records_path().display(),
        if ok {
            "both outcomes as expected"
        } else {
            "MISMATCH"
        }
    );
    Ok(ok)
}

/// The saved real rows (`real_replay`, then `real_helgrind`, whichever were saved), for
/// `cargo xtask verify --real` and the report; an error when neither was.
pub fn saved_records() -> Result<Vec<Record>> {
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for load in [replay::load_records, race::load_records] {
        match load() {
            Ok(r) => out.extend(r),
            Err(e) => errors.push(format!("{e:#}")),
        }
    }
    if out.is_empty() {
        bail!("{}", errors.join("; "));
    }
    Ok(out)
}
