//! The Sandboxes page: a dense, live table of every sandbox (status, preset, repository, ports, created), the
//! progress of sandboxes being made, and the Create Sandbox button that opens the dialog.

use leptos::html;
use leptos::prelude::*;
use sbx_api::{
    ApiError, ListSandboxesRequest, PortBinding, Sandbox, SandboxState, requests::ListSandboxes,
};

use crate::app::use_sandbox_nav;
use crate::fetched::fetched;
use crate::ipc;
use crate::live::use_live;
use crate::pages::create_dialog::CreateSandboxDialog;
use crate::widgets::{
    FailedJob, JobProgress, Pager, SandboxBadge, TargetProgress, format_time, page_count,
};
use std::collections::HashMap;

/// Sandboxes per page of the table.
const PAGE_SIZE: u32 = 50;

/// What the table area shows.
#[derive(Clone, PartialEq)]
enum ListView {
    Loading,
    Failed(ApiError),
    Empty,
    Table,
}

/// Ports as `127.0.0.1:8080→80/tcp`, comma separated.
pub fn format_ports(ports: &[PortBinding]) -> String {
    ports
        .iter()
        .map(|p| {
            format!(
                "{}:{}→{}/{}",
                p.host_ip,
                p.host_port,
                p.container_port,
                p.protocol.as_str()
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The badge's tooltip: the reason of a failed or setup-failed sandbox.
pub fn state_title(sandbox: &Sandbox) -> String {
    match sandbox.state {
        SandboxState::Failed | SandboxState::SetupFailed => {
            sandbox.state_reason.clone().unwrap_or_default()
        }
        _ => String::new(),
    }
}

#[component]
pub fn SandboxesPage() -> impl IntoView {
    let live = use_live();
    let dialog_open = RwSignal::new(false);
    // The table shows a page of [`PAGE_SIZE`], asked of the core (which looks at only that page's containers).
    let page = RwSignal::new(1_u32);
    let sandboxes = fetched(move || {
        live.sandboxes.track();
        let request = ListSandboxesRequest {
            page: page.get(),
            limit: PAGE_SIZE,
        };
        async move { ipc::call::<ListSandboxes>(&request).await }
    });
    // The latest answer; rows re-render only when their own sandbox changed, so focus stays put.
    let answer = Memo::new(move |_| sandboxes.get());
    let rows = Memo::new(move |_| {
        answer
            .get()
            .and_then(Result::ok)
            .map(|listing| listing.items)
            .unwrap_or_default()
    });
    let total = Memo::new(move |_| {
        answer
            .get()
            .and_then(Result::ok)
            .map_or(0, |listing| listing.total)
    });
    let names = Memo::new(move |_| {
        rows.with(|list| list.iter().map(|s| s.name.clone()).collect::<Vec<_>>())
    });
    let list_view = Memo::new(move |_| match answer.get() {
        None => ListView::Loading,
        Some(Err(error)) => ListView::Failed(error),
        Some(Ok(listing)) if listing.total == 0 => ListView::Empty,
        Some(Ok(_)) => ListView::Table,
    });
    let pages = Signal::derive(move || page_count(total.get() as usize, PAGE_SIZE as usize));
    // A page emptied by deletions goes back to the last one.
    Effect::new(move |_| {
        let last = pages.get();
        if page.get_untracked() > last {
            page.set(last);
        }
    });
    let open_dialog = move |_| dialog_open.set(true);
    // Closing the dialog puts focus back on the header's Create Sandbox button.
    let opener = NodeRef::<html::Button>::new();
    let close_dialog = Callback::new(move |_: ()| {
        dialog_open.set(false);
        if let Some(button) = opener.get_untracked() {
            let _ = button.focus();
        }
    });

    view! {
        <header class="page-head">
            <h1>"Sandboxes"</h1>
            <button class="primary" aria-label="Create Sandbox" node_ref=opener on:click=open_dialog>"Create Sandbox"</button>
        </header>
        <UnlistedJobs names=names />
        {move || match list_view.get() {
            ListView::Loading => view! { <p class="muted">"Loading…"</p> }.into_any(),
            ListView::Failed(error) => view! { <p class="error" role="alert">{error.to_string()}</p> }.into_any(),
            ListView::Empty => view! {
                <div class="empty">
                    <p>
                        "No sandboxes yet — "
                        <button class="primary" aria-label="Create Sandbox" on:click=open_dialog>"Create Sandbox"</button>
                    </p>
                    <p class="muted">"A sandbox is a container on your Docker engine, with your repository checked out inside."</p>
                </div>
            }.into_any(),
            ListView::Table => view! { <SandboxTable names=names rows=rows page=page pages=pages /> }.into_any(),
        }}
        <Show when=move || dialog_open.get()>
            <CreateSandboxDialog on_close=close_dialog />
        </Show>
    }
}

/// Progress of jobs making a sandbox that is not in the table yet ("Creating teal-tokyo: cloning…").
#[component]
fn UnlistedJobs(names: Memo<Vec<String>>) -> impl IntoView {
    let live = use_live();
    let jobs = Memo::new(move |_| {
        let listed = names.get();
        live.progress.with(|map| {
            map.values()
                .filter(|p| p.kind.makes_sandbox())
                .filter(|p| !listed.contains(&p.target))
                .cloned()
                .collect::<Vec<_>>()
        })
    });
    view! {
        <div class="jobs" aria-live="polite">
            <For
                each=move || jobs.get()
                key=|p| (p.job_id.clone(), p.stage, p.message.clone(), p.fraction.map(f32::to_bits), p.error.clone())
                children=|p| view! { <JobProgress progress=p /> }
            />
            <For
                each=move || live.failed.get()
                key=|p| p.job_id.clone()
                children=|p| view! { <FailedJob progress=p /> }
            />
        </div>
    }
}

/// The table of sandboxes, one row per name, a page at a time (the pager shows when there is more than one).
#[component]
fn SandboxTable(
    names: Memo<Vec<String>>,
    rows: Memo<Vec<Sandbox>>,
    page: RwSignal<u32>,
    pages: Signal<u32>,
) -> impl IntoView {
    // Each row finds its sandbox here, not by a search of the whole list.
    let by_name = Memo::new(move |_| {
        rows.with(|list| {
            list.iter()
                .map(|s| (s.name.clone(), s.clone()))
                .collect::<HashMap<_, _>>()
        })
    });
    // Laid out as a CSS grid (style.css `.row-table`) so each row is a box that pointer hit-testing (and
    // WebDriver) can click: WebKit hit-tests cells, never plain table rows. The roles keep it a table.
    view! {
        <table class="table row-table" role="table" aria-label="Sandboxes">
            <thead role="rowgroup">
                <tr role="row">
                    <th role="columnheader" scope="col">"Name"</th>
                    <th role="columnheader" scope="col">"Status"</th>
                    <th role="columnheader" scope="col">"Preset"</th>
                    <th role="columnheader" scope="col">"Repository"</th>
                    <th role="columnheader" scope="col">"Ports"</th>
                    <th role="columnheader" scope="col">"Created"</th>
                </tr>
            </thead>
            <tbody role="rowgroup">
                <For
                    each=move || names.get()
                    key=|name| name.clone()
                    children=move |name| view! { <SandboxRow name=name by_name=by_name /> }
                />
            </tbody>
        </table>
        <Show when=move || { pages.get() > 1 }>
            <Pager page=page page_count=pages label="Sandbox pages" />
        </Show>
    }
}

/// One sandbox's row; click or Enter opens its detail page.
#[component]
fn SandboxRow(name: String, by_name: Memo<HashMap<String, Sandbox>>) -> impl IntoView {
    let nav = use_sandbox_nav();
    let sandbox = {
        let name = name.clone();
        Memo::new(move |_| by_name.with(|map| map.get(&name).cloned()))
    };
    let cell = move |f: fn(&Sandbox) -> String| {
        move || sandbox.with(|s| s.as_ref().map(f).unwrap_or_default())
    };
    let state = Signal::derive(move || sandbox.with(|s| s.as_ref().map(|s| s.state)));
    let reason =
        Signal::derive(move || sandbox.with(|s| s.as_ref().map(state_title).unwrap_or_default()));
    let open = {
        let name = name.clone();
        move || nav.open(name.clone())
    };
    let open_on_click = open.clone();
    let on_key = move |ev: leptos::ev::KeyboardEvent| {
        if ev.key() == "Enter" {
            ev.prevent_default();
            open();
        }
    };
    view! {
        <tr
            class="clickable"
            role="row"
            tabindex="0"
            data-sandbox=name.clone()
            title=format!("Open {name}")
            on:click=move |_| open_on_click()
            on:keydown=on_key
        >
            <td role="cell" class="name">{name.clone()}</td>
            <td role="cell" class="status">
                <SandboxBadge state=state title=reason />
                <TargetProgress target=name.clone() />
            </td>
            <td role="cell">{cell(preset_or_image)}</td>
            <td role="cell" title=cell(|s| s.repo.as_ref().map(|r| r.source.clone()).unwrap_or_default())>
                {cell(|s| s.repo.as_ref().map(|r| r.name.clone()).unwrap_or_else(|| "—".to_string()))}
            </td>
            <td role="cell" class="ports">{cell(|s| if s.ports.is_empty() { "—".to_string() } else { format_ports(&s.ports) })}</td>
            <td role="cell" class="created">{cell(|s| format_time(s.created_at))}</td>
        </tr>
    }
}

/// The preset a sandbox was made from, else its image, noting a snapshot it was restored from.
fn preset_or_image(sandbox: &Sandbox) -> String {
    let base = sandbox
        .preset
        .clone()
        .unwrap_or_else(|| sandbox.image.clone());
    match &sandbox.from_snapshot {
        Some(snapshot) => format!("{base} (from snapshot {snapshot})"),
        None => base,
    }
}
