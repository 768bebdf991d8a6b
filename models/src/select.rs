//! Which matrix rows to run, and with which budgets: the checker's options, defined once.
//!
//! `cargo xtask verify` flattens [`Select`] into its own command line and hands it to the
//! checker binary of each build as JSON (`--select-json`), so the options are spelled in
//! one place and never rebuilt into an argument list by hand.

use crate::expect::Case;
use crate::record::{Checker, Flow, Record, Scenario, Scope, Variant};
use serde::{Deserialize, Serialize};

/// A selection of rows and the checkers' budgets.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, clap::Args)]
pub struct Select {
    /// Only this scenario.
    #[arg(long)]
    pub scenario: Option<Scenario>,
    /// Only this variant.
    #[arg(long)]
    pub variant: Option<Variant>,
    /// Only this flow.
    #[arg(long)]
    pub flow: Option<Flow>,
    /// Only this checker (loom, shuttle_dfs, shuttle_pct, shuttle_random, stress).
    #[arg(long)]
    pub checker: Option<Checker>,
    /// loom and shuttle_dfs preemption bound (default: each row's plan; loom: unbounded,
    /// epoch rows 2, or LOOM_MAX_PREEMPTIONS).
    #[arg(long)]
    pub preemption_bound: Option<usize>,
    /// loom and shuttle_dfs: no preemption bound at all, even for the rows planned with one.
    #[arg(long, conflicts_with = "preemption_bound")]
    pub unbounded: bool,
    /// shuttle: executions per row (default 100; --full: 1000).
    #[arg(long)]
    pub iterations: Option<usize>,
    /// shuttle_dfs: the schedules a row may explore before it stops unfinished (default
    /// 200,000).
    #[arg(long)]
    pub dfs_max: Option<usize>,
    /// shuttle: scheduler seed (default 1).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Every rung of the scope ladder, and shuttle's 1,000 executions per row instead of
    /// 100.
    #[arg(long)]
    pub full: bool,
    /// Only this rung of the scope ladder (`base` is the verdict matrix).
    #[arg(long)]
    pub scope: Option<Scope>,
}

impl Select {
    /// Whether `case` is selected.
    pub fn case(&self, case: &Case) -> bool {
        self.cell(case.scenario, case.variant, case.flow)
            && self.checker.is_none_or(|c| c == case.checker)
            && match self.scope {
                Some(scope) => scope == case.scope,
                None => self.full || crate::ladder::in_default(case),
            }
    }

    /// The cases of the verdict matrix and the scope ladder this selection runs.
    pub fn cases(&self) -> Vec<Case> {
        crate::expect::cases()
            .into_iter()
            .chain(crate::expect::ladder_cases())
            .filter(|c| self.case(c))
            .collect()
    }

    /// Whether a record's matrix cell (scenario × variant × flow) is selected, whatever
    /// its checker (the real daemons' rows are selected this way).
    pub fn record_cell(&self, r: &Record) -> bool {
        self.cell(r.scenario, r.variant, r.flow) && self.scope.is_none_or(|s| s == r.scope)
    }

    fn cell(&self, scenario: Scenario, variant: Variant, flow: Flow) -> bool {
        self.scenario.is_none_or(|s| s == scenario)
            && self.variant.is_none_or(|v| v == variant)
            && self.flow.is_none_or(|f| f == flow)
    }
}
