//! Service tests for teams, roles and role assignments, on a fresh SQLite database per test
//! and, when TEST_DATABASE_URL is set, a fresh PostgreSQL database (`<test>::sqlite`,
//! `<test>::postgres`).

use crate::common::audit::{chain_ok, events_since, last_seq};
use crate::common::orgs::make_org;
use crate::common::people::{grant, member, member_with_role, user_actor};
use app::domain::access::ScopeRef;
use app::domain::permission::BuiltInRole;
use app::domain::{AppError, ErrorCode};
use app::entities::{org, user};
use app::services::access::assignments::{self, AssignmentFilter, NewAssignment};
use app::services::access::guards;
use app::services::access::roles::{self, NewRole, RolePatch};
use app::services::org::teams::{self, NewTeam, TeamPatch};
use app::services::{access, Actor};
use sea_orm::{ActiveModelTrait, DatabaseConnection, EntityTrait, Set};

// ---------------------------------------------------------------------------------------
// Fixtures: orgs, people and actors built through the real paths (`common`).

/// A member of the org holding `role` at `scope`, and their actor.
async fn person_with_role(
    conn: &DatabaseConnection,
    org: &org::Model,
    name: &str,
    role: BuiltInRole,
    scope: ScopeRef,
) -> (user::Model, Actor) {
    let u = member_with_role(conn, org, name, role, scope).await;
    let a = user_actor(conn, org, &u).await;
    (u, a)
}

fn team(name: &str, parent: Option<&str>) -> NewTeam {
    NewTeam { name: name.into(), parent_team_id: parent.map(str::to_string) }
}

fn rename(name: &str) -> TeamPatch {
    TeamPatch { name: Some(name.into()), parent_team_id: None }
}

fn move_to(parent: Option<&str>) -> TeamPatch {
    TeamPatch { name: None, parent_team_id: Some(parent.map(str::to_string)) }
}

fn code<T: std::fmt::Debug>(r: Result<T, AppError>) -> AppError {
    r.expect_err("expected an error")
}

// ---------------------------------------------------------------------------------------
// Teams

db_test!(team_crud_with_sibling_names_and_audit, |conn: DatabaseConnection| async move {
    let (org, owner_user) = make_org(&conn, "crud").await;
    let owner = user_actor(&conn, &org, &owner_user).await;
    let start = last_seq(&conn, &org.id).await;

    let eu = teams::create(&conn, &owner, team("  EU  ", None)).await.unwrap();
    assert_eq!(eu.name, "EU");
    assert!(eu.can_manage);
    let north = teams::create(&conn, &owner, team("North", Some(&eu.id))).await.unwrap();
    assert_eq!(north.parent_team_id.as_deref(), Some(eu.id.as_str()));
    let us = teams::create(&conn, &owner, team("US", None)).await.unwrap();
    // Same name in another place is fine; among siblings it is not (case-insensitively).
    teams::create(&conn, &owner, team("North", Some(&us.id))).await.unwrap();
    let dup = code(teams::create(&conn, &owner, team("north", Some(&eu.id))).await);
    assert_eq!(dup.code, ErrorCode::Conflict);
    assert!(dup.field("name").is_some(), "{dup:?}");
    let dup_top = code(teams::create(&conn, &owner, team("eu", None)).await);
    assert_eq!(dup_top.code, ErrorCode::Conflict);

    let long = code(teams::create(&conn, &owner, team(&"x".repeat(201), None)).await);
    assert_eq!(long.code, ErrorCode::ValidationError);
    assert!(long.field("name").is_some());
    let blank = code(teams::create(&conn, &owner, team("   ", None)).await);
    assert_eq!(blank.code, ErrorCode::ValidationError);
    teams::create(&conn, &owner, team(&"y".repeat(200), None)).await.unwrap();
    let no_parent = code(teams::create(&conn, &owner, team("Orphan", Some("no-such-team"))).await);
    assert_eq!(no_parent.code, ErrorCode::NotFound);

    let renamed = teams::update(&conn, &owner, &north.id, rename("Nordics")).await.unwrap();
    assert_eq!(renamed.name, "Nordics");
    let clash = code(teams::update(&conn, &owner, &us.id, rename("EU")).await);
    assert_eq!(clash.code, ErrorCode::Conflict);
    // Moving next to a sibling with the same name is refused too.
    let clash_move = code(
        teams::update(
            &conn,
            &owner,
            &north.id,
            TeamPatch { name: Some("North".into()), parent_team_id: Some(Some(us.id.clone())) },
        )
        .await,
    );
    assert_eq!(clash_move.code, ErrorCode::Conflict);
    let moved = teams::update(&conn, &owner, &north.id, move_to(None)).await.unwrap();
    assert_eq!(moved.parent_team_id, None);

    let member = member(&conn, &org, "Mia", Some(&eu.id)).await;
    let list = teams::list(&conn, &owner, None, None).await.unwrap();
    assert_eq!(list.teams.len(), 5);
    assert!(list.can_create_top_level);
    let eu_view = list.teams.iter().find(|t| t.id == eu.id).unwrap();
    assert_eq!(eu_view.member_count, 1);
    assert_eq!(eu_view.sub_team_count, 0);
    let us_view = teams::get(&conn, &owner, &us.id).await.unwrap();
    assert_eq!(us_view.sub_team_count, 1);

    // Paging walks every team once.
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let page = teams::list(&conn, &owner, cursor.as_deref(), Some(2)).await.unwrap();
        assert!(page.teams.len() <= 2);
        seen.extend(page.teams.into_iter().map(|t| t.id));
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 5);

    // An empty team deletes without reassignment.
    teams::delete(&conn, &owner, &moved.id, None).await.unwrap();
    assert_eq!(code(teams::get(&conn, &owner, &moved.id).await).code, ErrorCode::NotFound);
    let _ = member;

    let events = events_since(&conn, &org.id, start).await;
    let actions: Vec<&str> = events.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions.iter().filter(|a| **a == "team.created").count(), 5);
    assert!(actions.contains(&"team.updated"));
    assert!(actions.contains(&"team.moved"));
    assert!(actions.contains(&"team.deleted"));
    let updated = events.iter().find(|e| e.action == "team.updated").unwrap();
    assert!(updated.before_json.as_deref().unwrap().contains("North"));
    assert!(updated.after_json.as_deref().unwrap().contains("Nordics"));
    let moved_ev = events.iter().find(|e| e.action == "team.moved").unwrap();
    assert!(moved_ev.before_json.as_deref().unwrap().contains(&eu.id));
    assert!(moved_ev.after_json.as_deref().unwrap().contains("\"parent_team_id\":null"));
    assert!(events.iter().all(|e| e.actor_id.as_deref() == Some(owner_user.id.as_str())));
    chain_ok(&conn, &org.id).await;
});

db_test!(moves_that_make_a_cycle_are_refused, |conn: DatabaseConnection| async move {
    let (org, owner_user) = make_org(&conn, "cycles").await;
    let owner = user_actor(&conn, &org, &owner_user).await;
    let a = teams::create(&conn, &owner, team("A", None)).await.unwrap();
    let b = teams::create(&conn, &owner, team("B", Some(&a.id))).await.unwrap();
    let c = teams::create(&conn, &owner, team("C", Some(&b.id))).await.unwrap();
    let before = last_seq(&conn, &org.id).await;

    // Under its own grandchild, its child, itself.
    for target in [&c.id, &b.id, &a.id] {
        let err = code(teams::update(&conn, &owner, &a.id, move_to(Some(target))).await);
        assert_eq!(err.code, ErrorCode::ValidationError, "{err:?}");
        assert!(err.field("parent_team_id").is_some(), "{err:?}");
    }
    let err = code(teams::update(&conn, &owner, &a.id, move_to(Some(&c.id))).await);
    assert!(err.message.contains("loop"), "{}", err.message);
    // Nothing changed, nothing recorded.
    assert_eq!(last_seq(&conn, &org.id).await, before);
    assert_eq!(teams::get(&conn, &owner, &a.id).await.unwrap().parent_team_id, None);

    // The other way round is a legal move.
    teams::update(&conn, &owner, &c.id, move_to(None)).await.unwrap();
    teams::update(&conn, &owner, &a.id, move_to(Some(&c.id))).await.unwrap();
    let tree = access::load_tree(&conn, &org.id).await.unwrap();
    assert_eq!(tree.team_and_ancestors(&b.id), vec![b.id.clone(), a.id.clone(), c.id.clone()]);
    chain_ok(&conn, &org.id).await;
});

db_test!(deleting_a_team_that_is_not_empty_needs_a_destination, |conn: DatabaseConnection| async move {
    let (org, owner_user) = make_org(&conn, "deletes").await;
    let owner = user_actor(&conn, &org, &owner_user).await;
    let eu = teams::create(&conn, &owner, team("EU", None)).await.unwrap();
    let north = teams::create(&conn, &owner, team("North", Some(&eu.id))).await.unwrap();
    let south = teams::create(&conn, &owner, team("South", Some(&eu.id))).await.unwrap();
    let deep = teams::create(&conn, &owner, team("Deep", Some(&north.id))).await.unwrap();
    let other = teams::create(&conn, &owner, team("Other", None)).await.unwrap();
    let mia = member(&conn, &org, "Mia", Some(&eu.id)).await;
    // An assignment at the team ends with it.
    grant(&conn, &org, &mia, BuiltInRole::Approver, ScopeRef::Team(eu.id.clone())).await;

    let err = code(teams::delete(&conn, &owner, &eu.id, None).await);
    assert_eq!(err.code, ErrorCode::Conflict);
    assert!(err.message.contains("1 member") && err.message.contains("2 sub-teams"), "{}", err.message);

    // Not into itself or its own subtree.
    for bad in [&eu.id, &deep.id] {
        let err = code(teams::delete(&conn, &owner, &eu.id, Some(Some(bad.clone()))).await);
        assert_eq!(err.code, ErrorCode::ValidationError, "{err:?}");
        assert!(err.field("reassign_to").is_some());
    }
    let err = code(teams::delete(&conn, &owner, &eu.id, Some(Some("nope".into()))).await);
    assert_eq!(err.code, ErrorCode::NotFound);

    let before = last_seq(&conn, &org.id).await;
    teams::delete(&conn, &owner, &eu.id, Some(Some(other.id.clone()))).await.unwrap();
    let list = teams::list(&conn, &owner, None, None).await.unwrap().teams;
    assert!(list.iter().all(|t| t.id != eu.id));
    for sub in [&north.id, &south.id] {
        assert_eq!(list.iter().find(|t| &t.id == sub).unwrap().parent_team_id.as_deref(), Some(other.id.as_str()));
    }
    assert_eq!(list.iter().find(|t| t.id == deep.id).unwrap().parent_team_id.as_deref(), Some(north.id.as_str()));
    let mia_now = user::Entity::find_by_id(mia.id.clone()).one(&conn).await.unwrap().unwrap();
    assert_eq!(mia_now.team_id.as_deref(), Some(other.id.as_str()));
    assert!(access::user_access(&conn, &org.id, &mia.id).await.unwrap().grants.is_empty());
    let actions: Vec<String> = events_since(&conn, &org.id, before).await.into_iter().map(|e| e.action).collect();
    assert_eq!(
        actions,
        vec!["team.moved", "team.moved", "team.members_moved", "role_assignment.deleted", "team.deleted"]
    );

    // To the top level.
    teams::delete(&conn, &owner, &other.id, Some(None)).await.unwrap();
    let list = teams::list(&conn, &owner, None, None).await.unwrap().teams;
    assert_eq!(list.iter().find(|t| t.id == north.id).unwrap().parent_team_id, None);
    let mia_now = user::Entity::find_by_id(mia.id.clone()).one(&conn).await.unwrap().unwrap();
    assert_eq!(mia_now.team_id, None);
    chain_ok(&conn, &org.id).await;
});

db_test!(a_team_scoped_admin_manages_its_subtree_only, |conn: DatabaseConnection| async move {
    let (org, owner_user) = make_org(&conn, "scoped").await;
    let owner = user_actor(&conn, &org, &owner_user).await;
    let eu = teams::create(&conn, &owner, team("EU", None)).await.unwrap();
    let north = teams::create(&conn, &owner, team("North", Some(&eu.id))).await.unwrap();
    let us = teams::create(&conn, &owner, team("US", None)).await.unwrap();
    let (_, admin) = person_with_role(&conn, &org, "Ada", BuiltInRole::Admin, ScopeRef::Team(eu.id.clone())).await;

    // Inherited by the sub-team: create under it, rename it.
    let se = teams::create(&conn, &admin, team("Sweden", Some(&north.id))).await.unwrap();
    assert!(se.can_manage);
    teams::update(&conn, &admin, &north.id, rename("Nordics")).await.unwrap();
    // A sibling tree and the top level are out of reach.
    for err in [
        code(teams::create(&conn, &admin, team("Canada", Some(&us.id))).await),
        code(teams::update(&conn, &admin, &us.id, rename("USA")).await),
        code(teams::create(&conn, &admin, team("Top", None)).await),
        code(teams::update(&conn, &admin, &north.id, move_to(None)).await),
        code(teams::update(&conn, &admin, &north.id, move_to(Some(&us.id))).await),
        code(teams::delete(&conn, &admin, &us.id, None).await),
    ] {
        assert_eq!(err.code, ErrorCode::PermissionDenied, "{err:?}");
    }
    // The tree itself is visible, with what may be managed marked.
    let list = teams::list(&conn, &admin, None, None).await.unwrap();
    assert!(!list.can_create_top_level);
    let manageable: Vec<bool> = [&eu.id, &north.id, &us.id]
        .iter()
        .map(|id| list.teams.iter().find(|t| &t.id == *id).unwrap().can_manage)
        .collect();
    assert_eq!(manageable, vec![true, true, false]);

    // Roles at a team: assignable at the sub-team, not at the sibling.
    let bo = member(&conn, &org, "Bo", None).await;
    assignments::create(
        &conn,
        &admin,
        NewAssignment {
            user_id: bo.id.clone(),
            role_id: BuiltInRole::Approver.id().into(),
            scope_type: "team".into(),
            scope_id: Some(north.id.clone()),
        },
    )
    .await
    .unwrap();
    let err = code(
        assignments::create(
            &conn,
            &admin,
            NewAssignment {
                user_id: bo.id.clone(),
                role_id: BuiltInRole::Approver.id().into(),
                scope_type: "team".into(),
                scope_id: Some(us.id.clone()),
            },
        )
        .await,
    );
    assert_eq!(err.code, ErrorCode::PermissionDenied);

    // A viewer sees the tree and changes nothing.
    let (_, viewer) = person_with_role(&conn, &org, "Vic", BuiltInRole::Viewer, ScopeRef::Org).await;
    let list = teams::list(&conn, &viewer, None, None).await.unwrap();
    assert_eq!(list.teams.len(), 4);
    assert!(list.teams.iter().all(|t| !t.can_manage));
    assert_eq!(code(teams::create(&conn, &viewer, team("X", None)).await).code, ErrorCode::PermissionDenied);
    assert_eq!(code(roles::list(&conn, &viewer, None, None).await).code, ErrorCode::PermissionDenied);
    assert_eq!(
        code(assignments::list(&conn, &viewer, AssignmentFilter::default(), None, None).await).code,
        ErrorCode::PermissionDenied
    );
    chain_ok(&conn, &org.id).await;
});

// ---------------------------------------------------------------------------------------
// Roles

fn new_role(name: &str, perms: &[&str]) -> NewRole {
    NewRole {
        name: name.into(),
        description: "For tests".into(),
        permissions: perms.iter().map(|s| s.to_string()).collect(),
    }
}

db_test!(custom_roles_are_created_changed_and_deleted_built_ins_are_not, |conn: DatabaseConnection| async move {
    let (org, owner_user) = make_org(&conn, "roles").await;
    let owner = user_actor(&conn, &org, &owner_user).await;
    let start = last_seq(&conn, &org.id).await;

    let list = roles::list(&conn, &owner, None, None).await.unwrap();
    assert_eq!(list.permissions.len(), 14);
    assert!(list.permissions.iter().all(|p| !p.description.is_empty()));
    assert_eq!(
        list.roles.iter().map(|r| r.name.as_str()).take(6).collect::<Vec<_>>(),
        BuiltInRole::ALL.map(|r| r.name()).to_vec()
    );
    assert_eq!(list.roles[0].assignment_count, 1, "the owner holds Owner");
    assert!(list.can_edit);

    let desk = roles::create(&conn, &owner, new_role("Refund desk", &["actions.approve", "audit.read"])).await.unwrap();
    assert!(!desk.built_in);
    assert_eq!(desk.permissions, vec!["actions.approve", "audit.read"]);
    assert_eq!(code(roles::create(&conn, &owner, new_role("refund DESK", &[])).await).code, ErrorCode::Conflict);
    let clash = code(roles::create(&conn, &owner, new_role("owner", &[])).await);
    assert_eq!(clash.code, ErrorCode::Conflict, "a built-in's name is taken");
    assert!(clash.field("name").is_some());

    let unknown = code(roles::create(&conn, &owner, new_role("Pilot", &["audit.read", "fly.plane"])).await);
    assert_eq!(unknown.code, ErrorCode::ValidationError);
    assert!(unknown.field("permissions").unwrap().contains("\"fly.plane\""), "{unknown:?}");
    let unknown = code(
        roles::update(
            &conn,
            &owner,
            &desk.id,
            RolePatch { permissions: Some(vec!["x.y".into()]), ..Default::default() },
        )
        .await,
    );
    assert_eq!(unknown.code, ErrorCode::ValidationError);
    assert!(unknown.message.contains("\"x.y\""));

    let changed = roles::update(
        &conn,
        &owner,
        &desk.id,
        RolePatch {
            name: Some("Refunds".into()),
            description: None,
            permissions: Some(vec!["rules.manage".into(), "audit.read".into()]),
        },
    )
    .await
    .unwrap();
    assert_eq!(changed.name, "Refunds");
    assert_eq!(changed.description, "For tests");
    assert_eq!(changed.permissions, vec!["rules.manage", "audit.read"]);
    assert_eq!(roles::get(&conn, &owner, &desk.id).await.unwrap(), changed);

    // One box of the matrix at a time: composes with the current set.
    let ticked = roles::set_permission(&conn, &owner, &desk.id, "usage.read", true).await.unwrap();
    assert_eq!(ticked.permissions, vec!["rules.manage", "audit.read", "usage.read"]);
    let unticked = roles::set_permission(&conn, &owner, &desk.id, "rules.manage", false).await.unwrap();
    assert_eq!(unticked.permissions, vec!["audit.read", "usage.read"]);
    let seq = last_seq(&conn, &org.id).await;
    let same = roles::set_permission(&conn, &owner, &desk.id, "rules.manage", false).await.unwrap();
    assert_eq!(same.permissions, unticked.permissions);
    assert_eq!(last_seq(&conn, &org.id).await, seq, "no change, no event");
    let err = code(roles::set_permission(&conn, &owner, &desk.id, "fly.plane", true).await);
    assert_eq!(err.code, ErrorCode::ValidationError);
    assert!(err.message.contains("\"fly.plane\""));
    let err = code(roles::set_permission(&conn, &owner, BuiltInRole::Viewer.id(), "audit.read", true).await);
    assert_eq!(err.code, ErrorCode::Conflict);
    let changed = roles::update(
        &conn,
        &owner,
        &desk.id,
        RolePatch { permissions: Some(vec!["rules.manage".into(), "audit.read".into()]), ..Default::default() },
    )
    .await
    .unwrap();
    assert_eq!(changed.permissions, vec!["rules.manage", "audit.read"]);

    // The changed permissions are what holders of the role get.
    let (bo, _) = person_with_role(&conn, &org, "Bo", BuiltInRole::Viewer, ScopeRef::Org).await;
    let a = assignments::create(
        &conn,
        &owner,
        NewAssignment { user_id: bo.id.clone(), role_id: desk.id.clone(), scope_type: "org".into(), scope_id: None },
    )
    .await
    .unwrap();
    let bo_actor = user_actor(&conn, &org, &bo).await;
    assert!(app::services::access::authz::can(
        &bo_actor,
        app::domain::permission::Permission::RulesManage,
        &ScopeRef::Org
    ));

    for built_in in BuiltInRole::ALL {
        let err = code(
            roles::update(&conn, &owner, built_in.id(), RolePatch { name: Some("Mine".into()), ..Default::default() })
                .await,
        );
        assert_eq!(err.code, ErrorCode::Conflict);
        assert!(err.message.contains("built-in"), "{}", err.message);
        assert_eq!(code(roles::delete(&conn, &owner, built_in.id()).await).code, ErrorCode::Conflict);
    }

    let in_use = code(roles::delete(&conn, &owner, &desk.id).await);
    assert_eq!(in_use.code, ErrorCode::Conflict);
    assert!(in_use.message.contains("assigned 1 time"), "{}", in_use.message);
    assignments::delete(&conn, &owner, &a.id).await.unwrap();
    roles::delete(&conn, &owner, &desk.id).await.unwrap();
    assert_eq!(code(roles::get(&conn, &owner, &desk.id).await).code, ErrorCode::NotFound);

    let actions: Vec<String> = events_since(&conn, &org.id, start).await.into_iter().map(|e| e.action).collect();
    for wanted in ["role.created", "role.updated", "role.deleted", "role_assignment.created", "role_assignment.deleted"]
    {
        assert!(actions.iter().any(|a| a == wanted), "{wanted} missing from {actions:?}");
    }
    let updated = events_since(&conn, &org.id, start).await.into_iter().find(|e| e.action == "role.updated").unwrap();
    assert!(updated.before_json.unwrap().contains("actions.approve"));
    assert!(updated.after_json.unwrap().contains("rules.manage"));
    chain_ok(&conn, &org.id).await;
});

// ---------------------------------------------------------------------------------------
// Assignments

db_test!(the_last_active_owner_keeps_the_owner_role, |conn: DatabaseConnection| async move {
    let (org, owner_user) = make_org(&conn, "owners").await;
    let owner = user_actor(&conn, &org, &owner_user).await;
    let owner_assignment = assignments::list(
        &conn,
        &owner,
        AssignmentFilter {
            user_id: Some(owner_user.id.clone()),
            role_id: Some(BuiltInRole::Owner.id().into()),
            ..Default::default()
        },
        None,
        None,
    )
    .await
    .unwrap()
    .assignments
    .pop()
    .unwrap();
    assert!(!owner_assignment.can_remove);
    assert!(guards::is_last_active_owner(&conn, &org.id, &owner_user.id).await.unwrap());

    let before = last_seq(&conn, &org.id).await;
    let err = code(assignments::delete(&conn, &owner, &owner_assignment.id).await);
    assert_eq!(err.code, ErrorCode::Conflict);
    assert!(err.message.starts_with("An organisation needs at least one active Owner"), "{}", err.message);
    assert_eq!(last_seq(&conn, &org.id).await, before);

    // A second active owner makes removal possible — of one of them.
    let (second, second_actor) = person_with_role(&conn, &org, "Sam", BuiltInRole::Owner, ScopeRef::Org).await;
    assert!(!guards::is_last_active_owner(&conn, &org.id, &owner_user.id).await.unwrap());
    // A team-scoped Owner does not count as an org Owner.
    let eu = teams::create(&conn, &owner, team("EU", None)).await.unwrap();
    let (team_owner, _) = person_with_role(&conn, &org, "Tia", BuiltInRole::Owner, ScopeRef::Team(eu.id.clone())).await;
    assert!(!guards::is_last_active_owner(&conn, &org.id, &team_owner.id).await.unwrap());

    // A suspended owner does not count.
    let mut am: user::ActiveModel = second.clone().into();
    am.status = Set(user::STATUS_SUSPENDED.into());
    am.update(&conn).await.unwrap();
    assert!(guards::is_last_active_owner(&conn, &org.id, &owner_user.id).await.unwrap());
    assert!(!guards::is_last_active_owner(&conn, &org.id, &second.id).await.unwrap());
    assert_eq!(code(assignments::delete(&conn, &owner, &owner_assignment.id).await).code, ErrorCode::Conflict);
    let mut am: user::ActiveModel = second.clone().into();
    am.status = Set(user::STATUS_ACTIVE.into());
    am.update(&conn).await.unwrap();

    // Now the first owner's assignment goes (removed by the second owner) …
    assignments::delete(&conn, &second_actor, &owner_assignment.id).await.unwrap();
    // … and the second is the last one.
    assert!(guards::is_last_active_owner(&conn, &org.id, &second.id).await.unwrap());
    let second_assignment = assignments::list(
        &conn,
        &second_actor,
        AssignmentFilter { user_id: Some(second.id.clone()), scope_type: Some("org".into()), ..Default::default() },
        None,
        None,
    )
    .await
    .unwrap()
    .assignments
    .pop()
    .unwrap();
    assert_eq!(code(assignments::delete(&conn, &second_actor, &second_assignment.id).await).code, ErrorCode::Conflict);
    chain_ok(&conn, &org.id).await;
});

db_test!(nobody_grants_or_removes_more_than_they_hold, |conn: DatabaseConnection| async move {
    let (org, owner_user) = make_org(&conn, "escalation").await;
    let owner = user_actor(&conn, &org, &owner_user).await;
    let (_, admin) = person_with_role(&conn, &org, "Ada", BuiltInRole::Admin, ScopeRef::Org).await;
    let bo = member(&conn, &org, "Bo", None).await;
    let assign = |role: &str, scope_type: &str, scope_id: Option<&str>| NewAssignment {
        user_id: bo.id.clone(),
        role_id: role.into(),
        scope_type: scope_type.into(),
        scope_id: scope_id.map(str::to_string),
    };

    // Owner holds org.manage, which an Admin lacks.
    let err = code(assignments::create(&conn, &admin, assign(BuiltInRole::Owner.id(), "org", None)).await);
    assert_eq!(err.code, ErrorCode::PermissionDenied);
    assert!(err.message.contains("org.manage"), "{}", err.message);
    // A role within the Admin's own permissions is fine.
    let sm = assignments::create(&conn, &admin, assign(BuiltInRole::StoreManager.id(), "org", None)).await.unwrap();
    assert_eq!(sm.role_name, "Store manager");
    assert_eq!(sm.scope_name, "Organisation");
    let dup = code(assignments::create(&conn, &admin, assign(BuiltInRole::StoreManager.id(), "org", None)).await);
    assert_eq!(dup.code, ErrorCode::Conflict);
    // Custom roles: an Admin can't build one with org.manage, nor hand one out.
    assert_eq!(
        code(roles::create(&conn, &admin, new_role("Boss", &["org.manage"])).await).code,
        ErrorCode::PermissionDenied
    );
    let boss = roles::create(&conn, &owner, new_role("Boss", &["org.manage", "audit.read"])).await.unwrap();
    assert_eq!(
        code(assignments::create(&conn, &admin, assign(&boss.id, "org", None)).await).code,
        ErrorCode::PermissionDenied
    );
    // … nor take org.manage out of it, while editing its description is fine.
    let err = code(
        roles::update(
            &conn,
            &admin,
            &boss.id,
            RolePatch { permissions: Some(vec!["audit.read".into()]), ..Default::default() },
        )
        .await,
    );
    assert_eq!(err.code, ErrorCode::PermissionDenied);
    roles::update(&conn, &admin, &boss.id, RolePatch { description: Some("The boss".into()), ..Default::default() })
        .await
        .unwrap();
    assert_eq!(
        code(roles::set_permission(&conn, &admin, &boss.id, "org.manage", false).await).code,
        ErrorCode::PermissionDenied
    );
    roles::set_permission(&conn, &admin, &boss.id, "usage.read", true).await.unwrap();
    // An Admin cannot remove an Owner's assignment.
    let owner_assignment = assignments::list(
        &conn,
        &admin,
        AssignmentFilter { role_id: Some(BuiltInRole::Owner.id().into()), ..Default::default() },
        None,
        None,
    )
    .await
    .unwrap()
    .assignments
    .pop()
    .unwrap();
    assert!(!owner_assignment.can_remove);
    assert_eq!(code(assignments::delete(&conn, &admin, &owner_assignment.id).await).code, ErrorCode::PermissionDenied);
    // Store scope: no stores exist yet (issue 5).
    let err = code(assignments::create(&conn, &owner, assign(BuiltInRole::Viewer.id(), "store", Some("any"))).await);
    assert_eq!(err.code, ErrorCode::NotFound);
    let err = code(assignments::create(&conn, &owner, assign(BuiltInRole::Viewer.id(), "galaxy", None)).await);
    assert_eq!(err.code, ErrorCode::ValidationError);
    let err = code(assignments::create(&conn, &owner, assign(BuiltInRole::Viewer.id(), "team", None)).await);
    assert_eq!(err.code, ErrorCode::ValidationError);
    // Owners may grant Owner.
    let made = assignments::create(&conn, &owner, assign(BuiltInRole::Owner.id(), "org", None)).await.unwrap();
    assert_eq!(made.role_name, "Owner");

    // Everything above left a valid chain, with the grants and removals recorded.
    let events = events_since(&conn, &org.id, 0).await;
    assert!(events
        .iter()
        .any(|e| e.action == "role_assignment.created" && e.entity_id.as_deref() == Some(made.id.as_str())));
    chain_ok(&conn, &org.id).await;
});

db_test!(another_orgs_ids_are_not_found, |conn: DatabaseConnection| async move {
    let (org_a, owner_user_a) = make_org(&conn, "alpha").await;
    let (org_b, owner_user_b) = make_org(&conn, "beta").await;
    let owner_a = user_actor(&conn, &org_a, &owner_user_a).await;
    let owner_b = user_actor(&conn, &org_b, &owner_user_b).await;
    let team_b = teams::create(&conn, &owner_b, team("B team", None)).await.unwrap();
    let role_b = roles::create(&conn, &owner_b, new_role("B role", &["audit.read"])).await.unwrap();
    let person_b = member(&conn, &org_b, "Bea", None).await;
    let assignment_b = assignments::create(
        &conn,
        &owner_b,
        NewAssignment {
            user_id: person_b.id.clone(),
            role_id: role_b.id.clone(),
            scope_type: "team".into(),
            scope_id: Some(team_b.id.clone()),
        },
    )
    .await
    .unwrap();
    let person_a = member(&conn, &org_a, "Ari", None).await;
    let team_a = teams::create(&conn, &owner_a, team("A team", None)).await.unwrap();
    let before_a = last_seq(&conn, &org_a.id).await;
    let before_b = last_seq(&conn, &org_b.id).await;

    let errs = vec![
        code(teams::get(&conn, &owner_a, &team_b.id).await),
        code(teams::update(&conn, &owner_a, &team_b.id, rename("Mine")).await),
        code(teams::delete(&conn, &owner_a, &team_b.id, None).await),
        code(teams::create(&conn, &owner_a, team("Child", Some(&team_b.id))).await),
        code(teams::update(&conn, &owner_a, &team_a.id, move_to(Some(&team_b.id))).await),
        code(teams::delete(&conn, &owner_a, &team_a.id, Some(Some(team_b.id.clone()))).await),
        code(roles::get(&conn, &owner_a, &role_b.id).await),
        code(
            roles::update(&conn, &owner_a, &role_b.id, RolePatch { name: Some("x".into()), ..Default::default() })
                .await,
        ),
        code(roles::delete(&conn, &owner_a, &role_b.id).await),
        code(roles::set_permission(&conn, &owner_a, &role_b.id, "usage.read", true).await),
        code(assignments::delete(&conn, &owner_a, &assignment_b.id).await),
        code(
            assignments::create(
                &conn,
                &owner_a,
                NewAssignment {
                    user_id: person_b.id.clone(),
                    role_id: BuiltInRole::Viewer.id().into(),
                    scope_type: "org".into(),
                    scope_id: None,
                },
            )
            .await,
        ),
        code(
            assignments::create(
                &conn,
                &owner_a,
                NewAssignment {
                    user_id: person_a.id.clone(),
                    role_id: role_b.id.clone(),
                    scope_type: "org".into(),
                    scope_id: None,
                },
            )
            .await,
        ),
        code(
            assignments::create(
                &conn,
                &owner_a,
                NewAssignment {
                    user_id: person_a.id.clone(),
                    role_id: BuiltInRole::Viewer.id().into(),
                    scope_type: "team".into(),
                    scope_id: Some(team_b.id.clone()),
                },
            )
            .await,
        ),
    ];
    for (i, e) in errs.iter().enumerate() {
        assert_eq!(e.code, ErrorCode::NotFound, "case {i}: {e:?}");
    }
    // Lists never show the other org's rows.
    assert!(teams::list(&conn, &owner_a, None, None).await.unwrap().teams.iter().all(|t| t.id != team_b.id));
    assert!(roles::list(&conn, &owner_a, None, None).await.unwrap().roles.iter().all(|r| r.id != role_b.id));
    let listed = assignments::list(&conn, &owner_a, AssignmentFilter::default(), None, None).await.unwrap();
    assert!(listed.assignments.iter().all(|x| x.user_id != person_b.id));
    assert!(assignments::options(&conn, &owner_a).await.unwrap().users.iter().all(|u| u.value != person_b.id));
    // Nothing was written to either chain.
    assert_eq!(last_seq(&conn, &org_a.id).await, before_a);
    assert_eq!(last_seq(&conn, &org_b.id).await, before_b);
    chain_ok(&conn, &org_a.id).await;
    chain_ok(&conn, &org_b.id).await;
});
