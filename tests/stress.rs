//! The stress checker on real threads, at a small size: production cells only, the racy
//! ones reported as not run. (How long it takes is measured by `cargo xtask stress`,
//! never asserted here.)
#![cfg(not(any(loom, shuttle)))]

use std::time::Duration;
use swan_credstore_models::expect;
use swan_credstore_models::record::{Checker, Outcome, Variant};
use swan_credstore_models::storm::StormSize;
use swan_credstore_models::stress::{check, StressOptions};

#[test]
fn stress_rows_have_their_expected_outcomes() {
    let opts = StressOptions {
        iterations: 3,
        max_time: Duration::from_secs(30),
        size: StormSize {
            reloads_per_thread: 30,
            reads_per_thread: 30,
            ..StressOptions::DEFAULT.size
        },
    };
    let rows: Vec<_> = expect::cases()
        .into_iter()
        .filter(|c| c.checker == Checker::Stress)
        .collect();
    assert_eq!(rows.len(), 12);
    for case in rows {
        let r = check(&case, &opts);
        assert!(
            r.as_expected(),
            "{} × {}: {:?} {:?}",
            case.variant,
            case.flow,
            r.outcome,
            r.message
        );
        match r.outcome {
            Outcome::NotRun => {
                assert!(matches!(
                    case.variant,
                    Variant::InPlace | Variant::NaiveSwap
                ));
                assert_eq!(r.interleavings, 0);
            }
            _ => assert!(r.interleavings >= 1),
        }
    }
}
