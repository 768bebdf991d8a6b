//! Every mutable subject design, single-threaded, in the std build: what a set and a read
//! do, what the step recorder sees of them, what they free, and both load-conn flows.
//! The concurrency of each design is the checkers'; this is the sequential contract the
//! checked scenarios rely on, so that a design whose setter or reader is broken is caught
//! without a model checker.
#![cfg(not(any(loom, shuttle)))]

use swan_credstore::trace::{self, StepKind};
use swan_credstore::{
    CertStore, ConnSpec, CopyOnWrite, Epoch, Identity, InPlace, Locked, MutableSubject, PublicKey,
    SubjectCell, Vici,
};

fn read<C: SubjectCell>(cell: &C) -> Identity {
    cell.read("test", &"cell", Identity::clone)
}

/// A set replaces the subject, and the recorder sees the write; the replaced identity is
/// freed while the steps are recorded (at once, or for epoch later), and nothing the
/// cell made outlives it.
fn contract<C: MutableSubject>() {
    let name = std::any::type_name::<C>();
    let (a, b, c) = (
        Identity::parse("a.example.org"),
        Identity::parse("b.example.org"),
        Identity::parse("c.example.org"),
    );
    // A cell that never replaced its subject frees it when dropped (no design defers
    // that one).
    trace::start();
    drop(C::new(a.clone()));
    assert_eq!(
        trace::tracked_alive(),
        Some(0),
        "{name}: the dropped cell's subject"
    );
    trace::finish();
    trace::start();
    let cell = C::new(a.clone());
    assert_eq!(read(&cell), a, "{name}");
    cell.set(&b, &"cell");
    assert_eq!(read(&cell), b, "{name}");
    cell.set(&c, &"cell");
    assert_eq!(read(&cell), c, "{name}");
    let frees = trace::frees();
    drop(cell);
    let alive = trace::tracked_alive();
    let steps = trace::finish();
    let writes = steps
        .iter()
        .filter(|s| matches!(s.kind, StepKind::Write | StepKind::Atomic { .. }))
        .count();
    assert!(writes >= 2, "{name}: each set records its write ({writes})");
    assert!(
        steps.iter().any(
            |s| matches!(s.kind, StepKind::Write | StepKind::Atomic { .. })
                && (s.detail.contains("fqdn:b.example.org")
                    || s.detail.contains("fqdn:c.example.org"))
        ),
        "{name}: a set's step shows the identity it stored or replaced"
    );
    let reads = steps.iter().filter(|s| s.kind == StepKind::Read).count();
    assert!(reads >= 3, "{name}: each read is recorded ({reads})");
    // Every step names the cert it belongs to (the owner, here "cell") in its text, and
    // its object: the cell itself or an identity by its tag.
    for s in &steps {
        let object = s.object.as_deref().unwrap_or("");
        assert!(
            object == "cell" || object.starts_with("id#"),
            "{name}: step {} names {object:?}",
            s.op
        );
        assert!(
            s.detail.contains("cell"),
            "{name}: step {}: {:?}",
            s.op,
            s.detail
        );
    }
    if !C::DEFERS_FREES {
        assert_eq!(frees, 2, "{name}: two replaced identities freed");
        assert_eq!(alive, Some(0), "{name}: nothing outlives the cell");
    }
}

#[test]
fn every_mutable_design_replaces_and_frees_its_subject() {
    contract::<InPlace>();
    contract::<Locked>();
    contract::<CopyOnWrite>();
    contract::<Epoch>();
}

/// The pre-fix flow stores one more object per reload, and the upstream flow none, for
/// every design: the leak is the flow's, not the design's.
fn flows<C: MutableSubject>() {
    let name = std::any::type_name::<C>();
    let spec = ConnSpec::remote_pubkeys(
        "rpk",
        Some(Identity::parse("peer.example.org")),
        vec![PublicKey::synthetic("peer")],
    );
    let pre = Vici::<C>::new();
    for n in 1..=3 {
        pre.load_conn_pre_fix(&spec);
        assert_eq!(pre.store().stored_objects(), n, "{name}: pre_fix after {n}");
    }
    for cert in pre.store().list_certs() {
        assert_eq!(
            cert.subject(),
            Identity::parse("peer.example.org"),
            "{name}"
        );
    }
    let up = Vici::<C>::new();
    for _ in 1..=3 {
        up.load_conn_upstream_fix(&spec);
    }
    assert_eq!(up.store().stored_objects(), 1, "{name}: upstream_fix");
}

#[test]
fn every_mutable_design_leaks_under_the_pre_fix_flow_only() {
    flows::<InPlace>();
    flows::<Locked>();
    flows::<CopyOnWrite>();
    flows::<Epoch>();
}

/// The copy-on-write cell's cached reader sees each new snapshot.
#[test]
fn the_cached_reader_follows_the_writer() {
    let cell = CopyOnWrite::new(Identity::parse("a.example.org"));
    let mut reader = cell.cached();
    assert_eq!(
        reader.read(Identity::clone),
        Identity::parse("a.example.org")
    );
    cell.set(&Identity::parse("b.example.org"), &"cell");
    assert_eq!(
        reader.read(Identity::clone),
        Identity::parse("b.example.org")
    );
    assert_eq!(
        cell.snapshot().read(Identity::clone),
        Identity::parse("b.example.org")
    );
}

/// A design names itself: a matrix design by its variant, a custom cell by its name.
#[test]
fn designs_name_themselves() {
    use swan_credstore::{Design, Variant};
    let matrix = Design::Matrix(Variant::Locked);
    assert_eq!(
        (matrix.variant(), matrix.custom_name()),
        (Variant::Locked, None)
    );
    let mine = Design::Custom("mine");
    assert_eq!(
        (mine.variant(), mine.custom_name()),
        (Variant::Custom, Some("mine"))
    );
    assert_eq!(InPlace::DESIGN, Design::Matrix(Variant::InPlace));
}
