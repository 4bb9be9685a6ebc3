use sea_orm::entity::prelude::*;

/// `status`: invited | active | suspended. `auth_provider`: direct (others later).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub org_id: String,
    /// Stored lower-cased: emails are unique per org, case-insensitively.
    pub email: String,
    pub username: Option<String>,
    pub display_name: String,
    pub password_hash: Option<String>,
    pub status: String,
    pub auth_provider: String,
    pub mfa_enabled: bool,
    pub mfa_secret_enc: Option<String>,
    pub last_login_at: Option<DateTimeUtc>,
    pub team_id: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

pub const STATUS_ACTIVE: &str = "active";
pub const STATUS_INVITED: &str = "invited";
pub const STATUS_SUSPENDED: &str = "suspended";
