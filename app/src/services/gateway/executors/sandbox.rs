//! The built-in sandbox store: the seven commerce actions (DESIGN.md §7) against real
//! orders in `sandbox_orders`, each change recorded in `sandbox_operations` with the action
//! that made it, so demos and tests run the whole loop for real.
//!
//! Rules the sandbox keeps (what a real shop would refuse):
//! - an order unknown in the store → NOT_FOUND;
//! - `update_address`: only while the order is open (not shipped, cancelled or returned);
//! - `cancel_order`: only an open order (shipped → CONFLICT, cancelled twice → CONFLICT);
//! - `initiate_return`: only a shipped order, once; items must be on the order;
//! - `send_tracking`: only a shipped order with a tracking number;
//! - `process_refund`: at most what was paid minus what was refunded before ("would refund
//!   more than was paid" → CONFLICT), in the order's currency;
//! - `apply_discount`: on an order that is not cancelled or returned (a fixed amount at most
//!   what is left to pay), or as a code for a customer; codes are unique per store.
//!
//! Each action runs in one write transaction that re-reads (and on PostgreSQL locks) the
//! order, so two refunds of one order can never together exceed what was paid.

use super::contract::{ExecContext, ExecError};
use crate::domain::catalog::decimal_field;
use crate::domain::AppError;
use crate::entities::{sandbox_operation, sandbox_order};
use crate::services::infra::db::{new_id, now, rfc3339};
use rust_decimal::Decimal;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter, QuerySelect, Set,
};
use serde_json::{json, Value};
use std::str::FromStr;

/// The store platform this executor serves.
pub const PLATFORM: &str = "sandbox";

/// Order statuses.
pub const OPEN: &str = "open";
pub const SHIPPED: &str = "shipped";
pub const CANCELLED: &str = "cancelled";
pub const RETURNED: &str = "returned";
pub const ORDER_STATUSES: [&str; 4] = [OPEN, SHIPPED, CANCELLED, RETURNED];

/// The total of a sandbox order (for percentage limits when the request names no
/// `order_total`, DESIGN.md §7); None when the store has no such order.
pub async fn order_total<C: ConnectionTrait>(
    conn: &C,
    store_id: &str,
    order_ref: &str,
) -> Result<Option<Decimal>, AppError> {
    let row = sandbox_order::Entity::find()
        .filter(sandbox_order::Column::StoreId.eq(store_id))
        .filter(sandbox_order::Column::OrderRef.eq(order_ref.trim()))
        .one(conn)
        .await?;
    Ok(row.and_then(|o| Decimal::from_str(&o.total).ok()))
}

/// A sandbox order to create (seed-demo and tests; the sandbox has no checkout).
#[derive(Clone, Debug, Default)]
pub struct NewOrder {
    pub order_ref: String,
    pub customer_ref: Option<String>,
    pub customer_email: Option<String>,
    pub total: Decimal,
    pub currency: String,
    /// open | shipped | cancelled | returned
    pub status: String,
    pub items: Value,
    pub address: Value,
    pub tracking_number: Option<String>,
    pub carrier: Option<String>,
}

/// Adds an order to a sandbox store (inside the caller's transaction or on its own).
pub async fn create_order<C: ConnectionTrait>(
    conn: &C,
    org_id: &str,
    store_id: &str,
    o: NewOrder,
) -> Result<sandbox_order::Model, AppError> {
    if !ORDER_STATUSES.contains(&o.status.as_str()) || o.total < Decimal::ZERO || o.order_ref.trim().is_empty() {
        return Err(AppError::validation("A sandbox order needs an order number, a total ≥ 0 and a known status."));
    }
    let at = now();
    sandbox_order::ActiveModel {
        id: Set(new_id()),
        org_id: Set(org_id.to_string()),
        store_id: Set(store_id.to_string()),
        order_ref: Set(o.order_ref.trim().to_string()),
        customer_ref: Set(o.customer_ref),
        customer_email: Set(o.customer_email),
        total: Set(money(o.total)),
        currency: Set(o.currency),
        status: Set(o.status),
        refunded_total: Set(money(Decimal::ZERO)),
        items: Set(o.items.to_string()),
        address: Set(o.address.to_string()),
        tracking_number: Set(o.tracking_number),
        carrier: Set(o.carrier),
        created_at: Set(at),
        updated_at: Set(at),
    }
    .insert(conn)
    .await
    .map_err(AppError::from)
}

/// Money as text: at least two decimals ("30.00", "12.345").
pub fn money(d: Decimal) -> String {
    let mut x = d.normalize();
    if x.scale() < 2 {
        x.rescale(2);
    }
    x.to_string()
}

fn dec(text: &str) -> Decimal {
    Decimal::from_str(text).unwrap_or(Decimal::ZERO)
}

fn str_param<'v>(params: &'v Value, name: &str) -> Option<&'v str> {
    params.get(name).and_then(Value::as_str).map(str::trim).filter(|s| !s.is_empty())
}

fn order_ref(params: &Value) -> Result<&str, ExecError> {
    str_param(params, "order_id").ok_or_else(|| ExecError::invalid("Say which order (order_id)."))
}

fn decimal(params: &Value, name: &str) -> Result<Option<Decimal>, ExecError> {
    decimal_field(params, name).map_err(ExecError::invalid)
}

/// The order, re-read (and locked on PostgreSQL) inside the action's transaction.
async fn load_order(
    tx: &DatabaseTransaction,
    ctx: &ExecContext<'_>,
    order: &str,
) -> Result<sandbox_order::Model, ExecError> {
    sandbox_order::Entity::find()
        .filter(sandbox_order::Column::OrgId.eq(ctx.org_id))
        .filter(sandbox_order::Column::StoreId.eq(&ctx.store.id))
        .filter(sandbox_order::Column::OrderRef.eq(order))
        .lock_exclusive()
        .one(tx)
        .await?
        .ok_or_else(|| {
            ExecError::not_found(format!("There is no order \u{201c}{order}\u{201d} in {}.", ctx.store.name))
        })
}

struct Op<'a> {
    id: String,
    kind: &'a str,
    order_ref: Option<&'a str>,
    customer_ref: Option<&'a str>,
    amount: Option<Decimal>,
    percentage: Option<Decimal>,
    code: Option<&'a str>,
    details: Value,
}

impl<'a> Op<'a> {
    fn new(kind: &'a str, order_ref: Option<&'a str>) -> Op<'a> {
        Op {
            id: new_id(),
            kind,
            order_ref,
            customer_ref: None,
            amount: None,
            percentage: None,
            code: None,
            details: json!({}),
        }
    }
}

async fn record(
    tx: &DatabaseTransaction,
    ctx: &ExecContext<'_>,
    op: Op<'_>,
) -> Result<sandbox_operation::Model, ExecError> {
    Ok(sandbox_operation::ActiveModel {
        id: Set(op.id),
        org_id: Set(ctx.org_id.to_string()),
        store_id: Set(ctx.store.id.clone()),
        order_ref: Set(op.order_ref.map(str::to_string)),
        customer_ref: Set(op.customer_ref.map(str::to_string)),
        kind: Set(op.kind.to_string()),
        amount: Set(op.amount.map(money)),
        percentage: Set(op.percentage.map(|p| p.normalize().to_string())),
        code: Set(op.code.map(str::to_string)),
        details: Set(op.details.to_string()),
        action_id: Set(Some(ctx.action_id.to_string())),
        created_at: Set(now()),
    }
    .insert(tx)
    .await?)
}

async fn save(tx: &DatabaseTransaction, order: sandbox_order::ActiveModel) -> Result<sandbox_order::Model, ExecError> {
    Ok(order.update(tx).await?)
}

/// What `lookup_order` answers (its catalog output schema).
pub fn order_view(o: &sandbox_order::Model) -> Value {
    json!({
        "order_id": o.order_ref,
        "status": o.status,
        "total": money(dec(&o.total)),
        "currency": o.currency,
        "placed_at": rfc3339(&o.created_at),
        "items": serde_json::from_str::<Value>(&o.items).unwrap_or_else(|_| json!([])),
        "shipping_address": serde_json::from_str::<Value>(&o.address).unwrap_or(Value::Null),
        "carrier": o.carrier,
        "tracking_number": o.tracking_number,
        "tracking_url": Value::Null,
    })
}

/// Runs one of the seven commerce actions; None for an action the sandbox doesn't know.
pub async fn run(tx: &DatabaseTransaction, ctx: &ExecContext<'_>) -> Option<Result<Value, ExecError>> {
    let out = match ctx.def.id.as_str() {
        "lookup_order" => lookup_order(tx, ctx).await,
        "send_tracking" => send_tracking(tx, ctx).await,
        "update_address" => update_address(tx, ctx).await,
        "cancel_order" => cancel_order(tx, ctx).await,
        "initiate_return" => initiate_return(tx, ctx).await,
        "process_refund" => process_refund(tx, ctx).await,
        "apply_discount" => apply_discount(tx, ctx).await,
        _ => return None,
    };
    Some(out)
}

async fn lookup_order(tx: &DatabaseTransaction, ctx: &ExecContext<'_>) -> Result<Value, ExecError> {
    let order = order_ref(ctx.params)?;
    let row = sandbox_order::Entity::find()
        .filter(sandbox_order::Column::OrgId.eq(ctx.org_id))
        .filter(sandbox_order::Column::StoreId.eq(&ctx.store.id))
        .filter(sandbox_order::Column::OrderRef.eq(order))
        .one(tx)
        .await?
        .ok_or_else(|| {
            ExecError::not_found(format!("There is no order \u{201c}{order}\u{201d} in {}.", ctx.store.name))
        })?;
    Ok(order_view(&row))
}

async fn send_tracking(tx: &DatabaseTransaction, ctx: &ExecContext<'_>) -> Result<Value, ExecError> {
    let order = order_ref(ctx.params)?;
    let channel = str_param(ctx.params, "channel").unwrap_or("email");
    let o = load_order(tx, ctx, order).await?;
    let Some(tracking) = o.tracking_number.clone().filter(|_| o.status == SHIPPED || o.status == RETURNED) else {
        return Err(ExecError::conflict(format!(
            "Order {order} is {} and has no tracking number yet; there is nothing to send.",
            o.status
        )));
    };
    let mut op = Op::new("tracking_sent", Some(order));
    op.customer_ref = o.customer_ref.as_deref();
    op.details = json!({"channel": channel, "tracking_number": tracking, "carrier": o.carrier,
                        "to": if channel == "email" { o.customer_email.clone() } else { None }});
    let saved = record(tx, ctx, op).await?;
    Ok(json!({
        "order_id": order, "channel": channel, "status": "sent", "message_id": saved.id,
        "tracking_number": tracking, "tracking_url": Value::Null,
    }))
}

/// The address as stored and shown: the schema's fields, blank optional ones left out.
fn clean_address(a: &Value) -> Result<Value, ExecError> {
    let obj = a.as_object().ok_or_else(|| ExecError::invalid("address must be an object."))?;
    let mut out = serde_json::Map::new();
    for key in ["line1", "line2", "city", "region", "postal_code", "country"] {
        if let Some(v) = obj.get(key).and_then(Value::as_str).map(str::trim).filter(|v| !v.is_empty()) {
            out.insert(key.to_string(), json!(v));
        }
    }
    for key in ["line1", "city", "postal_code", "country"] {
        if !out.contains_key(key) {
            return Err(ExecError::invalid(format!("The new address needs {key}.")));
        }
    }
    Ok(Value::Object(out))
}

async fn update_address(tx: &DatabaseTransaction, ctx: &ExecContext<'_>) -> Result<Value, ExecError> {
    let order = order_ref(ctx.params)?;
    let address = clean_address(ctx.params.get("address").unwrap_or(&Value::Null))?;
    let o = load_order(tx, ctx, order).await?;
    if o.status != OPEN {
        return Err(ExecError::conflict(format!(
            "Order {order} is {}; its delivery address can only change before it ships.",
            o.status
        )));
    }
    let before: Value = serde_json::from_str(&o.address).unwrap_or(Value::Null);
    let at = now();
    let customer = o.customer_ref.clone();
    let mut am: sandbox_order::ActiveModel = o.into();
    am.address = Set(address.to_string());
    am.updated_at = Set(at);
    save(tx, am).await?;
    let mut op = Op::new("address_change", Some(order));
    op.customer_ref = customer.as_deref();
    op.details = json!({"before": before, "after": address});
    record(tx, ctx, op).await?;
    Ok(json!({"order_id": order, "address": address, "updated_at": rfc3339(&at)}))
}

async fn cancel_order(tx: &DatabaseTransaction, ctx: &ExecContext<'_>) -> Result<Value, ExecError> {
    let order = order_ref(ctx.params)?;
    let reason = str_param(ctx.params, "reason");
    let o = load_order(tx, ctx, order).await?;
    match o.status.as_str() {
        OPEN => {}
        CANCELLED => return Err(ExecError::conflict(format!("Order {order} is already cancelled."))),
        other => {
            return Err(ExecError::conflict(format!(
                "Order {order} is {other}; only orders that haven't shipped can be cancelled (start a return instead)."
            )))
        }
    }
    let at = now();
    let customer = o.customer_ref.clone();
    let mut am: sandbox_order::ActiveModel = o.into();
    am.status = Set(CANCELLED.into());
    am.updated_at = Set(at);
    save(tx, am).await?;
    let mut op = Op::new("cancellation", Some(order));
    op.customer_ref = customer.as_deref();
    op.details = json!({"reason": reason});
    record(tx, ctx, op).await?;
    Ok(json!({"order_id": order, "status": CANCELLED, "cancelled_at": rfc3339(&at)}))
}

async fn initiate_return(tx: &DatabaseTransaction, ctx: &ExecContext<'_>) -> Result<Value, ExecError> {
    let order = order_ref(ctx.params)?;
    let reason = str_param(ctx.params, "reason");
    let o = load_order(tx, ctx, order).await?;
    match o.status.as_str() {
        SHIPPED => {}
        RETURNED => return Err(ExecError::conflict(format!("A return is already open for order {order}."))),
        OPEN => {
            return Err(ExecError::conflict(format!(
                "Order {order} hasn't shipped yet; cancel it instead of returning it."
            )))
        }
        other => return Err(ExecError::conflict(format!("Order {order} is {other}; there is nothing to return."))),
    }
    // Items returned must be on the order, at most as many as were ordered.
    let ordered: Vec<Value> = serde_json::from_str(&o.items).unwrap_or_default();
    let items = ctx.params.get("items").and_then(Value::as_array).cloned().unwrap_or_default();
    for item in &items {
        let sku = item.get("sku").and_then(Value::as_str).unwrap_or("");
        let quantity = item.get("quantity").and_then(Value::as_i64).unwrap_or(0);
        let on_order = ordered
            .iter()
            .filter(|l| l.get("sku").and_then(Value::as_str) == Some(sku))
            .map(|l| l.get("quantity").and_then(Value::as_i64).unwrap_or(0))
            .sum::<i64>();
        if on_order == 0 {
            return Err(ExecError::invalid(format!("Order {order} has no item {sku}.")));
        }
        if quantity > on_order {
            return Err(ExecError::invalid(format!(
                "Order {order} has {on_order} of {sku}; {quantity} can't come back."
            )));
        }
    }
    let at = now();
    let customer = o.customer_ref.clone();
    let mut am: sandbox_order::ActiveModel = o.into();
    am.status = Set(RETURNED.into());
    am.updated_at = Set(at);
    save(tx, am).await?;
    let mut op = Op::new("return", Some(order));
    op.customer_ref = customer.as_deref();
    op.details = json!({"reason": reason, "items": if items.is_empty() { Value::Null } else { json!(items) }});
    let saved = record(tx, ctx, op).await?;
    Ok(json!({"return_id": saved.id, "order_id": order, "status": "open", "return_label_url": Value::Null}))
}

async fn process_refund(tx: &DatabaseTransaction, ctx: &ExecContext<'_>) -> Result<Value, ExecError> {
    let order = order_ref(ctx.params)?;
    let amount =
        decimal(ctx.params, "amount")?.ok_or_else(|| ExecError::invalid("Say how much to refund (amount)."))?;
    if amount <= Decimal::ZERO {
        return Err(ExecError::invalid("A refund must be more than 0."));
    }
    let reason = str_param(ctx.params, "reason");
    let o = load_order(tx, ctx, order).await?;
    if let Some(currency) = str_param(ctx.params, "currency") {
        if !currency.eq_ignore_ascii_case(&o.currency) {
            return Err(ExecError::invalid(format!(
                "Order {order} was paid in {}; refund it in {} (not {currency}).",
                o.currency, o.currency
            )));
        }
    }
    let total = dec(&o.total);
    let refunded = dec(&o.refunded_total);
    let left = total - refunded;
    if amount > left {
        return Err(ExecError::conflict(format!(
            "This would refund more than was paid: order {order} was {} {}, {} {} already refunded, {} {} left.",
            money(total),
            o.currency,
            money(refunded),
            o.currency,
            money(left),
            o.currency
        )));
    }
    let at = now();
    let currency = o.currency.clone();
    let customer = o.customer_ref.clone();
    let mut am: sandbox_order::ActiveModel = o.into();
    am.refunded_total = Set(money(refunded + amount));
    am.updated_at = Set(at);
    save(tx, am).await?;
    let mut op = Op::new("refund", Some(order));
    op.customer_ref = customer.as_deref();
    op.amount = Some(amount);
    op.details = json!({"reason": reason, "currency": currency, "refunded_total": money(refunded + amount)});
    let saved = record(tx, ctx, op).await?;
    Ok(json!({
        "refund_id": saved.id, "order_id": order, "amount": money(amount), "currency": currency, "status": "succeeded",
    }))
}

/// A code the store chooses: SAVE- and 8 characters of the (random) id.
fn generated_code(id: &str) -> String {
    let tail: String = id.chars().filter(char::is_ascii_alphanumeric).collect();
    format!("SAVE-{}", tail[tail.len().saturating_sub(8)..].to_uppercase())
}

async fn apply_discount(tx: &DatabaseTransaction, ctx: &ExecContext<'_>) -> Result<Value, ExecError> {
    let order = str_param(ctx.params, "order_id");
    let customer = str_param(ctx.params, "customer_ref").or(ctx.customer_ref);
    let percentage = decimal(ctx.params, "percentage")?;
    let amount = decimal(ctx.params, "amount")?;
    match (percentage, amount) {
        (Some(_), Some(_)) => return Err(ExecError::invalid("Give a percentage or an amount off, not both.")),
        (None, None) => return Err(ExecError::invalid("Say how much off: a percentage or an amount.")),
        (Some(p), None) if p <= Decimal::ZERO || p > Decimal::ONE_HUNDRED => {
            return Err(ExecError::invalid("A percentage off must be more than 0 and at most 100."))
        }
        (None, Some(a)) if a <= Decimal::ZERO => return Err(ExecError::invalid("An amount off must be more than 0.")),
        _ => {}
    }
    if order.is_none() && customer.is_none() {
        return Err(ExecError::invalid(
            "Say which order (order_id) or which customer (customer_ref) gets the discount.",
        ));
    }
    let id = new_id();
    let code = match str_param(ctx.params, "code") {
        Some(c) => c.to_string(),
        None => generated_code(&id),
    };
    let taken = sandbox_operation::Entity::find()
        .filter(sandbox_operation::Column::StoreId.eq(&ctx.store.id))
        .filter(sandbox_operation::Column::Kind.eq("discount"))
        .filter(sandbox_operation::Column::Code.eq(&code))
        .one(tx)
        .await?;
    if taken.is_some() {
        return Err(ExecError::conflict(format!(
            "The discount code {code} already exists in {}; choose another.",
            ctx.store.name
        )));
    }
    let mut details = json!({});
    let mut order_customer = None;
    if let Some(order) = order {
        let o = load_order(tx, ctx, order).await?;
        if o.status == CANCELLED || o.status == RETURNED {
            return Err(ExecError::conflict(format!("Order {order} is {}; it can't be discounted.", o.status)));
        }
        let total = dec(&o.total);
        let left = total - dec(&o.refunded_total);
        let off = match (percentage, amount) {
            (Some(p), _) => (total * p / Decimal::ONE_HUNDRED).round_dp(2),
            (_, Some(a)) => a,
            _ => Decimal::ZERO,
        };
        if off > left {
            return Err(ExecError::conflict(format!(
                "A discount of {} {} is more than is left to pay on order {order} ({} {}).",
                money(off),
                o.currency,
                money(left),
                o.currency
            )));
        }
        details = json!({"order_total": money(total), "amount_off": money(off), "currency": o.currency});
        order_customer = o.customer_ref.clone();
    }
    let mut op = Op::new("discount", order);
    op.customer_ref = customer.or(order_customer.as_deref());
    op.amount = amount;
    op.percentage = percentage;
    op.code = Some(&code);
    op.details = details;
    op.id = id;
    let saved = record(tx, ctx, op).await?;
    Ok(json!({
        "discount_id": saved.id,
        "code": code,
        "percentage": percentage.map(|p| p.normalize().to_string()),
        "amount": amount.map(money),
        "order_id": order,
        "expires_at": Value::Null,
    }))
}
