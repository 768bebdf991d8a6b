//! Negative-control cells that live outside the model crate, as a user's would.

use swan_credstore::heap::Tracked;
use swan_credstore::sync::{self, Arc, Mutex};
use swan_credstore::{Design, Identity, MutableSubject, SubjectCell, Variant};

/// A copy-on-write cell that forgets to release the snapshot it replaces: each
/// `set_subject` leaks the old identity. It never races (readers hold snapshots); it is
/// the negative control for the leak check of `reload_vs_clear`: the scenario's own
/// count of tracked identities (every checker with the recorder on) catches it before
/// loom's `Arc leaked` check at the end of the execution would.
pub struct LeakyCow {
    slot: Mutex<Arc<Tracked<Identity>>>,
}

impl SubjectCell for LeakyCow {
    const DESIGN: Design = Design::Matrix(Variant::LeakyCow);

    fn new(subject: Identity) -> Self {
        LeakyCow {
            slot: Mutex::new(Arc::new(Tracked::identity(subject))),
        }
    }

    fn read<R>(
        &self,
        op: &'static str,
        owner: &dyn std::fmt::Display,
        f: impl FnOnce(&Identity) -> R,
    ) -> R {
        let snap = sync::lock(&self.slot).clone();
        snap.read_traced(op, owner, f)
    }
}

impl MutableSubject for LeakyCow {
    fn set(&self, subject: &Identity, _owner: &dyn std::fmt::Display) {
        let new = Arc::new(Tracked::identity(subject.clone()));
        let old = std::mem::replace(&mut *sync::lock(&self.slot), new);
        std::mem::forget(old); // the bug: the old snapshot is never released
    }
}
