//! A store's compiled policy: the catalog, the org's defaults, the store's own permissions
//! and limits, and its assistants, folded into a `domain::policy::StorePolicy` that `decide`
//! reads. Compiled policies are cached in memory per store and keyed by the store's
//! `policy_version`, which every change to any of those parts bumps in its own transaction
//! (`bump_store`, `bump_org`); a request reads the store row anyway (tenancy), so a change
//! made by any instance is seen by the next request.

use crate::domain::catalog::{ActionDef, ConfirmationBy, Level, LimitType, OnExceed};
use crate::domain::policy::{effective_store_limits, ActionRule, AssistantRule, Limit, StorePolicy};
use crate::domain::AppError;
use crate::entities::{action_limit, action_permission, assistant, store};
use crate::services::stores::catalog::{self, Catalog};
use rust_decimal::Decimal;
use sea_orm::sea_query::{Condition, Expr, ExprTrait};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeSet, HashMap};
use std::str::FromStr;
use std::sync::{Arc, RwLock};

/// Marks the store's compiled policy stale. Call in the same transaction as the change.
pub async fn bump_store<C: ConnectionTrait>(conn: &C, store_id: &str) -> Result<(), AppError> {
    store::Entity::update_many()
        .col_expr(store::Column::PolicyVersion, Expr::col(store::Column::PolicyVersion).add(1))
        .filter(store::Column::Id.eq(store_id))
        .exec(conn)
        .await?;
    Ok(())
}

/// Marks every store of the org stale (org defaults changed).
pub async fn bump_org<C: ConnectionTrait>(conn: &C, org_id: &str) -> Result<(), AppError> {
    store::Entity::update_many()
        .col_expr(store::Column::PolicyVersion, Expr::col(store::Column::PolicyVersion).add(1))
        .filter(store::Column::OrgId.eq(org_id))
        .exec(conn)
        .await?;
    Ok(())
}

/// Where a permission's values come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// Set on the store.
    Store,
    /// The org's default (the store has no row of its own).
    Org,
    /// The catalog's built-in default (neither has a row).
    Default,
}

/// An action's enabled / confirmation settings as they apply, with their source.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PermissionSetting {
    pub enabled: bool,
    pub requires_confirmation: bool,
    pub confirmation_by: ConfirmationBy,
    pub source: Source,
}

/// Store row → org default row → catalog default.
pub fn resolve_permission(
    def: &ActionDef,
    store_row: Option<&action_permission::Model>,
    org_row: Option<&action_permission::Model>,
) -> PermissionSetting {
    let from_row = |r: &action_permission::Model, source| PermissionSetting {
        enabled: r.enabled,
        requires_confirmation: r.requires_confirmation,
        confirmation_by: ConfirmationBy::parse(&r.confirmation_by).unwrap_or(ConfirmationBy::Staff),
        source,
    };
    match (store_row, org_row) {
        (Some(r), _) => from_row(r, Source::Store),
        (None, Some(r)) => from_row(r, Source::Org),
        (None, None) => PermissionSetting {
            enabled: def.default_enabled,
            requires_confirmation: def.default_requires_confirmation,
            confirmation_by: ConfirmationBy::Staff,
            source: Source::Default,
        },
    }
}

/// A stored limit in domain form; None (and an error log) if the row is malformed.
pub fn limit_of(row: &action_limit::Model) -> Option<Limit> {
    let parsed = (|| {
        Some(Limit {
            id: row.id.clone(),
            level: Level::parse(&row.scope_type)?,
            limit_type: LimitType::parse(&row.limit_type)?,
            value: Decimal::from_str(&row.limit_value).ok()?,
            window_hours: match row.time_window_hours {
                Some(h) => Some(u32::try_from(h).ok()?),
                None => None,
            },
            on_exceed: OnExceed::parse(&row.on_exceed)?,
            per_customer: row.per_customer,
        })
    })();
    if parsed.is_none() {
        tracing::error!(limit = %row.id, "stored limit is malformed; ignored");
    }
    parsed
}

/// Parses a JSON array of action ids (stores' default_allowed_actions, assistants' allowed_actions).
pub fn action_ids(json: &str) -> BTreeSet<String> {
    serde_json::from_str::<Vec<String>>(json).map(|v| v.into_iter().collect()).unwrap_or_default()
}

/// Everything a store's policy is made of, read from the database.
pub async fn compile<C: ConnectionTrait>(db: &C, catalog: &Catalog, s: &store::Model) -> Result<StorePolicy, AppError> {
    let perms = action_permission::Entity::find()
        .filter(action_permission::Column::OrgId.eq(&s.org_id))
        .filter(
            Condition::any()
                .add(
                    Condition::all()
                        .add(action_permission::Column::ScopeType.eq("store"))
                        .add(action_permission::Column::ScopeId.eq(&s.id)),
                )
                .add(action_permission::Column::ScopeType.eq("org")),
        )
        .all(db)
        .await?;
    let limits = action_limit::Entity::find()
        .filter(action_limit::Column::OrgId.eq(&s.org_id))
        .filter(
            Condition::any()
                .add(action_limit::Column::ScopeType.eq("org"))
                .add(action_limit::Column::StoreId.eq(&s.id)),
        )
        .all(db)
        .await?;
    let assistants = assistant::Entity::find()
        .filter(assistant::Column::OrgId.eq(&s.org_id))
        .filter(assistant::Column::StoreId.eq(&s.id))
        .all(db)
        .await?;

    let mut store_perm: HashMap<&str, &action_permission::Model> = HashMap::new();
    let mut org_perm: HashMap<&str, &action_permission::Model> = HashMap::new();
    for p in &perms {
        match p.scope_type.as_str() {
            "store" => store_perm.insert(p.action_type.as_str(), p),
            _ => org_perm.insert(p.action_type.as_str(), p),
        };
    }
    let mut org_limits: HashMap<&str, Vec<Limit>> = HashMap::new();
    let mut store_limits: HashMap<&str, Vec<Limit>> = HashMap::new();
    let mut assistant_limits: HashMap<&str, HashMap<String, Vec<Limit>>> = HashMap::new();
    for row in &limits {
        let Some(l) = limit_of(row) else { continue };
        match l.level {
            Level::Org => org_limits.entry(row.action_type.as_str()).or_default().push(l),
            Level::Store => store_limits.entry(row.action_type.as_str()).or_default().push(l),
            Level::Assistant => assistant_limits
                .entry(row.scope_id.as_str())
                .or_default()
                .entry(row.action_type.clone())
                .or_default()
                .push(l),
        }
    }

    let mut actions = HashMap::new();
    for (id, def) in &catalog.defs {
        let setting = resolve_permission(def, store_perm.get(id.as_str()).copied(), org_perm.get(id.as_str()).copied());
        let limits = effective_store_limits(
            org_limits.get(id.as_str()).map(Vec::as_slice).unwrap_or_default(),
            store_limits.get(id.as_str()).map(Vec::as_slice).unwrap_or_default(),
        )
        .into_iter()
        .map(|(l, _)| l)
        .collect();
        actions.insert(
            id.clone(),
            ActionRule {
                version: def.version,
                name: def.name.clone(),
                amount_field: def.amount_field.clone(),
                percentage_field: def.percentage_field.clone(),
                order_total_field: def.order_total_field.clone(),
                enabled: setting.enabled,
                requires_confirmation: setting.requires_confirmation,
                confirmation_by: setting.confirmation_by,
                limits,
            },
        );
    }
    let assistants = assistants
        .into_iter()
        .map(|a| {
            let limits = assistant_limits.remove(a.id.as_str()).unwrap_or_default();
            let rule = AssistantRule { active: a.status == "active", allowed: action_ids(&a.allowed_actions), limits };
            (a.id, rule)
        })
        .collect();
    Ok(StorePolicy {
        store_id: s.id.clone(),
        currency: s.currency.clone(),
        paused: s.actions_paused,
        actions,
        assistants,
    })
}

/// The catalog (loaded once: built-ins change only with a migration) and compiled store
/// policies keyed by `policy_version`.
#[derive(Debug, Default)]
pub struct PolicyCache {
    catalog: tokio::sync::OnceCell<Arc<Catalog>>,
    stores: RwLock<HashMap<String, (i64, Arc<StorePolicy>)>>,
}

impl PolicyCache {
    pub fn new() -> PolicyCache {
        PolicyCache::default()
    }

    pub async fn catalog<C: ConnectionTrait>(&self, db: &C) -> Result<Arc<Catalog>, AppError> {
        self.catalog.get_or_try_init(|| async { catalog::load(db).await.map(Arc::new) }).await.cloned()
    }

    /// The store's compiled policy, recompiled when its `policy_version` moved on.
    pub async fn store_policy<C: ConnectionTrait>(
        &self,
        db: &C,
        s: &store::Model,
    ) -> Result<Arc<StorePolicy>, AppError> {
        if let Some((version, p)) = self.stores.read().ok().and_then(|m| m.get(&s.id).cloned()) {
            if version == s.policy_version {
                return Ok(p);
            }
        }
        let catalog = self.catalog(db).await?;
        let compiled = Arc::new(compile(db, &catalog, s).await?);
        if let Ok(mut m) = self.stores.write() {
            let newer_cached = m.get(&s.id).is_some_and(|(v, _)| *v > s.policy_version);
            if !newer_cached {
                m.insert(s.id.clone(), (s.policy_version, compiled.clone()));
            }
        }
        Ok(compiled)
    }
}
