//! Usage counters: what window limits (max_count, max_total_amount) count. Hour buckets per
//! store, action and subject; a window of N hours is the current hour's bucket and the N-1
//! before it. Invoke reserves into the current bucket in the same transaction as the audit
//! row; cancel, failure and expiry release what was reserved.

use crate::domain::policy::{Usage, UsageKey, UsageTotals};
use crate::domain::AppError;
use crate::entities::usage_counter;
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use std::collections::HashMap;

/// Hours since the Unix epoch: the bucket `at` falls in.
pub fn bucket_hour(at: DateTime<Utc>) -> i64 {
    at.timestamp().div_euclid(3600)
}

/// 1/10 000 units, the counters' exact integer form of an amount.
pub fn to_e4(amount: Decimal) -> i64 {
    let scaled = (amount * Decimal::from(10_000)).round();
    i64::try_from(scaled).unwrap_or(i64::MAX)
}

pub fn from_e4(e4: i64) -> Decimal {
    Decimal::new(e4, 4)
}

/// The totals of every window in `keys` for one store and action, as of `now`.
pub async fn read<C: ConnectionTrait>(
    db: &C,
    store_id: &str,
    action_type: &str,
    keys: &[UsageKey],
    now: DateTime<Utc>,
) -> Result<Usage, AppError> {
    let mut usage = Usage::default();
    if keys.is_empty() {
        return Ok(usage);
    }
    let current = bucket_hour(now);
    let widest = keys.iter().map(|k| k.window_hours).max().unwrap_or(1) as i64;
    let subjects: Vec<String> = keys.iter().map(|k| k.subject.key()).collect();
    let rows = usage_counter::Entity::find()
        .filter(usage_counter::Column::StoreId.eq(store_id))
        .filter(usage_counter::Column::ActionType.eq(action_type))
        .filter(usage_counter::Column::Subject.is_in(subjects))
        .filter(usage_counter::Column::BucketHour.gt(current - widest))
        .all(db)
        .await?;
    let mut by_subject: HashMap<&str, Vec<&usage_counter::Model>> = HashMap::new();
    for r in &rows {
        by_subject.entry(r.subject.as_str()).or_default().push(r);
    }
    for key in keys {
        let subject = key.subject.key();
        let first = current - key.window_hours as i64;
        let mut totals = UsageTotals::default();
        for r in by_subject.get(subject.as_str()).into_iter().flatten().filter(|r| r.bucket_hour > first) {
            totals.count += u64::try_from(r.count).unwrap_or(0);
            totals.amount += from_e4(r.amount_e4);
        }
        usage.windows.insert(key.clone(), totals);
    }
    Ok(usage)
}
