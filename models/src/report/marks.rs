//! Which steps of a counterexample matter, and what a row means — chosen by the steps'
//! kinds and the checker's own report, never by the text of a step.

use crate::record::{Checker, Outcome, Record, StepKind, StepRecord};

/// One access a loom causality-violation report names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoomAccess {
    /// `write:` (a write) or `read:`.
    pub write: bool,
    /// loom's thread index (`thread #0` is the model's main thread, `thread #N` its
    /// N-th spawned thread).
    pub thread: usize,
    /// Where the access was made (`src/subject/in_place.rs:94:22`).
    pub at: String,
}

/// The accesses loom's causality-violation report names, one per `read: thread #N @ …`
/// / `write: thread #N @ …` line (with or without the thread's name after the number).
pub fn loom_accesses(message: &str) -> Vec<LoomAccess> {
    message
        .lines()
        .filter_map(|l| {
            let l = l.trim();
            let (write, rest) = if let Some(r) = l.strip_prefix("write: thread #") {
                (true, r)
            } else if let Some(r) = l.strip_prefix("read: thread #") {
                (false, r)
            } else {
                return None;
            };
            let n: String = rest.chars().take_while(char::is_ascii_digit).collect();
            let at = rest.split_once("@ ")?.1.trim().to_string();
            Some(LoomAccess {
                write,
                thread: n.parse().ok()?,
                at,
            })
        })
        .collect()
}

/// The step that made the access `a`: the latest step of its thread with a tracked
/// access of the same sort at loom's location (loom names the thread's latest access
/// of the cell there). `None` when no step recorded it.
pub fn step_of(steps: &[StepRecord], names: &[String], a: &LoomAccess) -> Option<usize> {
    let name = names.get(a.thread)?;
    steps
        .iter()
        .rev()
        .find(|s| {
            &s.thread == name
                && s.accesses
                    .iter()
                    .any(|x| x.write == a.write && x.at == a.at)
        })
        .map(|s| s.seq)
}

/// The steps a reviewer should look at:
/// * a loom causality violation: the two steps that made the accesses loom names
///   ([`step_of`]: the thread and the source location of each);
/// * the use-after-free oracle: the free of the object the oracle caught, and the
///   reader's read of that object;
/// * duplicates: where each object entered the store, and where a reload's config was
///   dropped for an equal stored one;
/// * a forced real-daemon run: the free and the reader's load and read of the freed
///   block (a race), or every subject load it checked live (a pass);
/// * helgrind's race: the write and the read it reported unordered;
/// * anything else: the last step.
pub fn flagged(r: &Record) -> Vec<usize> {
    let steps = r.steps();
    let names = thread_names(steps);
    let msg = r.message.as_deref().unwrap_or("");
    let mut out: Vec<usize> = Vec::new();
    let kinds = |f: &dyn Fn(StepKind) -> bool| -> Vec<usize> {
        steps.iter().filter(|s| f(s.kind)).map(|s| s.seq).collect()
    };
    match (r.checker, r.outcome) {
        (Checker::RealReplay, Outcome::Pass) => return kinds(&|k| k == StepKind::Load),
        (Checker::RealReplay, Outcome::Race) => {
            return kinds(&|k| matches!(k, StepKind::Free | StepKind::Load | StepKind::Read))
        }
        // helgrind's report is the pair itself: the write and the read it saw unordered.
        (Checker::RealHelgrind, Outcome::Race) => return kinds(&|k| k.is_read() || k.is_write()),
        _ => {}
    }
    for a in loom_accesses(msg) {
        out.extend(step_of(steps, &names, &a));
    }
    if let Some(uaf) = steps.iter().find(|s| s.kind == StepKind::UseAfterFree) {
        out.extend(
            steps
                .iter()
                .find(|s| s.seq < uaf.seq && s.kind == StepKind::Free && s.object == uaf.object)
                .map(|s| s.seq),
        );
        out.extend(
            steps
                .iter()
                .rev()
                .find(|s| {
                    s.seq < uaf.seq
                        && s.thread == uaf.thread
                        && s.kind == StepKind::Read
                        && s.object == uaf.object
                })
                .map(|s| s.seq),
        );
    }
    if r.outcome == Outcome::Duplicates {
        out.extend(kinds(&|k| {
            matches!(k, StepKind::Insert | StepKind::Merge { replaced: false })
        }));
    }
    if out.is_empty() {
        out.extend(steps.last().map(|s| s.seq));
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// The racing pair of a race row: its two flagged steps, when the checker named two
/// (loom's two accesses, or the oracle's free and read) on two threads.
pub fn racing_pair(r: &Record) -> Option<(usize, usize)> {
    if r.outcome != Outcome::Race {
        return None;
    }
    let f = flagged(r);
    let thread = |n: usize| r.steps().iter().find(|s| s.seq == n).map(|s| &s.thread);
    match f[..] {
        [a, b] if thread(a) != thread(b) => Some((a, b)),
        _ => None,
    }
}

/// The step of the identity freed for a race: the oracle's (or a forced run's) free, or
/// the writer's latest free at or before its step of the pair.
pub fn freed_for(
    steps: &[StepRecord],
    flagged: &[usize],
    pair: Option<(usize, usize)>,
) -> Option<usize> {
    let at = |n: usize| steps.iter().find(|s| s.seq == n);
    if let Some(f) = flagged
        .iter()
        .filter_map(|&n| at(n))
        .find(|s| s.kind == StepKind::Free && s.object.is_some())
    {
        return Some(f.seq);
    }
    let (a, b) = pair?;
    let writer = [a, b]
        .into_iter()
        .filter_map(at)
        .find(|s| s.accesses.iter().any(|x| x.write) || s.kind.is_write())?;
    steps
        .iter()
        .rev()
        .find(|s| {
            s.thread == writer.thread
                && s.seq <= writer.seq
                && s.kind == StepKind::Free
                && s.object.is_some()
        })
        .map(|s| s.seq)
}

/// The freed identity of a race and the reader's step of `pair`, in words: the free at
/// step `freed`, and the pair's step on another thread than the free's, which comes
/// after it, or was under way when it landed (the oracle checks a read when it begins
/// and when it ends). `None` when step `freed` names no object.
pub fn freed_words(steps: &[StepRecord], freed: usize, pair: (usize, usize)) -> Option<String> {
    let f = steps.iter().find(|s| s.seq == freed)?;
    let o = f.object.as_ref()?;
    let reader = [pair.0, pair.1]
        .into_iter()
        .filter_map(|n| steps.iter().find(|s| s.seq == n))
        .find(|s| s.thread != f.thread)?;
    Some(if reader.seq > freed {
        format!(
            "{o} freed at step {freed}; the reader's step {} comes after the free",
            reader.seq
        )
    } else {
        format!(
            "{o} freed at step {freed}, while the reader's step {} was under way (a read is checked when it begins and when it ends)",
            reader.seq
        )
    })
}

/// The label a flagged step gets in a diagram, by its kind.
pub fn mark(kind: StepKind) -> &'static str {
    match kind {
        StepKind::Free => "FREE",
        StepKind::Write => "WRITE",
        StepKind::Load | StepKind::Read | StepKind::Atomic { .. } => "READ",
        StepKind::UseAfterFree => "USE AFTER FREE",
        StepKind::Insert => "NEW OBJECT STORED",
        StepKind::Merge { replaced: false } => "NEW CONFIG DROPPED, STORED CERT KEPT",
        StepKind::Duplicates => "DUPLICATES",
        _ => "SEE HERE",
    }
}

/// One sentence saying what the failure means for strongSwan: exactly what the row's
/// checker observed, no more.
pub fn meaning(r: &Record) -> &'static str {
    let msg = r.message.as_deref().unwrap_or("");
    match (r.checker, r.outcome) {
        (Checker::RealReplay, Outcome::Race) => {
            "gdb held charon's reloading thread inside set_subject after it freed the old identity \
             and before it stored the new pointer; the reader thread (list-certs or IKE_AUTH's \
             lookup) loaded the freed address from the shared cert and read the freed block (a \
             use-after-free in stock charon)"
        }
        (Checker::RealReplay, Outcome::Pass) => {
            "gdb held charon's reloading thread after the store's add_cert_ref; every identity the \
             reader thread (list-certs or IKE_AUTH's lookup) loaded was live"
        }
        (Checker::RealHelgrind, Outcome::Race) => {
            "helgrind reported a write of the subject pointer in set_subject and a read of it from \
             list-certs that no lock it saw orders (a data race on the pointer; helgrind does not \
             report the free, so this row alone shows no dereference of a freed identity)"
        }
        (_, Outcome::Race) if msg.contains("Causality violation") => {
            "loom found two accesses to the same subject, one a write, that no lock or atomic orders: \
             on a real machine they can overlap, so the reader can dereference an identity that \
             set_subject is freeing or has freed (a use-after-free in charon)"
        }
        (_, Outcome::Race) if msg.contains(swan_credstore::heap::UAF) => {
            "a reader dereferenced an identity after set_subject had freed it (a use-after-free in charon)"
        }
        (_, Outcome::Race) => "a reader observed a subject that was never stored (a torn read)",
        (_, Outcome::Duplicates) => {
            "the store holds equal certificate objects more than once: the leak, one more object per \
             key per reload, hidden from list-certs because it merges equal entries"
        }
        (_, Outcome::Leak) => "an object was still allocated when the scenario ended",
        (_, Outcome::Pass | Outcome::NotRun) => "",
        (_, Outcome::Error) => "the run failed for a reason the project does not expect (see message)",
        (_, Outcome::Vacuous) => {
            "the checker saw nothing of the subjects, so its pass would prove nothing (see message)"
        }
    }
}

/// Names of the model threads in spawn order: loom's `thread #0` is the model's main
/// thread, `thread #N` the N-th spawned one.
pub fn thread_names(steps: &[StepRecord]) -> Vec<String> {
    std::iter::once("main".to_string())
        .chain(
            steps
                .iter()
                .filter(|s| s.kind == StepKind::Spawn)
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
