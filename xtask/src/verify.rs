//! `cargo xtask verify`: builds the checker in each configuration (loom, loom with
//! crossbeam-epoch instrumented, shuttle, std), runs the rows each can run, and prints
//! the merged matrix (or `--json`). Also `cargo xtask replay` and `cargo xtask stress`.

use crate::cargo::{Build, CROSSBEAM_LOOM, LOOM, SHUTTLE, STD};
use crate::runner;
use anyhow::{bail, Context, Result};
use swan_credstore_models::record::{Checker, Flow, Outcome, Record, Scenario, Scope, Variant};
use swan_credstore_models::report::text;
use swan_credstore_models::select::Select;

/// Options of `verify`.
#[derive(clap::Args)]
pub struct VerifyArgs {
    /// Print the records as a JSON array instead of the matrix.
    #[arg(long)]
    json: bool,
    /// Which rows, and the checkers' budgets.
    #[command(flatten)]
    select: Select,
    /// Also show the real daemons' rows saved by `cargo xtask real-replay` (checker
    /// `real_replay`, target/reports/real-replay.json) and `cargo xtask real-race`
    /// (`real_helgrind`, target/reports/real-race.json).
    #[arg(long)]
    real: bool,
    /// Run the selection K times and report every row that changed between runs (loom
    /// and shuttle rows must repeat exactly, stress rows in their verdict); exits 1 if
    /// one did. The matrix printed is the first run's.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
    repeat: u32,
}

/// Which builds can contribute rows to a selection.
fn builds_for(select: &Select) -> Vec<Build> {
    let mut builds = Vec::new();
    let epoch = select.variant.map(|v| v == Variant::Epoch);
    match select.checker {
        None | Some(Checker::Loom) => {
            if epoch != Some(true) {
                builds.push(LOOM);
            }
            if epoch != Some(false) {
                builds.push(CROSSBEAM_LOOM);
            }
        }
        _ => {}
    }
    if matches!(
        select.checker,
        None | Some(Checker::ShuttleDfs | Checker::ShuttlePct | Checker::ShuttleRandom)
    ) {
        builds.push(SHUTTLE);
    }
    if matches!(select.checker, None | Some(Checker::Stress)) {
        builds.push(STD);
    }
    builds
}

/// `verify`: prints the matrix or JSON; `Ok(true)` when every outcome is as expected.
pub fn run(args: &VerifyArgs) -> Result<bool> {
    if let Some(c) = args.select.checker {
        if !Checker::MODEL.contains(&c) {
            bail!(
                "checker {c} has no rows here; expected loom, shuttle_dfs, shuttle_pct, shuttle_random or stress \
                 (the real daemons' rows: --real)"
            );
        }
    }
    let mut runs = Vec::new();
    for run in 1..=args.repeat {
        if args.repeat > 1 {
            eprintln!("verify: run {run} of {}", args.repeat);
        }
        let mut records = Vec::new();
        for build in builds_for(&args.select) {
            records.extend(runner::rows(build, &args.select)?);
        }
        runs.push(records);
    }
    let changed = crate::repeat::changes(&runs);
    let mut records = runs.swap_remove(0);
    if args.real {
        records.extend(
            crate::real::saved_records()?
                .into_iter()
                .filter(|r| args.select.record_cell(r)),
        );
    }
    if records.is_empty() {
        bail!("no row matches that selection");
    }
    let ok = records.iter().all(Record::as_expected) && changed.is_empty();
    let repeat = (args.repeat > 1)
        .then(|| crate::repeat::summary(args.repeat as usize, records.len(), &changed));
    if args.json {
        crate::print_json(&records)?;
        if let Some(line) = &repeat {
            eprintln!("{line}");
        }
    } else {
        print!("{}", text::matrix(&records));
        for r in records.iter().filter(|r| r.counterexample.is_some()) {
            print!("\n{}", text::timeline(r));
        }
        for r in records.iter().filter(|r| r.outcome == Outcome::Vacuous) {
            let title = swan_credstore_models::report::title(r);
            println!("\n{title}: {}", r.message.as_deref().unwrap_or("vacuous"));
        }
        let bad = records.iter().filter(|r| !r.as_expected()).count();
        println!(
            "\nverify: {} of {} outcomes as expected{}",
            records.len() - bad,
            records.len(),
            if bad > 0 { " — MISMATCHES above" } else { "" }
        );
        if let Some(line) = &repeat {
            println!("{line}");
        }
    }
    Ok(ok)
}

/// Options of `replay`.
#[derive(clap::Args)]
pub struct ReplayArgs {
    /// Scenario of the failing row (`storm`, or a loom scenario for a `shuttle_dfs` row).
    scenario: Scenario,
    /// Variant of the failing row (`in_place`, `naive_swap`, ...).
    variant: Variant,
    /// The schedule the failing run printed (or `@FILE`).
    schedule: String,
    /// Flow of the failing row.
    #[arg(long, default_value_t = Flow::PreFix)]
    flow: Flow,
    /// Rung of the scope ladder of the failing row.
    #[arg(long, default_value_t = Scope::Base)]
    scope: Scope,
}

/// `replay`: reruns one shuttle schedule and prints its timeline. `Ok(true)` when the
/// replay reproduced a failure.
pub fn replay(args: &ReplayArgs) -> Result<bool> {
    let records = runner::replay(
        args.scenario,
        args.scope,
        args.variant,
        args.flow,
        &args.schedule,
    )?;
    let r = records.first().context("the replay produced no record")?;
    if r.counterexample.is_some() {
        print!("{}", text::timeline(r));
        Ok(true)
    } else {
        println!(
            "replay of {} × {} × {}: {} — the schedule did not fail",
            r.scenario, r.variant, r.flow, r.outcome
        );
        Ok(false)
    }
}

/// `stress`: the stress rows only (real threads).
pub fn stress(json: bool) -> Result<bool> {
    let select = Select {
        checker: Some(Checker::Stress),
        ..Select::default()
    };
    let records = runner::rows(STD, &select)?;
    if json {
        crate::print_json(&records)?;
    } else {
        print!("{}", text::matrix(&records));
    }
    Ok(records.iter().all(Record::as_expected))
}
