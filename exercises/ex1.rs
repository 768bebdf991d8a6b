//! Your answers to exercise 1 (notes/exercises.md): replace each `None` with your answer
//! and run the grader: `RUSTFLAGS="--cfg loom" CARGO_TARGET_DIR=target/loom cargo test
//! --release --test grading -- --nocapture your_answers`.

/// Part 1: the smallest `--preemption-bound` at which loom still reports the race of
/// `reload_vs_lookup × in_place × pre_fix`.
pub const IN_PLACE_SMALLEST_BOUND: Option<usize> = None;

/// Part 3: the smallest preemption bound at which `reload_vs_list_certs` catches the
/// cell of `notes/solutions/clear_then_set.rs` (predict it before you run it).
pub const CLEAR_THEN_SET_SMALLEST_BOUND: Option<usize> = None;
