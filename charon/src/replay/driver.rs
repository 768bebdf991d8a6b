//! The forced schedules' shared machinery: the step list under construction
//! ([`Steps`], [`Who`]), vici requests on their own threads ([`Client`]), reading the
//! held charon ([`Ctx`]), and waiting for gdb's stops ([`next_break`], [`reader_stops`],
//! [`pass_on`]). Used by the 5.9.8 and the 6.0.1 schedule alike.

use super::{ike, STEP_TIMEOUT};
use crate::daemon::Charon;
use crate::gdbmi::{Gdb, Stop};
use crate::inspect::{self, Code, Sites};
use crate::vici::{Message, Vici};
use anyhow::{anyhow, Context, Result};
use std::sync::mpsc;
use std::time::{Duration, Instant};
use swan_credstore_models::record::{StepKind, StepRecord};

/// Step list under construction.
pub(super) struct Steps {
    pub(super) steps: Vec<StepRecord>,
    pub(super) writer: String,
    pub(super) reader: String,
    pub(super) reader_label: &'static str,
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
            accesses: Vec::new(),
            syncs: Vec::new(),
        });
    }
    /// Names the object the last step acted on: the block at `addr` (the explorer
    /// follows each block from the step that names it to its free).
    pub(super) fn on(&mut self, addr: u64) {
        if let Some(s) = self.steps.last_mut() {
            s.object = Some(format!("{addr:#x}"));
        }
    }
}

/// A vici request run on its own thread, so the driver can hold charon meanwhile.
pub(super) struct Client {
    done: mpsc::Receiver<Result<String>>,
    answer: Option<String>,
}

impl Client {
    /// Runs `request` on a new connection to `charon`, on its own thread.
    fn spawn(
        charon: &Charon,
        request: impl FnOnce(&mut Vici) -> Result<String> + Send + 'static,
    ) -> Result<Client> {
        let mut v = charon.vici()?;
        let (tx, done) = mpsc::channel();
        std::thread::spawn(move || {
            let _ = tx.send(request(&mut v));
        });
        Ok(Client { done, answer: None })
    }
    pub(super) fn load_conn(charon: &Charon, msg: &Message) -> Result<Client> {
        let msg = msg.clone();
        Client::spawn(charon, move |v| {
            v.load_conn(&msg).map(|()| "load-conn: success".to_string())
        })
    }
    pub(super) fn list_certs(charon: &Charon) -> Result<Client> {
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
    pub(super) fn initiate(peer: &Charon) -> Result<Client> {
        Client::spawn(peer, |v| {
            v.initiate_ike(ike::CONN, 15_000)
                .map(|()| "initiate (on the IKE peer): IKE_SA established".to_string())
        })
    }
    /// A request never sent: it counts as answered at once.
    pub(super) fn silent() -> Client {
        Client {
            done: mpsc::channel().1,
            answer: Some("no request sent (the driver's negative control)".into()),
        }
    }
    fn text(r: Result<String>) -> String {
        r.unwrap_or_else(|e| format!("failed: {e:#}"))
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
            Err(e) => format!("{addr:#x} ({e:#})"),
        }
    }
    pub(super) fn subject_of(&self, cert: u64) -> Result<u64> {
        Ok(inspect::read_words(self.pid, cert + self.sites.subject_offset, 1)?[0])
    }
    pub(super) fn frames(&self, gdb: &mut Gdb, thread: &str) -> String {
        match gdb.frames(thread, 5) {
            Ok(f) => f
                .iter()
                .map(|&a| self.code.describe(a))
                .collect::<Vec<_>>()
                .join(" ← "),
            Err(e) => format!("(no frames: {e:#})"),
        }
    }
}

/// Hands the reader's stops to `on_stop` (which returns `false` to stop waiting, at a
/// signal) until the reader's request has been answered and no stop came for 300 ms,
/// or [`STEP_TIMEOUT`] passed.
pub(super) fn reader_stops(
    gdb: &mut Gdb,
    client: &mut Client,
    mut on_stop: impl FnMut(&mut Gdb, Stop) -> Result<bool>,
) -> Result<()> {
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

pub(super) fn need(stop: Option<Stop>, what: &str) -> Result<Stop> {
    stop.with_context(|| format!("{what}: no such stop within {STEP_TIMEOUT:?}"))
}

/// Resumes a stop that is not the one waited for, or refuses a signal.
pub(super) fn pass_on(gdb: &mut Gdb, s: Stop) -> Result<()> {
    match (&s.thread, s.reason.as_str()) {
        (Some(t), "breakpoint-hit") => gdb.continue_thread(t),
        // A stop with no reason or signal 0: gdb stopping a thread for itself (the
        // attach); it is resumed.
        (Some(t), "") => gdb.continue_thread(t),
        (Some(t), "signal-received") if s.signal.as_deref() == Some("0") => gdb.continue_thread(t),
        _ => Err(anyhow!(
            "unexpected stop: {} {} in thread {:?} at {:?}",
            s.reason,
            s.signal.clone().unwrap_or_default(),
            s.thread,
            s.pc.map(|p| format!("{p:#x}"))
        )),
    }
}

/// The next breakpoint stop (any thread), or a signal/exit stop as an error.
pub(super) fn next_break(gdb: &mut Gdb, what: &str) -> Result<(Stop, String)> {
    let quiet = |s: &Stop| {
        s.reason.is_empty() || (s.reason == "signal-received" && s.signal.as_deref() == Some("0"))
    };
    let s = need(gdb.wait_stop(STEP_TIMEOUT, |s| !quiet(s), pass_on)?, what)?;
    match (&s.thread, s.reason.as_str()) {
        (Some(t), "breakpoint-hit") => {
            let t = t.clone();
            Ok((s, t))
        }
        _ => Err(anyhow!(
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
