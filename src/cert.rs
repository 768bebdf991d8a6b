//! Raw-public-key certificates: the model of strongSwan's `pubkey_cert_t`
//! (`src/libstrongswan/plugins/pubkey/pubkey_cert.c`), a `certificate_t` of type
//! `CERT_TRUSTED_PUBKEY` wrapping a public key and a subject identity.
//!
//! Certificates are shared by reference counting ([`CertRef`], the facade's `Arc`),
//! like `get_ref()`/`destroy()` in C. The subject lives in a pluggable
//! [`SubjectCell`]; everything else about a cert is immutable.

use crate::identity::{Identity, MatchQuality};
use crate::pubkey::PublicKey;
use crate::subject::{MutableSubject, SubjectCell};
use crate::sync::Arc;
use crate::trace::{self, StepKind};
use std::sync::atomic::{AtomicUsize, Ordering};

/// A shared reference to a certificate (`certificate_t*` plus one reference).
pub type CertRef<C> = Arc<PubkeyCert<C>>;

/// Counts certificate objects alive, wherever they are referenced from.
///
/// The counter is a `std` atomic behind a `std` `Arc`, deliberately outside the sync
/// facade: it is bookkeeping for tests, and must add no synchronisation that loom could
/// see. Clones share one count.
#[derive(Clone, Debug, Default)]
pub struct Census(std::sync::Arc<AtomicUsize>);

impl Census {
    /// A fresh census with nothing alive.
    pub fn new() -> Census {
        Census::default()
    }

    /// Certificate objects created through this census and not yet dropped.
    pub fn live(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }
}

/// A certificate's timeline label (`cert#N`), formatted only when a step is recorded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CertLabel(pub u64);

impl std::fmt::Display for CertLabel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "cert#{}", self.0)
    }
}

/// A raw public key wrapped as a certificate (`pubkey_cert_t`).
pub struct PubkeyCert<C> {
    serial: u64,
    key: PublicKey,
    subject: C,
    census: Census,
}

impl<C: SubjectCell> PubkeyCert<C> {
    /// `pubkey_cert_wrap()` / `pubkey_cert_create()`: wraps `key` with `subject`, or with
    /// the key id (`ID_KEY_ID` of `KEYID_PUBKEY_INFO_SHA1`) when `subject` is `None`.
    pub fn wrap(key: PublicKey, subject: Option<Identity>, census: &Census) -> CertRef<C> {
        let subject = subject.unwrap_or_else(|| Identity::KeyId(key.key_id().to_vec()));
        let serial = trace::next_serial();
        trace::step(StepKind::Alloc, "wrap raw key", || {
            let cert = CertLabel(serial).to_string();
            let detail = format!("{cert} with subject {subject}");
            (cert, detail)
        });
        census.0.fetch_add(1, Ordering::SeqCst);
        Arc::new(PubkeyCert {
            serial,
            key,
            subject: C::new(subject),
            census: census.clone(),
        })
    }

    /// The label used in timelines: `cert#N`.
    pub fn label(&self) -> String {
        self.tag().to_string()
    }

    /// The label, unformatted.
    pub fn tag(&self) -> CertLabel {
        CertLabel(self.serial)
    }

    /// The wrapped key (`get_public_key`).
    pub fn key(&self) -> &PublicKey {
        &self.key
    }

    /// A copy of the current subject (`get_subject`, then `clone`).
    pub fn subject(&self) -> Identity {
        self.subject
            .read("get_subject", &self.tag(), Identity::clone)
    }

    /// `equals(other)`: the same object, or the same key AND equal subjects.
    pub fn equals(&self, other: &PubkeyCert<C>) -> bool {
        if std::ptr::eq(self, other) {
            return true;
        }
        if self.key != other.key {
            return false;
        }
        let (me, them) = (self.tag(), other.tag());
        self.subject.read("equals: read subject", &me, |a| {
            other
                .subject
                .read("equals: read subject", &them, |b| a.equals(b))
        })
    }

    /// `has_subject(id)`: a key-id `id` equal to one of the key's fingerprints is a
    /// perfect match; otherwise `subject.matches(id)`.
    pub fn has_subject(&self, id: &Identity) -> MatchQuality {
        self.has_subject_observed(id).0
    }

    /// [`has_subject`](Self::has_subject), also returning the subject it read (for
    /// checkers that assert what a reader may observe). `None` when the key id alone
    /// decided and the subject was not read.
    pub fn has_subject_observed(&self, id: &Identity) -> (MatchQuality, Option<Identity>) {
        if let Identity::KeyId(bytes) = id {
            if self.key.has_fingerprint(bytes) {
                return (MatchQuality::Perfect, None);
            }
        }
        self.subject
            .read("has_subject: read subject", &self.tag(), |s| {
                (s.matches(id), Some(s.clone()))
            })
    }
}

impl<C: MutableSubject> PubkeyCert<C> {
    /// `set_subject(id)` (strongSwan ≤ 6.0.0 only): replaces the subject of a possibly
    /// shared cert. What that means for concurrent readers depends on the cell.
    pub fn set_subject(&self, id: &Identity) {
        trace::step(StepKind::Call, "set_subject", || {
            format!("{} to {id}", self.label())
        });
        self.subject.set(id, &self.tag());
    }
}

impl<C> Drop for PubkeyCert<C> {
    fn drop(&mut self) {
        trace::step(StepKind::Free, "destroy cert", || {
            format!("cert#{} (last reference)", self.serial)
        });
        self.census.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl<C> std::fmt::Debug for PubkeyCert<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "cert#{} ({:?})", self.serial, self.key)
    }
}
