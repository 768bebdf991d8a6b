//! A charon started by hand ([`Charon`], with its [`Options`]): spawned in its own
//! network and mount namespace, ready once it answers on vici, stopped by PID on drop.

use super::{Work, CHARON};
use crate::process::{self, TempDir};
use crate::vici::{Message, Vici};
use anyhow::{anyhow, bail, Context, Result};
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How to start charon.
#[derive(Clone, Copy, Debug, Default)]
pub struct Options {
    /// Run it under `valgrind --tool=helgrind` with XML output into the work folder.
    pub helgrind: bool,
    /// Listen for IKE on this UDP port (NAT-T on the next); `None`: random ports.
    pub ike_port: Option<u16>,
    /// Start it in the network namespace of this process (another charon this process
    /// started, its IKE peer) instead of a new one.
    pub netns_of: Option<u32>,
}

/// A charon this process started; stopped by PID on drop, whatever happens.
pub struct Charon<'w> {
    child: Child,
    work: &'w Work,
    socket: PathBuf,
    /// The folder of the short link to a long socket path (removed with it).
    link: Option<TempDir>,
    /// The daemon's answer to vici `version`.
    pub version: String,
}

/// The shell steps run inside the new namespaces before charon is exec'ed, as one
/// fixed script: every path and the program's words are the script's arguments
/// (`"$1"`, `"$@"`), never spliced into it, so nothing needs quoting. A private /run
/// too: charon refuses to start while /run/charon.pid exists, so a stale pid file (or
/// another charon on the host) must not decide whether this one starts.
fn script(new_netns: bool, in_root: bool) -> String {
    let net = if new_netns {
        "ip link set lo up && "
    } else {
        ""
    };
    if in_root {
        format!(
            "{net}mount -t proc proc \"$1\" && mount -t tmpfs tmpfs \"$2\" && shift 2 && exec chroot \"$@\""
        )
    } else {
        format!("{net}mount -t tmpfs tmpfs /run && exec \"$@\"")
    }
}

/// The command that starts charon for `work` (see the `daemon` module docs).
fn command(work: &Work, options: Options) -> Command {
    // `--name=` and the daemon's view of a path in the work folder, as one argument.
    let path_opt = |name: &str, p: PathBuf| {
        let mut o = OsString::from(name);
        o.push(work.inner_path(&p));
        o
    };
    let mut program: Vec<OsString> = Vec::new();
    if options.helgrind {
        program.extend(["valgrind", "--tool=helgrind", "--xml=yes"].map(OsString::from));
        program.push(path_opt("--xml-file=", work.helgrind_xml()));
        program.push(path_opt("--log-file=", work.dir().join("run/valgrind.log")));
    }
    program.push(CHARON.into());
    let mut cmd = match options.netns_of {
        None => Command::new("unshare"),
        Some(pid) => {
            let mut c = Command::new("nsenter");
            c.arg(format!("--net=/proc/{pid}/ns/net")).arg("unshare");
            c
        }
    };
    if options.netns_of.is_none() {
        cmd.arg("--net");
    }
    cmd.args(["--mount", "--propagation", "private"]);
    cmd.args(["sh", "-c"])
        .arg(script(options.netns_of.is_none(), work.root.is_some()))
        .arg("sh");
    if let Some(root) = &work.root {
        cmd.arg(root.join("proc")).arg(root.join("run")).arg(root);
    }
    cmd.args(program).env("STRONGSWAN_CONF", work.conf_inner());
    cmd
}

impl<'w> Charon<'w> {
    /// Starts charon for `work` and waits until it answers on vici (15 s; 120 s under
    /// valgrind). A daemon that exits or does not answer is an error with its logs.
    pub fn start(work: &'w Work, options: Options) -> Result<Charon<'w>> {
        let _ = std::fs::remove_file(work.vici());
        let _ = std::fs::remove_file(work.log());
        let _ = std::fs::remove_file(work.helgrind_xml());
        let out_file = work.dir().join("run/charon.stdout");
        let stdout = std::fs::File::create(&out_file)
            .with_context(|| format!("cannot create {}", out_file.display()))?;
        let stderr = stdout
            .try_clone()
            .with_context(|| format!("cannot share {}", out_file.display()))?;
        work.write_strongswan_conf(options.ike_port)?;
        let child = process::spawn(
            command(work, options)
                .stdin(Stdio::null())
                .stdout(stdout)
                .stderr(stderr),
        )?;
        let mut charon = Charon {
            child,
            work,
            socket: work.vici(),
            link: None,
            version: String::new(),
        };
        // A unix socket path must fit in 108 bytes: connect through a short link.
        if charon.socket.as_os_str().len() > 100 {
            let dir = process::temp_dir("swan-vici-", &std::env::temp_dir())?;
            let l = dir.path().join("s");
            std::os::unix::fs::symlink(&charon.socket, &l)
                .with_context(|| format!("cannot link {} to the vici socket", l.display()))?;
            charon.socket = l;
            charon.link = Some(dir);
        }
        let limit = Duration::from_secs(if options.helgrind { 120 } else { 15 });
        let ready = process::wait_until(Instant::now() + limit, Duration::from_millis(100), || {
            if let Some(status) = process::exited(&mut charon.child) {
                return Some(Err(status));
            }
            if !work.vici().exists() {
                return None;
            }
            let version = Vici::connect(&charon.socket).and_then(|mut c| c.version());
            version.ok().map(Ok)
        });
        match ready {
            Some(Ok(v)) => {
                charon.version = v;
                Ok(charon)
            }
            Some(Err(status)) => bail!(
                "{} charon exited during start-up ({status}):\n{}",
                work.release.label(),
                charon.logs()
            ),
            None => bail!(
                "{} charon did not answer on vici within {} s:\n{}",
                work.release.label(),
                limit.as_secs(),
                charon.logs()
            ),
        }
    }

    /// charon's PID (valgrind's, under helgrind: the same process).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The vici socket path to connect to.
    pub fn socket(&self) -> &Path {
        &self.socket
    }

    /// A new vici connection.
    pub fn vici(&self) -> Result<Vici> {
        Vici::connect(&self.socket)
    }

    /// `load-conn` of `msg` on a new vici connection; a refused or failed request is an
    /// error that carries charon's logs.
    pub fn load_conn(&self, msg: &Message) -> Result<()> {
        self.vici()?
            .load_conn(msg)
            .map_err(|e| anyhow!("{e:#}\n{}", self.logs()))
    }

    /// Whether charon is still running.
    pub fn alive(&mut self) -> bool {
        process::running(&mut self.child)
    }

    /// charon's file log, its stdout/stderr and valgrind's log, for error messages.
    pub fn logs(&self) -> String {
        let read = |p: PathBuf| {
            std::fs::read_to_string(&p).unwrap_or_else(|e| format!("({}: {e})", p.display()))
        };
        let tail = |s: String| {
            let lines: Vec<&str> = s.lines().collect();
            lines[lines.len().saturating_sub(80)..].join("\n")
        };
        format!(
            "--- charon.log (last lines)\n{}\n--- charon stdout/stderr\n{}\n--- valgrind.log (last lines)\n{}",
            tail(read(self.work.log())),
            tail(read(self.work.dir().join("run/charon.stdout"))),
            tail(read(self.work.dir().join("run/valgrind.log")))
        )
    }

    /// `swanctl` of this release with `args` (path arguments in the daemon's view); its
    /// standard output, or an error with both outputs and charon's logs.
    pub fn swanctl(&self, args: &[&str], swanctl_dir: Option<&Path>) -> Result<String> {
        let mut cmd = match swanctl_dir {
            Some(d) => self.work.tool_with("swanctl", d),
            None => self.work.tool("swanctl"),
        };
        let out = process::run(cmd.args(args))?;
        if !out.status.success() {
            return Err(anyhow!(
                "swanctl {args:?} failed:\n{}\n{}\n{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr),
                self.logs()
            ));
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// Stops charon: SIGTERM, then SIGKILL after `grace`; waits for it. Idempotent.
    pub fn stop(&mut self, grace: Duration) {
        if let Err(e) = process::stop(&mut self.child, grace) {
            eprintln!("charon {}: {e:#}", self.child.id());
        }
        self.link = None;
    }
}

impl Drop for Charon<'_> {
    fn drop(&mut self) {
        self.stop(Duration::from_secs(10));
        // /proc was mounted in charon's private mount namespace only; should the host
        // see it anyway (a kernel without private propagation), undo it.
        if let Some(root) = &self.work.root {
            let proc_dir = root.join("proc");
            if std::fs::read_to_string("/proc/self/mounts")
                .is_ok_and(|m| m.contains(&format!(" {} ", proc_dir.display())))
            {
                let _ = process::run(Command::new("umount").arg("-l").arg(&proc_dir));
            }
        }
    }
}
