use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    {
        if let Some(resp) = use_context::<leptos_axum::ResponseOptions>() {
            resp.set_status(http::StatusCode::NOT_FOUND);
        }
    }
    view! {
        <Title text="Page not found"/>
        <main class="centered">
            <div class="card narrow">
                <h1>"Page not found"</h1>
                <p>"There is no page at this address. It may have moved, or the link may be mistyped."</p>
                <a class="btn btn-primary" href="/">"Go to the overview"</a>
            </div>
        </main>
    }
}
