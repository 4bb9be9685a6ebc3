//! The action palette: "Add action" opens a searchable list of the catalog's actions in
//! three groups (Business Operations, Commerce, Automation; an org's own actions under
//! "Other actions"), each with its plain-words description and an example of use. Picking
//! one adds a step; Escape closes the palette.

use super::conditions::focus_later;
use super::model::{example_of, group_of, matches_search, ActionGroup};
use super::Ctx;
use crate::components::form::hydrated;
use leptos::prelude::*;

#[component]
pub(super) fn ActionPalette(on_pick: Callback<String>) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let open = RwSignal::new(false);
    let query = RwSignal::new(String::new());
    let ready = hydrated();
    let groups = Memo::new(move |_| {
        let q = query.get();
        ctx.defs.with_value(|defs| {
            ActionGroup::ALL
                .iter()
                .map(|g| {
                    let mut list: Vec<_> =
                        defs.iter().filter(|d| group_of(d) == *g && matches_search(d, &q)).cloned().collect();
                    list.sort_by(|a, b| {
                        (a.category.as_str(), a.name.as_str()).cmp(&(b.category.as_str(), b.name.as_str()))
                    });
                    (*g, list)
                })
                .filter(|(_, list)| !list.is_empty())
                .collect::<Vec<_>>()
        })
    });
    let found = move || groups.with(|g| g.iter().map(|(_, l)| l.len()).sum::<usize>());
    let close = move || {
        open.set(false);
        focus_later("add-action".into());
    };
    let toggle = move |_| {
        let now = !open.get_untracked();
        open.set(now);
        if now {
            focus_later("palette-search".into());
        }
    };
    view! {
        <div class="palette-wrap">
            <button
                type="button"
                id="add-action"
                class="btn"
                data-testid="add-action"
                aria-expanded=move || open.get().to_string()
                aria-controls="action-palette"
                disabled=move || !ready.get()
                on:click=toggle
            >
                {move || if open.get() { "Close the list of actions" } else { "Add action" }}
            </button>
            <div
                id="action-palette"
                class="palette card"
                role="region"
                aria-label="Choose an action"
                data-testid="action-palette"
                hidden=move || !open.get()
                on:keydown=move |ev| {
                    if ev.key() == "Escape" {
                        ev.prevent_default();
                        close();
                    }
                }
            >
                <div class="field">
                    <label for="palette-search">"Search actions"</label>
                    <input
                        id="palette-search"
                        type="search"
                        data-testid="palette-search"
                        autocomplete="off"
                        aria-describedby="palette-count"
                        prop:value=move || query.get()
                        on:input=move |ev| query.set(event_target_value(&ev))
                    />
                    <p class="field-hint" id="palette-count" role="status">
                        {move || match found() {
                            0 => "No action matches: try other words.".to_string(),
                            1 => "1 action".to_string(),
                            n => format!("{n} actions"),
                        }}
                    </p>
                </div>
                {move || groups.get().into_iter().map(|(g, list)| {
                    let heading = format!("palette-group-{}", g.key());
                    let labelled = heading.clone();
                    view! {
                        <section class="palette-group" aria-labelledby=labelled data-testid=format!("palette-group-{}", g.key())>
                            <h3 id=heading>{g.title()}</h3>
                            <p class="muted small">{g.intro()}</p>
                            <ul class="palette-list">
                                {list.into_iter().map(|d| {
                                    let desc_id = format!("palette-desc-{}", d.id.replace('.', "-"));
                                    let id = d.id.clone();
                                    view! {
                                        <li class="palette-item">
                                            <button
                                                type="button"
                                                class="palette-pick"
                                                data-testid=format!("palette-{}", d.id)
                                                aria-describedby=desc_id.clone()
                                                on:click=move |_| {
                                                    open.set(false);
                                                    query.set(String::new());
                                                    on_pick.run(id.clone());
                                                }
                                            >
                                                {d.name.clone()}
                                            </button>
                                            <div id=desc_id>
                                                <p class="small">{d.description.clone()}</p>
                                                {example_of(&d.id).map(|e| view! { <p class="small muted palette-example">{format!("Example: {e}")}</p> })}
                                            </div>
                                        </li>
                                    }
                                }).collect_view()}
                            </ul>
                        </section>
                    }
                }).collect_view()}
            </div>
        </div>
    }
}
