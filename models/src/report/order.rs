//! What ordered the accesses of a pass: every pair of tracked accesses to one cell
//! made by two threads, at least one a write (the pairs a data-race checker examines),
//! every read of an object by one thread paired with its creation, publication or
//! free by another (the pairs the use-after-free oracle examines), and the
//! synchronises-with edge ([`hb`]) that orders each.
//!
//! A pass record keeps the last execution its checker explored (its `witness`); this
//! module reads that execution only, so what it says is about one interleaving, not
//! all of them. Pairs that no recorded lock, spawn or join orders were ordered, for
//! the checker, by atomics this explanation does not record (arc-swap's and
//! crossbeam-epoch's): it says so rather than guess.

use super::hb::{self, Edge, HappensBefore, Via};
use crate::record::{Record, StepKind, StepRecord};
use std::collections::BTreeMap;
use std::fmt::Write;

/// Two accesses to one cell from two threads, at least one a write, `first` before
/// `second` in the interleaving.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Conflict {
    /// The earlier step.
    pub first: usize,
    /// The later step.
    pub second: usize,
    /// What both accessed: a cell (`cell 4`, as numbered by the recorder) or an
    /// object one made, published or freed and the other read (`id#5`).
    pub what: String,
    /// The edge into `second`'s thread that orders `first` before it, if any does.
    pub by: Option<Edge>,
}

/// Every conflicting pair of `steps`, with what orders it.
pub fn conflicts(steps: &[StepRecord]) -> Vec<Conflict> {
    let order = HappensBefore::of(steps);
    let mut out = Vec::new();
    for (i, a) in steps.iter().enumerate() {
        for b in &steps[i + 1..] {
            if a.thread == b.thread {
                continue;
            }
            let mut cells: Vec<usize> = a
                .accesses
                .iter()
                .flat_map(|x| {
                    b.accesses
                        .iter()
                        .filter(move |y| x.cell == y.cell && x.cell != 0 && (x.write || y.write))
                        .map(move |_| x.cell)
                })
                .collect();
            cells.dedup();
            let mut what: Vec<String> = cells.iter().map(|c| format!("cell {c}")).collect();
            let made_read = |x: &StepRecord, y: &StepRecord| {
                matches!(x.kind, StepKind::Alloc | StepKind::Write | StepKind::Free)
                    && y.kind.is_read()
                    && x.object == y.object
            };
            if a.object.is_some() && (made_read(a, b) || made_read(b, a)) {
                what.extend(a.object.clone());
            }
            for what in what {
                let by = order
                    .ordered(a.seq, b.seq)
                    .then(|| carrier(&order, a, b))
                    .flatten();
                out.push(Conflict {
                    first: a.seq,
                    second: b.seq,
                    what,
                    by,
                });
            }
        }
    }
    out
}

/// The first edge into `b`'s thread, reached by step `b`, that starts at or after `a`
/// in happens-before: the one that carries `a`'s effects to `b`.
fn carrier(order: &HappensBefore, a: &StepRecord, b: &StepRecord) -> Option<Edge> {
    order
        .edges
        .iter()
        .filter(|e| e.to_thread == b.thread && e.to_step.is_some_and(|s| s <= b.seq))
        .filter(|e| e.from_step == a.seq || order.ordered(a.seq, e.from_step))
        .min_by_key(|e| e.to_step)
        .cloned()
}

/// An edge's kind for grouping: `vici-reload → ike-lookup: the store's lock (write
/// release → read acquire)`.
fn kind(e: &Edge) -> String {
    let what = match &e.via {
        Via::Lock { mode, .. } => {
            let how = match mode {
                crate::record::Mode::Read => "read",
                crate::record::Mode::Write => "write",
            };
            format!("a lock release → {how} acquire")
        }
        Via::Atomic => "an atomic store → load".to_string(),
        Via::Spawn => "spawn".to_string(),
        Via::Join => "join".to_string(),
    };
    format!("{} → {}: {what}", e.from_thread, e.to_thread)
}

/// What ordered a pass's accesses, in words (`None` when the record has no witness).
pub fn explain_pass(r: &Record) -> Option<String> {
    let steps = r.witness_steps();
    if steps.is_empty() {
        return None;
    }
    let all = conflicts(steps);
    let w = r.witness.as_ref()?;
    let which = if w.concurrent {
        format!(
            "Interleaving #{} of {}, the first in which a thread read an object another running thread made, published or freed",
            w.execution, r.interleavings
        )
    } else {
        format!(
            "No interleaving of the {} had a thread read an object another running thread made, published or freed; the last one",
            r.interleavings
        )
    };
    let mut out = format!(
        "{which} ({} steps): {} pairs of accesses to one object by two threads, one a write (a creation, a publish, a free).\n",
        steps.len(),
        all.len()
    );
    let mut groups: BTreeMap<String, Vec<&Conflict>> = BTreeMap::new();
    let mut unordered = Vec::new();
    for c in &all {
        match &c.by {
            Some(e) => groups.entry(kind(e)).or_default().push(c),
            None => unordered.push(c),
        }
    }
    for (k, cs) in &groups {
        let e = cs[0].by.as_ref().expect("grouped by edge");
        let _ = writeln!(
            out,
            "  {} ordered by {k}, e.g. step {} before step {} ({}): {}",
            cs.len(),
            cs[0].first,
            cs[0].second,
            cs[0].what,
            hb::edge_text(e)
        );
    }
    if !unordered.is_empty() {
        let list: Vec<String> = unordered
            .iter()
            .take(4)
            .map(|c| format!("{}/{} on {}", c.first, c.second, c.what))
            .collect();
        let _ = writeln!(
            out,
            "  {} ordered by no lock, spawn or join the model recorded (steps {}{}): the checker found them ordered by atomics, which this explanation does not record",
            unordered.len(),
            list.join(", "),
            if unordered.len() > 4 { ", …" } else { "" }
        );
    }
    if all.is_empty() {
        out.push_str(
            "  (no two threads accessed one tracked cell, and no thread read an object another made, published or freed, in this interleaving)\n",
        );
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::{AccessRecord, Mode, SyncKind, SyncRecord};

    fn step(seq: usize, thread: &str, kind: StepKind, object: Option<&str>) -> StepRecord {
        StepRecord {
            object: object.map(str::to_string),
            ..crate::report::test_step(seq, thread, kind)
        }
    }

    fn lock(after: usize, order: usize, acquire: bool) -> SyncRecord {
        let kind = if acquire {
            SyncKind::Acquire {
                lock: None,
                instance: 1,
                mode: Mode::Write,
            }
        } else {
            SyncKind::Release {
                instance: 1,
                mode: Mode::Write,
            }
        };
        SyncRecord { after, order, kind }
    }

    /// w publishes id#1 (step 1) and releases a lock; r takes it, then reads id#1 (3).
    fn publish(release_first: bool) -> Vec<StepRecord> {
        let mut w0 = step(1, "w", StepKind::Write, Some("id#1"));
        let mut r0 = step(2, "r", StepKind::Call, None);
        let r1 = step(3, "r", StepKind::Read, Some("id#1"));
        let (rel, acq) = if release_first { (1, 2) } else { (2, 1) };
        w0.syncs.push(lock(1, rel, false));
        r0.syncs
            .push(lock(if release_first { 2 } else { 0 }, acq, true));
        vec![w0, r0, r1]
    }

    #[test]
    fn a_publish_read_through_the_lock_is_ordered_by_it() {
        let c = conflicts(&publish(true));
        assert_eq!(c.len(), 1);
        assert_eq!(
            (c[0].first, c[0].second, c[0].what.as_str()),
            (1, 3, "id#1")
        );
        let e = c[0].by.as_ref().expect("ordered");
        assert!(matches!(e.via, Via::Lock { .. }), "{e:?}");
    }

    #[test]
    fn a_read_before_the_release_is_not_ordered() {
        // r acquired before w released: nothing orders the publish before the read.
        let c = conflicts(&publish(false));
        assert_eq!(c.len(), 1);
        assert!(c[0].by.is_none(), "{:?}", c[0]);
    }

    #[test]
    fn cell_pairs_need_a_write_and_two_threads() {
        let access = |write, cell| AccessRecord {
            at: "x.rs:1:1".into(),
            write,
            cell,
        };
        let mut a = step(1, "a", StepKind::Load, None);
        let mut b = step(2, "b", StepKind::Load, None);
        let mut c = step(3, "a", StepKind::Write, None);
        a.accesses.push(access(false, 7));
        b.accesses.push(access(false, 7));
        c.accesses.push(access(true, 7));
        let found = conflicts(&[a, b, c]);
        // a/b are two reads; a/c one thread: only b/c conflicts.
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!((found[0].first, found[0].second), (2, 3));
        assert_eq!(found[0].what, "cell 7");
    }
}
