//! The organisation's own settings (`/org/settings`, `GET|PATCH /api/v1/org`): its name,
//! whether every member must use two-step sign-in, and its profile (address, contact email
//! and phone, time zone, default currency). Needs `org.manage` at the org (Owners) to
//! change; anyone with a role in the org may read the profile.

use crate::domain::access::ScopeRef;
use crate::domain::error::Validator;
use crate::domain::org::check_org_name;
use crate::domain::permission::Permission;
use crate::domain::AppError;
use crate::entities::{org, user};
use crate::services::access::authz::authorize;
use crate::services::audit::{self, NewEvent};
use crate::services::infra::db::{begin_write, WriteConn};
use crate::services::{Actor, ActorKind};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, Set,
};
use serde::{Deserialize, Serialize};
use serde_json::json;

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct OrgSettings {
    pub name: String,
    pub slug: String,
    pub require_mfa: bool,
    pub address: String,
    pub contact_email: String,
    pub contact_phone: String,
    /// IANA name; quota periods and reports use it.
    pub time_zone: String,
    pub default_currency: String,
    /// Active members who have not set up MFA (they are sent to set it up when it is required).
    pub members_without_mfa: u64,
}

/// `{name?, require_mfa?, address?, contact_email?, contact_phone?, time_zone?,
/// default_currency?}`: absent fields stay (unknown fields refused).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrgSettingsPatch {
    pub name: Option<String>,
    pub require_mfa: Option<bool>,
    pub address: Option<String>,
    pub contact_email: Option<String>,
    pub contact_phone: Option<String>,
    pub time_zone: Option<String>,
    pub default_currency: Option<String>,
}

/// The org's time zone (UTC when unset or unknown): quota periods and reports use it.
pub async fn time_zone_of<C: ConnectionTrait>(conn: &C, org_id: &str) -> Result<chrono_tz::Tz, AppError> {
    let o = org::Entity::find_by_id(org_id.to_string()).one(conn).await?;
    Ok(o.and_then(|o| o.time_zone.parse().ok()).unwrap_or(chrono_tz::UTC))
}

/// Every time zone a profile or preference may name (IANA names, sorted).
pub fn time_zones() -> Vec<String> {
    let mut v: Vec<String> = chrono_tz::TZ_VARIANTS.iter().map(|t| t.name().to_string()).collect();
    v.sort();
    v
}

/// An IANA time zone name ("Europe/Berlin", "UTC").
pub fn check_time_zone(name: &str) -> Result<(), String> {
    match name.trim().parse::<chrono_tz::Tz>() {
        Ok(_) => Ok(()),
        Err(_) => Err("Choose a time zone from the list, like Europe/Berlin or America/New_York.".into()),
    }
}

/// A phone number as people write it: digits with spaces, +, -, ( and ), at most 40.
fn check_phone(phone: &str) -> Result<(), String> {
    let p = phone.trim();
    let digits = p.chars().filter(char::is_ascii_digit).count();
    if p.is_empty()
        || (p.chars().count() <= 40 && digits >= 5 && p.chars().all(|c| c.is_ascii_digit() || " +-()/".contains(c)))
    {
        Ok(())
    } else {
        Err("Enter a phone number with digits, like +49 30 1234567.".into())
    }
}

async fn load<C: ConnectionTrait>(db: &C, actor: &Actor) -> Result<org::Model, AppError> {
    org::Entity::find_by_id(actor.org_id.clone()).one(db).await?.ok_or_else(|| AppError::not_found("Organisation"))
}

async fn view<C: ConnectionTrait>(db: &C, o: &org::Model) -> Result<OrgSettings, AppError> {
    let members_without_mfa = user::Entity::find()
        .filter(user::Column::OrgId.eq(o.id.as_str()))
        .filter(user::Column::Status.eq(user::STATUS_ACTIVE))
        .filter(user::Column::MfaEnabled.eq(false))
        .count(db)
        .await?;
    Ok(OrgSettings {
        name: o.name.clone(),
        slug: o.slug.clone(),
        require_mfa: o.require_mfa,
        address: o.address.clone(),
        contact_email: o.contact_email.clone(),
        contact_phone: o.contact_phone.clone(),
        time_zone: o.time_zone.clone(),
        default_currency: o.default_currency.clone(),
        members_without_mfa,
    })
}

fn snapshot(o: &org::Model) -> serde_json::Value {
    json!({"id": o.id, "name": o.name, "slug": o.slug, "require_mfa": o.require_mfa, "address": o.address,
           "contact_email": o.contact_email, "contact_phone": o.contact_phone, "time_zone": o.time_zone,
           "default_currency": o.default_currency})
}

/// The settings and profile: anyone with a role in the org may read them (the profile's
/// time zone and currency are what their pages count in).
pub async fn get(db: &DatabaseConnection, actor: &Actor) -> Result<OrgSettings, AppError> {
    crate::services::access::authz::authorize_somewhere(actor, crate::domain::access::Need::View)?;
    let o = load(db, actor).await?;
    view(db, &o).await
}

/// Renames the org and/or turns the MFA requirement on or off (`org.updated` event). A
/// person turning the requirement on must use MFA themselves, so they are not the first
/// one locked out of the pages.
pub async fn update(db: &impl WriteConn, actor: &Actor, patch: OrgSettingsPatch) -> Result<OrgSettings, AppError> {
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
    if let Some(a) = &patch.address {
        v.check(a.trim().chars().count() <= 500, "address", "Use at most 500 characters.");
    }
    if let Some(e) = patch.contact_email.as_deref().map(str::trim).filter(|e| !e.is_empty()) {
        v.add("contact_email", crate::domain::org::check_email(e));
    }
    if let Some(p) = &patch.contact_phone {
        v.add("contact_phone", check_phone(p));
    }
    if let Some(t) = &patch.time_zone {
        v.add("time_zone", check_time_zone(t));
    }
    if let Some(c) = &patch.default_currency {
        v.add("default_currency", crate::domain::stores::check_currency(c));
    }
    v.finish()?;
    let mut am: org::ActiveModel = before.clone().into();
    let mut changed = false;
    let mut set = |field: &mut sea_orm::ActiveValue<String>, old: &str, new: Option<String>| {
        if let Some(n) = new.filter(|n| n != old) {
            *field = Set(n);
            changed = true;
        }
    };
    set(&mut am.name, &before.name, patch.name.as_deref().map(|n| n.trim().to_string()));
    set(&mut am.address, &before.address, patch.address.as_deref().map(|a| a.trim().to_string()));
    set(
        &mut am.contact_email,
        &before.contact_email,
        patch.contact_email.as_deref().map(|e| crate::domain::org::normalize_email(e.trim())),
    );
    set(&mut am.contact_phone, &before.contact_phone, patch.contact_phone.as_deref().map(|p| p.trim().to_string()));
    set(&mut am.time_zone, &before.time_zone, patch.time_zone.as_deref().map(|t| t.trim().to_string()));
    set(
        &mut am.default_currency,
        &before.default_currency,
        patch.default_currency.as_deref().map(crate::domain::stores::normalize_currency),
    );
    if let Some(require) = patch.require_mfa.filter(|r| *r != before.require_mfa) {
        am.require_mfa = Set(require);
        changed = true;
    }
    if !changed {
        return view(db, &before).await;
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
