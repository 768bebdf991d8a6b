//! A minimal client of gdb's machine interface (GDB/MI 3), for the forced-schedule
//! replay ([`crate::replay`]).
//!
//! Why gdb/MI and not a ptrace crate: the replay needs breakpoints in a stripped,
//! multi-threaded daemon, one thread held while the others run (gdb's *non-stop*
//! mode), a hardware read watchpoint on a freed block, `finish` out of a libc function,
//! and unwinding through code without symbols (gdb reads `.eh_frame`). gdb already does
//! all of that correctly for every thread charon creates; doing it by hand with ptrace
//! means re-implementing thread tracking, breakpoint stepping and debug registers. MI
//! (rather than a command file) because the driver must react to each stop: trigger the
//! reader only once the writer is held, read registers of one stopped thread, and
//! always clean up. Inferior function calls are never used (they do not work here).
//!
//! What lives here: [`Value`] (MI's values) and its parser, [`Record`] (one output
//! line), and [`Gdb`], a gdb attached to one PID in non-stop mode that sends commands
//! with tokens, waits for their results with a bound, and queues the asynchronous
//! stops. Dropping a [`Gdb`] removes every breakpoint and detaches; when that fails
//! (gdb hung or died) it kills gdb **and the traced process, by its PID**, because a
//! process left with breakpoint instructions in its code would die later anyway.

use crate::process;
use anyhow::{anyhow, bail, Context, Result};
use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

mod parse;
#[cfg(test)]
mod tests;
pub use parse::{number, parse_line, Record, Value};

/// How long one MI command may take before the driver gives up on gdb.
pub const COMMAND_TIMEOUT: Duration = Duration::from_secs(20);

/// A thread stop gdb reported (`*stopped`).
#[derive(Clone, Debug)]
pub struct Stop {
    /// `breakpoint-hit`, `read-watchpoint-trigger`, `signal-received`,
    /// `function-finished`, `exited-signalled`, ...
    pub reason: String,
    /// gdb's thread id (`None` when the process is gone).
    pub thread: Option<String>,
    /// The breakpoint's number, for `breakpoint-hit`.
    pub bkptno: Option<String>,
    /// The watchpoint's number, for watchpoint triggers.
    pub wpnum: Option<String>,
    /// The signal's name, for `signal-received`.
    pub signal: Option<String>,
    /// The stopped thread's program counter.
    pub pc: Option<u64>,
    /// The whole record.
    pub raw: Value,
}

impl Stop {
    fn from(results: &Value) -> Stop {
        let frame = results.get("frame");
        Stop {
            reason: results.str("reason").unwrap_or("").into(),
            thread: results.str("thread-id").map(String::from),
            bkptno: results.str("bkptno").map(String::from),
            wpnum: results
                .get("hw-rwpt")
                .or_else(|| results.get("hw-awpt"))
                .and_then(|w| w.str("number"))
                .map(String::from),
            signal: results.str("signal-name").map(String::from),
            pc: frame.and_then(|f| f.str("addr")).and_then(number),
            raw: results.clone(),
        }
    }
}

/// gdb attached to one process in non-stop mode (see the module docs).
pub struct Gdb {
    child: Child,
    stdin: ChildStdin,
    lines: Receiver<String>,
    token: u64,
    stops: VecDeque<Stop>,
    pid: u32,
    /// The process's name when attached (/proc/PID/comm).
    comm: String,
    attached: bool,
}

impl Gdb {
    /// Starts gdb and attaches it to `pid` in non-stop mode. For a process in a chroot,
    /// `sysroot` is the root (its libraries are read from there) and `exe` its
    /// executable seen from the host. Every thread is stopped by the attach; call
    /// [`Gdb::continue_all`] to let them run.
    pub fn attach(pid: u32, sysroot: Option<&Path>, exe: Option<&Path>) -> Result<Gdb> {
        let mut child = process::spawn(
            Command::new("gdb")
                .args(["-nx", "-q", "--interpreter=mi3"])
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::null()),
        )
        .context("cannot start gdb (apt-get install gdb)")?;
        let stdin = child.stdin.take().expect("piped");
        let stdout = child.stdout.take().expect("piped");
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut gdb = Gdb {
            child,
            stdin,
            lines,
            token: 0,
            stops: VecDeque::new(),
            pid,
            comm: process::comm_of(pid).unwrap_or_default(),
            attached: false,
        };
        gdb.cmd("-gdb-set non-stop on")?;
        gdb.cmd("-gdb-set mi-async on")?;
        gdb.cmd("-gdb-set pagination off")?;
        gdb.cmd("-gdb-set confirm off")?;
        // Never ask a debuginfod server for symbols (no network here; the driver needs
        // none). Older gdbs without the setting are fine as they are.
        let _ = gdb.cmd("-gdb-set debuginfod enabled off");
        if let Some(root) = sysroot {
            gdb.cmd(&format!("-gdb-set sysroot {}", root.display()))?;
        }
        if let Some(exe) = exe {
            gdb.cmd(&format!("-file-exec-and-symbols {}", exe.display()))?;
        }
        gdb.attached = true;
        gdb.cmd(&format!("-target-attach {pid}"))?;
        // The attach stops every thread; gdb reports each (late reports are dropped by
        // the first `continue_all`).
        gdb.drain(Duration::from_millis(200));
        Ok(gdb)
    }

    fn pump(&mut self, line: String) -> Option<Record> {
        let rec = parse_line(&line);
        if let Record::Async {
            kind: '*',
            class,
            results,
        } = &rec
        {
            if class == "stopped" {
                self.stops.push_back(Stop::from(results));
            }
        }
        if let Record::Async { class, .. } = &rec {
            if class == "thread-group-exited" {
                self.stops.push_back(Stop {
                    reason: "exited".into(),
                    thread: None,
                    bkptno: None,
                    wpnum: None,
                    signal: None,
                    pc: None,
                    raw: Value::Tuple(Vec::new()),
                });
            }
        }
        Some(rec)
    }

    fn drain(&mut self, quiet: Duration) {
        while let Ok(line) = self.lines.recv_timeout(quiet) {
            self.pump(line);
        }
    }

    /// Sends one MI command and waits for its result: the results tuple of `^done` /
    /// `^running`, or an error with gdb's message.
    pub fn cmd(&mut self, command: &str) -> Result<Value> {
        self.token += 1;
        let token = self.token;
        writeln!(self.stdin, "{token}{command}")
            .and_then(|_| self.stdin.flush())
            .with_context(|| format!("gdb is gone ({command})"))?;
        let deadline = Instant::now() + COMMAND_TIMEOUT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = match self.lines.recv_timeout(left) {
                Ok(l) => l,
                Err(RecvTimeoutError::Timeout) => {
                    bail!("gdb did not answer {command} within {COMMAND_TIMEOUT:?}")
                }
                Err(RecvTimeoutError::Disconnected) => {
                    bail!("gdb exited while running {command}")
                }
            };
            if let Some(Record::Result {
                token: Some(t),
                class,
                results,
            }) = self.pump(line)
            {
                if t != token {
                    continue;
                }
                return match class.as_str() {
                    "error" => Err(anyhow!(
                        "gdb: {command}: {}",
                        results.str("msg").unwrap_or("error")
                    )),
                    _ => Ok(results),
                };
            }
        }
    }

    /// Waits up to `timeout` for a stop that `want` accepts; stops it does not accept
    /// are passed to `other` (which may resume them) in order.
    pub fn wait_stop(
        &mut self,
        timeout: Duration,
        want: impl Fn(&Stop) -> bool,
        mut other: impl FnMut(&mut Gdb, Stop) -> Result<()>,
    ) -> Result<Option<Stop>> {
        let deadline = Instant::now() + timeout;
        loop {
            while let Some(s) = self.stops.pop_front() {
                if want(&s) {
                    return Ok(Some(s));
                }
                other(self, s)?;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Ok(None);
            }
            match self
                .lines
                .recv_timeout(left.min(Duration::from_millis(100)))
            {
                Ok(line) => {
                    self.pump(line);
                }
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => bail!("gdb exited"),
            }
        }
    }

    /// Resumes every thread. Stops reported before gdb accepted the command (the
    /// attach's, for one) are over: they are dropped from the queue.
    pub fn continue_all(&mut self) -> Result<()> {
        self.cmd("-exec-continue --all")?;
        self.stops.clear();
        Ok(())
    }

    /// Resumes one thread.
    pub fn continue_thread(&mut self, thread: &str) -> Result<()> {
        self.cmd(&format!("-exec-continue --thread {thread}"))
            .map(|_| ())
    }

    /// Evaluates `expr` (registers, `*(long*)ADDR`) in frame 0 of a stopped thread, as
    /// an integer.
    pub fn eval(&mut self, thread: &str, expr: &str) -> Result<u64> {
        let v = self.cmd(&format!(
            "-data-evaluate-expression --thread {thread} --frame 0 \"{expr}\""
        ))?;
        let s = v.str("value").unwrap_or("");
        number(s).with_context(|| format!("gdb: {expr} = {s:?} is not a number"))
    }

    /// The program counters of a stopped thread's innermost `depth` frames (gdb
    /// unwinds through stripped code with `.eh_frame`).
    pub fn frames(&mut self, thread: &str, depth: usize) -> Result<Vec<u64>> {
        let v = self.cmd(&format!(
            "-stack-list-frames --thread {thread} 0 {}",
            depth.saturating_sub(1)
        ))?;
        Ok(v.get("stack")
            .map(|s| s.items())
            .unwrap_or_default()
            .into_iter()
            .filter_map(|f| f.str("addr").and_then(number))
            .collect())
    }

    /// The instructions from `start` to `end`: (address, text).
    pub fn disassemble(&mut self, start: u64, end: u64) -> Result<Vec<(u64, String)>> {
        let v = self.cmd(&format!("-data-disassemble -s {start:#x} -e {end:#x} -- 0"))?;
        Ok(v.get("asm_insns")
            .map(|s| s.items())
            .unwrap_or_default()
            .into_iter()
            .filter_map(|i| Some((number(i.str("address")?)?, i.str("inst")?.to_string())))
            .collect())
    }

    /// Inserts a breakpoint at `location` (`*0xADDR`, `free`), optionally for one
    /// thread and with a condition; returns its number.
    pub fn break_insert(
        &mut self,
        location: &str,
        thread: Option<&str>,
        condition: Option<&str>,
    ) -> Result<String> {
        let mut c = String::from("-break-insert");
        if let Some(t) = thread {
            c.push_str(&format!(" -p {t}"));
        }
        if let Some(cond) = condition {
            c.push_str(&format!(" -c \"{cond}\""));
        }
        c.push(' ');
        c.push_str(location);
        let v = self.cmd(&c)?;
        v.get("bkpt")
            .and_then(|b| b.str("number"))
            .map(String::from)
            .with_context(|| format!("gdb: {c}: no breakpoint number"))
    }

    /// A hardware read watchpoint on the 8 bytes at `addr`, set from the context of
    /// `thread` (a stopped one: gdb needs a stopped thread to evaluate the expression);
    /// it watches every thread. Returns its number.
    pub fn watch_read(&mut self, thread: &str, addr: u64) -> Result<String> {
        let v = self.cmd(&format!(
            "-break-watch --thread {thread} --frame 0 -r *(long*){addr:#x}"
        ))?;
        v.get("hw-rwpt")
            .and_then(|b| b.str("number"))
            .map(String::from)
            .context("gdb: no hardware read watchpoint")
    }

    /// Deletes breakpoints (all of them when `numbers` is empty).
    pub fn break_delete(&mut self, numbers: &[&str]) -> Result<()> {
        self.cmd(&format!("-break-delete {}", numbers.join(" ")))
            .map(|_| ())
    }

    /// Removes every breakpoint, detaches (the process's stopped threads resume, and a
    /// signal a thread stopped with is delivered) and ends gdb. On any failure gdb is
    /// killed and so is the traced process, by PID (see the module docs); the error
    /// says so.
    pub fn release(&mut self) -> Result<()> {
        if !self.attached {
            return Ok(());
        }
        self.attached = false;
        let detached = self
            .cmd("-break-delete")
            .and_then(|_| self.cmd("-target-detach"))
            .map(|_| ());
        let _ = writeln!(self.stdin, "-gdb-exit").and_then(|_| self.stdin.flush());
        let exited = matches!(
            process::wait_for(&mut self.child, Duration::from_secs(10)),
            Ok(Some(_))
        );
        if !exited {
            let _ = process::kill_child(&mut self.child);
        }
        match detached {
            Ok(()) => Ok(()),
            Err(e) => {
                // Only the process attached to: a PID whose process is gone may have
                // been reused, and then it is left alone.
                let killed = process::kill_if_still(self.pid, &self.comm);
                let fate = match &killed {
                    Ok(true) => format!("killed process {} by PID", self.pid),
                    Ok(false) => format!("process {} is gone", self.pid),
                    Err(k) => format!("{k:#}"),
                };
                bail!("could not remove the breakpoints and detach ({e:#}): {fate}")
            }
        }
    }
}

impl Drop for Gdb {
    fn drop(&mut self) {
        if let Err(e) = self.release() {
            eprintln!("gdb: {e}");
        }
        if let Err(e) = process::kill_child(&mut self.child) {
            eprintln!("gdb: {e:#}");
        }
    }
}

/// The PID tracing process `pid` (0: none), from /proc/PID/status; `None` when the
/// process is gone.
pub fn tracer_of(pid: u32) -> Option<u32> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("TracerPid:"))
        .and_then(|v| v.trim().parse().ok())
}
