//! The cross-check of the two exhaustive checkers: loom's verdict beside `shuttle_dfs`'s,
//! row by row.
//!
//! loom explores interleavings with dynamic partial-order reduction and reports a race
//! when two accesses are unordered by happens-before; `shuttle_dfs` (`models/src/dfs.rs`, shuttle build)
//! enumerates schedules depth-first on shuttle's runtime, with no reduction, and reports
//! a race only when the use-after-free oracle sees a read of a freed identity. Two
//! different algorithms on two different runtimes: where one says `race` and the other
//! `pass` on the same row, one of them is wrong. [`disagreements`] lists every such row;
//! the shuttle tests fail on any, and the report prints the table ([`section`]).
//!
//! A `shuttle_dfs` row that stopped at its budget before it ran out of schedules is
//! compared only when it found a failure (a failure needs no more schedules); a pass that
//! did not finish is listed as unfinished, never as agreement.
//!
//! The matrix's loom verdicts come from the matrix's own records (or, in the tests, from
//! the committed results.md: [`loom_verdicts`]); the scope ladder's from loom's ladder
//! record, `tests/data/records/ladder.json` ([`ladder_verdicts`]), which
//! `cargo xtask bench-checkers --ladder` measures and xtask's tests keep consistent with
//! the plan.

use crate::record::{Checker, Flow, Outcome, Record, Scenario, Scope, Variant};
use serde::Deserialize;
use std::fmt::Write;

/// One loom row's verdict, as the matrix of `notes/results.md` states it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoomVerdict {
    /// Scenario.
    pub scenario: Scenario,
    /// Rung of the scope ladder ([`Scope::Base`]: the verdict matrix).
    pub scope: Scope,
    /// Design.
    pub variant: Variant,
    /// Flow.
    pub flow: Flow,
    /// loom's outcome.
    pub outcome: Outcome,
    /// Interleavings loom explored.
    pub interleavings: String,
    /// loom's bounds, as the matrix states them.
    pub bounds: String,
}

/// The loom rows of a results.md verdict matrix (the lines [`super::row_line`] writes).
/// Lines that are no loom row of a matrix design are skipped.
pub fn loom_verdicts(results_md: &str) -> Vec<LoomVerdict> {
    results_md
        .lines()
        .filter_map(|line| {
            let cells: Vec<&str> = line.trim().trim_matches('|').split('|').map(str::trim).collect();
            let [scenario, variant, flow, checker, _expected, outcome, interleavings, _first, bounds] =
                cells[..]
            else {
                return None;
            };
            if checker.parse::<Checker>().ok()? != Checker::Loom {
                return None;
            }
            Some(LoomVerdict {
                scenario: scenario.parse().ok()?,
                scope: Scope::Base,
                variant: variant.parse().ok()?,
                flow: flow.parse().ok()?,
                outcome: outcome.trim_end_matches(" ✗").parse().ok()?,
                interleavings: interleavings.to_string(),
                bounds: bounds.to_string(),
            })
        })
        .collect()
}

/// One row of loom's ladder record (the fields the cross-check reads).
#[derive(Deserialize)]
struct Rung {
    scope: Scope,
    scenario: Scenario,
    variant: Variant,
    flow: Flow,
    outcome: Outcome,
    bound: Option<usize>,
    interleavings: u64,
    capped: bool,
}

#[derive(Deserialize)]
struct LadderRecord {
    rows: Vec<Rung>,
}

/// loom's verdicts on the scope ladder's rows above the matrix, from its ladder record
/// (`tests/data/records/ladder.json`). An error names what in the text is not a record.
pub fn ladder_verdicts(ladder_json: &str) -> Result<Vec<LoomVerdict>, serde_json::Error> {
    let record: LadderRecord = serde_json::from_str(ladder_json)?;
    Ok(record
        .rows
        .into_iter()
        .filter(|r| !r.scope.is_base())
        .map(|r| LoomVerdict {
            scenario: r.scenario,
            scope: r.scope,
            variant: r.variant,
            flow: r.flow,
            outcome: r.outcome,
            interleavings: r.interleavings.to_string(),
            bounds: match (r.bound, r.capped) {
                (_, true) => "stopped at the cap".to_string(),
                (None, false) => "unbounded, exhaustive".to_string(),
                (Some(b), false) => format!("≤{b} preemptions, exhaustive"),
            },
        })
        .collect())
}

/// The loom verdict on `r`'s row (same rung, scenario, design and flow), if `loom` has
/// one.
pub fn loom_verdict<'a>(loom: &'a [LoomVerdict], r: &Record) -> Option<&'a LoomVerdict> {
    loom.iter().find(|l| {
        (l.scope, l.scenario, l.variant, l.flow) == (r.scope, r.scenario, r.variant, r.flow)
    })
}

/// Whether a `shuttle_dfs` record's verdict can be compared: it finished, or it failed.
pub fn comparable(r: &Record) -> bool {
    r.bounds.exhaustive || !matches!(r.outcome, Outcome::Pass)
}

/// Every `shuttle_dfs` record of `dfs` whose verdict differs from loom's on the same
/// row, or that has no loom row to compare with, as one line each. Unfinished passes
/// ([`comparable`]) are not listed here: [`section`] shows them.
pub fn disagreements(loom: &[LoomVerdict], dfs: &[Record]) -> Vec<String> {
    dfs.iter()
        .filter(|r| r.checker == Checker::ShuttleDfs && comparable(r))
        .filter_map(|r| match loom_verdict(loom, r) {
            None => Some(format!("{}: no loom row to compare with", row_name(r))),
            Some(l) if l.outcome != r.outcome => Some(format!(
                "{}: loom says {}, shuttle_dfs says {} ({} schedules, {})",
                row_name(r),
                l.outcome,
                r.outcome,
                r.interleavings,
                super::bounds(r)
            )),
            Some(_) => None,
        })
        .collect()
}

/// A row's name in a disagreement: scenario (and rung), design, flow.
fn row_name(r: &Record) -> String {
    format!("{} × {} × {}", super::text::scenario(r), r.variant, r.flow)
}

/// One row of the cross-check table: a `shuttle_dfs` record beside loom's verdict on the
/// same row (`None`: loom has none).
pub fn line(l: Option<&LoomVerdict>, r: &Record) -> String {
    let verdict = match l {
        _ if !comparable(r) => "unfinished",
        Some(l) if l.outcome == r.outcome => "yes",
        _ => "**NO**",
    };
    format!(
        "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {verdict} |",
        super::text::scenario(r),
        r.variant,
        r.flow,
        l.map_or("-".to_string(), |l| l.outcome.to_string()),
        l.map_or("-", |l| l.interleavings.as_str()),
        l.map_or("-", |l| l.bounds.as_str()),
        r.outcome,
        r.interleavings,
        super::bounds(r),
    )
}

/// The scope ladder's half of the cross-check: loom's verdicts from its ladder record
/// ([`ladder_verdicts`]) and the `shuttle_dfs` rows of the rungs above the matrix.
#[derive(Clone, Debug, Default)]
pub struct Ladder {
    /// loom's ladder verdicts.
    pub loom: Vec<LoomVerdict>,
    /// The `shuttle_dfs` ladder records.
    pub dfs: Vec<Record>,
}

/// The cross-check section of results.md: every `shuttle_dfs` row of the matrix beside
/// loom's row (loom's verdicts from `records`), then every `shuttle_dfs` row of the
/// ladder beside loom's ladder record, each table with its agreement counted. Empty when
/// neither holds a `shuttle_dfs` row.
pub fn section(records: &[Record], ladder: &Ladder) -> String {
    let loom: Vec<LoomVerdict> = records
        .iter()
        .filter(|r| r.checker == Checker::Loom && r.scope.is_base())
        .map(|r| LoomVerdict {
            scenario: r.scenario,
            scope: r.scope,
            variant: r.variant,
            flow: r.flow,
            outcome: r.outcome,
            interleavings: r.interleavings.to_string(),
            bounds: super::bounds(r),
        })
        .collect();
    let dfs: Vec<Record> = records
        .iter()
        .filter(|r| r.checker == Checker::ShuttleDfs)
        .cloned()
        .collect();
    if dfs.is_empty() && ladder.dfs.is_empty() {
        return String::new();
    }
    let mut out = String::from("## Cross-check: loom and shuttle_dfs\n\n");
    out.push_str(
        "Two exhaustive checkers on the same scenarios: loom (partial-order reduction, \
         races as accesses unordered by happens-before) and `shuttle_dfs` (this project's \
         depth-first scheduler on shuttle's runtime, no reduction, races as reads the \
         use-after-free oracle sees; [dfs.rs](../models/src/dfs.rs)). The epoch rows are \
         loom's alone (crossbeam-epoch keeps global state across executions, which a \
         depth-first search cannot replay).\n\n",
    );
    table(&mut out, "The verdict matrix", &loom, &dfs);
    table(
        &mut out,
        "The scope ladder (loom's verdicts from its record, `tests/data/records/ladder.json`)",
        &ladder.loom,
        &ladder.dfs,
    );
    out
}

/// One cross-check table, headed by its agreement count (nothing when `dfs` is empty).
fn table(out: &mut String, heading: &str, loom: &[LoomVerdict], dfs: &[Record]) {
    if dfs.is_empty() {
        return;
    }
    let bad = disagreements(loom, dfs).len();
    let agree = dfs
        .iter()
        .filter(|r| comparable(r) && loom_verdict(loom, r).is_some_and(|l| l.outcome == r.outcome))
        .count();
    let unfinished = dfs.iter().filter(|r| !comparable(r)).count();
    let _ = writeln!(
        out,
        "### {heading}\n\n**{agree} of {} rows agree, {bad} disagree, {unfinished} unfinished.**\n",
        dfs.len()
    );
    out.push_str(
        "| scenario | variant | flow | loom | loom interleavings | loom bounds | shuttle_dfs | schedules | shuttle_dfs bounds | agree |\n\
         |---|---|---|---|---|---|---|---|---|---|\n",
    );
    for r in dfs {
        out.push_str(&line(loom_verdict(loom, r), r));
        out.push('\n');
    }
    out.push('\n');
}
