//! The model's counterexample forced on the real daemons (checker `real_replay`; the
//! `swan-charon` crate's `replay` module): deterministic, one forced schedule per run.
//!
//! * 5.9.8: the reload is held in `set_subject` after the old identity's `free`, before
//!   the store; the reader loads that cert's subject pointer and gets the freed address,
//!   then reads the freed block. The row must be `race`.
//! * 6.0.1, the control through the same harness: no `set_subject` slot; the reload is
//!   held after `add_cert_ref`; every subject the reader loads is live. The row must be
//!   `pass`, with at least one load checked.
//!
//! Each with both readers: vici `list-certs` (`reload_vs_list_certs`) and IKE_AUTH's
//! lookup of the initiator's raw key, the initiator being a second charon over loopback
//! (`reload_vs_lookup`).
//!
//! The verdicts are computed from the observations ([`replay::Facts`]); the tests also
//! check the observations themselves. Needs root (gdb attaches to the charon the test
//! started, by its PID).
#![cfg(not(any(loom, shuttle)))]

use swan_charon::daemon::Release;
use swan_charon::replay::{self, Reader};
use swan_credstore_models::record::Outcome;

fn steps_text(r: &replay::ReplayRun) -> String {
    let steps: Vec<String> = r
        .record
        .counterexample
        .iter()
        .flatten()
        .map(|s| format!("{:>3} {} | {} | {}", s.seq, s.thread, s.op, s.detail))
        .collect();
    format!("{:?}\n{}", r.record.message, steps.join("\n"))
}

fn pre_fix(reader: Reader) {
    let run = replay::run(Release::Bookworm, reader).unwrap_or_else(|e| panic!("{e:#}"));
    let text = steps_text(&run);
    eprintln!("{text}");
    assert_eq!(run.record.outcome, Outcome::Race, "{text}");
    let f = &run.facts;
    assert!(f.set_subject_slot, "5.9.8 has set_subject:\n{text}");
    assert_eq!(f.freed.len(), 1, "{text}");
    assert_eq!(f.loads.len(), 1, "{text}");
    assert_eq!(
        f.loads[0].subject, f.freed[0],
        "the reader loaded the freed address:\n{text}"
    );
    assert!(!f.loads[0].live, "the loaded block is freed:\n{text}");
    assert!(
        f.read_of_freed || f.signal.is_some(),
        "the reader read the freed block (watchpoint) or crashed on it:\n{text}"
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

fn fixed(reader: Reader) {
    let run = replay::run(Release::Trixie, reader).unwrap_or_else(|e| panic!("{e:#}"));
    let text = steps_text(&run);
    eprintln!("{text}");
    assert_eq!(run.record.outcome, Outcome::Pass, "{text}");
    let f = &run.facts;
    assert!(
        !f.set_subject_slot,
        "6.0.1 has no set_subject slot:\n{text}"
    );
    assert!(!f.loads.is_empty(), "{text}");
    assert!(
        f.loads
            .iter()
            .all(|l| l.live && !f.freed.contains(&l.subject)),
        "{text}"
    );
    assert!(
        !f.freed.is_empty(),
        "the duplicate's subject was freed while the writer ran (the loads are checked against it):\n{text}"
    );
}

#[test]
fn list_certs_reads_the_freed_identity_on_5_9_8() {
    pre_fix(Reader::ListCerts);
}

#[test]
fn ike_lookup_reads_the_freed_identity_on_5_9_8() {
    pre_fix(Reader::IkeLookup);
}

#[test]
fn list_certs_reads_only_live_identities_on_6_0_1() {
    fixed(Reader::ListCerts);
}

#[test]
fn ike_lookup_reads_only_live_identities_on_6_0_1() {
    fixed(Reader::IkeLookup);
}

/// The driver's own negative control: with no reader, the reader's breakpoint cannot
/// hit. The row must be `error` with the reason (never `pass`), and charon must be left
/// running and detached.
#[test]
fn a_breakpoint_that_never_hits_is_an_error_and_charon_is_left_detached() {
    for release in [Release::Bookworm, Release::Trixie] {
        let run = replay::run(release, Reader::Silent).unwrap_or_else(|e| panic!("{e:#}"));
        let text = steps_text(&run);
        assert_eq!(run.record.outcome, Outcome::Error, "{text}");
        let msg = run.record.message.clone().unwrap_or_default();
        assert!(
            msg.contains("no such stop") || msg.contains("loaded no subject"),
            "the reason is given:\n{text}"
        );
        assert_eq!(run.after, (true, 0), "charon alive, not traced:\n{text}");
    }
}
