//! Server functions of `/org/settings`: the org's name and its MFA requirement (org.manage).

use crate::domain::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// The settings as the page shows them.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct OrgSettingsView {
    pub name: String,
    pub slug: String,
    pub require_mfa: bool,
    pub members_without_mfa: u64,
}

#[cfg(feature = "ssr")]
impl From<crate::services::org::settings::OrgSettings> for OrgSettingsView {
    fn from(s: crate::services::org::settings::OrgSettings) -> Self {
        OrgSettingsView {
            name: s.name,
            slug: s.slug,
            require_mfa: s.require_mfa,
            members_without_mfa: s.members_without_mfa,
        }
    }
}

#[server(endpoint = "org_settings_get")]
pub async fn get_org_settings() -> Result<OrgSettingsView, AppError> {
    super::ctx::run(async move {
        let state = super::ctx::state()?;
        let actor = super::ctx::actor().await?;
        crate::services::org::settings::get(&state.db, &actor).await.map(Into::into)
    })
    .await
}

/// Saves the form: `require_mfa` is the checkbox ("on" when ticked, absent when not).
#[server(endpoint = "org_settings_update")]
pub async fn update_org_settings(name: String, require_mfa: Option<String>) -> Result<OrgSettingsView, AppError> {
    super::ctx::run(async move {
        use crate::services::org::settings::{update, OrgSettingsPatch};
        let state = super::ctx::state()?;
        let actor = super::ctx::actor().await?;
        let patch = OrgSettingsPatch { name: Some(name), require_mfa: Some(require_mfa.is_some_and(|v| v != "false")) };
        update(&state.db, &actor, patch).await.map(Into::into)
    })
    .await
}
