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
    },
    Step {
        label: "clippy (std)",
        build: STD,
        args: CLIPPY,
    },
    Step {
        label: "docs (std, rustdoc -D warnings)",
        build: STD,
        args: &["doc", "--no-deps", "--workspace"],
    },
    Step {
        label: "clippy (loom)",
        build: LOOM,
        args: CLIPPY_MODEL,
    },
    Step {
        label: "tests (loom)",
        build: LOOM,
        args: &["test", "--release"],
    },
    Step {
        label: "clippy (crossbeam_loom)",
        build: CROSSBEAM_LOOM,
        args: CLIPPY_MODEL,
    },
    Step {
        label: "tests (crossbeam_loom)",
        build: CROSSBEAM_LOOM,
        args: &["test", "--release"],
    },
    Step {
        label: "clippy (shuttle)",
        build: SHUTTLE,
        args: CLIPPY_MODEL,
    },
    Step {
        label: "tests (shuttle)",
        build: SHUTTLE,
        args: &["test", "--release"],
    },
    Step {
        label: "tests (std)",
        build: STD,
        args: &["test", "--workspace"],
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
                match handle.join() {
                    Ok(Ok(versions)) => eprintln!("provisioned: {}", versions.join("; ")),
                    Ok(Err(e)) => eprintln!("provisioning failed (the tests will say why): {e:#}"),
                    Err(_) => eprintln!("provisioning panicked (the tests will say why)"),
                }
            }
        }
        eprintln!("\n=== xtask test: {} ===", step.label);
        let mut cmd = cargo(step.build, step.args);
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
    Ok(ok && failed == 0)
}

/// The number before `word` in a `test result:` line.
fn count(line: &str, word: &str) -> u64 {
    line.split(';')
        .find(|part| part.contains(word))
        .and_then(|part| part.split_whitespace().rev().nth(1))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}
