//! Seeds version 1 of the built-in action catalog (`org_id` NULL) from `catalog_v1.json`:
//! the 7 commerce actions (DESIGN.md §7), the 18 business-operations actions (§8) and the
//! 3 automation actions (seed 004). Schemas and `redact_fields` are stored as JSON text, as
//! the table (migration 000009) declares them.
//!
//! The JSON is the only source of the catalog's content; `migration/tests/catalog_v1.rs`
//! checks it (schemas compile, samples validate, fields named exist). A later catalog version
//! is a new JSON file and a new migration inserting `version` 2 rows; this one never changes.

use sea_orm_migration::prelude::*;
use serde_json::Value;

/// The catalog's content, version 1.
pub const CATALOG_V1_JSON: &str = include_str!("catalog_v1.json");

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ActionDefinitions {
    Table,
    Id,
    Version,
    OrgId,
    Name,
    Description,
    Category,
    InputSchema,
    OutputSchema,
    AmountField,
    PercentageField,
    OrderTotalField,
    Risk,
    Retryable,
    Idempotent,
    RequiredPermission,
    RedactFields,
    Executor,
    DefaultEnabled,
    DefaultRequiresConfirmation,
    CreatedAt,
}

fn bad(msg: String) -> DbErr {
    DbErr::Migration(format!("catalog_v1.json: {msg}"))
}

fn text(entry: &Value, id: &str, key: &str) -> Result<String, DbErr> {
    entry
        .get(key)
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| bad(format!("{id}: {key} must be a string")))
}

fn optional_text(entry: &Value, id: &str, key: &str) -> Result<Option<String>, DbErr> {
    match entry.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(bad(format!("{id}: {key} must be a string or null"))),
    }
}

fn flag(entry: &Value, id: &str, key: &str) -> Result<bool, DbErr> {
    entry.get(key).and_then(Value::as_bool).ok_or_else(|| bad(format!("{id}: {key} must be true or false")))
}

/// `key` as compact JSON text; it must be an object (schemas) or an array (redact_fields).
fn json_text(entry: &Value, id: &str, key: &str) -> Result<String, DbErr> {
    match entry.get(key) {
        Some(v @ (Value::Object(_) | Value::Array(_))) => Ok(v.to_string()),
        _ => Err(bad(format!("{id}: {key} must be a JSON object or array"))),
    }
}

/// One row's values, in the column order of `COLUMNS`.
fn row(entry: &Value) -> Result<Vec<SimpleExpr>, DbErr> {
    let id = entry.get("id").and_then(Value::as_str).ok_or_else(|| bad("an entry has no string id".into()))?;
    if entry.get("version").and_then(Value::as_i64) != Some(1) {
        return Err(bad(format!("{id}: version must be 1")));
    }
    Ok(vec![
        id.into(),
        1i32.into(),
        Option::<String>::None.into(),
        text(entry, id, "name")?.into(),
        text(entry, id, "description")?.into(),
        text(entry, id, "category")?.into(),
        json_text(entry, id, "input_schema")?.into(),
        json_text(entry, id, "output_schema")?.into(),
        optional_text(entry, id, "amount_field")?.into(),
        optional_text(entry, id, "percentage_field")?.into(),
        optional_text(entry, id, "order_total_field")?.into(),
        text(entry, id, "risk")?.into(),
        flag(entry, id, "retryable")?.into(),
        flag(entry, id, "idempotent")?.into(),
        optional_text(entry, id, "required_permission")?.into(),
        json_text(entry, id, "redact_fields")?.into(),
        text(entry, id, "executor")?.into(),
        flag(entry, id, "default_enabled")?.into(),
        flag(entry, id, "default_requires_confirmation")?.into(),
        Expr::current_timestamp(),
    ])
}

const COLUMNS: [ActionDefinitions; 20] = [
    ActionDefinitions::Id,
    ActionDefinitions::Version,
    ActionDefinitions::OrgId,
    ActionDefinitions::Name,
    ActionDefinitions::Description,
    ActionDefinitions::Category,
    ActionDefinitions::InputSchema,
    ActionDefinitions::OutputSchema,
    ActionDefinitions::AmountField,
    ActionDefinitions::PercentageField,
    ActionDefinitions::OrderTotalField,
    ActionDefinitions::Risk,
    ActionDefinitions::Retryable,
    ActionDefinitions::Idempotent,
    ActionDefinitions::RequiredPermission,
    ActionDefinitions::RedactFields,
    ActionDefinitions::Executor,
    ActionDefinitions::DefaultEnabled,
    ActionDefinitions::DefaultRequiresConfirmation,
    ActionDefinitions::CreatedAt,
];

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let entries: Vec<Value> =
            serde_json::from_str(CATALOG_V1_JSON).map_err(|e| bad(format!("not a JSON array of entries: {e}")))?;
        let mut insert = Query::insert().into_table(ActionDefinitions::Table).columns(COLUMNS).to_owned();
        for entry in &entries {
            insert.values(row(entry)?).map_err(|e| bad(e.to_string()))?;
        }
        manager.exec_stmt(insert).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .exec_stmt(
                Query::delete()
                    .from_table(ActionDefinitions::Table)
                    .and_where(Expr::col(ActionDefinitions::OrgId).is_null())
                    .and_where(Expr::col(ActionDefinitions::Version).eq(1))
                    .to_owned(),
            )
            .await
    }
}
