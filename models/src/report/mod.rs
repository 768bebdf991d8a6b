//! The design-review report (`notes/results.md`): the verdict matrix, each counterexample
//! as a Mermaid sequence diagram and as a text timeline, what each pass saw, then a
//! separate timings section.
//!
//! Everything above the timings section is a function of the records' deterministic parts
//! (verdicts, bounds, interleaving counts of the exhaustive and seeded checkers,
//! counterexamples), so the same inputs give the same text and a diff of results.md is a
//! review artifact. Wall-clock seconds and the iteration counts of the time-bounded stress
//! checker go to the timings section only. The test suites check that every row line and
//! counterexample block of their build is in the committed file.
//!
//! The report layer, one module per form:
//! * [`text`] — the matrix and timelines as plain text;
//! * [`marks`] — which steps matter and what a row means (by step kind);
//! * [`hb`] — happens-before from the recorded synchronisation, and the racing pair
//!   explained with it;
//! * [`order`] — what ordered the accesses of a pass;
//! * [`mermaid`] — counterexamples as sequence diagrams;
//! * [`side_by_side`] — the model's counterexample beside a forced real run;
//! * [`explorer`] — the matrix and every counterexample as one self-contained page;
//! * [`agreement`] — loom's verdicts beside `shuttle_dfs`'s, row by row;
//! * [`blocks`] — generated blocks spliced into hand-written Markdown.

pub mod agreement;
pub mod blocks;
pub mod explorer;
pub mod hb;
pub mod marks;
pub mod mermaid;
pub mod order;
pub mod side_by_side;
pub mod text;

use crate::record::{Checker, Flow, Outcome, Record, Scenario, Variant};
use std::fmt::Write;

/// The generated block of README.md that shows one counterexample as `verify` prints it.
pub const README_BLOCK: &str = "readme-counterexample";

/// The row README.md shows: the strongSwan design racing the IKE lookup, under loom.
pub const README_EXAMPLE: (Scenario, Variant, Flow, Checker) = (
    Scenario::ReloadVsLookup,
    Variant::InPlace,
    Flow::PreFix,
    Checker::Loom,
);

/// The content of README.md's counterexample block, from the row [`README_EXAMPLE`]
/// of `records` (`None` when it is not there).
pub fn readme_example(records: &[Record]) -> Option<String> {
    let (scenario, variant, flow, checker) = README_EXAMPLE;
    let r = records.iter().find(|r| {
        r.scenario == scenario && r.variant == variant && r.flow == flow && r.checker == checker
    })?;
    Some(format!("```text\n{}```\n", text::timeline(r)))
}

/// Marks the start of the timings section, which the currency tests ignore.
pub const TIMINGS_HEADING: &str = "## Timings (not compared by the tests)";

fn deterministic_counts(r: &Record) -> bool {
    r.checker.deterministic_counts()
}

/// One matrix row of the deterministic section.
pub fn row_line(r: &Record) -> String {
    let counts = |n: String| {
        if deterministic_counts(r) {
            n
        } else {
            "(timings)".to_string()
        }
    };
    format!(
        "| {} | {} | {} | {} | {} | {}{} | {} | {} | {} |",
        r.scenario,
        text::variant(r),
        r.flow,
        r.checker,
        r.expected,
        r.outcome,
        if r.as_expected() { "" } else { " ✗" },
        counts(r.interleavings.to_string()),
        counts(r.first_failing.map_or("-".into(), |n| format!("#{n}"))),
        bounds(r)
    )
}

/// A row's bounds as the matrix states them.
pub(crate) fn bounds(r: &Record) -> String {
    let b = &r.bounds;
    let mut s = text::bounds(r);
    if let Some(d) = b.pct_depth {
        let _ = write!(s, ", PCT depth {d}");
    }
    if let Some(n) = b.max_iterations {
        let _ = write!(s, ", ≤{n} executions");
    }
    if let Some(seed) = b.seed {
        let _ = write!(s, ", seed {seed}");
    }
    s
}

/// Anchor-friendly title of a counterexample.
pub fn title(r: &Record) -> String {
    format!(
        "{} × {} × {} [{}]",
        text::scenario(r),
        text::variant(r),
        r.flow,
        r.checker
    )
}

/// The counterexample block of a failing record: heading, Mermaid diagram, text timeline.
pub fn counterexample_block(r: &Record) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "### {}\n", title(r));
    let _ = writeln!(out, "{}\n", marks::meaning(r));
    if r.steps().is_empty() {
        // Real threads record no steps (the recorder is per OS thread and inactive
        // there): there is nothing to draw, only the finding below.
        out.push_str("No diagram: this checker runs real threads, which record no steps; the finding is in the message below.\n");
    } else {
        out.push_str(&mermaid::mermaid(r));
    }
    out.push_str("\n```text\n");
    let text = text::timeline(r);
    if deterministic_counts(r) {
        out.push_str(&text);
    } else {
        out.push_str(&text.lines().skip(1).collect::<Vec<_>>().join("\n"));
        out.push('\n');
    }
    out.push_str("```\n");
    out
}

/// What ordered a pass's accesses ([`order::explain_pass`]), under its title; `None`
/// for a record without a witness.
pub fn pass_block(r: &Record) -> Option<String> {
    let text = order::explain_pass(r)?;
    Some(format!("### {}\n\n```text\n{text}```\n", title(r)))
}

/// A pass's row of the "What each pass saw" table ([`crate::seen`]); `None` for a
/// record that is no pass (or vacuous pass) of a checker with the recorder on.
pub fn seen_line(r: &Record) -> Option<String> {
    let seen = r.seen.as_ref()?;
    if !matches!(r.outcome, Outcome::Pass | Outcome::Vacuous) {
        return None;
    }
    let window = if seen.swap_executions == 0 {
        "no swap window".to_string()
    } else if seen.window_entered == 0 {
        format!("0 of {} (never entered)", seen.swap_executions)
    } else {
        format!("{} of {}", seen.window_entered, seen.swap_executions)
    };
    Some(format!(
        "| {} | {} | {} | {} | {} | {} | {window} |",
        title(r),
        r.outcome,
        seen.executions,
        seen.tracked_accesses,
        seen.frees,
        seen.orders
    ))
}

fn seen_section(records: &[Record]) -> String {
    let lines: Vec<String> = records.iter().filter_map(seen_line).collect();
    if lines.is_empty() {
        return String::new();
    }
    let mut out = String::from(
        "## What each pass saw\n\n\
         A pass is worth what the checker saw ([seen.rs](../models/src/seen.rs)). Over every \
         execution it explored: the tracked accesses a subject cell could make (facade cell \
         accesses, atomics, acquires of the cell's own locks), the identities and snapshots \
         freed while the threads ran, the distinct orders of the threads' subject steps, and \
         in how many executions with a swap window (one thread's free and store of a \
         subject as two steps) another thread's subject step fell inside it. A pass with no \
         tracked access would read `vacuous`; a window never entered is marked. Real threads \
         (stress) record no steps.\n\n\
         | row | outcome | executions | tracked accesses | frees | distinct orders | swap window entered |\n\
         |---|---|---|---|---|---|---|\n",
    );
    for l in lines {
        out.push_str(&l);
        out.push('\n');
    }
    out.push('\n');
    out
}

fn passes_section(records: &[Record]) -> String {
    let blocks: Vec<String> = records.iter().filter_map(pass_block).collect();
    if blocks.is_empty() {
        return String::new();
    }
    let mut out = String::from(
        "## What ordered the passes\n\n\
         For each pass of loom and seeded shuttle, one interleaving it explored: the first in \
         which a thread read an object another running thread made, published or freed (if \
         none did, the last). Every such pair, and every pair of accesses to one tracked cell by \
         two threads (one a write), grouped by the lock, spawn or join edge that orders it \
         ([order.rs](../models/src/report/order.rs)).\n\n",
    );
    for b in blocks {
        out.push_str(&b);
        out.push('\n');
    }
    out
}

/// The whole report of the matrix's `records`. `ladder` is the scope ladder's half of the
/// cross-check of loom and `shuttle_dfs` (its rows appear in that table and in the
/// timings only); `extra` is appended after the counterexamples (for example a link to
/// the growth plot). The timings section lists every record's seconds and executions.
pub fn results_md(records: &[Record], ladder: &agreement::Ladder, extra: &str) -> String {
    let mut out = String::new();
    out.push_str("# Results\n\n");
    out.push_str(
        "Generated by `cargo xtask report` from the same checkers as `cargo xtask verify`. \
         Do not edit by hand: the test suites check that every row and counterexample below \
         is what the checkers compute now (timings excepted).\n\n",
    );
    let bad = records.iter().filter(|r| !r.as_expected()).count();
    let _ = writeln!(
        out,
        "{} rows, {} as expected{}.\n",
        records.len(),
        records.len() - bad,
        if bad > 0 {
            format!(", {bad} MISMATCHED (marked ✗)")
        } else {
            String::new()
        }
    );
    out.push_str("## Verdict matrix\n\n");
    out.push_str(
        "| scenario | variant | flow | checker | expected | outcome | interleavings / executions | first failure | bounds |\n",
    );
    out.push_str("|---|---|---|---|---|---|---|---|---|\n");
    for r in records {
        out.push_str(&row_line(r));
        out.push('\n');
    }
    out.push_str("\n## Counterexamples\n\n");
    for r in records
        .iter()
        .filter(|r| r.counterexample.is_some() && r.outcome != Outcome::Pass)
    {
        out.push_str(&counterexample_block(r));
        out.push('\n');
    }
    out.push_str(&agreement::section(records, ladder));
    out.push_str(&seen_section(records));
    out.push_str(&passes_section(records));
    out.push_str(extra);
    let _ = writeln!(out, "\n{TIMINGS_HEADING}\n");
    out.push_str("| row | seconds | interleavings / executions |\n|---|---|---|\n");
    for r in records.iter().chain(&ladder.dfs) {
        let _ = writeln!(
            out,
            "| {} | {:.2} | {} |",
            title(r),
            r.seconds,
            r.interleavings
        );
    }
    out
}

/// Checks that every row line and counterexample block of `records` appears in the
/// deterministic part of `committed`; returns what is missing.
pub fn missing_from(committed: &str, records: &[Record]) -> Vec<String> {
    let deterministic = committed.split(TIMINGS_HEADING).next().unwrap_or("");
    let mut missing = Vec::new();
    for r in records {
        if !deterministic.contains(&row_line(r)) {
            missing.push(format!("row: {}", row_line(r)));
        }
        if r.counterexample.is_some()
            && r.outcome != Outcome::Pass
            && !deterministic.contains(&counterexample_block(r))
        {
            missing.push(format!("counterexample: {}", title(r)));
        }
        if seen_line(r).is_some_and(|l| !deterministic.contains(&l)) {
            missing.push(format!("seen: {}", title(r)));
        }
        if pass_block(r).is_some_and(|b| !deterministic.contains(&b)) {
            missing.push(format!("pass: {}", title(r)));
        }
    }
    missing
}

/// A bare step for the report's unit tests: `op<seq>`, no object, accesses or events.
#[cfg(test)]
pub(crate) fn test_step(
    seq: usize,
    thread: &str,
    kind: crate::record::StepKind,
) -> crate::record::StepRecord {
    crate::record::StepRecord {
        seq,
        thread: thread.to_string(),
        kind,
        op: format!("op{seq}"),
        object: None,
        detail: String::new(),
        at: None,
        accesses: vec![],
        syncs: vec![],
    }
}
