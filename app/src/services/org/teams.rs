//! Teams: the org's tree (`parent_team_id`). List, create, rename, move (never into a
//! cycle), delete (only when empty, or moving its people and sub-teams elsewhere).
//!
//! Permission: `teams.manage` at the team (`ScopeRef::Team(id)`), so an admin assigned at
//! a team manages its whole subtree; creating or moving a team also needs it where the
//! team lands (the parent team, or the org for top level). Seeing the tree needs any role.
//! Writes lock the org's audit chain head first, so concurrent moves are serialised on
//! PostgreSQL too and the cycle check reads the tree it changes.

use crate::domain::access::{Need, OrgTree, ScopeRef};
use crate::domain::error::{FieldError, Validator};
use crate::domain::permission::Permission;
use crate::domain::teams::{check_team_name, same_team_name, TeamDetail, TeamList, TeamMember, TeamView};
use crate::domain::AppError;
use crate::entities::{api_key, team, user};
use crate::services::access::assignments::end_assignments_at;
use crate::services::access::authz::can_in_tree;
use crate::services::access::authz::{authorize, authorize_somewhere};
use crate::services::access::lookup::find_team;
use crate::services::audit::{self, lock_org, NewEvent};
use crate::services::infra::db::{begin_write, new_id, now, WriteConn};
use crate::services::Actor;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect, Set,
};
use serde_json::{json, Value};
use std::collections::HashMap;

/// `{name, parent_team_id?}`: the body of `POST /api/v1/teams` (unknown fields refused).
#[derive(Clone, Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewTeam {
    pub name: String,
    #[serde(default)]
    pub parent_team_id: Option<String>,
}

/// What to change; absent fields stay. `parent_team_id: Some(None)` moves to top level.
/// The body of `PATCH /api/v1/teams/{id}` (unknown fields refused).
#[derive(Clone, Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TeamPatch {
    #[serde(default)]
    pub name: Option<String>,
    /// `null` moves the team to the top level; leaving it out keeps the parent.
    #[serde(default, deserialize_with = "crate::domain::patch::present")]
    pub parent_team_id: Option<Option<String>>,
}

/// Where a deleted team's people and sub-teams go: None refuses to delete a team that is
/// not empty; `Some(None)` is the top level; `Some(Some(id))` another team.
pub type Reassign = Option<Option<String>>;

use crate::services::infra::db::rfc3339 as time;

/// The team's fields in audit events.
fn snapshot(t: &team::Model) -> Value {
    json!({"id": t.id, "name": t.name, "parent_team_id": t.parent_team_id})
}

fn scope_for_parent(parent: Option<&str>) -> ScopeRef {
    match parent {
        Some(p) => ScopeRef::Team(p.to_string()),
        None => ScopeRef::Org,
    }
}

fn field_error(code: AppError, field: &str) -> AppError {
    let message = code.message.clone();
    AppError { fields: vec![FieldError { field: field.to_string(), message }], ..code }
}

async fn org_teams<C: ConnectionTrait>(conn: &C, org_id: &str) -> Result<Vec<team::Model>, AppError> {
    team::Entity::find().filter(team::Column::OrgId.eq(org_id)).all(conn).await.map_err(AppError::from)
}

fn tree_of(teams: &[team::Model]) -> OrgTree {
    OrgTree {
        team_parent: teams.iter().map(|t| (t.id.clone(), t.parent_team_id.clone())).collect(),
        ..Default::default()
    }
}

/// Members per team (`users.team_id`).
async fn member_counts<C: ConnectionTrait>(conn: &C, org_id: &str) -> Result<HashMap<String, u64>, AppError> {
    let rows: Vec<Option<String>> = user::Entity::find()
        .select_only()
        .column(user::Column::TeamId)
        .filter(user::Column::OrgId.eq(org_id))
        .filter(user::Column::TeamId.is_not_null())
        .into_tuple()
        .all(conn)
        .await?;
    let mut out = HashMap::new();
    for id in rows.into_iter().flatten() {
        *out.entry(id).or_insert(0) += 1;
    }
    Ok(out)
}

/// Refuses a name that a sibling under `parent` already has (other than `except`).
fn check_sibling_names(
    teams: &[team::Model],
    parent: Option<&str>,
    name: &str,
    except: Option<&str>,
) -> Result<(), AppError> {
    let clash = teams.iter().any(|t| {
        t.parent_team_id.as_deref() == parent && Some(t.id.as_str()) != except && same_team_name(&t.name, name)
    });
    if clash {
        let place = match parent.and_then(|p| teams.iter().find(|t| t.id == p)) {
            Some(p) => format!("in \"{}\"", p.name),
            None => "at the top level".to_string(),
        };
        Err(field_error(
            AppError::conflict(format!("A team named \"{}\" already exists {place}.", name.trim())),
            "name",
        ))
    } else {
        Ok(())
    }
}

fn view(
    t: &team::Model,
    teams: &[team::Model],
    tree: &OrgTree,
    members: &HashMap<String, u64>,
    actor: &Actor,
) -> TeamView {
    TeamView {
        id: t.id.clone(),
        name: t.name.clone(),
        parent_team_id: t.parent_team_id.clone(),
        member_count: members.get(&t.id).copied().unwrap_or(0),
        sub_team_count: teams.iter().filter(|c| c.parent_team_id.as_deref() == Some(t.id.as_str())).count() as u64,
        // The same rule as `authorize`, over the tree as it is now (it may have just changed).
        can_manage: can_in_tree(actor, Permission::TeamsManage, tree, &ScopeRef::Team(t.id.clone())),
        created_at: time(&t.created_at),
        updated_at: time(&t.updated_at),
    }
}

async fn load_view<C: ConnectionTrait>(conn: &C, actor: &Actor, id: &str) -> Result<TeamView, AppError> {
    let teams = org_teams(conn, &actor.org_id).await?;
    let members = member_counts(conn, &actor.org_id).await?;
    let tree = tree_of(&teams);
    let t = teams.iter().find(|t| t.id == id).ok_or_else(|| AppError::not_found("Team"))?;
    Ok(view(t, &teams, &tree, &members, actor))
}

/// The org's teams, ordered by id (creation order), `limit` at a time after `cursor`
/// (None: all of them, for the tree page). Anyone with a role in the org may see the tree.
pub async fn list(
    db: &DatabaseConnection,
    actor: &Actor,
    cursor: Option<&str>,
    limit: Option<u64>,
) -> Result<TeamList, AppError> {
    authorize_somewhere(actor, Need::View)?;
    let mut teams = org_teams(db, &actor.org_id).await?;
    teams.sort_by(|a, b| a.id.cmp(&b.id));
    let members = member_counts(db, &actor.org_id).await?;
    let tree = tree_of(&teams);
    let after: Vec<&team::Model> = teams.iter().filter(|t| cursor.is_none_or(|c| t.id.as_str() > c)).collect();
    let (page, next_cursor) = match limit {
        Some(n) if (after.len() as u64) > n => {
            let page: Vec<&team::Model> = after.into_iter().take(n as usize).collect();
            let next = page.last().map(|t| t.id.clone());
            (page, next)
        }
        _ => (after, None),
    };
    Ok(TeamList {
        teams: page.into_iter().map(|t| view(t, &teams, &tree, &members, actor)).collect(),
        can_create_top_level: crate::services::access::authz::can(actor, Permission::TeamsManage, &ScopeRef::Org),
        next_cursor,
    })
}

/// One team.
pub async fn get(db: &DatabaseConnection, actor: &Actor, id: &str) -> Result<TeamView, AppError> {
    find_team(db, &actor.org_id, id).await?;
    authorize_somewhere(actor, Need::View)?;
    load_view(db, actor, id).await
}

/// A team's own page: the team, the teams above it, its sub-teams and its people (any role
/// in the org may see them, as the tree), and whether the viewer may read its spend.
pub async fn page(db: &DatabaseConnection, actor: &Actor, id: &str) -> Result<TeamDetail, AppError> {
    use sea_orm::QueryOrder;
    find_team(db, &actor.org_id, id).await?;
    authorize_somewhere(actor, Need::View)?;
    let teams = org_teams(db, &actor.org_id).await?;
    let members = member_counts(db, &actor.org_id).await?;
    let tree = tree_of(&teams);
    let view_of = |t: &team::Model| view(t, &teams, &tree, &members, actor);
    let t = teams.iter().find(|t| t.id == id).ok_or_else(|| AppError::not_found("Team"))?;
    let mut ancestors = Vec::new();
    let mut up = t.parent_team_id.clone();
    while let Some(p) = up.and_then(|p| teams.iter().find(|x| x.id == p)) {
        if ancestors.len() > teams.len() {
            break;
        }
        ancestors.push(view_of(p));
        up = p.parent_team_id.clone();
    }
    ancestors.reverse();
    let mut sub_teams: Vec<TeamView> =
        teams.iter().filter(|c| c.parent_team_id.as_deref() == Some(id)).map(view_of).collect();
    sub_teams.sort_by_key(|c| c.name.to_lowercase());
    let people = user::Entity::find()
        .filter(user::Column::OrgId.eq(&actor.org_id))
        .filter(user::Column::TeamId.eq(id))
        .order_by_asc(user::Column::DisplayName)
        .all(db)
        .await?;
    Ok(TeamDetail {
        team: view_of(t),
        ancestors,
        sub_teams,
        members: people
            .into_iter()
            .map(|u| TeamMember { id: u.id, display_name: u.display_name, email: u.email, status: u.status })
            .collect(),
        can_read_usage: can_in_tree(actor, Permission::UsageRead, &tree, &ScopeRef::Team(id.to_string())),
    })
}

fn validate_name(name: &str) -> Result<(), AppError> {
    Validator::new().add("name", check_team_name(name)).finish()
}

/// Normalises an optional team id from a form or JSON: blank means none.
fn blank_to_none(id: Option<String>) -> Option<String> {
    id.map(|s| s.trim().to_string()).filter(|s| !s.is_empty())
}

/// Creates a team at the top level (`teams.manage` at the org) or under a parent
/// (`teams.manage` at the parent).
pub async fn create(db: &impl WriteConn, actor: &Actor, input: NewTeam) -> Result<TeamView, AppError> {
    let parent = blank_to_none(input.parent_team_id);
    if let Some(p) = &parent {
        find_team(db, &actor.org_id, p).await.map_err(|e| field_error(e, "parent_team_id"))?;
    }
    authorize(actor, Permission::TeamsManage, &scope_for_parent(parent.as_deref()))?;
    validate_name(&input.name)?;

    let tx = begin_write(db).await?;
    lock_org(&tx, &actor.org_id).await?;
    let teams = org_teams(&tx, &actor.org_id).await?;
    if let Some(p) = &parent {
        if !teams.iter().any(|t| &t.id == p) {
            return Err(field_error(AppError::not_found("Parent team"), "parent_team_id"));
        }
    }
    check_sibling_names(&teams, parent.as_deref(), &input.name, None)?;
    let at = now();
    let created = team::ActiveModel {
        id: Set(new_id()),
        org_id: Set(actor.org_id.clone()),
        name: Set(input.name.trim().to_string()),
        parent_team_id: Set(parent),
        created_at: Set(at),
        updated_at: Set(at),
    }
    .insert(&tx)
    .await?;
    audit::append(
        &tx,
        &actor.org_id,
        &actor.audit_actor(),
        &actor.meta,
        NewEvent::new("team.created", "team", Some(&created.id)).after(snapshot(&created)),
    )
    .await?;
    let out = load_view(&tx, actor, &created.id).await?;
    tx.commit().await?;
    Ok(out)
}

/// Renames and/or moves a team. A move needs `teams.manage` at the team and where it lands,
/// and is refused when the new parent is the team itself or one of its sub-teams.
pub async fn update(db: &impl WriteConn, actor: &Actor, id: &str, patch: TeamPatch) -> Result<TeamView, AppError> {
    let current = find_team(db, &actor.org_id, id).await?;
    authorize(actor, Permission::TeamsManage, &ScopeRef::Team(current.id.clone()))?;
    let new_parent = patch.parent_team_id.map(blank_to_none);
    if let Some(Some(p)) = &new_parent {
        find_team(db, &actor.org_id, p).await.map_err(|e| field_error(e, "parent_team_id"))?;
    }
    let moving = new_parent.as_ref().is_some_and(|p| *p != current.parent_team_id);
    if moving {
        if let Some(p) = &new_parent {
            authorize(actor, Permission::TeamsManage, &scope_for_parent(p.as_deref()))?;
        }
    }
    if let Some(name) = &patch.name {
        validate_name(name)?;
    }

    let tx = begin_write(db).await?;
    lock_org(&tx, &actor.org_id).await?;
    let teams = org_teams(&tx, &actor.org_id).await?;
    let before = teams.iter().find(|t| t.id == current.id).cloned().ok_or_else(|| AppError::not_found("Team"))?;
    let parent = match &new_parent {
        Some(p) => p.clone(),
        None => before.parent_team_id.clone(),
    };
    let name = patch.name.as_deref().map(str::trim).unwrap_or(&before.name).to_string();
    let renaming = name != before.name;
    let moving = parent != before.parent_team_id;
    if !renaming && !moving {
        let out = load_view(&tx, actor, &before.id).await?;
        tx.commit().await?;
        return Ok(out);
    }
    if moving {
        if let Some(p) = &parent {
            if !teams.iter().any(|t| &t.id == p) {
                return Err(field_error(AppError::not_found("Parent team"), "parent_team_id"));
            }
        }
        if tree_of(&teams).would_cycle(&before.id, parent.as_deref()) {
            let target = parent
                .as_deref()
                .and_then(|p| teams.iter().find(|t| t.id == p))
                .map(|t| t.name.clone())
                .unwrap_or_default();
            let message = if parent.as_deref() == Some(before.id.as_str()) {
                format!("\"{}\" can't be its own parent.", before.name)
            } else {
                format!(
                    "\"{}\" can't move under \"{target}\": \"{target}\" is inside \"{}\", so the tree would loop. Move \"{target}\" out first, or pick another parent.",
                    before.name, before.name
                )
            };
            return Err(AppError::invalid_fields(vec![FieldError { field: "parent_team_id".into(), message }]));
        }
    }
    check_sibling_names(&teams, parent.as_deref(), &name, Some(&before.id))?;

    let mut am: team::ActiveModel = before.clone().into();
    am.name = Set(name.clone());
    am.parent_team_id = Set(parent.clone());
    am.updated_at = Set(now());
    let after = am.update(&tx).await?;
    let by = actor.audit_actor();
    if renaming {
        let mut renamed = before.clone();
        renamed.name = after.name.clone();
        audit::append(
            &tx,
            &actor.org_id,
            &by,
            &actor.meta,
            NewEvent::new("team.updated", "team", Some(&before.id)).before(snapshot(&before)).after(snapshot(&renamed)),
        )
        .await?;
    }
    if moving {
        let mut moved_from = after.clone();
        moved_from.parent_team_id = before.parent_team_id.clone();
        audit::append(
            &tx,
            &actor.org_id,
            &by,
            &actor.meta,
            NewEvent::new("team.moved", "team", Some(&before.id)).before(snapshot(&moved_from)).after(snapshot(&after)),
        )
        .await?;
    }
    let out = load_view(&tx, actor, &before.id).await?;
    tx.commit().await?;
    Ok(out)
}

/// Deletes a team. While it has members, sub-teams or stores this needs `reassign` (where they
/// go, in the same transaction); otherwise it is refused with CONFLICT saying what is in
/// it. Role assignments at the team end with it (each recorded). Refused while an active
/// API key acts at the team.
pub async fn delete(db: &impl WriteConn, actor: &Actor, id: &str, reassign: Reassign) -> Result<(), AppError> {
    let current = find_team(db, &actor.org_id, id).await?;
    authorize(actor, Permission::TeamsManage, &ScopeRef::Team(current.id.clone()))?;
    let reassign = reassign.map(blank_to_none);
    if let Some(dest) = &reassign {
        if let Some(d) = dest {
            find_team(db, &actor.org_id, d).await.map_err(|e| field_error(e, "reassign_to"))?;
        }
        authorize(actor, Permission::TeamsManage, &scope_for_parent(dest.as_deref()))?;
    }

    let tx = begin_write(db).await?;
    lock_org(&tx, &actor.org_id).await?;
    let teams = org_teams(&tx, &actor.org_id).await?;
    let before = teams.iter().find(|t| t.id == current.id).cloned().ok_or_else(|| AppError::not_found("Team"))?;
    let sub_teams: Vec<&team::Model> =
        teams.iter().filter(|t| t.parent_team_id.as_deref() == Some(before.id.as_str())).collect();
    let member_ids: Vec<String> = user::Entity::find()
        .select_only()
        .column(user::Column::Id)
        .filter(user::Column::OrgId.eq(actor.org_id.as_str()))
        .filter(user::Column::TeamId.eq(before.id.as_str()))
        .into_tuple()
        .all(&tx)
        .await?;
    let keys = api_key::Entity::find()
        .filter(api_key::Column::OrgId.eq(actor.org_id.as_str()))
        .filter(api_key::Column::ScopeType.eq("team"))
        .filter(api_key::Column::ScopeId.eq(before.id.as_str()))
        .filter(api_key::Column::RevokedAt.is_null())
        .all(&tx)
        .await?;
    if !keys.is_empty() {
        let names: Vec<String> = keys.iter().map(|k| format!("\"{}\"", k.name)).collect();
        return Err(AppError::conflict(format!(
            "\"{}\" can't be deleted while API keys act at it: {}. Revoke them first.",
            before.name,
            names.join(", ")
        )));
    }
    let store_count = crate::services::stores::count_in_team(&tx, &actor.org_id, &before.id).await?;
    let not_empty = !sub_teams.is_empty() || !member_ids.is_empty() || store_count > 0;
    let dest = match (&reassign, not_empty) {
        (None, true) => {
            let mut parts = Vec::new();
            if !member_ids.is_empty() {
                parts.push(plural(member_ids.len(), "member", "members"));
            }
            if !sub_teams.is_empty() {
                parts.push(plural(sub_teams.len(), "sub-team", "sub-teams"));
            }
            if store_count > 0 {
                parts.push(plural(store_count as usize, "store", "stores"));
            }
            return Err(AppError::conflict(format!(
                "\"{}\" still has {}. Say where they should go (reassign_to: another team, or the top level), or move them first.",
                before.name,
                parts.join(" and ")
            )));
        }
        (Some(dest), _) => dest.clone(),
        (None, false) => None,
    };
    if let Some(d) = &dest {
        if !teams.iter().any(|t| &t.id == d) {
            return Err(field_error(AppError::not_found("Team to move them to"), "reassign_to"));
        }
        if d == &before.id || tree_of(&teams).descendants(&before.id).contains(d) {
            return Err(AppError::invalid_fields(vec![FieldError {
                field: "reassign_to".into(),
                message: format!(
                    "Pick a team outside \"{}\": it and its sub-teams are being deleted or moved.",
                    before.name
                ),
            }]));
        }
    }
    let by = actor.audit_actor();

    // Sub-teams move to the destination; sibling names must stay unique there.
    let mut names_there: Vec<&str> =
        teams.iter().filter(|t| t.parent_team_id == dest && t.id != before.id).map(|t| t.name.as_str()).collect();
    for sub in &sub_teams {
        if names_there.iter().any(|n| same_team_name(n, &sub.name)) {
            return Err(AppError::conflict(format!(
                "The sub-team \"{}\" can't move there: a team with that name is already there. Rename it first, or pick another place.",
                sub.name
            )));
        }
        names_there.push(&sub.name);
    }
    for sub in &sub_teams {
        let mut am: team::ActiveModel = (*sub).clone().into();
        am.parent_team_id = Set(dest.clone());
        am.updated_at = Set(now());
        let moved = am.update(&tx).await?;
        audit::append(
            &tx,
            &actor.org_id,
            &by,
            &actor.meta,
            NewEvent::new("team.moved", "team", Some(&moved.id)).before(snapshot(sub)).after(snapshot(&moved)),
        )
        .await?;
    }
    if !member_ids.is_empty() {
        user::Entity::update_many()
            .col_expr(user::Column::TeamId, Expr::value(dest.clone()))
            .col_expr(user::Column::UpdatedAt, Expr::value(now()))
            .filter(user::Column::OrgId.eq(actor.org_id.as_str()))
            .filter(user::Column::TeamId.eq(before.id.as_str()))
            .exec(&tx)
            .await?;
        audit::append(
            &tx,
            &actor.org_id,
            &by,
            &actor.meta,
            NewEvent::new("team.members_moved", "team", Some(&before.id))
                .before(json!({"team_id": before.id, "user_ids": member_ids}))
                .after(json!({"team_id": dest, "user_ids": member_ids})),
        )
        .await?;
    }
    // Assignments at the team end with it; each is recorded.
    end_assignments_at(&tx, actor, &ScopeRef::Team(before.id.clone()), "team deleted").await?;
    // Its stores move with its people (each recorded, its compiled policy marked stale).
    let store_ids = crate::services::stores::move_team_stores(&tx, actor, &before.id, dest.as_deref()).await?;
    team::Entity::delete_by_id(before.id.clone()).exec(&tx).await?;
    let mut gone = snapshot(&before);
    gone["member_ids"] = json!(member_ids);
    gone["sub_team_ids"] = json!(sub_teams.iter().map(|t| t.id.clone()).collect::<Vec<_>>());
    gone["store_ids"] = json!(store_ids);
    let mut event = NewEvent::new("team.deleted", "team", Some(&before.id)).before(gone);
    if not_empty {
        event = event.after(json!({"reassigned_to": dest}));
    }
    audit::append(&tx, &actor.org_id, &by, &actor.meta, event).await?;
    tx.commit().await?;
    Ok(())
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}
