//! The model's single-threaded semantics, checked against strongSwan's C code (notes/model.md): dedup, the pre-fix
//! leak's closed form, list-certs hiding duplicates, clear-creds, merge_config.
#![cfg(not(any(loom, shuttle)))]

use swan_credstore::heap::{Tracked, UAF};
use swan_credstore::{
    Census, CertStore, ConnSpec, Identity, Immutable, Locked, MatchQuality, Merge, PubkeyCert,
    PublicKey, Vici,
};

fn spec(id: Option<&str>, keys: &[&str]) -> ConnSpec {
    ConnSpec::remote_pubkeys(
        "rpk",
        id.map(Identity::parse),
        keys.iter().map(|k| PublicKey::synthetic(k)).collect(),
    )
}

#[test]
fn cert_subject_defaults_to_key_id_and_has_subject_follows_the_c_code() {
    let key = PublicKey::synthetic("peer");
    let census = Census::new();
    let cert = PubkeyCert::<Locked>::wrap(key.clone(), None, &census);
    assert_eq!(cert.subject(), Identity::KeyId(key.key_id().to_vec()));
    assert_eq!(
        cert.has_subject(&Identity::KeyId(key.key_id().to_vec())),
        MatchQuality::Perfect
    );
    assert_eq!(
        cert.has_subject(&Identity::KeyId(key.key_id_pubkey().to_vec())),
        MatchQuality::Perfect
    );
    assert_eq!(
        cert.has_subject(&Identity::parse("peer.example.org")),
        MatchQuality::None
    );
    assert_eq!(cert.has_subject(&Identity::Any), MatchQuality::Any);
    cert.set_subject(&Identity::parse("peer.example.org"));
    assert_eq!(
        cert.has_subject(&Identity::parse("*.example.org")),
        MatchQuality::ONE_WILDCARD
    );
    // The key id still matches perfectly after the subject changed.
    assert_eq!(
        cert.has_subject(&Identity::KeyId(key.key_id().to_vec())),
        MatchQuality::Perfect
    );
    assert_eq!(census.live(), 1);
    drop(cert);
    assert_eq!(census.live(), 0);
}

/// Counterexamples name each certificate `cert#N` by its serial: the label, the tag and
/// the debug form agree.
#[test]
fn timeline_labels_name_each_cert_by_its_serial() {
    let census = Census::new();
    let cert = PubkeyCert::<Locked>::wrap(PublicKey::synthetic("peer"), None, &census);
    let label = cert.label();
    assert_eq!(label, cert.tag().to_string());
    let serial = label.strip_prefix("cert#").expect("cert#N");
    assert!(serial.parse::<u64>().is_ok(), "{label}");
    let key = PublicKey::synthetic("peer");
    let key_text = format!(
        "Ed25519 key {}",
        swan_credstore::identity::hex(&key.key_id()[..4])
    );
    assert_eq!(format!("{key:?}"), key_text);
    let debug = format!("{cert:?}");
    assert_eq!(debug, format!("{label} ({key_text})"));
}

#[test]
fn equals_needs_same_key_and_equal_subject() {
    let census = Census::new();
    let k = PublicKey::synthetic("peer");
    let a = PubkeyCert::<Locked>::wrap(k.clone(), None, &census);
    let b = PubkeyCert::<Locked>::wrap(k.clone(), None, &census);
    let c = PubkeyCert::<Locked>::wrap(PublicKey::synthetic("other"), None, &census);
    assert!(a.equals(&b) && a.equals(&a) && !a.equals(&c));
    b.set_subject(&Identity::parse("peer.example.org"));
    assert!(!a.equals(&b));
}

#[test]
fn store_dedups_by_equals_and_counts_nodes() {
    let vici = Vici::<Locked>::new();
    let census = vici.census().clone();
    let k = PublicKey::synthetic("peer");
    let first = vici
        .store()
        .add_cert_ref(true, PubkeyCert::wrap(k.clone(), None, &census));
    let second = vici
        .store()
        .add_cert_ref(true, PubkeyCert::wrap(k.clone(), None, &census));
    assert!(
        std::ptr::eq(&*first, &*second),
        "the cached object is returned"
    );
    assert_eq!(vici.store().stored_objects(), 1);
    assert_eq!(vici.store().list_nodes(), 2);
    assert_eq!(census.live(), 1, "the new duplicate object was destroyed");
}

#[test]
fn key_count_counts_every_raw_key_of_every_round() {
    assert_eq!(spec(None, &[]).key_count(), 0);
    assert_eq!(spec(None, &["peer", "peer2", "peer3"]).key_count(), 3);
}

#[test]
fn pre_fix_stores_one_more_object_per_key_per_reload() {
    for (keys, id) in [
        (vec!["peer"], Some("peer.example.org")),
        (vec!["peer", "peer2"], Some("peer.example.org")),
    ] {
        let s = spec(id, &keys);
        let vici = Vici::<Locked>::new();
        assert_eq!(vici.load_conn_pre_fix(&s), Merge::Added);
        for n in 1..=10 {
            assert_eq!(vici.load_conn_pre_fix(&s), Merge::Unchanged);
            assert_eq!(vici.store().stored_objects(), keys.len() * (1 + n));
            assert_eq!(vici.store().list_nodes(), 2 * keys.len() * (1 + n));
        }
        // list-certs merges equal entries: one per key, however many are stored.
        assert_eq!(vici.store().list_certs().len(), keys.len());
        assert!(!vici.store().equal_pairs().is_empty());
    }
}

#[test]
fn no_id_or_upstream_fix_stays_flat() {
    let vici = Vici::<Locked>::new();
    for _ in 0..10 {
        vici.load_conn_pre_fix(&spec(None, &["peer"]));
    }
    assert_eq!(vici.store().stored_objects(), 1);
    // The empty default local round (no local section), then the remote one, whose
    // id defaulted to the key's subject.
    assert_eq!(
        vici.connection_ids("rpk").unwrap(),
        vec![
            None,
            Some(Identity::KeyId(
                PublicKey::synthetic("peer").key_id().to_vec()
            ))
        ]
    );

    let fixed = Vici::<Immutable>::new();
    for _ in 0..10 {
        fixed.load_conn_upstream_fix(&spec(Some("peer.example.org"), &["peer", "peer2"]));
    }
    assert_eq!(fixed.store().stored_objects(), 2);
    assert!(fixed.store().equal_pairs().is_empty());
}

#[test]
fn clear_creds_drops_store_references_but_configs_keep_theirs() {
    let vici = Vici::<Locked>::new();
    let s = spec(Some("peer.example.org"), &["peer"]);
    for _ in 0..6 {
        vici.load_conn_pre_fix(&s);
    }
    assert_eq!(vici.store().stored_objects(), 6);
    vici.clear_creds();
    assert_eq!(vici.store().stored_objects(), 0);
    assert_eq!(
        vici.census().live(),
        1,
        "the loaded config keeps its own cert"
    );
    assert!(
        vici.store()
            .find_trusted(&Identity::parse("peer.example.org"))
            .is_empty(),
        "between clear-creds and the next load the key is not in the store"
    );
    vici.load_conn_pre_fix(&s);
    assert_eq!(vici.store().stored_objects(), 1);
    for _ in 0..5 {
        vici.load_conn_pre_fix(&s);
    }
    assert_eq!(
        vici.store().stored_objects(),
        6,
        "growth resumes after a clear"
    );
}

#[test]
fn merge_config_replaces_a_changed_connection() {
    let vici = Vici::<Immutable>::new();
    assert_eq!(
        vici.load_conn_upstream_fix(&spec(Some("a.example.org"), &["peer"])),
        Merge::Added
    );
    assert_eq!(
        vici.load_conn_upstream_fix(&spec(Some("a.example.org"), &["peer"])),
        Merge::Unchanged
    );
    assert_eq!(
        vici.load_conn_upstream_fix(&spec(Some("b.example.org"), &["peer"])),
        Merge::Replaced
    );
    assert!(vici.unload_conn("rpk"));
    assert!(!vici.unload_conn("rpk"));
}

#[test]
fn ike_lookup_finds_the_trusted_key_by_identity() {
    let vici = Vici::<Immutable>::new();
    vici.load_conn_upstream_fix(&spec(Some("peer.example.org"), &["peer"]));
    let found = vici
        .store()
        .find_trusted(&Identity::parse("peer.example.org"));
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].quality, MatchQuality::Perfect);
    assert!(vici
        .store()
        .find_trusted(&Identity::parse("other.example.org"))
        .is_empty());
}

/// The oracle's own negative control: a read after a free is reported, by name.
#[test]
fn oracle_reports_a_read_after_free() {
    let t = Tracked::identity(Identity::parse("peer.example.org"));
    t.retire();
    let err = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| t.read(|_| ())))
        .expect_err("reading a freed identity must be reported");
    let msg = err.downcast_ref::<String>().unwrap();
    assert!(
        msg.starts_with(UAF) && msg.contains("fqdn:peer.example.org"),
        "{msg}"
    );
}

#[test]
fn failure_messages_are_classified_by_cause_not_by_panicking() {
    use swan_credstore_models::record::Outcome;
    use swan_credstore_models::run::classify;
    assert_eq!(
        classify("Causality violation: Concurrent read and write accesses."),
        Outcome::Race
    );
    assert_eq!(classify("use-after-free: read of id#3"), Outcome::Race);
    assert_eq!(
        classify("duplicates: 2 objects stored"),
        Outcome::Duplicates
    );
    assert_eq!(classify("Arc leaked.\n  Index: 4"), Outcome::Leak);
    assert_eq!(
        classify("index out of bounds: the len is 0"),
        Outcome::Error
    );
    assert_eq!(
        classify("Model exceeded maximum number of branches"),
        Outcome::Error
    );
}

/// The differential's first finding (tests/data/differential/remote_before_local.conf):
/// vici parses auth sections in file order, so in the pre-fix flow a `remote` section
/// without an id, written before a `local` one with an id and the same key, leaves one
/// object (renamed to the id), not two.
#[test]
fn sections_are_parsed_in_file_order() {
    use swan_credstore::swanctl::sim::ModelDaemon;
    use swan_credstore::swanctl::Config;
    use swan_credstore::Flow;
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/differential");
    let cfg = Config::load(&dir.join("remote_before_local.conf")).unwrap();
    let m = ModelDaemon::new();
    m.load_conns(&cfg);
    assert_eq!(m.counts(Flow::PreFix).stored_objects, 1);
    assert_eq!(m.counts(Flow::UpstreamFix).stored_objects, 2);
    // The same two sections the other way round (the one with the id first): the
    // first renames its object before the second looks, so the pre-fix flow stores two.
    let swapped = "connections {\n c0 {\n  local {\n   auth = pubkey\n   pubkeys = rsa.pub.pem\n   id = peer.example.org\n  }\n  remote {\n   auth = pubkey\n   pubkeys = rsa.pub.pem\n  }\n }\n}\n";
    let cfg = Config::parse(swapped, &dir.join("swapped.conf")).unwrap();
    let m = ModelDaemon::new();
    m.load_conns(&cfg);
    assert_eq!(m.counts(Flow::PreFix).stored_objects, 2);
}

/// `auth_cfg_t.equals` both ways: two configs are equal only if every rule is: class,
/// identity, the X.509 certs and the raw-key certs, each compared in both directions
/// (a rule missing on either side makes them differ).
#[test]
fn auth_cfg_equals_needs_every_rule_both_ways() {
    use swan_credstore::vici::{AuthCfg, AuthClass};
    let census = Census::new();
    let root = env!("CARGO_MANIFEST_DIR");
    let x509 =
        swan_credstore::x509::load(&std::path::Path::new(root).join("tests/data/keys/rsa.crt"))
            .expect("the fixture certificate");
    let key = PublicKey::synthetic("peer");
    let cfg = |class, id: Option<&str>, x: bool, certs: usize| AuthCfg::<Locked> {
        class,
        x509: if x { vec![x509.clone()] } else { Vec::new() },
        x509_first: false,
        id: id.map(Identity::parse),
        certs: (0..certs)
            .map(|_| PubkeyCert::wrap(key.clone(), None, &census))
            .collect(),
    };
    let base = || cfg(Some(AuthClass::Pubkey), Some("peer.example.org"), true, 1);
    assert!(base().equals(&base()));
    // Repeats do not matter: the certs compare as sets.
    assert!(base().equals(&cfg(
        Some(AuthClass::Pubkey),
        Some("peer.example.org"),
        true,
        2
    )));
    for (what, other) in [
        (
            "class",
            cfg(Some(AuthClass::Psk), Some("peer.example.org"), true, 1),
        ),
        ("no class", cfg(None, Some("peer.example.org"), true, 1)),
        (
            "id",
            cfg(Some(AuthClass::Pubkey), Some("other.example.org"), true, 1),
        ),
        ("no id", cfg(Some(AuthClass::Pubkey), None, true, 1)),
        (
            "no x509",
            cfg(Some(AuthClass::Pubkey), Some("peer.example.org"), false, 1),
        ),
        (
            "no raw key",
            cfg(Some(AuthClass::Pubkey), Some("peer.example.org"), true, 0),
        ),
    ] {
        assert!(!base().equals(&other), "{what}: base vs other");
        assert!(!other.equals(&base()), "{what}: other vs base");
    }
    let other_key = AuthCfg::<Locked> {
        certs: vec![PubkeyCert::wrap(
            PublicKey::synthetic("other"),
            None,
            &census,
        )],
        ..base()
    };
    assert!(!base().equals(&other_key) && !other_key.equals(&base()));
}

/// The merge step records whether the connection was replaced (what the timelines
/// mark): added and changed connections are, an unchanged reload is not.
#[test]
fn the_merge_step_says_whether_the_connection_was_replaced() {
    use swan_credstore::trace::{self, StepKind};
    let merges = |load: &dyn Fn()| {
        trace::start();
        load();
        trace::finish()
            .into_iter()
            .filter_map(|s| match s.kind {
                StepKind::Merge { replaced } => Some(replaced),
                _ => None,
            })
            .collect::<Vec<bool>>()
    };
    let vici = Vici::<Locked>::new();
    let a = spec(Some("peer.example.org"), &["peer"]);
    let b = spec(Some("other.example.org"), &["peer"]);
    assert_eq!(
        merges(&|| assert_eq!(vici.load_conn_pre_fix(&a), Merge::Added)),
        [true]
    );
    assert_eq!(
        merges(&|| assert_eq!(vici.load_conn_pre_fix(&a), Merge::Unchanged)),
        [false]
    );
    assert_eq!(
        merges(&|| assert_eq!(vici.load_conn_pre_fix(&b), Merge::Replaced)),
        [true]
    );
}

/// `list-conns` (`connection_rounds`): the local round, then the remote one with its
/// identity rule and the subject of its raw-key cert; nothing for an unknown name.
#[test]
fn list_conns_reports_each_round_with_its_subjects() {
    use swan_credstore::vici::Side;
    let vici = Vici::<Locked>::new();
    let id = Identity::parse("peer.example.org");
    vici.load_conn_pre_fix(&spec(Some("peer.example.org"), &["peer"]));
    let rounds = vici.connection_rounds("rpk").expect("loaded");
    assert_eq!(rounds.len(), 2, "{rounds:?}");
    assert_eq!(rounds[0].0, Side::Local);
    let (side, _class, rule, subjects) = &rounds[1];
    assert_eq!(*side, Side::Remote);
    assert_eq!(rule.as_ref(), Some(&id));
    assert_eq!(
        subjects,
        &vec![id.clone()],
        "set_subject gave the cert the id"
    );
    assert!(vici.connection_rounds("other").is_none());
}
