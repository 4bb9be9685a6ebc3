//! `/org/teams`: the org's team tree with member counts; for those holding `teams.manage`
//! (at the org or at a team), forms to create, rename, move and delete teams. The server
//! decides every change; the page only hides what the viewer cannot do.

use crate::api::teams::{list_teams, CreateTeam, DeleteTeam, MoveTeam, RenameTeam, TOP_LEVEL};
use crate::components::form::{action_error, field_message, ActionError, ErrorBanner, Field, SelectField, Submit};
use crate::components::notice::{ChangeNotice, ErrorNotice};
use crate::components::page_data::Reloaded;
use crate::domain::access::OrgTree;
use crate::domain::teams::{team_path, TeamList, TeamView};
use leptos::prelude::*;
use leptos_meta::Title;

/// Shared by the page's parts: the latest tree, reloaded after each change.
type TeamsCtx = Reloaded<TeamList>;

#[component]
pub fn TeamsPage() -> impl IntoView {
    let teams = Resource::new(|| (), |_| list_teams());
    view! {
        <Title text="Teams"/>
        <div class="page-header">
            <h1>"Teams"</h1>
            <p class="muted">
                "Teams group people, and roles given at a team apply to its sub-teams and their stores."
            </p>
        </div>
        <Suspense fallback=|| view! { <div class="page-loading" role="status">"Loading teams…"</div> }>
            {move || Suspend::new(async move {
                match teams.await {
                    Ok(list) => view! { <TeamsBody list/> }.into_any(),
                    Err(error) => view! { <ErrorNotice error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// The teams a team may be moved under (or its people moved to): those the viewer manages,
/// outside the team's own subtree.
fn destinations(all: &[TeamView], team_id: &str) -> Vec<(String, String)> {
    let tree = OrgTree {
        team_parent: all.iter().map(|t| (t.id.clone(), t.parent_team_id.clone())).collect(),
        ..Default::default()
    };
    let inside = tree.descendants(team_id);
    let mut out: Vec<(String, String)> = all
        .iter()
        .filter(|t| t.can_manage && t.id != team_id && !inside.contains(&t.id))
        .map(|t| (t.id.clone(), team_path(all, &t.id)))
        .collect();
    out.sort_by_key(|o| o.1.to_lowercase());
    out
}

/// The page after the first load: later changes reload the data in place, so rows keep
/// their state unless their own team changed.
#[component]
fn TeamsBody(list: TeamList) -> impl IntoView {
    let ctx = TeamsCtx::new(list, Action::new(|_: &()| list_teams()), |_| ());
    provide_context(ctx);
    let (data, notice) = (ctx.data, ctx.notice);
    let can_create = move || data.with(|l| l.can_create_top_level || l.teams.iter().any(|t| t.can_manage));
    let empty = move || data.with(|l| l.teams.is_empty());
    view! {
        <ChangeNotice notice testid="teams-notice"/>
        <Show when=can_create>
            <CreateTeamForm/>
        </Show>
        <section class="card" aria-labelledby="team-tree-title">
            <h2 id="team-tree-title">"Team tree"</h2>
            <Show when=empty>
                <p class="muted" data-testid="teams-empty">"No teams yet."</p>
            </Show>
            <ul class="team-tree" data-testid="team-tree">
                {team_nodes(None)}
            </ul>
        </section>
    }
    .into_any()
}

/// What identifies a row's content: when any of it changes, the row is drawn afresh.
type RowKey = (String, String, Option<String>, u64, u64, bool);

fn row_key(t: &TeamView) -> RowKey {
    (t.id.clone(), t.name.clone(), t.parent_team_id.clone(), t.member_count, t.sub_team_count, t.can_manage)
}

/// The teams under `parent` (None: top level), sorted by name, each with its own subtree.
fn team_nodes(parent: Option<String>) -> AnyView {
    let ctx = expect_context::<TeamsCtx>();
    let children = move || {
        ctx.data.with(|l| {
            let known: std::collections::HashSet<&str> = l.teams.iter().map(|t| t.id.as_str()).collect();
            let mut out: Vec<TeamView> = l
                .teams
                .iter()
                .filter(|t| match &parent {
                    Some(p) => t.parent_team_id.as_deref() == Some(p.as_str()),
                    // Teams whose parent is not in the list show at the top, never nowhere.
                    None => t.parent_team_id.as_deref().is_none_or(|p| !known.contains(p)),
                })
                .cloned()
                .collect();
            out.sort_by_key(|t| t.name.to_lowercase());
            out
        })
    };
    view! { <For each=children key=row_key children=|team| view! { <TeamNode team/> }/> }.into_any()
}

fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

#[component]
fn TeamNode(team: TeamView) -> impl IntoView {
    let members = plural(team.member_count, "member", "members");
    let subs = plural(team.sub_team_count, "sub-team", "sub-teams");
    let controls = team.can_manage.then(|| view! { <TeamControls team=team.clone()/> });
    let children = (team.sub_team_count > 0)
        .then(|| view! { <ul class="team-tree-children">{team_nodes(Some(team.id.clone()))}</ul> });
    view! {
        <li class="team-node" data-testid="team-node" data-team-id=team.id.clone() data-team-name=team.name.clone()>
            <div class="team-row" data-testid="team-row">
                <a class="team-name" data-testid="team-name" href=format!("/org/teams/{}", team.id)>{team.name.clone()}</a>
                <span class="badge badge-muted" data-testid="team-members">{members}</span>
                {(team.sub_team_count > 0).then(|| view! { <span class="muted team-subs">{subs}</span> })}
                {controls}
            </div>
            {children}
        </li>
    }
    .into_any()
}

/// A labelled select for per-team forms (ids made unique with the team id).
#[component]
fn Select(
    id: String,
    label: String,
    name: &'static str,
    #[prop(into)] options: Signal<Vec<(String, String)>>,
    #[prop(optional)] selected: Option<String>,
    #[prop(optional)] placeholder: Option<&'static str>,
    error: ActionError,
) -> impl IntoView {
    view! {
        <SelectField
            id
            label
            name
            options
            selected
            placeholder
            required=placeholder.is_some()
            error=field_message(error, name)
        />
    }
}

#[component]
fn CreateTeamForm() -> impl IntoView {
    let ctx = expect_context::<TeamsCtx>();
    let create = ServerAction::<CreateTeam>::new();
    let error = action_error(create.value());
    let form = NodeRef::<leptos::html::Form>::new();
    Effect::new(move |_| {
        if let Some(Ok(t)) = create.value().get() {
            if let Some(f) = form.get_untracked() {
                f.reset();
            }
            ctx.done(format!("Team \"{}\" created.", t.name));
        }
    });
    let parents = move || {
        ctx.data.with(|l| {
            let mut parents: Vec<(String, String)> =
                l.teams.iter().filter(|t| t.can_manage).map(|t| (t.id.clone(), team_path(&l.teams, &t.id))).collect();
            parents.sort_by_key(|p| p.1.to_lowercase());
            if l.can_create_top_level {
                parents.insert(0, (String::new(), "None (a top-level team)".into()));
            }
            parents
        })
    };
    view! {
        <section class="card" aria-labelledby="new-team-title">
            <h2 id="new-team-title">"New team"</h2>
            <ActionForm action=create node_ref=form attr:class="form form-columns" attr:data-testid="create-team-form">
                <ErrorBanner error/>
                <Field label="Name" name="name" error hint="Up to 200 characters, unique among its sibling teams."/>
                <SelectField
                    id="new-team-parent"
                    label="Inside"
                    name="parent_team_id"
                    options=Signal::derive(parents)
                    error=field_message(error, "parent_team_id")
                />
                <Submit label="Create team" busy_label="Creating…" pending=create.pending().into()/>
            </ActionForm>
        </section>
    }
}

#[component]
fn TeamControls(team: TeamView) -> impl IntoView {
    let ctx = expect_context::<TeamsCtx>();
    let rename = ServerAction::<RenameTeam>::new();
    let mover = ServerAction::<MoveTeam>::new();
    let delete = ServerAction::<DeleteTeam>::new();
    let rename_error = action_error(rename.value());
    let move_error = action_error(mover.value());
    let delete_error = action_error(delete.value());
    ctx.on_success(rename.value(), |t: &TeamView| format!("Team renamed to \"{}\".", t.name));
    ctx.on_success(mover.value(), |t: &TeamView| format!("Team \"{}\" moved.", t.name));
    let deleted_name = team.name.clone();
    ctx.on_success(delete.value(), move |_: &()| format!("Team \"{deleted_name}\" deleted."));

    let id = team.id.clone();
    // Where the team could go, recomputed whenever the tree changes.
    let (team_id, current_parent) = (team.id.clone(), team.parent_team_id.clone());
    let places = Signal::derive(move || {
        ctx.data.with(|l| {
            let mut places = destinations(&l.teams, &team_id);
            if let Some(p) = &current_parent {
                if !places.iter().any(|(id, _)| id == p) {
                    places.insert(0, (p.clone(), format!("{} (current)", team_path(&l.teams, p))));
                }
            }
            if l.can_create_top_level || current_parent.is_none() {
                places.insert(0, (String::new(), "Top level".into()));
            }
            places
        })
    });
    let team_id = team.id.clone();
    let reassign = Signal::derive(move || {
        ctx.data.with(|l| {
            let mut out = destinations(&l.teams, &team_id);
            if l.can_create_top_level {
                out.insert(0, (TOP_LEVEL.to_string(), "The top level".into()));
            }
            out
        })
    });
    let not_empty = team.member_count > 0 || team.sub_team_count > 0;
    let (id_rename, id_move, id_delete) = (id.clone(), id.clone(), id.clone());
    let (move_select, reassign_select) = (format!("move-{id}"), format!("reassign-{id}"));
    let name_id = format!("rename-{id}");
    let name_err = format!("{name_id}-error");
    let rename_message = move || rename_error.get().and_then(|e| e.field("name").map(str::to_string));
    view! {
        <details class="team-actions">
            <summary class="btn btn-small" data-testid="team-edit">{format!("Edit \u{201c}{}\u{201d}", team.name)}</summary>
            <div class="team-actions-body">
                <ActionForm action=rename attr:class="form form-columns" attr:data-testid="rename-team-form">
                    <ErrorBanner error=rename_error/>
                    <input type="hidden" name="id" value=id_rename/>
                    <div class="field" class:field-invalid=move || rename_message().is_some()>
                        <label for=name_id.clone()>"New name"</label>
                        <input
                            id=name_id.clone()
                            name="name"
                            type="text"
                            required=true
                            value=team.name.clone()
                            aria-invalid=move || rename_message().is_some().to_string()
                        />
                        {move || rename_message().map(|m| view! { <p class="field-error" id=name_err.clone() role="alert">{m}</p> })}
                    </div>
                    <Submit label="Rename" busy_label="Renaming…" pending=rename.pending().into()/>
                </ActionForm>
                <ActionForm action=mover attr:class="form form-columns" attr:data-testid="move-team-form">
                    <ErrorBanner error=move_error/>
                    <input type="hidden" name="id" value=id_move/>
                    <Select
                        id=move_select
                        label="Move inside".into()
                        name="parent_team_id"
                        options=places
                        selected=team.parent_team_id.clone().unwrap_or_default()
                        error=move_error
                    />
                    <Submit label="Move" busy_label="Moving…" pending=mover.pending().into()/>
                </ActionForm>
                <ActionForm action=delete attr:class="form form-columns" attr:data-testid="delete-team-form">
                    <ErrorBanner error=delete_error/>
                    <input type="hidden" name="id" value=id_delete/>
                    {if not_empty {
                        view! {
                            <Select
                                id=reassign_select.clone()
                                label="Move its people and sub-teams to".into()
                                name="reassign_to"
                                options=reassign
                                placeholder="Choose where…"
                                error=delete_error
                            />
                        }
                            .into_any()
                    } else {
                        view! { <p class="muted">"This team is empty."</p> }.into_any()
                    }}
                    <button type="submit" class="btn btn-danger" disabled=move || delete.pending().get() data-testid="delete-team">
                        {if not_empty { "Delete and move them" } else { "Delete team" }}
                    </button>
                </ActionForm>
            </div>
        </details>
    }
    .into_any()
}
