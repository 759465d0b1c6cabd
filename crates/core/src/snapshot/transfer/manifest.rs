//! An export's `snapshot.json`: what it holds ([`ExportManifest`]), and the check an import makes of it — the rules
//! of a create, one group at a time (names, environment, ports, resources, lifecycle, setup script, repository,
//! credentials) — which also makes it this machine's ([`ImportPlan`]).

use sbx_api::{ApiError, Field, Snapshot, SnapshotMode, SnapshotStatus};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashSet};

use super::{EXPORT_FORMAT, SNAPSHOT_REPO};
use crate::sandbox::spec::SandboxSpec;
use crate::{config, credentials, git, validate};

/// Where a sandbox without a repository starts its shells and setup script.
const WORKSPACE: &str = "/home/amika/workspace";

/// What an export file's `snapshot.json` holds.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ExportManifest {
    /// The file format, 1.
    pub format: u32,
    /// [`SECRETS_WARNING`](super::SECRETS_WARNING), when the file carries secret values.
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

/// A checked `snapshot.json`: what the import records.
#[derive(Debug, Clone)]
pub(super) struct ImportPlan {
    /// The record (fresh source id, `imported`); its id and image are set once committed.
    pub(super) snapshot: Snapshot,
    /// The configuration (fresh id, host ports on 127.0.0.1, credentials off, secret values empty).
    pub(super) spec: SandboxSpec,
    /// Secret values for the secret store (a full snapshot's only).
    pub(super) secrets: Vec<(String, String)>,
    /// The image name the file says `image.tar` holds.
    pub(super) image: String,
}

/// Refuse `error` of a create rule as a value of `snapshot.json` at `path` (`spec.ports`, …).
fn in_snapshot_json(path: &str) -> impl Fn(ApiError) -> ApiError + '_ {
    move |error| match error {
        ApiError::InvalidInput { value, message, .. } => {
            ApiError::invalid(Field::Key(format!("snapshot.json {path}")), value, message)
        }
        other => other,
    }
}

/// An `ApiError` on the value at `path` of `snapshot.json`.
fn bad_value(path: &str, value: impl Into<String>, message: impl Into<String>) -> ApiError {
    ApiError::invalid(Field::Key(format!("snapshot.json {path}")), value, message)
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
pub(super) fn check_snapshot_json(
    mut manifest: ExportManifest,
    shown: &str,
) -> std::result::Result<ImportPlan, ApiError> {
    if manifest.format != EXPORT_FORMAT {
        return Err(ApiError::invalid(
            sbx_api::Field::File,
            shown,
            format!(
                "export format {} is not supported (this version reads format {EXPORT_FORMAT})",
                manifest.format
            ),
        ));
    }
    let snapshot = &mut manifest.snapshot;
    let spec = &mut manifest.spec;
    check_names(snapshot, spec, &manifest.image)?;
    let secrets = check_env(spec, manifest.secrets.take(), snapshot.mode)?;
    check_ports(spec)?;
    check_resources(spec)?;
    check_lifecycle(spec)?;
    check_setup_script(spec)?;
    check_repository(spec, snapshot)?;
    check_credentials(spec)?;

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

/// Names: the snapshot's, its source sandbox's, the configuration's, the image's (of the app's form), the source
/// template and the preset.
fn check_names(
    snapshot: &Snapshot,
    spec: &SandboxSpec,
    image: &str,
) -> std::result::Result<(), ApiError> {
    let at = in_snapshot_json;
    validate::name(sbx_api::Field::Name, &snapshot.name).map_err(at("snapshot.name"))?;
    validate::name(sbx_api::Field::Name, &snapshot.source_sandbox_name)
        .map_err(at("snapshot.source_sandbox_name"))?;
    validate::name(sbx_api::Field::Name, &spec.name).map_err(at("spec.name"))?;
    if let Some(from) = &spec.from_snapshot {
        validate::name(sbx_api::Field::Name, from).map_err(at("spec.from_snapshot"))?;
    }
    snapshot_image_name(image).map_err(|why| bad_value("image", image, why))?;
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
    Ok(())
}

/// Environment: the names a create accepts, each once; secret values leave the configuration. The secret values
/// to keep (the file's `secrets`, or else the configuration's), a full snapshot's only.
fn check_env(
    spec: &mut SandboxSpec,
    file_secrets: Option<BTreeMap<String, String>>,
    mode: SnapshotMode,
) -> std::result::Result<Vec<(String, String)>, ApiError> {
    let at = in_snapshot_json;
    let mut seen = HashSet::new();
    for var in &mut spec.env {
        validate::env_name(sbx_api::Field::Env, &var.name).map_err(at("spec.env"))?;
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
    let file_secrets = file_secrets.unwrap_or_default();
    for (name, value) in &file_secrets {
        validate::env_name(sbx_api::Field::Key("secrets".into()), name).map_err(at("secrets"))?;
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
    let full = mode == SnapshotMode::Full;
    let mut secrets = Vec::new();
    for var in spec.env.iter_mut().filter(|v| v.secret) {
        let in_spec = std::mem::take(&mut var.value);
        let value = file_secrets.get(&var.name).cloned().unwrap_or(in_spec);
        // A scrubbing snapshot kept no secret values: whatever the file says, none come in.
        if full && !value.is_empty() {
            secrets.push((var.name.clone(), value));
        }
    }
    Ok(secrets)
}

/// Ports: container ports outside the reserved range, bound on 127.0.0.1 whatever the file says.
fn check_ports(spec: &mut SandboxSpec) -> std::result::Result<(), ApiError> {
    let at = in_snapshot_json;
    for port in &mut spec.ports {
        validate::service_port(sbx_api::Field::Port, port.container_port, port.protocol)
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
    Ok(())
}

/// Resources: CPUs and memory in a create's ranges; the pids limit of a create.
fn check_resources(spec: &mut SandboxSpec) -> std::result::Result<(), ApiError> {
    let at = in_snapshot_json;
    if let Some(cpus) = spec.cpus {
        validate::cpus(cpus).map_err(at("spec.cpus"))?;
    }
    if let Some(memory) = spec.memory_mib {
        validate::memory_mib(memory).map_err(at("spec.memory_mib"))?;
    }
    spec.pids_limit = sbx_api::DEFAULT_PIDS_LIMIT;
    Ok(())
}

/// Lifecycle: auto-stop and auto-delete minutes in a create's ranges, and the snapshot schedule a valid cron
/// expression (a blank one is none).
fn check_lifecycle(spec: &mut SandboxSpec) -> std::result::Result<(), ApiError> {
    let at = in_snapshot_json;
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
    check_main_command(&spec.main_command)
}

/// The main command: a command line by a create's rule, or the image's own argv within the same size and without
/// NUL characters.
fn check_main_command(main: &sbx_api::MainCommand) -> std::result::Result<(), ApiError> {
    match main {
        sbx_api::MainCommand::KeepAlive => Ok(()),
        sbx_api::MainCommand::Shell(text) => validate::main_command(Some(text), false)
            .map(|_| ())
            .map_err(in_snapshot_json("spec.main_command")),
        sbx_api::MainCommand::Image(argv) => {
            let bytes: usize = argv.iter().map(String::len).sum();
            if argv.is_empty()
                || bytes > validate::MAIN_COMMAND_MAX_BYTES
                || argv.iter().any(|a| a.contains('\0'))
            {
                return Err(bad_value(
                    "spec.main_command",
                    format!("{} arguments, {bytes} bytes", argv.len()),
                    format!(
                        "the image's command must have at least one argument, at most {} bytes in all and no NUL",
                        validate::MAIN_COMMAND_MAX_BYTES
                    ),
                ));
            }
            Ok(())
        }
    }
}

/// The setup script: at most the size a create reads from a repository.
fn check_setup_script(spec: &SandboxSpec) -> std::result::Result<(), ApiError> {
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
    Ok(())
}

/// Repository: mounted at `/home/amika/workspace/<name>`, where shells and the setup script start; its URLs
/// without user-info.
fn check_repository(
    spec: &mut SandboxSpec,
    snapshot: &mut Snapshot,
) -> std::result::Result<(), ApiError> {
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
    Ok(())
}

/// Credentials: only the known files, and none mounted unless a restore asks for them.
fn check_credentials(spec: &mut SandboxSpec) -> std::result::Result<(), ApiError> {
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
    Ok(())
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
    if validate::name(sbx_api::Field::Name, name).is_err()
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

#[cfg(test)]
mod tests {
    use super::*;

    const IMAGE: &str = "sandbox-desktop/snapshot-moved:0a1b2c3d";

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
                automatic: false,
            },
            spec: SandboxSpec {
                id: "1111".into(),
                name: "src".into(),
                image: IMAGE.into(),
                preset: None,
                template: "busybox:latest".into(),
                from_snapshot: None,
                profile: None,
                env: Vec::new(),
                ports: Vec::new(),
                services: Vec::new(),
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
                main_command: Default::default(),
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
