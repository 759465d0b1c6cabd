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

use bollard::models::ContainerConfig;
use bollard::query_parameters::{
    CommitContainerOptionsBuilder, ImportImageOptionsBuilder, RemoveContainerOptionsBuilder,
    RemoveImageOptionsBuilder,
};
use futures_util::StreamExt;
use sbx_api::{ApiError, Snapshot, SnapshotMode, SnapshotStatus, UiEvent};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::Path;
use std::sync::Arc;
use tar::EntryType;
use tokio::sync::mpsc;

use crate::jobs::{JobHandle, JobRow};
use crate::sandbox::spec::SandboxSpec;
use crate::{Core, Error, Result, config, credentials, git, labels, validate};

/// Version of the export file format.
const EXPORT_FORMAT: u32 = 1;
/// Largest `snapshot.json` an import reads.
pub const MAX_SNAPSHOT_JSON: u64 = 1024 * 1024;
/// Largest `manifest.json`, `repositories` or `index.json` of `image.tar` an import reads.
const MAX_IMAGE_JSON: u64 = 1024 * 1024;
/// Most entries of `image.tar` an import reads.
const MAX_IMAGE_ENTRIES: usize = 10_000;
/// Largest image configuration an import reads (to take the app's labels out of it).
const MAX_IMAGE_CONFIG: u64 = 4 * 1024 * 1024;
/// Bytes per chunk between the engine's stream and the tar code on its blocking thread.
const CHUNK: usize = 256 * 1024;
/// Chunks in flight between them: with [`CHUNK`], at most 2 MiB.
const CHUNKS_IN_FLIGHT: usize = 8;
/// What every label of the app starts with; an imported image's own are taken out before it is loaded.
const APP_LABEL_PREFIX: &str = "dev.sandboxdesktop.";
/// The repository of snapshot images, before the snapshot's name.
const SNAPSHOT_REPO: &str = "sandbox-desktop/snapshot-";
/// The repository of the temporary tags imports load images under, before a UUID.
pub const IMPORT_REPO: &str = "sandbox-desktop/import-";
/// Where a sandbox without a repository starts its shells and setup script.
const WORKSPACE: &str = "/home/amika/workspace";
/// What `snapshot.json` says at its top when it carries secret values.
pub const SECRETS_WARNING: &str = "This file contains the values of secret environment variables in plain \
     text (exported with --include-secrets). Keep it private, and delete it once it is imported.";
/// Names in `image.tar` that an import leaves out of what it loads (it writes its own `manifest.json`).
const SAVE_METADATA: [&str; 4] = ["manifest.json", "repositories", "index.json", "oci-layout"];

/// What an export file's `snapshot.json` holds.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ExportManifest {
    /// The file format, 1.
    pub format: u32,
    /// [`SECRETS_WARNING`], when the file carries secret values.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warning: Option<String>,
    /// The snapshot as listed where it was exported.
    pub snapshot: Snapshot,
    /// Its configuration, secret variables with empty values.
    pub spec: SandboxSpec,
    /// The one name of the image `image.tar` holds.
    pub image: String,
    /// The values of the secret variables (name → value), only in a full snapshot's export with
    /// `--include-secrets`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secrets: Option<BTreeMap<String, String>>,
}

/// What an export wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExportReport {
    /// How many secret values went into the file (only with `include_secrets`, only of a full snapshot).
    pub secret_values: usize,
}

/// A checked `snapshot.json`: what the import records.
#[derive(Debug, Clone)]
struct ImportPlan {
    /// The record (fresh source id, `imported`); its id and image are set once committed.
    snapshot: Snapshot,
    /// The configuration (fresh id, host ports on 127.0.0.1, credentials off, secret values empty).
    spec: SandboxSpec,
    /// Secret values for the secret store (a full snapshot's only).
    secrets: Vec<(String, String)>,
    /// The image name the file says `image.tar` holds.
    image: String,
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

/// The parts of a checked `docker save` archive.
#[derive(Debug, Clone, PartialEq)]
struct ImageContents {
    /// Path of the image configuration.
    config: String,
    /// Paths of the layers, bottom first.
    layers: Vec<String>,
    /// Every regular file.
    files: HashSet<String>,
}

/// One entry of `manifest.json` (other keys, such as `Parent` or `LayerSources`, are not loaded).
#[derive(Debug, Deserialize)]
struct SavedImage {
    #[serde(rename = "Config")]
    config: String,
    #[serde(rename = "RepoTags", default)]
    repo_tags: Option<Vec<String>>,
    #[serde(rename = "Layers", default)]
    layers: Vec<String>,
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
        let docker = self.engine().client().await?;

        let (chunks, received) = mpsc::channel(CHUNKS_IN_FLIGHT);
        let target = file.to_path_buf();
        let writer = tokio::task::spawn_blocking(move || {
            write_export(&target, &json, ChunkReader::new(received))
        });
        let mut stream = docker.export_image(&image);
        let mut engine_error = None;
        while let Some(chunk) = stream.next().await {
            match chunk {
                Ok(bytes) => {
                    // A closed channel: the writer stopped, and its error says why.
                    if chunks.send(Ok(bytes)).await.is_err() {
                        break;
                    }
                }
                Err(e) => {
                    let _ = chunks
                        .send(Err(io::Error::other("the engine's image stream failed")))
                        .await;
                    engine_error = Some(self.engine().fail(e));
                    break;
                }
            }
        }
        drop(chunks);
        let written = writer
            .await
            .map_err(|e| Error::Other(format!("writing the export: {e}")))?;
        if let Some(error) = engine_error {
            return Err(error);
        }
        written.map_err(|e| Error::io(format!("writing {}", file.display()), e))?;
        Ok(report)
    }

    /// Load a snapshot written by [`Core::export_snapshot`] (on this or another machine). The file is checked whole
    /// first (see the module documentation); one that does not match itself is refused with an error on `file` or
    /// on the field of `snapshot.json` at fault, and nothing is loaded, recorded or changed.
    pub async fn import_snapshot(self: &Arc<Self>, file: &Path) -> Result<Snapshot> {
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
        self.engine().client().await?;
        let job = self.begin_job("import", &name).await?;
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
        let docker = self.engine().client().await?;
        let name = plan.snapshot.name.clone();
        // Recovery reads the message: the temporary tag an interrupted import may have loaded, to be removed.
        job.stage("loading", temporary, None).await;
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
        let body = futures_util::stream::unfold(received, |mut received| async move {
            received
                .recv()
                .await
                .map(|chunk| (chunk.map(Into::into), received))
        });
        let mut stream = docker.import_image(
            ImportImageOptionsBuilder::default().quiet(true).build(),
            bollard::body_try_stream(body),
            None,
        );
        let mut engine_error = None;
        while let Some(item) = stream.next().await {
            match item {
                Ok(info) => {
                    if let Some(detail) = info.error_detail {
                        engine_error = Some(Error::Other(format!(
                            "loading the image failed: {}",
                            detail.message.unwrap_or_default()
                        )));
                        break;
                    }
                }
                Err(e) => {
                    engine_error = Some(self.engine().fail(e));
                    break;
                }
            }
        }
        drop(stream);
        let written = writer
            .await
            .map_err(|e| Error::Other(format!("reading the export: {e}")))?;
        match (written, engine_error) {
            (Err(e), _) if e.kind() == io::ErrorKind::InvalidData => {
                return Err(ApiError::invalid(
                    "file",
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
        job.stage("committing", temporary, None).await;
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
        let helper = self.create_helper(temporary, &job.id, None).await?;
        let committed = docker
            .commit_container(
                CommitContainerOptionsBuilder::default()
                    .container(&helper)
                    .repo(&image_repo)
                    .tag(&image_tag)
                    .pause(false)
                    .build(),
                ContainerConfig {
                    labels: Some(image_labels),
                    ..Default::default()
                },
            )
            .await;
        let _ = docker
            .remove_container(
                &helper,
                Some(RemoveContainerOptionsBuilder::default().force(true).build()),
            )
            .await;
        committed.map_err(|e| self.engine().fail(e))?;

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
        if matches!(job.stage.as_str(), "loading" | "committing") && !job.message.is_empty() {
            self.remove_image_tag(&job.message).await;
        }
    }

    /// Remove one tag of an image (the image goes when nothing else names or uses it). Best effort.
    async fn remove_image_tag(&self, image: &str) {
        if let Ok(docker) = self.engine().client().await {
            let _ = docker
                .remove_image(
                    image,
                    Some(RemoveImageOptionsBuilder::default().noprune(true).build()),
                    None,
                )
                .await;
        }
    }
}

// ---- Export --------------------------------------------------------------------------------------------------

/// Write the export file at `file` (through a partial file beside it, renamed once whole): `snapshot.json`, then
/// the engine's archive of the image as `image.tar`, links of the legacy format taken out (see
/// [`copy_saved_image`]). The header of `image.tar` is written last, once its size is known.
fn write_export(file: &Path, snapshot_json: &[u8], image: impl Read) -> io::Result<()> {
    let Some(file_name) = file.file_name() else {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "the export needs a file name",
        ));
    };
    let mut partial_name = file_name.to_os_string();
    partial_name.push(format!(".partial-{}", uuid::Uuid::new_v4().simple()));
    let partial = file.with_file_name(partial_name);
    let written = write_export_to(&partial, snapshot_json, image)
        .and_then(|()| std::fs::rename(&partial, file));
    if written.is_err() {
        let _ = std::fs::remove_file(&partial);
    }
    written
}

fn write_export_to(path: &Path, snapshot_json: &[u8], image: impl Read) -> io::Result<()> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let mut out = BufWriter::with_capacity(CHUNK, File::create(path)?);
    let json_len = snapshot_json.len() as u64;
    out.write_all(file_header("snapshot.json", json_len, 0o644, now)?.as_bytes())?;
    out.write_all(snapshot_json)?;
    pad(&mut out, json_len)?;
    let image_header_at = 512 + json_len.div_ceil(512) * 512;
    out.write_all(&[0; 512])?;
    let mut counted = Counting {
        inner: &mut out,
        bytes: 0,
    };
    copy_saved_image(image, &mut counted)?;
    let image_len = counted.bytes;
    pad(&mut out, image_len)?;
    out.write_all(&[0; 1024])?;
    let mut file = out.into_inner().map_err(io::IntoInnerError::into_error)?;
    file.seek(SeekFrom::Start(image_header_at))?;
    file.write_all(file_header("image.tar", image_len, 0o644, now)?.as_bytes())?;
    file.sync_all()
}

/// Copy a `docker save` archive, as a tar of regular files and directories only. The legacy format (Docker before
/// 25) writes a layer that repeats an earlier one as a symbolic link `<id>/layer.tar -> ../<other>/layer.tar`; such
/// a link is left out and `manifest.json` names the layer it points to instead, so an import can refuse every link.
fn copy_saved_image(input: impl Read, out: impl Write) -> io::Result<()> {
    let mut archive = tar::Archive::new(input);
    let mut builder = tar::Builder::new(out);
    let mut files = HashSet::new();
    let mut links: HashMap<String, String> = HashMap::new();
    let mut manifest_written = false;
    let odd = |message: String| io::Error::new(io::ErrorKind::InvalidData, message);
    for entry in archive.entries()? {
        let mut entry = entry?;
        let path = entry_path(&entry).ok_or_else(|| {
            odd("the engine's image archive has an entry with an odd path".into())
        })?;
        let mtime = entry.header().mtime().unwrap_or(0);
        match entry.header().entry_type() {
            EntryType::Directory => {
                if !path.is_empty() {
                    let mut header = dir_header(mtime);
                    builder.append_data(&mut header, format!("{path}/"), io::empty())?;
                }
            }
            EntryType::Regular if path == "manifest.json" => {
                let text = read_bounded(&mut entry, MAX_IMAGE_JSON)?;
                let text = if links.is_empty() {
                    text
                } else {
                    layers_through_links(&text, &links)?
                };
                let mut header = data_header(text.len() as u64, 0o644, mtime);
                builder.append_data(&mut header, "manifest.json", text.as_slice())?;
                manifest_written = true;
                files.insert(path);
            }
            EntryType::Regular => {
                let mut header = data_header(entry.size(), 0o644, mtime);
                builder.append_data(&mut header, &path, &mut entry)?;
                files.insert(path);
            }
            EntryType::Symlink => {
                let target = entry
                    .link_name_bytes()
                    .and_then(|t| std::str::from_utf8(&t).ok().map(str::to_string))
                    .and_then(|t| {
                        let dir = path.rsplit_once('/').map_or("", |(dir, _)| dir);
                        resolve_link(dir, &t)
                    });
                match target {
                    Some(target)
                        if !manifest_written
                            && path.ends_with("/layer.tar")
                            && target.ends_with("/layer.tar")
                            && files.contains(&target) =>
                    {
                        links.insert(path, target);
                    }
                    _ => {
                        return Err(odd(format!(
                            "the engine's image archive has a link '{path}' that is not a repeated layer"
                        )));
                    }
                }
            }
            other => {
                return Err(odd(format!(
                    "the engine's image archive has '{path}' of type {other:?}"
                )));
            }
        }
    }
    builder.into_inner()?.flush()
}

/// `manifest.json` with each layer path that is one of `links` replaced by the path it links to.
fn layers_through_links(text: &[u8], links: &HashMap<String, String>) -> io::Result<Vec<u8>> {
    let mut manifest: Value =
        serde_json::from_slice(text).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
    for image in manifest.as_array_mut().into_iter().flatten() {
        for layer in image
            .get_mut("Layers")
            .and_then(Value::as_array_mut)
            .into_iter()
            .flatten()
        {
            if let Some(target) = layer
                .as_str()
                .and_then(clean_path)
                .and_then(|path| links.get(&path))
            {
                *layer = Value::String(target.clone());
            }
        }
    }
    serde_json::to_vec(&manifest).map_err(io::Error::other)
}

// ---- Import: checking the file ------------------------------------------------------------------------------

/// Check the export file at `path` whole (see the module documentation): the checked `snapshot.json` and where
/// `image.tar` is. Reads `snapshot.json` and the small JSON files of `image.tar` only; seeks past the rest.
fn inspect_export(path: &Path) -> Result<(ImportPlan, ImageArchive)> {
    let shown = path.display().to_string();
    let refuse = |why: String| -> Error { ApiError::invalid("file", &shown, why).into() };
    let file = File::open(path).map_err(|e| refuse(e.to_string()))?;
    let mut outer = tar::Archive::new(&file);
    let mut json: Option<Vec<u8>> = None;
    let mut image: Option<(u64, u64)> = None;
    // Raw: extension headers (long names, PAX records) come as entries of their own, refused below, so the tar
    // reader never keeps one in memory.
    let entries = outer
        .entries_with_seek()
        .map_err(|e| refuse(format!("not a snapshot export: {e}")))?
        .raw(true);
    for entry in entries {
        let mut entry = entry.map_err(|e| refuse(format!("not a snapshot export: {e}")))?;
        let name = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        let kind = entry.header().entry_type();
        if kind != EntryType::Regular {
            return Err(refuse(format!(
                "the entry '{name}' is {}; a snapshot export holds only the regular files snapshot.json and \
                 image.tar",
                describe(&entry)
            )));
        }
        match name.as_str() {
            "snapshot.json" => {
                if json.is_some() {
                    return Err(refuse("snapshot.json appears twice".into()));
                }
                if entry.size() > MAX_SNAPSHOT_JSON {
                    return Err(refuse(format!(
                        "snapshot.json is {} bytes; a snapshot export's is at most {MAX_SNAPSHOT_JSON} (1 MiB)",
                        entry.size()
                    )));
                }
                json = Some(
                    read_bounded(&mut entry, MAX_SNAPSHOT_JSON)
                        .map_err(|e| refuse(format!("reading snapshot.json: {e}")))?,
                );
            }
            "image.tar" => {
                if image.is_some() {
                    return Err(refuse("image.tar appears twice".into()));
                }
                image = Some((entry.raw_file_position(), entry.size()));
            }
            other => {
                return Err(refuse(format!(
                    "the entry '{other}' is not part of a snapshot export, which holds only snapshot.json and \
                     image.tar"
                )));
            }
        }
    }
    let json = json.ok_or_else(|| refuse("not a snapshot export (no snapshot.json)".into()))?;
    let (start, len) =
        image.ok_or_else(|| refuse("not a snapshot export (no image.tar)".into()))?;
    let manifest: ExportManifest = serde_json::from_slice(&json)
        .map_err(|e| refuse(format!("snapshot.json is not readable: {e}")))?;
    let plan = check_snapshot_json(manifest, &shown)?;
    let window = Window::open(path, start, len).map_err(|e| refuse(e.to_string()))?;
    let contents =
        inspect_image(window, &plan.image).map_err(|why| refuse(format!("image.tar {why}")))?;
    Ok((
        plan,
        ImageArchive {
            start,
            len,
            contents,
        },
    ))
}

/// What a non-regular entry is, in words.
fn describe<R: Read>(entry: &tar::Entry<'_, R>) -> String {
    let target = entry
        .link_name_bytes()
        .map(|t| String::from_utf8_lossy(&t).into_owned())
        .unwrap_or_default();
    match entry.header().entry_type() {
        EntryType::Symlink => format!("a symbolic link (to '{target}')"),
        EntryType::Link => format!("a hard link (to '{target}')"),
        EntryType::Directory => "a directory".into(),
        EntryType::Char | EntryType::Block => "a device".into(),
        EntryType::Fifo => "a named pipe".into(),
        EntryType::Regular => "a regular file".into(),
        EntryType::XHeader
        | EntryType::XGlobalHeader
        | EntryType::GNULongName
        | EntryType::GNULongLink => format!(
            "a tar extension header (type '{}'), which a snapshot export does not use",
            entry.header().entry_type().as_byte() as char
        ),
        other => format!("an entry of type '{}'", other.as_byte() as char),
    }
}

/// Refuse `error` of a create rule as a value of `snapshot.json` at `path` (`spec.ports`, …).
fn in_snapshot_json(path: &str) -> impl Fn(ApiError) -> ApiError + '_ {
    move |error| match error {
        ApiError::InvalidInput { value, message, .. } => {
            ApiError::invalid(&format!("snapshot.json {path}"), value, message)
        }
        other => other,
    }
}

/// An `ApiError` on the value at `path` of `snapshot.json`.
fn bad_value(path: &str, value: impl Into<String>, message: impl Into<String>) -> ApiError {
    ApiError::invalid(&format!("snapshot.json {path}"), value, message)
}

/// Text of at most `max` bytes without control characters (`multiline` allows newlines and tabs).
fn plain_text(path: &str, value: &str, max: usize) -> std::result::Result<(), ApiError> {
    if value.len() > max {
        return Err(bad_value(
            path,
            format!("{}…", value.chars().take(40).collect::<String>()),
            format!("is {} bytes long; at most {max}", value.len()),
        ));
    }
    if value.chars().any(char::is_control) {
        return Err(bad_value(
            path,
            value,
            "must not contain control characters",
        ));
    }
    Ok(())
}

/// Check a `snapshot.json` against the rules of a create and make it this machine's: fresh ids, host ports on
/// 127.0.0.1, credentials off, secret values out of the configuration (into the plan's secrets, for a full
/// snapshot only).
fn check_snapshot_json(
    mut manifest: ExportManifest,
    shown: &str,
) -> std::result::Result<ImportPlan, ApiError> {
    if manifest.format != EXPORT_FORMAT {
        return Err(ApiError::invalid(
            "file",
            shown,
            format!(
                "export format {} is not supported (this version reads format {EXPORT_FORMAT})",
                manifest.format
            ),
        ));
    }
    let at = in_snapshot_json;
    let snapshot = &mut manifest.snapshot;
    let spec = &mut manifest.spec;

    // Names.
    validate::name("name", &snapshot.name).map_err(at("snapshot.name"))?;
    validate::name("name", &snapshot.source_sandbox_name)
        .map_err(at("snapshot.source_sandbox_name"))?;
    validate::name("name", &spec.name).map_err(at("spec.name"))?;
    if let Some(from) = &spec.from_snapshot {
        validate::name("name", from).map_err(at("spec.from_snapshot"))?;
    }
    snapshot_image_name(&manifest.image).map_err(|why| bad_value("image", &manifest.image, why))?;
    plain_text("snapshot.source_template", &snapshot.source_template, 255)?;
    if snapshot.source_template.is_empty() || snapshot.source_template.contains(' ') {
        return Err(bad_value(
            "snapshot.source_template",
            &snapshot.source_template,
            "must be a preset name or an image reference",
        ));
    }
    if let Some(preset) = &spec.preset {
        preset_name(preset).map_err(|why| bad_value("spec.preset", preset, why))?;
    }

    // Environment: the names a create accepts, each once; secret values leave the configuration.
    let mut seen = HashSet::new();
    for var in &mut spec.env {
        validate::env_name("env", &var.name).map_err(at("spec.env"))?;
        if !seen.insert(var.name.clone()) {
            return Err(bad_value("spec.env", &var.name, "is set twice"));
        }
        if var.value.contains('\0') {
            return Err(bad_value(
                "spec.env",
                &var.name,
                "its value holds a NUL character",
            ));
        }
        var.secret |= validate::is_secret_name(&var.name);
    }
    let file_secrets = manifest.secrets.take().unwrap_or_default();
    for (name, value) in &file_secrets {
        validate::env_name("secrets", name).map_err(at("secrets"))?;
        if !spec.env.iter().any(|v| v.secret && &v.name == name) {
            return Err(bad_value(
                "secrets",
                name,
                "is not a secret variable of the snapshot's configuration",
            ));
        }
        if value.contains('\0') {
            return Err(bad_value(
                "secrets",
                name,
                "its value holds a NUL character",
            ));
        }
    }
    let full = snapshot.mode == SnapshotMode::Full;
    let mut secrets = Vec::new();
    for var in spec.env.iter_mut().filter(|v| v.secret) {
        let in_spec = std::mem::take(&mut var.value);
        let value = file_secrets.get(&var.name).cloned().unwrap_or(in_spec);
        // A scrubbing snapshot kept no secret values: whatever the file says, none come in.
        if full && !value.is_empty() {
            secrets.push((var.name.clone(), value));
        }
    }

    // Ports: container ports outside the reserved range, bound on 127.0.0.1 whatever the file says.
    for port in &mut spec.ports {
        validate::service_port("port", port.container_port, port.protocol)
            .map_err(at("spec.ports"))?;
        port.host_ip = validate::DEFAULT_HOST_IP.to_string();
    }
    let bound: Vec<_> = spec
        .ports
        .iter()
        .filter(|p| p.host_port != 0)
        .cloned()
        .collect();
    validate::no_duplicate_host_ports(&bound).map_err(at("spec.ports"))?;

    // Resources and lifetimes.
    if let Some(cpus) = spec.cpus {
        validate::cpus(cpus).map_err(at("spec.cpus"))?;
    }
    if let Some(memory) = spec.memory_mib {
        validate::memory_mib(memory).map_err(at("spec.memory_mib"))?;
    }
    spec.pids_limit = sbx_api::DEFAULT_PIDS_LIMIT;
    validate::auto_stop_minutes(spec.auto_stop_minutes).map_err(at("spec.auto_stop_minutes"))?;
    if let Some(minutes) = spec.auto_delete_minutes {
        validate::auto_delete_minutes(minutes).map_err(at("spec.auto_delete_minutes"))?;
    }
    spec.snapshot_schedule = match spec
        .snapshot_schedule
        .take()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
    {
        Some(schedule) => {
            validate::cron_schedule(&schedule).map_err(at("spec.snapshot_schedule"))?;
            Some(schedule)
        }
        None => None,
    };
    if let Some(script) = &spec.setup_script
        && script.len() as u64 > config::MAX_SETUP_SCRIPT_BYTES
    {
        return Err(bad_value(
            "spec.setup_script",
            format!("{} bytes", script.len()),
            format!(
                "a setup script is at most {} bytes (1 MiB)",
                config::MAX_SETUP_SCRIPT_BYTES
            ),
        ));
    }

    // Repository: mounted at /home/amika/workspace/<name>, where shells and the setup script start.
    match &mut spec.repo {
        Some(repo) => {
            repo_name(&repo.name).map_err(|why| bad_value("spec.repo.name", &repo.name, why))?;
            let expected = git::mount_path(&repo.name);
            if repo.mount_path != expected {
                return Err(bad_value(
                    "spec.repo.mount_path",
                    &repo.mount_path,
                    format!("must be {expected}"),
                ));
            }
            if spec.agent_cwd != expected {
                return Err(bad_value(
                    "spec.agent_cwd",
                    &spec.agent_cwd,
                    format!("must be {expected}, where the repository is mounted"),
                ));
            }
            repo.source = git::without_userinfo(&repo.source);
            plain_text("spec.repo.source", &repo.source, 4096)?;
            if let Some(branch) = &repo.branch {
                plain_text("spec.repo.branch", branch, 255)?;
            }
            if repo.volume.len() > 255
                || !repo
                    .volume
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
            {
                return Err(bad_value(
                    "spec.repo.volume",
                    &repo.volume,
                    "is not a volume name of the app",
                ));
            }
        }
        None if spec.agent_cwd != WORKSPACE => {
            return Err(bad_value(
                "spec.agent_cwd",
                &spec.agent_cwd,
                format!("must be {WORKSPACE} for a sandbox without a repository"),
            ));
        }
        None => {}
    }
    for key in [&mut spec.repo_key, &mut snapshot.repository]
        .into_iter()
        .flatten()
    {
        *key = git::without_userinfo(key);
        plain_text("repository", key, 4096)?;
    }

    // Credentials: only the known files, and none mounted unless a restore asks for them.
    for file in &spec.credentials {
        if !credentials::FILES.contains(&file.as_str()) {
            return Err(bad_value(
                "spec.credentials",
                file,
                format!(
                    "is not one of the agent credential files ({})",
                    credentials::FILES.join(", ")
                ),
            ));
        }
    }
    spec.credentials_enabled = false;
    spec.credentials.clear();

    // This machine's ids; the source sandbox is not here.
    let source_id = uuid::Uuid::new_v4().to_string();
    spec.id = source_id.clone();
    spec.template = snapshot.source_template.clone();
    snapshot.source_sandbox_id = source_id;
    snapshot.status = SnapshotStatus::Active;
    snapshot.failure_reason = None;
    snapshot.imported = true;
    Ok(ImportPlan {
        snapshot: manifest.snapshot,
        spec: manifest.spec,
        secrets,
        image: manifest.image,
    })
}

/// Whether `image` is of the form the app names snapshot images: `sandbox-desktop/snapshot-<name>:<hex tag>`.
fn snapshot_image_name(image: &str) -> std::result::Result<(), String> {
    let form = format!("must be {SNAPSHOT_REPO}<snapshot name>:<tag of hex digits>");
    let Some((name, tag)) = image
        .strip_prefix(SNAPSHOT_REPO)
        .and_then(|rest| rest.rsplit_once(':'))
    else {
        return Err(form);
    };
    if validate::name("name", name).is_err()
        || tag.is_empty()
        || tag.len() > 64
        || !tag
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        return Err(form);
    }
    Ok(())
}

/// A preset name: 1–64 of letters, digits, `-`, `_` and `.`, not starting with `-` or `.`.
fn preset_name(name: &str) -> std::result::Result<(), String> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && !name.starts_with(['-', '.'])
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if ok {
        Ok(())
    } else {
        Err("must be 1-64 letters, digits, '-', '_' or '.' (a preset name such as coder)".into())
    }
}

/// A repository name: one path segment (the checkout is mounted at `/home/amika/workspace/<name>`).
fn repo_name(name: &str) -> std::result::Result<(), String> {
    let ok = !name.is_empty()
        && name.len() <= 255
        && name != "."
        && name != ".."
        && !name.contains(['/', '\\'])
        && !name.chars().any(char::is_control);
    if ok {
        Ok(())
    } else {
        Err("must be one folder name (no '/', not '.' or '..')".into())
    }
}

/// Check a `docker save` archive that must hold exactly the image `expected` (`repo:tag`): only regular files
/// and directories, each path once; one image in `manifest.json`, named `expected` only; `repositories` and
/// `index.json`, when there, naming nothing else. The error completes "image.tar …".
fn inspect_image(
    reader: impl Read + Seek,
    expected: &str,
) -> std::result::Result<ImageContents, String> {
    let mut archive = tar::Archive::new(reader);
    let mut paths = HashSet::new();
    let mut files = HashSet::new();
    let (mut manifest, mut repositories, mut index) = (None, None, None);
    let entries = archive
        .entries_with_seek()
        .map_err(|e| format!("is not a tar archive: {e}"))?
        .raw(true);
    for (count, entry) in entries.enumerate() {
        if count >= MAX_IMAGE_ENTRIES {
            return Err(format!(
                "holds more than {MAX_IMAGE_ENTRIES} entries; a `docker save` archive has a few per layer"
            ));
        }
        let mut entry = entry.map_err(|e| format!("is not a readable tar archive: {e}"))?;
        let raw = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        let Some(path) = entry_path(&entry) else {
            return Err(format!(
                "holds the entry '{raw}', whose path is not allowed (absolute, with '..', or not plain text)"
            ));
        };
        let kind = entry.header().entry_type();
        if kind == EntryType::Directory && path.is_empty() {
            continue;
        }
        if !paths.insert(path.clone()) {
            return Err(format!("holds the entry '{path}' twice"));
        }
        match kind {
            EntryType::Directory => {}
            EntryType::Regular => {
                let slot = match path.as_str() {
                    "manifest.json" => Some(&mut manifest),
                    "repositories" => Some(&mut repositories),
                    "index.json" => Some(&mut index),
                    _ => None,
                };
                if let Some(slot) = slot {
                    *slot = Some(read_json(&mut entry, &path)?);
                }
                files.insert(path);
            }
            _ => {
                return Err(format!(
                    "holds '{path}', {}; an image archive may hold only files and directories",
                    describe(&entry)
                ));
            }
        }
    }

    let manifest = manifest.ok_or("holds no manifest.json (it is not a `docker save` archive)")?;
    let images: Vec<SavedImage> = serde_json::from_value(manifest)
        .map_err(|e| format!("has a manifest.json that is not a `docker save` manifest: {e}"))?;
    let image = match <[SavedImage; 1]>::try_from(images) {
        Ok([image]) => image,
        Err(images) => {
            return Err(format!(
                "holds {} images in manifest.json; an export holds exactly one",
                images.len()
            ));
        }
    };
    let tags = image.repo_tags.unwrap_or_default();
    if tags.len() != 1 || familiar(&tags[0]) != expected {
        return Err(format!(
            "names the image {tags:?} in manifest.json; snapshot.json says it holds exactly [\"{expected}\"]"
        ));
    }
    let in_archive = |path: &str, what: &str| -> std::result::Result<String, String> {
        match clean_path(path) {
            Some(clean) if files.contains(&clean) && !SAVE_METADATA.contains(&clean.as_str()) => {
                Ok(clean)
            }
            _ => Err(format!(
                "names {what} '{path}' in manifest.json, which is not a file of the archive"
            )),
        }
    };
    let config = in_archive(&image.config, "the configuration")?;
    if image.layers.is_empty() {
        return Err("names no layer in manifest.json".into());
    }
    let layers = image
        .layers
        .iter()
        .map(|layer| in_archive(layer, "the layer"))
        .collect::<std::result::Result<Vec<_>, _>>()?;
    if layers.contains(&config) {
        return Err(format!(
            "names '{config}' as both the configuration and a layer"
        ));
    }
    if let Some(repositories) = repositories {
        check_repositories(&repositories, expected)?;
    }
    if let Some(index) = index {
        check_index(&index, expected)?;
    }
    Ok(ImageContents {
        config,
        layers,
        files,
    })
}

/// `repositories` (`{"repo": {"tag": "id"}}`) may name `expected` only.
fn check_repositories(repositories: &Value, expected: &str) -> std::result::Result<(), String> {
    let repos = repositories
        .as_object()
        .ok_or("has a repositories file that is not a JSON object")?;
    for (repo, tags) in repos {
        let tags = tags
            .as_object()
            .ok_or("has a repositories file that is not of `docker save`'s form")?;
        for tag in tags.keys() {
            let named = format!("{repo}:{tag}");
            if familiar(&named) != expected {
                return Err(format!(
                    "names '{named}' in repositories; snapshot.json says it holds only '{expected}'"
                ));
            }
        }
    }
    Ok(())
}

/// `index.json` (OCI layout) may list one image, and its name annotations may name `expected` only:
/// `io.containerd.image.name` the whole name (`docker.io/…` allowed), `org.opencontainers.image.ref.name` the
/// tag alone or the whole name.
fn check_index(index: &Value, expected: &str) -> std::result::Result<(), String> {
    let tag = expected.rsplit_once(':').map_or("", |(_, tag)| tag);
    let check = |descriptor: &Value| -> std::result::Result<(), String> {
        let Some(annotations) = descriptor.get("annotations") else {
            return Ok(());
        };
        let annotations = annotations
            .as_object()
            .ok_or("has index.json annotations that are not a JSON object")?;
        for (key, value) in annotations {
            let fits = match (key.as_str(), value.as_str()) {
                ("io.containerd.image.name", Some(name)) => familiar(name) == expected,
                ("org.opencontainers.image.ref.name", Some(name)) => {
                    name == tag || familiar(name) == expected
                }
                ("io.containerd.image.name" | "org.opencontainers.image.ref.name", None) => false,
                _ => true,
            };
            if !fits {
                return Err(format!(
                    "names {value} in index.json ({key}); snapshot.json says it holds only '{expected}'"
                ));
            }
        }
        Ok(())
    };
    if !index.is_object() {
        return Err("has an index.json that is not an OCI index".into());
    }
    check(index)?;
    let manifests = match index.get("manifests") {
        None => return Ok(()),
        Some(manifests) => manifests
            .as_array()
            .ok_or("has an index.json whose manifests are not a list")?,
    };
    let mut digests = HashSet::new();
    for descriptor in manifests {
        check(descriptor)?;
        digests.insert(descriptor.get("digest").and_then(Value::as_str));
    }
    if digests.len() > 1 {
        return Err(format!(
            "lists {} images in index.json; an export holds exactly one",
            digests.len()
        ));
    }
    Ok(())
}

/// An image name as Docker shows it: `docker.io/sandbox-desktop/x:y` is `sandbox-desktop/x:y`.
fn familiar(name: &str) -> &str {
    name.strip_prefix("docker.io/").unwrap_or(name)
}

// ---- Import: loading ----------------------------------------------------------------------------------------

/// Stream the checked `image.tar` of the export at `path` to `out` as a `docker save` archive that names only
/// `tag` (see [`rewrite_for_load`]).
fn stream_for_load(
    path: &Path,
    archive: &ImageArchive,
    tag: &str,
    out: impl Write,
) -> io::Result<()> {
    let window = Window::open(path, archive.start, archive.len)?;
    rewrite_for_load(
        BufReader::with_capacity(CHUNK, window),
        &archive.contents,
        tag,
        out,
    )
}

/// Write the checked archive as one the engine loads under `tag` and no other name: its regular files (the
/// directories are implied), without `repositories`, `index.json` and `oci-layout` (so the manifest below is what
/// any engine reads), the configuration without the app's labels, then a `manifest.json` of ours. An entry that
/// was not there when the file was checked fails with [`io::ErrorKind::InvalidData`].
fn rewrite_for_load(
    reader: impl Read,
    contents: &ImageContents,
    tag: &str,
    out: impl Write,
) -> io::Result<()> {
    let changed = |what: String| io::Error::new(io::ErrorKind::InvalidData, what);
    let mut archive = tar::Archive::new(reader);
    let mut builder = tar::Builder::new(out);
    let mut emitted = HashSet::new();
    let mut config_name = None;
    for entry in archive.entries()?.raw(true) {
        let mut entry = entry?;
        let path =
            entry_path(&entry).ok_or_else(|| changed("an entry's path is not allowed".into()))?;
        match entry.header().entry_type() {
            EntryType::Directory => continue,
            EntryType::Regular => {}
            _ => return Err(changed(format!("image.tar holds '{path}', not a file"))),
        }
        if !contents.files.contains(&path) || !emitted.insert(path.clone()) {
            return Err(changed(format!("image.tar holds '{path}' unexpectedly")));
        }
        let mtime = entry.header().mtime().unwrap_or(0);
        if SAVE_METADATA.contains(&path.as_str()) {
            continue;
        }
        if path == contents.config {
            let config = read_bounded(&mut entry, MAX_IMAGE_CONFIG)?;
            let (bytes, name) = match without_app_labels(&config)? {
                Some(stripped) => {
                    let name = format!("{:x}.json", Sha256::digest(&stripped));
                    if name != path && contents.files.contains(&name) {
                        return Err(changed(format!("image.tar already holds '{name}'")));
                    }
                    (stripped, name)
                }
                None => (config, path.clone()),
            };
            let mut header = data_header(bytes.len() as u64, 0o644, mtime);
            builder.append_data(&mut header, &name, bytes.as_slice())?;
            config_name = Some(name);
            continue;
        }
        let mut header = data_header(entry.size(), 0o644, mtime);
        builder.append_data(&mut header, &path, &mut entry)?;
    }
    let config = config_name.ok_or_else(|| changed("image.tar lost its configuration".into()))?;
    let manifest = serde_json::json!([{
        "Config": config,
        "RepoTags": [tag],
        "Layers": contents.layers,
    }]);
    let manifest = serde_json::to_vec(&manifest).map_err(io::Error::other)?;
    let mut header = data_header(manifest.len() as u64, 0o644, 0);
    builder.append_data(&mut header, "manifest.json", manifest.as_slice())?;
    builder.into_inner()?.flush()
}

/// An image configuration without the app's labels (`dev.sandboxdesktop.*`), or `None` when it has none: an
/// imported image must not pass for an object of a data dir (the commit then puts this data dir's labels on it).
fn without_app_labels(config: &[u8]) -> io::Result<Option<Vec<u8>>> {
    let mut value: Value = serde_json::from_slice(config).map_err(|e| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("the image configuration is not JSON: {e}"),
        )
    })?;
    let mut removed = false;
    for section in ["config", "container_config"] {
        if let Some(found) = value
            .get_mut(section)
            .and_then(|s| s.get_mut("Labels"))
            .and_then(Value::as_object_mut)
        {
            let before = found.len();
            found.retain(|key, _| !key.starts_with(APP_LABEL_PREFIX));
            removed |= found.len() != before;
        }
    }
    if !removed {
        return Ok(None);
    }
    serde_json::to_vec(&value)
        .map(Some)
        .map_err(io::Error::other)
}

// ---- Tar and stream helpers ---------------------------------------------------------------------------------

/// The path of a tar entry, cleaned (see [`clean_path`]); `None` when it is not allowed.
fn entry_path<R: Read>(entry: &tar::Entry<'_, R>) -> Option<String> {
    std::str::from_utf8(&entry.path_bytes())
        .ok()
        .and_then(clean_path)
}

/// A relative path without `.` or empty segments, `""` for the root; `None` when absolute, with `..`, a backslash
/// or a control character.
fn clean_path(raw: &str) -> Option<String> {
    if raw.starts_with('/') || raw.contains('\\') || raw.chars().any(char::is_control) {
        return None;
    }
    let mut parts = Vec::new();
    for part in raw.split('/') {
        match part {
            "" | "." => {}
            ".." => return None,
            part => parts.push(part),
        }
    }
    Some(parts.join("/"))
}

/// The path a relative symbolic link in folder `dir` points to, cleaned; `None` when absolute or above the root.
fn resolve_link(dir: &str, target: &str) -> Option<String> {
    if target.starts_with('/') {
        return None;
    }
    let mut parts: Vec<&str> = dir.split('/').filter(|p| !p.is_empty()).collect();
    for part in target.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            part => parts.push(part),
        }
    }
    clean_path(&parts.join("/"))
}

/// Read all of `reader`, refusing more than `max` bytes.
fn read_bounded(reader: &mut impl Read, max: u64) -> io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    reader.take(max + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > max {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("more than {max} bytes"),
        ));
    }
    Ok(bytes)
}

/// Read a small JSON file of an image archive.
fn read_json(reader: &mut impl Read, path: &str) -> std::result::Result<Value, String> {
    let bytes = read_bounded(reader, MAX_IMAGE_JSON)
        .map_err(|e| format!("has a '{path}' that cannot be read: {e}"))?;
    serde_json::from_slice(&bytes).map_err(|e| format!("has a '{path}' that is not JSON: {e}"))
}

/// The header of a regular file written by hand (the outer entries: short names).
fn file_header(path: &str, size: u64, mode: u32, mtime: u64) -> io::Result<tar::Header> {
    let mut header = data_header(size, mode, mtime);
    header.set_path(path)?;
    header.set_cksum();
    Ok(header)
}

/// The header of a regular file for [`tar::Builder::append_data`], which sets the path (a long one too) and the
/// checksum.
fn data_header(size: u64, mode: u32, mtime: u64) -> tar::Header {
    let mut header = tar::Header::new_gnu();
    header.set_entry_type(EntryType::Regular);
    header.set_size(size);
    header.set_mode(mode);
    header.set_mtime(mtime);
    header
}

/// The header of a directory (its path is set by the builder).
fn dir_header(mtime: u64) -> tar::Header {
    let mut header = tar::Header::new_gnu();
    header.set_entry_type(EntryType::Directory);
    header.set_size(0);
    header.set_mode(0o755);
    header.set_mtime(mtime);
    header
}

/// Zeros up to the next 512-byte block after `size` bytes of data.
fn pad(out: &mut impl Write, size: u64) -> io::Result<()> {
    let rest = (size % 512) as usize;
    if rest != 0 {
        out.write_all(&[0; 512][..512 - rest])?;
    }
    Ok(())
}

/// Counts what goes through.
struct Counting<W> {
    inner: W,
    bytes: u64,
}

impl<W: Write> Write for Counting<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let written = self.inner.write(buf)?;
        self.bytes += written as u64;
        Ok(written)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// A part of a file (`image.tar` inside the export), read and sought on a handle of its own.
struct Window {
    file: File,
    start: u64,
    len: u64,
    at: u64,
}

impl Window {
    fn open(path: &Path, start: u64, len: u64) -> io::Result<Window> {
        let mut file = File::open(path)?;
        file.seek(SeekFrom::Start(start))?;
        Ok(Window {
            file,
            start,
            len,
            at: 0,
        })
    }
}

impl Read for Window {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let left = self.len.saturating_sub(self.at);
        let wanted = usize::try_from(left).unwrap_or(usize::MAX).min(buf.len());
        if wanted == 0 {
            return Ok(0);
        }
        let read = self.file.read(&mut buf[..wanted])?;
        self.at += read as u64;
        Ok(read)
    }
}

impl Seek for Window {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let target = match to {
            SeekFrom::Start(at) => i128::from(at),
            SeekFrom::Current(by) => i128::from(self.at) + i128::from(by),
            SeekFrom::End(by) => i128::from(self.len) + i128::from(by),
        };
        let target = u64::try_from(target)
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "seek before the start"))?;
        self.file
            .seek(SeekFrom::Start(self.start.saturating_add(target)))?;
        self.at = target;
        Ok(target)
    }
}

/// A [`Read`] over chunks sent from async code (the engine's stream), for tar code on a blocking thread.
struct ChunkReader<B> {
    chunks: mpsc::Receiver<io::Result<B>>,
    current: Option<B>,
    at: usize,
}

impl<B> ChunkReader<B> {
    fn new(chunks: mpsc::Receiver<io::Result<B>>) -> ChunkReader<B> {
        ChunkReader {
            chunks,
            current: None,
            at: 0,
        }
    }
}

impl<B: AsRef<[u8]>> Read for ChunkReader<B> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        loop {
            if let Some(chunk) = &self.current {
                let bytes = chunk.as_ref();
                if self.at < bytes.len() {
                    let n = (bytes.len() - self.at).min(buf.len());
                    buf[..n].copy_from_slice(&bytes[self.at..self.at + n]);
                    self.at += n;
                    return Ok(n);
                }
            }
            match self.chunks.blocking_recv() {
                Some(Ok(chunk)) => {
                    self.current = Some(chunk);
                    self.at = 0;
                }
                Some(Err(error)) => return Err(error),
                None => return Ok(0),
            }
        }
    }
}

/// A [`Write`] that sends chunks of [`CHUNK`] bytes to async code (the request body of a load).
struct ChunkWriter {
    chunks: mpsc::Sender<io::Result<Vec<u8>>>,
    buffer: Vec<u8>,
}

impl ChunkWriter {
    fn new(chunks: mpsc::Sender<io::Result<Vec<u8>>>) -> ChunkWriter {
        ChunkWriter {
            chunks,
            buffer: Vec::with_capacity(CHUNK),
        }
    }

    fn send(&mut self) -> io::Result<()> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let chunk = std::mem::replace(&mut self.buffer, Vec::with_capacity(CHUNK));
        self.chunks
            .blocking_send(Ok(chunk))
            .map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "the engine stopped reading"))
    }
}

impl Write for ChunkWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.buffer.len() >= CHUNK {
            self.send()?;
        }
        let n = buf.len().min(CHUNK - self.buffer.len());
        self.buffer.extend_from_slice(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.send()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    const IMAGE: &str = "sandbox-desktop/snapshot-moved:0a1b2c3d";

    /// A tar of (path, kind, data); kind 'f' file, 'd' directory, 's' symlink (data = target), 'h' hard link.
    fn tar_of(entries: &[(&str, char, &[u8])]) -> Vec<u8> {
        let mut builder = tar::Builder::new(Vec::new());
        for (path, kind, data) in entries {
            let mut header = tar::Header::new_gnu();
            header.set_mode(0o644);
            match kind {
                'f' => {
                    header.set_entry_type(EntryType::Regular);
                    header.set_size(data.len() as u64);
                    builder.append_data(&mut header, path, *data).unwrap();
                }
                'd' => {
                    header.set_entry_type(EntryType::Directory);
                    header.set_size(0);
                    builder.append_data(&mut header, path, io::empty()).unwrap();
                }
                's' | 'h' => {
                    header.set_entry_type(if *kind == 's' {
                        EntryType::Symlink
                    } else {
                        EntryType::Link
                    });
                    header.set_size(0);
                    builder
                        .append_link(&mut header, path, std::str::from_utf8(data).unwrap())
                        .unwrap();
                }
                _ => unreachable!(),
            }
        }
        builder.into_inner().unwrap()
    }

    /// A tar of one file whose path the tar crate's builder would refuse to write.
    fn raw_tar(path: &str) -> Vec<u8> {
        let mut header = tar::Header::new_gnu();
        header.set_entry_type(EntryType::Regular);
        header.set_size(1);
        header.set_mode(0o644);
        let name = &mut header.as_old_mut().name;
        name[..path.len()].copy_from_slice(path.as_bytes());
        header.set_cksum();
        let mut out = header.as_bytes().to_vec();
        out.push(b'x');
        out.resize(1024 + 1024, 0);
        out
    }

    fn config_json() -> Vec<u8> {
        serde_json::to_vec(&serde_json::json!({
            "architecture": "amd64",
            "os": "linux",
            "config": { "Labels": {
                "dev.sandboxdesktop.instance": "someone-else",
                "dev.sandboxdesktop.record": "{}",
                "org.example.kept": "yes"
            }},
            "rootfs": { "type": "layers", "diff_ids": ["sha256:aa"] }
        }))
        .unwrap()
    }

    /// What `docker save` of Docker 20.10 writes (checked against this engine).
    fn legacy(tags: &str) -> Vec<u8> {
        let manifest = format!(
            r#"[{{"Config":"c0ffee.json","RepoTags":{tags},"Layers":["aaaa/layer.tar"]}}]"#
        );
        let config = config_json();
        tar_of(&[
            ("aaaa/", 'd', b""),
            ("aaaa/VERSION", 'f', b"1.0"),
            ("aaaa/json", 'f', b"{}"),
            ("aaaa/layer.tar", 'f', b"layer bytes"),
            ("c0ffee.json", 'f', &config),
            ("manifest.json", 'f', manifest.as_bytes()),
            (
                "repositories",
                'f',
                br#"{"sandbox-desktop/snapshot-moved":{"0a1b2c3d":"aaaa"}}"#,
            ),
        ])
    }

    /// What `docker save` of Docker 25 and later writes (the OCI layout, as moby's tarexport writes it).
    fn oci(index: &str) -> Vec<u8> {
        let manifest = format!(
            r#"[{{"Config":"blobs/sha256/c0ffee","RepoTags":["{IMAGE}"],"Layers":["blobs/sha256/aaaa"]}}]"#
        );
        let config = config_json();
        tar_of(&[
            ("blobs/", 'd', b""),
            ("blobs/sha256/", 'd', b""),
            ("blobs/sha256/aaaa", 'f', b"layer bytes"),
            ("blobs/sha256/beef", 'f', b"{\"schemaVersion\":2}"),
            ("blobs/sha256/c0ffee", 'f', &config),
            ("index.json", 'f', index.as_bytes()),
            ("manifest.json", 'f', manifest.as_bytes()),
            ("oci-layout", 'f', br#"{"imageLayoutVersion":"1.0.0"}"#),
            (
                "repositories",
                'f',
                br#"{"sandbox-desktop/snapshot-moved":{"0a1b2c3d":"aaaa"}}"#,
            ),
        ])
    }

    fn moby_index() -> String {
        format!(
            r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:beef","size":18,"annotations":{{"io.containerd.image.name":"docker.io/{IMAGE}","org.opencontainers.image.ref.name":"0a1b2c3d"}}}}]}}"#
        )
    }

    fn inspect(archive: Vec<u8>) -> std::result::Result<ImageContents, String> {
        inspect_image(Cursor::new(archive), IMAGE)
    }

    #[test]
    fn real_save_formats_are_accepted() {
        let contents = inspect(legacy(&format!(r#"["{IMAGE}"]"#))).unwrap();
        assert_eq!(contents.config, "c0ffee.json");
        assert_eq!(contents.layers, vec!["aaaa/layer.tar"]);
        let contents = inspect(oci(&moby_index())).unwrap();
        assert_eq!(contents.config, "blobs/sha256/c0ffee");
        // containerd's exporter (Docker's containerd image store): no repositories, the tag as ref name.
        let containerd = moby_index().replace("docker.io/", "");
        inspect(oci(&containerd)).unwrap();
    }

    #[test]
    fn other_names_two_images_and_links_are_refused() {
        for tags in [
            format!(r#"["{IMAGE}","sandbox-desktop/preset-coder:latest"]"#),
            format!(r#"["{IMAGE}","debian:bookworm"]"#),
            r#"["sandbox-desktop/snapshot-moved:ffff"]"#.to_string(),
            "[]".to_string(),
            "null".to_string(),
        ] {
            let error = inspect(legacy(&tags)).unwrap_err();
            assert!(error.contains("manifest.json"), "{tags}: {error}");
        }
        let two = format!(
            r#"[{{"Config":"c0ffee.json","RepoTags":["{IMAGE}"],"Layers":["aaaa/layer.tar"]}},{{"Config":"c0ffee.json","RepoTags":["{IMAGE}"],"Layers":["aaaa/layer.tar"]}}]"#
        );
        let error = inspect(tar_of(&[
            ("aaaa/layer.tar", 'f', b"x"),
            ("c0ffee.json", 'f', b"{}"),
            ("manifest.json", 'f', two.as_bytes()),
        ]))
        .unwrap_err();
        assert!(error.contains("2 images"), "{error}");

        let extra_name = moby_index().replace(
            "\"org.opencontainers.image.ref.name\":\"0a1b2c3d\"",
            "\"org.opencontainers.image.ref.name\":\"debian:bookworm\"",
        );
        let error = inspect(oci(&extra_name)).unwrap_err();
        assert!(error.contains("index.json"), "{error}");
        let other_image = moby_index().replace(
            "docker.io/sandbox-desktop/snapshot-moved:0a1b2c3d",
            "docker.io/sandbox-desktop/preset-coder:latest",
        );
        assert!(inspect(oci(&other_image)).is_err());
        let two_digests = moby_index().replace(
            "\"manifests\":[",
            "\"manifests\":[{\"digest\":\"sha256:other\"},",
        );
        let error = inspect(oci(&two_digests)).unwrap_err();
        assert!(error.contains("2 images"), "{error}");

        let config = config_json();
        let named = format!(
            r#"[{{"Config":"c0ffee.json","RepoTags":["{IMAGE}"],"Layers":["aaaa/layer.tar"]}}]"#
        );
        let repositories = tar_of(&[
            ("aaaa/layer.tar", 'f', b"x"),
            ("c0ffee.json", 'f', &config),
            ("manifest.json", 'f', named.as_bytes()),
            (
                "repositories",
                'f',
                br#"{"sandbox-desktop/snapshot-moved":{"0a1b2c3d":"aaaa"},"debian":{"bookworm":"aaaa"}}"#,
            ),
        ]);
        let error = inspect(repositories).unwrap_err();
        assert!(error.contains("debian:bookworm"), "{error}");

        let manifest =
            format!(r#"[{{"Config":"c.json","RepoTags":["{IMAGE}"],"Layers":["l/layer.tar"]}}]"#);
        for (link, kind) in [("../../etc/passwd", 's'), ("c.json", 'h')] {
            let error = inspect(tar_of(&[
                ("c.json", 'f', b"{}"),
                ("l/layer.tar", kind, link.as_bytes()),
                ("manifest.json", 'f', manifest.as_bytes()),
            ]))
            .unwrap_err();
            assert!(error.contains("link"), "{error}");
        }
        for path in ["../escape", "/etc/passwd"] {
            let error = inspect(raw_tar(path)).unwrap_err();
            assert!(error.contains("not allowed"), "{error}");
        }
    }

    #[test]
    fn odd_paths_are_not_allowed() {
        assert_eq!(clean_path("./a//b/").as_deref(), Some("a/b"));
        assert_eq!(clean_path("./").as_deref(), Some(""));
        for raw in ["../a", "a/../../b", "/abs", "a\\b", "a\nb"] {
            assert_eq!(clean_path(raw), None, "{raw}");
        }
        // Two spellings of one path are one entry, twice.
        let error = inspect(tar_of(&[
            ("manifest.json", 'f', b"[]"),
            ("./manifest.json", 'f', b"[]"),
        ]))
        .unwrap_err();
        assert!(error.contains("twice"), "{error}");
    }

    #[test]
    fn the_load_stream_names_only_the_temporary_tag_and_carries_no_app_label() {
        for archive in [legacy(&format!(r#"["{IMAGE}"]"#)), oci(&moby_index())] {
            let contents = inspect(archive.clone()).unwrap();
            let mut out = Vec::new();
            rewrite_for_load(
                Cursor::new(archive),
                &contents,
                "sandbox-desktop/import-x:load",
                &mut out,
            )
            .unwrap();
            let mut written = tar::Archive::new(Cursor::new(out));
            let mut names = Vec::new();
            let mut manifest = Value::Null;
            let mut config = Value::Null;
            for entry in written.entries().unwrap() {
                let mut entry = entry.unwrap();
                let name = entry.path().unwrap().display().to_string();
                let mut text = Vec::new();
                entry.read_to_end(&mut text).unwrap();
                if name == "manifest.json" {
                    manifest = serde_json::from_slice(&text).unwrap();
                } else if name.ends_with(".json") && !name.ends_with("/json") {
                    config = serde_json::from_slice(&text).unwrap();
                    assert_eq!(name, format!("{:x}.json", Sha256::digest(&text)));
                }
                names.push(name);
            }
            for left_out in ["repositories", "index.json", "oci-layout"] {
                assert!(!names.iter().any(|n| n == left_out), "{names:?}");
            }
            assert_eq!(
                manifest[0]["RepoTags"],
                serde_json::json!(["sandbox-desktop/import-x:load"])
            );
            assert_eq!(manifest[0]["Layers"], serde_json::json!(contents.layers));
            let labels = &config["config"]["Labels"];
            assert_eq!(labels, &serde_json::json!({ "org.example.kept": "yes" }));
            assert!(names.contains(&manifest[0]["Config"].as_str().unwrap().to_string()));
        }
    }

    #[test]
    fn an_export_takes_repeated_layer_links_out() {
        let manifest = r#"[{"Config":"c.json","RepoTags":["x:y"],"Layers":["aaaa/layer.tar","bbbb/layer.tar"]}]"#;
        let saved = tar_of(&[
            ("aaaa/", 'd', b""),
            ("aaaa/layer.tar", 'f', b"empty layer"),
            ("bbbb/", 'd', b""),
            ("bbbb/layer.tar", 's', b"../aaaa/layer.tar"),
            ("c.json", 'f', b"{}"),
            ("manifest.json", 'f', manifest.as_bytes()),
        ]);
        let mut out = Vec::new();
        copy_saved_image(Cursor::new(saved), &mut out).unwrap();
        let mut copied = tar::Archive::new(Cursor::new(out));
        let mut manifest = Value::Null;
        for entry in copied.entries().unwrap() {
            let mut entry = entry.unwrap();
            assert!(
                matches!(
                    entry.header().entry_type(),
                    EntryType::Regular | EntryType::Directory
                ),
                "{:?}",
                entry.path()
            );
            if entry.path().unwrap().to_str() == Some("manifest.json") {
                let mut text = Vec::new();
                entry.read_to_end(&mut text).unwrap();
                manifest = serde_json::from_slice(&text).unwrap();
            }
        }
        assert_eq!(
            manifest[0]["Layers"],
            serde_json::json!(["aaaa/layer.tar", "aaaa/layer.tar"])
        );
        // Any other link is not passed on.
        let odd = tar_of(&[("a", 's', b"/etc/passwd")]);
        assert!(copy_saved_image(Cursor::new(odd), Vec::new()).is_err());
    }

    #[test]
    fn extension_headers_are_refused() {
        let long = format!("{}/layer.tar", "a".repeat(120));
        let error = inspect(tar_of(&[(long.as_str(), 'f', b"x")])).unwrap_err();
        assert!(error.contains("extension header"), "{error}");
    }

    fn sample() -> ExportManifest {
        let created_at = chrono::Utc::now();
        ExportManifest {
            format: EXPORT_FORMAT,
            warning: None,
            snapshot: Snapshot {
                id: "0f1e2d3c-0000".into(),
                name: "moved".into(),
                source_template: "busybox:latest".into(),
                source_sandbox_id: "1111".into(),
                source_sandbox_name: "src".into(),
                repository: Some("https://user:TOKEN@git.example.com/x.git".into()),
                status: SnapshotStatus::Failed,
                failure_reason: Some("x".into()),
                created_at,
                expires_at: None,
                size_bytes: Some(1),
                mode: SnapshotMode::Full,
                consistency: sbx_api::Consistency::Application,
                image: Some(IMAGE.into()),
                imported: false,
            },
            spec: SandboxSpec {
                id: "1111".into(),
                name: "src".into(),
                image: IMAGE.into(),
                preset: None,
                template: "busybox:latest".into(),
                from_snapshot: None,
                env: Vec::new(),
                ports: Vec::new(),
                cpus: Some(2),
                memory_mib: None,
                pids_limit: 0,
                setup_skipped: false,
                setup_script: Some("#!/bin/sh\n".into()),
                repo: None,
                repo_key: None,
                credentials_enabled: true,
                credentials: vec![".codex/auth.json".into()],
                auto_stop_minutes: 30,
                auto_delete_minutes: None,
                snapshot_schedule: None,
                agent_cwd: WORKSPACE.into(),
                created_at,
            },
            image: IMAGE.into(),
            secrets: None,
        }
    }

    fn var(name: &str, value: &str, secret: bool) -> sbx_api::EnvVar {
        sbx_api::EnvVar {
            name: name.into(),
            value: value.into(),
            secret,
        }
    }

    #[test]
    fn snapshot_json_is_made_this_machines() {
        let mut manifest = sample();
        manifest.spec.ports = vec![sbx_api::PortBinding {
            host_ip: "0.0.0.0".into(),
            host_port: 8080,
            container_port: 80,
            protocol: sbx_api::Protocol::Tcp,
        }];
        manifest.spec.env = vec![
            var("MODE", "dev", false),
            var("API_TOKEN", "", true),
            var("GITHUB_TOKEN", "in-spec", false),
        ];
        manifest.secrets = Some(BTreeMap::from([("API_TOKEN".into(), "from-file".into())]));
        let plan = check_snapshot_json(manifest, "f").unwrap();
        assert_eq!(plan.spec.ports[0].host_ip, "127.0.0.1");
        assert!(!plan.spec.credentials_enabled && plan.spec.credentials.is_empty());
        assert_eq!(plan.spec.pids_limit, sbx_api::DEFAULT_PIDS_LIMIT);
        assert_ne!(plan.snapshot.source_sandbox_id, "1111");
        assert_eq!(plan.spec.id, plan.snapshot.source_sandbox_id);
        assert!(plan.snapshot.imported);
        assert_eq!(plan.snapshot.status, SnapshotStatus::Active);
        assert_eq!(
            plan.snapshot.repository.as_deref(),
            Some("https://git.example.com/x.git")
        );
        assert_eq!(
            plan.secrets,
            vec![
                ("API_TOKEN".to_string(), "from-file".to_string()),
                ("GITHUB_TOKEN".to_string(), "in-spec".to_string()),
            ]
        );
        assert!(
            plan.spec
                .env
                .iter()
                .all(|v| !v.secret || v.value.is_empty()),
            "{:?}",
            plan.spec.env
        );

        // A scrubbing snapshot brings no secret value, whatever the file says.
        let mut manifest = sample();
        manifest.snapshot.mode = SnapshotMode::Scrub;
        manifest.spec.env = vec![var("API_TOKEN", "in-spec", true)];
        manifest.secrets = Some(BTreeMap::from([("API_TOKEN".into(), "from-file".into())]));
        let plan = check_snapshot_json(manifest, "f").unwrap();
        assert!(plan.secrets.is_empty());
        assert_eq!(plan.spec.env[0].value, "");
    }

    #[test]
    fn snapshot_json_passes_the_rules_of_a_create() {
        type Change = fn(&mut ExportManifest);
        let cases: [(Change, &str); 11] = [
            (
                |m| m.spec.setup_script = Some("#".repeat(1024 * 1024 + 1)),
                "spec.setup_script",
            ),
            (|m| m.spec.env = vec![var("1BAD", "x", false)], "spec.env"),
            (
                |m| m.spec.env = vec![var("A", "x", false), var("A", "y", false)],
                "spec.env",
            ),
            (
                |m| {
                    m.spec.ports = vec![sbx_api::PortBinding {
                        host_ip: "0.0.0.0".into(),
                        host_port: 1,
                        container_port: 60950,
                        protocol: sbx_api::Protocol::Udp,
                    }]
                },
                "spec.ports",
            ),
            (|m| m.spec.memory_mib = Some(64), "spec.memory_mib"),
            (
                |m| m.spec.auto_stop_minutes = 99_999,
                "spec.auto_stop_minutes",
            ),
            (|m| m.spec.preset = Some("../x".into()), "spec.preset"),
            (|m| m.spec.agent_cwd = "/".into(), "spec.agent_cwd"),
            (
                |m| m.spec.credentials = vec!["../.ssh/id_rsa".into()],
                "spec.credentials",
            ),
            (
                |m| m.secrets = Some(BTreeMap::from([("OTHER".into(), "v".into())])),
                "secrets",
            ),
            (
                |m| m.snapshot.source_sandbox_name = "Src!".into(),
                "snapshot.source_sandbox_name",
            ),
        ];
        for (change, field) in cases {
            let mut manifest = sample();
            change(&mut manifest);
            let error = check_snapshot_json(manifest, "f").unwrap_err();
            assert_eq!(
                error.field(),
                Some(format!("snapshot.json {field}").as_str()),
                "{error}"
            );
        }
        let mut manifest = sample();
        manifest.format = 2;
        assert_eq!(
            check_snapshot_json(manifest, "f").unwrap_err().field(),
            Some("file")
        );
    }

    #[test]
    fn snapshot_image_names_are_of_the_app_form() {
        snapshot_image_name(IMAGE).unwrap();
        for bad in [
            "debian:bookworm",
            "sandbox-desktop/preset-coder:latest",
            "sandbox-desktop/snapshot-Bad:abc",
            "sandbox-desktop/snapshot-ok:xyz",
            "sandbox-desktop/snapshot-ok:",
            "sandbox-desktop/snapshot-ok",
            "docker.io/sandbox-desktop/snapshot-ok:ab",
        ] {
            assert!(snapshot_image_name(bad).is_err(), "{bad}");
        }
    }
}
