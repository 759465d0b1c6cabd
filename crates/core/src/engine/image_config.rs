//! What a snapshot chain needs of an image: its configuration (environment, entrypoint, command, working
//! directory, user, exposed ports, volumes, stop signal, labels) and how many layers it has ([`ImageFacts`]); a
//! commit that sets that configuration whole ([`Engine::commit_with_config`]); and the flattening of an image into
//! one layer with its configuration intact ([`Engine::flatten_image`]).
//!
//! The engine refuses an image deeper than its layer limit (overlay2: "max depth exceeded" past 125 layers), and
//! every generation of snapshot → restore → snapshot adds layers. A flattening is a build inside the engine —
//! `FROM <image> AS src`, `FROM scratch`, `COPY --from=src / /`, then the configuration again — so the bytes never
//! leave the engine and the result is one layer. Values go through build arguments (`ENV "${K}"="${V}"`), so no
//! quoting of a value can change the Dockerfile; entrypoint, command and volumes are written as JSON arrays.

use bollard::models::ContainerConfig;
use bollard::query_parameters::CommitContainerOptionsBuilder;
use std::collections::HashMap;

use super::images::Build;
use super::{Engine, error};
use crate::{Error, Result};

/// An image's configuration, as a commit or a flattening writes it again.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImageConfig {
    /// Environment (`NAME=value`).
    pub env: Vec<String>,
    /// Entrypoint.
    pub entrypoint: Vec<String>,
    /// Command.
    pub cmd: Vec<String>,
    /// Working directory.
    pub working_dir: String,
    /// User.
    pub user: String,
    /// Exposed ports (`port/protocol`).
    pub exposed_ports: Vec<String>,
    /// Declared volumes.
    pub volumes: Vec<String>,
    /// Stop signal.
    pub stop_signal: Option<String>,
    /// Labels.
    pub labels: HashMap<String, String>,
}

/// What a snapshot chain reads of an image.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImageFacts {
    /// The engine's id.
    pub id: String,
    /// Bytes on disk, its parents' layers included.
    pub size: u64,
    /// How many layers its filesystem has.
    pub layers: usize,
    /// Its configuration.
    pub config: ImageConfig,
}

impl Engine {
    /// The facts of the image `name`; `None` when the engine does not have it.
    pub(crate) async fn image_facts(&self, name: &str) -> Result<Option<ImageFacts>> {
        let docker = self.client().await?;
        let inspect = match docker.inspect_image(name).await {
            Ok(inspect) => inspect,
            Err(e) if error::status_of(&e) == Some(404) => return Ok(None),
            Err(e) => return Err(self.fail(format!("inspecting image {name}"), e)),
        };
        let config = inspect.config.unwrap_or_default();
        let mut exposed_ports = config.exposed_ports.unwrap_or_default();
        exposed_ports.sort();
        let mut volumes = config.volumes.unwrap_or_default();
        volumes.sort();
        Ok(Some(ImageFacts {
            id: inspect.id.unwrap_or_default(),
            size: inspect.size.unwrap_or(0).max(0) as u64,
            layers: inspect
                .root_fs
                .and_then(|fs| fs.layers)
                .map_or(0, |layers| layers.len()),
            config: ImageConfig {
                env: config.env.unwrap_or_default(),
                entrypoint: config.entrypoint.unwrap_or_default(),
                cmd: config.cmd.unwrap_or_default(),
                working_dir: config.working_dir.unwrap_or_default(),
                user: config.user.unwrap_or_default(),
                exposed_ports,
                volumes,
                stop_signal: config.stop_signal.filter(|s| !s.is_empty()),
                labels: config.labels.unwrap_or_default(),
            },
        }))
    }

    /// Commit `container` to `repo:tag` with the configuration `config` (not the container's own): the entrypoint
    /// and command are set even when empty, so a helper's script never becomes the image's.
    pub(crate) async fn commit_with_config(
        &self,
        container: &str,
        repo: &str,
        tag: &str,
        comment: &str,
        config: &ImageConfig,
    ) -> Result<()> {
        let docker = self.client().await?;
        let options = CommitContainerOptionsBuilder::default()
            .container(container)
            .repo(repo)
            .tag(tag)
            .comment(comment)
            .pause(false)
            .build();
        let body = ContainerConfig {
            env: Some(config.env.clone()),
            entrypoint: Some(config.entrypoint.clone()),
            cmd: Some(config.cmd.clone()),
            working_dir: Some(config.working_dir.clone()),
            user: Some(config.user.clone()),
            exposed_ports: Some(config.exposed_ports.clone()),
            volumes: (!config.volumes.is_empty()).then(|| config.volumes.clone()),
            stop_signal: config.stop_signal.clone(),
            labels: Some(config.labels.clone()),
            ..Default::default()
        };
        docker.commit_container(options, body).await.map_err(|e| {
            self.fail(
                format!("committing container {container} to {repo}:{tag}"),
                e,
            )
        })?;
        Ok(())
    }

    /// Make `target` (`repo:tag`) a one-layer copy of the image `source` with the configuration `config`, by a
    /// build inside the engine (see the module documentation). `on_line` hears the build's output.
    pub(crate) async fn flatten_image(
        &self,
        source: &str,
        target: &str,
        config: &ImageConfig,
        on_line: impl FnMut(&str),
    ) -> Result<()> {
        let (dockerfile, args) = flatten_dockerfile(source, config);
        let context = dockerfile_context(&dockerfile)
            .map_err(|e| Error::io("writing the flattening's build context", e))?;
        let build = Build {
            context,
            tag: target,
            args,
            labels: config.labels.clone(),
        };
        match self.build_image(build, on_line).await? {
            Ok(()) => Ok(()),
            Err(reason) => Err(Error::Other(format!(
                "flattening image {source} into one layer failed: {}",
                error::explain_text(&reason).unwrap_or(reason)
            ))),
        }
    }
}

/// The Dockerfile of a flattening and its build arguments: every value that is not JSON goes through an argument.
pub fn flatten_dockerfile(source: &str, config: &ImageConfig) -> (String, HashMap<String, String>) {
    let json = |values: &[String]| serde_json::to_string(values).unwrap_or_else(|_| "[]".into());
    let mut args = HashMap::new();
    let mut lines = vec![
        format!("FROM {source} AS src"),
        "FROM scratch".to_string(),
        "COPY --from=src / /".to_string(),
    ];
    for (i, entry) in config.env.iter().enumerate() {
        let (name, value) = entry.split_once('=').unwrap_or((entry.as_str(), ""));
        args.insert(format!("SBX_ENV_NAME_{i}"), name.to_string());
        args.insert(format!("SBX_ENV_VALUE_{i}"), value.to_string());
        lines.push(format!("ARG SBX_ENV_NAME_{i}"));
        lines.push(format!("ARG SBX_ENV_VALUE_{i}"));
        lines.push(format!(
            "ENV \"${{SBX_ENV_NAME_{i}}}\"=\"${{SBX_ENV_VALUE_{i}}}\""
        ));
    }
    if !config.working_dir.is_empty() {
        args.insert("SBX_WORKDIR".into(), config.working_dir.clone());
        lines.push("ARG SBX_WORKDIR".into());
        lines.push("WORKDIR ${SBX_WORKDIR}".into());
    }
    if !config.user.is_empty() {
        args.insert("SBX_USER".into(), config.user.clone());
        lines.push("ARG SBX_USER".into());
        lines.push("USER ${SBX_USER}".into());
    }
    let ports: Vec<&String> = config
        .exposed_ports
        .iter()
        .filter(|p| {
            p.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '/' || c == '-')
        })
        .collect();
    if !ports.is_empty() {
        lines.push(format!(
            "EXPOSE {}",
            ports
                .iter()
                .map(|p| p.as_str())
                .collect::<Vec<_>>()
                .join(" ")
        ));
    }
    if !config.volumes.is_empty() {
        lines.push(format!("VOLUME {}", json(&config.volumes)));
    }
    if let Some(signal) = &config.stop_signal {
        args.insert("SBX_STOP_SIGNAL".into(), signal.clone());
        lines.push("ARG SBX_STOP_SIGNAL".into());
        lines.push("STOPSIGNAL ${SBX_STOP_SIGNAL}".into());
    }
    if !config.entrypoint.is_empty() {
        lines.push(format!("ENTRYPOINT {}", json(&config.entrypoint)));
    }
    if !config.cmd.is_empty() {
        lines.push(format!("CMD {}", json(&config.cmd)));
    }
    let mut dockerfile = lines.join("\n");
    dockerfile.push('\n');
    (dockerfile, args)
}

/// A build context holding only `Dockerfile`.
fn dockerfile_context(dockerfile: &str) -> std::io::Result<Vec<u8>> {
    let mut builder = tar::Builder::new(Vec::new());
    let mut header = tar::Header::new_gnu();
    header.set_size(dockerfile.len() as u64);
    header.set_mode(0o644);
    header.set_cksum();
    builder.append_data(&mut header, "Dockerfile", dockerfile.as_bytes())?;
    builder.into_inner()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_value_goes_through_an_argument_and_arrays_are_json() {
        let config = ImageConfig {
            env: vec!["PATH=/bin".into(), "ODD=a \"q\" $HOME\nline".into()],
            entrypoint: vec!["/bin/sh".into(), "-c".into(), "echo \"x\"\nexit 0".into()],
            cmd: vec!["image".into(), "--serve".into()],
            working_dir: "/home/amika/work space".into(),
            user: "0:0".into(),
            exposed_ports: vec!["8080/tcp".into(), "53/udp".into(), "bad port\nRUN x".into()],
            volumes: Vec::new(),
            stop_signal: Some("SIGTERM".into()),
            labels: HashMap::from([("a".into(), "b".into())]),
        };
        let (dockerfile, args) = flatten_dockerfile("sandbox-desktop/partial:abc", &config);
        assert!(dockerfile.starts_with(
            "FROM sandbox-desktop/partial:abc AS src\nFROM scratch\nCOPY --from=src / /\n"
        ));
        // No value is written into the Dockerfile itself: each line is one instruction.
        assert!(!dockerfile.contains("$HOME"));
        assert!(!dockerfile.contains("RUN"));
        assert!(!dockerfile.contains("work space"));
        assert_eq!(args["SBX_ENV_VALUE_1"], "a \"q\" $HOME\nline");
        assert_eq!(args["SBX_ENV_NAME_1"], "ODD");
        assert_eq!(args["SBX_WORKDIR"], "/home/amika/work space");
        assert!(dockerfile.contains("EXPOSE 8080/tcp 53/udp\n"));
        assert!(dockerfile.contains(r#"ENTRYPOINT ["/bin/sh","-c","echo \"x\"\nexit 0"]"#));
        assert!(dockerfile.contains(r#"CMD ["image","--serve"]"#));
        assert_eq!(
            dockerfile.lines().filter(|l| l.starts_with("ENV ")).count(),
            2
        );
    }
}
