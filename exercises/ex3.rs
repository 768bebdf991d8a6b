//! Your answer to exercise 3 (notes/exercises.md): a load flow that applies the upstream
//! fix wrongly and stores more objects than keys, even with `Immutable` certs. Use only
//! the crate's public API. Replace the `todo!`.

use swan_credstore::{CertStore, ConnSpec, Merge, SubjectCell, Vici};

/// Your broken `load-conn`.
pub fn broken<C: SubjectCell, S: CertStore<C>>(_vici: &Vici<C, S>, _spec: &ConnSpec) -> Merge {
    todo!("not answered: exercise 3, broken")
}
