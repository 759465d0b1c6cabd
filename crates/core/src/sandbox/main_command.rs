//! The main command of a sandbox (S6, seed 001): what runs after the setup script, instead of the app's keep-alive.
//! `--command CMD` runs `CMD` through `/bin/sh -c`; `--image-command` runs the image's own entrypoint and command,
//! read from the image's configuration when the sandbox is built (and recorded, so a snapshot keeps it: a
//! snapshot's image runs the app's entry script, not the original image's). Without either, a sandbox started from
//! a snapshot runs the snapshot's main command, any other the keep-alive. A main command that exits ends the
//! sandbox: stopped (exit 0) or failed with its code ([`super::state::main_command_ended`]).

use sbx_api::{
    ApiError, ConfigKey, CreateSandboxRequest, EffectiveValue, Field, MainCommand, ValueSource,
};

use crate::sandbox::spec::SandboxSpec;
use crate::store::sandboxes;
use crate::{Core, Error, Result, validate};

/// The main command a create asks for, resolved against the snapshot (or profile) it starts from, with its
/// explanation. `--image-command` on a snapshot takes the image command the snapshot recorded, if it has one.
pub fn plan(
    request: &CreateSandboxRequest,
    base: Option<&SandboxSpec>,
) -> Result<(MainCommand, EffectiveValue)> {
    let asked = validate::main_command(request.command.as_deref(), request.image_command)?;
    let (main, source) = match (asked, base) {
        (Some(MainCommand::Image(_)), Some(base)) => match &base.main_command {
            MainCommand::Image(argv) if !argv.is_empty() => {
                (MainCommand::Image(argv.clone()), ValueSource::Flag)
            }
            _ => {
                return Err(ApiError::invalid(
                    Field::Command,
                    "--image-command",
                    format!(
                        "the sandbox starts from '{}', whose image runs the app's entry script: the original \
                         image's own command was not recorded; give the command with --command",
                        base.from_snapshot.as_deref().unwrap_or("a snapshot")
                    ),
                )
                .into());
            }
        },
        (Some(main), _) => (main, ValueSource::Flag),
        (None, Some(base)) if !base.main_command.is_keep_alive() => {
            (base.main_command.clone(), ValueSource::Snapshot)
        }
        (None, _) => (MainCommand::KeepAlive, ValueSource::Default),
    };
    let explained = EffectiveValue {
        field: ConfigKey::MainCommand,
        value: main.describe(),
        source,
    };
    Ok((main, explained))
}

impl Core {
    /// The spec with its image command read from its image, when it asks for the image's own command and has none
    /// yet (the image is on the engine by now); the record is written again with it. `None` when there is nothing
    /// to resolve.
    pub(crate) async fn resolve_image_command(
        &self,
        spec: &SandboxSpec,
    ) -> Result<Option<SandboxSpec>> {
        if !matches!(&spec.main_command, MainCommand::Image(argv) if argv.is_empty()) {
            return Ok(None);
        }
        let argv = self
            .engine()
            .image_command(&spec.image)
            .await?
            .unwrap_or_default();
        if argv.is_empty() {
            return Err(ApiError::invalid(
                Field::Command,
                "--image-command",
                format!(
                    "the image {} has neither an entrypoint nor a command to run",
                    spec.image
                ),
            )
            .into());
        }
        let mut resolved = spec.clone();
        resolved.main_command = MainCommand::Image(argv);
        let json = serde_json::to_string(&resolved).map_err(|e| Error::Other(e.to_string()))?;
        sandboxes::set_spec(self.store().pool(), &resolved.id, &json).await?;
        Ok(Some(resolved))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(command: Option<&str>, image_command: bool) -> CreateSandboxRequest {
        CreateSandboxRequest {
            command: command.map(str::to_string),
            image_command,
            ..Default::default()
        }
    }

    fn base(main: MainCommand) -> SandboxSpec {
        let json = serde_json::json!({
            "id": "1", "name": "src", "image": "img", "preset": null, "template": "img",
            "from_snapshot": "snap", "env": [], "ports": [], "cpus": null, "memory_mib": null,
            "setup_skipped": false, "setup_script": null, "repo": null, "repo_key": null,
            "credentials_enabled": false, "credentials": [], "auto_stop_minutes": 30,
            "auto_delete_minutes": null, "snapshot_schedule": null, "agent_cwd": "/",
            "created_at": "2026-11-23T10:00:00Z"
        });
        let mut spec: SandboxSpec = serde_json::from_value(json).unwrap();
        spec.main_command = main;
        spec
    }

    #[test]
    fn records_without_a_main_command_run_the_keep_alive() {
        // A record written before main commands existed reads as the keep-alive.
        assert_eq!(
            base(MainCommand::KeepAlive).main_command,
            MainCommand::KeepAlive
        );
        let (main, explained) = plan(&request(None, false), None).unwrap();
        assert_eq!(main, MainCommand::KeepAlive);
        assert_eq!(explained.source, ValueSource::Default);
    }

    #[test]
    fn flags_win_and_a_snapshot_keeps_its_command() {
        let shell = MainCommand::Shell("serve".into());
        let (main, explained) =
            plan(&request(Some("work"), false), Some(&base(shell.clone()))).unwrap();
        assert_eq!(main, MainCommand::Shell("work".into()));
        assert_eq!(explained.source, ValueSource::Flag);
        let (main, explained) = plan(&request(None, false), Some(&base(shell.clone()))).unwrap();
        assert_eq!((main, explained.source), (shell, ValueSource::Snapshot));
        let (main, _) = plan(&request(None, true), None).unwrap();
        assert_eq!(main, MainCommand::Image(Vec::new()));
    }

    #[test]
    fn the_image_command_of_a_snapshot_is_the_one_it_recorded() {
        let recorded = MainCommand::Image(vec!["/srv".into(), "-p".into()]);
        let (main, _) = plan(&request(None, true), Some(&base(recorded.clone()))).unwrap();
        assert_eq!(main, recorded);
        let refused = plan(&request(None, true), Some(&base(MainCommand::KeepAlive))).unwrap_err();
        assert!(
            matches!(refused, Error::Api(ApiError::InvalidInput { ref field, .. }) if *field == Field::Command),
            "{refused:?}"
        );
    }
}
