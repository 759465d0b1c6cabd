//! Moving a snapshot to another machine (N10): [`Core::export_snapshot`] writes one file — a tar of `snapshot.json`
//! (the record and configuration) and `image.tar` (the image as `docker save` writes it) — and
//! [`Core::import_snapshot`] loads one. An export file may come from anyone, so an import trusts nothing in it.
//!
//! An import checks the whole file before anything is loaded, recorded or changed:
//! - the outer tar holds `snapshot.json` (at most 1 MiB) and `image.tar`, each once, as regular files, and nothing
//!   else (no links, devices, directories or other names);
//! - `snapshot.json` passes the rules of a create: names, env names, ports (reserved range), CPUs, memory, lifetimes,
//!   cron, preset name, setup script size, repository mount path, credential paths. Host ports are bound to
//!   127.0.0.1, ids are fresh, credentials are off (a restore mounts them only when asked);
//! - `image.tar` holds only regular files and directories, and every name in it — `manifest.json`'s `RepoTags`,
//!   `repositories`, the annotations of `index.json` (the OCI layout of Docker 25 and later) — is the one image
//!   `snapshot.json` names, which must be of the app's form `sandbox-desktop/snapshot-<name>:<hex tag>`.
//!
//! The image is then streamed to the engine under a fresh temporary tag (`sandbox-desktop/import-<uuid>:load`): the
//! stream is a `docker save` archive of our own making — the file's entries, a `manifest.json` naming only the
//! temporary tag, no `repositories`, `index.json` or `oci-layout`, and the app's labels taken out of the image
//! configuration — so a file can never replace a tag the engine has, nor pass for another data dir's object. The
//! loaded image is committed under this data dir's labels and the temporary tag removed (by recovery too, after a
//! crash: the job's message names it).
//!
//! Neither direction holds the image in memory. The export streams the engine's archive into the file and writes
//! the `image.tar` tar header last, once its size is known; the import reads the file twice, once to check it
//! (seeking past layer data) and once to load it.

mod image_tar;
mod manifest;
mod outer;
mod progress;
pub(crate) mod tar_io;

use futures_util::StreamExt;
use sbx_api::{ApiError, JobKind, JobStage, Snapshot, SnapshotMode, SnapshotStatus, UiEvent};
use std::collections::BTreeMap;
use std::io;
use std::path::Path;
use std::sync::Arc;
use tokio::sync::mpsc;

use crate::engine::helpers::HelperOf;
use crate::engine::images::Commit;
use crate::jobs::{JobHandle, JobRow};
use crate::{Core, Error, Result, labels};
use image_tar::{ImageContents, stream_for_load};
use manifest::ImportPlan;
use outer::{inspect_export, write_export};
use progress::TransferProgress;
use tar_io::{CHUNKS_IN_FLIGHT, ChunkReader, ChunkWriter};

pub use manifest::ExportManifest;

/// Version of the export file format.
const EXPORT_FORMAT: u32 = 1;
/// Largest `snapshot.json` an import reads.
pub const MAX_SNAPSHOT_JSON: u64 = 1024 * 1024;
/// The repository of snapshot images, before the snapshot's name.
const SNAPSHOT_REPO: &str = "sandbox-desktop/snapshot-";
/// The repository of the temporary tags imports load images under, before a UUID.
pub const IMPORT_REPO: &str = "sandbox-desktop/import-";
/// What `snapshot.json` says at its top when it carries secret values.
pub const SECRETS_WARNING: &str = "This file contains the values of secret environment variables in plain \
     text (exported with --include-secrets). Keep it private, and delete it once it is imported.";

/// What an export wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExportReport {
    /// How many secret values went into the file (only with `include_secrets`, only of a full snapshot).
    pub secret_values: usize,
}

/// A checked `image.tar`: where it is in the file and what the load keeps of it.
#[derive(Debug, Clone)]
struct ImageArchive {
    /// Offset of its data in the export file.
    start: u64,
    /// Its size.
    len: u64,
    /// What is in it.
    contents: ImageContents,
}

impl Core {
    /// Write the snapshot (image, workspace — which is in the image — and configuration) to one file. Secret
    /// variables are written with empty values.
    pub async fn export_snapshot(&self, name: &str, file: &Path) -> Result<()> {
        self.export_snapshot_with(name, file, false)
            .await
            .map(|_| ())
    }

    /// [`Core::export_snapshot`]; with `include_secrets`, the values of a full snapshot's secret variables go into
    /// `snapshot.json` too (under `secrets`, with a `warning` at the top saying so). A scrubbing snapshot kept
    /// none, so its export has none whatever `include_secrets` says.
    pub async fn export_snapshot_with(
        &self,
        name: &str,
        file: &Path,
        include_secrets: bool,
    ) -> Result<ExportReport> {
        check_export_path(file)?;
        let record = self.snapshot_record(name).await?;
        if record.status() != SnapshotStatus::Active {
            return Err(ApiError::conflict(format!(
                "snapshot '{name}' is {}; only an active snapshot can be exported",
                record.status
            ))
            .into());
        }
        let image = record
            .image
            .clone()
            .ok_or_else(|| ApiError::conflict(format!("snapshot '{name}' has no image")))?;
        self.check_export_space(&image, file).await?;
        let secrets = if include_secrets && record.to_api().mode == SnapshotMode::Full {
            let values = self
                .secrets()
                .get(&record.id)
                .map_err(|e| Error::io("reading the snapshot's secret variables", e))?;
            Some(values.into_iter().collect::<BTreeMap<_, _>>())
        } else {
            None
        };
        let report = ExportReport {
            secret_values: secrets.as_ref().map_or(0, BTreeMap::len),
        };
        let manifest = ExportManifest {
            format: EXPORT_FORMAT,
            warning: secrets.as_ref().map(|_| SECRETS_WARNING.to_string()),
            snapshot: record.to_api(),
            spec: record.sandbox_spec()?,
            image: image.clone(),
            secrets,
        };
        let json = serde_json::to_vec_pretty(&manifest).map_err(|e| Error::Other(e.to_string()))?;
        let total = self.engine().image_size(&image).await.unwrap_or(0).max(0) as u64;
        let mut progress = TransferProgress::new(
            self.event_sender(),
            uuid::Uuid::new_v4().to_string(),
            JobKind::Export,
            name,
            total,
        );
        let mut stream = self.engine().export_image(&image).await?;
        let (chunks, received) = mpsc::channel(CHUNKS_IN_FLIGHT);
        let target = file.to_path_buf();
        let writer = tokio::task::spawn_blocking(move || {
            write_export(&target, &json, ChunkReader::new(received))
        });
        let mut engine_error = None;
        while let Some(chunk) = stream.next().await {
            match chunk {
                Ok(bytes) => {
                    progress.add(bytes.len());
                    // A closed channel: the writer stopped, and its error says why.
                    if chunks.send(Ok(bytes)).await.is_err() {
                        break;
                    }
                }
                Err(e) => {
                    let _ = chunks
                        .send(Err(io::Error::other("the engine's image stream failed")))
                        .await;
                    engine_error = Some(e);
                    break;
                }
            }
        }
        drop(chunks);
        let written = writer
            .await
            .map_err(|e| Error::Other(format!("writing the export: {e}")))?;
        let result = match (engine_error, written) {
            (Some(error), _) => Err(error),
            (None, written) => {
                written.map_err(|e| Error::io(format!("writing {}", file.display()), e))
            }
        };
        progress.finish(result.as_ref().err().map(|e| e.to_string()));
        result.map(|()| report)
    }

    /// Load a snapshot written by [`Core::export_snapshot`] (on this or another machine). The file is checked whole
    /// first (see the module documentation); one that does not match itself is refused with an error on `file` or
    /// on the field of `snapshot.json` at fault, and nothing is loaded, recorded or changed.
    pub async fn import_snapshot(self: &Arc<Self>, file: &Path) -> Result<Snapshot> {
        check_import_path(file)?;
        let path = file.to_path_buf();
        let (plan, archive) = tokio::task::spawn_blocking(move || inspect_export(&path))
            .await
            .map_err(|e| Error::Other(format!("reading the export: {e}")))??;
        let name = plan.snapshot.name.clone();
        if self.snapshot_record(&name).await.is_ok() {
            return Err(ApiError::conflict(format!(
                "a snapshot named '{name}' already exists here; delete or rename it first"
            ))
            .into());
        }
        self.engine().connect().await?;
        self.check_import_space(archive.len).await?;
        let job = self.begin_job(JobKind::Import, &name).await?;
        let temporary = format!("{IMPORT_REPO}{}:load", uuid::Uuid::new_v4().simple());
        let result = self
            .load_import(&job, file, &archive, &plan, &temporary)
            .await;
        self.remove_image_tag(&temporary).await;
        match result {
            Ok(snapshot) => {
                job.succeed().await?;
                self.emit(UiEvent::SnapshotsChanged);
                Ok(snapshot)
            }
            Err(error) => {
                job.fail(&error.to_string()).await?;
                Err(error)
            }
        }
    }

    /// Load the checked image under the tag `temporary`, commit it under this data dir's labels and record the
    /// snapshot (its secret values in the secret store).
    async fn load_import(
        &self,
        job: &JobHandle,
        file: &Path,
        archive: &ImageArchive,
        plan: &ImportPlan,
        temporary: &str,
    ) -> Result<Snapshot> {
        let name = plan.snapshot.name.clone();
        // Recovery reads the message: the temporary tag an interrupted import may have loaded, to be removed.
        job.stage(JobStage::Loading, temporary, None).await;
        let (chunks, received) = mpsc::channel::<io::Result<Vec<u8>>>(CHUNKS_IN_FLIGHT);
        let failed = chunks.clone();
        let (source, checked, tag) = (file.to_path_buf(), archive.clone(), temporary.to_string());
        let writer = tokio::task::spawn_blocking(move || {
            let written = stream_for_load(&source, &checked, &tag, ChunkWriter::new(chunks));
            if let Err(error) = &written {
                // The engine must not take a cut stream for a whole one.
                let _ = failed.blocking_send(Err(io::Error::other(error.to_string())));
            }
            written
        });
        let progress = TransferProgress::new(
            self.event_sender(),
            job.id.clone(),
            JobKind::Import,
            &name,
            archive.len,
        );
        let body = futures_util::stream::unfold(
            (received, progress),
            |(mut received, mut progress)| async move {
                let chunk = received.recv().await?;
                if let Ok(bytes) = &chunk {
                    progress.add(bytes.len());
                }
                Some((chunk, (received, progress)))
            },
        );
        let engine_error = self.engine().load_image(body).await.err();
        let written = writer
            .await
            .map_err(|e| Error::Other(format!("reading the export: {e}")))?;
        match (written, engine_error) {
            (Err(e), _) if e.kind() == io::ErrorKind::InvalidData => {
                return Err(ApiError::invalid(
                    sbx_api::Field::File,
                    file.display().to_string(),
                    format!("the file changed while it was imported: {e}"),
                )
                .into());
            }
            (_, Some(error)) => return Err(error),
            (Err(e), None) => return Err(Error::io("reading the export", e)),
            (Ok(()), None) => {}
        }
        if !self.image_exists(temporary).await? {
            return Err(Error::Other(format!(
                "the engine did not load the image under {temporary}"
            )));
        }

        // Relabel for this data dir: a commit of an unchanged container of the loaded image.
        job.stage(JobStage::Committing, temporary, None).await;
        let id = uuid::Uuid::new_v4().to_string();
        let image_repo = format!("{SNAPSHOT_REPO}{name}");
        let image_tag = id.split('-').next().unwrap_or(&id).to_string();
        let final_image = format!("{image_repo}:{image_tag}");
        let mut snapshot = plan.snapshot.clone();
        snapshot.id = id.clone();
        snapshot.image = Some(final_image.clone());
        let mut spec = plan.spec.clone();
        spec.image = final_image.clone();
        let mut image_labels = labels::base(self.paths().instance(), labels::KIND_SNAPSHOT);
        image_labels.insert(labels::ID.into(), id.clone());
        image_labels.insert(labels::NAME.into(), name.clone());
        image_labels.insert(labels::SOURCE.into(), snapshot.source_sandbox_name.clone());
        image_labels.insert(
            labels::RECORD.into(),
            serde_json::json!({ "snapshot": snapshot, "spec": spec }).to_string(),
        );
        let of = HelperOf {
            instance: self.paths().instance(),
            job: &job.id,
            snapshot: None,
        };
        let helper = self.engine().create_helper(temporary, of).await?;
        let committed = self
            .engine()
            .commit(Commit {
                container: &helper,
                repo: &image_repo,
                tag: &image_tag,
                comment: None,
                labels: image_labels,
            })
            .await;
        self.engine().remove_helper(&helper).await;
        committed?;

        // The secret values first: a record rebuilt from the image's labels finds them in place.
        let undo = |error: Error| async move {
            let _ = self.secrets().remove(&id);
            self.remove_image_tag(&final_image).await;
            Err(error)
        };
        if let Err(e) = self.secrets().put(&snapshot.id, &plan.secrets) {
            return undo(Error::io("keeping the secret variables", e)).await;
        }
        match self.insert_snapshot_record(&snapshot, &spec).await {
            Ok(true) => {}
            // Recovery in another process may have rebuilt it from the labels already.
            Ok(false)
                if self
                    .snapshot_record(&name)
                    .await
                    .is_ok_and(|r| r.id == snapshot.id) => {}
            Ok(false) => {
                return undo(
                    ApiError::conflict(format!(
                        "a snapshot named '{name}' was made here while this one was imported"
                    ))
                    .into(),
                )
                .await;
            }
            Err(error) => return undo(error).await,
        }
        Ok(self.snapshot_record(&name).await?.to_api())
    }

    /// An import whose process died: the committed image (if any) carries the record in its labels and is rebuilt
    /// from them; the temporary tag it loaded the file's image under is removed.
    pub(crate) async fn recover_import_job(&self, job: &JobRow) {
        if matches!(
            job.job_stage(),
            Some(JobStage::Loading | JobStage::Committing)
        ) && !job.message.is_empty()
        {
            self.remove_image_tag(&job.message).await;
        }
    }

    /// Remove one tag of an image (the image goes when nothing else names or uses it). Best effort.
    async fn remove_image_tag(&self, image: &str) {
        let _ = self.engine().untag_image(image).await;
    }
}

/// Refuse, before anything is read or made, an export file that cannot be one: no file name, a folder, or a folder
/// to put it in that does not exist. A symlink at the path is replaced by the file, never written through.
fn check_export_path(file: &Path) -> Result<()> {
    let shown = file.display().to_string();
    let refuse =
        |why: &str| -> Error { ApiError::invalid(sbx_api::Field::File, &shown, why).into() };
    if file.file_name().is_none() {
        return Err(refuse("needs a file name"));
    }
    if std::fs::symlink_metadata(file).is_ok_and(|m| m.is_dir()) {
        return Err(refuse("is a folder; give the path of a file to write"));
    }
    let parent = match file.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    if !std::fs::metadata(parent).is_ok_and(|m| m.is_dir()) {
        return Err(refuse("its folder does not exist"));
    }
    Ok(())
}

/// Refuse, before it is opened, an import file that is not a regular file (symlinks followed): a folder, a device
/// or a named pipe, which an open or a read could block on forever.
fn check_import_path(file: &Path) -> Result<()> {
    let shown = file.display().to_string();
    let refuse =
        |why: String| -> Error { ApiError::invalid(sbx_api::Field::File, &shown, why).into() };
    match std::fs::metadata(file) {
        Ok(meta) if meta.is_file() => Ok(()),
        Ok(_) => Err(refuse(
            "is not a regular file (a folder, a device or a pipe); give a snapshot export file"
                .into(),
        )),
        Err(e) => Err(refuse(format!("cannot be read: {e}"))),
    }
}
