//! Reads the last `cargo bench -p mandate-bench --bench decide` run from criterion's files and
//! prints Markdown tables: each benchmark's median (criterion's estimate, with its 95 %
//! confidence interval) and the 10th percentile of its samples, then the Cedar ÷ decide ratios.
//!
//! Why the 10th percentile too: on the shared 2-vCPU machine of bench/RESULTS.md the samples
//! of every benchmark fall into two groups about 2× apart (the vCPU runs at two speeds), so a
//! median can land in either group; the 10th percentile is the fast group, comparable across
//! benchmarks.
//!
//! Usage: criterion_summary [criterion dir = target/criterion]

use serde_json::Value;
use std::path::Path;

const BENCHES: [(&str, &str); 6] = [
    ("decide_pure", "decide, no input check"),
    ("decide_with_schema", "decide + JSON Schema inputs"),
    ("schema_only", "JSON Schema inputs alone"),
    ("cedar", "Cedar, 100 policies"),
    ("cedar_is_authorized_only", "Cedar, 100 policies, `is_authorized` alone (request built beforehand)"),
    ("cedar_4_policies", "Cedar, only the action's 4 policies"),
];

struct Stats {
    median: f64,
    low: f64,
    high: f64,
    p10: f64,
}

fn read(path: &Path) -> Option<Value> {
    serde_json::from_str(&std::fs::read_to_string(path).ok()?).ok()
}

/// Nanoseconds per iteration.
fn stats(dir: &Path, group: &str, id: &str) -> Option<Stats> {
    let base = dir.join(group).join(id).join("new");
    let estimates = read(&base.join("estimates.json"))?;
    let m = &estimates["median"];
    let sample = read(&base.join("sample.json"))?;
    let times = sample["times"].as_array()?;
    let iters = sample["iters"].as_array()?;
    let mut per: Vec<f64> = times.iter().zip(iters).filter_map(|(t, i)| Some(t.as_f64()? / i.as_f64()?)).collect();
    per.sort_by(f64::total_cmp);
    Some(Stats {
        median: m["point_estimate"].as_f64()?,
        low: m["confidence_interval"]["lower_bound"].as_f64()?,
        high: m["confidence_interval"]["upper_bound"].as_f64()?,
        p10: *per.get(per.len() / 10)?,
    })
}

fn time(ns: f64) -> String {
    if ns >= 1000.0 {
        format!("{:.2} µs", ns / 1000.0)
    } else {
        format!("{ns:.0} ns")
    }
}

fn ratio(a: Option<f64>, b: Option<f64>) -> String {
    match (a, b) {
        (Some(a), Some(b)) if b > 0.0 => format!("{:.0}×", a / b),
        _ => "–".into(),
    }
}

fn main() {
    let dir = std::env::args().nth(1).unwrap_or_else(|| "target/criterion".into());
    let dir = Path::new(&dir);
    let groups = ["allowed", "limit_hit"];

    println!("| request | benchmark | median (95 % CI) | 10th percentile |");
    println!("|---|---|---|---|");
    for group in groups {
        for (id, label) in BENCHES {
            match stats(dir, group, id) {
                Some(s) => println!(
                    "| {group} | {label} | {} ({}–{}) | {} |",
                    time(s.median),
                    time(s.low),
                    time(s.high),
                    time(s.p10)
                ),
                None => println!("| {group} | {label} | – | – |"),
            }
        }
    }
    println!();
    println!("| request | Cedar ÷ decide (no input check) | Cedar ÷ decide (+ JSON Schema) |");
    println!("|---|---|---|");
    for group in groups {
        let get = |id| stats(dir, group, id);
        let (cedar, pure, schema) = (get("cedar"), get("decide_pure"), get("decide_with_schema"));
        let med = |s: &Option<Stats>| s.as_ref().map(|s| s.median);
        let p10 = |s: &Option<Stats>| s.as_ref().map(|s| s.p10);
        println!(
            "| {group} | {} (medians), {} (10th percentiles) | {} (medians), {} (10th percentiles) |",
            ratio(med(&cedar), med(&pure)),
            ratio(p10(&cedar), p10(&pure)),
            ratio(med(&cedar), med(&schema)),
            ratio(p10(&cedar), p10(&schema))
        );
    }
    println!();
    println!("From {}.", dir.display());
}
