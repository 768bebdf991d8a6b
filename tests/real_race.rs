//! The race on the real daemons, under helgrind (stock Debian binaries, no rebuild):
//! charon 5.9.8 (bookworm, pre-fix) must show a relevant report — `pubkey_cert`'s
//! `set_subject` writing the subject while a `list-certs` thread reads it — within
//! the bound; charon 6.0.1 (trixie, the upstream fix) must show none over at least as
//! long and at least as many operations. The runs are `cargo xtask real-race`'s (the
//! `swan-charon` crate's `race` module); their records go to
//! target/reports/real-race.json, which `cargo xtask verify --real` merges.
//!
//! Bounds: each pre-fix run stops at its first relevant report, at most 100 s of
//! hammering, with up to 3 fresh daemons (helgrind's scheduling makes the meeting of a
//! listing and a `set_subject` a matter of luck per run; see notes/real-daemon.md for the
//! measured times); the fixed run hammers at least 20 s and at least as long and as many
//! operations as all pre-fix attempts together.
//!
//! Needs root; fails with charon's log when a daemon cannot start.
#![cfg(not(any(loom, shuttle)))]

use swan_charon::race;
use swan_credstore_models::record::Outcome;

#[test]
fn helgrind_sees_the_subject_race_on_5_9_8_and_not_on_6_0_1() {
    let runs = race::run_both_attempts(20.0, 100.0, 3).unwrap_or_else(|e| panic!("{e}"));
    race::save(&runs).unwrap_or_else(|e| panic!("{e}"));
    let text = race::report(&runs);
    eprintln!("{text}");
    let (pre, fixed) = (&runs[0], &runs[1]);
    assert_eq!(
        pre.record.outcome,
        Outcome::Race,
        "no relevant helgrind report on 5.9.8:\n{text}"
    );
    assert!(
        pre.first_relevant.is_some(),
        "the relevant report on 5.9.8 came only at shutdown:\n{text}"
    );
    let stacks = pre
        .stacks
        .as_ref()
        .expect("a relevant report has two sides");
    assert!(
        stacks.0.contains("set_subject") || stacks.0.contains("libstrongswan-pubkey.so"),
        "free/write side is not in the pubkey plugin:\n{text}"
    );
    assert_eq!(
        fixed.record.outcome,
        Outcome::Pass,
        "a relevant helgrind report on 6.0.1:\n{text}"
    );
    assert!(
        fixed.seconds >= pre.seconds
            && fixed.reloads + fixed.listings >= pre.reloads + pre.listings,
        "the fixed run was shorter than the pre-fix one:\n{text}"
    );
}
