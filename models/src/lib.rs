//! Scenarios and checker harnesses for `swan-credstore`.
//!
//! * [`scenarios`] — the concurrent programs (reload vs. lookup/list-certs, concurrent
//!   reloads, reload vs. clear-creds), generic over subject cell and load flow.
//! * [`cases`] — the verdict matrix: every scenario × variant × flow and its expected
//!   outcome.
//! * [`record`] — verdict records and the classification of failure messages.
//! * [`render`] — the matrix and counterexample timelines as text.
//! * [`report`] — `notes/results.md`: matrix, Mermaid diagrams, timelines, timings.
//! * `loom_check` (with `--cfg loom`) — the exhaustive loom harness.
//! * [`storm`] — the large scenario for shuttle and real threads.
//! * [`findings`] — duplicates recorded without stopping the checker.
//! * `shuttle_check` (with `--cfg shuttle`) — the PCT and random shuttle harness, and
//!   replay of a failing schedule.
//! * `stress` (std build) — the storm on real threads with the production cells.
//! * [`negative`] — negative-control cells defined outside the model crate.
//! * [`capture`] — running a checker whose failures are panics.

pub mod capture;
pub mod cases;
pub mod findings;
#[cfg(loom)]
pub mod loom_check;
pub mod negative;
pub mod record;
pub mod render;
pub mod report;
pub mod scenarios;
#[cfg(all(shuttle, not(loom)))]
pub mod shuttle_check;
pub mod storm;
#[cfg(not(any(loom, shuttle)))]
pub mod stress;
