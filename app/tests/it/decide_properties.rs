//! Property tests for `decide`: random stores, assistants, limits, usage and requests, checked
//! against a straightforward reference written here, separately from the domain code, and
//! against the invariants the product promises:
//! - a disabled action is never allowed;
//! - tightening any limit never turns a refusal into an allowance (nor loosens anything);
//! - a paused store allows nothing;
//! - an assistant never gets more than its store.

use app::domain::catalog::{ConfirmationBy, Level, LimitType, OnExceed};
use app::domain::error::FieldError;
use app::domain::policy::{
    decide, ActionRequest, ActionRule, AssistantRule, InputCheck, Limit, Outcome, StorePolicy, Subject, Usage,
    UsageKey, UsageTotals,
};
use proptest::prelude::*;
use rust_decimal::Decimal;
use serde_json::{json, Value};
use std::collections::{BTreeSet, HashMap};

const ACTIONS: [&str; 4] = ["refund", "discount", "lookup", "cancel"];

/// Inputs are valid unless they carry `"bad": true`.
struct Inputs;

impl InputCheck for Inputs {
    fn check(&self, _: &str, _: u32, params: &Value) -> Result<(), Vec<FieldError>> {
        if params.get("bad") == Some(&json!(true)) {
            Err(vec![FieldError { field: "params.bad".into(), message: "bad".into() }])
        } else {
            Ok(())
        }
    }
}

fn arb_limit(level: Level) -> impl Strategy<Value = Limit> {
    // Values from a small set that the request amounts and usage also draw from, so
    // boundaries (amount == limit) come up often.
    (
        0usize..4,
        prop::sample::select(vec![0u32, 1, 5, 10, 50, 100, 200]),
        prop::sample::select(vec![1u32, 24]),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(move |(t, v, w, deny, per_customer)| {
            let limit_type = LimitType::ALL[t];
            Limit {
                id: format!("l-{t}-{v}"),
                level,
                limit_type,
                value: Decimal::from(v),
                window_hours: limit_type.is_windowed().then_some(w),
                on_exceed: if deny { OnExceed::Deny } else { OnExceed::Confirm },
                per_customer,
            }
        })
}

fn arb_rule(name: &'static str) -> impl Strategy<Value = ActionRule> {
    (
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        0u8..3,
        prop::collection::vec(prop_oneof![arb_limit(Level::Org), arb_limit(Level::Store)], 0..4),
    )
        .prop_map(move |(enabled, requires_confirmation, customer, fields, limits)| ActionRule {
            version: 1,
            name: name.to_string(),
            // 0: no money; 1: amount + order total; 2: amount + percentage.
            amount_field: (fields > 0).then(|| "amount".to_string()),
            percentage_field: (fields == 2).then(|| "percentage".to_string()),
            order_total_field: (fields == 1).then(|| "order_total".to_string()),
            enabled,
            requires_confirmation,
            confirmation_by: if customer { ConfirmationBy::Customer } else { ConfirmationBy::Staff },
            limits,
        })
}

fn arb_assistant() -> impl Strategy<Value = AssistantRule> {
    (
        any::<bool>(),
        prop::collection::btree_set(prop::sample::select(ACTIONS.to_vec()), 0..=4),
        prop::collection::vec((prop::sample::select(ACTIONS.to_vec()), arb_limit(Level::Assistant)), 0..3),
    )
        .prop_map(|(active, allowed, limits)| {
            let mut by_action: HashMap<String, Vec<Limit>> = HashMap::new();
            for (a, l) in limits {
                by_action.entry(a.to_string()).or_default().push(l);
            }
            AssistantRule {
                active: active || allowed.len() % 2 == 0,
                allowed: allowed.into_iter().map(str::to_string).collect::<BTreeSet<_>>(),
                limits: by_action,
            }
        })
}

fn arb_policy() -> impl Strategy<Value = StorePolicy> {
    (
        prop::bool::weighted(0.1),
        arb_rule("refund"),
        arb_rule("discount"),
        arb_rule("lookup"),
        arb_rule("cancel"),
        prop::collection::vec(arb_assistant(), 0..3),
    )
        .prop_map(|(paused, r0, r1, r2, r3, assistants)| StorePolicy {
            store_id: "s".into(),
            currency: "EUR".into(),
            paused,
            actions: ACTIONS.iter().map(|a| a.to_string()).zip([r0, r1, r2, r3]).collect(),
            assistants: assistants.into_iter().enumerate().map(|(i, a)| (format!("as{i}"), a)).collect(),
        })
}

fn arb_request() -> impl Strategy<Value = ActionRequest> {
    (
        prop_oneof![9 => prop::sample::select(ACTIONS.to_vec()).prop_map(str::to_string), 1 => Just("nope".to_string())],
        prop::option::of(prop_oneof![Just("as0"), Just("as1"), Just("as2"), Just("ghost")]),
        prop::option::of(prop::sample::select(vec![0u32, 1, 5, 10, 30, 50, 80, 100, 120, 200, 250])),
        prop::option::of(prop::sample::select(vec![1u32, 5, 10, 50, 75, 100])),
        prop::option::of(prop::sample::select(vec![0u32, 10, 50, 100, 160, 200, 400])),
        prop::option::of(prop_oneof![Just("c1"), Just("c2")]),
    )
        .prop_map(|(action, assistant, amount, pct, total, customer)| {
            let mut params = serde_json::Map::new();
            if let Some(a) = amount {
                params.insert("amount".into(), json!(a.to_string()));
            }
            if let Some(p) = pct {
                params.insert("percentage".into(), json!(p));
            }
            if let Some(t) = total {
                params.insert("order_total".into(), json!(t));
            }
            ActionRequest {
                store_id: None,
                action_type: action,
                action_version: None,
                params: Value::Object(params),
                assistant_id: assistant.map(str::to_string),
                customer_ref: customer.map(str::to_string),
                known_order_total: None,
            }
        })
}

/// Usage for every window any limit of the policy could read, drawn from `seed`.
fn usage_for(policy: &StorePolicy, reqs: &[&ActionRequest], seed: &[u32]) -> Usage {
    let mut keys: Vec<UsageKey> = reqs.iter().flat_map(|r| policy.usage_keys(r)).collect();
    keys.sort();
    keys.dedup();
    let mut usage = Usage::default();
    for (i, k) in keys.into_iter().enumerate() {
        let n = seed.get(i % seed.len().max(1)).copied().unwrap_or(0);
        usage.windows.insert(
            k,
            UsageTotals { count: u64::from(n % 8), amount: Decimal::from([0, 10, 50, 90, 100, 150][n as usize % 6]) },
        );
    }
    usage
}

// ---------------------------------------------------------------------------------------------
// The reference: the rules of DESIGN.md §3 written as plainly as possible.

fn dec(params: &Value, field: &Option<String>) -> Option<Decimal> {
    let v = params.get(field.as_ref()?)?;
    match v {
        Value::Number(n) => n.to_string().parse().ok(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

fn reference(req: &ActionRequest, policy: &StorePolicy, usage: &Usage) -> Outcome {
    let Some(rule) = policy.actions.get(&req.action_type) else { return Outcome::Deny };
    if policy.paused {
        return Outcome::Deny;
    }
    let mut limits: Vec<Limit> = rule.limits.clone();
    if let Some(id) = &req.assistant_id {
        match policy.assistants.get(id) {
            Some(a) if a.active && a.allowed.contains(&req.action_type) => {
                limits.extend(a.limits.get(&req.action_type).cloned().unwrap_or_default());
            }
            _ => return Outcome::Deny,
        }
    }
    if !rule.enabled {
        return Outcome::Deny;
    }
    let amount = dec(&req.params, &rule.amount_field);
    let total = dec(&req.params, &rule.order_total_field);
    let pct = dec(&req.params, &rule.percentage_field).or(match (amount, total) {
        (Some(a), Some(t)) if t > Decimal::ZERO => Some((a * Decimal::from(100) / t).round_dp(4)),
        _ => None,
    });
    let mut worst = Outcome::Allow;
    let fire = |l: &Limit| if l.on_exceed == OnExceed::Deny { Outcome::Deny } else { Outcome::Confirm };
    for l in &limits {
        let customer = req.customer_ref.clone();
        if l.per_customer && customer.is_none() {
            worst = worst.max(fire(l));
            continue;
        }
        if l.level == Level::Assistant && req.assistant_id.is_none() {
            continue;
        }
        let subject = match (l.level, l.per_customer) {
            (Level::Assistant, false) => Subject::Assistant(req.assistant_id.clone().unwrap()),
            (Level::Assistant, true) => {
                Subject::AssistantCustomer(req.assistant_id.clone().unwrap(), customer.unwrap())
            }
            (_, false) => Subject::Store,
            (_, true) => Subject::Customer(customer.unwrap()),
        };
        let used = l
            .window_hours
            .and_then(|w| usage.windows.get(&UsageKey { subject, window_hours: w }).copied())
            .unwrap_or_default();
        let outcome = match l.limit_type {
            LimitType::MaxAmount => amount.filter(|a| *a > l.value).map(|_| fire(l)),
            LimitType::MaxPercentage => match pct {
                None => Some(Outcome::Deny),
                Some(p) => (p > l.value).then(|| fire(l)),
            },
            LimitType::MaxCount => (Decimal::from(used.count + 1) > l.value).then(|| fire(l)),
            LimitType::MaxTotalAmount => amount.filter(|a| used.amount + *a > l.value).map(|_| fire(l)),
        };
        if let Some(o) = outcome {
            worst = worst.max(o);
        }
    }
    if rule.requires_confirmation {
        worst = worst.max(Outcome::Confirm);
    }
    worst
}

fn outcome(req: &ActionRequest, policy: &StorePolicy, usage: &Usage) -> Outcome {
    decide(req, policy, usage, &Inputs).expect("valid inputs never fail").outcome
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn decide_agrees_with_the_reference(
        policy in arb_policy(), req in arb_request(), seed in prop::collection::vec(0u32..1000, 1..8)
    ) {
        let usage = usage_for(&policy, &[&req], &seed);
        let d = decide(&req, &policy, &usage, &Inputs).unwrap();
        prop_assert_eq!(d.outcome, reference(&req, &policy, &usage), "trace: {:#?}", d.trace);
        prop_assert_eq!(d.is_allowed(), d.outcome != Outcome::Deny);
        prop_assert_eq!(d.requires_confirmation, d.outcome == Outcome::Confirm);
        prop_assert!(!d.trace.is_empty());
        prop_assert!(!d.reason.is_empty());
        if d.outcome != Outcome::Allow {
            prop_assert!(d.code.is_some());
        }
        // Every failing step asks for something at most as strict as the outcome.
        for s in &d.trace {
            prop_assert_eq!(s.passed, s.outcome.is_none());
            if let Some(o) = s.outcome { prop_assert!(o <= d.outcome); }
        }
    }

    #[test]
    fn a_disabled_action_is_never_allowed(
        mut policy in arb_policy(), req in arb_request(), seed in prop::collection::vec(0u32..1000, 1..8)
    ) {
        if let Some(rule) = policy.actions.get_mut(&req.action_type) { rule.enabled = false; }
        let usage = usage_for(&policy, &[&req], &seed);
        let d = decide(&req, &policy, &usage, &Inputs).unwrap();
        prop_assert_eq!(d.outcome, Outcome::Deny);
        prop_assert!(!d.is_allowed());
    }

    #[test]
    fn a_paused_store_allows_nothing(
        mut policy in arb_policy(), req in arb_request(), seed in prop::collection::vec(0u32..1000, 1..8)
    ) {
        policy.paused = true;
        let usage = usage_for(&policy, &[&req], &seed);
        let d = decide(&req, &policy, &usage, &Inputs).unwrap();
        prop_assert_eq!(d.outcome, Outcome::Deny);
        if policy.actions.contains_key(&req.action_type) {
            prop_assert_eq!(d.code.as_deref(), Some("STORE_PAUSED"));
        }
        for a in policy.assistants.keys() { prop_assert!(policy.callable_by(a).is_empty()); }
    }

    #[test]
    fn tightening_a_limit_never_loosens_the_decision(
        policy in arb_policy(), req in arb_request(), seed in prop::collection::vec(0u32..1000, 1..8),
        which in any::<prop::sample::Index>(), cut in 1u32..300,
    ) {
        let usage = usage_for(&policy, &[&req], &seed);
        let before = outcome(&req, &policy, &usage);
        let mut tighter = policy.clone();
        // Every limit of the store and of its assistants, in a fixed order.
        let mut slots: Vec<&mut Limit> = Vec::new();
        let mut names: Vec<String> = tighter.actions.keys().cloned().collect();
        names.sort();
        let mut actions: Vec<(&String, &mut ActionRule)> = tighter.actions.iter_mut().collect();
        actions.sort_by(|a, b| a.0.cmp(b.0));
        for (_, r) in actions { slots.extend(r.limits.iter_mut()); }
        let mut assistants: Vec<(&String, &mut AssistantRule)> = tighter.assistants.iter_mut().collect();
        assistants.sort_by(|a, b| a.0.cmp(b.0));
        for (_, a) in assistants {
            let mut ls: Vec<(&String, &mut Vec<Limit>)> = a.limits.iter_mut().collect();
            ls.sort_by(|x, y| x.0.cmp(y.0));
            for (_, l) in ls { slots.extend(l.iter_mut()); }
        }
        prop_assume!(!slots.is_empty());
        let i = which.index(slots.len());
        let l = &mut slots[i];
        l.value = (l.value - Decimal::from(cut)).max(Decimal::ZERO);
        let after = outcome(&req, &tighter, &usage);
        prop_assert!(after >= before, "{:?} became {:?} after tightening", before, after);
        // Turning a confirm-on-exceed into a deny is tightening too.
        let mut stricter = policy.clone();
        for r in stricter.actions.values_mut() { for l in &mut r.limits { l.on_exceed = OnExceed::Deny; } }
        prop_assert!(outcome(&req, &stricter, &usage) >= before);
        let _ = names;
    }

    #[test]
    fn an_assistant_never_gets_more_than_its_store(
        policy in arb_policy(), req in arb_request(), seed in prop::collection::vec(0u32..1000, 1..8)
    ) {
        let as_store = ActionRequest { assistant_id: None, ..req.clone() };
        let usage = usage_for(&policy, &[&req, &as_store], &seed);
        prop_assert!(outcome(&req, &policy, &usage) >= outcome(&as_store, &policy, &usage));
        for (id, a) in &policy.assistants {
            let callable = policy.callable_by(id);
            prop_assert!(callable.iter().all(|c| a.allowed.contains(c) && policy.actions[c].enabled));
        }
    }

    #[test]
    fn bad_inputs_are_a_validation_error_not_a_decision(policy in arb_policy(), req in arb_request()) {
        let mut bad = req.clone();
        bad.params["bad"] = json!(true);
        let usage = usage_for(&policy, &[&bad], &[0]);
        let rule = policy.actions.get(&bad.action_type);
        let reaches_inputs = rule.is_some_and(|r| r.enabled) && !policy.paused && match &bad.assistant_id {
            None => true,
            Some(a) => policy.assistants.get(a).is_some_and(|a| a.active && a.allowed.contains(&bad.action_type)),
        };
        match decide(&bad, &policy, &usage, &Inputs) {
            Err(e) => {
                prop_assert!(reaches_inputs);
                prop_assert_eq!(e.code.as_str(), "VALIDATION_ERROR");
            }
            Ok(d) => {
                prop_assert!(!reaches_inputs);
                prop_assert_eq!(d.outcome, Outcome::Deny);
            }
        }
    }
}

fn refund_policy(limits: Vec<Limit>) -> StorePolicy {
    let rule = ActionRule {
        version: 1,
        name: "Refund a payment".into(),
        amount_field: Some("amount".into()),
        percentage_field: None,
        order_total_field: Some("order_total".into()),
        enabled: true,
        requires_confirmation: false,
        confirmation_by: ConfirmationBy::Customer,
        limits,
    };
    StorePolicy {
        store_id: "s".into(),
        currency: "EUR".into(),
        paused: false,
        actions: HashMap::from([("process_refund".to_string(), rule)]),
        assistants: HashMap::new(),
    }
}

fn limit(limit_type: LimitType, value: i64, window: Option<u32>, on_exceed: OnExceed) -> Limit {
    Limit {
        id: format!("{}-{value}", limit_type.as_str()),
        level: Level::Store,
        limit_type,
        value: Decimal::from(value),
        window_hours: window,
        on_exceed,
        per_customer: false,
    }
}

fn refund(amount: &str) -> ActionRequest {
    ActionRequest {
        action_type: "process_refund".into(),
        params: json!({"order_id": "1001", "amount": amount}),
        ..Default::default()
    }
}

#[test]
fn tiers_allow_then_confirm_then_deny_with_reasons_naming_the_limit() {
    let p = refund_policy(vec![
        limit(LimitType::MaxAmount, 50, None, OnExceed::Confirm),
        limit(LimitType::MaxAmount, 100, None, OnExceed::Deny),
    ]);
    let u = Usage::default();
    let d = decide(&refund("30"), &p, &u, &Inputs).unwrap();
    assert_eq!(d.outcome, Outcome::Allow);
    let d = decide(&refund("80"), &p, &u, &Inputs).unwrap();
    assert_eq!(d.outcome, Outcome::Confirm);
    assert_eq!(d.confirmation_by, Some(ConfirmationBy::Staff), "a limit's confirmation is staff's");
    assert_eq!(d.reason, "Refund a payment 80.00 EUR exceeds max_amount 50.00 EUR.");
    let d = decide(&refund("120"), &p, &u, &Inputs).unwrap();
    assert_eq!(d.outcome, Outcome::Deny);
    assert_eq!(d.code.as_deref(), Some("LIMIT_EXCEEDED"));
    assert_eq!(d.reason, "Refund a payment 120.00 EUR exceeds max_amount 100.00 EUR.");
    // Both limits ran and are in the trace, with the store's confirmation step last.
    let checks: Vec<&str> = d.trace.iter().map(|s| s.check.as_str()).collect();
    assert_eq!(
        checks,
        [
            "catalog",
            "store_active",
            "assistant_allowed",
            "action_enabled",
            "input_valid",
            "limit:max_amount",
            "limit:max_amount",
            "confirmation"
        ]
    );
}

#[test]
fn window_limits_count_what_was_used() {
    let p = refund_policy(vec![
        limit(LimitType::MaxCount, 5, Some(24), OnExceed::Deny),
        limit(LimitType::MaxTotalAmount, 500, Some(24), OnExceed::Confirm),
    ]);
    let key = |w| UsageKey { subject: Subject::Store, window_hours: w };
    let mut u = Usage::default();
    u.windows.insert(key(24), UsageTotals { count: 4, amount: Decimal::from(450) });
    let d = decide(&refund("40"), &p, &u, &Inputs).unwrap();
    assert_eq!(d.outcome, Outcome::Allow, "{:#?}", d.trace);
    let d = decide(&refund("60"), &p, &u, &Inputs).unwrap();
    assert_eq!(d.outcome, Outcome::Confirm);
    assert!(d.reason.contains("max_total_amount 500.00"), "{}", d.reason);
    u.windows.insert(key(24), UsageTotals { count: 5, amount: Decimal::ZERO });
    let d = decide(&refund("1"), &p, &u, &Inputs).unwrap();
    assert_eq!(d.outcome, Outcome::Deny);
    assert!(d.reason.contains("max_count 5"), "{}", d.reason);
}

#[test]
fn percentage_is_computed_from_the_order_total_or_refused_without_one() {
    let p = refund_policy(vec![limit(LimitType::MaxPercentage, 50, None, OnExceed::Deny)]);
    let u = Usage::default();
    let mut r = refund("30");
    r.params["order_total"] = json!("100");
    assert_eq!(decide(&r, &p, &u, &Inputs).unwrap().outcome, Outcome::Allow);
    r.params["order_total"] = json!(40);
    let d = decide(&r, &p, &u, &Inputs).unwrap();
    assert_eq!(d.outcome, Outcome::Deny);
    assert!(d.reason.contains("75% exceeds max_percentage 50%"), "{}", d.reason);
    let d = decide(&refund("30"), &p, &u, &Inputs).unwrap();
    assert_eq!(d.outcome, Outcome::Deny);
    assert!(d.reason.contains("no percentage and no order total"), "{}", d.reason);
    let mut known = refund("30");
    known.known_order_total = Some(Decimal::from(200));
    assert_eq!(decide(&known, &p, &u, &Inputs).unwrap().outcome, Outcome::Allow);
}
