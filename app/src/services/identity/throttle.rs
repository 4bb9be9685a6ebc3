//! Counting attempts per key in the `auth_throttle` table (shared by every app server): failed
//! sign-ins and MFA codes per account and per client IP (`auth`), password-reset requests
//! per email and per client IP, wrong current passwords on the account page. Up to `max`
//! hits within the window, then the key is locked for a window.
//!
//! Each flow's keys carry their own prefix (`account:…`, `ip:…`, `reset:…`, `pwchange:…`) so
//! they never touch each other's counters.

use crate::domain::AppError;
use crate::entities::auth_throttle;
use crate::services::infra::db::begin_write;
use chrono::{DateTime, Duration, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect, Set};

/// A key and how many hits it allows per window.
#[derive(Clone, Debug)]
pub struct Limit {
    pub key: String,
    pub max: i32,
}

impl Limit {
    pub fn new(key: impl Into<String>, max: i32) -> Limit {
        Limit { key: key.into(), max }
    }
}

/// RATE_LIMITED while any of the keys is locked, with the wait in `message`'s words.
pub async fn check(db: &DatabaseConnection, limits: &[Limit], at: DateTime<Utc>, what: &str) -> Result<(), AppError> {
    let names: Vec<String> = limits.iter().map(|l| l.key.clone()).collect();
    let rows = auth_throttle::Entity::find().filter(auth_throttle::Column::Key.is_in(names)).all(db).await?;
    if let Some(until) = rows.iter().filter_map(|r| r.locked_until).filter(|u| *u > at).max() {
        let secs = (until - at).num_seconds().max(1) as u64;
        let minutes = secs.div_ceil(60);
        return Err(AppError::rate_limited(
            format!("{what} Try again in {minutes} minute{}.", if minutes == 1 { "" } else { "s" }),
            secs,
        ));
    }
    Ok(())
}

/// Counts one hit for each key; a key reaching its `max` within `window` is locked for `window`.
pub async fn record(
    db: &DatabaseConnection,
    limits: &[Limit],
    window: Duration,
    at: DateTime<Utc>,
) -> Result<(), AppError> {
    let tx = begin_write(db).await?;
    for Limit { key, max } in limits {
        auth_throttle::Entity::insert(auth_throttle::ActiveModel {
            key: Set(key.clone()),
            failures: Set(0),
            window_started_at: Set(at),
            locked_until: Set(None),
        })
        .on_conflict_do_nothing_on([auth_throttle::Column::Key])
        .exec(&tx)
        .await?;
        let row = auth_throttle::Entity::find_by_id(key.clone())
            .lock_exclusive()
            .one(&tx)
            .await?
            .ok_or_else(AppError::internal)?;
        let (hits, started) =
            if row.window_started_at + window < at { (1, at) } else { (row.failures + 1, row.window_started_at) };
        let reached = hits >= *max;
        auth_throttle::ActiveModel {
            key: Set(key.clone()),
            failures: Set(if reached { 0 } else { hits }),
            window_started_at: Set(if reached { at } else { started }),
            locked_until: Set(if reached { Some(at + window) } else { row.locked_until }),
        }
        .update(&tx)
        .await?;
    }
    tx.commit().await.map_err(AppError::from)
}

/// Forgets a key (after a success that proves the person is who they say).
pub async fn clear(db: &DatabaseConnection, key: &str) -> Result<(), AppError> {
    auth_throttle::Entity::delete_by_id(key.to_string()).exec(db).await?;
    Ok(())
}
