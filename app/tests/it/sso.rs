//! Service tests for single sign-on (OpenID Connect) and the admin MFA reset, against a real
//! provider on a local port (`common::oidc_provider`: discovery, JWKS, authorize, token, ID
//! tokens signed RS256 with a key made in the test), on SQLite and (with TEST_DATABASE_URL)
//! PostgreSQL.
//!
//! Each sign-in goes the whole way: `oidc::start` builds the authorization request (PKCE,
//! state, nonce), the provider signs the test's person in and redirects back with a code,
//! `oidc::finish` exchanges it and verifies the token.

use crate::common::audit::{chain_ok, events};
use crate::common::oidc_provider::{Person, Provider, Spoil, CLIENT_ID, CLIENT_SECRET};
use crate::common::orgs::{make_org, make_org_named, PASSWORD};
use crate::common::people::{self, meta, session_actor};
use app::domain::access::ScopeRef;
use app::domain::permission::BuiltInRole;
use app::domain::secrets::SSO_CLIENT_SECRET_NAME;
use app::domain::sso::{
    password_sign_in_off_message, SignInRefusal, SsoConfigInput, PROVISIONING_INVITED, PROVISIONING_JIT,
};
use app::domain::{totp, AppError, ErrorCode};
use app::entities::{audit_event, org, outbox, recovery_code, secret, session, sso_config, user, user_token};
use app::services::identity::auth::{self, LoginInput, LoginStep};
use app::services::identity::oidc::{self, CallbackParams, Refused};
use app::services::identity::users::{self, InviteInput};
use app::services::identity::{mfa, passwords, sso};
use app::services::infra::db;
use app::services::vault;
use app::services::Actor;
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, Set};

const KEY: [u8; 32] = [9u8; 32];
/// Mandate's address in these tests: only the redirect URL is built from it (the provider
/// redirects there and the test reads the redirect instead of following it).
const BASE: &str = "http://127.0.0.1:9";
const DOMAIN: &str = "acme.test";

fn input(p: &Provider, provisioning: &str, role: Option<&str>) -> SsoConfigInput {
    SsoConfigInput {
        display_name: "Test IdP".into(),
        issuer_url: p.issuer.clone(),
        client_id: CLIENT_ID.into(),
        client_secret: Some(CLIENT_SECRET.into()),
        allowed_domains: vec![DOMAIN.into()],
        provisioning: provisioning.into(),
        default_role_id: role.map(str::to_string),
        enabled: true,
        password_sign_in_disabled: false,
    }
}

/// An org (`Org <slug>`) with single sign-on through `p`, set by its Owner.
async fn sso_org(
    db: &DatabaseConnection,
    p: &Provider,
    slug: &str,
    provisioning: &str,
) -> (org::Model, user::Model, Actor) {
    let (o, owner) = make_org(db, slug).await;
    let actor = session_actor(db, &owner).await;
    let role = (provisioning == PROVISIONING_JIT).then_some(BuiltInRole::Viewer.id());
    sso::set(db, &KEY, &actor, BASE, input(p, provisioning, role)).await.unwrap();
    (o, owner, actor)
}

/// One whole sign-in of `person` at the org `who` names, in one browser.
async fn sign_in(
    db: &DatabaseConnection,
    p: &Provider,
    who: &str,
    person: Person,
) -> Result<(LoginStep, Option<String>), Refused> {
    p.sign_in_as(person);
    let started = oidc::start(db, &KEY, BASE, who, Some("/approvals".into())).await.unwrap();
    let (location, state, code) = p.authorize(&started.authorize_url).await;
    assert!(location.starts_with(&format!("{BASE}/auth/oidc/callback?")), "{location}");
    assert_eq!(state, started.state, "the provider sends the state back");
    let params = CallbackParams { state: Some(state), code: Some(code), error: None };
    oidc::finish(db, &KEY, BASE, params, Some(&started.state), &meta()).await
}

fn refused(result: Result<(LoginStep, Option<String>), Refused>) -> String {
    match result {
        Err(r) => {
            assert_eq!(r.error.code, ErrorCode::Unauthenticated, "{:?}", r.error);
            r.error.message
        }
        Ok((step, _)) => panic!("expected a refusal, got {step:?}"),
    }
}

fn signed_in(result: Result<(LoginStep, Option<String>), Refused>) -> (user::Model, Option<String>) {
    match result {
        Ok((LoginStep::Done(session, u, _), next)) => {
            assert_eq!(session.user_id, u.id);
            (u, next)
        }
        Ok((other, _)) => panic!("expected a sign-in, got {other:?}"),
        Err(r) => panic!("refused: {:?}", r.error),
    }
}

async fn failed_reasons(db: &DatabaseConnection, org_id: &str) -> Vec<String> {
    events(db, org_id)
        .await
        .into_iter()
        .filter(|e| e.action == "auth.login_failed")
        .filter_map(|e| e.after_json)
        .map(|a| serde_json::from_str::<serde_json::Value>(&a).unwrap()["reason"].as_str().unwrap_or("").to_string())
        .collect()
}

async fn user_by_email(db: &DatabaseConnection, org_id: &str, email: &str) -> Option<user::Model> {
    user::Entity::find()
        .filter(user::Column::OrgId.eq(org_id))
        .filter(user::Column::Email.eq(email))
        .one(db)
        .await
        .unwrap()
}

fn assert_code<T: std::fmt::Debug>(result: Result<T, AppError>, code: ErrorCode) -> AppError {
    match result {
        Err(e) if e.code == code => e,
        other => panic!("expected {code:?}, got {other:?}"),
    }
}

/// An active user with the test password and `role` at the org.
async fn add_user(db: &DatabaseConnection, o: &org::Model, email: &str, role: BuiltInRole) -> user::Model {
    let hash = passwords::hash_password(PASSWORD.into()).await.unwrap();
    people::person(db, o, email, &format!("{} person", role.name()), Some(hash), role, ScopeRef::Org).await
}

/// Enrols and confirms MFA for `u`; returns the raw secret.
async fn enable_mfa(db: &DatabaseConnection, u: &user::Model) -> Vec<u8> {
    let actor = session_actor(db, u).await;
    let enrolment = mfa::begin_enrolment(db, &KEY, &actor).await.unwrap();
    let secret = totp::base32_decode(&enrolment.secret).unwrap();
    mfa::confirm_enrolment(db, &KEY, &actor, &totp::code_at(&secret, db::now().timestamp())).await.unwrap();
    secret
}

db_test!(jit_creates_people_on_first_sign_in_with_the_default_role, |db: DatabaseConnection| async move {
    let p = Provider::start().await;
    let (o, _, _) = sso_org(&db, &p, "sso-jit", PROVISIONING_JIT).await;
    let (u, next) = signed_in(sign_in(&db, &p, "sso-jit", Person::new("New.Person@acme.test", "New Person")).await);
    assert_eq!(next.as_deref(), Some("/approvals"), "back where the sign-in started");
    assert_eq!(u.email, "new.person@acme.test");
    assert_eq!(u.status, user::STATUS_ACTIVE);
    assert_eq!(u.auth_provider, "oidc");
    assert_eq!(u.display_name, "New Person");
    assert!(u.password_hash.is_none());
    let actor = session_actor(&db, &u).await;
    assert_eq!(actor.access.role_names(), vec!["Viewer".to_string()]);

    let evs = events(&db, &o.id).await;
    let created =
        evs.iter().find(|e| e.action == "user.created" && e.entity_id.as_deref() == Some(u.id.as_str())).unwrap();
    assert_eq!(created.actor_label, "Single sign-on (Test IdP)");
    assert!(evs
        .iter()
        .any(|e| e.action == "role_assignment.created" && e.after_json.as_deref().unwrap_or("").contains(&u.id)));
    let login = evs.iter().rfind(|e| e.action == "auth.login").unwrap();
    assert_eq!(login.after_json.as_deref(), Some(r#"{"method":"oidc"}"#));
    assert_eq!(login.actor_id.as_deref(), Some(u.id.as_str()));

    // The second sign-in finds the same person.
    let (again, _) = signed_in(sign_in(&db, &p, "sso-jit", Person::new("new.person@acme.test", "New Person")).await);
    assert_eq!(again.id, u.id);
    let users = user::Entity::find().filter(user::Column::Email.eq("new.person@acme.test")).count(&db).await.unwrap();
    assert_eq!(users, 1);
    assert_eq!(
        events(&db, &o.id).await.iter().filter(|e| e.action == "user.created").count(),
        2,
        "the Owner and the new person"
    );

    // A sign-in can also start from a work email: the org is found by its allowed domain.
    let (by_email, _) =
        signed_in(sign_in(&db, &p, "new.person@acme.test", Person::new("new.person@acme.test", "N")).await);
    assert_eq!(by_email.id, u.id);
    chain_ok(&db, &o.id).await;
});

db_test!(invited_only_refuses_strangers_and_lets_invited_people_in, |db: DatabaseConnection| async move {
    let p = Provider::start().await;
    let (o, _, owner) = sso_org(&db, &p, "sso-inv", PROVISIONING_INVITED).await;
    let message = refused(sign_in(&db, &p, "sso-inv", Person::new("stranger@acme.test", "Stranger")).await);
    assert_eq!(
        message,
        SignInRefusal::NotInvited { email: "stranger@acme.test".into(), org_name: o.name.clone() }.message()
    );
    assert_eq!(message, "stranger@acme.test has no account at Org sso-inv. Ask an administrator to invite you.");
    assert!(user_by_email(&db, &o.id, "stranger@acme.test").await.is_none(), "nobody was created");
    assert_eq!(failed_reasons(&db, &o.id).await, vec!["not_invited"]);

    let invited = users::invite(
        &db,
        &owner,
        InviteInput {
            email: "ivy@acme.test".into(),
            display_name: "Ivy".into(),
            team_id: None,
            role_id: None,
            scope: None,
        },
        BASE,
    )
    .await
    .unwrap();
    assert_eq!(invited.status, "invited");
    let (u, _) = signed_in(sign_in(&db, &p, "sso-inv", Person::new("ivy@acme.test", "Ivy")).await);
    assert_eq!(u.id, invited.id);
    assert_eq!(u.status, user::STATUS_ACTIVE, "signing in through the provider accepts the invitation");
    let open_invites =
        user_token::Entity::find().filter(user_token::Column::UserId.eq(u.id.as_str())).count(&db).await.unwrap();
    assert_eq!(open_invites, 0, "the emailed link stops working");
    let evs = events(&db, &o.id).await;
    assert!(evs
        .iter()
        .any(|e| e.action == "user.invite_accepted" && e.after_json.as_deref().unwrap_or("").contains("oidc")));
    chain_ok(&db, &o.id).await;
});

db_test!(a_wrong_signature_is_refused, |db: DatabaseConnection| async move {
    let p = Provider::start().await;
    let (o, _, _) = sso_org(&db, &p, "sso-sig", PROVISIONING_JIT).await;
    p.spoil(Spoil { wrong_key: true, ..Default::default() });
    let message = refused(sign_in(&db, &p, "sso-sig", Person::new("ann@acme.test", "Ann")).await);
    assert_eq!(message, "Your identity provider's answer could not be verified (signature).");
    assert!(user_by_email(&db, &o.id, "ann@acme.test").await.is_none());
    assert_eq!(failed_reasons(&db, &o.id).await, vec!["signature"]);
});

db_test!(a_token_for_another_audience_is_refused, |db: DatabaseConnection| async move {
    let p = Provider::start().await;
    let (o, _, _) = sso_org(&db, &p, "sso-aud", PROVISIONING_JIT).await;
    p.spoil(Spoil { audience: Some("another-application".into()), ..Default::default() });
    let message = refused(sign_in(&db, &p, "sso-aud", Person::new("ann@acme.test", "Ann")).await);
    assert_eq!(message, SignInRefusal::Audience.message());
    assert!(message.contains("(audience"), "{message}");
    assert_eq!(failed_reasons(&db, &o.id).await, vec!["audience"]);
});

db_test!(an_expired_token_is_refused, |db: DatabaseConnection| async move {
    let p = Provider::start().await;
    let (o, _, _) = sso_org(&db, &p, "sso-exp", PROVISIONING_JIT).await;
    p.spoil(Spoil { expired: true, ..Default::default() });
    let message = refused(sign_in(&db, &p, "sso-exp", Person::new("ann@acme.test", "Ann")).await);
    assert_eq!(message, SignInRefusal::Expired.message());
    assert!(message.contains("expired"), "{message}");
    assert_eq!(failed_reasons(&db, &o.id).await, vec!["expired"]);
});

db_test!(a_replayed_state_is_refused, |db: DatabaseConnection| async move {
    let p = Provider::start().await;
    let (o, _, _) = sso_org(&db, &p, "sso-replay", PROVISIONING_JIT).await;
    p.sign_in_as(Person::new("ann@acme.test", "Ann"));
    let started = oidc::start(&db, &KEY, BASE, "sso-replay", None).await.unwrap();
    let (_, state, code) = p.authorize(&started.authorize_url).await;
    let params = CallbackParams { state: Some(state.clone()), code: Some(code), error: None };
    signed_in(oidc::finish(&db, &KEY, BASE, params.clone(), Some(&state), &meta()).await);
    let requests = p.token_requests();

    // The same answer again (a reload, a copied link, an attacker's replay): refused before
    // anything reaches the provider.
    let message = refused(oidc::finish(&db, &KEY, BASE, params, Some(&state), &meta()).await);
    assert_eq!(message, "This sign-in link was already used or has expired. Start again.");
    assert_eq!(p.token_requests(), requests, "the code was not exchanged again");
    // A state nobody issued, and none at all.
    let forged = CallbackParams { state: Some("forged".into()), code: Some("x".into()), error: None };
    assert_eq!(refused(oidc::finish(&db, &KEY, BASE, forged, Some("forged"), &meta()).await), message);
    assert_eq!(refused(oidc::finish(&db, &KEY, BASE, CallbackParams::default(), None, &meta()).await), message);

    // A state from another browser (login CSRF): refused, and used up.
    p.sign_in_as(Person::new("ann@acme.test", "Ann"));
    let theirs = oidc::start(&db, &KEY, BASE, "sso-replay", None).await.unwrap();
    let (_, state, code) = p.authorize(&theirs.authorize_url).await;
    let params = CallbackParams { state: Some(state), code: Some(code), error: None };
    let message = refused(oidc::finish(&db, &KEY, BASE, params, Some("the victim's own state"), &meta()).await);
    assert_eq!(message, SignInRefusal::OtherBrowser.message());
    assert_eq!(failed_reasons(&db, &o.id).await, vec!["state_other_browser"]);
});

db_test!(an_email_outside_the_allowed_domains_is_refused, |db: DatabaseConnection| async move {
    let p = Provider::start().await;
    let (o, _) = make_org_named(&db, "Acme Store", "sso-dom").await;
    let owner = session_actor(&db, &user_by_email(&db, &o.id, "owner@sso-dom.example.com").await.unwrap()).await;
    sso::set(&db, &KEY, &owner, BASE, input(&p, PROVISIONING_JIT, Some(BuiltInRole::Viewer.id()))).await.unwrap();
    let message = refused(sign_in(&db, &p, "sso-dom", Person::new("eve@example.org", "Eve")).await);
    assert_eq!(message, "Email addresses at example.org can't sign in to Acme Store.");
    assert!(user_by_email(&db, &o.id, "eve@example.org").await.is_none());
    let failed = events(&db, &o.id).await.into_iter().rfind(|e| e.action == "auth.login_failed").unwrap();
    assert_eq!(
        failed.after_json.as_deref(),
        Some(r#"{"email":"eve@example.org","method":"oidc","reason":"domain_not_allowed"}"#)
    );
    // A subdomain is another domain.
    let message = refused(sign_in(&db, &p, "sso-dom", Person::new("eve@eu.acme.test", "Eve")).await);
    assert_eq!(message, "Email addresses at eu.acme.test can't sign in to Acme Store.");
});

db_test!(unverified_emails_missing_emails_and_suspended_people_are_refused, |db: DatabaseConnection| async move {
    let p = Provider::start().await;
    let (o, _, owner) = sso_org(&db, &p, "sso-more", PROVISIONING_JIT).await;
    let unverified = Person { email_verified: Some(false), ..Person::new("ann@acme.test", "Ann") };
    assert_eq!(
        refused(sign_in(&db, &p, "sso-more", unverified).await),
        "Your identity provider has not verified ann@acme.test, so it can't be used to sign in."
    );
    // A provider that does not say whether it verified (Microsoft Entra) is taken at its word.
    let unsaid = Person { email_verified: None, ..Person::new("ann@acme.test", "Ann") };
    signed_in(sign_in(&db, &p, "sso-more", unsaid).await);
    let no_email = Person { email: None, ..Person::new("ann@acme.test", "Ann") };
    assert_eq!(
        refused(sign_in(&db, &p, "sso-more", no_email).await),
        SignInRefusal::NoEmail { provider: "Test IdP".into() }.message()
    );

    let sam = add_user(&db, &o, "sam@acme.test", BuiltInRole::Viewer).await;
    users::update(&db, &owner, &sam.id, users::UserPatch { status: Some("suspended".into()), ..Default::default() })
        .await
        .unwrap();
    assert_eq!(
        refused(sign_in(&db, &p, "sso-more", Person::new("sam@acme.test", "Sam")).await),
        "Your account at Org sso-more is suspended. Ask an administrator."
    );
    assert_eq!(failed_reasons(&db, &o.id).await, vec!["email_unverified", "no_email", "suspended"]);

    // The provider switched off: nobody starts through it.
    let mut off = input(&p, PROVISIONING_JIT, Some(BuiltInRole::Viewer.id()));
    off.enabled = false;
    off.client_secret = None;
    sso::set(&db, &KEY, &owner, BASE, off).await.unwrap();
    let e = assert_code(oidc::start(&db, &KEY, BASE, "sso-more", None).await, ErrorCode::Unauthenticated);
    assert_eq!(e.message, SignInRefusal::NotConfigured.message());
    chain_ok(&db, &o.id).await;
});

db_test!(people_who_use_two_step_sign_in_still_enter_their_code, |db: DatabaseConnection| async move {
    let p = Provider::start().await;
    let (o, _, _) = sso_org(&db, &p, "sso-mfa", PROVISIONING_INVITED).await;
    let u = add_user(&db, &o, "mia@acme.test", BuiltInRole::Viewer).await;
    let secret = enable_mfa(&db, &u).await;
    let pending = match sign_in(&db, &p, "sso-mfa", Person::new("mia@acme.test", "Mia")).await {
        Ok((LoginStep::MfaRequired(pending), next)) => {
            assert_eq!(next.as_deref(), Some("/approvals"));
            pending
        }
        other => panic!("expected the two-step code to be asked, got {:?}", other.map(|(s, _)| s).map_err(|r| r.error)),
    };
    assert_eq!(pending.method.as_deref(), Some("oidc"));
    assert!(!events(&db, &o.id).await.iter().any(|e| e.action == "auth.login"), "not signed in yet");
    let code = totp::code_for_step(&secret, totp::step_at(db::now().timestamp()) + 1, 6);
    mfa::complete_login(&db, &KEY, &pending, &code, &meta()).await.unwrap();
    let login = events(&db, &o.id).await.into_iter().rfind(|e| e.action == "auth.login").unwrap();
    assert_eq!(login.after_json.as_deref(), Some(r#"{"method":"oidc","mfa":"totp"}"#));
});

db_test!(password_sign_in_off_refuses_members_but_not_owners, |db: DatabaseConnection| async move {
    let p = Provider::start().await;
    let (o, owner_user, owner) = sso_org(&db, &p, "sso-pw", PROVISIONING_INVITED).await;
    let member = add_user(&db, &o, "max@sso-pw.example.com", BuiltInRole::Admin).await;
    let login = |email: &str| LoginInput { email: email.into(), password: PASSWORD.into(), org_slug: None };
    assert!(matches!(auth::login_step(&db, login(&member.email), &meta()).await.unwrap(), LoginStep::Done(..)));

    let mut off = input(&p, PROVISIONING_INVITED, None);
    off.client_secret = None;
    off.password_sign_in_disabled = true;
    let view = sso::set(&db, &KEY, &owner, BASE, off.clone()).await.unwrap().1;
    assert!(view.password_sign_in_disabled);

    let e = assert_code(auth::login_step(&db, login(&member.email), &meta()).await, ErrorCode::PermissionDenied);
    assert_eq!(e.message, password_sign_in_off_message(&o.name, "Test IdP"));
    assert_eq!(
        e.message,
        "Org sso-pw signs in with Test IdP: use “Sign in with Test IdP”. Password sign-in is kept for Owners only."
    );
    let failed = events(&db, &o.id).await.into_iter().rfind(|e| e.action == "auth.login_failed").unwrap();
    assert_eq!(failed.entity_id.as_deref(), Some(member.id.as_str()));
    // The member's right password is no failed attempt: no lock-out builds up.
    for _ in 0..6 {
        assert_code(auth::login_step(&db, login(&member.email), &meta()).await, ErrorCode::PermissionDenied);
    }
    // A wrong password still says only that.
    let wrong = LoginInput { email: member.email.clone(), password: "not it".into(), org_slug: None };
    assert_eq!(
        assert_code(auth::login_step(&db, wrong, &meta()).await, ErrorCode::Unauthenticated).message,
        auth::WRONG_CREDENTIALS
    );
    // The Owner's break-glass path.
    assert!(matches!(auth::login_step(&db, login(&owner_user.email), &meta()).await.unwrap(), LoginStep::Done(..)));

    // An invitation can't be used to set a password either.
    let invited = users::invite(
        &db,
        &owner,
        InviteInput {
            email: "ivy@acme.test".into(),
            display_name: "Ivy".into(),
            team_id: None,
            role_id: None,
            scope: None,
        },
        BASE,
    )
    .await
    .unwrap();
    let token = {
        // The invitation's token is only in the outbox mail.
        let mail =
            outbox::Entity::find().filter(outbox::Column::ToEmail.eq("ivy@acme.test")).one(&db).await.unwrap().unwrap();
        mail.body.split("/invite/").nth(1).unwrap().split_whitespace().next().unwrap().to_string()
    };
    let e =
        assert_code(users::accept_invite(&db, &token, PASSWORD, PASSWORD, &meta()).await, ErrorCode::PermissionDenied);
    assert!(e.message.contains("Sign in with Test IdP"), "{}", e.message);
    assert_eq!(users::get(&db, &owner, &invited.id).await.unwrap().status, "invited");

    // Switched off (or removed), the provider no longer keeps passwords off.
    off.enabled = false;
    sso::set(&db, &KEY, &owner, BASE, off).await.unwrap();
    assert!(matches!(auth::login_step(&db, login(&member.email), &meta()).await.unwrap(), LoginStep::Done(..)));
    let option = sso::sign_in_option(&db, "sso-pw").await.unwrap();
    assert!(option.is_none(), "the sign-in page offers no provider that is off");
});

db_test!(only_owners_configure_single_sign_on_and_the_secret_never_comes_back, |db: DatabaseConnection| async move {
    let p = Provider::start().await;
    let (o, _) = make_org(&db, "sso-cfg").await;
    let owner = session_actor(&db, &user_by_email(&db, &o.id, "owner@sso-cfg.example.com").await.unwrap()).await;
    let admin = session_actor(&db, &add_user(&db, &o, "ada@sso-cfg.example.com", BuiltInRole::Admin).await).await;
    // An Admin manages settings but not who may sign in as whom.
    assert_code(sso::get(&db, &admin, BASE).await, ErrorCode::PermissionDenied);
    assert_code(
        sso::set(&db, &KEY, &admin, BASE, input(&p, PROVISIONING_INVITED, None)).await,
        ErrorCode::PermissionDenied,
    );
    assert_code(sso::delete(&db, &admin).await, ErrorCode::PermissionDenied);

    let empty = sso::get(&db, &owner, BASE).await.unwrap();
    assert!(!empty.configured);
    assert_eq!(empty.redirect_url, "http://127.0.0.1:9/auth/oidc/callback");
    assert_eq!(empty.sign_in_url, "http://127.0.0.1:9/auth/oidc/start?org=sso-cfg");

    // Field errors, nothing saved.
    let bad = SsoConfigInput {
        issuer_url: "http://idp.example.com".into(),
        allowed_domains: vec!["not a domain".into()],
        ..input(&p, PROVISIONING_JIT, None)
    };
    let e = assert_code(sso::set(&db, &KEY, &owner, BASE, bad).await, ErrorCode::ValidationError);
    for f in ["issuer_url", "allowed_domains", "default_role_id"] {
        assert!(e.field(f).is_some(), "{f}: {e:?}");
    }
    let e = assert_code(
        sso::set(&db, &KEY, &owner, BASE, input(&p, PROVISIONING_JIT, Some(BuiltInRole::Owner.id()))).await,
        ErrorCode::ValidationError,
    );
    assert!(e.field("default_role_id").unwrap().contains("manages the organisation"));
    let no_secret = SsoConfigInput { client_secret: None, ..input(&p, PROVISIONING_INVITED, None) };
    assert!(assert_code(sso::set(&db, &KEY, &owner, BASE, no_secret.clone()).await, ErrorCode::ValidationError)
        .field("client_secret")
        .is_some());
    assert_eq!(sso_config::Entity::find().count(&db).await.unwrap(), 0);

    let (created, view) =
        sso::set(&db, &KEY, &owner, BASE, input(&p, PROVISIONING_JIT, Some(BuiltInRole::Approver.id()))).await.unwrap();
    assert!(created);
    assert!(view.client_secret_set && view.enabled && view.configured);
    assert_eq!(view.default_role_name.as_deref(), Some("Approver"));
    assert!(!serde_json::to_string(&view).unwrap().contains(CLIENT_SECRET));
    let reveal = |key: [u8; 32]| {
        let (db, org_id) = (db.clone(), o.id.clone());
        async move { vault::reveal_integration(&db, &key, &org_id, SSO_CLIENT_SECRET_NAME, "test").await }
    };
    let row = sso_config::Entity::find().one(&db).await.unwrap().unwrap();
    assert!(row.client_secret_enc.is_empty(), "the secret lives in the vault");
    let kept = secret::Entity::find().one(&db).await.unwrap().unwrap();
    assert!(!kept.value_enc.contains(CLIENT_SECRET));
    assert_eq!(reveal(KEY).await.unwrap().as_deref(), Some(CLIENT_SECRET));
    assert!(reveal([1u8; 32]).await.is_err(), "another key can't read it");

    // A change without the secret keeps it; a new one replaces it.
    let (created, _) = sso::set(&db, &KEY, &owner, BASE, no_secret).await.unwrap();
    assert!(!created);
    let row = sso_config::Entity::find().one(&db).await.unwrap().unwrap();
    assert_eq!(reveal(KEY).await.unwrap().as_deref(), Some(CLIENT_SECRET));
    assert_eq!(row.default_role_id, None, "invited-only keeps no default role");
    let replaced =
        SsoConfigInput { client_secret: Some("a-new-secret-value".into()), ..input(&p, PROVISIONING_INVITED, None) };
    sso::set(&db, &KEY, &owner, BASE, replaced).await.unwrap();
    assert_eq!(reveal(KEY).await.unwrap().as_deref(), Some("a-new-secret-value"));

    sso::delete(&db, &owner).await.unwrap();
    assert_eq!(secret::Entity::find().count(&db).await.unwrap(), 0, "removed with its provider");
    assert!(!sso::get(&db, &owner, BASE).await.unwrap().configured);
    assert_code(sso::delete(&db, &owner).await, ErrorCode::NotFound);

    let evs: Vec<audit_event::Model> =
        events(&db, &o.id).await.into_iter().filter(|e| e.entity_type == "sso_config").collect();
    let actions: Vec<&str> = evs.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, vec!["sso.configured", "sso.updated", "sso.updated", "sso.deleted"]);
    let secrets: Vec<String> = evs
        .iter()
        .filter_map(|e| e.after_json.as_deref())
        .map(|a| serde_json::from_str::<serde_json::Value>(a).unwrap()["client_secret"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(secrets, vec!["set", "kept", "replaced"]);
    for e in &evs {
        let text = format!("{:?} {:?}", e.before_json, e.after_json);
        assert!(!text.contains(CLIENT_SECRET) && !text.contains("a-new-secret-value"), "{text}");
    }
    chain_ok(&db, &o.id).await;
});

db_test!(an_admin_resets_the_two_step_sign_in_of_someone_who_lost_their_phone, |db: DatabaseConnection| async move {
    let (o, owner_user) = make_org(&db, "mfa-reset").await;
    let owner = session_actor(&db, &owner_user).await;
    let admin_user = add_user(&db, &o, "ada@mfa-reset.example.com", BuiltInRole::Admin).await;
    let admin = session_actor(&db, &admin_user).await;
    let viewer = session_actor(&db, &add_user(&db, &o, "vic@mfa-reset.example.com", BuiltInRole::Viewer).await).await;
    let lost = add_user(&db, &o, "lou@mfa-reset.example.com", BuiltInRole::Approver).await;
    enable_mfa(&db, &lost).await;
    enable_mfa(&db, &owner_user).await;
    session::ActiveModel {
        id: Set("lost-phone-session".into()),
        user_id: Set(Some(lost.id.clone())),
        data: Set("{}".into()),
        expires_at: Set(db::now() + chrono::Duration::hours(1)),
    }
    .insert(&db)
    .await
    .unwrap();
    // The org requires two-step sign-in: after the reset, Lou must set it up again.
    app::services::org::settings::update(
        &db,
        &owner,
        app::services::org::settings::OrgSettingsPatch { name: None, require_mfa: Some(true), ..Default::default() },
    )
    .await
    .unwrap();

    // Who may not.
    assert_code(users::reset_mfa(&db, &viewer, &lost.id, BASE).await, ErrorCode::PermissionDenied);
    let e = assert_code(users::reset_mfa(&db, &admin, &owner_user.id, BASE).await, ErrorCode::PermissionDenied);
    assert!(e.message.contains("org.manage"), "an Admin does not outrank an Owner: {}", e.message);
    assert_code(users::reset_mfa(&db, &owner, &owner_user.id, BASE).await, ErrorCode::Conflict);
    let (other, other_owner) = make_org(&db, "mfa-reset-other").await;
    let _ = other;
    assert_code(users::reset_mfa(&db, &admin, &other_owner.id, BASE).await, ErrorCode::NotFound);
    assert_code(users::reset_mfa(&db, &admin, &admin_user.id, BASE).await, ErrorCode::Conflict);

    let view = users::reset_mfa(&db, &admin, &lost.id, BASE).await.unwrap();
    assert!(!view.mfa_enabled);
    let u = user::Entity::find_by_id(lost.id.clone()).one(&db).await.unwrap().unwrap();
    assert!(!u.mfa_enabled && u.mfa_secret_enc.is_none());
    assert_eq!(
        recovery_code::Entity::find()
            .filter(recovery_code::Column::UserId.eq(lost.id.as_str()))
            .count(&db)
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        session::Entity::find().filter(session::Column::UserId.eq(lost.id.as_str())).count(&db).await.unwrap(),
        0
    );
    let o = org::Entity::find_by_id(o.id.clone()).one(&db).await.unwrap().unwrap();
    assert!(mfa::check_policy(&u, &o).is_err(), "sent to set it up again at the next sign-in");

    let ev = events(&db, &o.id).await.into_iter().rfind(|e| e.action == "mfa.reset").unwrap();
    assert_eq!(ev.entity_id.as_deref(), Some(lost.id.as_str()));
    assert_eq!(ev.actor_id.as_deref(), Some(admin_user.id.as_str()));
    let after: serde_json::Value = serde_json::from_str(ev.after_json.as_deref().unwrap()).unwrap();
    assert_eq!(after["recovery_codes_removed"], 10);
    assert_eq!(after["user"]["mfa_enabled"], false);
    let mail = outbox::Entity::find().filter(outbox::Column::ToEmail.eq(lost.email.as_str())).all(&db).await.unwrap();
    assert_eq!(mail.len(), 1);
    assert_eq!(mail[0].subject, "Your two-step sign-in for Org mfa-reset was reset");
    assert!(
        mail[0].body.contains("ada@mfa-reset.example.com reset") && mail[0].body.contains("requires two-step sign-in")
    );
    assert!(!mail[0].body.contains(&lost.id), "no internal ids in the mail");

    // Nothing left to reset.
    assert_code(users::reset_mfa(&db, &admin, &lost.id, BASE).await, ErrorCode::Conflict);
    // An Owner may reset an Admin's.
    enable_mfa(&db, &admin_user).await;
    users::reset_mfa(&db, &owner, &admin_user.id, BASE).await.unwrap();
    chain_ok(&db, &o.id).await;
});
