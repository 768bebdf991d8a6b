//! The real daemons' counts that the growth plot overlays on the model's lines:
//! `notes/figures/real-points.tsv`, a committed record whose header names the command
//! and date of each source, and the check that every point lies on the model.

use super::Series;
use anyhow::{bail, Context, Result};
use swan_credstore::vici::Flow;

/// The committed record, relative to the repository root.
pub const RECORD: &str = "notes/figures/real-points.tsv";

/// One measured count of stored raw-key objects in a real charon.
#[derive(Clone, Debug, PartialEq)]
pub struct RealPoint {
    /// Debian release of the daemon (`bookworm`, `trixie`).
    pub daemon: String,
    /// strongSwan version (`5.9.8`, `6.0.1`).
    pub version: String,
    /// The model flow the version runs.
    pub flow: Flow,
    /// Raw keys in the connection.
    pub keys: usize,
    /// Whether the section has an id.
    pub id: bool,
    /// Reloads after the first load.
    pub reloads: usize,
    /// Stored raw-key objects counted in charon.
    pub stored: usize,
    /// Which measurement (`real_charon`, `measure.sh`; see the record's header).
    pub source: String,
}

/// Parses the record's text (`#` lines are comments, the first other line the header).
pub fn parse(text: &str) -> Result<Vec<RealPoint>> {
    let mut lines = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.starts_with('#') && !l.trim().is_empty());
    let header = "daemon\tversion\tflow\tkeys\tid\treloads\tstored\tsource";
    match lines.next() {
        Some((_, h)) if h == header => {}
        other => bail!("want the header {header:?}, got {other:?}"),
    }
    lines
        .map(|(i, l)| {
            let c: Vec<&str> = l.split('\t').collect();
            let at = || format!("line {}: {l:?}", i + 1);
            if c.len() != 8 {
                bail!("{}: want 8 columns", at());
            }
            let flow = match c[2] {
                "pre_fix" => Flow::PreFix,
                "upstream_fix" => Flow::UpstreamFix,
                f => bail!("{}: unknown flow {f}", at()),
            };
            let id = match c[4] {
                "yes" => true,
                "no" => false,
                v => bail!("{}: id is yes or no, not {v}", at()),
            };
            Ok(RealPoint {
                daemon: c[0].into(),
                version: c[1].into(),
                flow,
                keys: c[3].parse().with_context(at)?,
                id,
                reloads: c[5].parse().with_context(at)?,
                stored: c[6].parse().with_context(at)?,
                source: c[7].into(),
            })
        })
        .collect()
}

/// Reads the committed record.
pub fn load() -> Result<Vec<RealPoint>> {
    let path = crate::cargo::root().join(RECORD);
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read {}", path.display()))?;
    parse(&text).with_context(|| format!("in {}", path.display()))
}

/// What the model says for a real point: its measured point at the same N if the
/// sweep has one (same flow, keys and id, no clear-creds, Ed25519 keys), else the
/// closed form the sweep's verdicts check at every point (`k·(1 + N)` pre-fix with an
/// id, `k` otherwise).
pub fn model_count(all: &[Series], p: &RealPoint) -> usize {
    let measured = all
        .iter()
        .filter(|s| s.flow == p.flow && s.keys == p.keys && s.id == p.id)
        .filter(|s| s.clear_every.is_none() && s.key_type == "Ed25519")
        .flat_map(|s| &s.points)
        .find(|m| m.reloads == p.reloads);
    match measured {
        Some(m) => m.stored_objects,
        None if p.flow == Flow::PreFix && p.id => p.keys * (1 + p.reloads),
        None => p.keys,
    }
}

/// The real points that are not on the model's line, as lines of text.
pub fn off_model(all: &[Series], real: &[RealPoint]) -> Vec<String> {
    real.iter()
        .filter(|p| model_count(all, p) != p.stored)
        .map(|p| {
            format!(
                "{} {} ({}) {} key(s), id {}: {} stored after {} reloads, model {}",
                p.daemon,
                p.version,
                p.source,
                p.keys,
                p.id,
                p.stored,
                p.reloads,
                model_count(all, p)
            )
        })
        .collect()
}
