//! Two-step sign-in on the account: `MfaSection` (mounted on `/account`) and the page
//! `/account/mfa` that holds only it — where an org that requires MFA sends people who
//! have not set it up yet.
//!
//! Set-up: "Set up" makes a secret (shown once as a QR code and as text), a code from the
//! app confirms it, and the 10 recovery codes are shown once. When on: new recovery codes,
//! or turning it off with a code or the password.

use crate::api::mfa::{get_mfa_status, MfaBegin, MfaConfirm, MfaDisable, MfaRecoveryCodes};
use crate::components::form::{action_error, ErrorBanner, Field, Submit};
use crate::components::notice::ErrorNotice;
use crate::domain::totp::MfaStatus;
use crate::domain::AppError;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn AccountMfaPage() -> impl IntoView {
    view! {
        <Title text="Two-step sign-in"/>
        <div class="page-header">
            <h1>"Two-step sign-in"</h1>
            <p class="muted">"A code from an app on your phone, asked for after your password, keeps your account safe if the password leaks."</p>
        </div>
        <MfaSection/>
    }
}

/// The MFA section of the account page.
#[component]
pub fn MfaSection() -> impl IntoView {
    let begin = ServerAction::<MfaBegin>::new();
    let confirm = ServerAction::<MfaConfirm>::new();
    let regenerate = ServerAction::<MfaRecoveryCodes>::new();
    let disable = ServerAction::<MfaDisable>::new();
    let status = Resource::new(
        move || (begin.version().get(), confirm.version().get(), regenerate.version().get(), disable.version().get()),
        |_| get_mfa_status(),
    );
    view! {
        <section class="card mfa-section" aria-labelledby="mfa-title" data-testid="mfa-section">
            <h2 id="mfa-title">"Two-step sign-in"</h2>
            <Transition fallback=|| view! { <div class="page-loading" role="status">"Loading…"</div> }>
                {move || Suspend::new(async move {
                    match status.await {
                        Ok(s) => view! { <MfaBody s begin confirm regenerate disable/> }.into_any(),
                        Err(error) => view! { <ErrorNotice error/> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

/// The codes of the latest successful confirm or regenerate, shown once.
fn fresh_codes(value: Option<Result<Vec<String>, AppError>>) -> Option<Vec<String>> {
    value.and_then(|r| r.ok())
}

#[component]
fn MfaBody(
    s: MfaStatus,
    begin: ServerAction<MfaBegin>,
    confirm: ServerAction<MfaConfirm>,
    regenerate: ServerAction<MfaRecoveryCodes>,
    disable: ServerAction<MfaDisable>,
) -> impl IntoView {
    let codes = move || {
        if !s.enabled {
            return None;
        }
        fresh_codes(regenerate.value().get()).or_else(|| fresh_codes(confirm.value().get()))
    };
    let turned_off = move || !s.enabled && disable.value().get().is_some_and(|r| r.is_ok());
    view! {
        {move || turned_off().then(|| view! { <div class="banner banner-success" role="status" data-testid="mfa-notice">"Two-step sign-in is off."</div> })}
        {move || codes().map(|codes| view! { <RecoveryCodes codes/> })}
        {if s.enabled {
            view! { <MfaOn s regenerate disable/> }.into_any()
        } else {
            view! { <MfaOff s begin confirm disable/> }.into_any()
        }}
    }
    .into_any()
}

#[component]
fn RecoveryCodes(codes: Vec<String>) -> impl IntoView {
    view! {
        <div class="secret-box" role="status" data-testid="recovery-codes">
            <h3>"Your recovery codes"</h3>
            <p>
                <strong>"Save these now: they are shown only this once."</strong>
                " Each code signs you in once if you lose your phone. Keep them somewhere safe, such as a password manager."
            </p>
            <ol class="recovery-codes">
                {codes.into_iter().map(|c| view! { <li><code>{c}</code></li> }).collect_view()}
            </ol>
        </div>
    }
}

#[component]
fn MfaOn(s: MfaStatus, regenerate: ServerAction<MfaRecoveryCodes>, disable: ServerAction<MfaDisable>) -> impl IntoView {
    let regen_error = action_error(regenerate.value());
    let disable_error = action_error(disable.value());
    view! {
        <p data-testid="mfa-status">
            <span class="badge badge-ok">"On"</span>
            " Sign-in asks for a code from your authenticator app. "
            {format!("{} unused recovery code{} left.", s.recovery_codes_left, if s.recovery_codes_left == 1 { "" } else { "s" })}
        </p>
        <div class="mfa-forms">
            <ActionForm action=regenerate attr:class="form" attr:novalidate=true>
                <h3>"New recovery codes"</h3>
                <p class="muted">"The old codes stop working."</p>
                <ErrorBanner error=regen_error/>
                <Field label="Current code from your app" name="code" autocomplete="one-time-code" error=regen_error/>
                <Submit label="Make new codes" busy_label="Making…" pending=regenerate.pending().into()/>
            </ActionForm>
            <ActionForm action=disable attr:class="form" attr:novalidate=true>
                <h3>"Turn off"</h3>
                {s.org_requires.then(|| view! {
                    <p class="field-hint">"Your organisation requires two-step sign-in: you will be asked to set it up again."</p>
                })}
                <ErrorBanner error=disable_error/>
                <Field
                    label="Current code or your password"
                    name="credential"
                    kind="password"
                    autocomplete="current-password"
                    error=disable_error
                />
                <button type="submit" class="btn btn-danger" disabled=move || disable.pending().get()>"Turn off two-step sign-in"</button>
            </ActionForm>
        </div>
    }
    .into_any()
}

#[component]
fn MfaOff(
    s: MfaStatus,
    begin: ServerAction<MfaBegin>,
    confirm: ServerAction<MfaConfirm>,
    disable: ServerAction<MfaDisable>,
) -> impl IntoView {
    let begin_error = action_error(begin.value());
    let confirm_error = action_error(confirm.value());
    // The enrolment of this visit, while the set-up it started is still pending.
    let enrolment = move || {
        if !s.enrolment_pending || disable.value().get().is_some_and(|r| r.is_ok()) {
            return None;
        }
        begin.value().get().and_then(|r| r.ok())
    };
    view! {
        {s.org_requires.then(|| view! {
            <div class="banner banner-error" role="alert" data-testid="mfa-required">
                "Your organisation requires two-step sign-in. Set it up to keep using Mandate."
            </div>
        })}
        {move || match enrolment() {
            None => view! {
                <p data-testid="mfa-status"><span class="badge">"Off"</span>" Sign-in asks only for your password."</p>
                <ActionForm action=begin attr:class="form form-inline">
                    <ErrorBanner error=begin_error/>
                    <Submit label="Set up two-step sign-in" busy_label="Preparing…" pending=begin.pending().into()/>
                </ActionForm>
            }
            .into_any(),
            Some(e) => view! {
                <ol class="steps mfa-steps">
                    <li>
                        <strong>"Scan this QR code"</strong>
                        " with an authenticator app (such as Google Authenticator, Microsoft Authenticator, 1Password or Aegis)."
                        <div class="qr" data-testid="mfa-qr" inner_html=e.qr_svg.clone()></div>
                        <p class="muted">"Can't scan? Type this key into the app (time-based, 6 digits):"</p>
                        <p><code class="secret-text" data-testid="mfa-secret">{e.secret.clone()}</code></p>
                    </li>
                    <li>
                        <strong>"Enter the 6-digit code"</strong>
                        " the app now shows for Mandate."
                        <ActionForm action=confirm attr:class="form" attr:novalidate=true>
                            <ErrorBanner error=confirm_error/>
                            <Field label="Code" name="code" autocomplete="one-time-code" error=confirm_error autofocus=true/>
                            <Submit label="Turn on" busy_label="Checking…" pending=confirm.pending().into()/>
                        </ActionForm>
                    </li>
                </ol>
            }
            .into_any(),
        }}
    }
    .into_any()
}
