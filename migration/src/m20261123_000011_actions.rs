//! The agent gateway's record: one `actions` row per action attempt (DESIGN.md §2
//! `action_audit`): what was asked (redacted), the decision with its trace, the status through
//! confirmation and execution, the idempotency key with the stored response, and what the
//! attempt reserved in the usage counters (released on cancel, failure and expiry).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Orgs {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Stores {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Actions {
    Table,
    Id,
    OrgId,
    StoreId,
    AssistantId,
    RuleRunId,
    ApiKeyId,
    UserId,
    ConversationId,
    CustomerRef,
    ActionType,
    ActionVersion,
    ActionData,
    Amount,
    Decision,
    Code,
    Reason,
    Trace,
    ConfirmationBy,
    Status,
    IdempotencyScope,
    IdempotencyKey,
    RequestHash,
    ResponseStatus,
    Response,
    CustomerConfirmedAt,
    ConfirmedBy,
    ConfirmedAt,
    ExecutedAt,
    ErrorCode,
    ErrorMessage,
    Result,
    ReservedBucket,
    ReservedAmountE4,
    ReservedSubjects,
    Released,
    ExpiresAt,
    CreatedAt,
    UpdatedAt,
}

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Actions::Table)
                    .col(string_len(Actions::Id, 36).primary_key())
                    .col(string_len(Actions::OrgId, 36))
                    .col(string_len(Actions::StoreId, 36))
                    .col(string_len_null(Actions::AssistantId, 36))
                    .col(string_len_null(Actions::RuleRunId, 36))
                    .col(string_len_null(Actions::ApiKeyId, 36))
                    .col(string_len_null(Actions::UserId, 36))
                    .col(string_len_null(Actions::ConversationId, 200))
                    .col(string_len_null(Actions::CustomerRef, 200))
                    .col(string_len(Actions::ActionType, 80))
                    .col(integer(Actions::ActionVersion))
                    // The inputs with the catalog's redact_fields removed.
                    .col(text(Actions::ActionData))
                    // The request's amount (decimal text), for lists and totals.
                    .col(string_len_null(Actions::Amount, 40))
                    // allow | confirm | deny
                    .col(string_len(Actions::Decision, 10))
                    .col(string_len_null(Actions::Code, 40))
                    .col(text(Actions::Reason))
                    // JSON array of decision steps.
                    .col(text(Actions::Trace))
                    .col(string_len_null(Actions::ConfirmationBy, 10))
                    // pending | confirmed | executed | failed | cancelled | denied | expired
                    .col(string_len(Actions::Status, 12))
                    // Who the key belongs to (API key id or user id): keys are unique per caller.
                    .col(string_len_null(Actions::IdempotencyScope, 36))
                    .col(string_len_null(Actions::IdempotencyKey, 255))
                    .col(string_len_null(Actions::RequestHash, 64))
                    // The first answer, replayed for the same key and body; NULL while in flight.
                    .col(integer_null(Actions::ResponseStatus))
                    .col(text_null(Actions::Response))
                    .col(timestamp_with_time_zone_null(Actions::CustomerConfirmedAt))
                    .col(string_len_null(Actions::ConfirmedBy, 320))
                    .col(timestamp_with_time_zone_null(Actions::ConfirmedAt))
                    .col(timestamp_with_time_zone_null(Actions::ExecutedAt))
                    .col(string_len_null(Actions::ErrorCode, 40))
                    .col(text_null(Actions::ErrorMessage))
                    .col(text_null(Actions::Result))
                    // What was added to the usage counters: the hour bucket, the amount and
                    // the subjects (JSON array), so a release subtracts exactly that.
                    .col(big_integer_null(Actions::ReservedBucket))
                    .col(big_integer(Actions::ReservedAmountE4).default(0))
                    .col(text_null(Actions::ReservedSubjects))
                    .col(boolean(Actions::Released).default(false))
                    .col(timestamp_with_time_zone_null(Actions::ExpiresAt))
                    .col(timestamp_with_time_zone(Actions::CreatedAt))
                    .col(timestamp_with_time_zone(Actions::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Actions::Table, Actions::OrgId)
                            .to(Orgs::Table, Orgs::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Actions::Table, Actions::StoreId)
                            .to(Stores::Table, Stores::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_actions_idempotency")
                    .table(Actions::Table)
                    .col(Actions::OrgId)
                    .col(Actions::IdempotencyScope)
                    .col(Actions::IdempotencyKey)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_actions_org_created")
                    .table(Actions::Table)
                    .col(Actions::OrgId)
                    .col(Actions::CreatedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_actions_org_status")
                    .table(Actions::Table)
                    .col(Actions::OrgId)
                    .col(Actions::Status)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_actions_store_created")
                    .table(Actions::Table)
                    .col(Actions::StoreId)
                    .col(Actions::CreatedAt)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(Actions::Table).to_owned()).await
    }
}
