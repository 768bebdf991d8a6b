//! `predict`'s sequence of swanctl commands, run against the model with either store:
//! [`Method::Faithful`] ([`CredentialStore`], `mem_cred_t`'s linear-scan dedup) or
//! [`Method::Fast`] ([`MirrorStore`], the same lists with a hash index; see
//! `mirror.rs` for why its figures are the same).
//!
//! Everything else is the model itself: the same `Vici` flows, cert objects, subject
//! cells and connection merging run in both methods, in the same order, with every key
//! parsed afresh for every message as charon does. Only the store's dedup lookup
//! differs.
//!
//! This file depends on `swan_credstore` and `std` only, so that
//! `tests/swanctl_predict.rs` can compile it as it is and compare both methods with a
//! counting allocator of its own.

use super::mirror::{Meter, MirrorStore, Settle};
use swan_credstore::store::{CertStore, CredentialStore};
use swan_credstore::subject::SubjectCell;
use swan_credstore::swanctl::sim::load_pubkey_cert;
use swan_credstore::vici::{ConnSpec, Flow, LoadFn};
use swan_credstore::{Immutable, Locked, Vici};

/// Which store runs the sequence.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    /// `mem_cred_t`'s store: a linear scan per dedup (quadratic in the pre-fix leak).
    Faithful,
    /// The same lists with a hash index ([`MirrorStore`]).
    Fast,
}

/// One swanctl command of the sequence, as the model replays it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(clippy::enum_variant_names)] // named after swanctl's commands
pub enum Command {
    /// `swanctl --load-conns`: `load_conns_cfg` (load_conns.c), one `load-conn` per
    /// connection of the file, in order.
    LoadConns,
    /// `swanctl --load-all [--clear]` (load_all.c, `load_all`): `load_creds_cfg`
    /// (load_creds.c: `clear_creds` if `clear`, then `load_certs` of each X.509 folder
    /// and of `pubkey/`, private keys, containers, tokens, secrets), then
    /// `load_authorities_cfg`, `load_pools_cfg`, `load_conns_cfg`. The model replays the
    /// clear, the `pubkey/` files (one vici `load-cert` each, [`load_pubkey_cert`]) and
    /// the connections; the rest makes no raw-key objects.
    LoadAll {
        /// `--clear`.
        clear: bool,
    },
    /// `swanctl --load-creds [--clear]` (load_creds.c, `load_creds` →
    /// `load_creds_cfg`) followed by `swanctl --load-conns`: for the store, the same
    /// vici messages in the same order as [`Command::LoadAll`].
    LoadCredsThenConns {
        /// `--clear`.
        clear: bool,
    },
}

impl Command {
    /// Whether the command sends the `pubkey/` files.
    pub fn loads_creds(self) -> bool {
        !matches!(self, Command::LoadConns)
    }

    /// Whether the command starts with `clear-creds`.
    pub fn clears(self) -> bool {
        matches!(
            self,
            Command::LoadAll { clear: true } | Command::LoadCredsThenConns { clear: true }
        )
    }
}

/// The sequence: the first `command`, then `reloads` more; with `clear_every = Some(k)`,
/// a vici `clear-creds` right before every k-th reload as well.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sequence {
    /// The command run at every step (the first load and every reload).
    pub command: Command,
    /// Reloads after the first load.
    pub reloads: usize,
    /// An extra clear-creds before every k-th reload.
    pub clear_every: Option<usize>,
}

impl Sequence {
    /// The clear period the figures follow: 1 when every command clears.
    pub fn effective_clear_every(&self) -> Option<usize> {
        if self.command.clears() {
            Some(1)
        } else {
            self.clear_every
        }
    }
}

/// What one run replays: the connections' `load-conn` messages (built afresh for every
/// step) and the DER of every `pubkey/` file.
pub struct Workload<'a> {
    /// The `load-conn` messages of one step, in order.
    pub specs: &'a dyn Fn() -> Vec<ConnSpec>,
    /// The `pubkey/` files (for the commands that load credentials).
    pub creds: &'a [Vec<u8>],
}

/// The figures after some step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sample {
    /// Reloads done.
    pub reloads: usize,
    /// Raw-key cert objects stored.
    pub stored_objects: usize,
    /// Store list nodes (`untrusted` + `trusted`).
    pub list_nodes: usize,
    /// Live heap bytes of the model state (store, certs, loaded connections).
    pub heap_bytes: usize,
}

/// A run's checkpoints and the stored-object count after every step.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Run {
    /// One sample per requested checkpoint that is `<= reloads`, in step order.
    pub samples: Vec<Sample>,
    /// `series[i]`: stored objects after reload i (0: after the first load).
    pub series: Vec<usize>,
}

/// How often (in steps) the progress callback is called.
pub const PROGRESS_EVERY: usize = 1024;

/// Runs `sequence` in `flow` with `method`. `progress(steps)` is called every
/// [`PROGRESS_EVERY`] steps and after the last with the steps done since its last call;
/// whatever it allocates is not counted.
pub fn run<M: Meter>(
    flow: Flow,
    method: Method,
    work: &Workload,
    sequence: &Sequence,
    checkpoints: &[usize],
    progress: &mut dyn FnMut(usize),
) -> Run {
    fn pre<S: CertStore<Locked> + Settle, M: Meter>(
        w: &Workload,
        s: &Sequence,
        c: &[usize],
        p: &mut dyn FnMut(usize),
    ) -> Run {
        run_with::<Locked, S, M>(Vici::<Locked, S>::load_conn_pre_fix, w, s, c, p)
    }
    fn fix<S: CertStore<Immutable> + Settle, M: Meter>(
        w: &Workload,
        s: &Sequence,
        c: &[usize],
        p: &mut dyn FnMut(usize),
    ) -> Run {
        run_with::<Immutable, S, M>(Vici::<Immutable, S>::load_conn_upstream_fix, w, s, c, p)
    }
    let (w, s, c, p) = (work, sequence, checkpoints, progress);
    match (flow, method) {
        (Flow::PreFix, Method::Faithful) => pre::<CredentialStore<Locked>, M>(w, s, c, p),
        (Flow::PreFix, Method::Fast) => pre::<MirrorStore<Locked, M>, M>(w, s, c, p),
        (Flow::UpstreamFix, Method::Faithful) => fix::<CredentialStore<Immutable>, M>(w, s, c, p),
        (Flow::UpstreamFix, Method::Fast) => fix::<MirrorStore<Immutable, M>, M>(w, s, c, p),
    }
}

/// The sequence with the load flow `load` on a store of type `S`.
///
/// Heap bytes are `M::live()` at the checkpoint minus `M::live()` right after the empty
/// model was created, minus what the progress callback and the store's own bookkeeping
/// ([`Settle::excluded_bytes`]) hold. The series and sample vectors are allocated before
/// the first reading and never grow.
pub fn run_with<C: SubjectCell, S: CertStore<C> + Settle, M: Meter>(
    load: LoadFn<C, S>,
    work: &Workload,
    sequence: &Sequence,
    checkpoints: &[usize],
    progress: &mut dyn FnMut(usize),
) -> Run {
    let reloads = sequence.reloads;
    let mut series = Vec::with_capacity(reloads + 1);
    let mut samples = Vec::with_capacity(checkpoints.len());
    let vici: Vici<C, S> = Vici::new();
    let baseline = M::live();
    let mut outside: isize = 0;
    let mut unreported = 0;
    for i in 0..=reloads {
        if i > 0 && sequence.clear_every.is_some_and(|k| k > 0 && i % k == 0) {
            vici.clear_creds();
        }
        if sequence.command.clears() {
            vici.clear_creds();
        }
        if sequence.command.loads_creds() {
            for der in work.creds {
                // Every file was read as a key (the same parser) before the run.
                let loaded = load_pubkey_cert(&vici, der);
                debug_assert!(loaded.is_ok(), "pubkey files are checked when read");
                vici.store().settle();
            }
        }
        for spec in (work.specs)() {
            load(&vici, &spec);
            vici.store().settle();
        }
        let store = vici.store();
        series.push(store.stored_objects());
        if checkpoints.contains(&i) {
            let live = M::live() as isize - baseline as isize;
            samples.push(Sample {
                reloads: i,
                stored_objects: store.stored_objects(),
                list_nodes: store.list_nodes(),
                heap_bytes: (live - outside - store.excluded_bytes()).max(0) as usize,
            });
        }
        unreported += 1;
        if unreported == PROGRESS_EVERY || i == reloads {
            let before = M::live();
            progress(unreported);
            outside += M::live() as isize - before as isize;
            unreported = 0;
        }
    }
    Run { samples, series }
}
