//! Key files as swanctl's `pubkeys` names them: PEM (`-----BEGIN PUBLIC KEY-----`) or
//! DER SubjectPublicKeyInfo of an RSA, ECDSA or Ed25519 key.
//!
//! Decoding uses RustCrypto's `pem-rfc7468` (PEM armour) and `spki`/`der` (the ASN.1
//! structure and the algorithm OID); [`PublicKey::from_spki_der`] then computes the
//! fingerprints. Everything that is not a public key gets a [`KeyFileError`] that says
//! what the file holds instead (a private key, a certificate, an unsupported
//! algorithm, garbage), so a configuration error can name it.

use crate::pubkey::PublicKey;
use spki::der::asn1::AnyRef;
use spki::der::{Decode, Reader, SliceReader, Tag, Tagged};
use std::fmt;
use std::path::Path;

/// Why a key file could not be used as a raw public key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeyFileError {
    /// The file could not be read.
    Io(String),
    /// It holds a private key (PKCS#8, PKCS#1 or SEC1), not a public one.
    NotPublicKey(String),
    /// It holds an X.509 certificate (those belong in `certs`, not `pubkeys`).
    Certificate,
    /// A SubjectPublicKeyInfo of an algorithm the model does not handle.
    UnsupportedKeyType(String),
    /// Neither a PEM block nor a DER structure the loader recognises.
    Malformed(String),
}

impl fmt::Display for KeyFileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyFileError::Io(e) => write!(f, "cannot read key file: {e}"),
            KeyFileError::NotPublicKey(what) => write!(f, "not a public key: {what}"),
            KeyFileError::Certificate => f.write_str(
                "not a public key: an X.509 certificate (list certificates under `certs`)",
            ),
            KeyFileError::UnsupportedKeyType(what) => write!(f, "unsupported key type: {what}"),
            KeyFileError::Malformed(what) => write!(f, "malformed key file: {what}"),
        }
    }
}

impl std::error::Error for KeyFileError {}

/// Reads and parses a key file. See [`parse_key`].
pub fn load_key(path: &Path) -> Result<(Vec<u8>, PublicKey), KeyFileError> {
    let bytes = std::fs::read(path).map_err(|e| KeyFileError::Io(e.to_string()))?;
    parse_key(&bytes)
}

/// Parses the contents of a key file: the first PEM block if the data contains one,
/// otherwise DER. Returns the DER SubjectPublicKeyInfo and the parsed key.
pub fn parse_key(bytes: &[u8]) -> Result<(Vec<u8>, PublicKey), KeyFileError> {
    let der = match pem_block(bytes) {
        Some(block) => {
            let (label, der) = pem_rfc7468::decode_vec(block)
                .map_err(|e| KeyFileError::Malformed(format!("bad PEM armour: {e}")))?;
            match label {
                "PUBLIC KEY" => der,
                "CERTIFICATE" | "X509 CERTIFICATE" | "TRUSTED CERTIFICATE" => {
                    return Err(KeyFileError::Certificate)
                }
                l if l.contains("PRIVATE KEY") => {
                    return Err(KeyFileError::NotPublicKey(format!("PEM label \"{l}\"")))
                }
                "RSA PUBLIC KEY" => {
                    return Err(KeyFileError::UnsupportedKeyType(
                        "PKCS#1 \"RSA PUBLIC KEY\"; pubkeys needs a SubjectPublicKeyInfo \
                         (\"PUBLIC KEY\"), e.g. from `pki --pub` or `openssl pkey -pubout`"
                            .into(),
                    ))
                }
                l => {
                    return Err(KeyFileError::Malformed(format!(
                        "PEM label \"{l}\" is not \"PUBLIC KEY\""
                    )))
                }
            }
        }
        None => bytes.to_vec(),
    };
    match PublicKey::from_spki_der(&der) {
        Ok(key) => Ok((der, key)),
        Err(e) if e.0.contains("unsupported key type") => Err(KeyFileError::UnsupportedKeyType(
            e.0.replacen("unsupported key type ", "", 1),
        )),
        Err(e) => Err(classify_der(&der).unwrap_or(KeyFileError::Malformed(e.0))),
    }
}

/// The first `-----BEGIN ...-----` … `-----END ...-----` block of `bytes`, if any
/// (text before and after it is ignored, as strongSwan's PEM plugin does).
/// The first PEM block of `bytes` (armour lines included), if any.
pub(crate) fn pem_block(bytes: &[u8]) -> Option<&[u8]> {
    let text = std::str::from_utf8(bytes).ok()?;
    let start = text.find("-----BEGIN ")?;
    let rest = &text[start..];
    let label_end = rest["-----BEGIN ".len()..].find("-----")? + "-----BEGIN ".len();
    let label = &rest["-----BEGIN ".len()..label_end];
    let end_marker = format!("-----END {label}-----");
    let end = rest.find(&end_marker)? + end_marker.len();
    Some(&bytes[start..start + end])
}

/// Names what a DER blob that is not a SubjectPublicKeyInfo holds, by the tags of the
/// top-level SEQUENCE's elements.
fn classify_der(der: &[u8]) -> Option<KeyFileError> {
    let outer = AnyRef::from_der(der).ok()?;
    if outer.tag() != Tag::Sequence {
        return None;
    }
    let mut reader = SliceReader::new(outer.value()).ok()?;
    let mut tags = Vec::new();
    while !reader.is_finished() {
        let any: AnyRef<'_> = reader.decode().ok()?;
        tags.push(any.tag());
    }
    use Tag::*;
    match tags.as_slice() {
        [Integer, Sequence, OctetString, ..] => Some(KeyFileError::NotPublicKey(
            "a PKCS#8 private key (DER)".into(),
        )),
        [Integer, Integer, Integer, ..] => Some(KeyFileError::NotPublicKey(
            "a PKCS#1 RSA private key (DER)".into(),
        )),
        [Integer, OctetString, ..] => Some(KeyFileError::NotPublicKey(
            "a SEC1 EC private key (DER)".into(),
        )),
        [Integer, Integer] => Some(KeyFileError::UnsupportedKeyType(
            "PKCS#1 RSA public key (DER); pubkeys needs a SubjectPublicKeyInfo".into(),
        )),
        [Sequence, Sequence, BitString] => Some(KeyFileError::Certificate),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_pem_block_inside_text() {
        let data = b"comment\n-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\ntrailer";
        let block = pem_block(data).unwrap();
        assert!(block.starts_with(b"-----BEGIN PUBLIC KEY-----"));
        assert!(block.ends_with(b"-----END PUBLIC KEY-----"));
        assert!(pem_block(b"\x30\x03\x02\x01\x00").is_none());
    }

    #[test]
    fn garbage_is_malformed() {
        assert!(matches!(
            parse_key(b"hello"),
            Err(KeyFileError::Malformed(_))
        ));
        assert!(matches!(parse_key(b""), Err(KeyFileError::Malformed(_))));
    }
}
