//! The form's state in one place — [`Draft`], a `reactive_stores` store with one field per control — and its
//! check: [`check_draft`] reads a draft into a [`CreateSandboxRequest`] and lists what blocks Create, through the
//! app's rules ([`sbx_api::rules`]). Pure: its tests run natively.

use reactive_stores::Store;
use sbx_api::{CreateSandboxRequest, GitChoice, SnapshotChoice, SnapshotScheduleMode, rules};
use std::ops::RangeInclusive;

use super::control::Control;
use crate::checks::range_text;

/// Everything the user typed, as plain values: the dialog's store.
#[derive(Clone, Debug, Default, PartialEq, Store)]
pub(super) struct Draft {
    pub repository: String,
    pub no_repository: bool,
    pub branch: String,
    pub include_uncommitted: bool,
    pub name: String,
    /// The preset the user picked; `None` leaves it to the repository configuration and settings.
    pub preset: Option<String>,
    pub image: String,
    pub skip_setup: bool,
    pub snapshot: SnapshotChoice,
    /// Manual (the default) or automatic snapshots; automatic needs `schedule`.
    pub snapshot_mode: SnapshotScheduleMode,
    pub schedule: String,
    pub setup_script: String,
    /// The main command (run after the setup script instead of the keep-alive); empty: none.
    pub command: String,
    /// Run the image's own entrypoint and command instead.
    pub image_command: bool,
    pub ports: String,
    pub env: String,
    pub secrets: String,
    pub cpus: String,
    pub memory: String,
    /// The auto-stop the user typed; `None` leaves it to the settings.
    pub auto_stop: Option<String>,
    pub auto_delete: String,
    pub mount_credentials: bool,
    /// The profile version to launch from (`NAME` or `NAME@N`); empty: none.
    pub profile: String,
}

impl Draft {
    /// A fresh dialog: the repository's default snapshot, agent credentials mounted, everything else empty.
    pub(super) fn initial() -> Draft {
        Draft {
            snapshot: SnapshotChoice::RepoDefault,
            mount_credentials: true,
            ..Draft::default()
        }
    }
}

/// The request the fields make, and what blocks Create (first error first, in the dialog's order).
#[derive(Clone, Debug, Default, PartialEq)]
pub(super) struct Checked {
    pub request: CreateSandboxRequest,
    pub errors: Vec<(Control, String)>,
}

/// `Some(text)` unless blank.
fn non_blank(text: &str) -> Option<String> {
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_string())
}

/// A sandbox name by the app's rule; blank lets the app generate one.
fn check_name(text: &str) -> Result<Option<String>, String> {
    if text.trim().is_empty() {
        return Ok(None);
    }
    rules::name(sbx_api::Field::Name, text)
        .map(|()| Some(text.to_string()))
        .map_err(|e| e.to_string())
}

/// A whole number in `range`; blank is `None`. The error reads "{label} must be {range}{unit} (not '...')".
fn check_number(
    text: &str,
    range: &RangeInclusive<u32>,
    label: &str,
    unit: &str,
) -> Result<Option<u32>, String> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    match text.parse::<u32>() {
        Ok(n) if range.contains(&n) => Ok(Some(n)),
        _ => Err(format!(
            "{label} must be {}{unit} (not '{text}')",
            range_text(range)
        )),
    }
}

/// Bindings like `8080:80 53:53/udp 0.0.0.0:8080:80`, separated by spaces or commas, each by the app's rule.
fn check_ports(text: &str) -> Result<Vec<String>, String> {
    text.split(|c: char| c.is_whitespace() || c == ',')
        .filter(|t| !t.is_empty())
        .map(|token| {
            rules::port_binding(token)
                .map(|_| token.to_string())
                .map_err(|e| e.to_string())
        })
        .collect()
}

/// One `KEY=VALUE` per line, each by the app's rule; blank lines and `#` comments are skipped.
fn check_env(text: &str) -> Result<Vec<String>, String> {
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .map(|line| {
            rules::env_var(line)
                .map(|_| line.to_string())
                .map_err(|e| e.to_string())
        })
        .collect()
}

/// Names among the environment's variables, separated by spaces or commas.
fn check_secrets(text: &str, env: &[String]) -> Result<Vec<String>, String> {
    let defined: Vec<&str> = env
        .iter()
        .filter_map(|line| line.split_once('=').map(|(name, _)| name))
        .collect();
    let mut names = Vec::new();
    for name in text
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter(|t| !t.is_empty())
    {
        if !defined.contains(&name) {
            return Err(format!(
                "Secret variable '{name}' is not set in Environment"
            ));
        }
        names.push(name.to_string());
    }
    Ok(names)
}

/// The schedule by the app's rule for `mode`: required (a five-field cron expression) when automatic, refused
/// when manual.
fn check_schedule(mode: SnapshotScheduleMode, text: &str) -> Result<Option<String>, String> {
    rules::snapshot_schedule(Some(mode), Some(text)).map_err(|e| e.to_string())
}

/// The main command by the app's rule: a command line or the image's own, not both.
fn check_command(text: &str, image_command: bool) -> Result<(Option<String>, bool), String> {
    rules::main_command(Some(text), image_command).map_err(|e| e.to_string())?;
    Ok((non_blank(text), image_command))
}

/// The errors found so far, with the field each one is about.
#[derive(Default)]
struct Errors(Vec<(Control, String)>);

impl Errors {
    /// The value of a checked field, or `fallback` with its error noted.
    fn keep<T>(&mut self, field: Control, result: Result<T, String>, fallback: T) -> T {
        match result {
            Ok(value) => value,
            Err(message) => {
                self.0.push((field, message));
                fallback
            }
        }
    }

    /// The errors in the order the fields appear.
    fn in_dialog_order(mut self) -> Vec<(Control, String)> {
        self.0
            .sort_by_key(|(field, _)| Control::ALL.iter().position(|f| f == field));
        self.0
    }
}

/// The repository, its branch and whether uncommitted files come along.
fn check_repository(draft: &Draft, errors: &mut Errors) -> (GitChoice, Option<String>, bool) {
    let git = match non_blank(&draft.repository) {
        Some(source) if !draft.no_repository => GitChoice::Source(source),
        _ => GitChoice::Off,
    };
    let has_repository = git != GitChoice::Off;
    let branch_text = if has_repository {
        draft.branch.trim()
    } else {
        ""
    };
    let branch = errors.keep(
        Control::Branch,
        if branch_text.contains(char::is_whitespace) {
            Err(format!("Branch '{branch_text}' must not contain spaces"))
        } else {
            Ok(non_blank(branch_text))
        },
        None,
    );
    (git, branch, has_repository && draft.include_uncommitted)
}

/// CPUs, memory, auto-stop and auto-delete, in the app's ranges.
fn check_numbers(
    draft: &Draft,
    errors: &mut Errors,
) -> (Option<u32>, Option<u32>, Option<u32>, Option<u32>) {
    let cpus = errors.keep(
        Control::Cpus,
        check_number(&draft.cpus, &rules::CPUS, "CPUs", ""),
        None,
    );
    let memory_mib = errors.keep(
        Control::Memory,
        check_number(&draft.memory, &rules::MEMORY_MIB, "Memory", " MiB"),
        None,
    );
    let auto_stop_minutes = errors.keep(
        Control::AutoStop,
        check_number(
            draft.auto_stop.as_deref().unwrap_or_default(),
            &rules::LIFETIME_MINUTES,
            "Auto-stop",
            " minutes",
        ),
        None,
    );
    let auto_delete_minutes = errors.keep(
        Control::AutoDelete,
        check_number(
            &draft.auto_delete,
            &rules::LIFETIME_MINUTES,
            "Auto-delete",
            " minutes",
        ),
        None,
    );
    (cpus, memory_mib, auto_stop_minutes, auto_delete_minutes)
}

/// Read the fields into a request and list what blocks Create.
pub(super) fn check_draft(draft: &Draft) -> Checked {
    let mut errors = Errors::default();
    let (git, branch, no_clean) = check_repository(draft, &mut errors);
    let name = errors.keep(Control::Name, check_name(&draft.name), None);
    let image = non_blank(&draft.image);
    let preset = if image.is_some() {
        None
    } else {
        draft.preset.clone()
    };
    let snapshot_schedule = errors.keep(
        Control::Schedule,
        check_schedule(draft.snapshot_mode, &draft.schedule),
        None,
    );
    let (command, image_command) = errors.keep(
        Control::Command,
        check_command(&draft.command, draft.image_command),
        (None, false),
    );
    let setup_script_text =
        (!draft.setup_script.trim().is_empty()).then(|| draft.setup_script.clone());
    if setup_script_text.is_some() && draft.skip_setup {
        errors.0.push((
            Control::SetupScript,
            "Setup script is given but Skip setup script is checked: uncheck one".to_string(),
        ));
    }
    let ports = errors.keep(Control::Ports, check_ports(&draft.ports), Vec::new());
    let env = errors.keep(Control::Env, check_env(&draft.env), Vec::new());
    let secret_env = errors.keep(
        Control::Secrets,
        check_secrets(&draft.secrets, &env),
        Vec::new(),
    );
    let (cpus, memory_mib, auto_stop_minutes, auto_delete_minutes) =
        check_numbers(draft, &mut errors);
    let request = CreateSandboxRequest {
        name,
        preset,
        image,
        env,
        secret_env,
        ports,
        cpus,
        memory_mib,
        no_setup: draft.skip_setup,
        setup_script: None,
        setup_script_text,
        command,
        image_command,
        git,
        branch,
        no_clean,
        no_credentials: !draft.mount_credentials,
        auto_stop_minutes,
        auto_delete_minutes,
        snapshot_mode: Some(draft.snapshot_mode),
        snapshot: draft.snapshot.clone(),
        snapshot_schedule,
        profile: non_blank(&draft.profile),
        wait_for_ready: false,
        cwd: None,
    };
    Checked {
        request,
        errors: errors.in_dialog_order(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_accept_bindings_and_refuse_reserved() {
        assert_eq!(
            check_ports("8080:80, 53:53/udp 0.0.0.0:9000:90"),
            Ok(vec![
                "8080:80".into(),
                "53:53/udp".into(),
                "0.0.0.0:9000:90".into()
            ])
        );
        assert!(check_ports("8080:60900").is_err());
        assert!(check_ports("80").is_err());
        assert!(check_ports("x:80").is_err());
    }

    #[test]
    fn draft_reads_into_request() {
        let checked = check_draft(&Draft {
            repository: "/src/app".into(),
            name: "teal-tokyo".into(),
            env: "A=1\n\nB=two".into(),
            secrets: "B".into(),
            cpus: "64".into(),
            mount_credentials: true,
            ..Draft::default()
        });
        assert_eq!(checked.request.git, GitChoice::Source("/src/app".into()));
        assert_eq!(
            checked.request.env,
            vec!["A=1".to_string(), "B=two".to_string()]
        );
        assert_eq!(checked.request.secret_env, vec!["B".to_string()]);
        assert_eq!(checked.errors.len(), 1);
        assert_eq!(checked.errors.first().map(|e| e.0), Some(Control::Cpus));
    }

    #[test]
    fn the_messages_the_window_shows() {
        let checked = check_draft(&Draft {
            cpus: "64".into(),
            ports: "8080:60900".into(),
            name: "My Box".into(),
            ..Draft::initial()
        });
        let message = |field| {
            checked
                .errors
                .iter()
                .find(|(f, _)| *f == field)
                .map(|(_, m)| m.clone())
                .unwrap_or_default()
        };
        // The words the end-to-end tests look for.
        assert_eq!(message(Control::Cpus), "CPUs must be 1–32 (not '64')");
        assert!(message(Control::Ports).contains("8080:60900"));
        assert!(message(Control::Ports).contains("reserved"));
        assert!(message(Control::Name).contains("My Box"));
        // The app's own rule and words: a name may not start with a hyphen, a schedule must be able to fire.
        let checked = check_draft(&Draft {
            name: "-box".into(),
            snapshot_mode: SnapshotScheduleMode::Automatic,
            schedule: "0 0 30 2 *".into(),
            ..Draft::initial()
        });
        assert_eq!(
            checked.errors,
            vec![
                (
                    Control::Name,
                    "invalid name '-box': must not start or end with '-'".to_string()
                ),
                (
                    Control::Schedule,
                    "invalid snapshot-schedule '0 0 30 2 *': never fires: no date matches it (e.g. 30 February)"
                        .to_string()
                ),
            ]
        );
        assert_eq!(
            check_schedule(SnapshotScheduleMode::Automatic, " 0  3 * * * "),
            Ok(Some("0 3 * * *".to_string()))
        );
    }

    #[test]
    fn a_schedule_goes_with_automatic_snapshots_only() {
        use SnapshotScheduleMode::*;
        assert_eq!(check_schedule(Manual, " "), Ok(None));
        assert!(
            check_schedule(Manual, "0 3 * * *")
                .unwrap_err()
                .contains("automatic")
        );
        assert!(
            check_schedule(Automatic, "")
                .unwrap_err()
                .contains("cron schedule")
        );
        let checked = check_draft(&Draft {
            snapshot_mode: Automatic,
            schedule: "*/5 * * * *".into(),
            ..Draft::initial()
        });
        assert_eq!(checked.request.snapshot_mode, Some(Automatic));
        assert_eq!(
            checked.request.snapshot_schedule.as_deref(),
            Some("*/5 * * * *")
        );
        assert!(checked.errors.is_empty());
    }

    #[test]
    fn a_main_command_or_the_images_own() {
        let checked = check_draft(&Draft {
            command: " python3 -m http.server ".into(),
            ..Draft::initial()
        });
        assert_eq!(
            (
                checked.request.command.as_deref(),
                checked.request.image_command
            ),
            (Some("python3 -m http.server"), false)
        );
        let checked = check_draft(&Draft {
            image_command: true,
            ..Draft::initial()
        });
        assert_eq!(
            (checked.request.command, checked.request.image_command),
            (None, true)
        );
        let checked = check_draft(&Draft {
            command: "serve".into(),
            image_command: true,
            ..Draft::initial()
        });
        assert_eq!(checked.errors.first().map(|e| e.0), Some(Control::Command));
        assert!(
            checked.errors[0].1.contains("not both"),
            "{:?}",
            checked.errors
        );
    }
}
