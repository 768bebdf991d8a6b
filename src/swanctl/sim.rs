//! Replaying what swanctl does to charon, against the model, in both flows at once.
//!
//! [`ModelDaemon`] holds one [`Vici`] per flow: [`Flow::PreFix`] with a [`Locked`]
//! subject cell (any mutable cell gives the same counts when driven from one thread)
//! and [`Flow::UpstreamFix`] with [`Immutable`]. [`ModelDaemon::load_conns`] is
//! `swanctl --load-conns`: one `load-conn` per connection of the file, in order, then
//! `unload-conn` for loaded connections the file no longer has. Every `load-conn`
//! parses the keys afresh, as charon does with the blobs in each message.

use super::{Config, Connection};
// The counting methods may live on the store type or on its trait: import both.
#[allow(unused_imports)]
use crate::store::*;
use crate::subject::{Immutable, Locked};
use crate::vici::{Flow, Merge, Vici};

/// Counts read from a store.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// Distinct raw-public-key objects stored (what `swan_charon::scan::scan_store` counts
    /// in the real daemon).
    pub stored_objects: usize,
    /// List nodes (`untrusted` + `trusted`): two per stored object.
    pub list_nodes: usize,
}

/// The model of one charon, in both flows.
pub struct ModelDaemon {
    pre: Vici<Locked>,
    fix: Vici<Immutable>,
}

impl Default for ModelDaemon {
    fn default() -> Self {
        Self::new()
    }
}

impl ModelDaemon {
    /// A freshly started daemon: empty store, nothing loaded.
    pub fn new() -> ModelDaemon {
        ModelDaemon {
            pre: Vici::new(),
            fix: Vici::new(),
        }
    }

    /// The pre-fix plugin.
    pub fn pre_fix(&self) -> &Vici<Locked> {
        &self.pre
    }

    /// The fixed plugin.
    pub fn upstream_fix(&self) -> &Vici<Immutable> {
        &self.fix
    }

    /// `load-conn` of one connection in both flows; returns the merge outcomes
    /// (pre-fix, fixed).
    pub fn load_conn(&self, conn: &Connection) -> (Merge, Merge) {
        let pre = self.pre.load_conn_pre_fix(&conn.spec());
        let fix = self.fix.load_conn_upstream_fix(&conn.spec());
        (pre, fix)
    }

    /// `swanctl --load-conns` with `config`: loads each of its connections, then
    /// unloads the loaded connections it does not have.
    pub fn load_conns(&self, config: &Config) {
        for c in &config.connections {
            self.load_conn(c);
        }
        for name in self.pre.connections() {
            if config.connection(&name).is_none() {
                self.pre.unload_conn(&name);
                self.fix.unload_conn(&name);
            }
        }
    }

    /// vici `clear-creds` in both flows (`swanctl --load-creds --clear` with no
    /// credentials to load).
    pub fn clear_creds(&self) {
        self.pre.clear_creds();
        self.fix.clear_creds();
    }

    /// Entries `swanctl --list-certs --type pubkey` shows in one flow: the stored
    /// objects with those `equals` to an earlier one skipped.
    pub fn listed(&self, flow: Flow) -> usize {
        match flow {
            Flow::PreFix => self.pre.store().list_certs().len(),
            Flow::UpstreamFix => self.fix.store().list_certs().len(),
        }
    }

    /// The store's counts in one flow.
    pub fn counts(&self, flow: Flow) -> Counts {
        match flow {
            Flow::PreFix => Counts {
                stored_objects: self.pre.store().stored_objects(),
                list_nodes: self.pre.store().list_nodes(),
            },
            Flow::UpstreamFix => Counts {
                stored_objects: self.fix.store().stored_objects(),
                list_nodes: self.fix.store().list_nodes(),
            },
        }
    }
}

/// One step of a reload sequence.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// `swanctl --load-conns`.
    Load,
    /// `clear-creds`.
    ClearCreds,
}

/// The sequence `predict` and `leak` run: the first load, then `reloads` reloads; with
/// `clear_every = Some(k)`, a clear-creds right before every k-th reload (the
/// `swanctl --load-all --clear` workaround when k = 1).
pub fn schedule(reloads: usize, clear_every: Option<usize>) -> Vec<Op> {
    let mut ops = vec![Op::Load];
    for i in 1..=reloads {
        if clear_every.is_some_and(|k| k > 0 && i % k == 0) {
            ops.push(Op::ClearCreds);
        }
        ops.push(Op::Load);
    }
    ops
}

/// Reloads since the last clear-creds after `reloads` reloads of [`schedule`].
pub fn reloads_since_clear(reloads: usize, clear_every: Option<usize>) -> usize {
    match clear_every {
        Some(k) if k > 0 => reloads % k,
        _ => reloads,
    }
}

/// A line `a + b·r` fitted to a series of counts, where `r` is
/// [`reloads_since_clear`] after the i-th reload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Linear {
    /// Count right after the first load (or right after a clear and a load).
    pub base: usize,
    /// Growth per reload.
    pub slope: usize,
    /// Whether every point of the series lies on the line.
    pub exact: bool,
}

impl Linear {
    /// Fits `series[i]` = count after reload i (index 0: after the first load).
    pub fn fit(series: &[usize], clear_every: Option<usize>) -> Linear {
        let base = series.first().copied().unwrap_or(0);
        let slope = match series.get(1) {
            Some(&s) if clear_every != Some(1) => s.saturating_sub(base),
            _ => 0,
        };
        let exact = series
            .iter()
            .enumerate()
            .all(|(i, &v)| v == base + slope * reloads_since_clear(i, clear_every));
        Linear { base, slope, exact }
    }

    /// `"1 + 1·N"`, or `"1 + 1·(N mod 10)"` with a clear period.
    pub fn formula(&self, clear_every: Option<usize>) -> String {
        let var = match clear_every {
            Some(k) if k > 0 => format!("(N mod {k})"),
            _ => "N".to_string(),
        };
        if self.slope == 0 {
            format!("{}", self.base)
        } else {
            format!("{} + {}·{var}", self.base, self.slope)
        }
    }
}
