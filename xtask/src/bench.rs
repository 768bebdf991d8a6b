//! `cargo xtask bench`: runs the criterion benchmarks (`cargo bench --bench read_path
//! --bench lookup`) and regenerates the figures in `notes/performance.md` from
//! criterion's output (`target/criterion/**/new/{benchmark,estimates}.json`).
//!
//! Only the blocks between `<!-- generated:NAME -->` and `<!-- /generated:NAME -->` are
//! rewritten; the prose around them is kept. Every figure in those blocks comes from
//! the estimates of the run just made (or, with `--report-only`, of the last run).

use crate::cargo::{cargo, root, STD};
use anyhow::{bail, Context, Result};
use serde_json::Value;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// Options of `cargo xtask bench`.
#[derive(clap::Args, Debug)]
pub struct BenchArgs {
    /// Do not run `cargo bench`; regenerate the tables from the last results.
    #[arg(long)]
    report_only: bool,
}

/// One benchmark result: median and its 95% confidence interval, in nanoseconds.
#[derive(Clone, Copy, Debug)]
struct Est {
    median: f64,
    lo: f64,
    hi: f64,
}

/// Results by (group, function, parameter).
type Results = BTreeMap<(String, String, String), Est>;

const BENCH_CMD: &str = "cargo bench --bench read_path --bench lookup";
const GEN_CMD: &str = "cargo xtask bench";

/// Runs the benches (unless `--report-only`) and rewrites `notes/performance.md`.
pub fn run(args: &BenchArgs) -> Result<bool> {
    if !args.report_only {
        eprintln!("=== xtask bench: {BENCH_CMD} ===");
        let status = cargo(STD, &["bench", "--bench", "read_path", "--bench", "lookup"])
            .status()
            .context("cannot run cargo bench")?;
        if !status.success() {
            return Ok(false);
        }
    }
    let results = collect(&root().join("target").join("criterion"));
    if results.is_empty() {
        bail!("no criterion results under target/criterion: run without --report-only");
    }
    let path = root().join("notes").join("performance.md");
    crate::notes::rewrite_blocks(
        &path,
        &[
            ("machine", machine()),
            ("read_single", read_table(&results, "read_single")),
            ("read_with_writer", read_table(&results, "read_with_writer")),
            (
                "read_writer_100us",
                read_table(&results, "read_writer_100us"),
            ),
            ("read_writer_1ms", read_table(&results, "read_writer_1ms")),
            ("lookup_medians", lookup_medians(&results)),
            ("lookup_slopes", lookup_slopes(&results)),
        ],
    )?;
    eprintln!("wrote {}", path.display());
    crate::pages::update()?;
    Ok(true)
}

/// The results found under `dir` (none when it does not exist).
fn collect(dir: &Path) -> Results {
    let mut out = Results::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                if p.file_name().is_some_and(|n| n == "new") {
                    if let Some((k, v)) = read_one(&p) {
                        out.insert(k, v);
                    }
                } else {
                    stack.push(p);
                }
            }
        }
    }
    out
}

fn read_json(p: PathBuf) -> Option<Value> {
    serde_json::from_str(&std::fs::read_to_string(p).ok()?).ok()
}

fn read_one(dir: &Path) -> Option<((String, String, String), Est)> {
    let b = read_json(dir.join("benchmark.json"))?;
    let e = read_json(dir.join("estimates.json"))?;
    let s = |v: &Value| v.as_str().unwrap_or("").to_string();
    let key = (s(&b["group_id"]), s(&b["function_id"]), s(&b["value_str"]));
    let m = &e["median"];
    Some((
        key,
        Est {
            median: m["point_estimate"].as_f64()?,
            lo: m["confidence_interval"]["lower_bound"].as_f64()?,
            hi: m["confidence_interval"]["upper_bound"].as_f64()?,
        },
    ))
}

fn sh(cmd: &str, args: &[&str]) -> String {
    std::process::Command::new(cmd)
        .args(args)
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default()
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_string())
        })
        .unwrap_or_else(|| "unknown".into());
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(0);
    format!(
        "| | |\n|---|---|\n| CPU | {cpu} |\n| cores available | {cores} |\n| rustc | {} |\n| generated | {} |\n| command | `{GEN_CMD}` (runs `{BENCH_CMD}`, then reads `target/criterion/**/new/estimates.json`) |\n",
        sh("rustc", &["-V"]),
        sh("date", &["-u", "+%Y-%m-%d %H:%M UTC"]),
    )
}

fn fmt_ns(ns: f64) -> String {
    if ns >= 1e6 {
        format!("{:.2} ms", ns / 1e6)
    } else if ns >= 1e3 {
        format!("{:.2} µs", ns / 1e3)
    } else {
        format!("{ns:.2} ns")
    }
}

/// The read-path rows, in display order, with what each measures.
const READ_ROWS: [(&str, &str); 12] = [
    ("floor", "plain shared `&Identity`, `matches` (the floor)"),
    (
        "floor_tracked",
        "the model's `Tracked` identity: `read` (a freed-flag check before and after), `matches`",
    ),
    ("cell_locked", "`Locked`: read lock, `matches`"),
    (
        "cell_cow_load",
        "`CopyOnWrite` via `read` (`ArcSwap::load`), `matches`",
    ),
    (
        "cell_cow_load_full",
        "`CopyOnWrite` via `snapshot()` (`ArcSwap::load_full`), `matches`",
    ),
    (
        "cell_cow_cache",
        "`CopyOnWrite` via `cached()` (`arc_swap::Cache`), `matches`",
    ),
    ("cell_epoch", "`Epoch`: pin, load, `matches`"),
    ("cell_immutable", "`Immutable`: `matches`"),
    ("cert_locked", "model `has_subject`, `Locked`"),
    ("cert_cow", "model `has_subject`, `CopyOnWrite` (`load`)"),
    ("cert_epoch", "model `has_subject`, `Epoch`"),
    ("cert_immutable", "model `has_subject`, `Immutable`"),
];

fn read_table(r: &Results, group: &str) -> String {
    let get = |g: &str, f: &str| {
        r.get(&(g.to_string(), f.to_string(), String::new()))
            .copied()
    };
    let Some(floor) = get("read_single", "floor") else {
        return "_no results: run `cargo xtask bench`_\n".into();
    };
    let mut s = String::new();
    let contended = group != "read_single";
    if contended {
        s.push_str("| check | median | 95% CI of median | ratio to floor (single-threaded) | ratio to same check single-threaded |\n|---|---:|---:|---:|---:|\n");
    } else {
        s.push_str(
            "| check | median | 95% CI of median | ratio to floor |\n|---|---:|---:|---:|\n",
        );
    }
    for (f, what) in READ_ROWS {
        let Some(e) = get(group, f) else { continue };
        let _ = write!(
            s,
            "| {what}{} | {} | {} – {} | {:.2}× |",
            if group == "read_with_writer" && f == "floor" {
                " — writer is a control spinning on private data"
            } else {
                ""
            },
            fmt_ns(e.median),
            fmt_ns(e.lo),
            fmt_ns(e.hi),
            e.median / floor.median
        );
        if contended {
            match get("read_single", f) {
                Some(single) => {
                    let _ = write!(s, " {:.2}× |", e.median / single.median);
                }
                None => s.push_str(" – |"),
            }
        }
        s.push('\n');
    }
    if group == "read_with_writer" {
        s.push_str("| `Immutable` | no row: it has no setter, so there is no writer to contend with | | | |\n");
    }
    s
}

const SERIES: [(&str, &str); 6] = [
    (
        "list_leak_other",
        "list store, pre-fix leak, lookup of another peer",
    ),
    (
        "list_leak_self",
        "list store, pre-fix leak, lookup of the leaked peer",
    ),
    ("list_distinct", "list store, N distinct peers, exact FQDN"),
    (
        "indexed_exact",
        "`IndexedStore`, N distinct peers, exact FQDN",
    ),
    ("indexed_keyid", "`IndexedStore`, N distinct peers, key id"),
    (
        "indexed_wildcard",
        "`IndexedStore`, N distinct peers, `*suffix` wildcard",
    ),
];

fn series(r: &Results, name: &str) -> Vec<(f64, Est)> {
    let mut v: Vec<(f64, Est)> = r
        .iter()
        .filter(|((g, f, _), _)| g == "lookup" && f == name)
        .filter_map(|((_, _, n), e)| n.parse::<f64>().ok().map(|n| (n, *e)))
        .collect();
    v.sort_by(|a, b| a.0.total_cmp(&b.0));
    v
}

fn sizes(r: &Results) -> Vec<f64> {
    let mut n: Vec<f64> = SERIES
        .iter()
        .flat_map(|(s, _)| series(r, s).into_iter().map(|(n, _)| n))
        .collect();
    n.sort_by(f64::total_cmp);
    n.dedup();
    n
}

fn lookup_medians(r: &Results) -> String {
    let ns = sizes(r);
    if ns.is_empty() {
        return "_no results: run `cargo xtask bench`_\n".into();
    }
    let mut s = String::from("| series \\ stored objects N |");
    for n in &ns {
        let _ = write!(s, " {} |", group_digits(*n as u64));
    }
    s.push_str("\n|---|");
    s.push_str(&"---:|".repeat(ns.len()));
    s.push('\n');
    for (name, what) in SERIES {
        let pts = series(r, name);
        if pts.is_empty() {
            continue;
        }
        let _ = write!(s, "| {what} (`{name}`) |");
        for n in &ns {
            match pts.iter().find(|(m, _)| m == n) {
                Some((_, e)) => {
                    let _ = write!(s, " {} |", fmt_ns(e.median));
                }
                None => s.push_str(" – |"),
            }
        }
        s.push('\n');
    }
    s
}

/// Least-squares slope of y against x.
fn slope(pts: &[(f64, f64)]) -> f64 {
    let n = pts.len() as f64;
    let (mx, my) = (
        pts.iter().map(|p| p.0).sum::<f64>() / n,
        pts.iter().map(|p| p.1).sum::<f64>() / n,
    );
    let sxy: f64 = pts.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
    let sxx: f64 = pts.iter().map(|p| (p.0 - mx) * (p.0 - mx)).sum();
    if sxx == 0.0 {
        f64::NAN
    } else {
        sxy / sxx
    }
}

fn lookup_slopes(r: &Results) -> String {
    let mut s = String::from(
        "| series | sizes | log–log slope, N ≥ 100 | ns per stored object (least squares, all N) | median at largest N ÷ median at N = 1 |\n|---|---|---:|---:|---:|\n",
    );
    for (name, what) in SERIES {
        let pts = series(r, name);
        if pts.len() < 2 {
            continue;
        }
        let loglog: Vec<(f64, f64)> = pts
            .iter()
            .filter(|(n, _)| *n >= 100.0)
            .map(|(n, e)| (n.ln(), e.median.ln()))
            .collect();
        let lin: Vec<(f64, f64)> = pts.iter().map(|(n, e)| (*n, e.median)).collect();
        let first = pts.first().unwrap();
        let last = pts.last().unwrap();
        let _ = writeln!(
            s,
            "| {what} (`{name}`) | {}–{} | {:.2} | {:.3} | {:.1}× |",
            group_digits(first.0 as u64),
            group_digits(last.0 as u64),
            slope(&loglog),
            slope(&lin),
            last.1.median / first.1.median
        );
    }
    s
}

/// `1234567` as `1,234,567`.
pub(crate) fn group_digits(n: u64) -> String {
    let digits: Vec<char> = n.to_string().chars().rev().collect();
    let groups: Vec<String> = digits
        .chunks(3)
        .map(|c| c.iter().rev().collect())
        .rev()
        .collect();
    groups.join(",")
}
