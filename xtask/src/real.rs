//! `cargo xtask real-race`: the race on the real daemons (helgrind on Debian's stock
//! charon 5.9.8 and 6.0.1), next to the model's loom rows of the same scenario.
//! Needs root; provisions both daemons (see the `swan-charon` crate).

use crate::cargo::LOOM;
use swan_charon::daemon::Release;
use swan_charon::race::{self, Limits, SCENARIO};
use swan_credstore_models::record::Record;
use swan_credstore_models::render;

/// Options of `real-race`.
#[derive(clap::Args)]
pub struct RealRaceArgs {
    /// Print the real records as a JSON array instead of the matrix.
    #[arg(long)]
    json: bool,
    /// Longest run per daemon in seconds (the pre-fix one stops at its first relevant
    /// report; the fixed one may run half as long again to match its operations).
    #[arg(long, default_value_t = 100.0)]
    max_seconds: f64,
    /// Fresh pre-fix daemons to try before concluding there is no report.
    #[arg(long, default_value_t = 3)]
    attempts: usize,
    /// Shortest run of the fixed daemon in seconds.
    #[arg(long, default_value_t = 20.0)]
    min_seconds: f64,
    /// Run one daemon only (`bookworm` or `trixie`): for debugging; bookworm stops at
    /// its first relevant report or --max-seconds, trixie runs --min-seconds.
    #[arg(long)]
    only: Option<String>,
    /// Skip the model's loom rows (no loom build).
    #[arg(long)]
    no_model: bool,
}

/// The model's loom rows for the real rows' cells (scenario × variant × flow).
fn model_rows() -> Result<Vec<Record>, String> {
    let args: Vec<String> = ["--scenario", SCENARIO, "--checker", "loom"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let rows = crate::verify::checker(LOOM, &args)?;
    Ok(rows
        .into_iter()
        .filter(|r| {
            (r.variant == "in_place" && r.flow == "pre_fix")
                || (r.variant == "immutable" && r.flow == "upstream_fix")
        })
        .collect())
}

/// `real-race`: `Ok(true)` when both real rows have their expected outcome.
pub fn run(args: &RealRaceArgs) -> Result<bool, String> {
    let runs = match args.only.as_deref() {
        None => race::run_both_attempts(args.min_seconds, args.max_seconds, args.attempts)?,
        Some(name) => {
            let release = match name {
                "bookworm" => Release::Bookworm,
                "trixie" => Release::Trixie,
                other => return Err(format!("--only {other}: expected bookworm or trixie")),
            };
            let limits = Limits {
                stop_at_first: release == Release::Bookworm,
                min_seconds: if release == Release::Bookworm {
                    args.max_seconds
                } else {
                    args.min_seconds
                },
                min_ops: 0,
                max_seconds: args.max_seconds,
            };
            vec![race::run(release, limits)?]
        }
    };
    race::save(&runs)?;
    let real: Vec<Record> = runs.iter().map(|r| r.record.clone()).collect();
    let ok = real.iter().all(Record::as_expected);
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&real).map_err(|e| e.to_string())?
        );
        return Ok(ok);
    }
    let model = if args.no_model {
        Vec::new()
    } else {
        model_rows()?
    };
    let mut all = model.clone();
    all.extend(real.iter().cloned());
    print!("{}", render::matrix(&all));
    for r in &real {
        if let Some(m) = model
            .iter()
            .find(|m| m.variant == r.variant && m.flow == r.flow && m.counterexample.is_some())
        {
            print!("\n{}", render::timeline(m));
        }
        if r.counterexample.is_some() {
            print!("\n{}", render::timeline(r));
        }
    }
    println!("\n{}", race::report(&runs));
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

/// The saved real rows, for `cargo xtask verify --real`.
pub fn saved_records() -> Result<Vec<Record>, String> {
    race::load_records()
}
