//! A run's private work folder ([`Work`]): strongswan.conf, the swanctl folders, keys,
//! logs and the vici socket, and the release's tools run with that configuration.

use super::Release;
use crate::process::{self, TempDir};
use anyhow::{Context, Result};
use std::path::{Path, PathBuf};
use std::process::Command;

/// A private work folder: strongswan.conf, swanctl folders, keys, logs, vici socket.
/// For trixie it lives inside the root; `inner` paths are the daemon's view. Removed
/// on drop unless [`process::KEEP_DIR_VAR`] is set.
pub struct Work {
    /// The daemon.
    pub release: Release,
    host: PathBuf,
    inner: PathBuf,
    pub(super) root: Option<PathBuf>,
    openssl: bool,
    // Last: the folder goes once everything else is done with it.
    _dir: TempDir,
}

impl Work {
    /// A fresh folder for `release`, named `swan-credstore-TAG-RELEASE-` and a random
    /// suffix (folders of parallel tests never collide), in the temporary folder of the
    /// host or of the trixie root, with the swanctl folders and a strongswan.conf.
    pub fn new(release: Release, tag: &str) -> Result<Work> {
        let prefix = format!("swan-credstore-{tag}-{}-", release.tag());
        let root = release.root();
        let parent = match &root {
            None => std::env::temp_dir(),
            Some(r) => r.join("tmp"),
        };
        let dir = process::work_dir(&prefix, &parent)?;
        let host = dir.path().to_path_buf();
        let inner = match &root {
            None => host.clone(),
            Some(_) => Path::new("/tmp").join(host.file_name().expect("a named folder")),
        };
        let mkdir = |d: PathBuf| {
            std::fs::create_dir_all(&d).with_context(|| format!("cannot create {}", d.display()))
        };
        for sub in ["run", "swanctl/pubkey", "swanctl/x509", "swanctl/private"] {
            mkdir(host.join(sub))?;
        }
        for sub in [
            "x509", "x509ca", "x509ocsp", "x509aa", "x509ac", "x509crl", "pubkey", "private",
            "rsa", "ecdsa", "bliss", "pkcs8", "pkcs12",
        ] {
            mkdir(host.join("empty").join(sub))?;
        }
        write(&host.join("empty/swanctl.conf"), "")?;
        let w = Work {
            release,
            host,
            inner,
            root,
            openssl: tag != "race",
            _dir: dir,
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
    pub(super) fn conf_inner(&self) -> PathBuf {
        self.inner.join("strongswan.conf")
    }

    /// `openssl`: load the openssl plugin (ECDSA and Ed25519 keys need it). The race runs
    /// leave it out (notes/real-daemon.md): libcrypto's internal locks are taken by the
    /// reloading and the listing threads alike, and helgrind then sees them ordered,
    /// which hides the unordered subject accesses (RSA keys parse with gmp).
    ///
    /// `ike_port`: the UDP port charon listens on for IKE (and the next one for NAT-T);
    /// `None`: random ports (nothing talks IKE to it).
    pub(super) fn write_strongswan_conf(&self, ike_port: Option<u16>) -> Result<()> {
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
        write(&self.host.join("strongswan.conf"), &text)
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

/// Writes `text` to `path`; the error names the file.
fn write(path: &Path, text: &str) -> Result<()> {
    std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))
}
