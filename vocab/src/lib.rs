//! The verdict matrix's vocabulary, defined once for every crate of the workspace.
//!
//! A row of the matrix is named by a [`Scenario`], a [`Variant`] (the subject design),
//! a [`Flow`] and a [`Checker`], and concludes with an [`Outcome`]. Each is an enum that
//! derives its spellings: `serde` for the JSON records and `clap` for the command lines;
//! [`Display`](std::fmt::Display) and [`FromStr`](std::str::FromStr) use clap's. The
//! spellings are one `snake_case` word (a test checks that serde and clap agree), so the
//! matrix reads `reload_vs_lookup`, `in_place`, `pre_fix`, `loom`, `race` everywhere.
//!
//! Nothing here knows how a row is run: the model crate maps a [`Variant`] to its cell
//! and store, the models crate maps a [`Scenario`] to its body and a row to its expected
//! outcome. This crate is the bottom of the dependency graph.

use clap::ValueEnum;
use serde::{Deserialize, Serialize};

/// The concurrent programs the checkers run.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ValueEnum,
)]
#[serde(rename_all = "snake_case")]
#[value(rename_all = "snake_case")]
pub enum Scenario {
    /// A reload's `load-conn` against an IKE_AUTH lookup of the peer's key.
    ReloadVsLookup,
    /// A reload's `load-conn` against a vici `list-certs`.
    ReloadVsListCerts,
    /// Two `load-conn`s of the same connection at once.
    ConcurrentReloads,
    /// A reload's `load-conn` against `clear-creds`.
    ReloadVsClear,
    /// Many vici and IKE threads for shuttle and real threads.
    Storm,
}

impl Scenario {
    /// The small scenarios loom explores exhaustively, in matrix order.
    pub const LOOM: [Scenario; 4] = [
        Scenario::ReloadVsLookup,
        Scenario::ReloadVsListCerts,
        Scenario::ConcurrentReloads,
        Scenario::ReloadVsClear,
    ];
}

/// How much a loom scenario covers: the rungs of the scope ladder. [`Scope::Base`] is the
/// verdict matrix's scope; the others each add one thing to it (notes/designs.md, "How
/// much is enough").
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    ValueEnum,
)]
#[serde(rename_all = "snake_case")]
#[value(rename_all = "snake_case")]
pub enum Scope {
    /// (a) 1 connection with 1 key; one operation per thread.
    #[default]
    Base,
    /// (b) 1 connection with 2 keys.
    TwoKeys,
    /// (c) 2 connections with the same key and identity (one shared object once fixed).
    SharedKey,
    /// (d) a third concurrent thread: a list-certs beside the lookup, a third reload, a
    /// lookup beside clear-creds.
    ThreeThreads,
    /// (e) the reloading thread reloads twice against the reader.
    TwoReloads,
}

impl Scope {
    /// Every rung, in ladder order.
    pub const ALL: [Scope; 5] = [
        Scope::Base,
        Scope::TwoKeys,
        Scope::SharedKey,
        Scope::ThreeThreads,
        Scope::TwoReloads,
    ];

    /// Whether this is the verdict matrix's own scope.
    pub fn is_base(&self) -> bool {
        *self == Scope::Base
    }

    /// The rung's letter in the ladder: `a` … `e`.
    pub fn letter(self) -> char {
        (b'a' + self as u8) as char
    }

    /// Whether the rung is defined for `scenario`: a third thread is not added to
    /// `reload_vs_list_certs` (it would be `reload_vs_lookup`'s third-thread program),
    /// two reloads in one thread only make sense against a reader, and the storm has
    /// its own size.
    pub fn applies(self, scenario: Scenario) -> bool {
        match (self, scenario) {
            (_, Scenario::Storm) => self == Scope::Base,
            (Scope::ThreeThreads, Scenario::ReloadVsListCerts) => false,
            (Scope::TwoReloads, s) => {
                matches!(s, Scenario::ReloadVsLookup | Scenario::ReloadVsListCerts)
            }
            _ => true,
        }
    }
}

/// Where a certificate keeps its subject, and in which store (the matrix's designs).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ValueEnum,
)]
#[serde(rename_all = "snake_case")]
#[value(rename_all = "snake_case")]
pub enum Variant {
    /// strongSwan ≤ 6.0.0: `set_subject` frees and replaces the identity in place.
    InPlace,
    /// A reader-writer lock around the identity.
    Locked,
    /// Copy-on-write snapshots with `arc-swap`.
    CopyOnWrite,
    /// Epoch reclamation with `crossbeam-epoch`.
    Epoch,
    /// strongSwan ≥ 6.0.1: the subject is fixed at creation.
    Immutable,
    /// The immutable subject in the hash-indexed store.
    IndexedStore,
    /// Negative control: an atomic pointer swap that frees the old identity at once.
    NaiveSwap,
    /// Negative control: copy-on-write that never releases the replaced snapshot.
    LeakyCow,
    /// Negative control: the indexed store checking for duplicates and inserting in
    /// separate critical sections.
    SplitDedup,
    /// A cell defined outside the matrix (a user's, an exercise's); its own name is in
    /// the record's `cell` field.
    Custom,
}

impl Variant {
    /// The matrix's designs, in matrix order (negative controls last; [`Variant::Custom`]
    /// is not one).
    pub const MATRIX: [Variant; 9] = [
        Variant::InPlace,
        Variant::Locked,
        Variant::CopyOnWrite,
        Variant::Epoch,
        Variant::Immutable,
        Variant::IndexedStore,
        Variant::NaiveSwap,
        Variant::LeakyCow,
        Variant::SplitDedup,
    ];

    /// Whether this design only exists for the model checkers: its defect (a race, a
    /// leak, a split critical section) is the point, so it is never run on real threads
    /// or offered as a production cell.
    pub fn checker_only(self) -> bool {
        matches!(
            self,
            Variant::NaiveSwap | Variant::LeakyCow | Variant::SplitDedup
        )
    }
}

/// The two `load-conn` flows.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ValueEnum,
)]
#[serde(rename_all = "snake_case")]
#[value(rename_all = "snake_case")]
pub enum Flow {
    /// strongSwan ≤ 6.0.0: wrap under the key id, store, then `set_subject(id)`.
    PreFix,
    /// strongSwan ≥ 6.0.1: wrap with the final identity, then store.
    UpstreamFix,
}

impl Flow {
    /// Both flows, in matrix order.
    pub const ALL: [Flow; 2] = [Flow::PreFix, Flow::UpstreamFix];
}

/// What ran a row.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ValueEnum,
)]
#[serde(rename_all = "snake_case")]
#[value(rename_all = "snake_case")]
pub enum Checker {
    /// loom, exhaustive within the stated preemption bound.
    Loom,
    /// shuttle's depth-first scheduler: every schedule of the scenario's scheduling
    /// points, one after another, with no partial-order reduction. An implementation
    /// independent of loom's, run on loom's scenarios as a cross-check: exhaustive when
    /// it finishes within its budget (the row's bounds say whether it did).
    ShuttleDfs,
    /// shuttle's PCT scheduler, seeded.
    ShuttlePct,
    /// shuttle's random scheduler, seeded.
    ShuttleRandom,
    /// Real std threads, bounded iterations and time.
    Stress,
    /// One replayed shuttle schedule (`cargo xtask replay`).
    ShuttleReplay,
    /// A forced schedule on a real charon under gdb.
    RealReplay,
    /// helgrind on a real charon (statistical).
    RealHelgrind,
}

impl Checker {
    /// The model checkers of the verdict matrix, in matrix order.
    pub const MODEL: [Checker; 5] = [
        Checker::Loom,
        Checker::ShuttleDfs,
        Checker::ShuttlePct,
        Checker::ShuttleRandom,
        Checker::Stress,
    ];

    /// Whether its iteration counts repeat exactly from run to run (loom and seeded
    /// shuttle runs, replays; not the time-bounded stress runs or the real daemons).
    pub fn deterministic_counts(self) -> bool {
        !matches!(
            self,
            Checker::Stress | Checker::RealReplay | Checker::RealHelgrind
        )
    }
}

/// What a checker run concluded.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ValueEnum,
)]
#[serde(rename_all = "snake_case")]
#[value(rename_all = "snake_case")]
pub enum Outcome {
    /// A data race on a subject, a read of a freed identity, or a torn read.
    Race,
    /// Equal certificate objects stored more than once.
    Duplicates,
    /// Something still allocated when the scenario ended.
    Leak,
    /// Every explored execution satisfied every check.
    Pass,
    /// Every explored execution satisfied every check, but the checker saw no tracked
    /// access to a subject in any of them (a cell built on `std` primitives, say): the
    /// run proves nothing about the subjects, so it is never reported as `pass`.
    Vacuous,
    /// The run failed for a reason that is none of the above (see `message`).
    Error,
    /// Deliberately not run by this checker (see `message`): a design that would be real
    /// undefined behaviour on real threads.
    NotRun,
}

macro_rules! spelled {
    ($($t:ty),*) => {$(
        impl std::fmt::Display for $t {
            /// The matrix spelling (clap's, which serde's equals).
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                match self.to_possible_value() {
                    Some(v) => f.pad(v.get_name()),
                    None => write!(f, "{self:?}"),
                }
            }
        }

        impl std::str::FromStr for $t {
            type Err = String;
            /// Parses the matrix spelling; the error lists the valid ones.
            fn from_str(s: &str) -> Result<Self, String> {
                <$t as ValueEnum>::from_str(s, false).map_err(|_| {
                    let valid: Vec<String> = <$t>::value_variants()
                        .iter()
                        .map(|v| v.to_string())
                        .collect();
                    format!("unknown {} {s:?}; expected one of: {}",
                        stringify!($t).to_lowercase(), valid.join(", "))
                })
            }
        }
    )*};
}

spelled!(Scenario, Scope, Variant, Flow, Checker, Outcome);

#[cfg(test)]
mod tests {
    use super::*;

    fn agree<
        T: ValueEnum + Serialize + std::fmt::Display + std::str::FromStr + PartialEq + std::fmt::Debug,
    >() {
        for v in T::value_variants() {
            let json = serde_json::to_string(v).unwrap();
            assert_eq!(json, format!("\"{v}\""), "serde and clap spell {v:?} alike");
            assert_eq!(v.to_string().parse::<T>().ok().as_ref(), Some(v));
        }
    }

    #[test]
    fn serde_clap_and_display_spell_every_name_alike() {
        agree::<Scenario>();
        agree::<Scope>();
        agree::<Variant>();
        agree::<Flow>();
        agree::<Checker>();
        agree::<Outcome>();
    }

    #[test]
    fn spellings_are_the_matrix_ones() {
        assert_eq!(
            Scenario::ReloadVsListCerts.to_string(),
            "reload_vs_list_certs"
        );
        assert_eq!(Variant::CopyOnWrite.to_string(), "copy_on_write");
        assert_eq!(Flow::UpstreamFix.to_string(), "upstream_fix");
        assert_eq!(Checker::ShuttlePct.to_string(), "shuttle_pct");
        assert_eq!(Outcome::NotRun.to_string(), "not_run");
        assert!("in-place"
            .parse::<Variant>()
            .unwrap_err()
            .contains("in_place"));
    }
}

/// What a step of a counterexample timeline did: renderers and the checks on timelines
/// select steps by kind, never by their text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum StepKind {
    /// An object was created (a cert wrapped around a key).
    Alloc,
    /// An object was destroyed (an identity freed by `set_subject`, a snapshot released,
    /// a cert's last reference dropped).
    Free,
    /// A subject pointer was loaded from the cert.
    Load,
    /// The identity a subject pointer points to was read (`get_subject`, `has_subject`,
    /// `equals`).
    Read,
    /// A subject pointer was written (a store, a publish, a replace).
    Write,
    /// A lock was taken.
    Acquire {
        /// Which lock.
        lock: Lock,
        /// Shared or exclusive.
        mode: Mode,
    },
    /// An atomic operation on a subject pointer.
    Atomic {
        /// Its memory ordering.
        ordering: AtomicOrdering,
    },
    /// A model thread was spawned (its name is the step's detail).
    Spawn,
    /// A cert entered the store as a new object.
    Insert,
    /// `add_cert_ref` found an equal stored cert and returned it instead.
    Reuse,
    /// `merge_config` decided: `replaced` is false when an equal config was kept and the
    /// new one dropped.
    Merge {
        /// Whether the new config replaced (or was added beside) the stored ones.
        replaced: bool,
    },
    /// A model-level step with no memory effect the checkers examine (a call begins).
    Call,
    /// A forced real-daemon run only: the debugger stopped this thread here and let
    /// the others run, so whatever they did next happened while it was stopped.
    Hold,
    /// The use-after-free oracle fired.
    UseAfterFree,
    /// A scenario's final check found duplicates.
    Duplicates,
}

impl StepKind {
    /// Whether the step read a subject (a load, a read, an atomic load).
    pub fn is_read(self) -> bool {
        matches!(
            self,
            StepKind::Load | StepKind::Read | StepKind::Atomic { .. }
        )
    }

    /// Whether the step wrote or freed a subject.
    pub fn is_write(self) -> bool {
        matches!(self, StepKind::Write | StepKind::Free)
    }
}

/// What a synchronisation event of a model thread did (recorded by the facade,
/// `swan_credstore::trace::sync`): what happens-before is computed from.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "sync")]
pub enum SyncKind {
    /// A lock was acquired (recorded once the thread holds it).
    Acquire {
        /// Which lock of the model, when the step the event follows says so (an
        /// [`StepKind::Acquire`] step recorded right before taking it).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        lock: Option<Lock>,
        /// Which lock instance, numbered from 1 by first use in the recording.
        instance: usize,
        /// Shared or exclusive.
        mode: Mode,
    },
    /// A lock is released (recorded right before the unlock).
    Release {
        /// Which lock instance.
        instance: usize,
        /// How it was held.
        mode: Mode,
    },
    /// The thread spawned another (recorded right before the spawn).
    Spawn {
        /// The spawned thread's name.
        thread: String,
    },
    /// The thread joined another (recorded once it ended).
    Join {
        /// The joined thread's name.
        thread: String,
    },
    /// An atomic store of a subject pointer (or the store half of a swap).
    AtomicStore {
        /// The value stored, numbered from 1 by first appearance in the recording.
        value: usize,
        /// Its memory ordering.
        ordering: AtomicOrdering,
    },
    /// An atomic load of a subject pointer (or the load half of a swap).
    AtomicLoad {
        /// The value loaded, numbered as for [`SyncKind::AtomicStore`].
        value: usize,
        /// Its memory ordering.
        ordering: AtomicOrdering,
    },
}

impl AtomicOrdering {
    /// Whether a store with this ordering releases (`Release`, `AcqRel`, `SeqCst`).
    pub fn releases(self) -> bool {
        matches!(
            self,
            AtomicOrdering::Release | AtomicOrdering::AcqRel | AtomicOrdering::SeqCst
        )
    }

    /// Whether a load with this ordering acquires (`Acquire`, `AcqRel`, `SeqCst`).
    pub fn acquires(self) -> bool {
        matches!(
            self,
            AtomicOrdering::Acquire | AtomicOrdering::AcqRel | AtomicOrdering::SeqCst
        )
    }
}

/// The locks of the model.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Lock {
    /// The credential store's reader-writer lock (`mem_cred_t.lock`).
    Store,
    /// vici's config lock around `merge_config`.
    Config,
    /// A design's own lock around the subject ([`Variant::Locked`], [`Variant::CopyOnWrite`]'s writer).
    Subject,
}

/// How a lock was taken.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Shared (a read lock).
    Read,
    /// Exclusive (a write lock or a mutex).
    Write,
}

/// The memory ordering of an atomic step (`std::sync::atomic::Ordering`, serialisable).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AtomicOrdering {
    /// `Relaxed`.
    Relaxed,
    /// `Acquire`.
    Acquire,
    /// `Release`.
    Release,
    /// `AcqRel`.
    AcqRel,
    /// `SeqCst`.
    SeqCst,
}
