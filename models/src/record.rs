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
    /// Which checker ran it (`loom`).
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
}

impl Record {
    /// Whether the outcome is the expected one.
    pub fn as_expected(&self) -> bool {
        self.outcome == self.expected
    }
}
