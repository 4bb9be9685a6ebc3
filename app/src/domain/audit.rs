//! The tamper-evident audit chain (DESIGN.md §2): every org has one append-only sequence of
//! events; `hash = SHA-256(prev_hash ‖ canonical JSON of the event)`. Changing, deleting,
//! reordering or truncating stored events breaks the chain at a point `verify_chain` names.
//!
//! Pure: the services layer loads events and calls these functions.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// `prev_hash` of the first event of every org.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Who caused an event.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditActor {
    /// `user`, `api_key`, `system` or `anonymous` (a failed sign-in).
    #[serde(rename = "type")]
    pub kind: String,
    pub id: Option<String>,
    /// Email, key name or "system": readable even after the user is gone.
    pub label: String,
}

/// The hashed content of an event: everything except its own hash and row id.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AuditEventBody {
    pub org_id: String,
    pub seq: i64,
    /// RFC 3339 UTC with microseconds, exactly as stored (both databases keep microseconds).
    pub occurred_at: String,
    pub actor: AuditActor,
    /// Dotted verb such as `auth.login`, `org.created`, `auth.login_failed`.
    pub action: String,
    pub entity_type: String,
    pub entity_id: Option<String>,
    pub before: Option<Value>,
    pub after: Option<Value>,
    pub ip: Option<String>,
    pub request_id: Option<String>,
}

/// A stored event as the verifier sees it.
#[derive(Clone, Debug, PartialEq)]
pub struct ChainedEvent {
    pub id: i64,
    pub body: AuditEventBody,
    pub prev_hash: String,
    pub hash: String,
}

/// JSON with object keys sorted and no insignificant whitespace, so the same content
/// always hashes the same, whatever order a database or serializer returns keys in.
pub fn canonical_json(value: &Value) -> String {
    let mut out = String::new();
    write_canonical(value, &mut out);
    out
}

fn write_canonical(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, key) in keys.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String((*key).clone()).to_string());
                out.push(':');
                write_canonical(&map[*key], out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}

/// The hash of an event given the hash before it.
pub fn chain_hash(prev_hash: &str, body: &AuditEventBody) -> String {
    let json = serde_json::to_value(body).map(|v| canonical_json(&v)).unwrap_or_default();
    let mut hasher = Sha256::new();
    hasher.update(prev_hash.as_bytes());
    hasher.update(json.as_bytes());
    hex::encode(hasher.finalize())
}

/// The first place where the chain does not hold.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BrokenLink {
    pub org_id: String,
    /// Row id of the offending event (None when events are missing at the end).
    pub event_id: Option<i64>,
    pub seq: i64,
    pub reason: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainReport {
    pub ok: bool,
    pub events: u64,
    pub first_broken: Option<BrokenLink>,
}

/// The head the database records for an org: the seq and hash of its last event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChainHead {
    pub seq: i64,
    pub hash: String,
}

/// Recomputes one org's chain incrementally, so the service can stream events from the
/// database page by page. Feed events in `seq` order, then call `finish`.
#[derive(Clone, Debug)]
pub struct ChainVerifier {
    org_id: String,
    prev_hash: String,
    expected_seq: i64,
    count: u64,
}

impl ChainVerifier {
    pub fn new(org_id: &str) -> Self {
        ChainVerifier { org_id: org_id.to_string(), prev_hash: GENESIS_HASH.to_string(), expected_seq: 1, count: 0 }
    }

    /// Checks the next event; the error names it and says what is wrong.
    pub fn push(&mut self, event: &ChainedEvent) -> Result<(), BrokenLink> {
        self.count += 1;
        let broken = |reason: String| BrokenLink {
            org_id: self.org_id.clone(),
            event_id: Some(event.id),
            seq: event.body.seq,
            reason,
        };
        if event.body.org_id != self.org_id {
            return Err(broken("event belongs to another organisation".into()));
        }
        if event.body.seq != self.expected_seq {
            return Err(broken(format!(
                "sequence jumps from {} to {}: events are missing or reordered",
                self.expected_seq - 1,
                event.body.seq
            )));
        }
        if event.prev_hash != self.prev_hash {
            return Err(broken(
                "prev_hash does not match the previous event: an event before it was changed or removed".into(),
            ));
        }
        let computed = chain_hash(&self.prev_hash, &event.body);
        if computed != event.hash {
            return Err(broken("content does not match its hash: this event was changed after it was written".into()));
        }
        self.prev_hash = computed;
        self.expected_seq += 1;
        Ok(())
    }

    /// The report for a chain that broke at `link`.
    pub fn broken(self, link: BrokenLink) -> ChainReport {
        ChainReport { ok: false, events: self.count, first_broken: Some(link) }
    }

    /// Compares the end of the log with the recorded head (events removed from the end).
    pub fn finish(self, head: Option<&ChainHead>) -> ChainReport {
        let last_seq = self.expected_seq - 1;
        if let Some(head) = head {
            if head.seq != last_seq || head.hash != self.prev_hash {
                let link = BrokenLink {
                    org_id: self.org_id.clone(),
                    event_id: None,
                    seq: last_seq + 1,
                    reason: format!(
                        "the chain head records event {} but the log ends at event {}: events were removed from the end",
                        head.seq, last_seq
                    ),
                };
                return self.broken(link);
            }
        }
        ChainReport { ok: true, events: self.count, first_broken: None }
    }
}

/// Recomputes one org's chain. `events` must be that org's events ordered by `seq`.
pub fn verify_chain<'a>(
    org_id: &str,
    events: impl IntoIterator<Item = &'a ChainedEvent>,
    head: Option<&ChainHead>,
) -> ChainReport {
    let mut verifier = ChainVerifier::new(org_id);
    for event in events {
        if let Err(link) = verifier.push(event) {
            return verifier.broken(link);
        }
    }
    verifier.finish(head)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn body(seq: i64, action: &str) -> AuditEventBody {
        AuditEventBody {
            org_id: "org-1".into(),
            seq,
            occurred_at: format!("2026-11-23T10:00:{:02}.000000Z", seq % 60),
            actor: AuditActor { kind: "user".into(), id: Some("u1".into()), label: "ada@example.com".into() },
            action: action.into(),
            entity_type: "user".into(),
            entity_id: Some("u1".into()),
            before: None,
            after: Some(json!({"status": "active", "n": seq})),
            ip: Some("127.0.0.1".into()),
            request_id: Some(format!("req-{seq}")),
        }
    }

    fn chain(n: i64) -> (Vec<ChainedEvent>, ChainHead) {
        let mut prev = GENESIS_HASH.to_string();
        let mut events = Vec::new();
        for seq in 1..=n {
            let b = body(seq, "auth.login");
            let hash = chain_hash(&prev, &b);
            events.push(ChainedEvent { id: seq * 10, body: b, prev_hash: prev.clone(), hash: hash.clone() });
            prev = hash;
        }
        (events, ChainHead { seq: n, hash: prev })
    }

    #[test]
    fn canonical_json_sorts_keys_recursively() {
        let a = json!({"b": 1, "a": {"d": [1, {"z": 1, "y": 2}], "c": "x"}});
        assert_eq!(canonical_json(&a), r#"{"a":{"c":"x","d":[1,{"y":2,"z":1}]},"b":1}"#);
    }

    #[test]
    fn intact_chain_verifies() {
        let (events, head) = chain(5);
        let report = verify_chain("org-1", &events, Some(&head));
        assert!(report.ok);
        assert_eq!(report.events, 5);
    }

    #[test]
    fn empty_chain_verifies() {
        let report = verify_chain("org-1", &[], Some(&ChainHead { seq: 0, hash: GENESIS_HASH.into() }));
        assert!(report.ok);
        assert_eq!(report.events, 0);
    }

    #[test]
    fn tampering_one_event_names_it() {
        let (mut events, head) = chain(5);
        events[2].body.after = Some(json!({"status": "suspended"}));
        let report = verify_chain("org-1", &events, Some(&head));
        assert!(!report.ok);
        let broken = report.first_broken.unwrap();
        assert_eq!(broken.seq, 3);
        assert_eq!(broken.event_id, Some(30));
        assert!(broken.reason.contains("changed"), "{}", broken.reason);
    }

    #[test]
    fn rewriting_hash_too_is_caught_at_the_next_event() {
        let (mut events, head) = chain(5);
        events[1].body.actor.label = "mallory@example.com".into();
        events[1].hash = chain_hash(&events[1].prev_hash, &events[1].body);
        let broken = verify_chain("org-1", &events, Some(&head)).first_broken.unwrap();
        assert_eq!(broken.seq, 3);
        assert!(broken.reason.contains("prev_hash"));
    }

    #[test]
    fn deleting_an_event_is_caught() {
        let (mut events, head) = chain(5);
        events.remove(1);
        let broken = verify_chain("org-1", &events, Some(&head)).first_broken.unwrap();
        assert_eq!(broken.seq, 3);
        assert!(broken.reason.contains("missing"));
    }

    #[test]
    fn truncating_the_end_is_caught_by_the_head() {
        let (mut events, head) = chain(5);
        events.pop();
        let report = verify_chain("org-1", &events, Some(&head));
        assert!(!report.ok);
        let broken = report.first_broken.unwrap();
        assert_eq!(broken.seq, 5);
        assert_eq!(broken.event_id, None);
    }

    proptest! {
        #[test]
        fn any_single_field_change_is_detected(n in 1i64..20, victim in 0usize..20, label in "[a-z]{1,12}") {
            let (mut events, head) = chain(n);
            let victim = victim % events.len();
            let original = events[victim].body.actor.label.clone();
            prop_assume!(original != label);
            events[victim].body.actor.label = label;
            let report = verify_chain("org-1", &events, Some(&head));
            prop_assert!(!report.ok);
            prop_assert_eq!(report.first_broken.unwrap().seq, victim as i64 + 1);
        }
    }
}
