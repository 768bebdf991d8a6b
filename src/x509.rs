//! X.509 certificates named by `certs` in an auth section, as far as the checked
//! properties need them: the DER (what `equals` compares) and the subject DN (the id a
//! section without `id` defaults to when the certificate is its first subject cert,
//! and what `--list-conns` shows). X.509 certificates are never raw-key objects and
//! are not counted; the store holds them too, and nothing of theirs is modelled there.

use crate::identity::Identity;
use std::path::Path;

/// A parsed X.509 certificate (`x509_cert_t` of the x509 plugin, for what is used).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct X509Cert {
    /// The certificate's DER encoding.
    pub der: Vec<u8>,
    /// Its subject, as an `ID_DER_ASN1_DN` identity.
    pub subject: Identity,
}

impl X509Cert {
    /// `certificate_t.equals` of two X.509 certificates: the same encoding
    /// (`x509_cert.c`, `equals`: `chunk_equals` of the encodings).
    pub fn equals(&self, other: &X509Cert) -> bool {
        self.der == other.der
    }
}

/// Reads a certificate file: PEM (`CERTIFICATE`) or DER, as the pem and x509 plugins
/// do for `BUILD_BLOB_PEM`.
pub fn load(path: &Path) -> Result<X509Cert, String> {
    let bytes = std::fs::read(path).map_err(|e| e.to_string())?;
    // The first PEM block, as the pem plugin takes it (the same reading as key files).
    let der = match crate::keyfile::pem_block(&bytes) {
        Some(block) => {
            let (label, der) =
                pem_rfc7468::decode_vec(block).map_err(|e| format!("bad PEM armour: {e}"))?;
            if !matches!(
                label,
                "CERTIFICATE" | "X509 CERTIFICATE" | "TRUSTED CERTIFICATE"
            ) {
                return Err(format!("PEM label \"{label}\" is not \"CERTIFICATE\""));
            }
            der
        }
        None => bytes,
    };
    let subject = subject_dn(&der).ok_or("not an X.509 certificate")?;
    Ok(X509Cert {
        der,
        subject: Identity::Dn(subject),
    })
}

/// One DER element at the start of `d`: (tag, contents, rest).
pub fn element(d: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, d) = d.split_first()?;
    let (&first, mut d) = d.split_first()?;
    let len = if first < 0x80 {
        first as usize
    } else {
        let n = (first & 0x7f) as usize;
        if n == 0 || n > 3 || d.len() < n {
            return None;
        }
        let len = d[..n].iter().fold(0usize, |a, &b| a << 8 | b as usize);
        d = &d[n..];
        len
    };
    (d.len() >= len).then(|| (tag, &d[..len], &d[len..]))
}

/// The short names strongSwan's `oid_names` gives the DN attributes (2.5.4.x) the
/// project's certificates and ids use, and their neighbours.
const ATTRIBUTES: [(u8, &str); 8] = [
    (3, "CN"),
    (4, "SN"),
    (5, "serialNumber"),
    (6, "C"),
    (7, "L"),
    (8, "ST"),
    (10, "O"),
    (11, "OU"),
];

/// A DER `Name` (SEQUENCE OF SET OF {OID, string}) as `ATTR=value` RDNs joined by
/// `, ` (`dntoa`): an attribute without a short name here is its OID as colon hex
/// (`%#B`), a byte that is not printable ASCII is `?` (`chunk_printable`). One
/// attribute per RDN (a multi-valued RDN is not read).
pub fn dn_string(name: &[u8]) -> Option<String> {
    let (0x30, mut sets, []) = element(name)? else {
        return None;
    };
    let mut out = Vec::new();
    while !sets.is_empty() {
        let (0x31, set, rest) = element(sets)? else {
            return None;
        };
        sets = rest;
        let (0x30, atv, []) = element(set)? else {
            return None;
        };
        let (0x06, oid, value) = element(atv)? else {
            return None;
        };
        let (_, value, []) = element(value)? else {
            return None;
        };
        let attr = match oid {
            [0x55, 0x04, n] => ATTRIBUTES.iter().find(|(k, _)| k == n).map(|(_, a)| *a),
            _ => None,
        };
        let attr = attr.map(str::to_string).unwrap_or_else(|| {
            let parts: Vec<String> = oid.iter().map(|b| format!("{b:02x}")).collect();
            parts.join(":")
        });
        let value: String = value
            .iter()
            .map(|&b| {
                if (0x20..0x7f).contains(&b) {
                    b as char
                } else {
                    '?'
                }
            })
            .collect();
        out.push(format!("{attr}={value}"));
    }
    Some(out.join(", "))
}

/// The subject of a DER certificate: `Certificate ::= SEQUENCE { tbsCertificate
/// SEQUENCE { [0] version OPTIONAL, serial, signature, issuer, validity, subject, … } }`.
fn subject_dn(der: &[u8]) -> Option<String> {
    let (0x30, cert, _) = element(der)? else {
        return None;
    };
    let (0x30, tbs, _) = element(cert)? else {
        return None;
    };
    let mut rest = tbs;
    let (tag, _, r) = element(rest)?;
    if tag == 0xa0 {
        rest = r; // version
    }
    for _ in 0..4 {
        // serial, signature, issuer, validity
        let (_, _, r) = element(rest)?;
        rest = r;
    }
    let start = rest;
    let (0x30, _, after) = element(rest)? else {
        return None;
    };
    dn_string(&start[..start.len() - after.len()])
}
