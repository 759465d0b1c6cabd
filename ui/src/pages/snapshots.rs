//! The Snapshots page.

use leptos::prelude::*;

#[component]
pub fn SnapshotsPage() -> impl IntoView {
    view! {
        <header class="page-head"><h1>"Snapshots"</h1></header>
        <div class="empty"><p>"Nothing here yet."</p></div>
    }
}
