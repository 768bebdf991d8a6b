//! The design-review report (`notes/results.md`): the verdict matrix, each counterexample
//! as a Mermaid sequence diagram and as a text timeline, then a separate timings section.
//!
//! Everything above the timings section is a function of the records' deterministic parts
//! (verdicts, bounds, interleaving counts of the exhaustive and seeded checkers,
//! counterexamples), so the same inputs give the same text and a diff of results.md is a
//! review artifact. Wall-clock seconds and the iteration counts of the time-bounded stress
//! checker go to the timings section only. The test suites check that every row line and
//! counterexample block of their build is in the committed file.

use crate::record::{Outcome, Record, StepRecord};
use crate::render;
use std::fmt::Write;

/// Marks the start of the timings section, which the currency tests ignore.
pub const TIMINGS_HEADING: &str = "## Timings (not compared by the tests)";

/// Whether a record's iteration count is deterministic (loom and seeded shuttle runs are;
/// the time-bounded stress runs are not).
fn deterministic_counts(r: &Record) -> bool {
    r.checker != "stress"
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
        r.variant,
        r.flow,
        r.checker,
        r.expected.name(),
        r.outcome.name(),
        if r.as_expected() { "" } else { " ✗" },
        counts(r.interleavings.to_string()),
        counts(r.first_failing.map_or("-".into(), |n| format!("#{n}"))),
        bounds(r)
    )
}

fn bounds(r: &Record) -> String {
    let b = &r.bounds;
    let mut s = render::bounds(r);
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
        r.scenario, r.variant, r.flow, r.checker
    )
}

/// Text safe inside a Mermaid message: `;` ends a statement there, so it becomes `,`
/// first; then `#` becomes Mermaid's entity `#35;` (the other order would turn that
/// entity's own `;` into `,` and show `cert#35,4`).
fn mermaid_text(s: &str) -> String {
    s.replace(';', ",").replace('#', "#35;").replace('\n', " ")
}

fn participant(name: &str) -> String {
    name.replace('-', "_")
}

/// A counterexample as a Mermaid sequence diagram: model threads are participants, each
/// step is a message from the thread to itself, the flagged steps (the free and the read
/// of the freed identity, or the racing pair) are highlighted with a note.
pub fn mermaid(r: &Record) -> String {
    let steps: &[StepRecord] = r.counterexample.as_deref().unwrap_or(&[]);
    let flagged = render::flagged(r);
    let shown = render::shown_steps(r);
    let mut out = String::from("```mermaid\nsequenceDiagram\n");
    let mut threads: Vec<&str> = Vec::new();
    for s in steps {
        if !threads.contains(&s.thread.as_str()) {
            threads.push(&s.thread);
        }
    }
    for t in &threads {
        let _ = writeln!(out, "    participant {} as {}", participant(t), t);
    }
    let mut skipped = 0;
    for s in steps.iter().filter(|s| s.op != "spawn") {
        if !shown.contains(&s.seq) {
            skipped += 1;
            continue;
        }
        let p = participant(&s.thread);
        if skipped > 0 {
            let _ = writeln!(out, "    Note over {p}: … {skipped} steps omitted");
            skipped = 0;
        }
        let text = mermaid_text(&format!("{}. {}: {}", s.seq, s.op, s.detail));
        if flagged.contains(&s.seq) {
            let mark =
                if s.op.contains("destroy") || s.op.contains("free") || s.op.contains("store") {
                    "FREE / WRITE"
                } else if s.op == "USE-AFTER-FREE" {
                    "USE AFTER FREE"
                } else {
                    "READ"
                };
            let _ = writeln!(out, "    rect rgb(255, 215, 215)");
            let _ = writeln!(out, "    {p}->>{p}: {text}");
            let _ = writeln!(out, "    Note right of {p}: {mark}");
            let _ = writeln!(out, "    end");
        } else {
            let _ = writeln!(out, "    {p}->>{p}: {text}");
        }
    }
    out.push_str("```\n");
    out
}

/// The counterexample block of a failing record: heading, Mermaid diagram, text timeline.
pub fn counterexample_block(r: &Record) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "### {}\n", title(r));
    let _ = writeln!(out, "{}\n", render::meaning(r));
    if r.counterexample.as_deref().unwrap_or(&[]).is_empty() {
        // Real threads record no steps (the recorder is per OS thread and inactive
        // there): there is nothing to draw, only the finding below.
        out.push_str("No diagram: this checker runs real threads, which record no steps; the finding is in the message below.\n");
    } else {
        out.push_str(&mermaid(r));
    }
    out.push_str("\n```text\n");
    let text = render::timeline(r);
    if deterministic_counts(r) {
        out.push_str(&text);
    } else {
        out.push_str(&text.lines().skip(1).collect::<Vec<_>>().join("\n"));
        out.push('\n');
    }
    out.push_str("```\n");
    out
}

/// The whole report. `extra` is appended after the counterexamples (for example a link to
/// the growth plot); `timings` lists (row title, seconds, executions) in the timings
/// section.
pub fn results_md(records: &[Record], extra: &str) -> String {
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
    out.push_str(extra);
    let _ = writeln!(out, "\n{TIMINGS_HEADING}\n");
    out.push_str("| row | seconds | interleavings / executions |\n|---|---|---|\n");
    for r in records {
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
    }
    missing
}

#[cfg(test)]
mod mermaid_tests {
    use super::mermaid_text;

    #[test]
    fn mermaid_text_keeps_hash_entities() {
        assert_eq!(mermaid_text("cert#4; id#5"), "cert#35;4, id#35;5");
    }
}
