//! Configuration templates (issue 15): the JSON document `mandate config export` and
//! `GET /api/v1/config/export` write, reading one back (`parse_document`: the format and
//! version first, then every field, unknown ones named with their path), its own checks
//! that need no database (duplicate names, references to teams, stores and assistants the
//! document does not hold), and the diff between two documents in merchant words.
//!
//! The document is portable: objects are matched by natural keys (a team's path of names, a
//! role's name, a store's name, an assistant's name within its store, an action's id, a
//! limit's action + kind + when exceeded + per customer, a rule's name, a quota's owner +
//! name, a person's email), never by database ids; it carries no timestamps and every list
//! is sorted, so the same configuration exports byte-identical. It never holds secrets, API
//! keys, connector/SMS/SSO credentials, people, passwords or audit.
//!
//! Pure: loading, applying and authorizing live in `services::config`.

use super::action_settings::value_text;
use super::catalog::LimitType;
use super::error::{AppError, FieldError};
use super::rules::{ConditionInput, RuleAction};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::str::FromStr;

/// The `format` field of every document.
pub const FORMAT: &str = "mandate.config";
/// The version this build writes and reads.
pub const VERSION: u32 = 1;

/// The whole configuration of an org.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigDocument {
    pub format: String,
    pub version: u32,
    pub org: OrgDoc,
    #[serde(default)]
    pub teams: Vec<TeamDoc>,
    /// Custom roles (built-in roles are the same everywhere and are not exported).
    #[serde(default)]
    pub roles: Vec<RoleDoc>,
    /// The org's own defaults for new stores and its org-wide limits.
    #[serde(default)]
    pub defaults: DefaultsDoc,
    #[serde(default)]
    pub stores: Vec<StoreDoc>,
    #[serde(default)]
    pub automation_rules: Vec<RuleDoc>,
    #[serde(default)]
    pub quotas: Vec<QuotaDoc>,
    /// People's own preferences, by email (people themselves are not configuration).
    #[serde(default)]
    pub people_preferences: Vec<PersonPrefsDoc>,
}

/// The org's profile and its own preferences.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrgDoc {
    pub name: String,
    #[serde(default)]
    pub address: String,
    #[serde(default)]
    pub contact_email: String,
    #[serde(default)]
    pub contact_phone: String,
    pub time_zone: String,
    pub default_currency: String,
    /// The org's preferences object (`default_store` names a store instead of its id).
    #[serde(default = "empty_object")]
    pub preferences: Value,
}

fn empty_object() -> Value {
    Value::Object(Default::default())
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TeamDoc {
    /// Names from the top level down: `["Support", "Tier 1"]`.
    pub path: Vec<String>,
    #[serde(default = "empty_object")]
    pub preferences: Value,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoleDoc {
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// Permission keys, sorted.
    #[serde(default)]
    pub permissions: Vec<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DefaultsDoc {
    #[serde(default)]
    pub permissions: Vec<PermissionDoc>,
    #[serde(default)]
    pub limits: Vec<LimitDoc>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PermissionDoc {
    pub action_type: String,
    pub enabled: bool,
    pub requires_confirmation: bool,
    /// customer | staff
    pub confirmation_by: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitDoc {
    pub action_type: String,
    /// max_amount | max_percentage | max_count | max_total_amount
    pub limit_type: String,
    /// A decimal as text ("80", "12.5").
    pub limit_value: String,
    #[serde(default)]
    pub time_window_hours: Option<u32>,
    /// deny | confirm
    #[serde(default = "deny")]
    pub on_exceed: String,
    #[serde(default)]
    pub per_customer: bool,
}

fn deny() -> String {
    "deny".into()
}

/// What identifies a limit in its scope: (action, kind, when exceeded, per customer), the
/// service's upsert key.
pub type LimitKey = (String, String, String, bool);

impl LimitDoc {
    /// What identifies a limit in its scope (the service's upsert key).
    pub fn key(&self) -> LimitKey {
        (self.action_type.clone(), self.limit_type.clone(), self.on_exceed.clone(), self.per_customer)
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoreDoc {
    pub name: String,
    pub platform: String,
    pub currency: String,
    /// The team's path, or none.
    #[serde(default)]
    pub team: Option<Vec<String>>,
    /// What a new assistant gets (action ids, sorted).
    #[serde(default)]
    pub default_allowed_actions: Vec<String>,
    #[serde(default)]
    pub permissions: Vec<PermissionDoc>,
    #[serde(default)]
    pub limits: Vec<LimitDoc>,
    #[serde(default)]
    pub assistants: Vec<AssistantDoc>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssistantDoc {
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// active | disabled
    #[serde(default = "active")]
    pub status: String,
    #[serde(default)]
    pub allowed_actions: Vec<String>,
    #[serde(default)]
    pub limits: Vec<LimitDoc>,
}

fn active() -> String {
    "active".into()
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleDoc {
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub module_type: String,
    pub trigger_id: String,
    /// The store's name, or none for every store.
    #[serde(default)]
    pub store: Option<String>,
    #[serde(default)]
    pub conditions: Vec<ConditionInput>,
    #[serde(default)]
    pub actions: Vec<RuleAction>,
    pub is_active: bool,
}

/// Whose spend a quota caps, by natural key.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum OwnerDoc {
    Org,
    Team { path: Vec<String> },
    User { email: String },
    Assistant { store: String, assistant: String },
}

impl OwnerDoc {
    pub fn words(&self) -> String {
        match self {
            OwnerDoc::Org => "the organisation".into(),
            OwnerDoc::Team { path } => format!("team {}", quoted(&path_text(path))),
            OwnerDoc::User { email } => email.clone(),
            OwnerDoc::Assistant { store, assistant } => {
                format!("assistant {} of store {}", quoted(assistant), quoted(store))
            }
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuotaDoc {
    pub name: String,
    pub owner: OwnerDoc,
    /// An item type, or none for every kind of spend.
    #[serde(default)]
    pub item_type: Option<String>,
    /// amount | count
    pub metric: String,
    /// A decimal as text.
    pub limit: String,
    #[serde(default)]
    pub currency: Option<String>,
    /// day | week | month
    pub period: String,
    pub enforce: bool,
    #[serde(default)]
    pub alert_thresholds: Vec<u32>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PersonPrefsDoc {
    pub email: String,
    pub preferences: Value,
}

/// A team path as people read it: "Support › Tier 1".
pub fn path_text(path: &[String]) -> String {
    path.join(" \u{203a} ")
}

fn quoted(s: &str) -> String {
    format!("\u{201c}{s}\u{201d}")
}

/// Lower-cased, trimmed: how names are compared (stores, assistants, roles, rules, teams).
pub fn name_key(s: &str) -> String {
    s.trim().to_lowercase()
}

pub fn path_key(path: &[String]) -> Vec<String> {
    path.iter().map(|s| name_key(s)).collect()
}

// ---------------------------------------------------------------------------------------
// Reading a document

/// Reads a document: JSON first, then the format and version (an unknown version is
/// refused before anything else is read), then every field, an unknown one named with its
/// path (`stores[0].limits[1].max`).
pub fn parse_document(text: &str) -> Result<ConfigDocument, AppError> {
    let value: Value =
        serde_json::from_str(text).map_err(|e| AppError::bad_request(format!("The file is not valid JSON: {e}.")))?;
    parse_value(value)
}

/// The same for a document already read as JSON (the REST body).
pub fn parse_value(value: Value) -> Result<ConfigDocument, AppError> {
    let Some(obj) = value.as_object() else {
        return Err(invalid("format", "This is not a Mandate configuration file (expected a JSON object)."));
    };
    // A newer version may hold fields this one does not know: its version is the error.
    if let Some(v) = obj.get("version").and_then(Value::as_u64).filter(|v| *v != u64::from(VERSION)) {
        return Err(invalid(
            "version",
            format!("This file is version {v} of the configuration format; this Mandate reads version {VERSION}."),
        ));
    }
    if let Some(k) = obj.keys().find(|k| !TOP_LEVEL.contains(&k.as_str())) {
        return Err(invalid(k, format!("{k}: unknown field `{k}`, expected one of {}", TOP_LEVEL.join(", "))));
    }
    if obj.get("format").and_then(Value::as_str) != Some(FORMAT) {
        return Err(invalid(
            "format",
            format!("This is not a Mandate configuration file: \"format\" must be \"{FORMAT}\"."),
        ));
    }
    match obj.get("version").and_then(Value::as_u64) {
        Some(v) if v == u64::from(VERSION) => {}
        Some(v) => {
            return Err(invalid(
                "version",
                format!("This file is version {v} of the configuration format; this Mandate reads version {VERSION}."),
            ))
        }
        None => return Err(invalid("version", "Say which version of the format the file is (\"version\": 1).")),
    }
    let doc: ConfigDocument = serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner().to_string();
        let field = match unknown_field_name(&inner) {
            Some(name) if path == "." || path.is_empty() => name,
            Some(name) => {
                // serde reports the path of the object holding the unknown field.
                let parent = path.rsplit_once('.').map(|(p, _)| p).unwrap_or("");
                if parent.is_empty() || parent == "." {
                    name
                } else {
                    format!("{parent}.{name}")
                }
            }
            None => path,
        };
        invalid(&field, format!("{field}: {inner}"))
    })?;
    check_document(&doc)?;
    Ok(doc)
}

/// The fields of a document's top level.
const TOP_LEVEL: [&str; 10] = [
    "format",
    "version",
    "org",
    "teams",
    "roles",
    "defaults",
    "stores",
    "automation_rules",
    "quotas",
    "people_preferences",
];

/// The name in serde's "unknown field `x`, expected …".
fn unknown_field_name(message: &str) -> Option<String> {
    let rest = message.strip_prefix("unknown field `")?;
    Some(rest.split('`').next()?.to_string())
}

fn invalid(field: &str, message: impl Into<String>) -> AppError {
    AppError::invalid_fields(vec![FieldError { field: field.to_string(), message: message.into() }])
}

/// What the document must hold before anything is looked up: unique names where names are
/// keys, and every team, store and assistant it refers to inside itself.
pub fn check_document(doc: &ConfigDocument) -> Result<(), AppError> {
    let mut errors: Vec<FieldError> = Vec::new();
    let mut err = |field: String, message: String| errors.push(FieldError { field, message });
    let mut teams = BTreeSet::new();
    for (i, t) in doc.teams.iter().enumerate() {
        if t.path.is_empty() || t.path.iter().any(|n| n.trim().is_empty()) {
            err(format!("teams[{i}].path"), "A team's path lists its name and the names of the teams above it.".into());
        } else if !teams.insert(path_key(&t.path)) {
            err(format!("teams[{i}].path"), format!("Team {} is listed twice.", quoted(&path_text(&t.path))));
        }
    }
    for (i, t) in doc.teams.iter().enumerate() {
        if t.path.len() > 1 && !teams.contains(&path_key(&t.path[..t.path.len() - 1])) {
            err(
                format!("teams[{i}].path"),
                format!(
                    "Team {} is inside {}, which the file does not list.",
                    quoted(&path_text(&t.path)),
                    quoted(&path_text(&t.path[..t.path.len() - 1]))
                ),
            );
        }
    }
    let mut roles = BTreeSet::new();
    for (i, r) in doc.roles.iter().enumerate() {
        if !roles.insert(name_key(&r.name)) {
            err(format!("roles[{i}].name"), format!("Role {} is listed twice.", quoted(&r.name)));
        }
    }
    let mut stores: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (i, s) in doc.stores.iter().enumerate() {
        if stores.contains_key(&name_key(&s.name)) {
            err(
                format!("stores[{i}].name"),
                format!("Two stores are called {}: stores are matched by name, so rename one.", quoted(&s.name)),
            );
        }
        if let Some(team) = &s.team {
            if !teams.contains(&path_key(team)) {
                err(
                    format!("stores[{i}].team"),
                    format!(
                        "Store {} is in team {}, which the file does not list.",
                        quoted(&s.name),
                        quoted(&path_text(team))
                    ),
                );
            }
        }
        let mut assistants = BTreeSet::new();
        for (j, a) in s.assistants.iter().enumerate() {
            if !assistants.insert(name_key(&a.name)) {
                err(
                    format!("stores[{i}].assistants[{j}].name"),
                    format!("Store {} has two assistants called {}.", quoted(&s.name), quoted(&a.name)),
                );
            }
            check_limits(&a.limits, &format!("stores[{i}].assistants[{j}].limits"), &mut err);
        }
        check_limits(&s.limits, &format!("stores[{i}].limits"), &mut err);
        check_permissions(&s.permissions, &format!("stores[{i}].permissions"), &mut err);
        stores.insert(name_key(&s.name), assistants);
    }
    check_limits(&doc.defaults.limits, "defaults.limits", &mut err);
    check_permissions(&doc.defaults.permissions, "defaults.permissions", &mut err);
    let mut rules = BTreeSet::new();
    for (i, r) in doc.automation_rules.iter().enumerate() {
        if !rules.insert(name_key(&r.name)) {
            err(format!("automation_rules[{i}].name"), format!("Two automation rules are called {}.", quoted(&r.name)));
        }
        if let Some(s) = &r.store {
            if !stores.contains_key(&name_key(s)) {
                err(
                    format!("automation_rules[{i}].store"),
                    format!("Rule {} is for store {}, which the file does not list.", quoted(&r.name), quoted(s)),
                );
            }
        }
    }
    let mut quotas = BTreeSet::new();
    for (i, q) in doc.quotas.iter().enumerate() {
        if !quotas.insert((owner_key(&q.owner), name_key(&q.name))) {
            err(
                format!("quotas[{i}].name"),
                format!("Quota {} of {} is listed twice.", quoted(&q.name), q.owner.words()),
            );
        }
        let known = match &q.owner {
            OwnerDoc::Org | OwnerDoc::User { .. } => true,
            OwnerDoc::Team { path } => teams.contains(&path_key(path)),
            OwnerDoc::Assistant { store, assistant } => {
                stores.get(&name_key(store)).is_some_and(|a| a.contains(&name_key(assistant)))
            }
        };
        if !known {
            err(
                format!("quotas[{i}].owner"),
                format!("Quota {} is for {}, which the file does not list.", quoted(&q.name), q.owner.words()),
            );
        }
    }
    let mut people = BTreeSet::new();
    for (i, p) in doc.people_preferences.iter().enumerate() {
        if !people.insert(name_key(&p.email)) {
            err(format!("people_preferences[{i}].email"), format!("{} is listed twice.", p.email));
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(AppError::invalid_fields(errors))
    }
}

fn check_limits(limits: &[LimitDoc], at: &str, err: &mut impl FnMut(String, String)) {
    let mut seen = BTreeSet::new();
    for (i, l) in limits.iter().enumerate() {
        if !seen.insert(l.key()) {
            err(
                format!("{at}[{i}]"),
                format!(
                    "The {} limit of {} (when exceeded: {}) is listed twice.",
                    l.limit_type, l.action_type, l.on_exceed
                ),
            );
        }
    }
}

fn check_permissions(perms: &[PermissionDoc], at: &str, err: &mut impl FnMut(String, String)) {
    let mut seen = BTreeSet::new();
    for (i, p) in perms.iter().enumerate() {
        if !seen.insert(p.action_type.clone()) {
            err(format!("{at}[{i}].action_type"), format!("The settings of {} are listed twice.", p.action_type));
        }
    }
}

/// A quota owner's comparison key.
pub fn owner_key(o: &OwnerDoc) -> OwnerDoc {
    match o {
        OwnerDoc::Org => OwnerDoc::Org,
        OwnerDoc::Team { path } => OwnerDoc::Team { path: path_key(path) },
        OwnerDoc::User { email } => OwnerDoc::User { email: name_key(email) },
        OwnerDoc::Assistant { store, assistant } => {
            OwnerDoc::Assistant { store: name_key(store), assistant: name_key(assistant) }
        }
    }
}

impl ConfigDocument {
    /// Puts every list in its canonical order (what export writes), so equal configurations
    /// serialise byte-identical.
    pub fn sort(&mut self) {
        self.teams.sort_by_key(|t| path_key(&t.path));
        self.roles.sort_by_key(|r| name_key(&r.name));
        for r in &mut self.roles {
            r.permissions.sort();
        }
        sort_defaults(&mut self.defaults.permissions, &mut self.defaults.limits);
        self.stores.sort_by_key(|s| name_key(&s.name));
        for s in &mut self.stores {
            s.default_allowed_actions.sort();
            sort_defaults(&mut s.permissions, &mut s.limits);
            s.assistants.sort_by_key(|a| name_key(&a.name));
            for a in &mut s.assistants {
                a.allowed_actions.sort();
                a.limits.sort_by_key(LimitDoc::key);
            }
        }
        self.automation_rules.sort_by_key(|r| name_key(&r.name));
        self.quotas.sort_by_key(|q| (owner_key(&q.owner), name_key(&q.name)));
        for q in &mut self.quotas {
            q.alert_thresholds.sort();
        }
        self.people_preferences.sort_by_key(|p| name_key(&p.email));
    }

    /// Pretty JSON with a trailing newline: the file as exported.
    pub fn to_pretty_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).unwrap_or_default();
        s.push('\n');
        s
    }
}

fn sort_defaults(perms: &mut [PermissionDoc], limits: &mut [LimitDoc]) {
    perms.sort_by(|a, b| a.action_type.cmp(&b.action_type));
    limits.sort_by_key(LimitDoc::key);
}

// ---------------------------------------------------------------------------------------
// The diff

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    Added,
    Changed,
    Removed,
}

impl ChangeKind {
    pub fn label(self) -> &'static str {
        match self {
            ChangeKind::Added => "Added",
            ChangeKind::Changed => "Changed",
            ChangeKind::Removed => "Removed",
        }
    }
}

/// One field of an object that an import changes, in words.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldDiff {
    /// Where it is in the document (`limits.process_refund.max_amount.deny`), for scripts.
    pub field: String,
    /// What it is in merchant words ("Process refund: largest amount per action, refused above").
    pub label: String,
    pub old: Option<String>,
    pub new: Option<String>,
}

impl FieldDiff {
    /// "the X changes from A to B" / "X is set to B" / "X is removed (was A)".
    pub fn sentence(&self) -> String {
        match (&self.old, &self.new) {
            (Some(o), Some(n)) => format!("{} changes from {o} to {n}", self.label),
            (None, Some(n)) => format!("{}: {n} (new)", self.label),
            (Some(o), None) => format!("{}: {o} is removed", self.label),
            (None, None) => self.label.clone(),
        }
    }
}

/// One object an import adds, changes or removes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectDiff {
    pub kind: ChangeKind,
    /// profile | team | role | defaults | store | assistant | automation_rule | quota | person_preferences
    pub object_type: String,
    /// The object in words: "Store “Main shop”".
    pub object: String,
    pub fields: Vec<FieldDiff>,
}

/// What an import would do (or did).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfigDiff {
    pub added: usize,
    pub changed: usize,
    pub removed: usize,
    pub objects: Vec<ObjectDiff>,
    /// What the import leaves out, and why (a person the file names who has no account here).
    pub warnings: Vec<String>,
}

impl ConfigDiff {
    pub fn is_empty(&self) -> bool {
        self.objects.is_empty()
    }

    fn push(&mut self, o: ObjectDiff) {
        match o.kind {
            ChangeKind::Added => self.added += 1,
            ChangeKind::Changed => self.changed += 1,
            ChangeKind::Removed => self.removed += 1,
        }
        self.objects.push(o);
    }
}

/// The outcome of an import or its dry run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportOutcome {
    pub dry_run: bool,
    /// True when the changes were saved (never for a dry run).
    pub applied: bool,
    pub diff: ConfigDiff,
}

/// What the diff needs to write actions and permissions in words.
#[derive(Clone, Debug, Default)]
pub struct Names {
    /// Action id → its plain name.
    pub actions: HashMap<String, String>,
}

impl Names {
    fn action(&self, id: &str) -> String {
        self.actions.get(id).cloned().unwrap_or_else(|| id.to_string())
    }

    fn actions_text(&self, ids: &[String]) -> String {
        if ids.is_empty() {
            return "none".into();
        }
        let mut names: Vec<String> = ids.iter().map(|i| self.action(i)).collect();
        names.sort();
        names.join(", ")
    }
}

fn yes_no(b: bool) -> String {
    if b { "yes" } else { "no" }.to_string()
}

fn on_off(b: bool) -> String {
    if b { "on" } else { "off" }.to_string()
}

fn text_or_none(s: &str) -> String {
    if s.trim().is_empty() {
        "(empty)".into()
    } else {
        s.to_string()
    }
}

fn field(fields: &mut Vec<FieldDiff>, key: &str, label: &str, old: String, new: String) {
    if old != new {
        fields.push(FieldDiff { field: key.into(), label: label.into(), old: Some(old), new: Some(new) });
    }
}

/// What the import of `incoming` changes in an org whose configuration is `current`.
pub fn diff(current: &ConfigDocument, incoming: &ConfigDocument, names: &Names) -> ConfigDiff {
    let mut out = ConfigDiff::default();
    // Profile.
    let (a, b) = (&current.org, &incoming.org);
    let mut fields = Vec::new();
    field(&mut fields, "org.name", "Name", a.name.clone(), b.name.clone());
    field(&mut fields, "org.address", "Address", text_or_none(&a.address), text_or_none(&b.address));
    field(
        &mut fields,
        "org.contact_email",
        "Contact email",
        text_or_none(&a.contact_email),
        text_or_none(&b.contact_email),
    );
    field(
        &mut fields,
        "org.contact_phone",
        "Contact phone",
        text_or_none(&a.contact_phone),
        text_or_none(&b.contact_phone),
    );
    field(&mut fields, "org.time_zone", "Time zone", a.time_zone.clone(), b.time_zone.clone());
    field(
        &mut fields,
        "org.default_currency",
        "Default currency",
        a.default_currency.clone(),
        b.default_currency.clone(),
    );
    fields.extend(preference_fields("org.preferences", &a.preferences, &b.preferences));
    if !fields.is_empty() {
        out.push(ObjectDiff {
            kind: ChangeKind::Changed,
            object_type: "profile".into(),
            object: "Organisation profile and preferences".into(),
            fields,
        });
    }

    // Teams.
    keyed(
        &mut out,
        &current.teams,
        &incoming.teams,
        |t| path_key(&t.path),
        "team",
        |t| format!("Team {}", quoted(&path_text(&t.path))),
        |a, b| {
            preference_fields(
                "preferences",
                a.map_or(&Value::Null, |t| &t.preferences),
                b.map_or(&Value::Null, |t| &t.preferences),
            )
        },
    );

    // Roles.
    keyed(
        &mut out,
        &current.roles,
        &incoming.roles,
        |r| name_key(&r.name),
        "role",
        |r| format!("Role {}", quoted(&r.name)),
        |a, b| {
            let mut f = Vec::new();
            let desc = |r: Option<&RoleDoc>| r.map(|r| text_or_none(&r.description));
            let perms = |r: Option<&RoleDoc>| {
                r.map(|r| if r.permissions.is_empty() { "none".into() } else { r.permissions.join(", ") })
            };
            opt_field(&mut f, "description", "Description", desc(a), desc(b));
            opt_field(&mut f, "permissions", "Permissions", perms(a), perms(b));
            f
        },
    );

    // Org defaults.
    let mut fields = permission_fields(&current.defaults.permissions, &incoming.defaults.permissions, names);
    fields.extend(limit_fields(&current.defaults.limits, &incoming.defaults.limits, names, None));
    if !fields.is_empty() {
        out.push(ObjectDiff {
            kind: ChangeKind::Changed,
            object_type: "defaults".into(),
            object: "Defaults for new stores and limits for every store".into(),
            fields,
        });
    }

    // Stores, then their assistants.
    keyed(
        &mut out,
        &current.stores,
        &incoming.stores,
        |s| name_key(&s.name),
        "store",
        |s| format!("Store {}", quoted(&s.name)),
        |a, b| store_fields(a, b, names),
    );
    let empty = Vec::new();
    let find = |doc: &ConfigDocument, key: &str| doc.stores.iter().find(|s| name_key(&s.name) == key).cloned();
    let mut store_keys: Vec<String> =
        current.stores.iter().chain(incoming.stores.iter()).map(|s| name_key(&s.name)).collect();
    store_keys.sort();
    store_keys.dedup();
    for key in store_keys {
        let (a, b) = (find(current, &key), find(incoming, &key));
        let store_name = b.as_ref().or(a.as_ref()).map(|s| s.name.clone()).unwrap_or_default();
        let currency = b.as_ref().or(a.as_ref()).map(|s| s.currency.clone());
        // A removed store takes its assistants with it: one line says so.
        if b.is_none() {
            continue;
        }
        let a_list = a.as_ref().map(|s| &s.assistants).unwrap_or(&empty);
        let b_list = b.as_ref().map(|s| &s.assistants).unwrap_or(&empty);
        keyed(
            &mut out,
            a_list,
            b_list,
            |x| name_key(&x.name),
            "assistant",
            |x| format!("Assistant {} of store {}", quoted(&x.name), quoted(&store_name)),
            |x, y| assistant_fields(x, y, names, currency.as_deref()),
        );
    }

    // Rules.
    keyed(
        &mut out,
        &current.automation_rules,
        &incoming.automation_rules,
        |r| name_key(&r.name),
        "automation_rule",
        |r| format!("Automation rule {}", quoted(&r.name)),
        |a, b| {
            let mut f = Vec::new();
            let get = |r: Option<&RuleDoc>, what: &str| {
                r.map(|r| match what {
                    "description" => text_or_none(&r.description),
                    "trigger" => format!("{} ({})", r.trigger_id, r.module_type),
                    "store" => r.store.clone().map(|s| quoted(&s)).unwrap_or_else(|| "every store".into()),
                    "conditions" => serde_json::to_string(&r.conditions).unwrap_or_default(),
                    "actions" => serde_json::to_string(&r.actions).unwrap_or_default(),
                    _ => on_off(r.is_active),
                })
            };
            for (k, label) in [
                ("description", "Description"),
                ("trigger", "Trigger"),
                ("store", "Store"),
                ("conditions", "Conditions"),
                ("actions", "Steps"),
                ("is_active", "Switched on"),
            ] {
                opt_field(&mut f, k, label, get(a, k), get(b, k));
            }
            f
        },
    );

    // Quotas.
    keyed(
        &mut out,
        &current.quotas,
        &incoming.quotas,
        |q| (owner_key(&q.owner), name_key(&q.name)),
        "quota",
        |q| format!("Quota {} of {}", quoted(&q.name), q.owner.words()),
        |a, b| {
            let mut f = Vec::new();
            let get = |q: Option<&QuotaDoc>, what: &str| {
                q.map(|q| match what {
                    "limit" => quota_limit_text(q),
                    "period" => format!("per {}", q.period),
                    "item_type" => q.item_type.clone().unwrap_or_else(|| "any spend".into()),
                    "enforce" => {
                        if q.enforce {
                            "blocks when reached".into()
                        } else {
                            "alerts only".into()
                        }
                    }
                    _ => {
                        let t: Vec<String> = q.alert_thresholds.iter().map(|t| format!("{t} %")).collect();
                        if t.is_empty() {
                            "none".into()
                        } else {
                            t.join(", ")
                        }
                    }
                })
            };
            for (k, label) in [
                ("limit", "Limit"),
                ("period", "Period"),
                ("item_type", "Counts"),
                ("enforce", "When reached"),
                ("alert_thresholds", "Alerts at"),
            ] {
                opt_field(&mut f, k, label, get(a, k), get(b, k));
            }
            f
        },
    );

    // People's preferences.
    keyed(
        &mut out,
        &current.people_preferences,
        &incoming.people_preferences,
        |p| name_key(&p.email),
        "person_preferences",
        |p| format!("Preferences of {}", p.email),
        |a, b| {
            preference_fields(
                "preferences",
                a.map_or(&Value::Null, |p| &p.preferences),
                b.map_or(&Value::Null, |p| &p.preferences),
            )
        },
    );
    out
}

fn opt_field(f: &mut Vec<FieldDiff>, key: &str, label: &str, old: Option<String>, new: Option<String>) {
    if old != new {
        f.push(FieldDiff { field: key.into(), label: label.into(), old, new });
    }
}

/// Matches two lists by key: added, removed, and changed when `fields` finds a difference.
/// For added and removed objects `fields` gets one side only, listing what it holds.
fn keyed<T, K: Ord>(
    out: &mut ConfigDiff,
    current: &[T],
    incoming: &[T],
    key: impl Fn(&T) -> K,
    object_type: &str,
    words: impl Fn(&T) -> String,
    fields: impl Fn(Option<&T>, Option<&T>) -> Vec<FieldDiff>,
) {
    let a: BTreeMap<K, &T> = current.iter().map(|t| (key(t), t)).collect();
    let b: BTreeMap<K, &T> = incoming.iter().map(|t| (key(t), t)).collect();
    for (k, new) in &b {
        match a.get(k) {
            None => out.push(ObjectDiff {
                kind: ChangeKind::Added,
                object_type: object_type.into(),
                object: words(new),
                fields: fields(None, Some(new)),
            }),
            Some(old) => {
                let f = fields(Some(old), Some(new));
                if !f.is_empty() {
                    out.push(ObjectDiff {
                        kind: ChangeKind::Changed,
                        object_type: object_type.into(),
                        object: words(new),
                        fields: f,
                    });
                }
            }
        }
    }
    for (k, old) in &a {
        if !b.contains_key(k) {
            out.push(ObjectDiff {
                kind: ChangeKind::Removed,
                object_type: object_type.into(),
                object: words(old),
                fields: Vec::new(),
            });
        }
    }
}

fn store_fields(a: Option<&StoreDoc>, b: Option<&StoreDoc>, names: &Names) -> Vec<FieldDiff> {
    let mut f = Vec::new();
    let get = |s: Option<&StoreDoc>, what: &str| {
        s.map(|s| match what {
            "platform" => s.platform.clone(),
            "currency" => s.currency.clone(),
            "team" => s.team.as_ref().map(|t| quoted(&path_text(t))).unwrap_or_else(|| "no team".into()),
            _ => names.actions_text(&s.default_allowed_actions),
        })
    };
    for (k, label) in [
        ("platform", "Platform"),
        ("currency", "Currency"),
        ("team", "Team"),
        ("default_allowed_actions", "What new assistants may do"),
    ] {
        opt_field(&mut f, k, label, get(a, k), get(b, k));
    }
    if a.is_none() {
        // A new store: its settings are what the file says; the lines above say enough.
        return f;
    }
    let empty = Vec::new();
    let (ap, bp) = (a.map_or(&empty, |s| &s.permissions), b.map_or(&empty, |s| &s.permissions));
    f.extend(permission_fields(ap, bp, names));
    let empty = Vec::new();
    let currency = b.or(a).map(|s| s.currency.as_str());
    f.extend(limit_fields(a.map_or(&empty, |s| &s.limits), b.map_or(&empty, |s| &s.limits), names, currency));
    f
}

fn assistant_fields(
    a: Option<&AssistantDoc>,
    b: Option<&AssistantDoc>,
    names: &Names,
    currency: Option<&str>,
) -> Vec<FieldDiff> {
    let mut f = Vec::new();
    let get = |x: Option<&AssistantDoc>, what: &str| {
        x.map(|x| match what {
            "description" => text_or_none(&x.description),
            "status" => {
                if x.status == "active" {
                    "active".into()
                } else {
                    "switched off".into()
                }
            }
            _ => names.actions_text(&x.allowed_actions),
        })
    };
    for (k, label) in [("description", "Description"), ("status", "Status"), ("allowed_actions", "May do")] {
        opt_field(&mut f, k, label, get(a, k), get(b, k));
    }
    let empty = Vec::new();
    f.extend(limit_fields(a.map_or(&empty, |x| &x.limits), b.map_or(&empty, |x| &x.limits), names, currency));
    f
}

fn permission_fields(a: &[PermissionDoc], b: &[PermissionDoc], names: &Names) -> Vec<FieldDiff> {
    let old: BTreeMap<&str, &PermissionDoc> = a.iter().map(|p| (p.action_type.as_str(), p)).collect();
    let mut f = Vec::new();
    for p in b {
        let name = names.action(&p.action_type);
        let o = old.get(p.action_type.as_str());
        let key = |what: &str| format!("permissions.{}.{what}", p.action_type);
        opt_field(
            &mut f,
            &key("enabled"),
            &format!("{name}: allowed"),
            o.map(|o| on_off(o.enabled)),
            Some(on_off(p.enabled)),
        );
        opt_field(
            &mut f,
            &key("requires_confirmation"),
            &format!("{name}: needs confirmation"),
            o.map(|o| yes_no(o.requires_confirmation)),
            Some(yes_no(p.requires_confirmation)),
        );
        opt_field(
            &mut f,
            &key("confirmation_by"),
            &format!("{name}: confirmed by"),
            o.map(|o| o.confirmation_by.clone()),
            Some(p.confirmation_by.clone()),
        );
    }
    f
}

/// A limit's value in words, with its window: "80.00 EUR", "5 per 24 h".
pub fn limit_value_text(l: &LimitDoc, currency: Option<&str>) -> String {
    let value = match (LimitType::parse(&l.limit_type), Decimal::from_str(l.limit_value.trim())) {
        (Some(t), Ok(v)) => value_text(t, v, currency),
        _ => l.limit_value.clone(),
    };
    match l.time_window_hours {
        Some(h) => format!("{value} per {h} h"),
        None => value,
    }
}

/// A limit's name in words: "Process refund: largest amount per action, refused above".
pub fn limit_label(l: &LimitDoc, names: &Names) -> String {
    let kind = LimitType::parse(&l.limit_type).map(|t| t.label().to_lowercase()).unwrap_or(l.limit_type.clone());
    let when = if l.on_exceed == "confirm" { "staff confirm above it" } else { "refused above it" };
    let who = if l.per_customer { ", for each customer" } else { "" };
    format!("{}: {kind}{who} ({when})", names.action(&l.action_type))
}

fn same_limit(a: &LimitDoc, b: &LimitDoc) -> bool {
    let num = |s: &str| Decimal::from_str(s.trim()).map(|d| d.normalize());
    num(&a.limit_value) == num(&b.limit_value) && a.time_window_hours == b.time_window_hours
}

fn limit_fields(a: &[LimitDoc], b: &[LimitDoc], names: &Names, currency: Option<&str>) -> Vec<FieldDiff> {
    let old: BTreeMap<_, &LimitDoc> = a.iter().map(|l| (l.key(), l)).collect();
    let new: BTreeMap<_, &LimitDoc> = b.iter().map(|l| (l.key(), l)).collect();
    let mut f = Vec::new();
    let key = |l: &LimitDoc| {
        format!(
            "limits.{}.{}.{}{}",
            l.action_type,
            l.limit_type,
            l.on_exceed,
            if l.per_customer { ".per_customer" } else { "" }
        )
    };
    for (k, l) in &new {
        match old.get(k) {
            Some(o) if same_limit(o, l) => {}
            o => f.push(FieldDiff {
                field: key(l),
                label: limit_label(l, names),
                old: o.map(|o| limit_value_text(o, currency)),
                new: Some(limit_value_text(l, currency)),
            }),
        }
    }
    for (k, l) in &old {
        if !new.contains_key(k) {
            f.push(FieldDiff {
                field: key(l),
                label: limit_label(l, names),
                old: Some(limit_value_text(l, currency)),
                new: None,
            });
        }
    }
    f
}

fn quota_limit_text(q: &QuotaDoc) -> String {
    if q.metric == "count" {
        format!("{} actions", q.limit)
    } else {
        let v = Decimal::from_str(q.limit.trim()).map(|d| format!("{d:.2}")).unwrap_or(q.limit.clone());
        match &q.currency {
            Some(c) => format!("{v} {c}"),
            None => v,
        }
    }
}

/// The preferences that differ, leaf by leaf, named as the preferences pages name them.
fn preference_fields(prefix: &str, a: &Value, b: &Value) -> Vec<FieldDiff> {
    let (la, lb) = (leaves(a), leaves(b));
    let mut keys: BTreeSet<&String> = la.keys().collect();
    keys.extend(lb.keys());
    let mut f = Vec::new();
    for k in keys {
        let (o, n) = (la.get(k), lb.get(k));
        if o != n {
            f.push(FieldDiff {
                field: format!("{prefix}.{k}"),
                label: preference_label(k),
                old: o.map(show).or(Some("inherited".into())),
                new: n.map(show).or(Some("inherited".into())),
            });
        }
    }
    f
}

fn show(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Array(items) => {
            let parts: Vec<String> = items
                .iter()
                .map(|i| match i.as_str() {
                    Some(c) => super::notify::channel_name(c).to_string(),
                    None => i.to_string(),
                })
                .collect();
            if parts.is_empty() {
                "none".into()
            } else {
                parts.join(", ")
            }
        }
        other => other.to_string(),
    }
}

fn preference_label(key: &str) -> String {
    if let Some(kind) = key.strip_prefix("notifications.channels.") {
        let name = super::notify::kind(kind).map(|k| k.name).unwrap_or(kind);
        return format!("Notification channels for {}", name.to_lowercase());
    }
    if key == "default_store" {
        return "Default store".into();
    }
    super::preferences::pref(key).map(|p| p.name.to_string()).unwrap_or_else(|| key.to_string())
}

/// Every leaf of a preferences object by dotted key (lists are leaves).
fn leaves(v: &Value) -> BTreeMap<String, Value> {
    fn walk(prefix: &str, v: &Value, out: &mut BTreeMap<String, Value>) {
        match v {
            Value::Object(m) => {
                for (k, v) in m {
                    let key = if prefix.is_empty() { k.clone() } else { format!("{prefix}.{k}") };
                    walk(&key, v, out);
                }
            }
            Value::Null => {}
            other => {
                out.insert(prefix.to_string(), other.clone());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk("", v, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn doc() -> Value {
        json!({
            "format": FORMAT, "version": 1,
            "org": {"name": "Acme", "time_zone": "UTC", "default_currency": "EUR"},
            "stores": [{"name": "Main shop", "platform": "sandbox", "currency": "EUR",
                        "limits": [{"action_type": "process_refund", "limit_type": "max_amount", "limit_value": "50"}]}]
        })
    }

    #[test]
    fn unknown_versions_and_formats_are_refused_first() {
        let mut d = doc();
        d["version"] = json!(2);
        d["extra"] = json!(true);
        let e = parse_value(d).unwrap_err();
        assert_eq!(e.fields[0].field, "version");
        assert!(e.message.contains("version 2") || e.fields[0].message.contains("version 2"), "{e:?}");
        let mut d = doc();
        d["format"] = json!("other");
        assert_eq!(parse_value(d).unwrap_err().fields[0].field, "format");
    }

    #[test]
    fn unknown_fields_are_named_with_their_path() {
        let mut d = doc();
        d["stores"][0]["limits"][0]["max"] = json!(1);
        let e = parse_value(d).unwrap_err();
        assert_eq!(e.fields[0].field, "stores[0].limits[0].max", "{e:?}");
        assert!(e.fields[0].message.contains("unknown field `max`"), "{e:?}");
        let mut d = doc();
        d["secrets"] = json!([]);
        assert_eq!(parse_value(d).unwrap_err().fields[0].field, "secrets");
    }

    #[test]
    fn references_inside_the_document_are_checked() {
        let mut d = doc();
        d["stores"][0]["team"] = json!(["Nowhere"]);
        d["automation_rules"] =
            json!([{"name": "r", "module_type": "crm", "trigger_id": "t", "store": "Gone", "is_active": true}]);
        let e = parse_value(d).unwrap_err();
        let fields: Vec<&str> = e.fields.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(fields, vec!["stores[0].team", "automation_rules[0].store"]);
    }

    #[test]
    fn the_diff_names_limits_in_words() {
        let a = parse_value(doc()).unwrap();
        let mut b = a.clone();
        b.stores[0].limits[0].limit_value = "80.00".into();
        b.teams.push(TeamDoc { path: vec!["Support".into()], preferences: json!({}) });
        let mut c = a.clone();
        c.stores.clear();
        let names = Names { actions: HashMap::from([("process_refund".into(), "Process refund".into())]) };
        let d = diff(&a, &b, &names);
        assert_eq!((d.added, d.changed, d.removed), (1, 1, 0));
        let store = d.objects.iter().find(|o| o.object_type == "store").unwrap();
        assert_eq!(store.object, "Store \u{201c}Main shop\u{201d}");
        assert_eq!(
            store.fields[0].sentence(),
            "Process refund: largest amount per action (refused above it) changes from 50.00 EUR to 80.00 EUR"
        );
        let d = diff(&a, &c, &names);
        assert_eq!((d.added, d.changed, d.removed), (0, 0, 1));
        // The same value written differently is no change.
        let mut e = a.clone();
        e.stores[0].limits[0].limit_value = "50.0".into();
        assert!(diff(&a, &e, &names).is_empty());
    }
}
