//! loom backend of the facade: every access below is seen by loom's scheduler.

pub(super) const NAME: &str = "loom";

/// loom's `UnsafeCell`, whose accesses are also recorded with their locations
/// ([`crate::trace::access`]). Every method is `#[track_caller]` down to loom's own, so
/// loom's causality reports name the model's call, as with loom's cell used directly.
#[derive(Debug)]
pub struct UnsafeCell<T>(loom::cell::UnsafeCell<T>, usize);

impl<T> UnsafeCell<T> {
    /// Wraps `data` (loom records where the cell was created).
    #[track_caller]
    pub fn new(data: T) -> Self {
        UnsafeCell(loom::cell::UnsafeCell::new(data), crate::trace::next_cell())
    }

    /// A *read* access, tracked by loom.
    #[track_caller]
    pub fn with<R>(&self, f: impl FnOnce(*const T) -> R) -> R {
        crate::trace::access(std::panic::Location::caller(), false, self.1);
        self.0.with(f)
    }

    /// A *write* access, tracked by loom.
    #[track_caller]
    pub fn with_mut<R>(&self, f: impl FnOnce(*mut T) -> R) -> R {
        crate::trace::access(std::panic::Location::caller(), true, self.1);
        self.0.with_mut(f)
    }
}
pub use loom::sync::atomic::{AtomicPtr, AtomicUsize};
pub use loom::sync::{Arc, Mutex, RwLock};

/// The backend's threads (`Builder`, `JoinHandle`, `current`); the named spawn on top
/// of them is the facade's own (`sync::thread`).
pub use loom::thread as threads;
