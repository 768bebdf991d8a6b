//! The verdict matrix under loom, as tests: every fixed design passes exhaustively, and
//! every broken design is caught — for the right reason.
//!
//! Run with `RUSTFLAGS="--cfg loom" cargo test --release` (or `cargo xtask test`). Under
//! `--cfg crossbeam_loom` (feature `crossbeam-loom`) the same tests check the epoch rows.
#![cfg(loom)]

use std::sync::OnceLock;
use swan_credstore_models::expect::{self, Case};
use swan_credstore_models::loom_check::{check, LoomOptions};
#[cfg(not(crossbeam_loom))]
use swan_credstore_models::record::StepRecord;
use swan_credstore_models::record::{Checker, Flow, Outcome, Record, Scenario, StepKind, Variant};
#[cfg(not(crossbeam_loom))]
use swan_credstore_models::report::{hb, marks, mermaid, text};

/// The loom rows this build runs (plain loom: every variant but epoch; crossbeam_loom:
/// the epoch rows).
fn loom_cases() -> Vec<Case> {
    expect::cases()
        .into_iter()
        .filter(expect::runnable_here)
        .collect()
}

/// Every loom row of this build, checked once and shared by the tests below (the epoch
/// rows take about a minute).
fn records() -> &'static [Record] {
    static RECORDS: OnceLock<Vec<Record>> = OnceLock::new();
    RECORDS.get_or_init(|| {
        let opts = LoomOptions {
            preemption_bound: None,
            record: true,
            full: false,
        };
        loom_cases().iter().map(|c| check(c, &opts)).collect()
    })
}

fn run(scenario: Scenario, variant: Variant, flow: Flow) -> &'static Record {
    records()
        .iter()
        .find(|r| r.scenario == scenario && r.variant == variant && r.flow == flow)
        .unwrap_or_else(|| panic!("no case {scenario} × {variant} × {flow}"))
}

fn describe(r: &Record) -> String {
    format!(
        "{} × {} × {}: {:?} ({:?})",
        r.scenario, r.variant, r.flow, r.outcome, r.message
    )
}

#[test]
fn every_case_has_its_expected_outcome() {
    let all = loom_cases();
    assert!(
        all.iter().all(|c| c.checker == Checker::Loom),
        "only loom rows run under --cfg loom"
    );
    let expected_rows = if cfg!(crossbeam_loom) { 8 } else { 42 };
    assert_eq!(all.len(), expected_rows, "the loom matrix changed size");
    assert_eq!(records().len(), all.len());
    let mismatches: Vec<String> = records()
        .iter()
        .filter(|r| !r.as_expected())
        .map(describe)
        .collect();
    assert!(
        mismatches.is_empty(),
        "mismatches:\n{}",
        mismatches.join("\n")
    );
}

#[test]
fn fixed_designs_pass_with_stated_bounds() {
    let passes: Vec<&Record> = records()
        .iter()
        .filter(|r| r.expected == Outcome::Pass)
        .collect();
    assert!(!passes.is_empty());
    for r in passes {
        assert_eq!(r.outcome, Outcome::Pass, "{}", describe(r));
        let case = loom_cases()
            .into_iter()
            .find(|c| (c.scenario, c.variant, c.flow) == (r.scenario, r.variant, r.flow))
            .unwrap();
        let planned = swan_credstore_models::ladder::bound(&case, false);
        assert_eq!(
            r.bounds.preemption_bound,
            planned,
            "{}: the plan's bound",
            describe(r)
        );
        assert_eq!(r.bounds.exhaustive, planned.is_none());
        if r.variant != Variant::Epoch {
            assert!(planned.is_none(), "only epoch rows are bounded");
        }
        assert_eq!(r.bounds.threads, 3);
        assert!(
            r.interleavings > 1,
            "{}: only {} interleaving",
            describe(r),
            r.interleavings
        );
    }
}

/// The negative control for every reader scenario: loom reports the unordered
/// write/read pair on the subject, between the reloading thread's set_subject and the
/// other thread's read of the same cert — for the strongSwan design and for the naive
/// atomic swap alike.
#[test]
#[cfg(not(crossbeam_loom))]
fn racy_cells_are_caught_as_causality_violations_on_the_subject() {
    for (variant, scenario, reader) in [
        (Variant::InPlace, Scenario::ReloadVsLookup, "ike-lookup"),
        (
            Variant::InPlace,
            Scenario::ReloadVsListCerts,
            "vici-list-certs",
        ),
        (Variant::InPlace, Scenario::ConcurrentReloads, "vici-2"),
        (Variant::NaiveSwap, Scenario::ReloadVsLookup, "ike-lookup"),
        (
            Variant::NaiveSwap,
            Scenario::ReloadVsListCerts,
            "vici-list-certs",
        ),
        (Variant::NaiveSwap, Scenario::ConcurrentReloads, "vici-2"),
    ] {
        let r = run(scenario, variant, Flow::PreFix);
        assert_eq!(r.outcome, Outcome::Race, "{}", describe(r));
        let msg = r.message.as_deref().unwrap();
        assert!(
            msg.contains("Causality violation"),
            "not loom's race report: {msg}"
        );
        // The unordered pair involves the subject: the cell's own field or the freed
        // identity itself (heap.rs), never some unrelated cell.
        assert!(
            msg.contains(&format!("src/subject/{variant}.rs")) || msg.contains("src/heap.rs"),
            "race not on the subject: {msg}"
        );
        let steps = r.counterexample.as_ref().unwrap();
        assert!(
            steps
                .iter()
                .any(|s| s.op.starts_with("set_subject") && s.thread.starts_with("vici")),
            "no set_subject in the timeline"
        );
        let flagged = marks::flagged(r);
        assert_eq!(
            flagged.len(),
            2,
            "{variant} {scenario}: expected the two racing steps"
        );
        let threads: Vec<&str> = flagged
            .iter()
            .map(|seq| {
                steps
                    .iter()
                    .find(|s| s.seq == *seq)
                    .unwrap()
                    .thread
                    .as_str()
            })
            .collect();
        assert!(
            threads.contains(&reader),
            "{variant} {scenario}: {reader} not flagged: {threads:?}"
        );
        // By kind: the reader's marked step is a read of the subject, the other thread's
        // a write or free of it — the pair loom names, not merely each thread's last step.
        let marked: Vec<&StepRecord> = flagged
            .iter()
            .map(|seq| steps.iter().find(|s| s.seq == *seq).unwrap())
            .collect();
        for m in &marked {
            if m.thread == reader {
                assert!(
                    m.kind.is_read(),
                    "{variant} {scenario}: reader's mark {m:?}"
                );
            } else {
                assert!(
                    m.kind.is_write(),
                    "{variant} {scenario}: writer's mark {m:?}"
                );
            }
        }
        let text = text::timeline(r);
        assert!(
            text.contains(&format!("({reader})")),
            "loom's thread number not named:\n{text}"
        );
    }
}

/// The marked pair of every loom race is loom's own pair: each of the two accesses
/// loom's report names (thread and source location) maps to exactly one marked step,
/// of that thread, that recorded an access of that sort at that location; and a
/// location loom did not name maps to no step.
#[test]
#[cfg(not(crossbeam_loom))]
fn every_loom_race_marks_the_two_accesses_loom_names() {
    let races: Vec<&Record> = records()
        .iter()
        .filter(|r| r.outcome == Outcome::Race)
        .collect();
    assert!(races.len() >= 6, "the racy rows: {}", races.len());
    for r in races {
        let steps = r.steps();
        let names = marks::thread_names(steps);
        let accesses = marks::loom_accesses(r.message.as_deref().unwrap_or(""));
        assert_eq!(
            accesses.len(),
            2,
            "{}: loom names two accesses",
            describe(r)
        );
        assert!(
            accesses.iter().any(|a| a.write),
            "{}: one is a write",
            describe(r)
        );
        let mut expected: Vec<usize> = accesses
            .iter()
            .map(|a| {
                let seq = marks::step_of(steps, &names, a)
                    .unwrap_or_else(|| panic!("{}: no step made {a:?}", describe(r)));
                let s = steps.iter().find(|s| s.seq == seq).unwrap();
                assert_eq!(s.thread, names[a.thread], "{}", describe(r));
                assert!(
                    if a.write {
                        s.kind.is_write()
                    } else {
                        s.kind.is_read()
                    },
                    "{}: step {seq} ({:?}) does not match {a:?}",
                    describe(r),
                    s.kind
                );
                seq
            })
            .collect();
        expected.sort_unstable();
        assert_eq!(marks::flagged(r), expected, "{}: the >> marks", describe(r));
        // The happens-before the recorded events give agrees with loom: the pair is
        // unordered, and the timeline and the diagram say so.
        let (x, y) = (expected[0], expected[1]);
        let order = hb::HappensBefore::of(steps);
        assert!(
            !order.ordered(x, y),
            "{}: loom found {x} and {y} unordered; the recorded events order them",
            describe(r)
        );
        let nothing = format!("nothing orders {x} before {y}");
        assert!(text::timeline(r).contains(&nothing), "{}", describe(r));
        let diagram = mermaid::mermaid(r);
        assert!(diagram.contains(&nothing), "{}: {diagram}", describe(r));
        assert!(
            diagram.contains("-->>"),
            "{}: no edge between lanes",
            describe(r)
        );
        let elsewhere = marks::LoomAccess {
            at: "src/nowhere.rs:1:1".to_string(),
            ..accesses[0].clone()
        };
        assert_eq!(marks::step_of(steps, &names, &elsewhere), None);
    }
}

/// The negative control for `concurrent_reloads`: cells that do not race still leave
/// duplicates under the pre-fix flow, reported as duplicates (not as a crash), and the
/// rest of the interleavings are still searched for a race.
#[test]
fn pre_fix_duplicates_are_reported_as_duplicates() {
    let variants: &[Variant] = if cfg!(crossbeam_loom) {
        &[Variant::Epoch]
    } else {
        &[Variant::Locked, Variant::CopyOnWrite]
    };
    for &variant in variants {
        let r = run(Scenario::ConcurrentReloads, variant, Flow::PreFix);
        assert_eq!(r.outcome, Outcome::Duplicates, "{}", describe(r));
        let msg = r.message.as_deref().unwrap();
        assert!(
            msg.starts_with("duplicates: 2 objects stored for 1 key(s)"),
            "{msg}"
        );
        assert!(r.interleavings > r.first_failing.unwrap());
        let stores = r
            .counterexample
            .as_ref()
            .unwrap()
            .iter()
            .filter(|s| s.kind == StepKind::Insert)
            .count();
        assert_eq!(
            stores, 2,
            "the timeline must show both objects entering the store"
        );
    }
}

/// The negative control for `reload_vs_clear`'s leak check.
#[test]
#[cfg(not(crossbeam_loom))]
fn leak_check_catches_a_cell_that_never_frees() {
    let r = run(Scenario::ReloadVsClear, Variant::LeakyCow, Flow::PreFix);
    assert_eq!(r.outcome, Outcome::Leak, "{}", describe(r));
    // The scenario's own count of tracked identities catches it (the same oracle
    // shuttle_dfs uses), before loom's `Arc leaked` check at the end of the execution.
    let msg = r.message.as_deref().unwrap();
    assert!(
        msg.starts_with("leak: ") && msg.contains("tracked identities or snapshots alive"),
        "{msg}"
    );
}

#[test]
#[cfg(not(crossbeam_loom))]
fn a_preemption_bound_is_stated_and_still_finds_the_race() {
    let case = loom_cases()
        .into_iter()
        .find(|c| c.scenario == Scenario::ReloadVsLookup && c.variant == Variant::InPlace)
        .unwrap();
    let r = check(
        &case,
        &LoomOptions {
            preemption_bound: Some(0),
            record: true,
            full: false,
        },
    );
    assert_eq!(r.bounds.preemption_bound, Some(0));
    assert!(!r.bounds.exhaustive);
    assert_eq!(r.outcome, Outcome::Race);
}

/// `notes/results.md` is current: every loom row and counterexample of this build is
/// there exactly as the checker computes it now (timings excepted). Regenerate with
/// `cargo xtask report`.
#[test]
fn results_md_is_current() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/notes/results.md");
    let committed = std::fs::read_to_string(path).expect("notes/results.md exists");
    let missing = swan_credstore_models::report::missing_from(&committed, records());
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
    let missing = swan_credstore_models::report::explorer::missing_from(&committed, records());
    assert!(
        missing.is_empty(),
        "explorer.html is stale (run `cargo xtask report`):\n{}",
        missing.join("\n")
    );
}

/// The worked counterexample of README.md and notes/reading-loom.md is the one the
/// checker computes now.
#[test]
#[cfg(not(crossbeam_loom))]
fn worked_counterexample_is_current() {
    use swan_credstore_models::report::{self, blocks};
    let now = report::readme_example(records()).expect("the example row runs here");
    for file in ["README.md", "notes/reading-loom.md"] {
        let path = format!("{}/{file}", env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(&path).expect("the file exists");
        let committed = blocks::content(&text, report::README_BLOCK).expect("the block");
        assert_eq!(committed, now, "{file} is stale (run `cargo xtask report`)");
    }
}
