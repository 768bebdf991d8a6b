//! `cargo xtask mutants`: how much of the model the tests would notice changing.
//!
//! cargo-mutants rewrites one function or operator of the model at a time (a mutant)
//! and runs a fast test profile against it; a mutant the tests still pass is a
//! *survivor*. Two passes:
//!
//! 1. **std**: every mutant of [`FILES`] against the std model tests ([`STD_TESTS`]:
//!    the semantics, store, swanctl and litmus tests, the stress checker, the
//!    differential fixtures' parser tests) in a debug build without debug info.
//! 2. **loom**: the std pass's survivors only, against the loom scenarios
//!    (`tests/loom_matrix.rs`, `tests/custom_cell.rs` in `--cfg loom`), in an
//!    optimised build: what only an interleaving can catch.
//!
//! The real daemons are out of the profile (they take minutes per run). A survivor of
//! both passes is either caught by a new test or listed, with why it is equivalent (no
//! test could tell it from the original), in `notes/mutants.md`: its lines are
//! `` - `FILE: replace … with …`: why ``, the mutant's name without its line and column,
//! so that the list survives edits above it. The report is `target/reports/mutants.md`;
//! the command fails if fewer than [`GOAL`] per cent of the viable mutants are caught
//! or a survivor is not accounted for.

use crate::cargo::root;
use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

/// The model's files under mutation (the negative controls and the checkers'
/// bookkeeping — trace, heap oracle, sync facade — are not the model).
pub const FILES: &[&str] = &[
    "src/identity.rs",
    "src/pubkey.rs",
    "src/cert.rs",
    "src/subject/*.rs",
    "src/store.rs",
    "src/indexed_store.rs",
    "src/vici.rs",
    "src/vici/*.rs",
    "src/swanctl/*.rs",
];

/// The std pass's tests: the library's unit tests and these integration tests.
pub const STD_TESTS: &[&str] = &[
    "model_semantics",
    "designs_std",
    "indexed_store",
    "swanctl_config",
    "litmus",
    "exercises_std",
    "stress",
    "custom_cell",
    "bookkeeping_invisible",
    "recorder_invisible",
];

/// The loom pass's tests.
pub const LOOM_TESTS: &[&str] = &["loom_matrix", "custom_cell"];

/// The mutation score the command requires, in per cent of viable mutants.
pub const GOAL: f64 = 95.0;

/// The cargo-mutants release this command installs when none is on the machine.
const CARGO_MUTANTS: &str = "27.1.0";

/// Options of `mutants`.
#[derive(clap::Args)]
pub struct MutantsArgs {
    /// Only the mutants whose name matches this regex (cargo-mutants' `--re`), for a
    /// quick look at one file or function; the score then covers those only.
    #[arg(long, conflicts_with = "from")]
    re: Option<String>,
    /// Only the mutants named in this file, one per line as cargo-mutants names them
    /// (a previous run's `target/mutants/std/mutants.out/missed.txt`, say): to run the
    /// survivors again after adding tests. The score then covers those only.
    #[arg(long)]
    from: Option<PathBuf>,
    /// Skip the loom pass (its survivors are then the std pass's).
    #[arg(long)]
    no_loom: bool,
}

/// One pass's verdicts, as cargo-mutants' text files list them.
#[derive(Debug, Default)]
struct Pass {
    caught: Vec<String>,
    missed: Vec<String>,
    timeout: Vec<String>,
    unviable: Vec<String>,
    seconds: f64,
}

fn lines(dir: &Path, file: &str) -> Result<Vec<String>> {
    let path = dir.join("mutants.out").join(file);
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read {}", path.display()))?;
    Ok(text.lines().map(str::to_string).collect())
}

/// `FILE:LINE:COL: replace …` without its line and column: `FILE: replace …`.
pub fn stable_name(name: &str) -> String {
    let mut parts = name.splitn(4, ':');
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(file), Some(l), Some(c), Some(rest))
            if l.chars().all(|ch| ch.is_ascii_digit())
                && c.chars().all(|ch| ch.is_ascii_digit()) =>
        {
            format!("{file}:{rest}")
        }
        _ => name.to_string(),
    }
}

/// The equivalent mutants listed in `notes/mutants.md`: stable name → why.
/// An entry's reason may go on over indented lines.
pub fn equivalents(text: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    let mut open = false;
    for l in text.lines() {
        if let Some((name, why)) = l.strip_prefix("- `").and_then(|r| r.split_once("`:")) {
            out.push((name.to_string(), why.trim().to_string()));
            open = true;
        } else if open && l.starts_with("  ") && !l.trim().is_empty() {
            let why = &mut out.last_mut().expect("an entry is open").1;
            if !why.is_empty() {
                why.push(' ');
            }
            why.push_str(l.trim());
        } else {
            open = false;
        }
    }
    out
}

fn ensure_installed() -> Result<()> {
    let found = Command::new("cargo")
        .args(["mutants", "--version"])
        .output()
        .is_ok_and(|o| o.status.success());
    if found {
        return Ok(());
    }
    eprintln!("mutants: installing cargo-mutants {CARGO_MUTANTS} (cargo install --locked)");
    let status = Command::new("cargo")
        .args([
            "install",
            "--locked",
            "cargo-mutants",
            "--version",
            CARGO_MUTANTS,
        ])
        .status()
        .context("cannot run cargo install")?;
    if !status.success() {
        bail!("cargo install cargo-mutants failed ({status})");
    }
    Ok(())
}

/// Runs cargo-mutants once: `rustflags` for the build, `profile`, the tests, and the
/// mutants selected by `res` (regexes, OR-ed; none: every mutant of [`FILES`]).
fn pass(
    out: &Path,
    rustflags: &str,
    profile: &str,
    tests: &[&str],
    res: &[String],
) -> Result<Pass> {
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    let mut cmd = Command::new("cargo");
    cmd.current_dir(root())
        .args([
            "mutants",
            "--no-shuffle",
            "--baseline",
            "run",
            "--timeout",
            "120",
        ])
        .args(["--profile", profile])
        .arg("--output")
        .arg(out)
        .env("RUSTFLAGS", rustflags)
        .env_remove("CARGO_TARGET_DIR");
    for f in FILES {
        cmd.args(["--file", f]);
    }
    for re in res {
        cmd.args(["--re", re]);
    }
    cmd.arg("--cargo-test-arg=--lib");
    for t in tests {
        cmd.arg(format!("--cargo-test-arg=--test={t}"));
    }
    let start = Instant::now();
    let status = cmd.status().context("cannot run cargo mutants")?;
    // 0: all caught; 2: some missed; 3: some timed out. Anything else: it did not run.
    if !matches!(status.code(), Some(0 | 2 | 3)) {
        bail!(
            "cargo mutants failed ({status}); its log is under {}",
            out.display()
        );
    }
    Ok(Pass {
        caught: lines(out, "caught.txt")?,
        missed: lines(out, "missed.txt")?,
        timeout: lines(out, "timeout.txt")?,
        unviable: lines(out, "unviable.txt")?,
        seconds: start.elapsed().as_secs_f64(),
    })
}

fn regex_escape(s: &str) -> String {
    s.chars()
        .flat_map(|c| {
            let special = "\\.+*?()|[]{}^$#&-~".contains(c);
            special
                .then_some('\\')
                .into_iter()
                .chain(std::iter::once(c))
        })
        .collect()
}

/// The caught count and the survivors of both passes. A mutant the std pass caught (or
/// timed out on) is caught. Of the std pass's survivors, the loom pass's verdict counts:
/// caught, survivor, or unviable (code compiled only under loom whose mutant does not
/// compile there: no mutant at all). The loom pass selects by regex, which can match
/// more mutants than those survivors; the others are not counted again.
fn tally(std_pass: &Pass, loom_pass: Option<&Pass>) -> (usize, Vec<String>) {
    let of_std = |names: &[String]| -> Vec<String> {
        names
            .iter()
            .filter(|n| std_pass.missed.contains(n))
            .cloned()
            .collect()
    };
    let survivors = match loom_pass {
        Some(l) => of_std(&l.missed),
        None => std_pass.missed.clone(),
    };
    let caught = std_pass.caught.len()
        + std_pass.timeout.len()
        + loom_pass.map_or(0, |l| of_std(&l.caught).len() + of_std(&l.timeout).len());
    (caught, survivors)
}

/// `mutants`: runs both passes and writes the report; `Ok(true)` when the goal is met
/// and every survivor is accounted for.
pub fn run(args: &MutantsArgs) -> Result<bool> {
    ensure_installed()?;
    let start = Instant::now();
    let base = root().join("target").join("mutants");
    let res: Vec<String> = match &args.from {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            let names: Vec<String> = text
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(|n| format!("^{}$", regex_escape(n)))
                .collect();
            if names.is_empty() {
                bail!("{}: no mutant names in it", path.display());
            }
            names
        }
        None => args.re.iter().cloned().collect(),
    };
    eprintln!(
        "mutants: std pass ({} test targets and the unit tests)",
        STD_TESTS.len()
    );
    let std_pass = pass(&base.join("std"), "", "mutants", STD_TESTS, &res)?;
    let after_std: Vec<String> = std_pass.missed.to_vec();
    let loom_pass = if args.no_loom || after_std.is_empty() {
        None
    } else {
        eprintln!(
            "mutants: loom pass ({} survivors of the std pass)",
            after_std.len()
        );
        let res: Vec<String> = after_std
            .iter()
            .map(|n| format!("^{}$", regex_escape(n)))
            .collect();
        Some(pass(
            &base.join("loom"),
            "--cfg loom",
            "mutants-loom",
            LOOM_TESTS,
            &res,
        )?)
    };
    let (caught, survivors) = tally(&std_pass, loom_pass.as_ref());
    let notes = root().join("notes").join("mutants.md");
    let listed = equivalents(&std::fs::read_to_string(&notes).unwrap_or_default());
    let viable = caught + survivors.len();
    let score = if viable == 0 {
        100.0
    } else {
        100.0 * caught as f64 / viable as f64
    };
    let unexplained: Vec<&String> = survivors
        .iter()
        .filter(|s| !listed.iter().any(|(n, _)| *n == stable_name(s)))
        .collect();
    let report = render(&Summary {
        std_pass: &std_pass,
        loom_pass: loom_pass.as_ref(),
        survivors: &survivors,
        listed: &listed,
        score,
        viable,
        caught,
        seconds: start.elapsed().as_secs_f64(),
        re: args
            .re
            .clone()
            .or_else(|| {
                args.from
                    .as_ref()
                    .map(|p| format!("the names in {}", p.display()))
            })
            .as_deref(),
    });
    let dir = root().join("target").join("reports");
    std::fs::create_dir_all(&dir)?;
    let path: PathBuf = dir.join("mutants.md");
    std::fs::write(&path, &report).with_context(|| format!("cannot write {}", path.display()))?;
    print!("{report}");
    eprintln!("mutants: report written to {}", path.display());
    Ok(score >= GOAL && unexplained.is_empty())
}

struct Summary<'a> {
    std_pass: &'a Pass,
    loom_pass: Option<&'a Pass>,
    survivors: &'a [String],
    listed: &'a [(String, String)],
    score: f64,
    viable: usize,
    caught: usize,
    seconds: f64,
    re: Option<&'a str>,
}

fn render(s: &Summary) -> String {
    use std::fmt::Write;
    let mut out = String::from("# Mutation testing (`cargo xtask mutants`)\n\n");
    if let Some(re) = s.re {
        let _ = writeln!(out, "Only the mutants matching `{re}`.\n");
    }
    let p = s.std_pass;
    let _ = writeln!(
        out,
        "- std pass: {} mutants: {} caught, {} timed out (counted as caught), {} missed, {} unviable; {:.0} s",
        p.caught.len() + p.missed.len() + p.timeout.len() + p.unviable.len(),
        p.caught.len(),
        p.timeout.len(),
        p.missed.len(),
        p.unviable.len(),
        p.seconds
    );
    match s.loom_pass {
        Some(l) => {
            let _ = writeln!(
                out,
                "- loom pass (the std pass's survivors): {} caught, {} timed out, {} missed; {:.0} s",
                l.caught.len(),
                l.timeout.len(),
                l.missed.len(),
                l.seconds
            );
        }
        None => out.push_str("- loom pass: not run\n"),
    }
    let _ = writeln!(
        out,
        "- **score: {} of {} viable mutants caught ({:.1}%; goal {GOAL}%)**; {} survivor{}; {:.0} s in all\n",
        s.caught,
        s.viable,
        s.score,
        s.survivors.len(),
        if s.survivors.len() == 1 { "" } else { "s" },
        s.seconds
    );
    if !s.survivors.is_empty() {
        out.push_str("## Survivors\n\n");
        for m in s.survivors {
            let why = s
                .listed
                .iter()
                .find(|(n, _)| *n == stable_name(m))
                .map_or("**not accounted for**: add a test that catches it, or list it in notes/mutants.md with why it is equivalent".to_string(), |(_, w)| format!("equivalent: {w}"));
            let _ = writeln!(out, "- `{m}`: {why}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_loom_pass_counts_only_the_std_survivors() {
        let names = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let std_pass = Pass {
            caught: names(&["a", "b"]),
            missed: names(&["c", "d", "e", "f"]),
            ..Pass::default()
        };
        // c caught by loom, d survives, e unviable there; x and y are extra regex
        // matches the std pass had caught already.
        let loom_pass = Pass {
            caught: names(&["c", "x"]),
            missed: names(&["d", "y"]),
            unviable: names(&["e"]),
            timeout: names(&["f"]),
            ..Pass::default()
        };
        let (caught, survivors) = tally(&std_pass, Some(&loom_pass));
        assert_eq!((caught, survivors), (4, names(&["d"])));
        let (caught, survivors) = tally(&std_pass, None);
        assert_eq!((caught, survivors.len()), (2, 4));
    }

    #[test]
    fn a_mutant_is_named_without_its_position() {
        assert_eq!(
            stable_name("src/store.rs:120:9: replace == with != in CredentialStore::add"),
            "src/store.rs: replace == with != in CredentialStore::add"
        );
        assert_eq!(stable_name("no position here"), "no position here");
    }

    #[test]
    fn equivalents_are_read_from_list_lines_only() {
        let notes = "# Equivalent mutants\n\nText.\n\n- `src/a.rs: replace x with y`: because.\n- not a mutant\n";
        assert_eq!(
            equivalents(notes),
            vec![(
                "src/a.rs: replace x with y".to_string(),
                "because.".to_string()
            )]
        );
    }

    #[test]
    fn an_equivalent_s_reason_goes_on_over_indented_lines() {
        let notes = "- `src/a.rs: x`: because\n  it is.\n- not a mutant\n  nor this\n\
                     - `src/b.rs: delete !`:\n  reason.\n\n  Not part of it.\n";
        assert_eq!(
            equivalents(notes),
            vec![
                ("src/a.rs: x".to_string(), "because it is.".to_string()),
                ("src/b.rs: delete !".to_string(), "reason.".to_string())
            ]
        );
    }

    #[test]
    fn a_name_escapes_to_a_regex_that_matches_only_itself() {
        let name = "src/a.rs:1:2: replace <impl Foo for Bar>::f -> (u8, u8) with (0, 1)";
        let re = regex_escape(name);
        assert!(!re.contains(" (u8"), "{re}");
        assert!(re.contains("\\(u8, u8\\)"), "{re}");
    }
}
