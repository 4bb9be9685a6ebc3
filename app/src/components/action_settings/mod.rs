//! The action cards shared by `/stores/:id/actions` and `/org/defaults`: each catalog action
//! with its plain-words description, risk, where its values come from, the "Enabled" and
//! "Ask for confirmation first" switches (saved at once, with the result next to them), and
//! its limits (listed in plain words, with an "Add a limit" form). The server decides every
//! change; without `permissions.manage` the cards are read-only.

use crate::api::permissions::{
    permissions_limit_delete, permissions_limit_save, permissions_set, permissions_set_default,
};
use crate::domain::action_settings::{ActionSettings, AssistantRef, LimitInput, LimitView, Source};
use crate::domain::catalog::{ConfirmationBy, Level, LimitType, Risk};
use crate::domain::AppError;
use crate::Hydrated;
use leptos::prelude::*;
use std::collections::BTreeMap;

/// Where the cards' settings live.
#[derive(Clone, Debug, PartialEq)]
pub enum Place {
    Store { id: String, currency: String, assistants: Vec<AssistantRef> },
    Org,
}

impl Place {
    fn currency(&self) -> Option<String> {
        match self {
            Place::Store { currency, .. } => Some(currency.clone()),
            // Org-wide amounts apply in each store's own currency.
            Place::Org => Some("in the store's currency".to_string()),
        }
    }
}

/// Shared by the cards of one page: where they are, whether the viewer may change them, the
/// latest data (limits are read from it) and how to load it again after a limit changed.
#[derive(Clone, Copy)]
pub struct SettingsCtx {
    pub place: StoredValue<Place>,
    pub can_manage: bool,
    pub data: RwSignal<Vec<ActionSettings>>,
    pub reload: Action<(), Result<Vec<ActionSettings>, AppError>>,
}

/// True once the browser has hydrated the page: controls stay disabled until then.
pub fn hydrated() -> Signal<bool> {
    match use_context::<Hydrated>() {
        Some(Hydrated(h)) => h.into(),
        None => Signal::derive(|| true),
    }
}

/// Categories in the order a merchant thinks of them, with their headings.
const CATEGORIES: &[(&str, &str)] = &[
    ("orders", "Orders"),
    ("payments", "Payments and refunds"),
    ("support", "Support tickets"),
    ("customers", "Customers and contacts"),
    ("communication", "Messages"),
    ("scheduling", "Scheduling"),
    ("projects", "Projects and time"),
    ("crm", "CRM"),
    ("automation", "Automation"),
];

pub fn category_title(category: &str) -> String {
    match CATEGORIES.iter().find(|(c, _)| *c == category) {
        Some((_, title)) => title.to_string(),
        None => {
            let mut c = category.chars();
            match c.next() {
                Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
                None => "Other".into(),
            }
        }
    }
}

/// The actions grouped by category, known categories first.
pub fn by_category(actions: &[ActionSettings]) -> Vec<(String, Vec<ActionSettings>)> {
    let mut groups: BTreeMap<(usize, String), Vec<ActionSettings>> = BTreeMap::new();
    for a in actions {
        let rank = CATEGORIES.iter().position(|(c, _)| *c == a.category).unwrap_or(CATEGORIES.len());
        groups.entry((rank, a.category.clone())).or_default().push(a.clone());
    }
    groups.into_iter().map(|((_, c), v)| (c, v)).collect()
}

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

/// The category sections with their cards.
#[component]
pub fn ActionGroups(actions: Vec<ActionSettings>) -> impl IntoView {
    by_category(&actions)
        .into_iter()
        .map(|(category, list)| {
            let title = category_title(&category);
            let heading_id = format!("category-{}", category.replace('.', "-"));
            let labelled_by = heading_id.clone();
            view! {
                <section class="actions-category" aria-labelledby=labelled_by id=format!("group-{category}")>
                    <h2 class="actions-category-title" id=heading_id>{title}</h2>
                    <div class="action-list">
                        {list.into_iter().map(|action| view! { <ActionCard action/> }).collect_view()}
                    </div>
                </section>
            }
        })
        .collect_view()
        .into_any()
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
fn ActionCard(action: ActionSettings) -> impl IntoView {
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
    let (enabled_for, confirm_for, by_for) = (enabled_id.clone(), confirm_id.clone(), by_id.clone());
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
                <label class="switch" for=enabled_for>
                    <input
                        id=enabled_id
                        type="checkbox"
                        role="switch"
                        data-testid=format!("toggle-enabled-{id}")
                        checked=initial.enabled
                        prop:checked=move || shown.get().enabled
                        disabled=locked
                        aria-describedby=status_id.clone()
                        on:change=move |ev| {
                            let on = event_target_checked(&ev);
                            shown.update(|s| s.enabled = on);
                            change(Change { enabled: Some(on), ..Default::default() });
                        }
                    />
                    <span class="switch-track" aria-hidden="true"></span>
                    <span class="switch-label">"Enabled"</span>
                </label>
                <label class="switch" for=confirm_for>
                    <input
                        id=confirm_id
                        type="checkbox"
                        role="switch"
                        data-testid=format!("toggle-confirm-{id}")
                        checked=initial.confirm
                        prop:checked=move || shown.get().confirm
                        disabled=locked
                        aria-describedby=status_id.clone()
                        on:change=move |ev| {
                            let on = event_target_checked(&ev);
                            shown.update(|s| s.confirm = on);
                            change(Change { requires_confirmation: Some(on), ..Default::default() });
                        }
                    />
                    <span class="switch-track" aria-hidden="true"></span>
                    <span class="switch-label">"Ask for confirmation first"</span>
                </label>
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

/// The action's limits, in words, and the form to add one.
#[component]
fn LimitsSection(action: ActionSettings, open: bool, place: Place, name: String) -> impl IntoView {
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
fn LimitForm(action: ActionSettings, place: Place, name: String) -> impl IntoView {
    let ctx = expect_context::<SettingsCtx>();
    let ready = hydrated();
    let id = action.action_type.clone();
    let kinds = action.limit_types.clone();
    let first = kinds.first().copied().unwrap_or(LimitType::MaxCount);
    let kind = RwSignal::new(first);
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
    let field_error = move |name: &'static str| move || error.get().and_then(|e| e.field(name).map(str::to_string));
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
    view! {
        <form class="limit-form" data-testid=format!("limit-form-{id}") on:submit=submit novalidate=true aria-label=format!("Add a limit to {name}")>
            <h4 class="limits-subheading">"Add a limit"</h4>
            {move || general().map(|m| view! { <div class="banner banner-error" role="alert">{m}</div> })}
            <div class="limit-grid">
                <div class="field" class:field-invalid=move || type_msg().is_some()>
                    <label for=type_id.clone()>"Kind"</label>
                    <select
                        id=type_id
                        name="limit_type"
                        prop:value=move || kind.get().as_str()
                        on:change=move |ev| {
                            if let Some(t) = LimitType::parse(&event_target_value(&ev)) {
                                kind.set(t);
                            }
                        }
                    >
                        {kinds.iter().map(|t| view! { <option value=t.as_str() selected=*t == first>{t.label()}</option> }).collect_view()}
                    </select>
                    {move || type_msg().map(|m| view! { <p class="field-error" role="alert">{m}</p> })}
                </div>
                <div class="field" class:field-invalid=move || value_msg().is_some()>
                    <label for=value_id.clone()>"Value"</label>
                    <div class="input-unit">
                        <input
                            id=value_id
                            name="limit_value"
                            type="text"
                            inputmode="decimal"
                            autocomplete="off"
                            required=true
                            bind:value=value
                            aria-invalid=move || value_msg().is_some().to_string()
                        />
                        <span class="unit">{move || unit_of(kind.get(), currency.as_deref())}</span>
                    </div>
                    <p class="field-hint">{value_hint}</p>
                    {move || value_msg().map(|m| view! { <p class="field-error" role="alert">{m}</p> })}
                </div>
                <Show when=windowed>
                    <div class="field" class:field-invalid=move || window_msg().is_some()>
                        <label for=window_id.clone()>"Window (hours)"</label>
                        <input
                            id=window_id.clone()
                            name="time_window_hours"
                            type="number"
                            min="1"
                            max="8760"
                            step="1"
                            inputmode="numeric"
                            bind:value=window
                            aria-invalid=move || window_msg().is_some().to_string()
                        />
                        <p class="field-hint">"1 to 8760 (a year); 24 is a day."</p>
                        {move || window_msg().map(|m| view! { <p class="field-error" role="alert">{m}</p> })}
                    </div>
                </Show>
                <div class="field" class:field-invalid=move || exceed_msg().is_some()>
                    <label for=exceed_id.clone()>"When exceeded"</label>
                    <select id=exceed_id name="on_exceed" prop:value=move || on_exceed.get() on:change=move |ev| on_exceed.set(event_target_value(&ev))>
                        <option value="deny" selected=true>"Refuse"</option>
                        <option value="confirm">"Ask staff to confirm"</option>
                    </select>
                    {move || exceed_msg().map(|m| view! { <p class="field-error" role="alert">{m}</p> })}
                </div>
                {(!assistants.is_empty()).then(|| view! {
                    <div class="field">
                        <label for=applies_id.clone()>"Applies to"</label>
                        <select id=applies_id.clone() name="applies_to" prop:value=move || applies_to.get() on:change=move |ev| applies_to.set(event_target_value(&ev))>
                            <option value="" selected=true>"The whole store"</option>
                            {assistants.iter().map(|a| view! { <option value=a.id.clone()>{format!("Only {}", a.name)}</option> }).collect_view()}
                        </select>
                    </div>
                })}
            </div>
            <Show when=windowed>
                <div class="field field-check" class:field-invalid=move || per_msg().is_some()>
                    <label>
                        <input type="checkbox" name="per_customer" prop:checked=move || per_customer.get() on:change=move |ev| per_customer.set(event_target_checked(&ev))/>
                        " Count each customer separately"
                    </label>
                    {move || per_msg().map(|m| view! { <p class="field-error" role="alert">{m}</p> })}
                </div>
            </Show>
            <div class="limit-form-footer">
                <button type="submit" class="btn btn-primary btn-small" disabled=move || !ready.get() || save.pending().get()>
                    {move || if save.pending().get() { "Adding…" } else { "Add limit" }}
                </button>
                <span class="muted limit-notice" role="status" aria-live="polite">{move || notice.get()}</span>
            </div>
        </form>
    }
    .into_any()
}
