//! The step recorder behind every counterexample timeline.
//!
//! Model code calls [`step`] at each point a reviewer needs to see (a cert wrapped, a
//! store lock taken, a subject read or freed). While a recording is active on the current
//! OS thread, the step is appended with the name of the model thread that made it.
//!
//! # Invisible to the checkers
//! The recorder lives in a `std` thread-local and uses no facade primitive, so it adds
//! no synchronisation that loom can see: loom (and shuttle) run every model thread as a
//! coroutine on the OS thread that called the checker, so they all append to the same
//! recording, and loom explores exactly the interleavings it would without it. A test
//! (`tests/recorder_invisible.rs`) compares interleaving counts with and without it.
//! On real threads (stress runs) each OS thread has its own, normally inactive, recording.
//!
//! Serial numbers (`cert#2`, `id#5`) come from the same thread-local and restart at
//! every [`start`], so the same interleaving always gets the same labels.
//!
//! Two more things are attached to a thread's latest step, by the facade itself:
//! * every tracked access (`UnsafeCell::with` / `with_mut`) with its call site
//!   ([`access`]), the location loom's causality reports name, so a report maps to the
//!   steps that made its two accesses;
//! * every lock acquire and release, spawn and join ([`sync`]), with its place in the
//!   interleaving, from which the report layer computes happens-before.

use std::cell::RefCell;
use std::panic::Location;
pub use swan_credstore_vocab::{AtomicOrdering, Lock, Mode, StepKind, SyncKind};

/// One model step of a timeline.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    /// Position in the interleaving, from 1.
    pub seq: usize,
    /// Model thread that made the step (`vici-1`, `ike-1`, `main`, ...).
    pub thread: String,
    /// What the step did, for renderers and checks (which never look at `op`'s text).
    pub kind: StepKind,
    /// What happened, as a short verb phrase for people (`set_subject: free subject`).
    pub op: &'static str,
    /// The object the step acted on (`id#3`, `cert#2`), when it names one.
    pub object: Option<String>,
    /// The objects involved (`cert#2 subject id#3 = fqdn:peer.example.org`).
    pub detail: String,
    /// Where in the model's source the step was recorded.
    pub at: &'static Location<'static>,
    /// The tracked accesses the step stands for: each facade `UnsafeCell` access the
    /// thread made after this step and before its next one ([`access`]). A checker's
    /// report names accesses by these locations, so a report maps to its steps exactly.
    pub accesses: Vec<Access>,
    /// The synchronisation the thread did after this step and before its next one
    /// ([`sync`]): what a happens-before explanation is computed from.
    pub syncs: Vec<SyncEvent>,
}

/// A synchronisation event of a model thread, recorded by the facade.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyncEvent {
    /// Steps recorded (by any thread) before it: it happened between step `after` and
    /// step `after + 1` of the interleaving.
    pub after: usize,
    /// Its place among all the recording's events (from 1): events between the same
    /// two steps keep their order.
    pub order: usize,
    /// What happened.
    pub kind: SyncKind,
}

/// One tracked access of a facade `UnsafeCell`: where it was made, and how.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Access {
    /// The call of `with` / `with_mut` (what loom's report names).
    pub at: &'static Location<'static>,
    /// `with_mut` (a write) or `with` (a read).
    pub write: bool,
    /// Which cell: its number from [`next_cell`], given when it was made (0: made
    /// while no recording was active).
    pub cell: usize,
}

/// A step's text: its detail, and optionally the object it acted on. A `String` is a
/// detail alone; `(object, detail)` names the object too.
pub struct Detail {
    object: Option<String>,
    text: String,
}

impl From<String> for Detail {
    fn from(text: String) -> Self {
        Detail { object: None, text }
    }
}

impl From<(String, String)> for Detail {
    fn from((object, text): (String, String)) -> Self {
        Detail {
            object: Some(object),
            text,
        }
    }
}

impl std::fmt::Display for Step {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{:>3}. [{}] {}: {}",
            self.seq, self.thread, self.op, self.detail
        )
    }
}

#[derive(Default)]
struct Recorder {
    active: bool,
    steps: Vec<Step>,
    serial: u64,
    /// Lock identities in order of first use: a lock's instance number is its index + 1.
    locks: Vec<usize>,
    /// Cells made so far in this recording.
    cells: usize,
    /// Atomic values in order of first appearance: a value's number is its index + 1.
    values: Vec<usize>,
    /// Synchronisation events recorded so far.
    events: usize,
    /// Whether [`Tracked`](crate::heap::Tracked) objects are being counted: from
    /// [`start`] to [`finish`], also while suspended.
    counting: bool,
    /// Tracked objects made minus those dropped since [`start`].
    alive: i64,
    /// Tracked objects freed while steps were recorded (not in the scenario's cleanup).
    freed: u64,
}

impl Recorder {
    /// The current model thread's latest step.
    fn latest(&mut self, thread: &str) -> Option<&mut Step> {
        self.steps.iter_mut().rev().find(|s| s.thread == thread)
    }
}

thread_local! {
    static RECORDER: RefCell<Recorder> = RefCell::new(Recorder::default());
}

/// Starts a fresh recording on this OS thread (drops any previous one and restarts
/// serial numbers).
pub fn start() {
    RECORDER.with(|r| {
        *r.borrow_mut() = Recorder {
            active: true,
            counting: true,
            ..Recorder::default()
        }
    });
}

/// Stops recording and returns the steps recorded since [`start`].
pub fn finish() -> Vec<Step> {
    RECORDER.with(|r| {
        let mut r = r.borrow_mut();
        r.active = false;
        r.counting = false;
        std::mem::take(&mut r.steps)
    })
}

/// Stops recording new steps but keeps those recorded, for [`finish`]. Scenarios call
/// it once their threads are joined, so that their final checks do not clutter a
/// counterexample.
pub fn suspend() {
    RECORDER.with(|r| r.borrow_mut().active = false);
}

/// Returns a copy of the steps recorded so far without stopping.
pub fn snapshot() -> Vec<Step> {
    RECORDER.with(|r| r.borrow().steps.clone())
}

/// Runs `f` on the steps recorded so far (no copy, no stop).
pub fn inspect<R>(f: impl FnOnce(&[Step]) -> R) -> R {
    RECORDER.with(|r| f(&r.borrow().steps))
}

/// Whether a recording is active on this OS thread.
pub fn is_active() -> bool {
    RECORDER.with(|r| r.borrow().active)
}

/// Records a step of `kind` made by the current model thread, at the caller's source
/// location. `detail` is only evaluated while a recording is active, so an inactive
/// recorder costs one thread-local read.
///
/// Steps are not recorded while the thread unwinds: what destructors do after a failure
/// is not part of the interleaving that failed (and differs between a run and its replay).
#[track_caller]
pub fn step<D: Into<Detail>>(kind: StepKind, op: &'static str, detail: impl FnOnce() -> D) {
    if !is_active() || std::thread::panicking() {
        return;
    }
    let at = Location::caller();
    let thread = crate::sync::thread::current_name();
    let Detail { object, text } = detail().into();
    RECORDER.with(|r| {
        let mut r = r.borrow_mut();
        let seq = r.steps.len() + 1;
        r.steps.push(Step {
            seq,
            thread,
            kind,
            op,
            object,
            detail: text,
            at,
            accesses: Vec::new(),
            syncs: Vec::new(),
        });
    });
}

/// Attaches a tracked access of cell number `cell` ([`next_cell`]), made at `at`, to the current model thread's latest step
/// (the step that announced it). The facade's `UnsafeCell::with` / `with_mut` call it
/// on every backend; it uses no facade primitive, so, like [`step`], the checkers do
/// not see it. Ignored when no recording is active, while unwinding, and before the
/// thread's first step.
pub fn access(at: &'static Location<'static>, write: bool, cell: usize) {
    if !is_active() || std::thread::panicking() {
        return;
    }
    let thread = crate::sync::thread::current_name();
    RECORDER.with(|r| {
        if let Some(s) = r.borrow_mut().latest(&thread) {
            s.accesses.push(Access { at, write, cell });
        }
    });
}

/// What [`sync`] records: a lock event (the lock's identity, a number unique in the
/// process that the facade gives each lock, and the mode), a spawn or a join.
pub enum SyncOp {
    /// The lock with this identity was acquired.
    Acquire(usize, Mode),
    /// The lock with this identity is released.
    Release(usize, Mode),
    /// A thread of this name is spawned.
    Spawn(String),
    /// A thread of this name was joined.
    Join(String),
    /// An atomic store of this pointer value, with this ordering.
    AtomicStore(usize, AtomicOrdering),
    /// An atomic load that returned this pointer value, with this ordering.
    AtomicLoad(usize, AtomicOrdering),
}

/// Attaches a synchronisation event to the current model thread's latest step, with
/// its position in the interleaving. The facade's lock helpers, `spawn_named` and
/// `join` call it; like [`step`], it uses no facade primitive. Ignored when no
/// recording is active, while unwinding, and before the thread's first step.
pub fn sync(event: SyncOp) {
    if !is_active() || std::thread::panicking() {
        return;
    }
    let thread = crate::sync::thread::current_name();
    RECORDER.with(|r| {
        let mut r = r.borrow_mut();
        let mut instance = |addr: usize| match r.locks.iter().position(|&a| a == addr) {
            Some(i) => i + 1,
            None => {
                r.locks.push(addr);
                r.locks.len()
            }
        };
        let kind = match event {
            SyncOp::Acquire(addr, mode) => SyncKind::Acquire {
                lock: None,
                instance: instance(addr),
                mode,
            },
            SyncOp::Release(addr, mode) => SyncKind::Release {
                instance: instance(addr),
                mode,
            },
            SyncOp::Spawn(thread) => SyncKind::Spawn { thread },
            SyncOp::Join(thread) => SyncKind::Join { thread },
            SyncOp::AtomicStore(v, ordering) => SyncKind::AtomicStore {
                value: value(&mut r.values, v),
                ordering,
            },
            SyncOp::AtomicLoad(v, ordering) => SyncKind::AtomicLoad {
                value: value(&mut r.values, v),
                ordering,
            },
        };
        let after = r.steps.len();
        r.events += 1;
        let order = r.events;
        if let Some(s) = r.latest(&thread) {
            // A step announcing a lock names the first lock taken after it; locks taken
            // later inside the same step (a design's own) stay unnamed.
            let first = !s
                .syncs
                .iter()
                .any(|e| matches!(e.kind, SyncKind::Acquire { .. }));
            let kind = match (kind, s.kind) {
                (SyncKind::Acquire { instance, mode, .. }, StepKind::Acquire { lock, .. })
                    if first =>
                {
                    SyncKind::Acquire {
                        lock: Some(lock),
                        instance,
                        mode,
                    }
                }
                (kind, _) => kind,
            };
            s.syncs.push(SyncEvent { after, order, kind });
        }
    });
}

/// The number of pointer value `v` among `values` (from 1), added if new.
fn value(values: &mut Vec<usize>, v: usize) -> usize {
    match values.iter().position(|&x| x == v) {
        Some(i) => i + 1,
        None => {
            values.push(v);
            values.len()
        }
    }
}

/// A number for a facade `UnsafeCell` being made, from 1 in each recording (0 when no
/// recording is active): it names the cell in the accesses recorded later, wherever the
/// cell moves. Uses no facade primitive, so the checkers do not see it.
pub fn next_cell() -> usize {
    if !is_active() {
        return 0;
    }
    RECORDER.with(|r| {
        let mut r = r.borrow_mut();
        r.cells += 1;
        r.cells
    })
}

/// Counts a [`Tracked`](crate::heap::Tracked) object made (`+1`) or dropped (`-1`) on
/// this OS thread while a recording counts them. Uses no facade primitive.
pub fn count_tracked(delta: i64) {
    RECORDER.with(|r| {
        let mut r = r.borrow_mut();
        if r.counting {
            r.alive += delta;
        }
    })
}

/// Counts a [`Tracked`](crate::heap::Tracked) object freed (retired in place or
/// dropped) while steps are recorded. Uses no facade primitive.
pub fn count_free() {
    RECORDER.with(|r| {
        let mut r = r.borrow_mut();
        if r.active {
            r.freed += 1;
        }
    })
}

/// How many [`Tracked`](crate::heap::Tracked) objects were freed while steps were
/// recorded since [`start`] (the scenario's cleanup after [`suspend`] not included).
pub fn frees() -> u64 {
    RECORDER.with(|r| r.borrow().freed)
}

/// How many [`Tracked`](crate::heap::Tracked) objects made since [`start`] are still
/// alive, or `None` when no recording counts them. Meaningful under the model checkers,
/// which run every model thread on the OS thread that started the recording; real
/// threads (the stress checker) record nothing.
pub fn tracked_alive() -> Option<i64> {
    RECORDER.with(|r| {
        let r = r.borrow();
        r.counting.then_some(r.alive)
    })
}

/// Next serial number for labelling an object (`cert#N`, `id#N`). Deterministic per
/// recording; meaningless across OS threads.
pub fn next_serial() -> u64 {
    RECORDER.with(|r| {
        let mut r = r.borrow_mut();
        r.serial += 1;
        r.serial
    })
}
