//! `/automation/runs` and `/automation/runs/:id`: the history of rule runs, newest first,
//! filtered by rule and status (a GET form, so the URL carries the filters), a page at a
//! time. Each run shows its rule, trigger, time and status; opened, it shows each
//! condition's result in words, each step (the action, its inputs as filled in, its status,
//! the decision's reason, a link to the action in the audit trail), the error, and Replay
//! for failed or cancelled runs (with `rules.manage`). Needs `audit.read`; the server decides.

use crate::api::auth::CurrentUser;
use crate::api::automation::{automation_rules_list, automation_run_get, automation_run_replay, automation_runs_list};
use crate::api::check::catalog_list;
use crate::components::format::time_to_second;
use crate::components::notice::{ChangeNotice, ErrorNotice};
use crate::components::paged::{PagedEmpty, Pager};
use crate::components::rule_editor::dry_run::{error_in_words, input_fields, ConditionResultItem, ParamList};
use crate::components::rule_editor::model::{field_words, run_status_badge, run_status_option, step_status_badge};
use crate::domain::actions::url_encode;
use crate::domain::catalog::ActionDef;
use crate::domain::rules::{RunView, StepRecord};
use crate::domain::triggers;
use crate::domain::ErrorCode;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

/// The statuses a run can have, in the filter's order.
const STATUSES: [&str; 6] = ["succeeded", "failed", "waiting", "running", "skipped", "cancelled"];

/// The filters of the current URL and its page cursor.
#[derive(Clone, Debug, Default, PartialEq)]
struct View {
    rule_id: String,
    status: String,
    cursor: String,
}

impl View {
    fn href(&self, cursor: Option<&str>) -> String {
        let mut q = Vec::new();
        if !self.rule_id.is_empty() {
            q.push(format!("rule_id={}", url_encode(&self.rule_id)));
        }
        if !self.status.is_empty() {
            q.push(format!("status={}", url_encode(&self.status)));
        }
        if let Some(c) = cursor {
            q.push(format!("cursor={}", url_encode(c)));
        }
        if q.is_empty() {
            "/automation/runs".into()
        } else {
            format!("/automation/runs?{}", q.join("&"))
        }
    }

    fn filtered(&self) -> bool {
        !self.rule_id.is_empty() || !self.status.is_empty()
    }
}

fn some(s: &str) -> Option<String> {
    (!s.is_empty()).then(|| s.to_string())
}

/// What replaying a run came to, for the page's notice; and the catalog, for action names.
#[derive(Clone, Copy)]
struct RunsCtx {
    notice: RwSignal<Option<Result<String, String>>>,
    replayed: RwSignal<u32>,
    catalog: StoredValue<Vec<ActionDef>>,
    can_replay: bool,
}

#[component]
pub fn AutomationRunsPage() -> impl IntoView {
    let query = use_query_map();
    let current = Memo::new(move |_| {
        let q = query.read();
        let get = |k: &str| q.get(k).map(|v| v.trim().to_string()).unwrap_or_default();
        View { rule_id: get("rule_id"), status: get("status"), cursor: get("cursor") }
    });
    let notice = RwSignal::new(None::<Result<String, String>>);
    let replayed = RwSignal::new(0u32);
    let page = Resource::new(
        move || (current.get(), replayed.get()),
        |(v, _)| automation_runs_list(some(&v.rule_id), some(&v.status), some(&v.cursor)),
    );
    let rules = Resource::new(|| (), |_| automation_rules_list(None, None, None));
    let catalog = Resource::new(|| (), |_| catalog_list());
    let can_replay = use_context::<CurrentUser>().is_some_and(|u| u.has("rules.manage"));
    view! {
        <Title text="Automation runs"/>
        <nav class="breadcrumb" aria-label="Breadcrumb">
            <a href="/automation">"Automation"</a>
            <span aria-hidden="true">" / Runs"</span>
        </nav>
        <div class="page-header">
            <h1>"Automation runs"</h1>
            <p class="muted">
                "Every time an event reached a rule: whether its conditions held, what each action came to, and why. Open a run to see the details."
            </p>
        </div>
        <ChangeNotice notice testid="runs-notice"/>
        <Transition fallback=|| view! { <div class="page-loading" role="status">"Loading runs…"</div> }>
            {move || Suspend::new(async move {
                let v = current.get_untracked();
                let rule_choices: Vec<(String, String)> = rules
                    .await
                    .map(|l| l.rules.into_iter().map(|r| (r.id, r.definition.name)).collect())
                    .unwrap_or_default();
                let defs = catalog.await.unwrap_or_default();
                let ctx = RunsCtx { notice, replayed, catalog: StoredValue::new(defs), can_replay };
                match page.await {
                    Ok(p) => view! {
                        <FilterForm v=v.clone() rules=rule_choices/>
                        <RunList items=p.items next=p.next_cursor v ctx/>
                    }
                    .into_any(),
                    Err(e) if e.code == ErrorCode::ValidationError => view! {
                        <FilterForm v rules=rule_choices/>
                        <div class="banner banner-error" role="alert" data-testid="runs-filter-error">
                            {e.fields.first().map(|f| f.message.clone()).unwrap_or(e.message.clone())}
                        </div>
                    }
                    .into_any(),
                    Err(error) => view! { <ErrorNotice error/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn FilterForm(v: View, rules: Vec<(String, String)>) -> impl IntoView {
    let mut rules = rules;
    if !v.rule_id.is_empty() && !rules.iter().any(|(id, _)| *id == v.rule_id) {
        rules.push((v.rule_id.clone(), "A deleted rule".into()));
    }
    let (rule_id, status) = (v.rule_id.clone(), v.status.clone());
    view! {
        <form method="get" action="/automation/runs" class="card filters" aria-label="Filter the runs" data-testid="runs-filters">
            <div class="field">
                <label for="runs-rule">"Rule"</label>
                <select id="runs-rule" name="rule_id" data-testid="runs-filter-rule">
                    <option value="" selected=rule_id.is_empty()>"Any"</option>
                    {rules.into_iter().map(|(id, name)| {
                        let is = id == rule_id;
                        view! { <option value=id selected=is>{name}</option> }
                    }).collect_view()}
                </select>
            </div>
            <div class="field">
                <label for="runs-status">"Status"</label>
                <select id="runs-status" name="status" data-testid="runs-filter-status">
                    <option value="" selected=status.is_empty()>"Any"</option>
                    {STATUSES.iter().map(|s| view! { <option value=*s selected=status == *s>{run_status_option(s)}</option> }).collect_view()}
                </select>
            </div>
            <div class="filter-actions">
                <button type="submit" class="btn btn-primary" data-testid="runs-filter-submit">"Filter"</button>
                <a class="btn" href="/automation/runs">"Clear"</a>
            </div>
        </form>
    }
}

#[component]
fn RunList(items: Vec<RunView>, next: Option<String>, v: View, ctx: RunsCtx) -> impl IntoView {
    let older = next.as_deref().map(|c| v.href(Some(c)));
    let newest = (!v.cursor.is_empty()).then(|| v.href(None));
    if items.is_empty() {
        let text = if v.filtered() {
            "No runs match these filters."
        } else {
            "No runs yet. When your CRM, sales tool or store sends an event (POST /api/v1/events) and a switched-on rule listens for it, the run appears here."
        };
        return view! { <PagedEmpty text testid="runs-empty" newest newest_label="Newest runs"/> }.into_any();
    }
    view! {
        <section class="card" aria-label="Runs">
            <ul class="run-list" data-testid="run-list">
                {items.into_iter().map(|r| view! { <RunItem r ctx/> }).collect_view()}
            </ul>
            <Pager newest older/>
        </section>
    }
    .into_any()
}

fn trigger_words(id: &str) -> String {
    triggers::find(id).map(|t| t.name.to_string()).unwrap_or_else(|| field_words(id))
}

#[component]
fn RunItem(r: RunView, ctx: RunsCtx) -> impl IntoView {
    let (text, class) = run_status_badge(&r.status);
    let summary = format!("{} · {}", r.rule_name, trigger_words(&r.trigger_id));
    let (id, status, at) = (r.id.clone(), r.status.clone(), time_to_second(&r.created_at));
    view! {
        <li class="run-item" data-testid="run" data-run-id=id data-status=status>
            <details>
                <summary>
                    <span class="run-summary">
                        <strong data-testid="run-rule">{summary}</strong>
                        <span class="muted small nowrap">{format!(" {at} UTC")}</span>
                    </span>
                    <span class=class data-testid="run-status">{text}</span>
                </summary>
                <RunBody r ctx/>
            </details>
        </li>
    }
}

/// A run's details: its conditions, steps, error, and Replay (`own_page`: on the run's own
/// page, which needs no link to itself).
#[component]
fn RunBody(r: RunView, ctx: RunsCtx, #[prop(optional)] own_page: bool) -> impl IntoView {
    let replay = Action::new(move |id: &String| {
        let id = id.clone();
        async move { automation_run_replay(id).await }
    });
    Effect::new(move |_| match replay.value().get() {
        Some(Ok(_)) => {
            ctx.notice.set(Some(Ok(
                "Replay queued: the rule runs again on the same event, and the new run appears at the top in a moment."
                    .into(),
            )));
            ctx.replayed.update(|n| *n += 1);
        }
        Some(Err(e)) => ctx.notice.set(Some(Err(e.message))),
        None => {}
    });
    let replayable = ctx.can_replay && matches!(r.status.as_str(), "failed" | "cancelled");
    let id = r.id.clone();
    let version = format!("Rule version {}", r.rule_version);
    let waiting = r.waiting_action_id.clone();
    view! {
        <div class="run-body" data-testid="run-body">
            <p class="muted small">
                {version} " · "
                <a href=format!("/automation/rules/{}", r.rule_id)>"Open the rule"</a> " · "
                {(!own_page).then(|| view! {
                    <a href=format!("/automation/runs/{}", r.id) data-testid="run-link">"This run on its own page"</a> " · "
                })}
                <a href=format!("/audit?rule_run_id={}", r.id)>"Its actions in the audit trail"</a>
            </p>
            {r.error.clone().map(|e| view! { <p class="banner banner-error" data-testid="run-error">{e}</p> })}
            {waiting.map(|a| view! {
                <p class="banner banner-info">
                    "The run waits until someone confirms its action in "
                    <a href="/approvals">"Approvals"</a> " ("
                    <a href=format!("/audit/actions/{a}")>"the action"</a> ")."
                </p>
            })}
            <h3>"Conditions"</h3>
            {if r.conditions.is_empty() {
                view! { <p class="muted">"None: the rule runs on every event of its trigger."</p> }.into_any()
            } else {
                view! {
                    <ul class="condition-results" data-testid="run-conditions">
                        {r.conditions.into_iter().map(|c| view! { <ConditionResultItem c/> }).collect_view()}
                    </ul>
                }.into_any()
            }}
            <h3>"Actions"</h3>
            {if r.steps.is_empty() {
                view! { <p class="muted">{if r.status == "skipped" { "None ran: the conditions did not hold." } else { "None ran." }}</p> }.into_any()
            } else {
                view! {
                    <ol class="dry-run-steps">
                        {r.steps.into_iter().map(|s| view! { <StepItem s ctx/> }).collect_view()}
                    </ol>
                }.into_any()
            }}
            {replayable.then(|| view! {
                <button type="button" class="btn" data-testid="run-replay" disabled=move || replay.pending().get()
                    on:click=move |_| { replay.dispatch(id.clone()); }>
                    {move || if replay.pending().get() { "Replaying…" } else { "Replay" }}
                </button>
                <span class="muted small">" Runs the rule again on the same event (its current version)."</span>
            })}
        </div>
    }
}

#[component]
fn StepItem(s: StepRecord, ctx: RunsCtx) -> impl IntoView {
    let def = ctx.catalog.with_value(|c| c.iter().find(|d| d.id == s.kind).cloned());
    let name = def.as_ref().map(|d| d.name.clone()).unwrap_or_else(|| field_words(&s.kind));
    let fields = input_fields(def.as_ref());
    let error = s.error.as_deref().map(|e| error_in_words(&fields, e));
    let (text, class) = step_status_badge(s.status);
    view! {
        <li class="dry-run-step" data-testid="run-step">
            <h4>
                {format!("Step {}: {name} ", s.index + 1)}
                <span class=class data-testid="run-step-status">{text}</span>
            </h4>
            <ParamList params=s.parameters.clone() fields/>
            {s.reason.clone().map(|r| view! { <p data-testid="run-step-reason"><strong>"Why: "</strong>{r}</p> })}
            {error.map(|e| view! { <p class="banner banner-error" data-testid="run-step-error">{e}</p> })}
            {s.action_id.clone().map(|a| view! {
                <p><a href=format!("/audit/actions/{a}") data-testid="run-step-audit">"The action in the audit trail"</a></p>
            })}
        </li>
    }
}

/// `/automation/runs/:id`: one run, opened, with the event it ran on.
#[component]
pub fn AutomationRunPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").unwrap_or_default();
    let notice = RwSignal::new(None::<Result<String, String>>);
    let replayed = RwSignal::new(0u32);
    let detail = Resource::new(move || (id(), replayed.get()), |(id, _)| automation_run_get(id));
    let catalog = Resource::new(|| (), |_| catalog_list());
    let can_replay = use_context::<CurrentUser>().is_some_and(|u| u.has("rules.manage"));
    view! {
        <Title text="Automation run"/>
        <nav class="breadcrumb" aria-label="Breadcrumb">
            <a href="/automation">"Automation"</a>
            <span aria-hidden="true">" / "</span>
            <a href="/automation/runs">"Runs"</a>
            <span aria-hidden="true">" / Run"</span>
        </nav>
        <ChangeNotice notice testid="runs-notice"/>
        <Suspense fallback=|| view! { <div class="page-loading" role="status">"Loading the run…"</div> }>
            {move || Suspend::new(async move {
                let defs = catalog.await.unwrap_or_default();
                match detail.await {
                    Ok(d) => {
                        let ctx = RunsCtx { notice, replayed, catalog: StoredValue::new(defs), can_replay };
                        let (text, class) = run_status_badge(&d.run.status);
                        let payload = serde_json::to_string_pretty(&d.payload).unwrap_or_default();
                        view! {
                            <div class="page-header">
                                <h1>{d.run.rule_name.clone()}</h1>
                                <p>
                                    <span class=class data-testid="run-status">{text}</span>
                                    <span class="muted">{format!(" · {} · {} UTC", trigger_words(&d.run.trigger_id), time_to_second(&d.run.created_at))}</span>
                                </p>
                            </div>
                            <section class="card" aria-label="The run">
                                <RunBody r=d.run ctx own_page=true/>
                            </section>
                            <section class="card" aria-labelledby="run-event">
                                <h2 id="run-event">"The event"</h2>
                                <pre class="mono event-payload" data-testid="run-payload">{payload}</pre>
                            </section>
                        }
                        .into_any()
                    }
                    Err(error) => view! { <div class="page-header"><h1>"Run"</h1></div> <ErrorNotice error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}
