//! Notifications by channel (DESIGN.md §2 notifications, `preferences`):
//! - `preferences`: settings JSON per org, team or user (here: a person's notification
//!   channels per kind and SMS number; the org profile's preferences build on it);
//! - `sms_providers`: an org's Twilio-style SMS provider, its auth token encrypted at rest
//!   (AES-256-GCM with the instance key), never returned;
//! - `sms_outbox`: text messages waiting to be sent, claimed by one sender at a time (a
//!   lease), retried with back-off like the mail outbox;
//! - `scheduled_runs`: one row per scheduled job and period (monthly report, unusual-activity
//!   check); the unique key is the lock that lets only one of several servers run it.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Orgs {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Preferences {
    Table,
    Id,
    OrgId,
    EntityType,
    EntityId,
    Settings,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum SmsProviders {
    Table,
    Id,
    OrgId,
    Url,
    AccountSid,
    FromNumber,
    TokenEnc,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum SmsOutbox {
    Table,
    Id,
    OrgId,
    ToNumber,
    Body,
    CreatedAt,
    SentAt,
    Attempts,
    LastError,
    NextAttemptAt,
}

#[derive(DeriveIden)]
enum ScheduledRuns {
    Table,
    Id,
    Job,
    PeriodKey,
    Worker,
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
                    .table(Preferences::Table)
                    .col(string_len(Preferences::Id, 36).primary_key())
                    .col(string_len(Preferences::OrgId, 36))
                    // org | team | user
                    .col(string_len(Preferences::EntityType, 10))
                    .col(string_len(Preferences::EntityId, 36))
                    .col(text(Preferences::Settings))
                    .col(timestamp_with_time_zone(Preferences::UpdatedAt))
                    .foreign_key(&mut org_fk(Preferences::Table, Preferences::OrgId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_preferences_entity")
                    .table(Preferences::Table)
                    .col(Preferences::EntityType)
                    .col(Preferences::EntityId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(SmsProviders::Table)
                    .col(string_len(SmsProviders::Id, 36).primary_key())
                    .col(string_len(SmsProviders::OrgId, 36).unique_key())
                    .col(string_len(SmsProviders::Url, 2000))
                    .col(string_len(SmsProviders::AccountSid, 200))
                    .col(string_len(SmsProviders::FromNumber, 20))
                    .col(text(SmsProviders::TokenEnc))
                    .col(timestamp_with_time_zone(SmsProviders::CreatedAt))
                    .col(timestamp_with_time_zone(SmsProviders::UpdatedAt))
                    .foreign_key(&mut org_fk(SmsProviders::Table, SmsProviders::OrgId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(SmsOutbox::Table)
                    .col(string_len(SmsOutbox::Id, 36).primary_key())
                    .col(string_len(SmsOutbox::OrgId, 36))
                    .col(string_len(SmsOutbox::ToNumber, 20))
                    .col(text(SmsOutbox::Body))
                    .col(timestamp_with_time_zone(SmsOutbox::CreatedAt))
                    .col(timestamp_with_time_zone_null(SmsOutbox::SentAt))
                    .col(integer(SmsOutbox::Attempts).default(0))
                    .col(text_null(SmsOutbox::LastError))
                    .col(timestamp_with_time_zone_null(SmsOutbox::NextAttemptAt))
                    .foreign_key(&mut org_fk(SmsOutbox::Table, SmsOutbox::OrgId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_sms_outbox_due")
                    .table(SmsOutbox::Table)
                    .col(SmsOutbox::SentAt)
                    .col(SmsOutbox::NextAttemptAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ScheduledRuns::Table)
                    .col(string_len(ScheduledRuns::Id, 36).primary_key())
                    .col(string_len(ScheduledRuns::Job, 100))
                    .col(string_len(ScheduledRuns::PeriodKey, 200))
                    .col(string_len(ScheduledRuns::Worker, 100))
                    .col(timestamp_with_time_zone(ScheduledRuns::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_scheduled_runs")
                    .table(ScheduledRuns::Table)
                    .col(ScheduledRuns::Job)
                    .col(ScheduledRuns::PeriodKey)
                    .unique()
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(ScheduledRuns::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(SmsOutbox::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(SmsProviders::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(Preferences::Table).to_owned()).await
    }
}
