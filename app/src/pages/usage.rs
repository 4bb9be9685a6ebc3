//! `/org/usage`: the usage dashboard (`usage.read` at the org). A period picker (day, week,
//! month; in the URL, so it is a plain GET form), then server-rendered SVG charts, each with
//! a table of the same numbers beside it: spend over time stacked by what it was for, top
//! teams and assistants, each quota's burn-down with its limit and forecast, actions
//! executed and denied per day. **Download CSV** is `/org/usage/export.csv?period=`.
//! Spend in other currencies is named, never added in.

use crate::api::spend::usage_dashboard;
use crate::components::chart::{scale_value, short_date, BurnDown, PairBars, RankBars, StackedBars};
use crate::components::notice::ErrorNotice;
use crate::components::spend::{period_words, quota_amount, QuotaMeter};
use crate::domain::spend::{item_type_name, quota_measure, Dashboard, QuotaBurn, Ranked};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

#[component]
pub fn UsagePage() -> impl IntoView {
    let query = use_query_map();
    let period = Signal::derive(move || {
        let p = query.read().get("period").unwrap_or_default();
        if ["day", "week", "month"].contains(&p.as_str()) {
            p
        } else {
            "month".to_string()
        }
    });
    let data = Resource::new(move || period.get(), |p| usage_dashboard(Some(p)));
    view! {
        <Title text="Usage"/>
        <div class="page-header">
            <h1>"Usage"</h1>
            <p class="muted">"What the organisation spent and did in the current day, week or month (in the organisation's time zone), and how each quota is burning down. "
                <a href="/org/quotas">"Quotas"</a></p>
        </div>
        <form method="get" action="/org/usage" class="filters usage-period" data-testid="usage-period">
            <div class="field">
                <label for="usage-period">"Period"</label>
                <select id="usage-period" name="period">
                    {move || {
                        let now = period.get();
                        [("day", "Today"), ("week", "This week"), ("month", "This month")]
                            .into_iter()
                            .map(|(v, t)| view! { <option value=v selected=now == v>{t}</option> })
                            .collect_view()
                    }}
                </select>
            </div>
            <button type="submit" class="btn btn-secondary">"Show"</button>
            <a class="btn btn-secondary" data-testid="usage-csv" href=move || format!("/org/usage/export.csv?period={}", period.get()) download>
                "Download CSV"
            </a>
        </form>
        <Transition fallback=|| view! { <div class="page-loading" role="status">"Loading…"</div> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(d) => view! { <DashboardBody d/> }.into_any(),
                    Err(error) => view! { <ErrorNotice error/> }.into_any(),
                }
            })}
        </Transition>
    }
    .into_any()
}

#[component]
fn DashboardBody(d: Dashboard) -> impl IntoView {
    let cur = d.currency.clone();
    let when = period_words(&d.period);
    let others = (!d.other_currencies.is_empty()).then(|| {
        view! {
            <p class="banner banner-info" data-testid="usage-other-currencies">
                {format!(
                    "Spend in {} is not included here: amounts in different currencies are never added together.",
                    d.other_currencies.join(", "),
                )}
            </p>
        }
    });
    let series: Vec<String> = d.item_types.iter().map(|t| item_type_name(Some(t)).to_string()).collect();
    let labels: Vec<String> = d.days.iter().map(|x| x.date.clone()).collect();
    let values: Vec<Vec<f64>> = d.days.iter().map(|x| x.amounts.iter().map(|a| scale_value(a)).collect()).collect();
    let spend_title = format!("Spend per day {when} by what it was for, in {cur}; total {} {cur}", d.total);
    // The table lists only what something was spent on this period (the chart's legend
    // names every kind).
    let used: Vec<usize> = (0..d.item_types.len())
        .filter(|i| d.days.iter().any(|x| x.amounts.get(*i).is_some_and(|a| scale_value(a) > 0.0)))
        .collect();
    let spend_rows = d
        .days
        .iter()
        .map(|day| {
            let cells = used
                .iter()
                .map(|i| view! { <td class="num">{day.amounts.get(*i).cloned().unwrap_or_default()}</td> })
                .collect_view();
            view! { <tr><th scope="row">{short_date(&day.date)}</th>{cells}<td class="num"><strong>{day.total.clone()}</strong></td></tr> }
        })
        .collect_view();
    let spend_head =
        used.iter().map(|i| view! { <th scope="col" class="num">{series[*i].clone()}</th> }).collect_view();
    let actions_title = format!(
        "Actions executed and denied per day {when}: {} executed, {} denied",
        d.actions.iter().map(|a| a.executed).sum::<u64>(),
        d.actions.iter().map(|a| a.denied).sum::<u64>(),
    );
    let action_labels: Vec<String> = d.actions.iter().map(|a| a.date.clone()).collect();
    let action_values: Vec<(f64, f64)> = d.actions.iter().map(|a| (a.executed as f64, a.denied as f64)).collect();
    let action_rows = d
        .actions
        .iter()
        .map(|a| view! { <tr><th scope="row">{short_date(&a.date)}</th><td class="num">{a.executed}</td><td class="num">{a.denied}</td></tr> })
        .collect_view();
    let part0 = view! {
        {others}
    }
    .into_any();
    let part1 = view! {
        <section class="card" aria-labelledby="spend-title" data-testid="usage-spend">
            <h2 id="spend-title">{format!("Spend {when}")}</h2>
            <p class="stat-line"><span class="stat-value" data-testid="usage-total">{format!("{} {cur}", d.total)}</span></p>
            <div class="chart-with-table">
                <StackedBars title=spend_title labels values series/>
                <div class="table-wrap">
                    <table class="table table-compact" data-testid="usage-spend-table">
                        <caption class="sr-only">{format!("Spend per day in {cur}")}</caption>
                        <thead><tr><th scope="col">"Day"</th>{spend_head}<th scope="col" class="num">"Total"</th></tr></thead>
                        <tbody>{spend_rows}</tbody>
                    </table>
                </div>
            </div>
        </section>
    }
    .into_any();
    let part2 = view! {
        <div class="usage-grid">
            <Ranking title="Top teams" testid="usage-top-teams" rows=d.top_teams.clone() cur=cur.clone() empty="No team has spent anything yet." link="/org/teams/"/>
            <Ranking title="Top assistants" testid="usage-top-assistants" rows=d.top_assistants.clone() cur=cur.clone() empty="No assistant has spent anything yet."/>
        </div>
    }
    .into_any();
    let part3 = view! {
        <section class="card" aria-labelledby="burn-title" data-testid="usage-burn-down">
            <h2 id="burn-title">"Quota burn-down"</h2>
            {if d.burn_down.is_empty() {
                view! { <p class="muted">"No quota yet. " <a href="/org/quotas">"Add one"</a></p> }.into_any()
            } else {
                d.burn_down.into_iter().map(|b| view! { <Burn b/> }).collect_view().into_any()
            }}
        </section>
    }
    .into_any();
    let part4 = view! {
        <section class="card" aria-labelledby="actions-title" data-testid="usage-actions">
            <h2 id="actions-title">{format!("Actions {when}")}</h2>
            <div class="chart-with-table">
                <PairBars title=actions_title labels=action_labels values=action_values names=("Executed".to_string(), "Denied".to_string())/>
                <div class="table-wrap">
                    <table class="table table-compact" data-testid="usage-actions-table">
                        <caption class="sr-only">"Actions executed and denied per day"</caption>
                        <thead><tr><th scope="col">"Day"</th><th scope="col" class="num">"Executed"</th><th scope="col" class="num">"Denied"</th></tr></thead>
                        <tbody>{action_rows}</tbody>
                    </table>
                </div>
            </div>
        </section>

    }
    .into_any();
    view! { {part0} {part1} {part2} {part3} {part4} }.into_any()
}

#[component]
fn Ranking(
    title: &'static str,
    testid: &'static str,
    rows: Vec<Ranked>,
    cur: String,
    empty: &'static str,
    /// Each name links to `{link}{id}` (a team's page).
    #[prop(optional)]
    link: Option<&'static str>,
) -> impl IntoView {
    if rows.is_empty() {
        return view! {
            <section class="card" data-testid=testid><h2>{title}</h2><p class="muted">{empty}</p></section>
        }
        .into_any();
    }
    let chart_rows: Vec<(String, f64, String)> =
        rows.iter().map(|r| (r.name.clone(), scale_value(&r.amount), format!("{} {cur}", r.amount))).collect();
    let label = format!(
        "{title} by spend in {cur}: {}",
        rows.iter().map(|r| format!("{} {}", r.name, r.amount)).collect::<Vec<_>>().join(", ")
    );
    let table_rows = rows
        .iter()
        .map(|r| {
            let name = match link {
                Some(l) => view! { <a href=format!("{l}{}", r.id)>{r.name.clone()}</a> }.into_any(),
                None => view! { {r.name.clone()} }.into_any(),
            };
            view! { <tr><th scope="row">{name}</th><td class="num">{r.amount.clone()}</td><td class="num">{r.count}</td></tr> }
        })
        .collect_view();
    view! {
        <section class="card" data-testid=testid>
            <h2>{title}</h2>
            <RankBars title=label rows=chart_rows/>
            <table class="table table-compact">
                <thead><tr><th scope="col">"Name"</th><th scope="col" class="num">{format!("Spent ({cur})")}</th><th scope="col" class="num">"Records"</th></tr></thead>
                <tbody>{table_rows}</tbody>
            </table>
        </section>
    }
    .into_any()
}

/// The number of calendar days between two RFC 3339 times (a period's length).
fn days_between(start: &str, end: &str) -> usize {
    let p = |s: &str| chrono::DateTime::parse_from_rfc3339(s).ok();
    match (p(start), p(end)) {
        (Some(a), Some(b)) => usize::try_from((b - a).num_days()).unwrap_or(1).max(1),
        _ => 1,
    }
}

#[component]
fn Burn(b: QuotaBurn) -> impl IntoView {
    let q = b.quota;
    let measure = quota_measure(q.item_type.as_deref(), &q.metric, &q.period);
    let days = days_between(&q.period_start, &q.period_end);
    let title = format!(
        "Burn-down of \u{201c}{}\u{201d} ({} for {}): {} of {} used, forecast {} by the end of the {}",
        q.name,
        measure,
        q.owner,
        quota_amount(&q, &q.used),
        quota_amount(&q, &q.limit),
        quota_amount(&q, &q.forecast),
        q.period,
    );
    let points: Vec<f64> = b.points.iter().map(|(_, v)| scale_value(v)).collect();
    let first = b.points.first().map(|(d, _)| d.clone()).unwrap_or_default();
    let last = b.points.last().map(|(d, _)| d.clone()).unwrap_or_default();
    let rows = b
        .points
        .iter()
        .map(|(d, v)| view! { <tr><th scope="row">{short_date(d)}</th><td class="num">{v.clone()}</td></tr> })
        .collect_view();
    view! {
        <div class="burn" data-testid="burn">
            <h3>{q.name.clone()} <span class="muted small">{format!(" {measure} for {}", q.owner)}</span></h3>
            <QuotaMeter q=q.clone()/>
            <div class="chart-with-table">
                <BurnDown title days points limit=scale_value(&q.limit) forecast=scale_value(&q.forecast) first last/>
                <div class="table-wrap">
                    <table class="table table-compact" data-testid="burn-table">
                        <thead><tr><th scope="col">"Day"</th><th scope="col" class="num">"Used by then"</th></tr></thead>
                        <tbody>{rows}</tbody>
                        <tfoot>
                            <tr><th scope="row">"Forecast"</th><td class="num">{q.forecast.clone()}</td></tr>
                            <tr><th scope="row">"Limit"</th><td class="num">{q.limit.clone()}</td></tr>
                        </tfoot>
                    </table>
                </div>
            </div>
        </div>
    }
    .into_any()
}
