//! `/org/teams/:id`: one team's own page. Where it sits in the tree (the teams above it,
//! each a link), its sub-teams and its people, then its spend and the quotas over it when
//! the viewer holds `usage.read` there. Changing the team happens on `/org/teams`.

use crate::api::teams::team_page;
use crate::components::notice::ErrorNotice;
use crate::components::spend::EntityUsage;
use crate::domain::teams::TeamDetail as TeamData;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

#[component]
pub fn TeamPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").unwrap_or_default();
    let data = Resource::new(id, team_page);
    view! {
        <Suspense fallback=|| view! { <div class="page-loading" role="status">"Loading the team…"</div> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(d) => view! { <TeamBody d/> }.into_any(),
                    Err(error) => view! { <Title text="Team"/><ErrorNotice error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

fn people(n: u64) -> String {
    if n == 1 {
        "1 person".into()
    } else {
        format!("{n} people")
    }
}

#[component]
fn TeamBody(d: TeamData) -> impl IntoView {
    let t = d.team.clone();
    let trail = d
        .ancestors
        .iter()
        .map(|a| view! { <a href=format!("/org/teams/{}", a.id)>{a.name.clone()}</a><span aria-hidden="true">" / "</span> })
        .collect_view();
    let place = if d.ancestors.is_empty() {
        "A top-level team".to_string()
    } else {
        format!("Part of {}", d.ancestors.last().map(|a| a.name.clone()).unwrap_or_default())
    };
    let subs = if d.sub_teams.is_empty() {
        view! { <p class="muted">"No sub-teams."</p> }.into_any()
    } else {
        let items = d
            .sub_teams
            .iter()
            .map(|s| {
                view! {
                    <li>
                        <a href=format!("/org/teams/{}", s.id)>{s.name.clone()}</a>
                        <span class="muted">{format!(" \u{2014} {}", people(s.member_count))}</span>
                    </li>
                }
            })
            .collect_view();
        view! { <ul class="plain-list" data-testid="team-sub-teams">{items}</ul> }.into_any()
    };
    let members = if d.members.is_empty() {
        view! { <p class="muted">"Nobody has this as their team yet. People are placed in a team on the People page."</p> }
            .into_any()
    } else {
        let rows = d
            .members
            .iter()
            .map(|m| {
                let status = match m.status.as_str() {
                    "invited" => "Invited",
                    "suspended" => "Suspended",
                    _ => "Active",
                };
                view! {
                    <tr>
                        <th scope="row"><a href=format!("/org/users/{}", m.id)>{m.display_name.clone()}</a></th>
                        <td>{m.email.clone()}</td>
                        <td>{status}</td>
                    </tr>
                }
            })
            .collect_view();
        view! {
            <table class="table table-compact" data-testid="team-members">
                <thead><tr><th scope="col">"Name"</th><th scope="col">"Email"</th><th scope="col">"Status"</th></tr></thead>
                <tbody>{rows}</tbody>
            </table>
        }
        .into_any()
    };
    view! {
        <Title text=format!("Team {}", t.name)/>
        <nav class="breadcrumb" aria-label="Breadcrumb">
            <a href="/org/teams">"Teams"</a>
            <span aria-hidden="true">" / "</span>
            {trail}
            <span aria-current="page">{t.name.clone()}</span>
        </nav>
        <div class="page-header">
            <h1 data-testid="team-name">{t.name.clone()}</h1>
            <p class="muted">{format!("{place}. {} in this team, {} directly below it.", people(t.member_count), match t.sub_team_count {
                1 => "1 sub-team".to_string(),
                n => format!("{n} sub-teams"),
            })}
            {t.can_manage.then(|| view! { " " <a href="/org/teams">"Rename, move or delete on the Teams page"</a> })}</p>
        </div>
        <div class="usage-grid">
            <section class="card" aria-labelledby="team-people-title">
                <h2 id="team-people-title">"People"</h2>
                {members}
            </section>
            <section class="card" aria-labelledby="team-subs-title">
                <h2 id="team-subs-title">"Sub-teams"</h2>
                {subs}
            </section>
        </div>
        {d.can_read_usage.then(|| view! { <EntityUsage entity_type="team" entity_id=t.id.clone() whose="this team and everything below it".to_string()/> })}
        <super::preferences::PreferencesSection entity_type="team" entity_id=t.id.clone()/>
    }
    .into_any()
}
