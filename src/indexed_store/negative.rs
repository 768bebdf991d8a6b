//! Negative controls: deliberately broken variants of [`IndexedStore`], for showing
//! that the checkers catch what the real store's single write lock prevents. Never use
//! them for anything else.

use super::*;

/// [`IndexedStore`] with the dedup check and the insert in **separate** critical
/// sections: `add_cert_ref` probes the index under the read lock, releases it, and
/// inserts under the write lock. Two concurrent adds of equal certs can both miss
/// and both insert (a check-then-act race), which the `concurrent_reloads`
/// scenario reports as `duplicates`. Every other operation is `IndexedStore`'s.
pub struct SplitDedup<C>(IndexedStore<C>);

impl<C: FixedSubject> CertStore<C> for SplitDedup<C> {
    const VARIANT: Option<Variant> = Some(Variant::SplitDedup);

    fn empty() -> Self {
        SplitDedup(IndexedStore::new())
    }

    fn add_cert_ref(&self, trusted: bool, cert: CertRef<C>) -> CertRef<C> {
        let key = Index::dedup_key(&cert);
        trace::step(
            StepKind::Acquire {
                lock: Lock::Store,
                mode: Mode::Read,
            },
            "add_cert_ref (split): check under read lock",
            || cert.label(),
        );
        let found = sync::read(&self.0.index).find_equal(&key, &cert);
        if let Some(cached) = found {
            return cached;
        }
        trace::step(
            StepKind::Acquire {
                lock: Lock::Store,
                mode: Mode::Write,
            },
            "add_cert_ref (split): insert under write lock",
            || cert.label(),
        );
        sync::write(&self.0.index).insert(trusted, cert.clone(), key);
        cert
    }

    fn get_cert_ref(&self, cert: CertRef<C>) -> CertRef<C> {
        self.0.get_cert_ref(cert)
    }

    fn find_trusted(&self, id: &Identity) -> Vec<Found<C>> {
        self.0.find_trusted(id)
    }

    fn list_certs(&self) -> Vec<CertRef<C>> {
        self.0.list_certs()
    }

    fn clear(&self) {
        self.0.clear()
    }

    fn stored_objects(&self) -> usize {
        self.0.stored_objects()
    }

    fn list_nodes(&self) -> usize {
        self.0.list_nodes()
    }

    fn stored(&self) -> Vec<CertRef<C>> {
        self.0.stored()
    }
}
