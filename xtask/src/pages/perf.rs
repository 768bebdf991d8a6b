//! notes/performance.md's comparisons, computed from its own generated tables (written
//! by `cargo xtask bench`), so each sentence says what the numbers in the tables show.

use super::table::{ns, ratio, rows};
use anyhow::{bail, Context, Result};
use std::fmt::Write;
use swan_credstore_models::report::blocks::content;

pub fn blocks(perf: &str) -> Result<Vec<(&'static str, String)>> {
    Ok(vec![
        ("read_claims", read_claims(perf)?),
        ("lookup_claims", lookup_claims(perf)?),
        ("cache_claims", cache_claims(perf)?),
    ])
}

fn block<'t>(perf: &'t str, name: &str) -> Result<&'t str> {
    content(perf, name).with_context(|| format!("performance.md has no block {name}"))
}

/// A design row's short name: `` `Locked` ``, `` `CopyOnWrite` via `read` ``, …
fn short(label: &str) -> &str {
    let end = [label.find(':'), label.find(" (")]
        .into_iter()
        .flatten()
        .min()
        .unwrap_or(label.len());
    label[..end].trim_end_matches(',')
}

/// The design rows (`` `Name` … ``) of a read-path table: (short name, cells).
fn designs(table: &str) -> Vec<(&str, Vec<&str>)> {
    rows(table, "`")
        .into_iter()
        .filter(|c| c.len() >= 4 && ns(c[1]).is_some())
        .map(|c| (short(c[0]), c))
        .collect()
}

fn read_claims(perf: &str) -> Result<String> {
    let single = block(perf, "read_single")?;
    let writer = block(perf, "read_with_writer")?;
    let floor = rows(single, "plain shared").into_iter().next();
    let floor_w = rows(writer, "plain shared").into_iter().next();
    let (Some(floor), Some(floor_w)) = (floor, floor_w) else {
        bail!("performance.md's read tables have no floor row");
    };
    let alone = designs(single);
    let by = |a: &&(&str, Vec<&str>)| ns(a.1[1]).unwrap_or(f64::NAN);
    let fastest = alone.iter().min_by(|a, b| by(a).total_cmp(&by(b)));
    let slowest = alone.iter().max_by(|a, b| by(a).total_cmp(&by(b)));
    let (Some(fastest), Some(slowest)) = (fastest, slowest) else {
        bail!("performance.md's read_single table has no design row");
    };
    let mut out = format!(
        "Alone, one subject check through a design took from {} ({}) to {} ({}); the floor took {}.",
        fastest.1[1], fastest.0, slowest.1[1], slowest.0, floor[1]
    );
    let with: Vec<(&str, f64, &str)> = designs(writer)
        .into_iter()
        .filter_map(|(name, c)| Some((name, ratio(c.last()?)?, *c.last()?)))
        .collect();
    if with.is_empty() {
        bail!("performance.md's read_with_writer table has no design row");
    }
    let slower = with.iter().filter(|w| w.1 > 1.0).count();
    let list: Vec<String> = with.iter().map(|w| format!("{} {}", w.0, w.2)).collect();
    let _ = write!(
        out,
        " With the writer running, {} designs with a setter were slower than alone ({}); \
         the floor, beside a control writer on private data, changed by {} (both threads share the machine's cores).",
        if slower == with.len() {
            format!("all {}", with.len())
        } else {
            format!("{slower} of the {}", with.len())
        },
        list.join(", "),
        floor_w.last().copied().unwrap_or("?"),
    );
    let least = with.iter().min_by(|a, b| a.1.total_cmp(&b.1));
    let most = with.iter().max_by(|a, b| a.1.total_cmp(&b.1));
    if let (Some(least), Some(most)) = (least, most) {
        let _ = write!(
            out,
            " The smallest slowdown was {}'s, the largest {}'s.",
            least.0, most.0
        );
    }
    if let Some(locked) = with.iter().find(|w| w.0 == "`Locked`") {
        let others: Vec<f64> = with
            .iter()
            .filter(|w| w.0 != locked.0)
            .map(|w| w.1)
            .collect();
        let place = if others.iter().all(|o| locked.1 < *o) {
            "smaller than that of every lock-free design (`CopyOnWrite`, `Epoch`)"
        } else if others.iter().all(|o| locked.1 > *o) {
            "larger than that of every lock-free design (`CopyOnWrite`, `Epoch`)"
        } else {
            "between those of the lock-free designs (`CopyOnWrite`, `Epoch`)"
        };
        let _ = write!(out, " `Locked`'s slowdown was {place}.");
    }
    out.push('\n');
    Ok(out)
}

/// How close a cached `CopyOnWrite` read comes to the floor, the target being
/// [`CACHE_GOAL`]× the floor alone and ahead of `Locked` under a writer at a reload's rate.
pub const CACHE_GOAL: f64 = 1.5;

fn cache_claims(perf: &str) -> Result<String> {
    let single = block(perf, "read_single")?;
    let median = |table: &str, name: &str| -> Option<(f64, String)> {
        let row = designs(table).into_iter().find(|d| d.0 == name)?;
        Some((ns(row.1[1])?, row.1[1].to_string()))
    };
    const CACHED: &str = "`CopyOnWrite` via `cached()`";
    let (Some(floor), Some(alone)) = (
        rows(single, "plain shared").into_iter().next(),
        median(single, CACHED),
    ) else {
        bail!("performance.md's read_single table has no floor or cached row");
    };
    let floor_ns = ns(floor[1]).context("the floor row has no median")?;
    let r = alone.0 / floor_ns;
    let mut out = format!(
        "Alone, a `CopyOnWrite` read through `arc_swap::Cache` took {} against the floor's {}: {r:.2}×, {} the goal of {CACHE_GOAL}×.",
        alone.1,
        floor[1],
        if r <= CACHE_GOAL { "within" } else { "outside" }
    );
    // Every model cell reads a `Tracked` identity: what that costs alone is the floor
    // a cell can reach in this model (the checkers' instrumentation, not the design).
    let tracked = rows(single, "the model's `Tracked`")
        .into_iter()
        .next()
        .and_then(|c| Some((ns(c[1])?, c[1].to_string())));
    if let Some(tracked) = tracked {
        let _ = write!(
            out,
            " A bare read of the model's `Tracked` identity (its freed flag checked before and after, as every cell's read does) took {}: the cached read is {:.2}× that. ",
            tracked.1,
            alone.0 / tracked.0,
        );
        // Within criterion's noise of the bare read: `Cache` adds nothing measurable.
        if alone.0 <= tracked.0 * 1.05 {
            let _ = write!(
                out,
                "So the whole gap to the floor ({:.2} ns) is the model's own instrumentation, which every cell pays and a daemon would not; `Cache` adds nothing measurable to it, and this model's floor for any cell is the bare `Tracked` read.",
                alone.0 - floor_ns
            );
        } else {
            let _ = write!(
                out,
                "So {:.2} ns of the gap to the floor is the model's own instrumentation, which every cell pays and a daemon would not, and {:.2} ns is `Cache` itself.",
                tracked.0 - floor_ns,
                alone.0 - tracked.0
            );
        }
    }
    for (name, pace) in [
        ("read_writer_100us", "every 100 µs"),
        ("read_writer_1ms", "every millisecond"),
    ] {
        let table = block(perf, name)?;
        let (Some(cached), Some(locked), Some(load)) = (
            median(table, CACHED),
            median(table, "`Locked`"),
            median(table, "`CopyOnWrite` via `read`"),
        ) else {
            bail!("performance.md's {name} table lacks a row");
        };
        let _ = write!(
            out,
            " With the subject replaced {pace}, it took {} against `Locked`'s {} ({}), and a plain `load` took {}.",
            cached.1,
            locked.1,
            if cached.0 < locked.0 { "ahead" } else { "not ahead" },
            load.1
        );
    }
    out.push('\n');
    Ok(out)
}

/// A lookup_slopes row by series id: (sizes, log–log slope, ns per object, ratio).
fn slope_row<'t>(slopes: &'t str, series: &str) -> Result<Vec<&'t str>> {
    rows(slopes, "")
        .into_iter()
        .find(|c| c[0].contains(&format!("(`{series}`)")) && c.len() == 5)
        .with_context(|| format!("performance.md's lookup_slopes has no row {series}"))
}

/// A lookup_medians row's median at the first size (N = 1).
fn first_median<'t>(medians: &'t str, series: &str) -> Result<&'t str> {
    rows(medians, "")
        .into_iter()
        .find(|c| c[0].contains(&format!("(`{series}`)")) && c.len() > 1)
        .map(|c| c[1])
        .with_context(|| format!("performance.md's lookup_medians has no row {series}"))
}

fn cmp_word(a: f64, b: f64) -> &'static str {
    if a > b {
        "dearer"
    } else if a < b {
        "cheaper"
    } else {
        "the same"
    }
}

fn lookup_claims(perf: &str) -> Result<String> {
    let slopes = block(perf, "lookup_slopes")?;
    let medians = block(perf, "lookup_medians")?;
    let num = |c: &str| c.replace(',', "").parse::<f64>().unwrap_or(f64::NAN);
    let list: Vec<(&str, Vec<&str>)> = ["list_leak_other", "list_leak_self", "list_distinct"]
        .into_iter()
        .map(|s| slope_row(slopes, s).map(|r| (s, r)))
        .collect::<Result<_>>()?;
    let proportional = list.iter().all(|(_, r)| (0.8..=1.25).contains(&num(r[2])));
    let mut out = format!(
        "In the list store the lookup time grew {} the stored objects: log–log slopes {}. \
         Each leaked duplicate added about {} ns to another peer's lookup (`list_leak_other`, least squares).",
        if proportional { "about in proportion to" } else { "with" },
        list.iter()
            .map(|(s, r)| format!("{} (`{s}`)", r[2]))
            .collect::<Vec<_>>()
            .join(", "),
        list[0].1[3]
    );
    let exact = slope_row(slopes, "indexed_exact")?;
    let keyid = slope_row(slopes, "indexed_keyid")?;
    let flat = [&exact, &keyid].iter().all(|r| num(r[2]).abs() < 0.2);
    let _ =
        write!(
        out,
        " `IndexedStore`'s exact-identity and key-id lookups {} the store size: slopes {} and {}; \
         at the largest N their medians were {} and {} the median at N = 1.",
        if flat { "did not grow with" } else { "still grew with" },
        exact[2],
        keyid[2],
        exact[4],
        keyid[4]
    );
    let wild = slope_row(slopes, "indexed_wildcard")?;
    let distinct = &list[2].1;
    let _ = write!(
        out,
        " Its wildcard fallback cost {} ns per stored object against {} ns for the list store's scan \
         of as many distinct peers (`list_distinct`): {}.",
        wild[3],
        distinct[3],
        cmp_word(num(wild[3]), num(distinct[3]))
    );
    let (i1, l1) = (
        first_median(medians, "indexed_exact")?,
        first_median(medians, "list_distinct")?,
    );
    let _ = write!(
        out,
        " At N = 1 an exact lookup through the index took {i1} against {l1} for the one-element scan: {}.",
        cmp_word(ns(i1).unwrap_or(f64::NAN), ns(l1).unwrap_or(f64::NAN))
    );
    out.push('\n');
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(locked_slowdown: &str, indexed_n1: &str) -> String {
        let single = "| check | median | ci | ratio |\n|---|---|---|---|\n\
            | plain shared `&Identity`, `matches` (the floor) | 4.00 ns | x | 1.00× |\n\
            | `Locked`: read lock, `matches` | 18.00 ns | x | 4.50× |\n\
            | `Epoch`: pin, load, `matches` | 11.00 ns | x | 2.75× |\n";
        let writer = format!(
            "| check | median | ci | floor | same |\n|---|---|---|---|---|\n\
            | plain shared `&Identity`, `matches` (the floor) — control | 8.00 ns | x | 2.00× | 2.00× |\n\
            | `Locked`: read lock, `matches` | 36.00 ns | x | 9.00× | {locked_slowdown} |\n\
            | `Epoch`: pin, load, `matches` | 22.00 ns | x | 5.50× | 2.00× |\n"
        );
        let medians = format!(
            "| series | 1 | 10 |\n|---|---:|---:|\n\
            | a (`list_distinct`) | 80.00 ns | 500.00 ns |\n\
            | b (`indexed_exact`) | {indexed_n1} | 130.00 ns |\n"
        );
        let mut slopes =
            String::from("| series | sizes | slope | ns | ratio |\n|---|---|---|---|---|\n");
        for (s, slope) in [
            ("list_leak_other", "1.00"),
            ("list_leak_self", "1.00"),
            ("list_distinct", "1.00"),
            ("indexed_exact", "0.01"),
            ("indexed_keyid", "0.01"),
            ("indexed_wildcard", "1.10"),
        ] {
            slopes.push_str(&format!("| x (`{s}`) | 1–10 | {slope} | 50.000 | 2.0× |\n"));
        }
        [
            ("read_single", single.to_string()),
            ("read_with_writer", writer),
            ("lookup_medians", medians),
            ("lookup_slopes", slopes),
        ]
        .iter()
        .map(|(n, c)| format!("<!-- generated:{n} -->\n{c}<!-- /generated:{n} -->\n"))
        .collect()
    }

    #[test]
    fn the_sentences_follow_the_numbers() {
        let calm = read_claims(&page("1.50×", "60.00 ns")).unwrap();
        assert!(
            calm.contains("smaller than that of every lock-free design"),
            "{calm}"
        );
        assert!(calm.contains("The smallest slowdown was `Locked`'s, the largest `Epoch`'s."));
        let hot = read_claims(&page("3.00×", "60.00 ns")).unwrap();
        assert!(
            hot.contains("larger than that of every lock-free design"),
            "{hot}"
        );
        assert!(
            hot.contains("all 2 designs with a setter were slower"),
            "{hot}"
        );
        let none = read_claims(&page("0.90×", "60.00 ns")).unwrap();
        assert!(
            none.contains("1 of the 2 designs with a setter were slower"),
            "{none}"
        );
        let cheap = lookup_claims(&page("1.50×", "60.00 ns")).unwrap();
        assert!(
            cheap.ends_with("for the one-element scan: cheaper.\n"),
            "{cheap}"
        );
        assert!(
            cheap.contains("did not grow with the store size"),
            "{cheap}"
        );
        let dear = lookup_claims(&page("1.50×", "95.00 ns")).unwrap();
        assert!(
            dear.ends_with("for the one-element scan: dearer.\n"),
            "{dear}"
        );
    }
}
