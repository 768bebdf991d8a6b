//! The one run loop every checker shares, and how a run becomes a [`Record`].
//!
//! A checker (loom, shuttle, the stress loop) only decides *which* executions to run; the
//! loop around them is the same for all: forget earlier findings, count executions with a
//! `std` counter the checker does not see, start a fresh step recording per execution,
//! time the run, capture the failure a checker reports by panicking, and conclude.

use crate::capture::run_captured;
use crate::dispatch::Body;
use crate::expect::Case;
use crate::findings;
use crate::record::{Bounds, Outcome, Record, Seen, StepKind, StepRecord, Witness};
use crate::seen::Tally;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;
use swan_credstore::trace;

/// One execution of a scenario body, as a checker calls it: counts itself, tells the
/// findings which execution this is, and starts a recording if asked to.
pub struct Execution {
    count: AtomicU64,
    record: bool,
    body: Body,
    /// The first execution with a concurrent pair ([`concurrent_pair`]): its number
    /// and steps.
    witness: Mutex<Option<(u64, Vec<trace::Step>)>>,
    /// What every recorded execution did to the subjects.
    tally: Mutex<Tally>,
}

/// Whether `steps` hold a read by one thread of an object another thread made,
/// published or freed while the reader was already running (its first step came
/// first): a pair of accesses no spawn orders, which the pass's explanation is about.
fn concurrent_pair(steps: &[trace::Step]) -> bool {
    steps.iter().any(|w| {
        matches!(w.kind, StepKind::Alloc | StepKind::Write | StepKind::Free)
            && w.object.is_some()
            && steps.iter().any(|r| {
                r.thread != w.thread
                    && r.kind.is_read()
                    && r.object == w.object
                    && steps
                        .iter()
                        .find(|s| s.thread == r.thread)
                        .is_some_and(|first| first.seq < w.seq)
            })
    })
}

impl Execution {
    /// Runs the body once.
    pub fn run(&self) {
        let n = self.count.fetch_add(1, Ordering::Relaxed) + 1;
        findings::set_iteration(n);
        if self.record {
            trace::start();
        }
        (self.body)();
        if self.record {
            let mut w = self.witness.lock().unwrap_or_else(|e| e.into_inner());
            if w.is_none() && trace::inspect(concurrent_pair) {
                *w = Some((n, trace::snapshot()));
            }
            let mut tally = self.tally.lock().unwrap_or_else(|e| e.into_inner());
            let frees = trace::frees();
            trace::inspect(|steps| tally.add(steps, frees));
        }
    }

    /// Executions run so far.
    pub fn count(&self) -> u64 {
        self.count.load(Ordering::Relaxed)
    }
}

/// What a checker observed, before it becomes a [`Record`].
#[derive(Debug)]
pub struct Observed {
    /// The first failure message, if an execution failed (a race, a leak, an error).
    pub panic: Option<String>,
    /// The steps of the last (for a failure: the failing) execution.
    pub steps: Vec<trace::Step>,
    /// The first execution with a concurrent pair, if the recorder saw one: its
    /// number and steps.
    pub witness: Option<(u64, Vec<trace::Step>)>,
    /// Executions run.
    pub iterations: u64,
    /// Wall-clock seconds.
    pub seconds: f64,
    /// What the recorded executions did to the subjects (`None` with the recorder off).
    pub seen: Option<Seen>,
}

/// Runs `body` under a checker. `drive` is the checker: it calls
/// [`Execution::run`] once per execution it explores (from any closure it likes, such as
/// loom's model closure) and reports a failure by panicking. `record` turns on the step
/// recorder for every execution (counterexample timelines need it; it must not change
/// what the checker explores, which `tests/recorder_invisible.rs` checks).
pub fn run(body: Body, record: bool, drive: impl FnOnce(Arc<Execution>)) -> Observed {
    let exec = Arc::new(Execution {
        count: AtomicU64::new(0),
        record,
        body,
        witness: Mutex::new(None),
        tally: Mutex::new(Tally::default()),
    });
    findings::reset();
    let start = Instant::now();
    let ex = exec.clone();
    let result = run_captured(move || drive(ex));
    let witness = exec
        .witness
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .take();
    Observed {
        panic: result.err(),
        steps: trace::finish(),
        witness,
        iterations: exec.count(),
        seconds: start.elapsed().as_secs_f64(),
        seen: record.then(|| exec.tally.lock().unwrap_or_else(|e| e.into_inner()).seen()),
    }
}

/// Classifies a failure message from a checker run.
///
/// * loom's `Causality violation` (unordered accesses to a tracked cell), the model's
///   `use-after-free` oracle and a scenario's `torn read:` are a [`Outcome::Race`];
/// * a scenario's `duplicates:` is [`Outcome::Duplicates`];
/// * loom's `Arc leaked` / `Allocation leaked` and a scenario's `leak:` are
///   [`Outcome::Leak`];
/// * anything else — a bug in a scenario, a loom limit exceeded — is
///   [`Outcome::Error`], never one of the expected classes.
pub fn classify(message: &str) -> Outcome {
    let has = |s: &str| message.contains(s);
    if has("Causality violation") || has(swan_credstore::heap::UAF) || has("torn read:") {
        Outcome::Race
    } else if has("duplicates:") {
        Outcome::Duplicates
    } else if has("Arc leaked") || has("Allocation leaked") || has("leak:") {
        Outcome::Leak
    } else {
        Outcome::Error
    }
}

/// How a vacuous run's message starts.
pub const VACUOUS: &str = "vacuous: the checker saw no access to the subject";

/// Concludes a run of `case`: a failure wins; otherwise the first soft finding
/// ([`crate::findings`]) makes it `duplicates`; otherwise it passed — unless the
/// checker saw no tracked subject access in any execution ([`Seen::is_vacuous`]), which
/// makes it [`Outcome::Vacuous`], with a message starting [`VACUOUS`]. `schedule` (a
/// shuttle failure's) is kept for a failure only.
pub fn conclude(case: &Case, run: Observed, bounds: Bounds, schedule: Option<String>) -> Record {
    let last = run.steps;
    let iterations = run.iterations;
    let witness = match run.witness {
        Some((execution, steps)) => Some(Witness {
            execution,
            concurrent: true,
            steps: steps.into_iter().map(StepRecord::from).collect(),
        }),
        None => (!last.is_empty()).then(|| Witness {
            execution: iterations,
            concurrent: false,
            steps: last.iter().cloned().map(StepRecord::from).collect(),
        }),
    };
    // A failing execution stops before its steps are tallied: figures of a failed run
    // would be short by that execution, and a failure needs no vacuity figures.
    let seen = run.seen.filter(|_| run.panic.is_none());
    let (outcome, message, first_failing, counterexample) = match run.panic {
        Some(msg) => {
            let steps = last.iter().cloned().map(StepRecord::from).collect();
            (classify(&msg), Some(msg), Some(run.iterations), Some(steps))
        }
        None => match findings::first() {
            Some(f) => (
                Outcome::Duplicates,
                Some(f.message),
                Some(f.iteration),
                Some(f.steps),
            ),
            None => match &seen {
                Some(seen) if seen.is_vacuous() => {
                    (Outcome::Vacuous, Some(vacuous(seen)), None, None)
                }
                _ => (Outcome::Pass, None, None, None),
            },
        },
    };
    Record {
        scenario: case.scenario,
        scope: case.scope,
        variant: case.variant,
        cell: case.cell.map(str::to_string),
        flow: case.flow,
        checker: case.checker,
        expected: case.expected,
        outcome,
        message,
        interleavings: run.iterations,
        first_failing,
        seconds: run.seconds,
        bounds,
        counterexample,
        schedule: schedule.filter(|_| outcome != Outcome::Pass),
        witness: witness
            .filter(|_| outcome == Outcome::Pass && case.checker.deterministic_counts()),
        seen,
    }
}

fn vacuous(seen: &Seen) -> String {
    format!(
        "{VACUOUS}: in {} explored executions no model step made a facade UnsafeCell access \
         or an atomic access to a subject, so the checker had nothing of the subjects to \
         interleave and a `pass` would prove nothing. A cell built on std::sync (or \
         std::cell) is invisible to loom and shuttle: use swan_credstore::sync (Mutex, \
         RwLock, UnsafeCell, AtomicPtr) for everything threads share.",
        seen.executions
    )
}
