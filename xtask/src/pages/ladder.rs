//! notes/performance.md's scope ladder, from `tests/data/records/ladder.json` (written by
//! `cargo xtask bench-checkers --ladder`): the table (row × rung → verdict, interleavings,
//! seconds, bound) and the plan it implies, which the checker's plan
//! (`swan_credstore_models::ladder`) must equal.

use crate::ladder::{Ladder, Rung};
use std::fmt::Write;
use swan_credstore_models::ladder::BUDGET_SECONDS;
use swan_credstore_models::record::{Flow, Scenario, Scope, Variant};

fn cell(r: &Rung) -> String {
    let verdict = if r.outcome == r.expected {
        r.outcome.to_string()
    } else {
        format!("{} ✗ (expected {})", r.outcome, r.expected)
    };
    let bound = match (r.bound, r.capped) {
        (Some(b), true) => format!(" ≤{b}, stopped by the cap"),
        (None, true) => " (stopped by the cap)".to_string(),
        (Some(b), false) => format!(" ≤{b}"),
        (None, false) => String::new(),
    };
    format!(
        "{verdict}{bound}: {} / {:.1} s",
        crate::bench::group_digits(r.interleavings),
        r.seconds
    )
}

/// performance.md's `ladder` block: row × rung → verdict, bound, interleavings, seconds.
pub fn table(ladder: &Ladder) -> String {
    let mut out = String::from("| scenario | variant | flow |");
    for scope in Scope::ALL {
        let _ = write!(out, " ({}) {scope} |", scope.letter());
    }
    out.push_str("\n|---|---|---|");
    out.push_str(&"---|".repeat(Scope::ALL.len()));
    out.push('\n');
    let mut keys: Vec<(Scenario, Variant, Flow)> = Vec::new();
    for r in &ladder.rows {
        let k = (r.scenario, r.variant, r.flow);
        if !keys.contains(&k) {
            keys.push(k);
        }
    }
    keys.sort();
    for (s, v, f) in keys {
        let _ = write!(out, "| {s} | {v} | {f} |");
        for scope in Scope::ALL {
            let found = ladder
                .rows
                .iter()
                .find(|r| (r.scope, r.scenario, r.variant, r.flow) == (scope, s, v, f));
            let _ = write!(out, " {} |", found.map_or("—".to_string(), cell));
        }
        out.push('\n');
    }
    out
}

/// Seconds of the rows of `scope`.
pub fn rung_seconds(ladder: &Ladder, scope: Scope) -> f64 {
    ladder
        .rows
        .iter()
        .filter(|r| r.scope == scope)
        .map(|r| r.seconds)
        .sum()
}

/// The rungs above the base that the default verify runs: in ladder order, each rung
/// whose measured seconds fit what is left of the budget.
pub fn default_rungs(ladder: &Ladder) -> Vec<Scope> {
    let mut total = 0.0;
    let mut out = Vec::new();
    for scope in Scope::ALL.into_iter().filter(|s| !s.is_base()) {
        let cost = rung_seconds(ladder, scope);
        if total + cost <= BUDGET_SECONDS {
            total += cost;
            out.push(scope);
        }
    }
    out
}

/// designs.md's `ladder-summary` block: per rung, how many rows and how they ended.
pub fn summary(ladder: &Ladder) -> String {
    let mut out = String::from("| rung | rows | as expected | exhaustive | bounded | capped | seconds | in default verify |\n|---|---|---|---|---|---|---|---|\n");
    let default = default_rungs(ladder);
    for scope in Scope::ALL {
        let rows: Vec<&Rung> = ladder.rows.iter().filter(|r| r.scope == scope).collect();
        let count = |f: &dyn Fn(&Rung) -> bool| rows.iter().filter(|r| f(r)).count();
        let _ = writeln!(
            out,
            "| ({}) {scope} | {} | {} | {} | {} | {} | {:.1} | {} |",
            scope.letter(),
            rows.len(),
            count(&|r| r.outcome == r.expected && !r.capped),
            count(&|r| r.bound.is_none() && !r.capped),
            count(&|r| r.bound.is_some() && !r.capped),
            count(&|r| r.capped),
            rung_seconds(ladder, scope),
            if scope.is_base() || default.contains(&scope) {
                "yes"
            } else {
                "`--full`"
            }
        );
    }
    let _ = write!(
        out,
        "\nEach run was stopped at {} s; the default verify's ladder budget is {} s of loom time.",
        ladder.cap_seconds, BUDGET_SECONDS
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use swan_credstore_models::expect::{cases, ladder_cases};
    use swan_credstore_models::ladder;

    fn saved() -> Ladder {
        crate::ladder::saved().unwrap()
    }

    /// The checker's plan is the measurement's: every ladder row runs at the bound that
    /// was measured for it, the default verify runs exactly the rungs that fit the
    /// budget, and every measured row is one the checker runs (and the other way round).
    #[test]
    fn the_plan_is_the_measured_one() {
        let measured = saved();
        let loom = |c: &&swan_credstore_models::expect::Case| {
            c.checker == swan_credstore_models::record::Checker::Loom
        };
        for case in ladder_cases()
            .iter()
            .filter(loom)
            .chain(cases().iter().filter(loom))
        {
            let row = measured
                .rows
                .iter()
                .find(|r| {
                    (r.scope, r.scenario, r.variant, r.flow)
                        == (case.scope, case.scenario, case.variant, case.flow)
                })
                .unwrap_or_else(|| panic!("{case:?} was not measured"));
            // A row no bound finished within the cap runs at the bound that was stopped.
            assert!(row.bound.is_some() || !row.capped, "{case:?}");
            assert_eq!(row.expected, case.expected, "{case:?}");
            // `--full`: every row at its measured plan.
            assert_eq!(
                ladder::bound(case, true),
                row.bound,
                "{case:?}: the plan's bound"
            );
            if case.scope.is_base() && case.variant == Variant::Epoch {
                // The default run keeps the matrix's epoch rows affordable: unbounded only
                // if that took at most MATRIX_UNBOUNDED_SECONDS, else at most the matrix's
                // own bound.
                let cheap = row.bound.is_none() && row.seconds <= ladder::MATRIX_UNBOUNDED_SECONDS;
                let want = if cheap {
                    None
                } else {
                    Some(
                        row.bound
                            .unwrap_or(usize::MAX)
                            .min(ladder::EPOCH_PREEMPTION_BOUND),
                    )
                };
                assert_eq!(
                    ladder::bound(case, false),
                    want,
                    "{case:?}: the matrix's bound"
                );
            } else if case.scope.is_base() {
                assert_eq!(
                    row.bound, None,
                    "{case:?}: a matrix row must finish unbounded"
                );
                assert_eq!(ladder::bound(case, false), None, "{case:?}");
            }
        }
        assert_eq!(ladder::IN_DEFAULT, &default_rungs(&measured)[..]);
    }

    /// Every measured row had its expected outcome: broken designs are caught at every
    /// rung, fixed ones pass.
    #[test]
    fn every_rung_has_its_expected_verdicts() {
        for r in saved().rows {
            assert_eq!(r.outcome, r.expected, "{r:?}");
        }
    }
}
