//! [`CopyOnWrite`]: readers take a snapshot, the setter publishes a new one.

use super::{Design, Variant};
use super::{MutableSubject, SubjectCell};
use crate::heap::Tracked;
use crate::identity::Identity;
use crate::trace::{self, StepKind};

#[cfg(not(loom))]
type Slot = arc_swap::ArcSwap<Tracked<Identity>>;
#[cfg(loom)]
type Slot = crate::sync::Mutex<crate::sync::Arc<Tracked<Identity>>>;

/// Copy-on-write subject: [`read`](SubjectCell::read) takes a snapshot (`Arc`) of the
/// current identity and reads it with no lock held; [`set`](MutableSubject::set)
/// publishes a new `Arc`; the old identity is freed when its last snapshot is dropped.
///
/// # Backends
/// * std builds use [`arc_swap::ArcSwap`]: `load` (a guard, no refcount traffic in the
///   common case) and `store`.
/// * loom builds use a stand-in with the same contract built from loom's `Mutex` and
///   `Arc`, because arc-swap is not instrumented for loom. Loom therefore verifies the
///   **design** — snapshot semantics, and that the old identity is freed only after
///   every reader that loaded it has dropped its snapshot — but **not** arc-swap's
///   internals (its debt lists and hybrid reclamation). For those we rely on
///   arc-swap's own test suite, and the real-thread stress runs exercise the crate.
///
/// # Guarantees
/// A reader sees exactly one of the stored identities, whole, and never a freed one;
/// it never blocks the setter. It does not stop the pre-fix flow's duplicates.
pub struct CopyOnWrite {
    slot: Slot,
}

impl CopyOnWrite {
    #[cfg(not(loom))]
    fn wrap(id: Identity) -> Slot {
        arc_swap::ArcSwap::from_pointee(Tracked::identity(id))
    }

    #[cfg(loom)]
    fn wrap(id: Identity) -> Slot {
        crate::sync::Mutex::new(crate::sync::Arc::new(Tracked::identity(id)))
    }

    /// A full snapshot of the current identity (`ArcSwap::load_full`): an owned `Arc`
    /// that keeps this identity alive however often the subject is replaced.
    #[cfg(not(loom))]
    pub fn snapshot(&self) -> std::sync::Arc<Tracked<Identity>> {
        self.slot.load_full()
    }

    /// A per-reader cached snapshot ([`arc_swap::Cache`]): a reader thread keeps one and
    /// reads through [`CachedReader::read`], which costs one relaxed load of the slot's
    /// pointer (compared with the cached one) while the subject is unchanged, and a
    /// `load_full` only after a replacement. The cache holds a reference to the identity it last saw, so a
    /// replaced identity lives until each cache that saw it reads again or is dropped.
    /// std builds only (arc-swap is not instrumented for loom).
    #[cfg(not(loom))]
    pub fn cached(&self) -> CachedReader<'_> {
        CachedReader(arc_swap::Cache::new(&self.slot))
    }

    /// A full snapshot of the current identity (the loom stand-in's `load_full`).
    #[cfg(loom)]
    pub fn snapshot(&self) -> crate::sync::Arc<Tracked<Identity>> {
        crate::sync::lock(&self.slot).clone()
    }
}

/// A reader's cached view of a [`CopyOnWrite`] subject ([`CopyOnWrite::cached`]).
#[cfg(not(loom))]
pub struct CachedReader<'a>(
    arc_swap::Cache<&'a arc_swap::ArcSwap<Tracked<Identity>>, std::sync::Arc<Tracked<Identity>>>,
);

#[cfg(not(loom))]
impl CachedReader<'_> {
    /// Runs `f` on the current subject: the cached snapshot if the slot is unchanged,
    /// else a fresh one. Like [`SubjectCell::read`], `f` sees one stored identity, whole.
    pub fn read<R>(&mut self, f: impl FnOnce(&Identity) -> R) -> R {
        self.0.load().read(f)
    }
}

impl SubjectCell for CopyOnWrite {
    const DESIGN: Design = Design::Matrix(Variant::CopyOnWrite);

    fn new(subject: Identity) -> Self {
        CopyOnWrite {
            slot: Self::wrap(subject),
        }
    }

    #[cfg(not(loom))]
    fn read<R>(
        &self,
        op: &'static str,
        owner: &dyn std::fmt::Display,
        f: impl FnOnce(&Identity) -> R,
    ) -> R {
        let guard = self.slot.load();
        guard.read_traced(op, owner, f)
    }

    #[cfg(loom)]
    fn read<R>(
        &self,
        op: &'static str,
        owner: &dyn std::fmt::Display,
        f: impl FnOnce(&Identity) -> R,
    ) -> R {
        let snap = self.snapshot();
        trace::step(StepKind::Load, "snapshot subject", || {
            format!("{owner} -> {}", snap.label())
        });
        snap.read_traced(op, owner, f)
    }
}

impl MutableSubject for CopyOnWrite {
    fn set(&self, subject: &Identity, owner: &dyn std::fmt::Display) {
        let new = Tracked::identity(subject.clone());
        trace::step(
            StepKind::Write,
            "set_subject (copy-on-write): publish",
            || (new.tag(), format!("{owner} subject := {}", new.label())),
        );
        #[cfg(not(loom))]
        let old = self.slot.swap(std::sync::Arc::new(new));
        #[cfg(loom)]
        let old = std::mem::replace(
            &mut *crate::sync::lock(&self.slot),
            crate::sync::Arc::new(new),
        );
        trace::step(
            StepKind::Free,
            "set_subject (copy-on-write): release old snapshot",
            || (old.tag(), format!("{owner} subject {}", old.label())),
        );
        drop(old);
    }
}
