//! From names to code: a [`Scenario`]'s body for any cell, store and flow, and a matrix
//! [`Variant`]'s cell and store.

#[cfg(any(loom, shuttle))]
use crate::negative::LeakyCow;
use crate::record::{Flow, Scenario, Scope, Variant};
use crate::scenarios::{self, Reader};
use crate::storm::{self, StormSize};
#[cfg(any(loom, shuttle))]
use swan_credstore::indexed_store::negative::SplitDedup;
#[cfg(any(not(loom), crossbeam_loom))]
use swan_credstore::Epoch;
use swan_credstore::IndexedStore;
#[cfg(any(loom, shuttle))]
use swan_credstore::NaiveSwap;
use swan_credstore::{
    CertStore, CopyOnWrite, Immutable, InPlace, LoadFn, Locked, SubjectCell, Vici,
};

/// A scenario body, ready to hand to a checker.
pub type Body = Box<dyn Fn() + Send + Sync + 'static>;

/// The body of `scenario` for any subject cell `C`, store `S` and load flow `load` (for
/// example `Vici::<MyCell>::load_conn_pre_fix`). `size` is used by the storm only.
pub fn body_for<C: SubjectCell, S: CertStore<C>>(
    scenario: Scenario,
    load: LoadFn<C, S>,
    size: StormSize,
) -> Body {
    body_in(scenario, Scope::Base, load, size)
}

/// [`body_for`] at a rung of the scope ladder (`scope` is ignored by the storm).
pub fn body_in<C: SubjectCell, S: CertStore<C>>(
    scenario: Scenario,
    scope: Scope,
    load: LoadFn<C, S>,
    size: StormSize,
) -> Body {
    match scenario {
        Scenario::ReloadVsLookup => {
            Box::new(move || scenarios::reload_vs_reader_in(load, Reader::IkeLookup, scope))
        }
        Scenario::ReloadVsListCerts => {
            Box::new(move || scenarios::reload_vs_reader_in(load, Reader::ListCerts, scope))
        }
        Scenario::ConcurrentReloads => {
            Box::new(move || scenarios::concurrent_reloads_in(load, scope))
        }
        Scenario::ReloadVsClear => Box::new(move || scenarios::reload_vs_clear_in(load, scope)),
        Scenario::Storm => Box::new(move || storm::storm(load, size)),
    }
}

/// The runnable body of a scenario for a matrix design and flow, or `None` if the design
/// cannot run that flow (an immutable subject has no `set_subject`), is not a matrix
/// design, or does not exist in this build (epoch under plain loom; the negative
/// controls, [`Variant::checker_only`], outside the loom and shuttle builds).
pub fn body(
    scenario: Scenario,
    scope: Scope,
    variant: Variant,
    flow: Flow,
    size: StormSize,
) -> Option<Body> {
    macro_rules! mutable {
        ($cell:ty) => {
            Some(match flow {
                Flow::PreFix => {
                    body_in::<$cell, _>(scenario, scope, Vici::<$cell>::load_conn_pre_fix, size)
                }
                Flow::UpstreamFix => body_in::<$cell, _>(
                    scenario,
                    scope,
                    Vici::<$cell>::load_conn_upstream_fix,
                    size,
                ),
            })
        };
    }
    macro_rules! fixed {
        ($store:ty) => {
            (flow == Flow::UpstreamFix).then(|| {
                body_in(
                    scenario,
                    scope,
                    Vici::<Immutable, $store>::load_conn_upstream_fix,
                    size,
                )
            })
        };
    }
    match variant {
        Variant::InPlace => mutable!(InPlace),
        Variant::Locked => mutable!(Locked),
        Variant::CopyOnWrite => mutable!(CopyOnWrite),
        #[cfg(any(not(loom), crossbeam_loom))]
        Variant::Epoch => mutable!(Epoch),
        #[cfg(all(loom, not(crossbeam_loom)))]
        Variant::Epoch => None,
        #[cfg(any(loom, shuttle))]
        Variant::NaiveSwap => mutable!(NaiveSwap),
        #[cfg(any(loom, shuttle))]
        Variant::LeakyCow => mutable!(LeakyCow),
        Variant::Immutable => fixed!(swan_credstore::CredentialStore<Immutable>),
        Variant::IndexedStore => fixed!(IndexedStore<Immutable>),
        #[cfg(any(loom, shuttle))]
        Variant::SplitDedup => fixed!(SplitDedup<Immutable>),
        // The negative controls exist in the checker builds only (checker_only).
        #[cfg(not(any(loom, shuttle)))]
        Variant::NaiveSwap | Variant::LeakyCow | Variant::SplitDedup => None,
        Variant::Custom => None,
    }
}

#[cfg(all(test, not(any(loom, shuttle))))]
mod tests {
    use super::*;

    /// The negative controls cannot be built for real threads: the std build has no body
    /// for them, and the matrix runs none of them there.
    #[test]
    fn checker_only_designs_have_no_body_on_real_threads() {
        for variant in Variant::MATRIX {
            for flow in Flow::ALL {
                let built = body(
                    Scenario::Storm,
                    Scope::Base,
                    variant,
                    flow,
                    StormSize::SHUTTLE,
                )
                .is_some();
                if variant.checker_only() {
                    assert!(!built, "{variant} × {flow} must not exist on real threads");
                }
            }
        }
        for case in crate::expect::cases() {
            if case.checker == crate::record::Checker::Stress && case.variant.checker_only() {
                assert_eq!(case.expected, crate::record::Outcome::NotRun, "{case:?}");
            }
        }
        assert!(body(
            Scenario::Storm,
            Scope::Base,
            Variant::Locked,
            Flow::PreFix,
            StormSize::SHUTTLE
        )
        .is_some());
    }
}
