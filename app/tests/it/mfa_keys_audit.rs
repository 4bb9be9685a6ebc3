//! Service tests for two-step sign-in (MFA), API keys with a role at a scope, org settings
//! and the change log, on a fresh SQLite database and (with TEST_DATABASE_URL) PostgreSQL.

use crate::common::audit::events;
use crate::common::orgs::{make_org, PASSWORD};
use crate::common::people::{self, meta, session_actor};
use app::domain::access::ScopeRef;
use app::domain::changes::{EventFilter, EventQuery};
use app::domain::permission::BuiltInRole;
use app::domain::{totp, AppError, ErrorCode};
use app::entities::{api_key, audit_event, org, recovery_code, role, user};
use app::services::actor::system_actor;
use app::services::audit::{self, log::EventPaging};
use app::services::identity::auth::{self, LoginInput, LoginStep, MfaPending};
use app::services::org::settings::{self, OrgSettingsPatch};
use app::services::{
    access, access::api_keys, access::roles, identity::mfa, identity::passwords, infra::db, org::teams,
};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};

const KEY: [u8; 32] = [42u8; 32];

/// An active user with a password and `role` at `scope`.
async fn add_user(
    db: &DatabaseConnection,
    org: &org::Model,
    email: &str,
    role: BuiltInRole,
    scope: ScopeRef,
) -> user::Model {
    let hash = passwords::hash_password(PASSWORD.into()).await.unwrap();
    people::person(db, org, email, &format!("{} person", role.name()), Some(hash), role, scope).await
}

async fn fresh_user(db: &DatabaseConnection, u: &user::Model) -> user::Model {
    user::Entity::find_by_id(u.id.clone()).one(db).await.unwrap().unwrap()
}

fn login_input(email: &str) -> LoginInput {
    LoginInput { email: email.into(), password: PASSWORD.into(), org_slug: None }
}

async fn password_step(db: &DatabaseConnection, email: &str) -> MfaPending {
    match auth::login_step(db, login_input(email), &meta()).await.unwrap() {
        LoginStep::MfaRequired(p) => p,
        LoginStep::Done(..) => panic!("signed in without the second step"),
    }
}

fn now_step() -> i64 {
    totp::step_at(db::now().timestamp())
}

/// A 6-digit code that is not valid anywhere near now.
fn wrong_code(secret: &[u8]) -> String {
    let s = now_step();
    let near: Vec<String> = (s - 3..=s + 3).map(|st| totp::code_for_step(secret, st, 6)).collect();
    (100000..200000).map(|n: u32| n.to_string()).find(|c| !near.contains(c)).unwrap()
}

/// Enrols and confirms MFA for `u`; returns the raw secret and the recovery codes.
async fn enable_mfa(db: &DatabaseConnection, u: &user::Model) -> (Vec<u8>, Vec<String>) {
    let actor = session_actor(db, u).await;
    let enrolment = mfa::begin_enrolment(db, &KEY, &actor).await.unwrap();
    let secret = totp::base32_decode(&enrolment.secret).unwrap();
    let codes = mfa::confirm_enrolment(db, &KEY, &actor, &totp::code_at(&secret, db::now().timestamp())).await.unwrap();
    (secret, codes)
}

fn event_text(e: &audit_event::Model) -> String {
    format!("{} {} {}", e.action, e.before_json.clone().unwrap_or_default(), e.after_json.clone().unwrap_or_default())
}

fn assert_code(result: Result<impl std::fmt::Debug, AppError>, code: ErrorCode) -> AppError {
    match result {
        Err(e) if e.code == code => e,
        other => panic!("expected {code:?}, got {other:?}"),
    }
}

// ---------------------------------------------------------------------------------------
// MFA

db_test!(mfa_enrolment_then_login_needs_the_code_and_recovery_codes_work_once, |db| async move {
    let (o, owner) = make_org(&db, "acme").await;
    let actor = session_actor(&db, &owner).await;
    let status = mfa::status(&db, &actor).await.unwrap();
    assert!(!status.enabled && !status.enrolment_pending);

    let enrolment = mfa::begin_enrolment(&db, &KEY, &actor).await.unwrap();
    assert!(enrolment.otpauth_uri.starts_with("otpauth://totp/Mandate:owner%40acme.example.com"));
    assert!(enrolment.qr_svg.starts_with("<svg") && enrolment.qr_svg.ends_with("</svg>"));
    assert!(
        !enrolment.qr_svg.contains("style") && !enrolment.qr_svg.contains("script"),
        "the CSP allows no inline style or script"
    );
    let secret = totp::base32_decode(&enrolment.secret).unwrap();
    assert_eq!(secret.len(), 20);
    // Stored encrypted, and not yet in force.
    let stored = fresh_user(&db, &owner).await;
    let enc = stored.mfa_secret_enc.clone().unwrap();
    assert!(enc.starts_with("v1:") && !enc.contains(&totp::base32_encode(&secret)));
    assert!(!stored.mfa_enabled);
    assert!(mfa::status(&db, &actor).await.unwrap().enrolment_pending);
    assert!(matches!(auth::login_step(&db, login_input(&owner.email), &meta()).await.unwrap(), LoginStep::Done(..)));

    // A wrong code does not confirm; the current one does and yields 10 recovery codes.
    let e =
        assert_code(mfa::confirm_enrolment(&db, &KEY, &actor, &wrong_code(&secret)).await, ErrorCode::ValidationError);
    assert!(e.field("code").is_some());
    let confirm_step = now_step();
    let codes =
        mfa::confirm_enrolment(&db, &KEY, &actor, &totp::code_for_step(&secret, confirm_step, 6)).await.unwrap();
    assert_eq!(codes.len(), 10);
    let status = mfa::status(&db, &actor).await.unwrap();
    assert!(status.enabled && status.recovery_codes_left == 10);
    let stored_codes = recovery_code::Entity::find()
        .filter(recovery_code::Column::UserId.eq(owner.id.as_str()))
        .all(&db)
        .await
        .unwrap();
    assert_eq!(stored_codes.len(), 10);
    assert!(stored_codes.iter().all(|rc| rc.code_hash.len() == 64 && !codes.contains(&rc.code_hash)));

    // The password alone no longer signs in.
    let pending = password_step(&db, &owner.email).await;
    assert_eq!(pending.user_id, owner.id);
    assert!(pending.expires_at > db::now().timestamp());
    assert_code(auth::login(&db, login_input(&owner.email), &meta()).await, ErrorCode::Unauthenticated);
    // The code that confirmed enrolment cannot be replayed; the next step's code works.
    let replay = totp::code_for_step(&secret, confirm_step, 6);
    assert_code(mfa::complete_login(&db, &KEY, &pending, &replay, &meta()).await, ErrorCode::ValidationError);
    let next = totp::code_for_step(&secret, confirm_step + 1, 6);
    let (session, u, _) = mfa::complete_login(&db, &KEY, &pending, &next, &meta()).await.unwrap();
    assert_eq!(session.user_id, owner.id);
    assert!(u.last_login_at.is_some());
    // …and only once.
    let pending = password_step(&db, &owner.email).await;
    assert_code(mfa::complete_login(&db, &KEY, &pending, &next, &meta()).await, ErrorCode::ValidationError);

    // A recovery code works once, typed in any case and spacing.
    let typed = codes[3].to_uppercase().replace('-', " ");
    mfa::complete_login(&db, &KEY, &pending, &typed, &meta()).await.unwrap();
    let pending = password_step(&db, &owner.email).await;
    assert_code(mfa::complete_login(&db, &KEY, &pending, &codes[3], &meta()).await, ErrorCode::ValidationError);
    mfa::complete_login(&db, &KEY, &pending, &codes[4], &meta()).await.unwrap();
    assert_eq!(mfa::status(&db, &actor).await.unwrap().recovery_codes_left, 8);

    // The trail says what happened and never holds the secret or a code.
    let evs = events(&db, &o.id).await;
    let actions: Vec<&str> = evs.iter().map(|e| e.action.as_str()).collect();
    for wanted in ["mfa.enrolment_started", "mfa.enabled", "mfa.recovery_code_used", "auth.mfa_failed"] {
        assert!(actions.contains(&wanted), "{wanted} missing from {actions:?}");
    }
    assert!(evs
        .iter()
        .any(|e| e.action == "auth.login" && e.after_json.as_deref() == Some(r#"{"method":"password","mfa":"totp"}"#)));
    assert!(evs.iter().any(|e| e.action == "auth.login"
        && e.after_json.as_deref() == Some(r#"{"method":"password","mfa":"recovery_code"}"#)));
    let b32 = totp::base32_encode(&secret);
    for e in &evs {
        let text = event_text(e);
        assert!(!text.contains(&b32) && !text.contains(&enc), "secret in {text}");
        assert!(codes.iter().all(|c| !text.contains(c.as_str())), "recovery code in {text}");
    }
    assert!(audit::verify_org(&db, &o.id).await.unwrap().ok);
});

db_test!(wrong_mfa_codes_are_throttled_like_wrong_passwords, |db| async move {
    let (o, owner) = make_org(&db, "throttle").await;
    let (secret, _) = enable_mfa(&db, &owner).await;
    let pending = password_step(&db, &owner.email).await;
    for _ in 0..auth::ACCOUNT_MAX_FAILURES {
        let e = assert_code(
            mfa::complete_login(&db, &KEY, &pending, &wrong_code(&secret), &meta()).await,
            ErrorCode::ValidationError,
        );
        assert!(e.field("code").is_some());
    }
    // Locked now: even the right code (and the right password) waits.
    let right = totp::code_for_step(&secret, now_step() + 1, 6);
    let e = assert_code(mfa::complete_login(&db, &KEY, &pending, &right, &meta()).await, ErrorCode::RateLimited);
    assert!(e.retry_after_secs.is_some());
    assert_code(auth::login_step(&db, login_input(&owner.email), &meta()).await, ErrorCode::RateLimited);
    let failed = events(&db, &o.id).await.iter().filter(|e| e.action == "auth.mfa_failed").count();
    assert_eq!(failed, auth::ACCOUNT_MAX_FAILURES as usize);
});

db_test!(an_expired_or_forged_pending_step_is_refused, |db| async move {
    let (_, owner) = make_org(&db, "expiry").await;
    let (secret, _) = enable_mfa(&db, &owner).await;
    let mut pending = password_step(&db, &owner.email).await;
    pending.expires_at = db::now().timestamp() - 1;
    let code = totp::code_for_step(&secret, now_step() + 1, 6);
    assert_code(mfa::complete_login(&db, &KEY, &pending, &code, &meta()).await, ErrorCode::Unauthenticated);
    // A pending step naming a user of another org than its own is refused too.
    let (other_org, _) = make_org(&db, "other").await;
    let forged = MfaPending { org_id: other_org.id, ..password_step(&db, &owner.email).await };
    assert_code(mfa::complete_login(&db, &KEY, &forged, &code, &meta()).await, ErrorCode::Unauthenticated);
});

db_test!(disabling_mfa_needs_a_code_or_the_password, |db| async move {
    let (o, owner) = make_org(&db, "disable").await;
    let (secret, _) = enable_mfa(&db, &owner).await;
    let actor = session_actor(&db, &owner).await;
    let e = assert_code(mfa::disable(&db, &KEY, &actor, "not my password").await, ErrorCode::ValidationError);
    assert!(e.field("credential").is_some());
    assert_code(mfa::disable(&db, &KEY, &actor, &wrong_code(&secret)).await, ErrorCode::ValidationError);
    assert!(fresh_user(&db, &owner).await.mfa_enabled);
    mfa::disable(&db, &KEY, &actor, PASSWORD).await.unwrap();
    let u = fresh_user(&db, &owner).await;
    assert!(!u.mfa_enabled && u.mfa_secret_enc.is_none());
    assert_eq!(
        recovery_code::Entity::find()
            .filter(recovery_code::Column::UserId.eq(owner.id.as_str()))
            .all(&db)
            .await
            .unwrap()
            .len(),
        0
    );
    assert!(matches!(auth::login_step(&db, login_input(&owner.email), &meta()).await.unwrap(), LoginStep::Done(..)));
    assert_code(mfa::disable(&db, &KEY, &actor, PASSWORD).await, ErrorCode::Conflict);
    let disabled =
        events(&db, &o.id).await.into_iter().find(|e| e.action == "mfa.disabled").expect("mfa.disabled event");
    assert!(disabled.after_json.unwrap().contains(r#""confirmed_with":"password""#));

    // With a code from the app, after enrolling again.
    let (secret, _) = enable_mfa(&db, &owner).await;
    mfa::disable(&db, &KEY, &actor, &totp::code_for_step(&secret, now_step() + 1, 6)).await.unwrap();
    assert!(!fresh_user(&db, &owner).await.mfa_enabled);
});

db_test!(api_keys_cannot_manage_a_persons_mfa, |db| async move {
    let (o, _) = make_org(&db, "keys-mfa").await;
    let created =
        api_keys::create_management_key(&db, &o, "k", BuiltInRole::Owner, &system_actor(), &meta()).await.unwrap();
    let (actor, _) = api_keys::authenticate(&db, &Default::default(), &created.secret, &meta()).await.unwrap();
    assert_code(mfa::begin_enrolment(&db, &KEY, &actor).await, ErrorCode::PermissionDenied);
    assert_code(mfa::status(&db, &actor).await, ErrorCode::PermissionDenied);
});

db_test!(org_requiring_mfa_blocks_members_without_it, |db| async move {
    let (o, owner) = make_org(&db, "policy").await;
    let owner_actor = session_actor(&db, &owner).await;
    let viewer = add_user(&db, &o, "viewer@policy.example.com", BuiltInRole::Viewer, ScopeRef::Org).await;
    let admin = add_user(&db, &o, "admin@policy.example.com", BuiltInRole::Admin, ScopeRef::Org).await;

    // Only org.manage may change it, and only once the person uses MFA themselves.
    let admin_actor = session_actor(&db, &admin).await;
    assert_code(
        settings::update(
            &db,
            &admin_actor,
            OrgSettingsPatch { name: None, require_mfa: Some(true), ..Default::default() },
        )
        .await,
        ErrorCode::PermissionDenied,
    );
    // Reading the settings and profile is for anyone in the org (their time zone is theirs too).
    assert!(settings::get(&db, &admin_actor).await.is_ok());
    let e = assert_code(
        settings::update(
            &db,
            &owner_actor,
            OrgSettingsPatch { name: None, require_mfa: Some(true), ..Default::default() },
        )
        .await,
        ErrorCode::ValidationError,
    );
    assert!(e.field("require_mfa").is_some());
    enable_mfa(&db, &owner).await;
    let settings = settings::update(
        &db,
        &owner_actor,
        OrgSettingsPatch { name: Some("Policy Inc".into()), require_mfa: Some(true), ..Default::default() },
    )
    .await
    .unwrap();
    assert!(settings.require_mfa);
    assert_eq!(settings.name, "Policy Inc");
    assert_eq!(settings.members_without_mfa, 2);
    let updated = events(&db, &o.id).await.into_iter().rev().find(|e| e.action == "org.updated").unwrap();
    assert!(updated.before_json.unwrap().contains(r#""require_mfa":false"#));
    assert!(updated.after_json.unwrap().contains(r#""require_mfa":true"#));

    // The viewer without MFA is refused (told where to enrol) until they set it up.
    let o = org::Entity::find_by_id(o.id.clone()).one(&db).await.unwrap().unwrap();
    let e = assert_code(mfa::check_policy(&fresh_user(&db, &viewer).await, &o), ErrorCode::PermissionDenied);
    assert!(e.message.contains(mfa::ENROL_PATH));
    mfa::check_policy(&fresh_user(&db, &owner).await, &o).unwrap();
    // Enrolment itself stays open to them.
    let viewer_actor = session_actor(&db, &viewer).await;
    assert!(mfa::status(&db, &viewer_actor).await.unwrap().org_requires);
    enable_mfa(&db, &viewer).await;
    mfa::check_policy(&fresh_user(&db, &viewer).await, &o).unwrap();

    // Turning it off again is recorded; no change, no event.
    let before = events(&db, &o.id).await.len();
    settings::update(&db, &owner_actor, OrgSettingsPatch { name: None, require_mfa: Some(true), ..Default::default() })
        .await
        .unwrap();
    assert_eq!(events(&db, &o.id).await.len(), before);
    assert!(
        !settings::update(
            &db,
            &owner_actor,
            OrgSettingsPatch { name: None, require_mfa: Some(false), ..Default::default() }
        )
        .await
        .unwrap()
        .require_mfa
    );
    let e = assert_code(
        settings::update(
            &db,
            &owner_actor,
            OrgSettingsPatch { name: Some(" ".into()), require_mfa: None, ..Default::default() },
        )
        .await,
        ErrorCode::ValidationError,
    );
    assert!(e.field("name").is_some());
});

// ---------------------------------------------------------------------------------------
// API keys

db_test!(a_keys_cached_access_follows_every_change_at_once, |db| async move {
    use app::domain::permission::Permission;
    use std::sync::Arc;
    let (_, owner) = make_org(&db, "cachedkeys").await;
    let actor = session_actor(&db, &owner).await;
    let eu = teams::create(&db, &actor, teams::NewTeam { name: "EU".into(), parent_team_id: None }).await.unwrap();
    let reader = roles::create(
        &db,
        &actor,
        roles::NewRole {
            name: "Log reader".into(),
            description: String::new(),
            permissions: vec!["audit.read".into()],
        },
    )
    .await
    .unwrap();
    let key = api_keys::create(
        &db,
        &actor,
        api_keys::NewApiKey {
            name: "Reader bot".into(),
            role_id: reader.id.clone(),
            scope_type: "team".into(),
            scope_id: Some(eu.id.clone()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    // One cache across requests, as in the server.
    let cache = access::AccessCache::default();
    let first = api_keys::authenticate(&db, &cache, &key.secret, &meta()).await.unwrap().0;
    let again = api_keys::authenticate(&db, &cache, &key.secret, &meta()).await.unwrap().0;
    assert!(Arc::ptr_eq(&first.access, &again.access), "nothing changed: the resolved access is reused");
    assert!(first.access.grants[0].permissions.contains(&Permission::AuditRead));
    assert!(!first.access.grants[0].permissions.contains(&Permission::ActionsApprove));

    // The role gains a permission: the very next request has it.
    roles::update(
        &db,
        &actor,
        &reader.id,
        roles::RolePatch {
            permissions: Some(vec!["audit.read".into(), "actions.approve".into()]),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let after_role = api_keys::authenticate(&db, &cache, &key.secret, &meta()).await.unwrap().0;
    assert!(after_role.access.grants[0].permissions.contains(&Permission::ActionsApprove));

    // A new sub-team is part of the tree the grant reaches down.
    let north =
        teams::create(&db, &actor, teams::NewTeam { name: "North".into(), parent_team_id: Some(eu.id.clone()) })
            .await
            .unwrap();
    let after_team = api_keys::authenticate(&db, &cache, &key.secret, &meta()).await.unwrap().0;
    assert_eq!(after_team.access.tree.team_parent.get(&north.id), Some(&Some(eu.id.clone())));

    // Revoked: refused at once, whatever is cached.
    api_keys::revoke(&db, &actor, &key.key.id).await.unwrap();
    assert_code(api_keys::authenticate(&db, &cache, &key.secret, &meta()).await, ErrorCode::Unauthenticated);
});

db_test!(api_key_with_a_role_at_a_team_is_listed_and_revoked, |db| async move {
    let (o, owner) = make_org(&db, "keys").await;
    let actor = session_actor(&db, &owner).await;
    let eu = teams::create(&db, &actor, teams::NewTeam { name: "EU".into(), parent_team_id: None }).await.unwrap();
    let north =
        teams::create(&db, &actor, teams::NewTeam { name: "North".into(), parent_team_id: Some(eu.id.clone()) })
            .await
            .unwrap();
    let custom = roles::create(
        &db,
        &actor,
        roles::NewRole {
            name: "Log reader".into(),
            description: String::new(),
            permissions: vec!["audit.read".into()],
        },
    )
    .await
    .unwrap();

    let options = api_keys::options(&db, &actor).await.unwrap();
    assert!(options.roles.iter().any(|c| c.value == "role-auditor"));
    assert!(options.roles.iter().any(|c| c.value == custom.id && c.label.contains("custom")));
    assert!(options.scopes.iter().any(|c| c.value == format!("team:{}", north.id) && c.label == "Team: EU / North"));

    let expiry = (db::now() + chrono::Duration::days(30)).format("%Y-%m-%d").to_string();
    let created = api_keys::create(
        &db,
        &actor,
        api_keys::NewApiKey {
            name: " CRM sync ".into(),
            role_id: "role-store-manager".into(),
            scope_type: "team".into(),
            scope_id: Some(north.id.clone()),
            expires_at: Some(expiry),
        },
    )
    .await
    .unwrap();
    assert!(created.secret.starts_with("mdt_"));
    assert!(created.secret.starts_with(&created.key.prefix));
    assert_eq!(created.key.name, "CRM sync");
    assert_eq!(created.key.role.as_deref(), Some("Store manager"));
    assert_eq!(created.key.scope_label, "Team: EU / North");
    assert_eq!(created.key.status, "active");
    assert_eq!(created.key.created_by_label, owner.email);
    assert!(created.key.expires_at.is_some());

    // The key acts with its role at its team only.
    let (key_actor, _) = api_keys::authenticate(&db, &Default::default(), &created.secret, &meta()).await.unwrap();
    let grants = &key_actor.access.grants;
    assert_eq!(grants.len(), 1);
    assert_eq!(grants[0].scope, ScopeRef::Team(north.id.clone()));
    assert_eq!(grants[0].role_name, "Store manager");

    let custom_key = api_keys::create(
        &db,
        &actor,
        api_keys::NewApiKey {
            name: "Auditor bot".into(),
            role_id: custom.id.clone(),
            scope_type: "org".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(custom_key.key.role.as_deref(), Some("Log reader"));

    let list = api_keys::list(&db, &actor, None, None).await.unwrap();
    assert_eq!(
        list.keys.iter().map(|k| k.name.as_str()).collect::<Vec<_>>(),
        vec!["Auditor bot", "CRM sync"],
        "newest first"
    );
    let page = api_keys::list(&db, &actor, None, Some(1)).await.unwrap();
    assert_eq!(page.keys.len(), 1);
    let rest = api_keys::list(&db, &actor, page.next_cursor.as_deref(), Some(1)).await.unwrap();
    assert_eq!(rest.keys[0].name, "CRM sync");
    assert_eq!(rest.next_cursor, None);

    let revoked = api_keys::revoke(&db, &actor, &created.key.id).await.unwrap();
    assert_eq!(revoked.status, "revoked");
    assert_code(
        api_keys::authenticate(&db, &Default::default(), &created.secret, &meta()).await,
        ErrorCode::Unauthenticated,
    );
    assert_code(api_keys::revoke(&db, &actor, &created.key.id).await, ErrorCode::Conflict);
    assert_eq!(api_keys::get(&db, &actor, &created.key.id).await.unwrap().status, "revoked");
    api_keys::authenticate(&db, &Default::default(), &custom_key.secret, &meta()).await.unwrap();

    // Events without the secret or its hash.
    let stored = api_key::Entity::find_by_id(created.key.id.clone()).one(&db).await.unwrap().unwrap();
    let evs = events(&db, &o.id).await;
    let key_events: Vec<_> = evs.iter().filter(|e| e.entity_id.as_deref() == Some(created.key.id.as_str())).collect();
    assert_eq!(
        key_events.iter().map(|e| e.action.as_str()).collect::<Vec<_>>(),
        vec!["api_key.created", "api_key.revoked"]
    );
    for e in &evs {
        let text = event_text(e);
        assert!(!text.contains(&created.secret) && !text.contains(&stored.key_hash), "secret in {text}");
    }
});

db_test!(api_key_input_is_checked_field_by_field, |db| async move {
    let (_, owner) = make_org(&db, "keycheck").await;
    let actor = session_actor(&db, &owner).await;
    let e = assert_code(
        api_keys::create(
            &db,
            &actor,
            api_keys::NewApiKey {
                name: "".into(),
                role_id: "role-viewer".into(),
                scope_type: "team".into(),
                scope_id: None,
                expires_at: Some("2001-01-01".into()),
            },
        )
        .await,
        ErrorCode::ValidationError,
    );
    for field in ["name", "scope_id", "expires_at"] {
        assert!(e.field(field).is_some(), "{field}: {e:?}");
    }
    let e = assert_code(
        api_keys::create(
            &db,
            &actor,
            api_keys::NewApiKey {
                name: "x".into(),
                role_id: "role-nope".into(),
                scope_type: "org".into(),
                ..Default::default()
            },
        )
        .await,
        ErrorCode::NotFound,
    );
    assert!(e.field("role_id").is_some());
    let e = assert_code(
        api_keys::create(
            &db,
            &actor,
            api_keys::NewApiKey {
                name: "x".into(),
                role_id: "role-viewer".into(),
                scope_type: "store".into(),
                scope_id: Some("s".into()),
                ..Default::default()
            },
        )
        .await,
        ErrorCode::NotFound,
    );
    assert!(e.field("scope_id").is_some(), "store scopes exist since issue 5; this store does not");
    let e = assert_code(
        api_keys::create(
            &db,
            &actor,
            api_keys::NewApiKey {
                name: "x".into(),
                role_id: "role-viewer".into(),
                scope_type: "galaxy".into(),
                ..Default::default()
            },
        )
        .await,
        ErrorCode::ValidationError,
    );
    assert!(e.field("scope_type").is_some());
});

db_test!(nobody_creates_a_key_stronger_than_themselves, |db| async move {
    let (o, owner) = make_org(&db, "escalate").await;
    let owner_actor = session_actor(&db, &owner).await;
    let admin = add_user(&db, &o, "admin@escalate.example.com", BuiltInRole::Admin, ScopeRef::Org).await;
    let admin_actor = session_actor(&db, &admin).await;
    let new = |role: &str| api_keys::NewApiKey {
        name: format!("{role} key"),
        role_id: role.into(),
        scope_type: "org".into(),
        ..Default::default()
    };

    // Admin lacks org.manage: no Owner key, but an Admin or Auditor key is fine.
    let e = assert_code(api_keys::create(&db, &admin_actor, new("role-owner")).await, ErrorCode::PermissionDenied);
    assert!(e.message.contains("org.manage"));
    api_keys::create(&db, &admin_actor, new("role-admin")).await.unwrap();
    api_keys::create(&db, &admin_actor, new("role-auditor")).await.unwrap();

    // A key inherits the same guard.
    let admin_key = api_keys::create(&db, &owner_actor, new("role-admin")).await.unwrap();
    let (key_actor, _) = api_keys::authenticate(&db, &Default::default(), &admin_key.secret, &meta()).await.unwrap();
    assert_code(api_keys::create(&db, &key_actor, new("role-owner")).await, ErrorCode::PermissionDenied);
    let by_key = api_keys::create(&db, &key_actor, new("role-viewer")).await.unwrap();
    assert_eq!(by_key.key.created_by_label, "API key \"role-admin key\"");

    // Without api_keys.manage at the org, nothing at all.
    let auditor = add_user(&db, &o, "auditor@escalate.example.com", BuiltInRole::Auditor, ScopeRef::Org).await;
    let auditor_actor = session_actor(&db, &auditor).await;
    assert_code(api_keys::list(&db, &auditor_actor, None, None).await, ErrorCode::PermissionDenied);
    assert_code(api_keys::create(&db, &auditor_actor, new("role-viewer")).await, ErrorCode::PermissionDenied);
    assert_code(api_keys::revoke(&db, &auditor_actor, &by_key.key.id).await, ErrorCode::PermissionDenied);
    assert_code(api_keys::options(&db, &auditor_actor).await, ErrorCode::PermissionDenied);
    let team =
        teams::create(&db, &owner_actor, teams::NewTeam { name: "Ops".into(), parent_team_id: None }).await.unwrap();
    let team_admin =
        add_user(&db, &o, "teamadmin@escalate.example.com", BuiltInRole::Admin, ScopeRef::Team(team.id)).await;
    assert_code(
        api_keys::list(&db, &session_actor(&db, &team_admin).await, None, None).await,
        ErrorCode::PermissionDenied,
    );
});

db_test!(cli_keys_take_built_in_or_custom_role_names, |db| async move {
    let (o, owner) = make_org(&db, "cli").await;
    let (other, other_owner) = make_org(&db, "cli-other").await;
    let custom = roles::create(
        &db,
        &session_actor(&db, &other_owner).await,
        roles::NewRole { name: "Reporter".into(), description: String::new(), permissions: vec!["usage.read".into()] },
    )
    .await
    .unwrap();
    roles::create(
        &db,
        &session_actor(&db, &owner).await,
        roles::NewRole {
            name: "Support Lead".into(),
            description: String::new(),
            permissions: vec!["actions.approve".into()],
        },
    )
    .await
    .unwrap();
    assert_eq!(
        api_keys::find_role_by_name(&db, &o.id, "store manager").await.unwrap().unwrap().id,
        "role-store-manager"
    );
    let r = api_keys::find_role_by_name(&db, &o.id, "support lead").await.unwrap().expect("custom role by name");
    assert_eq!(r.name, "Support Lead");
    assert!(api_keys::find_role_by_name(&db, &o.id, "Reporter").await.unwrap().is_none(), "another org's role");
    assert!(api_keys::find_role_by_name(&db, &other.id, "Reporter").await.unwrap().is_some());
    let created =
        api_keys::create_management_key_with_role(&db, &o, "cli key", &r, &system_actor(), &meta()).await.unwrap();
    let (actor, _) = api_keys::authenticate(&db, &Default::default(), &created.secret, &meta()).await.unwrap();
    assert_eq!(actor.access.role_names(), vec!["Support Lead"]);
    let custom_of_other = role::Entity::find_by_id(custom.id).one(&db).await.unwrap().unwrap();
    assert_code(
        api_keys::create_management_key_with_role(&db, &o, "x", &custom_of_other, &system_actor(), &meta()).await,
        ErrorCode::NotFound,
    );
});

// ---------------------------------------------------------------------------------------
// Change log

fn paging(limit: u64, cursor: Option<String>) -> EventPaging {
    EventPaging { cursor, limit }
}

db_test!(change_log_filters_and_pages, |db| async move {
    let (o, owner) = make_org(&db, "log").await;
    let actor = session_actor(&db, &owner).await;
    auth::login_step(&db, login_input(&owner.email), &meta()).await.unwrap();
    for name in ["Alpha", "Beta", "Gamma"] {
        teams::create(&db, &actor, teams::NewTeam { name: name.into(), parent_team_id: None }).await.unwrap();
    }
    let key = api_keys::create(
        &db,
        &actor,
        api_keys::NewApiKey {
            name: "k".into(),
            role_id: "role-viewer".into(),
            scope_type: "org".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let (key_actor, _) = api_keys::authenticate(&db, &Default::default(), &key.secret, &meta()).await.unwrap();

    let all = |include_sign_ins: bool| EventFilter { include_sign_ins, ..Default::default() };
    let changes = audit::log::list_events(&db, &actor, &all(false), &paging(200, None)).await.unwrap();
    assert!(changes.events.iter().all(|e| !e.action.starts_with("auth.")), "sign-ins left out by default");
    let everything = audit::log::list_events(&db, &actor, &all(true), &paging(200, None)).await.unwrap();
    assert!(everything.events.iter().any(|e| e.action == "auth.login"));
    assert_eq!(everything.events.len(), events(&db, &o.id).await.len());
    let seqs: Vec<i64> = everything.events.iter().map(|e| e.seq).collect();
    assert!(seqs.windows(2).all(|w| w[0] > w[1]), "newest first");

    // Entity type, entity id, actor (id or part of the label, any case).
    let teams_only = EventFilter { entity_type: Some("team".into()), ..Default::default() };
    let page = audit::log::list_events(&db, &actor, &teams_only, &paging(200, None)).await.unwrap();
    assert_eq!(page.events.len(), 3);
    assert!(page.events.iter().all(|e| e.action == "team.created" && e.after.is_some()));
    let one = EventFilter { entity_id: Some(key.key.id.clone()), ..Default::default() };
    assert_eq!(audit::log::list_events(&db, &actor, &one, &paging(200, None)).await.unwrap().events.len(), 1);
    let by_label = EventFilter { actor: Some("OWNER@LOG".into()), ..Default::default() };
    let mine = audit::log::list_events(&db, &actor, &by_label, &paging(200, None)).await.unwrap();
    assert!(mine.events.len() >= 4 && mine.events.iter().all(|e| e.actor.label == owner.email));
    let by_id = EventFilter { actor: Some(owner.id.clone()), ..Default::default() };
    assert_eq!(
        audit::log::list_events(&db, &actor, &by_id, &paging(200, None)).await.unwrap().events.len(),
        mine.events.len()
    );
    let wildcard = EventFilter { actor: Some("%".into()), ..Default::default() };
    assert!(
        audit::log::list_events(&db, &actor, &wildcard, &paging(200, None)).await.unwrap().events.is_empty(),
        "% is literal"
    );

    // Dates: today holds everything, yesterday nothing.
    let today = db::now().format("%Y-%m-%d").to_string();
    let yesterday = (db::now() - chrono::Duration::days(1)).format("%Y-%m-%d").to_string();
    let q = |from: Option<&str>, to: Option<&str>| {
        EventQuery { from: from.map(str::to_string), to: to.map(str::to_string), ..Default::default() }.parse().unwrap()
    };
    assert_eq!(
        audit::log::list_events(&db, &actor, &q(Some(&today), Some(&today)), &paging(200, None))
            .await
            .unwrap()
            .events
            .len(),
        changes.events.len()
    );
    assert!(audit::log::list_events(&db, &actor, &q(None, Some(&yesterday)), &paging(200, None))
        .await
        .unwrap()
        .events
        .is_empty());
    assert_eq!(
        audit::log::list_events(&db, &actor, &q(Some(&yesterday), None), &paging(200, None))
            .await
            .unwrap()
            .events
            .len(),
        changes.events.len()
    );

    // Pages of 2 walk the same events, none twice.
    let mut walked = Vec::new();
    let mut cursor = None;
    loop {
        let page = audit::log::list_events(&db, &actor, &all(true), &paging(2, cursor)).await.unwrap();
        assert!(page.events.len() <= 2);
        walked.extend(page.events.iter().map(|e| e.seq));
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    assert_eq!(walked, seqs);
    assert_code(
        audit::log::list_events(&db, &actor, &all(true), &paging(2, Some("x".into()))).await,
        ErrorCode::ValidationError,
    );

    let types = audit::log::entity_types(&db, &actor).await.unwrap();
    for t in ["api_key", "org", "team", "user"] {
        assert!(types.contains(&t.to_string()), "{t} in {types:?}");
    }
    // audit.read is needed: the Viewer key has no such permission.
    assert_code(
        audit::log::list_events(&db, &key_actor, &all(false), &paging(10, None)).await,
        ErrorCode::PermissionDenied,
    );
    assert_code(audit::log::entity_types(&db, &key_actor).await, ErrorCode::PermissionDenied);
});

db_test!(another_orgs_ids_are_not_found, |db| async move {
    let (_, owner_a) = make_org(&db, "side-a").await;
    let (_, owner_b) = make_org(&db, "side-b").await;
    let a = session_actor(&db, &owner_a).await;
    let b = session_actor(&db, &owner_b).await;
    let team_a = teams::create(&db, &a, teams::NewTeam { name: "A team".into(), parent_team_id: None }).await.unwrap();
    let role_a = roles::create(
        &db,
        &a,
        roles::NewRole { name: "A role".into(), description: String::new(), permissions: vec![] },
    )
    .await
    .unwrap();
    let key_a = api_keys::create(
        &db,
        &a,
        api_keys::NewApiKey {
            name: "a".into(),
            role_id: "role-viewer".into(),
            scope_type: "org".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();

    assert_code(api_keys::get(&db, &b, &key_a.key.id).await, ErrorCode::NotFound);
    assert_code(api_keys::revoke(&db, &b, &key_a.key.id).await, ErrorCode::NotFound);
    let new = |role: &str, scope_type: &str, scope_id: Option<String>| api_keys::NewApiKey {
        name: "b".into(),
        role_id: role.into(),
        scope_type: scope_type.into(),
        scope_id,
        expires_at: None,
    };
    assert_code(api_keys::create(&db, &b, new(&role_a.id, "org", None)).await, ErrorCode::NotFound);
    assert_code(
        api_keys::create(&db, &b, new("role-viewer", "team", Some(team_a.id.clone()))).await,
        ErrorCode::NotFound,
    );
    assert!(api_keys::list(&db, &b, None, None).await.unwrap().keys.is_empty());
    let filter = EventFilter { entity_id: Some(key_a.key.id.clone()), include_sign_ins: true, ..Default::default() };
    assert!(audit::log::list_events(&db, &b, &filter, &paging(50, None)).await.unwrap().events.is_empty());
    // And A's key is untouched.
    api_keys::authenticate(&db, &Default::default(), &key_a.secret, &meta()).await.unwrap();
});
