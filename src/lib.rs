//! # swan-credstore
//!
//! An executable model of strongSwan's shared credential store as vici uses it for raw
//! public keys, built to show — and check — the bug fixed in strongSwan 6.0.1: every
//! `load-conn` of a connection with raw keys and an `id` stored one more duplicate cert
//! per key (a leak), because the cert was stored under its key id and then had its
//! subject changed in place, which also freed the old subject under concurrent readers
//! (a race).
//!
//! Modules, bottom-up:
//! * [`sync`] — the facade: std by default, loom under `--cfg loom`.
//! * [`trace`] — the step recorder behind counterexample timelines (checker-invisible).
//! * [`heap`] — tracked heap objects and the use-after-free oracle.
//! * [`identity`] — `identification_t`: identities, `equals`, `matches`.
//! * [`pubkey`] — `public_key_t`: SPKI encodings and SHA-1 key ids.
//! * [`subject`] — where a cert keeps its subject: [`subject::InPlace`] (the bug),
//!   [`subject::Locked`], [`subject::CopyOnWrite`], [`subject::Immutable`] (the fix).
//! * [`cert`] — `pubkey_cert_t`: raw-key certificates.
//! * [`store`] — `mem_cred_t`: the shared, deduplicating store.
//! * [`indexed_store`] — the same store semantics behind hash indexes (fixed subjects only).
//! * [`vici`] — `load-conn` in both flows, `unload-conn`, `clear-creds`.
//! * [`keyfile`] — PEM/DER SubjectPublicKeyInfo key files, as `pubkeys` names them.
//! * [`swanctl`] — real `swanctl.conf` connections as model input, replayed in both flows.
//!
//! `notes/model.md` maps every item to its strongSwan file and function.

pub mod cert;
pub mod heap;
pub mod identity;
pub mod indexed_store;
pub mod keyfile;
pub mod pubkey;
pub mod store;
pub mod subject;
pub mod swanctl;
pub mod sync;
pub mod trace;
pub mod vici;
pub mod x509;

pub use cert::{Census, CertRef, PubkeyCert};
pub use identity::{Identity, MatchQuality};
pub use indexed_store::{FixedSubject, IndexedStore};
pub use pubkey::PublicKey;
pub use store::{CertStore, CredentialStore};
#[cfg(any(not(loom), crossbeam_loom))]
pub use subject::Epoch;
#[cfg(any(loom, shuttle))]
pub use subject::NaiveSwap;
pub use subject::{CopyOnWrite, Design, Immutable, InPlace, Locked, MutableSubject, SubjectCell};
pub use swan_credstore_vocab as vocab;
pub use swan_credstore_vocab::Variant;
pub use vici::{ConnSpec, Flow, LoadFn, Merge, Vici};
