//! The plot, drawn from a synthetic sweep (the closed forms the real sweep's verdicts
//! check) and the committed real points: PNG and SVG carry the series and the text.

use super::plot::{self, SIZE};
use super::real::{self, RealPoint};
use super::Series;
use crate::predict::Point;
use plotters::prelude::*;
use swan_credstore::vici::Flow;

fn series(flow: Flow, keys: usize, id: bool, clear: Option<usize>, top: usize) -> Series {
    let mut ns: Vec<usize> = super::CHECKPOINTS.to_vec();
    if let Some(k) = clear {
        ns.extend(super::sawtooth_checkpoints(k));
    }
    ns.retain(|&n| n <= top);
    ns.sort_unstable();
    let points: Vec<Point> = ns
        .iter()
        .map(|&n| {
            let r = clear.map_or(n, |k| n % k);
            let stored = if flow == Flow::PreFix && id {
                keys * (1 + r)
            } else {
                keys
            };
            Point {
                reloads: n,
                stored_objects: stored,
                list_nodes: 2 * stored,
                heap_bytes: 1_500 * keys + 320 * (stored - keys),
            }
        })
        .collect();
    Series {
        flow,
        keys,
        key_type: "Ed25519",
        id,
        clear_every: clear,
        objects_per_reload: 0.0,
        heap_bytes_per_reload: 0.0,
        flat: !(flow == Flow::PreFix && id),
        points,
    }
}

fn sweep() -> Vec<Series> {
    let mut all = Vec::new();
    for flow in [Flow::PreFix, Flow::UpstreamFix] {
        for keys in [1, 2, 4] {
            for id in [true, false] {
                for clear in [None, Some(1_000)] {
                    let top = if flow == Flow::PreFix && id && clear.is_none() {
                        10_000 / keys
                    } else {
                        100_000
                    };
                    all.push(series(flow, keys, id, clear, top));
                }
            }
        }
    }
    all
}

const PRE_1: RGBColor = RGBColor(215, 25, 28);
const PRE_4: RGBColor = RGBColor(150, 40, 170);
const FIXED_1: RGBColor = RGBColor(30, 100, 220);

/// Pixels of each colour that must be there, and dark text pixels in the title band.
fn check_png(buf: &[u8], (w, _): (u32, u32)) -> Result<(), String> {
    let count = |c: RGBColor| {
        buf.chunks(3)
            .filter(|p| (p[0], p[1], p[2]) == (c.0, c.1, c.2))
            .count()
    };
    for (c, what) in [
        (PRE_1, "pre-fix 1 key"),
        (PRE_4, "pre-fix 4 keys"),
        (FIXED_1, "fixed 1 key"),
    ] {
        if count(c) < 200 {
            return Err(format!("{what}: {} pixels of its colour", count(c)));
        }
    }
    let title = &buf[..(w as usize * 3 * 30)];
    let dark = title
        .chunks(3)
        .filter(|p| p.iter().all(|&v| v < 80))
        .count();
    if dark < 300 {
        return Err(format!("{dark} dark pixels in the title band: no text"));
    }
    Ok(())
}

fn committed_real() -> Vec<RealPoint> {
    real::load().expect("the committed record parses")
}

#[test]
fn the_png_has_the_series_colours_and_text_and_is_saved() {
    let (all, real) = (sweep(), committed_real());
    let mut buf = vec![0u8; (SIZE.0 * SIZE.1 * 3) as usize];
    plot::draw(
        &BitMapBackend::with_buffer(&mut buf, SIZE).into_drawing_area(),
        &all,
        &real,
    )
    .unwrap();
    check_png(&buf, SIZE).unwrap();
    // Negative controls: a blank image, and a plot without the pre-fix series.
    let white = vec![255u8; buf.len()];
    assert!(check_png(&white, SIZE)
        .unwrap_err()
        .contains("pre-fix 1 key"));
    let fixed_only: Vec<Series> = all
        .iter()
        .filter(|s| s.flow == Flow::UpstreamFix)
        .cloned()
        .collect();
    let mut buf2 = vec![0u8; buf.len()];
    plot::draw(
        &BitMapBackend::with_buffer(&mut buf2, SIZE).into_drawing_area(),
        &fixed_only,
        &real,
    )
    .unwrap();
    assert!(check_png(&buf2, SIZE).is_err());

    let dir = crate::cargo::root().join("target/reports");
    std::fs::create_dir_all(&dir).unwrap();
    let (svg, png) = (dir.join("leak-test.svg"), dir.join("leak-test.png"));
    plot::write(&all, &real, &svg, &png).unwrap();
    let bytes = std::fs::read(&png).unwrap();
    assert!(
        bytes.starts_with(b"\x89PNG") && bytes.len() > 50_000,
        "{} bytes",
        bytes.len()
    );
}

#[test]
fn the_svg_has_title_axes_ticks_and_legend_text() {
    let (all, real) = (sweep(), committed_real());
    let mut svg = String::new();
    plot::draw(
        &SVGBackend::with_string(&mut svg, SIZE).into_drawing_area(),
        &all,
        &real,
    )
    .unwrap();
    for text in [
        "model and real charon",
        "reloads N after the first load (log",
        "stored objects (log)",
        "heap bytes (log)",
        "10,000",
        "model pre-fix, 1 key (run to N = 10,000)",
        "model fixed, 4 keys",
        "clear/1000",
        "real charon 5.9.8 (measured: tests/real_charon.rs)",
        "real charon 6.0.1 (measured",
    ] {
        assert!(svg.contains(text), "no {text:?} in the SVG");
    }
    // Control: without real points, no legend entry claims them.
    let mut bare = String::new();
    plot::draw(
        &SVGBackend::with_string(&mut bare, SIZE).into_drawing_area(),
        &all,
        &[],
    )
    .unwrap();
    assert!(bare.contains("model fixed, 4 keys") && !bare.contains("(measured"));
}

#[test]
fn the_committed_real_points_lie_on_the_model_and_a_moved_one_does_not() {
    let (all, mut real) = (sweep(), committed_real());
    assert!(real
        .iter()
        .any(|p| p.version == "5.9.8" && p.reloads >= 1_000 && p.keys == 2));
    assert!(real
        .iter()
        .any(|p| p.version == "6.0.1" && p.flow == Flow::UpstreamFix));
    assert_eq!(real::off_model(&all, &real), Vec::<String>::new());
    real[3].stored += 1;
    assert_eq!(real::off_model(&all, &real).len(), 1);
    assert!(real::parse("daemon\tversion\n").is_err());
    assert!(real::parse(
        "daemon\tversion\tflow\tkeys\tid\treloads\tstored\tsource\nb\t5.9.8\tpre_fix\t1\tmaybe\t0\t1\tx\n"
    )
    .is_err());
}
