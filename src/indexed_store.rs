//! [`IndexedStore`]: a credential store with `mem_cred_t`'s semantics whose lookups and
//! deduplication go through hash indexes instead of scanning lists.
//!
//! It implements [`CertStore`] like [`CredentialStore`](crate::store::CredentialStore)
//! and must be observably identical to it (`tests/indexed_store.rs` runs random
//! operation sequences against both and compares every result, object by object and in
//! order). What differs is the cost:
//!
//! | operation | [`CredentialStore`](crate::store::CredentialStore) | [`IndexedStore`] |
//! |---|---|---|
//! | `add_cert_ref`, `get_cert_ref` (dedup) | O(n) `equals` calls | O(1) expected: one hash probe on (key id, normalised subject), then `equals` on the (at most one) hit |
//! | `find_trusted`, exact identity (FQDN, RFC 822, DN without `*`, IP, key id) | O(n) `has_subject` calls | O(m log m) for m matches: hash probe(s), sort the hits newest first |
//! | `find_trusted`, key id equal to a key fingerprint | O(n) | O(m log m): fingerprint index |
//! | `find_trusted`, wildcard (`*suffix`, DN with a `*` value) or `%any` | O(n) | **O(n)**: falls back to the same scan of the trusted entries |
//! | `list_certs` | O(n·u) `equals` calls (u listed so far) | O(n): one hash set of (key id, subject) |
//! | `clear`, `stored_objects`, `list_nodes` | O(n), O(1), O(1) | O(n), O(1), O(1) |
//!
//! (n stored objects, m results.) Wildcard and `%any` lookups stay linear because the
//! set of subjects a pattern matches is not a hash key; a suffix trie could index
//! `*suffix` FQDNs, but IKE peers are normally configured with exact identities and the
//! scan is what strongSwan does anyway.
//!
//! # Synchronisation
//! Exactly like [`CredentialStore`](crate::store::CredentialStore): **one** facade
//! [`RwLock`] guards everything — the entries and all indexes — so an index can never
//! disagree with the entries it describes as seen by any thread. `add_cert_ref` and
//! `clear` take the write lock for the whole check-then-insert; lookups and listings
//! hold the read lock for their whole enumeration. No new synchronisation is
//! introduced, so the loom scenarios check it exactly as they check the list store; the
//! negative control `negative::SplitDedup` (model checkers only) shows that the harness notices when the
//! dedup check and the insert are not under one write lock.
//!
//! # Only for fixed subjects
//! The indexes are keyed by each cert's subject **at insertion time**. strongSwan's
//! pre-fix flow mutates the subject of a cert that is already stored (`set_subject`
//! after `add_cert_ref`): with an index that mutation would leave the cert filed under
//! its old key id, so a lookup of the new identity would miss it and dedup would not
//! see it (a false negative; re-checking `has_subject` on the hits only removes false
//! positives). Keying by the key alone and comparing subjects on lookup would survive
//! mutation but makes an identity lookup a scan again, which is what this store exists
//! to avoid. So the store is only offered for subject cells that promise never to
//! change a subject once the cert is created: [`CertStore`] is implemented for
//! `IndexedStore<C>` only when `C:` [`FixedSubject`], which [`Immutable`] (the upstream
//! fix) implements and no cell with a setter should. The pre-fix flow therefore cannot
//! even be instantiated with it:
//!
//! ```compile_fail
//! use swan_credstore::{ConnSpec, IndexedStore, Locked, Vici};
//! let vici = Vici::<Locked, IndexedStore<Locked>>::new();
//! vici.load_conn_pre_fix(&ConnSpec::remote_pubkeys("c", None, vec![]));
//! ```
//!
//! ```
//! use swan_credstore::{CertStore, ConnSpec, Identity, Immutable, IndexedStore, PublicKey, Vici};
//! # // Doctests are compiled without RUSTFLAGS; in a loom/shuttle build they would link
//! # // against checker primitives used outside a checker, so they run in the std build.
//! # if swan_credstore::sync::BACKEND != "std" { return; }
//! let conn = ConnSpec::remote_pubkeys(
//!     "rpk",
//!     Some(Identity::parse("peer.example.org")),
//!     vec![PublicKey::synthetic("peer")],
//! );
//! let vici = Vici::<Immutable, IndexedStore<Immutable>>::new();
//! for _ in 0..=3 {
//!     vici.load_conn_upstream_fix(&conn);
//! }
//! assert_eq!(vici.store().stored_objects(), 1); // dedup works
//! let found = vici.store().find_trusted(&Identity::parse("PEER.example.org"));
//! assert_eq!(found.len(), 1);
//! ```

use crate::cert::{CertRef, PubkeyCert};
use crate::identity::{Identity, MatchQuality};
use crate::store::{CertStore, Found};
use crate::subject::{Immutable, SubjectCell, Variant};
use crate::sync::{self, RwLock};
use crate::trace::{self, Lock, Mode, StepKind};
use std::collections::{BTreeMap, HashMap, HashSet};

/// A subject cell whose subject never changes after [`SubjectCell::new`]: the
/// precondition of [`IndexedStore`], whose indexes are keyed by the subject a cert had
/// when it was stored.
///
/// Implement it only for cells without a setter (no [`MutableSubject`](crate::subject::MutableSubject)
/// implementation). A cell that implements both breaks [`IndexedStore`]'s lookups (not
/// memory safety): a cert whose subject changed after insertion is not found under its
/// new identity.
pub trait FixedSubject: SubjectCell {}

impl FixedSubject for Immutable {}

/// An identity normalised so that two identities are [`Identity::equals`] exactly when
/// their keys are equal: FQDN and RFC 822 names ASCII-lowercased, DNs split into
/// (upper-cased attribute, value) RDNs the way `identity.rs` compares them, everything
/// else as is.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum IdentityKey {
    /// `%any`.
    Any,
    /// A key id, byte for byte.
    KeyId(Vec<u8>),
    /// An FQDN, lowercased.
    Fqdn(String),
    /// An RFC 822 address, lowercased.
    Rfc822(String),
    /// A DN as its RDNs: attribute upper-cased, value trimmed and case-sensitive.
    Dn(Vec<(String, String)>),
    /// An IPv4 address.
    Ipv4([u8; 4]),
    /// An IPv6 address.
    Ipv6([u8; 16]),
}

/// A DN's RDNs as owned pairs ([`crate::identity::rdns`], the split `equals` uses).
fn dn_rdns(dn: &str) -> Vec<(String, String)> {
    crate::identity::rdns(dn)
        .into_iter()
        .map(|(k, v)| (k, v.to_string()))
        .collect()
}

impl IdentityKey {
    /// The hash key of `id`.
    pub fn of(id: &Identity) -> IdentityKey {
        match id {
            Identity::Any => IdentityKey::Any,
            Identity::KeyId(b) => IdentityKey::KeyId(b.clone()),
            Identity::Fqdn(s) => IdentityKey::Fqdn(s.to_ascii_lowercase()),
            Identity::Rfc822(s) => IdentityKey::Rfc822(s.to_ascii_lowercase()),
            Identity::Dn(s) => IdentityKey::Dn(dn_rdns(s)),
            Identity::Ipv4(a) => IdentityKey::Ipv4(*a),
            Identity::Ipv6(a) => IdentityKey::Ipv6(*a),
        }
    }

    /// Whether `pattern`, used as a lookup, can match subjects other than those equal
    /// to it (`Identity::matches` better than `NONE` without `equals`): `%any`, an FQDN
    /// or RFC 822 pattern starting with `*`, or a DN with a `*` RDN value. Such lookups
    /// cannot be answered from a hash index.
    pub fn is_pattern(pattern: &Identity) -> bool {
        match pattern {
            Identity::Any => true,
            Identity::Fqdn(s) | Identity::Rfc822(s) => s.starts_with('*'),
            Identity::Dn(s) => dn_rdns(s).iter().any(|(_, v)| v == "*"),
            _ => false,
        }
    }
}

/// The dedup key of a cert: its key (by `KEYID_PUBKEY_INFO_SHA1`, confirmed with
/// `equals` on a hit) and its normalised subject.
type DedupKey = ([u8; 20], IdentityKey);

struct Entry<C> {
    cert: CertRef<C>,
    trusted: bool,
    dedup: DedupKey,
}

/// Everything the lock guards: entries by insertion sequence number (higher = newer)
/// and the indexes, which hold sequence numbers.
struct Index<C> {
    next_seq: u64,
    /// Every stored object (mem_cred's `untrusted` list), keyed by insertion order.
    entries: BTreeMap<u64, Entry<C>>,
    /// Entries also in mem_cred's `trusted` list.
    trusted: usize,
    /// (key id, subject) → entries. With fixed subjects and dedup, at most one.
    by_dedup: HashMap<DedupKey, Vec<u64>>,
    /// Trusted entries by subject.
    by_subject: HashMap<IdentityKey, Vec<u64>>,
    /// Trusted entries by each of their key's fingerprints (both SHA-1 key ids).
    by_fingerprint: HashMap<[u8; 20], Vec<u64>>,
}

impl<C: SubjectCell> Index<C> {
    fn new() -> Self {
        Index {
            next_seq: 0,
            entries: BTreeMap::new(),
            trusted: 0,
            by_dedup: HashMap::new(),
            by_subject: HashMap::new(),
            by_fingerprint: HashMap::new(),
        }
    }

    fn dedup_key(cert: &PubkeyCert<C>) -> DedupKey {
        (cert.key().key_id(), IdentityKey::of(&cert.subject()))
    }

    /// The newest stored object `equals` to `cert`, looked up by its dedup key.
    fn find_equal(&self, key: &DedupKey, cert: &CertRef<C>) -> Option<CertRef<C>> {
        let seqs = self.by_dedup.get(key)?;
        seqs.iter()
            .rev()
            .map(|s| &self.entries[s].cert)
            .find(|c| c.equals(cert))
            .cloned()
    }

    fn insert(&mut self, trusted: bool, cert: CertRef<C>, key: DedupKey) {
        let seq = self.next_seq;
        self.next_seq += 1;
        self.by_dedup.entry(key.clone()).or_default().push(seq);
        if trusted {
            self.trusted += 1;
            self.by_subject.entry(key.1.clone()).or_default().push(seq);
            let k = cert.key();
            self.by_fingerprint.entry(k.key_id()).or_default().push(seq);
            if k.key_id_pubkey() != k.key_id() {
                self.by_fingerprint
                    .entry(k.key_id_pubkey())
                    .or_default()
                    .push(seq);
            }
        }
        self.entries.insert(
            seq,
            Entry {
                cert,
                trusted,
                dedup: key,
            },
        );
    }

    fn clear(&mut self) {
        self.entries.clear();
        self.trusted = 0;
        self.by_dedup.clear();
        self.by_subject.clear();
        self.by_fingerprint.clear();
    }

    /// `find_trusted`: exact identities through the indexes, patterns by scanning the
    /// trusted entries newest first. Every candidate is confirmed with
    /// `has_subject_observed`, so quality and observed subject are exactly what the
    /// list store reports.
    fn find_trusted(&self, id: &Identity) -> Vec<Found<C>> {
        let confirm = |cert: &CertRef<C>| {
            let (quality, subject_seen) = cert.has_subject_observed(id);
            (quality > MatchQuality::None).then(|| Found {
                cert: cert.clone(),
                quality,
                subject_seen,
            })
        };
        if IdentityKey::is_pattern(id) {
            return self
                .entries
                .values()
                .rev()
                .filter(|e| e.trusted)
                .filter_map(|e| confirm(&e.cert))
                .collect();
        }
        let mut seqs: Vec<u64> = Vec::new();
        if let Some(v) = self.by_subject.get(&IdentityKey::of(id)) {
            seqs.extend_from_slice(v);
        }
        if let Identity::KeyId(bytes) = id {
            if let Ok(fp) = <[u8; 20]>::try_from(bytes.as_slice()) {
                if let Some(v) = self.by_fingerprint.get(&fp) {
                    seqs.extend_from_slice(v);
                }
            }
        }
        seqs.sort_unstable_by(|a, b| b.cmp(a));
        seqs.dedup();
        seqs.iter()
            .filter_map(|s| confirm(&self.entries[s].cert))
            .collect()
    }

    /// `list_certs`: newest first, skipping certs equal to one already listed. Equal
    /// certs share a dedup key, so the skip is a hash-set probe (confirmed by `equals`
    /// against the listed certs with that key, in case two keys ever collide).
    fn list_certs(&self) -> Vec<CertRef<C>> {
        let mut seen: HashSet<&DedupKey> = HashSet::new();
        let mut listed: Vec<CertRef<C>> = Vec::new();
        let mut listed_by_key: HashMap<&DedupKey, Vec<usize>> = HashMap::new();
        for e in self.entries.values().rev() {
            if seen.insert(&e.dedup) {
                listed_by_key
                    .entry(&e.dedup)
                    .or_default()
                    .push(listed.len());
                listed.push(e.cert.clone());
                continue;
            }
            let dup = listed_by_key[&e.dedup]
                .iter()
                .any(|&i| e.cert.equals(&listed[i]));
            if !dup {
                listed_by_key.get_mut(&e.dedup).unwrap().push(listed.len());
                listed.push(e.cert.clone());
            }
        }
        listed
    }
}

/// A credential store with [`CredentialStore`](crate::store::CredentialStore)'s
/// semantics, indexed by key and by identity. See the [module docs](self) for the
/// complexity of each operation, the single lock, and why it requires a
/// [`FixedSubject`] cell.
pub struct IndexedStore<C> {
    index: RwLock<Index<C>>,
}

impl<C: FixedSubject> Default for IndexedStore<C> {
    fn default() -> Self {
        Self::new()
    }
}

impl<C: FixedSubject> IndexedStore<C> {
    /// An empty store.
    pub fn new() -> Self {
        IndexedStore {
            index: RwLock::new(Index::new()),
        }
    }
}

impl<C: FixedSubject> CertStore<C> for IndexedStore<C> {
    const VARIANT: Option<Variant> = Some(Variant::IndexedStore);

    fn empty() -> Self {
        IndexedStore::new()
    }

    /// `add_cert_ref(trusted, cert)`: under the write lock, probes the dedup index for
    /// a stored cert `equals` to `cert`; found: returns it and drops `cert`; not found:
    /// stores `cert` (newest) and indexes it.
    fn add_cert_ref(&self, trusted: bool, cert: CertRef<C>) -> CertRef<C> {
        trace::step(
            StepKind::Acquire {
                lock: Lock::Store,
                mode: Mode::Write,
            },
            "add_cert_ref: take write lock",
            || cert.label(),
        );
        let key = Index::dedup_key(&cert);
        let mut index = sync::write(&self.index);
        if let Some(cached) = index.find_equal(&key, &cert) {
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
        index.insert(trusted, cert.clone(), key);
        cert
    }

    /// `get_cert_ref(cert)`: the stored object equal to `cert`, or `cert`. Read lock,
    /// one index probe.
    fn get_cert_ref(&self, cert: CertRef<C>) -> CertRef<C> {
        let key = Index::dedup_key(&cert);
        let index = sync::read(&self.index);
        index.find_equal(&key, &cert).unwrap_or(cert)
    }

    /// IKE_AUTH's lookup, read lock held throughout: exact identities and key ids
    /// through the indexes, wildcards and `%any` by scanning the trusted entries.
    /// Newest first, with `has_subject`'s quality and observed subject.
    fn find_trusted(&self, id: &Identity) -> Vec<Found<C>> {
        trace::step(
            StepKind::Acquire {
                lock: Lock::Store,
                mode: Mode::Read,
            },
            "lookup: take read lock",
            || format!("peer {id}"),
        );
        sync::read(&self.index).find_trusted(id)
    }

    /// vici `list-certs`: every stored cert newest first, equal ones once. Read lock.
    fn list_certs(&self) -> Vec<CertRef<C>> {
        trace::step(
            StepKind::Acquire {
                lock: Lock::Store,
                mode: Mode::Read,
            },
            "list-certs: take read lock",
            String::new,
        );
        sync::read(&self.index).list_certs()
    }

    /// `clear()`: under the write lock, drops every entry and index record.
    fn clear(&self) {
        trace::step(
            StepKind::Acquire {
                lock: Lock::Store,
                mode: Mode::Write,
            },
            "clear-creds: take write lock",
            String::new,
        );
        sync::write(&self.index).clear();
    }

    fn stored_objects(&self) -> usize {
        sync::read(&self.index).entries.len()
    }

    /// `untrusted` plus `trusted` entries, as `mem_cred_t` would count its list nodes.
    fn list_nodes(&self) -> usize {
        let index = sync::read(&self.index);
        index.entries.len() + index.trusted
    }

    fn stored(&self) -> Vec<CertRef<C>> {
        sync::read(&self.index)
            .entries
            .values()
            .rev()
            .map(|e| e.cert.clone())
            .collect()
    }

    // `equal_pairs` keeps the trait's default, an O(n²) `equals` over `stored()`: it is
    // the scenarios' duplicate checker and must not trust the index it checks.
}

// Negative controls (checker builds only): see the module's docs.
#[cfg(any(loom, shuttle))]
pub mod negative;
