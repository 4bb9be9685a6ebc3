use sea_orm::entity::prelude::*;

/// `kind`: management (acts with `role_id` at `scope_type`/`scope_id`) | agent (bound to a
/// store and optionally an assistant). `role` keeps the role's name at creation, for display.
/// Only the SHA-256 of the secret is stored; `prefix` is the visible start of the key.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "api_keys")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub org_id: String,
    pub name: String,
    pub prefix: String,
    pub key_hash: String,
    pub kind: String,
    pub role: Option<String>,
    pub store_id: Option<String>,
    pub assistant_id: Option<String>,
    pub created_by: Option<String>,
    pub created_at: DateTimeUtc,
    pub last_used_at: Option<DateTimeUtc>,
    pub expires_at: Option<DateTimeUtc>,
    pub revoked_at: Option<DateTimeUtc>,
    pub role_id: Option<String>,
    pub scope_type: Option<String>,
    pub scope_id: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(belongs_to = "super::org::Entity", from = "Column::OrgId", to = "super::org::Column::Id")]
    Org,
}

impl Related<super::org::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Org.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
