//! `predict` against the real daemons on swanctl trees it was not tuned to: the first
//! tree of each of [`TREES`] sequences the differential's generator draws (seed
//! [`SEED`]), loaded [`LOADS`] times with `swanctl --load-conns` on a fresh charon of
//! each release; predict's engine (its fast, indexed store: what `cargo xtask predict`
//! prints) must give the same stored raw-key objects after every load, in the flow of
//! that release. Trees that `predict` rejects (a file that is no key: it reports the
//! file and line rather than guess) are counted and skipped; the test requires most to
//! be kept.
//!
//! Needs root, like the other real-daemon tests.
#![cfg(not(any(loom, shuttle)))]

#[path = "../xtask/src/predict/engine.rs"]
#[allow(dead_code)]
mod engine;

#[path = "../xtask/src/predict/mirror.rs"]
#[allow(dead_code)]
mod mirror;

use engine::{Command, Method, Sequence, Workload};
use swan_charon::daemon::Release;
use swan_charon::differential;
use swan_credstore::swanctl::Config;

/// Generated trees per daemon.
const TREES: usize = 40;
/// The generator's seed.
const SEED: u64 = 11;
/// Trees that must be compared per daemon (the rest name a file that is no key).
const MIN_COMPARED: usize = 15;
/// Loads of each tree (the first and `LOADS - 1` reloads).
const LOADS: usize = 4;

/// No heap accounting: only the counts are compared.
struct NoMeter;
impl mirror::Meter for NoMeter {
    fn live() -> usize {
        0
    }
}

/// Compares predict in `flow` with `release` on every readable generated tree;
/// returns (trees compared, trees rejected, the trees where they differ).
fn against(release: Release, flow: swan_credstore::Flow) -> (usize, usize, Vec<String>) {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let keys = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/keys");
    let (mut compared, mut skipped, mut differ) = (0, 0, Vec::new());
    for (i, (text, folder)) in differential::generated_trees(TREES, SEED)
        .iter()
        .enumerate()
    {
        // The tree as `predict` would read it: the file with its pubkey/ and x509/ folders.
        let _ = std::fs::remove_dir_all(dir.path().join("pubkey"));
        for sub in ["pubkey", "x509"] {
            std::fs::create_dir_all(dir.path().join(sub)).unwrap();
        }
        for f in folder {
            std::fs::copy(keys.join(f), dir.path().join("pubkey").join(f)).unwrap();
        }
        std::fs::copy(keys.join("rsa.crt"), dir.path().join("x509/rsa.crt")).unwrap();
        let path = dir.path().join("swanctl.conf");
        std::fs::write(&path, text).unwrap();
        let Ok(cfg) = Config::load(&path) else {
            skipped += 1;
            continue;
        };
        let specs = || cfg.connections.iter().map(|c| c.spec()).collect();
        let work = Workload {
            specs: &specs,
            creds: &[],
        };
        let sequence = Sequence {
            command: Command::LoadConns,
            reloads: LOADS - 1,
            clear_every: None,
        };
        let predicted =
            engine::run::<NoMeter>(flow, Method::Fast, &work, &sequence, &[], &mut |_| {}).series;
        let daemon = differential::daemon_series(release, text, folder, LOADS)
            .unwrap_or_else(|e| panic!("{e:#}"));
        if predicted != daemon {
            differ.push(format!(
                "{} tree {i}: predict {predicted:?}, daemon {daemon:?}\n{text}",
                release.label()
            ));
        }
        compared += 1;
    }
    (compared, skipped, differ)
}

fn agrees(release: Release) {
    let (compared, skipped, differ) = against(release, release.flow());
    eprintln!(
        "{}: {compared} generated trees compared over {LOADS} loads, {skipped} rejected by predict",
        release.label()
    );
    assert!(differ.is_empty(), "{}", differ.join("\n"));
    assert!(
        compared >= MIN_COMPARED,
        "only {compared} of {TREES} generated trees are readable by predict"
    );
}

#[test]
fn predict_agrees_with_bookworm_5_9_8_on_generated_trees() {
    agrees(Release::Bookworm);
}

/// The negative control: predict in the fixed flow against 5.9.8 must differ on some
/// generated tree (one whose keys 5.9.8 duplicates on every reload).
#[test]
fn predict_in_the_wrong_flow_is_caught_on_bookworm() {
    let (compared, _, differ) = against(Release::Bookworm, swan_credstore::Flow::UpstreamFix);
    assert!(compared >= MIN_COMPARED);
    assert!(
        !differ.is_empty(),
        "predict in the fixed flow agreed with 5.9.8 on all {compared} trees"
    );
}

#[test]
fn predict_agrees_with_trixie_6_0_1_on_generated_trees() {
    agrees(Release::Trixie);
}
