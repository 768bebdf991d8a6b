//! The model, fed the reference scenarios' configurations (`tests/data/reference/`), reproduces the
//! table of `measurements.md` (Debian's charon 5.9.8, pre-fix; strongSwan 6.0.2,
//! fixed): stored raw-public-key objects after N reloads.
//!
//! It also checks `cargo xtask predict`'s engine: the fast (indexed) store gives the
//! faithful store's figures — stored objects, list nodes, heap bytes — after every step
//! of every reference configuration, both flows, every mode, with and without
//! clear-creds; and the credential modes (`swanctl --load-all`, `--load-creds`)
//! load `pubkey/` as swanctl's `load_certs` and vici's `load_cert` do.
#![cfg(not(any(loom, shuttle)))]

use std::path::Path;
use swan_credstore::swanctl::sim::{schedule, Counts, Linear, ModelDaemon, Op};
use swan_credstore::swanctl::Config;
use swan_credstore::Flow;

fn config(name: &str) -> Config {
    Config::load(
        &Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data/reference")
            .join(name),
    )
    .unwrap()
}

/// Stored objects (pre-fix, fixed) after each reload count in `at`.
fn run(name: &str, at: &[usize], clear_every: Option<usize>) -> Vec<(usize, usize)> {
    let cfg = config(name);
    let model = ModelDaemon::new();
    let mut out = Vec::new();
    let mut reloads = 0;
    let max = *at.iter().max().unwrap();
    for op in schedule(max, clear_every) {
        match op {
            Op::ClearCreds => model.clear_creds(),
            Op::Load => {
                model.load_conns(&cfg);
                if at.contains(&reloads) {
                    let (p, f) = (model.counts(Flow::PreFix), model.counts(Flow::UpstreamFix));
                    assert_eq!(p.list_nodes, 2 * p.stored_objects);
                    assert_eq!(f.list_nodes, 2 * f.stored_objects);
                    out.push((p.stored_objects, f.stored_objects));
                }
                reloads += 1;
            }
        }
    }
    out
}

const N: [usize; 5] = [0, 10, 100, 1000, 5000];
const N_SHORT: [usize; 4] = [0, 10, 100, 1000];

fn pre(v: &[(usize, usize)]) -> Vec<usize> {
    v.iter().map(|x| x.0).collect()
}
fn fix(v: &[(usize, usize)]) -> Vec<usize> {
    v.iter().map(|x| x.1).collect()
}

#[test]
fn a_one_key_with_id() {
    let r = run("A_rpk_id.conf", &N, None);
    assert_eq!(pre(&r), [1, 11, 101, 1001, 5001]);
    assert_eq!(fix(&r), [1; 5]);
}

#[test]
fn b_two_keys_with_id() {
    let r = run("B_rpk_two_keys.conf", &N_SHORT, None);
    assert_eq!(pre(&r), [2, 22, 202, 2002]);
    assert_eq!(fix(&r), [2; 4]);
}

#[test]
fn c_one_key_without_id() {
    let r = run("C_rpk_no_id.conf", &N, None);
    assert_eq!(pre(&r), [1; 5]);
    assert_eq!(fix(&r), [1; 5]);
}

#[test]
fn d_keys_on_both_sides() {
    let r = run("D_rpk_local_remote.conf", &N_SHORT, None);
    assert_eq!(pre(&r), [2, 22, 202, 2002]);
    assert_eq!(fix(&r), [2; 4]);
}

#[test]
fn e_x509_control_stores_no_raw_keys() {
    let r = run("E_x509_control.conf", &N_SHORT, None);
    assert_eq!(pre(&r), [0; 4]);
    assert_eq!(fix(&r), [0; 4]);
}

#[test]
fn g_clear_before_every_reload_keeps_one() {
    // `swanctl --load-all --clear`: clear-creds, then load, every time.
    let r = run("A_rpk_id.conf", &N_SHORT, Some(1));
    assert_eq!(pre(&r), [1; 4]);
    assert_eq!(fix(&r), [1; 4]);
}

#[test]
fn clear_creds_after_5000_reloads_then_growth_resumes() {
    let cfg = config("A_rpk_id.conf");
    let model = ModelDaemon::new();
    for _ in 0..=5000 {
        model.load_conns(&cfg);
    }
    assert_eq!(model.counts(Flow::PreFix).stored_objects, 5001);
    model.clear_creds();
    // The window: the connection's key is not in the store at all.
    assert_eq!(model.counts(Flow::PreFix), Counts::default());
    assert_eq!(model.counts(Flow::UpstreamFix), Counts::default());
    assert!(model.pre_fix().connection_certs("rpk").unwrap().len() == 1);
    model.load_conns(&cfg);
    assert_eq!(model.counts(Flow::PreFix).stored_objects, 1);
    for _ in 0..100 {
        model.load_conns(&cfg);
    }
    assert_eq!(model.counts(Flow::PreFix).stored_objects, 101);
    assert_eq!(model.counts(Flow::UpstreamFix).stored_objects, 1);
}

#[test]
fn list_certs_hides_the_duplicates() {
    let cfg = config("B_rpk_two_keys.conf");
    let model = ModelDaemon::new();
    for _ in 0..=20 {
        model.load_conns(&cfg);
    }
    assert_eq!(model.counts(Flow::PreFix).stored_objects, 42);
    assert_eq!(model.listed(Flow::PreFix), 2);
    assert_eq!(model.listed(Flow::UpstreamFix), 2);
}

#[test]
fn closed_form_fit() {
    let series: Vec<usize> = (0..20).map(|i| 2 + 3 * i).collect();
    let l = Linear::fit(&series, None);
    assert_eq!((l.base, l.slope, l.exact), (2, 3, true));
    assert_eq!(l.formula(None), "2 + 3·N");
    let series: Vec<usize> = (0..20).map(|i| 1 + i % 4).collect();
    let l = Linear::fit(&series, Some(4));
    assert_eq!((l.base, l.slope, l.exact), (1, 1, true));
    assert_eq!(l.formula(Some(4)), "1 + 1·(N mod 4)");
    assert!(!Linear::fit(&[1, 2, 2], None).exact);
    assert_eq!(Linear::fit(&[1, 1, 1], Some(1)).formula(Some(1)), "1");
}

#[test]
fn mixed_file_counts_each_connection() {
    let cfg = config("mixed.conf");
    let model = ModelDaemon::new();
    for _ in 0..=10 {
        model.load_conns(&cfg);
    }
    // a: 1 key with id (1 + 10); b: Ed25519 under %any (1) + 2 keys with a key-id id
    // (2 + 2·10).
    assert_eq!(model.counts(Flow::PreFix).stored_objects, 11 + 1 + 22);
    assert_eq!(model.counts(Flow::UpstreamFix).stored_objects, 4);
}

// ---------------------------------------------------------------------------------------
// `cargo xtask predict`'s engine (xtask/src/predict/{engine,mirror}.rs, compiled here as
// they are): the fast store gives the faithful store's figures, and the credential
// modes (`swanctl --load-all`, `--load-creds`) follow swanctl.
// ---------------------------------------------------------------------------------------

#[allow(dead_code)]
#[path = "../xtask/src/predict/engine.rs"]
mod engine;
#[allow(dead_code)]
#[path = "../xtask/src/predict/mirror.rs"]
mod mirror;

/// A counting allocator per thread: the tests of this file run in parallel threads,
/// and each run's heap figures must see its own thread's allocations only (every run
/// allocates and frees on the thread that runs it).
mod per_thread_heap {
    use std::alloc::{GlobalAlloc, Layout, System};
    use std::cell::Cell;

    thread_local! {
        static LIVE: Cell<isize> = const { Cell::new(0) };
    }

    fn add(n: isize) {
        let _ = LIVE.try_with(|c| c.set(c.get().wrapping_add(n)));
    }

    /// The system allocator, counting requested bytes per thread.
    pub struct PerThread;

    // SAFETY: defers to `System`; only updates a thread-local counter on the side
    // (const-initialised, no destructor: it never allocates).
    unsafe impl GlobalAlloc for PerThread {
        unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
            let p = System.alloc(layout);
            if !p.is_null() {
                add(layout.size() as isize);
            }
            p
        }
        unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
            let p = System.alloc_zeroed(layout);
            if !p.is_null() {
                add(layout.size() as isize);
            }
            p
        }
        unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
            System.dealloc(ptr, layout);
            add(-(layout.size() as isize));
        }
        unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
            let p = System.realloc(ptr, layout, new_size);
            if !p.is_null() {
                add(new_size as isize - layout.size() as isize);
            }
            p
        }
    }

    #[global_allocator]
    static GLOBAL: PerThread = PerThread;

    /// This thread's live bytes (differences of two readings are what count).
    pub fn live() -> usize {
        LIVE.with(|c| c.get()) as usize
    }
}

struct ThreadHeap;

impl mirror::Meter for ThreadHeap {
    fn live() -> usize {
        per_thread_heap::live()
    }
}

use engine::{Command, Method, Sequence, Workload};
use swan_credstore::store::CertStore;
use swan_credstore::swanctl::sim::pubkey_folder;

const REFERENCE: [&str; 6] = [
    "A_rpk_id.conf",
    "B_rpk_two_keys.conf",
    "C_rpk_no_id.conf",
    "D_rpk_local_remote.conf",
    "E_x509_control.conf",
    "mixed.conf",
];

/// Runs `sequence` on `conns` of `name` (all of them if `None`) with both stores, both
/// flows, a sample after every step, and asserts that every figure agrees.
fn agree(name: &str, only: Option<usize>, sequence: Sequence) {
    let cfg = config(name);
    let ders: Vec<Vec<u8>> = if sequence.command.loads_creds() {
        pubkey_folder(&cfg)
            .unwrap()
            .into_iter()
            .map(|k| k.der)
            .collect()
    } else {
        Vec::new()
    };
    let specs = || match only {
        Some(i) => vec![cfg.connections[i].spec()],
        None => cfg.connections.iter().map(|c| c.spec()).collect(),
    };
    let work = Workload {
        specs: &specs,
        creds: &ders,
    };
    let every: Vec<usize> = (0..=sequence.reloads).collect();
    for flow in [Flow::PreFix, Flow::UpstreamFix] {
        let run = |m| engine::run::<ThreadHeap>(flow, m, &work, &sequence, &every, &mut |_| {});
        let (faithful, fast) = (run(Method::Faithful), run(Method::Fast));
        assert_eq!(
            faithful.series, fast.series,
            "{name} {only:?} {flow} {sequence:?}"
        );
        for (a, b) in faithful.samples.iter().zip(&fast.samples) {
            assert_eq!(a, b, "{name} {only:?} {flow} {sequence:?}");
        }
        assert_eq!(faithful.samples.len(), sequence.reloads + 1);
        assert_eq!(fast.samples.len(), sequence.reloads + 1);
        // Not a vacuous comparison: the model state is on the heap.
        let last = fast.samples.last().unwrap();
        assert!(
            last.heap_bytes > 0 || last.stored_objects == 0,
            "{name} {flow}"
        );
    }
}

fn seq(command: Command, reloads: usize, clear_every: Option<usize>) -> Sequence {
    Sequence {
        command,
        reloads,
        clear_every,
    }
}

const ALL: Command = Command::LoadAll { clear: false };
const ALL_CLEAR: Command = Command::LoadAll { clear: true };
const CREDS: Command = Command::LoadCredsThenConns { clear: false };
const CREDS_CLEAR: Command = Command::LoadCredsThenConns { clear: true };

#[test]
fn fast_store_agrees_one_key_long_run() {
    // The quadratic case at its longest here: 3,000 reloads, every step compared.
    agree("A_rpk_id.conf", None, seq(Command::LoadConns, 3000, None));
    agree(
        "A_rpk_id.conf",
        None,
        seq(Command::LoadConns, 3000, Some(1000)),
    );
}

#[test]
fn fast_store_agrees_load_conns_everywhere() {
    for name in REFERENCE {
        agree(name, None, seq(Command::LoadConns, 1000, None));
        agree(name, None, seq(Command::LoadConns, 1000, Some(7)));
        agree(name, None, seq(Command::LoadConns, 50, Some(1)));
    }
}

#[test]
fn fast_store_agrees_credential_modes_everywhere() {
    for name in REFERENCE {
        agree(name, None, seq(ALL, 1000, None));
        agree(name, None, seq(ALL, 1000, Some(300)));
        agree(name, None, seq(ALL_CLEAR, 200, None));
        agree(name, None, seq(CREDS, 300, Some(7)));
        agree(name, None, seq(CREDS_CLEAR, 200, Some(3)));
    }
}

#[test]
fn fast_store_agrees_per_connection() {
    for i in 0..2 {
        agree("mixed.conf", Some(i), seq(Command::LoadConns, 1000, None));
        agree("mixed.conf", Some(i), seq(ALL, 500, Some(200)));
        agree("mixed.conf", Some(i), seq(ALL_CLEAR, 100, None));
    }
}

#[test]
fn fast_store_agrees_when_keys_are_shared_and_ids_differ() {
    // One key in three sections of two connections: with an id, with another id, and
    // without one — subjects of stored objects change under the index in several ways.
    let dir = std::env::temp_dir().join(format!("predict-shared-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("pubkey")).unwrap();
    let keys = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/reference/pubkey");
    for k in ["peer.pub", "local.der"] {
        std::fs::copy(keys.join(k), dir.join("pubkey").join(k)).unwrap();
    }
    std::fs::copy(keys.join("peer.pub"), dir.join("pubkey/same-as-peer.pub")).unwrap();
    let path = dir.join("swanctl.conf");
    std::fs::write(
        &path,
        "connections {\n x {\n  local { id = a.example.org\n pubkeys = peer.pub, peer.pub }\n  \
         remote { id = B.example.org\n pubkeys = local.der, peer.pub }\n }\n y {\n  remote \
         { pubkeys = peer.pub }\n  remote-2 { id = b.example.org\n pubkeys = local.der }\n \
         }\n}\n",
    )
    .unwrap();
    let cfg = Config::load(&path).unwrap();
    let ders: Vec<Vec<u8>> = pubkey_folder(&cfg)
        .unwrap()
        .into_iter()
        .map(|k| k.der)
        .collect();
    assert_eq!(ders.len(), 3);
    let specs = || cfg.connections.iter().map(|c| c.spec()).collect();
    let every: Vec<usize> = (0..=300).collect();
    for command in [Command::LoadConns, ALL, ALL_CLEAR] {
        for clear_every in [None, Some(5)] {
            let s = seq(command, 300, clear_every);
            let work = Workload {
                specs: &specs,
                creds: if command.loads_creds() { &ders } else { &[] },
            };
            for flow in [Flow::PreFix, Flow::UpstreamFix] {
                let run = |m| engine::run::<ThreadHeap>(flow, m, &work, &s, &every, &mut |_| {});
                assert_eq!(run(Method::Faithful), run(Method::Fast), "{flow} {s:?}");
            }
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// The whole file `name` in the pre-fix flow on the fast store, no credentials.
fn pre_fix_fast(
    name: &str,
    s: &Sequence,
    at: &[usize],
    progress: &mut dyn FnMut(usize),
) -> engine::Run {
    let cfg = config(name);
    let specs = || cfg.connections.iter().map(|c| c.spec()).collect();
    let work = Workload {
        specs: &specs,
        creds: &[],
    };
    engine::run::<ThreadHeap>(Flow::PreFix, Method::Fast, &work, s, at, progress)
}

#[test]
fn fast_store_runs_far_and_stays_on_the_line() {
    // Beyond what the faithful store can do in a test: 20,000 reloads in the fast store.
    let s = seq(Command::LoadConns, 20_000, None);
    let run = pre_fix_fast("A_rpk_id.conf", &s, &[10_000, 20_000], &mut |_| {});
    assert!(run.series.iter().enumerate().all(|(i, &n)| n == 1 + i));
    let (a, b) = (run.samples[0], run.samples[1]);
    assert_eq!((a.stored_objects, b.list_nodes), (10_001, 40_002));
    // Heap grows with the duplicates (by about one cert per reload).
    assert!(b.heap_bytes > a.heap_bytes + 10_000 * 300, "{a:?} {b:?}");
}

#[test]
fn progress_is_reported_for_every_step_and_not_counted() {
    let s = seq(Command::LoadConns, 3000, None);
    let mut steps = 0;
    let mut junk: Vec<Vec<u8>> = Vec::new();
    let with = pre_fix_fast("B_rpk_two_keys.conf", &s, &[3000], &mut |n| {
        steps += n;
        // A callback that keeps memory (as a progress bar's buffers may).
        junk.push(vec![0; 1000]);
    });
    let without = pre_fix_fast("B_rpk_two_keys.conf", &s, &[3000], &mut |_| {});
    assert_eq!(steps, 3001);
    assert!(!junk.is_empty());
    assert_eq!(with, without);
}

// --- the credential modes, against swanctl's C code (notes/leak.md) ---

fn pubkeys(name: &str) -> Vec<swan_credstore::swanctl::KeyFile> {
    pubkey_folder(&config(name)).unwrap()
}

#[test]
fn pubkey_folder_is_what_load_creds_sends() {
    let keys = pubkeys("A_rpk_id.conf");
    let names: Vec<&str> = keys.iter().map(|k| k.name.as_str()).collect();
    assert_eq!(
        names,
        ["local-ed.pub", "local.der", "peer.pub", "peer2.pub"]
    );
    // No folder: nothing sent.
    let dir = std::env::temp_dir().join(format!("predict-nofolder-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("swanctl.conf");
    std::fs::write(&path, "connections {\n}\n").unwrap();
    assert!(pubkey_folder(&Config::load(&path).unwrap())
        .unwrap()
        .is_empty());
    // Only regular files (a subfolder and a dangling link are skipped, as `S_ISREG`
    // after `stat` skips them); a file the model cannot read is an error naming it.
    std::fs::create_dir_all(dir.join("pubkey/sub")).unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink(dir.join("nowhere"), dir.join("pubkey/dangling")).unwrap();
    let cfg = Config::load(&path).unwrap();
    assert!(pubkey_folder(&cfg).unwrap().is_empty());
    std::fs::write(dir.join("pubkey/notes.txt"), "not a key\n").unwrap();
    let e = pubkey_folder(&cfg).unwrap_err().to_string();
    assert!(
        e.contains("pubkey/notes.txt") && e.contains("cannot read it as a key"),
        "{e}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn load_all_stores_the_pubkey_files_in_the_same_store() {
    // A: peer.pub (id peer.example.org) and three more keys in pubkey/.
    let cfg = config("A_rpk_id.conf");
    let keys = pubkeys("A_rpk_id.conf");
    let model = ModelDaemon::new();
    model.load_all(&cfg, &keys, false);
    // Pre-fix: load-conn's fresh cert (subject = key id) `equals` the object load-cert
    // stored for peer.pub, so the connection gets that object, and `set_subject` writes
    // the id into it: 4 objects, not 5.
    assert_eq!(model.counts(Flow::PreFix).stored_objects, 4);
    let conn_cert = &model.pre_fix().connection_certs("rpk").unwrap()[0];
    let stored = model.pre_fix().store().stored();
    assert!(stored
        .iter()
        .any(|c| swan_credstore::sync::Arc::ptr_eq(c, conn_cert)));
    assert_eq!(
        conn_cert.subject(),
        swan_credstore::Identity::parse("peer.example.org")
    );
    // Fixed: the connection's cert has the id from the start, load-cert's has the key
    // id: two objects for peer.pub, one for each other key.
    assert_eq!(model.counts(Flow::UpstreamFix).stored_objects, 5);
    for n in 1..=10 {
        model.load_all(&cfg, &keys, false);
        assert_eq!(model.counts(Flow::PreFix).stored_objects, 4 + n);
        assert_eq!(model.counts(Flow::UpstreamFix).stored_objects, 5);
    }
    // list-certs still shows one entry per (key, subject).
    assert_eq!(model.listed(Flow::PreFix), 4);
    assert_eq!(model.listed(Flow::UpstreamFix), 5);
}

#[test]
fn load_all_clear_bounds_the_leak_to_the_keys() {
    let cfg = config("A_rpk_id.conf");
    let keys = pubkeys("A_rpk_id.conf");
    let model = ModelDaemon::new();
    for _ in 0..=20 {
        model.load_all(&cfg, &keys, true);
        assert_eq!(model.counts(Flow::PreFix).stored_objects, 4);
        assert_eq!(model.counts(Flow::UpstreamFix).stored_objects, 5);
    }
    // No id (C): the connection shares load-cert's object in both flows.
    let cfg = config("C_rpk_no_id.conf");
    let model = ModelDaemon::new();
    for _ in 0..=20 {
        model.load_all(&cfg, &keys, false);
    }
    assert_eq!(model.counts(Flow::PreFix).stored_objects, 4);
    assert_eq!(model.counts(Flow::UpstreamFix).stored_objects, 4);
}

#[test]
fn load_creds_then_conns_is_load_all_for_the_store() {
    let cfg = config("mixed.conf");
    let keys = pubkeys("mixed.conf");
    let (a, b) = (ModelDaemon::new(), ModelDaemon::new());
    for i in 0..=30 {
        let clear = i % 7 == 3;
        a.load_all(&cfg, &keys, clear);
        b.load_creds(&keys, clear);
        b.load_conns(&cfg);
        for flow in [Flow::PreFix, Flow::UpstreamFix] {
            assert_eq!(a.counts(flow), b.counts(flow));
        }
    }
}
