//! Tracked heap objects and the use-after-free oracle.
//!
//! strongSwan frees an `identification_t` with `destroy()` while other threads may
//! still hold its address. Rust will not let safe code do that, so the model makes the
//! free *observable* instead of real: beside each [`Tracked`] value sits a `freed` flag in
//! a facade [`crate::sync::UnsafeCell`] (the tombstone); the value's memory stays valid
//! until the `Tracked` itself is dropped.
//!
//! * Freeing ([`Tracked::retire`], or dropping a `Tracked`) is a *write* to the flag;
//!   every read ([`Tracked::read`]) *reads* it when it starts and again when it ends. Under loom, a read that is not
//!   ordered with the free by happens-before is reported by loom itself as a causality
//!   violation: the data race of the C code.
//! * A read that starts after the free, or during which the free lands (the check when
//!   it ends), finds the tombstone and calls [`use_after_free`], which panics with a message starting with [`UAF`]. That is the
//!   oracle: it works under every backend, including ones that do not track cell
//!   accesses.
//!
//! Retired values keep their memory until their owner is dropped (see
//! [`crate::subject::InPlace`]), so a late read is a checked read of a tombstone, never
//! real undefined behaviour — as long as a model checker runs the threads. Designs that
//! retire values while others may read them are never run on real threads.

use crate::identity::Identity;
use crate::sync::UnsafeCell;
use crate::trace::{self, StepKind};

/// Prefix of every oracle panic message.
pub const UAF: &str = "use-after-free";

/// Reports a read of freed `object` (tag `id#3`, label `what`; `how`: what happened), panics.
#[track_caller]
pub fn use_after_free(object: &str, what: &str, how: &str) -> ! {
    let step = || uaf(object, what, how);
    trace::step(StepKind::UseAfterFree, "USE-AFTER-FREE", step);
    panic!("{UAF}: {what} {how}")
}

/// A heap object whose free and reads are visible to the checker and to the oracle.
///
/// The value itself stays in place until the `Tracked` is dropped; what the checkers
/// see is a `freed` flag in a facade cell: a read checks it when it starts and again when
/// it ends (so a free that lands *during* a read is caught too), and a free sets it.
#[derive(Debug)]
pub struct Tracked<T> {
    serial: u64,
    desc: String,
    value: T,
    freed: UnsafeCell<bool>,
    /// Whether the recorder was told of the free: a `std` flag the checkers do not see,
    /// so that a retired value dropped later is counted once.
    counted: std::sync::atomic::AtomicBool,
}

// SAFETY: the value is only ever shared immutably; the flag is accessed through the
// facade, and whether those accesses are ordered is what the checkers examine.
unsafe impl<T: Send> Send for Tracked<T> {}
// SAFETY: as above.
unsafe impl<T: Send + Sync> Sync for Tracked<T> {}

impl<T> Tracked<T> {
    /// Allocates a live object with a fresh serial number.
    pub fn new(value: T) -> Tracked<T> {
        Tracked::with_desc(value, String::new())
    }

    fn with_desc(value: T, desc: String) -> Tracked<T> {
        trace::count_tracked(1);
        Tracked {
            serial: trace::next_serial(),
            desc,
            value,
            freed: UnsafeCell::new(false),
            counted: std::sync::atomic::AtomicBool::new(false),
        }
    }

    /// The label used in timelines: `id#N`, followed by the value it was created with
    /// (kept outside the tracked cell, so labelling never reads the object).
    pub fn label(&self) -> String {
        if self.desc.is_empty() {
            self.tag()
        } else {
            format!("{} ({})", self.tag(), self.desc)
        }
    }

    fn check_live(&self, how: &str) {
        // SAFETY: a read access of the flag through the facade; see the module docs.
        let freed = self.freed.with(|p| unsafe { *p });
        if freed {
            use_after_free(&self.tag(), &self.label(), how);
        }
    }

    /// Reads the object. A free not ordered with the read is a loom causality
    /// violation; a read of a freed object, or a free during the read, is an oracle panic.
    pub fn read<R>(&self, f: impl FnOnce(&T) -> R) -> R {
        self.check_live("read after it was freed");
        let r = f(&self.value);
        self.check_live("freed while being read");
        r
    }

    /// Frees the object in place (`destroy()`), leaving it marked as freed. A write
    /// access. The memory stays valid until the `Tracked` itself is dropped.
    pub fn retire(&self) {
        // SAFETY: a write access of the flag through the facade; see the module docs.
        self.freed.with_mut(|p| unsafe { *p = true });
        if !self
            .counted
            .swap(true, std::sync::atomic::Ordering::Relaxed)
        {
            trace::count_free();
        }
    }

    /// The object's serial number in its execution (the `N` of `id#N`): stable across
    /// runs, unlike its address, which the allocator may reuse for another object.
    pub fn serial(&self) -> u64 {
        self.serial
    }

    /// The object's tag alone (`id#N`): what timeline steps name as their object.
    pub fn tag(&self) -> String {
        format!("id#{}", self.serial)
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
        owner: &dyn std::fmt::Display,
        f: impl FnOnce(&Identity) -> R,
    ) -> R {
        trace::step(StepKind::Read, op, || {
            (self.tag(), format!("{owner} subject {}", self.label()))
        });
        self.read(f)
    }
}

impl<T> Drop for Tracked<T> {
    fn drop(&mut self) {
        // Freeing is a write, so a read that races with the final drop is reported.
        self.retire();
        trace::count_tracked(-1);
    }
}

/// The oracle step's text: the object, and what happened to it.
fn uaf(object: &str, what: &str, how: &str) -> (String, String) {
    (object.to_string(), format!("{what} {how}"))
}
