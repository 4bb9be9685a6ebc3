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
    for (i, (id, _)) in teams.iter().enumerate() {
        let qid = w
            .quota(json!({"entity_type": "team", "entity_id": id, "metric": "amount", "limit": 1_000_000,
            "period": "month", "enforce": false}))
            .await;
        let q = quota::Entity::find_by_id(qid).one(&w.db).await.unwrap().unwrap();
        assert_eq!(usage::used_e4(&w.db, &q, at).await.unwrap(), under(i) * 100, "team T{i}");
    }
    let qid = w.quota(json!({"entity_type": "org", "metric": "amount", "limit": 1_000_000, "period": "month"})).await;
    let q = quota::Entity::find_by_id(qid).one(&w.db).await.unwrap().unwrap();
    assert_eq!(usage::used_e4(&w.db, &q, at).await.unwrap(), (per_team.iter().sum::<i64>() + org_only) * 100);
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
