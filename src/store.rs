//! The shared in-memory credential store: the model of strongSwan's `mem_cred_t`
//! (`src/libstrongswan/credentials/sets/mem_cred.c`) as vici uses it for raw keys
//! (`src/libcharon/plugins/vici/vici_cred.c` adds every cert as trusted).
//!
//! One reader-writer lock guards two lists, `untrusted` (every cert) and `trusted`
//! (trusted certs again); each list node holds one reference. New certs go to the head
//! of the lists, as `linked_list_t.insert_first` does, so the newest object is the
//! first one a reader meets.
//!
//! [`CertStore`] is the interface the vici flows and the scenarios use, so another store
//! design with the same semantics can replace [`CredentialStore`].

use crate::cert::{CertRef, PubkeyCert};
use crate::identity::{Identity, MatchQuality};
use crate::subject::SubjectCell;
use crate::subject::Variant;
use crate::sync::{self, RwLock};
use crate::trace::{self, Lock, Mode, StepKind};
use std::collections::VecDeque;

struct Lists<C> {
    untrusted: VecDeque<CertRef<C>>,
    trusted: VecDeque<CertRef<C>>,
}

/// `mem_cred_t` restricted to certificates: an `RwLock` over the `trusted` and
/// `untrusted` lists, deduplicating by `equals` with a linear scan.
pub struct CredentialStore<C> {
    lists: RwLock<Lists<C>>,
}

/// One certificate found by a lookup, with the match quality and the subject the
/// lookup read.
#[derive(Debug)]
pub struct Found<C> {
    /// The certificate (one more reference).
    pub cert: CertRef<C>,
    /// `has_subject` result.
    pub quality: MatchQuality,
    /// The subject `has_subject` read, `None` when the key id alone decided.
    pub subject_seen: Option<Identity>,
}

impl<C: SubjectCell> Default for CredentialStore<C> {
    fn default() -> Self {
        Self::new()
    }
}

impl<C: SubjectCell> CredentialStore<C> {
    /// An empty store (`mem_cred_create`).
    pub fn new() -> Self {
        CredentialStore {
            lists: RwLock::new(Lists {
                untrusted: VecDeque::new(),
                trusted: VecDeque::new(),
            }),
        }
    }
}

/// The store interface of the vici flows and scenarios: `mem_cred_t`'s certificate
/// operations with its semantics (each method's docs state them). Implementations must
/// be safe to share between threads; which locks they take is theirs to choose, and the
/// checkers' to examine.
pub trait CertStore<C: SubjectCell>: Send + Sync + Sized + 'static {
    /// The design this store makes of the row, if it is one of its own
    /// ([`Variant::IndexedStore`], [`Variant::SplitDedup`]); `None` (the list store):
    /// the row's design is the cell's.
    const VARIANT: Option<Variant>;

    /// An empty store.
    fn empty() -> Self;

    /// `add_cert_ref(trusted, cert)`: if a stored cert `equals` the new one, drop the new
    /// reference and return the stored object; otherwise store `cert` (also as trusted
    /// if `trusted`) and return it.
    fn add_cert_ref(&self, trusted: bool, cert: CertRef<C>) -> CertRef<C>;

    /// `get_cert_ref(cert)`: the stored object equal to `cert`, or `cert` itself.
    fn get_cert_ref(&self, cert: CertRef<C>) -> CertRef<C>;

    /// IKE_AUTH's lookup: every trusted cert whose `has_subject(id)` is better than
    /// `NONE`, newest first.
    fn find_trusted(&self, id: &Identity) -> Vec<Found<C>>;

    /// vici `list-certs`: every stored cert, skipping those `equals` to one already
    /// listed, newest first.
    fn list_certs(&self) -> Vec<CertRef<C>>;

    /// `clear()`: drop every reference the store holds.
    fn clear(&self);

    /// Distinct certificate objects held.
    fn stored_objects(&self) -> usize;

    /// List nodes held (`untrusted` plus `trusted` entries, as `mem_cred_t` counts them).
    fn list_nodes(&self) -> usize;

    /// A snapshot of every stored object (one reference each), newest first.
    fn stored(&self) -> Vec<CertRef<C>>;

    /// Pairs of distinct stored objects that are `equals` to each other: what the
    /// pre-fix flow leaves behind and `list-certs` hides. Empty for a healthy store.
    fn equal_pairs(&self) -> Vec<(CertRef<C>, CertRef<C>)> {
        let all = self.stored();
        let mut pairs = Vec::new();
        for (i, a) in all.iter().enumerate() {
            for b in &all[i + 1..] {
                if PubkeyCert::equals(a, b) {
                    pairs.push((a.clone(), b.clone()));
                }
            }
        }
        pairs
    }
}

impl<C: SubjectCell> CertStore<C> for CredentialStore<C> {
    const VARIANT: Option<Variant> = None;

    fn empty() -> Self {
        CredentialStore::new()
    }

    /// `add_cert_ref(trusted, cert)`: under the write lock, looks for a stored cert
    /// that `equals` the new one. Found: the new reference is dropped and the stored
    /// object returned. Not found: `cert` is inserted at the head of `untrusted` (and of
    /// `trusted` if `trusted`), each list taking a reference, and returned.
    fn add_cert_ref(&self, trusted: bool, cert: CertRef<C>) -> CertRef<C> {
        trace::step(
            StepKind::Acquire {
                lock: Lock::Store,
                mode: Mode::Write,
            },
            "add_cert_ref: take write lock",
            || cert.label(),
        );
        let mut lists = sync::write(&self.lists);
        if let Some(cached) = lists.untrusted.iter().find(|c| c.equals(&cert)) {
            let cached = cached.clone();
            trace::step(
                StepKind::Reuse,
                "add_cert_ref: duplicate, reuse stored",
                || format!("{} instead of {}", cached.label(), cert.label()),
            );
            return cached;
        }
        trace::step(StepKind::Insert, "add_cert_ref: store new", || {
            (cert.label(), cert.label())
        });
        lists.untrusted.push_front(cert.clone());
        if trusted {
            lists.trusted.push_front(cert.clone());
        }
        cert
    }

    /// `get_cert_ref(cert)`: the stored object equal to `cert` if there is one,
    /// otherwise `cert` itself. Read lock.
    fn get_cert_ref(&self, cert: CertRef<C>) -> CertRef<C> {
        let lists = sync::read(&self.lists);
        let found = lists.untrusted.iter().find(|c| c.equals(&cert)).cloned();
        found.unwrap_or(cert)
    }

    /// IKE_AUTH's lookup of a peer's trusted raw key: `create_cert_enumerator(
    /// CERT_TRUSTED_PUBKEY, KEY_ANY, id, trusted=TRUE)` holding the read lock for the
    /// whole enumeration and keeping certs whose `has_subject(id)` is better than
    /// `NONE`, in list order.
    fn find_trusted(&self, id: &Identity) -> Vec<Found<C>> {
        trace::step(
            StepKind::Acquire {
                lock: Lock::Store,
                mode: Mode::Read,
            },
            "lookup: take read lock",
            || format!("peer {id}"),
        );
        let lists = sync::read(&self.lists);
        let mut out = Vec::new();
        for cert in &lists.trusted {
            let (quality, subject_seen) = cert.has_subject_observed(id);
            if quality > MatchQuality::None {
                out.push(Found {
                    cert: cert.clone(),
                    quality,
                    subject_seen,
                });
            }
        }
        out
    }

    /// vici `list-certs` (`vici_query.c`, `enum_certs`): enumerates every stored cert
    /// under the read lock and skips those `equals` to one already listed. This is why
    /// the listing shows one entry per key whatever the duplicates.
    fn list_certs(&self) -> Vec<CertRef<C>> {
        trace::step(
            StepKind::Acquire {
                lock: Lock::Store,
                mode: Mode::Read,
            },
            "list-certs: take read lock",
            String::new,
        );
        let lists = sync::read(&self.lists);
        let mut listed: Vec<CertRef<C>> = Vec::new();
        for cert in &lists.untrusted {
            if !listed.iter().any(|seen| cert.equals(seen)) {
                listed.push(cert.clone());
            }
        }
        listed
    }

    /// `clear()` (vici `clear-creds`): under the write lock, drops every list
    /// reference. Objects still referenced elsewhere (loaded configs) stay alive.
    fn clear(&self) {
        trace::step(
            StepKind::Acquire {
                lock: Lock::Store,
                mode: Mode::Write,
            },
            "clear-creds: take write lock",
            String::new,
        );
        let mut lists = sync::write(&self.lists);
        lists.untrusted.clear();
        lists.trusted.clear();
    }

    /// Distinct certificate objects held (each is in `untrusted` exactly once).
    fn stored_objects(&self) -> usize {
        sync::read(&self.lists).untrusted.len()
    }

    /// List nodes held: `untrusted` plus `trusted`.
    fn list_nodes(&self) -> usize {
        let lists = sync::read(&self.lists);
        lists.untrusted.len() + lists.trusted.len()
    }

    /// A snapshot of every stored object (one reference each), head first.
    fn stored(&self) -> Vec<CertRef<C>> {
        sync::read(&self.lists).untrusted.iter().cloned().collect()
    }
}
