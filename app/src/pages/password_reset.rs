//! `/forgot-password` and `/reset-password/:token` (public). The request page always gives
//! the same answer, so it cannot be used to find out who has an account.

use crate::api::users::{get_password_reset_info, ForgotPassword, ResetPassword};
use crate::components::auth_card::AuthCard;
use crate::components::form::{action_error, ErrorBanner, Field, Submit};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

#[component]
pub fn ForgotPasswordPage() -> impl IntoView {
    let forgot = ServerAction::<ForgotPassword>::new();
    let error = action_error(forgot.value());
    let done = move || forgot.value().get().and_then(|r| r.ok());
    view! {
        <Title text="Forgot password"/>
        <AuthCard>
            <h1>"Forgot your password?"</h1>
            <p class="lead">"Enter the email you sign in with. We'll send a link to choose a new password."</p>
            {move || done().map(|message| view! { <div class="banner banner-success" role="status" data-testid="reset-requested">{message}</div> })}
            <ActionForm action=forgot attr:class="form" attr:novalidate=true>
                <ErrorBanner error/>
                <Field label="Email" name="email" kind="email" autocomplete="email" error autofocus=true/>
                <Submit label="Send reset link" busy_label="Sending…" pending=forgot.pending().into()/>
            </ActionForm>
            <p class="form-footer"><a href="/login">"Back to sign-in"</a></p>
        </AuthCard>
    }
}

#[component]
pub fn ResetPasswordPage() -> impl IntoView {
    let params = use_params_map();
    let token = move || params.read().get("token").unwrap_or_default();
    let info = Resource::new(token, get_password_reset_info);
    view! {
        <Title text="Choose a new password"/>
        <AuthCard>
            <Suspense fallback=|| view! { <p class="muted" role="status">"Checking your link…"</p> }>
                {move || Suspend::new(async move {
                    match info.await {
                        Ok(email) => view! { <ResetForm email token=token()/> }.into_any(),
                        Err(e) => view! {
                            <h1>"Link not valid"</h1>
                            <div class="banner banner-error" role="alert" data-testid="reset-invalid">{e.message}</div>
                            <a href="/forgot-password">"Ask for a new link"</a>
                        }
                            .into_any(),
                    }
                })}
            </Suspense>
        </AuthCard>
    }
}

#[component]
fn ResetForm(email: String, token: String) -> impl IntoView {
    let reset = ServerAction::<ResetPassword>::new();
    let error = action_error(reset.value());
    let done = move || matches!(reset.value().get(), Some(Ok(())));
    view! {
        <h1>"Choose a new password"</h1>
        <Show
            when=done
            fallback=move || {
                let email = email.clone();
                let token = token.clone();
                view! {
                    <p class="lead">{format!("For {email}. You'll be signed out everywhere and can sign in with the new password.")}</p>
                    <ActionForm action=reset attr:class="form" attr:novalidate=true>
                        <ErrorBanner error/>
                        <input type="hidden" name="token" value=token/>
                        <input type="hidden" autocomplete="username" value=email/>
                        <Field
                            label="New password"
                            name="password"
                            kind="password"
                            hint="At least 12 characters. A phrase of a few unrelated words works well."
                            autocomplete="new-password"
                            error
                            autofocus=true
                        />
                        <Field label="Repeat the new password" name="password_confirm" kind="password" autocomplete="new-password" error/>
                        <Submit label="Set new password" busy_label="Saving…" pending=reset.pending().into()/>
                    </ActionForm>
                }
            }
        >
            <div class="banner banner-success" role="status" data-testid="reset-done">
                "Your password was changed and every session of your account was signed out."
            </div>
            <a class="btn btn-primary" href="/login">"Sign in"</a>
        </Show>
    }
    .into_any()
}
