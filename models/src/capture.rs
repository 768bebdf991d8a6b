//! Running a checker that reports failures by panicking, and capturing the report.
//!
//! loom (and the model's own oracle and scenario checks) report a failure by panicking.
//! [`run_captured`] runs a closure with the panic message captured instead of printed,
//! and returns it, so a harness can classify it and keep going.

use std::cell::RefCell;
use std::panic::{self, AssertUnwindSafe};
use std::sync::Once;

thread_local! {
    static QUIET: RefCell<bool> = const { RefCell::new(false) };
    static LAST: RefCell<Option<String>> = const { RefCell::new(None) };
}

fn install_hook() {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            let quiet = QUIET.with(|q| *q.borrow());
            if !quiet {
                previous(info);
                return;
            }
            let payload = info.payload();
            let msg = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "(non-string panic payload)".to_string());
            let msg = match info.location() {
                Some(l) => format!("{msg}\n    (panicked at {}:{})", l.file(), l.line()),
                None => msg,
            };
            // Keep the first message: loom may panic again while unwinding.
            LAST.with(|l| {
                l.borrow_mut().get_or_insert(msg);
            });
        }));
    });
}

/// Runs `f`; returns `Ok` if it returned, or the first panic message it raised.
/// Panic output is suppressed on this OS thread while `f` runs.
pub fn run_captured<R>(f: impl FnOnce() -> R) -> Result<R, String> {
    install_hook();
    LAST.with(|l| *l.borrow_mut() = None);
    QUIET.with(|q| *q.borrow_mut() = true);
    let result = panic::catch_unwind(AssertUnwindSafe(f));
    QUIET.with(|q| *q.borrow_mut() = false);
    result.map_err(|payload| {
        LAST.with(|l| l.borrow_mut().take())
            .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "(panic without a message)".to_string())
    })
}
