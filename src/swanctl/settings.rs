//! The strongSwan settings syntax (`swanctl.conf(5)`, `strongswan.conf(5)`): nested
//! `name { ... }` sections, `key = value` settings, `#` comments.
//!
//! Supported: one statement per line (`name {`, `}`, `key = value`; `{` may follow
//! the name on the next line), values running to the end of the line or the next
//! `#`, double-quoted values (with `\"`, `\\`, `\n`, `\t` escapes, and `#` allowed
//! inside), empty values, and sections or keys that repeat (sections merge, the last
//! value of a key wins, as in strongSwan). Not supported: `include` (reported as an
//! error naming the line), and quoted values that span several lines.

use std::fmt;
use std::path::{Path, PathBuf};

/// An error in a configuration file: the file, the 1-based line, and what is wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError {
    /// The file the error is in.
    pub file: PathBuf,
    /// The 1-based line number (0 when the error concerns the whole file).
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

impl ConfigError {
    /// An error at `file:line`.
    pub fn new(file: &Path, line: usize, message: impl Into<String>) -> ConfigError {
        ConfigError {
            file: file.to_path_buf(),
            line,
            message: message.into(),
        }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}: {}", self.file.display(), self.message)
        } else {
            write!(f, "{}:{}: {}", self.file.display(), self.line, self.message)
        }
    }
}

impl std::error::Error for ConfigError {}

/// A `key = value` setting and the line it is on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Setting {
    /// The key.
    pub key: String,
    /// The value, unquoted.
    pub value: String,
    /// 1-based line.
    pub line: usize,
}

/// A section: its name, where it was (first) opened, its settings and subsections in
/// file order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Section {
    /// Section name (empty for the file's top level).
    pub name: String,
    /// 1-based line of the (first) opening.
    pub line: usize,
    /// Settings, in order; a repeated key keeps its first position and last value.
    pub settings: Vec<Setting>,
    /// Subsections, in order; a repeated name is merged into the first.
    pub sections: Vec<Section>,
}

impl Section {
    /// The setting `key`, if present.
    pub fn get(&self, key: &str) -> Option<&Setting> {
        self.settings.iter().find(|s| s.key == key)
    }

    /// The subsection `name`, if present.
    pub fn section(&self, name: &str) -> Option<&Section> {
        self.sections.iter().find(|s| s.name == name)
    }

    fn set(&mut self, setting: Setting) {
        match self.settings.iter_mut().find(|s| s.key == setting.key) {
            Some(old) => *old = setting,
            None => self.settings.push(setting),
        }
    }

    fn merge_child(&mut self, child: Section) {
        match self.sections.iter_mut().find(|s| s.name == child.name) {
            Some(old) => {
                for s in child.settings {
                    old.set(s);
                }
                for c in child.sections {
                    old.merge_child(c);
                }
            }
            None => self.sections.push(child),
        }
    }
}

/// Whether `c` may appear in a section name or key.
fn name_char(c: char) -> bool {
    !c.is_whitespace() && !matches!(c, '{' | '}' | '=' | '#' | '"')
}

/// Parses settings text; `file` is only used in error messages.
pub fn parse(text: &str, file: &Path) -> Result<Section, ConfigError> {
    let err = |line: usize, msg: String| ConfigError::new(file, line, msg);
    // Stack of open sections; the bottom one is the file's top level.
    let mut stack: Vec<Section> = vec![Section::default()];
    // A name on its own line, waiting for `{` on a following line.
    let mut pending: Option<(String, usize)> = None;
    for (idx, raw) in text.lines().enumerate() {
        let line = idx + 1;
        let mut rest = raw.trim_start();
        while !rest.is_empty() {
            if rest.starts_with('#') {
                break;
            }
            if let Some(r) = rest.strip_prefix('{') {
                let Some((name, at)) = pending.take() else {
                    return Err(err(line, "`{` without a section name before it".into()));
                };
                stack.push(Section {
                    name,
                    line: at,
                    ..Section::default()
                });
                rest = r.trim_start();
                continue;
            }
            if let Some((name, at)) = &pending {
                return Err(err(
                    *at,
                    format!("`{name}` is neither a section (`{name} {{`) nor a setting (`{name} = value`)"),
                ));
            }
            if let Some(r) = rest.strip_prefix('}') {
                if stack.len() == 1 {
                    return Err(err(line, "`}` without an open section".into()));
                }
                let done = stack.pop().expect("checked above");
                stack.last_mut().expect("top level").merge_child(done);
                rest = r.trim_start();
                continue;
            }
            let name_len = rest.find(|c: char| !name_char(c)).unwrap_or(rest.len());
            if name_len == 0 {
                let c = rest.chars().next().expect("non-empty");
                return Err(err(
                    line,
                    format!("unexpected `{c}` where a name was expected"),
                ));
            }
            let name = &rest[..name_len];
            let after = rest[name_len..].trim_start();
            if name == "include" && !after.starts_with('=') && !after.starts_with('{') {
                return Err(err(
                    line,
                    "`include` is not supported by this reader; inline the included file".into(),
                ));
            }
            if let Some(v) = after.strip_prefix('=') {
                let (value, tail) = parse_value(v).map_err(|m| err(line, m))?;
                stack.last_mut().expect("top level").set(Setting {
                    key: name.to_string(),
                    value,
                    line,
                });
                // A value ends at the end of the line, at a comment, or at a `}` that
                // closes the section on the same line (`local { auth = psk }`).
                rest = tail;
            } else {
                pending = Some((name.to_string(), line));
                rest = after;
            }
        }
    }
    if let Some((name, at)) = pending {
        return Err(err(
            at,
            format!("`{name}` is neither a section (`{name} {{`) nor a setting (`{name} = value`)"),
        ));
    }
    if stack.len() > 1 {
        let open = stack.last().expect("non-empty");
        return Err(err(
            open.line,
            format!("section `{}` is never closed (missing `}}`)", open.name),
        ));
    }
    Ok(stack.pop().expect("top level"))
}

/// A value, as strongSwan's settings lexer reads one after `=` (`settings_lexer.l`,
/// start condition `val`): parts separated by spaces or tabs, each a bare run of
/// characters other than `#`, `}`, `"` and whitespace, or a quoted string (escapes
/// processed); the parts are joined with one space. The value ends at the end of the
/// line, at `#` (a comment), or at `}`, which is left for the caller (it closes the
/// section). Returns the value and what follows it on the line (empty, or from `}`).
fn parse_value(v: &str) -> Result<(String, &str), String> {
    let mut parts: Vec<String> = Vec::new();
    let mut rest = v;
    loop {
        rest = rest.trim_start_matches([' ', '\t', '\r']);
        if rest.is_empty() || rest.starts_with('#') {
            return Ok((parts.join(" "), ""));
        }
        if rest.starts_with('}') {
            return Ok((parts.join(" "), rest));
        }
        if let Some(q) = rest.strip_prefix('"') {
            let mut out = String::new();
            let mut chars = q.chars();
            loop {
                match chars.next() {
                    None => return Err("unterminated quoted value (missing closing `\"`)".into()),
                    Some('"') => break,
                    Some('\\') => match chars.next() {
                        Some('n') => out.push('\n'),
                        Some('t') => out.push('\t'),
                        Some(c) => out.push(c),
                        None => return Err("unterminated quoted value".into()),
                    },
                    Some(c) => out.push(c),
                }
            }
            parts.push(out);
            rest = chars.as_str();
        } else {
            let end = rest
                .find(['#', '}', '"', ' ', '\t', '\r'])
                .unwrap_or(rest.len());
            parts.push(rest[..end].to_string());
            rest = &rest[end..];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(text: &str) -> Result<Section, ConfigError> {
        parse(text, Path::new("t.conf"))
    }

    /// Only the `include` directive is refused: a setting or a section that happens to
    /// be named `include` is read like any other.
    #[test]
    fn include_directives_are_refused_but_the_name_is_not() {
        let e = p("include other.conf\n").unwrap_err();
        assert!(e.to_string().contains("`include` is not supported"), "{e}");
        assert_eq!(e.line, 1);
        let s = p("include = x\ninclude {\n  y = 1\n}\n").unwrap();
        assert_eq!(s.get("include").unwrap().value, "x");
        assert_eq!(s.section("include").unwrap().get("y").unwrap().value, "1");
    }

    #[test]
    fn nested_sections_settings_and_comments() {
        let s = p("# top\na {\n  x = 1 # c\n  b\n  {\n    y = \"q # not a comment\"\n  }\n}\na { z = 3\n}\n")
            .unwrap();
        let a = s.section("a").unwrap();
        assert_eq!(a.line, 2);
        assert_eq!(a.get("x").unwrap().value, "1");
        assert_eq!(a.get("z").unwrap().value, "3");
        assert_eq!(
            a.section("b").unwrap().get("y").unwrap().value,
            "q # not a comment"
        );
    }

    #[test]
    fn values_end_at_a_closing_brace_and_join_their_parts() {
        let s = p("c { local { auth = psk } remote { auth = pubkey }\n}\n").unwrap();
        let c = s.section("c").unwrap();
        assert_eq!(
            c.section("local").unwrap().get("auth").unwrap().value,
            "psk"
        );
        assert_eq!(
            c.section("remote").unwrap().get("auth").unwrap().value,
            "pubkey"
        );
        let s = p("a {\n  x = one  two\t\"three }\" four # c\n  y =\n}\n").unwrap();
        let a = s.section("a").unwrap();
        assert_eq!(a.get("x").unwrap().value, "one two three } four");
        assert_eq!(a.get("y").unwrap().value, "");
        let e = p("a { x = \"q\" }\n }\n").unwrap_err();
        assert_eq!(e.line, 2, "{e}");
    }

    #[test]
    fn errors_name_the_line() {
        let e = p("a {\n x = 1\n").unwrap_err();
        assert_eq!(
            (e.line, e.message.contains("never closed")),
            (1, true),
            "{e}"
        );
        let e = p("a {\n}\n}\n").unwrap_err();
        assert_eq!(e.line, 3);
        let e = p("a {\n lonely\n x = 1\n}\n").unwrap_err();
        assert_eq!(e.line, 2);
        let e = p("include foo.conf\n").unwrap_err();
        assert!(e.message.contains("include"));
        let e = p("a {\n x = \"open\n}\n").unwrap_err();
        assert_eq!(e.line, 2);
        assert_eq!(
            e.to_string(),
            "t.conf:2: unterminated quoted value (missing closing `\"`)"
        );
    }
}
