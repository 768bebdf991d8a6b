//! The verdict matrix: which scenario runs with which subject cell, load flow and
//! checker, and what outcome each combination must have.

use crate::negative::LeakyCow;
use crate::record::Outcome;
use crate::scenarios::{self, Reader};
use crate::storm::{self, StormSize};
use swan_credstore::indexed_store::{negative::SplitDedup, IndexedStore};
#[cfg(any(not(loom), crossbeam_loom))]
use swan_credstore::Epoch;
use swan_credstore::{
    CertStore, CopyOnWrite, Flow, Immutable, InPlace, LoadFn, Locked, NaiveSwap, SubjectCell, Vici,
};

/// The small scenarios loom explores exhaustively, in matrix order.
pub const LOOM_SCENARIOS: [&str; 4] = [
    "reload_vs_lookup",
    "reload_vs_list_certs",
    "concurrent_reloads",
    "reload_vs_clear",
];

/// The large scenario for shuttle and real threads.
pub const STORM: &str = "storm";

/// Variant names, in matrix order (negative controls last). `indexed_store` is the
/// upstream design (an `Immutable` subject) in the hash-indexed store; its negative
/// control `split_dedup` checks for duplicates and inserts in separate critical sections.
pub const VARIANTS: [&str; 9] = [
    "in_place",
    "locked",
    "copy_on_write",
    "epoch",
    "immutable",
    "indexed_store",
    "naive_swap",
    "leaky_cow",
    "split_dedup",
];

/// The checkers, by matrix spelling.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Checker {
    /// loom, exhaustive (epoch rows: preemption bound 2).
    Loom,
    /// shuttle's PCT scheduler.
    ShuttlePct,
    /// shuttle's random scheduler.
    ShuttleRandom,
    /// Real std threads, bounded iterations and time.
    Stress,
}

impl Checker {
    /// All checkers, in matrix order.
    pub const ALL: [Checker; 4] = [
        Checker::Loom,
        Checker::ShuttlePct,
        Checker::ShuttleRandom,
        Checker::Stress,
    ];

    /// The matrix spelling.
    pub fn name(self) -> &'static str {
        match self {
            Checker::Loom => "loom",
            Checker::ShuttlePct => "shuttle_pct",
            Checker::ShuttleRandom => "shuttle_random",
            Checker::Stress => "stress",
        }
    }

    /// Parses a matrix spelling.
    pub fn parse(s: &str) -> Option<Checker> {
        Checker::ALL.into_iter().find(|c| c.name() == s)
    }
}

/// A scenario body, ready to hand to a checker.
pub type Body = Box<dyn Fn() + Send + Sync + 'static>;

/// One cell of the matrix.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Case {
    /// Scenario name.
    pub scenario: &'static str,
    /// Variant name (one of [`VARIANTS`]).
    pub variant: &'static str,
    /// Load flow.
    pub flow: Flow,
    /// The checker that runs it.
    pub checker: Checker,
    /// The outcome this combination must have.
    pub expected: Outcome,
}

/// Every combination the project checks, for every checker.
pub fn cases() -> Vec<Case> {
    let mut out = Vec::new();
    for checker in Checker::ALL {
        let scenarios: &[&'static str] = match checker {
            Checker::Loom => &LOOM_SCENARIOS,
            _ => &[STORM],
        };
        for &scenario in scenarios {
            for variant in VARIANTS {
                for flow in [Flow::PreFix, Flow::UpstreamFix] {
                    if let Some(expected) = expected(scenario, variant, flow, checker) {
                        out.push(Case {
                            scenario,
                            variant,
                            flow,
                            checker,
                            expected,
                        });
                    }
                }
            }
        }
    }
    out
}

/// Whether this build can run `case`: loom rows need `--cfg loom` (epoch rows need
/// `--cfg crossbeam_loom` too, and are the only rows of that build), shuttle rows need
/// `--cfg shuttle`, stress rows the plain std build.
pub fn runnable_here(case: &Case) -> bool {
    match case.checker {
        Checker::Loom => cfg!(loom) && (case.variant == "epoch") == cfg!(crossbeam_loom),
        Checker::ShuttlePct | Checker::ShuttleRandom => cfg!(shuttle) && !cfg!(loom),
        Checker::Stress => !cfg!(loom) && !cfg!(shuttle),
    }
}

/// The expected outcome, or `None` when the combination is not run.
///
/// * The pre-fix flow calls `set_subject` on a shared cert. With [`InPlace`] and
///   [`NaiveSwap`] any reader of that subject — an IKE lookup, list-certs, the other
///   reload's dedup (`equals`) — races with the free. `clear-creds` only drops
///   references and reads no subject, so `reload_vs_clear` passes even with them.
/// * The pre-fix flow stores a duplicate whenever the stored object already carries the
///   id; no cell can prevent that, so every cell that does not race shows `duplicates`
///   wherever a connection is loaded twice into a store that still holds it.
/// * The upstream flow never mutates a shared cert and always dedups: `pass`.
/// * Racy cells are never run on real threads (`not_run`).
pub fn expected(scenario: &str, variant: &str, flow: Flow, checker: Checker) -> Option<Outcome> {
    use Outcome::*;
    let racy = matches!(variant, "in_place" | "naive_swap");
    match (variant, flow) {
        ("immutable" | "indexed_store", Flow::PreFix) => return None,
        ("split_dedup", Flow::UpstreamFix)
            if scenario == "concurrent_reloads" && checker == Checker::Loom =>
        {
            return Some(Duplicates)
        }
        ("split_dedup", _) => return None,
        ("leaky_cow", Flow::PreFix) if scenario == "reload_vs_clear" => return Some(Leak),
        ("leaky_cow", _) => return None,
        _ => {}
    }
    if checker == Checker::Stress && racy {
        return Some(NotRun);
    }
    if flow == Flow::UpstreamFix {
        return Some(Pass);
    }
    Some(match scenario {
        "reload_vs_clear" => Pass,
        _ if racy => Race,
        "concurrent_reloads" | STORM => Duplicates,
        _ => Pass,
    })
}

/// Threads (main included) and operations of a scenario, for the bounds column.
pub fn shape(scenario: &str, size: &StormSize) -> (usize, String) {
    let (threads, ops) = match scenario {
        "reload_vs_lookup" => (3, "main: load-conn; vici-reload: load-conn; ike-lookup: 1 lookup by id; 1 connection, 1 key"),
        "reload_vs_list_certs" => (3, "main: load-conn; vici-reload: load-conn; vici-list-certs: 1 listing; 1 connection, 1 key"),
        "concurrent_reloads" => (3, "vici-1, vici-2: load-conn each into an empty plugin; 1 connection, 1 key"),
        "reload_vs_clear" => (3, "main: load-conn; vici-reload: load-conn; vici-clear: clear-creds; 1 connection, 1 key"),
        _ => return (size.threads(), size.describe()),
    };
    (threads, ops.to_string())
}

/// The body of `scenario` for any subject cell `C`, store `S` and load flow `load` (for
/// example `Vici::<MyCell>::load_conn_pre_fix`), or `None` for an unknown scenario name.
/// `size` is used by the storm only.
pub fn body_for<C: SubjectCell, S: CertStore<C>>(
    scenario: &str,
    load: LoadFn<C, S>,
    size: StormSize,
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
        STORM => Box::new(move || storm::storm(load, size)),
        _ => return None,
    })
}

/// The runnable body of a scenario for a variant and flow, or `None` if the names are
/// unknown, the variant cannot run that flow, or it does not exist in this build.
pub fn body(scenario: &str, variant: &str, flow: Flow, size: StormSize) -> Option<Body> {
    macro_rules! mutable {
        ($cell:ty) => {
            match flow {
                Flow::PreFix => {
                    body_for::<$cell, _>(scenario, Vici::<$cell>::load_conn_pre_fix, size)
                }
                Flow::UpstreamFix => {
                    body_for::<$cell, _>(scenario, Vici::<$cell>::load_conn_upstream_fix, size)
                }
            }
        };
    }
    match variant {
        "in_place" => mutable!(InPlace),
        "locked" => mutable!(Locked),
        "copy_on_write" => mutable!(CopyOnWrite),
        #[cfg(any(not(loom), crossbeam_loom))]
        "epoch" => mutable!(Epoch),
        "naive_swap" => mutable!(NaiveSwap),
        "leaky_cow" => mutable!(LeakyCow),
        "immutable" if flow == Flow::UpstreamFix => {
            body_for::<Immutable, _>(scenario, Vici::<Immutable>::load_conn_upstream_fix, size)
        }
        "indexed_store" if flow == Flow::UpstreamFix => body_for(
            scenario,
            Vici::<Immutable, IndexedStore<Immutable>>::load_conn_upstream_fix,
            size,
        ),
        "split_dedup" if flow == Flow::UpstreamFix => body_for(
            scenario,
            Vici::<Immutable, SplitDedup<Immutable>>::load_conn_upstream_fix,
            size,
        ),
        _ => None,
    }
}
