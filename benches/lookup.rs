//! IKE_AUTH's lookup (`find_trusted` of one peer identity) against the number of stored
//! objects, for the faithful list store and for `IndexedStore`.
//!
//! Series (benchmark id `lookup/<series>/<N>`, N = objects in the store):
//! * `list_leak_other` — `CredentialStore<Locked>` in the state the pre-fix flow leaves
//!   after N-1 reloads of one connection (N-1 equal duplicates of peer A's cert, built
//!   exactly as `load_conn_pre_fix` does: wrap with the key id, `add_cert_ref`,
//!   `set_subject`) plus the cert of another peer B, stored first; lookup of B. This is
//!   what the leak costs every other connection's IKE_AUTH. Building it is quadratic
//!   (each add scans every stored duplicate), so it stops at [`LEAK_MAX`].
//! * `list_leak_self` — the same store; lookup of A itself, which returns all N-1
//!   duplicates (the model's `find_trusted` enumerates every match; strongSwan's
//!   enumerator is lazy and the authenticator may stop at the first key that verifies).
//! * `list_distinct` — `CredentialStore<Immutable>` holding N distinct peers (key `i`,
//!   `fqdn:host-i.example.org`), lookup of the oldest: the same linear scan, and
//!   cheap enough to build up to 100,000.
//! * `indexed_exact`, `indexed_keyid`, `indexed_wildcard` — `IndexedStore<Immutable>`
//!   with the same N distinct peers (with the upstream flow the store never grows, so
//!   distinct peers are what makes it large), looked up by exact FQDN, by the key's
//!   fingerprint (`ID_KEY_ID`), and by `*t-0.example.org` (a wildcard, which falls back
//!   to scanning). Each lookup finds exactly one cert.
//!
//! `cargo bench --bench lookup`; `cargo xtask bench` also regenerates
//! `notes/performance.md` from the results.

#![cfg_attr(any(loom, shuttle), allow(unused))]

#[cfg(any(loom, shuttle))]
fn main() {}

#[cfg(not(any(loom, shuttle)))]
criterion::criterion_main!(benches::group);

#[cfg(not(any(loom, shuttle)))]
mod benches {
    use criterion::{black_box, BenchmarkId, Criterion};
    use std::time::Duration;
    use swan_credstore::{
        Census, CertStore, CredentialStore, Identity, Immutable, IndexedStore, Locked, PubkeyCert,
        PublicKey,
    };

    /// Store sizes.
    pub const SIZES: [usize; 6] = [1, 10, 100, 1_000, 10_000, 100_000];
    /// Largest leak state built faithfully (quadratic to build).
    pub const LEAK_MAX: usize = 10_000;

    fn config() -> Criterion {
        Criterion::default()
            .sample_size(20)
            .warm_up_time(Duration::from_millis(500))
            .measurement_time(Duration::from_secs(2))
            .configure_from_args()
    }

    fn host(i: usize) -> Identity {
        Identity::Fqdn(format!("host-{i}.example.org"))
    }

    /// The pre-fix leak after `n - 1` reloads, plus peer B stored first.
    fn leak_store(n: usize, census: &Census) -> CredentialStore<Locked> {
        let store = CredentialStore::<Locked>::new();
        let b = PubkeyCert::wrap(PublicKey::synthetic("peer-b"), Some(peer_b()), census);
        store.add_cert_ref(true, b);
        let key_a = PublicKey::synthetic("peer-a");
        for _ in 1..n {
            // load_conn_pre_fix for one key: wrap with the key id, dedup, set_subject.
            let cert = store.add_cert_ref(true, PubkeyCert::wrap(key_a.clone(), None, census));
            cert.set_subject(&peer_a());
        }
        assert_eq!(store.stored_objects(), n);
        store
    }

    fn peer_a() -> Identity {
        Identity::parse("peer-a.example.org")
    }

    fn peer_b() -> Identity {
        Identity::parse("peer-b.example.org")
    }

    fn distinct<S: CertStore<Immutable>>(n: usize, census: &Census) -> (S, PublicKey) {
        let store = S::empty();
        let keys: Vec<PublicKey> = (0..n)
            .map(|i| PublicKey::synthetic(&format!("host-{i}")))
            .collect();
        for (i, k) in keys.iter().enumerate() {
            store.add_cert_ref(true, PubkeyCert::wrap(k.clone(), Some(host(i)), census));
        }
        assert_eq!(store.stored_objects(), n);
        (store, keys[0].clone())
    }

    fn lookups(c: &mut Criterion) {
        let mut g = c.benchmark_group("lookup");
        let census = Census::new();
        for n in SIZES {
            if n <= LEAK_MAX {
                let store = leak_store(n, &census);
                let (a, b) = (peer_a(), peer_b());
                g.bench_with_input(BenchmarkId::new("list_leak_other", n), &n, |bch, _| {
                    bch.iter(|| {
                        let found = store.find_trusted(black_box(&b));
                        assert_eq!(found.len(), 1);
                        found
                    })
                });
                g.bench_with_input(BenchmarkId::new("list_leak_self", n), &n, |bch, _| {
                    bch.iter(|| {
                        let found = store.find_trusted(black_box(&a));
                        assert_eq!(found.len(), n - 1);
                        found
                    })
                });
            }
            {
                let (store, _) = distinct::<CredentialStore<Immutable>>(n, &census);
                let q = host(0);
                g.bench_with_input(BenchmarkId::new("list_distinct", n), &n, |bch, _| {
                    bch.iter(|| {
                        let found = store.find_trusted(black_box(&q));
                        assert_eq!(found.len(), 1);
                        found
                    })
                });
            }
            let (store, key0) = distinct::<IndexedStore<Immutable>>(n, &census);
            let queries = [
                ("indexed_exact", host(0)),
                ("indexed_keyid", Identity::KeyId(key0.key_id().to_vec())),
                (
                    "indexed_wildcard",
                    Identity::Fqdn("*t-0.example.org".into()),
                ),
            ];
            for (name, q) in queries {
                g.bench_with_input(BenchmarkId::new(name, n), &n, |bch, _| {
                    bch.iter(|| {
                        let found = store.find_trusted(black_box(&q));
                        assert_eq!(found.len(), 1);
                        found
                    })
                });
            }
        }
        g.finish();
    }

    criterion::criterion_group! {
        name = group;
        config = config();
        targets = lookups
    }
}
