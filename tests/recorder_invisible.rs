//! The step recorder must add no synchronisation loom can see: with and without
//! recording, loom explores exactly the same number of interleavings and fails at the
//! same one.
#![cfg(all(loom, not(crossbeam_loom)))]

use swan_credstore_models::cases;
use swan_credstore_models::loom_check::{check, LoomOptions};

#[test]
fn recording_does_not_change_what_loom_explores() {
    let picks = [
        ("reload_vs_list_certs", "locked", "pre_fix"),
        ("reload_vs_lookup", "copy_on_write", "pre_fix"),
        ("concurrent_reloads", "immutable", "upstream_fix"),
        ("reload_vs_lookup", "in_place", "pre_fix"),
    ];
    for (scenario, variant, flow) in picks {
        let case = cases::cases()
            .into_iter()
            .filter(cases::runnable_here)
            .find(|c| c.scenario == scenario && c.variant == variant && c.flow.name() == flow)
            .unwrap();
        let on = check(
            &case,
            &LoomOptions {
                preemption_bound: None,
                record: true,
            },
        );
        let off = check(
            &case,
            &LoomOptions {
                preemption_bound: None,
                record: false,
            },
        );
        assert_eq!(
            on.interleavings, off.interleavings,
            "{scenario} × {variant} × {flow}"
        );
        assert_eq!(on.first_failing, off.first_failing);
        assert_eq!(on.outcome, off.outcome);
        assert_eq!(on.counterexample.is_some(), off.counterexample.is_some());
    }
}
