//! The forced schedule on 5.9.8 (pre-fix): the writer held inside `set_subject` after
//! the old identity's `free`; the reader loads and reads the freed identity.

use super::driver::{at, is_bp, next_break, pass_on, reader_stops, Client, Ctx, Steps, Who};
use super::{Facts, Load, STEP_TIMEOUT};
use crate::daemon::Charon;
use crate::gdbmi::{self, Gdb};
use crate::inspect;
use crate::vici::Message;
use anyhow::{bail, Context, Result};
use swan_credstore_models::record::StepKind;

/// 5.9.8: hold the writer inside `set_subject` after the destroy; the reader loads and
/// reads the freed identity (see the module docs).
pub(super) fn run(
    gdb: &mut Gdb,
    ctx: &Ctx,
    charon: &Charon,
    msg: &Message,
    steps: &mut Steps,
    trigger: &dyn Fn() -> Result<Client>,
) -> Result<(Facts, String)> {
    let (entry, after) = ctx
        .sites
        .set_subject
        .context("5.9.8: the method table has no set_subject slot")?;
    let b_equals = gdb.break_insert(&at(ctx.sites.equals), None, None)?;
    let b_getref = gdb.break_insert(&at(ctx.sites.get_ref), None, None)?;
    let b_entry = gdb.break_insert(&at(entry), None, None)?;
    let b_after = gdb.break_insert(&at(after), None, None)?;
    gdb.continue_all()?;
    let _writer_client = Client::load_conn(charon, msg)?;
    // The store's duplicate check and insertion, up to set_subject's entry.
    let mut seen: Vec<(&str, u64, u64)> = Vec::new();
    let (w, cert, old, new_arg) = loop {
        let (s, t) = next_break(gdb, "the reload (equals, get_ref or set_subject)")?;
        if is_bp(&s, &b_equals) {
            seen.push(("equals", gdb.eval(&t, "$rdi")?, gdb.eval(&t, "$rsi")?));
        } else if is_bp(&s, &b_getref) {
            seen.push(("get_ref", gdb.eval(&t, "$rdi")?, 0));
        } else if is_bp(&s, &b_entry) {
            let c = gdb.eval(&t, "$rdi")?;
            let arg = gdb.eval(&t, "$rsi")?;
            steps.name(Who::Writer, &t);
            break (t, c, ctx.subject_of(c)?, arg);
        }
        gdb.continue_thread(&t)?;
    };
    let stored: Vec<u64> = seen
        .iter()
        .filter(|(k, a, b)| *k == "equals" && (*a == cert || *b == cert))
        .map(|(_, a, b)| if *a == cert { *b } else { *a })
        .collect();
    let refs = seen
        .iter()
        .filter(|(k, a, _)| *k == "get_ref" && *a == cert)
        .count();
    steps.push(
        Who::Writer,
        StepKind::Alloc,
        "wrap raw key",
        format!("cert {cert:#x} with subject {}", ctx.id(old)),
    );
    steps.on(cert);
    for s in &stored {
        steps.push(
            Who::Writer,
            StepKind::Call,
            "add_cert_ref: equals (not a duplicate)",
            format!(
                "stored cert {s:#x} (subject {}) vs new cert {cert:#x}: subjects differ",
                ctx.id(ctx.subject_of(*s)?)
            ),
        );
    }
    steps.push(
        Who::Writer,
        StepKind::Insert,
        "add_cert_ref: store new",
        format!("cert {cert:#x}: get_ref ×{refs} (the store's trusted and untrusted lists)"),
    );
    steps.push(
        Who::Writer,
        StepKind::Call,
        "set_subject",
        format!(
            "cert {cert:#x} to {} — old subject {}; {}",
            ctx.id(new_arg),
            ctx.id(old),
            ctx.frames(gdb, &w)
        ),
    );
    // The old identity's methods, while it is live: after the free, a call of one of
    // them with `this` = the freed block is a read of it.
    let methods = inspect::identity(ctx.pid, ctx.code, old)?.methods;
    let old_methods = inspect::read_words(ctx.pid, old, methods)?;
    gdb.break_delete(&[&b_equals, &b_getref, &b_entry])?;
    let b_free = gdb.break_insert("free", Some(&w), Some(&format!("$rdi == {old}")))?;
    gdb.continue_thread(&w)?;
    let (s, t) = next_break(gdb, "free of the old identity in set_subject")?;
    if !is_bp(&s, &b_free) || t != w {
        bail!("expected the writer's free({old:#x}), got {s:?}");
    }
    steps.push(
        Who::Writer,
        StepKind::Free,
        "set_subject: destroy old subject",
        format!(
            "free({old:#x}), the old subject's block — {}",
            ctx.frames(gdb, &w)
        ),
    );
    steps.on(old);
    gdb.break_delete(&[&b_free])?;
    gdb.continue_thread(&w)?;
    let (s, t) = next_break(gdb, "set_subject after the destroy")?;
    if !is_bp(&s, &b_after) || t != w {
        bail!("expected the writer after the destroy, got {s:?}");
    }
    let field = ctx.subject_of(cert)?;
    let view = inspect::identity(ctx.pid, ctx.code, old)?;
    let link = if view.head[0] == old >> 12 {
        " = its address >> 12: glibc's safe-linked free-list link of an empty tcache bin"
    } else {
        ""
    };
    steps.push(
        Who::Writer,
        StepKind::Hold, "held: after destroy, before the store",
        format!(
            "cert {cert:#x}.subject still = {field:#x}; that block's words 0–1 are now {:#x}{link} and {:#x} (no longer its methods: freed) — {}",
            view.head[0],
            view.head[1],
            ctx.frames(gdb, &w)
        ),
    );
    if field != old || view.live() {
        bail!(
            "held writer: subject field {field:#x} (old {old:#x}), block live: {}",
            view.live()
        );
    }
    gdb.break_delete(&[&b_after])?;
    // The reader: every load of this cert's subject pointer, and reads of the block.
    let mut loads = Vec::new();
    for l in &ctx.sites.loads {
        let n = gdb.break_insert(&at(l.addr), None, Some(&format!("${} == {cert}", l.base)))?;
        loads.push((n, l.clone()));
    }
    // The read of the freed block is shown by a hardware watchpoint where the machine
    // has debug registers; the verdict rests on the load of the freed address.
    let watch = gdb.watch_read(&w, old);
    let mut method_bps: Vec<(String, usize, u64)> = Vec::new();
    for (slot, &m) in old_methods.iter().enumerate() {
        if !method_bps.iter().any(|(_, _, a)| *a == m) {
            let n = gdb.break_insert(&at(m), None, Some(&format!("$rdi == {old}")))?;
            method_bps.push((n, slot, m));
        }
    }
    let mut reader_client = trigger()?;
    let (s, r) = next_break(gdb, "the reader's load of the subject pointer")?;
    let Some((_, load)) = loads.iter().find(|(n, _)| is_bp(&s, n)) else {
        bail!("expected a subject load, got {s:?}");
    };
    if r == w {
        bail!("the held writer moved");
    }
    steps.name(Who::Reader, &r);
    let loaded = ctx.subject_of(cert)?;
    steps.push(
        Who::Reader,
        StepKind::Load,
        "load subject pointer",
        format!(
            "{} loads cert {cert:#x}.subject = {loaded:#x}, the identity freed above — {}",
            load.method,
            ctx.frames(gdb, &r)
        ),
    );
    steps.on(cert);
    let names: Vec<&str> = loads.iter().map(|(n, _)| n.as_str()).collect();
    gdb.break_delete(&names)?;
    gdb.continue_thread(&r)?;
    let mut read_seen = false;
    let mut crash = None;
    reader_stops(gdb, &mut reader_client, |gdb, s| {
        match s.reason.as_str() {
            "read-watchpoint-trigger" | "access-watchpoint-trigger" => {
                let t = s.thread.clone().unwrap_or_default();
                let value = s
                    .raw
                    .get("value")
                    .and_then(|v| v.str("value"))
                    .and_then(gdbmi::number)
                    .unwrap_or(0);
                steps.push(
                    if t == w { Who::Writer } else { Who::Reader },
                    StepKind::Read, "read of the freed identity",
                    format!(
                        "hardware watchpoint: thread {t} read word 0 of {old:#x} = {value:#x}; then at {} — {}",
                        s.pc.map(|p| ctx.code.describe(p)).unwrap_or_default(),
                        ctx.frames(gdb, &t)
                    ),
                );
                steps.on(old);
                read_seen |= t == r;
                gdb.continue_thread(&t)?;
            }
            "breakpoint-hit" if method_bps.iter().any(|(n, _, _)| is_bp(&s, n)) => {
                let t = s.thread.clone().unwrap_or_default();
                let (_, slot, m) = method_bps
                    .iter()
                    .find(|(n, _, _)| is_bp(&s, n))
                    .expect("found above");
                steps.push(
                    if t == w { Who::Writer } else { Who::Reader },
                    StepKind::Read, "read of the freed identity",
                    format!(
                        "thread {t} calls method slot {slot} of the freed identity ({}) with this = {old:#x}: that method reads the freed block — {}",
                        ctx.code.describe(*m),
                        ctx.frames(gdb, &t)
                    ),
                );
                steps.on(old);
                read_seen |= t == r;
                gdb.continue_thread(&t)?;
            }
            "signal-received" if s.signal.as_deref() != Some("0") => {
                let t = s.thread.clone().unwrap_or_default();
                steps.push(
                    if t == w { Who::Writer } else { Who::Reader },
                    StepKind::Call,
                    "signal",
                    format!(
                        "{} in thread {t} at {} — {}",
                        s.signal.clone().unwrap_or_default(),
                        s.pc.map(|p| ctx.code.describe(p)).unwrap_or_default(),
                        ctx.frames(gdb, &t)
                    ),
                );
                crash = s.signal.clone();
                return Ok(false);
            }
            _ => pass_on(gdb, s)?,
        }
        Ok(true)
    })?;
    let mut done: Vec<&str> = method_bps.iter().map(|(n, _, _)| n.as_str()).collect();
    if let Ok(n) = &watch {
        done.push(n);
    }
    gdb.break_delete(&done)?;
    let listing = if crash.is_none() {
        reader_client.result(STEP_TIMEOUT)
    } else {
        "no answer (the reader thread is stopped at its signal)".into()
    };
    let message = format!(
        "forced on 5.9.8: the reload was held in set_subject after free({old:#x}) and before the store; {}'s {} loaded cert {cert:#x}.subject = {loaded:#x}, the freed identity{}{}; {listing}",
        steps.reader_label(),
        load.method,
        match (&watch, read_seen) {
            (Ok(_), true) => ", and read the freed block".to_string(),
            (Ok(_), false) => ", the watchpoint on the freed block did not fire".to_string(),
            (Err(e), _) => format!(" (no watchpoint on the freed block: {e:#})"),
        },
        crash.as_ref().map(|c| format!(", then got {c}")).unwrap_or_default()
    );
    let facts = Facts {
        set_subject_slot: ctx.code.has_set_subject(),
        freed: vec![old],
        loads: vec![Load {
            cert,
            subject: loaded,
            live: inspect::identity(ctx.pid, ctx.code, loaded)?.live(),
        }],
        read_of_freed: read_seen,
        signal: crash,
    };
    Ok((facts, message))
}
