//! How a page shows a failed load: "Not allowed" for missing permissions, "Not found",
//! "Please sign in again", or the error's message (with a reference for internal errors);
//! and the banner saying what the last change on a page came to.

use crate::domain::{AppError, ErrorCode};
use leptos::prelude::*;

#[component]
pub fn ErrorNotice(error: AppError) -> impl IntoView {
    let (title, hint) = match error.code {
        ErrorCode::PermissionDenied => {
            ("Not allowed", "Ask an owner or admin of your organisation if you need access.")
        }
        ErrorCode::NotFound => ("Not found", "It may have been deleted, or the link may be mistyped."),
        ErrorCode::Unauthenticated => ("Please sign in again", "Your session has ended."),
        _ => ("Something went wrong", ""),
    };
    view! {
        <div class="card notice" role="alert" data-testid="error-notice">
            <h2>{title}</h2>
            <p>{error.message.clone()}</p>
            {(!hint.is_empty()).then(|| view! { <p class="muted">{hint}</p> })}
            {(error.code == ErrorCode::Unauthenticated).then(|| view! { <a class="btn btn-primary" href="/login">"Sign in"</a> })}
            {(error.code == ErrorCode::InternalError)
                .then(|| error.request_id.clone())
                .flatten()
                .map(|id| view! { <p class="muted">"Reference: " <code>{id}</code></p> })}
        </div>
    }
}

/// What the last change on a page came to: a success banner (`Ok`, role "status") or an
/// error banner (`Err`, role "alert"), both with `testid`; nothing before any change.
#[component]
pub fn ChangeNotice(
    #[prop(into)] notice: Signal<Option<Result<String, String>>>,
    testid: &'static str,
) -> impl IntoView {
    move || {
        notice.get().map(|n| match n {
            Ok(m) => view! { <div class="banner banner-success" role="status" data-testid=testid>{m}</div> }.into_any(),
            Err(m) => view! { <div class="banner banner-error" role="alert" data-testid=testid>{m}</div> }.into_any(),
        })
    }
}
