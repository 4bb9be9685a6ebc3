//! Configuration export and import on SQLite and PostgreSQL: the round trip into an empty
//! org gives the same document, a dry run and a refused import change nothing (document and
//! audit trail), the diff lists what is added, changed and removed in words, and an export
//! never holds secret material.

use crate::common::audit::{actions, last_seq};
use crate::common::orgs::make_org;
use crate::common::people::{member, user_actor};
use app::domain::action_settings::{LimitInput, PermissionPatch};
use app::domain::assistants::NewAssistant;
use app::domain::config::{parse_document, ChangeKind, ConfigDocument};
use app::domain::rules::RuleInput;
use app::domain::spend::QuotaInput;
use app::domain::stores::NewStore;
use app::domain::ErrorCode;
use app::services::access::roles::{self, NewRole};
use app::services::automation::rules;
use app::services::config;
use app::services::org::preferences;
use app::services::org::settings::{self, OrgSettingsPatch};
use app::services::org::teams::{self, NewTeam};
use app::services::spend;
use app::services::stores::{self, assistants, permissions, policy::PolicyCache};
use app::services::Actor;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use serde_json::json;

/// An org with something of every kind: teams, a role, defaults, a store with settings,
/// limits and an assistant, a rule, quotas and preferences.
async fn furnish(db: &DatabaseConnection, cache: &PolicyCache, owner: &Actor, org: &app::entities::org::Model) {
    let catalog = cache.catalog(db).await.unwrap();
    let patch = OrgSettingsPatch {
        time_zone: Some("Europe/Berlin".into()),
        address: Some("1 Main St".into()),
        ..Default::default()
    };
    settings::update(db, owner, patch).await.unwrap();
    let support = teams::create(db, owner, NewTeam { name: "Support".into(), parent_team_id: None }).await.unwrap();
    let tier1 = teams::create(db, owner, NewTeam { name: "Tier 1".into(), parent_team_id: Some(support.id.clone()) })
        .await
        .unwrap();
    roles::create(
        db,
        owner,
        NewRole { name: "Refunder".into(), description: "Refunds".into(), permissions: vec!["actions.approve".into()] },
    )
    .await
    .unwrap();
    permissions::set_org_default(
        db,
        &catalog,
        owner,
        "apply_discount",
        PermissionPatch { enabled: Some(true), ..Default::default() },
    )
    .await
    .unwrap();
    let store = stores::create(
        db,
        cache,
        owner,
        NewStore {
            name: "Main shop".into(),
            currency: "EUR".into(),
            platform: Some("sandbox".into()),
            team_id: Some(tier1.id.clone()),
            default_allowed_actions: None,
        },
    )
    .await
    .unwrap();
    permissions::set(
        db,
        &catalog,
        owner,
        &store.id,
        "process_refund",
        PermissionPatch { enabled: Some(true), requires_confirmation: Some(false), confirmation_by: None },
    )
    .await
    .unwrap();
    let limit = |scope: &str, id: &str, kind: &str, value: &str| LimitInput {
        scope_type: Some(scope.into()),
        scope_id: Some(id.into()),
        action_type: "process_refund".into(),
        limit_type: kind.into(),
        limit_value: value.into(),
        time_window_hours: (kind == "max_count").then(|| "24".into()),
        ..Default::default()
    };
    permissions::upsert_limit(db, &catalog, owner, limit("store", &store.id, "max_amount", "50")).await.unwrap();
    permissions::upsert_limit(db, &catalog, owner, limit("org", &org.id, "max_count", "20")).await.unwrap();
    let bot = assistants::create(
        db,
        cache,
        owner,
        NewAssistant {
            store_id: store.id.clone(),
            name: "Helper".into(),
            description: Some("Answers".into()),
            allowed_actions: Some(vec!["lookup_order".into(), "process_refund".into()]),
        },
    )
    .await
    .unwrap();
    permissions::upsert_limit(db, &catalog, owner, limit("assistant", &bot.id, "max_amount", "20")).await.unwrap();
    let rule: RuleInput = serde_json::from_value(json!({
        "name": "Echo", "module_type": "store", "trigger_id": "customer_message", "store_id": store.id,
        "actions": [{"type": "create_task", "parameters": {"title": "Answer: {{message}}"}}]
    }))
    .unwrap();
    rules::create(db, cache, owner, rule).await.unwrap();
    let quota: QuotaInput = serde_json::from_value(json!({
        "name": "Support cap", "entity_type": "team", "entity_id": support.id, "metric": "amount", "limit": "100.5",
        "currency": "EUR", "period": "month", "alert_thresholds": [80, 50]
    }))
    .unwrap();
    spend::create(db, owner, quota).await.unwrap();
    let quota: QuotaInput = serde_json::from_value(json!({
        "name": "Helper calls", "entity_type": "assistant", "entity_id": bot.id, "metric": "count", "limit": 30,
        "period": "day", "enforce": true
    }))
    .unwrap();
    spend::create(db, owner, quota).await.unwrap();
    preferences::put(db, owner, "org", &org.id, json!({"date_format": "dmy", "default_store_id": store.id}))
        .await
        .unwrap();
    preferences::put(
        db,
        owner,
        "team",
        &support.id,
        json!({"notifications": {"channels": {"quota_alert": ["email"]}}}),
    )
    .await
    .unwrap();
    preferences::put(
        db,
        owner,
        "user",
        &owner.id,
        json!({"notifications": {"channels": {"approval_waiting": ["email"]}, "sms_number": "+49 151 2345 6789"}}),
    )
    .await
    .unwrap();
}

async fn exported(db: &DatabaseConnection, actor: &Actor) -> String {
    config::export(db, actor).await.unwrap().to_pretty_json()
}

crate::db_test!(config_round_trip_into_an_empty_org_gives_the_same_document, |db| async move {
    let cache = PolicyCache::new();
    let (o, owner_u) = make_org(&db, "cfg-a").await;
    let owner = user_actor(&db, &o, &owner_u).await;
    furnish(&db, &cache, &owner, &o).await;
    let text = exported(&db, &owner).await;
    // Exported twice: byte-identical; no ids, no timestamps.
    assert_eq!(text, exported(&db, &owner).await);
    assert!(!text.contains(&o.id) && !text.contains("created_at"), "{text}");
    assert!(text.contains("\"default_store\": \"Main shop\""), "{text}");
    assert!(!text.contains("+49 151"), "a person's mobile number is not configuration");

    // Into an empty org (the same Owner's email, so the person's preferences come along).
    let (o2, _) = make_org(&db, "cfg-b").await;
    let owner2_u = app::entities::user::Entity::find()
        .filter(app::entities::user::Column::OrgId.eq(o2.id.as_str()))
        .one(&db)
        .await
        .unwrap()
        .unwrap();
    let owner2 = user_actor(&db, &o2, &owner2_u).await;
    // The people differ between the orgs: rename the person in the file to the new Owner.
    let doc = parse_document(&text.replace("owner@cfg-a.example.com", "owner@cfg-b.example.com")).unwrap();
    let out = config::import(&db, &cache, &owner2, doc, false).await.unwrap();
    assert!(out.applied && out.diff.warnings.is_empty(), "{:?}", out.diff);
    let again = exported(&db, &owner2).await;
    let mut want: ConfigDocument = parse_document(&text).unwrap();
    want.people_preferences[0].email = "owner@cfg-b.example.com".into();
    assert_eq!(again, want.to_pretty_json());
    assert!(actions(&db, &o2.id).await.contains(&"config.imported".to_string()));
    crate::common::audit::chain_ok(&db, &o2.id).await;

    // Importing the same file again changes nothing and records nothing.
    let seq = last_seq(&db, &o2.id).await;
    let out = config::import(&db, &cache, &owner2, parse_document(&again).unwrap(), false).await.unwrap();
    assert!(out.diff.is_empty() && !out.applied, "{:?}", out.diff);
    assert_eq!(last_seq(&db, &o2.id).await, seq);
});

crate::db_test!(config_dry_run_and_refused_import_change_nothing, |db| async move {
    let cache = PolicyCache::new();
    let (o, owner_u) = make_org(&db, "cfg-dry").await;
    let owner = user_actor(&db, &o, &owner_u).await;
    furnish(&db, &cache, &owner, &o).await;
    let before = exported(&db, &owner).await;
    let seq = last_seq(&db, &o.id).await;

    // Dry run: the limit back to 80, a store removed... nothing is saved.
    let mut doc = parse_document(&before).unwrap();
    doc.stores[0].limits[0].limit_value = "80".into();
    doc.roles.clear();
    doc.teams.push(app::domain::config::TeamDoc { path: vec!["Sales".into()], preferences: json!({}) });
    let out = config::import(&db, &cache, &owner, doc.clone(), true).await.unwrap();
    assert!(out.dry_run && !out.applied);
    assert_eq!((out.diff.added, out.diff.changed, out.diff.removed), (1, 1, 1), "{:?}", out.diff);
    let kinds: Vec<(ChangeKind, &str)> = out.diff.objects.iter().map(|o| (o.kind, o.object.as_str())).collect();
    assert!(kinds.contains(&(ChangeKind::Added, "Team \u{201c}Sales\u{201d}")), "{kinds:?}");
    assert!(kinds.contains(&(ChangeKind::Removed, "Role \u{201c}Refunder\u{201d}")), "{kinds:?}");
    let store = out.diff.objects.iter().find(|o| o.object_type == "store").unwrap();
    assert_eq!(
        store.fields[0].sentence(),
        "Refund a payment: largest amount per action (refused above it) changes from 50.00 EUR to 80.00 EUR"
    );
    assert_eq!(exported(&db, &owner).await, before);
    assert_eq!(last_seq(&db, &o.id).await, seq);

    // A bad limit deep in the file: refused, naming where, after earlier parts were applied
    // inside the transaction; nothing stays.
    let mut bad = doc.clone();
    bad.stores[0].assistants[0].limits[0].limit_value = "-5x".into();
    let e = config::import(&db, &cache, &owner, bad, false).await.unwrap_err();
    assert_eq!(e.code, ErrorCode::ValidationError);
    assert_eq!(e.fields[0].field, "stores[0].assistants[0].limits[0].limit_value", "{e:?}");
    assert!(e.message.contains("Assistant \u{201c}Helper\u{201d}"), "{e:?}");
    assert_eq!(exported(&db, &owner).await, before);
    assert_eq!(last_seq(&db, &o.id).await, seq);

    // Applied for real: the change is there, one summary event and the services' own events.
    config::import(&db, &cache, &owner, doc, false).await.unwrap();
    let after = config::export(&db, &owner).await.unwrap();
    assert_eq!(after.stores[0].limits[0].limit_value, "80");
    assert!(after.roles.is_empty() && after.teams.iter().any(|t| t.path == vec!["Sales".to_string()]));
    let recorded = actions(&db, &o.id).await;
    for a in ["config.imported", "limit.updated", "role.deleted", "team.created"] {
        assert!(recorded.contains(&a.to_string()), "{a} missing: {recorded:?}");
    }
});

crate::db_test!(config_import_refuses_unknown_people_quietly_and_needs_org_manage, |db| async move {
    let cache = PolicyCache::new();
    let (o, owner_u) = make_org(&db, "cfg-perm").await;
    let owner = user_actor(&db, &o, &owner_u).await;
    let text = exported(&db, &owner).await;
    let mut doc = parse_document(&text).unwrap();
    doc.people_preferences.push(app::domain::config::PersonPrefsDoc {
        email: "ghost@example.com".into(),
        preferences: json!({"date_format": "mdy"}),
    });
    let out = config::import(&db, &cache, &owner, doc.clone(), true).await.unwrap();
    assert!(out.diff.is_empty());
    assert_eq!(out.diff.warnings.len(), 1, "{:?}", out.diff.warnings);
    // An Admin (no org.manage) can neither export nor import.
    let admin = member(&db, &o, "Ada", None).await;
    crate::common::people::grant(
        &db,
        &o,
        &admin,
        app::domain::permission::BuiltInRole::Admin,
        app::domain::access::ScopeRef::Org,
    )
    .await;
    let admin = user_actor(&db, &o, &admin).await;
    assert_eq!(config::export(&db, &admin).await.unwrap_err().code, ErrorCode::PermissionDenied);
    assert_eq!(config::import(&db, &cache, &admin, doc, true).await.unwrap_err().code, ErrorCode::PermissionDenied);
});

crate::db_test!(config_export_never_holds_secret_material, |db| async move {
    use app::domain::connectors::ConnectorInput;
    use app::domain::notify::SmsProviderInput;
    use app::domain::sso::SsoConfigInput;
    use app::services::access::api_keys;
    use app::services::gateway::connectors::{self, ConnectorScope};
    use app::services::identity::sso;
    use app::services::org::notify;
    const KEY: [u8; 32] = [7; 32];
    let cache = PolicyCache::new();
    let (o, owner_u) = make_org(&db, "cfg-sec").await;
    let owner = user_actor(&db, &o, &owner_u).await;
    furnish(&db, &cache, &owner, &o).await;
    let sms = "sms-token-SECRET-4242";
    notify::sms_provider_set(
        &db,
        &KEY,
        &owner,
        SmsProviderInput {
            url: "https://sms.example.com/Messages.json".into(),
            account_sid: "AC123".into(),
            from_number: "+15005550006".into(),
            auth_token: Some(sms.into()),
        },
    )
    .await
    .unwrap();
    let hook = "connector-secret-SECRET-4242";
    connectors::set(
        &db,
        &KEY,
        &owner,
        &ConnectorScope::Org,
        ConnectorInput {
            url: "https://hooks.example.com/mandate".into(),
            secret: Some(hook.into()),
            timeout_ms: None,
            max_attempts: None,
        },
    )
    .await
    .unwrap();
    let sso_secret = "sso-client-secret-SECRET-4242";
    sso::set(
        &db,
        &KEY,
        &owner,
        "http://127.0.0.1:9",
        SsoConfigInput {
            display_name: "Okta".into(),
            issuer_url: "https://idp.example.com".into(),
            client_id: "mandate".into(),
            client_secret: Some(sso_secret.into()),
            allowed_domains: vec!["example.com".into()],
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let key = api_keys::create_management_key(
        &db,
        &o,
        "ci",
        app::domain::permission::BuiltInRole::Admin,
        &app::services::actor::system_actor(),
        &crate::common::people::meta(),
    )
    .await
    .unwrap();
    let vaulted = "vault-value-SECRET-4242";
    app::services::vault::put(
        &db,
        &KEY,
        &owner,
        app::domain::secrets::SecretInput {
            scope_type: None,
            scope_id: None,
            name: "CARRIER_TOKEN".into(),
            description: Some("carrier".into()),
            value: vaulted.into(),
        },
    )
    .await
    .unwrap();
    let text = exported(&db, &owner).await;
    assert!(!text.contains("CARRIER_TOKEN"), "no secret names either");
    for secret in
        [sms, hook, sso_secret, vaulted, key.secret.as_str(), "SECRET", "AC123", "hooks.example.com", "idp.example.com"]
    {
        assert!(!text.contains(secret), "{secret} leaked into the export");
    }
    assert!(!text.contains("password") && !text.contains("\"ci\""), "{text}");
});
