//! Exercise 1, part 3: a subject cell whose bug needs a preemption to show.
//!
//! `ClearThenSet` never races in loom's sense — every access is under its mutex — but
//! its setter works in two critical sections: first it clears the subject to `%any`,
//! then it stores the new identity. A reader that runs between the two sees `%any`, a
//! subject the cert never had (a torn read, an atomicity violation). On a schedule
//! without preemptions a thread only gives up the CPU when it blocks or ends, so the
//! reader can never land between the two sections: the bug needs one preemption.

use swan_credstore::sync::{self, Mutex};
use swan_credstore::trace::{self, StepKind};
use swan_credstore::{Design, Identity, MutableSubject, SubjectCell};

/// Every access locked, but the update split in two.
pub struct ClearThenSet(Mutex<Identity>);

impl SubjectCell for ClearThenSet {
    const DESIGN: Design = Design::Custom("clear_then_set");

    fn new(subject: Identity) -> Self {
        ClearThenSet(Mutex::new(subject))
    }

    fn read<R>(
        &self,
        op: &'static str,
        owner: &dyn std::fmt::Display,
        f: impl FnOnce(&Identity) -> R,
    ) -> R {
        // Copied out under the lock, which is released before `f` runs: `equals` reads
        // a second cert inside `f`, and holding this lock meanwhile can deadlock with a
        // thread comparing the same two certs the other way round.
        let subject = sync::lock(&self.0).clone();
        trace::step(StepKind::Read, op, || format!("{owner} subject {subject}"));
        f(&subject)
    }
}

impl MutableSubject for ClearThenSet {
    fn set(&self, subject: &Identity, owner: &dyn std::fmt::Display) {
        // Critical section 1: forget the old subject.
        {
            let mut current = sync::lock(&self.0);
            *current = Identity::Any;
            trace::step(StepKind::Write, "set_subject: cleared", || {
                format!("{owner} subject := %any")
            });
        }
        // (another thread may run here)
        // Critical section 2: store the new one.
        let mut current = sync::lock(&self.0);
        *current = subject.clone();
        trace::step(StepKind::Write, "set_subject: stored", || {
            format!("{owner} subject := {subject}")
        });
    }
}
