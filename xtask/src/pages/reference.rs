//! The reference measurements of notes/the-bug.md: figures measured on real charon
//! before this repository existed. Their one committed record is
//! `tests/data/reference/measurements.tsv` (which says how they were measured); this
//! module renders each of its tables into the page's block `reference-NAME`, so that no
//! figure of them is typed into the page by hand.

use anyhow::{bail, Result};

/// The record, relative to the repository root.
pub const RECORD: &str = "tests/data/reference/measurements.tsv";
/// The page whose blocks hold the record's tables.
pub const PAGE: &str = "notes/the-bug.md";

/// The record's tables as `(block name, Markdown table)`, in the record's order.
pub fn tables(record: &str) -> Result<Vec<(String, String)>> {
    let mut out: Vec<(String, Vec<Vec<String>>)> = Vec::new();
    for (i, line) in record.lines().enumerate() {
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(name) = line.strip_prefix("== ") {
            out.push((format!("reference-{}", name.trim()), Vec::new()));
            continue;
        }
        let Some((_, rows)) = out.last_mut() else {
            bail!("{RECORD}:{}: a row before the first `== NAME`", i + 1);
        };
        let cells: Vec<String> = line.split('\t').map(|c| c.trim().to_string()).collect();
        if let Some(header) = rows.first() {
            if cells.len() != header.len() {
                bail!(
                    "{RECORD}:{}: {} cells, the header has {}",
                    i + 1,
                    cells.len(),
                    header.len()
                );
            }
        }
        rows.push(cells);
    }
    Ok(out
        .into_iter()
        .map(|(name, rows)| {
            let mut md = String::new();
            for (n, row) in rows.iter().enumerate() {
                md.push_str(&format!("| {} |\n", row.join(" | ")));
                if n == 0 {
                    md.push_str(&format!("|{}\n", "---|".repeat(row.len())));
                }
            }
            (name, md)
        })
        .collect())
}

/// The blocks of notes/the-bug.md that the record's tables fill, in the record's order.
pub const BLOCKS: [&str; 5] = [
    "reference-leak",
    "reference-versions",
    "reference-facts",
    "reference-race",
    "reference-valgrind",
];

/// The record's tables as blocks of notes/the-bug.md (the shape `crate::pages` and
/// `crate::notes::rewrite_blocks` take): exactly the tables of [`BLOCKS`], in order.
pub fn blocks(record: &str) -> Result<Vec<(&'static str, String)>> {
    let tables = tables(record)?;
    let names: Vec<&str> = tables.iter().map(|(n, _)| n.as_str()).collect();
    if names != BLOCKS {
        bail!("{RECORD}: tables {names:?}, notes/the-bug.md has blocks {BLOCKS:?}");
    }
    Ok(BLOCKS
        .into_iter()
        .zip(tables)
        .map(|(n, (_, t))| (n, t))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root() -> std::path::PathBuf {
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .unwrap()
            .to_path_buf()
    }

    /// The page shows exactly what the record holds: a changed figure in either place
    /// fails here until `cargo xtask report` is run.
    #[test]
    fn the_bug_md_shows_the_record_as_it_is() {
        let record = std::fs::read_to_string(root().join(RECORD)).unwrap();
        let page = std::fs::read_to_string(root().join(PAGE)).unwrap();
        for (name, table) in &blocks(&record).unwrap() {
            let shown = swan_credstore_models::report::blocks::content(&page, name)
                .unwrap_or_else(|| panic!("{PAGE} has no block {name}"));
            assert_eq!(shown, table.as_str(), "{PAGE}: block {name} is stale");
        }
        assert!(
            blocks("== leak\na\n1\n").is_err(),
            "a missing table went unnoticed"
        );
    }

    #[test]
    fn a_row_with_the_wrong_width_is_an_error_naming_its_line() {
        let e = tables("== x\na\tb\n1\n").unwrap_err().to_string();
        assert!(e.contains(":3:") && e.contains("1 cells"), "{e}");
        let t = tables("# c\n== x\na\tb\n1\t2\n").unwrap();
        assert_eq!(
            t,
            [(
                "reference-x".to_string(),
                "| a | b |\n|---|---|\n| 1 | 2 |\n".to_string()
            )]
        );
    }
}
