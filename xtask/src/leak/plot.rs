//! The growth plot of `cargo xtask leak`: three panels drawn on any plotters backend
//! (SVG for the notes, PNG for the test and for viewers without SVG).
//!
//! * top left, log–log: stored raw-key objects against reloads, pre-fix with an id
//!   (k = 1, 2, 4 keys; slope k), pre-fix without an id and the upstream fix (flat at
//!   k, drawn above the axis by the log scale), and the real daemons' counts from
//!   `notes/figures/real-points.tsv` as markers on the model's lines;
//! * top right, log–log: live heap bytes of the model state, the same series plus the
//!   RSA-2048 key;
//! * bottom, linear: the clear-creds sawtooth (clear every 1,000 reloads) of the first
//!   3,000 reloads, pre-fix k = 1, 2, 4, and the fixed flow for k = 4.
//!
//! Text (title, axis labels, ticks, legends) is drawn with DejaVu Sans, registered from
//! the `dejavu` crate's bytes, so no system font is needed.

use super::real::RealPoint;
use super::Series;
use crate::predict::Point;
use plotters::coord::Shift;
use plotters::prelude::*;
use std::sync::Once;
use swan_credstore::vici::Flow;

/// A drawing error of any backend, as text.
type DrawResult = Result<(), String>;

/// Registers DejaVu Sans as plotters' `sans-serif` (once per process).
pub fn register_font() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let _ = plotters::style::register_font(
            "sans-serif",
            FontStyle::Normal,
            dejavu::sans::regular(),
        );
        let _ = plotters::style::register_font("sans-serif", FontStyle::Bold, dejavu::sans::bold());
    });
}

/// Colour of a model series: one hue per (flow, keys, key type).
fn colour(s: &Series) -> RGBColor {
    match (s.flow, s.keys, s.key_type, s.id) {
        (Flow::PreFix, _, "RSA-2048", _) => RGBColor(140, 80, 20),
        (Flow::PreFix, 1, _, true) => RGBColor(215, 25, 28),
        (Flow::PreFix, 2, _, true) => RGBColor(240, 130, 0),
        (Flow::PreFix, _, _, true) => RGBColor(150, 40, 170),
        (Flow::PreFix, _, _, false) => RGBColor(120, 120, 120),
        (Flow::UpstreamFix, _, "RSA-2048", _) => RGBColor(0, 60, 120),
        (Flow::UpstreamFix, 1, _, _) => RGBColor(30, 100, 220),
        (Flow::UpstreamFix, 2, _, _) => RGBColor(0, 160, 160),
        (Flow::UpstreamFix, _, _, _) => RGBColor(40, 150, 40),
    }
}

fn name(s: &Series) -> String {
    let flow = match s.flow {
        Flow::PreFix => "model pre-fix",
        Flow::UpstreamFix => "model fixed",
    };
    let keys = if s.key_type == "RSA-2048" {
        "1 RSA key".to_string()
    } else {
        format!("{} key{}", s.keys, if s.keys == 1 { "" } else { "s" })
    };
    let id = if s.id { "" } else { ", no id" };
    let last = s.points.last().map_or(0, |p| p.reloads);
    let stop = if s.flow == Flow::PreFix && s.id && s.clear_every.is_none() {
        format!(" (run to N = {})", tick(&(last as f64)))
    } else {
        String::new()
    };
    format!("{flow}, {keys}{id}{stop}")
}

/// A tick label: an integer with thousands separators.
fn tick(v: &f64) -> String {
    crate::bench::group_digits(v.round() as u64)
}

/// The series of the two log–log panels: no clear-creds; Ed25519 pre-fix with and
/// without id (k = 1 only without), fixed with id; RSA only in the heap panel.
fn growth_series(all: &[Series], heap: bool) -> Vec<&Series> {
    // The fixed flow first, so that the thin pre-fix no-id line lies on its flat line.
    let fixed_first = all.iter().filter(|s| s.flow == Flow::UpstreamFix);
    fixed_first
        .chain(all.iter().filter(|s| s.flow == Flow::PreFix))
        .filter(|s| s.clear_every.is_none())
        .filter(|s| heap || s.key_type != "RSA-2048")
        .filter(|s| s.id || (s.flow == Flow::PreFix && s.keys == 1 && s.key_type != "RSA-2048"))
        .collect()
}

fn e<E: std::fmt::Debug>(err: E) -> String {
    format!("{err:?}")
}

/// Draws the three panels on `root`.
pub fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    all: &[Series],
    real: &[RealPoint],
) -> DrawResult {
    register_font();
    root.fill(&WHITE).map_err(e)?;
    let root = root
        .titled(
            "strongSwan raw-key store under vici load-conn reloads: model and real charon",
            ("sans-serif", 24).into_font().style(FontStyle::Bold),
        )
        .map_err(e)?;
    let (top, bottom) = root.split_vertically(root.dim_in_pixel().1 * 3 / 5);
    let halves = top.split_evenly((1, 2));
    log_panel(&halves[0], all, real, false)?;
    log_panel(&halves[1], all, real, true)?;
    sawtooth_panel(&bottom, all)?;
    root.present().map_err(e)
}

fn value(p: &Point, heap: bool) -> f64 {
    if heap {
        p.heap_bytes as f64
    } else {
        p.stored_objects as f64
    }
}

fn log_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    all: &[Series],
    real: &[RealPoint],
    heap: bool,
) -> DrawResult {
    let chosen = growth_series(all, heap);
    let pts = || {
        chosen
            .iter()
            .flat_map(|s| &s.points)
            .filter(|p| p.reloads > 0)
    };
    let max_n = pts().map(|p| p.reloads).max().unwrap_or(10) as f64;
    let max_v = pts().map(|p| value(p, heap)).fold(10.0, f64::max);
    let min_v = pts()
        .map(|p| value(p, heap))
        .fold(f64::MAX, f64::min)
        .min(1.0);
    let (title, y) = if heap {
        (
            "live heap bytes of the model state (lower bound of charon's)",
            "heap bytes (log)",
        )
    } else {
        (
            "stored raw-key objects (one more per key per reload pre-fix)",
            "stored objects (log)",
        )
    };
    let mut chart = ChartBuilder::on(area)
        .caption(title, ("sans-serif", 17))
        .margin(12)
        .x_label_area_size(44)
        .y_label_area_size(74)
        .build_cartesian_2d(
            (1.0..max_n * 1.5).log_scale(),
            (min_v * 0.5..max_v * 3.0).log_scale(),
        )
        .map_err(e)?;
    chart
        .configure_mesh()
        .x_desc("reloads N after the first load (log; N = 0 not shown)")
        .y_desc(y)
        .x_label_formatter(&tick)
        .y_label_formatter(&tick)
        .label_style(("sans-serif", 13))
        .axis_desc_style(("sans-serif", 15))
        .light_line_style(RGBColor(235, 235, 235))
        .draw()
        .map_err(e)?;
    for s in &chosen {
        let c = colour(s);
        let width = if s.flow == Flow::UpstreamFix { 5 } else { 2 };
        chart
            .draw_series(LineSeries::new(
                s.points
                    .iter()
                    .filter(|p| p.reloads > 0)
                    .map(|p| (p.reloads as f64, value(p, heap))),
                c.stroke_width(width),
            ))
            .map_err(e)?
            .label(name(s))
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 22, y)], c.stroke_width(3)));
    }
    if !heap {
        draw_real(&mut chart, real)?;
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .label_font(("sans-serif", 13))
        .background_style(WHITE.mix(0.85))
        .border_style(RGBColor(160, 160, 160))
        .draw()
        .map_err(e)
}

/// The real daemons' counts: one marker style per (version, source).
fn draw_real<DB: DrawingBackend, X, Y>(
    chart: &mut ChartContext<'_, DB, Cartesian2d<X, Y>>,
    real: &[RealPoint],
) -> DrawResult
where
    X: Ranged<ValueType = f64>,
    Y: Ranged<ValueType = f64>,
{
    let mut groups: Vec<(String, String)> = Vec::new();
    for p in real {
        let g = (p.version.clone(), p.source.clone());
        if !groups.contains(&g) {
            groups.push(g);
        }
    }
    for (version, source) in groups {
        let pre = real
            .iter()
            .any(|p| p.version == version && p.flow == Flow::PreFix);
        let dots: Vec<(f64, f64)> = real
            .iter()
            .filter(|p| p.version == version && p.source == source && p.reloads > 0)
            .map(|p| (p.reloads as f64, p.stored as f64))
            .collect();
        let how = if source == "real_charon" {
            "tests/real_charon.rs"
        } else {
            "measure.sh, gdb"
        };
        let label = format!("real charon {version} (measured: {how})");
        let c = if pre { BLACK } else { RGBColor(0, 40, 110) };
        if source == "real_charon" {
            chart
                .draw_series(dots.iter().map(|&xy| Circle::new(xy, 4, c.filled())))
                .map_err(e)?
                .label(label)
                .legend(move |(x, y)| Circle::new((x + 11, y), 4, c.filled()));
        } else {
            chart
                .draw_series(dots.iter().map(|&xy| Cross::new(xy, 6, c.stroke_width(2))))
                .map_err(e)?
                .label(label)
                .legend(move |(x, y)| Cross::new((x + 11, y), 6, c.stroke_width(2)));
        }
    }
    Ok(())
}

/// How many reloads the sawtooth panel shows.
pub const SAWTOOTH_RELOADS: usize = 3_000;

fn sawtooth_panel<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, all: &[Series]) -> DrawResult {
    let chosen: Vec<&Series> = all
        .iter()
        .filter(|s| s.clear_every.is_some() && s.id && s.key_type != "RSA-2048")
        .filter(|s| s.flow == Flow::PreFix || s.keys == 4)
        .collect();
    let shown = |s: &Series| -> Vec<(f64, f64)> {
        s.points
            .iter()
            .filter(|p| p.reloads <= SAWTOOTH_RELOADS)
            .map(|p| (p.reloads as f64, p.stored_objects as f64))
            .collect()
    };
    let max_v = chosen
        .iter()
        .flat_map(|s| shown(s))
        .map(|(_, v)| v)
        .fold(10.0, f64::max);
    let period = chosen.first().and_then(|s| s.clear_every).unwrap_or(0);
    let mut chart = ChartBuilder::on(area)
        .caption(
            format!("with clear-creds every {period} reloads: a sawtooth, bounded by k·{period}"),
            ("sans-serif", 17),
        )
        .margin(12)
        .x_label_area_size(44)
        .y_label_area_size(74)
        .build_cartesian_2d(0.0..SAWTOOTH_RELOADS as f64, 0.0..max_v * 1.1)
        .map_err(e)?;
    chart
        .configure_mesh()
        .x_desc("reloads N after the first load (linear)")
        .y_desc("stored objects")
        .x_label_formatter(&tick)
        .y_label_formatter(&tick)
        .label_style(("sans-serif", 13))
        .axis_desc_style(("sans-serif", 15))
        .light_line_style(RGBColor(235, 235, 235))
        .draw()
        .map_err(e)?;
    for s in chosen {
        let c = colour(s);
        chart
            .draw_series(LineSeries::new(shown(s), c.stroke_width(2)))
            .map_err(e)?
            .label(format!("{}, clear/{period}", name(s)))
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 22, y)], c.stroke_width(3)));
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperMiddle)
        .label_font(("sans-serif", 13))
        .background_style(WHITE.mix(0.85))
        .border_style(RGBColor(160, 160, 160))
        .draw()
        .map_err(e)
}

/// Size of both renderings, in pixels.
pub const SIZE: (u32, u32) = (1400, 1000);

/// Writes the plot as SVG to `svg` and as PNG to `png`.
pub fn write(
    all: &[Series],
    real: &[RealPoint],
    svg: &std::path::Path,
    png: &std::path::Path,
) -> DrawResult {
    draw(&SVGBackend::new(svg, SIZE).into_drawing_area(), all, real)?;
    draw(
        &BitMapBackend::new(png, SIZE).into_drawing_area(),
        all,
        real,
    )
}
