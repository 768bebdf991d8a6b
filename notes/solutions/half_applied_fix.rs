//! Exercise 3's solution: the upstream fix applied by half.
//!
//! Commit 65e121b4 did two things to vici's `load-conn`: it made `parse_pubkeys` stop
//! adding each key to the store (it only remembers the blobs), and it wraps and adds
//! the keys once the identity is known. This flow keeps the second half and forgets the
//! first: the early add under the key id is still there, then the fixed code adds the
//! cert with the final identity. Only public API is used.

use swan_credstore::{CertStore, ConnSpec, Merge, PubkeyCert, SubjectCell, Vici};

/// `load-conn` with the fix half-applied: the pre-fix early add of every key under its
/// key id (no subject given, so the subject is the key id), then the upstream flow.
///
/// It stores two objects per key (one with the key id as subject, referenced by no
/// configuration, and one with the configured id), and `list-certs` shows both.
pub fn load_conn_half_fixed<C: SubjectCell, S: CertStore<C>>(
    vici: &Vici<C, S>,
    spec: &ConnSpec,
) -> Merge {
    for section in spec.local.iter().chain(&spec.remote) {
        for key in &section.pubkeys {
            // What parse_pubkeys did before the fix: wrap with no subject, add_cert.
            let early = PubkeyCert::wrap(key.clone(), None, vici.census());
            drop(vici.store().add_cert_ref(true, early));
        }
    }
    vici.load_conn_upstream_fix(spec)
}
