//! Replaying what swanctl does to charon, against the model, in both flows at once.
//!
//! [`ModelDaemon`] holds one [`Vici`] per flow: [`Flow::PreFix`] with a [`Locked`]
//! subject cell (any mutable cell gives the same counts when driven from one thread)
//! and [`Flow::UpstreamFix`] with [`Immutable`]. [`ModelDaemon::load_conns`] is
//! `swanctl --load-conns`: one `load-conn` per connection of the file, in order, then
//! `unload-conn` for loaded connections the file no longer has. Every `load-conn`
//! parses the keys afresh, as charon does with the blobs in each message.

use super::{Config, Connection};
// The counting methods may live on the store type or on its trait: import both.
#[allow(unused_imports)]
use crate::store::*;
use crate::subject::{Immutable, Locked};
use crate::vici::{Flow, Merge, Vici};

/// Counts read from a store.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// Distinct raw-public-key objects stored (what `swan_charon::scan::scan_store` counts
    /// in the real daemon).
    pub stored_objects: usize,
    /// List nodes (`untrusted` + `trusted`): two per stored object.
    pub list_nodes: usize,
}

/// The model of one charon, in both flows.
pub struct ModelDaemon {
    pre: Vici<Locked>,
    fix: Vici<Immutable>,
}

impl Default for ModelDaemon {
    fn default() -> Self {
        Self::new()
    }
}

impl ModelDaemon {
    /// A freshly started daemon: empty store, nothing loaded.
    pub fn new() -> ModelDaemon {
        ModelDaemon {
            pre: Vici::new(),
            fix: Vici::new(),
        }
    }

    /// The pre-fix plugin.
    pub fn pre_fix(&self) -> &Vici<Locked> {
        &self.pre
    }

    /// The fixed plugin.
    pub fn upstream_fix(&self) -> &Vici<Immutable> {
        &self.fix
    }

    /// `load-conn` of one connection in both flows; returns the merge outcomes
    /// (pre-fix, fixed).
    pub fn load_conn(&self, conn: &Connection) -> (Merge, Merge) {
        let pre = self.pre.load_conn_pre_fix(&conn.spec());
        let fix = self.fix.load_conn_upstream_fix(&conn.spec());
        (pre, fix)
    }

    /// `swanctl --load-conns` with `config` (`load_conns_cfg`): loads each of its
    /// connections, then unloads the loaded connections it does not have. A
    /// connection with an [unreadable](Connection::unreadable) file is not sent.
    /// Returns whether every connection loaded (swanctl's exit status: `EINVAL`
    /// otherwise); a failure in one flow is a failure in the other (the same message).
    pub fn load_conns(&self, config: &Config) -> bool {
        let mut ok = true;
        for c in &config.connections {
            if c.unreadable.is_some() {
                ok = false;
                continue;
            }
            let (pre, _) = self.load_conn(c);
            ok &= pre != Merge::Failed;
        }
        for name in self.pre.connections() {
            if config.connection(&name).is_none() {
                self.pre.unload_conn(&name);
                self.fix.unload_conn(&name);
            }
        }
        ok
    }

    /// vici `clear-creds` in both flows (`swanctl --load-creds --clear` with no
    /// credentials to load).
    pub fn clear_creds(&self) {
        self.pre.clear_creds();
        self.fix.clear_creds();
    }

    /// Entries `swanctl --list-certs --type pubkey` shows in one flow: the stored
    /// objects with those `equals` to an earlier one skipped.
    pub fn listed(&self, flow: Flow) -> usize {
        match flow {
            Flow::PreFix => self.pre.store().list_certs().len(),
            Flow::UpstreamFix => self.fix.store().list_certs().len(),
        }
    }

    /// The store's counts in one flow.
    pub fn counts(&self, flow: Flow) -> Counts {
        match flow {
            Flow::PreFix => Counts {
                stored_objects: self.pre.store().stored_objects(),
                list_nodes: self.pre.store().list_nodes(),
            },
            Flow::UpstreamFix => Counts {
                stored_objects: self.fix.store().stored_objects(),
                list_nodes: self.fix.store().list_nodes(),
            },
        }
    }
}

/// One step of a reload sequence.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// `swanctl --load-conns`.
    Load,
    /// `clear-creds`.
    ClearCreds,
}

/// The sequence `predict` and `leak` run: the first load, then `reloads` reloads; with
/// `clear_every = Some(k)`, a clear-creds right before every k-th reload (the
/// `swanctl --load-all --clear` workaround when k = 1).
pub fn schedule(reloads: usize, clear_every: Option<usize>) -> Vec<Op> {
    let mut ops = vec![Op::Load];
    for i in 1..=reloads {
        if clear_every.is_some_and(|k| k > 0 && i % k == 0) {
            ops.push(Op::ClearCreds);
        }
        ops.push(Op::Load);
    }
    ops
}

/// Reloads since the last clear-creds after `reloads` reloads of [`schedule`].
pub fn reloads_since_clear(reloads: usize, clear_every: Option<usize>) -> usize {
    match clear_every {
        Some(k) if k > 0 => reloads % k,
        _ => reloads,
    }
}

/// A line `a + b·r` fitted to a series of counts, where `r` is
/// [`reloads_since_clear`] after the i-th reload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Linear {
    /// Count right after the first load (or right after a clear and a load).
    pub base: usize,
    /// Growth per reload.
    pub slope: usize,
    /// Whether every point of the series lies on the line.
    pub exact: bool,
}

impl Linear {
    /// Fits `series[i]` = count after reload i (index 0: after the first load).
    pub fn fit(series: &[usize], clear_every: Option<usize>) -> Linear {
        let base = series.first().copied().unwrap_or(0);
        let slope = match series.get(1) {
            Some(&s) if clear_every != Some(1) => s.saturating_sub(base),
            _ => 0,
        };
        let exact = series
            .iter()
            .enumerate()
            .all(|(i, &v)| v == base + slope * reloads_since_clear(i, clear_every));
        Linear { base, slope, exact }
    }

    /// `"1 + 1·N"`, or `"1 + 1·(N mod 10)"` with a clear period.
    pub fn formula(&self, clear_every: Option<usize>) -> String {
        let var = match clear_every {
            Some(k) if k > 0 => format!("(N mod {k})"),
            _ => "N".to_string(),
        };
        if self.slope == 0 {
            format!("{}", self.base)
        } else {
            format!("{} + {}·{var}", self.base, self.slope)
        }
    }
}

// ---------------------------------------------------------------------------------------
// `swanctl --load-creds` / `--load-all`: the raw public keys of the `pubkey/` folder.
// ---------------------------------------------------------------------------------------

/// The raw public keys `swanctl --load-creds` (and `--load-all`) sends to charon: every
/// regular file of the `pubkey/` folder of the swanctl directory, which here is the
/// folder holding `config`'s file (as for `pubkeys`, see [`crate::swanctl`]).
///
/// This follows swanctl's `load_creds_cfg` → `load_certs(ctx, "pubkey",
/// SWANCTL_PUBKEYDIR)` (`src/swanctl/commands/load_creds.c`, the same in 5.9.8 and
/// 6.0.1): `enumerator_create_directory` lists the folder (no `.`/`..`; `stat` follows
/// symbolic links), only `S_ISREG` entries are sent, each with one vici `load-cert`
/// message `{type = pubkey, data = <file contents>}`. A missing folder sends nothing.
///
/// swanctl takes `readdir` order; this returns the files sorted by name. The store's
/// counts do not depend on that order: the files are loaded before any connection,
/// and among themselves a file is either a new object or `equals` to an earlier one.
///
/// A file the model cannot read as a key ([`crate::keyfile::load_key`]) is an error
/// naming it: charon's parsers accept formats the model does not (and reject others),
/// so the model cannot tell whether charon would store an object for it.
pub fn pubkey_folder(config: &Config) -> Result<Vec<super::KeyFile>, super::ConfigError> {
    pubkey_folder_with(config, false)
}

/// [`pubkey_folder`] as swanctl and charon treat it: a file the model cannot read as
/// a key is left out (charon's `load-cert` fails on it and stores nothing; swanctl
/// prints the failure and `load_creds_cfg` still returns 0). Whether charon rejects
/// exactly the files the model cannot read is what the differential checks.
pub fn pubkey_folder_as_swanctl(
    config: &Config,
) -> Result<Vec<super::KeyFile>, super::ConfigError> {
    pubkey_folder_with(config, true)
}

fn pubkey_folder_with(
    config: &Config,
    skip_non_keys: bool,
) -> Result<Vec<super::KeyFile>, super::ConfigError> {
    let dir = config
        .path
        .parent()
        .unwrap_or(std::path::Path::new("."))
        .join("pubkey");
    let entries = match std::fs::read_dir(&dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => {
            return Err(super::ConfigError::new(
                &dir,
                0,
                format!("cannot list the pubkey folder: {e}"),
            ))
        }
    };
    let mut paths = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| {
            super::ConfigError::new(&dir, 0, format!("cannot list the pubkey folder: {e}"))
        })?;
        let path = entry.path();
        // `stat` (following links); a dangling link is not a regular file.
        if std::fs::metadata(&path).is_ok_and(|m| m.is_file()) {
            paths.push(path);
        }
    }
    paths.sort();
    let mut out = Vec::new();
    for path in paths {
        let (der, key) = match crate::keyfile::load_key(&path) {
            Ok(k) => k,
            Err(_) if skip_non_keys => continue,
            Err(e) => {
                return Err(super::ConfigError::new(
                    &path,
                    0,
                    format!(
                        "swanctl --load-creds sends this file to charon (load-cert, type \
                         pubkey), but the model cannot read it as a key ({e}), so it cannot \
                         tell whether charon stores a raw-key object for it"
                    ),
                ))
            }
        };
        out.push(super::KeyFile {
            name: path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            path,
            der,
            key,
        });
    }
    Ok(out)
}

/// vici `load-cert` with `type = pubkey` and the DER of a key: what charon does with
/// one file of `pubkey/` (the same in 5.9.8 and 6.0.1).
///
/// Follows `vici_cred.c`'s `load_cert` callback: `lib->creds->create(CRED_CERTIFICATE,
/// CERT_TRUSTED_PUBKEY, BUILD_BLOB, data, BUILD_X509_FLAG, X509_NONE)`, which is the
/// pubkey plugin's `pubkey_cert_wrap` (the flag is ignored; no `BUILD_SUBJECT`, so
/// `pubkey_cert_create` makes the subject the key id, `KEYID_PUBKEY_INFO_SHA1`); then
/// `this->creds->add_cert(this->creds, type != CERT_X509_AC, cert)` — `mem_cred.c`'s
/// `add_cert`, i.e. `add_cert_internal` with `trusted = TRUE` on **the same store**
/// `load-conn` uses (`vici_cred_t.add_cert` is `add_cert_ref(TRUE, ...)` on it), whose
/// returned reference `add_cert` drops at once. The blob is parsed afresh, as charon
/// parses every message.
pub fn load_pubkey_cert<C: crate::subject::SubjectCell, S: CertStore<C>>(
    vici: &Vici<C, S>,
    der: &[u8],
) -> Result<(), crate::pubkey::KeyError> {
    let key = crate::pubkey::PublicKey::from_spki_der(der)?;
    let cert = crate::cert::PubkeyCert::wrap(key, None, vici.census());
    drop(vici.store().add_cert_ref(true, cert));
    Ok(())
}

impl ModelDaemon {
    /// `swanctl --load-creds [--clear]` in both flows, for what the model covers: with
    /// `clear`, vici `clear-creds` first (`load_creds_cfg`'s `clear_creds`), then one
    /// `load-cert` per file of `pubkey/` ([`load_pubkey_cert`]; `keys` from
    /// [`pubkey_folder`]). The X.509 folders, private keys, tokens and secrets that
    /// swanctl also loads make no raw-key objects and are not modelled.
    pub fn load_creds(&self, keys: &[super::KeyFile], clear: bool) {
        if clear {
            self.clear_creds();
        }
        for k in keys {
            load_pubkey_cert(&self.pre, &k.der).expect("parsed when read");
            load_pubkey_cert(&self.fix, &k.der).expect("parsed when read");
        }
    }

    /// `swanctl --load-all [--clear]` (`load_all.c`'s `load_all`): `load_creds_cfg`
    /// ([`ModelDaemon::load_creds`]), then `load_authorities_cfg` and `load_pools_cfg`
    /// (no raw keys: not modelled), then `load_conns_cfg` ([`ModelDaemon::load_conns`]).
    /// Returns whether every connection loaded (`load_conns_cfg`'s status, which
    /// `load_all` returns).
    pub fn load_all(&self, config: &Config, keys: &[super::KeyFile], clear: bool) -> bool {
        self.load_creds(keys, clear);
        self.load_conns(config)
    }
}
