//! `cargo xtask verify --repeat K`: runs the selection K times and reports every row
//! that changed between runs.
//!
//! What must repeat depends on the checker. Loom explores every interleaving (within
//! its bound) in a fixed order, and shuttle runs fixed seeds, so for those rows the
//! verdict, the number of executions, the first failing one, the failure message, the
//! counterexample, the schedule and what the checker saw of the subjects (the vacuity
//! figures) must all be identical; only the seconds may differ.
//! The stress rows run on real threads, so only their verdict is compared: how many
//! iterations a run needs to fail is up to the operating system's scheduler.

use swan_credstore_models::record::{Checker, Record};
use swan_credstore_models::report::text;

/// What of a record must be the same in every run: its row and its reproducible
/// fields (see the module docs).
#[derive(Debug, PartialEq)]
struct Fingerprint {
    outcome: String,
    interleavings: Option<u64>,
    first_failing: Option<u64>,
    message: Option<String>,
    counterexample: Option<String>,
    schedule: Option<String>,
    seen: Option<String>,
}

fn fingerprint(r: &Record) -> Fingerprint {
    let deterministic = r.checker != Checker::Stress;
    Fingerprint {
        outcome: r.outcome.to_string(),
        interleavings: deterministic.then_some(r.interleavings),
        first_failing: if deterministic { r.first_failing } else { None },
        message: if deterministic {
            r.message.clone()
        } else {
            None
        },
        counterexample: deterministic
            .then(|| r.counterexample.as_ref().map(|c| format!("{c:?}")))
            .flatten(),
        schedule: if deterministic {
            r.schedule.clone()
        } else {
            None
        },
        seen: deterministic
            .then(|| r.seen.as_ref().map(|s| s.summary()))
            .flatten(),
    }
}

/// A row's name, as the matrix prints it.
fn row(r: &Record) -> String {
    format!(
        "{} × {} × {} [{}]",
        text::scenario(r),
        text::variant(r),
        r.flow,
        r.checker
    )
}

/// Compares every run with the first: the rows that changed (or that are missing from
/// a run), one line each, naming the run and what differed. Empty when all agree.
pub fn changes(runs: &[Vec<Record>]) -> Vec<String> {
    let Some((first, rest)) = runs.split_first() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (i, run) in rest.iter().enumerate() {
        let n = i + 2;
        if run.len() != first.len() {
            out.push(format!(
                "run {n}: {} rows, run 1: {} rows",
                run.len(),
                first.len()
            ));
        }
        for a in first {
            let Some(b) = run.iter().find(|b| row(b) == row(a)) else {
                out.push(format!("run {n}: {} is missing", row(a)));
                continue;
            };
            let (fa, fb) = (fingerprint(a), fingerprint(b));
            if fa != fb {
                out.push(format!("run {n}: {} changed: {}", row(a), diff(&fa, &fb)));
            }
        }
    }
    out
}

fn diff(a: &Fingerprint, b: &Fingerprint) -> String {
    let mut parts = Vec::new();
    if a.outcome != b.outcome {
        parts.push(format!("outcome {} → {}", a.outcome, b.outcome));
    }
    if a.interleavings != b.interleavings {
        parts.push(format!(
            "executions {:?} → {:?}",
            a.interleavings, b.interleavings
        ));
    }
    if a.first_failing != b.first_failing {
        parts.push(format!(
            "first failing {:?} → {:?}",
            a.first_failing, b.first_failing
        ));
    }
    if a.message != b.message {
        parts.push("message".into());
    }
    if a.counterexample != b.counterexample {
        parts.push("counterexample".into());
    }
    if a.schedule != b.schedule {
        parts.push("schedule".into());
    }
    if a.seen != b.seen {
        parts.push(format!("seen {:?} → {:?}", a.seen, b.seen));
    }
    parts.join(", ")
}

/// The summary line for `runs` runs of `rows` rows with `changed` changes.
pub fn summary(runs: usize, rows: usize, changed: &[String]) -> String {
    if changed.is_empty() {
        format!(
            "repeat: {runs} runs of {rows} rows; every row identical in every run \
             (loom and shuttle: verdict, executions, first failure, message, counterexample, \
             schedule, what it saw; stress: verdict)"
        )
    } else {
        format!(
            "repeat: {runs} runs of {rows} rows; {} change(s):\n{}",
            changed.len(),
            changed.join("\n")
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use swan_credstore_models::record::{Bounds, Flow, Outcome, Scenario, Scope, Variant};

    fn record(checker: Checker, interleavings: u64, outcome: Outcome) -> Record {
        Record {
            scenario: Scenario::ReloadVsLookup,
            scope: Scope::Base,
            variant: Variant::Locked,
            cell: None,
            flow: Flow::PreFix,
            checker,
            expected: Outcome::Pass,
            outcome,
            message: None,
            interleavings,
            first_failing: None,
            seconds: interleavings as f64,
            bounds: Bounds {
                threads: 3,
                operations: String::new(),
                preemption_bound: None,
                exhaustive: true,
                max_iterations: None,
                pct_depth: None,
                seed: None,
            },
            counterexample: None,
            schedule: None,
            witness: None,
            seen: None,
        }
    }

    #[test]
    fn identical_runs_agree_and_seconds_do_not_count() {
        let a = vec![record(Checker::Loom, 36, Outcome::Pass)];
        let mut b = a.clone();
        b[0].seconds = 99.0;
        assert!(changes(&[a.clone(), b, a]).is_empty());
    }

    #[test]
    fn a_changed_count_or_verdict_is_reported_with_its_run() {
        let a = vec![record(Checker::Loom, 36, Outcome::Pass)];
        let b = vec![record(Checker::Loom, 37, Outcome::Pass)];
        let c = vec![record(Checker::Loom, 36, Outcome::Race)];
        let got = changes(&[a, b, c]);
        assert_eq!(got.len(), 2, "{got:?}");
        assert!(got[0]
            .starts_with("run 2: reload_vs_lookup × locked × pre_fix [loom] changed: executions"));
        assert!(got[1].starts_with("run 3: ") && got[1].contains("outcome pass → race"));
        assert!(
            changes(&[vec![record(Checker::Loom, 36, Outcome::Pass)], vec![]])
                .iter()
                .any(|l| l.contains("is missing"))
        );
    }

    #[test]
    fn stress_rows_compare_their_verdict_only() {
        let a = vec![record(Checker::Stress, 1000, Outcome::Pass)];
        let b = vec![record(Checker::Stress, 57, Outcome::Pass)];
        assert!(changes(&[a.clone(), b]).is_empty());
        let c = vec![record(Checker::Stress, 1000, Outcome::Race)];
        assert_eq!(changes(&[a, c]).len(), 1);
    }
}
