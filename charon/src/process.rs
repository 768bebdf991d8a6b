//! Every process and temporary folder this crate handles goes through here: running a
//! command to completion ([`run`], [`run_ok`]), spawning one ([`spawn`]), asking a
//! child whether it has exited ([`exited`], [`running`]), waiting for it with a bound
//! ([`wait_for`], built on `wait-timeout`), stopping it ([`stop`], [`kill_child`]),
//! signalling a process by PID ([`signal`], [`kill_if_still`], built on `rustix`),
//! temporary folders ([`temp_dir`], [`work_dir`], built on `tempfile`), and the one
//! polling helper for conditions that are no process exit ([`wait_until`]).
//!
//! No command here goes through a shell, and no PID is signalled without a reason to
//! believe it is still the process meant.

use anyhow::{bail, Context, Result};
use rustix::process::{kill_process, Pid, Signal};
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::time::{Duration, Instant};
pub use tempfile::TempDir;
use wait_timeout::ChildExt;

/// The environment variable that keeps work folders ([`work_dir`]) after the run, for
/// inspection.
pub const KEEP_DIR_VAR: &str = "KEEP_REAL_CHARON_DIR";

/// Runs `cmd` with no standard input and returns its output, whatever its exit status;
/// an error only when it cannot be started (the error names the command).
pub fn run(cmd: &mut Command) -> Result<Output> {
    let shown = format!("{cmd:?}");
    cmd.stdin(Stdio::null())
        .output()
        .with_context(|| format!("cannot run {shown}"))
}

/// Runs `cmd` with no standard input; its standard output when it exits with success,
/// otherwise an error naming the command, its status and both outputs.
pub fn run_ok(cmd: &mut Command) -> Result<String> {
    let shown = format!("{cmd:?}");
    let out = run(cmd)?;
    if !out.status.success() {
        bail!(
            "{shown} failed ({}):\n{}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Spawns `cmd` as it is set up (standard streams included); the error names the
/// command.
pub fn spawn(cmd: &mut Command) -> Result<Child> {
    cmd.spawn().with_context(|| format!("cannot spawn {cmd:?}"))
}

/// The child's exit status if it has exited (reaping it), `None` while it runs. A
/// failure to ask counts as running: the caller's bounded waits and [`stop`] decide.
pub fn exited(child: &mut Child) -> Option<ExitStatus> {
    child.try_wait().ok().flatten()
}

/// Whether the child is still running (asked without blocking).
pub fn running(child: &mut Child) -> bool {
    matches!(child.try_wait(), Ok(None))
}

/// Waits up to `timeout` for the child to exit: its status, or `None` when it still
/// runs then (it is left running).
pub fn wait_for(child: &mut Child, timeout: Duration) -> Result<Option<ExitStatus>> {
    child
        .wait_timeout(timeout)
        .with_context(|| format!("cannot wait for process {}", child.id()))
}

/// Sends `signal` to process `pid`. A process that is already gone is not an error.
pub fn signal(pid: u32, signal: Signal) -> Result<()> {
    let raw = i32::try_from(pid).with_context(|| format!("PID {pid} out of range"))?;
    let pid_t = Pid::from_raw(raw).with_context(|| format!("PID {pid} is not a process"))?;
    match kill_process(pid_t, signal) {
        Ok(()) | Err(rustix::io::Errno::SRCH) => Ok(()),
        Err(e) => Err(e).with_context(|| format!("cannot send {signal:?} to process {pid}")),
    }
}

/// Stops a child: SIGTERM, then SIGKILL if it has not exited after `grace`, and reaps
/// it. Returns its exit status; a child that had already exited is only reaped.
pub fn stop(child: &mut Child, grace: Duration) -> Result<ExitStatus> {
    if let Some(status) = exited(child) {
        return Ok(status);
    }
    signal(child.id(), Signal::TERM)?;
    if let Some(status) = wait_for(child, grace)? {
        return Ok(status);
    }
    kill_child(child)
}

/// Kills a child with SIGKILL unless it has already exited, and reaps it.
pub fn kill_child(child: &mut Child) -> Result<ExitStatus> {
    let pid = child.id();
    if running(child) {
        child
            .kill()
            .with_context(|| format!("cannot kill process {pid}"))?;
    }
    child
        .wait()
        .with_context(|| format!("cannot reap process {pid}"))
}

/// The name of process `pid` (/proc/PID/comm), `None` when it is gone.
pub fn comm_of(pid: u32) -> Option<String> {
    std::fs::read_to_string(format!("/proc/{pid}/comm"))
        .ok()
        .map(|c| c.trim().to_string())
}

/// Sends SIGKILL to process `pid` only while it is still the process named `comm`
/// (see [`comm_of`]): a PID whose process is gone may have been reused, and then it is
/// left alone. `Ok(true)`: the process was there and was sent the signal.
pub fn kill_if_still(pid: u32, comm: &str) -> Result<bool> {
    if comm_of(pid).as_deref() != Some(comm) {
        return Ok(false);
    }
    signal(pid, Signal::KILL)?;
    Ok(true)
}

/// Polls `probe` until it returns `Some`, at once and then every `step`, for conditions
/// that are not a process exit (a socket answering, a report in a file, a child's death
/// seen together with other state). Returns the first `Some`, or `None` once a probe at
/// or after `deadline` returned `None`. The last sleep is cut short at the deadline,
/// so a probe always runs at it.
pub fn wait_until<T>(
    deadline: Instant,
    step: Duration,
    mut probe: impl FnMut() -> Option<T>,
) -> Option<T> {
    loop {
        if let Some(v) = probe() {
            return Some(v);
        }
        let now = Instant::now();
        if now >= deadline {
            return None;
        }
        std::thread::sleep(step.min(deadline - now));
    }
}

/// A new, empty folder in `parent` (created if missing) named `PREFIX` and a random
/// suffix, so that folders of parallel runs never collide; removed with everything in
/// it when the value is dropped.
pub fn temp_dir(prefix: &str, parent: &Path) -> Result<TempDir> {
    std::fs::create_dir_all(parent)
        .with_context(|| format!("cannot create {}", parent.display()))?;
    tempfile::Builder::new()
        .prefix(prefix)
        .tempdir_in(parent)
        .with_context(|| format!("cannot create a folder {prefix}… in {}", parent.display()))
}

/// [`temp_dir`] for a run's work folder: kept after the run (and its path printed) when
/// [`KEEP_DIR_VAR`] is set, removed on drop otherwise.
pub fn work_dir(prefix: &str, parent: &Path) -> Result<TempDir> {
    let mut dir = temp_dir(prefix, parent)?;
    if std::env::var_os(KEEP_DIR_VAR).is_some() {
        dir.disable_cleanup(true);
        eprintln!("{KEEP_DIR_VAR}: keeping {}", dir.path().display());
    }
    Ok(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stop_terminates_a_child_and_a_gone_one_is_only_reaped() {
        let mut child = spawn(Command::new("sleep").arg("30")).expect("sleep");
        assert!(running(&mut child));
        let status = stop(&mut child, Duration::from_secs(5)).expect("stopped");
        assert!(!status.success(), "ended by SIGTERM: {status:?}");
        assert!(stop(&mut child, Duration::from_secs(5)).is_ok());
        assert!(exited(&mut child).is_some());
    }

    #[test]
    fn wait_for_is_bounded() {
        let mut child = spawn(Command::new("sleep").arg("30")).expect("sleep");
        let t = Instant::now();
        assert_eq!(
            wait_for(&mut child, Duration::from_millis(100)).ok(),
            Some(None)
        );
        assert!(t.elapsed() < Duration::from_secs(5));
        kill_child(&mut child).expect("killed");
    }

    #[test]
    fn wait_until_probes_at_the_deadline() {
        let start = Instant::now();
        let mut n = 0;
        let got = wait_until(start, Duration::from_secs(10), || {
            n += 1;
            None::<()>
        });
        assert_eq!((got, n), (None, 1));
        assert_eq!(
            wait_until(
                start + Duration::from_secs(5),
                Duration::from_millis(1),
                || {
                    n += 1;
                    (n > 3).then_some(n)
                }
            ),
            Some(4)
        );
    }

    #[test]
    fn temp_dirs_are_unique_and_removed() {
        let parent = std::env::temp_dir();
        let (a, b) = (
            temp_dir("swan-process-test-", &parent).expect("a"),
            temp_dir("swan-process-test-", &parent).expect("b"),
        );
        assert_ne!(a.path(), b.path());
        let p = a.path().to_path_buf();
        drop(a);
        assert!(!p.exists());
    }
}
