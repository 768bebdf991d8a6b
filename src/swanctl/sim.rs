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

// std build only: the tests use tempfile, a std-only dev-dependency.
#[cfg(all(test, not(any(loom, shuttle))))]
mod tests {
    use super::*;

    #[test]
    fn the_schedule_clears_before_every_kth_reload() {
        use Op::{ClearCreds as C, Load as L};
        assert_eq!(schedule(3, None), [L, L, L, L]);
        assert_eq!(schedule(2, Some(0)), [L, L, L]);
        assert_eq!(schedule(4, Some(2)), [L, L, C, L, L, C, L]);
        assert_eq!(schedule(2, Some(1)), [L, C, L, C, L]);
        assert_eq!(schedule(2, Some(3)), [L, L, L]);
        assert_eq!(reloads_since_clear(5, None), 5);
        assert_eq!(reloads_since_clear(5, Some(0)), 5);
        assert_eq!(reloads_since_clear(5, Some(2)), 1);
        assert_eq!(reloads_since_clear(4, Some(2)), 0);
        assert_eq!(reloads_since_clear(2, Some(3)), 2);
    }

    #[test]
    fn the_fitted_line_and_its_formula() {
        let fit = Linear::fit;
        let line = |base, slope, exact| Linear { base, slope, exact };
        assert_eq!(fit(&[1, 2, 3], None), line(1, 1, true));
        assert_eq!(fit(&[2, 4, 6], None), line(2, 2, true));
        assert_eq!(fit(&[1, 2, 4], None), line(1, 1, false));
        assert_eq!(fit(&[1, 2, 1, 2], Some(2)), line(1, 1, true));
        assert_eq!(fit(&[1, 1, 1], Some(1)), line(1, 0, true));
        assert_eq!(fit(&[1, 3, 5], Some(1)), line(1, 0, false));
        assert_eq!(fit(&[], None), line(0, 0, true));
        assert_eq!(line(1, 1, true).formula(None), "1 + 1·N");
        assert_eq!(line(1, 2, true).formula(Some(10)), "1 + 2·(N mod 10)");
        assert_eq!(line(1, 2, true).formula(Some(0)), "1 + 2·N");
        assert_eq!(line(3, 0, true).formula(Some(10)), "3");
    }

    /// The `pubkey/` folder as `--load-creds` sends it: regular files only, sorted; a
    /// file that is no key is an error naming it, or skipped as swanctl would; a missing
    /// folder sends nothing; a folder that cannot be listed is an error.
    #[test]
    fn the_pubkey_folder_sends_regular_key_files() {
        let data = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/keys/");
        let dir = tempfile::tempdir().unwrap();
        let conf = |root: &std::path::Path| Config {
            path: root.join("swanctl.conf"),
            connections: Vec::new(),
        };
        let folder = dir.path().join("pubkey");
        std::fs::create_dir_all(folder.join("sub")).unwrap();
        std::fs::copy(format!("{data}ed25519.pub.pem"), folder.join("b.pub")).unwrap();
        std::fs::copy(format!("{data}rsa.pub.pem"), folder.join("a.pub")).unwrap();
        let names = |keys: Vec<super::super::KeyFile>| -> Vec<String> {
            keys.into_iter().map(|k| k.name).collect()
        };
        assert_eq!(
            names(pubkey_folder(&conf(dir.path())).unwrap()),
            ["a.pub", "b.pub"]
        );
        std::fs::copy(format!("{data}rsa.priv.pem"), folder.join("c.priv")).unwrap();
        let e = pubkey_folder(&conf(dir.path())).unwrap_err();
        assert!(e.to_string().contains("c.priv"), "{e}");
        let skipped = pubkey_folder_as_swanctl(&conf(dir.path())).unwrap();
        assert_eq!(names(skipped), ["a.pub", "b.pub"]);
        let empty = tempfile::tempdir().unwrap();
        assert!(pubkey_folder(&conf(empty.path())).unwrap().is_empty());
        assert!(pubkey_folder_as_swanctl(&conf(empty.path()))
            .unwrap()
            .is_empty());
        std::fs::write(empty.path().join("pubkey"), "not a folder").unwrap();
        let e = pubkey_folder(&conf(empty.path())).unwrap_err();
        assert!(
            e.to_string().contains("cannot list the pubkey folder"),
            "{e}"
        );
    }

    /// `--load-creds` stores one trusted object per key file in both flows (a key the
    /// config also uses is then an equal object: load-conn reuses it in the fixed flow);
    /// `--clear` empties the store first; `--load-all` is both, then `--load-conns`.
    #[test]
    fn load_creds_and_load_all() {
        let pem = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/data/keys/ed25519.pub.pem"
        ))
        .unwrap();
        let (der, key) = crate::keyfile::parse_key(&pem).unwrap();
        let file = super::super::KeyFile {
            name: "peer.pub".into(),
            path: "peer.pub".into(),
            der,
            key,
        };
        let d = ModelDaemon::new();
        assert!(load_pubkey_cert(d.pre_fix(), b"junk").is_err());
        d.load_creds(std::slice::from_ref(&file), false);
        assert_eq!(d.counts(Flow::PreFix).stored_objects, 1);
        assert_eq!(d.counts(Flow::UpstreamFix).stored_objects, 1);
        d.load_creds(std::slice::from_ref(&file), false);
        assert_eq!(
            d.counts(Flow::PreFix).stored_objects,
            1,
            "an equal key is reused"
        );
        assert!(d.load_all(&config(&["a"]), std::slice::from_ref(&file), true));
        // Pre-fix: load-conn's cert (key id subject) equals the --load-creds object,
        // which it reuses and then gives the id in place: one object. Fixed: the cert is
        // wrapped with the id at once, a second object beside the key id one.
        assert_eq!(d.counts(Flow::PreFix).stored_objects, 1);
        assert_eq!(d.counts(Flow::UpstreamFix).stored_objects, 2);
        assert!(!d.load_all(
            &Config {
                connections: vec![{
                    let mut c = config(&["a"]).connections.remove(0);
                    c.unreadable = Some("gone".into());
                    c
                }],
                ..config(&[])
            },
            &[],
            true
        ));
        assert_eq!(
            d.counts(Flow::PreFix).stored_objects,
            0,
            "--clear emptied it"
        );
    }

    fn config(names: &[&str]) -> Config {
        let key = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/data/keys/ed25519.pub.pem"
        );
        let mut text = String::from("connections {\n");
        for n in names {
            text.push_str(&format!(
                "  {n} {{\n    remote {{\n      id = peer\n      pubkeys = {key}\n    }}\n  }}\n"
            ));
        }
        text.push_str("}\n");
        Config::parse(&text, std::path::Path::new("/nonexistent/swanctl.conf")).unwrap()
    }

    /// Both flows at once: the pre-fix store grows by one object per reload, the fixed
    /// one does not; list-certs hides the duplicates; clear-creds empties both; a
    /// connection the file no longer has is unloaded; an unreadable file fails the
    /// load but the other connections still load.
    #[test]
    fn the_model_daemon_drives_both_flows() {
        let d = ModelDaemon::new();
        let one = config(&["a"]);
        assert!(d.load_conns(&one));
        assert!(d.load_conns(&one));
        assert_eq!(d.counts(Flow::PreFix).stored_objects, 2);
        assert_eq!(d.counts(Flow::PreFix).list_nodes, 4);
        assert_eq!(d.counts(Flow::UpstreamFix).stored_objects, 1);
        assert_eq!(d.pre_fix().store().stored_objects(), 2);
        assert_eq!(d.upstream_fix().store().stored_objects(), 1);
        assert_eq!(
            (d.listed(Flow::PreFix), d.listed(Flow::UpstreamFix)),
            (1, 1)
        );
        d.clear_creds();
        assert_eq!(d.counts(Flow::PreFix), Counts::default());
        assert_eq!(d.counts(Flow::UpstreamFix), Counts::default());
        assert_eq!(d.listed(Flow::PreFix), 0);
        let mut broken = config(&["a", "b"]);
        broken.connections[0].unreadable = Some("gone.pub".into());
        assert!(!d.load_conns(&broken), "an unreadable file fails the load");
        assert_eq!(d.pre_fix().connections(), ["a", "b"]);
        assert!(d.load_conns(&config(&["b"])));
        assert_eq!(d.pre_fix().connections(), ["b"]);
        assert_eq!(d.upstream_fix().connections(), ["b"]);
    }
}
