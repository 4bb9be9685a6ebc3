//! Permission keys and built-in roles (DESIGN.md §2). The keys are stable strings stored in
//! the database and shown in the UI; never rename one.

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
pub enum Permission {
    #[serde(rename = "org.manage")]
    OrgManage,
    #[serde(rename = "users.manage")]
    UsersManage,
    #[serde(rename = "teams.manage")]
    TeamsManage,
    #[serde(rename = "roles.manage")]
    RolesManage,
    #[serde(rename = "api_keys.manage")]
    ApiKeysManage,
    #[serde(rename = "stores.manage")]
    StoresManage,
    #[serde(rename = "permissions.manage")]
    PermissionsManage,
    #[serde(rename = "rules.manage")]
    RulesManage,
    #[serde(rename = "actions.approve")]
    ActionsApprove,
    #[serde(rename = "audit.read")]
    AuditRead,
    #[serde(rename = "quotas.manage")]
    QuotasManage,
    #[serde(rename = "usage.read")]
    UsageRead,
    #[serde(rename = "secrets.manage")]
    SecretsManage,
    #[serde(rename = "settings.manage")]
    SettingsManage,
}

impl Permission {
    pub fn from_key(key: &str) -> Option<Permission> {
        Permission::ALL.into_iter().find(|p| p.key() == key)
    }

    pub const ALL: [Permission; 14] = [
        Permission::OrgManage,
        Permission::UsersManage,
        Permission::TeamsManage,
        Permission::RolesManage,
        Permission::ApiKeysManage,
        Permission::StoresManage,
        Permission::PermissionsManage,
        Permission::RulesManage,
        Permission::ActionsApprove,
        Permission::AuditRead,
        Permission::QuotasManage,
        Permission::UsageRead,
        Permission::SecretsManage,
        Permission::SettingsManage,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Permission::OrgManage => "org.manage",
            Permission::UsersManage => "users.manage",
            Permission::TeamsManage => "teams.manage",
            Permission::RolesManage => "roles.manage",
            Permission::ApiKeysManage => "api_keys.manage",
            Permission::StoresManage => "stores.manage",
            Permission::PermissionsManage => "permissions.manage",
            Permission::RulesManage => "rules.manage",
            Permission::ActionsApprove => "actions.approve",
            Permission::AuditRead => "audit.read",
            Permission::QuotasManage => "quotas.manage",
            Permission::UsageRead => "usage.read",
            Permission::SecretsManage => "secrets.manage",
            Permission::SettingsManage => "settings.manage",
        }
    }
}

/// The built-in roles (seeded by migration with fixed ids; their permissions live in the
/// database like every role's). Custom roles are rows with an `org_id`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum BuiltInRole {
    Owner,
    Admin,
    StoreManager,
    Approver,
    Auditor,
    Viewer,
}

impl BuiltInRole {
    pub const ALL: [BuiltInRole; 6] = [
        BuiltInRole::Owner,
        BuiltInRole::Admin,
        BuiltInRole::StoreManager,
        BuiltInRole::Approver,
        BuiltInRole::Auditor,
        BuiltInRole::Viewer,
    ];

    pub fn name(self) -> &'static str {
        match self {
            BuiltInRole::Owner => "Owner",
            BuiltInRole::Admin => "Admin",
            BuiltInRole::StoreManager => "Store manager",
            BuiltInRole::Approver => "Approver",
            BuiltInRole::Auditor => "Auditor",
            BuiltInRole::Viewer => "Viewer",
        }
    }

    /// The seeded row id in `roles`.
    pub fn id(self) -> &'static str {
        match self {
            BuiltInRole::Owner => "role-owner",
            BuiltInRole::Admin => "role-admin",
            BuiltInRole::StoreManager => "role-store-manager",
            BuiltInRole::Approver => "role-approver",
            BuiltInRole::Auditor => "role-auditor",
            BuiltInRole::Viewer => "role-viewer",
        }
    }

    /// Accepts a built-in role's name, case-insensitively ("Owner", "store manager").
    pub fn parse(name: &str) -> Result<BuiltInRole, String> {
        let wanted = name.trim().to_lowercase().replace(['_', '-'], " ");
        BuiltInRole::ALL.into_iter().find(|r| r.name().to_lowercase() == wanted).ok_or_else(|| {
            format!("Unknown role \"{name}\". Built-in roles: {}.", BuiltInRole::ALL.map(|r| r.name()).join(", "))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_match_serde_names() {
        for p in Permission::ALL {
            assert_eq!(serde_json::to_string(&p).unwrap(), format!("\"{}\"", p.key()));
        }
    }

    #[test]
    fn built_in_roles_parse_by_name() {
        assert_eq!(BuiltInRole::parse("Owner"), Ok(BuiltInRole::Owner));
        assert_eq!(BuiltInRole::parse("store manager"), Ok(BuiltInRole::StoreManager));
        assert_eq!(BuiltInRole::parse("store_manager"), Ok(BuiltInRole::StoreManager));
        assert!(BuiltInRole::parse("Emperor").unwrap_err().contains("Viewer"));
    }

    #[test]
    fn permission_keys_parse_back() {
        for p in Permission::ALL {
            assert_eq!(Permission::from_key(p.key()), Some(p));
        }
        assert_eq!(Permission::from_key("nope"), None);
    }
}
