//! `/account`: the signed-in person's own settings, as a column of independent sections.
//! Each section is a component that loads what it needs and refreshes itself, so another
//! section (MFA) is added by writing one component and listing it in `AccountPage`.

use crate::api::account::{get_account, ChangePassword, EndOtherSessions, UpdateProfile};
use crate::components::form::{action_error, ErrorBanner, Field, Submit};
use crate::components::format::time_to_minute;
use crate::components::notice::ErrorNotice;
use crate::domain::users::AccountView;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn AccountPage() -> impl IntoView {
    view! {
        <Title text="Account"/>
        <div class="page-header">
            <h1>"Account"</h1>
            <p class="muted">"Your profile, password, notifications, preferences, your spend and where you are signed in."</p>
        </div>
        <div class="account-sections">
            <ProfileSection/>
            <PasswordSection/>
            <super::account_mfa::MfaSection/>
            <super::account_notifications::NotificationsSection/>
            <super::preferences::PreferencesSection entity_type="user"/>
            <YourSpendSection/>
            <SessionsSection/>
        </div>
    }
}

/// What the signed-in person spent and the quotas over it (a person always sees their own).
#[component]
fn YourSpendSection() -> impl IntoView {
    let account = account_resource(|| 0);
    view! {
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match account.await {
                    Ok(a) => view! {
                        <crate::components::spend::EntityUsage entity_type="user" entity_id=a.id whose="you".to_string()/>
                    }
                    .into_any(),
                    Err(error) => view! { <ErrorNotice error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// Loads the account for one section; `refresh` re-runs it when an action there succeeds.
fn account_resource(
    refresh: impl Fn() -> usize + Send + Sync + 'static,
) -> Resource<Result<AccountView, crate::domain::AppError>> {
    Resource::new(refresh, |_| get_account())
}

#[component]
pub fn ProfileSection() -> impl IntoView {
    let update = ServerAction::<UpdateProfile>::new();
    let account = account_resource(move || update.version().get());
    let error = action_error(update.value());
    let saved = move || matches!(update.value().get(), Some(Ok(())));
    view! {
        <section class="card" aria-labelledby="profile-heading">
            <h2 id="profile-heading">"Profile"</h2>
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match account.await {
                        Ok(a) => view! {
                            <dl class="facts">
                                <dt>"Email"</dt>
                                <dd data-testid="account-email">{a.email.clone()}</dd>
                                <dt>"Organisation"</dt>
                                <dd>{a.org_name.clone()}</dd>
                                <dt>"Roles"</dt>
                                <dd>{if a.roles.is_empty() { "None".to_string() } else { a.roles.join(", ") }}</dd>
                                <dt>"Last sign-in"</dt>
                                <dd>{a.last_login_at.as_deref().map(|t| format!("{} UTC", time_to_minute(t))).unwrap_or_else(|| "—".into())}</dd>
                            </dl>
                            <ActionForm action=update attr:class="form narrow-form" attr:novalidate=true>
                                <ErrorBanner error/>
                                {move || saved().then(|| view! { <div class="banner banner-success" role="status">"Saved."</div> })}
                                <Field label="Display name" name="display_name" autocomplete="name" value=a.display_name.clone() error/>
                                <div><Submit label="Save" busy_label="Saving…" pending=update.pending().into()/></div>
                            </ActionForm>
                        }
                            .into_any(),
                        Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

#[component]
pub fn PasswordSection() -> impl IntoView {
    let change = ServerAction::<ChangePassword>::new();
    let error = action_error(change.value());
    let done = move || change.value().get().and_then(|r| r.ok());
    view! {
        <section class="card" aria-labelledby="password-heading">
            <h2 id="password-heading">"Password"</h2>
            <p class="muted">"Changing your password signs you out everywhere else."</p>
            {move || {
                done().map(|ended| {
                    let others = match ended {
                        0 => "No other session was open.".to_string(),
                        1 => "1 other session was signed out.".to_string(),
                        n => format!("{n} other sessions were signed out."),
                    };
                    view! { <div class="banner banner-success" role="status" data-testid="password-changed">{format!("Password changed. {others}")}</div> }
                })
            }}
            <ActionForm action=change attr:class="form narrow-form" attr:novalidate=true>
                <ErrorBanner error/>
                <Field label="Current password" name="current_password" kind="password" autocomplete="current-password" error/>
                <Field
                    label="New password"
                    name="new_password"
                    kind="password"
                    hint="At least 12 characters. A phrase of a few unrelated words works well."
                    autocomplete="new-password"
                    error
                />
                <Field label="Repeat the new password" name="new_password_confirm" kind="password" autocomplete="new-password" error/>
                <div><Submit label="Change password" busy_label="Changing…" pending=change.pending().into()/></div>
            </ActionForm>
        </section>
    }
}

#[component]
pub fn SessionsSection() -> impl IntoView {
    let end_others = ServerAction::<EndOtherSessions>::new();
    let account = account_resource(move || end_others.version().get());
    let error = action_error(end_others.value());
    let ended = move || end_others.value().get().and_then(|r| r.ok());
    view! {
        <section class="card" aria-labelledby="sessions-heading">
            <h2 id="sessions-heading">"Where you're signed in"</h2>
            <ErrorBanner error/>
            {move || ended().map(|n| view! {
                <div class="banner banner-success" role="status" data-testid="sessions-ended">
                    {match n { 1 => "1 other session was signed out.".to_string(), n => format!("{n} other sessions were signed out.") }}
                </div>
            })}
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match account.await {
                        Ok(a) => {
                            let others = a.sessions.iter().filter(|s| !s.current).count();
                            view! {
                                <div class="table-wrap">
                                    <table class="table" data-testid="sessions-table">
                                        <thead>
                                            <tr>
                                                <th scope="col">"Signed in"</th>
                                                <th scope="col">"Ends if unused"</th>
                                                <th scope="col"><span class="sr-only">"This session"</span></th>
                                            </tr>
                                        </thead>
                                        <tbody>
                                            {a.sessions
                                                .into_iter()
                                                .map(|s| view! {
                                                    <tr data-testid="session-row">
                                                        <td>{s.signed_in_at.as_deref().map(time_to_minute).unwrap_or_else(|| "—".into())}</td>
                                                        <td>{time_to_minute(&s.expires_at)}</td>
                                                        <td>{s.current.then(|| view! { <span class="badge">"This session"</span> })}</td>
                                                    </tr>
                                                })
                                                .collect_view()}
                                        </tbody>
                                    </table>
                                </div>
                                <ActionForm action=end_others attr:class="inline-form">
                                    <button type="submit" class="btn" disabled=others == 0 data-testid="end-other-sessions">
                                        "Sign out other sessions"
                                    </button>
                                </ActionForm>
                            }
                                .into_any()
                        }
                        Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}
