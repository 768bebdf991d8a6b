//! A cell loom cannot see, shared by `tests/custom_cell.rs` and `tests/grading.rs` as
//! the negative control of the vacuity refusal.

use swan_credstore::{Design, Identity, MutableSubject, SubjectCell};

/// A cell the checker cannot see: a `std` mutex instead of the facade's. Correct on
/// real threads, but loom never sees it lock, so a loom `pass` of it would prove nothing.
pub struct StdMutexCell(std::sync::Mutex<Identity>);

impl SubjectCell for StdMutexCell {
    const DESIGN: Design = Design::Custom("user_std_mutex");
    fn new(subject: Identity) -> Self {
        StdMutexCell(std::sync::Mutex::new(subject))
    }
    fn read<R>(
        &self,
        _op: &'static str,
        _owner: &dyn std::fmt::Display,
        f: impl FnOnce(&Identity) -> R,
    ) -> R {
        let subject = self.0.lock().unwrap_or_else(|e| e.into_inner()).clone();
        f(&subject)
    }
}

impl MutableSubject for StdMutexCell {
    fn set(&self, subject: &Identity, _owner: &dyn std::fmt::Display) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = subject.clone();
    }
}
