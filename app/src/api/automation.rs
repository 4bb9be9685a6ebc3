//! Server functions of the automation pages (`/automation`, the rule editor,
//! `/automation/runs`): rules (list, editor data, create, update, switch on/off, delete,
//! versions, restore), the dry run of the editor's unsaved definition, and the run history
//! (list, one run, replay). Each calls `services::automation`; the services decide who may
//! do what (View to read rules, `rules.manage` to change them, `audit.read` for runs).
//!
//! The triggers, condition types and the outputs each step may use are pure domain data
//! (`domain::triggers`, `domain::automation`, `domain::rules::outputs_available`) compiled
//! into the browser, so the editor computes them live as the form changes instead of
//! asking the server.

use crate::domain::catalog::ActionDef;
use crate::domain::rules::{DryRun, RuleInput, RuleView, RunView, VersionView};
use crate::domain::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use server_fn::codec::Json;

/// The rules list: every rule the viewer may see, and whether they may create one anywhere.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RuleList {
    pub rules: Vec<RuleView>,
    pub can_create: bool,
}

/// A store as the rule editor offers it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RuleStore {
    pub id: String,
    pub name: String,
    /// The viewer may put rules here (`rules.manage` at the store).
    pub can_manage: bool,
}

/// What the rule editor needs: the rule and its versions (None for a new rule), the
/// catalog's actions, and the stores.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RuleEditorData {
    pub rule: Option<RuleView>,
    pub versions: Vec<VersionView>,
    pub actions: Vec<ActionDef>,
    pub stores: Vec<RuleStore>,
    /// The viewer may make rules for every store (`rules.manage` at the org).
    pub all_stores_allowed: bool,
}

impl RuleEditorData {
    /// Whether the viewer may save what the editor shows: the rule's own flag, or for a new
    /// rule somewhere to put it.
    pub fn can_save(&self) -> bool {
        match &self.rule {
            Some(r) => r.can_manage,
            None => self.all_stores_allowed || self.stores.iter().any(|s| s.can_manage),
        }
    }
}

/// A page of runs, newest first.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunList {
    pub items: Vec<RunView>,
    pub next_cursor: Option<String>,
}

/// One run and the event it ran on.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunDetail {
    pub run: RunView,
    pub payload: serde_json::Value,
}

#[cfg(feature = "ssr")]
fn blank(s: Option<String>) -> Option<String> {
    s.map(|s| s.trim().to_string()).filter(|s| !s.is_empty())
}

/// The rules the viewer may see (filters blank: any), by name.
#[server(endpoint = "automation_rules_list")]
pub async fn automation_rules_list(
    module_type: Option<String>,
    trigger_id: Option<String>,
    store_id: Option<String>,
) -> Result<RuleList, AppError> {
    super::ctx::run(async move {
        use crate::services::automation::rules;
        let state = super::ctx::state()?;
        let actor = super::ctx::actor().await?;
        let filter = rules::RuleFilter {
            module_type: blank(module_type),
            trigger_id: blank(trigger_id),
            store_id: blank(store_id),
            is_active: None,
        };
        let list = rules::list(&state.db, &actor, &filter).await?;
        let (stores, org_wide) = rules::store_choices(&state.db, &actor).await?;
        Ok(RuleList { rules: list, can_create: org_wide || stores.iter().any(|(_, m)| *m) })
    })
    .await
}

/// The editor's data for rule `id`, or for a new rule when `id` is blank.
#[server(endpoint = "automation_rule_editor")]
pub async fn automation_rule_editor(id: Option<String>) -> Result<RuleEditorData, AppError> {
    super::ctx::run(async move {
        use crate::services::automation::rules;
        let state = super::ctx::state()?;
        let actor = super::ctx::actor().await?;
        let (rule, versions) = match blank(id) {
            Some(id) => {
                let rule = rules::get(&state.db, &actor, &id).await?;
                let versions = rules::versions(&state.db, &actor, &id).await?;
                (Some(rule), versions)
            }
            None => (None, Vec::new()),
        };
        let catalog = state.policy.catalog(&state.db).await?;
        let actions = crate::services::stores::catalog::list_for(&actor, &catalog)?;
        let (stores, all_stores_allowed) = rules::store_choices(&state.db, &actor).await?;
        let stores = stores.into_iter().map(|(c, m)| RuleStore { id: c.id, name: c.label, can_manage: m }).collect();
        Ok(RuleEditorData { rule, versions, actions, stores, all_stores_allowed })
    })
    .await
}

/// Creates a rule from the editor's whole definition.
#[server(endpoint = "automation_rule_create", input = Json)]
pub async fn automation_rule_create(input: RuleInput) -> Result<RuleView, AppError> {
    super::ctx::run(async move {
        let state = super::ctx::state()?;
        let actor = super::ctx::actor().await?;
        crate::services::automation::rules::create(&state.db, &state.policy, &actor, input).await
    })
    .await
}

/// Saves the editor's whole definition as the rule's next version.
#[server(endpoint = "automation_rule_update", input = Json)]
pub async fn automation_rule_update(id: String, input: RuleInput) -> Result<RuleView, AppError> {
    super::ctx::run(async move {
        let state = super::ctx::state()?;
        let actor = super::ctx::actor().await?;
        crate::services::automation::rules::update(&state.db, &state.policy, &actor, &id, input).await
    })
    .await
}

/// Switches a rule on or off.
#[server(endpoint = "automation_rule_toggle")]
pub async fn automation_rule_toggle(id: String, is_active: bool) -> Result<RuleView, AppError> {
    super::ctx::run(async move {
        let state = super::ctx::state()?;
        let actor = super::ctx::actor().await?;
        crate::services::automation::rules::toggle(&state.db, &actor, &id, is_active).await
    })
    .await
}

/// Deletes a rule (its runs stay in the history).
#[server(endpoint = "automation_rule_delete")]
pub async fn automation_rule_delete(id: String) -> Result<(), AppError> {
    super::ctx::run(async move {
        let state = super::ctx::state()?;
        let actor = super::ctx::actor().await?;
        crate::services::automation::rules::delete(&state.db, &actor, &id).await
    })
    .await
}

/// A rule's saved versions, newest first.
#[server(endpoint = "automation_rule_versions")]
pub async fn automation_rule_versions(id: String) -> Result<Vec<VersionView>, AppError> {
    super::ctx::run(async move {
        let state = super::ctx::state()?;
        let actor = super::ctx::actor().await?;
        crate::services::automation::rules::versions(&state.db, &actor, &id).await
    })
    .await
}

/// Makes an old version's definition the current one (saved as a new version).
#[server(endpoint = "automation_rule_restore")]
pub async fn automation_rule_restore(id: String, version: i32) -> Result<RuleView, AppError> {
    super::ctx::run(async move {
        let state = super::ctx::state()?;
        let actor = super::ctx::actor().await?;
        crate::services::automation::rules::restore(&state.db, &state.policy, &actor, &id, version).await
    })
    .await
}

/// Dry run of the editor's definition (saved or not) on a sample event (`payload`, JSON
/// text), deciding at `store_id` when the rule is for every store. Nothing is executed.
#[server(endpoint = "automation_rule_preview", input = Json)]
pub async fn automation_rule_preview(
    input: RuleInput,
    payload: String,
    store_id: Option<String>,
) -> Result<DryRun, AppError> {
    super::ctx::run(async move {
        use crate::domain::error::FieldError;
        use crate::services::automation::rules::{preview, DryRunInput};
        let state = super::ctx::state()?;
        let actor = super::ctx::actor().await?;
        let payload: serde_json::Value = if payload.trim().is_empty() {
            serde_json::json!({})
        } else {
            serde_json::from_str(&payload).map_err(|e| {
                AppError::invalid_fields(vec![FieldError {
                    field: "payload".into(),
                    message: format!("The sample event is not valid JSON: {e}"),
                }])
            })?
        };
        preview(&state.db, &state.policy, &actor, input, DryRunInput { payload, store_id: blank(store_id) }).await
    })
    .await
}

/// One page of the runs the viewer may see (`audit.read`), newest first; blank filters: any.
#[server(endpoint = "automation_runs_list")]
pub async fn automation_runs_list(
    rule_id: Option<String>,
    status: Option<String>,
    cursor: Option<String>,
) -> Result<RunList, AppError> {
    super::ctx::run(async move {
        use crate::services::automation::runs::{list, RunFilter};
        let state = super::ctx::state()?;
        let actor = super::ctx::actor().await?;
        let filter = RunFilter {
            rule_id: blank(rule_id),
            status: blank(status),
            event_id: None,
            limit: Some(20),
            cursor: blank(cursor),
        };
        let page = list(&state.db, &actor, &filter).await?;
        Ok(RunList { items: page.items, next_cursor: page.next_cursor })
    })
    .await
}

/// One run with its event's data.
#[server(endpoint = "automation_run_get")]
pub async fn automation_run_get(id: String) -> Result<RunDetail, AppError> {
    super::ctx::run(async move {
        let state = super::ctx::state()?;
        let actor = super::ctx::actor().await?;
        let (run, payload) = crate::services::automation::runs::get(&state.db, &actor, &id).await?;
        Ok(RunDetail { run, payload })
    })
    .await
}

/// Runs the rule of a finished run again on the same event; answers the new event's id.
#[server(endpoint = "automation_run_replay")]
pub async fn automation_run_replay(id: String) -> Result<String, AppError> {
    super::ctx::run(async move {
        let state = super::ctx::state()?;
        let actor = super::ctx::actor().await?;
        let answer = crate::services::automation::runs::replay(&state.db, &actor, &id).await?;
        Ok(answer.body["event_id"].as_str().unwrap_or_default().to_string())
    })
    .await
}
