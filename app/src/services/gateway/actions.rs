//! The agent gateway's write side: invoke (decision, usage reservation and the action row in
//! one transaction, with Stripe-style idempotency), confirm, cancel, report a result, and
//! expire what waited too long. Cancelled, failed and expired actions release what they
//! reserved.
//!
//! Atomicity: every transaction here first locks the org's audit chain head (a row lock on
//! PostgreSQL; SQLite write transactions are `BEGIN IMMEDIATE`), then reads the usage
//! counters, decides and reserves. Two invokes of one org never interleave between reading
//! a counter and adding to it, so concurrent requests cannot overshoot a limit.
//! Local executors (sandbox store, internal actions) run inside the transaction that records
//! their outcome (for an action allowed at once, the invoke transaction itself); remote ones
//! (webhooks) after the commit, never while holding the lock.

use crate::domain::access::{Need, ScopeRef};
use crate::domain::actions::check_idempotency_key;
use crate::domain::audit::{canonical_json, AuditActor};
use crate::domain::catalog::{decimal_field, redact, ActionDef, ConfirmationBy, Risk};
use crate::domain::error::{ErrorCode, FieldError};
use crate::domain::permission::Permission;
use crate::domain::policy::{decide, ActionRequest, Decision, Outcome};
use crate::domain::AppError;
use crate::entities::{action, store, usage_counter};
use crate::services::access::authz::{authorize, authorize_agent_or};
use crate::services::audit::{self, lock_org, NewEvent};
use crate::services::gateway::check;
use crate::services::gateway::executors::{self, ExecContext, ExecError};
use crate::services::gateway::usage::{bucket_hour, to_e4};
use crate::services::infra::db::{begin_write, is_unique_violation, new_id, now, rfc3339, WriteTx};
use crate::services::org::notify;
use crate::services::spend::usage as spend_usage;
use crate::services::stores::policy::PolicyCache;
use crate::services::{Actor, RequestMeta};
use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use serde::Deserialize;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

/// How long a pending action waits for its confirmation by default.
pub const DEFAULT_PENDING_TTL_HOURS: i64 = 24;

/// What the gateway needs besides the database: the policy cache, the at-rest key (for
/// connector secrets) and how long pending actions wait.
#[derive(Clone, Copy)]
pub struct Gateway<'a> {
    pub db: &'a DatabaseConnection,
    pub policy: &'a PolicyCache,
    pub secret_key: &'a [u8; 32],
    pub pending_ttl: Duration,
}

/// The fields of a `POST /actions` body: the action request's and `conversation_id`.
const INVOKE_FIELDS: [&str; 7] =
    ["store_id", "action_type", "action_version", "params", "assistant_id", "customer_ref", "conversation_id"];

/// `POST /actions` body: the action request and what invoke adds, the conversation it came
/// from. Unknown fields are refused (as serde's `deny_unknown_fields` would, which cannot be
/// combined with a flattened request).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct InvokeInput {
    pub request: ActionRequest,
    pub conversation_id: Option<String>,
}

impl<'de> Deserialize<'de> for InvokeInput {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let mut body = serde_json::Map::<String, Value>::deserialize(d)?;
        if let Some(unknown) = body.keys().find(|k| !INVOKE_FIELDS.contains(&k.as_str())) {
            return Err(D::Error::unknown_field(unknown, &INVOKE_FIELDS));
        }
        let conversation_id = match body.remove("conversation_id") {
            None | Some(Value::Null) => None,
            Some(Value::String(c)) => Some(c),
            Some(other) => return Err(D::Error::custom(format!("conversation_id: expected a string, not {other}"))),
        };
        let request = ActionRequest::deserialize(Value::Object(body)).map_err(D::Error::custom)?;
        Ok(InvokeInput { request, conversation_id })
    }
}

/// An answer of the gateway: the HTTP status, the body, and whether it is a replay of the
/// first answer to the same idempotency key.
#[derive(Clone, Debug, PartialEq)]
pub struct Answer {
    pub status: u16,
    pub body: Value,
    pub replayed: bool,
}

/// `POST /actions/{id}/result` body.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResultInput {
    pub status: String,
    #[serde(default)]
    pub output: Option<Value>,
    #[serde(default)]
    pub error_code: Option<String>,
    #[serde(default)]
    pub error_message: Option<String>,
}

fn field(name: &str, message: impl Into<String>) -> AppError {
    AppError::invalid_fields(vec![FieldError { field: name.into(), message: message.into() }])
}

/// SHA-256 of what makes two requests "the same" for an idempotency key.
fn request_hash(store_id: &str, input: &InvokeInput, assistant_id: Option<&str>) -> String {
    let body = json!({
        "store_id": store_id,
        "action_type": input.request.action_type.trim(),
        "action_version": input.request.action_version,
        "params": input.request.params,
        "assistant_id": assistant_id,
        "customer_ref": input.request.customer_ref,
        "conversation_id": input.conversation_id,
    });
    hex::encode(Sha256::digest(canonical_json(&body).as_bytes()))
}

/// The stored first answer for this key, or the reason it cannot be replayed.
fn replay(existing: &action::Model, hash: &str) -> Result<Answer, AppError> {
    if existing.request_hash.as_deref() != Some(hash) {
        return Err(AppError::new(
            ErrorCode::IdempotencyKeyReused,
            "This Idempotency-Key was used for a different request. Use a new key for a new request.",
        ));
    }
    match (&existing.response, existing.response_status) {
        (Some(body), Some(status)) => Ok(Answer {
            status: u16::try_from(status).unwrap_or(201),
            body: serde_json::from_str(body).unwrap_or(Value::Null),
            replayed: true,
        }),
        _ => Err(AppError::conflict("A request with this Idempotency-Key is still being processed. Retry shortly.")),
    }
}

async fn find_by_key<C: ConnectionTrait>(
    conn: &C,
    org_id: &str,
    scope: &str,
    key: &str,
) -> Result<Option<action::Model>, AppError> {
    action::Entity::find()
        .filter(action::Column::OrgId.eq(org_id))
        .filter(action::Column::IdempotencyScope.eq(scope))
        .filter(action::Column::IdempotencyKey.eq(key))
        .one(conn)
        .await
        .map_err(AppError::from)
}

/// The counters an attempt counts in: the store's, and the assistant's / the customer's /
/// both, whichever the request names (so limits added later see past usage too).
fn subjects(assistant: Option<&str>, customer: Option<&str>) -> Vec<String> {
    use crate::domain::policy::Subject;
    let mut out = vec![Subject::Store.key()];
    if let Some(a) = assistant {
        out.push(Subject::Assistant(a.to_string()).key());
    }
    if let Some(c) = customer {
        out.push(Subject::Customer(c.to_string()).key());
    }
    if let (Some(a), Some(c)) = (assistant, customer) {
        out.push(Subject::AssistantCustomer(a.to_string(), c.to_string()).key());
    }
    out
}

/// Adds one attempt (and its amount) to every counter in `subjects` for the hour `bucket`,
/// in one statement.
async fn reserve<C: ConnectionTrait>(
    conn: &C,
    org_id: &str,
    store_id: &str,
    action_type: &str,
    subjects: &[String],
    bucket: i64,
    amount_e4: i64,
) -> Result<(), AppError> {
    let rows = subjects.iter().map(|subject| usage_counter::ActiveModel {
        org_id: Set(org_id.to_string()),
        store_id: Set(store_id.to_string()),
        action_type: Set(action_type.to_string()),
        subject: Set(subject.clone()),
        bucket_hour: Set(bucket),
        count: Set(1),
        amount_e4: Set(amount_e4),
    });
    usage_counter::Entity::insert_many(rows)
        .on_conflict(
            OnConflict::columns([
                usage_counter::Column::StoreId,
                usage_counter::Column::ActionType,
                usage_counter::Column::Subject,
                usage_counter::Column::BucketHour,
            ])
            .value(usage_counter::Column::Count, Expr::cust("usage_counters.count + 1"))
            .value(usage_counter::Column::AmountE4, Expr::cust(format!("usage_counters.amount_e4 + {amount_e4}")))
            .to_owned(),
        )
        .exec_without_returning(conn)
        .await?;
    Ok(())
}

/// Gives back what `a` reserved (once), inside the caller's transaction.
async fn release<C: ConnectionTrait>(conn: &C, a: &action::Model) -> Result<bool, AppError> {
    let (Some(bucket), Some(subjects), false) = (a.reserved_bucket, &a.reserved_subjects, a.released) else {
        return Ok(false);
    };
    let subjects: Vec<String> = serde_json::from_str(subjects).unwrap_or_default();
    usage_counter::Entity::update_many()
        .col_expr(usage_counter::Column::Count, Expr::col(usage_counter::Column::Count).sub(1))
        .col_expr(usage_counter::Column::AmountE4, Expr::col(usage_counter::Column::AmountE4).sub(a.reserved_amount_e4))
        .filter(usage_counter::Column::StoreId.eq(&a.store_id))
        .filter(usage_counter::Column::ActionType.eq(&a.action_type))
        .filter(usage_counter::Column::Subject.is_in(subjects))
        .filter(usage_counter::Column::BucketHour.eq(bucket))
        .exec(conn)
        .await?;
    spend_usage::release_action(conn, &a.id).await?;
    Ok(true)
}

/// An allowed or pending action's use, recorded against its assistant (or, without one, its
/// store's team or the org) as an `action` expenditure of its amount: what quotas count. It
/// is removed with the reservation when the action is cancelled, fails or expires.
async fn record_spend<C: ConnectionTrait>(
    conn: &C,
    s: &store::Model,
    assistant_id: Option<&str>,
    action_type: &str,
    amount_e4: i64,
    action_id: &str,
    at: DateTime<Utc>,
) -> Result<(), AppError> {
    let (entity_type, entity_id) = match (assistant_id, &s.team_id) {
        (Some(a), _) => ("assistant", Some(a)),
        (None, Some(t)) => ("team", Some(t.as_str())),
        (None, None) => ("org", None),
    };
    spend_usage::record(
        conn,
        spend_usage::NewRecord {
            org_id: &s.org_id,
            entity_type,
            entity_id,
            amount_e4,
            currency: &s.currency,
            item_type: "action",
            item_id: Some(action_type),
            action_id: Some(action_id),
            occurred_at: at,
        },
    )
    .await?;
    Ok(())
}

/// The API's view of an action (the invoke answer and the confirm/cancel/result answers).
pub fn view(a: &action::Model) -> Value {
    let parse = |s: &Option<String>| s.as_deref().and_then(|t| serde_json::from_str::<Value>(t).ok());
    let mut body = json!({
        "id": a.id,
        "store_id": a.store_id,
        "assistant_id": a.assistant_id,
        "action_type": a.action_type,
        "action_version": a.action_version,
        "status": a.status,
        "decision": a.decision,
        "code": a.code,
        "reason": a.reason,
        "requires_confirmation": a.decision == "confirm",
        "confirmation_by": a.confirmation_by,
        "trace": serde_json::from_str::<Value>(&a.trace).unwrap_or(Value::Null),
        "created_at": rfc3339(&a.created_at),
    });
    if let Some(t) = &a.expires_at {
        if a.status == "pending" {
            body["expires_at"] = json!(rfc3339(t));
        }
    }
    if let Some(r) = parse(&a.result) {
        body["result"] = r;
    }
    if let Some(code) = &a.error_code {
        body["error"] = json!({"code": code, "message": a.error_message});
    }
    if let Some(by) = &a.confirmed_by {
        body["confirmed_by"] = json!(by);
    }
    body
}

fn status_for(d: &Decision) -> &'static str {
    match d.outcome {
        Outcome::Deny => "denied",
        Outcome::Confirm => "pending",
        Outcome::Allow => "confirmed",
    }
}

/// Invoke: decide, reserve and record in one transaction; then execute when allowed.
pub async fn invoke(
    gw: Gateway<'_>,
    actor: &Actor,
    input: InvokeInput,
    idempotency_key: Option<&str>,
) -> Result<Answer, AppError> {
    invoke_as(gw, actor, input, idempotency_key, None).await
}

/// Invoke for a step of an automation rule's run (`actor` is the rule, `Actor::for_rule`):
/// the same decision, limits, idempotency and audit as an assistant's, with the run
/// recorded on the action row.
pub async fn invoke_for_run(
    gw: Gateway<'_>,
    actor: &Actor,
    input: InvokeInput,
    idempotency_key: &str,
    rule_run_id: &str,
) -> Result<Answer, AppError> {
    invoke_as(gw, actor, input, Some(idempotency_key), Some(rule_run_id)).await
}

async fn invoke_as(
    gw: Gateway<'_>,
    actor: &Actor,
    input: InvokeInput,
    idempotency_key: Option<&str>,
    rule_run_id: Option<&str>,
) -> Result<Answer, AppError> {
    let db = gw.db;
    let (s, policy, req) = check::prepare(db, gw.policy, actor, input.request.clone()).await?;
    if actor.agent.is_none() {
        authorize(actor, Permission::ActionsApprove, &ScopeRef::Store(s.id.clone()))?;
    }
    let catalog = gw.policy.catalog(db).await?;
    let def = catalog.get(&req.action_type).cloned();
    let writes = def.as_ref().is_some_and(|d| d.risk != Risk::Read);
    let key = idempotency_key.map(str::trim).filter(|k| !k.is_empty());
    match key {
        Some(k) => check_idempotency_key(k)?,
        None if writes => {
            return Err(field(
                "Idempotency-Key",
                "Send an Idempotency-Key header (e.g. a UUID) with actions that change something, so a retry never runs them twice.",
            ))
        }
        None => {}
    }
    let hash = request_hash(&s.id, &input, req.assistant_id.as_deref());
    if let Some(k) = key {
        if let Some(existing) = find_by_key(db, &actor.org_id, &actor.id, k).await? {
            return replay(&existing, &hash);
        }
    }

    let at = now();
    let tx = begin_write(db).await?;
    lock_org(&tx, &actor.org_id).await?;
    // A request with the same key that committed since the look-up above is caught by the
    // unique index on the insert below (then answered from its stored row).
    let amount =
        def.as_ref().and_then(|d| d.amount_field.as_ref()).and_then(|f| decimal_field(&req.params, f).ok().flatten());
    let amount_e4 = amount.map(to_e4).unwrap_or(0);
    let mut usage =
        crate::services::gateway::usage::read(&tx, &s.id, &req.action_type, &policy.usage_keys(&req), at).await?;
    usage.quotas = spend_usage::quota_uses(&tx, &actor.org_id, &s, req.assistant_id.as_deref(), amount_e4, at).await?;
    let decision = decide(&req, &policy, &usage, &*catalog)?;
    let status = status_for(&decision);
    let redacted = redact(&req.params, def.as_ref().map(|d| d.redact_fields.as_slice()).unwrap_or_default());
    let reserved = status != "denied";
    let subjects = subjects(req.assistant_id.as_deref(), req.customer_ref.as_deref());
    let bucket = bucket_hour(at);
    let action_id = new_id();
    if reserved {
        reserve(&tx, &actor.org_id, &s.id, &req.action_type, &subjects, bucket, amount_e4).await?;
        record_spend(&tx, &s, req.assistant_id.as_deref(), &req.action_type, amount_e4, &action_id, at).await?;
    }
    let mut row = action::Model {
        id: action_id,
        org_id: actor.org_id.clone(),
        store_id: s.id.clone(),
        assistant_id: req.assistant_id.clone(),
        rule_run_id: rule_run_id.map(str::to_string),
        api_key_id: (actor.kind == crate::services::ActorKind::ApiKey).then(|| actor.id.clone()),
        user_id: (actor.kind == crate::services::ActorKind::User).then(|| actor.id.clone()),
        conversation_id: input.conversation_id.clone().filter(|c| !c.is_empty()),
        customer_ref: req.customer_ref.clone(),
        action_type: req.action_type.clone(),
        action_version: def.as_ref().map(|d| d.version as i32).unwrap_or(req.action_version.unwrap_or(0) as i32),
        action_data: redacted.to_string(),
        amount: amount.map(|a| a.normalize().to_string()),
        decision: decision.outcome.as_str().to_string(),
        code: decision.code.clone(),
        reason: decision.reason.clone(),
        trace: serde_json::to_string(&decision.trace).unwrap_or_else(|_| "[]".into()),
        confirmation_by: decision.confirmation_by.map(|c| c.as_str().to_string()),
        status: status.to_string(),
        idempotency_scope: key.map(|_| actor.id.clone()),
        idempotency_key: key.map(str::to_string),
        request_hash: Some(hash.clone()),
        response_status: None,
        response: None,
        customer_confirmed_at: None,
        confirmed_by: None,
        confirmed_at: None,
        executed_at: None,
        error_code: None,
        error_message: None,
        result: None,
        reserved_bucket: reserved.then_some(bucket),
        reserved_amount_e4: if reserved { amount_e4 } else { 0 },
        reserved_subjects: reserved.then(|| json!(subjects).to_string()),
        released: false,
        expires_at: (status == "pending").then(|| at + gw.pending_ttl),
        created_at: at,
        updated_at: at,
    };
    // Denied and pending answers are final now; an allowed one is answered after execution.
    if status != "confirmed" {
        row.response_status = Some(201);
        row.response = Some(view(&row).to_string());
    }
    let inserted = action::ActiveModel::from(row.clone()).insert(&tx).await;
    let row = match (inserted, key) {
        (Ok(r), _) => r,
        (Err(e), Some(k)) if is_unique_violation(&e) => {
            tx.rollback().await?;
            return match find_by_key(db, &actor.org_id, &actor.id, k).await? {
                Some(existing) => replay(&existing, &hash),
                None => Err(AppError::conflict(
                    "A request with this Idempotency-Key is still being processed. Retry shortly.",
                )),
            };
        }
        (Err(e), _) => return Err(AppError::from(e)),
    };
    audit::append(
        &tx,
        &actor.org_id,
        &actor.audit_actor(),
        &actor.meta,
        NewEvent::new("action.requested", "action", Some(&row.id)).after({
            let mut after = json!({
                "store_id": row.store_id, "assistant_id": row.assistant_id, "action_type": row.action_type,
                "inputs": redacted, "amount": row.amount, "customer_ref": row.customer_ref,
                "decision": row.decision, "code": row.code, "reason": row.reason, "status": row.status,
            });
            if let Some(run) = &row.rule_run_id {
                after["rule_run_id"] = json!(run);
            }
            after
        }),
    )
    .await?;
    if row.status == "pending" && row.confirmation_by.as_deref() == Some("staff") {
        let title = format!("Approval needed: {}", def.as_ref().map(|d| d.name.as_str()).unwrap_or(&row.action_type));
        let body = format!("{} It waits in Approvals.", row.reason);
        let notice = notify::Notice {
            kind: "approval_waiting",
            title: &title,
            body: &body,
            severity: "info",
            link: Some("/approvals"),
            action_id: Some(&row.id),
        };
        tell_approvers(&tx, &s, &notice).await?;
    }
    // Allowed with a local executor: it runs here, so decision, reservation, effect, outcome
    // and their audit events commit together (one write transaction, one disk flush).
    let local = def.as_deref().filter(|d| row.status == "confirmed" && executors::is_local(d, &s));
    if let Some(d) = local {
        let outcome = executors::run_in(&tx, &exec_context(gw, &s, d, &row, &req.params)).await;
        let done = record_outcome(&tx, row, outcome, &actor.audit_actor(), &actor.meta).await?;
        tx.commit().await?;
        return Ok(Answer { status: 201, body: view(&done), replayed: false });
    }
    tx.commit().await?;

    if row.status != "confirmed" {
        return Ok(Answer { status: 201, body: view(&row), replayed: false });
    }
    let done = execute(gw, &s, def.as_deref(), row, &req.params, &actor.audit_actor(), &actor.meta).await?;
    Ok(Answer { status: 201, body: view(&done), replayed: false })
}

/// Runs a confirmed action's executor (if any) and records the outcome; stores the answer
/// for idempotent replays. A local executor runs inside the transaction that records its
/// outcome; a remote one before it, without holding the write lock.
async fn execute(
    gw: Gateway<'_>,
    s: &store::Model,
    def: Option<&ActionDef>,
    row: action::Model,
    params: &Value,
    by: &AuditActor,
    meta: &RequestMeta,
) -> Result<action::Model, AppError> {
    let local = def.filter(|d| executors::is_local(d, s));
    let remote = match def {
        Some(d) if local.is_none() => executors::run_remote(&exec_context(gw, s, d, &row, params)).await,
        _ => None,
    };
    let tx = begin_write(gw.db).await?;
    lock_org(&tx, &row.org_id).await?;
    let outcome = match local {
        Some(d) => executors::run_in(&tx, &exec_context(gw, s, d, &row, params)).await,
        None => remote,
    };
    let saved = record_outcome(&tx, row, outcome, by, meta).await?;
    tx.commit().await?;
    Ok(saved)
}

fn exec_context<'a>(
    gw: Gateway<'a>,
    s: &'a store::Model,
    def: &'a ActionDef,
    row: &'a action::Model,
    params: &'a Value,
) -> ExecContext<'a> {
    ExecContext {
        db: gw.db,
        secret_key: gw.secret_key,
        org_id: &row.org_id,
        store: s,
        def,
        action_id: &row.id,
        params,
        idempotency_key: row.idempotency_key.as_deref(),
        customer_ref: row.customer_ref.as_deref(),
        rule_run_id: row.rule_run_id.as_deref(),
    }
}

/// Records what the executor answered (nothing: the action stays confirmed for its caller
/// to execute) on the action row, with its audit event and the stored answer for replays,
/// inside the caller's transaction; a failure releases the reservation.
async fn record_outcome(
    tx: &WriteTx,
    row: action::Model,
    outcome: Option<Result<Value, ExecError>>,
    by: &AuditActor,
    meta: &RequestMeta,
) -> Result<action::Model, AppError> {
    let at = now();
    let mut am: action::ActiveModel = row.clone().into();
    let event = match &outcome {
        None => None,
        Some(Ok(output)) => {
            am.status = Set("executed".into());
            am.executed_at = Set(Some(at));
            am.result = Set(Some(output.to_string()));
            Some(
                NewEvent::new("action.executed", "action", Some(&row.id))
                    .after(json!({"status": "executed", "result": output})),
            )
        }
        Some(Err(ExecError { code, message, retryable })) => {
            release(tx, &row).await?;
            am.released = Set(row.reserved_bucket.is_some());
            am.status = Set("failed".into());
            am.error_code = Set(Some(code.as_str().to_string()));
            am.error_message = Set(Some(message.clone()));
            Some(NewEvent::new("action.failed", "action", Some(&row.id)).after(
                json!({"status": "failed", "error": {"code": code, "message": message, "retryable": retryable}}),
            ))
        }
    };
    am.updated_at = Set(at);
    let mut updated = row.clone();
    if let Some(Ok(output)) = &outcome {
        updated.status = "executed".into();
        updated.executed_at = Some(at);
        updated.result = Some(output.to_string());
    } else if let Some(Err(e)) = &outcome {
        updated.status = "failed".into();
        updated.error_code = Some(e.code.as_str().to_string());
        updated.error_message = Some(e.message.clone());
    }
    if row.response.is_none() {
        am.response_status = Set(Some(201));
        am.response = Set(Some(view(&updated).to_string()));
    }
    let saved = am.update(tx).await?;
    if let Some(e) = event {
        audit::append(tx, &row.org_id, by, meta, e).await?;
    }
    if let Some(Err(e)) = &outcome {
        if let Some(s) = store::Entity::find_by_id(row.store_id.clone()).one(tx).await? {
            let title = format!("Action failed: {}", row.action_type);
            let body = format!("It was allowed but failed when it ran: {}", e.message);
            let link = format!("/audit/actions/{}", row.id);
            let notice = notify::Notice {
                kind: "action_failed",
                title: &title,
                body: &body,
                severity: "warning",
                link: Some(&link),
                action_id: Some(&row.id),
            };
            tell_approvers(tx, &s, &notice).await?;
        }
    }
    Ok(saved)
}

/// Tells the people who may approve actions at the store (`actions.approve` at the org, a
/// team above the store or the store) on their channels for the notice's kind.
async fn tell_approvers<C: ConnectionTrait>(
    conn: &C,
    s: &store::Model,
    notice: &notify::Notice<'_>,
) -> Result<(), AppError> {
    let mut scopes = vec![("store".to_string(), s.id.clone())];
    if let Some(t) = &s.team_id {
        let tree = crate::services::access::load_tree(conn, &s.org_id).await?;
        scopes.extend(tree.team_and_ancestors(t).into_iter().map(|t| ("team".to_string(), t)));
    }
    for person in notify::people_holding(conn, &s.org_id, "actions.approve", &scopes).await? {
        notify::notify(conn, &person, notice).await?;
    }
    Ok(())
}

async fn load<C: ConnectionTrait>(conn: &C, actor: &Actor, id: &str) -> Result<action::Model, AppError> {
    action::Entity::find_by_id(id.to_string())
        .filter(action::Column::OrgId.eq(&actor.org_id))
        .one(conn)
        .await?
        .ok_or_else(|| AppError::not_found("action"))
}

/// The agent key of the action's store, or `actions.approve` there.
fn authorize_follow_up(actor: &Actor, a: &action::Model) -> Result<(), AppError> {
    if actor.agent.is_some() {
        authorize_agent_or(actor, Need::View, &a.store_id, None)
    } else {
        authorize(actor, Permission::ActionsApprove, &ScopeRef::Store(a.store_id.clone()))
    }
}

fn not_now(a: &action::Model, what: &str) -> AppError {
    AppError::conflict(format!("This action is {}; it can't be {what} any more.", a.status))
}

/// Who the confirming actor is, in the action's `confirmed_by`.
fn confirmer(actor: &Actor, by: ConfirmationBy) -> String {
    match by {
        ConfirmationBy::Customer => "customer".into(),
        ConfirmationBy::Staff => actor.label.clone(),
    }
}

/// `POST /actions/{id}/confirm {by}`: a pending action is confirmed, then executed.
pub async fn confirm(gw: Gateway<'_>, actor: &Actor, id: &str, by: &str) -> Result<Value, AppError> {
    let by = ConfirmationBy::parse(by.trim()).ok_or_else(|| field("by", "Say who confirms: customer or staff."))?;
    let a = load(gw.db, actor, id).await?;
    match by {
        ConfirmationBy::Staff => {
            if actor.agent.is_some() {
                return Err(AppError::permission_denied("Agent keys can't confirm as staff; a person approves it."));
            }
            authorize(actor, Permission::ActionsApprove, &ScopeRef::Store(a.store_id.clone()))?;
        }
        ConfirmationBy::Customer => {
            authorize_follow_up(actor, &a)?;
            if a.confirmation_by.as_deref() == Some("staff") {
                return Err(AppError::permission_denied(
                    "This action needs staff approval; the customer's confirmation is not enough.",
                ));
            }
        }
    }
    let s = check::load_store(gw.db, actor, &a.store_id).await?;
    let at = now();
    let tx = begin_write(gw.db).await?;
    lock_org(&tx, &actor.org_id).await?;
    let a = load(&tx, actor, id).await?;
    if a.status == "pending" && a.expires_at.is_some_and(|e| e <= at) {
        expire_one(&tx, &a, at).await?;
        tx.commit().await?;
        return Err(AppError::conflict("This action waited too long for its confirmation and has expired."));
    }
    if a.status != "pending" {
        return Err(not_now(&a, "confirmed"));
    }
    let current = store::Entity::find_by_id(a.store_id.clone()).one(&tx).await?;
    if current.as_ref().is_none_or(|c| c.actions_paused) {
        return Err(AppError::conflict("Actions are paused for this store; resume them before confirming."));
    }
    let mut am: action::ActiveModel = a.clone().into();
    am.status = Set("confirmed".into());
    am.confirmed_by = Set(Some(confirmer(actor, by)));
    am.confirmed_at = Set(Some(at));
    if by == ConfirmationBy::Customer {
        am.customer_confirmed_at = Set(Some(at));
    }
    am.updated_at = Set(at);
    let a = am.update(&tx).await?;
    audit::append(
        &tx,
        &actor.org_id,
        &actor.audit_actor(),
        &actor.meta,
        NewEvent::new("action.confirmed", "action", Some(&a.id))
            .before(json!({"status": "pending"}))
            .after(json!({"status": "confirmed", "by": by.as_str(), "confirmed_by": a.confirmed_by})),
    )
    .await?;
    tx.commit().await?;

    // The executor needs the inputs as sent; the row holds them redacted. Redacted fields
    // are secrets the executor can't get back, so an action with redacted inputs is left
    // confirmed for its caller to execute.
    let catalog = gw.policy.catalog(gw.db).await?;
    let def = catalog.get(&a.action_type).cloned();
    let params: Value = serde_json::from_str(&a.action_data).unwrap_or(Value::Null);
    if params.to_string().contains(crate::domain::catalog::REDACTED) {
        return Ok(view(&a));
    }
    let done = execute(gw, &s, def.as_deref(), a, &params, &actor.audit_actor(), &actor.meta).await?;
    Ok(view(&done))
}

/// `POST /actions/{id}/cancel`: a pending or confirmed (not yet executed) action is cancelled
/// and its reservation released.
pub async fn cancel(gw: Gateway<'_>, actor: &Actor, id: &str) -> Result<Value, AppError> {
    let a = load(gw.db, actor, id).await?;
    authorize_follow_up(actor, &a)?;
    let at = now();
    let tx = begin_write(gw.db).await?;
    lock_org(&tx, &actor.org_id).await?;
    let a = load(&tx, actor, id).await?;
    if a.status != "pending" && a.status != "confirmed" {
        return Err(not_now(&a, "cancelled"));
    }
    let released = release(&tx, &a).await?;
    let before = a.status.clone();
    let mut am: action::ActiveModel = a.into();
    am.status = Set("cancelled".into());
    am.released = Set(released);
    am.updated_at = Set(at);
    let a = am.update(&tx).await?;
    audit::append(
        &tx,
        &actor.org_id,
        &actor.audit_actor(),
        &actor.meta,
        NewEvent::new("action.cancelled", "action", Some(&a.id))
            .before(json!({"status": before}))
            .after(json!({"status": "cancelled", "released": released})),
    )
    .await?;
    tx.commit().await?;
    Ok(view(&a))
}

/// `POST /actions/{id}/result`: the caller reports how a confirmed action it executed went.
pub async fn report_result(gw: Gateway<'_>, actor: &Actor, id: &str, input: ResultInput) -> Result<Value, AppError> {
    let a = load(gw.db, actor, id).await?;
    authorize_follow_up(actor, &a)?;
    let failed = match input.status.trim() {
        "executed" => false,
        "failed" => true,
        _ => return Err(field("status", "Report executed or failed.")),
    };
    if failed && input.error_code.as_deref().is_none_or(|c| c.trim().is_empty()) {
        return Err(field("error_code", "Say what went wrong (error_code, e.g. TRANSIENT_FAILURE)."));
    }
    let at = now();
    let tx = begin_write(gw.db).await?;
    lock_org(&tx, &actor.org_id).await?;
    let a = load(&tx, actor, id).await?;
    if a.status != "confirmed" {
        return Err(not_now(&a, "reported on"));
    }
    let mut am: action::ActiveModel = a.clone().into();
    let event = if failed {
        let released = release(&tx, &a).await?;
        am.released = Set(released);
        am.status = Set("failed".into());
        am.error_code = Set(input.error_code.clone());
        am.error_message = Set(input.error_message.clone());
        NewEvent::new("action.failed", "action", Some(&a.id)).before(json!({"status": "confirmed"})).after(
            json!({"status": "failed", "error": {"code": input.error_code, "message": input.error_message}, "reported": true}),
        )
    } else {
        am.status = Set("executed".into());
        am.executed_at = Set(Some(at));
        am.result = Set(input.output.as_ref().map(Value::to_string));
        NewEvent::new("action.executed", "action", Some(&a.id))
            .before(json!({"status": "confirmed"}))
            .after(json!({"status": "executed", "result": input.output, "reported": true}))
    };
    am.updated_at = Set(at);
    let a = am.update(&tx).await?;
    audit::append(&tx, &actor.org_id, &actor.audit_actor(), &actor.meta, event).await?;
    tx.commit().await?;
    Ok(view(&a))
}

async fn expire_one<C: ConnectionTrait>(conn: &C, a: &action::Model, at: DateTime<Utc>) -> Result<(), AppError> {
    let released = release(conn, a).await?;
    let mut am: action::ActiveModel = a.clone().into();
    am.status = Set("expired".into());
    am.released = Set(released);
    am.updated_at = Set(at);
    am.update(conn).await?;
    audit::append(
        conn,
        &a.org_id,
        &crate::services::actor::system_actor(),
        &RequestMeta::default(),
        NewEvent::new("action.expired", "action", Some(&a.id))
            .before(json!({"status": "pending"}))
            .after(json!({"status": "expired", "released": released})),
    )
    .await?;
    Ok(())
}

/// Expires pending actions whose time ran out (a background task calls this); returns how
/// many. Each org's are expired in their own transaction under the org's lock.
pub async fn expire_due(db: &DatabaseConnection, at: DateTime<Utc>) -> Result<usize, AppError> {
    let due = action::Entity::find()
        .filter(action::Column::Status.eq("pending"))
        .filter(action::Column::ExpiresAt.lte(at))
        .order_by_asc(action::Column::OrgId)
        .limit(500)
        .all(db)
        .await?;
    let mut orgs: Vec<String> = due.iter().map(|a| a.org_id.clone()).collect();
    orgs.dedup();
    let mut n = 0;
    for org in orgs {
        let tx = begin_write(db).await?;
        lock_org(&tx, &org).await?;
        let rows = action::Entity::find()
            .filter(action::Column::OrgId.eq(&org))
            .filter(action::Column::Status.eq("pending"))
            .filter(action::Column::ExpiresAt.lte(at))
            .all(&tx)
            .await?;
        for a in &rows {
            expire_one(&tx, a, at).await?;
            n += 1;
        }
        tx.commit().await?;
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_invoke_body_reads_every_field_of_the_action_request_and_refuses_others() {
        let request = serde_json::to_value(ActionRequest::default()).unwrap();
        for field in request.as_object().unwrap().keys() {
            assert!(INVOKE_FIELDS.contains(&field.as_str()), "{field} is not read from an invoke body");
        }
        let body = json!({"store_id": "s", "action_type": "process_refund", "action_version": 1,
            "params": {"amount": 5}, "assistant_id": "a", "customer_ref": "c", "conversation_id": "chat"});
        let input: InvokeInput = serde_json::from_value(body).unwrap();
        assert_eq!(input.request.store_id.as_deref(), Some("s"));
        assert_eq!(input.request.action_version, Some(1));
        assert_eq!(input.conversation_id.as_deref(), Some("chat"));
        let err = serde_json::from_value::<InvokeInput>(json!({"action_type": "x", "amount": 5})).unwrap_err();
        assert!(err.to_string().contains("unknown field `amount`"), "{err}");
        assert!(serde_json::from_value::<InvokeInput>(json!({"params": {}})).is_err(), "action_type is required");
    }
}
