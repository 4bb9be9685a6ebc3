//! The organisation's own settings (`/org/settings`): its name and whether every member
//! must use two-step sign-in. Needs `org.manage` at the org (Owners).

use crate::domain::access::ScopeRef;
use crate::domain::error::Validator;
use crate::domain::org::check_org_name;
use crate::domain::permission::Permission;
use crate::domain::AppError;
use crate::entities::{org, user};
use crate::services::access::authz::authorize;
use crate::services::audit::{self, NewEvent};
use crate::services::infra::db::begin_write;
use crate::services::{Actor, ActorKind};
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, Set};
use serde::{Deserialize, Serialize};
use serde_json::json;

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct OrgSettings {
    pub name: String,
    pub slug: String,
    pub require_mfa: bool,
    /// Active members who have not set up MFA (they are sent to set it up when it is required).
    pub members_without_mfa: u64,
}

/// `{name?, require_mfa?}`: absent fields stay.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct OrgSettingsPatch {
    pub name: Option<String>,
    pub require_mfa: Option<bool>,
}

async fn load(db: &DatabaseConnection, actor: &Actor) -> Result<org::Model, AppError> {
    org::Entity::find_by_id(actor.org_id.clone()).one(db).await?.ok_or_else(|| AppError::not_found("Organisation"))
}

async fn view(db: &DatabaseConnection, o: &org::Model) -> Result<OrgSettings, AppError> {
    let members_without_mfa = user::Entity::find()
        .filter(user::Column::OrgId.eq(o.id.as_str()))
        .filter(user::Column::Status.eq(user::STATUS_ACTIVE))
        .filter(user::Column::MfaEnabled.eq(false))
        .count(db)
        .await?;
    Ok(OrgSettings { name: o.name.clone(), slug: o.slug.clone(), require_mfa: o.require_mfa, members_without_mfa })
}

fn snapshot(o: &org::Model) -> serde_json::Value {
    json!({"id": o.id, "name": o.name, "slug": o.slug, "require_mfa": o.require_mfa})
}

pub async fn get(db: &DatabaseConnection, actor: &Actor) -> Result<OrgSettings, AppError> {
    authorize(actor, Permission::OrgManage, &ScopeRef::Org)?;
    let o = load(db, actor).await?;
    view(db, &o).await
}

/// Renames the org and/or turns the MFA requirement on or off (`org.updated` event). A
/// person turning the requirement on must use MFA themselves, so they are not the first
/// one locked out of the pages.
pub async fn update(db: &DatabaseConnection, actor: &Actor, patch: OrgSettingsPatch) -> Result<OrgSettings, AppError> {
    authorize(actor, Permission::OrgManage, &ScopeRef::Org)?;
    let before = load(db, actor).await?;
    let mut v = Validator::new();
    if let Some(name) = &patch.name {
        v.add("name", check_org_name(name));
    }
    if patch.require_mfa == Some(true) && !before.require_mfa && actor.kind == ActorKind::User {
        let me = user::Entity::find_by_id(actor.id.clone())
            .filter(user::Column::OrgId.eq(actor.org_id.as_str()))
            .one(db)
            .await?;
        v.check(
            me.is_some_and(|u| u.mfa_enabled),
            "require_mfa",
            "Set up two-step sign-in for your own account first (Account → Two-step sign-in), then require it for everyone.",
        );
    }
    v.finish()?;
    let name = patch.name.as_deref().map(str::trim).filter(|n| *n != before.name);
    let require_mfa = patch.require_mfa.filter(|r| *r != before.require_mfa);
    if name.is_none() && require_mfa.is_none() {
        return view(db, &before).await;
    }
    let mut am: org::ActiveModel = before.clone().into();
    if let Some(name) = name {
        am.name = Set(name.to_string());
    }
    if let Some(require) = require_mfa {
        am.require_mfa = Set(require);
    }
    let tx = begin_write(db).await?;
    let after = am.update(&tx).await?;
    audit::append(
        &tx,
        &actor.org_id,
        &actor.audit_actor(),
        &actor.meta,
        NewEvent::new("org.updated", "org", Some(&after.id)).before(snapshot(&before)).after(snapshot(&after)),
    )
    .await?;
    tx.commit().await?;
    view(db, &after).await
}
