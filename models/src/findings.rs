//! Soft findings: failures a scenario records without stopping the checker.
//!
//! A race stops a checker run at once (loom's report, or the oracle's panic). Duplicate
//! objects are different: they are a property of the final state of an execution, and
//! stopping at the first one would end the search before it could find a race in a later
//! interleaving. So scenarios *record* duplicates here and carry on; the run loop
//! ([`crate::run`]) reports `duplicates` only if no execution raced, with the first
//! execution that produced them.
//!
//! Like the step recorder, this lives in a `std` thread-local that no checker sees.

use crate::record::StepRecord;
use std::cell::RefCell;
use swan_credstore::trace::{self, StepKind};

/// The first soft finding of a run.
#[derive(Clone, Debug)]
pub struct Finding {
    /// Which execution (1-based) produced it.
    pub iteration: u64,
    /// What was found (`duplicates: ...`).
    pub message: String,
    /// The steps of that execution up to the finding.
    pub steps: Vec<StepRecord>,
}

#[derive(Default)]
struct State {
    iteration: u64,
    first: Option<Finding>,
    /// Stop at the first finding (a panic with its message) instead of recording it.
    fatal: bool,
}

thread_local! {
    static STATE: RefCell<State> = RefCell::new(State::default());
}

/// Starts a run: forgets earlier findings (and keeps whether they are fatal).
pub fn reset() {
    STATE.with(|s| {
        let fatal = s.borrow().fatal;
        *s.borrow_mut() = State {
            fatal,
            ..State::default()
        }
    });
}

/// Makes findings on this thread stop the checker at once (a panic whose message is the
/// finding's, so the run concludes `duplicates` at the first execution that has them)
/// instead of being recorded. For checks that only ask whether a row is caught: such a
/// run does not show that no later execution races.
pub fn set_fatal(fatal: bool) {
    STATE.with(|s| s.borrow_mut().fatal = fatal);
}

/// Whether findings on this thread stop the checker ([`set_fatal`]).
pub fn is_fatal() -> bool {
    STATE.with(|s| s.borrow().fatal)
}

/// Marks the start of execution number `iteration` (1-based).
pub fn set_iteration(iteration: u64) {
    STATE.with(|s| s.borrow_mut().iteration = iteration);
}

/// Records duplicates found by a scenario (kept only if it is the run's first finding).
pub fn duplicates(message: String) {
    trace::step(StepKind::Duplicates, "DUPLICATES", || message.clone());
    if STATE.with(|s| s.borrow().fatal) {
        panic!("{message}");
    }
    // Only the run's first finding is kept: a later one must not pay for a snapshot of
    // its execution's steps (a pre-fix storm finds duplicates after every reload, and
    // each snapshot copies the whole recording so far).
    if STATE.with(|s| s.borrow().first.is_some()) {
        return;
    }
    let steps = trace::snapshot()
        .into_iter()
        .map(StepRecord::from)
        .collect();
    STATE.with(|s| {
        let mut s = s.borrow_mut();
        let iteration = s.iteration;
        s.first.get_or_insert(Finding {
            iteration,
            message,
            steps,
        });
    });
}

/// The run's first finding, if any.
pub fn first() -> Option<Finding> {
    STATE.with(|s| s.borrow().first.clone())
}
