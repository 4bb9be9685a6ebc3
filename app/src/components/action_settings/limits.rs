//! An action's limits in plain words — its own, the org's defaults it inherits, and those
//! set for one assistant — each with where it is set and, for who may, "Remove" with a
//! confirm step; and, for who may, the "Add a limit" form under them.

use super::limit_form::LimitForm;
use super::{Place, SettingsCtx};
use crate::api::permissions::permissions_limit_delete;
use crate::domain::action_settings::{ActionSettings, LimitView};
use crate::domain::catalog::Level;
use leptos::prelude::*;

/// The action's limits, in words, and the form to add one.
#[component]
pub(super) fn LimitsSection(action: ActionSettings, open: bool, place: Place, name: String) -> impl IntoView {
    let ctx = expect_context::<SettingsCtx>();
    let id = action.action_type.clone();
    let limits = {
        let id = id.clone();
        Memo::new(move |_| {
            ctx.data.with(|d| {
                d.iter()
                    .find(|a| a.action_type == id)
                    .map(|a| (a.limits.clone(), a.assistant_limits.clone()))
                    .unwrap_or_default()
            })
        })
    };
    let count = move || limits.with(|(l, a)| l.len() + a.len());
    let currency = place.currency();
    let is_org = place == Place::Org;
    let empty_text = if is_org {
        "No org-wide limits: each store sets its own."
    } else {
        "No limits: within its settings, the action runs for any amount and as often as asked."
    };
    let (c1, c2) = (currency.clone(), currency.clone());
    view! {
        <details class="limits" open=open>
            <summary>
                "Limits"
                <span class="limits-count">{move || match count() { 0 => String::new(), n => format!(" ({n})") }}</span>
            </summary>
            <div class="limits-body">
                <Show when=move || count() == 0>
                    <p class="muted limits-empty">{empty_text}</p>
                </Show>
                <ul class="limit-list">
                    <For
                        each=move || limits.get().0
                        key=|l: &LimitView| (l.id.clone(), l.limit_value, l.time_window_hours, l.updated_at.clone())
                        children=move |l| view! { <LimitRow limit=l currency=c1.clone() is_org/> }
                    />
                </ul>
                <Show when=move || !limits.with(|(_, a)| a.is_empty())>
                    <h4 class="limits-subheading">"Set for one assistant (on top of the store's)"</h4>
                </Show>
                <ul class="limit-list">
                    <For
                        each=move || limits.get().1
                        key=|l: &LimitView| (l.id.clone(), l.limit_value, l.time_window_hours, l.updated_at.clone())
                        children=move |l| view! { <LimitRow limit=l currency=c2.clone() is_org/> }
                    />
                </ul>
                {ctx.can_manage.then(|| view! { <LimitForm action=action.clone() place=place.clone() name=name.clone()/> })}
            </div>
        </details>
    }
    .into_any()
}

/// One limit in plain words, where it is set, and (for who may) a remove button.
#[component]
fn LimitRow(limit: LimitView, currency: Option<String>, is_org: bool) -> impl IntoView {
    let ctx = expect_context::<SettingsCtx>();
    let sentence = limit.sentence(currency.as_deref());
    let (badge, badge_class) = match (limit.level, is_org) {
        (Level::Org, true) => ("Org-wide".to_string(), "badge badge-level-org"),
        (Level::Org, false) => ("Org default".to_string(), "badge badge-level-org"),
        (Level::Store, _) => ("Set for this store".to_string(), "badge badge-level-store"),
        (Level::Assistant, _) => (
            format!("For {}", limit.assistant_name.clone().unwrap_or_else(|| "an assistant".into())),
            "badge badge-level-assistant",
        ),
    };
    // Org defaults are removed on the org's page, not per store.
    let removable = ctx.can_manage && (is_org || limit.level != Level::Org);
    let overrides = limit.overrides.as_ref().map(|o| o.sentence(currency.as_deref()));
    let remove = Action::new(move |id: &String| permissions_limit_delete(id.clone()));
    let asking = RwSignal::new(false);
    Effect::new(move |_| {
        if let Some(Ok(())) = remove.value().get() {
            ctx.reload.dispatch(());
        }
    });
    let error = move || remove.value().get().and_then(|r| r.err()).map(|e| e.message);
    let id = limit.id.clone();
    let label = format!("Remove the limit: {sentence}");
    view! {
        <li class="limit-row" data-testid="limit-row" data-level=limit.level.as_str() data-limit-id=limit.id.clone()>
            <div class="limit-text">
                <span class="limit-sentence">{sentence.clone()}</span>
                <span class=badge_class>{badge}</span>
                {overrides.map(|o| view! { <span class="limit-overrides">"Overrides the org default: " {o}</span> })}
                {(!is_org && limit.level == Level::Org).then(|| view! {
                    <span class="limit-overrides">"Change it in " <a href="/org/defaults">"Action defaults"</a>", or add a limit of the same kind here to override it for this store."</span>
                })}
                {move || error().map(|m| view! { <span class="field-error" role="alert">{m}</span> })}
            </div>
            {removable.then(|| {
                let id1 = id.clone();
                view! {
                    <div class="limit-actions">
                        <Show
                            when=move || asking.get()
                            fallback=move || view! {
                                <button type="button" class="btn btn-small" aria-label=label.clone() on:click=move |_| asking.set(true)>
                                    "Remove"
                                </button>
                            }
                        >
                            <span class="limit-confirm">
                                <span class="muted">"Remove this limit?"</span>
                                <button
                                    type="button"
                                    class="btn btn-small btn-danger"
                                    data-testid="limit-remove-confirm"
                                    disabled=move || remove.pending().get()
                                    on:click={
                                        let id = id1.clone();
                                        move |_| { remove.dispatch(id.clone()); }
                                    }
                                >
                                    {move || if remove.pending().get() { "Removing…" } else { "Yes, remove" }}
                                </button>
                                <button type="button" class="btn btn-small" on:click=move |_| asking.set(false)>"Keep"</button>
                            </span>
                        </Show>
                    </div>
                }
                    .into_any()
            })}
        </li>
    }
    .into_any()
}
