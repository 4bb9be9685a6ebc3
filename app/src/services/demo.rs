//! `mandate seed-demo` (DESIGN.md §6): a living demo organisation in one command.
//!
//! Creates the org `demo` with an Owner (owner@demo.example) and an Approver
//! (approver@demo.example) sharing one password, a sandbox store "Demo Shop" (EUR) with ten
//! orders, refunds enabled in tiers (automatic up to 50, staff approval up to 200, refused
//! above), discounts enabled up to 20 %, cancellations with the customer's confirmation, an
//! assistant "Support assistant" with an agent key, and some history: actions invoked
//! through the real gateway (`actions::invoke`) with that key, so the audit trail, the
//! sandbox orders and the Approvals inbox show real, consistent data. Two automation rules
//! (the seed's "High Value Deal Alert" and "Refund requests become tasks") with one sample
//! event run through the automation worker, so runs and a notification exist too.
//!
//! Idempotent by the org's short name: when `demo` exists nothing is changed.
//! Every step goes through the same services a person would use (authorized as the demo
//! Owner, audited), except creating the Approver's account (an operator path like the
//! CLI's create-admin) and the sandbox orders (the sandbox has no checkout).

use crate::domain::access::ScopeRef;
use crate::domain::action_settings::{LimitInput, PermissionPatch};
use crate::domain::assistants::NewAssistant;
use crate::domain::audit::AuditActor;
use crate::domain::org::normalize_email;
use crate::domain::password::check_password;
use crate::domain::permission::BuiltInRole;
use crate::domain::policy::ActionRequest;
use crate::domain::stores::NewStore;
use crate::domain::AppError;
use crate::entities::{role, user};
use crate::services::access::{self, assignments::insert_assignment};
use crate::services::actor::system_actor;
use crate::services::audit::{self, NewEvent};
use crate::services::gateway::actions::{self, Gateway, InvokeInput};
use crate::services::gateway::executors::sandbox::{self, NewOrder};
use crate::services::identity::passwords::hash_password;
use crate::services::infra::db::{begin_write, new_id, now};
use crate::services::org::orgs::{self, user_snapshot, NewOwner};
use crate::services::stores::policy::PolicyCache;
use crate::services::{
    access::api_keys, stores, stores::assistants, stores::permissions, Actor, ActorKind, RequestMeta,
};
use rand::Rng;
use rust_decimal::Decimal;
use sea_orm::{ActiveModelTrait, DatabaseConnection, EntityTrait, Set};
use serde_json::{json, Value};
use std::sync::Arc;

pub const DEMO_SLUG: &str = "demo";
pub const DEMO_ORG_NAME: &str = "Demo Company";
pub const OWNER_EMAIL: &str = "owner@demo.example";
pub const APPROVER_EMAIL: &str = "approver@demo.example";
pub const STORE_NAME: &str = "Demo Shop";
pub const ASSISTANT_NAME: &str = "Support assistant";
/// What the demo assistant may call.
pub const ASSISTANT_ACTIONS: [&str; 5] =
    ["lookup_order", "send_tracking", "process_refund", "apply_discount", "cancel_order"];

/// What seed-demo made, for the operator to sign in and call the API.
#[derive(Clone, Debug)]
pub struct DemoSeed {
    pub org_slug: String,
    pub owner_email: String,
    pub approver_email: String,
    pub password: String,
    /// True when the password was generated (print it: it is not stored anywhere readable).
    pub password_generated: bool,
    pub store_id: String,
    pub assistant_id: String,
    /// The agent key's secret, shown once.
    pub agent_key: String,
    /// The history made: (action type, what was asked, status).
    pub history: Vec<(String, String, String)>,
}

#[derive(Clone, Debug)]
pub enum DemoOutcome {
    Created(Box<DemoSeed>),
    /// The demo org exists; nothing was changed.
    AlreadyExists {
        org_slug: String,
    },
}

/// A readable random password: four groups of five letters and digits (≈ 100 bits).
pub fn generate_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    let mut rng = rand::rngs::OsRng;
    (0..4)
        .map(|_| (0..5).map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char).collect::<String>())
        .collect::<Vec<_>>()
        .join("-")
}

fn by() -> AuditActor {
    AuditActor { label: "mandate seed-demo".into(), ..system_actor() }
}

/// A person's actor with their grants as of now.
async fn actor_for(
    db: &DatabaseConnection,
    org: &crate::entities::org::Model,
    u: &user::Model,
) -> Result<Actor, AppError> {
    Ok(Actor {
        org_id: org.id.clone(),
        org_slug: org.slug.clone(),
        kind: ActorKind::User,
        id: u.id.clone(),
        label: u.email.clone(),
        access: Arc::new(access::user_access(db, &org.id, &u.id).await?),
        agent: None,
        meta: RequestMeta { ip: None, request_id: Some("seed-demo".into()) },
    })
}

/// An active person with `role_` at the org (the operator path, like create-admin).
async fn add_person(
    db: &DatabaseConnection,
    org: &crate::entities::org::Model,
    email: &str,
    name: &str,
    password: &str,
    role_: BuiltInRole,
) -> Result<user::Model, AppError> {
    let hash = hash_password(password.to_string()).await?;
    let tx = begin_write(db).await?;
    let at = now();
    let u = user::ActiveModel {
        id: Set(new_id()),
        org_id: Set(org.id.clone()),
        email: Set(normalize_email(email)),
        username: Set(None),
        display_name: Set(name.to_string()),
        password_hash: Set(Some(hash)),
        status: Set(user::STATUS_ACTIVE.to_string()),
        auth_provider: Set("direct".into()),
        mfa_enabled: Set(false),
        mfa_secret_enc: Set(None),
        last_login_at: Set(None),
        team_id: Set(None),
        created_at: Set(at),
        updated_at: Set(at),
    }
    .insert(&tx)
    .await?;
    audit::append(
        &tx,
        &org.id,
        &by(),
        &RequestMeta::default(),
        NewEvent::new("user.created", "user", Some(&u.id)).after(user_snapshot(&u)),
    )
    .await?;
    let r = role::Entity::find_by_id(role_.id()).one(&tx).await?.ok_or_else(AppError::internal)?;
    insert_assignment(&tx, &org.id, &u.id, &r, &ScopeRef::Org, &by(), &RequestMeta::default()).await?;
    tx.commit().await?;
    Ok(u)
}

fn dec(s: &str) -> Decimal {
    s.parse().unwrap_or(Decimal::ZERO)
}

fn address(line1: &str, city: &str, postal_code: &str, country: &str) -> Value {
    json!({"line1": line1, "city": city, "postal_code": postal_code, "country": country})
}

fn item(sku: &str, name: &str, quantity: i64, price: &str) -> Value {
    json!({"sku": sku, "name": name, "quantity": quantity, "price": price})
}

/// The demo shop's ten orders.
fn orders() -> Vec<NewOrder> {
    let o =
        |r: &str, who: &str, total: &str, status: &str, items: Value, addr: Value, tracking: Option<(&str, &str)>| {
            NewOrder {
                order_ref: r.into(),
                customer_ref: Some(format!("cus_{who}")),
                customer_email: Some(format!("{who}@customer.example")),
                total: dec(total),
                currency: "EUR".into(),
                status: status.into(),
                items,
                address: addr,
                tracking_number: tracking.map(|t| t.0.to_string()),
                carrier: tracking.map(|t| t.1.to_string()),
            }
        };
    vec![
        o(
            "1001",
            "anna",
            "89.90",
            "open",
            json!([item("TEE-BLK-M", "T-shirt, black, M", 2, "24.95"), item("MUG-01", "Mug", 2, "20.00")]),
            address("Hauptstraße 12", "Berlin", "10115", "DE"),
            None,
        ),
        o(
            "1002",
            "ben",
            "149.00",
            "shipped",
            json!([item("SNK-42", "Sneakers, size 42", 1, "149.00")]),
            address("Rue de Rivoli 40", "Paris", "75001", "FR"),
            Some(("00340434161234567890", "DHL")),
        ),
        o(
            "1003",
            "chloe",
            "59.00",
            "open",
            json!([item("CAP-RED", "Cap, red", 1, "19.00"), item("SOCK-3P", "Socks, 3 pairs", 2, "20.00")]),
            address("Keizersgracht 100", "Amsterdam", "1015 CX", "NL"),
            None,
        ),
        o(
            "1004",
            "david",
            "240.00",
            "shipped",
            json!([item("JKT-RAIN-L", "Rain jacket, L", 1, "240.00")]),
            address("Calle Mayor 5", "Madrid", "28013", "ES"),
            Some(("1Z999AA10123456784", "UPS")),
        ),
        o(
            "1005",
            "emma",
            "499.00",
            "shipped",
            json!([item("BAG-LTH", "Leather bag", 1, "499.00")]),
            address("Via Roma 1", "Milano", "20121", "IT"),
            Some(("RR123456785DE", "Deutsche Post")),
        ),
        o(
            "1006",
            "felix",
            "120.00",
            "open",
            json!([item("HOOD-GRY-M", "Hoodie, grey, M", 2, "60.00")]),
            address("Mariahilfer Straße 20", "Wien", "1070", "AT"),
            None,
        ),
        o(
            "1007",
            "greta",
            "35.50",
            "open",
            json!([item("BOTTLE-1L", "Water bottle", 1, "35.50")]),
            address("Bahnhofstrasse 3", "Zürich", "8001", "CH"),
            None,
        ),
        o(
            "1008",
            "hugo",
            "180.00",
            "shipped",
            json!([item("JEANS-32", "Jeans, 32", 2, "90.00")]),
            address("Avenue Louise 54", "Bruxelles", "1050", "BE"),
            Some(("00340434169876543210", "DHL")),
        ),
        o(
            "1009",
            "ines",
            "42.00",
            "cancelled",
            json!([item("BEANIE", "Beanie", 2, "21.00")]),
            address("Rua Augusta 10", "Lisboa", "1100-053", "PT"),
            None,
        ),
        o(
            "1010",
            "jonas",
            "75.00",
            "returned",
            json!([item("SHIRT-WHT-L", "Shirt, white, L", 1, "75.00")]),
            address("Storgatan 8", "Stockholm", "111 23", "SE"),
            Some(("JJD000390007712345", "PostNord")),
        ),
    ]
}

/// Seeds the demo (see the module doc). `password`: MANDATE_ADMIN_PASSWORD when set,
/// else a generated one (reported in the outcome).
pub async fn seed_demo(
    db: &DatabaseConnection,
    policy: &PolicyCache,
    secret_key: &[u8; 32],
    password: Option<String>,
) -> Result<DemoOutcome, AppError> {
    if orgs::find_by_slug(db, DEMO_SLUG).await?.is_some() {
        return Ok(DemoOutcome::AlreadyExists { org_slug: DEMO_SLUG.into() });
    }
    let (password, password_generated) = match password.filter(|p| !p.is_empty()) {
        Some(p) => (p, false),
        None => (generate_password(), true),
    };
    for email in [OWNER_EMAIL, APPROVER_EMAIL] {
        check_password(&password, email).map_err(|m| AppError::validation(format!("MANDATE_ADMIN_PASSWORD: {m}")))?;
    }
    let owner = NewOwner { email: OWNER_EMAIL.into(), display_name: "Olivia Owner".into(), password: password.clone() };
    let (org, owner) =
        orgs::create_org_with_owner(db, DEMO_ORG_NAME, Some(DEMO_SLUG), owner, &by(), &RequestMeta::default()).await?;
    add_person(db, &org, APPROVER_EMAIL, "Arjun Approver", &password, BuiltInRole::Approver).await?;
    let me = actor_for(db, &org, &owner).await?;

    // The store, its orders and its settings.
    let store = stores::create(
        db,
        policy,
        &me,
        NewStore {
            name: STORE_NAME.into(),
            currency: "EUR".into(),
            platform: Some(sandbox::PLATFORM.into()),
            ..Default::default()
        },
    )
    .await?;
    let tx = begin_write(db).await?;
    for o in orders() {
        sandbox::create_order(&tx, &org.id, &store.id, o).await?;
    }
    tx.commit().await?;

    let catalog = policy.catalog(db).await?;
    let enable = |confirm: bool, by: &str| PermissionPatch {
        enabled: Some(true),
        requires_confirmation: Some(confirm),
        confirmation_by: Some(by.to_string()),
    };
    permissions::set(db, &catalog, &me, &store.id, "process_refund", enable(false, "staff")).await?;
    permissions::set(db, &catalog, &me, &store.id, "apply_discount", enable(false, "staff")).await?;
    permissions::set(db, &catalog, &me, &store.id, "cancel_order", enable(true, "customer")).await?;
    let limit = |action: &str, kind: &str, value: &str, on_exceed: &str| LimitInput {
        store_id: Some(store.id.clone()),
        action_type: action.into(),
        limit_type: kind.into(),
        limit_value: value.into(),
        on_exceed: Some(on_exceed.into()),
        ..Default::default()
    };
    // Refund tiers: automatic up to 50, staff approval up to 200, refused above.
    permissions::upsert_limit(db, &catalog, &me, limit("process_refund", "max_amount", "50", "confirm")).await?;
    permissions::upsert_limit(db, &catalog, &me, limit("process_refund", "max_amount", "200", "deny")).await?;
    permissions::upsert_limit(db, &catalog, &me, limit("apply_discount", "max_percentage", "20", "deny")).await?;

    let assistant = assistants::create(
        db,
        policy,
        &me,
        NewAssistant {
            store_id: store.id.clone(),
            name: ASSISTANT_NAME.into(),
            description: Some("Answers customers in the shop's chat: orders, tracking, refunds and discounts.".into()),
            allowed_actions: Some(ASSISTANT_ACTIONS.iter().map(|s| s.to_string()).collect()),
        },
    )
    .await?;
    let key = api_keys::create_agent_key_for_org(
        db,
        &org,
        "Support assistant (demo)",
        &store.id,
        Some(&assistant.id),
        &by(),
        &RequestMeta::default(),
    )
    .await?;

    let history = make_history(db, policy, secret_key, &key.secret).await?;
    automation_demo(db, policy, secret_key, &me, &store.id).await?;
    Ok(DemoOutcome::Created(Box::new(DemoSeed {
        org_slug: org.slug,
        owner_email: OWNER_EMAIL.into(),
        approver_email: APPROVER_EMAIL.into(),
        password,
        password_generated,
        store_id: store.id,
        assistant_id: assistant.id,
        agent_key: key.secret,
        history,
    })))
}

/// Invokes a few actions with the assistant's key, as an assistant would.
async fn make_history(
    db: &DatabaseConnection,
    policy: &PolicyCache,
    secret_key: &[u8; 32],
    agent_key: &str,
) -> Result<Vec<(String, String, String)>, AppError> {
    let meta = RequestMeta { ip: None, request_id: Some("seed-demo".into()) };
    let (agent, _) = api_keys::authenticate(db, &Default::default(), agent_key, &meta).await?;
    let gw =
        Gateway { db, policy, secret_key, pending_ttl: chrono::Duration::hours(actions::DEFAULT_PENDING_TTL_HOURS) };
    let steps: Vec<(&str, Value, Option<&str>, &str)> = vec![
        ("lookup_order", json!({"order_id": "1001"}), Some("cus_anna"), "Where is order 1001?"),
        ("send_tracking", json!({"order_id": "1002", "channel": "email"}), Some("cus_ben"), "Tracking for order 1002"),
        (
            "process_refund",
            json!({"order_id": "1002", "amount": "25.00", "reason": "Scuffed on arrival"}),
            Some("cus_ben"),
            "Refund 25.00 on order 1002",
        ),
        (
            "apply_discount",
            json!({"order_id": "1003", "percentage": 10, "code": "SORRY10"}),
            Some("cus_chloe"),
            "10 % off order 1003",
        ),
        (
            "process_refund",
            json!({"order_id": "1004", "amount": "120.00", "reason": "Jacket leaks at the seams"}),
            Some("cus_david"),
            "Refund 120.00 on order 1004",
        ),
        (
            "process_refund",
            json!({"order_id": "1005", "amount": "450.00", "reason": "Changed mind"}),
            Some("cus_emma"),
            "Refund 450.00 on order 1005",
        ),
        ("apply_discount", json!({"order_id": "1006", "percentage": 30}), Some("cus_felix"), "30 % off order 1006"),
        (
            "cancel_order",
            json!({"order_id": "1007", "reason": "Ordered twice"}),
            Some("cus_greta"),
            "Cancel order 1007",
        ),
        (
            "cancel_order",
            json!({"order_id": "1001", "reason": "Wants another colour"}),
            Some("cus_anna"),
            "Cancel order 1001",
        ),
    ];
    let mut out = Vec::new();
    for (i, (action_type, params, customer, what)) in steps.into_iter().enumerate() {
        let input = InvokeInput {
            request: ActionRequest {
                action_type: action_type.into(),
                params,
                customer_ref: customer.map(str::to_string),
                ..Default::default()
            },
            conversation_id: Some(format!("demo-chat-{}", i + 1)),
        };
        let answer = actions::invoke(gw, &agent, input, Some(&format!("seed-demo-{}", i + 1))).await?;
        let mut status = answer.body["status"].as_str().unwrap_or("").to_string();
        // The customer says yes to cancelling 1007 in the chat; 1001's waits.
        if action_type == "cancel_order" && what.contains("1007") && status == "pending" {
            let id = answer.body["id"].as_str().unwrap_or_default().to_string();
            let confirmed = actions::confirm(gw, &agent, &id, "customer").await?;
            status = confirmed["status"].as_str().unwrap_or("").to_string();
        }
        out.push((action_type.to_string(), what.to_string(), status));
    }
    Ok(out)
}

/// The seed's example rule ("High Value Deal Alert") and a rule that opens a task for every
/// refund request, both run once on a sample event through the same worker the server runs.
async fn automation_demo(
    db: &DatabaseConnection,
    policy: &PolicyCache,
    secret_key: &[u8; 32],
    me: &Actor,
    store_id: &str,
) -> Result<(), AppError> {
    use crate::domain::rules::RuleInput;
    use crate::services::automation::{events, rules, worker};
    let catalog = policy.catalog(db).await?;
    let on = PermissionPatch { enabled: Some(true), requires_confirmation: Some(false), confirmation_by: None };
    permissions::set(db, &catalog, me, store_id, "send_notification", on.clone()).await?;
    permissions::set(db, &catalog, me, store_id, "create_task", on).await?;
    let rule = |body: serde_json::Value| serde_json::from_value::<RuleInput>(body).map_err(|_| AppError::internal());
    rules::create(
        db,
        policy,
        me,
        rule(json!({
            "name": "High Value Deal Alert",
            "description": "Tell the owners at once about opportunities of 100,000 or more.",
            "module_type": "sales",
            "trigger_id": "high_value_opportunity",
            "store_id": store_id,
            "conditions": [{"type": "value_threshold", "field": "value", "value": 100000}],
            "actions": [{"type": "send_notification", "parameters": {
                "recipients": ["Owner"], "title": "High-value opportunity", "channel": "in_app", "severity": "info",
                "body": "New high-value opportunity: {{opportunity_name}} - ${{value}}"}}]
        }))?,
    )
    .await?;
    rules::create(
        db,
        policy,
        me,
        rule(json!({
            "name": "Refund requests become tasks",
            "description": "Someone looks at every refund request above 100 EUR.",
            "module_type": "store",
            "trigger_id": "refund_requested",
            "store_id": store_id,
            "conditions": [{"type": "greater_than", "field": "amount", "value": 100}],
            "actions": [{"type": "create_task", "parameters": {
                "title": "Refund request of {{amount}} {{currency}} for order {{order_id}}",
                "description": "The customer says: {{reason}}", "priority": "high",
                "linked_entity": {"type": "order", "id": "{{order_id}}"}}}]
        }))?,
    )
    .await?;
    let sample = events::EventInput {
        trigger_id: "high_value_opportunity".into(),
        store_id: Some(store_id.to_string()),
        payload: json!({"opportunity_id": "op-1", "opportunity_name": "Nordwind Outdoor renewal",
            "value": 150000, "currency": "USD", "owner_email": OWNER_EMAIL, "stage": "Negotiation"}),
        caused_by_action_id: None,
    };
    events::accept(db, me, sample, None).await?;
    let gw = Gateway { db, policy, secret_key, pending_ttl: chrono::Duration::hours(24) };
    worker::drain(gw, "seed-demo").await?;
    Ok(())
}
