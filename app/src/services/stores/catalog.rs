//! The action catalog as loaded from `action_definitions` (built-ins seeded by migration):
//! the newest version of every action, with its input schema compiled once so `decide`
//! validates inputs without re-parsing schemas.

use crate::domain::catalog::{ActionDef, Risk};
use crate::domain::error::FieldError;
use crate::domain::policy::InputCheck;
use crate::domain::AppError;
use crate::entities::action_definition;
use crate::services::access::authz::authorize_member_or_agent;
use crate::services::Actor;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

/// The newest version of every action, in a stable order (category, then id).
pub struct Catalog {
    pub defs: BTreeMap<String, Arc<ActionDef>>,
    validators: HashMap<String, jsonschema::Validator>,
}

impl std::fmt::Debug for Catalog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Catalog").field("actions", &self.defs.len()).finish()
    }
}

impl Catalog {
    pub fn get(&self, id: &str) -> Option<&Arc<ActionDef>> {
        self.defs.get(id)
    }

    pub fn contains(&self, id: &str) -> bool {
        self.defs.contains_key(id)
    }

    /// Definitions ordered for display: by category, then risk, then name.
    pub fn ordered(&self) -> Vec<Arc<ActionDef>> {
        let mut v: Vec<Arc<ActionDef>> = self.defs.values().cloned().collect();
        v.sort_by(|a, b| (&a.category, a.risk, &a.name).cmp(&(&b.category, b.risk, &b.name)));
        v
    }

    /// Ids in `ids` that are not catalog actions.
    pub fn unknown<'a>(&self, ids: impl IntoIterator<Item = &'a String>) -> Vec<String> {
        ids.into_iter().filter(|id| !self.contains(id)).cloned().collect()
    }

    pub fn from_defs(defs: Vec<ActionDef>) -> Result<Catalog, AppError> {
        let mut validators = HashMap::new();
        let mut by_id = BTreeMap::new();
        for d in defs {
            let v = jsonschema::validator_for(&d.input_schema).map_err(|e| {
                tracing::error!(action = %d.id, error = %e, "catalog input schema does not compile");
                AppError::internal()
            })?;
            validators.insert(d.id.clone(), v);
            by_id.insert(d.id.clone(), Arc::new(d));
        }
        Ok(Catalog { defs: by_id, validators })
    }
}

impl InputCheck for Catalog {
    fn check(&self, action_type: &str, _version: u32, params: &Value) -> Result<(), Vec<FieldError>> {
        let Some(v) = self.validators.get(action_type) else {
            return Err(vec![FieldError { field: "action_type".into(), message: "Unknown action.".into() }]);
        };
        if v.is_valid(params) {
            return Ok(());
        }
        Err(schema_errors(v, params))
    }
}

/// One field error per failing place, named by its JSON path inside `params`
/// ("params.amount", "params.address.city"; "params" for the object itself).
fn schema_errors(v: &jsonschema::Validator, params: &Value) -> Vec<FieldError> {
    let mut out: Vec<FieldError> = Vec::new();
    for e in v.iter_errors(params) {
        let path = e.instance_path().to_string();
        let field = if path.is_empty() { "params".to_string() } else { format!("params{}", path.replace('/', ".")) };
        let message = e.to_string();
        if !out.iter().any(|f| f.field == field && f.message == message) {
            out.push(FieldError { field, message });
        }
    }
    if out.is_empty() {
        out.push(FieldError { field: "params".into(), message: "The inputs don't match the action.".into() });
    }
    out
}

fn def_of(m: action_definition::Model) -> Result<ActionDef, AppError> {
    let json = |s: &str, what: &str| -> Result<Value, AppError> {
        serde_json::from_str(s).map_err(|e| {
            tracing::error!(action = %m.id, error = %e, "catalog {what} is not JSON");
            AppError::internal()
        })
    };
    Ok(ActionDef {
        input_schema: json(&m.input_schema, "input_schema")?,
        output_schema: json(&m.output_schema, "output_schema")?,
        redact_fields: serde_json::from_value(json(&m.redact_fields, "redact_fields")?).unwrap_or_default(),
        risk: Risk::parse(&m.risk).unwrap_or(Risk::Write),
        version: u32::try_from(m.version).unwrap_or(1),
        id: m.id,
        name: m.name,
        description: m.description,
        category: m.category,
        amount_field: m.amount_field,
        percentage_field: m.percentage_field,
        order_total_field: m.order_total_field,
        retryable: m.retryable,
        idempotent: m.idempotent,
        required_permission: m.required_permission,
        executor: m.executor,
        default_enabled: m.default_enabled,
        default_requires_confirmation: m.default_requires_confirmation,
    })
}

/// Loads the built-in catalog: the newest version of each action.
pub async fn load<C: ConnectionTrait>(db: &C) -> Result<Catalog, AppError> {
    let rows = action_definition::Entity::find()
        .filter(action_definition::Column::OrgId.is_null())
        .order_by_asc(action_definition::Column::Id)
        .order_by_desc(action_definition::Column::Version)
        .all(db)
        .await?;
    let mut newest: BTreeMap<String, action_definition::Model> = BTreeMap::new();
    for r in rows {
        newest.entry(r.id.clone()).or_insert(r);
    }
    Catalog::from_defs(newest.into_values().map(def_of).collect::<Result<_, _>>()?)
}

/// `GET /actions/catalog`: every action with its schemas, for any member of the org or
/// any of its agent keys.
pub fn list_for(actor: &Actor, catalog: &Catalog) -> Result<Vec<ActionDef>, AppError> {
    authorize_member_or_agent(actor)?;
    Ok(catalog.ordered().into_iter().map(|d| (*d).clone()).collect())
}
