//! Server functions of `/org/settings/config` (configuration templates, issue 15): what the
//! export holds, and importing a file's text (a dry run for the preview, then for real).
//! Both need `org.manage`; the download itself is the axum route
//! `/org/settings/config/export.json`.

use crate::domain::config::ImportOutcome;
use crate::domain::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// What an export of the org holds now, counted for the page.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct ExportContents {
    pub org_name: String,
    pub teams: usize,
    pub roles: usize,
    pub stores: usize,
    pub assistants: usize,
    pub rules: usize,
    pub quotas: usize,
}

#[server(endpoint = "config_contents")]
pub async fn config_contents() -> Result<ExportContents, AppError> {
    super::ctx::run(async move {
        let state = super::ctx::state()?;
        let actor = super::ctx::actor().await?;
        let doc = crate::services::config::export(&state.db, &actor).await?;
        Ok(ExportContents {
            org_name: doc.org.name.clone(),
            teams: doc.teams.len(),
            roles: doc.roles.len(),
            stores: doc.stores.len(),
            assistants: doc.stores.iter().map(|s| s.assistants.len()).sum(),
            rules: doc.automation_rules.len(),
            quotas: doc.quotas.len(),
        })
    })
    .await
}

/// Reads `text` as a configuration file and imports it: `dry_run` only works out the diff.
#[server(endpoint = "config_import")]
pub async fn config_import(text: String, dry_run: bool) -> Result<ImportOutcome, AppError> {
    super::ctx::run(async move {
        let state = super::ctx::state()?;
        let actor = super::ctx::actor().await?;
        // Permission first, so someone without it learns nothing about the file.
        crate::services::access::authz::authorize(
            &actor,
            crate::domain::permission::Permission::OrgManage,
            &crate::domain::access::ScopeRef::Org,
        )?;
        let doc = crate::domain::config::parse_document(&text)?;
        crate::services::config::import(&state.db, &state.policy, &actor, doc, dry_run).await
    })
    .await
}
