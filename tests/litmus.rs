//! The strongSwan race as a litmus test: plain loom, two threads, no project code.
//!
//! An identity's free is a write loom can see (`destroy` writes a `freed` flag that every
//! read reads), so "a read not ordered with the free" is a loom causality violation.
//!
//! In place (`set_subject` before 6.0.1), the cert's subject pointer changed under readers:
//!
//! | Writer (`set_subject`)            | Reader (IKE lookup, `list-certs`) |
//! |-----------------------------------|-----------------------------------|
//! | W1: `ids[0].destroy()` (free old) | R1: `s = subject` (load pointer)  |
//! | W2: `subject = 1` (store new)     | R2: `ids[s].read()` (read it)     |
//!
//! Forbidden: the reader reads the identity after (or while) the writer freed it, i.e.
//! R2 reads `ids[0]` with W1 not ordered before it. Nothing orders W1/W2 with R1/R2, so
//! loom reports it (`Causality violation`) in the first execution it tries.
//!
//! Copy-on-write twin: the identity is never changed; a new one is published.
//!
//! | Writer                                         | Reader                        |
//! |------------------------------------------------|-------------------------------|
//! | W1: `new = Arc::new(Identity)` (build)         | R1: `id = lock(slot).clone()` |
//! | W2: `old = replace(lock(slot), new)` (publish) | R2: `id.read()`               |
//! | W3: `drop(old)` (frees only if last holder)    | R3: `drop(id)`                |
//!
//! The free is the `Identity`'s drop, run by whoever holds the last `Arc`; `Arc`'s
//! release/acquire count orders it after every reader's read. loom explores every
//! interleaving of the two threads (main is the reader), with no preemption bound, and
//! finds none that breaks it. loom does not return a count, so `explore` counts the
//! executions (calls of the model closure); the count is printed, and checked against
//! the note's block.
//!
//! Negative control for that pass, `swap_then_free` (the `naive_swap` design): the same
//! twin, but W3 is `old.destroy()`, a free while a reader may still hold `old`. The lock
//! orders R1 before W2 or after it, but not R2 (after the reader unlocked) with W3, and
//! loom reports the same forbidden outcome.
//!
//! Run: `RUSTFLAGS="--cfg loom" CARGO_TARGET_DIR=target/loom cargo test --release --test
//! litmus -- --nocapture`. Nothing here depends on crossbeam, so the
//! `--cfg crossbeam_loom` build skips this file (it would run the same code again).
//!
//! The file also checks that `notes/reading-loom.md`'s excerpts are current: the litmus
//! block (what this file prints), and the loom rows and shuttle timeline copied from
//! `notes/results.md` (whose own currency the matrix tests check). `LITMUS_WRITE_NOTES=1`
//! rewrites the blocks instead of comparing them.
#![cfg(all(loom, not(crossbeam_loom)))]

use loom::cell::UnsafeCell;
use loom::sync::{Arc, Mutex};
use loom::thread;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::sync::OnceLock;
use swan_credstore_models::report::blocks;

/// An identity whose free loom can see: `destroy` writes `freed`, `read` reads it.
struct Identity {
    freed: UnsafeCell<bool>,
}

impl Identity {
    fn new() -> Self {
        Identity {
            freed: UnsafeCell::new(false),
        }
    }
    fn destroy(&self) {
        self.freed.with_mut(|f| unsafe { *f = true });
    }
    fn read(&self) {
        self.freed
            .with(|f| assert!(!unsafe { *f }, "read after free"));
    }
}

impl Drop for Identity {
    fn drop(&mut self) {
        // The drop is the free. Not while unwinding from loom's report: a second
        // panic there would abort the test binary.
        if !std::thread::panicking() {
            self.destroy();
        }
    }
}

/// In place: the subject "pointer" is an index into the cert's two identities.
struct InPlaceCert {
    ids: [Identity; 2],
    subject: UnsafeCell<usize>,
}

fn in_place() {
    let cert = Arc::new(InPlaceCert {
        ids: [Identity::new(), Identity::new()],
        subject: UnsafeCell::new(0),
    });
    let w = cert.clone();
    let writer = thread::spawn(move || {
        w.ids[0].destroy(); // W1: free the old identity
        w.subject.with_mut(|s| unsafe { *s = 1 }); // W2: store the new one
    });
    let s = cert.subject.with(|s| unsafe { *s }); // R1: load the pointer
    cert.ids[s].read(); // R2: read the identity
    writer.join().unwrap();
}

fn copy_on_write() {
    let slot = Arc::new(Mutex::new(Arc::new(Identity::new())));
    let w = slot.clone();
    let writer = thread::spawn(move || {
        let new = Arc::new(Identity::new()); // W1: build the new identity
        let old = std::mem::replace(&mut *w.lock().unwrap(), new); // W2: publish it
        drop(old); // W3: the old one is freed by its last holder
    });
    let id = slot.lock().unwrap().clone(); // R1: load the pointer (take a reference)
    id.read(); // R2: read the identity
    drop(id); // R3
    writer.join().unwrap();
}

/// The twin broken on purpose (the `naive_swap` design): publish as in the twin, then
/// free the old identity at once, though a reader may have taken it before the swap.
fn swap_then_free() {
    let slot = Arc::new(Mutex::new(Arc::new(Identity::new())));
    let w = slot.clone();
    let writer = thread::spawn(move || {
        let old = std::mem::replace(&mut *w.lock().unwrap(), Arc::new(Identity::new()));
        old.destroy(); // frees it whoever still holds it
    });
    let id = slot.lock().unwrap().clone();
    id.read();
    drop(id);
    writer.join().unwrap();
}

thread_local! {
    /// Set while [`explore`] runs on this thread: its expected panic is not printed.
    static QUIET: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// What loom concluded for one body: executions started, and the panic if one failed.
#[derive(Debug, Clone)]
struct Verdict {
    executions: usize,
    panic: Option<String>,
}

/// Runs `body` under loom, exhaustively (no preemption bound, whatever the environment
/// says), with source locations, counting executions; a failure is caught, not raised.
fn explore(body: fn()) -> Verdict {
    let count = std::sync::Arc::new(AtomicUsize::new(0));
    let c = count.clone();
    let mut builder = loom::model::Builder::new();
    builder.preemption_bound = None;
    builder.max_permutations = None;
    builder.max_duration = None;
    builder.checkpoint_file = None;
    builder.location = true;
    static HOOK: std::sync::Once = std::sync::Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !QUIET.with(|q| q.get()) {
                previous(info);
            }
        }));
    });
    QUIET.with(|q| q.set(true));
    let run = std::panic::catch_unwind(move || {
        builder.check(move || {
            c.fetch_add(1, Relaxed);
            body();
        })
    });
    QUIET.with(|q| q.set(false));
    let panic = run.err().map(|p| {
        p.downcast_ref::<String>()
            .cloned()
            .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_else(|| "(no message)".into())
    });
    Verdict {
        executions: count.load(Relaxed),
        panic,
    }
}

/// The three verdicts (in place, twin, twin broken), computed once per test binary.
fn verdicts() -> &'static (Verdict, Verdict, Verdict) {
    static V: OnceLock<(Verdict, Verdict, Verdict)> = OnceLock::new();
    V.get_or_init(|| {
        (
            explore(in_place),
            explore(copy_on_write),
            explore(swap_then_free),
        )
    })
}

#[test]
fn loom_catches_the_in_place_set_subject() {
    let (v, _, _) = verdicts();
    let msg = v
        .panic
        .as_deref()
        .expect("loom must reject the in-place free");
    assert_is_the_forbidden_outcome(msg);
    // A data race needs no unlucky schedule: the first execution already has it.
    assert_eq!(v.executions, 1, "{msg}");
}

#[test]
fn copy_on_write_passes_every_interleaving() {
    let (_, v, _) = verdicts();
    assert_eq!(v.panic, None, "copy-on-write must pass");
    // More than one execution: loom did branch on the lock and the counts.
    assert!(v.executions > 1, "explored {}", v.executions);
}

/// Negative control for the twin's pass: the same exploration, with the old identity
/// freed at once instead of by its last holder, is caught, for the same reason. The
/// lock orders the reader's `clone` before the swap, but not its read after unlocking.
#[test]
fn loom_catches_the_twin_when_it_frees_at_once() {
    let (_, _, v) = verdicts();
    let msg = v
        .panic
        .as_deref()
        .expect("loom must reject freeing at once");
    assert_is_the_forbidden_outcome(msg);
}

/// `file:line:` of the first line of this file containing `needle`.
fn at(needle: &str) -> String {
    let src = read(file!());
    let n = src.lines().position(|l| l.contains(needle)).expect(needle);
    format!("{}:{}:", file!(), n + 1)
}

/// loom's report is a causality violation between the writer's free (`destroy`) and
/// the reader's read of the identity: the forbidden outcome, not some other access.
fn assert_is_the_forbidden_outcome(msg: &str) {
    assert!(msg.contains("Causality violation"), "wrong reason: {msg}");
    let read = format!("read: thread #0 @ {}", at(".with(|f| assert!"));
    let free = format!("write: thread #1 @ {}", at("self.freed.with_mut("));
    assert!(
        msg.contains(&read) && msg.contains(&free),
        "not the free and the read ({read}, {free}): {msg}"
    );
    assert!(
        !msg.contains("read after free"),
        "loom, not the assert: {msg}"
    );
}

/// The litmus block of reading-loom.md: the three verdicts as this file prints them.
fn litmus_block() -> String {
    let (bad, good, broken) = verdicts();
    let failed = |name: &str, v: &Verdict| {
        let msg = v.panic.as_deref().unwrap_or("(no failure)").trim();
        format!("{name}: failed at execution #{}\n{msg}\n", v.executions)
    };
    format!(
        "```text\n{}\ncopy_on_write: pass, {} executions (2 threads, no preemption bound: \
         every interleaving)\n\n{}```\n",
        failed("in_place", bad),
        good.executions,
        failed("swap_then_free", broken)
    )
}

#[test]
fn print_the_litmus_verdicts() {
    print!("{}", litmus_block());
}

const NOTE: &str = "notes/reading-loom.md";

fn read(rel: &str) -> String {
    let path = format!("{}/{rel}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The matrix rows of results.md that reading-loom.md quotes, with the table's head.
const QUOTED_ROWS: &[&str] = &[
    "| reload_vs_lookup | in_place | pre_fix | loom |",
    "| reload_vs_lookup | locked | pre_fix | loom |",
    "| reload_vs_lookup | copy_on_write | pre_fix | loom |",
    "| reload_vs_lookup | immutable | upstream_fix | loom |",
    "| reload_vs_list_certs | copy_on_write | pre_fix | loom |",
];

fn loom_rows_block(results: &str) -> String {
    let mut out: Vec<&str> = results
        .lines()
        .skip_while(|l| !l.starts_with("| scenario |"))
        .take(2)
        .collect();
    for row in QUOTED_ROWS {
        out.extend(results.lines().find(|l| l.starts_with(row)));
    }
    out.join("\n") + "\n"
}

/// The shuttle timeline: the text fence under results.md's heading for that row.
const SHUTTLE_ROW: &str = "### storm × in_place × pre_fix [shuttle_pct]";

fn shuttle_block(results: &str) -> String {
    let after = results.split(SHUTTLE_ROW).nth(1).unwrap_or("");
    let body = after
        .split("```text\n")
        .nth(1)
        .and_then(|t| t.split("```").next())
        .unwrap_or("");
    format!("```text\n{body}```\n")
}

/// Every block of `note` whose content differs from `want`, as "NAME: why".
fn stale(note: &str, want: &[(&str, String)]) -> Vec<String> {
    want.iter()
        .filter_map(|(name, now)| match blocks::content(note, name) {
            None => Some(format!("{name}: no block")),
            Some(c) if c != now => Some(format!("{name}: stale; now:\n{now}")),
            Some(_) => None,
        })
        .collect()
}

fn wanted() -> Vec<(&'static str, String)> {
    let results = read("notes/results.md");
    vec![
        ("litmus", litmus_block()),
        ("loom-rows", loom_rows_block(&results)),
        ("shuttle-storm", shuttle_block(&results)),
    ]
}

#[test]
fn reading_loom_excerpts_are_current() {
    let want = wanted();
    // The sources must have what is quoted: an empty quote would compare equal to itself.
    assert_eq!(
        want[1].1.lines().count(),
        2 + QUOTED_ROWS.len(),
        "{}",
        want[1].1
    );
    assert!(want[2].1.contains("[shuttle_pct]: race"), "{}", want[2].1);
    let mut note = read(NOTE);
    if std::env::var_os("LITMUS_WRITE_NOTES").is_some() {
        for (name, content) in &want {
            note = blocks::splice(&note, name, content).unwrap();
        }
        let path = format!("{}/{NOTE}", env!("CARGO_MANIFEST_DIR"));
        std::fs::write(path, &note).unwrap();
    }
    let bad = stale(&note, &want);
    assert!(
        bad.is_empty(),
        "{NOTE} (LITMUS_WRITE_NOTES=1 rewrites):\n{}",
        bad.join("\n")
    );
}

/// Negative control: the same comparison reports a changed figure and a missing block.
#[test]
fn a_stale_excerpt_is_reported() {
    let want = wanted();
    let mut note = String::new();
    for (name, content) in &want {
        note = format!(
            "{note}{}\n{content}{}\n",
            blocks::open(name),
            blocks::close(name)
        );
    }
    assert!(stale(&note, &want).is_empty());
    let changed = note.replacen("pass, ", "pass, 1", 1);
    assert_eq!(stale(&changed, &want).len(), 1, "a changed count");
    let gone = note.replace(&blocks::open("shuttle-storm"), "");
    assert_eq!(stale(&gone, &want), ["shuttle-storm: no block"]);
}
