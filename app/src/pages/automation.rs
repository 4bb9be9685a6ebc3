//! `/automation`: the automation rules the viewer may see — each with its trigger in words,
//! its store (or "All stores"), a switch to turn it on or off (for those who may manage it),
//! its last run (status and time, linking to the run), how often it failed in a row or why
//! Mandate paused it, and a link to edit it; "New rule" for those who may create one.
//! Anyone signed in has the page; the server decides what each may do.

use crate::api::automation::{automation_rule_toggle, automation_rules_list};
use crate::components::form::{hydrated, Switch};
use crate::components::format::time_to_minute;
use crate::components::notice::{ChangeNotice, ErrorNotice};
use crate::components::rule_editor::model::run_status_badge;
use crate::components::rule_editor::module_words;
use crate::domain::rules::RuleView;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

#[component]
pub fn AutomationPage() -> impl IntoView {
    let data = Resource::new(|| (), |_| automation_rules_list(None, None, None));
    let query = use_query_map();
    let notice = RwSignal::new(None::<Result<String, String>>);
    Effect::new(move |_| {
        if let Some(name) = query.read().get("deleted").filter(|n| !n.is_empty()) {
            notice.set(Some(Ok(format!("\u{201c}{name}\u{201d} is deleted."))));
        }
    });
    view! {
        <Title text="Automation"/>
        <div class="page-header page-header-split">
            <div>
                <h1>"Automation"</h1>
                <p class="lead">
                    "Rules that act when something happens in your CRM, sales pipeline or store: when an event comes in and the conditions hold, the rule's actions run — each decided by the store's settings and recorded like an assistant's."
                </p>
                <p><a href="/automation/runs">"See every run of the rules"</a></p>
            </div>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    data.await.ok().filter(|d| d.can_create).map(|_| view! {
                        <a class="btn btn-primary" href="/automation/rules/new" data-testid="new-rule">"New rule"</a>
                    })
                })}
            </Suspense>
        </div>
        <ChangeNotice notice testid="rules-notice"/>
        <Suspense fallback=|| view! { <div class="page-loading" role="status">"Loading the rules…"</div> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(list) if list.rules.is_empty() => view! {
                        <section class="card empty-state" data-testid="rules-empty">
                            <h2>"No rules yet"</h2>
                            <p>
                                "A rule listens for an event — a high-value opportunity, a refund request, a new lead — checks its conditions and then takes actions: notify your team, open a ticket, create a task."
                            </p>
                            {list.can_create.then(|| view! { <a class="btn btn-primary" href="/automation/rules/new">"Create your first rule"</a> })}
                        </section>
                    }
                    .into_any(),
                    Ok(list) => view! { <RulesTable rules=list.rules/> }.into_any(),
                    Err(error) => view! { <ErrorNotice error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn RulesTable(rules: Vec<RuleView>) -> impl IntoView {
    view! {
        <section class="card" aria-label="Rules">
            <div class="table-wrap">
                <table class="table rules-table" data-testid="rules-table">
                    <thead>
                        <tr>
                            <th scope="col">"Rule"</th>
                            <th scope="col">"When"</th>
                            <th scope="col">"Store"</th>
                            <th scope="col">"On"</th>
                            <th scope="col">"Last run"</th>
                            <th scope="col">"Health"</th>
                        </tr>
                    </thead>
                    <tbody>{rules.into_iter().map(|r| view! { <RuleRow r/> }).collect_view()}</tbody>
                </table>
            </div>
        </section>
    }
}

#[component]
fn RuleRow(r: RuleView) -> impl IntoView {
    let ready = hydrated();
    let id = r.id.clone();
    let active = RwSignal::new(r.definition.is_active);
    let paused = RwSignal::new(r.paused_reason.clone());
    let failures = RwSignal::new(r.consecutive_failures);
    let status = RwSignal::new(None::<Result<String, String>>);
    let toggle = {
        let id = id.clone();
        Action::new(move |on: &bool| {
            let (id, on) = (id.clone(), *on);
            async move { automation_rule_toggle(id, on).await }
        })
    };
    Effect::new(move |_| match toggle.value().get() {
        Some(Ok(v)) => {
            active.set(v.definition.is_active);
            paused.set(v.paused_reason.clone());
            failures.set(v.consecutive_failures);
            status.set(Some(Ok(if v.definition.is_active { "Switched on".into() } else { "Switched off".into() })));
        }
        Some(Err(e)) => {
            active.set(!active.get_untracked());
            status.set(Some(Err(e.message)));
        }
        None => {}
    });
    let name = r.definition.name.clone();
    let edit = format!("/automation/rules/{id}");
    let status_id = format!("rule-status-{id}");
    let switch = if r.can_manage {
        let described = status_id.clone();
        view! {
            <Switch
                id=format!("rule-on-{id}")
                label="On"
                testid="rule-toggle"
                checked=active
                disabled=Signal::derive(move || !ready.get() || toggle.pending().get())
                described_by=described
                on_toggle=Callback::new(move |on| {
                    active.set(on);
                    status.set(None);
                    toggle.dispatch(on);
                })
            />
        }
        .into_any()
    } else {
        view! { <span data-testid="rule-state">{move || if active.get() { "On" } else { "Off" }}</span> }.into_any()
    };
    let last = match &r.last_run {
        Some(run) => {
            let (text, class) = run_status_badge(&run.status);
            view! {
                <a href=format!("/automation/runs/{}", run.id) data-testid="rule-last-run">
                    <span class=class>{text}</span>
                    <span class="muted small nowrap">{format!(" {}", time_to_minute(&run.at))}</span>
                </a>
            }
            .into_any()
        }
        None => view! { <span class="muted">"Not run yet"</span> }.into_any(),
    };
    let store = r.store_name.clone().unwrap_or_else(|| {
        if r.definition.store_id.is_some() {
            "A deleted store".into()
        } else {
            "All stores".into()
        }
    });
    view! {
        <tr data-testid="rule-row" data-rule-id=id.clone()>
            <th scope="row">
                <a href=edit data-testid="rule-name">{name}</a>
                {(!r.definition.description.is_empty()).then(|| view! { <div class="muted small">{r.definition.description.clone()}</div> })}
            </th>
            <td>
                <span data-testid="rule-trigger">{r.trigger_name.clone()}</span>
                <div class="muted small">{module_words(&r.definition.module_type)}</div>
            </td>
            <td data-testid="rule-store">{store}</td>
            <td>
                {switch}
                <span id=status_id class="small" aria-live="polite" data-testid="rule-toggle-status">
                    {move || status.get().map(|s| match s {
                        Ok(m) => view! { <span class="muted">{m}</span> }.into_any(),
                        Err(m) => view! { <span class="field-error">{m}</span> }.into_any(),
                    })}
                </span>
            </td>
            <td>{last}</td>
            <td data-testid="rule-health">
                {move || match (paused.get(), failures.get()) {
                    (Some(reason), _) => view! { <span class="paused-reason">{format!("Paused by Mandate: {reason}")}</span> }.into_any(),
                    (None, 0) => view! { <span class="muted">"No failures"</span> }.into_any(),
                    (None, 1) => view! { <span class="badge badge-invited">"Failed once (last run)"</span> }.into_any(),
                    (None, n) => view! { <span class="badge badge-invited">{format!("Failed {n} times in a row")}</span> }.into_any(),
                }}
            </td>
        </tr>
    }
}
