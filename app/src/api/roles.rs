//! Server functions of the roles page: the permission matrix, custom roles, and role
//! assignments (who holds which role where).

use crate::domain::roles::{AssignmentList, AssignmentOptions, AssignmentView, RoleList, RoleView};
use crate::domain::AppError;
use leptos::prelude::*;
use server_fn::codec::Json;

/// Permissions × roles (needs `roles.manage` somewhere: others get PERMISSION_DENIED).
#[server(endpoint = "roles_list")]
pub async fn list_roles() -> Result<RoleList, AppError> {
    super::ctx::run(async move {
        use super::ctx;
        let state = ctx::state()?;
        let actor = ctx::actor().await?;
        crate::services::access::roles::list(&state.db, &actor, None, None).await
    })
    .await
}

/// Creates a custom role. JSON body `{name, description, permissions: [keys]}`.
#[server(endpoint = "roles_create", input = Json)]
pub async fn create_role(name: String, description: String, permissions: Vec<String>) -> Result<RoleView, AppError> {
    super::ctx::run(async move {
        use super::ctx;
        use crate::services::access::roles::{create, NewRole};
        let state = ctx::state()?;
        let actor = ctx::actor().await?;
        create(&state.db, &actor, NewRole { name, description, permissions }).await
    })
    .await
}

/// Changes a custom role; absent fields stay. JSON body `{id, name?, description?, permissions?}`.
#[server(endpoint = "roles_update", input = Json)]
pub async fn update_role(
    id: String,
    name: Option<String>,
    description: Option<String>,
    permissions: Option<Vec<String>>,
) -> Result<RoleView, AppError> {
    super::ctx::run(async move {
        use super::ctx;
        use crate::services::access::roles::{update, RolePatch};
        let state = ctx::state()?;
        let actor = ctx::actor().await?;
        update(&state.db, &actor, &id, RolePatch { name, description, permissions }).await
    })
    .await
}

/// Grants (`granted=true`) or withdraws one permission of a custom role: the matrix's
/// checkboxes.
#[server(endpoint = "roles_set_permission")]
pub async fn set_role_permission(id: String, permission: String, granted: bool) -> Result<RoleView, AppError> {
    super::ctx::run(async move {
        use super::ctx;
        let state = ctx::state()?;
        let actor = ctx::actor().await?;
        crate::services::access::roles::set_permission(&state.db, &actor, &id, &permission, granted).await
    })
    .await
}

#[server(endpoint = "roles_delete")]
pub async fn delete_role(id: String) -> Result<(), AppError> {
    super::ctx::run(async move {
        use super::ctx;
        let state = ctx::state()?;
        let actor = ctx::actor().await?;
        crate::services::access::roles::delete(&state.db, &actor, &id).await
    })
    .await
}

/// Every assignment the viewer may see.
#[server(endpoint = "role_assignments_list")]
pub async fn list_assignments() -> Result<AssignmentList, AppError> {
    super::ctx::run(async move {
        use super::ctx;
        use crate::services::access::assignments::{list, AssignmentFilter};
        let state = ctx::state()?;
        let actor = ctx::actor().await?;
        list(&state.db, &actor, AssignmentFilter::default(), None, None).await
    })
    .await
}

/// People, roles and scopes the "add an assignment" form offers.
#[server(endpoint = "role_assignments_options")]
pub async fn get_assignment_options() -> Result<AssignmentOptions, AppError> {
    super::ctx::run(async move {
        use super::ctx;
        let state = ctx::state()?;
        let actor = ctx::actor().await?;
        crate::services::access::assignments::options(&state.db, &actor).await
    })
    .await
}

/// `scope`: `org` or `team:<id>`.
#[server(endpoint = "role_assignments_create")]
pub async fn create_assignment(user_id: String, role_id: String, scope: String) -> Result<AssignmentView, AppError> {
    super::ctx::run(async move {
        use super::ctx;
        use crate::domain::roles::split_scope_value;
        use crate::services::access::assignments::{create, NewAssignment};
        let state = ctx::state()?;
        let actor = ctx::actor().await?;
        let (scope_type, scope_id) = split_scope_value(&scope);
        create(&state.db, &actor, NewAssignment { user_id, role_id, scope_type, scope_id }).await.map_err(|mut e| {
            // The form has one "scope" select for the service's scope_type and scope_id.
            for f in e.fields.iter_mut() {
                if f.field == "scope_type" || f.field == "scope_id" {
                    f.field = "scope".into();
                }
            }
            e
        })
    })
    .await
}

#[server(endpoint = "role_assignments_delete")]
pub async fn delete_assignment(id: String) -> Result<(), AppError> {
    super::ctx::run(async move {
        use super::ctx;
        let state = ctx::state()?;
        let actor = ctx::actor().await?;
        crate::services::access::assignments::delete(&state.db, &actor, &id).await
    })
    .await
}
