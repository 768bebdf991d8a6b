//! Generated swanctl trees and step sequences for the differential (proptest strategies).
//!
//! A [`Sequence`] is one or two versions of a swanctl.conf tree (the second one an edit
//! of the first: the same connection names, other ids, keys or rounds) and the steps
//! applied to it. Everything here is plain data with a text rendering; the runner
//! ([`mod@super::run`]) applies it to a daemon and to the model.

use proptest::collection::vec;
use proptest::prelude::*;
use std::fmt::Write;

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
/// literals, a key id, `%any`.
pub const IDS: [&str; 14] = [
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
    "%any",
];

/// How a round authenticates.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Auth {
    /// `auth = psk`: no keys.
    Psk,
    /// `auth = pubkey` with these keys of [`KEYS`], in this order.
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

/// One step of a sequence.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// `swanctl --load-conns` with tree version N.
    LoadConns(usize),
    /// `swanctl --load-creds --clear` with no credentials (vici `clear-creds`).
    ClearCreds,
    /// `swanctl --load-conns` with a file that has no connections: every loaded
    /// connection is unloaded (vici `unload-conn` each).
    UnloadAll,
}

/// A generated case: tree versions and steps.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sequence {
    /// The tree versions (the same connection names; the second is an edit).
    pub trees: Vec<Tree>,
    /// The steps.
    pub steps: Vec<Step>,
}

fn id() -> impl Strategy<Value = Id> {
    prop_oneof![
        1 => Just(Id::None),
        4 => proptest::sample::select(IDS.to_vec()).prop_map(Id::Text),
    ]
}

fn round() -> impl Strategy<Value = Round> {
    let auth = prop_oneof![
        1 => Just(Auth::Psk),
        4 => vec(0..KEYS.len(), 1..=3).prop_map(Auth::Pubkey),
    ];
    (any::<bool>(), id(), auth).prop_map(|(local, id, auth)| Round {
        local,
        suffix: 0,
        id,
        auth,
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

/// The strategy: 1–3 connections; one or two tree versions with the same connection
/// count; 1–6 steps, starting with a load. (The runner appends `UnloadAll, ClearCreds`
/// to every sequence, compared like the others.)
pub fn sequence() -> impl Strategy<Value = Sequence> {
    (1usize..=3, 1usize..=2)
        .prop_flat_map(|(conns, versions)| {
            let step = prop_oneof![
                6 => (0..versions).prop_map(Step::LoadConns),
                2 => Just(Step::ClearCreds),
                1 => Just(Step::UnloadAll),
            ];
            (vec(tree(conns), versions), vec(step, 0..=5))
        })
        .prop_map(|(trees, mut steps)| {
            steps.insert(0, Step::LoadConns(0));
            Sequence { trees, steps }
        })
}

impl Round {
    fn name(&self) -> String {
        let side = if self.local { "local" } else { "remote" };
        match self.suffix {
            1 => side.to_string(),
            n => format!("{side}-{n}"),
        }
    }

    fn settings(&self) -> Vec<String> {
        let mut out = Vec::new();
        match &self.auth {
            Auth::Psk => out.push("auth = psk".to_string()),
            Auth::Pubkey(keys) => {
                out.push("auth = pubkey".to_string());
                let names: Vec<&str> = keys.iter().map(|&k| KEYS[k]).collect();
                out.push(format!("pubkeys = {}", names.join(", ")));
            }
        }
        if let Id::Text(id) = self.id {
            // Quote ids with blanks or commas, as a user would.
            if id.contains(' ') || id.contains(',') {
                out.push(format!("id = \"{id}\""));
            } else {
                out.push(format!("id = {id}"));
            }
        }
        out
    }
}

impl Tree {
    /// The swanctl.conf text.
    pub fn render(&self) -> String {
        let s = self.style;
        let mut out = String::from("# generated by the differential\nconnections");
        let open = |out: &mut String, indent: &str| {
            if s.brace_on_next_line {
                let _ = write!(out, "\n{indent}{{\n");
            } else {
                out.push_str(" {\n");
            }
        };
        open(&mut out, "");
        for (i, c) in self.conns.iter().enumerate() {
            if s.comments {
                let _ = writeln!(out, "    # connection {i}");
            }
            let _ = write!(out, "    c{i}");
            open(&mut out, "    ");
            out.push_str("        local_addrs = 127.0.0.1\n        remote_addrs = 127.0.0.2\n");
            for r in &c.rounds {
                let settings = r.settings();
                if s.inline_single && settings.len() == 1 {
                    let _ = writeln!(out, "        {} {{ {} }}", r.name(), settings[0]);
                    continue;
                }
                let _ = write!(out, "        {}", r.name());
                open(&mut out, "        ");
                for line in settings {
                    let comment = if s.comments { "  # set" } else { "" };
                    let _ = writeln!(out, "            {line}{comment}");
                }
                out.push_str("        }\n");
            }
            out.push_str("    }\n");
        }
        out.push_str("}\n");
        out
    }
}
