//! std backend of the facade: real threads and real atomics.

pub(super) const NAME: &str = "std";

pub use std::sync::atomic::{AtomicPtr, AtomicUsize};
pub use std::sync::{Arc, Mutex, RwLock};

/// `std::cell::UnsafeCell` with loom's closure-based access API.
///
/// Guarantees nothing beyond `std::cell::UnsafeCell`: callers must uphold Rust's
/// aliasing rules themselves. Under `--cfg loom` the same calls are tracked and a
/// concurrent read/write pair is reported as a causality violation.
#[derive(Debug)]
pub struct UnsafeCell<T>(std::cell::UnsafeCell<T>);

impl<T> UnsafeCell<T> {
    /// Wraps `data`.
    pub const fn new(data: T) -> Self {
        UnsafeCell(std::cell::UnsafeCell::new(data))
    }

    /// Gives `f` a shared pointer to the contents (a *read* access).
    pub fn with<R>(&self, f: impl FnOnce(*const T) -> R) -> R {
        f(self.0.get())
    }

    /// Gives `f` a mutable pointer to the contents (a *write* access).
    pub fn with_mut<R>(&self, f: impl FnOnce(*mut T) -> R) -> R {
        f(self.0.get())
    }
}

/// Threads: std threads, spawned with a name so that timelines can say who did what.
pub mod thread {
    pub use std::thread::JoinHandle;

    /// Spawns a named thread, recording a `spawn` step (so a timeline can map loom's
    /// `thread #N`, the N-th spawned thread, to its name).
    pub fn spawn_named<F, T>(name: &str, f: F) -> JoinHandle<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        crate::trace::step(crate::trace::StepKind::Spawn, "spawn", || name.to_string());
        std::thread::Builder::new()
            .name(name.to_string())
            .spawn(f)
            .expect("cannot spawn a model thread")
    }

    /// The current thread's name, or `"main"` when it has none.
    pub fn current_name() -> String {
        std::thread::current().name().unwrap_or("main").to_string()
    }
}
