//! [`Immutable`]: the upstream fix — a subject fixed at creation.

use super::SubjectCell;
use super::{Design, Variant};
use crate::heap::Tracked;
use crate::identity::Identity;

/// A subject set once when the certificate is created and never changed
/// (strongSwan ≥ 6.0.1: commit ddd1126e removed `set_subject()`).
///
/// # Guarantees
/// Every read sees the identity the cert was created with. There is no setter, so the
/// type system keeps it out of the pre-fix vici flow: it runs only the upstream flow,
/// which wraps the key with its final identity before sharing it.
pub struct Immutable {
    subject: Tracked<Identity>,
}

impl SubjectCell for Immutable {
    const DESIGN: Design = Design::Matrix(Variant::Immutable);

    fn new(subject: Identity) -> Self {
        Immutable {
            subject: Tracked::identity(subject),
        }
    }

    fn read<R>(
        &self,
        op: &'static str,
        owner: &dyn std::fmt::Display,
        f: impl FnOnce(&Identity) -> R,
    ) -> R {
        self.subject.read_traced(op, owner, f)
    }
}
