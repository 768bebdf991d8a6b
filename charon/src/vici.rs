//! A blocking vici client for the race runs and the differential test, over the
//! `rsvici` crate (MIT, serde-based messages, streamed commands that register for the
//! event before the command and unregister after it). Each [`Vici`] owns one
//! connection and a current-thread tokio runtime, so a plain thread drives it.
//!
//! Only what the project needs: `version` (readiness), `load-conn` with a message built
//! from the model's parsed swanctl configuration ([`load_conn_message`]), `list-certs`
//! (streams `list-cert` events), `clear-creds`, and for an IKE peer `load-key`,
//! `load-shared` and `initiate`.

use anyhow::{anyhow, bail, Context, Result};
use futures_util::{pin_mut, TryStreamExt};
use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Deserialize, Serialize, Serializer};
use std::path::Path;
use swan_credstore::swanctl::{AuthSection, Connection};

/// One value of a vici message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    /// A key/value pair's value.
    Str(String),
    /// A list of values.
    List(Vec<String>),
    /// A sub-section.
    Section(Message),
}

/// A vici message: named elements in order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Message(pub Vec<(String, Value)>);

impl Message {
    /// Adds an element (builder style).
    pub fn with(mut self, name: &str, value: Value) -> Message {
        self.0.push((name.to_string(), value));
        self
    }
}

impl Serialize for Value {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Value::Str(v) => s.serialize_str(v),
            Value::List(items) => {
                let mut seq = s.serialize_seq(Some(items.len()))?;
                for i in items {
                    seq.serialize_element(i)?;
                }
                seq.end()
            }
            Value::Section(m) => m.serialize(s),
        }
    }
}

impl Serialize for Message {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

fn auth_section(a: &AuthSection) -> Result<Message> {
    let mut m = Message::default();
    if let Some(auth) = &a.auth {
        m = m.with("auth", Value::Str(auth.clone()));
    }
    if let Some(id) = &a.id {
        m = m.with("id", Value::Str(id.clone()));
    }
    if !a.pubkeys.is_empty() {
        let pems = a
            .pubkeys
            .iter()
            .map(|k| {
                pem_rfc7468::encode_string("PUBLIC KEY", pem_rfc7468::LineEnding::LF, &k.der)
                    .map_err(|e| anyhow!("cannot PEM-encode {}: {e}", k.name))
            })
            .collect::<Result<Vec<_>, _>>()?;
        m = m.with("pubkeys", Value::List(pems));
    }
    if !a.certs.is_empty() {
        let certs = a
            .certs
            .iter()
            .map(|p| {
                std::fs::read_to_string(p)
                    .with_context(|| format!("cannot read {} as PEM", p.display()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        m = m.with("certs", Value::List(certs));
    }
    Ok(m)
}

/// The `load-conn` message for one connection of the model's parsed configuration:
/// its `local*`/`remote*` sections with `auth`, `id`, the raw keys in `pubkeys` as PEM
/// data and certificates in `certs` as PEM data (what swanctl sends for those keys;
/// other settings are left at charon's defaults).
pub fn load_conn_message(conn: &Connection) -> Result<Message> {
    let mut body = Message::default();
    for a in conn.local.iter().chain(&conn.remote) {
        body = body.with(&a.name, Value::Section(auth_section(a)?));
    }
    Ok(Message::default().with(&conn.name, Value::Section(body)))
}

#[derive(Deserialize)]
struct Reply {
    success: Option<bool>,
    errmsg: Option<String>,
}

#[derive(Deserialize)]
struct VersionReply {
    daemon: Option<String>,
    version: Option<String>,
}

/// One `list-cert` event: the fields the runs look at.
#[derive(Clone, Debug, Deserialize)]
pub struct ListedCert {
    /// Certificate type (`pubkey` for raw public keys).
    #[serde(rename = "type")]
    pub cert_type: Option<String>,
    /// The subject, when charon sends one.
    pub subject: Option<String>,
}

/// A connection to charon's vici socket.
pub struct Vici {
    rt: tokio::runtime::Runtime,
    client: rsvici::Client,
}

impl Vici {
    /// Connects to the vici socket at `path`.
    pub fn connect(path: &Path) -> Result<Vici> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .context("cannot build a tokio runtime for vici")?;
        let client = rt
            .block_on(rsvici::unix::connect(path))
            .with_context(|| format!("cannot connect to {}", path.display()))?;
        Ok(Vici { rt, client })
    }

    fn command(&mut self, cmd: &str, msg: &Message) -> Result<()> {
        let reply: Reply = self
            .rt
            .block_on(self.client.request(cmd, msg))
            .with_context(|| format!("vici {cmd}"))?;
        if reply.success == Some(false) {
            bail!("vici {cmd} failed: {}", reply.errmsg.unwrap_or_default());
        }
        Ok(())
    }

    /// `version`: "daemon version".
    pub fn version(&mut self) -> Result<String> {
        let v: VersionReply = self
            .rt
            .block_on(self.client.request("version", ()))
            .context("vici version")?;
        Ok(format!(
            "{} {}",
            v.daemon.unwrap_or_default(),
            v.version.unwrap_or_default()
        ))
    }

    /// `load-conn` with a message from [`load_conn_message`].
    pub fn load_conn(&mut self, msg: &Message) -> Result<()> {
        self.command("load-conn", msg)
    }

    /// `initiate` of an IKE_SA alone (no CHILD_SA) of connection `ike`, waiting up to
    /// `timeout_ms` for it to be established.
    pub fn initiate_ike(&mut self, ike: &str, timeout_ms: u32) -> Result<()> {
        let msg = Message::default()
            .with("ike", Value::Str(ike.to_string()))
            .with("timeout", Value::Str(timeout_ms.to_string()));
        self.command("initiate", &msg)
    }

    /// `load-shared`: an IKE pre-shared key for `owners` (identities).
    pub fn load_shared(&mut self, secret: &str, owners: &[&str]) -> Result<()> {
        let msg = Message::default()
            .with("type", Value::Str("IKE".into()))
            .with("data", Value::Str(secret.to_string()))
            .with(
                "owners",
                Value::List(owners.iter().map(|o| o.to_string()).collect()),
            );
        self.command("load-shared", &msg)
    }

    /// `load-key`: a private key, PEM (type detected by charon).
    pub fn load_key(&mut self, pem: &str) -> Result<()> {
        let msg = Message::default()
            .with("type", Value::Str("any".into()))
            .with("data", Value::Str(pem.to_string()));
        self.command("load-key", &msg)
    }

    /// `clear-creds`.
    pub fn clear_creds(&mut self) -> Result<()> {
        self.command("clear-creds", &Message::default())
    }

    /// `list-certs` of one type (`pubkey`, `x509`, ...): the `list-cert` events.
    pub fn list_certs(&mut self, cert_type: &str) -> Result<Vec<ListedCert>> {
        let msg = Message::default().with("type", Value::Str(cert_type.to_string()));
        let client = &mut self.client;
        self.rt.block_on(async {
            let stream = client.stream_request::<_, ListedCert>("list-certs", "list-cert", &msg);
            pin_mut!(stream);
            let mut out = Vec::new();
            while let Some(c) = stream.try_next().await.context("vici list-certs")? {
                out.push(c);
            }
            Ok(out)
        })
    }
}
