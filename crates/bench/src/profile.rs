//! Launching from a profile: a profile of the benchmark image whose setup script writes a file is published and its
//! snapshot job run once; then launch-to-ready from the ready version plus a first exec (`create --profile`) is timed
//! against `docker run -d` of the same snapshot image plus the first `docker exec`.

use anyhow::{Result, ensure};
use bollard::Docker;
use sbx_api::{
    CreateSandboxRequest, ExecRequest, GitChoice, ProfileJobStatus, ProfileRequest, SnapshotChoice,
};
use sbx_core::Core;
use std::sync::Arc;
use std::time::Instant;

use crate::{Row, exec_true, image, median, remove, run_detached};

/// The row "launch from a ready profile version + first exec".
pub async fn row(core: &Arc<Core>, docker: &Docker, runs: usize) -> Result<Row> {
    let profile = "bench-profile";
    core.create_profile(&ProfileRequest {
        name: profile.into(),
        image: Some(image()),
        setup_script_text: Some("#!/bin/sh\necho prepared > /root/prepared\n".into()),
        ..Default::default()
    })
    .await?;
    let queued = core.publish_profile(profile).await?;
    let job = core.wait_profile_job(&queued.id, true, |_| {}).await?;
    ensure!(
        job.status == ProfileJobStatus::Ready,
        "the snapshot job ended {job:?}"
    );
    let snapshot = job.image.clone().unwrap_or_default();
    let mut ours = Vec::new();
    let mut raw = Vec::new();
    for i in 0..runs {
        let name = format!("bench-profile-{i}");
        let started = Instant::now();
        core.create_sandbox(&CreateSandboxRequest {
            name: Some(name.clone()),
            profile: Some(profile.into()),
            git: GitChoice::Off,
            snapshot: SnapshotChoice::Off,
            no_credentials: true,
            wait_for_ready: true,
            ..Default::default()
        })
        .await?;
        core.exec_collect(&ExecRequest {
            name: name.clone(),
            argv: vec!["true".into()],
        })
        .await?;
        ours.push(started.elapsed());
        core.delete_sandbox(&name, true).await?;

        let started = Instant::now();
        let id = run_detached(docker, &snapshot, &format!("bench-rawprofile-{i}")).await?;
        exec_true(docker, &id).await?;
        raw.push(started.elapsed());
        remove(docker, &id).await;
    }
    core.delete_profile(profile).await?;
    Ok(Row {
        what: "launch from a ready profile + first exec".into(),
        ours: median(ours),
        raw: median(raw),
        peak_kib: None,
    })
}
