//! The verdict matrix under loom, as tests: every fixed design passes exhaustively, and
//! every broken design is caught — for the right reason.
//!
//! Run with `RUSTFLAGS="--cfg loom" cargo test --release` (or `cargo xtask test`).
#![cfg(loom)]

use swan_credstore_models::cases::{self, Case};
use swan_credstore_models::loom_check::{check, LoomOptions};
use swan_credstore_models::record::{Outcome, Record};
use swan_credstore_models::render;

fn run(scenario: &str, variant: &str, flow: &str) -> Record {
    let case = cases::cases()
        .into_iter()
        .find(|c| c.scenario == scenario && c.variant == variant && c.flow.name() == flow)
        .unwrap_or_else(|| panic!("no case {scenario} × {variant} × {flow}"));
    check(
        &case,
        &LoomOptions {
            preemption_bound: None,
            record: true,
        },
    )
}

fn describe(r: &Record) -> String {
    format!(
        "{} × {} × {}: {:?} ({:?})",
        r.scenario, r.variant, r.flow, r.outcome, r.message
    )
}

#[test]
fn every_case_has_its_expected_outcome() {
    let all: Vec<Case> = cases::cases();
    assert!(all.len() >= 28, "matrix shrank to {} cases", all.len());
    let opts = LoomOptions {
        preemption_bound: None,
        record: true,
    };
    let mismatches: Vec<String> = all
        .iter()
        .map(|c| check(c, &opts))
        .filter(|r| !r.as_expected())
        .map(|r| describe(&r))
        .collect();
    assert!(
        mismatches.is_empty(),
        "mismatches:\n{}",
        mismatches.join("\n")
    );
}

#[test]
fn fixed_designs_pass_exhaustively_with_stated_bounds() {
    for case in cases::cases()
        .iter()
        .filter(|c| c.expected == Outcome::Pass)
    {
        let r = check(
            case,
            &LoomOptions {
                preemption_bound: None,
                record: false,
            },
        );
        assert_eq!(r.outcome, Outcome::Pass, "{}", describe(&r));
        assert!(r.bounds.exhaustive && r.bounds.preemption_bound.is_none());
        assert_eq!(r.bounds.threads, 3);
        assert!(
            r.interleavings > 1,
            "{}: only {} interleaving",
            describe(&r),
            r.interleavings
        );
    }
}

/// The negative control for every reader scenario: loom reports the unordered
/// write/read pair on the subject of `InPlace`, between the reloading thread's
/// set_subject and the other thread's read of the same cert.
#[test]
fn in_place_race_is_caught_as_a_causality_violation_on_the_subject() {
    for (scenario, reader) in [
        ("reload_vs_lookup", "ike-lookup"),
        ("reload_vs_list_certs", "vici-list-certs"),
        ("concurrent_reloads", "vici-2"),
    ] {
        let r = run(scenario, "in_place", "pre_fix");
        assert_eq!(r.outcome, Outcome::Race, "{}", describe(&r));
        let msg = r.message.as_deref().unwrap();
        assert!(
            msg.contains("Causality violation"),
            "not loom's race report: {msg}"
        );
        assert!(
            msg.contains("src/subject/in_place.rs"),
            "race not on the subject: {msg}"
        );
        let steps = r.counterexample.as_ref().unwrap();
        assert!(
            steps
                .iter()
                .any(|s| s.op.starts_with("set_subject") && s.thread.starts_with("vici")),
            "no set_subject in the timeline"
        );
        let flagged = render::flagged(&r);
        assert_eq!(
            flagged.len(),
            2,
            "{scenario}: expected the two racing steps, got {flagged:?}"
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
            "{scenario}: reader {reader} not flagged: {threads:?}"
        );
        let text = render::timeline(&r);
        assert!(
            text.contains(&format!("({reader})")),
            "loom's thread number not named:\n{text}"
        );
    }
}

/// The negative control for `concurrent_reloads`: cells that do not race still leave
/// duplicates under the pre-fix flow, reported as duplicates (not as a crash).
#[test]
fn pre_fix_duplicates_are_reported_as_duplicates() {
    for variant in ["locked", "copy_on_write"] {
        let r = run("concurrent_reloads", variant, "pre_fix");
        assert_eq!(r.outcome, Outcome::Duplicates, "{}", describe(&r));
        assert!(r
            .message
            .as_deref()
            .unwrap()
            .starts_with("duplicates: 2 objects stored for 1 key(s)"));
        let stores = r
            .counterexample
            .as_ref()
            .unwrap()
            .iter()
            .filter(|s| s.op == "add_cert_ref: store new")
            .count();
        assert_eq!(
            stores, 2,
            "the timeline must show both objects entering the store"
        );
    }
}

/// The negative control for `reload_vs_clear`'s leak check.
#[test]
fn leak_check_catches_a_cell_that_never_frees() {
    let r = run("reload_vs_clear", "leaky_cow", "pre_fix");
    assert_eq!(r.outcome, Outcome::Leak, "{}", describe(&r));
    assert!(r.message.as_deref().unwrap().contains("Arc leaked"));
}

#[test]
fn a_preemption_bound_is_stated_and_still_finds_the_race() {
    let case = cases::cases()
        .into_iter()
        .find(|c| c.scenario == "reload_vs_lookup" && c.variant == "in_place")
        .unwrap();
    let r = check(
        &case,
        &LoomOptions {
            preemption_bound: Some(0),
            record: true,
        },
    );
    assert_eq!(r.bounds.preemption_bound, Some(0));
    assert!(!r.bounds.exhaustive);
    assert_eq!(r.outcome, Outcome::Race);
}
