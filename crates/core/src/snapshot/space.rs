//! Room on disk (N10): before a capture, an export or an import, the free space where the bytes will go is checked
//! against what the work is expected to write, and the work is refused with a clear error instead of failing
//! midway with the engine's disk (or the export's folder) full. The Snapshots page's storage line
//! ([`Core::snapshot_storage`]) shows the snapshots' total and the engine's free space.
//!
//! What each writes, roughly: a capture writes its workspace twice (the helper's copy, then the commit of it) and
//! the sandbox's own layer once, and a flattening the whole image twice more; an export writes the image's bytes
//! to the file's folder; an import writes the file's image twice on the engine (the engine unpacks the upload to a
//! temporary folder, then into layers). How the engine's free space is measured is in [`crate::engine::space`].

use sbx_api::{ApiError, ListSnapshotsRequest, SnapshotStorage};
use std::path::Path;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::engine::exec::Command;
use crate::engine::helpers::HelperOf;
use crate::engine::space::{FreeSpace, host_free};
use crate::sandbox::SandboxRecord;
use crate::{Core, Result, labels};

/// Room kept free beyond what the work is expected to write.
pub const MARGIN: u64 = 64 * 1024 * 1024;

/// How long a measurement by a helper container is reused (it starts a container; the storage line is fetched
/// whenever snapshots change).
const HELPER_MEASUREMENT_TTL: Duration = Duration::from_secs(60);

/// The last measurement by a helper container: when, for which engine, what.
static HELPER_MEASUREMENT: Mutex<Option<(Instant, String, FreeSpace)>> = Mutex::new(None);

/// `n` bytes as people read them (powers of 1000).
pub fn human(n: u64) -> String {
    const UNITS: [&str; 5] = ["kB", "MB", "GB", "TB", "PB"];
    if n < 1000 {
        return format!("{n} B");
    }
    let mut value = n as f64 / 1000.0;
    let mut unit = 0;
    while value >= 1000.0 && unit + 1 < UNITS.len() {
        value /= 1000.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

/// The refusal when `needed` bytes are wanted and `space` has less (margin included); `what` says for what.
fn refuse_if_short(space: &FreeSpace, needed: u64, what: &str) -> Result<()> {
    if space.free_bytes >= needed.saturating_add(MARGIN) {
        return Ok(());
    }
    Err(ApiError::conflict(format!(
        "not enough disk space for {what}: it needs about {} and {} is free ({}). Free space — delete snapshots \
         and sandboxes you no longer need, or unused images (docker image prune) — then try again",
        human(needed.saturating_add(MARGIN)),
        human(space.free_bytes),
        space.measured
    ))
    .into())
}

impl Core {
    /// The engine's free space: its data root on this machine when it can be seen, else `df` in `container` (a
    /// running container of the engine), else, when `helper`, `df` in a helper of one of this data dir's images
    /// (looked for only then); `None` when nothing can tell.
    pub(crate) async fn engine_free_space(
        &self,
        container: Option<&str>,
        helper: bool,
    ) -> Option<FreeSpace> {
        if let Ok(Some(space)) = self.engine().data_root_free().await {
            return Some(space);
        }
        if let Some(container) = container
            && let Ok(Some(space)) = self.engine().free_space_in(container, "/").await
        {
            return Some(space);
        }
        if !helper {
            return None;
        }
        let address = self.engine().address().to_string();
        if let Ok(slot) = HELPER_MEASUREMENT.lock()
            && let Some((at, engine, space)) = slot.as_ref()
            && *engine == address
            && at.elapsed() < HELPER_MEASUREMENT_TTL
        {
            return Some(space.clone());
        }
        let image = self.any_image_of_ours().await?;
        let job = format!("space-{}", uuid::Uuid::new_v4().simple());
        let of = HelperOf {
            instance: self.paths().instance(),
            job: &job,
            snapshot: None,
        };
        let space = self
            .engine()
            .free_space_by_helper(&image, of)
            .await
            .ok()
            .flatten()?;
        if let Ok(mut slot) = HELPER_MEASUREMENT.lock() {
            *slot = Some((Instant::now(), address, space.clone()));
        }
        Some(space)
    }

    /// Before a capture of `source` (running as `container`): the engine must have room for the workspace twice,
    /// the container's own layer, and — when the image will be flattened — the whole image twice more.
    pub(crate) async fn check_capture_space(
        &self,
        container: &str,
        source: &SandboxRecord,
        flatten: bool,
    ) -> Result<()> {
        let Some(space) = self.engine_free_space(Some(container), false).await else {
            tracing::warn!("the engine's free space is unknown; capturing without checking it");
            return Ok(());
        };
        let workspace = match &source.spec.repo {
            Some(repo) => self.workspace_bytes(container, &repo.mount_path).await,
            None => 0,
        };
        let layer = self
            .engine()
            .container_layer_size(container)
            .await
            .ok()
            .flatten()
            .unwrap_or(0);
        let mut needed = workspace.saturating_mul(2).saturating_add(layer);
        if flatten {
            let image = self
                .engine()
                .image_facts(&source.spec.image)
                .await
                .ok()
                .flatten()
                .map_or(0, |facts| facts.size);
            needed = needed.saturating_add(
                image
                    .saturating_add(workspace)
                    .saturating_add(layer)
                    .saturating_mul(2),
            );
        }
        refuse_if_short(
            &space,
            needed,
            &format!("a snapshot of sandbox '{}'", source.spec.name),
        )
    }

    /// The bytes under `path` in the running `container` (`du -sk`); 0 when it cannot be measured.
    async fn workspace_bytes(&self, container: &str, path: &str) -> u64 {
        let command = Command {
            argv: vec!["du".into(), "-sk".into(), path.into()],
            user: "0:0".into(),
            working_dir: "/".into(),
            ..Default::default()
        };
        match self.engine().run_collect(container, command).await {
            Ok((0, output)) => output
                .split_whitespace()
                .next()
                .and_then(|kib| kib.parse::<u64>().ok())
                .map_or(0, |kib| kib * 1024),
            _ => 0,
        }
    }

    /// Before an export of `image` to `file`: the file's folder must have room for the image.
    pub(crate) async fn check_export_space(&self, image: &str, file: &Path) -> Result<()> {
        let folder = match file.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
            _ => std::path::PathBuf::from("."),
        };
        let Some(space) = host_free(&folder) else {
            return Ok(());
        };
        let needed = self.engine().image_size(image).await.unwrap_or(0).max(0) as u64;
        if space.free_bytes >= needed.saturating_add(MARGIN) {
            return Ok(());
        }
        Err(ApiError::invalid(
            sbx_api::Field::File,
            file.display().to_string(),
            format!(
                "not enough room in {}: the export needs about {} and {} is free; choose another folder or free \
                 space there",
                folder.display(),
                human(needed.saturating_add(MARGIN)),
                human(space.free_bytes)
            ),
        )
        .into())
    }

    /// Before an import of an image archive of `len` bytes: the engine must have room for it twice.
    pub(crate) async fn check_import_space(&self, len: u64) -> Result<()> {
        let Some(space) = self.engine_free_space(None, true).await else {
            tracing::warn!("the engine's free space is unknown; importing without checking it");
            return Ok(());
        };
        refuse_if_short(&space, len.saturating_mul(2), "this import")
    }

    /// An image of this data dir (a snapshot's or a preset's), for a helper that measures free space.
    async fn any_image_of_ours(&self) -> Option<String> {
        for kind in [labels::KIND_SNAPSHOT, labels::KIND_PRESET] {
            let found = self
                .engine()
                .list_images(
                    &labels::of_instance(self.paths().instance(), &[(labels::KIND, kind)]),
                    false,
                )
                .await
                .ok()?;
            if let Some(image) = found.into_iter().next() {
                return Some(image.id);
            }
        }
        None
    }

    /// The snapshots' total and the engine's free space, for the Snapshots page.
    pub async fn snapshot_storage(&self) -> Result<SnapshotStorage> {
        let page = self
            .list_snapshots(&ListSnapshotsRequest {
                sandbox: None,
                page: 1,
                limit: 1,
            })
            .await?;
        let space = self.engine_free_space(None, true).await;
        Ok(SnapshotStorage {
            snapshots: page.total,
            total_bytes: page.total_size_bytes,
            free_bytes: space.as_ref().map(|s| s.free_bytes),
            disk_bytes: space.as_ref().and_then(|s| s.total_bytes),
            measured: space.map_or_else(
                || "the engine's free space could not be measured".to_string(),
                |s| s.measured,
            ),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_space_is_refused_with_both_numbers() {
        let space = FreeSpace {
            free_bytes: 1_000_000_000,
            total_bytes: None,
            measured: "the engine's data root /var/lib/docker".into(),
        };
        assert!(refuse_if_short(&space, 500_000_000, "x").is_ok());
        let refused = ApiError::from(
            refuse_if_short(&space, 2_000_000_000, "a snapshot of sandbox 'big'").unwrap_err(),
        );
        let text = refused.to_string();
        assert!(text.contains("a snapshot of sandbox 'big'"), "{text}");
        assert!(text.contains("2.1 GB") && text.contains("1.0 GB"), "{text}");
        assert!(text.contains("/var/lib/docker"), "{text}");
        assert_eq!(human(999), "999 B");
        assert_eq!(human(1_500_000), "1.5 MB");
    }
}
