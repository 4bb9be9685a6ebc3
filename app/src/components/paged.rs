//! Lists paged by cursor, newest first (audit, change log, tasks, notifications): the
//! table in its card with the pager under it, the empty state with its way back to the
//! newest page, and the pager itself. Which URL a page is at is the page's business; these
//! get the links ready-made.

use leptos::prelude::*;

/// The "Newest" / "Older" links under a list paged by cursor, newest first: "Newest" when
/// not on the first page, "Older" while more remain.
#[component]
pub fn Pager(newest: Option<String>, older: Option<String>) -> impl IntoView {
    view! {
        <nav class="pager" aria-label="Pages">
            {newest.map(|h| view! { <a class="btn" href=h>"Newest"</a> })}
            {older.map(|h| view! { <a class="btn" href=h rel="next" data-testid="older">"Older"</a> })}
        </nav>
    }
}

/// A cursor-paged table in its card: the headers as column headings, the rows (`children`,
/// `<tr>`s) and the pager. `newest` and `older` are the pager's links.
#[component]
pub fn PagedTable(
    /// The card's accessible name.
    label: &'static str,
    /// The table's classes (after "table").
    class: &'static str,
    testid: &'static str,
    headers: &'static [&'static str],
    newest: Option<String>,
    older: Option<String>,
    children: Children,
) -> impl IntoView {
    view! {
        <section class="card" aria-label=label>
            <div class="table-wrap">
                <table class=format!("table {class}") data-testid=testid>
                    <thead>
                        <tr>{headers.iter().map(|h| view! { <th scope="col">{*h}</th> }).collect_view()}</tr>
                    </thead>
                    <tbody>{children()}</tbody>
                </table>
            </div>
            <Pager newest older/>
        </section>
    }
}

/// A paged list with nothing on this page: the card with what `children` say first (a
/// toolbar, say), the text, and a link to the newest page when not on it.
#[component]
pub fn PagedEmpty(
    #[prop(into)] text: String,
    testid: &'static str,
    newest: Option<String>,
    /// The newest page's link text ("Newest actions").
    newest_label: &'static str,
    #[prop(optional)] children: Option<Children>,
) -> impl IntoView {
    view! {
        <section class="card">
            {children.map(|c| c())}
            <p class="muted" data-testid=testid>{text}</p>
            {newest.map(|h| view! { <a class="btn" href=h>{newest_label}</a> })}
        </section>
    }
}
