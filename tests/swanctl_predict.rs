//! The model, fed the reference scenarios' configurations (`tests/data/reference/`), reproduces the
//! table of `measurements.md` (Debian's charon 5.9.8, pre-fix; strongSwan 6.0.2,
//! fixed): stored raw-public-key objects after N reloads.
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
