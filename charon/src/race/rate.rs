//! helgrind's hit rate on 5.9.8 over fresh daemons ([`HitRate`]) and the run of both
//! daemons it bounds ([`run_rate`]).

use super::{run, Limits, RaceRun};
use crate::daemon::Release;
use anyhow::Result;

/// helgrind's hit rate: how many of `attempts` fresh 5.9.8 daemons, each hammered up to
/// `max_seconds` (stopping at its first relevant report), showed the relevant report.
/// Whether helgrind's serialised scheduling lets a listing meet a reload's
/// `set_subject` is a matter of luck per run, so this is a rate, not a verdict.
#[derive(Clone, Debug, PartialEq)]
pub struct HitRate {
    /// Fresh daemons tried.
    pub attempts: usize,
    /// Bound per attempt, seconds.
    pub max_seconds: f64,
    /// Seconds to the first relevant report, for each attempt that had one.
    pub hits: Vec<f64>,
    /// Seconds and operations over all attempts.
    pub total_seconds: f64,
    /// See `total_seconds`.
    pub total_ops: u64,
}

impl HitRate {
    /// Median of [`HitRate::hits`].
    pub fn median(&self) -> Option<f64> {
        let mut h = self.hits.clone();
        h.sort_by(f64::total_cmp);
        (!h.is_empty()).then(|| h[h.len() / 2])
    }
    /// "3 of 5 attempts (≤ 60 s each) saw the relevant report; median time to it 9.1 s".
    pub fn text(&self) -> String {
        format!(
            "{} of {} attempts (at most {:.0} s each) saw the relevant report{}",
            self.hits.len(),
            self.attempts,
            self.max_seconds,
            self.median()
                .map(|m| format!("; median time to it {m:.1} s"))
                .unwrap_or_default()
        )
    }
}

/// Both daemons with the hit rate (see [`HitRate`]): `attempts` fresh 5.9.8 daemons,
/// then the 6.0.1 daemon for at least as long, and as many operations, as all of them
/// together (and at least `min_seconds`). Returns the first 5.9.8 attempt that saw the
/// report (or the last one), its record's message carrying the rate, and the 6.0.1 run.
pub fn run_rate(
    min_seconds: f64,
    max_seconds: f64,
    attempts: usize,
) -> Result<(Vec<RaceRun>, HitRate)> {
    let mut rate = HitRate {
        attempts: attempts.max(1),
        max_seconds,
        hits: Vec::new(),
        total_seconds: 0.0,
        total_ops: 0,
    };
    let mut shown: Option<RaceRun> = None;
    for attempt in 1..=rate.attempts {
        let run = run(
            Release::Bookworm,
            Limits {
                stop_at_first: true,
                min_seconds: max_seconds,
                min_ops: 0,
                max_seconds,
            },
        )?;
        rate.total_seconds += run.seconds;
        rate.total_ops += run.reloads + run.listings;
        let found = run.first_relevant;
        eprintln!(
            "real race: 5.9.8 attempt {attempt}/{}: {}",
            rate.attempts,
            match found {
                Some(t) => format!("relevant report after {t:.1} s"),
                None => format!("none in {:.1} s", run.seconds),
            }
        );
        if let Some(t) = found {
            rate.hits.push(t);
        }
        if !shown.as_ref().is_some_and(|s| s.first_relevant.is_some()) {
            shown = Some(run);
        }
    }
    let mut pre = shown.expect("at least one attempt");
    pre.record.message = Some(format!(
        "{}; hit rate: {}",
        pre.record.message.take().unwrap_or_default(),
        rate.text()
    ));
    let fixed = run(
        Release::Trixie,
        Limits {
            stop_at_first: false,
            min_seconds: min_seconds.max(rate.total_seconds),
            min_ops: rate.total_ops,
            max_seconds: rate.total_seconds.max(max_seconds) * 1.5,
        },
    )?;
    Ok((vec![pre, fixed], rate))
}
