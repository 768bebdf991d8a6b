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
pub struct UnsafeCell<T>(std::cell::UnsafeCell<T>, usize);

impl<T> UnsafeCell<T> {
    /// Wraps `data`.
    pub fn new(data: T) -> Self {
        UnsafeCell(std::cell::UnsafeCell::new(data), crate::trace::next_cell())
    }

    /// Gives `f` a shared pointer to the contents (a *read* access, recorded with its
    /// location: [`crate::trace::access`]).
    #[track_caller]
    pub fn with<R>(&self, f: impl FnOnce(*const T) -> R) -> R {
        crate::trace::access(std::panic::Location::caller(), false, self.1);
        f(self.0.get())
    }

    /// Gives `f` a mutable pointer to the contents (a *write* access, recorded with
    /// its location).
    #[track_caller]
    pub fn with_mut<R>(&self, f: impl FnOnce(*mut T) -> R) -> R {
        crate::trace::access(std::panic::Location::caller(), true, self.1);
        f(self.0.get())
    }
}

/// The backend's threads (`Builder`, `JoinHandle`, `current`); the named spawn on top
/// of them is the facade's own (`sync::thread`).
pub use std::thread as threads;
