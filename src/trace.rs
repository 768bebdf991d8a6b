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

use std::cell::RefCell;
use std::panic::Location;
pub use swan_credstore_vocab::{AtomicOrdering, Lock, Mode, StepKind};

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
            ..Recorder::default()
        }
    });
}

/// Stops recording and returns the steps recorded since [`start`].
pub fn finish() -> Vec<Step> {
    RECORDER.with(|r| {
        let mut r = r.borrow_mut();
        r.active = false;
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
        });
    });
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
