//! Happens-before on small hand-made interleavings.
use super::*;
use crate::record::{StepKind, SyncRecord};

fn step(seq: usize, thread: &str, kind: StepKind, syncs: Vec<SyncRecord>) -> StepRecord {
    StepRecord {
        syncs,
        ..crate::report::test_step(seq, thread, kind)
    }
}

fn ev(after: usize, order: usize, kind: SyncKind) -> SyncRecord {
    SyncRecord { after, order, kind }
}

fn lock(acquire: bool, mode: Mode) -> SyncKind {
    if acquire {
        SyncKind::Acquire {
            lock: Some(Lock::Store),
            instance: 1,
            mode,
        }
    } else {
        SyncKind::Release { instance: 1, mode }
    }
}

/// w: 1 (takes the lock), releases it, 2 (writes); r: 3 (takes it), 4 (reads).
fn race() -> Vec<StepRecord> {
    let spawn = |t: &str, order| {
        ev(
            0,
            order,
            SyncKind::Spawn {
                thread: t.to_string(),
            },
        )
    };
    vec![
        step(
            0,
            "main",
            StepKind::Spawn,
            vec![spawn("w", 1), spawn("r", 2)],
        ),
        step(
            1,
            "w",
            StepKind::Call,
            vec![
                ev(1, 3, lock(true, Mode::Write)),
                ev(1, 4, lock(false, Mode::Write)),
            ],
        ),
        step(2, "w", StepKind::Write, vec![]),
        step(
            3,
            "r",
            StepKind::Call,
            vec![ev(3, 5, lock(true, Mode::Read))],
        ),
        step(4, "r", StepKind::Load, vec![]),
    ]
}

#[test]
fn a_write_after_the_release_is_not_ordered_before_the_read() {
    let steps = race();
    let hb = HappensBefore::of(&steps);
    assert!(hb.ordered(1, 4), "release after 1 → acquire before 4");
    assert!(!hb.ordered(2, 4), "the write came after the release");
    assert!(hb.ordered(3, 4) && !hb.ordered(4, 3), "program order");
    let text = explain(&steps, &hb, (4, 2));
    assert!(
        text.contains(
            "w released the store's lock after step 1; r acquired it (read) before step 4"
        ),
        "{text}"
    );
    assert!(text.contains("nothing orders 2 before 4"), "{text}");
}

#[test]
fn a_write_before_the_release_is_ordered_before_the_read() {
    let mut steps = race();
    // The writer releases after its write (step 2) instead.
    let release = steps[1].syncs.pop().unwrap();
    steps[2].syncs.push(SyncRecord {
        after: 2,
        ..release
    });
    let hb = HappensBefore::of(&steps);
    assert!(hb.ordered(2, 4));
    assert!(explain(&steps, &hb, (2, 4)).contains("2 happens before 4"));
}

#[test]
fn read_locks_do_not_order_each_other() {
    let mut steps = race();
    // The writer only held the lock for reading.
    steps[1].syncs = vec![
        ev(1, 3, lock(true, Mode::Read)),
        ev(1, 4, lock(false, Mode::Read)),
    ];
    let hb = HappensBefore::of(&steps);
    assert!(
        !hb.ordered(1, 4),
        "a read release does not order a later read acquire"
    );
    // A write acquire is ordered after earlier read releases.
    steps[3].syncs = vec![ev(3, 5, lock(true, Mode::Write))];
    assert!(HappensBefore::of(&steps).ordered(1, 4));
}

#[test]
fn an_acquire_load_of_a_released_pointer_orders_the_store_before_it() {
    use swan_credstore::vocab::AtomicOrdering;
    let atomic = |store: bool, ordering| {
        if store {
            SyncKind::AtomicStore { value: 1, ordering }
        } else {
            SyncKind::AtomicLoad { value: 1, ordering }
        }
    };
    let steps = |ordering| {
        vec![
            step(
                1,
                "w",
                StepKind::Write,
                vec![ev(1, 1, atomic(true, ordering))],
            ),
            step(
                2,
                "r",
                StepKind::Call,
                vec![ev(2, 2, atomic(false, ordering))],
            ),
            step(3, "r", StepKind::Read, vec![]),
        ]
    };
    let hb = HappensBefore::of(&steps(AtomicOrdering::AcqRel));
    assert!(hb.ordered(1, 3), "release → acquire");
    assert!(matches!(hb.edges[0].via, Via::Atomic));
    let relaxed = HappensBefore::of(&steps(AtomicOrdering::Relaxed));
    assert!(!relaxed.ordered(1, 3), "relaxed orders nothing");
}

#[test]
fn spawn_and_join_order_the_threads() {
    let mut steps = race();
    steps.push(step(5, "main", StepKind::Call, vec![]));
    // main joins r between steps 4 and 5 (attached to main's latest step, 0).
    steps[0].syncs.push(ev(
        4,
        6,
        SyncKind::Join {
            thread: "r".to_string(),
        },
    ));
    let hb = HappensBefore::of(&steps);
    assert!(hb.ordered(0, 1), "spawn");
    assert!(hb.ordered(4, 5), "join");
    assert!(!hb.ordered(2, 5), "w was not joined");
}
