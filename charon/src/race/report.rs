//! The race runs' results: a plain-text report ([`report`]) and the saved records
//! ([`save`], [`load_records`], [`records_path`]).

use super::RaceRun;
use anyhow::Result;
use swan_credstore_models::record::Record;

/// A plain-text report of runs: the rows' facts, the two stacks, the noise by frame.
pub fn report(runs: &[RaceRun]) -> String {
    use std::fmt::Write as _;
    let mut s = String::new();
    for r in runs {
        let _ = writeln!(
            s,
            "== {} ({})",
            r.release.label(),
            r.versions.replace('\n', "; ")
        );
        let _ = writeln!(
            s,
            "   hammered {:.1} s: {} reloads, {} listings; first relevant report: {}",
            r.seconds,
            r.reloads,
            r.listings,
            match (r.first_relevant, r.ops_at_first) {
                (Some(t), Some(o)) => format!("{t:.1} s after {o} operations"),
                _ => "none".into(),
            }
        );
        let _ = writeln!(
            s,
            "   relevant contexts: {}; noise contexts: {}",
            r.relevant,
            r.noise.values().sum::<usize>()
        );
        let _ = writeln!(s, "   pubkey_cert methods: {}", r.methods);
        if let Some((w, rd)) = &r.stacks {
            let _ = writeln!(s, "   free/write side: {w}");
            let _ = writeln!(s, "   read side:       {rd}");
        }
        for (k, n) in &r.noise {
            let _ = writeln!(s, "   noise ×{n}: {k}");
        }
        for e in &r.client_errors {
            let _ = writeln!(s, "   client error: {e}");
        }
    }
    s
}

/// Where the records go.
pub fn records_path() -> std::path::PathBuf {
    crate::target_dir().join("reports/real-race.json")
}

/// Saves the runs' records to [`records_path`] and the text report beside them.
pub fn save(runs: &[RaceRun]) -> Result<()> {
    crate::save_records(
        &records_path(),
        runs.iter().map(|r| &r.record),
        &report(runs),
    )
}

/// Reads saved records (for `cargo xtask verify --real`).
pub fn load_records() -> Result<Vec<Record>> {
    crate::load_records(&records_path(), "cargo xtask real-race")
}
