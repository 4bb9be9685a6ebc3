//! Preferences of the org, a team or a person (DESIGN.md §2 `preferences`): what each may
//! set (a JSON Schema per entity type, unknown keys refused), the choices offered, and how
//! values are inherited org → teams (top first) → person, each effective value with where
//! it came from. Pure: the services layer loads the layers and validates with the schema.

use crate::domain::notify::{CHANNELS, KINDS};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

pub const ENTITY_TYPES: [&str; 3] = ["org", "team", "user"];

/// Languages and regions: how numbers and dates read (the pages are in English).
pub const LOCALES: [(&str, &str); 6] = [
    ("en-GB", "English (United Kingdom)"),
    ("en-US", "English (United States)"),
    ("de-DE", "German (Germany)"),
    ("fr-FR", "French (France)"),
    ("es-ES", "Spanish (Spain)"),
    ("nl-NL", "Dutch (Netherlands)"),
];

/// Date formats, each with an example.
pub const DATE_FORMATS: [(&str, &str); 4] =
    [("iso", "2026-12-31 (year first)"), ("dmy", "31.12.2026"), ("dmy_slash", "31/12/2026"), ("mdy", "12/31/2026")];

/// The overview's sections, in their default order.
pub const OVERVIEW_SECTIONS: [(&str, &str); 7] = [
    ("waiting", "Waiting for approval"),
    ("quotas", "Quota use"),
    ("summary", "Summary (people, keys, audit trail)"),
    ("recent_actions", "Recent actions"),
    ("recent_denials", "Recent denials"),
    ("next_steps", "What to do next"),
    ("recent_activity", "Recent activity"),
];

/// One preference: its key in `settings_json`, its name and what it does in plain words,
/// and who may set it.
#[derive(Clone, Copy, Debug)]
pub struct PrefDef {
    pub key: &'static str,
    pub name: &'static str,
    pub description: &'static str,
    pub entity_types: &'static [&'static str],
}

pub const PREFS: [PrefDef; 6] = [
    PrefDef {
        key: "locale",
        name: "Language and region",
        description: "How numbers and dates are written.",
        entity_types: &["org", "team", "user"],
    },
    PrefDef {
        key: "date_format",
        name: "Date format",
        description: "How dates are written on the pages.",
        entity_types: &["org", "team", "user"],
    },
    PrefDef {
        key: "time_zone",
        name: "Time zone",
        description:
            "The clock times on the pages are shown in. The organisation's own time zone is part of its profile.",
        entity_types: &["team", "user"],
    },
    PrefDef {
        key: "default_store_id",
        name: "Default store",
        description: "The store the pages open first.",
        entity_types: &["org", "team", "user"],
    },
    PrefDef {
        key: "overview_sections",
        name: "Overview",
        description: "The sections of the overview page and their order.",
        entity_types: &["org", "team", "user"],
    },
    PrefDef {
        key: "notifications",
        name: "Notification channels",
        description: "How each kind of notification reaches people, unless they choose otherwise.",
        entity_types: &["org", "team", "user"],
    },
];

pub fn pref(key: &str) -> Option<&'static PrefDef> {
    PREFS.iter().find(|p| p.key == key)
}

/// The JSON Schema of an entity type's `settings_json`: every object closed
/// (`additionalProperties: false`), so an unknown key is refused by name.
pub fn schema(entity_type: &str) -> Value {
    let enum_of = |pairs: &[(&str, &str)]| Value::Array(pairs.iter().map(|(k, _)| json!(k)).collect());
    let channels = json!({"type": "array", "items": {"enum": CHANNELS}, "uniqueItems": true});
    let kinds: Map<String, Value> = KINDS.iter().map(|k| (k.key.to_string(), channels.clone())).collect();
    let mut notifications = json!({
        "type": "object",
        "additionalProperties": false,
        "properties": {"channels": {"type": "object", "additionalProperties": false, "properties": kinds}}
    });
    if entity_type == "user" {
        notifications["properties"]["sms_number"] = json!({"type": ["string", "null"], "maxLength": 20});
    }
    let all: Map<String, Value> = [
        ("locale", json!({"enum": enum_of(&LOCALES)})),
        ("date_format", json!({"enum": enum_of(&DATE_FORMATS)})),
        ("time_zone", json!({"type": "string", "minLength": 1, "maxLength": 64})),
        ("default_store_id", json!({"type": "string", "minLength": 1, "maxLength": 36})),
        (
            "overview_sections",
            json!({"type": "array", "items": {"enum": enum_of(&OVERVIEW_SECTIONS)}, "uniqueItems": true}),
        ),
        ("notifications", notifications),
    ]
    .into_iter()
    .filter(|(k, _)| pref(k).is_some_and(|p| p.entity_types.contains(&entity_type)))
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": format!("Preferences of a {}", match entity_type { "org" => "organisation", "team" => "team", _ => "person" }),
        "type": "object",
        "additionalProperties": false,
        "properties": all,
    })
}

/// Where an effective value comes from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Source {
    /// org | team | user | profile (the org's profile) | default (Mandate's own)
    pub entity_type: String,
    pub entity_id: Option<String>,
    /// In words: "the organisation", "team “Support”", "you", "Mandate's default".
    pub name: String,
}

/// One effective value: `key` is a preference key, or `notifications.<kind>` for one kind's
/// channels (each kind is inherited on its own), or `sms_number`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Effective {
    pub key: String,
    pub value: Value,
    pub source: Source,
}

/// An entity's preferences as `GET /api/v1/preferences/{type}/{id}` and the pages show them:
/// what it set itself, and every value in effect for it with its source.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PreferencesView {
    pub entity_type: String,
    pub entity_id: String,
    /// The entity's own `settings_json`.
    pub settings: Value,
    pub effective: Vec<Effective>,
    /// The viewer may change them.
    pub can_edit: bool,
}

/// What a preferences form offers: the stores (id, name) and time zones to pick from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PreferencesForm {
    pub view: PreferencesView,
    pub stores: Vec<(String, String)>,
    pub time_zones: Vec<String>,
}

/// The leaf keys resolved for an entity type, in the order the pages list them.
pub fn leaf_keys(entity_type: &str) -> Vec<String> {
    let mut out: Vec<String> = ["locale", "date_format", "time_zone", "default_store_id", "overview_sections"]
        .into_iter()
        .map(str::to_string)
        .collect();
    out.extend(KINDS.iter().map(|k| format!("notifications.{}", k.key)));
    if entity_type == "user" {
        out.push("sms_number".into());
    }
    out
}

/// A leaf's value inside one layer's settings, if set there.
fn leaf<'a>(settings: &'a Value, key: &str) -> Option<&'a Value> {
    let v = match key.split_once('.') {
        Some(("notifications", kind)) => settings.get("notifications")?.get("channels")?.get(kind)?,
        None if key == "sms_number" => settings.get("notifications")?.get("sms_number")?,
        _ => settings.get(key)?,
    };
    (!v.is_null()).then_some(v)
}

/// The built-in value of a leaf when nobody set it (the org's time zone comes from its
/// profile, passed in as `org_time_zone`).
fn builtin(key: &str, org_time_zone: &str) -> (Value, Source) {
    let default =
        |v: Value| (v, Source { entity_type: "default".into(), entity_id: None, name: "Mandate's default".into() });
    match key {
        "locale" => default(json!("en-GB")),
        "date_format" => default(json!("iso")),
        "time_zone" => (
            json!(org_time_zone),
            Source { entity_type: "profile".into(), entity_id: None, name: "the organisation's profile".into() },
        ),
        "overview_sections" => default(Value::Array(OVERVIEW_SECTIONS.iter().map(|(k, _)| json!(k)).collect())),
        k => match k.strip_prefix("notifications.").and_then(crate::domain::notify::kind) {
            Some(kind) => default(json!(kind.default_channels)),
            None => default(Value::Null),
        },
    }
}

/// Resolves every leaf: the most specific layer that sets it wins. `layers` run from the
/// most general (the org) to the most specific (the entity itself), each with its source.
pub fn resolve(entity_type: &str, layers: &[(Source, Value)], org_time_zone: &str) -> Vec<Effective> {
    leaf_keys(entity_type)
        .into_iter()
        .map(|key| {
            let found =
                layers.iter().rev().find_map(|(src, settings)| leaf(settings, &key).map(|v| (v.clone(), src.clone())));
            let (value, source) = found.unwrap_or_else(|| builtin(&key, org_time_zone));
            Effective { key, value, source }
        })
        .collect()
}

/// The effective value of `key` in a resolved list.
pub fn value_of<'a>(effective: &'a [Effective], key: &str) -> Option<&'a Value> {
    effective.iter().find(|e| e.key == key).map(|e| &e.value).filter(|v| !v.is_null())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn src(t: &str, name: &str) -> Source {
        Source { entity_type: t.into(), entity_id: Some(format!("{t}-1")), name: name.into() }
    }

    #[test]
    fn the_nearest_layer_wins_and_says_where_it_came_from() {
        let layers = vec![
            (
                src("org", "the organisation"),
                json!({"locale": "de-DE", "date_format": "dmy",
                "notifications": {"channels": {"quota_alert": ["email"]}}}),
            ),
            (src("team", "team “Support”"), json!({"date_format": "mdy", "time_zone": "Europe/Paris"})),
            (
                src("user", "you"),
                json!({"notifications": {"channels": {"approval_waiting": ["sms"]}, "sms_number": "+4915123456789"}}),
            ),
        ];
        let e = resolve("user", &layers, "Europe/Berlin");
        let get = |k: &str| e.iter().find(|x| x.key == k).unwrap();
        assert_eq!((get("locale").value.clone(), get("locale").source.entity_type.as_str()), (json!("de-DE"), "org"));
        assert_eq!(
            (get("date_format").value.clone(), get("date_format").source.name.as_str()),
            (json!("mdy"), "team “Support”")
        );
        assert_eq!(get("time_zone").value, json!("Europe/Paris"));
        assert_eq!(get("notifications.quota_alert").value, json!(["email"]));
        assert_eq!(get("notifications.approval_waiting").source.entity_type, "user");
        assert_eq!(get("notifications.rule_paused").source.entity_type, "default");
        assert_eq!(get("sms_number").value, json!("+4915123456789"));
        // Nobody set a time zone: the org's profile.
        let e = resolve("team", &layers[..1], "Europe/Berlin");
        let tz = e.iter().find(|x| x.key == "time_zone").unwrap();
        assert_eq!((tz.value.clone(), tz.source.entity_type.as_str()), (json!("Europe/Berlin"), "profile"));
        assert!(e.iter().all(|x| x.key != "sms_number"), "people only");
    }

    #[test]
    fn each_entity_type_gets_its_own_closed_schema() {
        let org = schema("org");
        assert_eq!(org["additionalProperties"], json!(false));
        assert!(org["properties"].get("time_zone").is_none(), "the org's time zone is its profile's");
        assert!(org["properties"]["notifications"]["properties"].get("sms_number").is_none());
        let user = schema("user");
        assert!(user["properties"]["notifications"]["properties"].get("sms_number").is_some());
        assert_eq!(user["properties"]["notifications"]["properties"]["channels"]["additionalProperties"], json!(false));
    }
}

/// How the pages write a signed-in person's times: their effective date format and time
/// zone, with the zone's UTC offsets as `(from, offset)` pairs (Unix seconds from which the
/// offset in seconds applies, ascending), worked out on the server for the years around now
/// so the browser needs no time-zone database and writes exactly what the server wrote.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct DisplayPrefs {
    pub date_format: String,
    pub time_zone: String,
    pub offsets: Vec<(i64, i32)>,
    /// The effective locale (`LOCALES`): how amounts are written. Empty on public pages.
    #[serde(default)]
    pub locale: String,
}

impl DisplayPrefs {
    /// The offset in force at `at` (Unix seconds); before the first known change, the first.
    pub fn offset_at(&self, at: i64) -> i32 {
        match self.offsets.partition_point(|(from, _)| *from <= at) {
            0 => self.offsets.first().map(|o| o.1).unwrap_or(0),
            i => self.offsets[i - 1].1,
        }
    }

    /// An RFC 3339 time in the person's zone and date format, to the minute or the second;
    /// text that is not a time comes back as it was.
    pub fn write(&self, t: &str, seconds: bool) -> Option<String> {
        let utc = chrono::DateTime::parse_from_rfc3339(t).ok()?.with_timezone(&chrono::Utc);
        let offset = chrono::FixedOffset::east_opt(self.offset_at(utc.timestamp()))?;
        let local = utc.with_timezone(&offset);
        let date = match self.date_format.as_str() {
            "dmy" => "%d.%m.%Y",
            "dmy_slash" => "%d/%m/%Y",
            "mdy" => "%m/%d/%Y",
            _ => "%Y-%m-%d",
        };
        let time = if seconds { "%H:%M:%S" } else { "%H:%M" };
        Some(local.format(&format!("{date} {time}")).to_string())
    }

    /// A plain decimal ("-1234.50") with the locale's digit grouping and decimal mark
    /// ("-1,234.50" in English, "-1.234,50" in German, Spanish and Dutch, "-1 234,50" with
    /// narrow spaces in French); without a locale, or for text that is not a plain decimal,
    /// as it came.
    pub fn number(&self, plain: &str) -> String {
        let (group, mark) = match self.locale.as_str() {
            "en-GB" | "en-US" => (",", "."),
            "de-DE" | "es-ES" | "nl-NL" => (".", ","),
            "fr-FR" => ("\u{202f}", ","),
            _ => return plain.to_string(),
        };
        let (sign, digits) = plain.strip_prefix('-').map_or(("", plain), |d| ("-", d));
        let (int, frac) = digits.split_once('.').map_or((digits, None), |(i, f)| (i, Some(f)));
        let plain_digits = |x: &str| !x.is_empty() && x.chars().all(|c| c.is_ascii_digit());
        if !plain_digits(int) || frac.is_some_and(|f| !plain_digits(f)) {
            return plain.to_string();
        }
        let mut out = String::from(sign);
        for (i, c) in int.chars().enumerate() {
            if i > 0 && (int.len() - i) % 3 == 0 {
                out.push_str(group);
            }
            out.push(c);
        }
        if let Some(f) = frac {
            out.push_str(mark);
            out.push_str(f);
        }
        out
    }
}

#[cfg(test)]
mod display_tests {
    use super::*;

    #[test]
    fn times_are_written_in_the_persons_zone_and_format() {
        // Berlin: +1 h, then +2 h from 2027-03-28 01:00 UTC.
        let p = DisplayPrefs {
            date_format: "dmy".into(),
            time_zone: "Europe/Berlin".into(),
            offsets: vec![(0, 3600), (1_806_195_600, 7200)],
            ..Default::default()
        };
        assert_eq!(p.write("2026-12-06T23:30:00Z", false).unwrap(), "07.12.2026 00:30");
        assert_eq!(p.write("2027-03-28T01:00:00Z", true).unwrap(), "28.03.2027 03:00:00");
        assert_eq!(p.write("2027-03-28T00:59:59Z", true).unwrap(), "28.03.2027 01:59:59");
        let iso = DisplayPrefs { date_format: "iso".into(), ..Default::default() };
        assert_eq!(iso.write("2026-12-06T10:04:09.123Z", true).unwrap(), "2026-12-06 10:04:09");
        assert!(iso.write("not a time", false).is_none());
    }

    #[test]
    fn amounts_follow_the_locale() {
        let with = |locale: &str| DisplayPrefs { locale: locale.into(), ..Default::default() };
        assert_eq!(with("en-GB").number("1234567.50"), "1,234,567.50");
        assert_eq!(with("en-US").number("-1200.00"), "-1,200.00");
        assert_eq!(with("de-DE").number("1234.50"), "1.234,50");
        assert_eq!(with("nl-NL").number("999.99"), "999,99");
        assert_eq!(with("fr-FR").number("12345.00"), "12\u{202f}345,00");
        assert_eq!(with("es-ES").number("50"), "50");
        assert_eq!(with("").number("1234.50"), "1234.50", "public pages keep the plain form");
        assert_eq!(with("de-DE").number("about 12"), "about 12");
        assert_eq!(with("de-DE").number("1e5"), "1e5");
    }
}
