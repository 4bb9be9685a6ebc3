//! The raw SQLite insert rate that invoke is compared with: one committed write transaction
//! per action holding an `actions` row and an `audit_events` row, for a fixed time, from N
//! concurrent tasks. Same pool and pragmas as the server (`services::infra::db::connect`: WAL,
//! synchronous=FULL, foreign keys, busy timeout, 8 connections), same write transaction
//! (`db::begin_write`: BEGIN IMMEDIATE), the real migrated tables with their indexes and
//! foreign keys, rows of an invoke's size (a real decision trace). No service logic: no
//! reads, no policy, no hash chain, no HTTP.
//!
//! Usage: raw_insert <sqlite file> [seconds = 30] [concurrency = 8] [queue]
//! With `queue`, the tasks take turns on an in-process mutex held for each transaction, so
//! waiting writers queue in the process instead of sleeping in SQLite's busy handler (a
//! diagnostic: how much of the rate concurrency costs).
//! Prints one line: `RAW_INSERT actions_per_s=… rows_per_s=… p50_us=… p99_us=… …`.

use app::domain::policy::decide;
use app::entities::{org, store};
use app::services::infra::db;
use mandate_bench::{allowed_request, chosen_actions, load_catalog, store_policy, usage, NoInputCheck};
use sea_orm::{ActiveModelTrait, ConnectionTrait, DbBackend, Set, Statement, Value};
use serde_json::json;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const INSERT_ACTION: &str = "INSERT INTO actions (id, org_id, store_id, assistant_id, rule_run_id, api_key_id, user_id, \
     conversation_id, customer_ref, action_type, action_version, action_data, amount, decision, code, reason, trace, \
     confirmation_by, status, idempotency_scope, idempotency_key, request_hash, response_status, response, \
     customer_confirmed_at, confirmed_by, confirmed_at, executed_at, error_code, error_message, result, reserved_bucket, \
     reserved_amount_e4, reserved_subjects, released, expires_at, created_at, updated_at) \
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";

const INSERT_EVENT: &str =
    "INSERT INTO audit_events (org_id, seq, occurred_at, actor_type, actor_id, actor_label, action, \
     entity_type, entity_id, before_json, after_json, ip, request_id, prev_hash, hash) \
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";

/// What every row carries, built once from a real decision so the sizes are an invoke's.
struct RowText {
    org_id: String,
    store_id: String,
    key_id: String,
    action_data: String,
    trace: String,
    reason: String,
    response: String,
    after_json: String,
    hash: String,
}

fn arg<T: std::str::FromStr>(args: &[String], i: usize, default: T) -> T {
    args.get(i).and_then(|s| s.parse().ok()).unwrap_or(default)
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let Some(path) = args.get(1) else {
        eprintln!("usage: raw_insert <sqlite file> [seconds = 30] [concurrency = 8] [queue]");
        std::process::exit(2);
    };
    let seconds: u64 = arg(&args, 2, 30);
    let concurrency: usize = arg(&args, 3, 8);
    let queue = args.get(4).is_some_and(|a| a == "queue");

    let conn = db::connect(&format!("sqlite://{path}?mode=rwc")).await.expect("open SQLite");
    db::migrate(&conn).await.expect("migrate");

    // The rows the inserts point at (foreign keys are on, as in the server).
    let at = db::now();
    let org_id = db::new_id();
    let store_id = db::new_id();
    org::ActiveModel {
        id: Set(org_id.clone()),
        name: Set("Raw insert".into()),
        slug: Set(format!("raw-{}", &org_id[..8])),
        created_at: Set(at),
        require_mfa: Set(false),
        access_version: Set(0),
    }
    .insert(&conn)
    .await
    .expect("org");
    store::ActiveModel {
        id: Set(store_id.clone()),
        org_id: Set(org_id.clone()),
        team_id: Set(None),
        name: Set("Raw insert shop".into()),
        platform: Set("sandbox".into()),
        currency: Set("EUR".into()),
        actions_paused: Set(false),
        default_allowed_actions: Set("[]".into()),
        policy_version: Set(1),
        created_at: Set(at),
        updated_at: Set(at),
    }
    .insert(&conn)
    .await
    .expect("store");

    let catalog = load_catalog().await;
    let policy = store_policy(&chosen_actions(&catalog));
    let req = allowed_request();
    let decision = decide(&req, &policy, &usage(), &NoInputCheck).expect("decide");
    let trace = serde_json::to_string(&decision.trace).expect("trace");
    let response = json!({
        "id": db::new_id(), "store_id": store_id, "assistant_id": req.assistant_id, "action_type": req.action_type,
        "action_version": 1, "status": "confirmed", "decision": "allow", "code": null, "reason": decision.reason,
        "requires_confirmation": false, "confirmation_by": null, "trace": decision.trace, "created_at": db::rfc3339(&at),
    });
    let after = json!({
        "store_id": store_id, "assistant_id": req.assistant_id, "action_type": req.action_type, "inputs": req.params,
        "amount": "40", "customer_ref": req.customer_ref, "decision": "allow", "code": null,
        "reason": decision.reason, "status": "confirmed",
    });
    let text = Arc::new(RowText {
        org_id,
        store_id,
        key_id: db::new_id(),
        action_data: req.params.to_string(),
        trace,
        reason: decision.reason.clone(),
        response: response.to_string(),
        after_json: after.to_string(),
        hash: "9f".repeat(32),
    });

    let seq = Arc::new(AtomicI64::new(0));
    let turn = Arc::new(tokio::sync::Mutex::new(()));
    let conn = Arc::new(conn);
    let started = Instant::now();
    let deadline = started + Duration::from_secs(seconds);
    let mut workers = Vec::new();
    for worker in 0..concurrency {
        let (conn, text, seq, turn) = (conn.clone(), text.clone(), seq.clone(), turn.clone());
        workers.push(tokio::spawn(async move {
            let mut latencies_us: Vec<u32> = Vec::new();
            let mut n = 0u64;
            while Instant::now() < deadline {
                let t0 = Instant::now();
                let guard = if queue { Some(turn.lock().await) } else { None };
                insert_one(&conn, &text, &seq, &format!("raw-{worker}-{n}")).await;
                drop(guard);
                latencies_us.push(t0.elapsed().as_micros().min(u32::MAX as u128) as u32);
                n += 1;
            }
            latencies_us
        }));
    }
    let mut all: Vec<u32> = Vec::new();
    for w in workers {
        all.extend(w.await.expect("worker"));
    }
    let elapsed = started.elapsed().as_secs_f64();
    all.sort_unstable();
    let pct =
        |p: f64| all.get(((all.len() as f64 * p) as usize).min(all.len().saturating_sub(1))).copied().unwrap_or(0);
    let per_s = all.len() as f64 / elapsed;
    println!(
        "RAW_INSERT actions_per_s={per_s:.1} rows_per_s={:.1} transactions={} seconds={elapsed:.1} concurrency={concurrency} queue={queue} p50_us={} p99_us={}",
        per_s * 2.0,
        all.len(),
        pct(0.50),
        pct(0.99),
    );
}

/// One action: BEGIN IMMEDIATE, the action row, its audit event, COMMIT.
async fn insert_one(conn: &sea_orm::DatabaseConnection, t: &RowText, seq: &AtomicI64, key: &str) {
    let at = db::now();
    let id = db::new_id();
    let tx = db::begin_write(conn).await.expect("begin");
    let s = |v: &str| Value::from(v.to_string());
    let none = || Value::String(None);
    let no_time = || Value::ChronoDateTimeUtc(None);
    let action: Vec<Value> = vec![
        s(&id),
        s(&t.org_id),
        s(&t.store_id),
        s("assistant-bench"),
        none(),
        s(&t.key_id),
        none(),
        s("chat-1"),
        s("cus_anna"),
        s("process_refund"),
        Value::from(1i32),
        s(&t.action_data),
        s("40"),
        s("allow"),
        none(),
        s(&t.reason),
        s(&t.trace),
        none(),
        s("confirmed"),
        s(&t.key_id),
        s(key),
        s(&t.hash),
        Value::from(201i32),
        s(&t.response),
        no_time(),
        none(),
        no_time(),
        no_time(),
        none(),
        none(),
        none(),
        Value::from(at.timestamp() / 3600),
        Value::from(400_000i64),
        s(r#"["store","assistant:assistant-bench","customer:cus_anna","assistant:assistant-bench|customer:cus_anna"]"#),
        Value::from(false),
        no_time(),
        Value::from(at),
        Value::from(at),
    ];
    tx.execute_raw(Statement::from_sql_and_values(DbBackend::Sqlite, INSERT_ACTION, action))
        .await
        .expect("insert action");
    let event: Vec<Value> = vec![
        s(&t.org_id),
        Value::from(seq.fetch_add(1, Ordering::SeqCst) + 1),
        Value::from(at),
        s("api_key"),
        s(&t.key_id),
        s("Support assistant (demo)"),
        s("action.requested"),
        s("action"),
        s(&id),
        none(),
        s(&t.after_json),
        s("127.0.0.1"),
        s(&id),
        s(&t.hash),
        s(&t.hash),
    ];
    tx.execute_raw(Statement::from_sql_and_values(DbBackend::Sqlite, INSERT_EVENT, event)).await.expect("insert event");
    tx.commit().await.expect("commit");
}
