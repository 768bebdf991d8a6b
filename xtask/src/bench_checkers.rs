//! `cargo xtask bench-checkers`: what each design costs to verify.
//!
//! * loom: the scope ladder ([`crate::ladder`]): every loom row at every rung, unbounded
//!   or at the largest preemption bound that finishes within the cap.
//! * shuttle: for each racy design, the execution at which the first failure appeared,
//!   over 100 seeds, for PCT and random scheduling: median, 90th percentile, misses
//!   (seeds that found nothing within the budget).
//!
//! Writes `target/reports/checkers.md` and `checkers.json`, and prints the tables.

use crate::cargo::{root, SHUTTLE};
use crate::runner;
use anyhow::{Context, Result};
use serde::Serialize;
use std::fmt::Write;
use swan_credstore_models::record::{Checker, Flow, Outcome, Record, Variant};
use swan_credstore_models::select::Select;

/// Options of `bench-checkers`.
#[derive(clap::Args)]
pub struct BenchCheckersArgs {
    /// Print JSON instead of the tables.
    #[arg(long)]
    json: bool,
    /// Seeds per racy design and scheduler.
    #[arg(long, default_value_t = 100)]
    seeds: u64,
    /// Measure the scope ladder only (every rung, unbounded or at the largest bound that
    /// finishes within --ladder-cap) and rewrite its record and tables.
    #[arg(long, conflicts_with = "shuttle")]
    ladder: bool,
    /// With --ladder: measure again only the rows the kept record marks `capped` (stopped
    /// by the cap even at their bound), and keep the others.
    #[arg(long, requires = "ladder")]
    ladder_recheck: bool,
    /// Measure shuttle's first failures only.
    #[arg(long)]
    shuttle: bool,
    /// Seconds after which a ladder run is stopped.
    #[arg(long, default_value_t = 60)]
    ladder_cap: u64,
    /// Ladder rows measured at once.
    #[arg(long, default_value_t = 2)]
    jobs: usize,
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
    shuttle: Vec<ShuttleCost>,
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
        "# What each design costs to verify\n\nCommand: `cargo xtask bench-checkers` (loom: the scope ladder, `tests/data/records/ladder.json`).\n\n",
    );
    out.push_str("## shuttle: first failing execution of the racy designs, over seeds\n\n");
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
    if !args.shuttle {
        let ladder = if args.ladder_recheck {
            crate::ladder::recheck_capped(args.ladder_cap, args.jobs)?
        } else {
            crate::ladder::run(args.ladder_cap, args.jobs)?
        };
        crate::pages::update()?;
        print!("{}", crate::pages::ladder::table(&ladder));
        println!("\nwritten: {}", crate::ladder::path().display());
        if args.ladder {
            return Ok(true);
        }
    }
    let report = Report {
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
