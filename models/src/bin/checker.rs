//! `checker`: runs the verdict-matrix rows this build can run and prints their records as
//! a JSON array on stdout; or replays a shuttle schedule.
//!
//! Which rows a build runs depends on its cfg: `--cfg loom` → loom rows;
//! `--cfg loom --cfg crossbeam_loom` (feature `crossbeam-loom`) → the epoch loom rows;
//! `--cfg shuttle` → shuttle rows; the plain build → stress rows. `cargo xtask verify`
//! builds all four and merges their records.

use clap::{Parser, Subcommand};
use swan_credstore_models::expect::{self, Case};
use swan_credstore_models::record::{Flow, Record, Scenario, Scope, Variant};
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
    /// Replay a failing shuttle schedule (a `shuttle_pct`, `shuttle_random` or
    /// `shuttle_dfs` row's) and print its record (with the timeline) as JSON.
    Replay {
        /// Scenario (`storm`, or a loom scenario for a `shuttle_dfs` row).
        scenario: Scenario,
        /// Variant (`in_place`, `naive_swap`, ...).
        variant: Variant,
        /// The schedule printed by the failing run, or `@FILE` to read it from a file.
        schedule: String,
        /// Flow of the failing row.
        #[arg(long, default_value_t = Flow::PreFix)]
        flow: Flow,
        /// Rung of the scope ladder of the failing row.
        #[arg(long, default_value_t = Scope::Base)]
        scope: Scope,
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
        scope,
    }) = &args.command
    {
        let record = replay(*scenario, *scope, *variant, *flow, schedule);
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
fn replay(
    scenario: Scenario,
    scope: Scope,
    variant: Variant,
    flow: Flow,
    schedule: &str,
) -> Record {
    use swan_credstore_models::record::Checker;
    use swan_credstore_models::shuttle_check;
    use swan_credstore_models::storm::StormSize;
    let shuttle = |c: &Case| {
        matches!(
            c.checker,
            Checker::ShuttlePct | Checker::ShuttleRandom | Checker::ShuttleDfs
        )
    };
    let rows: Vec<Case> = expect::cases()
        .into_iter()
        .chain(expect::ladder_cases())
        .filter(shuttle)
        .collect();
    let case =
        rows.iter()
            .find(|c| (c.scenario, c.scope, c.variant, c.flow) == (scenario, scope, variant, flow))
            .unwrap_or_else(|| {
                let mut variants: Vec<String> = rows
                    .iter()
                    .filter(|c| (c.scenario, c.scope, c.flow) == (scenario, scope, flow))
                    .map(|c| c.variant.to_string())
                    .collect();
                variants.dedup();
                fail(format!(
                "no shuttle row {scenario} @{scope} × {variant} × {flow}; its variants with that \
                 scenario, rung and flow: {}",
                if variants.is_empty() { "none".to_string() } else { variants.join(", ") }
            ))
            });
    let schedule = match schedule.strip_prefix('@') {
        Some(path) => std::fs::read_to_string(path)
            .unwrap_or_else(|e| fail(format!("cannot read schedule file {path}: {e}"))),
        None => schedule.to_string(),
    };
    shuttle_check::replay(case, &schedule, StormSize::SHUTTLE).unwrap_or_else(|e| fail(e))
}

#[cfg(not(all(shuttle, not(loom))))]
fn replay(_: Scenario, _: Scope, _: Variant, _: Flow, _: &str) -> Record {
    fail("replay needs the shuttle build: RUSTFLAGS=\"--cfg shuttle\" (cargo xtask replay does that)".into())
}
