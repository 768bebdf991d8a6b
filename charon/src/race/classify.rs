//! The race run's reading of helgrind's reports: which are relevant, the noise by key,
//! and the first relevant report's two sides as the row's steps ([`Found`]).

use crate::helgrind::{self, Class, Report, Symbols};
use std::collections::BTreeMap;
use swan_credstore_models::record::{StepKind, StepRecord};

/// What the reports of one run hold.
#[derive(Default)]
pub(super) struct Found {
    /// Relevant contexts.
    pub(super) relevant: usize,
    /// Noise contexts by key (kind and top frames), with their count.
    pub(super) noise: BTreeMap<String, usize>,
    /// The first relevant report's two stacks, summarised (free/write side, read side).
    pub(super) stacks: Option<(String, String)>,
    /// The first relevant report's two accesses as steps, in helgrind's order.
    pub(super) steps: Vec<StepRecord>,
    /// The first relevant report's block description, with its allocation stack.
    pub(super) address: String,
}

/// Whether any of `reports` is relevant.
pub(super) fn relevant_in(sym: &Symbols, reports: &[Report]) -> bool {
    reports
        .iter()
        .any(|r| matches!(helgrind::classify(sym, r), Class::Relevant { .. }))
}

/// Classifies every report (see [`crate::helgrind::classify`]).
pub(super) fn classify(sym: &Symbols, reports: &[Report]) -> Found {
    let mut found = Found::default();
    for r in reports {
        match helgrind::classify(sym, r) {
            Class::Relevant {
                free_side,
                read_side,
            } => {
                found.relevant += 1;
                if found.stacks.is_none() {
                    first_relevant(sym, r, free_side, read_side, &mut found);
                }
            }
            Class::Noise => *found.noise.entry(helgrind::noise_key(sym, r)).or_insert(0) += 1,
        }
    }
    found
}

/// Records the first relevant report's stacks, steps and block.
fn first_relevant(sym: &Symbols, r: &Report, free_side: usize, read_side: usize, f: &mut Found) {
    let (w, rd) = (&r.parts[free_side], &r.parts[read_side]);
    let ws = sym.stack_line(&w.stack, 6);
    let rs = sym.stack_line(&rd.stack, 6);
    let block = helgrind::block(r)
        .map(|b| format!("{} [alloc'd at {}]", b.text, sym.stack_line(&b.stack, 5)))
        .unwrap_or_default();
    let (wfirst, rfirst) = (
        w.text.contains("Possible data race"),
        rd.text.contains("Possible data race"),
    );
    let mut a = (
        "vici load-conn".to_string(),
        "set_subject: destroy old subject / store new (write)".to_string(),
        format!("{} — {ws}", w.text),
    );
    let mut b = (
        "vici list-certs".to_string(),
        "equals/get_subject: read subject".to_string(),
        format!("{} — {rs}", rd.text),
    );
    // Order as helgrind saw them: the previous access first.
    let swapped = wfirst && !rfirst;
    if swapped {
        std::mem::swap(&mut a, &mut b);
    }
    for (i, (thread, op, detail)) in [a, b].into_iter().enumerate() {
        f.steps.push(StepRecord {
            seq: i + 1,
            thread,
            // The write side comes first unless swapped.
            kind: if (i == 0) != swapped {
                StepKind::Write
            } else {
                StepKind::Load
            },
            op,
            object: None,
            detail,
            at: None,
            accesses: Vec::new(),
            syncs: Vec::new(),
        });
    }
    f.address = block;
    f.stacks = Some((ws, rs));
}
