//! predict's figures on the reference trees, and its modes.

use super::*;

fn reference(file: &str, reloads: u64, clear_every: Option<u64>) -> Prediction {
    let path = crate::cargo::root().join("tests/data/reference").join(file);
    predict(&PredictArgs {
        clear_every,
        json: true,
        ..PredictArgs::new(path, reloads)
    })
    .unwrap()
}

#[test]
fn reference_table() {
    for (file, n, pre, fix) in [
        ("A_rpk_id.conf", 100, 101, 1),
        ("B_rpk_two_keys.conf", 100, 202, 2),
        ("C_rpk_no_id.conf", 100, 1, 1),
        ("D_rpk_local_remote.conf", 100, 202, 2),
        ("E_x509_control.conf", 100, 0, 0),
    ] {
        let p = reference(file, n, None);
        assert_eq!(p.total.pre_fix.stored_objects, pre, "{file}");
        assert_eq!(p.total.pre_fix.list_nodes, 2 * pre, "{file}");
        assert_eq!(p.total.upstream_fix.stored_objects, fix, "{file}");
        assert!(p.total.pre_fix.closed_form.exact);
        assert_eq!(p.connections[0].expected_pre_fix_objects, pre, "{file}");
    }
    let g = reference("A_rpk_id.conf", 100, Some(1));
    assert_eq!(g.total.pre_fix.stored_objects, 1);
    let a = reference("A_rpk_id.conf", 25, Some(10));
    assert_eq!(a.total.pre_fix.stored_objects, 6);
    assert_eq!(a.total.pre_fix.closed_form.formula, "1 + 1·(N mod 10)");
}

#[test]
fn json_has_the_promised_fields() {
    let v = serde_json::to_value(reference("B_rpk_two_keys.conf", 10, None)).unwrap();
    assert_eq!(v["reloads"], 10);
    for flow in ["pre_fix", "upstream_fix"] {
        for field in ["stored_objects", "list_nodes", "heap_bytes"] {
            assert!(v["total"][flow][field].is_u64(), "total.{flow}.{field}");
            assert!(
                v["connections"][0][flow][field].is_u64(),
                "connections[0].{flow}.{field}"
            );
        }
    }
    assert_eq!(v["total"]["pre_fix"]["stored_objects"], 22);
}

#[test]
fn bad_config_is_an_error_naming_file_and_line() {
    let dir = std::env::temp_dir().join(format!("predict-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("swanctl.conf");
    std::fs::write(
        &path,
        "connections {\n c {\n  remote {\n   pubkeys = nope.pub\n  }\n }\n}\n",
    )
    .unwrap();
    let e = run(&PredictArgs::new(path, 1)).unwrap_err();
    let e = format!("{e:#}");
    assert!(
        e.contains("swanctl.conf:4:") && e.contains("nope.pub"),
        "{e}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

mod mode_tests {
    use super::super::*;

    fn args(file: &str, reloads: u64) -> PredictArgs {
        let path = crate::cargo::root().join("tests/data/reference").join(file);
        PredictArgs {
            json: true,
            ..PredictArgs::new(path, reloads)
        }
    }

    fn counts(f: &Figures) -> (usize, usize, String) {
        (
            f.stored_objects,
            f.list_nodes,
            f.closed_form.formula.clone(),
        )
    }

    #[test]
    fn fast_and_faithful_print_the_same_objects_and_nodes() {
        // Heap bytes are compared in tests/swanctl_predict.rs, where each test thread
        // counts its own allocations; this binary's counter is shared by parallel tests.
        for (mode, clear, clear_every) in [
            (Mode::LoadConns, false, None),
            (Mode::LoadConns, false, Some(7)),
            (Mode::LoadAll, false, None),
            (Mode::LoadAll, true, None),
            (Mode::LoadCreds, false, Some(4)),
        ] {
            for file in ["mixed.conf", "D_rpk_local_remote.conf"] {
                let a = PredictArgs {
                    mode,
                    clear,
                    clear_every,
                    ..args(file, 60)
                };
                let fast = predict(&a).unwrap();
                let faithful = predict(&PredictArgs {
                    faithful: true,
                    ..a
                })
                .unwrap();
                assert_eq!((fast.method, faithful.method), ("fast", "faithful"));
                let rows = |p: &Prediction| -> Vec<_> {
                    p.connections
                        .iter()
                        .map(|c| &c.flows)
                        .chain([&p.total])
                        .flat_map(|f| [counts(&f.pre_fix), counts(&f.upstream_fix)])
                        .collect()
                };
                assert_eq!(rows(&fast), rows(&faithful), "{file} {mode:?} {clear}");
            }
        }
    }

    #[test]
    fn load_all_predicts_the_pubkey_folder_too() {
        let p = predict(&PredictArgs {
            mode: Mode::LoadAll,
            ..args("A_rpk_id.conf", 100)
        })
        .unwrap();
        assert_eq!(p.pubkey_files.len(), 4);
        assert_eq!(p.total.pre_fix.stored_objects, 104);
        assert_eq!(p.total.pre_fix.closed_form.formula, "4 + 1·N");
        assert_eq!(p.total.upstream_fix.stored_objects, 5);
        assert_eq!(p.connections[0].expected_pre_fix_objects, 104);
        let c = predict(&PredictArgs {
            mode: Mode::LoadAll,
            clear: true,
            ..args("A_rpk_id.conf", 100)
        })
        .unwrap();
        assert_eq!(c.total.pre_fix.stored_objects, 4);
        assert_eq!(c.total.upstream_fix.stored_objects, 5);
        assert_eq!(c.connections[0].expected_pre_fix_objects, 4);
        let v = serde_json::to_value(&c).unwrap();
        assert_eq!(v["mode"], "load-all");
        assert_eq!(v["clear"], true);
        assert_eq!(v["method"], "fast");
        assert!(v["not_modelled"].as_array().unwrap().len() >= 2, "{v}");
        // The table prints, too.
        assert!(run(&PredictArgs {
            json: false,
            mode: Mode::LoadCreds,
            clear: true,
            ..args("mixed.conf", 3)
        })
        .unwrap());
    }

    #[test]
    fn clear_without_a_credential_mode_is_an_error() {
        let e = predict(&PredictArgs {
            clear: true,
            ..args("A_rpk_id.conf", 1)
        })
        .unwrap_err();
        assert!(
            format!("{e:#}").contains("--clear needs --mode load-all"),
            "{e:#}"
        );
    }

    #[test]
    fn unreadable_pubkey_file_is_named_and_no_file_is_fine() {
        let dir = std::env::temp_dir().join(format!("predict-pubkey-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("pubkey")).unwrap();
        let path = dir.join("swanctl.conf");
        // No connections at all: a prediction of nothing, not a panic.
        std::fs::write(&path, "# empty\n").unwrap();
        let mut a = PredictArgs::new(path.clone(), 5);
        a.mode = Mode::LoadAll;
        let p = predict(&a).unwrap();
        assert_eq!(p.total.pre_fix.stored_objects, 0);
        assert!(p.connections.is_empty());
        std::fs::write(dir.join("pubkey/id_rsa.pub"), "ssh-rsa AAAAB3Nza me@host\n").unwrap();
        let e = format!("{:#}", predict(&a).unwrap_err());
        assert!(
            e.contains("pubkey/id_rsa.pub") && e.contains("load-cert"),
            "{e}"
        );
        // The connection modes do not read pubkey/.
        a.mode = Mode::LoadConns;
        assert!(predict(&a).is_ok());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
