//! The storm: a scenario at a size loom cannot finish, for shuttle and for real threads.
//!
//! Several vici threads reload several connections (each with several raw keys and its
//! own id), one of them also runs `clear-creds` every few operations, while IKE threads
//! look peers up and list certificates. Checks run throughout:
//! * every subject a reader sees is one the cert legitimately had — its key id or its
//!   connection's id (`torn read:` otherwise), and no read touches a freed identity (the
//!   oracle);
//! * after each reload, the store holds at most one object equal to each of that
//!   connection's certs (otherwise a `duplicates` finding, recorded without stopping);
//! * at the end: no two stored objects are equal (finding), and once the plugin is
//!   dropped no cert object is alive (`leak:`).

use crate::findings;
use std::collections::HashMap;
use swan_credstore::sync::thread::join;
use swan_credstore::sync::{thread, Arc};
use swan_credstore::trace;
use swan_credstore::{CertStore, ConnSpec, Identity, LoadFn, PublicKey, SubjectCell, Vici};

/// The storm's dimensions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StormSize {
    /// vici threads reloading.
    pub vici_threads: usize,
    /// IKE threads reading (even-numbered look up, odd-numbered list certs).
    pub ike_threads: usize,
    /// Connections.
    pub connections: usize,
    /// Raw keys per connection.
    pub keys_per_connection: usize,
    /// Operations per vici thread.
    pub reloads_per_thread: usize,
    /// Reads per IKE thread.
    pub reads_per_thread: usize,
    /// `vici-0` runs clear-creds instead of a reload every this many operations
    /// (0: never).
    pub clear_every: usize,
}

impl StormSize {
    /// The size the shuttle rows use: 4 vici × 4 IKE threads, 3 connections with 2 keys
    /// each, 20 operations per vici thread with a clear-creds every 7th on one thread.
    pub const SHUTTLE: StormSize = StormSize {
        vici_threads: 4,
        ike_threads: 4,
        connections: 3,
        keys_per_connection: 2,
        reloads_per_thread: 20,
        reads_per_thread: 10,
        clear_every: 7,
    };

    /// One line for the bounds column.
    pub fn describe(&self) -> String {
        format!(
            "{} vici threads × {} ops (clear-creds every {}th on vici-0), {} IKE threads × {} reads, {} connections × {} keys",
            self.vici_threads,
            self.reloads_per_thread,
            self.clear_every,
            self.ike_threads,
            self.reads_per_thread,
            self.connections,
            self.keys_per_connection
        )
    }

    /// Threads including the main thread.
    pub fn threads(&self) -> usize {
        1 + self.vici_threads + self.ike_threads
    }
}

/// The connections of a storm, and which subjects each key may legitimately have.
struct Setup {
    conns: Vec<ConnSpec>,
    allowed: HashMap<[u8; 20], [Identity; 2]>,
}

fn setup(size: &StormSize) -> Setup {
    let mut allowed = HashMap::new();
    let conns = (0..size.connections)
        .map(|c| {
            let id = Identity::parse(&format!("c{c}.example.org"));
            let keys: Vec<PublicKey> = (0..size.keys_per_connection)
                .map(|k| PublicKey::synthetic(&format!("c{c}-k{k}")))
                .collect();
            for k in &keys {
                allowed.insert(
                    k.key_id(),
                    [Identity::KeyId(k.key_id().to_vec()), id.clone()],
                );
            }
            ConnSpec::remote_pubkeys(&format!("c{c}"), Some(id), keys)
        })
        .collect();
    Setup { conns, allowed }
}

fn check_seen(allowed: &HashMap<[u8; 20], [Identity; 2]>, key: &PublicKey, seen: &Identity) {
    let ok = allowed
        .get(&key.key_id())
        .is_some_and(|ids| ids.iter().any(|id| id.equals(seen)));
    assert!(
        ok,
        "torn read: a reader saw {seen} as the subject of {key:?}"
    );
}

/// Runs one storm execution with cell `C`, store `S` and flow `load`.
pub fn storm<C: SubjectCell, S: CertStore<C>>(load: LoadFn<C, S>, size: StormSize) {
    let setup = Arc::new(setup(&size));
    let vici = Arc::new(Vici::<C, S>::new());
    for conn in &setup.conns {
        load(&vici, conn);
    }
    let mut handles = Vec::new();
    for t in 0..size.vici_threads {
        let (vici, setup) = (vici.clone(), setup.clone());
        handles.push(thread::spawn_named(&format!("vici-{t}"), move || {
            for r in 0..size.reloads_per_thread {
                if t == 0 && size.clear_every > 0 && r % size.clear_every == size.clear_every - 1 {
                    vici.clear_creds();
                    continue;
                }
                let conn = &setup.conns[(t + r) % setup.conns.len()];
                load(&vici, conn);
                check_reloaded(&*vici, &conn.name);
            }
        }));
    }
    for t in 0..size.ike_threads {
        let (vici, setup) = (vici.clone(), setup.clone());
        handles.push(thread::spawn_named(&format!("ike-{t}"), move || {
            for r in 0..size.reads_per_thread {
                let conn = &setup.conns[(t + r) % setup.conns.len()];
                if t % 2 == 0 {
                    let id = conn.remote[0].id.clone().expect("storm ids are set");
                    for f in vici.store().find_trusted(&id) {
                        if let Some(seen) = &f.subject_seen {
                            check_seen(&setup.allowed, f.cert.key(), seen);
                        }
                    }
                } else {
                    for cert in vici.store().list_certs() {
                        check_seen(&setup.allowed, cert.key(), &cert.subject());
                    }
                }
            }
        }));
    }
    for h in handles {
        join(h);
    }
    trace::suspend();
    let pairs = vici.store().equal_pairs();
    if let Some((a, b)) = pairs.first() {
        findings::duplicates(format!(
            "duplicates: {} objects stored for {} key(s) at the end; {} and {} are equal ({} equal pair(s))",
            vici.store().stored_objects(),
            size.connections * size.keys_per_connection,
            a.label(),
            b.label(),
            pairs.len()
        ));
    }
    drop(pairs);
    let census = vici.census().clone();
    drop(setup);
    let vici = Arc::try_unwrap(vici).unwrap_or_else(|_| panic!("leak: plugin still shared"));
    drop(vici);
    assert_eq!(
        census.live(),
        0,
        "leak: cert objects alive after everything was dropped"
    );
}

/// After a reload of `name`: at most one stored object equal to each of its certs.
fn check_reloaded<C: SubjectCell, S: CertStore<C>>(vici: &Vici<C, S>, name: &str) {
    let Some(certs) = vici.connection_certs(name) else {
        return;
    };
    let stored = vici.store().stored();
    for cert in &certs {
        let equal = stored.iter().filter(|s| s.equals(cert)).count();
        if equal > 1 {
            findings::duplicates(format!(
                "duplicates: {equal} stored objects equal {} of connection {name} after its reload",
                cert.label()
            ));
            return;
        }
    }
}
