//! The grader of notes/exercises.md: it runs the student's answer slots in `exercises/`
//! under loom and says, for each exercise, *not answered yet*, *right* or *wrong* — and
//! when wrong, what the checker saw and a hint.
//!
//! `your_answers` grades the slots: it fails exactly when an answer is wrong (an empty
//! slot is reported and passes, so CI stays green on the committed skeletons). The other
//! tests grade the reference answers of `notes/solutions/` (they must be right), known
//! wrong answers (they must be wrong, with the lesson asserted) and empty answers (not
//! answered). Run (loom build):
//!
//! ```sh
//! RUSTFLAGS="--cfg loom" CARGO_TARGET_DIR=target/loom cargo test --release --test grading -- --nocapture your_answers
//! ```
#![cfg(all(loom, not(crossbeam_loom)))]

#[path = "../exercises/ex1.rs"]
mod ex1;
#[path = "../exercises/ex2.rs"]
mod ex2;
#[path = "../exercises/ex3.rs"]
mod ex3;
#[path = "../exercises/ex4.rs"]
mod ex4;

#[path = "../notes/solutions/answers.rs"]
mod answers;
#[path = "../notes/solutions/clear_then_set.rs"]
mod clear_then_set;
#[path = "../notes/solutions/half_applied_fix.rs"]
mod half_applied_fix;
#[path = "../notes/solutions/my-cell/src/lib.rs"]
mod my_cell;

use swan_credstore::{Immutable, LoadFn, SubjectCell, Vici};
use swan_credstore_models::check::{check_cell, CellUnderTest, CheckOptions, VACUOUS};
use swan_credstore_models::loom_check::{check, LoomOptions};
use swan_credstore_models::record::{Checker, Flow, Outcome, Record, Scenario, Variant};

/// A grade, with what to tell the student.
#[derive(Debug)]
enum Grade {
    NotAnswered(String),
    Right(String),
    Wrong(String),
}

fn opts(bound: Option<usize>) -> LoomOptions {
    LoomOptions {
        preemption_bound: bound,
        record: true,
        full: false,
    }
}

fn matrix_row(scenario: Scenario, variant: Variant, bound: Option<usize>) -> Record {
    let case = swan_credstore_models::expect::cases()
        .into_iter()
        .find(|c| {
            c.checker == Checker::Loom
                && c.scenario == scenario
                && c.variant == variant
                && c.flow == Flow::PreFix
        })
        .expect("a loom row");
    check(&case, &opts(bound))
}

fn custom<C: SubjectCell>(
    scenario: Scenario,
    load: LoadFn<C>,
    flow: Flow,
    bound: Option<usize>,
) -> Record {
    let opts = CheckOptions { loom: opts(bound) };
    let mut records = check_cell(
        scenario,
        CellUnderTest::with_flow(flow, load),
        Outcome::Pass,
        &opts,
    );
    records.remove(0)
}

/// A slot still holding its `todo!("not answered: …")`.
fn unanswered(r: &Record) -> bool {
    r.message
        .as_deref()
        .is_some_and(|m| m.contains("not answered"))
}

/// The smallest bound in 0..=3 at which `run` reports something other than a pass.
fn smallest_failing(run: impl Fn(Option<usize>) -> Record) -> (usize, Vec<u64>) {
    let mut explored = Vec::new();
    for b in 0..=3 {
        let r = run(Some(b));
        if r.outcome != Outcome::Pass {
            return (b, explored);
        }
        explored.push(r.interleavings);
    }
    panic!("no race up to bound 3: the exercise's rows have changed")
}

/// Exercise 1: the two smallest bounds.
fn grade_ex1(in_place: Option<usize>, clear_then_set: Option<usize>) -> Grade {
    let (Some(a), Some(b)) = (in_place, clear_then_set) else {
        return Grade::NotAnswered("exercise 1: set both constants in exercises/ex1.rs".into());
    };
    let (truth_a, _) =
        smallest_failing(|bound| matrix_row(Scenario::ReloadVsLookup, Variant::InPlace, bound));
    if a != truth_a {
        return Grade::Wrong(format!(
            "exercise 1, part 1: you said {a}, but loom reports the race already at bound {truth_a}, \
             in its first execution. A data race needs no preemption: loom flags two accesses that \
             no lock or atomic orders, in whichever order they ran. Hint: look at `first_failing` \
             at bound 0."
        ));
    }
    let load: LoadFn<clear_then_set::ClearThenSet> = Vici::load_conn_pre_fix;
    let (truth_b, explored) =
        smallest_failing(|bound| custom(Scenario::ReloadVsListCerts, load, Flow::PreFix, bound));
    if b != truth_b {
        return Grade::Wrong(format!(
            "exercise 1, part 3: you said {b}, but loom first catches clear_then_set at bound \
             {truth_b} (it passed below, after {explored:?} interleavings). Every access is \
             locked, so this is no data race: the reader must run between the setter's two \
             critical sections, and only a preemption puts it there. Count the preemptions \
             that schedule needs."
        ));
    }
    Grade::Right(format!("exercise 1: right ({truth_a} and {truth_b})"))
}

/// Exercise 2: a cell that passes both reader scenarios, exhaustively and visibly.
fn grade_ex2<C: swan_credstore::MutableSubject>() -> Grade {
    for scenario in [Scenario::ReloadVsLookup, Scenario::ReloadVsListCerts] {
        let r = custom(scenario, Vici::<C>::load_conn_pre_fix, Flow::PreFix, None);
        if unanswered(&r) {
            return Grade::NotAnswered("exercise 2: write MyCell in exercises/ex2.rs".into());
        }
        let msg = r.message.as_deref().unwrap_or("");
        if msg.starts_with(VACUOUS) {
            return Grade::Wrong(format!(
                "exercise 2: your cell is refused in {scenario}: {msg}"
            ));
        }
        if r.outcome == Outcome::Pass && !r.bounds.exhaustive {
            return Grade::Wrong(format!(
                "exercise 2: {scenario} passed, but not exhaustively (preemption bound {:?}); \
                 a pass must cover every interleaving",
                r.bounds.preemption_bound
            ));
        }
        if r.outcome != Outcome::Pass {
            let at = r
                .first_failing
                .map_or(String::new(), |n| format!("; first failing execution #{n}"));
            return Grade::Wrong(format!(
                "exercise 2: your cell fails {scenario} ({}{at}): {msg}\n\
                 Hint: a reader must never touch an identity the setter can free or change; \
                 give readers a reference of their own, or exclude the setter while they read.",
                r.outcome
            ));
        }
    }
    Grade::Right("exercise 2: right (passes both reader scenarios, exhaustively)".into())
}

/// Exercise 3: a flow that stores duplicates under `concurrent_reloads` with `Immutable`.
fn grade_ex3(load: LoadFn<Immutable>) -> Grade {
    let r = custom(Scenario::ConcurrentReloads, load, Flow::UpstreamFix, None);
    if unanswered(&r) {
        return Grade::NotAnswered("exercise 3: write `broken` in exercises/ex3.rs".into());
    }
    match r.outcome {
        Outcome::Duplicates => Grade::Right(format!(
            "exercise 3: right ({})",
            r.message.as_deref().unwrap_or("")
        )),
        Outcome::Pass => Grade::Wrong(format!(
            "exercise 3: concurrent_reloads found no duplicate in any of {} interleavings: your \
             flow stores one object per key, as the fix does. Hint: what did parse_pubkeys do \
             with each key before the fix, and what does the fixed code add later?",
            r.interleavings
        )),
        other => Grade::Wrong(format!(
            "exercise 3: the check ended `{other}`, not `duplicates`: {}",
            r.message.as_deref().unwrap_or("")
        )),
    }
}

/// Exercise 4: the racing pair's lines, the order of the threads, and what orders them.
fn grade_ex4(
    write_at: &str,
    read_at: &str,
    done_before: Option<bool>,
    ordered: Option<bool>,
) -> Grade {
    let (Some(done_before), Some(ordered)) = (done_before, ordered) else {
        return Grade::NotAnswered("exercise 4: fill exercises/ex4.rs".into());
    };
    if write_at.is_empty() || read_at.is_empty() {
        return Grade::NotAnswered("exercise 4: fill WRITE_AT and READ_AT".into());
    }
    // `file:line`, also when given as loom prints it, `file:line:column`.
    let file_line = |at: &str| -> String {
        let parts: Vec<&str> = at.trim().split(':').collect();
        parts[..parts.len().min(2)].join(":")
    };
    let (write_at, read_at) = (file_line(write_at), file_line(read_at));
    let r = matrix_row(Scenario::ReloadVsListCerts, Variant::InPlace, None);
    let msg = r.message.as_deref().unwrap_or("");
    let named = |access: &str, at: &str| {
        msg.lines().any(|l| {
            let l = l.trim();
            l.starts_with(access) && l.contains(&format!(" @ {at}:"))
        })
    };
    if !named("write:", &write_at) || !named("read:", &read_at) {
        return Grade::Wrong(format!(
            "exercise 4, question 1: loom's report names other lines than write {write_at} and \
             read {read_at}. Read its `read:` and `write:` lines (file:line:column), and check in \
             the source that one is a store of the subject pointer and the other a load:\n{msg}"
        ));
    }
    let steps = r.counterexample.as_deref().unwrap_or_default();
    let last = |t: &str| steps.iter().filter(|s| s.thread == t).map(|s| s.seq).max();
    let first = |t: &str| steps.iter().filter(|s| s.thread == t).map(|s| s.seq).min();
    let truth = last("vici-reload") < first("vici-list-certs");
    if done_before != truth {
        return Grade::Wrong(format!(
            "exercise 4, question 2: look at the sequence numbers again: the reload's last step \
             is {:?}, list-certs' first {:?}.",
            last("vici-reload"),
            first("vici-list-certs")
        ));
    }
    if ordered {
        return Grade::Wrong(
            "exercise 4, question 3: loom reports a causality violation only for two accesses \
             that nothing orders. Does the writer hold any lock at its write? Which lock does \
             the reader hold at its read, and who else takes that lock, and when?"
                .into(),
        );
    }
    Grade::Right("exercise 4: right".into())
}

fn all_grades() -> Vec<Grade> {
    vec![
        grade_ex1(
            ex1::IN_PLACE_SMALLEST_BOUND,
            ex1::CLEAR_THEN_SET_SMALLEST_BOUND,
        ),
        grade_ex2::<ex2::MyCell>(),
        grade_ex3(ex3::broken::<Immutable, _>),
        grade_ex4(
            ex4::WRITE_AT,
            ex4::READ_AT,
            ex4::RELOAD_DONE_BEFORE_LIST,
            ex4::ORDERED_BY_A_LOCK,
        ),
    ]
}

/// Grades the answer slots: fails exactly when an answer is wrong.
#[test]
fn your_answers() {
    let grades = all_grades();
    let mut wrong = Vec::new();
    for g in &grades {
        match g {
            Grade::NotAnswered(m) => println!("not answered yet — {m}"),
            Grade::Right(m) => println!("{m}"),
            Grade::Wrong(m) => wrong.push(m.clone()),
        }
    }
    assert!(wrong.is_empty(), "\n\n{}\n", wrong.join("\n\n"));
}

/// The reference answers of notes/solutions/ are graded right.
#[test]
fn the_reference_answers_are_right() {
    let grades = [
        grade_ex1(
            answers::IN_PLACE_SMALLEST_BOUND,
            answers::CLEAR_THEN_SET_SMALLEST_BOUND,
        ),
        grade_ex2::<my_cell::SnapshotCell>(),
        grade_ex3(half_applied_fix::load_conn_half_fixed::<Immutable, _>),
        grade_ex4(
            answers::WRITE_AT,
            answers::READ_AT,
            answers::RELOAD_DONE_BEFORE_LIST,
            answers::ORDERED_BY_A_LOCK,
        ),
    ];
    for g in grades {
        assert!(matches!(g, Grade::Right(_)), "{g:?}");
    }
    // Exercise 2's last question: no cell stops the pre-fix flow's duplicates.
    let dup = custom(
        Scenario::ConcurrentReloads,
        Vici::<my_cell::SnapshotCell>::load_conn_pre_fix,
        Flow::PreFix,
        None,
    );
    assert_eq!(dup.outcome, Outcome::Duplicates, "{:?}", dup.message);
}

/// A wrong answer to exercise 2 that loom cannot see (the identity behind a
/// `std::sync::Mutex`), so its pass would prove nothing.
#[path = "cells/std_mutex.rs"]
mod std_mutex;
use std_mutex::StdMutexCell;

/// Wrong answers fail, each with its lesson; empty answers are not answered.
#[test]
fn wrong_answers_fail_with_a_lesson_and_empty_ones_are_not_answered() {
    let lesson = |g: Grade, needle: &str| match g {
        Grade::Wrong(m) => assert!(m.contains(needle), "{m}"),
        other => panic!("want wrong ({needle}), got {other:?}"),
    };
    lesson(grade_ex1(Some(1), Some(1)), "needs no preemption");
    lesson(
        grade_ex1(Some(0), Some(0)),
        "only a preemption puts it there",
    );
    lesson(grade_ex2::<my_cell::HalfLocked>(), "Causality violation");
    lesson(grade_ex2::<StdMutexCell>(), VACUOUS);
    let refused = format!("{:?}", grade_ex2::<StdMutexCell>());
    assert!(!refused.contains("Hint: a reader"), "{refused}");
    lesson(
        grade_ex3(Vici::<Immutable>::load_conn_upstream_fix),
        "no duplicate",
    );
    let (w, r) = (answers::WRITE_AT, answers::READ_AT);
    lesson(grade_ex4(r, w, Some(true), Some(false)), "question 1");
    // As loom prints it, with the column, is still right.
    let with_col = |at: &str| format!("{at}:7");
    assert!(matches!(
        grade_ex4(&with_col(w), &with_col(r), Some(true), Some(false)),
        Grade::Right(_)
    ));
    lesson(grade_ex4(w, r, Some(false), Some(false)), "question 2");
    lesson(grade_ex4(w, r, Some(true), Some(true)), "question 3");
    for g in [
        grade_ex1(None, Some(1)),
        grade_ex2::<ex2::MyCell>(),
        grade_ex3(ex3::broken::<Immutable, _>),
        grade_ex4("", "", None, None),
    ] {
        assert!(matches!(g, Grade::NotAnswered(_)), "{g:?}");
    }
}
