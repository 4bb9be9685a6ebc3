//! Spend and quotas (DESIGN.md §2 Spend and quotas, seed 002):
//! - `expenditure_records`: what an org, team, user or assistant spent (or used: count
//!   quotas count records), in 1/10 000 units of its currency; `team_id` is the team the
//!   spend is attributed to when it was recorded (the entity's team, or the assistant's
//!   store's team), so a team quota sums its subtree with one indexed filter. Records made by
//!   an invoke carry its `action_id` and are removed when the action releases what it
//!   reserved (cancelled, failed, expired).
//! - `quotas`: a limit on an entity's spend or count per calendar period, enforced or alert
//!   only, with alert thresholds in percent.
//! - `quota_alerts`: each threshold alert sent, once per quota, period and threshold (unique).
//! - `api_idempotency`: the first answer of a request sent with an Idempotency-Key, for
//!   endpoints without a row of their own to hold it (expenditure batches).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Orgs {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum ExpenditureRecords {
    Table,
    Id,
    OrgId,
    EntityType,
    EntityId,
    TeamId,
    AmountE4,
    Currency,
    ItemType,
    ItemId,
    ActionId,
    OccurredAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Quotas {
    Table,
    Id,
    OrgId,
    Name,
    EntityType,
    EntityId,
    ItemType,
    Metric,
    LimitE4,
    Currency,
    Period,
    Enforce,
    AlertThresholds,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum QuotaAlerts {
    Table,
    Id,
    OrgId,
    QuotaId,
    PeriodStart,
    Threshold,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ApiIdempotency {
    Table,
    Id,
    OrgId,
    Scope,
    Key,
    RequestHash,
    ResponseStatus,
    Response,
    CreatedAt,
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
                    .table(ExpenditureRecords::Table)
                    .col(string_len(ExpenditureRecords::Id, 36).primary_key())
                    .col(string_len(ExpenditureRecords::OrgId, 36))
                    // org | team | user | assistant
                    .col(string_len(ExpenditureRecords::EntityType, 20))
                    .col(string_len_null(ExpenditureRecords::EntityId, 36))
                    .col(string_len_null(ExpenditureRecords::TeamId, 36))
                    .col(big_integer(ExpenditureRecords::AmountE4))
                    .col(string_len(ExpenditureRecords::Currency, 3))
                    // agent | tool | assistant | prompt | action
                    .col(string_len(ExpenditureRecords::ItemType, 20))
                    .col(string_len_null(ExpenditureRecords::ItemId, 200))
                    .col(string_len_null(ExpenditureRecords::ActionId, 36))
                    .col(timestamp_with_time_zone(ExpenditureRecords::OccurredAt))
                    .col(timestamp_with_time_zone(ExpenditureRecords::CreatedAt))
                    .foreign_key(&mut org_fk(ExpenditureRecords::Table, ExpenditureRecords::OrgId))
                    .to_owned(),
            )
            .await?;
        for (name, cols) in [
            ("ix_expenditures_org_time", vec![ExpenditureRecords::OrgId, ExpenditureRecords::OccurredAt]),
            (
                "ix_expenditures_entity",
                vec![
                    ExpenditureRecords::OrgId,
                    ExpenditureRecords::EntityType,
                    ExpenditureRecords::EntityId,
                    ExpenditureRecords::OccurredAt,
                ],
            ),
            (
                "ix_expenditures_team",
                vec![ExpenditureRecords::OrgId, ExpenditureRecords::TeamId, ExpenditureRecords::OccurredAt],
            ),
            ("ix_expenditures_action", vec![ExpenditureRecords::ActionId]),
        ] {
            let mut idx = Index::create();
            idx.name(name).table(ExpenditureRecords::Table);
            for c in cols {
                idx.col(c);
            }
            manager.create_index(idx.to_owned()).await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(Quotas::Table)
                    .col(string_len(Quotas::Id, 36).primary_key())
                    .col(string_len(Quotas::OrgId, 36))
                    .col(string_len(Quotas::Name, 200))
                    .col(string_len(Quotas::EntityType, 20))
                    .col(string_len_null(Quotas::EntityId, 36))
                    // NULL: any kind of spend.
                    .col(string_len_null(Quotas::ItemType, 20))
                    // amount | count
                    .col(string_len(Quotas::Metric, 10))
                    .col(big_integer(Quotas::LimitE4))
                    .col(string_len_null(Quotas::Currency, 3))
                    // day | week | month
                    .col(string_len(Quotas::Period, 10))
                    .col(boolean(Quotas::Enforce))
                    // JSON [50, 80, 100]
                    .col(string_len(Quotas::AlertThresholds, 200))
                    .col(timestamp_with_time_zone(Quotas::CreatedAt))
                    .col(timestamp_with_time_zone(Quotas::UpdatedAt))
                    .foreign_key(&mut org_fk(Quotas::Table, Quotas::OrgId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(Index::create().name("ix_quotas_org").table(Quotas::Table).col(Quotas::OrgId).to_owned())
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(QuotaAlerts::Table)
                    .col(string_len(QuotaAlerts::Id, 36).primary_key())
                    .col(string_len(QuotaAlerts::OrgId, 36))
                    .col(string_len(QuotaAlerts::QuotaId, 36))
                    .col(timestamp_with_time_zone(QuotaAlerts::PeriodStart))
                    .col(integer(QuotaAlerts::Threshold))
                    .col(timestamp_with_time_zone(QuotaAlerts::CreatedAt))
                    .foreign_key(&mut org_fk(QuotaAlerts::Table, QuotaAlerts::OrgId))
                    .foreign_key(
                        ForeignKey::create()
                            .from(QuotaAlerts::Table, QuotaAlerts::QuotaId)
                            .to(Quotas::Table, Quotas::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_quota_alerts_once")
                    .table(QuotaAlerts::Table)
                    .col(QuotaAlerts::QuotaId)
                    .col(QuotaAlerts::PeriodStart)
                    .col(QuotaAlerts::Threshold)
                    .unique()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(ApiIdempotency::Table)
                    .col(string_len(ApiIdempotency::Id, 36).primary_key())
                    .col(string_len(ApiIdempotency::OrgId, 36))
                    .col(string_len(ApiIdempotency::Scope, 100))
                    .col(string_len(ApiIdempotency::Key, 255))
                    .col(string_len(ApiIdempotency::RequestHash, 64))
                    .col(integer(ApiIdempotency::ResponseStatus))
                    .col(text(ApiIdempotency::Response))
                    .col(timestamp_with_time_zone(ApiIdempotency::CreatedAt))
                    .foreign_key(&mut org_fk(ApiIdempotency::Table, ApiIdempotency::OrgId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_api_idempotency")
                    .table(ApiIdempotency::Table)
                    .col(ApiIdempotency::OrgId)
                    .col(ApiIdempotency::Scope)
                    .col(ApiIdempotency::Key)
                    .unique()
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(ApiIdempotency::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(QuotaAlerts::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(Quotas::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(ExpenditureRecords::Table).to_owned()).await
    }
}
