//! Configuration templates (issue 15): export an org's configuration as one portable JSON
//! document (`domain::config::ConfigDocument`) and import one, with a diff, in one
//! transaction.
//!
//! - `export` reads the org's teams, custom roles, defaults, stores (permissions, limits,
//!   assistants), automation rules, quotas and preferences, and writes them by natural keys,
//!   sorted. It never reads secrets, keys, connector/SMS/SSO settings, people or audit.
//! - `import` reads the org as it is (the same `read`), works out the diff, then applies the
//!   document by calling the existing services (`teams`, `roles`, `stores`, `permissions`,
//!   `assistants`, `rules`, `spend`, `preferences`, `settings`) on one write transaction:
//!   each service runs in a savepoint of it (`db::begin_write` on a `WriteTx`), checks what
//!   it always checks and audits what it always audits; one `config.imported` event sums it
//!   up. Any refusal rolls the whole transaction back, and a dry run rolls back on purpose
//!   after applying, so its preview has passed every check an import would.
//!
//! Permission: `org.manage` at the org for both (an export is the org's whole set-up, and an
//! import can rename the org and remove stores, roles and teams). Sits above `automation` in
//! the import order; nothing imports it but `state`-level callers (api, REST, CLI).

use crate::domain::access::ScopeRef;
use crate::domain::action_settings::{LimitInput, PermissionPatch};
use crate::domain::assistants::{AssistantPatch, NewAssistant};
use crate::domain::config::{
    self, name_key, path_key, path_text, AssistantDoc, ConfigDiff, ConfigDocument, DefaultsDoc, ImportOutcome,
    LimitDoc, LimitKey, Names, OrgDoc, OwnerDoc, PermissionDoc, PersonPrefsDoc, QuotaDoc, RoleDoc, RuleDoc, StoreDoc,
    TeamDoc,
};
use crate::domain::error::FieldError;
use crate::domain::permission::Permission;
use crate::domain::rules::{ConditionInput, RuleInput};
use crate::domain::spend::{from_e4, QuotaInput};
use crate::domain::stores::{NewStore, StorePatch};
use crate::domain::{AppError, ErrorCode};
use crate::entities::{
    action_limit, action_permission, assistant, automation_rule, org, preference, quota, role, role_permission, store,
    team, user,
};
use crate::services::access::authz::authorize;
use crate::services::access::roles::{self, NewRole, RolePatch};
use crate::services::audit::{self, lock_org, NewEvent};
use crate::services::automation::rules;
use crate::services::infra::db::{begin_write, WriteTx};
use crate::services::org::preferences;
use crate::services::org::settings::{self, OrgSettingsPatch};
use crate::services::org::teams::{self, NewTeam};
use crate::services::spend;
use crate::services::stores::assistants;
use crate::services::stores::permissions;
use crate::services::stores::policy::PolicyCache;
use crate::services::Actor;
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter};
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap};

/// Database ids behind the natural keys of a document read from the org.
#[derive(Default)]
struct Ids {
    /// Team path key → id.
    teams: BTreeMap<Vec<String>, String>,
    roles: HashMap<String, String>,
    stores: HashMap<String, String>,
    /// (store key, assistant key) → id.
    assistants: HashMap<(String, String), String>,
    rules: HashMap<String, String>,
    quotas: HashMap<(OwnerDoc, String), String>,
    /// Email key → user id (every person of the org).
    people: HashMap<String, String>,
    /// (scope_type, scope_id) → limit key → limit id.
    limits: HashMap<(String, String), HashMap<LimitKey, String>>,
}

/// The operator of the server acting on `org` from the command line: every permission at
/// the org (the operator owns the server, as with `create-admin`), audited as the system
/// with `label` ("mandate config import").
pub async fn operator(db: &DatabaseConnection, org: &org::Model, label: &str) -> Result<Actor, AppError> {
    let grant = crate::domain::access::Grant {
        role_name: "Operator".into(),
        permissions: Permission::ALL.into_iter().collect(),
        scope: ScopeRef::Org,
    };
    Ok(Actor {
        org_id: org.id.clone(),
        org_slug: org.slug.clone(),
        kind: crate::services::ActorKind::Operator,
        id: "operator".into(),
        label: label.to_string(),
        access: std::sync::Arc::new(crate::services::access::Access {
            grants: vec![grant],
            tree: crate::services::access::load_tree(db, &org.id).await?,
        }),
        agent: None,
        meta: crate::services::RequestMeta { ip: None, request_id: Some("cli".into()) },
    })
}

/// `GET /api/v1/config/export`, `mandate config export`: the org's configuration.
pub async fn export(db: &DatabaseConnection, actor: &Actor) -> Result<ConfigDocument, AppError> {
    authorize(actor, Permission::OrgManage, &ScopeRef::Org)?;
    Ok(read(db, &actor.org_id).await?.0)
}

/// `POST /api/v1/config/import?dry_run=`, `mandate config import [--dry-run]`: applies `doc`
/// (already read by `domain::config::parse_document`) and answers the diff. A dry run, and
/// any refusal, changes nothing.
pub async fn import(
    db: &DatabaseConnection,
    cache: &PolicyCache,
    actor: &Actor,
    doc: ConfigDocument,
    dry_run: bool,
) -> Result<ImportOutcome, AppError> {
    authorize(actor, Permission::OrgManage, &ScopeRef::Org)?;
    config::check_document(&doc)?;
    let tx = begin_write(db).await?;
    // Serialises imports and every other audited change of the org (on both databases).
    lock_org(&tx, &actor.org_id).await?;
    let (current, ids) = read(&tx, &actor.org_id).await?;
    let catalog = cache.catalog(&tx).await?;
    let names = Names { actions: catalog.defs.values().map(|d| (d.id.clone(), d.name.clone())).collect() };

    // People are not configuration: preferences and quotas of someone without an account
    // here are left out (said in the warnings); people the file does not name keep theirs.
    let mut warnings = Vec::new();
    let mut doc = doc;
    let known = |email: &str| ids.people.contains_key(&name_key(email));
    doc.people_preferences.retain(|p| {
        let ok = known(&p.email);
        if !ok {
            warnings.push(format!("{} has no account here: their preferences were left out.", p.email));
        }
        ok
    });
    doc.quotas.retain(|q| match &q.owner {
        OwnerDoc::User { email } if !known(email) => {
            warnings.push(format!("{email} has no account here: the quota \u{201c}{}\u{201d} was left out.", q.name));
            false
        }
        _ => true,
    });
    let mut compared = current.clone();
    compared
        .people_preferences
        .retain(|p| doc.people_preferences.iter().any(|d| name_key(&d.email) == name_key(&p.email)));
    let mut diff: ConfigDiff = config::diff(&compared, &doc, &names);
    diff.warnings = warnings;

    if !diff.is_empty() {
        apply(&tx, cache, actor, &current, &ids, &doc).await?;
        let summary: Vec<Value> = diff
            .objects
            .iter()
            .map(|o| json!({"change": o.kind, "object_type": o.object_type, "object": o.object}))
            .collect();
        audit::append(
            &tx,
            &actor.org_id,
            &actor.audit_actor(),
            &actor.meta,
            NewEvent::new("config.imported", "org", Some(&actor.org_id)).after(json!({
                "added": diff.added, "changed": diff.changed, "removed": diff.removed,
                "objects": summary, "warnings": diff.warnings,
            })),
        )
        .await?;
    }
    if dry_run {
        tx.rollback().await?;
    } else {
        tx.commit().await?;
    }
    Ok(ImportOutcome { dry_run, applied: !dry_run && !diff.is_empty(), diff })
}

// ---------------------------------------------------------------------------------------
// Reading the org

fn stored_list(json: &str) -> Vec<String> {
    let mut v: Vec<String> = serde_json::from_str(json).unwrap_or_default();
    v.sort();
    v
}

fn limit_doc(r: &action_limit::Model) -> LimitDoc {
    LimitDoc {
        action_type: r.action_type.clone(),
        limit_type: r.limit_type.clone(),
        limit_value: r.limit_value.clone(),
        time_window_hours: r.time_window_hours.and_then(|h| u32::try_from(h).ok()),
        on_exceed: r.on_exceed.clone(),
        per_customer: r.per_customer,
    }
}

fn permission_doc(r: &action_permission::Model) -> PermissionDoc {
    PermissionDoc {
        action_type: r.action_type.clone(),
        enabled: r.enabled,
        requires_confirmation: r.requires_confirmation,
        confirmation_by: r.confirmation_by.clone(),
    }
}

/// A preferences object as the document holds it: `default_store_id` becomes
/// `default_store` (the store's name); a person's mobile number stays out (contact data).
fn prefs_out(settings: &str, store_names: &HashMap<String, String>) -> Value {
    let mut v: Value = serde_json::from_str(settings).unwrap_or_else(|_| json!({}));
    if let Some(obj) = v.as_object_mut() {
        if let Some(id) = obj.remove("default_store_id") {
            if let Some(name) = id.as_str().and_then(|id| store_names.get(id)) {
                obj.insert("default_store".into(), json!(name));
            }
        }
        if let Some(n) = obj.get_mut("notifications").and_then(Value::as_object_mut) {
            n.remove("sms_number");
        }
    }
    v
}

async fn read<C: ConnectionTrait>(conn: &C, org_id: &str) -> Result<(ConfigDocument, Ids), AppError> {
    let mut ids = Ids::default();
    let o = org::Entity::find_by_id(org_id.to_string())
        .one(conn)
        .await?
        .ok_or_else(|| AppError::not_found("Organisation"))?;
    let prefs = preference::Entity::find().filter(preference::Column::OrgId.eq(org_id)).all(conn).await?;
    let pref_of =
        |t: &str, id: &str| prefs.iter().find(|p| p.entity_type == t && p.entity_id == id).map(|p| p.settings.clone());

    let stores = store::Entity::find().filter(store::Column::OrgId.eq(org_id)).all(conn).await?;
    let store_names: HashMap<String, String> = stores.iter().map(|s| (s.id.clone(), s.name.clone())).collect();
    let prefs_doc =
        |t: &str, id: &str| pref_of(t, id).map(|s| prefs_out(&s, &store_names)).unwrap_or_else(|| json!({}));

    // Teams by path.
    let team_rows = team::Entity::find().filter(team::Column::OrgId.eq(org_id)).all(conn).await?;
    let parent: HashMap<&str, Option<&str>> =
        team_rows.iter().map(|t| (t.id.as_str(), t.parent_team_id.as_deref())).collect();
    let name_of: HashMap<&str, &str> = team_rows.iter().map(|t| (t.id.as_str(), t.name.as_str())).collect();
    let path_of = |id: &str| -> Vec<String> {
        let mut path = Vec::new();
        let mut at = Some(id);
        while let Some(t) = at {
            if path.len() > team_rows.len() {
                break;
            }
            path.push(name_of.get(t).copied().unwrap_or_default().to_string());
            at = parent.get(t).copied().flatten();
        }
        path.reverse();
        path
    };
    let mut teams = Vec::new();
    for t in &team_rows {
        let path = path_of(&t.id);
        ids.teams.insert(path_key(&path), t.id.clone());
        teams.push(TeamDoc { path, preferences: prefs_doc("team", &t.id) });
    }

    // Custom roles.
    let role_rows = role::Entity::find().filter(role::Column::OrgId.eq(org_id)).all(conn).await?;
    let mut roles_out = Vec::new();
    for r in role_rows.iter().filter(|r| !r.built_in) {
        let perms: Vec<String> = role_permission::Entity::find()
            .filter(role_permission::Column::RoleId.eq(r.id.as_str()))
            .all(conn)
            .await?
            .into_iter()
            .map(|p| p.permission)
            .collect();
        ids.roles.insert(name_key(&r.name), r.id.clone());
        roles_out.push(RoleDoc { name: r.name.clone(), description: r.description.clone(), permissions: perms });
    }

    // Permissions and limits of every scope.
    let perm_rows =
        action_permission::Entity::find().filter(action_permission::Column::OrgId.eq(org_id)).all(conn).await?;
    let limit_rows = action_limit::Entity::find().filter(action_limit::Column::OrgId.eq(org_id)).all(conn).await?;
    for l in &limit_rows {
        ids.limits
            .entry((l.scope_type.clone(), l.scope_id.clone()))
            .or_default()
            .insert(limit_doc(l).key(), l.id.clone());
    }
    let perms_at = |t: &str, id: &str| -> Vec<PermissionDoc> {
        perm_rows.iter().filter(|r| r.scope_type == t && r.scope_id == id).map(permission_doc).collect()
    };
    let limits_at = |t: &str, id: &str| -> Vec<LimitDoc> {
        limit_rows.iter().filter(|r| r.scope_type == t && r.scope_id == id).map(limit_doc).collect()
    };

    let assistant_rows = assistant::Entity::find().filter(assistant::Column::OrgId.eq(org_id)).all(conn).await?;
    let mut stores_out = Vec::new();
    for s in &stores {
        ids.stores.insert(name_key(&s.name), s.id.clone());
        let mut assistants_out = Vec::new();
        for a in assistant_rows.iter().filter(|a| a.store_id == s.id) {
            ids.assistants.insert((name_key(&s.name), name_key(&a.name)), a.id.clone());
            assistants_out.push(AssistantDoc {
                name: a.name.clone(),
                description: a.description.clone(),
                status: a.status.clone(),
                allowed_actions: stored_list(&a.allowed_actions),
                limits: limits_at("assistant", &a.id),
            });
        }
        stores_out.push(StoreDoc {
            name: s.name.clone(),
            platform: s.platform.clone(),
            currency: s.currency.clone(),
            team: s.team_id.as_deref().map(&path_of),
            default_allowed_actions: stored_list(&s.default_allowed_actions),
            permissions: perms_at("store", &s.id),
            limits: limits_at("store", &s.id),
            assistants: assistants_out,
        });
    }

    let rule_rows = automation_rule::Entity::find().filter(automation_rule::Column::OrgId.eq(org_id)).all(conn).await?;
    let mut rules_out = Vec::new();
    for r in &rule_rows {
        let d = rules::definition_of(r);
        ids.rules.insert(name_key(&d.name), r.id.clone());
        let conditions: Vec<ConditionInput> =
            serde_json::from_value(serde_json::to_value(&d.conditions).unwrap_or_default()).unwrap_or_default();
        rules_out.push(RuleDoc {
            name: d.name,
            description: d.description,
            module_type: d.module_type,
            trigger_id: d.trigger_id,
            store: d.store_id.as_ref().and_then(|id| store_names.get(id).cloned()),
            conditions,
            actions: d.actions,
            is_active: d.is_active,
        });
    }

    let people = user::Entity::find().filter(user::Column::OrgId.eq(org_id)).all(conn).await?;
    for u in &people {
        ids.people.insert(name_key(&u.email), u.id.clone());
    }
    let email_of: HashMap<&str, &str> = people.iter().map(|u| (u.id.as_str(), u.email.as_str())).collect();
    let assistant_of: HashMap<&str, &assistant::Model> = assistant_rows.iter().map(|a| (a.id.as_str(), a)).collect();

    let quota_rows = quota::Entity::find().filter(quota::Column::OrgId.eq(org_id)).all(conn).await?;
    let mut quotas_out = Vec::new();
    for q in &quota_rows {
        let id = q.entity_id.as_deref().unwrap_or_default();
        let owner = match q.entity_type.as_str() {
            "team" if name_of.contains_key(id) => OwnerDoc::Team { path: path_of(id) },
            "user" => match email_of.get(id) {
                Some(e) => OwnerDoc::User { email: e.to_string() },
                None => continue,
            },
            "assistant" => match assistant_of.get(id) {
                Some(a) => OwnerDoc::Assistant {
                    store: store_names.get(&a.store_id).cloned().unwrap_or_default(),
                    assistant: a.name.clone(),
                },
                None => continue,
            },
            "org" => OwnerDoc::Org,
            _ => continue,
        };
        ids.quotas.insert((config::owner_key(&owner), name_key(&q.name)), q.id.clone());
        let limit =
            if q.metric == "count" { (q.limit_e4 / 10_000).to_string() } else { from_e4(q.limit_e4).to_string() };
        let mut alert_thresholds: Vec<u32> = serde_json::from_str(&q.alert_thresholds).unwrap_or_default();
        alert_thresholds.sort();
        quotas_out.push(QuotaDoc {
            name: q.name.clone(),
            owner,
            item_type: q.item_type.clone(),
            metric: q.metric.clone(),
            limit,
            currency: q.currency.clone(),
            period: q.period.clone(),
            enforce: q.enforce,
            alert_thresholds,
        });
    }

    let mut people_out = Vec::new();
    for u in &people {
        if let Some(s) = pref_of("user", &u.id) {
            let p = prefs_out(&s, &store_names);
            if p.as_object().is_some_and(|m| !m.is_empty()) {
                people_out.push(PersonPrefsDoc { email: u.email.clone(), preferences: p });
            }
        }
    }

    let mut doc = ConfigDocument {
        format: config::FORMAT.into(),
        version: config::VERSION,
        org: OrgDoc {
            name: o.name.clone(),
            address: o.address.clone(),
            contact_email: o.contact_email.clone(),
            contact_phone: o.contact_phone.clone(),
            time_zone: o.time_zone.clone(),
            default_currency: o.default_currency.clone(),
            preferences: prefs_doc("org", &o.id),
        },
        teams,
        roles: roles_out,
        defaults: DefaultsDoc { permissions: perms_at("org", org_id), limits: limits_at("org", org_id) },
        stores: stores_out,
        automation_rules: rules_out,
        quotas: quotas_out,
        people_preferences: people_out,
    };
    doc.sort();
    Ok((doc, ids))
}

// ---------------------------------------------------------------------------------------
// Applying a document

/// An error of a service, placed in the document: its fields prefixed with where the object
/// is (`stores[1].limits[0].limit_value`), its message with what the object is.
fn within(e: AppError, at: &str, what: &str) -> AppError {
    if matches!(e.code, ErrorCode::InternalError | ErrorCode::TransientFailure) {
        return e;
    }
    let fields = if e.fields.is_empty() {
        vec![FieldError { field: at.to_string(), message: e.message.clone() }]
    } else {
        e.fields
            .iter()
            .map(|f| FieldError { field: format!("{at}.{}", f.field), message: format!("{what}: {}", f.message) })
            .collect()
    };
    AppError { message: format!("{what}: {}", e.message), fields, ..e }
}

fn quoted(s: &str) -> String {
    format!("\u{201c}{s}\u{201d}")
}

async fn apply(
    tx: &WriteTx,
    cache: &PolicyCache,
    actor: &Actor,
    current: &ConfigDocument,
    ids: &Ids,
    doc: &ConfigDocument,
) -> Result<(), AppError> {
    let catalog = cache.catalog(tx).await?;

    // The profile.
    let (a, b) = (&current.org, &doc.org);
    let changed = |x: &str, y: &str| (x != y).then(|| y.to_string());
    let patch = OrgSettingsPatch {
        name: changed(&a.name, &b.name),
        require_mfa: None,
        address: changed(&a.address, &b.address),
        contact_email: changed(&a.contact_email, &b.contact_email),
        contact_phone: changed(&a.contact_phone, &b.contact_phone),
        time_zone: changed(&a.time_zone, &b.time_zone),
        default_currency: changed(&a.default_currency, &b.default_currency),
    };
    settings::update(tx, actor, patch).await.map_err(|e| within(e, "org", "The organisation's profile"))?;

    // Roles.
    for (i, r) in doc.roles.iter().enumerate() {
        let at = format!("roles[{i}]");
        let what = format!("Role {}", quoted(&r.name));
        match (ids.roles.get(&name_key(&r.name)), current.roles.iter().find(|c| name_key(&c.name) == name_key(&r.name)))
        {
            (Some(id), Some(c)) => {
                let mut want = r.permissions.clone();
                want.sort();
                if c.name != r.name || c.description != r.description || c.permissions != want {
                    let patch = RolePatch {
                        name: Some(r.name.clone()),
                        description: Some(r.description.clone()),
                        permissions: Some(r.permissions.clone()),
                    };
                    roles::update(tx, actor, id, patch).await.map_err(|e| within(e, &at, &what))?;
                }
            }
            _ => {
                let input = NewRole {
                    name: r.name.clone(),
                    description: r.description.clone(),
                    permissions: r.permissions.clone(),
                };
                roles::create(tx, actor, input).await.map_err(|e| within(e, &at, &what))?;
            }
        }
    }
    for r in &current.roles {
        if !doc.roles.iter().any(|d| name_key(&d.name) == name_key(&r.name)) {
            if let Some(id) = ids.roles.get(&name_key(&r.name)) {
                roles::delete(tx, actor, id)
                    .await
                    .map_err(|e| within(e, "roles", &format!("Role {}", quoted(&r.name))))?;
            }
        }
    }

    // Teams: new ones top down.
    let mut team_ids = ids.teams.clone();
    let mut order: Vec<(usize, &TeamDoc)> = doc.teams.iter().enumerate().collect();
    order.sort_by_key(|(_, t)| t.path.len());
    for (i, t) in order {
        let key = path_key(&t.path);
        if team_ids.contains_key(&key) {
            continue;
        }
        let parent = (t.path.len() > 1).then(|| team_ids.get(&key[..key.len() - 1]).cloned()).flatten();
        let input = NewTeam { name: t.path.last().cloned().unwrap_or_default(), parent_team_id: parent };
        let what = format!("Team {}", quoted(&path_text(&t.path)));
        let created = teams::create(tx, actor, input).await.map_err(|e| within(e, &format!("teams[{i}]"), &what))?;
        team_ids.insert(key, created.id);
    }

    // The org's defaults.
    for (i, p) in doc.defaults.permissions.iter().enumerate() {
        if current.defaults.permissions.iter().any(|c| c == p) {
            continue;
        }
        let what = format!("Default for new stores ({})", p.action_type);
        permissions::set_org_default(tx, &catalog, actor, &p.action_type, permission_patch(p))
            .await
            .map_err(|e| within(e, &format!("defaults.permissions[{i}]"), &what))?;
    }
    apply_limits(
        tx,
        &catalog,
        actor,
        ids,
        ("org", &actor.org_id),
        &current.defaults.limits,
        &doc.defaults.limits,
        "defaults.limits",
        "Limits for every store",
    )
    .await?;

    // Stores, their settings and assistants.
    let mut store_ids: HashMap<String, String> = ids.stores.clone();
    for (i, s) in doc.stores.iter().enumerate() {
        let at = format!("stores[{i}]");
        let what = format!("Store {}", quoted(&s.name));
        let team_id = match &s.team {
            Some(p) => Some(
                team_ids
                    .get(&path_key(p))
                    .cloned()
                    .ok_or_else(|| within(AppError::not_found("Team"), &format!("{at}.team"), &what))?,
            ),
            None => None,
        };
        let key = name_key(&s.name);
        let before = current.stores.iter().find(|c| name_key(&c.name) == key);
        let store_id = match (store_ids.get(&key).cloned(), before) {
            (Some(id), Some(c)) => {
                if c.platform != s.platform {
                    return Err(within(
                        AppError::invalid_fields(vec![FieldError {
                            field: "platform".into(),
                            message: format!(
                                "A store's platform can't change (it is {}, the file says {}). Create a new store instead.",
                                c.platform, s.platform
                            ),
                        }]),
                        &at,
                        &what,
                    ));
                }
                let mut defaults = s.default_allowed_actions.clone();
                defaults.sort();
                if c.name != s.name
                    || c.currency != s.currency
                    || c.team != s.team
                    || c.default_allowed_actions != defaults
                {
                    let patch = StorePatch {
                        name: Some(s.name.clone()),
                        currency: Some(s.currency.clone()),
                        team_id: Some(team_id.clone()),
                        actions_paused: None,
                        default_allowed_actions: Some(s.default_allowed_actions.clone()),
                    };
                    crate::services::stores::update(tx, cache, actor, &id, patch)
                        .await
                        .map_err(|e| within(e, &at, &what))?;
                }
                id
            }
            _ => {
                let input = NewStore {
                    name: s.name.clone(),
                    currency: s.currency.clone(),
                    platform: Some(s.platform.clone()),
                    team_id: team_id.clone(),
                    default_allowed_actions: Some(s.default_allowed_actions.clone()),
                };
                let created = crate::services::stores::create(tx, cache, actor, input)
                    .await
                    .map_err(|e| within(e, &at, &what))?;
                store_ids.insert(key.clone(), created.id.clone());
                created.id
            }
        };
        // Permissions: compared with the store's rows as they are now (a new store has one
        // per catalog action, copied from the org's defaults).
        let rows: Vec<PermissionDoc> = action_permission::Entity::find()
            .filter(action_permission::Column::OrgId.eq(actor.org_id.as_str()))
            .filter(action_permission::Column::ScopeType.eq("store"))
            .filter(action_permission::Column::ScopeId.eq(store_id.as_str()))
            .all(tx)
            .await?
            .iter()
            .map(permission_doc)
            .collect();
        for (j, p) in s.permissions.iter().enumerate() {
            if rows.iter().any(|r| r == p) {
                continue;
            }
            permissions::set(tx, &catalog, actor, &store_id, &p.action_type, permission_patch(p))
                .await
                .map_err(|e| within(e, &format!("{at}.permissions[{j}]"), &what))?;
        }
        let empty = Vec::new();
        let old_limits = before.map_or(&empty, |c| &c.limits);
        apply_limits(
            tx,
            &catalog,
            actor,
            ids,
            ("store", &store_id),
            old_limits,
            &s.limits,
            &format!("{at}.limits"),
            &what,
        )
        .await?;

        // Assistants.
        let empty_assistants = Vec::new();
        let old_assistants = before.map_or(&empty_assistants, |c| &c.assistants);
        for (j, a) in s.assistants.iter().enumerate() {
            let at = format!("{at}.assistants[{j}]");
            let what = format!("Assistant {} of store {}", quoted(&a.name), quoted(&s.name));
            let akey = (key.clone(), name_key(&a.name));
            let old = old_assistants.iter().find(|o| name_key(&o.name) == akey.1);
            let id = match (ids.assistants.get(&akey), old) {
                (Some(id), Some(o)) => {
                    if o.name != a.name || o.description != a.description || o.status != a.status {
                        let patch = AssistantPatch {
                            name: Some(a.name.clone()),
                            description: Some(a.description.clone()),
                            status: Some(a.status.clone()),
                        };
                        assistants::update(tx, actor, id, patch).await.map_err(|e| within(e, &at, &what))?;
                    }
                    let mut want = a.allowed_actions.clone();
                    want.sort();
                    if o.allowed_actions != want {
                        assistants::set_allowed_actions(tx, cache, actor, id, a.allowed_actions.clone())
                            .await
                            .map_err(|e| within(e, &format!("{at}.allowed_actions"), &what))?;
                    }
                    id.clone()
                }
                _ => {
                    let input = NewAssistant {
                        store_id: store_id.clone(),
                        name: a.name.clone(),
                        description: Some(a.description.clone()),
                        allowed_actions: Some(a.allowed_actions.clone()),
                    };
                    let created =
                        assistants::create(tx, cache, actor, input).await.map_err(|e| within(e, &at, &what))?;
                    if a.status != "active" {
                        let patch = AssistantPatch { status: Some(a.status.clone()), ..Default::default() };
                        assistants::update(tx, actor, &created.id, patch).await.map_err(|e| within(e, &at, &what))?;
                    }
                    created.id
                }
            };
            let empty = Vec::new();
            apply_limits(
                tx,
                &catalog,
                actor,
                ids,
                ("assistant", &id),
                old.map_or(&empty, |o| &o.limits),
                &a.limits,
                &format!("{at}.limits"),
                &what,
            )
            .await?;
        }
        for o in old_assistants {
            if !s.assistants.iter().any(|a| name_key(&a.name) == name_key(&o.name)) {
                if let Some(id) = ids.assistants.get(&(key.clone(), name_key(&o.name))) {
                    let what = format!("Assistant {} of store {}", quoted(&o.name), quoted(&s.name));
                    assistants::delete(tx, actor, id).await.map_err(|e| within(e, &at, &what))?;
                }
            }
        }
    }
    for c in &current.stores {
        if !doc.stores.iter().any(|s| name_key(&s.name) == name_key(&c.name)) {
            if let Some(id) = ids.stores.get(&name_key(&c.name)) {
                crate::services::stores::delete(tx, actor, id)
                    .await
                    .map_err(|e| within(e, "stores", &format!("Store {}", quoted(&c.name))))?;
            }
        }
    }

    // Teams the file no longer lists: the deepest first, and only empty of people (their
    // stores were moved above; people are not configuration, so they are never moved).
    let mut gone: Vec<&TeamDoc> =
        current.teams.iter().filter(|c| !doc.teams.iter().any(|t| path_key(&t.path) == path_key(&c.path))).collect();
    gone.sort_by_key(|t| std::cmp::Reverse(t.path.len()));
    for t in gone {
        if let Some(id) = ids.teams.get(&path_key(&t.path)) {
            teams::delete(tx, actor, id, None)
                .await
                .map_err(|e| within(e, "teams", &format!("Team {}", quoted(&path_text(&t.path)))))?;
        }
    }

    // Preferences (after the stores, which `default_store` names).
    let prefs_in = |v: &Value, at: &str, what: &str| -> Result<Value, AppError> {
        let mut v = v.clone();
        if let Some(obj) = v.as_object_mut() {
            if let Some(name) = obj.remove("default_store") {
                let id = name.as_str().and_then(|n| store_ids.get(&name_key(n))).ok_or_else(|| {
                    within(
                        AppError::invalid_fields(vec![FieldError {
                            field: "default_store".into(),
                            message: format!("There is no store called {name} in the file."),
                        }]),
                        at,
                        what,
                    )
                })?;
                obj.insert("default_store_id".into(), json!(id));
            }
        }
        Ok(v)
    };
    if current.org.preferences != doc.org.preferences {
        let what = "The organisation's preferences";
        let v = prefs_in(&doc.org.preferences, "org.preferences", what)?;
        preferences::put(tx, actor, "org", &actor.org_id, v).await.map_err(|e| within(e, "org.preferences", what))?;
    }
    for (i, t) in doc.teams.iter().enumerate() {
        let old = current.teams.iter().find(|c| path_key(&c.path) == path_key(&t.path)).map(|c| &c.preferences);
        let empty = json!({});
        if old.unwrap_or(&empty) == &t.preferences {
            continue;
        }
        let at = format!("teams[{i}].preferences");
        let what = format!("Preferences of team {}", quoted(&path_text(&t.path)));
        let id = team_ids.get(&path_key(&t.path)).cloned().unwrap_or_default();
        let v = prefs_in(&t.preferences, &at, &what)?;
        preferences::put(tx, actor, "team", &id, v).await.map_err(|e| within(e, &at, &what))?;
    }
    for (i, p) in doc.people_preferences.iter().enumerate() {
        let old = current.people_preferences.iter().find(|c| name_key(&c.email) == name_key(&p.email));
        if old.map(|o| &o.preferences) == Some(&p.preferences) {
            continue;
        }
        let Some(id) = ids.people.get(&name_key(&p.email)) else { continue };
        let at = format!("people_preferences[{i}].preferences");
        let what = format!("Preferences of {}", p.email);
        let mut v = prefs_in(&p.preferences, &at, &what)?;
        // The person's own mobile number is not in the file: it stays.
        let own = preferences::own_settings(tx, "user", id).await?;
        if let Some(n) = own.get("notifications").and_then(|n| n.get("sms_number")).cloned() {
            if let Some(obj) = v.as_object_mut() {
                let notifications = obj.entry("notifications").or_insert_with(|| json!({}));
                if let Some(no) = notifications.as_object_mut() {
                    no.insert("sms_number".into(), n);
                }
            }
        }
        preferences::put(tx, actor, "user", id, v).await.map_err(|e| within(e, &at, &what))?;
    }

    // Automation rules.
    for (i, r) in doc.automation_rules.iter().enumerate() {
        let at = format!("automation_rules[{i}]");
        let what = format!("Automation rule {}", quoted(&r.name));
        let old = current.automation_rules.iter().find(|c| name_key(&c.name) == name_key(&r.name));
        if old == Some(r) {
            continue;
        }
        let store_id = r.store.as_ref().and_then(|s| store_ids.get(&name_key(s)).cloned());
        let input = RuleInput {
            name: Some(r.name.clone()),
            description: Some(r.description.clone()),
            module_type: Some(r.module_type.clone()),
            trigger_id: Some(r.trigger_id.clone()),
            store_id: Some(store_id),
            conditions: Some(r.conditions.clone()),
            actions: Some(r.actions.clone()),
            is_active: Some(r.is_active),
        };
        match ids.rules.get(&name_key(&r.name)) {
            Some(id) => rules::update(tx, cache, actor, id, input).await.map(|_| ()),
            None => rules::create(tx, cache, actor, input).await.map(|_| ()),
        }
        .map_err(|e| within(e, &at, &what))?;
    }
    for c in &current.automation_rules {
        if !doc.automation_rules.iter().any(|r| name_key(&r.name) == name_key(&c.name)) {
            if let Some(id) = ids.rules.get(&name_key(&c.name)) {
                rules::delete(tx, actor, id)
                    .await
                    .map_err(|e| within(e, "automation_rules", &format!("Automation rule {}", quoted(&c.name))))?;
            }
        }
    }

    // Quotas.
    for (i, q) in doc.quotas.iter().enumerate() {
        let at = format!("quotas[{i}]");
        let what = format!("Quota {} of {}", quoted(&q.name), q.owner.words());
        let key = (config::owner_key(&q.owner), name_key(&q.name));
        let old = current.quotas.iter().find(|c| (config::owner_key(&c.owner), name_key(&c.name)) == key);
        if old == Some(q) {
            continue;
        }
        let (entity_type, entity_id) = match &q.owner {
            OwnerDoc::Org => ("org", None),
            OwnerDoc::Team { path } => ("team", team_ids.get(&path_key(path)).cloned()),
            OwnerDoc::User { email } => ("user", ids.people.get(&name_key(email)).cloned()),
            OwnerDoc::Assistant { store, assistant: name } => {
                let sid = store_ids.get(&name_key(store)).cloned().unwrap_or_default();
                let found = assistant::Entity::find()
                    .filter(assistant::Column::OrgId.eq(actor.org_id.as_str()))
                    .filter(assistant::Column::StoreId.eq(sid))
                    .all(tx)
                    .await?
                    .into_iter()
                    .find(|a| name_key(&a.name) == name_key(name))
                    .map(|a| a.id);
                ("assistant", found)
            }
        };
        let input = QuotaInput {
            name: Some(q.name.clone()),
            entity_type: Some(entity_type.to_string()),
            entity_id,
            item_type: Some(q.item_type.clone()),
            metric: Some(q.metric.clone()),
            limit: Some(json!(q.limit)),
            currency: q.currency.clone(),
            period: Some(q.period.clone()),
            enforce: Some(q.enforce),
            alert_thresholds: Some(q.alert_thresholds.clone()),
        };
        match ids.quotas.get(&key) {
            Some(id) => spend::update(tx, actor, id, input).await.map(|_| ()),
            None => spend::create(tx, actor, input).await.map(|_| ()),
        }
        .map_err(|e| within(e, &at, &what))?;
    }
    for c in &current.quotas {
        let key = (config::owner_key(&c.owner), name_key(&c.name));
        if !doc.quotas.iter().any(|q| (config::owner_key(&q.owner), name_key(&q.name)) == key) {
            // A quota of someone the file left out (no account here) is not the file's to remove.
            if let Some(id) = ids.quotas.get(&key) {
                spend::delete(tx, actor, id)
                    .await
                    .map_err(|e| within(e, "quotas", &format!("Quota {} of {}", quoted(&c.name), c.owner.words())))?;
            }
        }
    }
    Ok(())
}

fn permission_patch(p: &PermissionDoc) -> PermissionPatch {
    PermissionPatch {
        enabled: Some(p.enabled),
        requires_confirmation: Some(p.requires_confirmation),
        confirmation_by: Some(p.confirmation_by.clone()),
    }
}

/// Brings one scope's limits to what the file says: upserts the new and changed ones,
/// deletes the ones it no longer lists.
#[allow(clippy::too_many_arguments)]
async fn apply_limits(
    tx: &WriteTx,
    catalog: &crate::services::stores::catalog::Catalog,
    actor: &Actor,
    ids: &Ids,
    scope: (&str, &str),
    old: &[LimitDoc],
    new: &[LimitDoc],
    at: &str,
    what: &str,
) -> Result<(), AppError> {
    let (scope_type, scope_id) = scope;
    for (i, l) in new.iter().enumerate() {
        if old
            .iter()
            .any(|o| o.key() == l.key() && o.limit_value == l.limit_value && o.time_window_hours == l.time_window_hours)
        {
            continue;
        }
        let input = LimitInput {
            scope_type: Some(scope_type.to_string()),
            scope_id: Some(scope_id.to_string()),
            store_id: None,
            assistant_id: None,
            action_type: l.action_type.clone(),
            limit_type: l.limit_type.clone(),
            limit_value: l.limit_value.clone(),
            time_window_hours: l.time_window_hours.map(|h| h.to_string()),
            on_exceed: Some(l.on_exceed.clone()),
            per_customer: Some(l.per_customer),
        };
        permissions::upsert_limit(tx, catalog, actor, input)
            .await
            .map_err(|e| within(e, &format!("{at}[{i}]"), what))?;
    }
    let existing = ids.limits.get(&(scope_type.to_string(), scope_id.to_string()));
    for o in old {
        if new.iter().any(|l| l.key() == o.key()) {
            continue;
        }
        if let Some(id) = existing.and_then(|m| m.get(&o.key())) {
            permissions::delete_limit(tx, actor, id).await.map_err(|e| within(e, at, what))?;
        }
    }
    Ok(())
}
