//! `checker`: runs the verdict-matrix rows this build can run and prints their records as
//! a JSON array on stdout; or replays a shuttle schedule.
//!
//! Which rows a build runs depends on its cfg: `--cfg loom` → loom rows;
//! `--cfg loom --cfg crossbeam_loom` (feature `crossbeam-loom`) → the epoch loom rows;
//! `--cfg shuttle` → shuttle rows; the plain build → stress rows. `cargo xtask verify`
//! builds all four and merges their records.

use clap::{Parser, Subcommand};
use swan_credstore_models::expect::{self, Case};
use swan_credstore_models::record::{Flow, Record, Scenario, Variant};
use swan_credstore_models::select::Select;

/// Run verdict-matrix rows and print their records as JSON.
#[derive(Parser)]
struct Args {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    select: Select,
    /// The whole selection as JSON (how `cargo xtask verify` passes it); overrides the
    /// other selection flags.
    #[arg(long, hide = true)]
    select_json: Option<String>,
}

#[derive(Subcommand)]
enum Command {
    /// Replay a failing shuttle schedule of the storm and print its record (with the
    /// timeline) as JSON.
    Replay {
        /// Scenario (`storm`).
        scenario: Scenario,
        /// Variant (`in_place`, `naive_swap`, ...).
        variant: Variant,
        /// The schedule printed by the failing run, or `@FILE` to read it from a file.
        schedule: String,
        /// Flow of the failing row.
        #[arg(long, default_value_t = Flow::PreFix)]
        flow: Flow,
    },
}

fn fail(msg: String) -> ! {
    eprintln!("error: {msg}");
    std::process::exit(2)
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
        let record = replay(*scenario, *variant, *flow, schedule);
        println!(
            "{}",
            serde_json::to_string_pretty(&[record]).expect("records serialise")
        );
        return;
    }
    let s = match &args.select_json {
        Some(json) => serde_json::from_str(json)
            .unwrap_or_else(|e| fail(format!("--select-json is not a selection: {e}"))),
        None => args.select,
    };
    let selected: Vec<Case> = s
        .cases()
        .into_iter()
        .filter(expect::runnable_here)
        .collect();
    let records: Vec<Record> = selected
        .iter()
        .map(|c| {
            let rung = if c.scope.is_base() {
                String::new()
            } else {
                format!(" @{}", c.scope)
            };
            eprintln!(
                "{}: {}{rung} × {} × {} ...",
                c.checker, c.scenario, c.variant, c.flow
            );
            run(c, &s)
        })
        .collect();
    println!(
        "{}",
        serde_json::to_string_pretty(&records).expect("records serialise")
    );
}

#[cfg(loom)]
fn run(case: &Case, s: &Select) -> Record {
    use swan_credstore_models::loom_check::{check, LoomOptions, UNBOUNDED};
    check(
        case,
        &LoomOptions {
            preemption_bound: if s.unbounded {
                Some(UNBOUNDED)
            } else {
                s.preemption_bound
            },
            record: true,
            full: s.full,
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
        dfs_max: s.dfs_max.unwrap_or(base.dfs_max),
        dfs_bound: if s.unbounded {
            Some(swan_credstore_models::ladder::UNBOUNDED)
        } else {
            s.preemption_bound
        },
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
fn replay(scenario: Scenario, variant: Variant, flow: Flow, schedule: &str) -> Record {
    use swan_credstore_models::record::Checker;
    use swan_credstore_models::shuttle_check;
    use swan_credstore_models::storm::StormSize;
    let case = expect::cases()
        .into_iter()
        .find(|c| {
            c.scenario == scenario
                && c.variant == variant
                && c.flow == flow
                && c.checker == Checker::ShuttlePct
        })
        .unwrap_or_else(|| {
            let variants: Vec<String> = expect::cases()
                .iter()
                .filter(|c| c.checker == Checker::ShuttlePct && c.flow == flow)
                .map(|c| c.variant.to_string())
                .collect();
            fail(format!(
                "no shuttle row {scenario} × {variant} × {flow}; shuttle rows: scenario {}, variants {} with that flow",
                Scenario::Storm,
                variants.join(", ")
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
fn replay(_: Scenario, _: Variant, _: Flow, _: &str) -> Record {
    fail("replay needs the shuttle build: RUSTFLAGS=\"--cfg shuttle\" (cargo xtask replay does that)".into())
}
