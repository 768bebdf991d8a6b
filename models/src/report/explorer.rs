//! `notes/explorer.html`: the matrix and every counterexample as one self-contained page
//! (no network, nothing to build). The page is a fixed template ([`TEMPLATE`]) and one
//! JSON row per record, computed here: steps with their kind and marks, the
//! synchronises-with edges ([`hb`]), the racing pair and the freed identity, the heap
//! objects from the step that names each to its free, the explanation the text report
//! prints, and for a forced real run the model's row beside it. The page's script only
//! draws what the rows say; it decides nothing by a step's text.

use super::{hb, marks, order, side_by_side, text};
use crate::record::{Checker, Outcome, Record, StepKind, StepRecord};
use serde::Serialize;

/// The page: HTML, CSS and script, with `/*ROWS*/` where the rows go.
pub const TEMPLATE: &str = include_str!("explorer.html");

/// Rows whose timeline is longer than this keep only the steps the text report shows.
const MAX_STEPS: usize = 400;

/// One step as the page draws it.
#[derive(Serialize)]
struct Step<'a> {
    seq: usize,
    thread: &'a str,
    /// The step's kind, as serialised (`alloc`, `free`, `acquire`, …).
    kind: String,
    op: &'a str,
    detail: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    object: Option<&'a str>,
    /// `>>` in the text report: the checker's own pair, or where duplicates entered.
    #[serde(skip_serializing_if = "Option::is_none")]
    mark: Option<&'static str>,
}

/// A synchronises-with edge.
#[derive(Serialize)]
struct Edge {
    from_thread: String,
    from_step: usize,
    to_thread: String,
    to_step: usize,
    text: String,
}

/// A heap object the steps name: from the first step that names it, freed at `freed`.
#[derive(Serialize)]
struct Object {
    object: String,
    first: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    freed: Option<usize>,
    /// Steps of another thread than the freeing one that read it after its free.
    late_reads: Vec<usize>,
}

/// The racing pair and what it is about.
#[derive(Serialize)]
struct Race {
    /// The earlier and the later step of the pair.
    pair: (usize, usize),
    /// Whether happens-before orders the earlier before the later (never, for a race
    /// the checker reported).
    ordered: bool,
    /// The identity freed for this race and the step that freed it, if one was.
    #[serde(skip_serializing_if = "Option::is_none")]
    freed: Option<(String, usize)>,
    /// That free and the reader's step, in words ([`marks::freed_words`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    freed_words: Option<String>,
}

/// One row of the page.
#[derive(Serialize)]
struct Row<'a> {
    id: String,
    title: String,
    scenario: String,
    variant: String,
    flow: String,
    checker: String,
    expected: String,
    outcome: String,
    /// `null` for checkers whose counts are timings.
    #[serde(skip_serializing_if = "Option::is_none")]
    interleavings: Option<u64>,
    bounds: String,
    meaning: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<&'a str>,
    /// `counterexample`, `witness` (a pass's kept execution) or `none`.
    steps_are: &'static str,
    /// Which execution the steps are, in words.
    steps_note: String,
    omitted: usize,
    threads: Vec<&'a str>,
    steps: Vec<Step<'a>>,
    edges: Vec<Edge>,
    #[serde(skip_serializing_if = "Option::is_none")]
    race: Option<Race>,
    heap: Vec<Object>,
    explanation: String,
    /// A forced real run: the id of the model row it forces, and the two side by side.
    #[serde(skip_serializing_if = "Option::is_none")]
    beside: Option<(String, String)>,
}

/// A row's id in the page (`reload_vs_lookup.in_place.pre_fix.loom`): its hash.
pub fn id(r: &Record) -> String {
    format!(
        "{}.{}.{}.{}",
        r.scenario,
        text::variant(r),
        r.flow,
        r.checker
    )
}

fn heap(steps: &[StepRecord]) -> Vec<Object> {
    let mut out: Vec<Object> = Vec::new();
    for s in steps {
        let Some(o) = &s.object else { continue };
        let i = match out.iter().position(|x| &x.object == o) {
            Some(i) => i,
            None => {
                out.push(Object {
                    object: o.clone(),
                    first: s.seq,
                    freed: None,
                    late_reads: vec![],
                });
                out.len() - 1
            }
        };
        let obj = &mut out[i];
        if s.kind == StepKind::Free && obj.freed.is_none() {
            obj.freed = Some(s.seq);
        } else if s.kind.is_read() && obj.freed.is_some() {
            let freer = steps.iter().find(|f| Some(f.seq) == obj.freed);
            if freer.is_some_and(|f| f.thread != s.thread) {
                obj.late_reads.push(s.seq);
            }
        }
    }
    out
}

fn kind_name(k: StepKind) -> String {
    serde_json::to_value(k)
        .ok()
        .and_then(|v| v.get("kind").and_then(|k| k.as_str()).map(str::to_string))
        .unwrap_or_default()
}

fn row<'a>(r: &'a Record, model: &'a [Record]) -> Row<'a> {
    let (all, steps_are) = if !r.steps().is_empty() {
        (r.steps(), "counterexample")
    } else if !r.witness_steps().is_empty() {
        (r.witness_steps(), "witness")
    } else {
        (&[][..], "none")
    };
    let flagged = if steps_are == "counterexample" {
        marks::flagged(r)
    } else {
        vec![]
    };
    let shown = if all.len() > MAX_STEPS {
        text::shown_steps(r)
    } else {
        all.iter().map(|s| s.seq).collect()
    };
    let order = hb::HappensBefore::of(all);
    let pair = marks::racing_pair(r);
    let mut threads: Vec<&str> = Vec::new();
    for s in all {
        if !threads.contains(&s.thread.as_str()) {
            threads.push(&s.thread);
        }
    }
    let steps = all
        .iter()
        .filter(|s| shown.contains(&s.seq))
        .map(|s| Step {
            seq: s.seq,
            thread: &s.thread,
            kind: kind_name(s.kind),
            op: &s.op,
            detail: &s.detail,
            object: s.object.as_deref(),
            mark: flagged.contains(&s.seq).then(|| marks::mark(s.kind)),
        })
        .collect();
    let edges = order
        .edges
        .iter()
        .filter_map(|e| {
            Some(Edge {
                from_thread: e.from_thread.clone(),
                from_step: e.from_step,
                to_thread: e.to_thread.clone(),
                to_step: e.to_step?,
                text: hb::edge_text(e),
            })
        })
        .collect();
    let race = pair.map(|(a, b)| {
        let (x, y) = (a.min(b), a.max(b));
        Race {
            pair: (x, y),
            ordered: order.ordered(x, y),
            freed: marks::freed_for(all, &flagged, pair).and_then(|n| {
                let s = all.iter().find(|s| s.seq == n)?;
                Some((s.object.clone()?, n))
            }),
            freed_words: marks::freed_for(all, &flagged, pair)
                .and_then(|f| marks::freed_words(all, f, (x, y))),
        }
    });
    let race = race.or_else(|| {
        // A forced real run marks its free, load and read: the pair is the free and the
        // reader's last flagged step.
        let f = marks::freed_for(all, &flagged, None)?;
        let s = all.iter().find(|s| s.seq == f)?;
        let last = *flagged.last()?;
        (r.outcome == Outcome::Race && last != f).then(|| Race {
            pair: (f, last),
            ordered: false,
            freed: Some((s.object.clone().unwrap_or_default(), f)),
            freed_words: marks::freed_words(all, f, (f, last)),
        })
    });
    let explanation = match steps_are {
        "witness" => order::explain_pass(r).unwrap_or_default(),
        _ => {
            let mut t = pair.map_or(String::new(), |p| hb::explain(all, &order, p));
            t.push_str(&side_by_side::held(all).unwrap_or_default());
            t
        }
    };
    let beside = (r.checker == Checker::RealReplay)
        .then(|| {
            model.iter().find(|m| {
                m.checker == Checker::Loom && m.same_cell(r) && m.counterexample.is_some()
            })
        })
        .flatten()
        .map(|m| (id(m), side_by_side::side_by_side(m, r)));
    let steps_note = match (steps_are, &r.witness) {
        ("witness", Some(w)) if w.concurrent => format!(
            "interleaving #{} of {}, the first in which a thread read an object another running thread made, published or freed (no failure)",
            w.execution, r.interleavings
        ),
        ("witness", _) => "the last interleaving explored (no failure)".to_string(),
        _ if r.checker.deterministic_counts() => format!(
            "the failing interleaving (#{})",
            r.first_failing.unwrap_or(0)
        ),
        _ if r.checker == Checker::RealReplay => "the run gdb forced".to_string(),
        _ => "the accesses the checker reported".to_string(),
    };
    Row {
        id: id(r),
        steps_note,
        title: super::title(r),
        scenario: r.scenario.to_string(),
        variant: text::variant(r),
        flow: r.flow.to_string(),
        checker: r.checker.to_string(),
        expected: r.expected.to_string(),
        outcome: r.outcome.to_string(),
        interleavings: r.checker.deterministic_counts().then_some(r.interleavings),
        bounds: text::bounds(r),
        meaning: marks::meaning(r),
        message: r
            .message
            .as_deref()
            .filter(|_| r.checker.deterministic_counts()),
        steps_are,
        omitted: all.len() - shown.len(),
        threads,
        steps,
        edges,
        race,
        heap: heap(all),
        explanation,
        beside,
    }
}

/// One record as the line the page carries (`<` escaped, so no text ends the script).
pub fn row_json(r: &Record, model: &[Record]) -> String {
    serde_json::to_string(&row(r, model))
        .expect("rows serialise")
        .replace('<', "\\u003c")
}

/// The page for `records` (the model's rows) and `real` (the forced real runs and
/// helgrind's rows, shown after them).
pub fn explorer_html(records: &[Record], real: &[Record]) -> String {
    let rows: Vec<String> = records
        .iter()
        .chain(real)
        .map(|r| row_json(r, records))
        .collect();
    TEMPLATE.replace("/*ROWS*/", &format!("\n{}\n", rows.join(",\n")))
}

/// The rows of `records` whose line is not in the committed page `html`.
pub fn missing_from(html: &str, records: &[Record]) -> Vec<String> {
    let lines: std::collections::HashSet<&str> =
        html.lines().map(|l| l.trim_end_matches(',')).collect();
    records
        .iter()
        .filter(|r| !lines.contains(row_json(r, records).as_str()))
        .map(super::title)
        .collect()
}
