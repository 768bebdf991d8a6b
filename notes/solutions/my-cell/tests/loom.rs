//! Checks this crate's cells with swan-credstore's loom harness:
//! `RUSTFLAGS="--cfg loom" cargo test --release` (see Cargo.toml for the target dir).
#![cfg(all(loom, not(crossbeam_loom)))]

use my_cell::{HalfLocked, SnapshotCell};
use swan_credstore::{Flow, MutableSubject, Vici};
use swan_credstore_models::cases::{body_for, Case, Checker};
use swan_credstore_models::loom_check::{check_body, LoomOptions};
use swan_credstore_models::record::{Outcome, Record};
use swan_credstore_models::storm::StormSize;

/// Runs `scenario` with cell `C` and the pre-fix flow (the one that calls set_subject).
fn check<C: MutableSubject>(scenario: &'static str, expected: Outcome) -> Record {
    let case = Case {
        scenario,
        variant: C::NAME,
        flow: Flow::PreFix,
        checker: Checker::Loom,
        expected,
    };
    let body = body_for::<C, _>(scenario, Vici::<C>::load_conn_pre_fix, StormSize::SHUTTLE)
        .expect("a known scenario");
    let opts = LoomOptions {
        preemption_bound: None,
        record: true,
    };
    check_body(&case, body, &opts)
}

#[test]
fn snapshot_cell_passes_and_half_locked_races() {
    for scenario in ["reload_vs_lookup", "reload_vs_list_certs"] {
        let good = check::<SnapshotCell>(scenario, Outcome::Pass);
        assert_eq!(good.outcome, Outcome::Pass, "{:?}", good.message);
        assert!(good.bounds.exhaustive);
        let bad = check::<HalfLocked>(scenario, Outcome::Race);
        assert_eq!(bad.outcome, Outcome::Race);
        assert!(bad.message.unwrap().contains("Causality violation"));
    }
}
