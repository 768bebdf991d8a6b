//! Every Mermaid diagram of notes/results.md renders in mermaid-cli (on Debian's
//! Chromium, provisioned by `swan_charon::render`), and the rendered SVG shows each
//! message and note exactly as the model wrote it: `cert#4` stays `cert#4` (Mermaid
//! reads `#…;` as an entity, so the report writes `#35;`), no `;` ends a message early.
//! The negative control renders a diagram with the old escaping (`#` → `#35;`, then
//! `;` → `,`) and the same check must catch it. Needs root (apt-get) the first time.
//!
//! The hand-written diagram of notes/the-bug.md (a flowchart of the objects and the two
//! load-conn flows) is held to the same standard: it renders, and every node, edge and
//! subgraph label it writes in quotes is shown whole in the SVG; its control renders a
//! copy with one label changed and the check must report the original label missing.
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

/// The quoted labels of a flowchart: node and subgraph texts (`id["text"]`) and edge
/// texts (`-->|"text"|`).
fn flowchart_labels(block: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in block.lines() {
        let mut rest = line;
        while let Some(at) = rest.find(['[', '|']) {
            let open = &rest[at..];
            let Some(body) = open.get(1..).filter(|b| b.starts_with('"')) else {
                rest = &rest[at + 1..];
                continue;
            };
            let end = body[1..].find('"').expect("a closed label") + 1;
            out.push(body[1..end].to_string());
            rest = &body[end + 1..];
        }
    }
    out
}

/// The flowchart labels of `block` that the rendered `svg` does not show whole.
fn missing_flowchart(block: &str, svg: &str) -> Vec<String> {
    let text = svg_text(svg);
    flowchart_labels(block)
        .into_iter()
        .filter(|l| !text.lines().any(|t| t.trim() == l.trim()))
        .collect()
}

#[test]
fn the_diagram_of_the_bug_md_renders_with_its_labels() {
    let page = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/notes/the-bug.md"))
        .expect("notes/the-bug.md");
    let diagrams = blocks(&page);
    assert_eq!(
        diagrams.len(),
        1,
        "notes/the-bug.md: one Mermaid diagram expected"
    );
    let diagram = &diagrams[0];
    let labels = flowchart_labels(diagram);
    // The picture must name the objects and both flows' steps.
    for must in [
        "mem_cred_t",
        "pubkey_cert_t",
        "identification_t",
        "set_subject",
        "parse_and_add_pubkeys",
        "merge_config",
    ] {
        assert!(
            labels.iter().any(|l| l.contains(must)),
            "the diagram names no {must}: {labels:?}"
        );
    }
    let mmdc = ensure_mmdc().unwrap_or_else(|e| panic!("{e:#}"));
    // The control: one label changed in the source, checked against the original.
    let control = diagram.replace("set_subject(id)", "set_subject (id)");
    assert_ne!(&control, diagram, "the control changed nothing");
    let svgs = render_blocks(&mmdc, &format!("{diagram}\n\n{control}"))
        .unwrap_or_else(|e| panic!("{e:#}"));
    assert_eq!(svgs.len(), 2);
    assert!(svgs[0].contains("<svg"), "the diagram is no SVG");
    let lost = missing_flowchart(diagram, &svgs[0]);
    assert!(
        lost.is_empty(),
        "the-bug.md diagram: labels not shown: {lost:?}"
    );
    let caught = missing_flowchart(diagram, &svgs[1]);
    assert!(
        caught.iter().any(|l| l.contains("set_subject(id)")),
        "the control's changed label was not caught: {caught:?}"
    );
    eprintln!(
        "the-bug.md: {} labels found in the SVG; the control lost {}",
        labels.len(),
        caught.len()
    );
}
