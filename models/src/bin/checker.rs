//! `checker`: runs matrix cases under the checker this build was compiled for and
//! prints the verdict records as a JSON array on stdout. `cargo xtask verify` builds and
//! runs it (with `--cfg loom`) and renders the matrix; run it directly to select cases.

use clap::Parser;
use swan_credstore::Flow;
use swan_credstore_models::cases;

/// Run verdict-matrix cases and print their records as JSON.
#[derive(Parser)]
struct Args {
    /// Only this scenario.
    #[arg(long)]
    scenario: Option<String>,
    /// Only this variant.
    #[arg(long)]
    variant: Option<String>,
    /// Only this flow (`pre_fix` or `upstream_fix`).
    #[arg(long)]
    flow: Option<String>,
    /// loom preemption bound (default: unbounded, or LOOM_MAX_PREEMPTIONS if set).
    #[arg(long)]
    preemption_bound: Option<usize>,
}

fn main() {
    let args = Args::parse();
    if let Some(f) = &args.flow {
        if Flow::parse(f).is_none() {
            eprintln!("error: unknown flow {f:?}; expected pre_fix or upstream_fix");
            std::process::exit(2);
        }
    }
    let selected: Vec<_> = cases::cases()
        .into_iter()
        .filter(|c| args.scenario.as_deref().is_none_or(|s| s == c.scenario))
        .filter(|c| args.variant.as_deref().is_none_or(|v| v == c.variant))
        .filter(|c| args.flow.as_deref().is_none_or(|f| f == c.flow.name()))
        .collect();
    if selected.is_empty() {
        eprintln!(
            "error: no case matches; scenarios: {}; variants: {}",
            cases::SCENARIOS.join(", "),
            cases::VARIANTS.join(", ")
        );
        std::process::exit(2);
    }
    let records = run(&selected, &args);
    println!(
        "{}",
        serde_json::to_string_pretty(&records).expect("records serialise")
    );
}

#[cfg(loom)]
fn run(selected: &[cases::Case], args: &Args) -> Vec<swan_credstore_models::record::Record> {
    use swan_credstore_models::loom_check::{check, LoomOptions};
    let opts = LoomOptions {
        preemption_bound: args.preemption_bound,
        record: true,
    };
    selected
        .iter()
        .map(|c| {
            eprintln!(
                "loom: {} × {} × {} ...",
                c.scenario,
                c.variant,
                c.flow.name()
            );
            check(c, &opts)
        })
        .collect()
}

#[cfg(not(loom))]
fn run(_: &[cases::Case], _: &Args) -> Vec<swan_credstore_models::record::Record> {
    eprintln!("error: this checker was built without a checker backend; build it with RUSTFLAGS=\"--cfg loom\" (cargo xtask verify does)");
    std::process::exit(2);
}
