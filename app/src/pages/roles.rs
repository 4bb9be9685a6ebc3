//! `/org/roles`: the permission matrix (permission keys × roles), custom roles (create,
//! edit their permissions in the matrix, rename, delete) and role assignments (who holds
//! which role where). Needs `roles.manage`; anyone else sees "Not allowed". The server
//! decides every change; the page only hides what the viewer cannot do.

use crate::api::roles::{
    get_assignment_options, list_assignments, list_roles, CreateAssignment, CreateRole, DeleteAssignment, DeleteRole,
    UpdateRole,
};
use crate::components::form::{action_error, ActionError, ErrorBanner, Submit};
use crate::components::notice::ErrorNotice;
use crate::domain::roles::{AssignmentList, AssignmentOptions, Choice, PermissionInfo, RoleList, RoleView};
use crate::domain::AppError;
use crate::Hydrated;
use leptos::prelude::*;
use leptos_meta::Title;
use std::collections::BTreeSet;

/// Shared by the page's parts: bump `refresh` to reload; `notice` is the last success.
#[derive(Clone, Copy)]
struct RolesCtx {
    refresh: RwSignal<u32>,
    notice: RwSignal<Option<String>>,
}

impl RolesCtx {
    fn done(&self, message: String) {
        self.notice.set(Some(message));
        self.refresh.update(|n| *n += 1);
    }
}

/// True once the browser has hydrated the page: controls that need script stay disabled
/// until then.
fn hydrated() -> Signal<bool> {
    match use_context::<Hydrated>() {
        Some(Hydrated(h)) => h.into(),
        None => Signal::derive(|| true),
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
    let ctx = RolesCtx { refresh: RwSignal::new(0), notice: RwSignal::new(None) };
    provide_context(ctx);
    let roles = Resource::new(move || ctx.refresh.get(), |_| list_roles());
    view! {
        <Title text="Roles"/>
        <div class="page-header">
            <h1>"Roles and permissions"</h1>
            <p class="muted">
                "A role is a set of permissions. Give people a role for the whole organisation or for a team (it then applies to its sub-teams too)."
            </p>
        </div>
        {move || {
            ctx.notice
                .get()
                .map(|m| view! { <div class="banner banner-success" role="status" data-testid="roles-notice">{m}</div> })
        }}
        <Transition fallback=|| view! { <div class="page-loading" role="status">"Loading roles…"</div> }>
            {move || Suspend::new(async move {
                match roles.await {
                    Ok(list) => view! { <RolesBody list/> }.into_any(),
                    Err(error) => view! { <ErrorNotice error/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn RolesBody(list: RoleList) -> impl IntoView {
    let can_edit = list.can_edit;
    let custom: Vec<RoleView> = list.roles.iter().filter(|r| !r.built_in).cloned().collect();
    let permissions = list.permissions.clone();
    view! {
        <Matrix list=list.clone()/>
        {(can_edit && !custom.is_empty())
            .then(|| {
                view! {
                    <section class="card" aria-labelledby="custom-roles-title">
                        <h2 id="custom-roles-title">"Custom roles"</h2>
                        <ul class="plain-list">
                            {custom.into_iter().map(|role| view! { <li><CustomRoleEditor role/></li> }).collect_view()}
                        </ul>
                    </section>
                }
            })}
        {can_edit.then(|| view! { <CreateRoleForm permissions/> })}
        <AssignmentsSection/>
    }
    .into_any()
}

/// Rows: permission keys with their descriptions; columns: roles. Custom roles have
/// checkboxes (for those who may edit) that save at once.
#[component]
fn Matrix(list: RoleList) -> impl IntoView {
    let ctx = expect_context::<RolesCtx>();
    let ready = hydrated();
    let update = ServerAction::<UpdateRole>::new();
    let status = RwSignal::new(None::<Result<String, String>>);
    Effect::new(move |_| match update.value().get() {
        Some(Ok(role)) => status.set(Some(Ok(format!(
            "Saved: \u{201c}{}\u{201d} now has {} permission{}.",
            role.name,
            role.permissions.len(),
            if role.permissions.len() == 1 { "" } else { "s" }
        )))),
        Some(Err(e)) => {
            status.set(Some(Err(e.message.clone())));
            // Show what is really stored.
            ctx.refresh.update(|n| *n += 1);
        }
        None => {}
    });
    // One permission set per role, so a checkbox shows its role's state as it is being saved.
    let columns: Vec<(RoleView, RwSignal<BTreeSet<String>>)> = list
        .roles
        .iter()
        .map(|r| (r.clone(), RwSignal::new(r.permissions.iter().cloned().collect::<BTreeSet<String>>())))
        .collect();
    let can_edit = list.can_edit;
    let header = columns
        .iter()
        .map(|(r, _)| {
            view! {
                <th scope="col" class="matrix-role" data-testid="matrix-role">
                    <span class="matrix-role-name">{r.name.clone()}</span>
                    <span class="badge" class:badge-muted=r.built_in>{if r.built_in { "Built-in" } else { "Custom" }}</span>
                    <span class="muted matrix-count">{format!("{} assigned", r.assignment_count)}</span>
                </th>
            }
        })
        .collect_view();
    let rows = list
        .permissions
        .iter()
        .map(|p| {
            let key = p.key.clone();
            let cells = columns
                .iter()
                .map(|(role, perms)| {
                    let perms = *perms;
                    let key = key.clone();
                    if can_edit && !role.built_in {
                        let role_id = role.id.clone();
                        let label = format!("{} for {}", key, role.name);
                        let key_checked = key.clone();
                        view! {
                            <td class="matrix-cell">
                                <input
                                    type="checkbox"
                                    aria-label=label
                                    data-testid="matrix-checkbox"
                                    data-role=role.name.clone()
                                    data-permission=key.clone()
                                    prop:checked=move || perms.with(|s| s.contains(&key_checked))
                                    checked=perms.with_untracked(|s| s.contains(&key))
                                    disabled=move || !ready.get() || update.pending().get()
                                    on:change=move |ev| {
                                        let on = event_target_checked(&ev);
                                        perms.update(|s| {
                                            if on {
                                                s.insert(key.clone());
                                            } else {
                                                s.remove(&key);
                                            }
                                        });
                                        status.set(None);
                                        update.dispatch(UpdateRole {
                                            id: role_id.clone(),
                                            name: None,
                                            description: None,
                                            permissions: Some(perms.get_untracked().into_iter().collect()),
                                        });
                                    }
                                />
                            </td>
                        }
                            .into_any()
                    } else {
                        let has = perms.with_untracked(|s| s.contains(&key));
                        view! {
                            <td class="matrix-cell">
                                {if has {
                                    view! {
                                        <span class="check" aria-hidden="true">"✓"</span>
                                        <span class="sr-only">"Yes"</span>
                                    }
                                        .into_any()
                                } else {
                                    view! { <span class="sr-only">"No"</span> }.into_any()
                                }}
                            </td>
                        }
                            .into_any()
                    }
                })
                .collect_view();
            view! {
                <tr>
                    <th scope="row" class="matrix-permission">
                        <code>{p.key.clone()}</code>
                        <span class="matrix-description">{p.description.clone()}</span>
                    </th>
                    {cells}
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

/// The message of a field error, if any.
fn field_message(error: ActionError, name: &'static str) -> impl Fn() -> Option<String> + Copy + Send + Sync {
    move || error.get().and_then(|e| e.field(name).map(str::to_string))
}

#[component]
fn CustomRoleEditor(role: RoleView) -> impl IntoView {
    let ready = hydrated();
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
                    <div class="field" class:field-invalid=move || name_msg().is_some()>
                        <label for=name_id.clone()>"Name"</label>
                        <input id=name_id.clone() type="text" required=true bind:value=name aria-invalid=move || name_msg().is_some().to_string()/>
                        {move || name_msg().map(|m| view! { <p class="field-error" role="alert">{m}</p> })}
                    </div>
                    <div class="field" class:field-invalid=move || desc_msg().is_some()>
                        <label for=desc_id.clone()>"Description"</label>
                        <textarea id=desc_id.clone() rows="2" bind:value=description></textarea>
                        {move || desc_msg().map(|m| view! { <p class="field-error" role="alert">{m}</p> })}
                    </div>
                    <div>
                        <button type="submit" class="btn btn-primary" disabled=move || !ready.get() || update.pending().get()>
                            {move || if update.pending().get() { "Saving…" } else { "Save" }}
                        </button>
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
    let ready = hydrated();
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
                <div class="field" class:field-invalid=move || name_msg().is_some()>
                    <label for="new-role-name">"Name"</label>
                    <input id="new-role-name" type="text" required=true bind:value=name aria-invalid=move || name_msg().is_some().to_string()/>
                    {move || name_msg().map(|m| view! { <p class="field-error" role="alert">{m}</p> })}
                </div>
                <div class="field" class:field-invalid=move || desc_msg().is_some()>
                    <label for="new-role-description">"Description"</label>
                    <p class="field-hint">"What people with this role do, in a sentence (optional)."</p>
                    <textarea id="new-role-description" rows="2" bind:value=description></textarea>
                    {move || desc_msg().map(|m| view! { <p class="field-error" role="alert">{m}</p> })}
                </div>
                <fieldset class="field checkbox-grid">
                    <legend>"Permissions"</legend>
                    {boxes}
                    {move || perms_msg().map(|m| view! { <p class="field-error" role="alert">{m}</p> })}
                </fieldset>
                <div>
                    <button type="submit" class="btn btn-primary" disabled=move || !ready.get() || create.pending().get() data-testid="create-role">
                        {move || if create.pending().get() { "Creating…" } else { "Create role" }}
                    </button>
                </div>
            </form>
        </section>
    }
    .into_any()
}

/// A labelled select whose error comes from the action's field errors under `name`.
#[component]
fn ChoiceSelect(
    id: &'static str,
    label: &'static str,
    name: &'static str,
    options: Vec<Choice>,
    placeholder: &'static str,
    error: ActionError,
) -> impl IntoView {
    let message = field_message(error, name);
    view! {
        <div class="field" class:field-invalid=move || message().is_some()>
            <label for=id>{label}</label>
            <select id=id name=name required=true aria-invalid=move || message().is_some().to_string()>
                <option value="">{placeholder}</option>
                {options.into_iter().map(|c| view! { <option value=c.value>{c.label}</option> }).collect_view()}
            </select>
            {move || message().map(|m| view! { <p class="field-error" role="alert">{m}</p> })}
        </div>
    }
}

#[component]
fn AssignmentsSection() -> impl IntoView {
    let ctx = expect_context::<RolesCtx>();
    let data = Resource::new(
        move || ctx.refresh.get(),
        |_| async move {
            let list = list_assignments().await?;
            let options = get_assignment_options().await?;
            Ok::<(AssignmentList, AssignmentOptions), AppError>((list, options))
        },
    );
    view! {
        <section class="card" aria-labelledby="assignments-title">
            <h2 id="assignments-title">"Assignments"</h2>
            <p class="muted">"Who holds which role, and where."</p>
            <Transition fallback=|| view! { <p class="muted" role="status">"Loading assignments…"</p> }>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok((list, options)) => view! { <AssignmentsBody list options/> }.into_any(),
                        Err(error) => view! { <ErrorNotice error/> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn AssignmentsBody(list: AssignmentList, options: AssignmentOptions) -> impl IntoView {
    let create = ServerAction::<CreateAssignment>::new();
    let remove = ServerAction::<DeleteAssignment>::new();
    let create_error = action_error(create.value());
    let remove_error = action_error(remove.value());
    on_success(create.value(), |a: &crate::domain::roles::AssignmentView| {
        format!("{} is now {} ({}).", a.user_display_name, a.role_name, a.scope_name)
    });
    on_success(remove.value(), |_: &()| "Assignment removed.".to_string());
    let mut rows = list.assignments;
    rows.sort_by(|a, b| {
        a.user_display_name.to_lowercase().cmp(&b.user_display_name.to_lowercase()).then_with(|| a.role_name.cmp(&b.role_name))
    });
    let can_add = !options.scopes.is_empty();
    let table = if rows.is_empty() {
        view! { <p class="muted">"No assignments you can see."</p> }.into_any()
    } else {
        view! {
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
                        {rows
                            .into_iter()
                            .map(|a| {
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
                                            {if a.can_remove {
                                                view! {
                                                    <ActionForm action=remove>
                                                        <input type="hidden" name="id" value=a.id.clone()/>
                                                        <button type="submit" class="btn btn-small" aria-label=label data-testid="remove-assignment">
                                                            "Remove"
                                                        </button>
                                                    </ActionForm>
                                                }
                                                    .into_any()
                                            } else {
                                                ().into_any()
                                            }}
                                        </td>
                                    </tr>
                                }
                            })
                            .collect_view()}
                    </tbody>
                </table>
            </div>
        }
            .into_any()
    };
    view! {
        <ErrorBanner error=remove_error/>
        {table}
        {can_add.then(|| view! {
            <h3 class="subheading">"Give someone a role"</h3>
            <ActionForm action=create attr:class="form form-inline" attr:data-testid="create-assignment-form">
                <ErrorBanner error=create_error/>
                <ChoiceSelect id="assign-user" label="Person" name="user_id" options=options.users.clone() placeholder="Choose a person…" error=create_error/>
                <ChoiceSelect id="assign-role" label="Role" name="role_id" options=options.roles.clone() placeholder="Choose a role…" error=create_error/>
                <ChoiceSelect id="assign-scope" label="Where" name="scope" options=options.scopes.clone() placeholder="Choose where…" error=create_error/>
                <Submit label="Assign" busy_label="Assigning…" pending=create.pending().into()/>
            </ActionForm>
        })}
    }
    .into_any()
}
