//! Single sign-on with OpenID Connect (issue 15), the pure part: an org's provider settings
//! as the page and `PUT /api/v1/sso` send them and their validation, the view that never
//! carries the client secret, email domains, and every reason a sign-in through the provider
//! is refused with the sentence a person reads on the sign-in page.
//!
//! What must not live here: HTTP, tokens, keys, the database (`services::identity::{sso,
//! oidc}` do that).

use crate::domain::error::{AppError, Validator};
use serde::{Deserialize, Serialize};

/// New people are created on their first sign-in, with the default role.
pub const PROVISIONING_JIT: &str = "jit";
/// Only people already invited (or active) may sign in.
pub const PROVISIONING_INVITED: &str = "invited";

/// Where providers send people back, below the public URL (register it with the provider).
pub const CALLBACK_PATH: &str = "/auth/oidc/callback";
/// Where a sign-in through the provider starts (`?org=<short name>&next=`).
pub const START_PATH: &str = "/auth/oidc/start";

/// The scopes Mandate asks for.
pub const SCOPES: [&str; 3] = ["openid", "email", "profile"];

/// At most this many allowed domains.
pub const MAX_DOMAINS: usize = 50;

fn default_true() -> bool {
    true
}

fn default_provisioning() -> String {
    PROVISIONING_INVITED.to_string()
}

/// `PUT /api/v1/sso` and the `/org/sso` form: the whole configuration. The client secret is
/// write-only: left out (or empty) on a change, the stored one stays.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SsoConfigInput {
    /// The provider's name as people know it ("Okta"): the sign-in button says "Sign in with …".
    #[serde(default)]
    pub display_name: String,
    #[serde(default)]
    pub issuer_url: String,
    #[serde(default)]
    pub client_id: String,
    #[serde(default)]
    pub client_secret: Option<String>,
    #[serde(default)]
    pub allowed_domains: Vec<String>,
    /// jit | invited (default invited).
    #[serde(default = "default_provisioning")]
    pub provisioning: String,
    /// The role new people get under `jit` (at the whole organisation).
    #[serde(default)]
    pub default_role_id: Option<String>,
    /// Default true: saving a provider switches it on unless told otherwise.
    #[serde(default = "default_true")]
    pub enabled: bool,
    /// Password sign-in off for everyone but Owners (default false).
    #[serde(default)]
    pub password_sign_in_disabled: bool,
}

impl Default for SsoConfigInput {
    fn default() -> Self {
        SsoConfigInput {
            display_name: String::new(),
            issuer_url: String::new(),
            client_id: String::new(),
            client_secret: None,
            allowed_domains: Vec::new(),
            provisioning: default_provisioning(),
            default_role_id: None,
            enabled: true,
            password_sign_in_disabled: false,
        }
    }
}

/// The provider settings as the API and page show them: never the client secret.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SsoConfigView {
    pub configured: bool,
    pub display_name: Option<String>,
    pub issuer_url: Option<String>,
    pub client_id: Option<String>,
    pub client_secret_set: bool,
    pub allowed_domains: Vec<String>,
    pub provisioning: String,
    pub default_role_id: Option<String>,
    /// The default role's name, for the page.
    pub default_role_name: Option<String>,
    pub enabled: bool,
    pub password_sign_in_disabled: bool,
    /// The address to register with the provider as the redirect (callback) URL.
    pub redirect_url: String,
    /// A link that starts a sign-in through the provider for this org (to share or bookmark).
    pub sign_in_url: String,
    pub updated_at: Option<String>,
}

/// A role the default-role picker offers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleChoice {
    pub id: String,
    pub name: String,
}

/// What the sign-in page may know about an org's single sign-on before anyone signs in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SsoSignInOption {
    pub org_name: String,
    pub org_slug: String,
    pub provider_name: String,
    /// Password sign-in is for Owners only (break-glass).
    pub password_sign_in_disabled: bool,
    /// What the "Sign in with …" link starts with: the short name, or the work email the
    /// person typed (the provider then gets it as a login hint).
    pub start_with: String,
}

/// A message a refused single sign-on leaves for the sign-in page (kept in the session, shown
/// once), with the org it was for so the page can offer its provider again.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginNotice {
    pub message: String,
    pub org_slug: Option<String>,
}

/// What the sign-in page shows around its form: a message from a refused single sign-on,
/// and the provider of the org it is for (from `?org=`, a short name or a work email, or
/// from that message).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginContext {
    pub notice: Option<String>,
    pub sso: Option<SsoSignInOption>,
}

/// Splits what a person typed (commas, spaces or lines) into lower-case domains, without a
/// leading `@`, each once, in the order typed.
pub fn parse_domains(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for d in text.split(|c: char| c == ',' || c == ';' || c.is_whitespace()) {
        let d = d.trim().trim_start_matches('@').trim_end_matches('.').to_lowercase();
        if !d.is_empty() && !out.contains(&d) {
            out.push(d);
        }
    }
    out
}

/// A DNS name of at least two labels: letters, digits and hyphens (punycode for others).
pub fn check_domain(domain: &str) -> Result<(), String> {
    let bad = || Err(format!("\"{domain}\" is not a domain like example.com."));
    if domain.is_empty() || domain.len() > 253 || !domain.contains('.') {
        return bad();
    }
    for label in domain.split('.') {
        if label.is_empty()
            || label.len() > 63
            || label.starts_with('-')
            || label.ends_with('-')
            || !label.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        {
            return bad();
        }
    }
    Ok(())
}

/// The domain of an email address, lower-cased (None without an `@`).
pub fn email_domain(email: &str) -> Option<String> {
    let (local, domain) = email.trim().rsplit_once('@')?;
    (!local.is_empty() && !domain.is_empty()).then(|| domain.to_lowercase())
}

/// Whether `email`'s domain is one of `domains` (exactly: a subdomain is another domain).
pub fn domain_allowed(email: &str, domains: &[String]) -> bool {
    email_domain(email).is_some_and(|d| domains.contains(&d))
}

/// Whether `host` names this machine: the only hosts reached over plain http.
fn is_loopback(host: &str) -> bool {
    matches!(host, "localhost" | "127.0.0.1" | "[::1]")
}

/// The issuer URL: https (http only for a provider on this machine, for trying it out), a
/// host, no query or fragment.
pub fn check_issuer_url(url: &str) -> Result<(), String> {
    let msg = || {
        Err("Give the issuer URL exactly as your provider names it, like https://your-company.okta.com (https; http only for a provider on this machine).".to_string())
    };
    let url = url.trim();
    if url.len() > 2000 || url.contains(char::is_whitespace) || url.contains('?') || url.contains('#') {
        return msg();
    }
    let (scheme, rest) = match url.split_once("://") {
        Some(parts) => parts,
        None => return msg(),
    };
    let authority = rest.split('/').next().unwrap_or("");
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    if authority.contains('@') || host.is_empty() {
        return msg();
    }
    let host_only = if host.starts_with('[') {
        host.split_inclusive(']').next().unwrap_or(host)
    } else {
        host.split(':').next().unwrap_or(host)
    };
    match scheme {
        "https" => Ok(()),
        "http" if is_loopback(host_only) => Ok(()),
        _ => msg(),
    }
}

impl SsoConfigInput {
    /// Field errors naming each wrong input. `creating`: no secret is stored yet, so one
    /// must be given.
    pub fn check(&self, creating: bool) -> Result<(), AppError> {
        let mut v = Validator::new();
        let name = self.display_name.trim();
        v.check(
            !name.is_empty() && name.chars().count() <= 60,
            "display_name",
            "Give the provider's name as people know it (at most 60 characters), like Okta or Google.",
        );
        v.add("issuer_url", check_issuer_url(&self.issuer_url));
        let client_id = self.client_id.trim();
        v.check(
            !client_id.is_empty() && client_id.len() <= 500,
            "client_id",
            "Give the client id (application id) your provider shows for Mandate.",
        );
        match self.client_secret.as_deref().map(str::trim) {
            Some(s) if s.len() > 2000 => {
                v.check(false, "client_secret", "The client secret is too long (at most 2,000 characters).");
            }
            Some("") | None if creating => {
                v.check(false, "client_secret", "Give the client secret your provider shows for Mandate.");
            }
            _ => {}
        }
        if self.allowed_domains.is_empty() {
            v.check(false, "allowed_domains", "Name at least one email domain that may sign in, like example.com.");
        } else if self.allowed_domains.len() > MAX_DOMAINS {
            v.check(false, "allowed_domains", format!("Name at most {MAX_DOMAINS} domains."));
        } else {
            for d in &self.allowed_domains {
                v.add("allowed_domains", check_domain(d));
            }
        }
        v.check(
            self.provisioning == PROVISIONING_JIT || self.provisioning == PROVISIONING_INVITED,
            "provisioning",
            "Choose who may sign in: anyone at the allowed domains (added on first sign-in) or invited people only.",
        );
        if self.provisioning == PROVISIONING_JIT {
            v.check(
                self.default_role_id.as_deref().is_some_and(|r| !r.trim().is_empty()),
                "default_role_id",
                "Choose the role people get when they are added on their first sign-in.",
            );
        }
        v.finish()
    }

    /// The input as stored: trimmed, domains lower-cased and deduplicated.
    pub fn normalized(mut self) -> Self {
        self.display_name = self.display_name.trim().to_string();
        self.issuer_url = self.issuer_url.trim().to_string();
        self.client_id = self.client_id.trim().to_string();
        self.client_secret = self.client_secret.map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
        self.allowed_domains = parse_domains(&self.allowed_domains.join(" "));
        self.default_role_id = self.default_role_id.map(|r| r.trim().to_string()).filter(|r| !r.is_empty());
        self
    }
}

/// Why a sign-in through the provider was refused. `message` is what the sign-in page
/// shows; `reason` is what the audit event records. Neither carries an internal id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SignInRefusal {
    /// No single sign-on switched on for the org (or no such org).
    NotConfigured,
    /// The email belongs to several orgs with single sign-on: say which.
    AmbiguousOrg,
    /// The state is unknown: used already, expired, or never issued.
    StateUnknown,
    /// The state was not started in this browser.
    OtherBrowser,
    /// The provider answered with an error (the person cancelled, or it refused them).
    ProviderDeclined {
        provider: String,
    },
    /// The provider's discovery document, keys or token endpoint could not be reached or read.
    ProviderUnreachable {
        provider: String,
    },
    /// The token endpoint refused the code.
    CodeRefused {
        provider: String,
    },
    Signature,
    Audience,
    Issuer,
    Expired,
    Nonce,
    /// Another failed check of the ID token (algorithm, malformed claims).
    Unverified,
    NoEmail {
        provider: String,
    },
    EmailUnverified {
        email: String,
    },
    DomainNotAllowed {
        domain: String,
        org_name: String,
    },
    NotInvited {
        email: String,
        org_name: String,
    },
    Suspended {
        org_name: String,
    },
    /// Just-in-time provisioning has no default role to give.
    NoDefaultRole {
        org_name: String,
    },
}

impl SignInRefusal {
    pub fn message(&self) -> String {
        match self {
            SignInRefusal::NotConfigured => {
                "Single sign-on isn't switched on for that organisation. Sign in with your email and password, or check the organisation's short name.".into()
            }
            SignInRefusal::AmbiguousOrg => {
                "Your email belongs to several organisations that use single sign-on. Enter the short name of the one to sign in to.".into()
            }
            SignInRefusal::StateUnknown => "This sign-in link was already used or has expired. Start again.".into(),
            SignInRefusal::OtherBrowser => {
                "This sign-in was started in another browser or window, or its cookie was lost. Start again here.".into()
            }
            SignInRefusal::ProviderDeclined { provider } => {
                format!("{provider} did not sign you in (cancelled or refused). Start again, or ask your administrator.")
            }
            SignInRefusal::ProviderUnreachable { provider } => format!(
                "Mandate could not talk to {provider}. Try again in a moment; if it keeps happening, ask your administrator to check the single sign-on settings."
            ),
            SignInRefusal::CodeRefused { provider } => {
                format!("{provider} did not accept this sign-in (the code was refused). Start again.")
            }
            SignInRefusal::Signature => "Your identity provider's answer could not be verified (signature).".into(),
            SignInRefusal::Audience => {
                "Your identity provider's answer could not be verified (audience: it was issued for another application).".into()
            }
            SignInRefusal::Issuer => {
                "Your identity provider's answer could not be verified (issuer: it came from another provider).".into()
            }
            SignInRefusal::Expired => {
                "Your identity provider's answer has expired. Start again (and check that this server's clock is right).".into()
            }
            SignInRefusal::Nonce => {
                "Your identity provider's answer does not belong to this sign-in (nonce). Start again.".into()
            }
            SignInRefusal::Unverified => "Your identity provider's answer could not be verified.".into(),
            SignInRefusal::NoEmail { provider } => format!(
                "{provider} did not tell Mandate your email address. Ask your administrator to release the email claim to Mandate."
            ),
            SignInRefusal::EmailUnverified { email } => {
                format!("Your identity provider has not verified {email}, so it can't be used to sign in.")
            }
            SignInRefusal::DomainNotAllowed { domain, org_name } => {
                format!("Email addresses at {domain} can't sign in to {org_name}.")
            }
            SignInRefusal::NotInvited { email, org_name } => {
                format!("{email} has no account at {org_name}. Ask an administrator to invite you.")
            }
            SignInRefusal::Suspended { org_name } => {
                format!("Your account at {org_name} is suspended. Ask an administrator.")
            }
            SignInRefusal::NoDefaultRole { org_name } => format!(
                "{org_name} can't add people on their first sign-in right now (no role is set for them). Ask an administrator."
            ),
        }
    }

    /// The short reason recorded in the `auth.login_failed` event.
    pub fn reason(&self) -> &'static str {
        match self {
            SignInRefusal::NotConfigured => "not_configured",
            SignInRefusal::AmbiguousOrg => "ambiguous_org",
            SignInRefusal::StateUnknown => "state_unknown_or_used",
            SignInRefusal::OtherBrowser => "state_other_browser",
            SignInRefusal::ProviderDeclined { .. } => "provider_declined",
            SignInRefusal::ProviderUnreachable { .. } => "provider_unreachable",
            SignInRefusal::CodeRefused { .. } => "code_refused",
            SignInRefusal::Signature => "signature",
            SignInRefusal::Audience => "audience",
            SignInRefusal::Issuer => "issuer",
            SignInRefusal::Expired => "expired",
            SignInRefusal::Nonce => "nonce",
            SignInRefusal::Unverified => "unverified",
            SignInRefusal::NoEmail { .. } => "no_email",
            SignInRefusal::EmailUnverified { .. } => "email_unverified",
            SignInRefusal::DomainNotAllowed { .. } => "domain_not_allowed",
            SignInRefusal::NotInvited { .. } => "not_invited",
            SignInRefusal::Suspended { .. } => "suspended",
            SignInRefusal::NoDefaultRole { .. } => "no_default_role",
        }
    }

    /// The refusal as the error services return (UNAUTHENTICATED with the message).
    pub fn error(&self) -> AppError {
        AppError::unauthenticated_with(self.message())
    }
}

/// The refusal of a password sign-in while the org has switched it off (not an Owner).
pub fn password_sign_in_off_message(org_name: &str, provider: &str) -> String {
    format!(
        "{org_name} signs in with {provider}: use \u{201c}Sign in with {provider}\u{201d}. Password sign-in is kept for Owners only."
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domains_are_parsed_from_what_people_type() {
        assert_eq!(
            parse_domains(" Example.com, @sub.example.org\nexample.com;b.io. "),
            vec!["example.com", "sub.example.org", "b.io"]
        );
        assert!(parse_domains(" , ").is_empty());
    }

    #[test]
    fn domain_checks() {
        for ok in ["example.com", "a-b.example.co.uk", "xn--bcher-kva.example"] {
            assert!(check_domain(ok).is_ok(), "{ok}");
        }
        for bad in ["", "localhost", "-a.com", "a-.com", "a..com", "exa mple.com", "UPPER.com", "a_b.com"] {
            assert!(check_domain(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn email_domains_match_exactly() {
        let allowed = vec!["example.com".to_string()];
        assert!(domain_allowed("Ann@Example.COM", &allowed));
        assert!(!domain_allowed("ann@eu.example.com", &allowed));
        assert!(!domain_allowed("ann@example.com.evil.io", &allowed));
        assert!(!domain_allowed("example.com", &allowed));
        assert_eq!(email_domain("a@b@example.org").as_deref(), Some("example.org"));
    }

    #[test]
    fn issuer_urls() {
        for ok in [
            "https://acme.okta.com",
            "https://login.microsoftonline.com/0000-1111/v2.0",
            "https://accounts.google.com",
            "https://sso.example.com/realms/acme",
            "http://127.0.0.1:8080",
            "http://localhost:8080/realms/dev",
            "http://[::1]:9000",
        ] {
            assert!(check_issuer_url(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "acme.okta.com",
            "http://acme.okta.com",
            "ftp://x.example.com",
            "https://",
            "https://a.example.com/?x=1",
            "https://a.example.com/#x",
            "https://user@a.example.com",
            "http://localhost.evil.com",
            "http://127.evil.com",
        ] {
            assert!(check_issuer_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn input_errors_name_each_field() {
        let e = SsoConfigInput { provisioning: "anyone".into(), ..Default::default() }.check(true).unwrap_err();
        for f in ["display_name", "issuer_url", "client_id", "client_secret", "allowed_domains", "provisioning"] {
            assert!(e.field(f).is_some(), "{f}: {e:?}");
        }
        let jit = SsoConfigInput {
            display_name: "Okta".into(),
            issuer_url: "https://acme.okta.com".into(),
            client_id: "0oa1".into(),
            client_secret: None,
            allowed_domains: vec!["acme.com".into(), "bad domain".into()],
            provisioning: PROVISIONING_JIT.into(),
            ..Default::default()
        };
        let e = jit.check(false).unwrap_err();
        assert!(e.field("client_secret").is_none(), "a change keeps the stored secret");
        assert!(e.field("default_role_id").is_some());
        assert!(e.field("allowed_domains").is_some());
    }

    #[test]
    fn defaults_and_normalizing() {
        let input: SsoConfigInput = serde_json::from_str(r#"{"display_name":" Okta "}"#).unwrap();
        assert!(input.enabled);
        assert!(!input.password_sign_in_disabled);
        assert_eq!(input.provisioning, PROVISIONING_INVITED);
        assert!(serde_json::from_str::<SsoConfigInput>(r#"{"secret":"x"}"#).is_err(), "unknown fields refused");
        let n = SsoConfigInput {
            display_name: " Okta ".into(),
            client_secret: Some("  ".into()),
            allowed_domains: vec!["A.com".into(), "@a.com".into()],
            default_role_id: Some(" ".into()),
            ..Default::default()
        }
        .normalized();
        assert_eq!(n.display_name, "Okta");
        assert_eq!(n.client_secret, None);
        assert_eq!(n.allowed_domains, vec!["a.com"]);
        assert_eq!(n.default_role_id, None);
    }

    #[test]
    fn refusals_read_as_sentences_without_ids() {
        let r = SignInRefusal::DomainNotAllowed { domain: "example.org".into(), org_name: "Acme".into() };
        assert_eq!(r.message(), "Email addresses at example.org can't sign in to Acme.");
        assert_eq!(
            SignInRefusal::Signature.message(),
            "Your identity provider's answer could not be verified (signature)."
        );
        assert_eq!(
            SignInRefusal::StateUnknown.message(),
            "This sign-in link was already used or has expired. Start again."
        );
        assert_eq!(SignInRefusal::Expired.reason(), "expired");
    }
}
