//! Service tests for per-store action permissions, the org's defaults and limits at org /
//! store / assistant scope (`services::permissions`), named for seed 001's acceptance
//! criteria; each runs on SQLite and, when TEST_DATABASE_URL is set, on PostgreSQL.

use crate::common::audit::{events_since, last_seq};
use crate::common::orgs::make_org;
use crate::common::people;
use app::domain::access::ScopeRef;
use app::domain::action_settings::{LimitInput, LimitScope, PermissionPatch, Source, StorePermissions};
use app::domain::catalog::{ConfirmationBy, Level, LimitType, OnExceed};
use app::domain::permission::BuiltInRole;
use app::domain::policy::ActionRequest;
use app::domain::policy::Outcome;
use app::domain::{AppError, ErrorCode};
use app::entities::{assistant, org, store};
use app::services::gateway::check;
use app::services::stores::catalog::{self, Catalog};
use app::services::stores::permissions;
use app::services::stores::policy::PolicyCache;
use app::services::{access, audit, infra::db, Actor, ActorKind, AgentBinding};
use rust_decimal::Decimal;
use sea_orm::{ActiveModelTrait, DatabaseConnection, Set};
use serde_json::{json, Value};
use std::str::FromStr;
use std::sync::Arc;

// ---------------------------------------------------------------------------------------
// Helpers

struct World {
    db: DatabaseConnection,
    org: org::Model,
    owner: Actor,
    catalog: Catalog,
    cache: PolicyCache,
}

async fn world(db: &DatabaseConnection, slug: &str) -> World {
    let (org, owner) = make_org(db, slug).await;
    let owner = people::user_actor(db, &org, &owner).await;
    World { db: db.clone(), org, owner, catalog: catalog::load(db).await.unwrap(), cache: PolicyCache::new() }
}

/// A person holding `role` at `scope`, as an actor.
async fn person(db: &DatabaseConnection, o: &org::Model, name: &str, role_of: BuiltInRole, scope: ScopeRef) -> Actor {
    let u = people::member_with_role(db, o, name, role_of, scope).await;
    people::user_actor(db, o, &u).await
}

/// A store row as an operator would add it (no permission rows: values resolve to the
/// org's defaults, then the catalog's).
async fn make_store(db: &DatabaseConnection, o: &org::Model, name: &str) -> store::Model {
    let at = db::now();
    store::ActiveModel {
        id: Set(db::new_id()),
        org_id: Set(o.id.clone()),
        team_id: Set(None),
        name: Set(name.to_string()),
        platform: Set("sandbox".into()),
        currency: Set("EUR".into()),
        actions_paused: Set(false),
        default_allowed_actions: Set("[]".into()),
        policy_version: Set(1),
        created_at: Set(at),
        updated_at: Set(at),
    }
    .insert(db)
    .await
    .unwrap()
}

async fn make_assistant(db: &DatabaseConnection, s: &store::Model, name: &str, allowed: &[&str]) -> assistant::Model {
    let at = db::now();
    assistant::ActiveModel {
        id: Set(db::new_id()),
        org_id: Set(s.org_id.clone()),
        store_id: Set(s.id.clone()),
        name: Set(name.to_string()),
        description: Set(String::new()),
        allowed_actions: Set(serde_json::to_string(allowed).unwrap()),
        status: Set("active".into()),
        created_at: Set(at),
        updated_at: Set(at),
    }
    .insert(db)
    .await
    .unwrap()
}

fn patch(enabled: Option<bool>, confirm: Option<bool>, by: Option<&str>) -> PermissionPatch {
    PermissionPatch { enabled, requires_confirmation: confirm, confirmation_by: by.map(str::to_string) }
}

fn store_limit(
    store_id: &str,
    action: &str,
    kind: &str,
    value: &str,
    window: Option<&str>,
    on_exceed: &str,
) -> LimitInput {
    LimitInput {
        scope_type: Some("store".into()),
        scope_id: Some(store_id.into()),
        action_type: action.into(),
        limit_type: kind.into(),
        limit_value: value.into(),
        time_window_hours: window.map(str::to_string),
        on_exceed: Some(on_exceed.into()),
        ..Default::default()
    }
}

fn org_limit(action: &str, kind: &str, value: &str, on_exceed: &str) -> LimitInput {
    LimitInput {
        scope_type: Some("org".into()),
        action_type: action.into(),
        limit_type: kind.into(),
        limit_value: value.into(),
        on_exceed: Some(on_exceed.into()),
        ..Default::default()
    }
}

fn action<'a>(p: &'a StorePermissions, id: &str) -> &'a app::domain::action_settings::ActionSettings {
    p.actions.iter().find(|a| a.action_type == id).unwrap_or_else(|| panic!("{id} missing"))
}

fn err<T: std::fmt::Debug>(r: Result<T, AppError>) -> AppError {
    r.expect_err("expected an error")
}

/// The field a validation error names, with the error being a VALIDATION_ERROR.
fn field_of<T: std::fmt::Debug>(r: Result<T, AppError>) -> Vec<String> {
    let e = err(r);
    assert_eq!(e.code, ErrorCode::ValidationError, "{e:?}");
    e.fields.iter().map(|f| f.field.clone()).collect()
}

async fn decide(
    w: &World,
    store_id: &str,
    action_type: &str,
    params: Value,
    assistant: Option<&str>,
) -> app::domain::policy::Decision {
    let input = ActionRequest {
        store_id: Some(store_id.into()),
        action_type: action_type.into(),
        params,
        assistant_id: assistant.map(str::to_string),
        ..Default::default()
    };
    check::check(&w.db, &w.cache, &w.owner, input).await.unwrap().decision
}

fn json_of(s: &Option<String>) -> Value {
    s.as_deref().map(|t| serde_json::from_str(t).unwrap()).unwrap_or(Value::Null)
}

fn dec(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

// ---------------------------------------------------------------------------------------
// Seed 001 acceptance criteria

db_test!(enable_disable_per_action, |db| async move {
    let w = world(&db, "enable").await;
    let s = make_store(&db, &w.org, "Shop").await;
    let other = make_store(&db, &w.org, "Other shop").await;

    let before = permissions::list(&db, &w.catalog, &w.owner, &s.id).await.unwrap();
    assert_eq!(before.store.name, "Shop");
    assert_eq!(before.store.currency, "EUR");
    assert!(before.can_manage);
    assert_eq!(before.actions.len(), w.catalog.defs.len(), "every catalog action is listed");
    let refund = action(&before, "process_refund");
    assert!(!refund.enabled);
    assert_eq!(refund.source, Source::Default);
    assert!(refund.has_amount && refund.has_percentage && refund.percentage_of_order);
    assert_eq!(refund.limit_types, LimitType::ALL.to_vec());
    let lookup = action(&before, "lookup_order");
    assert!(lookup.enabled && !lookup.requires_confirmation);
    assert_eq!(lookup.limit_types, vec![LimitType::MaxCount]);

    let on = permissions::set(&db, &w.catalog, &w.owner, &s.id, "process_refund", patch(Some(true), Some(false), None))
        .await
        .unwrap();
    assert!(on.enabled && !on.requires_confirmation);
    assert_eq!(on.source, Source::Store);
    let after = permissions::list(&db, &w.catalog, &w.owner, &s.id).await.unwrap();
    assert!(action(&after, "process_refund").enabled);
    assert_eq!(action(&after, "apply_discount"), action(&before, "apply_discount"), "other actions untouched");
    let elsewhere = permissions::list(&db, &w.catalog, &w.owner, &other.id).await.unwrap();
    assert!(!action(&elsewhere, "process_refund").enabled, "other stores untouched");

    // Enforced by the same decision the check and invoke paths use, at once.
    let params = json!({"order_id": "A-1", "amount": "10.00"});
    assert_eq!(decide(&w, &s.id, "process_refund", params.clone(), None).await.outcome, Outcome::Allow);
    permissions::set(&db, &w.catalog, &w.owner, &s.id, "process_refund", patch(Some(false), None, None)).await.unwrap();
    let d = decide(&w, &s.id, "process_refund", params.clone(), None).await;
    assert_eq!(d.outcome, Outcome::Deny);
    assert_eq!(d.code.as_deref(), Some("ACTION_DISABLED"));
    assert_eq!(decide(&w, &other.id, "lookup_order", json!({"order_id": "A-1"}), None).await.outcome, Outcome::Allow);
    permissions::set(&db, &w.catalog, &w.owner, &other.id, "lookup_order", patch(Some(false), None, None))
        .await
        .unwrap();
    assert_eq!(decide(&w, &other.id, "lookup_order", json!({"order_id": "A-1"}), None).await.outcome, Outcome::Deny);

    // Unknown actions, empty patches.
    assert_eq!(
        err(permissions::set(&db, &w.catalog, &w.owner, &s.id, "teleport", patch(Some(true), None, None)).await).code,
        ErrorCode::NotFound
    );
    assert_eq!(
        field_of(permissions::set(&db, &w.catalog, &w.owner, &s.id, "process_refund", patch(None, None, None)).await),
        vec!["enabled"]
    );
});

db_test!(confirmation_per_action, |db| async move {
    let w = world(&db, "confirm").await;
    let s = make_store(&db, &w.org, "Shop").await;
    permissions::set(&db, &w.catalog, &w.owner, &s.id, "cancel_order", patch(Some(true), Some(true), Some("customer")))
        .await
        .unwrap();
    let p = permissions::list(&db, &w.catalog, &w.owner, &s.id).await.unwrap();
    let cancel = action(&p, "cancel_order");
    assert!(cancel.requires_confirmation);
    assert_eq!(cancel.confirmation_by, ConfirmationBy::Customer);
    let d = decide(&w, &s.id, "cancel_order", json!({"order_id": "A-1"}), None).await;
    assert_eq!(d.outcome, Outcome::Confirm);
    assert_eq!(d.confirmation_by, Some(ConfirmationBy::Customer));

    // Only who confirms changes; enabled stays.
    let staff = permissions::set(&db, &w.catalog, &w.owner, &s.id, "cancel_order", patch(None, None, Some("staff")))
        .await
        .unwrap();
    assert!(staff.enabled && staff.requires_confirmation);
    assert_eq!(staff.confirmation_by, ConfirmationBy::Staff);
    assert_eq!(
        decide(&w, &s.id, "cancel_order", json!({"order_id": "A-1"}), None).await.confirmation_by,
        Some(ConfirmationBy::Staff)
    );

    // Confirmation off: allowed straight away; per action (send_tracking keeps its own).
    permissions::set(&db, &w.catalog, &w.owner, &s.id, "cancel_order", patch(None, Some(false), None)).await.unwrap();
    assert_eq!(decide(&w, &s.id, "cancel_order", json!({"order_id": "A-1"}), None).await.outcome, Outcome::Allow);
    permissions::set(&db, &w.catalog, &w.owner, &s.id, "send_tracking", patch(None, Some(true), None)).await.unwrap();
    assert_eq!(decide(&w, &s.id, "send_tracking", json!({"order_id": "A-1"}), None).await.outcome, Outcome::Confirm);
    assert_eq!(decide(&w, &s.id, "cancel_order", json!({"order_id": "A-1"}), None).await.outcome, Outcome::Allow);

    // Who confirms must be customer or staff.
    assert_eq!(
        field_of(
            permissions::set(&db, &w.catalog, &w.owner, &s.id, "cancel_order", patch(None, None, Some("manager")))
                .await
        ),
        vec!["confirmation_by"]
    );
});

db_test!(monetary_and_percentage_limits, |db| async move {
    let w = world(&db, "limits").await;
    let s = make_store(&db, &w.org, "Shop").await;
    permissions::set(&db, &w.catalog, &w.owner, &s.id, "process_refund", patch(Some(true), Some(false), None))
        .await
        .unwrap();
    permissions::set(&db, &w.catalog, &w.owner, &s.id, "apply_discount", patch(Some(true), Some(false), None))
        .await
        .unwrap();

    // Auto up to 50, confirm up to 100, deny above.
    let deny = permissions::upsert_limit(
        &db,
        &w.catalog,
        &w.owner,
        store_limit(&s.id, "process_refund", "max_amount", "100", None, "deny"),
    )
    .await
    .unwrap();
    assert!(deny.created);
    assert_eq!(deny.limit.level, Level::Store);
    assert_eq!(deny.limit.limit_value, dec("100"));
    assert_eq!(deny.limit.sentence(Some("EUR")), "Amounts above 100.00 EUR are refused.");
    let confirm = permissions::upsert_limit(
        &db,
        &w.catalog,
        &w.owner,
        store_limit(&s.id, "process_refund", "max_amount", 50.to_string().as_str(), None, "confirm"),
    )
    .await
    .unwrap();
    assert!(confirm.created, "another on_exceed is another limit");
    let refund = |amount: &str| json!({"order_id": "A-1", "amount": amount});
    assert_eq!(decide(&w, &s.id, "process_refund", refund("30"), None).await.outcome, Outcome::Allow);
    let mid = decide(&w, &s.id, "process_refund", refund("80"), None).await;
    assert_eq!(mid.outcome, Outcome::Confirm);
    assert_eq!(mid.confirmation_by, Some(ConfirmationBy::Staff));
    let high = decide(&w, &s.id, "process_refund", refund("120"), None).await;
    assert_eq!(high.outcome, Outcome::Deny);
    assert!(high.reason.contains("100.00"), "reason names the limit: {}", high.reason);

    // Same key again: an update, not a second row.
    let raised = permissions::upsert_limit(
        &db,
        &w.catalog,
        &w.owner,
        store_limit(&s.id, "process_refund", "max_amount", "150.50", None, "deny"),
    )
    .await
    .unwrap();
    assert!(!raised.created);
    assert_eq!(raised.limit.id, deny.limit.id);
    assert_eq!(raised.limit.limit_value, dec("150.5"));
    assert_eq!(decide(&w, &s.id, "process_refund", refund("120"), None).await.outcome, Outcome::Confirm);

    // Percentages: of the discount itself, and of a refund against the order total.
    permissions::upsert_limit(
        &db,
        &w.catalog,
        &w.owner,
        store_limit(&s.id, "apply_discount", "max_percentage", "20", None, "deny"),
    )
    .await
    .unwrap();
    assert_eq!(
        decide(&w, &s.id, "apply_discount", json!({"order_id": "A-1", "percentage": 15}), None).await.outcome,
        Outcome::Allow
    );
    assert_eq!(
        decide(&w, &s.id, "apply_discount", json!({"order_id": "A-1", "percentage": 25}), None).await.outcome,
        Outcome::Deny
    );
    permissions::upsert_limit(
        &db,
        &w.catalog,
        &w.owner,
        store_limit(&s.id, "process_refund", "max_percentage", "50", None, "deny"),
    )
    .await
    .unwrap();
    assert_eq!(
        decide(&w, &s.id, "process_refund", json!({"order_id": "A-1", "amount": "30", "order_total": "50"}), None)
            .await
            .outcome,
        Outcome::Deny
    );
    // A count per window.
    let count = permissions::upsert_limit(
        &db,
        &w.catalog,
        &w.owner,
        store_limit(&s.id, "process_refund", "max_count", "5", Some("24"), "deny"),
    )
    .await
    .unwrap();
    assert_eq!(count.limit.time_window_hours, Some(24));
    let listed = permissions::list_limits(&db, &w.owner, &LimitScope::Store(s.id.clone())).await.unwrap();
    assert_eq!(listed.len(), 5);
    let p = permissions::list(&db, &w.catalog, &w.owner, &s.id).await.unwrap();
    let kinds: Vec<(LimitType, OnExceed)> =
        action(&p, "process_refund").limits.iter().map(|l| (l.limit_type, l.on_exceed)).collect();
    assert_eq!(
        kinds,
        vec![
            (LimitType::MaxAmount, OnExceed::Confirm),
            (LimitType::MaxAmount, OnExceed::Deny),
            (LimitType::MaxPercentage, OnExceed::Deny),
            (LimitType::MaxCount, OnExceed::Deny)
        ]
    );

    // Refused, field by field, and nothing stored.
    let bad = |kind: &str, value: &str, window: Option<&str>| {
        store_limit(&s.id, "process_refund", kind, value, window, "deny")
    };
    let cases: Vec<(LimitInput, &str)> = vec![
        (bad("max_amount", "-1", None), "limit_value"),
        (bad("max_percentage", "100.01", None), "limit_value"),
        (bad("max_count", "3", Some("0")), "time_window_hours"),
        (bad("max_count", "3", Some("8761")), "time_window_hours"),
        (bad("max_count", "3", None), "time_window_hours"),
        (bad("max_count", "1.5", Some("24")), "limit_value"),
        (bad("max_amount", "100", Some("24")), "time_window_hours"),
        (bad("max_amount", "ten", None), "limit_value"),
        (bad("max_amount", "", None), "limit_value"),
        (bad("max_amount", "1.00001", None), "limit_value"),
        (bad("max_count", "3", Some("a day")), "time_window_hours"),
        (bad("max_fun", "3", None), "limit_type"),
        (store_limit(&s.id, "lookup_order", "max_amount", "100", None, "deny"), "limit_type"),
        (store_limit(&s.id, "lookup_order", "max_percentage", "10", None, "deny"), "limit_type"),
        (store_limit(&s.id, "teleport", "max_count", "3", Some("1"), "deny"), "action_type"),
        (store_limit(&s.id, "process_refund", "max_amount", "100", None, "explode"), "on_exceed"),
        (LimitInput { per_customer: Some(true), ..bad("max_amount", "100", None) }, "per_customer"),
    ];
    for (input, expected) in cases {
        let label = format!("{input:?}");
        let fields = field_of(permissions::upsert_limit(&db, &w.catalog, &w.owner, input).await);
        assert!(fields.iter().any(|f| f == expected), "{label}: expected a {expected} error, got {fields:?}");
    }
    // Several mistakes at once: each field named.
    let many = field_of(permissions::upsert_limit(&db, &w.catalog, &w.owner, bad("max_amount", "-5", Some("0"))).await);
    assert_eq!(many, vec!["limit_value", "time_window_hours"]);
    assert_eq!(permissions::list_limits(&db, &w.owner, &LimitScope::Store(s.id.clone())).await.unwrap().len(), 5);
    // Edge values are fine.
    permissions::upsert_limit(&db, &w.catalog, &w.owner, bad("max_percentage", "100", None)).await.unwrap();
    permissions::upsert_limit(&db, &w.catalog, &w.owner, bad("max_total_amount", "0", Some("8760"))).await.unwrap();
    permissions::upsert_limit(
        &db,
        &w.catalog,
        &w.owner,
        LimitInput { per_customer: Some(true), ..bad("max_count", "2", Some("1")) },
    )
    .await
    .unwrap();

    // A per-customer count needs the customer; a percentage limit needs the order total.
    let d = decide(&w, &s.id, "process_refund", refund("10"), None).await;
    assert_eq!(d.outcome, Outcome::Deny, "{d:?}");

    // Delete: the limits no longer apply.
    for l in permissions::list_limits(&db, &w.owner, &LimitScope::Store(s.id.clone())).await.unwrap() {
        permissions::delete_limit(&db, &w.owner, &l.id).await.unwrap();
    }
    assert!(permissions::list_limits(&db, &w.owner, &LimitScope::Store(s.id.clone())).await.unwrap().is_empty());
    assert_eq!(decide(&w, &s.id, "process_refund", refund("500"), None).await.outcome, Outcome::Allow);
    assert_eq!(err(permissions::delete_limit(&db, &w.owner, &raised.limit.id).await).code, ErrorCode::NotFound);
});

db_test!(all_permission_changes_logged, |db| async move {
    let w = world(&db, "logged").await;
    let s = make_store(&db, &w.org, "Shop").await;
    let bot = make_assistant(&db, &s, "Helper", &["process_refund"]).await;
    let start = last_seq(&db, &w.org.id).await;

    permissions::set(&db, &w.catalog, &w.owner, &s.id, "process_refund", patch(Some(true), None, Some("customer")))
        .await
        .unwrap();
    // A no-op change records nothing.
    permissions::set(&db, &w.catalog, &w.owner, &s.id, "process_refund", patch(Some(true), None, None)).await.unwrap();
    permissions::set_org_default(&db, &w.catalog, &w.owner, "apply_discount", patch(Some(true), Some(false), None))
        .await
        .unwrap();
    let created = permissions::upsert_limit(
        &db,
        &w.catalog,
        &w.owner,
        store_limit(&s.id, "process_refund", "max_amount", "100", None, "deny"),
    )
    .await
    .unwrap();
    permissions::upsert_limit(
        &db,
        &w.catalog,
        &w.owner,
        store_limit(&s.id, "process_refund", "max_amount", "90", None, "deny"),
    )
    .await
    .unwrap();
    let org_wide = permissions::upsert_limit(
        &db,
        &w.catalog,
        &w.owner,
        org_limit("apply_discount", "max_percentage", "30", "deny"),
    )
    .await
    .unwrap();
    let mine = permissions::upsert_limit(
        &db,
        &w.catalog,
        &w.owner,
        LimitInput {
            scope_type: None,
            scope_id: None,
            assistant_id: Some(bot.id.clone()),
            ..store_limit("", "process_refund", "max_count", "3", Some("24"), "confirm")
        },
    )
    .await
    .unwrap();
    assert_eq!(mine.limit.level, Level::Assistant);
    assert_eq!(mine.limit.assistant_name.as_deref(), Some("Helper"));
    permissions::delete_limit(&db, &w.owner, &created.limit.id).await.unwrap();
    permissions::delete_limit(&db, &w.owner, &org_wide.limit.id).await.unwrap();

    let events = events_since(&db, &w.org.id, start).await;
    let actions: Vec<&str> = events.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        vec![
            "permission.updated",
            "permission.default_updated",
            "limit.created",
            "limit.updated",
            "limit.created",
            "limit.created",
            "limit.deleted",
            "limit.deleted"
        ]
    );
    let perm = &events[0];
    assert_eq!(perm.actor_id.as_deref(), Some(w.owner.id.as_str()));
    let (b, a) = (json_of(&perm.before_json), json_of(&perm.after_json));
    assert_eq!(b["action_type"], "process_refund");
    assert_eq!(
        (b["enabled"].clone(), b["confirmation_by"].clone(), b["source"].clone()),
        (json!(false), json!("staff"), json!("default"))
    );
    assert_eq!(
        (a["enabled"].clone(), a["requires_confirmation"].clone(), a["confirmation_by"].clone()),
        (json!(true), json!(true), json!("customer"))
    );
    assert_eq!(a["scope_id"], json!(s.id));
    let def = &events[1];
    assert_eq!(json_of(&def.after_json)["scope_type"], "org");
    assert_eq!(json_of(&def.after_json)["requires_confirmation"], false);
    let updated = &events[3];
    assert_eq!(json_of(&updated.before_json)["limit_value"], "100");
    assert_eq!(json_of(&updated.after_json)["limit_value"], "90");
    assert_eq!(json_of(&events[5].after_json)["scope_type"], "assistant");
    assert_eq!(json_of(&events[6].before_json)["limit_value"], "90");
    assert!(events[6].after_json.is_none());
    assert_eq!(events[7].entity_id.as_deref(), Some(org_wide.limit.id.as_str()));
    assert!(events.iter().all(|e| e.request_id.as_deref() == Some("test")));

    let report = audit::verify_org(&db, &w.org.id).await.unwrap();
    assert!(report.ok, "the chain verifies: {report:?}");
});

db_test!(org_defaults_and_store_overrides, |db| async move {
    let w = world(&db, "inherit").await;
    let s = make_store(&db, &w.org, "Shop").await;
    let bot = make_assistant(&db, &s, "Helper", &["process_refund"]).await;

    // An org default applies to a store without its own row, and says so.
    let d =
        permissions::set_org_default(&db, &w.catalog, &w.owner, "process_refund", patch(Some(true), Some(false), None))
            .await
            .unwrap();
    assert_eq!(d.source, Source::Org);
    let defaults = permissions::org_defaults(&db, &w.catalog, &w.owner).await.unwrap();
    assert!(defaults.can_manage);
    let refund_default = defaults.actions.iter().find(|a| a.action_type == "process_refund").unwrap();
    assert!(refund_default.enabled && refund_default.source == Source::Org);
    assert_eq!(defaults.actions.iter().find(|a| a.action_type == "lookup_order").unwrap().source, Source::Default);
    let p = permissions::list(&db, &w.catalog, &w.owner, &s.id).await.unwrap();
    assert_eq!((action(&p, "process_refund").enabled, action(&p, "process_refund").source), (true, Source::Org));

    // The store's own row wins; later org edits don't flip it.
    permissions::set(&db, &w.catalog, &w.owner, &s.id, "process_refund", patch(None, Some(true), None)).await.unwrap();
    permissions::set_org_default(&db, &w.catalog, &w.owner, "process_refund", patch(Some(false), None, None))
        .await
        .unwrap();
    let p = permissions::list(&db, &w.catalog, &w.owner, &s.id).await.unwrap();
    let refund = action(&p, "process_refund");
    assert_eq!((refund.enabled, refund.requires_confirmation, refund.source), (true, true, Source::Store));

    // Org limits apply to every store, live; a store limit with the same key replaces it.
    let org_cap =
        permissions::upsert_limit(&db, &w.catalog, &w.owner, org_limit("process_refund", "max_amount", "200", "deny"))
            .await
            .unwrap();
    permissions::upsert_limit(&db, &w.catalog, &w.owner, org_limit("process_refund", "max_amount", "100", "confirm"))
        .await
        .unwrap();
    permissions::set(&db, &w.catalog, &w.owner, &s.id, "process_refund", patch(None, Some(false), None)).await.unwrap();
    let refund = |amount: &str| json!({"order_id": "A-1", "amount": amount});
    assert_eq!(decide(&w, &s.id, "process_refund", refund("250"), None).await.outcome, Outcome::Deny);
    let p = permissions::list(&db, &w.catalog, &w.owner, &s.id).await.unwrap();
    assert!(action(&p, "process_refund").limits.iter().all(|l| l.level == Level::Org));

    let own = permissions::upsert_limit(
        &db,
        &w.catalog,
        &w.owner,
        store_limit(&s.id, "process_refund", "max_amount", "300", None, "deny"),
    )
    .await
    .unwrap();
    assert_eq!(own.limit.overrides.as_ref().map(|o| o.id.clone()), Some(org_cap.limit.id.clone()));
    let p = permissions::list(&db, &w.catalog, &w.owner, &s.id).await.unwrap();
    let limits = &action(&p, "process_refund").limits;
    assert_eq!(limits.len(), 2, "the org confirm tier and the store's own deny cap: {limits:?}");
    let store_cap = limits.iter().find(|l| l.level == Level::Store).unwrap();
    assert_eq!(store_cap.overrides.as_ref().unwrap().limit_value, dec("200"));
    assert_eq!(decide(&w, &s.id, "process_refund", refund("250"), None).await.outcome, Outcome::Confirm);
    assert_eq!(decide(&w, &s.id, "process_refund", refund("350"), None).await.outcome, Outcome::Deny);

    // Another store still gets the org cap.
    let other = make_store(&db, &w.org, "Other").await;
    permissions::set(&db, &w.catalog, &w.owner, &other.id, "process_refund", patch(Some(true), Some(false), None))
        .await
        .unwrap();
    assert_eq!(decide(&w, &other.id, "process_refund", refund("250"), None).await.outcome, Outcome::Deny);

    // Assistant limits only narrow.
    permissions::upsert_limit(
        &db,
        &w.catalog,
        &w.owner,
        LimitInput {
            scope_type: Some("assistant".into()),
            scope_id: Some(bot.id.clone()),
            ..store_limit("", "process_refund", "max_amount", "20", None, "deny")
        },
    )
    .await
    .unwrap();
    assert_eq!(decide(&w, &s.id, "process_refund", refund("30"), Some(&bot.id)).await.outcome, Outcome::Deny);
    assert_eq!(decide(&w, &s.id, "process_refund", refund("30"), None).await.outcome, Outcome::Allow);
    let p = permissions::list(&db, &w.catalog, &w.owner, &s.id).await.unwrap();
    assert_eq!(p.assistants.len(), 1);
    let al = &action(&p, "process_refund").assistant_limits;
    assert_eq!(al.len(), 1);
    assert_eq!(al[0].assistant_id.as_deref(), Some(bot.id.as_str()));
    let own_limits = permissions::list_limits(&db, &w.owner, &LimitScope::Assistant(bot.id.clone())).await.unwrap();
    assert_eq!(own_limits.len(), 1);
    let org_limits = permissions::list_limits(&db, &w.owner, &LimitScope::Org).await.unwrap();
    assert_eq!(org_limits.len(), 2);
    let store_limits = permissions::list_limits(&db, &w.owner, &LimitScope::Store(s.id.clone())).await.unwrap();
    assert_eq!(
        store_limits.iter().map(|l| l.level).collect::<Vec<_>>(),
        vec![Level::Org, Level::Store, Level::Assistant]
    );
});

db_test!(cross_org_is_not_found, |db| async move {
    let a = world(&db, "org-a").await;
    let b = world(&db, "org-b").await;
    let s = make_store(&db, &a.org, "A shop").await;
    let bot = make_assistant(&db, &s, "A bot", &[]).await;
    let limit = permissions::upsert_limit(
        &db,
        &a.catalog,
        &a.owner,
        store_limit(&s.id, "process_refund", "max_amount", "10", None, "deny"),
    )
    .await
    .unwrap();
    let org_wide =
        permissions::upsert_limit(&db, &a.catalog, &a.owner, org_limit("process_refund", "max_amount", "10", "deny"))
            .await
            .unwrap();
    let nf = |e: AppError| assert_eq!(e.code, ErrorCode::NotFound, "{e:?}");

    nf(err(permissions::list(&db, &b.catalog, &b.owner, &s.id).await));
    nf(err(permissions::set(&db, &b.catalog, &b.owner, &s.id, "process_refund", patch(Some(true), None, None)).await));
    nf(err(permissions::list_limits(&db, &b.owner, &LimitScope::Store(s.id.clone())).await));
    nf(err(permissions::list_limits(&db, &b.owner, &LimitScope::Assistant(bot.id.clone())).await));
    nf(err(permissions::upsert_limit(
        &db,
        &b.catalog,
        &b.owner,
        store_limit(&s.id, "process_refund", "max_amount", "1", None, "deny"),
    )
    .await));
    nf(err(permissions::upsert_limit(
        &db,
        &b.catalog,
        &b.owner,
        LimitInput {
            scope_type: Some("assistant".into()),
            scope_id: Some(bot.id.clone()),
            ..store_limit("", "process_refund", "max_amount", "1", None, "deny")
        },
    )
    .await));
    nf(err(permissions::upsert_limit(
        &db,
        &b.catalog,
        &b.owner,
        LimitInput { scope_id: Some(a.org.id.clone()), ..org_limit("process_refund", "max_amount", "1", "deny") },
    )
    .await));
    nf(err(permissions::delete_limit(&db, &b.owner, &limit.limit.id).await));
    nf(err(permissions::delete_limit(&db, &b.owner, &org_wide.limit.id).await));
    // B's org-wide view does not show A's.
    assert!(permissions::list_limits(&db, &b.owner, &LimitScope::Org).await.unwrap().is_empty());
    assert!(permissions::org_defaults(&db, &b.catalog, &b.owner)
        .await
        .unwrap()
        .actions
        .iter()
        .all(|x| x.limits.is_empty()));
    // Nothing of A's changed.
    assert_eq!(permissions::list_limits(&db, &a.owner, &LimitScope::Store(s.id.clone())).await.unwrap().len(), 1);
});

db_test!(viewers_and_agents_only_read, |db| async move {
    let w = world(&db, "viewer").await;
    let s = make_store(&db, &w.org, "Shop").await;
    let other = make_store(&db, &w.org, "Other").await;
    let bot = make_assistant(&db, &s, "Helper", &[]).await;
    let limit = permissions::upsert_limit(
        &db,
        &w.catalog,
        &w.owner,
        store_limit(&s.id, "process_refund", "max_amount", "10", None, "deny"),
    )
    .await
    .unwrap();
    let viewer = person(&db, &w.org, "vera", BuiltInRole::Viewer, ScopeRef::Org).await;
    let denied = |e: AppError| assert_eq!(e.code, ErrorCode::PermissionDenied, "{e:?}");

    let seen = permissions::list(&db, &w.catalog, &viewer, &s.id).await.unwrap();
    assert!(!seen.can_manage);
    assert!(!permissions::org_defaults(&db, &w.catalog, &viewer).await.unwrap().can_manage);
    assert_eq!(permissions::list_limits(&db, &viewer, &LimitScope::Store(s.id.clone())).await.unwrap().len(), 1);
    denied(err(
        permissions::set(&db, &w.catalog, &viewer, &s.id, "process_refund", patch(Some(true), None, None)).await
    ));
    denied(err(permissions::set_org_default(
        &db,
        &w.catalog,
        &viewer,
        "process_refund",
        patch(Some(true), None, None),
    )
    .await));
    denied(err(permissions::upsert_limit(
        &db,
        &w.catalog,
        &viewer,
        store_limit(&s.id, "process_refund", "max_amount", "1", None, "deny"),
    )
    .await));
    denied(err(permissions::upsert_limit(
        &db,
        &w.catalog,
        &viewer,
        org_limit("process_refund", "max_amount", "1", "deny"),
    )
    .await));
    denied(err(permissions::delete_limit(&db, &viewer, &limit.limit.id).await));

    // A Store manager at one store manages that store only, not the org's defaults.
    let manager = person(&db, &w.org, "mo", BuiltInRole::StoreManager, ScopeRef::Store(s.id.clone())).await;
    assert!(permissions::list(&db, &w.catalog, &manager, &s.id).await.unwrap().can_manage);
    permissions::set(&db, &w.catalog, &manager, &s.id, "process_refund", patch(Some(true), None, None)).await.unwrap();
    permissions::upsert_limit(
        &db,
        &w.catalog,
        &manager,
        LimitInput {
            scope_type: Some("assistant".into()),
            scope_id: Some(bot.id.clone()),
            ..store_limit("", "process_refund", "max_amount", "5", None, "deny")
        },
    )
    .await
    .unwrap();
    denied(err(permissions::set(
        &db,
        &w.catalog,
        &manager,
        &other.id,
        "process_refund",
        patch(Some(true), None, None),
    )
    .await));
    denied(err(permissions::set_org_default(
        &db,
        &w.catalog,
        &manager,
        "process_refund",
        patch(Some(true), None, None),
    )
    .await));
    denied(err(permissions::upsert_limit(
        &db,
        &w.catalog,
        &manager,
        org_limit("process_refund", "max_amount", "1", "deny"),
    )
    .await));

    // An agent key reads its own store's permissions and nothing else, and changes nothing.
    let agent = Actor {
        kind: ActorKind::ApiKey,
        access: Arc::new(access::Access::default()),
        agent: Some(AgentBinding { store_id: s.id.clone(), assistant_id: Some(bot.id.clone()) }),
        ..w.owner.clone()
    };
    assert!(!permissions::list(&db, &w.catalog, &agent, &s.id).await.unwrap().can_manage);
    assert_eq!(permissions::list_limits(&db, &agent, &LimitScope::Assistant(bot.id.clone())).await.unwrap().len(), 1);
    denied(err(permissions::list(&db, &w.catalog, &agent, &other.id).await));
    denied(err(permissions::list_limits(&db, &agent, &LimitScope::Org).await));
    denied(
        err(permissions::set(&db, &w.catalog, &agent, &s.id, "process_refund", patch(Some(true), None, None)).await),
    );
    denied(err(permissions::upsert_limit(
        &db,
        &w.catalog,
        &agent,
        store_limit(&s.id, "process_refund", "max_amount", "1", None, "deny"),
    )
    .await));
});
