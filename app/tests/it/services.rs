//! Service tests for organisations, set-up, sign-in (with its throttle), API keys and the
//! audit chain, against a real database: each test runs on a fresh SQLite file and, when
//! TEST_DATABASE_URL is set, on a fresh PostgreSQL database (`<test>::sqlite`, `<test>::postgres`).

use crate::common::audit::{actions, chain_ok, events};
use crate::common::orgs::{make_org, PASSWORD};
use app::domain::permission::BuiltInRole;
use app::domain::{AppError, ErrorCode};
use app::entities::{api_key, audit_event, org, user};
use app::services::access::api_keys;
use app::services::actor::system_actor;
use app::services::audit::{self, NewEvent};
use app::services::identity::auth::{
    self, LoginInput, ACCOUNT_MAX_FAILURES, IP_MAX_FAILURES, THROTTLE_WINDOW_MINUTES, WRONG_CREDENTIALS,
};
use app::services::org::orgs::{self, NewOwner};
use app::services::org::setup::{self, SetupGate, SetupInput};
use app::services::{infra::db, ActorKind, RequestMeta};
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, Set};
use sha2::{Digest, Sha256};

// ---------------------------------------------------------------------------------------
// Helpers

fn new_owner(email: &str) -> NewOwner {
    NewOwner { email: email.to_string(), display_name: "Olive Owner".into(), password: PASSWORD.into() }
}

async fn reload_user(db: &DatabaseConnection, id: &str) -> user::Model {
    user::Entity::find_by_id(id.to_string()).one(db).await.unwrap().expect("user exists")
}

fn credentials(email: &str, password: &str) -> LoginInput {
    LoginInput { email: email.into(), password: password.into(), org_slug: None }
}

fn from_ip(ip: &str) -> RequestMeta {
    RequestMeta { ip: Some(ip.into()), request_id: None }
}

/// The error of a call that must fail.
fn failure<T: std::fmt::Debug>(result: Result<T, AppError>) -> AppError {
    result.expect_err("the call should have failed")
}

// ---------------------------------------------------------------------------------------
// Organisations

db_test!(creating_an_org_records_org_owner_and_audit_chain, |db| async move {
    let (org, owner) = orgs::create_org_with_owner(
        &db,
        "  Acme Store ",
        Some("acme-store"),
        new_owner("  Olive@Acme.Example.COM "),
        &system_actor(),
        &RequestMeta::default(),
    )
    .await
    .unwrap();
    assert_eq!(org.name, "Acme Store");
    assert_eq!(org.slug, "acme-store");
    assert_eq!(orgs::find_by_slug(&db, "acme-store").await.unwrap().map(|o| o.id), Some(org.id.clone()));

    assert_eq!(owner.org_id, org.id);
    assert_eq!(owner.email, "olive@acme.example.com", "emails are stored trimmed and lower-cased");
    assert_eq!(owner.status, user::STATUS_ACTIVE);
    let hash = owner.password_hash.as_deref().expect("owner has a password");
    assert!(hash.starts_with("$argon2id$"), "password stored as argon2id: {hash}");
    assert!(!hash.contains(PASSWORD));

    let evs = events(&db, &org.id).await;
    let created = evs.iter().find(|e| e.action == "org.created").expect("org.created event");
    assert_eq!(created.entity_id.as_deref(), Some(org.id.as_str()));
    assert_eq!(created.seq, 1, "the org's creation opens its chain");
    let user_created = evs.iter().find(|e| e.action == "user.created").expect("user.created event");
    assert_eq!(user_created.entity_id.as_deref(), Some(owner.id.as_str()));
    assert!(
        !user_created.after_json.as_deref().unwrap_or_default().contains("argon2"),
        "no password hash in the audit trail"
    );
    assert!(evs.iter().all(|e| e.actor_type == "system"));

    let report = audit::verify_org(&db, &org.id).await.unwrap();
    assert!(report.ok, "{report:?}");
    assert_eq!(report.events, evs.len() as u64);
    assert_eq!(report.first_broken, None);
});

db_test!(duplicate_slug_is_a_conflict, |db| async move {
    make_org(&db, "taken").await;
    let err = failure(
        orgs::create_org_with_owner(
            &db,
            "Another",
            Some("taken"),
            new_owner("other@example.com"),
            &system_actor(),
            &RequestMeta::default(),
        )
        .await,
    );
    assert_eq!(err.code, ErrorCode::Conflict, "{err:?}");
    assert_eq!(org::Entity::find().count(&db).await.unwrap(), 1);
    assert_eq!(user::Entity::find().filter(user::Column::Email.eq("other@example.com")).count(&db).await.unwrap(), 0);
});

db_test!(org_without_slug_gets_a_free_one_derived_from_its_name, |db| async move {
    let by = system_actor();
    let meta = RequestMeta::default();
    let (first, _) =
        orgs::create_org_with_owner(&db, "Acme Store", None, new_owner("a@example.com"), &by, &meta).await.unwrap();
    let (second, _) =
        orgs::create_org_with_owner(&db, "Acme Store", None, new_owner("b@example.com"), &by, &meta).await.unwrap();
    assert_eq!(first.slug, "acme-store");
    assert_eq!(second.slug, "acme-store-2");
});

db_test!(invalid_owner_input_lists_field_errors, |db| async move {
    let by = system_actor();
    let meta = RequestMeta::default();
    let short_password = NewOwner { password: "short".into(), ..new_owner("olive@example.com") };
    let err = failure(orgs::create_org_with_owner(&db, "Acme", None, short_password, &by, &meta).await);
    assert_eq!(err.code, ErrorCode::ValidationError);
    assert_eq!(err.field("password"), Some("Use at least 12 characters."));
    assert_eq!(err.field("email"), None);

    let bad_email = new_owner("not-an-email");
    let err = failure(orgs::create_org_with_owner(&db, "Acme", None, bad_email, &by, &meta).await);
    assert_eq!(err.code, ErrorCode::ValidationError);
    assert!(err.field("email").is_some(), "{err:?}");
    assert_eq!(err.field("password"), None);

    let everything_wrong = NewOwner { email: "a b@c".into(), display_name: "  ".into(), password: "short".into() };
    let err = failure(orgs::create_org_with_owner(&db, " ", Some("Not A Slug"), everything_wrong, &by, &meta).await);
    assert_eq!(err.code, ErrorCode::ValidationError);
    let mut fields: Vec<&str> = err.fields.iter().map(|f| f.field.as_str()).collect();
    fields.sort();
    assert_eq!(fields, ["display_name", "email", "org_name", "org_slug", "password"]);

    assert_eq!(org::Entity::find().count(&db).await.unwrap(), 0, "nothing is created from invalid input");
    assert_eq!(user::Entity::find().count(&db).await.unwrap(), 0);
});

db_test!(ensure_owner_adds_an_owner_once_per_email, |db| async move {
    let (org, _) = make_org(&db, "ensure").await;
    let by = system_actor();
    let meta = RequestMeta::default();
    let (second, created) = orgs::ensure_owner(&db, &org, new_owner("second@example.com"), &by, &meta).await.unwrap();
    assert!(created);
    let (again, created_again) =
        orgs::ensure_owner(&db, &org, new_owner("SECOND@example.com"), &by, &meta).await.unwrap();
    assert!(!created_again, "the same email (any case) is not added twice");
    assert_eq!(again.id, second.id);
    assert_eq!(user::Entity::find().filter(user::Column::OrgId.eq(org.id.as_str())).count(&db).await.unwrap(), 2);
    chain_ok(&db, &org.id).await;
});

// ---------------------------------------------------------------------------------------
// Sign-in

db_test!(login_with_right_password_signs_in_and_is_audited, |db| async move {
    let (org, owner) = make_org(&db, "login-ok").await;
    assert_eq!(owner.last_login_at, None);
    let meta = RequestMeta { ip: Some("198.51.100.4".into()), request_id: Some("req-login-ok".into()) };
    // Email is matched case-insensitively and trimmed.
    let (session, user, signed_in_org) =
        auth::login(&db, credentials(" OWNER@login-ok.example.com ", PASSWORD), &meta).await.unwrap();
    assert_eq!(session.user_id, owner.id);
    assert_eq!(session.org_id, org.id);
    assert_eq!(user.id, owner.id);
    assert_eq!(signed_in_org.id, org.id);

    let stored = reload_user(&db, &owner.id).await;
    let last_login = stored.last_login_at.expect("last_login_at is set");
    assert_eq!(last_login.timestamp(), session.login_at);

    let evs = events(&db, &org.id).await;
    let login = evs.iter().find(|e| e.action == "auth.login").expect("auth.login event");
    assert_eq!(login.actor_type, "user");
    assert_eq!(login.actor_id.as_deref(), Some(owner.id.as_str()));
    assert_eq!(login.entity_id.as_deref(), Some(owner.id.as_str()));
    assert_eq!(login.ip.as_deref(), Some("198.51.100.4"));
    assert_eq!(login.request_id.as_deref(), Some("req-login-ok"));
    assert!(!evs.iter().any(|e| e.action == "auth.login_failed"));
    chain_ok(&db, &org.id).await;
});

db_test!(login_with_wrong_password_gives_generic_message, |db| async move {
    let (org, owner) = make_org(&db, "wrong-pw").await;
    let err = failure(
        auth::login(&db, credentials("owner@wrong-pw.example.com", "not the password at all"), &from_ip("192.0.2.1"))
            .await,
    );
    assert_eq!(err.code, ErrorCode::Unauthenticated);
    assert_eq!(err.message, WRONG_CREDENTIALS);
    assert!(err.fields.is_empty(), "no hint which field was wrong: {err:?}");

    let failed = events(&db, &org.id)
        .await
        .into_iter()
        .find(|e| e.action == "auth.login_failed")
        .expect("auth.login_failed event");
    assert_eq!(failed.entity_id.as_deref(), Some(owner.id.as_str()));
    assert_eq!(failed.actor_type, "anonymous");
    assert_eq!(failed.ip.as_deref(), Some("192.0.2.1"));
    assert!(
        !failed.after_json.as_deref().unwrap_or_default().contains("not the password"),
        "the tried password is never recorded"
    );
    assert!(!actions(&db, &org.id).await.contains(&"auth.login".to_string()));
    assert_eq!(reload_user(&db, &owner.id).await.last_login_at, None);
    chain_ok(&db, &org.id).await;
});

db_test!(login_with_unknown_email_gives_the_same_message, |db| async move {
    let (org, _) = make_org(&db, "unknown").await;
    let before = events(&db, &org.id).await.len();
    let err =
        failure(auth::login(&db, credentials("nobody@unknown.example.com", PASSWORD), &RequestMeta::default()).await);
    assert_eq!(err.code, ErrorCode::Unauthenticated);
    assert_eq!(err.message, WRONG_CREDENTIALS);
    assert!(err.fields.is_empty());
    assert_eq!(events(&db, &org.id).await.len(), before, "no org's chain names an unknown email");

    let empty = failure(auth::login(&db, credentials("", ""), &RequestMeta::default()).await);
    assert_eq!(empty.code, ErrorCode::Unauthenticated);
    assert_eq!(empty.message, WRONG_CREDENTIALS);
});

db_test!(account_is_locked_after_five_failures_even_for_the_right_password, |db| async move {
    let (org, owner) = make_org(&db, "locked").await;
    let email = "owner@locked.example.com";
    for attempt in 1..=ACCOUNT_MAX_FAILURES {
        // A different IP each time: only the account's counter can be what locks.
        let err = failure(
            auth::login(&db, credentials(email, "wrong password guess"), &from_ip(&format!("192.0.2.{attempt}"))).await,
        );
        assert_eq!(err.code, ErrorCode::Unauthenticated, "attempt {attempt}: {err:?}");
    }
    let err = failure(auth::login(&db, credentials(email, PASSWORD), &from_ip("192.0.2.200")).await);
    assert_eq!(err.code, ErrorCode::RateLimited, "{err:?}");
    let retry = err.retry_after_secs.expect("retry_after_secs is set");
    assert!(retry > 0 && retry <= (THROTTLE_WINDOW_MINUTES * 60) as u64, "retry after {retry}s");
    assert!(err.message.contains("Too many failed sign-in attempts"), "{}", err.message);

    assert_eq!(reload_user(&db, &owner.id).await.last_login_at, None, "a locked account does not sign in");
    let acts = actions(&db, &org.id).await;
    assert_eq!(acts.iter().filter(|a| *a == "auth.login_failed").count(), ACCOUNT_MAX_FAILURES as usize);
    assert!(!acts.contains(&"auth.login".to_string()));
});

db_test!(failures_below_the_limit_are_forgotten_after_a_success, |db| async move {
    make_org(&db, "forgive").await;
    let email = "owner@forgive.example.com";
    let meta = RequestMeta::default();
    for _ in 1..ACCOUNT_MAX_FAILURES {
        failure(auth::login(&db, credentials(email, "wrong password guess"), &meta).await);
    }
    auth::login(&db, credentials(email, PASSWORD), &meta).await.expect("one below the limit still signs in");
    for _ in 1..ACCOUNT_MAX_FAILURES {
        let err = failure(auth::login(&db, credentials(email, "wrong password guess"), &meta).await);
        assert_eq!(err.code, ErrorCode::Unauthenticated, "the success reset the count: {err:?}");
    }
    auth::login(&db, credentials(email, PASSWORD), &meta).await.expect("still below the limit");
});

db_test!(one_ip_is_locked_after_twenty_failures_across_emails, |db| async move {
    let (_, owner) = make_org(&db, "ip-lock").await;
    let attacker = from_ip("203.0.113.66");
    for n in 1..=IP_MAX_FAILURES {
        // A new email every time, so no account reaches its own limit.
        let err =
            failure(auth::login(&db, credentials(&format!("guess{n}@ip-lock.example.com"), PASSWORD), &attacker).await);
        assert_eq!(err.code, ErrorCode::Unauthenticated, "attempt {n}: {err:?}");
    }
    let err = failure(auth::login(&db, credentials(&owner.email, PASSWORD), &attacker).await);
    assert_eq!(err.code, ErrorCode::RateLimited, "right credentials from the locked IP: {err:?}");
    assert!(err.retry_after_secs.is_some_and(|s| s > 0));

    // The account itself is not locked: from another address the owner signs in.
    auth::login(&db, credentials(&owner.email, PASSWORD), &from_ip("198.51.100.9")).await.expect("other IP signs in");
});

db_test!(session_of_a_suspended_user_is_not_accepted, |db| async move {
    let (_, owner) = make_org(&db, "suspend").await;
    let (session, _, _) = auth::login(&db, credentials(&owner.email, PASSWORD), &RequestMeta::default()).await.unwrap();
    let lifetime = chrono::Duration::hours(24);
    let found = auth::session_actor(&db, &session, lifetime, &RequestMeta::default()).await.unwrap();
    let (actor, _, _) = found.expect("active user's session is valid");
    assert_eq!(actor.kind, ActorKind::User);
    assert_eq!(actor.id, owner.id);

    let mut am: user::ActiveModel = reload_user(&db, &owner.id).await.into();
    am.status = Set(user::STATUS_SUSPENDED.to_string());
    am.update(&db).await.unwrap();
    assert!(auth::session_actor(&db, &session, lifetime, &RequestMeta::default()).await.unwrap().is_none());

    // And a suspended user cannot sign in again, with the same generic answer.
    let err = failure(auth::login(&db, credentials(&owner.email, PASSWORD), &RequestMeta::default()).await);
    assert_eq!(err.code, ErrorCode::Unauthenticated);
    assert_eq!(err.message, WRONG_CREDENTIALS);
});

// ---------------------------------------------------------------------------------------
// First-run set-up

fn setup_input(token: &str, email: &str) -> SetupInput {
    SetupInput { token: token.into(), org_name: "First Org".into(), owner: new_owner(email) }
}

db_test!(setup_with_wrong_token_is_refused_on_the_token_field, |db| async move {
    let (gate, token) = SetupGate::open(&db, Some("the-right-token".into())).await.unwrap();
    assert_eq!(token.as_deref(), Some("the-right-token"));
    assert!(setup::needs_setup(&db, &gate).await.unwrap());

    let err = failure(
        setup::complete_setup(&db, &gate, setup_input("a-wrong-token", "first@example.com"), &RequestMeta::default())
            .await,
    );
    assert_eq!(err.code, ErrorCode::ValidationError);
    assert!(err.field("token").is_some(), "{err:?}");
    assert_eq!(org::Entity::find().count(&db).await.unwrap(), 0);
    assert!(setup::needs_setup(&db, &gate).await.unwrap(), "still waiting for set-up");
});

db_test!(setup_creates_the_first_org_once, |db| async move {
    let (gate, _) = SetupGate::open(&db, Some("the-right-token".into())).await.unwrap();
    let meta = RequestMeta::default();
    let (org, owner) =
        setup::complete_setup(&db, &gate, setup_input("the-right-token", "first@example.com"), &meta).await.unwrap();
    assert_eq!(org.name, "First Org");
    assert_eq!(org.slug, "first-org");
    assert_eq!(owner.email, "first@example.com");
    assert!(!setup::needs_setup(&db, &gate).await.unwrap());
    let created = events(&db, &org.id).await.into_iter().find(|e| e.action == "org.created").unwrap();
    assert_eq!(created.actor_type, "anonymous");
    assert!(created.actor_label.contains("first@example.com"));
    chain_ok(&db, &org.id).await;

    let err =
        failure(setup::complete_setup(&db, &gate, setup_input("the-right-token", "second@example.com"), &meta).await);
    assert_eq!(err.code, ErrorCode::Conflict, "{err:?}");
    assert_eq!(org::Entity::find().count(&db).await.unwrap(), 1);

    // A server started later on this database finds nothing to set up.
    let (later, token) = SetupGate::open(&db, Some("the-right-token".into())).await.unwrap();
    assert_eq!(token, None);
    let err =
        failure(setup::complete_setup(&db, &later, setup_input("the-right-token", "third@example.com"), &meta).await);
    assert_eq!(err.code, ErrorCode::Conflict);
});

// ---------------------------------------------------------------------------------------
// API keys

db_test!(api_key_secret_is_returned_once_and_only_its_hash_stored, |db| async move {
    let (org, _) = make_org(&db, "keys").await;
    let created = api_keys::create_management_key(
        &db,
        &org,
        "CI key",
        BuiltInRole::Owner,
        &system_actor(),
        &RequestMeta::default(),
    )
    .await
    .unwrap();
    let secret = created.secret.clone();
    assert!(secret.starts_with("mdt_"), "{secret}");
    assert!(secret.len() > 30, "enough entropy: {secret}");

    let row = api_key::Entity::find_by_id(created.key.id.clone()).one(&db).await.unwrap().expect("key row");
    assert_eq!(
        row.key_hash,
        hex::encode(Sha256::digest(secret.as_bytes())),
        "the row holds the SHA-256 hex of the secret"
    );
    assert_eq!(row.key_hash, api_keys::hash_key(&secret));
    assert!(secret.starts_with(&row.prefix) && row.prefix.len() < secret.len(), "only a short prefix is kept");
    let row_text = format!("{row:?}");
    assert!(!row_text.contains(&secret), "the secret appears nowhere in the row: {row_text}");

    let event =
        events(&db, &org.id).await.into_iter().find(|e| e.action == "api_key.created").expect("api_key.created event");
    let event_text = format!("{event:?}");
    assert!(
        !event_text.contains(&secret) && !event_text.contains(&row.key_hash),
        "no secret or hash in the audit trail"
    );
});

db_test!(api_key_authenticates_and_wrong_or_revoked_keys_do_not, |db| async move {
    let (org, _) = make_org(&db, "auth-keys").await;
    let meta = RequestMeta::default();
    let created =
        api_keys::create_management_key(&db, &org, "CI key", BuiltInRole::Owner, &system_actor(), &meta).await.unwrap();

    let (actor, key) = api_keys::authenticate(&db, &Default::default(), &created.secret, &meta).await.unwrap();
    assert_eq!(key.id, created.key.id);
    assert_eq!(actor.kind, ActorKind::ApiKey);
    assert_eq!(actor.org_id, org.id);
    assert_eq!(actor.org_slug, org.slug);
    assert_eq!(actor.access.role_names(), ["Owner"]);

    let mut wrong = created.secret.clone();
    wrong.pop();
    wrong.push(if created.secret.ends_with('x') { 'y' } else { 'x' });
    for bad in [wrong.as_str(), "mdt_", "", "not-a-key", &created.secret[4..]] {
        let err = failure(api_keys::authenticate(&db, &Default::default(), bad, &meta).await);
        assert_eq!(err.code, ErrorCode::Unauthenticated, "{bad:?}: {err:?}");
    }

    let mut revoke: api_key::ActiveModel = key.into();
    revoke.revoked_at = Set(Some(db::now()));
    revoke.update(&db).await.unwrap();
    let err = failure(api_keys::authenticate(&db, &Default::default(), &created.secret, &meta).await);
    assert_eq!(err.code, ErrorCode::Unauthenticated, "a revoked key: {err:?}");
});

// ---------------------------------------------------------------------------------------
// Audit chain

db_test!(tampered_audit_event_breaks_the_chain_at_its_seq, |db| async move {
    let (org, owner) = make_org(&db, "tamper").await;
    let (other, _) = make_org(&db, "bystander").await;
    auth::login(&db, credentials(&owner.email, PASSWORD), &RequestMeta::default()).await.unwrap();
    failure(auth::login(&db, credentials(&owner.email, "wrong password guess"), &RequestMeta::default()).await);
    let evs = events(&db, &org.id).await;
    assert!(evs.len() >= 4, "{evs:?}");
    chain_ok(&db, &org.id).await;

    let victim = evs[evs.len() / 2].clone();
    let mut am: audit_event::ActiveModel = victim.clone().into();
    am.actor_label = Set("someone-else@example.com".into());
    am.update(&db).await.unwrap();

    let report = audit::verify_org(&db, &org.id).await.unwrap();
    assert!(!report.ok, "{report:?}");
    let broken = report.first_broken.expect("first_broken is named");
    assert_eq!(broken.seq, victim.seq);
    assert_eq!(broken.event_id, Some(victim.id));
    assert_eq!(broken.org_id, org.id);

    // verify_all names the broken org and leaves the other one alone.
    let all = audit::verify_all(&db).await.unwrap();
    let status = |id: &str| all.iter().find(|(o, _)| o.id == id).map(|(_, r)| r.ok);
    assert_eq!(status(&org.id), Some(false));
    assert_eq!(status(&other.id), Some(true));
});

db_test!(concurrent_appends_keep_the_chain_intact, |db| async move {
    const WRITERS: usize = 20;
    let (org, _) = make_org(&db, "busy").await;
    let before = events(&db, &org.id).await.len();

    let mut tasks = Vec::new();
    for n in 0..WRITERS {
        let db = db.clone();
        let org_id = org.id.clone();
        tasks.push(tokio::spawn(async move {
            let tx = db::begin_write(&db).await?;
            let event =
                NewEvent::new("test.concurrent", "test", Some(&n.to_string())).after(serde_json::json!({"n": n}));
            audit::append(&tx, &org_id, &system_actor(), &RequestMeta::default(), event).await?;
            tx.commit().await?;
            Ok::<(), AppError>(())
        }));
    }
    for (n, task) in tasks.into_iter().enumerate() {
        task.await.expect("writer task").unwrap_or_else(|e| panic!("writer {n} failed: {e:?}"));
    }

    let evs = events(&db, &org.id).await;
    assert_eq!(evs.len(), before + WRITERS);
    let seqs: Vec<i64> = evs.iter().map(|e| e.seq).collect();
    assert_eq!(seqs, (1..=evs.len() as i64).collect::<Vec<_>>(), "no gaps, no duplicates");
    let mut written: Vec<String> =
        evs.iter().filter(|e| e.action == "test.concurrent").filter_map(|e| e.entity_id.clone()).collect();
    written.sort_by_key(|s| s.parse::<usize>().unwrap());
    assert_eq!(written, (0..WRITERS).map(|n| n.to_string()).collect::<Vec<_>>(), "every writer's event is there once");

    let report = audit::verify_org(&db, &org.id).await.unwrap();
    assert!(report.ok, "{report:?}");
    assert_eq!(report.events, evs.len() as u64);
});
