//! `/audit`: every action attempt at the stores the viewer may audit — filtered by store,
//! assistant, action, status, decision and dates (a GET form, so the URL carries the
//! filters and a view can be bookmarked), newest first, a page at a time; each row opens
//! `/audit/actions/:id`. "Download CSV" exports the same filters. The chain status is on
//! top. Needs `audit.read`; the server decides.

use crate::api::actions::{action_filter_options, actions_chain_status, list_actions};
use crate::components::form::SelectField;
use crate::components::format::{action_status_badge, capitalised, decision_badge, money, time_to_second};
use crate::components::notice::ErrorNotice;
use crate::components::paged::{PagedEmpty, PagedTable};
use crate::domain::actions::{ActionPage, ActionQuery, ActionRow, Choice, FilterOptions, DECISIONS, STATUSES};
use crate::domain::ErrorCode;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

/// The filters of the current URL and its page cursor.
#[derive(Clone, Debug, Default, PartialEq)]
struct View {
    query: ActionQuery,
    cursor: String,
}

impl View {
    fn href(&self, cursor: Option<&str>) -> String {
        let mut q = self.query.to_query_string();
        if let Some(c) = cursor {
            if !q.is_empty() {
                q.push('&');
            }
            q.push_str(&format!("cursor={}", crate::domain::actions::url_encode(c)));
        }
        if q.is_empty() {
            "/audit".into()
        } else {
            format!("/audit?{q}")
        }
    }

    fn csv_href(&self) -> String {
        let q = self.query.to_query_string();
        if q.is_empty() {
            "/audit/export.csv".into()
        } else {
            format!("/audit/export.csv?{q}")
        }
    }
}

fn opt(s: &Option<String>) -> Option<String> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string)
}

#[component]
pub fn AuditPage() -> impl IntoView {
    let query = use_query_map();
    let current = Memo::new(move |_| {
        let q = query.read();
        let get = |k: &str| q.get(k).filter(|v| !v.trim().is_empty());
        View {
            query: ActionQuery {
                store_id: get("store_id"),
                assistant_id: get("assistant_id"),
                rule_run_id: get("rule_run_id"),
                action_type: get("action_type"),
                status: get("status"),
                decision: get("decision"),
                from: get("from"),
                to: get("to"),
            },
            cursor: get("cursor").unwrap_or_default(),
        }
    });
    let page = Resource::new(
        move || current.get(),
        |v| {
            let q = v.query;
            list_actions(
                opt(&q.store_id),
                opt(&q.assistant_id),
                opt(&q.rule_run_id),
                opt(&q.action_type),
                opt(&q.status),
                opt(&q.decision),
                opt(&q.from),
                opt(&q.to),
                (!v.cursor.is_empty()).then_some(v.cursor),
            )
        },
    );
    let options = Resource::new(|| (), |_| action_filter_options());
    let chain = Resource::new(|| (), |_| actions_chain_status());
    view! {
        <Title text="Audit"/>
        <div class="page-header">
            <h1>"Audit"</h1>
            <p class="muted">
                "Every action assistants and automations asked for: what was decided, why, and what happened. "
                "Configuration changes are in the "
                <a href="/audit/changes">"change log"</a>
                "."
            </p>
        </div>
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                // Verifying the chain needs audit.read for the whole organisation.
                chain.await.ok().flatten().map(|c| {
                    let text = match &c.first_broken {
                        None => format!("Audit trail intact — {} events", c.events),
                        Some(b) => format!("Broken at event #{}: {}", b.seq, b.reason),
                    };
                    view! {
                        <p class="chain-status" class:ok=c.ok class:bad=!c.ok data-testid="chain-status" role="status">
                            {text}
                        </p>
                    }
                })
            })}
        </Suspense>
        <Suspense fallback=|| view! { <div class="page-loading" role="status">"Loading actions…"</div> }>
            {move || Suspend::new(async move {
                let v = current.get_untracked();
                let opts = options.await;
                let opts = match opts {
                    Ok(o) => o,
                    Err(error) => return view! { <ErrorNotice error/> }.into_any(),
                };
                match page.await {
                    Ok(p) => view! { <FilterForm v=v.clone() opts/> <ActionsTable p v/> }.into_any(),
                    Err(e) if e.code == ErrorCode::ValidationError => view! {
                        <FilterForm v opts/>
                        <div class="banner banner-error" role="alert" data-testid="filter-error">
                            <ul>
                                {if e.fields.is_empty() {
                                    view! { <li>{e.message.clone()}</li> }.into_any()
                                } else {
                                    e.fields.iter().map(|fe| {
                                        let label = match fe.field.as_str() {
                                            "from" => "From", "to" => "To", "status" => "Status",
                                            "decision" => "Decision", "cursor" => "Page", other => other,
                                        };
                                        view! { <li><strong>{format!("{label}: ")}</strong>{fe.message.clone()}</li> }
                                    }).collect_view().into_any()
                                }}
                            </ul>
                        </div>
                    }
                    .into_any(),
                    Err(error) => view! { <ErrorNotice error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// A labelled select of the filter form; "Any" first.
#[component]
fn Select(
    id: &'static str,
    name: &'static str,
    label: &'static str,
    testid: &'static str,
    choices: Vec<Choice>,
    selected: Option<String>,
) -> impl IntoView {
    let selected = selected.unwrap_or_default();
    let mut choices = choices;
    // A filter from the URL the list doesn't offer (e.g. a deleted assistant) stays visible.
    if !selected.is_empty() && !choices.iter().any(|c| c.id == selected) {
        choices.push(Choice { id: selected.clone(), label: selected.clone() });
    }
    let options: Vec<(String, String)> = choices.into_iter().map(|c| (c.id, c.label)).collect();
    view! { <SelectField id label name testid=testid.to_string() options placeholder="Any" selected/> }
}

fn word_choices(words: &[&str]) -> Vec<Choice> {
    words.iter().map(|w| Choice { id: w.to_string(), label: capitalised(w) }).collect()
}

#[component]
fn FilterForm(v: View, opts: FilterOptions) -> impl IntoView {
    let q = v.query.clone();
    let csv = v.csv_href();
    view! {
        <form method="get" action="/audit" class="card filters" aria-label="Filter the actions" data-testid="audit-filters">
            <Select id="audit-store" name="store_id" label="Store" testid="audit-filter-store" choices=opts.stores selected=q.store_id.clone()/>
            <Select id="audit-assistant" name="assistant_id" label="Assistant" testid="audit-filter-assistant" choices=opts.assistants selected=q.assistant_id.clone()/>
            <Select id="audit-action" name="action_type" label="Action" testid="audit-filter-action" choices=opts.actions selected=q.action_type.clone()/>
            <Select id="audit-status" name="status" label="Status" testid="audit-filter-status" choices=word_choices(STATUSES) selected=q.status.clone()/>
            <Select id="audit-decision" name="decision" label="Decision" testid="audit-filter-decision" choices=word_choices(DECISIONS) selected=q.decision.clone()/>
            {q.rule_run_id.clone().map(|r| view! { <input type="hidden" name="rule_run_id" value=r/> })}
            <div class="field">
                <label for="audit-from">"From"</label>
                <input id="audit-from" name="from" type="date" value=q.from.clone().unwrap_or_default() data-testid="audit-filter-from"/>
            </div>
            <div class="field">
                <label for="audit-to">"To"</label>
                <input id="audit-to" name="to" type="date" value=q.to.clone().unwrap_or_default() data-testid="audit-filter-to"/>
            </div>
            <div class="filter-actions">
                <button type="submit" class="btn btn-primary" data-testid="audit-filter-submit">"Filter"</button>
                <a class="btn" href="/audit" data-testid="audit-filter-clear">"Clear"</a>
                <a class="btn" href=csv download="" data-testid="csv-link">"Download CSV"</a>
            </div>
        </form>
    }
}

#[component]
fn ActionsTable(p: ActionPage, v: View) -> impl IntoView {
    let older = p.next_cursor.as_deref().map(|c| v.href(Some(c)));
    let newest = (!v.cursor.is_empty()).then(|| v.href(None));
    if p.items.is_empty() {
        return view! {
            <PagedEmpty text="No actions match these filters." testid="audit-empty" newest newest_label="Newest actions"/>
        }
        .into_any();
    }
    view! {
        <PagedTable
            label="Actions"
            class="audit-table"
            testid="audit-table"
            headers=&["When", "Store", "Assistant", "Action", "Amount", "Decision", "Status", "Reason"]
            newest
            older
        >
            {p.items.into_iter().map(|r| view! { <AuditRow r/> }).collect_view()}
        </PagedTable>
    }
    .into_any()
}

#[component]
fn AuditRow(r: ActionRow) -> impl IntoView {
    let href = format!("/audit/actions/{}", r.id);
    let (decision_text, decision_class) = decision_badge(&r.decision);
    let (status_text, status_class) = action_status_badge(&r.status);
    // Date over time, so the reason keeps its room.
    let when = time_to_second(&r.created_at);
    let (date, time) =
        when.split_once(' ').map(|(d, t)| (d.to_string(), t.to_string())).unwrap_or((when.clone(), String::new()));
    view! {
        <tr data-testid="audit-row" data-action-id=r.id.clone()>
            <td class="nowrap">
                <a href=href title="Open this action">{date}<br/>{time}</a>
            </td>
            <td>{r.store_name.clone()}</td>
            <td>{r.assistant_name.clone().unwrap_or_else(|| "—".into())}</td>
            <td>{r.action_name.clone()}</td>
            <td class="nowrap">{money(&r.amount, &r.currency)}</td>
            <td><span class=decision_class>{decision_text}</span></td>
            <td><span class=status_class data-testid="audit-row-status">{status_text}</span></td>
            <td>{r.reason.clone()}</td>
        </tr>
    }
}
