//! Removing what a test made in the engine, also when the test failed, panicked or was killed: each clean-up is
//! written down in the temporary folder (`sandbox-desktop-e2e-unfinished/`) before the test starts and crossed
//! out when done, so the next test finishes what a dead test process left.

use bollard::query_parameters::ListImagesOptionsBuilder;
use std::path::PathBuf;

use crate::fixtures::{docker, engine_objects};

/// Remove every container, image and volume labelled with `instance`, and the images named `repositories`
/// (any tag). Best effort: what is left afterwards is reported, not fatal.
pub async fn remove_engine_objects(instance: &str, repositories: &[String]) -> Vec<String> {
    let docker = match docker().await {
        Ok(docker) => docker,
        Err(error) => return vec![format!("no engine: {error}")],
    };
    let _ = sbx_core::Engine::from_env().purge_instance(instance).await;
    let mut problems = Vec::new();
    if !repositories.is_empty() {
        match docker
            .list_images(Some(ListImagesOptionsBuilder::default().build()))
            .await
        {
            Ok(list) => {
                for tag in list.into_iter().flat_map(|i| i.repo_tags) {
                    let named = tag.rsplit_once(':').is_some_and(|(repository, _)| {
                        repositories.iter().any(|r| r == repository)
                    });
                    if named
                        && let Err(error) = docker
                            .remove_image(
                                &tag,
                                None::<bollard::query_parameters::RemoveImageOptions>,
                                None,
                            )
                            .await
                    {
                        problems.push(format!("image {tag}: {error}"));
                    }
                }
            }
            Err(error) => problems.push(format!("listing images: {error}")),
        }
    }
    match engine_objects(instance).await {
        Ok((containers, volumes, images)) => {
            problems.extend(
                containers
                    .into_iter()
                    .map(|c| format!("container {c} left")),
            );
            problems.extend(volumes.into_iter().map(|v| format!("volume {v} left")));
            problems.extend(images.into_iter().map(|i| format!("image {i} left")));
        }
        Err(error) => problems.push(format!("listing what is left: {error}")),
    }
    problems
}

/// Removes the engine objects of a data dir when dropped — also when the test failed or panicked. A test process
/// killed outright runs no Drop: each clean-up is therefore written down first (see [`unfinished_dir`], with the
/// test process's pid) and crossed out when done, and the next test finishes what a dead process left.
pub struct EngineCleanup {
    instance: String,
    repositories: Vec<String>,
}

/// Where unfinished clean-ups are written down: one file per instance, the pid on its first line, then the image
/// repositories to remove. In the machine's temporary folder, not under `target/`: a run killed in one clone of
/// the repository is cleaned up by the next run in any other clone (they share the engine).
fn unfinished_dir() -> PathBuf {
    std::env::temp_dir().join("sandbox-desktop-e2e-unfinished")
}

/// Run `remove_engine_objects` on a thread and runtime of its own (callers may be inside a runtime, or
/// unwinding) and answer what is left.
fn remove_on_own_thread(instance: String, repositories: Vec<String>) -> Vec<String> {
    let worker = std::thread::spawn(move || {
        match tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        {
            Ok(runtime) => runtime.block_on(remove_engine_objects(&instance, &repositories)),
            Err(error) => vec![format!("no runtime for the clean-up: {error}")],
        }
    });
    worker
        .join()
        .unwrap_or_else(|_| vec!["the clean-up panicked".to_string()])
}

/// Finish the clean-ups written down by test processes that are gone (killed before their Drop ran).
fn finish_unfinished_cleanups() {
    let Ok(entries) = std::fs::read_dir(unfinished_dir()) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let (Some(instance), Ok(text)) = (
            path.file_name()
                .and_then(|n| n.to_str())
                .map(str::to_string),
            std::fs::read_to_string(&path),
        ) else {
            continue;
        };
        let mut lines = text.lines();
        let pid = lines.next().and_then(|l| l.trim().parse::<u32>().ok());
        if pid.is_some_and(sbx_core::jobs::process_alive) {
            continue;
        }
        let repositories = lines.map(str::to_string).collect();
        let problems = remove_on_own_thread(instance.clone(), repositories);
        if problems.is_empty() {
            let _ = std::fs::remove_file(&path);
        } else {
            for problem in problems {
                eprintln!("e2e clean-up left by an earlier run, instance {instance}: {problem}");
            }
        }
    }
}

impl EngineCleanup {
    /// Clean up after the data dir whose instance is `instance`, and the images named `repositories`. First
    /// finishes what killed test runs left behind (their sandboxes would hold the names this test uses).
    pub fn new(instance: impl Into<String>, repositories: Vec<String>) -> EngineCleanup {
        finish_unfinished_cleanups();
        let instance = instance.into();
        let note = std::iter::once(std::process::id().to_string())
            .chain(repositories.iter().cloned())
            .collect::<Vec<_>>()
            .join("\n");
        if let Err(error) = std::fs::create_dir_all(unfinished_dir())
            .and_then(|()| std::fs::write(unfinished_dir().join(&instance), note))
        {
            eprintln!("e2e clean-up of instance {instance} not written down: {error}");
        }
        EngineCleanup {
            instance,
            repositories,
        }
    }
}

impl Drop for EngineCleanup {
    fn drop(&mut self) {
        let problems = remove_on_own_thread(self.instance.clone(), self.repositories.clone());
        if problems.is_empty() {
            let _ = std::fs::remove_file(unfinished_dir().join(&self.instance));
        }
        for problem in problems {
            eprintln!("e2e clean-up of instance {}: {problem}", self.instance);
        }
    }
}
