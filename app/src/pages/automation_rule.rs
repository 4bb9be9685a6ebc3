//! `/automation/rules/new` and `/automation/rules/:id`: the rule editor
//! (`components::rule_editor`). One route (`new` is the id of a rule not saved yet), so a
//! first save moves to the rule's own address without losing the page's sample event or
//! its notice; every save loads the rule again (its new version and history). Anyone who
//! may see the rule has the page; saving, restoring and deleting need `rules.manage`.

use crate::api::automation::automation_rule_editor;
use crate::components::notice::{ChangeNotice, ErrorNotice};
use crate::components::rule_editor::{EditorPage, RuleEditor};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

#[component]
pub fn AutomationRulePage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").filter(|i| i != "new");
    let page = EditorPage::new();
    let data = Resource::new(move || (id(), page.reload.get()), |(id, _)| automation_rule_editor(id));
    view! {
        <nav class="breadcrumb" aria-label="Breadcrumb">
            <a href="/automation">"Automation"</a>
            <span aria-hidden="true">" / "</span>
            <span>{move || if id().is_some() { "Rule" } else { "New rule" }}</span>
        </nav>
        <Transition fallback=|| view! { <div class="page-loading" role="status">"Loading the rule…"</div> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(d) => {
                        let title = d.rule.as_ref().map(|r| r.definition.name.clone()).unwrap_or_else(|| "New rule".into());
                        let sub = d.rule.as_ref().map(|r| format!(
                            "Version {} · {} · last changed {} UTC",
                            r.version,
                            if r.definition.is_active { "switched on" } else { "switched off" },
                            crate::components::format::time_to_minute(&r.updated_at)
                        ));
                        view! {
                            <Title text=title.clone()/>
                            <div class="page-header">
                                <h1>{title}</h1>
                                {sub.map(|s| view! { <p class="muted" data-testid="rule-version">{s}</p> })}
                            </div>
                            <ChangeNotice notice=page.notice testid="rule-notice"/>
                            <RuleEditor data=d page/>
                        }
                        .into_any()
                    }
                    Err(error) => view! {
                        <Title text="Rule"/>
                        <div class="page-header"><h1>"Rule"</h1></div>
                        <ErrorNotice error/>
                    }
                    .into_any(),
                }
            })}
        </Transition>
    }
}
