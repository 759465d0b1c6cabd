//! The Create Sandbox dialog: every option of `sbx sandbox create`, validated as the user types, with the
//! effective configuration (and where each value comes from) read from the repository as it is chosen.
//!
//! The pure part (reading the fields into a [`CreateSandboxRequest`] and the errors that block Create) is
//! [`check_draft`]; the components only bind signals and show its results.

use leptos::html;
use leptos::prelude::*;
use sbx_api::{
    ApiError, ConfigExplanation, ConfigKey, CreateSandboxRequest, EffectiveValue, ExplainRequest,
    Field as ApiField, GitChoice, ListSnapshotsRequest, SnapshotChoice, SnapshotStatus,
    ValueSource,
    requests::{CreateSandbox, ExplainConfig, ListPresets, ListSnapshots},
    rules,
};
use std::ops::RangeInclusive;
use std::time::Duration;

use crate::checks::range_text;
use crate::dialog::{cpus_placeholder, memory_placeholder};
use crate::ipc;
use crate::live::use_live;
use crate::widgets::ErrorLine;

/// Preset shown selected when neither the user nor the configuration chose one.
const DEFAULT_PRESET: &str = "coder";
/// Auto-stop shown when the configuration does not say otherwise.
const DEFAULT_AUTO_STOP: &str = "30";
/// How long typing pauses before the configuration is explained again.
const EXPLAIN_DEBOUNCE: Duration = Duration::from_millis(300);

/// A field of the dialog, for errors and source tags.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Field {
    Repository,
    Branch,
    Name,
    Preset,
    Image,
    Snapshot,
    Schedule,
    SetupScript,
    Ports,
    Env,
    Secrets,
    Cpus,
    Memory,
    AutoStop,
    AutoDelete,
}

impl Field {
    /// The element id of the field's control.
    fn id(self) -> &'static str {
        match self {
            Field::Repository => "create-repository",
            Field::Branch => "create-branch",
            Field::Name => "create-name",
            Field::Preset => "create-preset",
            Field::Image => "create-image",
            Field::Snapshot => "create-snapshot",
            Field::Schedule => "create-schedule",
            Field::SetupScript => "create-setup-script",
            Field::Ports => "create-ports",
            Field::Env => "create-env",
            Field::Secrets => "create-secrets",
            Field::Cpus => "create-cpus",
            Field::Memory => "create-memory",
            Field::AutoStop => "create-auto-stop",
            Field::AutoDelete => "create-auto-delete",
        }
    }

    /// The id of the line that shows the field's error.
    fn error_id(self) -> String {
        format!("{}-error", self.id())
    }

    /// The dialog's field for the field an API error names (`InvalidInput.field`), if the dialog has it.
    fn from_api(field: &ApiField) -> Option<Field> {
        Some(match field {
            ApiField::Git => Field::Repository,
            ApiField::Branch => Field::Branch,
            ApiField::Name => Field::Name,
            ApiField::Preset => Field::Preset,
            ApiField::Image => Field::Image,
            ApiField::Snapshot => Field::Snapshot,
            ApiField::SnapshotSchedule => Field::Schedule,
            ApiField::SetupScript => Field::SetupScript,
            ApiField::Port => Field::Ports,
            ApiField::Env => Field::Env,
            ApiField::Cpus => Field::Cpus,
            ApiField::Memory => Field::Memory,
            ApiField::AutoStop => Field::AutoStop,
            ApiField::AutoDelete => Field::AutoDelete,
            _ => return None,
        })
    }

    /// Whether the explanation's value `key` is this field's (the field's effective value, or one of them).
    fn explains(self, key: &ConfigKey) -> bool {
        match key {
            ConfigKey::Repository => self == Field::Repository,
            ConfigKey::Branch => self == Field::Branch,
            ConfigKey::Snapshot => self == Field::Snapshot,
            ConfigKey::Preset => self == Field::Preset,
            ConfigKey::Image => self == Field::Image,
            ConfigKey::SetupScript => self == Field::SetupScript,
            ConfigKey::Env(_) => self == Field::Env,
            ConfigKey::Port => self == Field::Ports,
            ConfigKey::Cpus => self == Field::Cpus,
            ConfigKey::Memory => self == Field::Memory,
            ConfigKey::AutoStop => self == Field::AutoStop,
            ConfigKey::AutoDelete => self == Field::AutoDelete,
            ConfigKey::SnapshotSchedule => self == Field::Schedule,
            _ => false,
        }
    }
}

/// Everything the user typed, as plain values.
#[derive(Clone, Debug, Default, PartialEq)]
struct DraftValues {
    repository: String,
    no_repository: bool,
    branch: String,
    include_uncommitted: bool,
    name: String,
    /// The preset the user picked; `None` leaves it to the repository configuration and settings.
    preset: Option<String>,
    image: String,
    skip_setup: bool,
    snapshot: SnapshotChoice,
    schedule: String,
    setup_script: String,
    ports: String,
    env: String,
    secrets: String,
    cpus: String,
    memory: String,
    /// The auto-stop the user typed; `None` leaves it to the settings.
    auto_stop: Option<String>,
    auto_delete: String,
    mount_credentials: bool,
}

/// The request the fields make, and what blocks Create (first error first, in the dialog's order).
#[derive(Clone, Debug, Default, PartialEq)]
struct Checked {
    request: CreateSandboxRequest,
    errors: Vec<(Field, String)>,
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
    rules::name("name", text)
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

/// A five-field cron expression by the app's rule; blank or `manual` is no schedule.
fn check_schedule(text: &str) -> Result<Option<String>, String> {
    let text = text.trim();
    if text.is_empty() || text.eq_ignore_ascii_case("manual") {
        return Ok(None);
    }
    rules::cron_schedule(text).map_err(|e| e.to_string())?;
    Ok(Some(text.split_whitespace().collect::<Vec<_>>().join(" ")))
}

/// The value of a checked field, or `fallback` with its error noted.
fn keep<T>(
    errors: &mut Vec<(Field, String)>,
    field: Field,
    result: Result<T, String>,
    fallback: T,
) -> T {
    match result {
        Ok(value) => value,
        Err(message) => {
            errors.push((field, message));
            fallback
        }
    }
}

/// Read the fields into a request and list what blocks Create.
fn check_draft(values: &DraftValues) -> Checked {
    let mut errors = Vec::new();

    let git = match non_blank(&values.repository) {
        Some(source) if !values.no_repository => GitChoice::Source(source),
        _ => GitChoice::Off,
    };
    let has_repository = git != GitChoice::Off;
    let branch_text = if has_repository {
        values.branch.trim()
    } else {
        ""
    };
    let branch = keep(
        &mut errors,
        Field::Branch,
        if branch_text.contains(char::is_whitespace) {
            Err(format!("Branch '{branch_text}' must not contain spaces"))
        } else {
            Ok(non_blank(branch_text))
        },
        None,
    );
    let name = keep(&mut errors, Field::Name, check_name(&values.name), None);
    let image = non_blank(&values.image);
    let preset = if image.is_some() {
        None
    } else {
        values.preset.clone()
    };
    let snapshot_schedule = keep(
        &mut errors,
        Field::Schedule,
        check_schedule(&values.schedule),
        None,
    );
    let setup_script_text = if values.setup_script.trim().is_empty() {
        None
    } else {
        Some(values.setup_script.clone())
    };
    if setup_script_text.is_some() && values.skip_setup {
        errors.push((
            Field::SetupScript,
            "Setup script is given but Skip setup script is checked: uncheck one".to_string(),
        ));
    }
    let ports = keep(
        &mut errors,
        Field::Ports,
        check_ports(&values.ports),
        Vec::new(),
    );
    let env = keep(&mut errors, Field::Env, check_env(&values.env), Vec::new());
    let secret_env = keep(
        &mut errors,
        Field::Secrets,
        check_secrets(&values.secrets, &env),
        Vec::new(),
    );
    let cpus = keep(
        &mut errors,
        Field::Cpus,
        check_number(&values.cpus, &rules::CPUS, "CPUs", ""),
        None,
    );
    let memory_mib = keep(
        &mut errors,
        Field::Memory,
        check_number(&values.memory, &rules::MEMORY_MIB, "Memory", " MiB"),
        None,
    );
    let auto_stop_minutes = keep(
        &mut errors,
        Field::AutoStop,
        check_number(
            values.auto_stop.as_deref().unwrap_or_default(),
            &rules::LIFETIME_MINUTES,
            "Auto-stop",
            " minutes",
        ),
        None,
    );
    let auto_delete_minutes = keep(
        &mut errors,
        Field::AutoDelete,
        check_number(
            &values.auto_delete,
            &rules::LIFETIME_MINUTES,
            "Auto-delete",
            " minutes",
        ),
        None,
    );
    let request = CreateSandboxRequest {
        name,
        preset,
        image,
        env,
        secret_env,
        ports,
        cpus,
        memory_mib,
        no_setup: values.skip_setup,
        setup_script: None,
        setup_script_text,
        git,
        branch,
        no_clean: has_repository && values.include_uncommitted,
        no_credentials: !values.mount_credentials,
        auto_stop_minutes,
        auto_delete_minutes,
        snapshot: values.snapshot.clone(),
        snapshot_schedule,
        wait_for_ready: false,
        cwd: None,
    };
    // Errors in the order the fields appear.
    let order = [
        Field::Repository,
        Field::Branch,
        Field::Name,
        Field::Preset,
        Field::Image,
        Field::Snapshot,
        Field::Schedule,
        Field::SetupScript,
        Field::Ports,
        Field::Env,
        Field::Secrets,
        Field::Cpus,
        Field::Memory,
        Field::AutoStop,
        Field::AutoDelete,
    ];
    errors.sort_by_key(|(field, _)| order.iter().position(|f| f == field));
    Checked { request, errors }
}

/// The explanation's values for a dialog field.
fn explained(explanation: &ConfigExplanation, field: Field) -> Vec<&EffectiveValue> {
    explanation
        .values
        .iter()
        .filter(|v| field.explains(&v.field))
        .collect()
}

/// The repository default snapshot an explanation (of a request asking for it) names.
fn repository_default(explanation: &ConfigExplanation) -> Option<String> {
    explained(explanation, Field::Snapshot)
        .into_iter()
        .find(|v| matches!(v.source, ValueSource::RepoConfig | ValueSource::App))
        .map(|v| v.value.clone())
        .filter(|v| !v.is_empty())
}

/// The tag beside a field whose value came from the repository, the app or the snapshot started from:
/// (text, tooltip).
fn source_tag(explanation: &ConfigExplanation, field: Field) -> Option<(String, String)> {
    let values: Vec<&EffectiveValue> = explained(explanation, field)
        .into_iter()
        .filter(|v| {
            matches!(
                v.source,
                ValueSource::RepoConfig | ValueSource::App | ValueSource::Snapshot
            )
        })
        .collect();
    if values.is_empty() {
        return None;
    }
    let has = |source: ValueSource| values.iter().any(|v| v.source == source);
    let text = match field {
        Field::Snapshot if has(ValueSource::RepoConfig) => {
            "repository default, from .amika/config.toml"
        }
        Field::Snapshot => "repository default, set in the app",
        _ if has(ValueSource::RepoConfig) => "from .amika/config.toml",
        _ if has(ValueSource::App) => "from app settings",
        _ => "from the snapshot",
    };
    let tooltip = values
        .iter()
        .map(|v| format!("{} = {} ({})", v.field, v.value, v.source.as_str()))
        .collect::<Vec<_>>()
        .join("\n");
    Some((text.to_string(), tooltip))
}

/// The effective value of a single-valued field, when the explanation has one.
fn effective_value(explanation: &Option<ConfigExplanation>, field: Field) -> Option<String> {
    explanation
        .as_ref()
        .and_then(|e| explained(e, field).first().map(|v| v.value.clone()))
        .filter(|v| !v.is_empty())
}

/// The dialog's signals: one per field, and what the app said about them.
#[derive(Clone, Copy)]
struct Form {
    repository: RwSignal<String>,
    no_repository: RwSignal<bool>,
    branch: RwSignal<String>,
    include_uncommitted: RwSignal<bool>,
    name: RwSignal<String>,
    preset: RwSignal<Option<String>>,
    image: RwSignal<String>,
    skip_setup: RwSignal<bool>,
    snapshot: RwSignal<SnapshotChoice>,
    schedule: RwSignal<String>,
    setup_script: RwSignal<String>,
    ports: RwSignal<String>,
    env: RwSignal<String>,
    secrets: RwSignal<String>,
    cpus: RwSignal<String>,
    memory: RwSignal<String>,
    auto_stop: RwSignal<Option<String>>,
    auto_delete: RwSignal<String>,
    mount_credentials: RwSignal<bool>,
    /// The fields read and checked.
    checked: Memo<Checked>,
    /// The latest explanation of the request.
    explanation: RwSignal<Option<ConfigExplanation>>,
    /// The repository's default snapshot, as the latest explanation says.
    repository_default: RwSignal<Option<String>>,
    /// Why the configuration could not be explained.
    explain_error: RwSignal<Option<ApiError>>,
    /// Why CreateSandbox failed.
    create_error: RwSignal<Option<ApiError>>,
}

impl Form {
    fn new() -> Form {
        let repository = RwSignal::new(String::new());
        let no_repository = RwSignal::new(false);
        let branch = RwSignal::new(String::new());
        let include_uncommitted = RwSignal::new(false);
        let name = RwSignal::new(String::new());
        let preset = RwSignal::new(None);
        let image = RwSignal::new(String::new());
        let skip_setup = RwSignal::new(false);
        let snapshot = RwSignal::new(SnapshotChoice::RepoDefault);
        let schedule = RwSignal::new(String::new());
        let setup_script = RwSignal::new(String::new());
        let ports = RwSignal::new(String::new());
        let env = RwSignal::new(String::new());
        let secrets = RwSignal::new(String::new());
        let cpus = RwSignal::new(String::new());
        let memory = RwSignal::new(String::new());
        let auto_stop = RwSignal::new(None);
        let auto_delete = RwSignal::new(String::new());
        let mount_credentials = RwSignal::new(true);
        let checked = Memo::new(move |_| {
            check_draft(&DraftValues {
                repository: repository.get(),
                no_repository: no_repository.get(),
                branch: branch.get(),
                include_uncommitted: include_uncommitted.get(),
                name: name.get(),
                preset: preset.get(),
                image: image.get(),
                skip_setup: skip_setup.get(),
                snapshot: snapshot.get(),
                schedule: schedule.get(),
                setup_script: setup_script.get(),
                ports: ports.get(),
                env: env.get(),
                secrets: secrets.get(),
                cpus: cpus.get(),
                memory: memory.get(),
                auto_stop: auto_stop.get(),
                auto_delete: auto_delete.get(),
                mount_credentials: mount_credentials.get(),
            })
        });
        Form {
            repository,
            no_repository,
            branch,
            include_uncommitted,
            name,
            preset,
            image,
            skip_setup,
            snapshot,
            schedule,
            setup_script,
            ports,
            env,
            secrets,
            cpus,
            memory,
            auto_stop,
            auto_delete,
            mount_credentials,
            checked,
            explanation: RwSignal::new(None),
            repository_default: RwSignal::new(None),
            explain_error: RwSignal::new(None),
            create_error: RwSignal::new(None),
        }
    }

    /// What to show beside `field`: the typing error first, then what Create or the explanation said about it.
    fn message(self, field: Field) -> Option<String> {
        let typed = self.checked.with(|c| {
            c.errors
                .iter()
                .find(|(f, _)| *f == field)
                .map(|(_, m)| m.clone())
        });
        let from_create = || {
            self.create_error.with(|e| {
                e.as_ref()
                    .filter(|e| e.invalid_field().and_then(Field::from_api) == Some(field))
                    .map(ToString::to_string)
            })
        };
        // Explanation errors about no particular field (a malformed config file) belong to Repository.
        let from_explain = || {
            self.explain_error.with(|e| {
                e.as_ref()
                    .filter(|e| {
                        e.invalid_field()
                            .and_then(Field::from_api)
                            .unwrap_or(Field::Repository)
                            == field
                    })
                    .map(ToString::to_string)
            })
        };
        typed.or_else(from_create).or_else(from_explain)
    }

    /// The source tag of `field`, when the explanation says its value came from the repository or the app.
    fn tag(self, field: Field) -> Option<(String, String)> {
        self.explanation
            .with(|e| e.as_ref().and_then(|e| source_tag(e, field)))
    }

    /// The first thing that blocks Create.
    fn blocker(self) -> Option<String> {
        self.checked
            .with(|c| c.errors.first().map(|(_, message)| message.clone()))
    }
}

/// Explain the request again whenever it changes (after typing pauses); a newer request wins over an older answer.
fn explain_as_typed(form: Form) {
    let generation = StoredValue::new(0_u64);
    let request = Memo::new(move |_| form.checked.with(|c| c.request.clone()));
    Effect::new(move |_| {
        let request = request.get();
        let current = generation.get_value() + 1;
        generation.set_value(current);
        set_timeout(
            move || {
                if generation.try_get_value() != Some(current) {
                    return;
                }
                leptos::task::spawn_local(async move {
                    let wants_default = request.snapshot == SnapshotChoice::RepoDefault;
                    let answer = ipc::call::<ExplainConfig>(&ExplainRequest {
                        create: request.clone(),
                    })
                    .await;
                    // With another snapshot picked, ask separately which one the repository defaults to.
                    let default = if wants_default {
                        answer.as_ref().ok().and_then(repository_default)
                    } else {
                        let probe = CreateSandboxRequest {
                            snapshot: SnapshotChoice::RepoDefault,
                            ..request
                        };
                        ipc::call::<ExplainConfig>(&ExplainRequest { create: probe })
                            .await
                            .ok()
                            .and_then(|e| repository_default(&e))
                    };
                    if generation.try_get_value() != Some(current) {
                        return;
                    }
                    form.repository_default.try_set(default);
                    match answer {
                        Ok(explanation) => {
                            form.explain_error.try_set(None);
                            form.explanation.try_set(Some(explanation));
                        }
                        Err(error) => {
                            form.explain_error.try_set(Some(error));
                            form.explanation.try_set(None);
                        }
                    }
                });
            },
            EXPLAIN_DEBOUNCE,
        );
    });
}

/// The Create Sandbox dialog; `on_close` runs on Cancel, Escape, and after a sandbox was created.
#[component]
pub fn CreateSandboxDialog(on_close: Callback<()>) -> impl IntoView {
    let live = use_live();
    let form = Form::new();
    let submitting = RwSignal::new(false);
    explain_as_typed(form);
    // A Create error is about the values it was given: editing any field clears it.
    Effect::new(move |_| {
        form.checked.track();
        form.create_error.set(None);
    });

    let repository_input = NodeRef::<html::Input>::new();
    Effect::new(move |_| {
        if let Some(input) = repository_input.get() {
            let _ = input.focus();
        }
    });

    let submit = move || {
        if submitting.get_untracked() || form.checked.with_untracked(|c| !c.errors.is_empty()) {
            return;
        }
        let request = form.checked.with_untracked(|c| CreateSandboxRequest {
            wait_for_ready: false,
            ..c.request.clone()
        });
        submitting.set(true);
        form.create_error.set(None);
        leptos::task::spawn_local(async move {
            let result = ipc::call::<CreateSandbox>(&request).await;
            submitting.try_set(false);
            match result {
                Ok(_) => {
                    live.sandboxes.try_update(|n| *n += 1);
                    on_close.try_run(());
                }
                Err(error) => {
                    let field = error.invalid_field().and_then(Field::from_api);
                    form.create_error.try_set(Some(error));
                    // The field the app refused gets the focus, so its error (beside it) is in view.
                    if let Some(field) = field {
                        request_animation_frame(move || focus_field(field));
                    }
                }
            }
        });
    };
    let on_key = move |ev: leptos::ev::KeyboardEvent| {
        if ev.key() == "Escape" {
            ev.prevent_default();
            on_close.run(());
        }
    };
    let other_error = Signal::derive(move || {
        form.create_error
            .get()
            .filter(|e| e.invalid_field().and_then(Field::from_api).is_none())
    });
    let no_repository = Signal::derive(move || form.no_repository.get());

    view! {
        <div class="modal-backdrop" on:keydown=on_key>
            <div class="modal create-dialog" role="dialog" aria-modal="true" aria-label="Create Sandbox">
                <h2>"Create Sandbox"</h2>
                <form class="form" novalidate on:submit=move |ev| { ev.prevent_default(); submit(); }>
                    <TextRow form field=Field::Repository label="Repository" value=form.repository
                        placeholder="Path inside a repository, or a git URL" disabled=no_repository node_ref=repository_input />
                    <RepositoryNote form />
                    <CheckRow id="create-no-repository" label="No repository" checked=form.no_repository />
                    <TextRow form field=Field::Branch label="Branch" value=form.branch
                        placeholder="default branch" disabled=no_repository />
                    <CheckRow id="create-no-clean" label="Include uncommitted files" checked=form.include_uncommitted
                        disabled=no_repository />
                    <p class="hint field-hint">"Untracked and uncommitted files are copied too; otherwise the clone is clean."</p>

                    <TextRow form field=Field::Name label="Name" value=form.name placeholder="generated, like teal-tokyo" />
                    <PresetRow form />
                    <TextRow form field=Field::Image label="Image" value=form.image placeholder="custom image, like ubuntu:24.04" />
                    <p class="hint field-hint">"A custom image replaces the preset."</p>

                    <SnapshotSection form />

                    <TextAreaRow form field=Field::SetupScript label="Setup script" value=form.setup_script
                        placeholder=Signal::derive(move || setup_placeholder(form)) />
                    <p class="hint field-hint">"Runs once before the sandbox starts, at /usr/local/etc/amikad/setup/setup.sh"</p>

                    <TextRow form field=Field::Ports label="Ports" value=form.ports placeholder="8080:80 53:53/udp" />
                    <p class="hint field-hint">{ports_hint()}</p>

                    <TextAreaRow form field=Field::Env label="Environment" value=form.env
                        placeholder="KEY=VALUE, one per line" />
                    <TextRow form field=Field::Secrets label="Secret variables" value=form.secrets
                        placeholder="names among Environment, like API_TOKEN" />
                    <p class="hint field-hint">"Secret values are masked in the app and removed by Snapshot and delete."</p>

                    <TextRow form field=Field::Cpus label="CPUs" value=form.cpus placeholder=cpus_placeholder("engine default") numeric=true />
                    <TextRow form field=Field::Memory label="Memory (MiB)" value=form.memory placeholder=memory_placeholder("engine default") numeric=true />

                    <AutoStopRow form />
                    <TextRow form field=Field::AutoDelete label="Auto-delete (minutes)" value=form.auto_delete placeholder="keep" numeric=true />
                    <p class="hint field-hint">"Minutes after stopping before the sandbox is deleted; empty keeps it."</p>

                    <span class="form-label">"Credentials"</span>
                    <div class="check">
                        <input type="checkbox" id="create-credentials" aria-label="Mount agent credentials"
                            prop:checked=move || form.mount_credentials.get()
                            on:change=move |ev| form.mount_credentials.set(event_target_checked(&ev)) />
                        <label for="create-credentials">"Mount agent credentials"</label>
                    </div>
                    <p class="hint field-hint">"Claude, Codex and OpenCode credential files on this computer are mounted read-only, when present."</p>

                    <EffectiveConfiguration form />

                    <div class="full"><ErrorLine error=other_error /></div>
                    <div class="actions">
                        <Show when=move || form.blocker().is_some()>
                            <span class="fix" id="create-fix" role="status">"Fix: "{move || form.blocker().unwrap_or_default()}</span>
                        </Show>
                        <Show when=move || submitting.get()>
                            <span class="muted" role="status">"Creating…"</span>
                        </Show>
                        <button type="button" aria-label="Cancel" on:click=move |_| on_close.run(())>"Cancel"</button>
                        <button type="submit" class="primary" aria-label="Create"
                            disabled=move || submitting.get() || form.blocker().is_some()
                            aria-describedby="create-fix"
                            title=move || form.blocker().map(|m| format!("Fix: {m}")).unwrap_or_default()>
                            "Create"
                        </button>
                    </div>
                </form>
            </div>
        </div>
    }
}

/// Focus the control of `field` (opening the Sandbox Snapshot section first when it is inside it).
fn focus_field(field: Field) {
    use wasm_bindgen::JsCast;
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    let Some(element) = document.get_element_by_id(field.id()) else {
        return;
    };
    if let Ok(Some(section)) = element.closest("details") {
        let _ = section.set_attribute("open", "");
    }
    if let Ok(control) = element.dyn_into::<web_sys::HtmlElement>() {
        let _ = control.focus();
    }
}

/// The Setup script's placeholder: the script the repository configures, when it does (and only then: the
/// explanation also names the no-op script and a skipped setup, which come from no repository).
fn setup_placeholder(form: Form) -> String {
    if form.skip_setup.get() {
        return "Skip setup script is checked: a no-op script runs".to_string();
    }
    let from_repository = form.explanation.with(|e| {
        e.as_ref().and_then(|e| {
            explained(e, Field::SetupScript)
                .into_iter()
                .find(|v| v.source == ValueSource::RepoConfig && !v.value.is_empty())
                .map(|v| v.value.clone())
        })
    });
    match from_repository {
        Some(script) => format!("Uses {script} from the repository; text here replaces it"),
        None => "#!/bin/sh\nset -e\n# install dependencies…".to_string(),
    }
}

/// The field's error line, beside it.
#[component]
fn FieldError(form: Form, field: Field) -> impl IntoView {
    view! {
        <Show when=move || form.message(field).is_some()>
            <p class="field-error" id=field.error_id()>{move || form.message(field).unwrap_or_default()}</p>
        </Show>
    }
}

/// The tag saying where the field's effective value came from, when it came from the repository or the app.
#[component]
fn SourceTag(form: Form, field: Field) -> impl IntoView {
    move || {
        form.tag(field)
            .map(|(text, tooltip)| view! { <span class="source" title=tooltip>{text}</span> })
    }
}

/// A labelled text input with its source tag and error.
#[component]
fn TextRow(
    form: Form,
    field: Field,
    label: &'static str,
    value: RwSignal<String>,
    #[prop(optional, into)] placeholder: String,
    #[prop(optional, into)] disabled: Signal<bool>,
    #[prop(optional)] numeric: bool,
    #[prop(optional)] node_ref: NodeRef<html::Input>,
) -> impl IntoView {
    view! {
        <label for=field.id()>{label}</label>
        <div class="control">
            <input id=field.id() aria-label=label placeholder=placeholder
                inputmode=numeric.then_some("numeric")
                autocomplete="off" spellcheck="false"
                node_ref=node_ref
                disabled=move || disabled.get()
                aria-invalid=move || form.message(field).is_some().to_string()
                aria-describedby=field.error_id()
                prop:value=move || value.get()
                on:input=move |ev| value.set(event_target_value(&ev))
                // WebDriver's clear and some autofill only fire change.
                on:change=move |ev| value.set(event_target_value(&ev)) />
            <SourceTag form field />
        </div>
        <FieldError form field />
    }
}

/// A labelled textarea with its source tag and error.
#[component]
fn TextAreaRow(
    form: Form,
    field: Field,
    label: &'static str,
    value: RwSignal<String>,
    #[prop(into)] placeholder: Signal<String>,
) -> impl IntoView {
    view! {
        <label for=field.id()>{label}</label>
        <div class="control">
            <textarea id=field.id() aria-label=label placeholder=move || placeholder.get()
                spellcheck="false" rows="4"
                aria-invalid=move || form.message(field).is_some().to_string()
                aria-describedby=field.error_id()
                prop:value=move || value.get()
                on:input=move |ev| value.set(event_target_value(&ev))
                // WebDriver's clear and some autofill only fire change.
                on:change=move |ev| value.set(event_target_value(&ev))></textarea>
            <SourceTag form field />
        </div>
        <FieldError form field />
    }
}

/// A checkbox in the field column, labelled by the words after it.
#[component]
fn CheckRow(
    id: &'static str,
    label: &'static str,
    checked: RwSignal<bool>,
    #[prop(optional, into)] disabled: Signal<bool>,
) -> impl IntoView {
    view! {
        <span class="form-label" aria-hidden="true"></span>
        <div class="check">
            <input type="checkbox" id=id aria-label=label
                disabled=move || disabled.get()
                prop:checked=move || checked.get()
                on:change=move |ev| checked.set(event_target_checked(&ev)) />
            <label for=id>{label}</label>
        </div>
    }
}

/// What the explanation found about the repository: its root and config file.
#[component]
fn RepositoryNote(form: Form) -> impl IntoView {
    let note = move || {
        form.explanation.with(|e| {
            let e = e.as_ref()?;
            let root = e.repo_root.clone()?;
            Some(match &e.config_file {
                Some(file) => format!("Repository at {root}; reads {file}"),
                None => format!("Repository at {root}; no .amika/config.toml"),
            })
        })
    };
    view! {
        <Show when=move || note().is_some()>
            <p class="hint field-hint repository-note">{note}</p>
        </Show>
    }
}

/// The Preset select: presets from the app; disabled while a custom image is typed.
#[component]
fn PresetRow(form: Form) -> impl IntoView {
    let presets = LocalResource::new(|| ipc::call::<ListPresets>(&()));
    let load_error = Signal::derive(move || presets.get().and_then(Result::err));
    // Shown selected: the user's pick, else the effective preset, else `coder` or the first preset.
    let shown = Memo::new(move |_| {
        form.preset
            .get()
            .or_else(|| form.explanation.with(|e| effective_value(e, Field::Preset)))
            .or_else(|| {
                presets.get().and_then(Result::ok).and_then(|list| {
                    if list.iter().any(|p| p == DEFAULT_PRESET) {
                        Some(DEFAULT_PRESET.to_string())
                    } else {
                        list.first().cloned()
                    }
                })
            })
            .unwrap_or_else(|| DEFAULT_PRESET.to_string())
    });
    let options = Memo::new(move |_| {
        let mut list = presets.get().and_then(Result::ok).unwrap_or_default();
        let current = shown.get();
        if !list.contains(&current) {
            list.insert(0, current);
        }
        list
    });
    let image_given = move || !form.image.get().trim().is_empty();
    let field = Field::Preset;
    view! {
        <label for=field.id()>"Preset"</label>
        <div class="control">
            <select id=field.id() aria-label="Preset" disabled=image_given
                aria-describedby=field.error_id()
                on:change=move |ev| form.preset.set(Some(event_target_value(&ev)))>
                <For each=move || options.get() key=|p| p.clone() children=move |p| {
                    let value = p.clone();
                    let attribute = p.clone();
                    view! { <option value=attribute prop:selected=move || shown.get() == value>{p}</option> }
                } />
            </select>
            <SourceTag form field />
            <Show when=image_given>
                <span class="muted">"(the custom image replaces it)"</span>
            </Show>
        </div>
        <FieldError form field />
        <div class="full"><ErrorLine error=load_error /></div>
    }
}

/// The hint under Auto-stop, with the app's longest auto-stop.
fn auto_stop_hint() -> String {
    format!(
        "Minutes of idleness before the sandbox stops; 0 disables; at most {} (7 days).",
        rules::LIFETIME_MINUTES.end()
    )
}

/// The hint under Ports, with the app's reserved range.
fn ports_hint() -> String {
    format!(
        "Bound to {} unless you give an address (0.0.0.0:8080:80). Ports {}–{} are reserved.",
        rules::DEFAULT_HOST_IP,
        rules::RESERVED_PORTS.start(),
        rules::RESERVED_PORTS.end()
    )
}

/// The Auto-stop input: shows the effective default until the user types.
#[component]
fn AutoStopRow(form: Form) -> impl IntoView {
    let field = Field::AutoStop;
    let shown = move || {
        form.auto_stop.get().unwrap_or_else(|| {
            form.explanation
                .with(|e| effective_value(e, Field::AutoStop))
                .unwrap_or_else(|| DEFAULT_AUTO_STOP.to_string())
        })
    };
    view! {
        <label for=field.id()>"Auto-stop (minutes)"</label>
        <div class="control">
            <input id=field.id() aria-label="Auto-stop (minutes)" inputmode="numeric" autocomplete="off"
                aria-invalid=move || form.message(field).is_some().to_string()
                aria-describedby=field.error_id()
                prop:value=shown
                on:input=move |ev| form.auto_stop.set(Some(event_target_value(&ev)))
                on:change=move |ev| form.auto_stop.set(Some(event_target_value(&ev))) />
            <SourceTag form field />
        </div>
        <FieldError form field />
        <p class="hint field-hint">{auto_stop_hint()}</p>
    }
}

/// The collapsible Sandbox Snapshot section: Skip setup script, Start from snapshot, Snapshot schedule.
#[component]
fn SnapshotSection(form: Form) -> impl IntoView {
    let live = use_live();
    let snapshots = LocalResource::new(move || {
        live.snapshots.track();
        async move {
            ipc::call::<ListSnapshots>(&ListSnapshotsRequest {
                sandbox: None,
                page: 1,
                limit: 1000,
            })
            .await
        }
    });
    let load_error = Signal::derive(move || snapshots.get().and_then(Result::err));
    // Active snapshots, plus the repository default if it is not among them.
    let names = Memo::new(move |_| {
        let mut names: Vec<String> = snapshots
            .get()
            .and_then(Result::ok)
            .map(|page| {
                page.items
                    .into_iter()
                    .filter(|s| s.status == SnapshotStatus::Active)
                    .map(|s| s.name)
                    .collect()
            })
            .unwrap_or_default();
        if let Some(default) = form.repository_default.get()
            && !names.contains(&default)
        {
            names.insert(0, default);
        }
        names
    });
    // The option shown selected ("" is None).
    let selected = Memo::new(move |_| match form.snapshot.get() {
        SnapshotChoice::RepoDefault => form.repository_default.get().unwrap_or_default(),
        SnapshotChoice::Named(name) => name,
        SnapshotChoice::Off => String::new(),
    });
    let pick = move |value: String| {
        let choice = if value.is_empty() {
            SnapshotChoice::Off
        } else if form.repository_default.get_untracked().as_deref() == Some(value.as_str()) {
            SnapshotChoice::RepoDefault
        } else {
            SnapshotChoice::Named(value)
        };
        form.snapshot.set(choice);
    };
    let summary_note = move || match (form.snapshot.get(), form.repository_default.get()) {
        (SnapshotChoice::RepoDefault, Some(default)) => {
            format!("starts from {default} (repository default)")
        }
        (SnapshotChoice::Named(name), _) => format!("starts from {name}"),
        _ => String::new(),
    };
    // Open the section when something inside it needs fixing.
    let section = NodeRef::<html::Details>::new();
    Effect::new(move |_| {
        let trouble =
            form.message(Field::Snapshot).is_some() || form.message(Field::Schedule).is_some();
        if trouble && let Some(details) = section.get() {
            let _ = details.set_attribute("open", "");
        }
    });
    let field = Field::Snapshot;
    view! {
        <details class="section" node_ref=section>
            <summary aria-label="Sandbox Snapshot">
                "Sandbox Snapshot"
                <span class="summary-note muted">{summary_note}</span>
            </summary>
            <div class="form">
                <CheckRow id="create-no-setup" label="Skip setup script" checked=form.skip_setup />
                <p class="hint field-hint">"Puts a no-op setup script in place: build a base for a snapshot, and let setup run once when sandboxes boot from it."</p>

                <label for=field.id()>"Start from snapshot"</label>
                <div class="control">
                    <select id=field.id() aria-label="Start from snapshot"
                        aria-describedby=field.error_id()
                        on:change=move |ev| pick(event_target_value(&ev))>
                        <option value="" prop:selected=move || selected.get().is_empty()>"None (start from the preset)"</option>
                        <For each=move || names.get() key=|n| n.clone() children=move |name| {
                            let value = name.clone();
                            let label = name.clone();
                            view! {
                                <option value=name prop:selected=move || selected.get() == value>
                                    {move || {
                                        let suffix = if form.repository_default.get().as_deref() == Some(label.as_str()) {
                                            " (repository default)"
                                        } else {
                                            ""
                                        };
                                        format!("{label}{suffix}")
                                    }}
                                </option>
                            }
                        } />
                    </select>
                    <SourceTag form field />
                </div>
                <FieldError form field />
                <div class="full"><ErrorLine error=load_error /></div>

                <TextRow form field=Field::Schedule label="Snapshot schedule" value=form.schedule
                    placeholder="manual — or cron like 0 */2 * * *" />
                <p class="hint field-hint">"Five-field cron: a snapshot is taken on each tick while the sandbox runs."</p>
            </div>
        </details>
    }
}

/// The effective configuration: each value, where it came from, and the explanation's warnings.
#[component]
fn EffectiveConfiguration(form: Form) -> impl IntoView {
    let values = move || {
        form.explanation
            .with(|e| e.as_ref().map(|e| e.values.clone()).unwrap_or_default())
    };
    let warnings = move || {
        form.explanation
            .with(|e| e.as_ref().map(|e| e.warnings.clone()).unwrap_or_default())
    };
    view! {
        <section class="effective full" aria-label="Effective configuration">
            <h3>"Effective configuration"</h3>
            <Show
                when=move || !values().is_empty()
                fallback=|| view! { <p class="muted">"The values this sandbox will get show here once the app has read them."</p> }
            >
                <table class="table compact">
                    <thead><tr><th scope="col">"Field"</th><th scope="col">"Value"</th><th scope="col">"Source"</th></tr></thead>
                    <tbody>
                        {move || values().into_iter().map(|v| view! {
                            <tr data-field=v.field.to_string()>
                                <td>{v.field.to_string()}</td>
                                <td class="value">{v.value.clone()}</td>
                                <td class="muted">{v.source.as_str()}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </Show>
            <ul class="warnings">
                {move || warnings().into_iter().map(|w| view! { <li class="warning">{w}</li> }).collect_view()}
            </ul>
        </section>
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
        let checked = check_draft(&DraftValues {
            repository: "/src/app".into(),
            name: "teal-tokyo".into(),
            env: "A=1\n\nB=two".into(),
            secrets: "B".into(),
            cpus: "64".into(),
            mount_credentials: true,
            ..DraftValues::default()
        });
        assert_eq!(checked.request.git, GitChoice::Source("/src/app".into()));
        assert_eq!(
            checked.request.env,
            vec!["A=1".to_string(), "B=two".to_string()]
        );
        assert_eq!(checked.request.secret_env, vec!["B".to_string()]);
        assert_eq!(checked.errors.len(), 1);
        assert_eq!(checked.errors.first().map(|e| e.0), Some(Field::Cpus));
    }
}
