//! Rendering Mermaid diagrams the way a reader's browser does: mermaid-cli (`mmdc`, from
//! npm) driving Debian's Chromium headless. The report's test renders every diagram of
//! notes/results.md with it and checks the labels in the SVG (`tests/mermaid_render.rs`).
//!
//! Provisioned the first time, like the daemons: `chromium` and `npm` with apt-get
//! where they are missing ([`crate::provision::apt_install`], root), then [`MERMAID_CLI`] with npm into
//! `target/mermaid-cli/`, without the browser puppeteer would download
//! (`PUPPETEER_SKIP_DOWNLOAD`): it is pointed at `/usr/bin/chromium` instead. The
//! explorer's test (`tests/explorer.rs`) drives the same Chromium with [`PLAYWRIGHT`],
//! installed the same way into `target/playwright/`.

use crate::process::{run_ok, temp_dir};
use crate::provision::apt_install;
use crate::target_dir;
use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The npm package and version rendered with.
pub const MERMAID_CLI: &str = "@mermaid-js/mermaid-cli@11.17.0";
/// Debian's Chromium.
pub const CHROMIUM: &str = "/usr/bin/chromium";
/// puppeteer's configuration: Debian's Chromium, headless, as root (no sandbox).
const PUPPETEER: &str = r#"{"executablePath": "/usr/bin/chromium", "args": ["--no-sandbox", "--disable-gpu"], "headless": "shell"}"#;

/// The npm package that drives Chromium for the explorer's test (no browser of its own).
pub const PLAYWRIGHT: &str = "playwright-core@1.64.1";

/// Debian's Chromium and npm, installed where they are missing: a machine may have node
/// and npm from elsewhere (NodeSource's `nodejs` conflicts with Debian's `npm`).
fn ensure_browser_and_npm() -> Result<()> {
    if !Path::new(CHROMIUM).exists() {
        apt_install(&["chromium"])?;
    }
    if run_ok(Command::new("npm").arg("--version")).is_err() {
        apt_install(&["npm"])?;
    }
    Ok(())
}

/// `package` installed with npm under `target/<dir>/` unless `want` (a path inside it)
/// is there already; returns the prefix.
fn npm_install(dir: &str, package: &str, want: &str) -> Result<PathBuf> {
    ensure_browser_and_npm()?;
    let prefix = target_dir().join(dir);
    let path = prefix.join(want);
    if !path.exists() {
        std::fs::create_dir_all(&prefix)
            .with_context(|| format!("cannot create {}", prefix.display()))?;
        run_ok(
            Command::new("npm")
                .env("PUPPETEER_SKIP_DOWNLOAD", "1")
                .env("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")
                .args(["install", "--no-audit", "--no-fund", "--loglevel=error"])
                .arg("--prefix")
                .arg(&prefix)
                .arg(package),
        )
        .with_context(|| format!("installing {package} with npm"))?;
        if !path.exists() {
            bail!("npm installed {package} but there is no {}", path.display());
        }
    }
    Ok(prefix)
}

/// `mmdc`, installed if missing (see the module docs).
pub fn ensure_mmdc() -> Result<PathBuf> {
    Ok(
        npm_install("mermaid-cli", MERMAID_CLI, "node_modules/.bin/mmdc")?
            .join("node_modules/.bin/mmdc"),
    )
}

/// The `node_modules` folder holding [`PLAYWRIGHT`], installed if missing (with Debian's
/// Chromium, which it drives: it downloads no browser).
pub fn ensure_playwright() -> Result<PathBuf> {
    Ok(npm_install(
        "playwright",
        PLAYWRIGHT,
        "node_modules/playwright-core/package.json",
    )?
    .join("node_modules"))
}

/// Renders every Mermaid block of `markdown` (```` ```mermaid ```` fences) to SVG with
/// `mmdc`, in one browser session; the SVGs in the blocks' order.
pub fn render_blocks(mmdc: &Path, markdown: &str) -> Result<Vec<String>> {
    let dir = temp_dir("swan-credstore-mermaid-", &std::env::temp_dir())?;
    let input = dir.path().join("in.md");
    std::fs::write(&input, markdown).context("cannot write the diagrams")?;
    let config = dir.path().join("puppeteer.json");
    std::fs::write(&config, PUPPETEER).context("cannot write puppeteer's configuration")?;
    run_ok(
        Command::new(mmdc)
            .arg("-q")
            .arg("-p")
            .arg(&config)
            .arg("-i")
            .arg(&input)
            .arg("-o")
            .arg(dir.path().join("out.md")),
    )
    .context("mermaid-cli could not render the diagrams")?;
    let count = markdown.matches("```mermaid").count();
    (1..=count)
        .map(|i| {
            let svg = dir.path().join(format!("out-{i}.svg"));
            std::fs::read_to_string(&svg)
                .with_context(|| format!("mermaid-cli wrote no {}", svg.display()))
        })
        .collect()
}
