//! What a quota has used in its period, which quotas an invoke touches, recording an
//! invoke's use (and giving it back), and the threshold alerts a new record triggers.
//!
//! A quota covers its entity's subtree: the org everything; a team the records attributed to
//! it or a team below it (`expenditure_records.team_id`); a user or an assistant its own.
//! Usage is summed from the records each time (indexed by org, team or entity and time),
//! always inside the writing transaction that holds the org's lock, so the check and the
//! record that follows it are atomic like the limits.

use crate::domain::policy::QuotaUse;
use crate::domain::spend::{crossed, from_e4, percent, period_bounds_in};
use crate::domain::AppError;
use crate::entities::{assistant, expenditure_record as record, quota, quota_alert, store, team, user};
use crate::services::access::load_tree;
use crate::services::infra::db::{new_id, now};
use crate::services::org::notify;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Condition, Expr};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, PaginatorTrait, QueryFilter,
    QuerySelect, Set,
};

/// The team chain a record of this entity counts toward (nearest first), and the team it is
/// attributed to: a team itself, a user's team, an assistant's store's team.
pub async fn team_of<C: ConnectionTrait>(
    conn: &C,
    org_id: &str,
    entity_type: &str,
    entity_id: Option<&str>,
) -> Result<Option<String>, AppError> {
    let Some(id) = entity_id else { return Ok(None) };
    Ok(match entity_type {
        "team" => team::Entity::find_by_id(id.to_string())
            .filter(team::Column::OrgId.eq(org_id))
            .one(conn)
            .await?
            .map(|t| t.id),
        "user" => user::Entity::find_by_id(id.to_string())
            .filter(user::Column::OrgId.eq(org_id))
            .one(conn)
            .await?
            .and_then(|u| u.team_id),
        "assistant" => {
            let a = assistant::Entity::find_by_id(id.to_string())
                .filter(assistant::Column::OrgId.eq(org_id))
                .one(conn)
                .await?;
            match a {
                Some(a) => store::Entity::find_by_id(a.store_id).one(conn).await?.and_then(|s| s.team_id),
                None => None,
            }
        }
        _ => None,
    })
}

/// Does `q` cover a record of (entity, team chain)?
fn covers(q: &quota::Model, entity_type: &str, entity_id: Option<&str>, chain: &[String]) -> bool {
    match q.entity_type.as_str() {
        "org" => true,
        "team" => q.entity_id.as_ref().is_some_and(|t| chain.contains(t)),
        other => other == entity_type && q.entity_id.as_deref() == entity_id,
    }
}

#[derive(FromQueryResult)]
struct Sum {
    total: Option<i64>,
}

/// The records `q` covers in [start, end).
async fn covered<C: ConnectionTrait>(
    conn: &C,
    q: &quota::Model,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> Result<sea_orm::Select<record::Entity>, AppError> {
    let mut sel = record::Entity::find()
        .filter(record::Column::OrgId.eq(&q.org_id))
        .filter(record::Column::OccurredAt.gte(start))
        .filter(record::Column::OccurredAt.lt(end));
    if let Some(t) = &q.item_type {
        sel = sel.filter(record::Column::ItemType.eq(t));
    }
    if let (Some(c), "amount") = (&q.currency, q.metric.as_str()) {
        sel = sel.filter(record::Column::Currency.eq(c));
    }
    Ok(match q.entity_type.as_str() {
        "org" => sel,
        "team" => {
            let tree = load_tree(conn, &q.org_id).await?;
            let root = q.entity_id.clone().unwrap_or_default();
            let mut teams = tree.descendants(&root);
            teams.push(root);
            sel.filter(record::Column::TeamId.is_in(teams))
        }
        other => {
            sel.filter(record::Column::EntityType.eq(other)).filter(record::Column::EntityId.eq(q.entity_id.clone()))
        }
    })
}

/// The records `q` covers in [start, end) (for usage totals).
pub async fn records_of<C: ConnectionTrait>(
    conn: &C,
    q: &quota::Model,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> Result<Vec<record::Model>, AppError> {
    Ok(covered(conn, q, start, end).await?.all(conn).await?)
}

/// The calendar `period` holding `at` in the org's time zone (its profile), as UTC instants.
pub async fn bounds<C: ConnectionTrait>(
    conn: &C,
    org_id: &str,
    period: &str,
    at: DateTime<Utc>,
) -> Result<(DateTime<Utc>, DateTime<Utc>), AppError> {
    let tz = crate::services::org::settings::time_zone_of(conn, org_id).await?;
    Ok(period_bounds_in(period, at, &tz))
}

/// What `q` has used in the period holding `at`: the sum (amount) or number (count) of the
/// records it covers, ×10 000 for counts so both compare with `limit_e4`.
pub async fn used_e4<C: ConnectionTrait>(
    conn: &C,
    q: &quota::Model,
    tz: &chrono_tz::Tz,
    at: DateTime<Utc>,
) -> Result<i64, AppError> {
    let (start, end) = period_bounds_in(&q.period, at, tz);
    let sel = covered(conn, q, start, end).await?;
    if q.metric == "count" {
        return Ok(i64::try_from(sel.count(conn).await?).unwrap_or(i64::MAX).saturating_mul(10_000));
    }
    let sum = sel
        .select_only()
        // PostgreSQL sums BIGINT as NUMERIC: cast back so both databases answer an integer.
        .column_as(Expr::cust("CAST(SUM(expenditure_records.amount_e4) AS BIGINT)"), "total")
        .into_model::<Sum>()
        .one(conn)
        .await?;
    Ok(sum.and_then(|s| s.total).unwrap_or(0))
}

/// Every quota over an entity: its own, its teams' and the org's, whatever they count.
pub async fn quotas_over<C: ConnectionTrait>(
    conn: &C,
    org_id: &str,
    entity_type: &str,
    entity_id: Option<&str>,
) -> Result<Vec<quota::Model>, AppError> {
    let team = team_of(conn, org_id, entity_type, entity_id).await?;
    let chain = match &team {
        Some(t) => load_tree(conn, org_id).await?.team_and_ancestors(t),
        None => Vec::new(),
    };
    let all = quota::Entity::find().filter(quota::Column::OrgId.eq(org_id)).all(conn).await?;
    Ok(all.into_iter().filter(|q| covers(q, entity_type, entity_id, &chain)).collect())
}

/// The org's quotas that cover a record of this entity and item type (in `currency`).
async fn covering<C: ConnectionTrait>(
    conn: &C,
    org_id: &str,
    entity_type: &str,
    entity_id: Option<&str>,
    item_type: &str,
    currency: &str,
) -> Result<(Vec<quota::Model>, Vec<String>), AppError> {
    let team = team_of(conn, org_id, entity_type, entity_id).await?;
    let chain = match &team {
        Some(t) => load_tree(conn, org_id).await?.team_and_ancestors(t),
        None => Vec::new(),
    };
    let all = quota::Entity::find()
        .filter(quota::Column::OrgId.eq(org_id))
        .filter(Condition::any().add(quota::Column::ItemType.is_null()).add(quota::Column::ItemType.eq(item_type)))
        .all(conn)
        .await?;
    let applies = all
        .into_iter()
        .filter(|q| covers(q, entity_type, entity_id, &chain))
        .filter(|q| q.metric == "count" || q.currency.as_deref().is_none_or(|c| c == currency))
        .collect();
    Ok((applies, chain))
}

/// "assistant “Chat bot”", "team “Support”", "the organisation": whose quota, in words.
pub async fn owner_of<C: ConnectionTrait>(conn: &C, q: &quota::Model) -> Result<String, AppError> {
    let id = q.entity_id.clone().unwrap_or_default();
    Ok(match q.entity_type.as_str() {
        "team" => {
            let n = team::Entity::find_by_id(id).one(conn).await?.map(|t| t.name).unwrap_or_default();
            format!("team \u{201c}{n}\u{201d}")
        }
        "user" => {
            let n = user::Entity::find_by_id(id).one(conn).await?.map(|u| u.display_name).unwrap_or_default();
            n
        }
        "assistant" => {
            let n = assistant::Entity::find_by_id(id).one(conn).await?.map(|a| a.name).unwrap_or_default();
            format!("assistant \u{201c}{n}\u{201d}")
        }
        _ => "the organisation".to_string(),
    })
}

pub fn period_words(period: &str) -> &'static str {
    match period {
        "day" => "today",
        "week" => "this week",
        _ => "this month",
    }
}

/// The quotas an invoke of this assistant at this store touches, as `decide` reads them: each
/// with what its period has used and what the invoke would add (one action; its amount).
/// Invokes without an assistant count toward the store's team and the org.
pub async fn quota_uses<C: ConnectionTrait>(
    conn: &C,
    org_id: &str,
    s: &store::Model,
    assistant_id: Option<&str>,
    amount_e4: i64,
    at: DateTime<Utc>,
) -> Result<Vec<QuotaUse>, AppError> {
    let (quotas, _) = match assistant_id {
        Some(a) => covering(conn, org_id, "assistant", Some(a), "action", &s.currency).await?,
        None => match &s.team_id {
            Some(t) => covering(conn, org_id, "team", Some(t), "action", &s.currency).await?,
            None => covering(conn, org_id, "org", None, "action", &s.currency).await?,
        },
    };
    // The org's time zone, read once for all its quotas.
    let tz = crate::services::org::settings::time_zone_of(conn, org_id).await?;
    let mut out = Vec::new();
    for q in quotas {
        let used = used_e4(conn, &q, &tz, at).await?;
        let adds = if q.metric == "count" { 10_000 } else { amount_e4 };
        out.push(QuotaUse {
            name: q.name.clone(),
            owner: owner_of(conn, &q).await?,
            period: period_words(&q.period).to_string(),
            used: from_e4(used),
            adds: from_e4(adds),
            limit: from_e4(q.limit_e4),
            currency: if q.metric == "amount" { q.currency.clone().or(Some(s.currency.clone())) } else { None },
            enforce: q.enforce,
        });
    }
    Ok(out)
}

/// A record to write (inside the caller's transaction, under the org's lock).
pub struct NewRecord<'a> {
    pub org_id: &'a str,
    pub entity_type: &'a str,
    pub entity_id: Option<&'a str>,
    pub amount_e4: i64,
    pub currency: &'a str,
    pub item_type: &'a str,
    pub item_id: Option<&'a str>,
    pub action_id: Option<&'a str>,
    pub occurred_at: DateTime<Utc>,
}

/// Writes a record and sends the threshold alerts it makes its quotas cross (once per
/// quota, period and threshold). Returns the record's id.
pub async fn record<C: ConnectionTrait>(conn: &C, r: NewRecord<'_>) -> Result<String, AppError> {
    let (quotas, _) = covering(conn, r.org_id, r.entity_type, r.entity_id, r.item_type, r.currency).await?;
    let tz = crate::services::org::settings::time_zone_of(conn, r.org_id).await?;
    let mut before = Vec::new();
    for q in &quotas {
        before.push(used_e4(conn, q, &tz, r.occurred_at).await?);
    }
    let team_id = team_of(conn, r.org_id, r.entity_type, r.entity_id).await?;
    let row = record::ActiveModel {
        id: Set(new_id()),
        org_id: Set(r.org_id.to_string()),
        entity_type: Set(r.entity_type.to_string()),
        entity_id: Set(r.entity_id.map(str::to_string)),
        team_id: Set(team_id),
        amount_e4: Set(r.amount_e4),
        currency: Set(r.currency.to_string()),
        item_type: Set(r.item_type.to_string()),
        item_id: Set(r.item_id.map(str::to_string)),
        action_id: Set(r.action_id.map(str::to_string)),
        occurred_at: Set(r.occurred_at),
        created_at: Set(now()),
    }
    .insert(conn)
    .await?;
    for (q, used_before) in quotas.iter().zip(before) {
        let adds = if q.metric == "count" { 10_000 } else { r.amount_e4 };
        for threshold in crossed(&alert_thresholds(q), q.limit_e4, used_before, used_before + adds) {
            alert(conn, q, &tz, r.occurred_at, threshold, used_before + adds).await?;
        }
    }
    Ok(row.id)
}

/// Removes the record an action made (its reservation given back).
pub async fn release_action<C: ConnectionTrait>(conn: &C, action_id: &str) -> Result<(), AppError> {
    record::Entity::delete_many().filter(record::Column::ActionId.eq(action_id)).exec(conn).await?;
    Ok(())
}

pub fn alert_thresholds(q: &quota::Model) -> Vec<u32> {
    serde_json::from_str(&q.alert_thresholds).unwrap_or_default()
}

/// The people told about a quota: active people holding `quotas.manage` at the org or at a
/// team on the quota's team chain.
async fn admins<C: ConnectionTrait>(conn: &C, q: &quota::Model) -> Result<Vec<user::Model>, AppError> {
    let team = team_of(conn, &q.org_id, &q.entity_type, q.entity_id.as_deref()).await?;
    let chain: Vec<(String, String)> = match &team {
        Some(t) => {
            load_tree(conn, &q.org_id).await?.team_and_ancestors(t).into_iter().map(|t| ("team".into(), t)).collect()
        }
        None => Vec::new(),
    };
    notify::people_holding(conn, &q.org_id, "quotas.manage", &chain).await
}

/// Sends one threshold alert (in-app and email to the quota's admins), unless this quota's
/// period already had it.
async fn alert<C: ConnectionTrait>(
    conn: &C,
    q: &quota::Model,
    tz: &chrono_tz::Tz,
    at: DateTime<Utc>,
    threshold: u32,
    used_e4: i64,
) -> Result<(), AppError> {
    let (start, _) = period_bounds_in(&q.period, at, tz);
    let sent = quota_alert::Entity::find()
        .filter(quota_alert::Column::QuotaId.eq(&q.id))
        .filter(quota_alert::Column::PeriodStart.eq(start))
        .filter(quota_alert::Column::Threshold.eq(threshold as i32))
        .one(conn)
        .await?;
    if sent.is_some() {
        return Ok(());
    }
    quota_alert::ActiveModel {
        id: Set(new_id()),
        org_id: Set(q.org_id.clone()),
        quota_id: Set(q.id.clone()),
        period_start: Set(start),
        threshold: Set(threshold as i32),
        created_at: Set(now()),
    }
    .insert(conn)
    .await?;
    let owner = owner_of(conn, q).await?;
    let shown = |e4: i64| match (q.metric.as_str(), &q.currency) {
        ("amount", Some(c)) => format!("{} {c}", crate::domain::policy::money(from_e4(e4))),
        ("amount", None) => crate::domain::policy::money(from_e4(e4)),
        _ => (e4 / 10_000).to_string(),
    };
    let title = format!("{}% of the quota \u{201c}{}\u{201d} used", threshold, q.name);
    let body = format!(
        "The quota \u{201c}{}\u{201d} of {owner} has used {} of {} {} ({}%){}.",
        q.name,
        shown(used_e4),
        shown(q.limit_e4),
        period_words(&q.period),
        percent(used_e4, q.limit_e4),
        if q.enforce && threshold >= 100 { "; further actions are refused until the period ends" } else { "" }
    );
    let severity = if threshold >= 100 {
        "critical"
    } else if threshold >= 80 {
        "warning"
    } else {
        "info"
    };
    let notice = notify::Notice {
        kind: "quota_alert",
        title: &title,
        body: &body,
        severity,
        link: Some("/org/quotas"),
        action_id: None,
    };
    for person in admins(conn, q).await? {
        notify::notify(conn, &person, &notice).await?;
    }
    Ok(())
}
