//! How pages write times, money, levels and status badges. Functions over the strings the
//! server sends (RFC 3339 times in UTC, decimal amounts as text); times read the signed-in
//! person's display preferences from context, nothing here reads signals or renders. A page that shows one of these things uses the function here, so
//! the same thing reads the same everywhere.

use crate::domain::catalog::Level;

/// An RFC 3339 time to the second: "2026-11-23 14:05:09", in the signed-in person's time
/// zone and date format (their preferences, from the shell's context; UTC and year first on
/// the public pages). Used where events are told apart by the second: the audit trail, the
/// change log, approvals, notifications, the overview.
pub fn time_to_second(t: &str) -> String {
    written(t, true).unwrap_or_else(|| t.get(..19).unwrap_or(t).replace('T', " "))
}

/// An RFC 3339 time to the minute: "2026-11-23 10:04", like `time_to_second`. Used for
/// people, sessions, keys and mail, where the second says nothing.
pub fn time_to_minute(t: &str) -> String {
    written(t, false).unwrap_or_else(|| t.get(..16).unwrap_or(t).replace('T', " "))
}

fn written(t: &str, seconds: bool) -> Option<String> {
    leptos::prelude::use_context::<crate::api::auth::CurrentUser>()?.display.write(t, seconds)
}

/// "1,120.00 EUR" (always two decimals, grouped and marked as the signed-in person's locale
/// writes numbers: "1.120,00 EUR" in German), the amount alone without a currency, or "—"
/// without an amount. Text that is not a number is shown as it came.
pub fn money(amount: &Option<String>, currency: &str) -> String {
    let Some(a) = amount else { return "—".into() };
    let a = match a.parse() {
        Ok(n) => {
            let plain = crate::domain::policy::money(n);
            match leptos::prelude::use_context::<crate::api::auth::CurrentUser>() {
                Some(u) => u.display.number(&plain),
                None => plain,
            }
        }
        Err(_) => a.clone(),
    };
    if currency.is_empty() {
        a
    } else {
        format!("{a} {currency}")
    }
}

/// A lower-case word with its first letter upper-cased ("executed" → "Executed").
pub fn capitalised(word: &str) -> String {
    let mut label = word.to_string();
    if let Some(first) = label.get_mut(..1) {
        first.make_ascii_uppercase();
    }
    label
}

/// A level in full, as the audit pages write it: "organisation", "store", "assistant".
pub fn level_name(l: Level) -> &'static str {
    match l {
        Level::Org => "organisation",
        Level::Store => "store",
        Level::Assistant => "assistant",
    }
}

/// A level in short, as the Try it trace badges write it: "org", "store", "assistant".
pub fn level_short_name(l: Level) -> &'static str {
    match l {
        Level::Org => "org",
        Level::Store => "store",
        Level::Assistant => "assistant",
    }
}

/// A decision ("allow", "confirm", "deny") in plain words, with its badge class.
pub fn decision_badge(decision: &str) -> (&'static str, &'static str) {
    match decision {
        "allow" => ("Allowed", "badge badge-ok"),
        "confirm" => ("Needs confirmation", "badge badge-invited"),
        "deny" => ("Refused", "badge badge-bad"),
        _ => ("Unknown", "badge badge-muted"),
    }
}

/// An action's status ("executed", "pending", …) capitalised, with its badge class.
pub fn action_status_badge(status: &str) -> (String, &'static str) {
    let class = match status {
        "executed" => "badge badge-ok",
        "pending" | "confirmed" => "badge badge-invited",
        "failed" | "denied" => "badge badge-bad",
        _ => "badge badge-muted",
    };
    (capitalised(status), class)
}

/// A task's status in words (`domain::inbox::task_status_label`), with its badge class.
pub fn task_status_badge(status: &str) -> (&'static str, &'static str) {
    let class = match status {
        "done" => "badge badge-ok",
        "in_progress" => "badge badge-invited",
        "cancelled" => "badge badge-muted",
        _ => "badge",
    };
    (crate::domain::inbox::task_status_label(status), class)
}

/// A notification's severity in words (`domain::inbox::severity_label`), with its badge class.
pub fn severity_badge(severity: &str) -> (&'static str, &'static str) {
    let class = match severity {
        "critical" => "badge badge-bad",
        "warning" => "badge badge-invited",
        _ => "badge badge-muted",
    };
    (crate::domain::inbox::severity_label(severity), class)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_cut_to_the_second_or_the_minute() {
        let t = "2026-11-23T14:05:09.123456Z";
        assert_eq!(time_to_second(t), "2026-11-23 14:05:09");
        assert_eq!(time_to_minute(t), "2026-11-23 14:05");
        assert_eq!(time_to_second("soon"), "soon");
        assert_eq!(time_to_minute("2026-11-23"), "2026-11-23");
    }

    #[test]
    fn money_shows_two_decimals_and_the_currency() {
        assert_eq!(money(&Some("120".into()), "EUR"), "120.00 EUR");
        assert_eq!(money(&Some("25.5".into()), ""), "25.50");
        assert_eq!(money(&Some("not a number".into()), "EUR"), "not a number EUR");
        assert_eq!(money(&None, "EUR"), "—");
    }

    #[test]
    fn badges_say_the_status_in_words() {
        assert_eq!(action_status_badge("executed"), ("Executed".to_string(), "badge badge-ok"));
        assert_eq!(action_status_badge(""), (String::new(), "badge badge-muted"));
        assert_eq!(decision_badge("deny"), ("Refused", "badge badge-bad"));
        assert_eq!(level_name(Level::Org), "organisation");
        assert_eq!(level_short_name(Level::Org), "org");
    }
}
