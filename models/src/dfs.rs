//! A depth-first shuttle scheduler with a preemption bound: the `shuttle_dfs` checker's
//! exploration, written here so the cross-check of loom shares none of loom's code.
//!
//! It enumerates schedules as a tree of scheduling decisions. At every scheduling point
//! shuttle hands it the runnable tasks; it tries the running task first (no preemption),
//! then every other runnable task in shuttle's order. Switching away from a task that
//! could have gone on (runnable and not yielding) is a *preemption*; once an execution
//! has made `bound` of them, only the running task may go on while it can. With no bound
//! this is a plain depth-first enumeration of every schedule, as shuttle's own
//! `DfsScheduler` does; unlike loom it applies no partial-order reduction, so two
//! schedules that differ only in the order of independent steps are both run.
//!
//! # Guarantees
//! When [`BoundedDfs::finished`] is true, every schedule of the scenario with at most
//! `bound` preemptions (every schedule, with no bound) was run once. When the budget of
//! executions ran out first, the record says so (`exhaustive: false`).
//!
//! # Requires
//! Each execution must make the same decisions given the same earlier choices (a
//! deterministic body). A scenario whose scheduling points depend on state left by an
//! earlier execution (crossbeam-epoch's global collector, for one) breaks the replay of a
//! prefix; the scheduler then stops that row with a panic saying so, which the record
//! reports as an `error`, never as a verdict.

use shuttle::scheduler::{Schedule, Scheduler, Task, TaskId};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

/// One scheduling decision: the tasks that could be chosen there (the running task
/// first), and which of them the current execution takes.
#[derive(Debug)]
struct Level {
    options: Vec<TaskId>,
    taken: usize,
    /// Whether taking an option other than the first is a preemption here.
    preempts: bool,
}

/// What a finished exploration reports back (shared, since shuttle's `Runner` owns the
/// scheduler).
#[derive(Clone, Debug, Default)]
pub struct Progress {
    finished: Arc<AtomicBool>,
    executions: Arc<AtomicU64>,
}

impl Progress {
    /// Whether the tree was exhausted (every schedule within the bound ran).
    pub fn finished(&self) -> bool {
        self.finished.load(Ordering::Relaxed)
    }

    /// Executions started.
    pub fn executions(&self) -> u64 {
        self.executions.load(Ordering::Relaxed)
    }
}

/// The scheduler (see the module docs).
#[derive(Debug)]
pub struct BoundedDfs {
    bound: Option<usize>,
    max_executions: usize,
    levels: Vec<Level>,
    step: usize,
    preemptions: usize,
    progress: Progress,
}

impl BoundedDfs {
    /// Every schedule with at most `bound` preemptions (`None`: every schedule), or the
    /// first `max_executions` of them.
    pub fn new(bound: Option<usize>, max_executions: usize) -> (BoundedDfs, Progress) {
        let progress = Progress::default();
        let dfs = BoundedDfs {
            bound,
            max_executions,
            levels: Vec::new(),
            step: 0,
            preemptions: 0,
            progress: progress.clone(),
        };
        (dfs, progress)
    }

    /// Moves to the next unexplored branch: the deepest decision with an option left
    /// takes it, and everything below it is forgotten. `false` when none is left.
    fn advance(&mut self) -> bool {
        while let Some(level) = self.levels.last_mut() {
            if level.taken + 1 < level.options.len() {
                level.taken += 1;
                return true;
            }
            self.levels.pop();
        }
        false
    }
}

impl Scheduler for BoundedDfs {
    fn new_execution(&mut self) -> Option<Schedule> {
        let started = self.progress.executions();
        if started > 0 && !self.advance() {
            self.progress.finished.store(true, Ordering::Relaxed);
            return None;
        }
        if started >= self.max_executions as u64 {
            return None;
        }
        self.progress.executions.fetch_add(1, Ordering::Relaxed);
        self.step = 0;
        self.preemptions = 0;
        Some(Schedule::new(0))
    }

    fn next_task(
        &mut self,
        runnable: &[&Task],
        current: Option<TaskId>,
        is_yielding: bool,
    ) -> Option<TaskId> {
        let running = current.filter(|c| !is_yielding && runnable.iter().any(|t| t.id() == *c));
        let budget_left = !matches!(self.bound, Some(b) if self.preemptions >= b);
        let options: Vec<TaskId> = match running {
            Some(c) if !budget_left => vec![c],
            Some(c) => std::iter::once(c)
                .chain(runnable.iter().map(|t| t.id()).filter(|t| *t != c))
                .collect(),
            None => runnable.iter().map(|t| t.id()).collect(),
        };
        if self.step == self.levels.len() {
            self.levels.push(Level {
                options,
                taken: 0,
                preempts: running.is_some(),
            });
        } else {
            let level = &self.levels[self.step];
            assert!(
                level.options == options,
                "shuttle_dfs: the scenario is not deterministic: decision {} offered {:?} \
                 when this prefix was first run and {:?} now (state carried over from an \
                 earlier execution?)",
                self.step,
                level.options,
                options
            );
        }
        let level = &self.levels[self.step];
        if level.preempts && level.taken > 0 {
            self.preemptions += 1;
        }
        self.step += 1;
        Some(level.options[level.taken])
    }

    fn next_u64(&mut self) -> u64 {
        panic!("shuttle_dfs: the scenarios draw no random data")
    }
}
