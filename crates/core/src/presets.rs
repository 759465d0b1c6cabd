//! Presets: named image definitions (a Dockerfile the app carries, or one the user adds under `presets/<name>/`),
//! built into a local image on first use with visible progress.
//!
//! Presets build `FROM` the base image `SANDBOX_DESKTOP_BASE_IMAGE` (default `debian:bookworm`), so a machine with
//! no registry can build them from a local image.

use sbx_api::{ApiError, JobStage};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::path::PathBuf;

use crate::engine::images::Build;
use crate::jobs::JobHandle;
use crate::{Core, Error, Result, labels};

/// Environment variable naming the image presets build from.
pub const BASE_IMAGE_ENV: &str = "SANDBOX_DESKTOP_BASE_IMAGE";
/// The base image when the variable is not set.
pub const DEFAULT_BASE_IMAGE: &str = "debian:bookworm";
/// The preset used when none is named.
pub const DEFAULT_PRESET: &str = "coder";

/// The developer image: git, curl, bash, build tools, Python 3, Node.js, and a no-op setup script.
/// Installs only what the base lacks, so it builds offline from a base that has them all.
const CODER_DOCKERFILE: &str = r#"ARG BASE=debian:bookworm
FROM ${BASE}
RUN set -e; missing=""; \
    for tool in git curl bash make gcc python3 node; do command -v "$tool" >/dev/null 2>&1 || missing=yes; done; \
    if [ -n "$missing" ]; then \
      apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        git curl bash ca-certificates build-essential python3 nodejs procps && rm -rf /var/lib/apt/lists/*; \
    fi
RUN mkdir -p /usr/local/etc/amikad/setup /home/amika/workspace \
 && printf '#!/bin/sh\n# No-op setup script: replaced by the sandbox setup script when one is given.\nexit 0\n' \
      > /usr/local/etc/amikad/setup/setup.sh \
 && chmod 755 /usr/local/etc/amikad/setup/setup.sh
ENV HOME=/home/amika
WORKDIR /home/amika
CMD ["/bin/bash"]
"#;

/// A preset: a name and how to build its image.
#[derive(Debug, Clone)]
pub struct Preset {
    /// The preset's name (`coder`, or a user preset's folder name).
    pub name: String,
    /// The Dockerfile.
    pub dockerfile: String,
    /// A user preset's folder, whose files are the build context.
    pub context: Option<PathBuf>,
    /// The data dir a user preset belongs to (its image is labelled and named with it); `None` for built-in ones.
    pub instance: Option<String>,
}

impl Preset {
    /// The local image this preset builds, tagged with a hash of its definition.
    pub fn image(&self) -> String {
        let mut hasher = Sha256::new();
        hasher.update(self.dockerfile.as_bytes());
        if let Some(dir) = &self.context {
            for (name, bytes) in context_files(dir) {
                hasher.update(name.as_bytes());
                hasher.update(&bytes);
            }
        }
        let hash: String = hasher.finalize()[..6]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        match &self.instance {
            Some(instance) => format!("sandbox-desktop/preset-{}-{instance}:{hash}", self.name),
            None => format!("sandbox-desktop/preset-{}:{hash}", self.name),
        }
    }
}

fn context_files(dir: &std::path::Path) -> Vec<(String, Vec<u8>)> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(current) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&current) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if let (Ok(bytes), Ok(rel)) = (std::fs::read(&path), path.strip_prefix(dir)) {
                files.push((rel.to_string_lossy().replace('\\', "/"), bytes));
            }
        }
    }
    files.sort();
    files
}

/// The base image presets build from.
pub fn base_image() -> String {
    std::env::var(BASE_IMAGE_ENV)
        .ok()
        .filter(|v| !v.trim().is_empty())
        .unwrap_or_else(|| DEFAULT_BASE_IMAGE.to_string())
}

impl Core {
    /// Every preset: the built-in ones, then the user's (`<data dir>/presets/<name>/Dockerfile`).
    pub fn presets(&self) -> Vec<Preset> {
        let mut presets = vec![Preset {
            name: DEFAULT_PRESET.to_string(),
            dockerfile: CODER_DOCKERFILE.to_string(),
            context: None,
            instance: None,
        }];
        if let Ok(entries) = std::fs::read_dir(self.paths().presets_dir()) {
            let mut user: Vec<Preset> = entries
                .flatten()
                .filter_map(|entry| {
                    let dir = entry.path();
                    let dockerfile = std::fs::read_to_string(dir.join("Dockerfile")).ok()?;
                    let name = entry.file_name().to_string_lossy().into_owned();
                    Some(Preset {
                        name,
                        dockerfile,
                        context: Some(dir),
                        instance: Some(self.paths().instance().to_string()),
                    })
                })
                .filter(|p| p.name != DEFAULT_PRESET)
                .collect();
            user.sort_by(|a, b| a.name.cmp(&b.name));
            presets.extend(user);
        }
        presets
    }

    /// The preset called `name`.
    pub fn preset(&self, name: &str) -> Result<Preset> {
        self.presets()
            .into_iter()
            .find(|p| p.name == name)
            .ok_or_else(|| {
                let known: Vec<String> = self.presets().into_iter().map(|p| p.name).collect();
                Error::Api(ApiError::invalid(
                    sbx_api::Field::Preset,
                    name,
                    format!("no such preset (known: {})", known.join(", ")),
                ))
            })
    }

    /// Whether the engine has `image` locally.
    pub async fn image_exists(&self, image: &str) -> Result<bool> {
        self.engine().image_exists(image).await
    }

    /// The preset's image, built first when the engine does not have it (progress goes to `job`).
    pub async fn ensure_preset_image(
        &self,
        preset: &Preset,
        job: Option<&JobHandle>,
    ) -> Result<String> {
        let image = preset.image();
        if self.image_exists(&image).await? {
            return Ok(image);
        }
        if let Some(job) = job {
            job.stage(
                JobStage::BuildingImage,
                &format!("building preset {} ({image})", preset.name),
                None,
            )
            .await;
        }
        let context = build_context(preset).map_err(|e| Error::io("packing the preset", e))?;
        let mut label_map = HashMap::new();
        label_map.insert(labels::KIND.to_string(), labels::KIND_PRESET.to_string());
        label_map.insert(labels::SOURCE.to_string(), preset.name.clone());
        if let Some(instance) = &preset.instance {
            label_map.insert(labels::INSTANCE.to_string(), instance.clone());
        }
        let build = Build {
            context,
            tag: &image,
            args: HashMap::from([("BASE".to_string(), self.base_image())]),
            labels: label_map,
        };
        let mut last_lines: Vec<String> = Vec::new();
        let built = self
            .engine()
            .build_image(build, |line| {
                let line = line.trim_end();
                if line.is_empty() {
                    return;
                }
                if let Some(job) = job {
                    job.output(JobStage::BuildingImage, line);
                }
                last_lines.push(line.to_string());
                if last_lines.len() > 20 {
                    last_lines.remove(0);
                }
            })
            .await?;
        if let Err(message) = built {
            return Err(Error::Api(ApiError::invalid(
                sbx_api::Field::Preset,
                &preset.name,
                format!("building its image failed: {message}"),
            )));
        }
        if !self.image_exists(&image).await? {
            return Err(Error::Api(ApiError::invalid(
                sbx_api::Field::Preset,
                &preset.name,
                format!(
                    "building its image did not produce {image}: {}",
                    last_lines.join(" | ")
                ),
            )));
        }
        Ok(image)
    }
}

fn build_context(preset: &Preset) -> std::io::Result<Vec<u8>> {
    let mut builder = tar::Builder::new(Vec::new());
    let mut files = preset
        .context
        .as_deref()
        .map(context_files)
        .unwrap_or_default();
    files.retain(|(name, _)| name != "Dockerfile");
    files.push((
        "Dockerfile".to_string(),
        preset.dockerfile.clone().into_bytes(),
    ));
    for (name, bytes) in files {
        let mut header = tar::Header::new_gnu();
        header.set_size(bytes.len() as u64);
        header.set_mode(0o644);
        header.set_cksum();
        builder.append_data(&mut header, &name, bytes.as_slice())?;
    }
    builder.into_inner()
}
