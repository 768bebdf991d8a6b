//! Real swanctl configuration as input to the model: the `connections` section of a
//! `swanctl.conf`, with its `local*`/`remote*` sections (`id`, `auth`, `pubkeys`,
//! `certs`) and the key files `pubkeys` names.
//!
//! Key files are looked up the way swanctl does: a relative name is taken from the
//! `pubkey/` folder (certificates: `x509/`) of the swanctl directory, which here is
//! the folder holding the configuration file (run swanctl with `SWANCTL_DIR` set to
//! that folder to make it agree); an absolute path is used as is. Other sections
//! (`secrets`, `pools`, `authorities`, a connection's `children`, ...) and other keys
//! are read but ignored: they do not touch raw public keys.
//!
//! * [`settings`] — the generic settings syntax.
//! * [`sim`] — replaying `swanctl --load-conns` / `clear-creds` against the model in
//!   both flows, with the counts the real daemon is compared with.

pub mod settings;
pub mod sim;

pub use settings::ConfigError;

use crate::identity::Identity;
use crate::keyfile;
use crate::pubkey::PublicKey;
use crate::vici::{AuthClass, AuthSpec, ConnSpec, Side};
use settings::Section;
use std::path::{Path, PathBuf};

/// A parsed `swanctl.conf`: its connections, in file order.
#[derive(Clone, Debug)]
pub struct Config {
    /// The configuration file.
    pub path: PathBuf,
    /// The `connections { ... }` subsections.
    pub connections: Vec<Connection>,
}

/// One connection.
#[derive(Clone, Debug)]
pub struct Connection {
    /// Its name (the section name under `connections`).
    pub name: String,
    /// Line of its section.
    pub line: usize,
    /// `local*` sections, in file order.
    pub local: Vec<AuthSection>,
    /// `remote*` sections, in file order.
    pub remote: Vec<AuthSection>,
    /// A `pubkeys`/`certs` file swanctl cannot read ([`Config::load_as_swanctl`]
    /// only; [`Config::parse`] makes it an error): swanctl does not send the
    /// connection (`add_file_list_key` fails, `load_conn` returns before
    /// `vici_submit`), so a loaded one of that name stays as it was.
    pub unreadable: Option<String>,
}

/// One `local*` / `remote*` section.
#[derive(Clone, Debug)]
pub struct AuthSection {
    /// The section name (`local`, `remote-2`, ...).
    pub name: String,
    /// Line of the section.
    pub line: usize,
    /// `id`, as written.
    pub id: Option<String>,
    /// `auth`, as written.
    pub auth: Option<String>,
    /// The keys `pubkeys` names, in order.
    pub pubkeys: Vec<KeyFile>,
    /// The certificate files `certs` names (resolved paths; parsed into `x509`; they
    /// never become raw-public-key objects).
    pub certs: Vec<PathBuf>,
    /// The certificates `certs` names, parsed (`AUTH_RULE_SUBJECT_CERT` entries).
    pub x509: Vec<crate::x509::X509Cert>,
    /// Whether `certs` is written before `pubkeys` (the order 5.9.8 adds them in).
    pub certs_first: bool,
    /// The first `pubkeys` file that is not a public key the model reads
    /// ([`Config::load_as_swanctl`] only; [`Config::parse`] makes it an error):
    /// swanctl sends it, charon's `parse_pubkeys` fails on it. `pubkeys` holds the
    /// keys before it.
    pub unparseable: Option<String>,
}

/// A key file named by `pubkeys`, loaded.
#[derive(Clone, Debug)]
pub struct KeyFile {
    /// The name as written in the configuration.
    pub name: String,
    /// The resolved path.
    pub path: PathBuf,
    /// The DER SubjectPublicKeyInfo (kept so every load can parse it afresh, as
    /// charon parses the blob swanctl sends on every `load-conn`).
    pub der: Vec<u8>,
    /// The parsed key.
    pub key: PublicKey,
}

impl AuthSection {
    /// The section's identity as vici sees it (`None` when not configured).
    pub fn identity(&self) -> Option<Identity> {
        self.id.as_deref().map(Identity::parse)
    }

    /// Raw keys in this section that the pre-fix flow leaks on every reload: all of
    /// them when a usable (non-`%any`) id is configured, none otherwise.
    pub fn leaking_keys(&self) -> usize {
        match self.identity() {
            Some(id) if !id.is_any() => self.pubkeys.len(),
            _ => 0,
        }
    }
}

impl Connection {
    /// The `load-conn` message for this connection, with every key parsed afresh from
    /// its DER (new allocations, as charon does per message).
    pub fn spec(&self) -> ConnSpec {
        let auth = |a: &AuthSection| AuthSpec {
            id: a.identity(),
            pubkeys: a
                .pubkeys
                .iter()
                .map(|k| PublicKey::from_spki_der(&k.der).expect("parsed when loaded"))
                .collect(),
            class: a.auth.as_deref().and_then(AuthClass::parse),
            x509: a.x509.clone(),
            x509_first: a.certs_first,
            fails: a.unparseable.is_some(),
        };
        let mut sides: Vec<(usize, Side)> = self
            .local
            .iter()
            .map(|a| (a.line, Side::Local))
            .chain(self.remote.iter().map(|a| (a.line, Side::Remote)))
            .collect();
        sides.sort_by_key(|(line, _)| *line);
        ConnSpec {
            name: self.name.clone(),
            local: self.local.iter().map(auth).collect(),
            remote: self.remote.iter().map(auth).collect(),
            order: sides.into_iter().map(|(_, side)| side).collect(),
        }
    }

    /// Every auth section, local first.
    pub fn auth_sections(&self) -> impl Iterator<Item = &AuthSection> {
        self.local.iter().chain(&self.remote)
    }

    /// Raw public keys over all sections.
    pub fn key_count(&self) -> usize {
        self.auth_sections().map(|a| a.pubkeys.len()).sum()
    }

    /// Keys the pre-fix flow duplicates on every reload (see
    /// [`AuthSection::leaking_keys`]).
    pub fn leaking_keys(&self) -> usize {
        self.auth_sections().map(AuthSection::leaking_keys).sum()
    }
}

impl Config {
    /// Reads `path` and every key file it names.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| ConfigError::new(path, 0, format!("cannot read: {e}")))?;
        Config::parse(&text, path)
    }

    /// Parses configuration text as if it were the file `path` (key files are looked up
    /// relative to `path`'s folder).
    pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
        Config::parse_as(text, path, Strictness::Strict)
    }

    fn parse_as(text: &str, path: &Path, how: Strictness) -> Result<Config, ConfigError> {
        let top = settings::parse(text, path)?;
        let dir = path.parent().unwrap_or(Path::new(".")).to_path_buf();
        let mut connections = Vec::new();
        if let Some(conns) = top.section("connections") {
            if let Some(s) = conns.settings.first() {
                return Err(ConfigError::new(
                    path,
                    s.line,
                    format!(
                        "`{}` directly under `connections`: expected a connection section",
                        s.key
                    ),
                ));
            }
            for c in &conns.sections {
                connections.push(connection(c, &dir, path, how)?);
            }
        }
        Ok(Config {
            path: path.to_path_buf(),
            connections,
        })
    }

    /// What swanctl itself makes of `path` (`--load-conns`/`--load-all --file`):
    /// `swanctl.c`'s `load_swanctl_conf` calls `settings_create`, which never fails:
    /// a file that cannot be read or does not parse (`settings_parser_parse_file`
    /// returns FALSE, `load_internal` drops the section) yields an **empty**
    /// configuration, the same in 5.9.8 and 6.0.1. `--load-conns` then finds no
    /// connections and unloads every loaded one, and exits 0. So this returns an empty
    /// configuration and the reading error (which swanctl does not report) for a file
    /// with a syntax error. A key or certificate file that cannot be read marks its
    /// connection [`Connection::unreadable`]; a `pubkeys` file that is not a public
    /// key marks its section [`AuthSection::unparseable`]. `Err` only for what the
    /// model does not follow (a section inside an auth section, a setting directly
    /// under `connections`).
    pub fn load_as_swanctl(path: &Path) -> Result<(Config, Option<ConfigError>), ConfigError> {
        let empty = || Config {
            path: path.to_path_buf(),
            connections: Vec::new(),
        };
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) => {
                let err = ConfigError::new(path, 0, format!("cannot read: {e}"));
                return Ok((empty(), Some(err)));
            }
        };
        if let Err(e) = settings::parse(&text, path) {
            return Ok((empty(), Some(e)));
        }
        Config::parse_as(&text, path, Strictness::AsSwanctl).map(|c| (c, None))
    }

    /// The connection `name`.
    pub fn connection(&self, name: &str) -> Option<&Connection> {
        self.connections.iter().find(|c| c.name == name)
    }

    /// Every distinct key in the file, in first-seen order.
    pub fn keys(&self) -> Vec<&KeyFile> {
        let mut out: Vec<&KeyFile> = Vec::new();
        for k in self
            .connections
            .iter()
            .flat_map(|c| c.auth_sections())
            .flat_map(|a| &a.pubkeys)
        {
            if !out.iter().any(|o| o.key == k.key) {
                out.push(k);
            }
        }
        out
    }
}

/// How [`Config`] treats key and certificate files it cannot use.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Strictness {
    /// As errors with file:line ([`Config::parse`]).
    Strict,
    /// As swanctl and charon do ([`Config::load_as_swanctl`]).
    AsSwanctl,
}

fn connection(
    c: &Section,
    dir: &Path,
    file: &Path,
    how: Strictness,
) -> Result<Connection, ConfigError> {
    let mut conn = Connection {
        name: c.name.clone(),
        line: c.line,
        local: Vec::new(),
        remote: Vec::new(),
        unreadable: None,
    };
    for s in &c.sections {
        let side = if s.name.starts_with("local") {
            &mut conn.local
        } else if s.name.starts_with("remote") {
            &mut conn.remote
        } else {
            continue;
        };
        match auth_section(s, dir, file, how) {
            Ok(a) => side.push(a),
            Err(Unusable::Error(e)) => return Err(e),
            Err(Unusable::File(_, e)) if how == Strictness::Strict => return Err(e),
            Err(Unusable::File(File::Unreadable(name), _)) => {
                conn.unreadable.get_or_insert(name);
            }
            Err(Unusable::File(File::NotAKey(name, partial), _)) => {
                side.push(AuthSection {
                    unparseable: Some(name),
                    ..*partial
                });
            }
        }
    }
    Ok(conn)
}

/// A file of an auth section that swanctl or charon cannot use.
enum File {
    /// swanctl cannot read it.
    Unreadable(String),
    /// A `pubkeys` file that is not a public key, and the section up to it.
    NotAKey(String, Box<AuthSection>),
}

/// Why an auth section could not be read.
enum Unusable {
    /// Not the model's to follow.
    Error(ConfigError),
    /// A file (with the error [`Config::parse`] reports for it).
    File(File, ConfigError),
}

fn auth_section(
    s: &Section,
    dir: &Path,
    file: &Path,
    how: Strictness,
) -> Result<AuthSection, Unusable> {
    if let Some(sub) = s.sections.first() {
        return Err(Unusable::Error(ConfigError::new(
            file,
            sub.line,
            format!("unexpected section `{}` inside `{}`", sub.name, s.name),
        )));
    }
    let value = |k: &str| s.get(k).map(|v| v.value.clone()).filter(|v| !v.is_empty());
    let mut section = AuthSection {
        name: s.name.clone(),
        line: s.line,
        id: value("id"),
        auth: value("auth"),
        pubkeys: Vec::new(),
        certs: Vec::new(),
        x509: Vec::new(),
        certs_first: matches!(
            (s.get("certs"), s.get("pubkeys")),
            (Some(c), Some(p)) if c.line < p.line
        ),
        unparseable: None,
    };
    // swanctl reads every file of the section before it sends anything: an unreadable
    // one anywhere wins over a bad key earlier in the list.
    let mut not_a_key: Option<(String, ConfigError)> = None;
    if let Some(setting) = s.get("pubkeys") {
        for name in list(&setting.value) {
            let path = resolve(dir, "pubkey", name);
            let at = |msg: String| ConfigError::new(file, setting.line, msg);
            if !path.is_file() {
                let e = at(format!(
                    "pubkeys: unknown pubkey file `{name}` (looked for {})",
                    path.display()
                ));
                return Err(Unusable::File(File::Unreadable(name.to_string()), e));
            }
            if not_a_key.is_some() {
                continue;
            }
            match keyfile::load_key(&path) {
                Ok((der, key)) => section.pubkeys.push(KeyFile {
                    name: name.to_string(),
                    path,
                    der,
                    key,
                }),
                Err(e) => {
                    let e = at(format!("pubkeys: {}: {e}", path.display()));
                    if how == Strictness::Strict {
                        // The first problem in list order, as before.
                        return Err(Unusable::Error(e));
                    }
                    not_a_key = Some((name.to_string(), e));
                }
            }
        }
    }
    if let Some(setting) = s.get("certs") {
        for name in list(&setting.value) {
            let path = resolve(dir, "x509", name);
            if !path.is_file() {
                let e = ConfigError::new(
                    file,
                    setting.line,
                    format!(
                        "certs: unknown certificate file `{name}` (looked for {})",
                        path.display()
                    ),
                );
                return Err(Unusable::File(File::Unreadable(name.to_string()), e));
            }
            match crate::x509::load(&path) {
                Ok(c) => section.x509.push(c),
                Err(e) => {
                    let e = ConfigError::new(
                        file,
                        setting.line,
                        format!("certs: {}: {e}", path.display()),
                    );
                    return Err(Unusable::Error(e));
                }
            }
            section.certs.push(path);
        }
    }
    match not_a_key {
        None => Ok(section),
        Some((name, e)) => Err(Unusable::File(File::NotAKey(name, Box::new(section)), e)),
    }
}

/// A comma-separated list, trimmed, empty items dropped.
fn list(v: &str) -> impl Iterator<Item = &str> {
    v.split(',').map(str::trim).filter(|s| !s.is_empty())
}

/// swanctl's lookup: absolute paths as is, relative ones under `<dir>/<folder>/`.
fn resolve(dir: &Path, folder: &str, name: &str) -> PathBuf {
    let p = Path::new(name);
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        dir.join(folder).join(p)
    }
}
