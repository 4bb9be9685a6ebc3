//! Automation (DESIGN.md §2 Automation, seed 004): rules with their versions, the events
//! integrations post, and the runs of rules on events.
//!
//! - `automation_rules`: a rule's current definition (conditions and actions as JSON), its
//!   version number, whether it is active, and its run of consecutive failures (a rule that
//!   fails too often in a row is paused: `paused_reason`).
//! - `automation_rule_versions`: every saved definition, whole (restore and diffs read it).
//! - `automation_events`: an event as received (payload, idempotency key and request hash),
//!   its depth in a chain of rule-caused events, and its processing state: `queued` until a
//!   worker claims it (`claimed_by` / `claimed_until`, a lease that another worker may take
//!   over when it runs out), then `done` or `dropped`.
//! - `rule_runs`: one run of one rule on one event (unique), with each condition's result
//!   and each step's action, outcome and outputs; `waiting` runs continue once the step's
//!   action is decided by a person.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Orgs {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Stores {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum AutomationRules {
    Table,
    Id,
    OrgId,
    StoreId,
    Name,
    Description,
    ModuleType,
    TriggerId,
    Conditions,
    Actions,
    IsActive,
    Version,
    ConsecutiveFailures,
    PausedReason,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum AutomationRuleVersions {
    Table,
    Id,
    OrgId,
    RuleId,
    Version,
    Definition,
    ChangedBy,
    Note,
    CreatedAt,
}

#[derive(DeriveIden)]
enum AutomationEvents {
    Table,
    Id,
    OrgId,
    StoreId,
    TriggerId,
    Payload,
    Depth,
    CausedByActionId,
    OnlyRuleId,
    ReplayOfRunId,
    Status,
    Note,
    IdempotencyScope,
    IdempotencyKey,
    RequestHash,
    ClaimedBy,
    ClaimedUntil,
    Attempts,
    CreatedAt,
    ProcessedAt,
}

#[derive(DeriveIden)]
enum RuleRuns {
    Table,
    Id,
    OrgId,
    EventId,
    RuleId,
    RuleVersion,
    RuleName,
    StoreId,
    Status,
    Conditions,
    Steps,
    Error,
    WaitingActionId,
    ClaimedUntil,
    CreatedAt,
    UpdatedAt,
    FinishedAt,
}

fn org_fk(table: impl IntoIden, col: impl IntoIden) -> ForeignKeyCreateStatement {
    ForeignKey::create().from(table, col).to(Orgs::Table, Orgs::Id).on_delete(ForeignKeyAction::Cascade).to_owned()
}

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(AutomationRules::Table)
                    .col(string_len(AutomationRules::Id, 36).primary_key())
                    .col(string_len(AutomationRules::OrgId, 36))
                    // NULL: the rule listens to events of every store of the org.
                    .col(string_len_null(AutomationRules::StoreId, 36))
                    .col(string_len(AutomationRules::Name, 200))
                    .col(text(AutomationRules::Description))
                    // crm | sales | store
                    .col(string_len(AutomationRules::ModuleType, 20))
                    .col(string_len(AutomationRules::TriggerId, 60))
                    // JSON [{type, field, value}]
                    .col(text(AutomationRules::Conditions))
                    // JSON [{type, parameters, save_as?}]
                    .col(text(AutomationRules::Actions))
                    .col(boolean(AutomationRules::IsActive))
                    .col(integer(AutomationRules::Version))
                    .col(integer(AutomationRules::ConsecutiveFailures).default(0))
                    .col(text_null(AutomationRules::PausedReason))
                    // The person who created it (its owner, told when the rule is paused).
                    .col(string_len_null(AutomationRules::CreatedBy, 36))
                    .col(timestamp_with_time_zone(AutomationRules::CreatedAt))
                    .col(timestamp_with_time_zone(AutomationRules::UpdatedAt))
                    .foreign_key(&mut org_fk(AutomationRules::Table, AutomationRules::OrgId))
                    .foreign_key(
                        ForeignKey::create()
                            .from(AutomationRules::Table, AutomationRules::StoreId)
                            .to(Stores::Table, Stores::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_automation_rules_org_trigger")
                    .table(AutomationRules::Table)
                    .col(AutomationRules::OrgId)
                    .col(AutomationRules::TriggerId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(AutomationRuleVersions::Table)
                    .col(string_len(AutomationRuleVersions::Id, 36).primary_key())
                    .col(string_len(AutomationRuleVersions::OrgId, 36))
                    .col(string_len(AutomationRuleVersions::RuleId, 36))
                    .col(integer(AutomationRuleVersions::Version))
                    // JSON: the rule as saved (name, description, store, trigger, conditions, actions, is_active).
                    .col(text(AutomationRuleVersions::Definition))
                    .col(string_len(AutomationRuleVersions::ChangedBy, 320))
                    // created | updated | restored from version N | …
                    .col(string_len(AutomationRuleVersions::Note, 200))
                    .col(timestamp_with_time_zone(AutomationRuleVersions::CreatedAt))
                    .foreign_key(&mut org_fk(AutomationRuleVersions::Table, AutomationRuleVersions::OrgId))
                    .foreign_key(
                        ForeignKey::create()
                            .from(AutomationRuleVersions::Table, AutomationRuleVersions::RuleId)
                            .to(AutomationRules::Table, AutomationRules::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_automation_rule_versions")
                    .table(AutomationRuleVersions::Table)
                    .col(AutomationRuleVersions::RuleId)
                    .col(AutomationRuleVersions::Version)
                    .unique()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(AutomationEvents::Table)
                    .col(string_len(AutomationEvents::Id, 36).primary_key())
                    .col(string_len(AutomationEvents::OrgId, 36))
                    .col(string_len_null(AutomationEvents::StoreId, 36))
                    .col(string_len(AutomationEvents::TriggerId, 60))
                    .col(text(AutomationEvents::Payload))
                    // 0 for an event from outside; 1 + the causing run's event depth otherwise.
                    .col(integer(AutomationEvents::Depth).default(0))
                    .col(string_len_null(AutomationEvents::CausedByActionId, 36))
                    // Set for a replay: only this rule runs.
                    .col(string_len_null(AutomationEvents::OnlyRuleId, 36))
                    .col(string_len_null(AutomationEvents::ReplayOfRunId, 36))
                    // queued | running | done | dropped
                    .col(string_len(AutomationEvents::Status, 20))
                    .col(text_null(AutomationEvents::Note))
                    .col(string_len_null(AutomationEvents::IdempotencyScope, 36))
                    .col(string_len_null(AutomationEvents::IdempotencyKey, 255))
                    .col(string_len_null(AutomationEvents::RequestHash, 64))
                    .col(string_len_null(AutomationEvents::ClaimedBy, 100))
                    .col(timestamp_with_time_zone_null(AutomationEvents::ClaimedUntil))
                    .col(integer(AutomationEvents::Attempts).default(0))
                    .col(timestamp_with_time_zone(AutomationEvents::CreatedAt))
                    .col(timestamp_with_time_zone_null(AutomationEvents::ProcessedAt))
                    .foreign_key(&mut org_fk(AutomationEvents::Table, AutomationEvents::OrgId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_automation_events_idempotency")
                    .table(AutomationEvents::Table)
                    .col(AutomationEvents::OrgId)
                    .col(AutomationEvents::IdempotencyScope)
                    .col(AutomationEvents::IdempotencyKey)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_automation_events_status")
                    .table(AutomationEvents::Table)
                    .col(AutomationEvents::Status)
                    .col(AutomationEvents::CreatedAt)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(RuleRuns::Table)
                    .col(string_len(RuleRuns::Id, 36).primary_key())
                    .col(string_len(RuleRuns::OrgId, 36))
                    .col(string_len(RuleRuns::EventId, 36))
                    // No foreign key: a run stays in the history after its rule is deleted.
                    .col(string_len(RuleRuns::RuleId, 36))
                    .col(integer(RuleRuns::RuleVersion))
                    .col(string_len(RuleRuns::RuleName, 200))
                    .col(string_len_null(RuleRuns::StoreId, 36))
                    // running | skipped | succeeded | failed | waiting | cancelled
                    .col(string_len(RuleRuns::Status, 20))
                    // JSON [{type, field, value, passed, actual, explanation}]
                    .col(text(RuleRuns::Conditions))
                    // JSON [{index, type, save_as, parameters, status, action_id, decision, reason, output, error}]
                    .col(text(RuleRuns::Steps))
                    .col(text_null(RuleRuns::Error))
                    .col(string_len_null(RuleRuns::WaitingActionId, 36))
                    .col(timestamp_with_time_zone_null(RuleRuns::ClaimedUntil))
                    .col(timestamp_with_time_zone(RuleRuns::CreatedAt))
                    .col(timestamp_with_time_zone(RuleRuns::UpdatedAt))
                    .col(timestamp_with_time_zone_null(RuleRuns::FinishedAt))
                    .foreign_key(&mut org_fk(RuleRuns::Table, RuleRuns::OrgId))
                    .foreign_key(
                        ForeignKey::create()
                            .from(RuleRuns::Table, RuleRuns::EventId)
                            .to(AutomationEvents::Table, AutomationEvents::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_rule_runs_event_rule")
                    .table(RuleRuns::Table)
                    .col(RuleRuns::EventId)
                    .col(RuleRuns::RuleId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_rule_runs_org_rule")
                    .table(RuleRuns::Table)
                    .col(RuleRuns::OrgId)
                    .col(RuleRuns::RuleId)
                    .col(RuleRuns::CreatedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create().name("ix_rule_runs_status").table(RuleRuns::Table).col(RuleRuns::Status).to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(RuleRuns::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(AutomationEvents::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(AutomationRuleVersions::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(AutomationRules::Table).to_owned()).await
    }
}
