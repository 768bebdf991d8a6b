//! shuttle backend of the facade: threads, locks and atomics are shuttle's, so its
//! schedulers (random, PCT) choose every interleaving.
//!
//! shuttle does not track `UnsafeCell` accesses, so data races are not reported by the
//! checker itself: the model's use-after-free oracle ([`crate::heap`]) does that. To give
//! the schedulers the chance to preempt a thread between two accesses of a cell — say,
//! between `set_subject` freeing the old identity and storing the new pointer — every
//! [`UnsafeCell::with`] / [`UnsafeCell::with_mut`] is a scheduling point.

pub(super) const NAME: &str = "shuttle";

pub use shuttle::sync::atomic::{AtomicPtr, AtomicUsize};
pub use shuttle::sync::{Arc, Mutex, RwLock};

/// A scheduling point with no other effect (shuttle does not model time, so a zero
/// sleep is a plain context switch, unlike `yield_now`, which PCT treats as a hint).
/// Skipped while unwinding: shuttle tears an execution down by unwinding its threads,
/// and a scheduling point inside a destructor then would be a second panic.
fn switch() {
    if !std::thread::panicking() {
        shuttle::thread::sleep(std::time::Duration::ZERO);
    }
}

/// `std::cell::UnsafeCell` with loom's closure API; each access is a scheduling point.
///
/// Guarantees nothing beyond `std::cell::UnsafeCell`; concurrent accesses are not
/// reported by shuttle (the oracle reports reads of freed identities).
#[derive(Debug)]
pub struct UnsafeCell<T>(std::cell::UnsafeCell<T>, usize);

impl<T> UnsafeCell<T> {
    /// Wraps `data`.
    pub fn new(data: T) -> Self {
        UnsafeCell(std::cell::UnsafeCell::new(data), crate::trace::next_cell())
    }

    /// Gives `f` a shared pointer to the contents (a *read* access, recorded with its
    /// location: [`crate::trace::access`]), after a scheduling point.
    #[track_caller]
    pub fn with<R>(&self, f: impl FnOnce(*const T) -> R) -> R {
        switch();
        crate::trace::access(std::panic::Location::caller(), false, self.1);
        f(self.0.get())
    }

    /// Gives `f` a mutable pointer to the contents (a *write* access, recorded with
    /// its location), after a scheduling point.
    #[track_caller]
    pub fn with_mut<R>(&self, f: impl FnOnce(*mut T) -> R) -> R {
        switch();
        crate::trace::access(std::panic::Location::caller(), true, self.1);
        f(self.0.get())
    }
}

/// The backend's threads (`Builder`, `JoinHandle`, `current`); the named spawn on top
/// of them is the facade's own (`sync::thread`).
pub use shuttle::thread as threads;
