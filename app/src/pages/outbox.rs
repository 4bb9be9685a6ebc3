//! `/org/outbox`: every email Mandate queued for the org, newest first, with its delivery
//! status and full body, so an install without SMTP can still hand invitation and reset
//! links over. Needs `users.manage` (the mails carry sign-in links).

use crate::api::users::list_outbox;
use crate::components::format::time_to_minute;
use crate::components::notice::ErrorNotice;
use crate::domain::actions::url_encode;
use crate::domain::users::{MailStatus, OutboxItem, OutboxPage};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

#[component]
pub fn OutboxPage() -> impl IntoView {
    let query = use_query_map();
    let cursor = move || query.read().get("cursor").filter(|c| !c.is_empty());
    let page = Resource::new(cursor, list_outbox);
    view! {
        <Title text="Outbox"/>
        <div class="page-header">
            <h1>"Outbox"</h1>
            <p class="muted">"Email Mandate sends for your organisation: invitations and password resets."</p>
        </div>
        <Suspense fallback=|| view! { <div class="page-loading" role="status">"Loading the outbox…"</div> }>
            {move || Suspend::new(async move {
                match page.await {
                    Ok(p) => view! { <OutboxBody p first=cursor().is_none()/> }.into_any(),
                    Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn OutboxBody(p: OutboxPage, first: bool) -> impl IntoView {
    let smtp_note = if p.smtp_configured {
        "Email is sent through your SMTP server; failed deliveries are retried with increasing pauses."
    } else {
        "No SMTP server is configured (MANDATE_SMTP_URL), so email is not sent: copy the links from here and pass them on."
    };
    let empty = p.items.is_empty();
    view! {
        <p class="banner banner-info" data-testid="smtp-status">{smtp_note}</p>
        {if empty {
            view! { <section class="card"><p class="muted">"No email yet."</p></section> }.into_any()
        } else {
            view! {
                <ol class="outbox" data-testid="outbox-list">
                    {p.items.into_iter().map(|m| view! { <Mail m/> }).collect_view()}
                </ol>
            }
                .into_any()
        }}
        <nav class="pager" aria-label="Pages">
            {(!first).then(|| view! { <a class="btn" href="/org/outbox">"Newest"</a> })}
            {p.next_cursor.map(|c| view! { <a class="btn" href=format!("/org/outbox?cursor={}", url_encode(&c)) rel="next">"Older"</a> })}
        </nav>
    }
    .into_any()
}

#[component]
fn Mail(m: OutboxItem) -> impl IntoView {
    let status = m.status.label();
    let detail = match m.status {
        MailStatus::Sent => format!("Sent {}", m.sent_at.as_deref().map(time_to_minute).unwrap_or_default()),
        MailStatus::Failed => format!("Gave up after {} attempts", m.attempts),
        MailStatus::Pending if m.attempts > 0 => format!("Retrying ({} failed attempts)", m.attempts),
        MailStatus::Pending => "Not sent yet".to_string(),
    };
    view! {
        <li class="card mail" data-testid="outbox-item">
            <div class="mail-head">
                <div>
                    <p class="mail-subject"><strong>{m.subject.clone()}</strong></p>
                    <p class="muted">"To " <span data-testid="mail-to">{m.to_email.clone()}</span> " · queued " {time_to_minute(&m.created_at)} " UTC"</p>
                </div>
                <span class=format!("badge badge-mail-{status}") data-testid="mail-status">{status}</span>
            </div>
            <p class="muted">{detail}</p>
            {m.last_error.map(|e| view! { <p class="field-error">"Last error: " {e}</p> })}
            <pre class="mail-body" data-testid="mail-body">{m.body}</pre>
        </li>
    }
    .into_any()
}
