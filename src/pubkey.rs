//! Public keys: the model of strongSwan's `public_key_t`
//! (`src/libstrongswan/credentials/keys/public_key.h`, fingerprints in
//! `public_key.c`).
//!
//! A [`PublicKey`] is an immutable, cheaply clonable value holding the DER
//! SubjectPublicKeyInfo and the two SHA-1 fingerprints strongSwan computes:
//! `KEYID_PUBKEY_INFO_SHA1` (over the whole SPKI, what `pki --keyid` calls the
//! subjectPublicKeyInfo hash and what becomes the default subject of a raw-key cert)
//! and `KEYID_PUBKEY_SHA1` (over the bare subjectPublicKey bits). Keys compare equal
//! when their encodings are equal, as `public_key_equals` does through the SPKI
//! fingerprint.

use sha1::{Digest, Sha1};
use spki::der::Decode;
use std::fmt;
use std::sync::Arc;

/// Why bytes could not be taken as a public key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyError(pub String);

impl fmt::Display for KeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for KeyError {}

/// A parsed public key with its fingerprints. Immutable once built.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct PublicKey {
    spki_der: Arc<[u8]>,
    algorithm: &'static str,
    keyid_info: [u8; 20],
    keyid_pub: [u8; 20],
}

/// The OIDs the model names; other algorithms are rejected by [`PublicKey::from_spki_der`].
const ALGORITHMS: [(&str, &str); 3] = [
    ("1.2.840.113549.1.1.1", "RSA"),
    ("1.2.840.10045.2.1", "ECDSA"),
    ("1.3.101.112", "Ed25519"),
];

impl PublicKey {
    /// Parses a DER SubjectPublicKeyInfo of an RSA, ECDSA or Ed25519 key.
    pub fn from_spki_der(der: &[u8]) -> Result<PublicKey, KeyError> {
        let spki = spki::SubjectPublicKeyInfoRef::from_der(der)
            .map_err(|e| KeyError(format!("not a DER SubjectPublicKeyInfo: {e}")))?;
        let oid = spki.algorithm.oid.to_string();
        let algorithm = ALGORITHMS
            .iter()
            .find(|(o, _)| *o == oid)
            .map(|(_, name)| *name)
            .ok_or_else(|| KeyError(format!("unsupported key type (algorithm OID {oid})")))?;
        let bits = spki
            .subject_public_key
            .as_bytes()
            .ok_or_else(|| KeyError("public key bit string has unused bits".into()))?;
        Ok(PublicKey {
            spki_der: der.into(),
            algorithm,
            keyid_info: Sha1::digest(der).into(),
            keyid_pub: Sha1::digest(bits).into(),
        })
    }

    /// A well-formed Ed25519 key whose 32 key bytes are derived from `label`. For
    /// scenarios and tests that need distinct keys without key files.
    pub fn synthetic(label: &str) -> PublicKey {
        let mut der = vec![
            0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
        ];
        let seed: [u8; 20] = Sha1::digest(label.as_bytes()).into();
        der.extend_from_slice(&seed);
        der.extend_from_slice(&seed[..12]);
        PublicKey::from_spki_der(&der).expect("synthetic key is well-formed")
    }

    /// The DER SubjectPublicKeyInfo.
    pub fn spki_der(&self) -> &[u8] {
        &self.spki_der
    }

    /// `"RSA"`, `"ECDSA"` or `"Ed25519"`.
    pub fn algorithm(&self) -> &'static str {
        self.algorithm
    }

    /// `KEYID_PUBKEY_INFO_SHA1`: SHA-1 of the DER SubjectPublicKeyInfo. This is the
    /// key id a raw-key cert uses as its subject when it has no other.
    pub fn key_id(&self) -> [u8; 20] {
        self.keyid_info
    }

    /// `KEYID_PUBKEY_SHA1`: SHA-1 of the bare subjectPublicKey contents.
    pub fn key_id_pubkey(&self) -> [u8; 20] {
        self.keyid_pub
    }

    /// Whether `id` is a key-id identity equal to one of this key's fingerprints
    /// (`public_key_t.has_fingerprint` as used by `pubkey_cert.has_subject`).
    pub fn has_fingerprint(&self, id: &[u8]) -> bool {
        id == self.keyid_info || id == self.keyid_pub
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} key {}",
            self.algorithm,
            crate::identity::hex(&self.keyid_info[..4])
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn synthetic_keys_are_distinct_and_stable() {
        let a = PublicKey::synthetic("peer");
        assert_eq!(a, PublicKey::synthetic("peer"));
        assert_ne!(a.key_id(), PublicKey::synthetic("peer2").key_id());
        assert_eq!(a.algorithm(), "Ed25519");
        assert!(a.has_fingerprint(&a.key_id()));
        assert!(a.has_fingerprint(&a.key_id_pubkey()));
        assert!(!a.has_fingerprint(&[0; 20]));
    }

    #[test]
    fn rejects_garbage_and_unknown_algorithms() {
        assert!(PublicKey::from_spki_der(b"nonsense").is_err());
        // X25519 (1.3.101.110) is a well-formed SPKI of an unsupported type.
        let mut der = vec![
            0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6e, 0x03, 0x21, 0x00,
        ];
        der.extend_from_slice(&[7; 32]);
        let e = PublicKey::from_spki_der(&der).unwrap_err();
        assert!(e.0.contains("unsupported key type"), "{e}");
        // What a user sees is the reason itself.
        assert_eq!(e.to_string(), e.0);
        let garbage = PublicKey::from_spki_der(b"nonsense").unwrap_err();
        assert!(
            garbage
                .to_string()
                .starts_with("not a DER SubjectPublicKeyInfo"),
            "{garbage}"
        );
    }
}
