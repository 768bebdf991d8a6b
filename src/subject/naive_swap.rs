//! [`NaiveSwap`]: an atomic pointer swap that frees the old identity at once — a
//! negative control.

use super::{Design, Variant};
use super::{MutableSubject, SubjectCell};
use crate::heap::Tracked;
use crate::identity::Identity;
use crate::sync::{AtomicPtr, Ordering};
use crate::trace::{self, AtomicOrdering, StepKind, SyncOp};

/// The subject as an `AtomicPtr`: the setter swaps in a new identity and frees the old
/// one immediately.
///
/// # Guarantees
/// None. The pointer itself is never torn (no data race on it), but a reader that loaded
/// the old pointer just before the swap dereferences freed memory: a use-after-free, the
/// very bug epoch reclamation and reference counting exist to prevent. Loom reports the
/// read as unordered with the free; the oracle reports it under shuttle. Never run on real
/// threads. Freed identities stay in an arena (as tombstones) until the cell drops.
pub struct NaiveSwap {
    ptr: AtomicPtr<Tracked<Identity>>,
    // Boxed so that each identity keeps its address while the vector grows.
    #[allow(clippy::vec_box)]
    arena: std::sync::Mutex<Vec<Box<Tracked<Identity>>>>,
}

impl NaiveSwap {
    fn alloc(&self, id: Identity) -> *mut Tracked<Identity> {
        let mut boxed = Box::new(Tracked::identity(id));
        let ptr: *mut Tracked<Identity> = &mut *boxed;
        self.arena
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(boxed);
        ptr
    }
}

/// The value the recorder is told a pointer of the cell holds: its identity's serial
/// number, not its address. Cells freed earlier in the execution leave addresses that a
/// later cell's identities may reuse, so addresses would make two identities one value
/// in some runs and not in others (measured: a storm counterexample that changed between
/// runs of `verify --repeat`).
fn value(p: *mut Tracked<Identity>) -> usize {
    // SAFETY: every pointer the cell holds points into its arena, which outlives it.
    unsafe { &*p }.serial() as usize
}

impl SubjectCell for NaiveSwap {
    const DESIGN: Design = Design::Matrix(Variant::NaiveSwap);

    fn new(subject: Identity) -> Self {
        let cell = NaiveSwap {
            ptr: AtomicPtr::new(std::ptr::null_mut()),
            arena: std::sync::Mutex::new(Vec::new()),
        };
        let p = cell.alloc(subject);
        cell.ptr.store(p, Ordering::Release);
        trace::sync(SyncOp::AtomicStore(value(p), AtomicOrdering::Release));
        cell
    }

    fn read<R>(
        &self,
        op: &'static str,
        owner: &dyn std::fmt::Display,
        f: impl FnOnce(&Identity) -> R,
    ) -> R {
        trace::step(
            StepKind::Atomic {
                ordering: AtomicOrdering::Acquire,
            },
            "load subject pointer (atomic)",
            || format!("{owner}.subject"),
        );
        let p = self.ptr.load(Ordering::Acquire);
        trace::sync(SyncOp::AtomicLoad(value(p), AtomicOrdering::Acquire));
        // SAFETY: every pointer stored points into `arena`, which outlives `self`.
        unsafe { &*p }.read_traced(op, owner, f)
    }
}

impl MutableSubject for NaiveSwap {
    fn set(&self, subject: &Identity, owner: &dyn std::fmt::Display) {
        let new = self.alloc(subject.clone());
        let old = self.ptr.swap(new, Ordering::AcqRel);
        trace::sync(SyncOp::AtomicLoad(value(old), AtomicOrdering::AcqRel));
        trace::sync(SyncOp::AtomicStore(value(new), AtomicOrdering::AcqRel));
        // SAFETY: both point into `arena`.
        let (old, new) = unsafe { (&*old, &*new) };
        trace::step(
            StepKind::Free,
            "set_subject (naive swap): swap, then free old at once",
            || {
                (
                    old.tag(),
                    format!("{owner} subject {} := {}", old.label(), new.label()),
                )
            },
        );
        old.retire();
    }
}
