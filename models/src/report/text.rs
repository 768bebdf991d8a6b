//! Text rendering of verdict records: the matrix, and each counterexample as a
//! timeline a reviewer can read without knowing loom.

use super::marks::{flagged, meaning, name_threads, thread_names};
use crate::record::{Record, StepKind};
use std::fmt::Write;

/// The columns of the verdict matrix's fixed-width table ([`matrix`]).
pub const MATRIX_HEADER: [&str; 10] = [
    "scenario",
    "variant",
    "flow",
    "checker",
    "expected",
    "outcome",
    "interleavings",
    "first fail",
    "seconds",
    "bounds",
];

/// The verdict matrix as a fixed-width table.
pub fn matrix(records: &[Record]) -> String {
    let mut out = String::new();
    let header = MATRIX_HEADER;
    let rows: Vec<[String; 10]> = records
        .iter()
        .map(|r| {
            let outcome = if r.as_expected() {
                r.outcome.to_string()
            } else {
                format!("{} ✗ MISMATCH", r.outcome)
            };
            [
                scenario(r),
                variant(r),
                r.flow.to_string(),
                r.checker.to_string(),
                r.expected.to_string(),
                outcome,
                r.interleavings.to_string(),
                r.first_failing.map_or("-".into(), |n| format!("#{n}")),
                format!("{:.2}", r.seconds),
                bounds(r),
            ]
        })
        .collect();
    let mut widths = header.map(str::len);
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: &[String]| {
        let mut s = String::new();
        for (i, (c, w)) in cells.iter().zip(widths).enumerate() {
            let pad = w - c.chars().count();
            if i + 1 == cells.len() {
                s.push_str(c);
            } else {
                let _ = write!(s, "{c}{}  ", " ".repeat(pad));
            }
        }
        s.trim_end().to_string() + "\n"
    };
    out.push_str(&line(&header.map(String::from)));
    out.push_str(&line(&widths.map(|w| "-".repeat(w))));
    for row in &rows {
        out.push_str(&line(row));
    }
    out
}

/// The scenario column: the scenario, and its rung of the scope ladder unless it is the
/// matrix's own (`reload_vs_lookup @two_keys`).
pub fn scenario(r: &Record) -> String {
    if r.scope.is_base() {
        r.scenario.to_string()
    } else {
        format!("{} @{}", r.scenario, r.scope)
    }
}

/// The variant column: the design, or a custom cell's own name.
pub fn variant(r: &Record) -> String {
    match &r.cell {
        Some(cell) => format!("{} ({cell})", r.variant),
        None => r.variant.to_string(),
    }
}

/// The bounds column: threads, preemption bound, whether exhaustive.
pub fn bounds(r: &Record) -> String {
    let pb = r
        .bounds
        .preemption_bound
        .map_or("unbounded".to_string(), |b| format!("≤{b} preemptions"));
    format!(
        "{} threads, {pb}{}",
        r.bounds.threads,
        if r.bounds.exhaustive {
            ", exhaustive"
        } else {
            ""
        }
    )
}

/// Timelines longer than this are shortened when printed.
const TIMELINE_MAX: usize = 80;
/// Steps shown before each flagged step of a shortened timeline.
const CONTEXT: usize = 6;
/// Steps shown at the end of a shortened timeline.
const TAIL: usize = 20;

/// The steps a printed timeline shows. Long timelines (shuttle's storm runs thousands of
/// steps) keep the flagged steps with a little context, and the tail; the whole timeline
/// is in the JSON record.
pub fn shown_steps(r: &Record) -> Vec<usize> {
    let steps = r.counterexample.as_deref().unwrap_or(&[]);
    let flagged = flagged(r);
    steps
        .iter()
        .map(|s| s.seq)
        .filter(|&seq| {
            steps.len() <= TIMELINE_MAX
                || seq + TAIL > steps.len()
                || flagged.iter().any(|f| seq + CONTEXT >= *f && seq <= *f)
        })
        .collect()
}

/// A counterexample as a readable timeline.
pub fn timeline(r: &Record) -> String {
    let mut out = String::new();
    let steps = r.counterexample.as_deref().unwrap_or(&[]);
    let names = thread_names(steps);
    let _ = writeln!(
        out,
        "── {} × {} × {} [{}]: {} (expected {}), interleaving #{} ──",
        scenario(r),
        variant(r),
        r.flow,
        r.checker,
        r.outcome,
        r.expected,
        r.first_failing.unwrap_or(0)
    );
    let _ = writeln!(out, "   {}", meaning(r));
    if let Some(msg) = &r.message {
        for line in name_threads(msg, &names)
            .lines()
            .filter(|l| !l.trim().is_empty())
        {
            let _ = writeln!(out, "   | {}", line.trim_end());
        }
    }
    if let Some(schedule) = &r.schedule {
        let short: String = schedule.chars().take(60).collect();
        let _ = writeln!(
            out,
            "   replay: cargo xtask replay {} {} {}{} --flow {}{}",
            r.scenario,
            r.variant,
            short,
            if schedule.len() > 60 {
                "…(full schedule in --json)"
            } else {
                ""
            },
            r.flow,
            if r.scope.is_base() {
                String::new()
            } else {
                format!(" --scope {}", r.scope)
            }
        );
    }
    let flagged = flagged(r);
    let width = names.iter().map(String::len).max().unwrap_or(4);
    let shown = shown_steps(r);
    let mut skipped = 0;
    for s in steps.iter().filter(|s| s.kind != StepKind::Spawn) {
        if !shown.contains(&s.seq) {
            skipped += 1;
            continue;
        }
        if skipped > 0 {
            let _ = writeln!(
                out,
                "        … {skipped} steps omitted (all of them: --json)"
            );
            skipped = 0;
        }
        let mark = if flagged.contains(&s.seq) { ">>" } else { "  " };
        let _ = writeln!(
            out,
            " {mark}{:>4}  {:<width$}  {}: {}",
            s.seq, s.thread, s.op, s.detail
        );
    }
    if let Some(pair) = super::marks::racing_pair(r) {
        let hb = super::hb::HappensBefore::of(steps);
        for line in super::hb::explain(steps, &hb, pair).lines() {
            let _ = writeln!(out, "   {line}");
        }
    }
    for line in super::side_by_side::held(steps).unwrap_or_default().lines() {
        let _ = writeln!(out, "   {line}");
    }
    out
}
