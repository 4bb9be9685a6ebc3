//! Preferences on SQLite and PostgreSQL: values inherit org → teams → person with their
//! source, the schema refuses unknown keys and wrong values by name, only those allowed
//! change them (audited), and notifications follow the inherited channels.

use crate::common::orgs::make_org;
use crate::common::people::{grant, member, user_actor};
use app::domain::access::ScopeRef;
use app::domain::permission::BuiltInRole;
use app::domain::ErrorCode;
use app::entities::{audit_event, outbox};
use app::services::org::notify::{notify, Notice};
use app::services::org::preferences;
use app::services::org::teams::{self, NewTeam};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::json;

crate::db_test!(preferences_inherit_validate_and_reach_notifications, |db| async move {
    let (o, owner_u) = make_org(&db, "prefs").await;
    let owner = user_actor(&db, &o, &owner_u).await;
    let team =
        |name: &str, parent: Option<&str>| NewTeam { name: name.into(), parent_team_id: parent.map(str::to_string) };
    let support = teams::create(&db, &owner, team("Support", None)).await.unwrap().id;
    let eu = teams::create(&db, &owner, team("Support EU", Some(&support))).await.unwrap().id;
    let ana = member(&db, &o, "Ana", Some(&eu)).await;
    grant(&db, &o, &ana, BuiltInRole::Viewer, ScopeRef::Org).await;
    let ana_actor = user_actor(&db, &o, &ana).await;

    // The org sets a date format and quota alerts by email only; Support overrides the format.
    preferences::put(
        &db,
        &owner,
        "org",
        &o.id,
        json!({"date_format": "dmy", "locale": "de-DE",
        "notifications": {"channels": {"quota_alert": ["email"]}}}),
    )
    .await
    .unwrap();
    preferences::put(&db, &owner, "team", &support, json!({"date_format": "mdy", "time_zone": "Europe/Paris"}))
        .await
        .unwrap();
    let mine = preferences::get(&db, &ana_actor, "user", &ana.id).await.unwrap();
    let get = |k: &str| mine.effective.iter().find(|e| e.key == k).unwrap().clone();
    assert_eq!(
        (get("date_format").value, get("date_format").source.name),
        (json!("mdy"), "team \u{201c}Support\u{201d}".to_string())
    );
    assert_eq!((get("locale").value, get("locale").source.name), (json!("de-DE"), "the organisation".to_string()));
    assert_eq!(get("time_zone").value, json!("Europe/Paris"));
    assert_eq!(get("notifications.quota_alert").value, json!(["email"]));
    assert_eq!(get("notifications.approval_waiting").source.entity_type, "default");
    assert!(mine.can_edit, "a person changes their own");

    // Her own choice wins over the org's.
    preferences::put(&db, &ana_actor, "user", &ana.id, json!({"date_format": "iso"})).await.unwrap();
    let mine = preferences::get(&db, &ana_actor, "user", &ana.id).await.unwrap();
    let fmt = mine.effective.iter().find(|e| e.key == "date_format").unwrap();
    assert_eq!((fmt.value.clone(), fmt.source.name.as_str()), (json!("iso"), "you"));

    // The schema names what is wrong; nothing is saved.
    let err = preferences::put(
        &db,
        &owner,
        "team",
        &eu,
        json!({"colour": "red", "date_format": "yyyy",
        "notifications": {"channels": {"quota_alert": ["pigeon"]}}}),
    )
    .await
    .unwrap_err();
    let fields: Vec<&str> = err.fields.iter().map(|f| f.field.as_str()).collect();
    assert!(fields.contains(&"colour"), "{fields:?}");
    assert!(fields.contains(&"date_format"), "{fields:?}");
    assert!(fields.contains(&"notifications.channels.quota_alert.0"), "{fields:?}");
    assert!(err.fields.iter().any(|f| f.message.contains("no setting called")), "{err:?}");
    let err = preferences::put(&db, &owner, "org", &o.id, json!({"time_zone": "Europe/Paris"})).await.unwrap_err();
    assert_eq!(err.fields[0].field, "time_zone", "the org's time zone is its profile's");
    let err = preferences::put(&db, &owner, "team", &eu, json!({"time_zone": "Moon/Base"})).await.unwrap_err();
    assert_eq!(err.fields[0].field, "time_zone");
    let err = preferences::put(&db, &owner, "team", &eu, json!({"default_store_id": "not-a-store"})).await.unwrap_err();
    assert_eq!(err.fields[0].field, "default_store_id");
    let err = preferences::put(
        &db,
        &ana_actor,
        "user",
        &ana.id,
        json!({"notifications": {"channels": {"quota_alert": ["sms"]}}}),
    )
    .await
    .unwrap_err();
    assert_eq!(err.fields[0].field, "notifications.sms_number");

    // Who may: a Viewer reads the org's but cannot change them, nor another person's.
    assert!(!preferences::get(&db, &ana_actor, "org", &o.id).await.unwrap().can_edit);
    let denied = preferences::put(&db, &ana_actor, "org", &o.id, json!({})).await.unwrap_err();
    assert_eq!(denied.code, ErrorCode::PermissionDenied);
    let denied = preferences::get(&db, &ana_actor, "user", &owner_u.id).await.unwrap_err();
    assert_eq!(denied.code, ErrorCode::PermissionDenied);
    let (other, _) = make_org(&db, "prefs-other").await;
    assert_eq!(preferences::get(&db, &owner, "org", &other.id).await.unwrap_err().code, ErrorCode::NotFound);
    let changes = audit_event::Entity::find()
        .filter(audit_event::Column::Action.eq("preferences.updated"))
        .count(&db)
        .await
        .unwrap();
    assert_eq!(changes, 3, "each saved change is audited");

    // A quota alert reaches Ana by email only (the org's choice), not in the app.
    let mails_before = outbox::Entity::find().count(&db).await.unwrap();
    let notice =
        Notice { kind: "quota_alert", title: "80% used", body: "b", severity: "warning", link: None, action_id: None };
    notify(&db, &ana, &notice).await.unwrap();
    assert_eq!(outbox::Entity::find().count(&db).await.unwrap(), mails_before + 1);
    let in_app = app::entities::notification::Entity::find()
        .filter(app::entities::notification::Column::UserId.eq(&ana.id))
        .count(&db)
        .await
        .unwrap();
    assert_eq!(in_app, 0);
});
