//! `/stores/:id/assistants`: the store's assistants. Per assistant: its allowed actions as
//! labelled checkboxes grouped by category (saved at once, with "Saved" shown), the tools it
//! gets right now (re-read from the server after each change, with the allowed actions it
//! cannot call and why), disable/enable, edit, delete, and its agent API keys (list, create
//! with the secret shown once, revoke). Viewers see the same, read-only. The server decides
//! every change; the page only hides or disables what the viewer cannot do.

use crate::api::api_keys::RevokeApiKey;
use crate::api::assistants::{
    assistants_for_store, get_tool_preview, list_assistant_keys, CreateAssistant, CreateAssistantKey, DeleteAssistant,
    SetAllowedActions, SetAssistantStatus, UpdateAssistant,
};
use crate::components::form::{action_error, ErrorBanner, Field, Submit};
use crate::components::format::time_to_minute;
use crate::components::notice::{ChangeNotice, ErrorNotice};
use crate::components::page_data::Reloaded;
use crate::domain::api_keys::{ApiKeyView, CreatedApiKey};
use crate::domain::assistants::{ActionChoice, AssistantView, StoreAssistants, ToolPreview, STATUS_ACTIVE};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

/// Shared by the page's parts: the latest data, reloaded after each change.
type PageCtx = Reloaded<StoreAssistants, String>;

#[component]
pub fn StoreAssistantsPage() -> impl IntoView {
    let params = use_params_map();
    let store_id = move || params.read().get("id").unwrap_or_default();
    let page = Resource::new(store_id, assistants_for_store);
    view! {
        <Title text="Assistants"/>
        <div class="page-header">
            <h1>"Assistants"</h1>
            <p class="muted">
                "An assistant may call an action only when it is ticked here "
                <em>"and"</em>
                " turned on in the store's action settings, and while the store is not paused."
            </p>
        </div>
        <Suspense fallback=|| view! { <div class="page-loading" role="status">"Loading assistants…"</div> }>
            {move || Suspend::new(async move {
                match page.await {
                    Ok(data) => view! { <AssistantsBody data/> }.into_any(),
                    Err(error) => view! { <ErrorNotice error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn AssistantsBody(data: StoreAssistants) -> impl IntoView {
    let ctx = PageCtx::new(data, Action::new(|id: &String| assistants_for_store(id.clone())), |d| d.store.id.clone());
    provide_context(ctx);
    let (data, notice) = (ctx.data, ctx.notice);
    let store = move || data.with(|d| d.store.clone());
    let can_create = move || data.with(|d| d.store.can_manage);
    let cards = move || data.with(|d| d.assistants.clone());
    view! {
        {move || {
            let s = store();
            view! {
                <div class="store-heading" data-testid="store-heading">
                    <h2 class="store-heading-name">{s.name.clone()}</h2>
                    {s.actions_paused.then(|| view! {
                        <span class="badge badge-bad badge-paused" data-testid="store-paused">"Actions paused"</span>
                    })}
                    <span class="muted">{format!("{} · {}", s.currency, s.platform)}</span>
                    <a href="/stores">"All stores"</a>
                    <a href=format!("/stores/{}/actions", s.id)>"Action settings"</a>
                </div>
            }
        }}
        <ChangeNotice notice testid="assistants-notice"/>
        <Show when=can_create>
            <CreateAssistantForm/>
        </Show>
        <Show
            when=move || !data.with(|d| d.assistants.is_empty())
            fallback=|| view! { <section class="card"><p class="muted" data-testid="assistants-empty">"This store has no assistants yet."</p></section> }
        >
            <For each=cards key=card_key children=|a| view! { <AssistantCard a/> }/>
        </Show>
    }
    .into_any()
}

/// A card is drawn afresh when any of this changes; allowed actions change inside it.
fn card_key(a: &AssistantView) -> (String, String, String, String, bool, bool) {
    (a.id.clone(), a.name.clone(), a.description.clone(), a.status.clone(), a.can_manage, a.can_manage_actions)
}

#[component]
fn CreateAssistantForm() -> impl IntoView {
    let ctx = expect_context::<PageCtx>();
    let create = ServerAction::<CreateAssistant>::new();
    let error = action_error(create.value());
    let form = NodeRef::<leptos::html::Form>::new();
    Effect::new(move |_| {
        if let Some(Ok(a)) = create.value().get() {
            if let Some(f) = form.get_untracked() {
                f.reset();
            }
            ctx.done(format!("Assistant \u{201c}{}\u{201d} created with the store's default actions.", a.name));
        }
    });
    let store_id = ctx.data.with_untracked(|d| d.store.id.clone());
    view! {
        <section class="card" aria-labelledby="new-assistant-title">
            <h2 id="new-assistant-title">"New assistant"</h2>
            <ActionForm action=create node_ref=form attr:class="form form-columns" attr:data-testid="create-assistant-form">
                <ErrorBanner error/>
                <input type="hidden" name="store_id" value=store_id/>
                <Field label="Name" name="name" error hint="Up to 200 characters, e.g. \"Support chat\"."/>
                <Field label="Description" name="description" error required=false hint="Optional: what it is for."/>
                <Submit label="Create assistant" busy_label="Creating…" pending=create.pending().into() until_hydrated=true/>
            </ActionForm>
        </section>
    }
}

fn category_label(c: &str) -> String {
    let mut chars = c.chars();
    match chars.next() {
        Some(f) => f.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[component]
fn AssistantCard(a: AssistantView) -> impl IntoView {
    let ctx = expect_context::<PageCtx>();
    // The checkboxes work once the card is hydrated (see `components::form::Submit`).
    let ready = RwSignal::new(false);
    let card = NodeRef::<leptos::html::Section>::new();
    card.on_load(move |_| ready.set(true));
    // Bumped after every change that can change the tools, so the preview is read again.
    let tools_version = RwSignal::new(0u32);
    let allowed = RwSignal::new(a.allowed_actions.clone());
    let save = ServerAction::<SetAllowedActions>::new();
    let status = RwSignal::new(None::<Result<String, String>>);
    Effect::new(move |_| match save.value().get() {
        Some(Ok(saved)) => {
            // Answers can arrive out of order: take the server's list only once nothing else
            // is on its way.
            if !save.pending().get_untracked() {
                allowed.set(saved.allowed_actions.clone());
            }
            status.set(Some(Ok("Saved".to_string())));
            tools_version.update(|v| *v += 1);
        }
        Some(Err(e)) => {
            status.set(Some(Err(e.message.clone())));
            ctx.done(String::from("Reloaded what is stored."));
        }
        None => {}
    });
    let can_edit = a.can_manage_actions;
    let id = a.id.clone();
    let actions = ctx.data.with_untracked(|d| d.actions.clone());
    let mut groups: Vec<(String, Vec<ActionChoice>)> = Vec::new();
    for action in actions {
        match groups.last_mut() {
            Some((c, list)) if *c == action.category => list.push(action),
            _ => groups.push((action.category.clone(), vec![action])),
        }
    }
    let groups_view = groups
        .into_iter()
        .map(|(category, list)| {
            let id = id.clone();
            view! {
                <fieldset class="action-group">
                    <legend>{category_label(&category)}</legend>
                    {list
                        .into_iter()
                        .map(|action| {
                            let action_id = action.id.clone();
                            let (for_checked, for_change) = (action_id.clone(), action_id.clone());
                            let assistant_id = id.clone();
                            let initially = allowed.with_untracked(|l| l.contains(&action_id));
                            view! {
                                <label class="checkbox action-choice">
                                    <input
                                        type="checkbox"
                                        data-testid=format!("allowed-action-{}", action.id)
                                        checked=initially
                                        prop:checked=move || allowed.with(|l| l.contains(&for_checked))
                                        disabled=move || !can_edit || !ready.get()
                                        on:change=move |ev| {
                                            let on = event_target_checked(&ev);
                                            allowed.update(|l| {
                                                l.retain(|x| *x != for_change);
                                                if on {
                                                    l.push(for_change.clone());
                                                }
                                            });
                                            status.set(None);
                                            save.dispatch(SetAllowedActions {
                                                id: assistant_id.clone(),
                                                allowed_actions: allowed.get_untracked(),
                                            });
                                        }
                                    />
                                    <span>
                                        <strong>{action.name.clone()}</strong>
                                        {(!action.enabled_for_store).then(|| view! {
                                            <span class="badge badge-muted off-badge">"Off for this store"</span>
                                        })}
                                        <span class="action-description">{action.description.clone()}</span>
                                    </span>
                                </label>
                            }
                        })
                        .collect_view()}
                </fieldset>
            }
        })
        .collect_view();
    let active = a.status == STATUS_ACTIVE;
    let status_badge = if active {
        view! { <span class="badge badge-ok" data-testid="assistant-status">"Active"</span> }
    } else {
        view! { <span class="badge badge-bad" data-testid="assistant-status">"Disabled"</span> }
    };
    let keys = ctx.data.with_untracked(|d| d.can_manage_keys).then(|| view! { <AgentKeys a=a.clone()/> });
    let controls = a.can_manage.then(|| view! { <AssistantControls a=a.clone()/> });
    view! {
        <section node_ref=card class="card assistant-card" data-testid="assistant-card" data-assistant-id=a.id.clone() aria-label=format!("Assistant {}", a.name)>
            <div class="card-header assistant-header">
                <h2>{a.name.clone()}</h2>
                {status_badge}
                {controls}
            </div>
            {(!a.description.is_empty()).then(|| view! { <p class="muted">{a.description.clone()}</p> })}
            <div class="assistant-columns">
                <div class="allowed-actions">
                    <h3>"Allowed actions"</h3>
                    {if can_edit {
                        view! { <p class="muted small">"Tick what this assistant may do; each change applies at once."</p> }.into_any()
                    } else {
                        view! { <p class="muted small">"Read-only: changing these needs the permissions.manage permission for this store."</p> }.into_any()
                    }}
                    <p class="save-status" role="status" aria-live="polite" data-testid="allowed-status">
                        {move || match status.get() {
                            Some(Ok(m)) => view! { <span class="ok">{m}</span> }.into_any(),
                            Some(Err(m)) => view! { <span class="field-error">{m}</span> }.into_any(),
                            None => view! { <span></span> }.into_any(),
                        }}
                    </p>
                    {groups_view}
                </div>
                <ToolsPreview assistant_id=a.id.clone() version=tools_version/>
            </div>
            {keys}
        </section>
    }
    .into_any()
}

#[component]
fn ToolsPreview(assistant_id: String, version: RwSignal<u32>) -> impl IntoView {
    let preview = Resource::new(move || version.get(), move |_| get_tool_preview(assistant_id.clone()));
    view! {
        <div class="tools-preview" data-testid="tools-preview">
            <h3>"Tools it gets now"</h3>
            <Transition fallback=|| view! { <p class="muted" role="status">"Loading tools…"</p> }>
                {move || Suspend::new(async move {
                    match preview.await {
                        Ok(p) => view! { <ToolList p/> }.into_any(),
                        Err(e) => view! { <p class="field-error" role="alert">{e.message}</p> }.into_any(),
                    }
                })}
            </Transition>
        </div>
    }
}

#[component]
fn ToolList(p: ToolPreview) -> impl IntoView {
    let empty = p.tools.is_empty();
    // One element around it all: a bare fragment here was drawn twice when hydrating.
    view! {
        <div class="tool-list-body">
        {p.note.clone().map(|n| view! { <p class="banner banner-error small" data-testid="tools-note">{n}</p> })}
        {if empty {
            view! { <p class="muted" data-testid="tools-empty">"No tools: it can't call any action right now."</p> }.into_any()
        } else {
            view! {
                <ul class="plain-list tool-list">
                    {p.tools
                        .into_iter()
                        .map(|t| view! {
                            <li data-testid=format!("tool-{}", t.id)>
                                <strong>{t.name}</strong>" "<code>{t.function_name}</code>
                            </li>
                        })
                        .collect_view()}
                </ul>
            }
                .into_any()
        }}
        {(!p.blocked.is_empty()).then(|| view! {
            <p class="muted small">"Allowed but not callable now:"</p>
            <ul class="plain-list blocked-list" data-testid="tools-blocked">
                {p.blocked
                    .into_iter()
                    .map(|b| view! {
                        <li data-testid=format!("blocked-{}", b.id)>{format!("{} — {}", b.name, b.reason)}</li>
                    })
                    .collect_view()}
            </ul>
        })}
        </div>
    }
}

#[component]
fn AssistantControls(a: AssistantView) -> impl IntoView {
    let ctx = expect_context::<PageCtx>();
    let set_status = ServerAction::<SetAssistantStatus>::new();
    let update = ServerAction::<UpdateAssistant>::new();
    let delete = ServerAction::<DeleteAssistant>::new();
    let status_error = action_error(set_status.value());
    let update_error = action_error(update.value());
    let delete_error = action_error(delete.value());
    ctx.on_success(set_status.value(), |x: &AssistantView| {
        if x.status == STATUS_ACTIVE {
            format!("\u{201c}{}\u{201d} enabled.", x.name)
        } else {
            format!("\u{201c}{}\u{201d} disabled: it gets no tools and every check it makes is denied.", x.name)
        }
    });
    ctx.on_success(update.value(), |x: &AssistantView| format!("Assistant \u{201c}{}\u{201d} saved.", x.name));
    let deleted = a.name.clone();
    ctx.on_success(delete.value(), move |_: &()| format!("Assistant \u{201c}{deleted}\u{201d} deleted."));
    let active = a.status == STATUS_ACTIVE;
    let id = a.id.clone();
    let (name_id, description_id) = (format!("assistant-name-{id}"), format!("assistant-description-{id}"));
    let toggle_testid = if active { "assistant-disable" } else { "assistant-enable" };
    let (id_status, id_edit, id_delete) = (id.clone(), id.clone(), id.clone());
    let (edit_name, edit_description) = (a.name.clone(), a.description.clone());
    let delete_message = format!("Delete \u{201c}{}\u{201d} and its own limits? Revoke its agent keys first.", a.name);
    view! {
        <div class="row-actions">
            <ActionForm action=set_status attr:class="inline-form">
                <input type="hidden" name="id" value=id_status/>
                <input type="hidden" name="status" value=if active { "disabled" } else { "active" }/>
                <Submit
                    label=if active { "Disable" } else { "Enable" }
                    busy_label=if active { "Disabling…" } else { "Enabling…" }
                    pending=set_status.pending().into()
                    class="btn btn-small"
                    testid=toggle_testid
                    until_hydrated=true
                />
            </ActionForm>
            <details class="row-menu">
                <summary class="btn btn-small" data-testid="assistant-edit">"Edit"</summary>
                <ActionForm action=update attr:class="form compact">
                    <ErrorBanner error=update_error/>
                    <input type="hidden" name="id" value=id_edit/>
                    <Field label="Name" name="name" id=name_id.clone() value=edit_name error=update_error/>
                    <Field label="Description" name="description" id=description_id.clone() required=false value=edit_description error=update_error/>
                    <Submit label="Save" busy_label="Saving…" pending=update.pending().into() until_hydrated=true/>
                </ActionForm>
            </details>
            <details class="confirm">
                <summary class="btn btn-small btn-danger-outline" data-testid="assistant-delete">"Delete…"</summary>
                <ActionForm action=delete attr:class="confirm-form">
                    <ErrorBanner error=delete_error/>
                    <input type="hidden" name="id" value=id_delete/>
                    <p>{delete_message}</p>
                    <Submit label="Delete assistant" busy_label="Deleting…" pending=delete.pending().into() class="btn btn-danger btn-small" testid="confirm-delete-assistant" until_hydrated=true/>
                </ActionForm>
            </details>
            {move || status_error.get().map(|e| view! { <span class="field-error" role="alert">{e.message}</span> })}
        </div>
    }
    .into_any()
}

/// The agent keys acting as this assistant: list, create (secret shown once), revoke.
#[component]
fn AgentKeys(a: AssistantView) -> impl IntoView {
    let create = ServerAction::<CreateAssistantKey>::new();
    let revoke = ServerAction::<RevokeApiKey>::new();
    let error = action_error(create.value());
    let revoke_error = action_error(revoke.value());
    let (store_id, assistant_id) = (a.store_id.clone(), a.id.clone());
    let keys = Resource::new(
        move || (create.version().get(), revoke.version().get()),
        move |_| list_assistant_keys(store_id.clone(), assistant_id.clone()),
    );
    let shown = RwSignal::new(None::<CreatedApiKey>);
    let form = NodeRef::<leptos::html::Form>::new();
    Effect::new(move |_| {
        if let Some(Ok(created)) = create.value().get() {
            shown.set(Some(created));
            if let Some(f) = form.get_untracked() {
                f.reset();
            }
        }
    });
    Effect::new(move |_| {
        if revoke.version().get() > 0 {
            shown.set(None);
        }
    });
    let name_id = format!("agent-key-name-{}", a.id);
    let expiry_id = format!("agent-key-expiry-{}", a.id);
    view! {
        <div class="agent-keys" data-testid="agent-keys">
            <h3>"Agent API keys"</h3>
            <p class="muted small">
                "The assistant's runtime calls the API with one of these: it may list its tools, check and invoke actions for this store, as this assistant, and nothing else."
            </p>
            {move || {
                shown.get().map(|created| view! {
                    <div class="secret-box" role="status" data-testid="new-agent-key">
                        <h4>{format!("Key \u{201c}{}\u{201d} created", created.key.name)}</h4>
                        <p><strong>"Copy the key now: it is shown only this once."</strong>" Select it and copy it (Ctrl+C / ⌘C) into the assistant's settings."</p>
                        <label class="sr-only" for=format!("secret-{}", created.key.id)>"The new agent key"</label>
                        <input id=format!("secret-{}", created.key.id) class="secret-text secret-input" readonly value=created.secret.clone() data-testid="new-agent-key-secret"/>
                        <p class="muted">"Send it as " <code>"Authorization: Bearer <key>"</code> "."</p>
                    </div>
                })
            }}
            <Transition fallback=|| view! { <p class="muted" role="status">"Loading keys…"</p> }>
                {move || Suspend::new(async move {
                    match keys.await {
                        Ok(list) if list.is_empty() => view! { <p class="muted" data-testid="agent-keys-empty">"No agent keys yet."</p> }.into_any(),
                        Ok(list) => view! {
                            <ul class="plain-list key-list">
                                {list.into_iter().map(|k| view! { <AgentKeyRow k revoke/> }).collect_view()}
                            </ul>
                        }
                            .into_any(),
                        Err(e) => view! { <p class="field-error" role="alert">{e.message}</p> }.into_any(),
                    }
                })}
            </Transition>
            {move || revoke_error.get().map(|e| view! { <p class="field-error" role="alert">{e.message}</p> })}
            <ActionForm action=create node_ref=form attr:class="form form-columns" attr:data-testid="create-agent-key-form">
                <ErrorBanner error/>
                <input type="hidden" name="store_id" value=a.store_id.clone()/>
                <input type="hidden" name="assistant_id" value=a.id.clone()/>
                <Field label="Key name" name="name" id=name_id.clone() error=error/>
                <Field label="Expires (optional)" name="expires_at" id=expiry_id.clone() kind="date" required=false error=error/>
                <Submit label="Create agent key" busy_label="Creating…" pending=create.pending().into() until_hydrated=true/>
            </ActionForm>
        </div>
    }
    .into_any()
}

#[component]
fn AgentKeyRow(k: ApiKeyView, revoke: ServerAction<RevokeApiKey>) -> impl IntoView {
    let active = k.status == "active";
    let badge = match k.status.as_str() {
        "active" => "badge badge-ok",
        "revoked" => "badge badge-bad",
        _ => "badge badge-muted",
    };
    let name = k.name.clone();
    view! {
        <li class="key-item" data-testid="agent-key-row">
            <strong>{k.name.clone()}</strong>" "
            <code>{format!("{}…", k.prefix)}</code>" "
            <span class=badge>{k.status.clone()}</span>
            <span class="muted small">{format!(" created {}", time_to_minute(&k.created_at))}</span>
            {active.then(|| view! {
                <details class="confirm">
                    <summary class="btn btn-small" data-testid="agent-key-revoke">"Revoke…"</summary>
                    <ActionForm action=revoke attr:class="confirm-form">
                        <input type="hidden" name="id" value=k.id.clone()/>
                        <p>{format!("Revoke \u{201c}{name}\u{201d}? The assistant's calls with it are refused at once.")}</p>
                        <Submit label="Revoke key" busy_label="Revoking…" pending=revoke.pending().into() class="btn btn-danger btn-small" testid="confirm-revoke" until_hydrated=true/>
                    </ActionForm>
                </details>
            })}
        </li>
    }
}
