//! `cargo xtask verify`: builds the checker in each configuration (loom, loom with
//! crossbeam-epoch instrumented, shuttle, std), runs the rows each can run, and prints
//! the merged matrix (or `--json`). Also `cargo xtask replay` and `cargo xtask stress`.

use crate::cargo::{cargo, Build, CROSSBEAM_LOOM, LOOM, SHUTTLE, STD};
use swan_credstore_models::record::Record;
use swan_credstore_models::render;

/// Options of `verify`.
#[derive(clap::Args)]
pub struct VerifyArgs {
    /// Print the records as a JSON array instead of the matrix.
    #[arg(long)]
    json: bool,
    /// Only this scenario.
    #[arg(long)]
    scenario: Option<String>,
    /// Only this variant.
    #[arg(long)]
    variant: Option<String>,
    /// Only this flow.
    #[arg(long)]
    flow: Option<String>,
    /// Only this checker (`loom`, `shuttle_pct`, `shuttle_random`, `stress`).
    #[arg(long)]
    checker: Option<String>,
    /// loom preemption bound (default: unbounded; epoch rows: 2).
    #[arg(long)]
    preemption_bound: Option<usize>,
    /// shuttle: 1,000 executions per row instead of 100.
    #[arg(long)]
    full: bool,
    /// Also show the real daemons' rows saved by `cargo xtask real-replay` (checker
    /// `real_replay`, target/reports/real-replay.json) and `cargo xtask real-race`
    /// (`real_helgrind`, target/reports/real-race.json).
    #[arg(long)]
    real: bool,
}

/// Runs the checker binary of `build` with `args` and parses its records.
pub fn checker(build: Build, args: &[String]) -> Result<Vec<Record>, String> {
    checker_with_env(build, args, &[])
}

/// [`checker`] with extra environment variables (loom's `LOOM_*` settings).
pub fn checker_with_env(
    build: Build,
    args: &[String],
    env: &[(&str, String)],
) -> Result<Vec<Record>, String> {
    let mut all = vec![
        "run",
        "--quiet",
        "--release",
        "-p",
        "swan-credstore-models",
        "--bin",
        "checker",
        "--",
    ];
    all.extend(args.iter().map(String::as_str));
    eprintln!(
        "verify: {} checker (target/{}) ...",
        build.name,
        build.target_subdir.unwrap_or(".")
    );
    let mut cmd = cargo(build, &all);
    cmd.envs(env.iter().map(|(k, v)| (*k, v.as_str())));
    let out = cmd
        .stderr(std::process::Stdio::inherit())
        .output()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "the {} checker failed ({})",
            build.name, out.status
        ));
    }
    serde_json::from_slice(&out.stdout).map_err(|e| format!("checker output is not records: {e}"))
}

/// Which builds can contribute rows to a selection.
fn builds_for(checker: Option<&str>, variant: Option<&str>) -> Vec<Build> {
    let mut builds = Vec::new();
    if checker.is_none_or(|c| c == "loom") {
        if variant != Some("epoch") {
            builds.push(LOOM);
        }
        if variant.is_none_or(|v| v == "epoch") {
            builds.push(CROSSBEAM_LOOM);
        }
    }
    if checker.is_none_or(|c| c.starts_with("shuttle")) {
        builds.push(SHUTTLE);
    }
    if checker.is_none_or(|c| c == "stress") {
        builds.push(STD);
    }
    builds
}

/// `verify`: prints the matrix or JSON; `Ok(true)` when every outcome is as expected.
pub fn run(args: &VerifyArgs) -> Result<bool, String> {
    if let Some(c) = &args.checker {
        if !["loom", "shuttle_pct", "shuttle_random", "stress"].contains(&c.as_str()) {
            return Err(format!(
                "unknown checker {c:?}; expected loom, shuttle_pct, shuttle_random or stress"
            ));
        }
    }
    let mut forwarded: Vec<String> = Vec::new();
    for (flag, value) in [
        ("--scenario", &args.scenario),
        ("--variant", &args.variant),
        ("--flow", &args.flow),
        ("--checker", &args.checker),
    ] {
        if let Some(v) = value {
            forwarded.extend([flag.to_string(), v.clone()]);
        }
    }
    if let Some(b) = args.preemption_bound {
        forwarded.extend(["--preemption-bound".to_string(), b.to_string()]);
    }
    if args.full {
        forwarded.push("--full".to_string());
    }
    let mut records = Vec::new();
    for build in builds_for(args.checker.as_deref(), args.variant.as_deref()) {
        records.extend(checker(build, &forwarded)?);
    }
    if args.real {
        records.extend(crate::real::saved_records()?.into_iter().filter(|r| {
            args.scenario.as_ref().is_none_or(|s| *s == r.scenario)
                && args.variant.as_ref().is_none_or(|v| *v == r.variant)
                && args.flow.as_ref().is_none_or(|f| *f == r.flow)
        }));
    }
    if records.is_empty() {
        return Err("no row matches that selection".to_string());
    }
    let ok = records.iter().all(Record::as_expected);
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&records).map_err(|e| e.to_string())?
        );
    } else {
        print!("{}", render::matrix(&records));
        for r in records.iter().filter(|r| r.counterexample.is_some()) {
            print!("\n{}", render::timeline(r));
        }
        let bad = records.iter().filter(|r| !r.as_expected()).count();
        println!(
            "\nverify: {} of {} outcomes as expected{}",
            records.len() - bad,
            records.len(),
            if bad > 0 { " — MISMATCHES above" } else { "" }
        );
    }
    Ok(ok)
}

/// Options of `replay`.
#[derive(clap::Args)]
pub struct ReplayArgs {
    /// Scenario of the failing row (`storm`).
    scenario: String,
    /// Variant of the failing row (`in_place`, `naive_swap`, ...).
    variant: String,
    /// The schedule the failing run printed (or `@FILE`).
    schedule: String,
    /// Flow of the failing row.
    #[arg(long, default_value = "pre_fix")]
    flow: String,
}

/// `replay`: reruns one shuttle schedule and prints its timeline. `Ok(true)` when the
/// replay reproduced a failure.
pub fn replay(args: &ReplayArgs) -> Result<bool, String> {
    let forwarded = vec![
        "replay".to_string(),
        args.scenario.clone(),
        args.variant.clone(),
        args.schedule.clone(),
        "--flow".to_string(),
        args.flow.clone(),
    ];
    let records = checker(SHUTTLE, &forwarded)?;
    let r = records.first().ok_or("the replay produced no record")?;
    if r.counterexample.is_some() {
        print!("{}", render::timeline(r));
        Ok(true)
    } else {
        println!(
            "replay of {} × {} × {}: {} — the schedule did not fail",
            r.scenario,
            r.variant,
            r.flow,
            r.outcome.name()
        );
        Ok(false)
    }
}

/// `stress`: the stress rows only (real threads).
pub fn stress(json: bool) -> Result<bool, String> {
    let records = checker(STD, &["--checker".to_string(), "stress".to_string()])?;
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&records).map_err(|e| e.to_string())?
        );
    } else {
        print!("{}", render::matrix(&records));
    }
    Ok(records.iter().all(Record::as_expected))
}
