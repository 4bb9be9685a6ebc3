//! `/org/settings/config`: configuration templates (issue 15). Download the org's
//! configuration as a file; choose a file to see, in plain words, what importing it would
//! add, change and remove (a dry run on the server, every check included); then apply it.
//! Owners only (`org.manage`): the server decides, others see "Not allowed".

use crate::api::config_transfer::{config_contents, config_import, ExportContents};
use crate::components::form::hydrated;
use crate::components::notice::ErrorNotice;
use crate::domain::config::{ChangeKind, ImportOutcome, ObjectDiff};
use crate::domain::AppError;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn ConfigTransferPage() -> impl IntoView {
    let data = Resource::new(|| (), |_| config_contents());
    view! {
        <Title text="Export and import configuration"/>
        <div class="page-header">
            <nav class="breadcrumb" aria-label="Breadcrumb"><a href="/org/settings">"Organisation settings"</a></nav>
            <h1>"Export and import configuration"</h1>
            <p class="muted">"Copy this organisation's set-up to another Mandate, keep it as a file, or bring back an earlier one. Secrets, API keys, credentials, people and the audit trail are never in the file."</p>
        </div>
        <Transition fallback=|| view! { <div class="page-loading" role="status">"Loading…"</div> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(c) => view! { <ExportCard c/> <ImportCard/> }.into_any(),
                    Err(error) => view! { <ErrorNotice error/> }.into_any(),
                }
            })}
        </Transition>
    }
    .into_any()
}

fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

#[component]
fn ExportCard(c: ExportContents) -> impl IntoView {
    let holds = [
        count(c.teams, "team", "teams"),
        count(c.roles, "custom role", "custom roles"),
        count(c.stores, "store", "stores"),
        count(c.assistants, "assistant", "assistants"),
        count(c.rules, "automation rule", "automation rules"),
        count(c.quotas, "quota", "quotas"),
    ]
    .join(", ");
    view! {
        <section class="card narrow-card" aria-labelledby="export-title">
            <h2 id="export-title">"Export"</h2>
            <p>{format!("The configuration of {}: the profile and preferences, {holds}, with every store's action settings and limits.", c.org_name)}</p>
            <a class="btn" href="/org/settings/config/export.json" download="" data-testid="config-download" rel="external">"Download the configuration"</a>
        </section>
    }
}

#[component]
fn ImportCard() -> impl IntoView {
    // The chosen file's text (read in the browser) and what the server said of it.
    let text = RwSignal::new(None::<String>);
    let preview = RwSignal::new(None::<Result<ImportOutcome, AppError>>);
    let applied = RwSignal::new(None::<Result<ImportOutcome, AppError>>);
    let busy = RwSignal::new(false);
    let ready = hydrated();
    let input = NodeRef::<leptos::html::Input>::new();

    let read_file = move |_| {
        preview.set(None);
        applied.set(None);
        text.set(None);
        #[cfg(feature = "hydrate")]
        {
            use leptos::wasm_bindgen::JsCast;
            let Some(el) = input.get() else { return };
            let el: &web_sys::HtmlInputElement = el.unchecked_ref();
            let Some(file) = el.files().and_then(|f| f.get(0)) else { return };
            busy.set(true);
            leptos::task::spawn_local(async move {
                let read = wasm_bindgen_futures::JsFuture::from(file.text()).await;
                let content = read.ok().and_then(|v| v.as_string()).unwrap_or_default();
                let out = config_import(content.clone(), true).await;
                text.set(Some(content));
                preview.set(Some(out));
                busy.set(false);
            });
        }
    };
    let apply = move |_| {
        let Some(content) = text.get_untracked() else { return };
        busy.set(true);
        leptos::task::spawn_local(async move {
            let out = config_import(content, false).await;
            if out.is_ok() {
                preview.set(None);
            }
            applied.set(Some(out));
            busy.set(false);
        });
    };
    let can_apply =
        move || ready.get() && !busy.get() && matches!(preview.get(), Some(Ok(ref o)) if !o.diff.is_empty());

    view! {
        <section class="card" aria-labelledby="import-title" data-testid="config-import">
            <h2 id="import-title">"Import"</h2>
            <p class="muted">"Choose a file exported from Mandate. You see what it would change first; nothing is saved until you apply it. What the file does not list is removed (people keep their own preferences)."</p>
            <div class="field">
                <label for="config-file">"Configuration file"</label>
                <input id="config-file" type="file" accept="application/json,.json" node_ref=input
                    disabled=move || !ready.get() on:change=read_file data-testid="config-file"/>
            </div>
            {move || busy.get().then(|| view! { <p role="status" class="muted">"Working…"</p> })}
            {move || applied.get().map(|r| match r {
                Ok(o) => view! {
                    <div class="banner banner-success" role="status" data-testid="config-applied">
                        {format!("Applied: {} added, {} changed, {} removed.", o.diff.added, o.diff.changed, o.diff.removed)}
                    </div>
                }.into_any(),
                Err(e) => view! { <ImportError e/> }.into_any(),
            })}
            {move || preview.get().map(|r| match r {
                Ok(o) => view! { <DiffView o/> }.into_any(),
                Err(e) => view! { <ImportError e/> }.into_any(),
            })}
            <button type="button" class="btn btn-primary" disabled=move || !can_apply() on:click=apply data-testid="config-apply">
                "Apply these changes"
            </button>
        </section>
    }
}

#[component]
fn ImportError(e: AppError) -> impl IntoView {
    view! {
        <div class="banner banner-error" role="alert" data-testid="config-error">
            <p>"This file can't be imported: " {e.message.clone()}</p>
            {(!e.fields.is_empty()).then(|| view! {
                <ul>{e.fields.iter().map(|f| view! { <li>{f.message.clone()} " (" <code>{f.field.clone()}</code> ")"</li> }).collect_view()}</ul>
            })}
        </div>
    }
}

#[component]
fn DiffView(o: ImportOutcome) -> impl IntoView {
    let d = o.diff;
    if d.is_empty() {
        return view! {
            <div class="banner" role="status" data-testid="config-diff">"Nothing to change: this organisation already has this configuration."</div>
            {d.warnings.into_iter().map(|w| view! { <p class="muted">{w}</p> }).collect_view()}
        }
        .into_any();
    }
    let summary = format!(
        "Importing this file adds {}, changes {} and removes {}.",
        count(d.added, "thing", "things"),
        count(d.changed, "thing", "things"),
        count(d.removed, "thing", "things")
    );
    view! {
        <div data-testid="config-diff">
            <h3>"What changes"</h3>
            <p>{summary}</p>
            <ul class="diff-list">{d.objects.into_iter().map(|o| view! { <ObjectLine o/> }).collect_view()}</ul>
            {(!d.warnings.is_empty()).then(|| view! {
                <h3>"Left out"</h3>
                <ul>{d.warnings.into_iter().map(|w| view! { <li>{w}</li> }).collect_view()}</ul>
            })}
        </div>
    }
    .into_any()
}

#[component]
fn ObjectLine(o: ObjectDiff) -> impl IntoView {
    let badge = match o.kind {
        ChangeKind::Added => "badge badge-ok",
        ChangeKind::Changed => "badge badge-invited",
        ChangeKind::Removed => "badge badge-bad",
    };
    view! {
        <li data-testid="config-diff-object">
            <span class=badge>{o.kind.label()}</span> " " <strong>{o.object.clone()}</strong>
            {(!o.fields.is_empty()).then(|| view! {
                <ul>{o.fields.iter().map(|f| view! { <li>{f.sentence()}</li> }).collect_view()}</ul>
            })}
        </li>
    }
}
