//! The model's counterexample forced on the real daemons (checker `real_replay`; the
//! `swan-charon` crate's `replay` module): deterministic, one forced schedule per run.
//!
//! * 5.9.8: the reload is held in `set_subject` after the old identity's `free`, before
//!   the store; `list-certs` loads that cert's subject pointer and gets the freed
//!   address. The row must be `race`, and its steps must show the free and the load of
//!   the same address by another thread.
//! * 6.0.1: no `set_subject` slot; the reload is held after `add_cert_ref`; every
//!   subject the reader loads is live. The row must be `pass` with at least one load.
//!
//! Needs root (gdb attaches to the charon the test started, by its PID).
#![cfg(not(any(loom, shuttle)))]

use swan_charon::daemon::Release;
use swan_charon::replay;
use swan_credstore_models::record::Outcome;

fn steps_text(r: &replay::ReplayRun) -> String {
    r.record
        .counterexample
        .iter()
        .flatten()
        .map(|s| format!("{:>3} {} | {} | {}", s.seq, s.thread, s.op, s.detail))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn forced_schedule_reads_the_freed_identity_on_5_9_8() {
    let run = replay::run(Release::Bookworm).unwrap_or_else(|e| panic!("{e}"));
    let text = steps_text(&run);
    eprintln!("{:?}\n{text}", run.record.message);
    assert_eq!(
        run.record.outcome,
        Outcome::Race,
        "{:?}\n{text}",
        run.record.message
    );
    let steps = run.record.counterexample.as_ref().expect("steps");
    let free = steps
        .iter()
        .position(|s| s.op == "set_subject: destroy old subject")
        .expect("the free is a step");
    let load = steps
        .iter()
        .position(|s| s.op == "load subject pointer")
        .expect("the reader's load is a step");
    assert!(free < load, "the load comes after the free:\n{text}");
    assert_ne!(steps[free].thread, steps[load].thread, "{text}");
}

#[test]
fn forced_schedule_reads_only_live_identities_on_6_0_1() {
    let run = replay::run(Release::Trixie).unwrap_or_else(|e| panic!("{e}"));
    let text = steps_text(&run);
    eprintln!("{:?}\n{text}", run.record.message);
    assert_eq!(
        run.record.outcome,
        Outcome::Pass,
        "{:?}\n{text}",
        run.record.message
    );
    let steps = run.record.counterexample.as_ref().expect("steps");
    assert!(
        steps.iter().any(|s| s.op == "load subject pointer"),
        "{text}"
    );
    assert!(steps[0].detail.contains("no set_subject"), "{text}");
}
