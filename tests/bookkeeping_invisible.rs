//! The scenarios' plugin handle is bookkeeping: no checked property reads its reference
//! count, so cloning and dropping it must not be scheduling points loom branches on
//! (notes/performance.md, "Fewer scheduling points"). The same harness with a loom `Arc`
//! in its place explores more interleavings: the negative control shows the count would
//! catch a handle that became visible again.
#![cfg(all(loom, not(crossbeam_loom)))]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use swan_credstore::{Immutable, Vici};
use swan_credstore_models::scenarios::Plugin;

/// Interleavings loom explores for a main thread and one spawned thread that each clone
/// and drop `n` references to a shared value made by `make`.
fn explored<T: Clone + Send + 'static>(n: usize, make: fn() -> T) -> usize {
    let count = Arc::new(AtomicUsize::new(0));
    let c = count.clone();
    loom::model(move || {
        c.fetch_add(1, Ordering::Relaxed);
        let shared = make();
        let other = shared.clone();
        let t = loom::thread::spawn(move || {
            for _ in 0..n {
                drop(other.clone());
            }
        });
        for _ in 0..n {
            drop(shared.clone());
        }
        t.join().unwrap();
    });
    count.load(Ordering::Relaxed)
}

fn plugin() -> Plugin<Immutable, swan_credstore::CredentialStore<Immutable>> {
    Plugin::new(Vici::new())
}

#[test]
fn the_plugin_handle_is_not_a_scheduling_point() {
    assert_eq!(explored(3, plugin), explored(0, plugin));
}

#[test]
fn a_loom_arc_in_its_place_would_be_counted() {
    let loom_arc = || loom::sync::Arc::new(0u8);
    assert!(explored(3, loom_arc) > explored(0, loom_arc));
}
