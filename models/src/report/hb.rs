//! Happens-before, computed from a counterexample's recorded synchronisation, and the
//! words that explain a racing pair with it.
//!
//! The facade records every lock acquire and release, every spawn and every join of
//! the model's threads ([`swan_credstore::trace::sync`]), each with its place in the
//! interleaving. From those, vector clocks give each step the latest step of every
//! other thread that happens before it:
//! * program order within a thread;
//! * a lock's release → a later acquire of the same lock instance (a read lock is
//!   ordered after earlier write releases; a write lock after every earlier release);
//! * a spawn → the spawned thread's steps; a thread's steps → the join that waited for it;
//! * a releasing atomic store of a subject pointer → an acquiring load that returned
//!   that pointer (the naive swap's `AtomicPtr`; the model never reuses a pointer value
//!   within an execution, so the value names the store the load read from).
//!
//! The atomics inside arc-swap, crossbeam-epoch and `Arc`'s count are not recorded:
//! where those order a pass's accesses, [`super::order`] says so. loom's own verdict
//! does not depend on this explanation, and a test checks that for every loom race the
//! explanation finds the pair unordered, as loom did.

use crate::record::{Lock, Mode, StepRecord, SyncKind};
use std::collections::BTreeMap;
use std::fmt::Write;

/// For each thread, the latest of its steps known to happen before a point.
type Clock = BTreeMap<String, usize>;

fn join(into: &mut Clock, other: &Clock) {
    for (t, &v) in other {
        let e = into.entry(t.clone()).or_insert(0);
        *e = (*e).max(v);
    }
}

/// What made an edge between two threads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Via {
    /// A release of a lock, then an acquire of it.
    Lock {
        /// The model's name for the lock, when known.
        lock: Option<Lock>,
        /// The lock instance (from 1).
        instance: usize,
        /// How the acquirer took it.
        mode: Mode,
    },
    /// A releasing atomic store of a subject pointer, then an acquiring load that
    /// returned that pointer.
    Atomic,
    /// A spawn.
    Spawn,
    /// A join.
    Join,
}

/// A synchronises-with edge between two threads: `from_step` (the source thread's latest
/// step before its release or spawn, or the joined thread's last step) happens before
/// `to_step` (the target thread's first step after its acquire, or after the join).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Edge {
    /// The releasing (spawning, joined) thread.
    pub from_thread: String,
    /// Its latest step before the edge (0: none recorded).
    pub from_step: usize,
    /// The acquiring (spawned, joining) thread.
    pub to_thread: String,
    /// Its first step after the edge, if it made one.
    pub to_step: Option<usize>,
    /// What made the edge.
    pub via: Via,
    after: usize,
}

/// Happens-before over one counterexample's steps.
#[derive(Clone, Debug, Default)]
pub struct HappensBefore {
    stamps: BTreeMap<usize, Clock>,
    threads: BTreeMap<usize, String>,
    /// The edges between threads, in the order they happened.
    pub edges: Vec<Edge>,
}

#[derive(Default)]
struct LockClock {
    written: Clock,
    writer: Option<(String, usize)>,
    read: Clock,
    readers: Vec<(String, usize)>,
}

impl HappensBefore {
    /// Computes happens-before from `steps` and their recorded events.
    pub fn of(steps: &[StepRecord]) -> HappensBefore {
        enum Item<'a> {
            Step(&'a StepRecord),
            Event(&'a StepRecord, &'a SyncKind),
        }
        let mut items: Vec<((usize, usize, usize), Item)> = Vec::new();
        for s in steps {
            items.push(((s.seq, 0, 0), Item::Step(s)));
            for e in &s.syncs {
                items.push(((e.after, 1, e.order), Item::Event(s, &e.kind)));
            }
        }
        items.sort_by_key(|(k, _)| *k);
        let mut hb = HappensBefore::default();
        let mut clocks: BTreeMap<String, Clock> = BTreeMap::new();
        let mut locks: BTreeMap<usize, LockClock> = BTreeMap::new();
        // The latest releasing store of each pointer value: its thread's clock, thread
        // and latest step.
        let mut stores: BTreeMap<usize, (Clock, String, usize)> = BTreeMap::new();
        for ((after, _, _), item) in items {
            match item {
                Item::Step(s) => {
                    let c = clocks.entry(s.thread.clone()).or_default();
                    c.insert(s.thread.clone(), s.seq);
                    hb.stamps.insert(s.seq, c.clone());
                    hb.threads.insert(s.seq, s.thread.clone());
                }
                Item::Event(s, kind) => {
                    let t = &s.thread;
                    let mine = clocks.get(t).cloned().unwrap_or_default();
                    let latest = mine.get(t).copied().unwrap_or(0);
                    match kind {
                        SyncKind::Release { instance, mode } => {
                            let l = locks.entry(*instance).or_default();
                            if *mode == Mode::Write {
                                l.written = mine;
                                l.writer = Some((t.clone(), latest));
                                l.read.clear();
                                l.readers.clear();
                            } else {
                                join(&mut l.read, &mine);
                                l.readers.push((t.clone(), latest));
                            }
                        }
                        SyncKind::Acquire {
                            lock,
                            instance,
                            mode,
                        } => {
                            let l = locks.entry(*instance).or_default();
                            let mut sources: Vec<(String, usize)> =
                                l.writer.iter().cloned().collect();
                            let c = clocks.entry(t.clone()).or_default();
                            join(c, &l.written);
                            if *mode == Mode::Write {
                                join(c, &l.read);
                                sources.extend(l.readers.iter().cloned());
                            }
                            for (from, step) in sources {
                                if &from != t && step > mine.get(&from).copied().unwrap_or(0) {
                                    hb.edges.push(Edge {
                                        from_thread: from,
                                        from_step: step,
                                        to_thread: t.clone(),
                                        to_step: None,
                                        via: Via::Lock {
                                            lock: *lock,
                                            instance: *instance,
                                            mode: *mode,
                                        },
                                        after,
                                    });
                                }
                            }
                        }
                        SyncKind::AtomicStore { value, ordering } => {
                            if ordering.releases() {
                                stores.insert(*value, (mine, t.clone(), latest));
                            } else {
                                stores.remove(value);
                            }
                        }
                        SyncKind::AtomicLoad { value, ordering } => {
                            if let Some((clock, from, step)) =
                                stores.get(value).filter(|_| ordering.acquires())
                            {
                                if from != t && *step > mine.get(from).copied().unwrap_or(0) {
                                    hb.edges.push(Edge {
                                        from_thread: from.clone(),
                                        from_step: *step,
                                        to_thread: t.clone(),
                                        to_step: None,
                                        via: Via::Atomic,
                                        after,
                                    });
                                }
                                join(clocks.entry(t.clone()).or_default(), clock);
                            }
                        }
                        SyncKind::Spawn { thread } => {
                            clocks.insert(thread.clone(), mine);
                            hb.edges.push(Edge {
                                from_thread: t.clone(),
                                from_step: latest,
                                to_thread: thread.clone(),
                                to_step: None,
                                via: Via::Spawn,
                                after,
                            });
                        }
                        SyncKind::Join { thread } => {
                            let child = clocks.get(thread).cloned().unwrap_or_default();
                            let last = child.get(thread).copied().unwrap_or(0);
                            join(clocks.entry(t.clone()).or_default(), &child);
                            hb.edges.push(Edge {
                                from_thread: thread.clone(),
                                from_step: last,
                                to_thread: t.clone(),
                                to_step: None,
                                via: Via::Join,
                                after,
                            });
                        }
                    }
                }
            }
        }
        // A lock instance is named by any acquire the model announced (the facade names
        // only the first lock taken after an announcing step).
        let mut names: BTreeMap<usize, Lock> = BTreeMap::new();
        for e in steps.iter().flat_map(|s| &s.syncs) {
            if let SyncKind::Acquire {
                lock: Some(l),
                instance,
                ..
            } = e.kind
            {
                names.entry(instance).or_insert(l);
            }
        }
        for e in &mut hb.edges {
            if let Via::Lock { lock, instance, .. } = &mut e.via {
                *lock = lock.or(names.get(instance).copied());
            }
            e.to_step = steps
                .iter()
                .find(|s| s.seq > e.after && s.thread == e.to_thread)
                .map(|s| s.seq);
        }
        hb
    }

    /// Whether step `a` happens before step `b` (program order, or a chain of edges).
    pub fn ordered(&self, a: usize, b: usize) -> bool {
        let (Some(ta), Some(tb)) = (self.threads.get(&a), self.threads.get(&b)) else {
            return false;
        };
        if ta == tb {
            return a < b;
        }
        self.known(b, ta) >= a
    }

    /// The latest step of `thread` that happens before step `at` (0: none).
    pub fn known(&self, at: usize, thread: &str) -> usize {
        self.stamps
            .get(&at)
            .and_then(|c| c.get(thread))
            .copied()
            .unwrap_or(0)
    }

    /// The latest direct edge from `from` into `to` that reaches `to` by step `by`.
    fn last_edge(&self, from: &str, to: &str, by: usize) -> Option<&Edge> {
        self.edges
            .iter()
            .filter(|e| e.from_thread == from && e.to_thread == to)
            .filter(|e| e.to_step.is_some_and(|s| s <= by))
            .max_by_key(|e| (e.from_step, e.to_step))
    }
}

fn lock_name(lock: Option<Lock>, instance: usize) -> String {
    match lock {
        Some(Lock::Store) => "the store's lock".to_string(),
        Some(Lock::Config) => "the connections' lock".to_string(),
        Some(Lock::Subject) => format!("a subject lock (lock#{instance})"),
        None => format!("lock#{instance}"),
    }
}

/// One edge in words: `vici-reload released the store's lock after step 18; ike-lookup
/// acquired it (read) before step 29, so 18 happens before 29`.
pub fn edge_text(e: &Edge) -> String {
    let to = e
        .to_step
        .map_or("its end".to_string(), |s| format!("step {s}"));
    let from = if e.from_step == 0 {
        "its start".to_string()
    } else {
        format!("step {}", e.from_step)
    };
    match &e.via {
        Via::Lock {
            lock,
            instance,
            mode,
        } => {
            let how = if *mode == Mode::Write {
                "write"
            } else {
                "read"
            };
            format!(
                "{} released {} after {from}; {} acquired it ({how}) before {to}",
                e.from_thread,
                lock_name(*lock, *instance),
                e.to_thread
            )
        }
        Via::Atomic => format!(
            "{} stored a subject pointer (release) after {from}; {} loaded that pointer (acquire) before {to}",
            e.from_thread, e.to_thread
        ),
        Via::Spawn => format!(
            "{} spawned {} after {from}, before its {to}",
            e.from_thread, e.to_thread
        ),
        Via::Join => format!(
            "{} ended after {from}; {} joined it before {to}",
            e.from_thread, e.to_thread
        ),
    }
}

/// When the later thread's latest atomic load by step `y` returned a pointer stored
/// before the earlier thread's latest store by step `x`: which store it read, and which
/// it did not (the naive swap's reader holding the old pointer).
fn stale_load(
    steps: &[StepRecord],
    (x, tx): (usize, &String),
    (y, ty): (usize, &String),
) -> Option<String> {
    // (after, value, thread, step) of every atomic store and load.
    let events = |store: bool| {
        steps.iter().flat_map(move |s| {
            s.syncs.iter().filter_map(move |e| match e.kind {
                SyncKind::AtomicStore { value, .. } if store => Some((e.after, value, s)),
                SyncKind::AtomicLoad { value, .. } if !store => Some((e.after, value, s)),
                _ => None,
            })
        })
    };
    let (at, value, load) = events(false)
        .filter(|(_, _, s)| &s.thread == ty && s.seq <= y)
        .max_by_key(|(after, _, _)| *after)?;
    let (read_at, _, read) = events(true)
        .filter(|(after, v, _)| *v == value && *after <= at)
        .max_by_key(|(after, _, _)| *after)?;
    let (_, _, newer) = events(true)
        .filter(|(after, _, s)| &s.thread == tx && s.seq <= x && *after > read_at)
        .max_by_key(|(after, _, _)| *after)?;
    Some(format!(
        "{ty}'s atomic load after step {} returned the pointer {} stored after step {}, not the one {tx} stored after step {}",
        load.seq, read.thread, read.seq, newer.seq
    ))
}

/// The happens-before explanation of a racing pair `(a, b)` (step numbers, either
/// order): the edges between the two threads, and why neither step is ordered before
/// the other — or which one is.
pub fn explain(steps: &[StepRecord], hb: &HappensBefore, pair: (usize, usize)) -> String {
    let (x, y) = (pair.0.min(pair.1), pair.0.max(pair.1));
    let (Some(tx), Some(ty)) = (hb.threads.get(&x), hb.threads.get(&y)) else {
        return String::new();
    };
    let op = |n: usize| {
        steps
            .iter()
            .find(|s| s.seq == n)
            .map_or(String::new(), |s| s.op.clone())
    };
    let mut out = String::from(
        "Happens-before (from the lock, atomic, spawn and join events the model recorded):\n",
    );
    let between: Vec<&Edge> = hb
        .edges
        .iter()
        .filter(|e| {
            (&e.from_thread == tx && &e.to_thread == ty)
                || (&e.from_thread == ty && &e.to_thread == tx)
        })
        .collect();
    if between.is_empty() {
        let _ = writeln!(out, "  no edge between {tx} and {ty}");
    }
    for e in &between {
        let _ = writeln!(out, "  {}", edge_text(e));
    }
    let _ = writeln!(
        out,
        "  the pair: step {x} ({tx}: {}) and step {y} ({ty}: {})",
        op(x),
        op(y)
    );
    if let Some(line) = stale_load(steps, (x, tx), (y, ty)) {
        let _ = writeln!(out, "  {line}");
    }
    if hb.ordered(x, y) {
        let _ = writeln!(out, "  {x} happens before {y}: the two are ordered");
        return out;
    }
    let k = hb.known(y, tx);
    let why = match hb.last_edge(tx, ty, y) {
        Some(e) if k > 0 => format!(
            "{ty}'s step {y} is ordered after {tx}'s steps up to {k} only (by the edge above, {} happens before {}); step {x} comes after {k} in {tx}",
            e.from_step,
            e.to_step.unwrap_or(y)
        ),
        _ if k > 0 => format!(
            "{ty}'s step {y} is ordered after {tx}'s steps up to {k} only; step {x} comes after {k} in {tx}"
        ),
        _ => format!("nothing {tx} did reaches {ty} before step {y}"),
    };
    let _ = writeln!(out, "  {why}: nothing orders {x} before {y}");
    out
}

#[cfg(test)]
mod tests;
