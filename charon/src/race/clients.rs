//! The race's vici clients: one thread reloading the connection (`load-conn`) and two
//! listing certificates (`list-certs`, type pubkey), each in a loop until told to stop
//! or one of them fails, counting what they completed ([`Counters`]).

use crate::daemon::Charon;
use crate::vici::Message;
use anyhow::Result;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

/// What the clients completed, their first errors, and the stop flag they obey.
#[derive(Default)]
pub(super) struct Counters {
    reloads: AtomicU64,
    listings: AtomicU64,
    stop: AtomicBool,
    errors: Mutex<Vec<String>>,
}

impl Counters {
    /// `load-conn`s completed.
    pub(super) fn reloads(&self) -> u64 {
        self.reloads.load(Ordering::Relaxed)
    }
    /// `list-certs` completed (both readers).
    pub(super) fn listings(&self) -> u64 {
        self.listings.load(Ordering::Relaxed)
    }
    /// Operations completed, reloads and listings.
    pub(super) fn ops(&self) -> u64 {
        self.reloads() + self.listings()
    }
    /// Whether the clients were told to stop (or one failed).
    pub(super) fn stopped(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }
    /// Tells every client to stop after its current request.
    pub(super) fn stop(&self) {
        self.stop.store(true, Ordering::Relaxed);
    }
    /// The first five client errors.
    pub(super) fn errors(&self) -> Vec<String> {
        self.errors
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
    fn error(&self, e: String) {
        let mut v = self.errors.lock().unwrap_or_else(|p| p.into_inner());
        if v.len() < 5 {
            v.push(e);
        }
        self.stop();
    }
}

/// The client threads.
pub(super) struct Clients(Vec<JoinHandle<()>>);

impl Clients {
    /// Connects the three clients to `charon` and starts them (see the module docs).
    pub(super) fn spawn(charon: &Charon, msg: &Message, c: &Arc<Counters>) -> Result<Clients> {
        let mut handles = Vec::new();
        let mut writer = charon.vici()?;
        let msg = msg.clone();
        let cw = Arc::clone(c);
        handles.push(std::thread::spawn(move || {
            while !cw.stopped() {
                match writer.load_conn(&msg) {
                    Ok(()) => {
                        cw.reloads.fetch_add(1, Ordering::Relaxed);
                    }
                    Err(e) => cw.error(format!("writer: {e:#}")),
                }
            }
        }));
        for i in 0..2 {
            let mut reader = charon.vici()?;
            let cr = Arc::clone(c);
            handles.push(std::thread::spawn(move || {
                while !cr.stopped() {
                    match reader.list_certs("pubkey") {
                        Ok(_) => {
                            cr.listings.fetch_add(1, Ordering::Relaxed);
                        }
                        Err(e) => cr.error(format!("reader {i}: {e:#}")),
                    }
                }
            }));
        }
        Ok(Clients(handles))
    }

    /// Waits for every client thread to end (call after [`Counters::stop`]).
    pub(super) fn join(self) {
        for h in self.0 {
            let _ = h.join();
        }
    }
}
