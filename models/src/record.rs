//! Verdict records: one row of the verdict matrix, as printed by `cargo xtask verify`
//! and serialised by `--json`. Plain data: how a run becomes a record is
//! [`crate::run`]'s business.

use serde::{Deserialize, Serialize};
pub use swan_credstore::vocab::{
    Checker, Flow, Lock, Mode, Outcome, Scenario, Scope, StepKind, SyncKind, Variant,
};

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
    /// What the step did (renderers select by it, never by `op`).
    #[serde(flatten)]
    pub kind: StepKind,
    /// What it did, in words.
    pub op: String,
    /// The object it acted on (`id#3`), if it names one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object: Option<String>,
    /// On which objects.
    pub detail: String,
    /// Where the model recorded it (`src/subject/in_place.rs:85:9`), if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<String>,
    /// The tracked accesses the step stands for, where a checker's report can name
    /// them (loom's causality reports do).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub accesses: Vec<AccessRecord>,
    /// The synchronisation the thread did after this step and before its next one
    /// (what [`crate::report::hb`] computes happens-before from).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub syncs: Vec<SyncRecord>,
}

/// A synchronisation event ([`swan_credstore::trace::SyncEvent`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncRecord {
    /// It happened between step `after` and step `after + 1`.
    pub after: usize,
    /// Its place among the recording's events.
    pub order: usize,
    /// What happened.
    #[serde(flatten)]
    pub kind: SyncKind,
}

impl From<&swan_credstore::trace::SyncEvent> for SyncRecord {
    fn from(e: &swan_credstore::trace::SyncEvent) -> Self {
        SyncRecord {
            after: e.after,
            order: e.order,
            kind: e.kind.clone(),
        }
    }
}

/// A tracked access of a step ([`swan_credstore::trace::Access`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessRecord {
    /// Where (`src/subject/in_place.rs:94:22`), as loom prints it.
    pub at: String,
    /// A write (`with_mut`) or a read (`with`).
    pub write: bool,
    /// Which cell (numbered by first access in the recording; 0: not recorded).
    #[serde(default)]
    pub cell: usize,
}

impl From<swan_credstore::trace::Step> for StepRecord {
    fn from(s: swan_credstore::trace::Step) -> Self {
        StepRecord {
            seq: s.seq,
            thread: s.thread,
            kind: s.kind,
            op: s.op.to_string(),
            object: s.object,
            detail: s.detail,
            at: Some(s.at.to_string()),
            accesses: s
                .accesses
                .iter()
                .map(|a| AccessRecord {
                    at: a.at.to_string(),
                    write: a.write,
                    cell: a.cell,
                })
                .collect(),
            syncs: s.syncs.iter().map(SyncRecord::from).collect(),
        }
    }
}

/// One row of the verdict matrix.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// Scenario.
    pub scenario: Scenario,
    /// The rung of the scope ladder it ran at (`base` for the verdict matrix; absent in
    /// the JSON when `base`).
    #[serde(default, skip_serializing_if = "Scope::is_base")]
    pub scope: Scope,
    /// Subject design ([`Variant::Custom`] for a cell from outside the matrix).
    pub variant: Variant,
    /// A custom cell's own name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cell: Option<String>,
    /// Load flow.
    pub flow: Flow,
    /// Which checker ran it.
    pub checker: Checker,
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
    /// For a pass of a checker with deterministic counts (loom, seeded shuttle): one
    /// execution it explored, from which [`crate::report::order`] says what ordered
    /// the accesses it saw. `None` otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub witness: Option<Witness>,
    /// What the checker saw of the subjects over every execution it explored
    /// ([`crate::seen`]); `None` for a run with the step recorder off (real threads,
    /// loom with `record: false`, the real daemons).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seen: Option<Seen>,
}

/// What the explored executions did to the subjects, summed over the executions; the
/// terms are defined in [`crate::seen`], which computes them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Seen {
    /// Executions the figures come from (every one the checker explored).
    pub executions: u64,
    /// Tracked accesses a subject cell could have made (facade cell accesses, atomic
    /// operations, acquires of unannounced locks).
    pub tracked_accesses: u64,
    /// Tracked identities and snapshots freed (retired in place or dropped) while the
    /// threads ran, the scenario's cleanup not included.
    pub frees: u64,
    /// Distinct orders of the threads' subject steps: each execution's sequence of
    /// (thread, step kind, tracked accesses) over its subject steps and the steps after
    /// which a tracked access was made, counted once however often explored.
    pub orders: u64,
    /// Executions with at least one swap window.
    pub swap_executions: u64,
    /// Of those, the executions in which another thread's subject step fell inside one.
    pub window_entered: u64,
}

impl Seen {
    /// Whether the checker saw no tracked access to any subject: a `pass` then proves
    /// nothing about them.
    pub fn is_vacuous(&self) -> bool {
        self.executions > 0 && self.tracked_accesses == 0
    }

    /// The figures in one line, for a report (`3,144 executions: 40,122 tracked
    /// accesses, 3,144 frees, 212 orders, swap window entered in 1,006 of 3,144`).
    pub fn summary(&self) -> String {
        let window = if self.swap_executions == 0 {
            "no swap window (the swap is one step, or there is none)".to_string()
        } else {
            format!(
                "swap window entered in {} of {} executions",
                self.window_entered, self.swap_executions
            )
        };
        format!(
            "{} executions: {} tracked accesses, {} frees, {} distinct orders, {window}",
            self.executions, self.tracked_accesses, self.frees, self.orders
        )
    }
}

/// One execution of a pass, kept to explain it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Witness {
    /// Which execution (1-based).
    pub execution: u64,
    /// `true`: the first execution in which a thread read an object another running
    /// thread made, published or freed; `false`: none did, and this is the last one.
    pub concurrent: bool,
    /// Its steps.
    pub steps: Vec<StepRecord>,
}

impl Record {
    /// Whether the outcome is the expected one.
    pub fn as_expected(&self) -> bool {
        self.outcome == self.expected
    }

    /// Whether `other` is the same matrix cell (scenario × variant × flow), whatever
    /// the checker.
    pub fn same_cell(&self, other: &Record) -> bool {
        self.scenario == other.scenario
            && self.scope == other.scope
            && self.variant == other.variant
            && self.flow == other.flow
    }

    /// The steps of the counterexample (empty for a pass).
    pub fn steps(&self) -> &[StepRecord] {
        self.counterexample.as_deref().unwrap_or(&[])
    }

    /// The steps of a pass's last explored execution (empty otherwise).
    pub fn witness_steps(&self) -> &[StepRecord] {
        self.witness.as_ref().map_or(&[], |w| &w.steps[..])
    }
}
