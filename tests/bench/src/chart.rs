//! `bench chart OUT.svg RESULTS.json...`: an SVG line chart of convergence time against N, for
//! the operator and the floor, from the results files of earlier runs. Hand-written SVG: a few
//! lines and labels need no plotting library.

use std::fmt::Write as _;
use std::process::ExitCode;

struct Point {
    n: f64,
    operator: f64,
    floor: f64,
    /// The floor with the Events shared/API.md requires (runs before it was measured have none).
    floor_events: Option<f64>,
    /// Lowest and highest of each series over the run's rounds (runs before BENCH_REPEAT have
    /// one round and no spread): operator, floor, floor with Events.
    spreads: [Option<(f64, f64)>; 3],
    /// The median ratio's lowest and highest over the rounds.
    ratio_range: Option<(f64, f64)>,
}

fn read(path: &str) -> Result<Point, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
    let value: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| format!("{path}: {e}"))?;
    let number = |field: &str| {
        value[field]
            .as_f64()
            .ok_or_else(|| format!("{path}: no number at {field}"))
    };
    let rounds = value["rounds"].as_array().cloned().unwrap_or_default();
    let range = |field: &str| {
        let values: Vec<f64> = rounds.iter().filter_map(|r| r[field].as_f64()).collect();
        (values.len() > 1).then(|| {
            let lo = values.iter().copied().fold(f64::INFINITY, f64::min);
            let hi = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            (lo, hi)
        })
    };
    Ok(Point {
        n: number("reports")?,
        operator: number("operator_seconds")?,
        floor: number("floor_seconds")?,
        floor_events: value["floor_with_events_seconds"].as_f64(),
        spreads: [
            range("operator_seconds"),
            range("floor_seconds"),
            range("floor_with_events_seconds"),
        ],
        ratio_range: range("ratio"),
    })
}

pub fn main(args: &[String]) -> ExitCode {
    let Some((out, inputs)) = args.split_first() else {
        eprintln!("usage: bench chart OUT.svg RESULTS.json...");
        return ExitCode::from(2);
    };
    let mut points = Vec::new();
    for path in inputs {
        match read(path) {
            Ok(p) => points.push(p),
            Err(e) => {
                eprintln!("bench chart: {e}");
                return ExitCode::FAILURE;
            }
        }
    }
    if points.is_empty() {
        eprintln!("bench chart: no results given");
        return ExitCode::from(2);
    }
    points.sort_by(|a, b| a.n.total_cmp(&b.n));
    let svg = draw(&points);
    if let Err(e) = std::fs::write(out, svg) {
        eprintln!("bench chart: {out}: {e}");
        return ExitCode::FAILURE;
    }
    eprintln!("wrote {out} ({} points)", points.len());
    ExitCode::SUCCESS
}

/// A round step for about five ticks up to `max`.
fn step(max: f64) -> f64 {
    let raw = max / 5.0;
    let magnitude = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|m| m * magnitude)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * magnitude)
}

/// A line: its name, colour, and value at a point.
type Series = (&'static str, &'static str, fn(&Point) -> f64);

fn draw(points: &[Point]) -> String {
    let (width, height) = (720.0, 440.0);
    let (left, right, top, bottom) = (70.0, 170.0, 40.0, 60.0);
    let (plot_w, plot_h) = (width - left - right, height - top - bottom);
    let max_n = points.iter().map(|p| p.n).fold(0.0, f64::max);
    let max_t = points
        .iter()
        .map(|p| {
            let highest = p.spreads.iter().flatten().map(|r| r.1).fold(0.0, f64::max);
            p.operator
                .max(p.floor)
                .max(p.floor_events.unwrap_or(0.0))
                .max(highest)
        })
        .fold(0.0, f64::max);
    let (x_step, y_step) = (step(max_n), step(max_t));
    let x_max = (max_n / x_step).ceil() * x_step;
    let y_max = (max_t / y_step).ceil() * y_step;
    let x = |n: f64| left + n / x_max * plot_w;
    let y = |t: f64| top + plot_h - t / y_max * plot_h;

    let mut svg = String::new();
    let _ = writeln!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">"#
    );
    let _ = writeln!(
        svg,
        r#"<rect width="{width}" height="{height}" fill="white"/><text x="{left}" y="22" font-size="15">Convergence time against N (3 recommendations per report)</text>"#
    );
    let mut tick = 0.0;
    while tick <= y_max + 1e-9 {
        let _ = writeln!(
            svg,
            r##"<line x1="{left}" x2="{}" y1="{y0:.1}" y2="{y0:.1}" stroke="#ddd"/><text x="{}" y="{:.1}" text-anchor="end">{tick}</text>"##,
            left + plot_w,
            left - 8.0,
            y(tick) + 4.0,
            y0 = y(tick),
        );
        tick += y_step;
    }
    let mut tick = 0.0;
    while tick <= x_max + 1e-9 {
        let _ = writeln!(
            svg,
            r##"<line x1="{x0:.1}" x2="{x0:.1}" y1="{top}" y2="{}" stroke="#eee"/><text x="{x0:.1}" y="{}" text-anchor="middle">{tick}</text>"##,
            top + plot_h,
            top + plot_h + 18.0,
            x0 = x(tick),
        );
        tick += x_step;
    }
    let _ = writeln!(
        svg,
        r#"<text x="{}" y="{}" text-anchor="middle">reports (N)</text><text transform="translate(18 {}) rotate(-90)" text-anchor="middle">seconds</text>"#,
        left + plot_w / 2.0,
        height - 18.0,
        top + plot_h / 2.0
    );
    let mut series: Vec<Series> = vec![
        ("operator", "#c0392b", |p| p.operator),
        ("floor (plain client)", "#2c6fbb", |p| p.floor),
    ];
    if points.iter().all(|p| p.floor_events.is_some()) {
        series.push(("floor + Events", "#27ae60", |p| {
            p.floor_events.unwrap_or(p.floor)
        }));
    }
    for (i, (name, colour, value)) in series.iter().enumerate() {
        let path: Vec<String> = points
            .iter()
            .map(|p| format!("{:.1},{:.1}", x(p.n), y(value(p))))
            .collect();
        let _ = writeln!(
            svg,
            r#"<polyline points="{}" fill="none" stroke="{colour}" stroke-width="2"/>"#,
            path.join(" ")
        );
        for p in points {
            // The spread over the rounds, as a whisker from the lowest to the highest.
            if let Some((lo, hi)) = p.spreads[i] {
                let _ = writeln!(
                    svg,
                    r#"<line x1="{x0:.1}" x2="{x0:.1}" y1="{:.1}" y2="{:.1}" stroke="{colour}" stroke-width="1.5"/><line x1="{:.1}" x2="{:.1}" y1="{:.1}" y2="{:.1}" stroke="{colour}"/><line x1="{:.1}" x2="{:.1}" y1="{:.1}" y2="{:.1}" stroke="{colour}"/>"#,
                    y(lo),
                    y(hi),
                    x(p.n) - 4.0,
                    x(p.n) + 4.0,
                    y(lo),
                    y(lo),
                    x(p.n) - 4.0,
                    x(p.n) + 4.0,
                    y(hi),
                    y(hi),
                    x0 = x(p.n),
                );
            }
            let _ = writeln!(
                svg,
                r#"<circle cx="{:.1}" cy="{:.1}" r="3.5" fill="{colour}"><title>N = {}: {:.2} s</title></circle>"#,
                x(p.n),
                y(value(p)),
                p.n,
                value(p)
            );
        }
        let ly = top + 10.0 + 20.0 * i as f64;
        let _ = writeln!(
            svg,
            r#"<line x1="{}" x2="{}" y1="{ly}" y2="{ly}" stroke="{colour}" stroke-width="2"/><text x="{}" y="{}">{name}</text>"#,
            left + plot_w + 15.0,
            left + plot_w + 40.0,
            left + plot_w + 46.0,
            ly + 4.0
        );
    }
    for (i, p) in points.iter().enumerate() {
        let _ = writeln!(
            svg,
            r#"<text x="{}" y="{}" font-size="11">N = {}: ratio {:.2}{}</text>"#,
            left + plot_w + 15.0,
            top + 90.0 + 16.0 * i as f64,
            p.n,
            p.operator / p.floor,
            p.ratio_range
                .map(|(lo, hi)| format!(" ({lo:.2}–{hi:.2})"))
                .unwrap_or_default()
        );
    }
    svg.push_str("</svg>\n");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_are_round() {
        assert_eq!(step(10_000.0), 2_000.0);
        assert_eq!(step(37.0), 10.0);
        assert_eq!(step(8.8), 2.0);
    }

    #[test]
    fn a_chart_has_a_point_per_run_and_series() {
        let points = [
            Point {
                n: 1000.0,
                operator: 8.8,
                floor: 5.7,
                floor_events: None,
                spreads: [None; 3],
                ratio_range: None,
            },
            Point {
                n: 10000.0,
                operator: 90.0,
                floor: 60.0,
                floor_events: None,
                spreads: [Some((80.0, 99.0)), Some((55.0, 61.0)), None],
                ratio_range: Some((1.31, 1.8)),
            },
        ];
        let svg = draw(&points);
        assert_eq!(svg.matches("<circle").count(), 4);
        assert_eq!(svg.matches("<polyline").count(), 2);
        assert!(svg.contains("N = 10000: ratio 1.50 (1.31–1.80)"));
        assert!(
            svg.contains("N = 1000: ratio 1.54</text>"),
            "no spread without rounds"
        );
        // One whisker (three lines) per series with a spread.
        assert_eq!(svg.matches(r#"stroke-width="1.5""#).count(), 2);
    }
}
