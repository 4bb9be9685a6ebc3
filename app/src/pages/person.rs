//! `/org/users/:id`: one person's own page. Who they are (name, email, status, team, roles,
//! two-step sign-in, last sign-in), then their spend and the quotas over it when the viewer
//! holds `usage.read` where they belong, or it is the viewer themself. Changing the person
//! happens on `/org/users`.

use crate::api::users::person_page;
use crate::components::format::time_to_minute;
use crate::components::notice::ErrorNotice;
use crate::components::spend::EntityUsage;
use crate::domain::users::PersonDetail as PersonData;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

#[component]
pub fn PersonPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").unwrap_or_default();
    let data = Resource::new(id, person_page);
    view! {
        <Suspense fallback=|| view! { <div class="page-loading" role="status">"Loading…"</div> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(d) => view! { <PersonBody d/> }.into_any(),
                    Err(error) => view! { <Title text="Person"/><ErrorNotice error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn PersonBody(d: PersonData) -> impl IntoView {
    let u = d.user;
    let status = match u.status.as_str() {
        "invited" => "Invited, has not signed in yet",
        "suspended" => "Suspended: cannot sign in",
        _ => "Active",
    };
    let team = match (&u.team_id, &u.team_name) {
        (Some(id), Some(name)) => view! { <a href=format!("/org/teams/{id}")>{name.clone()}</a> }.into_any(),
        _ => view! { <span class="muted">"No team"</span> }.into_any(),
    };
    let roles = if u.roles.is_empty() {
        "No role".to_string()
    } else {
        u.roles.iter().map(|r| r.label()).collect::<Vec<_>>().join(", ")
    };
    let whose = if d.is_self { "you".to_string() } else { u.display_name.clone() };
    view! {
        <Title text=u.display_name.clone()/>
        <nav class="breadcrumb" aria-label="Breadcrumb">
            <a href="/org/users">"People"</a>
            <span aria-hidden="true">" / "</span>
            <span aria-current="page">{u.display_name.clone()}</span>
        </nav>
        <div class="page-header">
            <h1 data-testid="person-name">{u.display_name.clone()}</h1>
            <p class="muted">{u.email.clone()}</p>
        </div>
        <section class="card" aria-labelledby="person-about">
            <h2 id="person-about" class="sr-only">"About"</h2>
            <dl class="facts" data-testid="person-facts">
                <dt>"Status"</dt><dd>{status}</dd>
                <dt>"Team"</dt><dd>{team}</dd>
                <dt>"Roles"</dt><dd>{roles}</dd>
                <dt>"Two-step sign-in"</dt><dd>{if u.mfa_enabled { "On" } else { "Off" }}</dd>
                <dt>"Last signed in"</dt><dd>{u.last_login_at.as_deref().map(time_to_minute).unwrap_or_else(|| "Never".into())}</dd>
            </dl>
        </section>
        {d.can_read_usage.then(|| view! { <EntityUsage entity_type="user" entity_id=u.id.clone() whose/> })}
    }
    .into_any()
}
