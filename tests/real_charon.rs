//! Differential test: the model against Debian's real strongSwan daemons — charon
//! 5.9.8 (bookworm, pre-fix) and 6.0.1 (trixie, the upstream fix, run inside a cached
//! minimal trixie root).
//!
//! Provisioning, the daemon harness and the memory count live in the `swan-charon`
//! crate (`charon/`): it installs bookworm's packages on the host if missing and builds
//! the trixie root once under target/real/. For every scenario the test starts its own
//! charon by hand in a fresh network namespace that has only loopback, with a private
//! strongswan.conf and vici socket, drives it with that release's `swanctl`, and after
//! every step counts the raw public keys charon's credential store holds by reading
//! charon's memory (`swan_charon::scan::scan_store`: raw-key objects and the store's
//! list nodes that point to them, without merging equal ones; nothing runs inside
//! charon, so no gdb is needed; the scan reads the method-pointer count, 13 on 5.9.8
//! and 12 on 6.0.1, rather than assuming it). The model ([`ModelDaemon`]) reads the very
//! same swanctl files and replays the same steps; on 5.9.8 its pre-fix counts must
//! equal the daemon's at every step, on 6.0.1 its upstream-fix counts (flat), and so
//! must what `swanctl --list-certs` shows. `pki --keyid` must print the model's key id
//! for every key. charon is stopped by its PID whatever happens.
//!
//! Needs root (package installation, debootstrap, chroot, network namespaces,
//! /proc/PID/mem); fails — with charon's own log when charon is the problem — rather
//! than skipping.
#![cfg(not(any(loom, shuttle)))]

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;
use swan_charon::daemon::{Charon, Options, Release, Work};
use swan_charon::scan::{scan_store, StoreScan};
use swan_charon::{run, run_ok};
use swan_credstore::swanctl::sim::ModelDaemon;
use swan_credstore::swanctl::Config;
use swan_credstore::Flow;

fn stored(charon: &Charon) -> StoreScan {
    scan_store(charon.pid())
        .unwrap_or_else(|e| panic!("cannot read charon's memory: {e:#}\n{}", charon.logs()))
}

fn swanctl(charon: &Charon, args: &[&str], dir: Option<&Path>) -> String {
    charon
        .swanctl(args, dir)
        .unwrap_or_else(|e| panic!("{e:#}"))
}

fn load_conns(work: &Work, charon: &Charon, file: &Path) {
    let inner = work.inner_path(file).display().to_string();
    swanctl(charon, &["--load-conns", "--file", &inner], None);
}

/// vici `clear-creds`: `swanctl --load-creds --clear` with a swanctl folder that holds
/// no credentials, so nothing is loaded after the clear.
fn clear_creds(work: &Work, charon: &Charon) {
    let empty = work.inner_path(&work.dir().join("empty"));
    let file = empty.join("swanctl.conf").display().to_string();
    swanctl(
        charon,
        &["--load-creds", "--clear", "--noprompt", "--file", &file],
        Some(&empty),
    );
}

/// Entries `swanctl --list-certs --type pubkey` shows.
fn listed(charon: &Charon) -> usize {
    swanctl(charon, &["--list-certs", "--type", "pubkey"], None)
        .lines()
        .filter(|l| l.trim_start().starts_with("keyid:"))
        .count()
}

/// The 20-byte subjectPublicKeyInfo hash `pki --keyid` prints, as lower-case hex.
fn pki_keyid(file: &Path) -> String {
    let out = run_ok(
        Command::new("pki")
            .args(["--keyid", "--type", "pub", "--in"])
            .arg(file),
    )
    .unwrap_or_else(|e| panic!("{e:#}"));
    let lines: Vec<&str> = out.lines().collect();
    let at = lines
        .iter()
        .position(|l| l.contains("subjectPublicKeyInfo"))
        .unwrap_or_else(|| panic!("no subjectPublicKeyInfo line in pki output:\n{out}"));
    let candidates = lines[at..lines.len().min(at + 2)].join(" ");
    candidates
        .split_whitespace()
        .map(|t| t.replace(':', ""))
        .find(|t| t.len() == 40 && t.chars().all(|c| c.is_ascii_hexdigit()))
        .unwrap_or_else(|| panic!("no key id in pki output:\n{out}"))
        .to_ascii_lowercase()
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn gen_rsa_pubkey(work: &Work, name: &str) {
    let private = work
        .swanctl_dir()
        .join("private")
        .join(format!("{name}.pem"));
    // The host's (bookworm's) pki generates the keys for both daemons.
    let key = run(Command::new("pki").args([
        "--gen",
        "--type",
        "rsa",
        "--size",
        "2048",
        "--outform",
        "pem",
    ]))
    .unwrap_or_else(|e| panic!("{e:#}"));
    assert!(
        key.status.success(),
        "pki --gen failed: {}",
        String::from_utf8_lossy(&key.stderr)
    );
    std::fs::write(&private, &key.stdout).unwrap();
    let public = run_ok(
        Command::new("pki")
            .args(["--pub", "--outform", "pem", "--in"])
            .arg(&private),
    )
    .unwrap_or_else(|e| panic!("{e:#}"));
    std::fs::write(
        work.swanctl_dir()
            .join("pubkey")
            .join(format!("{name}.pub")),
        public,
    )
    .unwrap();
}

fn connection(comment: &str, local: &str, remote: &str) -> String {
    format!(
        "# {comment}\nconnections {{\n    rpk {{\n        local_addrs = 127.0.0.1\n        remote_addrs = 127.0.0.2\n        local {{\n{local}        }}\n        remote {{\n{remote}        }}\n        children {{\n            rpk {{\n                local_ts = 127.0.0.1/32\n                remote_ts = 127.0.0.2/32\n            }}\n        }}\n    }}\n}}\n"
    )
}

const PSK: &str = "            auth = psk\n            id = local.example.org\n";

/// Writes the scenario files; returns (name, file).
fn write_scenarios(work: &Work) -> Vec<(&'static str, PathBuf)> {
    for k in ["peer", "peer2", "local", "peerx"] {
        gen_rsa_pubkey(work, k);
    }
    let dir = work.swanctl_dir();
    // The control: an X.509 certificate instead of a raw key.
    let crt = run_ok(
        Command::new("pki")
            .args([
                "--self",
                "--dn",
                "CN=peerx.example.org",
                "--san",
                "peerx.example.org",
                "--lifetime",
                "3650",
                "--outform",
                "pem",
                "--in",
            ])
            .arg(dir.join("private/peerx.pem")),
    )
    .unwrap_or_else(|e| panic!("{e:#}"));
    std::fs::write(dir.join("x509/peerx.crt"), crt).unwrap();
    // An ECDSA key from the committed fixtures, so charon parses a non-RSA key too.
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/keys/ecdsa.pub.pem"),
        dir.join("pubkey/ecdsa.pub"),
    )
    .unwrap();
    let scenarios = [
        (
            "A_one_key_id",
            connection(
                "A: one raw public key, explicit id",
                PSK,
                "            auth = pubkey\n            id = peer.example.org\n            pubkeys = peer.pub\n",
            ),
        ),
        (
            "B_two_keys_id",
            connection(
                "B: two raw public keys, explicit id",
                PSK,
                "            auth = pubkey\n            id = peer.example.org\n            pubkeys = peer.pub, peer2.pub\n",
            ),
        ),
        (
            "C_one_key_no_id",
            connection(
                "C: one raw public key, no id",
                PSK,
                "            auth = pubkey\n            pubkeys = peer.pub\n",
            ),
        ),
        (
            "D_both_sides",
            connection(
                "D: raw public keys on both sides (RSA local, ECDSA remote), explicit ids",
                "            auth = pubkey\n            id = local.example.org\n            pubkeys = local.pub\n",
                "            auth = pubkey\n            id = peer.example.org\n            pubkeys = ecdsa.pub\n",
            ),
        ),
        (
            "E_x509_control",
            connection(
                "E: X.509 certificate instead of a raw public key",
                PSK,
                "            auth = pubkey\n            id = peerx.example.org\n            certs = peerx.crt\n",
            ),
        ),
    ];
    scenarios
        .into_iter()
        .map(|(name, text)| {
            let file = dir.join(format!("{name}.conf"));
            std::fs::write(&file, text).unwrap();
            (name, file)
        })
        .collect()
}

#[derive(Clone, Copy, Debug)]
enum Step {
    Load,
    Clear,
}

/// Runs `steps` against a fresh charon and the model, comparing after every step with
/// the model's flow for that daemon (5.9.8: pre-fix, 6.0.1: upstream fix).
fn differential(work: &Work, name: &str, file: &Path, steps: &[Step], report: &mut String) {
    let flow = work.release.flow();
    let cfg = Config::load(file).unwrap_or_else(|e| panic!("model cannot read {name}: {e}"));
    let model = ModelDaemon::new();
    let charon = Charon::start(work, Options::default()).unwrap_or_else(|e| panic!("{e:#}"));
    let mut reloads: i64 = -1;
    for (i, step) in steps.iter().enumerate() {
        match step {
            Step::Load => {
                load_conns(work, &charon, file);
                model.load_conns(&cfg);
                reloads += 1;
            }
            Step::Clear => {
                clear_creds(work, &charon);
                model.clear_creds();
            }
        }
        let scan = stored(&charon);
        let stored = scan.stored_objects;
        let listed = listed(&charon);
        let counts = model.counts(flow);
        let pre = model.counts(Flow::PreFix).stored_objects;
        let fix = model.counts(Flow::UpstreamFix).stored_objects;
        let model_listed = model.listed(flow);
        let model_live = match flow {
            Flow::PreFix => model.pre_fix().census().live(),
            Flow::UpstreamFix => model.upstream_fix().census().live(),
        };
        let _ = writeln!(
            report,
            "{name:<16} {i:>4} {:<6} {reloads:>7} {stored:>13} {:>12} {:>11} {pre:>13} {fix:>18} {:>11} {listed:>13} {model_listed:>12}",
            format!("{step:?}").to_lowercase(),
            scan.list_nodes,
            scan.live_objects,
            counts.list_nodes
        );
        let label = work.release.label();
        assert_eq!(
            stored, counts.stored_objects,
            "{label} {name}, step {i} ({step:?}, {reloads} reloads): charon stores {stored} raw keys, \
             the model's {} flow predicts {}\n{report}",
            flow, counts.stored_objects
        );
        assert_eq!(
            scan.list_nodes, counts.list_nodes,
            "{label} {name}, step {i}: charon's store has {} list nodes for raw keys, the model {}\n{report}",
            scan.list_nodes, counts.list_nodes
        );
        assert_eq!(
            scan.live_objects, model_live,
            "{label} {name}, step {i}: charon has {} live raw-key objects, the model {model_live}\n{report}",
            scan.live_objects
        );
        assert_eq!(
            listed, model_listed,
            "{label} {name}, step {i}: swanctl --list-certs shows {listed}, the model {model_listed}\n{report}"
        );
    }
    drop(charon);
}

/// Every scenario against one daemon; returns the report.
fn scenarios_against(release: Release) -> String {
    let started = Instant::now();
    let versions = release.provision().unwrap_or_else(|e| panic!("{e:#}"));
    let work = Work::new(release, "real-charon").unwrap_or_else(|e| panic!("{e:#}"));
    let scenarios = write_scenarios(&work);
    let mut report = format!(
        "{} ({}), model flow {}:\n",
        release.label(),
        versions.replace('\n', "; "),
        release.flow()
    );
    report.push_str(
        "scenario         step op     reloads charon_stored charon_nodes charon_live model_pre_fix model_upstream_fix model_nodes charon_listed model_listed\n",
    );
    use Step::*;
    let ten_reloads: Vec<Step> = vec![Load; 11];
    for (name, file) in &scenarios {
        let steps: &[Step] = if name.starts_with('E') {
            &ten_reloads[..4]
        } else {
            &ten_reloads
        };
        differential(&work, name, file, steps, &mut report);
    }
    // A with clear-creds in the middle: 0 in the window, then (pre-fix) growth resumes.
    let (_, a) = &scenarios[0];
    let steps = [Load, Load, Load, Load, Clear, Load, Load, Load, Load];
    differential(&work, "A_clear_middle", a, &steps, &mut report);
    let _ = writeln!(report, "elapsed: {:.1} s", started.elapsed().as_secs_f64());
    eprintln!("{report}");
    let out = swan_charon::target_dir().join("reports");
    if std::fs::create_dir_all(&out).is_ok() {
        let _ = std::fs::write(
            out.join(format!("real_charon_{}.txt", release.tag())),
            &report,
        );
    }
    report
}

#[test]
fn model_pre_fix_predicts_bookworm_charon_5_9_8() {
    scenarios_against(Release::Bookworm);
}

#[test]
fn model_upstream_fix_predicts_trixie_charon_6_0_1() {
    scenarios_against(Release::Trixie);
}

#[test]
fn pki_keyids_equal_the_models() {
    Release::Bookworm
        .provision()
        .unwrap_or_else(|e| panic!("{e:#}"));
    let work = Work::new(Release::Bookworm, "keyids").unwrap_or_else(|e| panic!("{e:#}"));
    // Key ids: strongSwan's pki against the model, for generated RSA keys and the
    // committed RSA/ECDSA/Ed25519 fixtures (PEM and DER).
    for k in ["peer", "peer2"] {
        gen_rsa_pubkey(&work, k);
    }
    let mut keys: Vec<PathBuf> = ["peer", "peer2"]
        .iter()
        .map(|k| work.swanctl_dir().join("pubkey").join(format!("{k}.pub")))
        .collect();
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/keys");
    for k in ["rsa", "rsa2", "ecdsa", "ed25519"] {
        for form in ["pem", "der"] {
            keys.push(fixtures.join(format!("{k}.pub.{form}")));
        }
    }
    let mut report = String::from("key ids (pki --keyid vs model):\n");
    for k in &keys {
        let (_, key) = swan_credstore::keyfile::load_key(k).unwrap();
        let theirs = pki_keyid(k);
        let _ = writeln!(report, "  {:<8} {theirs}  {}", key.algorithm(), k.display());
        assert_eq!(
            theirs,
            hex(&key.key_id()),
            "pki --keyid differs for {}",
            k.display()
        );
    }
    eprintln!("{report}");
}
