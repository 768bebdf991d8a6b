//! notes/performance.md's before/after table of the scheduling points removed from the
//! checker's view: each loom row's interleavings and seconds before
//! (`tests/data/records/points-before.tsv`, the results of the last commit that had
//! them) and now (notes/results.md), and a check that no verdict changed.

use super::table::rows;
use anyhow::{bail, Context, Result};
use std::fmt::Write;

/// The record of the rows before, relative to the root.
pub const BEFORE: &str = "tests/data/records/points-before.tsv";

/// One loom row: (scenario, variant, flow) → (outcome, interleavings, seconds).
struct Row {
    key: [String; 3],
    outcome: String,
    interleavings: u64,
    seconds: Option<f64>,
    /// `unbounded` or `≤N`.
    bound: String,
}

/// The bound part of a bounds cell (`3 threads, ≤2 preemptions` → `≤2`).
fn bound_of(cell: &str) -> String {
    if cell.contains("unbounded") {
        "unbounded".into()
    } else {
        cell.split(", ")
            .find(|p| p.starts_with('≤'))
            .map_or("?".into(), |p| {
                p.trim_end_matches(" preemptions").to_string()
            })
    }
}

fn before(tsv: &str) -> Result<Vec<Row>> {
    tsv.lines()
        .enumerate()
        .filter(|(_, l)| !l.starts_with('#') && !l.trim().is_empty())
        .map(|(i, l)| {
            let c: Vec<&str> = l.split('\t').collect();
            let bad = || format!("{BEFORE}:{}: expected 7 tab-separated fields", i + 1);
            if c.len() != 7 {
                bail!(bad());
            }
            Ok(Row {
                key: [c[0].into(), c[1].into(), c[2].into()],
                outcome: c[3].into(),
                interleavings: c[4].parse().with_context(bad)?,
                seconds: Some(c[5].parse().with_context(bad)?),
                bound: c[6].to_string(),
            })
        })
        .collect()
}

/// The base loom rows of notes/results.md's matrix, with their seconds from its
/// timings table.
fn after(results: &str) -> Vec<Row> {
    let timings = rows(results, "");
    rows(results, "")
        .into_iter()
        .filter(|c| c.len() == 9 && c[3] == "loom" && !c[0].contains('@'))
        .map(|c| {
            let label = format!("{} × {} × {} [loom]", c[0], c[1], c[2]);
            let seconds = timings
                .iter()
                .find(|t| t.first() == Some(&label.as_str()))
                .and_then(|t| t.get(1)?.parse().ok());
            Row {
                key: [c[0].into(), c[1].into(), c[2].into()],
                outcome: c[5].into(),
                interleavings: c[6].parse().unwrap_or(0),
                seconds,
                bound: bound_of(c[8]),
            }
        })
        .collect()
}

/// The `scheduling-points` block, or an error naming the first row whose verdict changed.
pub fn block(before_tsv: &str, results: &str) -> Result<String> {
    let before = before(before_tsv)?;
    let after = after(results);
    let mut out = String::from("| scenario | variant | flow | verdict | bound before | after | interleavings before | after | ratio | seconds before | after |\n|---|---|---|---|---|---|---|---|---|---|---|\n");
    let (mut sum_b, mut sum_a) = (0.0, 0.0);
    let (mut same_b, mut same_a, mut same) = (0u64, 0u64, 0usize);
    for b in &before {
        let Some(a) = after.iter().find(|a| a.key == b.key) else {
            bail!(
                "{}: no such loom row in notes/results.md",
                b.key.join(" × ")
            );
        };
        if a.outcome != b.outcome {
            bail!(
                "{}: the verdict changed from {} to {}",
                b.key.join(" × "),
                b.outcome,
                a.outcome
            );
        }
        let secs = |s: Option<f64>| s.map_or("—".to_string(), |s| format!("{s:.2}"));
        if a.bound == b.bound {
            (same_b, same_a, same) = (same_b + b.interleavings, same_a + a.interleavings, same + 1);
        }
        sum_b += b.seconds.unwrap_or(0.0);
        sum_a += a.seconds.unwrap_or(0.0);
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {:.2}× | {} | {} |",
            b.key[0],
            b.key[1],
            b.key[2],
            b.outcome,
            b.bound,
            a.bound,
            b.interleavings,
            a.interleavings,
            b.interleavings as f64 / a.interleavings.max(1) as f64,
            secs(b.seconds),
            secs(a.seconds)
        );
    }
    let _ = write!(
        out,
        "\n{} rows, every verdict unchanged. The {same} rows at the same bound before and after explored {same_b} interleavings before and {same_a} after ({:.2}× fewer); loom seconds over all rows: {sum_b:.1} before, {sum_a:.1} after.",
        before.len(),
        same_b as f64 / same_a.max(1) as f64
    );
    Ok(out)
}
