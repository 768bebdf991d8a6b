//! Counterexamples as Mermaid sequence diagrams.

use super::{marks, text};
use crate::record::{Record, StepKind};
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

/// A counterexample as a Mermaid sequence diagram: model threads are participants, each
/// step is a message from the thread to itself, the flagged steps (the free and the read
/// of the freed identity, or the racing pair) are highlighted with a note.
pub fn mermaid(r: &Record) -> String {
    let steps = r.steps();
    let flagged = marks::flagged(r);
    let shown = text::shown_steps(r);
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
