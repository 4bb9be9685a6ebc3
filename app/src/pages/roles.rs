//! `/org/roles`: the permission matrix (permission keys × roles), custom roles (create,
//! edit their permissions in the matrix, rename, delete) and role assignments (who holds
//! which role where). Needs `roles.manage`; anyone else sees "Not allowed". The server
//! decides every change; the page only hides what the viewer cannot do.

use crate::api::roles::{
    get_assignment_options, list_assignments, list_roles, CreateAssignment, CreateRole, DeleteAssignment, DeleteRole,
    SetRolePermission, UpdateRole,
};
use crate::components::form::{action_error, field_message, hydrated, ActionError, ErrorBanner, SelectField, Submit};
use crate::components::notice::{ChangeNotice, ErrorNotice};
use crate::domain::roles::{
    AssignmentList, AssignmentOptions, AssignmentView, Choice, PermissionInfo, RoleList, RoleView,
};
use crate::domain::AppError;
use leptos::prelude::*;
use leptos_meta::Title;
use std::collections::BTreeSet;

/// Everything the page shows, loaded again after each change.
type PageData = (RoleList, AssignmentList, AssignmentOptions);

async fn load_all() -> Result<PageData, AppError> {
    Ok((list_roles().await?, list_assignments().await?, get_assignment_options().await?))
}

/// Shared by the page's parts: the latest data, how to reload it, and the message to show
/// once the reload has finished (so what it says is already on the page).
#[derive(Clone, Copy)]
struct RolesCtx {
    roles: RwSignal<RoleList>,
    assignments: RwSignal<(AssignmentList, AssignmentOptions)>,
    reload: Action<(), Result<PageData, AppError>>,
    pending: RwSignal<Option<String>>,
}

impl RolesCtx {
    /// After a change: load everything again, then say what happened.
    fn done(&self, message: String) {
        self.pending.set(Some(message));
        self.reload.dispatch(());
    }
}

fn on_success<T, S>(value: S, message: impl Fn(&T) -> String + Send + Sync + 'static)
where
    T: Clone + Send + Sync + 'static,
    S: Get<Value = Option<Result<T, AppError>>> + Send + Sync + 'static,
{
    let ctx = expect_context::<RolesCtx>();
    Effect::new(move |_| {
        if let Some(Ok(v)) = value.get() {
            ctx.done(message(&v));
        }
    });
}

#[component]
pub fn RolesPage() -> impl IntoView {
    // One resource per server function: on the server, a fetcher awaiting a second server
    // function would run it without the request's context.
    let roles = Resource::new(|| (), |_| list_roles());
    let assignments = Resource::new(|| (), |_| list_assignments());
    let options = Resource::new(|| (), |_| get_assignment_options());
    view! {
        <Title text="Roles"/>
        <div class="page-header">
            <h1>"Roles and permissions"</h1>
            <p class="muted">
                "A role is a set of permissions. Give people a role for the whole organisation or for a team (it then applies to its sub-teams too)."
            </p>
        </div>
        <Suspense fallback=|| view! { <div class="page-loading" role="status">"Loading roles…"</div> }>
            {move || Suspend::new(async move {
                let loaded = async { Ok::<_, AppError>((roles.await?, assignments.await?, options.await?)) };
                match loaded.await {
                    Ok((list, assignments, options)) => view! { <RolesBody list assignments options/> }.into_any(),
                    Err(error) => view! { <ErrorNotice error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// The page after the first load: later changes reload the data in place.
#[component]
fn RolesBody(list: RoleList, assignments: AssignmentList, options: AssignmentOptions) -> impl IntoView {
    let can_edit = list.can_edit;
    let permissions = list.permissions.clone();
    let roles = RwSignal::new(list);
    let reload = Action::new(|_: &()| load_all());
    let notice = RwSignal::new(None::<Result<String, String>>);
    let pending = RwSignal::new(None);
    let ctx = RolesCtx { roles, assignments: RwSignal::new((assignments, options)), reload, pending };
    provide_context(ctx);
    Effect::new(move |_| match reload.value().get() {
        Some(Ok((list, assignments, options))) => {
            roles.set(list);
            ctx.assignments.set((assignments, options));
            if let Some(m) = pending.get_untracked() {
                notice.set(Some(Ok(m)));
                pending.set(None);
            }
        }
        Some(Err(e)) => notice.set(Some(Err(e.message))),
        None => {}
    });
    let custom = move || roles.with(|l| l.roles.iter().filter(|r| !r.built_in).cloned().collect::<Vec<_>>());
    let has_custom = move || roles.with(|l| l.roles.iter().any(|r| !r.built_in));
    view! {
        <ChangeNotice notice testid="roles-notice"/>
        <Matrix/>
        {can_edit
            .then(|| {
                view! {
                    <Show when=has_custom>
                        <section class="card" aria-labelledby="custom-roles-title">
                            <h2 id="custom-roles-title">"Custom roles"</h2>
                            <ul class="plain-list">
                                <For
                                    each=custom
                                    key=|r: &RoleView| (r.id.clone(), r.name.clone(), r.description.clone(), r.assignment_count)
                                    children=|role| view! { <li><CustomRoleEditor role/></li> }
                                />
                            </ul>
                        </section>
                    </Show>
                    <CreateRoleForm permissions=permissions.clone()/>
                }
            })}
        <section class="card" aria-labelledby="assignments-title">
            <h2 id="assignments-title">"Assignments"</h2>
            <p class="muted">"Who holds which role, and where."</p>
            <AssignmentsBody/>
        </section>
    }
    .into_any()
}

/// Rows: permission keys with their descriptions; columns: roles. Custom roles have
/// checkboxes (for those who may edit) that save at once.
#[component]
fn Matrix() -> impl IntoView {
    let ctx = expect_context::<RolesCtx>();
    let roles = ctx.roles;
    let ready = hydrated();
    let update = ServerAction::<SetRolePermission>::new();
    let status = RwSignal::new(None::<Result<String, String>>);
    Effect::new(move |_| match update.value().get() {
        Some(Ok(saved)) => {
            status.set(Some(Ok(format!(
                "Saved: \u{201c}{}\u{201d} now has {} permission{}.",
                saved.name,
                saved.permissions.len(),
                if saved.permissions.len() == 1 { "" } else { "s" }
            ))));
            // The boxes already show what was asked for. Answers can arrive out of order, so
            // take the server's view of the role only from the newest answer once nothing
            // else is on its way; a failure reloads the page's data instead.
            let settled = !update.pending().get_untracked();
            roles.update(|l| {
                if let Some(r) = l.roles.iter_mut().find(|r| r.id == saved.id) {
                    if saved.updated_at >= r.updated_at && settled {
                        *r = saved;
                    } else if saved.updated_at > r.updated_at {
                        r.updated_at = saved.updated_at;
                    }
                }
            });
        }
        Some(Err(e)) => {
            status.set(Some(Err(e.message.clone())));
            // Show what is really stored.
            ctx.reload.dispatch(());
        }
        None => {}
    });
    let can_edit = roles.with_untracked(|l| l.can_edit);
    let permissions = roles.with_untracked(|l| l.permissions.clone());
    let columns = move || roles.with(|l| l.roles.clone());
    let has = move |role_id: &str, key: &str| {
        roles.with(|l| l.roles.iter().find(|r| r.id == role_id).is_some_and(|r| r.permissions.iter().any(|p| p == key)))
    };
    let header = view! {
        <For
            each=columns
            key=|r: &RoleView| (r.id.clone(), r.name.clone(), r.assignment_count)
            children=|r| {
                view! {
                    <th scope="col" class="matrix-role" data-testid="matrix-role">
                        <span class="matrix-role-name">{r.name.clone()}</span>
                        <span class="badge" class:badge-muted=r.built_in>{if r.built_in { "Built-in" } else { "Custom" }}</span>
                        <span class="muted matrix-count">{format!("{} assigned", r.assignment_count)}</span>
                    </th>
                }
            }
        />
    };
    let rows = permissions
        .into_iter()
        .map(|p| {
            let key = p.key.clone();
            let cell = move |role: RoleView| {
                let key = key.clone();
                if can_edit && !role.built_in {
                    let role_id = role.id.clone();
                    let label = format!("{} for {}", key, role.name);
                    let (id_checked, key_checked) = (role.id.clone(), key.clone());
                    let initially = has(&role.id, &key);
                    view! {
                        <td class="matrix-cell">
                            <input
                                type="checkbox"
                                aria-label=label
                                data-testid="matrix-checkbox"
                                data-role=role.name.clone()
                                data-permission=key.clone()
                                checked=initially
                                prop:checked=move || has(&id_checked, &key_checked)
                                disabled=move || !ready.get()
                                on:change=move |ev| {
                                    let on = event_target_checked(&ev);
                                    roles.update(|l| {
                                        if let Some(r) = l.roles.iter_mut().find(|r| r.id == role_id) {
                                            r.permissions.retain(|k| *k != key);
                                            if on {
                                                r.permissions.push(key.clone());
                                            }
                                        }
                                    });
                                    status.set(None);
                                    update.dispatch(SetRolePermission { id: role_id.clone(), permission: key.clone(), granted: on });
                                }
                            />
                        </td>
                    }
                        .into_any()
                } else if role.permissions.contains(&key) {
                    view! {
                        <td class="matrix-cell">
                            <span class="check" aria-hidden="true">"✓"</span>
                            <span class="sr-only">"Yes"</span>
                        </td>
                    }
                        .into_any()
                } else {
                    view! {
                        <td class="matrix-cell">
                            <span class="sr-only">"No"</span>
                        </td>
                    }
                        .into_any()
                }
            };
            view! {
                <tr>
                    <th scope="row" class="matrix-permission">
                        <code>{p.key.clone()}</code>
                        <span class="matrix-description">{p.description.clone()}</span>
                    </th>
                    // Built-in roles never change; a custom role's column is drawn again
                    // only when it is renamed (its boxes follow the data as it changes).
                    <For each=columns key=|r: &RoleView| (r.id.clone(), r.name.clone(), r.built_in) children=cell/>
                </tr>
            }
        })
        .collect_view();
    view! {
        <section class="card" aria-labelledby="matrix-title">
            <h2 id="matrix-title">"Permission matrix"</h2>
            {can_edit.then(|| view! {
                <p class="muted">"Built-in roles are fixed. Tick a custom role's boxes to change it; each change is saved at once."</p>
            })}
            <p class="matrix-status" role="status" aria-live="polite" data-testid="matrix-status">
                {move || update.pending().get().then_some("Saving…")}
                {move || match status.get() {
                    Some(Ok(m)) => view! { <span class="ok">{m}</span> }.into_any(),
                    Some(Err(m)) => view! { <span class="field-error">{m}</span> }.into_any(),
                    None => ().into_any(),
                }}
            </p>
            <div class="table-wrap">
                <table class="table matrix" data-testid="permission-matrix">
                    <caption class="sr-only">"Which permissions each role holds"</caption>
                    <thead>
                        <tr>
                            <th scope="col">"Permission"</th>
                            {header}
                        </tr>
                    </thead>
                    <tbody>{rows}</tbody>
                </table>
            </div>
        </section>
    }
    .into_any()
}

#[component]
fn CustomRoleEditor(role: RoleView) -> impl IntoView {
    let update = ServerAction::<UpdateRole>::new();
    let delete = ServerAction::<DeleteRole>::new();
    let update_error = action_error(update.value());
    let delete_error = action_error(delete.value());
    on_success(update.value(), |r: &RoleView| format!("Role \u{201c}{}\u{201d} saved.", r.name));
    let deleted_name = role.name.clone();
    on_success(delete.value(), move |_: &()| format!("Role \u{201c}{deleted_name}\u{201d} deleted."));
    let name = RwSignal::new(role.name.clone());
    let description = RwSignal::new(role.description.clone());
    let name_msg = field_message(update_error, "name");
    let desc_msg = field_message(update_error, "description");
    let id = role.id.clone();
    let (name_id, desc_id) = (format!("role-name-{id}"), format!("role-desc-{id}"));
    let delete_id = id.clone();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        update.dispatch(UpdateRole {
            id: id.clone(),
            name: Some(name.get_untracked()),
            description: Some(description.get_untracked()),
            permissions: None,
        });
    };
    let assigned = role.assignment_count;
    view! {
        <details class="role-editor" data-testid="custom-role">
            <summary class="btn btn-small">{format!("Edit \u{201c}{}\u{201d}", role.name)}</summary>
            <div class="role-editor-body">
                <form class="form" on:submit=submit data-testid="edit-role-form">
                    <ErrorBanner error=update_error/>
                    <div class="field" class:field-invalid=move || name_msg.get().is_some()>
                        <label for=name_id.clone()>"Name"</label>
                        <input id=name_id.clone() type="text" required=true bind:value=name aria-invalid=move || name_msg.get().is_some().to_string()/>
                        {move || name_msg.get().map(|m| view! { <p class="field-error" role="alert">{m}</p> })}
                    </div>
                    <div class="field" class:field-invalid=move || desc_msg.get().is_some()>
                        <label for=desc_id.clone()>"Description"</label>
                        <textarea id=desc_id.clone() rows="2" bind:value=description></textarea>
                        {move || desc_msg.get().map(|m| view! { <p class="field-error" role="alert">{m}</p> })}
                    </div>
                    <div>
                        <Submit label="Save" busy_label="Saving…" pending=update.pending().into() until_hydrated=true/>
                    </div>
                </form>
                <ActionForm action=delete attr:class="form" attr:data-testid="delete-role-form">
                    <ErrorBanner error=delete_error/>
                    <input type="hidden" name="id" value=delete_id/>
                    {(assigned > 0).then(|| view! {
                        <p class="muted">{format!("Assigned {assigned} time{}: remove those assignments before deleting it.", if assigned == 1 { "" } else { "s" })}</p>
                    })}
                    <div>
                        <button type="submit" class="btn btn-danger" disabled=move || delete.pending().get() data-testid="delete-role">
                            "Delete role"
                        </button>
                    </div>
                </ActionForm>
            </div>
        </details>
    }
    .into_any()
}

#[component]
fn CreateRoleForm(permissions: Vec<PermissionInfo>) -> impl IntoView {
    let create = ServerAction::<CreateRole>::new();
    let error = action_error(create.value());
    let name = RwSignal::new(String::new());
    let description = RwSignal::new(String::new());
    let chosen = RwSignal::new(BTreeSet::<String>::new());
    let ctx = expect_context::<RolesCtx>();
    Effect::new(move |_| {
        if let Some(Ok(role)) = create.value().get() {
            name.set(String::new());
            description.set(String::new());
            chosen.set(BTreeSet::new());
            ctx.done(format!("Role \u{201c}{}\u{201d} created.", role.name));
        }
    });
    let name_msg = field_message(error, "name");
    let desc_msg = field_message(error, "description");
    let perms_msg = field_message(error, "permissions");
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        create.dispatch(CreateRole {
            name: name.get_untracked(),
            description: description.get_untracked(),
            permissions: chosen.get_untracked().into_iter().collect(),
        });
    };
    let boxes = permissions
        .into_iter()
        .map(|p| {
            let key = p.key.clone();
            let key2 = p.key.clone();
            view! {
                <label class="checkbox">
                    <input
                        type="checkbox"
                        value=p.key.clone()
                        prop:checked=move || chosen.with(|s| s.contains(&key))
                        on:change=move |ev| {
                            let on = event_target_checked(&ev);
                            chosen.update(|s| {
                                if on {
                                    s.insert(key2.clone());
                                } else {
                                    s.remove(&key2);
                                }
                            });
                        }
                    />
                    <span>
                        <code>{p.key.clone()}</code>
                        " "
                        <span class="muted">{p.description.clone()}</span>
                    </span>
                </label>
            }
        })
        .collect_view();
    view! {
        <section class="card" aria-labelledby="new-role-title">
            <h2 id="new-role-title">"New custom role"</h2>
            <form class="form" on:submit=submit data-testid="create-role-form">
                <ErrorBanner error/>
                <div class="field" class:field-invalid=move || name_msg.get().is_some()>
                    <label for="new-role-name">"Name"</label>
                    <input id="new-role-name" type="text" required=true bind:value=name aria-invalid=move || name_msg.get().is_some().to_string()/>
                    {move || name_msg.get().map(|m| view! { <p class="field-error" role="alert">{m}</p> })}
                </div>
                <div class="field" class:field-invalid=move || desc_msg.get().is_some()>
                    <label for="new-role-description">"Description"</label>
                    <p class="field-hint">"What people with this role do, in a sentence (optional)."</p>
                    <textarea id="new-role-description" rows="2" bind:value=description></textarea>
                    {move || desc_msg.get().map(|m| view! { <p class="field-error" role="alert">{m}</p> })}
                </div>
                <fieldset class="field checkbox-grid">
                    <legend>"Permissions"</legend>
                    {boxes}
                    {move || perms_msg.get().map(|m| view! { <p class="field-error" role="alert">{m}</p> })}
                </fieldset>
                <div>
                    <Submit label="Create role" busy_label="Creating…" pending=create.pending().into() testid="create-role" until_hydrated=true/>
                </div>
            </form>
        </section>
    }
    .into_any()
}

/// A required select of choices, "Choose …" first, whose error comes from the action's field
/// errors under `name`.
#[component]
fn ChoiceSelect(
    id: &'static str,
    label: &'static str,
    name: &'static str,
    options: Signal<Vec<Choice>>,
    placeholder: &'static str,
    error: ActionError,
) -> impl IntoView {
    let options = Signal::derive(move || options.get().into_iter().map(|c| (c.value, c.label)).collect::<Vec<_>>());
    view! { <SelectField id label name options placeholder required=true error=field_message(error, name)/> }
}

#[component]
fn AssignmentsBody() -> impl IntoView {
    let ctx = expect_context::<RolesCtx>();
    let data = ctx.assignments;
    let create = ServerAction::<CreateAssignment>::new();
    let remove = ServerAction::<DeleteAssignment>::new();
    let create_error = action_error(create.value());
    let remove_error = action_error(remove.value());
    let form = NodeRef::<leptos::html::Form>::new();
    Effect::new(move |_| {
        if let Some(Ok(a)) = create.value().get() {
            if let Some(f) = form.get_untracked() {
                f.reset();
            }
            ctx.done(format!("{} is now {} ({}).", a.user_display_name, a.role_name, a.scope_name));
        }
    });
    on_success(remove.value(), |_: &()| "Assignment removed.".to_string());
    let rows = move || {
        let mut rows = data.with(|(l, _)| l.assignments.clone());
        rows.sort_by(|a, b| {
            a.user_display_name
                .to_lowercase()
                .cmp(&b.user_display_name.to_lowercase())
                .then_with(|| a.role_name.cmp(&b.role_name))
                .then_with(|| a.scope_name.cmp(&b.scope_name))
        });
        rows
    };
    let empty = move || data.with(|(l, _)| l.assignments.is_empty());
    let can_add = move || data.with(|(_, o)| !o.scopes.is_empty());
    let users = Signal::derive(move || data.with(|(_, o)| o.users.clone()));
    let role_choices = Signal::derive(move || data.with(|(_, o)| o.roles.clone()));
    let scopes = Signal::derive(move || data.with(|(_, o)| o.scopes.clone()));
    view! {
        <ErrorBanner error=remove_error/>
        <Show
            when=move || !empty()
            fallback=|| view! { <p class="muted">"No assignments you can see."</p> }
        >
            <div class="table-wrap">
                <table class="table" data-testid="assignments">
                    <thead>
                        <tr>
                            <th scope="col">"Person"</th>
                            <th scope="col">"Role"</th>
                            <th scope="col">"Where"</th>
                            <th scope="col"><span class="sr-only">"Actions"</span></th>
                        </tr>
                    </thead>
                    <tbody>
                        <For
                            each=rows
                            key=|a: &AssignmentView| (a.id.clone(), a.can_remove, a.scope_name.clone(), a.user_display_name.clone())
                            children=move |a| {
                                let label = format!("Remove {} from {} ({})", a.role_name, a.user_display_name, a.scope_name);
                                view! {
                                    <tr data-testid="assignment-row">
                                        <td>
                                            <span>{a.user_display_name.clone()}</span>
                                            <span class="muted assignment-email">{a.user_email.clone()}</span>
                                        </td>
                                        <td>{a.role_name.clone()}</td>
                                        <td>{a.scope_name.clone()}</td>
                                        <td class="nowrap">
                                            {a.can_remove.then(|| view! {
                                                <ActionForm action=remove>
                                                    <input type="hidden" name="id" value=a.id.clone()/>
                                                    <button type="submit" class="btn btn-small" aria-label=label data-testid="remove-assignment">
                                                        "Remove"
                                                    </button>
                                                </ActionForm>
                                            })}
                                        </td>
                                    </tr>
                                }
                            }
                        />
                    </tbody>
                </table>
            </div>
        </Show>
        <Show when=can_add>
            <h3 class="subheading">"Give someone a role"</h3>
            <ActionForm action=create node_ref=form attr:class="form form-columns" attr:data-testid="create-assignment-form">
                <ErrorBanner error=create_error/>
                <ChoiceSelect id="assign-user" label="Person" name="user_id" options=users placeholder="Choose a person…" error=create_error/>
                <ChoiceSelect id="assign-role" label="Role" name="role_id" options=role_choices placeholder="Choose a role…" error=create_error/>
                <ChoiceSelect id="assign-scope" label="Where" name="scope" options=scopes placeholder="Choose where…" error=create_error/>
                <Submit label="Assign" busy_label="Assigning…" pending=create.pending().into()/>
            </ActionForm>
        </Show>
    }
    .into_any()
}
