//! The scenarios: small concurrent programs over the model, each ending in checks.
//!
//! A scenario is a plain function generic over the subject cell and the load flow. It
//! builds a fresh [`Vici`], spawns named threads through the sync facade, joins them and
//! checks invariants. A violated invariant panics with a message whose prefix names
//! the failure class (see [`crate::run::classify`]): `duplicates:`, `torn read:`,
//! `leak:`. Data races and reads of freed identities are reported by the checker itself
//! or by the model's use-after-free oracle (`swan_credstore::heap`).

use crate::findings;
use crate::record::Scenario;
use crate::storm::StormSize;
use swan_credstore::sync::thread::{self, join};
use swan_credstore::sync::Arc;
use swan_credstore::trace;
use swan_credstore::{CertStore, ConnSpec, Identity, LoadFn, PublicKey, SubjectCell, Vici};

/// The connection every scenario loads: `remote { auth = pubkey; id = peer.example.org;
/// pubkeys = peer.pub }` (reference scenario A, notes/the-bug.md).
pub fn connection() -> ConnSpec {
    ConnSpec::remote_pubkeys("rpk", Some(peer_id()), vec![peer_key()])
}

/// The peer identity configured as `id`.
pub fn peer_id() -> Identity {
    Identity::parse("peer.example.org")
}

/// The peer's raw public key.
pub fn peer_key() -> PublicKey {
    PublicKey::synthetic("peer")
}

/// Which reader races the reload in [`reload_vs_reader`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reader {
    /// An IKE_AUTH worker looking up the peer's trusted raw key by identity.
    IkeLookup,
    /// A vici `list-certs` handler enumerating the store and merging equal certs:
    /// the reader in the real daemon's use-after-free reports.
    ListCerts,
}

/// Panics unless `seen` is one of the identities the cert can legitimately have: its
/// key id (before `set_subject`) or the configured id (after).
fn check_seen(seen: &Identity) {
    let ok = seen.equals(&peer_id()) || seen.equals(&Identity::KeyId(peer_key().key_id().to_vec()));
    assert!(
        ok,
        "torn read: a reader saw {seen}, which was never the cert's subject"
    );
}

/// Records a `duplicates` finding if the store holds equal objects, or more objects
/// than `max_objects`.
fn check_no_duplicates<C: SubjectCell, S: CertStore<C>>(vici: &Vici<C, S>, max_objects: usize) {
    let stored = vici.store().stored_objects();
    let pairs = vici.store().equal_pairs();
    if let Some((a, b)) = pairs.first() {
        findings::duplicates(format!(
            "duplicates: {stored} objects stored for {max_objects} key(s); {} and {} are equal ({} equal pair(s))",
            a.label(),
            b.label(),
            pairs.len()
        ));
    } else if stored > max_objects {
        findings::duplicates(format!(
            "duplicates: {stored} objects stored for {max_objects} key(s)"
        ));
    }
}

/// Drops `vici` and panics unless every certificate object it created is gone.
fn check_released<C: SubjectCell, S: CertStore<C>>(vici: Arc<Vici<C, S>>) {
    let census = vici.census().clone();
    let vici = Arc::try_unwrap(vici).unwrap_or_else(|_| panic!("leak: plugin still shared"));
    drop(vici);
    assert_eq!(
        census.live(),
        0,
        "leak: cert objects alive after everything was dropped"
    );
}

/// Scenario 1: the connection is loaded; one vici thread reloads it while `reader`
/// uses the store. Threads: main + `vici-reload` + one reader.
pub fn reload_vs_reader<C: SubjectCell, S: CertStore<C>>(load: LoadFn<C, S>, reader: Reader) {
    let spec = connection();
    let vici = Arc::new(Vici::<C, S>::new());
    load(&vici, &spec);

    let (v, s) = (vici.clone(), spec.clone());
    let writer = thread::spawn_named("vici-reload", move || {
        load(&v, &s);
    });
    let v = vici.clone();
    let reader = match reader {
        Reader::IkeLookup => thread::spawn_named("ike-lookup", move || {
            let found = v.store().find_trusted(&peer_id());
            for f in &found {
                if let Some(seen) = &f.subject_seen {
                    check_seen(seen);
                }
            }
            assert!(
                found
                    .iter()
                    .any(|f| f.quality == swan_credstore::MatchQuality::Perfect),
                "torn read: lookup of {} found no perfectly matching cert",
                peer_id()
            );
        }),
        Reader::ListCerts => thread::spawn_named("vici-list-certs", move || {
            let listed = v.store().list_certs();
            assert!(!listed.is_empty(), "torn read: list-certs listed nothing");
            for cert in &listed {
                check_seen(&cert.subject());
            }
        }),
    };
    join(writer);
    join(reader);
    trace::suspend();
    check_released(vici);
}

/// Scenario 2: two vici threads load the same connection into an empty plugin at the
/// same time; then the store must hold exactly one object per key and identity.
/// Threads: main + `vici-1` + `vici-2`.
pub fn concurrent_reloads<C: SubjectCell, S: CertStore<C>>(load: LoadFn<C, S>) {
    let spec = connection();
    let vici = Arc::new(Vici::<C, S>::new());
    let handles: Vec<_> = ["vici-1", "vici-2"]
        .into_iter()
        .map(|name| {
            let (v, s) = (vici.clone(), spec.clone());
            thread::spawn_named(name, move || {
                load(&v, &s);
            })
        })
        .collect();
    for h in handles {
        join(h);
    }
    trace::suspend();
    assert_eq!(
        vici.connections(),
        vec![spec.name.clone()],
        "exactly one connection loaded"
    );
    check_no_duplicates(&*vici, spec.key_count());
    check_released(vici);
}

/// Scenario 3: the connection is loaded; one vici thread reloads it while another runs
/// `clear-creds`. Afterwards the connection's own certs are intact, and once the plugin
/// is dropped nothing is left alive. Threads: main + `vici-reload` + `vici-clear`.
pub fn reload_vs_clear<C: SubjectCell, S: CertStore<C>>(load: LoadFn<C, S>) {
    let spec = connection();
    let vici = Arc::new(Vici::<C, S>::new());
    load(&vici, &spec);

    let (v, s) = (vici.clone(), spec.clone());
    let writer = thread::spawn_named("vici-reload", move || {
        load(&v, &s);
    });
    let v = vici.clone();
    let clearer = thread::spawn_named("vici-clear", move || v.clear_creds());
    join(writer);
    join(clearer);
    trace::suspend();

    let certs = vici
        .connection_certs(&spec.name)
        .expect("connection still loaded");
    assert_eq!(certs.len(), spec.key_count());
    for cert in &certs {
        let subject = cert.subject();
        assert!(
            subject.equals(&peer_id()),
            "torn read: the connection's cert has subject {subject} after clear-creds"
        );
    }
    drop(certs);
    check_no_duplicates(&*vici, spec.key_count());
    check_released(vici);
}

/// Threads (main included) and operations of `scenario`, for the bounds column (the
/// storm's from its `size`).
pub fn shape(scenario: Scenario, size: &StormSize) -> (usize, String) {
    let ops = match scenario {
        Scenario::ReloadVsLookup => "main: load-conn; vici-reload: load-conn; ike-lookup: 1 lookup by id; 1 connection, 1 key",
        Scenario::ReloadVsListCerts => "main: load-conn; vici-reload: load-conn; vici-list-certs: 1 listing; 1 connection, 1 key",
        Scenario::ConcurrentReloads => "vici-1, vici-2: load-conn each into an empty plugin; 1 connection, 1 key",
        Scenario::ReloadVsClear => "main: load-conn; vici-reload: load-conn; vici-clear: clear-creds; 1 connection, 1 key",
        Scenario::Storm => return (size.threads(), size.describe()),
    };
    (3, ops.to_string())
}
