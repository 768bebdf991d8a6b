//! The code `notes/exercises.md` quotes is the project's code: exercise 2's quote of the
//! `SubjectCell` and `MutableSubject` traits matches `src/subject/mod.rs`.
#![cfg(not(any(loom, shuttle)))]

/// The rust fence after `<!-- checked:NAME -->` in `md`.
fn quoted<'a>(md: &'a str, name: &str) -> &'a str {
    let marker = format!("<!-- checked:{name} -->");
    let at = md.find(&marker).unwrap_or_else(|| panic!("no {marker}"));
    let rest = &md[at..];
    let start = rest.find("```rust\n").expect("a rust fence") + "```rust\n".len();
    let rest = &rest[start..];
    &rest[..rest.find("```").expect("end of fence")]
}

/// The quote's lines that `source` lacks, in order: every non-blank line of `quote` must
/// appear, trimmed, as a whole trimmed line of `source`, after the previous one (doc
/// comments and attributes of the source may sit between them).
fn missing(quote: &str, source: &str) -> Vec<String> {
    let src: Vec<&str> = source.lines().map(str::trim).collect();
    let mut from = 0;
    let mut out = Vec::new();
    for line in quote.lines().map(str::trim).filter(|l| !l.is_empty()) {
        match src[from..].iter().position(|l| *l == line) {
            Some(i) => from += i + 1,
            None => out.push(line.to_string()),
        }
    }
    out
}

#[test]
fn exercise_2_quotes_the_subject_traits_as_declared() {
    let md = include_str!("../notes/exercises.md");
    let src = include_str!("../src/subject/mod.rs");
    let quote = quoted(md, "subject-traits");
    assert!(quote.contains("pub trait SubjectCell"));
    assert!(quote.contains("pub trait MutableSubject"));
    let gone = missing(quote, src);
    assert!(
        gone.is_empty(),
        "notes/exercises.md quotes lines src/subject/mod.rs no longer has: {gone:?}"
    );
}

/// Negative control: a changed signature, or lines out of order, are caught.
#[test]
fn a_stale_quote_is_caught() {
    let src = "pub trait T {\n    /// doc\n    fn a(&self);\n    fn b(&self);\n}\n";
    assert!(missing("pub trait T {\nfn a(&self);\nfn b(&self);\n}", src).is_empty());
    assert_eq!(
        missing("pub trait T {\nfn a(&mut self);\n}", src),
        ["fn a(&mut self);"]
    );
    assert_eq!(missing("fn b(&self);\nfn a(&self);", src), ["fn a(&self);"]);
}
