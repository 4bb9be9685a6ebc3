//! Stores as the pages and the API see them, and the rules for their names, currencies and
//! platforms. Pure: the services layer fills the views from the database and checks the
//! action ids against the catalog.

use super::roles::Choice;
use serde::{Deserialize, Serialize};

/// Longest store name, in characters (the column holds 200).
pub const STORE_NAME_MAX: usize = 200;

/// The platforms a store can be on. `sandbox` is built in (orders and payments simulated for
/// demos and tests); real platforms come with their connectors.
pub const PLATFORMS: &[&str] = &["sandbox"];

/// The platform a store gets when none is named.
pub const DEFAULT_PLATFORM: &str = "sandbox";

/// One store, with what the viewer may do to it.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq, Hash)]
pub struct StoreView {
    pub id: String,
    pub name: String,
    pub platform: String,
    /// ISO 4217 code, e.g. `EUR`: limits and amounts are in this currency.
    pub currency: String,
    pub team_id: Option<String>,
    /// "EU / North" when the store belongs to a team.
    pub team_path: Option<String>,
    /// The kill switch: while true every action of the store is refused (STORE_PAUSED).
    pub actions_paused: bool,
    /// What a new assistant of the store may call, in catalog order.
    pub default_allowed_actions: Vec<String>,
    pub assistant_count: u64,
    /// The viewer holds `stores.manage` here (edit, pause, delete, assistants).
    pub can_manage: bool,
    /// The viewer holds `permissions.manage` here (actions, limits, allowed actions).
    pub can_manage_permissions: bool,
    pub created_at: String,
    pub updated_at: String,
}

/// The stores the viewer can see, and where they may create new ones.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct StoreList {
    pub stores: Vec<StoreView>,
    /// The viewer may create a store outside any team (`stores.manage` at the org).
    pub can_create_without_team: bool,
    /// Teams the viewer may create stores in (`stores.manage` there), as "EU / North".
    pub team_choices: Vec<Choice>,
    pub next_cursor: Option<String>,
}

impl StoreList {
    /// Whether the create form has anywhere to put a store.
    pub fn can_create(&self) -> bool {
        self.can_create_without_team || !self.team_choices.is_empty()
    }
}

/// `{name, currency, platform?, team_id?, default_allowed_actions?}`. Without
/// `default_allowed_actions` the store gets the catalog's actions that are on by default.
/// The body of `POST /api/v1/stores` (unknown fields refused).
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct NewStore {
    pub name: String,
    pub currency: String,
    #[serde(default)]
    pub platform: Option<String>,
    #[serde(default)]
    pub team_id: Option<String>,
    #[serde(default)]
    pub default_allowed_actions: Option<Vec<String>>,
}

/// What to change; absent fields stay. `team_id: Some(None)` takes the store out of its team.
/// The body of `PATCH /api/v1/stores/{id}` (unknown fields refused).
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StorePatch {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub currency: Option<String>,
    /// `null` takes the store out of its team; leaving it out keeps the team.
    #[serde(default, deserialize_with = "super::patch::present")]
    pub team_id: Option<Option<String>>,
    #[serde(default)]
    pub actions_paused: Option<bool>,
    #[serde(default)]
    pub default_allowed_actions: Option<Vec<String>>,
}

/// A store name: 1 to 200 characters once trimmed, no control characters.
pub fn check_store_name(name: &str) -> Result<(), String> {
    let name = name.trim();
    let len = name.chars().count();
    if len == 0 {
        Err("Enter a name for the store.".into())
    } else if len > STORE_NAME_MAX {
        Err(format!("Use at most {STORE_NAME_MAX} characters."))
    } else if name.chars().any(char::is_control) {
        Err("Use letters, digits, spaces and punctuation only.".into())
    } else {
        Ok(())
    }
}

/// The currency as stored: trimmed and upper-cased (`eur` → `EUR`).
pub fn normalize_currency(currency: &str) -> String {
    currency.trim().to_ascii_uppercase()
}

/// A currency code in ISO 4217 shape: three letters (checked after `normalize_currency`).
pub fn check_currency(currency: &str) -> Result<(), String> {
    let c = normalize_currency(currency);
    if c.len() == 3 && c.chars().all(|ch| ch.is_ascii_uppercase()) {
        Ok(())
    } else {
        Err("Enter the currency as its three-letter code, like EUR or USD.".into())
    }
}

/// A platform Mandate can act on.
pub fn check_platform(platform: &str) -> Result<(), String> {
    if PLATFORMS.contains(&platform.trim()) {
        Ok(())
    } else {
        Err(format!(
            "\"{}\" is not a platform Mandate knows. Use {} (others arrive with their connectors).",
            platform.trim(),
            PLATFORMS.join(", ")
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert!(check_store_name("Main shop").is_ok());
        assert!(check_store_name("   ").is_err());
        assert!(check_store_name(&"x".repeat(200)).is_ok());
        assert!(check_store_name(&"x".repeat(201)).is_err());
        assert!(check_store_name("a\u{7}b").is_err());
    }

    #[test]
    fn currencies_are_three_letters() {
        assert!(check_currency("EUR").is_ok());
        assert!(check_currency(" usd ").is_ok());
        assert_eq!(normalize_currency(" usd "), "USD");
        for bad in ["", "EU", "EURO", "E1R", "€€€", "ÄÖÜ"] {
            assert!(check_currency(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn only_known_platforms() {
        assert!(check_platform("sandbox").is_ok());
        assert!(check_platform("shopify").unwrap_err().contains("sandbox"));
    }
}
