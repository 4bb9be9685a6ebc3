//! Preferences of the org, its teams and its people (`GET|PUT
//! /api/v1/preferences/{entity_type}/{entity_id}`): each entity's own `settings_json`,
//! validated against its JSON Schema (`domain::preferences::schema`; unknown keys refused
//! by name) and checked for meaning (a real time zone, a store of the org, a mobile
//! number), then resolved org → teams (top first) → person with the source of each value.
//!
//! Who may: anyone in the org reads the org's and teams' preferences; `settings.manage` at
//! the org (or at the team) changes them. A person reads and changes their own; reading or
//! changing another person's needs `users.manage` at the org. Every change is audited
//! (`preferences.updated`, before and after).

use crate::domain::access::{Need, ScopeRef};
use crate::domain::error::{FieldError, Validator};
use crate::domain::notify::NotificationSettings;
use crate::domain::permission::Permission;
use crate::domain::preferences::{
    resolve, schema, value_of, DisplayPrefs, Effective, PreferencesForm, PreferencesView, Source, ENTITY_TYPES,
};
use crate::domain::AppError;
use crate::entities::{org, preference, store, team, user};
use crate::services::access::authz::{authorize, authorize_somewhere, can};
use crate::services::access::load_tree;
use crate::services::audit::{self, NewEvent};
use crate::services::infra::db::{begin_write, new_id, now, WriteConn};
use crate::services::{Actor, ActorKind};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, Set};
use serde_json::{json, Value};

/// What the viewer may do with an entity's preferences.
enum Access {
    Read,
    Edit,
}

fn is_self(actor: &Actor, entity_type: &str, entity_id: &str) -> bool {
    entity_type == "user" && actor.kind == ActorKind::User && actor.id == entity_id
}

/// Checks the entity exists in the viewer's org and what they may do; `need` Edit refuses
/// with PERMISSION_DENIED when they may only read.
async fn check<C: ConnectionTrait>(
    conn: &C,
    actor: &Actor,
    entity_type: &str,
    entity_id: &str,
    need: Access,
) -> Result<bool, AppError> {
    let mut v = Validator::new();
    v.check(ENTITY_TYPES.contains(&entity_type), "entity_type", "Choose org, team or user.");
    v.finish()?;
    let (scope, manage) = match entity_type {
        "org" => {
            if entity_id != actor.org_id {
                return Err(AppError::not_found("Organisation"));
            }
            (ScopeRef::Org, Permission::SettingsManage)
        }
        "team" => {
            crate::services::access::lookup::find_team(conn, &actor.org_id, entity_id).await?;
            (ScopeRef::Team(entity_id.to_string()), Permission::SettingsManage)
        }
        _ => {
            user::Entity::find_by_id(entity_id.to_string())
                .filter(user::Column::OrgId.eq(&actor.org_id))
                .one(conn)
                .await?
                .ok_or_else(|| AppError::not_found("Person"))?;
            if is_self(actor, entity_type, entity_id) {
                return Ok(true);
            }
            authorize(actor, Permission::UsersManage, &ScopeRef::Org)?;
            return Ok(true);
        }
    };
    match need {
        Access::Read => {
            authorize_somewhere(actor, Need::View)?;
            Ok(can(actor, manage, &scope))
        }
        Access::Edit => {
            authorize(actor, manage, &scope)?;
            Ok(true)
        }
    }
}

async fn own<C: ConnectionTrait>(
    conn: &C,
    entity_type: &str,
    entity_id: &str,
) -> Result<Option<preference::Model>, AppError> {
    Ok(preference::Entity::find()
        .filter(preference::Column::EntityType.eq(entity_type))
        .filter(preference::Column::EntityId.eq(entity_id))
        .one(conn)
        .await?)
}

fn parsed(row: Option<&preference::Model>) -> Value {
    row.and_then(|r| serde_json::from_str::<Value>(&r.settings).ok()).filter(Value::is_object).unwrap_or(json!({}))
}

/// The layers that apply to an entity, most general first, each with its source in words.
async fn layers<C: ConnectionTrait>(
    conn: &C,
    org_id: &str,
    entity_type: &str,
    entity_id: &str,
    viewer_id: Option<&str>,
) -> Result<Vec<(Source, Value)>, AppError> {
    let mut out = vec![(
        Source { entity_type: "org".into(), entity_id: Some(org_id.to_string()), name: "the organisation".into() },
        own_settings(conn, "org", org_id).await?,
    )];
    let person = match entity_type {
        "user" => user::Entity::find_by_id(entity_id.to_string()).one(conn).await?,
        _ => None,
    };
    let team_id = match entity_type {
        "team" => Some(entity_id.to_string()),
        _ => person.as_ref().and_then(|u| u.team_id.clone()),
    };
    if let Some(t) = team_id {
        let tree = load_tree(conn, org_id).await?;
        let mut chain = tree.team_and_ancestors(&t);
        chain.reverse();
        for id in chain {
            let name = team::Entity::find_by_id(id.clone()).one(conn).await?.map(|t| t.name).unwrap_or_default();
            out.push((
                Source {
                    entity_type: "team".into(),
                    entity_id: Some(id.clone()),
                    name: format!("team \u{201c}{name}\u{201d}"),
                },
                own_settings(conn, "team", &id).await?,
            ));
        }
    }
    if entity_type == "user" {
        let name = if viewer_id == Some(entity_id) {
            "you".to_string()
        } else {
            person.map(|u| u.display_name).unwrap_or_default()
        };
        out.push((
            Source { entity_type: "user".into(), entity_id: Some(entity_id.to_string()), name },
            own_settings(conn, "user", entity_id).await?,
        ));
    }
    Ok(out)
}

/// An entity's own settings object (`{}` when it set nothing).
pub async fn own_settings<C: ConnectionTrait>(conn: &C, entity_type: &str, entity_id: &str) -> Result<Value, AppError> {
    Ok(parsed(own(conn, entity_type, entity_id).await?.as_ref()))
}

/// Stores an entity's own settings object (checked by the caller), inside its transaction.
pub async fn write_own<C: ConnectionTrait>(
    conn: &C,
    org_id: &str,
    entity_type: &str,
    entity_id: &str,
    settings: &Value,
) -> Result<(), AppError> {
    match own(conn, entity_type, entity_id).await? {
        Some(r) => {
            let mut am: preference::ActiveModel = r.into();
            am.settings = Set(settings.to_string());
            am.updated_at = Set(now());
            am.update(conn).await?;
        }
        None => {
            preference::ActiveModel {
                id: Set(new_id()),
                org_id: Set(org_id.to_string()),
                entity_type: Set(entity_type.to_string()),
                entity_id: Set(entity_id.to_string()),
                settings: Set(settings.to_string()),
                updated_at: Set(now()),
            }
            .insert(conn)
            .await?;
        }
    }
    Ok(())
}

/// Every value in effect for an entity, with its source.
pub async fn effective<C: ConnectionTrait>(
    conn: &C,
    org_id: &str,
    entity_type: &str,
    entity_id: &str,
    viewer_id: Option<&str>,
) -> Result<Vec<Effective>, AppError> {
    let tz = org::Entity::find_by_id(org_id.to_string()).one(conn).await?.map(|o| o.time_zone).unwrap_or("UTC".into());
    Ok(resolve(entity_type, &layers(conn, org_id, entity_type, entity_id, viewer_id).await?, &tz))
}

/// A person's notification channels per kind and mobile number as they apply to them:
/// their own choices, else their teams', else the org's, else each kind's defaults.
pub async fn notification_settings<C: ConnectionTrait>(
    conn: &C,
    u: &user::Model,
) -> Result<NotificationSettings, AppError> {
    let eff = effective(conn, &u.org_id, "user", &u.id, None).await?;
    let mut s = NotificationSettings::default();
    for e in eff {
        if let Some(kind) = e.key.strip_prefix("notifications.") {
            if let Ok(ch) = serde_json::from_value::<Vec<String>>(e.value) {
                s.channels.insert(kind.to_string(), ch);
            }
        } else if e.key == "sms_number" {
            s.sms_number = e.value.as_str().map(str::to_string);
        }
    }
    Ok(s)
}

/// How the pages write this person's times: their effective date format and time zone, with
/// the zone's offsets from two years back to two years ahead.
pub async fn display_for<C: ConnectionTrait>(conn: &C, u: &user::Model) -> Result<DisplayPrefs, AppError> {
    let eff = effective(conn, &u.org_id, "user", &u.id, None).await?;
    let text = |k: &str| value_of(&eff, k).and_then(Value::as_str).map(str::to_string);
    let time_zone = text("time_zone").unwrap_or_else(|| "UTC".into());
    let tz: chrono_tz::Tz = time_zone.parse().unwrap_or(chrono_tz::UTC);
    Ok(DisplayPrefs {
        date_format: text("date_format").unwrap_or_else(|| "iso".into()),
        offsets: offsets(&tz, now()),
        time_zone,
        locale: text("locale").unwrap_or_else(|| "en-GB".into()),
    })
}

/// The zone's UTC offsets from two years before `around` to two years after: each change
/// found day by day, then to the second.
fn offsets(tz: &chrono_tz::Tz, around: chrono::DateTime<chrono::Utc>) -> Vec<(i64, i32)> {
    use chrono::{Offset, TimeZone};
    let at = |secs: i64| {
        tz.offset_from_utc_datetime(&chrono::DateTime::from_timestamp(secs, 0).unwrap_or_default().naive_utc())
            .fix()
            .local_minus_utc()
    };
    let (start, end) = (around.timestamp() - 2 * 366 * 86_400, around.timestamp() + 2 * 366 * 86_400);
    let mut out = vec![(start, at(start))];
    let mut day = start;
    while day < end {
        let next = day + 86_400;
        if at(next) != at(day) {
            // The change lies in (day, next]: narrow it to the second.
            let (mut lo, mut hi) = (day, next);
            while hi - lo > 1 {
                let mid = lo + (hi - lo) / 2;
                if at(mid) == at(lo) {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
            out.push((hi, at(hi)));
        }
        day = next;
    }
    out
}

/// An entity's own settings and the values in effect for it.
pub async fn get(
    db: &DatabaseConnection,
    actor: &Actor,
    entity_type: &str,
    entity_id: &str,
) -> Result<PreferencesView, AppError> {
    let can_edit = check(db, actor, entity_type, entity_id, Access::Read).await?;
    view(db, actor, entity_type, entity_id, can_edit).await
}

async fn view<C: ConnectionTrait>(
    conn: &C,
    actor: &Actor,
    entity_type: &str,
    entity_id: &str,
    can_edit: bool,
) -> Result<PreferencesView, AppError> {
    Ok(PreferencesView {
        entity_type: entity_type.to_string(),
        entity_id: entity_id.to_string(),
        settings: own_settings(conn, entity_type, entity_id).await?,
        effective: effective(conn, &actor.org_id, entity_type, entity_id, Some(&actor.id)).await?,
        can_edit,
    })
}

/// The preferences form of an entity: its view, the org's stores and the time zones.
pub async fn page(
    db: &DatabaseConnection,
    actor: &Actor,
    entity_type: &str,
    entity_id: &str,
) -> Result<PreferencesForm, AppError> {
    let view = get(db, actor, entity_type, entity_id).await?;
    let mut stores: Vec<(String, String)> = store::Entity::find()
        .filter(store::Column::OrgId.eq(&actor.org_id))
        .all(db)
        .await?
        .into_iter()
        .map(|s| (s.id, s.name))
        .collect();
    stores.sort_by_key(|s| s.1.to_lowercase());
    Ok(PreferencesForm { view, stores, time_zones: super::settings::time_zones() })
}

/// Field errors of `settings` against the entity type's schema, named by their JSON path
/// ("date_format", "notifications.channels.quota_alert.0"); an unknown key by its own name.
fn schema_errors(entity_type: &str, settings: &Value) -> Vec<FieldError> {
    let validator = match jsonschema::validator_for(&schema(entity_type)) {
        Ok(v) => v,
        Err(e) => {
            tracing::error!(error = %e, "the preferences schema does not compile");
            return vec![FieldError { field: "settings".into(), message: "The preferences can't be checked.".into() }];
        }
    };
    let mut out: Vec<FieldError> = Vec::new();
    for e in validator.iter_errors(settings) {
        let path = e.instance_path().to_string().trim_start_matches('/').replace('/', ".");
        let (field, message) = match e.kind() {
            jsonschema::error::ValidationErrorKind::AdditionalProperties { unexpected } => {
                for key in unexpected {
                    let field = if path.is_empty() { key.clone() } else { format!("{path}.{key}") };
                    out.push(FieldError {
                        field,
                        message: format!("There is no setting called \u{201c}{key}\u{201d} here."),
                    });
                }
                continue;
            }
            jsonschema::error::ValidationErrorKind::Enum { options } => (path, format!("Choose one of {options}.")),
            jsonschema::error::ValidationErrorKind::UniqueItems => (path, "List each choice once.".to_string()),
            _ => (path, e.to_string()),
        };
        let field = if field.is_empty() { "settings".to_string() } else { field };
        if !out.iter().any(|f| f.field == field) {
            out.push(FieldError { field, message });
        }
    }
    out
}

/// Replaces an entity's own settings (an empty object clears them: everything inherited).
pub async fn put(
    db: &impl WriteConn,
    actor: &Actor,
    entity_type: &str,
    entity_id: &str,
    settings: Value,
) -> Result<PreferencesView, AppError> {
    // The body is checked before anything is looked up: a wrong key is named even for an
    // entity that does not exist.
    let mut v = Validator::new();
    v.check(ENTITY_TYPES.contains(&entity_type), "entity_type", "Choose org, team or user.");
    v.finish()?;
    if !settings.is_object() {
        return Err(AppError::invalid_fields(vec![FieldError {
            field: "settings".into(),
            message: "Send the preferences as a JSON object.".into(),
        }]));
    }
    let errors = schema_errors(entity_type, &settings);
    if !errors.is_empty() {
        return Err(AppError::invalid_fields(errors));
    }
    check(db, actor, entity_type, entity_id, Access::Edit).await?;
    let mut settings = settings;
    let mut v = Validator::new();
    if let Some(tz) = settings.get("time_zone").and_then(Value::as_str) {
        v.add("time_zone", super::settings::check_time_zone(tz));
    }
    if let Some(id) = settings.get("default_store_id").and_then(Value::as_str) {
        let found = store::Entity::find_by_id(id.to_string())
            .filter(store::Column::OrgId.eq(&actor.org_id))
            .one(db)
            .await?
            .is_some();
        v.check(found, "default_store_id", "Choose one of the organisation's stores.");
    }
    v.finish()?;
    // A person's channels and number follow the rules of the account page (a number in
    // international form, needed for SMS).
    if let Some(n) = settings.get("notifications").cloned() {
        let mut parsed: NotificationSettings = serde_json::from_value(n).map_err(|_| {
            AppError::invalid_fields(vec![FieldError {
                field: "notifications".into(),
                message: "Unknown channels.".into(),
            }])
        })?;
        let checked = if entity_type == "user" {
            parsed.checked()
        } else {
            parsed.sms_number = None;
            parsed.checked_defaults()
        };
        let checked = checked.map_err(|mut e| {
            for f in &mut e.fields {
                f.field = format!("notifications.{}", f.field);
            }
            e
        })?;
        let mut out = json!({"channels": checked.channels});
        if let Some(n) = checked.sms_number {
            out["sms_number"] = json!(n);
        }
        settings["notifications"] = out;
    }
    let before = own_settings(db, entity_type, entity_id).await?;
    let tx = begin_write(db).await?;
    write_own(&tx, &actor.org_id, entity_type, entity_id, &settings).await?;
    audit::append(
        &tx,
        &actor.org_id,
        &actor.audit_actor(),
        &actor.meta,
        NewEvent::new("preferences.updated", entity_type, Some(entity_id)).before(before).after(settings),
    )
    .await?;
    let out = view(&tx, actor, entity_type, entity_id, true).await?;
    tx.commit().await?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_zones_offsets_change_at_its_clock_changes() {
        let tz: chrono_tz::Tz = "Europe/Berlin".parse().unwrap();
        let around = chrono::DateTime::parse_from_rfc3339("2026-12-06T00:00:00Z").unwrap().with_timezone(&chrono::Utc);
        let o = super::offsets(&tz, around);
        // Summer time starts 2027-03-28 01:00 UTC.
        assert!(o.contains(&(1_806_195_600, 7200)), "{o:?}");
        assert_eq!(super::offsets(&chrono_tz::UTC, around).len(), 1);
    }
}
