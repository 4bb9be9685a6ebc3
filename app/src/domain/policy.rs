//! The decision: `decide(request, policy, usage, inputs)` — may this action happen, must
//! someone confirm it first, or is it refused, and why. Pure: no I/O, no clock. The settings
//! page's Try it panel, `POST /check`, invoke and the rule dry-run all call this one function.
//!
//! `StorePolicy` is the compiled view of org defaults + store + assistants (built by
//! `services::stores::policy`); `Usage` holds the counters of the windows the request's limits
//! need (`StorePolicy::usage_keys` says which). Checks 1–5 stop at the first failure; then
//! every limit and quota is evaluated and the most restrictive outcome wins
//! (deny > confirm > allow). The trace lists every check that ran.

use super::catalog::{decimal_field, ConfirmationBy, Level, LimitType, OnExceed};
use super::error::{AppError, FieldError};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::{BTreeSet, HashMap};

/// One limit as it applies to a store (org defaults already replaced by store overrides)
/// or to one assistant.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Limit {
    pub id: String,
    pub level: Level,
    pub limit_type: LimitType,
    pub value: Decimal,
    pub window_hours: Option<u32>,
    pub on_exceed: OnExceed,
    pub per_customer: bool,
}

impl Limit {
    /// The key a store limit overrides an org default by.
    pub fn key(&self) -> (LimitType, OnExceed, bool) {
        (self.limit_type, self.on_exceed, self.per_customer)
    }
}

/// The limits that apply at a store: its own, plus the org's defaults it has not replaced
/// (same action, limit type, on_exceed and per-customer flag). Returns (limit, overridden
/// org default if any).
pub fn effective_store_limits(org: &[Limit], store: &[Limit]) -> Vec<(Limit, Option<Limit>)> {
    let mut out: Vec<(Limit, Option<Limit>)> = Vec::new();
    for o in org {
        if !store.iter().any(|s| s.key() == o.key()) {
            out.push((o.clone(), None));
        }
    }
    for s in store {
        out.push((s.clone(), org.iter().find(|o| o.key() == s.key()).cloned()));
    }
    out.sort_by_key(|a| (a.0.limit_type, a.0.value));
    out
}

/// How one catalog action is set up at a store.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ActionRule {
    pub version: u32,
    /// The action's plain name, used in reasons ("Refund a payment").
    pub name: String,
    pub amount_field: Option<String>,
    pub percentage_field: Option<String>,
    pub order_total_field: Option<String>,
    pub enabled: bool,
    pub requires_confirmation: bool,
    pub confirmation_by: ConfirmationBy,
    /// Org defaults not overridden + the store's own.
    pub limits: Vec<Limit>,
}

/// What one assistant may do at its store.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AssistantRule {
    pub active: bool,
    pub allowed: BTreeSet<String>,
    /// Extra limits per action id; they only add to the store's.
    pub limits: HashMap<String, Vec<Limit>>,
}

/// The compiled policy of one store.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StorePolicy {
    pub store_id: String,
    pub currency: String,
    pub paused: bool,
    pub actions: HashMap<String, ActionRule>,
    pub assistants: HashMap<String, AssistantRule>,
}

/// What is asked: the action and its inputs, for a store (implied by an agent key), maybe as
/// an assistant (implied by an agent key bound to one) and for a customer. The one request
/// of `POST /check`, invoke (which adds a conversation id), the Try it panel and the rule
/// dry-run; `decide` gets it after `services::gateway::check::prepare` has filled in what
/// the key implies and what the platform knows.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ActionRequest {
    #[serde(default)]
    pub store_id: Option<String>,
    pub action_type: String,
    #[serde(default)]
    pub action_version: Option<u32>,
    #[serde(default)]
    pub params: Value,
    #[serde(default)]
    pub assistant_id: Option<String>,
    #[serde(default)]
    pub customer_ref: Option<String>,
    /// The order's total when the platform knows it (the sandbox store), used for
    /// percentage limits when the request carries no order total. Never read from a
    /// request body: `check::prepare` looks it up.
    #[serde(skip)]
    pub known_order_total: Option<Decimal>,
}

/// Whose usage a window limit counts.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Subject {
    Store,
    Assistant(String),
    Customer(String),
    AssistantCustomer(String, String),
}

impl Subject {
    /// The `usage_counters.subject` column.
    pub fn key(&self) -> String {
        match self {
            Subject::Store => "store".into(),
            Subject::Assistant(a) => format!("assistant:{a}"),
            Subject::Customer(c) => format!("customer:{c}"),
            Subject::AssistantCustomer(a, c) => format!("assistant:{a}|customer:{c}"),
        }
    }
}

/// A window the request's limits count over.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UsageKey {
    pub subject: Subject,
    pub window_hours: u32,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct UsageTotals {
    pub count: u64,
    pub amount: Decimal,
}

/// A quota that applies to the request (§2 Spend and quotas): how much of it the period has
/// used, what this request would add (1 for a count quota, the amount for an amount quota)
/// and whose it is in the tree ("team Support", "the organisation").
#[derive(Clone, Debug, PartialEq)]
pub struct QuotaUse {
    pub name: String,
    /// Whose quota it is, in words: "assistant “Chat bot”", "team “Support”", "the organisation".
    pub owner: String,
    /// "today", "this week", "this month".
    pub period: String,
    pub used: Decimal,
    pub adds: Decimal,
    pub limit: Decimal,
    /// Money quotas name their currency ("120.00 EUR"); counts have none.
    pub currency: Option<String>,
    pub enforce: bool,
}

/// The counters the decision reads. Missing windows count as zero.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Usage {
    pub windows: HashMap<UsageKey, UsageTotals>,
    pub quotas: Vec<QuotaUse>,
}

impl Usage {
    fn get(&self, key: &UsageKey) -> UsageTotals {
        self.windows.get(key).copied().unwrap_or_default()
    }
}

/// Validates an action's inputs against its schema (the services layer holds the compiled
/// JSON Schemas; tests pass their own).
pub trait InputCheck {
    fn check(&self, action_type: &str, version: u32, params: &Value) -> Result<(), Vec<FieldError>>;
}

/// allow < confirm < deny: the most restrictive wins.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Allow,
    Confirm,
    Deny,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Allow => "allow",
            Outcome::Confirm => "confirm",
            Outcome::Deny => "deny",
        }
    }
}

/// One check in the trace.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    pub check: String,
    pub level: Level,
    pub passed: bool,
    /// What the check asks for when it did not pass.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub outcome: Option<Outcome>,
    pub detail: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    pub outcome: Outcome,
    pub requires_confirmation: bool,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub confirmation_by: Option<ConfirmationBy>,
    /// Stable code for deny and confirm: UNKNOWN_ACTION, STORE_PAUSED,
    /// NOT_ALLOWED_FOR_ASSISTANT, ACTION_DISABLED, LIMIT_EXCEEDED, QUOTA_EXCEEDED,
    /// CONFIRMATION_REQUIRED.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub code: Option<String>,
    pub reason: String,
    pub trace: Vec<Step>,
}

impl Decision {
    /// The seed's `is_allowed`: not denied (it may still need confirmation).
    pub fn is_allowed(&self) -> bool {
        self.outcome != Outcome::Deny
    }
}

impl StorePolicy {
    /// The windows `decide` will read for this request.
    pub fn usage_keys(&self, req: &ActionRequest) -> Vec<UsageKey> {
        let mut keys: Vec<UsageKey> = self
            .limits_for(req)
            .into_iter()
            .filter(|l| l.limit_type.is_windowed())
            .filter_map(|l| Some(UsageKey { subject: subject_of(l, req)?, window_hours: l.window_hours? }))
            .collect();
        keys.sort();
        keys.dedup();
        keys
    }

    /// Store-level limits of the action, then the assistant's own.
    fn limits_for<'a>(&'a self, req: &ActionRequest) -> Vec<&'a Limit> {
        let mut out: Vec<&Limit> = Vec::new();
        if let Some(rule) = self.actions.get(&req.action_type) {
            out.extend(rule.limits.iter());
        }
        if let Some(a) = req.assistant_id.as_ref().and_then(|id| self.assistants.get(id)) {
            if let Some(ls) = a.limits.get(&req.action_type) {
                out.extend(ls.iter());
            }
        }
        out
    }

    /// What an assistant may call right now: allowed ∧ enabled ∧ store not paused ∧ active.
    pub fn callable_by(&self, assistant_id: &str) -> BTreeSet<String> {
        match self.assistants.get(assistant_id) {
            Some(a) if a.active && !self.paused => {
                a.allowed.iter().filter(|id| self.actions.get(*id).is_some_and(|r| r.enabled)).cloned().collect()
            }
            _ => BTreeSet::new(),
        }
    }
}

/// Whose counter a window limit reads: None when it is per customer and the request names none.
fn subject_of(limit: &Limit, req: &ActionRequest) -> Option<Subject> {
    let customer = req.customer_ref.as_deref().filter(|c| !c.is_empty());
    match (limit.level, limit.per_customer, &req.assistant_id, customer) {
        (Level::Assistant, false, Some(a), _) => Some(Subject::Assistant(a.clone())),
        (Level::Assistant, true, Some(a), Some(c)) => Some(Subject::AssistantCustomer(a.clone(), c.to_string())),
        (Level::Assistant, _, None, _) => None,
        (_, false, _, _) => Some(Subject::Store),
        (_, true, _, Some(c)) => Some(Subject::Customer(c.to_string())),
        (_, true, _, None) => None,
    }
}

fn step(check: &str, level: Level, passed: bool, outcome: Option<Outcome>, detail: impl Into<String>) -> Step {
    Step { check: check.to_string(), level, passed, outcome, detail: detail.into() }
}

fn refusal(code: &str, trace: Vec<Step>) -> Decision {
    let reason = trace.last().map(|s| s.detail.clone()).unwrap_or_default();
    Decision {
        outcome: Outcome::Deny,
        requires_confirmation: false,
        confirmation_by: None,
        code: Some(code.to_string()),
        reason,
        trace,
    }
}

/// An amount of money as every reason and page shows it: two decimals ("120.00").
pub fn money(d: Decimal) -> String {
    format!("{:.2}", d)
}

fn number(d: Decimal) -> String {
    d.normalize().to_string()
}

/// The decision. Err only when the request itself is wrong (inputs fail the action's schema):
/// that is a VALIDATION_ERROR, not a decision.
pub fn decide(
    req: &ActionRequest,
    policy: &StorePolicy,
    usage: &Usage,
    inputs: &dyn InputCheck,
) -> Result<Decision, AppError> {
    let mut trace = Vec::with_capacity(8);
    let action = req.action_type.as_str();

    // 1. The action exists in this version.
    let Some(rule) = policy.actions.get(action) else {
        trace.push(step(
            "catalog",
            Level::Store,
            false,
            Some(Outcome::Deny),
            format!("\"{action}\" is not an action in the catalog."),
        ));
        return Ok(refusal("UNKNOWN_ACTION", trace));
    };
    if let Some(v) = req.action_version.filter(|v| *v != rule.version) {
        trace.push(step(
            "catalog",
            Level::Store,
            false,
            Some(Outcome::Deny),
            format!("Version {v} of \"{action}\" is not in the catalog (current: {}).", rule.version),
        ));
        return Ok(refusal("UNKNOWN_ACTION", trace));
    }
    trace.push(step(
        "catalog",
        Level::Store,
        true,
        None,
        format!("{} (\"{action}\", version {})", rule.name, rule.version),
    ));

    // 2. The store's kill switch.
    if policy.paused {
        trace.push(step(
            "store_active",
            Level::Store,
            false,
            Some(Outcome::Deny),
            "Actions are paused for this store.",
        ));
        return Ok(refusal("STORE_PAUSED", trace));
    }
    trace.push(step("store_active", Level::Store, true, None, "The store is taking actions."));

    // 3. The assistant may take this action.
    let assistant = match &req.assistant_id {
        None => {
            trace.push(step(
                "assistant_allowed",
                Level::Assistant,
                true,
                None,
                "No assistant named: the store's settings apply.",
            ));
            None
        }
        Some(id) => match policy.assistants.get(id) {
            None => {
                trace.push(step(
                    "assistant_allowed",
                    Level::Assistant,
                    false,
                    Some(Outcome::Deny),
                    "This assistant does not belong to the store.",
                ));
                return Ok(refusal("NOT_ALLOWED_FOR_ASSISTANT", trace));
            }
            Some(a) if !a.active => {
                trace.push(step(
                    "assistant_allowed",
                    Level::Assistant,
                    false,
                    Some(Outcome::Deny),
                    "This assistant is disabled.",
                ));
                return Ok(refusal("NOT_ALLOWED_FOR_ASSISTANT", trace));
            }
            Some(a) if !a.allowed.contains(action) => {
                trace.push(step(
                    "assistant_allowed",
                    Level::Assistant,
                    false,
                    Some(Outcome::Deny),
                    format!("This assistant is not allowed to {}.", lower_first(&rule.name)),
                ));
                return Ok(refusal("NOT_ALLOWED_FOR_ASSISTANT", trace));
            }
            Some(a) => {
                trace.push(step(
                    "assistant_allowed",
                    Level::Assistant,
                    true,
                    None,
                    "The assistant may take this action.",
                ));
                Some(a)
            }
        },
    };

    // 4. The action is enabled for the store.
    if !rule.enabled {
        trace.push(step(
            "action_enabled",
            Level::Store,
            false,
            Some(Outcome::Deny),
            format!("\"{}\" is turned off for this store.", rule.name),
        ));
        return Ok(refusal("ACTION_DISABLED", trace));
    }
    trace.push(step("action_enabled", Level::Store, true, None, "The action is turned on for this store."));

    // 5. The inputs are what the action takes.
    inputs.check(action, rule.version, &req.params).map_err(AppError::invalid_fields)?;
    let field_error =
        |field: &str, message: String| AppError::invalid_fields(vec![FieldError { field: field.to_string(), message }]);
    let amount = match &rule.amount_field {
        Some(f) => decimal_field(&req.params, f).map_err(|m| field_error(f, m))?,
        None => None,
    };
    let order_total = match &rule.order_total_field {
        Some(f) => decimal_field(&req.params, f).map_err(|m| field_error(f, m))?,
        None => None,
    }
    .or(req.known_order_total);
    let percentage = match &rule.percentage_field {
        Some(f) => decimal_field(&req.params, f).map_err(|m| field_error(f, m))?,
        None => None,
    }
    .or_else(|| match (amount, order_total) {
        (Some(a), Some(t)) if t > Decimal::ZERO => Some((a * Decimal::from(100) / t).round_dp(4)),
        _ => None,
    });
    trace.push(step("input_valid", Level::Store, true, None, "The inputs match the action's schema."));

    // 6. Every limit, store level (org defaults + store) then the assistant's.
    let mut limit_confirm = false;
    let mut limits: Vec<&Limit> = rule.limits.iter().collect();
    if let Some(a) = assistant {
        if let Some(ls) = a.limits.get(action) {
            limits.extend(ls.iter());
        }
    }
    for limit in limits {
        let check = format!("limit:{}", limit.limit_type.as_str());
        let fired = limit.on_exceed_outcome();
        let scope = if limit.per_customer { " per customer" } else { "" };
        let window = limit.window_hours.map(|h| format!(" per {h} h")).unwrap_or_default();
        let cur = &policy.currency;
        let (passed, detail, outcome) = if limit.per_customer && req.customer_ref.as_deref().is_none_or(str::is_empty) {
            (
                false,
                format!(
                    "{}{scope} needs the customer's reference (customer_ref), and the request has none.",
                    limit.limit_type.as_str()
                ),
                fired,
            )
        } else if limit.level == Level::Assistant && req.assistant_id.is_none() {
            (true, "Applies to the assistant only.".to_string(), fired)
        } else {
            match limit.limit_type {
                LimitType::MaxAmount => match amount {
                    None => (true, "No amount in this request.".into(), fired),
                    Some(a) if a > limit.value => (
                        false,
                        format!("{} {} {cur} exceeds max_amount {} {cur}.", rule.name, money(a), money(limit.value)),
                        fired,
                    ),
                    Some(a) => (true, format!("{} {cur} is within max_amount {} {cur}.", money(a), money(limit.value)), fired),
                },
                LimitType::MaxPercentage => match percentage {
                    None => (
                        false,
                        format!(
                            "max_percentage {}% applies, but the request has no percentage and no order total to compute one.",
                            number(limit.value)
                        ),
                        Outcome::Deny,
                    ),
                    Some(p) if p > limit.value => (
                        false,
                        format!("{} {}% exceeds max_percentage {}%.", rule.name, number(p), number(limit.value)),
                        fired,
                    ),
                    Some(p) => (true, format!("{}% is within max_percentage {}%.", number(p), number(limit.value)), fired),
                },
                LimitType::MaxCount => {
                    let used = subject_of(limit, req)
                        .zip(limit.window_hours)
                        .map(|(subject, window_hours)| usage.get(&UsageKey { subject, window_hours }).count)
                        .unwrap_or(0);
                    let after = Decimal::from(used) + Decimal::ONE;
                    if after > limit.value {
                        (
                            false,
                            format!(
                                "{used} already in the last {} h{scope}: one more exceeds max_count {}.",
                                limit.window_hours.unwrap_or_default(),
                                number(limit.value)
                            ),
                            fired,
                        )
                    } else {
                        (true, format!("{used} of {} used{window}{scope}.", number(limit.value)), fired)
                    }
                }
                LimitType::MaxTotalAmount => match amount {
                    None => (true, "No amount in this request.".into(), fired),
                    Some(a) => {
                        let used = subject_of(limit, req)
                            .zip(limit.window_hours)
                            .map(|(subject, window_hours)| usage.get(&UsageKey { subject, window_hours }).amount)
                            .unwrap_or(Decimal::ZERO);
                        if used + a > limit.value {
                            (
                                false,
                                format!(
                                    "{} {cur} already{window}{scope} plus {} {cur} exceeds max_total_amount {} {cur}.",
                                    money(used),
                                    money(a),
                                    money(limit.value)
                                ),
                                fired,
                            )
                        } else {
                            (
                                true,
                                format!("{} {cur} of {} {cur} used{window}{scope}.", money(used + a), money(limit.value)),
                                fired,
                            )
                        }
                    }
                },
            }
        };
        if !passed && outcome == Outcome::Confirm {
            limit_confirm = true;
        }
        trace.push(step(&check, limit.level, passed, (!passed).then_some(outcome), detail));
    }

    // 7. Enforced quotas.
    for q in &usage.quotas {
        let over = q.used + q.adds > q.limit;
        let show = |d: Decimal| match &q.currency {
            Some(c) => format!("{} {c}", money(d)),
            None => number(d),
        };
        let detail = if over {
            format!(
                "The quota \"{}\" of {} allows {} {}; {} used, and this would make {}{}.",
                q.name,
                q.owner,
                show(q.limit),
                q.period,
                show(q.used),
                show(q.used + q.adds),
                if q.enforce { "" } else { " (alert only, not enforced)" }
            )
        } else {
            format!("The quota \"{}\" of {}: {} of {} used {}.", q.name, q.owner, show(q.used), show(q.limit), q.period)
        };
        let outcome = (over && q.enforce).then_some(Outcome::Deny);
        trace.push(step("quota", Level::Org, !over || !q.enforce, outcome, detail));
    }

    // 8. Confirmation the store asks for.
    if rule.requires_confirmation {
        let by = rule.confirmation_by;
        trace.push(step(
            "confirmation",
            Level::Store,
            false,
            Some(Outcome::Confirm),
            format!("The store asks for confirmation by {} before \"{}\".", by_words(by), rule.name),
        ));
    } else {
        trace.push(step("confirmation", Level::Store, true, None, "No confirmation needed."));
    }

    // The most restrictive outcome wins; its first step gives the reason.
    let outcome = trace.iter().filter_map(|s| s.outcome).max().unwrap_or(Outcome::Allow);
    let deciding = trace.iter().find(|s| s.outcome == Some(outcome) && outcome != Outcome::Allow);
    let (code, reason) = match (outcome, deciding) {
        (Outcome::Allow, _) | (_, None) => (None, "Allowed: within every limit, no confirmation needed.".to_string()),
        (Outcome::Deny, Some(s)) => {
            (Some(if s.check == "quota" { "QUOTA_EXCEEDED" } else { "LIMIT_EXCEEDED" }.to_string()), s.detail.clone())
        }
        (Outcome::Confirm, Some(s)) => (Some("CONFIRMATION_REQUIRED".to_string()), s.detail.clone()),
    };
    // A limit asking for confirmation is a money safeguard: staff confirm it. Otherwise the
    // store's choice of who confirms applies.
    let confirmation_by = (outcome == Outcome::Confirm).then_some(if limit_confirm {
        ConfirmationBy::Staff
    } else {
        rule.confirmation_by
    });
    Ok(Decision { outcome, requires_confirmation: outcome == Outcome::Confirm, confirmation_by, code, reason, trace })
}

impl Limit {
    fn on_exceed_outcome(&self) -> Outcome {
        match self.on_exceed {
            OnExceed::Deny => Outcome::Deny,
            OnExceed::Confirm => Outcome::Confirm,
        }
    }
}

fn by_words(by: ConfirmationBy) -> &'static str {
    match by {
        ConfirmationBy::Customer => "the customer",
        ConfirmationBy::Staff => "staff",
    }
}

fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_lowercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}
