//! `cargo xtask differential`: generated swanctl trees and step sequences on the real
//! daemons and the model, compared after every step (root; see `swan_charon::differential`).

use crate::real::Daemon;
use anyhow::Result;
use swan_charon::daemon::Release;
use swan_charon::differential;

/// Options of `differential`.
#[derive(clap::Args)]
pub struct DifferentialArgs {
    /// Which daemon (default: both).
    #[arg(long, value_enum)]
    daemon: Option<Daemon>,
    /// Generated sequences per daemon.
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u32).range(1..))]
    cases: u32,
    /// The generator's seed.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Print the summaries as JSON.
    #[arg(long)]
    json: bool,
    /// Run the regression fixtures of this folder (every `*.conf`) instead of
    /// generated sequences.
    #[arg(long, value_name = "DIR")]
    fixtures: Option<std::path::PathBuf>,
}

/// `differential`: `Ok(true)` when no daemon diverged from the model.
pub fn run(args: &DifferentialArgs) -> Result<bool> {
    let releases: Vec<Release> = match args.daemon {
        Some(d) => vec![d.release()],
        None => Release::ALL.to_vec(),
    };
    if let Some(dir) = &args.fixtures {
        let mut ok = true;
        for release in releases {
            for (name, d) in differential::run_fixtures(release, release.flow(), dir)? {
                match d {
                    None => println!("{}: {name}: as the model predicts", release.label()),
                    Some(d) => {
                        ok = false;
                        println!(
                            "{}: {name}: DIVERGENCE at step {} ({})\n  daemon: {:?}\n  model:  {:?}",
                            release.label(),
                            d.step,
                            d.what,
                            d.daemon,
                            d.model
                        );
                    }
                }
            }
        }
        return Ok(ok);
    }
    let mut summaries = Vec::new();
    for release in releases {
        let s = differential::run(release, args.cases, args.seed)?;
        eprintln!("{}", s.line());
        let path = differential::summary_path(release);
        std::fs::write(&path, serde_json::to_string_pretty(&s)?)
            .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))?;
        eprintln!(
            "saved {} (results.md's fidelity section reads it)",
            path.display()
        );
        summaries.push(s);
    }
    let ok = summaries.iter().all(|s| s.found.is_none());
    if args.json {
        crate::print_json(&summaries)?;
    } else {
        for s in &summaries {
            println!("{}", s.line());
            if let Some(f) = &s.found {
                println!("  minimal sequence: {}", f.steps.join(", "));
                println!(
                    "  daemon: {:?}\n  model:  {:?}",
                    f.divergence.daemon, f.divergence.model
                );
                for (i, file) in f.files.iter().enumerate() {
                    println!("  --- differential-{i}.conf ---\n{file}");
                }
            }
        }
    }
    Ok(ok)
}
