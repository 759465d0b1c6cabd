//! Small pieces used across pages: status badges, error lines, progress of long work, and time formatting.

use chrono::{DateTime, FixedOffset, Utc};
use leptos::prelude::*;
use sbx_api::{ApiError, JobKind, ProfileJobStatus, Progress, SandboxState};
use wasm_bindgen::JsValue;

use crate::live::use_live;

/// The colour of a badge: what its state means for the user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Tone {
    /// Working as it should (green).
    Ok,
    /// Work in progress (blue, with a spinner).
    Busy,
    /// At rest (grey).
    #[default]
    Idle,
    /// Failed (red).
    Bad,
}

impl Tone {
    /// The tone of a sandbox's state (`None`: not known yet).
    pub fn of_sandbox(state: Option<SandboxState>) -> Tone {
        match state {
            Some(SandboxState::Running) => Tone::Ok,
            Some(SandboxState::Creating | SandboxState::SettingUp) => Tone::Busy,
            Some(SandboxState::SetupFailed | SandboxState::Failed) => Tone::Bad,
            Some(SandboxState::Stopped) | None => Tone::Idle,
        }
    }

    /// The tone of a profile version's snapshot status or a snapshot job's (`None`: no version yet).
    pub fn of_profile(status: Option<ProfileJobStatus>) -> Tone {
        match status {
            Some(ProfileJobStatus::Ready) => Tone::Ok,
            Some(ProfileJobStatus::Queued | ProfileJobStatus::Running) => Tone::Busy,
            Some(ProfileJobStatus::Failed) => Tone::Bad,
            Some(ProfileJobStatus::Unchanged) | None => Tone::Idle,
        }
    }

    /// The tone of a container's state as the engine words it (`running`, `exited`, `dead`, ...).
    pub fn of_container(state: &str) -> Tone {
        match state {
            "running" => Tone::Ok,
            "dead" => Tone::Bad,
            _ => Tone::Idle,
        }
    }

    fn class(self) -> &'static str {
        match self {
            Tone::Ok => "badge badge-ok",
            Tone::Busy => "badge badge-busy",
            Tone::Idle => "badge badge-idle",
            Tone::Bad => "badge badge-bad",
        }
    }
}

/// A coloured badge: the state's word in its tone; busy states get a spinner.
#[component]
pub fn Badge(
    #[prop(into)] state: Signal<String>,
    #[prop(into)] tone: Signal<Tone>,
    #[prop(optional, into)] title: Signal<String>,
) -> impl IntoView {
    let class = move || tone.get().class();
    let busy = move || tone.get() == Tone::Busy;
    view! {
        <span class=class title=move || title.get() role="status">
            <Show when=busy>
                <span class="spinner" aria-hidden="true"></span>
            </Show>
            {move || state.get()}
        </span>
    }
}

/// A sandbox's state as a badge (empty while the sandbox is not known).
#[component]
pub fn SandboxBadge(
    #[prop(into)] state: Signal<Option<SandboxState>>,
    #[prop(optional, into)] title: Signal<String>,
) -> impl IntoView {
    let word = Signal::derive(move || {
        state
            .get()
            .map(|s| s.as_str().to_string())
            .unwrap_or_default()
    });
    let tone = Signal::derive(move || Tone::of_sandbox(state.get()));
    view! { <Badge state=word tone=tone title=title /> }
}

/// A profile version's snapshot status (or a job's) as a badge; `None` reads "draft".
#[component]
pub fn ProfileBadge(
    #[prop(into)] status: Signal<Option<ProfileJobStatus>>,
    #[prop(optional, into)] title: Signal<String>,
) -> impl IntoView {
    let word = Signal::derive(move || {
        status
            .get()
            .map(|s| s.as_str().to_string())
            .unwrap_or_else(|| "draft".to_string())
    });
    let tone = Signal::derive(move || Tone::of_profile(status.get()));
    view! { <Badge state=word tone=tone title=title /> }
}

/// An error line, shown where the error happened.
/// Previous, "Page N of M" and Next under a paginated table; `label` names the navigation ("Snapshot pages").
#[component]
pub fn Pager(
    page: RwSignal<u32>,
    #[prop(into)] page_count: Signal<u32>,
    label: &'static str,
) -> impl IntoView {
    view! {
        <nav class="pager" aria-label=label>
            <button
                class="small"
                aria-label="Previous"
                disabled=move || { page.get() <= 1 }
                on:click=move |_| page.update(|page| *page = page.saturating_sub(1).max(1))
            >
                "Previous"
            </button>
            <span class="muted">"Page " {move || page.get()} " of " {move || page_count.get()}</span>
            <button
                class="small"
                aria-label="Next"
                disabled=move || { page.get() >= page_count.get() }
                on:click=move |_| {
                    let last = page_count.get_untracked();
                    page.update(|page| *page = page.saturating_add(1).min(last));
                }
            >
                "Next"
            </button>
        </nav>
    }
}

/// The number of pages `total` items fill at `per_page` a page (at least one).
pub fn page_count(total: usize, per_page: usize) -> u32 {
    u32::try_from(total.div_ceil(per_page.max(1)).max(1)).unwrap_or(u32::MAX)
}

#[component]
pub fn ErrorLine(#[prop(into)] error: Signal<Option<ApiError>>) -> impl IntoView {
    view! {
        <Show when=move || error.get().is_some()>
            <p class="error" role="alert">{move || error.get().map(|e| e.to_string()).unwrap_or_default()}</p>
        </Show>
    }
}

/// A time as the user's local `YYYY-MM-DD HH:MM` (the browser knows the local offset; chrono on wasm does not).
pub fn format_time(at: DateTime<Utc>) -> String {
    const FORMAT: &str = "%Y-%m-%d %H:%M";
    let js_date = js_sys::Date::new(&JsValue::from_f64(at.timestamp_millis() as f64));
    // getTimezoneOffset is UTC minus local, in minutes.
    let east_seconds = -(js_date.get_timezone_offset() as i32) * 60;
    match FixedOffset::east_opt(east_seconds) {
        Some(offset) => at.with_timezone(&offset).format(FORMAT).to_string(),
        None => at.format(FORMAT).to_string(),
    }
}

/// The verb for a kind of long work, as in "Creating teal-tokyo: cloning…".
fn job_verb(kind: JobKind) -> &'static str {
    match kind {
        JobKind::Create => "Creating",
        JobKind::Snapshot => "Snapshotting",
        JobKind::Restore => "Restoring",
        JobKind::Clone => "Cloning",
        JobKind::Import => "Importing",
        JobKind::Export => "Exporting",
        JobKind::Profile => "Baking",
    }
}

/// One line of progress of long work: "Creating teal-tokyo: cloning…", its latest output and a bar when measurable.
#[component]
pub fn JobProgress(progress: Progress) -> impl IntoView {
    let headline = format!(
        "{} {}: {}…",
        job_verb(progress.kind),
        progress.target,
        progress.stage
    );
    let failed = progress.error.is_some();
    let detail = progress
        .error
        .clone()
        .unwrap_or_else(|| progress.message.clone());
    let percent = progress
        .fraction
        .map(|f| (f.clamp(0.0, 1.0) * 100.0).round() as u32);
    view! {
        <div class="progress-line" class:error=failed role="status" data-job=progress.job_id.clone()>
            {(!failed).then(|| view! { <span class="spinner" aria-hidden="true"></span> })}
            <span class="progress-headline">{headline}</span>
            {percent.map(|p| view! {
                <span class="progress" role="progressbar" aria-valuemin="0" aria-valuemax="100" aria-valuenow=p.to_string()>
                    <span style=format!("width: {p}%")></span>
                </span>
            })}
            {(!detail.is_empty()).then(|| view! {
                <span class="progress-message muted" title=detail.clone()>{detail.clone()}</span>
            })}
        </div>
    }
}

/// A job that failed to make a sandbox: what and why, until the user dismisses it.
#[component]
pub fn FailedJob(progress: Progress) -> impl IntoView {
    let live = use_live();
    let job_id = progress.job_id.clone();
    let dismiss = move |_| live.dismiss_failure(&job_id);
    let headline = format!("{} {} failed", job_verb(progress.kind), progress.target);
    let reason = progress.error.clone().unwrap_or_default();
    view! {
        <div class="progress-line error" role="alert" data-failed-job=progress.job_id.clone()>
            <span class="progress-headline">{headline}</span>
            <span class="failure-reason">{reason}</span>
            <button class="link" aria-label=format!("Dismiss the failure of {}", progress.target) on:click=dismiss>"Dismiss"</button>
        </div>
    }
}

/// Progress lines of every running job whose target is `target` (a sandbox name), live.
#[component]
pub fn TargetProgress(#[prop(into)] target: Signal<String>) -> impl IntoView {
    let live = use_live();
    let jobs = Memo::new(move |_| {
        let target = target.get();
        live.progress.with(|map| {
            map.values()
                .filter(|p| p.target == target)
                .cloned()
                .collect::<Vec<_>>()
        })
    });
    view! {
        <For
            each=move || jobs.get()
            key=|p| (p.job_id.clone(), p.stage, p.message.clone(), p.fraction.map(f32::to_bits), p.error.clone())
            children=|p| view! { <JobProgress progress=p /> }
        />
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tones_of_states() {
        assert_eq!(Tone::of_sandbox(Some(SandboxState::Running)), Tone::Ok);
        assert_eq!(Tone::of_sandbox(Some(SandboxState::SettingUp)), Tone::Busy);
        assert_eq!(Tone::of_sandbox(Some(SandboxState::SetupFailed)), Tone::Bad);
        assert_eq!(Tone::of_sandbox(None), Tone::Idle);
        assert_eq!(Tone::of_container("running"), Tone::Ok);
        assert_eq!(Tone::of_container("exited"), Tone::Idle);
        assert_eq!(Tone::of_container("dead"), Tone::Bad);
        assert_eq!(Tone::of_profile(Some(ProfileJobStatus::Ready)), Tone::Ok);
        assert_eq!(
            Tone::of_profile(Some(ProfileJobStatus::Running)),
            Tone::Busy
        );
        assert_eq!(Tone::of_profile(Some(ProfileJobStatus::Failed)), Tone::Bad);
        assert_eq!(Tone::of_profile(None), Tone::Idle);
    }

    #[test]
    fn verbs_of_jobs() {
        assert_eq!(job_verb(JobKind::Create), "Creating");
        assert_eq!(job_verb(JobKind::Restore), "Restoring");
    }

    #[test]
    fn page_counts() {
        assert_eq!(page_count(0, 50), 1);
        assert_eq!(page_count(50, 50), 1);
        assert_eq!(page_count(51, 50), 2);
        assert_eq!(page_count(1000, 50), 20);
    }
}
