//! Checks this crate's cells with swan-credstore's checkers:
//! `RUSTFLAGS="--cfg loom" cargo test --release` (see Cargo.toml for the target dir).
#![cfg(all(loom, not(crossbeam_loom)))]

use my_cell::{HalfLocked, SnapshotCell};
use swan_credstore_models::check::{check_cell, CellUnderTest, CheckOptions};
use swan_credstore_models::record::{Checker, Outcome, Scenario};

#[test]
fn snapshot_cell_passes_and_half_locked_races() {
    let opts = CheckOptions::default();
    for scenario in [Scenario::ReloadVsLookup, Scenario::ReloadVsListCerts] {
        for good in check_cell(scenario, CellUnderTest::<SnapshotCell>::pre_fix(), Outcome::Pass, &opts) {
            assert_eq!(good.checker, Checker::Loom);
            assert_eq!(good.outcome, Outcome::Pass, "{:?}", good.message);
            assert!(good.bounds.exhaustive);
        }
        for bad in check_cell(scenario, CellUnderTest::<HalfLocked>::pre_fix(), Outcome::Race, &opts) {
            assert_eq!(bad.outcome, Outcome::Race);
            assert!(bad.message.unwrap().contains("Causality violation"));
        }
    }
}
