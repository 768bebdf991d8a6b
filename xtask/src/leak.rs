//! `cargo xtask leak [--out DIR] [--max-reloads N] [--prefix-budget E]`: the growth
//! report. Sweeps reloads (0 to 100,000), keys per connection (1, 2, 4), id vs no id
//! and clear-creds periods (never, every 1,000 reloads), runs both flows, and writes
//! `leak.md` (table and measured slopes), `leak.json`, and the plot as `leak.svg` and
//! `leak.png` into `target/reports/` or `--out`. The plot (see `leak/plot.rs`) has a
//! title, axes, ticks and legends (DejaVu Sans from the `dejavu` crate, no system font):
//! stored objects against reloads log–log, with the real charons' counts of
//! `notes/figures/real-points.tsv` (checked against the model: an off point fails the
//! run) as markers; heap bytes log–log; and the clear-creds sawtooth, linear.
//!
//! Cost: the store deduplicates by a linear scan, so in the pre-fix flow with an id
//! every reload scans a store that grows by k objects per reload: N reloads cost
//! about k²·N²/2 `equals` calls (5·10⁹ for one key at N = 100,000). The sweep therefore
//! runs every series to 100,000 reloads except the growing pre-fix ones, which stop at
//! the largest checkpoint whose estimated cost fits `--prefix-budget` (default 10⁸
//! `equals` calls, about 15 s each in release: 10,000 reloads for one key, 5,000 for
//! two, 2,000 for four). The slope is exact from the first reload on (the model is
//! deterministic), so longer series add time, not information;
//! `--prefix-budget 5e9` runs them all to 100,000 (hours: the model's `equals` costs
//! ≈ 130 ns).
//!
//! Keys are synthetic Ed25519 keys (44-byte SPKI), plus one series with the RSA-2048
//! key of `tests/data/keys` for heap figures comparable to the real daemon's.
//! Heap bytes are live bytes of the model state (see `predict`), measured one series
//! at a time on this thread.

mod plot;
mod real;

use crate::predict::{measure, Point};
use anyhow::{Context, Result};
use clap::Args;
use serde::Serialize;
use std::fmt::Write as _;
use std::path::PathBuf;
use swan_credstore::vici::{AuthSpec, ConnSpec, Flow};
use swan_credstore::{Identity, Immutable, Locked, PublicKey, Vici};

/// Arguments of `leak`.
#[derive(Args, Debug)]
pub struct LeakArgs {
    /// Where to write the report (default: target/reports).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Largest reload count.
    #[arg(long, default_value_t = 100_000)]
    pub max_reloads: usize,
    /// Largest estimated number of `equals` calls one growing pre-fix series may cost.
    #[arg(long, default_value_t = 1e8)]
    pub prefix_budget: f64,
}

/// Where every series is sampled (the table of `leak.md` lists these).
const CHECKPOINTS: [usize; 20] = [
    0, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1_000, 2_000, 5_000, 10_000, 15_000, 20_000, 30_000,
    50_000, 75_000, 100_000,
];

/// Extra samples of the clear-creds series for the sawtooth panel: every 50 reloads
/// and the last reload before each clear, up to the panel's end.
fn sawtooth_checkpoints(period: usize) -> Vec<usize> {
    let mut v: Vec<usize> = (0..=plot::SAWTOOTH_RELOADS).step_by(50).collect();
    v.extend((1..=plot::SAWTOOTH_RELOADS / period).map(|i| i * period - 1));
    v
}

const RSA_2048: &[u8] = include_bytes!("../../tests/data/keys/rsa.pub.der");

/// One swept configuration.
#[derive(Clone, Debug, Serialize)]
pub struct Series {
    /// Flow name (`pre_fix` / `upstream_fix`).
    pub flow: Flow,
    /// Raw keys in the connection.
    pub keys: usize,
    /// Key type.
    pub key_type: &'static str,
    /// Whether the section has an id.
    pub id: bool,
    /// Clear-creds period, if any.
    pub clear_every: Option<usize>,
    /// Measured points.
    pub points: Vec<Point>,
    /// Stored objects per reload, from the first and last point.
    pub objects_per_reload: f64,
    /// Heap bytes per reload, from the first and last point.
    pub heap_bytes_per_reload: f64,
    /// Whether the series is flat (no growth in objects).
    pub flat: bool,
}

impl Series {
    fn label(&self) -> String {
        format!(
            "{} {}×{} {} {}",
            self.flow,
            self.keys,
            self.key_type,
            if self.id { "id" } else { "no-id" },
            match self.clear_every {
                Some(k) => format!("clear/{k}"),
                None => "no-clear".into(),
            }
        )
    }
}

fn spec(ders: &[Vec<u8>], id: bool) -> ConnSpec {
    ConnSpec {
        name: "sweep".into(),
        local: Vec::new(),
        remote: vec![AuthSpec {
            id: id.then(|| Identity::parse("peer.example.org")),
            pubkeys: ders
                .iter()
                .map(|d| PublicKey::from_spki_der(d).expect("well-formed"))
                .collect(),
            class: Some(swan_credstore::vici::AuthClass::Pubkey),
            ..AuthSpec::default()
        }],
        order: Vec::new(),
    }
}

fn run_series(
    flow: Flow,
    ders: &[Vec<u8>],
    key_type: &'static str,
    id: bool,
    clear_every: Option<usize>,
    args: &LeakArgs,
) -> Series {
    let k = ders.len() as f64;
    let growing = flow == Flow::PreFix && id;
    let window = clear_every.unwrap_or(usize::MAX) as f64;
    let cost = |n: usize| {
        let n = n as f64;
        if growing {
            k * k * n * n.min(window) / 2.0
        } else {
            k * k * n
        }
    };
    let top = CHECKPOINTS
        .iter()
        .copied()
        .filter(|&n| n <= args.max_reloads && (n <= 1_000 || cost(n) <= args.prefix_budget))
        .max()
        .unwrap_or(0);
    let mut checkpoints: Vec<usize> = CHECKPOINTS.to_vec();
    if let Some(period) = clear_every {
        checkpoints.extend(sawtooth_checkpoints(period));
    }
    checkpoints.retain(|&n| n <= top);
    checkpoints.sort_unstable();
    checkpoints.dedup();
    let specs = || vec![spec(ders, id)];
    let (points, _) = match flow {
        Flow::PreFix => measure(
            Vici::<Locked>::load_conn_pre_fix,
            &specs,
            top,
            clear_every,
            &checkpoints,
        ),
        Flow::UpstreamFix => measure(
            Vici::<Immutable>::load_conn_upstream_fix,
            &specs,
            top,
            clear_every,
            &checkpoints,
        ),
    };
    let (first, last) = (points[0], *points.last().expect("at least one point"));
    let dn = (last.reloads - first.reloads).max(1) as f64;
    Series {
        flow,
        keys: ders.len(),
        key_type,
        id,
        clear_every,
        objects_per_reload: (last.stored_objects as f64 - first.stored_objects as f64) / dn,
        heap_bytes_per_reload: (last.heap_bytes as f64 - first.heap_bytes as f64) / dn,
        flat: points
            .iter()
            .all(|p| p.stored_objects == first.stored_objects),
        points,
    }
}

/// `cargo xtask leak`.
pub fn run(args: &LeakArgs) -> Result<bool> {
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| crate::cargo::root().join("target/reports"));
    std::fs::create_dir_all(&out).with_context(|| format!("cannot create {}", out.display()))?;
    let started = std::time::Instant::now();
    let synthetic: Vec<Vec<u8>> = (0..4)
        .map(|i| {
            PublicKey::synthetic(&format!("sweep-key-{i}"))
                .spki_der()
                .to_vec()
        })
        .collect();
    let mut all = Vec::new();
    for flow in [Flow::PreFix, Flow::UpstreamFix] {
        for keys in [1, 2, 4] {
            for id in [true, false] {
                for clear in [None, Some(1_000)] {
                    let s = run_series(flow, &synthetic[..keys], "Ed25519", id, clear, args);
                    eprintln!(
                        "{:<44} up to {:>6} reloads ({:.1} s)",
                        s.label(),
                        s.points.last().map_or(0, |p| p.reloads),
                        started.elapsed().as_secs_f64()
                    );
                    all.push(s);
                }
            }
        }
        let s = run_series(flow, &[RSA_2048.to_vec()], "RSA-2048", true, None, args);
        eprintln!(
            "{:<44} up to {:>6} reloads",
            s.label(),
            s.points.last().map_or(0, |p| p.reloads)
        );
        all.push(s);
    }

    // Verdicts: fixed flat, pre-fix with id (no clear) linear with slope k.
    let mut ok = true;
    let mut verdicts = String::new();
    for s in &all {
        let verdict = match (s.flow, s.id, s.clear_every) {
            (Flow::UpstreamFix, _, _) | (_, false, _) => {
                if s.flat {
                    "flat, as expected".to_string()
                } else {
                    ok = false;
                    "NOT FLAT".to_string()
                }
            }
            (_, true, None) => {
                let linear = s.points.iter().all(|p| {
                    p.stored_objects == s.keys * (1 + p.reloads)
                        && p.list_nodes == 2 * p.stored_objects
                });
                if linear {
                    format!(
                        "linear: {} objects + {:.0} heap bytes per reload",
                        s.objects_per_reload, s.heap_bytes_per_reload
                    )
                } else {
                    ok = false;
                    "NOT LINEAR".to_string()
                }
            }
            (_, true, Some(k)) => {
                let saw = s
                    .points
                    .iter()
                    .all(|p| p.stored_objects == s.keys * (1 + p.reloads % k));
                if saw {
                    format!("sawtooth: k·(1 + N mod {k}), bounded by {}", s.keys * k)
                } else {
                    ok = false;
                    "NOT ON k·(1 + N mod K)".to_string()
                }
            }
        };
        let _ = writeln!(verdicts, "| {} | {verdict} |", s.label());
    }

    let mut md = String::new();
    let _ = writeln!(md, "# Growth report (`cargo xtask leak`)\n");
    let _ = writeln!(
        md,
        "Stored raw-key objects, store list nodes and live heap bytes of the model state after N \
         reloads of one connection (`remote {{ auth = pubkey; id = peer.example.org; pubkeys = … }}`), \
         per flow. Pre-fix series with an id and no clear-creds stop at the largest checkpoint within \
         the `equals` budget ({:.0e}); see the module docs of `xtask/src/leak.rs`. Took {:.1} s.\n",
        args.prefix_budget,
        started.elapsed().as_secs_f64()
    );
    let _ = writeln!(
        md,
        "## Verdicts and measured slopes\n\n| series | result |\n|---|---|\n{verdicts}"
    );
    let _ = writeln!(md, "## Table\n\n| series | N | stored objects | list nodes | heap bytes |\n|---|---:|---:|---:|---:|");
    for s in &all {
        for p in s.points.iter().filter(|p| CHECKPOINTS.contains(&p.reloads)) {
            let _ = writeln!(
                md,
                "| {} | {} | {} | {} | {} |",
                s.label(),
                p.reloads,
                p.stored_objects,
                p.list_nodes,
                p.heap_bytes
            );
        }
    }
    let real = real::load()?;
    let off = real::off_model(&all, &real);
    let _ = writeln!(
        md,
        "\n## Real daemons\n\n{} counts of stored raw-key objects in real charons ({}, \
         sources in its header) are plotted as markers; {} of them differ from the model.",
        real.len(),
        real::RECORD,
        off.len()
    );
    for line in &off {
        let _ = writeln!(md, "- off the model: {line}");
    }
    ok &= off.is_empty();
    let (md_path, json_path, svg_path, png_path) = (
        out.join("leak.md"),
        out.join("leak.json"),
        out.join("leak.svg"),
        out.join("leak.png"),
    );
    std::fs::write(&md_path, &md).with_context(|| format!("cannot write {}", md_path.display()))?;
    let json = serde_json::to_string_pretty(&all).context("cannot serialise the series")?;
    std::fs::write(&json_path, json)
        .with_context(|| format!("cannot write {}", json_path.display()))?;
    plot::write(&all, &real, &svg_path, &png_path)
        .map_err(anyhow::Error::msg)
        .with_context(|| format!("cannot draw {}", svg_path.display()))?;
    for line in &off {
        eprintln!("real point off the model: {line}");
    }
    println!("{verdicts}");
    println!(
        "wrote {}, leak.json, leak.svg and leak.png ({:.1} s)",
        md_path.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(ok)
}

#[cfg(test)]
mod tests;
