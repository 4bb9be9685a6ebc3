//! "Add a limit" on an action's card: kind, value with its unit, window (for window kinds),
//! what happens when exceeded, per customer (for window kinds) and, for a store with
//! assistants, who it applies to. The server checks everything; its field errors show next
//! to their fields, the rest above them.

use super::{Place, SettingsCtx};
use crate::api::permissions::permissions_limit_save;
use crate::components::form::{FieldError, FieldIds, SelectField, Submit};
use crate::domain::action_settings::{ActionSettings, LimitInput};
use crate::domain::catalog::LimitType;
use leptos::prelude::*;

/// What the unit next to the value field says.
fn unit_of(t: LimitType, currency: Option<&str>) -> String {
    match t {
        LimitType::MaxAmount | LimitType::MaxTotalAmount => currency.unwrap_or_default().to_string(),
        LimitType::MaxPercentage => "%".into(),
        LimitType::MaxCount => "actions".into(),
    }
}

/// "Add a limit": kind, value, window (for window kinds), what happens when exceeded, per
/// customer (for window kinds), and for a store with assistants, who it applies to.
#[component]
pub(super) fn LimitForm(action: ActionSettings, place: Place, name: String) -> impl IntoView {
    let ctx = expect_context::<SettingsCtx>();
    let id = action.action_type.clone();
    let kinds = action.limit_types.clone();
    let first = kinds.first().copied().unwrap_or(LimitType::MaxCount);
    // The kind as the select holds it, and read as a kind.
    let kind_value = RwSignal::new(first.as_str().to_string());
    let kind = Memo::new(move |_| LimitType::parse(&kind_value.get()).unwrap_or(first));
    let value = RwSignal::new(String::new());
    let window = RwSignal::new(String::new());
    let on_exceed = RwSignal::new("deny".to_string());
    let per_customer = RwSignal::new(false);
    let applies_to = RwSignal::new(String::new());
    let notice = RwSignal::new(None::<String>);
    let save = {
        let (id, place) = (id.clone(), place.clone());
        Action::new(move |_: &()| {
            let (scope_type, scope_id) = match (&place, applies_to.get_untracked()) {
                (Place::Org, _) => ("org".to_string(), None),
                (Place::Store { id, .. }, a) if a.is_empty() => ("store".to_string(), Some(id.clone())),
                (Place::Store { .. }, a) => ("assistant".to_string(), Some(a)),
            };
            let t = kind.get_untracked();
            permissions_limit_save(LimitInput {
                scope_type: Some(scope_type),
                scope_id,
                action_type: id.clone(),
                limit_type: t.as_str().to_string(),
                limit_value: value.get_untracked(),
                time_window_hours: if t.is_windowed() { Some(window.get_untracked()) } else { None },
                on_exceed: Some(on_exceed.get_untracked()),
                per_customer: Some(t.is_windowed() && per_customer.get_untracked()),
                ..Default::default()
            })
        })
    };
    Effect::new(move |_| {
        if let Some(Ok(saved)) = save.value().get() {
            value.set(String::new());
            notice.set(Some(if saved.created {
                "Limit added.".into()
            } else {
                "Limit updated: one of this kind was already set here.".into()
            }));
            ctx.reload.dispatch(());
        }
    });
    let error = Signal::derive(move || save.value().get().and_then(|r| r.err()));
    let field_error =
        move |name: &'static str| Signal::derive(move || error.get().and_then(|e| e.field(name).map(str::to_string)));
    let general = move || {
        error
            .get()
            .filter(|e| {
                e.fields.is_empty()
                    || e.field("scope_type").is_some()
                    || e.field("store_id").is_some()
                    || e.field("assistant_id").is_some()
                    || e.field("action_type").is_some()
            })
            .map(|e| e.message)
    };
    let windowed = move || kind.get().is_windowed();
    let currency = place.currency();
    let assistants = match &place {
        Place::Store { assistants, .. } => assistants.clone(),
        Place::Org => Vec::new(),
    };
    let f = |n: &str| format!("limit-{n}-{id}");
    let (type_id, value_id, window_id, exceed_id, applies_id) =
        (f("type"), f("value"), f("window"), f("exceed"), f("applies"));
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        notice.set(None);
        save.dispatch(());
    };
    let value_msg = field_error("limit_value");
    let window_msg = field_error("time_window_hours");
    let type_msg = field_error("limit_type");
    let exceed_msg = field_error("on_exceed");
    let per_msg = field_error("per_customer");
    let value_hint = {
        let pct_of_order = action.percentage_of_order;
        move || match kind.get() {
            LimitType::MaxAmount => "The largest amount one action may carry.".to_string(),
            LimitType::MaxPercentage if pct_of_order => "Worked out as the amount ÷ the order total.".to_string(),
            LimitType::MaxPercentage => "The largest percentage one action may carry.".to_string(),
            LimitType::MaxCount => "How many actions may run in the window.".to_string(),
            LimitType::MaxTotalAmount => "The most all actions together may carry in the window.".to_string(),
        }
    };
    let kind_options: Vec<(String, String)> =
        kinds.iter().map(|t| (t.as_str().to_string(), t.label().to_string())).collect();
    let exceed_options =
        vec![("deny".to_string(), "Refuse".to_string()), ("confirm".to_string(), "Ask staff to confirm".to_string())];
    let applies_options: Vec<(String, String)> =
        assistants.iter().map(|a| (a.id.clone(), format!("Only {}", a.name))).collect();
    let (value_ids, window_ids, per_error_id) =
        (FieldIds::new(value_id), FieldIds::new(window_id), format!("limit-per-customer-{id}-error"));
    let value_described = {
        let ids = value_ids.clone();
        move || ids.described_by(true, value_msg.get().is_some())
    };
    let window_described = {
        let ids = window_ids.clone();
        move || ids.described_by(true, window_msg.get().is_some())
    };
    let per_described = {
        let err = per_error_id.clone();
        move || per_msg.get().is_some().then(|| err.clone())
    };
    view! {
        <form class="limit-form" data-testid=format!("limit-form-{id}") on:submit=submit novalidate=true aria-label=format!("Add a limit to {name}")>
            <h4 class="limits-subheading">"Add a limit"</h4>
            {move || general().map(|m| view! { <div class="banner banner-error" role="alert">{m}</div> })}
            <div class="limit-grid">
                <SelectField id=type_id label="Kind" name="limit_type" options=kind_options value=kind_value error=type_msg/>
                <div class="field" class:field-invalid=move || value_msg.get().is_some()>
                    <label for=value_ids.control.clone()>"Value"</label>
                    <div class="input-unit">
                        <input
                            id=value_ids.control.clone()
                            name="limit_value"
                            type="text"
                            inputmode="decimal"
                            autocomplete="off"
                            required=true
                            bind:value=value
                            aria-invalid=move || value_msg.get().is_some().to_string()
                            aria-describedby=value_described
                        />
                        <span class="unit">{move || unit_of(kind.get(), currency.as_deref())}</span>
                    </div>
                    <p class="field-hint" id=value_ids.hint.clone()>{value_hint}</p>
                    <FieldError id=value_ids.error.clone() message=value_msg/>
                </div>
                <Show when=windowed>
                    <div class="field" class:field-invalid=move || window_msg.get().is_some()>
                        <label for=window_ids.control.clone()>"Window (hours)"</label>
                        <input
                            id=window_ids.control.clone()
                            name="time_window_hours"
                            type="number"
                            min="1"
                            max="8760"
                            step="1"
                            inputmode="numeric"
                            bind:value=window
                            aria-invalid=move || window_msg.get().is_some().to_string()
                            aria-describedby=window_described.clone()
                        />
                        <p class="field-hint" id=window_ids.hint.clone()>"1 to 8760 (a year); 24 is a day."</p>
                        <FieldError id=window_ids.error.clone() message=window_msg/>
                    </div>
                </Show>
                <SelectField id=exceed_id label="When exceeded" name="on_exceed" options=exceed_options value=on_exceed error=exceed_msg/>
                {(!assistants.is_empty()).then(|| view! {
                    <SelectField
                        id=applies_id.clone()
                        label="Applies to"
                        name="applies_to"
                        options=applies_options.clone()
                        value=applies_to
                        placeholder="The whole store"
                    />
                })}
            </div>
            <Show when=windowed>
                <div class="field field-check" class:field-invalid=move || per_msg.get().is_some()>
                    <label>
                        <input
                            type="checkbox"
                            name="per_customer"
                            prop:checked=move || per_customer.get()
                            aria-describedby=per_described.clone()
                            on:change=move |ev| per_customer.set(event_target_checked(&ev))
                        />
                        " Count each customer separately"
                    </label>
                    <FieldError id=per_error_id.clone() message=per_msg/>
                </div>
            </Show>
            <div class="limit-form-footer">
                <Submit label="Add limit" busy_label="Adding…" pending=save.pending().into() class="btn btn-primary btn-small" until_hydrated=true/>
                <span class="muted limit-notice" role="status" aria-live="polite">{move || notice.get()}</span>
            </div>
        </form>
    }
    .into_any()
}
