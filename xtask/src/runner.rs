//! Running the checker binary of a build: the one place that turns a selection into a
//! checker process and its JSON back into records.

use crate::cargo::{cargo, Build, SHUTTLE};
use anyhow::{bail, Context, Result};
use swan_credstore_models::record::{Flow, Record, Scenario, Scope, Variant};
use swan_credstore_models::select::Select;

/// Runs the checker of `build` on the rows `select` names and parses its records.
pub fn rows(build: Build, select: &Select) -> Result<Vec<Record>> {
    rows_with_env(build, select, &[])
}

/// [`rows`] with extra environment variables (loom's `LOOM_*` settings).
pub fn rows_with_env(build: Build, select: &Select, env: &[(&str, String)]) -> Result<Vec<Record>> {
    let json = serde_json::to_string(select).context("cannot serialise the selection")?;
    run(build, &["--select-json", &json], env)
}

/// Replays a shuttle `schedule` of a shuttle row (the storm, or a `shuttle_dfs` row of a
/// loom scenario at its rung) on the shuttle build and parses the record.
pub fn replay(
    scenario: Scenario,
    scope: Scope,
    variant: Variant,
    flow: Flow,
    schedule: &str,
) -> Result<Vec<Record>> {
    let (scenario, variant, flow) = (scenario.to_string(), variant.to_string(), flow.to_string());
    let scope = scope.to_string();
    run(
        SHUTTLE,
        &[
            "replay", &scenario, &variant, schedule, "--flow", &flow, "--scope", &scope,
        ],
        &[],
    )
}

fn run(build: Build, args: &[&str], env: &[(&str, String)]) -> Result<Vec<Record>> {
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
    all.extend(args);
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
        .with_context(|| format!("cannot run cargo for the {} checker", build.name))?;
    if !out.status.success() {
        bail!("the {} checker failed ({})", build.name, out.status);
    }
    serde_json::from_slice(&out.stdout)
        .with_context(|| format!("the {} checker's output is not records", build.name))
}
