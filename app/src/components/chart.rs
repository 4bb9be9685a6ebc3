//! Server-rendered SVG charts (no script, no chart library): stacked bars over days,
//! horizontal ranking bars, grouped bars, and a burn-down line with its limit and forecast.
//! Each chart is an `<svg role="img">` with a `<title>` and `aria-label` saying what it
//! shows; pages put a table with the same numbers beside it. Amounts arrive as decimal
//! text; they are turned into `f64` only to place pixels, never to compute money.

use leptos::prelude::*;

/// A bar chart's series colours (CSS classes `series-0` …), in `item_types` order.
pub const SERIES: usize = 6;

/// Decimal text → a pixel-scale number (0 for anything unreadable).
pub fn scale_value(text: &str) -> f64 {
    text.trim().parse::<f64>().ok().filter(|v| v.is_finite()).unwrap_or(0.0)
}

/// A "nice" top of the axis at or above `max` (1, 2, 2.5, 5 × 10^n), never 0.
pub fn nice_top(max: f64) -> f64 {
    if max <= 0.0 {
        return 1.0;
    }
    let exp = max.log10().floor();
    let base = 10f64.powf(exp);
    for step in [1.0, 2.0, 2.5, 4.0, 5.0, 6.0, 8.0, 10.0] {
        if step * base >= max {
            return step * base;
        }
    }
    10.0 * base
}

/// "2026-12-05" → "5 Dec".
pub fn short_date(date: &str) -> String {
    match chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d") {
        Ok(d) => d.format("%-d %b").to_string(),
        Err(_) => date.to_string(),
    }
}

const W: f64 = 640.0;
const H: f64 = 220.0;
const LEFT: f64 = 56.0;
const BOTTOM: f64 = 28.0;
const TOP: f64 = 12.0;
const RIGHT: f64 = 12.0;

fn axis(top: f64, unit: &str) -> impl IntoView {
    let plot_h = H - TOP - BOTTOM;
    (0..=4)
        .map(|i| {
            let v = top * f64::from(i) / 4.0;
            let y = TOP + plot_h - plot_h * f64::from(i) / 4.0;
            let label = if v.fract() == 0.0 { format!("{v:.0}{unit}") } else { format!("{v:.2}{unit}") };
            view! {
                <line class="chart-grid" x1=LEFT.to_string() x2=(W - RIGHT).to_string() y1=y.to_string() y2=y.to_string()/>
                <text class="chart-axis" x=(LEFT - 6.0).to_string() y=(y + 4.0).to_string() text-anchor="end">{label}</text>
            }
        })
        .collect_view()
}

/// Every `n`-th label of `count` so at most about 10 show.
fn label_every(count: usize) -> usize {
    count.div_ceil(10).max(1)
}

/// Stacked bars: one bar per label (day), one segment per series.
#[component]
pub fn StackedBars(
    title: String,
    labels: Vec<String>,
    /// values[label][series]
    values: Vec<Vec<f64>>,
    series: Vec<String>,
) -> impl IntoView {
    let max = values.iter().map(|v| v.iter().sum::<f64>()).fold(0.0, f64::max);
    let top = nice_top(max);
    let plot_h = H - TOP - BOTTOM;
    let n = labels.len().max(1);
    let slot = (W - LEFT - RIGHT) / n as f64;
    let bar = (slot * 0.7).max(1.0);
    let every = label_every(n);
    let bars = values
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let x = LEFT + slot * i as f64 + (slot - bar) / 2.0;
            let mut y = TOP + plot_h;
            v.iter()
                .enumerate()
                .filter(|(_, a)| **a > 0.0)
                .map(|(s, a)| {
                    let h = plot_h * a / top;
                    y -= h;
                    view! {
                        <rect class=format!("series-{}", s % SERIES) x=x.to_string() y=y.to_string()
                            width=bar.to_string() height=h.to_string()/>
                    }
                })
                .collect_view()
        })
        .collect_view();
    let xlabels = labels
        .iter()
        .enumerate()
        .filter(|(i, _)| i % every == 0)
        .map(|(i, l)| {
            let x = LEFT + slot * i as f64 + slot / 2.0;
            view! { <text class="chart-axis" x=x.to_string() y=(H - 8.0).to_string() text-anchor="middle">{short_date(l)}</text> }
        })
        .collect_view();
    let legend = series
        .iter()
        .enumerate()
        .map(|(s, name)| {
            view! { <li><span class=format!("swatch series-{}", s % SERIES) aria-hidden="true"></span>{name.clone()}</li> }
        })
        .collect_view();
    view! {
        <figure class="chart">
            <svg viewBox=format!("0 0 {W} {H}") role="img" aria-label=title.clone() preserveAspectRatio="xMidYMid meet">
                <title>{title.clone()}</title>
                {axis(top, "")}
                {bars}
                {xlabels}
            </svg>
            <ul class="chart-legend">{legend}</ul>
        </figure>
    }
    .into_any()
}

/// Horizontal bars, one per (name, value), longest first as given.
#[component]
pub fn RankBars(title: String, rows: Vec<(String, f64, String)>) -> impl IntoView {
    let max = rows.iter().map(|r| r.1).fold(0.0, f64::max);
    let top = nice_top(max);
    let row_h = 28.0;
    let h = (rows.len().max(1) as f64) * row_h + 8.0;
    let name_w = 180.0;
    let bars = rows
        .into_iter()
        .enumerate()
        .map(|(i, (name, v, text))| {
            let y = 4.0 + row_h * i as f64;
            let w = (W - name_w - 110.0) * v / top;
            view! {
                <text class="chart-label" x=(name_w - 8.0).to_string() y=(y + 17.0).to_string() text-anchor="end">{name}</text>
                <rect class="series-0" x=name_w.to_string() y=(y + 4.0).to_string() width=w.max(1.0).to_string() height=(row_h - 10.0).to_string()/>
                <text class="chart-label" x=(name_w + w + 6.0).to_string() y=(y + 17.0).to_string()>{text}</text>
            }
        })
        .collect_view();
    view! {
        <figure class="chart">
            <svg viewBox=format!("0 0 {W} {h}") role="img" aria-label=title.clone()>
                <title>{title.clone()}</title>
                {bars}
            </svg>
        </figure>
    }
    .into_any()
}

/// Two bars per label (e.g. executed and denied actions per day).
#[component]
pub fn PairBars(title: String, labels: Vec<String>, values: Vec<(f64, f64)>, names: (String, String)) -> impl IntoView {
    let max = values.iter().map(|(a, b)| a.max(*b)).fold(0.0, f64::max);
    // Counts: a top divisible by 4 so every grid line is a whole number.
    let top = (max / 4.0).ceil().max(1.0) * 4.0;
    let plot_h = H - TOP - BOTTOM;
    let n = labels.len().max(1);
    let slot = (W - LEFT - RIGHT) / n as f64;
    let bar = (slot * 0.35).max(1.0);
    let every = label_every(n);
    let bars = values
        .iter()
        .enumerate()
        .map(|(i, (a, b))| {
            let x = LEFT + slot * i as f64 + slot / 2.0 - bar;
            let ha = plot_h * a / top;
            let hb = plot_h * b / top;
            view! {
                <rect class="series-ok" x=x.to_string() y=(TOP + plot_h - ha).to_string() width=bar.to_string() height=ha.to_string()/>
                <rect class="series-bad" x=(x + bar).to_string() y=(TOP + plot_h - hb).to_string() width=bar.to_string() height=hb.to_string()/>
            }
        })
        .collect_view();
    let xlabels = labels
        .iter()
        .enumerate()
        .filter(|(i, _)| i % every == 0)
        .map(|(i, l)| {
            let x = LEFT + slot * i as f64 + slot / 2.0;
            view! { <text class="chart-axis" x=x.to_string() y=(H - 8.0).to_string() text-anchor="middle">{short_date(l)}</text> }
        })
        .collect_view();
    view! {
        <figure class="chart">
            <svg viewBox=format!("0 0 {W} {H}") role="img" aria-label=title.clone()>
                <title>{title.clone()}</title>
                {axis(top, "")}
                {bars}
                {xlabels}
            </svg>
            <ul class="chart-legend">
                <li><span class="swatch series-ok" aria-hidden="true"></span>{names.0}</li>
                <li><span class="swatch series-bad" aria-hidden="true"></span>{names.1}</li>
            </ul>
        </figure>
    }
    .into_any()
}

/// A quota's burn-down: cumulative use per day (solid), the limit (a level line) and the
/// forecast from today to the period's end (dashed), over all `days` of the period.
#[component]
pub fn BurnDown(
    title: String,
    days: usize,
    points: Vec<f64>,
    limit: f64,
    forecast: f64,
    /// The first and the last day of `points` ("2026-12-01"), for the axis.
    first: String,
    last: String,
) -> impl IntoView {
    let days = days.max(points.len()).max(1);
    let top = nice_top(limit.max(forecast).max(points.iter().copied().fold(0.0, f64::max)));
    let plot_h = H - TOP - BOTTOM;
    let step = (W - LEFT - RIGHT) / days as f64;
    let x = |i: f64| LEFT + step * i;
    let y = |v: f64| TOP + plot_h - plot_h * v / top;
    // Each day's point sits at the day's end.
    let mut path = format!("M{:.1},{:.1}", x(0.0), y(0.0));
    for (i, v) in points.iter().enumerate() {
        path.push_str(&format!(" L{:.1},{:.1}", x(i as f64 + 1.0), y(*v)));
    }
    let last_value = points.last().copied().unwrap_or(0.0);
    let forecast_line = (points.len() < days).then(|| {
        view! {
            <line class="chart-forecast" x1=x(points.len() as f64).to_string() y1=y(last_value).to_string()
                x2=x(days as f64).to_string() y2=y(forecast).to_string()/>
        }
    });
    view! {
        <figure class="chart">
            <svg viewBox=format!("0 0 {W} {H}") role="img" aria-label=title.clone()>
                <title>{title.clone()}</title>
                {axis(top, "")}
                <line class="chart-limit" x1=LEFT.to_string() x2=(W - RIGHT).to_string() y1=y(limit).to_string() y2=y(limit).to_string()/>
                <path class="chart-used" d=path/>
                {forecast_line}
                <text class="chart-axis" x=x(0.0).to_string() y=(H - 8.0).to_string() text-anchor="start">{short_date(&first)}</text>
                {(points.len() > 1 && points.len() < days).then(|| view! {
                    <text class="chart-axis" x=x(points.len() as f64).to_string() y=(H - 8.0).to_string() text-anchor="middle">{short_date(&last)}</text>
                })}
                <text class="chart-axis" x=x(days as f64).to_string() y=(H - 8.0).to_string() text-anchor="end">"End of period"</text>
            </svg>
            <ul class="chart-legend">
                <li><span class="swatch swatch-used" aria-hidden="true"></span>"Used so far"</li>
                <li><span class="swatch swatch-forecast" aria-hidden="true"></span>"Forecast"</li>
                <li><span class="swatch swatch-limit" aria-hidden="true"></span>"Limit"</li>
            </ul>
        </figure>
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axis_tops_are_round() {
        assert_eq!(nice_top(0.0), 1.0);
        assert_eq!(nice_top(85.0), 100.0);
        assert_eq!(nice_top(101.0), 200.0);
        assert_eq!(nice_top(520.0), 600.0);
        assert_eq!(nice_top(2.2), 2.5);
        assert_eq!(scale_value("85.00"), 85.0);
        assert_eq!(scale_value("x"), 0.0);
        assert_eq!(short_date("2026-12-05"), "5 Dec");
        assert_eq!(label_every(31), 4);
    }
}
