//! loom backend of the facade: every access below is seen by loom's scheduler.

pub(super) const NAME: &str = "loom";

pub use loom::cell::UnsafeCell;
pub use loom::sync::atomic::{AtomicPtr, AtomicUsize};
pub use loom::sync::{Arc, Mutex, RwLock};

/// The backend's threads (`Builder`, `JoinHandle`, `current`); the named spawn on top
/// of them is the facade's own (`sync::thread`).
pub use loom::thread as threads;
