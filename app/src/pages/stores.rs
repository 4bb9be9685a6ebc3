//! `/stores`: the stores the viewer can see — currency, platform, team, assistants, and the
//! kill switch shown prominently when actions are paused — with links to each store's
//! Actions and Assistants pages. Those holding `stores.manage` get the create form (at the
//! org or in a team they manage) and, per store they manage, pause/resume with a confirm
//! step, edit and delete. The server decides every change; the page only hides controls.

use crate::api::auth::CurrentUser;
use crate::api::stores::{list_stores, CreateStore, DeleteStore, SetStorePaused, UpdateStore};
use crate::components::form::{action_error, field_message, ErrorBanner, Field, SelectField, Submit};
use crate::components::notice::{ChangeNotice, ErrorNotice};
use crate::components::page_data::Reloaded;
use crate::domain::stores::{StoreList, StoreView};
use leptos::prelude::*;
use leptos_meta::Title;

/// Shared by the page's parts: the latest data, reloaded after each change.
type StoresCtx = Reloaded<StoreList>;

#[component]
pub fn StoresPage() -> impl IntoView {
    let stores = Resource::new(|| (), |_| list_stores());
    view! {
        <Title text="Stores"/>
        <div class="page-header">
            <h1>"Stores"</h1>
            <p class="muted">
                "Each store has its own settings for which actions assistants and automations may take. "
                "Pausing a store stops every action at once."
            </p>
        </div>
        <Suspense fallback=|| view! { <div class="page-loading" role="status">"Loading stores…"</div> }>
            {move || Suspend::new(async move {
                match stores.await {
                    Ok(list) => view! { <StoresBody list/> }.into_any(),
                    Err(error) => view! { <ErrorNotice error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn StoresBody(list: StoreList) -> impl IntoView {
    let ctx = StoresCtx::new(list, Action::new(|_: &()| list_stores()), |_| ());
    provide_context(ctx);
    let (data, notice) = (ctx.data, ctx.notice);
    let can_create = move || data.with(|l| l.can_create());
    let paused = move || data.with(|l| l.stores.iter().filter(|s| s.actions_paused).count());
    let rows = move || data.with(|l| l.stores.clone());
    view! {
        <ChangeNotice notice testid="stores-notice"/>
        {move || {
            let n = paused();
            (n > 0).then(|| view! {
                <div class="banner banner-error paused-banner" role="status" data-testid="paused-banner">
                    <strong>{if n == 1 { "1 store has its actions paused.".to_string() } else { format!("{n} stores have their actions paused.") }}</strong>
                    " Assistants and automations can take no action there until it is resumed."
                </div>
            })
        }}
        <Show when=can_create>
            <CreateStoreForm/>
        </Show>
        <section class="card" aria-labelledby="stores-title">
            <h2 id="stores-title">"Your stores"</h2>
            <Show
                when=move || !data.with(|l| l.stores.is_empty())
                fallback=|| view! { <p class="muted" data-testid="stores-empty">"No stores you can see yet."</p> }
            >
                <div class="table-wrap">
                    <table class="table stores-table" data-testid="stores-table">
                        <thead>
                            <tr>
                                <th scope="col">"Store"</th>
                                <th scope="col">"Currency"</th>
                                <th scope="col">"Team"</th>
                                <th scope="col">"Assistants"</th>
                                <th scope="col">"Settings"</th>
                                <th scope="col"><span class="sr-only">"Changes"</span></th>
                            </tr>
                        </thead>
                        <tbody>
                            <For each=rows key=|s: &StoreView| s.clone() children=|store| view! { <StoreRow store/> }/>
                        </tbody>
                    </table>
                </div>
            </Show>
        </section>
    }
    .into_any()
}

/// The team choices of a create or edit form: "No team" when allowed, then the teams the
/// viewer may put stores in, then the store's current team if it is none of those.
fn team_options(list: &StoreList, current: Option<(&str, &str)>) -> Vec<(String, String)> {
    let mut out = Vec::new();
    if list.can_create_without_team || current.is_none() {
        out.push((String::new(), "No team".to_string()));
    }
    out.extend(list.team_choices.iter().map(|c| (c.value.clone(), c.label.clone())));
    if let Some((id, path)) = current {
        if !out.iter().any(|(v, _)| v == id) {
            out.push((id.to_string(), format!("{path} (current)")));
        }
    }
    out
}

#[component]
fn TeamSelect(
    id: String,
    options: Vec<(String, String)>,
    selected: Option<String>,
    error: crate::components::form::ActionError,
) -> impl IntoView {
    // With nothing selected, the first option ("No team" where allowed) is.
    let selected = selected.unwrap_or_default();
    view! { <SelectField id label="Team" name="team_id" options selected error=field_message(error, "team_id")/> }
}

#[component]
fn CreateStoreForm() -> impl IntoView {
    let ctx = expect_context::<StoresCtx>();
    let create = ServerAction::<CreateStore>::new();
    let error = action_error(create.value());
    let form = NodeRef::<leptos::html::Form>::new();
    Effect::new(move |_| {
        if let Some(Ok(s)) = create.value().get() {
            if let Some(f) = form.get_untracked() {
                f.reset();
            }
            ctx.done(format!("Store \u{201c}{}\u{201d} created with the default action settings.", s.name));
        }
    });
    let teams = move || ctx.data.with(|l| team_options(l, None));
    view! {
        <section class="card" aria-labelledby="new-store-title">
            <h2 id="new-store-title">"New store"</h2>
            <ActionForm action=create node_ref=form attr:class="form form-columns" attr:data-testid="create-store-form">
                <ErrorBanner error/>
                <Field label="Name" name="name" error hint="Up to 200 characters."/>
                <Field label="Currency" name="currency" error value="EUR" hint="Three letters, like EUR or USD: limits are in this currency."/>
                {move || view! { <TeamSelect id="new-store-team".into() options=teams() selected=None error/> }}
                <p class="muted small">"New stores run on the built-in sandbox platform."</p>
                <Submit label="Create store" busy_label="Creating…" pending=create.pending().into() until_hydrated=true/>
            </ActionForm>
        </section>
    }
}

#[component]
fn StoreRow(store: StoreView) -> impl IntoView {
    let actions_href = format!("/stores/{}/actions", store.id);
    let assistants_href = format!("/stores/{}/assistants", store.id);
    let assistants = match store.assistant_count {
        1 => "1 assistant".to_string(),
        n => format!("{n} assistants"),
    };
    let controls = store.can_manage.then(|| view! { <StoreControls store=store.clone()/> });
    let connector_href = format!("/stores/{}/connector", store.id);
    let connector = use_context::<CurrentUser>().is_some_and(|u| u.has("secrets.manage")).then(
        || view! { " " <a class="btn btn-small" href=connector_href data-testid="store-connector">"Connector"</a> },
    );
    view! {
        <tr data-testid="store-row" data-store-id=store.id.clone() class:row-paused=store.actions_paused>
            <th scope="row">
                <span class="store-name" data-testid="store-name">{store.name.clone()}</span>
                {store.actions_paused.then(|| view! {
                    <span class="badge badge-bad badge-paused" data-testid="store-paused">"Actions paused"</span>
                })}
                <span class="muted small store-platform">{format!("Platform: {}", store.platform)}</span>
            </th>
            <td data-testid="store-currency">{store.currency.clone()}</td>
            <td>{store.team_path.clone().unwrap_or_else(|| "—".into())}</td>
            <td>{assistants}</td>
            <td class="nowrap">
                <a class="btn btn-small" href=actions_href>"Actions"</a>
                " "
                <a class="btn btn-small" href=assistants_href>"Assistants"</a>
                {connector}
            </td>
            <td>{controls}</td>
        </tr>
    }
}

#[component]
fn StoreControls(store: StoreView) -> impl IntoView {
    let ctx = expect_context::<StoresCtx>();
    let pause = ServerAction::<SetStorePaused>::new();
    let update = ServerAction::<UpdateStore>::new();
    let delete = ServerAction::<DeleteStore>::new();
    let pause_error = action_error(pause.value());
    let update_error = action_error(update.value());
    let delete_error = action_error(delete.value());
    ctx.on_success(pause.value(), |s: &StoreView| {
        if s.actions_paused {
            format!("Actions paused for \u{201c}{}\u{201d}: every action there is refused until resumed.", s.name)
        } else {
            format!("Actions resumed for \u{201c}{}\u{201d}.", s.name)
        }
    });
    ctx.on_success(update.value(), |s: &StoreView| format!("Store \u{201c}{}\u{201d} saved.", s.name));
    let deleted = store.name.clone();
    ctx.on_success(delete.value(), move |_: &()| format!("Store \u{201c}{deleted}\u{201d} deleted."));

    let paused = store.actions_paused;
    let pause_testid = if paused { "store-resume" } else { "store-pause" };
    let id = store.id.clone();
    let name = store.name.clone();
    let (id_pause, id_edit, id_delete) = (id.clone(), id.clone(), id.clone());
    let pause_message = if paused {
        format!("Resume actions for \u{201c}{name}\u{201d}? Assistants and automations may act again within their settings.")
    } else {
        format!("Pause every action for \u{201c}{name}\u{201d}? Assistants and automations are refused at once until you resume.")
    };
    let delete_message =
        format!("Delete \u{201c}{name}\u{201d} with its assistants, action settings and limits? This can't be undone.");
    let (store_name, store_currency, store_team) = (store.name.clone(), store.currency.clone(), store.team_id.clone());
    let current = store.team_id.clone().zip(store.team_path.clone());
    let teams = ctx.data.with_untracked(|l| team_options(l, current.as_ref().map(|(i, p)| (i.as_str(), p.as_str()))));
    let (name_id, currency_id) = (format!("edit-name-{id}"), format!("edit-currency-{id}"));
    let team_select_id = format!("edit-team-{id}");
    view! {
        <div class="row-actions store-controls">
            <details class="confirm">
                <summary class="btn btn-small" class:btn-danger-outline=!paused data-testid=pause_testid>
                    {if paused { "Resume…" } else { "Pause…" }}
                </summary>
                <ActionForm action=pause attr:class="confirm-form">
                    <ErrorBanner error=pause_error/>
                    <input type="hidden" name="id" value=id_pause/>
                    <input type="hidden" name="paused" value=if paused { "false" } else { "true" }/>
                    <p>{pause_message}</p>
                    <Submit
                        label=if paused { "Resume actions" } else { "Pause actions" }
                        busy_label=if paused { "Resuming…" } else { "Pausing…" }
                        pending=pause.pending().into()
                        class=if paused { "btn btn-small btn-primary" } else { "btn btn-small btn-danger" }
                        testid="confirm-pause"
                        until_hydrated=true
                    />
                </ActionForm>
            </details>
            <details class="row-menu">
                <summary class="btn btn-small" data-testid="store-edit">"Edit"</summary>
                <ActionForm action=update attr:class="form compact" attr:data-testid="edit-store-form">
                    <ErrorBanner error=update_error/>
                    <input type="hidden" name="id" value=id_edit/>
                    <Field label="Name" name="name" id=name_id.clone() value=store_name error=update_error/>
                    <Field label="Currency" name="currency" id=currency_id.clone() value=store_currency error=update_error/>
                    <TeamSelect id=team_select_id options=teams selected=store_team error=update_error/>
                    <Submit label="Save" busy_label="Saving…" pending=update.pending().into() until_hydrated=true/>
                </ActionForm>
            </details>
            <details class="confirm">
                <summary class="btn btn-small btn-danger-outline" data-testid="store-delete">"Delete…"</summary>
                <ActionForm action=delete attr:class="confirm-form">
                    <ErrorBanner error=delete_error/>
                    <input type="hidden" name="id" value=id_delete/>
                    <p>{delete_message}</p>
                    <Submit label="Delete store" busy_label="Deleting…" pending=delete.pending().into() class="btn btn-danger btn-small" testid="confirm-delete" until_hydrated=true/>
                </ActionForm>
            </details>
        </div>
    }
    .into_any()
}
