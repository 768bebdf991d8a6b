//! Tracked heap objects and the use-after-free oracle.
//!
//! strongSwan frees an `identification_t` with `destroy()` while other threads may
//! still hold its address. Rust will not let safe code do that, so the model makes the
//! free *observable* instead of real: a [`Tracked`] value lives in a facade
//! [`UnsafeCell`](crate::sync::UnsafeCell) holding `Some(value)` while alive and a
//! tombstone (`None`) once freed.
//!
//! * Freeing ([`Tracked::retire`], or dropping a `Tracked`) is a *write* to that cell;
//!   every read ([`Tracked::read`]) is a *read* of it. Under loom, a read that is not
//!   ordered with the free by happens-before is reported by loom itself as a causality
//!   violation: the data race of the C code.
//! * A read that *is* ordered after the free finds the tombstone and calls
//!   [`use_after_free`], which panics with a message starting with [`UAF`]. That is the
//!   oracle: it works under every backend, including ones that do not track cell
//!   accesses.
//!
//! Retired values keep their memory until their owner is dropped (see
//! [`crate::subject::InPlace`]), so a late read is a checked read of a tombstone, never
//! real undefined behaviour — as long as a model checker runs the threads. Designs that
//! retire values while others may read them are never run on real threads.

use crate::identity::Identity;
use crate::sync::UnsafeCell;
use crate::trace;

/// Prefix of every oracle panic message.
pub const UAF: &str = "use-after-free";

/// Reports a read of a freed object and panics. `what` names it (`id#3`).
#[track_caller]
pub fn use_after_free(what: &str) -> ! {
    trace::step("USE-AFTER-FREE", || format!("{what} was already freed"));
    panic!("{UAF}: read of {what} after it was freed")
}

/// A heap object whose free and reads are visible to the checker and to the oracle.
#[derive(Debug)]
pub struct Tracked<T> {
    serial: u64,
    desc: String,
    slot: UnsafeCell<Option<T>>,
}

// SAFETY: every access goes through the facade cell; the model's designs decide
// whether accesses are ordered, which is exactly what the checkers examine.
unsafe impl<T: Send> Send for Tracked<T> {}
// SAFETY: as above; shared access only reads through `with`, frees through `with_mut`.
unsafe impl<T: Send + Sync> Sync for Tracked<T> {}

impl<T> Tracked<T> {
    /// Allocates a live object with a fresh serial number.
    pub fn new(value: T) -> Tracked<T> {
        Tracked::with_desc(value, String::new())
    }

    fn with_desc(value: T, desc: String) -> Tracked<T> {
        Tracked {
            serial: trace::next_serial(),
            desc,
            slot: UnsafeCell::new(Some(value)),
        }
    }

    /// The label used in timelines: `id#N`, followed by the value it was created with
    /// (kept outside the tracked cell, so labelling never reads the object).
    pub fn label(&self) -> String {
        if self.desc.is_empty() {
            format!("id#{}", self.serial)
        } else {
            format!("id#{} ({})", self.serial, self.desc)
        }
    }

    /// Reads the object. A concurrent free is a loom causality violation; a read after
    /// the free is an oracle panic.
    pub fn read<R>(&self, f: impl FnOnce(&T) -> R) -> R {
        // SAFETY: a read access through the facade; see the module docs.
        self.slot.with(|p| match unsafe { &*p } {
            Some(v) => f(v),
            None => use_after_free(&self.label()),
        })
    }

    /// Frees the object in place (`destroy()`), leaving a tombstone. A write access.
    pub fn retire(&self) {
        // SAFETY: a write access through the facade; see the module docs.
        self.slot.with_mut(|p| unsafe { *p = None });
    }
}

impl Tracked<Identity> {
    /// Allocates a tracked identity (`identification_t.clone()`).
    pub fn identity(id: Identity) -> Tracked<Identity> {
        let desc = id.to_string();
        Tracked::with_desc(id, desc)
    }

    /// Reads the identity, recording `op` with the identity's label and value.
    pub fn read_traced<R>(
        &self,
        op: &'static str,
        owner: &str,
        f: impl FnOnce(&Identity) -> R,
    ) -> R {
        trace::step(op, || format!("{owner} subject {}", self.label()));
        self.read(f)
    }
}

impl<T> Drop for Tracked<T> {
    fn drop(&mut self) {
        // Freeing is a write, so a read that races with the final drop is reported.
        self.retire();
    }
}
