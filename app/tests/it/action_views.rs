//! The read side of actions on SQLite and PostgreSQL: the list's filters and cursor,
//! `audit.read` scoping (a store-scoped Auditor sees only that store; agent keys their own),
//! the detail with its trace and timeline, the Approvals inbox scoped by `actions.approve`,
//! its count, the CSV export (quoting, formula neutralisation), the overview's sections and
//! another org's ids answering NOT_FOUND. Actions are created through the real gateway.

use crate::common::orgs::make_org;
use crate::common::people::{self, meta, session_actor};
use app::domain::access::ScopeRef;
use app::domain::action_settings::PermissionPatch;
use app::domain::actions::{ActionFilter, ActionQuery, ActionRow};
use app::domain::permission::BuiltInRole;
use app::domain::policy::ActionRequest;
use app::domain::stores::NewStore;
use app::domain::{AppError, ErrorCode};
use app::entities::{action, org, user};
use app::services::gateway::action_views;
use app::services::gateway::actions::{self, Gateway, InvokeInput, ResultInput};
use app::services::stores::policy::PolicyCache;
use app::services::{infra::db, stores, stores::assistants, stores::permissions, Actor, ActorKind, AgentBinding};
use chrono::Duration;
use sea_orm::{ActiveModelTrait, DatabaseConnection, EntityTrait, Set};
use serde_json::{json, Value};
use std::sync::Arc;

const KEY: [u8; 32] = [5u8; 32];
const NOTE: &str = "crm.create_activity_note";
const TICKET: &str = "tickets.create";

struct World {
    db: DatabaseConnection,
    cache: Arc<PolicyCache>,
    org: org::Model,
    owner: Actor,
    /// Store A: notes need staff approval, tickets are allowed, cancellations disabled.
    a: String,
    /// Store B: notes need staff approval.
    b: String,
    /// Store C: notes need the customer's confirmation.
    c: String,
    /// An assistant of store A allowed to write notes.
    assistant: String,
}

impl World {
    fn gw(&self) -> Gateway<'_> {
        Gateway { db: &self.db, policy: &self.cache, secret_key: &KEY, pending_ttl: Duration::hours(24) }
    }

    async fn invoke(&self, store: &str, action_type: &str, params: Value, assistant: Option<&str>) -> Value {
        let input = InvokeInput {
            request: ActionRequest {
                store_id: Some(store.to_string()),
                action_type: action_type.into(),
                params,
                assistant_id: assistant.map(str::to_string),
                ..Default::default()
            },
            ..Default::default()
        };
        let key = uuid::Uuid::new_v4().to_string();
        actions::invoke(self.gw(), &self.owner, input, Some(&key)).await.unwrap().body
    }

    async fn note(&self, store: &str) -> String {
        let body = self.invoke(store, NOTE, note(), None).await;
        body["id"].as_str().unwrap().to_string()
    }

    async fn user(&self, email: &str, role: BuiltInRole, scope: ScopeRef) -> Actor {
        let u = add_user(&self.db, &self.org, email, role, scope).await;
        session_actor(&self.db, &u).await
    }
}

fn note() -> Value {
    json!({"target": {"type": "client", "id": "c-1"}, "body": "Called the customer back."})
}

async fn add_user(
    db: &DatabaseConnection,
    o: &org::Model,
    email: &str,
    role: BuiltInRole,
    scope: ScopeRef,
) -> user::Model {
    people::person(db, o, email, &format!("{} person", role.name()), None, role, scope).await
}

/// An agent key's actor bound to `store`.
fn agent(w: &World, store: &str) -> Actor {
    Actor {
        org_id: w.org.id.clone(),
        org_slug: w.org.slug.clone(),
        kind: ActorKind::ApiKey,
        id: db::new_id(),
        label: "Agent key".into(),
        access: Arc::new(Default::default()),
        agent: Some(AgentBinding { store_id: store.to_string(), assistant_id: None }),
        meta: meta(),
    }
}

async fn set_note(w: &World, owner: &Actor, store: &str, by: &str) {
    let catalog = w.cache.catalog(&w.db).await.unwrap();
    let patch =
        PermissionPatch { enabled: Some(true), requires_confirmation: Some(true), confirmation_by: Some(by.into()) };
    permissions::set(&w.db, &catalog, owner, store, NOTE, patch).await.unwrap();
}

async fn store(db: &DatabaseConnection, cache: &PolicyCache, owner: &Actor, name: &str) -> String {
    let input = NewStore { name: name.into(), currency: "EUR".into(), ..Default::default() };
    stores::create(db, cache, owner, input).await.unwrap().id
}

async fn world(db: DatabaseConnection) -> World {
    let (o, owner) = make_org(&db, "views").await;
    let owner = session_actor(&db, &owner).await;
    let cache = Arc::new(PolicyCache::new());
    let a = store(&db, &cache, &owner, "=HYPERLINK(\"http://evil\"), \"Shop A\"").await;
    let b = store(&db, &cache, &owner, "Shop B").await;
    let c = store(&db, &cache, &owner, "Shop C").await;
    let input = app::domain::assistants::NewAssistant {
        store_id: a.clone(),
        name: "Helper".into(),
        allowed_actions: Some(vec![NOTE.into(), TICKET.into()]),
        ..Default::default()
    };
    let assistant = assistants::create(&db, &cache, &owner, input).await.unwrap().id;
    let w = World { db, cache, org: o, owner: owner.clone(), a, b, c, assistant };
    set_note(&w, &owner, &w.a, "staff").await;
    set_note(&w, &owner, &w.b, "staff").await;
    set_note(&w, &owner, &w.c, "customer").await;
    let catalog = w.cache.catalog(&w.db).await.unwrap();
    let patch = PermissionPatch { enabled: Some(true), requires_confirmation: Some(false), confirmation_by: None };
    permissions::set(&w.db, &catalog, &owner, &w.a, TICKET, patch).await.unwrap();
    w
}

/// Store A: 2 pending notes (one by the assistant), a confirmed ticket, a denied
/// cancellation; store B: 1 pending note; store C: 1 note pending the customer.
/// Returns the ids oldest first.
async fn seed(w: &World) -> Vec<String> {
    let mut ids = Vec::new();
    ids.push(w.note(&w.a).await);
    let by_assistant = w.invoke(&w.a, NOTE, note(), Some(&w.assistant)).await;
    assert_eq!(by_assistant["status"], "pending");
    ids.push(by_assistant["id"].as_str().unwrap().to_string());
    // A connector action with no connector: allowed, left for the caller to carry out.
    let ticket = w.invoke(&w.a, TICKET, json!({"subject": "Parcel lost", "client": {"id": "c-1"}}), None).await;
    assert_eq!(ticket["status"], "confirmed", "{ticket}");
    ids.push(ticket["id"].as_str().unwrap().to_string());
    let denied = w.invoke(&w.a, "cancel_order", json!({"order_id": "1001"}), None).await;
    assert_eq!(denied["status"], "denied", "{denied}");
    ids.push(denied["id"].as_str().unwrap().to_string());
    ids.push(w.note(&w.b).await);
    ids.push(w.note(&w.c).await);
    ids
}

fn filter(q: ActionQuery) -> ActionFilter {
    q.parse().unwrap()
}

fn ids(rows: &[ActionRow]) -> Vec<String> {
    rows.iter().map(|r| r.id.clone()).collect()
}

fn code(r: Result<impl std::fmt::Debug, AppError>) -> ErrorCode {
    r.expect_err("expected an error").code
}

db_test!(filters_and_newest_first, |db| async move {
    let w = world(db).await;
    let seeded = seed(&w).await;
    let all = action_views::list(&w.db, &w.owner, &ActionFilter::default(), None, 50).await.unwrap();
    let mut newest_first = seeded.clone();
    newest_first.reverse();
    assert_eq!(ids(&all.items), newest_first);
    assert_eq!(all.next_cursor, None);
    let first = all.items.iter().find(|r| r.id == seeded[1]).unwrap();
    assert_eq!(first.assistant_name.as_deref(), Some("Helper"));
    assert_eq!(first.action_name, "Add a note to a record", "the catalog's plain name, not the id");
    assert_eq!(first.currency, "EUR");

    let by = |q: ActionQuery| {
        let w = &w;
        async move { ids(&action_views::list(&w.db, &w.owner, &filter(q), None, 50).await.unwrap().items) }
    };
    assert_eq!(by(ActionQuery { status: Some("pending".into()), ..Default::default() }).await.len(), 4);
    assert_eq!(by(ActionQuery { decision: Some("deny".into()), ..Default::default() }).await, vec![seeded[3].clone()]);
    assert_eq!(
        by(ActionQuery { action_type: Some(TICKET.into()), ..Default::default() }).await,
        vec![seeded[2].clone()]
    );
    assert_eq!(by(ActionQuery { store_id: Some(w.b.clone()), ..Default::default() }).await, vec![seeded[4].clone()]);
    assert_eq!(
        by(ActionQuery { assistant_id: Some(w.assistant.clone()), ..Default::default() }).await,
        vec![seeded[1].clone()]
    );
    assert_eq!(
        by(ActionQuery { store_id: Some(w.a.clone()), status: Some("pending".into()), ..Default::default() }).await,
        vec![seeded[1].clone(), seeded[0].clone()]
    );

    // Dates are whole UTC days, `to` inclusive.
    let today = db::now().format("%Y-%m-%d").to_string();
    let tomorrow = (db::now() + Duration::days(1)).format("%Y-%m-%d").to_string();
    let yesterday = (db::now() - Duration::days(1)).format("%Y-%m-%d").to_string();
    assert_eq!(
        by(ActionQuery { from: Some(today.clone()), to: Some(today.clone()), ..Default::default() }).await.len(),
        6
    );
    assert!(by(ActionQuery { from: Some(tomorrow), ..Default::default() }).await.is_empty());
    assert!(by(ActionQuery { to: Some(yesterday), ..Default::default() }).await.is_empty());

    // A rule run's actions.
    let row = action::Entity::find_by_id(seeded[5].clone()).one(&w.db).await.unwrap().unwrap();
    let mut am: action::ActiveModel = row.into();
    am.rule_run_id = Set(Some("run-1".into()));
    am.update(&w.db).await.unwrap();
    assert_eq!(
        by(ActionQuery { rule_run_id: Some("run-1".into()), ..Default::default() }).await,
        vec![seeded[5].clone()]
    );

    // Bad filters name their field.
    let e = ActionQuery { status: Some("finished".into()), ..Default::default() }.parse().unwrap_err();
    assert_eq!(e.fields[0].field, "status");
    let e = action_views::list(&w.db, &w.owner, &ActionFilter::default(), Some("not a cursor!"), 10).await.unwrap_err();
    assert_eq!(e.fields[0].field, "cursor");
});

db_test!(cursor_pages_through_everything_once, |db| async move {
    let w = world(db).await;
    let mut seeded = seed(&w).await;
    seeded.push(w.note(&w.b).await);
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let page = action_views::list(&w.db, &w.owner, &ActionFilter::default(), cursor.as_deref(), 2).await.unwrap();
        assert!(page.items.len() <= 2);
        seen.extend(ids(&page.items));
        pages += 1;
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    assert_eq!(pages, 4, "7 rows, 2 a page");
    seeded.reverse();
    assert_eq!(seen, seeded, "every row once, newest first");
});

db_test!(audit_read_scopes_rows_to_stores, |db| async move {
    let w = world(db).await;
    let seeded = seed(&w).await;
    let store_auditor = w.user("auditor-a@views.example.com", BuiltInRole::Auditor, ScopeRef::Store(w.a.clone())).await;
    let page = action_views::list(&w.db, &store_auditor, &ActionFilter::default(), None, 50).await.unwrap();
    assert_eq!(page.items.len(), 4);
    assert!(page.items.iter().all(|r| r.store_id == w.a), "only store A's rows");
    // Another store, by filter or by id: refused.
    let other = filter(ActionQuery { store_id: Some(w.b.clone()), ..Default::default() });
    assert_eq!(code(action_views::list(&w.db, &store_auditor, &other, None, 50).await), ErrorCode::PermissionDenied);
    assert_eq!(code(action_views::get(&w.db, &store_auditor, &seeded[4]).await), ErrorCode::PermissionDenied);
    assert!(action_views::get(&w.db, &store_auditor, &seeded[0]).await.is_ok());
    let csv = action_views::csv(&w.db, &store_auditor, &ActionFilter::default()).await.unwrap();
    assert_eq!(csv.lines().count(), 5, "header + store A's 4 rows:\n{csv}");
    assert!(!csv.contains("Shop B"));
    // The chain is verified for org-wide auditors only; a store's auditor still gets the page.
    assert_eq!(action_views::chain_status(&w.db, &store_auditor).await.unwrap(), None);
    let report = action_views::chain_status(&w.db, &w.owner).await.unwrap().expect("org-wide");
    assert!(report.ok && report.events > 6, "{report:?}");

    // A Viewer reads no actions.
    let viewer = w.user("viewer@views.example.com", BuiltInRole::Viewer, ScopeRef::Org).await;
    assert_eq!(
        code(action_views::list(&w.db, &viewer, &ActionFilter::default(), None, 50).await),
        ErrorCode::PermissionDenied
    );
    assert_eq!(code(action_views::get(&w.db, &viewer, &seeded[0]).await), ErrorCode::PermissionDenied);
    assert_eq!(code(action_views::csv(&w.db, &viewer, &ActionFilter::default()).await), ErrorCode::PermissionDenied);
    assert_eq!(code(action_views::chain_status(&w.db, &viewer).await), ErrorCode::PermissionDenied);

    // An agent key reads its own store's actions only.
    let key = agent(&w, &w.b);
    let page = action_views::list(&w.db, &key, &ActionFilter::default(), None, 50).await.unwrap();
    assert_eq!(ids(&page.items), vec![seeded[4].clone()]);
    assert!(action_views::get(&w.db, &key, &seeded[4]).await.is_ok());
    assert_eq!(code(action_views::get(&w.db, &key, &seeded[0]).await), ErrorCode::PermissionDenied);
    let other = filter(ActionQuery { store_id: Some(w.a.clone()), ..Default::default() });
    assert_eq!(code(action_views::list(&w.db, &key, &other, None, 50).await), ErrorCode::PermissionDenied);
});

db_test!(detail_has_trace_inputs_and_timeline, |db| async move {
    let w = world(db).await;
    let id = w.note(&w.a).await;
    let d = action_views::get(&w.db, &w.owner, &id).await.unwrap();
    assert_eq!(d.row.status, "pending");
    assert_eq!(d.row.decision, "confirm");
    assert!(!d.trace.is_empty(), "the decision trace is parsed");
    assert!(d.trace.iter().any(|s| !s.passed), "the confirmation step asked for it");
    assert!(d.input_list.iter().any(|p| p.key == "target.type" && p.value == "client"), "{:?}", d.input_list);
    assert_eq!(d.requested_by.as_deref(), Some("owner@views.example.com"));
    assert_eq!(d.timeline.len(), 1);
    assert_eq!(d.timeline[0].event, "action.requested");
    assert!(d.timeline[0].detail.as_deref().unwrap().starts_with("Decision: confirm"));

    // Approved by staff, then the caller reports it carried it out.
    let approver = w.user("approver@views.example.com", BuiltInRole::Approver, ScopeRef::Org).await;
    actions::confirm(w.gw(), &approver, &id, "staff").await.unwrap();
    let result =
        ResultInput { status: "executed".into(), output: Some(json!({"note_id": "n-9"})), ..Default::default() };
    actions::report_result(w.gw(), &w.owner, &id, result).await.unwrap();
    let d = action_views::get(&w.db, &w.owner, &id).await.unwrap();
    let events: Vec<&str> = d.timeline.iter().map(|t| t.event.as_str()).collect();
    assert_eq!(events, ["action.requested", "action.confirmed", "action.executed"]);
    assert_eq!(d.timeline[1].actor_label, "approver@views.example.com");
    assert_eq!(d.timeline[1].label, "Confirmed");
    assert_eq!(d.timeline[1].detail.as_deref(), Some("Approved by approver@views.example.com"));
    assert!(d.timeline.windows(2).all(|p| p[0].seq < p[1].seq), "oldest first");
    assert_eq!(d.row.status, "executed");
    assert_eq!(d.row.confirmed_by.as_deref(), Some("approver@views.example.com"));
    assert_eq!(d.result, Some(json!({"note_id": "n-9"})));
    assert!(d.row.executed_at.is_some());

    // A failure shows its error; a redacted input stays redacted.
    let catalog = w.cache.catalog(&w.db).await.unwrap();
    let patch = PermissionPatch { enabled: Some(true), requires_confirmation: Some(false), confirmation_by: None };
    permissions::set(&w.db, &catalog, &w.owner, &w.a, "tickets.add_attachment", patch).await.unwrap();
    let body = w
        .invoke(
            &w.a,
            "tickets.add_attachment",
            json!({"ticket": {"id": "t-1"}, "source": {"url": "https://files.example.com/x?token=SECRET"}, "visibility": "internal"}),
            None,
        )
        .await;
    let att = body["id"].as_str().unwrap().to_string();
    let failed = ResultInput {
        status: "failed".into(),
        error_code: Some("TRANSIENT_FAILURE".into()),
        error_message: Some("timeout".into()),
        ..Default::default()
    };
    actions::report_result(w.gw(), &w.owner, &att, failed).await.unwrap();
    let d = action_views::get(&w.db, &w.owner, &att).await.unwrap();
    assert_eq!(d.error.as_ref().map(|e| e.code.as_str()), Some("TRANSIENT_FAILURE"));
    assert!(!serde_json::to_string(&d).unwrap().contains("SECRET"), "redacted inputs never come back");
    assert!(d.input_list.iter().any(|p| p.key == "source.url" && p.value == "[redacted]"), "{:?}", d.input_list);
    assert_eq!(d.timeline.last().unwrap().detail.as_deref(), Some("TRANSIENT_FAILURE: timeout"));
});

db_test!(approvals_inbox_is_scoped_by_actions_approve, |db| async move {
    let w = world(db).await;
    let seeded = seed(&w).await;
    // The owner approves everywhere: the three staff notes (not C's customer one), oldest first.
    let inbox = action_views::pending_approvals(&w.db, &w.owner).await.unwrap();
    let got: Vec<String> = inbox.iter().map(|p| p.row.id.clone()).collect();
    assert_eq!(got, vec![seeded[0].clone(), seeded[1].clone(), seeded[4].clone()]);
    assert_eq!(action_views::pending_count(&w.db, &w.owner).await.unwrap(), 3);
    let card = &inbox[1];
    assert_eq!(card.row.assistant_name.as_deref(), Some("Helper"));
    assert!(!card.action_description.is_empty());
    assert!(!card.trace.is_empty());
    assert!(card.input_list.iter().any(|p| p.key == "body"));
    assert_eq!(card.requested_by.as_deref(), Some("owner@views.example.com"));

    // A store-scoped Approver sees only that store's.
    let approver_b = w.user("approver-b@views.example.com", BuiltInRole::Approver, ScopeRef::Store(w.b.clone())).await;
    let inbox = action_views::pending_approvals(&w.db, &approver_b).await.unwrap();
    assert_eq!(inbox.iter().map(|p| p.row.id.clone()).collect::<Vec<_>>(), vec![seeded[4].clone()]);
    assert_eq!(action_views::pending_count(&w.db, &approver_b).await.unwrap(), 1);

    // Approving or rejecting takes it out of the inbox.
    actions::confirm(w.gw(), &approver_b, &seeded[4], "staff").await.unwrap();
    assert_eq!(action_views::pending_count(&w.db, &approver_b).await.unwrap(), 0);
    assert!(action_views::pending_approvals(&w.db, &approver_b).await.unwrap().is_empty());
    actions::cancel(w.gw(), &w.owner, &seeded[0]).await.unwrap();
    assert_eq!(action_views::pending_count(&w.db, &w.owner).await.unwrap(), 1);

    // What waited past its expiry is not offered any more.
    let row = action::Entity::find_by_id(seeded[1].clone()).one(&w.db).await.unwrap().unwrap();
    let mut am: action::ActiveModel = row.into();
    am.expires_at = Set(Some(db::now() - Duration::minutes(1)));
    am.update(&w.db).await.unwrap();
    assert_eq!(action_views::pending_count(&w.db, &w.owner).await.unwrap(), 0);

    // Auditors, Viewers and agent keys have no inbox.
    let auditor = w.user("auditor@views.example.com", BuiltInRole::Auditor, ScopeRef::Org).await;
    let viewer = w.user("viewer@views.example.com", BuiltInRole::Viewer, ScopeRef::Org).await;
    assert_eq!(code(action_views::pending_approvals(&w.db, &auditor).await), ErrorCode::PermissionDenied);
    assert_eq!(code(action_views::pending_count(&w.db, &viewer).await), ErrorCode::PermissionDenied);
    assert_eq!(code(action_views::pending_approvals(&w.db, &agent(&w, &w.b)).await), ErrorCode::PermissionDenied);
});

db_test!(csv_quotes_and_neutralises_formulas, |db| async move {
    let w = world(db).await;
    let seeded = seed(&w).await;
    // An error code with a line break and a quote, as a caller might report it.
    let row = action::Entity::find_by_id(seeded[2].clone()).one(&w.db).await.unwrap().unwrap();
    let mut am: action::ActiveModel = row.into();
    am.error_code = Set(Some("-BAD \"one\"\nsecond line".into()));
    am.update(&w.db).await.unwrap();

    let only_a = filter(ActionQuery { store_id: Some(w.a.clone()), ..Default::default() });
    let csv = action_views::csv(&w.db, &w.owner, &only_a).await.unwrap();
    assert!(csv.starts_with(
        "created_at,id,store,assistant,action_type,amount,decision,status,reason,code,confirmed_by,executed_at,error_code\r\n"
    ));
    // The store's name starts with "=": neutralised, and quoted for its comma and quotes.
    assert!(csv.contains(",\"'=HYPERLINK(\"\"http://evil\"\"), \"\"Shop A\"\"\","), "{csv}");
    assert!(!csv.contains(",=HYPERLINK"), "{csv}");
    // A line break stays inside its quoted cell; a leading "-" is neutralised too.
    assert!(csv.contains("\"'-BAD \"\"one\"\"\nsecond line\"\r\n"), "{csv}");
    assert_eq!(csv.matches("\r\n").count(), 5, "header + store A's 4 records:\n{csv}");
    // Newest first, the same rows as the list.
    let list = action_views::list(&w.db, &w.owner, &only_a, None, 50).await.unwrap();
    let positions: Vec<usize> = list.items.iter().map(|r| csv.find(&r.id).expect("every row in the CSV")).collect();
    assert!(positions.windows(2).all(|p| p[0] < p[1]));
    let denied = filter(ActionQuery { decision: Some("deny".into()), ..Default::default() });
    let csv = action_views::csv(&w.db, &w.owner, &denied).await.unwrap();
    assert_eq!(csv.matches("\r\n").count(), 2);
    assert!(csv.contains(&seeded[3]) && csv.contains(",deny,denied,"), "{csv}");
});

db_test!(overview_sections_follow_permissions, |db| async move {
    let w = world(db).await;
    let seeded = seed(&w).await;
    let approver = w.user("approver@views.example.com", BuiltInRole::Approver, ScopeRef::Org).await;
    actions::confirm(w.gw(), &approver, &seeded[4], "staff").await.unwrap();
    let result = ResultInput { status: "executed".into(), output: Some(json!({"ok": true})), ..Default::default() };
    actions::report_result(w.gw(), &w.owner, &seeded[4], result).await.unwrap();

    let o = action_views::overview(&w.db, &w.owner).await.unwrap();
    assert_eq!(o.pending, Some(2));
    assert_eq!(o.recent.as_ref().map(|r| ids(r)), Some(vec![seeded[4].clone()]));
    assert_eq!(o.denials.as_ref().map(|r| ids(r)), Some(vec![seeded[3].clone()]));

    let auditor = w.user("auditor@views.example.com", BuiltInRole::Auditor, ScopeRef::Org).await;
    let o = action_views::overview(&w.db, &auditor).await.unwrap();
    assert_eq!(o.pending, None, "auditors approve nothing");
    assert!(o.recent.is_some() && o.denials.is_some());

    let viewer = w.user("viewer@views.example.com", BuiltInRole::Viewer, ScopeRef::Org).await;
    let o = action_views::overview(&w.db, &viewer).await.unwrap();
    assert_eq!((o.pending, o.recent, o.denials), (None, None, None));
});

db_test!(another_orgs_ids_are_not_found, |db| async move {
    let w = world(db).await;
    let seeded = seed(&w).await;
    let (_, other_owner) = make_org(&w.db, "other").await;
    let other_owner = session_actor(&w.db, &other_owner).await;
    assert_eq!(code(action_views::get(&w.db, &other_owner, &seeded[0]).await), ErrorCode::NotFound);
    let theirs = filter(ActionQuery { store_id: Some(w.a.clone()), ..Default::default() });
    assert_eq!(code(action_views::list(&w.db, &other_owner, &theirs, None, 50).await), ErrorCode::NotFound);
    assert_eq!(code(action_views::csv(&w.db, &other_owner, &theirs).await), ErrorCode::NotFound);
    let theirs = filter(ActionQuery { assistant_id: Some(w.assistant.clone()), ..Default::default() });
    assert_eq!(code(action_views::list(&w.db, &other_owner, &theirs, None, 50).await), ErrorCode::NotFound);
    // Their own lists are empty, never ours.
    let page = action_views::list(&w.db, &other_owner, &ActionFilter::default(), None, 50).await.unwrap();
    assert!(page.items.is_empty());
    assert!(action_views::pending_approvals(&w.db, &other_owner).await.unwrap().is_empty());
    assert_eq!(
        code(action_views::get(&w.db, &w.owner, "0191d3a2-7c1e-7abc-8def-0123456789ab").await),
        ErrorCode::NotFound
    );
});
