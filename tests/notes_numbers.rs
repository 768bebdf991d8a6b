//! No figure in README.md or notes/ is typed by hand.
//!
//! Every number a reader could quote is either inside a generated block
//! (`<!-- generated:NAME -->` … `<!-- /generated:NAME -->`, rewritten by `cargo xtask
//! report`, `bench` or `bench-checkers`), in a file that a command writes whole, or listed
//! in `tests/data/prose_numbers/PAGE.tsv` with the reason it is prose (a version, a year) or
//! the test that asserts it. This test finds every other number and names its file:line.
//!
//! What is not a figure, by rule: numbers inside inline code and inside `sh`, `rust`,
//! `toml` or `console`-less code fences (commands and code, i.e. inputs); numbers glued to
//! a word (`Ed25519`, `IKEv2`, `cert#1`, `RSA-2048`); three-part versions (`5.9.8`);
//! ordered-list and heading numbers; link targets and HTML comments. A ```text fence
//! outside a generated block is prose: its numbers count.
#![cfg(not(any(loom, shuttle)))]

use std::path::{Path, PathBuf};

/// Files that a command writes whole, with the command: none of their text is by hand.
const WHOLE: &[(&str, &str)] = &[
    ("notes/results.md", "cargo xtask report"),
    ("notes/figures/leak.md", "cargo xtask leak"),
];

/// Code fences whose numbers are inputs (commands, code), not figures.
const CODE_FENCES: &[&str] = &["sh", "bash", "rust", "toml", "swanctl", "json", "c", "diff"];

/// One allow-list entry: in `path`, the `phrase` may hold numbers, because `why`.
#[derive(Debug)]
struct Allowed {
    path: String,
    file: String,
    phrase: String,
    why: String,
    line: usize,
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The allow-list: `tests/data/prose_numbers/PAGE.tsv` for each page `PAGE` (e.g.
/// `notes/leak.md.tsv`), lines of `phrase<TAB>why`; `#` starts a comment.
fn allow_list() -> Vec<Allowed> {
    let mut out = Vec::new();
    for page in pages() {
        let rel = format!("tests/data/prose_numbers/{page}.tsv");
        let Ok(text) = std::fs::read_to_string(root().join(&rel)) else {
            continue;
        };
        for (i, line) in text.lines().enumerate() {
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            let cols: Vec<&str> = line.split('\t').collect();
            assert!(
                cols.len() == 2 && cols.iter().all(|c| !c.trim().is_empty()),
                "{rel}:{}: want phrase<TAB>why, got {line:?}",
                i + 1
            );
            out.push(Allowed {
                path: page.clone(),
                file: rel.clone(),
                phrase: cols[0].into(),
                why: cols[1].into(),
                line: i + 1,
            });
        }
    }
    out
}

/// The Markdown files the check covers, relative to the repository root.
fn pages() -> Vec<String> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "md") {
                out.push(p);
            }
        }
    }
    let mut files = vec![root().join("README.md")];
    walk(&root().join("notes"), &mut files);
    let mut out: Vec<String> = files
        .iter()
        .map(|p| {
            p.strip_prefix(root())
                .unwrap()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    out.sort();
    out
}

/// A number found in prose: its line (1-based), byte span in that line, and text.
#[derive(Debug, PartialEq)]
struct Found {
    line: usize,
    start: usize,
    end: usize,
    text: String,
}

/// Blanks out what is not prose in one line: inline code, link targets, HTML comments.
fn prose_of(line: &str, in_comment: &mut bool) -> String {
    let b = line.as_bytes();
    let mut out = line.to_string().into_bytes();
    let mut i = 0;
    let mut code = false;
    while i < b.len() {
        if *in_comment {
            if b[i..].starts_with(b"-->") {
                out[i..i + 3].fill(b' ');
                i += 3;
                *in_comment = false;
                continue;
            }
            out[i] = b' ';
        } else if b[i] == b'`' {
            code = !code;
            out[i] = b' ';
        } else if code {
            out[i] = b' ';
        } else if b[i..].starts_with(b"<!--") {
            *in_comment = true;
            continue;
        } else if b[i..].starts_with(b"](") {
            let end = b[i..]
                .iter()
                .position(|&c| c == b')')
                .map_or(b.len(), |e| i + e + 1);
            out[i..end].fill(b' ');
            i = end;
            continue;
        }
        i += 1;
    }
    // Keep byte positions: only ASCII bytes were blanked, multibyte chars are untouched.
    String::from_utf8(out).unwrap_or_else(|_| " ".repeat(line.len()))
}

/// The numbers of one prose line that are figures by the module's rules.
fn numbers(prose: &str) -> Vec<(usize, usize)> {
    let b = prose.as_bytes();
    let glued = |c: u8| c.is_ascii_alphabetic() || c == b'_' || c == b'#' || c == b'-';
    let mut out = Vec::new();
    let mut i = 0;
    // Ordered-list and heading numbers.
    let trimmed = prose.trim_start();
    let lead = prose.len() - trimmed.len();
    let skip_to = {
        let t = trimmed.trim_start_matches('#').trim_start();
        let off = prose.len() - t.len();
        let digits = t.bytes().take_while(u8::is_ascii_digit).count();
        if digits > 0
            && (t[digits..].starts_with(". ") || t[digits..].starts_with(") "))
            && (off == lead || trimmed.starts_with('#'))
        {
            off + digits
        } else {
            0
        }
    };
    while i < b.len() {
        if !b[i].is_ascii_digit() || i < skip_to {
            i += 1;
            continue;
        }
        if i > 0 && (glued(b[i - 1]) || b[i - 1] == b'.') {
            // Part of a word (`Ed25519`, `cert#1`) or of a dotted name: skip all of it.
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] == b'.') {
                i += 1;
            }
            continue;
        }
        let start = i;
        let mut dots = 0;
        while i < b.len()
            && (b[i].is_ascii_digit()
                || ((b[i] == b'.' || b[i] == b',') && i + 1 < b.len() && b[i + 1].is_ascii_digit()))
        {
            if b[i] == b'.' {
                dots += 1;
            }
            i += 1;
        }
        let glued_after =
            i < b.len() && (b[i].is_ascii_alphabetic() || b[i] == b'_' || b[i] == b'#');
        if glued_after || dots >= 2 {
            // A word (`2x`? no: a unit glued is a figure, see below) or a version.
            if glued_after && !is_unit(&b[i..]) {
                while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                    i += 1;
                }
                continue;
            }
            if dots >= 2 {
                continue;
            }
        }
        out.push((start, i));
    }
    out
}

/// A unit glued to a number (`10ms`, `2s`, `3x`) still makes it a figure.
fn is_unit(rest: &[u8]) -> bool {
    let word: String = rest
        .iter()
        .take_while(|c| c.is_ascii_alphanumeric())
        .map(|&c| c as char)
        .collect();
    matches!(
        word.as_str(),
        "s" | "ms"
            | "us"
            | "ns"
            | "x"
            | "k"
            | "K"
            | "M"
            | "MB"
            | "KB"
            | "GB"
            | "GiB"
            | "MiB"
            | "KiB"
            | "B"
            | "min"
            | "h"
    )
}

/// Every figure typed by hand in `text` (the page `path`), by the module's rules.
fn figures(text: &str) -> Vec<Found> {
    let mut out = Vec::new();
    let mut generated: Option<String> = None;
    let mut fence: Option<bool> = None; // Some(counts)
    let mut in_comment = false;
    for (n, line) in text.lines().enumerate() {
        let t = line.trim();
        if let Some(name) = &generated {
            if t == format!("<!-- /generated:{name} -->") {
                generated = None;
            }
            continue;
        }
        if let Some(name) = t
            .strip_prefix("<!-- generated:")
            .and_then(|r| r.strip_suffix(" -->"))
        {
            generated = Some(name.to_string());
            continue;
        }
        if let Some(lang) = t.strip_prefix("```") {
            fence = match fence {
                Some(_) => None,
                None => Some(!CODE_FENCES.contains(&lang.trim())),
            };
            continue;
        }
        let prose = match fence {
            Some(false) => continue,
            Some(true) => line.to_string(),
            None => prose_of(line, &mut in_comment),
        };
        for (start, end) in numbers(&prose) {
            out.push(Found {
                line: n + 1,
                start,
                end,
                text: line[start..end].to_string(),
            });
        }
    }
    assert!(generated.is_none(), "a generated block is not closed");
    out
}

#[test]
fn no_figure_in_readme_or_notes_is_typed_by_hand() {
    let allowed = allow_list();
    let mut used = vec![false; allowed.len()];
    let mut bad = Vec::new();
    for page in pages() {
        if let Some((_, cmd)) = WHOLE.iter().find(|(p, _)| *p == page) {
            let text = std::fs::read_to_string(root().join(&page)).unwrap();
            assert!(
                text.contains(cmd),
                "{page}: written whole by `{cmd}`, but it does not say so"
            );
            continue;
        }
        let text = std::fs::read_to_string(root().join(&page)).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        for f in figures(&text) {
            let line = lines[f.line - 1];
            let ok = allowed.iter().enumerate().find(|(_, a)| {
                a.path == page
                    && line
                        .match_indices(a.phrase.as_str())
                        .any(|(at, _)| at <= f.start && f.end <= at + a.phrase.len())
            });
            match ok {
                Some((i, _)) => used[i] = true,
                None => bad.push(format!(
                    "{page}:{}: {:?} in {:?}",
                    f.line,
                    f.text,
                    line.trim()
                )),
            }
        }
    }
    let stale: Vec<String> = allowed
        .iter()
        .zip(&used)
        .filter(|(_, u)| !**u)
        .map(|(a, _)| {
            format!(
                "{}:{}: {:?} allows nothing in {} ({})",
                a.file, a.line, a.phrase, a.path, a.why
            )
        })
        .collect();
    assert!(
        bad.is_empty() && stale.is_empty(),
        "{} figure(s) typed by hand; put each in a generated block (cargo xtask report, \
         bench or bench-checkers), assert it in a test that reads the note, or list it in \
         tests/data/prose_numbers/PAGE.tsv with why it is prose:\n{}\n{}",
        bad.len(),
        bad.join("\n"),
        stale.join("\n")
    );
}

/// Allow-list entries that say a test asserts the figure must name a test that mentions
/// the phrase, so the claim can be checked.
#[test]
fn asserted_entries_name_a_test_that_reads_the_phrase() {
    for a in allow_list() {
        if let Some(test) = a.why.strip_prefix("asserted by ") {
            let file = test.split("::").next().unwrap().trim();
            let src = std::fs::read_to_string(root().join(file))
                .unwrap_or_else(|_| panic!("{}:{}: no file {file}", a.file, a.line));
            assert!(
                src.contains(&a.phrase) && src.contains(&a.path),
                "{}:{}: {file} does not read {:?} in {}",
                a.file,
                a.line,
                a.phrase,
                a.path
            );
        }
    }
}

/// Negative controls: the rules catch figures and let inputs and names through.
#[test]
fn the_rules_catch_figures_and_pass_names_versions_and_code() {
    let caught = |s: &str| -> Vec<String> { figures(s).into_iter().map(|f| f.text).collect() };
    assert_eq!(caught("took 4.19 s and 6.88 s"), ["4.19", "6.88"]);
    assert_eq!(
        caught("567 bytes per duplicate, 12–18/s"),
        ["567", "12", "18"]
    );
    assert_eq!(caught("slows 2.69× with a writer"), ["2.69"]);
    assert_eq!(caught("in 10ms"), ["10"]);
    assert_eq!(caught("```text\n1,047 s\n```\n"), ["1,047"]);
    assert!(caught("strongSwan 5.9.8 and 6.0.1, Ed25519, RSA-2048, IKEv2, cert#1").is_empty());
    assert!(caught("run `--preemption-bound 3` or [x](a/b1.md) <!-- 42 -->").is_empty());
    assert!(caught("```sh\ncargo test --cases 1000\n```\n").is_empty());
    assert!(caught("1. first\n## 2. Second\n").is_empty());
    assert!(caught("<!-- generated:a -->\n42 s\n<!-- /generated:a -->\n").is_empty());
    assert_eq!(caught("1. took 3 s"), ["3"]);
}
