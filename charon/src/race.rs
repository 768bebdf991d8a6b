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

//!
//! What lives here: one run ([`run`]) in its stages (start and first load, the polling
//! loop, teardown, the record); the clients in `race/clients.rs`, the reading of
//! helgrind's reports in `race/classify.rs`, the hit rate over fresh daemons
//! ([`run_rate`]) in `race/rate.rs`, the report and saved records in `race/report.rs`.

use crate::daemon::{Charon, Options, Release, Work};
use crate::helgrind::{self, Report, Symbols};
use crate::process;
use crate::vici::{load_conn_message, Message};
use anyhow::{anyhow, bail, Context, Result};
use classify::Found;
use clients::{Clients, Counters};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};
use swan_credstore::swanctl::Config;
use swan_credstore_models::record::{Bounds, Checker, Outcome, Record, Scenario};

mod classify;
mod clients;
mod rate;
mod report;
pub use rate::{run_rate, HitRate};
pub use report::{load_records, records_path, report, save};

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
pub fn connection(work: &Work) -> Result<Message> {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("in the workspace");
    std::fs::copy(repo.join(KEY), work.swanctl_dir().join("pubkey/peer.pub"))
        .with_context(|| format!("cannot copy {KEY}"))?;
    let file = work.swanctl_dir().join("swanctl.conf");
    std::fs::write(
        &file,
        "connections {\n    rpk {\n        local {\n            auth = psk\n            id = local.example.org\n        }\n        remote {\n            auth = pubkey\n            id = peer.example.org\n            pubkeys = peer.pub\n        }\n    }\n}\n",
    )
    .with_context(|| format!("cannot write {}", file.display()))?;
    let cfg =
        Config::load(&file).map_err(|e| anyhow!("model cannot read {}: {e}", file.display()))?;
    load_conn_message(cfg.connection("rpk").context("no connection rpk")?)
}

/// Runs one daemon under helgrind within `limits` (see the module docs). An error when
/// charon died or stopped answering before a relevant report (with its logs).
pub fn run(release: Release, limits: Limits) -> Result<RaceRun> {
    let versions = release.provision()?;
    let work = Work::new(release, "race")?;
    let msg = connection(&work)?;
    let mut charon = start(&work, &msg)?;
    let mut sym = Symbols::capture(charon.pid());
    let counters = Arc::new(Counters::default());
    let started = Instant::now();
    let clients = Clients::spawn(&charon, &msg, &counters)?;
    let (first, died) = hammer(&mut charon, &work, &counters, &mut sym, limits, started);
    let seconds = started.elapsed().as_secs_f64();
    let (reports, logs) = teardown(charon, &work, clients, &counters, &mut sym, died);
    let errors = counters.errors();
    let (reloads, listings) = (counters.reloads(), counters.listings());
    if died || (!errors.is_empty() && first.is_none()) {
        bail!(
            "{}: charon {} after {seconds:.1} s ({reloads} reloads, {listings} listings); client errors: {errors:?}\n{logs}",
            release.label(),
            if died { "died" } else { "stopped answering" }
        );
    }
    let found = classify::classify(&sym, &reports);
    let seen = Observed {
        first,
        seconds,
        reloads,
        listings,
        errors,
    };
    Ok(conclude(release, versions, limits, seen, found, &sym))
}

/// Starts charon for `work` under helgrind and loads the connection once, before the
/// readers start, so the store holds the key.
fn start<'w>(work: &'w Work, msg: &Message) -> Result<Charon<'w>> {
    let charon = Charon::start(
        work,
        Options {
            helgrind: true,
            ..Options::default()
        },
    )?;
    charon.load_conn(msg)?;
    Ok(charon)
}

/// The polling loop: every 200 ms, until `limits` say stop, charon dies or a client
/// fails, looks for the first relevant report in helgrind's XML (recapturing the
/// method entry points while they are unknown). Returns the first relevant report's
/// time and operation count, and whether charon died.
fn hammer(
    charon: &mut Charon,
    work: &Work,
    counters: &Counters,
    sym: &mut Symbols,
    limits: Limits,
    started: Instant,
) -> (Option<(f64, u64)>, bool) {
    let mut first: Option<(f64, u64)> = None;
    let bound = Duration::try_from_secs_f64(limits.max_seconds.min(1e9)).unwrap_or_default();
    let died = process::wait_until(started + bound, Duration::from_millis(200), || {
        let t = started.elapsed().as_secs_f64();
        if first.is_none() {
            let reports = reports_in(work);
            if sym.pubkey_methods.is_empty() {
                *sym = Symbols::capture(charon.pid());
            }
            if classify::relevant_in(sym, &reports) {
                first = Some((t, counters.ops()));
            }
        }
        if !charon.alive() {
            return Some(true);
        }
        let enough = t >= limits.min_seconds && counters.ops() >= limits.min_ops;
        let stop = (first.is_some() && limits.stop_at_first)
            || enough
            || t >= limits.max_seconds
            || counters.stopped();
        stop.then_some(false)
    });
    (first, died.unwrap_or(false))
}

/// Stops the clients and charon: the method entry points once more while charon runs
/// (objects are surely live now), the clients joined, charon's logs kept, then SIGTERM
/// (valgrind writes its remaining reports and exits: shutdown noise). Returns every
/// report helgrind wrote and the logs.
fn teardown(
    mut charon: Charon,
    work: &Work,
    clients: Clients,
    counters: &Counters,
    sym: &mut Symbols,
    died: bool,
) -> (Vec<Report>, String) {
    counters.stop();
    if !died {
        let again = Symbols::capture(charon.pid());
        if !again.pubkey_methods.is_empty() {
            *sym = again;
        }
    }
    clients.join();
    let logs = charon.logs();
    charon.stop(Duration::from_secs(60));
    drop(charon);
    (reports_in(work), logs)
}

/// The complete reports in helgrind's XML so far (none while there is no file).
fn reports_in(work: &Work) -> Vec<Report> {
    let xml = std::fs::read_to_string(work.helgrind_xml()).unwrap_or_default();
    helgrind::parse_errors(&xml)
}

/// What one hammering observed, for its record.
struct Observed {
    /// The first relevant report seen while hammering: seconds and operations.
    first: Option<(f64, u64)>,
    /// Seconds hammered.
    seconds: f64,
    /// `load-conn`s completed.
    reloads: u64,
    /// `list-certs` completed.
    listings: u64,
    /// Client errors seen (the first few).
    errors: Vec<String>,
}

/// The run's matrix row (see the module docs) and everything else it observed.
fn conclude(
    release: Release,
    versions: String,
    limits: Limits,
    seen: Observed,
    found: Found,
    sym: &Symbols,
) -> RaceRun {
    let Observed {
        first,
        seconds,
        reloads,
        listings,
        errors,
    } = seen;
    let Found {
        relevant,
        noise,
        stacks,
        steps,
        address,
    } = found;
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
        scope: swan_credstore_models::record::Scope::Base,
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
        witness: None,
        seen: None,
    };
    RaceRun {
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
    }
}
