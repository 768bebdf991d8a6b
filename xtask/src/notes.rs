//! The hand-written Markdown files with generated blocks (`notes/designs.md`,
//! `notes/performance.md`): rewriting their blocks, with errors that name the file.

use anyhow::{Context, Result};
use std::path::Path;
use swan_credstore_models::report::blocks;

/// Replaces the content of each generated block `(name, content)` of the Markdown file
/// `path` and writes the file back; the prose around the blocks is kept. Nothing is
/// written when a block is missing.
pub fn rewrite_blocks(path: &Path, contents: &[(&str, String)]) -> Result<()> {
    let mut text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    for (name, content) in contents {
        text = blocks::splice(&text, name, content)
            .map_err(anyhow::Error::msg)
            .with_context(|| format!("cannot update {}", path.display()))?;
    }
    std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_block_is_an_error_naming_the_file_and_nothing_is_written() {
        let dir = std::env::temp_dir().join(format!("notes-blocks-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("page.md");
        let text = "prose\n<!-- generated:a -->\nold\n<!-- /generated:a -->\nmore prose\n";
        std::fs::write(&path, text).unwrap();

        let e = rewrite_blocks(&path, &[("a", "new".into()), ("b", "x".into())]).unwrap_err();
        let e = format!("{e:#}");
        assert!(
            e.starts_with(&format!("cannot update {}: ", path.display()))
                && e.contains("<!-- generated:b -->"),
            "{e}"
        );
        assert_eq!(std::fs::read_to_string(&path).unwrap(), text);

        rewrite_blocks(&path, &[("a", "new".into())]).unwrap();
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "prose\n<!-- generated:a -->\nnew\n<!-- /generated:a -->\nmore prose\n"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
