//! `cargo xtask report`: runs every checker, writes `notes/results.md` (matrix, Mermaid
//! diagrams, timelines, timings) and `notes/explorer.html` (the same, to step through),
//! regenerates the growth plot under `notes/figures/`, and
//! rewrites the generated block of `notes/designs.md`.

use crate::cargo::{root, CROSSBEAM_LOOM, LOOM, SHUTTLE, STD};
use crate::leak::{self, LeakArgs};
use crate::runner;
use anyhow::{Context, Result};
use std::fmt::Write;
use swan_credstore_models::record::{Checker, Flow, Outcome, Record, Scope, Variant};
use swan_credstore_models::report::{self, agreement, blocks, side_by_side::side_by_side, text};
use swan_credstore_models::select::Select;

/// Options of `report`.
#[derive(clap::Args)]
pub struct ReportArgs {
    /// Skip the growth sweep (keeps the plot already in notes/figures/).
    #[arg(long)]
    no_leak: bool,
}

/// The generated block of notes/designs.md.
const DESIGNS_BLOCK: &str = "designs";

/// `report`.
pub fn run(args: &ReportArgs) -> Result<bool> {
    let mut records = Vec::new();
    for build in [LOOM, CROSSBEAM_LOOM, SHUTTLE, STD] {
        // The verdict matrix only: the ladder's figures are bench-checkers' (its record).
        let matrix = Select {
            scope: Some(Scope::Base),
            ..Select::default()
        };
        records.extend(runner::rows(build, &matrix)?);
    }
    let notes = root().join("notes");
    let figures = notes.join("figures");
    if !args.no_leak {
        eprintln!("report: growth sweep (cargo xtask leak --out notes/figures) ...");
        leak::run(&LeakArgs {
            out: Some(figures.clone()),
            max_reloads: 100_000,
            prefix_budget: 1e8,
        })?;
    }
    let extra = if figures.join("leak.svg").exists() {
        "## Growth of the store (model)\n\n\
         Stored objects and heap bytes against reloads, both flows (`cargo xtask leak`; \
         table: [figures/leak.md](figures/leak.md)).\n\n![growth plot](figures/leak.svg)\n"
            .to_string()
    } else {
        String::new()
    };
    let ladder = dfs_ladder()?;
    let mut text = report::results_md(&records, &ladder, &extra);
    let real = crate::real::saved_records().unwrap_or_default();
    if !real.is_empty() {
        text.push_str(&real_section(&real, &records));
    }
    text.push_str(&fidelity_section()?);
    let path = notes.join("results.md");
    std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
    eprintln!("report: wrote {}", path.display());
    let page = notes.join("explorer.html");
    std::fs::write(&page, report::explorer::explorer_html(&records, &real))
        .with_context(|| format!("cannot write {}", page.display()))?;
    eprintln!("report: wrote {}", page.display());
    update_designs(&records)?;
    update_readme(&records)?;
    update_reading_loom()?;
    crate::pages::update()?;
    Ok(records.iter().all(Record::as_expected))
}

/// The scope ladder's half of the cross-check: every `shuttle_dfs` row above the matrix
/// (shuttle build), and loom's verdicts on the same rows from its ladder record.
fn dfs_ladder() -> Result<agreement::Ladder> {
    let path = crate::ladder::path();
    let json = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read {}", path.display()))?;
    let loom = agreement::ladder_verdicts(&json)
        .with_context(|| format!("{} is not loom's ladder record", path.display()))?;
    let mut dfs = Vec::new();
    for scope in Scope::ALL.into_iter().filter(|s| !s.is_base()) {
        let rung = Select {
            checker: Some(Checker::ShuttleDfs),
            scope: Some(scope),
            ..Select::default()
        };
        dfs.extend(runner::rows(SHUTTLE, &rung)?);
    }
    Ok(agreement::Ladder { loom, dfs })
}

/// The fidelity section: the last `cargo xtask differential` run per daemon (saved by
/// the command; empty when none was saved), the regression fixtures and what the
/// generator covers. After the timings: not compared by the tests.
fn fidelity_section() -> Result<String> {
    use swan_charon::daemon::Release;
    use swan_charon::differential::{self, gen::DIMENSIONS, Summary};
    let mut rows = Vec::new();
    for release in Release::ALL {
        let path = differential::summary_path(release);
        let Ok(json) = std::fs::read_to_string(&path) else {
            continue;
        };
        let s: Summary = serde_json::from_str(&json)
            .with_context(|| format!("cannot read {}", path.display()))?;
        rows.push(s);
    }
    let mut out = String::from(
        "\n## Fidelity: the generated differential (last `cargo xtask differential` runs; not compared by the tests)\n\n\
         Generated swanctl trees and step sequences applied to the real daemon and to the model, \
         compared after every step (`swan_charon::differential`; one charon per run, checked empty between sequences, \
         a fresh one after a divergence; `stale`: the most stale copies of freed blocks one memory scan rejected).\n\n",
    );
    if rows.is_empty() {
        out.push_str("No saved run: `cargo xtask differential` (root) saves one per daemon.\n");
    } else {
        out.push_str("| daemon | seed | sequences | steps compared | seconds | sequences/min | steps/min | charons started | stale | divergences |\n|---|---|---|---|---|---|---|---|---|---|\n");
        for s in &rows {
            let (sequences_per_min, steps_per_min) = s.per_minute();
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {:.0} | {:.0} | {:.0} | {} | {} | {} |",
                s.daemon,
                s.seed,
                s.sequences,
                s.steps,
                s.seconds,
                sequences_per_min,
                steps_per_min,
                s.restarts,
                s.stale_max,
                match &s.found {
                    None => "0".to_string(),
                    Some(f) => format!(
                        "1 (step {}: {}; {})",
                        f.divergence.step, f.divergence.what, f.saved
                    ),
                }
            );
        }
    }
    out.push_str("\nThe generator covers:\n\n");
    for d in DIMENSIONS {
        let _ = writeln!(out, "- {d}");
    }
    let dir = root().join("tests/data/differential");
    let mut fixtures: Vec<(String, String)> = std::fs::read_dir(&dir)
        .with_context(|| format!("cannot read {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "conf"))
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap_or_default();
            let first = text
                .lines()
                .take_while(|l| l.starts_with('#'))
                .map(|l| l.trim_start_matches('#').trim())
                .collect::<Vec<_>>()
                .join(" ");
            let name = p
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned();
            (name, first)
        })
        .collect();
    fixtures.sort();
    let _ = writeln!(
        out,
        "\nRegression fixtures (`tests/data/differential/`, run on both daemons by the test command): {}.\n",
        fixtures.len()
    );
    for (name, why) in fixtures {
        let _ = writeln!(out, "- `{name}`: {why}");
    }
    Ok(out)
}

/// The saved real rows (last `cargo xtask real-replay` and `cargo xtask real-race`),
/// after the timings: addresses and times differ per run, so the currency tests do not
/// compare them. The forced `real_replay` race is put beside the model's loom
/// counterexample of the same cell, phase by phase.
fn real_section(real: &[Record], model: &[Record]) -> String {
    let mut out = String::from(
        "\n## Real daemons (last `cargo xtask real-replay` and `cargo xtask real-race` runs; not compared by the tests)\n\n\
         Rows with checker `real_replay`: the model's counterexample forced on Debian's stock \
         charon with gdb in non-stop mode, one schedule per run (`interleavings` = 1); the \
         message ends with how many forced runs had the expected outcome. Rows with checker \
         `real_helgrind`: charon under valgrind's helgrind while vici clients reload and \
         list; `interleavings` counts the operations done, `seconds` the time to the first \
         relevant report (or the whole run), and the message carries the hit rate over \
         fresh daemons. See [real-daemon.md](real-daemon.md).\n\n\
         | scenario | variant | flow | checker | expected | outcome | operations | seconds |\n\
         |---|---|---|---|---|---|---|---|\n",
    );
    for r in real {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {:.1} |",
            r.scenario,
            r.variant,
            r.flow,
            r.checker,
            r.expected,
            r.outcome,
            r.interleavings,
            r.seconds
        );
    }
    for r in real.iter().filter(|r| r.checker == Checker::RealReplay) {
        let m = model
            .iter()
            .find(|m| m.checker == Checker::Loom && m.same_cell(r) && m.counterexample.is_some());
        if let Some(m) = m {
            let _ = write!(
                out,
                "\n### The model's interleaving, forced on {} × {} × {}\n\n{}",
                r.scenario,
                r.variant,
                r.flow,
                side_by_side(m, r)
            );
        }
    }
    for r in real.iter().filter(|r| r.counterexample.is_some()) {
        let _ = write!(out, "\n```text\n{}```\n", text::timeline(r));
    }
    out
}

/// The variants in design order, with their row names in notes/performance.md.
const DESIGNS: [(Variant, &str, &str); 7] = [
    (Variant::InPlace, "InPlace (strongSwan ≤ 6.0.0)", ""),
    (
        Variant::NaiveSwap,
        "NaiveSwap (atomic swap, free at once)",
        "",
    ),
    (
        Variant::Locked,
        "Locked (RwLock)",
        "| `Locked`: read lock, `matches` |",
    ),
    (
        Variant::CopyOnWrite,
        "CopyOnWrite (arc-swap)",
        "| `CopyOnWrite` via `read` (`ArcSwap::load`), `matches` |",
    ),
    (
        Variant::Epoch,
        "Epoch (crossbeam-epoch)",
        "| `Epoch`: pin, load, `matches` |",
    ),
    (
        Variant::Immutable,
        "Immutable (upstream fix)",
        "| `Immutable`: `matches` |",
    ),
    (
        Variant::IndexedStore,
        "Immutable in the IndexedStore",
        "| `Immutable`: `matches` |",
    ),
];

/// The ratio column of a row of a generated performance.md block, if present.
fn reader_cost(perf: &str, block: &str, row: &str) -> Option<String> {
    if row.is_empty() {
        return None;
    }
    let line = blocks::content(perf, block)?
        .lines()
        .find(|l| l.starts_with(row))?;
    line.split('|')
        .map(str::trim)
        .find(|c| c.ends_with('×'))
        .map(String::from)
}

fn summary(records: &[&Record], pred: impl Fn(&Record) -> bool) -> String {
    let mut found: Vec<String> = records
        .iter()
        .filter(|r| pred(r))
        .map(|r| {
            format!(
                "{} ({}, #{})",
                r.outcome,
                r.checker,
                r.first_failing.unwrap_or(0)
            )
        })
        .collect();
    found.dedup();
    found.truncate(2);
    found.join("; ")
}

fn designs_block(records: &[Record], perf: &str) -> String {
    let mut out = String::new();
    out.push_str(
        "| design | race under the pre-fix flow? | duplicates under the pre-fix flow? | upstream flow | \
         reader cost (× floor, alone / with a writer) | loom interleavings (rows, total) | loom seconds | shuttle: first failure |\n\
         |---|---|---|---|---|---|---|---|\n",
    );
    for (variant, name, perf_row) in DESIGNS {
        let rows: Vec<&Record> = records.iter().filter(|r| r.variant == variant).collect();
        let pre: Vec<&Record> = rows
            .iter()
            .copied()
            .filter(|r| r.flow == Flow::PreFix)
            .collect();
        let race = summary(&pre, |r| r.outcome == Outcome::Race);
        let dups = summary(&pre, |r| r.outcome == Outcome::Duplicates);
        let upstream_only = matches!(variant, Variant::Immutable | Variant::IndexedStore);
        let race_cell = if upstream_only {
            "no setter: runs the upstream flow only".to_string()
        } else if race.is_empty() {
            "none found within the bounds".to_string()
        } else {
            format!("**yes**: {race}")
        };
        let dup_cell = if upstream_only {
            "—".to_string()
        } else if dups.is_empty() {
            "not reached (the race is reported first)".to_string()
        } else {
            format!("**yes**: {dups}")
        };
        let up = rows
            .iter()
            .filter(|r| r.flow == Flow::UpstreamFix && r.outcome != Outcome::NotRun);
        let (n_up, ok_up) = up.fold((0, 0), |(n, ok), r| {
            (n + 1, ok + usize::from(r.outcome == Outcome::Pass))
        });
        let loom: Vec<&&Record> = rows.iter().filter(|r| r.checker == Checker::Loom).collect();
        let interleavings: u64 = loom.iter().map(|r| r.interleavings).sum();
        let seconds: f64 = loom.iter().map(|r| r.seconds).sum();
        let bound = loom
            .first()
            .map(|r| {
                r.bounds
                    .preemption_bound
                    .map_or("unbounded".into(), |b| format!("≤{b} preemptions"))
            })
            .unwrap_or_default();
        let shuttle = summary(&pre, |r| {
            matches!(r.checker, Checker::ShuttlePct | Checker::ShuttleRandom)
                && r.outcome == Outcome::Race
        });
        let reader = match (
            reader_cost(perf, "read_single", perf_row),
            reader_cost(perf, "read_with_writer", perf_row),
        ) {
            (Some(a), Some(b)) => format!("{a} / {b}"),
            (Some(a), None) => format!("{a} / no writer"),
            _ if perf_row.is_empty() => "never run on real threads".to_string(),
            _ => "run `cargo xtask bench`".to_string(),
        };
        let _ = writeln!(
            out,
            "| {name} | {race_cell} | {dup_cell} | {ok_up}/{n_up} rows pass | {reader} | {} rows, {interleavings} ({bound}) | {seconds:.1} | {} |",
            loom.len(),
            if shuttle.is_empty() { "—".to_string() } else { shuttle }
        );
    }
    out
}

/// The worked counterexample of README.md and notes/reading-loom.md: the timeline of
/// [`report::README_EXAMPLE`] as the checker prints it now.
fn update_readme(records: &[Record]) -> Result<()> {
    let block =
        report::readme_example(records).context("the README's example row is not in the matrix")?;
    for path in [
        root().join("README.md"),
        root().join("notes/reading-loom.md"),
    ] {
        crate::notes::rewrite_blocks(&path, &[(report::README_BLOCK, block.clone())])?;
        eprintln!("report: updated {}", path.display());
    }
    Ok(())
}

fn update_designs(records: &[Record]) -> Result<()> {
    let notes = root().join("notes");
    let path = notes.join("designs.md");
    let perf = std::fs::read_to_string(notes.join("performance.md")).unwrap_or_default();
    crate::notes::rewrite_blocks(&path, &[(DESIGNS_BLOCK, designs_block(records, &perf))])?;
    eprintln!("report: updated {}", path.display());
    Ok(())
}

/// The other blocks of notes/reading-loom.md: the litmus verdicts and its excerpts of
/// the results.md just written. `tests/litmus.rs` computes and checks them; in the loom
/// build, with `LITMUS_WRITE_NOTES` set, it writes them.
fn update_reading_loom() -> Result<()> {
    let status = crate::cargo::cargo(LOOM, &["test", "--release", "-q", "--test", "litmus"])
        .env("LITMUS_WRITE_NOTES", "1")
        .status()
        .context("cannot run tests/litmus.rs")?;
    anyhow::ensure!(
        status.success(),
        "tests/litmus.rs failed while rewriting notes/reading-loom.md"
    );
    let path = root().join("notes/reading-loom.md");
    eprintln!("report: updated {}", path.display());
    Ok(())
}
