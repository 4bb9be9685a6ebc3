//! `/org/quotas`: the quota editor. Each quota says whose spend it caps ("team “Support”"),
//! what it counts in words ("Spend on prompts per month"), its limit, use, percent bar,
//! forecast, whether it blocks or only alerts, and its alert thresholds. People holding
//! `quotas.manage` add, change and delete quotas (the picker offers only what they may cap,
//! by name); `usage.read` alone reads. A failed save keeps everything typed and shows each
//! error next to its input.

use crate::api::spend::{quotas_page, DeleteQuota, SaveQuota};
use crate::components::form::{action_error, field_message, ActionError, ErrorBanner, FieldError, Submit};
use crate::components::notice::ErrorNotice;
use crate::components::spend::{quota_amount, QuotaMeter};
use crate::domain::spend::{item_type_name, quota_measure, EntityChoice, QuotaView, ITEM_TYPES};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn QuotasPage() -> impl IntoView {
    let refresh = RwSignal::new(0u32);
    let notice = RwSignal::new(None::<String>);
    let data = Resource::new(move || refresh.get(), |_| quotas_page());
    provide_context(Changed { refresh, notice });
    view! {
        <Title text="Quotas"/>
        <div class="page-header">
            <h1>"Quotas"</h1>
            <p class="muted">
                "Caps on what the organisation, a team, a person or an assistant may spend or do in a day, week or month. "
                "A quota on a team covers its sub-teams, their people and assistants. "
                <a href="/org/usage">"See the usage dashboard"</a>
            </p>
        </div>
        {move || notice.get().map(|m| view! { <div class="banner banner-success" role="status" data-testid="quota-notice">{m}</div> })}
        <Transition fallback=|| view! { <div class="page-loading" role="status">"Loading…"</div> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(p) => {
                        let choices = p.choices.clone();
                        let add = p.can_manage.then(|| {
                            let choices = choices.clone();
                            view! {
                                <section class="card" aria-labelledby="quota-new-title">
                                    <h2 id="quota-new-title">"Add a quota"</h2>
                                    <QuotaForm quota=None choices/>
                                </section>
                            }
                        });
                        let rows = if p.quotas.is_empty() {
                            view! { <p class="muted" data-testid="quotas-empty">"No quota yet."</p> }.into_any()
                        } else {
                            p.quotas
                                .into_iter()
                                .map(|q| {
                                    let choices = choices.clone();
                                    view! { <QuotaCard q choices can_manage=p.can_manage/> }
                                })
                                .collect_view()
                                .into_any()
                        };
                        view! {
                            <section aria-labelledby="quota-list-title" class="quota-list">
                                <h2 id="quota-list-title" class="sr-only">"Current quotas"</h2>
                                {rows}
                            </section>
                            {add}
                        }
                        .into_any()
                    }
                    Err(error) => view! { <ErrorNotice error/> }.into_any(),
                }
            })}
        </Transition>
    }
    .into_any()
}

/// Reloads the list after a successful change and says what happened.
#[derive(Clone, Copy)]
struct Changed {
    refresh: RwSignal<u32>,
    notice: RwSignal<Option<String>>,
}

impl Changed {
    fn done(&self, message: String) {
        self.notice.set(Some(message));
        self.refresh.update(|n| *n += 1);
    }
}

/// "Alert at 50 %, 80 % and 100 %".
fn thresholds_text(t: &[u32]) -> String {
    if t.is_empty() {
        return "No alerts".into();
    }
    let parts: Vec<String> = t.iter().map(|p| format!("{p} %")).collect();
    match parts.split_last() {
        Some((last, [])) => format!("Alert at {last}"),
        Some((last, rest)) => format!("Alert at {} and {last}", rest.join(", ")),
        None => String::new(),
    }
}

#[component]
fn QuotaCard(q: QuotaView, choices: Vec<EntityChoice>, can_manage: bool) -> impl IntoView {
    let changed = expect_context::<Changed>();
    let remove = ServerAction::<DeleteQuota>::new();
    let remove_error = action_error(remove.value());
    let name = q.name.clone();
    Effect::new(move |_| {
        if let Some(Ok(())) = remove.value().get() {
            changed.done(format!("Quota \u{201c}{name}\u{201d} deleted."));
        }
    });
    let measure = quota_measure(q.item_type.as_deref(), &q.metric, &q.period);
    let dec = |t: &str| t.trim().parse::<rust_decimal::Decimal>().ok();
    let over = matches!((dec(&q.forecast), dec(&q.limit)), (Some(f), Some(l)) if f > l);
    let editable = can_manage && choices.iter().any(|c| c.entity_type == q.entity_type && c.entity_id == q.entity_id);
    let id = q.id.clone();
    let enforce = if q.enforce {
        view! { <span class="badge badge-bad">"Blocks at the limit"</span> }
    } else {
        view! { <span class="badge badge-muted">"Alert only"</span> }
    };
    view! {
        <article class="card quota-card" data-testid="quota" aria-labelledby=format!("quota-{}", q.id)>
            <div class="quota-head">
                <h3 id=format!("quota-{}", q.id)>{q.name.clone()}</h3>
                {enforce}
            </div>
            <p class="quota-what">
                <span data-testid="quota-measure">{measure}</span>
                " for "
                <span data-testid="quota-owner">{q.owner.clone()}</span>
                ": limit "
                <strong data-testid="quota-limit">{quota_amount(&q, &q.limit)}</strong>
            </p>
            <QuotaMeter q=q.clone()/>
            <p class="muted small" data-testid="quota-forecast">
                {format!(
                    "At this pace: {} by the end of the {}{}. {}.",
                    quota_amount(&q, &q.forecast),
                    q.period,
                    if over { ", over the limit" } else { "" },
                    thresholds_text(&q.alert_thresholds),
                )}
            </p>
            {editable.then(|| {
                let quota = q.clone();
                view! {
                    <details class="quota-edit">
                        <summary class="btn btn-small btn-secondary" data-testid="quota-change">"Change…"</summary>
                        <QuotaForm quota=Some(quota) choices=choices.clone()/>
                    </details>
                    <details class="confirm">
                        <summary class="btn btn-small btn-danger-outline" data-testid="quota-delete">"Delete…"</summary>
                        <ActionForm action=remove attr:class="confirm-form">
                            <ErrorBanner error=remove_error/>
                            <input type="hidden" name="id" value=id.clone()/>
                            <p>"Delete this quota? Spend stays recorded; nothing is capped or alerted by it any more."</p>
                            <button type="submit" class="btn btn-small btn-danger" data-testid="quota-confirm-delete">"Delete quota"</button>
                        </ActionForm>
                    </details>
                }
            })}
        </article>
    }
    .into_any()
}

/// The add / change form. Fields keep what was typed when the save fails (only a success
/// reloads the list); errors show under their inputs.
#[component]
fn QuotaForm(quota: Option<QuotaView>, choices: Vec<EntityChoice>) -> impl IntoView {
    let changed = expect_context::<Changed>();
    let save = ServerAction::<SaveQuota>::new();
    let error = action_error(save.value());
    let editing = quota.is_some();
    Effect::new(move |_| {
        if let Some(Ok(q)) = save.value().get() {
            let verb = if editing { "saved" } else { "added" };
            changed.done(format!("Quota \u{201c}{}\u{201d} {verb}.", q.name));
        }
    });
    let prefix = quota.as_ref().map(|q| format!("q-{}", q.id)).unwrap_or_else(|| "q-new".into());
    let q = quota.clone();
    let entity_now = q.as_ref().map(|q| match &q.entity_id {
        Some(id) => format!("{}:{id}", q.entity_type),
        None => q.entity_type.clone(),
    });
    let item_now = q.as_ref().and_then(|q| q.item_type.clone()).unwrap_or_else(|| "any".into());
    let metric_now = q.as_ref().map(|q| q.metric.clone()).unwrap_or_else(|| "amount".into());
    let period_now = q.as_ref().map(|q| q.period.clone()).unwrap_or_else(|| "month".into());
    let enforce_now = q.as_ref().map(|q| q.enforce).unwrap_or(true);
    let thresholds_now = q
        .as_ref()
        .map(|q| q.alert_thresholds.iter().map(u32::to_string).collect::<Vec<_>>().join(", "))
        .unwrap_or_else(|| "50, 80, 100".into());
    let entity_options: Vec<(String, String)> = choices.iter().map(|c| (c.key(), c.label.clone())).collect();
    let items: Vec<(String, String)> = std::iter::once(("any".to_string(), "Everything".to_string()))
        .chain(ITEM_TYPES.iter().map(|t| (t.to_string(), item_type_name(Some(t)).to_string())))
        .collect();
    let metrics =
        vec![("amount".to_string(), "Money spent".to_string()), ("count".to_string(), "How many times".to_string())];
    let periods = vec![
        ("day".to_string(), "Day".to_string()),
        ("week".to_string(), "Week (from Monday)".to_string()),
        ("month".to_string(), "Month".to_string()),
    ];
    let enforce_options =
        vec![("true".to_string(), "Block at the limit".to_string()), ("false".to_string(), "Alert only".to_string())];
    let entity_error = Signal::derive(move || {
        error.get().and_then(|e| e.field("entity_type").or_else(|| e.field("entity_id")).map(str::to_string))
    });
    view! {
        <ActionForm action=save attr:class="form form-columns quota-form" attr:novalidate=true attr:data-testid="quota-form">
            <ErrorBanner error/>
            {quota.as_ref().map(|q| view! { <input type="hidden" name="id" value=q.id.clone()/> })}
            <TextInput prefix=prefix.clone() name="name" label="Name" error value=q.as_ref().map(|q| q.name.clone()).unwrap_or_default()
                hint="Optional; made from the rest when left empty."/>
            <Choice prefix=prefix.clone() name="entity" label="Whose spend" options=entity_options selected=entity_now.unwrap_or_default()
                message=entity_error placeholder="Choose…"/>
            <Choice prefix=prefix.clone() name="item_type" label="What it was for" options=items selected=item_now
                message=field_message(error, "item_type")/>
            <Choice prefix=prefix.clone() name="metric" label="Count" options=metrics selected=metric_now
                message=field_message(error, "metric")/>
            <TextInput prefix=prefix.clone() name="limit" label="Limit" error value=q.as_ref().map(|q| q.limit.clone()).unwrap_or_default()
                hint="An amount like 100.00, or a number of times."/>
            <TextInput prefix=prefix.clone() name="currency" label="Currency" error value=q.as_ref().and_then(|q| q.currency.clone()).unwrap_or_default()
                hint="For money: a code like EUR."/>
            <Choice prefix=prefix.clone() name="period" label="Per" options=periods selected=period_now
                message=field_message(error, "period")/>
            <Choice prefix=prefix.clone() name="enforce" label="At the limit" options=enforce_options selected=enforce_now.to_string()
                message=field_message(error, "enforce")/>
            <TextInput prefix=prefix.clone() name="alert_thresholds" label="Alert at (% of the limit)" error value=thresholds_now
                hint="Like 50, 80, 100. Each alert is sent once per period."/>
            <Submit label=if editing { "Save quota" } else { "Add quota" } busy_label="Saving…" pending=save.pending().into() testid="quota-save"/>
        </ActionForm>
    }
    .into_any()
}

#[component]
fn TextInput(
    prefix: String,
    name: &'static str,
    label: &'static str,
    error: ActionError,
    value: String,
    #[prop(optional)] hint: Option<&'static str>,
) -> impl IntoView {
    let id = format!("{prefix}-{name}");
    let message = field_message(error, name);
    let (hint_id, error_id) = (format!("{id}-hint"), format!("{id}-error"));
    let described = {
        let (h, e) = (hint_id.clone(), error_id.clone());
        move || {
            let mut ids = Vec::new();
            if hint.is_some() {
                ids.push(h.clone());
            }
            if message.get().is_some() {
                ids.push(e.clone());
            }
            ids.join(" ")
        }
    };
    view! {
        <div class="field" class:field-invalid=move || message.get().is_some()>
            <label for=id.clone()>{label}</label>
            {hint.map(|h| view! { <p class="field-hint" id=hint_id.clone()>{h}</p> })}
            <input id=id.clone() name=name type="text" value=value aria-invalid=move || message.get().is_some().to_string()
                aria-describedby=described/>
            <FieldError id=error_id message/>
        </div>
    }
    .into_any()
}

#[component]
fn Choice(
    prefix: String,
    name: &'static str,
    label: &'static str,
    options: Vec<(String, String)>,
    selected: String,
    message: Signal<Option<String>>,
    #[prop(optional)] placeholder: Option<&'static str>,
) -> impl IntoView {
    let id = format!("{prefix}-{name}");
    let error_id = format!("{id}-error");
    let e = error_id.clone();
    view! {
        <div class="field" class:field-invalid=move || message.get().is_some()>
            <label for=id.clone()>{label}</label>
            <select id=id.clone() name=name aria-invalid=move || message.get().is_some().to_string()
                aria-describedby=move || if message.get().is_some() { e.clone() } else { String::new() }>
                {placeholder.map(|p| view! { <option value="">{p}</option> })}
                {options
                    .into_iter()
                    .map(|(v, t)| {
                        let sel = v == selected;
                        view! { <option value=v selected=sel>{t}</option> }
                    })
                    .collect_view()}
            </select>
            <FieldError id=error_id message/>
        </div>
    }
    .into_any()
}
