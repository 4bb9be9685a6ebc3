//! People in the org: list and search, invite (an emailed, hashed, expiring link), accept an
//! invitation, edit, suspend and reactivate, delete.
//!
//! Permissions: seeing the list needs any role somewhere in the org (a Viewer sees it
//! read-only); every change needs `users.manage` at the org. Giving an invitee a role other
//! than Viewer also needs `roles.manage` where the role applies and every permission of the
//! role there (the assignments service's rule), so nobody hands out more than they hold.
//!
//! Suspending, reactivating or deleting someone also needs every permission that person
//! holds (an Admin cannot switch off an Owner).
//!
//! Rules: emails are unique per org (stored lower-cased); the last active Owner can be
//! neither suspended nor deleted (`guards::is_last_active_owner`); nobody deletes or
//! suspends themselves. Writes take `audit::lock_org` first so the last-Owner check is
//! serialised with assignment changes of the same org, on PostgreSQL too. Tokens are 256 random bits; only their SHA-256 is stored.

use crate::domain::access::{Need, ScopeRef};
use crate::domain::audit::AuditActor;
use crate::domain::error::{ErrorCode, FieldError, Validator};
use crate::domain::org::{check_display_name, check_email, normalize_email};
use crate::domain::password::{check_confirmation, check_password};
use crate::domain::permission::{BuiltInRole, Permission};
use crate::domain::users::{
    decode_user_cursor, encode_user_cursor, invite_email, invite_validity, mfa_reset_email, normalize_search, Choice,
    InviteInfo, RoleHeld, UserFormOptions, UserPage, UserView, TOKEN_INVITE,
};
use crate::domain::AppError;
use crate::entities::{mfa_totp_step, org, recovery_code, role, role_assignment, team, user, user_token};
use crate::services::access::assignments::insert_assignment;
use crate::services::access::authz::{authorize, authorize_somewhere, can};
use crate::services::access::guards::{
    check_outranks, escalation_error, is_last_active_owner, last_owner_error, not_held,
};
use crate::services::access::lookup;
use crate::services::access::roles::role_permissions;
use crate::services::audit::{self, lock_org, NewEvent};
use crate::services::identity::auth::SessionUser;
use crate::services::identity::passwords::hash_password;
use crate::services::identity::session_store::DbSessionStore;
use crate::services::infra::db::{begin_write, is_unique_violation, new_id, now};
use crate::services::{org::outbox, Actor, RequestMeta};
use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, Func, LikeExpr};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::collections::{HashMap, HashSet};

/// The default page size of the people list.
pub const DEFAULT_LIMIT: u64 = 50;
pub const MAX_LIMIT: u64 = 200;

fn time(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn field(field: &str, e: AppError) -> AppError {
    let message = e.message.clone();
    AppError { fields: vec![FieldError { field: field.into(), message }], ..e }
}

/// A user's fields in audit events: never the password hash, tokens or MFA secret.
pub fn snapshot(u: &user::Model) -> Value {
    json!({
        "id": u.id,
        "email": u.email,
        "display_name": u.display_name,
        "status": u.status,
        "team_id": u.team_id,
        "auth_provider": u.auth_provider,
        "mfa_enabled": u.mfa_enabled,
    })
}

// ---- tokens --------------------------------------------------------------------------

/// SHA-256 (hex) of an emailed token: the only form stored.
pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.trim().as_bytes()))
}

fn generate_token() -> String {
    use base64::Engine;
    use rand::RngCore;
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Issues a new token of `kind` for the user, making every earlier unused one of that kind
/// useless (deleted). Returns the token; only its hash is stored.
pub(crate) async fn issue_token<C: ConnectionTrait>(
    conn: &C,
    org_id: &str,
    user_id: &str,
    kind: &str,
    valid_for: Duration,
) -> Result<(String, DateTime<Utc>), AppError> {
    user_token::Entity::delete_many()
        .filter(user_token::Column::UserId.eq(user_id))
        .filter(user_token::Column::Kind.eq(kind))
        .filter(user_token::Column::UsedAt.is_null())
        .exec(conn)
        .await?;
    let token = generate_token();
    let at = now();
    let expires_at = at + valid_for;
    user_token::ActiveModel {
        id: Set(new_id()),
        org_id: Set(org_id.to_string()),
        user_id: Set(user_id.to_string()),
        kind: Set(kind.to_string()),
        token_hash: Set(hash_token(&token)),
        expires_at: Set(expires_at),
        used_at: Set(None),
        created_at: Set(at),
    }
    .insert(conn)
    .await?;
    Ok((token, expires_at))
}

/// The token row and its user when the token is of `kind`, unused and unexpired.
pub(crate) async fn find_valid_token<C: ConnectionTrait>(
    conn: &C,
    token: &str,
    kind: &str,
) -> Result<Option<(user_token::Model, user::Model)>, AppError> {
    if token.trim().is_empty() || token.len() > 200 {
        return Ok(None);
    }
    let Some(t) = user_token::Entity::find()
        .filter(user_token::Column::TokenHash.eq(hash_token(token)))
        .filter(user_token::Column::Kind.eq(kind))
        .filter(user_token::Column::UsedAt.is_null())
        .filter(user_token::Column::ExpiresAt.gt(now()))
        .one(conn)
        .await?
    else {
        return Ok(None);
    };
    let u =
        user::Entity::find_by_id(t.user_id.clone()).filter(user::Column::OrgId.eq(t.org_id.as_str())).one(conn).await?;
    Ok(u.map(|u| (t, u)))
}

/// Marks the token used; false when another request used it first (single use).
pub(crate) async fn use_token<C: ConnectionTrait>(
    conn: &C,
    token_id: &str,
    at: DateTime<Utc>,
) -> Result<bool, AppError> {
    let res = user_token::Entity::update_many()
        .col_expr(user_token::Column::UsedAt, Expr::value(at))
        .filter(user_token::Column::Id.eq(token_id))
        .filter(user_token::Column::UsedAt.is_null())
        .exec(conn)
        .await?;
    Ok(res.rows_affected == 1)
}

// ---- helpers -------------------------------------------------------------------------

/// One of the org's users, or NOT_FOUND (also for another org's user).
async fn find_user<C: ConnectionTrait>(conn: &C, org_id: &str, id: &str) -> Result<user::Model, AppError> {
    user::Entity::find_by_id(id.to_string())
        .filter(user::Column::OrgId.eq(org_id))
        .one(conn)
        .await?
        .ok_or_else(|| AppError::not_found("User"))
}

/// Roles held by each of `user_ids`, with team names for team scopes.
async fn roles_of<C: ConnectionTrait>(
    conn: &C,
    org_id: &str,
    user_ids: Vec<String>,
    teams: &HashMap<String, String>,
) -> Result<HashMap<String, Vec<RoleHeld>>, AppError> {
    if user_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let assignments = role_assignment::Entity::find()
        .filter(role_assignment::Column::OrgId.eq(org_id))
        .filter(role_assignment::Column::UserId.is_in(user_ids))
        .order_by_asc(role_assignment::Column::CreatedAt)
        .all(conn)
        .await?;
    let role_ids: HashSet<String> = assignments.iter().map(|a| a.role_id.clone()).collect();
    let names: HashMap<String, String> = role::Entity::find()
        .filter(role::Column::Id.is_in(role_ids))
        .all(conn)
        .await?
        .into_iter()
        .map(|r| (r.id, r.name))
        .collect();
    let mut out: HashMap<String, Vec<RoleHeld>> = HashMap::new();
    for a in assignments {
        let scope_id = (a.scope_type != "org").then(|| a.scope_id.clone());
        let scope_name = if a.scope_type == "team" { teams.get(&a.scope_id).cloned() } else { None };
        out.entry(a.user_id.clone()).or_default().push(RoleHeld {
            role_name: names.get(&a.role_id).cloned().unwrap_or_else(|| a.role_id.clone()),
            role_id: a.role_id,
            scope_type: a.scope_type,
            scope_id,
            scope_name,
        });
    }
    Ok(out)
}

async fn team_names<C: ConnectionTrait>(conn: &C, org_id: &str) -> Result<HashMap<String, String>, AppError> {
    Ok(team::Entity::find()
        .filter(team::Column::OrgId.eq(org_id))
        .all(conn)
        .await?
        .into_iter()
        .map(|t| (t.id, t.name))
        .collect())
}

async fn views<C: ConnectionTrait>(conn: &C, org_id: &str, users: Vec<user::Model>) -> Result<Vec<UserView>, AppError> {
    let teams = team_names(conn, org_id).await?;
    let mut roles = roles_of(conn, org_id, users.iter().map(|u| u.id.clone()).collect(), &teams).await?;
    Ok(users
        .into_iter()
        .map(|u| UserView {
            roles: roles.remove(&u.id).unwrap_or_default(),
            team_name: u.team_id.as_ref().and_then(|t| teams.get(t).cloned()),
            id: u.id,
            email: u.email,
            display_name: u.display_name,
            status: u.status,
            team_id: u.team_id,
            mfa_enabled: u.mfa_enabled,
            last_login_at: u.last_login_at.as_ref().map(time),
            created_at: time(&u.created_at),
            updated_at: time(&u.updated_at),
        })
        .collect())
}

async fn view_of<C: ConnectionTrait>(conn: &C, u: user::Model) -> Result<UserView, AppError> {
    let org_id = u.org_id.clone();
    views(conn, &org_id, vec![u]).await?.pop().ok_or_else(AppError::internal)
}

fn escape_like(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '\\' | '%' | '_') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

// ---- reading -------------------------------------------------------------------------

/// `?q=&limit=&cursor=`
#[derive(Clone, Debug, Default)]
pub struct ListQuery {
    /// Part of an email or display name, any case.
    pub q: Option<String>,
    pub cursor: Option<String>,
    pub limit: Option<u64>,
}

/// The org's people ordered by email (then id), `limit` at a time after `cursor`.
/// Anyone with a role in the org may see the list.
pub async fn list(db: &DatabaseConnection, actor: &Actor, query: ListQuery) -> Result<UserPage, AppError> {
    authorize_somewhere(actor, Need::View)?;
    let limit = query.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(field("limit", AppError::validation(format!("limit must be between 1 and {MAX_LIMIT}."))));
    }
    let mut q = user::Entity::find().filter(user::Column::OrgId.eq(actor.org_id.as_str()));
    if let Some(text) = query.q.as_deref().and_then(normalize_search) {
        let pattern = format!("%{}%", escape_like(&text));
        q = q.filter(
            Condition::any()
                .add(
                    Expr::expr(Func::lower(Expr::col(user::Column::Email)))
                        .like(LikeExpr::new(pattern.clone()).escape('\\')),
                )
                .add(
                    Expr::expr(Func::lower(Expr::col(user::Column::DisplayName)))
                        .like(LikeExpr::new(pattern).escape('\\')),
                ),
        );
    }
    if let Some(cursor) = query.cursor.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
        let (email, id) = decode_user_cursor(cursor).ok_or_else(|| {
            field("cursor", AppError::validation("This cursor is not valid: pass back a next_cursor."))
        })?;
        q = q.filter(
            Condition::any()
                .add(user::Column::Email.gt(email.clone()))
                .add(Condition::all().add(user::Column::Email.eq(email)).add(user::Column::Id.gt(id))),
        );
    }
    let mut rows = q.order_by_asc(user::Column::Email).order_by_asc(user::Column::Id).limit(limit + 1).all(db).await?;
    let next_cursor = if rows.len() as u64 > limit {
        rows.truncate(limit as usize);
        rows.last().map(|u| encode_user_cursor(&u.email, &u.id))
    } else {
        None
    };
    Ok(UserPage {
        users: views(db, &actor.org_id, rows).await?,
        next_cursor,
        can_manage: can(actor, Permission::UsersManage, &ScopeRef::Org),
    })
}

/// One of the org's people. Anyone with a role in the org may see them.
pub async fn get(db: &DatabaseConnection, actor: &Actor, id: &str) -> Result<UserView, AppError> {
    let u = find_user(db, &actor.org_id, id).await?;
    authorize_somewhere(actor, Need::View)?;
    view_of(db, u).await
}

/// A person's own page: [`get`], and whether the viewer may read their spend.
pub async fn page(
    db: &DatabaseConnection,
    actor: &Actor,
    id: &str,
) -> Result<crate::domain::users::PersonDetail, AppError> {
    let user = get(db, actor, id).await?;
    let is_self = actor.kind == crate::services::ActorKind::User && actor.id == user.id;
    let scope = user.team_id.clone().map(ScopeRef::Team).unwrap_or(ScopeRef::Org);
    Ok(crate::domain::users::PersonDetail {
        can_read_usage: is_self || can(actor, Permission::UsageRead, &scope),
        is_self,
        user,
    })
}

/// The roles and teams the invite and edit forms offer (needs `users.manage`).
pub async fn form_options(db: &DatabaseConnection, actor: &Actor) -> Result<UserFormOptions, AppError> {
    authorize(actor, Permission::UsersManage, &ScopeRef::Org)?;
    let roles = role::Entity::find()
        .filter(Condition::any().add(role::Column::OrgId.is_null()).add(role::Column::OrgId.eq(actor.org_id.as_str())))
        .order_by_desc(role::Column::BuiltIn)
        .order_by_asc(role::Column::CreatedAt)
        .order_by_asc(role::Column::Name)
        .all(db)
        .await?;
    // Built-ins in their documented order, then the org's own roles.
    let order = |id: &str| BuiltInRole::ALL.iter().position(|r| r.id() == id).unwrap_or(usize::MAX);
    let mut roles: Vec<role::Model> = roles;
    roles.sort_by_key(|r| (order(&r.id), r.name.to_lowercase()));
    let mut teams: Vec<Choice> =
        team_names(db, &actor.org_id).await?.into_iter().map(|(id, name)| Choice { id, name }).collect();
    teams.sort_by_key(|t| t.name.to_lowercase());
    Ok(UserFormOptions { roles: roles.into_iter().map(|r| Choice { id: r.id, name: r.name }).collect(), teams })
}

// ---- inviting ------------------------------------------------------------------------

/// `{email, display_name, team_id?, role_id? (default Viewer), scope? (default org)}`
#[derive(Clone, Debug, Default)]
pub struct InviteInput {
    pub email: String,
    pub display_name: String,
    pub team_id: Option<String>,
    pub role_id: Option<String>,
    pub scope: Option<ScopeRef>,
}

fn non_empty(v: Option<String>) -> Option<String> {
    v.map(|s| s.trim().to_string()).filter(|s| !s.is_empty())
}

/// Checks that the actor may give `role` at `scope`, that both exist in the org.
async fn check_grant<C: ConnectionTrait>(
    conn: &C,
    actor: &Actor,
    role_id: &str,
    scope: &ScopeRef,
) -> Result<role::Model, AppError> {
    let role = role::Entity::find_by_id(role_id.to_string())
        .filter(Condition::any().add(role::Column::OrgId.is_null()).add(role::Column::OrgId.eq(actor.org_id.as_str())))
        .one(conn)
        .await?
        .ok_or_else(|| field("role_id", AppError::validation("Choose one of the organisation's roles.")))?;
    match scope {
        ScopeRef::Org => {}
        ScopeRef::Team(id) => {
            find_team(conn, &actor.org_id, id).await.map_err(|e| field("scope_id", e))?;
        }
        ScopeRef::Store(_) => {
            return Err(field("scope_type", AppError::validation("Give the role at the organisation or at a team.")));
        }
    }
    // Viewer is what every invitee gets by default; any other role is a grant like the
    // assignments service's: roles.manage there, and no permission the actor lacks there.
    if role.id != BuiltInRole::Viewer.id() {
        authorize(actor, Permission::RolesManage, scope)?;
        let missing = not_held(actor, role_permissions(conn, &role.id).await?, scope);
        if !missing.is_empty() {
            return Err(escalation_error(&missing, "give a role with"));
        }
    }
    Ok(role)
}

/// Invites a person: an `invited` user without a password, the role, and an email with a
/// link to `/invite/<token>` valid for 7 days. Inviting someone who is still invited sends a
/// new link (older ones stop working) and applies the name, team and role given; inviting
/// an email that already belongs to an active or suspended person answers CONFLICT.
pub async fn invite(
    db: &DatabaseConnection,
    actor: &Actor,
    input: InviteInput,
    base_url: &str,
) -> Result<UserView, AppError> {
    authorize(actor, Permission::UsersManage, &ScopeRef::Org)?;
    Validator::new()
        .add("email", check_email(&input.email))
        .add("display_name", check_display_name(&input.display_name))
        .finish()?;
    let email = normalize_email(&input.email);
    let display_name = input.display_name.trim().to_string();
    let team_id = non_empty(input.team_id);
    let role_id = non_empty(input.role_id).unwrap_or_else(|| BuiltInRole::Viewer.id().to_string());
    let scope = input.scope.unwrap_or(ScopeRef::Org);

    let tx = begin_write(db).await?;
    lock_org(&tx, &actor.org_id).await?;
    let role = check_grant(&tx, actor, &role_id, &scope).await?;
    if let Some(t) = &team_id {
        find_team(&tx, &actor.org_id, t).await.map_err(|e| field("team_id", e))?;
    }
    let org = org::Entity::find_by_id(actor.org_id.clone())
        .one(&tx)
        .await?
        .ok_or_else(|| AppError::not_found("Organisation"))?;
    let existing = user::Entity::find()
        .filter(user::Column::OrgId.eq(actor.org_id.as_str()))
        .filter(user::Column::Email.eq(email.as_str()))
        .one(&tx)
        .await?;
    let at = now();
    let (u, action, before) = match existing {
        Some(u) if u.status != user::STATUS_INVITED => {
            return Err(field(
                "email",
                AppError::conflict(format!("{email} already has an account here ({}).", u.status)),
            ));
        }
        Some(u) => {
            let before = snapshot(&u);
            let mut am: user::ActiveModel = u.into();
            am.display_name = Set(display_name);
            if team_id.is_some() {
                am.team_id = Set(team_id);
            }
            am.updated_at = Set(at);
            (am.update(&tx).await?, "user.reinvited", Some(before))
        }
        None => {
            let u = user::ActiveModel {
                id: Set(new_id()),
                org_id: Set(actor.org_id.clone()),
                email: Set(email.clone()),
                username: Set(None),
                display_name: Set(display_name),
                password_hash: Set(None),
                status: Set(user::STATUS_INVITED.to_string()),
                auth_provider: Set("direct".to_string()),
                mfa_enabled: Set(false),
                mfa_secret_enc: Set(None),
                last_login_at: Set(None),
                team_id: Set(team_id),
                created_at: Set(at),
                updated_at: Set(at),
            }
            .insert(&tx)
            .await
            .map_err(|e| {
                if is_unique_violation(&e) {
                    field("email", AppError::conflict(format!("{email} already has an account here.")))
                } else {
                    AppError::from(e)
                }
            })?;
            (u, "user.invited", None)
        }
    };
    let (token, expires_at) = issue_token(&tx, &actor.org_id, &u.id, TOKEN_INVITE, invite_validity()).await?;
    let mut event = NewEvent::new(action, "user", Some(&u.id))
        .after(json!({"user": snapshot(&u), "invite_expires_at": time(&expires_at)}));
    if let Some(b) = before {
        event = event.before(json!({"user": b}));
    }
    audit::append(&tx, &actor.org_id, &actor.audit_actor(), &actor.meta, event).await?;
    let (scope_type, scope_id) = crate::services::access::scope_columns(&actor.org_id, &scope);
    let already_holds = role_assignment::Entity::find()
        .filter(role_assignment::Column::UserId.eq(u.id.as_str()))
        .filter(role_assignment::Column::RoleId.eq(role.id.as_str()))
        .filter(role_assignment::Column::ScopeType.eq(scope_type))
        .filter(role_assignment::Column::ScopeId.eq(scope_id))
        .one(&tx)
        .await?
        .is_some();
    if !already_holds {
        insert_assignment(&tx, &actor.org_id, &u.id, &role, &scope, &actor.audit_actor(), &actor.meta).await?;
    }
    let link = format!("{}/invite/{token}", base_url.trim_end_matches('/'));
    let (subject, body) = invite_email(&org.name, &actor.label, &link);
    outbox::enqueue(&tx, &actor.org_id, &u.email, &subject, &body).await?;
    let view = view_of(&tx, u).await?;
    tx.commit().await?;
    Ok(view)
}

/// Sends an invited person a new link (older links stop working).
pub async fn resend_invite(
    db: &DatabaseConnection,
    actor: &Actor,
    id: &str,
    base_url: &str,
) -> Result<UserView, AppError> {
    let u = find_user(db, &actor.org_id, id).await?;
    authorize(actor, Permission::UsersManage, &ScopeRef::Org)?;
    if u.status != user::STATUS_INVITED {
        return Err(AppError::conflict("This person has already accepted their invitation."));
    }
    let tx = begin_write(db).await?;
    lock_org(&tx, &actor.org_id).await?;
    let u = find_user(&tx, &actor.org_id, id).await?;
    let org = org::Entity::find_by_id(actor.org_id.clone())
        .one(&tx)
        .await?
        .ok_or_else(|| AppError::not_found("Organisation"))?;
    let (token, expires_at) = issue_token(&tx, &actor.org_id, &u.id, TOKEN_INVITE, invite_validity()).await?;
    audit::append(
        &tx,
        &actor.org_id,
        &actor.audit_actor(),
        &actor.meta,
        NewEvent::new("user.invite_resent", "user", Some(&u.id)).after(json!({"invite_expires_at": time(&expires_at)})),
    )
    .await?;
    let link = format!("{}/invite/{token}", base_url.trim_end_matches('/'));
    let (subject, body) = invite_email(&org.name, &actor.label, &link);
    outbox::enqueue(&tx, &actor.org_id, &u.email, &subject, &body).await?;
    let view = view_of(&tx, u).await?;
    tx.commit().await?;
    Ok(view)
}

fn invalid_invite() -> AppError {
    AppError::new(
        ErrorCode::NotFound,
        "This invitation link is not valid any more: it was used, replaced by a newer one, or it expired. Ask your administrator to send a new invitation.",
    )
}

/// What the invitation page shows (public: the token is the proof).
pub async fn invite_info(db: &DatabaseConnection, token: &str) -> Result<InviteInfo, AppError> {
    let (_, u) = find_valid_token(db, token, TOKEN_INVITE).await?.ok_or_else(invalid_invite)?;
    if u.status != user::STATUS_INVITED {
        return Err(invalid_invite());
    }
    let org = org::Entity::find_by_id(u.org_id.clone()).one(db).await?.ok_or_else(invalid_invite)?;
    Ok(InviteInfo { email: u.email, display_name: u.display_name, org_name: org.name })
}

/// Accepts an invitation: sets the password, activates the account, uses up the token.
/// Returns what the caller stores in the session to sign the person in.
pub async fn accept_invite(
    db: &DatabaseConnection,
    token: &str,
    password: &str,
    password_confirm: &str,
    meta: &RequestMeta,
) -> Result<SessionUser, AppError> {
    let (t, u) = find_valid_token(db, token, TOKEN_INVITE).await?.ok_or_else(invalid_invite)?;
    if u.status != user::STATUS_INVITED {
        return Err(invalid_invite());
    }
    let org = org::Entity::find_by_id(u.org_id.clone()).one(db).await?.ok_or_else(invalid_invite)?;
    if let Some(message) = crate::services::identity::sso::password_sign_in_refusal(db, &org, &u.id).await? {
        return Err(AppError::permission_denied(message));
    }
    Validator::new()
        .add("password", check_password(password, &u.email))
        .add("password_confirm", check_confirmation(password, password_confirm))
        .finish()?;
    let hash = hash_password(password.to_string()).await?;
    let at = now();
    let tx = begin_write(db).await?;
    lock_org(&tx, &u.org_id).await?;
    if !use_token(&tx, &t.id, at).await? {
        return Err(invalid_invite());
    }
    let u = find_user(&tx, &u.org_id, &u.id).await?;
    if u.status != user::STATUS_INVITED {
        return Err(invalid_invite());
    }
    let before = snapshot(&u);
    let mut am: user::ActiveModel = u.into();
    am.password_hash = Set(Some(hash));
    am.status = Set(user::STATUS_ACTIVE.to_string());
    am.last_login_at = Set(Some(at));
    am.updated_at = Set(at);
    let u = am.update(&tx).await?;
    let by = AuditActor { kind: "user".into(), id: Some(u.id.clone()), label: u.email.clone() };
    audit::append(
        &tx,
        &u.org_id,
        &by,
        meta,
        NewEvent::new("user.invite_accepted", "user", Some(&u.id)).before(before).after(snapshot(&u)),
    )
    .await?;
    tx.commit().await?;
    Ok(SessionUser { user_id: u.id, org_id: u.org_id, login_at: at.timestamp() })
}

// ---- changing ------------------------------------------------------------------------

/// What to change; absent fields stay. `team_id: Some(None)` removes the person's team.
/// `status`: `active` (reactivate) or `suspended`. The body of `PATCH /api/v1/users/{id}`
/// (unknown fields refused).
#[derive(Clone, Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserPatch {
    #[serde(default)]
    pub display_name: Option<String>,
    /// `null` removes the person's team; leaving it out keeps it.
    #[serde(default, deserialize_with = "crate::domain::patch::present")]
    pub team_id: Option<Option<String>>,
    /// active | suspended
    #[serde(default)]
    pub status: Option<String>,
}

/// Edits a person. Suspending ends their sessions at once (and every later request of a
/// suspended person is refused anyway); reactivating someone who never set a password
/// makes them `invited` again.
pub async fn update(db: &DatabaseConnection, actor: &Actor, id: &str, patch: UserPatch) -> Result<UserView, AppError> {
    find_user(db, &actor.org_id, id).await?;
    authorize(actor, Permission::UsersManage, &ScopeRef::Org)?;
    let mut v = Validator::new();
    if let Some(name) = &patch.display_name {
        v.add("display_name", check_display_name(name));
    }
    if let Some(status) = &patch.status {
        v.check(
            status == user::STATUS_ACTIVE || status == user::STATUS_SUSPENDED,
            "status",
            "Use \"active\" or \"suspended\".",
        );
    }
    v.finish()?;

    let tx = begin_write(db).await?;
    lock_org(&tx, &actor.org_id).await?;
    let u = find_user(&tx, &actor.org_id, id).await?;
    let before = snapshot(&u);
    let mut am: user::ActiveModel = u.clone().into();
    let mut changed = false;
    if let Some(name) = patch.display_name.as_deref().map(str::trim) {
        if name != u.display_name {
            am.display_name = Set(name.to_string());
            changed = true;
        }
    }
    if let Some(team_id) = patch.team_id.map(non_empty) {
        if let Some(t) = &team_id {
            find_team(&tx, &actor.org_id, t).await.map_err(|e| field("team_id", e))?;
        }
        if team_id != u.team_id {
            am.team_id = Set(team_id);
            changed = true;
        }
    }
    let mut action = "user.updated";
    let mut suspended = false;
    match patch.status.as_deref() {
        Some(s) if s == user::STATUS_SUSPENDED && u.status != user::STATUS_SUSPENDED => {
            if u.id == actor.id {
                return Err(field("status", AppError::conflict("You can't suspend yourself.")));
            }
            check_outranks(&tx, actor, &u, "suspend someone with").await?;
            if is_last_active_owner(&tx, &actor.org_id, &u.id).await? {
                return Err(field("status", last_owner_error("suspended")));
            }
            am.status = Set(user::STATUS_SUSPENDED.to_string());
            action = "user.suspended";
            suspended = true;
            changed = true;
        }
        Some(s) if s == user::STATUS_ACTIVE && u.status == user::STATUS_SUSPENDED => {
            check_outranks(&tx, actor, &u, "reactivate someone with").await?;
            let status = if u.password_hash.is_some() { user::STATUS_ACTIVE } else { user::STATUS_INVITED };
            am.status = Set(status.to_string());
            action = "user.reactivated";
            changed = true;
        }
        Some(s) if s == user::STATUS_ACTIVE && u.status == user::STATUS_INVITED => {
            return Err(field(
                "status",
                AppError::validation(
                    "This person has not accepted their invitation yet; they become active when they do.",
                ),
            ));
        }
        _ => {}
    }
    if !changed {
        drop(tx);
        return view_of(db, u).await;
    }
    am.updated_at = Set(now());
    let u = am.update(&tx).await?;
    audit::append(
        &tx,
        &actor.org_id,
        &actor.audit_actor(),
        &actor.meta,
        NewEvent::new(action, "user", Some(&u.id)).before(before).after(snapshot(&u)),
    )
    .await?;
    let view = view_of(&tx, u).await?;
    tx.commit().await?;
    if suspended {
        end_sessions(db, id, None).await;
    }
    Ok(view)
}

/// Resets a person's two-step sign-in when they lost both their phone and their recovery
/// codes: `users.manage` at the org and outranking them (an Admin cannot reset an Owner's),
/// never one's own (that is the account page's). Their TOTP secret, recovery codes and
/// replay state go, their sessions end, they are told by email, and if the org requires
/// two-step sign-in they must set it up again at their next sign-in. Audited `mfa.reset`.
pub async fn reset_mfa(db: &DatabaseConnection, actor: &Actor, id: &str, base_url: &str) -> Result<UserView, AppError> {
    find_user(db, &actor.org_id, id).await?;
    authorize(actor, Permission::UsersManage, &ScopeRef::Org)?;
    if id == actor.id {
        return Err(AppError::conflict(
            "You can't reset your own two-step sign-in here: change it on your account page, or ask another administrator.",
        ));
    }
    let tx = begin_write(db).await?;
    lock_org(&tx, &actor.org_id).await?;
    let u = find_user(&tx, &actor.org_id, id).await?;
    check_outranks(&tx, actor, &u, "reset the two-step sign-in of someone with").await?;
    if !u.mfa_enabled && u.mfa_secret_enc.is_none() {
        return Err(AppError::conflict(format!(
            "{} doesn't use two-step sign-in: there is nothing to reset.",
            u.display_name
        )));
    }
    let org = org::Entity::find_by_id(actor.org_id.clone())
        .one(&tx)
        .await?
        .ok_or_else(|| AppError::not_found("Organisation"))?;
    let before = snapshot(&u);
    let was_enabled = u.mfa_enabled;
    let mut am: user::ActiveModel = u.into();
    am.mfa_enabled = Set(false);
    am.mfa_secret_enc = Set(None);
    am.updated_at = Set(now());
    let u = am.update(&tx).await?;
    let codes =
        recovery_code::Entity::delete_many().filter(recovery_code::Column::UserId.eq(u.id.as_str())).exec(&tx).await?;
    mfa_totp_step::Entity::delete_by_id(u.id.clone()).exec(&tx).await?;
    audit::append(
        &tx,
        &actor.org_id,
        &actor.audit_actor(),
        &actor.meta,
        NewEvent::new("mfa.reset", "user", Some(&u.id))
            .before(json!({"user": before, "mfa_enabled": was_enabled}))
            .after(
                json!({"user": snapshot(&u), "recovery_codes_removed": codes.rows_affected, "sessions_ended": true}),
            ),
    )
    .await?;
    let link = format!("{}/login", base_url.trim_end_matches('/'));
    let (subject, body) = mfa_reset_email(&org.name, &actor.label, &link, org.require_mfa);
    outbox::enqueue(&tx, &actor.org_id, &u.email, &subject, &body).await?;
    let view = view_of(&tx, u).await?;
    tx.commit().await?;
    end_sessions(db, id, None).await;
    Ok(view)
}

/// Ends a user's sessions (after the change that requires it has committed). A failure is
/// logged: the sessions are refused on their next request anyway when the user is no longer
/// active, and expire on their own otherwise.
pub(crate) async fn end_sessions(db: &DatabaseConnection, user_id: &str, keep: Option<&str>) -> u64 {
    match DbSessionStore::new(db.clone()).delete_for_user(user_id, keep).await {
        Ok(n) => n,
        Err(e) => {
            tracing::error!(error = %e, user_id, "could not end sessions");
            0
        }
    }
}

/// Deletes a person with their role assignments, tokens and sessions. Refused for yourself
/// and for the last active Owner.
pub async fn delete(db: &DatabaseConnection, actor: &Actor, id: &str) -> Result<(), AppError> {
    find_user(db, &actor.org_id, id).await?;
    authorize(actor, Permission::UsersManage, &ScopeRef::Org)?;
    if id == actor.id {
        return Err(AppError::conflict("You can't delete your own account."));
    }
    let tx = begin_write(db).await?;
    lock_org(&tx, &actor.org_id).await?;
    let u = find_user(&tx, &actor.org_id, id).await?;
    check_outranks(&tx, actor, &u, "delete someone with").await?;
    if is_last_active_owner(&tx, &actor.org_id, &u.id).await? {
        return Err(last_owner_error("deleted"));
    }
    let roles: Vec<String> = view_of(&tx, u.clone()).await?.roles.iter().map(|r| r.label()).collect();
    user::Entity::delete_by_id(u.id.clone()).exec(&tx).await?;
    audit::append(
        &tx,
        &actor.org_id,
        &actor.audit_actor(),
        &actor.meta,
        NewEvent::new("user.deleted", "user", Some(&u.id)).before(json!({"user": snapshot(&u), "roles": roles})),
    )
    .await?;
    tx.commit().await?;
    end_sessions(db, id, None).await;
    Ok(())
}

/// A team to place someone in: one of the org's, or a validation error.
async fn find_team<C: ConnectionTrait>(conn: &C, org_id: &str, id: &str) -> Result<team::Model, AppError> {
    lookup::team(conn, org_id, id).await?.ok_or_else(|| AppError::validation("Choose one of the organisation's teams."))
}
