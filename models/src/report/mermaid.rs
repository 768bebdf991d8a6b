//! Counterexamples as Mermaid sequence diagrams.

use super::{hb, marks, text};
use crate::record::{Mode, Record, StepKind};
use std::fmt::Write;

/// Text safe inside a Mermaid message: `;` ends a statement there, so it becomes `,`
/// first; then `#` becomes Mermaid's entity `#35;` (the other order would turn that
/// entity's own `;` into `,` and show `cert#35,4`).
pub fn mermaid_text(s: &str) -> String {
    s.replace(';', ",").replace('#', "#35;").replace('\n', " ")
}

fn participant(name: &str) -> String {
    name.replace('-', "_")
}

/// What an edge's arrow says.
fn edge_label(e: &hb::Edge) -> String {
    match &e.via {
        hb::Via::Lock { mode, .. } => {
            let how = if *mode == Mode::Write {
                "write"
            } else {
                "read"
            };
            format!("{} release → acquire ({how})", lock_label(e))
        }
        hb::Via::Atomic => "atomic store (release) → load (acquire)".to_string(),
        hb::Via::Spawn => "spawn".to_string(),
        hb::Via::Join => "join".to_string(),
    }
}

fn lock_label(e: &hb::Edge) -> String {
    match &e.via {
        hb::Via::Lock {
            lock: Some(l),
            instance,
            ..
        } => format!("{l:?} lock#{instance}").to_lowercase(),
        hb::Via::Lock { instance, .. } => format!("lock#{instance}"),
        _ => String::new(),
    }
}

/// A counterexample as a Mermaid sequence diagram: one lane (participant) per model
/// thread; each step is a message from the thread to itself; the synchronises-with
/// edges the model recorded ([`hb`]: lock release → acquire, spawn, join) are dashed
/// arrows between lanes, drawn where the target thread goes on; the flagged steps (the
/// racing pair, or where duplicates entered the store) are highlighted with a note, and
/// after a racing pair a note over both lanes says what orders it, or that nothing does.
pub fn mermaid(r: &Record) -> String {
    let steps = r.steps();
    let flagged = marks::flagged(r);
    let shown = text::shown_steps(r);
    let order = hb::HappensBefore::of(steps);
    let pair = marks::racing_pair(r);
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
    for s in steps.iter().filter(|s| s.kind != StepKind::Spawn) {
        if !shown.contains(&s.seq) {
            skipped += 1;
            continue;
        }
        let p = participant(&s.thread);
        if skipped > 0 {
            let _ = writeln!(out, "    Note over {p}: … {skipped} steps omitted");
            skipped = 0;
        }
        for e in order.edges.iter().filter(|e| e.to_step == Some(s.seq)) {
            if threads.contains(&e.from_thread.as_str()) {
                let _ = writeln!(
                    out,
                    "    {}-->>{}: {}",
                    participant(&e.from_thread),
                    p,
                    mermaid_text(&format!("{} (after {})", edge_label(e), e.from_step))
                );
            }
        }
        let text = mermaid_text(&format!("{}. {}: {}", s.seq, s.op, s.detail));
        if flagged.contains(&s.seq) {
            let mark = marks::mark(s.kind);
            let _ = writeln!(out, "    rect rgb(255, 215, 215)");
            let _ = writeln!(out, "    {p}->>{p}: {text}");
            let _ = writeln!(out, "    Note right of {p}: {mark}");
            let _ = writeln!(out, "    end");
        } else {
            let _ = writeln!(out, "    {p}->>{p}: {text}");
        }
        if let Some((a, b)) = pair.filter(|&(a, b)| a.max(b) == s.seq) {
            let (x, y) = (a.min(b), a.max(b));
            let other = steps
                .iter()
                .find(|t| t.seq == x)
                .map(|t| participant(&t.thread));
            let mut verdict = if order.ordered(x, y) {
                format!("{x} happens before {y}")
            } else {
                format!("nothing orders {x} before {y}: the racing pair")
            };
            if let Some(w) = marks::freed_for(steps, &flagged, pair)
                .and_then(|f| marks::freed_words(steps, f, (x, y)))
            {
                let _ = write!(verdict, " · {w}");
            }
            if let Some(o) = other {
                let _ = writeln!(out, "    Note over {o},{p}: {}", mermaid_text(&verdict));
            }
        }
    }
    out.push_str("```\n");
    out
}

#[cfg(test)]
mod tests {
    use super::mermaid_text;

    #[test]
    fn mermaid_text_keeps_hash_entities() {
        assert_eq!(mermaid_text("cert#4; id#5"), "cert#35;4, id#35;5");
    }
}
