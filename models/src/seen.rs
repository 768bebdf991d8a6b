//! What a checker saw of the subjects: the figures that say how much a `pass` is worth.
//!
//! A model checker can only judge what it can see. A cell built on `std` primitives is
//! invisible to loom and shuttle, and a scenario whose schedules never put a reader
//! inside a writer's swap cannot show the race that swap would have. So every record of
//! a model checker with the step recorder on carries [`Seen`]: taken from the steps of
//! every execution it explored, by the shared run loop ([`crate::run`]), and judged by
//! kind, never by a step's text.
//!
//! * A *subject step* is a step of kind `load`, `read`, `write` or `atomic` (each names
//!   a subject pointer or identity by its kind's definition), or a `free` that names
//!   the object it freed (an identity or a snapshot; a cert's last drop names none).
//! * A *tracked access* is what a subject cell can do that the checker sees: a facade
//!   `UnsafeCell` access, an atomic operation, or taking a facade lock that no model
//!   step announced (the store's and the plugin's locks are announced by an `acquire`
//!   step; a cell's own lock never is) ([`swan_credstore::trace::Step::accesses`],
//!   [`swan_credstore::trace::Step::syncs`]).
//! * A *swap window* is a `free` and a `write` that one thread made as consecutive
//!   subject steps (in-place: free the old identity, then store; copy-on-write: publish,
//!   then release the old snapshot). It is *entered* when another thread's subject step
//!   falls between the two. A design whose swap is one step (a write-locked replace, an
//!   atomic swap) or that never swaps (immutable) has none.
//!
//! A pass whose executions made no tracked subject access is [`Outcome::Vacuous`], not
//! `pass` ([`crate::run::conclude`]).
//!
//! [`Outcome::Vacuous`]: crate::record::Outcome::Vacuous

use crate::record::{Seen, StepKind, SyncKind};
use std::collections::HashSet;
use std::hash::{DefaultHasher, Hash, Hasher};
use swan_credstore::trace::Step;

/// The running sums of [`Seen`], one execution at a time.
#[derive(Debug, Default)]
pub struct Tally {
    seen: Seen,
    orders: HashSet<u64>,
}

fn is_subject_step(s: &Step) -> bool {
    match s.kind {
        StepKind::Load | StepKind::Read | StepKind::Write | StepKind::Atomic { .. } => true,
        StepKind::Free => s.object.is_some(),
        _ => false,
    }
}

/// The instances of the locks the model announced (an `acquire` step right before
/// taking it: the store's and the plugin's locks). A cell's own facade lock never is.
fn announced(steps: &[Step]) -> HashSet<usize> {
    steps
        .iter()
        .flat_map(|s| &s.syncs)
        .filter_map(|e| match e.kind {
            SyncKind::Acquire {
                lock: Some(_),
                instance,
                ..
            } => Some(instance),
            _ => None,
        })
        .collect()
}

/// The tracked accesses a subject cell could have made after `s`: its facade
/// `UnsafeCell` accesses, atomic operations, and acquires of locks no step announced.
fn cell_events<'a>(s: &'a Step, announced: &'a HashSet<usize>) -> impl Iterator<Item = ()> + 'a {
    let syncs = s.syncs.iter().filter(move |e| match e.kind {
        SyncKind::Acquire { instance, .. } => !announced.contains(&instance),
        SyncKind::AtomicLoad { .. } | SyncKind::AtomicStore { .. } => true,
        _ => false,
    });
    s.accesses.iter().map(|_| ()).chain(syncs.map(|_| ()))
}

/// Whether `a` and `b` (one thread's consecutive subject steps) are a free and a write.
fn swap_pair(a: &Step, b: &Step) -> bool {
    let free = |s: &Step| s.kind == StepKind::Free;
    let write = |s: &Step| s.kind == StepKind::Write;
    (free(a) && write(b)) || (write(a) && free(b))
}

impl Tally {
    /// Adds one execution's steps and the number of tracked objects it freed while its
    /// steps were recorded ([`swan_credstore::trace::frees`]).
    pub fn add(&mut self, steps: &[Step], frees: u64) {
        let announced = announced(steps);
        let subject: Vec<&Step> = steps.iter().filter(|s| is_subject_step(s)).collect();
        self.seen.executions += 1;
        let mut h = DefaultHasher::new();
        for s in steps {
            let events = cell_events(s, &announced).count();
            self.seen.tracked_accesses += events as u64;
            if is_subject_step(s) || events > 0 {
                (s.thread.as_str(), std::mem::discriminant(&s.kind), events).hash(&mut h);
            }
        }
        self.orders.insert(h.finish());
        self.seen.orders = self.orders.len() as u64;
        self.seen.frees += frees;
        let mut swaps = false;
        let mut entered = false;
        for (i, a) in subject.iter().enumerate() {
            let Some(b) = subject[i + 1..].iter().find(|s| s.thread == a.thread) else {
                continue;
            };
            if swap_pair(a, b) {
                swaps = true;
                entered |= subject
                    .iter()
                    .any(|s| s.thread != a.thread && s.seq > a.seq && s.seq < b.seq);
            }
        }
        self.seen.swap_executions += u64::from(swaps);
        self.seen.window_entered += u64::from(entered);
    }

    /// The figures so far.
    pub fn seen(&self) -> Seen {
        self.seen.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use swan_credstore::trace::Access;

    fn step(
        seq: usize,
        thread: &str,
        kind: StepKind,
        object: Option<&str>,
        accesses: usize,
    ) -> Step {
        let at = std::panic::Location::caller();
        Step {
            seq,
            thread: thread.into(),
            kind,
            op: "op",
            object: object.map(str::to_string),
            detail: String::new(),
            at,
            accesses: (0..accesses)
                .map(|_| Access {
                    at,
                    write: false,
                    cell: 1,
                })
                .collect(),
            syncs: Vec::new(),
        }
    }

    /// The writer frees the old identity and stores the new one in two steps; the
    /// reader's read falls between them in `inside` and after them in `outside`.
    fn swap(reader_at: usize) -> Vec<Step> {
        let mut steps = vec![
            step(1, "vici", StepKind::Load, None, 1),
            step(2, "vici", StepKind::Free, Some("id#1"), 0),
            step(4, "vici", StepKind::Write, None, 1),
        ];
        steps.push(step(reader_at, "ike", StepKind::Read, Some("id#1"), 1));
        steps.sort_by_key(|s| s.seq);
        steps
    }

    #[test]
    fn the_window_counts_only_executions_with_a_reader_inside_it() {
        let mut t = Tally::default();
        t.add(&swap(3), 1);
        t.add(&swap(5), 1);
        t.add(&swap(5), 1);
        let seen = t.seen();
        assert_eq!(seen.executions, 3);
        assert_eq!(seen.swap_executions, 3);
        assert_eq!(seen.window_entered, 1);
        assert_eq!(seen.frees, 3);
        assert_eq!(seen.orders, 2, "two distinct orders, one seen twice");
        assert_eq!(seen.tracked_accesses, 9);
        assert!(!seen.is_vacuous());
    }

    #[test]
    fn steps_without_tracked_accesses_are_vacuous_and_a_one_step_swap_has_no_window() {
        let mut t = Tally::default();
        t.add(
            &[
                step(1, "vici", StepKind::Write, None, 0),
                step(2, "ike", StepKind::Read, Some("id#1"), 0),
            ],
            0,
        );
        let seen = t.seen();
        assert!(seen.is_vacuous(), "{seen:?}");
        assert_eq!(seen.swap_executions, 0);
        // The same steps with the accesses the checker saw are not vacuous.
        let mut t = Tally::default();
        t.add(
            &[
                step(1, "vici", StepKind::Write, None, 1),
                step(2, "ike", StepKind::Read, Some("id#1"), 1),
            ],
            0,
        );
        assert!(!t.seen().is_vacuous());
        assert!(!Seen::default().is_vacuous(), "no execution, no judgement");
    }
}
