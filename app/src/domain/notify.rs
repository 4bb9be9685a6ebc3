//! What Mandate tells people about, and how (§2 notifications): the kinds of notification,
//! the channels (in-app, email, SMS), each kind's default channels, a person's choices and
//! their validation, and the SMS provider's settings. Pure.

use super::error::{AppError, Validator};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub const CHANNELS: [&str; 3] = ["in_app", "email", "sms"];

/// A kind of notification: its key, its name and description in plain words, and the
/// channels it uses unless the person chose others.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Kind {
    pub key: &'static str,
    pub name: &'static str,
    pub description: &'static str,
    pub default_channels: &'static [&'static str],
}

pub const KINDS: [Kind; 6] = [
    Kind {
        key: "quota_alert",
        name: "Quota alerts",
        description: "A quota you manage reached one of its alert thresholds.",
        default_channels: &["in_app", "email"],
    },
    Kind {
        key: "unusual_activity",
        name: "Unusual activity",
        description: "A team, assistant or the organisation spent or acted far more than usual today.",
        default_channels: &["in_app", "email"],
    },
    Kind {
        key: "approval_waiting",
        name: "Approvals waiting",
        description: "An action is waiting for your approval.",
        default_channels: &["in_app"],
    },
    Kind {
        key: "action_failed",
        name: "Failed actions",
        description: "An action you could approve failed when it ran.",
        default_channels: &["in_app"],
    },
    Kind {
        key: "rule_paused",
        name: "Paused rules",
        description: "An automation rule of yours failed again and again and was switched off.",
        default_channels: &["in_app", "email"],
    },
    Kind {
        key: "monthly_report",
        name: "Monthly usage report",
        description: "Last month's spend and quota use (Owners only).",
        default_channels: &["email"],
    },
];

pub fn kind(key: &str) -> Option<&'static Kind> {
    KINDS.iter().find(|k| k.key == key)
}

/// A person's notification choices: channels per kind (a kind left out uses its defaults;
/// an empty list turns it off) and the mobile number SMS goes to.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotificationSettings {
    #[serde(default)]
    pub channels: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    pub sms_number: Option<String>,
}

impl NotificationSettings {
    /// The channels a kind uses for this person.
    pub fn channels_for(&self, key: &str) -> Vec<String> {
        match self.channels.get(key) {
            Some(c) => c.clone(),
            None => kind(key).map(|k| k.default_channels.iter().map(|s| s.to_string()).collect()).unwrap_or_default(),
        }
    }

    /// Checks kinds, channels and the number (E.164: + and 8 to 15 digits); names each field
    /// (`channels.quota_alert`, `sms_number`). SMS needs a number.
    pub fn checked(self) -> Result<NotificationSettings, AppError> {
        self.checked_with(true)
    }

    /// The same checks for a team's or the org's defaults, which hold no number (each person
    /// gives their own; SMS goes only to those who did).
    pub fn checked_defaults(self) -> Result<NotificationSettings, AppError> {
        self.checked_with(false)
    }

    fn checked_with(mut self, sms_needs_number: bool) -> Result<NotificationSettings, AppError> {
        let mut v = Validator::new();
        for (k, chans) in self.channels.iter_mut() {
            let at = format!("channels.{k}");
            if kind(k).is_none() {
                v.check(false, &at, format!("There is no kind of notification \"{k}\"."));
                continue;
            }
            chans.sort();
            chans.dedup();
            v.check(chans.iter().all(|c| CHANNELS.contains(&c.as_str())), &at, "Choose among in_app, email and sms.");
        }
        self.sms_number = self.sms_number.map(|n| n.replace([' ', '-', '(', ')'], "")).filter(|n| !n.is_empty());
        if let Some(n) = &self.sms_number {
            let digits = n.strip_prefix('+').unwrap_or("");
            v.check(
                (8..=15).contains(&digits.len()) && digits.chars().all(|c| c.is_ascii_digit()),
                "sms_number",
                "Give the mobile number in international form, like +49 151 23456789.",
            );
        }
        let wants_sms = self.channels.values().any(|c| c.iter().any(|x| x == "sms"));
        v.check(
            !sms_needs_number || !wants_sms || self.sms_number.is_some(),
            "sms_number",
            "Give the mobile number SMS should go to.",
        );
        v.finish()?;
        Ok(self)
    }
}

/// A kind of notification as the account page shows it: plain name, description and the
/// channels this person gets it on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KindChoice {
    pub key: String,
    pub name: String,
    pub description: String,
    pub channels: Vec<String>,
}

/// The account page's notification section: every kind with this person's channels, and
/// their mobile number.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotificationChoices {
    pub kinds: Vec<KindChoice>,
    pub sms_number: Option<String>,
}

impl NotificationChoices {
    pub fn of(settings: &NotificationSettings, kinds: &[Kind]) -> NotificationChoices {
        NotificationChoices {
            kinds: kinds
                .iter()
                .map(|k| KindChoice {
                    key: k.key.to_string(),
                    name: k.name.to_string(),
                    description: k.description.to_string(),
                    channels: settings.channels_for(k.key),
                })
                .collect(),
            sms_number: settings.sms_number.clone(),
        }
    }
}

/// A channel's name on the pages.
pub fn channel_name(channel: &str) -> &'static str {
    match channel {
        "in_app" => "In app",
        "email" => "Email",
        "sms" => "SMS",
        _ => "Other",
    }
}

/// `PUT /api/v1/sms-provider`: a Twilio-style provider (form post with basic auth). The
/// token is write-only: left out on a change, the stored one stays.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmsProviderInput {
    #[serde(default)]
    pub url: String,
    #[serde(default)]
    pub account_sid: String,
    #[serde(default)]
    pub from_number: String,
    #[serde(default)]
    pub auth_token: Option<String>,
}

/// The SMS provider as the API shows it (never the token).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SmsProviderView {
    pub configured: bool,
    pub url: Option<String>,
    pub account_sid: Option<String>,
    pub from_number: Option<String>,
    pub token_set: bool,
    pub updated_at: Option<String>,
}

impl SmsProviderInput {
    pub fn check(&self, creating: bool) -> Result<(), AppError> {
        let mut v = Validator::new();
        let url = self.url.trim();
        v.check(
            url.starts_with("https://") || url.starts_with("http://"),
            "url",
            "Give the provider's address, like https://api.twilio.com/2010-04-01/Accounts/AC…/Messages.json.",
        );
        v.check(
            !self.account_sid.trim().is_empty(),
            "account_sid",
            "Give the account id (the user of the basic auth).",
        );
        let from = self.from_number.trim();
        v.check(
            from.starts_with('+') && from.len() >= 9 && from[1..].chars().all(|c| c.is_ascii_digit()),
            "from_number",
            "Give the sending number in international form, like +15005550006.",
        );
        match self.auth_token.as_deref().map(str::trim) {
            Some(t) if t.len() < 8 => {
                v.check(false, "auth_token", "The token looks too short.");
            }
            None if creating => {
                v.check(false, "auth_token", "Give the provider's auth token.");
            }
            _ => {}
        }
        v.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn defaults_and_choices() {
        let s = NotificationSettings::default();
        assert_eq!(s.channels_for("quota_alert"), ["in_app", "email"]);
        let s: NotificationSettings = serde_json::from_value(
            json!({"channels": {"quota_alert": ["sms", "in_app", "sms"]}, "sms_number": "+49 151 2345 6789"}),
        )
        .unwrap();
        let s = s.checked().unwrap();
        assert_eq!(s.channels_for("quota_alert"), ["in_app", "sms"]);
        assert_eq!(s.sms_number.as_deref(), Some("+4915123456789"));
        assert_eq!(s.channels_for("approval_waiting"), ["in_app"]);
    }

    #[test]
    fn mistakes_are_named() {
        let s: NotificationSettings =
            serde_json::from_value(json!({"channels": {"gossip": ["in_app"], "quota_alert": ["pigeon"]}})).unwrap();
        let e = s.checked().unwrap_err();
        assert!(e.field("channels.gossip").is_some());
        assert!(e.field("channels.quota_alert").is_some());
        let s: NotificationSettings = serde_json::from_value(json!({"channels": {"quota_alert": ["sms"]}})).unwrap();
        assert!(s.checked().unwrap_err().field("sms_number").is_some());
        let p = SmsProviderInput { url: "ftp://x".into(), ..Default::default() };
        let e = p.check(true).unwrap_err();
        for f in ["url", "account_sid", "from_number", "auth_token"] {
            assert!(e.field(f).is_some(), "{f}");
        }
    }
}
