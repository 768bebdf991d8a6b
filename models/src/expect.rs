//! The verdict matrix: which scenario runs with which design, flow and checker, and the
//! outcome each combination must have — as a table of rules, each with its reason.

use crate::record::{Checker, Flow, Outcome, Scenario, Scope, Variant};

/// One cell of the matrix, as a checker runs it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Case {
    /// Scenario.
    pub scenario: Scenario,
    /// The rung of the scope ladder ([`Scope::Base`] for the verdict matrix).
    pub scope: Scope,
    /// Design ([`Variant::Custom`] for a cell from outside the matrix).
    pub variant: Variant,
    /// A custom cell's own name (`None` for the matrix's designs).
    pub cell: Option<&'static str>,
    /// Load flow.
    pub flow: Flow,
    /// The checker that runs it.
    pub checker: Checker,
    /// The outcome this combination must have.
    pub expected: Outcome,
}

/// A rule of the expectation table. A field that lists nothing matches everything;
/// the first rule that matches a combination decides it.
pub struct Rule {
    /// Designs it applies to.
    pub variants: &'static [Variant],
    /// Flows it applies to.
    pub flows: &'static [Flow],
    /// Scenarios it applies to.
    pub scenarios: &'static [Scenario],
    /// Checkers it applies to.
    pub checkers: &'static [Checker],
    /// Rungs of the scope ladder it applies to.
    pub scopes: &'static [Scope],
    /// The expected outcome, or `None`: the combination is not run.
    pub expected: Option<Outcome>,
    /// Why, in one sentence.
    pub why: &'static str,
}

const RACY: &[Variant] = &[Variant::InPlace, Variant::NaiveSwap];
const ANY_V: &[Variant] = &[];
const ANY_F: &[Flow] = &[];
const ANY_S: &[Scenario] = &[];
const ANY_C: &[Checker] = &[];
const ANY_SC: &[Scope] = &[];

/// The expectation table, first match wins.
pub const RULES: &[Rule] = &[
    Rule {
        variants: &[Variant::Epoch],
        flows: ANY_F,
        scenarios: ANY_S,
        checkers: &[Checker::ShuttleDfs],
        scopes: ANY_SC,
        expected: None,
        why: "crossbeam-epoch keeps one global collector across executions, so a schedule's \
              prefix does not replay: the depth-first search needs each execution to be \
              a function of its choices (loom sees inside it only with crossbeam_loom)",
    },
    Rule {
        variants: &[Variant::Immutable, Variant::IndexedStore],
        flows: &[Flow::PreFix],
        scenarios: ANY_S,
        checkers: ANY_C,
        scopes: ANY_SC,
        expected: None,
        why: "an immutable subject has no set_subject, which the pre-fix flow calls",
    },
    Rule {
        variants: &[Variant::SplitDedup],
        flows: &[Flow::UpstreamFix],
        scenarios: &[Scenario::ConcurrentReloads],
        checkers: &[Checker::Loom],
        scopes: ANY_SC,
        expected: Some(Outcome::Duplicates),
        why: "two adds of equal certs can both miss under the read lock and both insert",
    },
    Rule {
        variants: &[Variant::SplitDedup],
        flows: ANY_F,
        scenarios: ANY_S,
        checkers: ANY_C,
        scopes: ANY_SC,
        expected: None,
        why: "a negative control for the indexed store's dedup; elsewhere it is that store",
    },
    Rule {
        variants: &[Variant::LeakyCow],
        flows: &[Flow::PreFix],
        scenarios: &[Scenario::ReloadVsClear],
        checkers: ANY_C,
        scopes: ANY_SC,
        expected: Some(Outcome::Leak),
        why: "it never releases the snapshot it replaces: the leak check must catch it",
    },
    Rule {
        variants: &[Variant::LeakyCow],
        flows: ANY_F,
        scenarios: ANY_S,
        checkers: ANY_C,
        scopes: ANY_SC,
        expected: None,
        why: "a negative control for the leak check of reload_vs_clear only",
    },
    Rule {
        variants: RACY,
        flows: ANY_F,
        scenarios: ANY_S,
        checkers: &[Checker::Stress],
        scopes: ANY_SC,
        expected: Some(Outcome::NotRun),
        why: "on real threads its race would be real undefined behaviour",
    },
    Rule {
        variants: ANY_V,
        flows: &[Flow::UpstreamFix],
        scenarios: ANY_S,
        checkers: ANY_C,
        scopes: ANY_SC,
        expected: Some(Outcome::Pass),
        why: "the upstream flow never mutates a shared cert and always dedups",
    },
    Rule {
        variants: RACY,
        flows: &[Flow::PreFix],
        scenarios: &[Scenario::ReloadVsClear],
        checkers: &[Checker::Loom],
        scopes: &[Scope::ThreeThreads],
        expected: Some(Outcome::Race),
        why: "the third thread, a lookup, reads the subject set_subject frees",
    },
    Rule {
        variants: ANY_V,
        flows: &[Flow::PreFix],
        scenarios: &[Scenario::ReloadVsClear],
        checkers: ANY_C,
        scopes: ANY_SC,
        expected: Some(Outcome::Pass),
        why: "clear-creds only drops references and reads no subject",
    },
    Rule {
        variants: RACY,
        flows: &[Flow::PreFix],
        scenarios: ANY_S,
        checkers: ANY_C,
        scopes: ANY_SC,
        expected: Some(Outcome::Race),
        why: "set_subject frees the identity readers (lookup, list-certs, another reload's dedup) may hold",
    },
    Rule {
        variants: ANY_V,
        flows: &[Flow::PreFix],
        scenarios: &[Scenario::ConcurrentReloads, Scenario::Storm],
        checkers: ANY_C,
        scopes: ANY_SC,
        expected: Some(Outcome::Duplicates),
        why: "a cert stored under its key id and then given the id equals nothing on the next load",
    },
    Rule {
        variants: ANY_V,
        flows: ANY_F,
        scenarios: ANY_S,
        checkers: ANY_C,
        scopes: ANY_SC,
        expected: Some(Outcome::Pass),
        why: "a single reload against a reader stores nothing twice, and the design does not race",
    },
];

fn any_or<T: PartialEq>(set: &[T], x: T) -> bool {
    set.is_empty() || set.contains(&x)
}

/// The rule that decides a combination of the verdict matrix ([`Scope::Base`]).
pub fn rule(scenario: Scenario, variant: Variant, flow: Flow, checker: Checker) -> &'static Rule {
    rule_in(scenario, Scope::Base, variant, flow, checker)
}

/// The rule that decides a combination at a rung of the scope ladder.
pub fn rule_in(
    scenario: Scenario,
    scope: Scope,
    variant: Variant,
    flow: Flow,
    checker: Checker,
) -> &'static Rule {
    let matches = |r: &&Rule, checker: Checker| {
        any_or(r.variants, variant)
            && any_or(r.flows, flow)
            && any_or(r.scenarios, scenario)
            && any_or(r.checkers, checker)
            && any_or(r.scopes, scope)
    };
    // The depth-first cross-check is held to loom's expectations, row by row (where the
    // two exhaustive checkers disagree, one of them is wrong), except where a rule names
    // it.
    if checker == Checker::ShuttleDfs {
        if let Some(r) = RULES
            .iter()
            .find(|r| r.checkers.contains(&checker) && matches(r, checker))
        {
            return r;
        }
        return rule_in(scenario, scope, variant, flow, Checker::Loom);
    }
    RULES
        .iter()
        .find(|r| matches(r, checker))
        .expect("the last rule matches everything")
}

/// The expected outcome, or `None` when the combination is not run.
pub fn expected(
    scenario: Scenario,
    variant: Variant,
    flow: Flow,
    checker: Checker,
) -> Option<Outcome> {
    rule(scenario, variant, flow, checker).expected
}

/// The scenarios a checker runs: the exhaustive checkers (loom, shuttle's DFS) the
/// small ones, the others the storm.
pub fn scenarios_of(checker: Checker) -> &'static [Scenario] {
    match checker {
        Checker::Loom | Checker::ShuttleDfs => &Scenario::LOOM,
        _ => &[Scenario::Storm],
    }
}

/// Every combination the project checks, for every model checker, in matrix order.
pub fn cases() -> Vec<Case> {
    let mut out = Vec::new();
    for checker in Checker::MODEL {
        for &scenario in scenarios_of(checker) {
            for variant in Variant::MATRIX {
                for flow in Flow::ALL {
                    if let Some(expected) = expected(scenario, variant, flow, checker) {
                        out.push(Case {
                            scenario,
                            scope: Scope::Base,
                            variant,
                            cell: None,
                            flow,
                            checker,
                            expected,
                        });
                    }
                }
            }
        }
    }
    out
}

/// The scope ladder's rows: every loom scenario at every rung above [`Scope::Base`]
/// that applies to it ([`Scope::applies`]), for every matrix design and flow the matrix
/// runs, under each exhaustive checker (loom, and `shuttle_dfs` as its cross-check), in
/// ladder order (checker, rung, then matrix order).
pub fn ladder_cases() -> Vec<Case> {
    let mut out = Vec::new();
    for checker in [Checker::Loom, Checker::ShuttleDfs] {
        for scope in Scope::ALL.into_iter().filter(|s| !s.is_base()) {
            for scenario in Scenario::LOOM.into_iter().filter(|s| scope.applies(*s)) {
                for variant in Variant::MATRIX {
                    for flow in Flow::ALL {
                        let rule = rule_in(scenario, scope, variant, flow, checker);
                        if let Some(expected) = rule.expected {
                            out.push(Case {
                                scenario,
                                scope,
                                variant,
                                cell: None,
                                flow,
                                checker,
                                expected,
                            });
                        }
                    }
                }
            }
        }
    }
    out
}

/// Whether this build can run `case`: loom rows need `--cfg loom` (epoch rows need
/// `--cfg crossbeam_loom` too, and are the only rows of that build), shuttle rows (DFS,
/// PCT, random) need
/// `--cfg shuttle`, stress rows the plain std build.
pub fn runnable_here(case: &Case) -> bool {
    match case.checker {
        Checker::Loom => cfg!(loom) && (case.variant == Variant::Epoch) == cfg!(crossbeam_loom),
        Checker::ShuttleDfs | Checker::ShuttlePct | Checker::ShuttleRandom => {
            cfg!(shuttle) && !cfg!(loom)
        }
        Checker::Stress => !cfg!(loom) && !cfg!(shuttle),
        _ => false,
    }
}
