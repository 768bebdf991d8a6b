//! The shuttle checker: runs a case through the shared run loop ([`crate::run`]) under
//! shuttle's PCT or random scheduler with a fixed seed and iteration budget, or under its
//! depth-first scheduler (every schedule, up to a budget: the cross-check of loom); and
//! replays a failing schedule.
//!
//! shuttle reports a failure by panicking after writing the failing schedule to a file;
//! the harness points shuttle at a per-process directory, reads the schedule back into
//! the record, and `cargo xtask replay` hands it to [`replay`], which reruns exactly that
//! interleaving with the step recorder on.

use crate::capture::run_captured;
use crate::dfs::BoundedDfs;
use crate::dispatch::{self, Body};
use crate::expect::Case;
use crate::findings;
use crate::ladder::UNBOUNDED;
use crate::record::{Bounds, Checker, Record};
use crate::run::{self, Observed};
use crate::scenarios;
use crate::storm::StormSize;
use shuttle::scheduler::{PctScheduler, RandomScheduler, ReplayScheduler, Scheduler};
use shuttle::{Config, FailurePersistence, Runner};
use std::path::PathBuf;
use std::sync::Mutex;

/// How to run shuttle.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ShuttleOptions {
    /// Executions to run (the run stops earlier at the first failure).
    pub iterations: usize,
    /// PCT's bug depth: how many priority change points each execution gets.
    pub pct_depth: usize,
    /// Seed of the scheduler's random choices.
    pub seed: u64,
    /// The storm's size.
    pub size: StormSize,
    /// The depth-first scheduler's budget: a `shuttle_dfs` row that has not run out of
    /// schedules after this many executions stops there and says it is not exhaustive.
    pub dfs_max: usize,
    /// The depth-first scheduler's preemption bound: `None` runs each row at its plan
    /// ([`crate::ladder::dfs_bound`]); `Some(UNBOUNDED)` runs every schedule.
    pub dfs_bound: Option<usize>,
}

impl ShuttleOptions {
    /// The default run of `verify`: the storm at [`StormSize::SHUTTLE`], 100 executions per
    /// scheduler, PCT depth 20, seed 1.
    pub const DEFAULT: ShuttleOptions = ShuttleOptions {
        iterations: 100,
        pct_depth: 20,
        seed: 1,
        size: StormSize::SHUTTLE,
        dfs_max: 200_000,
        dfs_bound: None,
    };

    /// The `--full` run: 1,000 executions per scheduler.
    pub const FULL: ShuttleOptions = ShuttleOptions {
        iterations: 1000,
        ..ShuttleOptions::DEFAULT
    };
}

/// shuttle's failure hook keeps the configuration of the first run in the process, so
/// every run persists schedules to the same directory, one run at a time.
static RUN_LOCK: Mutex<()> = Mutex::new(());

fn schedule_dir() -> PathBuf {
    std::env::temp_dir().join(format!("swan-credstore-shuttle-{}", std::process::id()))
}

fn config() -> Config {
    let mut config = Config::new();
    config.failure_persistence = FailurePersistence::File(Some(schedule_dir()));
    config.silence_warnings = true;
    // Timelines are formatted on the model threads' stacks; shuttle's default (60 KiB)
    // is too small for a panic raised deep inside the store.
    config.stack_size = 1 << 20;
    config
}

/// Runs `f` (one whole replay, concluded into its record) on an OS thread of its own,
/// with this thread's [`findings`] mode.
///
/// When a failing execution is torn down, shuttle may leave a task's unwinding
/// unfinished, and with it the thread's panic count raised (tasks are coroutines on the
/// thread that runs them); a replay on such a thread can stop at a step it should take
/// ("scheduled task is not runnable"), and a check after a replay on one thread failed
/// with an error at its first execution (both measured). The run's findings and recorder
/// are thread-local, so the record is concluded on the same thread. Checks stay on the
/// calling thread: their records (which number atomic values by first appearance, so
/// depend on where the allocator reuses addresses) repeat exactly there, and on fresh
/// threads they did not (measured: `verify --repeat 10`, a storm counterexample).
fn on_own_thread<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    let fatal = findings::is_fatal();
    std::thread::Builder::new()
        .name("shuttle-run".into())
        .stack_size(8 << 20)
        .spawn(move || {
            findings::set_fatal(fatal);
            f()
        })
        .expect("cannot start a thread for the shuttle run")
        .join()
        .unwrap_or_else(|e| std::panic::resume_unwind(e))
}

/// Runs `body` with `scheduler` through the shared run loop; returns what it observed
/// and the failing schedule, if any.
fn run<S: Scheduler + 'static>(scheduler: S, body: Body) -> (Observed, Option<String>) {
    let _one_at_a_time = RUN_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let dir = schedule_dir();
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("cannot create the shuttle schedule directory");
    let runner = Runner::new(scheduler, config());
    let observed = run::run(body, true, move |exec| {
        runner.run(move || exec.run());
    });
    // The first failure's schedule: a panic in one task can make another fail while the
    // execution unwinds, and shuttle persists each (schedule000.txt, schedule001.txt, …,
    // in no particular directory order); only the first replays.
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|entries| entries.filter_map(|e| e.ok()).map(|e| e.path()).collect())
        .unwrap_or_default();
    files.sort();
    let schedule = files
        .first()
        .and_then(|path| std::fs::read_to_string(path).ok())
        .map(|s| s.split_whitespace().collect::<String>());
    let _ = std::fs::remove_dir_all(&dir);
    (observed, schedule)
}

/// Runs `case` (a `shuttle_dfs`, `shuttle_pct` or `shuttle_random` row) with `opts`.
pub fn check(case: &Case, opts: &ShuttleOptions) -> Record {
    let body = dispatch::body(
        case.scenario,
        case.scope,
        case.variant,
        case.flow,
        opts.size,
    )
    .expect("every runnable case has a body");
    check_body(case, body, opts)
}

/// Runs `body` under the shuttle scheduler of `case.checker` and labels the record with
/// `case` (a cell from outside the matrix goes through [`crate::check::check_cell`]).
pub fn check_body(case: &Case, body: Body, opts: &ShuttleOptions) -> Record {
    if case.checker == Checker::ShuttleDfs {
        return check_dfs(case, body, opts);
    }
    let iterations = opts.iterations;
    let (observed, schedule) = match case.checker {
        Checker::ShuttlePct => run(
            PctScheduler::new_from_seed(opts.seed, opts.pct_depth, iterations),
            body,
        ),
        _ => run(RandomScheduler::new_from_seed(opts.seed, iterations), body),
    };
    let pct_depth = (case.checker == Checker::ShuttlePct).then_some(opts.pct_depth);
    let bounds = sampled_bounds(
        case,
        &opts.size,
        iterations as u64,
        pct_depth,
        Some(opts.seed),
    );
    run::conclude(case, observed, bounds, schedule)
}

/// Runs `body` under the depth-first scheduler ([`crate::dfs`]), which enumerates the
/// schedules of the scenario's scheduling points (each facade cell access, lock and
/// atomic operation, spawn and join) with no reduction, within the row's preemption
/// bound. A run that exhausted the tree within `opts.dfs_max` executions covered every
/// schedule within that bound (`exhaustive: true`); one stopped by the budget did not,
/// and says so (`exhaustive: false`, `max_iterations`).
fn check_dfs(case: &Case, body: Body, opts: &ShuttleOptions) -> Record {
    let bound = match opts.dfs_bound {
        Some(UNBOUNDED) => None,
        Some(b) => Some(b),
        None => crate::ladder::dfs_bound(case),
    };
    let (scheduler, progress) = BoundedDfs::new(bound, opts.dfs_max);
    let (observed, schedule) = run(scheduler, body);
    let (threads, operations) = scenarios::shape_in(case.scenario, case.scope, &StormSize::SHUTTLE);
    // A failure ends the run early: its verdict stands, and it is exhaustive in the sense
    // that matters (a counterexample needs no more schedules).
    let finished = progress.finished() || observed.panic.is_some();
    let bounds = Bounds {
        threads,
        operations,
        preemption_bound: bound,
        exhaustive: finished,
        max_iterations: (!finished).then_some(opts.dfs_max as u64),
        pct_depth: None,
        seed: None,
    };
    run::conclude(case, observed, bounds, schedule)
}

/// The bounds of a sampled (non-exhaustive) run of `case`.
fn sampled_bounds(
    case: &Case,
    size: &StormSize,
    max_iterations: u64,
    pct_depth: Option<usize>,
    seed: Option<u64>,
) -> Bounds {
    let (threads, operations) = scenarios::shape(case.scenario, size);
    Bounds {
        threads,
        operations,
        preemption_bound: None,
        exhaustive: false,
        max_iterations: Some(max_iterations),
        pct_depth,
        seed,
    }
}

/// Replays `schedule` for `case` and returns the record of that one execution, with its
/// timeline. The checker column reads `shuttle_replay`. A schedule that is not one shuttle
/// printed is an error, not a panic.
pub fn replay(case: &Case, schedule: &str, size: StormSize) -> Result<Record, String> {
    let (case, schedule) = (case.clone(), schedule.to_string());
    on_own_thread(move || replay_here(&case, &schedule, size))
}

/// [`replay`] on the calling thread.
fn replay_here(case: &Case, schedule: &str, size: StormSize) -> Result<Record, String> {
    let schedule: String = schedule.split_whitespace().collect();
    let well_formed = !schedule.is_empty()
        && schedule.len().is_multiple_of(2)
        && schedule.chars().all(|c| c.is_ascii_hexdigit());
    let scheduler = well_formed
        .then(|| run_captured(|| ReplayScheduler::new_from_encoded(&schedule)).ok())
        .flatten()
        .ok_or("not a shuttle schedule: paste the hex string a failing run printed (or @FILE)")?;
    let body = dispatch::body(case.scenario, case.scope, case.variant, case.flow, size)
        .expect("every runnable case has a body");
    let (observed, _) = run(scheduler, body);
    let case = Case {
        checker: Checker::ShuttleReplay,
        ..case.clone()
    };
    let bounds = sampled_bounds(&case, &size, 1, None, None);
    Ok(run::conclude(&case, observed, bounds, Some(schedule)))
}
