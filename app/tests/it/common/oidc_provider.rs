//! A real OpenID Connect provider for tests: an axum server on 127.0.0.1:0 serving the
//! discovery document, its JWKS, `/authorize` (signs in whoever the test says, redirecting
//! back with a code) and `/token` (checks the client's basic auth, the code, the redirect URL
//! and the PKCE verifier, then answers with an ID token signed RS256 by an RSA key generated
//! in the test). A test can spoil the next token on purpose: signed by another key, for
//! another audience, expired, with another nonce or issuer.
//!
//! The server's HTTP tests use this file too (`#[path]` in `server/tests/it/support`), so it
//! names nothing of this test crate.

#![allow(dead_code)]

use axum::extract::{Form, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use rsa::pkcs1v15::SigningKey;
use rsa::signature::{SignatureEncoding, Signer};
use rsa::traits::PublicKeyParts;
use rsa::RsaPrivateKey;
use serde::Deserialize;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

pub const CLIENT_ID: &str = "mandate-test-client";
pub const CLIENT_SECRET: &str = "provider-secret-0123456789";
const KID: &str = "test-key-1";

/// The provider's signing key and a second one it never publishes (for forged tokens),
/// generated once per test process (2048-bit RSA).
fn keys() -> &'static (RsaPrivateKey, RsaPrivateKey) {
    static KEYS: OnceLock<(RsaPrivateKey, RsaPrivateKey)> = OnceLock::new();
    KEYS.get_or_init(|| {
        let mut rng = rand::thread_rng();
        let published = RsaPrivateKey::new(&mut rng, 2048).expect("RSA key");
        let other = RsaPrivateKey::new(&mut rng, 2048).expect("RSA key");
        (published, other)
    })
}

/// Who the provider signs in next.
#[derive(Clone, Debug)]
pub struct Person {
    pub subject: String,
    pub email: Option<String>,
    pub email_verified: Option<bool>,
    pub name: Option<String>,
}

impl Person {
    /// A verified `email` with a name.
    pub fn new(email: &str, name: &str) -> Person {
        Person {
            subject: format!("sub-{email}"),
            email: Some(email.to_string()),
            email_verified: Some(true),
            name: Some(name.to_string()),
        }
    }
}

/// What is wrong with the next ID token, on purpose.
#[derive(Clone, Debug, Default)]
pub struct Spoil {
    /// Signed with a key the JWKS does not hold (same `kid`).
    pub wrong_key: bool,
    /// Issued for this audience instead of the client.
    pub audience: Option<String>,
    /// Expired a minute ago.
    pub expired: bool,
    /// This nonce instead of the one the sign-in asked for.
    pub nonce: Option<String>,
    /// This issuer instead of the provider's own.
    pub issuer: Option<String>,
}

struct Grant {
    person: Person,
    nonce: Option<String>,
    challenge: String,
    redirect_uri: String,
}

#[derive(Default)]
struct Inner {
    next: Option<Person>,
    spoil: Spoil,
    codes: HashMap<String, Grant>,
    /// Token requests answered (successfully or not).
    token_requests: u32,
}

#[derive(Clone)]
struct Shared {
    issuer: String,
    inner: Arc<Mutex<Inner>>,
}

/// A running provider; dropped with the test's runtime.
pub struct Provider {
    pub issuer: String,
    shared: Shared,
}

impl Provider {
    pub async fn start() -> Provider {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind the provider");
        let issuer = format!("http://{}", listener.local_addr().expect("provider address"));
        let shared = Shared { issuer: issuer.clone(), inner: Arc::new(Mutex::new(Inner::default())) };
        let app = Router::new()
            .route("/.well-known/openid-configuration", get(discovery))
            .route("/jwks", get(jwks))
            .route("/authorize", get(authorize))
            .route("/token", post(token))
            .with_state(shared.clone());
        tokio::spawn(async move {
            axum::serve(listener, app).await.ok();
        });
        // Make the keys before the first sign-in needs them.
        tokio::task::spawn_blocking(keys).await.expect("generate keys");
        Provider { issuer, shared }
    }

    /// The person the next `/authorize` signs in.
    pub fn sign_in_as(&self, person: Person) {
        self.shared.inner.lock().unwrap().next = Some(person);
    }

    /// Spoils every token from now on (until `Spoil::default()`).
    pub fn spoil(&self, spoil: Spoil) {
        self.shared.inner.lock().unwrap().spoil = spoil;
    }

    pub fn token_requests(&self) -> u32 {
        self.shared.inner.lock().unwrap().token_requests
    }

    /// Plays the browser at the provider: opens `authorize_url` (not following the redirect)
    /// and returns the query the provider sends back to the redirect URL, as
    /// `(callback URL, state, code)`.
    pub async fn authorize(&self, authorize_url: &str) -> (String, String, String) {
        let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        let res = client.get(authorize_url).send().await.expect("reach /authorize");
        assert_eq!(res.status().as_u16(), 303, "the provider refused the authorization request");
        let location = res.headers()[header::LOCATION].to_str().unwrap().to_string();
        let url = reqwest::Url::parse(&location).unwrap();
        let q: HashMap<String, String> = url.query_pairs().into_owned().collect();
        (location, q["state"].clone(), q["code"].clone())
    }
}

async fn discovery(State(s): State<Shared>) -> Json<Value> {
    let i = &s.issuer;
    Json(json!({
        "issuer": i,
        "authorization_endpoint": format!("{i}/authorize"),
        "token_endpoint": format!("{i}/token"),
        "jwks_uri": format!("{i}/jwks"),
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic"],
        "scopes_supported": ["openid", "email", "profile"],
        "claims_supported": ["sub", "email", "email_verified", "name"],
        "code_challenge_methods_supported": ["S256"]
    }))
}

async fn jwks() -> Json<Value> {
    let public = keys().0.to_public_key();
    Json(json!({"keys": [{
        "kty": "RSA", "use": "sig", "alg": "RS256", "kid": KID,
        "n": URL_SAFE_NO_PAD.encode(public.n().to_bytes_be()),
        "e": URL_SAFE_NO_PAD.encode(public.e().to_bytes_be()),
    }]}))
}

#[derive(Deserialize)]
struct AuthorizeQuery {
    response_type: String,
    client_id: String,
    redirect_uri: String,
    scope: String,
    state: String,
    nonce: Option<String>,
    code_challenge: Option<String>,
    code_challenge_method: Option<String>,
}

fn random_code() -> String {
    use rand::RngCore;
    let mut b = [0u8; 24];
    rand::thread_rng().fill_bytes(&mut b);
    URL_SAFE_NO_PAD.encode(b)
}

async fn authorize(State(s): State<Shared>, Query(q): Query<AuthorizeQuery>) -> Response {
    let scopes: Vec<&str> = q.scope.split(' ').collect();
    if q.response_type != "code"
        || q.client_id != CLIENT_ID
        || !scopes.contains(&"openid")
        || q.code_challenge_method.as_deref() != Some("S256")
    {
        return (StatusCode::BAD_REQUEST, "bad authorization request").into_response();
    }
    let Some(challenge) = q.code_challenge else {
        return (StatusCode::BAD_REQUEST, "PKCE required").into_response();
    };
    let mut inner = s.inner.lock().unwrap();
    let Some(person) = inner.next.clone() else {
        return (StatusCode::BAD_REQUEST, "nobody to sign in").into_response();
    };
    let code = random_code();
    inner.codes.insert(code.clone(), Grant { person, nonce: q.nonce, challenge, redirect_uri: q.redirect_uri.clone() });
    let mut back = reqwest::Url::parse(&q.redirect_uri).unwrap();
    back.query_pairs_mut().append_pair("code", &code).append_pair("state", &q.state);
    Redirect::to(back.as_str()).into_response()
}

#[derive(Deserialize)]
struct TokenForm {
    grant_type: String,
    code: String,
    redirect_uri: String,
    code_verifier: Option<String>,
}

fn token_error(code: &str) -> Response {
    (StatusCode::BAD_REQUEST, Json(json!({"error": code}))).into_response()
}

/// `client_secret_basic`: `Basic base64(urlencode(id):urlencode(secret))`.
fn client_authenticated(headers: &HeaderMap) -> bool {
    let Some(value) = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()) else { return false };
    let Some(encoded) = value.strip_prefix("Basic ") else { return false };
    let Ok(decoded) = STANDARD.decode(encoded) else { return false };
    let text = String::from_utf8(decoded).unwrap_or_default();
    text == format!("{CLIENT_ID}:{CLIENT_SECRET}")
}

async fn token(State(s): State<Shared>, headers: HeaderMap, Form(f): Form<TokenForm>) -> Response {
    let mut inner = s.inner.lock().unwrap();
    inner.token_requests += 1;
    if !client_authenticated(&headers) {
        return (StatusCode::UNAUTHORIZED, Json(json!({"error": "invalid_client"}))).into_response();
    }
    if f.grant_type != "authorization_code" {
        return token_error("unsupported_grant_type");
    }
    // A code works once.
    let Some(grant) = inner.codes.remove(&f.code) else { return token_error("invalid_grant") };
    let verifier = f.code_verifier.unwrap_or_default();
    if grant.redirect_uri != f.redirect_uri
        || URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes())) != grant.challenge
    {
        return token_error("invalid_grant");
    }
    let spoil = inner.spoil.clone();
    let now = chrono::Utc::now().timestamp();
    let (iat, exp) = if spoil.expired { (now - 600, now - 60) } else { (now, now + 300) };
    let mut claims = json!({
        "iss": spoil.issuer.clone().unwrap_or_else(|| s.issuer.clone()),
        "sub": grant.person.subject,
        "aud": spoil.audience.clone().unwrap_or_else(|| CLIENT_ID.to_string()),
        "iat": iat,
        "exp": exp,
    });
    if let Some(n) = spoil.nonce.clone().or(grant.nonce) {
        claims["nonce"] = json!(n);
    }
    if let Some(e) = &grant.person.email {
        claims["email"] = json!(e);
    }
    if let Some(v) = grant.person.email_verified {
        claims["email_verified"] = json!(v);
    }
    if let Some(n) = &grant.person.name {
        claims["name"] = json!(n);
    }
    let (published, other) = keys();
    let key = if spoil.wrong_key { other } else { published };
    Json(json!({
        "access_token": random_code(),
        "token_type": "Bearer",
        "expires_in": 300,
        "id_token": sign_rs256(key, &claims),
    }))
    .into_response()
}

/// A compact JWS: base64url(header).base64url(claims).base64url(RS256 signature).
fn sign_rs256(key: &RsaPrivateKey, claims: &Value) -> String {
    let header = json!({"alg": "RS256", "typ": "JWT", "kid": KID});
    let signing_input =
        format!("{}.{}", URL_SAFE_NO_PAD.encode(header.to_string()), URL_SAFE_NO_PAD.encode(claims.to_string()));
    let signature = SigningKey::<Sha256>::new(key.clone()).sign(signing_input.as_bytes()).to_bytes();
    format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(signature))
}
