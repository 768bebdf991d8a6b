//! Reading real swanctl configuration and key files: fixtures committed under
//! `tests/data/` (keys made with openssl; their key ids are `openssl pkey -pubin
//! -outform DER | sha1sum`, and `tests/real_charon.rs` checks them against
//! strongSwan's own `pki --keyid`), and every kind of bad input.
#![cfg(not(any(loom, shuttle)))]

use std::path::{Path, PathBuf};
use swan_credstore::keyfile::{load_key, parse_key, KeyFileError};
use swan_credstore::swanctl::Config;
use swan_credstore::Identity;

fn data(p: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(p)
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn expected_keyid(name: &str) -> String {
    std::fs::read_to_string(data(&format!("keys/{name}.keyid")))
        .unwrap()
        .trim()
        .to_string()
}

#[test]
fn key_ids_of_pem_and_der_keys_match_sha1_of_the_spki() {
    for (name, alg) in [
        ("rsa", "RSA"),
        ("rsa2", "RSA"),
        ("ecdsa", "ECDSA"),
        ("ed25519", "Ed25519"),
    ] {
        let want = expected_keyid(name);
        for form in ["pem", "der"] {
            let (der, key) = load_key(&data(&format!("keys/{name}.pub.{form}"))).unwrap();
            assert_eq!(key.algorithm(), alg, "{name}.{form}");
            assert_eq!(hex(&key.key_id()), want, "{name}.{form}");
            assert_eq!(der, key.spki_der());
        }
    }
}

#[test]
fn pem_with_surrounding_text_is_accepted() {
    let pem = std::fs::read_to_string(data("keys/ecdsa.pub.pem")).unwrap();
    let text = format!("a note before\n{pem}and after\n");
    let (_, key) = parse_key(text.as_bytes()).unwrap();
    assert_eq!(hex(&key.key_id()), expected_keyid("ecdsa"));
}

#[test]
fn non_public_keys_are_named() {
    let e = load_key(&data("keys/rsa.priv.pem")).unwrap_err();
    assert!(matches!(e, KeyFileError::NotPublicKey(_)), "{e}");
    let e = load_key(&data("keys/ecdsa.priv.pem")).unwrap_err();
    assert!(matches!(e, KeyFileError::NotPublicKey(_)), "{e}");
    let e = load_key(&data("keys/rsa.priv.der")).unwrap_err();
    assert!(
        matches!(e, KeyFileError::NotPublicKey(ref m) if m.contains("private key")),
        "{e}"
    );
    let e = load_key(&data("keys/rsa.crt")).unwrap_err();
    assert_eq!(e, KeyFileError::Certificate);
    let e = load_key(&data("keys/x25519.pub.pem")).unwrap_err();
    assert!(
        matches!(e, KeyFileError::UnsupportedKeyType(ref m) if m.contains("1.3.101.110")),
        "{e}"
    );
    let e = load_key(&data("keys/x25519.pub.der")).unwrap_err();
    assert!(matches!(e, KeyFileError::UnsupportedKeyType(_)), "{e}");
    let e = load_key(&data("keys/rsa.pkcs1.pem")).unwrap_err();
    assert!(matches!(e, KeyFileError::UnsupportedKeyType(_)), "{e}");
    let e = load_key(&data("keys/missing.pem")).unwrap_err();
    assert!(matches!(e, KeyFileError::Io(_)), "{e}");
}

#[test]
fn reads_the_reference_configurations() {
    let a = Config::load(&data("reference/A_rpk_id.conf")).unwrap();
    assert_eq!(a.connections.len(), 1);
    let c = &a.connections[0];
    assert_eq!(c.name, "rpk");
    assert_eq!(c.local.len(), 1);
    assert_eq!(c.local[0].auth.as_deref(), Some("psk"));
    assert_eq!(c.local[0].pubkeys.len(), 0);
    let r = &c.remote[0];
    assert_eq!(r.id.as_deref(), Some("peer.example.org"));
    assert_eq!(r.auth.as_deref(), Some("pubkey"));
    assert_eq!(r.pubkeys.len(), 1);
    assert_eq!(r.pubkeys[0].path, data("reference/pubkey/peer.pub"));
    assert_eq!(hex(&r.pubkeys[0].key.key_id()), expected_keyid("rsa"));
    assert_eq!((c.key_count(), c.leaking_keys()), (1, 1));

    let b = Config::load(&data("reference/B_rpk_two_keys.conf")).unwrap();
    assert_eq!(
        (
            b.connections[0].key_count(),
            b.connections[0].leaking_keys()
        ),
        (2, 2)
    );
    let cc = Config::load(&data("reference/C_rpk_no_id.conf")).unwrap();
    assert_eq!(
        (
            cc.connections[0].key_count(),
            cc.connections[0].leaking_keys()
        ),
        (1, 0)
    );
    let d = Config::load(&data("reference/D_rpk_local_remote.conf")).unwrap();
    assert_eq!(
        d.connections[0].local[0].pubkeys[0].key.algorithm(),
        "ECDSA"
    );
    assert_eq!(
        (
            d.connections[0].key_count(),
            d.connections[0].leaking_keys()
        ),
        (2, 2)
    );
    let e = Config::load(&data("reference/E_x509_control.conf")).unwrap();
    assert_eq!(e.connections[0].key_count(), 0);
    assert_eq!(
        e.connections[0].remote[0].certs,
        vec![data("reference/x509/peerx.crt")]
    );
}

#[test]
fn reads_several_connections_rounds_quotes_and_other_sections() {
    let m = Config::load(&data("reference/mixed.conf")).unwrap();
    let names: Vec<_> = m.connections.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["a", "b"]);
    assert_eq!(
        m.connections[0].remote[0].id.as_deref(),
        Some("peer.example.org")
    );
    let b = &m.connections[1];
    assert_eq!(b.local[0].name, "local-1");
    assert_eq!(b.local[0].identity(), Some(Identity::Any));
    assert_eq!(b.local[0].pubkeys[0].key.algorithm(), "Ed25519");
    assert_eq!(
        b.remote[0].identity(),
        Some(Identity::KeyId(vec![1, 2, 3, 4, 5]))
    );
    assert_eq!(b.remote[0].pubkeys.len(), 2);
    // %any is no id: only remote-2's two keys leak.
    assert_eq!((b.key_count(), b.leaking_keys()), (3, 2));
    assert_eq!(m.keys().len(), 4);
}

/// Writes `conf` as `swanctl.conf` into a fresh folder with a `pubkey/` folder
/// holding the listed fixture keys, and loads it.
fn load_text(
    tag: &str,
    conf: &str,
    keys: &[(&str, &str)],
) -> Result<Config, swan_credstore::swanctl::ConfigError> {
    let dir = std::env::temp_dir().join(format!("swanctl-config-{}-{tag}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("pubkey")).unwrap();
    for (name, fixture) in keys {
        std::fs::copy(data(fixture), dir.join("pubkey").join(name)).unwrap();
    }
    let path = dir.join("swanctl.conf");
    std::fs::write(&path, conf).unwrap();
    let r = Config::load(&path);
    let _ = std::fs::remove_dir_all(&dir);
    r
}

fn err_of(tag: &str, conf: &str, keys: &[(&str, &str)]) -> (usize, String) {
    let e = load_text(tag, conf, keys).unwrap_err();
    let shown = e.to_string();
    assert!(
        shown.contains("swanctl.conf:"),
        "error must name the file: {shown}"
    );
    assert!(shown.contains(&format!(":{}:", e.line)), "{shown}");
    (e.line, shown)
}

#[test]
fn malformed_sections_name_file_and_line() {
    let (line, msg) = err_of(
        "unclosed",
        "connections {\n  c {\n    remote {\n  }\n}\n",
        &[],
    );
    assert_eq!(line, 1, "{msg}");
    assert!(msg.contains("never closed"), "{msg}");
    let (line, msg) = err_of("extra-brace", "connections {\n}\n}\n", &[]);
    assert_eq!(line, 3, "{msg}");
    let (line, msg) = err_of(
        "bare-word",
        "connections {\n c {\n  remote {\n   pubkey\n  }\n }\n}\n",
        &[],
    );
    assert_eq!(line, 4, "{msg}");
    let (line, msg) = err_of("include", "connections {\n}\ninclude conf.d/*.conf\n", &[]);
    assert_eq!(line, 3, "{msg}");
    assert!(msg.contains("include"), "{msg}");
    let (line, msg) = err_of("setting-in-connections", "connections {\n  x = 1\n}\n", &[]);
    assert_eq!(line, 2, "{msg}");
    let (line, msg) = err_of(
        "section-in-remote",
        "connections {\n c {\n  remote {\n   foo {\n   }\n  }\n }\n}\n",
        &[],
    );
    assert_eq!(line, 4, "{msg}");
}

const REMOTE: &str = "connections {\n  c {\n    remote {\n      id = peer\n      pubkeys = ";

#[test]
fn unknown_pubkey_file_names_file_and_line() {
    let (line, msg) = err_of(
        "unknown",
        &format!("{REMOTE}nope.pub\n    }}\n  }}\n}}\n"),
        &[],
    );
    assert_eq!(line, 5);
    assert!(msg.contains("unknown pubkey file `nope.pub`"), "{msg}");
}

#[test]
fn private_key_certificate_and_unsupported_type_name_file_and_line() {
    let conf = format!("{REMOTE}k.pub\n    }}\n  }}\n}}\n");
    for (fixture, what) in [
        ("keys/rsa.priv.pem", "not a public key"),
        ("keys/rsa.priv.der", "not a public key"),
        ("keys/rsa.crt", "X.509 certificate"),
        ("keys/x25519.pub.pem", "unsupported key type"),
        ("keys/rsa.pkcs1.pem", "unsupported key type"),
    ] {
        let (line, msg) = err_of(
            fixture.replace('/', "-").as_str(),
            &conf,
            &[("k.pub", fixture)],
        );
        assert_eq!(line, 5, "{msg}");
        assert!(msg.contains(what), "{fixture}: {msg}");
        assert!(msg.contains("k.pub"), "must name the key file: {msg}");
    }
}

#[test]
fn absolute_key_paths_are_used_as_is() {
    let abs = data("keys/ed25519.pub.der");
    let conf = format!("{REMOTE}{}\n    }}\n  }}\n}}\n", abs.display());
    let c = load_text("absolute", &conf, &[]).unwrap();
    assert_eq!(c.connections[0].remote[0].pubkeys[0].path, abs);
}

/// `Config::load_as_swanctl` keeps going where swanctl does: a `pubkeys` file that is
/// not a public key marks its section unparseable (the keys before it kept), a file
/// that cannot be read marks its connection unreadable, and the other connections load
/// as written; `Config::load`, the strict reader, refuses the same file.
#[test]
fn as_swanctl_marks_unusable_key_files_and_keeps_the_rest() {
    let dir =
        std::env::temp_dir().join(format!("swanctl-config-{}-as-swanctl", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("pubkey")).unwrap();
    for (name, fixture) in [
        ("ok.pub", "keys/ed25519.pub.pem"),
        ("k.pub", "keys/rsa.priv.pem"),
    ] {
        std::fs::copy(data(fixture), dir.join("pubkey").join(name)).unwrap();
    }
    let conf = "connections {\n  good {\n    remote {\n      id = peer\n      pubkeys = ok.pub\n    }\n  }\n  \
                bad {\n    remote {\n      id = peer\n      pubkeys = ok.pub, k.pub\n    }\n  }\n  \
                gone {\n    remote {\n      id = peer\n      pubkeys = nope.pub\n    }\n  }\n}\n";
    let path = dir.join("swanctl.conf");
    std::fs::write(&path, conf).unwrap();
    let strict = Config::load(&path);
    let loose = Config::load_as_swanctl(&path);
    let _ = std::fs::remove_dir_all(&dir);
    assert!(strict.is_err(), "the strict reader refuses it");
    let (config, error) = loose.expect("swanctl reads it");
    assert!(error.is_none(), "{error:?}");
    let good = config.connection("good").expect("good");
    assert_eq!(good.name, "good");
    assert_eq!(good.remote[0].pubkeys.len(), 1);
    assert!(good.remote[0].unparseable.is_none() && good.unreadable.is_none());
    let bad = config.connection("bad").expect("bad");
    assert_eq!(bad.remote[0].unparseable.as_deref(), Some("k.pub"));
    assert_eq!(bad.remote[0].pubkeys.len(), 1, "the key before it is kept");
    let gone = config.connection("gone").expect("gone");
    assert_eq!(gone.unreadable.as_deref(), Some("nope.pub"));
    assert!(config.connection("none").is_none());
}
