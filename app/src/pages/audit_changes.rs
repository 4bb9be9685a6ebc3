//! `/audit/changes`: the change log. Configuration changes from the audit trail, newest
//! first (sign-ins only when asked), filtered by entity type, actor and dates, a page at a
//! time; each row opens to show what changed, field by field. The chain's status is on top.
//! Needs `audit.read`; the server decides.
//!
//! The filters live in the URL (a GET form), so a filtered view can be bookmarked or shared.

use crate::api::audit_changes::{chain_status, entity_types, list_changes};
use crate::components::format::time_to_second;
use crate::components::notice::ErrorNotice;
use crate::components::paged::{PagedEmpty, PagedTable};
use crate::domain::actions::url_encode;
use crate::domain::changes::{diff, AuditEventView, EventPage};
use crate::domain::ErrorCode;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

/// The filters of the current URL.
#[derive(Clone, Debug, Default, PartialEq)]
struct Filters {
    entity_type: String,
    actor: String,
    from: String,
    to: String,
    include_sign_ins: bool,
    cursor: String,
}

impl Filters {
    fn opt(s: &str) -> Option<String> {
        (!s.trim().is_empty()).then(|| s.trim().to_string())
    }

    /// This view's URL with another cursor (None: the newest page).
    fn href(&self, cursor: Option<&str>) -> String {
        let mut parts = Vec::new();
        for (k, v) in
            [("entity_type", &self.entity_type), ("actor", &self.actor), ("from", &self.from), ("to", &self.to)]
        {
            if !v.is_empty() {
                parts.push(format!("{k}={}", url_encode(v)));
            }
        }
        if self.include_sign_ins {
            parts.push("include_sign_ins=true".into());
        }
        if let Some(c) = cursor {
            parts.push(format!("cursor={}", url_encode(c)));
        }
        if parts.is_empty() {
            "/audit/changes".into()
        } else {
            format!("/audit/changes?{}", parts.join("&"))
        }
    }
}

#[component]
pub fn AuditChangesPage() -> impl IntoView {
    let query = use_query_map();
    let filters = Memo::new(move |_| {
        let q = query.read();
        let get = |k: &str| q.get(k).unwrap_or_default();
        Filters {
            entity_type: get("entity_type"),
            actor: get("actor"),
            from: get("from"),
            to: get("to"),
            include_sign_ins: matches!(get("include_sign_ins").as_str(), "true" | "on" | "1"),
            cursor: get("cursor"),
        }
    });
    let page = Resource::new(
        move || filters.get(),
        |f| {
            list_changes(
                Filters::opt(&f.entity_type),
                Filters::opt(&f.actor),
                Filters::opt(&f.from),
                Filters::opt(&f.to),
                Some(f.include_sign_ins),
                Filters::opt(&f.cursor),
            )
        },
    );
    let types = Resource::new(|| (), |_| entity_types());
    let chain = Resource::new(|| (), |_| chain_status());
    view! {
        <Title text="Change log"/>
        <div class="page-header">
            <h1>"Change log"</h1>
            <p class="muted">"Who changed what in the organisation's configuration, and when. Every entry is part of the tamper-evident audit chain."</p>
            <p class="muted">"What assistants and automations did is on the " <a href="/audit">"Audit"</a> " page."</p>
        </div>
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                chain.await.ok().map(|c| {
                    let text = match &c.first_broken {
                        None => format!("Intact, {} events", c.events),
                        Some(b) => format!("Broken at event {}: {}", b.seq, b.reason),
                    };
                    view! {
                        <p class="chain-status" class:ok=c.ok class:bad=!c.ok data-testid="chain-status" role="status">
                            <strong>"Audit chain: "</strong>{text}
                        </p>
                    }
                })
            })}
        </Suspense>
        <Suspense fallback=|| view! { <div class="page-loading" role="status">"Loading…"</div> }>
            {move || Suspend::new(async move {
                let f = filters.get_untracked();
                let types = types.await.unwrap_or_default();
                match page.await {
                    Ok(p) => view! { <FilterForm f=f.clone() types/> <ChangesTable p f/> }.into_any(),
                    Err(e) if e.code == ErrorCode::ValidationError => view! {
                        <FilterForm f types/>
                        <div class="banner banner-error" role="alert" data-testid="filter-error">
                            {if e.fields.is_empty() {
                                view! { <p>{e.message.clone()}</p> }.into_any()
                            } else {
                                view! {
                                    <ul>
                                        {e.fields.iter().map(|fe| {
                                            let label = match fe.field.as_str() { "from" => "From", "to" => "To", "cursor" => "Page", other => other };
                                            view! { <li><strong>{format!("{label}: ")}</strong>{fe.message.clone()}</li> }
                                        }).collect_view()}
                                    </ul>
                                }
                                .into_any()
                            }}
                        </div>
                    }
                    .into_any(),
                    Err(error) => view! { <ErrorNotice error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn FilterForm(f: Filters, types: Vec<String>) -> impl IntoView {
    let selected = f.entity_type.clone();
    view! {
        <form method="get" action="/audit/changes" class="card filters" aria-label="Filter the change log">
            <div class="field">
                <label for="filter-entity">"Entity"</label>
                <select id="filter-entity" name="entity_type">
                    <option value="" selected=selected.is_empty()>"All"</option>
                    {types.into_iter().map(|t| {
                        let is = t == selected;
                        view! { <option value=t.clone() selected=is>{t.replace('_', " ")}</option> }
                    }).collect_view()}
                </select>
            </div>
            <div class="field">
                <label for="filter-actor">"Actor"</label>
                <input id="filter-actor" name="actor" type="text" value=f.actor.clone() placeholder="email or key name"/>
            </div>
            <div class="field">
                <label for="filter-from">"From"</label>
                <input id="filter-from" name="from" type="date" value=f.from.clone()/>
            </div>
            <div class="field">
                <label for="filter-to">"To"</label>
                <input id="filter-to" name="to" type="date" value=f.to.clone()/>
            </div>
            <div class="field field-check">
                <label>
                    <input type="checkbox" name="include_sign_ins" value="true" checked=f.include_sign_ins/>
                    " Include sign-ins"
                </label>
            </div>
            <div class="filter-actions">
                <button type="submit" class="btn btn-primary">"Filter"</button>
                <a class="btn" href="/audit/changes">"Clear"</a>
            </div>
        </form>
    }
}

/// Plain words for the verbs of the trail.
fn describe(action: &str) -> String {
    let known = match action {
        "org.created" => "Created the organisation",
        "org.updated" => "Changed organisation settings",
        "user.created" => "Added a person",
        "auth.login" => "Signed in",
        "auth.logout" => "Signed out",
        "auth.login_failed" => "Failed sign-in",
        "auth.mfa_failed" => "Wrong two-step sign-in code",
        "api_key.created" => "Created an API key",
        "api_key.revoked" => "Revoked an API key",
        "mfa.enabled" => "Turned on two-step sign-in",
        "mfa.disabled" => "Turned off two-step sign-in",
        "mfa.enrolment_started" => "Started setting up two-step sign-in",
        "mfa.recovery_code_used" => "Used a recovery code",
        "mfa.recovery_codes_regenerated" => "Made new recovery codes",
        "mfa.reset" => "Reset someone's two-step sign-in",
        "sso.configured" => "Set up single sign-on",
        "sso.updated" => "Changed single sign-on",
        "sso.deleted" => "Removed single sign-on",
        "user.invite_accepted" => "Accepted an invitation",
        "role_assignment.created" => "Gave a role",
        "role_assignment.deleted" => "Removed a role",
        _ => "",
    };
    if known.is_empty() {
        action.to_string()
    } else {
        known.to_string()
    }
}

#[component]
fn ChangesTable(p: EventPage, f: Filters) -> impl IntoView {
    let older = p.next_cursor.as_deref().map(|c| f.href(Some(c)));
    let newest = (!f.cursor.is_empty()).then(|| f.href(None));
    if p.events.is_empty() {
        return view! {
            <PagedEmpty text="No changes match these filters." testid="changes-empty" newest newest_label="Newest changes"/>
        }
        .into_any();
    }
    view! {
        <PagedTable label="Changes" class="changes" testid="changes-table" headers=&["When", "Who", "What", "Entity"] newest older>
            {p.events.into_iter().map(|e| view! { <ChangeRow e/> }).collect_view()}
        </PagedTable>
    }
    .into_any()
}

#[component]
fn ChangeRow(e: AuditEventView) -> impl IntoView {
    let changes = diff(e.before.as_ref(), e.after.as_ref());
    let when = time_to_second(&e.occurred_at);
    let who = match e.actor.kind.as_str() {
        "api_key" => format!("API key \"{}\"", e.actor.label),
        _ => e.actor.label.clone(),
    };
    // Ids are time-ordered UUIDs: their end tells them apart, the full id is in the tooltip.
    let entity = format!(
        "{} {}",
        e.entity_type.replace('_', " "),
        e.entity_id.as_deref().map(|i| i.get(i.len().saturating_sub(8)..).unwrap_or(i)).unwrap_or("")
    );
    let full_id = e.entity_id.clone().unwrap_or_default();
    view! {
        <tr data-testid="change-row">
            <td class="nowrap">{when}</td>
            <td>{who}</td>
            <td>
                <details class="change-details">
                    <summary>{describe(&e.action)}<span class="muted small">{format!(" {}", e.action)}</span></summary>
                    {if changes.is_empty() {
                        view! { <p class="muted">"No field values recorded."</p> }.into_any()
                    } else {
                        view! {
                            <dl class="diff">
                                {changes.into_iter().map(|c| view! {
                                    <dt>{c.field}</dt>
                                    <dd>
                                        <span class="diff-old">{c.before.unwrap_or_else(|| "—".into())}</span>
                                        " → "
                                        <span class="diff-new">{c.after.unwrap_or_else(|| "—".into())}</span>
                                    </dd>
                                }).collect_view()}
                            </dl>
                        }
                        .into_any()
                    }}
                    <p class="muted small">
                        {format!("Event {} · ", e.seq)}
                        {e.ip.clone().map(|ip| format!("from {ip} · ")).unwrap_or_default()}
                        {e.request_id.clone().map(|r| format!("request {r}")).unwrap_or_default()}
                    </p>
                </details>
            </td>
            <td><span class="nowrap" title=full_id>{entity}</span></td>
        </tr>
    }
}
