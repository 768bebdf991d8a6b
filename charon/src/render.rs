//! Rendering Mermaid diagrams the way a reader's browser does: mermaid-cli (`mmdc`, from
//! npm) driving Debian's Chromium headless. The report's test renders every diagram of
//! notes/results.md with it and checks the labels in the SVG (`tests/mermaid_render.rs`).
//!
//! Provisioned the first time, like the daemons: `chromium` and `npm` with apt-get
//! where they are missing ([`crate::provision::apt_install`], root), then [`MERMAID_CLI`] with npm into
//! `target/mermaid-cli/`, without the browser puppeteer would download
//! (`PUPPETEER_SKIP_DOWNLOAD`): it is pointed at `/usr/bin/chromium` instead.

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

/// `mmdc`, installed if missing (see the module docs).
pub fn ensure_mmdc() -> Result<PathBuf> {
    // Debian's packages only where the tools are missing: a machine may have node and
    // npm from elsewhere (NodeSource's `nodejs` conflicts with Debian's `npm`).
    if !Path::new(CHROMIUM).exists() {
        apt_install(&["chromium"])?;
    }
    if run_ok(Command::new("npm").arg("--version")).is_err() {
        apt_install(&["npm"])?;
    }
    let prefix = target_dir().join("mermaid-cli");
    let mmdc = prefix.join("node_modules/.bin/mmdc");
    if !mmdc.exists() {
        std::fs::create_dir_all(&prefix)
            .with_context(|| format!("cannot create {}", prefix.display()))?;
        run_ok(
            Command::new("npm")
                .env("PUPPETEER_SKIP_DOWNLOAD", "1")
                .args(["install", "--no-audit", "--no-fund", "--loglevel=error"])
                .arg("--prefix")
                .arg(&prefix)
                .arg(MERMAID_CLI),
        )
        .context("installing mermaid-cli with npm")?;
        if !mmdc.exists() {
            bail!(
                "npm installed {MERMAID_CLI} but there is no {}",
                mmdc.display()
            );
        }
    }
    Ok(mmdc)
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
