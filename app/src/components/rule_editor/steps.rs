//! The editor's "Then" steps: each step's action (added from the palette), its inputs as a
//! form built from the action's input schema (any text may hold `{{field}}` templates), an
//! optional name for its outputs, the outputs of earlier steps it may use, and a live
//! preview of its inputs filled in from the sample event (`domain::rules::preview_step`,
//! the dry run's own rendering).

use super::conditions::focus_later;
use super::dry_run::param_text;
use super::palette::ActionPalette;
use super::{Ctx, StepRow};
use crate::components::form::{hydrated, FieldError, FieldIds};
use crate::components::schema_form::{build_object, error_path, fields_of, SchemaForm};
use crate::domain::rules::{output_fields, outputs_available, preview_step, RuleAction, SavedOutputs};
use leptos::prelude::*;
use serde_json::Value;
use std::collections::BTreeMap;

#[component]
pub(super) fn StepsSection(error: Signal<Option<String>>) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let add = Callback::new(move |id: String| {
        let row = ctx.new_step(&RuleAction { kind: id, parameters: Value::Object(Default::default()), save_as: None });
        ctx.server_error.set(None);
        ctx.steps.update(|s| s.push(row.clone()));
        focus_later(format!("step-{}-title", row.key));
    });
    // The outputs each step may use, from what is typed now.
    let available = Memo::new(move |_| {
        let actions = ctx.actions_now();
        outputs_available(&actions, |id| ctx.def(id))
    });
    view! {
        <section class="card editor-section" aria-labelledby="rule-then" data-testid="steps">
            <h2 id="rule-then">"Then"</h2>
            <p class="muted">
                "The actions the rule takes, in order. Each is decided like an assistant's request: the store's settings and limits apply, and it is recorded in the audit trail."
            </p>
            <FieldError id="rule-actions-error" message=error/>
            <ol class="step-list">
                <For each=move || ctx.steps.get() key=|s| s.key let:row>
                    <StepCard row available/>
                </For>
            </ol>
            <ActionPalette on_pick=add/>
        </section>
    }
}

/// One input in the live preview: its title, and its value filled in or why it can't be.
type PreviewRow = (String, Result<String, String>);

#[component]
fn StepCard(row: StepRow, available: Memo<Vec<Vec<SavedOutputs>>>) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let key = row.key;
    let def = ctx.def(&row.kind);
    let index = Memo::new(move |_| ctx.steps.with(|s| s.iter().position(|x| x.key == key).unwrap_or(0)));
    let count = Memo::new(move |_| ctx.steps.with(Vec::len));
    let ready = hydrated();
    let Some(def) = def else {
        // An action the catalog no longer has (retired): say so, allow removing it.
        let kind = row.kind.clone();
        return view! {
            <li class="card step-card" data-testid="step">
                <h3 id=format!("step-{key}-title") tabindex="-1">{move || format!("Step {}: an action that no longer exists", index.get() + 1)}</h3>
                <p class="banner banner-error">{format!("The action \u{201c}{kind}\u{201d} is not in the catalog any more: remove this step.")}</p>
                <button type="button" class="btn btn-small" on:click=move |_| ctx.steps.update(|s| s.retain(|x| x.key != key))>"Remove"</button>
            </li>
        }
        .into_any();
    };
    let fields = fields_of(&def.input_schema, "");
    let fields_stored = StoredValue::new(fields.clone());
    let values = row.values;
    let local = row.local;
    let save_as = row.save_as;
    // Field errors: this form's own checks first, then the server's on this step.
    let errors_by_path = Memo::new(move |_| {
        let i = index.get();
        let mut by: BTreeMap<String, String> = local.get();
        let mut general = Vec::new();
        ctx.errors.with(|e| {
            for (path, message) in e.params.get(&i).cloned().unwrap_or_default() {
                match fields_stored.with_value(|f| error_path(f, "", &path, &message)) {
                    Some(p) => {
                        by.entry(p).or_insert(message);
                    }
                    None => general.push(message),
                }
            }
            for ((j, what), message) in &e.steps {
                if *j == i && what != "save_as" {
                    general.push(message.clone());
                }
            }
        });
        (by, general)
    });
    let field_errors = Signal::derive(move || errors_by_path.get().0);
    let save_as_error =
        Signal::derive(move || ctx.errors.with(|e| e.steps.get(&(index.get(), "save_as".to_string())).cloned()));
    let move_by = move |delta: isize| {
        ctx.server_error.set(None);
        ctx.steps.update(|s| {
            if let Some(i) = s.iter().position(|x| x.key == key) {
                let j = i as isize + delta;
                if j >= 0 && (j as usize) < s.len() {
                    s.swap(i, j as usize);
                }
            }
        });
        focus_later(format!("step-{key}-title"));
    };
    let remove = move |_| {
        ctx.server_error.set(None);
        ctx.steps.update(|s| s.retain(|x| x.key != key));
        focus_later("add-action".into());
    };
    let own_outputs = output_fields(&def);
    let save_ids = FieldIds::new(format!("step-{key}-save-as"));
    let name = def.name.clone();
    let title = move || format!("Step {}: {}", index.get() + 1, name);
    let schema = def.input_schema.clone();
    let kind = row.kind.clone();

    // The live preview: each input filled in from the sample event.
    let preview = Memo::new(move |_| -> Result<Vec<PreviewRow>, String> {
        let payload: Value = ctx
            .sample
            .with(|s| serde_json::from_str(s))
            .map_err(|_| "Fix the sample event below to see a preview.".to_string())?;
        let params = fields_stored
            .with_value(|f| values.with(|v| build_object(f, v)))
            .map_err(|_| "Some inputs are not valid yet.".to_string())?;
        let saved = available.with(|a| a.get(index.get()).cloned().unwrap_or_default());
        Ok(params
            .into_iter()
            .map(|(k, v)| {
                let mut one = serde_json::Map::new();
                one.insert(k.clone(), v);
                let a = RuleAction { kind: kind.clone(), parameters: Value::Object(one), save_as: None };
                let title = fields_stored.with_value(|f| param_text(f, &k, &Value::Null).0);
                let rendered = match preview_step(&a, &payload, &saved).0 {
                    Ok(p) => Ok(fields_stored.with_value(|f| param_text(f, &k, &p[&k]).1)),
                    Err(e) => Err(e.split_once(": ").map(|(_, m)| m.to_string()).unwrap_or(e)),
                };
                (title, rendered)
            })
            .collect())
    });

    view! {
        <li class="card step-card" data-testid="step" data-action=row.kind.clone() aria-labelledby=format!("step-{key}-title")>
            <div class="step-head">
                <h3 id=format!("step-{key}-title") tabindex="-1">{title}</h3>
                <div class="row-actions">
                    <button type="button" class="btn btn-small btn-ghost" disabled=move || !ready.get() || index.get() == 0
                        aria-label=move || format!("Move step {} up", index.get() + 1) on:click=move |_| move_by(-1)>"↑ Up"</button>
                    <button type="button" class="btn btn-small btn-ghost" disabled=move || !ready.get() || (index.get() + 1 >= count.get())
                        aria-label=move || format!("Move step {} down", index.get() + 1) on:click=move |_| move_by(1)>"↓ Down"</button>
                    <button type="button" class="btn btn-small btn-ghost" data-testid="remove-step" disabled=move || !ready.get()
                        aria-label=move || format!("Remove step {}", index.get() + 1) on:click=remove>"Remove"</button>
                </div>
            </div>
            <p class="muted">{def.description.clone()}</p>
            {move || {
                let general = errors_by_path.get().1;
                (!general.is_empty()).then(|| view! {
                    <div class="banner banner-error" role="alert">
                        <ul class="plain-list">{general.into_iter().map(|m| view! { <li>{m}</li> }).collect_view()}</ul>
                    </div>
                })
            }}
            {move || {
                let saved = available.with(|a| a.get(index.get()).cloned().unwrap_or_default());
                (!saved.is_empty()).then(|| view! {
                    <div class="step-outputs" data-testid="outputs-available">
                        <p class="small"><strong>"Outputs of earlier steps you can use here:"</strong></p>
                        <ul class="plain-list small">
                            {saved.into_iter().flat_map(|s| {
                                let step = s.save_as.clone();
                                s.fields.into_iter().map(move |f| {
                                    view! { <li><code>{format!("{{{{vars.{}.{}}}}}", step, f.name)}</code>{format!(" — {}", f.title)}</li> }
                                })
                            }).collect_view()}
                        </ul>
                    </div>
                })
            }}
            <fieldset class="step-params">
                <legend>"Inputs"</legend>
                <p class="field-hint">
                    "Fields marked " <span class="req">"*"</span> " are required. Any text can use the event's fields, like "
                    <code>"{{value}}"</code> "."
                </p>
                {if fields.is_empty() {
                    view! { <p class="muted">"This action takes no inputs."</p> }.into_any()
                } else {
                    view! { <SchemaForm schema values errors=field_errors prefix=format!("step{key}")/> }.into_any()
                }}
            </fieldset>
            <div class="field" class:field-invalid=move || save_as_error.get().is_some()>
                <label for=save_ids.control.clone()>"Save outputs as (optional)"</label>
                <p class="field-hint" id=save_ids.hint.clone()>
                    {if own_outputs.is_empty() {
                        "A short name (lower-case letters, digits, _) so later steps can use this step's outputs.".to_string()
                    } else {
                        let names: Vec<String> = own_outputs.iter().map(|f| f.title.to_lowercase()).collect();
                        format!(
                            "A short name (lower-case letters, digits, _), e.g. {}; later steps can then use its outputs: {}.",
                            suggested_name(&def.id),
                            names.join(", ")
                        )
                    }}
                </p>
                <input
                    id=save_ids.control.clone()
                    type="text"
                    class="mono input-short"
                    data-testid="step-save-as"
                    autocomplete="off"
                    spellcheck="false"
                    aria-describedby=move || save_ids.described_by(true, save_as_error.get().is_some())
                    aria-invalid=move || save_as_error.get().is_some().to_string()
                    prop:value=move || save_as.get()
                    on:input=move |ev| save_as.set(event_target_value(&ev))
                />
                <FieldError id=FieldIds::new(format!("step-{key}-save-as")).error message=save_as_error/>
            </div>
            <div class="step-preview" data-testid="step-preview">
                <h4>"Preview with the sample event"</h4>
                {move || match preview.get() {
                    Err(m) => view! { <p class="muted">{m}</p> }.into_any(),
                    Ok(list) if list.is_empty() => view! { <p class="muted">"Nothing filled in yet."</p> }.into_any(),
                    Ok(list) => view! {
                        <dl class="kv preview-list">
                            {list.into_iter().map(|(title, r)| match r {
                                Ok(v) => view! { <dt>{title}</dt> <dd data-testid="preview-value">{v}</dd> }.into_any(),
                                Err(m) => view! {
                                    <dt>{title}</dt>
                                    <dd class="preview-missing" data-testid="preview-missing">{format!("Can't fill in: {m}")}</dd>
                                }.into_any(),
                            }).collect_view()}
                        </dl>
                    }.into_any(),
                }}
            </div>
        </li>
    }
    .into_any()
}

/// A name to suggest for a step's outputs: the thing the action makes (`tickets.create` →
/// ticket, `create_task` → task).
fn suggested_name(id: &str) -> String {
    let base = id.split('.').next().unwrap_or(id);
    let base = if id.contains('.') { base.trim_end_matches('s') } else { id.rsplit('_').next().unwrap_or(id) };
    base.to_string()
}

#[cfg(test)]
mod tests {
    #[test]
    fn output_names_are_suggested_from_the_action() {
        assert_eq!(super::suggested_name("tickets.create"), "ticket");
        assert_eq!(super::suggested_name("create_task"), "task");
        assert_eq!(super::suggested_name("send_notification"), "notification");
        assert_eq!(super::suggested_name("time.create_entry"), "time");
    }
}
