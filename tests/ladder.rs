//! The scope ladder's negative controls, as tests: at every rung above the base, every
//! row the matrix expects to fail (the racy designs, the pre-fix flow's duplicates, the
//! leaky and split-dedup controls) fails for its expected reason. Duplicates stop the
//! run at the first execution that has them (`findings::set_fatal`), so a `duplicates`
//! row here says "caught", not "and no execution races": that, and the passes of the
//! fixed designs, are explored by `cargo xtask verify --full` and recorded by
//! `cargo xtask bench-checkers --ladder`, whose cost does not fit the test command.
//! Plain loom only: a fatal finding panics inside crossbeam-epoch's pinned guard, which
//! aborts the process under `--cfg crossbeam_loom`; the epoch rows' ladder verdicts are
//! in the record (`tests/data/records/ladder.json`, checked by xtask's tests).
#![cfg(all(loom, not(crossbeam_loom)))]

use swan_credstore_models::expect::{ladder_cases, runnable_here};
use swan_credstore_models::findings;
use swan_credstore_models::loom_check::{check, LoomOptions};
use swan_credstore_models::record::Outcome;

#[test]
fn every_broken_row_is_caught_at_every_rung() {
    let cases: Vec<_> = ladder_cases()
        .into_iter()
        .filter(runnable_here)
        .filter(|c| c.expected != Outcome::Pass)
        .collect();
    assert!(!cases.is_empty());
    findings::set_fatal(true);
    for case in &cases {
        let opts = LoomOptions {
            preemption_bound: None,
            record: false,
            full: false,
        };
        let r = check(case, &opts);
        assert_eq!(
            r.outcome, r.expected,
            "{} @{} × {} × {}: {:?}",
            r.scenario, r.scope, r.variant, r.flow, r.message
        );
    }
    findings::set_fatal(false);
}
