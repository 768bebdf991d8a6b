//! The generated differential in the test command: a bounded, fixed-seed sample of
//! generated swanctl trees and step sequences on both real daemons, and every
//! regression fixture of tests/data/differential/, each compared with the model after
//! every step (`swan_charon::differential`; the full run is `cargo xtask differential`).
//!
//! Needs root, like the other real-daemon tests; fails with the shrunk case and the
//! path of its saved report on a divergence.
#![cfg(not(any(loom, shuttle)))]

use std::path::Path;
use swan_charon::daemon::Release;
use swan_charon::differential;
use swan_credstore::Flow;

/// Sequences per daemon in the test command (the command's default is 1,000).
const CASES: u32 = 100;
/// The fixed seed of the test command's sample.
const SEED: u64 = 7;

fn sample(release: Release) {
    let s = differential::run(release, CASES, SEED).unwrap_or_else(|e| panic!("{e:#}"));
    eprintln!("{}", s.line());
    if let Some(f) = &s.found {
        panic!(
            "{}\nminimal steps: {}\ndaemon: {:?}\nmodel:  {:?}\n{}",
            s.line(),
            f.steps.join(", "),
            f.divergence.daemon,
            f.divergence.model,
            f.files.join("\n")
        );
    }
    assert_eq!(s.sequences, CASES, "every generated sequence ran");
    assert!(
        s.steps >= CASES as usize * 3,
        "each sequence compares at least 3 steps"
    );
}

fn fixture_dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/differential")
}

fn fixtures(release: Release) {
    let dir = fixture_dir();
    let results = differential::run_fixtures(release, release.flow(), &dir)
        .unwrap_or_else(|e| panic!("{e:#}"));
    assert!(!results.is_empty(), "no fixture in {}", dir.display());
    for (name, d) in results {
        assert!(d.is_none(), "{} {name}: {d:?}", release.label());
    }
}

#[test]
fn generated_sequences_agree_with_bookworm_5_9_8() {
    sample(Release::Bookworm);
}

#[test]
fn generated_sequences_agree_with_trixie_6_0_1() {
    sample(Release::Trixie);
}

#[test]
fn regression_fixtures_agree_with_both_daemons() {
    for release in Release::ALL {
        fixtures(release);
    }
}

/// The fixtures whose keys the two flows store differently (a key in sections with
/// and without an id, an id that renames raw keys): the negative control needs them.
const FLOW_SENSITIVE: [&str; 3] = [
    "hash_starts_comment.conf",
    "id_before_no_id.conf",
    "remote_before_local.conf",
];

/// The negative control of the harness: the same fixtures against 5.9.8 with the model
/// in the *fixed* flow must diverge at a load, on the stored objects, for every
/// fixture in [`FLOW_SENSITIVE`] (5.9.8 adds objects per reload where the fixed model
/// stays flat).
#[test]
fn the_differential_catches_a_model_in_the_wrong_flow() {
    let results = differential::run_fixtures(Release::Bookworm, Flow::UpstreamFix, &fixture_dir())
        .unwrap_or_else(|e| panic!("{e:#}"));
    for name in FLOW_SENSITIVE {
        let d = results
            .iter()
            .find(|(n, _)| n == name)
            .unwrap_or_else(|| panic!("fixture {name} is missing"))
            .1
            .clone()
            .unwrap_or_else(|| panic!("{name}: the wrong flow was not caught"));
        assert!(d.what.starts_with("LoadConns"), "{name}: caught at {d:?}");
        assert_ne!(
            d.daemon.stored_objects, d.model.stored_objects,
            "{name}: caught for the wrong reason: {d:?}"
        );
    }
}

/// The negative control of the `--list-conns` comparison: against 6.0.1 with the model
/// in the pre-fix flow, `x509_first_subject_cert.conf` must diverge at the first load
/// on the connections' rounds alone (the default id comes from the first subject cert,
/// which the two versions order differently), with equal stores and subjects.
#[test]
fn the_differential_catches_a_wrong_default_id_by_list_conns() {
    let results = differential::run_fixtures(Release::Trixie, Flow::PreFix, &fixture_dir())
        .unwrap_or_else(|e| panic!("{e:#}"));
    let (_, d) = results
        .iter()
        .find(|(n, _)| n == "x509_first_subject_cert.conf")
        .expect("the fixture exists");
    let d = d.clone().expect("the wrong default id was not caught");
    assert_eq!(d.step, 0, "caught at the first load: {d:?}");
    assert_eq!(d.daemon.stored_objects, d.model.stored_objects, "{d:?}");
    assert_eq!(d.daemon.subjects, d.model.subjects, "{d:?}");
    assert_eq!(d.daemon.listing, d.model.listing, "{d:?}");
    assert_ne!(d.daemon.conns, d.model.conns, "{d:?}");
}
