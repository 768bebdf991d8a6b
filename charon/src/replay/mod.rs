//! The model's counterexample forced on the real charon (checker `real_replay`).
//!
//! loom's counterexample for `reload_vs_list_certs × in_place × pre_fix` is one
//! interleaving: the reloading thread is inside `set_subject`, has destroyed the old
//! identity and not yet stored the new pointer; a `list-certs` thread loads the
//! subject pointer and reads the identity. This module makes stock Debian charon run
//! exactly that interleaving, every time, with gdb in non-stop mode ([`crate::gdbmi`]):
//!
//! * **5.9.8** (pre-fix): one `load-conn` first (so a `pubkey_cert` is live and its
//!   method table can be read: [`crate::inspect`]); gdb attaches to that charon, by its
//!   PID; breakpoints on `equals` and `get_ref` (the store's duplicate check and
//!   insertion), on `set_subject`'s entry and on the instruction right after its call of
//!   the old identity's `destroy`. A reload is sent. At `set_subject`'s entry the cert
//!   and its old identity are recorded and a breakpoint on `free` of exactly that
//!   address is armed in that thread; the free is seen; then the writer is **held**
//!   after the destroy, before the store. A hardware read watchpoint goes on the freed
//!   block and conditional breakpoints on every load of that cert's subject pointer;
//!   `list-certs` is sent. The reader loads the freed address, reads the freed block,
//!   and then both threads are let go and what charon does next is recorded.
//! * **6.0.1** (fixed): the table has no `set_subject` slot (asserted). The writer is
//!   held at the equivalent point of the fixed `load-conn`: right after the store's
//!   `add_cert_ref` released its write lock (the `get_ref` of the stored object, then
//!   the thread's next `pthread_rwlock_unlock`, then `finish`), before the config is
//!   merged; every `free` the writer made until then is recorded. `list-certs` is sent
//!   and every subject load of every cert is checked: the identity it loads was not
//!   freed and still starts with its methods.
//!
//! Every wait is bounded ([`STEP_TIMEOUT`]); a breakpoint that does not hit gives an
//! `error` row with the reason, never a pass. Whatever happens, the breakpoints are
//! removed and charon is detached or killed by PID ([`crate::gdbmi::Gdb`]'s drop), and
//! charon (started by this module) is stopped by PID ([`crate::daemon::Charon`]'s drop).
//!
//! What lives here: the run ([`run`], [`run_many`]) and its observations ([`Facts`],
//! [`ReplayRun`]); the shared machinery of the schedules in `driver.rs`, the two
//! schedules in `pre_fix.rs` and `fixed.rs`, the IKE reader in [`ike`], the summary and
//! the saved records in `report.rs`.

use crate::daemon::{Charon, Options, Release, Work};
use crate::gdbmi::{self, Gdb};

mod driver;
mod facts;
mod fixed;
pub mod ike;
mod pre_fix;
mod report;
use crate::inspect::{self, Code, Sites};
use crate::process;
use crate::race;
use anyhow::{bail, Context, Result};
use driver::{Client, Ctx, Steps, Who};
use facts::conclude;
pub use facts::{Facts, Load};
pub use report::{load_records, records_path, save, summary};
use std::time::{Duration, Instant};
use swan_credstore_models::record::{Bounds, Checker, Outcome, Record, Scenario, StepKind};

/// The checker name of the rows.
pub const CHECKER: Checker = Checker::RealReplay;
/// How long one step of the schedule may wait for its breakpoint.
pub const STEP_TIMEOUT: Duration = Duration::from_secs(20);

/// Which reader the forced schedule lets run while the writer is held.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reader {
    /// vici `list-certs`: `enum_certs`' duplicate check (`equals`) and the listing
    /// (`get_subject`). The model's `reload_vs_list_certs`.
    ListCerts,
    /// IKE_AUTH on the daemon: the initiator's raw key looked up by its identity
    /// (`has_subject`), the initiator being a second charon in the daemon's network
    /// namespace ([`ike`]). The model's `reload_vs_lookup`.
    IkeLookup,
    /// No reader at all: the driver's own negative control. No breakpoint of the
    /// reader can hit, so the row must be `error` (never `pass`), and charon must be
    /// left detached and running.
    Silent,
}

impl Reader {
    /// The two real readers ([`Reader::Silent`] is a control, not a reader).
    pub const ALL: [Reader; 2] = [Reader::ListCerts, Reader::IkeLookup];

    /// The model scenario this reader corresponds to.
    pub fn scenario(self) -> Scenario {
        match self {
            Reader::ListCerts | Reader::Silent => race::SCENARIO,
            Reader::IkeLookup => Scenario::ReloadVsLookup,
        }
    }

    /// How the reader's thread is named in the steps.
    pub fn label(self) -> &'static str {
        match self {
            Reader::ListCerts => "vici list-certs",
            Reader::IkeLookup => "IKE_AUTH lookup",
            Reader::Silent => "no reader",
        }
    }
}

/// What one forced run observed.
#[derive(Clone, Debug)]
pub struct ReplayRun {
    /// The daemon.
    pub release: Release,
    /// The reader.
    pub reader: Reader,
    /// The matrix row (its `counterexample` is the forced run's step list).
    pub record: Record,
    /// Wall time of the run, start of charon to its stop.
    pub seconds: f64,
    /// The recovered sites, for the report.
    pub sites: String,
    /// The observations the verdict was computed from (empty after an error).
    pub facts: Facts,
    /// Whether charon was still running once let go, and the PID tracing it then (0:
    /// none).
    pub after: (bool, u32),
}

/// Runs the forced schedule on `release` once with `reader` (see the module docs). An
/// error only when the run could not be set up or left charon traced; a schedule that
/// did not go as forced is an `error` row with the reason.
pub fn run(release: Release, reader: Reader) -> Result<ReplayRun> {
    let started = Instant::now();
    let phase = |what: &str| {
        if std::env::var_os("SWAN_REPLAY_TRACE").is_some() {
            eprintln!("replay: {:6.2} s {what}", started.elapsed().as_secs_f64());
        }
    };
    let versions = release.provision()?;
    let work = Work::new(release, "replay")?;
    let msg = race::connection(&work)?;
    let ike = reader == Reader::IkeLookup;
    let charon = Charon::start(
        &work,
        Options {
            ike_port: ike.then_some(ike::PORT),
            ..Options::default()
        },
    )?;
    charon.load_conn(&msg)?;
    let pid = charon.pid();
    phase("charon started, first load-conn done");
    let peer_work = if ike {
        Some(Work::new(Release::Bookworm, "replay-peer")?)
    } else {
        None
    };
    let peer = match &peer_work {
        Some(w) => Some(ike::start_peer(w, &charon)?),
        None => None,
    };
    let trigger = || match (&peer, reader) {
        (Some(p), _) => Client::initiate(p),
        (None, Reader::Silent) => Ok(Client::silent()),
        (None, _) => Client::list_certs(&charon),
    };
    let code = read_code(pid, &phase)?;
    let root = release.root();
    let exe = root
        .as_ref()
        .map(|r| r.join(crate::daemon::CHARON.trim_start_matches('/')));
    let mut gdb = Gdb::attach(pid, root.as_deref(), exe.as_deref())?;
    phase("gdb attached");
    let sites = inspect::sites(&mut gdb, &code)?;
    let ctx = Ctx {
        pid,
        code: &code,
        sites: &sites,
    };
    let mut steps = Steps {
        steps: Vec::new(),
        writer: "charon (vici load-conn)".into(),
        reader: format!("charon ({})", reader.label()),
        reader_label: reader.label(),
    };
    let outcome = match release {
        Release::Bookworm => pre_fix::run(&mut gdb, &ctx, &charon, &msg, &mut steps, &trigger),
        Release::Trixie => fixed::run(&mut gdb, &ctx, &charon, &msg, &mut steps, &trigger),
    };
    phase("schedule done");
    let released = gdb.release();
    drop(gdb);
    phase("gdb released");
    let (outcome, mut message, facts) = conclude(outcome, released);
    // What charon did once let go.
    let mut charon = charon;
    let (alive, traced, after) = let_go(&mut charon, &work, facts.signal.is_some());
    phase("waited for charon");
    steps.push(Who::Daemon, StepKind::Call, "let go", after.clone());
    message.push_str(&format!("; then {after}"));
    if alive && traced != 0 {
        bail!("charon {pid} is still traced by {traced} after the replay");
    }
    drop(charon);
    phase("charon stopped");
    let site_text = describe_sites(&sites, &code);
    let expected = release.expected();
    let seconds = started.elapsed().as_secs_f64();
    let record = Record {
        scenario: reader.scenario(),
        scope: swan_credstore_models::record::Scope::Base,
        variant: release.variant(),
        cell: None,
        flow: release.flow(),
        checker: CHECKER,
        expected,
        outcome,
        message: Some(message),
        interleavings: 1,
        first_failing: (outcome == Outcome::Race).then_some(1),
        seconds,
        bounds: Bounds {
            threads: 2,
            operations: format!(
                "stock charon ({}) held by gdb in non-stop mode: one load-conn rpk (one raw RSA key, id = peer.example.org) first, then a reload held {}, then {}; one forced schedule, not a search",
                versions.lines().next().unwrap_or(""),
                match release {
                    Release::Bookworm => "in set_subject after the old identity's destroy, before the store",
                    Release::Trixie => "after add_cert_ref released the store's lock, before the merge",
                },
                match reader {
                    Reader::ListCerts => "one list-certs type pubkey".to_string(),
                    Reader::Silent => "no reader (the driver's negative control)".to_string(),
                    Reader::IkeLookup => format!(
                        "one IKE_SA initiated by a second charon (bookworm's) over loopback to port {}, authenticating with the connection's raw key as peer.example.org",
                        ike::PORT
                    ),
                }
            ),
            preemption_bound: None,
            exhaustive: false,
            max_iterations: None,
            pct_depth: None,
            seed: None,
        },
        counterexample: Some(steps.steps),
        schedule: None,
        witness: None,
        seen: None,
    };
    Ok(ReplayRun {
        release,
        reader,
        record,
        seconds,
        sites: site_text,
        facts,
        after: (alive, traced),
    })
}

/// The method table of charon `pid`, read as soon as a `pubkey_cert` is live (up to 20
/// attempts, 100 ms apart, each failure traced by `phase`).
fn read_code(pid: u32, phase: &dyn Fn(&str)) -> Result<Code> {
    let mut attempt = 0;
    let code = process::wait_until(
        Instant::now() + Duration::from_millis(1900),
        Duration::from_millis(100),
        || {
            attempt += 1;
            Code::read(pid)
                .inspect_err(|e| phase(&format!("method table, attempt {attempt}: {e:#}")))
                .ok()
        },
    )
    .context("no live pubkey_cert in charon after the first load-conn")?;
    phase(&format!(
        "method table read ({} MiB of anonymous memory)",
        code.maps
            .iter()
            .filter(|m| m.perms.starts_with("rw") && (m.path.is_empty() || m.path == "[heap]"))
            .map(|m| m.end - m.start)
            .sum::<u64>()
            >> 20
    ));
    Ok(code)
}

/// What charon does once let go: waited for up to 10 s to die when the reader got a
/// signal. Returns whether it is alive, the PID tracing it (0: none) and the step text.
fn let_go(charon: &mut Charon, work: &Work, signalled: bool) -> (bool, u32, String) {
    let pid = charon.pid();
    if signalled {
        let deadline = Instant::now() + Duration::from_secs(10);
        process::wait_until(deadline, Duration::from_millis(100), || {
            (!charon.alive()).then_some(())
        });
    }
    let alive = charon.alive();
    let traced = gdbmi::tracer_of(pid).unwrap_or(0);
    let log = std::fs::read_to_string(work.log()).unwrap_or_default();
    let crash: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("received") || l.contains("killing ourself"))
        .take(3)
        .collect();
    let after = if alive {
        format!("charon carries on (PID {pid} alive, tracer PID {traced})")
    } else {
        format!(
            "charon died: {}",
            if crash.is_empty() {
                "no log line".to_string()
            } else {
                crash.join(" / ")
            }
        )
    };
    (alive, traced, after)
}

/// The recovered sites as one line, for the report.
fn describe_sites(sites: &Sites, code: &Code) -> String {
    format!(
        "subject at +{:#x}; loads: {}; set_subject: {}",
        sites.subject_offset,
        sites
            .loads
            .iter()
            .map(|l| format!("{} {}", l.method, code.describe(l.addr)))
            .collect::<Vec<_>>()
            .join(", "),
        sites
            .set_subject
            .map(|(e, a)| format!(
                "entry {}, after destroy {}",
                code.describe(e),
                code.describe(a)
            ))
            .unwrap_or_else(|| "none (no slot in the method table)".into())
    )
}

/// `runs` forced runs on each of `releases`, one after the other; every run's result,
/// an error being an `error` row (never a pass).
pub fn run_many(releases: &[Release], readers: &[Reader], runs: usize) -> Vec<ReplayRun> {
    let mut out = Vec::new();
    for &reader in readers {
        for &release in releases {
            for i in 1..=runs.max(1) {
                let r = run(release, reader)
                    .unwrap_or_else(|e| error_run(release, reader, format!("{e:#}")));
                eprintln!(
                    "real replay: {} × {} run {i}/{runs}: {} ({:.1} s)",
                    release.label(),
                    reader.label(),
                    r.record.outcome,
                    r.seconds
                );
                out.push(r);
            }
        }
    }
    out
}

fn error_run(release: Release, reader: Reader, e: String) -> ReplayRun {
    let expected = release.expected();
    ReplayRun {
        release,
        reader,
        record: Record {
            scenario: reader.scenario(),
            scope: swan_credstore_models::record::Scope::Base,
            variant: release.variant(),
            cell: None,
            flow: release.flow(),
            checker: CHECKER,
            expected,
            outcome: Outcome::Error,
            message: Some(e),
            interleavings: 0,
            first_failing: None,
            seconds: 0.0,
            bounds: Bounds {
                threads: 2,
                operations: "forced schedule (not completed)".into(),
                preemption_bound: None,
                exhaustive: false,
                max_iterations: None,
                pct_depth: None,
                seed: None,
            },
            counterexample: None,
            schedule: None,
            witness: None,
            seen: None,
        },
        seconds: 0.0,
        sites: String::new(),
        facts: Facts::default(),
        after: (false, 0),
    }
}
