//! The action cards shared by `/stores/:id/actions` and `/org/defaults`: each catalog action
//! with its plain-words description, risk, where its values come from, the "Enabled" and
//! "Ask for confirmation first" switches (saved at once, with the result next to them), and
//! its limits (listed in plain words, with an "Add a limit" form). The server decides every
//! change; without `permissions.manage` the cards are read-only.
//!
//! Here: where the settings live (`Place`), the context the cards share, the categories and
//! the category sections. The card with its switches is in `card`, the limits list in
//! `limits`, the "Add a limit" form in `limit_form`.

mod card;
mod limit_form;
mod limits;

use crate::domain::action_settings::{ActionSettings, AssistantRef};
use crate::domain::AppError;
use card::ActionCard;
use leptos::prelude::*;
use std::collections::BTreeMap;

/// Where the cards' settings live.
#[derive(Clone, Debug, PartialEq)]
pub enum Place {
    Store { id: String, currency: String, assistants: Vec<AssistantRef> },
    Org,
}

impl Place {
    fn currency(&self) -> Option<String> {
        match self {
            Place::Store { currency, .. } => Some(currency.clone()),
            // Org-wide amounts apply in each store's own currency.
            Place::Org => Some("in the store's currency".to_string()),
        }
    }
}

/// Shared by the cards of one page: where they are, whether the viewer may change them, the
/// latest data (limits are read from it) and how to load it again after a limit changed.
#[derive(Clone, Copy)]
pub struct SettingsCtx {
    pub place: StoredValue<Place>,
    pub can_manage: bool,
    pub data: RwSignal<Vec<ActionSettings>>,
    pub reload: Action<(), Result<Vec<ActionSettings>, AppError>>,
}

/// Categories in the order a merchant thinks of them, with their headings.
const CATEGORIES: &[(&str, &str)] = &[
    ("orders", "Orders"),
    ("payments", "Payments and refunds"),
    ("support", "Support tickets"),
    ("customers", "Customers and contacts"),
    ("communication", "Messages"),
    ("scheduling", "Scheduling"),
    ("projects", "Projects and time"),
    ("crm", "CRM"),
    ("automation", "Automation"),
];

pub fn category_title(category: &str) -> String {
    match CATEGORIES.iter().find(|(c, _)| *c == category) {
        Some((_, title)) => title.to_string(),
        None => {
            let mut c = category.chars();
            match c.next() {
                Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
                None => "Other".into(),
            }
        }
    }
}

/// The actions grouped by category, known categories first.
pub fn by_category(actions: &[ActionSettings]) -> Vec<(String, Vec<ActionSettings>)> {
    let mut groups: BTreeMap<(usize, String), Vec<ActionSettings>> = BTreeMap::new();
    for a in actions {
        let rank = CATEGORIES.iter().position(|(c, _)| *c == a.category).unwrap_or(CATEGORIES.len());
        groups.entry((rank, a.category.clone())).or_default().push(a.clone());
    }
    groups.into_iter().map(|((_, c), v)| (c, v)).collect()
}

/// The category sections with their cards.
#[component]
pub fn ActionGroups(actions: Vec<ActionSettings>) -> impl IntoView {
    by_category(&actions)
        .into_iter()
        .map(|(category, list)| {
            let title = category_title(&category);
            let heading_id = format!("category-{}", category.replace('.', "-"));
            let labelled_by = heading_id.clone();
            view! {
                <section class="actions-category" aria-labelledby=labelled_by id=format!("group-{category}")>
                    <h2 class="actions-category-title" id=heading_id>{title}</h2>
                    <div class="action-list">
                        {list.into_iter().map(|action| view! { <ActionCard action/> }).collect_view()}
                    </div>
                </section>
            }
        })
        .collect_view()
        .into_any()
}
