//! The sync facade: every primitive the model shares between threads comes from here.
//!
//! One `cfg` picks the backend, in the manner of tokio's `src/loom/`:
//!
//! | build                         | backend                                          |
//! |-------------------------------|--------------------------------------------------|
//! | default                       | `std` (real threads, real atomics)               |
//! | `RUSTFLAGS="--cfg loom"`      | `loom` (exhaustive interleaving checker)         |
//! | `RUSTFLAGS="--cfg shuttle"`   | `shuttle` (randomized and PCT schedulers)        |
//!
//! `--cfg loom --cfg crossbeam_loom` (with this crate's `crossbeam-loom` feature) is the
//! loom backend with crossbeam-epoch instrumented for loom too (see
//! [`crate::subject::Epoch`]).
//!
//! The std side is shaped like loom's API — [`UnsafeCell::with`] / [`UnsafeCell::with_mut`],
//! poison-free [`RwLock`] and [`Mutex`] helpers — so that model code is plain Rust that
//! compiles unchanged under both. Nothing outside this module names `std::sync` or `loom`
//! for data that threads of the model share; the only deliberate exceptions are the step
//! recorder ([`crate::trace`]), the object census ([`crate::cert::Census`]) and the
//! scenarios' handle on the plugin (`swan_credstore_models::scenarios::Plugin`), which
//! are bookkeeping and must stay invisible to the checker (see their docs).

#[cfg(not(any(loom, shuttle)))]
mod std_backend;
#[cfg(not(any(loom, shuttle)))]
use std_backend as backend;

#[cfg(all(shuttle, not(loom)))]
mod shuttle_backend;
#[cfg(all(shuttle, not(loom)))]
use shuttle_backend as backend;

#[cfg(loom)]
mod loom_backend;
#[cfg(loom)]
use loom_backend as backend;

pub use backend::{Arc, AtomicPtr, AtomicUsize, UnsafeCell};

/// A process-wide number for each facade lock, which the step recorder numbers by first
/// use (`lock#N`). A `std` counter the checkers do not see. It replaces the lock's
/// address as its identity: a dropped lock's address can be reused by a new one, and
/// whether it is depends on the allocator's history, so numbering by address could
/// differ between two processes running the same execution.
fn next_lock_id() -> usize {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// The backend's reader-writer lock, with an identity for the step recorder. Lock it
/// with [`read()`] and [`write()`], which record the acquire and release.
pub struct RwLock<T> {
    id: usize,
    inner: backend::RwLock<T>,
}

impl<T> RwLock<T> {
    /// A new unlocked lock around `value`.
    pub fn new(value: T) -> Self {
        RwLock {
            id: next_lock_id(),
            inner: backend::RwLock::new(value),
        }
    }
}

/// The backend's mutex, with an identity for the step recorder. Lock it with [`lock`],
/// which records the acquire and release.
pub struct Mutex<T> {
    id: usize,
    inner: backend::Mutex<T>,
}

impl<T> Mutex<T> {
    /// A new unlocked mutex around `value`.
    pub fn new(value: T) -> Self {
        Mutex {
            id: next_lock_id(),
            inner: backend::Mutex::new(value),
        }
    }
}

impl<T: std::fmt::Debug> std::fmt::Debug for RwLock<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RwLock")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

impl<T: std::fmt::Debug> std::fmt::Debug for Mutex<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mutex")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}
pub use std::sync::atomic::Ordering;

use crate::trace::{self, Mode};

/// Threads of the backend, spawned with a name so that timelines can say who did what.
pub mod thread {
    use super::backend::threads;
    pub use threads::JoinHandle;

    /// Spawns a named thread, recording a `spawn` step (so a timeline can map loom's
    /// `thread #N`, the N-th spawned thread, to its name).
    pub fn spawn_named<F, T>(name: &str, f: F) -> JoinHandle<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        crate::trace::step(crate::trace::StepKind::Spawn, "spawn", || name.to_string());
        crate::trace::sync(crate::trace::SyncOp::Spawn(name.to_string()));
        threads::Builder::new()
            .name(name.to_string())
            .spawn(f)
            .expect("cannot spawn a model thread")
    }

    /// The current thread's name, or `"main"` for the model's root thread (which has
    /// none under loom and shuttle). Reading it is not a scheduling point.
    pub fn current_name() -> String {
        threads::current().name().unwrap_or("main").to_string()
    }

    /// Joins a model thread, re-raising its panic with the original payload (so a
    /// checker sees the thread's own failure message).
    pub fn join<T>(handle: JoinHandle<T>) -> T {
        let name = handle.thread().name().unwrap_or("main").to_string();
        let out = handle
            .join()
            .unwrap_or_else(|payload| std::panic::resume_unwind(payload));
        crate::trace::sync(crate::trace::SyncOp::Join(name));
        out
    }
}

/// Name of the backend this build uses: `"std"`, `"loom"` or `"shuttle"`.
pub const BACKEND: &str = backend::NAME;

/// A held lock of the model: derefs to the guarded data, and records its release
/// (a [`crate::trace::SyncKind::Release`]) when dropped, right before the unlock.
pub struct Held<G> {
    guard: G,
    /// The lock's identity ([`RwLock`], [`Mutex`]).
    id: usize,
    mode: Mode,
}

impl<G: std::ops::Deref> std::ops::Deref for Held<G> {
    type Target = G::Target;
    fn deref(&self) -> &G::Target {
        &self.guard
    }
}

impl<G: std::ops::DerefMut> std::ops::DerefMut for Held<G> {
    fn deref_mut(&mut self) -> &mut G::Target {
        &mut self.guard
    }
}

impl<G> Drop for Held<G> {
    fn drop(&mut self) {
        trace::sync(trace::SyncOp::Release(self.id, self.mode));
    }
}

fn held<G>(guard: G, id: usize, mode: Mode) -> Held<G> {
    trace::sync(trace::SyncOp::Acquire(id, mode));
    Held { guard, id, mode }
}

/// Locks `lock` for reading, recording the acquire and (on drop) the release
/// ([`crate::trace::sync`]). The model never panics while holding a lock except to
/// report a checker failure, after which the lock is never used again, so poisoning is
/// treated as a bug in the model itself.
pub fn read<T>(lock: &RwLock<T>) -> Held<impl std::ops::Deref<Target = T> + '_> {
    held(
        lock.inner.read().expect("model lock poisoned"),
        lock.id,
        Mode::Read,
    )
}

/// Locks `lock` for writing (see [`read`]).
pub fn write<T>(lock: &RwLock<T>) -> Held<impl std::ops::DerefMut<Target = T> + '_> {
    held(
        lock.inner.write().expect("model lock poisoned"),
        lock.id,
        Mode::Write,
    )
}

/// Locks a mutex (see [`read`]).
pub fn lock<T>(m: &Mutex<T>) -> Held<impl std::ops::DerefMut<Target = T> + '_> {
    held(
        m.inner.lock().expect("model lock poisoned"),
        m.id,
        Mode::Write,
    )
}

#[cfg(all(test, not(any(loom, shuttle))))]
mod tests {
    use super::*;
    use crate::trace::{StepKind, SyncKind};

    fn acquired(steps: &[crate::trace::Step]) -> Vec<usize> {
        steps
            .iter()
            .flat_map(|s| &s.syncs)
            .filter_map(|e| match e.kind {
                SyncKind::Acquire { instance, .. } => Some(instance),
                _ => None,
            })
            .collect()
    }

    /// A lock made after another was dropped is another lock in the timeline, even at
    /// the dropped one's address (which the allocator usually hands out again), so the
    /// numbering does not depend on the allocator's history.
    #[test]
    fn a_new_lock_at_a_reused_address_is_a_new_instance() {
        trace::start();
        trace::step(StepKind::Read, "locks", || String::from("two locks"));
        let a = Box::new(RwLock::new(0u8));
        drop(write(&a));
        drop(read(&a));
        drop(a);
        let b = Box::new(RwLock::new(0u8));
        drop(write(&b));
        let m = Mutex::new(0u8);
        drop(lock(&m));
        drop(b);
        assert_eq!(acquired(&trace::finish()), vec![1, 1, 2, 3]);
    }
}
