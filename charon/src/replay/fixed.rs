//! The forced schedule on 6.0.1 (fixed): the writer held after `add_cert_ref`
//! released the store's lock; every subject the reader loads is live.

use super::driver::{at, is_bp, need, next_break, pass_on, reader_stops, Client, Ctx, Steps, Who};
use super::{Facts, Load, STEP_TIMEOUT};
use crate::daemon::Charon;
use crate::gdbmi::Gdb;
use crate::inspect;
use crate::vici::Message;
use anyhow::{bail, Result};
use std::collections::BTreeSet;
use std::time::Duration;
use swan_credstore_models::record::StepKind;

/// 6.0.1: hold the writer right after the store's `add_cert_ref`; every subject the
/// reader loads must be a live identity (see the module docs).
pub(super) fn run(
    gdb: &mut Gdb,
    ctx: &Ctx,
    charon: &Charon,
    msg: &Message,
    steps: &mut Steps,
    trigger: &dyn Fn() -> Result<Client>,
) -> Result<(Facts, String)> {
    if ctx.code.has_set_subject() {
        bail!(
            "6.0.1: the method table has {} slots, a set_subject among them",
            ctx.code.table.len()
        );
    }
    steps.push(
        Who::Writer,
        StepKind::Call,
        "method table",
        format!(
            "{} slots, no set_subject: a pubkey_cert's subject cannot be changed",
            ctx.code.table.len()
        ),
    );
    let b_equals = gdb.break_insert(&at(ctx.sites.equals), None, None)?;
    let b_getref = gdb.break_insert(&at(ctx.sites.get_ref), None, None)?;
    let b_destroy = gdb.break_insert(&at(ctx.sites.destroy), None, None)?;
    gdb.continue_all()?;
    let mut writer_client = Client::load_conn(charon, msg)?;
    let mut w: Option<String> = None;
    let mut b_free: Option<String> = None;
    let mut free_cond = String::new();
    let mut freed = BTreeSet::new();
    let stored = loop {
        let (s, t) = next_break(gdb, "the reload (equals, destroy, free or get_ref)")?;
        if w.is_none() {
            // The first stop is the store's duplicate check: the subjects of both certs
            // are what a reader could load; their frees (inside the duplicate's
            // `destroy`) are recorded.
            if !is_bp(&s, &b_equals) {
                bail!("expected add_cert_ref's equals first, got {s:?}");
            }
            let (a, b) = (gdb.eval(&t, "$rdi")?, gdb.eval(&t, "$rsi")?);
            free_cond = format!(
                "$rdi == {} || $rdi == {}",
                ctx.subject_of(a)?,
                ctx.subject_of(b)?
            );
            steps.name(Who::Writer, &t);
            w = Some(t.clone());
        }
        if w.as_deref() != Some(t.as_str()) {
            bail!("a second thread {t} in the reload's breakpoints");
        }
        if is_bp(&s, &b_equals) {
            let (a, b) = (gdb.eval(&t, "$rdi")?, gdb.eval(&t, "$rsi")?);
            steps.push(
                Who::Writer,
                StepKind::Call,
                "add_cert_ref: equals",
                format!(
                    "cert {a:#x} (subject {}) vs cert {b:#x} (subject {})",
                    ctx.id(ctx.subject_of(a)?),
                    ctx.id(ctx.subject_of(b)?)
                ),
            );
        } else if is_bp(&s, &b_destroy) {
            let c = gdb.eval(&t, "$rdi")?;
            if b_free.is_none() {
                b_free = Some(gdb.break_insert("free", Some(&t), Some(&free_cond))?);
            }
            steps.push(
                Who::Writer,
                StepKind::Free,
                "destroy cert",
                format!(
                    "cert {c:#x} (the new, duplicate object; subject {})",
                    ctx.id(ctx.subject_of(c)?)
                ),
            );
            steps.on(c);
        } else if b_free.as_ref().is_some_and(|b| is_bp(&s, b)) {
            let f = gdb.eval(&t, "$rdi")?;
            freed.insert(f);
            steps.push(
                Who::Writer,
                StepKind::Free,
                "free",
                format!("free({f:#x}): a subject block"),
            );
            steps.on(f);
        } else if is_bp(&s, &b_getref) {
            break gdb.eval(&t, "$rdi")?;
        }
        gdb.continue_thread(&t)?;
    };
    let w = w.expect("set with the first stop");
    steps.push(
        Who::Writer,
        StepKind::Reuse,
        "add_cert_ref: duplicate, reuse stored",
        format!(
            "get_ref on stored cert {stored:#x} (subject {})",
            ctx.id(ctx.subject_of(stored)?)
        ),
    );
    let b_unlock = gdb.break_insert("pthread_rwlock_unlock", Some(&w), None)?;
    gdb.continue_thread(&w)?;
    loop {
        let (s, t) = next_break(gdb, "the store's unlock after add_cert_ref")?;
        if b_free.as_ref().is_some_and(|b| is_bp(&s, b)) {
            freed.insert(gdb.eval(&t, "$rdi")?);
            gdb.continue_thread(&t)?;
        } else if is_bp(&s, &b_unlock) {
            break;
        } else {
            bail!("expected the store's unlock, got {s:?}");
        }
    }
    gdb.cmd(&format!("-exec-finish --thread {w}"))?;
    let s = need(
        gdb.wait_stop(STEP_TIMEOUT, |s| s.reason == "function-finished", pass_on)?,
        "return from pthread_rwlock_unlock",
    )?;
    if s.thread.as_deref() != Some(w.as_str()) {
        bail!("finish stopped another thread: {s:?}");
    }
    let names: Vec<&str> = [&b_equals, &b_getref, &b_destroy, &b_unlock]
        .into_iter()
        .chain(b_free.as_ref())
        .map(String::as_str)
        .collect();
    gdb.break_delete(&names)?;
    steps.push(
        Who::Writer,
        StepKind::Hold,
        "held: after add_cert_ref, before the merge",
        format!(
            "the store's write lock released; {} of the two certs' subject blocks freed — {}",
            freed.len(),
            ctx.frames(gdb, &w)
        ),
    );
    // The reader: every subject load of every cert.
    let mut loads = Vec::new();
    for l in &ctx.sites.loads {
        loads.push((gdb.break_insert(&at(l.addr), None, None)?, l.clone()));
    }
    let mut reader_client = trigger()?;
    let mut seen_loads = Vec::new();
    reader_stops(gdb, &mut reader_client, |gdb, s| {
        let Some((_, load)) = loads.iter().find(|(n, _)| is_bp(&s, n)) else {
            pass_on(gdb, s)?;
            return Ok(true);
        };
        let t = s.thread.clone().unwrap_or_default();
        if t == w {
            bail!("the held writer moved");
        }
        steps.name(Who::Reader, &t);
        let cert = gdb.eval(&t, &format!("${}", load.base))?;
        let subject = ctx.subject_of(cert)?;
        let view = inspect::identity(ctx.pid, ctx.code, subject)?;
        let live = view.live() && !freed.contains(&subject);
        seen_loads.push(Load {
            cert,
            subject,
            live: view.live(),
        });
        steps.push(
            Who::Reader,
            StepKind::Load,
            "load subject pointer",
            format!(
                "{} loads cert {cert:#x}.subject = {} — {}; {}",
                load.method,
                ctx.id(subject),
                if live {
                    "live: starts with its methods, not freed by the writer"
                } else {
                    "NOT live"
                },
                ctx.frames(gdb, &t)
            ),
        );
        steps.on(cert);
        gdb.continue_thread(&t)?;
        Ok(true)
    })?;
    let listing = reader_client.result(STEP_TIMEOUT);
    steps.push(
        Who::Reader,
        StepKind::Call,
        "reader returns",
        listing.clone(),
    );
    gdb.break_delete(&[])?;
    gdb.continue_all()?;
    let reload = writer_client.result(Duration::from_secs(10));
    steps.push(
        Who::Writer,
        StepKind::Call,
        "load-conn returns",
        reload.clone(),
    );
    let reads = seen_loads.len();
    let live = seen_loads.iter().filter(|l| l.live).count();
    let facts = Facts {
        set_subject_slot: false,
        freed: freed.iter().copied().collect(),
        loads: seen_loads,
        read_of_freed: false,
        signal: None,
    };
    Ok((
        facts,
        format!(
            "forced on 6.0.1: the reload was held after add_cert_ref released the store's lock (the duplicate destroyed, {} subject block freed); {}'s loads: {reads} subject pointers, {} of them live identities; {listing}; {reload}",
            freed.len(),
            steps.reader_label(),
            live
        ),
    ))
}
