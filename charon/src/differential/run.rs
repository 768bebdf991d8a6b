//! Applying generated sequences to a real charon and to the model, step by step, and
//! comparing what each holds after every step.
//!
//! One charon serves sequence after sequence. Every sequence ends with `UnloadAll,
//! ClearCreds`, compared like the other steps, raw-key objects alive anywhere included,
//! so a sequence that passes has left the daemon as empty as the model; before the next
//! one the session checks it again (no raw-key object alive, no store list node, no
//! connection in `--list-conns`) and fails the run if not. After a divergence, or when
//! the last run left things loaded, the next sequence gets a fresh charon. The check
//! can be trusted because the scan counts only blocks that start a glibc chunk in use
//! ([`crate::scan`]): a long-lived heap keeps stale copies of freed objects and nodes
//! inside free chunks, whose contents match as well as live ones. Before the scan walked
//! the chunks, a reused 5.9.8 showed such copies as raw-key objects while nothing was
//! loaded, and once a list node too many; [`Session::stale_max`] reports how many copies
//! one scan rejected.

use super::gen::{Sequence, Step};
use crate::daemon::{Charon, Options, Release, Work};
use crate::scan::scan_store;
use anyhow::{bail, Context, Result};
use serde::Serialize;
use std::path::{Path, PathBuf};
use swan_credstore::identity::hex;
use swan_credstore::swanctl::sim::{pubkey_folder_as_swanctl, ModelDaemon};
use swan_credstore::swanctl::Config;
use swan_credstore::vici::{AuthClass, Side, Vici};
use swan_credstore::{CertStore, Flow, SubjectCell};

/// What one side holds after a step.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct State {
    /// Whether the step was rejected (swanctl failed / the model could not read the file).
    pub rejected: bool,
    /// Distinct raw-key objects in the credential store.
    pub stored_objects: usize,
    /// The store's list nodes that point to raw-key objects.
    pub list_nodes: usize,
    /// Raw-key objects alive anywhere (store and loaded connections): the scan counts
    /// those that start a chunk in use (daemon), the census counts live ones (model).
    pub live_objects: usize,
    /// Entries `swanctl --list-certs --type pubkey` shows.
    pub listed: usize,
    /// The subjects of the stored objects, a sorted multiset (daemon: read from
    /// charon's memory, [`crate::scan::RawSubject`]; spelled by [`super::subject`]).
    pub subjects: Vec<String>,
    /// What `--list-certs` shows, sorted: each entry's key id (hex) and its `subject:`
    /// line (`None`: no such line; model: [`super::subject::listed`]).
    pub listing: Vec<(String, Option<String>)>,
    /// What `--list-conns` shows of each connection's auth rounds: one line
    /// `name local|remote CLASS id=… certs=…` per round, connections sorted by name,
    /// rounds in swanctl's order (`id-` / `certs-`: no such line; certs are the subject
    /// certs' subjects, `%Y`, joined by blanks, as swanctl joins them).
    pub conns: Vec<String>,
}

/// The figures [`State::compared`] compares.
pub type Compared<'a> = (
    bool,
    usize,
    usize,
    usize,
    usize,
    &'a [String],
    &'a [(String, Option<String>)],
    &'a [String],
);

impl State {
    /// The figures the differential compares: all of them.
    pub fn compared(&self) -> Compared<'_> {
        (
            self.rejected,
            self.stored_objects,
            self.list_nodes,
            self.live_objects,
            self.listed,
            &self.subjects,
            &self.listing,
            &self.conns,
        )
    }
}

/// The first step at which the daemon and the model differ.
#[derive(Clone, Debug, Serialize, serde::Deserialize)]
pub struct Divergence {
    /// 0-based index of the step.
    pub step: usize,
    /// The step.
    pub what: String,
    /// The daemon's state after it.
    pub daemon: State,
    /// The model's state after it.
    pub model: State,
}

/// A charon kept running across sequences, with its work folder.
pub struct Session<'w> {
    work: &'w Work,
    charon: Charon<'w>,
    /// Steps compared so far.
    pub steps: usize,
    /// Charons started.
    pub restarts: usize,
    /// The most stale copies one scan rejected ([`crate::scan::StoreScan::stale`]).
    pub stale_max: usize,
    /// Whether the last sequence ran to its end without a divergence (then the charon
    /// is reused).
    clean: bool,
}

impl<'w> Session<'w> {
    /// Starts charon in `work`.
    pub fn start(work: &'w Work) -> Result<Session<'w>> {
        let charon = Charon::start(work, Options::default())?;
        Ok(Session {
            work,
            charon,
            steps: 0,
            restarts: 0,
            stale_max: 0,
            clean: false,
        })
    }

    /// Makes `pubkey/` hold exactly `folder` (names of the pool, [`super::gen::pool`]).
    fn fill_pubkey(&self, folder: &[&str]) -> Result<()> {
        let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/data/keys");
        let dir = self.work.swanctl_dir().join("pubkey");
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("cannot create {}", dir.display()))?;
        let cert = self.work.swanctl_dir().join("x509").join(super::gen::CERT);
        std::fs::copy(fixtures.join(super::gen::CERT), &cert)
            .with_context(|| format!("cannot copy {}", cert.display()))?;
        for k in folder.iter().filter(|&&k| k != super::gen::MISSING) {
            let to = dir.join(k);
            std::fs::copy(fixtures.join(k), &to)
                .with_context(|| format!("cannot copy key {k} to {}", to.display()))?;
        }
        Ok(())
    }

    fn swanctl(&self, args: &[&str], dir: Option<&Path>) -> Result<String> {
        self.charon.swanctl(args, dir)
    }

    fn empty(&self) -> PathBuf {
        self.work.dir().join("empty")
    }

    /// Starts a fresh charon for the next sequence (see the module docs for why a
    /// daemon is not reused) and checks that its store is empty.
    /// Readies the charon for the next sequence: the same one when the last sequence
    /// ran to its end (`UnloadAll, ClearCreds`, compared) and the charon is empty, a
    /// fresh one otherwise (the first sequence, after a divergence, after
    /// [`daemon_series`]). See the module docs for why reuse is sound.
    fn reset(&mut self) -> Result<()> {
        if std::mem::take(&mut self.clean) {
            let why = self.not_empty()?;
            if why.is_empty() {
                return Ok(());
            }
            bail!("a reused charon is not empty after UnloadAll, ClearCreds: {why}");
        }
        self.restarts += 1;
        self.charon.stop(std::time::Duration::from_secs(10));
        self.charon = Charon::start(self.work, Options::default())?;
        let why = self.not_empty()?;
        if !why.is_empty() {
            bail!("a freshly started charon is not empty: {why}");
        }
        Ok(())
    }

    /// What the charon still holds (empty: nothing): raw-key objects anywhere, store
    /// list nodes, connections.
    fn not_empty(&mut self) -> Result<String> {
        let scan = scan_store(self.charon.pid())?;
        self.stale_max = self.stale_max.max(scan.stale);
        let conns = super::listing::parse_list_conns(&self.swanctl(&["--list-conns"], None)?);
        let mut why = Vec::new();
        if scan.live_objects + scan.list_nodes > 0 {
            why.push(format!(
                "{} raw-key objects, {} list nodes",
                scan.live_objects, scan.list_nodes
            ));
        }
        if !conns.is_empty() {
            why.push(format!("connections {conns:?}"));
        }
        Ok(why.join("; "))
    }

    fn unload_all(&self) -> Result<()> {
        let file = self.work.inner_path(&self.empty().join("swanctl.conf"));
        let file = file.display().to_string();
        self.swanctl(&["--load-conns", "--file", &file], None)?;
        Ok(())
    }

    fn clear_creds(&self) -> Result<()> {
        let empty = self.work.inner_path(&self.empty());
        let file = empty.join("swanctl.conf").display().to_string();
        self.swanctl(
            &["--load-creds", "--clear", "--noprompt", "--file", &file],
            Some(&empty),
        )?;
        Ok(())
    }

    fn state(&mut self, rejected: bool) -> Result<State> {
        let scan = scan_store(self.charon.pid())?;
        self.stale_max = self.stale_max.max(scan.stale);
        let listing = super::listing::parse_listing(
            &self.swanctl(&["--list-certs", "--type", "pubkey"], None)?,
        );
        let conns = super::listing::parse_list_conns(&self.swanctl(&["--list-conns"], None)?);
        let mut subjects: Vec<String> = scan
            .subjects
            .iter()
            .map(super::subject::from_memory)
            .collect();
        subjects.sort();
        Ok(State {
            rejected,
            stored_objects: scan.stored_objects,
            list_nodes: scan.list_nodes,
            live_objects: scan.live_objects,
            listed: listing.len(),
            subjects,
            listing,
            conns,
        })
    }

    /// charon's log, for reports.
    pub fn logs(&self) -> String {
        self.charon.logs()
    }
}

fn model_state(model: &ModelDaemon, flow: Flow, rejected: bool) -> State {
    match flow {
        Flow::PreFix => vici_state(model.pre_fix(), rejected),
        Flow::UpstreamFix => vici_state(model.upstream_fix(), rejected),
    }
}

fn vici_state<C: SubjectCell, S: CertStore<C>>(vici: &Vici<C, S>, rejected: bool) -> State {
    let store = vici.store();
    let mut subjects: Vec<String> = store
        .stored()
        .iter()
        .map(|c| super::subject::from_model(&c.subject()))
        .collect();
    subjects.sort();
    let mut listing: Vec<(String, Option<String>)> = store
        .list_certs()
        .iter()
        .map(|c| (hex(&c.key().key_id()), super::subject::listed(&c.subject())))
        .collect();
    listing.sort();
    let mut conns = Vec::new();
    for name in vici.connections() {
        for (side, class, id, certs) in vici.connection_rounds(&name).unwrap_or_default() {
            let side = match side {
                Side::Local => "local",
                Side::Remote => "remote",
            };
            let side = format!("{side} {}", AuthClass::list_conns_name(class));
            // `-` where swanctl prints no line (no identity rule, no subject certs).
            let id = id.as_ref().map_or("-".to_string(), |i| {
                format!("={}", super::subject::percent_y(i))
            });
            let certs: Vec<String> = certs.iter().map(super::subject::percent_y).collect();
            let certs = if certs.is_empty() {
                "-".to_string()
            } else {
                format!("={}", certs.join(" "))
            };
            conns.push(format!("{name} {side} id{id} certs{certs}"));
        }
    }
    // By connection; the rounds of one keep their order.
    conns.sort_by(|a, b| a.split(' ').next().cmp(&b.split(' ').next()));
    State {
        rejected,
        stored_objects: store.stored_objects(),
        list_nodes: store.list_nodes(),
        live_objects: vici.census().live(),
        listed: listing.len(),
        subjects,
        listing,
        conns,
    }
}

/// `swanctl --load-conns` of `text` (keys from the pool, `pubkey/` holding `folder`)
/// `loads` times on a fresh charon; the stored raw-key objects after each load, as the
/// memory scan counts them. What `predict` is compared with (`tests/real_predict.rs`).
pub fn daemon_series(
    session: &mut Session,
    text: &str,
    folder: &[&str],
    loads: usize,
) -> Result<Vec<usize>> {
    session.reset()?;
    session.fill_pubkey(folder)?;
    let file = session.work.swanctl_dir().join("predict.conf");
    std::fs::write(&file, text).with_context(|| format!("cannot write {}", file.display()))?;
    let inner = session.work.inner_path(&file).display().to_string();
    let mut series = Vec::new();
    for _ in 0..loads {
        session.swanctl(&["--load-conns", "--file", &inner], None)?;
        series.push(scan_store(session.charon.pid())?.stored_objects);
    }
    Ok(series)
}

/// Runs `seq` on the session's charon and on a fresh model (the flow of the session's
/// release); `Ok(Some(_))` at the first step where they differ.
pub fn run_sequence(
    session: &mut Session,
    release: Release,
    seq: &Sequence,
) -> Result<Option<Divergence>> {
    run_texts(
        session,
        release.flow(),
        &seq.texts(),
        &seq.folder(),
        &seq.steps,
    )
}

/// Runs `steps` over the swanctl.conf files `texts` with `pubkey/` holding `folder`
/// (names of the pool, [`super::gen::pool`]) on a fresh charon and a fresh model in `flow` (the daemon's
/// own flow, or another one for a negative control); `Ok(Some(_))` at the first step
/// where they differ. This is how the regression fixtures (tests/data/differential/)
/// run too.
pub fn run_texts(
    session: &mut Session,
    flow: Flow,
    texts: &[String],
    folder: &[&str],
    steps: &[Step],
) -> Result<Option<Divergence>> {
    session.reset()?;
    session.fill_pubkey(folder)?;
    let dir = session.work.swanctl_dir();
    let files: Vec<PathBuf> = (0..texts.len())
        .map(|i| dir.join(format!("differential-{i}.conf")))
        .collect();
    for (text, file) in texts.iter().zip(&files) {
        std::fs::write(file, text).with_context(|| format!("cannot write {}", file.display()))?;
    }
    // What swanctl reads: a file with a syntax error is an empty configuration. What
    // the model does not follow at all is the harness's failure, not a "rejected" step.
    let configs: Vec<Option<Config>> = files
        .iter()
        .map(|f| {
            Config::load_as_swanctl(f)
                .map(|(c, _)| Some(c))
                .map_err(|e| anyhow::anyhow!("the model does not follow this input: {e}"))
        })
        .collect::<Result<_>>()?;
    let model = ModelDaemon::new();
    let none = Config::parse("", &dir.join("none.conf")).context("an empty config")?;
    let inner = |v: usize| session.work.inner_path(&files[v]).display().to_string();
    let tail = [Step::UnloadAll, Step::ClearCreds];
    for (i, step) in steps.iter().chain(&tail).enumerate() {
        let (daemon_rejected, model_rejected) = match *step {
            Step::LoadConns(v) => {
                let daemon = session
                    .swanctl(&["--load-conns", "--file", &inner(v)], None)
                    .is_err();
                match &configs[v] {
                    Some(cfg) => (daemon, !model.load_conns(cfg)),
                    None => (daemon, true),
                }
            }
            Step::LoadAll { file, clear } => {
                let f = inner(file);
                let mut args = vec!["--load-all", "--noprompt", "--file", &f];
                if clear {
                    args.push("--clear");
                }
                let daemon = session.swanctl(&args, None).is_err();
                let cfg = configs[file]
                    .as_ref()
                    .context("a generated version parses")?;
                let ok = model.load_all(cfg, &pubkey_folder_as_swanctl(cfg)?, clear);
                (daemon, !ok)
            }
            Step::LoadCreds => {
                let f = inner(0);
                let args = ["--load-creds", "--clear", "--noprompt", "--file", &f];
                let daemon = session.swanctl(&args, None).is_err();
                let cfg = configs[0].as_ref().context("a generated version parses")?;
                model.load_creds(&pubkey_folder_as_swanctl(cfg)?, true);
                (daemon, false)
            }
            Step::ClearCreds => {
                session.clear_creds()?;
                model.clear_creds();
                (false, false)
            }
            Step::UnloadAll => {
                session.unload_all()?;
                model.load_conns(&none);
                (false, false)
            }
        };
        session.steps += 1;
        let daemon = session.state(daemon_rejected)?;
        let model = model_state(&model, flow, model_rejected);
        if daemon.compared() != model.compared() {
            session.clean = false;
            return Ok(Some(Divergence {
                step: i,
                what: format!("{step:?}"),
                daemon,
                model,
            }));
        }
    }
    session.clean = true;
    Ok(None)
}
