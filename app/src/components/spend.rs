//! Spend pieces several pages show: a quota's meter, and "Spend and quotas" of one team,
//! person or assistant (what it spent in the current day, week or month by what it was
//! for, and every quota over it — its own, its teams' and the org's — with use and
//! forecast). The period is in the URL (`?period=`), so the picker is a plain GET form that
//! works before the page is interactive.

use crate::api::spend::entity_usage;
use crate::components::notice::ErrorNotice;
use crate::domain::spend::{item_type_name, quota_measure, QuotaView, UsageReport};
use leptos::prelude::*;
use leptos_router::hooks::{use_location, use_query_map};

/// A quota's amounts with its currency ("85.00 EUR") or as a count ("12").
pub fn quota_amount(q: &QuotaView, value: &str) -> String {
    match (q.metric.as_str(), &q.currency) {
        ("amount", Some(c)) => format!("{value} {c}"),
        _ => value.to_string(),
    }
}

/// The percent bar of a quota (a meter with its numbers in words for screen readers).
#[component]
pub fn QuotaMeter(q: QuotaView) -> impl IntoView {
    let pct = q.percent;
    let level = if pct >= 100 {
        "meter-over"
    } else if pct >= 80 {
        "meter-high"
    } else {
        "meter-ok"
    };
    let label = format!("{} of {} used ({pct} %)", quota_amount(&q, &q.used), quota_amount(&q, &q.limit));
    view! {
        <div class="quota-meter">
            <div class=format!("meter {level}") role="meter" aria-valuemin="0" aria-valuemax="100"
                aria-valuenow=pct.min(100).to_string() aria-label=label.clone()>
                <span style=format!("width: {}%", pct.min(100))></span>
            </div>
            <span class="meter-text" data-testid="quota-used">{label}</span>
        </div>
    }
    .into_any()
}

/// "today", "this week", "this month".
pub fn period_words(p: &str) -> &'static str {
    match p {
        "day" => "today",
        "week" => "this week",
        _ => "this month",
    }
}

/// `entity_type` is team, user or assistant; `whose` names it in the heading's hint
/// ("this team", "your").
#[component]
pub fn EntityUsage(entity_type: &'static str, entity_id: String, whose: String) -> impl IntoView {
    let query = use_query_map();
    let path = use_location().pathname;
    let period = Signal::derive(move || {
        let p = query.read().get("period").unwrap_or_default();
        if ["day", "week", "month"].contains(&p.as_str()) {
            p
        } else {
            "month".to_string()
        }
    });
    let id = entity_id.clone();
    let data =
        Resource::new(move || period.get(), move |p| entity_usage(entity_type.to_string(), Some(id.clone()), Some(p)));
    view! {
        <section class="card" aria-labelledby="entity-usage-title" data-testid="entity-usage">
            <div class="card-header">
                <h2 id="entity-usage-title">"Spend and quotas"</h2>
                <form method="get" action=move || path.get() class="entity-usage-period" data-testid="entity-usage-period">
                    <label for="entity-usage-period" class="sr-only">"Period"</label>
                    <select id="entity-usage-period" name="period">
                        {move || {
                            let now = period.get();
                            [("day", "Today"), ("week", "This week"), ("month", "This month")]
                                .into_iter()
                                .map(|(v, t)| view! { <option value=v selected=now == v>{t}</option> })
                                .collect_view()
                        }}
                    </select>
                    <button type="submit" class="btn btn-small btn-secondary">"Show"</button>
                </form>
            </div>
            <p class="muted">{format!("What {whose} spent, and the quotas that cap it. Periods are calendar days, weeks and months in the organisation's time zone.")}</p>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok(r) => view! { <UsageBody r/> }.into_any(),
                        Err(error) => view! { <ErrorNotice error/> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
    .into_any()
}

#[component]
fn UsageBody(r: UsageReport) -> impl IntoView {
    let when = period_words(&r.period);
    let totals = if r.totals.is_empty() {
        view! { <p class="muted" data-testid="entity-usage-empty">{format!("Nothing recorded {when}.")}</p> }.into_any()
    } else {
        let rows = r
            .totals
            .iter()
            .map(|t| {
                view! {
                    <tr>
                        <th scope="row">{item_type_name(Some(&t.item_type))}</th>
                        <td class="num">{t.count}</td>
                        <td class="num">{format!("{} {}", t.amount, t.currency)}</td>
                    </tr>
                }
            })
            .collect_view();
        view! {
            <table class="table table-compact" data-testid="entity-usage-totals">
                <caption class="sr-only">{format!("Spend {when} by what it was for")}</caption>
                <thead><tr><th scope="col">"What for"</th><th scope="col" class="num">"Records"</th><th scope="col" class="num">"Spent"</th></tr></thead>
                <tbody>{rows}</tbody>
            </table>
        }
        .into_any()
    };
    let quotas = if r.quotas.is_empty() {
        view! { <p class="muted">"No quota covers this yet. " <a href="/org/quotas">"Quotas"</a></p> }.into_any()
    } else {
        let items = r.quotas
            .into_iter()
            .map(|q| {
                let measure = quota_measure(q.item_type.as_deref(), &q.metric, &q.period);
                let enforce = if q.enforce { "Blocks at the limit" } else { "Alert only" };
                view! {
                    <li class="entity-quota" data-testid="entity-quota">
                        <p>
                            <strong>{q.name.clone()}</strong>
                            <span class="muted">{format!(" \u{2014} {measure} for {}, limit {}. {enforce}.", q.owner, quota_amount(&q, &q.limit))}</span>
                        </p>
                        <QuotaMeter q=q.clone()/>
                        <p class="muted small">{format!("At this pace: {} by the end of the {}.", quota_amount(&q, &q.forecast), q.period)}</p>
                    </li>
                }
            })
            .collect_view();
        view! { <ul class="plain-list">{items}</ul> }.into_any()
    };
    view! {
        <h3>{format!("Spent {when}")}</h3>
        {totals}
        <h3>"Quotas"</h3>
        {quotas}
    }
    .into_any()
}
