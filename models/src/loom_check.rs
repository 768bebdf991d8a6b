//! The loom harness: runs one matrix case exhaustively and turns the result into a
//! [`Record`].
//!
//! Interleavings are counted by the harness (one per call of the model closure), with a
//! `std` counter that loom does not see. Each execution starts a fresh step recording
//! ([`swan_credstore::trace`]); when an execution fails, the recording of that
//! execution is the counterexample.

use crate::capture::run_captured;
use crate::cases::{self, Case};
use crate::findings;
use crate::record::{Bounds, Record, RunResult};
use crate::storm::StormSize;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;
use swan_credstore::trace;

/// The preemption bound used for the epoch rows (crossbeam-epoch under loom), as
/// crossbeam's own CI does: unbounded exploration of its reclamation does not finish.
pub const EPOCH_PREEMPTION_BOUND: usize = 2;

/// A `preemption_bound` meaning "no bound at all", even for the epoch rows and whatever
/// `LOOM_MAX_PREEMPTIONS` says (used by `cargo xtask bench-checkers`).
pub const UNBOUNDED: usize = usize::MAX;

/// How to run loom.
#[derive(Clone, Debug, Default)]
pub struct LoomOptions {
    /// Preemption bound; `None` explores every interleaving (epoch rows: bounded by
    /// [`EPOCH_PREEMPTION_BOUND`]). When `None`, loom's `LOOM_MAX_PREEMPTIONS`
    /// environment variable still applies, as loom users expect; the record states the
    /// bound actually used.
    pub preemption_bound: Option<usize>,
    /// Record a timeline for every execution (needed for counterexamples). Turning it
    /// off must not change the number of interleavings (a test checks that).
    pub record: bool,
}

/// Runs `case` under loom.
pub fn check(case: &Case, opts: &LoomOptions) -> Record {
    let body = cases::body(case.scenario, case.variant, case.flow, StormSize::SHUTTLE)
        .expect("every runnable case has a body");
    check_body(case, body, opts)
}

/// Runs `body` under loom and labels the record with `case`. This is how a cell defined
/// outside the matrix (see `tests/custom_cell.rs`) gets a verdict: build its body with
/// [`cases::body_for`].
pub fn check_body(case: &Case, body: cases::Body, opts: &LoomOptions) -> Record {
    let mut builder = loom::model::Builder::new();
    if opts.preemption_bound == Some(UNBOUNDED) {
        builder.preemption_bound = None;
    } else if opts.preemption_bound.is_some() {
        builder.preemption_bound = opts.preemption_bound;
    } else if case.variant == "epoch" && builder.preemption_bound.is_none() {
        builder.preemption_bound = Some(EPOCH_PREEMPTION_BOUND);
    }
    // Name source locations in loom's causality-violation reports.
    builder.location = true;
    let bound = builder.preemption_bound;
    // LOOM_MAX_DURATION / LOOM_MAX_PERMUTATIONS make loom stop early and return as if
    // it had finished: such a run is never called exhaustive.
    let limited = builder.max_duration.is_some() || builder.max_permutations.is_some();

    let count = Arc::new(AtomicU64::new(0));
    let counter = count.clone();
    let record = opts.record;
    findings::reset();
    let start = Instant::now();
    let result = run_captured(move || {
        builder.check(move || {
            let n = counter.fetch_add(1, Ordering::Relaxed) + 1;
            findings::set_iteration(n);
            if record {
                trace::start();
            }
            body();
        })
    });
    let seconds = start.elapsed().as_secs_f64();
    let (threads, mut operations) = cases::shape(case.scenario, &StormSize::SHUTTLE);
    if limited {
        operations
            .push_str(" (limited by LOOM_MAX_DURATION/LOOM_MAX_PERMUTATIONS: not exhaustive)");
    }
    Record::conclude(
        case,
        RunResult {
            panic: result.err(),
            steps: trace::finish(),
            iterations: count.load(Ordering::Relaxed),
            seconds,
            bounds: Bounds {
                threads,
                operations,
                preemption_bound: bound,
                exhaustive: bound.is_none() && !limited,
                max_iterations: None,
                pct_depth: None,
                seed: None,
            },
            schedule: None,
        },
    )
}
