//! Spend and quotas on SQLite and PostgreSQL: an enforced count quota stops the third invoke,
//! a team quota caps the sum of its sub-teams and usage rolls up the tree (checked against a
//! plain sum over random trees and records), concurrent invokes never overshoot, threshold
//! alerts fire once per threshold per period, a cancelled action gives its use back, and
//! expenditure batches are all-or-nothing and idempotent.

use crate::common::orgs::make_org;
use crate::common::people::user_actor;
use app::domain::action_settings::PermissionPatch;
use app::domain::assistants::NewAssistant;
use app::domain::policy::ActionRequest;
use app::domain::spend::QuotaInput;
use app::domain::stores::NewStore;
use app::domain::ErrorCode;
use app::entities::{expenditure_record, notification, org, outbox, quota, quota_alert};
use app::services::gateway::actions::{self, Gateway, InvokeInput};
use app::services::org::teams::{self, NewTeam};
use app::services::spend::{self, usage, ExpenditureBody, UsageQuery};
use app::services::stores::policy::PolicyCache;
use app::services::{stores, stores::assistants, stores::permissions, Actor};
use rand::{Rng, SeedableRng};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{json, Value};
use std::sync::Arc;

const KEY: [u8; 32] = [9u8; 32];

struct World {
    db: DatabaseConnection,
    cache: Arc<PolicyCache>,
    org: org::Model,
    owner: Actor,
}

async fn world(db: DatabaseConnection, slug: &str) -> World {
    let (o, u) = make_org(&db, slug).await;
    let owner = user_actor(&db, &o, &u).await;
    World { db, cache: Arc::new(PolicyCache::new()), org: o, owner }
}

impl World {
    fn gw(&self) -> Gateway<'_> {
        Gateway { db: &self.db, policy: &self.cache, secret_key: &KEY, pending_ttl: chrono::Duration::hours(24) }
    }

    async fn team(&self, name: &str, parent: Option<&str>) -> String {
        let input = NewTeam { name: name.into(), parent_team_id: parent.map(str::to_string) };
        teams::create(&self.db, &self.owner, input).await.unwrap().id
    }

    /// A store (in `team`) where create_task runs without confirmation, and an assistant.
    async fn shop(&self, team: Option<&str>) -> (String, String) {
        let input = NewStore {
            name: format!("Shop {}", uuid::Uuid::new_v4().simple()),
            currency: "EUR".into(),
            team_id: team.map(str::to_string),
            ..Default::default()
        };
        let store = stores::create(&self.db, &self.cache, &self.owner, input).await.unwrap().id;
        let catalog = self.cache.catalog(&self.db).await.unwrap();
        let on = PermissionPatch { enabled: Some(true), requires_confirmation: Some(false), confirmation_by: None };
        permissions::set(&self.db, &catalog, &self.owner, &store, "create_task", on).await.unwrap();
        let a = NewAssistant {
            store_id: store.clone(),
            name: "Bot".into(),
            allowed_actions: Some(vec!["create_task".into()]),
            ..Default::default()
        };
        let assistant = assistants::create(&self.db, &self.cache, &self.owner, a).await.unwrap().id;
        (store, assistant)
    }

    async fn quota(&self, body: Value) -> String {
        let input: QuotaInput = serde_json::from_value(body).unwrap();
        spend::create(&self.db, &self.owner, input).await.unwrap().id
    }

    async fn invoke(&self, store: &str, assistant: &str) -> Value {
        let input = InvokeInput {
            request: ActionRequest {
                store_id: Some(store.into()),
                assistant_id: Some(assistant.into()),
                action_type: "create_task".into(),
                params: json!({"title": "Call back"}),
                ..Default::default()
            },
            conversation_id: None,
        };
        let key = uuid::Uuid::new_v4().to_string();
        actions::invoke(self.gw(), &self.owner, input, Some(&key)).await.unwrap().body
    }

    async fn spend(&self, entity_type: &str, entity_id: Option<&str>, amount: &str) {
        let body: ExpenditureBody = serde_json::from_value(json!({"entity_type": entity_type, "entity_id": entity_id,
            "amount": amount, "currency": "EUR", "item_type": "prompt"}))
        .unwrap();
        spend::record(&self.db, &self.owner, body, None).await.unwrap();
    }
}

crate::db_test!(an_enforced_count_quota_of_two_stops_the_third_invoke, |db| async move {
    let w = world(db, "count").await;
    let (store, bot) = w.shop(None).await;
    w.quota(json!({"entity_type": "assistant", "entity_id": bot, "metric": "count", "limit": 2, "period": "day",
        "item_type": "action", "name": "Bot actions"}))
        .await;
    assert_eq!(w.invoke(&store, &bot).await["status"], "executed");
    assert_eq!(w.invoke(&store, &bot).await["status"], "executed");
    let third = w.invoke(&store, &bot).await;
    assert_eq!(third["status"], "denied");
    assert_eq!(third["code"], "QUOTA_EXCEEDED");
    let reason = third["reason"].as_str().unwrap();
    assert!(reason.contains("Bot actions") && reason.contains("assistant \u{201c}Bot\u{201d}"), "{reason}");
    assert!(reason.contains("allows 2 today; 2 used, and this would make 3"), "{reason}");
    // The check says so too, without acting.
    let checked = app::services::gateway::check::check(
        &w.db,
        &w.cache,
        &w.owner,
        ActionRequest {
            store_id: Some(store.clone()),
            assistant_id: Some(bot.clone()),
            action_type: "create_task".into(),
            params: json!({"title": "x"}),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(checked.decision.code.as_deref(), Some("QUOTA_EXCEEDED"));
});

crate::db_test!(a_cancelled_action_gives_its_quota_use_back, |db| async move {
    let w = world(db, "giveback").await;
    let (store, bot) = w.shop(None).await;
    let catalog = w.cache.catalog(&w.db).await.unwrap();
    let confirm = PermissionPatch {
        enabled: Some(true),
        requires_confirmation: Some(true),
        confirmation_by: Some("staff".into()),
    };
    permissions::set(&w.db, &catalog, &w.owner, &store, "create_task", confirm).await.unwrap();
    w.quota(json!({"entity_type": "assistant", "entity_id": bot, "metric": "count", "limit": 1, "period": "month"}))
        .await;
    let first = w.invoke(&store, &bot).await;
    assert_eq!(first["status"], "pending");
    assert_eq!(w.invoke(&store, &bot).await["code"], "QUOTA_EXCEEDED");
    actions::cancel(w.gw(), &w.owner, first["id"].as_str().unwrap()).await.unwrap();
    assert_eq!(w.invoke(&store, &bot).await["status"], "pending", "the cancelled action's use was given back");
});

crate::db_test!(a_team_quota_caps_the_sum_of_its_sub_teams, |db| async move {
    let w = world(db, "teamq").await;
    let top = w.team("Support", None).await;
    let left = w.team("Support EU", Some(&top)).await;
    let right = w.team("Support US", Some(&top)).await;
    let (s1, b1) = w.shop(Some(&left)).await;
    let (s2, b2) = w.shop(Some(&right)).await;
    w.quota(json!({"entity_type": "team", "entity_id": top, "metric": "count", "limit": 3, "period": "week",
        "item_type": "action"}))
        .await;
    assert_eq!(w.invoke(&s1, &b1).await["status"], "executed");
    assert_eq!(w.invoke(&s2, &b2).await["status"], "executed");
    assert_eq!(w.invoke(&s1, &b1).await["status"], "executed");
    let fourth = w.invoke(&s2, &b2).await;
    assert_eq!(fourth["code"], "QUOTA_EXCEEDED", "{fourth}");
    assert!(fourth["reason"].as_str().unwrap().contains("team \u{201c}Support\u{201d}"));
    // Usage of the top team rolls up both sub-teams; a sub-team shows only its own.
    let report = spend::report(
        &w.db,
        &w.owner,
        UsageQuery { entity_type: Some("team".into()), entity_id: Some(top.clone()), period: Some("week".into()) },
    )
    .await
    .unwrap();
    assert_eq!(report.totals[0].count, 3);
    assert_eq!(report.quotas[0].used, "3");
    assert_eq!(report.quotas[0].percent, 100);
    let left_report = spend::report(
        &w.db,
        &w.owner,
        UsageQuery { entity_type: Some("team".into()), entity_id: Some(left), period: Some("week".into()) },
    )
    .await
    .unwrap();
    assert_eq!(left_report.totals[0].count, 2);
});

crate::db_test!(usage_rolls_up_random_trees_like_a_plain_sum, |db| async move {
    let w = world(db, "rollup").await;
    let mut rng = rand::rngs::StdRng::seed_from_u64(20261206);
    // A random tree of 8 teams: each one's parent is an earlier team or none.
    let mut teams: Vec<(String, Option<usize>)> = Vec::new();
    for i in 0..8 {
        let parent = if i == 0 || rng.gen_bool(0.2) { None } else { Some(rng.gen_range(0..i)) };
        let id = w.team(&format!("T{i}"), parent.map(|p| teams[p].0.as_str())).await;
        teams.push((id, parent));
    }
    // Random records on random teams (and some on the org itself).
    let mut per_team = vec![0i64; teams.len()];
    let mut org_only = 0i64;
    for _ in 0..40 {
        let cents = rng.gen_range(1..10_000i64);
        let amount = format!("{}.{:02}", cents / 100, cents % 100);
        if rng.gen_bool(0.1) {
            w.spend("org", None, &amount).await;
            org_only += cents;
        } else {
            let t = rng.gen_range(0..teams.len());
            w.spend("team", Some(&teams[t].0), &amount).await;
            per_team[t] += cents;
        }
    }
    let under = |root: usize| -> i64 {
        (0..teams.len())
            .filter(|&t| {
                let mut cur = Some(t);
                while let Some(c) = cur {
                    if c == root {
                        return true;
                    }
                    cur = teams[c].1;
                }
                false
            })
            .map(|t| per_team[t])
            .sum()
    };
    let at = chrono::Utc::now();
    let tz = app::services::org::settings::time_zone_of(&w.db, &w.org.id).await.unwrap();
    for (i, (id, _)) in teams.iter().enumerate() {
        let qid = w
            .quota(json!({"entity_type": "team", "entity_id": id, "metric": "amount", "limit": 1_000_000,
            "period": "month", "enforce": false}))
            .await;
        let q = quota::Entity::find_by_id(qid).one(&w.db).await.unwrap().unwrap();
        assert_eq!(usage::used_e4(&w.db, &q, &tz, at).await.unwrap(), under(i) * 100, "team T{i}");
    }
    let qid = w.quota(json!({"entity_type": "org", "metric": "amount", "limit": 1_000_000, "period": "month"})).await;
    let q = quota::Entity::find_by_id(qid).one(&w.db).await.unwrap().unwrap();
    assert_eq!(usage::used_e4(&w.db, &q, &tz, at).await.unwrap(), (per_team.iter().sum::<i64>() + org_only) * 100);
});

crate::db_test!(concurrent_invokes_never_overshoot_an_enforced_quota, |db| async move {
    let w = Arc::new(world(db, "race").await);
    let (store, bot) = w.shop(None).await;
    w.quota(json!({"entity_type": "assistant", "entity_id": bot, "metric": "count", "limit": 5, "period": "day"}))
        .await;
    let handles: Vec<_> = (0..24)
        .map(|_| {
            let (w, store, bot) = (w.clone(), store.clone(), bot.clone());
            tokio::spawn(async move { w.invoke(&store, &bot).await["status"].as_str().unwrap().to_string() })
        })
        .collect();
    let mut executed = 0;
    for h in handles {
        if h.await.unwrap() == "executed" {
            executed += 1;
        }
    }
    assert_eq!(executed, 5);
    let records = expenditure_record::Entity::find()
        .filter(expenditure_record::Column::OrgId.eq(&w.org.id))
        .count(&w.db)
        .await
        .unwrap();
    assert_eq!(records, 5, "denied attempts record nothing");
});

crate::db_test!(threshold_alerts_fire_once_per_threshold_per_period, |db| async move {
    let w = world(db, "alerts").await;
    let team = w.team("Marketing", None).await;
    w.quota(json!({"entity_type": "team", "entity_id": team, "metric": "amount", "limit": "100", "currency": "EUR",
        "period": "month", "name": "Prompt budget", "enforce": false}))
        .await;
    for amount in ["30", "15", "10", "20", "10", "40", "5"] {
        w.spend("team", Some(&team), amount).await;
    }
    // 30 → 45 → 55 (50 %) → 75 → 85 (80 %) → 125 (100 %) → 130: one alert per threshold.
    let sent = quota_alert::Entity::find().all(&w.db).await.unwrap();
    let mut thresholds: Vec<i32> = sent.iter().map(|a| a.threshold).collect();
    thresholds.sort();
    assert_eq!(thresholds, vec![50, 80, 100]);
    let notes =
        notification::Entity::find().filter(notification::Column::UserId.eq(&w.owner.id)).all(&w.db).await.unwrap();
    assert_eq!(notes.len(), 3);
    assert!(notes.iter().any(|n| n.title == "80% of the quota \u{201c}Prompt budget\u{201d} used"), "{notes:?}");
    assert!(notes.iter().any(|n| n.body.contains("125.00 EUR of 100.00 EUR this month")), "{notes:?}");
    let mails = outbox::Entity::find().filter(outbox::Column::OrgId.eq(&w.org.id)).count(&w.db).await.unwrap();
    assert!(mails >= 3, "alerts are emailed too");
});

crate::db_test!(expenditure_batches_are_all_or_nothing_and_idempotent, |db| async move {
    let w = world(db, "batch").await;
    let team = w.team("Ops", None).await;
    let body = |amount: &str| -> ExpenditureBody {
        serde_json::from_value(json!({"records": [
            {"entity_type": "team", "entity_id": team, "amount": "1.50", "currency": "EUR", "item_type": "tool"},
            {"entity_type": "org", "amount": amount, "currency": "EUR", "item_type": "agent"}
        ]}))
        .unwrap()
    };
    let bad = spend::record(&w.db, &w.owner, body("-2"), None).await.unwrap_err();
    assert_eq!(bad.fields[0].field, "records.1.amount");
    assert_eq!(expenditure_record::Entity::find().count(&w.db).await.unwrap(), 0, "nothing of a refused batch");
    let first = spend::record(&w.db, &w.owner, body("2"), Some("batch-1")).await.unwrap();
    assert_eq!(first.body["count"], 2);
    let again = spend::record(&w.db, &w.owner, body("2"), Some("batch-1")).await.unwrap();
    assert!(again.replayed);
    assert_eq!(again.body, first.body);
    assert_eq!(expenditure_record::Entity::find().count(&w.db).await.unwrap(), 2);
    let other = spend::record(&w.db, &w.owner, body("3"), Some("batch-1")).await.unwrap_err();
    assert_eq!(other.code, ErrorCode::IdempotencyKeyReused);
    // Another org's team is not found, and nothing is written.
    let b = world(w.db.clone(), "batch-b").await;
    let theirs: ExpenditureBody = serde_json::from_value(
        json!({"entity_type": "team", "entity_id": team, "amount": "1", "currency": "EUR", "item_type": "tool"}),
    )
    .unwrap();
    assert_eq!(spend::record(&b.db, &b.owner, theirs, None).await.unwrap_err().code, ErrorCode::NotFound);
});

/// A Twilio-style provider on port 0: records each form post and its Authorization header,
/// answers with the given status.
async fn sms_provider(status: u16) -> (String, Arc<std::sync::Mutex<Vec<(String, String)>>>) {
    use axum::extract::State;
    use axum::http::HeaderMap;
    type Seen = Arc<std::sync::Mutex<Vec<(String, String)>>>;
    async fn receive(
        State((seen, status)): State<(Seen, u16)>,
        headers: HeaderMap,
        body: String,
    ) -> axum::http::StatusCode {
        let auth = headers.get("authorization").and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
        seen.lock().unwrap().push((auth, body));
        axum::http::StatusCode::from_u16(status).unwrap()
    }
    let seen: Seen = Arc::new(std::sync::Mutex::new(Vec::new()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app =
        axum::Router::new().route("/Messages.json", axum::routing::post(receive)).with_state((seen.clone(), status));
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}/Messages.json"), seen)
}

crate::db_test!(a_quota_alert_goes_by_sms_to_those_who_chose_it, |db| async move {
    use app::domain::notify::{NotificationSettings, SmsProviderInput};
    use app::entities::{audit_event, sms_outbox};
    use app::services::org::notify;
    let w = world(db, "sms").await;
    let (url, seen) = sms_provider(201).await;
    let token = "tok-secret-0123456789";
    let input = SmsProviderInput {
        url,
        account_sid: "AC123".into(),
        from_number: "+15005550006".into(),
        auth_token: Some(token.into()),
    };
    let (created, view) = notify::sms_provider_set(&w.db, &KEY, &w.owner, input).await.unwrap();
    assert!(created && view.token_set);
    let choices: NotificationSettings = serde_json::from_value(
        json!({"channels": {"quota_alert": ["in_app", "sms"]}, "sms_number": "+49 151 2345 6789"}),
    )
    .unwrap();
    notify::set_my_settings(&w.db, &w.owner, choices).await.unwrap();
    let team = w.team("Sales", None).await;
    w.quota(json!({"entity_type": "team", "entity_id": team, "metric": "amount", "limit": "10", "currency": "EUR",
        "period": "day", "alert_thresholds": [50], "name": "Sales tools"}))
        .await;
    w.spend("team", Some(&team), "6").await;
    // In-app yes, email no (not chosen), SMS queued and then sent through the provider.
    let notes =
        notification::Entity::find().filter(notification::Column::UserId.eq(&w.owner.id)).count(&w.db).await.unwrap();
    assert_eq!(notes, 1);
    assert_eq!(outbox::Entity::find().filter(outbox::Column::OrgId.eq(&w.org.id)).count(&w.db).await.unwrap(), 0);
    assert_eq!(notify::deliver_sms_due(&w.db, &KEY, 10).await.unwrap(), (1, 0));
    let got = seen.lock().unwrap().clone();
    assert_eq!(got.len(), 1);
    use base64::Engine;
    let basic = format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("AC123:{token}")));
    assert_eq!(got[0].0, basic);
    assert!(got[0].1.contains("To=%2B4915123456789") && got[0].1.contains("From=%2B15005550006"), "{}", got[0].1);
    assert!(got[0].1.contains("Sales+tools"), "{}", got[0].1);
    let sent = sms_outbox::Entity::find().one(&w.db).await.unwrap().unwrap();
    assert!(sent.sent_at.is_some());
    assert_eq!(notify::deliver_sms_due(&w.db, &KEY, 10).await.unwrap(), (0, 0), "sent once");
    // The token is never shown or recorded.
    let trail = audit_event::Entity::find().all(&w.db).await.unwrap();
    assert!(trail.iter().all(|e| !format!("{e:?}").contains(token)));
    assert!(!format!("{:?}", notify::sms_provider_get(&w.db, &w.owner).await.unwrap()).contains(token));
});

crate::db_test!(a_refused_text_message_is_not_retried, |db| async move {
    use app::domain::notify::{NotificationSettings, SmsProviderInput};
    use app::entities::sms_outbox;
    use app::services::org::notify;
    let w = world(db, "sms400").await;
    let (url, seen) = sms_provider(400).await;
    let input = SmsProviderInput {
        url,
        account_sid: "AC1".into(),
        from_number: "+15005550006".into(),
        auth_token: Some("tok-0123456789".into()),
    };
    notify::sms_provider_set(&w.db, &KEY, &w.owner, input).await.unwrap();
    let choices: NotificationSettings =
        serde_json::from_value(json!({"channels": {"quota_alert": ["sms"]}, "sms_number": "+4915123456789"})).unwrap();
    notify::set_my_settings(&w.db, &w.owner, choices).await.unwrap();
    w.quota(json!({"entity_type": "org", "metric": "count", "limit": 1, "period": "day", "alert_thresholds": [100]}))
        .await;
    w.spend("org", None, "1").await;
    assert_eq!(notify::deliver_sms_due(&w.db, &KEY, 10).await.unwrap(), (0, 1));
    assert_eq!(notify::deliver_sms_due(&w.db, &KEY, 10).await.unwrap(), (0, 0));
    assert_eq!(seen.lock().unwrap().len(), 1);
    let m = sms_outbox::Entity::find().one(&w.db).await.unwrap().unwrap();
    assert!(m.sent_at.is_none() && m.last_error.unwrap().contains("400"));
});

crate::db_test!(the_monthly_report_goes_out_once_with_two_servers, |db| async move {
    use app::services::spend::jobs;
    let w = Arc::new(world(db, "report").await);
    // Spend in November, reported in December.
    let body: ExpenditureBody =
        serde_json::from_value(json!({"entity_type": "org", "amount": "42.50", "currency": "EUR",
        "item_type": "prompt", "occurred_at": "2026-11-20T10:00:00Z"}))
        .unwrap();
    spend::record(&w.db, &w.owner, body, None).await.unwrap();
    let at = chrono::DateTime::parse_from_rfc3339("2026-12-01T06:00:00Z").unwrap().with_timezone(&chrono::Utc);
    let (a, b) =
        tokio::join!(jobs::monthly_reports(&w.db, at, "server-1"), jobs::monthly_reports(&w.db, at, "server-2"));
    assert_eq!(a.unwrap() + b.unwrap(), 1, "one of the two servers sent it");
    assert_eq!(jobs::monthly_reports(&w.db, at + chrono::Duration::hours(5), "server-1").await.unwrap(), 0);
    let mails = outbox::Entity::find().filter(outbox::Column::OrgId.eq(&w.org.id)).all(&w.db).await.unwrap();
    let reports: Vec<_> = mails.iter().filter(|m| m.subject == "Usage report for 2026-11").collect();
    assert_eq!(reports.len(), 1, "{mails:?}");
    assert!(reports[0].body.contains("prompt: 42.50 EUR in 1 records"), "{}", reports[0].body);
});

crate::db_test!(unusual_activity_is_a_multiple_of_the_trailing_mean_once_a_day, |db| async move {
    use app::services::spend::jobs;
    let w = world(db, "unusual").await;
    let team = w.team("Growth", None).await;
    let at = chrono::DateTime::parse_from_rfc3339("2026-12-05T18:00:00Z").unwrap().with_timezone(&chrono::Utc);
    // 10 EUR a day for 28 days, then 25 today: not unusual at 3×.
    let mut records = Vec::new();
    for d in 1..=28 {
        let t = at - chrono::Duration::days(d);
        records.push(json!({"entity_type": "team", "entity_id": team, "amount": "10", "currency": "EUR",
            "item_type": "tool", "occurred_at": t.to_rfc3339()}));
    }
    records.push(json!({"entity_type": "team", "entity_id": team, "amount": "25", "currency": "EUR",
        "item_type": "tool", "occurred_at": (at - chrono::Duration::hours(2)).to_rfc3339()}));
    let body: ExpenditureBody = serde_json::from_value(json!({"records": records})).unwrap();
    spend::record(&w.db, &w.owner, body, None).await.unwrap();
    assert_eq!(jobs::unusual_activity(&w.db, at, 3, "s").await.unwrap(), 0);
    // 10 more today: 35 > 3 × 10 for the team and for the org (spend; records stay at 2 < 3).
    let more: ExpenditureBody =
        serde_json::from_value(json!({"entity_type": "team", "entity_id": team, "amount": "10",
        "currency": "EUR", "item_type": "tool", "occurred_at": (at - chrono::Duration::hours(1)).to_rfc3339()}))
        .unwrap();
    spend::record(&w.db, &w.owner, more, None).await.unwrap();
    let later = at + chrono::Duration::minutes(30);
    assert_eq!(jobs::unusual_activity(&w.db, later, 3, "s").await.unwrap(), 2);
    assert_eq!(jobs::unusual_activity(&w.db, later, 3, "s").await.unwrap(), 0, "once a day");
    let notes =
        notification::Entity::find().filter(notification::Column::UserId.eq(&w.owner.id)).all(&w.db).await.unwrap();
    assert!(notes.iter().any(|n| n.title == "Unusual activity: team \u{201c}Growth\u{201d}"), "{notes:?}");
    assert!(notes.iter().any(|n| n.body.contains("35.00 EUR today")), "{notes:?}");
});

crate::db_test!(a_team_page_and_a_persons_own_spend, |db| async move {
    use crate::common::people::{grant, member};
    use app::domain::access::ScopeRef;
    use app::domain::permission::BuiltInRole;
    use app::services::identity::users;
    let w = world(db, "entitypages").await;
    let top = w.team("Support", None).await;
    let eu = w.team("Support EU", Some(&top)).await;
    let ana = member(&w.db, &w.org, "Ana", Some(&eu)).await;
    grant(&w.db, &w.org, &ana, BuiltInRole::Viewer, ScopeRef::Team(eu.clone())).await;
    let bo = member(&w.db, &w.org, "Bo", Some(&eu)).await;
    let ana_actor = user_actor(&w.db, &w.org, &ana).await;
    let record = |user: &str, amount: &str| json!({"entity_type": "user", "entity_id": user, "amount": amount, "currency": "EUR", "item_type": "tool"});
    for (u, a) in [(&ana.id, "12.50"), (&ana.id, "7.50"), (&bo.id, "3.00")] {
        let body: ExpenditureBody = serde_json::from_value(record(u, a)).unwrap();
        spend::record(&w.db, &w.owner, body, None).await.unwrap();
    }
    w.quota(json!({"entity_type": "team", "entity_id": top, "metric": "amount", "limit": "100", "currency": "EUR",
        "period": "month"}))
        .await;

    // The team page: where it sits, its people, and spend for whoever may read it.
    let page = teams::page(&w.db, &w.owner, &eu).await.unwrap();
    assert_eq!(page.ancestors.iter().map(|t| t.name.as_str()).collect::<Vec<_>>(), ["Support"]);
    assert_eq!(page.members.iter().map(|m| m.display_name.as_str()).collect::<Vec<_>>(), ["Ana", "Bo"]);
    assert!(page.can_read_usage);
    let top_page = teams::page(&w.db, &w.owner, &top).await.unwrap();
    assert_eq!(top_page.sub_teams.len(), 1);
    assert!(top_page.members.is_empty());
    assert!(!teams::page(&w.db, &ana_actor, &eu).await.unwrap().can_read_usage, "a Viewer has no usage.read");

    // A person always reads their own spend (and the quotas over it), never another's
    // without usage.read.
    let own = |id: &str| UsageQuery { entity_type: Some("user".into()), entity_id: Some(id.into()), period: None };
    let mine = spend::report(&w.db, &ana_actor, own(&ana.id)).await.unwrap();
    assert_eq!((mine.totals[0].amount.as_str(), mine.totals[0].count), ("20.00", 2));
    assert_eq!(mine.quotas.len(), 1, "the quota of the team above her");
    assert_eq!(mine.quotas[0].used, "23.00", "the team quota counts everyone below it");
    let refused = spend::report(&w.db, &ana_actor, own(&bo.id)).await.unwrap_err();
    assert_eq!(refused.code, ErrorCode::PermissionDenied);
    assert!(users::page(&w.db, &ana_actor, &ana.id).await.unwrap().can_read_usage);
    assert!(!users::page(&w.db, &ana_actor, &bo.id).await.unwrap().can_read_usage);
    assert!(users::page(&w.db, &w.owner, &bo.id).await.unwrap().can_read_usage);
});

crate::db_test!(periods_and_the_profile_follow_the_org_time_zone, |db| async move {
    use app::domain::spend::period_bounds_in;
    use app::services::org::settings::{self, OrgSettingsPatch};
    let w = world(db, "tzorg").await;
    // The profile refuses an unknown zone and a bad currency, naming each field.
    let bad = OrgSettingsPatch {
        time_zone: Some("Mars/Olympus".into()),
        default_currency: Some("euro".into()),
        contact_phone: Some("call me".into()),
        ..Default::default()
    };
    let err = settings::update(&w.db, &w.owner, bad).await.unwrap_err();
    let fields: Vec<&str> = err.fields.iter().map(|f| f.field.as_str()).collect();
    assert_eq!(fields, ["contact_phone", "time_zone", "default_currency"], "{err:?}");
    let good = OrgSettingsPatch {
        time_zone: Some("Pacific/Kiritimati".into()),
        address: Some("1 Harbour Road\nLondon".into()),
        default_currency: Some("gbp".into()),
        ..Default::default()
    };
    let s = settings::update(&w.db, &w.owner, good).await.unwrap();
    assert_eq!((s.time_zone.as_str(), s.default_currency.as_str()), ("Pacific/Kiritimati", "GBP"));

    // A day quota counts from the org's midnight: a record a minute before it is yesterday's.
    let team = w.team("Night shift", None).await;
    w.quota(json!({"entity_type": "team", "entity_id": team, "metric": "count", "limit": 10, "period": "day"})).await;
    let tz: chrono_tz::Tz = "Pacific/Kiritimati".parse().unwrap();
    let (midnight, _) = period_bounds_in("day", chrono::Utc::now(), &tz);
    for (i, at) in [midnight - chrono::Duration::minutes(1), midnight + chrono::Duration::minutes(1)].iter().enumerate()
    {
        let body: ExpenditureBody = serde_json::from_value(json!({"entity_type": "team", "entity_id": team,
            "amount": "1", "currency": "EUR", "item_type": "tool", "occurred_at": at.to_rfc3339(), "item_id": format!("r{i}")}))
        .unwrap();
        spend::record(&w.db, &w.owner, body, None).await.unwrap();
    }
    let q = UsageQuery { entity_type: Some("team".into()), entity_id: Some(team.clone()), period: Some("day".into()) };
    let report = spend::report(&w.db, &w.owner, q).await.unwrap();
    assert_eq!(chrono::DateTime::parse_from_rfc3339(&report.period_start).unwrap(), midnight);
    assert_eq!(report.totals[0].count, 1, "only the record after the org's midnight");
    assert_eq!(report.quotas[0].used, "1");
});
