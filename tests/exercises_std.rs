//! The std parts of the exercises of `notes/exercises.md` (the loom parts are in
//! `tests/exercises.rs`): the solutions on real threads and in sequence, and the figures
//! `notes/solutions/3-break-the-fix.md` quotes.
#![cfg(not(any(loom, shuttle)))]

// The solutions' code, exactly as the notes show it.
#[path = "../notes/solutions/half_applied_fix.rs"]
mod half_applied_fix;
#[allow(dead_code)] // `HalfLocked` is racy by design and never runs on real threads.
#[path = "../notes/solutions/my-cell/src/lib.rs"]
mod my_cell;

/// The std build: the exercises' solutions on real threads and in sequence.
mod std_build {
    use super::half_applied_fix::load_conn_half_fixed;
    use super::my_cell::SnapshotCell;
    use swan_credstore::{CertStore, Identity, Immutable, SubjectCell, Vici};
    use swan_credstore_models::scenarios::{self, connection, Reader};

    /// Exercise 2: the correct user cell also runs on real threads.
    #[test]
    fn ex2_snapshot_cell_on_real_threads() {
        for _ in 0..50 {
            scenarios::reload_vs_reader(Vici::<SnapshotCell>::load_conn_pre_fix, Reader::IkeLookup);
            scenarios::reload_vs_reader(Vici::<SnapshotCell>::load_conn_pre_fix, Reader::ListCerts);
            scenarios::reload_vs_clear(Vici::<SnapshotCell>::load_conn_upstream_fix);
        }
    }

    /// Exercise 3: the half-applied fix stores one stale key-id object per key (flat, not
    /// growing), visible in list-certs; the real fix stores one; pre-fix grows.
    #[test]
    fn ex3_half_applied_fix_in_sequence() {
        let spec = connection();
        let half = Vici::<Immutable>::new();
        let fixed = Vici::<Immutable>::new();
        let pre = Vici::<SnapshotCell>::new();
        for _ in 0..=10 {
            load_conn_half_fixed(&half, &spec);
            fixed.load_conn_upstream_fix(&spec);
            pre.load_conn_pre_fix(&spec);
        }
        assert_eq!(half.store().stored_objects(), 2);
        assert_eq!(fixed.store().stored_objects(), 1);
        assert_eq!(pre.store().stored_objects(), 11);
        let listed: Vec<Identity> = half
            .store()
            .list_certs()
            .iter()
            .map(|c| c.subject())
            .collect();
        assert_eq!(listed.len(), 2, "list-certs shows the stale object");
        assert!(listed.iter().any(|s| matches!(s, Identity::KeyId(_))));
        assert!(listed.iter().any(|s| s.equals(&scenarios::peer_id())));
        // The configuration references the id-subject object, not the stale one.
        let certs = half.connection_certs(&spec.name).unwrap();
        assert!(certs[0].subject().equals(&scenarios::peer_id()));

        // The table of notes/solutions/3-break-the-fix.md holds these figures (its
        // phrases are allow-listed in tests/data/prose_numbers as asserted here).
        let md = include_str!("../notes/solutions/3-break-the-fix.md");
        fn counts<C: SubjectCell>(store: &swan_credstore::CredentialStore<C>) -> (usize, usize) {
            (store.stored_objects(), store.list_certs().len())
        }
        let rows = [
            ("`SnapshotCell` | 11 | 1 |", counts(pre.store())),
            (
                "half-applied fix, `Immutable` | 2 | 2 |",
                counts(half.store()),
            ),
            ("upstream fix, `Immutable` | 1 | 1 |", counts(fixed.store())),
        ];
        for (row, (stored, listed)) in rows {
            assert!(
                md.contains(row),
                "notes/solutions/3-break-the-fix.md lacks {row:?}"
            );
            assert!(
                row.ends_with(&format!("| {stored} | {listed} |")),
                "notes/solutions/3-break-the-fix.md: {row:?}, but the run stored {stored} and listed {listed}"
            );
        }
    }
}
