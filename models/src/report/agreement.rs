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

use crate::record::{Checker, Flow, Outcome, Record, Scenario, Variant};
use std::fmt::Write;

/// One loom row's verdict, as the matrix of `notes/results.md` states it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoomVerdict {
    /// Scenario.
    pub scenario: Scenario,
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
                variant: variant.parse().ok()?,
                flow: flow.parse().ok()?,
                outcome: outcome.trim_end_matches(" ✗").parse().ok()?,
                interleavings: interleavings.to_string(),
                bounds: bounds.to_string(),
            })
        })
        .collect()
}

fn loom_for<'a>(loom: &'a [LoomVerdict], r: &Record) -> Option<&'a LoomVerdict> {
    loom.iter()
        .find(|l| l.scenario == r.scenario && l.variant == r.variant && l.flow == r.flow)
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
        .filter_map(|r| match loom_for(loom, r) {
            None => Some(format!("{}: no loom row to compare with", super::title(r))),
            Some(l) if l.outcome != r.outcome => Some(format!(
                "{}: loom says {}, shuttle_dfs says {} ({} schedules, {})",
                super::title(r),
                l.outcome,
                r.outcome,
                r.interleavings,
                super::bounds(r)
            )),
            Some(_) => None,
        })
        .collect()
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
        r.scenario,
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

/// The loom verdict on `r`'s row, if `loom` has one.
pub fn loom_verdict<'a>(loom: &'a [LoomVerdict], r: &Record) -> Option<&'a LoomVerdict> {
    loom_for(loom, r)
}

/// The cross-check section of results.md: every `shuttle_dfs` row beside loom's row, and
/// the agreement counted. Empty when `records` hold no `shuttle_dfs` row.
pub fn section(records: &[Record]) -> String {
    let loom: Vec<LoomVerdict> = records
        .iter()
        .filter(|r| r.checker == Checker::Loom && r.scope.is_base())
        .map(|r| LoomVerdict {
            scenario: r.scenario,
            variant: r.variant,
            flow: r.flow,
            outcome: r.outcome,
            interleavings: r.interleavings.to_string(),
            bounds: super::bounds(r),
        })
        .collect();
    let dfs: Vec<&Record> = records
        .iter()
        .filter(|r| r.checker == Checker::ShuttleDfs)
        .collect();
    if dfs.is_empty() {
        return String::new();
    }
    let owned: Vec<Record> = dfs.iter().map(|r| (*r).clone()).collect();
    let bad = disagreements(&loom, &owned);
    let agree = dfs
        .iter()
        .filter(|r| comparable(r) && loom_for(&loom, r).is_some_and(|l| l.outcome == r.outcome))
        .count();
    let unfinished = dfs.iter().filter(|r| !comparable(r)).count();
    let mut out = String::from("## Cross-check: loom and shuttle_dfs\n\n");
    let _ = writeln!(
        out,
        "Two exhaustive checkers on the same scenarios: loom (partial-order reduction, \
         races as accesses unordered by happens-before) and `shuttle_dfs` (this project's \
         depth-first scheduler on shuttle's runtime, no reduction, races as reads the \
         use-after-free oracle sees; [dfs.rs](../models/src/dfs.rs)). **{agree} of {} rows \
         agree, {} disagree, {unfinished} unfinished.** The epoch rows are loom's alone \
         (crossbeam-epoch keeps global state across executions, which a depth-first \
         search cannot replay).\n",
        dfs.len(),
        bad.len()
    );
    out.push_str(
        "| scenario | variant | flow | loom | loom interleavings | loom bounds | shuttle_dfs | schedules | shuttle_dfs bounds | agree |\n\
         |---|---|---|---|---|---|---|---|---|---|\n",
    );
    for r in &dfs {
        out.push_str(&line(loom_for(&loom, r), r));
        out.push('\n');
    }
    out.push('\n');
    out
}
