//! Signing in through an org's OpenID Connect provider (issue 15): the authorization code
//! flow with PKCE (S256), `state` and `nonce`. The `openidconnect` crate reads the
//! provider's discovery document and keys, exchanges the code and verifies the ID token
//! (signature against the provider's JWKS, issuer, audience, expiry, nonce); this module
//! decides who that person is in Mandate.
//!
//! - `start`: finds the org (by short name, or by an email's account or domain), asks the
//!   provider where to send the person, and stores the sign-in in flight in `oidc_logins`
//!   (the SHA-256 of the state as key; nonce and PKCE verifier encrypted; 10 minutes). The
//!   caller keeps the state in the browser's session too.
//! - `finish`: deletes that row (so a state works once, on any server sharing the database),
//!   checks the state came back to the browser that started it, exchanges the code,
//!   verifies the token, and then: an email is required (and `email_verified` when the
//!   provider sends it), its domain must be allowed, and the person must be active or
//!   invited in the org, or is created under just-in-time provisioning with the default
//!   role. Suspended people are refused. The sign-in is then recorded exactly like a password
//!   sign-in (`auth::finish_login`, `auth.login` with method `oidc`), and someone who uses
//!   Mandate's two-step sign-in is still asked for their code.
//!
//! Every refusal is a `SignInRefusal` (a sentence for the sign-in page) and, once the org is
//! known, an `auth.login_failed` event in its chain.

use crate::domain::audit::AuditActor;
use crate::domain::org::normalize_email;
use crate::domain::secrets::SSO_CLIENT_SECRET_NAME;
use crate::domain::sso::{domain_allowed, email_domain, LoginNotice, SignInRefusal, PROVISIONING_JIT, SCOPES};
use crate::domain::users::TOKEN_INVITE;
use crate::domain::AppError;
use crate::entities::{oidc_login, org, role, sso_config, user, user_token};
use crate::services::access::assignments::insert_assignment;
use crate::services::audit::{self, lock_org, NewEvent};
use crate::services::identity::auth::{self, LoginStep, MfaPending, MFA_PENDING_MINUTES};
use crate::services::identity::sso::{config_of, domains_of, redirect_url};
use crate::services::identity::users::snapshot;
use crate::services::infra::crypto;
use crate::services::infra::db::{begin_write, is_unique_violation, new_id, now};
use crate::services::vault;
use crate::services::RequestMeta;
use chrono::Duration;
use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreClientAuthMethod, CoreIdTokenVerifier, CoreJwsSigningAlgorithm,
    CoreProviderMetadata,
};
use openidconnect::{
    AuthType, AuthorizationCode, ClaimsVerificationError, ClientId, ClientSecret, CsrfToken, EndpointMaybeSet,
    EndpointNotSet, EndpointSet, IssuerUrl, LoginHint, Nonce, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl,
    RequestTokenError, Scope, TokenResponse,
};
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Set};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::{Digest, Sha256};
use std::sync::OnceLock;

/// How long a sign-in may stay at the provider.
pub const LOGIN_TTL_MINUTES: i64 = 10;
/// The session key holding the state of the sign-in this browser started.
pub const STATE_SESSION_KEY: &str = "oidc_state";
/// The session key of a message for the sign-in page (a refused single sign-on).
pub const LOGIN_NOTICE_KEY: &str = "login_notice";

/// The client the provider's metadata gives (authorization endpoint set, token and user-info
/// endpoints as discovered).
type ProviderClient =
    CoreClient<EndpointSet, EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointMaybeSet, EndpointMaybeSet>;

/// One HTTP client for every provider call: no redirects followed (a provider's endpoints
/// answer directly; following redirects would let a response send Mandate elsewhere), and a
/// timeout so a slow provider cannot hold a sign-in forever.
fn http() -> &'static reqwest::Client {
    static CLIENT: OnceLock<reqwest::Client> = OnceLock::new();
    CLIENT.get_or_init(|| {
        reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(std::time::Duration::from_secs(10))
            .build()
            .unwrap_or_default()
    })
}

fn hash_state(state: &str) -> String {
    hex::encode(Sha256::digest(state.as_bytes()))
}

pub fn secrets_context(state_hash: &str) -> String {
    format!("oidc-login:{state_hash}")
}

/// What is kept encrypted of a sign-in in flight.
#[derive(Serialize, Deserialize)]
struct InFlight {
    nonce: String,
    pkce_verifier: String,
}

/// A sign-in sent to the provider.
#[derive(Clone, Debug)]
pub struct Started {
    /// Where to send the browser.
    pub authorize_url: String,
    /// Keep this in the browser's session (`STATE_SESSION_KEY`); `finish` compares.
    pub state: String,
}

/// A refused single sign-on: the error (UNAUTHENTICATED with a sentence for the sign-in
/// page, or what went wrong underneath) and the org's short name once it is known, so the
/// sign-in page can offer its provider again.
#[derive(Clone, Debug)]
pub struct Refused {
    pub error: AppError,
    pub org_slug: Option<String>,
}

impl From<AppError> for Refused {
    fn from(error: AppError) -> Self {
        Refused { error, org_slug: None }
    }
}

impl From<sea_orm::DbErr> for Refused {
    fn from(e: sea_orm::DbErr) -> Self {
        AppError::from(e).into()
    }
}

impl Refused {
    /// The notice the sign-in page shows for this refusal.
    pub fn notice(&self) -> LoginNotice {
        LoginNotice { message: self.error.message.clone(), org_slug: self.org_slug.clone() }
    }
}

/// What the provider sent back to the callback.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct CallbackParams {
    pub state: Option<String>,
    pub code: Option<String>,
    /// The provider's error code (`access_denied`…), when it did not sign the person in.
    pub error: Option<String>,
}

/// The org a sign-in is for and its enabled provider. `who` is the org's short name or an
/// email: the org where that email has an account with single sign-on on, else the org
/// with single sign-on on whose allowed domains contain the email's domain.
pub async fn resolve(db: &DatabaseConnection, who: &str) -> Result<(org::Model, sso_config::Model), SignInRefusal> {
    let who = who.trim();
    let enabled_config = |o: org::Model| async move {
        match config_of(db, &o.id).await {
            Ok(Some(c)) if c.enabled => Ok(Some((o, c))),
            Ok(_) => Ok(None),
            Err(e) => Err(e),
        }
    };
    let unreachable = |e: AppError| {
        tracing::error!(error = %e.message, "single sign-on: reading the org failed");
        SignInRefusal::NotConfigured
    };
    if !who.contains('@') {
        let slug = who.to_lowercase();
        let o = org::Entity::find()
            .filter(org::Column::Slug.eq(slug))
            .one(db)
            .await
            .map_err(|e| unreachable(e.into()))?
            .ok_or(SignInRefusal::NotConfigured)?;
        return enabled_config(o).await.map_err(unreachable)?.ok_or(SignInRefusal::NotConfigured);
    }
    let email = normalize_email(who);
    let mut found = Vec::new();
    let users = user::Entity::find()
        .filter(user::Column::Email.eq(email.as_str()))
        .all(db)
        .await
        .map_err(|e| unreachable(e.into()))?;
    for u in users {
        if let Some(o) = org::Entity::find_by_id(u.org_id).one(db).await.map_err(|e| unreachable(e.into()))? {
            if let Some(pair) = enabled_config(o).await.map_err(unreachable)? {
                found.push(pair);
            }
        }
    }
    if found.is_empty() {
        let configs = sso_config::Entity::find()
            .filter(sso_config::Column::Enabled.eq(true))
            .all(db)
            .await
            .map_err(|e| unreachable(e.into()))?;
        for c in configs {
            if domain_allowed(&email, &domains_of(&c)) {
                if let Some(o) =
                    org::Entity::find_by_id(c.org_id.clone()).one(db).await.map_err(|e| unreachable(e.into()))?
                {
                    found.push((o, c));
                }
            }
        }
    }
    match found.len() {
        0 => Err(SignInRefusal::NotConfigured),
        1 => found.pop().ok_or(SignInRefusal::NotConfigured),
        _ => Err(SignInRefusal::AmbiguousOrg),
    }
}

/// Reads the provider's discovery document and keys and builds the client for `cfg` (with
/// the client secret for the token request; none is needed to send people to the provider).
async fn provider_client(
    base_url: &str,
    cfg: &sso_config::Model,
    secret: Option<String>,
) -> Result<ProviderClient, SignInRefusal> {
    let unreachable = || SignInRefusal::ProviderUnreachable { provider: cfg.display_name.clone() };
    let issuer = IssuerUrl::new(cfg.issuer_url.clone()).map_err(|e| {
        tracing::warn!(error = %e, "single sign-on: the issuer URL does not parse");
        unreachable()
    })?;
    let metadata = CoreProviderMetadata::discover_async(issuer, http()).await.map_err(|e| {
        tracing::warn!(error = %e, detail = ?e, issuer = %cfg.issuer_url, "single sign-on: discovery failed");
        unreachable()
    })?;
    // client_secret_basic unless the provider lists only client_secret_post.
    let post_only = metadata.token_endpoint_auth_methods_supported().is_some_and(|m| {
        m.contains(&CoreClientAuthMethod::ClientSecretPost) && !m.contains(&CoreClientAuthMethod::ClientSecretBasic)
    });
    let redirect = RedirectUrl::new(redirect_url(base_url)).map_err(|e| {
        tracing::error!(error = %e, "single sign-on: the redirect URL does not parse");
        unreachable()
    })?;
    let client = CoreClient::from_provider_metadata(
        metadata,
        ClientId::new(cfg.client_id.clone()),
        secret.map(ClientSecret::new),
    )
    .set_redirect_uri(redirect);
    Ok(if post_only { client.set_auth_type(AuthType::RequestBody) } else { client })
}

/// Starts a sign-in through the provider of the org named by `who` (short name or email).
/// `next`: where to go afterwards (already checked to be a path on this site).
pub async fn start(
    db: &DatabaseConnection,
    key: &[u8; 32],
    base_url: &str,
    who: &str,
    next: Option<String>,
) -> Result<Started, AppError> {
    let (o, cfg) = resolve(db, who).await.map_err(|r| r.error())?;
    let client = provider_client(base_url, &cfg, None).await.map_err(|r| r.error())?;
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let mut request =
        client.authorize_url(CoreAuthenticationFlow::AuthorizationCode, CsrfToken::new_random, Nonce::new_random);
    for scope in SCOPES.iter().filter(|s| **s != "openid") {
        request = request.add_scope(Scope::new(scope.to_string()));
    }
    if who.contains('@') {
        request = request.set_login_hint(LoginHint::new(normalize_email(who)));
    }
    let (url, state, nonce) = request.set_pkce_challenge(challenge).url();

    let at = now();
    let state_hash = hash_state(state.secret());
    let in_flight =
        serde_json::to_vec(&InFlight { nonce: nonce.secret().clone(), pkce_verifier: verifier.secret().clone() })
            .map_err(|_| AppError::internal())?;
    let tx = begin_write(db).await?;
    oidc_login::Entity::delete_many().filter(oidc_login::Column::ExpiresAt.lt(at)).exec(&tx).await?;
    oidc_login::ActiveModel {
        state_hash: Set(state_hash.clone()),
        org_id: Set(o.id.clone()),
        secrets_enc: Set(crypto::encrypt(key, &in_flight, &secrets_context(&state_hash))?),
        next: Set(next),
        created_at: Set(at),
        expires_at: Set(at + Duration::minutes(LOGIN_TTL_MINUTES)),
    }
    .insert(&tx)
    .await?;
    tx.commit().await?;
    Ok(Started { authorize_url: url.to_string(), state: state.secret().clone() })
}

/// Takes the sign-in in flight for `state` out of the database: deleted by this call, so
/// of two answers carrying the same state (a replay, or two servers) only one gets it.
async fn take_in_flight(db: &DatabaseConnection, state: &str) -> Result<Option<oidc_login::Model>, AppError> {
    let hash = hash_state(state);
    let Some(row) = oidc_login::Entity::find_by_id(hash.clone()).one(db).await? else { return Ok(None) };
    let deleted = oidc_login::Entity::delete_many().filter(oidc_login::Column::StateHash.eq(hash)).exec(db).await?;
    Ok((deleted.rows_affected == 1 && row.expires_at > now()).then_some(row))
}

/// Records a refused sign-in in the org's chain (the email and person when known).
async fn record_refusal(
    db: &DatabaseConnection,
    o: &org::Model,
    refusal: &SignInRefusal,
    email: Option<&str>,
    user_id: Option<&str>,
    meta: &RequestMeta,
) -> Result<(), AppError> {
    let tx = begin_write(db).await?;
    let actor = AuditActor {
        kind: "anonymous".into(),
        id: None,
        label: email.map(str::to_string).unwrap_or_else(|| "single sign-on".into()),
    };
    let mut after = json!({"method": "oidc", "reason": refusal.reason()});
    if let Some(e) = email {
        after["email"] = json!(e);
    }
    audit::append(&tx, &o.id, &actor, meta, NewEvent::new("auth.login_failed", "user", user_id).after(after)).await?;
    tx.commit().await?;
    Ok(())
}

/// What the verified ID token says about the person.
struct Identity {
    email: String,
    name: Option<String>,
    subject: String,
}

fn verification_refusal(e: &ClaimsVerificationError) -> SignInRefusal {
    match e {
        ClaimsVerificationError::SignatureVerification(_) => SignInRefusal::Signature,
        ClaimsVerificationError::InvalidAudience(_) => SignInRefusal::Audience,
        ClaimsVerificationError::InvalidIssuer(_) => SignInRefusal::Issuer,
        ClaimsVerificationError::Expired(_) => SignInRefusal::Expired,
        ClaimsVerificationError::InvalidNonce(_) => SignInRefusal::Nonce,
        _ => SignInRefusal::Unverified,
    }
}

/// Exchanges the code (with the PKCE verifier) and verifies the ID token.
async fn verified_identity(
    client: &ProviderClient,
    cfg: &sso_config::Model,
    code: &str,
    in_flight: InFlight,
) -> Result<Identity, SignInRefusal> {
    let provider = || cfg.display_name.clone();
    let request = client.exchange_code(AuthorizationCode::new(code.to_string())).map_err(|e| {
        tracing::warn!(error = %e, "single sign-on: the provider names no token endpoint");
        SignInRefusal::ProviderUnreachable { provider: provider() }
    })?;
    let response =
        request.set_pkce_verifier(PkceCodeVerifier::new(in_flight.pkce_verifier)).request_async(http()).await.map_err(
            |e| match e {
                RequestTokenError::ServerResponse(r) => {
                    tracing::warn!(error = %r, "single sign-on: the provider refused the code");
                    SignInRefusal::CodeRefused { provider: provider() }
                }
                RequestTokenError::Parse(err, _) => {
                    // A token response that does not parse, a malformed ID token included.
                    tracing::warn!(error = %err, "single sign-on: the token response does not parse");
                    SignInRefusal::Unverified
                }
                other => {
                    tracing::warn!(error = %other, detail = ?other, "single sign-on: the token request failed");
                    SignInRefusal::ProviderUnreachable { provider: provider() }
                }
            },
        )?;
    let id_token = response.id_token().ok_or_else(|| {
        tracing::warn!("single sign-on: the token response has no ID token");
        SignInRefusal::Unverified
    })?;
    // Asymmetric signatures only: an HMAC "signed" with the client secret proves nothing
    // about the provider.
    let verifier: CoreIdTokenVerifier = client.id_token_verifier().set_allowed_algs([
        CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
        CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha384,
        CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha512,
        CoreJwsSigningAlgorithm::RsaSsaPssSha256,
        CoreJwsSigningAlgorithm::RsaSsaPssSha384,
        CoreJwsSigningAlgorithm::RsaSsaPssSha512,
        CoreJwsSigningAlgorithm::EcdsaP256Sha256,
        CoreJwsSigningAlgorithm::EcdsaP384Sha384,
        CoreJwsSigningAlgorithm::EdDsa,
    ]);
    let claims = id_token.claims(&verifier, &Nonce::new(in_flight.nonce)).map_err(|e| {
        tracing::warn!(error = %e, "single sign-on: the ID token was refused");
        verification_refusal(&e)
    })?;
    let email = claims.email().map(|e| normalize_email(e.as_str())).filter(|e| e.contains('@'));
    let Some(email) = email else { return Err(SignInRefusal::NoEmail { provider: provider() }) };
    if claims.email_verified() == Some(false) {
        return Err(SignInRefusal::EmailUnverified { email });
    }
    let name = claims
        .name()
        .and_then(|n| n.get(None))
        .map(|n| n.as_str().trim().to_string())
        .or_else(|| {
            let given = claims.given_name().and_then(|n| n.get(None)).map(|n| n.as_str().trim().to_string());
            let family = claims.family_name().and_then(|n| n.get(None)).map(|n| n.as_str().trim().to_string());
            match (given, family) {
                (Some(g), Some(f)) => Some(format!("{g} {f}")),
                (g, f) => g.or(f),
            }
        })
        .filter(|n| !n.is_empty());
    Ok(Identity { email, name, subject: claims.subject().as_str().to_string() })
}

/// A display name for someone created on first sign-in: the provider's name for them, else
/// their email's local part.
fn display_name_for(identity: &Identity) -> String {
    let name = identity.name.clone().unwrap_or_else(|| identity.email.split('@').next().unwrap_or("").to_string());
    name.chars().take(200).collect()
}

/// The person `identity` is at `o`: active as they are, invited ones activated, new ones
/// created under just-in-time provisioning. Refused when suspended or not allowed in.
async fn person_for(
    db: &DatabaseConnection,
    o: &org::Model,
    cfg: &sso_config::Model,
    identity: &Identity,
    meta: &RequestMeta,
) -> Result<Result<user::Model, (SignInRefusal, Option<String>)>, AppError> {
    let tx = begin_write(db).await?;
    lock_org(&tx, &o.id).await?;
    let existing = user::Entity::find()
        .filter(user::Column::OrgId.eq(o.id.as_str()))
        .filter(user::Column::Email.eq(identity.email.as_str()))
        .one(&tx)
        .await?;
    let at = now();
    let sso = AuditActor { kind: "system".into(), id: None, label: format!("Single sign-on ({})", cfg.display_name) };
    let u = match existing {
        Some(u) if u.status == user::STATUS_ACTIVE => u,
        Some(u) if u.status == user::STATUS_SUSPENDED => {
            return Ok(Err((SignInRefusal::Suspended { org_name: o.name.clone() }, Some(u.id))));
        }
        Some(u) => {
            // Invited: signing in through the provider accepts the invitation.
            let before = snapshot(&u);
            let mut am: user::ActiveModel = u.into();
            am.status = Set(user::STATUS_ACTIVE.to_string());
            am.updated_at = Set(at);
            let u = am.update(&tx).await?;
            user_token::Entity::delete_many()
                .filter(user_token::Column::UserId.eq(u.id.as_str()))
                .filter(user_token::Column::Kind.eq(TOKEN_INVITE))
                .filter(user_token::Column::UsedAt.is_null())
                .exec(&tx)
                .await?;
            let by = AuditActor { kind: "user".into(), id: Some(u.id.clone()), label: u.email.clone() };
            audit::append(
                &tx,
                &o.id,
                &by,
                meta,
                NewEvent::new("user.invite_accepted", "user", Some(&u.id))
                    .before(before)
                    .after(json!({"user": snapshot(&u), "method": "oidc"})),
            )
            .await?;
            u
        }
        None if cfg.provisioning == PROVISIONING_JIT => {
            let role = match &cfg.default_role_id {
                Some(id) => role::Entity::find_by_id(id.clone()).one(&tx).await?,
                None => None,
            };
            let Some(role) = role else {
                return Ok(Err((SignInRefusal::NoDefaultRole { org_name: o.name.clone() }, None)));
            };
            let created = user::ActiveModel {
                id: Set(new_id()),
                org_id: Set(o.id.clone()),
                email: Set(identity.email.clone()),
                username: Set(None),
                display_name: Set(display_name_for(identity)),
                password_hash: Set(None),
                status: Set(user::STATUS_ACTIVE.to_string()),
                auth_provider: Set("oidc".to_string()),
                mfa_enabled: Set(false),
                mfa_secret_enc: Set(None),
                last_login_at: Set(None),
                team_id: Set(None),
                created_at: Set(at),
                updated_at: Set(at),
            }
            .insert(&tx)
            .await;
            let u = match created {
                Ok(u) => u,
                // Created a moment ago by the same person's other sign-in: take that one.
                Err(e) if is_unique_violation(&e) => {
                    drop(tx);
                    let again = user::Entity::find()
                        .filter(user::Column::OrgId.eq(o.id.as_str()))
                        .filter(user::Column::Email.eq(identity.email.as_str()))
                        .one(db)
                        .await?;
                    return Ok(again
                        .filter(|u| u.status == user::STATUS_ACTIVE)
                        .ok_or((SignInRefusal::Suspended { org_name: o.name.clone() }, None)));
                }
                Err(e) => return Err(e.into()),
            };
            audit::append(
                &tx,
                &o.id,
                &sso,
                meta,
                NewEvent::new("user.created", "user", Some(&u.id))
                    .after(json!({"user": snapshot(&u), "provisioning": "jit", "subject": identity.subject})),
            )
            .await?;
            insert_assignment(&tx, &o.id, &u.id, &role, &crate::domain::access::ScopeRef::Org, &sso, meta).await?;
            u
        }
        None => {
            return Ok(Err((
                SignInRefusal::NotInvited { email: identity.email.clone(), org_name: o.name.clone() },
                None,
            )));
        }
    };
    tx.commit().await?;
    Ok(Ok(u))
}

/// Finishes a sign-in the provider sent back. `session_state`: the state this browser's
/// session holds. Returns the step (signed in, or the two-step code still to enter) and
/// where to go afterwards; a refusal is UNAUTHENTICATED with a sentence for the sign-in page.
pub async fn finish(
    db: &DatabaseConnection,
    key: &[u8; 32],
    base_url: &str,
    params: CallbackParams,
    session_state: Option<&str>,
    meta: &RequestMeta,
) -> Result<(LoginStep, Option<String>), Refused> {
    let Some(state) = params.state.as_deref().filter(|s| !s.is_empty()) else {
        return Err(SignInRefusal::StateUnknown.error().into());
    };
    let Some(row) = take_in_flight(db, state).await? else {
        tracing::info!("single sign-on: unknown, used or expired state");
        return Err(SignInRefusal::StateUnknown.error().into());
    };
    let Some(o) = org::Entity::find_by_id(row.org_id.clone()).one(db).await? else {
        return Err(SignInRefusal::StateUnknown.error().into());
    };
    let refuse = |refusal: SignInRefusal, email: Option<String>, user_id: Option<String>| {
        let o = o.clone();
        async move {
            record_refusal(db, &o, &refusal, email.as_deref(), user_id.as_deref(), meta).await?;
            Err::<(LoginStep, Option<String>), Refused>(Refused { error: refusal.error(), org_slug: Some(o.slug) })
        }
    };
    if session_state != Some(state) {
        return refuse(SignInRefusal::OtherBrowser, None, None).await;
    }
    let Some(cfg) = config_of(db, &o.id).await?.filter(|c| c.enabled) else {
        return refuse(SignInRefusal::NotConfigured, None, None).await;
    };
    if params.error.is_some() {
        tracing::info!(error = ?params.error, "single sign-on: the provider answered with an error");
        return refuse(SignInRefusal::ProviderDeclined { provider: cfg.display_name.clone() }, None, None).await;
    }
    let Some(code) = params.code.as_deref().filter(|c| !c.is_empty()) else {
        return refuse(SignInRefusal::CodeRefused { provider: cfg.display_name.clone() }, None, None).await;
    };
    let in_flight: InFlight = crypto::decrypt(key, &row.secrets_enc, &secrets_context(&row.state_hash))
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .ok_or_else(|| {
            tracing::error!("single sign-on: the sign-in in flight can't be read");
            AppError::internal()
        })?;
    let secret =
        match vault::reveal_integration(db, key, &o.id, SSO_CLIENT_SECRET_NAME, "single sign-on token request").await {
            Ok(Some(secret)) => secret,
            Ok(None) | Err(_) => {
                tracing::error!("single sign-on: the client secret can't be read from the vault");
                let unreadable = SignInRefusal::ProviderUnreachable { provider: cfg.display_name.clone() };
                return refuse(unreadable, None, None).await;
            }
        };
    let client = match provider_client(base_url, &cfg, Some(secret)).await {
        Ok(c) => c,
        Err(r) => return refuse(r, None, None).await,
    };
    let identity = match verified_identity(&client, &cfg, code, in_flight).await {
        Ok(i) => i,
        Err(r) => {
            let email = match &r {
                SignInRefusal::EmailUnverified { email } => Some(email.clone()),
                _ => None,
            };
            return refuse(r, email, None).await;
        }
    };
    if !domain_allowed(&identity.email, &domains_of(&cfg)) {
        let domain = email_domain(&identity.email).unwrap_or_default();
        return refuse(
            SignInRefusal::DomainNotAllowed { domain, org_name: o.name.clone() },
            Some(identity.email),
            None,
        )
        .await;
    }
    let u = match person_for(db, &o, &cfg, &identity, meta).await? {
        Ok(u) => u,
        Err((r, user_id)) => return refuse(r, Some(identity.email), user_id).await,
    };
    let next = row.next.clone();
    if u.mfa_enabled {
        let pending = MfaPending {
            user_id: u.id.clone(),
            org_id: o.id.clone(),
            email: identity.email.clone(),
            expires_at: now().timestamp() + MFA_PENDING_MINUTES * 60,
            next: next.clone(),
            method: Some("oidc".into()),
        };
        return Ok((LoginStep::MfaRequired(pending), next));
    }
    let (session, u, o) = auth::finish_login(db, u, o, &identity.email, meta, None, "oidc").await?;
    Ok((LoginStep::Done(session, u, o), next))
}

fn session_err(e: tower_sessions::session::Error) -> AppError {
    tracing::error!(error = %e, "session store error");
    AppError::internal()
}

/// Leaves a message for the sign-in page (shown once).
pub async fn set_login_notice(session: &tower_sessions::Session, notice: LoginNotice) -> Result<(), AppError> {
    session.insert(LOGIN_NOTICE_KEY, notice).await.map_err(session_err)
}

/// The sign-in page's message, if one was left; taking it removes it.
pub async fn take_login_notice(session: &tower_sessions::Session) -> Result<Option<LoginNotice>, AppError> {
    session.remove::<LoginNotice>(LOGIN_NOTICE_KEY).await.map_err(session_err)
}
