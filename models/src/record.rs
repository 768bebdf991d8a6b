//! Verdict records: one row of the verdict matrix, as printed by `cargo xtask verify`
//! and serialised by `--json`.

use serde::{Deserialize, Serialize};

/// What a checker run concluded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// A data race on a subject, a read of a freed identity, or a torn read.
    Race,
    /// Equal certificate objects stored more than once.
    Duplicates,
    /// Something still allocated when the scenario ended.
    Leak,
    /// Every explored execution satisfied every check.
    Pass,
    /// The run failed for a reason that is none of the above (see `message`).
    Error,
    /// Deliberately not run by this checker (see `message`): a design that would be real
    /// undefined behaviour on real threads.
    NotRun,
}

impl Outcome {
    /// The matrix spelling.
    pub fn name(self) -> &'static str {
        match self {
            Outcome::Race => "race",
            Outcome::Duplicates => "duplicates",
            Outcome::Leak => "leak",
            Outcome::Pass => "pass",
            Outcome::Error => "error",
            Outcome::NotRun => "not_run",
        }
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

/// The bounds of a checker run: without them "verified" means nothing.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Bounds {
    /// Threads in the scenario, the main thread included.
    pub threads: usize,
    /// What each thread does.
    pub operations: String,
    /// loom's preemption bound (`None`: unbounded, i.e. every interleaving).
    pub preemption_bound: Option<usize>,
    /// Whether a `pass` means every interleaving within these bounds was explored.
    pub exhaustive: bool,
    /// For sampling checkers (shuttle, stress): the iteration budget.
    #[serde(default)]
    pub max_iterations: Option<u64>,
    /// For shuttle PCT: the bug depth the scheduler targets.
    #[serde(default)]
    pub pct_depth: Option<usize>,
    /// For seeded checkers: the seed, so a run can be repeated exactly.
    #[serde(default)]
    pub seed: Option<u64>,
}

/// One step of a counterexample timeline.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepRecord {
    /// Position in the interleaving, from 1.
    pub seq: usize,
    /// Model thread.
    pub thread: String,
    /// What it did.
    pub op: String,
    /// On which objects.
    pub detail: String,
}

impl From<swan_credstore::trace::Step> for StepRecord {
    fn from(s: swan_credstore::trace::Step) -> Self {
        StepRecord {
            seq: s.seq,
            thread: s.thread,
            op: s.op.to_string(),
            detail: s.detail,
        }
    }
}

/// One row of the verdict matrix.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// Scenario name.
    pub scenario: String,
    /// Subject-cell variant (`in_place`, `locked`, `copy_on_write`, `immutable`, ...).
    pub variant: String,
    /// Load flow (`pre_fix`, `upstream_fix`).
    pub flow: String,
    /// Which checker ran it (`loom`, `shuttle_pct`, `shuttle_random`, `stress`).
    pub checker: String,
    /// The outcome the project expects, and why a mismatch fails the suite.
    pub expected: Outcome,
    /// The outcome the checker computed.
    pub outcome: Outcome,
    /// The checker's failure message, if it failed.
    pub message: Option<String>,
    /// Interleavings (executions) explored: all of them for a pass, up to and
    /// including the failing one otherwise.
    pub interleavings: u64,
    /// Which interleaving failed first (1-based), if any.
    pub first_failing: Option<u64>,
    /// Wall-clock seconds of the run.
    pub seconds: f64,
    /// The bounds the run explored.
    pub bounds: Bounds,
    /// The failing interleaving as model steps, or `None` for a pass.
    pub counterexample: Option<Vec<StepRecord>>,
    /// For shuttle failures: the encoded schedule that `cargo xtask replay` replays.
    #[serde(default)]
    pub schedule: Option<String>,
}

impl Record {
    /// Whether the outcome is the expected one.
    pub fn as_expected(&self) -> bool {
        self.outcome == self.expected
    }
}

/// What a harness observed in one checker run, before it becomes a [`Record`].
#[derive(Debug)]
pub struct RunResult {
    /// The first failure message, if an execution failed (a race, a leak, an error).
    pub panic: Option<String>,
    /// The steps of the failing execution (ignored without a failure).
    pub steps: Vec<swan_credstore::trace::Step>,
    /// Executions run.
    pub iterations: u64,
    /// Wall-clock seconds.
    pub seconds: f64,
    /// The bounds explored.
    pub bounds: Bounds,
    /// The replayable schedule of the failing execution (shuttle).
    pub schedule: Option<String>,
}

impl Record {
    /// Concludes a run of `case`: a failure wins; otherwise the first soft finding
    /// ([`crate::findings`]) makes it `duplicates`; otherwise it passed.
    pub fn conclude(case: &crate::cases::Case, run: RunResult) -> Record {
        let (outcome, message, first_failing, counterexample) = match run.panic {
            Some(msg) => {
                let steps = run.steps.into_iter().map(StepRecord::from).collect();
                (classify(&msg), Some(msg), Some(run.iterations), Some(steps))
            }
            None => match crate::findings::first() {
                Some(f) => (
                    Outcome::Duplicates,
                    Some(f.message),
                    Some(f.iteration),
                    Some(f.steps),
                ),
                None => (Outcome::Pass, None, None, None),
            },
        };
        Record {
            scenario: case.scenario.to_string(),
            variant: case.variant.to_string(),
            flow: case.flow.name().to_string(),
            checker: case.checker.name().to_string(),
            expected: case.expected,
            outcome,
            message,
            interleavings: run.iterations,
            first_failing,
            seconds: run.seconds,
            bounds: run.bounds,
            counterexample,
            schedule: if outcome == Outcome::Pass {
                None
            } else {
                run.schedule
            },
        }
    }
}
