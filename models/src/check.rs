//! Checking a cell (or store) of your own: one call runs a scenario under every checker
//! this build has, exactly as the matrix's own designs are run.
//!
//! ```ignore
//! use swan_credstore_models::check::{check_cell, CellUnderTest, CheckOptions};
//! use swan_credstore_models::record::{Outcome, Scenario};
//! // RUSTFLAGS="--cfg loom" cargo test --release
//! for r in check_cell(Scenario::ReloadVsLookup, CellUnderTest::<MyCell>::pre_fix(),
//!                     Outcome::Pass, &CheckOptions::default()) {
//!     assert_eq!(r.outcome, Outcome::Pass, "{:?}", r.message);
//! }
//! ```
//!
//! Which checkers run depends on the build: `--cfg loom` runs loom, `--cfg shuttle` runs
//! shuttle's PCT and random schedulers, the plain build runs the stress checker on real
//! threads — except for a cell expected to race, which is never run on real threads (its
//! record says `not_run`, as the matrix's racy designs do). A record only says what its
//! checker could see: a cell built on `std` primitives instead of the facade
//! (`swan_credstore::sync`) is invisible to loom and shuttle. Such a cell is refused: a
//! run that would pass but in which the checker saw no tracked access to a subject in
//! any execution is returned as `vacuous` with a message starting [`VACUOUS`], never as
//! `pass` ([`crate::seen`]).

use crate::dispatch;
use crate::expect::Case;
#[cfg(loom)]
use crate::loom_check::LoomOptions;
use crate::record::{Checker, Flow, Outcome, Record, Scenario, Variant};
#[cfg(all(shuttle, not(loom)))]
use crate::shuttle_check::ShuttleOptions;
#[cfg(loom)]
use crate::storm::StormSize;
#[cfg(not(any(loom, shuttle)))]
use crate::stress::StressOptions;
use swan_credstore::{CertStore, CredentialStore, LoadFn, MutableSubject, SubjectCell, Vici};

/// A cell `C` in a store `S` with one of the two load flows.
pub struct CellUnderTest<C: SubjectCell, S: CertStore<C> = CredentialStore<C>> {
    flow: Flow,
    load: LoadFn<C, S>,
}

impl<C: MutableSubject, S: CertStore<C>> CellUnderTest<C, S> {
    /// With the pre-fix flow (the one that calls `set_subject` on a shared cert).
    pub fn pre_fix() -> Self {
        CellUnderTest {
            flow: Flow::PreFix,
            load: Vici::<C, S>::load_conn_pre_fix,
        }
    }
}

impl<C: SubjectCell, S: CertStore<C>> CellUnderTest<C, S> {
    /// With the upstream flow (wrap with the final identity, then store).
    pub fn upstream_fix() -> Self {
        CellUnderTest {
            flow: Flow::UpstreamFix,
            load: Vici::<C, S>::load_conn_upstream_fix,
        }
    }

    /// With a load flow of your own (an exercise's), recorded under `flow`.
    pub fn with_flow(flow: Flow, load: LoadFn<C, S>) -> Self {
        CellUnderTest { flow, load }
    }

    /// The records' design: the store's if it is one of its own, else the cell's.
    pub fn variant() -> Variant {
        S::VARIANT.unwrap_or(C::DESIGN.variant())
    }
}

/// The budgets of the checkers this build has.
#[derive(Clone, Debug)]
pub struct CheckOptions {
    /// loom's.
    #[cfg(loom)]
    pub loom: LoomOptions,
    /// shuttle's.
    #[cfg(all(shuttle, not(loom)))]
    pub shuttle: ShuttleOptions,
    /// The stress checker's.
    #[cfg(not(any(loom, shuttle)))]
    pub stress: StressOptions,
}

impl Default for CheckOptions {
    /// The matrix's own budgets (loom unbounded with timelines; shuttle 100 executions,
    /// seed 1; stress 20 executions or 5 s).
    fn default() -> Self {
        CheckOptions {
            #[cfg(loom)]
            loom: LoomOptions::default(),
            #[cfg(all(shuttle, not(loom)))]
            shuttle: ShuttleOptions::DEFAULT,
            #[cfg(not(any(loom, shuttle)))]
            stress: StressOptions::DEFAULT,
        }
    }
}

/// The checkers of this build.
pub fn checkers_here() -> &'static [Checker] {
    if cfg!(loom) {
        &[Checker::Loom]
    } else if cfg!(shuttle) {
        &[Checker::ShuttlePct, Checker::ShuttleRandom]
    } else {
        &[Checker::Stress]
    }
}

/// Runs `scenario` with `cell` under every checker of this build and returns one record
/// per checker, each labelled with the cell's design (`variant: custom` and `cell:
/// <name>` for a cell from outside the matrix) and `expected`.
pub fn check_cell<C: SubjectCell, S: CertStore<C>>(
    scenario: Scenario,
    cell: CellUnderTest<C, S>,
    expected: Outcome,
    opts: &CheckOptions,
) -> Vec<Record> {
    checkers_here()
        .iter()
        .map(|&checker| {
            let case = Case {
                scenario,
                scope: crate::record::Scope::Base,
                variant: CellUnderTest::<C, S>::variant(),
                cell: C::DESIGN.custom_name(),
                flow: cell.flow,
                checker,
                expected,
            };
            run_one(&case, cell.load, opts)
        })
        .collect()
}

/// How a vacuous run's message starts (see [`crate::seen`]).
pub use crate::run::VACUOUS;

#[cfg(loom)]
fn run_one<C: SubjectCell, S: CertStore<C>>(
    case: &Case,
    load: LoadFn<C, S>,
    opts: &CheckOptions,
) -> Record {
    let body = dispatch::body_for(case.scenario, load, StormSize::SHUTTLE);
    crate::loom_check::check_body(case, body, &opts.loom)
}

#[cfg(all(shuttle, not(loom)))]
fn run_one<C: SubjectCell, S: CertStore<C>>(
    case: &Case,
    load: LoadFn<C, S>,
    opts: &CheckOptions,
) -> Record {
    let body = dispatch::body_for(case.scenario, load, opts.shuttle.size);
    crate::shuttle_check::check_body(case, body, &opts.shuttle)
}

#[cfg(not(any(loom, shuttle)))]
fn run_one<C: SubjectCell, S: CertStore<C>>(
    case: &Case,
    load: LoadFn<C, S>,
    opts: &CheckOptions,
) -> Record {
    if case.expected == Outcome::Race {
        return crate::stress::not_run(case, &opts.stress);
    }
    let body = dispatch::body_for(case.scenario, load, opts.stress.size);
    crate::stress::check_body(case, body, &opts.stress)
}
