//! `/invite/:token` (public): the invited person sees which organisation invited them,
//! chooses a password, and is signed in.

use crate::api::users::{get_invite_info, AcceptInvite};
use crate::components::auth_card::AuthCard;
use crate::components::form::{action_error, ErrorBanner, Field, Submit};
use crate::domain::users::InviteInfo;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

#[component]
pub fn InvitePage() -> impl IntoView {
    let params = use_params_map();
    let token = move || params.read().get("token").unwrap_or_default();
    let info = Resource::new(token, get_invite_info);
    view! {
        <Title text="Accept your invitation"/>
        <AuthCard wide=true>
            <Suspense fallback=|| view! { <p class="muted" role="status">"Checking your invitation…"</p> }>
                {move || Suspend::new(async move {
                    match info.await {
                        Ok(i) => view! { <AcceptForm info=i token=token()/> }.into_any(),
                        Err(e) => view! {
                            <h1>"Invitation not valid"</h1>
                            <div class="banner banner-error" role="alert" data-testid="invite-invalid">{e.message}</div>
                            <a href="/login">"Go to sign-in"</a>
                        }
                            .into_any(),
                    }
                })}
            </Suspense>
        </AuthCard>
    }
}

#[component]
fn AcceptForm(info: InviteInfo, token: String) -> impl IntoView {
    let accept = ServerAction::<AcceptInvite>::new();
    let error = action_error(accept.value());
    view! {
        <h1>{format!("Join {}", info.org_name)}</h1>
        <p class="lead">{format!("Welcome, {}. Choose a password for {} to finish setting up your account.", info.display_name, info.email)}</p>
        <ActionForm action=accept attr:class="form" attr:novalidate=true>
            <ErrorBanner error/>
            <input type="hidden" name="token" value=token/>
            <input type="hidden" autocomplete="username" value=info.email.clone()/>
            <Field
                label="Password"
                name="password"
                kind="password"
                hint="At least 12 characters. A phrase of a few unrelated words works well."
                autocomplete="new-password"
                error
                autofocus=true
            />
            <Field label="Repeat the password" name="password_confirm" kind="password" autocomplete="new-password" error/>
            <Submit label="Set password and sign in" busy_label="Setting up…" pending=accept.pending().into()/>
        </ActionForm>
    }
    .into_any()
}
