//! Subjects in one comparable spelling, whichever side they come from: charon's memory
//! (`id_type_t` and encoding, [`from_memory`]), the model's [`Identity`]
//! ([`from_model`]), or a `subject:` line of `swanctl --list-certs` ([`from_listing`]).
//!
//! The spelling is `type:value`: `fqdn:`, `email:` and `dn:` keep the characters as
//! stored (case included), `ipv4:`/`ipv6:` print the address, `keyid:` the hex, and
//! a DN is its RDNs as `ATTR=value` joined by `, `. Two subjects with the same spelling
//! have the same type and encoding, for the forms the generator draws.

use crate::scan::RawSubject;
use swan_credstore::identity::{hex, rdns, Identity};

/// The spelling of a subject read from charon's memory.
pub fn from_memory(s: &RawSubject) -> String {
    let e = &s.encoding;
    match s.id_type {
        0 => "any".to_string(),
        1 if e.len() == 4 => format!("ipv4:{}", std::net::Ipv4Addr::new(e[0], e[1], e[2], e[3])),
        5 if e.len() == 16 => {
            let a: [u8; 16] = e[..].try_into().expect("16 bytes");
            format!("ipv6:{}", std::net::Ipv6Addr::from(a))
        }
        2 => format!("fqdn:{}", String::from_utf8_lossy(e)),
        3 => format!("email:{}", String::from_utf8_lossy(e)),
        9 => match swan_credstore::x509::dn_string(e) {
            Some(dn) => format!("dn:{dn}"),
            None => format!("dn-unparsed:{}", hex(e)),
        },
        11 => format!("keyid:{}", hex(e)),
        t => format!("type{t}:{}", hex(e)),
    }
}

/// The spelling of one of the model's identities.
pub fn from_model(id: &Identity) -> String {
    match id {
        Identity::Any => "any".to_string(),
        Identity::KeyId(b) => format!("keyid:{}", hex(b)),
        Identity::Fqdn(s) => format!("fqdn:{s}"),
        Identity::Rfc822(s) => format!("email:{s}"),
        Identity::Dn(_) => format!("dn:{}", percent_y(id)),
        Identity::Ipv4(a) => format!("ipv4:{}", std::net::Ipv4Addr::from(*a)),
        Identity::Ipv6(a) => format!("ipv6:{}", std::net::Ipv6Addr::from(*a)),
    }
}

/// The spelling of a `subject: "…"` value of `swanctl --list-certs`: swanctl itself
/// reads it back with `identification_create_from_string`, as the model's
/// [`Identity::parse`] does.
pub fn from_listing(text: &str) -> String {
    from_model(&Identity::parse(text))
}

/// The `subject:` line `swanctl --list-certs` shows for a stored raw key whose subject
/// is `id`, without the quotes; `None` when it shows none. A round trip: charon sends
/// the subject printed with `%Y` ([`printed`]; vici_query.c `list_certs`, not for a
/// key id), swanctl parses it back (`list_certs.c` `print_cert`:
/// `identification_create_from_string`) into a new cert and prints that one's
/// subject with `%Y` unless it is a key id (`certificate_printer.c` `print`). So an
/// empty FQDN (what `id = @#…` leaves, `#` starting a comment) shows as `%any`.
pub fn listed(id: &Identity) -> Option<String> {
    printed(&Identity::parse(&printed(id)?))
}

/// How charon prints an identity with `%Y` (`identification_printf_hook`, 5.9.8 and
/// 6.0.1): `%any`, names and addresses as they are, a DN as `ATTR=value` RDNs joined
/// by `, ` (`dntoa`), a key id as text when printable and not 20 bytes long, else as
/// colon-separated hex (`%#B`).
pub fn percent_y(id: &Identity) -> String {
    match id {
        Identity::KeyId(b) => {
            if b.len() != 20 && b.iter().all(|c| (0x20..0x7f).contains(c)) {
                String::from_utf8_lossy(b).into_owned()
            } else {
                let parts: Vec<String> = b.iter().map(|x| format!("{x:02x}")).collect();
                parts.join(":")
            }
        }
        Identity::Any => "%any".to_string(),
        Identity::Fqdn(s) | Identity::Rfc822(s) => s.clone(),
        Identity::Dn(s) => {
            let parts: Vec<String> = rdns(s).iter().map(|(k, v)| format!("{k}={v}")).collect();
            parts.join(", ")
        }
        Identity::Ipv4(a) => std::net::Ipv4Addr::from(*a).to_string(),
        Identity::Ipv6(a) => std::net::Ipv6Addr::from(*a).to_string(),
    }
}

/// What vici `list-certs` sends as a raw key's `subject` (vici_query.c
/// `list_certs`): its [`percent_y`], except for a key id (`None`).
pub fn printed(id: &Identity) -> Option<String> {
    (!matches!(id, Identity::KeyId(_))).then(|| percent_y(id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_der_dn_reads_as_the_model_spells_it() {
        // SEQUENCE { SET { SEQ { 2.5.4.6, PrintableString "CH" } }, SET { SEQ { 2.5.4.3, UTF8 "peer" } } }
        let der = [
            0x30, 0x1c, 0x31, 0x0b, 0x30, 0x09, 0x06, 0x03, 0x55, 0x04, 0x06, 0x13, 0x02, b'C',
            b'H', 0x31, 0x0d, 0x30, 0x0b, 0x06, 0x03, 0x55, 0x04, 0x03, 0x0c, 0x04, b'p', b'e',
            b'e', b'r',
        ];
        let raw = RawSubject {
            id_type: 9,
            encoding: der[..der.len() - 2].to_vec(),
        };
        // Truncated: not a DN, and said so.
        assert!(from_memory(&raw).starts_with("dn-unparsed:"));
        let raw = RawSubject {
            id_type: 9,
            encoding: der.to_vec(),
        };
        assert_eq!(
            from_memory(&raw),
            from_model(&Identity::parse("c=CH,  cn=peer"))
        );
        assert_eq!(from_memory(&raw), "dn:C=CH, CN=peer");
        assert_ne!(
            from_memory(&raw),
            from_model(&Identity::parse("C=CH, CN=Peer"))
        );
    }

    #[test]
    fn addresses_and_names_keep_type_and_bytes() {
        let v6 = RawSubject {
            id_type: 5,
            encoding: std::net::Ipv6Addr::from([0x2001, 0xdb8, 0, 0, 0, 0, 0, 1])
                .octets()
                .to_vec(),
        };
        assert_eq!(from_memory(&v6), from_listing("2001:db8::1"));
        let fqdn = RawSubject {
            id_type: 2,
            encoding: b"PEER.example.org".to_vec(),
        };
        assert_eq!(
            from_memory(&fqdn),
            from_model(&Identity::parse("@PEER.example.org"))
        );
        assert_ne!(from_memory(&fqdn), from_listing("peer.example.org"));
    }
}
