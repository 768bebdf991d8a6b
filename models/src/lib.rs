//! Scenarios, the verdict matrix and the checkers for `swan-credstore`.
//!
//! Dependencies point one way, top to bottom:
//! * [`record`] — plain data: verdict records, steps, bounds (and the vocabulary enums
//!   from `swan_credstore::vocab`).
//! * [`findings`] — duplicates recorded without stopping the checker.
//! * [`scenarios`], [`storm`] — the concurrent programs, generic over subject cell, store
//!   and load flow, with their descriptions; `negative` (checker builds only) — negative-control cells
//!   defined outside the model crate.
//! * [`expect`] — the matrix: every scenario × variant × flow × checker and its expected
//!   outcome, as a table of rules with reasons.
//! * [`ladder`] — the scope ladder's plan: each rung's bounds, and which rungs the
//!   default verify runs.
//! * [`dispatch`] — from names to code: a scenario's body for a variant and flow.
//! * [`capture`], [`run`], [`seen`] — the one run loop every checker shares, how a run
//!   becomes a record, and what each run saw of the subjects (vacuity).
//! * `loom_check` (`--cfg loom`), `shuttle_check` (`--cfg shuttle`), `stress` (std) —
//!   the checkers.
//! * [`check`] — one call that checks a cell of your own under this build's checkers.
//! * [`select`] — which rows to run and the checkers' budgets (the checker's options).
//! * [`report`] — text, Markdown and Mermaid from records.

pub mod capture;
pub mod check;
#[cfg(all(shuttle, not(loom)))]
pub mod dfs;
pub mod dispatch;
pub mod expect;
pub mod findings;
pub mod ladder;
#[cfg(loom)]
pub mod loom_check;
#[cfg(any(loom, shuttle))]
pub mod negative;
pub mod record;
pub mod report;
pub mod run;
pub mod scenarios;
pub mod seen;
pub mod select;
#[cfg(all(shuttle, not(loom)))]
pub mod shuttle_check;
pub mod storm;
#[cfg(not(any(loom, shuttle)))]
pub mod stress;
