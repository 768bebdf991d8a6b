//! What vici receives in a `load-conn` message for one connection: its auth sections
//! ([`AuthSpec`]) in message order, their class ([`AuthClass`]) and side ([`Side`]).
//! Plain data, no checker primitives: the flows in [`super::Vici`] read it.

use crate::identity::Identity;
use crate::pubkey::PublicKey;

/// One `local*` or `remote*` section of a connection as vici receives it.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct AuthSpec {
    /// `id`, if configured (`%any` is an identity of its own, which renames no key).
    pub id: Option<Identity>,
    /// `pubkeys`: the raw public keys, in order.
    pub pubkeys: Vec<PublicKey>,
    /// `auth`: the auth class, when it is one the model names.
    pub class: Option<AuthClass>,
    /// `certs`: X.509 certificates (subject certs that are not raw keys).
    pub x509: Vec<crate::x509::X509Cert>,
    /// Whether `certs` comes before `pubkeys` in the message (the file's order).
    pub x509_first: bool,
    /// After `pubkeys`, the message holds a blob charon cannot parse as a public key
    /// (a file that is not one): the section fails there, and with it the
    /// `load-conn`. What was stored before stays stored.
    pub fails: bool,
}

/// `AUTH_RULE_AUTH_CLASS`, for the `auth` values the model names (vici_config.c
/// `parse_auth`: `pubkey` → `AUTH_CLASS_PUBKEY`, `psk` → `AUTH_CLASS_PSK`). Other
/// values (`eap-…`, `xauth`, `rsa`, …) are not modelled: no class rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuthClass {
    /// `auth = pubkey`.
    Pubkey,
    /// `auth = psk`.
    Psk,
}

impl AuthClass {
    /// The class of an `auth` value, if the model names it: as `parse_auth`, a value
    /// starting with `pubkey`, `rsa`, `ecdsa` or `ike:` (case-sensitive, `strpfx`) is
    /// public key, `psk` (any case, `strcaseeq`) pre-shared key. `None` otherwise:
    /// `xauth…`/`eap…` classes and the values charon rejects (which fail the
    /// load-conn there) are not modelled, and the generator draws neither.
    pub fn parse(auth: &str) -> Option<AuthClass> {
        if ["pubkey", "rsa", "ecdsa", "ike:"]
            .iter()
            .any(|p| auth.starts_with(p))
        {
            Some(AuthClass::Pubkey)
        } else if auth.eq_ignore_ascii_case("psk") {
            Some(AuthClass::Psk)
        } else {
            None
        }
    }

    /// How `swanctl --list-conns` names it (`auth_class_names`).
    pub fn list_conns_name(class: Option<AuthClass>) -> &'static str {
        match class {
            Some(AuthClass::Pubkey) => "public key",
            Some(AuthClass::Psk) => "pre-shared key",
            None => "unspecified",
        }
    }
}

/// Which side an auth section configures.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    /// A `local*` section.
    Local,
    /// A `remote*` section.
    Remote,
}

/// A connection as sent with `load-conn`: its name and auth sections.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConnSpec {
    /// Connection name.
    pub name: String,
    /// `local*` sections.
    pub local: Vec<AuthSpec>,
    /// `remote*` sections.
    pub remote: Vec<AuthSpec>,
    /// The sides of the sections in the order vici parses them (the file's order, which
    /// swanctl keeps): `[Remote, Local]` for a `remote` section written before a
    /// `local` one. Empty: every `local*` section, then every `remote*` one. The order
    /// matters in the pre-fix flow: a section's `set_subject` changes what a later
    /// section's certificate `equals` in the store.
    pub order: Vec<Side>,
}

impl ConnSpec {
    /// A connection with one remote raw-key section: `remote { auth = pubkey;
    /// id = <id>; pubkeys = <keys> }` — the shape of the reference scenarios A–C (notes/the-bug.md).
    pub fn remote_pubkeys(name: &str, id: Option<Identity>, keys: Vec<PublicKey>) -> ConnSpec {
        ConnSpec {
            name: name.to_string(),
            local: Vec::new(),
            remote: vec![AuthSpec {
                id,
                pubkeys: keys,
                class: Some(AuthClass::Pubkey),
                ..AuthSpec::default()
            }],
            order: Vec::new(),
        }
    }

    /// The sections in parse order, each with its side and its index on that side.
    pub fn in_order(&self) -> Vec<(Side, usize)> {
        let mut next = [0usize; 2];
        let sides: Vec<Side> = if self.order.is_empty() {
            std::iter::repeat(Side::Local)
                .take(self.local.len())
                .chain(std::iter::repeat(Side::Remote).take(self.remote.len()))
                .collect()
        } else {
            self.order.clone()
        };
        sides
            .into_iter()
            .map(|side| {
                let n = &mut next[side as usize];
                *n += 1;
                (side, *n - 1)
            })
            .collect()
    }

    /// Builds every section with `build`, in parse order, and returns them per side.
    pub(super) fn build_in_order<T>(
        &self,
        mut build: impl FnMut(&AuthSpec) -> T,
    ) -> (Vec<T>, Vec<T>) {
        let (mut local, mut remote) = (Vec::new(), Vec::new());
        for (side, i) in self.in_order() {
            match side {
                Side::Local => local.push(build(&self.local[i])),
                Side::Remote => remote.push(build(&self.remote[i])),
            }
        }
        (local, remote)
    }

    /// Raw public keys over all sections (what one load adds to the store at most).
    pub fn key_count(&self) -> usize {
        self.local
            .iter()
            .chain(&self.remote)
            .map(|a| a.pubkeys.len())
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `parse_auth`'s prefixes (case-sensitive) and `psk` (any case), and the names
    /// `--list-conns` prints.
    #[test]
    fn auth_classes_parse_and_print_as_charon_does() {
        for v in ["pubkey", "rsa-4096", "ecdsa", "ike:pubkey"] {
            assert_eq!(AuthClass::parse(v), Some(AuthClass::Pubkey), "{v}");
        }
        assert_eq!(AuthClass::parse("PSK"), Some(AuthClass::Psk));
        for v in ["Pubkey", "eap-md5", "xauth", ""] {
            assert_eq!(AuthClass::parse(v), None, "{v}");
        }
        assert_eq!(
            AuthClass::list_conns_name(Some(AuthClass::Pubkey)),
            "public key"
        );
        assert_eq!(
            AuthClass::list_conns_name(Some(AuthClass::Psk)),
            "pre-shared key"
        );
        assert_eq!(AuthClass::list_conns_name(None), "unspecified");
    }
}
