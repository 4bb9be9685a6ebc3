//! Assistants as the pages and the API see them, the rules for their names and status, and
//! how catalog actions become tool definitions for an LLM (OpenAI function calling, MCP).
//! Pure: the services layer decides what an assistant may call (`StorePolicy::callable_by`)
//! and hands the catalog definitions here.

use super::catalog::{ActionDef, Risk};
use super::stores::StoreView;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

pub const ASSISTANT_NAME_MAX: usize = 200;
pub const ASSISTANT_DESCRIPTION_MAX: usize = 1000;

pub const STATUS_ACTIVE: &str = "active";
pub const STATUS_DISABLED: &str = "disabled";

/// One assistant, with what the viewer may do to it.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct AssistantView {
    pub id: String,
    pub store_id: String,
    pub name: String,
    pub description: String,
    /// `active` or `disabled` (a disabled assistant gets no tools and every check is denied).
    pub status: String,
    /// Catalog ids the assistant may call when the store allows them, in catalog order.
    pub allowed_actions: Vec<String>,
    /// The viewer holds `stores.manage` at the store (rename, disable, delete).
    pub can_manage: bool,
    /// The viewer holds `permissions.manage` at the store (allowed actions).
    pub can_manage_actions: bool,
    pub created_at: String,
    pub updated_at: String,
}

/// A page of a store's assistants.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct AssistantList {
    pub assistants: Vec<AssistantView>,
    pub next_cursor: Option<String>,
}

/// A catalog action as the allowed-actions checkboxes show it.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct ActionChoice {
    pub id: String,
    pub name: String,
    pub description: String,
    pub category: String,
    pub risk: Risk,
    /// Turned on for the store (else an assistant allowed to take it still cannot call it).
    pub enabled_for_store: bool,
}

/// Everything `/stores/:id/assistants` shows, in one answer.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct StoreAssistants {
    pub store: StoreView,
    pub assistants: Vec<AssistantView>,
    /// The catalog in display order (category, risk, name).
    pub actions: Vec<ActionChoice>,
    /// The viewer holds `api_keys.manage` at the store (agent keys).
    pub can_manage_keys: bool,
}

/// `{store_id, name, description?, allowed_actions?}`; without `allowed_actions` the
/// assistant gets the store's `default_allowed_actions`. The body of `POST
/// /api/v1/assistants` (unknown fields refused), where `store_id` may be left out, empty or
/// `null` (all read as empty): an agent key's handler fills in its own store.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct NewAssistant {
    #[serde(default, deserialize_with = "empty_if_null")]
    pub store_id: String,
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub allowed_actions: Option<Vec<String>>,
}

/// A string field that may also be sent as `null`, read as empty.
fn empty_if_null<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Option::<String>::deserialize(d).map(Option::unwrap_or_default)
}

/// What to change; absent fields stay. The body of `PATCH /api/v1/assistants/{id}`
/// (unknown fields refused).
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct AssistantPatch {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    /// `active` or `disabled`.
    #[serde(default)]
    pub status: Option<String>,
}

/// One tool the assistant can call now.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct ToolName {
    /// The catalog id (`tickets.create`).
    pub id: String,
    /// The action's plain name.
    pub name: String,
    /// The OpenAI function name (`tickets__create`).
    pub function_name: String,
}

/// An allowed action the assistant cannot call now, and why.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct BlockedTool {
    pub id: String,
    pub name: String,
    pub reason: String,
}

/// The tools preview of the assistants page: what the tools endpoint hands out now.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct ToolPreview {
    pub assistant_id: String,
    pub tools: Vec<ToolName>,
    pub blocked: Vec<BlockedTool>,
    /// Why nothing at all is callable, when that is so for a reason of the store or assistant.
    pub note: Option<String>,
}

/// Tool definition formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ToolFormat {
    Openai,
    Mcp,
}

impl ToolFormat {
    pub fn parse(s: &str) -> Option<ToolFormat> {
        match s.trim().to_ascii_lowercase().as_str() {
            "" | "openai" => Some(ToolFormat::Openai),
            "mcp" => Some(ToolFormat::Mcp),
            _ => None,
        }
    }
}

/// An assistant name: 1 to 200 characters once trimmed, no control characters.
pub fn check_assistant_name(name: &str) -> Result<(), String> {
    let name = name.trim();
    let len = name.chars().count();
    if len == 0 {
        Err("Enter a name for the assistant.".into())
    } else if len > ASSISTANT_NAME_MAX {
        Err(format!("Use at most {ASSISTANT_NAME_MAX} characters."))
    } else if name.chars().any(char::is_control) {
        Err("Use letters, digits, spaces and punctuation only.".into())
    } else {
        Ok(())
    }
}

pub fn check_description(description: &str) -> Result<(), String> {
    if description.trim().chars().count() > ASSISTANT_DESCRIPTION_MAX {
        Err(format!("Use at most {ASSISTANT_DESCRIPTION_MAX} characters."))
    } else {
        Ok(())
    }
}

pub fn check_status(status: &str) -> Result<(), String> {
    match status.trim() {
        STATUS_ACTIVE | STATUS_DISABLED => Ok(()),
        other => Err(format!("\"{other}\" is not a status: use active or disabled.")),
    }
}

/// OpenAI function names must match `^[a-zA-Z0-9_-]{1,64}$`: a catalog id's dots become
/// double underscores (`tickets.create` → `tickets__create`); any other character outside
/// that set becomes `_`. Each definition also carries `x-mandate-action` with the id.
pub fn openai_function_name(action_id: &str) -> String {
    let mut out = String::with_capacity(action_id.len() + 4);
    for ch in action_id.chars() {
        match ch {
            '.' => out.push_str("__"),
            c if c.is_ascii_alphanumeric() || c == '_' || c == '-' => out.push(c),
            _ => out.push('_'),
        }
    }
    out.truncate(64);
    out
}

/// The OpenAI tools array (`tools` of a chat completion request).
pub fn openai_tools(defs: &[&ActionDef]) -> Value {
    Value::Array(
        defs.iter()
            .map(|d| {
                json!({
                    "type": "function",
                    "function": {
                        "name": openai_function_name(&d.id),
                        "description": d.description,
                        "parameters": d.input_schema,
                    },
                    "x-mandate-action": d.id,
                })
            })
            .collect(),
    )
}

/// The MCP `tools/list` result.
pub fn mcp_tools(defs: &[&ActionDef]) -> Value {
    json!({
        "tools": defs
            .iter()
            .map(|d| json!({"name": d.id, "description": d.description, "inputSchema": d.input_schema}))
            .collect::<Vec<_>>(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn def(id: &str) -> ActionDef {
        ActionDef {
            id: id.into(),
            version: 1,
            name: "Open a ticket".into(),
            description: "Opens a support ticket.".into(),
            category: "support".into(),
            input_schema: json!({"type": "object", "properties": {"subject": {"type": "string"}}}),
            output_schema: json!({}),
            amount_field: None,
            percentage_field: None,
            order_total_field: None,
            risk: Risk::Write,
            retryable: true,
            idempotent: true,
            required_permission: None,
            redact_fields: vec![],
            executor: "connector".into(),
            default_enabled: false,
            default_requires_confirmation: true,
        }
    }

    fn valid_openai_name(n: &str) -> bool {
        (1..=64).contains(&n.len()) && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    }

    #[test]
    fn function_names_fit_openai() {
        assert_eq!(openai_function_name("tickets.create"), "tickets__create");
        assert_eq!(openai_function_name("crm.create_activity_note"), "crm__create_activity_note");
        assert_eq!(openai_function_name("lookup_order"), "lookup_order");
        for id in ["tickets.create", "a b/c", &"x.".repeat(40)] {
            assert!(valid_openai_name(&openai_function_name(id)), "{id}");
        }
    }

    #[test]
    fn tool_formats() {
        let d = def("tickets.create");
        let openai = openai_tools(&[&d]);
        assert_eq!(openai[0]["type"], "function");
        assert_eq!(openai[0]["function"]["name"], "tickets__create");
        assert_eq!(openai[0]["function"]["parameters"]["properties"]["subject"]["type"], "string");
        assert_eq!(openai[0]["x-mandate-action"], "tickets.create");
        let mcp = mcp_tools(&[&d]);
        assert_eq!(mcp["tools"][0]["name"], "tickets.create");
        assert_eq!(mcp["tools"][0]["inputSchema"]["type"], "object");
        assert_eq!(mcp["tools"][0]["description"], "Opens a support ticket.");
        assert_eq!(ToolFormat::parse("MCP"), Some(ToolFormat::Mcp));
        assert_eq!(ToolFormat::parse(""), Some(ToolFormat::Openai));
        assert_eq!(ToolFormat::parse("anthropic"), None);
    }

    #[test]
    fn names_and_status() {
        assert!(check_assistant_name("Support bot").is_ok());
        assert!(check_assistant_name("").is_err());
        assert!(check_description(&"d".repeat(1001)).is_err());
        assert!(check_status("active").is_ok());
        assert!(check_status("disabled").is_ok());
        assert!(check_status("paused").is_err());
    }
}
