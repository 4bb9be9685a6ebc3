//! What the settings page and the permissions API show about a store's (or the org's default)
//! action permissions and limits, the inputs that change them, and the plain-words sentences
//! a limit is shown as. Pure types: loading and saving live in `services::stores::permissions`.

use super::catalog::{ConfirmationBy, Level, LimitType, OnExceed, Risk};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// Where an action's enabled / confirmation values come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// Set on the store itself.
    Store,
    /// The org's default (the store has no row of its own).
    Org,
    /// The catalog's built-in default (neither the store nor the org set it).
    Default,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Store => "store",
            Source::Org => "org",
            Source::Default => "default",
        }
    }

    /// The badge next to an action on the settings page.
    pub fn label(self) -> &'static str {
        match self {
            Source::Store => "Store setting",
            Source::Org => "Org default",
            Source::Default => "Built-in default",
        }
    }
}

/// One limit as stored at the org, a store or an assistant.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LimitView {
    pub id: String,
    /// org (a default for every store) | store | assistant.
    pub level: Level,
    /// The org, store or assistant the limit is set on.
    pub scope_id: String,
    /// The store of a store or assistant limit (none for org defaults).
    pub store_id: Option<String>,
    /// For assistant limits: which assistant, and its name.
    pub assistant_id: Option<String>,
    pub assistant_name: Option<String>,
    pub action_type: String,
    pub limit_type: LimitType,
    pub limit_value: Decimal,
    pub time_window_hours: Option<u32>,
    pub on_exceed: OnExceed,
    pub per_customer: bool,
    /// For a store limit: the org default it replaces at this store.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub overrides: Option<Box<LimitView>>,
    pub updated_at: String,
}

impl LimitView {
    /// The limit's value in words: money with two decimals and the currency, a percentage
    /// with "%", a count as a whole number.
    pub fn value_text(&self, currency: Option<&str>) -> String {
        value_text(self.limit_type, self.limit_value, currency)
    }

    /// The limit in plain words, e.g. "Amounts above 100.00 EUR are refused." or
    /// "For each customer: more than 5 per 24 h need staff confirmation."
    pub fn sentence(&self, currency: Option<&str>) -> String {
        let value = self.value_text(currency);
        let hours = self.time_window_hours.unwrap_or_default();
        let refused = self.on_exceed == OnExceed::Deny;
        let core = match (self.limit_type, refused) {
            (LimitType::MaxAmount, true) => format!("Amounts above {value} are refused."),
            (LimitType::MaxAmount, false) => format!("Amounts above {value} need staff confirmation."),
            (LimitType::MaxPercentage, true) => format!("More than {value} is refused."),
            (LimitType::MaxPercentage, false) => format!("More than {value} needs staff confirmation."),
            (LimitType::MaxCount, true) => format!("At most {value} per {hours} h; more are refused."),
            (LimitType::MaxCount, false) => format!("More than {value} per {hours} h need staff confirmation."),
            (LimitType::MaxTotalAmount, true) => format!("At most {value} in total per {hours} h; more is refused."),
            (LimitType::MaxTotalAmount, false) => {
                format!("More than {value} in total per {hours} h needs staff confirmation.")
            }
        };
        if self.per_customer {
            format!("For each customer: {}{}", core[..1].to_lowercase(), &core[1..])
        } else {
            core
        }
    }
}

/// A limit value in words (see `LimitView::value_text`).
pub fn value_text(limit_type: LimitType, value: Decimal, currency: Option<&str>) -> String {
    match limit_type {
        LimitType::MaxAmount | LimitType::MaxTotalAmount => match currency {
            Some(c) => format!("{value:.2} {c}"),
            None => format!("{value:.2}"),
        },
        LimitType::MaxPercentage => format!("{} %", value.normalize()),
        LimitType::MaxCount => value.normalize().to_string(),
    }
}

/// The limit kinds that can apply to an action: amount kinds only when it carries an
/// amount, the percentage kind only when a percentage can be read or computed, the count
/// always.
pub fn limit_types_for(has_amount: bool, has_percentage: bool) -> Vec<LimitType> {
    LimitType::ALL
        .into_iter()
        .filter(|t| match t {
            LimitType::MaxAmount | LimitType::MaxTotalAmount => has_amount,
            LimitType::MaxPercentage => has_percentage,
            LimitType::MaxCount => true,
        })
        .collect()
}

/// One catalog action as set up at a store (or in the org's defaults).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionSettings {
    pub action_type: String,
    pub name: String,
    pub description: String,
    pub category: String,
    pub risk: Risk,
    pub has_amount: bool,
    pub has_percentage: bool,
    /// The percentage is worked out as amount ÷ order total (the action has no percentage input).
    pub percentage_of_order: bool,
    pub enabled: bool,
    pub requires_confirmation: bool,
    pub confirmation_by: ConfirmationBy,
    pub source: Source,
    /// The limit kinds that apply to this action.
    pub limit_types: Vec<LimitType>,
    /// At a store: the org defaults it has not replaced, then its own (each with the org
    /// default it overrides). In the org's defaults: the org's limits.
    pub limits: Vec<LimitView>,
    /// At a store: the limits set on its assistants (they only add to the store's).
    pub assistant_limits: Vec<LimitView>,
}

/// The store a settings page is about.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoreSummary {
    pub id: String,
    pub name: String,
    pub platform: String,
    pub currency: String,
    pub actions_paused: bool,
}

/// `GET /permissions?store_id=`: every catalog action at the store.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StorePermissions {
    pub store: StoreSummary,
    pub actions: Vec<ActionSettings>,
    /// The store's assistants (for assistant limits and the Try it panel).
    pub assistants: Vec<AssistantRef>,
    /// Whether the viewer may change them (`permissions.manage` at the store).
    pub can_manage: bool,
}

/// An assistant of the store, by name.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssistantRef {
    pub id: String,
    pub name: String,
    pub active: bool,
}

/// `GET /permissions/defaults`: the org's defaults for new stores and its org-wide limits.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgDefaults {
    pub actions: Vec<ActionSettings>,
    /// Whether the viewer may change them (`permissions.manage` at the org).
    pub can_manage: bool,
}

/// What to change about one action; absent fields stay. The body of `PUT
/// /api/v1/permissions/{action_type}` and `PUT /api/v1/permissions/defaults/{action_type}`
/// (unknown fields refused).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PermissionPatch {
    #[serde(default)]
    pub enabled: Option<bool>,
    #[serde(default)]
    pub requires_confirmation: Option<bool>,
    /// customer | staff
    #[serde(default)]
    pub confirmation_by: Option<String>,
}

/// Where a limit is set: the org (a default for every store), a store, or one assistant.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "scope_type", content = "scope_id", rename_all = "snake_case")]
pub enum LimitScope {
    Org,
    Store(String),
    Assistant(String),
}

/// A limit to create or update (by scope, action, kind, on_exceed and per-customer flag).
/// Values arrive as text (forms) or are converted to text from JSON (REST), and are parsed
/// by the service so each bad value is a field error.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LimitInput {
    /// org | store | assistant; may be left out when `store_id` or `assistant_id` says it.
    #[serde(default)]
    pub scope_type: Option<String>,
    #[serde(default)]
    pub scope_id: Option<String>,
    #[serde(default)]
    pub store_id: Option<String>,
    #[serde(default)]
    pub assistant_id: Option<String>,
    pub action_type: String,
    pub limit_type: String,
    /// A decimal, e.g. "100" or "12.50".
    pub limit_value: String,
    /// Whole hours 1..8760 for max_count and max_total_amount; empty for the others.
    #[serde(default)]
    pub time_window_hours: Option<String>,
    /// deny (the default) | confirm
    #[serde(default)]
    pub on_exceed: Option<String>,
    #[serde(default)]
    pub per_customer: Option<bool>,
}

/// A saved limit, and whether it was new (REST answers 201) or replaced one (200).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedLimit {
    pub limit: LimitView,
    pub created: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limit(
        limit_type: LimitType,
        value: i64,
        window: Option<u32>,
        on_exceed: OnExceed,
        per_customer: bool,
    ) -> LimitView {
        LimitView {
            id: "l".into(),
            level: Level::Store,
            scope_id: "s".into(),
            store_id: Some("s".into()),
            assistant_id: None,
            assistant_name: None,
            action_type: "process_refund".into(),
            limit_type,
            limit_value: Decimal::from(value),
            time_window_hours: window,
            on_exceed,
            per_customer,
            overrides: None,
            updated_at: String::new(),
        }
    }

    #[test]
    fn limits_read_as_sentences() {
        let eur = Some("EUR");
        assert_eq!(
            limit(LimitType::MaxAmount, 100, None, OnExceed::Deny, false).sentence(eur),
            "Amounts above 100.00 EUR are refused."
        );
        assert_eq!(
            limit(LimitType::MaxAmount, 50, None, OnExceed::Confirm, false).sentence(eur),
            "Amounts above 50.00 EUR need staff confirmation."
        );
        assert_eq!(
            limit(LimitType::MaxCount, 5, Some(24), OnExceed::Deny, false).sentence(eur),
            "At most 5 per 24 h; more are refused."
        );
        assert_eq!(
            limit(LimitType::MaxCount, 2, Some(24), OnExceed::Deny, true).sentence(eur),
            "For each customer: at most 2 per 24 h; more are refused."
        );
        assert_eq!(
            limit(LimitType::MaxPercentage, 20, None, OnExceed::Confirm, false).sentence(eur),
            "More than 20 % needs staff confirmation."
        );
        assert_eq!(
            limit(LimitType::MaxTotalAmount, 500, Some(168), OnExceed::Deny, false).sentence(None),
            "At most 500.00 in total per 168 h; more is refused."
        );
    }

    #[test]
    fn only_the_kinds_an_action_can_carry_are_offered() {
        assert_eq!(limit_types_for(false, false), vec![LimitType::MaxCount]);
        assert_eq!(limit_types_for(true, true), LimitType::ALL.to_vec());
        assert_eq!(
            limit_types_for(true, false),
            vec![LimitType::MaxAmount, LimitType::MaxCount, LimitType::MaxTotalAmount]
        );
    }
}
