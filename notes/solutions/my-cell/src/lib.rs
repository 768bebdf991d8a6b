//! A user's own subject cells, written against swan-credstore's public traits only
//! (exercise 2 of `notes/exercises.md`).
//!
//! * [`SnapshotCell`] — a correct design: an `RwLock` around an `Arc<Identity>`. A reader
//!   clones the `Arc` under the read lock and reads the identity with no lock held; the
//!   setter swaps in a new `Arc` under the write lock. The old identity is freed when the
//!   last snapshot drops, never under a reader.
//! * [`HalfLocked`] — the broken variant: the setter takes a lock, the reader does not.
//!   It is strongSwan's mistake in miniature (the store's lock is taken, the subject's
//!   writer takes none), and loom must catch it.
//!
//! Everything shared between threads comes from `swan_credstore::sync`, so the same code
//! runs on std, loom and shuttle.

use swan_credstore::sync::{self, Arc, Mutex, RwLock, UnsafeCell};
use swan_credstore::{Design, Identity, MutableSubject, SubjectCell};

/// A correct cell: snapshot under a read lock, replace under the write lock.
pub struct SnapshotCell(RwLock<Arc<Identity>>);

impl SubjectCell for SnapshotCell {
    const DESIGN: Design = Design::Custom("my_snapshot");

    fn new(subject: Identity) -> Self {
        SnapshotCell(RwLock::new(Arc::new(subject)))
    }

    fn read<R>(
        &self,
        _op: &'static str,
        _owner: &dyn std::fmt::Display,
        f: impl FnOnce(&Identity) -> R,
    ) -> R {
        // Hold the lock only long enough to take a reference; read without it.
        let snapshot = sync::read(&self.0).clone();
        f(&snapshot)
    }
}

impl MutableSubject for SnapshotCell {
    fn set(&self, subject: &Identity, _owner: &dyn std::fmt::Display) {
        let fresh = Arc::new(subject.clone());
        let old = std::mem::replace(&mut *sync::write(&self.0), fresh);
        // The old identity is freed here only if no reader holds a snapshot of it.
        drop(old);
    }
}

/// A broken cell: the setter serialises with other setters, the reader takes no lock.
pub struct HalfLocked {
    writers: Mutex<()>,
    subject: UnsafeCell<Identity>,
}

// SAFETY: deliberately unsound across threads (readers are not excluded); only ever run
// under loom, which must report it.
unsafe impl Sync for HalfLocked {}

impl SubjectCell for HalfLocked {
    const DESIGN: Design = Design::Custom("my_half_locked");

    fn new(subject: Identity) -> Self {
        HalfLocked {
            writers: Mutex::new(()),
            subject: UnsafeCell::new(subject),
        }
    }

    fn read<R>(
        &self,
        _op: &'static str,
        _owner: &dyn std::fmt::Display,
        f: impl FnOnce(&Identity) -> R,
    ) -> R {
        // SAFETY: none across threads: see the type's docs.
        self.subject.with(|p| f(unsafe { &*p }))
    }
}

impl MutableSubject for HalfLocked {
    fn set(&self, subject: &Identity, _owner: &dyn std::fmt::Display) {
        let _guard = sync::lock(&self.writers);
        // SAFETY: excludes other writers only; see the type's docs.
        self.subject.with_mut(|p| unsafe { *p = subject.clone() });
    }
}
