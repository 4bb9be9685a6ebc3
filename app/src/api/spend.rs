//! Server functions of the spend pages: the quota editor (`/org/quotas`), the usage
//! dashboard (`/org/usage`), the overview's quota use, a person's notification choices
//! (`/account`) and the org's SMS provider (`/org/sms`). Each calls one service of
//! `services::spend` or `services::org::notify`, which check the permissions.

// The quota form posts ten fields; the server macro's generated client repeats them.
#![allow(clippy::too_many_arguments)]

use crate::domain::notify::{NotificationChoices, SmsProviderView};
use crate::domain::spend::{Dashboard, QuotaPage, QuotaView, UsageReport};
use crate::domain::AppError;
use leptos::prelude::*;
use server_fn::codec::Json;
use std::collections::BTreeMap;

/// The quotas the viewer may read (`usage.read`), and whose spend they may cap.
#[server(endpoint = "quotas_page")]
pub async fn quotas_page() -> Result<QuotaPage, AppError> {
    super::ctx::run(async move {
        let state = super::ctx::state()?;
        let actor = super::ctx::actor().await?;
        crate::services::spend::editor(&state.db, &actor).await
    })
    .await
}

/// Creates a quota (no `id`) or changes one, from the editor's form. `entity` is the
/// picker's value (`org`, `team:<id>`, …); `item_type` `any` counts every kind of spend;
/// `enforce` is `true` (block) or `false` (alert only); thresholds are typed "50, 80, 100".
#[server(endpoint = "quota_save")]
pub async fn save_quota(
    id: Option<String>,
    name: String,
    entity: String,
    item_type: String,
    metric: String,
    limit: String,
    currency: String,
    period: String,
    enforce: String,
    alert_thresholds: String,
) -> Result<QuotaView, AppError> {
    super::ctx::run(async move {
        use crate::domain::error::FieldError;
        use crate::domain::spend::{entity_from_key, parse_thresholds, QuotaInput};
        let state = super::ctx::state()?;
        let actor = super::ctx::actor().await?;
        let thresholds = parse_thresholds(&alert_thresholds).map_err(|message| {
            AppError::invalid_fields(vec![FieldError { field: "alert_thresholds".into(), message }])
        })?;
        let (entity_type, entity_id) = entity_from_key(&entity);
        let item = item_type.trim();
        let input = QuotaInput {
            name: Some(name),
            entity_type: Some(entity_type),
            entity_id,
            item_type: Some((!item.is_empty() && item != "any").then(|| item.to_string())),
            metric: Some(metric),
            limit: Some(serde_json::Value::String(limit)),
            currency: Some(currency).filter(|c| !c.trim().is_empty()),
            period: Some(period),
            enforce: Some(enforce != "false"),
            alert_thresholds: Some(thresholds),
        };
        match id.filter(|i| !i.trim().is_empty()) {
            Some(id) => crate::services::spend::update(&state.db, &actor, &id, input).await,
            None => crate::services::spend::create(&state.db, &actor, input).await,
        }
    })
    .await
}

#[server(endpoint = "quota_delete")]
pub async fn delete_quota(id: String) -> Result<(), AppError> {
    super::ctx::run(async move {
        let state = super::ctx::state()?;
        let actor = super::ctx::actor().await?;
        crate::services::spend::delete(&state.db, &actor, &id).await
    })
    .await
}

/// The usage dashboard for `period` (day, week or month; month when empty), `usage.read`
/// at the org.
#[server(endpoint = "usage_dashboard")]
pub async fn usage_dashboard(period: Option<String>) -> Result<Dashboard, AppError> {
    super::ctx::run(async move {
        let state = super::ctx::state()?;
        let actor = super::ctx::actor().await?;
        let period = period.filter(|p| !p.trim().is_empty()).unwrap_or_else(|| "month".into());
        crate::services::spend::dashboard(&state.db, &actor, period.trim(), None).await
    })
    .await
}

/// An entity's spend by what it was for and the quotas over it, in the current `period`
/// (day, week or month; month when empty): the team, person and assistant pages' section.
/// `usage.read` over the entity; a person always sees their own.
#[server(endpoint = "entity_usage")]
pub async fn entity_usage(
    entity_type: String,
    entity_id: Option<String>,
    period: Option<String>,
) -> Result<UsageReport, AppError> {
    super::ctx::run(async move {
        let state = super::ctx::state()?;
        let actor = super::ctx::actor().await?;
        let q = crate::services::spend::UsageQuery { entity_type: Some(entity_type), entity_id, period };
        crate::services::spend::report(&state.db, &actor, q).await
    })
    .await
}

/// The overview's quota use: the quotas the viewer may read, none for someone without
/// `usage.read` anywhere.
#[server(endpoint = "overview_quotas")]
pub async fn overview_quotas() -> Result<Vec<QuotaView>, AppError> {
    super::ctx::run_aux(async move {
        use crate::domain::permission::Permission;
        let state = super::ctx::state()?;
        let actor = super::ctx::actor().await?;
        if crate::services::access::authz::authorize_somewhere(&actor, Permission::UsageRead).is_err() {
            return Ok(Vec::new());
        }
        crate::services::spend::list(&state.db, &actor).await
    })
    .await
}

/// The signed-in person's notification choices.
#[server(endpoint = "notifications_settings")]
pub async fn notification_settings() -> Result<NotificationChoices, AppError> {
    super::ctx::run(async move {
        let state = super::ctx::state()?;
        let actor = super::ctx::actor().await?;
        let (settings, kinds) = crate::services::org::notify::my_settings(&state.db, &actor).await?;
        Ok(NotificationChoices::of(&settings, &kinds))
    })
    .await
}

/// Saves the person's choices. JSON body `{channels: {kind: [in_app|email|sms]}, sms_number}`.
#[server(endpoint = "notifications_settings_save", input = Json)]
pub async fn save_notification_settings(
    channels: BTreeMap<String, Vec<String>>,
    sms_number: Option<String>,
) -> Result<NotificationChoices, AppError> {
    super::ctx::run(async move {
        use crate::domain::notify::{NotificationSettings, KINDS};
        let state = super::ctx::state()?;
        let actor = super::ctx::actor().await?;
        let saved = crate::services::org::notify::set_my_settings(
            &state.db,
            &actor,
            NotificationSettings { channels, sms_number },
        )
        .await?;
        Ok(NotificationChoices::of(&saved, &KINDS))
    })
    .await
}

/// The org's SMS provider (`secrets.manage`); never the token.
#[server(endpoint = "sms_provider_get")]
pub async fn get_sms_provider() -> Result<SmsProviderView, AppError> {
    super::ctx::run(async move {
        let state = super::ctx::state()?;
        let actor = super::ctx::actor().await?;
        crate::services::org::notify::sms_provider_get(&state.db, &actor).await
    })
    .await
}

/// Sets the SMS provider; an empty token keeps the stored one (a new provider needs one).
#[server(endpoint = "sms_provider_save")]
pub async fn save_sms_provider(
    url: String,
    account_sid: String,
    from_number: String,
    auth_token: Option<String>,
) -> Result<SmsProviderView, AppError> {
    super::ctx::run(async move {
        use crate::domain::notify::SmsProviderInput;
        let state = super::ctx::state()?;
        let actor = super::ctx::actor().await?;
        let input =
            SmsProviderInput { url, account_sid, from_number, auth_token: auth_token.filter(|t| !t.trim().is_empty()) };
        crate::services::org::notify::sms_provider_set(&state.db, &state.secret_key, &actor, input)
            .await
            .map(|(_, view)| view)
    })
    .await
}

#[server(endpoint = "sms_provider_delete")]
pub async fn delete_sms_provider() -> Result<(), AppError> {
    super::ctx::run(async move {
        let state = super::ctx::state()?;
        let actor = super::ctx::actor().await?;
        crate::services::org::notify::sms_provider_delete(&state.db, &actor).await
    })
    .await
}
