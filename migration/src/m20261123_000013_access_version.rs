//! `orgs.access_version`: a counter moved on by every audited change that can change what an
//! API key may do (the org, its teams, stores, roles, role assignments and API keys), in the
//! same transaction as the change. API-key authentication reads it with the key row and
//! reuses the key's resolved grants and org tree while it has not moved, so a change takes
//! effect on the very next request, on every server sharing the database.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Orgs {
    Table,
    AccessVersion,
}

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter().table(Orgs::Table).add_column(big_integer(Orgs::AccessVersion).default(0)).to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.alter_table(Table::alter().table(Orgs::Table).drop_column(Orgs::AccessVersion).to_owned()).await
    }
}
