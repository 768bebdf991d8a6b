//! The loom checker: explores one case exhaustively (within its preemption bound) through
//! the shared run loop ([`crate::run`]).

use crate::dispatch::{self, Body};
use crate::expect::Case;
use crate::record::{Bounds, Record};
use crate::run;
use crate::scenarios;
use crate::storm::StormSize;

pub use crate::ladder::{EPOCH_PREEMPTION_BOUND, UNBOUNDED};

/// How to run loom.
#[derive(Clone, Debug)]
pub struct LoomOptions {
    /// Preemption bound; `None` explores every interleaving (epoch rows: bounded by
    /// [`EPOCH_PREEMPTION_BOUND`]). When `None`, loom's `LOOM_MAX_PREEMPTIONS`
    /// environment variable still applies, as loom users expect; the record states the
    /// bound actually used.
    pub preemption_bound: Option<usize>,
    /// Record a timeline for every execution (needed for counterexamples). Turning it
    /// off must not change the number of interleavings (a test checks that).
    pub record: bool,
    /// Run every row at the ladder's measured plan (`verify --full`), not the matrix's
    /// cheaper default for the epoch rows (see [`crate::ladder::bound`]).
    pub full: bool,
}

impl Default for LoomOptions {
    /// Unbounded (epoch: [`EPOCH_PREEMPTION_BOUND`]), with timelines.
    fn default() -> Self {
        LoomOptions {
            preemption_bound: None,
            record: true,
            full: false,
        }
    }
}

/// Runs a matrix `case` under loom.
pub fn check(case: &Case, opts: &LoomOptions) -> Record {
    let body = dispatch::body(
        case.scenario,
        case.scope,
        case.variant,
        case.flow,
        StormSize::SHUTTLE,
    )
    .expect("every runnable case has a body");
    check_body(case, body, opts)
}

/// Runs `body` under loom and labels the record with `case` (a cell from outside the
/// matrix goes through [`crate::check::check_cell`], which builds both).
pub fn check_body(case: &Case, body: Body, opts: &LoomOptions) -> Record {
    let mut builder = loom::model::Builder::new();
    if opts.preemption_bound == Some(UNBOUNDED) {
        builder.preemption_bound = None;
    } else if opts.preemption_bound.is_some() {
        builder.preemption_bound = opts.preemption_bound;
    } else if builder.preemption_bound.is_none() {
        // LOOM_MAX_PREEMPTIONS (already in the builder) wins over the plan.
        builder.preemption_bound = crate::ladder::bound(case, opts.full);
    }
    // Name source locations in loom's causality-violation reports.
    builder.location = true;
    let bound = builder.preemption_bound;
    // LOOM_MAX_DURATION / LOOM_MAX_PERMUTATIONS make loom stop early and return as if
    // it had finished: such a run is never called exhaustive.
    let limited = builder.max_duration.is_some() || builder.max_permutations.is_some();
    let observed = run::run(body, opts.record, move |exec| {
        builder.check(move || exec.run());
    });
    let (threads, mut operations) =
        scenarios::shape_in(case.scenario, case.scope, &StormSize::SHUTTLE);
    if limited {
        operations
            .push_str(" (limited by LOOM_MAX_DURATION/LOOM_MAX_PERMUTATIONS: not exhaustive)");
    }
    let bounds = Bounds {
        threads,
        operations,
        preemption_bound: bound,
        exhaustive: bound.is_none() && !limited,
        max_iterations: None,
        pct_depth: None,
        seed: None,
    };
    run::conclude(case, observed, bounds, None)
}
