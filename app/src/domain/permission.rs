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

/// The roles that exist in this version. Until custom roles and assignments arrive, every
/// user is an Owner and management API keys carry the Owner role.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum BuiltInRole {
    Owner,
}

impl BuiltInRole {
    pub fn name(self) -> &'static str {
        match self {
            BuiltInRole::Owner => "Owner",
        }
    }

    pub fn parse(name: &str) -> Result<BuiltInRole, String> {
        match name {
            "Owner" => Ok(BuiltInRole::Owner),
            other => Err(format!(
                "Unknown role \"{other}\". This version has one role: Owner."
            )),
        }
    }

    pub fn grants(self, _permission: Permission) -> bool {
        match self {
            BuiltInRole::Owner => true,
        }
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
    fn owner_has_every_permission_and_only_owner_parses() {
        assert!(Permission::ALL.iter().all(|p| BuiltInRole::Owner.grants(*p)));
        assert_eq!(BuiltInRole::parse("Owner"), Ok(BuiltInRole::Owner));
        assert!(BuiltInRole::parse("Admin").is_err());
    }
}
