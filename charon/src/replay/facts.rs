//! What a forced run observed ([`Facts`], [`Load`]) and the verdict computed from
//! those observations alone ([`Facts::verdict`]).

use anyhow::{bail, Result};
use swan_credstore_models::record::Outcome;

/// One load of a cert's subject pointer by the reader while the writer was held.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Load {
    /// The cert (`this`).
    pub cert: u64,
    /// The address the load returned (the cert's subject field; the writer is held, so
    /// the field cannot change under it).
    pub subject: u64,
    /// Whether that block still started with an identity's methods.
    pub live: bool,
}

/// What a forced run observed; its verdict is computed from these alone
/// ([`Facts::verdict`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Facts {
    /// Whether the method table has a `set_subject` slot (5.9.8: yes; 6.0.1: no).
    pub set_subject_slot: bool,
    /// Identity blocks the writer freed before it was held, that a reader could reach.
    pub freed: Vec<u64>,
    /// The reader's subject loads while the writer was held.
    pub loads: Vec<Load>,
    /// Whether a hardware watchpoint saw the reader read a freed block.
    pub read_of_freed: bool,
    /// A signal the reader got afterwards (`SIGSEGV`).
    pub signal: Option<String>,
}

impl Facts {
    /// `race` when the reader loaded an address the writer had freed, or a block that
    /// is no identity any more; `pass` when it loaded at least one subject and every one
    /// was live; an error when it loaded none (nothing was checked).
    pub fn verdict(&self) -> Result<Outcome> {
        if self.loads.is_empty() {
            bail!("the reader loaded no subject while the writer was held");
        }
        let bad = self
            .loads
            .iter()
            .any(|l| !l.live || self.freed.contains(&l.subject));
        Ok(if bad { Outcome::Race } else { Outcome::Pass })
    }
}

/// The row's outcome and message from the schedule's result and gdb's release, and the
/// facts the verdict was computed from (empty after an error).
pub(super) fn conclude(
    schedule: Result<(Facts, String)>,
    released: Result<()>,
) -> (Outcome, String, Facts) {
    match (schedule, released) {
        (Ok((f, m)), Ok(())) => match f.verdict() {
            Ok(o) => (o, m, f),
            Err(e) => (Outcome::Error, format!("{m}; {e:#}"), f),
        },
        (Ok((_, m)), Err(r)) => (Outcome::Error, format!("{m}; {r:#}"), Facts::default()),
        (Err(e), Ok(())) => (Outcome::Error, format!("{e:#}"), Facts::default()),
        (Err(e), Err(r)) => (Outcome::Error, format!("{e:#}; {r:#}"), Facts::default()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(subject: u64, live: bool) -> Load {
        Load {
            cert: 0x1000,
            subject,
            live,
        }
    }

    #[test]
    fn verdict_is_computed_from_the_loads() {
        let mut f = Facts {
            freed: vec![0x2000],
            ..Facts::default()
        };
        assert!(f.verdict().is_err(), "no load: nothing was checked");
        f.loads = vec![load(0x3000, true)];
        assert_eq!(f.verdict().ok(), Some(Outcome::Pass));
        f.loads.push(load(0x2000, true));
        assert_eq!(
            f.verdict().ok(),
            Some(Outcome::Race),
            "a load of a freed address"
        );
        f.loads = vec![load(0x4000, false)];
        assert_eq!(
            f.verdict().ok(),
            Some(Outcome::Race),
            "a block that is no identity"
        );
    }
}
