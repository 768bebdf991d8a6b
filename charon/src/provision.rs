//! Provisioning the two daemons from Debian's packages.
//!
//! * Pre-fix: bookworm's `strongswan-charon`, `strongswan-swanctl`, `strongswan-pki`
//!   5.9.8 (and the plugin packages) installed on the host with apt-get, plus `gdb`,
//!   `valgrind`, `iproute2` and `debootstrap`.
//! * Fixed: trixie's 6.0.1 in a minimal root built by `debootstrap --variant=minbase
//!   trixie target/real/trixie` from the mirror the host's apt sources name, with the
//!   same packages (and trixie's valgrind) installed inside under a `policy-rc.d` that
//!   exits 101, so no service starts. The root is cached: a marker file written last
//!   says it is complete, and a complete root is reused as is.
//!
//! Package scripts on the host are kept from starting services the same way (a
//! temporary `/usr/sbin/policy-rc.d`).

use crate::process::{run, run_ok};
use crate::target_dir;
use anyhow::{anyhow, bail, Context, Result};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, OnceLock};

/// Host packages: bookworm's strongSwan, the tools the runs use.
pub const HOST_PACKAGES: &[&str] = &[
    "strongswan-charon",
    "strongswan-swanctl",
    "strongswan-pki",
    "libstrongswan-standard-plugins",
    "libstrongswan-extra-plugins",
    "iproute2",
    "valgrind",
    "debootstrap",
    "gdb",
];

/// Packages installed inside the trixie root.
pub const ROOT_PACKAGES: &[&str] = &[
    "strongswan-charon",
    "strongswan-swanctl",
    "strongswan-pki",
    "libstrongswan-standard-plugins",
    "libstrongswan-extra-plugins",
    "valgrind",
];

const POLICY: &str = "#!/bin/sh\n# keep package scripts from starting services\nexit 101\n";
const MARKER: &str = ".swan-credstore-root-complete";
/// `dpkg-query`'s arguments for the versions the runs report.
const VERSIONS: &[&str] = &[
    "-W",
    "-f=${Package} ${Version}\n",
    "strongswan-charon",
    "strongswan-swanctl",
    "strongswan-pki",
    "valgrind",
];

fn is_root() -> bool {
    rustix::process::geteuid().is_root()
}

/// Writes the `policy-rc.d` that keeps package scripts from starting services, as an
/// executable (mode 755).
fn write_policy(path: &Path) -> Result<()> {
    std::fs::write(path, POLICY).with_context(|| format!("cannot write {}", path.display()))?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))
        .with_context(|| format!("cannot make {} executable", path.display()))
}

fn installed(pkg: &str) -> bool {
    run(Command::new("dpkg-query").args(["-W", "-f=${Status}", pkg]))
        .map(|o| String::from_utf8_lossy(&o.stdout).contains("ok installed"))
        .unwrap_or(false)
}

/// Installs the missing [`HOST_PACKAGES`] (once per process); returns the versions of
/// bookworm's strongSwan packages. A failure is kept too: every later call gives the
/// same error.
pub fn ensure_host() -> Result<String> {
    // The outcome is kept as text: an error, once formatted with its context, is what
    // every later caller gets.
    static DONE: OnceLock<Result<String, String>> = OnceLock::new();
    DONE.get_or_init(|| install_host().map_err(|e| format!("{e:#}")))
        .clone()
        .map_err(|e| anyhow!(e))
}

/// What [`ensure_host`] does the first time.
fn install_host() -> Result<String> {
    if !is_root() {
        bail!("the real daemons need root (apt-get, debootstrap, unshare, chroot, /proc/PID/mem)");
    }
    apt_install(HOST_PACKAGES)?;
    run_ok(Command::new("dpkg-query").args(VERSIONS))
}

/// Installs those of `packages` that are missing on the host with apt-get (root; package
/// scripts kept from starting services); an error with apt's output if that fails.
pub fn apt_install(packages: &[&str]) -> Result<()> {
    if !is_root() {
        bail!("installing {packages:?} needs root (apt-get)");
    }
    let missing: Vec<&str> = packages.iter().copied().filter(|p| !installed(p)).collect();
    if !missing.is_empty() {
        let policy = Path::new("/usr/sbin/policy-rc.d");
        let created = !policy.exists();
        if created {
            write_policy(policy)?;
        }
        let update = run(Command::new("apt-get").args(["update", "-qq"]));
        let install = run(Command::new("apt-get")
            .env("DEBIAN_FRONTEND", "noninteractive")
            .args(["install", "-y", "-q", "--no-install-recommends"])
            .args(&missing));
        if created {
            let _ = std::fs::remove_file(policy);
        }
        let (update, install) = (update?, install?);
        if !install.status.success() {
            bail!(
                "installing {missing:?} failed:\n{}\n{}\n{}",
                String::from_utf8_lossy(&update.stderr),
                String::from_utf8_lossy(&install.stdout),
                String::from_utf8_lossy(&install.stderr)
            );
        }
    }
    Ok(())
}

/// The Debian mirror the host's apt sources use (deb822 `URIs:` or one-line `deb`
/// entries), the first that is not a security mirror; Debian's default otherwise.
pub fn host_mirror() -> String {
    let mut texts = Vec::new();
    if let Ok(t) = std::fs::read_to_string("/etc/apt/sources.list") {
        texts.push(t);
    }
    if let Ok(dir) = std::fs::read_dir("/etc/apt/sources.list.d") {
        let mut files: Vec<PathBuf> = dir
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "sources" || e == "list"))
            .collect();
        files.sort();
        texts.extend(files.iter().filter_map(|p| std::fs::read_to_string(p).ok()));
    }
    for text in &texts {
        for line in text.lines().map(str::trim) {
            let uri = if let Some(rest) = line.strip_prefix("URIs:") {
                rest.split_whitespace().next()
            } else if let Some(rest) = line.strip_prefix("deb ") {
                rest.split_whitespace().find(|w| w.contains("://"))
            } else {
                None
            };
            if let Some(u) = uri {
                if u.starts_with("http") && !u.contains("security") && u.contains("debian") {
                    return u.trim_end_matches('/').to_string();
                }
            }
        }
    }
    "http://deb.debian.org/debian".to_string()
}

/// Where the trixie root lives.
pub fn trixie_root() -> PathBuf {
    target_dir().join("real/trixie")
}

/// Builds the trixie root if it is not complete yet (see the module docs); returns the
/// root and the versions installed inside it. Serialised within the process.
pub fn ensure_trixie() -> Result<(PathBuf, String)> {
    static LOCK: Mutex<()> = Mutex::new(());
    let _guard = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    ensure_host()?;
    let root = trixie_root();
    let versions = |root: &Path| {
        run_ok(
            Command::new("chroot")
                .arg(root)
                .arg("dpkg-query")
                .args(VERSIONS),
        )
    };
    if root.join(MARKER).exists() {
        return Ok((root.clone(), versions(&root)?));
    }
    if root.exists() {
        // An interrupted build: nothing may be mounted inside (runs mount /proc in a
        // private mount namespace only), so it can simply go.
        std::fs::remove_dir_all(&root)
            .with_context(|| format!("cannot remove the incomplete {}", root.display()))?;
    }
    let parent = root.parent().expect("has a parent");
    std::fs::create_dir_all(parent)
        .with_context(|| format!("cannot create {}", parent.display()))?;
    let mirror = host_mirror();
    eprintln!(
        "provision: debootstrap --variant=minbase trixie {} {mirror}",
        root.display()
    );
    run_ok(
        Command::new("debootstrap")
            .args(["--variant=minbase", "trixie"])
            .arg(&root)
            .arg(&mirror),
    )?;
    write_policy(&root.join("usr/sbin/policy-rc.d"))?;
    if let Ok(resolv) = std::fs::read("/etc/resolv.conf") {
        let target = root.join("etc/resolv.conf");
        let _ = std::fs::remove_file(&target);
        std::fs::write(&target, resolv)
            .with_context(|| format!("cannot write {}", target.display()))?;
    }
    eprintln!("provision: apt-get install {ROOT_PACKAGES:?} inside the trixie root");
    run_ok(
        Command::new("chroot")
            .arg(&root)
            .env("DEBIAN_FRONTEND", "noninteractive")
            .args(["apt-get", "install", "-y", "-q", "--no-install-recommends"])
            .args(ROOT_PACKAGES),
    )?;
    let _ = run(Command::new("chroot").arg(&root).args(["apt-get", "clean"]));
    let proc_dir = root.join("proc");
    std::fs::create_dir_all(&proc_dir)
        .with_context(|| format!("cannot create {}", proc_dir.display()))?;
    let v = versions(&root)?;
    let marker = root.join(MARKER);
    std::fs::write(&marker, &v).with_context(|| format!("cannot write {}", marker.display()))?;
    Ok((root, v))
}
