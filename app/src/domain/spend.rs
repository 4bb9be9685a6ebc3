//! Spend and quotas (§2 Spend and quotas, §4 Spend): what an expenditure record and a quota
//! are, their validation, calendar periods, the usage of a quota and its forecast, which alert
//! thresholds a change crosses, and the unusual-activity rule. Pure: time comes in as `now`.
//!
//! Periods are calendar periods in UTC (a day, a week from Monday, a month) until the org
//! profile carries a time zone.

use super::error::{AppError, Validator};
use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::str::FromStr;

pub const ENTITY_TYPES: [&str; 4] = ["org", "team", "user", "assistant"];
pub const ITEM_TYPES: [&str; 5] = ["agent", "tool", "assistant", "prompt", "action"];
pub const METRICS: [&str; 2] = ["amount", "count"];
pub const PERIODS: [&str; 3] = ["day", "week", "month"];
/// Alert thresholds (percent of the limit) when a quota names none.
pub const DEFAULT_THRESHOLDS: [u32; 3] = [50, 80, 100];
/// At most this many records in one batch.
pub const MAX_BATCH: usize = 1000;
/// Amounts below 10^14 with at most 4 decimals, stored in 1/10 000 units (so sums of many
/// stay far inside an i64).
const MAX_E4: i64 = 1_000_000_000_000_000_000;

/// `POST /api/v1/expenditures` (one record; a batch is `{records: [...]}`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewExpenditure {
    #[serde(default)]
    pub entity_type: String,
    #[serde(default)]
    pub entity_id: Option<String>,
    #[serde(default)]
    pub amount: serde_json::Value,
    #[serde(default)]
    pub currency: String,
    #[serde(default)]
    pub item_type: String,
    #[serde(default)]
    pub item_id: Option<String>,
    /// RFC 3339; now when left out.
    #[serde(default)]
    pub occurred_at: Option<String>,
}

/// A checked expenditure: amount in 1/10 000 units.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckedExpenditure {
    pub entity_type: String,
    pub entity_id: Option<String>,
    pub amount_e4: i64,
    pub currency: String,
    pub item_type: String,
    pub item_id: Option<String>,
    pub occurred_at: Option<DateTime<Utc>>,
}

/// Decimal text or number → 1/10 000 units, refusing what cannot be stored exactly.
pub fn amount_e4(v: &serde_json::Value) -> Result<i64, String> {
    let d = match v {
        serde_json::Value::Number(n) => Decimal::from_str(&n.to_string()).ok(),
        serde_json::Value::String(s) => Decimal::from_str(s.trim()).ok(),
        _ => None,
    }
    .ok_or_else(|| "Give the amount as a number, like 12.50.".to_string())?;
    to_e4(d)
}

pub fn to_e4(d: Decimal) -> Result<i64, String> {
    if d.is_sign_negative() {
        return Err("The amount can't be negative.".into());
    }
    if d.scale() > 4 && d.normalize().scale() > 4 {
        return Err("Use at most 4 decimals.".into());
    }
    let scaled = (d * Decimal::from(10_000)).trunc();
    let n: i64 = scaled.try_into().map_err(|_| "The amount is too large.".to_string())?;
    if n >= MAX_E4 {
        return Err("The amount is too large.".into());
    }
    Ok(n)
}

pub fn from_e4(n: i64) -> Decimal {
    Decimal::new(n, 4).normalize()
}

fn currency_ok(c: &str) -> bool {
    c.len() == 3 && c.chars().all(|x| x.is_ascii_uppercase())
}

impl NewExpenditure {
    /// Checks one record; field names are prefixed with `at` (`records.3.amount`).
    pub fn check(&self, at: &str, v: &mut Validator) -> Option<CheckedExpenditure> {
        let f = |name: &str| if at.is_empty() { name.to_string() } else { format!("{at}.{name}") };
        let entity_type = self.entity_type.trim().to_lowercase();
        v.check(
            ENTITY_TYPES.contains(&entity_type.as_str()),
            &f("entity_type"),
            "Say whose spend this is: org, team, user or assistant.",
        );
        let entity_id = self.entity_id.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string);
        v.check(
            entity_type == "org" || entity_id.is_some(),
            &f("entity_id"),
            "Say which team, user or assistant (entity_id).",
        );
        let amount = amount_e4(&self.amount);
        if let Err(m) = &amount {
            v.check(false, &f("amount"), m.clone());
        }
        let currency = self.currency.trim().to_uppercase();
        v.check(currency_ok(&currency), &f("currency"), "Give the currency as a three-letter code, like EUR.");
        let item_type = self.item_type.trim().to_lowercase();
        v.check(
            ITEM_TYPES.contains(&item_type.as_str()),
            &f("item_type"),
            format!("Say what was paid for: {}.", ITEM_TYPES.join(", ")),
        );
        let occurred_at = match self.occurred_at.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => None,
            Some(s) => match DateTime::parse_from_rfc3339(s) {
                Ok(t) => Some(t.with_timezone(&Utc)),
                Err(_) => {
                    v.check(false, &f("occurred_at"), "Give the time as RFC 3339, like 2026-12-05T10:00:00Z.");
                    None
                }
            },
        };
        Some(CheckedExpenditure {
            entity_type,
            entity_id: entity_id.filter(|_| self.entity_type.trim() != "org"),
            amount_e4: amount.ok()?,
            currency,
            item_type,
            item_id: self.item_id.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string),
            occurred_at,
        })
    }
}

/// `POST /api/v1/quotas` and `PATCH /api/v1/quotas/{id}` (every field optional on PATCH).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuotaInput {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub entity_type: Option<String>,
    #[serde(default)]
    pub entity_id: Option<String>,
    /// An item type, or null / "any" for every kind of spend.
    #[serde(default, deserialize_with = "super::patch::present")]
    pub item_type: Option<Option<String>>,
    #[serde(default)]
    pub metric: Option<String>,
    #[serde(default)]
    pub limit: Option<serde_json::Value>,
    #[serde(default)]
    pub currency: Option<String>,
    #[serde(default)]
    pub period: Option<String>,
    #[serde(default)]
    pub enforce: Option<bool>,
    #[serde(default)]
    pub alert_thresholds: Option<Vec<u32>>,
}

/// A quota's definition as stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuotaDefinition {
    pub name: String,
    pub entity_type: String,
    pub entity_id: Option<String>,
    pub item_type: Option<String>,
    pub metric: String,
    /// Amount quotas: 1/10 000 units; count quotas: a whole number × 10 000 as well.
    pub limit_e4: i64,
    pub currency: Option<String>,
    pub period: String,
    pub enforce: bool,
    pub alert_thresholds: Vec<u32>,
}

impl QuotaInput {
    /// The definition this input makes, over `current` for a PATCH.
    pub fn resolve(self, current: Option<&QuotaDefinition>) -> Result<QuotaDefinition, AppError> {
        let mut v = Validator::new();
        let pick = |new: Option<String>, old: Option<&String>| {
            new.map(|s| s.trim().to_lowercase()).or_else(|| old.cloned()).unwrap_or_default()
        };
        let entity_type = pick(self.entity_type, current.map(|c| &c.entity_type));
        v.check(
            ENTITY_TYPES.contains(&entity_type.as_str()),
            "entity_type",
            "Say whose spend the quota caps: org, team, user or assistant.",
        );
        let entity_id = self
            .entity_id
            .map(|s| s.trim().to_string())
            .or_else(|| current.and_then(|c| c.entity_id.clone()))
            .filter(|s| !s.is_empty() && entity_type != "org");
        v.check(entity_type == "org" || entity_id.is_some(), "entity_id", "Say which team, user or assistant.");
        let item_type = match self.item_type {
            Some(t) => t.map(|s| s.trim().to_lowercase()).filter(|s| !s.is_empty() && s != "any"),
            None => current.and_then(|c| c.item_type.clone()),
        };
        if let Some(t) = &item_type {
            v.check(
                ITEM_TYPES.contains(&t.as_str()),
                "item_type",
                format!("Choose one of {}, or any.", ITEM_TYPES.join(", ")),
            );
        }
        let metric = pick(self.metric, current.map(|c| &c.metric));
        v.check(METRICS.contains(&metric.as_str()), "metric", "Cap an amount of money or a count.");
        let limit_e4 = match &self.limit {
            Some(l) => match amount_e4(l) {
                Ok(n) if n > 0 => n,
                Ok(_) => {
                    v.check(false, "limit", "The limit must be above zero.");
                    0
                }
                Err(m) => {
                    v.check(false, "limit", m);
                    0
                }
            },
            None => match current {
                Some(c) => c.limit_e4,
                None => {
                    v.check(false, "limit", "Give the limit.");
                    0
                }
            },
        };
        if metric == "count" && limit_e4 % 10_000 != 0 {
            v.check(false, "limit", "A count limit is a whole number.");
        }
        let currency = self
            .currency
            .map(|c| c.trim().to_uppercase())
            .or_else(|| current.and_then(|c| c.currency.clone()))
            .filter(|c| !c.is_empty() && metric == "amount");
        if let Some(c) = &currency {
            v.check(currency_ok(c), "currency", "Give the currency as a three-letter code, like EUR.");
        }
        let period = pick(self.period, current.map(|c| &c.period));
        v.check(PERIODS.contains(&period.as_str()), "period", "Choose a day, a week or a month.");
        let mut alert_thresholds = self
            .alert_thresholds
            .or_else(|| current.map(|c| c.alert_thresholds.clone()))
            .unwrap_or_else(|| DEFAULT_THRESHOLDS.to_vec());
        alert_thresholds.sort_unstable();
        alert_thresholds.dedup();
        v.check(
            alert_thresholds.iter().all(|t| (1..=1000).contains(t)) && alert_thresholds.len() <= 10,
            "alert_thresholds",
            "Use up to 10 percentages between 1 and 1000.",
        );
        let name = self
            .name
            .map(|n| n.trim().to_string())
            .or_else(|| current.map(|c| c.name.clone()))
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| default_name(&metric, item_type.as_deref(), &period));
        v.check(name.chars().count() <= 200, "name", "Keep the name to 200 characters.");
        let enforce = self.enforce.or(current.map(|c| c.enforce)).unwrap_or(true);
        v.finish()?;
        Ok(QuotaDefinition {
            name,
            entity_type,
            entity_id,
            item_type,
            metric,
            limit_e4,
            currency,
            period,
            enforce,
            alert_thresholds,
        })
    }
}

fn default_name(metric: &str, item_type: Option<&str>, period: &str) -> String {
    let what = match (metric, item_type) {
        ("count", Some("action")) => "Actions".to_string(),
        ("count", Some(t)) => format!("{} uses", capital(t)),
        ("count", None) => "Uses".to_string(),
        (_, Some(t)) => format!("{} spend", capital(t)),
        (_, None) => "Spend".to_string(),
    };
    let per = match period {
        "day" => "per day",
        "week" => "per week",
        _ => "per month",
    };
    format!("{what} {per}")
}

fn capital(s: &str) -> String {
    let mut c = s.chars();
    c.next().map(|f| f.to_uppercase().collect::<String>() + c.as_str()).unwrap_or_default()
}

/// The calendar period (UTC) holding `now`: [start, end).
pub fn period_bounds(period: &str, now: DateTime<Utc>) -> (DateTime<Utc>, DateTime<Utc>) {
    period_bounds_in(period, now, &Utc)
}

/// The calendar period holding `now` in the time zone `tz` (days from local midnight, weeks
/// from Monday, months from the 1st), as UTC instants: [start, end). A midnight that a
/// daylight-saving change skips starts at the first instant after it.
pub fn period_bounds_in<Z: TimeZone>(period: &str, now: DateTime<Utc>, tz: &Z) -> (DateTime<Utc>, DateTime<Utc>) {
    let day = now.with_timezone(tz).date_naive();
    let (start, end): (NaiveDate, NaiveDate) = match period {
        "day" => (day, day + Duration::days(1)),
        "week" => {
            let monday = day - Duration::days(i64::from(day.weekday().num_days_from_monday()));
            (monday, monday + Duration::days(7))
        }
        _ => {
            let first = NaiveDate::from_ymd_opt(day.year(), day.month(), 1).unwrap_or(day);
            let next = if day.month() == 12 {
                NaiveDate::from_ymd_opt(day.year() + 1, 1, 1)
            } else {
                NaiveDate::from_ymd_opt(day.year(), day.month() + 1, 1)
            }
            .unwrap_or(first + Duration::days(31));
            (first, next)
        }
    };
    let at = |d: NaiveDate| {
        let midnight = d.and_hms_opt(0, 0, 0).unwrap_or_default();
        match tz.from_local_datetime(&midnight).earliest() {
            Some(t) => t.with_timezone(&Utc),
            // Midnight skipped by a clock change: the first hour that exists.
            None => (1..=3)
                .find_map(|h| tz.from_local_datetime(&(midnight + Duration::hours(h))).earliest())
                .map(|t| t.with_timezone(&Utc))
                .unwrap_or_else(|| Utc.from_utc_datetime(&midnight)),
        }
    };
    (at(start), at(end))
}

/// Linear forecast of the period's total: what was used, at the pace so far, to the end.
/// In 1/10 000 units; the elapsed part counts at least one hour (a quota used in its first
/// minutes does not forecast infinity).
pub fn forecast_e4(used_e4: i64, start: DateTime<Utc>, end: DateTime<Utc>, now: DateTime<Utc>) -> i64 {
    let total = (end - start).num_seconds().max(1) as i128;
    let elapsed = (now - start).num_seconds().clamp(3600, total as i64) as i128;
    let f = i128::from(used_e4) * total / elapsed;
    i64::try_from(f).unwrap_or(i64::MAX)
}

/// Percent of the limit used (rounded down).
pub fn percent(used_e4: i64, limit_e4: i64) -> u32 {
    if limit_e4 <= 0 {
        return 0;
    }
    u32::try_from(i128::from(used_e4) * 100 / i128::from(limit_e4)).unwrap_or(u32::MAX)
}

/// The thresholds a change from `before` to `after` (both in 1/10 000 units) crosses.
pub fn crossed(thresholds: &[u32], limit_e4: i64, before_e4: i64, after_e4: i64) -> Vec<u32> {
    thresholds
        .iter()
        .copied()
        .filter(|t| {
            let at = i128::from(limit_e4) * i128::from(*t) / 100;
            i128::from(before_e4) < at && i128::from(after_e4) >= at
        })
        .collect()
}

/// Whether a day's value is unusual: above `multiple` × the mean of the trailing days (days
/// with nothing count as 0; with no history at all nothing is unusual).
pub fn is_unusual(today_e4: i64, trailing_e4: &[i64], multiple: Decimal) -> bool {
    if trailing_e4.is_empty() || trailing_e4.iter().all(|d| *d == 0) {
        return false;
    }
    let mean = Decimal::from(trailing_e4.iter().map(|d| i128::from(*d)).sum::<i128>() as i64)
        / Decimal::from(trailing_e4.len() as i64);
    Decimal::from(today_e4) > mean * multiple
}

/// A quota as the API and pages show it, with its use in the current period.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct QuotaView {
    pub id: String,
    pub name: String,
    pub entity_type: String,
    pub entity_id: Option<String>,
    /// Whose quota, in words ("team “Support”").
    pub owner: String,
    pub item_type: Option<String>,
    pub metric: String,
    /// Decimal text: an amount, or a whole count.
    pub limit: String,
    pub currency: Option<String>,
    pub period: String,
    pub enforce: bool,
    pub alert_thresholds: Vec<u32>,
    pub used: String,
    pub percent: u32,
    /// What the period will have used at the pace so far.
    pub forecast: String,
    pub period_start: String,
    pub period_end: String,
    pub created_at: String,
    pub updated_at: String,
}

/// `GET /api/v1/usage`: an entity's totals by item type in a period, and its quotas.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UsageReport {
    pub entity_type: String,
    pub entity_id: Option<String>,
    pub period: String,
    pub period_start: String,
    pub period_end: String,
    /// Per item type and currency: the amount spent and the number of records.
    pub totals: Vec<UsageTotal>,
    pub quotas: Vec<QuotaView>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsageTotal {
    pub item_type: String,
    pub currency: String,
    pub amount: String,
    pub count: u64,
}

/// `/org/usage`: spend over the period by day and item type, top teams and assistants,
/// each quota's burn-down, and actions executed and denied per day. Amounts in `currency`
/// (records in other currencies are counted in `other_currencies`, never added in).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Dashboard {
    pub period: String,
    pub period_start: String,
    pub period_end: String,
    pub currency: String,
    pub other_currencies: Vec<String>,
    pub item_types: Vec<String>,
    pub days: Vec<DaySpend>,
    pub total: String,
    pub top_teams: Vec<Ranked>,
    pub top_assistants: Vec<Ranked>,
    pub burn_down: Vec<QuotaBurn>,
    pub actions: Vec<ActionDay>,
}

/// One day's spend: amounts by item type (in `Dashboard::item_types` order) and the total.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DaySpend {
    pub date: String,
    pub amounts: Vec<String>,
    pub total: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ranked {
    pub id: String,
    pub name: String,
    pub amount: String,
    pub count: u64,
}

/// A quota's use day by day through its current period, with the forecast to its end.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct QuotaBurn {
    pub quota: QuotaView,
    /// (date, cumulative use) up to today.
    pub points: Vec<(String, String)>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionDay {
    pub date: String,
    pub executed: u64,
    pub denied: u64,
}

/// A choice of the quota editor's "Whose spend" picker: the organisation, a team, a person
/// or an assistant, by name.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntityChoice {
    pub entity_type: String,
    pub entity_id: Option<String>,
    /// "Team “Support”", "Ana Lima (ana@example.com)", "Assistant “Helper” of Shop".
    pub label: String,
}

impl EntityChoice {
    /// The picker's value: `org`, or `team:<id>` and so on.
    pub fn key(&self) -> String {
        match &self.entity_id {
            Some(id) => format!("{}:{id}", self.entity_type),
            None => self.entity_type.clone(),
        }
    }
}

/// The picker's value back into (entity_type, entity_id).
pub fn entity_from_key(key: &str) -> (String, Option<String>) {
    match key.trim().split_once(':') {
        Some((t, id)) => (t.to_string(), Some(id.to_string())),
        None => (key.trim().to_string(), None),
    }
}

/// `/org/quotas`: the quotas the viewer may read, whether they may change quotas anywhere,
/// and whose spend they may cap.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct QuotaPage {
    pub quotas: Vec<QuotaView>,
    pub can_manage: bool,
    pub choices: Vec<EntityChoice>,
}

/// What an item type is called on the pages ("Prompts"); None is every kind.
pub fn item_type_name(item_type: Option<&str>) -> &'static str {
    match item_type {
        None => "Everything",
        Some("agent") => "Agents",
        Some("tool") => "Tools",
        Some("assistant") => "Assistants",
        Some("prompt") => "Prompts",
        Some("action") => "Actions",
        Some(_) => "Other",
    }
}

/// "day" → "per day".
pub fn period_words(period: &str) -> &'static str {
    match period {
        "day" => "per day",
        "week" => "per week",
        _ => "per month",
    }
}

/// What a quota counts, in words: "Spend on prompts per month", "Actions per day",
/// "Spend per week", "Records of any kind per day".
pub fn quota_measure(item_type: Option<&str>, metric: &str, period: &str) -> String {
    let per = period_words(period);
    match (metric, item_type) {
        ("amount", None) => format!("Spend {per}"),
        ("amount", Some(t)) => format!("Spend on {} {per}", item_type_name(Some(t)).to_lowercase()),
        (_, None) => format!("Records of any kind {per}"),
        (_, Some(t)) => format!("{} {per}", item_type_name(Some(t))),
    }
}

/// Alert thresholds typed as "50, 80, 100" (spaces, commas or semicolons; a trailing % is
/// fine). Empty text means the defaults.
pub fn parse_thresholds(text: &str) -> Result<Vec<u32>, String> {
    let parts: Vec<&str> =
        text.split(|c: char| c == ',' || c == ';' || c.is_whitespace()).filter(|p| !p.is_empty()).collect();
    if parts.is_empty() {
        return Ok(DEFAULT_THRESHOLDS.to_vec());
    }
    parts
        .iter()
        .map(|p| {
            p.trim_end_matches('%')
                .parse::<u32>()
                .map_err(|_| format!("\u{201c}{p}\u{201d} is not a whole percentage. Write them like 50, 80, 100."))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn quotas_in_words() {
        assert_eq!(quota_measure(Some("action"), "count", "day"), "Actions per day");
        assert_eq!(quota_measure(Some("prompt"), "amount", "month"), "Spend on prompts per month");
        assert_eq!(quota_measure(None, "amount", "week"), "Spend per week");
        assert_eq!(quota_measure(None, "count", "day"), "Records of any kind per day");
        assert_eq!(parse_thresholds("50, 80;100%").unwrap(), vec![50, 80, 100]);
        assert_eq!(parse_thresholds("  ").unwrap(), DEFAULT_THRESHOLDS.to_vec());
        assert!(parse_thresholds("50, lots").unwrap_err().contains("lots"));
        let c = EntityChoice { entity_type: "team".into(), entity_id: Some("t1".into()), label: "x".into() };
        assert_eq!(entity_from_key(&c.key()), ("team".to_string(), Some("t1".to_string())));
        assert_eq!(entity_from_key("org"), ("org".to_string(), None));
    }

    #[test]
    fn calendar_periods() {
        let now = t("2026-12-05T13:30:00Z"); // a Saturday
        assert_eq!(period_bounds("day", now), (t("2026-12-05T00:00:00Z"), t("2026-12-06T00:00:00Z")));
        assert_eq!(period_bounds("week", now), (t("2026-11-30T00:00:00Z"), t("2026-12-07T00:00:00Z")));
        assert_eq!(period_bounds("month", now), (t("2026-12-01T00:00:00Z"), t("2027-01-01T00:00:00Z")));
        assert_eq!(period_bounds("month", t("2027-02-10T00:00:00Z")).1, t("2027-03-01T00:00:00Z"));
        // In a time zone: Berlin's day and month start at its midnight (UTC+1 in winter); a
        // late evening in New York is still the day before.
        let berlin = chrono::FixedOffset::east_opt(3600).unwrap();
        assert_eq!(
            period_bounds_in("day", t("2026-12-05T23:30:00Z"), &berlin),
            (t("2026-12-05T23:00:00Z"), t("2026-12-06T23:00:00Z"))
        );
        assert_eq!(period_bounds_in("month", t("2026-11-30T23:30:00Z"), &berlin).0, t("2026-11-30T23:00:00Z"));
        let new_york = chrono::FixedOffset::west_opt(5 * 3600).unwrap();
        assert_eq!(period_bounds_in("day", t("2026-12-06T02:00:00Z"), &new_york).0, t("2026-12-05T05:00:00Z"));
    }

    #[test]
    fn forecast_is_the_pace_so_far_to_the_end() {
        let (s, e) = period_bounds("day", t("2026-12-05T12:00:00Z"));
        // 50 used by noon → 100 by midnight.
        assert_eq!(forecast_e4(500_000, s, e, t("2026-12-05T12:00:00Z")), 1_000_000);
        // In the first minutes the pace counts as of one hour.
        assert_eq!(forecast_e4(10_000, s, e, t("2026-12-05T00:01:00Z")), 240_000);
        // At the end it is what was used.
        assert_eq!(forecast_e4(123, s, e, t("2026-12-06T00:00:00Z")), 123);
    }

    #[test]
    fn thresholds_cross_once() {
        let th = [50, 80, 100];
        assert_eq!(crossed(&th, 1000, 0, 499), Vec::<u32>::new());
        assert_eq!(crossed(&th, 1000, 0, 500), vec![50]);
        assert_eq!(crossed(&th, 1000, 500, 900), vec![80]);
        assert_eq!(crossed(&th, 1000, 400, 1200), vec![50, 80, 100]);
        assert_eq!(crossed(&th, 1000, 1200, 1300), Vec::<u32>::new());
    }

    #[test]
    fn quota_input_checks_and_defaults() {
        let q: QuotaInput = serde_json::from_value(json!({"entity_type": "assistant", "entity_id": "a1",
            "metric": "count", "limit": 2, "period": "day", "item_type": "action"}))
        .unwrap();
        let d = q.resolve(None).unwrap();
        assert_eq!((d.limit_e4, d.enforce, d.alert_thresholds.clone()), (20_000, true, vec![50, 80, 100]));
        assert_eq!(d.name, "Actions per day");
        let bad: QuotaInput =
            serde_json::from_value(json!({"entity_type": "planet", "metric": "count", "limit": 2.5, "period": "year"}))
                .unwrap();
        let e = bad.resolve(None).unwrap_err();
        for f in ["entity_type", "limit", "period"] {
            assert!(e.field(f).is_some(), "{f}: {e:?}");
        }
        let patch: QuotaInput = serde_json::from_value(json!({"limit": "3", "enforce": false})).unwrap();
        let d2 = patch.resolve(Some(&d)).unwrap();
        assert_eq!((d2.limit_e4, d2.enforce, d2.entity_id.as_deref()), (30_000, false, Some("a1")));
    }

    #[test]
    fn expenditure_records_are_checked_field_by_field() {
        let mut v = Validator::new();
        let r = NewExpenditure {
            entity_type: "team".into(),
            entity_id: None,
            amount: json!("-1"),
            currency: "euro".into(),
            item_type: "lunch".into(),
            item_id: None,
            occurred_at: Some("yesterday".into()),
        };
        r.check("records.2", &mut v);
        let e = v.finish().unwrap_err();
        let fields: Vec<&str> = e.fields.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "records.2.entity_id",
                "records.2.amount",
                "records.2.currency",
                "records.2.item_type",
                "records.2.occurred_at"
            ]
        );
        assert_eq!(amount_e4(&json!("12.3456")), Ok(123_456));
        assert!(amount_e4(&json!("1.23456")).is_err());
        assert!(amount_e4(&json!(1e30)).is_err());
    }

    #[test]
    fn unusual_is_a_multiple_of_the_trailing_mean() {
        let trailing = [100; 28];
        assert!(!is_unusual(300, &trailing, Decimal::from(3)));
        assert!(is_unusual(301, &trailing, Decimal::from(3)));
        assert!(!is_unusual(1_000_000, &[0; 28], Decimal::from(3)), "no history, nothing unusual");
    }

    proptest! {
        #[test]
        fn crossing_in_steps_fires_each_threshold_exactly_once(steps in proptest::collection::vec(0i64..400, 1..30)) {
            let th = [50, 80, 100];
            let mut used = 0i64;
            let mut fired = Vec::new();
            for s in steps {
                fired.extend(crossed(&th, 1000, used, used + s));
                used += s;
            }
            let expected: Vec<u32> = th.iter().copied().filter(|t| used >= i64::from(*t) * 10).collect();
            prop_assert_eq!(fired, expected);
        }

        #[test]
        fn the_forecast_never_falls_below_what_was_used(used in 0i64..1_000_000_000, minutes in 0i64..(31 * 24 * 60)) {
            let (s, e) = period_bounds("month", t("2026-12-01T00:00:00Z"));
            let now = s + Duration::minutes(minutes);
            prop_assert!(forecast_e4(used, s, e, now.min(e)) >= used);
        }
    }
}
