//! Identity and access: teams (a tree), roles with permissions (built-ins seeded here),
//! scoped role assignments, management keys with a role at a scope, one-time user tokens
//! (invites, password resets), MFA recovery codes, the email outbox, org MFA policy.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Orgs {
    Table,
    Id,
    RequireMfa,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    TeamId,
}

#[derive(DeriveIden)]
enum Teams {
    Table,
    Id,
    OrgId,
    Name,
    ParentTeamId,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Permissions {
    Table,
    Key,
    Description,
}

#[derive(DeriveIden)]
enum Roles {
    Table,
    Id,
    OrgId,
    Name,
    Description,
    BuiltIn,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum RolePermissions {
    Table,
    RoleId,
    Permission,
}

#[derive(DeriveIden)]
enum RoleAssignments {
    Table,
    Id,
    OrgId,
    UserId,
    RoleId,
    ScopeType,
    ScopeId,
    CreatedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ApiKeys {
    Table,
    RoleId,
    ScopeType,
    ScopeId,
}

#[derive(DeriveIden)]
enum UserTokens {
    Table,
    Id,
    OrgId,
    UserId,
    Kind,
    TokenHash,
    ExpiresAt,
    UsedAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum RecoveryCodes {
    Table,
    Id,
    UserId,
    CodeHash,
    UsedAt,
}

#[derive(DeriveIden)]
enum Outbox {
    Table,
    Id,
    OrgId,
    ToEmail,
    Subject,
    Body,
    CreatedAt,
    SentAt,
    Attempts,
    LastError,
}

/// (key, plain-words description) — the fixed permission set of DESIGN.md §2.
pub const PERMISSIONS: &[(&str, &str)] = &[
    ("org.manage", "Rename the organisation, require MFA, transfer ownership"),
    ("users.manage", "Invite, edit, suspend and remove people"),
    ("teams.manage", "Create, rename, move and delete teams"),
    ("roles.manage", "Create custom roles and assign roles"),
    ("api_keys.manage", "Create and revoke API keys"),
    ("stores.manage", "Create stores, pause their actions"),
    ("permissions.manage", "Decide which actions a store and its assistants may take, and their limits"),
    ("rules.manage", "Create and change automation rules"),
    ("actions.approve", "Approve or reject actions waiting for a person"),
    ("audit.read", "Read the audit trail and export it"),
    ("quotas.manage", "Set spending and usage quotas"),
    ("usage.read", "See usage and spending"),
    ("secrets.manage", "Store connector secrets"),
    ("settings.manage", "Change organisation preferences"),
];

/// Built-in roles: (fixed id, name, description, permission keys).
pub const BUILT_IN_ROLES: &[(&str, &str, &str, &[&str])] = &[
    (
        "role-owner",
        "Owner",
        "Everything, including the organisation itself. Every org keeps at least one active Owner.",
        &[
            "org.manage",
            "users.manage",
            "teams.manage",
            "roles.manage",
            "api_keys.manage",
            "stores.manage",
            "permissions.manage",
            "rules.manage",
            "actions.approve",
            "audit.read",
            "quotas.manage",
            "usage.read",
            "secrets.manage",
            "settings.manage",
        ],
    ),
    (
        "role-admin",
        "Admin",
        "Manages people, teams, roles, keys and every store, but not the organisation itself.",
        &[
            "users.manage",
            "teams.manage",
            "roles.manage",
            "api_keys.manage",
            "stores.manage",
            "permissions.manage",
            "rules.manage",
            "actions.approve",
            "audit.read",
            "quotas.manage",
            "usage.read",
            "secrets.manage",
            "settings.manage",
        ],
    ),
    (
        "role-store-manager",
        "Store manager",
        "Runs stores: their settings, what assistants may do, automation rules and approvals.",
        &["stores.manage", "permissions.manage", "rules.manage", "actions.approve", "audit.read", "usage.read"],
    ),
    (
        "role-approver",
        "Approver",
        "Approves or rejects actions that wait for a person, and reads their audit trail.",
        &["actions.approve", "audit.read"],
    ),
    (
        "role-auditor",
        "Auditor",
        "Reads everything in the audit trail and exports it; changes nothing.",
        &["audit.read", "usage.read"],
    ),
    ("role-viewer", "Viewer", "Sees what its scope holds; changes nothing.", &[]),
];

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter().table(Orgs::Table).add_column(boolean(Orgs::RequireMfa).default(false)).to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Teams::Table)
                    .col(string_len(Teams::Id, 36).primary_key())
                    .col(string_len(Teams::OrgId, 36))
                    .col(string_len(Teams::Name, 200))
                    .col(string_len_null(Teams::ParentTeamId, 36))
                    .col(timestamp_with_time_zone(Teams::CreatedAt))
                    .col(timestamp_with_time_zone(Teams::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Teams::Table, Teams::OrgId)
                            .to(Orgs::Table, Orgs::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create().from(Teams::Table, Teams::ParentTeamId).to(Teams::Table, Teams::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_teams_org_parent")
                    .table(Teams::Table)
                    .col(Teams::OrgId)
                    .col(Teams::ParentTeamId)
                    .to_owned(),
            )
            .await?;

        manager
            .alter_table(Table::alter().table(Users::Table).add_column(string_len_null(Users::TeamId, 36)).to_owned())
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Permissions::Table)
                    .col(string_len(Permissions::Key, 64).primary_key())
                    .col(string_len(Permissions::Description, 300))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Roles::Table)
                    .col(string_len(Roles::Id, 36).primary_key())
                    .col(string_len_null(Roles::OrgId, 36))
                    .col(string_len(Roles::Name, 100))
                    .col(string_len(Roles::Description, 500))
                    .col(boolean(Roles::BuiltIn).default(false))
                    .col(timestamp_with_time_zone(Roles::CreatedAt))
                    .col(timestamp_with_time_zone(Roles::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Roles::Table, Roles::OrgId)
                            .to(Orgs::Table, Orgs::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(RolePermissions::Table)
                    .col(string_len(RolePermissions::RoleId, 36))
                    .col(string_len(RolePermissions::Permission, 64))
                    .primary_key(Index::create().col(RolePermissions::RoleId).col(RolePermissions::Permission))
                    .foreign_key(
                        ForeignKey::create()
                            .from(RolePermissions::Table, RolePermissions::RoleId)
                            .to(Roles::Table, Roles::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(RolePermissions::Table, RolePermissions::Permission)
                            .to(Permissions::Table, Permissions::Key),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(RoleAssignments::Table)
                    .col(string_len(RoleAssignments::Id, 36).primary_key())
                    .col(string_len(RoleAssignments::OrgId, 36))
                    .col(string_len(RoleAssignments::UserId, 36))
                    .col(string_len(RoleAssignments::RoleId, 36))
                    .col(string_len(RoleAssignments::ScopeType, 8))
                    .col(string_len(RoleAssignments::ScopeId, 36))
                    .col(string_len_null(RoleAssignments::CreatedBy, 36))
                    .col(timestamp_with_time_zone(RoleAssignments::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(RoleAssignments::Table, RoleAssignments::OrgId)
                            .to(Orgs::Table, Orgs::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(RoleAssignments::Table, RoleAssignments::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(RoleAssignments::Table, RoleAssignments::RoleId)
                            .to(Roles::Table, Roles::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_role_assignments")
                    .table(RoleAssignments::Table)
                    .col(RoleAssignments::UserId)
                    .col(RoleAssignments::RoleId)
                    .col(RoleAssignments::ScopeType)
                    .col(RoleAssignments::ScopeId)
                    .unique()
                    .to_owned(),
            )
            .await?;

        for col in [
            string_len_null(ApiKeys::RoleId, 36),
            string_len_null(ApiKeys::ScopeType, 8),
            string_len_null(ApiKeys::ScopeId, 36),
        ] {
            manager.alter_table(Table::alter().table(ApiKeys::Table).add_column(col).to_owned()).await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(UserTokens::Table)
                    .col(string_len(UserTokens::Id, 36).primary_key())
                    .col(string_len(UserTokens::OrgId, 36))
                    .col(string_len(UserTokens::UserId, 36))
                    .col(string_len(UserTokens::Kind, 16))
                    .col(string_len_uniq(UserTokens::TokenHash, 64))
                    .col(timestamp_with_time_zone(UserTokens::ExpiresAt))
                    .col(timestamp_with_time_zone_null(UserTokens::UsedAt))
                    .col(timestamp_with_time_zone(UserTokens::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(UserTokens::Table, UserTokens::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(RecoveryCodes::Table)
                    .col(string_len(RecoveryCodes::Id, 36).primary_key())
                    .col(string_len(RecoveryCodes::UserId, 36))
                    .col(string_len(RecoveryCodes::CodeHash, 64))
                    .col(timestamp_with_time_zone_null(RecoveryCodes::UsedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(RecoveryCodes::Table, RecoveryCodes::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Outbox::Table)
                    .col(string_len(Outbox::Id, 36).primary_key())
                    .col(string_len(Outbox::OrgId, 36))
                    .col(string_len(Outbox::ToEmail, 320))
                    .col(string_len(Outbox::Subject, 300))
                    .col(text(Outbox::Body))
                    .col(timestamp_with_time_zone(Outbox::CreatedAt))
                    .col(timestamp_with_time_zone_null(Outbox::SentAt))
                    .col(integer(Outbox::Attempts).default(0))
                    .col(text_null(Outbox::LastError))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Outbox::Table, Outbox::OrgId)
                            .to(Orgs::Table, Orgs::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;

        // Seed the permission keys and the built-in roles.
        let mut perms = Query::insert()
            .into_table(Permissions::Table)
            .columns([Permissions::Key, Permissions::Description])
            .to_owned();
        for (key, description) in PERMISSIONS {
            perms.values_panic([(*key).into(), (*description).into()]);
        }
        manager.exec_stmt(perms).await?;
        for (id, name, description, keys) in BUILT_IN_ROLES {
            let role = Query::insert()
                .into_table(Roles::Table)
                .columns([
                    Roles::Id,
                    Roles::OrgId,
                    Roles::Name,
                    Roles::Description,
                    Roles::BuiltIn,
                    Roles::CreatedAt,
                    Roles::UpdatedAt,
                ])
                .values_panic([
                    (*id).into(),
                    Option::<String>::None.into(),
                    (*name).into(),
                    (*description).into(),
                    true.into(),
                    Expr::current_timestamp(),
                    Expr::current_timestamp(),
                ])
                .to_owned();
            manager.exec_stmt(role).await?;
            if !keys.is_empty() {
                let mut rp = Query::insert()
                    .into_table(RolePermissions::Table)
                    .columns([RolePermissions::RoleId, RolePermissions::Permission])
                    .to_owned();
                for key in *keys {
                    rp.values_panic([(*id).into(), (*key).into()]);
                }
                manager.exec_stmt(rp).await?;
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            Outbox::Table.into_iden(),
            RecoveryCodes::Table.into_iden(),
            UserTokens::Table.into_iden(),
            RoleAssignments::Table.into_iden(),
            RolePermissions::Table.into_iden(),
            Roles::Table.into_iden(),
            Permissions::Table.into_iden(),
            Teams::Table.into_iden(),
        ] {
            manager.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}
