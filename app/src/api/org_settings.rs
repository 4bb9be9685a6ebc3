//! Server functions of `/org/settings`: the org's name, its MFA requirement and its profile
//! (address, contact, time zone, default currency). Anyone in the org reads them; saving
//! needs `org.manage`.

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
    pub address: String,
    pub contact_email: String,
    pub contact_phone: String,
    pub time_zone: String,
    pub default_currency: String,
    /// The time zones the picker offers (IANA names).
    pub time_zones: Vec<String>,
    /// The viewer holds `org.manage`: the page offers the form.
    pub can_manage: bool,
}

#[server(endpoint = "org_settings_get")]
pub async fn get_org_settings() -> Result<OrgSettingsView, AppError> {
    super::ctx::run(async move {
        use crate::domain::{access::ScopeRef, permission::Permission};
        use crate::services::org::settings;
        let state = super::ctx::state()?;
        let actor = super::ctx::actor().await?;
        let s = settings::get(&state.db, &actor).await?;
        Ok(OrgSettingsView {
            can_manage: crate::services::access::authz::can(&actor, Permission::OrgManage, &ScopeRef::Org),
            time_zones: settings::time_zones(),
            name: s.name,
            slug: s.slug,
            require_mfa: s.require_mfa,
            members_without_mfa: s.members_without_mfa,
            address: s.address,
            contact_email: s.contact_email,
            contact_phone: s.contact_phone,
            time_zone: s.time_zone,
            default_currency: s.default_currency,
        })
    })
    .await
}

/// Saves the form: `require_mfa` is the checkbox ("on" when ticked, absent when not); a
/// profile field left out stays as it is.
#[server(endpoint = "org_settings_update")]
pub async fn update_org_settings(
    name: String,
    require_mfa: Option<String>,
    address: Option<String>,
    contact_email: Option<String>,
    contact_phone: Option<String>,
    time_zone: Option<String>,
    default_currency: Option<String>,
) -> Result<(), AppError> {
    super::ctx::run(async move {
        use crate::services::org::settings::{update, OrgSettingsPatch};
        let state = super::ctx::state()?;
        let actor = super::ctx::actor().await?;
        let patch = OrgSettingsPatch {
            name: Some(name),
            require_mfa: Some(require_mfa.is_some_and(|v| v != "false")),
            address,
            contact_email,
            contact_phone,
            time_zone,
            default_currency,
        };
        update(&state.db, &actor, patch).await.map(|_| ())
    })
    .await
}
