//! [`Locked`]: the subject behind a reader-writer lock.

use super::{Design, Variant};
use super::{MutableSubject, SubjectCell};
use crate::heap::Tracked;
use crate::identity::Identity;
use crate::sync::{self, RwLock};
use crate::trace::{self, StepKind};

/// The subject behind an `RwLock`: readers hold the read lock for the whole
/// comparison; the setter frees and replaces under the write lock.
///
/// # Guarantees
/// A reader sees exactly one of the identities ever stored, whole, and never a freed
/// one. Readers of one cert wait for its setter (and vice versa); the store's own lock
/// is not involved. It does not stop the pre-fix vici flow from storing duplicates:
/// that is a property of the flow, not of the cell.
pub struct Locked {
    subject: RwLock<Box<Tracked<Identity>>>,
}

impl SubjectCell for Locked {
    const DESIGN: Design = Design::Matrix(Variant::Locked);

    fn new(subject: Identity) -> Self {
        Locked {
            subject: RwLock::new(Box::new(Tracked::identity(subject))),
        }
    }

    fn read<R>(
        &self,
        op: &'static str,
        owner: &dyn std::fmt::Display,
        f: impl FnOnce(&Identity) -> R,
    ) -> R {
        let guard = sync::read(&self.subject);
        guard.read_traced(op, owner, f)
    }
}

impl MutableSubject for Locked {
    fn set(&self, subject: &Identity, owner: &dyn std::fmt::Display) {
        let new = Box::new(Tracked::identity(subject.clone()));
        let mut guard = sync::write(&self.subject);
        trace::step(
            StepKind::Write,
            "set_subject (write-locked): replace",
            || {
                (
                    new.tag(),
                    format!("{owner} subject {} := {}", guard.label(), new.label()),
                )
            },
        );
        // Dropping the old box frees (retires) it while the write lock is held.
        *guard = new;
    }
}
