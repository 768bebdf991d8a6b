//! Every Mermaid diagram of notes/results.md renders in mermaid-cli (on Debian's
//! Chromium, provisioned by `swan_charon::render`), and the rendered SVG shows each
//! message and note exactly as the model wrote it: `cert#4` stays `cert#4` (Mermaid
//! reads `#…;` as an entity, so the report writes `#35;`), no `;` ends a message early.
//! The negative control renders a diagram with the old escaping (`#` → `#35;`, then
//! `;` → `,`) and the same check must catch it. Needs root (apt-get) the first time.
#![cfg(not(any(loom, shuttle)))]

use swan_charon::render::{ensure_mmdc, render_blocks};

/// The Mermaid blocks of `markdown`, each with its fences.
fn blocks(markdown: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = markdown;
    while let Some(start) = rest.find("```mermaid\n") {
        let body = &rest[start..];
        let end = body[3..].find("```").expect("a closed block") + 6;
        out.push(body[..end].to_string());
        rest = &body[end..];
    }
    out
}

/// The texts a diagram's messages and notes should show: after `: `, with the
/// report's entity `#35;` read back as `#`.
fn labels(block: &str) -> Vec<String> {
    block
        .lines()
        .map(str::trim)
        .filter(|l| l.contains("->>") || l.starts_with("Note "))
        .filter_map(|l| l.split_once(": ").map(|(_, t)| t.replace("#35;", "#")))
        .collect()
}

/// The text content of an SVG's elements, entities decoded, as one string.
fn svg_text(svg: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in svg.chars() {
        match c {
            '<' => {
                in_tag = true;
                out.push('\n');
            }
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.replace("&gt;", ">")
        .replace("&lt;", "<")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// The labels of `block` that the rendered `svg` does not show.
fn missing(block: &str, svg: &str) -> Vec<String> {
    let text = svg_text(svg);
    labels(block)
        .into_iter()
        .filter(|l| !text.lines().any(|t| t.trim() == l.trim()))
        .collect()
}

#[test]
fn every_diagram_in_results_md_renders_with_its_labels() {
    let results = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/notes/results.md"))
        .expect("notes/results.md");
    let diagrams = blocks(&results);
    assert!(diagrams.len() >= 10, "only {} diagrams", diagrams.len());
    let mmdc = ensure_mmdc().unwrap_or_else(|e| panic!("{e:#}"));
    // The control: the old escaping, which showed `cert#35,4`.
    let broken = diagrams[0].replace("#35;", "#35,");
    let mut all = diagrams.clone();
    all.push(broken.clone());
    let md = all.join("\n\n");
    let svgs = render_blocks(&mmdc, &md).unwrap_or_else(|e| panic!("{e:#}"));
    assert_eq!(svgs.len(), all.len());
    let mut labels_checked = 0;
    for (i, (block, svg)) in diagrams.iter().zip(&svgs).enumerate() {
        assert!(svg.contains("<svg"), "diagram {} is no SVG", i + 1);
        let lost = missing(block, svg);
        assert!(
            lost.is_empty(),
            "diagram {}: labels not shown: {lost:?}",
            i + 1
        );
        labels_checked += labels(block).len();
    }
    let caught = missing(&diagrams[0], svgs.last().unwrap());
    assert!(
        caught.iter().any(|l| l.contains("cert#")),
        "the control's `cert#35,N` labels were not caught: {caught:?}"
    );
    eprintln!(
        "{} diagrams rendered with {}, {labels_checked} labels found in the SVG; the control lost {} labels",
        diagrams.len(),
        swan_charon::render::MERMAID_CLI,
        caught.len()
    );
}
