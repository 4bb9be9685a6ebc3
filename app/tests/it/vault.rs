//! The secrets vault on SQLite and PostgreSQL: write-only views and audit events, who may
//! manage what, `{{secrets.NAME}}` filled in only when a rule's step is sent to a connector
//! (nearest place first, scrubbed from what comes back, never in runs, dry runs, action rows
//! or the audit trail, never filled in from event data), key rotation, and credentials stored
//! before the vault moved into it.

use crate::common::audit::{chain_ok, events};
use crate::common::desk::{desk, echoing_ticket};
use crate::common::orgs::make_org;
use crate::common::people::{member, member_with_role, user_actor};
use app::domain::access::ScopeRef;
use app::domain::action_settings::PermissionPatch;
use app::domain::connectors::ConnectorInput;
use app::domain::permission::BuiltInRole;
use app::domain::rules::RuleInput;
use app::domain::secrets::{connector_name, SecretInput, SecretPatch};
use app::domain::stores::NewStore;
use app::domain::ErrorCode;
use app::entities::{action, audit_event, connector, rule_run, secret, store, user};
use app::services::automation::events::{self, EventInput};
use app::services::automation::rules::{self, DryRunInput};
use app::services::automation::worker;
use app::services::gateway::actions::Gateway;
use app::services::gateway::connectors::{self, ConnectorScope};
use app::services::identity::mfa;
use app::services::infra::crypto;
use app::services::org::teams::{self, NewTeam};
use app::services::stores::policy::PolicyCache;
use app::services::{keys, stores, stores::permissions, vault, Actor};
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, Set};
use serde_json::{json, Value};
use std::sync::Arc;

const KEY: [u8; 32] = [9u8; 32];
const TOKEN: &str = "carrier-token-7f3a9c1e55";
const TEAM_TOKEN: &str = "team-carrier-token-0b2d4f";
const HOOK_SECRET: &str = "whsec-vault-0123456789abcdef";

fn input(name: &str, value: &str) -> SecretInput {
    SecretInput {
        name: name.into(),
        value: value.into(),
        description: Some("Carrier API".into()),
        ..Default::default()
    }
}

/// No trace of `values` in `text`.
fn assert_absent(what: &str, text: &str, values: &[&str]) {
    for v in values {
        assert!(!text.contains(v), "{what} holds a secret value: {text}");
    }
}

async fn audit_text(db: &DatabaseConnection, org_id: &str) -> String {
    events(db, org_id).await.iter().map(|e| format!("{:?} {:?}", e.before_json, e.after_json)).collect()
}

db_test!(secrets_are_write_only_and_audited, |db| async move {
    let (o, owner) = make_org(&db, "vault").await;
    let owner = user_actor(&db, &o, &owner).await;
    let (view, created) = vault::put(&db, &KEY, &owner, input("CARRIER_TOKEN", TOKEN)).await.unwrap();
    assert!(created);
    assert_eq!((view.name.as_str(), view.scope_type.as_str()), ("CARRIER_TOKEN", "org"));
    assert_eq!(view.scope_label, "The whole organisation");
    assert!(!view.set_by.is_empty());
    let row = secret::Entity::find_by_id(view.id.clone()).one(&db).await.unwrap().unwrap();
    assert!(row.value_enc.starts_with("v1:"));
    assert_absent("the stored row", &row.value_enc, &[TOKEN]);
    assert_eq!(crypto::decrypt(&KEY, &row.value_enc, &vault::context(&row.id)).unwrap(), TOKEN.as_bytes());

    // The same name at the same place: a new value, not a second secret.
    let (again, created) = vault::put(&db, &KEY, &owner, input("CARRIER_TOKEN", "second-value-123")).await.unwrap();
    assert!(!created && again.id == view.id);
    let changed = SecretPatch { description: Some("Carrier API (labels)".into()), value: None };
    assert_eq!(vault::update(&db, &KEY, &owner, &view.id, changed).await.unwrap().description, "Carrier API (labels)");

    // Bad input: each field named, nothing stored.
    let bad = SecretInput { name: "lower case".into(), value: String::new(), ..Default::default() };
    let e = vault::put(&db, &KEY, &owner, bad).await.unwrap_err();
    assert!(e.field("name").is_some() && e.field("value").is_some(), "{e:?}");
    let e = vault::update(&db, &KEY, &owner, &view.id, SecretPatch::default()).await.unwrap_err();
    assert_eq!(e.code, ErrorCode::ValidationError);
    assert_eq!(secret::Entity::find().count(&db).await.unwrap(), 1);

    let listed = serde_json::to_string(&vault::list(&db, &owner).await.unwrap()).unwrap();
    assert_absent("the list", &listed, &[TOKEN, "second-value-123", "v1:"]);
    vault::delete(&db, &owner, &view.id).await.unwrap();
    assert_eq!(vault::delete(&db, &owner, &view.id).await.unwrap_err().code, ErrorCode::NotFound);

    let trail = events(&db, &o.id).await;
    let kinds: Vec<&str> =
        trail.iter().filter(|e| e.entity_type == "secret").map(|e| e.action.as_str()).collect::<Vec<_>>();
    assert_eq!(kinds, ["secret.created", "secret.updated", "secret.updated", "secret.deleted"]);
    assert_absent("the audit trail", &audit_text(&db, &o.id).await, &[TOKEN, "second-value-123"]);
    chain_ok(&db, &o.id).await;
});

db_test!(who_may_manage_which_secrets, |db| async move {
    let (o, owner) = make_org(&db, "vault-who").await;
    let owner = user_actor(&db, &o, &owner).await;
    let team = teams::create(&db, &owner, NewTeam { name: "Support".into(), parent_team_id: None }).await.unwrap();
    let viewer = member_with_role(&db, &o, "Vera", BuiltInRole::Viewer, ScopeRef::Org).await;
    let viewer = user_actor(&db, &o, &viewer).await;
    let admin = member_with_role(&db, &o, "Ada", BuiltInRole::Admin, ScopeRef::Team(team.id.clone())).await;
    let admin = user_actor(&db, &o, &admin).await;

    // A Viewer keeps their own secrets but none of the org's or a team's.
    let mine = SecretInput { scope_type: Some("user".into()), ..input("MY_TOKEN", "mine-123456") };
    let (own, _) = vault::put(&db, &KEY, &viewer, mine).await.unwrap();
    assert_eq!(own.scope_type, "user");
    let e = vault::put(&db, &KEY, &viewer, input("ORG_TOKEN", "x")).await.unwrap_err();
    assert_eq!(e.code, ErrorCode::PermissionDenied);
    // An Admin of the team keeps the team's, not the org's.
    let at_team =
        SecretInput { scope_type: Some("team".into()), scope_id: Some(team.id.clone()), ..input("TEAM_TOKEN", "t") };
    let (team_secret, _) = vault::put(&db, &KEY, &admin, at_team).await.unwrap();
    assert_eq!(team_secret.scope_label, "Team Support");
    assert_eq!(
        vault::put(&db, &KEY, &admin, input("ORG_TOKEN", "x")).await.unwrap_err().code,
        ErrorCode::PermissionDenied
    );
    let (org_secret, _) = vault::put(&db, &KEY, &owner, input("ORG_TOKEN", "o")).await.unwrap();

    let names = |list: Vec<app::domain::secrets::SecretView>| list.into_iter().map(|s| s.name).collect::<Vec<_>>();
    assert_eq!(names(vault::list(&db, &viewer).await.unwrap()), ["MY_TOKEN"]);
    assert_eq!(names(vault::list(&db, &admin).await.unwrap()), ["TEAM_TOKEN"]);
    assert_eq!(names(vault::list(&db, &owner).await.unwrap()), ["ORG_TOKEN", "TEAM_TOKEN", "MY_TOKEN"]);
    assert_eq!(vault::delete(&db, &viewer, &org_secret.id).await.unwrap_err().code, ErrorCode::PermissionDenied);
    assert_eq!(vault::delete(&db, &admin, &own.id).await.unwrap_err().code, ErrorCode::PermissionDenied);
    vault::delete(&db, &viewer, &own.id).await.unwrap();
    let places: Vec<String> = vault::page(&db, &viewer).await.unwrap().places.into_iter().map(|p| p.label).collect();
    assert_eq!(places, ["Only me"]);
});

struct World {
    db: DatabaseConnection,
    cache: Arc<PolicyCache>,
    org_id: String,
    owner: Actor,
    store: store::Model,
}

impl World {
    fn gw(&self) -> Gateway<'_> {
        Gateway { db: &self.db, policy: &self.cache, secret_key: &KEY, pending_ttl: chrono::Duration::hours(24) }
    }

    async fn post(&self, payload: Value) -> String {
        let input = EventInput {
            trigger_id: "customer_message".into(),
            store_id: Some(self.store.id.clone()),
            payload,
            caused_by_action_id: None,
        };
        let answer = events::accept(&self.db, &self.owner, input, None).await.unwrap();
        let id = answer.body["event_id"].as_str().unwrap().to_string();
        worker::drain(self.gw(), "test-worker").await.unwrap();
        id
    }

    async fn run(&self, event_id: &str) -> rule_run::Model {
        rule_run::Entity::find().filter(rule_run::Column::EventId.eq(event_id)).one(&self.db).await.unwrap().unwrap()
    }
}

fn ticket_rule(description: &str) -> Value {
    json!({
        "name": "Ticket with the carrier token", "module_type": "store", "trigger_id": "customer_message",
        "actions": [{"type": "tickets.create", "parameters": {"client": {"id": "C-1"},
            "subject": "Message: {{message}}", "description": description}}]
    })
}

db_test!(a_rule_step_gets_the_secret_only_when_sent, |db| async move {
    let (o, owner) = make_org(&db, "vault-rule").await;
    let owner = user_actor(&db, &o, &owner).await;
    let cache = Arc::new(PolicyCache::new());
    let team = teams::create(&db, &owner, NewTeam { name: "EU".into(), parent_team_id: None }).await.unwrap();
    let new_store = NewStore { name: "Shop".into(), currency: "EUR".into(), ..Default::default() };
    let id = stores::create(&db, &cache, &owner, new_store).await.unwrap().id;
    let (url, seen) = desk(echoing_ticket).await;
    let hook = ConnectorInput { url, secret: Some(HOOK_SECRET.into()), timeout_ms: Some(5000), max_attempts: Some(1) };
    connectors::set(&db, &KEY, &owner, &ConnectorScope::Org, hook).await.unwrap();
    let catalog = cache.catalog(&db).await.unwrap();
    let allow = PermissionPatch { enabled: Some(true), requires_confirmation: Some(false), ..Default::default() };
    permissions::set(&db, &catalog, &owner, &id, "tickets.create", allow).await.unwrap();
    let s = store::Entity::find_by_id(id.clone()).one(&db).await.unwrap().unwrap();
    let w = World { db: db.clone(), cache: cache.clone(), org_id: o.id.clone(), owner: owner.clone(), store: s };

    // A reference to a secret not set yet: the step fails saying so; the rule saves fine.
    let rule: RuleInput = serde_json::from_value(ticket_rule("Token: {{secrets.CARRIER_TOKEN}}")).unwrap();
    let rule_id = rules::create(&db, &cache, &owner, rule).await.unwrap().id;
    let e = w.post(json!({"customer_ref": "cus-1", "message": "Where is it?", "channel": "email"})).await;
    let run = w.run(&e).await;
    assert_eq!(run.status, "failed");
    assert!(run.error.clone().unwrap_or_default().contains("CARRIER_TOKEN is not set in the vault"), "{run:?}");

    // Set at the org: sent to the connector, the echo scrubbed, nothing else holds it.
    vault::put(&db, &KEY, &owner, input("CARRIER_TOKEN", TOKEN)).await.unwrap();
    let e = w.post(json!({"customer_ref": "cus-1", "message": "Where is it?", "channel": "email"})).await;
    let run = w.run(&e).await;
    assert_eq!(run.status, "succeeded", "{run:?}");
    let sent = seen.lock().unwrap().last().cloned().unwrap();
    assert_eq!(sent["params"]["description"], format!("Token: {TOKEN}"));
    let a = action::Entity::find().filter(action::Column::RuleRunId.eq(&run.id)).one(&db).await.unwrap().unwrap();
    assert!(a.action_data.contains("{{secrets.CARRIER_TOKEN}}"), "the action keeps the reference: {}", a.action_data);
    let result = a.result.clone().unwrap_or_default();
    assert!(result.contains("\u{ab}secret CARRIER_TOKEN\u{bb}"), "the echo is scrubbed: {result}");
    assert_absent("the action row", &format!("{a:?}"), &[TOKEN]);
    assert_absent("the run", &format!("{run:?}"), &[TOKEN]);

    // The store's team's secret comes before the org's.
    let mut am: store::ActiveModel = w.store.clone().into();
    am.team_id = Set(Some(team.id.clone()));
    am.update(&db).await.unwrap();
    let at_team = SecretInput {
        scope_type: Some("team".into()),
        scope_id: Some(team.id.clone()),
        ..input("CARRIER_TOKEN", TEAM_TOKEN)
    };
    vault::put(&db, &KEY, &owner, at_team).await.unwrap();
    w.post(json!({"customer_ref": "cus-2", "message": "Hello", "channel": "email"})).await;
    let sent = seen.lock().unwrap().last().cloned().unwrap();
    assert_eq!(sent["params"]["description"], format!("Token: {TEAM_TOKEN}"));

    // Event data is never a template: a customer writing {{secrets.…}} gets no secret.
    let e = w.post(json!({"customer_ref": "cus-3", "message": "{{secrets.CARRIER_TOKEN}}", "channel": "chat"})).await;
    assert_eq!(w.run(&e).await.status, "succeeded");
    let sent = seen.lock().unwrap().last().cloned().unwrap();
    let subject = sent["params"]["subject"].as_str().unwrap().to_string();
    assert_absent("a subject made from event data", &subject, &[TOKEN, TEAM_TOKEN]);
    assert!(subject.starts_with("Message: {"), "{subject}");

    // A dry run shows the reference, never the value.
    let dry: DryRunInput = serde_json::from_value(json!({"payload": {"customer_ref": "c", "message": "m"}})).unwrap();
    let shown = serde_json::to_string(&rules::dry_run(&db, &cache, &owner, &rule_id, dry).await.unwrap()).unwrap();
    assert!(shown.contains("secrets.CARRIER_TOKEN"), "{shown}");
    assert_absent("the dry run", &shown, &[TOKEN, TEAM_TOKEN]);

    // Every read by the system is in the trail (which secret, for what), never a value.
    let used: Vec<audit_event::Model> =
        events(&db, &w.org_id).await.into_iter().filter(|e| e.action == "secret.used").collect();
    assert!(used.len() >= 4, "the connector's signing secret and the rule's secret, per send: {}", used.len());
    assert_absent("the audit trail", &audit_text(&db, &w.org_id).await, &[TOKEN, TEAM_TOKEN, HOOK_SECRET]);
    chain_ok(&db, &w.org_id).await;

    // Actions that run inside Mandate can't name secrets.
    let inside: RuleInput = serde_json::from_value(json!({
        "name": "Task with a token", "module_type": "store", "trigger_id": "customer_message",
        "actions": [{"type": "create_task", "parameters": {"title": "Call", "description": "{{secrets.CARRIER_TOKEN}}"}}]
    }))
    .unwrap();
    let e = rules::create(&db, &cache, &owner, inside).await.unwrap_err();
    assert!(e.field("actions.0.parameters").unwrap_or_default().contains("runs inside Mandate"), "{e:?}");
});

db_test!(rotating_the_key_re_encrypts_everything, |db| async move {
    let (o, owner_row) = make_org(&db, "vault-rotate").await;
    let owner = user_actor(&db, &o, &owner_row).await;
    vault::put(&db, &KEY, &owner, input("CARRIER_TOKEN", TOKEN)).await.unwrap();
    let hook = ConnectorInput {
        url: "http://127.0.0.1:9/hook".into(),
        secret: Some(HOOK_SECRET.into()),
        ..Default::default()
    };
    connectors::set(&db, &KEY, &owner, &ConnectorScope::Org, hook).await.unwrap();
    mfa::begin_enrolment(&db, &KEY, &owner).await.unwrap();
    let totp_before = user::Entity::find_by_id(owner_row.id.clone()).one(&db).await.unwrap().unwrap().mfa_secret_enc;
    let totp_plain = crypto::decrypt(&KEY, totp_before.as_ref().unwrap(), &mfa::totp_context(&owner_row.id)).unwrap();

    let new = [10u8; 32];
    // A value that does not decrypt stops the rotation with nothing changed.
    let stray = member(&db, &o, "Stray", None).await;
    let mut am: user::ActiveModel = stray.clone().into();
    am.mfa_secret_enc = Set(Some(crypto::encrypt(&[1u8; 32], b"other", &mfa::totp_context(&stray.id)).unwrap()));
    am.update(&db).await.unwrap();
    let before: Vec<String> = secret::Entity::find().all(&db).await.unwrap().into_iter().map(|s| s.value_enc).collect();
    assert!(keys::rotate_key(&db, &KEY, &new).await.is_err());
    let after: Vec<String> = secret::Entity::find().all(&db).await.unwrap().into_iter().map(|s| s.value_enc).collect();
    assert_eq!(before, after, "nothing re-encrypted");
    let mut am: user::ActiveModel = stray.into();
    am.mfa_secret_enc = Set(None);
    am.update(&db).await.unwrap();

    let done = keys::rotate_key(&db, &KEY, &new).await.unwrap();
    assert_eq!((done.secrets, done.totp_secrets), (2, 1));
    let reveal = |key: [u8; 32]| {
        let (db, org_id) = (db.clone(), o.id.clone());
        async move {
            let c =
                connector::Entity::find().filter(connector::Column::OrgId.eq(&org_id)).one(&db).await.unwrap().unwrap();
            vault::reveal_integration(&db, &key, &org_id, &connector_name(&c.id), "test").await
        }
    };
    assert_eq!(reveal(new).await.unwrap().as_deref(), Some(HOOK_SECRET));
    assert!(reveal(KEY).await.is_err(), "the old key reads nothing any more");
    let totp_after = user::Entity::find_by_id(owner_row.id.clone()).one(&db).await.unwrap().unwrap().mfa_secret_enc;
    assert_eq!(
        crypto::decrypt(&new, totp_after.as_ref().unwrap(), &mfa::totp_context(&owner_row.id)).unwrap(),
        totp_plain
    );
    assert!(events(&db, &o.id).await.iter().any(|e| e.action == "secrets.key_rotated"));
    chain_ok(&db, &o.id).await;
});

db_test!(credentials_stored_before_the_vault_move_in, |db| async move {
    let (o, owner) = make_org(&db, "vault-legacy").await;
    let owner = user_actor(&db, &o, &owner).await;
    let hook = ConnectorInput {
        url: "http://127.0.0.1:9/hook".into(),
        secret: Some(HOOK_SECRET.into()),
        ..Default::default()
    };
    connectors::set(&db, &KEY, &owner, &ConnectorScope::Org, hook).await.unwrap();
    // As an older Mandate stored it: on the connector row, bound to the connector.
    let c = connector::Entity::find().filter(connector::Column::OrgId.eq(&o.id)).one(&db).await.unwrap().unwrap();
    secret::Entity::delete_many().exec(&db).await.unwrap();
    let mut am: connector::ActiveModel = c.clone().into();
    am.secret_enc = Set(crypto::encrypt(&KEY, HOOK_SECRET.as_bytes(), &format!("connector:{}", c.id)).unwrap());
    am.update(&db).await.unwrap();

    assert_eq!(vault::adopt_legacy(&db, &KEY).await.unwrap(), 1);
    assert_eq!(vault::adopt_legacy(&db, &KEY).await.unwrap(), 0, "once");
    let c = connector::Entity::find_by_id(c.id).one(&db).await.unwrap().unwrap();
    assert!(c.secret_enc.is_empty());
    let got = vault::reveal_integration(&db, &KEY, &o.id, &connector_name(&c.id), "test").await.unwrap();
    assert_eq!(got.as_deref(), Some(HOOK_SECRET));
    let listed = vault::list(&db, &owner).await.unwrap();
    assert_eq!(listed[0].used_by.as_deref(), Some("The signing secret of the organisation's connector"));
    assert_eq!(listed[0].manage_at.as_deref(), Some("/org/connector"));
    // An integration's credential is managed on its own page.
    let e = vault::delete(&db, &owner, &listed[0].id).await.unwrap_err();
    assert_eq!(e.code, ErrorCode::Conflict);
    assert!(e.message.contains("/org/connector"));
});
