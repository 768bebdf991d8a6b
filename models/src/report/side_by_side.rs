//! The model's counterexample beside a forced run of the real daemon, phase by phase.

use crate::record::{Record, StepKind, StepRecord};
use std::fmt::Write;

/// The phases of the subject race, by the kind of step each is made of, and whether the
/// reader (rather than the reloading writer) makes it.
const PHASES: [(&str, StepKind, bool); 5] = [
    ("wrap", StepKind::Alloc, false),
    ("add_cert_ref", StepKind::Insert, false),
    ("set_subject destroy", StepKind::Free, false),
    ("reader load", StepKind::Load, true),
    ("reader read", StepKind::Read, true),
];

fn line(s: &StepRecord) -> String {
    format!("{}. `{}` {}: {}", s.seq, s.thread, s.op, s.detail)
}

/// A Markdown table putting the model's counterexample (`model`, a loom row of
/// `reload_vs_list_certs × in_place × pre_fix`) beside the forced real run (`real`, a
/// `real_replay` row), one line per phase: wrap, add_cert_ref, set_subject's destroy,
/// the reader's load, the reader's read. On the model's side the writer is the thread
/// other than `main` whose free names an object (the reload's destroy of the old
/// identity); its phases are its steps on the cert it stored last before that free; the
/// reader's are another thread's load of that cert and read of the freed identity after
/// the free. A phase a side did not record says so.
pub fn side_by_side(model: &Record, real: &Record) -> String {
    let m = model.steps();
    let destroy = m
        .iter()
        .rev()
        .find(|s| s.kind == StepKind::Free && s.object.is_some() && s.thread != "main");
    let writer = destroy.map(|s| s.thread.as_str()).unwrap_or_default();
    let freed = destroy.and_then(|s| s.object.clone());
    let cert = destroy.and_then(|d| {
        m.iter()
            .rev()
            .find(|s| s.seq < d.seq && s.thread == writer && s.kind == StepKind::Insert)
            .and_then(|s| s.object.clone())
    });
    let pick_model = |kind: StepKind, reader: bool| {
        m.iter()
            .filter(|s| s.kind == kind)
            .find(|s| {
                if !reader {
                    return s.thread == writer
                        && (s.object == cert || (kind == StepKind::Free && s.object == freed));
                }
                let after = destroy.is_some_and(|d| s.seq > d.seq);
                let on = match kind {
                    StepKind::Read => s.object == freed,
                    _ => s.object == cert,
                };
                after && on && s.thread != writer && s.thread != "main"
            })
            .map(line)
    };
    let pick_real = |kind: StepKind| real.steps().iter().find(|s| s.kind == kind).map(line);
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
    for (phase, kind, reader) in PHASES {
        let ms = pick_model(kind, reader).unwrap_or_else(|| {
            if kind == StepKind::Read {
                "— (loom stops at the load: that access is the violation)".into()
            } else {
                "— (not recorded)".into()
            }
        });
        let rs = pick_real(kind).unwrap_or_else(|| "— (not recorded)".into());
        let cell = |s: String| s.replace('|', "\\|");
        let _ = writeln!(out, "| {phase} | {} | {} |", cell(ms), cell(rs));
    }
    out
}

/// What a forced real run's hold shows about order: the debugger stopped one thread at
/// its [`StepKind::Hold`] step while the others ran, so the held thread's steps up to
/// there happened before theirs, and no lock it held there ordered anything: a reader
/// that needed one would have stopped. `None` when the run has no hold.
pub fn held(steps: &[StepRecord]) -> Option<String> {
    let hold = steps.iter().find(|s| s.kind == StepKind::Hold)?;
    let writer = &hold.thread;
    let during: Vec<&StepRecord> = steps
        .iter()
        .filter(|s| s.seq > hold.seq)
        .take_while(|s| &s.thread != writer)
        .filter(|s| s.kind.is_read())
        .collect();
    let list = |v: &[&StepRecord]| {
        v.iter()
            .map(|s| format!("step {} ({})", s.seq, s.op))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let frees: Vec<&StepRecord> = steps
        .iter()
        .filter(|s| s.seq < hold.seq && &s.thread == writer && s.kind == StepKind::Free)
        .collect();
    let mut out = String::from("Order (forced by gdb in non-stop mode, not inferred):\n");
    let _ = writeln!(
        out,
        "  gdb held {writer} at step {} ({}){}",
        hold.seq,
        hold.op,
        if frees.is_empty() {
            String::new()
        } else {
            format!(", after its {}", list(&frees))
        }
    );
    if during.is_empty() {
        let _ = writeln!(out, "  no other thread read a subject while it was held");
        return Some(out);
    }
    let readers: Vec<&str> = during.iter().map(|s| s.thread.as_str()).collect();
    let _ = writeln!(
        out,
        "  while it was held, {} made {}: so {writer}'s steps up to {} happened before them",
        readers[0],
        list(&during),
        hold.seq
    );
    let _ = writeln!(
        out,
        "  a lock {writer} held at step {} would have stopped {} there; it went on, so nothing orders {writer}'s later steps before step {}",
        hold.seq, readers[0], during[0].seq
    );
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::held;
    use crate::record::StepKind;
    use crate::report::test_step as step;

    #[test]
    fn a_hold_orders_the_held_threads_earlier_steps_before_the_readers() {
        let steps = vec![
            step(1, "w", StepKind::Free),
            step(2, "w", StepKind::Hold),
            step(3, "r", StepKind::Load),
            step(4, "r", StepKind::Read),
        ];
        let text = held(&steps).expect("a hold");
        assert!(
            text.contains("gdb held w at step 2 (op2), after its step 1 (op1)"),
            "{text}"
        );
        assert!(text.contains("r made step 3 (op3), step 4 (op4)"), "{text}");
        assert!(
            text.contains("nothing orders w's later steps before step 3"),
            "{text}"
        );
        assert!(held(&steps[..1]).is_none(), "no hold, no explanation");
    }
}
