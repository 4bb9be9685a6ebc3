//! Building the application: database, migrations, state, router; binding and serving.

use crate::config::Config;
use crate::http;
use crate::rest;
use app::services::identity::session_store::DbSessionStore;
use app::services::org::setup::SetupGate;
use app::services::state::AuthSettings;
use app::services::{infra::db, AppState};
use app::{shell, App};
use axum::body::Body;
use axum::extract::{FromRef, Request, State};
use axum::http::{header, HeaderValue};
use axum::middleware::from_fn_with_state;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use leptos::config::LeptosOptions;
use leptos::prelude::*;
use leptos_axum::{generate_route_list, handle_server_fns_with_context, LeptosRoutes, ResponseOptions};
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, SessionManagerLayer};

/// The router's state: Leptos' options, the services' state, the configuration.
#[derive(Clone)]
pub struct ServerState {
    pub leptos: LeptosOptions,
    pub app: AppState,
    pub config: Arc<Config>,
}

impl FromRef<ServerState> for LeptosOptions {
    fn from_ref(s: &ServerState) -> Self {
        s.leptos.clone()
    }
}

pub const SESSION_COOKIE: &str = "mandate_session";

/// Context for every page render and server function: the services' state, and the page's
/// CSP carrying the nonce Leptos puts on its inline hydration script.
fn leptos_context(app: AppState) -> impl Fn() + Clone + Send + Sync + 'static {
    move || {
        provide_context(app.clone());
        if let (Some(nonce), Some(response)) = (leptos::nonce::use_nonce(), use_context::<ResponseOptions>()) {
            if let Ok(v) = HeaderValue::from_str(&http::page_csp(&nonce.to_string())) {
                response.insert_header(header::CONTENT_SECURITY_POLICY, v);
            }
        }
    }
}

async fn server_fn_handler(State(state): State<ServerState>, req: Request<Body>) -> impl IntoResponse {
    handle_server_fns_with_context(leptos_context(state.app.clone()), req).await
}

async fn healthz() -> Json<serde_json::Value> {
    Json(serde_json::json!({"status": "ok"}))
}

async fn readyz(State(state): State<ServerState>) -> Result<Json<serde_json::Value>, rest::problem::ApiError> {
    state.app.db.ping().await.map_err(|e| {
        tracing::warn!(error = %e, "database not reachable");
        app::domain::AppError::transient("The database is not reachable.")
    })?;
    Ok(Json(serde_json::json!({"status": "ready"})))
}

/// The whole HTTP surface: pages, server functions, REST, health, static files, middleware.
pub fn router(state: ServerState) -> Router {
    let routes = generate_route_list(App);
    let session_layer = SessionManagerLayer::new(DbSessionStore::new(state.app.db.clone()))
        .with_name(SESSION_COOKIE)
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(state.config.secure_cookies)
        .with_expiry(Expiry::OnInactivity(time::Duration::minutes(i64::from(state.config.session_idle_minutes))));
    let context = leptos_context(state.app.clone());
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/audit/export.csv", get(rest::action_views::export_csv))
        .route("/org/usage/export.csv", get(rest::spend::export_csv))
        .route("/org/settings/config/export.json", get(rest::config::export_download))
        .route("/auth/oidc/start", get(crate::sso::start))
        .route("/auth/oidc/callback", get(crate::sso::callback))
        .nest("/api/v1", rest::router())
        .route("/api/{*fn_name}", get(server_fn_handler).post(server_fn_handler))
        .leptos_routes_with_context(&state, routes, context.clone(), {
            let options = state.leptos.clone();
            move || shell(options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler_with_context::<ServerState, _>(context, shell))
        .layer(from_fn_with_state(state.clone(), http::page_guard))
        .layer(session_layer)
        .layer(from_fn_with_state(state.clone(), http::refuse_cross_site))
        .layer(from_fn_with_state(state.clone(), http::security_headers))
        .layer(from_fn_with_state(state.clone(), http::request_context))
        .with_state(state)
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot open the database: {0}")]
    Database(String),
    #[error("cannot apply migrations: {0}")]
    Migrate(String),
    #[error(transparent)]
    SecretKey(#[from] crate::secret::SecretKeyError),
    #[error("cannot listen on {addr}: {source}")]
    Bind { addr: SocketAddr, source: std::io::Error },
    #[error(transparent)]
    App(#[from] app::domain::AppError),
}

pub async fn connect_and_migrate(config: &Config) -> Result<sea_orm::DatabaseConnection, StartError> {
    let conn = db::connect(&config.database_url).await.map_err(|e| StartError::Database(e.to_string()))?;
    db::migrate(&conn).await.map_err(|e| StartError::Migrate(e.to_string()))?;
    Ok(conn)
}

pub struct Application {
    listener: TcpListener,
    router: Router,
    addr: SocketAddr,
}

impl Application {
    /// Opens and migrates the database, prepares first-run set-up, binds the listener
    /// (port 0 picks a free port: tests use that).
    pub async fn build(config: Config) -> Result<Application, StartError> {
        let (secret_key, key_source) = crate::secret::load_or_create(config.secret_key.as_deref(), &config.data_dir)?;
        tracing::info!(source = %key_source, "secret key loaded");
        let conn = connect_and_migrate(&config).await?;
        let moved = app::services::vault::adopt_legacy(&conn, &secret_key).await?;
        if moved > 0 {
            tracing::info!(moved, "moved integration credentials into the secrets vault");
        }
        let listener =
            TcpListener::bind(config.addr).await.map_err(|source| StartError::Bind { addr: config.addr, source })?;
        let addr = listener.local_addr().map_err(|source| StartError::Bind { addr: config.addr, source })?;

        let (gate, token) = SetupGate::open(&conn, config.setup_token.clone()).await?;
        if let Some(token) = token {
            tracing::warn!(
                "No organisation yet. Finish set-up at {}/setup?token={token} (set-up token: {token})",
                config.base_url(addr)
            );
        }
        let app = AppState {
            db: conn,
            setup: Arc::new(gate),
            auth: Arc::new(AuthSettings {
                session_absolute: chrono::Duration::hours(i64::from(config.session_max_hours)),
                session_idle: chrono::Duration::minutes(i64::from(config.session_idle_minutes)),
            }),
            secret_key: Arc::new(secret_key),
            public_base_url: Arc::from(config.base_url(addr)),
            smtp_configured: config.smtp_url.is_some(),
            policy: Arc::new(app::services::stores::policy::PolicyCache::new()),
            access: Arc::new(app::services::access::AccessCache::default()),
            pending_ttl: chrono::Duration::hours(i64::from(config.pending_ttl_hours)),
        };
        let leptos = LeptosOptions::builder()
            .output_name("mandate")
            .site_root(config.site_root.display().to_string())
            .site_pkg_dir("pkg")
            .site_addr(addr)
            .build();
        spawn_session_cleanup(app.db.clone());
        spawn_pending_expiry(app.db.clone());
        spawn_sms_sender(app.clone());
        spawn_spend_jobs(app.clone(), config.unusual_multiple);
        if config.automation_worker {
            spawn_automation_worker(app.clone());
        }
        crate::mailer::start(&config, app.db.clone())?;
        let router = router(ServerState { leptos, app, config: Arc::new(config) });
        Ok(Application { listener, router, addr })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Serves until Ctrl-C or SIGTERM, then finishes requests in flight.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        tracing::info!("Mandate listening on http://{}", self.addr);
        axum::serve(self.listener, self.router.into_make_service_with_connect_info::<SocketAddr>())
            .with_graceful_shutdown(shutdown_signal())
            .await
    }
}

fn spawn_session_cleanup(conn: sea_orm::DatabaseConnection) {
    use tower_sessions::session_store::ExpiredDeletion;
    let store = DbSessionStore::new(conn);
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(600));
        loop {
            tick.tick().await;
            if let Err(e) = store.delete_expired().await {
                tracing::warn!(error = %e, "could not delete expired sessions");
            }
        }
    });
}

/// Expires actions that waited too long for confirmation, releasing what they reserved.
fn spawn_pending_expiry(conn: sea_orm::DatabaseConnection) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(30));
        loop {
            tick.tick().await;
            match app::services::gateway::actions::expire_due(&conn, app::services::infra::db::now()).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(expired = n, "expired pending actions"),
                Err(e) => tracing::warn!(error = %e.message, "could not expire pending actions"),
            }
        }
    });
}

/// Runs posted events' rules and continues runs whose waiting step a person decided
/// (`services::automation::worker`): a round every half second, at once again while there
/// was work.
fn spawn_automation_worker(app: app::services::AppState) {
    use app::services::automation::worker;
    tokio::spawn(async move {
        let name = worker::worker_name();
        tracing::info!(worker = %name, "automation worker started");
        loop {
            match worker::run_once(app.gateway(), &name).await {
                Ok(0) => tokio::time::sleep(std::time::Duration::from_millis(500)).await,
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(error = %e.message, "automation worker round failed");
                    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
                }
            }
        }
    });
}

/// Sends text-message notifications through each org's SMS provider (several servers never
/// send one twice: `services::org::notify::deliver_sms_due` claims before sending).
fn spawn_sms_sender(app: app::services::AppState) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(2));
        loop {
            tick.tick().await;
            if let Err(e) = app::services::org::notify::deliver_sms_due(&app.db, &app.secret_key, 50).await {
                tracing::warn!(error = %e.message, "could not send text messages");
            }
        }
    });
}

/// The monthly usage report and the unusual-activity check (`services::spend::jobs`), every
/// five minutes; with several servers each report and alert is sent once.
fn spawn_spend_jobs(app: app::services::AppState, multiple: u32) {
    use app::services::spend::jobs;
    tokio::spawn(async move {
        let name = app::services::automation::worker::worker_name();
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(300));
        loop {
            tick.tick().await;
            let at = app::services::infra::db::now();
            if let Err(e) = jobs::monthly_reports(&app.db, at, &name).await {
                tracing::warn!(error = %e.message, "monthly usage reports failed");
            }
            if let Err(e) = jobs::unusual_activity(&app.db, at, multiple, &name).await {
                tracing::warn!(error = %e.message, "unusual-activity check failed");
            }
        }
    });
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutting down");
}
