//! Generated blocks in hand-written Markdown: the one marker style of the project.
//!
//! A generated block sits between `<!-- generated:NAME -->` and `<!-- /generated:NAME -->`
//! on lines of their own; the command that owns NAME rewrites what is between them and
//! nothing else, so the prose around a block stays the author's.

/// The opening marker of block `name`.
pub fn open(name: &str) -> String {
    format!("<!-- generated:{name} -->")
}

/// The closing marker of block `name`.
pub fn close(name: &str) -> String {
    format!("<!-- /generated:{name} -->")
}

/// `text` with block `name`'s content replaced by `content` (a trailing newline is
/// added if missing), or an error naming the missing marker.
pub fn splice(text: &str, name: &str, content: &str) -> Result<String, String> {
    let (open, close) = (open(name), close(name));
    let start = text
        .find(&open)
        .ok_or_else(|| format!("no `{open}` marker"))?
        + open.len();
    let end = text[start..]
        .find(&close)
        .ok_or_else(|| format!("no `{close}` marker after `{open}`"))?
        + start;
    let nl = if content.ends_with('\n') { "" } else { "\n" };
    Ok(format!("{}\n{content}{nl}{}", &text[..start], &text[end..]))
}

/// The content of block `name`, if `text` has it.
pub fn content<'t>(text: &'t str, name: &str) -> Option<&'t str> {
    let (open, close) = (open(name), close(name));
    let start = text.find(&open)? + open.len();
    let end = text[start..].find(&close)? + start;
    Some(text[start..end].trim_start_matches('\n'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splice_replaces_only_the_block() {
        let text = "a\n<!-- generated:x -->\nold\n<!-- /generated:x -->\nb\n";
        let new = splice(text, "x", "new").unwrap();
        assert_eq!(
            new,
            "a\n<!-- generated:x -->\nnew\n<!-- /generated:x -->\nb\n"
        );
        assert_eq!(content(&new, "x"), Some("new\n"));
        assert!(splice(text, "y", "z").unwrap_err().contains("generated:y"));
    }
}
