//! The scope ladder's plan: for each row above [`Scope::Base`], the loom preemption bound
//! it runs with and whether the default `cargo xtask verify` runs it.
//!
//! Both are decided by measurement, not by taste: `cargo xtask bench-checkers --ladder`
//! runs every ladder row unbounded with a 60 s cap, and, for the rows the cap stops, the
//! largest bound that finishes within it. [`BOUNDED`] lists those rows and bounds; every
//! other ladder row is exhaustive. The default verify runs the rungs whose rows, summed,
//! fit a 3-minute warm budget on 2 cores ([`IN_DEFAULT`]); `--full` runs every rung.

use crate::expect::Case;
use crate::record::{Flow, Scenario, Scope, Variant};

/// A ladder row that loom cannot explore unbounded within 60 s, and the largest
/// preemption bound at which it finishes.
pub struct Bounded {
    /// The rung.
    pub scope: Scope,
    /// The scenario (`None`: every scenario of the rung).
    pub scenario: Option<Scenario>,
    /// The design.
    pub variant: Variant,
    /// The flow (`None`: both).
    pub flow: Option<Flow>,
    /// The preemption bound it runs with.
    pub bound: usize,
}

/// The bounded ladder rows (first match wins); measured by `bench-checkers --ladder`.
pub const BOUNDED: &[Bounded] = &[
    Bounded {
        scope: Scope::Base,
        scenario: Some(Scenario::ReloadVsLookup),
        variant: Variant::Epoch,
        flow: Some(Flow::PreFix),
        bound: 2,
    },
    Bounded {
        scope: Scope::Base,
        scenario: Some(Scenario::ReloadVsLookup),
        variant: Variant::Epoch,
        flow: Some(Flow::UpstreamFix),
        bound: 4,
    },
    Bounded {
        scope: Scope::Base,
        scenario: Some(Scenario::ReloadVsListCerts),
        variant: Variant::Epoch,
        flow: Some(Flow::PreFix),
        bound: 2,
    },
    Bounded {
        scope: Scope::Base,
        scenario: Some(Scenario::ReloadVsListCerts),
        variant: Variant::Epoch,
        flow: Some(Flow::UpstreamFix),
        bound: 3,
    },
    Bounded {
        scope: Scope::Base,
        scenario: Some(Scenario::ConcurrentReloads),
        variant: Variant::Epoch,
        flow: Some(Flow::PreFix),
        bound: 1,
    },
    Bounded {
        scope: Scope::TwoKeys,
        scenario: Some(Scenario::ReloadVsLookup),
        variant: Variant::CopyOnWrite,
        flow: Some(Flow::PreFix),
        bound: 6,
    },
    Bounded {
        scope: Scope::TwoKeys,
        scenario: Some(Scenario::ReloadVsLookup),
        variant: Variant::Epoch,
        flow: Some(Flow::PreFix),
        bound: 2,
    },
    Bounded {
        scope: Scope::TwoKeys,
        scenario: Some(Scenario::ReloadVsLookup),
        variant: Variant::Epoch,
        flow: Some(Flow::UpstreamFix),
        bound: 4,
    },
    Bounded {
        scope: Scope::TwoKeys,
        scenario: Some(Scenario::ReloadVsListCerts),
        variant: Variant::Locked,
        flow: Some(Flow::PreFix),
        bound: 8,
    },
    Bounded {
        scope: Scope::TwoKeys,
        scenario: Some(Scenario::ReloadVsListCerts),
        variant: Variant::CopyOnWrite,
        flow: Some(Flow::PreFix),
        bound: 5,
    },
    Bounded {
        scope: Scope::TwoKeys,
        scenario: Some(Scenario::ReloadVsListCerts),
        variant: Variant::Epoch,
        flow: Some(Flow::PreFix),
        bound: 2,
    },
    Bounded {
        scope: Scope::TwoKeys,
        scenario: Some(Scenario::ReloadVsListCerts),
        variant: Variant::Epoch,
        flow: Some(Flow::UpstreamFix),
        bound: 3,
    },
    Bounded {
        scope: Scope::TwoKeys,
        scenario: Some(Scenario::ConcurrentReloads),
        variant: Variant::Epoch,
        flow: Some(Flow::PreFix),
        bound: 1,
    },
    Bounded {
        scope: Scope::TwoKeys,
        scenario: Some(Scenario::ConcurrentReloads),
        variant: Variant::Epoch,
        flow: Some(Flow::UpstreamFix),
        bound: 6,
    },
    Bounded {
        scope: Scope::TwoKeys,
        scenario: Some(Scenario::ReloadVsClear),
        variant: Variant::Epoch,
        flow: Some(Flow::UpstreamFix),
        bound: 6,
    },
    Bounded {
        scope: Scope::SharedKey,
        scenario: Some(Scenario::ReloadVsLookup),
        variant: Variant::Epoch,
        flow: Some(Flow::PreFix),
        bound: 2,
    },
    Bounded {
        scope: Scope::SharedKey,
        scenario: Some(Scenario::ReloadVsLookup),
        variant: Variant::Epoch,
        flow: Some(Flow::UpstreamFix),
        bound: 2,
    },
    Bounded {
        scope: Scope::SharedKey,
        scenario: Some(Scenario::ReloadVsListCerts),
        variant: Variant::CopyOnWrite,
        flow: Some(Flow::PreFix),
        bound: 8,
    },
    Bounded {
        scope: Scope::SharedKey,
        scenario: Some(Scenario::ReloadVsListCerts),
        variant: Variant::Epoch,
        flow: Some(Flow::PreFix),
        bound: 2,
    },
    Bounded {
        scope: Scope::SharedKey,
        scenario: Some(Scenario::ReloadVsListCerts),
        variant: Variant::Epoch,
        flow: Some(Flow::UpstreamFix),
        bound: 2,
    },
    Bounded {
        scope: Scope::SharedKey,
        scenario: Some(Scenario::ConcurrentReloads),
        variant: Variant::Epoch,
        flow: Some(Flow::PreFix),
        bound: 1,
    },
    Bounded {
        scope: Scope::ThreeThreads,
        scenario: Some(Scenario::ReloadVsLookup),
        variant: Variant::Locked,
        flow: Some(Flow::PreFix),
        bound: 4,
    },
    Bounded {
        scope: Scope::ThreeThreads,
        scenario: Some(Scenario::ReloadVsLookup),
        variant: Variant::CopyOnWrite,
        flow: Some(Flow::PreFix),
        bound: 3,
    },
    Bounded {
        scope: Scope::ThreeThreads,
        scenario: Some(Scenario::ReloadVsLookup),
        variant: Variant::Epoch,
        flow: Some(Flow::UpstreamFix),
        bound: 1,
    },
    Bounded {
        scope: Scope::ThreeThreads,
        scenario: Some(Scenario::ConcurrentReloads),
        variant: Variant::Locked,
        flow: Some(Flow::PreFix),
        bound: 5,
    },
    Bounded {
        scope: Scope::ThreeThreads,
        scenario: Some(Scenario::ConcurrentReloads),
        variant: Variant::CopyOnWrite,
        flow: Some(Flow::PreFix),
        bound: 4,
    },
    Bounded {
        scope: Scope::ThreeThreads,
        scenario: Some(Scenario::ConcurrentReloads),
        variant: Variant::Epoch,
        flow: Some(Flow::UpstreamFix),
        bound: 3,
    },
    Bounded {
        scope: Scope::ThreeThreads,
        scenario: Some(Scenario::ReloadVsClear),
        variant: Variant::Locked,
        flow: Some(Flow::PreFix),
        bound: 6,
    },
    Bounded {
        scope: Scope::ThreeThreads,
        scenario: Some(Scenario::ReloadVsClear),
        variant: Variant::CopyOnWrite,
        flow: Some(Flow::PreFix),
        bound: 5,
    },
    Bounded {
        scope: Scope::ThreeThreads,
        scenario: Some(Scenario::ReloadVsClear),
        variant: Variant::Epoch,
        flow: Some(Flow::PreFix),
        bound: 1,
    },
    Bounded {
        scope: Scope::ThreeThreads,
        scenario: Some(Scenario::ReloadVsClear),
        variant: Variant::Epoch,
        flow: Some(Flow::UpstreamFix),
        bound: 1,
    },
    Bounded {
        scope: Scope::TwoReloads,
        scenario: Some(Scenario::ReloadVsLookup),
        variant: Variant::Epoch,
        flow: Some(Flow::PreFix),
        bound: 2,
    },
    Bounded {
        scope: Scope::TwoReloads,
        scenario: Some(Scenario::ReloadVsLookup),
        variant: Variant::Epoch,
        flow: Some(Flow::UpstreamFix),
        bound: 4,
    },
    Bounded {
        scope: Scope::TwoReloads,
        scenario: Some(Scenario::ReloadVsListCerts),
        variant: Variant::CopyOnWrite,
        flow: Some(Flow::PreFix),
        bound: 6,
    },
    Bounded {
        scope: Scope::TwoReloads,
        scenario: Some(Scenario::ReloadVsListCerts),
        variant: Variant::Epoch,
        flow: Some(Flow::PreFix),
        bound: 2,
    },
    Bounded {
        scope: Scope::TwoReloads,
        scenario: Some(Scenario::ReloadVsListCerts),
        variant: Variant::Epoch,
        flow: Some(Flow::UpstreamFix),
        bound: 3,
    },
    // Bound 1 is stopped by the cap; bound 0 (no preemption: a thread is switched out
    // only where it blocks or ends) finishes.
    Bounded {
        scope: Scope::ThreeThreads,
        scenario: Some(Scenario::ReloadVsLookup),
        variant: Variant::Epoch,
        flow: Some(Flow::PreFix),
        bound: 0,
    },
    Bounded {
        scope: Scope::ThreeThreads,
        scenario: Some(Scenario::ConcurrentReloads),
        variant: Variant::Epoch,
        flow: Some(Flow::PreFix),
        bound: 0,
    },
];

/// Seconds of loom time (warm, 2 cores) the default verify may spend on the rungs above
/// the base: in ladder order, a rung is taken if its measured rows fit what is left.
pub const BUDGET_SECONDS: f64 = 180.0;

/// The rungs the default `cargo xtask verify` runs besides the matrix's own.
pub const IN_DEFAULT: &[Scope] = &[Scope::SharedKey];

/// The most preemptions the matrix's own epoch rows (crossbeam-epoch under loom) run
/// with by default, as crossbeam's own CI does: the test command runs them, and a larger
/// bound costs minutes (the ladder's record has each row's largest bound within the cap).
pub const EPOCH_PREEMPTION_BOUND: usize = 2;

/// A `preemption_bound` meaning "no bound at all", even for the epoch rows and whatever
/// `LOOM_MAX_PREEMPTIONS` says (used by `cargo xtask bench-checkers`), and for
/// `shuttle_dfs` every schedule.
pub const UNBOUNDED: usize = usize::MAX;

/// The preemption bound of a `shuttle_dfs` row (the cross-check of loom): `None` (every
/// schedule) for the matrix rows whose whole tree it explored within its default budget
/// of 200,000 executions; the others at the largest bound at which every row of their
/// group finished within that budget. Measured on 2026-12-07 with `cargo xtask verify
/// --checker shuttle_dfs --scope S [--preemption-bound B]`:
///
/// * matrix, unbounded: `reload_vs_lookup` and `reload_vs_list_certs` in the pre-fix
///   flow, `concurrent_reloads × locked × pre_fix` and `split_dedup` did not finish (and
///   the racy rows among them had not met their race) → [`DFS_PREEMPTION_BOUND`];
/// * ladder rungs (b), (c), (e) at [`DFS_PREEMPTION_BOUND`]: all finished but the
///   reader rows of `locked × pre_fix` → those at [`DFS_LOCKED_READER_BOUND`];
/// * rung (d), four threads: at bound 4, 22 of its 32 rows did not finish (two racy
///   rows among them had not met their race); at bound 3, 5 did not, and the rung took
///   203 s; at bound 2 every row finished, in 16 s → [`DFS_THREE_THREADS_BOUND`].
pub fn dfs_bound(case: &Case) -> Option<usize> {
    use crate::record::{Flow, Scenario, Variant};
    let reader = matches!(
        case.scenario,
        Scenario::ReloadVsLookup | Scenario::ReloadVsListCerts
    );
    match case.scope {
        Scope::Base => {
            let bounded = match (case.scenario, case.variant, case.flow) {
                (_, _, Flow::PreFix) if reader => true,
                (Scenario::ConcurrentReloads, Variant::Locked, Flow::PreFix) => true,
                (Scenario::ConcurrentReloads, Variant::SplitDedup, _) => true,
                _ => false,
            };
            bounded.then_some(DFS_PREEMPTION_BOUND)
        }
        Scope::ThreeThreads => Some(DFS_THREE_THREADS_BOUND),
        _ if reader && case.variant == Variant::Locked && case.flow == Flow::PreFix => {
            Some(DFS_LOCKED_READER_BOUND)
        }
        _ => Some(DFS_PREEMPTION_BOUND),
    }
}

/// The preemption bound of the `shuttle_dfs` rows that cannot run every schedule within
/// the budget (the largest that finished every such row: at 5, two matrix rows ran out
/// of it).
pub const DFS_PREEMPTION_BOUND: usize = 4;

/// The `shuttle_dfs` bound of the ladder's `reload_vs_lookup` and `reload_vs_list_certs`
/// rows of `locked × pre_fix` (at [`DFS_PREEMPTION_BOUND`] they ran out of the budget on
/// rungs (b) and (e), and on (c) for list-certs).
pub const DFS_LOCKED_READER_BOUND: usize = 3;

/// The `shuttle_dfs` bound of rung (d), the rung with a third thread.
pub const DFS_THREE_THREADS_BOUND: usize = 2;

/// A matrix epoch row runs unbounded by default when its unbounded run took at most this
/// many seconds in the ladder's measurement (listed in [`MATRIX_EPOCH_UNBOUNDED`]).
pub const MATRIX_UNBOUNDED_SECONDS: f64 = 10.0;

/// The matrix's epoch rows that run unbounded by default (measured: see
/// [`MATRIX_UNBOUNDED_SECONDS`]).
pub const MATRIX_EPOCH_UNBOUNDED: &[(Scenario, Flow)] = &[
    (Scenario::ConcurrentReloads, Flow::UpstreamFix),
    (Scenario::ReloadVsClear, Flow::PreFix),
];

/// The preemption bound `case` runs with (`None`: unbounded, every interleaving).
///
/// With `full` (`cargo xtask verify --full`) every row runs at its measured plan: its
/// [`BOUNDED`] entry, else unbounded. Without it the same, except that a matrix epoch
/// row ([`Scope::Base`]) runs unbounded only if listed in [`MATRIX_EPOCH_UNBOUNDED`],
/// and otherwise at most at [`EPOCH_PREEMPTION_BOUND`].
pub fn bound(case: &Case, full: bool) -> Option<usize> {
    let planned = BOUNDED
        .iter()
        .find(|b| {
            b.scope == case.scope
                && b.variant == case.variant
                && b.scenario.is_none_or(|s| s == case.scenario)
                && b.flow.is_none_or(|f| f == case.flow)
        })
        .map(|b| b.bound);
    if full || !case.scope.is_base() || case.variant != Variant::Epoch {
        return planned;
    }
    match planned {
        None if MATRIX_EPOCH_UNBOUNDED.contains(&(case.scenario, case.flow)) => None,
        None => Some(EPOCH_PREEMPTION_BOUND),
        Some(b) => Some(b.min(EPOCH_PREEMPTION_BOUND)),
    }
}

/// Whether the default `cargo xtask verify` runs `case` (every matrix case, and the
/// ladder rungs of [`IN_DEFAULT`]).
pub fn in_default(case: &Case) -> bool {
    case.scope.is_base() || IN_DEFAULT.contains(&case.scope)
}
