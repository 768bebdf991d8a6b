//! vici's `load-conn`, `unload-conn` and `clear-creds` for raw public keys: the model
//! of `src/libcharon/plugins/vici/vici_config.c` (parsing a connection into a
//! `peer_cfg_t` and merging it into the loaded connections) and `vici_cred.c` (the
//! shared credential store).
//!
//! Two load flows:
//! * [`Vici::load_conn_pre_fix`] — strongSwan ≤ 6.0.0: each key is wrapped with its
//!   key id as subject and added to the shared store; once the section is complete,
//!   the configured identity is written into the (already shared) cert with
//!   `set_subject`. Needs a [`MutableSubject`] cell.
//! * [`Vici::load_conn_upstream_fix`] — strongSwan ≥ 6.0.1 (commit 65e121b4): the key
//!   blobs are kept until the identity is known, then wrapped with it and added. Works
//!   with every cell, and is the only flow an [`Immutable`](crate::subject::Immutable)
//!   cell can run — the pre-fix flow does not even compile for it:
//!
//! ```compile_fail
//! use swan_credstore::{ConnSpec, Immutable, Vici};
//! let vici = Vici::<Immutable>::new();
//! vici.load_conn_pre_fix(&ConnSpec::remote_pubkeys("c", None, vec![]));
//! ```
//!
//! ```
//! use swan_credstore::{CertStore, ConnSpec, Identity, Locked, PublicKey, Vici};
//! # // Doctests are compiled without RUSTFLAGS; in a loom/shuttle build they would link
//! # // against checker primitives used outside a checker, so they run in the std build.
//! # if swan_credstore::sync::BACKEND != "std" { return; }
//! let conn = ConnSpec::remote_pubkeys(
//!     "rpk",
//!     Some(Identity::parse("peer.example.org")),
//!     vec![PublicKey::synthetic("peer")],
//! );
//! let vici = Vici::<Locked>::new();
//! for _ in 0..=3 {
//!     vici.load_conn_pre_fix(&conn);
//! }
//! assert_eq!(vici.store().stored_objects(), 4); // 1 + N: the leak
//! assert_eq!(vici.store().list_certs().len(), 1); // and list-certs hides it
//! ```

use crate::cert::{Census, CertRef, PubkeyCert};
use crate::identity::Identity;
use crate::store::{CertStore, CredentialStore};
use crate::subject::{MutableSubject, SubjectCell};
use crate::sync::{self, RwLock};
use crate::trace::{self, Lock, Mode, StepKind};
use std::collections::BTreeMap;

mod spec;

pub use spec::{AuthClass, AuthSpec, ConnSpec, Side};

/// One auth round as `list-conns` reports it: its side, its class, its identity rule
/// (if any) and the subjects of its subject certs (raw keys and X.509, in the order
/// the config holds them).
pub type Round = (Side, Option<AuthClass>, Option<Identity>, Vec<Identity>);

/// An `auth_cfg_t`: the class, the identity and the raw-key certs of one section.
pub struct AuthCfg<C> {
    /// `AUTH_RULE_AUTH_CLASS`.
    pub class: Option<AuthClass>,
    /// `AUTH_RULE_SUBJECT_CERT` entries that are X.509 certificates.
    pub x509: Vec<crate::x509::X509Cert>,
    /// Whether the X.509 entries come before the raw-key ones (5.9.8: the file's
    /// order; 6.0.1 always, since it adds the raw keys at the end of the section).
    pub x509_first: bool,
    /// `AUTH_RULE_IDENTITY`: the configured `id` (`%any` included), else the first
    /// cert's subject, else none (a psk section without `id`).
    pub id: Option<Identity>,
    /// `AUTH_RULE_SUBJECT_CERT` entries, one reference each.
    pub certs: Vec<CertRef<C>>,
}

impl<C: SubjectCell> AuthCfg<C> {
    /// `auth_cfg_t.equals` (auth_cfg.c, `auth_cfg_equals` both ways, 5.9.8 and
    /// 6.0.1): every rule of one has an equal rule in the other. The class and the
    /// identity are single-valued (the same, or both absent); `AUTH_RULE_SUBJECT_CERT`
    /// is multi-valued, so the certs compare as sets under `equals`: order and
    /// repeats do not matter.
    pub fn equals(&self, other: &AuthCfg<C>) -> bool {
        let ids = match (&self.id, &other.id) {
            (Some(a), Some(b)) => a.equals(b),
            (a, b) => a.is_none() && b.is_none(),
        };
        let raw = |a: &[CertRef<C>], b: &[CertRef<C>]| within(a, b, |x, y| x.equals(y));
        fn within<T>(a: &[T], b: &[T], eq: impl Fn(&T, &T) -> bool) -> bool {
            a.iter().all(|x| b.iter().any(|y| eq(x, y)))
        }
        let x509 = |a: &[crate::x509::X509Cert], b: &[crate::x509::X509Cert]| {
            within(a, b, crate::x509::X509Cert::equals)
        };
        self.class == other.class
            && ids
            && x509(&self.x509, &other.x509)
            && x509(&other.x509, &self.x509)
            && raw(&self.certs, &other.certs)
            && raw(&other.certs, &self.certs)
    }
}

/// A `peer_cfg_t` built by `load-conn`.
pub struct PeerCfg<C> {
    /// Connection name.
    pub name: String,
    /// Local auth rounds.
    pub local: Vec<AuthCfg<C>>,
    /// Remote auth rounds.
    pub remote: Vec<AuthCfg<C>>,
}

impl<C: SubjectCell> PeerCfg<C> {
    /// `peer_cfg_t.equals` restricted to what the model builds: same name and equal
    /// auth configs, round by round.
    pub fn equals(&self, other: &PeerCfg<C>) -> bool {
        fn rounds<C: SubjectCell>(a: &[AuthCfg<C>], b: &[AuthCfg<C>]) -> bool {
            a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.equals(y))
        }
        self.name == other.name
            && rounds(&self.local, &other.local)
            && rounds(&self.remote, &other.remote)
    }

    /// Every raw-key cert the config references.
    pub fn certs(&self) -> Vec<CertRef<C>> {
        self.local
            .iter()
            .chain(&self.remote)
            .flat_map(|a| a.certs.iter().cloned())
            .collect()
    }
}

/// What `merge_config` did with a loaded connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Merge {
    /// No connection of that name existed.
    Added,
    /// It existed and differed: the new config replaced it.
    Replaced,
    /// It existed and was equal: the new config was dropped, the old one kept
    /// ("updated vici connection").
    Unchanged,
    /// The message did not parse (a `pubkeys` blob that is no public key): nothing
    /// was merged; the certs stored before the failure stay in the store.
    Failed,
}

/// A load flow as a function, so scenarios can be generic over it.
pub type LoadFn<C, S = CredentialStore<C>> = fn(&Vici<C, S>, &ConnSpec) -> Merge;

/// The vici plugin's state: the shared credential store and the loaded connections.
/// `S` is the store design; strongSwan's is [`CredentialStore`].
pub struct Vici<C, S = CredentialStore<C>> {
    store: S,
    conns: RwLock<BTreeMap<String, PeerCfg<C>>>,
    census: Census,
}

impl<C: SubjectCell, S: CertStore<C>> Default for Vici<C, S> {
    fn default() -> Self {
        Self::new()
    }
}

impl<C: SubjectCell, S: CertStore<C>> Vici<C, S> {
    /// A fresh plugin with an empty store and no connections.
    pub fn new() -> Self {
        Vici {
            store: S::empty(),
            conns: RwLock::new(BTreeMap::new()),
            census: Census::new(),
        }
    }

    /// The shared credential store (`vici_cred`'s `mem_cred_t`).
    pub fn store(&self) -> &S {
        &self.store
    }

    /// Counts every cert object this plugin created that is still alive.
    pub fn census(&self) -> &Census {
        &self.census
    }

    /// `load-conn`, strongSwan ≥ 6.0.1: wrap each key with the section's final
    /// identity (the key id when none is configured), then add it to the store.
    pub fn load_conn_upstream_fix(&self, spec: &ConnSpec) -> Merge {
        let mut failed = false;
        let build = |a: &AuthSpec| {
            if failed {
                return None;
            }
            let id = a.id.clone().filter(|id| !id.is_any());
            // `parse_and_add_pubkeys`: the keys before a bad blob are wrapped and stored.
            let certs: Vec<CertRef<C>> = a
                .pubkeys
                .iter()
                .map(|k| self.add_cert(PubkeyCert::wrap(k.clone(), id.clone(), &self.census)))
                .collect();
            failed = a.fails;
            // 6.0.1 adds the raw keys at the end of the section, after every X.509 cert.
            (!failed).then(|| Self::auth_cfg(a, certs, true))
        };
        let (local, remote) = spec.build_in_order(build);
        self.merge_built(&spec.name, local, remote)
    }

    /// The end of `load_conn`: a failed section fails the connection; otherwise each
    /// side gets its default round if it has none, and the config is merged.
    fn merge_built(
        &self,
        name: &str,
        local: Vec<Option<AuthCfg<C>>>,
        remote: Vec<Option<AuthCfg<C>>>,
    ) -> Merge {
        let all = |v: Vec<Option<AuthCfg<C>>>| v.into_iter().collect::<Option<Vec<_>>>();
        let (Some(local), Some(remote)) = (all(local), all(remote)) else {
            return Merge::Failed;
        };
        let (local, remote) = (
            Self::or_default_round(local),
            Self::or_default_round(remote),
        );
        self.merge_config(PeerCfg {
            name: name.to_string(),
            local,
            remote,
        })
    }

    /// `load_conn` (vici_config.c, 5.9.8 and 6.0.1): a side without any section gets
    /// one empty auth config (no identity, no certs).
    fn or_default_round(rounds: Vec<AuthCfg<C>>) -> Vec<AuthCfg<C>> {
        if rounds.is_empty() {
            vec![AuthCfg {
                class: None,
                id: None,
                certs: Vec::new(),
                x509: Vec::new(),
                x509_first: false,
            }]
        } else {
            rounds
        }
    }

    /// `vici_cred.add_cert`: `add_cert_ref(trusted = TRUE, cert)` on the shared store.
    fn add_cert(&self, cert: CertRef<C>) -> CertRef<C> {
        self.store.add_cert_ref(true, cert)
    }

    /// The end of an auth section (`vici_config.c`, `auth_sn`, 5.9.8 and 6.0.1): the
    /// configured id, `%any` included (`parse_id` adds it as `AUTH_RULE_IDENTITY`);
    /// without one, the first cert's subject ("id not specified, defaulting to cert
    /// subject"); without either, no identity rule.
    fn auth_cfg(spec: &AuthSpec, certs: Vec<CertRef<C>>, x509_first: bool) -> AuthCfg<C> {
        // Lazily: with an id configured, C reads no cert's subject here.
        let raw = || certs.first().map(|c| c.subject());
        let x509 = || spec.x509.first().map(|c| c.subject.clone());
        let id = spec.id.clone().or_else(|| {
            if x509_first {
                x509().or_else(raw)
            } else {
                raw().or_else(x509)
            }
        });
        AuthCfg {
            class: spec.class,
            id,
            certs,
            x509: spec.x509.clone(),
            x509_first,
        }
    }

    /// `merge_config`: under the connections' write lock, keep an equal old config
    /// (dropping the new one), or replace/add.
    fn merge_config(&self, new: PeerCfg<C>) -> Merge {
        trace::step(
            StepKind::Acquire {
                lock: Lock::Config,
                mode: Mode::Write,
            },
            "merge_config: take write lock",
            || new.name.clone(),
        );
        let mut conns = sync::write(&self.conns);
        let outcome = match conns.get(&new.name) {
            Some(old) if old.equals(&new) => Merge::Unchanged,
            Some(_) => Merge::Replaced,
            None => Merge::Added,
        };
        trace::step(
            StepKind::Merge {
                replaced: outcome != Merge::Unchanged,
            },
            "merge_config",
            || format!("{}: {outcome:?}", new.name),
        );
        if outcome != Merge::Unchanged {
            conns.insert(new.name.clone(), new);
        }
        outcome
    }

    /// `unload-conn`: drops the connection (and its cert references). Returns whether
    /// it was loaded.
    pub fn unload_conn(&self, name: &str) -> bool {
        sync::write(&self.conns).remove(name).is_some()
    }

    /// `clear-creds`: drops every credential in the store; loaded connections keep
    /// their own references.
    pub fn clear_creds(&self) {
        self.store.clear();
    }

    /// The certs referenced by a loaded connection, or `None` if it is not loaded.
    pub fn connection_certs(&self, name: &str) -> Option<Vec<CertRef<C>>> {
        sync::read(&self.conns).get(name).map(PeerCfg::certs)
    }

    /// The identities of a loaded connection's auth rounds (local, then remote;
    /// `None`: the round has no identity rule).
    pub fn connection_ids(&self, name: &str) -> Option<Vec<Option<Identity>>> {
        sync::read(&self.conns).get(name).map(|p| {
            p.local
                .iter()
                .chain(&p.remote)
                .map(|a| a.id.clone())
                .collect()
        })
    }

    /// A loaded connection's auth rounds as vici `list-conns` reports them
    /// (`vici_query.c`, `build_auth_cfgs`): local rounds, then remote ones, each with
    /// its identity rule and the subjects of its raw-key certs. `None` if not loaded.
    pub fn connection_rounds(&self, name: &str) -> Option<Vec<Round>> {
        sync::read(&self.conns).get(name).map(|p| {
            let side = |side: Side, rounds: &[AuthCfg<C>]| {
                rounds
                    .iter()
                    .map(|a| {
                        let raw = a.certs.iter().map(|c| c.subject());
                        let x509 = a.x509.iter().map(|c| c.subject.clone());
                        let subjects = if a.x509_first {
                            x509.chain(raw).collect()
                        } else {
                            raw.chain(x509).collect()
                        };
                        (side, a.class, a.id.clone(), subjects)
                    })
                    .collect::<Vec<_>>()
            };
            let mut out = side(Side::Local, &p.local);
            out.extend(side(Side::Remote, &p.remote));
            out
        })
    }

    /// Names of the loaded connections.
    pub fn connections(&self) -> Vec<String> {
        sync::read(&self.conns).keys().cloned().collect()
    }
}

impl<C: MutableSubject, S: CertStore<C>> Vici<C, S> {
    /// `load-conn`, strongSwan ≤ 6.0.0: `parse_pubkeys` wraps each key with its key id
    /// and adds it to the shared store; at the end of the section (`auth_sn`) the
    /// configured identity, if any and not `%any`, is written into every raw-key cert
    /// of the section with `set_subject` — on objects other threads can already reach.
    pub fn load_conn_pre_fix(&self, spec: &ConnSpec) -> Merge {
        let mut failed = false;
        let build = |a: &AuthSpec| {
            if failed {
                return None;
            }
            let certs: Vec<CertRef<C>> = a
                .pubkeys
                .iter()
                .map(|k| self.add_cert(PubkeyCert::wrap(k.clone(), None, &self.census)))
                .collect();
            // `parse_pubkeys` fails on the bad blob, before the end of the section.
            failed = a.fails;
            if failed {
                return None;
            }
            if let Some(id) = a.id.as_ref().filter(|id| !id.is_any()) {
                for cert in &certs {
                    cert.set_subject(id);
                }
            }
            Some(Self::auth_cfg(a, certs, a.x509_first))
        };
        let (local, remote) = spec.build_in_order(build);
        self.merge_built(&spec.name, local, remote)
    }
}

/// The two `load-conn` flows: [`Flow::PreFix`] is [`Vici::load_conn_pre_fix`] (strongSwan
/// ≤ 6.0.0), [`Flow::UpstreamFix`] is [`Vici::load_conn_upstream_fix`] (≥ 6.0.1).
pub use swan_credstore_vocab::Flow;
