//! `cargo xtask verify`: builds the checker under `--cfg loom`, runs every matrix case,
//! and prints the matrix (or `--json`).

use crate::cargo::{cargo, LOOM};
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
    /// loom preemption bound (default: unbounded).
    #[arg(long)]
    preemption_bound: Option<usize>,
}

/// Runs the loom checker with the selection and returns its records.
pub fn loom_records(args: &VerifyArgs) -> Result<Vec<Record>, String> {
    let mut forwarded: Vec<String> = Vec::new();
    for (flag, value) in [
        ("--scenario", &args.scenario),
        ("--variant", &args.variant),
        ("--flow", &args.flow),
    ] {
        if let Some(v) = value {
            forwarded.extend([flag.to_string(), v.clone()]);
        }
    }
    if let Some(b) = args.preemption_bound {
        forwarded.extend(["--preemption-bound".to_string(), b.to_string()]);
    }
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
    all.extend(forwarded.iter().map(String::as_str));
    eprintln!("verify: building and running the loom checker (target/loom) ...");
    let out = cargo(LOOM, &all)
        .stderr(std::process::Stdio::inherit())
        .output()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !out.status.success() {
        return Err(format!("the loom checker failed ({})", out.status));
    }
    serde_json::from_slice(&out.stdout).map_err(|e| format!("checker output is not records: {e}"))
}

/// `verify`: prints the matrix or JSON; `Ok(true)` when every outcome is as expected.
pub fn run(args: &VerifyArgs) -> Result<bool, String> {
    let records = loom_records(args)?;
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
