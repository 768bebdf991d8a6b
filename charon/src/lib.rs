//! Real strongSwan daemons next to the model.
//!
//! * [`provision`] — installs Debian bookworm's strongSwan 5.9.8 (pre-fix) on the host
//!   and builds a cached minimal Debian trixie root with strongSwan 6.0.1 (fixed);
//!   installs valgrind on both.
//! * [`daemon`] — a private work folder per run and a charon started by hand in its own
//!   network namespace (trixie's inside its root), optionally under helgrind; stopped
//!   by PID whatever happens.
//! * [`vici`] — a blocking facade over the `rsvici` client: `load-conn` built from the
//!   model's parsed swanctl configuration, `list-certs`, `clear-creds`.
//! * [`scan`] — counting the raw public keys in charon's credential store by reading
//!   its memory (/proc/PID/mem), for both releases.
//! * [`helgrind`] — parsing helgrind's XML and classifying its reports.
//! * [`gdbmi`], [`inspect`], [`replay`] — the model's counterexample forced on the real
//!   charon with gdb in non-stop mode (checker `real_replay`): the reader loads and
//!   reads the identity `set_subject` freed, every time, on 5.9.8; only live
//!   identities on 6.0.1.
//! * [`race`] — the race run: one reloading client, two listing clients, under
//!   helgrind, concluded as matrix records (checker `real_helgrind`).
//! * [`process`] — every spawn, signal, bounded wait and temporary folder of the crate.
//! * [`render`] — mermaid-cli on Debian's Chromium, for the report's rendering check
//!   (provisioned like the daemons: apt-get and npm, root).
//!
//! Errors are [`anyhow::Error`]s that name what was being done (commands, files,
//! PIDs); show them with `{:#}` for the whole chain.
//!
//! Everything here needs root (apt-get, debootstrap, chroot, unshare, /proc/PID/mem).
//! See notes/real-daemon.md.

pub mod daemon;
pub mod differential;
pub mod gdbmi;
pub mod helgrind;
pub mod inspect;
pub mod process;
pub mod provision;
pub mod race;
pub mod render;
pub mod replay;
pub mod scan;
pub mod vici;

pub use process::{run, run_ok};

use anyhow::{Context, Result};
use std::path::{Path, PathBuf};

/// The workspace's `target/` folder (caches, reports).
pub fn target_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("charon/ lives in the workspace")
        .join("target")
}

/// Writes matrix records as JSON to `path` and a text report beside it (`.txt`).
pub fn save_records<'a>(
    path: &Path,
    records: impl Iterator<Item = &'a swan_credstore_models::record::Record>,
    text: &str,
) -> Result<()> {
    let dir = path.parent().expect("has a parent");
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let records: Vec<_> = records.collect();
    let json = serde_json::to_string_pretty(&records).context("cannot serialise the records")?;
    std::fs::write(path, json).with_context(|| format!("cannot write {}", path.display()))?;
    let txt = path.with_extension("txt");
    std::fs::write(&txt, text).with_context(|| format!("cannot write {}", txt.display()))
}

/// Reads records saved by [`save_records`]; the error names `command`, which writes them.
pub fn load_records(
    path: &Path,
    command: &str,
) -> Result<Vec<swan_credstore_models::record::Record>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read {} (run `{command}` first)", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("{} is no list of records", path.display()))
}
