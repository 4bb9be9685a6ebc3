//! Orgs for tests: an org and its Owner, made by the system through `orgs::create_org_with_owner`
//! as setup and the CLI make them. The server's HTTP tests use this file too (`#[path]` in
//! `server/tests/it/support`), so it names nothing of this test crate.

use app::entities::{org, user};
use app::services::actor::system_actor;
use app::services::org::orgs::{self, NewOwner};
use app::services::RequestMeta;
use sea_orm::DatabaseConnection;

/// The password of every owner `make_org` makes (and of the people tests give one).
pub const PASSWORD: &str = "violet kettle runs uphill";

/// The org `Org <slug>` with the given slug and its Owner "Olive Owner",
/// `owner@<slug>.example.com`, whose password is `PASSWORD`.
pub async fn make_org(db: &DatabaseConnection, slug: &str) -> (org::Model, user::Model) {
    make_org_named(db, &format!("Org {slug}"), slug).await
}

/// `make_org` for a test that shows the org's name (in a page or a mail).
pub async fn make_org_named(db: &DatabaseConnection, name: &str, slug: &str) -> (org::Model, user::Model) {
    orgs::create_org_with_owner(
        db,
        name,
        Some(slug),
        NewOwner {
            email: format!("owner@{slug}.example.com"),
            display_name: "Olive Owner".into(),
            password: PASSWORD.into(),
        },
        &system_actor(),
        &RequestMeta::default(),
    )
    .await
    .expect("create org")
}
