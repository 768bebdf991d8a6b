//! The step recorder must add no synchronisation loom can see: with and without
//! recording, loom explores exactly the same number of interleavings and fails at the
//! same one.
#![cfg(all(loom, not(crossbeam_loom)))]

use swan_credstore_models::expect;
use swan_credstore_models::loom_check::{check, LoomOptions};
use swan_credstore_models::record::{Flow, Scenario, Variant};

#[test]
fn recording_does_not_change_what_loom_explores() {
    let picks = [
        (Scenario::ReloadVsListCerts, Variant::Locked, Flow::PreFix),
        (Scenario::ReloadVsLookup, Variant::CopyOnWrite, Flow::PreFix),
        (
            Scenario::ConcurrentReloads,
            Variant::Immutable,
            Flow::UpstreamFix,
        ),
        (Scenario::ReloadVsLookup, Variant::InPlace, Flow::PreFix),
    ];
    for (scenario, variant, flow) in picks {
        let case = expect::cases()
            .into_iter()
            .filter(expect::runnable_here)
            .find(|c| c.scenario == scenario && c.variant == variant && c.flow == flow)
            .unwrap();
        let on = check(
            &case,
            &LoomOptions {
                preemption_bound: None,
                record: true,
                full: false,
            },
        );
        let off = check(
            &case,
            &LoomOptions {
                preemption_bound: None,
                record: false,
                full: false,
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
