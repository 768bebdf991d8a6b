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

pub use backend::{Arc, AtomicPtr, AtomicUsize, Mutex, RwLock, UnsafeCell};
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
    addr: usize,
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
        trace::sync(trace::SyncOp::Release(self.addr, self.mode));
    }
}

fn held<G, L>(guard: G, lock: &L, mode: Mode) -> Held<G> {
    let addr = lock as *const L as usize;
    trace::sync(trace::SyncOp::Acquire(addr, mode));
    Held { guard, addr, mode }
}

/// Locks `lock` for reading, recording the acquire and (on drop) the release
/// ([`crate::trace::sync`]). The model never panics while holding a lock except to
/// report a checker failure, after which the lock is never used again, so poisoning is
/// treated as a bug in the model itself.
pub fn read<T>(lock: &RwLock<T>) -> Held<impl std::ops::Deref<Target = T> + '_> {
    held(lock.read().expect("model lock poisoned"), lock, Mode::Read)
}

/// Locks `lock` for writing (see [`read`]).
pub fn write<T>(lock: &RwLock<T>) -> Held<impl std::ops::DerefMut<Target = T> + '_> {
    held(
        lock.write().expect("model lock poisoned"),
        lock,
        Mode::Write,
    )
}

/// Locks a mutex (see [`read`]).
pub fn lock<T>(m: &Mutex<T>) -> Held<impl std::ops::DerefMut<Target = T> + '_> {
    held(m.lock().expect("model lock poisoned"), m, Mode::Write)
}
