//! One action's card: name, id, risk and where its settings come from, the "Enabled" and
//! "Ask for confirmation first" switches and "Who confirms" (saved at once; on failure the
//! switches go back to what is stored and the error says why), and its limits.

use super::limits::LimitsSection;
use super::{Place, SettingsCtx};
use crate::api::permissions::{permissions_set, permissions_set_default};
use crate::components::form::{hydrated, Switch};
use crate::domain::action_settings::{ActionSettings, Source};
use crate::domain::catalog::{ConfirmationBy, Risk};
use leptos::prelude::*;

fn risk_class(r: Risk) -> &'static str {
    match r {
        Risk::Read => "risk risk-read",
        Risk::Write => "risk risk-write",
        Risk::Money => "risk risk-money",
    }
}

fn source_class(s: Source) -> &'static str {
    match s {
        Source::Store => "source source-store",
        Source::Org => "source source-org",
        Source::Default => "source source-default",
    }
}

/// The saved state of a card's switches (what the server last said).
#[derive(Clone, Copy, Debug, PartialEq)]
struct Switches {
    enabled: bool,
    confirm: bool,
    by: ConfirmationBy,
    source: Source,
}

impl Switches {
    fn of(a: &ActionSettings) -> Switches {
        Switches { enabled: a.enabled, confirm: a.requires_confirmation, by: a.confirmation_by, source: a.source }
    }
}

/// What a switch change asks the server for.
#[derive(Clone, Debug, Default)]
struct Change {
    enabled: Option<bool>,
    requires_confirmation: Option<bool>,
    confirmation_by: Option<String>,
}

#[component]
pub(super) fn ActionCard(action: ActionSettings) -> impl IntoView {
    let ctx = expect_context::<SettingsCtx>();
    let ready = hydrated();
    let id = action.action_type.clone();
    let saved = RwSignal::new(Switches::of(&action));
    // What the switches show: the saved state, or the change being saved.
    let shown = RwSignal::new(Switches::of(&action));
    let status = RwSignal::new(None::<Result<&'static str, String>>);
    let save = {
        let id = id.clone();
        Action::new(move |c: &Change| {
            let (id, c) = (id.clone(), c.clone());
            let place = ctx.place.get_value();
            async move {
                match place {
                    Place::Store { id: store_id, .. } => {
                        permissions_set(store_id, id, c.enabled, c.requires_confirmation, c.confirmation_by).await
                    }
                    Place::Org => {
                        permissions_set_default(id, c.enabled, c.requires_confirmation, c.confirmation_by).await
                    }
                }
            }
        })
    };
    Effect::new(move |_| match save.value().get() {
        Some(Ok(a)) => {
            saved.set(Switches::of(&a));
            shown.set(Switches::of(&a));
            status.set(Some(Ok("Saved")));
        }
        Some(Err(e)) => {
            // The switches go back to what is really stored; the error says why.
            shown.set(saved.get_untracked());
            status.set(Some(Err(e.message)));
        }
        None => {}
    });
    let pending = save.pending();
    let locked = move || !ctx.can_manage || !ready.get() || pending.get();
    let change = move |c: Change| {
        status.set(None);
        save.dispatch(c);
    };

    let initial = Switches::of(&action);
    let (enabled_id, confirm_id, by_id, status_id) =
        (format!("enabled-{id}"), format!("confirm-{id}"), format!("confirm-by-{id}"), format!("status-{id}"));
    let by_for = by_id.clone();
    let name = action.name.clone();
    let place = ctx.place.get_value();
    let show_limits = !action.limit_types.is_empty();
    let money = action.has_amount || action.has_percentage;
    view! {
        <article
            class="action-card"
            class:action-off=move || !shown.get().enabled
            data-testid=format!("action-row-{id}")
            data-action=id.clone()
            aria-labelledby=format!("action-name-{id}")
        >
            <header class="action-head">
                <div class="action-title">
                    <h3 id=format!("action-name-{id}")>{action.name.clone()}</h3>
                    <code class="action-id">{id.clone()}</code>
                </div>
                <div class="action-badges">
                    <span class=risk_class(action.risk)>{action.risk.label()}</span>
                    <span
                        class=move || source_class(shown.get().source)
                        data-testid=format!("source-{id}")
                        title="Where these settings come from"
                    >
                        {move || shown.get().source.label()}
                    </span>
                </div>
            </header>
            <p class="action-card-description">{action.description.clone()}</p>
            <div class="action-controls">
                <Switch
                    id=enabled_id
                    label="Enabled"
                    testid=format!("toggle-enabled-{id}")
                    checked=Signal::derive(move || shown.get().enabled)
                    disabled=Signal::derive(locked)
                    described_by=status_id.clone()
                    on_toggle=Callback::new(move |on| {
                        shown.update(|s| s.enabled = on);
                        change(Change { enabled: Some(on), ..Default::default() });
                    })
                />
                <Switch
                    id=confirm_id
                    label="Ask for confirmation first"
                    testid=format!("toggle-confirm-{id}")
                    checked=Signal::derive(move || shown.get().confirm)
                    disabled=Signal::derive(locked)
                    described_by=status_id.clone()
                    on_toggle=Callback::new(move |on| {
                        shown.update(|s| s.confirm = on);
                        change(Change { requires_confirmation: Some(on), ..Default::default() });
                    })
                />
                <div class="confirm-by" class:confirm-by-off=move || !shown.get().confirm>
                    <label for=by_for>"Who confirms"</label>
                    <select
                        id=by_id
                        data-testid=format!("confirm-by-{id}")
                        disabled=move || locked() || !shown.get().confirm
                        prop:value=move || shown.get().by.as_str()
                        on:change=move |ev| {
                            let by = event_target_value(&ev);
                            if let Some(b) = ConfirmationBy::parse(&by) {
                                shown.update(|s| s.by = b);
                            }
                            change(Change { confirmation_by: Some(by), ..Default::default() });
                        }
                    >
                        <option value="customer" selected=initial.by == ConfirmationBy::Customer>"The customer"</option>
                        <option value="staff" selected=initial.by == ConfirmationBy::Staff>"Staff"</option>
                    </select>
                </div>
                <p class="action-save-status" id=status_id role="status" aria-live="polite" data-testid=format!("save-status-{id}")>
                    {move || {
                        if pending.get() {
                            return view! { <span class="muted">"Saving…"</span> }.into_any();
                        }
                        match status.get() {
                            Some(Ok(m)) => view! { <span class="ok">"✓ " {m}</span> }.into_any(),
                            Some(Err(m)) => view! { <span class="field-error">{m}</span> }.into_any(),
                            None => ().into_any(),
                        }
                    }}
                </p>
            </div>
            {show_limits.then(|| view! { <LimitsSection action=action.clone() open=money place=place.clone() name=name.clone()/> })}
        </article>
    }
    .into_any()
}
