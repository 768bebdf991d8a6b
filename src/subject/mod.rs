//! Subject cells: where a raw-key certificate keeps its subject identity.
//!
//! strongSwan's `pubkey_cert_t` keeps `identification_t *subject` and, before 6.0.1,
//! offered `set_subject()` that destroyed the current identity and stored a clone of
//! the new one, with no lock, on an object already shared through the credential store.
//! This module makes that field pluggable so the same certificate, store and vici flows
//! run with each design:
//!
//! | cell | design | race | runs on real threads |
//! |------|--------|------|----------------------|
//! | [`InPlace`] | strongSwan ≤ 6.0.0: free, then store, no lock | yes, by design | never |
//! | [`Locked`] | an `RwLock` around the subject | no | yes |
//! | [`CopyOnWrite`] | `arc_swap::ArcSwap` snapshots (a loom stand-in under `--cfg loom`) | no | yes |
//! | `Epoch` | `crossbeam_epoch::Atomic`, old identity `defer_destroy`ed | no | yes |
//! | `NaiveSwap` (model checkers only) | atomic pointer swap, old identity freed at once | yes (use-after-free) | never |
//! | [`Immutable`] | no setter: the upstream fix | no (nothing to race) | yes |
//!
//! `Epoch` exists in std and shuttle builds, and under loom only with
//! `--cfg crossbeam_loom` (see its docs).
//!
//! [`SubjectCell`] is all a cell must provide to be read; [`MutableSubject`] adds the
//! setter that strongSwan's pre-fix vici flow needs. A cell written in another crate
//! implements the same traits and plugs into every scenario (see
//! `tests/custom_cell.rs`).

mod cow;
#[cfg(any(not(loom), crossbeam_loom))]
mod epoch;
mod immutable;
mod in_place;
mod locked;
// A negative control: checker builds only, it cannot be built for real threads.
#[cfg(any(loom, shuttle))]
mod naive_swap;

#[cfg(not(loom))]
pub use cow::CachedReader;
pub use cow::CopyOnWrite;
#[cfg(any(not(loom), crossbeam_loom))]
pub use epoch::Epoch;
pub use immutable::Immutable;
pub use in_place::InPlace;
pub use locked::Locked;
#[cfg(any(loom, shuttle))]
pub use naive_swap::NaiveSwap;

use crate::identity::Identity;
pub use swan_credstore_vocab::Variant;

/// Which design a subject cell is: one of the verdict matrix's [`Variant`]s, or a cell
/// of your own (an exercise's, a user crate's), named for the records.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Design {
    /// A design of the matrix.
    Matrix(Variant),
    /// A cell from outside the matrix, by its own name (recorded as `variant: custom`,
    /// `cell: <name>`).
    Custom(&'static str),
}

impl Design {
    /// The matrix variant ([`Variant::Custom`] for a custom cell).
    pub const fn variant(self) -> Variant {
        match self {
            Design::Matrix(v) => v,
            Design::Custom(_) => Variant::Custom,
        }
    }

    /// A custom cell's own name; `None` for a matrix design.
    pub const fn custom_name(self) -> Option<&'static str> {
        match self {
            Design::Matrix(_) => None,
            Design::Custom(n) => Some(n),
        }
    }
}

/// Storage for a certificate's subject that can be read from many threads.
///
/// Implementations guarantee that [`read`](SubjectCell::read) gives `f` an identity
/// that was stored in the cell at some point (the initial one or one passed to a
/// setter) — unless the type is documented as racy, in which case the checkers must
/// find the violation.
pub trait SubjectCell: Send + Sync + Sized + 'static {
    /// Which design this is (the records' `variant`, and `cell` for a custom one).
    const DESIGN: Design;

    /// Whether the cell frees replaced identities later than the scenario's end (epoch
    /// reclamation): the scenarios' leak check then does not count its identities. A
    /// cell that frees eagerly keeps the default, `false`, and every identity or
    /// snapshot it made must be gone once the scenario drops everything.
    const DEFERS_FREES: bool = false;

    /// A cell holding `subject`.
    fn new(subject: Identity) -> Self;

    /// Runs `f` on the current subject (`pubkey_cert.subject` read by `get_subject`,
    /// `has_subject` or `equals`). `op` names the caller in the timeline.
    fn read<R>(
        &self,
        op: &'static str,
        owner: &dyn std::fmt::Display,
        f: impl FnOnce(&Identity) -> R,
    ) -> R;
}

/// A subject cell with strongSwan's pre-fix `set_subject()`.
pub trait MutableSubject: SubjectCell {
    /// Replaces the subject with a copy of `subject`. What readers may observe while
    /// this runs is the property under test.
    fn set(&self, subject: &Identity, owner: &dyn std::fmt::Display);
}
