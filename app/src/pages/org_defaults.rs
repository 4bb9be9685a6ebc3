//! `/org/defaults`: the organisation's default action settings for new stores and its
//! org-wide limits. New stores copy the defaults when they are created (existing stores keep
//! their own settings); org-wide limits apply to every store at once unless a store sets a
//! limit of the same kind. Anyone in the org may look; changing needs `permissions.manage`
//! at the organisation.

use crate::api::permissions::permissions_defaults;
use crate::components::action_settings::{ActionGroups, Place, SettingsCtx};
use crate::components::notice::ErrorNotice;
use crate::domain::action_settings::OrgDefaults;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn OrgDefaultsPage() -> impl IntoView {
    let data = Resource::new(|| (), |_| permissions_defaults());
    view! {
        <Title text="Action defaults"/>
        <div class="page-header">
            <h1>"Action defaults"</h1>
            <p class="lead">"What a new store starts with, and the limits every store shares."</p>
        </div>
        <Suspense fallback=|| view! { <div class="page-loading" role="status">"Loading the defaults…"</div> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(d) => view! { <Defaults d/> }.into_any(),
                    Err(error) => view! { <ErrorNotice error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Defaults(d: OrgDefaults) -> impl IntoView {
    let data = RwSignal::new(d.actions.clone());
    let reload = Action::new(|_: &()| async move { permissions_defaults().await.map(|d| d.actions) });
    Effect::new(move |_| {
        if let Some(Ok(actions)) = reload.value().get() {
            data.set(actions);
        }
    });
    provide_context(SettingsCtx { place: StoredValue::new(Place::Org), can_manage: d.can_manage, data, reload });
    view! {
        <div class="banner banner-info" role="note" data-testid="defaults-explainer">
            <p>
                <strong>"Enabled and confirmation settings apply to stores created from now on."</strong>
                " A new store copies them when it is created; existing stores keep their own settings (change those on each store's Actions page), so editing a default never changes what a running store allows."
            </p>
            <p>
                <strong>"Org-wide limits apply to every store right away."</strong>
                " A store can replace one by setting a limit of the same kind (same action, kind and \u{201c}when exceeded\u{201d}) on its Actions page; limits set for an assistant only add to them."
            </p>
        </div>
        {(!d.can_manage).then(|| view! {
            <div class="banner banner-info" role="note" data-testid="read-only-notice">
                "You can see the defaults but not change them (that needs the permissions.manage permission for the organisation)."
            </div>
        })}
        <ActionGroups actions=d.actions.clone()/>
    }
    .into_any()
}
