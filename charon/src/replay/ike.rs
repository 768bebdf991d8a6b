//! The IKE-style reader ([`super::Reader::IkeLookup`]): a second charon, bookworm's, in
//! the network namespace of the daemon under test, initiates an IKE_SA to it over
//! loopback. In IKE_AUTH the daemon verifies the initiator's signature, so it looks up
//! the trusted raw key of the initiator's identity: the credential manager's cert
//! enumerator calls `has_subject(id)` on every stored cert — the model's
//! `reload_vs_lookup` reader.
//!
//! Set-up: the daemon listens on [`PORT`]; both hold the pre-shared key [`PSK`] for the
//! daemon's own authentication (`local { auth = psk }` of the replayed connection); the
//! initiator holds the RSA private key of the connection's raw public key and
//! authenticates with it as `peer.example.org`. IKE only, no CHILD_SA, no MOBIKE (the
//! initiator stays on [`PORT`]).

use crate::daemon::{Charon, Options, Work};
use crate::vici::{Message, Value};
use anyhow::{anyhow, Context, Result};
use std::path::Path;

/// The UDP port the daemon under test listens on for IKE.
pub const PORT: u16 = 10500;
/// The pre-shared key both daemons hold (base64 of a fixed test string).
pub const PSK: &str = "0sc3dhbi1jcmVkc3RvcmUgcmVwbGF5IHRlc3Qga2V5";
/// The initiator's connection name.
pub const CONN: &str = "replay-peer";
const OWNERS: [&str; 2] = ["local.example.org", "peer.example.org"];

fn repo_file(rel: &str) -> Result<String> {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("in the workspace");
    std::fs::read_to_string(repo.join(rel)).with_context(|| format!("cannot read {rel}"))
}

/// Gives the daemon under test its pre-shared key, starts the initiator in its network
/// namespace (`peer_work` is the initiator's folder) and loads the initiator's key,
/// secret and connection.
pub fn start_peer<'w>(peer_work: &'w Work, daemon: &Charon) -> Result<Charon<'w>> {
    daemon.vici()?.load_shared(PSK, &OWNERS)?;
    let peer = Charon::start(
        peer_work,
        Options {
            netns_of: Some(daemon.pid()),
            ..Options::default()
        },
    )?;
    let mut v = peer.vici()?;
    v.load_key(&repo_file("tests/data/keys/rsa.priv.pem")?)
        .map_err(|e| anyhow!("initiator: {e:#}\n{}", peer.logs()))?;
    v.load_shared(PSK, &OWNERS)?;
    let pubkey = repo_file(crate::race::KEY)?;
    let local = Message::default()
        .with("auth", Value::Str("pubkey".into()))
        .with("id", Value::Str("peer.example.org".into()))
        .with("pubkeys", Value::List(vec![pubkey]));
    let remote = Message::default()
        .with("auth", Value::Str("psk".into()))
        .with("id", Value::Str("local.example.org".into()));
    let conn = Message::default()
        .with("version", Value::Str("2".into()))
        .with("remote_addrs", Value::List(vec!["127.0.0.1".into()]))
        .with("remote_port", Value::Str(PORT.to_string()))
        .with("mobike", Value::Str("no".into()))
        .with("local", Value::Section(local))
        .with("remote", Value::Section(remote));
    v.load_conn(&Message::default().with(CONN, Value::Section(conn)))
        .map_err(|e| anyhow!("initiator: {e:#}\n{}", peer.logs()))?;
    Ok(peer)
}
