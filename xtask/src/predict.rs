//! `cargo xtask predict --swanctl <file> --reloads N [--clear-every K]
//! [--mode load-conns|load-all|load-creds] [--clear] [--faithful] [--json]`: what the
//! model says a daemon does with a real swanctl configuration reloaded N times, in the
//! pre-fix flow (strongSwan ≤ 6.0.0) and the fixed flow (≥ 6.0.1).
//!
//! The sequence is the first command, then N reloads with the same command; with
//! `--clear-every K`, a vici `clear-creds` right before every K-th reload. The command
//! (`--mode`, see [`engine::Command`] for the swanctl C functions it follows):
//! * `load-conns` (default): `swanctl --load-conns`.
//! * `load-all`: `swanctl --load-all` — credentials first, including one vici
//!   `load-cert` per file of `pubkey/` (stored as a raw-key cert with the key id as
//!   subject, trusted, in the same store `load-conn` uses), then the connections.
//! * `load-creds`: `swanctl --load-creds` then `swanctl --load-conns` (for the store,
//!   the same messages as `load-all`).
//!
//! `--clear` (with `load-all` / `load-creds`) runs clear-creds first, as swanctl's
//! `--clear` does. Each connection is run alone in its own model (its own figures; with
//! the whole `pubkey/` folder in the credential modes), and the whole file in one model
//! (the total; it differs from the sum only when connections share keys). A file with
//! one connection is run once: its row and the total are the same run.
//!
//! Figures: `stored_objects` (raw-key cert objects in the store — what the
//! differential test counts inside the real charon), `list_nodes` (store list nodes:
//! `untrusted` + `trusted`, two per object), and `heap_bytes`: live heap bytes of the
//! model's vici state (store, certs, loaded connections) at the end, from the counting
//! allocator of this binary ([`crate::heapcount`]): bytes allocated at the end minus
//! bytes allocated right after the empty model was created. Allocations are counted at
//! their requested size.
//!
//! **All three figures come from running the model**, by default with the fast store
//! ([`mirror::MirrorStore`]: the faithful store's lists, same operations, same cert
//! objects, with a hash index for the dedup lookup and its own bytes excluded), which
//! gives exactly the faithful store's figures at a cost that grows about linearly with N
//! (a hash probe and a B-tree step per lookup) instead of quadratically;
//! `--faithful` runs `mem_cred_t`'s linear-scan store itself. `tests/swanctl_predict.rs`
//! compares the two on every figure. The closed form is fitted to the computed series,
//! never assumed.

mod engine;
mod mirror;
mod print;
#[cfg(test)]
mod tests;

pub use print::run;

use crate::heapcount::live_bytes;
use anyhow::{bail, Context, Result};
use clap::{Args, ValueEnum};
use engine::{Command, Method, Sequence, Workload};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use swan_credstore::subject::SubjectCell;
use swan_credstore::swanctl::sim::{pubkey_folder, reloads_since_clear, Linear};
use swan_credstore::swanctl::{Config, Connection, KeyFile};
use swan_credstore::vici::{ConnSpec, Flow, Merge};
use swan_credstore::{PublicKey, Vici};

/// The counting allocator of this binary, as the engine's meter.
pub struct HeapCount;

impl mirror::Meter for HeapCount {
    fn live() -> usize {
        live_bytes()
    }
}

/// The swanctl command every step runs (`--mode`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum, Serialize)]
#[serde(rename_all = "kebab-case")]
#[allow(clippy::enum_variant_names)] // swanctl's command names
pub enum Mode {
    /// `swanctl --load-conns`.
    #[default]
    LoadConns,
    /// `swanctl --load-all` (credentials, including `pubkey/`, then connections).
    LoadAll,
    /// `swanctl --load-creds` then `swanctl --load-conns`.
    LoadCreds,
}

/// Arguments of `predict`.
#[derive(Args, Debug)]
pub struct PredictArgs {
    /// The swanctl.conf to read (keys are looked up in `pubkey/` beside it).
    #[arg(long)]
    pub swanctl: PathBuf,
    /// Reloads after the first load (at most 10^7).
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u64).range(0..=10_000_000))]
    pub reloads: u64,
    /// Run clear-creds right before every K-th reload.
    #[arg(long, value_name = "K", value_parser = clap::value_parser!(u64).range(1..))]
    pub clear_every: Option<u64>,
    /// The swanctl command of the first load and of every reload.
    #[arg(long, value_enum, default_value_t = Mode::LoadConns)]
    pub mode: Mode,
    /// With `--mode load-all` / `load-creds`: swanctl's `--clear` (clear-creds first).
    #[arg(long)]
    pub clear: bool,
    /// Run `mem_cred_t`'s linear-scan store itself (quadratic in the pre-fix leak)
    /// instead of the indexed store that gives the same figures.
    #[arg(long)]
    pub faithful: bool,
    /// Print one JSON object instead of the table.
    #[arg(long)]
    pub json: bool,
}

impl PredictArgs {
    /// Arguments for `file` with every option at its default.
    #[cfg(test)]
    pub fn new(swanctl: PathBuf, reloads: u64) -> PredictArgs {
        PredictArgs {
            swanctl,
            reloads,
            clear_every: None,
            mode: Mode::LoadConns,
            clear: false,
            faithful: false,
            json: false,
        }
    }

    fn command(&self) -> Result<Command> {
        Ok(match (self.mode, self.clear) {
            (Mode::LoadConns, true) => bail!(
                "--clear needs --mode load-all or load-creds: swanctl --load-conns has no \
                 --clear (use --clear-every K for a clear-creds between reloads)"
            ),
            (Mode::LoadConns, false) => Command::LoadConns,
            (Mode::LoadAll, clear) => Command::LoadAll { clear },
            (Mode::LoadCreds, clear) => Command::LoadCredsThenConns { clear },
        })
    }

    fn sequence(&self) -> Result<Sequence> {
        Ok(Sequence {
            command: self.command()?,
            reloads: usize::try_from(self.reloads).context("--reloads is too large")?,
            clear_every: self.clear_every.map(|k| k as usize),
        })
    }
}

/// The figures of one flow after a sequence.
#[derive(Clone, Debug, Serialize)]
pub struct Figures {
    /// Raw-key cert objects stored.
    pub stored_objects: usize,
    /// Store list nodes.
    pub list_nodes: usize,
    /// Live heap bytes of the model state.
    pub heap_bytes: usize,
    /// The line `base + slope·r` fitted to the stored objects after every reload.
    pub closed_form: ClosedForm,
}

/// A fitted closed form.
#[derive(Clone, Debug, Serialize)]
pub struct ClosedForm {
    /// Objects right after a load that follows a clear (or the first load).
    pub base: usize,
    /// Objects added per reload.
    pub slope: usize,
    /// Whether every reload's count lies on the line.
    pub exact: bool,
    /// The line, e.g. `1 + 1·N`.
    pub formula: String,
}

/// A checkpoint of a measured sequence.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct Point {
    /// Reloads done.
    pub reloads: usize,
    /// Raw-key cert objects stored.
    pub stored_objects: usize,
    /// Store list nodes.
    pub list_nodes: usize,
    /// Live heap bytes of the model state.
    pub heap_bytes: usize,
}

impl From<engine::Sample> for Point {
    fn from(s: engine::Sample) -> Point {
        Point {
            reloads: s.reloads,
            stored_objects: s.stored_objects,
            list_nodes: s.list_nodes,
            heap_bytes: s.heap_bytes,
        }
    }
}

/// Runs the first load plus `reloads` reloads of `specs()` with `load` on the faithful
/// store, a clear-creds before every `clear_every`-th reload, and returns the
/// checkpoints (sorted, each `<= reloads`) and the stored-object count after every
/// reload.
pub fn measure<C: SubjectCell>(
    load: fn(&Vici<C>, &ConnSpec) -> Merge,
    specs: &dyn Fn() -> Vec<ConnSpec>,
    reloads: usize,
    clear_every: Option<usize>,
    checkpoints: &[usize],
) -> (Vec<Point>, Vec<usize>) {
    let work = Workload { specs, creds: &[] };
    let sequence = Sequence {
        command: Command::LoadConns,
        reloads,
        clear_every,
    };
    let run = engine::run_with::<C, _, HeapCount>(load, &work, &sequence, checkpoints, &mut |_| {});
    let points = run.samples.into_iter().map(Point::from).collect();
    (points, run.series)
}

/// Both flows.
#[derive(Clone, Debug, Serialize)]
pub struct BothFlows {
    /// strongSwan ≤ 6.0.0.
    pub pre_fix: Figures,
    /// strongSwan ≥ 6.0.1.
    pub upstream_fix: Figures,
}

/// One connection's prediction.
#[derive(Clone, Debug, Serialize)]
pub struct ConnReport {
    /// Connection name.
    pub name: String,
    /// Raw public keys over its sections.
    pub keys: usize,
    /// Of those, keys in sections with a usable id (the ones the pre-fix flow leaks).
    pub keys_with_id: usize,
    /// What the structure of the connection implies for the pre-fix flow:
    /// `keys_with_id·(1 + r) + (keys − keys_with_id) + extra` objects after r reloads
    /// since the last clear, where `extra` (credential modes only) is the number of
    /// distinct `pubkey/` keys the connection does not use. Assumes distinct keys, one
    /// section each; the table notes connections whose figures differ.
    pub expected_pre_fix_objects: usize,
    /// Figures per flow.
    #[serde(flatten)]
    pub flows: BothFlows,
}

/// The whole prediction.
#[derive(Clone, Debug, Serialize)]
pub struct Prediction {
    /// The configuration file.
    pub swanctl: PathBuf,
    /// Reloads after the first load.
    pub reloads: usize,
    /// The clear-creds period, if any.
    pub clear_every: Option<u64>,
    /// The swanctl command of every step.
    pub mode: Mode,
    /// Whether every command runs with `--clear`.
    pub clear: bool,
    /// Which store computed the figures: `fast` (indexed, same figures) or `faithful`.
    pub method: &'static str,
    /// The `pubkey/` files every step loads (credential modes; empty otherwise).
    pub pubkey_files: Vec<String>,
    /// What swanctl also does in this mode that the model leaves out, and why the
    /// figures do not depend on it.
    pub not_modelled: Vec<String>,
    /// Per connection (each run alone).
    pub connections: Vec<ConnReport>,
    /// The whole file in one model.
    pub total: BothFlows,
}

/// Folders `load_creds_cfg` loads besides `pubkey/` (5.9.8 also has `bliss/`): X.509
/// certificates, CRLs, attribute certificates, private keys and containers. None makes
/// a raw-key object.
const OTHER_CRED_FOLDERS: [&str; 12] = [
    "x509", "x509ca", "x509ocsp", "x509aa", "x509ac", "x509crl", "private", "rsa", "ecdsa",
    "pkcs8", "pkcs12", "bliss",
];

fn not_modelled(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for folder in OTHER_CRED_FOLDERS {
        let files = std::fs::read_dir(dir.join(folder))
            .map(|entries| {
                entries
                    .filter_map(|e| e.ok())
                    .filter(|e| std::fs::metadata(e.path()).is_ok_and(|m| m.is_file()))
                    .count()
            })
            .unwrap_or(0);
        if files > 0 {
            out.push(format!(
                "{folder}/: {files} file(s) swanctl also loads (X.509 certificates, CRLs or \
                 private keys): no raw-key objects, so not in these figures (charon's store \
                 holds X.509 certs too, in list nodes of their own)"
            ));
        }
    }
    out.push("secrets, authorities, pools, tokens: no raw-key objects, not modelled".to_string());
    out
}

/// The progress bar: hidden until the run has taken a second, then on stderr (which
/// indicatif leaves blank when stderr is not a terminal).
struct Progress {
    bar: ProgressBar,
    start: Instant,
    shown: bool,
}

impl Progress {
    fn new(total: u64) -> Progress {
        let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::hidden());
        if let Ok(style) =
            ProgressStyle::with_template("predict {msg} [{wide_bar}] {pos}/{len} steps, {eta} left")
        {
            bar.set_style(style.progress_chars("=> "));
        }
        Progress {
            bar,
            start: Instant::now(),
            shown: false,
        }
    }

    fn step(&mut self, steps: usize) {
        if !self.shown && self.start.elapsed() > Duration::from_secs(1) {
            self.bar.set_draw_target(ProgressDrawTarget::stderr());
            self.shown = true;
        }
        self.bar.inc(steps as u64);
    }
}

fn figures(
    flow: Flow,
    method: Method,
    work: &Workload,
    sequence: &Sequence,
    progress: &mut Progress,
) -> Figures {
    let clear = sequence.effective_clear_every();
    progress.bar.set_message(format!("{flow}"));
    let run = engine::run::<HeapCount>(
        flow,
        method,
        work,
        sequence,
        &[sequence.reloads],
        &mut |n| progress.step(n),
    );
    let p = run.samples[0];
    let fit = Linear::fit(&run.series, clear);
    Figures {
        stored_objects: p.stored_objects,
        list_nodes: p.list_nodes,
        heap_bytes: p.heap_bytes,
        closed_form: ClosedForm {
            base: fit.base,
            slope: fit.slope,
            exact: fit.exact,
            formula: fit.formula(clear),
        },
    }
}

/// Distinct keys among `creds` that none of `conns`' sections uses.
fn extra_cred_keys(creds: &[KeyFile], conns: &[&Connection]) -> usize {
    let mut seen: Vec<&PublicKey> = Vec::new();
    for k in creds {
        let used = conns
            .iter()
            .flat_map(|c| c.auth_sections())
            .flat_map(|a| &a.pubkeys)
            .any(|p| p.key == k.key);
        if !used && !seen.contains(&&k.key) {
            seen.push(&k.key);
        }
    }
    seen.len()
}

/// Computes the prediction.
pub fn predict(args: &PredictArgs) -> Result<Prediction> {
    let sequence = args.sequence()?;
    // The errors name the file (and line) already.
    let config = Config::load(&args.swanctl)?;
    let creds = if sequence.command.loads_creds() {
        pubkey_folder(&config)?
    } else {
        Vec::new()
    };
    let ders: Vec<Vec<u8>> = creds.iter().map(|k| k.der.clone()).collect();
    let method = if args.faithful {
        Method::Faithful
    } else {
        Method::Fast
    };
    let alone = config.connections.len() > 1;
    let runs = 2 * (1 + if alone { config.connections.len() } else { 0 });
    let mut progress = Progress::new(runs as u64 * (sequence.reloads as u64 + 1));
    let mut both = |specs: &dyn Fn() -> Vec<ConnSpec>| {
        let work = Workload {
            specs,
            creds: &ders,
        };
        BothFlows {
            pre_fix: figures(Flow::PreFix, method, &work, &sequence, &mut progress),
            upstream_fix: figures(Flow::UpstreamFix, method, &work, &sequence, &mut progress),
        }
    };
    let alone_flows: Vec<BothFlows> = if alone {
        config
            .connections
            .iter()
            .map(|c| both(&|| vec![c.spec()]))
            .collect()
    } else {
        Vec::new()
    };
    let total = both(&|| config.connections.iter().map(|c| c.spec()).collect());
    let r = reloads_since_clear(sequence.reloads, sequence.effective_clear_every());
    let connections = config
        .connections
        .iter()
        .enumerate()
        .map(|(i, c)| ConnReport {
            name: c.name.clone(),
            keys: c.key_count(),
            keys_with_id: c.leaking_keys(),
            expected_pre_fix_objects: c.leaking_keys() * (1 + r)
                + (c.key_count() - c.leaking_keys())
                + extra_cred_keys(&creds, &[c]),
            // One connection: its run is the total's (the same messages).
            flows: alone_flows.get(i).unwrap_or(&total).clone(),
        })
        .collect();
    progress.bar.finish_and_clear();
    let dir = args.swanctl.parent().unwrap_or(Path::new("."));
    Ok(Prediction {
        swanctl: args.swanctl.clone(),
        reloads: sequence.reloads,
        clear_every: args.clear_every,
        mode: args.mode,
        clear: args.clear,
        method: match method {
            Method::Fast => "fast",
            Method::Faithful => "faithful",
        },
        pubkey_files: creds.iter().map(|k| k.name.clone()).collect(),
        not_modelled: if sequence.command.loads_creds() {
            not_modelled(dir)
        } else {
            Vec::new()
        },
        connections,
        total,
    })
}
