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
//! recorder ([`crate::trace`]) and the object census ([`crate::cert::Census`]), which
//! must stay invisible to the checker (see their docs).

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
        handle
            .join()
            .unwrap_or_else(|payload| std::panic::resume_unwind(payload))
    }
}

/// Name of the backend this build uses: `"std"`, `"loom"` or `"shuttle"`.
pub const BACKEND: &str = backend::NAME;

/// Locks `lock` for reading. The model never panics while holding a lock except to
/// report a checker failure, after which the lock is never used again, so poisoning is
/// treated as a bug in the model itself.
pub fn read<T>(lock: &RwLock<T>) -> impl std::ops::Deref<Target = T> + '_ {
    lock.read().expect("model lock poisoned")
}

/// Locks `lock` for writing. See [`read`] for why poisoning is a model bug.
pub fn write<T>(lock: &RwLock<T>) -> impl std::ops::DerefMut<Target = T> + '_ {
    lock.write().expect("model lock poisoned")
}

/// Locks a mutex. See [`read`] for why poisoning is a model bug.
pub fn lock<T>(m: &Mutex<T>) -> impl std::ops::DerefMut<Target = T> + '_ {
    m.lock().expect("model lock poisoned")
}
