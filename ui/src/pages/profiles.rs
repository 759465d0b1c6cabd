//! The Profiles page: sandbox profiles are not part of this version; the page says so.

use leptos::prelude::*;

#[component]
pub fn ProfilesPage() -> impl IntoView {
    view! {
        <header class="page-head"><h1>"Profiles"</h1></header>
        <div class="empty">
            <p>"Sandbox profiles are not available in this version."</p>
            <p class="muted">"Use snapshots and a repository default snapshot to start sandboxes prepared."</p>
        </div>
    }
}
