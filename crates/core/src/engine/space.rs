//! Free space: how many bytes are left where the engine keeps images, containers and volumes (its data root), and in
//! a folder of this machine (where an export is written).
//!
//! The engine's API does not say how much room its disk has left, so it is found out honestly, the cheapest way that
//! works: for an engine on a local socket whose data root (`DockerRootDir`) this machine can see, the file system of
//! that folder (`statvfs`); otherwise (Docker Desktop's VM, a remote engine) `df` run inside the engine — in a
//! running container (the sandbox being captured) or in a short helper container of an image it has — which
//! measures the file system the engine writes layers to. When neither works, the answer is "unknown", never a
//! guess.

use bollard::query_parameters::InspectContainerOptionsBuilder;
use futures_util::StreamExt;
use std::path::Path;

use super::Engine;
use super::exec::Command;
use super::helpers::HelperOf;
use crate::Result;

/// Free bytes somewhere, and how they were measured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FreeSpace {
    /// Bytes an unprivileged writer may still use.
    pub free_bytes: u64,
    /// The file system's size, when known.
    pub total_bytes: Option<u64>,
    /// What was measured, in words (`/var/lib/docker on this machine`, `df in container …`).
    pub measured: String,
}

impl Engine {
    /// The free space of the engine's data root, when the engine is on a local socket and its data root is a folder
    /// of this machine; `None` otherwise (ask [`Engine::free_space_in`] or [`Engine::free_space_by_helper`]).
    pub(crate) async fn data_root_free(&self) -> Result<Option<FreeSpace>> {
        if !self.address().starts_with("unix://") {
            return Ok(None);
        }
        let docker = self.client().await?;
        let info = docker
            .info()
            .await
            .map_err(|e| self.fail("asking about it", e))?;
        let Some(root) = info.docker_root_dir.filter(|r| !r.is_empty()) else {
            return Ok(None);
        };
        Ok(host_free(Path::new(&root)).map(|mut space| {
            space.measured = format!("the engine's data root {root}");
            space
        }))
    }

    /// The free space of the file system holding `path` in the running container `container`, by `df -Pk` in it;
    /// `None` when the container has no `df` or it fails.
    pub(crate) async fn free_space_in(
        &self,
        container: &str,
        path: &str,
    ) -> Result<Option<FreeSpace>> {
        let command = Command {
            argv: vec!["df".into(), "-Pk".into(), path.into()],
            user: "0:0".into(),
            working_dir: "/".into(),
            ..Default::default()
        };
        let Ok((code, output)) = self.run_collect(container, command).await else {
            return Ok(None);
        };
        if code != 0 {
            return Ok(None);
        }
        Ok(parse_df(&output).map(|(free, total)| FreeSpace {
            free_bytes: free,
            total_bytes: Some(total),
            measured: format!("df {path} in container {container}"),
        }))
    }

    /// The free space of the engine's data root, by `df -Pk /` in a short helper container of `image` (with no
    /// network); `None` when the image has no `df`.
    pub(crate) async fn free_space_by_helper(
        &self,
        image: &str,
        of: HelperOf<'_>,
    ) -> Result<Option<FreeSpace>> {
        let run = self.run_helper(image, of, &[], "df -Pk /", &[]).await?;
        self.remove_helper(&run.id).await;
        if run.exit_code != 0 {
            return Ok(None);
        }
        Ok(parse_df(&run.output).map(|(free, total)| FreeSpace {
            free_bytes: free,
            total_bytes: Some(total),
            measured: format!("df / in a helper container of {image}"),
        }))
    }

    /// The bytes `container`'s own layer holds (what a commit of it writes), when the engine says.
    pub(crate) async fn container_layer_size(&self, container: &str) -> Result<Option<u64>> {
        let docker = self.client().await?;
        let options = InspectContainerOptionsBuilder::default().size(true).build();
        let inspect = docker
            .inspect_container(container, Some(options))
            .await
            .map_err(|e| self.fail(format!("inspecting container {container} with its size"), e))?;
        Ok(inspect.size_rw.map(|size| size.max(0) as u64))
    }

    /// Run `command` in the running `container` until it ends: its exit code and what it printed.
    pub(crate) async fn run_collect(
        &self,
        container: &str,
        command: Command,
    ) -> Result<(i64, String)> {
        let exec_id = self.create_exec(container, &command).await?;
        let mut started = self.start_exec(&exec_id, false).await?;
        drop(started.input);
        let mut text = Vec::new();
        while let Some(chunk) = started.output.next().await {
            text.extend_from_slice(chunk?.bytes());
        }
        let code = self.exec_state(&exec_id).await?.exit_code.unwrap_or(-1);
        Ok((code, String::from_utf8_lossy(&text).into_owned()))
    }
}

/// The free space of the file system holding `path` on this machine; `None` when it cannot be asked.
pub fn host_free(path: &Path) -> Option<FreeSpace> {
    #[cfg(unix)]
    {
        let stat = rustix::fs::statvfs(path).ok()?;
        let unit = if stat.f_frsize > 0 {
            stat.f_frsize
        } else {
            stat.f_bsize
        };
        Some(FreeSpace {
            free_bytes: stat.f_bavail.saturating_mul(unit),
            total_bytes: Some(stat.f_blocks.saturating_mul(unit)),
            measured: path.display().to_string(),
        })
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        None
    }
}

/// `(available, size)` in bytes from the output of `df -Pk` (its last line: the file system asked about).
pub fn parse_df(output: &str) -> Option<(u64, u64)> {
    let line = output.lines().rev().find(|l| !l.trim().is_empty())?;
    let fields: Vec<&str> = line.split_whitespace().collect();
    // `Filesystem 1024-blocks Used Available Capacity Mounted-on`; a long device name may push the rest to the
    // next line, so count from the end.
    if fields.len() < 5 {
        return None;
    }
    let n = fields.len();
    let available: u64 = fields[n - 3].parse().ok()?;
    let size: u64 = fields[n - 5].parse().ok()?;
    Some((available * 1024, size * 1024))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn df_output_is_read_from_its_last_line() {
        let busybox = "Filesystem           1024-blocks    Used Available Capacity Mounted on\n\
                       overlay              263174212 46123456  50000000  48% /\n";
        assert_eq!(
            parse_df(busybox),
            Some((50_000_000 * 1024, 263_174_212 * 1024))
        );
        let wrapped = "Filesystem 1024-blocks Used Available Capacity Mounted on\n\
                       /dev/mapper/very-long-name\n 1000 200 800 20% /home/amika/workspace\n";
        assert_eq!(parse_df(wrapped), Some((800 * 1024, 1000 * 1024)));
        assert_eq!(parse_df("df: /nowhere: No such file or directory\n"), None);
        assert_eq!(parse_df(""), None);
    }

    #[test]
    fn this_machine_has_some_room() {
        let dir = std::env::temp_dir();
        let space = host_free(&dir);
        if cfg!(unix) {
            let space = space.unwrap();
            assert!(space.free_bytes > 0);
            assert!(space.total_bytes.unwrap() >= space.free_bytes);
        }
    }
}
