//! The generated blocks of README.md, notes/real-daemon.md and notes/performance.md that
//! no measurement command writes directly. Each is computed from a committed file or
//! from the code, so all of them are rewritten in a second and a test checks that the
//! pages hold what these functions compute now:
//!
//! * README.md: the matrix excerpt, from notes/results.md (`cargo xtask report`), and
//!   the scenario sizes, from the scenario definitions ([`readme`]);
//! * notes/real-daemon.md: helgrind's last recorded run and the leak on both daemons,
//!   from the records under `tests/data/records/` ([`real_daemon`]);
//! * notes/performance.md: the sentences that compare its tables, from those tables
//!   ([`perf`]), so the prose cannot say what the numbers do not; the scope ladder, from
//!   its record ([`ladder`]); the loom rows' cost before and after the scheduling points
//!   were cut, from the old record and notes/results.md ([`points`]).
//!
//! `cargo xtask report` and `cargo xtask bench` call [`update`] after writing their own
//! output. Alone: `SWAN_BLESS=1 cargo test -p xtask pages::`.

mod checkers;
pub mod ladder;
mod perf;
mod points;
mod readme;
mod real_daemon;
mod reference;
mod table;

use crate::cargo::root;
use anyhow::{Context, Result};
use std::path::PathBuf;

/// One page and its blocks `(name, content)`, computed from what the page's sources
/// hold now.
type Page = (PathBuf, Vec<(&'static str, String)>);

fn read(rel: &str) -> Result<String> {
    let path = root().join(rel);
    std::fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))
}

/// Every page's blocks.
fn pages() -> Result<Vec<Page>> {
    let results = read("notes/results.md")?;
    let perf_md = read("notes/performance.md")?;
    let ladder = crate::ladder::saved()?;
    Ok(vec![
        (root().join("README.md"), readme::blocks(&results)?),
        (
            root().join("notes/real-daemon.md"),
            real_daemon::blocks(&read(real_daemon::RACE)?, &read(real_daemon::LEAK)?)?,
        ),
        (
            root().join("notes/designs.md"),
            vec![("ladder-summary", ladder::summary(&ladder))],
        ),
        (root().join("notes/performance.md"), {
            let mut b = perf::blocks(&perf_md)?;
            b.push(("ladder", ladder::table(&ladder)));
            b.push((
                "scheduling-points",
                points::block(&read(points::BEFORE)?, &results)?,
            ));
            b
        }),
        (
            root().join(reference::PAGE),
            reference::blocks(&read(reference::RECORD)?)?,
        ),
    ])
}

/// Rewrites every block of the three pages.
pub fn update() -> Result<()> {
    for (path, blocks) in pages()? {
        crate::notes::rewrite_blocks(&path, &blocks)?;
        eprintln!("pages: updated {}", path.display());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use swan_credstore_models::report::blocks;

    /// The pages hold what their sources give now; `SWAN_BLESS=1` rewrites them instead.
    #[test]
    fn the_pages_hold_what_their_sources_give() {
        if std::env::var_os("SWAN_BLESS").is_some() {
            update().unwrap();
        }
        for (path, page_blocks) in pages().unwrap() {
            let text = std::fs::read_to_string(&path).unwrap();
            for (name, want) in page_blocks {
                let got = blocks::content(&text, name)
                    .unwrap_or_else(|| panic!("{}: no block {name}", path.display()));
                let want = if want.ends_with('\n') {
                    want
                } else {
                    want + "\n"
                };
                assert_eq!(
                    got,
                    want,
                    "{}: block {name} is stale: SWAN_BLESS=1 cargo test -p xtask pages::",
                    path.display()
                );
            }
        }
    }
}
