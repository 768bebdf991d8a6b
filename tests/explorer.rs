//! `notes/explorer.html` works for a reader: opened in Debian's Chromium (driven by
//! playwright-core, both provisioned by `swan_charon::render`), every row with a racing
//! pair can be stepped to its racing step with the arrow key, and there the heap panel
//! shows the freed identity as freed, and the racing-pair box names both steps. The
//! control: stepped back to before the free, the same panel must not show it freed (a
//! page that marked every identity freed, or none, fails one of the two). A screenshot
//! of README's example row at its racing step goes to `target/reports/explorer.png`.
//! Needs root (apt-get) the first time.
#![cfg(not(any(loom, shuttle)))]

use serde_json::Value;
use std::process::Command;
use swan_charon::process::run_ok;
use swan_charon::render::ensure_playwright;
use swan_credstore_models::report::README_EXAMPLE;

#[test]
fn explorer_steps_to_every_race_and_shows_the_freed_identity() {
    let root = env!("CARGO_MANIFEST_DIR");
    let page = format!("{root}/notes/explorer.html");
    let html =
        std::fs::read_to_string(&page).expect("notes/explorer.html exists (cargo xtask report)");
    for fetches in [
        "<script src",
        "<link",
        "<img",
        "@import",
        "fetch(",
        "XMLHttpRequest",
    ] {
        assert!(
            !html.contains(fetches),
            "the page must load nothing ({fetches})"
        );
    }
    let modules = ensure_playwright().expect("playwright-core and Chromium are provisioned");
    let reports = swan_charon::target_dir().join("reports");
    std::fs::create_dir_all(&reports).unwrap();
    let shot = reports.join("explorer.png");
    let (scenario, variant, flow, checker) = README_EXAMPLE;
    let example = format!("{scenario}.{variant}.{flow}.{checker}");
    let out = run_ok(
        Command::new("node")
            .env("PLAYWRIGHT_MODULES", &modules)
            .arg(format!("{root}/tests/explorer/drive.cjs"))
            .arg(&page)
            .arg(&shot)
            .arg(&example),
    )
    .expect("the driver ran");
    let v: Value = serde_json::from_str(out.trim()).expect("the driver prints JSON");
    assert_eq!(
        v["errors"],
        Value::Array(vec![]),
        "the page's script raised errors"
    );
    let rows = v["rows"].as_array().expect("rows");
    assert!(rows.len() >= 10, "too few race rows: {}", rows.len());
    let mut freed = 0;
    for r in rows {
        let id = r["id"].as_str().unwrap();
        assert_eq!(
            r["has_pair"], true,
            "{id}: a race row without its racing pair"
        );
        assert_eq!(
            r["reached"], true,
            "{id}: the arrow key did not reach the racing step"
        );
        assert_eq!(
            r["monotone"], true,
            "{id}: a key press did not advance one step"
        );
        assert_eq!(r["race_line"], true, "{id}: no line joins the racing pair");
        let text = r["race_box"].as_str().unwrap();
        assert!(text.contains("The racing pair"), "{id}: {text}");
        if let Some(o) = r["freed"].as_str() {
            freed += 1;
            assert_eq!(
                r["state_at_race"], "freed",
                "{id}: {o} not shown freed at the racing step"
            );
            assert_ne!(
                r["state_before_free"], "freed",
                "{id}: control: {o} shown freed before its free (step {})",
                r["seq_before_free"]
            );
            assert!(
                text.contains(&format!("Freed identity: {o}")),
                "{id}: {text}"
            );
        }
    }
    assert!(
        freed >= 10,
        "too few rows name their freed identity: {freed}"
    );
    assert!(shot.exists(), "no screenshot");
    let page_rows = html.lines().filter(|l| l.starts_with("{\"id\":")).count();
    assert!(page_rows > rows.len(), "the page has its pass rows too");
    eprintln!(
        "explorer: {} race rows stepped to their racing step ({freed} with a freed identity); screenshot {}",
        rows.len(),
        shot.display()
    );
}
