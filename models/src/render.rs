//! Text rendering of verdict records: the matrix, and each counterexample as a
//! timeline a reviewer can read without knowing loom.

use crate::record::{Outcome, Record, StepRecord};
use std::fmt::Write;

/// The verdict matrix as a fixed-width table.
pub fn matrix(records: &[Record]) -> String {
    let mut out = String::new();
    let header = [
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
    let rows: Vec<[String; 10]> = records
        .iter()
        .map(|r| {
            let outcome = if r.as_expected() {
                r.outcome.name().to_string()
            } else {
                format!("{} ✗ MISMATCH", r.outcome.name())
            };
            [
                r.scenario.clone(),
                r.variant.clone(),
                r.flow.clone(),
                r.checker.clone(),
                r.expected.name().to_string(),
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

/// Names of the model threads in spawn order: loom's `thread #0` is the model's main
/// thread, `thread #N` the N-th spawned one.
pub fn thread_names(steps: &[StepRecord]) -> Vec<String> {
    std::iter::once("main".to_string())
        .chain(
            steps
                .iter()
                .filter(|s| s.op == "spawn")
                .map(|s| s.detail.clone()),
        )
        .collect()
}

/// Replaces loom's `thread #N` with the model thread's name.
pub fn name_threads(message: &str, names: &[String]) -> String {
    let mut out = message.to_string();
    for (i, name) in names.iter().enumerate().rev() {
        out = out.replace(&format!("thread #{i} "), &format!("thread #{i} ({name}) "));
    }
    out
}

/// The steps a reviewer should look at: for a loom causality violation, the last step of
/// each thread the report names; for the oracle, the use-after-free step; for other
/// failures, the last step.
pub fn flagged(r: &Record) -> Vec<usize> {
    let steps = r.counterexample.as_deref().unwrap_or(&[]);
    let names = thread_names(steps);
    let msg = r.message.as_deref().unwrap_or("");
    let mut out: Vec<usize> = Vec::new();
    if r.checker == "real_replay" && r.outcome == Outcome::Pass {
        // What the pass rests on: every subject load of the reader, each checked live.
        out.extend(
            steps
                .iter()
                .filter(|s| s.op == "load subject pointer")
                .map(|s| s.seq),
        );
        return out;
    }
    if r.checker == "real_replay" && r.outcome == Outcome::Race {
        // The forced pair: the writer's free of the old identity, the reader's load of
        // the freed address and its read of the freed block.
        out.extend(
            steps
                .iter()
                .filter(|s| {
                    s.op == "set_subject: destroy old subject"
                        || s.op == "load subject pointer"
                        || s.op == "read of the freed identity"
                })
                .map(|s| s.seq),
        );
        return out;
    }
    if msg.contains("Causality violation") {
        for (i, name) in names.iter().enumerate() {
            if msg.contains(&format!("thread #{i} ")) {
                if let Some(s) = steps.iter().rev().find(|s| &s.thread == name) {
                    out.push(s.seq);
                }
            }
        }
    }
    if let Some(uaf) = steps.iter().find(|s| s.op == "USE-AFTER-FREE") {
        // The read of the freed identity, and the step that freed it.
        let id = uaf.detail.split_whitespace().next().unwrap_or("");
        if let Some(free) = steps.iter().find(|s| {
            s.seq < uaf.seq
                && (s.op.contains("destroy old") || s.op.contains("free old"))
                && s.detail.contains(&format!("{id} "))
        }) {
            out.push(free.seq);
        }
        out.extend(
            steps
                .iter()
                .rev()
                .find(|s| s.seq < uaf.seq && s.thread == uaf.thread)
                .map(|s| s.seq),
        );
        out.push(uaf.seq);
    }
    if r.outcome == Outcome::Duplicates {
        // Where each equal object entered the store, and where the reloaded config was
        // dropped while the store kept its object.
        out.extend(
            steps
                .iter()
                .filter(|s| s.op == "add_cert_ref: store new" || s.detail.ends_with("Unchanged"))
                .map(|s| s.seq),
        );
    }
    if out.is_empty() {
        out.extend(steps.last().map(|s| s.seq));
    }
    out
}

/// One sentence saying what the failure means for strongSwan.
pub fn meaning(r: &Record) -> &'static str {
    let msg = r.message.as_deref().unwrap_or("");
    match r.outcome {
        Outcome::Race if r.checker == "real_replay" => {
            "gdb held charon's reloading thread inside set_subject after it freed the old identity \
             and before it stored the new pointer; the reader thread (list-certs or IKE_AUTH's \
             lookup) loaded the freed address from the shared cert and read the freed block (a \
             use-after-free in stock charon)"
        }
        Outcome::Pass if r.checker == "real_replay" => {
            "gdb held charon's reloading thread after the store's add_cert_ref; every identity the \
             reader thread (list-certs or IKE_AUTH's lookup) loaded was live"
        }
        Outcome::Race if r.checker == "real_helgrind" => {
            "helgrind reported a write of the subject pointer in set_subject and a read of it from \
             list-certs that no lock it saw orders (a data race on the pointer; helgrind does not \
             report the free, so this row alone shows no dereference of a freed identity)"
        }
        Outcome::Race if msg.contains("Causality violation") => {
            "loom found two accesses to the same subject, one a write, that no lock or atomic orders: \
             on a real machine they can overlap, so the reader can dereference an identity that \
             set_subject is freeing or has freed (a use-after-free in charon)"
        }
        Outcome::Race if msg.contains("use-after-free") => {
            "a reader dereferenced an identity after set_subject had freed it (a use-after-free in charon)"
        }
        Outcome::Race => "a reader observed a subject that was never stored (a torn read)",
        Outcome::Duplicates => {
            "the store holds equal certificate objects more than once: the leak, one more object per \
             key per reload, hidden from list-certs because it merges equal entries"
        }
        Outcome::Leak => "an object was still allocated when the scenario ended",
        Outcome::Pass | Outcome::NotRun => "",
        Outcome::Error => "the run failed for a reason the project does not expect (see message)",
    }
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
        r.scenario,
        r.variant,
        r.flow,
        r.checker,
        r.outcome.name(),
        r.expected.name(),
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
            "   replay: cargo xtask replay {} {} {}{} --flow {}",
            r.scenario,
            r.variant,
            short,
            if schedule.len() > 60 {
                "…(full schedule in --json)"
            } else {
                ""
            },
            r.flow
        );
    }
    let flagged = flagged(r);
    let width = names.iter().map(String::len).max().unwrap_or(4);
    let shown = shown_steps(r);
    let mut skipped = 0;
    for s in steps.iter().filter(|s| s.op != "spawn") {
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
    out
}

/// The phases of the subject race, in the vocabulary both the model's timeline and the
/// forced real run use for their steps.
const PHASES: [(&str, &[&str]); 5] = [
    ("wrap", &["wrap raw key"]),
    ("add_cert_ref", &["add_cert_ref: store new"]),
    ("set_subject destroy", &["set_subject: destroy old subject"]),
    ("reader load", &["load subject pointer"]),
    (
        "reader read",
        &[
            "read of the freed identity",
            "equals: read subject",
            "has_subject: read subject",
        ],
    ),
];

/// A Markdown table putting the model's counterexample (`model`, a loom row of
/// `reload_vs_list_certs × in_place × pre_fix`) beside the forced real run (`real`, a
/// `real_replay` row), one line per phase: wrap, add_cert_ref, set_subject's destroy,
/// the reader's load, the reader's read. The model's steps are those of the cert whose
/// subject was destroyed by a thread other than `main` (the reload's); the reader's are
/// those of another thread on that cert after the destroy. A phase a side did not
/// record says so.
pub fn side_by_side(model: &Record, real: &Record) -> String {
    let m = model.counterexample.as_deref().unwrap_or(&[]);
    let r = real.counterexample.as_deref().unwrap_or(&[]);
    let destroy = m
        .iter()
        .rev()
        .find(|s| s.op == "set_subject: destroy old subject" && s.thread != "main");
    let cert = destroy
        .and_then(|s| s.detail.split_whitespace().next())
        .map(|c| c.trim_end_matches(':').to_string())
        .unwrap_or_default();
    let writer = destroy.map(|s| s.thread.clone()).unwrap_or_default();
    let pick_model = |ops: &[&str], reader: bool| {
        m.iter()
            .filter(|s| ops.contains(&s.op.as_str()))
            .filter(|s| s.detail.starts_with(&cert))
            .filter(|s| {
                if reader {
                    s.thread != writer
                        && s.thread != "main"
                        && destroy.is_some_and(|d| s.seq > d.seq)
                } else {
                    s.thread == writer
                }
            })
            .find(|_| true)
            .map(|s| format!("{}. `{}` {}: {}", s.seq, s.thread, s.op, s.detail))
    };
    let pick_real = |ops: &[&str]| {
        r.iter()
            .find(|s| ops.contains(&s.op.as_str()))
            .map(|s| format!("{}. `{}` {}: {}", s.seq, s.thread, s.op, s.detail))
    };
    let mut out = format!(
        "| phase | model: {} × {} × {} [{}] | real: {} × {} × {} [{}] |\n|---|---|---|\n",
        model.scenario,
        model.variant,
        model.flow,
        model.checker,
        real.scenario,
        real.variant,
        real.flow,
        real.checker
    );
    for (i, (phase, ops)) in PHASES.iter().enumerate() {
        let reader = i >= 3;
        let ms = pick_model(ops, reader).unwrap_or_else(|| {
            if reader && i == 4 {
                "— (loom stops at the load: that access is the violation)".into()
            } else {
                "— (not recorded)".into()
            }
        });
        let rs = pick_real(ops).unwrap_or_else(|| "— (not recorded)".into());
        let cell = |s: String| s.replace('|', "\\|");
        let _ = writeln!(out, "| {phase} | {} | {} |", cell(ms), cell(rs));
    }
    out
}
