//! The outbox sender: when `MANDATE_SMTP_URL` is set, a background task delivers queued
//! email (`app::services::org::outbox`) through SMTP with lettre (rustls, no OpenSSL), records
//! `sent_at` / `attempts` / `last_error`, and retries failures with back-off
//! (`domain::users::retry_delay`) until `MAIL_MAX_ATTEMPTS`. A permanent SMTP refusal (5xx)
//! is not retried. Without SMTP nothing is sent: the mail waits in the outbox, readable at
//! /org/outbox.
//!
//! Several app servers may run this at once: each message is claimed with a lease by one
//! conditional update before it is sent.

use crate::config::Config;
use app::domain::AppError;
use app::services::{infra::db, org::outbox};
use lettre::message::header::ContentType;
use lettre::message::Mailbox;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use sea_orm::DatabaseConnection;
use std::time::Duration;

/// How often the sender looks for due mail.
pub const POLL_EVERY: Duration = Duration::from_secs(3);
/// Messages claimed per round.
const BATCH: u64 = 20;

/// Why one message could not be sent.
#[derive(Debug)]
pub struct SendFailure {
    pub message: String,
    /// The server refused the message for good (5xx, a malformed address): do not retry.
    pub permanent: bool,
}

/// An SMTP connection pool and the sender address.
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailer").field("from", &self.from.to_string()).finish_non_exhaustive()
    }
}

impl Mailer {
    /// `smtp_url`: smtp://[user:pass@]host[:port][?tls=required|opportunistic] or
    /// smtps://…; `from`: "Name <address>" or a bare address.
    pub fn new(smtp_url: &str, from: &str) -> Result<Mailer, AppError> {
        let from: Mailbox = from
            .parse()
            .map_err(|e| AppError::validation(format!("MANDATE_MAIL_FROM is not a valid sender address ({e}).")))?;
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(smtp_url)
            .map_err(|e| AppError::validation(format!("MANDATE_SMTP_URL is not a usable SMTP URL ({e}).")))?
            .timeout(Some(Duration::from_secs(30)))
            .build();
        Ok(Mailer { transport, from })
    }

    /// Sends one plain-text email.
    pub async fn send(&self, to: &str, subject: &str, body: &str) -> Result<(), SendFailure> {
        let to: Mailbox = to
            .parse()
            .map_err(|e| SendFailure { message: format!("invalid recipient address: {e}"), permanent: true })?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject)
            .header(ContentType::TEXT_PLAIN)
            .body(body.to_string())
            .map_err(|e| SendFailure { message: format!("could not build the message: {e}"), permanent: true })?;
        self.transport
            .send(message)
            .await
            .map(|_| ())
            .map_err(|e| SendFailure { message: e.to_string(), permanent: e.is_permanent() })
    }
}

/// Sends what is due now, one batch; returns (sent, failed).
pub async fn deliver_due(db: &DatabaseConnection, mailer: &Mailer, limit: u64) -> Result<(usize, usize), AppError> {
    let due = outbox::claim_due(db, db::now(), limit).await?;
    let (mut sent, mut failed) = (0, 0);
    for m in due {
        match mailer.send(&m.to_email, &m.subject, &m.body).await {
            Ok(()) => {
                outbox::mark_sent(db, &m.id, db::now()).await?;
                tracing::info!(id = %m.id, to = %m.to_email, "email sent");
                sent += 1;
            }
            Err(e) => {
                tracing::warn!(id = %m.id, to = %m.to_email, error = %e.message, permanent = e.permanent, "email not sent");
                outbox::mark_failed(db, &m.id, &e.message, e.permanent, db::now()).await?;
                failed += 1;
            }
        }
    }
    Ok((sent, failed))
}

/// Starts the sender when SMTP is configured. A bad SMTP URL or sender stops start-up with
/// a message naming the setting.
pub fn start(config: &Config, db: DatabaseConnection) -> Result<(), AppError> {
    let Some(url) = config.smtp_url.as_deref().filter(|u| !u.trim().is_empty()) else {
        tracing::info!("MANDATE_SMTP_URL is not set: email stays in the outbox (admins read it at /org/outbox)");
        return Ok(());
    };
    let mailer = Mailer::new(url, &config.mail_from)?;
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(POLL_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            // Drain: keep going while whole batches come back.
            loop {
                match deliver_due(&db, &mailer, BATCH).await {
                    Ok((sent, failed)) if (sent + failed) as u64 == BATCH => continue,
                    Ok(_) => break,
                    Err(e) => {
                        tracing::warn!(error = %e, "outbox sender could not read the outbox");
                        break;
                    }
                }
            }
        }
    });
    Ok(())
}
