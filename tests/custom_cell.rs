//! A subject cell defined outside the model crate plugs into the same scenarios.
//!
//! `MutexCell` below is a user's own design: a facade `Mutex` around the identity. It
//! is checked with the project's harness exactly like the built-in cells, together with
//! a broken user cell (`Unsynced`) as its negative control.

use swan_credstore::sync::{self, Mutex, UnsafeCell};
use swan_credstore::{Identity, MutableSubject, SubjectCell};

/// A correct user cell: every access under one mutex.
pub struct MutexCell(Mutex<Identity>);

impl SubjectCell for MutexCell {
    const NAME: &'static str = "user_mutex";
    fn new(subject: Identity) -> Self {
        MutexCell(Mutex::new(subject))
    }
    fn read<R>(
        &self,
        _op: &'static str,
        _owner: &dyn std::fmt::Display,
        f: impl FnOnce(&Identity) -> R,
    ) -> R {
        f(&sync::lock(&self.0))
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
    const NAME: &'static str = "user_unsynced";
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

#[cfg(all(loom, not(crossbeam_loom)))]
mod under_loom {
    use super::*;
    use swan_credstore::{Flow, Vici};
    use swan_credstore_models::cases::{body_for, Case, Checker};
    use swan_credstore_models::loom_check::{check_body, LoomOptions};
    use swan_credstore_models::record::Outcome;
    use swan_credstore_models::storm::StormSize;

    fn verdict<C: MutableSubject>(scenario: &'static str, expected: Outcome) -> Outcome {
        let case = Case {
            scenario,
            variant: C::NAME,
            flow: Flow::PreFix,
            checker: Checker::Loom,
            expected,
        };
        let body =
            body_for::<C, _>(scenario, Vici::<C>::load_conn_pre_fix, StormSize::SHUTTLE).unwrap();
        let r = check_body(
            &case,
            body,
            &LoomOptions {
                preemption_bound: None,
                record: true,
            },
        );
        assert!(r.interleavings >= 1);
        r.outcome
    }

    #[test]
    fn a_user_cell_passes_the_reader_scenarios_and_a_broken_one_is_caught() {
        for scenario in ["reload_vs_lookup", "reload_vs_list_certs"] {
            assert_eq!(verdict::<MutexCell>(scenario, Outcome::Pass), Outcome::Pass);
            assert_eq!(verdict::<Unsynced>(scenario, Outcome::Race), Outcome::Race);
        }
        assert_eq!(
            verdict::<MutexCell>("concurrent_reloads", Outcome::Duplicates),
            Outcome::Duplicates
        );
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
