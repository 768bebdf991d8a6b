//! Starting a real charon by hand: a private work folder (strongswan.conf, swanctl
//! folders, vici socket, logs) and the daemon in its own network namespace with only
//! loopback, stopped by PID on drop whatever happens.
//!
//! * [`Release::Bookworm`] (5.9.8, pre-fix): `unshare --net --mount sh -c 'ip link set
//!   lo up && mount -t tmpfs tmpfs /run && exec /usr/lib/ipsec/charon'` on the host (a
//!   private /run, so no other charon's pid file can stop this one).
//! * [`Release::Trixie`] (6.0.1, fixed): `unshare --net --mount sh -c 'ip link set lo up
//!   && mount -t proc proc ROOT/proc && mount -t tmpfs tmpfs ROOT/run && exec chroot ROOT
//!   /usr/lib/ipsec/charon'`. The mount namespace is private (unshare's default
//!   propagation), so /proc and a private /run (no stale pid file can stop charon) are
//!   mounted inside the root for charon only and disappear with it; the work folder lives
//!   inside the root, and its vici socket is reachable from the host through the
//!   root's path.
//!
//! With [`Options::netns_of`] the command is `nsenter --net=/proc/PID/ns/net unshare
//! --mount ...` instead, without `ip link`: a second charon in the namespace of the
//! first, its IKE peer over loopback.
//!
//! Under helgrind the exec'ed program is `valgrind --tool=helgrind --xml=yes ...
//! charon` (the host's valgrind for bookworm, trixie's inside the root), so the PID is
//! still the daemon's.

use crate::vici::Vici;
use crate::{provision, run};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use swan_credstore::Flow;
use swan_credstore_models::record::Variant;

/// The charon executable (inside the root for trixie).
pub const CHARON: &str = "/usr/lib/ipsec/charon";

/// Which stock daemon.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Release {
    /// Debian bookworm's strongSwan 5.9.8: the pre-fix `load-conn`.
    Bookworm,
    /// Debian trixie's strongSwan 6.0.1: the upstream fix.
    Trixie,
}

impl Release {
    /// Both, pre-fix first.
    pub const ALL: [Release; 2] = [Release::Bookworm, Release::Trixie];

    /// "bookworm 5.9.8" / "trixie 6.0.1".
    pub fn label(self) -> &'static str {
        match self {
            Release::Bookworm => "bookworm 5.9.8",
            Release::Trixie => "trixie 6.0.1",
        }
    }

    /// Short name for folders.
    pub fn tag(self) -> &'static str {
        match self {
            Release::Bookworm => "bookworm",
            Release::Trixie => "trixie",
        }
    }

    /// The model flow this daemon implements.
    pub fn flow(self) -> Flow {
        match self {
            Release::Bookworm => Flow::PreFix,
            Release::Trixie => Flow::UpstreamFix,
        }
    }

    /// The model's subject-cell variant for this daemon.
    pub fn variant(self) -> Variant {
        match self {
            Release::Bookworm => Variant::InPlace,
            Release::Trixie => Variant::Immutable,
        }
    }

    /// The outcome every subject-race check must give this daemon: `race` on the
    /// pre-fix release, `pass` on the fixed one.
    pub fn expected(self) -> swan_credstore_models::record::Outcome {
        use swan_credstore_models::record::Outcome;
        match self {
            Release::Bookworm => Outcome::Race,
            Release::Trixie => Outcome::Pass,
        }
    }

    /// Installs what this daemon needs; returns the package versions.
    pub fn provision(self) -> Result<String, String> {
        match self {
            Release::Bookworm => provision::ensure_host(),
            Release::Trixie => provision::ensure_trixie().map(|(_, v)| v),
        }
    }

    /// The root the daemon runs in (`None`: the host).
    pub fn root(self) -> Option<PathBuf> {
        match self {
            Release::Bookworm => None,
            Release::Trixie => Some(provision::trixie_root()),
        }
    }
}

/// A private work folder: strongswan.conf, swanctl folders, keys, logs, vici socket.
/// For trixie it lives inside the root; `inner` paths are the daemon's view.
pub struct Work {
    /// The daemon.
    pub release: Release,
    host: PathBuf,
    inner: PathBuf,
    root: Option<PathBuf>,
    openssl: bool,
}

impl Work {
    /// A fresh folder for `release`, tagged `tag` (with this process's id and a serial
    /// number, so that folders of parallel tests never collide).
    pub fn new(release: Release, tag: &str) -> Result<Work, String> {
        // Unique per process and per folder: tests of one binary run in parallel.
        static SERIAL: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let serial = SERIAL.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let name = format!(
            "swan-credstore-{tag}-{}-{}-{serial}",
            release.tag(),
            std::process::id()
        );
        let root = release.root();
        let (host, inner) = match &root {
            None => {
                let d = std::env::temp_dir().join(&name);
                (d.clone(), d)
            }
            Some(r) => (r.join("tmp").join(&name), Path::new("/tmp").join(&name)),
        };
        let _ = std::fs::remove_dir_all(&host);
        for sub in ["run", "swanctl/pubkey", "swanctl/x509", "swanctl/private"] {
            std::fs::create_dir_all(host.join(sub)).map_err(|e| e.to_string())?;
        }
        for sub in [
            "x509", "x509ca", "x509ocsp", "x509aa", "x509ac", "x509crl", "pubkey", "private",
            "rsa", "ecdsa", "bliss", "pkcs8", "pkcs12",
        ] {
            std::fs::create_dir_all(host.join("empty").join(sub)).map_err(|e| e.to_string())?;
        }
        std::fs::write(host.join("empty/swanctl.conf"), "").map_err(|e| e.to_string())?;
        let w = Work {
            release,
            host,
            inner,
            root,
            openssl: tag != "race",
        };
        w.write_strongswan_conf(None)?;
        Ok(w)
    }

    /// The folder, host view.
    pub fn dir(&self) -> &Path {
        &self.host
    }
    /// The swanctl folder (host view).
    pub fn swanctl_dir(&self) -> PathBuf {
        self.host.join("swanctl")
    }
    /// The daemon's view of a host path inside the folder.
    pub fn inner_path(&self, host: &Path) -> PathBuf {
        match host.strip_prefix(&self.host) {
            Ok(rel) => self.inner.join(rel),
            Err(_) => host.to_path_buf(),
        }
    }
    /// The vici socket (host view).
    pub fn vici(&self) -> PathBuf {
        self.host.join("run/charon.vici")
    }
    /// charon's file log (host view).
    pub fn log(&self) -> PathBuf {
        self.host.join("run/charon.log")
    }
    /// helgrind's XML output (host view).
    pub fn helgrind_xml(&self) -> PathBuf {
        self.host.join("run/helgrind.xml")
    }
    fn conf_inner(&self) -> PathBuf {
        self.inner.join("strongswan.conf")
    }

    /// `openssl`: load the openssl plugin (ECDSA and Ed25519 keys need it). The race runs
    /// leave it out, as the reference measurements did (notes/the-bug.md): libcrypto's internal locks are
    /// taken by the reloading and the listing threads alike, and helgrind then sees them
    /// ordered, which hides the unordered subject accesses (RSA keys parse with gmp).
    ///
    /// `ike_port`: the UDP port charon listens on for IKE (and the next one for NAT-T);
    /// `None`: random ports (nothing talks IKE to it).
    fn write_strongswan_conf(&self, ike_port: Option<u16>) -> Result<(), String> {
        let vici = self.inner.join("run/charon.vici").display().to_string();
        let log = self.inner.join("run/charon.log").display().to_string();
        // kdf: IKE's key derivation (an IKE peer talks to the replay's daemon).
        let openssl = if self.openssl { "openssl kdf " } else { "" };
        let (port, port_nat_t) = ike_port.map_or((0, 0), |p| (p, p + 1));
        // Only the plugins needed: charon must start (kernel-netlink, socket-default)
        // and parse RSA/ECDSA keys and X.509 certs; no port is bound outside lo.
        let text = format!(
            r#"charon {{
    load_modular = no
    load = random nonce drbg {openssl}hmac mgf1 sha1 sha2 pem pkcs1 pkcs8 gmp pubkey x509 constraints kernel-netlink socket-default vici
    install_routes = no
    install_virtual_ip = no
    port = {port}
    port_nat_t = {port_nat_t}
    plugins {{
        vici {{
            socket = unix://{vici}
        }}
    }}
    filelog {{
        test {{
            path = {log}
            default = 1
            flush_line = yes
        }}
    }}
    syslog {{
        daemon {{
            default = -1
        }}
    }}
}}
swanctl {{
    socket = unix://{vici}
}}
"#
        );
        std::fs::write(self.host.join("strongswan.conf"), text).map_err(|e| e.to_string())
    }

    /// A strongSwan tool (`swanctl`, `pki`) of this daemon's release with this folder's
    /// configuration (run inside the root for trixie). Path arguments must be
    /// [`Work::inner_path`]s.
    pub fn tool(&self, program: &str) -> Command {
        self.tool_with(program, &self.inner_path(&self.swanctl_dir()))
    }

    /// [`Work::tool`] with another swanctl folder (daemon view).
    pub fn tool_with(&self, program: &str, swanctl_dir: &Path) -> Command {
        match &self.root {
            None => {
                let mut c = Command::new(program);
                c.env("STRONGSWAN_CONF", self.conf_inner())
                    .env("SWANCTL_DIR", swanctl_dir);
                c
            }
            Some(root) => {
                let mut c = Command::new("chroot");
                c.arg(root)
                    .arg("env")
                    .arg(format!("STRONGSWAN_CONF={}", self.conf_inner().display()))
                    .arg(format!("SWANCTL_DIR={}", swanctl_dir.display()))
                    .arg(program);
                c
            }
        }
    }
}

impl Drop for Work {
    fn drop(&mut self) {
        if std::env::var_os("KEEP_REAL_CHARON_DIR").is_none() {
            let _ = std::fs::remove_dir_all(&self.host);
        }
    }
}

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
    link: Option<PathBuf>,
    /// The daemon's answer to vici `version`.
    pub version: String,
}

fn shell_quote(p: &Path) -> String {
    format!("'{}'", p.display().to_string().replace('\'', r"'\''"))
}

impl<'w> Charon<'w> {
    /// Starts charon for `work` and waits until it answers on vici (15 s; 120 s under
    /// valgrind). A daemon that exits or does not answer is an error with its logs.
    pub fn start(work: &'w Work, options: Options) -> Result<Charon<'w>, String> {
        let _ = std::fs::remove_file(work.vici());
        let _ = std::fs::remove_file(work.log());
        let _ = std::fs::remove_file(work.helgrind_xml());
        let out_file = work.dir().join("run/charon.stdout");
        let stdout = std::fs::File::create(&out_file).map_err(|e| e.to_string())?;
        let stderr = stdout.try_clone().map_err(|e| e.to_string())?;
        let mut program = String::new();
        if options.helgrind {
            program.push_str(&format!(
                "valgrind --tool=helgrind --xml=yes --xml-file={} --log-file={} ",
                shell_quote(&work.inner_path(&work.helgrind_xml())),
                shell_quote(&work.inner_path(&work.dir().join("run/valgrind.log"))),
            ));
        }
        program.push_str(CHARON);
        work.write_strongswan_conf(options.ike_port)?;
        let mut cmd = match options.netns_of {
            None => Command::new("unshare"),
            Some(pid) => {
                let mut c = Command::new("nsenter");
                c.arg(format!("--net=/proc/{pid}/ns/net")).arg("unshare");
                c
            }
        };
        let net = if options.netns_of.is_some() {
            ""
        } else {
            "ip link set lo up && "
        };
        if options.netns_of.is_none() {
            cmd.arg("--net");
        }
        cmd.args(["--mount", "--propagation", "private"]);
        let script = match &work.root {
            None => {
                // A private /run too: charon refuses to start while /run/charon.pid
                // exists, so a stale pid file (or another charon on the host) must not
                // decide whether this one starts.
                format!("{net}mount -t tmpfs tmpfs /run && exec {program}")
            }
            Some(root) => {
                format!(
                    "{net}mount -t proc proc {} && mount -t tmpfs tmpfs {} && exec chroot {} {program}",
                    shell_quote(&root.join("proc")),
                    shell_quote(&root.join("run")),
                    shell_quote(root)
                )
            }
        };
        let child = cmd
            .args(["sh", "-c", &script])
            .env("STRONGSWAN_CONF", work.conf_inner())
            .stdin(Stdio::null())
            .stdout(stdout)
            .stderr(stderr)
            .spawn()
            .map_err(|e| format!("cannot spawn unshare: {e}"))?;
        // A unix socket path must fit in 108 bytes: connect through a short link.
        let long = work.vici();
        let (socket, link) = if long.as_os_str().len() > 100 {
            let l = std::env::temp_dir().join(format!(
                "swan-vici-{}-{}",
                std::process::id(),
                child.id()
            ));
            let _ = std::fs::remove_file(&l);
            std::os::unix::fs::symlink(&long, &l).map_err(|e| e.to_string())?;
            (l.clone(), Some(l))
        } else {
            (long, None)
        };
        let mut charon = Charon {
            child,
            work,
            socket,
            link,
            version: String::new(),
        };
        let limit = Duration::from_secs(if options.helgrind { 120 } else { 15 });
        let deadline = Instant::now() + limit;
        loop {
            if let Ok(Some(status)) = charon.child.try_wait() {
                return Err(format!(
                    "{} charon exited during start-up ({status}):\n{}",
                    work.release.label(),
                    charon.logs()
                ));
            }
            if work.vici().exists() {
                if let Ok(v) = Vici::connect(&charon.socket).and_then(|mut c| c.version()) {
                    charon.version = v;
                    return Ok(charon);
                }
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "{} charon did not answer on vici within {} s:\n{}",
                    work.release.label(),
                    limit.as_secs(),
                    charon.logs()
                ));
            }
            std::thread::sleep(Duration::from_millis(100));
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
    pub fn vici(&self) -> Result<Vici, String> {
        Vici::connect(&self.socket)
    }

    /// Whether charon is still running.
    pub fn alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
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

    /// `swanctl` of this release with `args` (path arguments in the daemon's view).
    pub fn swanctl(&self, args: &[&str], swanctl_dir: Option<&Path>) -> Result<String, String> {
        let mut cmd = match swanctl_dir {
            Some(d) => self.work.tool_with("swanctl", d),
            None => self.work.tool("swanctl"),
        };
        let out = run(cmd.args(args))?;
        if !out.status.success() {
            return Err(format!(
                "swanctl {args:?} failed:\n{}\n{}\n{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr),
                self.logs()
            ));
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// Stops charon: SIGTERM, then SIGKILL after `grace`; waits for it.
    pub fn stop(&mut self, grace: Duration) {
        let pid = self.pid().to_string();
        if let Ok(None) = self.child.try_wait() {
            let _ = Command::new("kill")
                .args(["-TERM", &pid])
                .stdin(Stdio::null())
                .status();
            let deadline = Instant::now() + grace;
            while Instant::now() < deadline {
                if let Ok(Some(_)) = self.child.try_wait() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            if let Ok(None) = self.child.try_wait() {
                let _ = self.child.kill();
            }
        }
        let _ = self.child.wait();
        if let Some(l) = self.link.take() {
            let _ = std::fs::remove_file(l);
        }
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
                let _ = Command::new("umount").arg("-l").arg(&proc_dir).status();
            }
        }
    }
}
