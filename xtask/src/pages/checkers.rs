//! notes/performance.md's `checkers` block (written by `cargo xtask bench-checkers`)
//! against notes/results.md: loom's interleaving counts are deterministic, so the
//! unbounded column of a row must be the count the matrix shows for it. Seconds are
//! measurements and may differ; counts may not.

#[cfg(test)]
mod tests {
    use super::super::table::rows;
    use std::collections::BTreeMap;

    fn read(rel: &str) -> String {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .unwrap();
        std::fs::read_to_string(root.join(rel)).unwrap()
    }

    /// `scenario × variant × flow` → interleavings of the matrix's exhaustive loom rows.
    fn matrix(results: &str) -> BTreeMap<String, String> {
        let matrix = &results[..results.find("## Timings").unwrap_or(results.len())];
        rows(matrix, "")
            .into_iter()
            .filter(|c| c.len() == 9 && c[3] == "loom" && c[8].ends_with("unbounded, exhaustive"))
            .map(|c| (format!("{} × {} × {}", c[0], c[1], c[2]), c[6].to_string()))
            .collect()
    }

    /// The unbounded column's count of each loom row of the `checkers` block that ran to
    /// the end (a `≥` cell was stopped by the time limit).
    fn bench(perf: &str) -> BTreeMap<String, String> {
        let block = swan_credstore_models::report::blocks::content(perf, "checkers")
            .expect("performance.md has a checkers block");
        let loom = &block[..block.find("### shuttle").unwrap_or(block.len())];
        rows(loom, "")
            .into_iter()
            .filter(|c| c.len() == 8 && !c[7].starts_with('≥'))
            .filter_map(|c| {
                let n = c[7].split(" / ").next()?;
                n.chars()
                    .all(|d| d.is_ascii_digit())
                    .then(|| (format!("{} × {} × {}", c[0], c[1], c[2]), n.to_string()))
            })
            .collect()
    }

    fn stale(results: &str, perf: &str) -> Vec<String> {
        let m = matrix(results);
        bench(perf)
            .into_iter()
            .filter_map(|(row, n)| {
                let want = m.get(&row)?;
                (want != &n).then(|| format!("{row}: bench-checkers {n}, results.md {want}"))
            })
            .collect()
    }

    #[test]
    fn bench_checkers_counts_are_the_matrix_counts() {
        let (results, perf) = (read("notes/results.md"), read("notes/performance.md"));
        let compared = bench(&perf)
            .keys()
            .filter(|k| matrix(&results).contains_key(*k))
            .count();
        assert!(compared > 10, "only {compared} rows compared");
        let stale = stale(&results, &perf);
        assert!(
            stale.is_empty(),
            "notes/performance.md's checkers block is stale (run `cargo xtask bench-checkers`):\n{}",
            stale.join("\n")
        );
    }

    /// Control: a changed count in the block is caught.
    #[test]
    fn a_changed_count_is_caught() {
        let results = "| scenario | variant | flow | checker | expected | outcome | i | f | bounds |\n\
                       | s | v | f | loom | pass | pass | 12 | - | 3 threads, unbounded, exhaustive |\n";
        let perf = |n: &str| {
            format!(
                "<!-- generated:checkers -->\n| s | v | f | pass | 1 / 0 s | 2 / 0 s | 3 / 0 s | {n} / 0.01 s |\n<!-- /generated:checkers -->\n"
            )
        };
        assert!(stale(results, &perf("12")).is_empty());
        assert_eq!(stale(results, &perf("13")).len(), 1);
    }
}
