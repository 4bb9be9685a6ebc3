//! §2 Spend and quotas, §4 Spend: expenditure records (one or a batch, with idempotency),
//! quotas (create, list, change, delete), an entity's usage in a period with its quotas'
//! use and forecast, and (in `usage`) what an invoke's decision reads and records.
//!
//! Permissions: a quota is managed with `quotas.manage` at its entity's scope (the org; a
//! team; a user's team, or the org for a user without one; an assistant's store); usage and
//! quotas are read with `usage.read` there. Recording spend needs `quotas.manage` at the
//! entity's scope, or an agent key recording its own assistant's spend. Every change is
//! audited; recording spend is not a configuration change and is audited as one
//! `expenditures.recorded` event per request.
//!
//! Depends on `access`, `audit`, `org` (the outbox); `gateway` uses `usage` to enforce
//! quotas in the invoke transaction.

pub mod jobs;
pub mod usage;

use crate::domain::access::{Need, ScopeRef};
use crate::domain::audit::canonical_json;
use crate::domain::error::{ErrorCode, FieldError, Validator};
use crate::domain::permission::Permission;
use crate::domain::spend::{
    forecast_e4, from_e4, percent, NewExpenditure, QuotaDefinition, QuotaInput, QuotaView, UsageReport, UsageTotal,
    MAX_BATCH, PERIODS,
};
use crate::domain::AppError;
use crate::entities::{api_idempotency, expenditure_record as record, quota, user};
use crate::services::access::authz::{authorize, authorize_somewhere, can};
use crate::services::access::lookup::{find_assistant, find_team};
use crate::services::audit::{self, lock_org, NewEvent};
use crate::services::infra::db::{begin_write, is_unique_violation, new_id, now, rfc3339, WriteConn};
use crate::services::{Actor, ActorKind};
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, Set,
};
use serde::Deserialize;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

/// The scope an entity is managed and read at; NOT_FOUND for an entity of another org.
async fn scope_of<C: ConnectionTrait>(
    conn: &C,
    actor: &Actor,
    entity_type: &str,
    entity_id: Option<&str>,
) -> Result<ScopeRef, AppError> {
    let id = entity_id.unwrap_or_default();
    Ok(match entity_type {
        "team" => ScopeRef::Team(find_team(conn, &actor.org_id, id).await?.id),
        "user" => {
            let u = user::Entity::find_by_id(id.to_string())
                .filter(user::Column::OrgId.eq(&actor.org_id))
                .one(conn)
                .await?
                .ok_or_else(|| AppError::not_found("Person"))?;
            u.team_id.map(ScopeRef::Team).unwrap_or(ScopeRef::Org)
        }
        "assistant" => ScopeRef::Store(find_assistant(conn, &actor.org_id, id).await?.store_id),
        _ => ScopeRef::Org,
    })
}

// ---------------------------------------------------------------------------------------
// Expenditures

/// The answer to recording spend: `{ids, count}`, and whether it is the stored answer to an
/// earlier request with the same Idempotency-Key.
#[derive(Clone, Debug, PartialEq)]
pub struct Recorded {
    pub body: Value,
    pub replayed: bool,
}

/// `POST /api/v1/expenditures`: one record, or `{records: [...]}` (at most 1,000).
#[derive(Clone, Debug)]
pub enum ExpenditureBody {
    Batch(Vec<NewExpenditure>),
    One(NewExpenditure),
}

/// A body with `records` is a batch (and may hold nothing else); any other is one record.
/// Read by hand so an unknown field is named (an untagged enum would only say "no variant").
impl<'de> Deserialize<'de> for ExpenditureBody {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let mut body = serde_json::Map::<String, Value>::deserialize(d)?;
        match body.remove("records") {
            Some(records) => {
                if let Some(unknown) = body.keys().next() {
                    return Err(D::Error::unknown_field(unknown, &["records"]));
                }
                Vec::<NewExpenditure>::deserialize(records).map(ExpenditureBody::Batch).map_err(D::Error::custom)
            }
            None => {
                NewExpenditure::deserialize(Value::Object(body)).map(ExpenditureBody::One).map_err(D::Error::custom)
            }
        }
    }
}

/// Records the spend (all of a batch or none), answering 201 `{ids, count}`. The same
/// Idempotency-Key with the same body answers the first time's answer again.
pub async fn record(
    db: &DatabaseConnection,
    actor: &Actor,
    body: ExpenditureBody,
    idempotency_key: Option<&str>,
) -> Result<Recorded, AppError> {
    let (records, batch) = match body {
        ExpenditureBody::Batch(records) => (records, true),
        ExpenditureBody::One(r) => (vec![r], false),
    };
    if records.is_empty() || records.len() > MAX_BATCH {
        return Err(AppError::invalid_fields(vec![FieldError {
            field: "records".into(),
            message: format!("Send 1 to {MAX_BATCH} records."),
        }]));
    }
    let mut v = Validator::new();
    let checked: Vec<_> = records
        .iter()
        .enumerate()
        .filter_map(|(i, r)| r.check(&if batch { format!("records.{i}") } else { String::new() }, &mut v))
        .collect();
    v.finish()?;
    // Who may: each entity's scope (looked up once per distinct entity).
    let mut seen = std::collections::BTreeSet::new();
    for r in &checked {
        if !seen.insert((r.entity_type.clone(), r.entity_id.clone())) {
            continue;
        }
        let scope = scope_of(db, actor, &r.entity_type, r.entity_id.as_deref()).await?;
        match &actor.agent {
            Some(b) => {
                let own = r.entity_type == "assistant" && b.assistant_id.is_some() && b.assistant_id == r.entity_id;
                if !own {
                    return Err(AppError::permission_denied(
                        "An agent key records only its own assistant's spend (entity_type assistant).",
                    ));
                }
            }
            None => authorize(actor, Permission::QuotasManage, &scope)?,
        }
    }
    let key = idempotency_key.map(str::trim).filter(|k| !k.is_empty());
    let hash = hex::encode(Sha256::digest(canonical_json(&json!(records)).as_bytes()));
    if let Some(k) = key {
        crate::domain::actions::check_idempotency_key(k)?;
        if let Some(done) = stored_answer(db, actor, k).await? {
            return replay(done, &hash);
        }
    }
    let at = now();
    let tx = begin_write(db).await?;
    lock_org(&tx, &actor.org_id).await?;
    let mut ids = Vec::new();
    for r in &checked {
        let id = usage::record(
            &tx,
            usage::NewRecord {
                org_id: &actor.org_id,
                entity_type: &r.entity_type,
                entity_id: r.entity_id.as_deref(),
                amount_e4: r.amount_e4,
                currency: &r.currency,
                item_type: &r.item_type,
                item_id: r.item_id.as_deref(),
                action_id: None,
                occurred_at: r.occurred_at.unwrap_or(at),
            },
        )
        .await?;
        ids.push(id);
    }
    let body = json!({"ids": ids, "count": ids.len()});
    if let Some(k) = key {
        let saved = api_idempotency::ActiveModel {
            id: Set(new_id()),
            org_id: Set(actor.org_id.clone()),
            scope: Set(format!("expenditures:{}", actor.id)),
            key: Set(k.to_string()),
            request_hash: Set(hash.clone()),
            response_status: Set(201),
            response: Set(body.to_string()),
            created_at: Set(at),
        }
        .insert(&tx)
        .await;
        if let Err(e) = saved {
            if is_unique_violation(&e) {
                tx.rollback().await?;
                return match stored_answer(db, actor, k).await? {
                    Some(done) => replay(done, &hash),
                    None => Err(AppError::conflict("A request with this Idempotency-Key is being processed.")),
                };
            }
            return Err(e.into());
        }
    }
    audit::append(
        &tx,
        &actor.org_id,
        &actor.audit_actor(),
        &actor.meta,
        NewEvent::new("expenditures.recorded", "expenditure", ids.first().map(String::as_str))
            .after(json!({"count": ids.len(), "idempotency_key": key})),
    )
    .await?;
    tx.commit().await?;
    Ok(Recorded { body, replayed: false })
}

async fn stored_answer(
    db: &DatabaseConnection,
    actor: &Actor,
    key: &str,
) -> Result<Option<api_idempotency::Model>, AppError> {
    Ok(api_idempotency::Entity::find()
        .filter(api_idempotency::Column::OrgId.eq(&actor.org_id))
        .filter(api_idempotency::Column::Scope.eq(format!("expenditures:{}", actor.id)))
        .filter(api_idempotency::Column::Key.eq(key))
        .one(db)
        .await?)
}

fn replay(done: api_idempotency::Model, hash: &str) -> Result<Recorded, AppError> {
    if done.request_hash != hash {
        return Err(AppError::new(
            ErrorCode::IdempotencyKeyReused,
            "This Idempotency-Key was used for different records. Use a new key for new records.",
        ));
    }
    Ok(Recorded { body: serde_json::from_str(&done.response).unwrap_or(Value::Null), replayed: true })
}

// ---------------------------------------------------------------------------------------
// Quotas

fn definition_of(q: &quota::Model) -> QuotaDefinition {
    QuotaDefinition {
        name: q.name.clone(),
        entity_type: q.entity_type.clone(),
        entity_id: q.entity_id.clone(),
        item_type: q.item_type.clone(),
        metric: q.metric.clone(),
        limit_e4: q.limit_e4,
        currency: q.currency.clone(),
        period: q.period.clone(),
        enforce: q.enforce,
        alert_thresholds: usage::alert_thresholds(q),
    }
}

fn shown(q: &quota::Model, e4: i64) -> String {
    if q.metric == "count" {
        (e4 / 10_000).to_string()
    } else {
        crate::domain::policy::money(from_e4(e4))
    }
}

async fn view<C: ConnectionTrait>(conn: &C, q: &quota::Model, at: DateTime<Utc>) -> Result<QuotaView, AppError> {
    let tz = crate::services::org::settings::time_zone_of(conn, &q.org_id).await?;
    let used = usage::used_e4(conn, q, &tz, at).await?;
    let (start, end) = crate::domain::spend::period_bounds_in(&q.period, at, &tz);
    Ok(QuotaView {
        id: q.id.clone(),
        name: q.name.clone(),
        entity_type: q.entity_type.clone(),
        entity_id: q.entity_id.clone(),
        owner: usage::owner_of(conn, q).await?,
        item_type: q.item_type.clone(),
        metric: q.metric.clone(),
        limit: shown(q, q.limit_e4),
        currency: q.currency.clone(),
        period: q.period.clone(),
        enforce: q.enforce,
        alert_thresholds: usage::alert_thresholds(q),
        used: shown(q, used),
        percent: percent(used, q.limit_e4),
        forecast: shown(q, forecast_e4(used, start, end, at)),
        period_start: rfc3339(&start),
        period_end: rfc3339(&end),
        created_at: rfc3339(&q.created_at),
        updated_at: rfc3339(&q.updated_at),
    })
}

fn snapshot(id: &str, d: &QuotaDefinition) -> Value {
    let mut v = serde_json::to_value(d).unwrap_or(Value::Null);
    v["id"] = json!(id);
    v
}

async fn load<C: ConnectionTrait>(conn: &C, actor: &Actor, id: &str) -> Result<quota::Model, AppError> {
    quota::Entity::find_by_id(id.trim().to_string())
        .filter(quota::Column::OrgId.eq(&actor.org_id))
        .one(conn)
        .await?
        .ok_or_else(|| AppError::not_found("Quota"))
}

/// `GET /api/v1/quotas`: the quotas the actor may read (`usage.read` at their entity).
pub async fn list(db: &DatabaseConnection, actor: &Actor) -> Result<Vec<QuotaView>, AppError> {
    authorize_somewhere(actor, Permission::UsageRead)?;
    let rows = quota::Entity::find()
        .filter(quota::Column::OrgId.eq(&actor.org_id))
        .order_by_asc(quota::Column::Name)
        .order_by_asc(quota::Column::Id)
        .all(db)
        .await?;
    let at = now();
    let mut out = Vec::new();
    for q in rows {
        let Ok(scope) = scope_of(db, actor, &q.entity_type, q.entity_id.as_deref()).await else { continue };
        if can(actor, Permission::UsageRead, &scope) {
            out.push(view(db, &q, at).await?);
        }
    }
    Ok(out)
}

/// `/org/quotas`: the quotas the actor may read, and — when they hold `quotas.manage`
/// somewhere — whose spend they may cap, by name (the org, teams, active or invited people,
/// assistants), each only where they hold `quotas.manage`.
pub async fn editor(db: &DatabaseConnection, actor: &Actor) -> Result<crate::domain::spend::QuotaPage, AppError> {
    use crate::domain::spend::{EntityChoice, QuotaPage};
    use crate::entities::{assistant, store, team};
    let quotas = list(db, actor).await?;
    let can_manage = authorize_somewhere(actor, Permission::QuotasManage).is_ok();
    let mut choices = Vec::new();
    if can_manage {
        if can(actor, Permission::QuotasManage, &ScopeRef::Org) {
            choices.push(EntityChoice {
                entity_type: "org".into(),
                entity_id: None,
                label: "The whole organisation".into(),
            });
        }
        let teams = team::Entity::find()
            .filter(team::Column::OrgId.eq(&actor.org_id))
            .order_by_asc(team::Column::Name)
            .all(db)
            .await?;
        for t in &teams {
            if can(actor, Permission::QuotasManage, &ScopeRef::Team(t.id.clone())) {
                choices.push(EntityChoice {
                    entity_type: "team".into(),
                    entity_id: Some(t.id.clone()),
                    label: format!("Team \u{201c}{}\u{201d}", t.name),
                });
            }
        }
        let people = user::Entity::find()
            .filter(user::Column::OrgId.eq(&actor.org_id))
            .filter(user::Column::Status.ne("suspended"))
            .order_by_asc(user::Column::DisplayName)
            .all(db)
            .await?;
        for u in &people {
            let scope = u.team_id.clone().map(ScopeRef::Team).unwrap_or(ScopeRef::Org);
            if can(actor, Permission::QuotasManage, &scope) {
                choices.push(EntityChoice {
                    entity_type: "user".into(),
                    entity_id: Some(u.id.clone()),
                    label: format!("{} ({})", u.display_name, u.email),
                });
            }
        }
        let stores: std::collections::HashMap<String, String> = store::Entity::find()
            .filter(store::Column::OrgId.eq(&actor.org_id))
            .all(db)
            .await?
            .into_iter()
            .map(|s| (s.id, s.name))
            .collect();
        let assistants = assistant::Entity::find()
            .filter(assistant::Column::OrgId.eq(&actor.org_id))
            .order_by_asc(assistant::Column::Name)
            .all(db)
            .await?;
        for a in &assistants {
            if can(actor, Permission::QuotasManage, &ScopeRef::Store(a.store_id.clone())) {
                let shop = stores.get(&a.store_id).cloned().unwrap_or_default();
                choices.push(EntityChoice {
                    entity_type: "assistant".into(),
                    entity_id: Some(a.id.clone()),
                    label: format!("Assistant \u{201c}{}\u{201d} of {shop}", a.name),
                });
            }
        }
    }
    Ok(QuotaPage { quotas, can_manage, choices })
}

/// `POST /api/v1/quotas` → the quota with its use so far.
pub async fn create(db: &impl WriteConn, actor: &Actor, input: QuotaInput) -> Result<QuotaView, AppError> {
    let d = input.resolve(None)?;
    let scope = scope_of(db, actor, &d.entity_type, d.entity_id.as_deref()).await?;
    authorize(actor, Permission::QuotasManage, &scope)?;
    let at = now();
    let tx = begin_write(db).await?;
    let q = quota::ActiveModel {
        id: Set(new_id()),
        org_id: Set(actor.org_id.clone()),
        name: Set(d.name.clone()),
        entity_type: Set(d.entity_type.clone()),
        entity_id: Set(d.entity_id.clone()),
        item_type: Set(d.item_type.clone()),
        metric: Set(d.metric.clone()),
        limit_e4: Set(d.limit_e4),
        currency: Set(d.currency.clone()),
        period: Set(d.period.clone()),
        enforce: Set(d.enforce),
        alert_thresholds: Set(json!(d.alert_thresholds).to_string()),
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
        NewEvent::new("quota.created", "quota", Some(&q.id)).after(snapshot(&q.id, &d)),
    )
    .await?;
    tx.commit().await?;
    view(db, &q, at).await
}

/// `PATCH /api/v1/quotas/{id}`: what the input names changes.
pub async fn update(db: &impl WriteConn, actor: &Actor, id: &str, input: QuotaInput) -> Result<QuotaView, AppError> {
    let q = load(db, actor, id).await?;
    let before = definition_of(&q);
    authorize(actor, Permission::QuotasManage, &scope_of(db, actor, &q.entity_type, q.entity_id.as_deref()).await?)?;
    let d = input.resolve(Some(&before))?;
    if (d.entity_type.as_str(), d.entity_id.as_deref()) != (before.entity_type.as_str(), before.entity_id.as_deref()) {
        authorize(
            actor,
            Permission::QuotasManage,
            &scope_of(db, actor, &d.entity_type, d.entity_id.as_deref()).await?,
        )?;
    }
    if d == before {
        return view(db, &q, now()).await;
    }
    let tx = begin_write(db).await?;
    let mut am: quota::ActiveModel = q.clone().into();
    am.name = Set(d.name.clone());
    am.entity_type = Set(d.entity_type.clone());
    am.entity_id = Set(d.entity_id.clone());
    am.item_type = Set(d.item_type.clone());
    am.metric = Set(d.metric.clone());
    am.limit_e4 = Set(d.limit_e4);
    am.currency = Set(d.currency.clone());
    am.period = Set(d.period.clone());
    am.enforce = Set(d.enforce);
    am.alert_thresholds = Set(json!(d.alert_thresholds).to_string());
    am.updated_at = Set(now());
    let saved = am.update(&tx).await?;
    audit::append(
        &tx,
        &actor.org_id,
        &actor.audit_actor(),
        &actor.meta,
        NewEvent::new("quota.updated", "quota", Some(&q.id))
            .before(snapshot(&q.id, &before))
            .after(snapshot(&q.id, &d)),
    )
    .await?;
    tx.commit().await?;
    view(db, &saved, now()).await
}

/// `DELETE /api/v1/quotas/{id}`.
pub async fn delete(db: &impl WriteConn, actor: &Actor, id: &str) -> Result<(), AppError> {
    let q = load(db, actor, id).await?;
    authorize(actor, Permission::QuotasManage, &scope_of(db, actor, &q.entity_type, q.entity_id.as_deref()).await?)?;
    let tx = begin_write(db).await?;
    quota::Entity::delete_by_id(q.id.clone()).exec(&tx).await?;
    audit::append(
        &tx,
        &actor.org_id,
        &actor.audit_actor(),
        &actor.meta,
        NewEvent::new("quota.deleted", "quota", Some(&q.id)).before(snapshot(&q.id, &definition_of(&q))),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Usage

/// `GET /api/v1/usage?entity_type=&entity_id=&period=`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UsageQuery {
    #[serde(default)]
    pub entity_type: Option<String>,
    #[serde(default)]
    pub entity_id: Option<String>,
    #[serde(default)]
    pub period: Option<String>,
}

/// An entity's spend in the current period by item type, and the quotas over it (its own and
/// those of the teams above it and the org) with use and forecast. `usage.read` there, or
/// the signed-in person's own.
pub async fn report(db: &DatabaseConnection, actor: &Actor, q: UsageQuery) -> Result<UsageReport, AppError> {
    let entity_type = q.entity_type.map(|s| s.trim().to_lowercase()).filter(|s| !s.is_empty()).unwrap_or("org".into());
    let mut v = Validator::new();
    v.check(
        crate::domain::spend::ENTITY_TYPES.contains(&entity_type.as_str()),
        "entity_type",
        "Choose org, team, user or assistant.",
    );
    let entity_id = q.entity_id.map(|s| s.trim().to_string()).filter(|s| !s.is_empty() && entity_type != "org");
    v.check(entity_type == "org" || entity_id.is_some(), "entity_id", "Say which team, user or assistant.");
    let period = q.period.map(|p| p.trim().to_lowercase()).filter(|p| !p.is_empty()).unwrap_or("month".into());
    v.check(PERIODS.contains(&period.as_str()), "period", "Choose day, week or month.");
    v.finish()?;
    let scope = scope_of(db, actor, &entity_type, entity_id.as_deref()).await?;
    // A person always sees their own spend; anything else needs `usage.read` over it.
    let own = entity_type == "user" && actor.kind == ActorKind::User && entity_id.as_deref() == Some(actor.id.as_str());
    if !own {
        authorize(actor, Need::from(Permission::UsageRead), &scope)?;
    }
    let at = now();
    let (start, end) = usage::bounds(db, &actor.org_id, &period, at).await?;
    // The entity's records, as a quota on it would count them (a team: its whole subtree).
    let probe = quota::Model {
        id: String::new(),
        org_id: actor.org_id.clone(),
        name: String::new(),
        entity_type: entity_type.clone(),
        entity_id: entity_id.clone(),
        item_type: None,
        metric: "amount".into(),
        limit_e4: 1,
        currency: None,
        period: period.clone(),
        enforce: false,
        alert_thresholds: "[]".into(),
        created_at: at,
        updated_at: at,
    };
    let rows = usage::records_of(db, &probe, start, end).await?;
    let mut totals: std::collections::BTreeMap<(String, String), (i64, u64)> = Default::default();
    for r in rows {
        let e = totals.entry((r.item_type, r.currency)).or_default();
        e.0 += r.amount_e4;
        e.1 += 1;
    }
    let quotas = usage::quotas_over(db, &actor.org_id, &entity_type, entity_id.as_deref()).await?;
    let mut views = Vec::new();
    for q in &quotas {
        views.push(view(db, q, at).await?);
    }
    Ok(UsageReport {
        entity_type,
        entity_id,
        period,
        period_start: rfc3339(&start),
        period_end: rfc3339(&end),
        totals: totals
            .into_iter()
            .map(|((item_type, currency), (amount, count))| UsageTotal {
                item_type,
                currency,
                amount: crate::domain::policy::money(from_e4(amount)),
                count,
            })
            .collect(),
        quotas: views,
    })
}

/// Every record of the org in a period (for the usage CSV and charts), newest first.
pub async fn records_in(
    db: &DatabaseConnection,
    actor: &Actor,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> Result<Vec<record::Model>, AppError> {
    authorize(actor, Permission::UsageRead, &ScopeRef::Org)?;
    Ok(record::Entity::find()
        .filter(record::Column::OrgId.eq(&actor.org_id))
        .filter(record::Column::OccurredAt.gte(start))
        .filter(record::Column::OccurredAt.lt(end))
        .order_by_desc(record::Column::OccurredAt)
        .all(db)
        .await?)
}

// ---------------------------------------------------------------------------------------
// Dashboard

/// The usage dashboard for the org (`usage.read` at the org): the period's spend by day and
/// item type in one currency (the one spent most unless named), top teams and assistants,
/// each quota's burn-down, and actions executed and denied per day.
pub async fn dashboard(
    db: &DatabaseConnection,
    actor: &Actor,
    period: &str,
    currency: Option<&str>,
) -> Result<crate::domain::spend::Dashboard, AppError> {
    use crate::domain::spend::{ActionDay, Dashboard, DaySpend, QuotaBurn, Ranked, ITEM_TYPES};
    use crate::entities::{action, assistant, team};
    use std::collections::BTreeMap;
    if !PERIODS.contains(&period) {
        return Err(AppError::invalid_fields(vec![FieldError {
            field: "period".into(),
            message: "Choose day, week or month.".into(),
        }]));
    }
    let at = now();
    let (start, end) = usage::bounds(db, &actor.org_id, period, at).await?;
    let rows = records_in(db, actor, start, end).await?;
    let mut by_currency: BTreeMap<String, i64> = BTreeMap::new();
    for r in &rows {
        *by_currency.entry(r.currency.clone()).or_default() += r.amount_e4;
    }
    let currency = currency
        .map(|c| c.trim().to_uppercase())
        .filter(|c| !c.is_empty())
        .or_else(|| by_currency.iter().max_by_key(|(_, v)| **v).map(|(c, _)| c.clone()))
        .unwrap_or_else(|| "EUR".into());
    let rows: Vec<_> = rows.into_iter().filter(|r| r.currency == currency).collect();
    let item_types: Vec<String> = ITEM_TYPES.iter().map(|s| s.to_string()).collect();
    // Days are the org's calendar days (its time zone), like the periods.
    let tz = crate::services::org::settings::time_zone_of(db, &actor.org_id).await?;
    let day_of = |t: &DateTime<Utc>| t.with_timezone(&tz).date_naive().to_string();
    let local_days = |from: DateTime<Utc>, to: DateTime<Utc>| -> Vec<String> {
        let (mut d, last) = (from.with_timezone(&tz).date_naive(), to.with_timezone(&tz).date_naive());
        let mut out = Vec::new();
        while d <= last {
            out.push(d.to_string());
            d = d.succ_opt().unwrap_or(last + chrono::Duration::days(1));
        }
        out
    };
    let mut days: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    for d in local_days(start, at.min(end - chrono::Duration::seconds(1))) {
        days.insert(d, vec![0; item_types.len()]);
    }
    let mut teams: BTreeMap<String, (i64, u64)> = BTreeMap::new();
    let mut assistants: BTreeMap<String, (i64, u64)> = BTreeMap::new();
    let mut total = 0i64;
    for r in &rows {
        if let (Some(v), Some(i)) =
            (days.get_mut(&day_of(&r.occurred_at)), item_types.iter().position(|t| *t == r.item_type))
        {
            v[i] += r.amount_e4;
        }
        total += r.amount_e4;
        if let Some(t) = &r.team_id {
            let e = teams.entry(t.clone()).or_default();
            e.0 += r.amount_e4;
            e.1 += 1;
        }
        if let ("assistant", Some(a)) = (r.entity_type.as_str(), &r.entity_id) {
            let e = assistants.entry(a.clone()).or_default();
            e.0 += r.amount_e4;
            e.1 += 1;
        }
    }
    let money = |e4: i64| crate::domain::policy::money(from_e4(e4));
    let team_names: BTreeMap<String, String> = team::Entity::find()
        .filter(team::Column::OrgId.eq(&actor.org_id))
        .all(db)
        .await?
        .into_iter()
        .map(|t| (t.id, t.name))
        .collect();
    let assistant_names: BTreeMap<String, String> = assistant::Entity::find()
        .filter(assistant::Column::OrgId.eq(&actor.org_id))
        .all(db)
        .await?
        .into_iter()
        .map(|a| (a.id, a.name))
        .collect();
    let top = |m: BTreeMap<String, (i64, u64)>, names: &BTreeMap<String, String>| -> Vec<Ranked> {
        let mut v: Vec<_> = m.into_iter().collect();
        v.sort_by(|a, b| b.1 .0.cmp(&a.1 .0).then(b.1 .1.cmp(&a.1 .1)));
        v.into_iter()
            .take(5)
            .map(|(id, (amount, count))| Ranked {
                name: names.get(&id).cloned().unwrap_or_else(|| "(deleted)".into()),
                id,
                amount: money(amount),
                count,
            })
            .collect()
    };
    // Burn-down: each quota's cumulative use per day of its own current period.
    let mut burn_down = Vec::new();
    for q in list(db, actor).await? {
        let Some(model) = quota::Entity::find_by_id(q.id.clone()).one(db).await? else { continue };
        let (qs, qe) = usage::bounds(db, &actor.org_id, &model.period, at).await?;
        let covered = usage::records_of(db, &model, qs, qe).await?;
        let mut per_day: BTreeMap<String, i64> = BTreeMap::new();
        for r in &covered {
            *per_day.entry(day_of(&r.occurred_at)).or_default() +=
                if model.metric == "count" { 10_000 } else { r.amount_e4 };
        }
        let mut points = Vec::new();
        let mut acc = 0i64;
        for day in local_days(qs, at.min(qe - chrono::Duration::seconds(1))) {
            acc += per_day.get(&day).copied().unwrap_or(0);
            points.push((day.clone(), shown(&model, acc)));
        }
        burn_down.push(QuotaBurn { quota: q, points });
    }
    // Actions per day (the stores' attempts; the dashboard's viewer reads the org's usage).
    let acts = action::Entity::find()
        .filter(action::Column::OrgId.eq(&actor.org_id))
        .filter(action::Column::CreatedAt.gte(start))
        .filter(action::Column::CreatedAt.lt(end))
        .all(db)
        .await?;
    let mut per_day: BTreeMap<String, (u64, u64)> = days.keys().map(|d| (d.clone(), (0, 0))).collect();
    for a in acts {
        if let Some(e) = per_day.get_mut(&day_of(&a.created_at)) {
            match a.status.as_str() {
                "executed" => e.0 += 1,
                "denied" => e.1 += 1,
                _ => {}
            }
        }
    }
    Ok(Dashboard {
        period: period.to_string(),
        period_start: rfc3339(&start),
        period_end: rfc3339(&end),
        other_currencies: by_currency.keys().filter(|c| **c != currency).cloned().collect(),
        currency,
        days: days
            .into_iter()
            .map(|(date, v)| DaySpend {
                date,
                total: money(v.iter().sum()),
                amounts: v.into_iter().map(money).collect(),
            })
            .collect(),
        item_types,
        total: money(total),
        top_teams: top(teams, &team_names),
        top_assistants: top(assistants, &assistant_names),
        burn_down,
        actions: per_day.into_iter().map(|(date, (executed, denied))| ActionDay { date, executed, denied }).collect(),
    })
}

/// The period's records as CSV (RFC 4180; cells that a spreadsheet would run are quoted
/// with a leading `'`), `usage.read` at the org.
pub async fn csv(db: &DatabaseConnection, actor: &Actor, period: &str) -> Result<String, AppError> {
    if !PERIODS.contains(&period) {
        return Err(AppError::invalid_fields(vec![FieldError {
            field: "period".into(),
            message: "Choose day, week or month.".into(),
        }]));
    }
    let (start, end) = usage::bounds(db, &actor.org_id, period, now()).await?;
    let rows = records_in(db, actor, start, end).await?;
    let cell = |s: &str| {
        let s = if s.starts_with(['=', '+', '-', '@']) { format!("'{s}") } else { s.to_string() };
        if s.contains([',', '"', '\n', '\r']) {
            format!("\"{}\"", s.replace('"', "\"\""))
        } else {
            s
        }
    };
    let mut out =
        String::from("occurred_at,entity_type,entity_id,team_id,item_type,item_id,amount,currency,action_id\r\n");
    for r in rows {
        let fields = [
            rfc3339(&r.occurred_at),
            r.entity_type,
            r.entity_id.unwrap_or_default(),
            r.team_id.unwrap_or_default(),
            r.item_type,
            r.item_id.unwrap_or_default(),
            from_e4(r.amount_e4).to_string(),
            r.currency,
            r.action_id.unwrap_or_default(),
        ];
        out.push_str(&fields.iter().map(|f| cell(f)).collect::<Vec<_>>().join(","));
        out.push_str("\r\n");
    }
    Ok(out)
}
