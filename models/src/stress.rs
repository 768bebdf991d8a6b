//! The stress checker, through the shared run loop ([`crate::run`]): the storm on real std threads with the production cells, for a
//! bounded number of iterations and a bounded time.
//!
//! Real threads exercise the production crates as they are (arc-swap's debt lists,
//! crossbeam-epoch's collector) with real preemption and real memory ordering, which no
//! model checker here does. Racy designs ([`swan_credstore::InPlace`],
//! `NaiveSwap`, which exists in the checker builds only) are never run this way: on real threads their race is
//! real undefined behaviour; their rows say `not_run`.

use crate::dispatch::{self, Body};
use crate::expect::Case;
use crate::record::{Bounds, Outcome, Record};
use crate::run::{self, Observed};
use crate::scenarios;
use crate::storm::StormSize;
use std::time::{Duration, Instant};

/// How to run the stress checker.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StressOptions {
    /// Storm executions at most.
    pub iterations: u64,
    /// Wall-clock budget per row; the run stops after the execution that exceeds it.
    pub max_time: Duration,
    /// The storm's size.
    pub size: StormSize,
}

impl StressOptions {
    /// The default: 8 vici × 8 IKE threads, 4 connections × 2 keys, 200 operations per
    /// vici thread, 200 reads per IKE thread; up to 20 executions or 5 s per row.
    pub const DEFAULT: StressOptions = StressOptions {
        iterations: 20,
        max_time: Duration::from_secs(5),
        size: StormSize {
            vici_threads: 8,
            ike_threads: 8,
            connections: 4,
            keys_per_connection: 2,
            reloads_per_thread: 200,
            reads_per_thread: 200,
            clear_every: 25,
        },
    };
}

/// Runs `case` (a `stress` row) with `opts`.
pub fn check(case: &Case, opts: &StressOptions) -> Record {
    if case.expected == Outcome::NotRun {
        return not_run(case, opts);
    }
    let body = dispatch::body(
        case.scenario,
        case.scope,
        case.variant,
        case.flow,
        opts.size,
    )
    .expect("every runnable case has a body");
    check_body(case, body, opts)
}

/// The record of a case deliberately not run on real threads (a racy design).
pub fn not_run(case: &Case, opts: &StressOptions) -> Record {
    let observed = Observed {
        panic: None,
        steps: Vec::new(),
        witness: None,
        iterations: 0,
        seconds: 0.0,
        seen: None,
    };
    let mut record = run::conclude(case, observed, bounds(case, opts), None);
    record.outcome = Outcome::NotRun;
    record.message =
        Some("never run on real threads: its race would be real undefined behaviour".into());
    record
}

fn bounds(case: &Case, opts: &StressOptions) -> Bounds {
    let (threads, operations) = scenarios::shape(case.scenario, &opts.size);
    Bounds {
        threads,
        operations,
        preemption_bound: None,
        exhaustive: false,
        max_iterations: Some(opts.iterations),
        pct_depth: None,
        seed: None,
    }
}

/// Runs `body` on real threads within `opts` and labels the record with `case`.
pub fn check_body(case: &Case, body: Body, opts: &StressOptions) -> Record {
    let start = Instant::now();
    let (iterations, max_time) = (opts.iterations, opts.max_time);
    let observed = run::run(body, false, move |exec| {
        while exec.count() < iterations && start.elapsed() < max_time {
            exec.run();
        }
    });
    run::conclude(case, observed, bounds(case, opts), None)
}
