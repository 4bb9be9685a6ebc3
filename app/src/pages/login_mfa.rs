//! `/login/mfa`: the sign-in's second step. The password was right; now a 6-digit code from
//! the authenticator app, or one of the recovery codes. Public: the session holds only the
//! pending sign-in, which expires after a few minutes.

use crate::api::mfa::{login_mfa_pending, LoginMfa};
use crate::components::auth_card::AuthCard;
use crate::components::form::{action_error, ErrorBanner, Field, Submit};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn LoginMfaPage() -> impl IntoView {
    let pending = Resource::new(|| (), |_| login_mfa_pending());
    let submit = ServerAction::<LoginMfa>::new();
    let error = action_error(submit.value());
    view! {
        <Title text="Two-step sign-in"/>
        <AuthCard>
            <h1>"Two-step sign-in"</h1>
            <Suspense fallback=|| view! { <div class="page-loading" role="status">"Loading…"</div> }>
                {move || Suspend::new(async move {
                    match pending.await {
                        Ok(true) => view! {
                            <p class="muted">
                                "Enter the 6-digit code your authenticator app shows for Mandate. "
                                "Lost your phone? Enter one of your recovery codes instead; each works once."
                            </p>
                            <ActionForm action=submit attr:class="form" attr:novalidate=true>
                                <ErrorBanner error/>
                                <Field
                                    label="Code"
                                    name="code"
                                    autocomplete="one-time-code"
                                    hint="6 digits, or a recovery code like abcde-fghjk"
                                    error
                                    autofocus=true
                                />
                                <Submit label="Verify" busy_label="Verifying…" pending=submit.pending().into()/>
                            </ActionForm>
                            <p class="muted auth-footnote"><a href="/login">"Start again"</a></p>
                        }
                        .into_any(),
                        _ => view! {
                            <div class="banner banner-error" role="alert" data-testid="mfa-expired">
                                "Your sign-in has expired or was not started here. Enter your email and password again."
                            </div>
                            <a class="btn btn-primary" href="/login">"Go to sign-in"</a>
                        }
                        .into_any(),
                    }
                })}
            </Suspense>
        </AuthCard>
    }
}
