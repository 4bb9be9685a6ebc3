//! Database migrations: the one schema for SQLite and PostgreSQL.
//!
//! Every migration must run on both databases; seed data (catalog, built-in roles) is a
//! migration too, so a fresh database is complete after `mandate migrate`.

pub use sea_orm_migration::prelude::*;

mod m20261123_000001_foundation;
pub mod m20261123_000002_rbac;
mod m20261123_000007_mfa;
mod m20261123_000008_outbox;
mod m20261123_000009_stores;
mod m20261123_000010_catalog_v1;
mod m20261123_000011_actions;
mod m20261123_000012_executors;
mod m20261123_000013_access_version;
mod m20261206_000014_automation;
mod m20261206_000015_spend;
mod m20261206_000016_notify;
mod m20261206_000017_org_profile;
mod m20261206_000018_sso;

pub struct Migrator;

#[sea_orm_migration::async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261123_000001_foundation::Migration),
            Box::new(m20261123_000002_rbac::Migration),
            Box::new(m20261123_000007_mfa::Migration),
            Box::new(m20261123_000008_outbox::Migration),
            Box::new(m20261123_000009_stores::Migration),
            Box::new(m20261123_000010_catalog_v1::Migration),
            Box::new(m20261123_000011_actions::Migration),
            Box::new(m20261123_000012_executors::Migration),
            Box::new(m20261123_000013_access_version::Migration),
            Box::new(m20261206_000014_automation::Migration),
            Box::new(m20261206_000015_spend::Migration),
            Box::new(m20261206_000016_notify::Migration),
            Box::new(m20261206_000017_org_profile::Migration),
            Box::new(m20261206_000018_sso::Migration),
        ]
    }
}
