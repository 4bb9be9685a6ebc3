//! How PATCH bodies read from JSON: a field left out keeps its value, a field sent as `null`
//! clears it. Pure serde, shared by the REST API (which deserializes the domain's patch
//! types directly) and anything else that reads a patch from JSON.
//!
//! What must not live here: validation (each area's own rules) or anything doing I/O.

use serde::{Deserialize, Deserializer};

/// For an `Option<Option<String>>` field with `#[serde(default, deserialize_with =
/// "present")]`: left out → `None` (keep), `null` → `Some(None)` (clear), a string →
/// `Some(Some(s))` (set).
pub fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize, Debug, PartialEq)]
    struct Patch {
        #[serde(default, deserialize_with = "present")]
        team_id: Option<Option<String>>,
    }

    #[test]
    fn absent_null_and_set_are_three_things() {
        let read = |s: &str| serde_json::from_str::<Patch>(s).map(|p| p.team_id);
        assert_eq!(read("{}").ok(), Some(None));
        assert_eq!(read(r#"{"team_id": null}"#).ok(), Some(Some(None)));
        assert_eq!(read(r#"{"team_id": "t1"}"#).ok(), Some(Some(Some("t1".into()))));
        assert!(read(r#"{"team_id": 5}"#).is_err());
    }
}
