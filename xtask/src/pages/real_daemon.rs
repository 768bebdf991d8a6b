//! notes/real-daemon.md's measured figures, from records committed under
//! `tests/data/records/` (each names the command that wrote it and when): helgrind's last
//! recorded `cargo xtask real-race` run and the leak counts of `tests/real_charon.rs`.

use super::table::after;
use anyhow::{Context, Result};
use serde_json::Value;
use std::fmt::Write;

/// The helgrind record (`cargo xtask real-race`'s JSON and text report).
pub const RACE: &str = "tests/data/records/real-race.json";
/// The leak record (`tests/real_charon.rs`'s per-step counts).
pub const LEAK: &str = "tests/data/records/real-charon.json";

pub fn blocks(race: &str, leak: &str) -> Result<Vec<(&'static str, String)>> {
    let race: Value = serde_json::from_str(race).with_context(|| RACE.to_string())?;
    let leak: Value = serde_json::from_str(leak).with_context(|| LEAK.to_string())?;
    let sections = sections(&race);
    Ok(vec![
        ("helgrind-report", report(&race, &sections)?),
        ("helgrind-runs", runs(&race, &sections)),
        ("pubkey-methods", methods(&sections)),
        ("leak-steps", leak_steps(&leak)?),
    ])
}

fn s(v: &Value) -> &str {
    v.as_str().unwrap_or("")
}

fn provenance(v: &Value, file: &str) -> String {
    format!(
        "Record: `{file}` (written by `{}`, {}).",
        s(&v["command"]),
        s(&v["date"])
    )
}

/// The text report's sections: (daemon, its lines).
fn sections(race: &Value) -> Vec<(String, Vec<String>)> {
    let mut out: Vec<(String, Vec<String>)> = Vec::new();
    for l in race["report"].as_array().into_iter().flatten().map(s) {
        if let Some(h) = l.strip_prefix("== ") {
            let (name, packages) = h.split_once(" (").unwrap_or((h, ""));
            let packages = packages.trim_end_matches(')').trim();
            out.push((name.to_string(), vec![format!("packages: {packages}")]));
        } else if let Some(last) = out.last_mut() {
            last.1.push(l.trim().to_string());
        }
    }
    out
}

fn field<'l>(lines: &'l [String], prefix: &str) -> Option<&'l str> {
    lines
        .iter()
        .find_map(|l| l.strip_prefix(prefix).map(str::trim))
}

fn report(race: &Value, sections: &[(String, Vec<String>)]) -> Result<String> {
    let (daemon, lines) = sections
        .iter()
        .find(|(_, l)| field(l, "read side:").is_some())
        .context("the helgrind record has no relevant report")?;
    let rec = race["records"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|r| s(&r["message"]).contains(daemon.as_str()))
        .context("the helgrind record has no row for the relevant report's daemon")?;
    let msg = s(&rec["message"]);
    let write = field(lines, "free/write side:").unwrap_or("?");
    let read = field(lines, "read side:").unwrap_or("?");
    let address = msg.find("Address ").map_or("", |at| &msg[at..]);
    let offset = after(address, " is ").context("the report names no offset")?;
    let block = after(address, "inside a block of size ").context("the report names no block")?;
    let steps: Vec<&str> = rec["counterexample"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|st| s(&st["detail"]))
        .collect();
    let size = steps
        .iter()
        .find_map(|d| after(d, "write of size "))
        .unwrap_or_default();
    let reader = read
        .strip_prefix("pubkey_cert.")
        .and_then(|r| r.split(' ').next())
        .unwrap_or("?");
    let hex = |t: &str, key: &str| {
        t.split(key)
            .nth(1)
            .and_then(|r| r.strip_prefix("0x"))
            .map(|h| {
                h.chars()
                    .take_while(char::is_ascii_hexdigit)
                    .collect::<String>()
            })
            .and_then(|h| u64::from_str_radix(&h, 16).ok())
    };
    let entry = field(lines, "pubkey_cert methods:").and_then(|m| hex(m, "set_subject@"));
    let at = hex(write, "libstrongswan-pubkey.so+");
    let within = match (entry, at) {
        (Some(e), Some(a)) if a >= e => format!("`set_subject+{:#x}`", a - e),
        _ => "`set_subject`".to_string(),
    };
    Ok(format!(
        "```text\n{daemon}, the relevant report:\nwrite side: {write}\nread side:  {read}\naddress:    {offset} bytes inside a block of size {block} alloc'd by pubkey_cert_wrap\n```\n\n\
         The write is the {size}-byte store at {within} into offset {offset} of the {block}-byte \
         `pubkey_cert` block (its subject field); the read is the load of the same field in `{reader}` (record below).\n"
    ))
}

fn runs(race: &Value, sections: &[(String, Vec<String>)]) -> String {
    let mut out = String::from(
        "| daemon | outcome | hammered | reloads | listings | reloads per second | first relevant report | relevant / noise contexts |\n|---|---|---|---|---|---|---|---|\n",
    );
    let mut rate = None;
    let mut packages = Vec::new();
    for (daemon, lines) in sections {
        if let Some(p) = field(lines, "packages:") {
            packages.push(format!("{daemon}: {}", p.trim_end_matches([';', ' '])));
        }
        let rec = race["records"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|r| s(&r["message"]).contains(daemon.as_str()));
        let outcome = rec.map_or("?", |r| s(&r["outcome"]));
        let hammered = field(lines, "hammered").unwrap_or("");
        let secs = after(hammered, "").unwrap_or_default();
        let reloads = after(hammered, ": ").unwrap_or_default();
        let listings = after(hammered, "reloads, ").unwrap_or_default();
        let per_s = match (reloads.parse::<f64>(), secs.parse::<f64>()) {
            (Ok(r), Ok(t)) if t > 0.0 => format!("{:.0}", r / t),
            _ => "?".into(),
        };
        let first = hammered
            .split("first relevant report: ")
            .nth(1)
            .unwrap_or("?");
        let ctx = field(lines, "relevant contexts:").unwrap_or("");
        let relevant = after(ctx, "").unwrap_or_default();
        let noise = after(ctx, "noise contexts: ").unwrap_or_default();
        let _ = writeln!(
            out,
            "| {daemon} | {outcome} | {secs} s | {reloads} | {listings} | {per_s} | {first} | {relevant} / {noise} |"
        );
        if let Some(r) = rec.and_then(|r| s(&r["message"]).split("hit rate: ").nth(1)) {
            rate = Some(format!("{daemon}: {r}"));
        }
    }
    if let Some(r) = rate {
        let _ = writeln!(out, "\nHit rate over fresh daemons — {r}.");
    }
    if !packages.is_empty() {
        let _ = writeln!(out, "\nPackages:\n\n- {}", packages.join("\n- "));
    }
    let _ = writeln!(out, "\n{}", provenance(race, RACE));
    out
}

fn methods(sections: &[(String, Vec<String>)]) -> String {
    let tables: Vec<(&str, Vec<(String, String)>)> = sections
        .iter()
        .map(|(d, lines)| {
            let list = field(lines, "pubkey_cert methods:").unwrap_or("");
            let pairs = list
                .split_whitespace()
                .filter_map(|p| p.split_once('@'))
                .map(|(m, a)| (m.to_string(), a.to_string()))
                .collect();
            (d.as_str(), pairs)
        })
        .collect();
    let mut names: Vec<&str> = Vec::new();
    for (_, pairs) in &tables {
        for (m, _) in pairs {
            if !names.contains(&m.as_str()) {
                names.push(m);
            }
        }
    }
    let mut out = String::from("| method |");
    for (d, _) in &tables {
        let _ = write!(out, " {d} |");
    }
    out.push_str(&format!("\n|---|{}\n", "---|".repeat(tables.len())));
    for m in names {
        let _ = write!(out, "| {m} |");
        for (_, pairs) in &tables {
            let a = pairs
                .iter()
                .find(|(n, _)| n == m)
                .map_or("— (none)", |(_, a)| a);
            let _ = write!(out, " {a} |");
        }
        out.push('\n');
    }
    out.push_str("| method slots |");
    for (_, pairs) in &tables {
        let _ = write!(out, " {} |", pairs.len());
    }
    out.push('\n');
    out
}

fn leak_steps(leak: &Value) -> Result<String> {
    let mut out = String::from(
        "| daemon | scenario | steps | stored objects after each step (charon) | model, that release's flow | equal at every step | live objects (charon) |\n|---|---|---|---|---|---|---|\n",
    );
    for d in leak["daemons"].as_array().into_iter().flatten() {
        let flow = s(&d["header"])
            .rsplit("model flow ")
            .next()
            .unwrap_or("")
            .trim_end_matches(':');
        let model = format!("model_{flow}");
        let rows = d["rows"].as_array().context("a daemon without rows")?;
        let mut scenarios: Vec<&str> = Vec::new();
        for r in rows {
            if !scenarios.contains(&s(&r["scenario"])) {
                scenarios.push(s(&r["scenario"]));
            }
        }
        for sc in scenarios {
            let steps: Vec<&Value> = rows.iter().filter(|r| s(&r["scenario"]) == sc).collect();
            let seq = |col: &str| {
                steps
                    .iter()
                    .map(|r| {
                        let v = r[col].to_string();
                        if s(&r["op"]) == "load" {
                            v
                        } else {
                            format!("{} → {v}", s(&r["op"]))
                        }
                    })
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            let equal = steps
                .iter()
                .all(|r| r["charon_stored"] == r[model.as_str()]);
            let _ = writeln!(
                out,
                "| {} | {sc} | {} | {} | {} | {} | {} |",
                s(&d["daemon"]),
                steps.len(),
                seq("charon_stored"),
                seq(&model),
                if equal { "yes" } else { "**no**" },
                seq("charon_live")
            );
        }
    }
    let _ = writeln!(out, "\n{}", provenance(leak, LEAK));
    Ok(out)
}
