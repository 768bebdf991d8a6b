//! The read path IKE_AUTH takes: one subject check per subject-cell design, against a
//! plain shared `&Identity` as the floor, single-threaded and with a concurrent writer.
//!
//! Two levels are measured for each cell:
//! * `cell_*` — the work `has_subject` does on the cell: read the subject through the
//!   cell and call `Identity::matches` (what the C code does: dereference, compare).
//!   `cow_load` reads through `ArcSwap::load` (the cell's `read`), `cow_load_full`
//!   through `CopyOnWrite::snapshot()` (`ArcSwap::load_full`, an owned `Arc`).
//! * `cert_*` — the model's `PubkeyCert::has_subject`, which additionally formats the
//!   cert's timeline label and clones the subject it read (model bookkeeping that the C
//!   code does not have); shown to size that overhead, not to compare designs.
//!
//! `cell_cow_cache` reads through `CopyOnWrite::cached()` (`arc_swap::Cache`, a snapshot
//! each reader keeps and revalidates with one relaxed load).
//!
//! `read_with_writer` runs one writer thread (the machine has two cores: one reader, one
//! writer) that keeps calling `set_subject`, alternating two identities, until the
//! measurement ends: a saturating writer, nothing like a reload.
//! `read_writer_100us` and `read_writer_1ms` run the same writer at a reload's rate: one
//! replacement, then a sleep of 100 µs or 1 ms (a reload replaces each subject once). `Immutable` has no setter, so it has no writer row; the floor's
//! writer row is a control thread that spins on its own data (no shared writes), to
//! show what merely having the second core busy costs.
//!
//! `cargo bench --bench read_path`; `cargo xtask bench` also regenerates
//! `notes/performance.md` from the results.

#![cfg_attr(any(loom, shuttle), allow(unused))]

#[cfg(any(loom, shuttle))]
fn main() {}

#[cfg(not(any(loom, shuttle)))]
criterion::criterion_main!(benches::read_path);

#[cfg(not(any(loom, shuttle)))]
mod benches {
    use criterion::{black_box, Criterion};
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::time::Duration;
    use swan_credstore::heap::Tracked;
    use swan_credstore::subject::{CopyOnWrite, Epoch, Immutable, Locked};
    use swan_credstore::{Census, Identity, MutableSubject, PubkeyCert, PublicKey, SubjectCell};

    fn peer() -> Identity {
        Identity::parse("peer.example.org")
    }

    fn other() -> Identity {
        Identity::parse("peer2.example.org")
    }

    /// Runs `writer` on another thread until `measure` returns.
    fn with_writer(writer: impl Fn() + Sync, measure: impl FnOnce()) {
        let stop = AtomicBool::new(false);
        std::thread::scope(|s| {
            s.spawn(|| {
                while !stop.load(Ordering::Relaxed) {
                    writer();
                }
            });
            measure();
            stop.store(true, Ordering::Relaxed);
        });
    }

    fn config() -> Criterion {
        Criterion::default()
            .sample_size(30)
            .warm_up_time(Duration::from_millis(500))
            .measurement_time(Duration::from_secs(2))
            .configure_from_args()
    }

    fn cell_check<C: SubjectCell>(cell: &C, q: &Identity) -> bool {
        cell.read("has_subject: read subject", &"", |s| {
            s.matches(q) > swan_credstore::MatchQuality::None
        })
    }

    fn single(c: &mut Criterion) {
        let q = peer();
        let mut g = c.benchmark_group("read_single");
        let floor_id = peer();
        g.bench_function("floor", |b| {
            let id: &Identity = &floor_id;
            b.iter(|| black_box(id).matches(black_box(&q)))
        });
        // The model's own floor: every cell's identity is a `Tracked` one, whose read
        // checks its freed flag before and after (two facade cell accesses).
        let tracked = Tracked::identity(peer());
        g.bench_function("floor_tracked", |b| {
            b.iter(|| black_box(&tracked).read(|s| s.matches(&q)))
        });
        let locked = Locked::new(peer());
        g.bench_function("cell_locked", |b| {
            b.iter(|| cell_check(black_box(&locked), &q))
        });
        let cow = CopyOnWrite::new(peer());
        g.bench_function("cell_cow_load", |b| {
            b.iter(|| cell_check(black_box(&cow), &q))
        });
        g.bench_function("cell_cow_load_full", |b| {
            b.iter(|| black_box(&cow).snapshot().read(|s| s.matches(&q)))
        });
        g.bench_function("cell_cow_cache", |b| {
            let mut cache = cow.cached();
            b.iter(|| black_box(&mut cache).read(|s| s.matches(&q)))
        });
        let epoch = Epoch::new(peer());
        g.bench_function("cell_epoch", |b| {
            b.iter(|| cell_check(black_box(&epoch), &q))
        });
        let imm = Immutable::new(peer());
        g.bench_function("cell_immutable", |b| {
            b.iter(|| cell_check(black_box(&imm), &q))
        });

        let census = Census::new();
        let key = PublicKey::synthetic("peer");
        macro_rules! cert {
            ($name:literal, $cell:ty) => {
                let cert = PubkeyCert::<$cell>::wrap(key.clone(), Some(peer()), &census);
                g.bench_function($name, |b| b.iter(|| black_box(&cert).has_subject(&q)));
            };
        }
        cert!("cert_locked", Locked);
        cert!("cert_cow", CopyOnWrite);
        cert!("cert_epoch", Epoch);
        cert!("cert_immutable", Immutable);
        g.finish();
    }

    /// The cells' reads against a writer that replaces the subject once every `pause`.
    fn paced(c: &mut Criterion, group: &str, pause: Duration) {
        let q = peer();
        let ids = [peer(), other()];
        let mut g = c.benchmark_group(group);
        macro_rules! cell {
            ($name:literal, $cell:ty, |$c:ident| $read:expr) => {{
                let cell = <$cell>::new(peer());
                let n = std::sync::atomic::AtomicUsize::new(0);
                g.bench_function($name, |b| {
                    with_writer(
                        || {
                            let i = n.fetch_add(1, Ordering::Relaxed);
                            cell.set(&ids[i & 1], &"");
                            std::thread::sleep(pause);
                        },
                        || {
                            let $c = &cell;
                            b.iter(|| $read)
                        },
                    )
                });
            }};
        }
        cell!("cell_locked", Locked, |c| cell_check(black_box(c), &q));
        cell!("cell_cow_load", CopyOnWrite, |c| cell_check(
            black_box(c),
            &q
        ));
        {
            let cell = CopyOnWrite::new(peer());
            let n = std::sync::atomic::AtomicUsize::new(0);
            g.bench_function("cell_cow_cache", |b| {
                with_writer(
                    || {
                        let i = n.fetch_add(1, Ordering::Relaxed);
                        cell.set(&ids[i & 1], &"");
                        std::thread::sleep(pause);
                    },
                    || {
                        let mut cache = cell.cached();
                        b.iter(|| black_box(&mut cache).read(|s| s.matches(&q)))
                    },
                )
            });
        }
        cell!("cell_epoch", Epoch, |c| cell_check(black_box(c), &q));
        g.finish();
    }

    fn reload_rate(c: &mut Criterion) {
        paced(c, "read_writer_100us", Duration::from_micros(100));
        paced(c, "read_writer_1ms", Duration::from_millis(1));
    }

    fn contended(c: &mut Criterion) {
        let q = peer();
        let ids = [peer(), other()];
        let mut g = c.benchmark_group("read_with_writer");

        let floor_id = peer();
        g.bench_function("floor", |b| {
            let id: &Identity = &floor_id;
            let spin = std::sync::atomic::AtomicU64::new(0);
            with_writer(
                || {
                    // Control: keep the other core busy on private data.
                    let mut x = spin.load(Ordering::Relaxed);
                    for _ in 0..64 {
                        x = black_box(x.wrapping_mul(6364136223846793005).wrapping_add(1));
                    }
                    black_box(x);
                },
                || b.iter(|| black_box(id).matches(black_box(&q))),
            )
        });

        macro_rules! cell {
            ($name:literal, $cell:ty, $read:expr) => {{
                let cell = <$cell>::new(peer());
                let n = std::sync::atomic::AtomicUsize::new(0);
                g.bench_function($name, |b| {
                    with_writer(
                        || {
                            let i = n.fetch_add(1, Ordering::Relaxed);
                            cell.set(&ids[i & 1], &"");
                        },
                        || b.iter(|| ($read)(black_box(&cell), &q)),
                    )
                });
            }};
        }
        cell!("cell_locked", Locked, cell_check::<Locked>);
        cell!("cell_cow_load", CopyOnWrite, cell_check::<CopyOnWrite>);
        cell!(
            "cell_cow_load_full",
            CopyOnWrite,
            |c: &CopyOnWrite, q: &Identity| c.snapshot().read(|s| s.matches(q))
        );
        cell!("cell_epoch", Epoch, cell_check::<Epoch>);
        {
            let cell = CopyOnWrite::new(peer());
            let n = std::sync::atomic::AtomicUsize::new(0);
            g.bench_function("cell_cow_cache", |b| {
                with_writer(
                    || {
                        let i = n.fetch_add(1, Ordering::Relaxed);
                        cell.set(&ids[i & 1], &"");
                    },
                    || {
                        let mut cache = cell.cached();
                        b.iter(|| black_box(&mut cache).read(|s| s.matches(&q)))
                    },
                )
            });
        }

        let census = Census::new();
        let key = PublicKey::synthetic("peer");
        macro_rules! cert {
            ($name:literal, $cell:ty) => {{
                let cert = PubkeyCert::<$cell>::wrap(key.clone(), Some(peer()), &census);
                let n = std::sync::atomic::AtomicUsize::new(0);
                g.bench_function($name, |b| {
                    with_writer(
                        || {
                            let i = n.fetch_add(1, Ordering::Relaxed);
                            cert.set_subject(&ids[i & 1]);
                        },
                        || b.iter(|| black_box(&cert).has_subject(&q)),
                    )
                });
            }};
        }
        cert!("cert_locked", Locked);
        cert!("cert_cow", CopyOnWrite);
        cert!("cert_epoch", Epoch);
        g.finish();
    }

    criterion::criterion_group! {
        name = read_path;
        config = config();
        targets = single, contended, reload_rate
    }
}
