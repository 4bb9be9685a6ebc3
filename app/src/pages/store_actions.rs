//! `/stores/:id/actions`: the store's settings page (seed 001). Every catalog action by
//! category with its description, risk, enabled and confirmation switches that save at once,
//! where each value comes from, and its limits; the kill switch's state at the top; and the
//! Try it panel beside it. Anyone who may see the store sees the page; only those with
//! `permissions.manage` at the store can change it (the server decides; the page disables
//! what the viewer cannot do).

use crate::api::check::catalog_list;
use crate::api::permissions::permissions_list;
use crate::components::action_settings::{ActionGroups, Place, SettingsCtx};
use crate::components::notice::ErrorNotice;
use crate::components::try_it::TryItPanel;
use crate::domain::action_settings::StorePermissions;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

#[component]
pub fn StoreActionsPage() -> impl IntoView {
    let params = use_params_map();
    let store_id = move || params.read().get("id").unwrap_or_default();
    // One resource per server function (see the roles page).
    let data = Resource::new(store_id, permissions_list);
    let catalog = Resource::new(|| (), |_| catalog_list());
    view! {
        <Suspense fallback=|| view! { <div class="page-loading" role="status">"Loading the store's actions…"</div> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(p) => view! { <StoreActions p catalog/> }.into_any(),
                    Err(error) => view! {
                        <Title text="Actions"/>
                        <div class="page-header"><h1>"Actions"</h1></div>
                        <ErrorNotice error/>
                    }
                        .into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn StoreActions(
    p: StorePermissions,
    catalog: Resource<Result<Vec<crate::domain::catalog::ActionDef>, crate::domain::AppError>>,
) -> impl IntoView {
    let store = p.store.clone();
    let store_id = store.id.clone();
    let data = RwSignal::new(p.actions.clone());
    let reload = {
        let id = store_id.clone();
        Action::new(move |_: &()| {
            let id = id.clone();
            async move { permissions_list(id).await.map(|p| p.actions) }
        })
    };
    Effect::new(move |_| {
        if let Some(Ok(actions)) = reload.value().get() {
            data.set(actions);
        }
    });
    let place =
        Place::Store { id: store.id.clone(), currency: store.currency.clone(), assistants: p.assistants.clone() };
    provide_context(SettingsCtx { place: StoredValue::new(place), can_manage: p.can_manage, data, reload });
    let enabled_count = move || data.with(|d| d.iter().filter(|a| a.enabled).count());
    let confirm_count = move || data.with(|d| d.iter().filter(|a| a.enabled && a.requires_confirmation).count());
    let total = p.actions.len();
    let categories: Vec<(String, String)> = crate::components::action_settings::by_category(&p.actions)
        .into_iter()
        .map(|(c, _)| (c.clone(), crate::components::action_settings::category_title(&c)))
        .collect();
    let assistants = p.assistants.clone();
    let try_store = store_id.clone();
    view! {
        <Title text=format!("Actions · {}", store.name)/>
        <nav class="breadcrumb" aria-label="Breadcrumb">
            <a href="/stores">"Stores"</a>
            <span aria-hidden="true">" / "</span>
            <span>{store.name.clone()}</span>
        </nav>
        <div class="page-header store-actions-header">
            <div>
                <h1>"Actions"</h1>
                <p class="lead">
                    {format!("What AI assistants and automations may do for {}, and when someone must confirm first.", store.name)}
                </p>
                <p class="store-facts">
                    <span class="badge" title="Currency">{store.currency.clone()}</span>
                    <span class="badge badge-muted" title="Platform">{store.platform.clone()}</span>
                    <span class="muted" data-testid="actions-summary">
                        {move || format!("{} of {total} actions on · {} ask for confirmation", enabled_count(), confirm_count())}
                    </span>
                    <a href=format!("/stores/{}/assistants", store.id)>"Assistants and their allowed actions"</a>
                </p>
            </div>
        </div>
        {store.actions_paused.then(|| view! {
            <div class="banner banner-paused" role="alert" data-testid="paused-banner">
                <strong>"Actions paused."</strong>
                " The kill switch is on: every action for this store is refused (STORE_PAUSED), whatever the settings below say. Turn it off on the "
                <a href="/stores">"Stores"</a>
                " page."
            </div>
        })}
        {(!p.can_manage).then(|| view! {
            <div class="banner banner-info" role="note" data-testid="read-only-notice">
                "You can see these settings but not change them (that needs the permissions.manage permission for this store). Try it still works."
            </div>
        })}
        <nav class="category-nav" aria-label="Action categories">
            {categories.into_iter().map(|(c, t)| view! { <a href=format!("#group-{c}")>{t}</a> }).collect_view()}
            <a href="#try-it" class="category-nav-try">"Try it"</a>
        </nav>
        <div class="actions-layout">
            <div class="actions-main">
                <ActionGroups actions=p.actions.clone()/>
            </div>
            <aside class="actions-side" aria-label="Try it">
                <Suspense fallback=|| view! { <div class="card page-loading" role="status">"Loading Try it…"</div> }>
                    {
                        let (try_store, assistants) = (try_store.clone(), assistants.clone());
                        move || {
                            let (store_id, assistants) = (try_store.clone(), assistants.clone());
                            Suspend::new(async move {
                                match catalog.await {
                                    Ok(actions) => view! { <TryItPanel store_id assistants actions/> }.into_any(),
                                    Err(error) => view! { <ErrorNotice error/> }.into_any(),
                                }
                            })
                        }
                    }
                </Suspense>
            </aside>
        </div>
    }
    .into_any()
}
