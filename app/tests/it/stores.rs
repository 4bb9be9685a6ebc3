//! Service tests for stores, assistants, agent keys and store scope, on a fresh SQLite
//! database per test and, when TEST_DATABASE_URL is set, a fresh PostgreSQL database
//! (`<test>::sqlite`, `<test>::postgres`).

use crate::common::audit::chain_ok;
use crate::common::orgs::make_org;
use crate::common::people::{member, member_with_role, meta, user_actor};
use app::domain::access::ScopeRef;
use app::domain::action_settings::PermissionPatch;
use app::domain::assistants::{AssistantPatch, NewAssistant};
use app::domain::permission::BuiltInRole;
use app::domain::stores::{NewStore, StorePatch};
use app::domain::{AppError, ErrorCode};
use app::entities::{action_limit, action_permission, assistant, audit_event, org, store};
use app::services::access::api_keys::{self, NewAgentKey};
use app::services::access::assignments::{self, NewAssignment};
use app::services::org::teams::{self, NewTeam};
use app::services::stores::policy::PolicyCache;
use app::services::{stores, stores::assistants, stores::permissions};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};
use serde_json::Value;

// ---------------------------------------------------------------------------------------
// Helpers

fn new_store(name: &str) -> NewStore {
    NewStore { name: name.into(), currency: "EUR".into(), ..Default::default() }
}

fn new_assistant(store_id: &str, name: &str) -> NewAssistant {
    NewAssistant { store_id: store_id.into(), name: name.into(), ..Default::default() }
}

fn err<T: std::fmt::Debug>(r: Result<T, AppError>) -> AppError {
    r.expect_err("expected an error")
}

fn ids(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

async fn store_rows(db: &DatabaseConnection, store_id: &str) -> Vec<action_permission::Model> {
    action_permission::Entity::find()
        .filter(action_permission::Column::ScopeType.eq("store"))
        .filter(action_permission::Column::ScopeId.eq(store_id))
        .all(db)
        .await
        .unwrap()
}

fn row<'a>(rows: &'a [action_permission::Model], action: &str) -> &'a action_permission::Model {
    rows.iter().find(|r| r.action_type == action).unwrap_or_else(|| panic!("no row for {action}"))
}

async fn events(db: &DatabaseConnection, o: &org::Model, action: &str) -> Vec<audit_event::Model> {
    audit_event::Entity::find()
        .filter(audit_event::Column::OrgId.eq(o.id.as_str()))
        .filter(audit_event::Column::Action.eq(action))
        .order_by_asc(audit_event::Column::Seq)
        .all(db)
        .await
        .unwrap()
}

fn json_of(text: &Option<String>) -> Value {
    text.as_deref().map(|t| serde_json::from_str(t).unwrap()).unwrap_or(Value::Null)
}

async fn policy_version(db: &DatabaseConnection, id: &str) -> i64 {
    store::Entity::find_by_id(id.to_string()).one(db).await.unwrap().unwrap().policy_version
}

/// Function names of the OpenAI tools answer, as catalog ids (`x-mandate-action`).
fn tool_ids(tools: &Value) -> Vec<String> {
    tools.as_array().unwrap().iter().map(|t| t["x-mandate-action"].as_str().unwrap().to_string()).collect()
}

// ---------------------------------------------------------------------------------------
// Stores

db_test!(defaults_for_new_stores, |db| async move {
    let (o, owner) = make_org(&db, "defaults").await;
    let cache = PolicyCache::new();
    let boss = user_actor(&db, &o, &owner).await;
    let catalog = cache.catalog(&db).await.unwrap();
    assert_eq!(catalog.defs.len(), 28, "the catalog migration seeds 28 actions");

    let s = stores::create(&db, &cache, &boss, new_store("  Main shop  ")).await.unwrap();
    assert_eq!(s.name, "Main shop");
    assert_eq!(s.platform, "sandbox");
    assert_eq!(s.currency, "EUR");
    assert!(!s.actions_paused);
    assert!(s.can_manage && s.can_manage_permissions);
    // New assistants get what the catalog turns on by default.
    assert_eq!(s.default_allowed_actions, ids(&["lookup_order", "send_tracking"]));

    // One row per catalog action, with DESIGN §2's defaults.
    let rows = store_rows(&db, &s.id).await;
    assert_eq!(rows.len(), catalog.defs.len());
    for id in catalog.defs.keys() {
        row(&rows, id);
    }
    for on in ["lookup_order", "send_tracking"] {
        let r = row(&rows, on);
        assert!(r.enabled && !r.requires_confirmation, "{on} is on without confirmation");
    }
    for off in ["update_address", "cancel_order", "initiate_return", "process_refund", "apply_discount"] {
        let r = row(&rows, off);
        assert!(!r.enabled && r.requires_confirmation, "{off} is off and needs confirmation");
        assert_eq!(r.confirmation_by, "staff");
    }
    // The compiled policy agrees.
    let model = store::Entity::find_by_id(s.id.clone()).one(&db).await.unwrap().unwrap();
    let policy = cache.store_policy(&db, &model).await.unwrap();
    assert!(policy.actions["lookup_order"].enabled);
    assert!(!policy.actions["process_refund"].enabled);
    assert!(policy.actions["process_refund"].requires_confirmation);

    // The creation is audited with the permissions it started with.
    let created = events(&db, &o, "store.created").await;
    assert_eq!(created.len(), 1);
    let after = json_of(&created[0].after_json);
    assert_eq!(after["name"], "Main shop");
    assert_eq!(after["permissions"]["process_refund"]["enabled"], false);
    assert_eq!(after["permissions"]["lookup_order"]["enabled"], true);
    chain_ok(&db, &o.id).await;
});

db_test!(org_defaults_apply_to_new_stores_only, |db| async move {
    let (o, owner) = make_org(&db, "orgdefaults").await;
    let cache = PolicyCache::new();
    let boss = user_actor(&db, &o, &owner).await;
    let catalog = cache.catalog(&db).await.unwrap();
    let before = stores::create(&db, &cache, &boss, new_store("Before")).await.unwrap();

    let patch = PermissionPatch { enabled: Some(true), requires_confirmation: Some(false), confirmation_by: None };
    permissions::set_org_default(&db, &catalog, &boss, "process_refund", patch).await.unwrap();
    let patch = PermissionPatch { enabled: Some(false), ..Default::default() };
    permissions::set_org_default(&db, &catalog, &boss, "send_tracking", patch).await.unwrap();

    let after = stores::create(&db, &cache, &boss, new_store("After")).await.unwrap();
    let rows = store_rows(&db, &after.id).await;
    assert!(row(&rows, "process_refund").enabled, "the org's default replaces the built-in one");
    assert!(!row(&rows, "process_refund").requires_confirmation);
    assert!(!row(&rows, "send_tracking").enabled);
    assert!(row(&rows, "lookup_order").enabled, "actions without an org default keep the built-in default");
    assert_eq!(rows.len(), catalog.defs.len());

    // The store made earlier keeps its own settings.
    let rows = store_rows(&db, &before.id).await;
    assert!(!row(&rows, "process_refund").enabled);
    assert!(row(&rows, "process_refund").requires_confirmation);
    assert!(row(&rows, "send_tracking").enabled);
    let model = store::Entity::find_by_id(before.id.clone()).one(&db).await.unwrap().unwrap();
    assert!(!cache.store_policy(&db, &model).await.unwrap().actions["process_refund"].enabled);
});

db_test!(kill_switch_is_audited_and_stops_tools, |db| async move {
    let (o, owner) = make_org(&db, "killswitch").await;
    let cache = PolicyCache::new();
    let boss = user_actor(&db, &o, &owner).await;
    let s = stores::create(&db, &cache, &boss, new_store("Shop")).await.unwrap();
    let a = assistants::create(&db, &cache, &boss, new_assistant(&s.id, "Bot")).await.unwrap();
    assert_eq!(tool_ids(&assistants::tools(&db, &cache, &boss, &a.id, None).await.unwrap()).len(), 2);
    let v0 = policy_version(&db, &s.id).await;

    let paused =
        stores::update(&db, &cache, &boss, &s.id, StorePatch { actions_paused: Some(true), ..Default::default() })
            .await
            .unwrap();
    assert!(paused.actions_paused);
    assert!(policy_version(&db, &s.id).await > v0, "pausing bumps the policy version");
    let ev = events(&db, &o, "store.paused").await;
    assert_eq!(ev.len(), 1);
    assert_eq!(json_of(&ev[0].before_json)["actions_paused"], false);
    assert_eq!(json_of(&ev[0].after_json)["actions_paused"], true);
    assert!(events(&db, &o, "store.updated").await.is_empty(), "the kill switch is its own event");
    assert!(tool_ids(&assistants::tools(&db, &cache, &boss, &a.id, None).await.unwrap()).is_empty());
    let preview = assistants::tool_preview(&db, &cache, &boss, &a.id).await.unwrap();
    assert!(preview.tools.is_empty());
    assert!(preview.note.unwrap().contains("paused"));

    // Pausing again changes nothing and records nothing.
    stores::update(&db, &cache, &boss, &s.id, StorePatch { actions_paused: Some(true), ..Default::default() })
        .await
        .unwrap();
    assert_eq!(events(&db, &o, "store.paused").await.len(), 1);

    // Resume together with a rename: two events, each with its own before/after.
    let patch = StorePatch { actions_paused: Some(false), name: Some("Shop two".into()), ..Default::default() };
    let resumed = stores::update(&db, &cache, &boss, &s.id, patch).await.unwrap();
    assert!(!resumed.actions_paused);
    assert_eq!(resumed.name, "Shop two");
    let ev = events(&db, &o, "store.resumed").await;
    assert_eq!(ev.len(), 1);
    assert_eq!(json_of(&ev[0].after_json)["actions_paused"], false);
    let ev = events(&db, &o, "store.updated").await;
    assert_eq!(ev.len(), 1);
    assert_eq!(json_of(&ev[0].before_json)["name"], "Shop");
    assert_eq!(json_of(&ev[0].after_json)["name"], "Shop two");
    assert_eq!(tool_ids(&assistants::tools(&db, &cache, &boss, &a.id, None).await.unwrap()).len(), 2);
    chain_ok(&db, &o.id).await;
});

db_test!(another_orgs_stores_and_assistants_are_not_found, |db| async move {
    let (a_org, a_owner) = make_org(&db, "alpha").await;
    let (b_org, b_owner) = make_org(&db, "beta").await;
    let cache = PolicyCache::new();
    let alpha = user_actor(&db, &a_org, &a_owner).await;
    let beta = user_actor(&db, &b_org, &b_owner).await;
    let s = stores::create(&db, &cache, &beta, new_store("Beta shop")).await.unwrap();
    let a = assistants::create(&db, &cache, &beta, new_assistant(&s.id, "Beta bot")).await.unwrap();

    let nf = |e: AppError| assert_eq!(e.code, ErrorCode::NotFound, "{e:?}");
    nf(err(stores::get(&db, &alpha, &s.id).await));
    nf(err(
        stores::update(&db, &cache, &alpha, &s.id, StorePatch { name: Some("x".into()), ..Default::default() }).await
    ));
    nf(err(stores::delete(&db, &alpha, &s.id).await));
    nf(err(assistants::list(&db, &alpha, &s.id, None, None).await));
    nf(err(assistants::create(&db, &cache, &alpha, new_assistant(&s.id, "Sneaky")).await));
    nf(err(assistants::get(&db, &alpha, &a.id).await));
    nf(err(
        assistants::update(&db, &alpha, &a.id, AssistantPatch { name: Some("x".into()), ..Default::default() }).await
    ));
    nf(err(assistants::set_allowed_actions(&db, &cache, &alpha, &a.id, vec![]).await));
    nf(err(assistants::tools(&db, &cache, &alpha, &a.id, None).await));
    nf(err(assistants::delete(&db, &alpha, &a.id).await));
    let key = NewAgentKey { name: "k".into(), store_id: s.id.clone(), ..Default::default() };
    nf(err(api_keys::create_agent(&db, &alpha, key).await));
    assert!(stores::list(&db, &alpha, None, None).await.unwrap().stores.is_empty());
    // Nothing of beta's changed.
    assert_eq!(stores::get(&db, &beta, &s.id).await.unwrap().name, "Beta shop");
});

db_test!(store_validation_errors_are_field_level, |db| async move {
    let (o, owner) = make_org(&db, "validation").await;
    let cache = PolicyCache::new();
    let boss = user_actor(&db, &o, &owner).await;
    let bad = NewStore {
        name: "   ".into(),
        currency: "EURO".into(),
        platform: Some("shopify".into()),
        team_id: None,
        default_allowed_actions: None,
    };
    let e = err(stores::create(&db, &cache, &boss, bad).await);
    assert_eq!(e.code, ErrorCode::ValidationError);
    assert!(e.field("name").is_some());
    assert!(e.field("currency").unwrap().contains("three-letter"));
    assert!(e.field("platform").unwrap().contains("sandbox"));

    let unknown = NewStore { default_allowed_actions: Some(ids(&["lookup_order", "teleport"])), ..new_store("Shop") };
    let e = err(stores::create(&db, &cache, &boss, unknown).await);
    assert!(e.field("default_allowed_actions").unwrap().contains("\"teleport\""));
    let e =
        err(stores::create(&db, &cache, &boss, NewStore { team_id: Some("no-such-team".into()), ..new_store("Shop") })
            .await);
    assert_eq!(e.code, ErrorCode::NotFound);
    assert!(e.field("team_id").is_some());
    assert!(stores::list(&db, &boss, None, None).await.unwrap().stores.is_empty(), "nothing was created");

    // Lower-case currency is accepted and stored upper-case; defaults are deduped into catalog order.
    let ok = NewStore {
        currency: " usd ".into(),
        default_allowed_actions: Some(ids(&["send_tracking", "lookup_order", "send_tracking"])),
        ..new_store("Shop")
    };
    let s = stores::create(&db, &cache, &boss, ok).await.unwrap();
    assert_eq!(s.currency, "USD");
    assert_eq!(s.default_allowed_actions, ids(&["lookup_order", "send_tracking"]));

    let e = err(stores::update(
        &db,
        &cache,
        &boss,
        &s.id,
        StorePatch { currency: Some("12".into()), name: Some("".into()), ..Default::default() },
    )
    .await);
    assert!(e.field("currency").is_some() && e.field("name").is_some());
    let e = err(stores::update(
        &db,
        &cache,
        &boss,
        &s.id,
        StorePatch { default_allowed_actions: Some(ids(&["nope"])), ..Default::default() },
    )
    .await);
    assert!(e.field("default_allowed_actions").unwrap().contains("\"nope\""));
    assert_eq!(stores::get(&db, &boss, &s.id).await.unwrap().currency, "USD", "nothing changed");

    // Assistant fields too.
    let e = err(assistants::create(
        &db,
        &cache,
        &boss,
        NewAssistant { description: Some("d".repeat(1001)), ..new_assistant(&s.id, "") },
    )
    .await);
    assert!(e.field("name").is_some() && e.field("description").is_some());
    let a = assistants::create(&db, &cache, &boss, new_assistant(&s.id, "Bot")).await.unwrap();
    let e = err(assistants::update(
        &db,
        &boss,
        &a.id,
        AssistantPatch { status: Some("sleeping".into()), ..Default::default() },
    )
    .await);
    assert!(e.field("status").is_some());
});

// ---------------------------------------------------------------------------------------
// Assistants

db_test!(assistant_gets_store_defaults, |db| async move {
    let (o, owner) = make_org(&db, "assistantdefaults").await;
    let cache = PolicyCache::new();
    let boss = user_actor(&db, &o, &owner).await;
    let s = stores::create(
        &db,
        &cache,
        &boss,
        NewStore { default_allowed_actions: Some(ids(&["tickets.create", "lookup_order"])), ..new_store("Shop") },
    )
    .await
    .unwrap();
    let a = assistants::create(&db, &cache, &boss, new_assistant(&s.id, "Bot")).await.unwrap();
    assert_eq!(a.status, "active");
    assert_eq!(a.allowed_actions, ids(&["lookup_order", "tickets.create"]), "the store's defaults, in catalog order");

    // The store's defaults change later; existing assistants keep theirs.
    stores::update(
        &db,
        &cache,
        &boss,
        &s.id,
        StorePatch { default_allowed_actions: Some(vec![]), ..Default::default() },
    )
    .await
    .unwrap();
    assert_eq!(assistants::get(&db, &boss, &a.id).await.unwrap().allowed_actions.len(), 2);
    let b = assistants::create(&db, &cache, &boss, new_assistant(&s.id, "Quiet bot")).await.unwrap();
    assert!(b.allowed_actions.is_empty());

    // Given explicitly: deduped, in catalog order.
    let c = assistants::create(
        &db,
        &cache,
        &boss,
        NewAssistant {
            allowed_actions: Some(ids(&["process_refund", "lookup_order", "process_refund"])),
            ..new_assistant(&s.id, "Refunder")
        },
    )
    .await
    .unwrap();
    assert_eq!(c.allowed_actions, ids(&["lookup_order", "process_refund"]));

    let listed = assistants::list(&db, &boss, &s.id, None, None).await.unwrap().assistants;
    assert_eq!(listed.iter().map(|x| x.name.as_str()).collect::<Vec<_>>(), vec!["Bot", "Quiet bot", "Refunder"]);
    let page = assistants::list(&db, &boss, &s.id, None, Some(2)).await.unwrap();
    assert_eq!(page.assistants.len(), 2);
    let rest = assistants::list(&db, &boss, &s.id, page.next_cursor.as_deref(), Some(2)).await.unwrap();
    assert_eq!(rest.assistants.len(), 1);
    assert!(rest.next_cursor.is_none());
    assert_eq!(stores::get(&db, &boss, &s.id).await.unwrap().assistant_count, 3);
    assert_eq!(events(&db, &o, "assistant.created").await.len(), 3);
});

db_test!(allowed_actions_unknown_id_is_422, |db| async move {
    let (o, owner) = make_org(&db, "unknownids").await;
    let cache = PolicyCache::new();
    let boss = user_actor(&db, &o, &owner).await;
    let s = stores::create(&db, &cache, &boss, new_store("Shop")).await.unwrap();
    let a = assistants::create(&db, &cache, &boss, new_assistant(&s.id, "Bot")).await.unwrap();
    let e = err(assistants::set_allowed_actions(
        &db,
        &cache,
        &boss,
        &a.id,
        ids(&["lookup_order", "fly_to_moon", "tickets.nope"]),
    )
    .await);
    assert_eq!(e.code, ErrorCode::ValidationError);
    let m = e.field("allowed_actions").unwrap();
    assert!(m.contains("\"fly_to_moon\"") && m.contains("\"tickets.nope\""), "{m}");
    assert!(!m.contains("\"lookup_order\""));
    assert_eq!(assistants::get(&db, &boss, &a.id).await.unwrap().allowed_actions, a.allowed_actions, "nothing changed");

    let v0 = policy_version(&db, &s.id).await;
    let saved = assistants::set_allowed_actions(
        &db,
        &cache,
        &boss,
        &a.id,
        ids(&["tickets.create", " lookup_order ", "tickets.create"]),
    )
    .await
    .unwrap();
    assert_eq!(saved.allowed_actions, ids(&["lookup_order", "tickets.create"]));
    assert!(policy_version(&db, &s.id).await > v0);
    let ev = events(&db, &o, "assistant.allowed_actions_changed").await;
    assert_eq!(ev.len(), 1);
    assert_eq!(json_of(&ev[0].before_json)["allowed_actions"], serde_json::json!(["lookup_order", "send_tracking"]));
    assert_eq!(json_of(&ev[0].after_json)["allowed_actions"], serde_json::json!(["lookup_order", "tickets.create"]));
    assert_eq!(json_of(&ev[0].after_json)["removed"], serde_json::json!(["send_tracking"]));
    chain_ok(&db, &o.id).await;
});

db_test!(tools_drop_what_is_unticked_disabled_or_paused, |db| async move {
    let (o, owner) = make_org(&db, "tools").await;
    let cache = PolicyCache::new();
    let boss = user_actor(&db, &o, &owner).await;
    let catalog = cache.catalog(&db).await.unwrap();
    let s = stores::create(&db, &cache, &boss, new_store("Shop")).await.unwrap();
    let a = assistants::create(
        &db,
        &cache,
        &boss,
        NewAssistant {
            allowed_actions: Some(ids(&["lookup_order", "send_tracking", "process_refund", "tickets.create"])),
            ..new_assistant(&s.id, "Bot")
        },
    )
    .await
    .unwrap();
    let openai = |v: Value| tool_ids(&v);
    // Refunds and tickets are off for a new store: allowed, but not callable.
    let tools = assistants::tools(&db, &cache, &boss, &a.id, Some("openai")).await.unwrap();
    assert_eq!(openai(tools.clone()), ids(&["lookup_order", "send_tracking"]));
    assert_eq!(tools[0]["type"], "function");
    assert_eq!(tools[0]["function"]["name"], "lookup_order");
    assert_eq!(tools[0]["function"]["parameters"], catalog.get("lookup_order").unwrap().input_schema);
    assert_eq!(tools[0]["function"]["description"], catalog.get("lookup_order").unwrap().description.as_str());
    let preview = assistants::tool_preview(&db, &cache, &boss, &a.id).await.unwrap();
    let blocked: Vec<(&str, &str)> = preview.blocked.iter().map(|b| (b.id.as_str(), b.reason.as_str())).collect();
    assert!(blocked.contains(&("process_refund", "turned off for this store")), "{blocked:?}");

    // Turned on for the store: callable, with its dotted id mapped for OpenAI.
    let on = PermissionPatch { enabled: Some(true), ..Default::default() };
    permissions::set(&db, &catalog, &boss, &s.id, "tickets.create", on).await.unwrap();
    let tools = assistants::tools(&db, &cache, &boss, &a.id, None).await.unwrap();
    assert_eq!(openai(tools.clone()), ids(&["lookup_order", "send_tracking", "tickets.create"]));
    let ticket = tools.as_array().unwrap().iter().find(|t| t["x-mandate-action"] == "tickets.create").unwrap();
    assert_eq!(ticket["function"]["name"], "tickets__create");
    let mcp = assistants::tools(&db, &cache, &boss, &a.id, Some("mcp")).await.unwrap();
    let names: Vec<&str> = mcp["tools"].as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap()).collect();
    assert_eq!(names, vec!["lookup_order", "send_tracking", "tickets.create"]);
    assert!(mcp["tools"][0]["inputSchema"].is_object());
    let e = err(assistants::tools(&db, &cache, &boss, &a.id, Some("xml")).await);
    assert_eq!(e.code, ErrorCode::ValidationError);
    assert!(e.field("format").is_some());

    // Unticked for the assistant: gone.
    assistants::set_allowed_actions(
        &db,
        &cache,
        &boss,
        &a.id,
        ids(&["lookup_order", "tickets.create", "process_refund"]),
    )
    .await
    .unwrap();
    assert_eq!(
        openai(assistants::tools(&db, &cache, &boss, &a.id, None).await.unwrap()),
        ids(&["lookup_order", "tickets.create"])
    );
    // Turned off for the store: gone.
    let off = PermissionPatch { enabled: Some(false), ..Default::default() };
    permissions::set(&db, &catalog, &boss, &s.id, "lookup_order", off).await.unwrap();
    assert_eq!(openai(assistants::tools(&db, &cache, &boss, &a.id, None).await.unwrap()), ids(&["tickets.create"]));
    // The store paused: nothing.
    stores::update(&db, &cache, &boss, &s.id, StorePatch { actions_paused: Some(true), ..Default::default() })
        .await
        .unwrap();
    assert!(openai(assistants::tools(&db, &cache, &boss, &a.id, None).await.unwrap()).is_empty());
    stores::update(&db, &cache, &boss, &s.id, StorePatch { actions_paused: Some(false), ..Default::default() })
        .await
        .unwrap();
    // The assistant disabled: nothing; enabled again: back.
    let disabled =
        assistants::update(&db, &boss, &a.id, AssistantPatch { status: Some("disabled".into()), ..Default::default() })
            .await
            .unwrap();
    assert_eq!(disabled.status, "disabled");
    assert!(openai(assistants::tools(&db, &cache, &boss, &a.id, None).await.unwrap()).is_empty());
    assistants::update(&db, &boss, &a.id, AssistantPatch { status: Some("active".into()), ..Default::default() })
        .await
        .unwrap();
    assert_eq!(openai(assistants::tools(&db, &cache, &boss, &a.id, None).await.unwrap()), ids(&["tickets.create"]));
    assert_eq!(events(&db, &o, "assistant.updated").await.len(), 2);
});

// ---------------------------------------------------------------------------------------
// Store scope

db_test!(store_scoped_role_lets_a_store_manager_manage_only_that_store, |db| async move {
    let (o, owner) = make_org(&db, "storescope").await;
    let cache = PolicyCache::new();
    let boss = user_actor(&db, &o, &owner).await;
    let mine = stores::create(&db, &cache, &boss, new_store("Mine")).await.unwrap();
    let other = stores::create(&db, &cache, &boss, new_store("Other")).await.unwrap();
    let pat = member(&db, &o, "Pat", None).await;
    let assigned = assignments::create(
        &db,
        &boss,
        NewAssignment {
            user_id: pat.id.clone(),
            role_id: BuiltInRole::StoreManager.id().into(),
            scope_type: "store".into(),
            scope_id: Some(mine.id.clone()),
        },
    )
    .await
    .unwrap();
    assert_eq!(assigned.scope_name, "Store: Mine");
    let e = err(assignments::create(
        &db,
        &boss,
        NewAssignment {
            user_id: pat.id.clone(),
            role_id: BuiltInRole::Viewer.id().into(),
            scope_type: "store".into(),
            scope_id: Some("no-such-store".into()),
        },
    )
    .await);
    assert_eq!(e.code, ErrorCode::NotFound);
    assert!(e.field("scope_id").is_some());

    let pat = user_actor(&db, &o, &pat).await;
    let listed = stores::list(&db, &pat, None, None).await.unwrap();
    assert_eq!(listed.stores.iter().map(|s| s.name.as_str()).collect::<Vec<_>>(), vec!["Mine"]);
    assert!(!listed.can_create());
    assert!(listed.stores[0].can_manage);
    let renamed = stores::update(
        &db,
        &cache,
        &pat,
        &mine.id,
        StorePatch { name: Some("Mine, renamed".into()), ..Default::default() },
    )
    .await
    .unwrap();
    assert_eq!(renamed.name, "Mine, renamed");
    let a = assistants::create(&db, &cache, &pat, new_assistant(&mine.id, "Pat's bot")).await.unwrap();
    assistants::set_allowed_actions(&db, &cache, &pat, &a.id, ids(&["lookup_order"])).await.unwrap();

    let denied = |e: AppError| assert_eq!(e.code, ErrorCode::PermissionDenied, "{e:?}");
    denied(err(stores::get(&db, &pat, &other.id).await));
    denied(err(stores::update(
        &db,
        &cache,
        &pat,
        &other.id,
        StorePatch { actions_paused: Some(true), ..Default::default() },
    )
    .await));
    denied(err(stores::delete(&db, &pat, &other.id).await));
    denied(err(assistants::create(&db, &cache, &pat, new_assistant(&other.id, "Nope")).await));
    denied(err(stores::create(&db, &cache, &pat, new_store("New")).await));
    // A store manager has no api_keys.manage: no agent keys, even at their store.
    denied(err(api_keys::create_agent(
        &db,
        &pat,
        NewAgentKey { name: "k".into(), store_id: mine.id.clone(), ..Default::default() },
    )
    .await));
    // A management key with the Store manager role at the store acts there only.
    let key = api_keys::create(
        &db,
        &boss,
        api_keys::NewApiKey {
            name: "Store sync".into(),
            role_id: BuiltInRole::StoreManager.id().into(),
            scope_type: "store".into(),
            scope_id: Some(mine.id.clone()),
            expires_at: None,
        },
    )
    .await
    .unwrap();
    assert_eq!(key.key.scope_label, "Store: \u{201c}Mine, renamed\u{201d}");
    let (key_actor, _) = api_keys::authenticate(&db, &Default::default(), &key.secret, &meta()).await.unwrap();
    stores::update(&db, &cache, &key_actor, &mine.id, StorePatch { actions_paused: Some(true), ..Default::default() })
        .await
        .unwrap();
    denied(err(stores::update(
        &db,
        &cache,
        &key_actor,
        &other.id,
        StorePatch { actions_paused: Some(true), ..Default::default() },
    )
    .await));
    assert_eq!(stores::list(&db, &key_actor, None, None).await.unwrap().stores.len(), 1);
    // Nor may they move the store into a team (stores.manage there).
    let team = teams::create(&db, &boss, NewTeam { name: "Ops".into(), parent_team_id: None }).await.unwrap();
    denied(err(stores::update(
        &db,
        &cache,
        &pat,
        &mine.id,
        StorePatch { team_id: Some(Some(team.id)), ..Default::default() },
    )
    .await));
});

db_test!(team_assignment_reaches_the_teams_stores, |db| async move {
    let (o, owner) = make_org(&db, "teamscope").await;
    let cache = PolicyCache::new();
    let boss = user_actor(&db, &o, &owner).await;
    let eu = teams::create(&db, &boss, NewTeam { name: "EU".into(), parent_team_id: None }).await.unwrap();
    let north =
        teams::create(&db, &boss, NewTeam { name: "North".into(), parent_team_id: Some(eu.id.clone()) }).await.unwrap();
    let nordic =
        stores::create(&db, &cache, &boss, NewStore { team_id: Some(north.id.clone()), ..new_store("Nordic") })
            .await
            .unwrap();
    assert_eq!(nordic.team_path.as_deref(), Some("EU / North"));
    let loose = stores::create(&db, &cache, &boss, new_store("Loose")).await.unwrap();

    let kim = member(&db, &o, "Kim", None).await;
    assignments::create(
        &db,
        &boss,
        NewAssignment {
            user_id: kim.id.clone(),
            role_id: BuiltInRole::StoreManager.id().into(),
            scope_type: "team".into(),
            scope_id: Some(eu.id.clone()),
        },
    )
    .await
    .unwrap();
    let kim = user_actor(&db, &o, &kim).await;
    let listed = stores::list(&db, &kim, None, None).await.unwrap();
    assert_eq!(listed.stores.iter().map(|s| s.name.as_str()).collect::<Vec<_>>(), vec!["Nordic"]);
    assert!(!listed.can_create_without_team);
    let mut choices: Vec<&str> = listed.team_choices.iter().map(|c| c.label.as_str()).collect();
    choices.sort();
    assert_eq!(choices, vec!["EU", "EU / North"]);
    stores::update(&db, &cache, &kim, &nordic.id, StorePatch { actions_paused: Some(true), ..Default::default() })
        .await
        .unwrap();
    assert_eq!(err(stores::get(&db, &kim, &loose.id).await).code, ErrorCode::PermissionDenied);
    // A team's store manager creates stores in their teams, not outside them.
    let made = stores::create(&db, &cache, &kim, NewStore { team_id: Some(eu.id.clone()), ..new_store("Made by Kim") })
        .await
        .unwrap();
    assert!(made.can_manage, "the creator manages the store just made in their team");
    assert_eq!(err(stores::create(&db, &cache, &kim, new_store("Outside")).await).code, ErrorCode::PermissionDenied);
    // Moving a store out of their teams needs stores.manage where it lands.
    let e =
        err(stores::update(&db, &cache, &kim, &nordic.id, StorePatch { team_id: Some(None), ..Default::default() })
            .await);
    assert_eq!(e.code, ErrorCode::PermissionDenied);

    // Deleting a team with stores: refused without a destination; with one, the stores move.
    let e = err(teams::delete(&db, &boss, &north.id, None).await);
    assert_eq!(e.code, ErrorCode::Conflict);
    assert!(e.message.contains("1 store"), "{}", e.message);
    teams::delete(&db, &boss, &north.id, Some(Some(eu.id.clone()))).await.unwrap();
    let moved = stores::get(&db, &boss, &nordic.id).await.unwrap();
    assert_eq!(moved.team_id.as_deref(), Some(eu.id.as_str()));
    let ev = events(&db, &o, "store.updated").await;
    assert!(ev.iter().any(|e| json_of(&e.after_json)["reason"] == "team deleted"));
    chain_ok(&db, &o.id).await;
});

// ---------------------------------------------------------------------------------------
// Agent keys and deletion

db_test!(agent_keys_are_bound_to_their_store, |db| async move {
    let (o, owner) = make_org(&db, "agentkeys").await;
    let cache = PolicyCache::new();
    let boss = user_actor(&db, &o, &owner).await;
    let s1 = stores::create(&db, &cache, &boss, new_store("One")).await.unwrap();
    let s2 = stores::create(&db, &cache, &boss, new_store("Two")).await.unwrap();
    let a1 = assistants::create(&db, &cache, &boss, new_assistant(&s1.id, "Bot one")).await.unwrap();
    let b1 = assistants::create(&db, &cache, &boss, new_assistant(&s1.id, "Other bot")).await.unwrap();
    let a2 = assistants::create(&db, &cache, &boss, new_assistant(&s2.id, "Bot two")).await.unwrap();

    let e = err(api_keys::create_agent(
        &db,
        &boss,
        NewAgentKey { name: "k".into(), store_id: s1.id.clone(), assistant_id: Some(a2.id.clone()), expires_at: None },
    )
    .await);
    assert_eq!(e.code, ErrorCode::ValidationError);
    assert!(e.field("assistant_id").is_some());
    let e = err(api_keys::create_agent(
        &db,
        &boss,
        NewAgentKey { name: " ".into(), store_id: s1.id.clone(), ..Default::default() },
    )
    .await);
    assert!(e.field("name").is_some());

    let created = api_keys::create_agent(
        &db,
        &boss,
        NewAgentKey {
            name: "Chat runtime".into(),
            store_id: s1.id.clone(),
            assistant_id: Some(a1.id.clone()),
            expires_at: None,
        },
    )
    .await
    .unwrap();
    assert_eq!(created.key.kind, "agent");
    assert!(created.key.scope_label.contains("One") && created.key.scope_label.contains("Bot one"));
    assert!(created.secret.starts_with("mdt_"));
    let listed = api_keys::list_agent_keys(&db, &boss, &s1.id, Some(&a1.id)).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert!(api_keys::list_agent_keys(&db, &boss, &s1.id, Some(&b1.id)).await.unwrap().is_empty());
    let created_events = events(&db, &o, "api_key.created").await;
    assert!(!created_events.last().unwrap().after_json.as_deref().unwrap().contains(&created.secret));

    let (agent, _) = api_keys::authenticate(&db, &Default::default(), &created.secret, &meta()).await.unwrap();
    assert!(agent.agent.is_some());
    assert_eq!(tool_ids(&assistants::tools(&db, &cache, &agent, &a1.id, None).await.unwrap()).len(), 2);
    assert_eq!(assistants::get(&db, &agent, &a1.id).await.unwrap().name, "Bot one");
    let only_own = assistants::list(&db, &agent, &s1.id, None, None).await.unwrap().assistants;
    assert_eq!(only_own.iter().map(|a| a.id.as_str()).collect::<Vec<_>>(), vec![a1.id.as_str()]);
    let denied = |e: AppError| assert_eq!(e.code, ErrorCode::PermissionDenied, "{e:?}");
    denied(err(assistants::tools(&db, &cache, &agent, &b1.id, None).await));
    denied(err(assistants::tools(&db, &cache, &agent, &a2.id, None).await));
    denied(err(assistants::list(&db, &agent, &s2.id, None, None).await));
    denied(err(stores::get(&db, &agent, &s1.id).await));
    denied(err(stores::list(&db, &agent, None, None).await));
    denied(err(assistants::set_allowed_actions(&db, &cache, &agent, &a1.id, vec![]).await));
    denied(err(assistants::create(&db, &cache, &agent, new_assistant(&s1.id, "Self-made")).await));

    // The store and the assistant can't go while the key acts for them.
    let e = err(assistants::delete(&db, &boss, &a1.id).await);
    assert_eq!(e.code, ErrorCode::Conflict);
    assert!(e.message.contains("Chat runtime") && e.message.contains("Revoke"));
    let e = err(stores::delete(&db, &boss, &s1.id).await);
    assert_eq!(e.code, ErrorCode::Conflict);
    assert!(e.message.contains("Revoke them first"));
    api_keys::revoke(&db, &boss, &created.key.id).await.unwrap();

    // Deleting the store takes its assistants, permissions, limits and store-scoped roles.
    let catalog = cache.catalog(&db).await.unwrap();
    let limit = app::domain::action_settings::LimitInput {
        store_id: Some(s1.id.clone()),
        action_type: "process_refund".into(),
        limit_type: "max_amount".into(),
        limit_value: "100".into(),
        on_exceed: Some("deny".into()),
        ..Default::default()
    };
    permissions::upsert_limit(&db, &catalog, &boss, limit).await.unwrap();
    let viewer = member(&db, &o, "Vic", None).await;
    assignments::create(
        &db,
        &boss,
        NewAssignment {
            user_id: viewer.id.clone(),
            role_id: BuiltInRole::Viewer.id().into(),
            scope_type: "store".into(),
            scope_id: Some(s1.id.clone()),
        },
    )
    .await
    .unwrap();
    stores::delete(&db, &boss, &s1.id).await.unwrap();
    assert_eq!(err(stores::get(&db, &boss, &s1.id).await).code, ErrorCode::NotFound);
    assert!(store_rows(&db, &s1.id).await.is_empty());
    assert!(assistant::Entity::find()
        .filter(assistant::Column::StoreId.eq(s1.id.as_str()))
        .all(&db)
        .await
        .unwrap()
        .is_empty());
    assert!(action_limit::Entity::find()
        .filter(action_limit::Column::StoreId.eq(s1.id.as_str()))
        .all(&db)
        .await
        .unwrap()
        .is_empty());
    let deleted = events(&db, &o, "store.deleted").await;
    assert_eq!(deleted.len(), 1);
    assert_eq!(json_of(&deleted[0].before_json)["assistants"].as_array().unwrap().len(), 2);
    assert!(events(&db, &o, "role_assignment.deleted")
        .await
        .iter()
        .any(|e| json_of(&e.before_json)["reason"] == "store deleted"));
    // The other store is untouched.
    assert_eq!(stores::get(&db, &boss, &s2.id).await.unwrap().assistant_count, 1);
    chain_ok(&db, &o.id).await;
});

db_test!(viewers_read_but_do_not_change, |db| async move {
    let (o, owner) = make_org(&db, "viewers").await;
    let cache = PolicyCache::new();
    let boss = user_actor(&db, &o, &owner).await;
    let s = stores::create(&db, &cache, &boss, new_store("Shop")).await.unwrap();
    let a = assistants::create(&db, &cache, &boss, new_assistant(&s.id, "Bot")).await.unwrap();
    let viewer = member_with_role(&db, &o, "Val", BuiltInRole::Viewer, ScopeRef::Org).await;
    let viewer = user_actor(&db, &o, &viewer).await;
    let page = assistants::for_store(&db, &cache, &viewer, &s.id).await.unwrap();
    assert!(!page.store.can_manage && !page.can_manage_keys);
    assert!(!page.assistants[0].can_manage_actions);
    assert_eq!(page.actions.len(), cache.catalog(&db).await.unwrap().defs.len());
    assert!(page.actions.iter().find(|x| x.id == "lookup_order").unwrap().enabled_for_store);
    assert_eq!(assistants::tool_preview(&db, &cache, &viewer, &a.id).await.unwrap().tools.len(), 2);
    let denied = |e: AppError| assert_eq!(e.code, ErrorCode::PermissionDenied, "{e:?}");
    denied(err(assistants::set_allowed_actions(&db, &cache, &viewer, &a.id, vec![]).await));
    denied(err(stores::update(
        &db,
        &cache,
        &viewer,
        &s.id,
        StorePatch { actions_paused: Some(true), ..Default::default() },
    )
    .await));
    denied(err(assistants::delete(&db, &viewer, &a.id).await));
    denied(err(api_keys::list_agent_keys(&db, &viewer, &s.id, None).await));
    // A Store manager at the org changes allowed actions but not agent keys.
    let manager = member_with_role(&db, &o, "Max", BuiltInRole::StoreManager, ScopeRef::Org).await;
    let manager = user_actor(&db, &o, &manager).await;
    assistants::set_allowed_actions(&db, &cache, &manager, &a.id, vec![]).await.unwrap();
    denied(err(api_keys::list_agent_keys(&db, &manager, &s.id, None).await));
});
