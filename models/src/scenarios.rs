//! The scenarios: small concurrent programs over the model, each ending in checks.
//!
//! A scenario is a plain function generic over the subject cell and the load flow. It
//! builds a fresh [`Vici`], spawns named threads through the sync facade, joins them and
//! checks invariants. A violated invariant panics with a message whose prefix names
//! the failure class (see [`crate::run::classify`]): `duplicates:`, `torn read:`,
//! `leak:`. Data races and reads of freed identities are reported by the checker itself
//! or by the model's use-after-free oracle (`swan_credstore::heap`).

use crate::findings;
use crate::record::{Scenario, Scope};
use crate::storm::StormSize;
use std::sync::Arc;
use swan_credstore::sync::thread::{self, join};
use swan_credstore::trace;
use swan_credstore::{CertStore, ConnSpec, Identity, LoadFn, PublicKey, SubjectCell, Vici};

/// The connection every scenario loads: `remote { auth = pubkey; id = peer.example.org;
/// pubkeys = peer.pub }` (reference scenario A, notes/the-bug.md).
pub fn connection() -> ConnSpec {
    ConnSpec::remote_pubkeys("rpk", Some(peer_id()), vec![peer_key()])
}

/// The connections a scenario loads at `scope`: [`connection`]; at
/// [`Scope::TwoKeys`] it holds a second key; at [`Scope::SharedKey`] a second
/// connection (`rpk2`) has the same key and identity, so both reference one object once
/// the store dedups. The first connection is the one that is reloaded.
pub fn connections(scope: Scope) -> Vec<ConnSpec> {
    match scope {
        Scope::TwoKeys => vec![ConnSpec::remote_pubkeys(
            "rpk",
            Some(peer_id()),
            vec![peer_key(), second_key()],
        )],
        Scope::SharedKey => vec![
            connection(),
            ConnSpec::remote_pubkeys("rpk2", Some(peer_id()), vec![peer_key()]),
        ],
        Scope::Base | Scope::ThreeThreads | Scope::TwoReloads => vec![connection()],
    }
}

/// The peer identity configured as `id`.
pub fn peer_id() -> Identity {
    Identity::parse("peer.example.org")
}

/// The peer's raw public key.
pub fn peer_key() -> PublicKey {
    PublicKey::synthetic("peer")
}

/// The second key of [`Scope::TwoKeys`].
pub fn second_key() -> PublicKey {
    PublicKey::synthetic("peer-2")
}

/// Distinct (key, identity) pairs among `conns`: how many objects a store that dedups
/// may hold for them.
fn distinct_keys(conns: &[ConnSpec]) -> usize {
    let mut keys: Vec<PublicKey> = Vec::new();
    for conn in conns {
        for auth in conn.local.iter().chain(&conn.remote) {
            for k in &auth.pubkeys {
                if !keys.contains(k) {
                    keys.push(k.clone());
                }
            }
        }
    }
    keys.len()
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

/// Panics unless `seen` is one of the identities a cert can legitimately have: a key's
/// id (before `set_subject`) or the configured id (after).
fn check_seen(seen: &Identity) {
    let ok = seen.equals(&peer_id())
        || [peer_key(), second_key()]
            .iter()
            .any(|k| seen.equals(&Identity::KeyId(k.key_id().to_vec())));
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

/// The scenarios' handle on the plugin: a `std` `Arc`, deliberately outside the sync
/// facade. Each thread gets a clone and drops it when it ends; under loom every clone and
/// drop of a facade `Arc` is a scheduling point, and no checked property reads this
/// count. The last reference is always dropped by the main thread after it joined every
/// other thread, and the joins order the threads' drops before it, so nothing loom
/// must see is lost (`tests/bookkeeping_invisible.rs` checks that the handle adds no
/// interleavings, and that a facade `Arc` in its place would).
///
/// Certificate references ([`swan_credstore::CertRef`]) stay facade `Arc`s: their last
/// release orders a thread's earlier accesses to the cert's subject before the free in
/// the thread that destroys it, and without that edge loom reports races that cannot
/// happen (measured: `reload_vs_clear × in_place × pre_fix`).
pub type Plugin<C, S> = Arc<Vici<C, S>>;

/// Drops `vici` and panics unless every certificate object it created is gone.
fn check_released<C: SubjectCell, S: CertStore<C>>(vici: Plugin<C, S>) {
    let census = vici.census().clone();
    let vici = Arc::try_unwrap(vici).unwrap_or_else(|_| panic!("leak: plugin still shared"));
    drop(vici);
    assert_eq!(
        census.live(),
        0,
        "leak: cert objects alive after everything was dropped"
    );
    // The identities and snapshots the cells made (counted by the recorder, under the
    // model checkers only): a cell that drops a replaced one without freeing it leaks it.
    if !C::DEFERS_FREES {
        if let Some(alive) = swan_credstore::trace::tracked_alive().filter(|n| *n > 0) {
            panic!(
                "leak: {alive} tracked identities or snapshots alive after everything was \
                 dropped (a replaced subject was never freed)"
            );
        }
    }
}

/// A fresh plugin with every connection of `conns` loaded.
fn loaded<C: SubjectCell, S: CertStore<C>>(load: LoadFn<C, S>, conns: &[ConnSpec]) -> Plugin<C, S> {
    let vici = Plugin::new(Vici::<C, S>::new());
    for conn in conns {
        load(&vici, conn);
    }
    vici
}

/// A thread that reloads `conn` `times` times.
fn reloader<C: SubjectCell, S: CertStore<C>>(
    name: &str,
    load: LoadFn<C, S>,
    vici: &Plugin<C, S>,
    conn: &ConnSpec,
    times: usize,
) -> thread::JoinHandle<()> {
    let (v, s) = (vici.clone(), conn.clone());
    thread::spawn_named(name, move || {
        for _ in 0..times {
            load(&v, &s);
        }
    })
}

/// A thread that runs `reader` once and checks what it saw.
fn reader_thread<C: SubjectCell, S: CertStore<C>>(
    reader: Reader,
    vici: &Plugin<C, S>,
) -> thread::JoinHandle<()> {
    let v = vici.clone();
    match reader {
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
    }
}

/// Scenario 1 at [`Scope::Base`] (see [`reload_vs_reader_in`]).
pub fn reload_vs_reader<C: SubjectCell, S: CertStore<C>>(load: LoadFn<C, S>, reader: Reader) {
    reload_vs_reader_in(load, reader, Scope::Base)
}

/// Scenario 1: the connections of `scope` are loaded; one vici thread reloads the
/// first (twice at [`Scope::TwoReloads`]) while `reader` uses the store (and, at
/// [`Scope::ThreeThreads`], a `list-certs` beside the lookup). Threads: main +
/// `vici-reload` + the reader(s).
pub fn reload_vs_reader_in<C: SubjectCell, S: CertStore<C>>(
    load: LoadFn<C, S>,
    reader: Reader,
    scope: Scope,
) {
    let conns = connections(scope);
    let vici = loaded(load, &conns);
    let times = if scope == Scope::TwoReloads { 2 } else { 1 };
    let mut threads = vec![
        reloader("vici-reload", load, &vici, &conns[0], times),
        reader_thread(reader, &vici),
    ];
    if scope == Scope::ThreeThreads {
        threads.push(reader_thread(Reader::ListCerts, &vici));
    }
    for t in threads {
        join(t);
    }
    trace::suspend();
    check_released(vici);
}

/// Scenario 2 at [`Scope::Base`] (see [`concurrent_reloads_in`]).
pub fn concurrent_reloads<C: SubjectCell, S: CertStore<C>>(load: LoadFn<C, S>) {
    concurrent_reloads_in(load, Scope::Base)
}

/// Scenario 2: two vici threads load a connection into an empty plugin at the same time
/// (at [`Scope::SharedKey`] the second loads the other connection; at
/// [`Scope::ThreeThreads`] a third loads the first again); then every connection is
/// loaded and the store holds exactly one object per key and identity.
/// Threads: main + `vici-1` + `vici-2` (+ `vici-3`).
pub fn concurrent_reloads_in<C: SubjectCell, S: CertStore<C>>(load: LoadFn<C, S>, scope: Scope) {
    let conns = connections(scope);
    let vici = Plugin::new(Vici::<C, S>::new());
    let last = conns.len() - 1;
    let mut threads = vec![
        reloader("vici-1", load, &vici, &conns[0], 1),
        reloader("vici-2", load, &vici, &conns[last], 1),
    ];
    if scope == Scope::ThreeThreads {
        threads.push(reloader("vici-3", load, &vici, &conns[0], 1));
    }
    for t in threads {
        join(t);
    }
    trace::suspend();
    let names: Vec<String> = conns.iter().map(|c| c.name.clone()).collect();
    assert_eq!(vici.connections(), names, "every connection loaded once");
    check_no_duplicates(&*vici, distinct_keys(&conns));
    check_released(vici);
}

/// Scenario 3 at [`Scope::Base`] (see [`reload_vs_clear_in`]).
pub fn reload_vs_clear<C: SubjectCell, S: CertStore<C>>(load: LoadFn<C, S>) {
    reload_vs_clear_in(load, Scope::Base)
}

/// Scenario 3: the connections of `scope` are loaded; one vici thread reloads the first
/// while another runs `clear-creds` (and, at [`Scope::ThreeThreads`], an IKE_AUTH
/// lookup runs too). Afterwards the connections' own certs are intact, and once the
/// plugin is dropped nothing is left alive. Threads: main + `vici-reload` +
/// `vici-clear` (+ `ike-lookup`).
pub fn reload_vs_clear_in<C: SubjectCell, S: CertStore<C>>(load: LoadFn<C, S>, scope: Scope) {
    let conns = connections(scope);
    let vici = loaded(load, &conns);
    let v = vici.clone();
    let mut threads = vec![
        reloader("vici-reload", load, &vici, &conns[0], 1),
        thread::spawn_named("vici-clear", move || v.clear_creds()),
    ];
    if scope == Scope::ThreeThreads {
        threads.push(lookup_any(&vici));
    }
    for t in threads {
        join(t);
    }
    trace::suspend();

    for conn in &conns {
        let certs = vici
            .connection_certs(&conn.name)
            .expect("connection still loaded");
        assert_eq!(certs.len(), conn.key_count());
        for cert in &certs {
            let subject = cert.subject();
            assert!(
                subject.equals(&peer_id()),
                "torn read: the connection's cert has subject {subject} after clear-creds"
            );
        }
    }
    check_no_duplicates(&*vici, distinct_keys(&conns));
    check_released(vici);
}

/// A lookup that may find nothing (beside `clear-creds` the store can be empty), but
/// checks every subject it read.
fn lookup_any<C: SubjectCell, S: CertStore<C>>(vici: &Plugin<C, S>) -> thread::JoinHandle<()> {
    let v = vici.clone();
    thread::spawn_named("ike-lookup", move || {
        for f in v.store().find_trusted(&peer_id()) {
            if let Some(seen) = &f.subject_seen {
                check_seen(seen);
            }
        }
    })
}

/// Threads (main included) and operations of `scenario` at [`Scope::Base`], for the
/// bounds column (the storm's from its `size`).
pub fn shape(scenario: Scenario, size: &StormSize) -> (usize, String) {
    shape_in(scenario, Scope::Base, size)
}

/// Threads (main included) and operations of `scenario` at `scope`.
pub fn shape_in(scenario: Scenario, scope: Scope, size: &StormSize) -> (usize, String) {
    let reloads = if scope == Scope::TwoReloads {
        "2 load-conns"
    } else {
        "load-conn"
    };
    let third = scope == Scope::ThreeThreads;
    let ops = match scenario {
        Scenario::ReloadVsLookup => format!(
            "main: load-conn; vici-reload: {reloads}; ike-lookup: 1 lookup by id{}",
            if third {
                "; vici-list-certs: 1 listing"
            } else {
                ""
            }
        ),
        Scenario::ReloadVsListCerts => {
            format!("main: load-conn; vici-reload: {reloads}; vici-list-certs: 1 listing")
        }
        Scenario::ConcurrentReloads => format!(
            "{}: load-conn each into an empty plugin",
            if third {
                "vici-1, vici-2, vici-3"
            } else {
                "vici-1, vici-2"
            }
        ),
        Scenario::ReloadVsClear => format!(
            "main: load-conn; vici-reload: {reloads}; vici-clear: clear-creds{}",
            if third {
                "; ike-lookup: 1 lookup by id"
            } else {
                ""
            }
        ),
        Scenario::Storm => return (size.threads(), size.describe()),
    };
    let conns = match scope {
        Scope::TwoKeys => "1 connection, 2 keys",
        Scope::SharedKey => "2 connections sharing 1 key",
        _ => "1 connection, 1 key",
    };
    let ops = if scope == Scope::SharedKey && scenario != Scenario::ConcurrentReloads {
        ops.replace("main: load-conn;", "main: 2 load-conns;")
    } else if scope == Scope::SharedKey {
        ops.replace("load-conn each", "load-conn of its own connection each")
    } else {
        ops
    };
    (if third { 4 } else { 3 }, format!("{ops}; {conns}"))
}
