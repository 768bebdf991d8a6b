//! The replay's results: the per-cell summary ([`summary`]), and the saved records
//! with their text report ([`save`], [`load_records`], [`records_path`]).

use super::{Reader, ReplayRun};
use crate::daemon::Release;
use anyhow::Result;
use swan_credstore_models::record::Record;

fn cell_label(release: Release, reader: Reader) -> String {
    format!("{} × {}", release.label(), reader.label())
}

/// Per daemon and reader: how many runs had the expected outcome, and the time per run
/// (min, median, max).
pub fn summary(runs: &[ReplayRun]) -> String {
    let mut out = String::new();
    for reader in Reader::ALL {
        for release in Release::ALL {
            let mine: Vec<&ReplayRun> = runs
                .iter()
                .filter(|r| r.release == release && r.reader == reader)
                .collect();
            if mine.is_empty() {
                continue;
            }
            let ok = mine.iter().filter(|r| r.record.as_expected()).count();
            let mut t: Vec<f64> = mine.iter().map(|r| r.seconds).collect();
            t.sort_by(f64::total_cmp);
            out.push_str(&format!(
                "{}: {ok} of {} forced runs {} as expected ({}); seconds per run: min {:.1}, median {:.1}, max {:.1}\n",
                cell_label(release, reader),
                mine.len(),
                mine[0].record.expected,
                if ok == mine.len() { "all" } else { "NOT all" },
                t[0],
                t[t.len() / 2],
                t[t.len() - 1]
            ));
            for r in mine.iter().filter(|r| !r.record.as_expected()) {
                out.push_str(&format!(
                    "  {}: {}\n",
                    r.record.outcome,
                    r.record.message.clone().unwrap_or_default()
                ));
            }
        }
    }
    out
}

/// Where the records go.
pub fn records_path() -> std::path::PathBuf {
    crate::target_dir().join("reports/real-replay.json")
}

/// Saves one record per daemon and reader (its last run, the summary line appended to
/// its message) and the summary with every run's steps as text beside it. Records of
/// cells these runs did not cover are kept from the previous save.
pub fn save(runs: &[ReplayRun]) -> Result<()> {
    let sum = summary(runs);
    let mut last: Vec<Record> = Vec::new();
    for reader in Reader::ALL {
        for release in Release::ALL {
            if let Some(r) = runs
                .iter()
                .rev()
                .find(|r| r.release == release && r.reader == reader)
            {
                let mut rec = r.record.clone();
                let label = cell_label(release, reader);
                let line = sum.lines().find(|l| l.starts_with(&label)).unwrap_or("");
                rec.message = Some(format!(
                    "{} [{line}]",
                    rec.message.take().unwrap_or_default()
                ));
                last.push(rec);
            }
        }
    }
    let covered = |r: &Record| last.iter().any(|l| l.same_cell(r));
    let kept: Vec<Record> = load_records()
        .unwrap_or_default()
        .into_iter()
        .filter(|r| !covered(r))
        .collect();
    last.extend(kept);
    let mut text = sum.clone();
    for r in runs {
        text.push_str(&format!(
            "\n== {} ({:.1} s)\n   sites: {}\n",
            cell_label(r.release, r.reader),
            r.seconds,
            r.sites
        ));
        for s in r.record.counterexample.iter().flatten() {
            text.push_str(&format!(
                "   {:>3}  {}  {}: {}\n",
                s.seq, s.thread, s.op, s.detail
            ));
        }
    }
    crate::save_records(&records_path(), last.iter(), &text)
}

/// Reads the saved records (for `cargo xtask verify --real` and the report).
pub fn load_records() -> Result<Vec<Record>> {
    crate::load_records(&records_path(), "cargo xtask real-replay")
}
