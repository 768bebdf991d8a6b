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

/// Sequences per daemon in the test command (the command's default is 1,000).
const CASES: u32 = 25;
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

fn fixtures(release: Release) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/differential");
    let results = differential::run_fixtures(release, &dir).unwrap_or_else(|e| panic!("{e:#}"));
    assert!(!results.is_empty(), "no fixture in {}", dir.display());
    for (name, d) in results {
        assert!(d.is_none(), "{} {name}: {d:?}", release.label());
    }
}

#[test]
fn generated_sequences_agree_with_bookworm_5_9_8() {
    sample(Release::Bookworm);
}

// No generated sample on trixie 6.0.1 yet: on some generated trees the memory scan
// misses one stored raw-key object in some runs (7 stored where `--list-certs` on the
// same daemon lists 8, as the model predicts), so the sample would fail by luck. The
// fixtures below do run on 6.0.1; `cargo xtask differential --daemon trixie` shows the
// miss (notes/real-daemon.md).

#[test]
fn regression_fixtures_agree_with_both_daemons() {
    for release in Release::ALL {
        fixtures(release);
    }
}
