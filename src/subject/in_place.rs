//! [`InPlace`]: strongSwan's pre-fix `pubkey_cert.set_subject()`, racy by design.

use super::{Design, MutableSubject, SubjectCell, Variant};
use crate::heap::Tracked;
use crate::identity::Identity;
use crate::sync::UnsafeCell;
use crate::trace::{self, StepKind};

/// The subject as a plain pointer field, replaced in two unsynchronised steps:
/// destroy the current identity, then store a clone of the new one
/// (`src/libstrongswan/plugins/pubkey/pubkey_cert.c`, `set_subject`, strongSwan ≤ 6.0.0).
///
/// # Guarantees
/// None across threads. A reader that runs while [`set`](MutableSubject::set) does may
/// read the freed identity or the pointer mid-update. Under loom that is reported as a
/// causality violation on the pointer field or on the freed identity; under any
/// backend a read of the freed identity trips the [`crate::heap`] oracle. Never run
/// it on real threads (`stress` refuses to).
///
/// Freed identities keep their memory in an arena until the cell drops, so that the
/// checkers can observe the late read without the model itself being unsound.
pub struct InPlace {
    current: UnsafeCell<*const Tracked<Identity>>,
    // Boxed so that each identity keeps its address while the vector grows.
    #[allow(clippy::vec_box)]
    arena: std::sync::Mutex<Vec<Box<Tracked<Identity>>>>,
}

// SAFETY: the raw pointer always points into `arena`, which lives as long as the cell;
// concurrent access to the pointer is exactly what the checkers are asked to find.
unsafe impl Send for InPlace {}
// SAFETY: as above.
unsafe impl Sync for InPlace {}

impl InPlace {
    /// Moves `id` into the arena and returns its stable address. The arena's std mutex
    /// is an allocator stand-in, invisible to the checkers (like `malloc`'s own lock).
    fn alloc(&self, id: Identity) -> *const Tracked<Identity> {
        let boxed = Box::new(Tracked::identity(id));
        let ptr: *const Tracked<Identity> = &*boxed;
        self.arena
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(boxed);
        ptr
    }

    fn load(&self, owner: &dyn std::fmt::Display) -> &Tracked<Identity> {
        trace::step(StepKind::Load, "load subject pointer", || field(owner));
        // SAFETY: a read access of the field through the facade.
        let ptr = self.current.with(|p| unsafe { *p });
        // SAFETY: every pointer stored in `current` points into `arena`.
        unsafe { &*ptr }
    }
}

impl SubjectCell for InPlace {
    const DESIGN: Design = Design::Matrix(Variant::InPlace);

    fn new(subject: Identity) -> Self {
        let cell = InPlace {
            current: UnsafeCell::new(std::ptr::null()),
            arena: std::sync::Mutex::new(Vec::new()),
        };
        let ptr = cell.alloc(subject);
        // SAFETY: not shared yet.
        cell.current.with_mut(|p| unsafe { *p = ptr });
        cell
    }

    fn read<R>(
        &self,
        op: &'static str,
        owner: &dyn std::fmt::Display,
        f: impl FnOnce(&Identity) -> R,
    ) -> R {
        self.load(owner).read_traced(op, owner, f)
    }
}

impl MutableSubject for InPlace {
    fn set(&self, subject: &Identity, owner: &dyn std::fmt::Display) {
        let old = self.load(owner);
        trace::step(StepKind::Free, "set_subject: destroy old subject", || {
            (old.tag(), format!("{owner} subject {}", old.label()))
        });
        old.retire();
        let new = self.alloc(subject.clone());
        trace::step(StepKind::Write, "set_subject: store clone", || {
            // SAFETY: `new` points into the arena.
            stored(owner, unsafe { &*new })
        });
        // SAFETY: a write access of the field through the facade.
        self.current.with_mut(|p| unsafe { *p = new });
    }
}

/// The step text of a pointer load: the cert, and its subject field.
fn field(owner: &dyn std::fmt::Display) -> (String, String) {
    (owner.to_string(), format!("{owner}.subject"))
}

/// The step text of a pointer store: the new identity, and what was stored where.
fn stored(owner: &dyn std::fmt::Display, new: &Tracked<Identity>) -> (String, String) {
    (new.tag(), format!("{owner} subject := {}", new.label()))
}
