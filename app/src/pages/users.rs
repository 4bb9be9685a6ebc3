//! `/org/users`: the org's people. Everyone signed in sees the list (search, pages); those
//! with `users.manage` also get the invite form and per-person actions (edit, suspend or
//! reactivate, resend the invitation, reset the two-step sign-in of someone who lost their
//! phone and recovery codes, delete; the last two after a confirmation step). The server decides
//! every change again; hiding controls is only a courtesy.
//!
//! Search and paging live in the URL (`?q=&cursor=&trail=`), so they work before the page
//! is interactive and the browser's back button behaves. `trail` holds the cursors of the
//! pages before this one, for "Previous".

use crate::api::auth::CurrentUser;
use crate::api::users::{
    get_user_form_options, list_users, DeleteUser, InviteUser, ResendInvite, ResetUserMfa, SetUserStatus, UpdateUser,
};
use crate::components::form::{action_error, field_message, ActionError, ErrorBanner, Field, SelectField, Submit};
use crate::components::format::time_to_minute;
use crate::components::notice::ErrorNotice;
use crate::domain::actions::url_encode;
use crate::domain::users::{Choice, UserFormOptions, UserPage, UserView};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

/// People per page.
const PAGE_SIZE: u64 = 20;

/// The message of a failed row action (field errors included: rows have no room for them).
#[component]
fn ActionMessage(error: ActionError) -> impl IntoView {
    move || {
        error.get().map(|e| {
            view! { <div class="banner banner-error" role="alert" data-testid="action-error">{e.message}</div> }
        })
    }
}

/// The actions every row shares, so one banner shows what went wrong.
#[derive(Clone, Copy)]
struct RowActions {
    update: ServerAction<UpdateUser>,
    status: ServerAction<SetUserStatus>,
    resend: ServerAction<ResendInvite>,
    delete: ServerAction<DeleteUser>,
    mfa: ServerAction<ResetUserMfa>,
}

#[component]
pub fn UsersPage() -> impl IntoView {
    let query = use_query_map();
    let q = move || query.read().get("q").unwrap_or_default();
    let cursor = move || query.read().get("cursor").filter(|c| !c.is_empty());
    let trail = move || query.read().get("trail");

    let invite = ServerAction::<InviteUser>::new();
    let rows = RowActions {
        update: ServerAction::<UpdateUser>::new(),
        status: ServerAction::<SetUserStatus>::new(),
        resend: ServerAction::<ResendInvite>::new(),
        delete: ServerAction::<DeleteUser>::new(),
        mfa: ServerAction::<ResetUserMfa>::new(),
    };
    // Only the latest row action's error is shown: starting one clears the others'.
    Effect::new(move |_| {
        let started = [
            rows.update.input().with(Option::is_some),
            rows.status.input().with(Option::is_some),
            rows.resend.input().with(Option::is_some),
            rows.delete.input().with(Option::is_some),
            rows.mfa.input().with(Option::is_some),
        ];
        if let Some(i) = started.iter().position(|s| *s) {
            if i != 0 {
                rows.update.value().set(None)
            }
            if i != 1 {
                rows.status.value().set(None)
            }
            if i != 2 {
                rows.resend.value().set(None)
            }
            if i != 3 {
                rows.delete.value().set(None)
            }
            if i != 4 {
                rows.mfa.value().set(None)
            }
        }
    });
    let page = Resource::new(
        move || {
            (
                q(),
                cursor(),
                invite.version().get(),
                rows.update.version().get(),
                rows.status.version().get(),
                rows.delete.version().get(),
                rows.resend.version().get(),
                rows.mfa.version().get(),
            )
        },
        |(q, cursor, ..)| list_users(Some(q), cursor, Some(PAGE_SIZE)),
    );

    // Only those who may manage people need the form choices; the server checks again.
    let may_manage = use_context::<CurrentUser>().is_some_and(|u| u.has("users.manage"));
    let options = may_manage.then(|| Resource::new(|| (), |_| get_user_form_options()));

    view! {
        <Title text="People"/>
        <div class="page-header">
            <h1>"People"</h1>
            <p class="muted">"Everyone in your organisation, their team and roles."</p>
        </div>
        <Suspense fallback=|| view! { <div class="page-loading" role="status">"Loading people…"</div> }>
            {move || Suspend::new(async move {
                match page.await {
                    Ok(p) => {
                        let opts = match (p.can_manage, options) {
                            (true, Some(o)) => o.await.ok(),
                            _ => None,
                        };
                        let teams = opts.as_ref().map(|o| o.teams.clone()).unwrap_or_default();
                        view! {
                            {opts.map(|opts| view! { <InviteCard invite opts/> })}
                            <PeopleCard page=p q=q() cursor=cursor() trail=trail() rows teams/>
                        }
                            .into_any()
                    }
                    Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn InviteCard(invite: ServerAction<InviteUser>, opts: UserFormOptions) -> impl IntoView {
    let error = action_error(invite.value());
    let sent = move || invite.value().get().and_then(|r| r.ok());
    view! {
        <section class="card" aria-labelledby="invite-heading">
            <details class="invite" open=move || error.get().is_some()>
                <summary class="btn btn-primary" data-testid="invite-open">"Invite someone"</summary>
                <h2 id="invite-heading" class="sr-only">"Invite someone"</h2>
                <InviteForm invite opts/>
            </details>
            {move || {
                sent().map(|u| {
                    view! {
                        <div class="banner banner-success" role="status" data-testid="invite-sent">
                            {format!("Invitation sent to {}. ", u.email)}
                            "The email with the link is in the "
                            <A href="/org/outbox">"outbox"</A>
                            "."
                        </div>
                    }
                })
            }}
        </section>
    }
    .into_any()
}

#[component]
fn InviteForm(invite: ServerAction<InviteUser>, opts: UserFormOptions) -> impl IntoView {
    let error = action_error(invite.value());
    let roles: Vec<(String, String)> = opts.roles.iter().map(|r| (r.id.clone(), r.name.clone())).collect();
    let teams: Vec<(String, String)> = opts.teams.iter().map(|t| (t.id.clone(), t.name.clone())).collect();
    let mut scopes = vec![("org".to_string(), "The whole organisation".to_string())];
    scopes.extend(opts.teams.iter().map(|t| (format!("team:{}", t.id), format!("Team {}", t.name))));
    // The scope's errors may come under any of its parts.
    let scope_message = Signal::derive(move || {
        error.get().and_then(|e| {
            e.field("scope").or_else(|| e.field("scope_id")).or_else(|| e.field("scope_type")).map(str::to_string)
        })
    });
    view! {
        <ActionForm action=invite attr:class="form invite-form" attr:novalidate=true>
            <ErrorBanner error/>
            <div class="form-row">
                <Field label="Email" name="email" kind="email" autocomplete="off" error/>
                <Field label="Name" name="display_name" autocomplete="off" error/>
            </div>
            <div class="form-row">
                <SelectField
                    id="invite-role"
                    label="Role"
                    name="role_id"
                    options=roles
                    selected="role-viewer".to_string()
                    error=field_message(error, "role_id")
                />
                <SelectField
                    id="invite-scope"
                    label="Where the role applies"
                    name="scope"
                    options=scopes
                    selected="org".to_string()
                    error=scope_message
                />
                <SelectField
                    id="invite-team"
                    label="Team"
                    name="team_id"
                    options=teams
                    placeholder="No team"
                    error=field_message(error, "team_id")
                />
            </div>
            <p class="field-hint">"They get an email with a link to choose a password; the link works for 7 days."</p>
            <div>
                <Submit label="Send invitation" busy_label="Sending…" pending=invite.pending().into()/>
            </div>
        </ActionForm>
    }
    .into_any()
}

#[component]
fn PeopleCard(
    page: UserPage,
    q: String,
    cursor: Option<String>,
    trail: Option<String>,
    rows: RowActions,
    teams: Vec<Choice>,
) -> impl IntoView {
    let can_manage = page.can_manage;
    let q_param = if q.is_empty() { String::new() } else { format!("q={}&", url_encode(&q)) };
    // Next: remember this page's cursor ("" for the first) in the trail.
    let next_href = page.next_cursor.clone().map(|next| {
        let mut t: Vec<String> =
            trail.as_deref().map(|t| t.split('.').map(str::to_string).collect()).unwrap_or_default();
        t.push(cursor.clone().unwrap_or_default());
        format!("/org/users?{q_param}cursor={}&trail={}", url_encode(&next), url_encode(&t.join(".")))
    });
    // Previous: the last cursor of the trail.
    let prev_href = trail.as_deref().map(|t| {
        let mut parts: Vec<&str> = t.split('.').collect();
        let prev = parts.pop().unwrap_or("");
        let mut params = q_param.trim_end_matches('&').to_string();
        if !prev.is_empty() {
            params.push_str(&format!("{}cursor={}", if params.is_empty() { "" } else { "&" }, url_encode(prev)));
        }
        if !parts.is_empty() {
            params.push_str(&format!("&trail={}", url_encode(&parts.join("."))));
        }
        if params.is_empty() {
            "/org/users".to_string()
        } else {
            format!("/org/users?{params}")
        }
    });
    let errors: [ActionError; 5] = [
        action_error(rows.update.value()),
        action_error(rows.status.value()),
        action_error(rows.resend.value()),
        action_error(rows.delete.value()),
        action_error(rows.mfa.value()),
    ];
    let mfa_reset = move || rows.mfa.value().get().and_then(|r| r.ok());
    let empty = page.users.is_empty();
    let users = page.users;
    view! {
        <section class="card" aria-labelledby="people-heading">
            <div class="card-header">
                <h2 id="people-heading">"People"</h2>
                <form method="get" action="/org/users" class="search" role="search">
                    <label for="people-search" class="sr-only">"Search people"</label>
                    <input id="people-search" type="search" name="q" value=q.clone() placeholder="Search name or email" data-testid="people-search"/>
                    <button type="submit" class="btn">"Search"</button>
                </form>
            </div>
            {errors.map(|error| view! { <ActionMessage error/> }).into_iter().collect_view()}
            {move || mfa_reset().map(|u| view! {
                <div class="banner banner-success" role="status" data-testid="mfa-reset-done">
                    {format!("{}'s two-step sign-in was reset: they were signed out everywhere and told by email.", u.display_name)}
                </div>
            })}
            {if empty {
                view! {
                    <p class="muted">{if q.is_empty() { "Nobody here yet.".to_string() } else { format!("Nobody matches \"{q}\".") }}</p>
                }
                    .into_any()
            } else {
                view! {
                    <div class="table-wrap">
                        <table class="table people" data-testid="people-table">
                            <thead>
                                <tr>
                                    <th scope="col">"Name"</th>
                                    <th scope="col">"Email"</th>
                                    <th scope="col">"Status"</th>
                                    <th scope="col">"Team"</th>
                                    <th scope="col">"Roles"</th>
                                    <th scope="col">"Last sign-in"</th>
                                    {can_manage.then(|| view! { <th scope="col">"Actions"</th> })}
                                </tr>
                            </thead>
                            <tbody>
                                // Keyed by the whole row: a changed or removed person gets fresh
                                // elements (an open "Delete…" never moves to the next row).
                                <For
                                    each=move || users.clone()
                                    key=|u| u.clone()
                                    children=move |u| view! { <PersonRow u can_manage rows teams=teams.clone()/> }
                                />
                            </tbody>
                        </table>
                    </div>
                }
                    .into_any()
            }}
            <nav class="pager" aria-label="Pages">
                {prev_href.map(|href| view! { <a class="btn" href=href rel="prev" data-testid="page-prev">"Previous"</a> })}
                {next_href.map(|href| view! { <a class="btn" href=href rel="next" data-testid="page-next">"Next"</a> })}
            </nav>
        </section>
    }
    .into_any()
}

#[component]
fn StatusBadge(status: String) -> impl IntoView {
    let class = format!("badge badge-{status}");
    view! { <span class=class data-testid="user-status">{status}</span> }
}

#[component]
fn PersonRow(u: UserView, can_manage: bool, rows: RowActions, teams: Vec<Choice>) -> impl IntoView {
    let roles = u.roles.iter().map(|r| r.label()).collect::<Vec<_>>().join(", ");
    let last = u.last_login_at.as_deref().map(time_to_minute).unwrap_or_else(|| "Never".into());
    let email = u.email.clone();
    let email_attr = u.email.clone();
    view! {
        <tr data-testid="person-row" data-email=email_attr>
            <td><a href=format!("/org/users/{}", u.id)>{u.display_name.clone()}</a></td>
            <td>{email}</td>
            <td><StatusBadge status=u.status.clone()/></td>
            <td>{match (u.team_id.clone(), u.team_name.clone()) {
                (Some(id), Some(name)) => view! { <a href=format!("/org/teams/{id}")>{name}</a> }.into_any(),
                _ => view! { "—" }.into_any(),
            }}</td>
            <td>{if roles.is_empty() { "—".to_string() } else { roles }}</td>
            <td class="nowrap">{last}</td>
            {can_manage.then(|| view! { <td><RowControls u=u.clone() rows teams/></td> })}
        </tr>
    }
    .into_any()
}

#[component]
fn RowControls(u: UserView, rows: RowActions, teams: Vec<Choice>) -> impl IntoView {
    let id = u.id.clone();
    let suspended = u.status == "suspended";
    let invited = u.status == "invited";
    let (next_status, status_label) = if suspended { ("active", "Reactivate") } else { ("suspended", "Suspend") };
    let name = u.display_name.clone();
    let team_id = u.team_id.clone().unwrap_or_default();
    let (name_id, team_field_id) = (format!("name-{id}"), format!("team-{id}"));
    let (name_for, team_for) = (name_id.clone(), team_field_id.clone());
    let (id_edit, id_status, id_resend, id_mfa, id_delete) = (id.clone(), id.clone(), id.clone(), id.clone(), id);
    let confirm_text = format!("Delete {name} permanently? Their roles go too. This can't be undone.");
    let mfa_text = format!(
        "Reset {name}'s two-step sign-in? Do this only when they lost both their phone and their recovery codes and you have checked it is really them. Their authenticator and recovery codes stop working, they are signed out everywhere and told by email; they set it up again at their next sign-in."
    );
    let uses_mfa = u.mfa_enabled;
    view! {
        <div class="row-actions">
            <details class="row-menu">
                <summary class="btn btn-small">"Edit"</summary>
                <ActionForm action=rows.update attr:class="form compact">
                    <input type="hidden" name="id" value=id_edit/>
                    <div class="field">
                        <label for=name_for>"Name"</label>
                        <input id=name_id name="display_name" value=name required=true/>
                    </div>
                    <div class="field">
                        <label for=team_for>"Team"</label>
                        <select id=team_field_id name="team_id">
                            <option value="">"No team"</option>
                            {teams
                                .into_iter()
                                .map(|t| {
                                    let selected = t.id == team_id;
                                    view! { <option value=t.id selected=selected>{t.name}</option> }
                                })
                                .collect_view()}
                        </select>
                    </div>
                    <button type="submit" class="btn btn-primary btn-small">"Save"</button>
                </ActionForm>
            </details>
            <ActionForm action=rows.status attr:class="inline-form">
                <input type="hidden" name="id" value=id_status/>
                <input type="hidden" name="status" value=next_status/>
                <button type="submit" class="btn btn-small" data-testid="toggle-status">{status_label}</button>
            </ActionForm>
            {invited.then(|| {
                view! {
                    <ActionForm action=rows.resend attr:class="inline-form">
                        <input type="hidden" name="id" value=id_resend/>
                        <button type="submit" class="btn btn-small">"Resend invite"</button>
                    </ActionForm>
                }
            })}
            {uses_mfa.then(|| {
                view! {
                    <details class="row-menu">
                        <summary class="btn btn-small" data-testid="mfa-reset-open">"Reset two-step sign-in…"</summary>
                        <ActionForm action=rows.mfa attr:class="form compact">
                            <input type="hidden" name="id" value=id_mfa/>
                            <p>{mfa_text}</p>
                            <button type="submit" class="btn btn-danger btn-small" data-testid="confirm-mfa-reset">"Reset two-step sign-in"</button>
                        </ActionForm>
                    </details>
                }
            })}
            <details class="row-menu">
                <summary class="btn btn-small btn-danger-outline">"Delete…"</summary>
                <ActionForm action=rows.delete attr:class="form compact">
                    <input type="hidden" name="id" value=id_delete/>
                    <p>{confirm_text}</p>
                    <button type="submit" class="btn btn-danger btn-small" data-testid="confirm-delete">"Delete"</button>
                </ActionForm>
            </details>
        </div>
    }
    .into_any()
}
