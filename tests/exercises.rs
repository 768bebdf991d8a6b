//! The exercises of `notes/exercises.md`: each test proves that the solution in
//! `notes/solutions/` does what its exercise asks.
//!
//! Loom tests run in the `--cfg loom` build (`RUSTFLAGS="--cfg loom" cargo test --release
//! --test exercises`), std tests in the plain build (`tests/exercises_std.rs`); the solution code is included from
//! `notes/solutions/` so that CI checks exactly what the notes show.

// The solutions' code, exactly as the notes show it.
#[cfg(all(loom, not(crossbeam_loom)))]
#[path = "../notes/solutions/clear_then_set.rs"]
mod clear_then_set;

/// Exercises 1–4 under loom.
#[cfg(all(loom, not(crossbeam_loom)))]
mod under_loom {
    use super::clear_then_set::ClearThenSet;
    use swan_credstore::{LoadFn, SubjectCell, Vici};
    use swan_credstore_models::check::{check_cell, CellUnderTest, CheckOptions};
    use swan_credstore_models::expect;
    use swan_credstore_models::loom_check::{check, LoomOptions};
    use swan_credstore_models::record::{
        Checker, Flow, Outcome, Record, Scenario, StepKind, Variant,
    };
    use swan_credstore_models::report::{marks, text};

    fn opts(preemption_bound: Option<usize>) -> LoomOptions {
        LoomOptions {
            preemption_bound,
            record: true,
            full: false,
        }
    }

    /// A matrix row under loom with the given preemption bound.
    fn row(scenario: Scenario, variant: Variant, bound: Option<usize>) -> Record {
        let case = expect::cases()
            .into_iter()
            .find(|c| {
                c.checker == Checker::Loom
                    && c.scenario == scenario
                    && c.variant == variant
                    && c.flow == Flow::PreFix
            })
            .unwrap_or_else(|| panic!("no loom row {scenario} × {variant} × pre_fix"));
        check(&case, &opts(bound))
    }

    /// A cell or flow from outside the matrix, under loom.
    fn custom<C: SubjectCell>(
        scenario: Scenario,
        load: LoadFn<C>,
        flow: Flow,
        expected: Outcome,
        bound: Option<usize>,
    ) -> Record {
        let opts = CheckOptions { loom: opts(bound) };
        let cell = CellUnderTest::with_flow(flow, load);
        let mut records = check_cell(scenario, cell, expected, &opts);
        assert_eq!(records.len(), 1, "one loom record");
        records.remove(0)
    }

    /// Exercise 1: the strongSwan race is found with no preemption at all, in the first
    /// execution, whatever the bound.
    #[test]
    fn ex1_smallest_bound_for_the_in_place_race_is_zero() {
        for bound in [Some(0), Some(1), Some(2), None] {
            let r = row(Scenario::ReloadVsLookup, Variant::InPlace, bound);
            assert_eq!(r.outcome, Outcome::Race, "bound {bound:?}");
            assert!(r
                .message
                .as_deref()
                .unwrap()
                .contains("Causality violation"));
            assert_eq!(r.first_failing, Some(1), "bound {bound:?}");
            assert_eq!(r.interleavings, 1, "bound {bound:?}");
            assert_eq!(r.bounds.preemption_bound, bound);
        }
    }

    /// Exercise 1: what the bound trades — a passing row explores more interleavings as
    /// the bound grows, and at bound 0 a pass rests on one single execution.
    #[test]
    fn ex1_interleavings_of_a_pass_grow_with_the_bound() {
        let counts: Vec<u64> = [Some(0), Some(1), Some(2), Some(3), None]
            .into_iter()
            .map(|b| {
                let r = row(Scenario::ReloadVsLookup, Variant::Locked, b);
                assert_eq!(r.outcome, Outcome::Pass, "bound {b:?}");
                assert_eq!(r.bounds.exhaustive, b.is_none());
                r.interleavings
            })
            .collect();
        println!("ex1: locked × reload_vs_lookup interleavings at bounds 0, 1, 2, 3, unbounded: {counts:?}");
        assert_eq!(counts[0], 1, "bound 0: one execution, no preemption");
        // The table of notes/solutions/1-preemption-bound.md (allow-listed as asserted).
        const TABLE_ROW: &str = "| interleavings (`locked`, pass) | 1 | 14 | 54 | 153 | 1173 |";
        let md = include_str!("../notes/solutions/1-preemption-bound.md");
        let now: Vec<String> = counts.iter().map(u64::to_string).collect();
        assert!(
            md.contains(TABLE_ROW),
            "notes/solutions/1-preemption-bound.md lacks {TABLE_ROW:?}"
        );
        assert_eq!(
            TABLE_ROW,
            format!("| interleavings (`locked`, pass) | {} |", now.join(" | ")),
            "notes/solutions/1-preemption-bound.md's table is stale"
        );
        assert!(
            counts.windows(2).all(|w| w[0] < w[1]),
            "counts must grow with the bound: {counts:?}"
        );
    }

    /// Exercise 1, part 3: an atomicity violation needs one preemption — invisible at
    /// bound 0, found at bound 1 and without a bound.
    #[test]
    fn ex1_clear_then_set_bounds() {
        let load: LoadFn<ClearThenSet> = Vici::<ClearThenSet>::load_conn_pre_fix;
        let at = |b| {
            custom(
                Scenario::ReloadVsListCerts,
                load,
                Flow::PreFix,
                Outcome::Race,
                b,
            )
        };
        let zero = at(Some(0));
        assert_eq!(zero.outcome, Outcome::Pass, "{:?}", zero.message);
        assert_eq!(zero.interleavings, 1);
        for bound in [Some(1), None] {
            let r = at(bound);
            assert_eq!(r.outcome, Outcome::Race, "bound {bound:?}");
            let msg = r.message.as_deref().unwrap();
            assert!(msg.starts_with("torn read:"), "{msg}");
            assert!(msg.contains("%any"), "{msg}");
            assert!(r.first_failing.unwrap() > 1);
            println!(
                "ex1: clear_then_set at bound {bound:?}: race at interleaving #{}",
                r.first_failing.unwrap()
            );
        }
    }

    /// The race of exercise 1, part 3, alone: used by `notes/reading-loom.md` to show how
    /// loom's checkpoint file re-runs one failing interleaving. Without loom's
    /// environment variables it is an ordinary check; run it alone (`--exact`) with
    /// `LOOM_CHECKPOINT_FILE` and `LOOM_CHECKPOINT_INTERVAL=1` twice: the first run
    /// stores the failing execution's path, the second starts from it and fails at once.
    #[test]
    fn ex1_clear_then_set_alone() {
        let r = custom(
            Scenario::ReloadVsListCerts,
            Vici::<ClearThenSet>::load_conn_pre_fix,
            Flow::PreFix,
            Outcome::Race,
            None,
        );
        assert_eq!(r.outcome, Outcome::Race, "{:?}", r.message);
        println!(
            "race at interleaving #{} ({} explored)\n{}",
            r.first_failing.unwrap(),
            r.interleavings,
            text::timeline(&r)
        );
    }

    /// One step of a timeline: (seq, thread, "op: detail").
    type Step = (usize, String, String);

    /// The steps of the timeline pasted in `notes/exercises.md` for exercise 4, and which
    /// of them carry `>>`.
    fn pasted_timeline() -> (Vec<Step>, Vec<usize>) {
        let md = include_str!("../notes/exercises.md");
        let start = md
            .find("<!-- generated:exercise-4-timeline -->")
            .expect("exercise 4's timeline marker");
        let block = &md[start..];
        let block = &block[block.find("```text").expect("a text block") + 7..];
        let block = &block[..block.find("```").expect("end of block")];
        let (mut steps, mut marked) = (Vec::new(), Vec::new());
        for line in block.lines() {
            let t = line.trim_start();
            let (mark, t) = match t.strip_prefix(">>") {
                Some(rest) => (true, rest.trim_start()),
                None => (false, t),
            };
            let mut parts = t.splitn(2, char::is_whitespace);
            let Some(Ok(seq)) = parts.next().map(str::parse::<usize>) else {
                continue;
            };
            let rest = parts.next().unwrap_or("").trim_start();
            let (thread, what) = rest.split_once(char::is_whitespace).unwrap();
            steps.push((seq, thread.to_string(), what.trim().to_string()));
            if mark {
                marked.push(seq);
            }
        }
        (steps, marked)
    }

    /// Exercise 4: the pasted counterexample is what the checker produces today, the
    /// racing pair is the one the solution names (steps 22 and 36), and the store's lock
    /// was held by the reader and released by the writer before its write.
    #[test]
    fn ex4_the_pasted_counterexample_and_its_racing_pair() {
        let r = row(Scenario::ReloadVsListCerts, Variant::InPlace, None);
        assert_eq!(r.outcome, Outcome::Race);
        let steps: Vec<Step> = r
            .counterexample
            .as_ref()
            .unwrap()
            .iter()
            .filter(|s| s.kind != StepKind::Spawn)
            .map(|s| (s.seq, s.thread.clone(), format!("{}: {}", s.op, s.detail)))
            .map(|(n, t, w)| (n, t, w.trim().to_string()))
            .collect();
        let (pasted, marked) = pasted_timeline();
        assert_eq!(
            pasted, steps,
            "the timeline in notes/exercises.md is stale: regenerate it"
        );
        assert_eq!(marked, marks::flagged(&r), "the >> marks");
        assert_eq!(marked, vec![22, 36]);

        // loom's report: the write is the pointer store of set_subject, the read the
        // pointer load of a reader — the two lines of src/subject/in_place.rs.
        let msg = r.message.as_deref().unwrap();
        let src = include_str!("../src/subject/in_place.rs");
        let line_of = |needle: &str| {
            src.lines()
                .position(|l| l.contains(needle))
                .map(|i| i + 1)
                .unwrap_or_else(|| panic!("{needle} not in in_place.rs"))
        };
        let write_line = line_of("self.current.with_mut(|p| unsafe { *p = new });");
        let read_line = line_of("let ptr = self.current.with(|p| unsafe { *p });");
        assert!(
            msg.contains(&format!(
                "write: thread #1 @ src/subject/in_place.rs:{write_line}:"
            )),
            "{msg}"
        );
        assert!(
            msg.contains(&format!(
                "read: thread #2 @ src/subject/in_place.rs:{read_line}:"
            )),
            "{msg}"
        );

        // The pasted report names the same two lines (it is inside a generated block,
        // which the number test skips, so this is what keeps it current).
        let md = include_str!("../notes/exercises.md");
        let block = &md[md.find("<!-- generated:exercise-4-timeline -->").unwrap()..];
        let block = &block[..block
            .find("<!-- /generated:exercise-4-timeline -->")
            .unwrap()];
        for (access, line) in [("write:", write_line), ("read:", read_line)] {
            let at = format!("src/subject/in_place.rs:{line}:");
            assert!(
                block.lines().any(
                    |l| l.trim_start_matches([' ', '|']).starts_with(access) && l.contains(&at)
                ),
                "the pasted report in notes/exercises.md must name {access} {at}: regenerate it"
            );
        }

        let step = |seq: usize| steps.iter().find(|s| s.0 == seq).unwrap();
        // The racing pair the solution names.
        let (_, t, w) = step(22);
        assert_eq!(t, "vici-reload");
        assert!(w.starts_with("set_subject: store clone: cert#4 subject := id#6"));
        let (_, t, w) = step(36);
        assert_eq!(t, "vici-list-certs");
        assert_eq!(w, "load subject pointer: cert#4.subject");
        // They are the last write of the writer and the last read of the reader to
        // cert#4's subject pointer.
        assert!(!steps
            .iter()
            .any(|s| s.0 > 22 && s.1 == "vici-reload" && s.2.starts_with("set_subject")));
        // Why the store's lock does not order them: the reader holds the store's read
        // lock (step 33) before it reads; the writer's last store operation
        // (add_cert_ref, steps 13–18) ended before its write at step 22.
        assert_eq!(step(33).2, "list-certs: take read lock:");
        let last_store_op = steps
            .iter()
            .filter(|s| s.1 == "vici-reload" && s.2.starts_with("add_cert_ref"))
            .map(|s| s.0)
            .max()
            .unwrap();
        assert_eq!(last_store_op, 18);
        // Nothing overlapped: the reload finished (32) before list-certs began (33).
        assert!(steps
            .iter()
            .filter(|s| s.1 == "vici-reload")
            .all(|s| s.0 <= 32));
    }
}
