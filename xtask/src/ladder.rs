//! `cargo xtask bench-checkers --ladder`: the scope ladder measured.
//!
//! Every loom row at every rung ([`Scope`]) runs unbounded, stopped by loom's
//! `LOOM_MAX_DURATION` at the cap (60 s by default). A row the cap stops runs again at
//! preemption bounds 0, 1, 2, … until one is stopped too: the largest bound that finished
//! is the row's bound (a row stopped even at bound 0 is `capped`). `--ladder-recheck`
//! measures again only the rows the kept record marks `capped`, and keeps the others.
//! A ladder row whose matrix row (the same scenario, design and flow
//! at the base rung) the cap stopped unbounded is not tried unbounded. Rows run on as
//! many checker processes at once as `--jobs` says (default: one per core). The result is `tests/data/records/ladder.json` (which the
//! plan in `swan_credstore_models::ladder` is checked against) and the `ladder` block of
//! notes/performance.md.

use crate::cargo::{root, Build, CROSSBEAM_LOOM, LOOM};
use crate::runner;
use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use swan_credstore_models::record::{Checker, Flow, Outcome, Record, Scenario, Scope, Variant};
use swan_credstore_models::select::Select;

/// One ladder row as measured: the run that decides it (unbounded, or at the largest
/// bound that finished), and what the cap stopped.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Rung {
    /// The rung.
    pub scope: Scope,
    /// Scenario.
    pub scenario: Scenario,
    /// Design.
    pub variant: Variant,
    /// Flow.
    pub flow: Flow,
    /// The outcome expected.
    pub expected: Outcome,
    /// The outcome of the deciding run.
    pub outcome: Outcome,
    /// Its bound (`None`: unbounded).
    pub bound: Option<usize>,
    /// Its interleavings.
    pub interleavings: u64,
    /// Its seconds.
    pub seconds: f64,
    /// Interleavings the capped unbounded run got through (`None`: it finished).
    pub unbounded_capped_at: Option<u64>,
    /// Whether even the deciding run was stopped (no bound finished).
    pub capped: bool,
}

/// The measurement: the cap and every row.
#[derive(Debug, Serialize, Deserialize)]
pub struct Ladder {
    /// Seconds after which a run was stopped.
    pub cap_seconds: u64,
    /// Rows measured at once (one checker process per core).
    pub parallel: usize,
    /// The rows, in ladder order.
    pub rows: Vec<Rung>,
}

/// Where the measurement is kept.
pub fn path() -> std::path::PathBuf {
    root()
        .join("tests")
        .join("data")
        .join("records")
        .join("ladder.json")
}

/// One row to measure: the build that runs it and its selection.
#[derive(Clone, Copy)]
struct Job {
    build: Build,
    scope: Scope,
    scenario: Scenario,
    variant: Variant,
    flow: Flow,
}

impl Job {
    /// The row, on the build that runs it (epoch rows need crossbeam-epoch under loom).
    fn new(scope: Scope, scenario: Scenario, variant: Variant, flow: Flow) -> Job {
        Job {
            build: if variant == Variant::Epoch {
                CROSSBEAM_LOOM
            } else {
                LOOM
            },
            scope,
            scenario,
            variant,
            flow,
        }
    }

    fn select(&self, bound: Option<usize>) -> Select {
        Select {
            checker: Some(Checker::Loom),
            scope: Some(self.scope),
            scenario: Some(self.scenario),
            variant: Some(self.variant),
            flow: Some(self.flow),
            preemption_bound: bound,
            unbounded: bound.is_none(),
            ..Select::default()
        }
    }
}

/// Every loom row of the matrix and the ladder at `scope`.
fn jobs(scope: Scope) -> Vec<Job> {
    let cases = if scope.is_base() {
        swan_credstore_models::expect::cases()
    } else {
        swan_credstore_models::expect::ladder_cases()
    };
    cases
        .into_iter()
        .filter(|c| c.checker == Checker::Loom && c.scope == scope)
        .map(|c| Job::new(scope, c.scenario, c.variant, c.flow))
        .collect()
}

/// Measures one row: unbounded (unless `try_unbounded` is false), then, if the cap
/// stopped it, at bounds 0, 1, 2, … until one is stopped too.
fn measure(job: &Job, cap: u64, try_unbounded: bool) -> Result<Rung> {
    let env = [
        ("LOOM_MAX_DURATION", cap.to_string()),
        ("LOOM_CHECKPOINT_INTERVAL", "1000".to_string()),
    ];
    let stopped = |r: &Record| r.seconds >= cap as f64;
    let run = |bound: Option<usize>| -> Result<Record> {
        runner::rows_with_env(job.build, &job.select(bound), &env)?
            .pop()
            .context("the checker returned no record")
    };
    let mut unbounded_capped_at = None;
    if try_unbounded {
        let r = run(None)?;
        if !stopped(&r) {
            return Ok(rung(job, &r, None, None));
        }
        unbounded_capped_at = Some(r.interleavings);
    }
    let mut best: Option<(usize, Record)> = None;
    for b in 0.. {
        let r = run(Some(b))?;
        if stopped(&r) {
            return Ok(match best {
                Some((b, r)) => rung(job, &r, Some(b), unbounded_capped_at),
                None => Rung {
                    capped: true,
                    ..rung(job, &r, Some(b), unbounded_capped_at)
                },
            });
        }
        best = Some((b, r));
    }
    unreachable!("the loop returns")
}

fn rung(job: &Job, r: &Record, bound: Option<usize>, capped_at: Option<u64>) -> Rung {
    eprintln!(
        "ladder: {} @{} × {} × {}: {} {} in {:.1} s{}",
        job.scenario,
        job.scope,
        job.variant,
        job.flow,
        r.outcome,
        r.interleavings,
        r.seconds,
        bound.map_or(String::new(), |b| format!(" (≤{b})"))
    );
    Rung {
        scope: job.scope,
        scenario: job.scenario,
        variant: job.variant,
        flow: job.flow,
        expected: r.expected,
        outcome: r.outcome,
        bound,
        interleavings: r.interleavings,
        seconds: r.seconds,
        unbounded_capped_at: capped_at,
        capped: false,
    }
}

/// Measures `jobs` on `threads` workers; `try_unbounded` decides per job.
fn pool(
    jobs: Vec<Job>,
    threads: usize,
    cap: u64,
    try_unbounded: &(dyn Fn(&Job) -> bool + Sync),
) -> Result<Vec<Rung>> {
    let queue = std::sync::Mutex::new(jobs.iter().enumerate().collect::<Vec<_>>());
    let results = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..threads.max(1) {
            s.spawn(|| loop {
                let next = queue.lock().expect("queue").pop();
                let Some((i, job)) = next else { break };
                let r = measure(job, cap, try_unbounded(job));
                results.lock().expect("results").push((i, r));
            });
        }
    });
    let mut results = results.into_inner().expect("results");
    results.sort_by_key(|(i, _)| *i);
    results.into_iter().map(|(_, r)| r).collect()
}

/// Measures every rung: the matrix's rows first, then the ladder's; a ladder row whose
/// matrix row the cap stopped unbounded is not tried unbounded again (a larger scope
/// runs a superset of the base rung's operations), and its record says so
/// (`unbounded_capped_at` stays `None`, `bound` is set).
fn measure_all(cap: u64, threads: usize) -> Result<Vec<Rung>> {
    // Warm both builds first, so that no measured run includes a build.
    for build in [LOOM, CROSSBEAM_LOOM] {
        runner::rows(
            build,
            &Select {
                checker: Some(Checker::Stress),
                ..Select::default()
            },
        )?;
    }
    let base = pool(jobs(Scope::Base), threads, cap, &|_| true)?;
    let capped: Vec<(Scenario, Variant, Flow)> = base
        .iter()
        .filter(|r| r.bound.is_some())
        .map(|r| (r.scenario, r.variant, r.flow))
        .collect();
    let ladder: Vec<Job> = Scope::ALL
        .into_iter()
        .filter(|s| !s.is_base())
        .flat_map(jobs)
        .collect();
    let rest = pool(ladder, threads, cap, &|j| {
        !capped.contains(&(j.scenario, j.variant, j.flow))
    })?;
    Ok(base.into_iter().chain(rest).collect())
}

/// Runs the measurement and writes the JSON record.
pub fn run(cap: u64, threads: usize) -> Result<Ladder> {
    let rows = measure_all(cap, threads)?;
    write(Ladder {
        cap_seconds: cap,
        parallel: threads,
        rows,
    })
}

/// Measures again the rows of the kept record that the cap stopped even at their
/// bound (`capped`), the same way as [`run`] (a ladder row whose matrix row needed a
/// bound is not tried unbounded), and writes the record with them replaced. The cap
/// must be the record's: rows measured under two caps are not one table.
pub fn recheck_capped(cap: u64, threads: usize) -> Result<Ladder> {
    let mut ladder = saved()?;
    anyhow::ensure!(
        ladder.cap_seconds == cap,
        "the kept record was measured with a {} s cap, not {cap} s: run the whole ladder",
        ladder.cap_seconds
    );
    let capped_base: Vec<(Scenario, Variant, Flow)> = ladder
        .rows
        .iter()
        .filter(|r| r.scope.is_base() && r.bound.is_some())
        .map(|r| (r.scenario, r.variant, r.flow))
        .collect();
    let again: Vec<Job> = ladder
        .rows
        .iter()
        .filter(|r| r.capped)
        .map(|r| Job::new(r.scope, r.scenario, r.variant, r.flow))
        .collect();
    eprintln!("ladder: measuring {} capped row(s) again", again.len());
    let fresh = pool(again, threads, cap, &|j| {
        j.scope.is_base() || !capped_base.contains(&(j.scenario, j.variant, j.flow))
    })?;
    for f in fresh {
        let slot = ladder
            .rows
            .iter_mut()
            .find(|r| {
                (r.scope, r.scenario, r.variant, r.flow) == (f.scope, f.scenario, f.variant, f.flow)
            })
            .expect("a row of the record");
        *slot = f;
    }
    write(ladder)
}

fn write(ladder: Ladder) -> Result<Ladder> {
    let path = path();
    let json = serde_json::to_string_pretty(&ladder).context("cannot serialise the ladder")?;
    std::fs::write(&path, json + "\n")
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(ladder)
}

/// Reads the kept measurement.
pub fn saved() -> Result<Ladder> {
    let path = path();
    let text = std::fs::read_to_string(&path).with_context(|| {
        format!(
            "cannot read {} (run `cargo xtask bench-checkers --ladder`)",
            path.display()
        )
    })?;
    serde_json::from_str(&text)
        .with_context(|| format!("{} is not a ladder record", path.display()))
}
