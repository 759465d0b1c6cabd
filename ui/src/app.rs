//! The window's frame: the left sidebar (pages, and the engine's state at its foot) and the current page.

use leptos::prelude::*;
use sbx_api::EngineStatus;

use crate::live::{Live, use_live};
use crate::pages;
use crate::pages::sandbox_detail::SandboxDetailPage;

/// The pages of the sidebar.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Page {
    Sandboxes,
    Snapshots,
    Repositories,
    Volumes,
    Profiles,
    Settings,
    Engine,
}

impl Page {
    fn title(self) -> &'static str {
        match self {
            Page::Sandboxes => "Sandboxes",
            Page::Snapshots => "Snapshots",
            Page::Repositories => "Repositories",
            Page::Volumes => "Volumes",
            Page::Profiles => "Profiles",
            Page::Settings => "Settings",
            Page::Engine => "Engine",
        }
    }
}

/// Which page shows; provided as context so pages can navigate.
#[derive(Clone, Copy)]
pub struct Nav(pub RwSignal<Page>);

/// The sandbox whose detail page shows inside [`Page::Sandboxes`]; `None` shows the list. Provided as context.
#[derive(Clone, Copy)]
pub struct SelectedSandbox(pub RwSignal<Option<String>>);

/// Moves between the sandbox list and a sandbox's detail page, from any page.
///
/// Take it with [`use_sandbox_nav`] while the component is set up (not inside an event handler).
#[derive(Clone, Copy)]
pub struct SandboxNav {
    page: RwSignal<Page>,
    selected: RwSignal<Option<String>>,
}

impl SandboxNav {
    /// Show the detail page of the sandbox `name`.
    pub fn open(self, name: impl Into<String>) {
        self.selected.set(Some(name.into()));
        self.page.set(Page::Sandboxes);
    }

    /// Show the list of sandboxes.
    pub fn list(self) {
        self.selected.set(None);
        self.page.set(Page::Sandboxes);
    }
}

/// The navigation to and from sandbox detail pages.
pub fn use_sandbox_nav() -> SandboxNav {
    let Nav(page) = expect_context::<Nav>();
    let SelectedSandbox(selected) = expect_context::<SelectedSandbox>();
    SandboxNav { page, selected }
}

/// The whole app.
#[component]
pub fn App() -> impl IntoView {
    let live = Live::start();
    provide_context(live);
    let page = RwSignal::new(Page::Sandboxes);
    provide_context(Nav(page));
    let selected_sandbox = RwSignal::new(None::<String>);
    provide_context(SelectedSandbox(selected_sandbox));
    pages::settings::apply_saved_theme();
    // What the content area shows: the page, and for Sandboxes the open sandbox (changes re-render only then).
    let shown = Memo::new(move |_| {
        let current = page.get();
        let sandbox = if current == Page::Sandboxes {
            selected_sandbox.get()
        } else {
            None
        };
        (current, sandbox)
    });

    let nav_item = move |target: Page| {
        view! {
            <li>
                <button
                    class="nav-item"
                    class:current=move || page.get() == target
                    aria-current=move || if page.get() == target { Some("page") } else { None }
                    on:click=move |_| {
                        if selected_sandbox.with_untracked(Option::is_some) {
                            selected_sandbox.set(None);
                        }
                        page.set(target);
                    }
                >
                    {target.title()}
                </button>
            </li>
        }
    };

    view! {
        <div class="frame">
            <nav class="sidebar" aria-label="Pages">
                <div class="brand">"Sandbox Desktop"</div>
                <ul>
                    {nav_item(Page::Sandboxes)}
                    {nav_item(Page::Snapshots)}
                    {nav_item(Page::Repositories)}
                    {nav_item(Page::Volumes)}
                    {nav_item(Page::Profiles)}
                    {nav_item(Page::Settings)}
                </ul>
                <EngineFooter />
            </nav>
            <main class="content">
                {move || match shown.get() {
                    (Page::Sandboxes, Some(name)) => view! { <SandboxDetailPage name=name /> }.into_any(),
                    (Page::Sandboxes, None) => pages::sandboxes::SandboxesPage().into_any(),
                    (Page::Snapshots, _) => pages::snapshots::SnapshotsPage().into_any(),
                    (Page::Repositories, _) => pages::repositories::RepositoriesPage().into_any(),
                    (Page::Volumes, _) => pages::volumes::VolumesPage().into_any(),
                    (Page::Profiles, _) => pages::profiles::ProfilesPage().into_any(),
                    (Page::Settings, _) => pages::settings::SettingsPage().into_any(),
                    (Page::Engine, _) => pages::engine::EnginePage().into_any(),
                }}
            </main>
        </div>
    }
}

/// The engine's state at the foot of the sidebar: connected engine and version, or unreachable with Retry.
#[component]
fn EngineFooter() -> impl IntoView {
    let live = use_live();
    let Nav(page) = expect_context::<Nav>();
    view! {
        <div class="engine-footer" aria-label="Docker engine" aria-live="polite">
            {move || match live.engine.get() {
                None => view! { <span class="muted">"Connecting to Docker…"</span> }.into_any(),
                Some(EngineStatus::Connected(info)) => view! {
                    <button class="engine-link" on:click=move |_| page.set(Page::Engine) title="Engine details">
                        <span class="dot dot-ok" aria-hidden="true"></span>
                        <span class="engine-line">"Docker "<span class="server-version">{info.server_version.clone()}</span></span>
                        <span class="engine-sub muted">"API "{info.api_version.clone()}</span>
                    </button>
                }.into_any(),
                Some(EngineStatus::Unreachable { address, .. }) => view! {
                    <div class="engine-down">
                        <span class="dot dot-bad" aria-hidden="true"></span>
                        <span>"engine unreachable"</span>
                        <span class="engine-sub muted address">{address}</span>
                        <button class="small" aria-label="Retry" on:click=move |_| live.refresh_engine()>"Retry"</button>
                    </div>
                }.into_any(),
            }}
        </div>
    }
}
