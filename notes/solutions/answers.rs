//! The reference answers to exercises 1 and 4, in the shape of the answer slots
//! `exercises/ex1.rs` and `exercises/ex4.rs`; `tests/grading.rs` grades them (they must
//! be graded right) beside the slots.

/// Exercise 1, part 1 (see 1-preemption-bound.md).
pub const IN_PLACE_SMALLEST_BOUND: Option<usize> = Some(0);
/// Exercise 1, part 3.
pub const CLEAR_THEN_SET_SMALLEST_BOUND: Option<usize> = Some(1);

/// Exercise 4, question 1 (see 4-explain-counterexample.md): the pointer store of
/// `InPlace::set`.
pub const WRITE_AT: &str = "src/subject/in_place.rs:94";
/// Exercise 4, question 1: the pointer load of `InPlace::read`.
pub const READ_AT: &str = "src/subject/in_place.rs:51";
/// Exercise 4, question 2.
pub const RELOAD_DONE_BEFORE_LIST: Option<bool> = Some(true);
/// Exercise 4, question 3.
pub const ORDERED_BY_A_LOCK: Option<bool> = Some(false);
