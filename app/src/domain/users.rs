//! People as the pages and the API see them (users, invitations, the email outbox, the
//! account page), and the pure rules around them: list cursors, how long emailed links
//! stay valid, the outbox's retry schedule and the text of the emails Mandate sends.
//!
//! Pure: the services layer fills these from the database; no I/O here.

use chrono::Duration;
use serde::{Deserialize, Serialize};

/// `user_tokens.kind` of an invitation link.
pub const TOKEN_INVITE: &str = "invite";
/// `user_tokens.kind` of a password-reset link.
pub const TOKEN_PASSWORD_RESET: &str = "password_reset";

/// An invitation link works for this long.
pub fn invite_validity() -> Duration {
    Duration::days(7)
}

/// A password-reset link works for this long.
pub fn reset_validity() -> Duration {
    Duration::hours(1)
}

/// A user's status (`users.status`).
pub const STATUSES: [&str; 3] = ["invited", "active", "suspended"];

/// One role a person holds, and where.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq, Hash)]
pub struct RoleHeld {
    pub role_id: String,
    pub role_name: String,
    /// org | team | store
    pub scope_type: String,
    /// The team or store id; None for the org.
    pub scope_id: Option<String>,
    /// The team's name, when the scope is a team.
    pub scope_name: Option<String>,
}

impl RoleHeld {
    /// "Owner" at the org, "Viewer (team Support)" elsewhere.
    pub fn label(&self) -> String {
        match (self.scope_type.as_str(), &self.scope_name, &self.scope_id) {
            ("org", _, _) => self.role_name.clone(),
            (kind, Some(name), _) => format!("{} ({kind} {name})", self.role_name),
            (kind, None, Some(id)) => format!("{} ({kind} {id})", self.role_name),
            (kind, None, None) => format!("{} ({kind})", self.role_name),
        }
    }
}

/// A user as lists, the detail view and the REST API show them. Never a password hash,
/// token or MFA secret.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq, Hash)]
pub struct UserView {
    pub id: String,
    pub email: String,
    pub display_name: String,
    /// invited | active | suspended
    pub status: String,
    pub team_id: Option<String>,
    pub team_name: Option<String>,
    pub roles: Vec<RoleHeld>,
    pub mfa_enabled: bool,
    /// RFC 3339, UTC.
    pub last_login_at: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

/// A person's own page (`/org/users/:id`): who they are, and whether the viewer may read
/// their spend (`usage.read` where they belong, or it is the viewer themself).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct PersonDetail {
    pub user: UserView,
    pub can_read_usage: bool,
    /// The viewer is this person.
    pub is_self: bool,
}

/// A page of the org's people.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct UserPage {
    pub users: Vec<UserView>,
    /// Pass back as `cursor` for the next page; None on the last page.
    pub next_cursor: Option<String>,
    /// Whether the viewer may invite, edit, suspend and delete (`users.manage` at the org).
    /// The server checks again on every change.
    pub can_manage: bool,
}

/// A choice in a select: id and what to show.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Choice {
    pub id: String,
    pub name: String,
}

/// What the invite and edit forms offer: the org's roles and teams.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct UserFormOptions {
    pub roles: Vec<Choice>,
    pub teams: Vec<Choice>,
}

/// What the invitation page shows before the person sets a password.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct InviteInfo {
    pub email: String,
    pub display_name: String,
    pub org_name: String,
}

/// Delivery state of an outbox email.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum MailStatus {
    /// Not sent yet (never tried, no SMTP configured, or retrying after an error).
    Pending,
    Sent,
    /// Given up: a permanent SMTP error, or too many failed attempts.
    Failed,
}

impl MailStatus {
    pub fn label(self) -> &'static str {
        match self {
            MailStatus::Pending => "pending",
            MailStatus::Sent => "sent",
            MailStatus::Failed => "failed",
        }
    }
}

/// After this many failed attempts an email is not tried again.
pub const MAIL_MAX_ATTEMPTS: i32 = 8;

/// The status of an outbox row from its columns.
pub fn mail_status(sent: bool, attempts: i32) -> MailStatus {
    if sent {
        MailStatus::Sent
    } else if attempts >= MAIL_MAX_ATTEMPTS {
        MailStatus::Failed
    } else {
        MailStatus::Pending
    }
}

/// How long to wait before the next attempt after `attempts` failed ones: 30 s, 1 min,
/// 2 min, … doubling, at most one hour.
pub fn retry_delay(attempts: i32) -> Duration {
    let exp = attempts.clamp(1, 12) - 1;
    let secs = 30i64 * (1i64 << exp);
    Duration::seconds(secs.min(3600))
}

/// One email in the outbox, as the admin page shows it (the body with its link, so an
/// install without SMTP can still hand links over).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct OutboxItem {
    pub id: String,
    pub to_email: String,
    pub subject: String,
    pub body: String,
    pub created_at: String,
    pub sent_at: Option<String>,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub status: MailStatus,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct OutboxPage {
    pub items: Vec<OutboxItem>,
    pub next_cursor: Option<String>,
    /// Whether an SMTP server is configured (else mail only waits here).
    pub smtp_configured: bool,
}

/// One signed-in session of the account's owner.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct SessionView {
    /// When the person signed in (RFC 3339), when the session records it.
    pub signed_in_at: Option<String>,
    /// When it ends if unused.
    pub expires_at: String,
    /// The session this request came from.
    pub current: bool,
}

/// The account page: the signed-in person and their sessions.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct AccountView {
    pub id: String,
    pub email: String,
    pub display_name: String,
    pub org_name: String,
    pub roles: Vec<String>,
    pub mfa_enabled: bool,
    pub last_login_at: Option<String>,
    pub sessions: Vec<SessionView>,
}

/// The list position after a user: opaque to clients (hex of `email \n id`).
pub fn encode_user_cursor(email: &str, id: &str) -> String {
    hex::encode(format!("{email}\n{id}"))
}

/// Reads a cursor made by `encode_user_cursor`; None when it is not one.
pub fn decode_user_cursor(cursor: &str) -> Option<(String, String)> {
    let bytes = hex::decode(cursor.trim()).ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let (email, id) = text.split_once('\n')?;
    (!email.is_empty() && !id.is_empty()).then(|| (email.to_string(), id.to_string()))
}

/// The search text of the people list: trimmed, lower-cased, at most 100 characters.
pub fn normalize_search(q: &str) -> Option<String> {
    let q: String = q.trim().to_lowercase().chars().take(100).collect();
    (!q.is_empty()).then_some(q)
}

/// The invitation email: plain text with the full link.
pub fn invite_email(org_name: &str, invited_by: &str, link: &str) -> (String, String) {
    let subject = format!("You are invited to {org_name} on Mandate");
    let body = format!(
        "Hello,\n\n{invited_by} invited you to join {org_name} on Mandate.\n\n\
         Open this link to choose your password and sign in:\n\n{link}\n\n\
         The link works once and expires in 7 days. If you did not expect this invitation, ignore this email.\n"
    );
    (subject, body)
}

/// The email telling someone an administrator reset their two-step sign-in.
pub fn mfa_reset_email(org_name: &str, reset_by: &str, sign_in_link: &str, org_requires_mfa: bool) -> (String, String) {
    let subject = format!("Your two-step sign-in for {org_name} was reset");
    let next = if org_requires_mfa {
        "Your organisation requires two-step sign-in, so you will set it up again with your authenticator app right after you sign in."
    } else {
        "You can set it up again with your authenticator app on your account page after you sign in."
    };
    let body = format!(
        "Hello,\n\n{reset_by} reset the two-step sign-in of your account in {org_name} on Mandate. \
         Your old authenticator entry and recovery codes no longer work, and you were signed out everywhere.\n\n\
         Sign in here:\n\n{sign_in_link}\n\n{next}\n\n\
         If you did not ask for this, tell your administrator at once.\n"
    );
    (subject, body)
}

/// The password-reset email: plain text with the full link.
pub fn reset_email(org_name: &str, link: &str) -> (String, String) {
    let subject = "Reset your Mandate password".to_string();
    let body = format!(
        "Hello,\n\nSomeone (hopefully you) asked to reset the password of your account in {org_name} on Mandate.\n\n\
         Open this link to choose a new password:\n\n{link}\n\n\
         The link works once and expires in 1 hour. If you did not ask for this, ignore this email: your password stays as it is.\n"
    );
    (subject, body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_reject_garbage() {
        let c = encode_user_cursor("ada@example.com", "0190-abc");
        assert_eq!(decode_user_cursor(&c), Some(("ada@example.com".into(), "0190-abc".into())));
        assert_eq!(decode_user_cursor("zz"), None);
        assert_eq!(decode_user_cursor(&hex::encode("no-newline")), None);
        assert_eq!(decode_user_cursor(""), None);
    }

    #[test]
    fn retry_delay_doubles_up_to_an_hour() {
        assert_eq!(retry_delay(1), Duration::seconds(30));
        assert_eq!(retry_delay(2), Duration::seconds(60));
        assert_eq!(retry_delay(3), Duration::seconds(120));
        assert_eq!(retry_delay(8), Duration::seconds(3600));
        assert_eq!(retry_delay(100), Duration::seconds(3600));
        assert_eq!(retry_delay(0), Duration::seconds(30));
        for n in 1..20 {
            assert!(retry_delay(n) <= retry_delay(n + 1));
        }
    }

    #[test]
    fn mail_status_from_columns() {
        assert_eq!(mail_status(true, 3), MailStatus::Sent);
        assert_eq!(mail_status(false, 0), MailStatus::Pending);
        assert_eq!(mail_status(false, MAIL_MAX_ATTEMPTS - 1), MailStatus::Pending);
        assert_eq!(mail_status(false, MAIL_MAX_ATTEMPTS), MailStatus::Failed);
    }

    #[test]
    fn emails_carry_the_full_link() {
        let (subject, body) = invite_email("Acme", "Ada", "https://m.example.com/invite/abc");
        assert!(subject.contains("Acme"));
        assert!(body.contains("https://m.example.com/invite/abc\n"));
        let (_, body) = reset_email("Acme", "https://m.example.com/reset-password/xyz");
        assert!(body.contains("https://m.example.com/reset-password/xyz\n"));
    }

    #[test]
    fn role_labels() {
        let mut r = RoleHeld {
            role_id: "role-owner".into(),
            role_name: "Owner".into(),
            scope_type: "org".into(),
            scope_id: None,
            scope_name: None,
        };
        assert_eq!(r.label(), "Owner");
        r.scope_type = "team".into();
        r.scope_id = Some("t1".into());
        r.scope_name = Some("Support".into());
        assert_eq!(r.label(), "Owner (team Support)");
    }

    #[test]
    fn search_is_normalised() {
        assert_eq!(normalize_search("  Ada "), Some("ada".into()));
        assert_eq!(normalize_search("   "), None);
        assert_eq!(normalize_search(&"x".repeat(300)).map(|s| s.len()), Some(100));
    }
}
