//! Configuration: one struct, from flags or environment variables (flags win), printed at
//! start with secrets masked. Defaults run locally with no set-up.

use clap::Args;
use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Args, Debug, Clone, PartialEq)]
pub struct Config {
    /// Address to listen on.
    #[arg(long, env = "MANDATE_ADDR", default_value = "127.0.0.1:3000", global = true)]
    pub addr: SocketAddr,

    /// Database: sqlite://path?mode=rwc (default) or postgres://user:pass@host/db.
    #[arg(long, env = "DATABASE_URL", default_value = "sqlite://data/mandate.db?mode=rwc", global = true)]
    pub database_url: String,

    /// Directory for the generated secret key (and the SQLite file by default).
    #[arg(long, env = "MANDATE_DATA_DIR", default_value = "data", global = true)]
    pub data_dir: PathBuf,

    /// Log filter, e.g. `info`, `debug`, `mandate=debug,tower_http=info`.
    #[arg(long, env = "MANDATE_LOG", default_value = "info", global = true)]
    pub log: String,

    /// 32-byte key (base64 or hex) that encrypts secrets at rest. When unset, a key is
    /// generated into <data dir>/secret.key (mode 0600) on first start.
    #[arg(long, env = "MANDATE_SECRET_KEY", hide_env_values = true, global = true)]
    pub secret_key: Option<String>,

    /// Where the built site (pkg/mandate.js, .wasm, .css, public files) is served from.
    #[arg(long, env = "MANDATE_SITE_ROOT", default_value = "target/site", global = true)]
    pub site_root: PathBuf,

    /// The URL people use to reach Mandate (e.g. https://mandate.example.com). Used in the
    /// set-up link and as the only accepted Origin of browser form posts.
    #[arg(long, env = "MANDATE_PUBLIC_URL", global = true)]
    pub public_url: Option<String>,

    /// Mark the session cookie Secure (send it over https only). Turn on behind https.
    #[arg(long, env = "MANDATE_SECURE_COOKIES", default_value_t = false, action = clap::ArgAction::Set, global = true)]
    pub secure_cookies: bool,

    /// Sign a person out after this many minutes without a request.
    #[arg(long, env = "MANDATE_SESSION_IDLE_MINUTES", default_value_t = 120, value_parser = clap::value_parser!(u32).range(1..=10080), global = true)]
    pub session_idle_minutes: u32,

    /// Sign a person out this many hours after sign-in, however active.
    #[arg(long, env = "MANDATE_SESSION_MAX_HOURS", default_value_t = 24, value_parser = clap::value_parser!(u32).range(1..=720), global = true)]
    pub session_max_hours: u32,

    /// An action waiting for confirmation expires (and releases what it reserved) after this many hours.
    #[arg(long, env = "MANDATE_PENDING_TTL_HOURS", default_value_t = 24, value_parser = clap::value_parser!(u32).range(1..=720), global = true)]
    pub pending_ttl_hours: u32,

    /// Run the automation worker in this process (it runs the rules of posted events and
    /// continues runs after approvals). Turn it off on instances that should only serve
    /// requests; at least one instance sharing the database must run it.
    #[arg(long, env = "MANDATE_AUTOMATION_WORKER", default_value_t = true, action = clap::ArgAction::Set, global = true)]
    pub automation_worker: bool,

    /// Fix the first-run set-up token instead of generating one (for automated installs).
    #[arg(long, env = "MANDATE_SETUP_TOKEN", hide_env_values = true, global = true)]
    pub setup_token: Option<String>,

    /// Take the client IP from X-Forwarded-For (only behind a proxy you control).
    #[arg(long, env = "MANDATE_TRUST_PROXY", default_value_t = false, action = clap::ArgAction::Set, global = true)]
    pub trust_proxy: bool,

    /// SMTP server for outgoing email, e.g. smtp://user:pass@mail.example.com:587?tls=required
    /// or smtps://…:465. When unset, email waits in the outbox (admins read it at /org/outbox).
    #[arg(long, env = "MANDATE_SMTP_URL", hide_env_values = true, global = true)]
    pub smtp_url: Option<String>,

    /// The sender of outgoing email.
    #[arg(long, env = "MANDATE_MAIL_FROM", default_value = "Mandate <mandate@localhost>", global = true)]
    pub mail_from: String,
}

impl Config {
    /// Every setting as (name, value) with secrets masked, for the start-up log.
    pub fn describe(&self) -> Vec<(&'static str, String)> {
        let set_or = |v: &Option<String>, unset: &str| match v {
            Some(_) => "(set)".to_string(),
            None => unset.to_string(),
        };
        vec![
            ("addr", self.addr.to_string()),
            ("database_url", mask_url(&self.database_url)),
            ("data_dir", self.data_dir.display().to_string()),
            ("log", self.log.clone()),
            ("secret_key", set_or(&self.secret_key, "(from data dir)")),
            ("site_root", self.site_root.display().to_string()),
            ("public_url", self.public_url.clone().unwrap_or_else(|| "(not set)".into())),
            ("secure_cookies", self.secure_cookies.to_string()),
            ("session_idle_minutes", self.session_idle_minutes.to_string()),
            ("session_max_hours", self.session_max_hours.to_string()),
            ("pending_ttl_hours", self.pending_ttl_hours.to_string()),
            ("automation_worker", self.automation_worker.to_string()),
            ("setup_token", set_or(&self.setup_token, "(generated when needed)")),
            ("trust_proxy", self.trust_proxy.to_string()),
            (
                "smtp_url",
                self.smtp_url.as_deref().map(mask_url).unwrap_or_else(|| "(not set: email stays in the outbox)".into()),
            ),
            ("mail_from", self.mail_from.clone()),
        ]
    }

    /// The base URL for links printed in logs.
    pub fn base_url(&self, bound: SocketAddr) -> String {
        match &self.public_url {
            Some(u) => u.trim_end_matches('/').to_string(),
            None => format!("http://{bound}"),
        }
    }
}

/// Hides the password in a database URL: postgres://user:****@host/db.
pub fn mask_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let Some((userinfo, host)) = rest.rsplit_once('@') else {
        return url.to_string();
    };
    match userinfo.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:****@{host}"),
        None => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::{Cli, Command};
    use clap::Parser;

    #[test]
    fn defaults_run_locally() {
        let cli = Cli::try_parse_from(["mandate"]).unwrap();
        let c = cli.config;
        assert_eq!(c.addr.to_string(), "127.0.0.1:3000");
        assert_eq!(c.database_url, "sqlite://data/mandate.db?mode=rwc");
        assert_eq!(c.data_dir, PathBuf::from("data"));
        assert!(!c.secure_cookies);
        assert_eq!(c.session_idle_minutes, 120);
        assert!(cli.command.is_none(), "no subcommand means serve");
    }

    #[test]
    fn flags_override_and_work_after_the_subcommand() {
        let cli = Cli::try_parse_from([
            "mandate",
            "serve",
            "--addr",
            "0.0.0.0:8080",
            "--database-url",
            "postgres://u:p@db/m",
            "--secure-cookies",
            "true",
        ])
        .unwrap();
        assert_eq!(cli.config.addr.port(), 8080);
        assert!(cli.config.secure_cookies);
        assert!(matches!(cli.command, Some(Command::Serve)));
    }

    #[test]
    fn bad_values_are_refused_with_the_flag_named() {
        let err = Cli::try_parse_from(["mandate", "--addr", "not-an-address"]).unwrap_err().to_string();
        assert!(err.contains("--addr"), "{err}");
        let err = Cli::try_parse_from(["mandate", "--session-idle-minutes", "0"]).unwrap_err().to_string();
        assert!(err.contains("session-idle-minutes"), "{err}");
    }

    #[test]
    fn subcommands_parse() {
        let cli = Cli::try_parse_from([
            "mandate", "api-key", "create", "--org", "acme", "--name", "bot", "--role", "Owner", "--json",
        ])
        .unwrap();
        assert!(matches!(cli.command, Some(Command::ApiKey(_))));
        let cli = Cli::try_parse_from(["mandate", "create-admin", "--org", "acme", "--email", "a@b.co"]).unwrap();
        assert!(matches!(cli.command, Some(Command::CreateAdmin { .. })));
        assert!(Cli::try_parse_from(["mandate", "audit", "verify"]).is_ok());
        assert!(Cli::try_parse_from(["mandate", "migrate"]).is_ok());
    }

    #[test]
    fn secrets_are_masked_in_the_description() {
        let mut cli =
            Cli::try_parse_from(["mandate", "--database-url", "postgres://mandate:hunter2@db:5432/m"]).unwrap();
        cli.config.secret_key = Some("c2VjcmV0".into());
        cli.config.setup_token = Some("tok".into());
        let text = format!("{:?}", cli.config.describe());
        assert!(!text.contains("hunter2"), "{text}");
        assert!(text.contains("mandate:****@db:5432/m"), "{text}");
        assert!(!text.contains("c2VjcmV0"));
        assert!(!text.contains("\"tok\""));
        cli.config.smtp_url = Some("smtp://mailer:s3cretpw@mail.example.com:587".into());
        let text = format!("{:?}", cli.config.describe());
        assert!(!text.contains("s3cretpw"), "{text}");
        assert!(text.contains("smtp://mailer:****@mail.example.com:587"), "{text}");
    }

    #[test]
    fn mask_url_leaves_urls_without_password() {
        assert_eq!(mask_url("sqlite://data/mandate.db?mode=rwc"), "sqlite://data/mandate.db?mode=rwc");
        assert_eq!(mask_url("postgres://u@h/d"), "postgres://u@h/d");
    }
}
