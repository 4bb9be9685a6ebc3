//! The `mandate` command line (DESIGN.md §6).

use crate::config::Config;
use crate::startup::{connect_and_migrate, Application};
use app::domain::audit::AuditActor;
use app::domain::permission::BuiltInRole;
use app::services::actor::system_actor;
use app::services::org::orgs::{self, NewOwner};
use app::services::{access::api_keys, audit, demo, RequestMeta};
use clap::{Parser, Subcommand};
use std::io::BufRead;
use std::process::ExitCode;

#[derive(Parser, Debug)]
#[command(
    name = "mandate",
    version,
    about = "Decides what AI assistants and automations may do on a merchant's behalf."
)]
pub struct Cli {
    #[command(flatten)]
    pub config: Config,
    /// What to do (default: serve).
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Apply migrations, then serve pages and the API.
    Serve,
    /// Apply migrations and exit.
    Migrate,
    /// Create the organisation if missing and an Owner in it. The password comes from
    /// MANDATE_ADMIN_PASSWORD or the first line of standard input. Idempotent per email.
    CreateAdmin {
        /// Organisation short name (slug), e.g. acme-store.
        #[arg(long)]
        org: String,
        #[arg(long)]
        email: String,
        /// Display name (default: the part of the email before @).
        #[arg(long)]
        name: Option<String>,
        /// Organisation display name when it is created (default: the slug).
        #[arg(long)]
        org_name: Option<String>,
    },
    /// Manage API keys.
    #[command(subcommand)]
    ApiKey(ApiKeyCommand),
    /// Audit trail tools.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Configuration templates: export an organisation's configuration as JSON, import one
    /// with a diff (never secrets, keys, people or audit).
    #[command(subcommand)]
    Config(ConfigCommand),
    /// The secrets vault's key.
    #[command(subcommand)]
    Secrets(SecretsCommand),
    /// Create a demo organisation ("demo") with a sandbox store, orders, settings, an
    /// assistant with an agent key and some history; print the logins and the key. The
    /// password comes from MANDATE_ADMIN_PASSWORD or is generated. Does nothing when the
    /// demo organisation exists.
    SeedDemo,
}

#[derive(Subcommand, Debug)]
pub enum ApiKeyCommand {
    /// Create a key and print its secret once: with --role a management key acting with that
    /// role in the whole organisation; with --store an agent key for that store (and, with
    /// --assistant, acting as that assistant).
    Create {
        #[arg(long)]
        org: String,
        #[arg(long)]
        name: String,
        /// The key's role: a built-in role (Owner, Admin, Store manager, Approver, Auditor,
        /// Viewer) or the name of one of the organisation's custom roles.
        #[arg(long, required_unless_present = "store", conflicts_with = "store")]
        role: Option<String>,
        /// Store id: makes an agent key that checks, invokes and lists tools for this store.
        #[arg(long)]
        store: Option<String>,
        /// Assistant id (of --store): the agent key acts as this assistant.
        #[arg(long, requires = "store")]
        assistant: Option<String>,
        /// Print {"id": ..., "key": ...} instead of text.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum SecretsCommand {
    /// Re-encrypt every secret kept at rest (the vault, the integrations' credentials, the
    /// people's authenticator secrets, single sign-ons in flight) under a new key, in one
    /// transaction. With the key in <data dir>/secret.key the file is replaced (the old key
    /// stays beside it as secret.key.previous); with MANDATE_SECRET_KEY the new key is
    /// printed for you to set. Restart every server with the new key afterwards.
    RotateKey {
        /// The new key (32 bytes, base64 or hex); default: a new random one.
        #[arg(long, env = "MANDATE_NEW_SECRET_KEY", hide_env_values = true)]
        new_key: Option<String>,
    },
}

#[derive(Subcommand, Debug)]
pub enum AuditCommand {
    /// Recompute every organisation's hash chain; exit 1 and name the first broken event.
    Verify {
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum ConfigCommand {
    /// Write the organisation's configuration (one JSON document) to standard output or --out.
    Export {
        #[arg(long)]
        org: String,
        /// Write to this file instead of standard output.
        #[arg(long)]
        out: Option<std::path::PathBuf>,
    },
    /// Show what importing FILE changes (added / changed / removed, per object) and apply it
    /// in one transaction; with --dry-run only show it. `-` reads standard input.
    Import {
        #[arg(long)]
        org: String,
        #[arg(long)]
        dry_run: bool,
        /// Print the outcome as JSON instead of text.
        #[arg(long)]
        json: bool,
        file: std::path::PathBuf,
    },
}

/// The diff as text, one object a line and one field change an indented line.
fn print_diff(out: &app::domain::config::ImportOutcome) {
    let d = &out.diff;
    if d.is_empty() {
        println!("Nothing to change: the organisation already has this configuration.");
    }
    for o in &d.objects {
        println!("{}: {}", o.kind.label(), o.object);
        for f in &o.fields {
            println!("    {}", f.sentence());
        }
    }
    for w in &d.warnings {
        println!("Note: {w}");
    }
    println!("{} added, {} changed, {} removed.", d.added, d.changed, d.removed);
    if out.dry_run {
        println!("Dry run: nothing was saved.");
    } else if out.applied {
        println!("Applied.");
    }
}

type CliResult = Result<ExitCode, Box<dyn std::error::Error>>;

fn cli_actor() -> AuditActor {
    AuditActor { label: "mandate CLI".into(), ..system_actor() }
}

fn read_password() -> Result<String, Box<dyn std::error::Error>> {
    if let Ok(p) = std::env::var("MANDATE_ADMIN_PASSWORD") {
        return Ok(p);
    }
    eprintln!("Password (one line on standard input):");
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    let password = line.trim_end_matches(['\r', '\n']).to_string();
    if password.is_empty() {
        return Err("no password given: set MANDATE_ADMIN_PASSWORD or type it on standard input".into());
    }
    Ok(password)
}

fn show_app_error(e: app::domain::AppError) -> Box<dyn std::error::Error> {
    let mut text = e.message.clone();
    for f in &e.fields {
        text.push_str(&format!("\n  {}: {}", f.field, f.message));
    }
    text.into()
}

fn print_demo(seed: &demo::DemoSeed) {
    println!("Demo organisation \"{}\" created.", seed.org_slug);
    println!();
    println!("Sign in (organisation {}):", seed.org_slug);
    println!("  Owner:    {}", seed.owner_email);
    println!("  Approver: {}", seed.approver_email);
    if seed.password_generated {
        println!("  Password: {}   (generated; set MANDATE_ADMIN_PASSWORD to choose one)", seed.password);
    } else {
        println!("  Password: the one in MANDATE_ADMIN_PASSWORD");
    }
    println!();
    println!("Store \"{}\" (sandbox, EUR): {}", demo::STORE_NAME, seed.store_id);
    println!("Assistant \"{}\": {}", demo::ASSISTANT_NAME, seed.assistant_id);
    println!("Agent key (store it now: it is not shown again):");
    println!("  {}", seed.agent_key);
    println!();
    println!("History:");
    for (action, what, status) in &seed.history {
        println!("  {status:<10} {action:<15} {what}");
    }
}

impl Cli {
    pub async fn run(self) -> CliResult {
        let config = self.config;
        match self.command.unwrap_or(Command::Serve) {
            Command::Serve => {
                for (name, value) in config.describe() {
                    tracing::info!("config {name} = {value}");
                }
                let app = Application::build(config).await?;
                app.run_until_stopped().await?;
                Ok(ExitCode::SUCCESS)
            }
            Command::Migrate => {
                connect_and_migrate(&config).await?;
                println!("Migrations applied.");
                Ok(ExitCode::SUCCESS)
            }
            Command::CreateAdmin { org, email, name, org_name } => {
                app::domain::org::check_slug(&org).map_err(|m| format!("--org: {m}"))?;
                let db = connect_and_migrate(&config).await?;
                let password = read_password()?;
                let display_name = name.unwrap_or_else(|| email.split('@').next().unwrap_or("Owner").to_string());
                let owner = NewOwner { email: email.clone(), display_name, password };
                let meta = RequestMeta::default();
                match orgs::find_by_slug(&db, &org).await.map_err(show_app_error)? {
                    Some(existing) => {
                        let (user, created) = orgs::ensure_owner(&db, &existing, owner, &cli_actor(), &meta)
                            .await
                            .map_err(show_app_error)?;
                        if created {
                            println!("Created Owner {} in organisation {}.", user.email, existing.slug);
                        } else {
                            println!(
                                "{} already exists in organisation {}; nothing changed.",
                                user.email, existing.slug
                            );
                        }
                    }
                    None => {
                        let display = org_name.unwrap_or_else(|| org.clone());
                        let (o, user) =
                            orgs::create_org_with_owner(&db, &display, Some(&org), owner, &cli_actor(), &meta)
                                .await
                                .map_err(show_app_error)?;
                        println!("Created organisation {} with Owner {}.", o.slug, user.email);
                    }
                }
                Ok(ExitCode::SUCCESS)
            }
            Command::ApiKey(ApiKeyCommand::Create { org, name, role, store, assistant, json }) => {
                let db = connect_and_migrate(&config).await?;
                let o = orgs::find_by_slug(&db, &org)
                    .await
                    .map_err(show_app_error)?
                    .ok_or_else(|| format!("no organisation with the short name \"{org}\""))?;
                let role = match (role, store) {
                    (_, Some(store)) => {
                        let created = api_keys::create_agent_key_for_org(
                            &db,
                            &o,
                            &name,
                            &store,
                            assistant.as_deref(),
                            &cli_actor(),
                            &RequestMeta::default(),
                        )
                        .await
                        .map_err(show_app_error)?;
                        if json {
                            println!("{}", serde_json::json!({"id": created.key.id, "key": created.secret}));
                        } else {
                            let bound = match &created.key.assistant_id {
                                Some(a) => format!("store {store}, assistant {a}"),
                                None => format!("store {store}"),
                            };
                            println!("Agent key \"{}\" ({bound} in {}):", created.key.name, o.slug);
                            println!("{}", created.secret);
                            println!("Store it now: it is not shown again.");
                        }
                        return Ok(ExitCode::SUCCESS);
                    }
                    (Some(role), None) => role,
                    (None, None) => return Err("give --role (a management key) or --store (an agent key)".into()),
                };
                // A built-in role (any case) or one of the organisation's custom roles.
                let role = api_keys::find_role_by_name(&db, &o.id, &role).await.map_err(show_app_error)?.ok_or_else(|| {
                    let builtins = BuiltInRole::ALL.map(|r| r.name()).join(", ");
                    format!("--role: unknown role \"{role}\". Built-in roles: {builtins}; or the name of one of {org}'s own roles.")
                })?;
                let created = api_keys::create_management_key_with_role(
                    &db,
                    &o,
                    &name,
                    &role,
                    &cli_actor(),
                    &RequestMeta::default(),
                )
                .await
                .map_err(show_app_error)?;
                if json {
                    println!("{}", serde_json::json!({"id": created.key.id, "key": created.secret}));
                } else {
                    println!("API key \"{}\" ({} in {}):", created.key.name, role.name, o.slug);
                    println!("{}", created.secret);
                    println!("Store it now: it is not shown again.");
                }
                Ok(ExitCode::SUCCESS)
            }
            Command::Secrets(SecretsCommand::RotateKey { new_key }) => {
                use crate::secret;
                let (old, source) = secret::load_or_create(config.secret_key.as_deref(), &config.data_dir)?;
                let new = match new_key.as_deref() {
                    Some(text) => secret::decode(text).ok_or(secret::SecretKeyError::BadFormat)?,
                    None => secret::generate(),
                };
                if new == old {
                    return Err("the new key is the current key: nothing to rotate".into());
                }
                let db = connect_and_migrate(&config).await?;
                let from_file = config.secret_key.is_none();
                let staged = if from_file { Some(secret::stage_next(&config.data_dir, &new)?) } else { None };
                let done = match app::services::keys::rotate_key(&db, &old, &new).await {
                    Ok(done) => done,
                    Err(e) => {
                        if let Some(path) = staged {
                            let _ = std::fs::remove_file(path);
                        }
                        return Err(format!("nothing was changed: {}", show_app_error(e)).into());
                    }
                };
                println!(
                    "Re-encrypted {} secrets, {} authenticator secrets and {} sign-ins in flight under the new key.",
                    done.secrets, done.totp_secrets, done.sign_ins_in_flight
                );
                if from_file {
                    let previous = secret::promote_next(&config.data_dir)?;
                    println!("The new key is in {source}; the previous one is kept in {}.", previous.display());
                    println!("Restart every server; delete the previous key once they all run with the new one.");
                } else {
                    println!("Set MANDATE_SECRET_KEY on every server to the new key and restart them:");
                    println!("  {}", secret::encode(&new));
                }
                Ok(ExitCode::SUCCESS)
            }
            Command::SeedDemo => {
                let (secret_key, _) = crate::secret::load_or_create(config.secret_key.as_deref(), &config.data_dir)?;
                let db = connect_and_migrate(&config).await?;
                let policy = app::services::stores::policy::PolicyCache::new();
                let password = std::env::var("MANDATE_ADMIN_PASSWORD").ok();
                match demo::seed_demo(&db, &policy, &secret_key, password).await.map_err(show_app_error)? {
                    demo::DemoOutcome::AlreadyExists { org_slug } => {
                        println!("The demo organisation \"{org_slug}\" already exists; nothing changed.");
                    }
                    demo::DemoOutcome::Created(seed) => print_demo(&seed),
                }
                Ok(ExitCode::SUCCESS)
            }
            Command::Config(cmd) => {
                let db = connect_and_migrate(&config).await?;
                let slug = match &cmd {
                    ConfigCommand::Export { org, .. } | ConfigCommand::Import { org, .. } => org.clone(),
                };
                let o = orgs::find_by_slug(&db, &slug)
                    .await
                    .map_err(show_app_error)?
                    .ok_or_else(|| format!("no organisation with the short name \"{slug}\""))?;
                match cmd {
                    ConfigCommand::Export { out, .. } => {
                        let actor = app::services::config::operator(&db, &o, "mandate config export")
                            .await
                            .map_err(show_app_error)?;
                        let doc = app::services::config::export(&db, &actor).await.map_err(show_app_error)?;
                        match out {
                            Some(path) => std::fs::write(&path, doc.to_pretty_json())
                                .map_err(|e| format!("cannot write {}: {e}", path.display()))?,
                            None => print!("{}", doc.to_pretty_json()),
                        }
                    }
                    ConfigCommand::Import { dry_run, json, file, .. } => {
                        let text = if file.as_os_str() == "-" {
                            let mut s = String::new();
                            std::io::Read::read_to_string(&mut std::io::stdin(), &mut s)?;
                            s
                        } else {
                            std::fs::read_to_string(&file)
                                .map_err(|e| format!("cannot read {}: {e}", file.display()))?
                        };
                        let doc = app::domain::config::parse_document(&text).map_err(show_app_error)?;
                        let actor = app::services::config::operator(&db, &o, "mandate config import")
                            .await
                            .map_err(show_app_error)?;
                        let policy = app::services::stores::policy::PolicyCache::new();
                        let outcome = app::services::config::import(&db, &policy, &actor, doc, dry_run)
                            .await
                            .map_err(show_app_error)?;
                        if json {
                            println!("{}", serde_json::to_string_pretty(&outcome)?);
                        } else {
                            print_diff(&outcome);
                        }
                    }
                }
                Ok(ExitCode::SUCCESS)
            }
            Command::Audit(AuditCommand::Verify { json }) => {
                let db = connect_and_migrate(&config).await?;
                let reports = audit::verify_all(&db).await.map_err(show_app_error)?;
                let all_ok = reports.iter().all(|(_, r)| r.ok);
                if json {
                    let list: Vec<_> = reports
                        .iter()
                        .map(|(o, r)| serde_json::json!({"org": o.slug, "ok": r.ok, "events": r.events, "first_broken": r.first_broken}))
                        .collect();
                    println!("{}", serde_json::json!({"ok": all_ok, "orgs": list}));
                } else {
                    if reports.is_empty() {
                        println!("No organisations yet: nothing to verify.");
                    }
                    for (o, r) in &reports {
                        match &r.first_broken {
                            None => println!("{}: intact, {} events", o.slug, r.events),
                            Some(b) => println!(
                                "{}: BROKEN at event seq {}{}: {}",
                                o.slug,
                                b.seq,
                                b.event_id.map(|id| format!(" (id {id})")).unwrap_or_default(),
                                b.reason
                            ),
                        }
                    }
                }
                Ok(if all_ok { ExitCode::SUCCESS } else { ExitCode::from(1) })
            }
        }
    }
}
