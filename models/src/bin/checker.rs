//! `checker`: runs the verdict-matrix rows this build can run and prints their records as
//! a JSON array on stdout; or replays a shuttle schedule.
//!
//! Which rows a build runs depends on its cfg: `--cfg loom` → loom rows;
//! `--cfg loom --cfg crossbeam_loom` (feature `crossbeam-loom`) → the epoch loom rows;
//! `--cfg shuttle` → shuttle rows; the plain build → stress rows. `cargo xtask verify`
//! builds all four and merges their records.

use clap::{Parser, Subcommand};
use swan_credstore::Flow;
use swan_credstore_models::cases::{self, Case, Checker};
use swan_credstore_models::record::Record;

/// Run verdict-matrix rows and print their records as JSON.
#[derive(Parser)]
struct Args {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    select: Select,
}

/// Which rows to run, and how.
#[derive(clap::Args)]
struct Select {
    /// Only this scenario.
    #[arg(long)]
    scenario: Option<String>,
    /// Only this variant.
    #[arg(long)]
    variant: Option<String>,
    /// Only this flow (`pre_fix` or `upstream_fix`).
    #[arg(long)]
    flow: Option<String>,
    /// Only this checker (`loom`, `shuttle_pct`, `shuttle_random`, `stress`).
    #[arg(long)]
    checker: Option<String>,
    /// loom preemption bound (default: unbounded; epoch rows 2; or LOOM_MAX_PREEMPTIONS).
    #[arg(long)]
    preemption_bound: Option<usize>,
    /// loom: no preemption bound at all, even for the epoch rows.
    #[arg(long, conflicts_with = "preemption_bound")]
    unbounded: bool,
    /// shuttle: executions per row (default 100; --full: 1000).
    #[arg(long)]
    iterations: Option<usize>,
    /// shuttle: scheduler seed (default 1).
    #[arg(long)]
    seed: Option<u64>,
    /// shuttle: the larger budget.
    #[arg(long)]
    full: bool,
}

#[derive(Subcommand)]
enum Command {
    /// Replay a failing shuttle schedule of the storm and print its record (with the
    /// timeline) as JSON.
    Replay {
        /// Scenario (`storm`).
        scenario: String,
        /// Variant (`in_place`, `naive_swap`, ...).
        variant: String,
        /// The schedule printed by the failing run, or `@FILE` to read it from a file.
        schedule: String,
        /// Flow of the failing row.
        #[arg(long, default_value = "pre_fix")]
        flow: String,
    },
}

fn fail(msg: String) -> ! {
    eprintln!("error: {msg}");
    std::process::exit(2)
}

fn parse_flow(f: &str) -> Flow {
    Flow::parse(f).unwrap_or_else(|| {
        fail(format!(
            "unknown flow {f:?}; expected pre_fix or upstream_fix"
        ))
    })
}

fn main() {
    let args = Args::parse();
    if let Some(Command::Replay {
        scenario,
        variant,
        schedule,
        flow,
    }) = &args.command
    {
        let record = replay(scenario, variant, &parse_flow(flow), schedule);
        println!(
            "{}",
            serde_json::to_string_pretty(&[record]).expect("records serialise")
        );
        return;
    }
    let s = &args.select;
    if let Some(f) = &s.flow {
        parse_flow(f);
    }
    if let Some(c) = &s.checker {
        if Checker::parse(c).is_none() {
            fail(format!(
                "unknown checker {c:?}; expected loom, shuttle_pct, shuttle_random or stress"
            ));
        }
    }
    let selected: Vec<Case> = cases::cases()
        .into_iter()
        .filter(cases::runnable_here)
        .filter(|c| s.scenario.as_deref().is_none_or(|x| x == c.scenario))
        .filter(|c| s.variant.as_deref().is_none_or(|x| x == c.variant))
        .filter(|c| s.flow.as_deref().is_none_or(|x| x == c.flow.name()))
        .filter(|c| s.checker.as_deref().is_none_or(|x| x == c.checker.name()))
        .collect();
    let records: Vec<Record> = selected
        .iter()
        .map(|c| {
            eprintln!(
                "{}: {} × {} × {} ...",
                c.checker.name(),
                c.scenario,
                c.variant,
                c.flow.name()
            );
            run(c, s)
        })
        .collect();
    println!(
        "{}",
        serde_json::to_string_pretty(&records).expect("records serialise")
    );
}

#[cfg(loom)]
fn run(case: &Case, s: &Select) -> Record {
    use swan_credstore_models::loom_check::{check, LoomOptions};
    check(
        case,
        &LoomOptions {
            preemption_bound: if s.unbounded {
                Some(swan_credstore_models::loom_check::UNBOUNDED)
            } else {
                s.preemption_bound
            },
            record: true,
        },
    )
}

#[cfg(all(shuttle, not(loom)))]
fn run(case: &Case, s: &Select) -> Record {
    use swan_credstore_models::shuttle_check::{check, ShuttleOptions};
    let base = if s.full {
        ShuttleOptions::FULL
    } else {
        ShuttleOptions::DEFAULT
    };
    let opts = ShuttleOptions {
        iterations: s.iterations.unwrap_or(base.iterations),
        seed: s.seed.unwrap_or(base.seed),
        ..base
    };
    check(case, &opts)
}

#[cfg(not(any(loom, shuttle)))]
fn run(case: &Case, _: &Select) -> Record {
    use swan_credstore_models::stress::{check, StressOptions};
    check(case, &StressOptions::DEFAULT)
}

#[cfg(all(shuttle, not(loom)))]
fn replay(scenario: &str, variant: &str, flow: &Flow, schedule: &str) -> Record {
    use swan_credstore_models::shuttle_check;
    use swan_credstore_models::storm::StormSize;
    let case = cases::cases()
        .into_iter()
        .find(|c| {
            c.scenario == scenario
                && c.variant == variant
                && c.flow == *flow
                && c.checker == Checker::ShuttlePct
        })
        .unwrap_or_else(|| {
            fail(format!(
                "no shuttle row {scenario} × {variant} × {}; shuttle rows: scenario {}, variants {}",
                flow.name(),
                cases::STORM,
                cases::VARIANTS.join(", ")
            ))
        });
    let schedule = match schedule.strip_prefix('@') {
        Some(path) => std::fs::read_to_string(path)
            .unwrap_or_else(|e| fail(format!("cannot read schedule file {path}: {e}"))),
        None => schedule.to_string(),
    };
    shuttle_check::replay(&case, &schedule, StormSize::SHUTTLE).unwrap_or_else(|e| fail(e))
}

#[cfg(not(all(shuttle, not(loom))))]
fn replay(_: &str, _: &str, _: &Flow, _: &str) -> Record {
    fail("replay needs the shuttle build: RUSTFLAGS=\"--cfg shuttle\" (cargo xtask replay does that)".into())
}
