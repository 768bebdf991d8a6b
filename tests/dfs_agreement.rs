//! The independent exhaustive cross-check: every loom scenario under `shuttle_dfs`
//! (this project's depth-first scheduler on shuttle's runtime, [`swan_credstore_models::dfs`]),
//! held to loom's verdict row by row, on the verdict matrix and on every rung of the
//! scope ladder.
//!
//! The matrix's loom verdicts come from the committed `notes/results.md`, which the loom
//! test suites check is what loom computes now; the ladder's from loom's ladder record
//! `tests/data/records/ladder.json`, which xtask's tests keep consistent with the plan.
//! These tests check the other half: that `shuttle_dfs` computes the same verdict on
//! every row, that it finished, and that the tables in results.md are current.
//!
//! Run with `RUSTFLAGS="--cfg shuttle" cargo test --release --test dfs_agreement`.
#![cfg(all(shuttle, not(loom)))]

use std::sync::OnceLock;
use swan_credstore_models::expect::{self, Case};
use swan_credstore_models::record::{Checker, Outcome, Record, StepKind, Variant};
use swan_credstore_models::report::agreement::{self, LoomVerdict};
use swan_credstore_models::shuttle_check::{check, replay, ShuttleOptions};
use swan_credstore_models::storm::StormSize;

fn results_md() -> &'static str {
    static TEXT: OnceLock<String> = OnceLock::new();
    TEXT.get_or_init(|| {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/notes/results.md");
        std::fs::read_to_string(path).expect("notes/results.md exists")
    })
}

/// The `shuttle_dfs` rows of `cases`, run once each at their plan.
fn run_dfs(cases: Vec<Case>) -> Vec<Record> {
    cases
        .into_iter()
        .filter(|c| c.checker == Checker::ShuttleDfs && expect::runnable_here(c))
        .map(|c| check(&c, &ShuttleOptions::DEFAULT))
        .collect()
}

/// Every `shuttle_dfs` row of the verdict matrix.
fn records() -> &'static [Record] {
    static RECORDS: OnceLock<Vec<Record>> = OnceLock::new();
    RECORDS.get_or_init(|| run_dfs(expect::cases()))
}

/// Every `shuttle_dfs` row of the scope ladder's rungs above the matrix.
fn ladder_records() -> &'static [Record] {
    static RECORDS: OnceLock<Vec<Record>> = OnceLock::new();
    RECORDS.get_or_init(|| run_dfs(expect::ladder_cases()))
}

fn loom() -> Vec<LoomVerdict> {
    agreement::loom_verdicts(results_md())
}

/// loom's ladder verdicts, from its record.
fn loom_ladder() -> Vec<LoomVerdict> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/records/ladder.json"
    );
    let json = std::fs::read_to_string(path).expect("tests/data/records/ladder.json exists");
    agreement::ladder_verdicts(&json).expect("loom's ladder record parses")
}

#[test]
fn shuttle_dfs_agrees_with_loom_on_every_row_and_finishes() {
    let loom = loom();
    assert!(
        loom.len() >= 40,
        "the loom rows of results.md: {}",
        loom.len()
    );
    assert_eq!(records().len(), 42, "the shuttle_dfs rows changed");
    let bad = agreement::disagreements(&loom, records());
    assert!(
        bad.is_empty(),
        "loom and shuttle_dfs disagree:\n{}",
        bad.join("\n")
    );
    for r in records() {
        assert!(agreement::comparable(r), "{} did not finish", r.scenario);
        assert!(r.as_expected(), "{:?}", r.message);
    }
    // Every non-epoch loom row has its cross-check (the epoch rows are loom's alone).
    for l in loom.iter().filter(|l| l.variant != Variant::Epoch) {
        assert!(
            records()
                .iter()
                .any(|r| (r.scenario, r.variant, r.flow) == (l.scenario, l.variant, l.flow)),
            "no shuttle_dfs row for loom's {l:?}"
        );
    }
}

#[test]
fn shuttle_dfs_agrees_with_loom_on_every_ladder_row_and_finishes() {
    let loom = loom_ladder();
    let dfs = ladder_records();
    assert_eq!(dfs.len(), 136, "the shuttle_dfs ladder rows changed");
    assert_eq!(
        loom.iter().filter(|l| l.variant != Variant::Epoch).count(),
        dfs.len(),
        "one shuttle_dfs row per non-epoch row of loom's ladder record"
    );
    let bad = agreement::disagreements(&loom, dfs);
    assert!(
        bad.is_empty(),
        "loom and shuttle_dfs disagree on the ladder:\n{}",
        bad.join("\n")
    );
    for r in dfs {
        assert!(
            agreement::comparable(r),
            "{} @{} × {} × {} did not finish",
            r.scenario,
            r.scope,
            r.variant,
            r.flow
        );
        assert!(r.as_expected(), "{:?}", r.message);
    }
    for l in loom.iter().filter(|l| l.variant != Variant::Epoch) {
        assert!(
            dfs.iter().any(|r| (r.scope, r.scenario, r.variant, r.flow)
                == (l.scope, l.scenario, l.variant, l.flow)),
            "no shuttle_dfs row for loom's ladder row {l:?}"
        );
    }
}

/// The negative control of the agreement check: the same harness, given a loom verdict
/// flipped on one racy row, reports exactly that row, naming both verdicts.
#[test]
fn a_flipped_loom_verdict_is_reported_as_a_disagreement() {
    let mut loom = loom();
    let racy = records()
        .iter()
        .find(|r| r.outcome == Outcome::Race)
        .expect("a racy row");
    let l = loom
        .iter_mut()
        .find(|l| (l.scenario, l.variant, l.flow) == (racy.scenario, racy.variant, racy.flow))
        .expect("loom's row");
    l.outcome = Outcome::Pass;
    let bad = agreement::disagreements(&loom, records());
    assert_eq!(bad.len(), 1, "{bad:?}");
    assert!(
        bad[0].contains("loom says pass, shuttle_dfs says race"),
        "{}",
        bad[0]
    );
}

/// The same control on the ladder, whose loom verdicts come from another source (loom's
/// ladder record): a flipped duplicates row is reported with its rung.
#[test]
fn a_flipped_loom_ladder_verdict_is_reported_as_a_disagreement() {
    let mut loom = loom_ladder();
    let dup = ladder_records()
        .iter()
        .find(|r| r.outcome == Outcome::Duplicates)
        .expect("a duplicates row on the ladder");
    let l = loom
        .iter_mut()
        .find(|l| {
            (l.scope, l.scenario, l.variant, l.flow)
                == (dup.scope, dup.scenario, dup.variant, dup.flow)
        })
        .expect("loom's ladder row");
    l.outcome = Outcome::Pass;
    let bad = agreement::disagreements(&loom, ladder_records());
    assert_eq!(bad.len(), 1, "{bad:?}");
    assert!(
        bad[0].contains(&format!("@{}", dup.scope))
            && bad[0].contains("loom says pass, shuttle_dfs says duplicates"),
        "{}",
        bad[0]
    );
}

/// A `shuttle_dfs` counterexample's schedule, as the report prints it, replays to the
/// same read of the same freed identity: on the matrix and on a ladder rung (whose
/// replay needs the rung).
#[test]
fn a_dfs_counterexample_replays_to_the_same_failure() {
    let racy = |rs: &'static [Record]| {
        rs.iter()
            .find(|r| r.outcome == Outcome::Race)
            .expect("a racy row")
    };
    for r in [racy(records()), racy(ladder_records())] {
        let case = expect::cases()
            .into_iter()
            .chain(expect::ladder_cases())
            .find(|c| {
                c.checker == Checker::ShuttleDfs
                    && (c.scope, c.scenario, c.variant, c.flow)
                        == (r.scope, r.scenario, r.variant, r.flow)
            })
            .expect("the row's case");
        let again = replay(
            &case,
            r.schedule.as_deref().expect("a schedule"),
            StormSize::SHUTTLE,
        )
        .expect("the schedule replays");
        assert_eq!(again.outcome, Outcome::Race, "{:?}", again.message);
        assert_eq!(
            again.message, r.message,
            "the same read of the same identity"
        );
        assert_eq!(again.counterexample, r.counterexample);
    }
}

/// `shuttle_dfs` finds the races through the use-after-free oracle (a real read of a
/// freed identity), not loom's happens-before analysis: its racy rows are evidence of
/// another kind.
#[test]
fn shuttle_dfs_races_are_reads_of_freed_identities() {
    let racy: Vec<&Record> = records()
        .iter()
        .filter(|r| r.outcome == Outcome::Race)
        .collect();
    assert_eq!(
        racy.len(),
        6,
        "in_place and naive_swap, three scenarios each"
    );
    for r in racy {
        assert!(matches!(r.variant, Variant::InPlace | Variant::NaiveSwap));
        let steps = r.counterexample.as_ref().expect("a counterexample");
        assert!(
            steps.iter().any(|s| s.kind == StepKind::UseAfterFree),
            "{:?}",
            r.message
        );
    }
}

/// notes/results.md is current for the `shuttle_dfs` rows: the matrix rows,
/// counterexamples, what each pass saw, and the cross-check table beside the committed
/// loom verdicts (regenerate with `cargo xtask report`).
#[test]
fn results_md_is_current() {
    let mut missing = swan_credstore_models::report::missing_from(results_md(), records());
    let (loom, ladder) = (loom(), loom_ladder());
    for (loom, dfs) in [(&loom, records()), (&ladder, ladder_records())] {
        for r in dfs {
            let line = agreement::line(agreement::loom_verdict(loom, r), r);
            if !results_md().contains(&line) {
                missing.push(format!("cross-check: {line}"));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "results.md is stale (run `cargo xtask report`):\n{}",
        missing.join("\n")
    );
}

/// notes/explorer.html carries every `shuttle_dfs` row.
#[test]
fn explorer_is_current() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/notes/explorer.html");
    let committed = std::fs::read_to_string(path).expect("notes/explorer.html exists");
    let missing = swan_credstore_models::report::explorer::missing_from(&committed, records());
    assert!(
        missing.is_empty(),
        "explorer.html is stale (run `cargo xtask report`):\n{}",
        missing.join("\n")
    );
}
