//! What the benchmarks share: a store with 25 catalog actions and three limits on each
//! (max_amount, max_percentage, max_count per 24 h) with usage present, two requests (one
//! allowed, one over its limits), the same policy written for Cedar, and the real catalog
//! (its compiled JSON Schemas) loaded the way the server loads it.
//!
//! Benchmarks only: nothing here is used by the server, and no test asserts a duration.

use app::domain::catalog::{decimal_field, ActionDef, ConfirmationBy, Level, LimitType, OnExceed};
use app::domain::error::FieldError;
use app::domain::policy::{
    ActionRequest, ActionRule, AssistantRule, InputCheck, Limit, StorePolicy, Subject, Usage, UsageKey, UsageTotals,
};
use app::services::infra::db;
use app::services::stores::catalog::{self, Catalog};
use rust_decimal::Decimal;
use serde_json::{json, Value};
use std::collections::{BTreeSet, HashMap};

pub const STORE_ID: &str = "store-bench";
pub const ASSISTANT_ID: &str = "assistant-bench";
/// How many catalog actions the store has set up.
pub const ACTIONS: usize = 25;
/// The action both requests ask for: it has an amount and an order total, so all three
/// limits are real checks.
pub const ACTION: &str = "process_refund";
pub const MAX_AMOUNT: i64 = 500;
pub const MAX_PERCENTAGE: i64 = 50;
pub const MAX_COUNT: i64 = 100;
pub const WINDOW_HOURS: u32 = 24;
/// Actions already counted in the current 24 h window.
pub const USED: u64 = 42;

/// The built-in catalog as the server has it: a throwaway SQLite file is migrated (the
/// catalog is seeded by a migration) and read with `services::stores::catalog::load`, which compiles
/// every input schema.
pub async fn load_catalog() -> Catalog {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}/catalog.db?mode=rwc", dir.path().display());
    let conn = db::connect(&url).await.expect("open SQLite");
    db::migrate(&conn).await.expect("migrate");
    let catalog = catalog::load(&conn).await.expect("load the catalog");
    conn.close().await.expect("close SQLite");
    catalog
}

/// The first 25 catalog actions by id (process_refund is among them).
pub fn chosen_actions(catalog: &Catalog) -> Vec<ActionDef> {
    let defs: Vec<ActionDef> = catalog.defs.values().take(ACTIONS).map(|d| (**d).clone()).collect();
    assert!(defs.iter().any(|d| d.id == ACTION), "{ACTION} must be among the benchmarked actions");
    defs
}

fn limit(id: String, limit_type: LimitType, value: i64, window_hours: Option<u32>) -> Limit {
    Limit {
        id,
        level: Level::Store,
        limit_type,
        value: Decimal::from(value),
        window_hours,
        on_exceed: OnExceed::Deny,
        per_customer: false,
    }
}

/// The compiled policy `decide` reads: every action enabled without confirmation, with
/// max_amount 500, max_percentage 50 and max_count 100 per 24 h (all deny); one active
/// assistant allowed every action.
pub fn store_policy(defs: &[ActionDef]) -> StorePolicy {
    let actions = defs
        .iter()
        .map(|d| {
            let rule = ActionRule {
                version: d.version,
                name: d.name.clone(),
                amount_field: d.amount_field.clone(),
                percentage_field: d.percentage_field.clone(),
                order_total_field: d.order_total_field.clone(),
                enabled: true,
                requires_confirmation: false,
                confirmation_by: ConfirmationBy::Staff,
                limits: vec![
                    limit(format!("{}-amount", d.id), LimitType::MaxAmount, MAX_AMOUNT, None),
                    limit(format!("{}-percentage", d.id), LimitType::MaxPercentage, MAX_PERCENTAGE, None),
                    limit(format!("{}-count", d.id), LimitType::MaxCount, MAX_COUNT, Some(WINDOW_HOURS)),
                ],
            };
            (d.id.clone(), rule)
        })
        .collect();
    let assistant = AssistantRule {
        active: true,
        allowed: defs.iter().map(|d| d.id.clone()).collect::<BTreeSet<_>>(),
        limits: HashMap::new(),
    };
    StorePolicy {
        store_id: STORE_ID.into(),
        currency: "EUR".into(),
        paused: false,
        actions,
        assistants: HashMap::from([(ASSISTANT_ID.to_string(), assistant)]),
    }
}

/// The store's count in its 24 h window: what `services::gateway::usage::read` would return.
pub fn usage_key() -> UsageKey {
    UsageKey { subject: Subject::Store, window_hours: WINDOW_HOURS }
}

pub fn usage() -> Usage {
    Usage {
        windows: HashMap::from([(usage_key(), UsageTotals { count: USED, amount: Decimal::new(1_234_50, 2) })]),
        quotas: Vec::new(),
    }
}

fn refund(amount: &str, order_total: &str) -> ActionRequest {
    ActionRequest {
        store_id: None,
        action_type: ACTION.into(),
        action_version: None,
        params: json!({"order_id": "1001", "amount": amount, "order_total": order_total, "reason": "Arrived damaged"}),
        assistant_id: Some(ASSISTANT_ID.into()),
        customer_ref: Some("cus_anna".into()),
        known_order_total: None,
    }
}

/// 40.00 of a 120.00 order (33.3 %), 42 of 100 used: within every limit → allow.
pub fn allowed_request() -> ActionRequest {
    refund("40.00", "120.00")
}

/// 650.00 of a 1000.00 order (65 %): over max_amount and max_percentage → deny.
pub fn limit_hit_request() -> ActionRequest {
    refund("650.00", "1000.00")
}

/// Accepts every input: `decide` as a pure policy evaluation, the fair comparison with Cedar.
pub struct NoInputCheck;

impl InputCheck for NoInputCheck {
    fn check(&self, _: &str, _: u32, _: &Value) -> Result<(), Vec<FieldError>> {
        Ok(())
    }
}

/// The numbers the Cedar side puts into its request context, read from the same inputs the
/// same way `decide` reads them (amount, order total, percentage = amount ÷ total × 100
/// rounded to 4 places, the window's count).
pub struct ContextValues {
    pub amount: Option<Decimal>,
    pub percentage: Option<Decimal>,
    pub count: u64,
}

pub fn context_values(req: &ActionRequest, usage: &Usage, key: &UsageKey) -> ContextValues {
    let amount = decimal_field(&req.params, "amount").ok().flatten();
    let total = decimal_field(&req.params, "order_total").ok().flatten();
    let percentage = match (amount, total) {
        (Some(a), Some(t)) if t > Decimal::ZERO => Some((a * Decimal::from(100) / t).round_dp(4)),
        _ => None,
    };
    let count = usage.windows.get(key).map(|t| t.count).unwrap_or(0);
    ContextValues { amount, percentage, count }
}

/// A decimal as Cedar's `decimal("…")` accepts it: at most 4 decimals and always a point.
pub fn cedar_decimal(d: Decimal) -> String {
    let d = d.round_dp(4);
    if d.scale() == 0 {
        format!("{d}.0")
    } else {
        d.to_string()
    }
}

/// The same policy in Cedar: per action one `permit` (the assistant belongs to the store, is
/// active and allowed the action, the store is not paused — checks 2–4 of `decide`) and one
/// `forbid` per limit, with `decide`'s semantics (no amount passes max_amount; no percentage
/// fails max_percentage; max_count fails when one more exceeds it).
pub fn cedar_policy_text(defs: &[ActionDef]) -> String {
    let mut out = String::new();
    for d in defs {
        let a = &d.id;
        let head = format!(r#"(principal, action == Action::"{a}", resource == Store::"{STORE_ID}")"#);
        out.push_str(&format!(
            r#"@id("{a}:permit")
permit (principal is Assistant in Store::"{STORE_ID}", action == Action::"{a}", resource == Store::"{STORE_ID}")
when {{ principal.active && !resource.paused && principal.allowed.contains(action) }};
@id("{a}:max_amount")
forbid {head}
when {{ context has amount && context.amount.greaterThan(decimal("{MAX_AMOUNT}.0")) }};
@id("{a}:max_percentage")
forbid {head}
unless {{ context has percentage && context.percentage.lessThanOrEqual(decimal("{MAX_PERCENTAGE}.0")) }};
@id("{a}:max_count")
forbid {head}
when {{ context.count_store_{WINDOW_HOURS}h + 1 > {MAX_COUNT} }};
"#
        ));
    }
    out
}

/// The same entities for Cedar: the store, the assistant (a member of the store, with its
/// allowed actions) and the 25 actions.
pub fn cedar_entities_json(defs: &[ActionDef]) -> Value {
    let mut entities = vec![
        json!({"uid": {"type": "Store", "id": STORE_ID}, "attrs": {"paused": false, "currency": "EUR"}, "parents": []}),
        json!({
            "uid": {"type": "Assistant", "id": ASSISTANT_ID},
            "attrs": {
                "active": true,
                "allowed": defs.iter().map(|d| json!({"__entity": {"type": "Action", "id": d.id}})).collect::<Vec<_>>(),
            },
            "parents": [{"type": "Store", "id": STORE_ID}],
        }),
    ];
    entities.extend(defs.iter().map(|d| json!({"uid": {"type": "Action", "id": d.id}, "attrs": {}, "parents": []})));
    Value::Array(entities)
}
