//! The race on the real daemons: charon under helgrind while one vici client reloads a
//! raw-key connection with an id (`load-conn`) and two list certificates
//! (`list-certs`, type pubkey), concluded as a matrix [`Record`] with checker
//! `real_helgrind`.
//!
//! Bounds: the pre-fix daemon runs until helgrind's XML holds a relevant report
//! (polled every 200 ms) or `max_seconds` pass; the fixed daemon runs at least
//! `min_seconds` and at least as many operations as the pre-fix run did, at most
//! `max_seconds`. `interleavings` in the record is the number of vici operations the
//! clients completed (reloads + listings); `seconds` is the time from the start of the
//! hammering to the first relevant report (race) or the whole hammering (pass).

use crate::daemon::{Charon, Options, Release, Work};
use crate::helgrind::{self, Class, Report, Symbols};
use crate::vici::{load_conn_message, Message};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use swan_credstore::swanctl::Config;
use swan_credstore_models::record::{
    Bounds, Checker, Outcome, Record, Scenario, StepKind, StepRecord,
};

/// The model scenario the real run corresponds to.
pub const SCENARIO: Scenario = Scenario::ReloadVsListCerts;
/// The checker name of the real rows.
pub const CHECKER: Checker = Checker::RealHelgrind;

/// Bounds of one run.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Stop at the first relevant report.
    pub stop_at_first: bool,
    /// Run at least this long (unless stopped at a relevant report).
    pub min_seconds: f64,
    /// Run at least this many operations (same exception).
    pub min_ops: u64,
    /// Never run longer.
    pub max_seconds: f64,
}

/// What one run observed.
#[derive(Clone, Debug)]
pub struct RaceRun {
    /// The daemon.
    pub release: Release,
    /// Package versions.
    pub versions: String,
    /// The matrix row.
    pub record: Record,
    /// `load-conn`s completed.
    pub reloads: u64,
    /// `list-certs` completed (both readers).
    pub listings: u64,
    /// Seconds hammered.
    pub seconds: f64,
    /// Seconds from the start of the hammering to the first relevant report seen.
    pub first_relevant: Option<f64>,
    /// Operations done when it was seen.
    pub ops_at_first: Option<u64>,
    /// Relevant contexts (helgrind reports each context once).
    pub relevant: usize,
    /// Noise contexts by key (kind and top frames), with their count.
    pub noise: BTreeMap<String, usize>,
    /// The first relevant report's two sides, summarised.
    pub stacks: Option<(String, String)>,
    /// Client errors seen (the first few).
    pub client_errors: Vec<String>,
    /// The recovered `pubkey_cert` method entry points (offset in the pubkey plugin).
    pub methods: String,
}

/// The raw public key of the replayed connection.
pub const KEY: &str = "tests/data/keys/rsa.pub.pem";

/// Writes the connection the runs reload (scenario A of the leak measurements: one
/// raw RSA key, explicit id) into `work` and returns its `load-conn` message.
pub fn connection(work: &Work) -> Result<Message, String> {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("in the workspace");
    std::fs::copy(repo.join(KEY), work.swanctl_dir().join("pubkey/peer.pub"))
        .map_err(|e| format!("cannot copy {KEY}: {e}"))?;
    let file = work.swanctl_dir().join("swanctl.conf");
    std::fs::write(
        &file,
        "connections {\n    rpk {\n        local {\n            auth = psk\n            id = local.example.org\n        }\n        remote {\n            auth = pubkey\n            id = peer.example.org\n            pubkeys = peer.pub\n        }\n    }\n}\n",
    )
    .map_err(|e| e.to_string())?;
    let cfg =
        Config::load(&file).map_err(|e| format!("model cannot read {}: {e}", file.display()))?;
    load_conn_message(cfg.connection("rpk").ok_or("no connection rpk")?)
}

#[derive(Default)]
struct Counters {
    reloads: AtomicU64,
    listings: AtomicU64,
    stop: AtomicBool,
    errors: std::sync::Mutex<Vec<String>>,
}

impl Counters {
    fn ops(&self) -> u64 {
        self.reloads.load(Ordering::Relaxed) + self.listings.load(Ordering::Relaxed)
    }
    fn error(&self, e: String) {
        let mut v = self.errors.lock().unwrap_or_else(|p| p.into_inner());
        if v.len() < 5 {
            v.push(e);
        }
        self.stop.store(true, Ordering::Relaxed);
    }
}

fn spawn_clients(
    charon: &Charon,
    msg: &Message,
    c: &Arc<Counters>,
) -> Result<Vec<std::thread::JoinHandle<()>>, String> {
    let mut handles = Vec::new();
    let mut writer = charon.vici()?;
    let msg = msg.clone();
    let cw = Arc::clone(c);
    handles.push(std::thread::spawn(move || {
        while !cw.stop.load(Ordering::Relaxed) {
            match writer.load_conn(&msg) {
                Ok(()) => {
                    cw.reloads.fetch_add(1, Ordering::Relaxed);
                }
                Err(e) => cw.error(format!("writer: {e}")),
            }
        }
    }));
    for i in 0..2 {
        let mut reader = charon.vici()?;
        let cr = Arc::clone(c);
        handles.push(std::thread::spawn(move || {
            while !cr.stop.load(Ordering::Relaxed) {
                match reader.list_certs("pubkey") {
                    Ok(_) => {
                        cr.listings.fetch_add(1, Ordering::Relaxed);
                    }
                    Err(e) => cr.error(format!("reader {i}: {e}")),
                }
            }
        }));
    }
    Ok(handles)
}

fn relevant_in(sym: &Symbols, reports: &[Report]) -> bool {
    reports
        .iter()
        .any(|r| matches!(helgrind::classify(sym, r), Class::Relevant { .. }))
}

/// Runs one daemon under helgrind within `limits` (see the module docs).
pub fn run(release: Release, limits: Limits) -> Result<RaceRun, String> {
    let versions = release.provision()?;
    let work = Work::new(release, "race")?;
    let msg = connection(&work)?;
    let mut charon = Charon::start(
        &work,
        Options {
            helgrind: true,
            ..Options::default()
        },
    )?;
    // First load before the readers start, so the store holds the key.
    charon
        .vici()?
        .load_conn(&msg)
        .map_err(|e| format!("{e}\n{}", charon.logs()))?;
    let mut sym = Symbols::capture(charon.pid());
    let counters = Arc::new(Counters::default());
    let started = Instant::now();
    let handles = spawn_clients(&charon, &msg, &counters)?;
    let mut first: Option<(f64, u64)> = None;
    let mut died = false;
    loop {
        std::thread::sleep(Duration::from_millis(200));
        let t = started.elapsed().as_secs_f64();
        if first.is_none() {
            let xml = std::fs::read_to_string(work.helgrind_xml()).unwrap_or_default();
            let reports = helgrind::parse_errors(&xml);
            if sym.pubkey_methods.is_empty() {
                sym = Symbols::capture(charon.pid());
            }
            if relevant_in(&sym, &reports) {
                first = Some((t, counters.ops()));
            }
        }
        if !charon.alive() {
            died = true;
            break;
        }
        let enough = t >= limits.min_seconds && counters.ops() >= limits.min_ops;
        if (first.is_some() && limits.stop_at_first)
            || enough
            || t >= limits.max_seconds
            || counters.stop.load(Ordering::Relaxed)
        {
            break;
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    counters.stop.store(true, Ordering::Relaxed);
    // Method entry points once more, while charon runs (objects are surely live now).
    if !died {
        let again = Symbols::capture(charon.pid());
        if !again.pubkey_methods.is_empty() {
            sym = again;
        }
    }
    for h in handles {
        let _ = h.join();
    }
    let logs = charon.logs();
    // SIGTERM; valgrind writes its remaining reports and exits (shutdown noise).
    charon.stop(Duration::from_secs(60));
    drop(charon);
    let xml = std::fs::read_to_string(work.helgrind_xml()).unwrap_or_default();
    let reports = helgrind::parse_errors(&xml);
    let errors = counters
        .errors
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .clone();
    let reloads = counters.reloads.load(Ordering::Relaxed);
    let listings = counters.listings.load(Ordering::Relaxed);
    if died || (!errors.is_empty() && first.is_none()) {
        return Err(format!(
            "{}: charon {} after {seconds:.1} s ({reloads} reloads, {listings} listings); client errors: {errors:?}\n{logs}",
            release.label(),
            if died { "died" } else { "stopped answering" }
        ));
    }
    let mut relevant = 0;
    let mut noise = BTreeMap::new();
    let mut stacks = None;
    let mut steps = Vec::new();
    let mut address = String::new();
    for r in &reports {
        match helgrind::classify(&sym, r) {
            Class::Relevant {
                free_side,
                read_side,
            } => {
                relevant += 1;
                if stacks.is_none() {
                    let (w, rd) = (&r.parts[free_side], &r.parts[read_side]);
                    let ws = sym.stack_line(&w.stack, 6);
                    let rs = sym.stack_line(&rd.stack, 6);
                    let block = helgrind::block(r)
                        .map(|b| format!("{} [alloc'd at {}]", b.text, sym.stack_line(&b.stack, 5)))
                        .unwrap_or_default();
                    let (wfirst, rfirst) = (
                        w.text.contains("Possible data race"),
                        rd.text.contains("Possible data race"),
                    );
                    let mut a = (
                        "vici load-conn".to_string(),
                        "set_subject: destroy old subject / store new (write)".to_string(),
                        format!("{} — {ws}", w.text),
                    );
                    let mut b = (
                        "vici list-certs".to_string(),
                        "equals/get_subject: read subject".to_string(),
                        format!("{} — {rs}", rd.text),
                    );
                    // Order as helgrind saw them: the previous access first.
                    let swapped = wfirst && !rfirst;
                    if swapped {
                        std::mem::swap(&mut a, &mut b);
                    }
                    for (i, (thread, op, detail)) in [a, b].into_iter().enumerate() {
                        steps.push(StepRecord {
                            seq: i + 1,
                            thread,
                            // The write side comes first unless swapped.
                            kind: if (i == 0) != swapped {
                                StepKind::Write
                            } else {
                                StepKind::Load
                            },
                            op,
                            object: None,
                            detail,
                            at: None,
                        });
                    }
                    address = block;
                    stacks = Some((ws, rs));
                }
            }
            Class::Noise => *noise.entry(helgrind::noise_key(&sym, r)).or_insert(0) += 1,
        }
    }
    let ops = reloads + listings;
    let expected = release.expected();
    let outcome = if relevant > 0 {
        Outcome::Race
    } else {
        Outcome::Pass
    };
    let noise_total: usize = noise.values().sum();
    let window = if relevant > 0 {
        format!(
            ". set_subject destroys the old identity just before this store, so a read racing the store can return the destroyed identity: the use-after-free window. {address}"
        )
    } else {
        String::new()
    };
    let message = match first {
        Some((t, at)) => format!(
            "helgrind on {}: first relevant report after {t:.1} s ({at} operations); {relevant} relevant and {noise_total} noise contexts in {seconds:.1} s, {reloads} reloads and {listings} listings",
            release.label()
        ) + &window,
        None if relevant > 0 => format!(
            "helgrind on {}: {relevant} relevant contexts (reported at shutdown), {noise_total} noise contexts in {seconds:.1} s, {reloads} reloads and {listings} listings",
            release.label()
        ) + &window,
        None => format!(
            "helgrind on {}: no relevant report in {seconds:.1} s, {reloads} reloads and {listings} listings; {noise_total} noise contexts",
            release.label()
        ),
    };
    let record = Record {
        scenario: SCENARIO,
        variant: release.variant(),
        cell: None,
        flow: release.flow(),
        checker: CHECKER,
        expected,
        outcome,
        message: Some(message),
        interleavings: ops,
        first_failing: first.map(|(_, at)| at),
        seconds: first.map(|(t, _)| t).unwrap_or(seconds),
        bounds: Bounds {
            threads: 3,
            operations: format!(
                "stock charon ({}) under valgrind --tool=helgrind; vici clients: 1 × load-conn rpk (one raw RSA key, id = peer.example.org) in a loop, 2 × list-certs type pubkey in a loop; stop at the first relevant report{}, at least {:.0} s and {} operations otherwise, at most {:.0} s",
                versions.lines().next().unwrap_or(""),
                if limits.stop_at_first { "" } else { " (not here)" },
                limits.min_seconds,
                limits.min_ops,
                limits.max_seconds
            ),
            preemption_bound: None,
            exhaustive: false,
            max_iterations: None,
            pct_depth: None,
            seed: None,
        },
        counterexample: (!steps.is_empty()).then_some(steps),
        schedule: None,
    };
    Ok(RaceRun {
        release,
        versions,
        record,
        reloads,
        listings,
        seconds,
        first_relevant: first.map(|(t, _)| t),
        ops_at_first: first.map(|(_, o)| o),
        relevant,
        noise,
        stacks,
        client_errors: errors,
        methods: sym
            .pubkey_methods
            .iter()
            .map(|(o, n)| format!("{n}@{o:#x}"))
            .collect::<Vec<_>>()
            .join(" "),
    })
}

/// helgrind's hit rate: how many of `attempts` fresh 5.9.8 daemons, each hammered up to
/// `max_seconds` (stopping at its first relevant report), showed the relevant report.
/// Whether helgrind's serialised scheduling lets a listing meet a reload's
/// `set_subject` is a matter of luck per run, so this is a rate, not a verdict.
#[derive(Clone, Debug, PartialEq)]
pub struct HitRate {
    /// Fresh daemons tried.
    pub attempts: usize,
    /// Bound per attempt, seconds.
    pub max_seconds: f64,
    /// Seconds to the first relevant report, for each attempt that had one.
    pub hits: Vec<f64>,
    /// Seconds and operations over all attempts.
    pub total_seconds: f64,
    /// See `total_seconds`.
    pub total_ops: u64,
}

impl HitRate {
    /// Median of [`HitRate::hits`].
    pub fn median(&self) -> Option<f64> {
        let mut h = self.hits.clone();
        h.sort_by(f64::total_cmp);
        (!h.is_empty()).then(|| h[h.len() / 2])
    }
    /// "3 of 5 attempts (≤ 60 s each) saw the relevant report; median time to it 9.1 s".
    pub fn text(&self) -> String {
        format!(
            "{} of {} attempts (at most {:.0} s each) saw the relevant report{}",
            self.hits.len(),
            self.attempts,
            self.max_seconds,
            self.median()
                .map(|m| format!("; median time to it {m:.1} s"))
                .unwrap_or_default()
        )
    }
}

/// Both daemons with the hit rate (see [`HitRate`]): `attempts` fresh 5.9.8 daemons,
/// then the 6.0.1 daemon for at least as long, and as many operations, as all of them
/// together (and at least `min_seconds`). Returns the first 5.9.8 attempt that saw the
/// report (or the last one), its record's message carrying the rate, and the 6.0.1 run.
pub fn run_rate(
    min_seconds: f64,
    max_seconds: f64,
    attempts: usize,
) -> Result<(Vec<RaceRun>, HitRate), String> {
    let mut rate = HitRate {
        attempts: attempts.max(1),
        max_seconds,
        hits: Vec::new(),
        total_seconds: 0.0,
        total_ops: 0,
    };
    let mut shown: Option<RaceRun> = None;
    for attempt in 1..=rate.attempts {
        let run = run(
            Release::Bookworm,
            Limits {
                stop_at_first: true,
                min_seconds: max_seconds,
                min_ops: 0,
                max_seconds,
            },
        )?;
        rate.total_seconds += run.seconds;
        rate.total_ops += run.reloads + run.listings;
        let found = run.first_relevant;
        eprintln!(
            "real race: 5.9.8 attempt {attempt}/{}: {}",
            rate.attempts,
            match found {
                Some(t) => format!("relevant report after {t:.1} s"),
                None => format!("none in {:.1} s", run.seconds),
            }
        );
        if let Some(t) = found {
            rate.hits.push(t);
        }
        if !shown.as_ref().is_some_and(|s| s.first_relevant.is_some()) {
            shown = Some(run);
        }
    }
    let mut pre = shown.expect("at least one attempt");
    pre.record.message = Some(format!(
        "{}; hit rate: {}",
        pre.record.message.take().unwrap_or_default(),
        rate.text()
    ));
    let fixed = run(
        Release::Trixie,
        Limits {
            stop_at_first: false,
            min_seconds: min_seconds.max(rate.total_seconds),
            min_ops: rate.total_ops,
            max_seconds: rate.total_seconds.max(max_seconds) * 1.5,
        },
    )?;
    Ok((vec![pre, fixed], rate))
}

/// A plain-text report of runs: the rows' facts, the two stacks, the noise by frame.
pub fn report(runs: &[RaceRun]) -> String {
    use std::fmt::Write as _;
    let mut s = String::new();
    for r in runs {
        let _ = writeln!(
            s,
            "== {} ({})",
            r.release.label(),
            r.versions.replace('\n', "; ")
        );
        let _ = writeln!(
            s,
            "   hammered {:.1} s: {} reloads, {} listings; first relevant report: {}",
            r.seconds,
            r.reloads,
            r.listings,
            match (r.first_relevant, r.ops_at_first) {
                (Some(t), Some(o)) => format!("{t:.1} s after {o} operations"),
                _ => "none".into(),
            }
        );
        let _ = writeln!(
            s,
            "   relevant contexts: {}; noise contexts: {}",
            r.relevant,
            r.noise.values().sum::<usize>()
        );
        let _ = writeln!(s, "   pubkey_cert methods: {}", r.methods);
        if let Some((w, rd)) = &r.stacks {
            let _ = writeln!(s, "   free/write side: {w}");
            let _ = writeln!(s, "   read side:       {rd}");
        }
        for (k, n) in &r.noise {
            let _ = writeln!(s, "   noise ×{n}: {k}");
        }
        for e in &r.client_errors {
            let _ = writeln!(s, "   client error: {e}");
        }
    }
    s
}

/// Where the records go.
pub fn records_path() -> std::path::PathBuf {
    crate::target_dir().join("reports/real-race.json")
}

/// Saves the runs' records to [`records_path`] and the text report beside them.
pub fn save(runs: &[RaceRun]) -> Result<(), String> {
    crate::save_records(
        &records_path(),
        runs.iter().map(|r| &r.record),
        &report(runs),
    )
}

/// Reads saved records (for `cargo xtask verify --real`).
pub fn load_records() -> Result<Vec<Record>, String> {
    crate::load_records(&records_path(), "cargo xtask real-race")
}
