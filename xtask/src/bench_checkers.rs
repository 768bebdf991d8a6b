//! `cargo xtask bench-checkers`: what each design costs to verify.
//!
//! * loom: every loom row at preemption bounds 1, 2, 3 and unbounded — interleavings
//!   explored and seconds. Runs that do not finish within the cap are stopped by loom's
//!   `LOOM_MAX_DURATION` and reported as capped (their counts are lower bounds).
//! * shuttle: for each racy design, the execution at which the first failure appeared,
//!   over 100 seeds, for PCT and random scheduling: median, 90th percentile, misses
//!   (seeds that found nothing within the budget).
//!
//! Writes `target/reports/checkers.md` and `checkers.json`, and prints the tables.

use crate::cargo::{root, Build, CROSSBEAM_LOOM, LOOM, SHUTTLE};
use crate::runner;
use anyhow::{Context, Result};
use serde::Serialize;
use std::fmt::Write;
use swan_credstore_models::record::{Checker, Flow, Outcome, Record, Scenario, Variant};
use swan_credstore_models::select::Select;

/// Options of `bench-checkers`.
#[derive(clap::Args)]
pub struct BenchCheckersArgs {
    /// Print JSON instead of the tables.
    #[arg(long)]
    json: bool,
    /// Seconds after which a loom run is stopped and reported as capped.
    #[arg(long, default_value_t = 20)]
    cap: u64,
    /// Seeds per racy design and scheduler.
    #[arg(long, default_value_t = 100)]
    seeds: u64,
}

/// One loom measurement.
#[derive(Serialize)]
struct LoomCost {
    scenario: Scenario,
    variant: Variant,
    flow: Flow,
    preemption_bound: Option<usize>,
    outcome: Outcome,
    interleavings: u64,
    seconds: f64,
    capped: bool,
}

/// First-failure statistics of one racy design under one scheduler.
#[derive(Serialize)]
struct ShuttleCost {
    variant: Variant,
    checker: Checker,
    seeds: u64,
    budget: u64,
    median_first_failure: Option<u64>,
    p90_first_failure: Option<u64>,
    misses: u64,
    first_failures: Vec<Option<u64>>,
}

#[derive(Serialize)]
struct Report {
    cap_seconds: u64,
    loom: Vec<LoomCost>,
    shuttle: Vec<ShuttleCost>,
}

fn loom_costs(build: Build, cap: u64) -> Result<Vec<LoomCost>> {
    let mut out = Vec::new();
    for bound in [Some(1), Some(2), Some(3), None] {
        // The epoch rows default to a bound of 2; "unbounded" must say so explicitly.
        let select = Select {
            checker: Some(Checker::Loom),
            preemption_bound: bound,
            unbounded: bound.is_none(),
            ..Select::default()
        };
        let env = [
            ("LOOM_MAX_DURATION", cap.to_string()),
            ("LOOM_CHECKPOINT_INTERVAL", "1000".to_string()),
        ];
        for r in runner::rows_with_env(build, &select, &env)? {
            let capped = r.seconds >= cap as f64;
            out.push(LoomCost {
                scenario: r.scenario,
                variant: r.variant,
                flow: r.flow,
                preemption_bound: bound,
                outcome: r.outcome,
                interleavings: r.interleavings,
                seconds: r.seconds,
                capped,
            });
        }
    }
    Ok(out)
}

fn percentile(sorted: &[u64], p: f64) -> Option<u64> {
    if sorted.is_empty() {
        return None;
    }
    let i = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len()) - 1;
    Some(sorted[i])
}

fn shuttle_costs(seeds: u64) -> Result<Vec<ShuttleCost>> {
    let mut out = Vec::new();
    for variant in [Variant::InPlace, Variant::NaiveSwap] {
        for checker in [Checker::ShuttlePct, Checker::ShuttleRandom] {
            let mut first = Vec::new();
            let mut budget = 0;
            for seed in 1..=seeds {
                let select = Select {
                    checker: Some(checker),
                    variant: Some(variant),
                    flow: Some(Flow::PreFix),
                    seed: Some(seed),
                    ..Select::default()
                };
                let records: Vec<Record> = runner::rows(SHUTTLE, &select)?;
                let r = records.first().with_context(|| {
                    format!("no shuttle record for {variant} × {checker}, seed {seed}")
                })?;
                budget = r.bounds.max_iterations.unwrap_or(0);
                first.push(
                    (r.outcome == Outcome::Race)
                        .then_some(r.first_failing)
                        .flatten(),
                );
            }
            let mut found: Vec<u64> = first.iter().flatten().copied().collect();
            found.sort_unstable();
            out.push(ShuttleCost {
                variant,
                checker,
                seeds,
                budget,
                median_first_failure: percentile(&found, 0.5),
                p90_first_failure: percentile(&found, 0.9),
                misses: first.iter().filter(|f| f.is_none()).count() as u64,
                first_failures: first,
            });
        }
    }
    Ok(out)
}

fn markdown(r: &Report) -> String {
    let mut out = String::from(
        "# What each design costs to verify\n\nCommand: `cargo xtask bench-checkers`.\n\n",
    );
    let _ = writeln!(
        out,
        "## loom: interleavings explored and seconds, by preemption bound\n\n\
         Runs longer than {} s are stopped (`LOOM_MAX_DURATION`) and marked ≥ (a lower bound).\n",
        r.cap_seconds
    );
    out.push_str("| scenario | variant | flow | outcome (unbounded or largest bound) | ≤1 | ≤2 | ≤3 | unbounded |\n|---|---|---|---|---|---|---|---|\n");
    let mut keys: Vec<(Scenario, Variant, Flow)> = Vec::new();
    for c in &r.loom {
        let k = (c.scenario, c.variant, c.flow);
        if !keys.contains(&k) {
            keys.push(k);
        }
    }
    for (s, v, f) in keys {
        let cell = |b: Option<usize>| {
            r.loom
                .iter()
                .find(|c| {
                    c.scenario == s && c.variant == v && c.flow == f && c.preemption_bound == b
                })
                .map_or("—".to_string(), |c| {
                    format!(
                        "{}{} / {:.2} s",
                        if c.capped { "≥" } else { "" },
                        c.interleavings,
                        c.seconds
                    )
                })
        };
        let outcome = r
            .loom
            .iter()
            .rev()
            .find(|c| c.scenario == s && c.variant == v && c.flow == f && !c.capped)
            .map_or("capped".to_string(), |c| c.outcome.to_string());
        let _ = writeln!(
            out,
            "| {s} | {v} | {f} | {outcome} | {} | {} | {} | {} |",
            cell(Some(1)),
            cell(Some(2)),
            cell(Some(3)),
            cell(None)
        );
    }
    out.push_str("\n## shuttle: first failing execution of the racy designs, over seeds\n\n");
    out.push_str("| variant | scheduler | seeds | budget (executions) | median | 90th percentile | misses |\n|---|---|---|---|---|---|---|\n");
    for c in &r.shuttle {
        let show = |x: Option<u64>| x.map_or("—".to_string(), |n| n.to_string());
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} |",
            c.variant,
            c.checker,
            c.seeds,
            c.budget,
            show(c.median_first_failure),
            show(c.p90_first_failure),
            c.misses
        );
    }
    out
}

/// Rewrites the `checkers` block of notes/performance.md with the tables (headings one
/// level down).
fn update_performance_md(md: &str) -> Result<()> {
    let body: String = md
        .lines()
        .skip_while(|l| !l.starts_with("## "))
        .map(|l| {
            if l.starts_with("## ") {
                format!("#{l}\n")
            } else {
                format!("{l}\n")
            }
        })
        .collect();
    crate::notes::rewrite_blocks(
        &root().join("notes").join("performance.md"),
        &[("checkers", body)],
    )
}

/// `bench-checkers`.
pub fn run(args: &BenchCheckersArgs) -> Result<bool> {
    let mut loom = loom_costs(LOOM, args.cap)?;
    loom.extend(loom_costs(CROSSBEAM_LOOM, args.cap)?);
    let report = Report {
        cap_seconds: args.cap,
        loom,
        shuttle: shuttle_costs(args.seeds)?,
    };
    let dir = root().join("target").join("reports");
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let json = serde_json::to_string_pretty(&report).context("cannot serialise the report")?;
    let md = markdown(&report);
    for (name, contents) in [("checkers.json", &json), ("checkers.md", &md)] {
        let path = dir.join(name);
        std::fs::write(&path, contents)
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    update_performance_md(&md)?;
    if args.json {
        println!("{json}");
    } else {
        print!("{md}");
        println!("\nwritten: target/reports/checkers.md, target/reports/checkers.json");
    }
    Ok(true)
}
