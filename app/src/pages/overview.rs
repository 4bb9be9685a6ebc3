//! `/`: the organisation at a glance, what to do next, and the latest audit events.

use crate::api::actions::overview_actions;
use crate::api::auth::CurrentUser;
use crate::api::overview::{get_overview, Overview};
use crate::components::format::{money, time_to_second};
use crate::domain::actions::{ActionRow, ActionsOverview};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn OverviewPage() -> impl IntoView {
    let overview = Resource::new(|| (), |_| get_overview());
    let user = use_context::<CurrentUser>();
    let first_name =
        user.as_ref().and_then(|u| u.display_name.split_whitespace().next().map(str::to_string)).unwrap_or_default();
    view! {
        <Title text="Overview"/>
        <div class="page-header">
            <h1>"Overview"</h1>
            <p class="muted">{format!("Welcome, {first_name}.")}</p>
        </div>
        <SectionOrder/>
        <div class="overview-sections">
        <OverviewActions/>
        <OverviewQuotas/>
        <Suspense fallback=|| view! { <div class="page-loading" role="status">"Loading overview…"</div> }>
            {move || Suspend::new(async move { overview.await.map(|o| view! { <OverviewBody o/> }) })}
        </Suspense>
        </div>
    }
}

/// Orders and hides the overview's sections as the viewer's preferences say (CSS `order`
/// on the sections' `data-section`; a section not listed is not shown).
#[component]
fn SectionOrder() -> impl IntoView {
    let order = Resource::new(|| (), |_| crate::api::preferences::overview_sections());
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                order.await.ok().map(|list| {
                    let mut css = String::new();
                    for (key, _) in crate::domain::preferences::OVERVIEW_SECTIONS {
                        match list.iter().position(|k| k == key) {
                            Some(i) => css.push_str(&format!(".overview-sections > [data-section=\"{key}\"] {{ order: {i}; }}\n")),
                            None => css.push_str(&format!(".overview-sections > [data-section=\"{key}\"] {{ display: none; }}\n")),
                        }
                    }
                    view! { <style data-testid="overview-order">{css}</style> }
                })
            })}
        </Suspense>
    }
}

/// Actions at a glance: how many wait for the viewer's approval, the last executed actions
/// and the last denials. Each section only for those who may see it (the server decides);
/// its own resource, so it never holds up the rest of the page.
#[component]
fn OverviewActions() -> impl IntoView {
    let data = Resource::new(|| (), |_| overview_actions());
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                data.await.ok().map(|o| view! { <ActionSections o/> })
            })}
        </Suspense>
    }
}

#[component]
fn ActionSections(o: ActionsOverview) -> impl IntoView {
    let pending = o.pending.map(|n| {
        let text = match n {
            0 => "Nothing is waiting for you.".to_string(),
            1 => "1 action is waiting for your approval.".to_string(),
            n => format!("{n} actions are waiting for your approval."),
        };
        view! {
            <section class="card" aria-labelledby="waiting-title" data-testid="overview-waiting" data-section="waiting">
                <h2 id="waiting-title">"Waiting for approval"</h2>
                <p><span class="stat-value" data-testid="overview-pending-count">{n}</span></p>
                <p>{text}</p>
                {(n > 0).then(|| view! { <a class="btn btn-primary" href="/approvals">"Open Approvals"</a> })}
            </section>
        }
    });
    let recent = o.recent.map(|rows| {
        view! {
            <section class="card" aria-labelledby="recent-actions-title" data-testid="overview-recent-actions" data-section="recent_actions">
                <h2 id="recent-actions-title">"Recent actions"</h2>
                <ActionRows rows empty="No action has been carried out yet."/>
                <a href="/audit?status=executed">"All executed actions"</a>
            </section>
        }
    });
    let denials = o.denials.map(|rows| {
        view! {
            <section class="card" aria-labelledby="recent-denials-title" data-testid="overview-recent-denials" data-section="recent_denials">
                <h2 id="recent-denials-title">"Recent denials"</h2>
                <ActionRows rows empty="Nothing has been refused."/>
                <a href="/audit?decision=deny">"All denials"</a>
            </section>
        }
    });
    view! { {pending} {recent} {denials} }
}

#[component]
fn ActionRows(rows: Vec<ActionRow>, empty: &'static str) -> impl IntoView {
    if rows.is_empty() {
        return view! { <p class="muted">{empty}</p> }.into_any();
    }
    view! {
        <div class="table-wrap">
            <table class="table">
                <thead>
                    <tr>
                        <th scope="col">"When"</th>
                        <th scope="col">"Store"</th>
                        <th scope="col">"Action"</th>
                        <th scope="col">"Amount"</th>
                        <th scope="col">"Reason"</th>
                    </tr>
                </thead>
                <tbody>
                    {rows
                        .into_iter()
                        .map(|r| {
                            let href = format!("/audit/actions/{}", r.id);
                            view! {
                                <tr>
                                    <td class="nowrap"><a href=href>{time_to_second(&r.created_at)}</a></td>
                                    <td>{r.store_name.clone()}</td>
                                    <td>{r.action_name.clone()}</td>
                                    <td class="nowrap">{money(&r.amount, &r.currency)}</td>
                                    <td>{r.reason.clone()}</td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}

#[component]
fn OverviewBody(o: Overview) -> impl IntoView {
    let chain = o.chain.clone().map(|c| {
        let text = if c.ok {
            format!("Intact, {} events", c.events)
        } else {
            let b = c.first_broken.clone();
            format!(
                "Broken at event {}: {}",
                b.as_ref().map(|b| b.seq).unwrap_or_default(),
                b.map(|b| b.reason).unwrap_or_default()
            )
        };
        (c.ok, text)
    });
    let slug = o.org_slug.clone();
    view! {
        <section class="stats" aria-label="Summary" data-section="summary">
            <div class="stat card">
                <span class="stat-label">"People"</span>
                <span class="stat-value" data-testid="stat-users">{o.users}</span>
            </div>
            <div class="stat card">
                <span class="stat-label">"Active API keys"</span>
                <span class="stat-value" data-testid="stat-api-keys">{o.api_keys}</span>
            </div>
            {chain.map(|(ok, text)| view! {
                <div class="stat card">
                    <span class="stat-label">"Audit trail"</span>
                    <span class="stat-value stat-small" class:ok=ok class:bad=!ok data-testid="chain-status">
                        {text}
                    </span>
                </div>
            })}
        </section>

        <section class="card" aria-labelledby="next-steps" data-section="next_steps">
            <h2 id="next-steps">"What to do next"</h2>
            <ol class="steps">
                <li class:done=move || { o.api_keys > 0 }>
                    <strong>"Connect your first integration."</strong>
                    " On the server, create an API key and give it to your agent runtime:"
                    <pre><code>{format!("mandate api-key create --org {slug} --name \"My assistant\" --role Owner")}</code></pre>
                    "The key is shown once. Check it works with "
                    <code>"GET /api/v1/me"</code>
                    " and the header "
                    <code>"Authorization: Bearer <key>"</code>
                    "."
                </li>
                <li>
                    <strong>"Check the audit trail."</strong>
                    " Every sign-in and change is recorded in a tamper-evident log. Run "
                    <code>"mandate audit verify"</code>
                    " at any time to prove nothing was altered."
                </li>
            </ol>
        </section>

        {o.recent.map(|recent| view! {
        <section class="card" aria-labelledby="recent" data-section="recent_activity">
            <h2 id="recent">"Recent activity"</h2>
            {if recent.is_empty() {
                view! { <p class="muted">"Nothing has happened yet."</p> }.into_any()
            } else {
                view! {
                    <div class="table-wrap">
                    <table class="table">
                        <thead>
                            <tr>
                                <th scope="col">"When"</th>
                                <th scope="col">"Who"</th>
                                <th scope="col">"What"</th>
                            </tr>
                        </thead>
                        <tbody>
                            {recent
                                .into_iter()
                                .map(|e| {
                                    view! {
                                        <tr>
                                            <td class="nowrap">{time_to_second(&e.occurred_at)}</td>
                                            <td>{e.actor}</td>
                                            <td>{describe_action(&e.action)}</td>
                                        </tr>
                                    }
                                })
                                .collect_view()}
                        </tbody>
                    </table>
                    </div>
                }
                    .into_any()
            }}
        </section>
        })}
    }
}

/// Plain words for audit verbs.
fn describe_action(action: &str) -> String {
    match action {
        "org.created" => "Created the organisation".into(),
        "user.created" => "Added a user".into(),
        "auth.login" => "Signed in".into(),
        "auth.logout" => "Signed out".into(),
        "auth.login_failed" => "Failed sign-in attempt".into(),
        "api_key.created" => "Created an API key".into(),
        other => other.to_string(),
    }
}

/// Quota use: the quotas the viewer may read, each with its percent bar; nothing when there
/// are none (or the viewer may not read usage).
#[component]
fn OverviewQuotas() -> impl IntoView {
    let data = Resource::new(|| (), |_| crate::api::spend::overview_quotas());
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                data.await.ok().filter(|q| !q.is_empty()).map(|quotas| {
                    let rows = quotas
                        .into_iter()
                        .map(|q| {
                            let measure = crate::domain::spend::quota_measure(q.item_type.as_deref(), &q.metric, &q.period);
                            view! {
                                <li class="overview-quota" data-testid="overview-quota">
                                    <p><strong>{q.name.clone()}</strong>" "<span class="muted small">{format!("{measure} for {}", q.owner)}</span></p>
                                    <crate::components::spend::QuotaMeter q/>
                                </li>
                            }
                        })
                        .collect_view();
                    view! {
                        <section class="card" aria-labelledby="quota-use-title" data-testid="overview-quotas" data-section="quotas">
                            <h2 id="quota-use-title">"Quota use"</h2>
                            <ul class="plain-list">{rows}</ul>
                            <a href="/org/usage">"Usage dashboard"</a>
                        </section>
                    }
                })
            })}
        </Suspense>
    }
}
