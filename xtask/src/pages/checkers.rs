//! The scope ladder's record (`tests/data/records/ladder.json`, written by `cargo xtask
//! bench-checkers`) against notes/results.md: loom's interleaving counts are
//! deterministic, so a matrix row the ladder explored unbounded must show the count the
//! matrix shows for it. Seconds are measurements and may differ; counts may not.

#[cfg(test)]
mod tests {
    use super::super::table::rows;
    use crate::ladder::{Ladder, Rung};
    use std::collections::BTreeMap;

    fn read(rel: &str) -> String {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .unwrap();
        std::fs::read_to_string(root.join(rel)).unwrap()
    }

    /// `scenario × variant × flow` → interleavings of the matrix's exhaustive loom rows.
    fn matrix(results: &str) -> BTreeMap<String, u64> {
        let matrix = &results[..results.find("## Timings").unwrap_or(results.len())];
        rows(matrix, "")
            .into_iter()
            .filter(|c| c.len() == 9 && c[3] == "loom" && c[8].ends_with("unbounded, exhaustive"))
            .filter_map(|c| {
                Some((
                    format!("{} × {} × {}", c[0], c[1], c[2]),
                    c[6].parse().ok()?,
                ))
            })
            .collect()
    }

    /// The base rung's rows the ladder explored unbounded to the end.
    fn bench(ladder: &Ladder) -> BTreeMap<String, u64> {
        ladder
            .rows
            .iter()
            .filter(|r| r.scope.is_base() && r.bound.is_none() && !r.capped)
            .map(|r: &Rung| {
                (
                    format!("{} × {} × {}", r.scenario, r.variant, r.flow),
                    r.interleavings,
                )
            })
            .collect()
    }

    fn stale(results: &str, ladder: &Ladder) -> Vec<String> {
        let m = matrix(results);
        bench(ladder)
            .into_iter()
            .filter_map(|(row, n)| {
                let want = m.get(&row)?;
                (*want != n).then(|| format!("{row}: bench-checkers {n}, results.md {want}"))
            })
            .collect()
    }

    #[test]
    fn bench_checkers_counts_are_the_matrix_counts() {
        let results = read("notes/results.md");
        let ladder = crate::ladder::saved().unwrap();
        let compared = bench(&ladder)
            .keys()
            .filter(|k| matrix(&results).contains_key(*k))
            .count();
        assert!(compared > 10, "only {compared} rows compared");
        let stale = stale(&results, &ladder);
        assert!(
            stale.is_empty(),
            "tests/data/records/ladder.json is stale (run `cargo xtask bench-checkers --ladder`):\n{}",
            stale.join("\n")
        );
    }

    /// Control: a changed count in the record is caught.
    #[test]
    fn a_changed_count_is_caught() {
        let results = "| scenario | variant | flow | checker | expected | outcome | i | f | bounds |\n\
                       | reload_vs_lookup | locked | pre_fix | loom | pass | pass | 12 | - | 3 threads, unbounded, exhaustive |\n";
        let ladder = |n: u64| Ladder {
            cap_seconds: 60,
            parallel: 1,
            rows: vec![Rung {
                scope: swan_credstore_models::record::Scope::Base,
                scenario: swan_credstore_models::record::Scenario::ReloadVsLookup,
                variant: swan_credstore_models::record::Variant::Locked,
                flow: swan_credstore_models::record::Flow::PreFix,
                expected: swan_credstore_models::record::Outcome::Pass,
                outcome: swan_credstore_models::record::Outcome::Pass,
                bound: None,
                interleavings: n,
                seconds: 0.01,
                unbounded_capped_at: None,
                capped: false,
            }],
        };
        assert!(stale(results, &ladder(12)).is_empty());
        assert_eq!(stale(results, &ladder(13)).len(), 1);
    }
}
