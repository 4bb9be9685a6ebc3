use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "orgs")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub name: String,
    pub slug: String,
    pub created_at: DateTimeUtc,
    /// Members must enrol TOTP before they can use the app.
    pub require_mfa: bool,
    /// Moves on with every audited change to what API keys may do (see `services::access`).
    pub access_version: i64,
    /// The profile: postal address (lines), contact email and phone.
    #[sea_orm(column_type = "Text")]
    pub address: String,
    pub contact_email: String,
    pub contact_phone: String,
    /// IANA name ("Europe/Berlin"); quota periods and reports use it.
    pub time_zone: String,
    /// ISO 4217, for new stores and amounts without one.
    pub default_currency: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
