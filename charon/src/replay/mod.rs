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

use crate::daemon::{Charon, Options, Release, Work};
use crate::gdbmi::{self, Gdb, Stop};

mod fixed;
pub mod ike;
mod pre_fix;
use crate::inspect::{self, Code, Sites};
use crate::race;
use crate::vici::{Message, Vici};
use std::sync::mpsc;
use std::time::{Duration, Instant};
use swan_credstore_models::record::{
    Bounds, Checker, Outcome, Record, Scenario, StepKind, StepRecord,
};

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

/// One load of a cert's subject pointer by the reader while the writer was held.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Load {
    /// The cert (`this`).
    pub cert: u64,
    /// The address the load returned (the cert's subject field; the writer is held, so
    /// the field cannot change under it).
    pub subject: u64,
    /// Whether that block still started with an identity's methods.
    pub live: bool,
}

/// What a forced run observed; its verdict is computed from these alone
/// ([`Facts::verdict`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Facts {
    /// Whether the method table has a `set_subject` slot (5.9.8: yes; 6.0.1: no).
    pub set_subject_slot: bool,
    /// Identity blocks the writer freed before it was held, that a reader could reach.
    pub freed: Vec<u64>,
    /// The reader's subject loads while the writer was held.
    pub loads: Vec<Load>,
    /// Whether a hardware watchpoint saw the reader read a freed block.
    pub read_of_freed: bool,
    /// A signal the reader got afterwards (`SIGSEGV`).
    pub signal: Option<String>,
}

impl Facts {
    /// `race` when the reader loaded an address the writer had freed, or a block that
    /// is no identity any more; `pass` when it loaded at least one subject and every one
    /// was live; an error when it loaded none (nothing was checked).
    pub fn verdict(&self) -> Result<Outcome, String> {
        if self.loads.is_empty() {
            return Err("the reader loaded no subject while the writer was held".into());
        }
        let bad = self
            .loads
            .iter()
            .any(|l| !l.live || self.freed.contains(&l.subject));
        Ok(if bad { Outcome::Race } else { Outcome::Pass })
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

/// Step list under construction.
pub(super) struct Steps {
    steps: Vec<StepRecord>,
    writer: String,
    reader: String,
    reader_label: &'static str,
}

/// Which charon thread made a step.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Who {
    Writer,
    Reader,
    Daemon,
}

impl Steps {
    pub(super) fn name(&mut self, who: Who, gdb_thread: &str) {
        match who {
            Who::Writer => self.writer = format!("charon thread {gdb_thread} (vici load-conn)"),
            Who::Reader => {
                self.reader = format!("charon thread {gdb_thread} ({})", self.reader_label)
            }
            Who::Daemon => {}
        }
    }
    pub(super) fn reader_label(&self) -> &'static str {
        self.reader_label
    }
    pub(super) fn push(&mut self, who: Who, kind: StepKind, op: &str, detail: String) {
        let thread = match who {
            Who::Writer => &self.writer,
            Who::Reader => &self.reader,
            Who::Daemon => "charon",
        };
        self.steps.push(StepRecord {
            seq: self.steps.len() + 1,
            thread: thread.to_string(),
            kind,
            op: op.to_string(),
            object: None,
            detail,
            at: None,
        });
    }
}

/// A vici request run on its own thread, so the driver can hold charon meanwhile.
pub(super) struct Client {
    done: mpsc::Receiver<Result<String, String>>,
    answer: Option<String>,
}

impl Client {
    /// Runs `request` on a new connection to `charon`, on its own thread.
    fn spawn(
        charon: &Charon,
        request: impl FnOnce(&mut Vici) -> Result<String, String> + Send + 'static,
    ) -> Result<Client, String> {
        let mut v = charon.vici()?;
        let (tx, done) = mpsc::channel();
        std::thread::spawn(move || {
            let _ = tx.send(request(&mut v));
        });
        Ok(Client { done, answer: None })
    }
    pub(super) fn load_conn(charon: &Charon, msg: &Message) -> Result<Client, String> {
        let msg = msg.clone();
        Client::spawn(charon, move |v| {
            v.load_conn(&msg).map(|()| "load-conn: success".to_string())
        })
    }
    pub(super) fn list_certs(charon: &Charon) -> Result<Client, String> {
        Client::spawn(charon, |v| {
            v.list_certs("pubkey").map(|certs| {
                let subjects: Vec<String> = certs
                    .iter()
                    .map(|c| c.subject.clone().unwrap_or_else(|| "(no subject)".into()))
                    .collect();
                format!(
                    "list-certs: {} cert(s): {}",
                    certs.len(),
                    subjects.join(", ")
                )
            })
        })
    }
    pub(super) fn initiate(peer: &Charon) -> Result<Client, String> {
        Client::spawn(peer, |v| {
            v.initiate_ike(ike::CONN, 15_000)
                .map(|()| "initiate (on the IKE peer): IKE_SA established".to_string())
        })
    }
    /// A request never sent: it counts as answered at once.
    fn silent() -> Client {
        Client {
            done: mpsc::channel().1,
            answer: Some("no request sent (the driver's negative control)".into()),
        }
    }
    fn text(r: Result<String, String>) -> String {
        r.unwrap_or_else(|e| format!("failed: {e}"))
    }
    /// The answer, if it has come.
    pub(super) fn poll(&mut self) -> Option<&str> {
        if self.answer.is_none() {
            if let Ok(r) = self.done.try_recv() {
                self.answer = Some(Client::text(r));
            }
        }
        self.answer.as_deref()
    }
    /// The answer, waiting up to `timeout` for it.
    pub(super) fn result(&mut self, timeout: Duration) -> String {
        if let Some(a) = &self.answer {
            return a.clone();
        }
        match self.done.recv_timeout(timeout) {
            Ok(r) => Client::text(r),
            Err(_) => format!("no answer within {timeout:?}"),
        }
    }
}

pub(super) struct Ctx<'a> {
    pub(super) pid: u32,
    pub(super) code: &'a Code,
    pub(super) sites: &'a Sites,
}

impl Ctx<'_> {
    pub(super) fn id(&self, addr: u64) -> String {
        match inspect::identity(self.pid, self.code, addr) {
            Ok(v) => match &v.value {
                Some(val) if v.live() => format!("{addr:#x} ({val})"),
                _ => format!(
                    "{addr:#x} (words 0–1: {:#x} {:#x}, not an identity's methods)",
                    v.head[0], v.head[1]
                ),
            },
            Err(e) => format!("{addr:#x} ({e})"),
        }
    }
    pub(super) fn subject_of(&self, cert: u64) -> Result<u64, String> {
        Ok(inspect::read_words(self.pid, cert + self.sites.subject_offset, 1)?[0])
    }
    pub(super) fn frames(&self, gdb: &mut Gdb, thread: &str) -> String {
        match gdb.frames(thread, 5) {
            Ok(f) => f
                .iter()
                .map(|&a| self.code.describe(a))
                .collect::<Vec<_>>()
                .join(" ← "),
            Err(e) => format!("(no frames: {e})"),
        }
    }
}

/// Hands the reader's stops to `on_stop` (which returns `false` to stop waiting, at a
/// signal) until the reader's request has been answered and no stop came for 300 ms,
/// or [`STEP_TIMEOUT`] passed.
pub(super) fn reader_stops(
    gdb: &mut Gdb,
    client: &mut Client,
    mut on_stop: impl FnMut(&mut Gdb, Stop) -> Result<bool, String>,
) -> Result<(), String> {
    let deadline = Instant::now() + STEP_TIMEOUT;
    while Instant::now() < deadline {
        let answered = client.poll().is_some();
        let wait = Duration::from_millis(if answered { 300 } else { 100 });
        match gdb.wait_stop(wait, |_| true, |_, _| Ok(()))? {
            Some(s) => {
                let go_on = on_stop(gdb, s)?;
                if !go_on {
                    return Ok(());
                }
            }
            None if answered => return Ok(()),
            None => {}
        }
    }
    Ok(())
}

pub(super) fn is_bp(s: &Stop, n: &str) -> bool {
    s.reason == "breakpoint-hit" && s.bkptno.as_deref() == Some(n)
}

pub(super) fn need(stop: Option<Stop>, what: &str) -> Result<Stop, String> {
    stop.ok_or_else(|| format!("{what}: no such stop within {STEP_TIMEOUT:?}"))
}

/// Runs the forced schedule on `release` once with `reader` (see the module docs).
pub fn run(release: Release, reader: Reader) -> Result<ReplayRun, String> {
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
    charon
        .vici()?
        .load_conn(&msg)
        .map_err(|e| format!("{e}\n{}", charon.logs()))?;
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
    let mut code = None;
    for attempt in 1..=20 {
        match Code::read(pid) {
            Ok(c) => {
                code = Some(c);
                break;
            }
            Err(e) => {
                phase(&format!("method table, attempt {attempt}: {e}"));
                std::thread::sleep(Duration::from_millis(100))
            }
        }
    }
    let code = code.ok_or("no live pubkey_cert in charon after the first load-conn")?;
    let root = release.root();
    let exe = root
        .as_ref()
        .map(|r| r.join(crate::daemon::CHARON.trim_start_matches('/')));
    phase(&format!(
        "method table read ({} MiB of anonymous memory)",
        code.maps
            .iter()
            .filter(|m| m.perms.starts_with("rw") && (m.path.is_empty() || m.path == "[heap]"))
            .map(|m| m.end - m.start)
            .sum::<u64>()
            >> 20
    ));
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
    let mut facts = Facts::default();
    let (outcome, mut message) = match (outcome, released) {
        (Ok((f, m)), Ok(())) => {
            let v = f.verdict();
            facts = f;
            match v {
                Ok(o) => (o, m),
                Err(e) => (Outcome::Error, format!("{m}; {e}")),
            }
        }
        (Ok((_, m)), Err(r)) => (Outcome::Error, format!("{m}; {r}")),
        (Err(e), Ok(())) => (Outcome::Error, e),
        (Err(e), Err(r)) => (Outcome::Error, format!("{e}; {r}")),
    };
    // What charon did once let go.
    let mut charon = charon;
    let deadline = Instant::now() + Duration::from_secs(10);
    while charon.alive() && Instant::now() < deadline && facts.signal.is_some() {
        std::thread::sleep(Duration::from_millis(100));
    }
    phase("waited for charon");
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
    steps.push(Who::Daemon, StepKind::Call, "let go", after.clone());
    message.push_str(&format!("; then {after}"));
    if alive && traced != 0 {
        return Err(format!(
            "charon {pid} is still traced by {traced} after the replay"
        ));
    }
    drop(charon);
    phase("charon stopped");
    let site_text = format!(
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
    );
    let expected = release.expected();
    let seconds = started.elapsed().as_secs_f64();
    let record = Record {
        scenario: reader.scenario(),
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

/// Resumes a stop that is not the one waited for, or refuses a signal.
pub(super) fn pass_on(gdb: &mut Gdb, s: Stop) -> Result<(), String> {
    match (&s.thread, s.reason.as_str()) {
        (Some(t), "breakpoint-hit") => gdb.continue_thread(t),
        // A stop with no reason or signal 0: gdb stopping a thread for itself (the
        // attach); it is resumed.
        (Some(t), "") => gdb.continue_thread(t),
        (Some(t), "signal-received") if s.signal.as_deref() == Some("0") => gdb.continue_thread(t),
        _ => Err(format!(
            "unexpected stop: {} {} in thread {:?} at {:?}",
            s.reason,
            s.signal.clone().unwrap_or_default(),
            s.thread,
            s.pc.map(|p| format!("{p:#x}"))
        )),
    }
}

/// The next breakpoint stop (any thread), or a signal/exit stop as an error.
pub(super) fn next_break(gdb: &mut Gdb, what: &str) -> Result<(Stop, String), String> {
    let quiet = |s: &Stop| {
        s.reason.is_empty() || (s.reason == "signal-received" && s.signal.as_deref() == Some("0"))
    };
    let s = need(gdb.wait_stop(STEP_TIMEOUT, |s| !quiet(s), pass_on)?, what)?;
    match (&s.thread, s.reason.as_str()) {
        (Some(t), "breakpoint-hit") => {
            let t = t.clone();
            Ok((s, t))
        }
        _ => Err(format!(
            "{what}: charon stopped for another reason: {} {} at {:?}",
            s.reason,
            s.signal.clone().unwrap_or_default(),
            s.pc.map(|p| format!("{p:#x}"))
        )),
    }
}

pub(super) fn at(a: u64) -> String {
    format!("*{a:#x}")
}

/// `runs` forced runs on each of `releases`, one after the other; every run's result,
/// an error being an `error` row (never a pass).
pub fn run_many(releases: &[Release], readers: &[Reader], runs: usize) -> Vec<ReplayRun> {
    let mut out = Vec::new();
    for &reader in readers {
        for &release in releases {
            for i in 1..=runs.max(1) {
                let r = run(release, reader).unwrap_or_else(|e| error_run(release, reader, e));
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
        },
        seconds: 0.0,
        sites: String::new(),
        facts: Facts::default(),
        after: (false, 0),
    }
}

fn cell_label(release: Release, reader: Reader) -> String {
    format!("{} × {}", release.label(), reader.label())
}

/// Per daemon and reader: how many runs had the expected outcome, and the time per run
/// (min, median, max).
pub fn summary(runs: &[ReplayRun]) -> String {
    let mut out = String::new();
    for reader in Reader::ALL {
        for release in Release::ALL {
            let mine: Vec<&ReplayRun> = runs
                .iter()
                .filter(|r| r.release == release && r.reader == reader)
                .collect();
            if mine.is_empty() {
                continue;
            }
            let ok = mine.iter().filter(|r| r.record.as_expected()).count();
            let mut t: Vec<f64> = mine.iter().map(|r| r.seconds).collect();
            t.sort_by(f64::total_cmp);
            out.push_str(&format!(
                "{}: {ok} of {} forced runs {} as expected ({}); seconds per run: min {:.1}, median {:.1}, max {:.1}\n",
                cell_label(release, reader),
                mine.len(),
                mine[0].record.expected,
                if ok == mine.len() { "all" } else { "NOT all" },
                t[0],
                t[t.len() / 2],
                t[t.len() - 1]
            ));
            for r in mine.iter().filter(|r| !r.record.as_expected()) {
                out.push_str(&format!(
                    "  {}: {}\n",
                    r.record.outcome,
                    r.record.message.clone().unwrap_or_default()
                ));
            }
        }
    }
    out
}

/// Where the records go.
pub fn records_path() -> std::path::PathBuf {
    crate::target_dir().join("reports/real-replay.json")
}

/// Saves one record per daemon and reader (its last run, the summary line appended to
/// its message) and the summary with every run's steps as text beside it. Records of
/// cells these runs did not cover are kept from the previous save.
pub fn save(runs: &[ReplayRun]) -> Result<(), String> {
    let sum = summary(runs);
    let mut last: Vec<Record> = Vec::new();
    for reader in Reader::ALL {
        for release in Release::ALL {
            if let Some(r) = runs
                .iter()
                .rev()
                .find(|r| r.release == release && r.reader == reader)
            {
                let mut rec = r.record.clone();
                let label = cell_label(release, reader);
                let line = sum.lines().find(|l| l.starts_with(&label)).unwrap_or("");
                rec.message = Some(format!(
                    "{} [{line}]",
                    rec.message.take().unwrap_or_default()
                ));
                last.push(rec);
            }
        }
    }
    let covered = |r: &Record| {
        last.iter()
            .any(|l| l.scenario == r.scenario && l.variant == r.variant && l.flow == r.flow)
    };
    let kept: Vec<Record> = load_records()
        .unwrap_or_default()
        .into_iter()
        .filter(|r| !covered(r))
        .collect();
    last.extend(kept);
    let mut text = sum.clone();
    for r in runs {
        text.push_str(&format!(
            "\n== {} ({:.1} s)\n   sites: {}\n",
            cell_label(r.release, r.reader),
            r.seconds,
            r.sites
        ));
        for s in r.record.counterexample.iter().flatten() {
            text.push_str(&format!(
                "   {:>3}  {}  {}: {}\n",
                s.seq, s.thread, s.op, s.detail
            ));
        }
    }
    crate::save_records(&records_path(), last.iter(), &text)
}

/// Reads the saved records (for `cargo xtask verify --real` and the report).
pub fn load_records() -> Result<Vec<Record>, String> {
    crate::load_records(&records_path(), "cargo xtask real-replay")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(subject: u64, live: bool) -> Load {
        Load {
            cert: 0x1000,
            subject,
            live,
        }
    }

    #[test]
    fn verdict_is_computed_from_the_loads() {
        let mut f = Facts {
            freed: vec![0x2000],
            ..Facts::default()
        };
        assert!(f.verdict().is_err(), "no load: nothing was checked");
        f.loads = vec![load(0x3000, true)];
        assert_eq!(f.verdict(), Ok(Outcome::Pass));
        f.loads.push(load(0x2000, true));
        assert_eq!(f.verdict(), Ok(Outcome::Race), "a load of a freed address");
        f.loads = vec![load(0x4000, false)];
        assert_eq!(
            f.verdict(),
            Ok(Outcome::Race),
            "a block that is no identity"
        );
    }
}
