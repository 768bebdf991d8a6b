//! Your answers to exercise 4 (notes/exercises.md): fill each `""`/`None`.

/// Question 1: the source location (`file:line`, with or without loom's column) of the
/// racing write, e.g. `"src/some/file.rs:12"`.
pub const WRITE_AT: &str = "";

/// Question 1: the source location (`file:line`) of the racing read.
pub const READ_AT: &str = "";

/// Question 2: had the reload's thread finished its last step before the `list-certs`
/// thread took its first, in this execution?
pub const RELOAD_DONE_BEFORE_LIST: Option<bool> = None;

/// Question 3: does any lock or atomic order the racing write before the racing read?
pub const ORDERED_BY_A_LOCK: Option<bool> = None;
