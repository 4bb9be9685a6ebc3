//! Single sign-on with OpenID Connect (issue 15):
//! - `sso_configs`: one identity provider per org: issuer URL, client id, the client secret
//!   encrypted at rest (AES-256-GCM with the instance key, bound to the org), the email
//!   domains that may sign in, provisioning (`jit`: create people on first sign-in with the
//!   default role; `invited`: only people already invited or active), whether it is on, and
//!   whether password sign-in is switched off for everyone but Owners (only meaningful while
//!   single sign-on is on, so it lives here: removing the provider brings passwords back);
//! - `oidc_logins`: sign-ins in flight between the redirect to the provider and its answer:
//!   the SHA-256 of the `state` (the key), the nonce and PKCE verifier (encrypted), where to
//!   go afterwards, and an expiry. A row is deleted when its answer arrives, so a state works
//!   once, on every server sharing the database.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Orgs {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Roles {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum SsoConfigs {
    Table,
    Id,
    OrgId,
    DisplayName,
    IssuerUrl,
    ClientId,
    ClientSecretEnc,
    AllowedDomains,
    Provisioning,
    DefaultRoleId,
    Enabled,
    PasswordSignInDisabled,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum OidcLogins {
    Table,
    StateHash,
    OrgId,
    SecretsEnc,
    Next,
    CreatedAt,
    ExpiresAt,
}

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(SsoConfigs::Table)
                    .col(string_len(SsoConfigs::Id, 36).primary_key())
                    .col(string_len(SsoConfigs::OrgId, 36).unique_key())
                    .col(string_len(SsoConfigs::DisplayName, 100))
                    .col(string_len(SsoConfigs::IssuerUrl, 2000))
                    .col(string_len(SsoConfigs::ClientId, 500))
                    .col(text(SsoConfigs::ClientSecretEnc))
                    // JSON array of lower-case domains.
                    .col(text(SsoConfigs::AllowedDomains))
                    // jit | invited
                    .col(string_len(SsoConfigs::Provisioning, 10))
                    .col(string_len_null(SsoConfigs::DefaultRoleId, 36))
                    .col(boolean(SsoConfigs::Enabled).default(false))
                    .col(boolean(SsoConfigs::PasswordSignInDisabled).default(false))
                    .col(timestamp_with_time_zone(SsoConfigs::CreatedAt))
                    .col(timestamp_with_time_zone(SsoConfigs::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(SsoConfigs::Table, SsoConfigs::OrgId)
                            .to(Orgs::Table, Orgs::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(SsoConfigs::Table, SsoConfigs::DefaultRoleId)
                            .to(Roles::Table, Roles::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(OidcLogins::Table)
                    .col(string_len(OidcLogins::StateHash, 64).primary_key())
                    .col(string_len(OidcLogins::OrgId, 36))
                    .col(text(OidcLogins::SecretsEnc))
                    .col(text_null(OidcLogins::Next))
                    .col(timestamp_with_time_zone(OidcLogins::CreatedAt))
                    .col(timestamp_with_time_zone(OidcLogins::ExpiresAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(OidcLogins::Table, OidcLogins::OrgId)
                            .to(Orgs::Table, Orgs::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_oidc_logins_expires")
                    .table(OidcLogins::Table)
                    .col(OidcLogins::ExpiresAt)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(OidcLogins::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(SsoConfigs::Table).to_owned()).await
    }
}
