//! Server functions of single sign-on: the `/org/sso` page (the org's OpenID Connect
//! provider, `org.manage`) and the sign-in page's public question (does this org sign in
//! through a provider; is there a message from a refused sign-in).

// The provider form has nine fields; the generated browser-side functions take each as an
// argument.
#![allow(clippy::too_many_arguments)]

use crate::domain::sso::{LoginContext, RoleChoice, SsoConfigView};
use crate::domain::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// What `/org/sso` shows: the settings (never the secret) and the roles new people may get.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct SsoPage {
    pub config: SsoConfigView,
    pub roles: Vec<RoleChoice>,
}

#[server(endpoint = "sso_get")]
pub async fn get_sso() -> Result<SsoPage, AppError> {
    super::ctx::run(async move {
        use crate::services::identity::sso;
        let state = super::ctx::state()?;
        let actor = super::ctx::actor().await?;
        let config = sso::get(&state.db, &actor, &state.public_base_url).await?;
        let roles = sso::role_choices(&state.db, &actor).await?;
        Ok(SsoPage { config, roles })
    })
    .await
}

/// Saves the form. `allowed_domains` is what was typed (commas, spaces or lines); an empty
/// `client_secret` keeps the stored one; the checkboxes send "on" when ticked.
#[server(endpoint = "sso_save")]
pub async fn save_sso(
    display_name: String,
    issuer_url: String,
    client_id: String,
    client_secret: Option<String>,
    allowed_domains: String,
    provisioning: String,
    default_role_id: Option<String>,
    enabled: Option<String>,
    password_sign_in_disabled: Option<String>,
) -> Result<SsoConfigView, AppError> {
    super::ctx::run(async move {
        use crate::domain::sso::{parse_domains, SsoConfigInput};
        let state = super::ctx::state()?;
        let actor = super::ctx::actor().await?;
        let ticked = |v: Option<String>| v.is_some_and(|v| v != "false");
        let input = SsoConfigInput {
            display_name,
            issuer_url,
            client_id,
            client_secret,
            allowed_domains: parse_domains(&allowed_domains),
            provisioning,
            default_role_id,
            enabled: ticked(enabled),
            password_sign_in_disabled: ticked(password_sign_in_disabled),
        };
        crate::services::identity::sso::set(&state.db, &state.secret_key, &actor, &state.public_base_url, input)
            .await
            .map(|(_, view)| view)
    })
    .await
}

#[server(endpoint = "sso_delete")]
pub async fn delete_sso() -> Result<(), AppError> {
    super::ctx::run(async move {
        let state = super::ctx::state()?;
        let actor = super::ctx::actor().await?;
        crate::services::identity::sso::delete(&state.db, &actor).await
    })
    .await
}

/// Public: what the sign-in page shows around its form: the message a refused single
/// sign-on left (shown once) and the provider of the org named by `org` (a short name or a
/// work email, as typed on the page) or by that message. An `org` with no single sign-on
/// switched on answers with a message saying so.
#[server(endpoint = "login_context")]
pub async fn get_login_context(org: Option<String>) -> Result<LoginContext, AppError> {
    super::ctx::run(async move {
        use crate::services::identity::{oidc, sso};
        let state = super::ctx::state()?;
        let session = super::ctx::session().await?;
        let notice = oidc::take_login_notice(&session).await?;
        let mut context = LoginContext { notice: notice.as_ref().map(|n| n.message.clone()), sso: None };
        match org.map(|o| o.trim().to_string()).filter(|o| !o.is_empty()) {
            Some(who) => match oidc::resolve(&state.db, &who).await {
                Ok((o, cfg)) => context.sso = Some(sso::sign_in_option_of(&o, &cfg, &who)),
                Err(refusal) => context.notice = context.notice.or(Some(refusal.message())),
            },
            None => {
                if let Some(slug) = notice.and_then(|n| n.org_slug) {
                    context.sso = sso::sign_in_option(&state.db, &slug).await?;
                }
            }
        }
        Ok(context)
    })
    .await
}
