//! The catalog and the Try it panel: the decision for a sample request, computed by the same
//! `decide` enforcement uses. No side effects.

use crate::domain::catalog::ActionDef;
use crate::domain::policy::Decision;
use crate::domain::AppError;
use leptos::prelude::*;

/// Every catalog action with its schemas.
#[server(endpoint = "catalog_list")]
pub async fn catalog_list() -> Result<Vec<ActionDef>, AppError> {
    super::ctx::run(async move {
        let state = super::ctx::state()?;
        let actor = super::ctx::actor().await?;
        let catalog = state.policy.catalog(&state.db).await?;
        crate::services::stores::catalog::list_for(&actor, &catalog)
    })
    .await
}

/// The decision for `action_type` with `params` (a JSON object as text) at the store, maybe
/// as an assistant and for a customer.
#[server(endpoint = "policy_try")]
pub async fn policy_try(
    store_id: String,
    action_type: String,
    assistant_id: Option<String>,
    params: String,
    customer_ref: Option<String>,
) -> Result<Decision, AppError> {
    super::ctx::run(async move {
        use crate::domain::error::FieldError;
        use crate::domain::policy::ActionRequest;
        use crate::services::gateway::check;
        let state = super::ctx::state()?;
        let actor = super::ctx::actor().await?;
        let params: serde_json::Value = if params.trim().is_empty() {
            serde_json::json!({})
        } else {
            serde_json::from_str(&params).map_err(|e| {
                AppError::invalid_fields(vec![FieldError {
                    field: "params".into(),
                    message: format!("The inputs are not valid JSON: {e}"),
                }])
            })?
        };
        let input = ActionRequest {
            store_id: Some(store_id),
            action_type,
            params,
            assistant_id: assistant_id.filter(|a| !a.is_empty()),
            customer_ref,
            ..Default::default()
        };
        Ok(check::check(&state.db, &state.policy, &actor, input).await?.decision)
    })
    .await
}
