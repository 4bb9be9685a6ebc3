//! What the built-in executors work on (DESIGN.md §4 Executors):
//! - the sandbox store: `sandbox_orders` (orders with totals, refunds, addresses, tracking)
//!   and `sandbox_operations` (every refund, discount, return, cancellation, address change
//!   and tracking message, with the action that caused it);
//! - Mandate's own internal actions: in-app `notifications` (per user, read/unread) and
//!   `tasks`;
//! - `connectors`: the webhook a store's platform is reached through (store_id set) and the
//!   org's connector for business-operations actions (store_id NULL). The signing secret is
//!   stored encrypted (AES-256-GCM), never in clear.

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
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum SandboxOrders {
    Table,
    Id,
    OrgId,
    StoreId,
    OrderRef,
    CustomerRef,
    CustomerEmail,
    Total,
    Currency,
    Status,
    RefundedTotal,
    Items,
    Address,
    TrackingNumber,
    Carrier,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum SandboxOperations {
    Table,
    Id,
    OrgId,
    StoreId,
    OrderRef,
    CustomerRef,
    Kind,
    Amount,
    Percentage,
    Code,
    Details,
    ActionId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Notifications {
    Table,
    Id,
    OrgId,
    UserId,
    Title,
    Body,
    Severity,
    Link,
    DedupeKey,
    ActionId,
    ReadAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Tasks {
    Table,
    Id,
    OrgId,
    StoreId,
    Title,
    Description,
    Assignee,
    DueDate,
    Priority,
    Status,
    LinkedType,
    LinkedId,
    ActionId,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Connectors {
    Table,
    Id,
    OrgId,
    StoreId,
    ScopeKey,
    Url,
    SecretEnc,
    TimeoutMs,
    MaxAttempts,
    CreatedAt,
    UpdatedAt,
}

fn org_fk(table: impl IntoIden, col: impl IntoIden) -> ForeignKeyCreateStatement {
    ForeignKey::create().from(table, col).to(Orgs::Table, Orgs::Id).on_delete(ForeignKeyAction::Cascade).to_owned()
}

fn store_fk(table: impl IntoIden, col: impl IntoIden) -> ForeignKeyCreateStatement {
    ForeignKey::create().from(table, col).to(Stores::Table, Stores::Id).on_delete(ForeignKeyAction::Cascade).to_owned()
}

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(SandboxOrders::Table)
                    .col(string_len(SandboxOrders::Id, 36).primary_key())
                    .col(string_len(SandboxOrders::OrgId, 36))
                    .col(string_len(SandboxOrders::StoreId, 36))
                    // The order number agents and customers use (`order_id` in the actions).
                    .col(string_len(SandboxOrders::OrderRef, 100))
                    .col(string_len_null(SandboxOrders::CustomerRef, 320))
                    .col(string_len_null(SandboxOrders::CustomerEmail, 320))
                    // Decimal text in the order's currency.
                    .col(string_len(SandboxOrders::Total, 40))
                    .col(string_len(SandboxOrders::Currency, 3))
                    // open | shipped | cancelled | returned
                    .col(string_len(SandboxOrders::Status, 20))
                    .col(string_len(SandboxOrders::RefundedTotal, 40).default("0"))
                    // JSON array of {sku, name, quantity, price}.
                    .col(text(SandboxOrders::Items))
                    // JSON {line1, line2?, city, region?, postal_code, country}.
                    .col(text(SandboxOrders::Address))
                    .col(string_len_null(SandboxOrders::TrackingNumber, 100))
                    .col(string_len_null(SandboxOrders::Carrier, 100))
                    .col(timestamp_with_time_zone(SandboxOrders::CreatedAt))
                    .col(timestamp_with_time_zone(SandboxOrders::UpdatedAt))
                    .foreign_key(&mut org_fk(SandboxOrders::Table, SandboxOrders::OrgId))
                    .foreign_key(&mut store_fk(SandboxOrders::Table, SandboxOrders::StoreId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_sandbox_orders_store_ref")
                    .table(SandboxOrders::Table)
                    .col(SandboxOrders::StoreId)
                    .col(SandboxOrders::OrderRef)
                    .unique()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(SandboxOperations::Table)
                    .col(string_len(SandboxOperations::Id, 36).primary_key())
                    .col(string_len(SandboxOperations::OrgId, 36))
                    .col(string_len(SandboxOperations::StoreId, 36))
                    // NULL for a discount code given to a customer rather than an order.
                    .col(string_len_null(SandboxOperations::OrderRef, 100))
                    .col(string_len_null(SandboxOperations::CustomerRef, 320))
                    // refund | discount | return | cancellation | address_change |
                    // tracking_sent | status_change
                    .col(string_len(SandboxOperations::Kind, 20))
                    .col(string_len_null(SandboxOperations::Amount, 40))
                    .col(string_len_null(SandboxOperations::Percentage, 40))
                    .col(string_len_null(SandboxOperations::Code, 50))
                    // JSON: what else the operation carried (reason, items, before/after…).
                    .col(text(SandboxOperations::Details))
                    .col(string_len_null(SandboxOperations::ActionId, 36))
                    .col(timestamp_with_time_zone(SandboxOperations::CreatedAt))
                    .foreign_key(&mut org_fk(SandboxOperations::Table, SandboxOperations::OrgId))
                    .foreign_key(&mut store_fk(SandboxOperations::Table, SandboxOperations::StoreId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_sandbox_operations_store_order")
                    .table(SandboxOperations::Table)
                    .col(SandboxOperations::StoreId)
                    .col(SandboxOperations::OrderRef)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_sandbox_operations_store_code")
                    .table(SandboxOperations::Table)
                    .col(SandboxOperations::StoreId)
                    .col(SandboxOperations::Code)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Notifications::Table)
                    .col(string_len(Notifications::Id, 36).primary_key())
                    .col(string_len(Notifications::OrgId, 36))
                    .col(string_len(Notifications::UserId, 36))
                    .col(string_len(Notifications::Title, 200))
                    .col(text(Notifications::Body))
                    // info | warning | critical
                    .col(string_len(Notifications::Severity, 10))
                    .col(string_len_null(Notifications::Link, 2000))
                    // Notifications with the same key are sent once.
                    .col(string_len_null(Notifications::DedupeKey, 200))
                    .col(string_len_null(Notifications::ActionId, 36))
                    .col(timestamp_with_time_zone_null(Notifications::ReadAt))
                    .col(timestamp_with_time_zone(Notifications::CreatedAt))
                    .foreign_key(&mut org_fk(Notifications::Table, Notifications::OrgId))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Notifications::Table, Notifications::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_notifications_user_read")
                    .table(Notifications::Table)
                    .col(Notifications::UserId)
                    .col(Notifications::ReadAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_notifications_org_dedupe")
                    .table(Notifications::Table)
                    .col(Notifications::OrgId)
                    .col(Notifications::DedupeKey)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Tasks::Table)
                    .col(string_len(Tasks::Id, 36).primary_key())
                    .col(string_len(Tasks::OrgId, 36))
                    .col(string_len_null(Tasks::StoreId, 36))
                    .col(string_len(Tasks::Title, 300))
                    .col(text(Tasks::Description))
                    // The assignee's user id, when there is one.
                    .col(string_len_null(Tasks::Assignee, 36))
                    // YYYY-MM-DD
                    .col(string_len_null(Tasks::DueDate, 10))
                    // low | normal | high | urgent
                    .col(string_len(Tasks::Priority, 10))
                    // open | in_progress | done | cancelled
                    .col(string_len(Tasks::Status, 20))
                    .col(string_len_null(Tasks::LinkedType, 20))
                    .col(string_len_null(Tasks::LinkedId, 100))
                    .col(string_len_null(Tasks::ActionId, 36))
                    .col(timestamp_with_time_zone(Tasks::CreatedAt))
                    .col(timestamp_with_time_zone(Tasks::UpdatedAt))
                    .foreign_key(&mut org_fk(Tasks::Table, Tasks::OrgId))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Tasks::Table, Tasks::StoreId)
                            .to(Stores::Table, Stores::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_tasks_org_created")
                    .table(Tasks::Table)
                    .col(Tasks::OrgId)
                    .col(Tasks::CreatedAt)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Connectors::Table)
                    .col(string_len(Connectors::Id, 36).primary_key())
                    .col(string_len(Connectors::OrgId, 36))
                    // Set: the store's platform webhook. NULL: the org's connector.
                    .col(string_len_null(Connectors::StoreId, 36))
                    // The store id, or "org" (unique per org, since NULLs never collide).
                    .col(string_len(Connectors::ScopeKey, 36))
                    .col(text(Connectors::Url))
                    // AES-256-GCM (services::infra::crypto), bound to the connector's id.
                    .col(text(Connectors::SecretEnc))
                    .col(integer(Connectors::TimeoutMs))
                    .col(integer(Connectors::MaxAttempts))
                    .col(timestamp_with_time_zone(Connectors::CreatedAt))
                    .col(timestamp_with_time_zone(Connectors::UpdatedAt))
                    .foreign_key(&mut org_fk(Connectors::Table, Connectors::OrgId))
                    .foreign_key(&mut store_fk(Connectors::Table, Connectors::StoreId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_connectors_org_scope")
                    .table(Connectors::Table)
                    .col(Connectors::OrgId)
                    .col(Connectors::ScopeKey)
                    .unique()
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Connectors::Table.into_iden(),
            Tasks::Table.into_iden(),
            Notifications::Table.into_iden(),
            SandboxOperations::Table.into_iden(),
            SandboxOrders::Table.into_iden(),
        ] {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}
