//! Your answer to exercise 2 (notes/exercises.md): a subject cell of your own. Share
//! nothing between threads except through `swan_credstore::sync` (loom cannot see
//! `std::sync`, and the grader refuses a cell it cannot see). Replace the `todo!`s.

#[allow(unused_imports)]
use swan_credstore::sync::{self, Arc, Mutex, RwLock, UnsafeCell};
use swan_credstore::{Design, Identity, MutableSubject, SubjectCell};

/// Your correct cell: it must pass `reload_vs_lookup` and `reload_vs_list_certs` with the
/// pre-fix flow, exhaustively.
pub struct MyCell {
    // Your fields here.
}

impl SubjectCell for MyCell {
    const DESIGN: Design = Design::Custom("my_cell");

    fn new(_subject: Identity) -> Self {
        todo!("not answered: exercise 2, MyCell::new")
    }

    fn read<R>(
        &self,
        _op: &'static str,
        _owner: &dyn std::fmt::Display,
        _f: impl FnOnce(&Identity) -> R,
    ) -> R {
        todo!("not answered: exercise 2, MyCell::read")
    }
}

impl MutableSubject for MyCell {
    fn set(&self, _subject: &Identity, _owner: &dyn std::fmt::Display) {
        todo!("not answered: exercise 2, MyCell::set")
    }
}
