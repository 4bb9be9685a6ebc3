//! Stores, assistants, the action catalog's table, per-store action permissions (and the
//! org's defaults for new stores), limits at org / store / assistant scope, and the usage
//! counters window limits read. The catalog's rows are seeded by a later migration.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Orgs {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Teams {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Stores {
    Table,
    Id,
    OrgId,
    TeamId,
    Name,
    Platform,
    Currency,
    ActionsPaused,
    DefaultAllowedActions,
    PolicyVersion,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Assistants {
    Table,
    Id,
    OrgId,
    StoreId,
    Name,
    Description,
    AllowedActions,
    Status,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ActionDefinitions {
    Table,
    Id,
    Version,
    OrgId,
    Name,
    Description,
    Category,
    InputSchema,
    OutputSchema,
    AmountField,
    PercentageField,
    OrderTotalField,
    Risk,
    Retryable,
    Idempotent,
    RequiredPermission,
    RedactFields,
    Executor,
    DefaultEnabled,
    DefaultRequiresConfirmation,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ActionPermissions {
    Table,
    Id,
    OrgId,
    ScopeType,
    ScopeId,
    ActionType,
    Enabled,
    RequiresConfirmation,
    ConfirmationBy,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ActionLimits {
    Table,
    Id,
    OrgId,
    ScopeType,
    ScopeId,
    StoreId,
    ActionType,
    LimitType,
    LimitValue,
    TimeWindowHours,
    OnExceed,
    PerCustomer,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum UsageCounters {
    Table,
    OrgId,
    StoreId,
    ActionType,
    Subject,
    BucketHour,
    Count,
    AmountE4,
}

fn org_fk(table: impl IntoIden, col: impl IntoIden) -> ForeignKeyCreateStatement {
    ForeignKey::create().from(table, col).to(Orgs::Table, Orgs::Id).on_delete(ForeignKeyAction::Cascade).to_owned()
}

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Stores::Table)
                    .col(string_len(Stores::Id, 36).primary_key())
                    .col(string_len(Stores::OrgId, 36))
                    .col(string_len_null(Stores::TeamId, 36))
                    .col(string_len(Stores::Name, 200))
                    .col(string_len(Stores::Platform, 40))
                    .col(string_len(Stores::Currency, 3))
                    .col(boolean(Stores::ActionsPaused).default(false))
                    // JSON array of action ids.
                    .col(text(Stores::DefaultAllowedActions))
                    // Bumped in the same transaction as every change to what the store's
                    // compiled policy is made of; caches compare it.
                    .col(big_integer(Stores::PolicyVersion).default(1))
                    .col(timestamp_with_time_zone(Stores::CreatedAt))
                    .col(timestamp_with_time_zone(Stores::UpdatedAt))
                    .foreign_key(&mut org_fk(Stores::Table, Stores::OrgId))
                    .foreign_key(ForeignKey::create().from(Stores::Table, Stores::TeamId).to(Teams::Table, Teams::Id))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(Index::create().name("ix_stores_org").table(Stores::Table).col(Stores::OrgId).to_owned())
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Assistants::Table)
                    .col(string_len(Assistants::Id, 36).primary_key())
                    .col(string_len(Assistants::OrgId, 36))
                    .col(string_len(Assistants::StoreId, 36))
                    .col(string_len(Assistants::Name, 200))
                    .col(string_len(Assistants::Description, 1000).default(""))
                    // JSON array of action ids.
                    .col(text(Assistants::AllowedActions))
                    .col(string_len(Assistants::Status, 20).default("active"))
                    .col(timestamp_with_time_zone(Assistants::CreatedAt))
                    .col(timestamp_with_time_zone(Assistants::UpdatedAt))
                    .foreign_key(&mut org_fk(Assistants::Table, Assistants::OrgId))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Assistants::Table, Assistants::StoreId)
                            .to(Stores::Table, Stores::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_assistants_store")
                    .table(Assistants::Table)
                    .col(Assistants::StoreId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(ActionDefinitions::Table)
                    .col(string_len(ActionDefinitions::Id, 80))
                    .col(integer(ActionDefinitions::Version))
                    // NULL for the built-in catalog.
                    .col(string_len_null(ActionDefinitions::OrgId, 36))
                    .col(string_len(ActionDefinitions::Name, 200))
                    .col(text(ActionDefinitions::Description))
                    .col(string_len(ActionDefinitions::Category, 40))
                    .col(text(ActionDefinitions::InputSchema))
                    .col(text(ActionDefinitions::OutputSchema))
                    .col(string_len_null(ActionDefinitions::AmountField, 80))
                    .col(string_len_null(ActionDefinitions::PercentageField, 80))
                    .col(string_len_null(ActionDefinitions::OrderTotalField, 80))
                    .col(string_len(ActionDefinitions::Risk, 10))
                    .col(boolean(ActionDefinitions::Retryable))
                    .col(boolean(ActionDefinitions::Idempotent))
                    .col(string_len_null(ActionDefinitions::RequiredPermission, 80))
                    // JSON array of input field paths ("card.number").
                    .col(text(ActionDefinitions::RedactFields))
                    .col(string_len(ActionDefinitions::Executor, 20))
                    .col(boolean(ActionDefinitions::DefaultEnabled))
                    .col(boolean(ActionDefinitions::DefaultRequiresConfirmation))
                    .col(timestamp_with_time_zone(ActionDefinitions::CreatedAt))
                    .primary_key(Index::create().col(ActionDefinitions::Id).col(ActionDefinitions::Version))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(ActionPermissions::Table)
                    .col(string_len(ActionPermissions::Id, 36).primary_key())
                    .col(string_len(ActionPermissions::OrgId, 36))
                    // "org" (the org's defaults for new stores; scope_id = org id) or "store".
                    .col(string_len(ActionPermissions::ScopeType, 10))
                    .col(string_len(ActionPermissions::ScopeId, 36))
                    .col(string_len(ActionPermissions::ActionType, 80))
                    .col(boolean(ActionPermissions::Enabled).default(false))
                    .col(boolean(ActionPermissions::RequiresConfirmation).default(true))
                    .col(string_len(ActionPermissions::ConfirmationBy, 10).default("staff"))
                    .col(timestamp_with_time_zone(ActionPermissions::UpdatedAt))
                    .foreign_key(&mut org_fk(ActionPermissions::Table, ActionPermissions::OrgId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_action_permissions_scope_action")
                    .table(ActionPermissions::Table)
                    .col(ActionPermissions::ScopeType)
                    .col(ActionPermissions::ScopeId)
                    .col(ActionPermissions::ActionType)
                    .unique()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(ActionLimits::Table)
                    .col(string_len(ActionLimits::Id, 36).primary_key())
                    .col(string_len(ActionLimits::OrgId, 36))
                    // "org" | "store" | "assistant"; scope_id = that org / store / assistant.
                    .col(string_len(ActionLimits::ScopeType, 10))
                    .col(string_len(ActionLimits::ScopeId, 36))
                    // The store a store or assistant limit belongs to (NULL for org defaults).
                    .col(string_len_null(ActionLimits::StoreId, 36))
                    .col(string_len(ActionLimits::ActionType, 80))
                    .col(string_len(ActionLimits::LimitType, 20))
                    // Decimal as text: exact on both databases.
                    .col(string_len(ActionLimits::LimitValue, 40))
                    .col(integer_null(ActionLimits::TimeWindowHours))
                    .col(string_len(ActionLimits::OnExceed, 10))
                    .col(boolean(ActionLimits::PerCustomer).default(false))
                    .col(timestamp_with_time_zone(ActionLimits::CreatedAt))
                    .col(timestamp_with_time_zone(ActionLimits::UpdatedAt))
                    .foreign_key(&mut org_fk(ActionLimits::Table, ActionLimits::OrgId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_action_limits_key")
                    .table(ActionLimits::Table)
                    .col(ActionLimits::ScopeType)
                    .col(ActionLimits::ScopeId)
                    .col(ActionLimits::ActionType)
                    .col(ActionLimits::LimitType)
                    .col(ActionLimits::OnExceed)
                    .col(ActionLimits::PerCustomer)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_action_limits_org_store")
                    .table(ActionLimits::Table)
                    .col(ActionLimits::OrgId)
                    .col(ActionLimits::StoreId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(UsageCounters::Table)
                    .col(string_len(UsageCounters::OrgId, 36))
                    .col(string_len(UsageCounters::StoreId, 36))
                    .col(string_len(UsageCounters::ActionType, 80))
                    // "store", "assistant:<id>", "customer:<ref>", "assistant:<id>|customer:<ref>".
                    .col(string_len(UsageCounters::Subject, 300))
                    // Hours since the Unix epoch: windows are whole hours.
                    .col(big_integer(UsageCounters::BucketHour))
                    .col(big_integer(UsageCounters::Count).default(0))
                    // Amount in 1/10 000 of the store's currency unit: exact, and atomically addable.
                    .col(big_integer(UsageCounters::AmountE4).default(0))
                    .primary_key(
                        Index::create()
                            .col(UsageCounters::StoreId)
                            .col(UsageCounters::ActionType)
                            .col(UsageCounters::Subject)
                            .col(UsageCounters::BucketHour),
                    )
                    .foreign_key(&mut org_fk(UsageCounters::Table, UsageCounters::OrgId))
                    .foreign_key(
                        ForeignKey::create()
                            .from(UsageCounters::Table, UsageCounters::StoreId)
                            .to(Stores::Table, Stores::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            UsageCounters::Table.into_iden(),
            ActionLimits::Table.into_iden(),
            ActionPermissions::Table.into_iden(),
            ActionDefinitions::Table.into_iden(),
            Assistants::Table.into_iden(),
            Stores::Table.into_iden(),
        ] {
            manager.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}
