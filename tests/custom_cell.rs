//! A subject cell defined outside the model crate plugs into the same scenarios.
//!
//! `MutexCell` below is a user's own design: a facade `Mutex` around the identity. It
//! is checked with the project's harness exactly like the built-in cells, together with
//! a broken user cell (`Unsynced`) as its negative control.

use swan_credstore::sync::{self, Mutex, UnsafeCell};
use swan_credstore::{Design, Identity, MutableSubject, SubjectCell};

/// A correct user cell: every access under one mutex, which a read holds only while it
/// copies the identity.
pub struct MutexCell(Mutex<Identity>);

impl SubjectCell for MutexCell {
    const DESIGN: Design = Design::Custom("user_mutex");
    fn new(subject: Identity) -> Self {
        MutexCell(Mutex::new(subject))
    }
    fn read<R>(
        &self,
        _op: &'static str,
        _owner: &dyn std::fmt::Display,
        f: impl FnOnce(&Identity) -> R,
    ) -> R {
        // Copy the identity out and release the lock before calling `f`: `equals`
        // reads a second cert's subject inside `f`, and two threads comparing the same
        // two certs in opposite orders (the merge compares certs both ways, as C's
        // auth_cfg_equals does, while the store compares them too) would deadlock on
        // two mutexes taken in opposite orders. Loom found that deadlock in the
        // version that held the lock.
        let subject = sync::lock(&self.0).clone();
        f(&subject)
    }
}

impl MutableSubject for MutexCell {
    fn set(&self, subject: &Identity, _owner: &dyn std::fmt::Display) {
        *sync::lock(&self.0) = subject.clone();
    }
}

/// A broken user cell: replaces the identity with no synchronisation at all.
pub struct Unsynced(UnsafeCell<Identity>);

// SAFETY: deliberately unsound across threads; only ever run under loom, which must
// report it (the negative control below).
unsafe impl Sync for Unsynced {}

impl SubjectCell for Unsynced {
    const DESIGN: Design = Design::Custom("user_unsynced");
    fn new(subject: Identity) -> Self {
        Unsynced(UnsafeCell::new(subject))
    }
    fn read<R>(
        &self,
        _op: &'static str,
        _owner: &dyn std::fmt::Display,
        f: impl FnOnce(&Identity) -> R,
    ) -> R {
        // SAFETY: see the type's docs.
        self.0.with(|p| f(unsafe { &*p }))
    }
}

impl MutableSubject for Unsynced {
    fn set(&self, subject: &Identity, _owner: &dyn std::fmt::Display) {
        // SAFETY: see the type's docs.
        self.0.with_mut(|p| unsafe { *p = subject.clone() });
    }
}

#[path = "cells/std_mutex.rs"]
mod std_mutex;
pub use std_mutex::StdMutexCell;

/// The user's cells under every checker of the build (loom, shuttle or real threads),
/// through the one public helper.
#[cfg(not(crossbeam_loom))]
mod checked {
    use super::*;
    use swan_credstore_models::check::{check_cell, CellUnderTest, CheckOptions};
    use swan_credstore_models::record::{Outcome, Record, Scenario, Variant};

    fn verdicts<C: MutableSubject>(scenario: Scenario, expected: Outcome) -> Vec<Record> {
        let records = check_cell(
            scenario,
            CellUnderTest::<C>::pre_fix(),
            expected,
            &CheckOptions::default(),
        );
        for r in &records {
            assert_eq!(r.variant, Variant::Custom);
            assert_eq!(r.cell.as_deref(), C::DESIGN.custom_name());
        }
        records
    }

    #[test]
    fn a_user_cell_passes_the_reader_scenarios_and_a_broken_one_is_caught() {
        for scenario in [Scenario::ReloadVsLookup, Scenario::ReloadVsListCerts] {
            for r in verdicts::<MutexCell>(scenario, Outcome::Pass) {
                assert_eq!(r.outcome, Outcome::Pass, "{:?}", r.message);
                assert!(r.interleavings >= 1);
            }
            // Under loom the broken cell is caught; shuttle's schedulers need not find
            // it in their budget, and real threads never run it (not_run).
            if cfg!(loom) {
                for r in verdicts::<Unsynced>(scenario, Outcome::Race) {
                    assert_eq!(r.outcome, Outcome::Race, "{:?}", r.message);
                }
            } else if cfg!(not(shuttle)) {
                for r in verdicts::<Unsynced>(scenario, Outcome::Race) {
                    assert_eq!(r.outcome, Outcome::NotRun);
                }
            }
        }
        if cfg!(loom) {
            for r in verdicts::<MutexCell>(Scenario::ConcurrentReloads, Outcome::Duplicates) {
                assert_eq!(r.outcome, Outcome::Duplicates);
            }
        }
    }

    /// The harness refuses a cell the checkers cannot see (`std::sync::Mutex`), under
    /// loom and shuttle alike: its run is not a pass but `vacuous`, saying why, with the
    /// figures of what the checker saw (no tracked access in any execution); the
    /// facade-mutex cell, identical otherwise, is a pass that saw its accesses (the
    /// negative control of the refusal).
    #[cfg(any(loom, shuttle))]
    #[test]
    fn a_cell_on_std_primitives_is_refused_as_vacuous_and_a_facade_cell_is_not() {
        use swan_credstore_models::check::VACUOUS;
        for scenario in [Scenario::ReloadVsLookup, Scenario::ReloadVsListCerts] {
            for r in verdicts::<StdMutexCell>(scenario, Outcome::Pass) {
                let msg = r.message.as_deref().unwrap_or("");
                assert_eq!(r.outcome, Outcome::Vacuous, "{scenario}: {msg}");
                assert!(msg.starts_with(VACUOUS), "{scenario}: {msg}");
                assert!(msg.contains("use swan_credstore::sync"), "{msg}");
                let seen = r.seen.as_ref().expect("the recorder was on");
                assert_eq!(seen.executions, r.interleavings, "{scenario}: {seen:?}");
                assert!(r.interleavings >= 1, "the checker ran it: {msg}");
                assert_eq!(seen.tracked_accesses, 0, "{scenario}: {seen:?}");
                eprintln!(
                    "{scenario} [{}]: {} after {} executions: {msg}",
                    r.checker, r.outcome, r.interleavings
                );
            }
            for r in verdicts::<MutexCell>(scenario, Outcome::Pass) {
                assert_eq!(r.outcome, Outcome::Pass, "{scenario}: {:?}", r.message);
                assert!(r.message.is_none());
                let seen = r.seen.as_ref().expect("the recorder was on");
                assert!(seen.tracked_accesses >= r.interleavings, "{seen:?}");
            }
        }
    }
}

#[cfg(not(any(loom, shuttle)))]
#[test]
fn a_user_cell_runs_the_scenarios_on_real_threads() {
    use swan_credstore::Vici;
    use swan_credstore_models::scenarios::{self, Reader};
    for _ in 0..50 {
        scenarios::reload_vs_reader(Vici::<MutexCell>::load_conn_pre_fix, Reader::IkeLookup);
        scenarios::reload_vs_reader(Vici::<MutexCell>::load_conn_pre_fix, Reader::ListCerts);
        scenarios::reload_vs_clear(Vici::<MutexCell>::load_conn_upstream_fix);
        scenarios::concurrent_reloads(Vici::<MutexCell>::load_conn_upstream_fix);
    }
}
