//! Differential test: the model against Debian's real strongSwan daemon (charon 5.9.8,
//! pre-fix).
//!
//! The test installs what it needs if missing (`strongswan-charon`,
//! `strongswan-swanctl`, `strongswan-pki`, the standard and extra plugin packages for
//! `pki` to read ECDSA/Ed25519 keys, `iproute2`; `apt-get update` first, with
//! a `policy-rc.d` that keeps package scripts from starting services). For every
//! scenario it starts its own charon by hand in a fresh network namespace that has
//! only loopback (`unshare --net`), with a private strongswan.conf and vici socket in
//! a temporary folder, drives it with `swanctl`, and after every step counts the raw
//! public keys charon's credential store holds by reading charon's memory
//! ([`scan_store`]: raw-key objects and the store's list nodes that point to them,
//! without merging equal ones; nothing runs inside charon, so no gdb is needed). The model ([`ModelDaemon`]) reads the very same swanctl files and
//! replays the same steps; its pre-fix count must equal the daemon's at every step,
//! and so must what `swanctl --list-certs` shows. `pki --keyid` must print the
//! model's key id for every key. charon is stopped by its PID whatever happens.
//!
//! Needs root (package installation, network namespaces, /proc/PID/mem); fails — with
//! charon's own log when charon is the problem — rather than skipping.
#![cfg(not(any(loom, shuttle)))]

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};
use swan_credstore::swanctl::sim::ModelDaemon;
use swan_credstore::swanctl::Config;
use swan_credstore::Flow;

const CHARON: &str = "/usr/lib/ipsec/charon";
const PACKAGES: &[&str] = &[
    "strongswan-charon",
    "strongswan-swanctl",
    "strongswan-pki",
    "libstrongswan-standard-plugins",
    "libstrongswan-extra-plugins",
    "iproute2",
];

fn run(cmd: &mut Command) -> Output {
    let shown = format!("{cmd:?}");
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {shown}: {e}"));
    out
}

fn run_ok(cmd: &mut Command) -> String {
    let shown = format!("{cmd:?}");
    let out = run(cmd);
    assert!(
        out.status.success(),
        "{shown} failed ({}):\n{}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn is_root() -> bool {
    let out = run(Command::new("id").arg("-u"));
    String::from_utf8_lossy(&out.stdout).trim() == "0"
}

fn installed(pkg: &str) -> bool {
    let out = run(Command::new("dpkg-query").args(["-W", "-f=${Status}", pkg]));
    String::from_utf8_lossy(&out.stdout).contains("ok installed")
}

/// Installs the missing packages once per test process.
fn ensure_packages() {
    static DONE: OnceLock<Result<String, String>> = OnceLock::new();
    let r = DONE.get_or_init(|| {
        if !is_root() {
            return Err("this test needs root (apt-get, unshare --net, /proc/PID/mem)".into());
        }
        let missing: Vec<&str> = PACKAGES.iter().copied().filter(|p| !installed(p)).collect();
        if !missing.is_empty() {
            let policy = Path::new("/usr/sbin/policy-rc.d");
            let created = !policy.exists();
            if created {
                std::fs::write(
                    policy,
                    "#!/bin/sh\n# keep package scripts from starting services\nexit 101\n",
                )
                .map_err(|e| e.to_string())?;
                run_ok(Command::new("chmod").args(["+x", "/usr/sbin/policy-rc.d"]));
            }
            let update = run(Command::new("apt-get").args(["update", "-qq"]));
            let install = run(Command::new("apt-get")
                .env("DEBIAN_FRONTEND", "noninteractive")
                .args(["install", "-y", "-q", "--no-install-recommends"])
                .args(&missing));
            if created {
                let _ = std::fs::remove_file(policy);
            }
            if !update.status.success() || !install.status.success() {
                return Err(format!(
                    "installing {missing:?} failed:\n{}\n{}\n{}",
                    String::from_utf8_lossy(&update.stderr),
                    String::from_utf8_lossy(&install.stdout),
                    String::from_utf8_lossy(&install.stderr)
                ));
            }
        }
        let versions = run_ok(Command::new("dpkg-query").args([
            "-W",
            "-f=${Package} ${Version}\n",
            "strongswan-charon",
            "strongswan-swanctl",
            "strongswan-pki",
        ]));
        Ok(versions)
    });
    match r {
        Ok(v) => eprintln!("packages:\n{v}"),
        Err(e) => panic!("{e}"),
    }
}

/// A private work folder: strongswan.conf, swanctl folders, keys, logs.
struct Work {
    dir: PathBuf,
}

impl Work {
    fn new(tag: &str) -> Work {
        let dir = std::env::temp_dir().join(format!("swan-credstore-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        for sub in [
            "run",
            "swanctl/pubkey",
            "swanctl/x509",
            "swanctl/private",
            "empty",
        ] {
            std::fs::create_dir_all(dir.join(sub)).unwrap();
        }
        for sub in [
            "x509", "x509ca", "x509ocsp", "x509aa", "x509ac", "x509crl", "pubkey", "private",
            "rsa", "ecdsa", "bliss", "pkcs8", "pkcs12",
        ] {
            std::fs::create_dir_all(dir.join("empty").join(sub)).unwrap();
        }
        std::fs::write(dir.join("empty/swanctl.conf"), "").unwrap();
        let w = Work { dir };
        w.write_strongswan_conf();
        w
    }

    fn conf(&self) -> PathBuf {
        self.dir.join("strongswan.conf")
    }
    fn swanctl_dir(&self) -> PathBuf {
        self.dir.join("swanctl")
    }
    fn vici(&self) -> PathBuf {
        self.dir.join("run/charon.vici")
    }
    fn log(&self) -> PathBuf {
        self.dir.join("run/charon.log")
    }

    fn write_strongswan_conf(&self) {
        let vici = self.vici().display().to_string();
        let log = self.log().display().to_string();
        // Only the plugins needed: charon must start (kernel-netlink, socket-default)
        // and parse RSA/ECDSA keys and X.509 certs; no port is bound outside lo.
        let text = format!(
            r#"charon {{
    load_modular = no
    load = random nonce drbg openssl hmac mgf1 sha1 sha2 pem pkcs1 pkcs8 gmp pubkey x509 constraints kernel-netlink socket-default vici
    install_routes = no
    install_virtual_ip = no
    port = 0
    port_nat_t = 0
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
        std::fs::write(self.conf(), text).unwrap();
    }

    /// A strongSwan tool with this folder's configuration.
    fn tool(&self, program: &str) -> Command {
        let mut c = Command::new(program);
        c.env("STRONGSWAN_CONF", self.conf())
            .env("SWANCTL_DIR", self.swanctl_dir());
        c
    }
}

impl Drop for Work {
    fn drop(&mut self) {
        if std::env::var_os("KEEP_REAL_CHARON_DIR").is_none() {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

/// A charon this test started; stopped by PID on drop, whatever happens.
struct Charon<'w> {
    child: Child,
    work: &'w Work,
}

impl<'w> Charon<'w> {
    fn start(work: &'w Work) -> Charon<'w> {
        let _ = std::fs::remove_file(work.vici());
        let _ = std::fs::remove_file(work.log());
        let stdout = std::fs::File::create(work.dir.join("run/charon.stdout")).unwrap();
        let stderr = stdout.try_clone().unwrap();
        // unshare(2) then exec: the PID we get is charon's once sh has exec'ed it.
        let child = Command::new("unshare")
            .args(["--net", "sh", "-c"])
            .arg(format!("ip link set lo up && exec {CHARON}"))
            .env("STRONGSWAN_CONF", work.conf())
            .stdin(Stdio::null())
            .stdout(stdout)
            .stderr(stderr)
            .spawn()
            .expect("cannot spawn unshare");
        let mut charon = Charon { child, work };
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if let Ok(Some(status)) = charon.child.try_wait() {
                panic!(
                    "charon exited during start-up ({status}):\n{}",
                    charon.logs()
                );
            }
            if charon.work.vici().exists()
                && run(work.tool("swanctl").arg("--stats")).status.success()
            {
                return charon;
            }
            if Instant::now() > deadline {
                panic!(
                    "charon did not answer on vici within 15 s:\n{}",
                    charon.logs()
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    fn logs(&self) -> String {
        let read = |p: PathBuf| {
            std::fs::read_to_string(&p).unwrap_or_else(|e| format!("({}: {e})", p.display()))
        };
        format!(
            "--- charon.log\n{}\n--- charon stdout/stderr\n{}",
            read(self.work.log()),
            read(self.work.dir.join("run/charon.stdout"))
        )
    }

    fn swanctl(&self, args: &[&str], swanctl_dir: &Path) -> String {
        let out = run(self
            .work
            .tool("swanctl")
            .env("SWANCTL_DIR", swanctl_dir)
            .args(args));
        assert!(
            out.status.success(),
            "swanctl {args:?} failed:\n{}\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr),
            self.logs()
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn load_conns(&self, file: &Path) {
        self.swanctl(
            &["--load-conns", "--file", &file.display().to_string()],
            &self.work.swanctl_dir(),
        );
    }

    /// vici `clear-creds`: `swanctl --load-creds --clear` with a swanctl folder that
    /// holds no credentials, so nothing is loaded after the clear.
    fn clear_creds(&self) {
        let empty = self.work.dir.join("empty");
        self.swanctl(
            &[
                "--load-creds",
                "--clear",
                "--noprompt",
                "--file",
                &empty.join("swanctl.conf").display().to_string(),
            ],
            &empty,
        );
    }

    /// Entries `swanctl --list-certs --type pubkey` shows.
    fn listed(&self) -> usize {
        let out = self.swanctl(
            &["--list-certs", "--type", "pubkey"],
            &self.work.swanctl_dir(),
        );
        out.lines()
            .filter(|l| l.trim_start().starts_with("keyid:"))
            .count()
    }

    /// The raw public keys charon's credential store holds, read from its memory
    /// (see [`scan_store`]).
    fn stored(&self) -> StoreScan {
        scan_store(self.pid())
            .unwrap_or_else(|e| panic!("cannot read charon's memory: {e}\n{}", self.logs()))
    }
}

/// What [`scan_store`] found in charon's heap.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct StoreScan {
    /// Live `pubkey_cert` objects (raw public keys wrapped as certificates), wherever
    /// they are referenced from (the store, loaded configurations).
    live_objects: usize,
    /// Linked-list nodes whose value is one of them: the store keeps every cert in
    /// its `untrusted` and its `trusted` list, one node each.
    list_nodes: usize,
    /// Distinct objects those nodes point to: the stored raw public keys.
    stored_objects: usize,
}

/// One line of /proc/PID/maps.
struct Mapping {
    start: u64,
    end: u64,
    perms: String,
    path: String,
}

fn mappings(pid: u32) -> Result<Vec<Mapping>, String> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/maps")).map_err(|e| e.to_string())?;
    Ok(text
        .lines()
        .filter_map(|l| {
            let mut f = l.split_whitespace();
            let (range, perms) = (f.next()?, f.next()?);
            let path = f.nth(3).unwrap_or("").to_string();
            let (a, b) = range.split_once('-')?;
            Some(Mapping {
                start: u64::from_str_radix(a, 16).ok()?,
                end: u64::from_str_radix(b, 16).ok()?,
                perms: perms.to_string(),
                path,
            })
        })
        .collect())
}

/// Counts the raw public keys in charon's credential store by reading its memory
/// through /proc/PID/mem, without stopping it or running anything inside it.
///
/// (On this machine gdb cannot call functions inside a process — "Couldn't write
/// extended state status" on CPUs with AMX — so the enumerator approach is out.)
///
/// Two facts of strongSwan 5.9.8's memory layout are used: a `pubkey_cert` object is
/// a 152-byte heap block that starts with its 13 method pointers (`certificate_t`'s
/// and `set_subject`), which point into the executable mapping of
/// `libstrongswan-pubkey.so`, followed by the key, the subject (offset 120), validity
/// and the reference count; and a `linked_list_t` node is a 24-byte block
/// `{ value, previous, next }`. glibc chunk headers give each block's size, and a
/// freed block has its first words overwritten by the allocator, so only live objects
/// and nodes match. The store is the only user of linked lists of raw-key certs
/// between commands (loaded configurations keep theirs in arrays), so the nodes that
/// point to raw-key objects are the store's list nodes, two per stored object.
fn scan_store(pid: u32) -> Result<StoreScan, String> {
    use std::io::{Read, Seek, SeekFrom};
    let maps = mappings(pid)?;
    let code: Vec<(u64, u64)> = maps
        .iter()
        .filter(|m| m.perms.contains('x'))
        .map(|m| (m.start, m.end))
        .collect();
    let pubkey_code: Vec<(u64, u64)> = maps
        .iter()
        .filter(|m| m.perms.contains('x') && m.path.ends_with("libstrongswan-pubkey.so"))
        .map(|m| (m.start, m.end))
        .collect();
    if pubkey_code.is_empty() {
        return Err("libstrongswan-pubkey.so is not mapped in charon".into());
    }
    let in_any = |v: u64, ranges: &[(u64, u64)]| ranges.iter().any(|&(a, b)| v >= a && v < b);
    let mut mem = std::fs::File::open(format!("/proc/{pid}/mem")).map_err(|e| e.to_string())?;
    let mut heap: Vec<(u64, Vec<u64>)> = Vec::new();
    for m in maps
        .iter()
        .filter(|m| m.perms.starts_with("rw") && (m.path.is_empty() || m.path == "[heap]"))
    {
        let mut buf = vec![0u8; (m.end - m.start) as usize];
        if mem.seek(SeekFrom::Start(m.start)).is_err() || mem.read_exact(&mut buf).is_err() {
            continue;
        }
        let words = buf
            .chunks_exact(8)
            .map(|c| u64::from_le_bytes(c.try_into().expect("8 bytes")))
            .collect();
        heap.push((m.start, words));
    }
    // pubkey_cert objects: chunk size 160 (152 + header), 13 method pointers.
    let mut objects = std::collections::HashSet::new();
    for (base, words) in &heap {
        for i in 1..words.len().saturating_sub(13) {
            if words[i - 1] & !7 != 0xa0 || !in_any(words[i], &pubkey_code) {
                continue;
            }
            let methods = &words[i..i + 13];
            let in_pubkey = methods.iter().filter(|&&w| in_any(w, &pubkey_code)).count();
            if methods.iter().all(|&w| in_any(w, &code)) && in_pubkey >= 10 {
                objects.insert(base + 8 * i as u64);
            }
        }
    }
    // List nodes: chunk size 32 (24 + header) whose first word is such an object.
    let mut nodes = 0;
    let mut pointed = std::collections::HashSet::new();
    for (_, words) in &heap {
        for i in 1..words.len() {
            if words[i - 1] & !7 == 0x20 && objects.contains(&words[i]) {
                nodes += 1;
                pointed.insert(words[i]);
            }
        }
    }
    Ok(StoreScan {
        live_objects: objects.len(),
        list_nodes: nodes,
        stored_objects: pointed.len(),
    })
}

impl Drop for Charon<'_> {
    fn drop(&mut self) {
        let pid = self.pid().to_string();
        if let Ok(None) = self.child.try_wait() {
            let _ = Command::new("kill").args(["-TERM", &pid]).status();
            let deadline = Instant::now() + Duration::from_secs(5);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = self.child.try_wait() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}

/// The 20-byte subjectPublicKeyInfo hash `pki --keyid` prints, as lower-case hex.
fn pki_keyid(work: &Work, file: &Path) -> String {
    let out = run_ok(
        work.tool("pki")
            .args(["--keyid", "--type", "pub", "--in"])
            .arg(file),
    );
    let lines: Vec<&str> = out.lines().collect();
    let at = lines
        .iter()
        .position(|l| l.contains("subjectPublicKeyInfo"))
        .unwrap_or_else(|| panic!("no subjectPublicKeyInfo line in pki output:\n{out}"));
    let candidates = lines[at..lines.len().min(at + 2)].join(" ");
    candidates
        .split_whitespace()
        .map(|t| t.replace(':', ""))
        .find(|t| t.len() == 40 && t.chars().all(|c| c.is_ascii_hexdigit()))
        .unwrap_or_else(|| panic!("no key id in pki output:\n{out}"))
        .to_ascii_lowercase()
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn gen_rsa_pubkey(work: &Work, name: &str) {
    let private = work
        .swanctl_dir()
        .join("private")
        .join(format!("{name}.pem"));
    let key = run(work.tool("pki").args([
        "--gen",
        "--type",
        "rsa",
        "--size",
        "2048",
        "--outform",
        "pem",
    ]));
    assert!(
        key.status.success(),
        "pki --gen failed: {}",
        String::from_utf8_lossy(&key.stderr)
    );
    std::fs::write(&private, &key.stdout).unwrap();
    let public = run_ok(
        work.tool("pki")
            .args(["--pub", "--outform", "pem", "--in"])
            .arg(&private),
    );
    std::fs::write(
        work.swanctl_dir()
            .join("pubkey")
            .join(format!("{name}.pub")),
        public,
    )
    .unwrap();
}

fn connection(comment: &str, local: &str, remote: &str) -> String {
    format!(
        "# {comment}\nconnections {{\n    rpk {{\n        local_addrs = 127.0.0.1\n        remote_addrs = 127.0.0.2\n        local {{\n{local}        }}\n        remote {{\n{remote}        }}\n        children {{\n            rpk {{\n                local_ts = 127.0.0.1/32\n                remote_ts = 127.0.0.2/32\n            }}\n        }}\n    }}\n}}\n"
    )
}

const PSK: &str = "            auth = psk\n            id = local.example.org\n";

/// Writes the scenario files; returns (name, file).
fn write_scenarios(work: &Work) -> Vec<(&'static str, PathBuf)> {
    for k in ["peer", "peer2", "local", "peerx"] {
        gen_rsa_pubkey(work, k);
    }
    let dir = work.swanctl_dir();
    // The control: an X.509 certificate instead of a raw key.
    let crt = run_ok(
        work.tool("pki")
            .args([
                "--self",
                "--dn",
                "CN=peerx.example.org",
                "--san",
                "peerx.example.org",
                "--lifetime",
                "3650",
                "--outform",
                "pem",
                "--in",
            ])
            .arg(dir.join("private/peerx.pem")),
    );
    std::fs::write(dir.join("x509/peerx.crt"), crt).unwrap();
    // An ECDSA key from the committed fixtures, so charon parses a non-RSA key too.
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/keys/ecdsa.pub.pem"),
        dir.join("pubkey/ecdsa.pub"),
    )
    .unwrap();
    let scenarios = [
        (
            "A_one_key_id",
            connection(
                "A: one raw public key, explicit id",
                PSK,
                "            auth = pubkey\n            id = peer.example.org\n            pubkeys = peer.pub\n",
            ),
        ),
        (
            "B_two_keys_id",
            connection(
                "B: two raw public keys, explicit id",
                PSK,
                "            auth = pubkey\n            id = peer.example.org\n            pubkeys = peer.pub, peer2.pub\n",
            ),
        ),
        (
            "C_one_key_no_id",
            connection(
                "C: one raw public key, no id",
                PSK,
                "            auth = pubkey\n            pubkeys = peer.pub\n",
            ),
        ),
        (
            "D_both_sides",
            connection(
                "D: raw public keys on both sides (RSA local, ECDSA remote), explicit ids",
                "            auth = pubkey\n            id = local.example.org\n            pubkeys = local.pub\n",
                "            auth = pubkey\n            id = peer.example.org\n            pubkeys = ecdsa.pub\n",
            ),
        ),
        (
            "E_x509_control",
            connection(
                "E: X.509 certificate instead of a raw public key",
                PSK,
                "            auth = pubkey\n            id = peerx.example.org\n            certs = peerx.crt\n",
            ),
        ),
    ];
    scenarios
        .into_iter()
        .map(|(name, text)| {
            let file = dir.join(format!("{name}.conf"));
            std::fs::write(&file, text).unwrap();
            (name, file)
        })
        .collect()
}

#[derive(Clone, Copy, Debug)]
enum Step {
    Load,
    Clear,
}

/// Runs `steps` against a fresh charon and the model, comparing after every step.
fn differential(work: &Work, name: &str, file: &Path, steps: &[Step], report: &mut String) {
    let cfg = Config::load(file).unwrap_or_else(|e| panic!("model cannot read {name}: {e}"));
    let model = ModelDaemon::new();
    let charon = Charon::start(work);
    let mut reloads: i64 = -1;
    for (i, step) in steps.iter().enumerate() {
        match step {
            Step::Load => {
                charon.load_conns(file);
                model.load_conns(&cfg);
                reloads += 1;
            }
            Step::Clear => {
                charon.clear_creds();
                model.clear_creds();
            }
        }
        let scan = charon.stored();
        let stored = scan.stored_objects;
        let listed = charon.listed();
        let pre_counts = model.counts(Flow::PreFix);
        let pre = pre_counts.stored_objects;
        let fix = model.counts(Flow::UpstreamFix).stored_objects;
        let pre_listed = model.listed(Flow::PreFix);
        let _ = writeln!(
            report,
            "{name:<16} {i:>4} {:<6} {reloads:>7} {stored:>13} {:>12} {:>11} {pre:>13} {:>11} {fix:>18} {listed:>13} {pre_listed:>12}",
            format!("{step:?}").to_lowercase(),
            scan.list_nodes,
            scan.live_objects,
            pre_counts.list_nodes
        );
        assert_eq!(
            stored, pre,
            "{name}, step {i} ({step:?}, {reloads} reloads): charon stores {stored} raw keys, \
             the model's pre-fix flow predicts {pre}\n{report}"
        );
        assert_eq!(
            scan.list_nodes, pre_counts.list_nodes,
            "{name}, step {i}: charon's store has {} list nodes for raw keys, the model {}\n{report}",
            scan.list_nodes, pre_counts.list_nodes
        );
        let model_live = model.pre_fix().census().live();
        assert_eq!(
            scan.live_objects, model_live,
            "{name}, step {i}: charon has {} live raw-key objects, the model {model_live}\n{report}",
            scan.live_objects
        );
        assert_eq!(
            listed, pre_listed,
            "{name}, step {i}: swanctl --list-certs shows {listed}, the model {pre_listed}\n{report}"
        );
    }
    drop(charon);
}

#[test]
fn model_predicts_real_charon_and_pki_keyids() {
    let started = Instant::now();
    ensure_packages();
    let work = Work::new("real-charon");
    let scenarios = write_scenarios(&work);

    // Key ids: strongSwan's pki against the model, for generated RSA keys and the
    // committed RSA/ECDSA/Ed25519 fixtures (PEM and DER).
    let mut keys: Vec<PathBuf> = ["peer", "peer2", "local", "peerx"]
        .iter()
        .map(|k| work.swanctl_dir().join("pubkey").join(format!("{k}.pub")))
        .collect();
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/keys");
    for k in ["rsa", "rsa2", "ecdsa", "ed25519"] {
        for form in ["pem", "der"] {
            keys.push(fixtures.join(format!("{k}.pub.{form}")));
        }
    }
    let mut report = String::from("key ids (pki --keyid vs model):\n");
    for k in &keys {
        let (_, key) = swan_credstore::keyfile::load_key(k).unwrap();
        let theirs = pki_keyid(&work, k);
        let _ = writeln!(report, "  {:<8} {theirs}  {}", key.algorithm(), k.display());
        assert_eq!(
            theirs,
            hex(&key.key_id()),
            "pki --keyid differs for {}",
            k.display()
        );
    }

    report.push_str(
        "\nscenario         step op     reloads charon_stored charon_nodes charon_live model_pre_fix model_nodes model_upstream_fix charon_listed model_listed\n",
    );
    use Step::*;
    let ten_reloads: Vec<Step> = std::iter::repeat_n(Load, 11).collect();
    for (name, file) in &scenarios {
        let steps: &[Step] = if name.starts_with('E') {
            &ten_reloads[..4]
        } else {
            &ten_reloads
        };
        differential(&work, name, file, steps, &mut report);
    }
    // A with clear-creds in the middle: 0 in the window, then growth resumes.
    let (_, a) = &scenarios[0];
    let steps = [Load, Load, Load, Load, Clear, Load, Load, Load, Load];
    differential(&work, "A_clear_middle", a, &steps, &mut report);

    let _ = writeln!(
        report,
        "\nelapsed: {:.1} s",
        started.elapsed().as_secs_f64()
    );
    eprintln!("{report}");
    let out = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/reports");
    if std::fs::create_dir_all(&out).is_ok() {
        let _ = std::fs::write(out.join("real_charon.txt"), &report);
    }
}
