//! A profile's versions: a table (version, published, snapshot status, usable, last refresh result, **Refresh**,
//! **Output**) and the output viewer of a snapshot job — what was kept when it is opened, then, while the job
//! runs, what arrives with the app's events.

use leptos::prelude::*;
use sbx_api::{
    ApiError, Profile, ProfileJob, ProfileJobStatus, ProfileVersion, RefreshProfileRequest,
    requests::{GetProfileJob, RefreshProfile},
};

use crate::dialog::send;
use crate::fetched::fetched;
use crate::ipc;
use crate::live::use_live;
use crate::widgets::{ErrorLine, ProfileBadge, format_time};

/// The last refresh result as a table cell says it: `failed 2026-11-30 10:00`.
pub(super) fn last_result(job: &ProfileJob) -> String {
    let when = job.finished_at.or(job.started_at).unwrap_or(job.queued_at);
    format!("{} {} ({})", job.trigger, job.status, format_time(when))
}

/// The versions table, its messages and the job output viewer.
#[component]
pub(super) fn VersionsSection(
    name: String,
    profile: Memo<Option<Profile>>,
    viewing: RwSignal<Option<String>>,
) -> impl IntoView {
    let versions = Memo::new(move |_| {
        profile.with(|p| p.as_ref().map(|p| p.versions.clone()).unwrap_or_default())
    });
    let error = RwSignal::new(None::<ApiError>);
    let notice = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let refresh = Callback::new({
        let name = name.clone();
        move |(number, force): (u32, bool)| {
            if busy.get_untracked() {
                return;
            }
            notice.set(None);
            let request = RefreshProfileRequest {
                profile: format!("{name}@{number}"),
                force,
            };
            send::<RefreshProfile>(busy, error, request, move |answer| match answer {
                Ok(job) if job.status == ProfileJobStatus::Unchanged => {
                    notice.try_set(Some(format!(
                        "Version {number}: {}",
                        job.error.unwrap_or_else(|| "unchanged".into())
                    )));
                }
                Ok(job) => {
                    viewing.try_set(Some(job.id));
                }
                Err(failure) => {
                    error.try_set(Some(failure));
                }
            });
        }
    });
    view! {
        <section class="section-block" aria-label="Versions">
            <h2>"Versions"</h2>
            {move || if versions.with(Vec::is_empty) {
                view! { <p class="muted">"No published version yet: Publish the draft to make version 1 and its snapshot."</p> }.into_any()
            } else {
                view! {
                    <table class="table" aria-label="Versions">
                        <thead>
                            <tr>
                                <th scope="col">"Version"</th>
                                <th scope="col">"Published"</th>
                                <th scope="col">"Snapshot"</th>
                                <th scope="col">"Usable"</th>
                                <th scope="col">"Last refresh"</th>
                                <th scope="col"><span class="sr-only">"Actions"</span></th>
                            </tr>
                        </thead>
                        <tbody>
                            <For each=move || versions.get() key=|v| (v.number, v.status, v.last_job.as_ref().map(|j| (j.id.clone(), j.status)))
                                children=move |version| view! { <VersionRow version=version refresh=refresh viewing=viewing /> } />
                        </tbody>
                    </table>
                }.into_any()
            }}
            {move || notice.get().map(|text| view! { <p class="notice" role="status">{text}</p> })}
            <ErrorLine error=error />
            {move || viewing.get().map(|job| view! { <JobOutputViewer job_id=job viewing=viewing /> })}
        </section>
    }
}

/// One version's row.
#[component]
fn VersionRow(
    version: ProfileVersion,
    refresh: Callback<(u32, bool)>,
    viewing: RwSignal<Option<String>>,
) -> impl IntoView {
    let number = version.number;
    let in_flight = version.status.in_flight();
    let title = version.unusable_reason.clone().unwrap_or_default();
    let last = version.last_job.clone();
    let last_text = last.as_ref().map(last_result).unwrap_or_else(|| "—".into());
    let last_title = last
        .as_ref()
        .and_then(|j| j.error.clone())
        .unwrap_or_default();
    let last_failed = last
        .as_ref()
        .is_some_and(|j| j.status == ProfileJobStatus::Failed && version.usable);
    let job_id = last.map(|j| j.id);
    let status = Some(version.status);
    view! {
        <tr data-version=number.to_string()>
            <td class="name">{format!("Version {number}")}</td>
            <td>{format_time(version.published_at)}</td>
            <td class="status"><ProfileBadge status=status title=title /></td>
            <td class="usable">{if version.usable { "yes" } else { "no" }}</td>
            <td class="last-refresh" class:bad=last_failed title=last_title>
                {last_text}
                {last_failed.then(|| view! { <span class="muted">" — still launches from its last snapshot"</span> })}
            </td>
            <td class="row-actions">
                <button class="small" aria-label=format!("Refresh version {number}")
                    disabled=in_flight
                    on:click=move |_| refresh.run((number, false))>"Refresh"</button>
                {job_id.map(|id| view! {
                    <button class="small" aria-label=format!("Output of version {number}")
                        on:click=move |_| viewing.set(Some(id.clone()))>"Output"</button>
                })}
            </td>
        </tr>
    }
}

/// The output of a snapshot job: what the app kept, fetched again when the job moves on, followed by what
/// arrived with the app's events since.
#[component]
fn JobOutputViewer(job_id: String, viewing: RwSignal<Option<String>>) -> impl IntoView {
    let live = use_live();
    let fetched = {
        let id = job_id.clone();
        fetched(move || {
            live.profiles.track();
            let id = id.clone();
            async move {
                let answer = ipc::call::<GetProfileJob>(&id).await;
                // What arrived live until now is in the answer (the app keeps output before it sends it).
                let seen = live
                    .profile_output
                    .with_untracked(|all| all.get(&id).map_or(0, String::len));
                (answer, seen)
            }
        })
    };
    let id = job_id.clone();
    let text = move || {
        let Some((answer, seen)) = fetched.get() else {
            return String::new();
        };
        let kept = match answer {
            Ok(output) => output.output,
            Err(error) => return error.to_string(),
        };
        let newer = live.profile_output.with(|all| {
            all.get(&id)
                .and_then(|text| text.get(seen..))
                .unwrap_or_default()
                .to_string()
        });
        format!("{kept}{newer}")
    };
    let heading = move || {
        fetched
            .get()
            .and_then(|(answer, _)| answer.ok())
            .map(|o| {
                format!(
                    "Job {} of version {} — {} ({})",
                    o.job.id.get(..8).unwrap_or(&o.job.id),
                    o.job.version,
                    o.job.status,
                    o.job.trigger
                )
            })
            .unwrap_or_else(|| "Job output".to_string())
    };
    view! {
        <section class="job-output" aria-label="Job output">
            <div class="job-output-head">
                <h3>{heading}</h3>
                <button class="small" aria-label="Close output" on:click=move |_| viewing.set(None)>"Close"</button>
            </div>
            <pre class="log" data-job=job_id aria-live="polite">{text}</pre>
        </section>
    }
}
