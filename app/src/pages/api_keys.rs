//! `/org/api-keys`: the org's API keys (name, prefix, kind, role and scope, who made it,
//! when, last use, status), a form to create a management key — its secret is shown once —
//! and revocation with a confirmation. Needs `api_keys.manage`; the server decides.

use crate::api::api_keys::{get_api_key_options, list_api_keys, CreateApiKey, RevokeApiKey};
use crate::components::form::{action_error, field_message, ActionError, ErrorBanner, Field, SelectField, Submit};
use crate::components::format::time_to_minute;
use crate::components::notice::ErrorNotice;
use crate::domain::api_keys::{ApiKeyList, ApiKeyOptions, ApiKeyView};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn ApiKeysPage() -> impl IntoView {
    let create = ServerAction::<CreateApiKey>::new();
    let revoke = ServerAction::<RevokeApiKey>::new();
    let cursor = RwSignal::new(None::<String>);
    let keys = Resource::new(
        move || (create.version().get(), revoke.version().get(), cursor.get()),
        |(_, _, cursor)| list_api_keys(cursor),
    );
    let options = Resource::new(|| (), |_| get_api_key_options());
    view! {
        <Title text="API keys"/>
        <div class="page-header">
            <h1>"API keys"</h1>
            <p class="muted">
                "Integrations and agent runtimes call the API with a key. A management key acts with one role, "
                "in the whole organisation or in one team."
            </p>
        </div>
        <Transition fallback=|| view! { <div class="page-loading" role="status">"Loading…"</div> }>
            {move || Suspend::new(async move {
                match options.await {
                    Ok(o) => view! { <CreateKeyForm options=o create revoke/> }.into_any(),
                    Err(error) => view! { <ErrorNotice error/> }.into_any(),
                }
            })}
        </Transition>
        {move || {
            revoke.value().get().and_then(|r| r.ok()).map(|k| view! {
                <div class="banner banner-success" role="status" data-testid="keys-notice">
                    {format!("Key \"{}\" revoked: requests with it are refused from now on.", k.name)}
                </div>
            })
        }}
        {move || {
            revoke.value().get().and_then(|r| r.err()).map(|e| view! {
                <div class="banner banner-error" role="alert">{e.message}</div>
            })
        }}
        <Transition fallback=|| view! { <div class="page-loading" role="status">"Loading keys…"</div> }>
            {move || Suspend::new(async move {
                match keys.await {
                    Ok(list) => view! { <KeysTable list revoke cursor/> }.into_any(),
                    Err(error) => view! { <ErrorNotice error/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn Select(
    label: &'static str,
    name: &'static str,
    choices: Vec<(String, String)>,
    error: ActionError,
) -> impl IntoView {
    view! {
        <SelectField id=format!("field-{name}") label name options=choices error=field_message(error, name)/>
    }
}

#[component]
fn CreateKeyForm(
    options: ApiKeyOptions,
    create: ServerAction<CreateApiKey>,
    revoke: ServerAction<RevokeApiKey>,
) -> impl IntoView {
    let error = action_error(create.value());
    // Errors about the scope's id show under the scope select.
    let scope_error: ActionError = Signal::derive(move || {
        error.get().map(|mut e| {
            if let Some(f) = e.fields.iter_mut().find(|f| f.field == "scope_id" || f.field == "scope_type") {
                f.field = "scope".into();
            }
            e
        })
    });
    // The new key's secret stays on screen until the next create or revoke.
    let shown = RwSignal::new(None::<crate::domain::api_keys::CreatedApiKey>);
    Effect::new(move |_| {
        if let Some(Ok(created)) = create.value().get() {
            shown.set(Some(created));
        }
    });
    Effect::new(move |_| {
        if revoke.version().get() > 0 {
            shown.set(None);
        }
    });
    let roles: Vec<(String, String)> = options.roles.iter().map(|c| (c.value.clone(), c.label.clone())).collect();
    let scopes: Vec<(String, String)> = options.scopes.iter().map(|c| (c.value.clone(), c.label.clone())).collect();
    view! {
        {move || {
            shown.get().map(|created| view! {
                <div class="secret-box" role="status" data-testid="new-key">
                    <h2>{format!("Key \"{}\" created", created.key.name)}</h2>
                    <p><strong>"Copy the key now: it is shown only this once."</strong>" Select it and copy it (Ctrl+C / ⌘C) into the integration's settings."</p>
                    <label class="sr-only" for="new-key-secret">"The new API key"</label>
                    <input id="new-key-secret" class="secret-text secret-input" readonly value=created.secret.clone() data-testid="new-key-secret"/>
                    <p class="muted">"Send it as " <code>"Authorization: Bearer <key>"</code> "."</p>
                </div>
            })
        }}
        <details class="card create-card" open=move || create.value().get().is_some_and(|r| r.is_err())>
            <summary><h2 class="inline-heading">"Create a key"</h2></summary>
            <ActionForm action=create attr:class="form" attr:novalidate=true>
                <ErrorBanner error/>
                <Field label="Name" name="name" hint="What uses it, e.g. \"CRM sync\"." error/>
                <Select label="Role" name="role_id" choices=roles error/>
                <Select label="Acts in" name="scope" choices=scopes error=scope_error/>
                <Field label="Expires (optional)" name="expires_at" kind="date" required=false hint="The key works through this day (UTC). Leave empty for no expiry." error/>
                <Submit label="Create key" busy_label="Creating…" pending=create.pending().into()/>
            </ActionForm>
        </details>
    }
    .into_any()
}

fn when(t: &Option<String>) -> String {
    t.as_deref().map(time_to_minute).unwrap_or_else(|| "—".into())
}

#[component]
fn KeysTable(list: ApiKeyList, revoke: ServerAction<RevokeApiKey>, cursor: RwSignal<Option<String>>) -> impl IntoView {
    if list.keys.is_empty() && cursor.get_untracked().is_none() {
        return view! { <section class="card"><p class="muted" data-testid="keys-empty">"No API keys yet."</p></section> }.into_any();
    }
    let next = list.next_cursor.clone();
    view! {
        <section class="card" aria-labelledby="keys-title">
            <h2 id="keys-title">"Keys"</h2>
            <div class="table-wrap">
                <table class="table" data-testid="keys-table">
                    <thead>
                        <tr>
                            <th scope="col">"Name"</th>
                            <th scope="col">"Key"</th>
                            <th scope="col">"Role and scope"</th>
                            <th scope="col">"Created"</th>
                            <th scope="col">"Last used"</th>
                            <th scope="col">"Status"</th>
                            <th scope="col"><span class="sr-only">"Actions"</span></th>
                        </tr>
                    </thead>
                    <tbody>
                        {list.keys.into_iter().map(|k| view! { <KeyRow k revoke/> }).collect_view()}
                    </tbody>
                </table>
            </div>
            <div class="pager">
                {move || cursor.get().is_some().then(|| view! {
                    <button type="button" class="btn" on:click=move |_| cursor.set(None)>"Newest keys"</button>
                })}
                {next.map(|n| view! {
                    <button type="button" class="btn" on:click=move |_| cursor.set(Some(n.clone()))>"Older keys"</button>
                })}
            </div>
        </section>
    }
    .into_any()
}

#[component]
fn KeyRow(k: ApiKeyView, revoke: ServerAction<RevokeApiKey>) -> impl IntoView {
    let status_class = match k.status.as_str() {
        "active" => "badge badge-ok",
        "revoked" => "badge badge-bad",
        _ => "badge badge-muted",
    };
    let role = match (&k.kind[..], &k.role) {
        ("agent", _) => "Agent".to_string(),
        (_, Some(r)) => r.clone(),
        _ => "—".into(),
    };
    let active = k.status == "active";
    let id = k.id.clone();
    let name = k.name.clone();
    view! {
        <tr data-testid="key-row">
            <td><strong>{k.name.clone()}</strong><div class="muted small">{k.kind.clone()}</div></td>
            <td><code>{format!("{}…", k.prefix)}</code></td>
            <td>{role}<div class="muted small">{k.scope_label.clone()}</div></td>
            <td class="nowrap">{time_to_minute(&k.created_at)}<div class="muted small">{format!("by {}", k.created_by_label)}</div></td>
            <td class="nowrap">{when(&k.last_used_at)}</td>
            <td>
                <span class=status_class>{k.status.clone()}</span>
                {k.expires_at.as_ref().filter(|_| active).map(|e| view! { <div class="muted small">{format!("expires {}", time_to_minute(e))}</div> })}
            </td>
            <td>
                {active.then(|| view! {
                    <details class="confirm">
                        <summary class="btn btn-small">"Revoke…"</summary>
                        <ActionForm action=revoke attr:class="confirm-form">
                            <input type="hidden" name="id" value=id.clone()/>
                            <p>{format!("Revoke \"{name}\"? Integrations using it stop working at once.")}</p>
                            <button type="submit" class="btn btn-danger btn-small" data-testid="confirm-revoke">"Revoke key"</button>
                        </ActionForm>
                    </details>
                })}
            </td>
        </tr>
    }
}
