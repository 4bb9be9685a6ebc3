//! MFA replay protection: the last TOTP time step each user signed in (or confirmed) with,
//! so the same code cannot be used twice. One row per user with MFA in use; deleted with
//! the user. (The TOTP secret itself is `users.mfa_secret_enc`, recovery codes are
//! `recovery_codes`, both from the RBAC migration.)

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum MfaTotpSteps {
    Table,
    UserId,
    LastStep,
    UpdatedAt,
}

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(MfaTotpSteps::Table)
                    .col(string_len(MfaTotpSteps::UserId, 36).primary_key())
                    .col(big_integer(MfaTotpSteps::LastStep))
                    .col(timestamp_with_time_zone(MfaTotpSteps::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(MfaTotpSteps::Table, MfaTotpSteps::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(MfaTotpSteps::Table).to_owned()).await
    }
}
