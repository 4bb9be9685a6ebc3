//! Service tests for people (invite, accept, list, edit, suspend, delete), the email outbox,
//! password reset and the account page, on a fresh SQLite database per test and, when
//! TEST_DATABASE_URL is set, on a fresh PostgreSQL database (`<test>::sqlite`, `<test>::postgres`).

use crate::common::audit::{actions, events};
use crate::common::orgs::{make_org, PASSWORD};
use crate::common::people::{meta, session_actor};
use app::domain::access::ScopeRef;
use app::domain::permission::BuiltInRole;
use app::domain::users::{MailStatus, MAIL_MAX_ATTEMPTS};
use app::domain::{AppError, ErrorCode};
use app::entities::{org, outbox as outbox_row, role_assignment, session, user, user_token};
use app::services::actor::system_actor;
use app::services::identity::auth::{self, LoginInput, SessionUser, SESSION_KEY};
use app::services::identity::users::{self, InviteInput, ListQuery, UserPatch};
use app::services::{
    access::api_keys, audit, identity::account, infra::db, org::outbox, Actor, ActorKind, RequestMeta,
};
use chrono::Duration;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, Set,
};
use std::collections::HashSet;

const NEW_PASSWORD: &str = "amber lantern sleeps late";
const BASE: &str = "https://mandate.test";

// ---------------------------------------------------------------------------------------
// Helpers

/// A management key's actor with a built-in role at the org.
async fn key_actor(db: &DatabaseConnection, o: &org::Model, role: BuiltInRole) -> Actor {
    let key = api_keys::create_management_key(
        db,
        o,
        &format!("{} key", role.name()),
        role,
        &system_actor(),
        &RequestMeta::default(),
    )
    .await
    .unwrap();
    api_keys::authenticate(db, &Default::default(), &key.secret, &meta()).await.unwrap().0
}

fn invite_input(email: &str, name: &str) -> InviteInput {
    InviteInput { email: email.into(), display_name: name.into(), ..Default::default() }
}

fn with_role(mut i: InviteInput, role: BuiltInRole) -> InviteInput {
    i.role_id = Some(role.id().to_string());
    i
}

/// The newest outbox mail to `to`.
async fn last_mail(db: &DatabaseConnection, to: &str) -> outbox_row::Model {
    outbox_row::Entity::find()
        .filter(outbox_row::Column::ToEmail.eq(to))
        .order_by_desc(outbox_row::Column::Id)
        .one(db)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("no mail to {to}"))
}

/// The token of the `<BASE>/<path>/<token>` link in a mail body.
fn link_token(body: &str, path: &str) -> String {
    let prefix = format!("{BASE}/{path}/");
    let start = body.find(&prefix).unwrap_or_else(|| panic!("no {prefix} link in:\n{body}")) + prefix.len();
    body[start..].split_whitespace().next().unwrap().to_string()
}

/// Invites and accepts: an active person with the role, and their actor.
async fn join(db: &DatabaseConnection, by: &Actor, email: &str, role: BuiltInRole) -> (user::Model, Actor) {
    users::invite(db, by, with_role(invite_input(email, "Joining Person"), role), BASE).await.unwrap();
    let token = link_token(&last_mail(db, email).await.body, "invite");
    let su = users::accept_invite(db, &token, PASSWORD, PASSWORD, &meta()).await.unwrap();
    let u = user::Entity::find_by_id(su.user_id).one(db).await.unwrap().unwrap();
    let a = session_actor(db, &u).await;
    (u, a)
}

async fn login(db: &DatabaseConnection, email: &str, password: &str) -> Result<SessionUser, AppError> {
    auth::login(db, LoginInput { email: email.into(), password: password.into(), org_slug: None }, &meta())
        .await
        .map(|(s, _, _)| s)
}

fn err<T: std::fmt::Debug>(r: Result<T, AppError>) -> AppError {
    r.expect_err("expected an error")
}

/// The chain verifies and no snapshot carries a hash, token or secret.
async fn audit_clean(db: &DatabaseConnection, org_id: &str) {
    let report = audit::verify_org(db, org_id).await.unwrap();
    assert!(report.ok, "audit chain broken: {report:?}");
    for e in events(db, org_id).await {
        let text = format!("{:?} {:?}", e.before_json, e.after_json);
        for bad in ["password_hash", "$argon2", "token_hash", "mfa_secret"] {
            assert!(!text.contains(bad), "{} carries {bad}: {text}", e.action);
        }
    }
}

/// A session row for the user, as the session layer writes it.
async fn add_session(db: &DatabaseConnection, u: &user::Model) -> String {
    let id = db::new_id().replace('-', "");
    let data =
        serde_json::json!({ SESSION_KEY: {"user_id": u.id, "org_id": u.org_id, "login_at": db::now().timestamp()} });
    session::ActiveModel {
        id: Set(id.clone()),
        user_id: Set(Some(u.id.clone())),
        data: Set(data.to_string()),
        expires_at: Set(db::now() + Duration::hours(2)),
    }
    .insert(db)
    .await
    .unwrap();
    id
}

async fn sessions_of(db: &DatabaseConnection, u: &user::Model) -> Vec<String> {
    session::Entity::find()
        .filter(session::Column::UserId.eq(u.id.as_str()))
        .all(db)
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.id)
        .collect()
}

async fn reload(db: &DatabaseConnection, u: &user::Model) -> user::Model {
    user::Entity::find_by_id(u.id.clone()).one(db).await.unwrap().expect("user exists")
}

// ---------------------------------------------------------------------------------------
// Invitations

db_test!(invite_then_accept_then_sign_in, |db: DatabaseConnection| async move {
    let (o, owner) = make_org(&db, "acme").await;
    let boss = session_actor(&db, &owner).await;

    let invited = users::invite(&db, &boss, invite_input(" Ada@Example.COM ", "Ada Lovelace"), BASE).await.unwrap();
    assert_eq!(invited.email, "ada@example.com");
    assert_eq!(invited.status, "invited");
    assert_eq!(invited.roles.iter().map(|r| r.role_name.as_str()).collect::<Vec<_>>(), ["Viewer"], "Viewer by default");
    let row = user::Entity::find_by_id(invited.id.clone()).one(&db).await.unwrap().unwrap();
    assert!(row.password_hash.is_none());

    // The mail: plain text with the full link; only the token's hash is stored.
    let mail = last_mail(&db, "ada@example.com").await;
    assert_eq!(mail.org_id, o.id);
    assert!(mail.sent_at.is_none());
    let token = link_token(&mail.body, "invite");
    let stored = user_token::Entity::find()
        .filter(user_token::Column::UserId.eq(invited.id.as_str()))
        .one(&db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.kind, "invite");
    assert_ne!(stored.token_hash, token);
    assert_eq!(stored.token_hash, users::hash_token(&token));
    let days = (stored.expires_at - stored.created_at).num_hours();
    assert_eq!(days, 7 * 24);

    let info = users::invite_info(&db, &token).await.unwrap();
    assert_eq!((info.email.as_str(), info.org_name.as_str()), ("ada@example.com", "Org acme"));

    // Bad passwords: field errors, nothing used up.
    let e = err(users::accept_invite(&db, &token, "short", "short", &meta()).await);
    assert_eq!(e.code, ErrorCode::ValidationError);
    assert!(e.field("password").is_some());
    let e = err(users::accept_invite(&db, &token, PASSWORD, "something else entirely", &meta()).await);
    assert!(e.field("password_confirm").is_some());
    assert_eq!(err(login(&db, "ada@example.com", PASSWORD).await).code, ErrorCode::Unauthenticated, "no password yet");

    let su = users::accept_invite(&db, &token, PASSWORD, PASSWORD, &meta()).await.unwrap();
    assert_eq!(su.user_id, invited.id);
    let ada = user::Entity::find_by_id(invited.id.clone()).one(&db).await.unwrap().unwrap();
    assert_eq!(ada.status, "active");
    assert!(ada.last_login_at.is_some());
    assert!(auth::session_actor(&db, &su, Duration::hours(24), &meta()).await.unwrap().is_some(), "signed in");

    // Single use.
    assert_eq!(
        err(users::accept_invite(&db, &token, NEW_PASSWORD, NEW_PASSWORD, &meta()).await).code,
        ErrorCode::NotFound
    );
    assert_eq!(err(users::invite_info(&db, &token).await).code, ErrorCode::NotFound);

    // Signs in with the chosen password.
    assert_eq!(login(&db, "ada@example.com", PASSWORD).await.unwrap().user_id, ada.id);

    let acts = actions(&db, &o.id).await;
    for a in ["user.invited", "role_assignment.created", "user.invite_accepted"] {
        assert!(acts.iter().any(|x| x == a), "{a} missing in {acts:?}");
    }
    let accepted = events(&db, &o.id).await.into_iter().find(|e| e.action == "user.invite_accepted").unwrap();
    assert_eq!(accepted.actor_id.as_deref(), Some(ada.id.as_str()));
    assert!(accepted.before_json.unwrap().contains("invited"));
    assert!(accepted.after_json.unwrap().contains("active"));
    audit_clean(&db, &o.id).await;
});

db_test!(expired_and_replaced_invitations_do_not_work, |db: DatabaseConnection| async move {
    let (o, owner) = make_org(&db, "acme").await;
    let boss = session_actor(&db, &owner).await;

    // Expired.
    let u = users::invite(&db, &boss, invite_input("late@example.com", "Late Larry"), BASE).await.unwrap();
    let token = link_token(&last_mail(&db, "late@example.com").await.body, "invite");
    user_token::Entity::update_many()
        .col_expr(user_token::Column::ExpiresAt, Expr::value(db::now() - Duration::minutes(1)))
        .filter(user_token::Column::UserId.eq(u.id.as_str()))
        .exec(&db)
        .await
        .unwrap();
    assert_eq!(err(users::invite_info(&db, &token).await).code, ErrorCode::NotFound);
    assert_eq!(err(users::accept_invite(&db, &token, PASSWORD, PASSWORD, &meta()).await).code, ErrorCode::NotFound);

    // Re-inviting issues a new link; the old one stops working. Still one user.
    let again = users::invite(&db, &boss, invite_input("late@example.com", "Larry Late"), BASE).await.unwrap();
    assert_eq!(again.id, u.id);
    assert_eq!(again.display_name, "Larry Late");
    let first = link_token(&last_mail(&db, "late@example.com").await.body, "invite");
    let resent = users::resend_invite(&db, &boss, &u.id, BASE).await.unwrap();
    assert_eq!(resent.id, u.id);
    let second = link_token(&last_mail(&db, "late@example.com").await.body, "invite");
    assert_ne!(first, second);
    assert_eq!(err(users::invite_info(&db, &first).await).code, ErrorCode::NotFound, "replaced by the resend");
    assert_eq!(user::Entity::find().filter(user::Column::Email.eq("late@example.com")).count(&db).await.unwrap(), 1);
    assert_eq!(
        outbox_row::Entity::find().filter(outbox_row::Column::ToEmail.eq("late@example.com")).count(&db).await.unwrap(),
        3
    );
    users::accept_invite(&db, &second, PASSWORD, PASSWORD, &meta()).await.unwrap();

    // An email that already has an active account: CONFLICT on the email field.
    let e = err(users::invite(&db, &boss, invite_input("LATE@example.com", "Again"), BASE).await);
    assert_eq!(e.code, ErrorCode::Conflict);
    assert!(e.field("email").is_some());
    assert_eq!(err(users::resend_invite(&db, &boss, &u.id, BASE).await).code, ErrorCode::Conflict);

    // Bad input is a field error, and nothing is created.
    let before = user::Entity::find().filter(user::Column::OrgId.eq(o.id.as_str())).count(&db).await.unwrap();
    let e = err(users::invite(&db, &boss, invite_input("not-an-email", ""), BASE).await);
    assert!(e.field("email").is_some() && e.field("display_name").is_some(), "{e:?}");
    let mut bad_role = invite_input("x@example.com", "X");
    bad_role.role_id = Some("role-nope".into());
    assert!(err(users::invite(&db, &boss, bad_role, BASE).await).field("role_id").is_some());
    let mut bad_team = invite_input("x@example.com", "X");
    bad_team.team_id = Some("no-such-team".into());
    assert!(err(users::invite(&db, &boss, bad_team, BASE).await).field("team_id").is_some());
    assert_eq!(user::Entity::find().filter(user::Column::OrgId.eq(o.id.as_str())).count(&db).await.unwrap(), before);
    audit_clean(&db, &o.id).await;
});

db_test!(invite_roles_follow_the_grant_rules, |db: DatabaseConnection| async move {
    let (o, owner) = make_org(&db, "acme").await;
    let boss = session_actor(&db, &owner).await;
    let (_, admin) = join(&db, &boss, "admin@example.com", BuiltInRole::Admin).await;
    let (_, viewer) = join(&db, &boss, "viewer@example.com", BuiltInRole::Viewer).await;

    // A Viewer cannot invite at all.
    assert_eq!(
        err(users::invite(&db, &viewer, invite_input("v2@example.com", "V"), BASE).await).code,
        ErrorCode::PermissionDenied
    );
    // An Admin invites Viewers and Approvers but cannot make an Owner.
    users::invite(&db, &admin, invite_input("v3@example.com", "V"), BASE).await.unwrap();
    users::invite(&db, &admin, with_role(invite_input("ap@example.com", "A"), BuiltInRole::Approver), BASE)
        .await
        .unwrap();
    let e = err(
        users::invite(&db, &admin, with_role(invite_input("own@example.com", "O"), BuiltInRole::Owner), BASE).await
    );
    assert_eq!(e.code, ErrorCode::PermissionDenied);
    assert!(e.message.contains("org.manage"), "{e:?}");
    assert!(user::Entity::find().filter(user::Column::Email.eq("own@example.com")).one(&db).await.unwrap().is_none());

    // A role at a team that exists.
    let team = app::services::org::teams::create(
        &db,
        &boss,
        app::services::org::teams::NewTeam { name: "Support".into(), parent_team_id: None },
    )
    .await
    .unwrap();
    let mut at_team = with_role(invite_input("lead@example.com", "Lead"), BuiltInRole::StoreManager);
    at_team.scope = Some(ScopeRef::Team(team.id.clone()));
    at_team.team_id = Some(team.id.clone());
    let lead = users::invite(&db, &boss, at_team, BASE).await.unwrap();
    assert_eq!(lead.team_name.as_deref(), Some("Support"));
    assert_eq!(lead.roles[0].scope_type, "team");
    assert_eq!(lead.roles[0].label(), "Store manager (team Support)");
    audit_clean(&db, &o.id).await;
});

// ---------------------------------------------------------------------------------------
// Listing

db_test!(search_and_pages_cover_everyone_once, |db: DatabaseConnection| async move {
    let (o, owner) = make_org(&db, "acme").await;
    let boss = session_actor(&db, &owner).await;
    for i in 0..25 {
        let name = if i % 5 == 0 { format!("Ada Number{i}") } else { format!("Person {i}") };
        users::invite(&db, &boss, invite_input(&format!("p{i:02}@example.com"), &name), BASE).await.unwrap();
    }
    let (_, viewer) = join(&db, &boss, "zed@example.com", BuiltInRole::Viewer).await;
    // 25 invited + the owner + the viewer.
    let total = 27;

    // A Viewer reads the list (read-only), in pages of 10.
    let mut seen = Vec::new();
    let mut cursor = None;
    let mut pages = 0;
    loop {
        let page =
            users::list(&db, &viewer, ListQuery { q: None, cursor: cursor.clone(), limit: Some(10) }).await.unwrap();
        assert!(!page.can_manage);
        assert!(page.users.len() <= 10);
        seen.extend(page.users.iter().map(|u| (u.email.clone(), u.id.clone())));
        pages += 1;
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(seen.len(), total);
    let unique: HashSet<_> = seen.iter().map(|(_, id)| id.clone()).collect();
    assert_eq!(unique.len(), total, "no duplicates");
    let mut sorted = seen.clone();
    sorted.sort();
    assert_eq!(seen, sorted, "ordered by email");

    // Search: email or name, any case; LIKE wildcards are literal.
    let ada = users::list(&db, &boss, ListQuery { q: Some("  aDA ".into()), ..Default::default() }).await.unwrap();
    assert!(ada.can_manage);
    assert_eq!(ada.users.len(), 5);
    assert!(ada.users.iter().all(|u| u.display_name.starts_with("Ada")));
    let one = users::list(&db, &boss, ListQuery { q: Some("P07@EXAMPLE".into()), ..Default::default() }).await.unwrap();
    assert_eq!(one.users.iter().map(|u| u.email.as_str()).collect::<Vec<_>>(), ["p07@example.com"]);
    let none = users::list(&db, &boss, ListQuery { q: Some("%".into()), ..Default::default() }).await.unwrap();
    assert!(none.users.is_empty(), "% is not a wildcard");
    // Search pages too.
    let first =
        users::list(&db, &boss, ListQuery { q: Some("ada".into()), limit: Some(2), cursor: None }).await.unwrap();
    let second =
        users::list(&db, &boss, ListQuery { q: Some("ada".into()), limit: Some(2), cursor: first.next_cursor })
            .await
            .unwrap();
    assert_eq!(first.users.len() + second.users.len(), 4);
    assert!(first.users.iter().all(|u| !second.users.contains(u)));

    // Bad paging input.
    assert!(err(users::list(&db, &boss, ListQuery { cursor: Some("zz".into()), ..Default::default() }).await)
        .field("cursor")
        .is_some());
    assert!(err(users::list(&db, &boss, ListQuery { limit: Some(0), ..Default::default() }).await)
        .field("limit")
        .is_some());
    assert!(err(users::list(&db, &boss, ListQuery { limit: Some(201), ..Default::default() }).await)
        .field("limit")
        .is_some());
    let _ = o;
});

// ---------------------------------------------------------------------------------------
// Suspension, deletion, the last Owner

db_test!(suspending_ends_sessions_at_once, |db: DatabaseConnection| async move {
    let (o, owner) = make_org(&db, "acme").await;
    let boss = session_actor(&db, &owner).await;
    let (bob, _) = join(&db, &boss, "bob@example.com", BuiltInRole::Approver).await;
    add_session(&db, &bob).await;
    add_session(&db, &bob).await;
    let keep = add_session(&db, &owner).await;
    let su = SessionUser { user_id: bob.id.clone(), org_id: o.id.clone(), login_at: db::now().timestamp() };

    let v = users::update(&db, &boss, &bob.id, UserPatch { status: Some("suspended".into()), ..Default::default() })
        .await
        .unwrap();
    assert_eq!(v.status, "suspended");
    assert!(sessions_of(&db, &bob).await.is_empty(), "bob's sessions are gone");
    assert_eq!(sessions_of(&db, &owner).await, [keep], "others' sessions stay");
    assert!(
        auth::session_actor(&db, &su, Duration::hours(24), &meta()).await.unwrap().is_none(),
        "rejected on the next request"
    );
    assert_eq!(err(login(&db, "bob@example.com", PASSWORD).await).code, ErrorCode::Unauthenticated);

    // Reactivate: signs in again. Suspending twice or reactivating an active person changes nothing.
    let v = users::update(&db, &boss, &bob.id, UserPatch { status: Some("active".into()), ..Default::default() })
        .await
        .unwrap();
    assert_eq!(v.status, "active");
    login(&db, "bob@example.com", PASSWORD).await.unwrap();
    let seq = events(&db, &o.id).await.len();
    users::update(&db, &boss, &bob.id, UserPatch { status: Some("active".into()), ..Default::default() })
        .await
        .unwrap();
    assert_eq!(events(&db, &o.id).await.len(), seq, "no-op writes no event");
    assert!(err(
        users::update(&db, &boss, &bob.id, UserPatch { status: Some("gone".into()), ..Default::default() }).await
    )
    .field("status")
    .is_some());

    // An invited person suspended and reactivated goes back to invited (no password yet).
    let inv = users::invite(&db, &boss, invite_input("inv@example.com", "Inv"), BASE).await.unwrap();
    users::update(&db, &boss, &inv.id, UserPatch { status: Some("suspended".into()), ..Default::default() })
        .await
        .unwrap();
    let v = users::update(&db, &boss, &inv.id, UserPatch { status: Some("active".into()), ..Default::default() })
        .await
        .unwrap();
    assert_eq!(v.status, "invited");

    let acts = actions(&db, &o.id).await;
    assert!(acts.contains(&"user.suspended".to_string()) && acts.contains(&"user.reactivated".to_string()), "{acts:?}");
    audit_clean(&db, &o.id).await;
});

db_test!(the_last_active_owner_cannot_be_suspended_or_deleted, |db: DatabaseConnection| async move {
    let (o, owner) = make_org(&db, "acme").await;
    let boss = session_actor(&db, &owner).await;
    let (_, admin) = join(&db, &boss, "admin@example.com", BuiltInRole::Admin).await;
    let owner_key = key_actor(&db, &o, BuiltInRole::Owner).await;

    // Nobody suspends or deletes themselves.
    assert_eq!(
        err(users::update(&db, &boss, &owner.id, UserPatch { status: Some("suspended".into()), ..Default::default() })
            .await)
        .code,
        ErrorCode::Conflict
    );
    assert_eq!(err(users::delete(&db, &boss, &owner.id).await).code, ErrorCode::Conflict);
    // An Admin cannot switch off an Owner (they lack org.manage).
    assert_eq!(
        err(users::update(
            &db,
            &admin,
            &owner.id,
            UserPatch { status: Some("suspended".into()), ..Default::default() }
        )
        .await)
        .code,
        ErrorCode::PermissionDenied
    );
    assert_eq!(err(users::delete(&db, &admin, &owner.id).await).code, ErrorCode::PermissionDenied);
    // An Owner key may, but not the last active Owner.
    let e = err(users::update(
        &db,
        &owner_key,
        &owner.id,
        UserPatch { status: Some("suspended".into()), ..Default::default() },
    )
    .await);
    assert_eq!(e.code, ErrorCode::Conflict);
    assert!(e.message.contains("last active Owner"), "{e:?}");
    assert_eq!(err(users::delete(&db, &owner_key, &owner.id).await).code, ErrorCode::Conflict);

    // An invited Owner does not count; an active second Owner does.
    let second =
        users::invite(&db, &boss, with_role(invite_input("o2@example.com", "Second Owner"), BuiltInRole::Owner), BASE)
            .await
            .unwrap();
    assert_eq!(err(users::delete(&db, &owner_key, &owner.id).await).code, ErrorCode::Conflict);
    let token = link_token(&last_mail(&db, "o2@example.com").await.body, "invite");
    users::accept_invite(&db, &token, PASSWORD, PASSWORD, &meta()).await.unwrap();
    users::update(&db, &owner_key, &owner.id, UserPatch { status: Some("suspended".into()), ..Default::default() })
        .await
        .unwrap();
    // Now the second is the last active one.
    assert_eq!(
        err(users::update(
            &db,
            &owner_key,
            &second.id,
            UserPatch { status: Some("suspended".into()), ..Default::default() }
        )
        .await)
        .code,
        ErrorCode::Conflict
    );
    assert_eq!(reload(&db, &owner).await.status, "suspended");
    audit_clean(&db, &o.id).await;
});

db_test!(deleting_removes_roles_tokens_and_sessions, |db: DatabaseConnection| async move {
    let (o, owner) = make_org(&db, "acme").await;
    let boss = session_actor(&db, &owner).await;
    let (carol, _) = join(&db, &boss, "carol@example.com", BuiltInRole::Auditor).await;
    add_session(&db, &carol).await;
    let (_, viewer) = join(&db, &boss, "viewer@example.com", BuiltInRole::Viewer).await;

    assert_eq!(err(users::delete(&db, &viewer, &carol.id).await).code, ErrorCode::PermissionDenied);
    users::delete(&db, &boss, &carol.id).await.unwrap();
    assert!(user::Entity::find_by_id(carol.id.clone()).one(&db).await.unwrap().is_none());
    assert_eq!(
        role_assignment::Entity::find()
            .filter(role_assignment::Column::UserId.eq(carol.id.as_str()))
            .count(&db)
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        user_token::Entity::find().filter(user_token::Column::UserId.eq(carol.id.as_str())).count(&db).await.unwrap(),
        0
    );
    assert!(sessions_of(&db, &carol).await.is_empty());
    assert_eq!(err(users::get(&db, &boss, &carol.id).await).code, ErrorCode::NotFound);
    assert_eq!(err(users::delete(&db, &boss, &carol.id).await).code, ErrorCode::NotFound);

    let deleted = events(&db, &o.id).await.into_iter().find(|e| e.action == "user.deleted").unwrap();
    let before = deleted.before_json.unwrap();
    assert!(before.contains("carol@example.com") && before.contains("Auditor"), "{before}");
    audit_clean(&db, &o.id).await;
});

db_test!(editing_name_and_team, |db: DatabaseConnection| async move {
    let (o, owner) = make_org(&db, "acme").await;
    let boss = session_actor(&db, &owner).await;
    let (dan, dan_actor) = join(&db, &boss, "dan@example.com", BuiltInRole::Viewer).await;
    let team = app::services::org::teams::create(
        &db,
        &boss,
        app::services::org::teams::NewTeam { name: "Ops".into(), parent_team_id: None },
    )
    .await
    .unwrap();

    let v = users::update(
        &db,
        &boss,
        &dan.id,
        UserPatch { display_name: Some("  Dan Danson ".into()), team_id: Some(Some(team.id.clone())), status: None },
    )
    .await
    .unwrap();
    assert_eq!((v.display_name.as_str(), v.team_name.as_deref()), ("Dan Danson", Some("Ops")));
    let v = users::update(&db, &boss, &dan.id, UserPatch { team_id: Some(None), ..Default::default() }).await.unwrap();
    assert_eq!(v.team_id, None);
    assert!(err(users::update(
        &db,
        &boss,
        &dan.id,
        UserPatch { display_name: Some(" ".into()), ..Default::default() }
    )
    .await)
    .field("display_name")
    .is_some());
    assert!(err(users::update(
        &db,
        &boss,
        &dan.id,
        UserPatch { team_id: Some(Some("nope".into())), ..Default::default() }
    )
    .await)
    .field("team_id")
    .is_some());
    assert_eq!(
        err(users::update(
            &db,
            &dan_actor,
            &dan.id,
            UserPatch { display_name: Some("Me".into()), ..Default::default() }
        )
        .await)
        .code,
        ErrorCode::PermissionDenied
    );
    let updated = events(&db, &o.id).await.into_iter().filter(|e| e.action == "user.updated").collect::<Vec<_>>();
    assert_eq!(updated.len(), 2);
    assert!(updated[0].before_json.as_deref().unwrap().contains("Joining Person"));
    assert!(updated[0].after_json.as_deref().unwrap().contains("Dan Danson"));
    audit_clean(&db, &o.id).await;
});

db_test!(another_orgs_people_are_not_found, |db: DatabaseConnection| async move {
    let (_a, owner_a) = make_org(&db, "org-a").await;
    let (_b, owner_b) = make_org(&db, "org-b").await;
    let a = session_actor(&db, &owner_a).await;
    let b = session_actor(&db, &owner_b).await;
    let (alice, _) = join(&db, &a, "alice@example.com", BuiltInRole::Viewer).await;
    let inv = users::invite(&db, &a, invite_input("inv@example.com", "Inv"), BASE).await.unwrap();

    assert_eq!(err(users::get(&db, &b, &alice.id).await).code, ErrorCode::NotFound);
    assert_eq!(
        err(users::update(&db, &b, &alice.id, UserPatch { status: Some("suspended".into()), ..Default::default() })
            .await)
        .code,
        ErrorCode::NotFound
    );
    assert_eq!(err(users::delete(&db, &b, &alice.id).await).code, ErrorCode::NotFound);
    assert_eq!(err(users::resend_invite(&db, &b, &inv.id, BASE).await).code, ErrorCode::NotFound);
    let list = users::list(&db, &b, ListQuery::default()).await.unwrap();
    assert_eq!(list.users.iter().map(|u| u.email.as_str()).collect::<Vec<_>>(), ["owner@org-b.example.com"]);
    // The same email may be invited in another org.
    users::invite(&db, &b, invite_input("alice@example.com", "Other Alice"), BASE).await.unwrap();
    assert_eq!(reload(&db, &alice).await.status, "active");
});

// ---------------------------------------------------------------------------------------
// Password reset, change, sessions

db_test!(password_reset_by_email_without_enumeration, |db: DatabaseConnection| async move {
    let (o, owner) = make_org(&db, "acme").await;
    let boss = session_actor(&db, &owner).await;
    let (erin, _) = join(&db, &boss, "erin@example.com", BuiltInRole::Viewer).await;
    add_session(&db, &erin).await;
    let mails_before = outbox_row::Entity::find().count(&db).await.unwrap();

    // Unknown email: the same answer, no mail.
    account::request_password_reset(&db, "nobody@example.com", &meta(), BASE).await.unwrap();
    assert_eq!(outbox_row::Entity::find().count(&db).await.unwrap(), mails_before);
    // Malformed email: a field error (says nothing about accounts).
    assert!(err(account::request_password_reset(&db, "nope", &meta(), BASE).await).field("email").is_some());

    account::request_password_reset(&db, " ERIN@example.com", &meta(), BASE).await.unwrap();
    let mail = last_mail(&db, "erin@example.com").await;
    assert_eq!(outbox_row::Entity::find().count(&db).await.unwrap(), mails_before + 1);
    let token = link_token(&mail.body, "reset-password");
    let stored = user_token::Entity::find()
        .filter(user_token::Column::UserId.eq(erin.id.as_str()))
        .filter(user_token::Column::Kind.eq("password_reset"))
        .one(&db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((stored.expires_at - stored.created_at).num_minutes(), 60);
    assert_eq!(account::reset_info(&db, &token).await.unwrap(), "erin@example.com");

    assert!(err(account::reset_password(&db, &token, "short", "short", &meta()).await).field("password").is_some());
    account::reset_password(&db, &token, NEW_PASSWORD, NEW_PASSWORD, &meta()).await.unwrap();
    assert!(sessions_of(&db, &erin).await.is_empty(), "every session ended");
    assert_eq!(err(login(&db, "erin@example.com", PASSWORD).await).code, ErrorCode::Unauthenticated);
    login(&db, "erin@example.com", NEW_PASSWORD).await.unwrap();
    // Single use.
    assert_eq!(err(account::reset_password(&db, &token, PASSWORD, PASSWORD, &meta()).await).code, ErrorCode::NotFound);

    // An expired link.
    account::request_password_reset(&db, "erin@example.com", &meta(), BASE).await.unwrap();
    let token = link_token(&last_mail(&db, "erin@example.com").await.body, "reset-password");
    user_token::Entity::update_many()
        .col_expr(user_token::Column::ExpiresAt, Expr::value(db::now() - Duration::seconds(1)))
        .filter(user_token::Column::UserId.eq(erin.id.as_str()))
        .exec(&db)
        .await
        .unwrap();
    assert_eq!(err(account::reset_info(&db, &token).await).code, ErrorCode::NotFound);

    let acts = actions(&db, &o.id).await;
    assert!(
        acts.contains(&"user.password_reset_requested".to_string())
            && acts.contains(&"user.password_reset".to_string())
    );
    audit_clean(&db, &o.id).await;
});

db_test!(reset_requests_are_limited_the_same_for_unknown_emails, |db: DatabaseConnection| async move {
    let (_o, owner) = make_org(&db, "acme").await;
    for email in [owner.email.as_str(), "ghost@example.com"] {
        for _ in 0..account::RESET_PER_EMAIL {
            account::request_password_reset(&db, email, &meta(), BASE).await.unwrap();
        }
        let e = err(account::request_password_reset(&db, email, &meta(), BASE).await);
        assert_eq!(e.code, ErrorCode::RateLimited, "{email}");
        assert!(e.retry_after_secs.is_some());
    }
    assert_eq!(
        outbox_row::Entity::find()
            .filter(outbox_row::Column::ToEmail.eq(owner.email.as_str()))
            .count(&db)
            .await
            .unwrap(),
        account::RESET_PER_EMAIL as u64
    );
    // Per IP: other emails from the same address are cut off too.
    let ip = RequestMeta { ip: Some("198.51.100.7".into()), request_id: None };
    for i in 0..account::RESET_PER_IP {
        account::request_password_reset(&db, &format!("u{i}@example.com"), &ip, BASE).await.unwrap();
    }
    assert_eq!(
        err(account::request_password_reset(&db, "fresh@example.com", &ip, BASE).await).code,
        ErrorCode::RateLimited
    );
});

db_test!(changing_the_password_needs_the_current_one_and_ends_other_sessions, |db: DatabaseConnection| async move {
    let (o, owner) = make_org(&db, "acme").await;
    let boss = session_actor(&db, &owner).await;
    let (fay, fay_actor) = join(&db, &boss, "fay@example.com", BuiltInRole::Viewer).await;
    let here = add_session(&db, &fay).await;
    add_session(&db, &fay).await;
    add_session(&db, &fay).await;

    let e =
        err(account::change_password(&db, &fay_actor, "wrong password!!", NEW_PASSWORD, NEW_PASSWORD, Some(&here))
            .await);
    assert!(e.field("current_password").is_some(), "{e:?}");
    let e = err(account::change_password(&db, &fay_actor, PASSWORD, "short", "short", Some(&here)).await);
    assert!(e.field("new_password").is_some());
    let e =
        err(account::change_password(&db, &fay_actor, PASSWORD, NEW_PASSWORD, "different words here", Some(&here))
            .await);
    assert!(e.field("new_password_confirm").is_some());
    assert_eq!(sessions_of(&db, &fay).await.len(), 3, "nothing changed yet");

    let ended =
        account::change_password(&db, &fay_actor, PASSWORD, NEW_PASSWORD, NEW_PASSWORD, Some(&here)).await.unwrap();
    assert_eq!(ended, 2);
    assert_eq!(sessions_of(&db, &fay).await, std::slice::from_ref(&here), "this session stays");
    login(&db, "fay@example.com", NEW_PASSWORD).await.unwrap();

    // Wrong current passwords are limited.
    for _ in 0..account::PASSWORD_CHANGE_FAILURES {
        let _ = account::change_password(&db, &fay_actor, "not it at all!!", PASSWORD, PASSWORD, Some(&here)).await;
    }
    let e = err(account::change_password(&db, &fay_actor, NEW_PASSWORD, PASSWORD, PASSWORD, Some(&here)).await);
    assert_eq!(e.code, ErrorCode::RateLimited);

    // An API key has no account.
    let key = key_actor(&db, &o, BuiltInRole::Owner).await;
    assert_eq!(key.kind, ActorKind::ApiKey);
    assert_eq!(err(account::get(&db, &key, None).await).code, ErrorCode::PermissionDenied);
    assert_eq!(
        err(account::change_password(&db, &key, PASSWORD, NEW_PASSWORD, NEW_PASSWORD, None).await).code,
        ErrorCode::PermissionDenied
    );

    let changed = events(&db, &o.id).await.into_iter().find(|e| e.action == "user.password_changed").unwrap();
    assert_eq!(changed.actor_id.as_deref(), Some(fay.id.as_str()));
    audit_clean(&db, &o.id).await;
});

db_test!(account_page_profile_and_sessions, |db: DatabaseConnection| async move {
    let (o, owner) = make_org(&db, "acme").await;
    let me = session_actor(&db, &owner).await;
    let here = add_session(&db, &owner).await;
    add_session(&db, &owner).await;

    let view = account::get(&db, &me, Some(&here)).await.unwrap();
    assert_eq!(view.email, owner.email);
    assert_eq!(view.roles, ["Owner"]);
    assert_eq!(view.sessions.len(), 2);
    assert!(view.sessions[0].current, "the current session comes first");
    assert_eq!(view.sessions.iter().filter(|s| s.current).count(), 1);
    assert!(view.sessions.iter().all(|s| s.signed_in_at.is_some()));

    account::update_profile(&db, &me, "  Olive O. Owner ").await.unwrap();
    assert_eq!(reload(&db, &owner).await.display_name, "Olive O. Owner");
    assert!(err(account::update_profile(&db, &me, "").await).field("display_name").is_some());

    assert_eq!(account::end_other_sessions(&db, &me, Some(&here)).await.unwrap(), 1);
    assert_eq!(sessions_of(&db, &owner).await, [here]);
    let acts = actions(&db, &o.id).await;
    assert!(acts.contains(&"user.profile_updated".to_string()) && acts.contains(&"user.sessions_ended".to_string()));
    audit_clean(&db, &o.id).await;
});

// ---------------------------------------------------------------------------------------
// Outbox

db_test!(outbox_lists_for_admins_and_tracks_delivery, |db: DatabaseConnection| async move {
    let (o, owner) = make_org(&db, "acme").await;
    let (o2, owner2) = make_org(&db, "other").await;
    let boss = session_actor(&db, &owner).await;
    let (_, viewer) = join(&db, &boss, "viewer@example.com", BuiltInRole::Viewer).await;
    for i in 0..3 {
        users::invite(&db, &boss, invite_input(&format!("m{i}@example.com"), "M"), BASE).await.unwrap();
    }
    users::invite(&db, &session_actor(&db, &owner2).await, invite_input("x@example.com", "X"), BASE).await.unwrap();

    assert_eq!(err(outbox::list(&db, &viewer, None, 10, false).await).code, ErrorCode::PermissionDenied);
    let page = outbox::list(&db, &boss, None, 2, false).await.unwrap();
    assert_eq!(page.items.len(), 2);
    assert_eq!(page.items[0].to_email, "m2@example.com", "newest first");
    assert!(page.items[0].body.contains(&format!("{BASE}/invite/")));
    assert_eq!(page.items[0].status, MailStatus::Pending);
    let rest = outbox::list(&db, &boss, page.next_cursor.as_deref(), 10, false).await.unwrap();
    let all: Vec<_> = page.items.iter().chain(rest.items.iter()).map(|m| m.to_email.clone()).collect();
    assert_eq!(
        all,
        ["m2@example.com", "m1@example.com", "m0@example.com", "viewer@example.com"],
        "only this org's mail"
    );

    // The sender's side: claiming holds a message; failures back off; sent is final.
    let now = db::now();
    let claimed = outbox::claim_due(&db, now, 100).await.unwrap();
    assert_eq!(claimed.len(), 5, "both orgs' unsent mail");
    assert!(outbox::claim_due(&db, now, 100).await.unwrap().is_empty(), "held by the first claim");
    let m = &claimed[0];
    outbox::mark_failed(&db, &m.id, "connection refused", false, now).await.unwrap();
    let row = outbox_row::Entity::find_by_id(m.id.clone()).one(&db).await.unwrap().unwrap();
    assert_eq!((row.attempts, row.last_error.as_deref()), (1, Some("connection refused")));
    assert!(row.next_attempt_at.unwrap() > now);
    assert!(outbox::claim_due(&db, now + Duration::seconds(29), 100).await.unwrap().is_empty());
    let again = outbox::claim_due(&db, now + Duration::seconds(31), 100).await.unwrap();
    assert_eq!(
        again.iter().map(|m| m.id.clone()).collect::<Vec<_>>(),
        std::slice::from_ref(&m.id),
        "retried after the back-off"
    );
    outbox::mark_sent(&db, &m.id, now).await.unwrap();
    let row = outbox_row::Entity::find_by_id(m.id.clone()).one(&db).await.unwrap().unwrap();
    assert!(row.sent_at.is_some() && row.last_error.is_none());
    assert_eq!(row.attempts, 2);
    assert!(
        outbox::claim_due(&db, now + Duration::days(1), 100).await.unwrap().iter().all(|x| x.id != m.id),
        "sent is never resent"
    );

    // A permanent refusal gives up at once.
    let p = &claimed[1];
    outbox::mark_failed(&db, &p.id, "550 no such user", true, now).await.unwrap();
    let row = outbox_row::Entity::find_by_id(p.id.clone()).one(&db).await.unwrap().unwrap();
    assert_eq!(row.attempts, MAIL_MAX_ATTEMPTS);
    assert!(outbox::claim_due(&db, now + Duration::days(1), 100).await.unwrap().iter().all(|x| x.id != p.id));
    let listed =
        outbox::list(&db, &session_actor(&db, if p.org_id == o.id { &owner } else { &owner2 }).await, None, 50, true)
            .await
            .unwrap();
    let item = listed.items.iter().find(|i| i.id == p.id).unwrap();
    assert_eq!(item.status, MailStatus::Failed);
    assert!(listed.smtp_configured);
    let _ = o2;
});
