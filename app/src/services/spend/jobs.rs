//! The scheduled spend jobs every server runs (a round every few minutes; time comes in as
//! `now`, so tests drive the clock):
//!
//! - the **monthly usage report**: once a month, for last month, an email (by default; the
//!   Owners' notification choices apply) with the spend by item type and each quota's use;
//! - **unusual activity**: an alert when an entity's (the org's, a team's, an assistant's)
//!   spend or number of records today is above `multiple` × its daily mean of the 28 days
//!   before, sent once per entity, measure and day to those managing its quotas.
//!
//! With several servers on one database each report or alert is sent once: it is claimed by
//! inserting its `scheduled_runs` row (unique per job and period) in the transaction that
//! sends it; the server that loses the race rolls back.

use super::usage::{owner_of, team_of};
use crate::domain::policy::money;
use crate::domain::spend::{from_e4, is_unusual, period_bounds_in};
use crate::domain::AppError;
use crate::entities::{assistant, expenditure_record as record, org, quota, scheduled_run, team};
use crate::services::access::load_tree;
use crate::services::infra::db::{begin_write, is_unique_violation, new_id, now, WriteTx};
use crate::services::org::notify::{self, Notice};
use chrono::{DateTime, Duration, Utc};
use rust_decimal::Decimal;
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Set};
use std::collections::BTreeMap;

/// Claims (job, period) inside `tx`; false when another server (or an earlier round) did.
async fn claim(tx: &WriteTx, job: &str, period_key: &str, worker: &str) -> Result<bool, AppError> {
    let exists = scheduled_run::Entity::find()
        .filter(scheduled_run::Column::Job.eq(job))
        .filter(scheduled_run::Column::PeriodKey.eq(period_key))
        .one(tx)
        .await?
        .is_some();
    if exists {
        return Ok(false);
    }
    let inserted = scheduled_run::ActiveModel {
        id: Set(new_id()),
        job: Set(job.to_string()),
        period_key: Set(period_key.to_string()),
        worker: Set(worker.to_string()),
        created_at: Set(now()),
    }
    .insert(tx)
    .await;
    match inserted {
        Ok(_) => Ok(true),
        Err(e) if is_unique_violation(&e) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// Sends last month's report to each org's Owners, once per org and month. Returns how many
/// orgs got theirs in this round.
pub async fn monthly_reports(db: &DatabaseConnection, at: DateTime<Utc>, worker: &str) -> Result<usize, AppError> {
    let mut sent = 0;
    for o in org::Entity::find().all(db).await? {
        // Last month in the org's own time zone.
        let tz: chrono_tz::Tz = o.time_zone.parse().unwrap_or(chrono_tz::UTC);
        let (this_month, _) = period_bounds_in("month", at, &tz);
        let (start, end) = period_bounds_in("month", this_month - Duration::hours(1), &tz);
        let label = start.with_timezone(&tz).format("%Y-%m").to_string();
        let tx = begin_write(db).await?;
        if !claim(&tx, "monthly_report", &format!("{}:{label}", o.id), worker).await? {
            tx.rollback().await?;
            continue;
        }
        let rows = record::Entity::find()
            .filter(record::Column::OrgId.eq(&o.id))
            .filter(record::Column::OccurredAt.gte(start))
            .filter(record::Column::OccurredAt.lt(end))
            .all(&tx)
            .await?;
        let mut totals: BTreeMap<(String, String), (i64, u64)> = BTreeMap::new();
        for r in &rows {
            let e = totals.entry((r.item_type.clone(), r.currency.clone())).or_default();
            e.0 += r.amount_e4;
            e.1 += 1;
        }
        let mut body = format!("Usage of {} in {label}:\n\n", o.name);
        if totals.is_empty() {
            body.push_str("Nothing was recorded.\n");
        }
        for ((item, currency), (amount, count)) in &totals {
            body.push_str(&format!("- {item}: {} {currency} in {count} records\n", money(from_e4(*amount))));
        }
        let quotas = quota::Entity::find().filter(quota::Column::OrgId.eq(&o.id)).all(&tx).await?;
        if !quotas.is_empty() {
            body.push_str("\nQuotas now:\n");
            for q in &quotas {
                let used = super::usage::used_e4(&tx, q, &tz, at).await?;
                body.push_str(&format!(
                    "- {} of {}: {}% used {}\n",
                    q.name,
                    owner_of(&tx, q).await?,
                    crate::domain::spend::percent(used, q.limit_e4),
                    super::usage::period_words(&q.period)
                ));
            }
        }
        body.push_str("\nThe usage dashboard: /org/usage\n");
        let title = format!("Usage report for {label}");
        let notice = Notice {
            kind: "monthly_report",
            title: &title,
            body: &body,
            severity: "info",
            link: Some("/org/usage"),
            action_id: None,
        };
        for owner in notify::people_holding(&tx, &o.id, "org.manage", &[]).await? {
            notify::notify(&tx, &owner, &notice).await?;
        }
        tx.commit().await?;
        sent += 1;
    }
    Ok(sent)
}

/// What is measured per entity and day: spend (in 1/10 000 units, one currency) and records.
struct Daily {
    amount: BTreeMap<String, i64>,
    count: BTreeMap<String, i64>,
}

/// Checks every entity with spend in the last 29 days; returns how many alerts were sent.
pub async fn unusual_activity(
    db: &DatabaseConnection,
    at: DateTime<Utc>,
    multiple: u32,
    worker: &str,
) -> Result<usize, AppError> {
    let multiple = Decimal::from(multiple);
    let mut alerts = 0;
    for o in org::Entity::find().all(db).await? {
        // Days in the org's own time zone.
        let tz: chrono_tz::Tz = o.time_zone.parse().unwrap_or(chrono_tz::UTC);
        let (today, _) = period_bounds_in("day", at, &tz);
        let from = today - Duration::days(29);
        let day = |t: &DateTime<Utc>| t.with_timezone(&tz).date_naive().to_string();
        let today_local = at.with_timezone(&tz).date_naive();
        let rows = record::Entity::find()
            .filter(record::Column::OrgId.eq(&o.id))
            .filter(record::Column::OccurredAt.gte(from))
            .filter(record::Column::OccurredAt.lte(at))
            .all(db)
            .await?;
        if rows.is_empty() {
            continue;
        }
        let tree = load_tree(db, &o.id).await?;
        // entity key ("org", "team:<id>", "assistant:<id>") → currency → daily values.
        let mut per: BTreeMap<(String, String), Daily> = BTreeMap::new();
        for r in &rows {
            let mut keys = vec!["org".to_string()];
            if let Some(t) = &r.team_id {
                keys.extend(tree.team_and_ancestors(t).into_iter().map(|t| format!("team:{t}")));
            }
            if let ("assistant", Some(a)) = (r.entity_type.as_str(), &r.entity_id) {
                keys.push(format!("assistant:{a}"));
            }
            for k in keys {
                let d = per
                    .entry((k, r.currency.clone()))
                    .or_insert_with(|| Daily { amount: BTreeMap::new(), count: BTreeMap::new() });
                *d.amount.entry(day(&r.occurred_at)).or_default() += r.amount_e4;
                *d.count.entry(day(&r.occurred_at)).or_default() += 10_000;
            }
        }
        let trailing_days: Vec<String> = (1..=28).map(|i| (today_local - Duration::days(i)).to_string()).collect();
        for ((entity, currency), d) in per {
            for (measure, values) in [("spend", &d.amount), ("records", &d.count)] {
                let now_value = values.get(&day(&today)).copied().unwrap_or(0);
                let trailing: Vec<i64> = trailing_days.iter().map(|x| values.get(x).copied().unwrap_or(0)).collect();
                if !is_unusual(now_value, &trailing, multiple) {
                    continue;
                }
                let tx = begin_write(db).await?;
                let key = format!("{}:{entity}:{currency}:{measure}:{}", o.id, day(&today));
                if !claim(&tx, "unusual_activity", &key, worker).await? {
                    tx.rollback().await?;
                    continue;
                }
                let (who, scopes) = describe(&tx, &o.id, &entity, &tree).await?;
                let mean = trailing.iter().sum::<i64>() / 28;
                let shown = |e4: i64| {
                    if measure == "spend" {
                        format!("{} {currency}", money(from_e4(e4)))
                    } else {
                        format!("{} records", e4 / 10_000)
                    }
                };
                let title = format!("Unusual activity: {who}");
                let body = format!(
                    "{who} has {} today, more than {multiple} times its daily average of the last 28 days ({}).",
                    shown(now_value),
                    shown(mean)
                );
                let notice = Notice {
                    kind: "unusual_activity",
                    title: &title,
                    body: &body,
                    severity: "warning",
                    link: Some("/org/usage"),
                    action_id: None,
                };
                for person in notify::people_holding(&tx, &o.id, "quotas.manage", &scopes).await? {
                    notify::notify(&tx, &person, &notice).await?;
                }
                tx.commit().await?;
                alerts += 1;
            }
        }
    }
    Ok(alerts)
}

/// An entity key in words, and the scopes whose quota managers hear about it.
async fn describe(
    tx: &WriteTx,
    org_id: &str,
    entity: &str,
    tree: &crate::domain::access::OrgTree,
) -> Result<(String, Vec<(String, String)>), AppError> {
    let chain = |t: &str| tree.team_and_ancestors(t).into_iter().map(|t| ("team".to_string(), t)).collect::<Vec<_>>();
    Ok(match entity.split_once(':') {
        Some(("team", id)) => {
            let name = team::Entity::find_by_id(id.to_string()).one(tx).await?.map(|t| t.name).unwrap_or_default();
            (format!("team \u{201c}{name}\u{201d}"), chain(id))
        }
        Some(("assistant", id)) => {
            let name = assistant::Entity::find_by_id(id.to_string()).one(tx).await?.map(|a| a.name).unwrap_or_default();
            let scopes = match team_of(tx, org_id, "assistant", Some(id)).await? {
                Some(t) => chain(&t),
                None => Vec::new(),
            };
            (format!("assistant \u{201c}{name}\u{201d}"), scopes)
        }
        _ => ("the organisation".to_string(), Vec::new()),
    })
}
