//! The triggers automation rules listen for (§2 Automation), by `module_type` (crm, sales,
//! store), with the fields each event carries, and the check that a rule's action
//! templates only name fields its trigger carries. Pure: `GET /automation/triggers`, the rule
//! editor's trigger picker and rule validation read this one list.
//!
//! Events carrying a change also carry the earlier values under `previous` (what
//! `changed_to` conditions compare with).

use super::automation::template_fields;
use super::error::FieldError;
use serde::Serialize;
use serde_json::Value;

/// What kind of value a trigger field holds (for the editor's hints and the dry-run sample).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldKind {
    Text,
    Number,
    Money,
    Date,
    List,
    Object,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct TriggerField {
    pub name: &'static str,
    pub kind: FieldKind,
    pub description: &'static str,
}

/// A trigger; its fields are the concatenation of `groups` (fields shared by several
/// triggers are written once, in a group).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TriggerDef {
    pub id: &'static str,
    pub module_type: &'static str,
    pub name: &'static str,
    pub description: &'static str,
    pub groups: &'static [&'static [TriggerField]],
}

impl TriggerDef {
    /// The fields an event of this trigger carries, in order.
    pub fn fields(&self) -> impl Iterator<Item = &'static TriggerField> {
        self.groups.iter().flat_map(|g| g.iter())
    }
}

/// As the API shows a trigger: its fields as one list.
impl Serialize for TriggerDef {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("TriggerDef", 5)?;
        st.serialize_field("id", self.id)?;
        st.serialize_field("module_type", self.module_type)?;
        st.serialize_field("name", self.name)?;
        st.serialize_field("description", self.description)?;
        st.serialize_field("fields", &self.fields().collect::<Vec<_>>())?;
        st.end()
    }
}

pub const MODULE_TYPES: [&str; 3] = ["crm", "sales", "store"];

const fn f(name: &'static str, kind: FieldKind, description: &'static str) -> TriggerField {
    TriggerField { name, kind, description }
}

use FieldKind::{Date, List, Money, Number, Object, Text};

const CONTACT: &[TriggerField] = &[
    f("contact_id", Text, "The contact's id in the CRM."),
    f("name", Text, "The contact's full name."),
    f("email", Text, "The contact's email address."),
    f("phone", Text, "The contact's phone number."),
    f("company", Text, "The company the contact works for."),
    f("status", Text, "The contact's status (lead, customer, …)."),
    f("source", Text, "Where the contact came from (web form, import, …)."),
    f("owner_email", Text, "The email of the person who owns the contact."),
];

const CHANGES: &[TriggerField] = &[
    f("changed_fields", List, "The names of the fields that changed."),
    f("previous", Object, "The changed fields' earlier values."),
];

const LEAD: &[TriggerField] = &[
    f("lead_id", Text, "The lead's id in the CRM."),
    f("name", Text, "The lead's full name."),
    f("email", Text, "The lead's email address."),
    f("company", Text, "The lead's company."),
    f("source", Text, "Where the lead came from."),
    f("score", Number, "The lead's score."),
    f("value", Money, "The expected value of the lead."),
];

const DEAL: &[TriggerField] = &[
    f("opportunity_id", Text, "The opportunity's id."),
    f("opportunity_name", Text, "The opportunity's name."),
    f("value", Money, "The opportunity's value."),
    f("currency", Text, "The value's currency (EUR, USD, …)."),
    f("owner_email", Text, "The email of the salesperson who owns it."),
    f("contact_id", Text, "The contact it is with."),
];

const PIPELINE: &[TriggerField] = &[
    f("stage", Text, "The sales stage (Prospecting, Proposal, Negotiation, …)."),
    f("close_date", Date, "The expected close date."),
];

const PREVIOUS: &[TriggerField] = &[f("previous", Object, "The earlier values, e.g. previous.stage.")];

const CLOSED: &[TriggerField] =
    &[f("closed_at", Date, "When the deal was closed."), f("reason", Text, "Why it was won or lost, when given.")];

const ORDER_REF: &[TriggerField] =
    &[f("order_id", Text, "The order's number."), f("customer_ref", Text, "The customer's id in the store.")];

const ORDER: &[TriggerField] = &[
    f("customer_email", Text, "The customer's email address."),
    f("total", Money, "The order's total."),
    f("currency", Text, "The order's currency."),
    f("items", List, "The ordered items (sku, name, quantity, price)."),
    f("status", Text, "The order's status."),
];

const REFUND: &[TriggerField] = &[
    f("amount", Money, "The amount the customer asks back."),
    f("currency", Text, "The order's currency."),
    f("reason", Text, "Why the customer asks for a refund."),
];

const RETURN: &[TriggerField] =
    &[f("items", List, "The items to return."), f("reason", Text, "Why the customer returns them.")];

const MESSAGE: &[TriggerField] = &[
    f("customer_ref", Text, "The customer's id in the store."),
    f("channel", Text, "Where the message came in (email, chat, …)."),
    f("message", Text, "What the customer wrote."),
    f("order_id", Text, "The order it is about, when known."),
];

const fn t(
    id: &'static str,
    module_type: &'static str,
    name: &'static str,
    description: &'static str,
    groups: &'static [&'static [TriggerField]],
) -> TriggerDef {
    TriggerDef { id, module_type, name, description, groups }
}

/// Every trigger, grouped by module type in this order.
pub const TRIGGERS: [TriggerDef; 13] = [
    t("contact_created", "crm", "Contact created", "A new contact was added to the CRM.", &[CONTACT]),
    t("contact_updated", "crm", "Contact updated", "A contact's details changed.", &[CONTACT, CHANGES]),
    t(
        "contact_status_changed",
        "crm",
        "Contact status changed",
        "A contact moved to another status.",
        &[CONTACT, CHANGES],
    ),
    t("lead_created", "crm", "Lead created", "A new lead came in.", &[LEAD]),
    t("opportunity_created", "sales", "Opportunity created", "A new sales opportunity was opened.", &[DEAL, PIPELINE]),
    t(
        "opportunity_stage_changed",
        "sales",
        "Opportunity stage changed",
        "An opportunity moved to another stage.",
        &[DEAL, PIPELINE, PREVIOUS],
    ),
    t("deal_closed_won", "sales", "Deal won", "An opportunity was closed as won.", &[DEAL, CLOSED]),
    t("deal_closed_lost", "sales", "Deal lost", "An opportunity was closed as lost.", &[DEAL, CLOSED]),
    t(
        "high_value_opportunity",
        "sales",
        "High-value opportunity",
        "An opportunity's value is high (compare `value` with a value threshold).",
        &[DEAL, PIPELINE],
    ),
    t("order_created", "store", "Order placed", "A customer placed an order.", &[ORDER_REF, ORDER]),
    t("refund_requested", "store", "Refund requested", "A customer asked for money back.", &[ORDER_REF, REFUND]),
    t("return_requested", "store", "Return requested", "A customer wants to send items back.", &[ORDER_REF, RETURN]),
    t("customer_message", "store", "Customer message", "A customer wrote to the store.", &[MESSAGE]),
];

pub fn find(id: &str) -> Option<&'static TriggerDef> {
    TRIGGERS.iter().find(|t| t.id == id)
}

/// The triggers of one module type, or all of them.
pub fn list(module_type: Option<&str>) -> Vec<&'static TriggerDef> {
    TRIGGERS.iter().filter(|t| module_type.is_none_or(|m| t.module_type == m)).collect()
}

impl TriggerDef {
    /// Whether an event of this trigger carries `path` (its first segment is one of the
    /// trigger's fields; what lies below an object or list field is the sender's).
    pub fn carries(&self, path: &str) -> bool {
        let first = path.split('.').next().unwrap_or("");
        self.fields().any(|f| f.name == first)
    }
}

/// Every template in a rule action's parameters that names a field the trigger does not
/// carry (or an earlier step's output that `saved` does not hold), as field errors on
/// `at` + the parameter's path, e.g. `actions.0.parameters.message`.
pub fn check_templates(trigger: &TriggerDef, at: &str, params: &Value, saved: &[&str]) -> Vec<FieldError> {
    fn walk(v: &Value, path: String, trigger: &TriggerDef, saved: &[&str], out: &mut Vec<FieldError>) {
        match v {
            Value::String(s) => match template_fields(s) {
                Err(e) => out.push(FieldError { field: path, message: e.to_string() }),
                Ok(fields) => {
                    for name in fields {
                        if let Some(secret) = name.strip_prefix(super::secrets::TEMPLATE_PREFIX) {
                            if let Err(why) = super::secrets::check_name(secret) {
                                let message = format!("\"{name}\" cannot name a secret: {why}");
                                out.push(FieldError { field: path.clone(), message });
                            }
                            continue;
                        }
                        let known = match name.strip_prefix("vars.") {
                            Some(rest) => saved.contains(&rest.split('.').next().unwrap_or("")),
                            None => trigger.carries(&name),
                        };
                        if !known {
                            let message = if name.starts_with("vars.") {
                                format!("\"{name}\" is not the output of an earlier step of this rule.")
                            } else {
                                format!("\"{}\" events carry no field \"{name}\".", trigger.name)
                            };
                            out.push(FieldError { field: path.clone(), message });
                        }
                    }
                }
            },
            Value::Array(items) => {
                for (i, x) in items.iter().enumerate() {
                    walk(x, format!("{path}.{i}"), trigger, saved, out);
                }
            }
            Value::Object(m) => {
                for (k, x) in m {
                    walk(x, format!("{path}.{k}"), trigger, saved, out);
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(params, at.to_string(), trigger, saved, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_catalog_has_every_trigger_of_the_design_once_with_its_module() {
        let ids: Vec<&str> = TRIGGERS.iter().map(|t| t.id).collect();
        let mut unique = ids.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), ids.len(), "ids are unique");
        assert_eq!(list(Some("crm")).len(), 4);
        assert_eq!(list(Some("sales")).len(), 5);
        assert_eq!(list(Some("store")).len(), 4);
        assert_eq!(list(None).len(), 13);
        assert!(list(Some("hr")).is_empty());
        for t in TRIGGERS {
            assert!(MODULE_TYPES.contains(&t.module_type), "{}", t.id);
            assert!(t.fields().next().is_some() && t.fields().all(|f| !f.description.is_empty()), "{}", t.id);
            let names: Vec<&str> = t.fields().map(|f| f.name).collect();
            let mut distinct = names.clone();
            distinct.sort();
            distinct.dedup();
            assert_eq!(distinct.len(), names.len(), "{} names a field twice", t.id);
        }
        assert_eq!(find("high_value_opportunity").map(|t| t.module_type), Some("sales"));
        assert!(find("nope").is_none());
        let shown = serde_json::to_value(find("deal_closed_won").unwrap()).unwrap();
        let names: Vec<&str> =
            shown["fields"].as_array().unwrap().iter().map(|f| f["name"].as_str().unwrap()).collect();
        assert_eq!(names[..3], ["opportunity_id", "opportunity_name", "value"]);
        assert!(names.contains(&"closed_at") && !names.contains(&"stage"));
    }

    #[test]
    fn templates_may_name_only_what_the_trigger_carries() {
        let hv = find("high_value_opportunity").unwrap();
        let ok = json!({"message": "New high-value opportunity: {{opportunity_name}} - ${{value}}"});
        assert!(check_templates(hv, "actions.0.parameters", &ok, &[]).is_empty());
        let bad = json!({"message": "Hi {{customer_email}}", "target": {"id": "{{vars.ticket.id}}"}, "n": ["{{x"]});
        let errors = check_templates(hv, "actions.1.parameters", &bad, &[]);
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            vec!["actions.1.parameters.message", "actions.1.parameters.n.0", "actions.1.parameters.target.id"]
        );
        assert_eq!(errors[0].message, "\"High-value opportunity\" events carry no field \"customer_email\".");
        assert!(check_templates(hv, "p", &json!("{{vars.ticket.id}}"), &["ticket"]).is_empty());
        let changed = find("opportunity_stage_changed").unwrap();
        assert!(changed.carries("previous.stage") && !hv.carries("previous.stage"));
    }
}
