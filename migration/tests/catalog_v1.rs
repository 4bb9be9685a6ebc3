//! The built-in catalog, version 1 (`src/catalog_v1.json`, seeded by migration 000010):
//! its shape, its JSON Schemas (they compile, they accept what an agent should send and
//! refuse what it must not), the fields limits and redaction read, the defaults of DESIGN.md §2,
//! and the migration itself on a real database (SQLite always, PostgreSQL when
//! `TEST_DATABASE_URL` is set).

use jsonschema::Validator;
use migration::{Migrator, MigratorTrait};
use sea_orm_migration::sea_orm::{ConnectionTrait, Database, DatabaseConnection, Statement};
use serde_json::{json, Map, Value};
use std::collections::BTreeSet;

const CATALOG: &str = include_str!("../src/catalog_v1.json");

const COMMERCE: [&str; 7] = [
    "lookup_order",
    "send_tracking",
    "update_address",
    "cancel_order",
    "initiate_return",
    "process_refund",
    "apply_discount",
];

const BUSINESS: [&str; 18] = [
    "tickets.create",
    "tickets.add_comment",
    "tickets.update_fields",
    "tickets.assign",
    "tickets.close",
    "tickets.link_entities",
    "tickets.add_attachment",
    "tickets.find",
    "clients.find",
    "clients.search",
    "contacts.find",
    "contacts.search",
    "email.send",
    "notifications.send_in_app",
    "scheduling.assign_user",
    "projects.create_task",
    "time.create_entry",
    "crm.create_activity_note",
];

const AUTOMATION: [&str; 3] = ["send_notification", "update_status", "create_task"];

const FIELDS: [&str; 18] = [
    "id",
    "version",
    "name",
    "description",
    "category",
    "input_schema",
    "output_schema",
    "amount_field",
    "percentage_field",
    "order_total_field",
    "risk",
    "retryable",
    "idempotent",
    "required_permission",
    "redact_fields",
    "executor",
    "default_enabled",
    "default_requires_confirmation",
];

fn catalog() -> Vec<Value> {
    serde_json::from_str(CATALOG).expect("catalog_v1.json is a JSON array")
}

fn entry(id: &str) -> Value {
    catalog().into_iter().find(|e| e["id"] == id).unwrap_or_else(|| panic!("{id} is in the catalog"))
}

fn validator(id: &str) -> Validator {
    jsonschema::draft202012::new(&entry(id)["input_schema"]).unwrap_or_else(|e| panic!("{id}: {e}"))
}

fn str_or_null(v: &Value) -> Option<&str> {
    match v {
        Value::Null => None,
        Value::String(s) => Some(s),
        other => panic!("expected a string or null, got {other}"),
    }
}

/// Checks `params` against the action's input schema the way the service does
/// (`validator_for`, formats not asserted) and with the explicit 2020-12 validator.
fn check(id: &str, params: Value, expect_valid: bool) {
    let schema = entry(id)["input_schema"].clone();
    let by_draft = jsonschema::validator_for(&schema).expect("compiles");
    let strict = validator(id);
    for v in [&by_draft, &strict] {
        let errors: Vec<String> = v.iter_errors(&params).map(|e| format!("{} at {}", e, e.instance_path())).collect();
        assert_eq!(
            errors.is_empty(),
            expect_valid,
            "{id}: {params} should be {}; errors: {errors:?}",
            if expect_valid { "valid" } else { "invalid" }
        );
    }
}

fn ok(id: &str, params: Value) {
    check(id, params, true)
}

fn bad(id: &str, params: Value) {
    check(id, params, false)
}

/// The object schema at `path` ("source.url" → properties.source, then its properties.url).
fn property<'a>(schema: &'a Value, path: &str) -> Option<&'a Value> {
    let mut at = schema;
    for part in path.split('.') {
        at = at.get("properties")?.get(part)?;
    }
    Some(at)
}

/// Every `properties` map anywhere in `schema` (incl. array items, anyOf branches).
fn walk_properties<'a>(schema: &'a Value, path: String, out: &mut Vec<(String, &'a Map<String, Value>)>) {
    if let Value::Object(m) = schema {
        if let Some(Value::Object(props)) = m.get("properties") {
            out.push((path.clone(), props));
            for (k, v) in props {
                walk_properties(v, format!("{path}.{k}"), out);
            }
        }
        for key in ["items", "additionalProperties"] {
            if let Some(v) = m.get(key) {
                walk_properties(v, format!("{path}[{key}]"), out);
            }
        }
        for key in ["anyOf", "allOf", "oneOf"] {
            if let Some(Value::Array(branches)) = m.get(key) {
                for b in branches {
                    walk_properties(b, format!("{path}[{key}]"), out);
                }
            }
        }
    }
}

#[test]
fn catalog_parses_with_28_unique_ids() {
    let entries = catalog();
    assert_eq!(entries.len(), 28);
    let ids: Vec<&str> = entries.iter().map(|e| e["id"].as_str().expect("string id")).collect();
    let unique: BTreeSet<&str> = ids.iter().copied().collect();
    assert_eq!(unique.len(), 28, "duplicate ids in {ids:?}");
    let expected: BTreeSet<&str> = COMMERCE.iter().chain(BUSINESS.iter()).chain(AUTOMATION.iter()).copied().collect();
    assert_eq!(unique, expected);
}

#[test]
fn every_entry_has_exactly_the_catalog_fields_with_their_types() {
    let categories =
        ["orders", "payments", "customers", "support", "crm", "communication", "scheduling", "projects", "automation"];
    for e in catalog() {
        let id = e["id"].as_str().unwrap();
        let keys: BTreeSet<&str> = e.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(keys, FIELDS.iter().copied().collect::<BTreeSet<_>>(), "{id}: fields");
        assert_eq!(e["version"], 1, "{id}");
        let name = e["name"].as_str().unwrap();
        assert!(!name.is_empty() && name.len() <= 40, "{id}: name {name:?} is a short title");
        let description = e["description"].as_str().unwrap();
        let sentences = description.matches(". ").count() + 1;
        assert!(description.ends_with('.') && (1..=2).contains(&sentences), "{id}: 1-2 sentences: {description:?}");
        assert!(categories.contains(&e["category"].as_str().unwrap()), "{id}: category");
        assert!(["read", "write", "money"].contains(&e["risk"].as_str().unwrap()), "{id}: risk");
        assert!(["platform", "internal", "connector"].contains(&e["executor"].as_str().unwrap()), "{id}: executor");
        for flag in ["retryable", "idempotent", "default_enabled", "default_requires_confirmation"] {
            assert!(e[flag].is_boolean(), "{id}: {flag}");
        }
        for f in ["amount_field", "percentage_field", "order_total_field", "required_permission"] {
            str_or_null(&e[f]);
        }
        assert!(e["redact_fields"].as_array().unwrap().iter().all(Value::is_string), "{id}: redact_fields");
    }
}

#[test]
fn executors_permissions_and_risk_follow_the_catalog_rules() {
    let internal = ["send_notification", "create_task", "update_status", "email.send", "notifications.send_in_app"];
    for e in catalog() {
        let id = e["id"].as_str().unwrap();
        let executor = e["executor"].as_str().unwrap();
        let expected = if COMMERCE.contains(&id) {
            "platform"
        } else if internal.contains(&id) {
            "internal"
        } else {
            "connector"
        };
        assert_eq!(executor, expected, "{id}: executor");

        let permission = str_or_null(&e["required_permission"]);
        if BUSINESS.contains(&id) {
            let p = permission.unwrap_or_else(|| panic!("{id} needs a connector capability"));
            assert!(p.ends_with(".read") || p.ends_with(".write") || p.ends_with(".send"), "{id}: {p}");
        } else {
            assert_eq!(permission, None, "{id}: commerce and automation actions need no connector capability");
        }

        let risk = e["risk"].as_str().unwrap();
        let reads = id == "lookup_order" || id.ends_with(".find") || id.ends_with(".search");
        let money = id == "process_refund" || id == "apply_discount";
        let expected_risk = if reads {
            "read"
        } else if money {
            "money"
        } else {
            "write"
        };
        assert_eq!(risk, expected_risk, "{id}: risk");
        if let Some(p) = permission {
            assert_eq!(p.ends_with(".read"), reads, "{id}: a read needs a .read capability and only a read does");
        }

        let retryable = e["retryable"].as_bool().unwrap();
        let idempotent = e["idempotent"].as_bool().unwrap();
        if reads {
            assert!(retryable && idempotent, "{id}: reads are retryable and idempotent");
        }
        assert_eq!(retryable, idempotent, "{id}: only idempotent actions are retried");
        if money {
            assert!(!retryable, "{id}: moving money is never retried automatically");
        }
    }
}

#[test]
fn defaults_are_those_of_design_section_2() {
    for e in catalog() {
        let id = e["id"].as_str().unwrap();
        let on = id == "lookup_order" || id == "send_tracking";
        assert_eq!(e["default_enabled"], on, "{id}: default_enabled");
        assert_eq!(e["default_requires_confirmation"], !on, "{id}: default_requires_confirmation");
    }
}

#[test]
fn every_schema_compiles_as_a_closed_2020_12_object_with_labelled_properties() {
    for e in catalog() {
        let id = e["id"].as_str().unwrap();
        for which in ["input_schema", "output_schema"] {
            let schema = &e[which];
            jsonschema::draft202012::meta::validate(schema).unwrap_or_else(|err| panic!("{id} {which}: {err}"));
            jsonschema::validator_for(schema).unwrap_or_else(|err| panic!("{id} {which}: {err}"));
            jsonschema::draft202012::new(schema).unwrap_or_else(|err| panic!("{id} {which}: {err}"));
            assert_eq!(schema["$schema"], "https://json-schema.org/draft/2020-12/schema", "{id} {which}");
            assert_eq!(schema["type"], "object", "{id} {which}");
            assert_eq!(schema["additionalProperties"], false, "{id} {which}");
            let mut maps = Vec::new();
            walk_properties(schema, String::new(), &mut maps);
            assert!(!maps.is_empty() && !maps[0].1.is_empty(), "{id} {which}: has properties");
            for (path, props) in maps {
                for (name, p) in props {
                    for label in ["title", "description"] {
                        let text = p.get(label).and_then(Value::as_str).unwrap_or("");
                        assert!(!text.trim().is_empty(), "{id} {which}{path}.{name}: needs a {label}");
                    }
                }
            }
            // Every `required` names a property of its object.
            let mut stack = vec![schema];
            while let Some(s) = stack.pop() {
                if let (Some(Value::Array(req)), Some(Value::Object(props))) = (s.get("required"), s.get("properties"))
                {
                    for r in req {
                        assert!(props.contains_key(r.as_str().unwrap()), "{id} {which}: required {r} is a property");
                    }
                }
                if let Value::Object(m) = s {
                    stack.extend(m.values().filter(|v| v.is_object()));
                    for v in m.values() {
                        if let Value::Array(a) = v {
                            stack.extend(a.iter().filter(|v| v.is_object()));
                        }
                    }
                }
            }
        }
    }
}

/// An action id with its amount, percentage and order-total fields.
type MoneyFields<'a> = (&'a str, Option<&'a str>, Option<&'a str>, Option<&'a str>);

#[test]
fn amount_percentage_and_order_total_fields_name_decimal_inputs() {
    let expected: [MoneyFields; 3] = [
        ("process_refund", Some("amount"), None, Some("order_total")),
        ("apply_discount", Some("amount"), Some("percentage"), None),
        ("cancel_order", None, None, Some("order_total")),
    ];
    for e in catalog() {
        let id = e["id"].as_str().unwrap();
        let got = (
            str_or_null(&e["amount_field"]),
            str_or_null(&e["percentage_field"]),
            str_or_null(&e["order_total_field"]),
        );
        let want = expected.iter().find(|x| x.0 == id).map(|x| (x.1, x.2, x.3)).unwrap_or((None, None, None));
        assert_eq!(got, want, "{id}: amount / percentage / order_total fields");
        for field in [got.0, got.1, got.2].into_iter().flatten() {
            let p = property(&e["input_schema"], field).unwrap_or_else(|| panic!("{id}: {field} is an input property"));
            assert_eq!(p["type"], json!(["number", "string"]), "{id}: {field} is a decimal (number or string)");
            assert!(p["pattern"].is_string(), "{id}: {field} checks its string form");
        }
        if e["risk"] == "money" {
            assert!(got.0.is_some(), "{id}: a money action names its amount field");
        }
    }
}

#[test]
fn redact_fields_name_existing_inputs() {
    for e in catalog() {
        let id = e["id"].as_str().unwrap();
        for f in e["redact_fields"].as_array().unwrap() {
            let f = f.as_str().unwrap();
            assert!(property(&e["input_schema"], f).is_some(), "{id}: redact field {f} is an input property");
        }
    }
    // A download link can carry an access token: it never reaches the audit trail.
    assert_eq!(entry("tickets.add_attachment")["redact_fields"], json!(["source.url"]));
    assert_eq!(entry("email.send")["redact_fields"], json!([]));
}

#[test]
fn lookup_order_and_send_tracking_inputs() {
    ok("lookup_order", json!({"order_id": "1001"}));
    bad("lookup_order", json!({}));
    bad("lookup_order", json!({"order_id": ""}));
    bad("lookup_order", json!({"order_id": "x".repeat(101)}));
    bad("lookup_order", json!({"order_id": 1001}));
    bad("lookup_order", json!({"order_id": "1001", "extra": true}));

    ok("send_tracking", json!({"order_id": "1001"}));
    for channel in ["email", "sms", "chat"] {
        ok("send_tracking", json!({"order_id": "1001", "channel": channel}));
    }
    bad("send_tracking", json!({"order_id": "1001", "channel": "fax"}));
    bad("send_tracking", json!({"channel": "email"}));
}

#[test]
fn update_address_needs_the_address_fields() {
    let full = json!({"line1": "Main St 1", "line2": "Flat 2", "city": "Berlin", "region": "BE", "postal_code": "10115", "country": "DE"});
    ok("update_address", json!({"order_id": "1001", "address": full}));
    ok(
        "update_address",
        json!({"order_id": "1001", "address": {"line1": "Main St 1", "city": "Berlin", "postal_code": "10115", "country": "DE"}}),
    );
    bad("update_address", json!({"order_id": "1001"}));
    for missing in ["line1", "city", "postal_code", "country"] {
        let mut a = full.clone();
        a.as_object_mut().unwrap().remove(missing);
        bad("update_address", json!({"order_id": "1001", "address": a}));
    }
    for country in ["de", "DEU", "D"] {
        let mut a = full.clone();
        a["country"] = json!(country);
        bad("update_address", json!({"order_id": "1001", "address": a}));
    }
    let mut a = full.clone();
    a["phone"] = json!("+49");
    bad("update_address", json!({"order_id": "1001", "address": a}));
    bad("update_address", json!({"order_id": "1001", "address": "Main St 1, Berlin"}));
}

#[test]
fn cancel_order_and_initiate_return_inputs() {
    ok("cancel_order", json!({"order_id": "1001"}));
    ok("cancel_order", json!({"order_id": "1001", "reason": "Ordered twice", "order_total": "0"}));
    ok("cancel_order", json!({"order_id": "1001", "order_total": 80.5}));
    bad("cancel_order", json!({"order_id": "1001", "order_total": -1}));
    bad("cancel_order", json!({"order_id": "1001", "order_total": "-1"}));
    bad("cancel_order", json!({"reason": "x"}));

    ok("initiate_return", json!({"order_id": "1001", "reason": "Too small"}));
    ok(
        "initiate_return",
        json!({"order_id": "1001", "reason": "Too small", "items": [{"sku": "TS-1", "quantity": 2}]}),
    );
    bad("initiate_return", json!({"order_id": "1001"}));
    bad("initiate_return", json!({"order_id": "1001", "reason": "x", "items": []}));
    bad("initiate_return", json!({"order_id": "1001", "reason": "x", "items": [{"sku": "TS-1", "quantity": 0}]}));
    bad("initiate_return", json!({"order_id": "1001", "reason": "x", "items": [{"sku": "TS-1", "quantity": 1.5}]}));
    bad("initiate_return", json!({"order_id": "1001", "reason": "x", "items": [{"quantity": 1}]}));
}

#[test]
fn process_refund_amounts() {
    let r = |amount: Value| json!({"order_id": "1001", "amount": amount});
    for good in [
        json!(12.5),
        json!(1),
        json!(0.01),
        json!("12.50"),
        json!("100"),
        json!("0.5"),
        json!("0.0001"),
        json!("999999999999999.9999"),
    ] {
        ok("process_refund", r(good));
    }
    for wrong in [
        json!(0),
        json!(-5),
        json!("-5"),
        json!("0"),
        json!("0.00"),
        json!("abc"),
        json!("12,50"),
        json!("1e3"),
        json!("12.50001"),
        json!(" 12"),
        json!(""),
        json!(null),
        json!(true),
        json!(1e16),
    ] {
        bad("process_refund", r(wrong));
    }
    bad("process_refund", json!({"order_id": "1001"}));
    bad("process_refund", json!({"amount": "10"}));
    ok(
        "process_refund",
        json!({"order_id": "1001", "amount": "30", "currency": "EUR", "reason": "Damaged", "order_total": "120.00"}),
    );
    bad("process_refund", json!({"order_id": "1001", "amount": "30", "currency": "eur"}));
    bad("process_refund", json!({"order_id": "1001", "amount": "30", "currency": "EURO"}));
    bad("process_refund", json!({"order_id": "1001", "amount": "30", "order_total": "-120"}));
    ok("process_refund", json!({"order_id": "1001", "amount": "30", "order_total": 0}));
}

#[test]
fn apply_discount_needs_a_target_and_a_size() {
    ok("apply_discount", json!({"order_id": "1001", "percentage": 10}));
    ok("apply_discount", json!({"customer_ref": "c@example.com", "amount": "5.00", "code": "SORRY-5"}));
    ok("apply_discount", json!({"order_id": "1001", "customer_ref": "c1", "percentage": "12.5", "amount": 3}));
    bad("apply_discount", json!({"percentage": 10}));
    bad("apply_discount", json!({"order_id": "1001"}));
    bad("apply_discount", json!({"customer_ref": "c1", "code": "X"}));
    for p in [json!(0), json!(-1), json!(100.01), json!("0"), json!("101"), json!("100.5"), json!("abc")] {
        bad("apply_discount", json!({"order_id": "1001", "percentage": p}));
    }
    for p in [json!(100), json!("100"), json!("100.00"), json!(0.5), json!("0.05"), json!("99.9999")] {
        ok("apply_discount", json!({"order_id": "1001", "percentage": p}));
    }
    bad("apply_discount", json!({"order_id": "1001", "amount": "-5"}));
    bad("apply_discount", json!({"order_id": "1001", "amount": 0}));
    bad("apply_discount", json!({"order_id": "1001", "amount": 5, "code": "has space"}));
}

#[test]
fn business_operations_inputs() {
    ok(
        "tickets.create",
        json!({"client": {"id": "c1"}, "subject": "Printer broken", "priority": "high", "idempotency_key": "k1"}),
    );
    ok(
        "tickets.create",
        json!({"contact": {"email": "a@b.example"}, "subject": "Help", "tags": ["a"], "custom_fields": {"sla": "gold", "seats": 3},
               "first_comment": {"body": "Hi", "visibility": "internal"}}),
    );
    bad("tickets.create", json!({"subject": "No one to file it for"}));
    bad("tickets.create", json!({"client": {}, "subject": "Empty client"}));
    bad("tickets.create", json!({"client": {"id": "c1"}, "subject": "x", "priority": "asap"}));
    bad("tickets.create", json!({"client": {"id": "c1"}, "subject": "x", "custom_fields": {"nested": {"no": 1}}}));

    ok("tickets.add_comment", json!({"ticket": {"number": "4711"}, "body": "Done", "visibility": "public"}));
    bad("tickets.add_comment", json!({"ticket": {"number": "4711"}, "body": "Done"}));
    bad("tickets.add_comment", json!({"ticket": {"number": "4711"}, "body": "Done", "visibility": "secret"}));

    ok("tickets.update_fields", json!({"ticket": {"id": "t1"}, "patch": {"status": "pending"}}));
    bad("tickets.update_fields", json!({"ticket": {"id": "t1"}, "patch": {}}));

    ok("tickets.assign", json!({"ticket": {"id": "t1"}, "assignee": {"type": "queue", "id": "q1"}}));
    bad("tickets.assign", json!({"ticket": {"id": "t1"}, "assignee": {"type": "robot", "id": "r1"}}));

    ok("tickets.close", json!({"ticket": {"id": "t1"}, "resolution": {"code": "fixed"}, "notify_requester": true}));
    bad("tickets.close", json!({"ticket": {"id": "t1"}, "resolution": {}}));

    ok(
        "tickets.link_entities",
        json!({"ticket": {"id": "t1"}, "target": {"type": "contract", "id": "k9"}, "link_type": "relates_to"}),
    );
    bad(
        "tickets.link_entities",
        json!({"ticket": {"id": "t1"}, "target": {"type": "Contract!", "id": "k9"}, "link_type": "relates_to"}),
    );

    ok(
        "tickets.add_attachment",
        json!({"ticket": {"id": "t1"}, "source": {"url": "https://files.example/x?token=s"}, "visibility": "internal"}),
    );
    ok(
        "tickets.add_attachment",
        json!({"ticket": {"id": "t1"}, "source": {"upload_ref": "u1"}, "visibility": "public"}),
    );
    bad(
        "tickets.add_attachment",
        json!({"ticket": {"id": "t1"}, "source": {"upload_ref": "u1", "url": "https://x.example"}, "visibility": "public"}),
    );
    bad(
        "tickets.add_attachment",
        json!({"ticket": {"id": "t1"}, "source": {"url": "file:///etc/passwd"}, "visibility": "public"}),
    );

    ok("tickets.find", json!({"number": "4711", "include": ["comments"]}));
    bad("tickets.find", json!({"include": ["comments"]}));
    bad("tickets.find", json!({"id": "t1", "include": ["everything"]}));

    ok("clients.find", json!({"name": "ACME GmbH"}));
    bad("clients.find", json!({}));
    ok("clients.search", json!({}));
    ok("clients.search", json!({"query": "acme", "filters": {"status": "active"}, "page": {"limit": 20}}));
    bad("clients.search", json!({"page": {"limit": 1000}}));

    ok("contacts.find", json!({"phone": "+49 30 1234567", "client": {"id": "c1"}}));
    bad("contacts.find", json!({"email": "not-an-email"}));
    bad("contacts.find", json!({"client": {"id": "c1"}}));
    ok("contacts.search", json!({"query": "anna", "page": {"cursor": "abc"}}));

    ok("email.send", json!({"to": ["a@b.example"], "subject": "Hi", "body": "Hello {{name}}"}));
    bad("email.send", json!({"to": [], "subject": "Hi", "body": "x"}));
    bad("email.send", json!({"to": ["nobody"], "subject": "Hi", "body": "x"}));

    ok(
        "notifications.send_in_app",
        json!({"recipients": ["role:Approver", "u1"], "title": "Refund waiting", "severity": "warning"}),
    );
    bad("notifications.send_in_app", json!({"recipients": [], "title": "x"}));
    bad("notifications.send_in_app", json!({"recipients": ["u1"], "title": "x", "link": "javascript:alert(1)"}));

    let window = json!({"start": "2026-12-01T09:00:00Z", "end": "2026-12-01T10:30:00+01:00"});
    ok("scheduling.assign_user", json!({"user": "u1", "window": window, "conflict_mode": "reject"}));
    bad(
        "scheduling.assign_user",
        json!({"user": "u1", "window": {"start": "tomorrow", "end": "2026-12-01T10:00:00Z"}}),
    );

    ok(
        "projects.create_task",
        json!({"project": {"name": "Website"}, "title": "Fix footer", "due_date": "2026-12-31"}),
    );
    bad(
        "projects.create_task",
        json!({"project": {"name": "Website"}, "title": "Fix footer", "due_date": "31.12.2026"}),
    );

    ok(
        "time.create_entry",
        json!({"user": "u1", "start": "2026-12-01T09:00:00Z", "duration_minutes": 45, "billable": true}),
    );
    bad("time.create_entry", json!({"user": "u1", "start": "2026-12-01T09:00:00Z", "duration_minutes": 0}));

    ok("crm.create_activity_note", json!({"target": {"type": "client", "id": "c1"}, "body": "Called, all good."}));
    bad("crm.create_activity_note", json!({"target": {"type": "order", "id": "o1"}, "body": "x"}));
}

#[test]
fn automation_inputs() {
    ok(
        "send_notification",
        json!({"recipients": ["ops@shop.example"], "title": "Big refund", "body": "Order 1001", "channel": "both", "severity": "critical"}),
    );
    bad(
        "send_notification",
        json!({"recipients": [], "title": "x", "body": "y", "channel": "in_app", "severity": "info"}),
    );
    bad(
        "send_notification",
        json!({"recipients": ["u1"], "title": "x", "body": "y", "channel": "sms", "severity": "info"}),
    );

    ok("update_status", json!({"entity_type": "order", "entity_id": "1001", "status": "on_hold"}));
    bad("update_status", json!({"entity_type": "invoice", "entity_id": "1", "status": "paid"}));

    ok(
        "create_task",
        json!({"title": "Call the customer", "priority": "urgent", "linked_entity": {"type": "order", "id": "1001"}}),
    );
    bad("create_task", json!({"title": ""}));
    bad("create_task", json!({"title": "x", "due_date": "2026-13-01"}));
}

// --- the migration on a real database --------------------------------------------------------

async fn rows(db: &DatabaseConnection, sql: &str) -> Vec<sea_orm_migration::sea_orm::QueryResult> {
    db.query_all_raw(Statement::from_string(db.get_database_backend(), sql)).await.expect(sql)
}

async fn count_builtin(db: &DatabaseConnection) -> i64 {
    let r = rows(db, "SELECT COUNT(*) AS n FROM action_definitions WHERE org_id IS NULL AND version = 1").await;
    r[0].try_get::<i64>("", "n").expect("count")
}

/// Migrates a fresh database, checks every seeded row against the JSON, rolls the seed back
/// and forward again.
async fn seeded_rows_match_the_json(db: &DatabaseConnection) {
    Migrator::up(db, None).await.expect("migrate");
    assert_eq!(count_builtin(db).await, 28);
    let stored = rows(
        db,
        "SELECT id, name, category, input_schema, output_schema, amount_field, percentage_field, order_total_field, \
         risk, retryable, idempotent, required_permission, redact_fields, executor, default_enabled, \
         default_requires_confirmation FROM action_definitions WHERE org_id IS NULL AND version = 1",
    )
    .await;
    for e in catalog() {
        let id = e["id"].as_str().unwrap();
        let r = stored
            .iter()
            .find(|r| r.try_get::<String>("", "id").unwrap() == id)
            .unwrap_or_else(|| panic!("{id} seeded"));
        let text = |c: &str| r.try_get::<String>("", c).unwrap();
        let opt = |c: &str| r.try_get::<Option<String>>("", c).unwrap();
        let flag = |c: &str| r.try_get::<bool>("", c).unwrap();
        let parsed = |c: &str| serde_json::from_str::<Value>(&text(c)).unwrap();
        assert_eq!(text("name"), e["name"].as_str().unwrap());
        assert_eq!(text("category"), e["category"].as_str().unwrap());
        assert_eq!(parsed("input_schema"), e["input_schema"], "{id}");
        assert_eq!(parsed("output_schema"), e["output_schema"], "{id}");
        assert_eq!(parsed("redact_fields"), e["redact_fields"], "{id}");
        for c in ["amount_field", "percentage_field", "order_total_field", "required_permission"] {
            assert_eq!(opt(c).as_deref(), str_or_null(&e[c]), "{id} {c}");
        }
        assert_eq!(text("risk"), e["risk"].as_str().unwrap());
        assert_eq!(text("executor"), e["executor"].as_str().unwrap());
        for c in ["retryable", "idempotent", "default_enabled", "default_requires_confirmation"] {
            assert_eq!(flag(c), e[c].as_bool().unwrap(), "{id} {c}");
        }
    }

    // Roll back down to (and including) the seed, whatever migrations came after it.
    let all = Migrator::migrations();
    let seed = all.iter().position(|m| m.name() == "m20261123_000010_catalog_v1").expect("the seed migration");
    Migrator::down(db, Some((all.len() - seed) as u32)).await.expect("roll back the seed");
    assert_eq!(count_builtin(db).await, 0);
    Migrator::up(db, None).await.expect("seed again");
    assert_eq!(count_builtin(db).await, 28);
}

#[tokio::test]
async fn migration_seeds_the_catalog_on_sqlite() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let url = format!("sqlite://{}/t.db?mode=rwc", dir.path().display());
    let db = Database::connect(&url).await.expect("open SQLite");
    seeded_rows_match_the_json(&db).await;
    db.close().await.ok();
}

#[tokio::test]
async fn migration_seeds_the_catalog_on_postgres() {
    let Some(admin_url) = std::env::var("TEST_DATABASE_URL").ok().filter(|u| !u.trim().is_empty()) else {
        eprintln!("TEST_DATABASE_URL not set: the PostgreSQL variant is skipped");
        return;
    };
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    let name = format!("mandate_t_catalog_{}_{nanos}", std::process::id());
    let admin = Database::connect(&admin_url).await.expect("connect to TEST_DATABASE_URL");
    admin.execute_unprepared(&format!("CREATE DATABASE {name}")).await.expect("CREATE DATABASE");
    let url = match admin_url.rsplit_once('/') {
        Some((base, rest)) => match rest.split_once('?') {
            Some((_, query)) => format!("{base}/{name}?{query}"),
            None => format!("{base}/{name}"),
        },
        None => panic!("TEST_DATABASE_URL has no database name"),
    };
    let db = Database::connect(&url).await.expect("connect to the test database");
    // Run the checks in a task so the database is dropped even when they fail.
    let outcome = tokio::spawn(async move {
        seeded_rows_match_the_json(&db).await;
        db.close().await.ok();
    })
    .await;
    admin.execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await.ok();
    if let Err(e) = outcome {
        std::panic::resume_unwind(e.into_panic());
    }
}
