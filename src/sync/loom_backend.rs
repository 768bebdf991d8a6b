//! loom backend of the facade: every access below is seen by loom's scheduler.

pub(super) const NAME: &str = "loom";

pub use loom::cell::UnsafeCell;
pub use loom::sync::atomic::{AtomicPtr, AtomicUsize};
pub use loom::sync::{Arc, Mutex, RwLock};

/// Threads: loom's simulated threads, spawned with a name so that timelines can say
/// who did what.
pub mod thread {
    pub use loom::thread::JoinHandle;

    /// Spawns a named thread, recording a `spawn` step (so a timeline can map loom's
    /// `thread #N`, the N-th spawned thread, to its name).
    pub fn spawn_named<F, T>(name: &str, f: F) -> JoinHandle<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        crate::trace::step(crate::trace::StepKind::Spawn, "spawn", || name.to_string());
        loom::thread::Builder::new()
            .name(name.to_string())
            .spawn(f)
            .expect("cannot spawn a loom thread")
    }

    /// The current loom thread's name, or `"main"` for the model's root thread.
    /// Reading it is not a scheduling point.
    pub fn current_name() -> String {
        loom::thread::current().name().unwrap_or("main").to_string()
    }
}
