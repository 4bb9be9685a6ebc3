//! `/approvals`: the inbox of actions waiting for a person — one card per action with the
//! store, assistant, what it does in plain words, its inputs, amount, why it waits and the
//! decision trace, and Approve / Reject. After a decision the card leaves and a notice says
//! what happened. Needs `actions.approve` at the action's store; the server decides.
//!
//! Also the navigation badge with the number waiting (`ApprovalsBadge`), which the shell
//! shows next to "Approvals"; `ApprovalsTick` tells it to count again after a decision.

use crate::api::actions::{approvals_count, list_approvals, ApproveAction, RejectAction};
use crate::components::decision::{InputList, TraceTable};
use crate::components::format::{money, time_to_second};
use crate::components::notice::{ChangeNotice, ErrorNotice};
use crate::domain::actions::{ApprovalOutcome, PendingApproval};
use crate::domain::AppError;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_location;

/// Bumped after every approval decision so the navigation badge counts again. Provided by
/// the signed-in shell.
#[derive(Clone, Copy)]
pub struct ApprovalsTick(pub RwSignal<u64>);

impl ApprovalsTick {
    pub fn new() -> ApprovalsTick {
        ApprovalsTick(RwSignal::new(0))
    }
}

impl Default for ApprovalsTick {
    fn default() -> Self {
        Self::new()
    }
}

/// The number of actions waiting for the viewer, next to "Approvals" in the navigation;
/// nothing when none wait. Screen readers hear "Approvals, 3 waiting".
#[component]
pub fn ApprovalsBadge() -> impl IntoView {
    let tick = use_context::<ApprovalsTick>();
    let location = use_location();
    let count = Resource::new(move || (tick.map(|t| t.0.get()), location.pathname.get()), |_| approvals_count());
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                count.await.ok().filter(|n| *n > 0).map(|n| view! {
                    <span class="nav-badge" data-testid="approvals-badge">
                        <span aria-hidden="true">{n}</span>
                        <span class="sr-only">{format!(", {n} waiting")}</span>
                    </span>
                })
            })}
        </Transition>
    }
}

#[component]
pub fn ApprovalsPage() -> impl IntoView {
    let approve = ServerAction::<ApproveAction>::new();
    let reject = ServerAction::<RejectAction>::new();
    let decided = move || approve.version().get() + reject.version().get();
    let list = Resource::new(decided, |_| list_approvals());
    let notice = RwSignal::new(None::<Result<String, String>>);
    let tick = use_context::<ApprovalsTick>();
    let report = move |value: Option<Result<ApprovalOutcome, AppError>>| match value {
        Some(Ok(o)) => {
            notice.set(Some(Ok(o.message)));
            if let Some(t) = tick {
                t.0.update(|n| *n += 1);
            }
        }
        Some(Err(e)) => notice.set(Some(Err(e.message))),
        None => {}
    };
    Effect::new(move |_| report(approve.value().get()));
    Effect::new(move |_| report(reject.value().get()));
    view! {
        <Title text="Approvals"/>
        <div class="page-header">
            <h1>"Approvals"</h1>
            <p class="muted">
                "Actions that assistants and automations asked for and that wait for a person. "
                "Approving runs the action; rejecting cancels it and releases what it reserved against the limits."
            </p>
        </div>
        <ChangeNotice notice testid="approvals-notice"/>
        <Transition fallback=|| view! { <div class="page-loading" role="status">"Loading approvals…"</div> }>
            {move || Suspend::new(async move {
                match list.await {
                    Ok(items) if items.is_empty() => view! {
                        <section class="card">
                            <p class="muted" data-testid="approvals-empty">"Nothing is waiting for you."</p>
                        </section>
                    }
                    .into_any(),
                    Ok(items) => view! {
                        <div class="approval-list">
                            {items.into_iter().map(|a| view! { <ApprovalCard a approve reject/> }).collect_view()}
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
fn ApprovalCard(
    a: PendingApproval,
    approve: ServerAction<ApproveAction>,
    reject: ServerAction<RejectAction>,
) -> impl IntoView {
    let r = a.row.clone();
    let title_id = format!("approval-{}", r.id);
    let (described_approve, described_reject) = (title_id.clone(), title_id.clone());
    let busy = move || approve.pending().get() || reject.pending().get();
    let (id_approve, id_reject) = (r.id.clone(), r.id.clone());
    let who = match (&r.assistant_name, &a.requested_by) {
        (Some(name), _) => format!("Assistant \u{201c}{name}\u{201d}"),
        (None, Some(by)) => by.clone(),
        (None, None) => "Someone".into(),
    };
    view! {
        <article class="card approval-card" data-testid="approval-card" data-action-id=r.id.clone() aria-labelledby=title_id.clone()>
            <header class="approval-head">
                <h2 id=title_id.clone()>{r.action_name.clone()}</h2>
                <p class="muted">
                    <span data-testid="approval-store">{r.store_name.clone()}</span>
                    {format!(" · {who} · requested {} UTC", time_to_second(&r.created_at))}
                </p>
            </header>
            {(!a.action_description.is_empty()).then(|| view! { <p class="approval-description">{a.action_description.clone()}</p> })}
            <dl class="facts">
                <dt>"Amount"</dt>
                <dd data-testid="approval-amount">{money(&r.amount, &r.currency)}</dd>
                <dt>"Why it waits"</dt>
                <dd data-testid="approval-reason">{r.reason.clone()}</dd>
                {a.expires_at.clone().map(|e| view! { <dt>"Expires"</dt><dd>{format!("{} UTC", time_to_second(&e))}</dd> })}
            </dl>
            <h3 class="subheading">"Inputs"</h3>
            <InputList inputs=a.input_list.clone()/>
            <details class="approval-trace">
                <summary>"How it was decided"</summary>
                <TraceTable trace=a.trace.clone()/>
            </details>
            <div class="approval-actions">
                <ActionForm action=approve>
                    <input type="hidden" name="id" value=id_approve/>
                    <button type="submit" class="btn btn-primary" data-testid="approve-button" disabled=busy aria-describedby=described_approve>
                        "Approve"
                    </button>
                </ActionForm>
                <ActionForm action=reject>
                    <input type="hidden" name="id" value=id_reject/>
                    <button type="submit" class="btn btn-danger-outline" data-testid="reject-button" disabled=busy aria-describedby=described_reject>
                        "Reject"
                    </button>
                </ActionForm>
                <a class="btn btn-small" href=format!("/audit/actions/{}", r.id)>"Details"</a>
            </div>
        </article>
    }
}
