//! Identities: the model of strongSwan's `identification_t`
//! (`src/libstrongswan/utils/identification.c`).
//!
//! An [`Identity`] is an immutable value: a type plus an encoding. In strongSwan an
//! identity is a heap object that is cloned and destroyed explicitly; that lifetime is
//! modelled separately by the subject cells ([`crate::subject`]), which is where the
//! race lives. Equality and matching follow the C code:
//!
//! * [`Identity::equals`] — `equals_binary` for key ids, addresses and `%any`,
//!   `equals_strcasecmp` for FQDN and RFC 822 names, `equals_dn` for DNs;
//! * [`Identity::matches`] — `matches_binary`, `matches_string` (one leading `*`
//!   wildcard, case-insensitive), `matches_dn` (one wildcard per `*` RDN value) and
//!   `matches_any`; the result is a [`MatchQuality`].

use std::fmt;

/// How well an identity matches another (`id_match_t`). Ordered: a better match
/// compares greater.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum MatchQuality {
    /// `ID_MATCH_NONE` (0): no match.
    None,
    /// `ID_MATCH_ANY` (1): the other identity is `%any` (or a lone `*`).
    Any,
    /// `ID_MATCH_ONE_WILDCARD` (19) minus further wildcards: matched through
    /// `wildcards` (1 or more) wildcards.
    Wildcards(u8),
    /// `ID_MATCH_PERFECT` (20): equal.
    Perfect,
}

/// strongSwan's `ID_MATCH_MAX_WILDCARDS`.
const MAX_WILDCARDS: u8 = 2;

impl MatchQuality {
    /// The numeric value strongSwan uses (`NONE`=0, `ANY`=1, `ONE_WILDCARD`=19,
    /// `PERFECT`=20; each further DN wildcard costs one, down to 18).
    pub fn value(self) -> u8 {
        match self {
            MatchQuality::None => 0,
            MatchQuality::Any => 1,
            MatchQuality::Wildcards(n) => 20 - n.clamp(1, MAX_WILDCARDS),
            MatchQuality::Perfect => 20,
        }
    }

    /// `ID_MATCH_ONE_WILDCARD`.
    pub const ONE_WILDCARD: MatchQuality = MatchQuality::Wildcards(1);
}

/// An identity (`identification_t`): type plus encoding.
///
/// Strings are kept as given; comparisons apply strongSwan's case rules. DNs are kept
/// as their string form (`C=CH, O=strongSwan, CN=peer`) split into RDNs on `,` or
/// `/`; see `notes/model.md` for why that is sound here.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Identity {
    /// `ID_ANY` (`%any`): matches everything with quality [`MatchQuality::Any`].
    Any,
    /// `ID_KEY_ID`: opaque bytes, usually a SHA-1 key fingerprint.
    KeyId(Vec<u8>),
    /// `ID_FQDN`: a host name.
    Fqdn(String),
    /// `ID_RFC822_ADDR`: an email address.
    Rfc822(String),
    /// `ID_DER_ASN1_DN`: a distinguished name, in string form.
    Dn(String),
    /// `ID_IPV4_ADDR`.
    Ipv4([u8; 4]),
    /// `ID_IPV6_ADDR`.
    Ipv6([u8; 16]),
}

impl Identity {
    /// Parses an identity the way `identification_create_from_string` does for the
    /// forms the model supports: `%any`/`*`/empty, `fqdn:`/`dns:`, `email:`/`rfc822:`,
    /// `keyid:` (with `#hex`), `@#hex` (key id), `@name` (FQDN), `a@b` (RFC 822),
    /// anything with `=` (DN), IPv4/IPv6 literals, and otherwise an FQDN.
    pub fn parse(s: &str) -> Identity {
        let lower = s.to_ascii_lowercase();
        for (prefix, kind) in [
            ("fqdn:", 'f'),
            ("dns:", 'f'),
            ("email:", 'e'),
            ("rfc822:", 'e'),
            ("keyid:", 'k'),
            ("asn1dn:", 'd'),
        ] {
            if lower.starts_with(prefix) {
                let rest = &s[prefix.len()..];
                return match kind {
                    'f' => Identity::Fqdn(rest.to_string()),
                    'e' => Identity::Rfc822(rest.to_string()),
                    'd' => Identity::Dn(rest.to_string()),
                    _ => Identity::KeyId(
                        rest.strip_prefix('#')
                            .and_then(hex_decode)
                            .unwrap_or_else(|| rest.as_bytes().to_vec()),
                    ),
                };
            }
        }
        if s.contains('=') {
            return Identity::Dn(s.to_string());
        }
        if !s.contains('@') {
            if matches!(s, "" | "%any" | "%any6" | "0.0.0.0" | "*" | "::" | "0::0") {
                return Identity::Any;
            }
            if let Ok(a) = s.parse::<std::net::Ipv4Addr>() {
                return Identity::Ipv4(a.octets());
            }
            if let Ok(a) = s.parse::<std::net::Ipv6Addr>() {
                return Identity::Ipv6(a.octets());
            }
            return Identity::Fqdn(s.to_string());
        }
        if let Some(rest) = s.strip_prefix("@#") {
            return Identity::KeyId(hex_decode(rest).unwrap_or_default());
        }
        if let Some(rest) = s.strip_prefix('@') {
            return Identity::Fqdn(rest.to_string());
        }
        Identity::Rfc822(s.to_string())
    }

    /// Whether this is `%any`.
    pub fn is_any(&self) -> bool {
        matches!(self, Identity::Any)
    }

    /// `identification_t.equals`: same type and equal encoding, with strongSwan's
    /// case rules (FQDN and RFC 822 ignore ASCII case; DNs compare RDN by RDN).
    pub fn equals(&self, other: &Identity) -> bool {
        use Identity::*;
        match (self, other) {
            (Any, Any) => true,
            (KeyId(a), KeyId(b)) => a == b,
            (Ipv4(a), Ipv4(b)) => a == b,
            (Ipv6(a), Ipv6(b)) => a == b,
            (Fqdn(a), Fqdn(b)) | (Rfc822(a), Rfc822(b)) => a.eq_ignore_ascii_case(b),
            (Dn(a), Dn(b)) => dn_compare(a, b, false).is_some(),
            _ => false,
        }
    }

    /// `identification_t.matches(other)`: how well `self` matches the (possibly
    /// wildcarded) `other`. `%any` as `other` is always [`MatchQuality::Any`].
    pub fn matches(&self, other: &Identity) -> MatchQuality {
        use Identity::*;
        if other.is_any() {
            return MatchQuality::Any;
        }
        match (self, other) {
            (Fqdn(a), Fqdn(b)) | (Rfc822(a), Rfc822(b)) => match_string(a, b),
            (Dn(a), Dn(b)) => match dn_compare(a, b, true) {
                Some(0) => MatchQuality::Perfect,
                Some(wc) => MatchQuality::Wildcards(wc.min(MAX_WILDCARDS as usize) as u8),
                None => MatchQuality::None,
            },
            (Any, _) => MatchQuality::None,
            _ if self.equals(other) => MatchQuality::Perfect,
            _ => MatchQuality::None,
        }
    }
}

/// `matches_string`: equality (case-insensitive) is perfect; a lone `*` is no better
/// than ANY; `*suffix` matches when `this` ends with `suffix` (case-insensitive).
fn match_string(this: &str, pattern: &str) -> MatchQuality {
    if this.eq_ignore_ascii_case(pattern) {
        return MatchQuality::Perfect;
    }
    if pattern.is_empty() || this.len() < pattern.len() {
        return MatchQuality::None;
    }
    match pattern.strip_prefix('*') {
        Some("") => MatchQuality::Any,
        Some(rest) => {
            let tail = &this.as_bytes()[this.len() - rest.len()..];
            if tail.eq_ignore_ascii_case(rest.as_bytes()) {
                MatchQuality::ONE_WILDCARD
            } else {
                MatchQuality::None
            }
        }
        None => MatchQuality::None,
    }
}

/// Splits a DN string into `(attribute, value)` RDNs: on `,` or `/`, each part trimmed,
/// the attribute upper-cased, the value kept as written (case-sensitive). `equals`,
/// `matches` and the indexed store's hash key all compare DNs through it.
pub fn rdns(dn: &str) -> Vec<(String, &str)> {
    dn.split([',', '/'])
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (k.trim().to_ascii_uppercase(), v.trim()),
            None => (String::new(), p),
        })
        .collect()
}

/// `compare_dn`: RDN by RDN, same attributes in the same order. With `wildcards`, a
/// `*` value in `pattern` matches any value; returns the number of wildcards used.
fn dn_compare(this: &str, pattern: &str, wildcards: bool) -> Option<usize> {
    let (a, b) = (rdns(this), rdns(pattern));
    if a.len() != b.len() {
        return None;
    }
    let mut wc = 0;
    for ((ka, va), (kb, vb)) in a.iter().zip(&b) {
        if ka != kb {
            return None;
        }
        if wildcards && *vb == "*" {
            wc += 1;
        } else if va != vb {
            return None;
        }
    }
    Some(wc)
}

fn hex_decode(s: &str) -> Option<Vec<u8>> {
    let s: String = s.chars().filter(|c| *c != ':').collect();
    if s.len() % 2 != 0 {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).ok())
        .collect()
}

/// Lowercase hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl fmt::Display for Identity {
    /// Short, timeline-friendly form: `fqdn:peer.example.org`, `keyid:3a5f0c1d…`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Identity::Any => write!(f, "%any"),
            Identity::KeyId(b) if b.len() > 4 => write!(f, "keyid:{}…", hex(&b[..4])),
            Identity::KeyId(b) => write!(f, "keyid:{}", hex(b)),
            Identity::Fqdn(s) => write!(f, "fqdn:{s}"),
            Identity::Rfc822(s) => write!(f, "email:{s}"),
            Identity::Dn(s) => write!(f, "dn:{s}"),
            Identity::Ipv4(a) => write!(f, "{}", std::net::Ipv4Addr::from(*a)),
            Identity::Ipv6(a) => write!(f, "{}", std::net::Ipv6Addr::from(*a)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_forms() {
        assert_eq!(Identity::parse("%any"), Identity::Any);
        assert_eq!(Identity::parse("*"), Identity::Any);
        assert_eq!(
            Identity::parse("peer.example.org"),
            Identity::Fqdn("peer.example.org".into())
        );
        assert_eq!(Identity::parse("@peer"), Identity::Fqdn("peer".into()));
        assert_eq!(
            Identity::parse("a@b.org"),
            Identity::Rfc822("a@b.org".into())
        );
        assert_eq!(Identity::parse("@#0aff"), Identity::KeyId(vec![0x0a, 0xff]));
        assert_eq!(Identity::parse("keyid:#0102"), Identity::KeyId(vec![1, 2]));
        assert_eq!(Identity::parse("10.0.0.1"), Identity::Ipv4([10, 0, 0, 1]));
        assert!(matches!(Identity::parse("::1"), Identity::Ipv6(_)));
        assert!(matches!(Identity::parse("C=CH, CN=x"), Identity::Dn(_)));
    }

    /// The timeline form: a type prefix, key ids cut to four bytes (`…` when cut).
    #[test]
    fn display_is_the_timeline_form() {
        let shown = |id: Identity| id.to_string();
        assert_eq!(shown(Identity::KeyId(vec![1, 2, 3, 4])), "keyid:01020304");
        assert_eq!(
            shown(Identity::KeyId(vec![1, 2, 3, 4, 0xab])),
            "keyid:01020304…"
        );
        assert_eq!(shown(Identity::KeyId(vec![0xab])), "keyid:ab");
        assert_eq!(
            shown(Identity::parse("peer.example.org")),
            "fqdn:peer.example.org"
        );
        assert_eq!(shown(Identity::parse("a@b.org")), "email:a@b.org");
        assert_eq!(shown(Identity::parse("C=CH, CN=a")), "dn:C=CH, CN=a");
        assert_eq!(shown(Identity::parse("10.0.0.1")), "10.0.0.1");
        assert_eq!(shown(Identity::parse("::1")), "::1");
        assert_eq!(shown(Identity::Any), "%any");
        assert_eq!(hex(&[0, 0x0f, 0xff]), "000fff");
    }

    /// `identification_create_from_string`'s type prefixes, case-insensitive, the value
    /// kept as written (each prefix selects its own type; none falls through to another).
    #[test]
    fn parse_type_prefixes() {
        let fqdn = || Identity::Fqdn("Peer.Example.org".into());
        assert_eq!(Identity::parse("fqdn:Peer.Example.org"), fqdn());
        assert_eq!(Identity::parse("DNS:Peer.Example.org"), fqdn());
        let mail = || Identity::Rfc822("a@b.org".into());
        assert_eq!(Identity::parse("email:a@b.org"), mail());
        assert_eq!(Identity::parse("rfc822:a@b.org"), mail());
        assert_eq!(
            Identity::parse("asn1dn:C=CH, CN=x"),
            Identity::Dn("C=CH, CN=x".into())
        );
        assert_eq!(Identity::parse("keyid:ab"), Identity::KeyId(b"ab".to_vec()));
        assert_eq!(Identity::parse(""), Identity::Any);
    }

    #[test]
    fn equals_follows_case_rules() {
        assert!(Identity::Any.equals(&Identity::Any));
        assert!(!Identity::Any.equals(&Identity::Fqdn(String::new())));
        for (a, b) in [("10.0.0.1", "10.0.0.2"), ("fec0::1", "fec0::2")] {
            let (a, b) = (Identity::parse(a), Identity::parse(b));
            assert!(a.equals(&a.clone()), "{a:?}");
            assert!(!a.equals(&b), "{a:?} {b:?}");
        }
        let a = Identity::parse("Peer.Example.ORG");
        assert!(a.equals(&Identity::parse("peer.example.org")));
        assert!(!Identity::KeyId(b"AB".to_vec()).equals(&Identity::KeyId(b"ab".to_vec())));
        assert!(!Identity::Fqdn("x".into()).equals(&Identity::Rfc822("x".into())));
        assert!(Identity::parse("C=CH, CN=x").equals(&Identity::parse("C=CH,CN=x")));
        assert!(!Identity::parse("C=CH, CN=x").equals(&Identity::parse("C=CH, CN=X")));
    }

    #[test]
    fn match_qualities() {
        let me = Identity::parse("peer.example.org");
        assert_eq!(me.matches(&Identity::Any), MatchQuality::Any);
        assert_eq!(
            me.matches(&Identity::parse("PEER.example.org")),
            MatchQuality::Perfect
        );
        assert_eq!(
            me.matches(&Identity::parse("*.example.org")),
            MatchQuality::ONE_WILDCARD
        );
        assert_eq!(
            me.matches(&Identity::parse("*.EXAMPLE.org")),
            MatchQuality::ONE_WILDCARD
        );
        assert_eq!(
            me.matches(&Identity::parse("*.other.org")),
            MatchQuality::None
        );
        assert_eq!(me.matches(&Identity::Fqdn("*".into())), MatchQuality::Any);
        // A pattern as long as the identity still matches by its wildcard (C: only a
        // shorter identity than the pattern's tail is rejected outright).
        assert_eq!(
            Identity::parse("ab.org").matches(&Identity::parse("*b.org")),
            MatchQuality::ONE_WILDCARD
        );
        assert_eq!(
            me.matches(&Identity::parse("other.org")),
            MatchQuality::None
        );
        assert_eq!(MatchQuality::ONE_WILDCARD.value(), 19);
        assert_eq!(MatchQuality::Perfect.value(), 20);
        let dn = Identity::parse("C=CH, O=sw, CN=peer");
        assert_eq!(dn.matches(&Identity::parse("C=CH, O=sw, CN=*")).value(), 19);
        assert_eq!(dn.matches(&Identity::parse("C=CH, O=*, CN=*")).value(), 18);
        assert_eq!(
            Identity::KeyId(vec![1]).matches(&Identity::KeyId(vec![1])),
            MatchQuality::Perfect
        );
        assert_eq!(
            Identity::Any.matches(&Identity::KeyId(vec![1])),
            MatchQuality::None
        );
    }
}
