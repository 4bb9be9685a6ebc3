//! Roles and role assignments as the pages and the API see them, and the rules for a
//! custom role's name, description and permission keys. Pure: the services layer fills
//! these from the database and decides who may change them.

use super::permission::Permission;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

pub const ROLE_NAME_MAX: usize = 100;
pub const ROLE_DESCRIPTION_MAX: usize = 500;

/// A permission key with its plain-words description (the `permissions` table).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct PermissionInfo {
    pub key: String,
    pub description: String,
}

/// A role: built-in (shared by every org, read-only) or this org's custom role.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct RoleView {
    pub id: String,
    pub name: String,
    pub description: String,
    pub built_in: bool,
    /// Permission keys, sorted.
    pub permissions: Vec<String>,
    /// Assignments of this role in the viewer's org.
    pub assignment_count: u64,
    pub created_at: String,
    pub updated_at: String,
}

/// The permission matrix: every permission key (rows) and every role (columns).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct RoleList {
    pub permissions: Vec<PermissionInfo>,
    pub roles: Vec<RoleView>,
    /// Whether the viewer may create and edit custom roles (`roles.manage` at the org).
    pub can_edit: bool,
    pub next_cursor: Option<String>,
}

/// Who holds which role where.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct AssignmentView {
    pub id: String,
    pub user_id: String,
    pub user_email: String,
    pub user_display_name: String,
    pub user_status: String,
    pub role_id: String,
    pub role_name: String,
    /// org | team | store
    pub scope_type: String,
    /// The team or store id; None for the org.
    pub scope_id: Option<String>,
    /// "Organisation" or the team's name.
    pub scope_name: String,
    pub created_at: String,
    /// Whether the viewer may remove it (the server checks again).
    pub can_remove: bool,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct AssignmentList {
    pub assignments: Vec<AssignmentView>,
    pub next_cursor: Option<String>,
}

/// One option of a select: the value sent and the label shown.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Choice {
    pub value: String,
    pub label: String,
}

/// What the "add an assignment" form offers: the org's people, the roles, and the scopes
/// where the viewer may assign (`org`, `team:<id>`).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct AssignmentOptions {
    pub users: Vec<Choice>,
    pub roles: Vec<Choice>,
    pub scopes: Vec<Choice>,
}

/// Reads a scope select's value: `org`, `team:<id>` or `store:<id>` → (scope_type, scope_id).
pub fn split_scope_value(value: &str) -> (String, Option<String>) {
    match value.trim().split_once(':') {
        Some((kind, id)) => (kind.to_string(), Some(id.to_string())),
        None => (value.trim().to_string(), None),
    }
}

pub fn check_role_name(name: &str) -> Result<(), String> {
    let name = name.trim();
    let len = name.chars().count();
    if len == 0 {
        Err("Enter a name for the role.".into())
    } else if len > ROLE_NAME_MAX {
        Err(format!("Use at most {ROLE_NAME_MAX} characters."))
    } else if name.chars().any(char::is_control) {
        Err("Use letters, digits, spaces and punctuation only.".into())
    } else {
        Ok(())
    }
}

pub fn check_role_description(description: &str) -> Result<(), String> {
    if description.trim().chars().count() > ROLE_DESCRIPTION_MAX {
        Err(format!("Use at most {ROLE_DESCRIPTION_MAX} characters."))
    } else {
        Ok(())
    }
}

/// Role names are unique per org and may not repeat a built-in's name, compared this way.
pub fn same_role_name(a: &str, b: &str) -> bool {
    a.trim().to_lowercase() == b.trim().to_lowercase()
}

/// Parses permission keys; an error names every unknown key.
pub fn parse_permission_keys<S: AsRef<str>>(keys: &[S]) -> Result<BTreeSet<Permission>, String> {
    let mut out = BTreeSet::new();
    let mut unknown: Vec<String> = Vec::new();
    for key in keys {
        let key = key.as_ref().trim();
        match Permission::from_key(key) {
            Some(p) => {
                out.insert(p);
            }
            None => {
                let quoted = format!("\"{key}\"");
                if !unknown.contains(&quoted) {
                    unknown.push(quoted);
                }
            }
        }
    }
    if unknown.is_empty() {
        Ok(out)
    } else {
        Err(format!(
            "Unknown permission{} {}. Known permissions: {}.",
            if unknown.len() == 1 { "" } else { "s" },
            unknown.join(", "),
            Permission::ALL.map(|p| p.key()).join(", ")
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scope_values_split() {
        assert_eq!(split_scope_value("org"), ("org".into(), None));
        assert_eq!(split_scope_value("team:abc"), ("team".into(), Some("abc".into())));
    }

    #[test]
    fn names_and_descriptions() {
        assert!(check_role_name("Refund desk").is_ok());
        assert!(check_role_name(" ").is_err());
        assert!(check_role_name(&"r".repeat(101)).is_err());
        assert!(check_role_description(&"d".repeat(500)).is_ok());
        assert!(check_role_description(&"d".repeat(501)).is_err());
        assert!(same_role_name("owner", " Owner "));
    }

    #[test]
    fn permission_keys_parse_and_unknown_ones_are_named() {
        let ok = parse_permission_keys(&["audit.read", "rules.manage", "audit.read"]).unwrap();
        assert_eq!(ok, BTreeSet::from([Permission::AuditRead, Permission::RulesManage]));
        let err = parse_permission_keys(&["audit.read", "fly.plane", "teleport"]).unwrap_err();
        assert!(err.contains("\"fly.plane\""), "{err}");
        assert!(err.contains("\"teleport\""), "{err}");
        assert!(err.starts_with("Unknown permissions"), "{err}");
        assert!(parse_permission_keys::<&str>(&[]).unwrap().is_empty());
    }
}
