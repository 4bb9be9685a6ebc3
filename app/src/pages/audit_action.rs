//! `/audit/actions/:id`: one action attempt — the request (inputs as recorded, redacted
//! fields hidden), the decision with its reason and full trace, the timeline (requested →
//! confirmed → executed or failed: who and when), and the result or error. Needs
//! `audit.read` at the action's store; the server decides. The trace table and the inputs
//! list it shares with the Approvals inbox are in `components::decision`.

use crate::api::actions::get_action;
use crate::components::decision::{InputList, TraceTable};
use crate::components::format::{action_status_badge, decision_badge, money, time_to_second};
use crate::components::notice::ErrorNotice;
use crate::domain::actions::{ActionDetail, TimelineStep};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

#[component]
pub fn AuditActionPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").unwrap_or_default();
    let detail = Resource::new(id, get_action);
    view! {
        <Title text="Action"/>
        <nav class="breadcrumb" aria-label="Breadcrumb">
            <a href="/audit">"Audit"</a>
            " / Action"
        </nav>
        <Suspense fallback=|| view! { <div class="page-loading" role="status">"Loading the action…"</div> }>
            {move || Suspend::new(async move {
                match detail.await {
                    Ok(d) => view! { <Detail d/> }.into_any(),
                    Err(error) => view! { <ErrorNotice error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Detail(d: ActionDetail) -> impl IntoView {
    let r = d.row.clone();
    let (decision_text, decision_class) = decision_badge(&r.decision);
    let (status_text, status_class) = action_status_badge(&r.status);
    let confirmation = r.confirmation_by.clone().filter(|_| r.decision == "confirm").map(|by| {
        if by == "staff" {
            "Staff approve it in the Approvals inbox.".to_string()
        } else {
            "The customer confirms it through the assistant.".to_string()
        }
    });
    let result = d.result.as_ref().map(|v| serde_json::to_string_pretty(v).unwrap_or_default());
    view! {
        <div class="page-header">
            <h1>{r.action_name.clone()}</h1>
            <p class="muted">
                <span class=status_class data-testid="action-status">{status_text}</span>
                " "
                <code class="muted small">{r.action_type.clone()}</code>
                {format!(" · requested {} UTC", time_to_second(&r.created_at))}
            </p>
            {(!d.action_description.is_empty()).then(|| view! { <p>{d.action_description.clone()}</p> })}
        </div>

        <section class="card" aria-labelledby="request-title">
            <h2 id="request-title">"Request"</h2>
            <dl class="facts">
                <dt>"Store"</dt><dd>{r.store_name.clone()}</dd>
                <dt>"Assistant"</dt><dd>{r.assistant_name.clone().unwrap_or_else(|| "—".into())}</dd>
                <dt>"Asked by"</dt><dd>{d.requested_by.clone().unwrap_or_else(|| "—".into())}</dd>
                <dt>"Amount"</dt><dd>{money(&r.amount, &r.currency)}</dd>
                {d.customer_ref.clone().map(|c| view! { <dt>"Customer"</dt><dd>{c}</dd> })}
                {d.conversation_id.clone().map(|c| view! { <dt>"Conversation"</dt><dd><code>{c}</code></dd> })}
                {r.rule_run_id.clone().map(|c| view! { <dt>"Rule run"</dt><dd><code>{c}</code></dd> })}
                <dt>"Action id"</dt><dd><code data-testid="action-id">{r.id.clone()}</code></dd>
            </dl>
            <h3 class="subheading">"Inputs"</h3>
            <InputList inputs=d.input_list.clone()/>
        </section>

        <section class="card" aria-labelledby="decision-title">
            <h2 id="decision-title">"Decision"</h2>
            <p>
                <span class=decision_class data-testid="action-decision">{decision_text}</span>
                {r.code.clone().map(|c| view! { " " <code class="small">{c}</code> })}
            </p>
            <p data-testid="action-reason">{r.reason.clone()}</p>
            {confirmation.map(|c| view! { <p class="muted">{c}</p> })}
            <h3 class="subheading">"Every check that ran"</h3>
            <TraceTable trace=d.trace.clone()/>
        </section>

        <section class="card" aria-labelledby="timeline-title">
            <h2 id="timeline-title">"Timeline"</h2>
            <Timeline steps=d.timeline.clone()/>
        </section>

        {(result.is_some() || d.error.is_some()).then(|| view! {
            <section class="card" aria-labelledby="outcome-title">
                <h2 id="outcome-title">{if d.error.is_some() { "Error" } else { "Result" }}</h2>
                {d.error.clone().map(|e| view! {
                    <p class="banner banner-error" data-testid="action-error">
                        <code>{e.code}</code>
                        {e.message.map(|m| format!(": {m}"))}
                    </p>
                })}
                {result.map(|json| view! { <pre class="result-json" data-testid="action-result"><code>{json}</code></pre> })}
            </section>
        })}
    }
}

#[component]
fn Timeline(steps: Vec<TimelineStep>) -> impl IntoView {
    if steps.is_empty() {
        return view! { <p class="muted">"No events recorded for this action."</p> }.into_any();
    }
    view! {
        <ol class="timeline" data-testid="timeline">
            {steps
                .into_iter()
                .map(|s| {
                    let who = match s.actor_kind.as_str() {
                        "api_key" => format!("API key \u{201c}{}\u{201d}", s.actor_label),
                        "system" => "Mandate (automatically)".to_string(),
                        _ => s.actor_label.clone(),
                    };
                    view! {
                        <li class="timeline-step" data-testid="timeline-step" data-event=s.event.clone()>
                            <strong class="timeline-label">{s.label.clone()}</strong>
                            <span class="muted">{format!(" {} UTC · by {who}", time_to_second(&s.at))}</span>
                            {s.detail.clone().map(|d| view! { <p class="timeline-detail">{d}</p> })}
                            <span class="muted small">{format!("Audit event {}", s.seq)}</span>
                        </li>
                    }
                })
                .collect_view()}
        </ol>
    }
    .into_any()
}
