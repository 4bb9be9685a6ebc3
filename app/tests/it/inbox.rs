//! The inbox on SQLite and PostgreSQL: a person's notifications (written by the real
//! internal executors or through the gateway) are theirs alone — listed newest first in
//! pages, counted, marked read one by one or all at once, and anyone else's id is
//! NOT_FOUND; tasks are visible by store scope or to their assignee, their status changes
//! for the assignee and for approvers (not for a Viewer), bad statuses are field errors,
//! and each change is one audit event on a chain that still verifies.

use crate::common::orgs::make_org;
use crate::common::people::{self, user_actor};
use app::domain::access::ScopeRef;
use app::domain::action_settings::PermissionPatch;
use app::domain::inbox::{TaskFilter, PAGE_SIZE};
use app::domain::permission::BuiltInRole;
use app::domain::policy::ActionRequest;
use app::domain::stores::NewStore;
use app::domain::ErrorCode;
use app::entities::{audit_event, notification, org, store, task};
use app::services::gateway::actions::{self, Gateway, InvokeInput};
use app::services::gateway::executors::{self, ExecContext};
use app::services::gateway::inbox::{self, MarkRead};
use app::services::stores::policy::PolicyCache;
use app::services::{audit, infra::db, stores, stores::permissions, Actor, ActorKind, AgentBinding};
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, Set};
use serde_json::{json, Value};
use std::sync::Arc;

const KEY: [u8; 32] = [9u8; 32];

struct World {
    db: DatabaseConnection,
    cache: Arc<PolicyCache>,
    org: org::Model,
    owner: Actor,
    shop: store::Model,
    outlet: store::Model,
}

async fn new_store(db: &DatabaseConnection, cache: &PolicyCache, owner: &Actor, name: &str) -> store::Model {
    let input = NewStore { name: name.into(), currency: "EUR".into(), ..Default::default() };
    let id = stores::create(db, cache, owner, input).await.unwrap().id;
    store::Entity::find_by_id(id).one(db).await.unwrap().unwrap()
}

async fn world(db: DatabaseConnection, slug: &str) -> World {
    let (o, u) = make_org(&db, slug).await;
    let owner = user_actor(&db, &o, &u).await;
    let cache = Arc::new(PolicyCache::new());
    let shop = new_store(&db, &cache, &owner, "Shop").await;
    let outlet = new_store(&db, &cache, &owner, "Outlet").await;
    World { db, cache, org: o, owner, shop, outlet }
}

impl World {
    /// A person holding `role_` at `scope`.
    async fn person(&self, name: &str, role_: BuiltInRole, scope: ScopeRef) -> Actor {
        let email = format!("{name}@{}.example.com", self.org.slug);
        let u = people::person(&self.db, &self.org, &email, &format!("{name} person"), None, role_, scope).await;
        user_actor(&self.db, &self.org, &u).await
    }

    /// Runs an internal action's executor at `s`, as the gateway does after deciding.
    async fn run(&self, s: &store::Model, action_type: &str, params: Value) -> Value {
        let catalog = self.cache.catalog(&self.db).await.unwrap();
        let def = catalog.get(action_type).unwrap().clone();
        let action_id = db::new_id();
        let ctx = ExecContext {
            db: &self.db,
            secret_key: &KEY,
            org_id: &self.org.id,
            store: s,
            def: &def,
            action_id: &action_id,
            params: &params,
            idempotency_key: None,
            customer_ref: None,
            rule_run_id: None,
        };
        executors::run(&ctx).await.expect("an internal executor").expect("the action runs")
    }

    async fn notify(&self, to: &Actor, title: &str) -> String {
        let out = self
            .run(
                &self.shop,
                "send_notification",
                json!({"recipients": [to.label], "title": title, "body": "Details", "severity": "warning"}),
            )
            .await;
        out["notification_ids"][0].as_str().unwrap().to_string()
    }

    async fn task(&self, s: &store::Model, title: &str, assignee: Option<&Actor>) -> String {
        let mut params =
            json!({"title": title, "description": "Call back", "priority": "high", "due_date": "2026-12-31"});
        if let Some(a) = assignee {
            params["assignee"] = json!(a.label);
        }
        self.run(s, "create_task", params).await["task_id"].as_str().unwrap().to_string()
    }

    /// A task of the whole organisation (no store): the executor always names its store,
    /// so this one is written directly.
    async fn org_task(&self, title: &str) -> String {
        let at = db::now();
        task::ActiveModel {
            id: Set(db::new_id()),
            org_id: Set(self.org.id.clone()),
            store_id: Set(None),
            title: Set(title.into()),
            description: Set(String::new()),
            assignee: Set(None),
            due_date: Set(None),
            priority: Set("normal".into()),
            status: Set("open".into()),
            linked_type: Set(None),
            linked_id: Set(None),
            action_id: Set(None),
            created_at: Set(at),
            updated_at: Set(at),
        }
        .insert(&self.db)
        .await
        .unwrap()
        .id
    }
}

fn titles_of_tasks(p: &app::domain::inbox::TaskPage) -> Vec<String> {
    p.items.iter().map(|t| t.title.clone()).collect()
}

fn all() -> TaskFilter {
    TaskFilter::default()
}

db_test!(notifications_are_personal_paged_counted_and_marked, |db| async move {
    let w = world(db, "inbox").await;
    let ana = w.person("ana", BuiltInRole::Viewer, ScopeRef::Store(w.shop.id.clone())).await;
    let ben = w.person("ben", BuiltInRole::Approver, ScopeRef::Org).await;
    let first = w.notify(&ana, "First for Ana").await;
    let second = w.notify(&ana, "Second for Ana").await;
    let bens = w.notify(&ben, "For Ben").await;
    // A task assigned to Ana tells her too.
    w.task(&w.shop, "Call the customer", Some(&ana)).await;

    let page = inbox::my_notifications(&w.db, &ana, false, None).await.unwrap();
    let titles: Vec<&str> = page.items.iter().map(|n| n.title.as_str()).collect();
    assert_eq!(titles, ["New task: Call the customer", "Second for Ana", "First for Ana"], "only hers, newest first");
    assert_eq!(page.unread, 3);
    assert_eq!(page.next_cursor, None);
    assert_eq!(page.items[1].severity, "warning");
    assert!(page.items[1].action_id.is_some());
    assert_eq!(inbox::unread_count(&w.db, &ana).await.unwrap(), 3);
    assert_eq!(inbox::unread_count(&w.db, &ben).await.unwrap(), 1);
    assert_eq!(inbox::unread_count(&w.db, &w.owner).await.unwrap(), 0);

    // Someone else's notification is not hers to read or mark.
    assert_eq!(inbox::mark_read(&w.db, &ana, MarkRead::One(bens.clone())).await.unwrap_err().code, ErrorCode::NotFound);
    assert_eq!(
        inbox::mark_read(&w.db, &ana, MarkRead::One("nope".into())).await.unwrap_err().code,
        ErrorCode::NotFound
    );
    assert_eq!(inbox::unread_count(&w.db, &ben).await.unwrap(), 1, "Ben's stays unread");

    // One, then again (nothing changes), then the unread filter.
    assert_eq!(inbox::mark_read(&w.db, &ana, MarkRead::One(first.clone())).await.unwrap(), 1);
    assert_eq!(inbox::mark_read(&w.db, &ana, MarkRead::One(first.clone())).await.unwrap(), 0);
    let read_at = notification::Entity::find_by_id(first.clone()).one(&w.db).await.unwrap().unwrap().read_at;
    assert!(read_at.is_some());
    assert_eq!(inbox::unread_count(&w.db, &ana).await.unwrap(), 2);
    let unread = inbox::my_notifications(&w.db, &ana, true, None).await.unwrap();
    assert_eq!(unread.items.len(), 2);
    assert!(unread.items.iter().all(|n| n.read_at.is_none() && n.id != first));
    let everything = inbox::my_notifications(&w.db, &ana, false, None).await.unwrap();
    assert!(everything.items.iter().any(|n| n.id == first && n.read_at.is_some()));

    // All of hers; Ben's untouched.
    assert_eq!(inbox::mark_read(&w.db, &ana, MarkRead::All).await.unwrap(), 2);
    assert_eq!(inbox::unread_count(&w.db, &ana).await.unwrap(), 0);
    assert_eq!(inbox::unread_count(&w.db, &ben).await.unwrap(), 1);
    assert!(inbox::my_notifications(&w.db, &ana, true, None).await.unwrap().items.is_empty());
    assert_eq!(second.len(), first.len());

    // Another org's person can't mark Ana's.
    let other = world(w.db.clone(), "other").await;
    assert_eq!(
        inbox::mark_read(&w.db, &other.owner, MarkRead::One(second.clone())).await.unwrap_err().code,
        ErrorCode::NotFound
    );
    assert!(inbox::my_notifications(&w.db, &other.owner, false, None).await.unwrap().items.is_empty());

    // A bad cursor is a field error; marking read is personal state, never audited.
    let e = inbox::my_notifications(&w.db, &ana, false, Some("x' OR 1=1")).await.unwrap_err();
    assert_eq!(e.fields[0].field, "cursor");
    let audited = audit_event::Entity::find()
        .filter(audit_event::Column::EntityType.eq("notification"))
        .all(&w.db)
        .await
        .unwrap();
    assert!(audited.is_empty());
});

db_test!(notifications_page_by_cursor, |db| async move {
    let w = world(db, "pages").await;
    let ana = w.person("ana", BuiltInRole::Viewer, ScopeRef::Org).await;
    let n = PAGE_SIZE as usize + 3;
    for i in 0..n {
        w.notify(&ana, &format!("Note {i}")).await;
    }
    let p1 = inbox::my_notifications(&w.db, &ana, false, None).await.unwrap();
    assert_eq!(p1.items.len(), PAGE_SIZE as usize);
    assert_eq!(p1.items[0].title, format!("Note {}", n - 1));
    assert_eq!(p1.unread, n as u64);
    let cursor = p1.next_cursor.clone().expect("a next page");
    let p2 = inbox::my_notifications(&w.db, &ana, false, Some(&cursor)).await.unwrap();
    let titles: Vec<&str> = p2.items.iter().map(|n| n.title.as_str()).collect();
    assert_eq!(titles, ["Note 2", "Note 1", "Note 0"]);
    assert_eq!(p2.next_cursor, None);
});

db_test!(api_keys_have_no_inbox, |db| async move {
    let w = world(db, "keys").await;
    let mut agent = w.owner.clone();
    agent.kind = ActorKind::ApiKey;
    agent.agent = Some(AgentBinding { store_id: w.shop.id.clone(), assistant_id: None });
    let mut management = w.owner.clone();
    management.kind = ActorKind::ApiKey;
    for key in [&agent, &management] {
        let e = inbox::my_notifications(&w.db, key, false, None).await.unwrap_err();
        assert_eq!(e.code, ErrorCode::PermissionDenied);
        assert!(e.message.contains("people"), "{}", e.message);
        assert_eq!(inbox::unread_count(&w.db, key).await.unwrap_err().code, ErrorCode::PermissionDenied);
        assert_eq!(inbox::mark_read(&w.db, key, MarkRead::All).await.unwrap_err().code, ErrorCode::PermissionDenied);
        assert_eq!(inbox::tasks(&w.db, key, &all(), None).await.unwrap_err().code, ErrorCode::PermissionDenied);
    }
    let t = w.task(&w.shop, "Restock", None).await;
    let e = inbox::set_task_status(&w.db, &agent, &t, "done").await.unwrap_err();
    assert_eq!(e.code, ErrorCode::PermissionDenied);
});

db_test!(tasks_are_visible_by_store_scope_or_to_their_assignee, |db| async move {
    let w = world(db, "tasks").await;
    let shop_viewer = w.person("shopviewer", BuiltInRole::Viewer, ScopeRef::Store(w.shop.id.clone())).await;
    let outlet_viewer = w.person("outletviewer", BuiltInRole::Viewer, ScopeRef::Store(w.outlet.id.clone())).await;
    let org_viewer = w.person("orgviewer", BuiltInRole::Viewer, ScopeRef::Org).await;
    w.task(&w.shop, "Shop task", None).await;
    w.task(&w.outlet, "Outlet task", None).await;
    w.task(&w.shop, "Shop task for the outlet viewer", Some(&outlet_viewer)).await;
    w.org_task("Organisation task").await;

    let p = inbox::tasks(&w.db, &shop_viewer, &all(), None).await.unwrap();
    assert_eq!(titles_of_tasks(&p), ["Shop task for the outlet viewer", "Shop task"]);
    assert_eq!(p.stores.iter().map(|s| s.label.as_str()).collect::<Vec<_>>(), ["Shop"]);
    assert!(
        p.items.iter().all(|t| t.store_name.as_deref() == Some("Shop") && !t.can_change),
        "a Viewer changes nothing"
    );

    let p = inbox::tasks(&w.db, &outlet_viewer, &all(), None).await.unwrap();
    assert_eq!(
        titles_of_tasks(&p),
        ["Shop task for the outlet viewer", "Outlet task"],
        "the outlet's, and the one assigned to them"
    );
    let mine = &p.items[0];
    assert_eq!(mine.assignee_name.as_deref(), Some("outletviewer person"));
    assert!(mine.can_change, "the assignee may change it");
    assert_eq!((mine.priority.as_str(), mine.due_date.as_deref()), ("high", Some("2026-12-31")));

    let p = inbox::tasks(&w.db, &org_viewer, &all(), None).await.unwrap();
    assert_eq!(p.items.len(), 4, "org-wide View sees every task, the organisation's too");
    assert_eq!(p.items[0].title, "Organisation task");
    assert_eq!(p.items[0].store_name, None);

    // Filters: mine, status, store (another org's store: NOT_FOUND), bad status: field error.
    let f = TaskFilter { mine: true, ..Default::default() };
    assert_eq!(
        titles_of_tasks(&inbox::tasks(&w.db, &outlet_viewer, &f, None).await.unwrap()),
        ["Shop task for the outlet viewer"]
    );
    assert!(inbox::tasks(&w.db, &org_viewer, &f, None).await.unwrap().items.is_empty());
    let f = TaskFilter { store_id: Some(w.outlet.id.clone()), ..Default::default() };
    assert_eq!(titles_of_tasks(&inbox::tasks(&w.db, &org_viewer, &f, None).await.unwrap()), ["Outlet task"]);
    assert!(
        inbox::tasks(&w.db, &shop_viewer, &f, None).await.unwrap().items.is_empty(),
        "nothing of a store they can't see"
    );
    let f = TaskFilter { status: Some("done".into()), ..Default::default() };
    assert!(inbox::tasks(&w.db, &org_viewer, &f, None).await.unwrap().items.is_empty());
    let f = TaskFilter { status: Some("later".into()), ..Default::default() };
    assert_eq!(inbox::tasks(&w.db, &org_viewer, &f, None).await.unwrap_err().fields[0].field, "status");
    let other = world(w.db.clone(), "tasks-other").await;
    let f = TaskFilter { store_id: Some(w.shop.id.clone()), ..Default::default() };
    assert_eq!(inbox::tasks(&w.db, &other.owner, &f, None).await.unwrap_err().code, ErrorCode::NotFound);
    assert!(inbox::tasks(&w.db, &other.owner, &all(), None).await.unwrap().items.is_empty(), "another org sees none");
});

db_test!(task_status_changes_are_allowed_validated_and_audited, |db| async move {
    let w = world(db, "status").await;
    let assignee = w.person("assignee", BuiltInRole::Viewer, ScopeRef::Store(w.outlet.id.clone())).await;
    let viewer = w.person("viewer", BuiltInRole::Viewer, ScopeRef::Org).await;
    let shop_approver = w.person("shopapprover", BuiltInRole::Approver, ScopeRef::Store(w.shop.id.clone())).await;
    let outlet_approver = w.person("outletapprover", BuiltInRole::Approver, ScopeRef::Store(w.outlet.id.clone())).await;
    let t = w.task(&w.shop, "Pack the parcel", Some(&assignee)).await;

    // The assignee (a Viewer of another store) moves it along.
    let v = inbox::set_task_status(&w.db, &assignee, &t, "in_progress").await.unwrap();
    assert_eq!(v.status, "in_progress");
    // A Viewer who isn't the assignee may not; neither may an approver of another store.
    let e = inbox::set_task_status(&w.db, &viewer, &t, "done").await.unwrap_err();
    assert_eq!(e.code, ErrorCode::PermissionDenied);
    assert_eq!(
        inbox::set_task_status(&w.db, &outlet_approver, &t, "done").await.unwrap_err().code,
        ErrorCode::PermissionDenied
    );
    // The store's approver may; an unknown status is a field error and changes nothing.
    let e = inbox::set_task_status(&w.db, &shop_approver, &t, "finished").await.unwrap_err();
    assert_eq!((e.code, e.fields[0].field.as_str()), (ErrorCode::ValidationError, "status"));
    assert_eq!(task::Entity::find_by_id(t.clone()).one(&w.db).await.unwrap().unwrap().status, "in_progress");
    assert_eq!(inbox::set_task_status(&w.db, &shop_approver, &t, " done ").await.unwrap().status, "done");
    // The same status again: nothing changes, nothing audited.
    assert_eq!(inbox::set_task_status(&w.db, &assignee, &t, "done").await.unwrap().status, "done");

    let events = audit_event::Entity::find()
        .filter(audit_event::Column::OrgId.eq(&w.org.id))
        .filter(audit_event::Column::EntityType.eq("task"))
        .order_by_asc(audit_event::Column::Seq)
        .all(&w.db)
        .await
        .unwrap();
    assert_eq!(events.len(), 2, "{events:?}");
    assert!(events.iter().all(|e| e.action == "task.status_changed" && e.entity_id.as_deref() == Some(t.as_str())));
    let json = |s: &Option<String>| serde_json::from_str::<Value>(s.as_deref().unwrap()).unwrap();
    assert_eq!(
        (json(&events[0].before_json), json(&events[0].after_json)),
        (json!({"status": "open"}), json!({"status": "in_progress"}))
    );
    assert_eq!(events[0].actor_id.as_deref(), Some(assignee.id.as_str()));
    assert_eq!(
        (json(&events[1].before_json), json(&events[1].after_json)),
        (json!({"status": "in_progress"}), json!({"status": "done"}))
    );
    assert_eq!(events[1].actor_id.as_deref(), Some(shop_approver.id.as_str()));

    // A task of the whole organisation: approvers at the org, not of one store.
    let ot = w.org_task("Quarterly stock count").await;
    assert_eq!(
        inbox::set_task_status(&w.db, &shop_approver, &ot, "done").await.unwrap_err().code,
        ErrorCode::PermissionDenied
    );
    let org_approver = w.person("orgapprover", BuiltInRole::Approver, ScopeRef::Org).await;
    assert_eq!(inbox::set_task_status(&w.db, &org_approver, &ot, "cancelled").await.unwrap().status, "cancelled");

    // Another org's task: NOT_FOUND, even for its Owner's peer.
    let other = world(w.db.clone(), "status-other").await;
    assert_eq!(inbox::set_task_status(&w.db, &other.owner, &t, "open").await.unwrap_err().code, ErrorCode::NotFound);

    let report = audit::verify_org(&w.db, &w.org.id).await.unwrap();
    assert!(report.ok, "{report:?}");
});

db_test!(a_task_created_through_the_gateway_links_its_action, |db| async move {
    let w = world(db, "gateway").await;
    let ana = w.person("ana", BuiltInRole::Viewer, ScopeRef::Store(w.shop.id.clone())).await;
    let catalog = w.cache.catalog(&w.db).await.unwrap();
    let patch = PermissionPatch { enabled: Some(true), requires_confirmation: Some(false), confirmation_by: None };
    permissions::set(&w.db, &catalog, &w.owner, &w.shop.id, "create_task", patch).await.unwrap();
    let gw = Gateway { db: &w.db, policy: &w.cache, secret_key: &KEY, pending_ttl: chrono::Duration::hours(24) };
    let input = InvokeInput {
        request: ActionRequest {
            store_id: Some(w.shop.id.clone()),
            action_type: "create_task".into(),
            params: json!({"title": "Refund follow-up", "assignee": ana.label, "priority": "urgent"}),
            ..Default::default()
        },
        ..Default::default()
    };
    let answer = actions::invoke(gw, &w.owner, input, Some("inbox-gw-1")).await.unwrap();
    assert_eq!(answer.body["status"], "executed", "{:?}", answer.body);
    let action_id = answer.body["id"].as_str().unwrap().to_string();

    let p = inbox::tasks(&w.db, &ana, &TaskFilter { mine: true, ..Default::default() }, None).await.unwrap();
    assert_eq!(p.items.len(), 1);
    assert_eq!(p.items[0].action_id.as_deref(), Some(action_id.as_str()));
    assert_eq!((p.items[0].priority.as_str(), p.items[0].status.as_str()), ("urgent", "open"));
    let n = inbox::my_notifications(&w.db, &ana, true, None).await.unwrap();
    assert_eq!(n.items.len(), 1);
    assert_eq!(n.items[0].title, "New task: Refund follow-up");
    assert_eq!(n.items[0].action_id.as_deref(), Some(action_id.as_str()));
    assert!(audit::verify_org(&w.db, &w.org.id).await.unwrap().ok);
});
