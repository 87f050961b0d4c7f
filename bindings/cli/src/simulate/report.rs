//! The HTML report: one self-contained file (no script, no external asset) with the summary
//! tables and SVG plots drawn with `plotters`: utilisation per resource over time, the pending
//! queue over time, unplaced reasons over time, a per-agent fill map grouped by rack, and the
//! runs side by side.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use serde_json::Value as Json;

use super::master::KINDS;
use super::runner::Run;
use super::summary;

/// Colours for series, in order (colour-blind-safe Okabe–Ito palette).
const PALETTE: [RGBColor; 8] = [
    RGBColor(0, 114, 178),
    RGBColor(230, 159, 0),
    RGBColor(0, 158, 115),
    RGBColor(204, 121, 167),
    RGBColor(86, 180, 233),
    RGBColor(213, 94, 0),
    RGBColor(240, 228, 66),
    RGBColor(0, 0, 0),
];

fn colour(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

/// Escapes text for HTML.
fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// Draws into an SVG string of `w`×`h`; a drawing error becomes a short note instead.
fn svg(
    w: u32,
    h: u32,
    draw: impl FnOnce(DrawingArea<SVGBackend<'_>, plotters::coord::Shift>) -> Result<(), String>,
) -> String {
    let mut buf = String::new();
    let result = {
        let root = SVGBackend::with_string(&mut buf, (w, h)).into_drawing_area();
        let r = root.fill(&WHITE).map_err(|e| e.to_string()).and_then(|()| draw(root.clone()));
        r.and_then(|()| root.present().map_err(|e| e.to_string()))
    };
    match result {
        Ok(()) => buf,
        Err(e) => format!("<p class=\"err\">plot not drawn: {}</p>", esc(&e)),
    }
}

/// The time axis: hours when the run is long, else minutes.
fn time_unit(duration_s: f64) -> (f64, &'static str) {
    if duration_s > 3.0 * 3600.0 {
        (3600.0, "hours")
    } else {
        (60.0, "minutes")
    }
}

/// The chart type every time plot uses.
type TimeChart<'a, 'b> = ChartContext<'a, SVGBackend<'b>, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

/// A chart with `x` in [0, xmax] (labelled `xdesc`) and `y` in [0, ymax] (labelled `ydesc`).
fn chart<'a, 'b>(
    root: &'a DrawingArea<SVGBackend<'b>, plotters::coord::Shift>,
    title: &str,
    (xmax, xdesc): (f64, &str),
    (ymax, ydesc): (f64, &str),
) -> Result<TimeChart<'a, 'b>, String> {
    let mut chart = ChartBuilder::on(root)
        .caption(title, ("sans-serif", 16))
        .margin(10)
        .x_label_area_size(32)
        .y_label_area_size(50)
        .build_cartesian_2d(0f64..xmax.max(1e-3), 0f64..ymax)
        .map_err(|e| e.to_string())?;
    chart.configure_mesh().x_desc(xdesc).y_desc(ydesc).draw().map_err(|e| e.to_string())?;
    Ok(chart)
}

/// Draws the legend box.
fn legend<'a, 'b: 'a>(chart: &mut TimeChart<'a, 'b>) -> Result<(), String> {
    chart
        .configure_series_labels()
        .border_style(BLACK)
        .background_style(WHITE.mix(0.8))
        .draw()
        .map_err(|e| e.to_string())
}

/// A line series with its legend entry.
fn line<'a, 'b>(chart: &mut TimeChart<'a, 'b>, pts: Vec<(f64, f64)>, c: RGBColor, label: &str) -> Result<(), String> {
    chart
        .draw_series(LineSeries::new(pts, c.stroke_width(2)))
        .map_err(|e| e.to_string())?
        .label(label)
        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], c.stroke_width(2)));
    Ok(())
}

fn utilisation_plot(label: &str, run: &Run) -> String {
    let (unit, uname) = time_unit(run.duration_s);
    svg(640, 300, |root| {
        let title = format!("utilisation per resource — {label}");
        let mut chart = chart(&root, &title, (run.duration_s / unit, uname), (100.0, "% used"))?;
        for (k, name) in KINDS.iter().enumerate() {
            if run.master.size[k] > 0.0 {
                let pts: Vec<(f64, f64)> = run.samples.iter().map(|s| (s.t / unit, s.util[k] * 100.0)).collect();
                line(&mut chart, pts, colour(k), name)?;
            }
        }
        legend(&mut chart)
    })
}

fn pending_plot(runs: &[(String, Json, Run)]) -> String {
    let dur = runs.iter().map(|r| r.2.duration_s).fold(0.0, f64::max);
    let (unit, uname) = time_unit(dur);
    let ymax = runs.iter().flat_map(|r| r.2.samples.iter().map(|s| s.pending)).max().unwrap_or(0).max(1) as f64 * 1.1;
    svg(640, 300, |root| {
        let mut chart = chart(&root, "pending tasks over time", (dur / unit, uname), (ymax, "tasks pending"))?;
        for (i, (label, _, run)) in runs.iter().enumerate() {
            let pts: Vec<(f64, f64)> = run.samples.iter().map(|s| (s.t / unit, s.pending as f64)).collect();
            line(&mut chart, pts, colour(i), label)?;
        }
        legend(&mut chart)
    })
}

/// Pending tasks by blamed reason over time, stacked.
fn reasons_plot(label: &str, run: &Run) -> String {
    let (unit, uname) = time_unit(run.duration_s);
    let codes: BTreeSet<&String> = run.samples.iter().flat_map(|s| s.reasons.keys()).collect();
    let ymax = run.samples.iter().map(|s| s.pending).max().unwrap_or(0).max(1) as f64 * 1.1;
    svg(640, 300, |root| {
        let title = format!("unplaced tasks by reason — {label}");
        let mut chart = chart(&root, &title, (run.duration_s / unit, uname), (ymax, "tasks pending"))?;
        // Stacked: each band is drawn from the running total down, top band first.
        let mut totals: Vec<f64> = vec![0.0; run.samples.len()];
        let mut bands = Vec::new();
        for code in &codes {
            for (t, s) in totals.iter_mut().zip(&run.samples) {
                *t += s.reasons.get(*code).copied().unwrap_or(0) as f64;
            }
            bands.push(((*code).clone(), totals.clone()));
        }
        for (i, (code, tops)) in bands.iter().enumerate().rev() {
            let c = colour(i);
            let pts: Vec<(f64, f64)> = run.samples.iter().zip(tops).map(|(s, y)| (s.t / unit, *y)).collect();
            chart
                .draw_series(AreaSeries::new(pts, 0.0, c.mix(0.85)).border_style(c))
                .map_err(|e| e.to_string())?
                .label(code.as_str())
                .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 12, y + 5)], c.filled()));
        }
        if codes.is_empty() {
            let note = Text::new("no task waited for a reason", (0.0, ymax * 0.5), ("sans-serif", 14));
            chart.draw_series(std::iter::once(note)).map_err(|e| e.to_string())?;
            Ok(())
        } else {
            legend(&mut chart)
        }
    })
}

/// One cell per agent coloured by how full its cpus are (and a bar for mem), one row of cells
/// per rack (or zone, or one row when agents have neither).
fn fill_map(label: &str, run: &Run) -> String {
    let mut groups: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, a) in run.master.agents.iter().enumerate() {
        let g = a.spec.attribute_text("rack").or_else(|| a.spec.zone.clone()).unwrap_or_else(|| "all".into());
        groups.entry(g).or_default().push(i);
    }
    let widest = groups.values().map(Vec::len).max().unwrap_or(1);
    let per_row = widest.clamp(1, 60);
    let rows: usize = groups.values().map(|v| v.len().div_ceil(per_row)).sum::<usize>().max(1);
    // Too many agents for one cell each: draw at most 4,000 (the first of each rack), and say so.
    let cell: i32 = if rows * per_row > 4000 { 6 } else { 12 };
    let left = 80i32;
    let top = 36i32;
    let w = (left + per_row as i32 * (cell + 2) + 150).max(420) as u32;
    let h = (top + rows.min(4000 / per_row.max(1)) as i32 * (cell + 4) + 30) as u32;
    svg(w, h, |root| {
        let title = format!("agent fill by rack (cpus; darker = fuller) — {label}");
        root.draw(&Text::new(title, (10, 8), ("sans-serif", 16))).map_err(|e| e.to_string())?;
        let mut y = top;
        let mut drawn = 0usize;
        for (g, list) in &groups {
            root.draw(&Text::new(g.clone(), (8, y), ("sans-serif", 12))).map_err(|e| e.to_string())?;
            for chunk in list.chunks(per_row) {
                if drawn > 4000 {
                    break;
                }
                for (j, &i) in chunk.iter().enumerate() {
                    let a = &run.master.agents[i];
                    let f = if a.size[0] > 0.0 { (a.used[0] / a.size[0]).clamp(0.0, 1.0) } else { 0.0 };
                    let m = if a.size[1] > 0.0 { (a.used[1] / a.size[1]).clamp(0.0, 1.0) } else { 0.0 };
                    let shade = (235.0 - 200.0 * f) as u8;
                    let x = left + j as i32 * (cell + 2);
                    let fill = RGBColor(shade, shade, 255u8.saturating_sub((f * 60.0) as u8));
                    root.draw(&Rectangle::new([(x, y), (x + cell, y + cell)], fill.filled()))
                        .map_err(|e| e.to_string())?;
                    root.draw(&Rectangle::new([(x, y), (x + cell, y + cell)], RGBColor(150, 150, 150)))
                        .map_err(|e| e.to_string())?;
                    let mh = (m * f64::from(cell)).round() as i32;
                    if mh > 0 {
                        let bar = [(x + cell - 3, y + cell - mh), (x + cell, y + cell)];
                        root.draw(&Rectangle::new(bar, colour(1).filled())).map_err(|e| e.to_string())?;
                    }
                    drawn += 1;
                }
                y += cell + 4;
            }
        }
        let lx = left + per_row as i32 * (cell + 2) + 16;
        root.draw(&Text::new("cell: cpus used", (lx, top), ("sans-serif", 11))).map_err(|e| e.to_string())?;
        root.draw(&Text::new("orange bar: mem used", (lx, top + 14), ("sans-serif", 11))).map_err(|e| e.to_string())?;
        if drawn < run.master.agents.len() {
            let note = format!("{} of {} agents shown", drawn, run.master.agents.len());
            root.draw(&Text::new(note, (lx, top + 28), ("sans-serif", 11))).map_err(|e| e.to_string())?;
        }
        Ok(())
    })
}

/// Stranded `kind` as a share of the cluster's total, in %.
fn stranded_share(s: &Json, kind: &str) -> f64 {
    let total = s.pointer(&format!("/utilisation/{kind}/total")).and_then(Json::as_f64).unwrap_or(0.0);
    if total > 0.0 {
        100.0 * s.pointer(&format!("/stranded/{kind}")).and_then(Json::as_f64).unwrap_or(0.0) / total
    } else {
        0.0
    }
}

/// A named measure of a summary, in %.
type Metric<'a> = (&'a str, &'a dyn Fn(&Json) -> f64);

/// The runs side by side: placed share, mean utilisation of cpus and mem, and the stranded
/// shares of cpus and mem, as grouped bars (all in %).
fn compare_plot(runs: &[(String, Json, Run)]) -> String {
    let metrics: [Metric<'_>; 5] = [
        ("placed %", &|s| {
            let sub = s.pointer("/tasks/submitted").and_then(Json::as_f64).unwrap_or(0.0);
            if sub > 0.0 {
                100.0 * s.pointer("/tasks/placed").and_then(Json::as_f64).unwrap_or(0.0) / sub
            } else {
                100.0
            }
        }),
        ("cpus mean %", &|s| s.pointer("/utilisation/cpus/mean_pct").and_then(Json::as_f64).unwrap_or(0.0)),
        ("mem mean %", &|s| s.pointer("/utilisation/mem/mean_pct").and_then(Json::as_f64).unwrap_or(0.0)),
        ("stranded cpus %", &|s| stranded_share(s, "cpus")),
        ("stranded mem %", &|s| stranded_share(s, "mem")),
    ];
    let n = runs.len().max(1) as f64;
    svg(640, 320, |root| {
        let mut chart = ChartBuilder::on(&root)
            .caption("side by side", ("sans-serif", 16))
            .margin(10)
            .x_label_area_size(32)
            .y_label_area_size(44)
            .build_cartesian_2d(0f64..metrics.len() as f64, 0f64..110f64)
            .map_err(|e| e.to_string())?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(metrics.len() * 2 + 1)
            .x_label_formatter(&|x| {
                let i = x.floor() as usize;
                if (x - x.floor() - 0.5).abs() < 1e-6 {
                    metrics.get(i).map_or(String::new(), |m| m.0.to_owned())
                } else {
                    String::new()
                }
            })
            .y_desc("%")
            .draw()
            .map_err(|e| e.to_string())?;
        for (r, (label, s, _)) in runs.iter().enumerate() {
            let c = colour(r);
            let bars: Vec<Rectangle<(f64, f64)>> = metrics
                .iter()
                .enumerate()
                .map(|(m, (_, f))| {
                    let x0 = m as f64 + 0.1 + 0.8 * r as f64 / n;
                    Rectangle::new([(x0, 0.0), (x0 + 0.8 / n * 0.9, f(s).clamp(0.0, 100.0))], c.filled())
                })
                .collect();
            chart
                .draw_series(bars)
                .map_err(|e| e.to_string())?
                .label(label.as_str())
                .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 12, y + 5)], c.filled()));
        }
        legend(&mut chart)
    })
}

/// The whole report.
pub fn html(runs: &[(String, Json, Run)], min_agents: Option<&Json>) -> String {
    let mut h = String::new();
    h.push_str("<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>offerfit simulate</title>\n<style>\nbody{font-family:system-ui,sans-serif;margin:24px;max-width:1400px;color:#222}\nh1{font-size:22px}h2{font-size:18px;margin-top:28px;border-bottom:1px solid #ddd}\npre{background:#f6f6f6;padding:12px;overflow:auto;font-size:13px}\n.plots{display:flex;flex-wrap:wrap;gap:16px}.plots figure{margin:0}\nfigcaption{font-size:12px;color:#555}\n.err{color:#b00}\n</style></head><body>\n<h1>offerfit simulate</h1>\n");
    if let Some(m) = min_agents {
        let _ = writeln!(
            h,
            "<p id=\"min-agents\">fewest agents of <code>{}</code>: <b>{}</b> (no task waiting more than {} s)</p>",
            esc(m["template"].as_str().unwrap_or("")),
            m["agents"].as_u64().map_or("none up to the cap".into(), |n| n.to_string()),
            m["max_wait_s"]
        );
    }
    let cols: Vec<(String, Json)> = runs.iter().map(|(l, s, _)| (l.clone(), s.clone())).collect();
    let _ = writeln!(h, "<h2>Summary</h2>\n<pre id=\"summary\">{}</pre>", esc(&summary::render(&cols)));
    if runs.len() > 1 {
        let _ = writeln!(
            h,
            "<h2>Side by side</h2>\n<div class=\"plots\"><figure class=\"plot\" id=\"compare\">{}</figure></div>",
            compare_plot(runs)
        );
    }
    let _ = writeln!(
        h,
        "<h2>Pending queue</h2>\n<div class=\"plots\"><figure class=\"plot\" id=\"pending\">{}</figure></div>",
        pending_plot(runs)
    );
    h.push_str("<h2>Utilisation per resource</h2>\n<div class=\"plots\">\n");
    for (label, _, run) in runs {
        let _ = writeln!(h, "<figure class=\"plot\">{}</figure>", utilisation_plot(label, run));
    }
    h.push_str("</div>\n<h2>Unplaced reasons over time</h2>\n<div class=\"plots\">\n");
    for (label, _, run) in runs {
        let _ = writeln!(h, "<figure class=\"plot\">{}</figure>", reasons_plot(label, run));
    }
    h.push_str("</div>\n<h2>Agent fill at the end</h2>\n<div class=\"plots\">\n");
    for (label, _, run) in runs {
        let _ = writeln!(h, "<figure class=\"plot\">{}</figure>", fill_map(label, run));
    }
    h.push_str("</div>\n<h2>Summaries as JSON</h2>\n");
    let all: Vec<Json> = cols.iter().map(|(l, s)| serde_json::json!({"label": l, "summary": s})).collect();
    let _ = writeln!(h, "<pre id=\"json\">{}</pre>", esc(&serde_json::to_string_pretty(&all).unwrap_or_default()));
    h.push_str("</body></html>\n");
    h
}
