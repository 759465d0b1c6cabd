//! A sandbox's detail page: its state and configuration, the actions on it (start, stop, restart, delete,
//! snapshot, clone), its logs, a command runner and a terminal. Everything follows the live events.

use leptos::html;
use leptos::prelude::*;
use sbx_api::{
    ApiError, ExecOutput, ExecRequest, LogsRequest, Sandbox, SandboxRef, SandboxState,
    requests::{
        DeleteSandbox, ExecInSandbox, GetLogs, GetSandbox, RestartSandbox, StartSandbox,
        StopSandbox,
    },
};

use crate::app::{SandboxNav, use_sandbox_nav};
use crate::fetched::fetched;
use crate::ipc;
use crate::live::use_live;
use crate::pages::clone_dialog::CloneButton;
use crate::pages::sandbox_services::ServiceList;
use crate::pages::sandbox_snapshots::{SandboxSnapshots, main_command_failed, snapshot_mode_text};
use crate::pages::sandbox_terminal::{Terminal, TerminalSection};
use crate::pages::sandboxes::{format_ports, state_title};
use crate::pages::snapshot_modal::{LastCaptureStatus, TakeSnapshotButton};
use crate::widgets::{ErrorLine, SandboxBadge, TargetProgress, format_time};

/// What the page shows as a whole.
#[derive(Clone, PartialEq)]
enum Phase {
    Loading,
    Loaded,
    Deleted,
    Failed(ApiError),
}

/// Which log the Logs section shows.
#[derive(Clone, Copy, PartialEq, Eq)]
enum LogView {
    Setup,
    All,
}

/// Logs and command output as a terminal would show them (see [`sbx_term::render`]).
fn shown(text: &str) -> String {
    sbx_term::render(text, usize::MAX)
}

/// The detail page of the sandbox `name`.
#[component]
pub fn SandboxDetailPage(name: String) -> impl IntoView {
    let live = use_live();
    let nav = use_sandbox_nav();
    let name = StoredValue::new(name);
    let fetched = fetched(move || {
        live.sandboxes.track();
        let params = SandboxRef {
            name: name.get_value(),
            force: false,
        };
        async move { ipc::call::<GetSandbox>(&params).await }
    });
    let answer = Memo::new(move |_| fetched.get());
    // The latest sandbox seen: a failed re-fetch keeps showing it (with the error above).
    let sandbox = Memo::new(
        move |previous: Option<&Option<Sandbox>>| match answer.get() {
            Some(Ok(sandbox)) => Some(sandbox),
            _ => previous.cloned().flatten(),
        },
    );
    let phase = Memo::new(move |_| match answer.get() {
        Some(Err(ApiError::NotFound { .. })) => Phase::Deleted,
        _ if sandbox.with(Option::is_some) => Phase::Loaded,
        None => Phase::Loading,
        Some(Err(error)) => Phase::Failed(error),
        Some(Ok(_)) => Phase::Loaded,
    });
    let refetch_error = Signal::derive(move || {
        answer
            .get()
            .and_then(Result::err)
            .filter(|_| phase.get() == Phase::Loaded)
    });
    let terminal = Terminal::new(name.get_value());
    let setup_failed = Memo::new(move |_| {
        sandbox.with(|s| {
            s.as_ref()
                .is_some_and(|s| s.state == SandboxState::SetupFailed)
        })
    });
    let command_failed =
        Memo::new(move |_| sandbox.with(|s| s.as_ref().is_some_and(main_command_failed)));

    let heading = NodeRef::<html::H1>::new();
    Effect::new(move |_| {
        if let Some(h1) = heading.get() {
            let _ = h1.focus();
        }
    });

    view! {
        <button class="back-link" aria-label="Sandboxes" on:click=move |_| nav.list()>
            <span aria-hidden="true">"‹ "</span>"Sandboxes"
        </button>
        {move || match phase.get() {
            Phase::Loading => view! {
                <header class="page-head"><h1 tabindex="-1" node_ref=heading>{name.get_value()}</h1></header>
                <p class="muted">"Loading…"</p>
            }.into_any(),
            Phase::Deleted => view! {
                <header class="page-head"><h1 tabindex="-1" node_ref=heading>{name.get_value()}</h1></header>
                <div class="empty" role="status">
                    <p>"Sandbox "{name.get_value()}" was deleted"</p>
                    // After Snapshot and delete, the capture's outcome stays in view.
                    <LastCaptureStatus sandbox=name.get_value() />
                    <button class="link" on:click=move |_| nav.list()>"Back to Sandboxes"</button>
                </div>
            }.into_any(),
            Phase::Failed(error) => view! {
                <header class="page-head"><h1 tabindex="-1" node_ref=heading>{name.get_value()}</h1></header>
                <p class="error" role="alert">{error.to_string()}</p>
            }.into_any(),
            Phase::Loaded => view! {
                <DetailHeader name=name.get_value() sandbox heading />
                <ErrorLine error=refetch_error />
                <SandboxActions name=name.get_value() sandbox terminal nav />
                <TargetProgress target=name.get_value() />
                // A failed setup puts its log first, so the script's output is what the page shows.
                {move || if setup_failed.get() || command_failed.get() {
                    view! {
                        {if setup_failed.get() { SetupFailure().into_any() } else { MainCommandFailure().into_any() }}
                        <LogsSection name=name.get_value() sandbox />
                        <SandboxFacts sandbox />
                    }.into_any()
                } else {
                    view! {
                        <SandboxFacts sandbox />
                        <LogsSection name=name.get_value() sandbox />
                    }.into_any()
                }}
                <SandboxSnapshots sandbox />
                <CommandSection name=name.get_value() />
                <TerminalSection terminal />
            }.into_any(),
        }}
    }
}

/// The sandbox's name, its status badge and, when it failed, why.
#[component]
fn DetailHeader(
    name: String,
    sandbox: Memo<Option<Sandbox>>,
    heading: NodeRef<html::H1>,
) -> impl IntoView {
    let state = Signal::derive(move || sandbox.with(|s| s.as_ref().map(|s| s.state)));
    let reason =
        Signal::derive(move || sandbox.with(|s| s.as_ref().map(state_title).unwrap_or_default()));
    view! {
        <header class="page-head detail-head">
            <h1 tabindex="-1" node_ref=heading>{name}</h1>
            <SandboxBadge state=state title=reason />
        </header>
        <Show when=move || !reason.get().is_empty()>
            <p class="error state-reason" role="alert">{move || reason.get()}</p>
        </Show>
    }
}

/// What the header's buttons are doing: nothing, or one action at a time.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Action {
    Start,
    Stop,
    Restart,
    Delete,
}

/// Start, Stop, Restart, Delete (with its confirmation), Open terminal, Take Snapshot and Clone.
#[component]
fn SandboxActions(
    name: String,
    sandbox: Memo<Option<Sandbox>>,
    terminal: Terminal,
    nav: SandboxNav,
) -> impl IntoView {
    let live = use_live();
    let name = StoredValue::new(name);
    let state = Memo::new(move |_| sandbox.with(|s| s.as_ref().map(|s| s.state)));
    let busy = RwSignal::new(None::<Action>);
    let error = RwSignal::new(None::<ApiError>);
    let confirming = RwSignal::new(false);

    let startable = move || {
        matches!(
            state.get(),
            Some(SandboxState::Stopped | SandboxState::Failed | SandboxState::SetupFailed)
        )
    };
    let stoppable = move || {
        matches!(
            state.get(),
            Some(SandboxState::Running | SandboxState::SettingUp)
        )
    };
    let running = Signal::derive(move || state.get() == Some(SandboxState::Running));

    let run = move |action: Action| {
        if busy.get_untracked().is_some() {
            return;
        }
        busy.set(Some(action));
        error.set(None);
        let force = matches!(
            state.get_untracked(),
            Some(SandboxState::Running | SandboxState::SettingUp | SandboxState::Creating)
        );
        let params = SandboxRef {
            name: name.get_value(),
            force: action == Action::Delete && force,
        };
        leptos::task::spawn_local(async move {
            let result = match action {
                Action::Start => ipc::call::<StartSandbox>(&params).await.map(|_| ()),
                Action::Stop => ipc::call::<StopSandbox>(&params).await.map(|_| ()),
                Action::Restart => ipc::call::<RestartSandbox>(&params).await.map(|_| ()),
                Action::Delete => ipc::call::<DeleteSandbox>(&params).await,
            };
            busy.try_set(None);
            match result {
                Ok(()) if action == Action::Delete => {
                    live.sandboxes.try_update(|n| *n += 1);
                    nav.list();
                }
                Ok(()) => {
                    live.sandboxes.try_update(|n| *n += 1);
                }
                Err(e) => {
                    error.try_set(Some(e));
                }
            }
        });
    };
    let is_busy = move || busy.get().is_some();
    let working_label = move || match busy.get() {
        Some(Action::Start) => "Starting…",
        Some(Action::Stop) => "Stopping…",
        Some(Action::Restart) => "Restarting…",
        Some(Action::Delete) => "Deleting…",
        None => "",
    };

    let cancel_button = NodeRef::<html::Button>::new();
    Effect::new(move |_| {
        if let Some(button) = cancel_button.get() {
            let _ = button.focus();
        }
    });
    let has_repo = move || sandbox.with(|s| s.as_ref().is_some_and(|s| s.repo.is_some()));

    view! {
        <div class="toolbar sandbox-actions" role="toolbar" aria-label="Sandbox actions">
            <Show when=startable>
                <button class="primary" aria-label="Start" disabled=is_busy on:click=move |_| run(Action::Start)>"Start"</button>
            </Show>
            <Show when=stoppable>
                <button aria-label="Stop" disabled=is_busy on:click=move |_| run(Action::Stop)>"Stop"</button>
            </Show>
            <button aria-label="Restart" disabled=is_busy on:click=move |_| run(Action::Restart)>"Restart"</button>
            <button aria-label="Open terminal"
                disabled=move || terminal.is_open() || terminal.opening.get()
                on:click=move |_| terminal.open()>"Open terminal"</button>
            <TakeSnapshotButton sandbox=name.get_value() running=running />
            <CloneButton sandbox=name.get_value() />
            <button class="danger" aria-label="Delete" disabled=is_busy aria-expanded=move || confirming.get().to_string()
                on:click=move |_| confirming.set(true)>"Delete"</button>
            <span class="muted" role="status">{working_label}</span>
        </div>
        <Show when=move || confirming.get()>
            <div class="confirm" role="group" aria-label="Confirm delete">
                <p>
                    {move || if has_repo() {
                        format!("Delete sandbox {}? Its git volume is kept.", name.get_value())
                    } else {
                        format!("Delete sandbox {}? It has no git volume.", name.get_value())
                    }}
                </p>
                <div class="toolbar">
                    <button class="danger primary-danger" aria-label="Delete sandbox" disabled=is_busy
                        on:click=move |_| run(Action::Delete)>"Delete sandbox"</button>
                    <button aria-label="Cancel" node_ref=cancel_button
                        on:click=move |_| confirming.set(false)>"Cancel"</button>
                </div>
            </div>
        </Show>
        <ErrorLine error=error />
        <ErrorLine error=terminal.error />
    }
}

/// When setup failed: a heading saying so, above the setup log that shows the script's output.
#[component]
fn SetupFailure() -> impl IntoView {
    view! {
        <h2 class="error setup-failed">"Setup failed"</h2>
        <p class="muted">
            "The setup script exited non-zero, so the container command did not run. Its output is in the setup log below."
        </p>
    }
}

/// When the main command failed: a heading saying so, above the log that shows its output (as for setup).
#[component]
fn MainCommandFailure() -> impl IntoView {
    view! {
        <h2 class="error main-command-failed">"Main command failed"</h2>
        <p class="muted">"The sandbox's main command exited non-zero, which ended the sandbox. Its output is in the log below."</p>
    }
}

/// Minutes as words: `30 minutes`, `off` for 0.
fn minutes(n: u32, zero: &str) -> String {
    match n {
        0 => zero.to_string(),
        1 => "1 minute".to_string(),
        n => format!("{n} minutes"),
    }
}

/// The sandbox's configuration, one fact a line.
#[component]
fn SandboxFacts(sandbox: Memo<Option<Sandbox>>) -> impl IntoView {
    let fact = move |f: fn(&Sandbox) -> String| {
        move || sandbox.with(|s| s.as_ref().map(f).unwrap_or_default())
    };
    let env = move || sandbox.with(|s| s.as_ref().map(|s| s.env.clone()).unwrap_or_default());
    let repo = move || sandbox.with(|s| s.as_ref().and_then(|s| s.repo.clone()));
    view! {
        <h2>"Details"</h2>
        <dl class="facts" aria-label="Sandbox facts">
            <dt>"Status"</dt><dd class="fact-status">{fact(|s| s.state.as_str().to_string())}</dd>
            <dt>"Preset"</dt><dd>{fact(|s| s.preset.clone().unwrap_or_else(|| "— (custom image)".to_string()))}</dd>
            <dt>"Image"</dt><dd><code>{fact(|s| s.image.clone())}</code></dd>
            <dt>"Repository"</dt>
            <dd class="fact-repository">
                {move || match repo() {
                    None => view! { <span class="muted">"none"</span> }.into_any(),
                    Some(r) => view! {
                        <dl class="facts nested">
                            <dt>"Name"</dt><dd>{r.name.clone()}</dd>
                            <dt>"Source"</dt><dd><code>{r.source.clone()}</code></dd>
                            <dt>"Branch"</dt><dd>{r.branch.clone().unwrap_or_else(|| "default".to_string())}</dd>
                            <dt>"Checkout"</dt><dd>{if r.no_clean { "with uncommitted files" } else { "clean" }}</dd>
                            <dt>"Volume"</dt><dd><code>{r.volume.clone()}</code></dd>
                            <dt>"Mount path"</dt><dd><code>{r.mount_path.clone()}</code></dd>
                        </dl>
                    }.into_any(),
                }}
            </dd>
            <dt>"Ports"</dt><dd class="fact-ports">{fact(|s| if s.ports.is_empty() { "none".to_string() } else { format_ports(&s.ports) })}</dd>
            <dt>"Services"</dt><dd class="fact-services"><ServiceList sandbox=sandbox /></dd>
            <dt>"Environment"</dt>
            <dd class="fact-env">
                {move || {
                    let vars = env();
                    if vars.is_empty() {
                        view! { <span class="muted">"none"</span> }.into_any()
                    } else {
                        view! {
                            <ul class="env-list">
                                {vars.into_iter().map(|v| {
                                    let shown = if v.secret { "••••".to_string() } else { v.value.clone() };
                                    view! {
                                        <li>
                                            <code>{v.name.clone()}"="{shown}</code>
                                            {v.secret.then(|| view! { <span class="source">"secret"</span> })}
                                        </li>
                                    }
                                }).collect_view()}
                            </ul>
                        }.into_any()
                    }
                }}
            </dd>
            <dt>"CPUs"</dt><dd>{fact(|s| s.cpus.map(|c| c.to_string()).unwrap_or_else(|| "engine default".to_string()))}</dd>
            <dt>"Memory"</dt><dd>{fact(|s| s.memory_mib.map(|m| format!("{m} MiB")).unwrap_or_else(|| "engine default".to_string()))}</dd>
            <dt>"Processes"</dt><dd class="fact-pids">{fact(|s| format!("at most {}", s.pids_limit))}</dd>
            <dt>"Setup script"</dt><dd>{fact(|s| if s.setup_skipped { "skipped (no-op)".to_string() } else { "runs once at creation".to_string() })}</dd>
            <dt>"Credentials mounted"</dt>
            <dd>{fact(|s| if s.credentials.is_empty() { "none".to_string() } else { s.credentials.join(", ") })}</dd>
            <dt>"Auto-stop"</dt><dd>{fact(|s| minutes(s.auto_stop_minutes, "off"))}</dd>
            <dt>"Auto-delete"</dt>
            <dd>{fact(|s| s.auto_delete_minutes.map(|m| format!("{} after stopping", minutes(m, "immediately"))).unwrap_or_else(|| "keep".to_string()))}</dd>
            <dt>"Main command"</dt><dd class="fact-main-command">{fact(|s| s.main_command.describe())}</dd>
            <dt>"Snapshots"</dt><dd class="fact-snapshot-mode">{fact(snapshot_mode_text)}</dd>
            <dt>"From snapshot"</dt><dd>{fact(|s| s.from_snapshot.clone().unwrap_or_else(|| "—".to_string()))}</dd>
            <dt>"Created"</dt><dd>{fact(|s| format_time(s.created_at))}</dd>
        </dl>
    }
}

/// Setup and container logs, with a toggle; setup-failed sandboxes open on the setup log.
#[component]
fn LogsSection(name: String, sandbox: Memo<Option<Sandbox>>) -> impl IntoView {
    let live = use_live();
    let refreshes = RwSignal::new(0_u32);
    let name = StoredValue::new(name);
    let logs = fetched(move || {
        live.sandboxes.track();
        refreshes.track();
        let params = LogsRequest {
            name: name.get_value(),
            setup_only: false,
            tail: None,
        };
        async move { ipc::call::<GetLogs>(&params).await }
    });
    let chosen = RwSignal::new(None::<LogView>);
    let setup_failed = move || {
        sandbox.with(|s| {
            s.as_ref()
                .is_some_and(|s| s.state == SandboxState::SetupFailed)
        })
    };
    let view_now = move || {
        chosen.get().unwrap_or(if setup_failed() {
            LogView::Setup
        } else {
            LogView::All
        })
    };
    let text = move || {
        logs.get().and_then(Result::ok).map(|l| match view_now() {
            LogView::Setup => l.setup,
            LogView::All => l.all,
        })
    };
    let error = Signal::derive(move || logs.get().and_then(Result::err));
    let toggle = move |target: LogView, label: &'static str| {
        view! {
            <button class="small" aria-label=label aria-pressed=move || (view_now() == target).to_string()
                class:current=move || view_now() == target
                on:click=move |_| chosen.set(Some(target))>{label}</button>
        }
    };
    view! {
        <section class="logs" aria-labelledby="logs-heading">
            <h2 id="logs-heading">"Logs"</h2>
            <div class="toolbar">
                <div class="segmented" role="group" aria-label="Which log">
                    {toggle(LogView::Setup, "Setup log")}
                    {toggle(LogView::All, "All logs")}
                </div>
                <button class="small" aria-label="Refresh logs" on:click=move |_| refreshes.update(|n| *n += 1)>"Refresh"</button>
            </div>
            <ErrorLine error=error />
            {move || match text() {
                None => view! { <p class="muted">"Loading…"</p> }.into_any(),
                Some(text) if text.is_empty() => view! {
                    <p class="muted">{move || if view_now() == LogView::Setup { "The setup script printed nothing (yet)." } else { "Nothing logged yet." }}</p>
                }.into_any(),
                Some(text) => view! { <pre class="log" aria-label="Logs">{shown(&text)}</pre> }.into_any(),
            }}
        </section>
    }
}

/// Run a command through `/bin/sh -c` and show its exit code and output.
#[component]
fn CommandSection(name: String) -> impl IntoView {
    let name = StoredValue::new(name);
    let command = RwSignal::new(String::new());
    let running = RwSignal::new(false);
    let output = RwSignal::new(None::<ExecOutput>);
    let error = RwSignal::new(None::<ApiError>);
    let run = move || {
        let text = command.get_untracked();
        if text.trim().is_empty() || running.get_untracked() {
            return;
        }
        running.set(true);
        error.set(None);
        let params = ExecRequest {
            name: name.get_value(),
            argv: vec!["/bin/sh".to_string(), "-c".to_string(), text],
        };
        leptos::task::spawn_local(async move {
            let result = ipc::call::<ExecInSandbox>(&params).await;
            running.try_set(false);
            match result {
                Ok(out) => {
                    output.try_set(Some(out));
                }
                Err(e) => {
                    output.try_set(None);
                    error.try_set(Some(e));
                }
            }
        });
    };
    view! {
        <section class="command" aria-labelledby="command-heading">
            <h2 id="command-heading">"Run a command"</h2>
            <form class="toolbar" on:submit=move |ev| { ev.prevent_default(); run(); }>
                <input class="grow mono" aria-label="Command" placeholder="ls -la | head" autocomplete="off" spellcheck="false"
                    prop:value=move || command.get() on:input=move |ev| command.set(event_target_value(&ev))
                    on:change=move |ev| command.set(event_target_value(&ev)) />
                <button type="submit" aria-label="Run" disabled=move || running.get() || command.get().trim().is_empty()>"Run"</button>
                <Show when=move || running.get()><span class="muted" role="status">"Running…"</span></Show>
            </form>
            <p class="hint">"Runs with /bin/sh -c, so pipes and quotes work."</p>
            <ErrorLine error=error />
            {move || output.get().map(|out| {
                let text = if out.stderr.is_empty() {
                    out.stdout.clone()
                } else if out.stdout.is_empty() {
                    out.stderr.clone()
                } else {
                    format!("{}\n{}", out.stdout.trim_end_matches('\n'), out.stderr)
                };
                view! {
                    <p class="exit-code" class:error={out.exit_code != 0} role="status">{format!("exit code {}", out.exit_code)}</p>
                    <pre class="log" aria-label="Command output">{shown(&text)}</pre>
                }
            })}
        </section>
    }
}
