//! [`Epoch`]: the subject behind a `crossbeam_epoch::Atomic`, freed by epoch reclamation.

use super::{Design, Variant};
use super::{MutableSubject, SubjectCell};
use crate::heap::Tracked;
use crate::identity::Identity;
use crate::trace::{self, AtomicOrdering, StepKind};
use crossbeam_epoch::{self as epoch, Atomic, Owned};
use std::sync::atomic::Ordering;

/// Epoch-based reclamation: readers pin the current epoch and read the identity the
/// atomic pointer points to; the setter swaps in a new identity and hands the old one to
/// `defer_destroy`, which frees it only once every thread pinned before the swap has
/// unpinned.
///
/// # Guarantees
/// A reader sees exactly one of the stored identities, whole, and never a freed one;
/// neither side blocks. Reclamation is delayed, so replaced identities linger until the
/// epoch advances (bounded, not immediate).
///
/// # Under the checkers
/// * loom: only with `--cfg loom --cfg crossbeam_loom` and this crate's `crossbeam-loom`
///   feature, which builds crossbeam-epoch on loom's primitives, so loom explores the
///   reclamation itself. Without them (plain `--cfg loom`) this type does not exist,
///   since crossbeam's real atomics would be invisible to loom. The state space is
///   large; those runs use a preemption bound of 2, as crossbeam's own CI does.
/// * shuttle: crossbeam-epoch runs unmodified (its atomics are not scheduling points and
///   all shuttle threads share one OS thread's participant, which only makes
///   reclamation more conservative); shuttle checks the design, not crossbeam.
pub struct Epoch {
    ptr: Atomic<Tracked<Identity>>,
}

impl SubjectCell for Epoch {
    const DESIGN: Design = Design::Matrix(Variant::Epoch);
    const DEFERS_FREES: bool = true;

    fn new(subject: Identity) -> Self {
        Epoch {
            ptr: Atomic::new(Tracked::identity(subject)),
        }
    }

    fn read<R>(
        &self,
        op: &'static str,
        owner: &dyn std::fmt::Display,
        f: impl FnOnce(&Identity) -> R,
    ) -> R {
        let guard = epoch::pin();
        let current = self.ptr.load(Ordering::Acquire, &guard);
        // SAFETY: the pointer is never null, and the guard keeps what it points to from
        // being destroyed until the guard is dropped.
        let tracked = unsafe { current.deref() };
        tracked.read_traced(op, owner, f)
    }
}

impl MutableSubject for Epoch {
    fn set(&self, subject: &Identity, owner: &dyn std::fmt::Display) {
        let new = Owned::new(Tracked::identity(subject.clone()));
        let guard = epoch::pin();
        let old = self.ptr.swap(new, Ordering::AcqRel, &guard);
        trace::step(
            StepKind::Atomic {
                ordering: AtomicOrdering::AcqRel,
            },
            "set_subject (epoch): swap, defer destroy of old",
            || {
                // SAFETY: `old` was the live pointer; the guard is pinned.
                let old = unsafe { old.deref() };
                (old.tag(), format!("{owner} subject {}", old.label()))
            },
        );
        // SAFETY: `old` is unlinked; threads that may still read it are pinned, and the
        // destroy runs only after they unpin.
        unsafe { guard.defer_destroy(old) };
    }
}

impl Drop for Epoch {
    fn drop(&mut self) {
        // SAFETY: `&mut self`: no other thread can load the pointer any more.
        unsafe {
            let guard = epoch::unprotected();
            let current = self.ptr.load(Ordering::Relaxed, guard);
            drop(current.into_owned());
        }
    }
}
