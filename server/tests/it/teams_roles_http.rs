//! HTTP tests of /api/v1/teams, /api/v1/roles and /api/v1/role-assignments against the
//! real server on port 0: status codes, 201 on create, 204 on delete, problem+json codes.

use crate::support;

use app::domain::permission::BuiltInRole;
use serde_json::{json, Value};
use support::{Fixture, Req, Res};

async fn call(fx: &Fixture, key: &str, req: Req) -> Res {
    fx.call_with_key(key, &req).await
}

fn field(res: &Res) -> Option<&str> {
    res.body.get("errors").and_then(|e| e.get(0)).and_then(|e| e.get("field")).and_then(Value::as_str)
}

fn id(res: &Res) -> String {
    res.body["id"].as_str().unwrap_or_else(|| panic!("no id in {:?}", res.body)).to_string()
}

#[tokio::test]
async fn teams_over_rest() {
    let fx = Fixture::start().await;
    let owner = fx.org_a.keys["Owner"].clone();
    let viewer = fx.org_a.keys["Viewer"].clone();
    let other_org = fx.org_b.keys["Owner"].clone();

    let eu = call(&fx, &owner, Req::json("POST", "/api/v1/teams", json!({"name": "EU"}))).await;
    assert_eq!(eu.status, 201, "{:?}", eu.body);
    assert_eq!(eu.body["name"], "EU");
    assert_eq!(eu.body["parent_team_id"], Value::Null);
    let eu_id = id(&eu);
    let north =
        call(&fx, &owner, Req::json("POST", "/api/v1/teams", json!({"name": "North", "parent_team_id": eu_id}))).await;
    assert_eq!(north.status, 201);
    let north_id = id(&north);

    // Invalid bodies and names.
    let res = call(&fx, &owner, Req::json("POST", "/api/v1/teams", json!({"name": ""}))).await;
    assert_eq!((res.status, res.code(), field(&res)), (422, Some("VALIDATION_ERROR"), Some("name")));
    let res = call(&fx, &owner, Req::json("POST", "/api/v1/teams", json!({"name": "X", "colour": "red"}))).await;
    assert_eq!((res.status, res.code()), (422, Some("VALIDATION_ERROR")), "unknown fields are refused: {:?}", res.body);
    let res = call(&fx, &owner, Req::json("POST", "/api/v1/teams", json!({"name": "eu"}))).await;
    assert_eq!((res.status, res.code()), (409, Some("CONFLICT")));

    let list = call(&fx, &viewer, Req::get("/api/v1/teams")).await;
    assert_eq!(list.status, 200, "viewers see the tree");
    assert_eq!(list.body["items"].as_array().unwrap().len(), 2);
    assert_eq!(list.body["next_cursor"], Value::Null);
    let page = call(&fx, &owner, Req::get("/api/v1/teams?limit=1")).await;
    assert_eq!(page.body["items"].as_array().unwrap().len(), 1);
    let cursor = page.body["next_cursor"].as_str().unwrap().to_string();
    let rest = call(&fx, &owner, Req::get(format!("/api/v1/teams?limit=1&cursor={cursor}"))).await;
    assert_ne!(rest.body["items"][0]["id"], page.body["items"][0]["id"]);
    let res = call(&fx, &owner, Req::get("/api/v1/teams?limit=0")).await;
    assert_eq!(res.status, 422);

    let got = call(&fx, &viewer, Req::get(format!("/api/v1/teams/{north_id}"))).await;
    assert_eq!((got.status, got.body["parent_team_id"].as_str()), (200, Some(eu_id.as_str())));
    let res = call(&fx, &viewer, Req::json("POST", "/api/v1/teams", json!({"name": "Nope"}))).await;
    assert_eq!((res.status, res.code()), (403, Some("PERMISSION_DENIED")));
    let res = call(&fx, &viewer, Req::json("PATCH", format!("/api/v1/teams/{eu_id}"), json!({"name": "Nope"}))).await;
    assert_eq!((res.status, res.code()), (403, Some("PERMISSION_DENIED")));

    // A cycle → 422 on parent_team_id, as problem+json.
    let raw = reqwest::Client::new()
        .patch(format!("{}/api/v1/teams/{eu_id}", fx.base))
        .bearer_auth(&owner)
        .json(&json!({"parent_team_id": north_id}))
        .send()
        .await
        .unwrap();
    assert_eq!(raw.status(), 422);
    assert_eq!(raw.headers()["content-type"], "application/problem+json");
    let body: Value = raw.json().await.unwrap();
    assert_eq!(body["code"], "VALIDATION_ERROR");
    assert_eq!(body["errors"][0]["field"], "parent_team_id");
    assert!(body["detail"].as_str().unwrap().contains("loop"), "{body}");

    let renamed =
        call(&fx, &owner, Req::json("PATCH", format!("/api/v1/teams/{north_id}"), json!({"name": "Nordics"}))).await;
    assert_eq!((renamed.status, renamed.body["name"].as_str()), (200, Some("Nordics")));
    assert_eq!(renamed.body["parent_team_id"].as_str(), Some(eu_id.as_str()), "leaving parent_team_id out keeps it");

    // Not empty → 409 unless told where things go.
    let res = call(&fx, &owner, Req::delete(format!("/api/v1/teams/{eu_id}"))).await;
    assert_eq!((res.status, res.code()), (409, Some("CONFLICT")));
    assert!(res.body["detail"].as_str().unwrap().contains("1 sub-team"));
    let res = call(&fx, &owner, Req::delete(format!("/api/v1/teams/{eu_id}?reassign_to={north_id}"))).await;
    assert_eq!((res.status, field(&res)), (422, Some("reassign_to")));
    let res = call(&fx, &owner, Req::delete(format!("/api/v1/teams/{eu_id}?reassign_to=top"))).await;
    assert_eq!(res.status, 204, "{:?}", res.body);
    let moved = call(&fx, &owner, Req::get(format!("/api/v1/teams/{north_id}"))).await;
    assert_eq!(moved.body["parent_team_id"], Value::Null);
    let res = call(&fx, &owner, Req::get(format!("/api/v1/teams/{eu_id}"))).await;
    assert_eq!((res.status, res.code()), (404, Some("NOT_FOUND")));

    // `null` moves to the top level explicitly.
    let sub =
        id(&call(&fx, &owner, Req::json("POST", "/api/v1/teams", json!({"name": "Sub", "parent_team_id": north_id})))
            .await);
    let res =
        call(&fx, &owner, Req::json("PATCH", format!("/api/v1/teams/{sub}"), json!({"parent_team_id": null}))).await;
    assert_eq!((res.status, &res.body["parent_team_id"]), (200, &Value::Null));

    // Another org's key sees nothing of it.
    for req in [
        Req::get(format!("/api/v1/teams/{north_id}")),
        Req::json("PATCH", format!("/api/v1/teams/{north_id}"), json!({"name": "Mine"})),
        Req::delete(format!("/api/v1/teams/{north_id}")),
        Req::json("POST", "/api/v1/teams", json!({"name": "Child", "parent_team_id": north_id})),
    ] {
        let res = call(&fx, &other_org, req.clone()).await;
        assert_eq!((res.status, res.code()), (404, Some("NOT_FOUND")), "{} {}", req.method, req.path);
    }
    let theirs = call(&fx, &other_org, Req::get("/api/v1/teams")).await;
    assert_eq!(theirs.body["items"].as_array().unwrap().len(), 0);

    let verify = call(&fx, &owner, Req::get("/api/v1/audit/verify")).await;
    assert_eq!(verify.body["ok"], true, "{:?}", verify.body);
}

#[tokio::test]
async fn roles_over_rest() {
    let fx = Fixture::start().await;
    let owner = fx.org_a.keys["Owner"].clone();
    let admin = fx.org_a.keys["Admin"].clone();
    let viewer = fx.org_a.keys["Viewer"].clone();
    let other_org = fx.org_b.keys["Owner"].clone();

    let list = call(&fx, &admin, Req::get("/api/v1/roles")).await;
    assert_eq!(list.status, 200);
    assert_eq!(list.body["items"].as_array().unwrap().len(), 6);
    assert_eq!(list.body["permissions"].as_array().unwrap().len(), 14);
    assert_eq!(list.body["items"][0]["name"], "Owner");
    assert_eq!(list.body["items"][0]["built_in"], true);
    let res = call(&fx, &viewer, Req::get("/api/v1/roles")).await;
    assert_eq!((res.status, res.code()), (403, Some("PERMISSION_DENIED")));

    let created = call(
        &fx,
        &owner,
        Req::json(
            "POST",
            "/api/v1/roles",
            json!({"name": "Refund desk", "description": "Approves refunds", "permissions": ["actions.approve"]}),
        ),
    )
    .await;
    assert_eq!(created.status, 201, "{:?}", created.body);
    assert_eq!(created.body["permissions"], json!(["actions.approve"]));
    assert_eq!(created.body["built_in"], false);
    let role_id = id(&created);

    let res = call(
        &fx,
        &owner,
        Req::json("POST", "/api/v1/roles", json!({"name": "Pilot", "permissions": ["fly.plane", "audit.read"]})),
    )
    .await;
    assert_eq!((res.status, res.code(), field(&res)), (422, Some("VALIDATION_ERROR"), Some("permissions")));
    assert!(res.body["detail"].as_str().unwrap().contains("\"fly.plane\""), "{:?}", res.body);
    let res = call(&fx, &owner, Req::json("POST", "/api/v1/roles", json!({"name": "Viewer"}))).await;
    assert_eq!((res.status, res.code()), (409, Some("CONFLICT")));
    let res =
        call(&fx, &admin, Req::json("POST", "/api/v1/roles", json!({"name": "Boss", "permissions": ["org.manage"]})))
            .await;
    assert_eq!((res.status, res.code()), (403, Some("PERMISSION_DENIED")), "no escalation through roles");
    let res = call(&fx, &viewer, Req::json("POST", "/api/v1/roles", json!({"name": "Mine"}))).await;
    assert_eq!((res.status, res.code()), (403, Some("PERMISSION_DENIED")));

    let patched = call(
        &fx,
        &admin,
        Req::json(
            "PATCH",
            format!("/api/v1/roles/{role_id}"),
            json!({"permissions": ["actions.approve", "audit.read"]}),
        ),
    )
    .await;
    assert_eq!(patched.status, 200, "{:?}", patched.body);
    assert_eq!(patched.body["permissions"], json!(["actions.approve", "audit.read"]));
    assert_eq!(patched.body["description"], "Approves refunds");
    let got = call(&fx, &admin, Req::get(format!("/api/v1/roles/{role_id}"))).await;
    assert_eq!(got.body, patched.body);

    for built_in in [BuiltInRole::Owner, BuiltInRole::Viewer] {
        let res =
            call(&fx, &owner, Req::json("PATCH", format!("/api/v1/roles/{}", built_in.id()), json!({"name": "Mine"})))
                .await;
        assert_eq!((res.status, res.code()), (409, Some("CONFLICT")));
        assert!(res.body["detail"].as_str().unwrap().contains("built-in"));
        let res = call(&fx, &owner, Req::delete(format!("/api/v1/roles/{}", built_in.id()))).await;
        assert_eq!((res.status, res.code()), (409, Some("CONFLICT")));
    }
    let res = call(&fx, &owner, Req::get(format!("/api/v1/roles/{}", BuiltInRole::Auditor.id()))).await;
    assert_eq!((res.status, res.body["permissions"].clone()), (200, json!(["audit.read", "usage.read"])));

    for req in [
        Req::get(format!("/api/v1/roles/{role_id}")),
        Req::json("PATCH", format!("/api/v1/roles/{role_id}"), json!({"name": "Mine"})),
        Req::delete(format!("/api/v1/roles/{role_id}")),
    ] {
        let res = call(&fx, &other_org, req.clone()).await;
        assert_eq!((res.status, res.code()), (404, Some("NOT_FOUND")), "{} {}", req.method, req.path);
    }

    let res = call(&fx, &owner, Req::delete(format!("/api/v1/roles/{role_id}"))).await;
    assert_eq!(res.status, 204, "{:?}", res.body);
    let res = call(&fx, &owner, Req::get(format!("/api/v1/roles/{role_id}"))).await;
    assert_eq!(res.status, 404);
}

#[tokio::test]
async fn role_assignments_over_rest() {
    let fx = Fixture::start().await;
    let owner = fx.org_a.keys["Owner"].clone();
    let admin = fx.org_a.keys["Admin"].clone();
    let viewer = fx.org_a.keys["Viewer"].clone();
    let other_org = fx.org_b.keys["Owner"].clone();
    let person = fx.org_a.users["Viewer"].user.id.clone();
    let team = id(&call(&fx, &owner, Req::json("POST", "/api/v1/teams", json!({"name": "Support"}))).await);

    let made = call(
        &fx,
        &admin,
        Req::json(
            "POST",
            "/api/v1/role-assignments",
            json!({"user_id": person, "role_id": BuiltInRole::Approver.id(), "scope_type": "team", "scope_id": team}),
        ),
    )
    .await;
    assert_eq!(made.status, 201, "{:?}", made.body);
    assert_eq!(made.body["scope_name"], "Support");
    assert_eq!(made.body["role_name"], "Approver");
    let assignment = id(&made);
    let again = call(
        &fx,
        &admin,
        Req::json(
            "POST",
            "/api/v1/role-assignments",
            json!({"user_id": person, "role_id": BuiltInRole::Approver.id(), "scope_type": "team", "scope_id": team}),
        ),
    )
    .await;
    assert_eq!((again.status, again.code()), (409, Some("CONFLICT")));

    let mine = call(&fx, &admin, Req::get(format!("/api/v1/role-assignments?user_id={person}"))).await;
    assert_eq!(mine.status, 200);
    let items = mine.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "Viewer at the org and Approver at the team: {items:?}");
    let at_team =
        call(&fx, &admin, Req::get(format!("/api/v1/role-assignments?scope_type=team&scope_id={team}"))).await;
    assert_eq!(at_team.body["items"].as_array().unwrap().len(), 1);
    let page = call(&fx, &admin, Req::get("/api/v1/role-assignments?limit=2")).await;
    assert_eq!(page.body["items"].as_array().unwrap().len(), 2);
    assert!(page.body["next_cursor"].is_string());
    let res = call(&fx, &viewer, Req::get("/api/v1/role-assignments")).await;
    assert_eq!((res.status, res.code()), (403, Some("PERMISSION_DENIED")));

    // Escalation, bad scopes, other orgs.
    let res = call(
        &fx,
        &admin,
        Req::json(
            "POST",
            "/api/v1/role-assignments",
            json!({"user_id": person, "role_id": BuiltInRole::Owner.id(), "scope_type": "org"}),
        ),
    )
    .await;
    assert_eq!((res.status, res.code()), (403, Some("PERMISSION_DENIED")));
    let res = call(
        &fx,
        &owner,
        Req::json(
            "POST",
            "/api/v1/role-assignments",
            json!({"user_id": person, "role_id": BuiltInRole::Viewer.id(), "scope_type": "store", "scope_id": "s1"}),
        ),
    )
    .await;
    assert_eq!((res.status, res.code()), (404, Some("NOT_FOUND")));
    let res = call(
        &fx,
        &owner,
        Req::json(
            "POST",
            "/api/v1/role-assignments",
            json!({"user_id": person, "role_id": BuiltInRole::Viewer.id(), "scope_type": "planet"}),
        ),
    )
    .await;
    assert_eq!((res.status, res.code(), field(&res)), (422, Some("VALIDATION_ERROR"), Some("scope_type")));
    let res = call(&fx, &owner, Req::json("POST", "/api/v1/role-assignments", json!({"user_id": person}))).await;
    assert_eq!((res.status, res.code()), (422, Some("VALIDATION_ERROR")), "role_id is required");
    let res = call(
        &fx,
        &other_org,
        Req::json("POST", "/api/v1/role-assignments", json!({"user_id": person, "role_id": BuiltInRole::Viewer.id()})),
    )
    .await;
    assert_eq!((res.status, res.code()), (404, Some("NOT_FOUND")));
    let res = call(&fx, &other_org, Req::delete(format!("/api/v1/role-assignments?id={assignment}"))).await;
    assert_eq!((res.status, res.code()), (404, Some("NOT_FOUND")));

    // DELETE with ?id= …
    let res = call(&fx, &admin, Req::delete(format!("/api/v1/role-assignments?id={assignment}"))).await;
    assert_eq!(res.status, 204, "{:?}", res.body);
    let res = call(&fx, &admin, Req::delete(format!("/api/v1/role-assignments?id={assignment}"))).await;
    assert_eq!(res.status, 404);
    // … or with a JSON body.
    let again = id(&call(
        &fx,
        &admin,
        Req::json(
            "POST",
            "/api/v1/role-assignments",
            json!({"user_id": person, "role_id": BuiltInRole::Auditor.id(), "scope_type": "org"}),
        ),
    )
    .await);
    let res = call(&fx, &admin, Req::json("DELETE", "/api/v1/role-assignments", json!({"id": again}))).await;
    assert_eq!(res.status, 204, "{:?}", res.body);
    let res = call(&fx, &admin, Req::delete("/api/v1/role-assignments")).await;
    assert_eq!((res.status, field(&res)), (422, Some("id")));

    // The last active Owner keeps the Owner role.
    let owner_user = fx.org_a.owner.id.clone();
    let owners = call(
        &fx,
        &owner,
        Req::get(format!("/api/v1/role-assignments?user_id={owner_user}&role_id={}", BuiltInRole::Owner.id())),
    )
    .await;
    let owner_assignment = owners.body["items"][0]["id"].as_str().unwrap().to_string();
    assert_eq!(owners.body["items"][0]["can_remove"], false);
    let res = call(&fx, &owner, Req::delete(format!("/api/v1/role-assignments?id={owner_assignment}"))).await;
    assert_eq!((res.status, res.code()), (409, Some("CONFLICT")));
    assert!(res.body["detail"].as_str().unwrap().contains("An organisation needs at least one active Owner"));
    let res = call(&fx, &admin, Req::delete(format!("/api/v1/role-assignments?id={owner_assignment}"))).await;
    assert_eq!((res.status, res.code()), (403, Some("PERMISSION_DENIED")), "an Admin can't remove an Owner");

    let verify = call(&fx, &owner, Req::get("/api/v1/audit/verify")).await;
    assert_eq!(verify.body["ok"], true, "{:?}", verify.body);
}

/// The pages render on the server with what the viewer may see: the tree for everyone,
/// the matrix for those with roles.manage, "Not allowed" for a Viewer opening /org/roles.
#[tokio::test]
async fn teams_and_roles_pages_render_for_who_may_see_them() {
    let fx = Fixture::start().await;
    let owner_key = fx.org_a.keys["Owner"].clone();
    let eu = id(&call(&fx, &owner_key, Req::json("POST", "/api/v1/teams", json!({"name": "Europe"}))).await);
    call(&fx, &owner_key, Req::json("POST", "/api/v1/teams", json!({"name": "Nordics", "parent_team_id": eu}))).await;
    call(
        &fx,
        &owner_key,
        Req::json("POST", "/api/v1/roles", json!({"name": "Refund desk", "permissions": ["actions.approve"]})),
    )
    .await;

    let owner = &fx.org_a.users["Owner"];
    let viewer = &fx.org_a.users["Viewer"];
    let page = |res: Res| -> String {
        assert_eq!(res.status, 200);
        res.body.as_str().unwrap_or_default().to_string()
    };

    let html = page(fx.call_as_user(owner, &Req::get("/org/teams")).await);
    assert!(html.contains("Europe") && html.contains("Nordics"), "tree missing");
    assert!(html.contains("data-testid=\"create-team-form\""), "owner gets the create form");
    assert!(html.contains("href=\"/org/roles\""), "owner sees the Roles nav entry");
    let html = page(fx.call_as_user(viewer, &Req::get("/org/teams")).await);
    assert!(html.contains("Nordics"), "viewers see the tree");
    assert!(!html.contains("create-team-form") && !html.contains("team-edit"), "but no editing controls");
    assert!(!html.contains("href=\"/org/roles\""), "and no Roles nav entry");

    let html = page(fx.call_as_user(owner, &Req::get("/org/roles")).await);
    assert!(html.contains("Permission matrix") && html.contains("Refund desk"));
    assert!(html.contains("Create custom roles and assign roles"), "permission descriptions from the table");
    assert!(html.contains("data-testid=\"matrix-checkbox\""), "custom roles are editable");
    assert!(html.contains("data-testid=\"create-assignment-form\""));
    let html = fx.call_as_user(viewer, &Req::get("/org/roles")).await;
    let text = html.body.as_str().unwrap_or_default();
    assert!(
        text.contains("Not allowed"),
        "a Viewer sees Not allowed: {} {}",
        html.status,
        &text[..text.len().min(300)]
    );
    assert!(!text.contains("Permission matrix"));
}
