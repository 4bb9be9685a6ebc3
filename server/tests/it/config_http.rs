//! Configuration templates over HTTP and the CLI (level 3): `GET /api/v1/config/export`
//! gives the document as a download, `POST /api/v1/config/import?dry_run=` answers the diff
//! (a dry run changes nothing; a refused import names the field, in problem+json) and
//! applies it; `mandate config export|import` does the same from the command line.

use crate::support::{Fixture, Req};
use serde_json::{json, Value};

async fn export(fx: &Fixture, key: &str) -> (Value, String) {
    let res =
        reqwest::Client::new().get(format!("{}/api/v1/config/export", fx.base)).bearer_auth(key).send().await.unwrap();
    assert_eq!(res.status().as_u16(), 200);
    let disposition = res.headers()["content-disposition"].to_str().unwrap().to_string();
    assert_eq!(disposition, "attachment; filename=\"mandate-config-org-a.json\"");
    let text = res.text().await.unwrap();
    (serde_json::from_str(&text).unwrap(), text)
}

#[tokio::test]
async fn export_then_import_with_a_diff_over_rest() {
    let fx = Fixture::start().await;
    let owner = fx.org_a.keys["Owner"].clone();
    let (mut doc, text) = export(&fx, &owner).await;
    assert_eq!((doc["format"].as_str(), doc["version"].as_u64()), (Some("mandate.config"), Some(1)));
    assert!(!text.contains(&fx.org_a.store_id), "no database ids in the export");
    assert!(!text.contains("mgmt_") && !text.contains(&owner), "no API keys");

    // A limit is added to the store in the file: the dry run shows it and saves nothing.
    let store = doc["stores"][0]["name"].as_str().unwrap().to_string();
    doc["stores"][0]["limits"] =
        json!([{"action_type": "process_refund", "limit_type": "max_amount", "limit_value": "80"}]);
    let res = fx.call_with_key(&owner, &Req::json("POST", "/api/v1/config/import?dry_run=true", doc.clone())).await;
    assert_eq!(res.status, 200, "{:?}", res.body);
    assert_eq!((res.body["dry_run"].as_bool(), res.body["applied"].as_bool()), (Some(true), Some(false)));
    let object = &res.body["diff"]["objects"][0];
    assert_eq!(object["kind"], "changed");
    assert_eq!(object["object"], format!("Store \u{201c}{store}\u{201d}"));
    assert_eq!(object["fields"][0]["new"], "80.00 EUR");
    assert_eq!(export(&fx, &owner).await.1, text, "a dry run changes nothing");

    // A refused import: problem+json naming the field, nothing saved.
    let mut bad = doc.clone();
    bad["stores"][0]["limits"][0]["limit_value"] = json!("eighty");
    let res = fx.call_with_key(&owner, &Req::json("POST", "/api/v1/config/import", bad)).await;
    assert_eq!((res.status, res.code()), (422, Some("VALIDATION_ERROR")), "{:?}", res.body);
    assert_eq!(res.body["errors"][0]["field"], "stores[0].limits[0].limit_value");
    let mut unknown = doc.clone();
    unknown["stores"][0]["limits"][0]["max"] = json!(1);
    let res = fx.call_with_key(&owner, &Req::json("POST", "/api/v1/config/import", unknown)).await;
    assert_eq!(res.status, 422);
    assert!(res.body["detail"].as_str().unwrap().contains("unknown field `max`"), "{:?}", res.body);
    let mut newer = doc.clone();
    newer["version"] = json!(2);
    let res = fx.call_with_key(&owner, &Req::json("POST", "/api/v1/config/import", newer)).await;
    assert_eq!((res.status, res.body["errors"][0]["field"].as_str()), (422, Some("version")));
    assert_eq!(export(&fx, &owner).await.1, text);

    // Applied: the export now holds the limit; an Admin key may not import.
    let res = fx.call_with_key(&owner, &Req::json("POST", "/api/v1/config/import?dry_run=false", doc.clone())).await;
    assert_eq!((res.status, res.body["applied"].as_bool()), (200, Some(true)), "{:?}", res.body);
    assert_eq!(export(&fx, &owner).await.0["stores"][0]["limits"][0]["limit_value"], "80");
    let res = fx.call_with_key(&fx.org_a.keys["Admin"], &Req::json("POST", "/api/v1/config/import", doc)).await;
    assert_eq!((res.status, res.code()), (403, Some("PERMISSION_DENIED")));
}

#[tokio::test]
async fn the_cli_exports_and_imports_with_a_diff() {
    let fx = Fixture::start().await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("org-a.json");
    let run = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_mandate"))
            .args(["--database-url", &fx.db_url, "--data-dir", &dir.path().display().to_string(), "--log", "warn"])
            .args(args)
            .output()
            .expect("run mandate");
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).to_string(),
            String::from_utf8_lossy(&out.stderr).to_string(),
        )
    };
    let (code, _, err) = run(&["config", "export", "--org", "org-a", "--out", &file.display().to_string()]);
    assert_eq!(code, Some(0), "{err}");
    let mut doc: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    doc["org"]["time_zone"] = json!("Europe/Berlin");
    std::fs::write(&file, doc.to_string()).unwrap();
    let (code, out, err) = run(&["config", "import", "--org", "org-a", "--dry-run", &file.display().to_string()]);
    assert_eq!(code, Some(0), "{err}");
    assert!(out.contains("Changed: Organisation profile and preferences"), "{out}");
    assert!(out.contains("Time zone changes from UTC to Europe/Berlin"), "{out}");
    assert!(out.contains("Dry run: nothing was saved."), "{out}");
    let (code, out, err) = run(&["config", "import", "--org", "org-a", &file.display().to_string()]);
    assert_eq!(code, Some(0), "{err}");
    assert!(out.contains("Applied."), "{out}");
    let (_, out, _) = run(&["config", "export", "--org", "org-a"]);
    assert!(out.contains("\"time_zone\": \"Europe/Berlin\""), "{out}");
    // The import is audited as the operator.
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let events: Vec<String> = app::entities::audit_event::Entity::find()
        .filter(app::entities::audit_event::Column::OrgId.eq(fx.org_a.org.id.as_str()))
        .all(&fx.db)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.actor_type == "system")
        .map(|e| e.action)
        .collect();
    assert!(events.contains(&"config.imported".to_string()), "{events:?}");
    let (code, _, err) = run(&["config", "import", "--org", "nope", &file.display().to_string()]);
    assert_eq!(code, Some(2));
    assert!(err.contains("no organisation"), "{err}");
}
