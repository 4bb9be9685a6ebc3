//! The org's profile and its secrets vault (issue 15):
//! - `orgs`: address, contact email and phone, time zone (IANA name; quota periods and
//!   reports use it) and default currency;
//! - `secrets`: entity-scoped secrets (org, team or user) `{name, value, description}`, the
//!   value AES-256-GCM encrypted with the instance key and bound to its row, write-only;
//!   who set it and when are kept beside it.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Orgs {
    Table,
    Id,
    Address,
    ContactEmail,
    ContactPhone,
    TimeZone,
    DefaultCurrency,
}

#[derive(DeriveIden)]
enum Secrets {
    Table,
    Id,
    OrgId,
    ScopeType,
    ScopeId,
    Name,
    Description,
    ValueEnc,
    SetAt,
    SetById,
    SetByLabel,
}

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite adds one column at a time.
        for col in [
            text(Orgs::Address).default("").to_owned(),
            string_len(Orgs::ContactEmail, 254).default("").to_owned(),
            string_len(Orgs::ContactPhone, 40).default("").to_owned(),
            string_len(Orgs::TimeZone, 64).default("UTC").to_owned(),
            string_len(Orgs::DefaultCurrency, 3).default("EUR").to_owned(),
        ] {
            manager.alter_table(Table::alter().table(Orgs::Table).add_column(col).to_owned()).await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(Secrets::Table)
                    .col(string_len(Secrets::Id, 36).primary_key())
                    .col(string_len(Secrets::OrgId, 36))
                    // org | team | user
                    .col(string_len(Secrets::ScopeType, 10))
                    .col(string_len(Secrets::ScopeId, 36))
                    .col(string_len(Secrets::Name, 100))
                    .col(string_len(Secrets::Description, 500).default(""))
                    .col(text(Secrets::ValueEnc))
                    .col(timestamp_with_time_zone(Secrets::SetAt))
                    .col(string_len_null(Secrets::SetById, 36))
                    .col(string_len(Secrets::SetByLabel, 254))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Secrets::Table, Secrets::OrgId)
                            .to(Orgs::Table, Orgs::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_secrets_name")
                    .table(Secrets::Table)
                    .col(Secrets::OrgId)
                    .col(Secrets::ScopeType)
                    .col(Secrets::ScopeId)
                    .col(Secrets::Name)
                    .unique()
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(Secrets::Table).to_owned()).await?;
        for col in [Orgs::Address, Orgs::ContactEmail, Orgs::ContactPhone, Orgs::TimeZone, Orgs::DefaultCurrency] {
            manager.alter_table(Table::alter().table(Orgs::Table).drop_column(col).to_owned()).await?;
        }
        Ok(())
    }
}
