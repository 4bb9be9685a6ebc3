//! The card the signed-out pages sit in (sign-in, two-step sign-in, set-up, invitations,
//! password reset): centred, with the Mandate mark on top. What goes in it is the page's.

use leptos::prelude::*;

/// A centred card with the brand on top and `children` under it; `wide` for the longer
/// forms (set-up, accepting an invitation).
#[component]
pub fn AuthCard(#[prop(optional)] wide: bool, children: Children) -> impl IntoView {
    view! {
        <main class="centered">
            <div class=if wide { "card auth-card" } else { "card narrow auth-card" }>
                <div class="brand brand-large">
                    <span class="brand-mark" aria-hidden="true">"M"</span>
                    <span class="brand-name">"Mandate"</span>
                </div>
                {children()}
            </div>
        </main>
    }
}
