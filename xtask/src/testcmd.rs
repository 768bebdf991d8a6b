//! `cargo xtask test`: the project's test command (what `.ci/run` runs).

use crate::cargo::{cargo, Build, CROSSBEAM_LOOM, LOOM, SHUTTLE, STD};
use anyhow::{Context, Result};
use std::process::Stdio;
use swan_charon::daemon::Release;

/// One step of the test command.
struct Step {
    label: &'static str,
    build: Build,
    args: &'static [&'static str],
    /// For a checker build's test step: the cfgs it sets. It runs only the integration
    /// tests (`tests/*.rs`) whose crate-level `#![cfg(...)]` holds with them (a file
    /// without one holds everywhere); the libraries' unit tests do not depend on the
    /// backend and run in the std step.
    cfgs: Option<&'static [&'static str]>,
}

const CLIPPY: &[&str] = &[
    "clippy",
    "--workspace",
    "--all-targets",
    "--",
    "-D",
    "warnings",
];
const CLIPPY_MODEL: &[&str] = &[
    "clippy",
    "--release",
    "--all-targets",
    "--",
    "-D",
    "warnings",
];

const STEPS: &[Step] = &[
    Step {
        label: "rustfmt --check",
        build: STD,
        args: &["fmt", "--all", "--", "--check"],
        cfgs: None,
    },
    Step {
        label: "clippy (std)",
        build: STD,
        args: CLIPPY,
        cfgs: None,
    },
    Step {
        label: "docs (std, rustdoc -D warnings)",
        build: STD,
        args: &["doc", "--no-deps", "--workspace"],
        cfgs: None,
    },
    Step {
        label: "clippy (loom)",
        build: LOOM,
        args: CLIPPY_MODEL,
        cfgs: None,
    },
    Step {
        label: "tests (loom)",
        build: LOOM,
        args: &["test", "--release"],
        cfgs: Some(&["loom"]),
    },
    Step {
        label: "clippy (crossbeam_loom)",
        build: CROSSBEAM_LOOM,
        args: CLIPPY_MODEL,
        cfgs: None,
    },
    Step {
        label: "tests (crossbeam_loom)",
        build: CROSSBEAM_LOOM,
        args: &["test", "--release"],
        cfgs: Some(&["loom", "crossbeam_loom"]),
    },
    Step {
        label: "clippy (shuttle)",
        build: SHUTTLE,
        args: CLIPPY_MODEL,
        cfgs: None,
    },
    Step {
        label: "tests (shuttle)",
        build: SHUTTLE,
        args: &["test", "--release"],
        cfgs: Some(&["shuttle"]),
    },
    Step {
        label: "tests (std)",
        build: STD,
        args: &["test", "--workspace"],
        cfgs: None,
    },
];

/// Runs every step, even after a failure, and sums the test counts cargo printed.
///
/// The real-daemon tests (in the std test step, which runs last) need Debian packages and
/// a trixie root; provisioning them is mostly download and disk work, so it starts in
/// the background at once and is joined before that step. The tests provision again
/// (a no-op when done) and fail with the reason if it did not work.
pub fn run() -> Result<bool> {
    let (mut passed, mut failed, mut ok) = (0u64, 0u64, true);
    let all = std::time::Instant::now();
    let mut provisioning = Some(std::thread::spawn(|| {
        Release::ALL
            .iter()
            .map(|r| r.provision().context(r.label()))
            .collect::<Result<Vec<String>>>()
    }));
    for step in STEPS {
        if step.label == "tests (std)" {
            if let Some(handle) = provisioning.take() {
                eprintln!("\n=== xtask test: waiting for the real daemons' provisioning ===");
                let waited = std::time::Instant::now();
                let joined = handle.join();
                eprintln!(
                    "=== xtask test: waited {:.0} s for provisioning ===",
                    waited.elapsed().as_secs_f64()
                );
                match joined {
                    Ok(Ok(versions)) => eprintln!("provisioned: {}", versions.join("; ")),
                    Ok(Err(e)) => eprintln!("provisioning failed (the tests will say why): {e:#}"),
                    Err(_) => eprintln!("provisioning panicked (the tests will say why)"),
                }
            }
        }
        eprintln!("\n=== xtask test: {} ===", step.label);
        let mut args: Vec<String> = step.args.iter().map(|a| a.to_string()).collect();
        if let Some(cfgs) = step.cfgs {
            for test in tests_for(cfgs)? {
                args.extend(["--test".to_string(), test]);
            }
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let started = std::time::Instant::now();
        let mut cmd = cargo(step.build, &args);
        if step.args[0] == "doc" {
            cmd.env("RUSTDOCFLAGS", "-D warnings");
        }
        let out = cmd
            .stderr(Stdio::inherit())
            .output()
            .with_context(|| format!("cannot run cargo for step `{}`", step.label))?;
        let stdout = String::from_utf8_lossy(&out.stdout);
        print!("{stdout}");
        for line in stdout.lines().filter(|l| l.starts_with("test result:")) {
            passed += count(line, " passed");
            failed += count(line, " failed");
        }
        eprintln!(
            "=== xtask test: {} took {:.0} s ===",
            step.label,
            started.elapsed().as_secs_f64()
        );
        if !out.status.success() {
            eprintln!("=== {} FAILED ({}) ===", step.label, out.status);
            ok = false;
        }
    }
    println!(
        "\nxtask test: {}",
        if ok { "all steps green" } else { "FAILED" }
    );
    println!("tests: {passed} passed, {failed} failed");
    println!(
        "steps took {:.0} s (the xtask build before them is not counted)",
        all.elapsed().as_secs_f64()
    );
    Ok(ok && failed == 0)
}

/// The integration tests whose crate-level `#![cfg(...)]` holds when exactly `cfgs`
/// are set, by name (`loom_matrix` for `tests/loom_matrix.rs`), sorted.
fn tests_for(cfgs: &[&str]) -> Result<Vec<String>> {
    let dir = crate::cargo::root().join("tests");
    let mut out = Vec::new();
    for entry in
        std::fs::read_dir(&dir).with_context(|| format!("cannot read {}", dir.display()))?
    {
        let path = entry?.path();
        if path.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        let holds = match text.lines().find_map(|l| l.trim().strip_prefix("#![cfg(")) {
            Some(rest) => {
                let expr = rest.trim_end().strip_suffix(")]").with_context(|| {
                    format!("{}: a #![cfg(...)] on one line expected", path.display())
                })?;
                cfg_holds(expr, cfgs)
                    .with_context(|| format!("{}: cannot read #![cfg({expr})]", path.display()))?
            }
            None => true,
        };
        if holds {
            let stem = path
                .file_stem()
                .and_then(|s| s.to_str())
                .context("a test name")?;
            out.push(stem.to_string());
        }
    }
    out.sort();
    Ok(out)
}

/// Evaluates a cfg predicate made of names, `all(..)`, `any(..)` and `not(..)`.
fn cfg_holds(expr: &str, set: &[&str]) -> Result<bool> {
    let expr = expr.trim();
    let Some(open) = expr.find('(') else {
        anyhow::ensure!(
            !expr.is_empty() && expr.chars().all(|c| c.is_alphanumeric() || c == '_'),
            "not a cfg name: {expr:?}"
        );
        return Ok(set.contains(&expr));
    };
    let (op, inner) = (&expr[..open], expr[open + 1..].strip_suffix(')'));
    let inner = inner.with_context(|| format!("unbalanced: {expr:?}"))?;
    let mut args = Vec::new();
    let (mut depth, mut start) = (0usize, 0usize);
    for (i, c) in inner.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.checked_sub(1).context("unbalanced parentheses")?,
            ',' if depth == 0 => {
                args.push(&inner[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    args.push(&inner[start..]);
    let vals = args
        .iter()
        .filter(|a| !a.trim().is_empty())
        .map(|a| cfg_holds(a, set))
        .collect::<Result<Vec<bool>>>()?;
    match op.trim() {
        "all" => Ok(vals.iter().all(|v| *v)),
        "any" => Ok(vals.iter().any(|v| *v)),
        "not" if vals.len() == 1 => Ok(!vals[0]),
        other => anyhow::bail!("unknown cfg operator {other:?} (or `not` with several arguments)"),
    }
}

/// The number before `word` in a `test result:` line.
fn count(line: &str, word: &str) -> u64 {
    line.split(';')
        .find(|part| part.contains(word))
        .and_then(|part| part.split_whitespace().rev().nth(1))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cfg_predicates_evaluate_like_rustc() {
        let loom = &["loom"][..];
        let cb = &["loom", "crossbeam_loom"][..];
        assert!(cfg_holds("loom", loom).unwrap());
        assert!(cfg_holds("all(loom, not(crossbeam_loom))", loom).unwrap());
        assert!(!cfg_holds("all(loom, not(crossbeam_loom))", cb).unwrap());
        assert!(!cfg_holds("not(any(loom, shuttle))", loom).unwrap());
        assert!(cfg_holds("not(any(loom, shuttle))", &[]).unwrap());
        assert!(cfg_holds("all(shuttle, not(loom))", &["shuttle"]).unwrap());
        assert!(cfg_holds("any(loom,)", loom).unwrap());
        assert!(cfg_holds("nonsense(loom)", loom).is_err());
        assert!(cfg_holds("all(loom", loom).is_err());
    }

    /// Every integration test runs in at least one build, and the checker builds run
    /// the checker tests.
    #[test]
    fn every_test_file_runs_somewhere() {
        let builds: [&[&str]; 4] = [&[], &["loom"], &["loom", "crossbeam_loom"], &["shuttle"]];
        let runs: Vec<Vec<String>> = builds.iter().map(|c| tests_for(c).unwrap()).collect();
        let dir = crate::cargo::root().join("tests");
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "rs") {
                let stem = path.file_stem().unwrap().to_str().unwrap().to_string();
                assert!(
                    runs.iter().any(|r| r.contains(&stem)),
                    "{stem} runs in no build"
                );
            }
        }
        assert!(runs[1].contains(&"loom_matrix".to_string()));
        assert!(runs[1].contains(&"grading".to_string()));
        assert!(!runs[1].contains(&"real_replay".to_string()));
        assert!(runs[2].contains(&"loom_matrix".to_string()));
        assert!(!runs[2].contains(&"grading".to_string()));
        assert!(runs[3].contains(&"shuttle_matrix".to_string()));
    }
}
