//! [`MirrorStore`]: `predict`'s fast store. The faithful store's two lists, kept exactly
//! as [`CredentialStore`] keeps them, plus a hash index that answers `add_cert_ref`'s
//! dedup question without the linear scan.
//!
//! # Why it gives the faithful store's figures exactly
//! * **Same lists.** `untrusted` and `trusted` are `VecDeque<CertRef<C>>` changed by the
//!   same operations in the same order as [`CredentialStore`]'s (`push_front` of the
//!   new cert on `untrusted`, then on `trusted` if trusted; `clear` of both), so their
//!   lengths (stored objects, list nodes) and their buffers (heap bytes) are the
//!   faithful store's, and every cert object lives exactly as long as there.
//! * **Same answer to the dedup question.** `mem_cred_t`'s `add_cert_internal` returns
//!   the *first* cert of `untrusted` that `equals` the new one. `untrusted` only grows
//!   at its head and is only emptied whole, so the first equal cert is the most
//!   recently inserted one of those that are equal. `equals` between raw-key certs is
//!   "same object, or same key and `Identity::equals` subjects"; its classes are
//!   (key, [`IdentityKey`] of the subject) — `IdentityKey` is normalised so that equal
//!   keys ⇔ `equals` — so the index maps (key id, `IdentityKey`) to the insertion
//!   numbers of the stored certs in that class, and a lookup takes the highest number
//!   whose cert really `equals` the new one (the key id is SHA-1 of the DER, so a
//!   collision would only add candidates, which the `equals` check drops).
//! * **Subjects that change.** The pre-fix flow calls `set_subject` on a cert that is
//!   already stored, which moves it to another class without the store being told.
//!   In `Vici::load_conn_pre_fix` the only certs whose subject is set are those
//!   `add_cert_ref` returned earlier in the same `load-conn`. The store therefore
//!   remembers every cert it returned (`touched`) and re-files them under their current
//!   subject before every lookup and in [`Settle::settle`], which the engine calls after
//!   every `load-conn` and `load-cert`. So at every lookup each stored cert is filed
//!   under its current class. (Cells with fixed subjects never move; the re-filing is
//!   then a no-op.)
//! * **Its own memory is not counted.** The index and `touched` are the store's own
//!   bookkeeping, not model state: every operation on them is bracketed by two readings
//!   of the [`Meter`], and the net bytes are kept in [`MirrorStore::excluded_bytes`],
//!   which the engine subtracts. Nothing of the model is freed inside a bracket (the
//!   index holds no references: certs are found by position), so the subtraction
//!   removes exactly the index's bytes.
//!
//! `tests/swanctl_predict.rs` runs both stores through every reference configuration,
//! both flows, every mode, with and without clear-creds, and compares every figure.

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::marker::PhantomData;
use std::sync::Mutex;
use swan_credstore::indexed_store::IdentityKey;
use swan_credstore::store::{CertStore, CredentialStore, Found};
use swan_credstore::subject::{SubjectCell, Variant};
use swan_credstore::{CertRef, MatchQuality};

/// Live heap bytes, as the allocator in use counts them (the engine's heap figures are
/// differences of two readings).
pub trait Meter: 'static {
    /// Bytes allocated and not yet freed.
    fn live() -> usize;
}

/// What the engine calls after each `load-conn` / `load-cert`, and the bytes a store
/// keeps for itself.
pub trait Settle {
    /// The operation that may have changed subjects of returned certs is over.
    fn settle(&self) {}
    /// Heap bytes held by the store's own bookkeeping (to be subtracted).
    fn excluded_bytes(&self) -> isize {
        0
    }
}

impl<C: SubjectCell> Settle for CredentialStore<C> {}

/// A dedup class: the SHA-1 key id (`KEYID_PUBKEY_INFO_SHA1`) and the normalised
/// subject.
type Class = ([u8; 20], IdentityKey);

fn class_of<C: SubjectCell>(cert: &CertRef<C>) -> Class {
    (cert.key().key_id(), IdentityKey::of(&cert.subject()))
}

struct Inner<C> {
    untrusted: VecDeque<CertRef<C>>,
    trusted: VecDeque<CertRef<C>>,
    /// Insertion number of the next stored cert; `untrusted[i]` has `next - 1 - i`.
    next: u64,
    /// Class → insertion numbers of the stored certs filed under it.
    index: HashMap<Class, BTreeSet<u64>>,
    /// Certs returned since the last settle, with the class each is filed under.
    touched: Vec<(u64, Class)>,
    /// Net heap bytes of `index` and `touched`.
    excluded: isize,
}

impl<C: SubjectCell> Inner<C> {
    fn cert(&self, seq: u64) -> &CertRef<C> {
        &self.untrusted[(self.next - 1 - seq) as usize]
    }

    /// Files every touched cert under its current class.
    fn refile(&mut self) {
        for i in 0..self.touched.len() {
            let (seq, ref filed) = self.touched[i];
            let now = class_of(self.cert(seq));
            if now != *filed {
                if let Some(set) = self.index.get_mut(filed) {
                    set.remove(&seq);
                    if set.is_empty() {
                        self.index.remove(filed);
                    }
                }
                self.index.entry(now.clone()).or_default().insert(seq);
                self.touched[i].1 = now;
            }
        }
    }

    /// The newest stored cert that `equals` `cert`.
    fn find(&self, class: &Class, cert: &CertRef<C>) -> Option<u64> {
        let set = self.index.get(class)?;
        set.iter()
            .rev()
            .copied()
            .find(|&s| self.cert(s).equals(cert))
    }
}

/// `predict`'s fast store: [`CredentialStore`]'s lists and semantics, dedup through a
/// hash index (see the [module docs](self) for why its figures are the faithful
/// store's). `M` is the meter whose bytes the index's bookkeeping is excluded with.
pub struct MirrorStore<C, M> {
    inner: Mutex<Inner<C>>,
    meter: PhantomData<fn() -> M>,
}

impl<C: SubjectCell, M: Meter> MirrorStore<C, M> {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner<C>> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Runs `f` on the bookkeeping and adds its net allocation to `excluded`.
    fn bookkeeping<R>(inner: &mut Inner<C>, f: impl FnOnce(&mut Inner<C>) -> R) -> R {
        let before = M::live();
        let r = f(inner);
        inner.excluded += M::live() as isize - before as isize;
        r
    }
}

impl<C: SubjectCell, M: Meter> Settle for MirrorStore<C, M> {
    fn settle(&self) {
        let mut inner = self.lock();
        Self::bookkeeping(&mut inner, |i| {
            i.refile();
            i.touched.clear();
        });
    }

    fn excluded_bytes(&self) -> isize {
        self.lock().excluded
    }
}

impl<C: SubjectCell, M: Meter> CertStore<C> for MirrorStore<C, M> {
    const VARIANT: Option<Variant> = None;

    fn empty() -> Self {
        MirrorStore {
            inner: Mutex::new(Inner {
                untrusted: VecDeque::new(),
                trusted: VecDeque::new(),
                next: 0,
                index: HashMap::new(),
                touched: Vec::new(),
                excluded: 0,
            }),
            meter: PhantomData,
        }
    }

    /// `add_cert_internal`: the newest stored cert equal to `cert` (found through the
    /// index), or `cert` stored at the head of the lists.
    fn add_cert_ref(&self, trusted: bool, cert: CertRef<C>) -> CertRef<C> {
        let mut guard = self.lock();
        let inner = &mut *guard;
        let found = Self::bookkeeping(inner, |i| {
            i.refile();
            let class = class_of(&cert);
            let found = i.find(&class, &cert);
            let seq = found.unwrap_or(i.next);
            if found.is_none() {
                i.index.entry(class.clone()).or_default().insert(seq);
            }
            i.touched.push((seq, class));
            found
        });
        match found {
            // `cert` is dropped by the caller's frame, outside the bracket, as the
            // faithful store drops it.
            Some(seq) => inner.cert(seq).clone(),
            None => {
                inner.next += 1;
                inner.untrusted.push_front(cert.clone());
                if trusted {
                    inner.trusted.push_front(cert.clone());
                }
                cert
            }
        }
    }

    fn get_cert_ref(&self, cert: CertRef<C>) -> CertRef<C> {
        let mut guard = self.lock();
        let inner = &mut *guard;
        let found = Self::bookkeeping(inner, |i| {
            i.refile();
            i.find(&class_of(&cert), &cert)
        });
        match found {
            Some(seq) => inner.cert(seq).clone(),
            None => cert,
        }
    }

    /// As [`CredentialStore`]: a scan of `trusted`, newest first (not on predict's
    /// path).
    fn find_trusted(&self, id: &swan_credstore::Identity) -> Vec<Found<C>> {
        let inner = self.lock();
        let found = |cert: &CertRef<C>| {
            let (quality, subject_seen) = cert.has_subject_observed(id);
            (quality > MatchQuality::None).then(|| Found {
                cert: cert.clone(),
                quality,
                subject_seen,
            })
        };
        inner.trusted.iter().filter_map(found).collect()
    }

    /// As [`CredentialStore`]: every stored cert, newest first, but those `equals` to
    /// one listed before (not on predict's path).
    fn list_certs(&self) -> Vec<CertRef<C>> {
        let inner = self.lock();
        inner.untrusted.iter().fold(Vec::new(), |mut listed, cert| {
            if listed.iter().all(|seen: &CertRef<C>| !cert.equals(seen)) {
                listed.push(cert.clone());
            }
            listed
        })
    }

    /// `clear()`: the index first (it holds no references, so nothing of the model is
    /// freed in the bracket), then the lists, as [`CredentialStore`] clears them.
    fn clear(&self) {
        let mut guard = self.lock();
        let inner = &mut *guard;
        Self::bookkeeping(inner, |i| {
            i.index.clear();
            i.touched.clear();
        });
        inner.untrusted.clear();
        inner.trusted.clear();
    }

    fn stored_objects(&self) -> usize {
        self.lock().untrusted.len()
    }

    fn list_nodes(&self) -> usize {
        let inner = self.lock();
        inner.untrusted.len() + inner.trusted.len()
    }

    fn stored(&self) -> Vec<CertRef<C>> {
        self.lock().untrusted.iter().cloned().collect()
    }
}
