//! `domain::policy::decide` against cedar-policy evaluating the same policy, in one criterion
//! run. Two requests (allowed; over max_amount and max_percentage) on a store with 25 actions
//! and 3 limits each. For each:
//! - `decide_pure`: decide with an input check that accepts everything — a pure policy
//!   evaluation, the fair comparison with Cedar's `is_authorized`;
//! - `decide_with_schema`: decide with the real catalog's compiled JSON Schemas (what
//!   `POST /check` and invoke run);
//! - `schema_only`: the JSON Schema validation alone;
//! - `cedar`: read the same inputs and usage count, build the Cedar context and request, and
//!   `Authorizer::is_authorized` over the 100 policies and 27 entities;
//! - `cedar_is_authorized_only`: `is_authorized` alone on a request built beforehand;
//! - `cedar_4_policies`: the same as `cedar` with only the asked action's 4 policies, for scale (Cedar
//!   evaluates every policy in its set; `decide` looks the action up).
//! Both sides start from the same parsed request (`serde_json::Value`) and precompiled
//! policy; neither includes HTTP, JSON parsing or database reads.
//!
//! Without the default `cedar` feature only the `decide` and schema benches run (with the
//! server's serde_json features, see bench/Cargo.toml).
//!
//! `decide` also writes a human-readable trace (a formatted line per check); Cedar answers
//! the decision and the ids of the determining policies. That difference is part of what is
//! measured.

use app::domain::policy::{decide, InputCheck, Outcome, StorePolicy};
#[cfg(feature = "cedar")]
use app::domain::policy::{ActionRequest, Usage, UsageKey};
#[cfg(feature = "cedar")]
use cedar_policy::{
    Authorizer, Context, Decision as CedarDecision, Entities, EntityId, EntityTypeName, EntityUid, PolicySet, Request,
    Response, RestrictedExpression,
};
use criterion::{criterion_group, criterion_main, Criterion};
use mandate_bench::*;
use std::hint::black_box;
#[cfg(feature = "cedar")]
use std::str::FromStr;

#[cfg(feature = "cedar")]
struct CedarSide {
    authorizer: Authorizer,
    policies: PolicySet,
    entities: Entities,
    principal: EntityUid,
    resource: EntityUid,
    action_type: EntityTypeName,
}

#[cfg(feature = "cedar")]
impl CedarSide {
    fn new(defs: &[app::domain::catalog::ActionDef]) -> CedarSide {
        let policies = PolicySet::from_str(&cedar_policy_text(defs)).expect("Cedar policies parse");
        assert_eq!(policies.policies().count(), 4 * defs.len());
        CedarSide {
            authorizer: Authorizer::new(),
            policies,
            entities: Entities::from_json_value(cedar_entities_json(defs), None).expect("Cedar entities parse"),
            principal: EntityUid::from_str(&format!(r#"Assistant::"{ASSISTANT_ID}""#)).expect("principal"),
            resource: EntityUid::from_str(&format!(r#"Store::"{STORE_ID}""#)).expect("resource"),
            action_type: EntityTypeName::from_str("Action").expect("type"),
        }
    }

    /// One authorization, from the same inputs `decide` gets.
    fn authorize(&self, req: &ActionRequest, usage: &Usage, key: &UsageKey) -> Response {
        let request = self.request(req, usage, key);
        self.authorizer.is_authorized(&request, &self.policies, &self.entities)
    }

    /// The Cedar request for `req`: its context holds the amount, the percentage and the count.
    fn request(&self, req: &ActionRequest, usage: &Usage, key: &UsageKey) -> Request {
        let v = context_values(req, usage, key);
        let mut pairs = Vec::with_capacity(3);
        if let Some(a) = v.amount {
            pairs.push(("amount".to_string(), RestrictedExpression::new_decimal(cedar_decimal(a))));
        }
        if let Some(p) = v.percentage {
            pairs.push(("percentage".to_string(), RestrictedExpression::new_decimal(cedar_decimal(p))));
        }
        pairs.push((format!("count_store_{WINDOW_HOURS}h"), RestrictedExpression::new_long(v.count as i64)));
        let context = Context::from_pairs(pairs).expect("context");
        let action = EntityUid::from_type_name_and_id(self.action_type.clone(), EntityId::new(&req.action_type));
        Request::new(self.principal.clone(), action, self.resource.clone(), context, None).expect("request")
    }
}

fn benches(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let catalog = runtime.block_on(load_catalog());
    let defs = chosen_actions(&catalog);
    let policy: StorePolicy = store_policy(&defs);
    let usage = usage();
    #[cfg(feature = "cedar")]
    let (key, cedar) = (usage_key(), CedarSide::new(&defs));
    // For scale: Cedar evaluates every policy of the set, so the same request against only
    // the asked action's 4 policies (an unfair advantage: `decide` keeps all 25 actions).
    #[cfg(feature = "cedar")]
    let cedar_one = CedarSide::new(&defs.iter().filter(|d| d.id == ACTION).cloned().collect::<Vec<_>>());

    for (name, req, expected) in
        [("allowed", allowed_request(), Outcome::Allow), ("limit_hit", limit_hit_request(), Outcome::Deny)]
    {
        // Both engines must agree before their speed means anything.
        let d = decide(&req, &policy, &usage, &NoInputCheck).expect("decide");
        assert_eq!(d.outcome, expected, "{name}: decide says {:?}: {}", d.outcome, d.reason);
        assert_eq!(decide(&req, &policy, &usage, &catalog).expect("decide with schema").outcome, expected);
        #[cfg(feature = "cedar")]
        {
            let cedar_expected = if expected == Outcome::Allow { CedarDecision::Allow } else { CedarDecision::Deny };
            let response = cedar.authorize(&req, &usage, &key);
            assert!(response.diagnostics().errors().next().is_none(), "{name}: Cedar evaluation errors");
            assert_eq!(response.decision(), cedar_expected, "{name}: Cedar disagrees");
            assert_eq!(cedar_one.authorize(&req, &usage, &key).decision(), cedar_expected);
        }
        assert!(catalog.check(ACTION, 1, &req.params).is_ok(), "{name}: the inputs must pass the schema");

        let mut group = c.benchmark_group(name);
        group.bench_function("decide_pure", |b| {
            b.iter(|| decide(black_box(&req), black_box(&policy), black_box(&usage), &NoInputCheck))
        });
        group.bench_function("decide_with_schema", |b| {
            b.iter(|| decide(black_box(&req), black_box(&policy), black_box(&usage), &catalog))
        });
        group.bench_function("schema_only", |b| b.iter(|| catalog.check(ACTION, 1, black_box(&req.params))));
        #[cfg(feature = "cedar")]
        group.bench_function("cedar", |b| b.iter(|| cedar.authorize(black_box(&req), black_box(&usage), &key)));
        #[cfg(feature = "cedar")]
        {
            let request = cedar.request(&req, &usage, &key);
            group.bench_function("cedar_is_authorized_only", |b| {
                b.iter(|| cedar.authorizer.is_authorized(black_box(&request), &cedar.policies, &cedar.entities))
            });
        }
        #[cfg(feature = "cedar")]
        group.bench_function("cedar_4_policies", |b| {
            b.iter(|| cedar_one.authorize(black_box(&req), black_box(&usage), &key))
        });
        group.finish();
    }
}

criterion_group!(decide_vs_cedar, benches);
criterion_main!(decide_vs_cedar);
