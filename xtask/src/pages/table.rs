//! Reading Markdown tables and figures back from generated text.

/// The cells of each row of the Markdown table in `text` whose first cell starts with
/// `prefix` (header and separator rows excluded).
pub fn rows<'t>(text: &'t str, prefix: &str) -> Vec<Vec<&'t str>> {
    text.lines()
        .filter(|l| l.starts_with('|') && !l.starts_with("|---"))
        .map(|l| {
            l.trim()
                .trim_matches('|')
                .split('|')
                .map(str::trim)
                .collect::<Vec<_>>()
        })
        .filter(|c| c.first().is_some_and(|f| f.starts_with(prefix)))
        .collect()
}

/// A duration cell (`18.47 ns`, `4.60 µs`, `1.10 ms`) in nanoseconds.
pub fn ns(cell: &str) -> Option<f64> {
    let (v, unit) = cell.trim().split_once(' ')?;
    let v: f64 = v.replace(',', "").parse().ok()?;
    let scale = match unit {
        "ns" => 1.0,
        "µs" => 1e3,
        "ms" => 1e6,
        "s" => 1e9,
        _ => return None,
    };
    Some(v * scale)
}

/// A ratio cell (`1.91×`).
pub fn ratio(cell: &str) -> Option<f64> {
    cell.trim().strip_suffix('×')?.replace(',', "").parse().ok()
}

/// The number that follows `before` in `text` (digits, `.` and `,`).
pub fn after(text: &str, before: &str) -> Option<String> {
    let rest = &text[text.find(before)? + before.len()..];
    let n: String = rest
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.' || *c == ',')
        .collect();
    let n = n.trim_end_matches(['.', ',']).to_string();
    (!n.is_empty()).then_some(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_and_figures_are_read_back() {
        let t = "| a | b |\n|---|---|\n| `x` y | 1.5 µs |\n| z | 2× |\n";
        assert_eq!(rows(t, "`x`"), vec![vec!["`x` y", "1.5 µs"]]);
        assert_eq!(ns("1.5 µs"), Some(1500.0));
        assert_eq!(ratio("2.69×"), Some(2.69));
        assert_eq!(after("is 120 bytes inside", "is ").as_deref(), Some("120"));
        assert_eq!(after("took 3.7 s.", "took ").as_deref(), Some("3.7"));
    }
}
