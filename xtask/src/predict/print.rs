//! `cargo xtask predict`'s output: the prediction as text or JSON.

use super::*;

/// `cargo xtask predict`.
pub fn run(args: &PredictArgs) -> Result<bool> {
    let p = predict(args)?;
    if args.json {
        crate::print_json(&p)?;
        return Ok(true);
    }
    let clear = match p.clear_every {
        Some(k) => format!("clear-creds before every {k}th reload"),
        None => "no clear-creds".into(),
    };
    let command = match (p.mode, p.clear) {
        (Mode::LoadConns, _) => "swanctl --load-conns".to_string(),
        (Mode::LoadAll, c) => format!("swanctl --load-all{}", if c { " --clear" } else { "" }),
        (Mode::LoadCreds, c) => format!(
            "swanctl --load-creds{} then --load-conns",
            if c { " --clear" } else { "" }
        ),
    };
    println!(
        "{}: N = {} reloads after the first load, {clear}; every step: {command}",
        p.swanctl.display(),
        p.reloads
    );
    if p.mode != Mode::LoadConns {
        let files = if p.pubkey_files.is_empty() {
            "none".to_string()
        } else {
            p.pubkey_files.join(", ")
        };
        println!(
            "pubkey/ files loaded by every step (vici load-cert, stored as raw-key certs \
             with the key id as subject): {files}"
        );
    }
    println!(
        "{:<16} {:>4} {:>6} | {:>12} {:>10} {:>12} {:<18} | {:>12} {:>10} {:>12} {:<10}",
        "connection",
        "keys",
        "w/ id",
        "pre_fix objs",
        "nodes",
        "heap_bytes",
        "closed form",
        "fixed objs",
        "nodes",
        "heap_bytes",
        "closed form"
    );
    let row = |name: &str, keys: String, with_id: String, f: &BothFlows| {
        println!(
            "{:<16} {:>4} {:>6} | {:>12} {:>10} {:>12} {:<18} | {:>12} {:>10} {:>12} {:<10}",
            name,
            keys,
            with_id,
            f.pre_fix.stored_objects,
            f.pre_fix.list_nodes,
            f.pre_fix.heap_bytes,
            f.pre_fix.closed_form.formula,
            f.upstream_fix.stored_objects,
            f.upstream_fix.list_nodes,
            f.upstream_fix.heap_bytes,
            f.upstream_fix.closed_form.formula,
        );
    };
    for c in &p.connections {
        row(
            &c.name,
            c.keys.to_string(),
            c.keys_with_id.to_string(),
            &c.flows,
        );
    }
    row("total", String::new(), String::new(), &p.total);
    match (p.mode, p.clear) {
        (Mode::LoadConns, _) => println!(
            "closed form per key: pre-fix 1 + N objects (N since the last clear-creds) for a \
             key in a section with an id, 1 without; fixed: 1. Observed pre-fix growth: +{} \
             objects per reload.",
            p.total.pre_fix.closed_form.slope
        ),
        (_, clear) => println!(
            "closed form per key: pre-fix 1 + N objects (N since the last clear-creds{}) for \
             a key in a section with an id (the pubkey/ object is the one the connection's id \
             is written into), 1 without, 1 per pubkey/ key no connection uses; fixed: 1 per \
             key, plus 1 per key of pubkey/ used in a section with an id (the key-id object \
             of load-cert and the connection's own). Observed pre-fix growth: +{} objects per \
             reload.",
            if clear {
                ", i.e. 0: every step clears"
            } else {
                ""
            },
            p.total.pre_fix.closed_form.slope
        ),
    }
    println!(
        "figures: all computed by running the model ({}); heap_bytes: requested bytes of \
         the model's state, a lower bound of charon's.",
        match p.method {
            "fast" =>
                "indexed store: the faithful store's lists and objects, dedup by hash; \
                 --faithful runs mem_cred_t's linear scan and gives the same figures",
            _ => "faithful store: mem_cred_t's linear-scan dedup",
        }
    );
    for note in &p.not_modelled {
        println!("not modelled: {note}");
    }
    let inexact: Vec<&str> = p
        .connections
        .iter()
        .filter(|c| {
            !c.flows.pre_fix.closed_form.exact
                || c.flows.pre_fix.stored_objects != c.expected_pre_fix_objects
        })
        .map(|c| c.name.as_str())
        .collect();
    if !inexact.is_empty() {
        println!("note: not on the closed form: {}", inexact.join(", "));
    }
    Ok(true)
}
