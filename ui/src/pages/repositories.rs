//! The Repositories page.

use leptos::prelude::*;

#[component]
pub fn RepositoriesPage() -> impl IntoView {
    view! {
        <header class="page-head"><h1>"Repositories"</h1></header>
        <div class="empty"><p>"Nothing here yet."</p></div>
    }
}
