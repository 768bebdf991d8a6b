//! The storm under shuttle, as tests: PCT and random scheduling catch both racy designs
//! through the use-after-free oracle, every fixed design passes every execution, and a
//! failing schedule replays to the same failure.
//!
//! Run with `RUSTFLAGS="--cfg shuttle" cargo test --release` (or `cargo xtask test`).
#![cfg(all(shuttle, not(loom)))]

use std::sync::OnceLock;
use swan_credstore_models::expect::{self, Case};
use swan_credstore_models::record::{Checker, Flow, Outcome, Record, StepKind, Variant};
use swan_credstore_models::report::{marks, text};
use swan_credstore_models::shuttle_check::{check, replay, ShuttleOptions};
use swan_credstore_models::storm::StormSize;

/// The sampled rows (PCT, random); the depth-first rows are `tests/dfs_agreement.rs`'s.
fn shuttle_cases() -> Vec<Case> {
    expect::cases()
        .into_iter()
        .filter(|c| expect::runnable_here(c) && c.checker != Checker::ShuttleDfs)
        .collect()
}

/// Every shuttle row, run once with the default budget and shared by the tests.
fn records() -> &'static [(Case, Record)] {
    static RECORDS: OnceLock<Vec<(Case, Record)>> = OnceLock::new();
    RECORDS.get_or_init(|| {
        shuttle_cases()
            .into_iter()
            .map(|c| {
                let r = check(&c, &ShuttleOptions::DEFAULT);
                (c, r)
            })
            .collect()
    })
}

fn describe(r: &Record) -> String {
    format!(
        "{} × {} × {} [{}]: {:?} ({:?})",
        r.scenario, r.variant, r.flow, r.checker, r.outcome, r.message
    )
}

#[test]
fn every_shuttle_row_has_its_expected_outcome() {
    assert_eq!(records().len(), 24, "the shuttle matrix changed size");
    let bad: Vec<String> = records()
        .iter()
        .filter(|(_, r)| !r.as_expected())
        .map(|(_, r)| describe(r))
        .collect();
    assert!(bad.is_empty(), "mismatches:\n{}", bad.join("\n"));
}

/// The negative controls: both racy designs are caught by both schedulers, by the
/// oracle (not by some other panic), with a timeline and a replayable schedule.
#[test]
fn racy_designs_are_caught_by_pct_and_random_through_the_oracle() {
    for (case, r) in records()
        .iter()
        .filter(|(c, _)| c.expected == Outcome::Race)
    {
        assert!(matches!(
            case.variant,
            Variant::InPlace | Variant::NaiveSwap
        ));
        assert_eq!(r.outcome, Outcome::Race, "{}", describe(r));
        let msg = r.message.as_deref().unwrap();
        assert!(
            msg.starts_with("use-after-free: id#"),
            "not the oracle: {msg}"
        );
        let first = r.first_failing.unwrap();
        assert!(first <= ShuttleOptions::DEFAULT.iterations as u64);
        let steps = r.counterexample.as_ref().unwrap();
        assert!(steps.iter().any(|s| s.op == "USE-AFTER-FREE"));
        assert!(
            r.schedule.as_deref().is_some_and(|s| !s.is_empty()),
            "no schedule"
        );
        // The marked pair is the oracle's: the free of the identity it caught, and the
        // reader's read of that identity, on two threads; the timeline explains it.
        let uaf = steps
            .iter()
            .find(|s| s.kind == StepKind::UseAfterFree)
            .unwrap();
        let (a, b) = marks::racing_pair(r).unwrap_or_else(|| panic!("{}", describe(r)));
        let step = |n: usize| steps.iter().find(|s| s.seq == n).unwrap();
        let (free, read) = if step(a).kind == StepKind::Free {
            (step(a), step(b))
        } else {
            (step(b), step(a))
        };
        assert_eq!(free.kind, StepKind::Free, "{}", describe(r));
        assert_eq!(read.kind, StepKind::Read, "{}", describe(r));
        assert_eq!(
            free.object,
            uaf.object,
            "{}: the freed identity",
            describe(r)
        );
        assert_eq!(
            read.object,
            uaf.object,
            "{}: the identity read",
            describe(r)
        );
        assert_eq!(read.thread, uaf.thread, "{}: the reader", describe(r));
        assert!(
            text::timeline(r).contains("Happens-before"),
            "{}: no explanation",
            describe(r)
        );
    }
    let caught: Vec<(Variant, Checker)> = records()
        .iter()
        .filter(|(_, r)| r.outcome == Outcome::Race)
        .map(|(c, _)| (c.variant, c.checker))
        .collect();
    for variant in [Variant::InPlace, Variant::NaiveSwap] {
        for checker in [Checker::ShuttlePct, Checker::ShuttleRandom] {
            assert!(
                caught.contains(&(variant, checker)),
                "{variant} not caught by {checker:?}"
            );
        }
    }
}

#[test]
fn fixed_designs_pass_every_execution_and_pre_fix_still_stores_duplicates() {
    for (case, r) in records()
        .iter()
        .filter(|(c, _)| !matches!(c.variant, Variant::InPlace | Variant::NaiveSwap))
    {
        let budget = ShuttleOptions::DEFAULT.iterations as u64;
        assert_eq!(r.interleavings, budget, "{}: stopped early", describe(r));
        match case.flow {
            Flow::UpstreamFix => assert_eq!(r.outcome, Outcome::Pass, "{}", describe(r)),
            _ => {
                assert_eq!(r.outcome, Outcome::Duplicates, "{}", describe(r));
                assert!(r.message.as_deref().unwrap().starts_with("duplicates: "));
            }
        }
    }
}

#[test]
fn a_failing_schedule_replays_to_the_same_failure() {
    let (case, r) = records()
        .iter()
        .find(|(c, r)| {
            c.variant == Variant::InPlace
                && c.checker == Checker::ShuttlePct
                && r.outcome == Outcome::Race
        })
        .expect("PCT catches in_place");
    let again = replay(case, r.schedule.as_deref().unwrap(), StormSize::SHUTTLE).unwrap();
    assert_eq!(again.checker, Checker::ShuttleReplay);
    assert_eq!(again.outcome, Outcome::Race);
    assert_eq!(
        again.message, r.message,
        "the replay must reproduce the same read of the same identity"
    );
    assert_eq!(again.counterexample, r.counterexample);
    // Bad input is an error, not a panic.
    assert!(replay(case, "not-a-schedule", StormSize::SHUTTLE).is_err());
    assert!(replay(case, "00ff", StormSize::SHUTTLE).is_err());
}

/// `notes/results.md` is current for the shuttle rows (regenerate with `cargo xtask
/// report`).
#[test]
fn results_md_is_current() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/notes/results.md");
    let committed = std::fs::read_to_string(path).expect("notes/results.md exists");
    let records: Vec<Record> = records().iter().map(|(_, r)| r.clone()).collect();
    let missing = swan_credstore_models::report::missing_from(&committed, &records);
    assert!(
        missing.is_empty(),
        "results.md is stale (run `cargo xtask report`):\n{}",
        missing.join("\n")
    );
}

/// `notes/explorer.html` carries every row of this build as the report computes it now
/// (regenerate with `cargo xtask report`).
#[test]
fn explorer_is_current() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/notes/explorer.html");
    let committed = std::fs::read_to_string(path).expect("notes/explorer.html exists");
    let records: Vec<Record> = records().iter().map(|(_, r)| r.clone()).collect();
    let missing = swan_credstore_models::report::explorer::missing_from(&committed, &records);
    assert!(
        missing.is_empty(),
        "explorer.html is stale (run `cargo xtask report`):\n{}",
        missing.join("\n")
    );
}
