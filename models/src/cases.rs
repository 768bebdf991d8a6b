//! The verdict matrix: which scenario runs with which subject cell and load flow, and
//! what outcome each combination must have.

use crate::negative::LeakyCow;
use crate::record::Outcome;
use crate::scenarios::{self, Reader};
use swan_credstore::{
    CertStore, CopyOnWrite, Flow, Immutable, InPlace, LoadFn, Locked, SubjectCell, Vici,
};

/// Scenario names, in matrix order.
pub const SCENARIOS: [&str; 4] = [
    "reload_vs_lookup",
    "reload_vs_list_certs",
    "concurrent_reloads",
    "reload_vs_clear",
];

/// Variant names, in matrix order (negative controls last).
pub const VARIANTS: [&str; 5] = [
    "in_place",
    "locked",
    "copy_on_write",
    "immutable",
    "leaky_cow",
];

/// A scenario body, ready to hand to a checker.
pub type Body = Box<dyn Fn() + Send + Sync + 'static>;

/// One cell of the matrix.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Case {
    /// Scenario name (one of [`SCENARIOS`]).
    pub scenario: &'static str,
    /// Variant name (one of [`VARIANTS`]).
    pub variant: &'static str,
    /// Load flow.
    pub flow: Flow,
    /// The outcome this combination must have.
    pub expected: Outcome,
}

/// Every combination the project checks. `immutable` has no setter, so it runs the
/// upstream flow only; `leaky_cow` is a negative control for the leak check and runs
/// only where it can leak (the pre-fix flow of `reload_vs_clear`).
pub fn cases() -> Vec<Case> {
    let mut out = Vec::new();
    for scenario in SCENARIOS {
        for variant in VARIANTS {
            for flow in [Flow::PreFix, Flow::UpstreamFix] {
                if let Some(expected) = expected(scenario, variant, flow) {
                    out.push(Case {
                        scenario,
                        variant,
                        flow,
                        expected,
                    });
                }
            }
        }
    }
    out
}

/// The expected outcome, or `None` when the combination is not run.
///
/// * The pre-fix flow calls `set_subject` on a shared cert: with [`InPlace`] any
///   reader of that subject — an IKE lookup, list-certs, or the other reload's dedup
///   (`equals`) — races with it. `clear-creds` only drops references and never reads
///   a subject, so `reload_vs_clear` passes even with `InPlace`.
/// * The pre-fix flow stores a duplicate whenever the stored object already carries the
///   id; no cell can prevent that, so every mutable cell that does not race shows
///   `duplicates` in `concurrent_reloads`.
/// * The upstream flow never mutates a shared cert and always dedups.
pub fn expected(scenario: &str, variant: &str, flow: Flow) -> Option<Outcome> {
    use Outcome::*;
    match (variant, flow) {
        ("immutable", Flow::PreFix) => return None,
        ("leaky_cow", Flow::PreFix) if scenario == "reload_vs_clear" => return Some(Leak),
        ("leaky_cow", _) => return None,
        (_, Flow::UpstreamFix) => return Some(Pass),
        _ => {}
    }
    Some(match (scenario, variant) {
        ("reload_vs_clear", _) => Pass,
        (_, "in_place") => Race,
        ("concurrent_reloads", _) => Duplicates,
        _ => Pass,
    })
}

/// Threads (main included) and operations of a scenario, for the bounds column.
pub fn shape(scenario: &str) -> (usize, &'static str) {
    match scenario {
        "reload_vs_lookup" => (3, "main: load-conn; vici-reload: load-conn; ike-lookup: 1 lookup by id; 1 connection, 1 key"),
        "reload_vs_list_certs" => (3, "main: load-conn; vici-reload: load-conn; vici-list-certs: 1 listing; 1 connection, 1 key"),
        "concurrent_reloads" => (3, "vici-1, vici-2: load-conn each into an empty plugin; 1 connection, 1 key"),
        _ => (3, "main: load-conn; vici-reload: load-conn; vici-clear: clear-creds; 1 connection, 1 key"),
    }
}

/// The body of `scenario` for any subject cell `C` and load flow `load` (for example
/// `Vici::<MyCell>::load_conn_pre_fix`), or `None` for an unknown scenario name.
pub fn body_for<C: SubjectCell, S: CertStore<C>>(
    scenario: &str,
    load: LoadFn<C, S>,
) -> Option<Body> {
    Some(match scenario {
        "reload_vs_lookup" => {
            Box::new(move || scenarios::reload_vs_reader(load, Reader::IkeLookup))
        }
        "reload_vs_list_certs" => {
            Box::new(move || scenarios::reload_vs_reader(load, Reader::ListCerts))
        }
        "concurrent_reloads" => Box::new(move || scenarios::concurrent_reloads(load)),
        "reload_vs_clear" => Box::new(move || scenarios::reload_vs_clear(load)),
        _ => return None,
    })
}

/// The runnable body of a scenario for a variant and flow, or `None` if the names are
/// unknown or the variant cannot run that flow.
pub fn body(scenario: &str, variant: &str, flow: Flow) -> Option<Body> {
    macro_rules! mutable {
        ($cell:ty) => {
            match flow {
                Flow::PreFix => body_for::<$cell, _>(scenario, Vici::<$cell>::load_conn_pre_fix),
                Flow::UpstreamFix => {
                    body_for::<$cell, _>(scenario, Vici::<$cell>::load_conn_upstream_fix)
                }
            }
        };
    }
    match variant {
        "in_place" => mutable!(InPlace),
        "locked" => mutable!(Locked),
        "copy_on_write" => mutable!(CopyOnWrite),
        "leaky_cow" => mutable!(LeakyCow),
        "immutable" if flow == Flow::UpstreamFix => {
            body_for::<Immutable, _>(scenario, Vici::<Immutable>::load_conn_upstream_fix)
        }
        _ => None,
    }
}
