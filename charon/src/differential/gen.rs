//! Generated swanctl trees and step sequences for the differential (proptest strategies).
//!
//! A [`Sequence`] is one or two versions of a swanctl.conf tree (the second one an edit
//! of the first: the same connection names, other ids, keys or rounds) and the steps
//! applied to it. Everything here is plain data with a text rendering; the runner
//! ([`mod@super::run`]) applies it to a daemon and to the model.

mod render;

use proptest::collection::vec;
use proptest::prelude::*;

/// The key files of the pool: the committed fixtures (tests/data/keys), the same key in
/// PEM and DER under different names, and three key types.
pub const KEYS: [&str; 7] = [
    "rsa.pub.pem",
    "rsa.pub.der",
    "rsa2.pub.pem",
    "ecdsa.pub.pem",
    "ecdsa.pub.der",
    "ed25519.pub.pem",
    "ed25519.pub.der",
];

/// Files that are not a public key swanctl can send, or not there at all, drawn
/// rarely in `pubkeys` and among the unnamed files of `pubkey/`: a PKCS#1 `RSA
/// PUBLIC KEY`, an X25519 key (not a signature key), two private keys, an X.509
/// certificate, a text file (a key id in hex), and a file that does not exist.
pub const ODD: [&str; 7] = [
    "rsa.pkcs1.pem",
    "x25519.pub.pem",
    "rsa.priv.pem",
    "ecdsa.priv.pem",
    "rsa.crt",
    "rsa.keyid",
    MISSING,
];

/// The X.509 certificate some sections name in `certs` (its key is `rsa.pub.pem`'s);
/// it is always in `x509/`, so `--load-creds` loads it whether named or not.
pub const CERT: &str = "rsa.crt";

/// The file of [`ODD`] that is never put into `pubkey/`.
pub const MISSING: &str = "missing.pub.pem";

/// A file of the pool: `i < KEYS.len()` is a key of [`KEYS`], the rest [`ODD`].
pub fn pool(i: usize) -> &'static str {
    KEYS.get(i).copied().unwrap_or_else(|| ODD[i - KEYS.len()])
}

/// Files in the pool.
pub const POOL: usize = KEYS.len() + ODD.len();

/// What the generator varies, for people (results.md's fidelity section lists it).
pub const DIMENSIONS: [&str; 10] = [
    "1–4 connections, each with 1–3 `local*`/`remote*` sections in any order",
    "one section in five names an X.509 certificate (`certs = rsa.crt`), before or after `pubkeys`; the certificate is always in `x509/`, named or not",
    "ids: FQDN (plain, `@`, `fqdn:`, upper case), email, DN (4 spellings: spacing, attribute case, order), IPv4, IPv6, key id (quoted `@#hex`; unquoted, where `#` starts a comment), `%any`, wildcards (`*.example.org`, `CN=*`), none",
    "`auth = psk`, or `auth = pubkey` with 1–3 keys, repeats allowed, from RSA (two keys), ECDSA and Ed25519 files, PEM and DER (the same key under two names); rarely a file that is no key swanctl can send (PKCS#1 `RSA PUBLIC KEY`, X25519, private keys, an X.509 certificate, a text file) or a missing file",
    "one or two tree versions: the second, three times in four, an edit of the first (another id in one section, its keys reversed, one removed or added, psk ↔ pubkey), else another tree with the same connection names",
    "up to three files in `pubkey/` that no section names (keys and the odd files)",
    "syntax: `{` on the same or the next line, comments on their own lines and after settings, single-setting sections on one line (`local { auth = psk }`), quoted values",
    "steps: `--load-conns` (a version; a version without one connection, i.e. `unload-conn`; a file with a syntax error), `--load-all` with and without `--clear`, `--load-creds --clear`, clear-creds, unload-all",
    "after every step: stored objects, list nodes, stored subjects (from memory), `--list-certs` (entries, key ids, subjects), `--list-conns` (every round's id and certs), rejected or not",
    "every sequence ends with unload-all and clear-creds, compared like the other steps",
];

/// The `id` of an auth round, in one of the forms strongSwan parses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Id {
    /// No `id` setting.
    None,
    /// A literal id string.
    Text(&'static str),
}

/// The ids the generator draws from: FQDNs (with `@` and prefix forms, varied case),
/// email addresses, DNs with varied spacing, attribute case and order, IPv4/IPv6
/// literals, a key id (unquoted, where `#` starts a comment and leaves `@`, and
/// quoted), `%any`, wildcards (an FQDN and a DN).
pub const IDS: [&str; 17] = [
    "peer.example.org",
    "PEER.example.org",
    "@peer.example.org",
    "fqdn:peer.example.org",
    "other.example.org",
    "user@example.org",
    "C=CH, O=strongSwan, CN=peer",
    "C=CH,O=strongSwan,CN=peer",
    "c=CH, o=strongSwan, cn=peer",
    "CN=peer, O=strongSwan, C=CH",
    "192.0.2.1",
    "2001:db8::1",
    "@#0123456789abcdef",
    "\"@#0123456789abcdef\"",
    "%any",
    "*.example.org",
    "C=CH, O=strongSwan, CN=*",
];

/// How a round authenticates.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Auth {
    /// `auth = psk`: no keys.
    Psk,
    /// `auth = pubkey` with these files of the pool ([`pool`]), in this order.
    Pubkey(Vec<usize>),
}

/// One `local*`/`remote*` section.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Round {
    /// `local` or `remote`.
    pub local: bool,
    /// The section's name suffix: `local`, `local-2`, … (round order is file order).
    pub suffix: u8,
    /// Its `id`.
    pub id: Id,
    /// Its authentication.
    pub auth: Auth,
    /// `certs = rsa.crt` (an X.509 certificate, [`CERT`]): `Some(true)` written
    /// before `pubkeys`, `Some(false)` after.
    pub cert: Option<bool>,
}

/// One connection `c<N>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Conn {
    /// Its rounds, in file order.
    pub rounds: Vec<Round>,
}

/// How the tree is written (both forms are valid swanctl syntax).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Style {
    /// `{` on the line after a section's name instead of on the same line.
    pub brace_on_next_line: bool,
    /// A comment at the end of setting lines and on lines of their own.
    pub comments: bool,
    /// A single-setting section written on one line (`local { auth = psk }`).
    pub inline_single: bool,
}

/// A swanctl.conf tree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tree {
    /// The connections `c0`, `c1`, ….
    pub conns: Vec<Conn>,
    /// How it is written.
    pub style: Style,
}

/// One step of a sequence. A `file` is an index into [`Sequence::texts`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// `swanctl --load-conns --file F`: loads every connection of the file and unloads
    /// the loaded ones it does not name (vici `unload-conn` each).
    LoadConns(usize),
    /// `swanctl --load-all [--clear] --file F`: `--load-creds [--clear]` (every file
    /// of `pubkey/`), then the connections.
    LoadAll {
        /// The swanctl.conf, an index into [`Sequence::texts`].
        file: usize,
        /// `--clear`: vici `clear-creds` first.
        clear: bool,
    },
    /// `swanctl --load-creds --clear`: clear-creds, then every file of `pubkey/`.
    LoadCreds,
    /// `swanctl --load-creds --clear` with no credentials (vici `clear-creds`).
    ClearCreds,
    /// `swanctl --load-conns` with a file that has no connections: every loaded
    /// connection is unloaded (vici `unload-conn` each).
    UnloadAll,
}

/// A generated case: tree versions, the extra key files, and steps.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sequence {
    /// The tree versions (the same connection names; the second is an edit).
    pub trees: Vec<Tree>,
    /// Files of the pool ([`pool`]) put into `pubkey/` although no section names them (what
    /// `--load-creds`/`--load-all` load besides the named ones).
    pub unnamed: Vec<usize>,
    /// The steps.
    pub steps: Vec<Step>,
}

impl Sequence {
    /// The swanctl.conf files the steps name, in order: each tree version; then, for
    /// each version and each connection `c<i>`, the version without `c<i>` (loading it
    /// unloads `c<i>`: swanctl's `unload-conn`); last, version 0 with its final `}`
    /// missing (a syntax error: swanctl reads it as an empty configuration,
    /// `Config::load_as_swanctl`).
    pub fn texts(&self) -> Vec<String> {
        let mut out: Vec<String> = self.trees.iter().map(Tree::render).collect();
        for t in &self.trees {
            for i in 0..t.conns.len() {
                out.push(t.render_without(Some(i)));
            }
        }
        let broken = out[0].trim_end().trim_end_matches('}').to_string();
        out.push(broken);
        out
    }

    /// The key files in `pubkey/`: every one a section names, and the unnamed ones.
    pub fn folder(&self) -> Vec<&'static str> {
        let mut idx: Vec<usize> = self.unnamed.clone();
        for t in &self.trees {
            for r in t.conns.iter().flat_map(|c| &c.rounds) {
                if let Auth::Pubkey(keys) = &r.auth {
                    idx.extend(keys);
                }
            }
        }
        idx.sort_unstable();
        idx.dedup();
        idx.into_iter()
            .map(pool)
            .filter(|&f| f != MISSING)
            .collect()
    }
}

fn id() -> impl Strategy<Value = Id> {
    prop_oneof![
        1 => Just(Id::None),
        4 => proptest::sample::select(IDS.to_vec()).prop_map(Id::Text),
    ]
}

/// A file for `pubkeys`: a key of [`KEYS`], one time in 15 a file of [`ODD`].
fn key() -> impl Strategy<Value = usize> {
    prop_oneof![
        14 => 0..KEYS.len(),
        1 => KEYS.len()..POOL,
    ]
}

fn round() -> impl Strategy<Value = Round> {
    let auth = prop_oneof![
        1 => Just(Auth::Psk),
        4 => vec(key(), 1..=3).prop_map(Auth::Pubkey),
    ];
    let cert = prop_oneof![4 => Just(None), 1 => any::<bool>().prop_map(Some)];
    (any::<bool>(), id(), auth, cert).prop_map(|(local, id, auth, cert)| Round {
        local,
        suffix: 0,
        id,
        auth,
        cert,
    })
}

fn conn() -> impl Strategy<Value = Conn> {
    vec(round(), 1..=3).prop_map(|mut rounds| {
        // Name the rounds local, local-2, …, remote, remote-2, … in file order.
        let (mut l, mut r) = (0, 0);
        for round in &mut rounds {
            let n = if round.local { &mut l } else { &mut r };
            *n += 1;
            round.suffix = *n;
        }
        Conn { rounds }
    })
}

fn style() -> impl Strategy<Value = Style> {
    (any::<bool>(), any::<bool>(), any::<bool>()).prop_map(|(a, b, c)| Style {
        brace_on_next_line: a,
        comments: b,
        inline_single: c,
    })
}

fn tree(conns: usize) -> impl Strategy<Value = Tree> {
    (vec(conn(), conns), style()).prop_map(|(conns, style)| Tree { conns, style })
}

/// An edit of a tree: what a user changes before a reload.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Edit {
    /// Another `id` in one section.
    Id(Id),
    /// The section's keys in reverse order.
    Reorder,
    /// The section's last key removed.
    RemoveKey,
    /// A key appended to the section (a pubkey section).
    AddKey(usize),
    /// `auth = psk` ↔ `auth = pubkey` (keys kept as written).
    Retype,
}

impl Tree {
    /// The tree with `edit` applied to the section picked by `conn` and `round`.
    pub fn edited(
        &self,
        conn: prop::sample::Index,
        round: prop::sample::Index,
        edit: &Edit,
    ) -> Tree {
        let mut t = self.clone();
        let c = conn.get_mut(&mut t.conns);
        let r = round.get_mut(&mut c.rounds);
        match (edit, &mut r.auth) {
            (Edit::Id(id), _) => r.id = id.clone(),
            (Edit::Reorder, Auth::Pubkey(keys)) => keys.reverse(),
            (Edit::RemoveKey, Auth::Pubkey(keys)) if keys.len() > 1 => {
                keys.pop();
            }
            (Edit::AddKey(k), Auth::Pubkey(keys)) => keys.push(*k),
            (Edit::Retype, Auth::Pubkey(_)) => r.auth = Auth::Psk,
            (Edit::Retype, Auth::Psk) => r.auth = Auth::Pubkey(vec![0]),
            _ => {}
        }
        t
    }
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        2 => id().prop_map(Edit::Id),
        2 => Just(Edit::Reorder),
        1 => Just(Edit::RemoveKey),
        1 => key().prop_map(Edit::AddKey),
        1 => Just(Edit::Retype),
    ]
}

/// The strategy: 1–4 connections; one or two tree versions with the same connection
/// count, the second usually an [`Edit`] of the first; up to three unnamed files in
/// `pubkey/`; 1–6 steps, starting with a load. Loads pick a version, a version
/// without one connection, or (rarely) the broken file. (The runner appends
/// `UnloadAll, ClearCreds` to every sequence, compared like the others.)
pub fn sequence() -> impl Strategy<Value = Sequence> {
    (1usize..=4, 1usize..=2)
        .prop_flat_map(|(conns, versions)| {
            let without = versions * conns;
            let broken = versions + without;
            let step = prop_oneof![
                5 => (0..versions).prop_map(Step::LoadConns),
                1 => (versions..versions + without).prop_map(Step::LoadConns),
                1 => Just(Step::LoadConns(broken)),
                2 => ((0..versions), any::<bool>())
                    .prop_map(|(file, clear)| Step::LoadAll { file, clear }),
                1 => Just(Step::LoadCreds),
                2 => Just(Step::ClearCreds),
                1 => Just(Step::UnloadAll),
            ];
            let second = prop_oneof![
                3 => (any::<prop::sample::Index>(), any::<prop::sample::Index>(), edit())
                    .prop_map(Some),
                1 => Just(None),
            ];
            (
                vec(tree(conns), versions),
                second,
                vec(0..POOL, 0..=3),
                vec(step, 0..=5),
            )
        })
        .prop_map(|(mut trees, second, unnamed, mut steps)| {
            if let (Some((c, r, e)), 2) = (second, trees.len()) {
                trees[1] = trees[0].edited(c, r, &e);
            }
            steps.insert(0, Step::LoadConns(0));
            Sequence {
                trees,
                unnamed,
                steps,
            }
        })
}
