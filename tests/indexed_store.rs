//! [`IndexedStore`] against the faithful list store.
//!
//! * std build: a property test runs random operation sequences (add trusted/untrusted,
//!   clear, lookups by exact identity, key id, wildcard and `%any`, `get_cert_ref`,
//!   list-certs) against `CredentialStore<Immutable>` and `IndexedStore<Immutable>`,
//!   feeding both the *same* certificate objects, and requires identical results:
//!   the same objects in the same order, the same match qualities and observed subjects,
//!   the same counts. The scenarios also run on real threads.
//! * `--cfg loom`: the four scenarios with `Immutable` + `IndexedStore` + the upstream
//!   flow must pass exhaustively, and the negative control
//!   (`indexed_store::negative::SplitDedup`, dedup check and insert under separate locks) must be
//!   caught as `duplicates` in `concurrent_reloads`.

#[cfg(not(any(loom, shuttle)))]
mod against_the_list_store {
    use proptest::prelude::*;
    use swan_credstore::store::Found;
    use swan_credstore::sync::Arc;
    use swan_credstore::{
        CertRef, CertStore, CredentialStore, Identity, Immutable, IndexedStore, PubkeyCert,
        PublicKey,
    };

    type C = Immutable;

    fn keys() -> Vec<PublicKey> {
        ["peer", "peer2", "other", "local"]
            .iter()
            .map(|l| PublicKey::synthetic(l))
            .collect()
    }

    /// Identities that exercise every branch of `equals`/`matches`: case variants,
    /// wildcards, DN spellings, key ids (fingerprints and not), IPs, `%any`, and short
    /// random strings over an alphabet with `*`, `.`, `@`, `,`, `/` and `=`.
    fn identity() -> impl Strategy<Value = Identity> + Clone {
        let ks = keys();
        let fixed: Vec<Identity> = [
            "peer.example.org",
            "PEER.Example.ORG",
            "other.example.org",
            "*.example.org",
            "*.EXAMPLE.org",
            "p*r.example.org",
            "alice@example.org",
            "ALICE@example.org",
            "email:*@example.org",
            "C=CH, O=sw, CN=peer",
            "c=CH,O=sw,CN=peer",
            "C=CH/O=sw/CN=peer",
            "C=CH, O=sw, CN=Peer",
            "C=CH, O=sw, CN=*",
            "C=CH, O=*, CN=*",
            "10.0.0.1",
            "::1",
            "%any",
        ]
        .iter()
        .map(|s| Identity::parse(s))
        .chain([Identity::Fqdn("*".into()), Identity::Fqdn(String::new())])
        .chain(ks.iter().flat_map(|k| {
            [
                Identity::KeyId(k.key_id().to_vec()),
                Identity::KeyId(k.key_id_pubkey().to_vec()),
            ]
        }))
        .collect();
        prop_oneof![
            4 => proptest::sample::select(fixed),
            2 => "[a-bA-B.*]{0,4}".prop_map(Identity::Fqdn),
            1 => "[aA@.*]{0,4}".prop_map(Identity::Rfc822),
            2 => "[cCoO =xX*,/]{0,8}".prop_map(Identity::Dn),
            1 => proptest::collection::vec(0u8..2, 0..3).prop_map(Identity::KeyId),
            1 => (0u8..2).prop_map(|b| Identity::Ipv4([10, 0, 0, b])),
            1 => Just(Identity::Any),
        ]
    }

    #[derive(Clone, Debug)]
    enum Op {
        /// Wrap key `key` with `subject` (`None`: the key id) and add it.
        Add {
            key: usize,
            subject: Option<Identity>,
            trusted: bool,
        },
        /// `get_cert_ref` of a fresh cert (not added).
        Get {
            key: usize,
            subject: Option<Identity>,
        },
        Find(Identity),
        List,
        Clear,
    }

    fn op() -> impl Strategy<Value = Op> {
        let subject = proptest::option::weighted(0.85, identity());
        prop_oneof![
            6 => (0usize..4, subject.clone(), proptest::bool::weighted(0.8))
                .prop_map(|(key, subject, trusted)| Op::Add { key, subject, trusted }),
            2 => (0usize..4, subject).prop_map(|(key, subject)| Op::Get { key, subject }),
            5 => identity().prop_map(Op::Find),
            1 => Just(Op::List),
            1 => Just(Op::Clear),
        ]
    }

    fn ptrs(certs: &[CertRef<C>]) -> Vec<*const PubkeyCert<C>> {
        certs.iter().map(Arc::as_ptr).collect()
    }

    type FoundView = Vec<(
        *const PubkeyCert<C>,
        swan_credstore::MatchQuality,
        Option<Identity>,
    )>;

    fn view(found: Vec<Found<C>>) -> FoundView {
        found
            .into_iter()
            .map(|f| (Arc::as_ptr(&f.cert), f.quality, f.subject_seen))
            .collect()
    }

    fn run(ops: &[Op]) -> Result<(), TestCaseError> {
        let census = swan_credstore::Census::new();
        let keys = keys();
        let list = CredentialStore::<C>::new();
        let indexed = IndexedStore::<C>::new();
        for (i, op) in ops.iter().enumerate() {
            match op {
                Op::Add {
                    key,
                    subject,
                    trusted,
                } => {
                    let cert = PubkeyCert::<C>::wrap(keys[*key].clone(), subject.clone(), &census);
                    let a = list.add_cert_ref(*trusted, cert.clone());
                    let b = indexed.add_cert_ref(*trusted, cert);
                    prop_assert!(
                        Arc::ptr_eq(&a, &b),
                        "op {i} {op:?}: add returned different objects"
                    );
                }
                Op::Get { key, subject } => {
                    let cert = PubkeyCert::<C>::wrap(keys[*key].clone(), subject.clone(), &census);
                    let a = list.get_cert_ref(cert.clone());
                    let b = indexed.get_cert_ref(cert);
                    prop_assert!(Arc::ptr_eq(&a, &b), "op {i} {op:?}: get_cert_ref differs");
                }
                Op::Find(id) => {
                    let a = view(list.find_trusted(id));
                    let b = view(indexed.find_trusted(id));
                    prop_assert_eq!(a, b, "op {} {:?}: find_trusted differs", i, op);
                }
                Op::List => {
                    prop_assert_eq!(
                        ptrs(&list.list_certs()),
                        ptrs(&indexed.list_certs()),
                        "op {} list_certs differs",
                        i
                    );
                }
                Op::Clear => {
                    list.clear();
                    indexed.clear();
                }
            }
            prop_assert_eq!(list.stored_objects(), indexed.stored_objects());
            prop_assert_eq!(list.list_nodes(), indexed.list_nodes());
            prop_assert_eq!(ptrs(&list.stored()), ptrs(&indexed.stored()));
            prop_assert_eq!(ptrs(&list.list_certs()), ptrs(&indexed.list_certs()));
        }
        // Every identity stored, looked up exactly, finds the same in both.
        for cert in list.stored() {
            let id = cert.subject();
            prop_assert_eq!(
                view(list.find_trusted(&id)),
                view(indexed.find_trusted(&id))
            );
        }
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]
        #[test]
        fn indexed_store_is_observably_the_list_store(ops in proptest::collection::vec(op(), 1..60)) {
            run(&ops)?;
        }
    }

    /// The index is as precise as its docs say: equal identities share a hash key,
    /// different ones do not, and only real patterns fall back to the scan. (A coarser
    /// key or a scan for every lookup would give the same answers, confirmed by
    /// `has_subject` and `equals`, only slower: this test is what tells them apart.)
    #[test]
    fn identity_keys_separate_what_equals_separates_and_only_patterns_scan() {
        use swan_credstore::indexed_store::IdentityKey;
        let key = |s: &str| IdentityKey::of(&Identity::parse(s));
        assert_eq!(key("C=CH, CN=a"), key("c=CH,CN=a"));
        assert_ne!(key("C=CH, CN=a"), key("C=CH, CN=b"));
        assert_ne!(key("C=CH, CN=a"), key("C=CH, O=a"));
        assert_eq!(
            key("C=CH, CN=a"),
            IdentityKey::Dn(vec![("C".into(), "CH".into()), ("CN".into(), "a".into())])
        );
        assert_eq!(key("Peer.Example.org"), key("peer.example.ORG"));
        for exact in [
            "peer.example.org",
            "a@b.org",
            "C=CH, CN=a",
            "10.0.0.1",
            "@#0102",
        ] {
            assert!(!IdentityKey::is_pattern(&Identity::parse(exact)), "{exact}");
        }
        for pattern in ["%any", "*.example.org", "*@b.org", "C=CH, CN=*"] {
            assert!(
                IdentityKey::is_pattern(&Identity::parse(pattern)),
                "{pattern}"
            );
        }
    }

    #[test]
    fn key_id_wildcard_and_any_lookups() {
        let census = swan_credstore::Census::new();
        let store = IndexedStore::<C>::new();
        let key = PublicKey::synthetic("peer");
        let a = store.add_cert_ref(
            true,
            PubkeyCert::wrap(
                key.clone(),
                Some(Identity::parse("peer.example.org")),
                &census,
            ),
        );
        let b = store.add_cert_ref(
            true,
            PubkeyCert::wrap(
                key.clone(),
                Some(Identity::parse("PEER.example.org")),
                &census,
            ),
        );
        assert!(Arc::ptr_eq(&a, &b), "case-insensitive dedup");
        let by_keyid = store.find_trusted(&Identity::KeyId(key.key_id().to_vec()));
        assert_eq!(by_keyid.len(), 1);
        assert_eq!(by_keyid[0].quality, swan_credstore::MatchQuality::Perfect);
        assert_eq!(by_keyid[0].subject_seen, None, "decided by the fingerprint");
        let wc = store.find_trusted(&Identity::parse("*.example.org"));
        assert_eq!(wc[0].quality, swan_credstore::MatchQuality::ONE_WILDCARD);
        let any = store.find_trusted(&Identity::Any);
        assert_eq!(any[0].quality, swan_credstore::MatchQuality::Any);
        assert_eq!(store.list_nodes(), 2);
        store.clear();
        assert_eq!(store.stored_objects(), 0);
        assert_eq!(census.live(), 1, "a, b still held here");
    }

    #[test]
    fn scenarios_on_real_threads() {
        use swan_credstore::Vici;
        use swan_credstore_models::scenarios::{self, Reader};
        type V = Vici<C, IndexedStore<C>>;
        for _ in 0..50 {
            scenarios::reload_vs_reader(V::load_conn_upstream_fix, Reader::IkeLookup);
            scenarios::reload_vs_reader(V::load_conn_upstream_fix, Reader::ListCerts);
            scenarios::concurrent_reloads(V::load_conn_upstream_fix);
            scenarios::reload_vs_clear(V::load_conn_upstream_fix);
        }
    }
}

#[cfg(all(loom, not(crossbeam_loom)))]
mod under_loom {
    use swan_credstore::indexed_store::negative;
    use swan_credstore::{CertStore, CredentialStore, Immutable, IndexedStore};
    use swan_credstore_models::check::{check_cell, CellUnderTest, CheckOptions};
    use swan_credstore_models::loom_check::LoomOptions;
    use swan_credstore_models::record::{Outcome, Record, Scenario, Variant};

    fn check<S: CertStore<Immutable>>(scenario: Scenario, expected: Outcome) -> Record {
        let opts = CheckOptions {
            loom: LoomOptions {
                preemption_bound: None,
                record: false,
                full: false,
            },
        };
        let mut records = check_cell(
            scenario,
            CellUnderTest::<Immutable, S>::upstream_fix(),
            expected,
            &opts,
        );
        assert_eq!(records.len(), 1, "one loom record");
        records.remove(0)
    }

    #[test]
    fn indexed_store_passes_every_scenario_like_the_list_store() {
        for scenario in Scenario::LOOM {
            let indexed = check::<IndexedStore<Immutable>>(scenario, Outcome::Pass);
            let list = check::<CredentialStore<Immutable>>(scenario, Outcome::Pass);
            assert_eq!(indexed.variant, Variant::IndexedStore);
            assert_eq!(list.variant, Variant::Immutable);
            eprintln!(
                "{scenario}: immutable/indexed/upstream_fix {} after {} interleavings \
                 ({:.2}s); immutable/list: {} after {}",
                indexed.outcome,
                indexed.interleavings,
                indexed.seconds,
                list.outcome,
                list.interleavings
            );
            assert_eq!(
                indexed.outcome,
                Outcome::Pass,
                "{scenario}: {:?}",
                indexed.message
            );
            assert_eq!(
                list.outcome,
                Outcome::Pass,
                "{scenario}: {:?}",
                list.message
            );
            assert!(indexed.interleavings >= 1);
            assert!(indexed.bounds.exhaustive);
        }
    }

    #[test]
    fn split_dedup_negative_control_is_caught() {
        let r = check::<negative::SplitDedup<Immutable>>(
            Scenario::ConcurrentReloads,
            Outcome::Duplicates,
        );
        assert_eq!(r.variant, Variant::SplitDedup);
        eprintln!(
            "concurrent_reloads: immutable/split_dedup/upstream_fix {} at interleaving {:?}: {:?}",
            r.outcome, r.first_failing, r.message
        );
        assert_eq!(r.outcome, Outcome::Duplicates, "{:?}", r.message);
    }
}
