//! Under the editor: the rule's version history (each saved version: who, when, what
//! changed, and Restore for the older ones) and deleting the rule after a confirmation.

use super::EditorPage;
use crate::api::automation::{automation_rule_delete, automation_rule_restore};
use crate::components::form::hydrated;
use crate::components::format::time_to_minute;
use crate::domain::rules::VersionView;
use leptos::prelude::*;

/// A definition's top-level field in words, for "what changed".
pub fn changed_words(field: &str) -> &'static str {
    match field {
        "name" => "name",
        "description" => "description",
        "module_type" => "where events come from",
        "trigger_id" => "trigger",
        "store_id" => "store",
        "conditions" => "conditions",
        "actions" => "actions",
        "is_active" => "switched on or off",
        _ => "settings",
    }
}

/// What a version changed, in words.
fn what_changed(v: &VersionView) -> String {
    if v.version == 1 {
        return "Created".to_string();
    }
    let mut words: Vec<&str> = v.changed.iter().map(|f| changed_words(f)).collect();
    words.dedup();
    let list = if words.is_empty() { "nothing".to_string() } else { words.join(", ") };
    let mut out = format!("Changed {list}");
    if let Some(n) = v.note.strip_prefix("restored ") {
        out = format!("Restored {n} (changed: {list})");
    } else if v.note == "switched on" || v.note == "switched off" {
        out = crate::components::format::capitalised(&v.note);
    }
    out
}

#[component]
pub(super) fn History(
    rule_id: String,
    versions: Vec<VersionView>,
    can_restore: bool,
    page: EditorPage,
) -> impl IntoView {
    let restore = Action::new(move |(id, version): &(String, i32)| {
        let (id, version) = (id.clone(), *version);
        async move { automation_rule_restore(id, version).await.map(|r| (version, r)) }
    });
    Effect::new(move |_| match restore.value().get() {
        Some(Ok((v, r))) => {
            page.notice.set(Some(Ok(format!("Version {v} is restored as version {}.", r.version))));
            page.reload.update(|n| *n += 1);
        }
        Some(Err(e)) => page.notice.set(Some(Err(e.message))),
        None => {}
    });
    let ready = hydrated();
    let newest = versions.first().map(|v| v.version).unwrap_or(0);
    view! {
        <section class="card editor-section" aria-labelledby="rule-history" data-testid="version-history">
            <h2 id="rule-history">"Version history"</h2>
            <p class="muted">"Every save is a new version. Restoring an older one saves it again as the newest."</p>
            <div class="table-wrap">
                <table class="table">
                    <thead>
                        <tr>
                            <th scope="col">"Version"</th>
                            <th scope="col">"Saved by"</th>
                            <th scope="col">"When"</th>
                            <th scope="col">"What changed"</th>
                            {can_restore.then(|| view! { <th scope="col"><span class="sr-only">"Restore"</span></th> })}
                        </tr>
                    </thead>
                    <tbody>
                        {versions.into_iter().map(|v| {
                            let id = rule_id.clone();
                            let n = v.version;
                            view! {
                                <tr data-testid="version-row" data-version=n.to_string()>
                                    <th scope="row">{if n == newest { format!("{n} (current)") } else { n.to_string() }}</th>
                                    <td>{v.changed_by.clone()}</td>
                                    <td class="nowrap">{time_to_minute(&v.created_at)}</td>
                                    <td data-testid="version-changes">{what_changed(&v)}</td>
                                    {can_restore.then(|| view! {
                                        <td>
                                            {(n != newest).then(|| view! {
                                                <button
                                                    type="button"
                                                    class="btn btn-small"
                                                    data-testid="version-restore"
                                                    aria-label=format!("Restore version {n}")
                                                    disabled=move || !ready.get() || restore.pending().get()
                                                    on:click=move |_| { restore.dispatch((id.clone(), n)); }
                                                >
                                                    "Restore"
                                                </button>
                                            })}
                                        </td>
                                    })}
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
        </section>
    }
}

#[component]
pub(super) fn DeleteRule(id: String, name: String) -> impl IntoView {
    let asking = RwSignal::new(false);
    let delete = Action::new(move |id: &String| {
        let id = id.clone();
        async move { automation_rule_delete(id).await }
    });
    let navigate = leptos_router::hooks::use_navigate();
    let deleted_name = name.clone();
    Effect::new(move |_| {
        if let Some(Ok(())) = delete.value().get() {
            let q = crate::domain::actions::url_encode(&deleted_name);
            navigate(&format!("/automation?deleted={q}"), Default::default());
        }
    });
    let error = move || delete.value().get().and_then(|r| r.err()).map(|e| e.message);
    let ready = hydrated();
    view! {
        <section class="card editor-section danger-zone" aria-labelledby="rule-delete">
            <h2 id="rule-delete">"Delete the rule"</h2>
            <p class="muted">"It stops running at once. Its past runs stay in the run history and the audit trail."</p>
            {move || if asking.get() {
                let id = id.clone();
                view! {
                    <div class="confirm-box" role="alertdialog" aria-labelledby="delete-question" data-testid="delete-confirm">
                        <p id="delete-question"><strong>{format!("Delete \u{201c}{}\u{201d}?", name)}</strong>" This can't be undone."</p>
                        <button type="button" id="delete-yes" class="btn btn-danger" data-testid="delete-yes" disabled=move || delete.pending().get()
                            on:click=move |_| { delete.dispatch(id.clone()); }>
                            {move || if delete.pending().get() { "Deleting…" } else { "Delete" }}
                        </button>
                        <button type="button" class="btn" on:click=move |_| {
                            asking.set(false);
                            super::conditions::focus_later("delete-rule".into());
                        }>"Keep it"</button>
                    </div>
                }.into_any()
            } else {
                view! {
                    <button type="button" id="delete-rule" class="btn btn-danger" data-testid="delete-rule" disabled=move || !ready.get()
                        on:click=move |_| {
                            asking.set(true);
                            super::conditions::focus_later("delete-yes".into());
                        }>
                        "Delete rule…"
                    </button>
                }.into_any()
            }}
            {move || error().map(|m| view! { <p class="banner banner-error" role="alert">{m}</p> })}
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::rules::RuleDefinition;

    fn version(n: i32, changed: &[&str], note: &str) -> VersionView {
        VersionView {
            version: n,
            definition: RuleDefinition {
                name: "x".into(),
                description: String::new(),
                module_type: "sales".into(),
                trigger_id: "high_value_opportunity".into(),
                store_id: None,
                conditions: vec![],
                actions: vec![],
                is_active: true,
            },
            changed_by: "ada@example.com".into(),
            note: note.into(),
            changed: changed.iter().map(|s| s.to_string()).collect(),
            created_at: "2026-12-01T10:00:00Z".into(),
        }
    }

    #[test]
    fn changes_read_as_words_not_field_ids() {
        assert_eq!(what_changed(&version(1, &[], "created")), "Created");
        assert_eq!(
            what_changed(&version(2, &["is_active", "store_id"], "changed is_active, store_id")),
            "Changed switched on or off, store"
        );
        assert_eq!(what_changed(&version(3, &["is_active"], "switched off")), "Switched off");
        assert_eq!(what_changed(&version(4, &["name"], "restored version 1")), "Restored version 1 (changed: name)");
    }
}
