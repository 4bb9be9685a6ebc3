//! The "Preferences" section of `/org/settings` (the org), a team's page and `/account` (the
//! person themself). Each preference shows the value in effect and where it comes from
//! ("from the organisation", "from team “Support”", "Mandate's default"); choosing
//! "Inherit" takes it from above again. Saving sends the entity's own settings as one JSON
//! object; the server checks them against the schema and keeps them only when all are
//! right, each error next to its preference.

use crate::api::preferences::{preferences_page, SavePreferences};
use crate::components::form::{action_error, hydrated, ErrorBanner, FieldError};
use crate::components::notice::ErrorNotice;
use crate::domain::notify::{channel_name, CHANNELS, KINDS};
use crate::domain::preferences::{Effective, PreferencesForm, DATE_FORMATS, LOCALES, OVERVIEW_SECTIONS};
use leptos::prelude::*;
use serde_json::{json, Value};

/// `entity_id` None: the viewer's org (`org`) or the viewer (`user`).
#[component]
pub fn PreferencesSection(entity_type: &'static str, #[prop(optional)] entity_id: Option<String>) -> impl IntoView {
    let id = entity_id.clone();
    let data = Resource::new(|| (), move |_| preferences_page(entity_type.to_string(), id.clone()));
    view! {
        <section class="card" aria-labelledby="prefs-title" data-testid="preferences">
            <h2 id="prefs-title">"Preferences"</h2>
            <p class="muted">{match entity_type {
                "org" => "What everyone in the organisation starts with. Teams and people may choose otherwise.",
                "team" => "What the people of this team and its sub-teams start with, unless they choose otherwise.",
                _ => "Your own choices. Anything you leave on Inherit follows your team and the organisation.",
            }}</p>
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || {
                    let entity_id = entity_id.clone();
                    Suspend::new(async move {
                        match data.await {
                            Ok(p) => view! { <PrefsForm p entity_type entity_id/> }.into_any(),
                            Err(error) => view! { <ErrorNotice error/> }.into_any(),
                        }
                    })
                }}
            </Suspense>
        </section>
    }
    .into_any()
}

fn source_text(e: Option<&Effective>) -> String {
    e.map(|e| format!("from {}", e.source.name)).unwrap_or_default()
}

fn label_of(pairs: &[(&str, &str)], v: &Value) -> String {
    let s = v.as_str().unwrap_or_default();
    pairs.iter().find(|(k, _)| *k == s).map(|(_, l)| l.to_string()).unwrap_or_else(|| s.to_string())
}

#[component]
fn PrefsForm(p: PreferencesForm, entity_type: &'static str, entity_id: Option<String>) -> impl IntoView {
    let save = ServerAction::<SavePreferences>::new();
    let error = action_error(save.value());
    let ready = hydrated();
    let editable = p.view.can_edit;
    let own = RwSignal::new(p.view.settings.clone());
    let eff = p.view.effective.clone();
    let find = move |k: &str| eff.iter().find(|e| e.key == k).cloned();
    // Whatever the server says after a save is what the page shows next.
    let effective = RwSignal::new(p.view.effective.clone());
    Effect::new(move |_| {
        if let Some(Ok(v)) = save.value().get() {
            own.set(v.settings.clone());
            effective.set(v.effective.clone());
        }
    });
    let inherited_text = move |key: &'static str, pairs: Option<&'static [(&'static str, &'static str)]>| {
        effective.with(|all| {
            let e = all.iter().find(|e| e.key == key);
            let value = e.map(|e| match pairs {
                Some(p) => label_of(p, &e.value),
                None => e.value.as_str().unwrap_or("—").replace('_', " "),
            });
            format!("Inherit ({}, {})", value.unwrap_or_default(), source_text(e))
        })
    };
    let _ = find;
    let select_row = move |key: &'static str,
                           name: &'static str,
                           options: Vec<(String, String)>,
                           pairs: Option<&'static [(&'static str, &'static str)]>| {
        let id = format!("pref-{key}");
        let msg = Signal::derive(move || error.get().and_then(|e| e.field(key).map(str::to_string)));
        let current = move || own.with(|o| o.get(key).and_then(Value::as_str).unwrap_or_default().to_string());
        let change = move |ev: leptos::ev::Event| {
            let v = event_target_value(&ev);
            own.update(|o| {
                if let Some(m) = o.as_object_mut() {
                    if v.is_empty() {
                        m.remove(key);
                    } else {
                        m.insert(key.to_string(), json!(v));
                    }
                }
            });
        };
        let err_id = format!("{id}-error");
        view! {
            <div class="field" class:field-invalid=move || msg.get().is_some()>
                <label for=id.clone()>{name}</label>
                <select id=id.clone() data-testid=id.clone() on:change=change disabled=move || !editable || !ready.get()
                    aria-describedby=err_id.clone()>
                    <option value="" selected=move || current().is_empty()>{move || inherited_text(key, pairs)}</option>
                    {options.into_iter().map(|(v, l)| {
                        let v2 = v.clone();
                        view! { <option value=v.clone() selected=move || current() == v2>{l}</option> }
                    }).collect_view()}
                </select>
                <FieldError id=err_id message=msg/>
            </div>
        }
    };
    let pairs = |p: &'static [(&'static str, &'static str)]| {
        p.iter().map(|(k, l)| (k.to_string(), l.to_string())).collect::<Vec<_>>()
    };
    let locale = select_row("locale", "Language and region", pairs(&LOCALES), Some(&LOCALES));
    let date_format = select_row("date_format", "Date format", pairs(&DATE_FORMATS), Some(&DATE_FORMATS));
    let time_zone = (entity_type != "org").then(|| {
        select_row(
            "time_zone",
            "Time zone",
            p.time_zones.iter().map(|z| (z.clone(), z.replace('_', " "))).collect(),
            None,
        )
    });
    let stores = p.stores.clone();
    let store_names: Vec<(String, String)> = stores.clone();
    let default_store = {
        let id = "pref-default_store_id".to_string();
        let msg = Signal::derive(move || error.get().and_then(|e| e.field("default_store_id").map(str::to_string)));
        let current =
            move || own.with(|o| o.get("default_store_id").and_then(Value::as_str).unwrap_or_default().to_string());
        let inherited = move || {
            effective.with(|all| {
                let e = all.iter().find(|e| e.key == "default_store_id");
                let name = e
                    .and_then(|e| e.value.as_str())
                    .and_then(|v| store_names.iter().find(|(i, _)| i == v).map(|(_, n)| n.clone()));
                match name {
                    Some(n) => format!("Inherit ({n}, {})", source_text(e)),
                    None => "Inherit (none)".to_string(),
                }
            })
        };
        let change = move |ev: leptos::ev::Event| {
            let v = event_target_value(&ev);
            own.update(|o| {
                if let Some(m) = o.as_object_mut() {
                    if v.is_empty() {
                        m.remove("default_store_id");
                    } else {
                        m.insert("default_store_id".into(), json!(v));
                    }
                }
            });
        };
        view! {
            <div class="field" class:field-invalid=move || msg.get().is_some()>
                <label for=id.clone()>"Default store"</label>
                <select id=id.clone() data-testid=id.clone() on:change=change disabled=move || !editable || !ready.get()>
                    <option value="" selected=move || current().is_empty()>{inherited}</option>
                    {stores.into_iter().map(|(v, l)| {
                        let v2 = v.clone();
                        view! { <option value=v.clone() selected=move || current() == v2>{l}</option> }
                    }).collect_view()}
                </select>
                <FieldError id="pref-default_store_id-error" message=msg/>
            </div>
        }
    };
    let overview = view! { <OverviewOrder own effective editable/> };
    // Teams and the org set default channels here; a person sets theirs in the
    // Notifications section of their account.
    let channels = (entity_type != "user").then(|| view! { <ChannelDefaults own effective editable/> });
    let entity_id_for_submit = entity_id.clone();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        save.dispatch(SavePreferences {
            entity_type: entity_type.to_string(),
            entity_id: entity_id_for_submit.clone(),
            settings: own.get_untracked(),
        });
    };
    let saved = move || matches!(save.value().get(), Some(Ok(_)));
    view! {
        <form class="form" novalidate on:submit=submit data-testid="prefs-form">
            <ErrorBanner error/>
            {locale}
            {date_format}
            {time_zone}
            {default_store}
            {overview}
            {channels}
            {move || saved().then(|| view! { <div class="banner banner-success" role="status" data-testid="prefs-saved">"Preferences saved."</div> })}
            {editable.then(|| view! {
                <div>
                    <button type="submit" class="btn btn-primary" data-testid="prefs-save" disabled=move || !ready.get() || save.pending().get()>
                        {move || if save.pending().get() { "Saving…" } else { "Save preferences" }}
                    </button>
                </div>
            })}
            {(!editable).then(|| view! { <p class="muted small">"You can see these but not change them."</p> })}
        </form>
    }
    .into_any()
}

fn section_name(key: &str) -> String {
    OVERVIEW_SECTIONS.iter().find(|(k, _)| *k == key).map(|(_, n)| n.to_string()).unwrap_or_else(|| key.to_string())
}

/// The overview's sections: inherit, or choose which to show and in what order.
#[component]
fn OverviewOrder(own: RwSignal<Value>, effective: RwSignal<Vec<Effective>>, editable: bool) -> impl IntoView {
    let ready = hydrated();
    let set_here = move || own.with(|o| o.get("overview_sections").is_some());
    let effective_list = move || -> Vec<String> {
        effective.with(|all| {
            all.iter()
                .find(|e| e.key == "overview_sections")
                .and_then(|e| serde_json::from_value::<Vec<String>>(e.value.clone()).ok())
                .unwrap_or_default()
        })
    };
    let shown = move || -> Vec<String> {
        own.with(|o| o.get("overview_sections").and_then(|v| serde_json::from_value::<Vec<String>>(v.clone()).ok()))
            .unwrap_or_else(effective_list)
    };
    let set = move |list: Vec<String>| own.update(|o| o["overview_sections"] = json!(list));
    let toggle_inherit = move |ev: leptos::ev::Event| {
        if event_target_checked(&ev) {
            own.update(|o| {
                if let Some(m) = o.as_object_mut() {
                    m.remove("overview_sections");
                }
            });
        } else {
            set(effective_list());
        }
    };
    let source = move || effective.with(|all| source_text(all.iter().find(|e| e.key == "overview_sections")));
    let rows = move || {
        let list = shown();
        let mut all: Vec<String> = list.clone();
        all.extend(OVERVIEW_SECTIONS.iter().map(|(k, _)| k.to_string()).filter(|k| !list.contains(k)));
        let n = list.len();
        all.into_iter()
            .enumerate()
            .map(|(i, key)| {
                let on = i < n;
                let k1 = key.clone();
                let k2 = key.clone();
                let k3 = key.clone();
                let fixed = move || !editable || !ready.get() || !set_here();
                let toggle = move |ev: leptos::ev::Event| {
                    let mut l = shown();
                    if event_target_checked(&ev) {
                        l.push(k1.clone());
                    } else {
                        l.retain(|x| *x != k1);
                    }
                    set(l);
                };
                let up = move |_| {
                    let mut l = shown();
                    if let Some(p) = l.iter().position(|x| *x == k2) {
                        if p > 0 {
                            l.swap(p, p - 1);
                        }
                    }
                    set(l);
                };
                let down = move |_| {
                    let mut l = shown();
                    if let Some(p) = l.iter().position(|x| *x == k3) {
                        if p + 1 < l.len() {
                            l.swap(p, p + 1);
                        }
                    }
                    set(l);
                };
                let name = section_name(&key);
                let id = format!("pref-overview-{key}");
                view! {
                    <li class="overview-order-row" data-testid="overview-order-row">
                        <label class="checkbox" for=id.clone()>
                            <input type="checkbox" id=id.clone() data-testid=id.clone() prop:checked=on on:change=toggle disabled=fixed/>
                            {name.clone()}
                        </label>
                        {on.then(|| view! {
                            <span class="order-buttons">
                                <button type="button" class="btn btn-small btn-secondary" on:click=up disabled=move || fixed() || i == 0
                                    aria-label=format!("Move {name} up")>"↑"</button>
                                <button type="button" class="btn btn-small btn-secondary" on:click=down disabled=move || fixed() || i + 1 == n
                                    aria-label=format!("Move {name} down")>"↓"</button>
                            </span>
                        })}
                    </li>
                }
            })
            .collect_view()
    };
    view! {
        <fieldset class="field">
            <legend>"Overview sections"</legend>
            <label class="checkbox" for="pref-overview-inherit">
                <input type="checkbox" id="pref-overview-inherit" data-testid="pref-overview-inherit" prop:checked=move || !set_here()
                    on:change=toggle_inherit disabled=move || !editable || !ready.get()/>
                {move || format!("Inherit ({})", source())}
            </label>
            <ol class="plain-list overview-order">{rows}</ol>
        </fieldset>
    }
    .into_any()
}

/// Default channels per kind of notification for the people below: inherit, or choose.
#[component]
fn ChannelDefaults(own: RwSignal<Value>, effective: RwSignal<Vec<Effective>>, editable: bool) -> impl IntoView {
    let ready = hydrated();
    let rows = KINDS
        .iter()
        .map(|k| {
            let key = k.key;
            let own_channels = move || -> Option<Vec<String>> {
                own.with(|o| o.get("notifications")?.get("channels")?.get(key).cloned())
                    .and_then(|v| serde_json::from_value(v).ok())
            };
            let inherited = move || -> (Vec<String>, String) {
                effective.with(|all| {
                    let e = all.iter().find(|e| e.key == format!("notifications.{key}"));
                    (
                        e.and_then(|e| serde_json::from_value(e.value.clone()).ok()).unwrap_or_default(),
                        source_text(e),
                    )
                })
            };
            let write = move |v: Option<Vec<String>>| {
                own.update(|o| {
                    if !o.get("notifications").is_some_and(Value::is_object) {
                        o["notifications"] = json!({"channels": {}});
                    }
                    if !o["notifications"].get("channels").is_some_and(Value::is_object) {
                        o["notifications"]["channels"] = json!({});
                    }
                    let chans = o["notifications"]["channels"].as_object_mut().expect("an object");
                    match v {
                        Some(v) => {
                            chans.insert(key.to_string(), json!(v));
                        }
                        None => {
                            chans.remove(key);
                        }
                    }
                });
            };
            let inherit_id = format!("pref-notify-{key}-inherit");
            let boxes = CHANNELS
                .iter()
                .map(|ch| {
                    let id = format!("pref-notify-{key}-{ch}");
                    let checked = move || own_channels().unwrap_or_else(|| inherited().0).iter().any(|c| c == ch);
                    let toggle = move |ev: leptos::ev::Event| {
                        let mut v = own_channels().unwrap_or_else(|| inherited().0);
                        v.retain(|c| c != ch);
                        if event_target_checked(&ev) {
                            v.push(ch.to_string());
                        }
                        write(Some(v));
                    };
                    view! {
                        <label class="checkbox" for=id.clone()>
                            <input type="checkbox" id=id.clone() data-testid=id.clone() prop:checked=checked on:change=toggle
                                disabled=move || !editable || !ready.get() || own_channels().is_none()/>
                            {channel_name(ch)}
                        </label>
                    }
                })
                .collect_view();
            view! {
                <fieldset class="field notify-kind">
                    <legend>{k.name}</legend>
                    <label class="checkbox" for=inherit_id.clone()>
                        <input type="checkbox" id=inherit_id.clone() data-testid=inherit_id.clone() prop:checked=move || own_channels().is_none()
                            on:change=move |ev| if event_target_checked(&ev) { write(None) } else { write(Some(inherited().0)) }
                            disabled=move || !editable || !ready.get()/>
                        {move || format!("Inherit ({})", inherited().1)}
                    </label>
                    <div class="notify-channels">{boxes}</div>
                </fieldset>
            }
        })
        .collect_view();
    view! {
        <h3>"Notification channels"</h3>
        <p class="muted small">"How each kind of notification reaches people, unless they choose otherwise on their account page."</p>
        {rows}
    }
    .into_any()
}
