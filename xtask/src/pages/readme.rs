//! README.md's blocks: the verdict-matrix excerpt (two rows of notes/results.md, as
//! `cargo xtask verify` prints them) and the scenario sizes (from the scenario
//! definitions).

use anyhow::{Context, Result};
use std::fmt::Write;
use swan_credstore_models::record::Scenario;
use swan_credstore_models::scenarios::shape;
use swan_credstore_models::storm::StormSize;
use swan_credstore_models::stress::StressOptions;

/// The rows of the excerpt, as results.md titles them.
const EXCERPT: [&str; 2] = [
    "reload_vs_lookup × in_place × pre_fix [loom]",
    "reload_vs_lookup × locked × pre_fix [loom]",
];

pub fn blocks(results: &str) -> Result<Vec<(&'static str, String)>> {
    Ok(vec![
        ("readme-matrix", matrix_excerpt(results)?),
        ("readme-scenarios", scenario_sizes()),
    ])
}

/// The excerpt in `verify`'s fixed-width format: matrix cells from results.md's
/// verdict matrix, seconds from its timings table.
fn matrix_excerpt(results: &str) -> Result<String> {
    let header = swan_credstore_models::report::text::MATRIX_HEADER;
    let mut rows: Vec<Vec<String>> = vec![header.iter().map(|s| s.to_string()).collect()];
    for title in EXCERPT {
        let (cell, checker) = title.split_once(" [").context("a row title")?;
        let parts: Vec<&str> = cell.split(" × ").collect();
        let checker = checker.trim_end_matches(']');
        let row = super::table::rows(results, parts[0])
            .into_iter()
            .find(|c| c.len() == 9 && c[1] == parts[1] && c[2] == parts[2] && c[3] == checker)
            .with_context(|| format!("results.md's matrix has no row {title}"))?;
        let seconds = super::table::rows(results, title)
            .first()
            .and_then(|c| c.get(1).map(|s| s.to_string()))
            .with_context(|| format!("results.md's timings have no row {title}"))?;
        let mut out: Vec<String> = row[..8].iter().map(|s| s.to_string()).collect();
        out.push(seconds);
        out.push(row[8].to_string());
        rows.push(out);
    }
    let widths: Vec<usize> = (0..header.len())
        .map(|i| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0))
        .collect();
    let mut text = String::from("```text\n");
    for (n, row) in rows.iter().enumerate() {
        if n == 1 {
            let dashes: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
            text.push_str(&line(&dashes, &widths));
        }
        text.push_str(&line(row, &widths));
    }
    text.push_str("```\n");
    Ok(text)
}

fn line(cells: &[String], widths: &[usize]) -> String {
    let mut s = String::new();
    for (i, (c, w)) in cells.iter().zip(widths).enumerate() {
        if i + 1 == cells.len() {
            s.push_str(c);
        } else {
            let _ = write!(s, "{c}{}  ", " ".repeat(w - c.chars().count()));
        }
    }
    s.trim_end().to_string() + "\n"
}

/// Each scenario's threads and operations, as the bounds column states them.
fn scenario_sizes() -> String {
    let mut out = String::from(
        "| scenario | checkers | threads (main included) | operations |\n|---|---|---|---|\n",
    );
    for s in Scenario::LOOM {
        let (threads, ops) = shape(s, &StormSize::SHUTTLE);
        let _ = writeln!(out, "| `{s}` | loom, shuttle_dfs | {threads} | {ops} |");
    }
    for (checkers, size) in [
        ("shuttle_pct, shuttle_random", StormSize::SHUTTLE),
        ("stress", StressOptions::DEFAULT.size),
    ] {
        let (threads, ops) = shape(Scenario::Storm, &size);
        let _ = writeln!(out, "| `storm` | {checkers} | {threads} | {ops} |");
    }
    out
}
